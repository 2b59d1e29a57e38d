//! Where each workload's value comes from: one value for all, or each
//! workload's config hash.

use crate::confighash::{digest, Index, Used};
use crate::error::{Error, Warning};
use crate::plan::Workload;

/// How each workload's value is found when an input is finished.
#[derive(Clone, Copy)]
pub enum Values<'v, 'o> {
    /// One value for every workload.
    Fixed(&'v str),
    /// Each workload's config hash, from the run's ConfigMaps and Secrets.
    Hashes(&'v Index<'o>),
}

/// The config hash of workload `w`, or `None` when none of its references
/// is among the inputs. A missing reference that is not optional warns; a
/// reference with two different definitions is an error.
pub fn workload_hash(
    w: &Workload,
    index: &Index<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<String>, Error> {
    let mut found: Vec<Used<'_>> = Vec::new();
    for r in &w.refs {
        let got = index.get(r, w.id.namespace.as_deref())?;
        match got {
            Some(o) if o.ignored => {}
            Some(o) => {
                // One entry per object: the keys of all its references.
                let keys = r.keys.as_ref().map(|k| k.iter().cloned().collect());
                match found.iter_mut().find(|(f, _)| std::ptr::eq(*f, o)) {
                    Some((_, have)) => match (have.as_mut(), keys) {
                        (Some(h), Some(k)) => h.extend(k),
                        _ => *have = None,
                    },
                    None => found.push((o, keys)),
                }
            }
            None if r.optional => {}
            None => warnings.push(Warning::at(
                r.pos,
                format!(
                    "{} references {} '{}', which is not among the inputs",
                    w.id, r.kind, r.name
                ),
            )),
        }
    }
    Ok((!found.is_empty()).then(|| digest(&found, index.key.as_ref())))
}
