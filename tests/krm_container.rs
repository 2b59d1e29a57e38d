//! The KRM function as a container image, through the real kustomize:
//! `kubectl kustomize --enable-alpha-plugins` on a kustomization whose
//! transformer carries `config.kubernetes.io/function: container: image:`.
//! kustomize runs it as `docker run --user nobody --network none`; here
//! `docker` is podman-docker's (podman), first on PATH.
//!
//! The image is the release image (`release/build.sh image`, FROM scratch);
//! `RELOAD_STAMP_IMAGE` names it. Ignored by plain `cargo test`; CI builds
//! the image and runs `cargo test --test krm_container -- --ignored`, with
//! the machine's kubectl and again with kubectl 1.35.

mod common;

use common::bin::{assert_code, assert_failed, run_ok};

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::tools::{kubectls, path_with, readme_block};

/// The shared Deployment with an annotation of kustomize's own prefix,
/// which must come back from the container as it went in.
fn deploy() -> String {
    common::DEPLOY_ENV_FROM.replace(
        "  name: web\nspec:",
        "  name: web\n  annotations:\n    config.kubernetes.io/owner: team-web\nspec:",
    )
}

/// The image, and a directory whose `docker` is podman-docker's.
struct Engine {
    image: String,
    docker: tempfile::TempDir,
}

fn engine() -> Option<Engine> {
    let why = match std::env::var("RELOAD_STAMP_IMAGE") {
        Err(_) => {
            "RELOAD_STAMP_IMAGE is not set (.ci/gitops.sh builds the image and sets it)".to_string()
        }
        Ok(image) => {
            let wrapper = Path::new("/usr/bin/docker");
            match fs::read_to_string(wrapper) {
                Ok(s) if s.contains("podman") => {
                    let docker = tempfile::tempdir().unwrap();
                    std::os::unix::fs::symlink(wrapper, docker.path().join("docker")).unwrap();
                    return Some(Engine { image, docker });
                }
                _ => "podman-docker's /usr/bin/docker is not installed (apt-get install podman-docker)".to_string(),
            }
        }
    };
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("{why}: skipped");
    None
}

fn build(kubectl: &Path, engine: &Engine, dir: &Path) -> Output {
    Command::new(kubectl)
        .args(["kustomize", "--enable-alpha-plugins"])
        .arg(dir)
        .env("PATH", path_with(&[engine.docker.path().to_path_buf()]))
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The README's transformer config (`# reload-stamp.yaml`, or its
/// ConfigMap form), running the image under test, with `body` for the
/// README's last line (its options).
fn function(engine: &Engine, configmap: bool, body: &str) -> String {
    let (first, last) = if configmap {
        (
            "# reload-stamp.yaml, as a ConfigMap",
            "data:\n  value: \"42\"\n",
        )
    } else {
        ("# reload-stamp.yaml", "configHash: true\n")
    };
    let t = readme_block(first).replace("ghcr.io/OWNER/reload-stamp:0.1.0", &engine.image);
    assert!(t.ends_with(last), "{t}");
    format!("{}{body}", &t[..t.len() - last.len()])
}

/// The README's kustomization, with deploy(), and the transformer config (or
/// none). It asks kustomize to record each object's origin in
/// `config.kubernetes.io/origin`, which must come back from the container.
fn app(transformer: Option<&str>) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("deploy.yaml"), deploy()).unwrap();
    let mut k = readme_block("# kustomization.yaml");
    let listed = "transformers:\n- reload-stamp.yaml\n";
    assert!(k.ends_with(listed), "{k}");
    match transformer {
        Some(t) => fs::write(d.path().join("reload-stamp.yaml"), t).unwrap(),
        None => k.truncate(k.len() - listed.len()),
    }
    k.push_str("buildMetadata: [originAnnotations]\n");
    fs::write(d.path().join("kustomization.yaml"), k).unwrap();
    d
}

