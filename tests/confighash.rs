//! Config-hash mode: the digest follows exactly the data a pod template uses.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::bin::{cmd, expect_code, run_ok};

fn deployment(name: &str, ns: Option<&str>, pod_spec: &str) -> String {
    let ns = ns
        .map(|n| format!("  namespace: {n}\n"))
        .unwrap_or_default();
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n{ns}spec:\n  template:\n    spec:\n{pod_spec}")
}

fn configmap(name: &str, extra_meta: &str, data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{extra_meta}data:\n{data}")
}

const USES_A: &str = "      containers:\n      - name: c\n        envFrom:\n        - configMapRef:\n            name: a\n";
const USES_B: &str = "      volumes:\n      - name: v\n        configMap:\n          name: b\n      containers:\n      - name: c\n";
const USES_AB: &str = "      containers:\n      - name: c\n        env:\n        - name: X\n          valueFrom:\n            configMapKeyRef:\n              name: a\n              key: k\n      initContainers:\n      - name: i\n        envFrom:\n        - configMapRef:\n            name: b\n";

/// Runs config-hash mode over `files` (name → text) in a temporary
/// directory; returns each workload's hash by name and the stderr.
fn hashes(files: &[(&str, String)]) -> (BTreeMap<String, String>, String) {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(d.path().join(name), text).unwrap();
    }
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--report", "json"])
            .arg(d.path()),
    );
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let map = v["stamped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (map, err)
}

fn base() -> Vec<(&'static str, String)> {
    vec![
        ("a.yaml", configmap("a", "", "  k: one\n  j: two\n")),
        ("b.yaml", configmap("b", "", "  x: \"1\"\n")),
        ("w1.yaml", deployment("uses-a", None, USES_A)),
        ("w2.yaml", deployment("uses-b", None, USES_B)),
        ("w3.yaml", deployment("uses-ab", None, USES_AB)),
    ]
}

#[test]
fn one_changed_key_changes_exactly_the_workloads_that_use_that_key() {
    let (before, _) = hashes(&base());
    assert_eq!(before.len(), 3);
    // uses-a reads all of a (envFrom); uses-ab only its key k.
    let mut changed = base();
    changed[0].1 = configmap("a", "", "  k: one\n  j: three\n");
    let (after, _) = hashes(&changed);
    assert_ne!(before["uses-a"], after["uses-a"]);
    assert_eq!(
        before["uses-ab"], after["uses-ab"],
        "an unreferenced key changes nothing"
    );
    assert_eq!(before["uses-b"], after["uses-b"]);
    changed[0].1 = configmap("a", "", "  k: uno\n  j: two\n");
    let (after, _) = hashes(&changed);
    assert_ne!(before["uses-a"], after["uses-a"]);
    assert_ne!(before["uses-ab"], after["uses-ab"]);
    assert_eq!(before["uses-b"], after["uses-b"]);
}

#[test]
fn labels_annotations_and_key_order_change_nothing() {
    let (before, _) = hashes(&base());
    let mut changed = base();
    changed[0].1 = configmap(
        "a",
        "  labels:\n    app: x\n  annotations:\n    note: y\n",
        "  j: two\n  k: one   # reordered\n",
    );
    let (after, _) = hashes(&changed);
    assert_eq!(before, after);
}

#[test]
fn the_digest_is_the_documented_layout() {
    // printf 'ConfigMap\0a\0data\0j\0two\0k\0one\0\0' | sha256sum
    let (h, _) = hashes(&base());
    assert_eq!(
        h["uses-a"],
        "d885ca43e73d8bba3d5de5be92375362f381df01c8c80b20113f32de59788db3"
    );
}

#[test]
fn secrets_by_data_and_string_data() {
    let secret = |section: &str, value: &str| {
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ntype: Opaque\n{section}:\n  password: {value}\n")
    };
    let uses = deployment(
        "w",
        None,
        "      volumes:\n      - name: s\n        secret:\n          secretName: s\n      containers: []\n",
    );
    let h = |s: String| hashes(&[("s.yaml", s), ("w.yaml", uses.clone())]).0["w"].clone();
    let data = h(secret("data", "aHVudGVyMg=="));
    let string_data = h(secret("stringData", "hunter2"));
    assert_ne!(data, string_data, "sections are tagged");
    assert_ne!(string_data, h(secret("stringData", "hunter3")));
    assert_eq!(data, h(secret("data", "\"aHVudGVyMg==\"")));
}

