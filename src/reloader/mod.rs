//! Reloader's and wave's rules, offline: whether a workload is opted out of
//! stamping, and, in the opt-in modes, exactly which ConfigMaps and Secrets
//! its digest covers: those Reloader or wave would restart it for.
//!
//! Pure: the inputs are the workload's annotations, its pod template's
//! annotations, the references its pod spec makes ([`refs_of`]), and the
//! configuration objects of the run ([`Candidate`]); the output is a list
//! of [`ConfigRef`]s for [`workload_hash`]. docs/reloader-wave.md has every
//! rule with the source file it comes from (Reloader@655a2b3,
//! wave@b4e8d70); the tests below cite them row by row.
//!
//! [`refs_of`]: crate::confighash::refs_of
//! [`workload_hash`]: crate::stamp::workload_hash

use std::collections::{BTreeMap, BTreeSet};

use crate::confighash::{ConfigObject, ConfigRef, Containers, Via};
use crate::document::Node;

/// reload-stamp's own opt-out: `reload-stamp/skip: "true"` on a workload
/// keeps it out of time stamps and config hashes alike.
pub const SKIP: &str = "reload-stamp/skip";
/// Reloader's `auto` (its opt-out when `"false"`).
pub const RELOADER_AUTO: &str = "reloader.stakater.com/auto";
/// wave's opt-in (its opt-out when not `"true"`).
pub const WAVE_REQUIRED: &str = "wave.pusher.com/update-on-config-change";

const SEARCH: &str = "reloader.stakater.com/search";
const WAVE_EXTRA_CONFIGMAPS: &str = "wave.pusher.com/extra-configmaps";
const WAVE_EXTRA_SECRETS: &str = "wave.pusher.com/extra-secrets";

/// Reloader's per-type keys (internal/pkg/options/flags.go defaults;
/// pkg/common/config.go GetConfigmapConfig/GetSecretConfig).
struct Typed {
    kind: &'static str,
    reload: &'static str,
    auto: &'static str,
    exclude: &'static str,
}

const TYPED: [Typed; 2] = [
    Typed {
        kind: "ConfigMap",
        reload: "configmap.reloader.stakater.com/reload",
        auto: "configmap.reloader.stakater.com/auto",
        exclude: "configmaps.exclude.reloader.stakater.com/reload",
    },
    Typed {
        kind: "Secret",
        reload: "secret.reloader.stakater.com/reload",
        auto: "secret.reloader.stakater.com/auto",
        exclude: "secrets.exclude.reloader.stakater.com/reload",
    },
];

/// A set of annotations: the value of a key, and the byte offset of the
/// value in the text (for messages; 0 where there is no text).
pub trait Annotations {
    /// The string value of `key`, if present, with its position.
    fn annotation(&self, key: &str) -> Option<(&str, usize)>;
}

/// The `annotations` mapping node of an object, if it has one.
impl Annotations for Option<&Node<'_>> {
    fn annotation(&self, key: &str) -> Option<(&str, usize)> {
        let (_, v) = (*self)?.get(key)?;
        v.as_str().map(|s| (s, v.start))
    }
}

impl Annotations for BTreeMap<String, String> {
    fn annotation(&self, key: &str) -> Option<(&str, usize)> {
        self.get(key).map(|v| (v.as_str(), 0))
    }
}

impl Annotations for &[(&str, &str)] {
    fn annotation(&self, key: &str) -> Option<(&str, usize)> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| (*v, 0))
    }
}

/// The string entries of an `annotations` mapping node, to keep a
/// workload's annotations past its parse (plan's workloads outlive their
/// trees; [`decide`] runs once every ConfigMap and Secret is known).
pub fn annotation_map(node: Option<&Node<'_>>) -> BTreeMap<String, String> {
    let entries = node.and_then(Node::entries).unwrap_or(&[]);
    let mut out = BTreeMap::new();
    for (k, v) in entries {
        if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
            // kubectl takes the last of a key given twice.
            out.insert(k.to_string(), v.to_string());
        }
    }
    out
}

