//! Per-source keys, judged with serde_yaml: shared by tests/per_source.rs
//! and the structure-aware fuzz target.

use serde_yaml::{Mapping, Value};

/// The layout of ConfigMap `app`'s digest, the source [`with_sources`]
/// adds (`sha256sum` of it is the digest).
pub const APP: &[u8] = b"ConfigMap\0app\0data\0level\0debug\0\0";

fn annotations_mut(w: &mut Value) -> Option<&mut Mapping> {
    w.get_mut("spec")?
        .get_mut("template")?
        .get_mut("metadata")?
        .get_mut("annotations")?
        .as_mapping_mut()
}

/// Takes the pod template's annotations out of `w` (dropping an emptied
/// `metadata`), so the rest can be compared.
pub fn take_annotations(w: &mut Value) -> Mapping {
    let taken = annotations_mut(w).map(std::mem::take).unwrap_or_default();
    let t = w.get_mut("spec").and_then(|s| s.get_mut("template"));
    if let Some(Value::Mapping(t)) = t {
        let empty = match t.get_mut("metadata") {
            Some(Value::Mapping(m)) => {
                m.remove("annotations");
                m.is_empty()
            }
            Some(Value::Null) => true,
            _ => false,
        };
        if empty {
            t.remove("metadata");
        }
    }
    taken
}

pub fn is_source_key(k: &Value) -> bool {
    k.as_str().is_some_and(|k| {
        ["configmap", "secret", "secretproviderclass"]
            .iter()
            .any(|p| k.starts_with(&format!("{p}.reload-stamp.io/")))
    })
}

/// A generated manifest (every style the time stamp handles) made to use
/// ConfigMap `app`, appended: each container reads it, and the generator's
/// own annotation keys become per-source keys of sources it does not use.
pub fn with_sources(generated: &str) -> String {
    let nl = if generated.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut s = String::new();
    for line in generated.split_inclusive('\n') {
        let body = line.trim_end_matches(['\r', '\n']);
        let indent = body.len() - body.trim_start().len();
        let line = line
            .replace("k0:", "configmap.reload-stamp.io/k0:")
            .replace("k2:", "secret.reload-stamp.io/k2:")
            .replace("{a: b", "{configmap.reload-stamp.io/a: b")
            .replace("\"c\": 'd'", "\"secretproviderclass.reload-stamp.io/c\": 'd'")
            .replace("\"a\": \"b\"", "\"configmap.reload-stamp.io/a\": \"b\"")
            .replace("\"containers\": []", "\"containers\": [{\"name\": \"c\", \"envFrom\": [{\"configMapRef\": {\"name\": \"app\"}}]}]")
            .replace("\"containers\":[]", "\"containers\":[{\"name\":\"c\",\"envFrom\":[{\"configMapRef\":{\"name\":\"app\"}}]}]")
            .replace("containers: []", "containers: [{name: c, envFrom: [{configMapRef: {name: app}}]}]");
        s.push_str(&line);
        if body.trim_start() == "image: nginx" {
            if line.len() == body.len() {
                s.push_str(nl);
            }
            s.push_str(&" ".repeat(indent));
            s.push_str("envFrom: [{configMapRef: {name: app}}]");
            s.push_str(&line[body.len()..]);
        }
    }
    if !s.ends_with('\n') {
        s.push_str(nl);
    }
    let cm = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {level: debug}\n";
    s.push_str(&cm.replace('\n', nl));
    s
}

/// The workloads of a generated document: the default kinds with a pod
/// template, alone or as List items.
fn generated_workloads(doc: &mut Value) -> Vec<&mut Value> {
    let is_workload = |v: &Value| {
        v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| super::DEFAULT_KINDS.contains(&k))
            && v.get("spec").and_then(|s| s.get("template")).is_some()
    };
    if doc.get("items").is_some_and(Value::is_sequence) {
        let items = doc["items"].as_sequence_mut().unwrap();
        return items.iter_mut().filter(|v| is_workload(v)).collect();
    }
    match is_workload(doc) {
        true => vec![doc],
        false => Vec::new(),
    }
}

/// Checks that `output` reads as `input` (made by [`with_sources`]) with
/// each workload's per-source keys exactly `configmap.reload-stamp.io/app`
/// and its `checksum/config`, both `app` (the digest of [`APP`]); panics
/// saying what differs.
pub fn judge_generated(input: &str, output: &str, app: &str) {
    let mut before = super::load_all(input).expect("the input parses with serde_yaml");
    let mut after = super::load_all(output)
        .unwrap_or_else(|e| panic!("the output does not parse: {e}\n{output}"));
    assert_eq!(before.len(), after.len(), "document count changed");
    for (b, a) in before.iter_mut().zip(after.iter_mut()) {
        for (bw, aw) in generated_workloads(b)
            .into_iter()
            .zip(generated_workloads(a))
        {
            let mut want: Mapping = take_annotations(bw)
                .into_iter()
                .filter(|(k, _)| !is_source_key(k) && k.as_str() != Some("checksum/config"))
                .collect();
            want.insert("checksum/config".into(), app.into());
            want.insert("configmap.reload-stamp.io/app".into(), app.into());
            assert_eq!(
                take_annotations(aw),
                want,
                "{input}\n---- output:\n{output}"
            );
        }
        assert_eq!(b, a, "more than the annotations changed:\n{output}");
    }
}
