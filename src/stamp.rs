//! One input, end to end: analyse it (find and plan every workload), then
//! render it with a value (apply the edits, check each edited document).

use std::ops::Range;

use crate::confighash::{object_of, ConfigObject};
use crate::document::{parse_stream, split_regions, Kind, Mode, Node};
use crate::error::Error;
use crate::parallel;
use crate::plan::{plan_document, Workload, VALUE};
use crate::select::Selector;
use crate::text::{self, decode};
use crate::verify::{self, Site};

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
}

/// Settings that do not change between inputs.
#[derive(Debug, Clone)]
pub struct Options {
    pub selector: Selector,
    pub key: String,
    /// Collect references and ConfigMaps/Secrets for config-hash mode.
    pub config_hash: bool,
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

/// What one region of the text gave.
#[derive(Default)]
struct Part {
    docs: Vec<DocPlan>,
    warnings: Vec<Error>,
    objects: Vec<ConfigObject>,
}

/// Parses `bytes` and plans every selected workload, on up to `jobs`
/// threads. Documents that cannot hold a selected kind (a substring scan
/// says so) are not parsed at all.
pub fn analyze<'a>(bytes: &'a [u8], opts: &Options, jobs: usize) -> Result<Analysis<'a>, Error> {
    let (bom, text) = decode(bytes)?;
    let regions = split_regions(text);
    let parts = parallel::map(&regions, jobs, |r| {
        let region = &text[r.clone()];
        let part = if opts.selector.may_match(region) {
            analyze_region(region, opts)
        } else {
            // Cannot hold a selected kind: only checked for syntax.
            parse_stream(region, Mode::Validate, |_| Ok(())).map(|()| Part::default())
        };
        part.map_err(|e| relocate(e, text, r.start))
    });
    let mut a = Analysis {
        bom,
        text,
        docs: Vec::new(),
        warnings: Vec::new(),
        objects: Vec::new(),
    };
    for (part, r) in parts.into_iter().zip(&regions) {
        let mut part = part?;
        for d in &mut part.docs {
            shift(d, r.start);
        }
        a.docs.append(&mut part.docs);
        a.warnings.extend(
            part.warnings
                .into_iter()
                .map(|w| relocate(w, text, r.start)),
        );
        a.objects.append(&mut part.objects);
    }
    Ok(a)
}

/// Analyses one region; positions are relative to it.
fn analyze_region(text: &str, opts: &Options) -> Result<Part, Error> {
    let mut part = Part::default();
    parse_stream(text, opts.mode(), |doc| {
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
            collect_objects(text, root, &mut part.objects)?;
        }
        if !workloads.is_empty() {
            let sites = workloads.iter().map(|w| Site {
                items: &w.items,
                kind: &w.kind,
            });
            let fingerprint = verify::fingerprint(root, sites, &opts.key);
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

/// An error located in a region, located in the whole text. Regions start
/// at line starts, so only the line moves.
fn relocate(mut e: Error, text: &str, region_start: usize) -> Error {
    if e.line > 0 {
        e.line += memchr::memchr_iter(b'\n', &text.as_bytes()[..region_start]).count();
    }
    e
}

/// Adds the ConfigMaps and Secrets of a document (and of its `*List` items).
fn collect_objects(text: &str, node: &Node<'_>, out: &mut Vec<ConfigObject>) -> Result<(), Error> {
    if node.get_str("kind").is_some_and(|k| k.ends_with("List")) {
        if let Some((
            _,
            Node {
                kind: Kind::Seq(items, _),
                ..
            },
        )) = node.get("items")
        {
            for item in items {
                collect_objects(text, item, out)?;
            }
        }
    } else if let Some(o) = object_of(text, node)? {
        out.push(o);
    }
    Ok(())
}

/// One stamped workload, for the summary and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// 1-based line of the workload in the input.
    pub line: usize,
    pub previous: Option<String>,
    pub value: String,
}

/// The result of rendering one input.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The new bytes, or `None` when nothing changed.
    pub output: Option<String>,
    pub stamps: Vec<Stamp>,
}

/// Applies the plan with the value `value_of` gives each workload (`None`:
/// leave it alone), checking every edited document.
pub fn render(
    a: &Analysis<'_>,
    opts: &Options,
    value_of: &dyn Fn(&Workload) -> Option<String>,
    jobs: usize,
) -> Result<Rendered, Error> {
    let key = opts.key.as_str();
    let mut stamps = Vec::new();
    let mut lines = LineCounter::default();
    // The output is built as it goes; each changed document is then checked
    // in place, as a slice of it, so no document is copied twice.
    let mut out = String::new();
    let mut copied = 0;
    let mut changed: Vec<Changed<'_>> = Vec::new();
    for doc in &a.docs {
        let values: Vec<Option<String>> = doc
            .workloads
            .iter()
            .map(|w| {
                value_of(w).filter(|v| {
                    !w.current
                        .as_ref()
                        .is_some_and(|c| c.canonical && &c.value == v)
                })
            })
            .collect();
        if values.iter().all(Option::is_none) {
            continue;
        }
        let mut edits: Vec<(&crate::plan::Edit, &str)> = Vec::new();
        for (w, v) in doc.workloads.iter().zip(&values) {
            if let Some(v) = v {
                edits.extend(w.edits.iter().map(|e| (e, v.as_str())));
                stamps.push(Stamp {
                    kind: w.kind.clone(),
                    name: w.name.clone(),
                    namespace: w.namespace.clone(),
                    line: lines.line_of(a.text, w.start),
                    previous: w.current.as_ref().map(|c| c.value.clone()),
                    value: v.clone(),
                });
            }
        }
        edits.sort_by_key(|(e, _)| (e.start, e.end));
        if out.is_empty() {
            out.reserve(a.bom.len() + a.text.len() + a.text.len() / 16);
            out.push_str(a.bom);
        }
        out.push_str(&a.text[copied..doc.region.start]);
        let from = out.len();
        let mut pos = doc.region.start;
        for (e, v) in &edits {
            out.push_str(&a.text[pos..e.start]);
            push_with_value(&mut out, &e.text, v);
            pos = e.end;
        }
        out.push_str(&a.text[pos..doc.region.end]);
        copied = doc.region.end;
        changed.push((doc, values, from..out.len()));
    }
    if changed.is_empty() {
        return Ok(Rendered::default());
    }
    out.push_str(&a.text[copied..]);

    // Every value must read back where it was put; everything else is
    // checked unchanged by the fingerprint.
    let checks = parallel::map(&changed, jobs, |(doc, values, range)| {
        let sites = doc.sites();
        let want: Vec<Option<&str>> = values.iter().map(Option::as_deref).collect();
        verify::check(
            &out[range.clone()],
            opts.mode(),
            &sites,
            &want,
            key,
            doc.fingerprint,
        )
        .map_err(|why| {
            Error::at_byte(
                a.text,
                doc.workloads[0].start,
                format!(
                    "internal error, nothing written: {why}; please report this with the input"
                ),
            )
        })
    });
    checks.into_iter().collect::<Result<Vec<()>, Error>>()?;
    Ok(Rendered {
        output: Some(out),
        stamps,
    })
}

/// A changed document: its plan, each workload's new value (`None`: left
/// alone), and where its edited text is in the output.
type Changed<'p> = (&'p DocPlan, Vec<Option<String>>, Range<usize>);

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