/// Go's `strconv.ParseBool`, which Reloader reads `auto` with.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Why a workload is kept out of every stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptOut {
    /// `reload-stamp/skip: "true"`.
    Native,
    /// `reloader.stakater.com/auto: "false"` (or another false value of
    /// Go's `ParseBool`), on the workload, or on its pod template when the
    /// workload has none (Reloader's fallback).
    Reloader,
    /// `wave.pusher.com/update-on-config-change: "false"` (a false value
    /// of `ParseBool`).
    Wave,
}

/// Whether a workload is opted out, read from its own annotations and its
/// pod template's. `reload-stamp/skip` with a value other than `"true"` or
/// `"false"` is an error (its position and the message): a typo must not
/// silently stamp what its owners meant to keep out.
///
/// Under Reloader's rules (`reloader_rules`), `auto: "false"` is left to
/// them: there it turns off `auto` only, and a named list still counts
/// (pkg/common/common.go ShouldReload). Elsewhere it keeps the workload
/// out, the one reading that never restarts what its owners kept out.
pub fn opt_out(
    workload: &dyn Annotations,
    pod: &dyn Annotations,
    reloader_rules: bool,
) -> Result<Option<OptOut>, (usize, String)> {
    match workload.annotation(SKIP) {
        Some(("true", _)) => return Ok(Some(OptOut::Native)),
        Some(("false", _)) | None => {}
        Some((other, pos)) => {
            return Err((
                pos,
                format!(
                    "'{SKIP}: {other:?}': the value must be \"true\" (never stamp this workload) or \"false\""
                ),
            ))
        }
    }
    let auto = workload
        .annotation(RELOADER_AUTO)
        .or_else(|| pod.annotation(RELOADER_AUTO));
    if !reloader_rules && auto.and_then(|(v, _)| parse_bool(v)) == Some(false) {
        return Ok(Some(OptOut::Reloader));
    }
    let wave = workload.annotation(WAVE_REQUIRED);
    if wave.and_then(|(v, _)| parse_bool(v)) == Some(false) {
        return Ok(Some(OptOut::Wave));
    }
    Ok(None)
}

/// Whose rules an opt-in run follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    /// stakater/Reloader.
    Reloader {
        /// Its `--auto-reload-all`: every workload is `auto` unless it
        /// says otherwise.
        auto_reload_all: bool,
    },
    /// wave-k8s/wave (formerly pusher/wave).
    Wave,
}

/// A ConfigMap or Secret of the run, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub kind: &'static str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `reloader.stakater.com/ignore: "true"`.
    pub ignored: bool,
    /// `reloader.stakater.com/match: "true"`.
    pub matched: bool,
}

impl<'a> From<&'a ConfigObject> for Candidate<'a> {
    fn from(o: &'a ConfigObject) -> Self {
        Candidate {
            kind: o.kind,
            name: &o.name,
            namespace: o.namespace.as_deref(),
            ignored: o.ignored,
            matched: o.matched,
        }
    }
}

/// One workload, as the rules see it.
pub struct Workload<'a> {
    /// Its `metadata.annotations`.
    pub annotations: &'a dyn Annotations,
    /// Its pod template's `metadata.annotations`.
    pub pod_annotations: &'a dyn Annotations,
    /// Its `metadata.namespace` as written.
    pub namespace: Option<&'a str>,
    /// The references of its pod spec ([`crate::confighash::refs_of`]);
    /// annotation references (`Via::Annotation`) are not read: the rules
    /// read the annotations themselves.
    pub refs: &'a [ConfigRef],
}

