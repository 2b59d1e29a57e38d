//! Adversarial inputs and failure injection: never a panic or a hang, never
//! a corrupt or half-written file.
//!
//! The huge inputs are `#[ignore]`d; run them with
//! `cargo test --release --test robustness -- --ignored --nocapture`.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use common::bin::{assert_code, cmd, expect_code, run_ok};

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: nginx\n";

/// Runs on `input` from stdin: exit code, stdout, stderr. Fails on a panic or
/// a signal.
fn run(input: &[u8]) -> (i32, Vec<u8>, String) {
    let o = cmd()
        .args(["--value", common::VALUE])
        .write_stdin(input.to_vec())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    let code = o
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {err}"));
    (code, o.stdout, err)
}

/// Either exit 2 with a located error and nothing on stdout, or exit 0.
fn error_or_ok(input: &[u8]) -> (i32, Vec<u8>, String) {
    let (code, out, err) = run(input);
    match code {
        2 => {
            assert!(out.is_empty(), "exit 2 but wrote stdout");
            assert!(err.starts_with("reload-stamp: <stdin>:"), "{err}");
        }
        0 => {}
        c => panic!("exit {c}: {err}"),
    }
    (code, out, err)
}

#[test]
fn deep_flow_nesting_is_an_error_not_a_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (code, _, err) = error_or_ok(deep.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("recursion limit exceeded"), "{err}");
    let unbalanced = "[".repeat(100_000);
    assert_eq!(error_or_ok(unbalanced.as_bytes()).0, 2);
}

#[test]
fn deep_block_nesting() {
    // 100,000 levels of block mappings (`? ` keys) and sequences on one line.
    for unit in ["? ", "- "] {
        let deep = format!("{}a\n", unit.repeat(100_000));
        let (code, out, _) = error_or_ok(deep.as_bytes());
        assert_eq!(
            (code, out),
            (0, deep.clone().into_bytes()),
            "not a workload: passed through"
        );
        // Inside a workload but off the paths an edit needs: never built.
        let off_path = format!("kind: Deployment\nx:\n  {deep}");
        assert_eq!(error_or_ok(off_path.as_bytes()).0, 0);
        // On them (under metadata): refused cleanly. (Complex keys, `? `,
        // are never built, whatever their depth.)
        let candidate = format!("kind: Deployment\nmetadata:\n  {deep}");
        let (code, _, err) = error_or_ok(candidate.as_bytes());
        if unit == "- " {
            assert_eq!(code, 2);
            assert!(err.contains("<stdin>:3:"), "{err}");
            assert!(err.contains("nests deeper than 1000 levels"), "{err}");
        } else {
            assert_eq!(code, 0, "{err}");
        }
    }
    // 10,000 levels of indented block mappings (beyond that the indentation
    // alone is gigabytes).
    let mut s = String::from("kind: Deployment\nmetadata:\n");
    for i in 1..10_000 {
        s.push_str(&" ".repeat(i));
        s.push_str("a:\n");
    }
    let (code, _, err) = error_or_ok(s.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("nests deeper than 1000 levels"), "{err}");
    assert_eq!(
        error_or_ok(s.replacen("metadata", "x", 1).as_bytes()).0,
        0,
        "off the edit's paths: passed through"
    );
}

#[test]
fn billion_laughs_is_not_expanded() {
    let mut s = format!("{DEPLOY}x:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..40 {
        s.push_str(&format!(
            "  a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 9].join(", ")
        ));
    }
    let t = Instant::now();
    let (code, out, err) = run(s.as_bytes());
    assert_eq!(code, 0, "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.len(),
        s.len() + "      annotations:\n        reloaded-at: \"20261124093000\"\n".len()
    );
}

