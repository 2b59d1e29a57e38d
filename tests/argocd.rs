//! Argo CD's config management plugin (`integrations/argocd`), run the way
//! Argo CD's cmp-server runs it: `discover.fileName` matched in the
//! application's directory, then `generate`'s command and arguments from
//! plugin.yaml executed there (`sh -c SCRIPT`), with the sidecar's
//! environment plus the `ARGOCD_APP_*` build variables. The renderers are
//! the real ones: `kubectl kustomize` (1.32 from the machine, 1.35 from
//! `.ci/gitops-tools.sh`), Helm 3.17.2 and Helm 4.1.4.
//!
//! The sidecar patch is applied to Argo CD's own manifests
//! (`../shared/corpus/kustomize/argo-cd`), built with `kubectl kustomize`,
//! and read back by kubectl.
//!
//! Ignored by plain `cargo test` (it needs Helm); CI runs
//! `cargo test --test argocd -- --ignored` after installing the tools.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::bin::{assert_code, cmd, run_ok};
use common::tools::{self, bin_dir, ci_tool, have_kubectl, path_with, readme_block};
use serde_yaml::Value;

fn integration(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("integrations/argocd")
        .join(rel)
}

/// plugin.yaml, read as Argo CD reads it (a YAML document).
fn plugin() -> Value {
    let v: Value =
        serde_yaml::from_str(&fs::read_to_string(integration("plugin.yaml")).unwrap()).unwrap();
    assert_eq!(v["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(v["kind"], "ConfigManagementPlugin");
    assert_eq!(v["metadata"]["name"], "reload-stamp");
    v
}

/// Whether discovery picks the application: `discover.fileName` is a glob
/// in the application's directory; this one names a plain file.
fn discovered(app: &Path) -> bool {
    let name = plugin()["spec"]["discover"]["fileName"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!name.contains(['*', '?', '[']), "{name}");
    app.join(name).is_file()
}

/// The renderers on PATH, in front of the system's.
struct Tools {
    path: Vec<PathBuf>,
    label: String,
}

/// Runs `generate` as the cmp-server does: `command[0]` with the rest of
/// `command` and then `args`, in the application's directory.
fn generate(app: &Path, tools: &Tools) -> Output {
    generate_with(app, tools, &[])
}

/// `generate` with more variables, e.g. the Application's `plugin.env`
/// (Argo CD prefixes their names with `ARGOCD_ENV_`).
fn generate_with(app: &Path, tools: &Tools, env: &[(&str, &str)]) -> Output {
    let p = plugin();
    let gen = &p["spec"]["generate"];
    let mut argv: Vec<String> = gen["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .chain(gen["args"].as_sequence().into_iter().flatten())
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(&argv[..2], ["sh", "-c"]);
    let program = argv.remove(0);
    let mut path = tools.path.clone();
    path.insert(0, bin_dir());
    let home = tempfile::tempdir().unwrap();
    Command::new(program)
        .args(argv)
        .current_dir(app)
        .env("PATH", path_with(&path))
        .env("HOME", home.path())
        .env("HELM_CACHE_HOME", home.path().join("helm/cache"))
        .env("HELM_CONFIG_HOME", home.path().join("helm/config"))
        .env("HELM_DATA_HOME", home.path().join("helm/data"))
        .env_remove("SOURCE_DATE_EPOCH")
        .env_remove("KUBECONFIG")
        .env("ARGOCD_APP_NAME", "shop")
        .env("ARGOCD_APP_NAMESPACE", "shop-prod")
        .env(
            "ARGOCD_APP_REVISION",
            "4f1c0de5e0c1d2ab6b2a3f5c5d9e8f7a6b5c4d3e",
        )
        .env("ARGOCD_APP_REVISION_SHORT", "4f1c0de")
        .env("ARGOCD_APP_SOURCE_PATH", "apps/shop")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/gitops.git",
        )
        .env("ARGOCD_APP_SOURCE_TARGET_REVISION", "HEAD")
        .env("KUBE_VERSION", "1.32.3")
        .env("KUBE_API_VERSIONS", "v1,apps/v1,batch/v1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The CLI on a stream, as the plugin runs it by default.
fn cli(stream: &[u8]) -> String {
    let o = run_ok(cmd().arg("--config-hash").write_stdin(stream.to_vec()));
    text(&o.stdout)
}

/// `(Kind/name, checksum/config)` of each manifest Argo CD would get.
fn manifests(stream: &str) -> Vec<(String, Option<String>)> {
    common::load_all(stream)
        .unwrap()
        .iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            (
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                ),
                d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                    .as_str()
                    .map(str::to_string),
            )
        })
        .collect()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (rel, body) in files {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, body).unwrap();
    }
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        envFrom:\n        - configMapRef:\n            name: app\n";

/// The kubectls to run kustomize with: the machine's (1.32) and 1.35, a
/// directory first on `PATH` for each but the machine's.
fn kubectls() -> Vec<Tools> {
    tools::kubectls()
        .into_iter()
        .map(|k| Tools {
            path: k
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .into_iter()
                .collect(),
            label: k.display().to_string(),
        })
        .collect()
}

fn helms() -> Vec<Tools> {
    let mut all = vec![];
    for (var, rel) in [("HELM3", "helm-3.17.2/helm"), ("HELM4", "helm-4.1.4/helm")] {
        if let Some(h) = ci_tool(var, rel) {
            all.push(Tools {
                path: vec![h.parent().unwrap().to_path_buf()],
                label: rel.into(),
            });
        }
    }
    all
}

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn a_kustomize_overlay_application() {
    if !have_kubectl() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            ("base/deploy.yaml", DEPLOY),
            ("base/kustomization.yaml", "resources:\n- deploy.yaml\nconfigMapGenerator:\n- name: app\n  literals: [LOG=info]\n"),
            ("overlays/prod/kustomization.yaml", "resources:\n- ../../base\nnamePrefix: prod-\nconfigMapGenerator:\n- name: app\n  behavior: merge\n  literals: [LOG=warn]\n"),
            ("overlays/prod/reload-stamp.args", ""),
        ],
    );
    let app = d.path().join("overlays/prod");
    assert!(discovered(&app));
    // kustomize options from the Application's plugin env: a file outside
    // the overlay needs LoadRestrictionsNone.
    write(
        d.path(),
        &[
            (
                "shared/extra.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
            ),
            (
                "overlays/extra/kustomization.yaml",
                "resources:\n- ../../shared/extra.yaml\n",
            ),
        ],
    );
    let extra = d.path().join("overlays/extra");
    let plain = Tools {
        path: vec![],
        label: "kubectl on PATH".into(),
    };
    // Outside the overlay, without LoadRestrictionsNone: kustomize refuses.
    assert_code(&generate(&extra, &plain), 1, "extra without options");
    let o = generate_with(
        &extra,
        &plain,
        &[(
            "ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS",
            "--load-restrictor LoadRestrictionsNone",
        )],
    );
    assert_code(&o, 0, "extra with LoadRestrictionsNone");
    assert!(text(&o.stdout).contains("name: extra"));
    assert!(!discovered(&d.path().join("base")));
    for tools in kubectls() {
        let o = generate(&app, &tools);
        assert_code(&o, 0, &tools.label);
        let out = text(&o.stdout);
        // What the CLI gives on the same build.
        let kubectl = tools
            .path
            .first()
            .map_or_else(|| "kubectl".into(), |d| d.join("kubectl"));
        let built = tools::kustomize_build(&kubectl, &app);
        assert_eq!(out, cli(built.as_bytes()), "{}", tools.label);
        let m = manifests(&out);
        assert_eq!(m.len(), 2, "{out}");
        let (name, stamp) = &m[1];
        assert_eq!(name, "Deployment/prod-web");
        // The overlay's merged data, by the ConfigMap's built name.
        let cm = &m[0].0["ConfigMap/".len()..];
        assert!(cm.starts_with("prod-app-"), "{cm}");
        let digest = common::digest_outside(
            format!("ConfigMap\0{cm}\0data\0LOG\0warn\0\0").as_bytes(),
            None,
        );
        assert_eq!(stamp.as_deref(), Some(digest.as_str()), "{}", tools.label);
    }
}

const CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: shop\nversion: 1.0.0\n"),
    ("values.yaml", "log: info\n"),
    ("values-prod.yaml", "log: debug\n"),
    ("reload-stamp.args", "--config-hash --key example.com/config\n"),
    (
        "templates/config.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  namespace: {{ .Release.Namespace }}\ndata:\n  LOG: {{ .Values.log | quote }}\n  KUBE: {{ .Capabilities.KubeVersion.Version | quote }}\n",
    ),
    (
        "templates/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\n  namespace: {{ .Release.Namespace }}\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n        volumeMounts:\n        - {name: conf, mountPath: /etc/web}\n      volumes:\n      - name: conf\n        configMap:\n          name: {{ .Release.Name }}-config\n",
    ),
];

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn a_helm_chart_application_with_helm_3_and_4() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), CHART);
    assert!(discovered(d.path()));
    for tools in helms() {
        let o = generate(d.path(), &tools);
        assert_code(&o, 0, &tools.label);
        let out = text(&o.stdout);
        // The release is the application's name, in its namespace, for
        // the cluster's Kubernetes version (from Argo CD's variables).
        assert!(
            out.contains("name: shop-config\n  namespace: shop-prod\n"),
            "{out}"
        );
        assert!(out.contains("KUBE: \"v1.32.3\""), "{out}");
        let m = manifests(&out);
        assert_eq!(m.len(), 2, "{out}");
        assert_eq!(m[1].0, "Deployment/shop-web");
        // The options from reload-stamp.args: the key given there.
        assert!(out.contains("example.com/config: \""), "{out}");
        let digest = common::digest_outside(
            b"ConfigMap\0shop-config\0data\0KUBE\0v1.32.3\0LOG\0info\0\0",
            None,
        );
        assert!(
            out.contains(&format!("example.com/config: \"{digest}\"")),
            "{}: {out}",
            tools.label
        );
        // Helm arguments from the Application's plugin env.
        let o = generate_with(
            d.path(),
            &tools,
            &[("ARGOCD_ENV_HELM_ARGS", "-f values-prod.yaml")],
        );
        assert_code(&o, 0, &format!("{}, -f values-prod.yaml", tools.label));
        let out = text(&o.stdout);
        assert!(out.contains("LOG: \"debug\""), "{out}");
        assert!(!out.contains(&digest), "{out}");
    }
}

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn a_directory_of_plain_manifests() {
    let d = tempfile::tempdir().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG: info\n";
    write(d.path(), &[("deploy.yaml", DEPLOY), ("config/cm.yaml", cm)]);
    // No reload-stamp.args: not discovered, but an Application that names
    // the plugin gets the default options (--config-hash).
    assert!(!discovered(d.path()));
    let o = generate(d.path(), &plain()[0]);
    assert_code(&o, 0, "plain manifests");
    let out = text(&o.stdout);
    let digest = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    assert_eq!(
        manifests(&out),
        [
            ("ConfigMap/app".to_string(), None),
            ("Deployment/web".to_string(), Some(digest))
        ]
    );
}

