//! Config-hash mode: the stamp is a digest of the ConfigMaps and Secrets a
//! pod template references, so pods restart exactly when their
//! configuration changed, and a second run changes nothing.
//!
//! The digest is SHA-256, lowercase hex, over this byte string: for each
//! referenced object found, sorted by kind, then name, then namespace:
//!
//! ```text
//! KIND NUL NAME NUL
//!   for each of data, binaryData, stringData that is present:
//!     SECTION NUL (KEY NUL VALUE NUL)* for its keys in byte order
//!   NUL
//! ```
//!
//! Only data counts: labels, annotations and the namespace do not.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::document::{Kind, Node};
use crate::error::Error;

/// A reference from a pod template to a ConfigMap or Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigRef {
    pub kind: &'static str,
    pub name: String,
    pub optional: bool,
    /// Byte offset of the reference in the text, for warnings.
    pub pos: usize,
}

/// A ConfigMap or Secret found in the inputs, reduced to what is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigObject {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub sections: Vec<(&'static str, Vec<(String, String)>)>,
    /// Byte offset of the object in the text, for messages.
    pub pos: usize,
}

impl ConfigObject {
    /// Whether `other` hashes the same: the same kind, name, namespace and
    /// data, wherever it was found.
    fn same_content(&self, other: &ConfigObject) -> bool {
        (self.kind, &self.name, &self.namespace, &self.sections)
            == (other.kind, &other.name, &other.namespace, &other.sections)
    }
}

const SECTIONS: [&str; 3] = ["data", "binaryData", "stringData"];

fn seq<'n, 'a>(n: Option<&'n Node<'a>>) -> &'n [Node<'a>] {
    match n.map(|n| &n.kind) {
        Some(Kind::Seq(items, _)) => items,
        _ => &[],
    }
}

fn child<'n, 'a>(n: &'n Node<'a>, key: &str) -> Option<&'n Node<'a>> {
    n.get(key).map(|(_, v)| v)
}

fn is_true(n: Option<&Node<'_>>) -> bool {
    n.and_then(Node::as_str).is_some_and(|s| s == "true")
}

/// Pushes the reference `holder.<name_key>` of `kind`, if it names something.
fn push_ref(
    out: &mut Vec<ConfigRef>,
    holder: Option<&Node<'_>>,
    kind: &'static str,
    name_key: &str,
) {
    let Some(h) = holder else { return };
    let Some(name_node) = child(h, name_key) else {
        return;
    };
    let Some(name) = name_node.as_str().filter(|s| !s.is_empty()) else {
        return;
    };
    out.push(ConfigRef {
        kind,
        name: name.to_string(),
        optional: is_true(child(h, "optional")),
        pos: name_node.start,
    });
}

/// Every ConfigMap/Secret reference of a pod spec, in source order.
pub fn refs_of(pod_spec: &Node<'_>) -> Vec<ConfigRef> {
    let mut out = Vec::new();
    for vol in seq(child(pod_spec, "volumes")) {
        push_ref(&mut out, child(vol, "configMap"), "ConfigMap", "name");
        push_ref(&mut out, child(vol, "secret"), "Secret", "secretName");
        if let Some(p) = child(vol, "projected") {
            for src in seq(child(p, "sources")) {
                push_ref(&mut out, child(src, "configMap"), "ConfigMap", "name");
                push_ref(&mut out, child(src, "secret"), "Secret", "name");
            }
        }
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for c in seq(child(pod_spec, list)) {
            for ef in seq(child(c, "envFrom")) {
                push_ref(&mut out, child(ef, "configMapRef"), "ConfigMap", "name");
                push_ref(&mut out, child(ef, "secretRef"), "Secret", "name");
            }
            for env in seq(child(c, "env")) {
                let from = child(env, "valueFrom");
                push_ref(
                    &mut out,
                    from.and_then(|f| child(f, "configMapKeyRef")),
                    "ConfigMap",
                    "name",
                );
                push_ref(
                    &mut out,
                    from.and_then(|f| child(f, "secretKeyRef")),
                    "Secret",
                    "name",
                );
            }
        }
    }
    out
}

/// The ConfigMap or Secret `obj` (core group), if it is one.
pub fn object_of(text: &str, obj: &Node<'_>) -> Result<Option<ConfigObject>, Error> {
    let kind = match obj.get_str("kind") {
        Some("ConfigMap") => "ConfigMap",
        Some("Secret") => "Secret",
        _ => return Ok(None),
    };
    if obj.get_str("apiVersion") != Some("v1") {
        return Ok(None);
    }
    let meta = child(obj, "metadata");
    let Some(name) = meta.and_then(|m| m.get_str("name")) else {
        return Ok(None);
    };
    let namespace = meta
        .and_then(|m| m.get_str("namespace"))
        .map(str::to_string);
    let mut sections = Vec::new();
    for section in SECTIONS {
        let Some(d) = child(obj, section) else {
            continue;
        };
        if d.is_null() {
            continue;
        }
        let Some(entries) = d.entries() else {
            return Err(Error::at_byte(
                text,
                d.start,
                format!("{kind} {name}: '{section}' is not a mapping"),
            ));
        };
        let mut kv = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                return Err(Error::at_byte(
                    text,
                    k.start,
                    format!("{kind} {name}: every '{section}' entry must be a string"),
                ));
            };
            kv.push((k.to_string(), v.to_string()));
        }
        kv.sort();
        sections.push((section, kv));
    }
    Ok(Some(ConfigObject {
        kind,
        name: name.to_string(),
        namespace,
        sections,
        pos: obj.start,
    }))
}

