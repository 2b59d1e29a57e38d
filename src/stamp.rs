//! One input, end to end: analyse it (find and plan every workload), then
//! render it with a value (apply the edits, check each edited document).

use std::ops::Range;

use crate::confighash::{object_of, ConfigObject};
use crate::document::{
    batches, parse_stream, parse_stream_with, section_tails, Kind, Mode, Node, Regions,
};
use crate::error::{Error, ErrorKind};
use crate::fingerprint::{fingerprint, Site};
use crate::parallel;
use crate::plan::{plan_document, Workload, VALUE};
use crate::select::Selector;
use crate::text::{self, check_line_breaks, decode_utf8};
use crate::verify;

/// A document that holds at least one selected workload.
#[derive(Debug)]
pub struct DocPlan {
    pub region: Range<usize>,
    /// The original's fingerprint, stamps removed (see [`verify`]).
    pub fingerprint: u64,
    pub workloads: Vec<Workload>,
}

impl DocPlan {
    fn sites(&self) -> Vec<Site<'_>> {
        self.workloads
            .iter()
            .map(|w| Site {
                items: &w.items,
                kind: &w.kind,
            })
            .collect()
    }
}

/// What analysing one input found.
#[derive(Debug)]
pub struct Analysis<'a> {
    pub bom: &'a str,
    pub text: &'a str,
    pub docs: Vec<DocPlan>,
    /// Things the user should know that do not stop the input.
    pub warnings: Vec<Error>,
    /// ConfigMaps and Secrets (config-hash mode only).
    pub objects: Vec<ConfigObject>,
    /// The result, when the value was known at analysis.
    pub rendered: Option<Rendered>,
}

/// Settings that do not change between inputs.
#[derive(Debug, Clone)]
pub struct Options {
    pub selector: Selector,
    pub key: String,
    /// Collect references and ConfigMaps/Secrets for config-hash mode.
    pub config_hash: bool,
    /// Keep a [`Stamp`] record per stamped workload (for `--list` and
    /// `--report`); otherwise only count them.
    pub records: bool,
    /// Check every edited document by parsing it whole again, even where
    /// checking the edited lines alone is provably the same (for tests).
    pub full_check: bool,
}

impl Options {
    /// How much of a candidate document to build: config-hash mode reads
    /// pod specs and ConfigMap data, the time stamp only the spine.
    pub fn mode(&self) -> Mode {
        if self.config_hash {
            Mode::Full
        } else {
            Mode::Spine
        }
    }
}

/// What one batch of regions gave.
#[derive(Default)]
struct Part {
    docs: Vec<DocPlan>,
    warnings: Vec<Error>,
    objects: Vec<ConfigObject>,
    /// With a value known up front: the batch already stamped.
    rendered: Option<Rendered>,
}

/// Parses `bytes` and plans every selected workload, on up to `jobs`
/// threads. Documents that cannot hold a selected kind (a substring scan
/// says so) are not parsed at all.
///
/// With `value` (one value for every workload, known up front), each batch
/// is also stamped and checked right away by the thread that analysed it,
/// and no plan is kept: [`Analysis::rendered`] holds the result.
pub fn analyze<'a>(
    bytes: &'a [u8],
    opts: &Options,
    value: Option<&str>,
    jobs: usize,
) -> Result<Analysis<'a>, Error> {
    let (bom, text) = decode_utf8(bytes)?;
    // Spans of about BATCH bytes of whole documents go to a thread each, so
    // many tiny documents cost no more than a few big ones. Each thread
    // finds its span's regions and checks its line breaks itself: nothing
    // but the UTF-8 check scans the whole text before the work is shared.
    const BATCH: usize = 256 << 10;
    let spans = batches(text, BATCH);
    // Found once, when a batch first fails: tails may cross batches.
    let tails = std::sync::OnceLock::new();
    let parts = parallel::map(&spans, jobs, |span| {
        check_line_breaks(&text[span.clone()]).ok()?;
        let base = span.start;
        let regions: Vec<Range<usize>> = Regions::new(text[span.clone()].as_bytes())
            .map(|r| r.start + base..r.end + base)
            .collect();
        Some(analyze_regions(text, &regions, &tails, opts, value))
    });
    if parts.iter().any(Option::is_none) {
        // The whole text checked again, for the error the check of the
        // whole input gives (the first in the text, line counted from its
        // start, before any syntax error).
        check_line_breaks(text)?;
        return Err(internal(
            0,
            "a line break refused in part of the input but not in all of it",
        ));
    }
    let mut a = Analysis {
        bom,
        text,
        docs: Vec::new(),
        warnings: Vec::new(),
        objects: Vec::new(),
        rendered: None,
    };
    let mut parts: Vec<(Part, Range<usize>)> = parts
        .into_iter()
        .flatten()
        .collect::<Result<Vec<_>, Error>>()?
        .into_iter()
        .flatten()
        .collect();
    for (part, _) in &mut parts {
        a.docs.append(&mut part.docs);
        a.warnings.append(&mut part.warnings);
        a.objects.append(&mut part.objects);
    }
    if value.is_some() {
        a.rendered = Some(join(&a, parts));
    }
    Ok(a)
}

