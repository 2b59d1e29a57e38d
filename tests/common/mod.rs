//! Helpers shared by the integration tests: an independent oracle built on
//! serde_yaml (libyaml), unrelated to the parser the tool uses.

#![allow(dead_code)]

// The fuzz targets include this module too, without assert_cmd.
#[cfg(not(fuzzing))]
pub mod bin;
pub mod gen;
pub mod per_source;
#[cfg(not(fuzzing))]
pub mod tools;

use serde_yaml::Value;

pub const VALUE: &str = "20261124093000";

/// A plain Deployment, unstamped, for the command-line tests.
pub const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx
";

/// A Deployment whose container reads the whole ConfigMap `app`
/// (`envFrom`), its pod template without metadata: what a config hash
/// stamps in the kustomize, KRM and release tests.
pub const DEPLOY_ENV_FROM: &str = "apiVersion: apps/v1
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

/// The SHA-256 of `msg` as `sha256sum` prints it, or with `hmac_key` the
/// HMAC-SHA256 as `openssl dgst -hmac` does: digests recomputed outside
/// the tool, to check its own.
pub fn digest_outside(msg: &[u8], hmac_key: Option<&str>) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut c = match hmac_key {
        None => Command::new("sha256sum"),
        Some(k) => {
            let mut c = Command::new("openssl");
            c.args(["dgst", "-sha256", "-hmac", k, "-r"]);
            c
        }
    };
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum or openssl");
    child.stdin.take().unwrap().write_all(msg).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// Stamps `input` with [`VALUE`] through the library, the way the binary
/// does (stamped while analysed); `full_check` forces whole-document checks.
/// Unchanged input comes back as it was.
pub fn stamp(input: &[u8], full_check: bool, jobs: usize) -> Result<Vec<u8>, String> {
    let opts = reload_stamp::Options::new(VALUE)
        .full_check(full_check)
        .jobs(jobs);
    let out = reload_stamp::stamp_bytes(input, &opts).map_err(|e| {
        // A refusal is fine; a wrong edit caught by the self-check is a bug.
        assert_ne!(e.kind, reload_stamp::ErrorKind::Internal, "{e}");
        e.to_string()
    })?;
    Ok(out
        .output
        .map_or_else(|| input.to_vec(), String::into_bytes))
}

/// Checks a successful result: the output means the input plus the stamp
/// (when the independent parser reads the input at all), and only stamp
/// lines changed.
pub fn judge(input: &[u8], output: &[u8]) {
    let (Ok(i), Ok(o)) = (std::str::from_utf8(input), std::str::from_utf8(output)) else {
        panic!("output is not UTF-8 although the input was accepted");
    };
    if load_all(i).is_err() {
        return;
    }
    check_stamp(i, o, DEFAULT_KINDS, "reloaded-at", VALUE);
}

fn is_workload(doc: &Value, kinds: &[&str]) -> bool {
    let Some(kind) = doc.get("kind").and_then(Value::as_str) else {
        return false;
    };
    if !kinds.contains(&kind) {
        return false;
    }
    let group = doc
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    if ["Deployment", "StatefulSet", "DaemonSet"].contains(&kind)
        && !["apps", "extensions"].contains(&group)
    {
        return false;
    }
    template_of(doc).is_some_and(Value::is_mapping)
}

fn template_of(doc: &Value) -> Option<&Value> {
    if doc.get("kind").and_then(Value::as_str) == Some("CronJob") {
        doc.get("spec")?
            .get("jobTemplate")?
            .get("spec")?
            .get("template")
    } else {
        doc.get("spec")?.get("template")
    }
}

fn template_of_mut(doc: &mut Value) -> Option<&mut Value> {
    if doc.get("kind").and_then(Value::as_str) == Some("CronJob") {
        doc.get_mut("spec")?
            .get_mut("jobTemplate")?
            .get_mut("spec")?
            .get_mut("template")
    } else {
        doc.get_mut("spec")?.get_mut("template")
    }
}

