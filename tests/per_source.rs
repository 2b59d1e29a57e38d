//! Per-source keys (issue 20, Must 5): with `--per-source` each stamped
//! workload also holds one annotation per source, its own digest, and the
//! keys of sources it no longer uses are gone.
//!
//! Each case is judged by serde_yaml (libyaml), not by the tool's parser:
//! the output must read as the input with the pod templates' annotations
//! changed exactly so, every digest recomputed here with `sha256sum` or
//! `openssl` from the documented layout. A second run must change nothing.

mod common;

use common::digest_outside;
use common::gen::{manifest, Cycle};
use proptest::prelude::*;
use reload_stamp::{stamp_bytes, stamp_str, Options};
use serde_yaml::{Mapping, Value};

/// The sources every case can use, and the layout of each one's digest.
const SOURCES: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {level: debug}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: log}
data: {format: json}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: hunter2}
---
";
const APP: &[u8] = b"ConfigMap\0app\0data\0level\0debug\0\0";
const LOG: &[u8] = b"ConfigMap\0log\0data\0format\0json\0\0";
const DB: &[u8] = b"Secret\0db\0stringData\0password\0hunter2\0\0";

struct Case {
    name: &'static str,
    /// The workload documents, after [`SOURCES`].
    workloads: &'static str,
    /// Per workload in order: its per-source keys and their layouts.
    want: &'static [&'static [(&'static str, &'static [u8])]],
}

