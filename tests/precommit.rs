//! End to end with the real `pre-commit`: this repository's
//! `.pre-commit-hooks.yaml`, installed the way a user would install it, fixes
//! a stale config hash and fails the first commit; the second commit passes
//! with nothing changed.
//!
//! It builds the tool with `cargo install` inside pre-commit, so it is slow
//! and ignored by plain `cargo test`; CI runs it:
//! `cargo test --test precommit -- --ignored`
//! (`PRECOMMIT_TARGET_DIR` can point cargo at an existing target directory,
//! and `PRECOMMIT_CARGO_TARGET` pick the target triple pre-commit's cargo
//! builds for: CI reuses its static release build that way).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::bin::{assert_code, assert_failed};

fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs")
}

/// The standard output of a run of git or pre-commit that must succeed.
fn ok(o: std::process::Output) -> String {
    assert_code(&o, 0, "git or pre-commit");
    String::from_utf8_lossy(&o.stdout).to_string()
}

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"1\"\n  b: \"2\"\n";
const DEPLOY: &str = "# the web tier\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      annotations:\n        checksum/config: \"stale\"   # managed by reload-stamp\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        envFrom:\n        - configMapRef:\n            name: app\n";
// printf 'ConfigMap\0app\0data\0a\0001\0b\0002\0\0' | sha256sum
const DIGEST: &str = "54510faec6b7f2c2442999375bd766971d3ecee91bdfcf59eb518688fe358b3b";

/// A Helm chart template: not YAML.
const TEMPLATE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\n";

#[test]
#[ignore = "slow: builds the tool inside pre-commit; CI runs it with --ignored"]
fn precommit_hook_fixes_a_stale_hash_then_passes() {
    if Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("pre-commit is not installed (pip install pre-commit)");
    }
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();

    // The hook repository: this project's files as they are now, committed.
    let hooks = tmp.path().join("hooks");
    let files = ok(git(project, &["ls-files", "-co", "--exclude-standard"]));
    for f in files.lines() {
        let (src, dst) = (project.join(f), hooks.join(f));
        if src.is_file() {
            fs::create_dir_all(dst.parent().unwrap()).unwrap();
            fs::copy(&src, &dst).unwrap();
        }
    }
    ok(git(&hooks, &["init", "-q"]));
    ok(git(&hooks, &["add", "-A"]));
    ok(git(&hooks, &["commit", "-qm", "hooks"]));
    let rev = ok(git(&hooks, &["rev-parse", "HEAD"])).trim().to_string();

    // The user's repository, with a stale hash.
    let user = tmp.path().join("user");
    fs::create_dir_all(user.join("k8s")).unwrap();
    fs::write(user.join("k8s/configmap.yaml"), CONFIGMAP).unwrap();
    fs::write(user.join("k8s/deploy.yaml"), DEPLOY).unwrap();
    // The recommended setup for a repository that also holds a chart and
    // generated files: the hook runs on the root; the chart's templates
    // and git-ignored files are skipped.
    fs::create_dir_all(user.join("charts/app/templates")).unwrap();
    fs::write(
        user.join("charts/app/Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    )
    .unwrap();
    fs::write(user.join("charts/app/templates/deploy.yaml"), TEMPLATE).unwrap();
    fs::create_dir_all(user.join("build")).unwrap();
    fs::write(user.join(".gitignore"), "build/\n").unwrap();
    fs::write(user.join("build/generated.yaml"), DEPLOY).unwrap();
    fs::write(
        user.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: reload-stamp-config-hash\n    args: [.]\n",
            hooks.display()
        ),
    )
    .unwrap();
    ok(git(&user, &["init", "-q"]));
    let target = std::env::var("PRECOMMIT_TARGET_DIR")
        .unwrap_or_else(|_| project.join("target/precommit-e2e").display().to_string());
    let cargo_target = std::env::var_os("PRECOMMIT_CARGO_TARGET");
    let precommit = |args: &[&str]| {
        let mut c = Command::new("pre-commit");
        c.current_dir(&user)
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env("CARGO_TARGET_DIR", &target);
        if let Some(t) = &cargo_target {
            c.env("CARGO_BUILD_TARGET", t);
        }
        c.args(args).output().unwrap()
    };
    ok(precommit(&["install"]));

    // First commit: the hook rewrites the hash and the commit fails.
    ok(git(&user, &["add", "-A"]));
    let commit = |msg: &str| {
        let mut c = Command::new("git");
        c.current_dir(&user)
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env("CARGO_TARGET_DIR", &target);
        if let Some(t) = &cargo_target {
            c.env("CARGO_BUILD_TARGET", t);
        }
        c.args([
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@example.invalid",
            "commit",
            "-qm",
            msg,
        ])
        .output()
        .unwrap()
    };
    let first = commit("first");
    assert_failed(&first, "the first commit");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(log.contains("files were modified by this hook"), "{log}");
    let fixed = fs::read_to_string(user.join("k8s/deploy.yaml")).unwrap();
    assert_eq!(
        fixed,
        DEPLOY.replace("\"stale\"", &format!("\"{DIGEST}\"")),
        "only the value changed, the comment stayed"
    );

    // Second commit: nothing to fix, it passes and the file is unchanged.
    ok(git(&user, &["add", "-A"]));
    let second = commit("second");
    assert_code(&second, 0, "the second commit should pass");
    assert_eq!(
        fs::read_to_string(user.join("k8s/deploy.yaml")).unwrap(),
        fixed
    );
    assert_eq!(ok(git(&user, &["status", "--porcelain"])), "");
    assert_eq!(
        fs::read_to_string(user.join("build/generated.yaml")).unwrap(),
        DEPLOY,
        "git-ignored files are not touched"
    );
}
