//! Integration tests of the binary: inputs, output modes, exit codes.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::bin::{assert_code, cmd, expect_code, run_ok};
use common::DEPLOY;

const SERVICE: &str = "apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
";

/// `text` with the stamp added after the pod template's `app` label.
fn stamped(text: &str) -> String {
    let at = text
        .find("      labels:\n        app: ")
        .expect("pod labels");
    let end = at + text[at..].find("\n        ").unwrap() + 1;
    let end = end + text[end..].find('\n').unwrap() + 1;
    format!(
        "{}      annotations:\n        reloaded-at: \"20261124093000\"\n{}",
        &text[..end],
        &text[end..]
    )
}

/// The binary run as `--value VALUE` on `input` from standard input.
fn stamp_stdin(input: impl Into<Vec<u8>>) -> std::process::Output {
    cmd()
        .args(["--value", common::VALUE])
        .write_stdin(input)
        .output()
        .unwrap()
}

fn tree() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    let p = d.path();
    fs::create_dir_all(p.join("apps/web")).unwrap();
    fs::create_dir_all(p.join(".hidden")).unwrap();
    fs::write(p.join("apps/web/deploy.yaml"), DEPLOY).unwrap();
    fs::write(p.join("apps/web/service.yml"), SERVICE).unwrap();
    fs::write(p.join("apps/a.yaml"), DEPLOY.replace("web", "a")).unwrap();
    fs::write(p.join("apps/notes.txt"), DEPLOY).unwrap();
    fs::write(p.join(".hidden/deploy.yaml"), DEPLOY).unwrap();
    fs::write(p.join("apps/.dot.yaml"), DEPLOY).unwrap();
    d
}

fn out_str(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn stdin_to_stdout_is_the_pipe() {
    let input = format!("{SERVICE}---\n{DEPLOY}");
    let o = stamp_stdin(input.clone());
    assert_code(&o, 0, "a Service and a Deployment on stdin");
    let (out, err) = out_str(&o);
    assert_eq!(out, stamped(&input));
    assert_eq!(
        common::check_stamp(
            &input,
            &out,
            common::DEFAULT_KINDS,
            "reloaded-at",
            common::VALUE
        ),
        1
    );
    assert_eq!(
        err,
        "reload-stamp: stamped 1 workload in 1 of 1 input (reloaded-at: \"20261124093000\")\n"
    );
}

#[test]
fn dash_reads_stdin_and_quiet_silences_summary() {
    let o = run_ok(cmd().args(["-q", "--value", "x", "-"]).write_stdin(DEPLOY));
    assert!(o.stderr.is_empty());
    assert!(String::from_utf8_lossy(&o.stdout).contains("reloaded-at: \"x\""));
}

#[test]
fn default_value_is_now_in_utc_digits() {
    let o = cmd().arg("-q").write_stdin(DEPLOY).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .find(|l| l.contains("reloaded-at"))
        .expect("stamped");
    let v = line
        .trim()
        .trim_start_matches("reloaded-at: ")
        .trim_matches('"');
    assert_eq!(v.len(), 14, "{line}");
    assert!(v.chars().all(|c| c.is_ascii_digit()));
    let now = chrono::Utc::now().format("%Y%m%d").to_string();
    assert!(v.starts_with(&now[..6]), "{v} vs {now}");
}

#[test]
fn source_date_epoch_is_used() {
    let o = cmd()
        .arg("-q")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .write_stdin(DEPLOY)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("reloaded-at: \"20231114221320\""));
}

#[test]
fn directories_are_walked_sorted_skipping_hidden_and_other_extensions() {
    let d = tree();
    let o = run_ok(cmd().args(["--value", common::VALUE]).arg(d.path()));
    let (out, err) = out_str(&o);
    // apps/a.yaml, apps/web/deploy.yaml, apps/web/service.yml — in that order.
    let want = format!(
        "{}---\n{}---\n{}",
        stamped(&DEPLOY.replace("web", "a")),
        stamped(DEPLOY),
        SERVICE
    );
    assert_eq!(out, want);
    assert!(
        err.contains("stamped 2 workloads in 2 of 3 inputs"),
        "{err}"
    );
}

#[test]
fn a_file_named_explicitly_is_read_whatever_its_extension() {
    let d = tree();
    let o = run_ok(
        cmd()
            .args(["-q", "--value", "v"])
            .arg(d.path().join("apps/notes.txt")),
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("reloaded-at: \"v\""));
}

#[test]
fn exclude_skips_matching_paths() {
    let d = tree();
    let o = run_ok(
        cmd()
            .args([
                "--value",
                "v",
                "--exclude",
                "a.yaml",
                "--exclude",
                "**/service.yml",
            ])
            .arg(d.path()),
    );
    let (out, err) = out_str(&o);
    assert_eq!(out.matches("kind:").count(), 1, "{out}");
    assert!(err.contains("in 1 of 1 input"), "{err}");
}

