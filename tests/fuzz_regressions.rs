//! Inputs the fuzzers once failed on (tests/fuzz-regressions/), replayed with
//! the fuzz targets' checks: no panic; an accepted input is stamped exactly.

mod common;

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        n += 1;
        let Ok(out) = common::stamp(&input, false, 1) else {
            continue;
        };
        let text = String::from_utf8(input).unwrap();
        if common::load_all(&text).is_ok() {
            common::check_stamp(
                &text,
                &String::from_utf8(out).unwrap(),
                common::DEFAULT_KINDS,
                "reloaded-at",
                common::VALUE,
            );
        }
    }
    assert!(n > 0);
}
