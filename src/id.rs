//! The one identity of an object, as kubectl tells objects apart: kind,
//! namespace and name. Workloads, stamps, config hashes and the names
//! `--kustomize` matches between builds all carry it.

use std::fmt;

/// An object's kind, namespace and name, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectId {
    /// Its `kind`.
    pub kind: String,
    /// Its `metadata.namespace`, as written (none when absent).
    pub namespace: Option<String>,
    /// Its `metadata.name`.
    pub name: Option<String>,
}

impl ObjectId {
    /// `namespace/name`, as messages show an object (`<unnamed>` without a
    /// name).
    pub fn qualified(&self) -> String {
        qualified(self.name.as_deref(), self.namespace.as_deref())
    }
}

impl fmt::Display for ObjectId {
    /// `Kind namespace/name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.qualified())
    }
}

/// `namespace/name` as messages show an object (`<unnamed>` without a
/// name).
fn qualified(name: Option<&str>, namespace: Option<&str>) -> String {
    let name = name.unwrap_or("<unnamed>");
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_messages_name_objects() {
        let id = |ns: Option<&str>, name: Option<&str>| ObjectId {
            kind: "Deployment".to_string(),
            namespace: ns.map(str::to_string),
            name: name.map(str::to_string),
        };
        let cases = [
            (id(None, Some("web")), "Deployment web"),
            (id(Some("prod"), Some("web")), "Deployment prod/web"),
            (id(Some("prod"), None), "Deployment prod/<unnamed>"),
        ];
        for (id, shown) in cases {
            assert_eq!(id.to_string(), shown);
        }
    }
}