/// The build without the transformer, with the stamp on the
/// Deployment's pod template: the only lines a stamping function adds.
fn expected(kubectl: &Path, engine: &Engine, stamp: &str) -> String {
    let plain = build(kubectl, engine, app(None).path());
    assert_code(&plain, 0, "the build without the transformer");
    text(&plain.stdout).replace(
        "  template:\n    spec:\n",
        &format!("  template:\n    metadata:\n      annotations:\n        {stamp}\n    spec:\n"),
    )
}

/// A value from the README's ConfigMap form of the function config, and a
/// config hash from its typed form: each build is the plain build plus the
/// stamp, so every config.kubernetes.io annotation (the user's, and the
/// origins kustomize keeps on the items) came back from the container.
#[test]
#[ignore = "needs the image and podman: CI builds it (.ci/gitops.sh)"]
fn a_function_config_stamps_the_build_and_nothing_else() {
    let Some(engine) = engine() else { return };
    // Transformers run before kustomize appends the generated ConfigMap's
    // hash suffix: the digest names it `app`.
    let digest = common::digest_outside(b"ConfigMap\0app\0data\0LOG\0info\0\0", None);
    let cases = [
        (
            true,
            "data:\n  value: \"42\"\n",
            "reloaded-at: \"42\"".to_string(),
        ),
        (
            false,
            "configHash: true\n",
            format!("checksum/config: {digest}"),
        ),
    ];
    for kubectl in kubectls() {
        for (configmap, body, stamp) in &cases {
            let what = format!("{}, {stamp}", kubectl.display());
            let t = function(&engine, *configmap, body);
            let o = build(&kubectl, &engine, app(Some(&t)).path());
            assert_code(&o, 0, &what);
            let out = text(&o.stdout);
            assert_eq!(out, expected(&kubectl, &engine, stamp), "{what}");
            assert!(
                out.contains("config.kubernetes.io/owner: team-web"),
                "{what}: {out}"
            );
            assert!(
                out.contains("config.kubernetes.io/origin: |\n      path: deploy.yaml"),
                "{what}: {out}"
            );
        }
    }
}

#[test]
#[ignore = "needs the image and podman: CI builds it (.ci/gitops.sh)"]
fn an_error_fails_kustomize_with_our_message() {
    let Some(engine) = engine() else { return };
    for kubectl in kubectls() {
        for (body, says) in [
            ("configHash: true\nvaule: x\n", "vaule"),
            // No value, no clock: the render must be reproducible.
            ("", "must give the same output every time"),
        ] {
            let t = function(&engine, false, body);
            let o = build(&kubectl, &engine, app(Some(&t)).path());
            assert_failed(&o, &format!("{}: {body}", kubectl.display()));
            assert!(o.stdout.is_empty());
            let err = text(&o.stderr);
            assert!(err.contains(says), "{}: {says}: {err}", kubectl.display());
        }
    }
}

#[test]
#[ignore = "needs the image and podman: CI builds it (.ci/gitops.sh)"]
fn the_argocd_sidecar_path_holds_the_binary_of_the_image() {
    let Some(engine) = engine() else { return };
    // integrations/argocd/sidecar.yaml mounts the image at a path and puts
    // a directory under it first on PATH: that directory, in the image,
    // must hold the binary.
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/argocd/sidecar.yaml"),
    )
    .unwrap();
    let patch: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let c = &patch["spec"]["template"]["spec"]["containers"][0];
    let mount = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "reload-stamp-bin")
        .unwrap()["mountPath"]
        .as_str()
        .unwrap()
        .to_string();
    let path = c["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "PATH")
        .unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let first = path.split(':').next().unwrap();
    let inside = first
        .strip_prefix(mount.as_str())
        .expect("PATH starts in the mount");
    let o = run_ok(
        Command::new("podman")
            .args(["run", "--rm", "--network", "none", "--entrypoint"])
            .arg(format!("{inside}/reload-stamp"))
            .arg(&engine.image)
            .arg("--version"),
    );
    assert!(
        text_of(&o.stdout).starts_with("reload-stamp "),
        "{}",
        text_of(&o.stdout)
    );
}

fn text_of(b: &[u8]) -> String {
    text(b)
}