#[test]
fn projected_sources_are_followed() {
    let pod = "      volumes:\n      - name: p\n        projected:\n          sources:\n          - configMap:\n              name: a\n          - secret:\n              name: s\n      containers: []\n";
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  t: v\n".to_string();
    let (h1, _) = hashes(&[
        ("a.yaml", base()[0].1.clone()),
        ("s.yaml", secret.clone()),
        ("w.yaml", deployment("w", None, pod)),
    ]);
    let (h2, _) = hashes(&[
        ("a.yaml", base()[0].1.clone()),
        ("s.yaml", secret.replace("t: v", "t: w")),
        ("w.yaml", deployment("w", None, pod)),
    ]);
    assert_ne!(h1["w"], h2["w"]);
}

#[test]
fn missing_references_warn_unless_optional() {
    let pod = "      containers:\n      - name: c\n        envFrom:\n        - configMapRef:\n            name: a\n        - secretRef:\n            name: gone\n        - configMapRef:\n            name: maybe\n            optional: true\n";
    let (h, err) = hashes(&[
        ("a.yaml", base()[0].1.clone()),
        ("w.yaml", deployment("w", Some("prod"), pod)),
    ]);
    // a is in no namespace, w in prod: not found either.
    assert!(h.is_empty());
    assert!(err.contains("w.yaml:15:19: Deployment prod/w references Secret 'gone', which is not among the inputs"), "{err}");
    assert!(
        err.contains("Deployment prod/w references ConfigMap 'a'"),
        "{err}"
    );
    assert!(!err.contains("maybe"), "{err}");
    let (h, err) = hashes(&[
        (
            "a.yaml",
            base()[0]
                .1
                .replace("  name: a\n", "  name: a\n  namespace: prod\n"),
        ),
        ("w.yaml", deployment("w", Some("prod"), pod)),
    ]);
    assert_eq!(h.len(), 1);
    assert!(!err.contains("ConfigMap 'a'"));
    assert!(err.contains("Secret 'gone'"));
}

#[test]
fn idempotent_and_check_detects_staleness() {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in base() {
        fs::write(d.path().join(name), text).unwrap();
    }
    let run = |args: &[&str]| {
        cmd()
            .args(args)
            .arg(d.path())
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(run(&["--config-hash", "--check", "-q"]), Some(1));
    assert_eq!(run(&["--config-hash", "--write", "-q"]), Some(0));
    let snapshot = |p: &Path| fs::read_to_string(p.join("w1.yaml")).unwrap();
    let first = snapshot(d.path());
    assert!(first.contains("checksum/config: \""));
    assert_eq!(run(&["--config-hash", "--check", "-q"]), Some(0));
    assert_eq!(run(&["--config-hash", "--write", "-q"]), Some(0));
    assert_eq!(snapshot(d.path()), first, "second run changed the file");
    fs::write(d.path().join("a.yaml"), configmap("a", "", "  k: new\n")).unwrap();
    assert_eq!(run(&["--config-hash", "--check", "-q"]), Some(1));
}

#[test]
fn lists_stdin_and_files_are_one_run() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.yaml"), base()[0].1.clone()).unwrap();
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {}\n",
        deployment("in-list", None, USES_A)
            .replace('\n', "\n  ")
            .trim_end()
    );
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--list", "-"])
            .arg(d.path().join("a.yaml"))
            .write_stdin(list),
    );
    // The workload, then the one ConfigMap its hash covers, where it was
    // found, and that object's own digest.
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "<stdin>: Deployment in-list", "{out}");
    let a = d.path().join("a.yaml");
    let prefix = format!("<stdin>:   ConfigMap a at {}:1: ", a.display());
    assert!(lines[1].starts_with(&prefix), "{out}");
    assert_eq!(lines[1].len(), prefix.len() + 64, "{out}");
    assert_eq!(lines.len(), 2, "{out}");
}

