//! Helm 3 and Helm 4 end to end: the real `helm` (3.17.2 and 4.1.4, as
//! `.ci/gitops-tools.sh` installs them) renders a chart whose Deployment
//! uses a ConfigMap and a Secret, with `helm template` and `helm install
//! --dry-run=client`, through Helm 3's executable post-renderer and Helm 4's
//! plugin (`integrations/helm`, installed with `helm plugin install`), both
//! run the way the README says.
//!
//! Ignored by plain `cargo test` (it needs Helm); CI runs
//! `cargo test --test helm -- --ignored` after installing it.
//!
//! Helm 3's `install --dry-run=client` needs a reachable API server: it reads
//! the discovery documents and asks whether each object exists. The test
//! serves those documents (and 404 for every object) from a thread; Helm and
//! the post-renderer are the real ones.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::bin::{assert_code, assert_failed, cmd, expect_code, run_ok};
use common::tools::{bin_dir, ci_tool, path_with};

const CHART: &[(&str, &str)] = &[
    ("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n"),
    (
        "values.yaml",
        "log: info\ntoken: s3cret\nunused: a\nteam: web\nfail: false\n",
    ),
    (
        "templates/config.yaml",
        r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  labels:
    team: {{ .Values.team | quote }}
data:
  LOG: {{ .Values.log | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-unused
data:
  UNUSED: {{ .Values.unused | quote }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-token
type: Opaque
data:
  TOKEN: {{ .Values.token | b64enc | quote }}
"#,
    ),
    (
        "templates/deployment.yaml",
        r#"{{- if .Values.fail }}{{ fail "values: fail is set" }}{{ end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      {{- with .Values.podAnnotations }}
      annotations: {{ . | toJson }}
      {{- end }}
    spec:
      containers:
      - name: web
        image: nginx
        envFrom:
        - configMapRef:
            name: {{ .Release.Name }}-config
        env:
        - name: TOKEN
          valueFrom:
            secretKeyRef: {name: {{ .Release.Name }}-token, key: TOKEN}
"#,
    ),
    // Hooks: a Job (never stamped: its template is immutable) and a
    // workload, which shows whether hooks reach the post-renderer.
    (
        "templates/hooks.yaml",
        r#"apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox
        envFrom:
        - configMapRef:
            name: {{ .Release.Name }}-config
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-smoke
  annotations:
    helm.sh/hook: post-install
spec:
  selector:
    matchLabels: {app: smoke}
  template:
    metadata:
      labels: {app: smoke}
    spec:
      containers:
      - name: smoke
        image: busybox
        envFrom:
        - configMapRef:
            name: {{ .Release.Name }}-config
"#,
    ),
];

/// Discovery documents for Helm 3's `install --dry-run=client`: the kinds
/// of the chart, in their groups; every other path (an object) is a 404.
fn serve_discovery() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let res = |name: &str, kind: &str| {
        format!(
            r#"{{"name":"{name}","singularName":"","namespaced":true,"kind":"{kind}","verbs":["get","list","create"]}}"#
        )
    };
    let group = |g: &str| {
        format!(
            r#"{{"name":"{g}","versions":[{{"groupVersion":"{g}/v1","version":"v1"}}],"preferredVersion":{{"groupVersion":"{g}/v1","version":"v1"}}}}"#
        )
    };
    let list = |gv: &str, r: Vec<String>| {
        format!(
            r#"{{"kind":"APIResourceList","groupVersion":"{gv}","resources":[{}]}}"#,
            r.join(",")
        )
    };
    let docs: BTreeMap<&str, String> = [
        (
            "/version",
            r#"{"major":"1","minor":"32","gitVersion":"v1.32.3"}"#.to_string(),
        ),
        (
            "/api",
            r#"{"kind":"APIVersions","versions":["v1"]}"#.to_string(),
        ),
        (
            "/apis",
            format!(
                r#"{{"kind":"APIGroupList","apiVersion":"v1","groups":[{},{}]}}"#,
                group("apps"),
                group("batch")
            ),
        ),
        (
            "/api/v1",
            list(
                "v1",
                vec![res("configmaps", "ConfigMap"), res("secrets", "Secret")],
            ),
        ),
        (
            "/apis/apps/v1",
            list("apps/v1", vec![res("deployments", "Deployment")]),
        ),
        ("/apis/batch/v1", list("batch/v1", vec![res("jobs", "Job")])),
    ]
    .into_iter()
    .collect();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // The rest of the request head.
            let mut h = String::new();
            while reader.read_line(&mut h).map(|n| n > 2).unwrap_or(false) {
                h.clear();
            }
            let path = line
                .split(' ')
                .nth(1)
                .unwrap_or("")
                .split('?')
                .next()
                .unwrap_or("");
            let reply = match docs.get(path) {
                Some(body) => format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
            };
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    port
}

/// One Helm, with its own data, config and cache homes, the chart, and
/// (Helm 4) the plugin installed from this repository.
struct Helm {
    bin: PathBuf,
    major: u8,
    home: tempfile::TempDir,
}

impl Helm {
    fn new(major: u8) -> Option<Helm> {
        let bin = match major {
            3 => ci_tool("HELM3", "helm-3.17.2/helm")?,
            _ => ci_tool("HELM4", "helm-4.1.4/helm")?,
        };
        let home = tempfile::tempdir().unwrap();
        for (rel, text) in CHART {
            let p = home.path().join("app").join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        let port = serve_discovery();
        fs::write(
            home.path().join("kubeconfig"),
            format!("apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\ncontexts:\n- name: c\n  context: {{cluster: c, namespace: default}}\ncurrent-context: c\nusers: []\n"),
        )
        .unwrap();
        let helm = Helm { bin, major, home };
        let version = ok(helm.run(&["version", "--short"]));
        eprintln!("helm {}", version.trim());
        if major == 4 {
            // As the README says; the data home decides where it goes.
            let plugin = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/helm");
            ok(helm.run(&["plugin", "install", plugin.to_str().unwrap()]));
        }
        Some(helm)
    }

    fn run(&self, args: &[&str]) -> Output {
        let h = self.home.path();
        Command::new(&self.bin)
            .current_dir(h)
            .args(args)
            .env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("KUBECONFIG", h.join("kubeconfig"))
            .env_remove("HELM_PLUGINS")
            .env_remove("SOURCE_DATE_EPOCH")
            // The README's set-ups run `reload-stamp` from PATH.
            .env("PATH", path_with(&[bin_dir()]))
            .output()
            .unwrap()
    }

    /// The post-renderer flags, as the README gives them.
    fn post_renderer(&self) -> &'static [&'static str] {
        match self.major {
            3 => &[
                "--post-renderer",
                "reload-stamp",
                "--post-renderer-args",
                "--config-hash",
                "--post-renderer-args",
                "--quiet",
            ],
            _ => &["--post-renderer", "reload-stamp"],
        }
    }

    fn args<'a>(&self, verb: &[&'a str], set: &[&'a str], post: bool) -> Vec<&'a str> {
        let mut a: Vec<&str> = verb.to_vec();
        a.extend(["rel", "app"]);
        for s in set {
            a.extend(["--set", s]);
        }
        if post {
            a.extend(self.post_renderer());
        }
        a
    }

    /// `helm template rel app`, with `--set` values, with or without the
    /// post-renderer.
    fn template(&self, set: &[&str], post: bool) -> Output {
        self.run(&self.args(&["template"], set, post))
    }

    /// `helm install rel app --dry-run=client -o json`: the release's
    /// manifest and its hooks' manifests.
    fn install(&self, set: &[&str], post: bool) -> (String, Vec<String>) {
        let mut verb = vec!["install", "--dry-run=client", "-o", "json"];
        if self.major == 3 {
            // Helm 3 would download the OpenAPI schema to validate.
            verb.push("--disable-openapi-validation");
        }
        let out = ok(self.run(&self.args(&verb, set, post)));
        let rel: serde_json::Value = serde_json::from_str(&out).unwrap();
        let hooks = rel["hooks"]
            .as_array()
            .map(|h| {
                h.iter()
                    .map(|h| h["manifest"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default();
        (rel["manifest"].as_str().unwrap().to_string(), hooks)
    }
}

/// The standard output of a run of Helm that must succeed.
fn ok(o: Output) -> String {
    assert_code(&o, 0, "helm");
    String::from_utf8(o.stdout).unwrap()
}

/// The CLI on a stream, as the plugin runs it.
fn cli(stream: &str) -> String {
    let o = run_ok(
        cmd()
            .args(["--config-hash", "--quiet"])
            .write_stdin(stream.to_string()),
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `Kind/name` of each object of a stream, with its pod template's
/// `checksum/config` (read by serde_yaml, not by the tool's parser).
fn stamps(stream: &str) -> BTreeMap<String, Option<String>> {
    let docs = common::load_all(stream).unwrap();
    docs.iter()
        .filter(|d| !d.is_null())
        .map(|d| {
            let id = format!(
                "{}/{}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["name"].as_str().unwrap()
            );
            let stamp = d["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
                .as_str()
                .map(str::to_string);
            (id, stamp)
        })
        .collect()
}

fn web(stream: &str) -> String {
    stamps(stream)["Deployment/rel-web"]
        .clone()
        .unwrap_or_else(|| panic!("rel-web is not stamped:\n{stream}"))
}

#[test]
#[ignore = "needs Helm 3 and 4: CI installs them with .ci/gitops-tools.sh"]
fn template_and_install_dry_run_through_the_post_renderer() {
    for major in [3, 4] {
        let Some(helm) = Helm::new(major) else { return };
        let plain = ok(helm.template(&[], false));
        let by_cli = cli(&plain);
        let rendered = ok(helm.template(&[], true));
        // `helm template` prints what the post-renderer gave back, and that
        // is the CLI's output on the same rendered stream, byte for byte
        // (Helm 4 takes its postrender-filename annotations off again).
        // Helm 3 gives it no hooks: they are printed as rendered.
        let mut want = by_cli.clone();
        if major == 3 {
            let smoke = stamps(&by_cli)["Deployment/rel-smoke"].clone().unwrap();
            want = want.replace(
                &format!("      annotations:\n        checksum/config: \"{smoke}\"\n"),
                "",
            );
        }
        assert_eq!(rendered, want, "Helm {major}");
        assert!(!rendered.contains("postrender-filename"), "{rendered}");
        let digest = web(&rendered);
        assert_eq!(digest.len(), 64);

        let (manifest, _) = helm.install(&[], true);
        assert_eq!(web(&manifest), digest, "Helm {major} install");
        let (plain_manifest, _) = helm.install(&[], false);
        assert_eq!(stamps(&plain_manifest)["Deployment/rel-web"], None);
        assert_eq!(cli(&plain_manifest), manifest, "Helm {major} install");
    }
}

#[test]
#[ignore = "needs Helm 3 and 4: CI installs them with .ci/gitops-tools.sh"]
fn the_digest_moves_with_what_the_deployment_uses() {
    let mut per_version = vec![];
    for major in [3, 4] {
        let Some(helm) = Helm::new(major) else { return };
        let digest = |set: &[&str]| {
            let d = web(&ok(helm.template(set, true)));
            // The same as the CLI's on the same rendered stream.
            assert_eq!(web(&cli(&ok(helm.template(set, false)))), d, "{set:?}");
            d
        };
        let base = digest(&[]);
        // Referenced values: the ConfigMap's data and the Secret's.
        assert_ne!(digest(&["log=debug"]), base, "Helm {major}");
        assert_ne!(digest(&["token=other"]), base, "Helm {major}");
        // An unreferenced ConfigMap, and a label of the referenced one.
        assert_eq!(digest(&["unused=b"]), base, "Helm {major}");
        assert_eq!(digest(&["team=api"]), base, "Helm {major}");
        per_version.push(base);
    }
    // Helm 3 and 4 render the same chart to the same digest.
    if let [h3, h4] = &per_version[..] {
        assert_eq!(h3, h4);
    }
}

#[test]
#[ignore = "needs Helm 3 and 4: CI installs them with .ci/gitops-tools.sh"]
fn helm_4_post_renders_hooks_and_helm_3_does_not() {
    for major in [3, 4] {
        let Some(helm) = Helm::new(major) else { return };
        let rendered = stamps(&ok(helm.template(&[], true)));
        let (_, hooks) = helm.install(&[], true);
        let hooks: BTreeMap<_, _> = hooks.iter().flat_map(|h| stamps(h)).collect();
        assert_eq!(hooks.len(), 2, "{hooks:?}");
        // A Job is never stamped.
        assert_eq!(rendered["Job/rel-migrate"], None);
        assert_eq!(hooks["Job/rel-migrate"], None);
        let smoke = &rendered["Deployment/rel-smoke"];
        assert_eq!(&hooks["Deployment/rel-smoke"], smoke, "Helm {major}");
        if major == 4 {
            // The hook went through the plugin, in `helm template` and in
            // the release's hooks alike.
            assert!(smoke.is_some(), "{rendered:?}");
        } else {
            assert_eq!(smoke, &None, "Helm 3 does not post-render hooks");
        }
    }
}

#[test]
#[ignore = "needs Helm 3 and 4: CI installs them with .ci/gitops-tools.sh"]
fn render_errors_and_refusals_fail_helm_with_the_reason() {
    for major in [3, 4] {
        let Some(helm) = Helm::new(major) else { return };
        // The chart fails to render: Helm stops before the post-renderer.
        let o = helm.template(&["fail=true"], true);
        assert_failed(&o, &format!("Helm {major}, fail=true"));
        assert!(o.stdout.is_empty());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("values: fail is set"), "Helm {major}: {err}");

        // The render is something reload-stamp refuses: Helm fails, and
        // prints nothing.
        let o = helm.template(&["podAnnotations=oops"], true);
        assert_failed(&o, &format!("Helm {major}, podAnnotations=oops"));
        assert!(o.stdout.is_empty(), "Helm {major}");
        let err = String::from_utf8_lossy(&o.stderr);
        let says = "the pod template's 'annotations' is not a mapping";
        if major == 3 {
            // Helm 3 shows the post-renderer's standard error: the line
            // and column in the rendered stream.
            assert!(
                err.contains(&format!("reload-stamp: <stdin>:40:20: {says}")),
                "Helm 3: {err}"
            );
        } else {
            // Helm 4.1.4 keeps a subprocess post-renderer's standard error
            // in a buffer it never prints (internal/plugin/
            // runtime_subprocess.go): only the exit is reported. The README
            // says so; if a Helm upgrade shows the message, this fails, and
            // the README's note can go.
            assert!(
                err.contains("plugin \"reload-stamp\" exited with error"),
                "Helm 4: {err}"
            );
            assert!(!err.contains(says), "Helm 4 now shows it: {err}");
        }
        // Without the post-renderer the same values render, and the CLI on
        // that stream gives the reason.
        let plain = ok(helm.template(&["podAnnotations=oops"], false));
        let o = expect_code(
            cmd().args(["--config-hash", "--quiet"]).write_stdin(plain),
            2,
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains(says));
    }
}

#[test]
#[ignore = "needs Helm 3 and 4: CI installs them with .ci/gitops-tools.sh"]
fn a_chart_without_workloads_comes_back_as_rendered() {
    for major in [3, 4] {
        let Some(helm) = Helm::new(major) else { return };
        let templates = helm.home.path().join("app/templates");
        fs::remove_file(templates.join("deployment.yaml")).unwrap();
        fs::remove_file(templates.join("hooks.yaml")).unwrap();
        let plain = ok(helm.template(&[], false));
        assert_eq!(stamps(&plain).len(), 3);
        assert_eq!(ok(helm.template(&[], true)), plain, "Helm {major}");
        let (manifest, hooks) = helm.install(&[], true);
        assert!(hooks.is_empty());
        assert_eq!(manifest, helm.install(&[], false).0, "Helm {major}");
    }
}