#[test]
fn long_lines_nul_bytes_invalid_utf8_and_truncation() {
    let long = format!("{DEPLOY}  big: {}\n", "x".repeat(20_000_000));
    let (code, out, _) = run(long.as_bytes());
    assert_eq!(code, 0);
    let stamp = "      annotations:\n        reloaded-at: \"20261124093000\"\n";
    assert_eq!(out.len(), long.len() + stamp.len());

    let (code, _, err) = error_or_ok(b"a: b\0c\n");
    assert_eq!(code, 2);
    assert!(err.contains("<stdin>:1:5:"), "{err}");

    // Invalid UTF-8 is read as kubectl reads it (here it spoils the kind,
    // so nothing is stamped) and passed through byte for byte.
    let mut bad = DEPLOY.as_bytes().to_vec();
    bad.splice(30..30, [0xff, 0xfe]);
    let (code, out, _) = error_or_ok(&bad);
    assert_eq!(code, 0);
    assert!(out == bad, "bytes kept");
    let o = expect_code(cmd().arg("--config-hash").write_stdin(bad), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("<stdin>:2:11: input is not valid UTF-8 (byte 0xff)"),
        "{err}"
    );

    // Every prefix of a workload stream: an error or a correct result.
    let stream = format!(
        "{DEPLOY}---\n{}",
        DEPLOY.replace("labels:\n        app: web", "annotations: {a: \"b\"}")
    );
    for cut in 0..stream.len() {
        let prefix = &stream.as_bytes()[..cut];
        let (code, out, _) = error_or_ok(prefix);
        if code == 0 {
            let input = String::from_utf8(prefix.to_vec()).unwrap();
            let output = String::from_utf8(out).unwrap();
            if common::load_all(&input).is_ok() {
                common::check_stamp(
                    &input,
                    &output,
                    common::DEFAULT_KINDS,
                    "reloaded-at",
                    common::VALUE,
                );
            }
        }
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A cheap deterministic fuzz pass; the real fuzzing is in fuzz/.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: &[&[u8]] = &[
        b"apiVersion: apps/v1\n",
        b"kind: Deployment\n",
        b"spec:\n",
        b"  template:\n",
        b"    metadata:\n",
        b"      annotations:",
        b" {}",
        b" ~",
        b"\n",
        b"---\n",
        b"...\n",
        b"- ",
        b"[",
        b"]",
        b"{",
        b"}",
        b", ",
        b"\"",
        b"'",
        b"|",
        b">",
        b"&a ",
        b"*a",
        b"<<: ",
        b"#c",
        b"\t",
        b"\r\n",
        b"\xef\xbb\xbf",
        b"\xff",
        b"  ",
        b"reloaded-at: ",
        b"x",
        b":",
        b"? ",
        b"%YAML 1.2\n",
        b"!!str ",
    ];
    for _ in 0..300 {
        let n = (next() % 40) as usize;
        let input: Vec<u8> = (0..n)
            .flat_map(|_| alphabet[(next() % alphabet.len() as u64) as usize].to_vec())
            .collect();
        error_or_ok(&input);
    }
}

fn file_with(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

fn no_temp_files(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".reload-stamp-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn read_only_file_is_refused_and_untouched() {
    let d = tempfile::tempdir().unwrap();
    let p = file_with(d.path(), "ro.yaml", DEPLOY);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
    let o = expect_code(cmd().args(["-w", "-q", "--value", "v"]).arg(&p), 2);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "reload-stamp: {}: cannot write: the file is read-only\n",
            p.display()
        )
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), DEPLOY);
    no_temp_files(d.path());
}

/// A tmpfs of `size`, mounted with `opts`, when this machine allows it (root).
struct Mount(tempfile::TempDir);

impl Mount {
    fn new(opts: &str) -> Option<Mount> {
        let d = tempfile::tempdir().ok()?;
        let ok = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(d.path())
            .stderr(Stdio::null())
            .status()
            .ok()?
            .success();
        ok.then_some(Mount(d))
    }

    fn remount(&self, opts: &str) -> bool {
        StdCommand::new("mount")
            .args(["-o", &format!("remount,{opts}")])
            .arg(self.0.path())
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn read_only_directory_leaves_the_file_untouched() {
    let Some(m) = Mount::new("size=1m") else {
        eprintln!("cannot mount a tmpfs here: skipped (the rename test below covers the logic)");
        return;
    };
    let p = file_with(m.0.path(), "d.yaml", DEPLOY);
    assert!(m.remount("ro"));
    let o = cmd()
        .args(["-w", "-q", "--value", "v"])
        .arg(&p)
        .output()
        .unwrap();
    m.remount("rw");
    assert_code(&o, 2, "--write on a read-only file system");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with(&format!("reload-stamp: {}: cannot write: ", p.display())),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), DEPLOY);
    no_temp_files(m.0.path());
}

#[test]
fn disk_full_leaves_the_file_untouched() {
    let big = format!("{DEPLOY}  pad: \"{}\"\n", "x".repeat(40_000));
    // A real full disk where a tmpfs can be mounted...
    if let Some(m) = Mount::new("size=64k") {
        let p = file_with(m.0.path(), "d.yaml", &big);
        let o = expect_code(cmd().args(["-w", "-q", "--value", "v"]).arg(&p), 2);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            err,
            format!(
                "reload-stamp: {}: cannot write: No space left on device\n",
                p.display()
            )
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), big);
        no_temp_files(m.0.path());
    }
    // ...and an injected one everywhere (debug builds only).
    if !failpoints_built() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = file_with(d.path(), "d.yaml", &big);
    let o = expect_code(
        cmd()
            .env("RELOAD_STAMP_FAILPOINT", "write")
            .args(["-w", "-q", "--value", "v"])
            .arg(&p),
        2,
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        format!(
            "reload-stamp: {}: cannot write: No space left on device\n",
            p.display()
        )
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), big);
    no_temp_files(d.path());
}

