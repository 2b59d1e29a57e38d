//! One input planned: its documents parsed in batches spread over threads,
//! every selected workload planned, and in config-hash mode its ConfigMaps
//! and Secrets collected. Nothing is stamped here: rendering is the next
//! step ([`crate::stamp::render`]).

use std::ops::Range;
use std::sync::OnceLock;

use crate::confighash::{object_of, ConfigObject};
use crate::document::{
    batches, parse_all, parse_stream, parse_stream_planned, section_tails, Document, Kind, Mode,
    Node, Regions,
};
use crate::error::{Error, ErrorKind, Warning};
use crate::fingerprint::{fingerprint, Site};
use crate::options::Options;
use crate::parallel;
use crate::plan::{plan_document, Workload};
use crate::text::{check_line_breaks, decode_utf8};

/// A document that holds at least one selected workload.
#[derive(Debug)]
pub struct DocPlan {
    pub region: Range<usize>,
    pub workloads: Vec<Workload>,
    /// The fingerprint, when the first parse made it (see
    /// [`DocPlan::fingerprint`]).
    fingerprint: Option<u64>,
}

impl DocPlan {
    /// The original's fingerprint, stamps removed (see [`crate::verify`]).
    /// Only an edit that cannot be checked on its own lines needs it, so
    /// the first parse makes it only for a document in flow style (JSON,
    /// whose edits never can be); for any other, `text` (the text it was
    /// planned in) is parsed again under `opts` (the options it was
    /// planned with).
    pub fn fingerprint(&self, text: &str, opts: &Options) -> Result<u64, Error> {
        if let Some(fp) = self.fingerprint {
            return Ok(fp);
        }
        let at = self
            .workloads
            .first()
            .map_or(self.region.start, |w| w.start);
        let region = text
            .get(self.region.clone())
            .ok_or_else(|| Error::internal(at, "a document's region is not in its text"))?;
        let docs = parse_all(region, opts.mode()).map_err(|e| e.shifted(self.region.start))?;
        let [Document {
            root: Some(root), ..
        }] = docs.as_slice()
        else {
            return Err(Error::internal(
                at,
                "a document no longer parses as one document on its own",
            ));
        };
        Ok(fingerprint(root, self.sites().into_iter(), &opts.key))
    }

    /// Where each workload is, for the fingerprint of the edited document.
    pub fn sites(&self) -> Vec<Site<'_>> {
        self.workloads
            .iter()
            .map(|w| Site {
                items: &w.items,
                template: &w.template,
            })
            .collect()
    }
}

/// What planning one input found; every position is an offset into `text`.
#[derive(Debug)]
pub struct Analysis<'a> {
    pub bom: &'a str,
    pub text: &'a str,
    pub docs: Vec<DocPlan>,
    /// Things the user should know that do not stop the input.
    pub warnings: Vec<Warning>,
    /// ConfigMaps and Secrets (config-hash mode only).
    pub objects: Vec<ConfigObject>,
}

/// What one batch of regions gave.
#[derive(Default)]
struct Part {
    docs: Vec<DocPlan>,
    warnings: Vec<Warning>,
    objects: Vec<ConfigObject>,
}

/// Parses `bytes` and plans every selected workload, on up to `jobs`
/// threads. Documents that cannot hold a selected kind (a substring scan
/// says so) are not built into trees at all.
pub fn analyze<'a>(bytes: &'a [u8], opts: &Options, jobs: usize) -> Result<Analysis<'a>, Error> {
    analyze_then(bytes, opts, jobs, &|_, _| Ok(())).map(|(a, _)| a)
}

/// What [`analyze_then`] does with each batch's planned documents (the
/// whole text, and the batch's documents, positions in that text).
pub type Then<'f, T> = dyn Fn(&str, &[DocPlan]) -> Result<T, Error> + Sync + 'f;

