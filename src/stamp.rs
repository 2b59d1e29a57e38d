//! One input, end to end: analyse it (find and plan every workload), then
//! render it with a value (apply the edits, check each edited document).

use std::ops::Range;

use crate::confighash::{object_of, ConfigObject};
use crate::document::{parse_stream, Kind, Node};
use crate::error::Error;
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

/// Parses `bytes` and plans every selected workload.
pub fn analyze<'a>(bytes: &'a [u8], opts: &Options) -> Result<Analysis<'a>, Error> {
    let (bom, text) = decode(bytes)?;
    let mut docs = Vec::new();
    let mut warnings = Vec::new();
    let mut objects = Vec::new();
    let wanted = |s: &str| opts.selector.may_match(s);
    parse_stream(text, &wanted, |doc| {
        let workloads = plan_document(
            text,
            &doc,
            &opts.selector,
            &opts.key,
            opts.config_hash,
            &mut warnings,
        )?;
        if let (true, Some(root)) = (opts.config_hash, &doc.root) {
            collect_objects(text, root, &mut objects)?;
        }
        if let (false, Some(root)) = (workloads.is_empty(), &doc.root) {
            let sites = workloads.iter().map(|w| Site {
                items: &w.items,
                kind: &w.kind,
            });
            let fingerprint = verify::fingerprint(root, sites, &opts.key);
            docs.push(DocPlan {
                region: doc.region,
                fingerprint,
                workloads,
            });
        }
        Ok(())
    })?;
    Ok(Analysis {
        bom,
        text,
        docs,
        warnings,
        objects,
    })
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
    key: &str,
    value_of: &dyn Fn(&Workload) -> Option<String>,
) -> Result<Rendered, Error> {
    let mut out = String::new();
    let mut copied = 0;
    let mut stamps = Vec::new();
    let mut lines = LineCounter::default();
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
        let mut edited = String::with_capacity(doc.region.len() + 256);
        let mut pos = doc.region.start;
        for (e, v) in &edits {
            edited.push_str(&a.text[pos..e.start]);
            push_with_value(&mut edited, &e.text, v);
            pos = e.end;
        }
        edited.push_str(&a.text[pos..doc.region.end]);

        // Every value must read back where it was put; everything else is
        // checked unchanged by the fingerprint. One parse per distinct value.
        let sites = doc.sites();
        let mut checked: Vec<&str> = Vec::new();
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v.as_deref() else { continue };
            if checked.contains(&v) {
                continue;
            }
            checked.push(v);
            let want: Vec<bool> = values.iter().map(|x| x.as_deref() == Some(v)).collect();
            verify::check(&edited, &sites, &want, key, v, doc.fingerprint).map_err(|why| {
                Error::at_byte(
                    a.text,
                    doc.workloads[i].start,
                    format!(
                        "internal error, nothing written: {why}; please report this with the input"
                    ),
                )
            })?;
        }
        if out.is_empty() {
            out.reserve(a.bom.len() + a.text.len() + 1024);
            out.push_str(a.bom);
        }
        out.push_str(&a.text[copied..doc.region.start]);
        out.push_str(&edited);
        copied = doc.region.end;
    }
    if stamps.is_empty() {
        return Ok(Rendered::default());
    }
    out.push_str(&a.text[copied..]);
    Ok(Rendered {
        output: Some(out),
        stamps,
    })
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