/// A ConfigMap that is an item of any object with `items` (a list to
/// kubectl, whatever its kind) is hashed as it is at the top level.
#[test]
fn items_of_any_kind_are_objects() {
    let item = |text: String| format!("- {}\n", text.replace('\n', "\n  ").trim_end());
    let cm = configmap("a", "", "  k: v\n");
    let top = hashes(&[
        ("a.yaml", cm.clone()),
        ("d.yaml", deployment("web", None, USES_A)),
    ])
    .0;
    let listed = format!(
        "apiVersion: example.com/v1\nkind: Bundle\nitems:\n{}",
        item(cm)
    );
    let inner = hashes(&[
        ("a.yaml", listed),
        ("d.yaml", deployment("web", None, USES_A)),
    ])
    .0;
    assert_eq!(top, inner);
    let other = hashes(&[
        ("a.yaml", configmap("a", "", "  k: w\n")),
        ("d.yaml", deployment("web", None, USES_A)),
    ])
    .0;
    assert_ne!(top, other, "the ConfigMap's data is hashed");
}

#[test]
fn kustomize_style_hash_suffixed_names() {
    let cm = configmap(
        "web-config-5g7h8k9m2t",
        "  namespace: prod\n",
        "  app.conf: |\n    listen 80;\n",
    );
    let pod = "      containers:\n      - name: web\n        envFrom:\n        - configMapRef:\n            name: web-config-5g7h8k9m2t\n";
    let stream = format!("{cm}---\n{}", deployment("web", Some("prod"), pod));
    let o = run_ok(
        cmd()
            .args(["--config-hash", "-q", "-n", "prod"])
            .write_stdin(stream.clone()),
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("      annotations:\n        checksum/config: \""),
        "{out}"
    );
    // Filters still apply.
    let o = cmd()
        .args(["--config-hash", "-q", "-n", "dev"])
        .write_stdin(stream.clone())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), stream);
}

#[test]
fn real_kustomize_build_when_kubectl_is_present() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/kustomize/node-feature-discovery/overlays/default");
    let Ok(built) = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&tree)
        .output()
    else {
        eprintln!("kubectl not found: skipped");
        return;
    };
    if !built.status.success() {
        eprintln!("kustomize build failed: skipped");
        return;
    }
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--report", "json"])
            .write_stdin(built.stdout.clone()),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !v["stamped"].as_array().unwrap().is_empty(),
        "the generated ConfigMaps are referenced"
    );
    // Running again on the stamped stream changes nothing.
    let stamped = cmd()
        .args(["--config-hash", "-q"])
        .write_stdin(built.stdout)
        .output()
        .unwrap()
        .stdout;
    run_ok(
        cmd()
            .args(["--config-hash", "--check", "-q"])
            .write_stdin(stamped),
    );
}

/// The tree: a base and an overlay that patches the base's
/// ConfigMap. Walked as plain files, the run holds two `app` ConfigMaps;
/// hashing either would be a guess, so the run stops and names both.
#[test]
fn two_different_definitions_are_an_error_naming_both() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base");
    let prod = d.path().join("overlays/prod");
    fs::create_dir_all(&base).unwrap();
    fs::create_dir_all(&prod).unwrap();
    let deploy = deployment("web", None, USES_A).replace("name: a\n", "name: app\n");
    fs::write(base.join("deploy.yaml"), &deploy).unwrap();
    fs::write(base.join("cm.yaml"), configmap("app", "", "  LOG: info\n")).unwrap();
    fs::write(
        prod.join("cm-patch.yaml"),
        configmap("app", "", "  LOG: debug\n"),
    )
    .unwrap();
    let o = expect_code(
        cmd()
            .args(["--config-hash", "--write"])
            .arg(d.path())
            .current_dir(d.path()),
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    let base_deploy = base.join("deploy.yaml");
    assert_eq!(
        fs::read_to_string(&base_deploy).unwrap(),
        deploy,
        "nothing written"
    );
    let shown = |p: &Path| p.to_string_lossy().into_owned();
    assert!(
        err.contains(&format!(
            "{}:12:19: ConfigMap 'app' has 2 different definitions in this run ({}:1:1, {}:1:1)",
            shown(&base_deploy),
            shown(&base.join("cm.yaml")),
            shown(&prod.join("cm-patch.yaml")),
        )),
        "{err}"
    );
    assert!(err.contains("kustomize"), "{err}");

    // The same data twice (a copy) is one definition: no error.
    fs::write(
        prod.join("cm-patch.yaml"),
        configmap("app", "  labels: {a: b}\n", "  LOG: info\n"),
    )
    .unwrap();
    // --check exits 1 (the stamp is missing) and names no error.
    let check = || {
        expect_code(
            cmd().args(["--config-hash", "--check", "-q"]).arg(d.path()),
            1,
        );
    };
    check();
    // In another namespace it is another object: no error either.
    fs::write(
        prod.join("cm-patch.yaml"),
        configmap("app", "  namespace: prod\n", "  LOG: debug\n"),
    )
    .unwrap();
    check();
}

