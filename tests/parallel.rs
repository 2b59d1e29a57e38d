//! The output never depends on the number of threads.

mod common;

use std::fs;

use common::gen::{manifest, Cycle};

/// A deterministic stream of `n` generated manifests.
fn generated(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let nums: Vec<u32> = (0..64)
                .map(|k| i.wrapping_mul(2_654_435_761).rotate_left(k) ^ k)
                .collect();
            manifest(&mut Cycle { nums: &nums, i: 0 })
        })
        .collect()
}

fn run(args: &[&str], stdin: Option<Vec<u8>>) -> (i32, Vec<u8>, Vec<u8>) {
    let mut c = common::bin::cmd();
    c.args(args);
    if let Some(s) = stdin {
        c.write_stdin(s);
    }
    let o = c.output().unwrap();
    (o.status.code().unwrap_or(-1), o.stdout, o.stderr)
}

#[test]
fn one_stream_same_bytes_for_any_jobs() {
    // One input: its documents are spread over the threads.
    let stream: String = generated(400)
        .into_iter()
        .map(|m| m.trim_start_matches('\u{feff}').to_string())
        // A directive may only follow an explicit end of document.
        .map(|m| match m.strip_prefix("%YAML 1.2") {
            Some(rest) => rest.trim_start_matches(['\r', '\n']).to_string(),
            None => m,
        })
        .map(|m| if m.ends_with('\n') { m } else { m + "\n" })
        .collect::<Vec<_>>()
        .join("---\n");
    let base = run(
        &["-j", "1", "--value", "v"],
        Some(stream.clone().into_bytes()),
    );
    assert_eq!(base.0, 0, "{}", String::from_utf8_lossy(&base.2));
    assert!(base.1.len() > stream.len(), "something was stamped");
    for jobs in ["2", "3", "8"] {
        let r = run(
            &["-j", jobs, "--value", "v"],
            Some(stream.clone().into_bytes()),
        );
        assert_eq!(r.1, base.1, "-j {jobs}");
        assert_eq!(r.2, base.2, "-j {jobs}");
    }
}

#[test]
fn many_files_same_results_for_any_jobs() {
    let files = generated(120);
    let mk = || {
        let d = tempfile::tempdir().unwrap();
        for (i, m) in files.iter().enumerate() {
            let sub = d.path().join(format!("d{}", i % 7));
            fs::create_dir_all(&sub).unwrap();
            fs::write(sub.join(format!("m{i:03}.yaml")), m).unwrap();
        }
        d
    };
    let (a, b) = (mk(), mk());
    let stdout_a = run(
        &["-j", "1", "--value", "v", a.path().to_str().unwrap()],
        None,
    );
    let stdout_b = run(
        &["-j", "4", "--value", "v", b.path().to_str().unwrap()],
        None,
    );
    let strip = |v: Vec<u8>, p: &std::path::Path| {
        String::from_utf8(v)
            .unwrap()
            .replace(p.to_str().unwrap(), "ROOT")
    };
    assert_eq!(stdout_a.0, 0);
    assert_eq!(strip(stdout_a.1, a.path()), strip(stdout_b.1, b.path()));
    assert_eq!(strip(stdout_a.2, a.path()), strip(stdout_b.2, b.path()));
    // --write: the same files end up with the same bytes.
    assert_eq!(
        run(
            &[
                "-w",
                "-q",
                "-j",
                "1",
                "--value",
                "v",
                a.path().to_str().unwrap()
            ],
            None
        )
        .0,
        0
    );
    assert_eq!(
        run(
            &[
                "-w",
                "-q",
                "-j",
                "4",
                "--value",
                "v",
                b.path().to_str().unwrap()
            ],
            None
        )
        .0,
        0
    );
    for entry in walk(a.path()) {
        let rel = entry.strip_prefix(a.path()).unwrap();
        assert_eq!(
            fs::read(&entry).unwrap(),
            fs::read(b.path().join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
}

fn walk(p: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(p).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
