//! One changed document: the edits spliced into its text, then checked.

use std::ops::Range;

use super::{NewDoc, Stamp, ValueOf, Wanted};
use crate::error::Error;
use crate::options::Options;
use crate::plan::stream::DocPlan;
use crate::plan::{Edit, VALUE};
use crate::text;
use crate::verify::{self, Want};

/// The new text of `doc` with what `value_of` gives each workload, and
/// its stamps; `None` when no workload of it changes.
pub(super) fn document<'v>(
    text: &str,
    doc: &DocPlan,
    opts: &Options,
    value_of: &ValueOf<'_, 'v>,
) -> Result<Option<NewDoc>, Error> {
    let wanted: Vec<Option<Wanted<'v>>> = doc.workloads.iter().map(value_of).collect();
    let values = new_values(doc, &wanted);
    let touched = |i: usize| values[i].is_some() || wanted[i].is_some_and(|w| !w.keys.is_empty());
    if !(0..wanted.len()).any(touched) {
        return Ok(None);
    }
    let mut stamps = Vec::new();
    let mut count = 0;
    for (i, w) in doc.workloads.iter().enumerate() {
        let Some(want) = wanted[i].filter(|_| touched(i)) else {
            continue;
        };
        count += 1;
        if opts.records {
            stamps.push(Stamp {
                id: w.id.clone(),
                offset: w.start,
                line: 0,
                previous: w.current.as_ref().map(|c| c.value.clone()),
                value: want.value.to_string(),
                sources: Vec::new(),
            });
        }
    }
    let edits = rendered_edits(text, doc, &values)?;
    // Per-source keys are edits of the whole stamped document.
    let keyed = wanted.iter().any(|w| w.is_some_and(|w| !w.keys.is_empty()));
    if !keyed && checked_in_place(text, doc, &values, &edits, opts) {
        // Only the edits are new text: the rest of the document stays a
        // range of the input (not copied).
        return Ok(Some(NewDoc {
            pieces: edits,
            stamps,
            count,
        }));
    }
    let mut own = String::with_capacity(doc.region.len() + 256);
    let moved = splice(&mut own, text, doc, &edits);
    let locals = local_ranges(doc, &values, &moved, opts.full_check);
    check(text, doc, &values, &own, &locals, opts)?;
    for (w, want) in doc.workloads.iter().zip(&wanted) {
        if let Some(want) = want.filter(|w| !w.keys.is_empty()) {
            own = super::keys::apply(own, w, want.keys, opts)?;
        }
    }
    Ok(Some(NewDoc {
        pieces: vec![(doc.region.clone(), own)],
        stamps,
        count,
    }))
}

/// An edit with its value: the original range it replaces, and its text.
type Rendered = (Range<usize>, String);

/// The edits of the workloads of `doc` that get a value, in text order,
/// each with its value written in.
fn rendered_edits(
    text: &str,
    doc: &DocPlan,
    values: &[Option<&str>],
) -> Result<Vec<Rendered>, Error> {
    let mut edits: Vec<(&Edit, &str)> = Vec::new();
    for (w, v) in doc.workloads.iter().zip(values) {
        if let Some(v) = v {
            edits.extend(w.edits.iter().map(|e| (e, *v)));
        }
    }
    edits.sort_by_key(|(e, _)| (e.start, e.end));
    let mut pos = doc.region.start;
    let mut out = Vec::with_capacity(edits.len());
    for (e, v) in &edits {
        if e.start < pos {
            return Err(Error::internal(e.start, "two edits overlap"));
        }
        let mut new = String::with_capacity(e.text.len() + v.len() + 2);
        push_with_value(&mut new, &e.text, v);
        out.push((e.start..e.end, new));
        pos = e.end;
    }
    if text.get(pos..doc.region.end).is_none() {
        return Err(Error::internal(
            doc.region.start,
            "an edit runs past its document",
        ));
    }
    Ok(out)
}