/// What the rules say about one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the tool would act on it at all; `false` means it is not
    /// stamped in the opt-in mode.
    pub opted_in: bool,
    /// What its digest covers, one entry per reference: an object among
    /// the candidates, or a name the rules want that is not among them
    /// (non-optional ones warn as any missing reference does).
    pub sources: Vec<ConfigRef>,
    /// Whether `reloader.stakater.com/ignore` still leaves an object out
    /// (Reloader: it is already applied here; wave does not know it).
    pub honour_ignore: bool,
    /// Things to tell the user, with positions: a regex that does not
    /// compile (Reloader logs and skips it) or that matches nothing among
    /// the inputs.
    pub notes: Vec<(usize, String)>,
}

/// The sources of workload `w` under `rules`, given the configuration
/// objects of the run. An opted-out workload ([`opt_out`]) should not get
/// here; if it does, its opt-out still holds.
pub fn decide(rules: Rules, w: &Workload<'_>, candidates: &[Candidate<'_>]) -> Decision {
    let by_reloader = matches!(rules, Rules::Reloader { .. });
    let out = Ok(None) != opt_out(w.annotations, w.pod_annotations, by_reloader);
    let mut d = match rules {
        Rules::Reloader { auto_reload_all } => reloader(auto_reload_all, w, candidates),
        Rules::Wave => wave(w),
    };
    if out {
        d.opted_in = false;
        d.sources.clear();
    }
    d
}

/// An entry of a named list that is a plain object name: kept as a
/// reference when no candidate has it, so the user hears it is missing.
fn is_object_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// Reloader: pkg/common/common.go ShouldReload, asked for every object of
/// the workload's namespace, and handler/upgrade.go
/// getContainerUsingResource for the rules that need a reference.
fn reloader(auto_reload_all: bool, w: &Workload<'_>, candidates: &[Candidate<'_>]) -> Decision {
    let mut d = Decision {
        opted_in: false,
        sources: Vec::new(),
        honour_ignore: true,
        notes: Vec::new(),
    };
    for t in &TYPED {
        let asked = Asked::read(t, w, auto_reload_all, &mut d.notes);
        d.opted_in |= asked.opts_in();
        let matched_entries = object_sources(t, &asked, w, candidates, &mut d.sources);
        unmatched_entries(t, &asked, &matched_entries, &mut d);
    }
    d
}

/// What a workload's annotations ask of Reloader for one type, read once
/// so that the pass over objects and the report of unmatched entries see
/// the same thing.
struct Asked<'a> {
    /// The type's named list as written, and its position (for messages).
    list: &'a str,
    list_pos: usize,
    /// The names the workload's exclude list keeps out.
    excluded: Vec<&'a str>,
    /// `search: "true"`: objects with `match: "true"` count.
    search: bool,
    /// `auto` or the typed auto is on (or `--auto-reload-all` with neither).
    auto_on: bool,
    /// The list's entries that compile, each with its anchored regex.
    patterns: Vec<(&'a str, regex::Regex)>,
}

impl<'a> Asked<'a> {
    /// Reads type `t`'s keys; a list entry that is no regex gets a note.
    fn read(
        t: &Typed,
        w: &Workload<'a>,
        auto_reload_all: bool,
        notes: &mut Vec<(usize, String)>,
    ) -> Self {
        let ann = type_annotations(t, w);
        let get = |k: &str| ann.annotation(k).map_or("", |(v, _)| v);
        let (list, list_pos) = ann.annotation(t.reload).unwrap_or(("", 0));
        // The exclude list is read from the workload alone.
        let excluded: Vec<&str> = w
            .annotations
            .annotation(t.exclude)
            .map(|(v, _)| v.split(',').map(str::trim).collect())
            .unwrap_or_default();
        let (auto, typed) = (get(RELOADER_AUTO), get(t.auto));
        let auto_on = parse_bool(auto) == Some(true)
            || parse_bool(typed) == Some(true)
            || (auto.is_empty() && typed.is_empty() && auto_reload_all);
        Asked {
            list,
            list_pos,
            excluded,
            search: get(SEARCH) == "true",
            auto_on,
            patterns: list_patterns(t, list, list_pos, notes),
        }
    }

