//! Selection, value and reporting options, with their error paths.

mod common;

use common::bin::{cmd, expect_code, run_ok};

/// The tool on `stdin`, which must exit with `code`: its standard output
/// and error.
#[track_caller]
fn run(args: &[&str], stdin: &str, code: i32) -> (String, String) {
    let o = expect_code(cmd().args(args).write_stdin(stdin.to_string()), code);
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn workload(
    kind: &str,
    api: &str,
    name: &str,
    ns: Option<&str>,
    labels: &[(&str, &str)],
) -> String {
    let mut s = format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n");
    if let Some(ns) = ns {
        s.push_str(&format!("  namespace: {ns}\n"));
    }
    if !labels.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in labels {
            s.push_str(&format!("    {k}: \"{v}\"\n"));
        }
    }
    if kind == "CronJob" {
        s.push_str("spec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: []\n");
    } else {
        s.push_str("spec:\n  template:\n    spec:\n      containers: []\n");
    }
    s
}

fn stream() -> String {
    [
        workload(
            "Deployment",
            "apps/v1",
            "web",
            Some("prod"),
            &[("app", "web"), ("tier", "frontend")],
        ),
        workload(
            "Deployment",
            "apps/v1",
            "api",
            Some("staging"),
            &[("app", "api"), ("tier", "backend")],
        ),
        workload(
            "StatefulSet",
            "apps/v1",
            "db",
            None,
            &[("app", "db"), ("canary", "true")],
        ),
        workload(
            "CronJob",
            "batch/v1",
            "nightly",
            Some("prod"),
            &[("app", "batch")],
        ),
        workload(
            "Rollout",
            "argoproj.io/v1alpha1",
            "ro",
            Some("prod"),
            &[("app", "ro")],
        ),
        workload(
            "CloneSet",
            "apps.kruise.io/v1alpha1",
            "cs",
            Some("prod"),
            &[],
        ),
    ]
    .join("---\n")
}

/// Names of the workloads stamped, from `--list`.
fn listed(args: &[&str]) -> Vec<String> {
    let mut a = vec!["--list", "--value", "v"];
    a.extend_from_slice(args);
    let (out, _) = run(&a, &stream(), 0);
    out.lines()
        .map(|l| l.rsplit(' ').next().unwrap().to_string())
        .collect()
}

#[test]
fn list_prints_one_line_per_stamped_workload() {
    let (out, _) = run(&["--list", "--value", "v"], &stream(), 0);
    assert_eq!(
        out,
        "<stdin>: Deployment prod/web\n<stdin>: Deployment staging/api\n<stdin>: StatefulSet db\n"
    );
}

#[test]
fn kind_replaces_the_default_set() {
    assert_eq!(listed(&["--kind", "CronJob"]), ["prod/nightly"]);
    assert_eq!(
        listed(&[
            "--kind",
            "argoproj.io/Rollout",
            "--kind",
            "apps.kruise.io/CloneSet"
        ]),
        ["prod/ro", "prod/cs"]
    );
    assert_eq!(
        listed(&["--kind", "other.io/Rollout"]),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&["--kind", "Deployment"]),
        ["prod/web", "staging/api"]
    );
}

#[test]
fn cronjob_template_is_under_job_template() {
    let input = workload("CronJob", "batch/v1beta1", "nightly", None, &[]);
    let (out, _) = run(
        &["-q", "--kind", "CronJob", "--value", common::VALUE],
        &input,
        0,
    );
    assert_eq!(
        common::check_stamp(&input, &out, &["CronJob"], "reloaded-at", common::VALUE),
        1
    );
}

#[test]
fn job_is_refused() {
    let (out, err) = run(&["--kind", "Job"], "", 2);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "reload-stamp: a Job cannot be stamped: its pod template is immutable once created (stamp the CronJob that creates it instead)\n"
    );
}

#[test]
fn name_namespace_and_selector_filters_and_together() {
    assert_eq!(listed(&["--name", "api"]), ["staging/api"]);
    assert_eq!(
        listed(&["--name", "api", "--name", "db"]),
        ["staging/api", "db"]
    );
    assert_eq!(listed(&["-n", "prod"]), ["prod/web"]);
    // No namespace is `default`, as kubectl would apply it.
    assert_eq!(listed(&["-n", "default"]), ["db"]);
    assert_eq!(listed(&["-l", "tier=frontend"]), ["prod/web"]);
    assert_eq!(listed(&["-l", "tier!=frontend"]), ["staging/api", "db"]);
    assert_eq!(listed(&["-l", "app in (web,db),!canary"]), ["prod/web"]);
    assert_eq!(listed(&["-l", "canary"]), ["db"]);
    assert_eq!(
        listed(&["-n", "prod", "-l", "tier=backend"]),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(&["--name", "web", "-n", "prod", "-l", "app=web"]),
        ["prod/web"]
    );
}

#[test]
fn bad_selector_names_the_column() {
    let (out, err) = run(&["-l", "app=web,tier in (a,b"], "", 2);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "reload-stamp: --selector 'app=web,tier in (a,b': invalid selector at column 21: expected ',' or ')' in the value set\n"
    );
    let (_, err) = run(&["-l", "app=we b"], "", 2);
    assert_eq!(err, "reload-stamp: --selector 'app=we b': invalid selector at column 8: expected ',' between requirements\n");
}