/// [`analyze`], handing each batch's planned documents to `then` on the
/// thread that planned them, while their text is still in its cache: a run
/// that knows its value up front makes the changed documents there
/// (`crate::stamp::make`). The results come one per batch, in text order.
pub fn analyze_then<'a, T: Send>(
    bytes: &'a [u8],
    opts: &Options,
    jobs: usize,
    then: &Then<'_, T>,
) -> Result<(Analysis<'a>, Vec<T>), Error> {
    let (bom, text) = decode_utf8(bytes)?;
    // Spans of about BATCH bytes of whole documents go to a thread each, so
    // many tiny documents cost no more than a few big ones. Each thread
    // finds its span's regions and checks its line breaks itself: nothing
    // but the UTF-8 check scans the whole text before the work is shared.
    const BATCH: usize = 256 << 10;
    let spans = batches(text, BATCH);
    // Found once, when a batch first fails: tails may cross batches.
    let tails = OnceLock::new();
    let parts = parallel::map(&spans, jobs, |span| {
        check_line_breaks(&text[span.clone()]).ok()?;
        let base = span.start;
        let regions: Vec<Range<usize>> = Regions::new(text[span.clone()].as_bytes())
            .map(|r| r.start + base..r.end + base)
            .collect();
        let planned = analyze_regions(text, &regions, &tails, opts).and_then(|parts| {
            let made = parts
                .iter()
                .map(|p| then(text, &p.docs))
                .collect::<Result<Vec<T>, Error>>()?;
            Ok((parts, made))
        });
        Some(planned)
    });
    if parts.iter().any(Option::is_none) {
        // The whole text checked again, for the error the check of the
        // whole input gives (the first in the text, line counted from its
        // start, before any syntax error).
        check_line_breaks(text)?;
        return Err(Error::internal(
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
    };
    let mut made = Vec::new();
    for part in parts.into_iter().flatten() {
        let (planned, results) = part?;
        for mut p in planned {
            a.docs.append(&mut p.docs);
            a.warnings.append(&mut p.warnings);
            a.objects.append(&mut p.objects);
        }
        made.extend(results);
    }
    Ok((a, made))
}

/// [`analyze_span`] on consecutive `regions`, and where that fails for text
/// kubectl never reads (see [`section_tails`]), again on the text around it,
/// that text left as it is with a warning. The parts come in text order.
fn analyze_regions(
    text: &str,
    regions: &[Range<usize>],
    tails: &OnceLock<Vec<Range<usize>>>,
    opts: &Options,
) -> Result<Vec<Part>, Error> {
    let err = match analyze_span(text, regions, opts) {
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
    let failing = failing_tails(text, &span, tails);
    if failing.is_empty() {
        return Err(err);
    }
    // The text between tails, analysed again (nothing when it is empty).
    let around = |r: Range<usize>| -> Result<Vec<Part>, Error> {
        let clipped: Vec<Range<usize>> = regions
            .iter()
            .map(|g| g.start.max(r.start)..g.end.min(r.end))
            .filter(|g| g.start < g.end)
            .collect();
        if clipped.is_empty() {
            Ok(Vec::new())
        } else {
            analyze_regions(text, &clipped, tails, opts)
        }
    };
    let mut out = Vec::new();
    let mut from = span.start;
    for (tail, e) in failing {
        out.extend(around(from..tail.start)?);
        out.push(Part {
            warnings: vec![tail_warning(&tail, e)],
            ..Part::default()
        });
        from = tail.end;
    }
    out.extend(around(from..span.end)?);
    Ok(out)
}

/// The tails of `text` inside `span` that fail to parse alone, with their
/// errors. The error itself may be reported before its tail (a plain scalar
/// "continued" by a directive line) or after it (a quote left open runs
/// on), so every tail that fails alone is left out; an error in a first
/// document still comes back when the text around the tails is analysed.
fn failing_tails(
    text: &str,
    span: &Range<usize>,
    tails: &OnceLock<Vec<Range<usize>>>,
) -> Vec<(Range<usize>, Error)> {
    tails
        .get_or_init(|| section_tails(text))
        .iter()
        .map(|t| t.start.max(span.start)..t.end.min(span.end))
        .filter(|t| t.start < t.end)
        .filter_map(|t| {
            let e = parse_stream(&text[t.clone()], Mode::Validate, |_| Ok(())).err()?;
            Some((t.clone(), e.shifted(t.start)))
        })
        .collect()
}

/// The warning for a tail kubectl never parses, left as it is.
fn tail_warning(tail: &Range<usize>, e: Error) -> Warning {
    // An error at the tail's very end (a directive with no document after
    // it) is better shown where the tail starts.
    let at = e.offset().filter(|&at| at < tail.end).unwrap_or(tail.start);
    Warning::at(
        at,
        format!(
            "{}; kubectl reads only the first document between '---' lines and never parses this, so it is left as it is",
            e.msg
        ),
    )
}

/// Analyses consecutive `regions`: their workloads and their objects,
/// positions in `text`. Runs of ASCII regions and runs of the others are
/// parsed apart (one parser per run), so that only the few regions that
/// are not ASCII pay for converting the parser's character positions to
/// byte offsets through lines (see [`crate::text::Offsets`]); regions parse
/// alone as in the stream (see [`Regions`]).
fn analyze_span(text: &str, batch: &[Range<usize>], opts: &Options) -> Result<Part, Error> {
    let ascii: Vec<bool> = batch.iter().map(|r| text[r.clone()].is_ascii()).collect();
    let mut part = Part::default();
    let mut i = 0;
    while i < batch.len() {
        let n = ascii[i..].iter().take_while(|&&a| a == ascii[i]).count();
        let mut run = analyze_run(text, &batch[i..i + n], opts)?;
        part.docs.append(&mut run.docs);
        part.warnings.append(&mut run.warnings);
        part.objects.append(&mut run.objects);
        i += n;
    }
    Ok(part)
}

/// Analyses consecutive `regions` with one parser: their workloads and
/// their objects, positions in `text`.
fn analyze_run(text: &str, batch: &[Range<usize>], opts: &Options) -> Result<Part, Error> {
    // One parser per run; each document is built as far as its region
    // asks (a region no selected kind can be in: syntax only).
    let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
        return Ok(Part::default());
    };
    let base = first.start;
    let span = base..last.end;
    let wanted: Vec<bool> = batch
        .iter()
        .map(|r| opts.selector.may_match(&text[r.clone()]))
        .collect();
    if !wanted.contains(&true) {
        return parse_stream(&text[span], Mode::Validate, |_| Ok(()))
            .map(|()| Part::default())
            .map_err(|e| e.shifted(base));
    }
    let mode_at = |off: usize| {
        let i = batch
            .partition_point(|r| r.start <= base + off)
            .saturating_sub(1);
        if wanted[i] {
            // A document in flow style is checked whole after its edit:
            // its fingerprint is made now, from this tree, which must
            // then be hashed.
            (opts.mode(), starts_in_flow(&text[batch[i].clone()]))
        } else {
            (Mode::Validate, false)
        }
    };
    let mut part = analyze_batch(&text[span], &mode_at, opts).map_err(|e| e.shifted(base))?;
    for d in &mut part.docs {
        shift(d, base);
    }
    for o in &mut part.objects {
        o.pos += base;
    }
    for w in &mut part.warnings {
        w.shift(base);
    }
    Ok(part)
}

/// Analyses a run of regions; positions are relative to its start.
fn analyze_batch(
    text: &str,
    mode_at: &dyn Fn(usize) -> (Mode, bool),
    opts: &Options,
) -> Result<Part, Error> {
    let mut part = Part::default();
    parse_stream_planned(text, mode_at, |doc| {
        let workloads = plan_document(text, &doc, opts, &mut part.warnings)?;
        let Some(root) = &doc.root else { return Ok(()) };
        if opts.hashes() {
            collect_objects(root, &mut part.objects)?;
        }
        if !workloads.is_empty() {
            let mut plan = DocPlan {
                region: doc.region,
                workloads,
                fingerprint: None,
            };
            if doc.hashed {
                plan.fingerprint = Some(fingerprint(root, plan.sites().into_iter(), &opts.key));
            }
            part.docs.push(plan);
        }
        Ok(())
    })?;
    Ok(part)
}

/// Whether a document's region starts in flow style (`{` or `[` first, as
/// JSON does), after blank, comment, directive and `---` lines. Only a
/// guess about cost: a document guessed wrong is fingerprinted later.
fn starts_in_flow(region: &str) -> bool {
    for line in region.lines() {
        let t = line.trim_start();
        let t = t.strip_prefix("---").map_or(t, str::trim_start);
        if t.is_empty() || t.starts_with('#') || t.starts_with('%') {
            continue;
        }
        return t.starts_with(['{', '[']);
    }
    false
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
        if let Some(l) = &mut w.local {
            l.start += by;
            l.end += by;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint the first parse makes (documents in flow style) and
    /// the one made later by parsing the document again are the same, so
    /// the check compares like with like whichever way it was made.
    #[test]
    fn a_fingerprint_made_later_is_the_one_made_first() {
        let docs = [
            "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"template\": {\"metadata\": {\"labels\": {\"x\": \"y\"}}, \"spec\": {\"containers\": [{\"name\": \"c\", \"args\": [\"--a\", 1]}]}}}}\n",
            "# lead\n--- {apiVersion: apps/v1, kind: DaemonSet, metadata: {name: b}, spec: {template: {spec: {volumes: [{name: v, configMap: {name: cm}}]}}}}\n",
            "[1, 2]\n---\n{apiVersion: v1, kind: List, items: [{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: c}, spec: {template: {metadata: {annotations: {reloaded-at: \"1\"}}}}}]}\n",
        ];
        let mut compared = 0;
        for opts in [Options::new("2"), Options::config_hash()] {
            for text in docs {
                let a = analyze(text.as_bytes(), &opts, 1).unwrap();
                for d in &a.docs {
                    compared += 1;
                    let first = d.fingerprint.expect("made by the first parse");
                    assert!(starts_in_flow(&text[d.region.clone()]), "{text}");
                    let later = DocPlan {
                        region: d.region.clone(),
                        workloads: d.workloads.clone(),
                        fingerprint: None,
                    };
                    assert_eq!(later.fingerprint(text, &opts).unwrap(), first, "{text}");
                }
            }
        }
        assert!(compared >= 4, "{compared} documents planned");
    }

    #[test]
    fn flow_style_is_told_from_the_first_content_line() {
        for (region, flow) in [
            ("{\"a\": 1}", true),
            ("\n# c\n---\n[1]", true),
            ("--- {a: 1}\n", true),
            ("%YAML 1.2\n---\n{a: b}", true),
            ("a: {b: c}\n", false),
            ("---\nkind: Deployment\n", false),
            ("", false),
            ("---x: {a: 1}\n", false),
        ] {
            assert_eq!(starts_in_flow(region), flow, "{region:?}");
        }
    }
}
