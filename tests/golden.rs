//! Golden tests: every `testdata/golden/NAME.in.EXT` is piped through the
//! binary and compared with `NAME.out.EXT` (exit 0) or `NAME.err` (exit 2,
//! stderr, nothing on stdout). Optional `NAME.args` holds extra arguments,
//! one per line (default: `--value 20261124093000`). Successful outputs are
//! also judged by the serde_yaml oracle, independently of the expected file
//! (`kubectl-` cases are also judged by kubectl in CI).
//!
//! `UPDATE_GOLDEN=1 cargo test --test golden` rewrites the expected files;
//! review them before committing.
//!
//! `RELOAD_STAMP_BIN=FILE` runs another build of the binary instead (CI: the
//! static release binaries, and the one built from the packaged crates);
//! `RELOAD_STAMP_RUNNER=PROGRAM` runs it through PROGRAM (for another
//! architecture's binary: `qemu-aarch64-static`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::bin::{self, Other};

struct Case {
    name: String,
    input: Vec<u8>,
    ext: String,
    args: Vec<String>,
}

fn cases(dir: &Path) -> Vec<Case> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .expect("testdata/golden exists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".in."))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|file| {
            let (name, ext) = file.split_once(".in.").expect("filtered");
            let args_file = dir.join(format!("{name}.args"));
            let args = match fs::read_to_string(&args_file) {
                Ok(s) => s
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                Err(_) => vec!["--value".to_string(), common::VALUE.to_string()],
            };
            Case {
                name: name.to_string(),
                input: fs::read(dir.join(&file)).expect("read input"),
                ext: ext.to_string(),
                args,
            }
        })
        .collect()
}

/// The binary under test: this build's, or the release artifact
/// `RELOAD_STAMP_BIN` (through `RELOAD_STAMP_RUNNER` when that is set).
fn command() -> Command {
    let set = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let artifact = set("RELOAD_STAMP_BIN").map(PathBuf::from);
    match (&artifact, set("RELOAD_STAMP_RUNNER")) {
        (None, None) => bin::cmd(),
        (Some(artifact), None) => bin::other(Other::Artifact(artifact)),
        (_, Some(runner)) => bin::other(Other::Emulated {
            runner: &runner,
            artifact: &artifact.unwrap_or_else(bin::path),
        }),
    }
}

/// The exit code (-1 for a signal), standard output and error of `case`.
fn run(case: &Case) -> (i32, Vec<u8>, String) {
    let out = command()
        .args(&case.args)
        .arg("--quiet")
        .write_stdin(case.input.clone())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn arg_values<'a>(args: &'a [String], flag: &str) -> Vec<&'a str> {
    args.windows(2)
        .filter(|w| w[0] == flag)
        .map(|w| w[1].as_str())
        .collect()
}

#[test]
fn golden() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let all = cases(&dir);
    assert!(all.len() >= 40, "only {} golden cases found", all.len());
    let mut failures = Vec::new();
    for case in &all {
        let (code, stdout, stderr) = run(case);
        let out_path = dir.join(format!("{}.out.{}", case.name, case.ext));
        let err_path = dir.join(format!("{}.err", case.name));
        if update {
            if code == 2 {
                fs::write(&err_path, &stderr).expect("write .err");
            } else {
                fs::write(&out_path, &stdout).expect("write .out");
            }
        }
        if err_path.exists() {
            let want = fs::read_to_string(&err_path).expect("read .err");
            if code != 2 || !stdout.is_empty() || stderr != want {
                failures.push(format!(
                    "{}: want exit 2, no stdout, stderr {want:?}; got exit {code}, {} bytes of stdout, stderr {stderr:?}",
                    case.name,
                    stdout.len()
                ));
            }
            continue;
        }
        let want =
            fs::read(&out_path).unwrap_or_else(|_| panic!("{}: no .out or .err file", case.name));
        if code != 0 || stdout != want {
            failures.push(format!(
                "{}: exit {code}, stderr {stderr:?}\n--- want\n{}\n--- got\n{}",
                case.name,
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&stdout)
            ));
            continue;
        }
        // The oracle, unless the case chose its value some other way.
        let values = arg_values(&case.args, "--value");
        if let [value] = values.as_slice() {
            let mut kinds = arg_values(&case.args, "--kind");
            if kinds.is_empty() {
                kinds = common::DEFAULT_KINDS.to_vec();
            }
            let key = arg_values(&case.args, "--key")
                .first()
                .copied()
                .unwrap_or("reloaded-at");
            // Input that is not UTF-8 (kubectl reads it) is judged by kubectl.
            let (Ok(input), Ok(output)) = (
                String::from_utf8(case.input.clone()),
                String::from_utf8(stdout.clone()),
            ) else {
                assert!(
                    case.name.starts_with("kubectl-"),
                    "{}: not UTF-8",
                    case.name
                );
                continue;
            };
            let filtered = case
                .args
                .iter()
                .any(|a| ["--name", "-n", "--namespace", "-l", "--selector"].contains(&a.as_str()));
            // serde_yaml reads every YAML document of a file; kubectl only
            // the first between `---` lines. A `kubectl-` case that serde_yaml
            // cannot read is judged by kubectl itself instead, in CI
            // (tests/kubectl_corpus.py --golden).
            let kubectl_only =
                case.name.starts_with("kubectl-") && common::load_all(&input).is_err();
            if !filtered && !kubectl_only {
                common::check_stamp(&input, &output, &kinds, key, value);
            }
            if case.ext == "json" {
                serde_json::from_str::<serde_json::Value>(output.trim_start_matches('\u{feff}'))
                    .unwrap_or_else(|e| panic!("{}: output is no longer JSON: {e}", case.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}
