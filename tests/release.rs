//! The release artifacts as users get them: the static binaries and
//! SHA256SUMS that `release/build.sh binaries` writes, the container image
//! of `release/build.sh image` run with podman, the binary as a kubectl
//! plugin (by name on PATH, and through the krew manifest and archive), and
//! the GitHub Action's script installing from a release directory.
//!
//! They need those artifacts and real tools (podman, kubectl, qemu), so
//! plain `cargo test` ignores them; `.ci/release.sh` builds the artifacts,
//! installs the tools and runs `cargo test --test release -- --ignored`.
//! `RELEASE_DIR` (default target/release-artifacts) is where the artifacts
//! are; `RELOAD_STAMP_IMAGE` names the image to test.

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::bin::{self, assert_code, cmd, run_ok, Other};
use common::tools::runs_here;
use common::DEPLOY_ENV_FROM as DEPLOY;
use sha2::{Digest, Sha256};

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  LOG: info\n";

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn release_dir() -> PathBuf {
    let dir = std::env::var_os("RELEASE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project().join("target/release-artifacts"));
    assert!(
        dir.join("SHA256SUMS").is_file(),
        "{}: no SHA256SUMS; run release/build.sh binaries first",
        dir.display()
    );
    dir
}

/// This machine's static target: the binary the other tests run.
fn host_target() -> String {
    format!("{}-unknown-linux-musl", std::env::consts::ARCH)
}

fn host_binary() -> PathBuf {
    release_dir().join(format!("reload-stamp-{}", host_target()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `NAME -> SHA-256` as SHA256SUMS lists them.
fn sums(dir: &Path) -> Vec<(String, String)> {
    fs::read_to_string(dir.join("SHA256SUMS"))
        .expect("SHA256SUMS")
        .lines()
        .map(|l| {
            let (sum, name) = l.split_once("  ").expect("sha256sum's format");
            (name.to_string(), sum.to_string())
        })
        .collect()
}

fn run(mut c: Command, stdin: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{c:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("wait");
    feeder.join().expect("feeder");
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A repository with a stale config hash: `--config-hash --check k8s` fails.
fn stale_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("k8s")).unwrap();
    fs::write(tmp.path().join("k8s/config.yaml"), CONFIGMAP).unwrap();
    fs::write(tmp.path().join("k8s/web.yaml"), DEPLOY).unwrap();
    tmp
}

/// The e_machine of an ELF file, whether it has a program interpreter (a
/// dynamically linked executable does), and its section names.
fn elf(bytes: &[u8]) -> (u16, bool, Vec<String>) {
    assert_eq!(&bytes[..4], b"\x7fELF", "not ELF");
    assert_eq!(bytes[4], 2, "not 64-bit");
    assert_eq!(bytes[5], 1, "not little-endian");
    let u16_at = |o: usize| u16::from_le_bytes(bytes[o..o + 2].try_into().unwrap());
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap()) as usize;
    let machine = u16_at(18);
    let (phoff, shoff) = (u64_at(32), u64_at(40));
    let (phentsize, phnum) = (u16_at(54) as usize, u16_at(56) as usize);
    let (shentsize, shnum, shstrndx) = (u16_at(58) as usize, u16_at(60) as usize, u16_at(62));
    const PT_INTERP: u32 = 3;
    let interp = (0..phnum).any(|i| u32_at(phoff + i * phentsize) == PT_INTERP);
    let strtab = shoff + shstrndx as usize * shentsize;
    let names_at = u64_at(strtab + 24);
    let names = (0..shnum)
        .map(|i| {
            let start = names_at + u32_at(shoff + i * shentsize) as usize;
            let end = start + bytes[start..].iter().position(|&b| b == 0).unwrap();
            String::from_utf8_lossy(&bytes[start..end]).into_owned()
        })
        .collect();
    (machine, interp, names)
}

/// The commit in `--version` output.
fn commit(version: &str) -> &str {
    version
        .split_once("(commit ")
        .and_then(|(_, r)| r.split_once(','))
        .map(|(c, _)| c)
        .unwrap_or_else(|| panic!("no commit in {version:?}"))
}

#[test]
#[ignore = "needs release/build.sh binaries; .ci/release.sh runs it"]
fn release_binaries_are_static_stripped_and_checksummed() {
    let dir = release_dir();
    let listed = sums(&dir);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SHA256SUMS")
        .collect();
    names.sort();
    let mut listed_names: Vec<String> = listed.iter().map(|(n, _)| n.clone()).collect();
    listed_names.sort();
    assert_eq!(names, listed_names, "SHA256SUMS lists every file, no other");
    for (name, sum) in &listed {
        let bytes = fs::read(dir.join(name)).unwrap();
        assert_eq!(&sha256_hex(&bytes), sum, "{name}: SHA256SUMS is wrong");
    }

    let ours = text(&cmd().arg("--version").output().unwrap().stdout);
    let mut binaries = 0;
    for name in names.iter().filter(|n| n.ends_with("-linux-musl")) {
        binaries += 1;
        let target = name.strip_prefix("reload-stamp-").unwrap();
        let bytes = fs::read(dir.join(name)).unwrap();
        let (machine, interp, sections) = elf(&bytes);
        let want = match target.split('-').next().unwrap() {
            "x86_64" => 62,
            "aarch64" => 183,
            arch => panic!("{name}: unexpected architecture {arch}"),
        };
        assert_eq!(machine, want, "{name}: wrong architecture");
        assert!(!interp, "{name}: dynamically linked (has an interpreter)");
        // .debug_gdb_scripts is loaded data (names of gdb scripts), not
        // debug information; strip keeps it.
        for s in &sections {
            assert!(
                s != ".symtab" && (!s.starts_with(".debug") || s == ".debug_gdb_scripts"),
                "{name}: not stripped ({s})"
            );
        }
        // The archive krew installs holds the same binary as `reload-stamp`.
        let tar = Command::new("tar")
            .arg("-xzOf")
            .arg(dir.join(format!("{name}.tar.gz")))
            .arg("reload-stamp")
            .output()
            .unwrap();
        assert_code(&tar, 0, &format!("{name}.tar.gz"));
        assert!(tar.stdout == bytes, "{name}.tar.gz holds another binary");
        // With reload-stamp's own licence.
        let own = Command::new("tar")
            .arg("-xzOf")
            .arg(dir.join(format!("{name}.tar.gz")))
            .arg("LICENSE")
            .output()
            .unwrap();
        assert!(
            text(&own.stdout).contains("Apache License\n                           Version 2.0"),
            "{name}.tar.gz: no LICENSE"
        );
        // With the licences of what it is built from: the fork's, and
        // every crate's (a BSD one among them) with its licence text.
        let notices = Command::new("tar")
            .arg("-xzOf")
            .arg(dir.join(format!("{name}.tar.gz")))
            .arg("licenses/THIRD-PARTY-LICENSES.txt")
            .output()
            .unwrap();
        let notices = text(&notices.stdout);
        for want in [
            "reload-stamp-saphyr-parser 0.1.0: MIT OR Apache-2.0\n---- LICENSE\n",
            "Ethiraric",
            "subtle ",
        ] {
            assert!(
                notices.contains(want),
                "{name}.tar.gz: licences lack {want:?}"
            );
        }

        // It runs (another architecture's under qemu) and says what it is.
        let artifact = dir.join(name);
        let runner = format!("qemu-{}-static", &target[..target.find('-').unwrap()]);
        let mut c = bin::other(if target == host_target() {
            Other::Artifact(&artifact)
        } else {
            Other::Emulated {
                runner: runner.as_ref(),
                artifact: &artifact,
            }
        });
        let version = text(&run_ok(c.arg("--version")).stdout);
        assert!(
            version.starts_with(concat!(
                "reload-stamp ",
                env!("CARGO_PKG_VERSION"),
                " (commit "
            )) && version.trim_end().ends_with(&format!(", {target})")),
            "{name}: {version:?}"
        );
        assert_eq!(
            commit(&version),
            commit(&ours),
            "{name}: built from another commit"
        );
    }
    assert!(binaries >= 1, "no static Linux binary in {}", dir.display());
    assert!(
        names.contains(&format!("reload-stamp-{}", host_target())),
        "no binary for this machine ({})",
        host_target()
    );
}

/// Whether kubectl is on PATH; says so when it is not (it is not in
/// Debian's archive, so .ci/release.sh cannot install it).
fn have_kubectl() -> bool {
    runs_here("kubectl", &["version", "--client"], false)
}

/// `kubectl reload-stamp ...` with the binary at `bin` reachable as
/// `kubectl-reload_stamp` through `path` (prepended to PATH).
fn kubectl_plugin(path: &Path, repo: &Path, args: &[&str]) -> Output {
    let mut c = Command::new("kubectl");
    let old = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![path.to_path_buf()];
    paths.extend(std::env::split_paths(&old));
    c.current_dir(repo)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .arg("reload-stamp")
        .args(args);
    run(c, b"")
}

/// What a kubectl user sees: the stale hash fails `--check` with the diff,
/// `--write` fixes it, and `--check` then passes.
fn check_write_check(path: &Path) {
    let repo = stale_repo();
    let o = kubectl_plugin(
        path,
        repo.path(),
        &["--config-hash", "--check", "--diff", "k8s"],
    );
    assert_code(&o, 1, "kubectl reload-stamp --check --diff");
    assert!(
        text(&o.stdout).contains("+        checksum/config:"),
        "{}",
        text(&o.stdout)
    );
    let o = kubectl_plugin(path, repo.path(), &["--config-hash", "--write", "k8s"]);
    assert_code(&o, 0, "kubectl reload-stamp --write");
    let o = kubectl_plugin(path, repo.path(), &["--config-hash", "--check", "k8s"]);
    assert_code(&o, 0, "kubectl reload-stamp --check, after --write");
    assert!(fs::read_to_string(repo.path().join("k8s/web.yaml"))
        .unwrap()
        .contains("checksum/config:"));
}

#[test]
#[ignore = "needs release/build.sh binaries and kubectl; .ci/release.sh runs it"]
fn kubectl_runs_the_release_binary_as_a_plugin() {
    if !have_kubectl() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("kubectl-reload_stamp");
    fs::copy(host_binary(), &bin).unwrap();
    let mut c = Command::new("kubectl");
    c.env(
        "PATH",
        format!(
            "{}:{}",
            tmp.path().display(),
            std::env::var("PATH").unwrap()
        ),
    )
    .args(["plugin", "list"]);
    let o = run(c, b"");
    assert!(
        text(&o.stdout).contains(&bin.display().to_string()),
        "kubectl plugin list: {}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    check_write_check(tmp.path());
}

#[test]
#[ignore = "needs release/build.sh binaries and kubectl; .ci/release.sh runs it"]
fn krew_manifest_names_the_archives_and_installs_a_working_plugin() {
    if !have_kubectl() {
        return;
    }
    // The release as the workflow gathers it: this machine's artifacts,
    // plus stand-ins for the archives only other machines build (their
    // checksums are what is filled in; their contents are not used here).
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("release");
    fs::create_dir(&dir).unwrap();
    for e in fs::read_dir(release_dir()).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), dir.join(e.file_name())).unwrap();
    }
    for other in [
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "aarch64-unknown-linux-musl",
    ] {
        let f = dir.join(format!("reload-stamp-{other}.tar.gz"));
        if !f.exists() {
            fs::write(f, format!("stand-in for {other}\n")).unwrap();
        }
    }
    let url = "https://example.invalid/releases/download/v0";
    for step in [&["sums"][..], &["krew"][..]] {
        let o = Command::new(project().join("release/build.sh"))
            .args(step)
            .arg(&dir)
            .env("RELEASE_URL", url)
            .env("SOURCE_URL", "https://example.invalid/reload-stamp")
            .output()
            .unwrap();
        assert_code(&o, 0, &format!("build.sh {step:?}"));
    }
    let manifest = fs::read_to_string(dir.join("reload-stamp.krew.yaml")).unwrap();
    let doc: serde_yaml::Value = serde_yaml::from_str(&manifest).unwrap();
    assert_eq!(doc["kind"], "Plugin");
    assert_eq!(doc["metadata"]["name"], "reload-stamp");
    assert_eq!(
        doc["spec"]["version"],
        concat!("v", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        doc["spec"]["homepage"],
        "https://example.invalid/reload-stamp"
    );
    let platforms = doc["spec"]["platforms"].as_sequence().unwrap();
    assert_eq!(platforms.len(), 5);
    let mut host_archive = None;
    for p in platforms {
        let uri = p["uri"].as_str().unwrap();
        let file = uri
            .strip_prefix(&format!("{url}/"))
            .expect("uri under the release URL");
        let bytes =
            fs::read(dir.join(file)).unwrap_or_else(|_| panic!("{file} not in the release"));
        assert_eq!(p["sha256"].as_str().unwrap(), sha256_hex(&bytes), "{file}");
        let labels = &p["selector"]["matchLabels"];
        let want_bin = if labels["os"] == "windows" {
            "reload-stamp.exe"
        } else {
            "reload-stamp"
        };
        assert_eq!(p["bin"], want_bin, "{file}");
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            a => a,
        };
        if labels["os"] == "linux" && labels["arch"] == arch {
            host_archive = Some((file.to_string(), want_bin.to_string()));
        }
    }
    // Install as krew does: unpack the archive, link `bin` as
    // kubectl-reload_stamp in a directory on PATH.
    let (archive, bin) = host_archive.expect("a platform for this machine");
    let store = tmp.path().join("store");
    let links = tmp.path().join("bin");
    fs::create_dir_all(&store).unwrap();
    fs::create_dir_all(&links).unwrap();
    let o = Command::new("tar")
        .arg("-xzf")
        .arg(dir.join(&archive))
        .arg("-C")
        .arg(&store)
        .output()
        .unwrap();
    assert_code(&o, 0, "tar");
    std::os::unix::fs::symlink(store.join(&bin), links.join("kubectl-reload_stamp")).unwrap();
    check_write_check(&links);
}

/// The Action's script with a runner's environment, installing from `url`.
fn action(url: &str, args: &str, repo: &Path, runner_temp: &Path) -> Output {
    let mut c = Command::new("bash");
    c.arg(project().join("integrations/github-action/run.sh"))
        .current_dir(repo)
        .env("RUNNER_OS", "Linux")
        .env(
            "RUNNER_ARCH",
            if std::env::consts::ARCH == "aarch64" {
                "ARM64"
            } else {
                "X64"
            },
        )
        .env("RUNNER_TEMP", runner_temp)
        .env("GITHUB_PATH", runner_temp.join("github_path"))
        .env("GITHUB_OUTPUT", runner_temp.join("github_output"))
        .env("RELOAD_STAMP_RELEASE_URL", url)
        .env("RELOAD_STAMP_ARGS", args)
        .env("RELOAD_STAMP_VERSION", "")
        .env("RELOAD_STAMP_ACTION_REF", "v0.0.0")
        .env("RELOAD_STAMP_REPOSITORY", "example/none");
    run(c, b"")
}

#[test]
#[ignore = "needs release/build.sh binaries; .ci/release.sh runs it"]
fn action_installs_the_checked_binary_and_runs_it() {
    let dir = release_dir();
    let url = format!("file://{}", dir.display());
    let repo = stale_repo();
    let runner = tempfile::tempdir().unwrap();
    let installed = runner.path().join("reload-stamp/bin/reload-stamp");

    // The --check job: exit 1 and the diff on a stale hash.
    let o = action(
        &url,
        "--config-hash --check --diff\nk8s",
        repo.path(),
        runner.path(),
    );
    assert_code(&o, 1, "the action's --check");
    assert!(
        text(&o.stdout).contains("+        checksum/config:"),
        "{}",
        text(&o.stdout)
    );
    assert!(
        text(&o.stderr).contains("installed reload-stamp "),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        fs::read(&installed).unwrap(),
        fs::read(host_binary()).unwrap()
    );
    let path = fs::read_to_string(runner.path().join("github_path")).unwrap();
    assert_eq!(
        path.trim_end(),
        installed.parent().unwrap().display().to_string()
    );
    let output = fs::read_to_string(runner.path().join("github_output")).unwrap();
    assert_eq!(output.trim_end(), format!("path={}", installed.display()));

    // The bump-commit job: --write fixes it; then --check passes.
    let o = action(
        &url,
        "--config-hash --write k8s",
        repo.path(),
        runner.path(),
    );
    assert_code(&o, 0, "the action's --write");
    let o = action(
        &url,
        "  --config-hash   --check k8s ",
        repo.path(),
        runner.path(),
    );
    assert_code(&o, 0, "the action's --check, after --write");
    // No arguments: install only, print nothing on standard output.
    let o = action(&url, "", repo.path(), runner.path());
    assert_code(&o, 0, "the action without arguments");
    assert!(o.stdout.is_empty());

    // A binary that is not the one SHA256SUMS lists is not installed.
    let bad = tempfile::tempdir().unwrap();
    let name = format!("reload-stamp-{}", host_target());
    let mut bytes = fs::read(host_binary()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(bad.path().join(&name), bytes).unwrap();
    fs::copy(dir.join("SHA256SUMS"), bad.path().join("SHA256SUMS")).unwrap();
    let runner = tempfile::tempdir().unwrap();
    let bad_url = format!("file://{}", bad.path().display());
    let o = action(&bad_url, "--version", repo.path(), runner.path());
    assert_code(&o, 2, "the action with a changed binary");
    assert!(
        text(&o.stderr).contains("but SHA256SUMS says"),
        "{}",
        text(&o.stderr)
    );
    assert!(o.stdout.is_empty());
    assert!(!runner.path().join("reload-stamp/bin/reload-stamp").exists());
    // Nor one SHA256SUMS does not list.
    fs::write(bad.path().join("SHA256SUMS"), "0000  other-file\n").unwrap();
    let o = action(&bad_url, "--version", repo.path(), runner.path());
    assert_code(&o, 2, "the action with a binary SHA256SUMS does not list");
    assert!(
        text(&o.stderr).contains(&format!("lists no {name}")),
        "{}",
        text(&o.stderr)
    );
}

fn image() -> String {
    std::env::var("RELOAD_STAMP_IMAGE")
        .expect("RELOAD_STAMP_IMAGE names the image (release/build.sh image prints it)")
}

/// `podman run -i IMAGE ARGS` with `stdin`, plus podman's own options.
fn podman_run(opts: &[&str], args: &[&str], stdin: &[u8]) -> Output {
    let mut c = Command::new("podman");
    c.args(["run", "-i", "--rm"])
        .args(opts)
        .arg(image())
        .args(args);
    run(c, stdin)
}

/// The same run with the binary outside the image.
fn outside(args: &[&str], stdin: &[u8]) -> Output {
    cmd()
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs release/build.sh image and podman; .ci/release.sh runs it"]
fn image_runs_as_the_binary_does() {
    let o = Command::new("podman")
        .args(["image", "inspect", "--format"])
        .arg("{{.Config.User}}|{{json .Config.Entrypoint}}|{{json .Config.Labels}}")
        .arg(image())
        .output()
        .unwrap();
    assert_code(&o, 0, "podman image inspect");
    let inspect = text(&o.stdout);
    let mut parts = inspect.trim_end().splitn(3, '|');
    assert_eq!(parts.next(), Some("65534:65534"), "USER: {inspect}");
    assert_eq!(
        parts.next(),
        Some(r#"["/usr/local/bin/reload-stamp"]"#),
        "{inspect}"
    );
    let labels: serde_json::Value = serde_json::from_str(parts.next().unwrap()).unwrap();
    assert_eq!(
        labels["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(labels["org.opencontainers.image.licenses"], "Apache-2.0");
    assert!(labels["org.opencontainers.image.source"]
        .as_str()
        .is_some_and(|s| s.starts_with("https://")));

    let stream = format!("{CONFIGMAP}---\n{DEPLOY}");
    let cases: &[(&str, &[&str], &[u8], i32)] = &[
        ("--value", &["--value", "X"], DEPLOY.as_bytes(), 0),
        ("--config-hash", &["--config-hash"], stream.as_bytes(), 0),
        (
            "--config-hash --check",
            &["--config-hash", "--check", "--diff"],
            stream.as_bytes(),
            1,
        ),
        (
            "invalid YAML",
            &["--value", "X"],
            b"a: [\nkind: Deployment\n",
            2,
        ),
        ("a usage error", &["--frobnicate"], b"", 2),
    ];
    for (what, args, stdin, code) in cases {
        let inside = podman_run(&[], args, stdin);
        let want = outside(args, stdin);
        assert_code(&inside, *code, &format!("{what}, in the image"));
        assert_code(&want, *code, &format!("{what}, outside"));
        assert_eq!(
            text(&inside.stdout),
            text(&want.stdout),
            "{what}: standard output"
        );
        assert_eq!(
            text(&inside.stderr),
            text(&want.stderr),
            "{what}: standard error"
        );
        if *code == 0 {
            assert!(!inside.stdout.is_empty(), "{what}: no output");
        }
    }

    // As kustomize runs a container function: a user name, no network, the
    // ResourceList on standard input.
    let items = format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n{}{}functionConfig:\n  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  metadata:\n    name: stamp\n  configHash: true\n",
        indent_item(CONFIGMAP),
        indent_item(DEPLOY)
    );
    let inside = podman_run(
        &["--user", "nobody", "--network", "none"],
        &[],
        items.as_bytes(),
    );
    let want = outside(&[], items.as_bytes());
    assert_code(&inside, 0, "the function, in the image");
    assert_eq!(text(&inside.stdout), text(&want.stdout));
    assert!(
        text(&inside.stdout).contains("checksum/config:"),
        "{}",
        text(&inside.stdout)
    );
}

/// A manifest as an item of a ResourceList's `items`.
fn indent_item(doc: &str) -> String {
    doc.lines()
        .enumerate()
        .map(|(i, l)| format!("{}{l}\n", if i == 0 { "- " } else { "  " }))
        .collect()
}

/// Whether `program` runs; says so when it does not.
fn have(program: &str) -> bool {
    runs_here(program, &["--version"], false)
}

#[test]
#[ignore = "needs release/build.sh image, podman and pre-commit; .ci/release.sh runs it"]
fn precommit_runs_the_image_as_a_docker_image_hook() {
    // For repositories without Rust: a local hook of pre-commit's
    // docker_image language runs the image (README, Install). pre-commit
    // runs `docker`; here that name is podman.
    if !have("pre-commit") {
        panic!("pre-commit is not installed (pip install pre-commit)");
    }
    let podman = Command::new("sh")
        .args(["-c", "command -v podman"])
        .output()
        .unwrap();
    let podman = text(&podman.stdout).trim().to_string();
    assert!(!podman.is_empty(), "podman is not installed");
    let tools = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&podman, tools.path().join("docker")).unwrap();
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap()
    );

    let repo = stale_repo();
    let config = format!(
        "repos:\n- repo: local\n  hooks:\n  - id: reload-stamp\n    name: reload-stamp (config hash)\n    language: docker_image\n    entry: {} --config-hash --write --quiet\n    pass_filenames: false\n    files: \\.(ya?ml|json)$\n    args: [k8s/]\n",
        image()
    );
    fs::write(repo.path().join(".pre-commit-config.yaml"), config).unwrap();
    let git = |args: &[&str]| {
        run_ok(Command::new("git").current_dir(repo.path()).args(args));
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    let precommit = || {
        let mut c = Command::new("pre-commit");
        c.current_dir(repo.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", repo.path().join(".cache"))
            .args(["run", "--all-files"]);
        run(c, b"")
    };
    let first = precommit();
    assert_code(&first, 1, "the first pre-commit run");
    assert!(text(&first.stdout).contains("files were modified by this hook"));
    assert!(fs::read_to_string(repo.path().join("k8s/web.yaml"))
        .unwrap()
        .contains("checksum/config:"));
    let second = precommit();
    assert_code(&second, 0, "the second pre-commit run");
}
