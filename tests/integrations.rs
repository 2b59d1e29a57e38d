//! The tools that render manifests: a KRM function (the ResourceList
//! contract, from the KRM Functions Specification), kustomize's legacy exec
//! plugin (through the real `kubectl kustomize --enable-alpha-plugins`),
//! and Helm's post-renderer contract (tests/helm.rs runs the real Helm).

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::bin::{assert_code, assert_failed, cmd, expect_code, run_ok};

const ITEMS: &str = "items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    annotations:
      config.kubernetes.io/index: '0'
      internal.config.kubernetes.io/path: 'apps/web.yaml'
  spec:
    template:
      spec:
        containers:
        - name: web
          envFrom:
          - configMapRef: {name: app}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: app
    annotations:
      config.kubernetes.io/index: '1'
  data:
    LOG: info
";

fn resource_list(function_config: &str) -> String {
    format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{ITEMS}{function_config}")
}

/// Runs the binary as a KRM function: no arguments, the list on stdin; it
/// must exit with `code`. Its standard output and error.
#[track_caller]
fn function(input: &str, envs: &[(&str, &str)], code: i32) -> (String, String) {
    let mut c = cmd();
    for (k, v) in envs {
        c.env(k, v);
    }
    let o = expect_code(c.write_stdin(input.to_string()), code);
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `ITEMS` with the stamp on the Deployment, as the function must give it.
fn stamped_items(key: &str, value: &str) -> String {
    ITEMS.replace(
        "    template:\n      spec:\n",
        &format!("    template:\n      metadata:\n        annotations:\n          {key}: \"{value}\"\n      spec:\n"),
    )
}

#[test]
fn krm_function_takes_options_from_a_configmap() {
    let config = "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: stamp\n  data:\n    key: example.com/rev\n    value: \"abc123\"\n";
    let (out, _) = function(&resource_list(config), &[], 0);
    // Only the stamp lines are new; the config.kubernetes.io annotations stay.
    assert_eq!(
        out,
        format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{}{config}",
            stamped_items("example.com/rev", "abc123")
        )
    );
}

#[test]
fn krm_function_takes_a_typed_config_and_hashes_config() {
    let config = "functionConfig:\n  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  metadata:\n    name: stamp\n  configHash: true\n";
    let (out, _) = function(&resource_list(config), &[], 0);
    // printf 'ConfigMap\0app\0data\0LOG\0info\0\0' | sha256sum
    let digest = "0739347a2951b575a7e16cad86d5701ae9368d4defe8f3de8f3ae5ce2f99eefe";
    assert_eq!(
        out,
        format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{}{config}",
            stamped_items("checksum/config", digest)
        )
    );
}

#[test]
fn krm_function_writes_per_source_keys() {
    let config = "functionConfig:\n  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  metadata:\n    name: stamp\n  configHash: true\n  perSource: true\n";
    let (out, _) = function(&resource_list(config), &[], 0);
    // One source: its own digest is the workload's.
    let digest = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    let both = stamped_items("checksum/config", &digest).replace(
        "\n      spec:\n",
        &format!("\n          configmap.reload-stamp.io/app: \"{digest}\"\n      spec:\n"),
    );
    assert_eq!(
        out,
        format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{both}{config}")
    );
}