#[test]
fn per_key_references_hash_only_their_keys() {
    // A volume with items, and a secretKeyRef: keys x of cm, p of s.
    let pod = "      volumes:\n      - name: v\n        configMap:\n          name: cm\n          items:\n          - key: x\n            path: x.conf\n      containers:\n      - name: c\n        env:\n        - name: P\n          valueFrom:\n            secretKeyRef:\n              name: s\n              key: p\n";
    let files = |x: &str, y: &str, q: &str| {
        vec![
            ("cm.yaml", configmap("cm", "", &format!("  x: {x}\n  y: {y}\n"))),
            ("s.yaml", format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  p: pw\n  q: {q}\n")),
            ("w.yaml", deployment("w", None, pod)),
        ]
    };
    let (h, _) = hashes(&files("1", "2", "3"));
    assert_eq!(
        h["w"],
        common::digest_outside(
            b"ConfigMap\0cm\0data\0x\x001\0\0Secret\0s\0stringData\0p\0pw\0\0",
            None
        )
    );
    assert_eq!(hashes(&files("1", "changed", "changed")).0["w"], h["w"]);
    assert_ne!(hashes(&files("changed", "2", "3")).0["w"], h["w"]);
    // A second reference to all of cm makes every key count.
    let both = pod.replace("      containers:\n      - name: c\n", "      containers:\n      - name: c\n        envFrom:\n        - configMapRef:\n            name: cm\n");
    let mut f = files("1", "2", "3");
    f[2].1 = deployment("w", None, &both);
    let whole = hashes(&f).0["w"].clone();
    f[0].1 = configmap("cm", "", "  x: 1\n  y: changed\n");
    assert_ne!(hashes(&f).0["w"], whole);
}

#[test]
fn sealed_external_and_sops_secrets_count_as_the_secret() {
    let uses_s = "      containers:\n      - name: c\n        envFrom:\n        - secretRef:\n            name: s\n";
    let w = ("w.yaml", deployment("w", Some("prod"), uses_s));
    let sealed = |data: &str| {
        format!("apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: prod\nspec:\n  encryptedData:\n    password: {data}\n  template:\n    type: Opaque\n    metadata:\n      labels: {{a: b}}\n")
    };
    let (h, err) = hashes(&[("s.yaml", sealed("AgBy3i4OJSWK")), w.clone()]);
    assert!(!err.contains("not among the inputs"), "{err}");
    assert_eq!(
        h["w"],
        common::digest_outside(
            b"Secret\0s\0encryptedData\0password\0AgBy3i4OJSWK\0template\0type\0Opaque\0\0",
            None
        )
    );
    assert_ne!(
        hashes(&[("s.yaml", sealed("AgCHANGED")), w.clone()]).0["w"],
        h["w"]
    );

    // An ExternalSecret writes the Secret named by spec.target.name.
    let external = |version: &str| {
        format!("apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: from-vault\n  namespace: prod\nspec:\n  refreshInterval: 1h\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  target:\n    name: s\n  data:\n  - secretKey: password\n    remoteRef: {{key: db, version: \"{version}\"}}\n")
    };
    let (h, err) = hashes(&[("e.yaml", external("1")), w.clone()]);
    assert!(!err.contains("not among the inputs"), "{err}");
    assert_eq!(
        h["w"],
        common::digest_outside(b"Secret\0s\0spec\0data[0].remoteRef.key\0db\0data[0].remoteRef.version\x001\0data[0].secretKey\0password\0secretStoreRef.kind\0ClusterSecretStore\0secretStoreRef.name\0vault\0target.name\0s\0\0", None)
    );
    assert_ne!(
        hashes(&[("e.yaml", external("2")), w.clone()]).0["w"],
        h["w"]
    );
    let refresh = external("1").replace("refreshInterval: 1h", "refreshInterval: 5m");
    assert_eq!(hashes(&[("e.yaml", refresh), w.clone()]).0["w"], h["w"]);

    // A SOPS-encrypted Secret: its encrypted values.
    let sops = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\ndata:\n  password: ENC[AES256_GCM,data:3Zb0,iv:abc,tag:def,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:xyz]\n  version: 3.8.1\n".to_string();
    let (h, _) = hashes(&[("s.yaml", sops), w]);
    assert_eq!(
        h["w"],
        common::digest_outside(
            b"Secret\0s\0data\0password\0ENC[AES256_GCM,data:3Zb0,iv:abc,tag:def,type:str]\0\0",
            None
        )
    );
}

#[test]
fn reloader_and_wave_annotations_add_references_and_ignore_leaves_out() {
    let annotated = |ann: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n  namespace: prod\n  annotations:\n{ann}spec:\n  template:\n    spec:\n      containers:\n      - name: c\n")
    };
    let cm = |name: &str, ns: &str, v: &str| {
        configmap(
            name,
            &format!("  namespace: {ns}\n"),
            &format!("  k: {v}\n"),
        )
    };
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\nstringData:\n  t: v\n".to_string();
    // Reloader: names in the workload's namespace.
    let reloader = annotated("    configmap.reloader.stakater.com/reload: \"a, b\"\n    secret.reloader.stakater.com/reload: s\n");
    let files = vec![
        ("a.yaml", cm("a", "prod", "1")),
        ("b.yaml", cm("b", "prod", "2")),
        ("s.yaml", secret.clone()),
        ("w.yaml", reloader),
    ];
    let (h, err) = hashes(&files);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(
        h["w"],
        common::digest_outside(b"ConfigMap\0a\0data\0k\x001\0\0ConfigMap\0b\0data\0k\x002\0\0Secret\0s\0stringData\0t\0v\0\0", None)
    );
    // wave: `namespace/name` or `name`.
    let wave = annotated("    wave.pusher.com/extra-configmaps: \"shared/a,b\"\n    wave.pusher.com/extra-secrets: s\n");
    let files = vec![
        ("a.yaml", cm("a", "shared", "1")),
        ("b.yaml", cm("b", "prod", "2")),
        ("s.yaml", secret),
        ("w.yaml", wave),
    ];
    let (h2, err) = hashes(&files);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(
        h2["w"], h["w"],
        "the namespace does not count in the digest"
    );
    // reloader.stakater.com/ignore leaves an object out, silently.
    let mut ignored = files.clone();
    ignored[0].1 = configmap(
        "a",
        "  namespace: shared\n  annotations:\n    reloader.stakater.com/ignore: \"true\"\n",
        "  k: 1\n",
    );
    let (h3, err) = hashes(&ignored);
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(
        h3["w"],
        common::digest_outside(
            b"ConfigMap\0b\0data\0k\x002\0\0Secret\0s\0stringData\0t\0v\0\0",
            None
        )
    );
}

