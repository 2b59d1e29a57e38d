//! Plans the edit that stamps one workload: where the annotation goes and
//! the exact text to splice in, following the source's own style.
//!
//! An [`Edit`]'s text holds `\0` where the (quoted) value goes, so a plan can
//! be made before the value is known (config-hash mode computes it later).
//! Where the edit goes is decided here; `edits` writes its text.

mod edits;
pub mod stream;

use std::cell::RefCell;

use saphyr_parser::ScalarStyle;

use crate::confighash::{annotation_refs, refs_of, ConfigRef};
use crate::document::{Document, Kind, Node, Style};
use crate::error::{Error, ErrorKind, Warning};
use crate::id::ObjectId;
use crate::options::Options;
use crate::reloader::Rules;
use crate::select::{template_path, Selector, TemplatePath};
use crate::text::{self, at_line_start, column, newline_near, next_line_start};

use edits::{is_flow, is_named_key, Fill};

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
    /// What to cut to remove the entry, where that is plain (the entry
    /// alone on its lines, or one entry of a flow mapping).
    pub cut: Option<(usize, usize)>,
}

/// One workload to stamp and the edits that do it.
#[derive(Debug, Clone)]
pub struct Workload {
    pub id: ObjectId,
    pub api_version: Option<String>,
    /// Where its pod template is.
    pub template: TemplatePath,
    /// Byte offset of the workload object in the text.
    pub start: usize,
    /// Indices through `*List` `items` from the document root to the object.
    pub items: Vec<usize>,
    pub current: Option<Current>,
    pub edits: Vec<Edit>,
    /// ConfigMaps and Secrets its pod spec references (config-hash mode).
    pub refs: Vec<ConfigRef>,
    /// In an opt-in mode or with per-source keys: the workload's own
    /// annotations and its pod template's, for the rules to read.
    pub annotations: Option<Box<(Annotations, Annotations)>>,
    /// A part of the document that shows the whole edit when parsed alone,
    /// if the edit is in block style (the self-check in `verify` reads it).
    pub local: Option<Local>,
}

/// A set of annotations, by key.
pub type Annotations = std::collections::BTreeMap<String, String>;

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
    opts: &Options,
    warnings: &mut Vec<Warning>,
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
        key: &opts.key,
        sel: &opts.selector,
        json,
        colon: if compact { ":" } else { ": " },
        comma: if compact { "," } else { ", " },
        warnings: RefCell::new(Vec::new()),
        refs: opts.hashes(),
        rules: opts.rules,
        per_source: opts.per_source,
    };
    let mut out = Vec::new();
    let res = ctx.visit(root, &mut Vec::new(), &mut out);
    warnings.append(&mut ctx.warnings.borrow_mut());
    res?;
    Ok(out)
}

/// The refusal of a key given twice with different values where the reading
/// matters.
fn duplicate_with_another_value(key: &str) -> String {
    format!(
        "duplicate key '{key}' with another value; YAML readers disagree on which counts (kubectl takes the last): keep one"
    )
}