/// [`analyze_span`] on consecutive `regions`, and where that fails for text
/// kubectl never reads (see [`section_tails`]), again on the text around it,
/// that text left as it is with a warning. The parts come in text order.
fn analyze_regions(
    text: &str,
    regions: &[Range<usize>],
    tails: &std::sync::OnceLock<Vec<Range<usize>>>,
    opts: &Options,
    value: Option<&str>,
) -> Result<Vec<(Part, Range<usize>)>, Error> {
    let err = match analyze_span(text, regions, opts, value) {
        Ok(part) => return Ok(vec![part]),
        Err(e) => e,
    };
    let (Some(first), Some(last)) = (regions.first(), regions.last()) else {
        return Err(err);
    };
    if err.kind != ErrorKind::Syntax {
        return Err(err);
    }
    let span = first.start..last.end;
    // Every tail that fails alone is left out; the error itself may be
    // reported before its tail (a plain scalar "continued" by a directive
    // line) or after it (a quote left open runs on). An error in a first
    // document still comes back when the text around the tails is analysed.
    let failing: Vec<(Range<usize>, Error)> = tails
        .get_or_init(|| section_tails(text))
        .iter()
        .map(|t| t.start.max(span.start)..t.end.min(span.end))
        .filter(|t| t.start < t.end)
        .filter_map(|t| {
            let e = parse_stream(&text[t.clone()], Mode::Validate, |_| Ok(())).err()?;
            Some((t.clone(), e.shifted(t.start)))
        })
        .collect();
    if failing.is_empty() {
        return Err(err);
    }
    // The text between tails, analysed again (nothing when it is empty).
    let around = |r: Range<usize>| -> Result<Vec<(Part, Range<usize>)>, Error> {
        let clipped: Vec<Range<usize>> = regions
            .iter()
            .map(|g| g.start.max(r.start)..g.end.min(r.end))
            .filter(|g| g.start < g.end)
            .collect();
        if clipped.is_empty() {
            Ok(Vec::new())
        } else {
            analyze_regions(text, &clipped, tails, opts, value)
        }
    };
    let mut out = Vec::new();
    let mut from = span.start;
    for (tail, e) in failing {
        out.extend(around(from..tail.start)?);
        let warning = Error::at(
            ErrorKind::Syntax,
            // An error at the tail's very end (a directive with no
            // document after it) is better shown where the tail starts.
            e.offset().filter(|&at| at < tail.end).unwrap_or(tail.start),
            format!(
                "{}; kubectl reads only the first document between '---' lines and never parses this, so it is left as it is",
                e.msg
            ),
        );
        let part = Part {
            warnings: vec![warning],
            ..Part::default()
        };
        from = tail.end;
        out.push((part, tail));
    }
    out.extend(around(from..span.end)?);
    Ok(out)
}

