//! What a document stands for as configuration (a ConfigMap, a Secret, or
//! what makes one: SealedSecret, ExternalSecret, cert-manager Certificate,
//! SOPS; and a SecretProviderClass), and the sections of it that are
//! hashed.

use super::*;

/// A mapping of strings as sorted `(key, value)` entries.
fn string_map(what: &str, section: &str, d: &Node<'_>) -> Result<Vec<(String, String)>, Error> {
    let Some(entries) = d.entries() else {
        return Err(Error::at(
            ErrorKind::Refused,
            d.start,
            format!("{what}: '{section}' is not a mapping"),
        ));
    };
    let mut kv = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        // kubectl sends a null value (`a:`, `a: ~`, `a: null`) as the
        // empty string, so it hashes as one.
        let v_text = if v.is_null() { Some("") } else { v.as_str() };
        let (Some(k), Some(v)) = (k.as_str(), v_text) else {
            return Err(Error::at(
                ErrorKind::Refused,
                k.start,
                format!("{what}: every '{section}' entry must be a string"),
            ));
        };
        kv.push((k.to_string(), v.to_string()));
    }
    kv.sort();
    Ok(kv)
}

/// Every scalar under `n` as `(path, value)`, paths like `data[0].key`,
/// sorted: a whole structure as entries, independent of key order.
fn flatten(n: &Node<'_>, path: &str, skip: &[&str], out: &mut Vec<(String, String)>) {
    match &n.kind {
        Kind::Map(entries, _) => {
            for (k, v) in entries {
                let k = k.scalar_text().unwrap_or("?");
                if path.is_empty() && skip.contains(&k) {
                    continue;
                }
                let p = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                flatten(v, &p, &[], out);
            }
        }
        Kind::Seq(items, _) => {
            for (i, v) in items.iter().enumerate() {
                flatten(v, &format!("{path}[{i}]"), &[], out);
            }
        }
        _ => out.push((path.to_string(), n.scalar_text().unwrap_or("").to_string())),
    }
}

fn flattened(n: &Node<'_>, skip: &[&str]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    flatten(n, "", skip, &mut out);
    out.sort();
    out
}