#[test]
fn a_keyed_digest_with_the_key_from_the_environment() {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in base() {
        fs::write(d.path().join(name), text).unwrap();
    }
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--report", "json"])
            .arg(d.path())
            .env("RELOAD_STAMP_HMAC_KEY", "team-secret"),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let uses_a = v["stamped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "uses-a")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        uses_a,
        common::digest_outside(
            b"ConfigMap\0a\0data\0j\0two\0k\0one\0\0",
            Some("team-secret")
        )
    );
    assert_ne!(uses_a, hashes(&base()).0["uses-a"]);
}

#[test]
fn a_null_value_hashes_as_the_empty_string_kubectl_sends() {
    // printf 'ConfigMap\0a\0data\0j\0two\0k\0\0\0' | sha256sum
    let empty = common::digest_outside(b"ConfigMap\0a\0data\0j\0two\0k\0\0\0", None);
    for value in [
        "",
        " ~",
        " null",
        " Null",
        " NULL",
        " \"\"",
        " ''",
        " !!null ~",
    ] {
        let mut files = base();
        files[0].1 = configmap("a", "", &format!("  k:{value}\n  j: two\n"));
        let (h, err) = hashes(&files);
        assert_eq!(h["uses-a"], empty, "k:{value} {err}");
    }
    // Quoted, they are strings, and hash as written.
    for value in ["\"~\"", "'null'"] {
        let mut files = base();
        files[0].1 = configmap("a", "", &format!("  k: {value}\n  j: two\n"));
        let (h, _) = hashes(&files);
        assert_ne!(h["uses-a"], empty, "k: {value}");
    }
    // A Secret's null value too.
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\ndata:\n  k:\n  j: two\n".to_string();
    let mut files = base();
    files[0].1 = secret;
    let want = common::digest_outside(b"Secret\0a\0data\0j\0two\0k\0\0\0", None);
    let uses_secret = "      containers:\n      - name: c\n        envFrom:\n        - secretRef:\n            name: a\n";
    files.push(("w9.yaml", deployment("uses-secret", None, uses_secret)));
    let (h2, _) = hashes(&files);
    assert_eq!(h2["uses-secret"], want);
}

