//! Shared by the fuzz targets: run the library like the binary does, and
//! judge the result with the tests' serde_yaml oracle.

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
pub mod oracle;

pub use oracle::VALUE;

/// Stamps `input`; `None` when the tool reports an error (which is fine).
pub fn stamp(input: &[u8]) -> Option<Vec<u8>> {
    oracle::stamp(input, false, 1).ok()
}

/// Checks a successful result: the output means the input plus the stamp
/// (when the independent parser reads the input at all), and only stamp
/// lines changed.
pub fn judge(input: &[u8], output: &[u8]) {
    let (Ok(i), Ok(o)) = (std::str::from_utf8(input), std::str::from_utf8(output)) else {
        panic!("output is not UTF-8 although the input was accepted");
    };
    if oracle::load_all(i).is_err() {
        return;
    }
    oracle::check_stamp(i, o, oracle::DEFAULT_KINDS, "reloaded-at", VALUE);
}