/// The document as it must read after stamping; the count of stamps.
pub fn expected(mut doc: Value, kinds: &[&str], key: &str, value: &str) -> (Value, usize) {
    // kubectl reads any object with `items` as a list of its items,
    // whatever its kind (a `null` or non-sequence holds no workloads).
    if let Some(items) = doc.get_mut("items") {
        let mut n = 0;
        if let Value::Sequence(items) = items {
            for item in items.iter_mut() {
                let (new, k) = expected(std::mem::take(item), kinds, key, value);
                *item = new;
                n += k;
            }
        }
        return (doc, n);
    }
    if is_workload(&doc, kinds) {
        let t = template_of_mut(&mut doc).expect("checked");
        let map = t.as_mapping_mut().expect("checked");
        let meta = map
            .entry("metadata".into())
            .or_insert(Value::Mapping(Default::default()));
        if !meta.is_mapping() {
            *meta = Value::Mapping(Default::default());
        }
        let ann = meta
            .as_mapping_mut()
            .expect("mapping")
            .entry("annotations".into())
            .or_insert(Value::Mapping(Default::default()));
        if !ann.is_mapping() {
            *ann = Value::Mapping(Default::default());
        }
        ann.as_mapping_mut()
            .expect("mapping")
            .insert(key.into(), Value::String(value.into()));
        return (doc, 1);
    }
    (doc, 0)
}

pub fn load_all(text: &str) -> Result<Vec<Value>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for d in serde_yaml::Deserializer::from_str(text) {
        let v = serde::Deserialize::deserialize(d).map_err(|e| e.to_string())?;
        out.push(v);
    }
    Ok(out)
}

/// Checks that `output` means `input` plus the stamp on every workload, and
/// that only lines carrying the stamp changed. Returns the stamp count.
pub fn check_stamp(input: &str, output: &str, kinds: &[&str], key: &str, value: &str) -> usize {
    let before = load_all(input).expect("input parses with serde_yaml");
    let after = load_all(output).unwrap_or_else(|e| panic!("output does not parse: {e}\n{output}"));
    assert_eq!(before.len(), after.len(), "document count changed");
    let mut stamped = 0;
    for (b, a) in before.into_iter().zip(after) {
        let (want, n) = expected(b, kinds, key, value);
        stamped += n;
        assert_eq!(a, want, "meaning differs from input plus the stamp");
    }
    // Only lines that carry the stamp change: every new or rewritten line
    // holds the key, `annotations` or `metadata`, and no line just goes.
    // Lines as similar splits them (it also breaks at a lone CR, as YAML
    // does), so the op ranges index these.
    let diff = similar::TextDiff::from_lines(input, output);
    let old: Vec<&str> = diff.old_slices().to_vec();
    let new: Vec<&str> = diff.new_slices().to_vec();
    let touched = |l: &str| l.contains(key) || l.contains("annotations") || l.contains("metadata");
    for op in diff.ops() {
        let (tag, o, n) = op.as_tag_tuple();
        match tag {
            similar::DiffTag::Equal => {}
            similar::DiffTag::Delete => panic!("lines were removed: {:?}", &old[o]),
            similar::DiffTag::Insert | similar::DiffTag::Replace => {
                for l in &new[n.clone()] {
                    // The old last line gains a newline when a line follows it.
                    let gained_newline = old[o.clone()].iter().any(|x| {
                        !x.ends_with(['\n', '\r']) && l.trim_end_matches(['\r', '\n']) == *x
                    });
                    assert!(
                        touched(l) || gained_newline,
                        "a line that carries no stamp changed: {l:?}"
                    );
                }
                // A multi-line old value of the key goes with it.
                let old_value = old[o.clone()].first().is_some_and(|l| l.contains(key));
                assert!(
                    o.len() <= n.len() || old_value,
                    "lines were removed: {:?}",
                    &old[o]
                );
            }
        }
    }
    if stamped == 0 {
        assert_eq!(input, output, "nothing to stamp, yet the bytes changed");
    }
    stamped
}

pub const DEFAULT_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet"];
