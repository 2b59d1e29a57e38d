//! Inputs the fuzzers once failed on (tests/fuzz-regressions/), replayed with
//! the fuzz targets' checks: no panic; an accepted input is stamped exactly.

mod common;

use reload_stamp::select::Selector;
use reload_stamp::{analyze, Options};

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        let opts = Options {
            selector: Selector::default(),
            key: "reloaded-at".to_string(),
            config_hash: false,
            records: false,
            full_check: false,
        };
        n += 1;
        let Ok(a) = analyze(&input, &opts, Some(common::VALUE), 1) else {
            continue;
        };
        let Some(r) = a.rendered else {
            continue;
        };
        let out = r.output.map_or(input.clone(), String::into_bytes);
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
