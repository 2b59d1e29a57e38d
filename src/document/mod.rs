//! Splits a YAML stream into documents and builds, for the documents that
//! may hold a workload, a tree whose every node knows its byte span in the
//! source. Other documents are parsed (so syntax errors are still found) but
//! no tree is built for them.
//!
//! One part a job: `node` is the tree the rest of the program reads,
//! `builder` makes it from the parser's events, `spans` finds the byte
//! extents the parser does not report, and `regions` cuts a stream into
//! documents without parsing it.

mod builder;
mod node;
mod regions;
mod spans;

use std::ops::Range;

use saphyr_parser::{Event, Parser};

use crate::error::Error;
use crate::text::Offsets;

pub use node::{Fx, Kind, Mode, Node, Style};
#[cfg(test)]
pub use regions::split_regions;
pub use regions::{batches, section_tails, Regions};

use builder::{scan_error, Builder};

/// Deeper nesting than this in a candidate document is refused: no
/// Kubernetes object comes close, and it keeps every tree walk shallow.
pub const MAX_DEPTH: usize = 1000;

/// One document of a stream.
#[derive(Debug)]
pub struct Document<'a> {
    /// Bytes owned by this document: from the end of the previous one
    /// (so leading comments and directives are included) to its end
    /// (past its `...` if it has one). Parsed alone, it is this document.
    pub region: Range<usize>,
    /// The tree, when the document was a candidate.
    pub root: Option<Node<'a>>,
    /// Anchor ids that some alias in this document refers to.
    pub aliased: Vec<usize>,
    /// Whether the tree's [`Kind::Opaque`] nodes hold their content's hash:
    /// only then may the tree be fingerprinted (see
    /// [`parse_stream_planned`]).
    pub hashed: bool,
}

/// Parses the stream `text` (no BOM), calling `each` for every document in
/// order, with as much of its tree as `mode` asks.
pub fn parse_stream<'a>(
    text: &'a str,
    mode: Mode,
    each: impl FnMut(Document<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    parse_stream_with(text, &|_| mode, each)
}

/// [`parse_stream`], with the mode of each document chosen by `mode_at`
/// from the offset where the document starts.
pub fn parse_stream_with<'a>(
    text: &'a str,
    mode_at: &dyn Fn(usize) -> Mode,
    each: impl FnMut(Document<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    parse_stream_planned(text, &|at| (mode_at(at), true), each)
}

/// [`parse_stream_with`], where `at` also says whether the collections
/// [`Mode::Spine`] skips in the document are hashed. A tree that is only
/// planned on and then dropped needs no hashes (its [`Kind::Opaque`] hash
/// is then 0 and [`Document::hashed`] false, and it must not be
/// fingerprinted): hashing every skipped scalar was most of the builder's
/// time, and a document's fingerprint is needed only when its edit cannot
/// be checked on its own lines
/// ([`crate::plan::stream::DocPlan::fingerprint`]).
pub fn parse_stream_planned<'a>(
    text: &'a str,
    at: &dyn Fn(usize) -> (Mode, bool),
    mut each: impl FnMut(Document<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    let off = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder::new(text, &off);
    let mut region_start = 0;
    loop {
        let (ev, span) = match parser.next_event() {
            None => break,
            Some(Err(e)) => return Err(scan_error(&off, &e)),
            Some(Ok(x)) => x,
        };
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(explicit) => {
                let (mode, hash) = at(off.at(&span.start));
                b.start(
                    mode,
                    hash,
                    off.at(if explicit { &span.end } else { &span.start }),
                );
            }
            Event::DocumentEnd => {
                let s = off.at(&span.start);
                let end = if text[s..].starts_with("...") {
                    off.at(&span.end)
                } else {
                    s
                };
                let end = end.max(region_start);
                let (root, aliased, hashed) = b.finish();
                let doc = Document {
                    region: region_start..end,
                    root,
                    aliased,
                    hashed,
                };
                region_start = end;
                each(doc)?;
            }
            ev => b.event(ev, span)?,
        }
    }
    Ok(())
}

