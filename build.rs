//! Tells `--version` which commit the binary was built from, and for which
//! target. The commit comes from, in order: `RELOAD_STAMP_COMMIT` (a build
//! from a source archive), the `.cargo_vcs_info.json` that `cargo package`
//! writes into a `.crate` (a registry build, outside git), or git when this
//! directory is the top of a checkout (so a packaged crate unpacked inside
//! some other repository does not take that repository's commit); else
//! `unknown`. No dependencies: a failure here must not fail a build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RELOAD_STAMP_COMMIT");
    let commit = std::env::var("RELOAD_STAMP_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .map(|c| c.trim().to_string())
        .or_else(|| packaged_commit(&dir))
        .or_else(|| git_commit(&dir))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=RELOAD_STAMP_COMMIT={commit}");
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=RELOAD_STAMP_TARGET={target}");
}

/// The `git.sha1` of `.cargo_vcs_info.json`, read without a JSON parser:
/// the file is cargo's, with one 40-digit hex string after `"sha1"`.
fn packaged_commit(dir: &Path) -> Option<String> {
    // Watched only when it exists: a missing watched file reruns every build.
    let path = dir.join(".cargo_vcs_info.json");
    let text = std::fs::read_to_string(&path).ok()?;
    println!("cargo:rerun-if-changed={}", path.display());
    let rest = &text[text.find("\"sha1\"")? + 6..];
    let start = rest.find('"')? + 1;
    let sha: String = rest[start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    let dirty = text.contains("\"dirty\": true") || text.contains("\"dirty\":true");
    (sha.len() == 40).then(|| if dirty { format!("{sha}-dirty") } else { sha })
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}

fn git_commit(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a checkout), the branch it names
    // (a commit), and packed-refs. Not the index: `git add` is no new commit.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        if let Some(path) = git(dir, &["rev-parse", "--git-path", &name]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    git(dir, &["rev-parse", "HEAD"]).filter(|c| c.len() == 40)
}
