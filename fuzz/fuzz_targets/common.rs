//! Shared by the fuzz targets: run the library like the binary does, and
//! judge the result with the tests' serde_yaml oracle.

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
pub mod oracle;

/// Stamps `input`; `None` when the tool reports an error (which is fine).
pub fn stamp(input: &[u8]) -> Option<Vec<u8>> {
    oracle::stamp(input, false, 1).ok()
}

pub use oracle::judge;
