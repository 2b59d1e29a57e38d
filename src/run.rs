//! The one run every entry point goes through: named inputs in, each
//! input's outcome out. Inputs are planned (spread over threads), the
//! config-hash index is made of all their ConfigMaps and Secrets, and each
//! input is then stamped and checked ([`crate::stamp`]). The command line,
//! the KRM function, the kustomize plugin, `--kustomize` and
//! [`crate::stamp_str`] differ only in how they read and show.

use std::collections::HashMap;

use crate::confighash::Index;
use crate::error::{Error, Warning};
use crate::id::ObjectId;
use crate::options::Options;
use crate::parallel;
use crate::plan::stream::{analyze, analyze_then, Analysis};
use crate::reloader::Candidate;
use crate::stamp::{
    render, source_key_ops, workload_hash, Follow, NewDoc, Output, Rendered, Source, Stamp, Values,
    Wanted,
};
use crate::text;

/// One input of a run: a name to show in messages (a path, `<stdin>`) and
/// its bytes (UTF-8, with or without a byte-order mark).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// What messages call the input.
    pub name: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

/// One input of a run, stamped: its new text (if anything changed), what
/// was stamped, and what is worth knowing.
#[derive(Debug)]
pub struct Stamped<'a> {
    pub(crate) bom: &'a str,
    pub(crate) text: &'a str,
    pub(crate) rendered: Rendered,
    pub(crate) warnings: Vec<Warning>,
    /// Config-hash mode: every workload that has a hash, stamped or not.
    pub(crate) hashes: Vec<Hashed>,
}

/// A workload's config hash (whether or not it needed stamping): what
/// `--kustomize` writes into a patch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Hashed {
    /// The workload.
    pub id: ObjectId,
    /// Its `apiVersion`, as written.
    pub api_version: Option<String>,
    /// The digest.
    pub value: String,
    /// What it covers (with [`Options::records`] or
    /// [`Options::per_source`]).
    pub sources: Vec<Source>,
    /// Where its pod template is (for a patch that sets the annotation).
    pub(crate) template: crate::select::TemplatePath,
}

impl<'a> Stamped<'a> {
    /// The input's text, after any byte-order mark: what offsets count in.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Whether the input changed.
    pub fn changed(&self) -> bool {
        self.rendered.output.is_some()
    }

    /// How many workloads were stamped.
    pub fn count(&self) -> usize {
        self.rendered.count
    }

    /// Every stamped workload (when [`Options::records`] is on).
    pub fn stamps(&self) -> &[Stamp] {
        &self.rendered.stamps
    }

    /// Config-hash mode: every workload that has a hash, in text order,
    /// also those that held it already.
    pub fn hashes(&self) -> &[Hashed] {
        &self.hashes
    }

    /// What did not stop the input but is worth knowing.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The new text as pieces in order, the byte-order mark first (write
    /// them one after another); `None` when nothing changed. Unchanged text
    /// is borrowed from the input, not copied.
    pub fn output_parts(&self) -> Option<Vec<&str>> {
        let out = self.rendered.output.as_ref()?;
        let bom = (!self.bom.is_empty()).then_some(self.bom);
        Some(bom.into_iter().chain(out.parts(self.text)).collect())
    }

    /// The new text in one string (a copy); `None` when nothing changed.
    pub fn output_string(&self) -> Option<String> {
        self.output_parts().map(|p| p.concat())
    }

    /// The new text's pieces, without the byte-order mark.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn output(&self) -> Option<&Output> {
        self.rendered.output.as_ref()
    }
}

/// Stamps every input: each one's outcome, in the order given. Config
/// hashes look references up among all the inputs together. Errors and
/// warnings have their line and column in their input.
///
/// ```
/// use reload_stamp::{run, Input, Options};
///
/// let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {level: debug}\n";
/// let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        envFrom: [{configMapRef: {name: app}}]\n";
/// let inputs = [
///     Input { name: "config.yaml", bytes: cm.as_bytes() },
///     Input { name: "web.yaml", bytes: web.as_bytes() },
/// ];
/// let out = run(&inputs, &Options::config_hash());
/// let web = out[1].as_ref().unwrap();
/// assert!(web.output_string().unwrap().contains("checksum/config: \""));
/// assert!(!out[0].as_ref().unwrap().changed());
/// ```
pub fn run<'a>(inputs: &[Input<'a>], opts: &Options) -> Vec<Result<Stamped<'a>, Error>> {
    run_observed(inputs, opts, &())
}

/// Told how a run goes, for a progress display.
pub(crate) trait Observer: Sync {
    /// One more input is planned.
    fn planned(&self) {}
    /// Every input is planned; stamping starts.
    fn stamping(&self) {}
    /// One more input is stamped.
    fn stamped(&self) {}
}

impl Observer for () {}