#[test]
fn krm_warnings_and_errors_are_results() {
    // A warning: the reference is not among the items. Exit 0.
    let config = "functionConfig:\n  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  configHash: true\n";
    let input = resource_list(config).replace("{name: app}", "{name: gone}");
    let (out, err) = function(&input, &[], 0);
    // The result names the item (resourceRef) and where kustomize read it
    // (file: the item's path and index annotations), as the KRM Functions
    // Specification asks. Also on stderr, which kustomize and kpt show
    // from a container.
    assert_eq!(err, "reload-stamp: warning: 17:34: Deployment web references ConfigMap 'gone', which is not among the inputs\n");
    assert!(
        out.ends_with(&format!("{config}results:\n- message: \"17:34: Deployment web references ConfigMap 'gone', which is not among the inputs\"\n  severity: warning\n  resourceRef:\n    apiVersion: \"apps/v1\"\n    kind: \"Deployment\"\n    name: \"web\"\n  file:\n    path: \"apps/web.yaml\"\n    index: 0\n")),
        "{out}"
    );

    // An error: the items are left as they were, exit 1.
    for (config, says) in [
        ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    vaule: x\n", "unknown option 'vaule'"),
        ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    key: \"-bad-\"\n    value: x\n", "invalid --key '-bad-'"),
        // Reproducible output: no clock unless asked for.
        ("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    format: rfc3339\n", "must give the same output every time"),
    ] {
        let input = resource_list(config);
        // A failed test's output names the case.
        println!("case: {config}");
        let (out, err) = function(&input, &[], 1);
        assert!(out.starts_with(&input), "{out}");
        let results = &out[input.len()..];
        assert!(results.starts_with("results:\n- message: \""), "{results}");
        assert!(results.contains(says), "{says}: {results}");
        assert!(results.ends_with("\"\n  severity: error\n"), "{results}");
        assert!(err.starts_with("reload-stamp: error: "), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn krm_time_values_are_reproducible() {
    let config =
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    format: rfc3339\n";
    let input = resource_list(config);
    let (out, _) = function(&input, &[("SOURCE_DATE_EPOCH", "1764000000")], 0);
    assert!(
        out.contains("reloaded-at: \"2025-11-24T16:00:00Z\""),
        "{out}"
    );
    let at = resource_list("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    at: \"2026-11-24T09:30:00Z\"\n");
    let (out, _) = function(&at, &[], 0);
    assert!(out.contains("reloaded-at: \"20261124093000\""), "{out}");
    // The clock, when the config asks for it.
    let now = resource_list(
        "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    at: now\n",
    );
    let (out, _) = function(&now, &[], 0);
    assert!(out.contains("reloaded-at: \"20"), "{out}");
}

#[test]
fn a_plain_stream_on_stdin_is_not_a_function_run() {
    // A ResourceList is recognised by its kind, not by the word.
    let stream = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ResourceList\n";
    let (out, _) = function(stream, &[], 0);
    assert_eq!(out, stream);
}

#[test]
fn standard_input_is_read_as_a_file_is_when_only_a_later_document_is_a_list() {
    // Only the first document decides (the pipe must not parse the stream
    // twice): a ResourceList later in the stream is a plain object, and the
    // stream is stamped byte for byte as the same file would be.
    let stream = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    \
         metadata:\n      labels: {{app: web}}\n    spec:\n      containers: []\n---\n\
         apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n{ITEMS}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stream.yaml");
    fs::write(&file, &stream).unwrap();
    let piped = run_ok(cmd().args(["--value", "7"]).write_stdin(stream.clone()));
    let named = run_ok(cmd().args(["--value", "7"]).arg(&file));
    assert_eq!(piped.stdout, named.stdout);
    assert!(String::from_utf8_lossy(&piped.stdout).contains("reloaded-at: \"7\""));
}

/// The binary installed as kustomize's exec plugin, the way the README says:
/// a symbolic link named after the config kind.
fn plugin_home(dir: &Path) -> std::path::PathBuf {
    let home = dir.join("plugins");
    let at = home.join("reload-stamp/v1alpha1/reloadstamp");
    fs::create_dir_all(&at).unwrap();
    common::bin::link_as(&at.join("ReloadStamp"));
    home
}

fn kustomize_with_plugin(home: &Path, dir: &Path) -> Option<std::process::Output> {
    let o = Command::new("kubectl")
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("KUSTOMIZE_PLUGIN_HOME", home)
        .env_remove("SOURCE_DATE_EPOCH")
        .output();
    match o {
        Ok(o) => Some(o),
        Err(_) => {
            assert!(std::env::var_os("CI").is_none(), "kubectl is needed in CI");
            eprintln!("kubectl not found: skipped");
            None
        }
    }
}

#[test]
fn kustomize_exec_plugin_through_the_real_kubectl() {
    let d = tempfile::tempdir().unwrap();
    let home = plugin_home(d.path());
    let k = d.path().join("app");
    fs::create_dir_all(&k).unwrap();
    fs::write(k.join("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        envFrom:\n        - configMapRef:\n            name: app\n").unwrap();
    fs::write(
        k.join("kustomization.yaml"),
        "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: app\n  literals: [LOG=info]\ntransformers:\n- stamp.yaml\n",
    )
    .unwrap();
    fs::write(
        k.join("stamp.yaml"),
        "apiVersion: reload-stamp/v1alpha1\nkind: ReloadStamp\nmetadata:\n  name: stamp\nconfigHash: true\n",
    )
    .unwrap();
    let Some(o) = kustomize_with_plugin(&home, &k) else {
        return;
    };
    assert_code(&o, 0, "kubectl kustomize with the plugin");
    let out = String::from_utf8_lossy(&o.stdout);
    // kustomize runs transformers before it adds a generated ConfigMap's
    // hash suffix: the plugin hashes the name as generated (`app`).
    assert!(out.contains("name: app-"), "{out}");
    let digest = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    assert!(out.contains(&format!("checksum/config: {digest}")), "{out}");

    // A time value from the config; none at all is an error kustomize shows.
    fs::write(k.join("stamp.yaml"), "apiVersion: reload-stamp/v1alpha1\nkind: ReloadStamp\nmetadata:\n  name: stamp\nvalue: \"r42\"\n").unwrap();
    let o = kustomize_with_plugin(&home, &k).unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("reloaded-at: r42"));
    fs::write(
        k.join("stamp.yaml"),
        "apiVersion: reload-stamp/v1alpha1\nkind: ReloadStamp\nmetadata:\n  name: stamp\n",
    )
    .unwrap();
    let o = kustomize_with_plugin(&home, &k).unwrap();
    assert_failed(&o, "the plugin without a value");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("must give the same output every time"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn kustomize_skips_an_exec_function_under_kubectl_silently() {
    // kubectl kustomize has no --enable-exec: a transformer config whose
    // function is `exec:` is recorded as applied and not run, so the build
    // carries no stamp and no error. The README says to use the container
    // form or the legacy plugin with kubectl; this shows if that changes.
    let d = tempfile::tempdir().unwrap();
    let k = d.path().join("app");
    fs::create_dir_all(&k).unwrap();
    fs::write(k.join("deploy.yaml"), "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n").unwrap();
    fs::write(
        k.join("kustomization.yaml"),
        "resources:\n- deploy.yaml\ntransformers:\n- stamp.yaml\n",
    )
    .unwrap();
    let bin = common::bin::path();
    fs::write(
        k.join("stamp.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stamp\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: {}\ndata:\n  value: \"42\"\n", bin.display()),
    )
    .unwrap();
    let Some(o) = kustomize_with_plugin(d.path(), &k) else {
        return;
    };
    assert_code(&o, 0, "kubectl kustomize with an exec function");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("kind: Deployment"), "{out}");
    assert!(
        !out.contains("reloaded-at"),
        "kubectl ran the exec function: {out}"
    );
}

/// A stream as Helm 4 gives a post-renderer: each document annotated with
/// the template it came from; a third-party chart without checksums.
const HELM_STREAM: &str = "---
# Source: app/templates/configmap.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: rel-app
  annotations:
    postrenderer.helm.sh/postrender-filename: app/templates/configmap.yaml
data:
  app.conf: |
    listen 80;
---
# Source: app/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: rel-app
  annotations:
    postrenderer.helm.sh/postrender-filename: app/templates/deployment.yaml
spec:
  template:
    metadata:
      labels:
        app: rel-app
    spec:
      containers:
      - name: app
        volumeMounts:
        - {name: conf, mountPath: /etc/app}
      volumes:
      - name: conf
        configMap:
          name: rel-app
";

#[test]
fn helm_post_renderer_contract() {
    // As the plugin runs it: config hashes, quiet.
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--quiet"])
            .write_stdin(HELM_STREAM),
    );
    assert!(o.stderr.is_empty());
    let out = String::from_utf8(o.stdout).unwrap();
    let got_digest = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("checksum/config: "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    let outside = common::digest_outside(
        b"ConfigMap\0rel-app\0data\0app.conf\0listen 80;\n\0\0",
        None,
    );
    assert_eq!(got_digest, outside);
    // Only the stamp lines are new: the postrender-filename annotations and
    // the `# Source:` comments come back untouched.
    let want = HELM_STREAM.replace(
        "      labels:\n        app: rel-app\n",
        &format!("      labels:\n        app: rel-app\n      annotations:\n        checksum/config: \"{outside}\"\n"),
    );
    assert_eq!(out, want);

    // An error: non-zero, nothing on stdout (Helm must not apply half).
    let o = expect_code(
        cmd()
            .args(["--config-hash", "--quiet"])
            .write_stdin(format!("{HELM_STREAM}---\nkind: [\n")),
        2,
    );
    assert!(o.stdout.is_empty());

    // An empty render passes through, not stamped.
    let o = run_ok(cmd().args(["--config-hash", "--quiet"]).write_stdin(""));
    assert!(o.stdout.is_empty());
}

#[test]
fn the_helm_4_plugin_manifest_runs_this_post_renderer() {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/helm/plugin.yaml"),
    )
    .unwrap();
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(v["apiVersion"], "v1");
    assert_eq!(v["type"], "postrenderer/v1");
    assert_eq!(v["runtime"], "subprocess");
    assert_eq!(v["name"], "reload-stamp");
    let command = &v["runtimeConfig"]["platformCommand"][0];
    assert_eq!(command["command"], "reload-stamp");
    let args: Vec<String> = command["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    // The arguments are ones the binary takes, and they make it a quiet
    // filter of standard input.
    let o = run_ok(cmd().args(&args).write_stdin(HELM_STREAM));
    assert!(o.stderr.is_empty());
    assert!(String::from_utf8_lossy(&o.stdout).contains("checksum/config: \""));
}

/// functionConfig `rules` is `--rules`: under wave's rules only the
/// workload that asks for it is stamped (the golden rules-wave shows the
/// same run on files).
#[test]
fn krm_function_follows_the_rules_it_is_given() {
    let input = std::fs::read_to_string("testdata/golden/rules-wave.in.yaml").unwrap();
    let mut list =
        String::from("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n");
    for doc in input.split("---\n") {
        let mut lines = doc.trim_end().lines();
        list.push_str(&format!("- {}\n", lines.next().unwrap()));
        for l in lines {
            list.push_str(&format!("  {l}\n"));
        }
    }
    for (rules, stamped) in [("wave", 1), ("reloader", 3), ("reloader-all", 5)] {
        let config = format!("functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n    configHash: \"true\"\n    rules: {rules}\n");
        let (out, _) = function(&format!("{list}{config}"), &[], 0);
        assert_eq!(
            out.matches("checksum/config: \"").count(),
            stamped,
            "{rules}: {out}"
        );
    }
}