/// Analyses consecutive `regions` with one parser: their workloads, their
/// objects, and with `value` their stamped text; positions in `text`.
fn analyze_span(
    text: &str,
    batch: &[Range<usize>],
    opts: &Options,
    value: Option<&str>,
) -> Result<(Part, Range<usize>), Error> {
    // One parser per batch; each document is built as far as its region
    // asks (a region no selected kind can be in: syntax only).
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok((Part::default(), 0..0));
    };
    let base = first.start;
    let span = base..last.end;
    let wanted: Vec<bool> = batch
        .iter()
        .map(|r| opts.selector.may_match(&text[r.clone()]))
        .collect();
    if !wanted.contains(&true) {
        return parse_stream(&text[span.clone()], Mode::Validate, |_| Ok(()))
            .map(|()| (Part::default(), span))
            .map_err(|e| e.shifted(base));
    }
    let mode_at = |off: usize| {
        let i = batch
            .partition_point(|r| r.start <= base + off)
            .saturating_sub(1);
        if wanted[i] {
            opts.mode()
        } else {
            Mode::Validate
        }
    };
    let mut part =
        analyze_batch(&text[span.clone()], &mode_at, opts).map_err(|e| e.shifted(base))?;
    if let Some(v) = value {
        let local = Analysis {
            bom: "",
            text: &text[span.clone()],
            docs: std::mem::take(&mut part.docs),
            warnings: Vec::new(),
            objects: Vec::new(),
            rendered: None,
        };
        let r = render(&local, opts, &|_| Some(v), 1).map_err(|e| e.shifted(base))?;
        part.rendered = Some(r);
    }
    for d in &mut part.docs {
        shift(d, base);
    }
    for o in &mut part.objects {
        o.pos += base;
    }
    part.warnings = part.warnings.into_iter().map(|w| w.shifted(base)).collect();
    Ok((part, span))
}

/// Puts stamped batches together: the output's pieces in text order, and
/// the stamps with their lines counted from the start of the text.
fn join(a: &Analysis<'_>, parts: Vec<(Part, Range<usize>)>) -> Rendered {
    let mut joined = Rendered::default();
    if parts
        .iter()
        .all(|(p, _)| p.rendered.as_ref().is_none_or(|r| r.output.is_none()))
    {
        return joined;
    }
    let mut out = Output::default();
    let mut lines = LineCounter::default();
    for (part, span) in parts {
        let (own, count, stamps) = match part.rendered {
            Some(r) => (r.output, r.count, r.stamps),
            None => (None, 0, Vec::new()),
        };
        let before = lines.line_of(a.text, span.start) - 1;
        match own {
            Some(o) => out.append_shifted(o, span.start),
            None => out.same(span),
        }
        joined.count += count;
        joined.stamps.extend(stamps.into_iter().map(|mut s| {
            s.line += before;
            s
        }));
    }
    joined.output = Some(out);
    joined
}

/// Analyses a run of regions; positions are relative to its start.
fn analyze_batch(
    text: &str,
    mode_at: &dyn Fn(usize) -> Mode,
    opts: &Options,
) -> Result<Part, Error> {
    let mut part = Part::default();
    parse_stream_with(text, mode_at, |doc| {
        let workloads = plan_document(
            text,
            &doc,
            &opts.selector,
            &opts.key,
            opts.config_hash,
            &mut part.warnings,
        )?;
        let Some(root) = &doc.root else { return Ok(()) };
        if opts.config_hash {
            collect_objects(root, &mut part.objects)?;
        }
        if !workloads.is_empty() {
            let sites = workloads.iter().map(|w| Site {
                items: &w.items,
                kind: &w.kind,
            });
            let fingerprint = fingerprint(root, sites, &opts.key);
            part.docs.push(DocPlan {
                region: doc.region,
                fingerprint,
                workloads,
            });
        }
        Ok(())
    })?;
    Ok(part)
}

/// Moves a plan made on a region to the region's place in the text.
fn shift(d: &mut DocPlan, by: usize) {
    d.region = d.region.start + by..d.region.end + by;
    for w in &mut d.workloads {
        w.start += by;
        for e in &mut w.edits {
            e.start += by;
            e.end += by;
        }
        for r in &mut w.refs {
            r.pos += by;
        }
    }
}

/// Adds the ConfigMaps and Secrets of a document, or of its items when it
/// has `items` (a list to kubectl, whatever its kind, as in the plan).
fn collect_objects(node: &Node<'_>, out: &mut Vec<ConfigObject>) -> Result<(), Error> {
    if let Some((_, list)) = node.get("items") {
        if let Kind::Seq(items, _) = &list.kind {
            for item in items {
                collect_objects(item, out)?;
            }
        }
    } else if let Some(o) = object_of(node)? {
        out.push(o);
    }
    Ok(())
}