    /// Whether Reloader acts on the workload for this type at all.
    fn opts_in(&self) -> bool {
        !self.list.trim().is_empty() || self.search || self.auto_on
    }
}

/// The annotations that count for type `t`: the pod template's when the
/// workload has none of the type's keys (ShouldReload l. 246-252).
fn type_annotations<'a>(t: &Typed, w: &Workload<'a>) -> &'a dyn Annotations {
    let own = w.annotations;
    let keys = [t.reload, RELOADER_AUTO, t.auto, SEARCH];
    if keys.iter().any(|k| own.annotation(k).is_some()) {
        own
    } else {
        w.pod_annotations
    }
}

/// The entries of a named list as Reloader compiles them; one that does
/// not compile is noted and skipped, as Reloader logs and skips it.
fn list_patterns<'a>(
    t: &Typed,
    list: &'a str,
    list_pos: usize,
    notes: &mut Vec<(usize, String)>,
) -> Vec<(&'a str, regex::Regex)> {
    let mut patterns = Vec::new();
    for entry in list.split(',').map(str::trim) {
        // Exactly Reloader's "^" + entry + "$" (l. 282): `a|b` is
        // anchored on one side each, as there.
        match regex::Regex::new(&format!("^{entry}$")) {
            Ok(re) => patterns.push((entry, re)),
            Err(e) => notes.push((
                list_pos,
                format!(
                    "'{}': '{entry}' is not a valid regular expression; Reloader skips it: {e}",
                    t.reload
                ),
            )),
        }
    }
    patterns
}

/// Pushes the objects of type `t` Reloader would restart the workload for,
/// among the candidates of its namespace and the names its pod spec
/// references; returns the list entries that matched any of those names
/// (ignored and excluded ones too), so the rest can be reported.
fn object_sources<'a>(
    t: &Typed,
    asked: &Asked<'a>,
    w: &Workload<'_>,
    candidates: &[Candidate<'_>],
    sources: &mut Vec<ConfigRef>,
) -> BTreeSet<&'a str> {
    let refs: Vec<&ConfigRef> = w
        .refs
        .iter()
        .filter(|r| r.kind == t.kind && r.via != Via::Annotation && r.namespace.is_none())
        .collect();
    let here: Vec<&Candidate<'_>> = candidates
        .iter()
        .filter(|c| c.kind == t.kind && c.namespace == w.namespace)
        .collect();
    let names: BTreeSet<&str> = here
        .iter()
        .map(|c| c.name)
        .chain(refs.iter().map(|r| r.name.as_str()))
        .collect();
    let mut matched_entries = BTreeSet::new();
    for name in names {
        let cand = here.iter().find(|c| c.name == name);
        let of_name: Vec<&&ConfigRef> = refs.iter().filter(|r| r.name == name).collect();
        let by_list = asked.patterns.iter().find(|(_, re)| re.is_match(name));
        // An entry that names an ignored or excluded object matched:
        // it is not reported missing.
        for (entry, re) in &asked.patterns {
            if re.is_match(name) {
                matched_entries.insert(*entry);
            }
        }
        if cand.is_some_and(|c| c.ignored) || asked.excluded.contains(&name) {
            continue;
        }
        let by_match = asked.search && cand.is_some_and(|c| c.matched);
        let counts = by_list.is_some() || ((by_match || asked.auto_on) && referenced(&of_name));
        if counts {
            sources.push(object_source(
                t,
                name,
                &of_name,
                cand.is_some(),
                asked.list_pos,
            ));
        }
    }
    matched_entries
}

