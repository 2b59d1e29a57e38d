//! `--config-hash --kustomize` with the real `kubectl kustomize`: a base and
//! two overlays, each overlay with its own hash, kept in the overlay.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::bin::{cmd, expect_code};
use common::tools::{have_kubectl, kustomize_build};
use common::DEPLOY_ENV_FROM as DEPLOY;

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

    /// The tree, where kubectl can build it (else the test skips saying why,
    /// and fails in CI).
    fn for_kubectl() -> Option<Tree> {
        have_kubectl().then(Tree::new)
    }

    fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.root.join(rel)).unwrap_or_default()
    }

    /// `--config-hash --kustomize ARGS` in the tree, which must exit with
    /// `code`: its standard output and error.
    #[track_caller]
    fn run(&self, args: &[&str], code: i32) -> (String, String) {
        let o = expect_code(
            cmd()
                .args(["--config-hash", "--kustomize"])
                .args(args)
                .current_dir(&self.root)
                .env_remove("RELOAD_STAMP_KUSTOMIZE"),
            code,
        );
        (
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    }

    /// `kubectl kustomize DIR`: what Argo CD or Flux would apply.
    fn built(&self, dir: &str) -> String {
        kustomize_build(Path::new("kubectl"), &self.root.join(dir))
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
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    let (out, err) = t.run(&["--write", "overlays/prod", "overlays/dev"], 0);
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
    t.run(&["--check", "overlays/prod", "overlays/dev"], 0);
    let (_, err) = t.run(&["--write", "overlays/prod", "overlays/dev"], 0);
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
    let (_, err) = t.run(&["--check", "overlays/prod", "overlays/dev"], 1);
    assert!(
        err.contains("overlays/prod/reload-stamp-patch.yaml: 1 workload would be stamped"),
        "{err}"
    );
    assert!(!err.contains("overlays/dev/"), "{err}");
    t.run(&["--write", "overlays/prod", "overlays/dev"], 0);
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
fn per_source_keys_go_into_the_patch_and_reach_the_build() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    t.run(&["--per-source", "--write", "overlays/prod"], 0);
    // One source, so the workload's digest is the ConfigMap's own; the key
    // names the ConfigMap as built (prefixed by the overlay).
    let prod = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0debug\0\0", None);
    let want = patch(&prod, "").replace(
        "checksum/config: ",
        &format!("checksum/config: \"{prod}\"\n        configmap.reload-stamp.io/prod-app: "),
    );
    assert_eq!(t.read("overlays/prod/reload-stamp-patch.yaml"), want);
    let built = t.built("overlays/prod");
    assert!(
        built.contains(&format!("configmap.reload-stamp.io/prod-app: {prod}"))
            || built.contains(&format!("configmap.reload-stamp.io/prod-app: \"{prod}\"")),
        "{built}"
    );
    t.run(&["--per-source", "--check", "overlays/prod"], 0);
    // Without the option the patch would lose the key: --check says so.
    t.run(&["--check", "overlays/prod"], 1);
}

#[test]
fn a_base_namespace_is_named_in_the_patch_and_diff_shows_both_files() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    // The base puts everything in `shop`; prod moves it to `prod` after
    // its patches, so its patch must name `shop`.
    t.write(
        "base/kustomization.yaml",
        "namespace: shop\nresources:\n- deploy.yaml\n- cm.yaml\n",
    );
    let (out, _) = t.run(&["--diff", "overlays/prod"], 0);
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
    t.run(&["--write", "overlays/prod"], 0);
    assert_eq!(checksum(&t.built("overlays/prod")), Some(prod));
}

#[test]
fn without_a_mode_the_stamped_build_is_printed() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    let (out, _) = t.run(&["overlays/prod"], 0);
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
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    t.write("broken/kustomization.yaml", "resources:\n- missing.yaml\n");
    let (_, err) = t.run(&["--write", "broken", "overlays/dev"], 2);
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

    let (_, err) = t.run(&["--check", "base/deploy.yaml"], 2);
    assert!(err.contains("not a kustomization directory"), "{err}");

    let o = expect_code(
        cmd()
            .args(["--config-hash", "--kustomize", "overlays/dev"])
            .current_dir(&t.root)
            .env("RELOAD_STAMP_KUSTOMIZE", "/no/such/kustomize build"),
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot run `/no/such/kustomize build overlays/dev`"),
        "{err}"
    );
    let o = expect_code(
        cmd()
            .args(["--config-hash", "--kustomize", "overlays/dev"])
            .current_dir(&t.root)
            .env("PATH", "/nonexistent")
            .env_remove("RELOAD_STAMP_KUSTOMIZE"),
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--kustomize needs kustomize or kubectl on PATH"),
        "{err}"
    );
}