/// Where the value of one whole input comes from, for [`stamp_bytes`].
#[derive(Clone, Copy)]
pub enum ValueSource<'k> {
    /// One value for every workload.
    Fixed(&'k str),
    /// Each workload's config hash, from this input's own ConfigMaps and
    /// Secrets (keyed when a key is given).
    ConfigHash(Option<&'k crate::confighash::Keyed>),
}

/// How each workload's value is found when an input is finished.
#[derive(Clone, Copy)]
pub enum Values<'v, 'o> {
    /// One value for every workload.
    Fixed(&'v str),
    /// Each workload's config hash, from the run's ConfigMaps and Secrets.
    Hashes(&'v crate::confighash::Index<'o>),
}

/// One input, stamped.
#[derive(Debug)]
pub struct Finished<'a> {
    pub bom: &'a str,
    pub text: &'a str,
    pub rendered: Rendered,
    /// Things the user should know that did not stop the input.
    pub warnings: Vec<Error>,
}

/// Makes the output of an analysed input: the result its analysis already
/// rendered (a value known up front), or rendered now with `values`. The
/// one way an input becomes output.
pub fn finish<'a>(
    mut a: Analysis<'a>,
    opts: &Options,
    values: Values<'_, '_>,
    jobs: usize,
) -> Result<Finished<'a>, Error> {
    let mut warnings = std::mem::take(&mut a.warnings);
    let rendered = match (a.rendered.take(), values) {
        (Some(r), _) => r,
        (None, Values::Fixed(v)) => render(&a, opts, &|_| Some(v), jobs)?,
        (None, Values::Hashes(index)) => {
            let mut hashes = std::collections::HashMap::new();
            for w in a.docs.iter().flat_map(|d| &d.workloads) {
                if let Some(v) = workload_hash(w, index, &mut warnings)? {
                    hashes.insert(w.start, v);
                }
            }
            render(
                &a,
                opts,
                &|w| hashes.get(&w.start).map(String::as_str),
                jobs,
            )?
        }
    };
    Ok(Finished {
        bom: a.bom,
        text: a.text,
        rendered,
        warnings,
    })
}

impl Finished<'_> {
    /// The new text as pieces in order, the byte-order mark first; `None`
    /// when nothing changed.
    pub fn output_parts(&self) -> Option<Vec<&str>> {
        let out = self.rendered.output.as_ref()?;
        let bom = (!self.bom.is_empty()).then_some(self.bom);
        Some(bom.into_iter().chain(out.parts(self.text)).collect())
    }

    /// The new text in one string (a copy); `None` when nothing changed.
    pub fn output_string(&self) -> Option<String> {
        self.output_parts().map(|p| p.concat())
    }
}

/// Analyses and renders one whole input on its own: what the command line
/// does for one file, and what the library, a KRM function or a plugin do
/// with the text they are given.
pub fn stamp_bytes<'a>(
    bytes: &'a [u8],
    opts: &Options,
    value: ValueSource<'_>,
    jobs: usize,
) -> Result<Finished<'a>, Error> {
    match value {
        ValueSource::Fixed(v) => {
            let a = analyze(bytes, opts, Some(v), jobs)?;
            finish(a, opts, Values::Fixed(v), jobs)
        }
        ValueSource::ConfigHash(key) => {
            let mut a = analyze(bytes, opts, None, jobs)?;
            let objects = std::mem::take(&mut a.objects);
            let mut index = crate::confighash::Index::default();
            index.key = key.cloned();
            for o in &objects {
                index.add(o, "<input>", a.text);
            }
            finish(a, opts, Values::Hashes(&index), jobs)
        }
    }
}

/// The config hash of workload `w`, or `None` when none of its references
/// is among the inputs. A missing reference that is not optional warns; a
/// reference with two different definitions is an error.
pub fn workload_hash(
    w: &Workload,
    index: &crate::confighash::Index<'_>,
    warnings: &mut Vec<Error>,
) -> Result<Option<String>, Error> {
    let mut found: Vec<crate::confighash::Used<'_>> = Vec::new();
    for r in &w.refs {
        let got = index
            .get(r, w.namespace.as_deref())
            .map_err(|msg| Error::at(ErrorKind::Refused, r.pos, msg))?;
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
            None => warnings.push(Error::at(
                ErrorKind::Refused,
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
    Ok((!found.is_empty()).then(|| crate::confighash::digest(&found, index.key.as_ref())))
}

/// One stamped workload, for the summary and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The workload's kind.
    pub kind: String,
    /// Its `metadata.name`.
    pub name: Option<String>,
    /// Its `metadata.namespace`, as written (none when absent).
    pub namespace: Option<String>,
    /// 1-based line of the workload in the input.
    pub line: usize,
    /// The stamp's value before, if it had one.
    pub previous: Option<String>,
    /// The value stamped.
    pub value: String,
}

/// The new text of an input, in order: ranges of the input's text that did
/// not change (never copied) and each edited document's own new text. The
/// byte-order mark is not in it ([`Finished`] has it). A stream piped
/// through is written from these pieces, so a big input is not copied to
/// be stamped, and memory stays near the input's size.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pieces: Vec<Piece>,
}

/// One part of an [`Output`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text of the input, unchanged.
    Same(Range<usize>),
    /// An edited document.
    New(String),
}

