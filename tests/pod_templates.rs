//! Pod templates of other kinds (issue 20, Must 6): KEDA's ScaledJob at
//! `.spec.jobTargetRef.template`, OpenKruise's CloneSet and Advanced
//! StatefulSet/DaemonSet and Knative's Service at `.spec.template`, each
//! path as its CRD's schema has it (docs/reloader-wave.md). Judged here
//! with serde_yaml, independently of the binary's parser.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_yaml::Value;

fn template(doc: &Value) -> Option<&Value> {
    let spec = doc.get("spec")?;
    match doc.get("kind")?.as_str()? {
        "ScaledJob" => spec.get("jobTargetRef")?.get("template"),
        _ => spec.get("template"),
    }
}

#[test]
fn each_kind_is_stamped_where_its_schema_puts_the_pod_template() {
    use std::io::Write;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let input = std::fs::read_to_string(dir.join("other-kinds.in.yaml")).expect("input");
    let args: Vec<String> = std::fs::read_to_string(dir.join("other-kinds.args"))
        .expect("args")
        .lines()
        .map(|l| l.replace("--value=20261124093000", "--value=7"))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reload-stamp"))
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let parse = |t: &str| -> Vec<Value> {
        serde_yaml::Deserializer::from_str(t)
            .map(|d| serde::Deserialize::deserialize(d).expect("parses"))
            .collect()
    };
    let (before, after) = (parse(&input), parse(&String::from_utf8_lossy(&out.stdout)));
    let mut stamped = Vec::new();
    for (b, a) in before.iter().zip(&after) {
        let name = b["metadata"]["name"].as_str().unwrap_or_default();
        let pinned = template(b)
            .and_then(|t| t.get("metadata"))
            .and_then(|m| m.get("name"))
            .is_some();
        match template(a) {
            Some(t) if !pinned => {
                let v = &t["metadata"]["annotations"]["reloaded-at"];
                assert_eq!(v.as_str(), Some("7"), "{name}");
                stamped.push(b["kind"].as_str().unwrap_or_default().to_string());
            }
            _ => assert_eq!(a, b, "{name} should be left alone"),
        }
    }
    assert_eq!(
        stamped,
        [
            "ScaledJob",
            "CloneSet",
            "StatefulSet",
            "DaemonSet",
            "Service"
        ]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "skipped Knative Service pinned: its template names its revision ('pinned-v1')"
        ),
        "{err}"
    );
}
