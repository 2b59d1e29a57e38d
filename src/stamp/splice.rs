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
    let mut own = String::with_capacity(doc.region.len() + 256);
    if values.iter().any(Option::is_some) {
        let moved = splice(&mut own, text, doc, &values)?;
        let locals = local_ranges(doc, &values, &moved, opts.full_check);
        check(doc, &values, &own, &locals, opts)?;
    } else {
        own.push_str(&text[doc.region.clone()]);
    }
    for (w, want) in doc.workloads.iter().zip(&wanted) {
        if let Some(want) = want.filter(|w| !w.keys.is_empty()) {
            own = super::keys::apply(own, w, want.keys, opts)?;
        }
    }
    Ok(Some(NewDoc {
        text: own,
        stamps,
        count,
    }))
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

/// Appends `doc`'s region of `text` to `out` with the edits of the
/// workloads that get a value; returns how each edit moved the text.
fn splice(
    out: &mut String,
    text: &str,
    doc: &DocPlan,
    values: &[Option<&str>],
) -> Result<Vec<Moved>, Error> {
    let mut edits: Vec<(&Edit, &str)> = Vec::new();
    for (w, v) in doc.workloads.iter().zip(values) {
        if let Some(v) = v {
            edits.extend(w.edits.iter().map(|e| (e, *v)));
        }
    }
    edits.sort_by_key(|(e, _)| (e.start, e.end));
    let mut pos = doc.region.start;
    let mut moved = Vec::with_capacity(edits.len());
    for (e, v) in &edits {
        if e.start < pos {
            return Err(Error::internal(e.start, "two edits overlap"));
        }
        out.push_str(&text[pos..e.start]);
        let at = out.len();
        push_with_value(out, &e.text, v);
        moved.push((
            e.start,
            e.end,
            (out.len() - at) as isize - (e.end - e.start) as isize,
        ));
        pos = e.end;
    }
    let Some(rest) = text.get(pos..doc.region.end) else {
        return Err(Error::internal(
            doc.region.start,
            "an edit runs past its document",
        ));
    };
    out.push_str(rest);
    Ok(moved)
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
    verify::check(out, opts.mode(), &sites, &want, key, (doc.fingerprint, at))
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