/// Whether every workload of `doc` that gets a value passes the check of
/// its lines ([`verify::check_local`]) on text made of the original and
/// the edits: when all the document's edits are inside those lines, that
/// is exactly the text the check gets in the whole new document (in
/// practice: a document with one workload to stamp). Otherwise (or when a
/// check fails) the caller makes the whole document and checks it as
/// before.
fn checked_in_place(
    text: &str,
    doc: &DocPlan,
    values: &[Option<&str>],
    edits: &[Rendered],
    opts: &Options,
) -> bool {
    if opts.full_check {
        return false;
    }
    let key = opts.key.as_str();
    doc.workloads.iter().zip(values).all(|(w, v)| {
        let (Some(v), Some(l)) = (v, &w.local) else {
            return v.is_none();
        };
        if !(doc.region.start <= l.start && l.end <= doc.region.end) {
            return false;
        }
        // Every edit of the document in these lines (as `local_ranges`
        // places them: an insertion at either end is inside), so each one
        // is parsed again here.
        let inside = |r: &Range<usize>| l.start <= r.start && r.end <= l.end;
        if !edits.iter().all(|(r, _)| inside(r)) {
            return false;
        }
        let mut part = String::with_capacity(l.end - l.start + 256);
        let mut pos = l.start;
        for (r, new) in edits {
            let Some(before) = text.get(pos..r.start) else {
                return false;
            };
            part.push_str(before);
            part.push_str(new);
            pos = r.end;
        }
        match (text.get(pos..l.end), text.get(l.end..doc.region.end)) {
            (Some(rest), Some(after)) => {
                part.push_str(rest);
                verify::check_local(&part, after, l, key, v)
            }
            _ => false,
        }
    })
}

/// The value each workload of `doc` gets under the run's key: `None` where
/// it has none, or already holds it as we would write it.
fn new_values<'v>(doc: &DocPlan, wanted: &[Option<Wanted<'v>>]) -> Vec<Option<&'v str>> {
    doc.workloads
        .iter()
        .zip(wanted)
        .map(|(w, want)| {
            want.map(|x| x.value).filter(|v| {
                !w.current
                    .as_ref()
                    .is_some_and(|c| c.canonical && c.value == *v)
            })
        })
        .collect()
}

/// An edit applied: its original start and end, and how much it grew.
type Moved = (usize, usize, isize);

/// Appends `doc`'s region of `text` to `out` with `edits` (in order,
/// checked by [`rendered_edits`]); returns how each edit moved the text.
fn splice(out: &mut String, text: &str, doc: &DocPlan, edits: &[Rendered]) -> Vec<Moved> {
    let mut pos = doc.region.start;
    let mut moved = Vec::with_capacity(edits.len());
    for (r, new) in edits {
        out.push_str(&text[pos..r.start]);
        out.push_str(new);
        moved.push((
            r.start,
            r.end,
            new.len() as isize - (r.end - r.start) as isize,
        ));
        pos = r.end;
    }
    out.push_str(&text[pos..doc.region.end]);
    moved
}

/// Where, in the document's new text, the lines of each workload's
/// block-style edit are (see [`verify::check_local`]); `None` where the
/// whole document must be parsed again.
fn local_ranges(
    doc: &DocPlan,
    values: &[Option<&str>],
    moved: &[Moved],
    full_check: bool,
) -> Vec<Option<Range<usize>>> {
    // An original offset of the document, placed in the output.
    let place = |p: usize, with_insertions_at_p: bool| {
        let grown: isize = moved
            .iter()
            .filter(|(s, e, _)| *e < p || (*e == p && (with_insertions_at_p || *s < p)))
            .map(|(_, _, d)| d)
            .sum();
        ((p - doc.region.start) as isize + grown) as usize
    };
    doc.workloads
        .iter()
        .zip(values)
        .map(|(w, v)| match (&w.local, v) {
            (Some(l), Some(_))
                if !full_check && doc.region.start <= l.start && l.end <= doc.region.end =>
            {
                Some(place(l.start, false)..place(l.end, true))
            }
            _ => None,
        })
        .collect()
}

/// Every value must read back where it was put, and nothing else may
/// change: block-style edits are checked on their own lines where that is
/// provably the same (verify::check_local), the rest by parsing the whole
/// document again and comparing its fingerprint.
fn check(
    text: &str,
    doc: &DocPlan,
    values: &[Option<&str>],
    out: &str,
    locals: &[Option<Range<usize>>],
    opts: &Options,
) -> Result<(), Error> {
    let key = opts.key.as_str();
    let all_local = doc
        .workloads
        .iter()
        .zip(values)
        .zip(locals)
        .all(|((w, v), l)| match (v, l, &w.local) {
            (None, _, _) => true,
            (Some(v), Some(r), Some(local)) => match (out.get(r.clone()), out.get(r.end..)) {
                (Some(part), Some(after)) => verify::check_local(part, after, local, key, v),
                _ => false,
            },
            _ => false,
        });
    if all_local {
        return Ok(());
    }
    let sites = doc.sites();
    let at = doc.workloads[0].start;
    let want: Vec<Want<'_>> = values
        .iter()
        .map(|v| v.map_or(Want::Keep, Want::Value))
        .collect();
    let expected = doc.fingerprint(text, opts)?;
    verify::check(out, opts.mode(), &sites, &want, key, (expected, at))
}

fn push_with_value(out: &mut String, template: &str, value: &str) {
    let mut parts = template.split(VALUE);
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for rest in parts {
        text::double_quote(value, out);
        out.push_str(rest);
    }
}
