//! Opt-outs at the command line (issue 20, Must 1): a workload annotated
//! `reload-stamp/skip: "true"`, Reloader's `reloader.stakater.com/auto:
//! "false"` or wave's `wave.pusher.com/update-on-config-change: "false"` is
//! never stamped: not with a time, not with a config hash, not by `--write`,
//! and `--check` does not count it stale.
//!
//! The expectation is computed here from serde_yaml's reading of the
//! annotations, independently of the binary's parser and of its rules
//! module.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_yaml::Value;

const VALUE: &str = "20261124093000";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_reload-stamp"))
}

fn run(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run reload-stamp");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("parses"))
        .filter(|v: &Value| !v.is_null())
        .collect()
}

fn annotation<'v>(obj: &'v Value, path: &[&str], key: &str) -> Option<&'v str> {
    let mut cur = obj;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

/// Go's strconv.ParseBool false values (Reloader reads `auto` with it).
fn go_false(v: Option<&str>) -> bool {
    matches!(v, Some("0" | "f" | "F" | "FALSE" | "false" | "False"))
}

/// The opt-out rule, as documented in README and docs/contract.md.
fn opted_out(doc: &Value) -> bool {
    let own = |k| annotation(doc, &[], k);
    let pod = |k| annotation(doc, &["spec", "template"], k);
    let auto = own("reloader.stakater.com/auto").or(pod("reloader.stakater.com/auto"));
    own("reload-stamp/skip") == Some("true")
        || go_false(auto)
        || go_false(own("wave.pusher.com/update-on-config-change"))
}

fn golden(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/golden")
        .join(name);
    std::fs::read_to_string(p).expect("golden input")
}

#[test]
fn opted_out_workloads_keep_their_bytes_and_the_others_are_stamped() {
    for (file, args, key) in [
        ("opt-out.in.yaml", &["--value", VALUE][..], "reloaded-at"),
        (
            "opt-out-config-hash.in.yaml",
            &["--config-hash"][..],
            "checksum/config",
        ),
    ] {
        let input = golden(file);
        let out = run(args, &input);
        assert_eq!(out.status.code(), Some(0), "{file}: {out:?}");
        let output = String::from_utf8(out.stdout).expect("utf-8");
        let (before, after) = (docs(&input), docs(&output));
        assert_eq!(before.len(), after.len(), "{file}");
        let (mut kept, mut stamped) = (0, 0);
        for (b, a) in before.iter().zip(&after) {
            if b.get("kind").and_then(Value::as_str) == Some("ConfigMap") {
                assert_eq!(a, b, "{file}");
                continue;
            }
            let name = b["metadata"]["name"].as_str().unwrap_or_default();
            if opted_out(b) {
                assert_eq!(a, b, "{file}: {name} is opted out but changed");
                kept += 1;
            } else {
                let v = annotation(a, &["spec", "template"], key);
                assert!(
                    v.is_some_and(|v| !v.is_empty()),
                    "{file}: {name} not stamped"
                );
                stamped += 1;
            }
        }
        // The inputs hold both kinds of workload, so either half can fail.
        assert!(
            kept >= 3 && stamped >= 1,
            "{file}: {kept} kept, {stamped} stamped"
        );
    }
}

#[test]
fn check_and_write_leave_opted_out_workloads_alone() {
    let stale = |annotations: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: app}}\ndata: {{level: debug}}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: db\n  annotations: {{{annotations}}}\n\
             spec:\n  template:\n    metadata:\n      annotations:\n        checksum/config: stale\n\
             \x20   spec:\n      containers:\n      - name: db\n        envFrom:\n        - configMapRef: {{name: app}}\n"
        )
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for (annotations, out) in [
        ("", false),
        ("reload-stamp/skip: \"false\"", false),
        ("reload-stamp/skip: \"true\"", true),
        ("reloader.stakater.com/auto: \"false\"", true),
        ("wave.pusher.com/update-on-config-change: \"false\"", true),
    ] {
        let text = stale(annotations);
        let check = run(&["--config-hash", "--check"], &text);
        let want = if out { 0 } else { 1 };
        assert_eq!(
            check.status.code(),
            Some(want),
            "--check, {annotations:?}: {check:?}"
        );
        let file = dir.path().join("m.yaml");
        std::fs::write(&file, &text).expect("write");
        let write = bin()
            .args(["--config-hash", "--write", "--quiet"])
            .arg(&file)
            .output()
            .expect("run");
        assert_eq!(write.status.code(), Some(0), "{write:?}");
        let after = std::fs::read_to_string(&file).expect("read");
        assert_eq!(after == text, out, "--write, {annotations:?}:\n{after}");
        // Time stamps too.
        let stamp = run(&["--value", VALUE, "--check"], &text);
        assert_eq!(
            stamp.status.code(),
            Some(want),
            "time --check, {annotations:?}"
        );
    }
}

#[test]
fn an_unclear_skip_value_is_refused_with_its_position() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    reload-stamp/skip: \"yes\"\nspec:\n  template: {}\n";
    let out = run(&["--value", VALUE], text);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:6:24:"), "{err}");
    assert!(err.contains("must be \"true\""), "{err}");
}