/// `--report json` names what each hash covers: one entry per object, with
/// the keys counted, where it was found and its own digest, each digest
/// recomputed here from the documented layout with `sha256sum`.
#[test]
fn the_report_lists_each_workloads_sources() {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in base() {
        fs::write(d.path().join(name), text).unwrap();
    }
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--report", "json"])
            .arg(d.path()),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a_all = common::digest_outside(b"ConfigMap\0a\0data\0j\0two\0k\0one\0\0", None);
    let a_k = common::digest_outside(b"ConfigMap\0a\0data\0k\0one\0\0", None);
    let b_all = common::digest_outside(b"ConfigMap\0b\0data\0x\x001\0\0", None);
    // name → [(source name, keys, digest)], as the report gives them.
    type Want<'a> = (&'a str, Option<&'a [&'a str]>, &'a str);
    let cases: &[(&str, &[Want<'_>])] = &[
        ("uses-a", &[("a", None, &a_all)]),
        ("uses-b", &[("b", None, &b_all)]),
        ("uses-ab", &[("a", Some(&["k"]), &a_k), ("b", None, &b_all)]),
    ];
    let stamped = v["stamped"].as_array().unwrap();
    for (workload, want) in cases {
        let s = stamped
            .iter()
            .find(|s| s["name"] == *workload)
            .unwrap_or_else(|| panic!("{workload} not stamped: {v}"));
        let got = s["sources"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{workload}: {got:?}");
        for (g, (name, keys, digest)) in got.iter().zip(*want) {
            assert_eq!(g["kind"], "ConfigMap", "{workload}");
            assert_eq!(g["found_as"], "ConfigMap", "{workload}");
            assert_eq!(g["name"], *name, "{workload}");
            assert_eq!(g["line"], 1, "{workload}");
            assert!(
                g["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("{name}.yaml")),
                "{workload}: {g}"
            );
            let keys: Option<Vec<&str>> = keys.map(|k| k.to_vec());
            assert_eq!(g["keys"], serde_json::json!(keys), "{workload}");
            assert_eq!(g["digest"], *digest, "{workload}");
        }
        if want.len() == 1 {
            // One source: the workload's hash is that source's digest.
            assert_eq!(s["value"], *want[0].2, "{workload}");
        }
    }
    // Without a config hash, no sources.
    let o = run_ok(
        cmd()
            .args(["--value", "v", "--report", "json"])
            .arg(d.path()),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["stamped"][0].get("sources").is_none(), "{v}");
}

/// `--strict`: a reference that is not among the inputs is an error at the
/// reference, saying what was looked for; an optional one, or one that is
/// there, is not.
#[test]
fn strict_references_must_be_among_the_inputs() {
    let uses = |name: &str, optional: &str| {
        format!("      containers:\n      - name: c\n        envFrom:\n        - configMapRef:\n            name: {name}\n{optional}")
    };
    let optional = "            optional: true\n";
    // (reference, optional, --strict) → exit, what stderr says
    let cases: &[(&str, &str, bool, i32, &str)] = &[
        (
            "a",
            "",
            true,
            0,
            "1 workload in 1 of 2 inputs would be stamped",
        ),
        ("gone", "", false, 0, "warning: "),
        (
            "gone",
            "",
            true,
            2,
            "which is not among the inputs (looked for ConfigMap prod/gone; --strict)",
        ),
        ("gone", optional, true, 0, "nothing to stamp"),
    ];
    for (name, opt, strict, code, says) in cases {
        let d = tempfile::tempdir().unwrap();
        fs::write(
            d.path().join("a.yaml"),
            configmap("a", "  namespace: prod\n", "  k: v\n"),
        )
        .unwrap();
        fs::write(
            d.path().join("w.yaml"),
            deployment("web", Some("prod"), &uses(name, opt)),
        )
        .unwrap();
        let mut c = cmd();
        c.args(["--config-hash", "--check"]).arg(d.path());
        if *strict {
            c.arg("--strict");
        }
        let code = if *code == 0 && *name == "a" { 1 } else { *code };
        let o = expect_code(&mut c, code);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{name} {strict}: {err}");
        if code == 2 {
            // At the reference: w.yaml's line of `name: gone`.
            assert!(
                err.contains("w.yaml:13:19: Deployment prod/web references ConfigMap 'gone'"),
                "{err}"
            );
        }
    }
    // --strict without --config-hash is a usage error.
    expect_code(
        cmd()
            .args(["--strict", "--value", "v", "-"])
            .write_stdin(""),
        2,
    );
}

/// A Secret whose data cannot be hashed is refused only where a workload
/// references it, and the message names both places.
#[test]
fn an_unhashable_object_is_refused_only_where_it_is_used() {
    let bad = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  k: [1, 2]\n";
    let uses_s = "      containers:\n      - name: c\n        envFrom:\n        - secretRef:\n            name: s\n";
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("s.yaml"), bad).unwrap();
    fs::write(d.path().join("w.yaml"), deployment("web", None, USES_A)).unwrap();
    fs::write(d.path().join("a.yaml"), configmap("a", "", "  k: v\n")).unwrap();
    // Nothing uses s: the run stamps web and says nothing of s.
    let o = run_ok(cmd().args(["--config-hash", "--list"]).arg(d.path()));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("s.yaml"), "{err}");
    // web uses it: an error at the reference, naming the bad data.
    fs::write(d.path().join("w.yaml"), deployment("web", None, uses_s)).unwrap();
    let o = expect_code(cmd().args(["--config-hash", "--list"]).arg(d.path()), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    let s = d.path().join("s.yaml");
    assert!(
        err.contains(&format!(
            "w.yaml:12:19: Deployment web references Secret 's', which is among the inputs but cannot be hashed: {}:6:3: ",
            s.display()
        )),
        "{err}"
    );
}

/// A source's `found_as` is the kind it is in the inputs: a Secret found
/// as the cert-manager Certificate that writes it, a SecretProviderClass as
/// itself (the goldens config-hash-certificate and -secretproviderclass
/// hold the digests, recomputed with sha256sum).
#[test]
fn sources_say_what_they_were_found_as() {
    for (golden, kind, found_as) in [
        ("certificate", "Secret", "Certificate"),
        (
            "secretproviderclass",
            "SecretProviderClass",
            "SecretProviderClass",
        ),
    ] {
        let input = fs::read(format!("testdata/golden/config-hash-{golden}.in.yaml")).unwrap();
        let o = run_ok(
            cmd()
                .args(["--config-hash", "--report", "json"])
                .write_stdin(input),
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let src = &v["stamped"][0]["sources"][0];
        assert_eq!(src["kind"], kind, "{golden}: {v}");
        assert_eq!(src["found_as"], found_as, "{golden}: {v}");
        assert_eq!(
            src["digest"], v["stamped"][0]["value"],
            "{golden}: one source"
        );
    }
}
