//! Plans the edit that stamps one workload: where the annotation goes and
//! the exact text to splice in, following the source's own style.
//!
//! An [`Edit`]'s text holds `\0` where the (quoted) value goes, so a plan can
//! be made before the value is known (config-hash mode computes it later).

use std::cell::RefCell;

use saphyr_parser::ScalarStyle;

use crate::confighash::{annotation_refs, refs_of, ConfigRef};
use crate::document::{Document, Kind, Node, Style};
use crate::error::{Error, ErrorKind};
use crate::select::{template_path, Selector};
use crate::text::{self, at_line_start, column, newline_near, next_line_start};

/// Marks the place of the value in an [`Edit`]'s text.
pub const VALUE: char = '\0';

/// Replace `start..end` of the text with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The annotation's value before the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub value: String,
    /// Written as a plain double-quoted string, exactly as we would write it.
    pub canonical: bool,
}

/// One workload to stamp and the edits that do it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub kind: String,
    pub api_version: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Byte offset of the workload object in the text.
    pub start: usize,
    /// Indices through `*List` `items` from the document root to the object.
    pub items: Vec<usize>,
    pub current: Option<Current>,
    pub edits: Vec<Edit>,
    /// ConfigMaps and Secrets its pod spec references (config-hash mode).
    pub refs: Vec<ConfigRef>,
    /// A part of the document that shows the whole edit when parsed alone,
    /// if the edit is in block style (the self-check in `verify` reads it).
    pub local: Option<Local>,
}

/// Lines of a block mapping that hold a workload's whole edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Local {
    /// The start of the first line.
    pub start: usize,
    /// One past the original text covered: a line start (or the end).
    pub end: usize,
    /// The column of the mapping's keys.
    pub indent: usize,
    pub expect: Expect,
}

/// What the lines of a [`Local`] must read as after the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The template's `metadata` mapping, whose fingerprint without the stamp
    /// was this.
    Metadata(u64),
    /// One new entry: `metadata: {annotations: {KEY: VALUE}}`.
    NewMetadata,
}

/// Finds the selected workloads of a document and plans their edits.
/// Workloads skipped for a reason the user should hear of add a warning.
pub fn plan_document(
    text: &str,
    doc: &Document<'_>,
    sel: &Selector,
    key: &str,
    refs: bool,
    warnings: &mut Vec<Error>,
) -> Result<Vec<Workload>, Error> {
    let Some(root) = &doc.root else {
        return Ok(Vec::new());
    };
    let json = matches!(&root.kind, Kind::Map(e, Style::Flow)
        if e.first().is_none_or(|(k, _)| matches!(k.kind, Kind::Scalar(_, ScalarStyle::DoubleQuoted))));
    // Minified JSON (`{"a":1}`) gets minified additions.
    let compact = json
        && root
            .entries()
            .and_then(|e| e.first())
            .is_some_and(|(k, v)| {
                text.get(k.end..v.start)
                    .is_some_and(|sep| !sep.contains([' ', '\n']))
            });
    let ctx = Ctx {
        text,
        aliased: &doc.aliased,
        key,
        sel,
        json,
        colon: if compact { ":" } else { ": " },
        comma: if compact { "," } else { ", " },
        warnings: RefCell::new(Vec::new()),
        refs,
    };
    let mut out = Vec::new();
    let res = ctx.visit(root, &mut Vec::new(), &mut out);
    warnings.append(&mut ctx.warnings.borrow_mut());
    res?;
    Ok(out)
}

/// `? key` alone in a block mapping: its `:` would need a line of its own.
const EXPLICIT_KEY: &str =
    "an explicit key ('? ...') with an empty value; refusing to guess where the value goes";

fn odd_tag_message(tag: &str) -> String {
    format!(
        "tag '{tag}' on a key or value the edit reads; YAML libraries disagree on what it means (some read a plain string, others keep the tag or fail), refusing to guess"
    )
}

struct Ctx<'t> {
    text: &'t str,
    aliased: &'t [usize],
    key: &'t str,
    sel: &'t Selector,
    json: bool,
    /// `": "` and `", "`, or without spaces in minified JSON.
    colon: &'static str,
    comma: &'static str,
    warnings: RefCell<Vec<Error>>,
    /// Collect ConfigMap/Secret references.
    refs: bool,
}