#[test]
fn the_walk_without_kustomize_stops_at_the_two_definitions() {
    let t = Tree::new();
    let o = expect_code(
        cmd()
            .args(["--config-hash", "--write", "."])
            .current_dir(&t.root),
        2,
    );
    let err = String::from_utf8_lossy(&o.stderr);
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
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
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
    let (_, err) = t.run(&["--write", "overlays/dev"], 0);
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
    t.run(&["--check", "overlays/dev"], 0);
    // A new sealed value: the hash moves.
    let s = t.read("base/secrets.yaml");
    t.write("base/secrets.yaml", &s.replace("AgAAA", "AgBBB"));
    t.run(&["--check", "overlays/dev"], 1);
}

/// Every workload's `checksum/config` in a build, by name.
fn checksums(built: &str) -> Vec<(String, String)> {
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(built)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    docs.iter()
        .filter_map(|d| {
            let name = d["metadata"]["name"].as_str()?.to_string();
            let v = d["spec"]["template"]["metadata"]["annotations"]["checksum/config"].as_str()?;
            Some((name, v.to_string()))
        })
        .collect()
}

/// The stuck cases of a stamped tree: each edit, then a run that must
/// recover, leave a tree kubectl builds, and leave `--check` at 0.
#[test]
fn a_stamped_tree_edited_recovers_on_the_next_run() {
    if !have_kubectl() {
        return;
    }
    let prod_listing = "# production\nnamespace: prod\nnamePrefix: prod-\nresources:\n- ../../base\npatches:\n- path: cm-patch.yaml  # the prod config\n";
    type Edit = fn(&Tree);
    let cases: &[(&str, Edit, &str)] = &[
        (
            "the stamped workload renamed",
            |t| {
                t.write(
                    "base/deploy.yaml",
                    &DEPLOY.replace("name: web\n", "name: web2\n"),
                )
            },
            "name: \"web2\"",
        ),
        (
            "the stamped workload removed, another added",
            |t| {
                t.write(
                    "base/deploy.yaml",
                    &DEPLOY
                        .replace("kind: Deployment", "kind: StatefulSet")
                        .replace("name: web\n", "name: db\n"),
                )
            },
            "kind: StatefulSet",
        ),
        (
            "its last reference removed",
            |t| {
                t.write(
                    "base/deploy.yaml",
                    DEPLOY.split("        envFrom:").next().unwrap(),
                )
            },
            "",
        ),
    ];
    for (what, edit, want) in cases {
        let t = Tree::new();
        // A failed test's output names the case.
        println!("case: {what}");
        t.run(&["--write", "overlays/prod"], 0);
        edit(&t);
        t.run(&["--write", "overlays/prod"], 0);
        let built = t.built("overlays/prod");
        let (_, err) = t.run(&["--check", "overlays/prod"], 0);
        if want.is_empty() {
            // Nothing left to stamp: the file and exactly its listing go.
            assert!(
                err.contains("nothing to stamp in 1 kustomization"),
                "{what}: {err}"
            );
            assert!(
                !t.root
                    .join("overlays/prod/reload-stamp-patch.yaml")
                    .exists(),
                "{what}"
            );
            assert_eq!(
                t.read("overlays/prod/kustomization.yaml"),
                prod_listing,
                "{what}"
            );
            assert_eq!(checksum(&built), None, "{what}");
        } else {
            let p = t.read("overlays/prod/reload-stamp-patch.yaml");
            assert!(p.contains(want), "{what}: {p}");
            assert_eq!(checksums(&built).len(), 1, "{what}: {built}");
        }
    }
}