/// Whether two values read the same: equal strings, or the same source
/// text for anything else.
fn same_value(text: &str, a: &Node<'_>, b: &Node<'_>) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => x == y,
        _ => {
            text.get(a.start..a.end).is_some()
                && text.get(a.start..a.end) == text.get(b.start..b.end)
        }
    }
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
    warnings: RefCell<Vec<Warning>>,
    /// Collect ConfigMap/Secret references.
    refs: bool,
    /// An opt-in mode: Reloader's or wave's rules decide what is hashed.
    rules: Option<Rules>,
    /// Keep the template's annotations, for the per-source keys.
    per_source: bool,
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
        let (kind, api) = self.identity(node)?;
        self.refuse_odd_tags(node)?;
        // kubectl (apimachinery's unstructured decoder) reads any object
        // with an `items` key as a list, whatever its kind: its objects are
        // the items, and the object itself is not one.
        if let Some((_, list)) = self.unique(node, "items")? {
            if let Kind::Seq(list, _) = &list.kind {
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

    /// The `kind` and `apiVersion` of an object, the last of each as kubectl
    /// reads them. Refuses either key given twice with different values when
    /// one of the readings is a selected workload (or, for config hashes, a
    /// configuration object): YAML readers disagree on which one counts, so
    /// whether to stamp depends on who reads the file.
    fn identity<'n>(&self, node: &'n Node<'_>) -> Result<(&'n str, &'n str), Error> {
        let mut seen: [Vec<&'n str>; 2] = [Vec::new(), Vec::new()];
        let mut twice = None;
        for (k, v) in node.entries().unwrap_or(&[]) {
            let i = match k.as_str() {
                Some("kind") => 0,
                Some("apiVersion") => 1,
                _ => continue,
            };
            let v = v.as_str().unwrap_or_default();
            if seen[i].first().is_some_and(|f| *f != v) && twice.is_none() {
                twice = Some((k.start, ["kind", "apiVersion"][i]));
            }
            seen[i].push(v);
        }
        let last = |v: &[&'n str]| v.last().copied().unwrap_or_default();
        if let Some((at, key)) = twice {
            let or_none = |v: &[&'n str]| if v.is_empty() { vec![""] } else { v.to_vec() };
            let (kinds, apis) = (or_none(&seen[0]), or_none(&seen[1]));
            let matters = kinds.iter().any(|k| {
                (self.refs && crate::confighash::KINDS.contains(k))
                    || apis.iter().any(|a| self.sel.is_selected_kind(k, a))
            });
            if matters {
                return Err(self.err(at, duplicate_with_another_value(key)));
            }
        }
        Ok((last(&seen[0]), last(&seen[1])))
    }

    /// The entry `key` of mapping `map`; an error when `key` appears again
    /// with another value (the same value twice reads the same everywhere).
    fn unique<'n, 'a>(&self, map: &'n Node<'a>, key: &str) -> Result<Option<Entry<'n, 'a>>, Error> {
        let mut found: Option<Entry<'n, 'a>> = None;
        for e in map.entries().unwrap_or(&[]) {
            if e.0.as_str() != Some(key) {
                continue;
            }
            match found {
                Some(first) if !same_value(self.text, &first.1, &e.1) => {
                    return Err(self.err(e.0.start, duplicate_with_another_value(key)));
                }
                Some(_) => {}
                None => found = Some(e),
            }
        }
        Ok(found)
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
            Some((at, tag)) if self.sel.is_selected_kind(text[0], text[1]) => {
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
        let api_version = obj.get_str("apiVersion").unwrap_or("");
        let path = self.sel.template_of(kind, api_version);
        let Some(template) = self.template(obj, kind, name, path.as_ref(), &mut steps)? else {
            return Ok(None);
        };
        let path = path.unwrap_or(TemplatePath::Builtin(template_path(kind)));
        if self.opted_out(meta, template)? {
            return Ok(None);
        }
        let (edits, current, local) = self.template_edits(template, &mut steps)?;
        let (refs, annotations) = self.references(meta, template);
        Ok(Some(Workload {
            refs,
            annotations,
            local,
            id: ObjectId {
                kind: kind.to_string(),
                namespace: namespace.map(str::to_string),
                name: name.map(str::to_string),
            },
            api_version: obj.get_str("apiVersion").map(str::to_string),
            template: path,
            start: obj.start,
            items: items.to_vec(),
            current,
            edits,
        }))
    }

    /// Whether the workload (metadata `meta`, pod template `template`)
    /// opted out of every stamp (`reloader::opt_out`: `reload-stamp/skip`,
    /// Reloader's `auto: "false"`, wave's `update-on-config-change:
    /// "false"`). Its owners kept it out of automatic restarts, so it is
    /// kept out of time stamps and config hashes alike. An opt-out key given
    /// twice with different values is refused, as readers disagree on it.
    fn opted_out(&self, meta: Option<&Node<'_>>, template: &Node<'_>) -> Result<bool, Error> {
        use crate::reloader::{opt_out, RELOADER_AUTO, SKIP, WAVE_REQUIRED};
        fn annotations<'n, 'a>(m: Option<&'n Node<'a>>) -> Option<&'n Node<'a>> {
            m.and_then(|m| m.get("annotations"))
                .map(|(_, a)| a)
                .filter(|a| a.entries().is_some())
        }
        let pod_meta = template.get("metadata").map(|(_, m)| m);
        let (own, pod) = (annotations(meta), annotations(pod_meta));
        for (map, keys) in [
            (own, &[SKIP, RELOADER_AUTO, WAVE_REQUIRED][..]),
            (pod, &[RELOADER_AUTO][..]),
        ] {
            for key in keys {
                if let Some(map) = map {
                    self.unique(map, key)?;
                }
            }
        }
        // Reloader's own rules (an opt-in mode) read `auto` themselves.
        let by_reloader = matches!(self.rules, Some(Rules::Reloader { .. }));
        match opt_out(&own, &pod, by_reloader) {
            Ok(found) => Ok(found.is_some()),
            Err((pos, msg)) => Err(self.err(pos, msg)),
        }
    }

    /// Walks to the pod template of `obj`, pushing each key and value on
    /// the way to `steps`; `None` when there is none (the workload is left
    /// alone).
    fn template<'n, 'a>(
        &self,
        obj: &'n Node<'a>,
        kind: &str,
        name: Option<&str>,
        path: Option<&TemplatePath>,
        steps: &mut Vec<(&'n Node<'a>, &'n Node<'a>)>,
    ) -> Result<Option<&'n Node<'a>>, Error> {
        let mut cur = obj;
        let segments = path.map_or_else(|| template_path(kind).to_vec(), TemplatePath::segments);
        for seg in &segments {
            let Some((k, v)) = self.lookup(cur, seg)? else {
                return self.no_template(obj, cur, kind, name, seg, path.is_none());
            };
            self.editable(v, seg)?;
            if v.entries().is_none() {
                return Ok(None);
            }
            steps.push((k, v));
            cur = v;
        }
        if self.knative_revision_named(obj, cur, kind, name) {
            return Ok(None);
        }
        Ok(Some(cur))
    }

    /// The ConfigMaps and Secrets a workload (metadata `meta`, pod
    /// template `template`) references, in config-hash mode; in an opt-in
    /// mode also its annotations and its template's, which the rules read
    /// themselves (reloader::decide) instead of as references.
    fn references(
        &self,
        meta: Option<&Node<'_>>,
        template: &Node<'_>,
    ) -> (Vec<ConfigRef>, Option<Box<(Annotations, Annotations)>>) {
        let mut refs = match template.get("spec") {
            Some((_, spec)) if self.refs => refs_of(spec),
            _ => Vec::new(),
        };
        let keep = self.rules.is_some() || self.per_source;
        let annotations = keep.then(|| {
            let of = |m: Option<&Node<'_>>| {
                crate::reloader::annotation_map(
                    m.and_then(|m| m.get("annotations")).map(|(_, a)| a),
                )
            };
            Box::new((of(meta), of(template.get("metadata").map(|(_, m)| m))))
        });
        if self.refs && self.rules.is_none() {
            refs.extend(annotation_refs(meta));
        }
        (refs, annotations)
    }

    /// `obj` has no `seg` at `cur` on the way to its pod template: an error
    /// for a kind the table does not know and whose --kind named no path
    /// (never a silent skip), a warning for an Argo Rollout with a
    /// `workloadRef`; else the workload is left alone.
    fn no_template<'n, 'a>(
        &self,
        obj: &Node<'_>,
        cur: &Node<'_>,
        kind: &str,
        name: Option<&str>,
        seg: &str,
        unknown_kind: bool,
    ) -> Result<Option<&'n Node<'a>>, Error> {
        let name = name.unwrap_or("<unnamed>");
        if unknown_kind {
            let group = obj
                .get_str("apiVersion")
                .and_then(|a| a.split_once('/'))
                .map_or(String::new(), |(g, _)| format!("{g}/"));
            return Err(self.err(
                obj.start,
                format!(
                    "{kind} {name} has no pod template at .spec.template, where reload-stamp looks for a kind it does not know: name where it is with --kind {group}{kind}=PATH (e.g. spec.jobTemplate.spec.template)"
                ),
            ));
        }
        if kind == "Rollout" && seg == "template" && cur.get("workloadRef").is_some() {
            self.warnings.borrow_mut().push(Warning::at(
                obj.start,
                format!(
                    "skipped Rollout {name}: it uses spec.workloadRef, not a pod template; stamp the Deployment it refers to"
                ),
            ));
        }
        Ok(None)
    }

    /// Whether `obj` is a Knative Service whose template `template` names
    /// its revision, warned of and skipped: Knative rejects a changed
    /// template that keeps the revision name its owner chose
    /// (pkg/apis/serving/v1/revision_validation.go, VerifyNameChange), so a
    /// stamp alone would not apply.
    fn knative_revision_named(
        &self,
        obj: &Node<'_>,
        template: &Node<'_>,
        kind: &str,
        name: Option<&str>,
    ) -> bool {
        let knative = kind == "Service"
            && obj
                .get_str("apiVersion")
                .is_some_and(|a| a.starts_with("serving.knative.dev/"));
        let revision = template
            .get("metadata")
            .and_then(|(_, m)| m.get_str("name"))
            .filter(|n| !n.is_empty());
        let (true, Some(revision)) = (knative, revision) else {
            return false;
        };
        self.warnings.borrow_mut().push(Warning::at(
            obj.start,
            format!(
                "skipped Knative Service {}: its template names its revision ('{revision}'), and Knative refuses a changed template under the same name; remove spec.template.metadata.name or change it with each stamp",
                name.unwrap_or("<unnamed>")
            ),
        ));
        true
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
}

/// A pod template's edits, the stamp it holds now, and the lines that
/// show the whole edit (see [`Local`]).
type TemplateEdits = (Vec<Edit>, Option<Current>, Option<Local>);
