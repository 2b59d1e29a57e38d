//! A whole GitOps repository as users point the tool at it: a real git
//! repository with ignore files, a Helm chart, CI workflows and kustomize
//! files beside the manifests.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::bin::{cmd, expect_code};
use common::DEPLOY;

/// A chart template: one from the shared corpus when it is there, else a
/// typical one written here, so the test runs on any checkout.
fn chart_template() -> String {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/helm-templates/alertmanager__statefulset.yaml");
    fs::read_to_string(shared).unwrap_or_else(|_| {
        "{{- if .Values.enabled }}\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: {{ include \"app.fullname\" . }}\n  labels:\n    {{- include \"app.labels\" . | nindent 4 }}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n{{- end }}\n".to_string()
    })
}

const WORKFLOW: &str = "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n    - run: echo ${{ github.sha }}\n";
const KUSTOMIZATION: &str = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- k8s/deploy.yaml\n";
const COMPOSE: &str = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n";

struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// A HOME of its own, holding the global git excludes.
    home: PathBuf,
}

impl Repo {
    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    /// The tool run in the repository root with its own HOME, which must
    /// exit with `code`: its standard output and error.
    #[track_caller]
    fn run(&self, args: &[&str], code: i32) -> (String, String) {
        let o = expect_code(
            cmd()
                .args(args)
                .current_dir(&self.root)
                .env("HOME", &self.home)
                .env("XDG_CONFIG_HOME", self.home.join(".config")),
            code,
        );
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }
}

