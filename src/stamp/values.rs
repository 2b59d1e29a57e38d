//! Where each workload's value comes from: one value for all, or each
//! workload's config hash.

use std::collections::BTreeSet;

use crate::confighash::{digest, ConfigRef, Found, Index, Keyed, Used};
use crate::error::{line_col, Error, ErrorKind, Warning};
use crate::id::ObjectId;
use crate::plan::{Annotations, Workload};
use crate::reloader::{decide, Candidate, Decision, Rules, Workload as RulesWorkload};

/// How each workload's value is found when an input is finished.
#[derive(Clone, Copy)]
pub enum Values<'v, 'o> {
    /// One value for every workload.
    Fixed(&'v str),
    /// Each workload's config hash, from the run's ConfigMaps and Secrets
    /// (also as the opt-in modes' rules see them).
    Hashes(&'v Index<'o>, &'v [Candidate<'o>]),
}

/// One ConfigMap or Secret a workload's config hash covers: what moved,
/// when the hash moves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Source {
    /// As pods reference it: `ConfigMap` or `Secret`, its namespace as
    /// written and its name.
    pub id: ObjectId,
    /// The kind it was found as: `ConfigMap`, `Secret` (also a
    /// SOPS-encrypted one), `SealedSecret`, `ExternalSecret`, `Certificate`
    /// (cert-manager, for the Secret it writes) or `SecretProviderClass`.
    pub found_as: &'static str,
    /// The keys counted, in byte order; `None`: every key.
    pub keys: Option<Vec<String>>,
    /// The input it was found in.
    pub input: String,
    /// The 1-based line of the object in that input.
    pub line: usize,
    /// Its own digest: the documented layout with this object alone.
    pub digest: String,
}

/// A workload's config hash and what it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadHash {
    pub value: String,
    /// Each object hashed, in the digest's order (empty unless asked for).
    pub sources: Vec<Source>,
}

/// How references are followed.
#[derive(Clone, Copy, Default)]
pub struct Follow<'c> {
    /// A reference that is not optional and not among the inputs is an
    /// error, not a warning.
    pub strict: bool,
    /// Keep a [`Source`] for each object hashed.
    pub sources: bool,
    /// An opt-in mode: its rules, and every ConfigMap and Secret of the run
    /// as they see them.
    pub rules: Option<(Rules, &'c [Candidate<'c>])>,
}

/// The config hash of workload `w`, or `None` when none of its references
/// is among the inputs. A missing reference that is not optional warns (is
/// an error with [`Follow::strict`]); a reference to an object whose data
/// is refused, or with two different definitions, is an error.
pub fn workload_hash(
    w: &Workload,
    index: &Index<'_>,
    follow: Follow<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<WorkloadHash>, Error> {
    let decided;
    let (refs, honour_ignore) = match follow.rules {
        None => (&w.refs, true),
        Some((rules, candidates)) => {
            let Some(d) = by_rules(w, rules, candidates, warnings) else {
                return Ok(None);
            };
            decided = d.sources;
            (&decided, d.honour_ignore)
        }
    };
    let mut found: Vec<Use<'_>> = Vec::new();
    for r in refs {
        let Some(f) = index.get(r, w.id.namespace.as_deref())? else {
            missing(w, r, follow, warnings)?;
            continue;
        };
        if f.object.ignored && honour_ignore {
            continue;
        }
        if let Some(e) = &f.object.refused {
            return Err(refused(w, r, &f, e));
        }
        add_use(&mut found, f, r);
    }
    if found.is_empty() {
        return Ok(None);
    }
    let key = index.key.as_ref();
    let used: Vec<Used<'_>> = found.iter().map(|(f, k)| (f.object, k.clone())).collect();
    let sources = if follow.sources {
        let mut s: Vec<Source> = found.iter().map(|(f, k)| source(f, k, key)).collect();
        s.sort_by(|a, b| {
            (&a.id.kind, &a.id.name, &a.id.namespace).cmp(&(
                &b.id.kind,
                &b.id.name,
                &b.id.namespace,
            ))
        });
        s
    } else {
        Vec::new()
    };
    Ok(Some(WorkloadHash {
        value: digest(&used, key),
        sources,
    }))
}

/// An object found and the keys used of it (`None`: every key).
type Use<'o> = (Found<'o>, Option<BTreeSet<String>>);