#[test]
fn write_rewrites_changed_files_atomically_and_keeps_permissions() {
    let d = tree();
    let deploy = d.path().join("apps/web/deploy.yaml");
    let service = d.path().join("apps/web/service.yml");
    fs::set_permissions(&deploy, fs::Permissions::from_mode(0o640)).unwrap();
    let service_mtime = fs::metadata(&service).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let o = run_ok(cmd().args(["-w", "--value", common::VALUE]).arg(d.path()));
    let out = out_str(&o).0;
    assert!(out.is_empty(), "--write prints nothing on stdout: {out}");
    assert_eq!(fs::read_to_string(&deploy).unwrap(), stamped(DEPLOY));
    assert_eq!(
        fs::metadata(&deploy).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        fs::metadata(&service).unwrap().modified().unwrap(),
        service_mtime,
        "unchanged file was written"
    );
    // No temporary files left behind.
    let leftovers: Vec<_> = fs::read_dir(d.path().join("apps/web"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("reload-stamp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // A second run with the same value changes nothing.
    let o = cmd()
        .args(["-w", "--check", "--value", common::VALUE])
        .arg(d.path())
        .output()
        .unwrap();
    assert_code(&o, 2, "--check and --write conflict");
    run_ok(
        cmd()
            .args(["--check", "--value", common::VALUE])
            .arg(d.path()),
    );
}

#[test]
fn write_follows_a_symlink_named_on_the_command_line() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("real.yaml");
    let link = d.path().join("link.yaml");
    fs::write(&real, DEPLOY).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    run_ok(
        cmd()
            .args(["-w", "-q", "--value", common::VALUE])
            .arg(&link),
    );
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(fs::read_to_string(&real).unwrap(), stamped(DEPLOY));
}

#[test]
fn symlinks_met_while_walking_are_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("x.yaml"), DEPLOY).unwrap();
    std::os::unix::fs::symlink(outside.path().join("x.yaml"), d.path().join("link.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path(), d.path().join("linkdir")).unwrap();
    let o = run_ok(cmd().args(["-w", "--value", "v"]).arg(d.path()));
    assert_eq!(
        fs::read_to_string(outside.path().join("x.yaml")).unwrap(),
        DEPLOY
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to stamp in 0 inputs"));
}

#[test]
fn write_with_stdin_is_a_usage_error() {
    let o = expect_code(cmd().arg("-w").write_stdin(DEPLOY), 2);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "reload-stamp: --write needs files: standard input cannot be rewritten in place\n"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn diff_shows_a_unified_diff_per_changed_input() {
    let d = tree();
    let o = run_ok(
        cmd()
            .current_dir(d.path())
            .args(["--diff", "--value", common::VALUE, "apps"]),
    );
    let out = out_str(&o).0;
    assert!(
        out.starts_with("--- a/apps/a.yaml\n+++ b/apps/a.yaml\n@@ "),
        "{out}"
    );
    assert!(out.contains("--- a/apps/web/deploy.yaml\n+++ b/apps/web/deploy.yaml\n"));
    assert!(!out.contains("service.yml"));
    assert!(out.contains("+      annotations:\n+        reloaded-at: \"20261124093000\"\n"));
    assert!(!out.contains('\x1b'), "no colour when not a terminal");
    // Nothing was written.
    assert_eq!(
        fs::read_to_string(d.path().join("apps/web/deploy.yaml")).unwrap(),
        DEPLOY
    );
}

#[test]
fn diff_colour_always() {
    let o = cmd()
        .args(["--diff", "--color", "always", "--value", "v"])
        .write_stdin(DEPLOY)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("\x1b[32m+      annotations:\x1b[0m"),
        "{out:?}"
    );
    let o = cmd()
        .args(["--diff", "--color", "never", "--value", "v"])
        .write_stdin(DEPLOY)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stdout).contains('\x1b'));
}

#[test]
fn check_exits_1_and_names_inputs() {
    let d = tree();
    let o = expect_code(
        cmd()
            .current_dir(d.path())
            .args(["--check", "--value", "v", "apps"]),
        1,
    );
    let (out, err) = out_str(&o);
    assert!(out.is_empty());
    assert!(
        err.contains("reload-stamp: apps/a.yaml: 1 workload would be stamped\n"),
        "{err}"
    );
    assert!(err.contains("reload-stamp: apps/web/deploy.yaml: 1 workload would be stamped\n"));
    assert!(!err.contains("service.yml"));
    // With --diff: the diff on stdout, same exit code.
    let o = expect_code(
        cmd()
            .current_dir(d.path())
            .args(["--check", "--diff", "--value", "v", "apps"]),
        1,
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("--- a/apps/a.yaml"));
    // Nothing to change: exit 0.
    run_ok(cmd().args(["--check", "--value", "v"]).write_stdin(SERVICE));
}

#[test]
fn an_error_in_one_input_does_not_stop_the_others() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("a.yaml"), "kind: [\n").unwrap();
    fs::write(d.path().join("b.yaml"), DEPLOY).unwrap();
    let o = expect_code(
        cmd()
            .current_dir(d.path())
            .args(["--value", "v", "a.yaml", "b.yaml", "missing.yaml"]),
        2,
    );
    let (out, err) = out_str(&o);
    assert!(err.contains("reload-stamp: a.yaml:2:1: "), "{err}");
    assert!(
        err.contains("reload-stamp: missing.yaml: No such file or directory\n"),
        "{err}"
    );
    // Only b.yaml's stream reaches stdout; nothing of a.yaml.
    assert_eq!(
        out,
        DEPLOY.replace(
            "        app: web\n",
            "        app: web\n      annotations:\n        reloaded-at: \"v\"\n"
        )
    );
    // With --write, the bad file is untouched and the good one written.
    expect_code(
        cmd()
            .current_dir(d.path())
            .args(["-w", "-q", "--value", "v", "a.yaml", "b.yaml"]),
        2,
    );
    assert_eq!(
        fs::read_to_string(d.path().join("a.yaml")).unwrap(),
        "kind: [\n"
    );
    assert!(fs::read_to_string(d.path().join("b.yaml"))
        .unwrap()
        .contains("reloaded-at: \"v\""));
}