/// The machine's tools only.
fn plain() -> Vec<Tools> {
    vec![Tools {
        path: vec![],
        label: "plain".into(),
    }]
}

/// An application that must fail: what is wrong, its files, the renderers
/// to try, and what the message must say.
type Broken<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<Tools>, Vec<String>);

/// Each application of `cases` fails with each of its renderers: exit 1,
/// nothing on standard output (Argo CD applies nothing), and a message
/// that says what is wrong.
fn fails_saying(cases: Vec<Broken>) {
    for (what, files, all, says) in cases {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &files);
        for tools in all {
            let o = generate(d.path(), &tools);
            assert_code(&o, 1, &format!("{what}, {}", tools.label));
            assert!(o.stdout.is_empty(), "{what}, {}", tools.label);
            let err = text(&o.stderr);
            for want in &says {
                assert!(err.contains(want), "{what}, {}: {err}", tools.label);
            }
        }
    }
}

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn an_empty_application_fails_instead_of_pruning_everything() {
    if !have_kubectl() {
        return;
    }
    let says = || {
        vec!["reload-stamp-cmp: shop: the render of apps/shop has no manifests; refusing an empty stream, which would make Argo CD prune every resource of the application".to_string()]
    };
    fails_saying(vec![
        ("no files", vec![("reload-stamp.args", "")], plain(), says()),
        (
            "only comments",
            vec![
                ("reload-stamp.args", ""),
                ("old.yaml", "# kind: Deployment\n---\n"),
            ],
            plain(),
            says(),
        ),
        (
            "a kustomization without resources",
            vec![("kustomization.yaml", "resources: []\n")],
            kubectls(),
            says(),
        ),
        (
            "a chart without templates",
            vec![("Chart.yaml", "apiVersion: v2\nname: none\nversion: 1.0.0\n")],
            helms(),
            says(),
        ),
    ]);
}

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn a_broken_application_fails_with_the_reason() {
    if !have_kubectl() {
        return;
    }
    let bad_template = [
        CHART[..4].to_vec(),
        vec![("templates/bad.yaml", "kind: {{ .Values.log \n")],
    ]
    .concat();
    let refused = DEPLOY.replace(
        "      labels: {app: web}\n",
        "      labels: {app: web}\n      annotations: oops\n",
    );
    let says = |all: &[&str]| all.iter().map(|s| s.to_string()).collect();
    fails_saying(vec![
        (
            "a kustomization naming a file that is not there",
            vec![("kustomization.yaml", "resources:\n- missing.yaml\n")],
            kubectls(),
            says(&[
                "missing.yaml",
                "reload-stamp-cmp: shop: `kubectl kustomize  .` failed (its message is above)",
            ]),
        ),
        (
            "a template that does not parse",
            bad_template,
            helms(),
            says(&[
                "templates/bad.yaml",
                "reload-stamp-cmp: shop: `helm template shop . --namespace shop-prod",
            ]),
        ),
        (
            "a render reload-stamp refuses",
            vec![("deploy.yaml", &refused), ("reload-stamp.args", "")],
            plain(),
            says(&["deploy.yaml:11:20: the pod template's 'annotations' is not a mapping"]),
        ),
        (
            "an unknown option in reload-stamp.args",
            vec![
                ("deploy.yaml", DEPLOY),
                ("reload-stamp.args", "--config-hsah\n"),
            ],
            plain(),
            says(&[
                "--config-hsah",
                "reload-stamp-cmp: shop: reload-stamp --config-hsah . failed",
            ]),
        ),
    ]);
}