impl Output {
    /// Adds the input's text `r`, unchanged.
    fn same(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        if let Some(Piece::Same(last)) = self.pieces.last_mut() {
            if last.end == r.start {
                last.end = r.end;
                return;
            }
        }
        self.pieces.push(Piece::Same(r));
    }

    /// The pieces, as text, with `text` the input they were made from.
    pub fn parts<'t>(&'t self, text: &'t str) -> impl Iterator<Item = &'t str> + 't {
        self.pieces.iter().map(move |p| match p {
            Piece::Same(r) => &text[r.clone()],
            Piece::New(s) => s.as_str(),
        })
    }

    /// Appends `other`, made from the input's text at `base`, to this one.
    fn append_shifted(&mut self, other: Output, base: usize) {
        for p in other.pieces {
            match p {
                Piece::Same(r) => self.same(r.start + base..r.end + base),
                Piece::New(s) => self.pieces.push(Piece::New(s)),
            }
        }
    }
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

/// A planned edit that is wrong, caught before anything is written: a bug
/// in reload-stamp, not in the input.
fn internal(at: usize, why: &str) -> Error {
    Error::at(
        ErrorKind::Internal,
        at,
        format!("internal error, nothing written: {why}; please report this with the input"),
    )
}

/// Applies the plan with the value `value_of` gives each workload (`None`:
/// leave it alone), checking every edited document.
pub fn render<'v>(
    a: &Analysis<'_>,
    opts: &Options,
    value_of: &dyn Fn(&Workload) -> Option<&'v str>,
    jobs: usize,
) -> Result<Rendered, Error> {
    let mut stamps = Vec::new();
    let mut count = 0;
    let mut lines = LineCounter::default();
    // Each changed document gets its own new text, checked on its own; the
    // text between changed documents is never copied.
    let mut copied = 0;
    let mut changed: Vec<Changed<'_, 'v>> = Vec::new();
    for doc in &a.docs {
        let values = new_values(doc, value_of);
        if values.iter().all(Option::is_none) {
            continue;
        }
        for (w, v) in doc.workloads.iter().zip(&values) {
            let Some(v) = v else { continue };
            count += 1;
            if opts.records {
                stamps.push(Stamp {
                    kind: w.kind.clone(),
                    name: w.name.clone(),
                    namespace: w.namespace.clone(),
                    line: lines.line_of(a.text, w.start),
                    previous: w.current.as_ref().map(|c| c.value.clone()),
                    value: v.to_string(),
                });
            }
        }
        if copied > doc.region.start {
            return Err(internal(doc.region.start, "documents overlap"));
        }
        let mut own = String::with_capacity(doc.region.len() + 256);
        let moved = splice(&mut own, a.text, doc, &values)?;
        let locals = local_ranges(doc, &values, &moved, opts.full_check);
        changed.push((doc, values, own, locals, copied..doc.region.start));
        copied = doc.region.end;
    }
    if changed.is_empty() {
        return Ok(Rendered::default());
    }
    check_all(&changed, opts, jobs)?;
    let mut out = Output::default();
    for (_, _, own, _, before) in changed {
        out.same(before);
        out.pieces.push(Piece::New(own));
    }
    out.same(copied..a.text.len());
    Ok(Rendered {
        output: Some(out),
        stamps,
        count,
    })
}