#[test]
fn refused_document_prints_nothing_of_that_input() {
    let input =
        format!("{DEPLOY}---\napiVersion: apps/v1\nkind: Deployment\nspec:\n  template: *nope\n");
    let o = expect_code(cmd().args(["--value", "v"]).write_stdin(input), 2);
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("reload-stamp: <stdin>:"));
}

/// `kind`/`apiVersion` twice with different values: refused only when a
/// reading is something the run acts on (kubectl takes the last value,
/// other readers the first or neither).
#[test]
fn a_duplicate_kind_is_refused_only_where_a_reading_matters() {
    let doc =
        |a: &str, b: &str| format!("apiVersion: v1\nkind: {a}\nmetadata: {{name: x}}\nkind: {b}\n");
    let cases = [
        // (first kind, last kind, mode, refused)
        ("Service", "Endpoints", "--value=v", false),
        ("Service", "Service", "--value=v", false),
        ("Service", "Secret", "--value=v", false),
        ("Service", "Secret", "--config-hash", true),
        ("ConfigMap", "Service", "--config-hash", true),
        ("Service", "Deployment", "--value=v", false), // apiVersion v1: no workload
    ];
    for (a, b, args, refused) in cases {
        let input = doc(a, b);
        let o = cmd().arg(args).write_stdin(input.clone()).output().unwrap();
        let (out, err) = out_str(&o);
        assert_code(
            &o,
            if refused { 2 } else { 0 },
            &format!("{a}/{b} {args:?}"),
        );
        if refused {
            assert!(err.contains("<stdin>:4:1: duplicate key 'kind'"), "{err}");
        } else {
            assert_eq!(out, input);
        }
    }
    let deployment = "apiVersion: v1\nkind: Service\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n";
    let o = expect_code(cmd().args(["--value", "v"]).write_stdin(deployment), 2);
    assert!(out_str(&o)
        .1
        .contains("<stdin>:3:1: duplicate key 'apiVersion'"));
}

/// kubectl reads only the first document between `---` lines: text after
/// its `...` that does not parse is left as it is, with a warning naming
/// where, also when it starts a new batch of the parallel analysis (the
/// ConfigMap before it is bigger than a batch) or holds `...` lines itself.
#[test]
fn text_kubectl_never_parses_is_left_as_it_is() {
    let big = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: \"{}\"\n",
        "x".repeat(300 << 10)
    );
    let tail = "...\n\tnot: yaml\n...\n- [\n";
    for head in [DEPLOY.to_string(), big] {
        let input = format!("{head}{tail}---\n{DEPLOY}");
        let o = stamp_stdin(input.clone());
        assert_code(&o, 0, &format!("after a document of {} bytes", head.len()));
        let (out, err) = out_str(&o);
        let line = head.lines().count() + 2;
        assert!(
            err.contains(&format!("warning: <stdin>:{line}:")) && err.contains("never parses this"),
            "{err}"
        );
        let want = if head == DEPLOY {
            format!("{}{tail}---\n{}", stamped(DEPLOY), stamped(DEPLOY))
        } else {
            format!("{head}{tail}---\n{}", stamped(DEPLOY))
        };
        assert!(out == want, "output differs");
    }
    // Text that parses is read, as other YAML readers do.
    let input = format!("{DEPLOY}...\n{DEPLOY}");
    let o = stamp_stdin(input);
    assert_eq!(
        out_str(&o).0,
        format!("{}...\n{}", stamped(DEPLOY), stamped(DEPLOY))
    );
    // A broken first document is still an error.
    let input = format!("{DEPLOY}  - [\n...\n{DEPLOY}");
    assert_code(&stamp_stdin(input), 2, "a broken first document");
}