#[test]
fn empty_flow_and_json_kustomizations_take_the_listing() {
    if !have_kubectl() {
        return;
    }
    let cases: &[(&str, &str)] = &[
        ("resources:\n- ../../base\npatches: []\n", "patches: [{\"path\": \"reload-stamp-patch.yaml\"}]\n"),
        ("resources:\n- ../../base\npatches:\n", "patches:\n- path: reload-stamp-patch.yaml\n"),
        (
            "{\"resources\": [\"../../base\"]}\n",
            "{\"resources\": [\"../../base\"], \"patches\": [{\"path\": \"reload-stamp-patch.yaml\"}]}\n",
        ),
        ("{resources: [../../base], patches: []}\n", "patches: [{\"path\": \"reload-stamp-patch.yaml\"}]}\n"),
    ];
    let dev = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    for (k, want) in cases {
        let t = Tree::new();
        t.write("overlays/dev/kustomization.yaml", k);
        // A failed test's output names the case.
        println!("case: {k}");
        t.run(&["--write", "overlays/dev"], 0);
        let written = t.read("overlays/dev/kustomization.yaml");
        assert!(written.ends_with(want), "{k}: {written}");
        assert_eq!(checksum(&t.built("overlays/dev")), Some(dev.clone()), "{k}");
        t.run(&["--check", "overlays/dev"], 0);
        // With nothing left to stamp, the text is as it was.
        t.write(
            "base/deploy.yaml",
            DEPLOY.split("        envFrom:").next().unwrap(),
        );
        t.run(&["--write", "overlays/dev"], 0);
        let back = t.read("overlays/dev/kustomization.yaml");
        let expected = if k.ends_with("patches:\n") {
            "resources:\n- ../../base\n"
        } else {
            k
        };
        assert_eq!(back, expected, "{k}");
    }
    let t = Tree::new();
    t.write(
        "overlays/dev/kustomization.yaml",
        "resources:\n- ../../base\npatches: ~\n",
    );
    let (_, err) = t.run(&["--write", "overlays/dev"], 2);
    assert!(
        err.contains(
            "its patches is `~`, not a list: add `- path: reload-stamp-patch.yaml` to its patches"
        ),
        "{err}"
    );
}

#[test]
fn files_put_back_are_not_counted_as_stamped() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    // Builds the temporary copies as kubectl does, but the real directory
    // without the stamp: the check after writing fails.
    t.write(
        "lying-build",
        "#!/bin/sh\ncase \"$1\" in\n*/reload-stamp-*) exec kubectl kustomize \"$1\";;\n*) kubectl kustomize \"$1\" | grep -v checksum/config;;\nesac\n",
    );
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(
        t.root.join("lying-build"),
        fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let cmdline = format!("{}", t.root.join("lying-build").display());
    let (_, err) = t.run(
        &["--kustomize-command", &cmdline, "--write", "overlays/dev"],
        2,
    );
    assert!(
        err.contains("the files were put back as they were"),
        "{err}"
    );
    assert!(
        err.contains("nothing to stamp in 1 kustomization; 1 kustomization with errors"),
        "{err}"
    );
    assert!(!err.contains("stamped 1 workload"), "{err}");
    assert!(!t.root.join("overlays/dev/reload-stamp-patch.yaml").exists());
    assert_eq!(
        t.read("overlays/dev/kustomization.yaml"),
        "resources:\n  - ../../base\n"
    );
}

/// A component adds a workload, an earlier JSON patch removes the base's
/// namespace, and the overlay sets its own namespace and prefix: the patch
/// names each workload as kustomize sees it at the end of `patches`.
#[test]
fn components_and_patch_chains_are_named_as_kustomize_sees_them() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    t.write(
        "base/kustomization.yaml",
        "namespace: shop\nresources:\n- deploy.yaml\n- cm.yaml\n",
    );
    t.write(
        "components/collector/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- collector.yaml\n",
    );
    t.write(
        "components/collector/collector.yaml",
        &DEPLOY.replace("name: web\n", "name: collector\n"),
    );
    t.write(
        "overlays/chain/kustomization.yaml",
        "namespace: prod\nnamePrefix: p-\nresources:\n- ../../base\ncomponents:\n- ../../components/collector\npatches:\n- target: {kind: Deployment, name: web}\n  patch: |-\n    - {op: remove, path: /metadata/namespace}\n- target: {kind: Deployment, name: web}\n  patch: |-\n    - {op: replace, path: /metadata/name, value: shop-web}\n",
    );
    t.run(&["--write", "overlays/chain"], 0);
    let p = t.read("overlays/chain/reload-stamp-patch.yaml");
    assert!(
        p.contains("  name: \"shop-web\"\nspec:"),
        "renamed, namespace removed: {p}"
    );
    assert!(
        p.contains("  name: \"collector\"\nspec:"),
        "from the component: {p}"
    );
    let built = t.built("overlays/chain");
    let want = common::digest_outside(b"ConfigMap\0p-app\0data\0LOG\0info\0\0", None);
    let mut got = checksums(&built);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("p-collector".to_string(), want.clone()),
            ("p-shop-web".to_string(), want)
        ]
    );
    t.run(&["--check", "overlays/chain"], 0);
}