/// [`run`], telling `observer` how it goes.
pub(crate) fn run_observed<'a>(
    inputs: &[Input<'a>],
    opts: &Options,
    observer: &dyn Observer,
) -> Vec<Result<Stamped<'a>, Error>> {
    // Many inputs: one thread per input. One input: its documents spread
    // over the threads instead.
    let (outer, inner) = if inputs.len() > 1 {
        (opts.jobs, 1)
    } else {
        (1, opts.jobs)
    };
    let mut analyses = parallel::map(inputs, outer, |i| {
        let a = plan(i.bytes, opts, inner);
        observer.planned();
        a
    });
    // The objects leave the analyses, which the next step consumes.
    let objects: Vec<_> = analyses
        .iter_mut()
        .map(|a| match a {
            Ok(Planned { a, .. }) => {
                let mut objects = std::mem::take(&mut a.objects);
                let lines = text::lines_of(a.text, objects.iter().map(|o| o.pos));
                for (o, line) in objects.iter_mut().zip(lines) {
                    o.line = line;
                }
                objects
            }
            Err(_) => Vec::new(),
        })
        .collect();
    let mut index = Index::default();
    index.key.clone_from(&opts.hmac);
    for ((i, a), objects) in inputs.iter().zip(&analyses).zip(&objects) {
        if let Ok(Planned { a, .. }) = a {
            objects.iter().for_each(|o| index.add(o, i.name, a.text));
        }
    }
    let candidates: Vec<Candidate<'_>> = match opts.rules {
        Some(_) => objects.iter().flatten().map(Candidate::from).collect(),
        None => Vec::new(),
    };
    let values = match &opts.value {
        Some(v) => Values::Fixed(v),
        None => Values::Hashes(&index, &candidates),
    };
    observer.stamping();
    let work: Vec<_> = analyses.into_iter().zip(inputs).collect();
    parallel::map_into(work, outer, |(a, i)| {
        let f = a.and_then(|a| finish(a, opts, values, inner));
        observer.stamped();
        f.map_err(|e| {
            let text = text::decode(i.bytes).map_or("", |(_, t)| t);
            e.placed(text)
        })
    })
}

/// A planned input. With a value known up front, its changed documents are
/// made as it is planned, by the thread that planned each batch
/// ([`analyze_then`]): one pass over the text, as a stream piped through
/// needs.
struct Planned<'a> {
    a: Analysis<'a>,
    /// One entry per planned document.
    made: Option<Vec<Option<NewDoc>>>,
}

/// Plans an input, and with a value known up front makes its changed
/// documents.
fn plan<'a>(bytes: &'a [u8], opts: &Options, jobs: usize) -> Result<Planned<'a>, Error> {
    let Some(v) = opts.value.as_deref() else {
        return Ok(Planned {
            a: analyze(bytes, opts, jobs)?,
            made: None,
        });
    };
    let make = |text: &str, docs: &[crate::plan::stream::DocPlan]| {
        crate::stamp::make(text, docs, opts, &|_| Some(v.into()))
    };
    let (a, made) = analyze_then(bytes, opts, jobs, &make)?;
    Ok(Planned {
        a,
        made: Some(made.into_iter().flatten().collect()),
    })
}

/// Stamps a planned input with `values`.
fn finish<'a>(
    planned: Planned<'a>,
    opts: &Options,
    values: Values<'_, '_>,
    jobs: usize,
) -> Result<Stamped<'a>, Error> {
    let Planned { mut a, made } = planned;
    let mut warnings = std::mem::take(&mut a.warnings);
    let mut hashes = Vec::new();
    let mut rendered = match (values, made) {
        (_, Some(made)) => crate::stamp::assemble(&a, made)?,
        (Values::Fixed(v), None) => render(&a, opts, &|_| Some(v.into()), jobs)?,
        (Values::Hashes(index, candidates), None) => by_hashes(
            &a,
            opts,
            (index, candidates),
            (&mut warnings, &mut hashes),
            jobs,
        )?,
    };
    crate::error::place_all(a.text, &mut warnings);
    let lines = text::lines_of(a.text, rendered.stamps.iter().map(|s| s.offset));
    for (s, line) in rendered.stamps.iter_mut().zip(lines) {
        s.line = line;
    }
    Ok(Stamped {
        bom: a.bom,
        text: a.text,
        rendered,
        warnings,
        hashes,
    })
}