fn git(root: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

/// The repository of the issue: manifests in `k8s/`, a chart, a workflow,
/// kustomize and compose files, and generated manifests left out by each
/// kind of ignore file.
fn repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let home = dir.path().join("home");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(home.join(".config/git")).unwrap();
    git(&root, &["init", "-q", "."]);
    let r = Repo {
        _dir: dir,
        root,
        home,
    };
    r.write("k8s/deploy.yaml", DEPLOY);
    r.write(
        "k8s/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n",
    );
    r.write("kustomization.yaml", KUSTOMIZATION);
    r.write("compose.yaml", COMPOSE);
    r.write(".github/workflows/ci.yaml", WORKFLOW);
    r.write(
        "charts/app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    );
    r.write(
        "charts/app/values.yaml",
        "replicaCount: 1\nimage:\n  repository: nginx\n",
    );
    r.write("charts/app/templates/statefulset.yaml", &chart_template());
    r.write("charts/app/templates/sub/deploy.yaml", DEPLOY);
    // Left out by .gitignore, .ignore, .git/info/exclude and the global
    // excludes, one each.
    r.write(".gitignore", "build/\n");
    r.write("build/generated.yaml", DEPLOY);
    r.write(".ignore", "scratch/\n");
    r.write("scratch/try.yaml", DEPLOY);
    r.write(".git/info/exclude", "local/\n");
    r.write("local/mine.yaml", DEPLOY);
    fs::write(r.home.join(".config/git/ignore"), "*.rendered.yaml\n").unwrap();
    r.write("out/app.rendered.yaml", DEPLOY);
    // Inside .git: never read.
    r.write(".git/stash.yaml", DEPLOY);
    r
}

/// The inputs `--check` says would change, from its stderr.
fn would_change(err: &str) -> Vec<&str> {
    err.lines()
        .filter_map(|l| l.strip_prefix("reload-stamp: "))
        .filter_map(|l| l.strip_suffix(": 1 workload would be stamped"))
        .collect()
}

#[test]
fn check_on_the_root_names_only_the_manifests_git_tracks() {
    let r = repo();
    let (out, err) = r.run(&["--check", "."], 1);
    assert_eq!(out, "");
    assert_eq!(would_change(&err), ["k8s/deploy.yaml"], "{err}");
    // The chart's templates are skipped with a note each, and counted.
    assert!(
        err.contains("note: charts/app/templates/statefulset.yaml: skipped, a Helm chart template"),
        "{err}"
    );
    assert!(
        err.contains("note: charts/app/templates/sub/deploy.yaml: skipped"),
        "{err}"
    );
    // Read: Chart.yaml, values.yaml, compose.yaml, k8s/deploy.yaml,
    // k8s/service.yaml, kustomization.yaml.
    assert!(
        err.ends_with("1 workload in 1 of 6 inputs would be stamped; skipped 2 Helm templates\n"),
        "{err}"
    );
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn no_ignore_reads_what_ignore_files_leave_out_but_not_hidden_entries() {
    let r = repo();
    let (_, err) = r.run(&["--check", "--no-ignore", "."], 1);
    assert_eq!(
        would_change(&err),
        [
            "build/generated.yaml",
            "k8s/deploy.yaml",
            "local/mine.yaml",
            "out/app.rendered.yaml",
            "scratch/try.yaml"
        ],
        "{err}"
    );
}

#[test]
fn a_file_named_on_the_command_line_is_read_even_if_ignored() {
    let r = repo();
    let (_, err) = r.run(&["--check", "build/generated.yaml", "k8s"], 1);
    assert_eq!(
        would_change(&err),
        ["build/generated.yaml", "k8s/deploy.yaml"],
        "{err}"
    );
}

#[test]
fn exclude_still_applies_on_the_new_walk() {
    let r = repo();
    let (_, err) = r.run(&["--check", "--exclude", "k8s/deploy.yaml", "."], 0);
    assert!(err.contains("nothing to stamp in 5 inputs"), "{err}");
}

#[test]
fn write_stamps_only_the_tracked_manifest() {
    let r = repo();
    let (_, err) = r.run(&["--write", "--value", "v1", "-q", "."], 0);
    assert_eq!(err, "", "-q silences notes too");
    let read = |p: &str| fs::read_to_string(r.root.join(p)).unwrap();
    assert!(read("k8s/deploy.yaml").contains("reloaded-at: \"v1\""));
    for untouched in [
        "build/generated.yaml",
        "scratch/try.yaml",
        "local/mine.yaml",
        "out/app.rendered.yaml",
        ".git/stash.yaml",
        "charts/app/templates/sub/deploy.yaml",
    ] {
        assert_eq!(read(untouched), DEPLOY, "{untouched}");
    }
    assert_eq!(
        read("charts/app/templates/statefulset.yaml"),
        chart_template()
    );
}

#[test]
fn a_template_outside_a_chart_is_skipped_on_a_walk_and_an_error_when_named() {
    let r = repo();
    r.write("k8s/stray.yaml", &chart_template());
    let (_, err) = r.run(&["--check", "k8s"], 1);
    assert!(
        err.contains("note: k8s/stray.yaml: skipped, a Helm/Go template"),
        "{err}"
    );
    assert!(
        err.contains("in 1 of 2 inputs would be stamped; skipped 1 Helm template\n"),
        "{err}"
    );

    // Named, or on standard input: an error that says what to do.
    for args in [&["k8s/stray.yaml"][..], &["-"][..]] {
        let o = expect_code(
            cmd()
                .args(args)
                .current_dir(&r.root)
                .write_stdin(chart_template()),
            2,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.stdout.is_empty());
        assert!(err.contains("a Helm/Go template"), "{err}");
        assert!(
            err.contains("helm template RELEASE CHART | reload-stamp"),
            "{err}"
        );
        assert!(err.contains("--post-renderer"), "{err}");
    }
}

#[test]
fn yaml_that_is_not_a_kubernetes_object_passes_through_untouched() {
    let r = repo();
    let files = [
        "kustomization.yaml",
        "charts/app/Chart.yaml",
        "charts/app/values.yaml",
        ".github/workflows/ci.yaml",
        "compose.yaml",
    ];
    let mut args = vec!["--value", "v"];
    args.extend(files);
    let (out, err) = r.run(&args, 0);
    let want: Vec<String> = files
        .iter()
        .map(|f| fs::read_to_string(r.root.join(f)).unwrap())
        .collect();
    assert_eq!(out, want.join("---\n"));
    assert_eq!(err, "reload-stamp: nothing to stamp in 5 inputs\n");
}

#[test]
fn syntax_errors_name_a_recognisable_cause() {
    let r = repo();
    r.write(
        "bad/tab.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n",
    );
    r.write(
        "bad/conflict.yaml",
        "apiVersion: v1\nkind: ConfigMap\n<<<<<<< HEAD\ndata: {a: b}\n=======\ndata: {a: c}\n>>>>>>> topic\n",
    );
    r.write(
        "bad/comma.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [1,,]}\n",
    );
    let (_, err) = r.run(&["bad"], 2);
    for want in [
        "bad/comma.json:1:50: while parsing a node, did not find expected node content; JSON allows no trailing or doubled comma",
        "bad/conflict.yaml:3:1: a git merge conflict marker: resolve the conflict",
        "bad/tab.yaml:4:2: tabs disallowed",
        "the line is indented with a tab: indent with spaces",
    ] {
        assert!(err.contains(want), "{want}\n{err}");
    }
}

/// Runs `line` in a pseudo-terminal (util-linux `script`), so standard
/// error is a terminal; returns what the terminal showed.
fn on_a_terminal(dir: &Path, line: &str) -> Option<String> {
    let o = Command::new("script")
        .args(["-qec", line, "/dev/null"])
        .current_dir(dir)
        .env("TERM", "xterm")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&o.stdout).into_owned())
}

#[test]
fn progress_bar_only_on_a_terminal_and_not_with_quiet() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..1200 {
        fs::write(d.path().join(format!("s{i:04}.yaml")), "a: 1\n").unwrap();
    }
    let bin = common::bin::path();
    let bin = bin.to_string_lossy();
    // Not a terminal: no bar at all.
    let o = cmd()
        .args(["--check", "."])
        .current_dir(d.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err, "reload-stamp: nothing to stamp in 1200 inputs\n");
    let Some(shown) = on_a_terminal(d.path(), &format!("{bin} --check . >/dev/null")) else {
        eprintln!("`script` not found: the terminal half is skipped");
        return;
    };
    assert!(shown.contains("/1200 inputs"), "{shown:?}");
    assert!(
        shown.contains("nothing to stamp in 1200 inputs"),
        "{shown:?}"
    );
    let quiet = on_a_terminal(d.path(), &format!("{bin} -q --check . >/dev/null")).unwrap();
    assert_eq!(quiet, "", "{quiet:?}");
}
