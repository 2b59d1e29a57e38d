//! The binary under test, started the same way by every test (here, in
//! one environment), and the checks of how a run ended, which show its
//! standard error when it fails.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// Where cargo built the binary under test: for a tool that runs it by
/// path (an entry on `PATH`, a link named as a plugin, a script's argument).
pub fn path() -> PathBuf {
    assert_cmd::cargo::cargo_bin("reload-stamp")
}

/// `reload-stamp` with the variables that change its output removed, UTC
/// as the local zone, and a generous timeout so a hang fails the test.
pub fn cmd() -> Command {
    timed(std_cmd())
}

/// [`cmd`] as a `std` command, without the timeout: for a child the test
/// spawns and waits for itself (several at once, or reaped by `wait4` for
/// its peak memory).
pub fn std_cmd() -> std::process::Command {
    with_env(std::process::Command::new(path()))
}

/// The binary under another name: a symbolic link at `at`, for a tool that
/// runs it by a name of its own (kustomize's exec plugin `ReloadStamp`,
/// the name the binary reads from its `argv[0]`).
pub fn link_as(at: &Path) {
    std::os::unix::fs::symlink(path(), at).unwrap_or_else(|e| panic!("{}: {e}", at.display()));
}

/// Why a test runs a copy of the binary other than the one cargo built.
pub enum Other<'a> {
    /// A release artifact, tested as users get it (golden.rs's
    /// `RELOAD_STAMP_BIN`, the binaries of `release/build.sh`).
    Artifact(&'a Path),
    /// A release artifact built for another architecture, run by the
    /// emulator that runs it on this machine (`qemu-aarch64-static`).
    Emulated {
        runner: &'a OsStr,
        artifact: &'a Path,
    },
}

/// The copy `which` says, in the same environment as [`cmd`].
pub fn other(which: Other) -> Command {
    timed(with_env(match which {
        Other::Artifact(bin) => std::process::Command::new(bin),
        Other::Emulated { runner, artifact } => {
            let mut c = std::process::Command::new(runner);
            c.arg(artifact);
            c
        }
    }))
}

fn with_env(mut c: std::process::Command) -> std::process::Command {
    c.env_remove("SOURCE_DATE_EPOCH")
        .env_remove("NO_COLOR")
        .env_remove("RELOAD_STAMP_FAILPOINT")
        .env_remove("RELOAD_STAMP_HMAC_KEY")
        .env_remove("RELOAD_STAMP_KUSTOMIZE")
        .env("TZ", "UTC");
    c
}

fn timed(c: std::process::Command) -> Command {
    let mut c = Command::from_std(c);
    c.timeout(Duration::from_secs(120));
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