const CASES: &[Case] = &[
    Case {
        name: "block: stale key removed, foreign keys kept, new keys appended",
        workloads: "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      annotations:
        configmap.reload-stamp.io/gone: \"1\"   # a comment
        checksum/configmap-app: \"mine\"
        secret.reload-stamp.io/db: \"stale\"
    spec:
      containers:
      - name: web
        envFrom: [{configMapRef: {name: app}}, {secretRef: {name: db}}]
",
        want: &[&[
            ("configmap.reload-stamp.io/app", APP),
            ("secret.reload-stamp.io/db", DB),
        ]],
    },
    Case {
        name: "flow: first, middle and only entries removed",
        workloads: "apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
spec:
  template:
    metadata:
      annotations: {configmap.reload-stamp.io/x: \"1\", team: a, secret.reload-stamp.io/y: \"2\", z: \"3\"}
    spec:
      containers: [{name: a, envFrom: [{configMapRef: {name: log}}]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: b}
spec:
  template:
    metadata: {annotations: {configmap.reload-stamp.io/x: \"1\"}}
    spec:
      containers: [{name: b, envFrom: [{configMapRef: {name: app}}]}]
",
        want: &[
            &[("configmap.reload-stamp.io/log", LOG)],
            &[("configmap.reload-stamp.io/app", APP)],
        ],
    },
    Case {
        name: "no metadata, CRLF line breaks",
        workloads: "apiVersion: apps/v1\r
kind: DaemonSet\r
metadata:\r
  name: agent\r
spec:\r
  template:\r
    spec:\r
      containers:\r
      - name: agent\r
        env:\r
        - name: P\r
          valueFrom: {secretKeyRef: {name: db, key: password}}\r
        - name: L\r
          valueFrom: {configMapKeyRef: {name: log, key: format}}\r
",
        want: &[&[
            ("configmap.reload-stamp.io/log", LOG),
            ("secret.reload-stamp.io/db", DB),
        ]],
    },
    Case {
        name: "JSON",
        workloads: r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "j"},
 "spec": {"template": {"metadata": {"annotations": {"configmap.reload-stamp.io/old": "1"}},
  "spec": {"containers": [{"name": "j", "envFrom": [{"configMapRef": {"name": "app"}}]}]}}}}
"#,
        want: &[&[("configmap.reload-stamp.io/app", APP)]],
    },
    Case {
        name: "a List: each item its own keys",
        workloads: "apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: one}
  spec:
    template:
      metadata:
        annotations:
          configmap.reload-stamp.io/log: \"old\"
      spec:
        containers: [{name: one, envFrom: [{configMapRef: {name: app}}]}]
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: two}
  spec:
    template:
      spec:
        containers: [{name: two, envFrom: [{configMapRef: {name: log}}, {configMapRef: {name: app}}]}]
",
        want: &[
            &[("configmap.reload-stamp.io/app", APP)],
            &[
                ("configmap.reload-stamp.io/app", APP),
                ("configmap.reload-stamp.io/log", LOG),
            ],
        ],
    },
];

/// The workloads of a document: itself, or a List's items.
fn workloads(doc: &mut Value) -> Vec<&mut Value> {
    if doc.get("items").is_some_and(Value::is_sequence) {
        return doc["items"]
            .as_sequence_mut()
            .map(|s| s.iter_mut().collect())
            .unwrap_or_default();
    }
    match doc.get("spec") {
        Some(_) => vec![doc],
        None => Vec::new(),
    }
}

fn annotations_mut(w: &mut Value) -> Option<&mut Mapping> {
    w.get_mut("spec")?
        .get_mut("template")?
        .get_mut("metadata")?
        .get_mut("annotations")?
        .as_mapping_mut()
}

/// Takes the pod template's annotations out of `w` (dropping an emptied
/// `metadata`), so the rest can be compared.
fn take_annotations(w: &mut Value) -> Mapping {
    let taken = annotations_mut(w).map(std::mem::take).unwrap_or_default();
    let t = w.get_mut("spec").and_then(|s| s.get_mut("template"));
    if let Some(Value::Mapping(t)) = t {
        let empty = match t.get_mut("metadata") {
            Some(Value::Mapping(m)) => {
                m.remove("annotations");
                m.is_empty()
            }
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            t.remove("metadata");
        }
    }
    taken
}

fn is_source_key(k: &Value) -> bool {
    k.as_str().is_some_and(|k| {
        ["configmap", "secret", "secretproviderclass"]
            .iter()
            .any(|p| k.starts_with(&format!("{p}.reload-stamp.io/")))
    })
}

/// Checks `output` against `input` for `case`, with digests keyed by
/// `hmac`.
fn judge(case: &Case, input: &str, output: &str, hmac: Option<&str>) {
    let read = |t: &str| common::load_all(t).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let (mut before, mut after) = (read(input), read(output));
    assert_eq!(before.len(), after.len(), "{}", case.name);
    let mut wants = case.want.iter();
    for (b, a) in before.iter_mut().zip(after.iter_mut()) {
        for (bw, aw) in workloads(b).into_iter().zip(workloads(a)) {
            let want = wants.next().expect("a workload the case does not list");
            let mut expected: Mapping = take_annotations(bw)
                .into_iter()
                .filter(|(k, _)| !is_source_key(k))
                .collect();
            let mut got = take_annotations(aw);
            let hash = got.remove("checksum/config");
            assert!(hash.is_some(), "{}: no checksum/config", case.name);
            expected.remove("checksum/config");
            for (k, layout) in *want {
                expected.insert(k.to_string().into(), digest_outside(layout, hmac).into());
            }
            assert_eq!(got, expected, "{}", case.name);
        }
        assert_eq!(b, a, "{}: more than the annotations changed", case.name);
    }
    assert!(
        wants.next().is_none(),
        "{}: a workload was not found",
        case.name
    );
}

#[test]
fn per_source_keys_are_exactly_the_sources() {
    for hmac in [None, Some("team-key")] {
        for case in CASES {
            let input = format!("{SOURCES}{}", case.workloads);
            let mut opts = Options::config_hash().per_source(true);
            if let Some(k) = hmac {
                opts = opts.hmac_key(k.as_bytes());
            }
            let out = stamp_str(&input, &opts).unwrap_or_else(|e| panic!("{}: {e}", case.name));
            let output = out
                .output
                .unwrap_or_else(|| panic!("{}: unchanged", case.name));
            judge(case, &input, &output, hmac);
            let again = stamp_str(&output, &opts).unwrap();
            assert_eq!(again.output, None, "{}: a second run changed it", case.name);
            // Without the option the keys are left as they are.
            let plain = stamp_str(
                &output,
                &Options::config_hash().key("checksum/config").unwrap(),
            );
            if hmac.is_none() {
                assert_eq!(plain.unwrap().output, None, "{}", case.name);
            }
        }
    }
}

#[test]
fn a_source_dropped_takes_its_key_with_it() {
    let web = CASES[0].workloads;
    let input = format!("{SOURCES}{web}");
    let opts = Options::config_hash().per_source(true);
    let first = stamp_str(&input, &opts).unwrap().output.unwrap();
    assert!(first.contains("secret.reload-stamp.io/db: \""));
    let dropped = first.replace(", {secretRef: {name: db}}", "");
    let second = stamp_str(&dropped, &opts).unwrap().output.unwrap();
    assert!(!second.contains("secret.reload-stamp.io/db"), "{second}");
    let app = digest_outside(APP, None);
    // One source left: the workload's digest is its own.
    assert!(
        second.contains(&format!("checksum/config: \"{app}\"")),
        "{second}"
    );
    assert!(second.contains(&format!("configmap.reload-stamp.io/app: \"{app}\"")));
    // Nothing else differs: the Secret's line went, the digest changed.
    let line = |t: &str, key: &str| {
        let l = t.lines().find(|l| l.contains(key)).unwrap();
        format!("{l}\n")
    };
    let want = dropped
        .replace(&line(&dropped, "secret.reload-stamp.io/db"), "")
        .replace(
            &line(&dropped, "checksum/config:"),
            &format!("        checksum/config: \"{app}\"\n"),
        );
    assert_eq!(second, want);
}

#[test]
fn only_a_stale_per_source_key_is_still_a_change() {
    // The workload's digest is right; one per-source key is missing.
    let app = digest_outside(APP, None);
    let input = format!(
        "{SOURCES}apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w}}\nspec:\n  template:\n    metadata:\n      annotations:\n        checksum/config: \"{app}\"\n    spec:\n      containers: [{{name: w, envFrom: [{{configMapRef: {{name: app}}}}]}}]\n"
    );
    let out = stamp_str(&input, &Options::config_hash()).unwrap();
    assert_eq!(out.output, None, "without --per-source it is up to date");
    let out = stamp_str(&input, &Options::config_hash().per_source(true)).unwrap();
    let s = &out.stamps[0];
    assert_eq!(s.previous.as_deref(), Some(app.as_str()));
    assert_eq!(s.value, app);
    let want = input.replace(
        &format!("checksum/config: \"{app}\"\n"),
        &format!("checksum/config: \"{app}\"\n        configmap.reload-stamp.io/app: \"{app}\"\n"),
    );
    assert_eq!(out.output.as_deref(), Some(want.as_str()));
}

#[test]
fn the_command_line_and_check_know_the_option() {
    use common::bin::{cmd, expect_code, run_ok};
    let input = format!("{SOURCES}{}", CASES[0].workloads);
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--per-source"])
            .write_stdin(input.clone()),
    );
    let out = String::from_utf8(o.stdout).unwrap();
    judge(&CASES[0], &input, &out, None);
    expect_code(
        cmd()
            .args(["--config-hash", "--per-source", "--check", "-"])
            .write_stdin(out.clone()),
        0,
    );
    expect_code(
        cmd()
            .args(["--config-hash", "--per-source", "--check", "-"])
            .write_stdin(input),
        1,
    );
    let o = expect_code(cmd().args(["--per-source", "-"]).write_stdin(out), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--per-source needs --config-hash"));
}

/// A generated manifest (every style the time stamp handles) made to use
/// ConfigMap `app`, appended: each container reads it, and the generator's
/// own annotation keys become per-source keys of sources it does not use.
fn with_sources(generated: &str) -> String {
    let nl = if generated.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut s = String::new();
    for line in generated.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let indent = body.len() - body.trim_start().len();
        let line = line
            .replace("k0:", "configmap.reload-stamp.io/k0:")
            .replace("k2:", "secret.reload-stamp.io/k2:")
            .replace("{a: b", "{configmap.reload-stamp.io/a: b")
            .replace("\"c\": 'd'", "\"secretproviderclass.reload-stamp.io/c\": 'd'")
            .replace("\"a\": \"b\"", "\"configmap.reload-stamp.io/a\": \"b\"")
            .replace("\"containers\": []", "\"containers\": [{\"name\": \"c\", \"envFrom\": [{\"configMapRef\": {\"name\": \"app\"}}]}]")
            .replace("\"containers\":[]", "\"containers\":[{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"app\"}}]}]")
            .replace("containers: []", "containers: [{name: c, envFrom: [{configMapRef: {name: app}}]}]");
        s.push_str(&line);
        if body.trim_start() == "image: nginx" {
            if line.len() == body.len() {
                s.push_str(nl);
            }
            s.push_str(&" ".repeat(indent));
            s.push_str("envFrom: [{configMapRef: {name: app}}]");
            s.push_str(&line[body.len()..]);
        }
    }
    if !s.ends_with('\n') {
        s.push_str(nl);
    }
    let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {level: debug}\n";
    s.push_str(&cm.replace('\n', nl));
    s
}