/// Argo CD's manifests with the component added, built by `kubectl` at
/// `kubectl` (a program or a path), or None when the corpus is missing.
fn argo_cd_with_the_plugin(kubectl: &Path, with: bool) -> Option<String> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/kustomize/argo-cd");
    if !corpus.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is needed in CI",
            corpus.display()
        );
        eprintln!("{} not found: skipped", corpus.display());
        return None;
    }
    // On a copy: the corpus stays as it is.
    let d = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        run_ok(Command::new("cp").arg("-r").arg(from).arg(to));
    };
    copy(&corpus, &d.path().join("argo-cd"));
    copy(&integration(""), &d.path().join("reload-stamp"));
    // The README's kustomization as it is there, with local paths.
    let mut k = readme_block("# argocd/kustomization.yaml")
        .replace(
            "https://github.com/argoproj/argo-cd//manifests/cluster-install?ref=v3.2.0",
            "../argo-cd/cluster-install",
        )
        .replace(
            "https://github.com/OWNER/reload-stamp//integrations/argocd?ref=v0.1.0",
            "../reload-stamp",
        );
    if !with {
        let (head, tail) = k.split_once("components:\n").unwrap();
        let rest = &tail[tail.find("images:").unwrap()..];
        let rest = &rest[..rest.find("patches:").unwrap()];
        k = format!("{head}{rest}");
    }
    write(d.path(), &[("install/kustomization.yaml", &k)]);
    Some(tools::kustomize_build(kubectl, &d.path().join("install")))
}

/// The objects kubectl reads from a stream (offline: a local no-op patch).
fn kubectl_reads(kubectl: &Path, stream: &str) -> Vec<serde_json::Value> {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("built.yaml");
    fs::write(&f, stream).unwrap();
    let o = run_ok(
        Command::new(kubectl)
            .args([
                "patch", "--local", "--type", "merge", "-p", "{}", "-o", "json", "-f",
            ])
            .arg(&f),
    );
    // One JSON object per input object, concatenated.
    serde_json::Deserializer::from_slice(&o.stdout)
        .into_iter::<serde_json::Value>()
        .map(|v| v.unwrap())
        .collect()
}

