//! `--config-hash --kustomize` with the real `kubectl kustomize`: a base and
//! two overlays, each overlay with its own hash, kept in the overlay.

mod common;

use std::fs;
use std::path::PathBuf;
use std::process::Command;

use common::bin::cmd;

/// Whether `kubectl` can build kustomizations here. CI must have it.
fn have_kubectl() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is needed for these tests in CI"
        );
        eprintln!("kubectl not found: skipped");
    }
    ok
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        envFrom:
        - configMapRef:
            name: app
";

fn configmap(log: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG: {log}\n")
}

/// The tree: `base/` (Deployment web, ConfigMap app with LOG:
/// info), `overlays/prod` (namespace, name prefix, and a patch to LOG:
/// debug) and `overlays/dev` (the base as it is).
struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let t = Tree { _dir: dir, root };
        t.write("base/deploy.yaml", DEPLOY);
        t.write("base/cm.yaml", &configmap("info"));
        t.write(
            "base/kustomization.yaml",
            "resources:\n- deploy.yaml\n- cm.yaml\n",
        );
        t.write(
            "overlays/prod/kustomization.yaml",
            "# production\nnamespace: prod\nnamePrefix: prod-\nresources:\n- ../../base\npatches:\n- path: cm-patch.yaml  # the prod config\n",
        );
        t.write("overlays/prod/cm-patch.yaml", &configmap("debug"));
        t.write(
            "overlays/dev/kustomization.yaml",
            "resources:\n  - ../../base\n",
        );
        t
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap_or_default()
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let o = cmd()
            .args(["--config-hash", "--kustomize"])
            .args(args)
            .current_dir(&self.root)
            .env_remove("RELOAD_STAMP_KUSTOMIZE")
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// `kubectl kustomize DIR`: what Argo CD or Flux would apply.
    fn built(&self, dir: &str) -> String {
        let o = Command::new("kubectl")
            .arg("kustomize")
            .arg(self.root.join(dir))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }
}

/// The value of `checksum/config` in a build, if any.
fn checksum(built: &str) -> Option<String> {
    let line = built.lines().find(|l| l.contains("checksum/config: "))?;
    Some(line.split(": ").nth(1)?.trim_matches('"').to_string())
}

fn patch(hash: &str, namespace: &str) -> String {
    format!(
        "# Written by `reload-stamp --config-hash --kustomize`: the config hash of\n\
         # each workload this kustomization builds. Rewritten on every run.\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"web\"\n{namespace}spec:\n  template:\n    metadata:\n      annotations:\n        checksum/config: \"{hash}\"\n"
    )
}

