//! Differential run against the real client: manifests from the shared
//! generator (`tests/common/gen.rs`) are written under
//! `target/kubectl-differential/real/` and judged by `tests/kubectl_corpus.py`
//! with kubectl's own reader. It counts the inputs kubectl reads that
//! reload-stamp refuses, and the outputs kubectl reads differently from the
//! input plus the stamp; both must be 0. Needs kubectl and Python 3, so it is
//! ignored by default:
//! `cargo test --release --test kubectl_differential -- --ignored --nocapture`
//! (`KUBECTL_DIFF_CASES`, default 2000).

mod common;

use std::path::Path;
use std::process::Command;

use common::gen::{manifest, Cycle};

#[test]
#[ignore]
fn generated_manifests_read_by_kubectl() {
    let n: usize = std::env::var("KUBECTL_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kubectl-differential");
    let dir = root.join("real").join("generated");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&dir).unwrap();
    // xorshift64*: a fixed, reproducible stream of choices.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    };
    for i in 0..n {
        let len = 1 + next() as usize % 80;
        let nums: Vec<u32> = (0..len).map(|_| next()).collect();
        let text = manifest(&mut Cycle { nums: &nums, i: 0 });
        std::fs::write(dir.join(format!("gen-{i:05}.yaml")), text).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kubectl_corpus.py");
    let status = Command::new("python3")
        .arg(script)
        .arg(common::bin::path())
        .arg("--corpus")
        .arg(&root)
        .status()
        .expect("python3");
    assert!(status.success(), "kubectl disagrees; see the list above");
}
