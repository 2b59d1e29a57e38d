//! The real tools of the end-to-end tests (Helm 3, Helm 4, a newer kubectl,
//! podman), as `.ci/gitops-tools.sh` installs them.

use std::path::{Path, PathBuf};

/// The tool named by `$var`, else `target/ci-tools/REL` where
/// `.ci/gitops-tools.sh` puts it. Missing: a failure in CI (which installs
/// it), else `None` with the reason on stderr, so the test skips saying why.
pub fn ci_tool(var: &str, rel: &str) -> Option<PathBuf> {
    let path = match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target/ci-tools")
            .join(rel),
    };
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "{} not found (set {var}, or run .ci/gitops-tools.sh to install it)",
        path.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("{why}: skipped");
    None
}

/// The directory of the binary under test, to put first on `PATH` where a
/// tool runs `reload-stamp` by name, as the README's set-ups do.
pub fn bin_dir() -> PathBuf {
    super::bin::path().parent().unwrap().to_path_buf()
}

/// `PATH` with `dirs` first.
pub fn path_with(dirs: &[PathBuf]) -> std::ffi::OsString {
    let mut all: Vec<PathBuf> = dirs.to_vec();
    all.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(all).unwrap()
}

/// The README's indented block that starts with the line `first` (after
/// its four spaces), unindented, up to the blank line: the copy-paste
/// set-ups, tested as printed.
pub fn readme_block(first: &str) -> String {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find(&format!("\n    {first}\n"))
        .unwrap_or_else(|| panic!("README has no block starting {first:?}"))
        + 1;
    let block = &readme[start..];
    let block = &block[..block.find("\n\n").unwrap() + 1];
    block
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect()
}

/// Whether `program ARGS` runs here and succeeds. Where it does not: a
/// failure in CI when `ci_has_it` (CI installs it), else `false` with the
/// reason on stderr, so the test skips saying why.
pub fn runs_here(program: &str, args: &[&str], ci_has_it: bool) -> bool {
    let ok = std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let why = format!("{program} {} does not run here", args.join(" "));
        assert!(
            !ci_has_it || std::env::var_os("CI").is_none(),
            "{why}; CI needs it"
        );
        eprintln!("{why}: skipped");
    }
    ok
}

/// Whether the machine's kubectl runs (CI has it).
pub fn have_kubectl() -> bool {
    runs_here("kubectl", &["version", "--client"], true)
}

/// The kubectls to build with: the machine's (1.32), and 1.35 where
/// `.ci/gitops-tools.sh` put it.
pub fn kubectls() -> Vec<PathBuf> {
    let mut all = vec![PathBuf::from("kubectl")];
    all.extend(ci_tool("KUBECTL_NEW", "kubectl-1.35.2/kubectl"));
    all
}

/// `kubectl kustomize DIR` with `kubectl` (a program or a path), which
/// must succeed: the built stream, what Argo CD or Flux would apply.
pub fn kustomize_build(kubectl: &Path, dir: &Path) -> String {
    let o = super::bin::run_ok(
        std::process::Command::new(kubectl)
            .arg("kustomize")
            .arg(dir),
    );
    String::from_utf8(o.stdout).unwrap()
}