#[test]
fn each_overlay_gets_the_hash_of_its_own_build() {
    if !have_kubectl() {
        return;
    }
    let t = Tree::new();
    let (code, out, err) = t.run(&["--write", "overlays/prod", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "");
    assert!(
        err.contains("stamped 2 workloads in 2 of 2 kustomizations (checksum/config: config hash)"),
        "{err}"
    );
    // prod hashes its patched ConfigMap (prefixed by the overlay); dev the
    // base's. Recomputed with sha256sum over the documented layout.
    let prod = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0debug\0\0", None);
    let dev = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    assert_eq!(
        t.read("overlays/prod/reload-stamp-patch.yaml"),
        patch(&prod, "")
    );
    assert_eq!(
        t.read("overlays/dev/reload-stamp-patch.yaml"),
        patch(&dev, "")
    );
    // The listing was added with lines only: comments and layout stay.
    assert_eq!(
        t.read("overlays/prod/kustomization.yaml"),
        "# production\nnamespace: prod\nnamePrefix: prod-\nresources:\n- ../../base\npatches:\n- path: cm-patch.yaml  # the prod config\n- path: reload-stamp-patch.yaml\n"
    );
    assert_eq!(
        t.read("overlays/dev/kustomization.yaml"),
        "resources:\n  - ../../base\npatches:\n- path: reload-stamp-patch.yaml\n"
    );
    // The base is not touched.
    assert_eq!(t.read("base/deploy.yaml"), DEPLOY);
    assert!(!t.root.join("base/reload-stamp-patch.yaml").exists());
    // What kustomize builds now carries each overlay's hash.
    assert_eq!(checksum(&t.built("overlays/prod")), Some(prod.clone()));
    assert_eq!(checksum(&t.built("overlays/dev")), Some(dev.clone()));

    // A second run changes nothing, and --check agrees.
    let before = (
        t.read("overlays/prod/reload-stamp-patch.yaml"),
        t.read("overlays/prod/kustomization.yaml"),
    );
    let (code, _, err) = t.run(&["--check", "overlays/prod", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, _, err) = t.run(&["--write", "overlays/prod", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("nothing to stamp in 2 kustomizations"),
        "{err}"
    );
    assert_eq!(
        (
            t.read("overlays/prod/reload-stamp-patch.yaml"),
            t.read("overlays/prod/kustomization.yaml")
        ),
        before
    );

    // A change in one overlay moves that overlay's hash only.
    t.write("overlays/prod/cm-patch.yaml", &configmap("warn"));
    let (code, _, err) = t.run(&["--check", "overlays/prod", "overlays/dev"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("overlays/prod/reload-stamp-patch.yaml: 1 workload would be stamped"),
        "{err}"
    );
    assert!(!err.contains("overlays/dev/"), "{err}");
    let (code, _, err) = t.run(&["--write", "overlays/prod", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    let warn = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0warn\0\0", None);
    assert_eq!(
        t.read("overlays/prod/reload-stamp-patch.yaml"),
        patch(&warn, "")
    );
    assert_eq!(
        t.read("overlays/dev/reload-stamp-patch.yaml"),
        patch(&dev, "")
    );
}

#[test]
fn a_base_namespace_is_named_in_the_patch_and_diff_shows_both_files() {
    if !have_kubectl() {
        return;
    }
    let t = Tree::new();
    // The base puts everything in `shop`; prod moves it to `prod` after
    // its patches, so its patch must name `shop`.
    t.write(
        "base/kustomization.yaml",
        "namespace: shop\nresources:\n- deploy.yaml\n- cm.yaml\n",
    );
    let (code, out, err) = t.run(&["--diff", "overlays/prod"]);
    assert_eq!(code, Some(0), "{err}");
    let prod = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0debug\0\0", None);
    assert!(out.starts_with("--- a/overlays/prod/reload-stamp-patch.yaml\n+++ b/overlays/prod/reload-stamp-patch.yaml\n"), "{out}");
    assert!(out.contains("+  namespace: \"shop\"\n"), "{out}");
    assert!(
        out.contains(&format!("+        checksum/config: \"{prod}\"\n")),
        "{out}"
    );
    assert!(
        out.contains("--- a/overlays/prod/kustomization.yaml\n"),
        "{out}"
    );
    assert!(out.contains("+- path: reload-stamp-patch.yaml\n"), "{out}");
    assert!(
        !t.root
            .join("overlays/prod/reload-stamp-patch.yaml")
            .exists(),
        "--diff writes nothing"
    );
    let (code, _, err) = t.run(&["--write", "overlays/prod"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(checksum(&t.built("overlays/prod")), Some(prod));
}

#[test]
fn without_a_mode_the_stamped_build_is_printed() {
    if !have_kubectl() {
        return;
    }
    let t = Tree::new();
    let (code, out, err) = t.run(&["overlays/prod"]);
    assert_eq!(code, Some(0), "{err}");
    let prod = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0debug\0\0", None);
    assert_eq!(checksum(&out), Some(prod));
    assert!(out.contains("name: prod-web\n  namespace: prod\n"), "{out}");
    assert!(!t
        .root
        .join("overlays/prod/reload-stamp-patch.yaml")
        .exists());
}

#[test]
fn build_errors_and_a_missing_command_are_clear() {
    if !have_kubectl() {
        return;
    }
    let t = Tree::new();
    t.write("broken/kustomization.yaml", "resources:\n- missing.yaml\n");
    let (code, _, err) = t.run(&["--write", "broken", "overlays/dev"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("reload-stamp: broken: `kubectl kustomize broken` failed: "),
        "{err}"
    );
    assert!(
        err.contains("missing.yaml"),
        "kustomize's own message: {err}"
    );
    // The other directory is still done.
    assert!(t.root.join("overlays/dev/reload-stamp-patch.yaml").exists());

    let (code, _, err) = t.run(&["--check", "base/deploy.yaml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not a kustomization directory"), "{err}");

    let o = cmd()
        .args(["--config-hash", "--kustomize", "overlays/dev"])
        .current_dir(&t.root)
        .env("RELOAD_STAMP_KUSTOMIZE", "/no/such/kustomize build")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot run `/no/such/kustomize build overlays/dev`"),
        "{err}"
    );
    let o = cmd()
        .args(["--config-hash", "--kustomize", "overlays/dev"])
        .current_dir(&t.root)
        .env("PATH", "/nonexistent")
        .env_remove("RELOAD_STAMP_KUSTOMIZE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--kustomize needs kustomize or kubectl on PATH"),
        "{err}"
    );
}

#[test]
fn the_walk_without_kustomize_stops_at_the_two_definitions() {
    let t = Tree::new();
    let (code, _, err) = {
        let o = cmd()
            .args(["--config-hash", "--write", "."])
            .current_dir(&t.root)
            .output()
            .unwrap();
        (
            o.status.code(),
            (),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ConfigMap 'app' has 2 different definitions in this run (base/cm.yaml:1:1, overlays/prod/cm-patch.yaml:1:1)"), "{err}");
    assert!(
        err.contains("reload-stamp --config-hash --kustomize DIR..."),
        "{err}"
    );
    assert_eq!(t.read("base/deploy.yaml"), DEPLOY);
}

/// Points 3 to 5 through a real build: a SealedSecret and an ExternalSecret
/// in the base, a per-key reference, Reloader's and wave's annotations, and
/// an ignored ConfigMap; only what the workload uses moves its hash.
#[test]
fn gitops_secrets_keys_and_annotations_through_a_build() {
    if !have_kubectl() {
        return;
    }
    let t = Tree::new();
    t.write(
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    configmap.reloader.stakater.com/reload: extra,skip\n    wave.pusher.com/extra-secrets: shared/token\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        env:\n        - name: LOG\n          valueFrom:\n            configMapKeyRef: {name: app, key: LOG}\n        envFrom:\n        - secretRef: {name: sealed}\n        - secretRef: {name: fetched}\n",
    );
    t.write("base/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG: info\n  UNUSED: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  k: v\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skip\n  annotations:\n    reloader.stakater.com/ignore: \"true\"\ndata:\n  k: v\n");
    t.write("base/shared.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\n  namespace: shared\nstringData:\n  t: x\n");
    t.write("base/secrets.yaml", "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: sealed\nspec:\n  encryptedData:\n    pw: AgAAA\n---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: fetched\nspec:\n  refreshInterval: 1h\n  data:\n  - secretKey: token\n    remoteRef: {key: api}\n");
    t.write(
        "base/kustomization.yaml",
        "resources:\n- deploy.yaml\n- cm.yaml\n- secrets.yaml\n- shared.yaml\n",
    );
    let (code, _, err) = t.run(&["--write", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
    let want = common::digest_outside(
        b"ConfigMap\0app\0data\0LOG\0info\0\0ConfigMap\0extra\0data\0k\0v\0\0Secret\0fetched\0spec\0data[0].remoteRef.key\0api\0data[0].secretKey\0token\0\0Secret\0sealed\0encryptedData\0pw\0AgAAA\0\0Secret\0token\0stringData\0t\0x\0\0",
        None,
    );
    assert_eq!(checksum(&t.built("overlays/dev")), Some(want.clone()));
    // An unused key, or the ignored ConfigMap: nothing to do.
    let cm = t.read("base/cm.yaml");
    t.write(
        "base/cm.yaml",
        &cm.replace("UNUSED: a", "UNUSED: b")
            .replace("  k: v\n", "  k: w\n")
            .replacen("  k: w\n", "  k: v\n", 1),
    );
    let (code, _, err) = t.run(&["--check", "overlays/dev"]);
    assert_eq!(code, Some(0), "{err}");
    // A new sealed value: the hash moves.
    let s = t.read("base/secrets.yaml");
    t.write("base/secrets.yaml", &s.replace("AgAAA", "AgBBB"));
    let (code, _, err) = t.run(&["--check", "overlays/dev"]);
    assert_eq!(code, Some(1), "{err}");
}
