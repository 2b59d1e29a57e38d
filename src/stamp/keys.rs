//! Per-source keys ([`crate::Options::per_source`]): one annotation per
//! ConfigMap, Secret or SecretProviderClass a config hash covers, holding
//! that object's own digest, so the diff of a bump commit names what moved.
//!
//! The key is `KIND.reload-stamp.io/NAME` (`configmap.reload-stamp.io/app`),
//! `NAMESPACE_NAME` for an object of another namespace: `_` is in no
//! Kubernetes name, so the two never meet. A name part longer than an
//! annotation key's 63 characters, or with a character a key cannot hold,
//! is its first 54 characters, `-`, and the first 8 hex digits of the
//! SHA-256 of the whole part. The prefixes are reload-stamp's own, so every
//! key under them that no longer names a source is removed: nothing else
//! writes there.
//!
//! Each key is set (or removed) on the document as already stamped, as an
//! edit of its own under that key, and checked like every edit.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::{render, Source, Wanted};
use crate::error::{Error, ErrorKind};
use crate::id::ObjectId;
use crate::options::Options;
use crate::plan::stream::{analyze, DocPlan};
use crate::plan::Workload;
use crate::verify::{self, Want};

/// The kinds a source can be, and their key prefixes.
const PREFIXES: [(&str, &str); 3] = [
    ("ConfigMap", "configmap.reload-stamp.io"),
    ("Secret", "secret.reload-stamp.io"),
    ("SecretProviderClass", "secretproviderclass.reload-stamp.io"),
];

/// The longest name part of an annotation key.
const NAME_MAX: usize = 63;

/// A change to one per-source key: set it to `value`, or remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOp {
    pub key: String,
    pub value: Option<String>,
}

/// Whether `key` is under one of the per-source prefixes.
pub fn is_source_key(key: &str) -> bool {
    key.split_once('/')
        .is_some_and(|(p, _)| PREFIXES.iter().any(|(_, q)| *q == p))
}

/// The per-source key ([`crate::Options::per_source`]) of source `id` for a
/// workload in namespace `ns`.
///
/// ```
/// use reload_stamp::{source_key, ObjectId};
///
/// let id = |ns: Option<&str>| ObjectId {
///     kind: "ConfigMap".into(),
///     namespace: ns.map(Into::into),
///     name: Some("app".into()),
/// };
/// assert_eq!(source_key(&id(Some("shop")), Some("shop")), "configmap.reload-stamp.io/app");
/// assert_eq!(source_key(&id(Some("ops")), Some("shop")), "configmap.reload-stamp.io/ops_app");
/// ```
pub fn source_key(id: &ObjectId, ns: Option<&str>) -> String {
    let prefix = PREFIXES
        .iter()
        .find(|(k, _)| *k == id.kind)
        .map_or("source.reload-stamp.io", |(_, p)| p);
    let name = id.name.as_deref().unwrap_or("");
    let part = match id.namespace.as_deref() {
        Some(other) if Some(other) != ns => format!("{other}_{name}"),
        _ => name.to_string(),
    };
    format!("{prefix}/{}", shortened(&part))
}

/// `part` as an annotation key's name part: itself when it is one,
/// otherwise its first characters that can be, and a digest of it.
fn shortened(part: &str) -> String {
    let fits = part.len() <= NAME_MAX && crate::labels::qualified_name(part).is_ok();
    if fits {
        return part.to_string();
    }
    let digest = Sha256::digest(part.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    let keep: String = part
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(NAME_MAX - 9)
        .collect();
    let keep = keep.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if keep.is_empty() {
        hex
    } else {
        format!("{keep}-{hex}")
    }
}

/// Each per-source key of workload `id` (in namespace `ns`) and the digest
/// it holds, in key order; an error message when two of `sources` shorten
/// to the same key (never a merge).
pub fn wanted<'s>(
    id: &ObjectId,
    ns: Option<&str>,
    sources: &'s [Source],
) -> Result<BTreeMap<String, &'s str>, String> {
    let mut want = BTreeMap::new();
    let mut by: BTreeMap<String, &ObjectId> = BTreeMap::new();
    for s in sources {
        let key = source_key(&s.id, ns);
        if let Some(other) = by.insert(key.clone(), &s.id) {
            return Err(format!(
                "{id} uses {other} and {}, which both shorten to the annotation key '{key}'; \
                 rename one of them, or drop --per-source",
                s.id
            ));
        }
        want.insert(key, s.digest.as_str());
    }
    Ok(want)
}

/// The changes that make `w`'s per-source keys name exactly `sources`:
/// set where missing or different, removed where no source is left.
pub fn ops(w: &Workload, sources: &[Source]) -> Result<Vec<KeyOp>, Error> {
    let want = wanted(&w.id, w.id.namespace.as_deref(), sources)
        .map_err(|msg| Error::at(ErrorKind::Refused, w.start, msg))?;
    let empty = crate::plan::Annotations::new();
    let have = w.annotations.as_deref().map_or(&empty, |(_, pod)| pod);
    let mut out: Vec<KeyOp> = want
        .iter()
        .filter(|(k, v)| have.get(*k).map(String::as_str) != Some(**v))
        .map(|(k, v)| KeyOp {
            key: k.clone(),
            value: Some(v.to_string()),
        })
        .collect();
    out.extend(
        have.keys()
            .filter(|k| is_source_key(k) && !want.contains_key(*k))
            .map(|k| KeyOp {
                key: k.clone(),
                value: None,
            }),
    );
    Ok(out)
}