/// `overlays/outer` includes `overlays/prod` and changes its ConfigMap:
/// each build ends with its own digest, in either order, and `--check` on
/// the set is 0.
#[test]
fn an_overlay_that_includes_an_overlay_ends_with_its_own_digest() {
    if !have_kubectl() {
        return;
    }
    for order in [
        ["overlays/prod", "overlays/outer"],
        ["overlays/outer", "overlays/prod"],
    ] {
        let t = Tree::new();
        t.write(
            "overlays/outer/kustomization.yaml",
            "resources:\n- ../prod\npatches:\n- path: cm.yaml\n",
        );
        t.write(
            "overlays/outer/cm.yaml",
            &configmap("trace").replace("name: app", "name: prod-app\n  namespace: prod"),
        );
        t.run(&["--write", order[0], order[1]], 0);
        let prod = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0debug\0\0", None);
        let outer = common::digest_outside(b"ConfigMap\0prod-app\0data\0LOG\0trace\0\0", None);
        assert_eq!(checksum(&t.built("overlays/prod")), Some(prod), "{order:?}");
        assert_eq!(
            checksum(&t.built("overlays/outer")),
            Some(outer),
            "{order:?}"
        );
        t.run(&["--check", order[1], order[0]], 0);
        // The inner stamp went stale and broke: the set still recovers.
        t.write(
            "base/deploy.yaml",
            &DEPLOY.replace("name: web\n", "name: web2\n"),
        );
        t.run(&["--write", order[1], order[0]], 0);
        t.run(&["--check", order[0], order[1]], 0);
    }
}

#[test]
fn a_directory_without_a_kustomization_takes_the_entry_points_below_it() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    t.write(
        "overlays/comp/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    );
    t.write(
        "overlays/.hidden/kustomization.yaml",
        "resources:\n- ../../base\n",
    );
    t.write(
        "overlays/ignored/kustomization.yaml",
        "resources:\n- ../../base\n",
    );
    t.write("overlays/.gitignore", "ignored/\n");
    t.write(
        "overlays/broken/kustomization.yaml",
        "resources:\n- missing.yaml\n",
    );
    let (_, err) = t.run(&["--write", "overlays"], 0);
    assert!(
        err.contains(
            "overlays: 3 entry points found: overlays/broken, overlays/dev, overlays/prod"
        ),
        "{err}"
    );
    assert!(
        err.contains("warning: overlays/broken: skipped, it does not build"),
        "{err}"
    );
    assert!(
        err.contains("stamped 2 workloads in 2 of 2 kustomizations"),
        "{err}"
    );
    for d in ["comp", ".hidden", "ignored", "broken"] {
        assert!(
            !t.root
                .join(format!("overlays/{d}/reload-stamp-patch.yaml"))
                .exists(),
            "{d}"
        );
    }
    t.run(&["--check", "overlays/"], 0);
}

/// A `transformers` entry removes a workload after `patches`: which one a
/// patch sees is unknown, and the message names the entry's line.
#[test]
fn a_workload_that_cannot_be_targeted_is_an_error_naming_the_line() {
    let Some(t) = Tree::for_kubectl() else {
        return;
    };
    t.write(
        "base/other.yaml",
        &DEPLOY.replace("name: web\n", "name: other\n"),
    );
    t.write(
        "base/kustomization.yaml",
        "resources:\n- deploy.yaml\n- other.yaml\n- cm.yaml\n",
    );
    t.write(
        "overlays/drop/kustomization.yaml",
        "resources:\n- ../../base\ntransformers:\n- drop.yaml\n",
    );
    t.write(
        "overlays/drop/drop.yaml",
        "apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: drop\npatch: |-\n  $patch: delete\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: other\n",
    );
    assert!(!t.built("overlays/drop").contains("name: other"));
    let (_, err) = t.run(&["--write", "overlays/drop"], 2);
    assert!(
        err.contains("overlays/drop/kustomization.yaml: cannot name Deployment web in a patch: `transformers` (line 3) of the kustomization run after its patches and add, remove or reorder workloads"),
        "{err}"
    );
    assert!(!t
        .root
        .join("overlays/drop/reload-stamp-patch.yaml")
        .exists());
}

/// kustomize prints a null value differently from the source (`LOG: null`
/// for `LOG: ~`): through a build and as plain files it hashes as "".
#[test]
fn a_null_value_hashes_the_same_through_a_build_and_as_files() {
    if !have_kubectl() {
        return;
    }
    let want = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0\0\0", None);
    for null in ["", "~", "null", "\"\""] {
        let t = Tree::new();
        t.write("base/cm.yaml", &configmap(null));
        // A failed test's output names the case.
        println!("case: {null}");
        t.run(&["--write", "overlays/dev"], 0);
        assert_eq!(
            checksum(&t.built("overlays/dev")),
            Some(want.clone()),
            "{null}"
        );
        let o = cmd()
            .args(["--config-hash", "base/deploy.yaml", "base/cm.yaml"])
            .current_dir(&t.root)
            .output()
            .unwrap();
        assert_eq!(
            checksum(&String::from_utf8_lossy(&o.stdout)),
            Some(want.clone()),
            "{null}"
        );
    }
}
