//! The binary under test, run in a fixed environment.

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