type Entry<'n, 'a> = &'n (Node<'a>, Node<'a>);

impl Ctx<'_> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> Error {
        Error::at(ErrorKind::Refused, pos, msg)
    }

    fn visit(
        &self,
        node: &Node<'_>,
        items: &mut Vec<usize>,
        out: &mut Vec<Workload>,
    ) -> Result<(), Error> {
        if node.entries().is_none() {
            return Ok(());
        }
        let kind = node.get_str("kind").unwrap_or_default();
        let api = node.get_str("apiVersion").unwrap_or_default();
        self.refuse_odd_tags(node)?;
        if kind.ends_with("List") {
            if let Some((
                _,
                Node {
                    kind: Kind::Seq(list, _),
                    ..
                },
            )) = node.get("items")
            {
                for (i, item) in list.iter().enumerate() {
                    items.push(i);
                    self.visit(item, items, out)?;
                    items.pop();
                }
            }
        } else if self.sel.is_selected_kind(kind, api) {
            if let Some(w) = self.workload(node, kind, items)? {
                out.push(w);
            }
        }
        Ok(())
    }

    /// Refuses an object whose `kind` or `apiVersion`, key or value, carries
    /// a tag that YAML libraries read differently (see [`Node::odd_tag`]) when
    /// the object would be edited if the tag were ignored: guessing either
    /// way would silently skip or wrongly stamp it for some consumer.
    fn refuse_odd_tags(&self, node: &Node<'_>) -> Result<(), Error> {
        let mut text = [""; 2];
        let mut odd = None;
        for (k, v) in node.entries().unwrap_or(&[]) {
            let i = match k.scalar_text() {
                Some("kind") => 0,
                Some("apiVersion") => 1,
                _ => continue,
            };
            text[i] = v.scalar_text().unwrap_or_default();
            for n in [k, v] {
                if let (None, Some(t)) = (&odd, n.odd_tag()) {
                    odd = Some((n.start, t));
                }
            }
        }
        match odd {
            Some((at, tag))
                if text[0].ends_with("List") || self.sel.is_selected_kind(text[0], text[1]) =>
            {
                Err(self.err(at, odd_tag_message(&tag)))
            }
            _ => Ok(()),
        }
    }

    /// The entry `key` of mapping `map`. Errors on a duplicate key, and on a
    /// missing key where a merge key (`<<`) could be supplying it.
    fn lookup<'n, 'a>(&self, map: &'n Node<'a>, key: &str) -> Result<Option<Entry<'n, 'a>>, Error> {
        let mut found: Option<Entry<'n, 'a>> = None;
        let mut merge = None;
        for e in map.entries().unwrap_or(&[]) {
            match e.0.as_str() {
                Some(k) if k == key => {
                    if found.is_some() {
                        return Err(self.err(e.0.start, format!("duplicate key '{key}'")));
                    }
                    found = Some(e);
                }
                Some("<<") if matches!(e.0.kind, Kind::Scalar(_, ScalarStyle::Plain)) => {
                    merge = Some(e.0.start)
                }
                None if e.0.scalar_text() == Some(key) => {
                    if let Some(tag) = e.0.odd_tag() {
                        return Err(self.err(e.0.start, odd_tag_message(&tag)));
                    }
                }
                _ => {}
            }
        }
        if let (None, Some(at)) = (found, merge) {
            return Err(self.err(
                at,
                format!(
                    "'{key}' may come from this merge key (<<); refusing to edit a merged mapping"
                ),
            ));
        }
        Ok(found)
    }

    /// Refuses to edit through an alias or an anchored node that an alias
    /// elsewhere refers to: the edit would change that other place too.
    fn editable(&self, node: &Node<'_>, what: &str) -> Result<(), Error> {
        if let Kind::Alias(_) = node.kind {
            return Err(self.err(
                node.start,
                format!(
                    "'{what}' is an alias; stamping it would also change the node it refers to"
                ),
            ));
        }
        if node.anchor != 0 && self.aliased.contains(&node.anchor) {
            return Err(self.err(
                node.start,
                format!("'{what}' is anchored and used elsewhere through an alias; stamping it would change that too"),
            ));
        }
        Ok(())
    }

    fn workload(
        &self,
        obj: &Node<'_>,
        kind: &str,
        items: &[usize],
    ) -> Result<Option<Workload>, Error> {
        for k in ["apiVersion", "kind", "metadata"] {
            self.lookup(obj, k)?;
        }
        let meta = obj.get("metadata").map(|(_, v)| v);
        let name = meta.and_then(|m| m.get_str("name"));
        let namespace = meta.and_then(|m| m.get_str("namespace"));
        let labels = meta.and_then(|m| m.get("labels")).map(|(_, v)| v);
        let get_label = |k: &str| labels.and_then(|l| l.get_str(k));
        if !self.sel.passes_filters(name, namespace, &get_label) {
            return Ok(None);
        }
        let mut steps: Vec<(&Node<'_>, &Node<'_>)> = Vec::new();
        let Some(template) = self.template(obj, kind, name, &mut steps)? else {
            return Ok(None);
        };
        let (edits, current, local) = self.template_edits(template, &mut steps)?;
        let mut refs = match template.get("spec") {
            Some((_, spec)) if self.refs => refs_of(spec),
            _ => Vec::new(),
        };
        if self.refs {
            refs.extend(annotation_refs(meta));
        }
        Ok(Some(Workload {
            refs,
            local,
            kind: kind.to_string(),
            api_version: obj.get_str("apiVersion").map(str::to_string),
            name: name.map(str::to_string),
            namespace: namespace.map(str::to_string),
            start: obj.start,
            items: items.to_vec(),
            current,
            edits,
        }))
    }

    /// Walks to the pod template of `obj`, pushing each key and value on
    /// the way to `steps`; `None` when there is none (the workload is left
    /// alone).
    fn template<'n, 'a>(
        &self,
        obj: &'n Node<'a>,
        kind: &str,
        name: Option<&str>,
        steps: &mut Vec<(&'n Node<'a>, &'n Node<'a>)>,
    ) -> Result<Option<&'n Node<'a>>, Error> {
        let mut cur = obj;
        for seg in template_path(kind) {
            let Some((k, v)) = self.lookup(cur, seg)? else {
                if kind == "Rollout" && *seg == "template" && cur.get("workloadRef").is_some() {
                    self.warnings.borrow_mut().push(self.err(
                        obj.start,
                        format!(
                            "skipped Rollout {}: it uses spec.workloadRef, not a pod template; stamp the Deployment it refers to",
                            name.unwrap_or("<unnamed>")
                        ),
                    ));
                }
                return Ok(None);
            };
            self.editable(v, seg)?;
            if v.entries().is_none() {
                return Ok(None);
            }
            steps.push((k, v));
            cur = v;
        }
        Ok(Some(cur))
    }

    /// The edits that stamp `template`, the stamp it holds now, and the
    /// lines that show the whole edit, if any.
    fn template_edits<'n, 'a>(
        &self,
        template: &'n Node<'a>,
        steps: &mut Vec<(&'n Node<'a>, &'n Node<'a>)>,
    ) -> Result<TemplateEdits, Error> {
        let Some((mk, mv)) = self.lookup(template, "metadata")? else {
            let edits = self.add_metadata(template, steps)?;
            let mut local = None;
            if let (false, Some((fk, _))) = (
                is_flow(template),
                template.entries().and_then(|e| e.first()),
            ) {
                local = self.local(fk, fk.start, &edits, Expect::NewMetadata);
            }
            return Ok((edits, None, local));
        };
        self.editable(mv, "metadata")?;
        if mv.is_null() {
            let edits = self.fill_null(template, mk, mv, steps, Fill::Metadata)?;
            let mut local = None;
            if !is_flow(template) {
                local = self.local(mk, mv.end.max(mk.end), &edits, Expect::NewMetadata);
            }
            return Ok((edits, None, local));
        }
        if mv.entries().is_none() {
            return Err(self.err(mv.start, "the pod template's 'metadata' is not a mapping"));
        }
        steps.push((mk, mv));
        let (edits, current) = self.metadata_edits(mv, steps)?;
        let mut local = None;
        if let (false, Some((fk, _))) = (is_flow(mv), mv.entries().and_then(|e| e.first())) {
            let fp = crate::fingerprint::fingerprint_metadata(mv, self.key);
            local = self.local(fk, mv.end, &edits, Expect::Metadata(fp));
        }
        Ok((edits, current, local))
    }

    /// The edits that stamp the template's `metadata` mapping `mv`, and the
    /// stamp it holds now.
    fn metadata_edits<'n, 'a>(
        &self,
        mv: &'n Node<'a>,
        steps: &mut Vec<(&'n Node<'a>, &'n Node<'a>)>,
    ) -> Result<(Vec<Edit>, Option<Current>), Error> {
        let Some((ak, av)) = self.lookup(mv, "annotations")? else {
            return Ok((vec![self.append(mv, steps, Fill::Annotations)?], None));
        };
        self.editable(av, "annotations")?;
        if av.is_null() {
            return Ok((self.fill_null(mv, ak, av, steps, Fill::Annotations)?, None));
        }
        if av.entries().is_none() {
            return Err(self.err(
                av.start,
                "the pod template's 'annotations' is not a mapping",
            ));
        }
        steps.push((ak, av));
        match self.lookup(av, self.key)? {
            None => Ok((vec![self.append(av, steps, Fill::Stamp)?], None)),
            Some((k, v)) => {
                let (edit, cur) = self.replace_value(av, k, v)?;
                Ok((vec![edit], Some(cur)))
            }
        }
    }

    /// The lines from the one holding the key `first` (with only spaces
    /// before it) to past `last` and every edit; `None` when the key is
    /// empty or complex, or has something else before it on its line.
    fn local(
        &self,
        first: &Node<'_>,
        last: usize,
        edits: &[Edit],
        expect: Expect,
    ) -> Option<Local> {
        if !is_named_key(first) {
            return None;
        }
        let first = first.start;
        let start = text::line_start(self.text, first);
        if !self.text[start..first].bytes().all(|b| b == b' ') {
            return None;
        }
        let mut end = if at_line_start(self.text, last) {
            last
        } else {
            next_line_start(self.text, last).unwrap_or(self.text.len())
        };
        // Add metadata: the region ends where the entry goes in.
        if expect == Expect::NewMetadata && last == first {
            end = first;
        }
        end = edits.iter().map(|e| e.end).fold(end, usize::max);
        if edits.iter().any(|e| e.start < start) {
            return None;
        }
        Some(Local {
            start,
            end,
            indent: first - start,
            expect,
        })
    }

    /// The indentation step of the document, read off the nesting it already
    /// has (innermost first); 2 when there is nothing to copy.
    fn step(&self, steps: &[(&Node<'_>, &Node<'_>)]) -> usize {
        for (k, v) in steps.iter().rev() {
            if is_flow(v) {
                continue;
            }
            if let Some((first, _)) = v.entries().and_then(|e| e.first()) {
                let (kc, vc) = (column(self.text, k.start), column(self.text, first.start));
                let same_line = text::line_start(self.text, first.start)
                    == text::line_start(self.text, k.start);
                if vc > kc && !same_line {
                    return vc - kc;
                }
            }
        }
        2
    }

    fn key_text(&self, key: &str, quote: bool) -> String {
        if self.json || quote || !plain_safe(key) {
            let mut s = String::new();
            text::double_quote(key, &mut s);
            s
        } else {
            key.to_string()
        }
    }

    /// The new entry, in flow style: `key: "v"`, wrapped in `annotations`
    /// and `metadata` as `fill` asks.
    fn flow_entry(&self, fill: Fill, quote: bool) -> String {
        let c = self.colon;
        let stamp = format!("{}{c}{VALUE}", self.key_text(self.key, quote));
        match fill {
            Fill::Stamp => stamp,
            Fill::Annotations => format!("{}{c}{{{stamp}}}", self.key_text("annotations", false)),
            Fill::Metadata => format!(
                "{}{c}{{{}{c}{{{stamp}}}}}",
                self.key_text("metadata", false),
                self.key_text("annotations", false)
            ),
        }
    }

    /// The new entry as block lines, each indented by `indent` plus its
    /// level times `step`, each ending with `nl`.
    fn block_lines(&self, fill: Fill, quote: bool, indent: usize, step: usize, nl: &str) -> String {
        let mut names = Vec::new();
        match fill {
            Fill::Metadata => names.extend(["metadata", "annotations"]),
            Fill::Annotations => names.push("annotations"),
            Fill::Stamp => {}
        }
        let mut s = String::new();
        for (level, name) in names.iter().enumerate() {
            s.push_str(&" ".repeat(indent + level * step));
            s.push_str(&self.key_text(name, false));
            s.push(':');
            s.push_str(nl);
        }
        s.push_str(&" ".repeat(indent + names.len() * step));
        s.push_str(&self.key_text(self.key, quote));
        s.push_str(": ");
        s.push(VALUE);
        s.push_str(nl);
        s
    }

    /// Where a line after the one holding `end` starts: `(offset, prefix)`,
    /// where a prefix newline is needed when the text ends without one.
    fn after_line(&self, end: usize) -> (usize, Option<&'static str>) {
        if at_line_start(self.text, end) {
            (end, None)
        } else {
            match next_line_start(self.text, end) {
                Some(p) => (p, None),
                None => (self.text.len(), Some(newline_near(self.text, end))),
            }
        }
    }

    /// Inserts `lines` (block text ending with a newline) after `end`'s line.
    fn insert_lines_after(&self, end: usize, lines: String) -> Edit {
        let (at, prefix) = self.after_line(end);
        let text = match prefix {
            // The text had no final newline: put it before, not after.
            Some(nl) => format!("{nl}{}", lines.strip_suffix(nl).unwrap_or(&lines)),
            None => lines,
        };
        Edit {
            start: at,
            end: at,
            text,
        }
    }

    /// End of an entry, past the `:` when the value is empty.
    fn entry_end(&self, k: &Node<'_>, v: &Node<'_>) -> usize {
        // A collection can have an empty span (`-` ending the text, as saphyr
        // reports it); only an empty scalar means "nothing after the colon".
        if v.end > v.start || !matches!(v.kind, Kind::Scalar(..)) {
            v.end.max(k.end)
        } else {
            self.colon_after(k.end).map_or(k.end, |c| c + 1)
        }
    }

    fn colon_after(&self, pos: usize) -> Option<usize> {
        let b = self.text.as_bytes();
        let mut i = pos;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        (b.get(i) == Some(&b':')).then_some(i)
    }

    /// Adds an entry to the non-empty or empty mapping `map`.
    fn append(
        &self,
        map: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
        fill: Fill,
    ) -> Result<Edit, Error> {
        let entries = map.entries().unwrap_or(&[]);
        let quote = fill == Fill::Stamp && entries.last().is_some_and(|(k, _)| is_double_quoted(k));
        if is_flow(map) {
            return Ok(self.flow_insert(map, &self.flow_entry(fill, quote), false));
        }
        let (fk, _) = &entries[0];
        let (lk, lv) = entries.last().expect("a block mapping has entries");
        // The new entry takes the first key's column and follows the last
        // entry: both must be where saphyr says they are.
        if !self.leads_line(fk) || !is_scalar_key(lk) {
            return Err(self.err(
                if is_scalar_key(fk) { lk.start } else { map.start },
                "the mapping holds an empty or complex ('? ...') key; refusing to guess where the new entry goes",
            ));
        }
        let nl = newline_near(self.text, lk.start);
        let indent = column(self.text, fk.start);
        let mut lines = self.block_lines(fill, quote, indent, self.step(steps), nl);
        let end = self.entry_end(lk, lv);
        if self.after_line(end).1.is_some() && ends_in_block_scalar(lv) {
            // The text ends inside a block scalar without a final newline: a
            // line after it would give the scalar a newline it lacks. Put
            // the entry before the last one instead.
            lines.drain(..indent);
            lines.push_str(&" ".repeat(indent));
            return Ok(Edit {
                start: lk.start,
                end: lk.start,
                text: lines,
            });
        }
        Ok(self.insert_lines_after(end, lines))
    }

    /// A scalar key that starts its line after the indentation, so that its
    /// column is the mapping's.
    fn leads_line(&self, k: &Node<'_>) -> bool {
        is_scalar_key(k)
            && self.text[text::line_start(self.text, k.start)..k.start]
                .bytes()
                .all(|b| b == b' ')
    }

    /// Puts `entry` inside the flow mapping `map`: at the end, or first when
    /// `first` is set or the mapping spans lines (so that no existing line
    /// needs a comma added).
    fn flow_insert(&self, map: &Node<'_>, entry: &str, first: bool) -> Edit {
        let entries = map.entries().unwrap_or(&[]);
        let open = map.start;
        let at_open = |text: String| Edit {
            start: open + 1,
            end: open + 1,
            text,
        };
        let Some((fk, _)) = entries.first() else {
            return at_open(entry.to_string());
        };
        if self
            .text
            .get(open..fk.start)
            .is_some_and(|t| t.contains('\n'))
        {
            // A line of its own before the first entry's line, with that
            // line's leading blanks (not a `?` that may precede the entry);
            // no existing line changes.
            let nl = newline_near(self.text, fk.start);
            let ls = text::line_start(self.text, fk.start);
            let blanks = self.text[ls..fk.start]
                .bytes()
                .take_while(|&b| b == b' ' || b == b'\t')
                .count();
            let indent = &self.text[ls..ls + blanks];
            if !is_scalar_key(fk) {
                // A collection key's anchor or tag may sit on an earlier line.
                return at_open(format!("{nl}{indent}{entry},"));
            }
            return Edit {
                start: ls,
                end: ls,
                text: format!("{indent}{entry},{nl}"),
            };
        }
        if first {
            // A collection key's span starts after its anchor or tag.
            let at = if is_scalar_key(fk) {
                fk.start
            } else {
                open + 1
            };
            return Edit {
                start: at,
                end: at,
                text: format!("{entry}{}", self.comma),
            };
        }
        let (lk, lv) = entries.last().expect("not empty");
        let at = self.entry_end(lk, lv);
        // After an empty value (`{a: }`), YAML 1.1 parsers reject `a:,`.
        let gap = if self.text[..at].ends_with(':') {
            " "
        } else {
            ""
        };
        Edit {
            start: at,
            end: at,
            text: format!("{gap}{}{entry}", self.comma),
        }
    }

    /// No `metadata` in the template: add it as the template's first key.
    fn add_metadata(
        &self,
        template: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
    ) -> Result<Vec<Edit>, Error> {
        if is_flow(template) {
            return Ok(vec![self.flow_insert(
                template,
                &self.flow_entry(Fill::Metadata, false),
                true,
            )]);
        }
        let Some((fk, _)) = template
            .entries()
            .and_then(|e| e.first())
            .filter(|(k, _)| is_named_key(k) && self.leads_line(k))
        else {
            return Err(self.err(
                template.start,
                "the pod template starts with an empty or complex key; refusing to guess where 'metadata' goes",
            ));
        };
        let indent = column(self.text, fk.start);
        let nl = newline_near(self.text, fk.start);
        let mut lines = self.block_lines(Fill::Metadata, false, indent, self.step(steps), nl);
        // The new lines start at the first key's column; re-indent that key.
        let first_indent = lines.len() - lines.trim_start_matches(' ').len();
        lines.drain(..first_indent);
        lines.push_str(&" ".repeat(indent));
        Ok(vec![Edit {
            start: fk.start,
            end: fk.start,
            text: lines,
        }])
    }

    /// `metadata:` or `annotations:` is empty, `~` or `null`: it becomes a
    /// mapping. `parent` holds the entry `k: v`.
    fn fill_null(
        &self,
        parent: &Node<'_>,
        k: &Node<'_>,
        v: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
        what: Fill,
    ) -> Result<Vec<Edit>, Error> {
        // The entry we write inside the new mapping.
        let inner = match what {
            Fill::Metadata => Fill::Annotations,
            _ => Fill::Stamp,
        };
        let colon = self.colon_after(k.end);
        if is_flow(parent) {
            let text = format!("{{{}}}", self.flow_entry(inner, false));
            return Ok(vec![if v.end > v.start {
                Edit {
                    start: v.start,
                    end: v.end,
                    text,
                }
            } else if let Some(c) = colon {
                Edit {
                    start: c + 1,
                    end: c + 1,
                    text: format!("{}{text}", &self.colon[1..]),
                }
            } else {
                Edit {
                    start: k.end,
                    end: k.end,
                    text: format!("{}{text}", self.colon),
                }
            }]);
        }
        if colon.is_none() {
            // `? key` alone: its `:` would have to go on a line of its own.
            return Err(self.err(k.start, EXPLICIT_KEY));
        }
        let mut edits = Vec::new();
        if v.end > v.start {
            let from = colon.map_or(v.start, |c| c + 1);
            edits.push(Edit {
                start: from,
                end: v.end,
                text: String::new(),
            });
        }
        let step = self.step(steps);
        let nl = newline_near(self.text, k.start);
        let lines = self.block_lines(inner, false, column(self.text, k.start) + step, step, nl);
        edits.push(self.insert_lines_after(v.end.max(k.end), lines));
        Ok(edits)
    }

    /// The key exists: replace its value.
    fn replace_value(
        &self,
        map: &Node<'_>,
        k: &Node<'_>,
        v: &Node<'_>,
    ) -> Result<(Edit, Current), Error> {
        self.editable(v, self.key)?;
        let Kind::Scalar(value, style) = &v.kind else {
            return Err(self.err(
                v.start,
                format!("annotation '{}' does not hold a string", self.key),
            ));
        };
        let current = Current {
            value: value.to_string(),
            canonical: *style == ScalarStyle::DoubleQuoted && v.tag.is_none() && v.anchor == 0,
        };
        let edit = if v.end == v.start {
            match self.colon_after(k.end) {
                Some(c) => Edit {
                    start: c + 1,
                    end: c + 1,
                    text: format!(" {VALUE}"),
                },
                None if is_flow(map) => Edit {
                    start: k.end,
                    end: k.end,
                    text: format!(": {VALUE}"),
                },
                None => return Err(self.err(k.start, EXPLICIT_KEY)),
            }
        } else {
            let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
            // A block scalar ends at the start of the next line: keep a newline.
            let nl = if block && at_line_start(self.text, v.end) {
                newline_near(self.text, v.start)
            } else {
                ""
            };
            Edit {
                start: v.start,
                end: v.end,
                text: format!("{VALUE}{nl}"),
            }
        };
        Ok((edit, current))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fill {
    /// Only the stamp entry.
    Stamp,
    /// `annotations` holding the stamp.
    Annotations,
    /// `metadata` holding `annotations` holding the stamp.
    Metadata,
}

/// A key written as a non-empty scalar, without properties: its span starts
/// at its first character, so edits can be placed by it.
fn is_named_key(k: &Node<'_>) -> bool {
    is_scalar_key(k) && k.anchor == 0 && k.tag.is_none()
}

/// A non-empty scalar key: its span is where saphyr says.
fn is_scalar_key(k: &Node<'_>) -> bool {
    matches!(k.kind, Kind::Scalar(..)) && k.end > k.start
}

/// Whether the last line of `n` may belong to a block scalar.
fn ends_in_block_scalar(n: &Node<'_>) -> bool {
    match &n.kind {
        Kind::Scalar(_, style) => matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
        Kind::Map(e, Style::Block) => e.last().is_none_or(|(_, v)| ends_in_block_scalar(v)),
        Kind::Seq(i, Style::Block) => i.last().is_none_or(ends_in_block_scalar),
        Kind::Opaque {
            style: Style::Block,
            ..
        } => true,
        _ => false,
    }
}

fn is_flow(n: &Node<'_>) -> bool {
    matches!(
        n.kind,
        Kind::Map(_, Style::Flow) | Kind::Seq(_, Style::Flow)
    )
}

fn is_double_quoted(n: &Node<'_>) -> bool {
    matches!(n.kind, Kind::Scalar(_, ScalarStyle::DoubleQuoted))
}

/// Whether `key` can be written as a plain scalar and still read as that
/// string (no indicators, not a number, boolean or null in YAML 1.1 or 1.2).
pub fn plain_safe(key: &str) -> bool {
    let Some(first) = key.chars().next() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() {
        return false;
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    ) {
        return false;
    }
    !key.starts_with(|c: char| c.is_ascii_digit())
}

/// A pod template's edits, the stamp it holds now, and the lines that
/// show the whole edit (see [`Local`]).
type TemplateEdits = (Vec<Edit>, Option<Current>, Option<Local>);

/// `namespace/name` as messages show a workload (`<unnamed>` without a name).
pub fn qualified(name: Option<&str>, namespace: Option<&str>) -> String {
    let name = name.unwrap_or("<unnamed>");
    match namespace {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys() {
        assert!(plain_safe("reloaded-at"));
        assert!(plain_safe("kubectl.kubernetes.io/restartedAt"));
        assert!(plain_safe("checksum/config"));
        assert!(!plain_safe("yes"));
        assert!(!plain_safe("1x"));
        assert!(!plain_safe("a b"));
        assert!(!plain_safe(""));
        assert!(!plain_safe("a:b"));
    }
}