/// Parses `text` as a stream and returns its documents.
pub fn parse_all(text: &str, mode: Mode) -> Result<Vec<Document<'_>>, Error> {
    let mut docs = Vec::new();
    parse_stream(text, mode, |d| {
        docs.push(d);
        Ok(())
    })?;
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn root(text: &str) -> Node<'_> {
        parse_all(text, Mode::Full).unwrap().remove(0).root.unwrap()
    }

    fn slice<'t>(text: &'t str, n: &Node) -> &'t str {
        &text[n.start..n.end]
    }

    #[test]
    fn spans_cover_scalars() {
        let t = "a: &x \"q\\\"w\" # c\nb: 'it''s'  # d\nc: plain words\nd: |\n  lit\n\ne: x\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "&x \"q\\\"w\"");
        assert_eq!(slice(t, &e[1].1), "'it''s'");
        assert_eq!(slice(t, &e[2].1), "plain words");
        assert_eq!(slice(t, &e[3].1), "|\n  lit\n\n");
        assert_eq!(slice(t, &e[4].0), "e");
    }

    #[test]
    fn spans_cover_collections() {
        let t = "a: {b: [1, 2]}   # c\nd:\n  - x\n  - y: z\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "{b: [1, 2]}");
        assert_eq!(slice(t, &e[1].1), "- x\n  - y: z");
        assert!(matches!(e[0].1.kind, Kind::Map(_, Style::Flow)));
        assert!(matches!(e[1].1.kind, Kind::Seq(_, Style::Block)));
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let t = "é: 日本\nk: \"ü\"\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "日本");
        assert_eq!(slice(t, &e[1].1), "\"ü\"");
    }

    #[test]
    fn regions_tile_the_stream() {
        let t = "# lead\na: 1\n---\nb: 2\n...\n%YAML 1.2\n---\nc: 3\n";
        let docs = parse_all(t, Mode::Full).unwrap();
        let r: Vec<_> = docs.iter().map(|d| &t[d.region.clone()]).collect();
        assert_eq!(
            r,
            [
                "# lead\na: 1\n",
                "---\nb: 2\n...",
                "\n%YAML 1.2\n---\nc: 3\n"
            ]
        );
    }

    #[test]
    fn split_regions_parse_like_the_stream() {
        let cases = [
            "# lead\na: 1\n---\nb: 2\n...\n%YAML 1.2\n---\nc: 3\n",
            "---\na: 1\n--- |\n  text\n---\n...\n# tail\n",
            "a: |\n  x\n---\nb\n...  # end\n--- {c: d}\n",
            "",
            "# only\n",
            "--- >\n folded\n...\n...\n",
        ];
        for t in cases {
            let whole: Vec<_> = parse_all(t, Mode::Full)
                .unwrap()
                .into_iter()
                .map(|d| format!("{:?}", strip(d.root)))
                .collect();
            let mut parts = Vec::new();
            let regions = split_regions(t);
            assert_eq!(
                regions.iter().map(|r| r.len()).sum::<usize>(),
                t.len(),
                "{t:?}"
            );
            for r in regions {
                parts.extend(
                    parse_all(&t[r], Mode::Full)
                        .unwrap()
                        .into_iter()
                        .map(|d| format!("{:?}", strip(d.root))),
                );
            }
            assert_eq!(whole, parts, "{t:?}");
        }
    }

    /// The tree without positions, to compare parses of different texts.
    fn strip(n: Option<Node<'_>>) -> String {
        fn walk(n: &Node<'_>, out: &mut String) {
            match &n.kind {
                Kind::Scalar(s, st) => out.push_str(&format!("{s:?}{st:?} ")),
                Kind::Alias(_) => out.push('*'),
                Kind::Opaque { hash, .. } => out.push_str(&format!("#{hash}")),
                Kind::Seq(items, _) => {
                    out.push('[');
                    items.iter().for_each(|i| walk(i, out));
                    out.push(']');
                }
                Kind::Map(entries, _) => {
                    out.push('{');
                    for (k, v) in entries {
                        walk(k, out);
                        walk(v, out);
                    }
                    out.push('}');
                }
            }
        }
        let mut out = String::new();
        if let Some(n) = n {
            walk(&n, &mut out);
        }
        out
    }

    #[test]
    fn errors_are_located() {
        let text = "a: b\nc: [d\n";
        let e = parse_all(text, Mode::Validate).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert!(e.placed(text).line_col().is_some_and(|(line, _)| line >= 2));
    }

    #[test]
    fn spine_builds_only_what_the_edit_needs() {
        let t = "kind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {a: b}\n    spec:\n      containers:\n      - name: c\n        args: [\"x\"]   # c\n  other: {a: [1]}\nstatus: {x: y}\n";
        let docs = parse_all(t, Mode::Spine).unwrap();
        let r = docs[0].root.as_ref().unwrap();
        let spec = &r.get("spec").unwrap().1;
        let tmpl = &spec.get("template").unwrap().1;
        assert!(matches!(
            tmpl.get("metadata")
                .unwrap()
                .1
                .get("labels")
                .unwrap()
                .1
                .kind,
            Kind::Map(..)
        ));
        let pod = &tmpl.get("spec").unwrap().1;
        assert!(matches!(
            pod.kind,
            Kind::Opaque {
                map: true,
                style: Style::Block,
                ..
            }
        ));
        assert_eq!(
            &t[pod.start..pod.end],
            "containers:\n      - name: c\n        args: [\"x\"]"
        );
        assert!(matches!(
            spec.get("other").unwrap().1.kind,
            Kind::Opaque {
                style: Style::Flow,
                ..
            }
        ));
        assert!(matches!(
            r.get("status").unwrap().1.kind,
            Kind::Opaque { .. }
        ));
        let hash = |t: &str| match parse_all(t, Mode::Spine).unwrap()[0]
            .root
            .as_ref()
            .unwrap()
            .get("x")
            .unwrap()
            .1
            .kind
        {
            Kind::Opaque { hash, .. } => hash,
            _ => 0,
        };
        assert_eq!(hash("x: {a: [1, 2]}"), hash("x:   {a: [1,   2]} # c"));
        assert_ne!(hash("x: {a: [1, 2]}"), hash("x: {a: [1, 3]}"));
        assert_ne!(hash("x: {a: [1, 2]}"), hash("x: {a: [1, \"2\"]}"));
    }
}