/// `doc` (one document's text, already stamped under the run's key) with
/// `ops` applied to workload `w`, one key at a time, each edit checked.
pub fn apply(
    mut doc: String,
    w: &Workload,
    ops: &[KeyOp],
    opts: &Options,
) -> Result<String, Error> {
    for op in ops {
        doc = apply_one(&doc, w, op, opts)?;
    }
    Ok(doc)
}

fn apply_one(doc: &str, w: &Workload, op: &KeyOp, opts: &Options) -> Result<String, Error> {
    // Offsets below are in `doc`, not the input: failures are placed at
    // the workload.
    let internal = |why: &str| {
        Error::internal(
            w.start,
            &format!("per-source key '{}' of {}: {why}", op.key, w.id),
        )
    };
    let placed = |e: Error| {
        Error::at(
            e.kind,
            w.start,
            format!("per-source key '{}' of {}: {}", op.key, w.id, e.msg),
        )
    };
    let sub = opts.for_key(&op.key, op.value.as_deref().unwrap_or(""));
    let a = analyze(doc.as_bytes(), &sub, 1).map_err(placed)?;
    let same = |x: &Workload| x.id == w.id && x.items == w.items;
    let Some((plan, i)) = a
        .docs
        .iter()
        .find_map(|d| d.workloads.iter().position(same).map(|i| (d, i)))
    else {
        return Err(internal("the workload is not found again"));
    };
    let Some(value) = &op.value else {
        return remove(doc, (plan, i), w, op, &sub);
    };
    let r = render(
        &a,
        &sub,
        &|x| same(x).then_some(Wanted::from(value.as_str())),
        1,
    )
    .map_err(placed)?;
    Ok(match r.output {
        Some(o) => o.parts(doc).collect(),
        None => doc.to_string(),
    })
}

/// `doc` without the key `op` names on workload `i` of `plan` (planned
/// under that key with `sub`), checked.
fn remove(
    doc: &str,
    (plan, i): (&DocPlan, usize),
    w: &Workload,
    op: &KeyOp,
    sub: &Options,
) -> Result<String, Error> {
    let Some(cur) = &plan.workloads[i].current else {
        return Ok(doc.to_string());
    };
    let Some((from, to)) = cur.cut else {
        return Err(Error::at(
            ErrorKind::Refused,
            w.start,
            format!(
                "{}: the per-source key '{}' names no source any more, but it shares its \
                 lines with other text; put it on a line of its own",
                w.id, op.key
            ),
        ));
    };
    let out = format!("{}{}", &doc[..from], &doc[to..]);
    let region = plan.region.start..plan.region.end - (to - from);
    let mut want = vec![Want::Keep; plan.workloads.len()];
    want[i] = Want::Absent;
    verify::check(
        &out[region],
        sub.mode(),
        &plan.sites(),
        &want,
        &op.key,
        (plan.fingerprint(doc, sub)?, w.start),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_valid_and_shortened_deterministically() {
        let a63 = "a".repeat(63);
        let b64 = "b".repeat(64);
        // Digests: printf '%s' PART | sha256sum | cut -c1-8
        // Kind, namespace and name of the source; the workload's namespace.
        type Row<'a> = (&'a str, Option<&'a str>, &'a str, Option<&'a str>, String);
        let rows: &[Row<'_>] = &[
            (
                "ConfigMap",
                None,
                "app",
                None,
                "configmap.reload-stamp.io/app".into(),
            ),
            (
                "Secret",
                Some("shop"),
                "db",
                Some("shop"),
                "secret.reload-stamp.io/db".into(),
            ),
            (
                "SecretProviderClass",
                None,
                "vault",
                Some("shop"),
                "secretproviderclass.reload-stamp.io/vault".into(),
            ),
            (
                "ConfigMap",
                Some("ops"),
                "shared",
                Some("shop"),
                "configmap.reload-stamp.io/ops_shared".into(),
            ),
            (
                "ConfigMap",
                Some("ops"),
                "shared",
                None,
                "configmap.reload-stamp.io/ops_shared".into(),
            ),
            (
                "ConfigMap",
                None,
                &a63,
                None,
                format!("configmap.reload-stamp.io/{a63}"),
            ),
            (
                "ConfigMap",
                None,
                &b64,
                None,
                format!("configmap.reload-stamp.io/{}-a0fab137", &b64[..54]),
            ),
            (
                "ConfigMap",
                Some("ops"),
                &a63,
                None,
                format!("configmap.reload-stamp.io/ops_{}-6d1f5c79", &a63[..50]),
            ),
            (
                "ConfigMap",
                None,
                "weird:name",
                None,
                "configmap.reload-stamp.io/weird-name-a18b1463".into(),
            ),
            (
                "ConfigMap",
                None,
                "-lead",
                None,
                "configmap.reload-stamp.io/lead-54e05a0b".into(),
            ),
            (
                "ConfigMap",
                None,
                "",
                None,
                "configmap.reload-stamp.io/e3b0c442".into(),
            ),
        ];
        for (kind, ns, name, wns, want) in rows {
            let id = ObjectId {
                kind: kind.to_string(),
                namespace: ns.map(str::to_string),
                name: Some(name.to_string()),
            };
            let got = source_key(&id, *wns);
            assert_eq!(&got, want, "{kind} {ns:?}/{name} for {wns:?}");
            assert!(crate::labels::qualified_name(&got).is_ok(), "{got}");
            assert!(is_source_key(&got));
        }
        for other in [
            "checksum/config",
            "configmap.reload-stamp.io",
            "reload-stamp/skip",
            "x.configmap.reload-stamp.io/a",
        ] {
            assert!(!is_source_key(other), "{other}");
        }
    }
}
