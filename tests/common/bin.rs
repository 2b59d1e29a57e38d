//! The binary under test, run in a fixed environment, and the checks of
//! how a run ended, which show its standard error when it fails.

use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// `reload-stamp` with the variables that change its output removed, UTC
/// as the local zone, and a generous timeout so a hang fails the test.
pub fn cmd() -> Command {
    let mut c = Command::cargo_bin("reload-stamp").expect("binary");
    c.env_remove("SOURCE_DATE_EPOCH")
        .env_remove("NO_COLOR")
        .env_remove("RELOAD_STAMP_FAILPOINT")
        .env_remove("RELOAD_STAMP_HMAC_KEY")
        .env_remove("RELOAD_STAMP_KUSTOMIZE")
        .env("TZ", "UTC")
        .timeout(Duration::from_secs(120));
    c
}

/// A command the checks below can run: the binary's ([`cmd`]) or another
/// program's (`std::process::Command`: helm, kubectl, podman, git).
pub trait Run {
    /// Runs it to the end, capturing both outputs.
    fn run(&mut self) -> Output;
    /// The command line, for the failure message.
    fn line(&self) -> String;
}

impl Run for Command {
    fn run(&mut self) -> Output {
        self.output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.line()))
    }
    fn line(&self) -> String {
        // Its Debug shows standard input too, which may be megabytes.
        let s = format!("{self:?}");
        match s.char_indices().nth(400) {
            Some((at, _)) => format!("{}…", &s[..at]),
            None => s,
        }
    }
}

impl Run for std::process::Command {
    fn run(&mut self) -> Output {
        self.output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.line()))
    }
    fn line(&self) -> String {
        format!("{self:?}")
    }
}

/// Runs `c`, which must succeed (exit 0); else the test fails showing its
/// standard error.
#[track_caller]
pub fn run_ok(c: &mut impl Run) -> Output {
    expect_code(c, 0)
}

/// Runs `c`, which must exit with `code`; else the test fails showing its
/// standard error.
#[track_caller]
pub fn expect_code(c: &mut impl Run, code: i32) -> Output {
    let o = c.run();
    assert_code(&o, code, &c.line());
    o
}

/// `o` exited with `code`; else the test fails saying `what` (the command,
/// the case) and showing the standard error, and the standard output's start.
#[track_caller]
pub fn assert_code(o: &Output, code: i32, what: &str) {
    if o.status.code() == Some(code) {
        return;
    }
    let out = String::from_utf8_lossy(&o.stdout);
    let out = match out.char_indices().nth(2000) {
        Some((at, _)) => format!("{}…", &out[..at]),
        None => out.into_owned(),
    };
    panic!(
        "{what}: {}, not exit {code}\n--- stderr:\n{}--- stdout:\n{out}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `o` failed (any exit code but 0, or a signal); else the test fails
/// saying `what` and showing both outputs.
#[track_caller]
pub fn assert_failed(o: &Output, what: &str) {
    assert!(
        !o.status.success(),
        "{what}: succeeded, yet it should fail\n--- stderr:\n{}--- stdout:\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
}