/// The workloads of a generated document: the default kinds with a pod
/// template, alone or as List items.
fn generated_workloads(doc: &mut Value) -> Vec<&mut Value> {
    let is_workload = |v: &Value| {
        v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| common::DEFAULT_KINDS.contains(&k))
            && v.get("spec").and_then(|s| s.get("template")).is_some()
    };
    if doc.get("items").is_some_and(Value::is_sequence) {
        let items = doc["items"].as_sequence_mut().unwrap();
        return items.iter_mut().filter(|v| is_workload(v)).collect();
    }
    match is_workload(doc) {
        true => vec![doc],
        false => Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_take_exactly_their_per_source_keys(nums in prop::collection::vec(any::<u32>(), 1..80)) {
        let input = with_sources(&manifest(&mut Cycle { nums: &nums, i: 0 }));
        let opts = Options::config_hash().per_source(true).jobs(2);
        let out = stamp_bytes(input.as_bytes(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
        let output = out.output.unwrap_or_else(|| input.clone());
        let app = digest_outside(APP, None);
        let (mut before, mut after) = (
            common::load_all(&input).map_err(TestCaseError::fail)?,
            common::load_all(&output).map_err(|e| TestCaseError::fail(format!("{e}\n{output}")))?,
        );
        prop_assert_eq!(before.len(), after.len());
        for (b, a) in before.iter_mut().zip(after.iter_mut()) {
            for (bw, aw) in generated_workloads(b).into_iter().zip(generated_workloads(a)) {
                let mut want: Mapping = take_annotations(bw)
                    .into_iter()
                    .filter(|(k, _)| !is_source_key(k) && k.as_str() != Some("checksum/config"))
                    .collect();
                want.insert("checksum/config".into(), app.clone().into());
                want.insert("configmap.reload-stamp.io/app".into(), app.clone().into());
                prop_assert_eq!(take_annotations(aw), want, "{}\n---- output:\n{}", input, output);
            }
            prop_assert_eq!(&*b, &*a, "more than the annotations changed:\n{}", output);
        }
        // A second run changes nothing.
        let again = stamp_bytes(output.as_bytes(), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.output, None);
    }
}