/// The value each workload of `doc` gets: `None` where it has none, or
/// already holds it as we would write it.
fn new_values<'v>(
    doc: &DocPlan,
    value_of: &dyn Fn(&Workload) -> Option<&'v str>,
) -> Vec<Option<&'v str>> {
    doc.workloads
        .iter()
        .map(|w| {
            value_of(w).filter(|v| {
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
    let mut edits: Vec<(&crate::plan::Edit, &str)> = Vec::new();
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
            return Err(internal(e.start, "two edits overlap"));
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
        return Err(internal(doc.region.start, "an edit runs past its document"));
    };
    out.push_str(rest);
    Ok(moved)
}

/// Where, in the document's new text, the lines of each workload's
/// block-style edit are
/// (see [`verify::check_local`]); `None` where the whole document must be
/// parsed again.
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
fn check_all(changed: &[Changed<'_, '_>], opts: &Options, jobs: usize) -> Result<(), Error> {
    let key = opts.key.as_str();
    let checks = parallel::map(changed, jobs, |(doc, values, out, locals, _)| {
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
        verify::check(out, opts.mode(), &sites, values, key, doc.fingerprint)
            .map_err(|why| internal(doc.workloads[0].start, &why))
    });
    checks.into_iter().collect::<Result<Vec<()>, Error>>()?;
    Ok(())
}

/// A changed document: its plan, each workload's new value (`None`: left
/// alone), its new text, where each workload's [`crate::plan::Local`] lines
/// are in it, and the input's unchanged text before it.
type Changed<'p, 'v> = (
    &'p DocPlan,
    Vec<Option<&'v str>>,
    String,
    Vec<Option<Range<usize>>>,
    Range<usize>,
);

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

/// Counts lines forward through a text, for offsets that mostly increase.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, text: &str, pos: usize) -> usize {
        if pos < self.pos {
            *self = LineCounter::default();
        }
        self.line += memchr::memchr_iter(b'\n', &text.as_bytes()[self.pos..pos]).count();
        self.pos = pos;
        self.line + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: []\n";
    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";

    fn options() -> Options {
        Options {
            selector: Selector::default(),
            key: "reloaded-at".to_string(),
            config_hash: false,
            records: false,
            full_check: false,
        }
    }

    #[test]
    fn only_edited_documents_are_new_text() {
        // Many batches' worth of text, one workload in the middle: the
        // output keeps everything else as ranges of the input, on any
        // number of threads.
        let filler = format!("{CM}---\n").repeat(8000);
        let text = format!("{filler}{WEB}---\n{filler}");
        for jobs in [1, 2] {
            let f =
                stamp_bytes(text.as_bytes(), &options(), ValueSource::Fixed("1"), jobs).unwrap();
            let out = f.rendered.output.as_ref().unwrap();
            let new: Vec<&str> = out
                .pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::New(s) => Some(s.as_str()),
                    Piece::Same(_) => None,
                })
                .collect();
            assert_eq!(new.len(), 1);
            // A document's region starts where the one before it ended.
            let doc = new[0].trim_start_matches("---\n");
            assert!(doc.starts_with("apiVersion: apps/v1") && doc.contains("reloaded-at: \"1\""));
            assert!(new[0].len() < WEB.len() + 64, "{}", new[0]);
            let same = out
                .pieces
                .iter()
                .filter(|p| matches!(p, Piece::Same(_)))
                .count();
            assert_eq!(same, 2, "adjacent unchanged ranges are one piece");
            let whole = f.output_string().unwrap();
            assert_eq!(
                whole.replace("      annotations:\n        reloaded-at: \"1\"\n", ""),
                text
            );
        }
    }

    #[test]
    fn a_refused_line_break_in_a_later_batch_is_the_error_of_the_whole() {
        // A syntax error in the first batch and a lone CR far later: the
        // line-break check of the whole input speaks first, as it did when
        // the whole text was checked before any parse.
        let filler = format!("{CM}---\n").repeat(8000);
        let lines = filler.matches('\n').count();
        for jobs in [1, 2] {
            let text = format!("a: [\n---\n{filler}{WEB}x: \"a\rb\"\n");
            let e = stamp_bytes(text.as_bytes(), &options(), ValueSource::Fixed("1"), jobs)
                .unwrap_err();
            assert!(e.msg.contains("carriage return"), "{}", e.msg);
            let want = 2 + lines + WEB.matches('\n').count() + 1;
            assert_eq!(e.line_col(&text).map(|(l, _)| l), Some(want));
        }
    }

    #[test]
    fn the_byte_order_mark_leads_the_output() {
        let text = format!("{BOM}{WEB}", BOM = crate::text::BOM);
        let f = stamp_bytes(text.as_bytes(), &options(), ValueSource::Fixed("1"), 1).unwrap();
        let parts = f.output_parts().unwrap();
        assert_eq!(parts[0], crate::text::BOM);
        assert!(!parts[1..].concat().contains(crate::text::BOM));
    }
}
