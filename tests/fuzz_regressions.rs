//! Inputs the fuzzers once failed on (tests/fuzz-regressions/), replayed with
//! the fuzz targets' checks: no panic; an accepted input is stamped exactly.

mod common;

/// The fuzz targets' check: a refusal is fine, an accepted input must be
/// stamped exactly.
fn replay(input: &[u8]) {
    if let Ok(out) = common::stamp(input, false, 1) {
        common::judge(input, &out);
    }
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = std::fs::read(entry.unwrap().path()).unwrap();
        n += 1;
        replay(&input);
    }
    assert!(n > 0);
}

/// Replays the local fuzz corpus (fuzz/corpus/stamp_bytes, not committed)
/// with the same checks, listing every failing input rather than stopping at
/// the first as libFuzzer does:
/// `cargo test --release --test fuzz_regressions -- --ignored --nocapture`.
#[test]
#[ignore]
fn local_fuzz_corpus_replays_cleanly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/stamp_bytes");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no fuzz corpus at {}", dir.display());
        return;
    };
    std::panic::set_hook(Box::new(|_| {}));
    let (mut n, mut failed) = (0, Vec::new());
    for entry in entries {
        let path = entry.unwrap().path();
        let input = std::fs::read(&path).unwrap();
        n += 1;
        let r = std::panic::catch_unwind(|| replay(&input));
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failed.push(format!(
                "{}: {}",
                path.display(),
                msg.lines().next().unwrap_or("")
            ));
        }
    }
    let _ = std::panic::take_hook();
    eprintln!("{n} inputs, {} failed", failed.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