#[test]
fn killed_between_write_and_rename_leaves_the_original() {
    if !failpoints_built() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let a = file_with(d.path(), "a.yaml", DEPLOY);
    let o = cmd()
        .env("RELOAD_STAMP_FAILPOINT", "rename")
        .args(["-w", "-q", "--value", "v"])
        .arg(&a)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), None, "the process was killed");
    assert_eq!(
        fs::read_to_string(&a).unwrap(),
        DEPLOY,
        "the original is untouched"
    );
    // The next run succeeds; the orphaned temporary file is not a manifest
    // (hidden, .tmp) and is never read.
    run_ok(cmd().args(["-w", "--value", "v"]).arg(d.path()));
    assert!(fs::read_to_string(&a)
        .unwrap()
        .contains("reloaded-at: \"v\""));
}

#[test]
fn concurrent_writers_never_interleave() {
    let d = tempfile::tempdir().unwrap();
    let p = file_with(d.path(), "c.yaml", &DEPLOY.replace("web", "c"));
    let results: Vec<String> = (0..8).map(|i| format!("v{i}")).collect();
    for _ in 0..5 {
        let children: Vec<_> = results
            .iter()
            .map(|v| {
                // All at once: spawned here, waited for below.
                common::bin::std_cmd()
                    .args(["-w", "-q", "--value", v])
                    .arg(&p)
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert_code(&o, 0, "one of the concurrent writers");
        }
        // Whole: exactly one run's result, which parses and holds one stamp.
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(text.matches("reloaded-at:").count(), 1, "{text}");
        let v = results
            .iter()
            .find(|v| text.contains(&format!("reloaded-at: \"{v}\"")))
            .expect("one of the values");
        let docs = common::load_all(&text).unwrap();
        assert_eq!(docs.len(), 1, "{v}");
        no_temp_files(d.path());
    }
}

/// Builds `n` bytes of small documents.
fn stream_of(n: usize) -> Vec<u8> {
    let svc =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n";
    let unit = format!("{DEPLOY}---\n{svc}---\n");
    let mut v = Vec::with_capacity(n + unit.len());
    while v.len() < n {
        v.extend_from_slice(unit.as_bytes());
    }
    v
}

/// Runs the binary on `input`; (seconds, peak RSS in MB), from wait4.
#[allow(clippy::zombie_processes)] // wait4 below reaps the child
fn measure(input: &Path) -> (f64, f64) {
    let t = Instant::now();
    let child = common::bin::std_cmd()
        .args(["-q", "--value", "v"])
        .stdin(fs::File::open(input).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter, and the pid is our child's.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "status {status}"
    );
    (t.elapsed().as_secs_f64(), usage.ru_maxrss as f64 / 1024.0)
}

#[test]
#[ignore = "huge: 200 MB document"]
fn huge_single_document() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("big.yaml");
    let mut f = fs::File::create(&p).unwrap();
    f.write_all(DEPLOY.as_bytes()).unwrap();
    f.write_all(b"x:\n").unwrap();
    let line = format!("  - {}\n", "y".repeat(60));
    for _ in 0..(200 << 20) / line.len() {
        f.write_all(line.as_bytes()).unwrap();
    }
    drop(f);
    let size = fs::metadata(&p).unwrap().len() as f64 / (1 << 20) as f64;
    let (secs, rss) = measure(&p);
    println!(
        "200 MB document: {size:.0} MB in {secs:.1} s, peak RSS {rss:.0} MB ({:.1}x input)",
        rss / size
    );
    assert!(rss < size * 3.0, "peak RSS {rss} MB for {size} MB");
}

#[test]
#[ignore = "huge: 1 GB stream"]
fn huge_stream_of_small_documents() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("stream.yaml");
    let chunk = stream_of(64 << 20);
    let mut f = fs::File::create(&p).unwrap();
    for _ in 0..16 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let size = fs::metadata(&p).unwrap().len() as f64 / (1 << 20) as f64;
    let (secs, rss) = measure(&p);
    println!(
        "1 GB stream: {size:.0} MB in {secs:.1} s, peak RSS {rss:.0} MB ({:.1}x input)",
        rss / size
    );
    assert!(rss < size * 3.0, "peak RSS {rss} MB for {size} MB");
}

/// The binary's failpoints exist in debug builds only; the test binary is
/// built with the same profile, so `cargo test --release` skips these parts.
fn failpoints_built() -> bool {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: RELOAD_STAMP_FAILPOINT needs a debug build (plain `cargo test`)");
    }
    cfg!(debug_assertions)
}