#[test]
#[ignore = "needs the GitOps tools: CI installs them with .ci/gitops-tools.sh"]
fn the_sidecar_patch_on_argo_cds_manifests() {
    if !have_kubectl() {
        return;
    }
    let mut kubectls = vec![PathBuf::from("kubectl")];
    kubectls.extend(ci_tool("KUBECTL_NEW", "kubectl-1.35.2/kubectl"));
    for kubectl in kubectls {
        let Some(built) = argo_cd_with_the_plugin(&kubectl, true) else {
            return;
        };
        let plain = argo_cd_with_the_plugin(&kubectl, false).unwrap();
        let objects = kubectl_reads(&kubectl, &built);
        let before = kubectl_reads(&kubectl, &plain);
        // One object more: the plugin's ConfigMap, holding plugin.yaml.
        assert_eq!(objects.len(), before.len() + 1, "{}", kubectl.display());
        let cm = objects
            .iter()
            .find(|o| {
                o["kind"] == "ConfigMap"
                    && o["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("reload-stamp-cmp-")
            })
            .expect("the plugin's ConfigMap");
        assert_eq!(
            cm["data"]["plugin.yaml"].as_str().unwrap(),
            fs::read_to_string(integration("plugin.yaml")).unwrap()
        );

        let repo = |all: &[serde_json::Value]| {
            all.iter()
                .find(|o| {
                    o["kind"] == "Deployment" && o["metadata"]["name"] == "argocd-repo-server"
                })
                .unwrap()
                .clone()
        };
        let (mut after, was) = (repo(&objects), repo(&before));
        let spec = &mut after["spec"]["template"]["spec"];
        let containers = spec["containers"].as_array_mut().unwrap();
        let i = containers
            .iter()
            .position(|c| c["name"] == "reload-stamp")
            .expect("the sidecar");
        let sidecar = containers.remove(i);
        assert_eq!(containers.len(), 1);
        assert_eq!(
            sidecar["command"],
            serde_json::json!(["/var/run/argocd/argocd-cmp-server"])
        );
        assert_eq!(sidecar["securityContext"]["runAsUser"], 999);
        assert_eq!(sidecar["securityContext"]["runAsNonRoot"], true);
        // The same Argo CD image as the repo-server, pinned by `images:`.
        assert_eq!(sidecar["image"], "quay.io/argoproj/argocd:v3.2.0");
        assert_eq!(containers[0]["image"], sidecar["image"]);
        // Every mount is a volume of the pod; the config is the generated
        // ConfigMap, by its hashed name.
        let volumes = spec["volumes"].as_array().unwrap();
        let volume = |name: &str| {
            volumes
                .iter()
                .find(|v| v["name"] == name)
                .unwrap_or_else(|| panic!("no volume {name}"))
        };
        let mounts: Vec<(String, String)> = sidecar["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_string(),
                    m["mountPath"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for (name, _) in &mounts {
            volume(name);
        }
        let at = |path: &str| {
            mounts
                .iter()
                .find(|(_, p)| p == path)
                .map(|(n, _)| n.clone())
                .unwrap()
        };
        assert_eq!(at("/var/run/argocd"), "var-files");
        assert_eq!(at("/home/argocd/cmp-server/plugins"), "plugins");
        assert_eq!(
            volume(&at("/home/argocd/cmp-server/config/plugin.yaml"))["configMap"]["name"],
            cm["metadata"]["name"]
        );
        assert_eq!(volume(&at("/tmp"))["emptyDir"], serde_json::json!({}));
        assert_ne!(at("/tmp"), "tmp", "not the repo-server's /tmp");
        // The image the README's patch pins, over the Component's :latest.
        let bin = volume(&at("/opt/reload-stamp"));
        assert_eq!(
            bin["image"]["reference"],
            "ghcr.io/OWNER/reload-stamp:0.1.0"
        );
        // Without the additions, the repo-server is as Argo CD ships it.
        let volumes = spec["volumes"].as_array_mut().unwrap();
        volumes.retain(|v| !v["name"].as_str().unwrap().starts_with("reload-stamp-"));
        assert_eq!(after, was, "{}", kubectl.display());
    }
}