/// A file that is not UTF-8 (Latin-1 here) is read as kubectl reads it,
/// and every byte is written back as it was: on standard output, with
/// `--write` and in `--diff`. A config hash refuses it.
#[test]
fn input_that_is_not_utf8_keeps_its_bytes() {
    let latin1 = |s: &str| -> Vec<u8> { s.chars().map(|c| c as u32 as u8).collect() };
    let text = DEPLOY.replace("    spec:\n", "    spec: # configuración\n");
    let (input, want) = (latin1(&text), latin1(&stamped(&text)));
    assert!(std::str::from_utf8(&input).is_err());
    let o = stamp_stdin(input.clone());
    assert_code(&o, 0, "Latin-1 on stdin");
    assert!(o.stdout == want, "standard output");

    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("a.yaml");
    fs::write(&path, &input).unwrap();
    let o = cmd()
        .args(["--value", common::VALUE, "--diff"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        o.stdout.windows(4).any(|w| w == b"ci\xf3n"),
        "the diff shows the byte as it is"
    );
    run_ok(cmd().args(["--value", common::VALUE, "--write"]).arg(&path));
    assert!(fs::read(&path).unwrap() == want, "written");

    let o = expect_code(cmd().arg("--config-hash").write_stdin(input), 2);
    assert!(out_str(&o).1.contains("not valid UTF-8"));
}

#[test]
fn several_inputs_are_one_stream() {
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("1.yaml"), "a: 1").unwrap();
    fs::write(d.path().join("2.yaml"), "---\nb: 2\n").unwrap();
    fs::write(d.path().join("3.yaml"), "c: 3\n").unwrap();
    let o = cmd().arg("-q").arg(d.path()).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "a: 1\n---\nb: 2\n---\nc: 3\n"
    );
}

#[test]
fn help_and_version() {
    let o = run_ok(cmd().arg("--help"));
    let out = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--write",
        "--diff",
        "--check",
        "--quiet",
        "--key",
        "--value",
        "--kind",
        "--selector",
        "Examples:",
    ] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
    let o = cmd().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("reload-stamp "));
}

#[test]
fn version_names_the_commit_and_the_target() {
    let o = cmd().arg("--version").output().unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let (head, rest) = out
        .trim_end()
        .split_once(" (commit ")
        .unwrap_or_else(|| panic!("no commit in {out:?}"));
    assert_eq!(head, concat!("reload-stamp ", env!("CARGO_PKG_VERSION")));
    let (commit, target) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", "))
        .unwrap_or_else(|| panic!("no target in {out:?}"));
    assert!(!target.is_empty() && !target.contains(' '), "{out:?}");
    // In a git checkout (where these tests run), the commit is HEAD's, as
    // git prints it; build.rs reruns when HEAD moves.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"]);
    if std::env::var_os("RELOAD_STAMP_COMMIT").is_none()
        && top.is_some_and(|t| fs::canonicalize(t).ok() == fs::canonicalize(dir).ok())
    {
        assert_eq!(Some(commit.to_string()), git(&["rev-parse", "HEAD"]));
    } else {
        assert!(commit == "unknown" || commit.len() >= 40, "{out:?}");
    }
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = expect_code(cmd().arg("--frobnicate"), 2);
    assert!(o.stdout.is_empty());
}

#[test]
fn corpus_sample_passes_the_oracle() {
    // A few real manifests from the shared corpus, when it is present.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/real");
    let Ok(dirs) = fs::read_dir(&corpus) else {
        return;
    };
    let mut n = 0;
    for dir in dirs.flatten() {
        for f in fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .take(5)
        {
            let input = fs::read_to_string(f.path()).unwrap();
            let o = cmd()
                .args(["-q", "--value", common::VALUE])
                .write_stdin(input.clone())
                .output()
                .unwrap();
            assert_code(&o, 0, &f.path().display().to_string());
            let out = String::from_utf8(o.stdout).unwrap();
            common::check_stamp(
                &input,
                &out,
                common::DEFAULT_KINDS,
                "reloaded-at",
                common::VALUE,
            );
            n += 1;
        }
    }
    assert!(n > 20);
}