/// Renders a planned input with each workload's config hash (and with
/// per-source keys, their changes), keeping what each hash covers.
fn by_hashes(
    a: &Analysis<'_>,
    opts: &Options,
    (index, candidates): (&Index<'_>, &[Candidate<'_>]),
    (warnings, hashes): (&mut Vec<Warning>, &mut Vec<Hashed>),
    jobs: usize,
) -> Result<Rendered, Error> {
    let follow = Follow {
        strict: opts.strict,
        sources: opts.records || opts.per_source,
        rules: opts.rules.map(|r| (r, candidates)),
    };
    let mut by_start = HashMap::new();
    for w in a.docs.iter().flat_map(|d| &d.workloads) {
        if let Some(mut h) = workload_hash(w, index, follow, warnings)? {
            let keys = match opts.per_source {
                true => source_key_ops(w, &h.sources)?,
                false => Vec::new(),
            };
            if !opts.records && !opts.per_source {
                h.sources.clear();
            }
            hashes.push(Hashed {
                id: w.id.clone(),
                api_version: w.api_version.clone(),
                value: h.value.clone(),
                sources: h.sources.clone(),
                template: w.template.clone(),
            });
            by_start.insert(w.start, (h, keys));
        }
    }
    let value_of = |w: &crate::plan::Workload| {
        by_start.get(&w.start).map(|(h, keys)| Wanted {
            value: &h.value,
            keys,
        })
    };
    let mut r = render(a, opts, &value_of, jobs)?;
    for s in &mut r.stamps {
        if let Some((h, _)) = by_start.get_mut(&s.offset) {
            s.sources = std::mem::take(&mut h.sources);
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: []\n";
    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";

    fn one<'a>(text: &'a str, opts: &Options) -> Result<Stamped<'a>, Error> {
        let input = Input {
            name: "t",
            bytes: text.as_bytes(),
        };
        run(&[input], opts).pop().unwrap()
    }

    #[test]
    fn only_edits_are_new_text() {
        // Many batches' worth of text, one workload in the middle: the
        // output keeps everything but the edit as ranges of the input (the
        // edited document too, when its check needs no copy of it), on any
        // number of threads, in either mode.
        let filler = format!("{CM}---\n").repeat(8000);
        let web = WEB.replace(
            "containers: []",
            "containers: [{name: w, envFrom: [{configMapRef: {name: c}}]}]",
        );
        let text = format!("{filler}{web}---\n{filler}");
        for jobs in [1, 2] {
            for opts in [Options::new("1"), Options::config_hash().key("h").unwrap()] {
                let f = one(&text, &opts.clone().jobs(jobs)).unwrap();
                let (new, same) = f.output().unwrap().new_and_same();
                assert_eq!(same, 2, "adjacent unchanged ranges are one piece");
                let s = &f.stamps()[0];
                assert_eq!(s.line, filler.matches('\n').count() + 1);
                assert_eq!(&text[s.offset..s.offset + 19], "apiVersion: apps/v1");
                let whole = f.output_string().unwrap();
                let added = format!(
                    "      annotations:\n        {}: \"{}\"\n",
                    opts_key(&f),
                    s.value
                );
                assert_eq!(new, [added.as_str()]);
                assert_eq!(whole.replace(&added, ""), text);
                // Checked by parsing the whole edited document again, the
                // document is new text of its own: the same output.
                let g = one(&text, &opts.clone().full_check(true).jobs(jobs)).unwrap();
                let (new, same) = g.output().unwrap().new_and_same();
                assert_eq!((new.len(), same), (1, 2));
                let doc = new[0].trim_start_matches("---\n");
                assert!(doc.starts_with("apiVersion: apps/v1"), "{doc}");
                assert_eq!(g.output_string().unwrap(), whole);
            }
        }
    }

    fn opts_key(f: &Stamped<'_>) -> &'static str {
        if f.hashes.is_empty() {
            "reloaded-at"
        } else {
            "h"
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
            let e = one(&text, &Options::new("1").jobs(jobs)).unwrap_err();
            assert!(e.msg.contains("carriage return"), "{}", e.msg);
            let want = 2 + lines + WEB.matches('\n').count() + 1;
            assert_eq!(e.line_col().map(|(l, _)| l), Some(want));
        }
    }

    #[test]
    fn the_byte_order_mark_leads_the_output() {
        let text = format!("{BOM}{WEB}", BOM = crate::text::BOM);
        let f = one(&text, &Options::new("1")).unwrap();
        let parts = f.output_parts().unwrap();
        assert_eq!(parts[0], crate::text::BOM);
        assert!(!parts[1..].concat().contains(crate::text::BOM));
    }

    #[test]
    fn config_hashes_look_across_inputs() {
        let web = WEB.replace(
            "containers: []",
            "containers: [{name: w, envFrom: [{configMapRef: {name: c}}]}]",
        );
        let inputs = [
            Input {
                name: "web.yaml",
                bytes: web.as_bytes(),
            },
            Input {
                name: "cm.yaml",
                bytes: CM.as_bytes(),
            },
        ];
        for jobs in [1, 2] {
            let out = run(&inputs, &Options::config_hash().jobs(jobs));
            let web = out[0].as_ref().unwrap();
            assert_eq!(web.count(), 1);
            assert_eq!(web.hashes.len(), 1);
            assert_eq!(web.stamps()[0].value, web.hashes[0].value);
            assert!(!out[1].as_ref().unwrap().changed());
            // Alone, the reference is missing: a warning with its place.
            let alone = run(&inputs[..1], &Options::config_hash());
            let w = &alone[0].as_ref().unwrap().warnings()[0];
            assert!(w.to_string().starts_with("10:"), "{w}");
            assert!(w.msg.contains("ConfigMap 'c'"), "{w}");
        }
    }
}
