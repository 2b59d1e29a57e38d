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
use common::per_source::{is_source_key, judge_generated, take_annotations, with_sources, APP};
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn generated_manifests_take_exactly_their_per_source_keys(nums in prop::collection::vec(any::<u32>(), 1..80)) {
        let input = with_sources(&manifest(&mut Cycle { nums: &nums, i: 0 }));
        let opts = Options::config_hash().per_source(true).jobs(2);
        let out = stamp_bytes(input.as_bytes(), &opts)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{input}")))?;
        let output = out.output.unwrap_or_else(|| input.clone());
        judge_generated(&input, &output, &digest_outside(APP, None));
        // A second run changes nothing.
        let again = stamp_bytes(output.as_bytes(), &opts).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again.output, None);
    }
}