/// The source for object `name`: placed at its first pod-spec reference
/// (or the named list when it has none), optional only when every
/// reference is and it is not among the inputs.
fn object_source(
    t: &Typed,
    name: &str,
    of_name: &[&&ConfigRef],
    in_inputs: bool,
    list_pos: usize,
) -> ConfigRef {
    let (pos, optional) = match of_name.first() {
        Some(r) => (r.pos, of_name.iter().all(|r| r.optional)),
        None => (list_pos, false),
    };
    ConfigRef {
        kind: t.kind,
        name: name.to_string(),
        namespace: None,
        // Reloader's SHA covers every key (util.go GetSHAfromConfigmap).
        keys: None,
        optional: optional && !in_inputs,
        pos,
        via: of_name.first().map_or(Via::Annotation, |r| r.via),
    }
}

/// The list entries that matched no name: a plain object name becomes a
/// reference (so the caller's missing-reference warning names it, unless
/// it is excluded); a pattern gets a note.
fn unmatched_entries(t: &Typed, asked: &Asked<'_>, matched: &BTreeSet<&str>, d: &mut Decision) {
    for (entry, _) in &asked.patterns {
        if entry.is_empty() || matched.contains(entry) {
            continue;
        }
        if is_object_name(entry) {
            if !asked.excluded.contains(entry) {
                d.sources.push(ConfigRef {
                    kind: t.kind,
                    name: entry.to_string(),
                    namespace: None,
                    keys: None,
                    optional: false,
                    pos: asked.list_pos,
                    via: Via::Annotation,
                });
            }
        } else {
            d.notes.push((
                asked.list_pos,
                format!(
                    "'{}': '{entry}' matches no {} among the inputs in this namespace",
                    t.reload, t.kind
                ),
            ));
        }
    }
}

/// Whether the pod spec references an object the way Reloader's
/// getContainerUsingResource finds it: the first volume naming it, if a
/// container or init container mounts it, or an env/envFrom of a container
/// or init container (never an ephemeral container).
fn referenced(refs: &[&&ConfigRef]) -> bool {
    let first_volume = refs.iter().find(|r| matches!(r.via, Via::Volume { .. }));
    matches!(
        first_volume.map(|r| r.via),
        Some(Via::Volume { mounted: true, .. })
    ) || refs
        .iter()
        .any(|r| matches!(r.via, Via::Env(Containers::Init | Containers::Main)))
}

/// wave: pkg/core/required_annotation.go hasRequiredAnnotation and
/// pkg/core/children.go getChildNamesByType.
fn wave(w: &Workload<'_>) -> Decision {
    let opted_in = w
        .annotations
        .annotation(WAVE_REQUIRED)
        .is_some_and(|(v, _)| v == "true");
    let mut sources = Vec::new();
    if opted_in {
        for r in w.refs {
            match r.via {
                // A plain volume counts whole, `items` or not.
                Via::Volume {
                    projected: false, ..
                } => sources.push(ConfigRef {
                    keys: None,
                    ..r.clone()
                }),
                Via::Volume {
                    projected: true, ..
                }
                | Via::Env(Containers::Main) => sources.push(r.clone()),
                Via::Env(_) | Via::Annotation => {}
            }
        }
        for (key, kind) in [
            (WAVE_EXTRA_CONFIGMAPS, "ConfigMap"),
            (WAVE_EXTRA_SECRETS, "Secret"),
        ] {
            let Some((list, pos)) = w.annotations.annotation(key) else {
                continue;
            };
            // Not trimmed: wave splits on ',' and '/' only.
            for entry in list.split(',') {
                let parts: Vec<&str> = entry.split('/').collect();
                let (namespace, name) = match parts[..] {
                    [name] => (None, name),
                    [ns, name] => (Some(ns.to_string()), name),
                    _ => continue,
                };
                if name.is_empty() {
                    continue;
                }
                sources.push(ConfigRef {
                    kind,
                    name: name.to_string(),
                    namespace,
                    keys: None,
                    optional: false,
                    pos,
                    via: Via::Annotation,
                });
            }
        }
    }
    Decision {
        opted_in,
        sources,
        honour_ignore: false,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