#[test]
fn time_values() {
    let d = workload("Deployment", "apps/v1", "web", None, &[]);
    let value = |args: &[&str]| {
        let (out, _) = run(args, &d, 0);
        let line = out.lines().find(|l| l.contains(": \"")).map(str::to_string);
        line.unwrap_or_default().trim().to_string()
    };
    assert_eq!(
        value(&["--at", "2026-11-24T09:30:00Z"]),
        "reloaded-at: \"20261124093000\""
    );
    assert_eq!(
        value(&["--at", "1700000000"]),
        "reloaded-at: \"20231114221320\""
    );
    assert_eq!(
        value(&["--at", "2026-11-24T10:30:00+01:00", "--format", "rfc3339"]),
        "reloaded-at: \"2026-11-24T09:30:00Z\""
    );
    assert_eq!(
        value(&["--at", "0", "--format", "%Y-%m-%d"]),
        "reloaded-at: \"1970-01-01\""
    );
    assert_eq!(
        value(&["--kubectl", "--at", "2026-11-24T09:30:00Z"]),
        "kubectl.kubernetes.io/restartedAt: \"2026-11-24T09:30:00Z\""
    );
    assert_eq!(
        value(&["--key", "example.com/restarted", "--at", "0"]),
        "example.com/restarted: \"19700101000000\""
    );
    // --local with TZ=UTC reads like UTC; with another zone it moves.
    assert_eq!(
        value(&["--local", "--at", "0"]),
        "reloaded-at: \"19700101000000\""
    );
    let o = cmd()
        .env("TZ", "Asia/Tokyo")
        .args(["--local", "--at", "0"])
        .write_stdin(d.clone())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    if std::path::Path::new("/usr/share/zoneinfo/Asia/Tokyo").exists() {
        assert!(out.contains("\"19700101090000\""), "{out}");
    }
}

#[test]
fn bad_time_and_format_are_usage_errors() {
    let (out, err) = run(&["--at", "yesterday"], "", 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "reload-stamp: invalid --at 'yesterday': expected RFC 3339 (2026-11-24T09:30:00Z) or Unix seconds\n"
    );
    let (_, err) = run(&["--format", "%Q"], "", 2);
    assert_eq!(
        err,
        "reload-stamp: invalid --format '%Q': not a strftime format (e.g. %Y%m%d%H%M%S) or 'rfc3339'\n"
    );
    expect_code(cmd().env("SOURCE_DATE_EPOCH", "soon").write_stdin(""), 2);
    let (_, err) = run(&["--key", "bad key"], "", 2);
    assert!(err.contains("invalid --key 'bad key'"), "{err}");
}

#[test]
fn value_conflicts_with_time_options() {
    for other in [["--at", "0"], ["--format", "%Y"]] {
        let (out, err) = run(&["--value", "v", other[0], other[1]], "", 2);
        assert!(out.is_empty());
        assert!(
            err.contains(&format!(
                "the argument '--value <STRING>' cannot be used with '{} <",
                other[0]
            )),
            "{err}"
        );
    }
    let (_, err) = run(&["--value", "v", "--kubectl"], "", 2);
    assert!(err.contains("cannot be used with '--kubectl'"), "{err}");
    let (_, err) = run(&["--list", "--diff"], "", 2);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn report_json_lists_every_stamp() {
    let mut input = stream();
    input = input.replacen(
        "  template:\n    spec:\n      containers: []\n",
        "  template:\n    metadata:\n      annotations:\n        reloaded-at: \"old\"\n    spec:\n      containers: []\n",
        1,
    );
    let (out, _) = run(&["--report", "json", "--value", "new"], &input, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["key"], "reloaded-at");
    assert_eq!(v["files_changed"], 1);
    let s = v["stamped"].as_array().unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(s[0]["path"], "<stdin>");
    assert_eq!(s[0]["kind"], "Deployment");
    assert_eq!(s[0]["namespace"], "prod");
    assert_eq!(s[0]["name"], "web");
    assert_eq!(s[0]["line"], 1);
    assert_eq!(s[0]["previous"], "old");
    assert_eq!(s[0]["value"], "new");
    assert_eq!(s[2]["namespace"], serde_json::Value::Null);
    assert_eq!(s[2]["previous"], serde_json::Value::Null);
}

#[test]
fn rollout_with_workload_ref_is_reported_and_skipped() {
    let input = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: ro\nspec:\n  workloadRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: web\n";
    let (out, err) = run(&["--kind", "argoproj.io/Rollout", "--value", "v"], input, 0);
    assert_eq!(out, input);
    assert!(
        err.contains(
            "reload-stamp: warning: <stdin>:1:1: skipped Rollout ro: it uses spec.workloadRef"
        ),
        "{err}"
    );
}

#[test]
fn completions_and_man_page() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run_ok(cmd().args(["--completions", shell]));
        assert!(String::from_utf8_lossy(&o.stdout).contains("reload-stamp"));
    }
    let o = run_ok(cmd().arg("--man"));
    assert!(String::from_utf8_lossy(&o.stdout).contains(".TH reload-stamp 1"));
}

/// Kubernetes label-selector semantics, valid and invalid.
/// `--key` and `-l` check keys with one validator (apimachinery's
/// `IsQualifiedName`): a prefix label longer than 63 characters is valid
/// in both, as the API server accepts it.
#[test]
fn key_and_selector_agree_on_qualified_names() {
    let key = format!("{}.example.com/rev", "a".repeat(64));
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\nspec:\n  template:\n    spec:\n      containers: []\n";
    for args in [
        vec![
            "--key".to_string(),
            key.clone(),
            "--value".into(),
            "v".into(),
        ],
        vec![
            "-l".to_string(),
            format!("!{key}"),
            "--value".into(),
            "v".into(),
        ],
    ] {
        run_ok(cmd().args(&args).write_stdin(deploy));
    }
    for args in [
        vec![
            "--key".to_string(),
            "a/b/c".into(),
            "--value".into(),
            "v".into(),
        ],
        vec![
            "-l".to_string(),
            "a/b/c".into(),
            "--value".into(),
            "v".into(),
        ],
    ] {
        expect_code(cmd().args(&args).write_stdin(deploy), 2);
    }
}