/// The digest of `objects`, in the layout the module documents.
pub fn digest(objects: &[&ConfigObject]) -> String {
    let mut sorted = objects.to_vec();
    sorted.sort_by(|a, b| (a.kind, &a.name, &a.namespace).cmp(&(b.kind, &b.name, &b.namespace)));
    sorted.dedup_by(|a, b| a.same_content(b));
    let mut h = Sha256::new();
    for o in sorted {
        for part in [o.kind, o.name.as_str()] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for (section, kv) in &o.sections {
            h.update(section.as_bytes());
            h.update([0]);
            for (k, v) in kv {
                h.update(k.as_bytes());
                h.update([0]);
                h.update(v.as_bytes());
                h.update([0]);
            }
        }
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Every ConfigMap and Secret of the run, by kind, namespace and name.
#[derive(Default)]
pub struct Index<'o> {
    map: HashMap<(&'static str, Option<&'o str>, &'o str), Vec<Found<'o>>>,
}

/// One definition and where it came from.
#[derive(Clone, Copy)]
struct Found<'o> {
    object: &'o ConfigObject,
    /// The input's name and text, to show the definition's position.
    path: &'o str,
    text: &'o str,
}

impl<'o> Index<'o> {
    /// Adds `o`, found in the input named `path` whose text is `text`.
    /// A definition whose content equals an earlier one's counts as that
    /// one: either gives the same digest.
    pub fn add(&mut self, o: &'o ConfigObject, path: &'o str, text: &'o str) {
        let defs = self
            .map
            .entry((o.kind, o.namespace.as_deref(), o.name.as_str()))
            .or_default();
        if !defs.iter().any(|d| d.object.same_content(o)) {
            defs.push(Found {
                object: o,
                path,
                text,
            });
        }
    }

    /// The object `r` refers to from namespace `ns` (absent matches
    /// absent), `None` if the run has none. Two definitions that differ are
    /// an error naming both: which one a cluster gets depends on how the
    /// files are applied, and hashing either would be a guess.
    pub fn get(&self, r: &ConfigRef, ns: Option<&str>) -> Result<Option<&'o ConfigObject>, String> {
        match self
            .map
            .get(&(r.kind, ns, r.name.as_str()))
            .map(Vec::as_slice)
        {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(Some(one.object)),
            Some(defs) => {
                let at: Vec<String> = defs
                    .iter()
                    .map(|d| {
                        let (line, col) = crate::text::line_col(d.text, d.object.pos);
                        format!("{}:{line}:{col}", d.path)
                    })
                    .collect();
                Err(format!(
                    "{} '{}' has {} different definitions in this run ({}): which one the pods get \
                     depends on how the files are applied, so its hash would be a guess; \
                     for kustomize overlays, hash each build with `reload-stamp --config-hash --kustomize DIR...`, \
                     else name only the files of one definition",
                    r.kind,
                    r.name,
                    defs.len(),
                    at.join(", ")
                ))
            }
        }
    }
}

/// The config hash of workload `w`, or `None` when none of its references
/// is among the inputs. A missing reference that is not optional warns; a
/// reference with two different definitions is an error.
pub fn workload_hash(
    text: &str,
    w: &crate::plan::Workload,
    index: &Index<'_>,
    warnings: &mut Vec<Error>,
) -> Result<Option<String>, Error> {
    let mut found = Vec::new();
    for r in &w.refs {
        let got = index
            .get(r, w.namespace.as_deref())
            .map_err(|msg| Error::at_byte(text, r.pos, msg))?;
        match got {
            Some(o) => found.push(o),
            None if r.optional => {}
            None => warnings.push(Error::at_byte(
                text,
                r.pos,
                format!(
                    "{} {} references {} '{}', which is not among the inputs",
                    w.kind,
                    crate::plan::qualified(w.name.as_deref(), w.namespace.as_deref()),
                    r.kind,
                    r.name
                ),
            )),
        }
    }
    Ok((!found.is_empty()).then(|| digest(&found)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &'static str, name: &str, data: &[(&str, &str)]) -> ConfigObject {
        ConfigObject {
            kind,
            name: name.into(),
            namespace: None,
            sections: vec![(
                "data",
                data.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )],
            pos: 0,
        }
    }

    #[test]
    fn digest_layout_is_the_documented_one() {
        let a = obj("ConfigMap", "app", &[("a", "1"), ("b", "2")]);
        let mut want = Sha256::new();
        want.update(b"ConfigMap\0app\0data\0a\x001\0b\x002\0\0");
        let want: String = want.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest(&[&a]), want);
    }

    #[test]
    fn digest_is_order_independent_and_data_sensitive() {
        let a = obj("ConfigMap", "a", &[("k", "1")]);
        let b = obj("Secret", "a", &[("k", "1")]);
        assert_eq!(digest(&[&a, &b]), digest(&[&b, &a]));
        let a2 = obj("ConfigMap", "a", &[("k", "2")]);
        assert_ne!(digest(&[&a, &b]), digest(&[&a2, &b]));
        assert_ne!(digest(&[&a]), digest(&[&b]));
    }
}
