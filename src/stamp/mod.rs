//! A planned input stamped: each changed document's edits are made and
//! checked on their own (spread over threads), and the input's new text is
//! the edits' text (or a document's whole new text, when its check needed
//! it) between ranges of the original that did not change.

mod keys;
mod pieces;
mod splice;
mod values;

use crate::error::Error;
use crate::id::ObjectId;
use crate::options::Options;
use crate::parallel;
use crate::plan::stream::{Analysis, DocPlan};
use crate::plan::Workload;

pub use keys::{ops as source_key_ops, source_key, KeyOp};
// --kustomize writes the same keys into its patch.
#[cfg_attr(not(feature = "cli"), allow(unused_imports))]
pub use keys::wanted as source_keys;
pub use pieces::Output;
pub use values::{workload_hash, Follow, Source, Values};

/// One stamped workload, for the summary and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The workload.
    pub id: ObjectId,
    /// Byte offset of the workload in its input's text (after any
    /// byte-order mark).
    pub offset: usize,
    /// The 1-based line of that offset.
    pub line: usize,
    /// The stamp's value before, if it had one.
    pub previous: Option<String>,
    /// The value stamped.
    pub value: String,
    /// Config-hash mode, with records: what the hash covers.
    pub sources: Vec<Source>,
}

/// The result of rendering one input.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The new text, or `None` when nothing changed.
    pub output: Option<Output>,
    /// What was stamped, when [`Options::records`] asks for it.
    pub stamps: Vec<Stamp>,
    /// How many workloads were stamped.
    pub count: usize,
}

/// What a workload gets: the value under the run's key, and with
/// per-source keys the changes to them ([`keys`]).
#[derive(Debug, Clone, Copy)]
pub struct Wanted<'v> {
    pub value: &'v str,
    pub keys: &'v [KeyOp],
}

impl<'v> From<&'v str> for Wanted<'v> {
    fn from(value: &'v str) -> Self {
        Wanted { value, keys: &[] }
    }
}

/// Gives each workload what it gets (`None`: leave it alone).
pub type ValueOf<'f, 'v> = dyn Fn(&Workload) -> Option<Wanted<'v>> + Sync + 'f;

/// One changed document: what replaces which ranges of the input's text
/// (in order, inside the document), and what was stamped in it.
pub struct NewDoc {
    pieces: Vec<(std::ops::Range<usize>, String)>,
    stamps: Vec<Stamp>,
    count: usize,
}

/// The new text of each of `docs` (`None`: unchanged) with the value
/// `value_of` gives each workload, each checked on its own.
pub fn make<'v>(
    text: &str,
    docs: &[DocPlan],
    opts: &Options,
    value_of: &ValueOf<'_, 'v>,
) -> Result<Vec<Option<NewDoc>>, Error> {
    docs.iter()
        .map(|d| splice::document(text, d, opts, value_of))
        .collect()
}

/// Applies the plan with the value `value_of` gives each workload (`None`:
/// leave it alone), checking every edited document; documents are made on
/// up to `jobs` threads.
pub fn render<'v>(
    a: &Analysis<'_>,
    opts: &Options,
    value_of: &ValueOf<'_, 'v>,
    jobs: usize,
) -> Result<Rendered, Error> {
    // Documents in chunks, so a stream of many small ones does not pay a
    // hand-over per document.
    let chunks: Vec<&[DocPlan]> = a.docs.chunks(64).collect();
    let made = parallel::map(&chunks, jobs, |docs| make(a.text, docs, opts, value_of));
    let made: Vec<Option<NewDoc>> = made
        .into_iter()
        .collect::<Result<Vec<_>, Error>>()?
        .into_iter()
        .flatten()
        .collect();
    assemble(a, made)
}

/// The input's new text: the pieces of each document `made` (one per
/// planned document, in order) between the unchanged ranges of the
/// original.
pub fn assemble(a: &Analysis<'_>, made: Vec<Option<NewDoc>>) -> Result<Rendered, Error> {
    if let Some(w) = a
        .docs
        .windows(2)
        .find(|w| w[0].region.end > w[1].region.start)
    {
        return Err(Error::internal(w[1].region.start, "documents overlap"));
    }
    if made.len() != a.docs.len() {
        return Err(Error::internal(
            0,
            "a document was made twice or not at all",
        ));
    }
    let mut out = Output::default();
    let mut r = Rendered::default();
    let mut copied = 0;
    for (doc, new) in a.docs.iter().zip(made) {
        let Some(new) = new else { continue };
        if new
            .pieces
            .first()
            .is_some_and(|(r, _)| r.start < doc.region.start)
            || new
                .pieces
                .last()
                .is_some_and(|(r, _)| r.end > doc.region.end)
        {
            return Err(Error::internal(
                doc.region.start,
                "an edit outside its document",
            ));
        }
        for (r, text) in new.pieces {
            out.same(copied..r.start);
            out.push_new(text);
            copied = r.end;
        }
        r.stamps.extend(new.stamps);
        r.count += new.count;
    }
    if r.count == 0 {
        return Ok(Rendered::default());
    }
    out.same(copied..a.text.len());
    r.output = Some(out);
    Ok(r)
}