/// The ConfigMap or Secret `obj` stands for, if any: a ConfigMap or Secret
/// (core group; a Secret with a `sops` section is SOPS-encrypted), a
/// SealedSecret (the Secret it unseals to), an ExternalSecret (the
/// Secret it writes: `spec.target.name`, else its own name), a Certificate
/// (the Secret of its `spec.secretName`) or a SecretProviderClass.
pub fn object_of(obj: &Node<'_>) -> Result<Option<ConfigObject>, Error> {
    let Some(Identity {
        kind,
        origin,
        found_as,
        name,
        namespace,
    }) = identify(obj)
    else {
        return Ok(None);
    };
    let what = format!("{kind} {name}");
    let (sections, refused) = match sections(obj, origin, found_as, &what) {
        Ok(s) => (s, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let meta = child(obj, "metadata");
    let annotations = meta.and_then(|m| child(m, "annotations"));
    let ignored = is_true(annotations.and_then(|a| child(a, "reloader.stakater.com/ignore")));
    let matched = is_true(annotations.and_then(|a| child(a, "reloader.stakater.com/match")));
    Ok(Some(ConfigObject {
        kind,
        origin,
        found_as,
        name: name.to_string(),
        namespace: namespace.map(str::to_string),
        sections,
        ignored,
        matched,
        pos: obj.start,
        line: 0,
        refused,
    }))
}

/// The kinds [`identify`] reads as configuration (in their API groups).
pub const KINDS: [&str; 6] = [
    "ConfigMap",
    "Secret",
    "SealedSecret",
    "ExternalSecret",
    "Certificate",
    "SecretProviderClass",
];

/// What [`identify`] reads an object as.
struct Identity<'n> {
    /// The kind pods reference.
    kind: &'static str,
    origin: Origin,
    /// The object's own kind.
    found_as: &'static str,
    /// The name and namespace of what it stands for.
    name: &'n str,
    namespace: Option<&'n str>,
}

impl<'n> Identity<'n> {
    fn new(
        kind: &'static str,
        origin: Origin,
        found_as: &'static str,
        name: &'n str,
        namespace: Option<&'n str>,
    ) -> Self {
        Identity {
            kind,
            origin,
            found_as,
            name,
            namespace,
        }
    }
}

/// What `obj` stands for, if it is one of ours.
fn identify<'n>(obj: &'n Node<'_>) -> Option<Identity<'n>> {
    let api = obj.get_str("apiVersion").unwrap_or("");
    let group = api.split_once('/').map_or("", |(g, _)| g);
    let meta = child(obj, "metadata");
    let own_name = meta.and_then(|m| m.get_str("name"))?;
    let own_namespace = meta.and_then(|m| m.get_str("namespace"));
    let spec = child(obj, "spec");
    let id = Identity::new;
    match obj.get_str("kind") {
        Some(k @ ("ConfigMap" | "Secret")) if api == "v1" => {
            let kind = if k == "Secret" { "Secret" } else { "ConfigMap" };
            let sops = child(obj, "sops").is_some_and(|s| s.entries().is_some());
            let origin = if sops { Origin::Sops } else { Origin::Plain };
            Some(id(kind, origin, kind, own_name, own_namespace))
        }
        Some("SealedSecret") if group == "bitnami.com" => {
            let tmeta = spec
                .and_then(|s| child(s, "template"))
                .and_then(|t| child(t, "metadata"));
            let name = tmeta.and_then(|m| m.get_str("name")).unwrap_or(own_name);
            let ns = tmeta.and_then(|m| m.get_str("namespace")).or(own_namespace);
            Some(id("Secret", Origin::Sealed, "SealedSecret", name, ns))
        }
        Some("ExternalSecret") if group == "external-secrets.io" => {
            let target = spec
                .and_then(|s| child(s, "target"))
                .and_then(|t| t.get_str("name"));
            let name = target.unwrap_or(own_name);
            let found_as = "ExternalSecret";
            Some(id(
                "Secret",
                Origin::External,
                found_as,
                name,
                own_namespace,
            ))
        }
        // A Certificate without a secretName is refused by the API server
        // (`json:"secretName"`, required): it stands for nothing here.
        Some("Certificate") if group == "cert-manager.io" => {
            let name = spec.and_then(|s| s.get_str("secretName"))?;
            let found_as = "Certificate";
            Some(id(
                "Secret",
                Origin::External,
                found_as,
                name,
                own_namespace,
            ))
        }
        Some("SecretProviderClass") if group == "secrets-store.csi.x-k8s.io" => {
            let kind = "SecretProviderClass";
            Some(id(kind, Origin::External, kind, own_name, own_namespace))
        }
        _ => None,
    }
}

/// The top-level `spec` fields left out of the hash, by the kind the spec
/// is found as: when and how often it is fetched or renewed, and the
/// labels of the Secret, do not change what the Secret holds.
fn spec_skipped(found_as: &str) -> &'static [&'static str] {
    match found_as {
        "ExternalSecret" => &["refreshInterval"],
        "Certificate" => &[
            "renewBefore",
            "renewBeforePercentage",
            "revisionHistoryLimit",
            "secretTemplate",
        ],
        _ => &[],
    }
}

/// The hashed sections of `obj`, in the documented order.
fn sections(
    obj: &Node<'_>,
    origin: Origin,
    found_as: &str,
    what: &str,
) -> Result<Vec<Section>, Error> {
    let spec = child(obj, "spec");
    let mut sections = Vec::new();
    match origin {
        Origin::Plain | Origin::Sops => {
            for section in ["data", "binaryData", "stringData"] {
                match child(obj, section) {
                    Some(d) if !d.is_null() => {
                        sections.push((section, string_map(what, section, d)?))
                    }
                    _ => {}
                }
            }
        }
        Origin::Sealed => {
            if let Some(d) = spec
                .and_then(|s| child(s, "encryptedData"))
                .filter(|d| !d.is_null())
            {
                sections.push(("encryptedData", string_map(what, "encryptedData", d)?));
            }
            if let Some(t) = spec.and_then(|s| child(s, "template")) {
                if let Some(d) = child(t, "data").filter(|d| !d.is_null()) {
                    sections.push(("template.data", string_map(what, "template.data", d)?));
                }
                sections.push(("template", flattened(t, &["metadata", "data"])));
            }
        }
        Origin::External => {
            if let Some(s) = spec {
                sections.push(("spec", flattened(s, spec_skipped(found_as))));
            }
        }
    }
    Ok(sections)
}