/// Adds the object `f` that reference `r` found: one entry per object,
/// with the keys of all its references.
fn add_use<'o>(found: &mut Vec<Use<'o>>, f: Found<'o>, r: &ConfigRef) {
    let keys = r.keys.as_ref().map(|k| k.iter().cloned().collect());
    match found
        .iter_mut()
        .find(|(g, _)| std::ptr::eq(g.object, f.object))
    {
        Some((_, have)) => match (have.as_mut(), keys) {
            (Some(h), Some(k)) => h.extend(k),
            _ => *have = None,
        },
        None => found.push((f, keys)),
    }
}

/// What an opt-in mode's rules say of `w`: `None` when it is not opted in;
/// the rules' notes become warnings.
fn by_rules(
    w: &Workload,
    rules: Rules,
    candidates: &[Candidate<'_>],
    warnings: &mut Vec<Warning>,
) -> Option<Decision> {
    let empty = Annotations::new();
    let (own, pod) = w
        .annotations
        .as_deref()
        .map_or((&empty, &empty), |(a, p)| (a, p));
    let d = decide(
        rules,
        &RulesWorkload {
            annotations: own,
            pod_annotations: pod,
            namespace: w.id.namespace.as_deref(),
            refs: &w.refs,
        },
        candidates,
    );
    warnings.extend(
        d.notes
            .iter()
            .map(|(pos, msg)| Warning::at(*pos, msg.clone())),
    );
    d.opted_in.then_some(d)
}

/// A reference that is not among the inputs: nothing when it is optional,
/// else a warning, or with [`Follow::strict`] an error at the reference
/// that says what was looked for.
fn missing(
    w: &Workload,
    r: &ConfigRef,
    follow: Follow<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    if r.optional {
        return Ok(());
    }
    let msg = format!(
        "{} references {} '{}', which is not among the inputs",
        w.id, r.kind, r.name
    );
    if !follow.strict {
        warnings.push(Warning::at(r.pos, msg));
        return Ok(());
    }
    let looked_for = ObjectId {
        kind: r.kind.to_string(),
        namespace: r.namespace.clone().or_else(|| w.id.namespace.clone()),
        name: Some(r.name.clone()),
    };
    Err(Error::at(
        ErrorKind::Refused,
        r.pos,
        format!(
            "{msg} (looked for {looked_for}; --strict): add it to the inputs, or mark the \
             reference `optional: true` if the pods start without it"
        ),
    ))
}

/// The error for a reference to an object whose data is refused: at the
/// reference, naming where the object's data is.
fn refused(w: &Workload, r: &ConfigRef, f: &Found<'_>, e: &Error) -> Error {
    let (line, col) = line_col(f.text, e.offset().unwrap_or(f.object.pos));
    Error::at(
        ErrorKind::Refused,
        r.pos,
        format!(
            "{} references {} '{}', which is among the inputs but cannot be hashed: {}:{line}:{col}: {}",
            w.id, r.kind, r.name, f.path, e.msg
        ),
    )
}

/// What a workload's hash says of one object.
fn source(f: &Found<'_>, keys: &Option<BTreeSet<String>>, key: Option<&Keyed>) -> Source {
    let o = f.object;
    Source {
        id: ObjectId {
            kind: o.kind.to_string(),
            namespace: o.namespace.clone(),
            name: Some(o.name.clone()),
        },
        found_as: o.found_as,
        keys: keys.as_ref().map(|k| k.iter().cloned().collect()),
        input: f.path.to_string(),
        line: o.line,
        digest: digest(&[(o, keys.clone())], key),
    }
}
