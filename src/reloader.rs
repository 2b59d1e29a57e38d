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
mod tests {
    //! One row per rule. R = stakater/Reloader@655a2b3, W = wave-k8s/wave@b4e8d70;
    //! each row cites where its expected restart set comes from.
    use super::*;

    const MOUNTED: Via = Via::Volume {
        projected: false,
        mounted: true,
    };
    const UNMOUNTED: Via = Via::Volume {
        projected: false,
        mounted: false,
    };
    const PROJECTED: Via = Via::Volume {
        projected: true,
        mounted: true,
    };
    const ENV: Via = Via::Env(Containers::Main);
    const INIT: Via = Via::Env(Containers::Init);
    const EPHEMERAL: Via = Via::Env(Containers::Ephemeral);

    fn r(kind: &'static str, name: &str, via: Via, keys: &[&str]) -> ConfigRef {
        ConfigRef {
            kind,
            name: name.to_string(),
            namespace: None,
            keys: (!keys.is_empty()).then(|| keys.iter().map(|k| k.to_string()).collect()),
            optional: false,
            pos: 0,
            via,
        }
    }

    fn cm(name: &str, via: Via) -> ConfigRef {
        r("ConfigMap", name, via, &[])
    }

    fn secret(name: &str, via: Via) -> ConfigRef {
        r("Secret", name, via, &[])
    }

    /// `ConfigMap/a`, `Secret/ns/b`, `ConfigMap/a[k]` (the keys used).
    fn show(s: &ConfigRef) -> String {
        let ns = s
            .namespace
            .as_ref()
            .map_or(String::new(), |n| format!("{n}/"));
        let keys = s
            .keys
            .as_ref()
            .map_or(String::new(), |k| format!("[{}]", k.join(",")));
        format!("{}/{ns}{}{keys}", s.kind, s.name)
    }

    /// The run's objects: ConfigMaps a, b, app-config-1, app-config-2,
    /// other, Secrets s, t; `flags` marks some ignored ('i') or matched ('m').
    fn candidates(flags: &[(&str, char)]) -> Vec<Candidate<'static>> {
        let cms = ["a", "b", "app-config-1", "app-config-2", "other"];
        let all = cms
            .iter()
            .map(|n| ("ConfigMap", *n))
            .chain([("Secret", "s"), ("Secret", "t")]);
        all.map(|(kind, name)| Candidate {
            kind,
            name,
            namespace: None,
            ignored: flags.contains(&(name, 'i')),
            matched: flags.contains(&(name, 'm')),
        })
        .collect()
    }

    struct Row {
        what: &'static str,
        rules: Rules,
        annotations: &'static [(&'static str, &'static str)],
        pod: &'static [(&'static str, &'static str)],
        refs: Vec<ConfigRef>,
        flags: &'static [(&'static str, char)],
        opted_in: bool,
        /// The restart set the tool would have.
        want: &'static [&'static str],
    }

    const RELOADER: Rules = Rules::Reloader {
        auto_reload_all: false,
    };
    const RELOADER_ALL: Rules = Rules::Reloader {
        auto_reload_all: true,
    };

    fn rows() -> Vec<Row> {
        let ab = || vec![cm("a", ENV), cm("b", ENV)];
        vec![
            // R pkg/common/common.go ShouldReload l. 317: no rule, no reload.
            Row {
                what: "reloader: no annotation",
                rules: RELOADER,
                annotations: &[],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            // R ShouldReload l. 307-315 (auto) + handler/upgrade.go
            // getContainerUsingResource: every referenced object, both types.
            Row {
                what: "reloader: auto",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[],
                refs: vec![cm("a", ENV), secret("s", MOUNTED)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a", "Secret/s"],
            },
            // R upgrade.go getVolumeMountName + getContainerWithVolumeMount:
            // a volume nothing mounts is no reference.
            Row {
                what: "reloader: auto, unmounted volume",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[],
                refs: vec![cm("b", UNMOUNTED)],
                flags: &[],
                opted_in: true,
                want: &[],
            },
            // R upgrade.go getContainerWithEnvReference: containers and
            // initContainers only, never ephemeral ones.
            Row {
                what: "reloader: auto, init and ephemeral containers",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[],
                refs: vec![cm("a", INIT), cm("b", EPHEMERAL)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            // R ShouldReload l. 307-309: the typed auto is for its type only.
            Row {
                what: "reloader: configmap auto",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/auto", "true")],
                pod: &[],
                refs: vec![cm("a", ENV), secret("s", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: secret auto",
                rules: RELOADER,
                annotations: &[("secret.reloader.stakater.com/auto", "true")],
                pod: &[],
                refs: vec![cm("a", ENV), secret("s", PROJECTED)],
                flags: &[],
                opted_in: true,
                want: &["Secret/s"],
            },
            // R ShouldReload l. 309: `auto || typedAuto`: a typed "true"
            // wins over auto "false" for its type.
            Row {
                what: "reloader: auto false, configmap auto true",
                rules: RELOADER,
                annotations: &[
                    (RELOADER_AUTO, "false"),
                    ("configmap.reloader.stakater.com/auto", "true"),
                ],
                pod: &[],
                refs: vec![cm("a", ENV), secret("s", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            // R ShouldReload l. 307: ParseBool("yes") fails: not on.
            Row {
                what: "reloader: auto yes",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "yes")],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            // R ShouldReload l. 278-294 + getContainerUsingResource l. 503-510:
            // a named list needs no reference, and is all that counts.
            Row {
                what: "reloader: named list",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "a,b")],
                pod: &[],
                refs: vec![cm("other", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a", "ConfigMap/b"],
            },
            // R ShouldReload l. 278-294: the secret list names Secrets only;
            // a referenced ConfigMap does not count.
            Row {
                what: "reloader: secret list is restrictive",
                rules: RELOADER,
                annotations: &[("secret.reloader.stakater.com/reload", "s")],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["Secret/s"],
            },
            // R ShouldReload l. 282: regexp.Compile("^" + value + "$").
            Row {
                what: "reloader: named regex",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "app-config-.*")],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/app-config-1", "ConfigMap/app-config-2"],
            },
            // Anchored: `app` is not `app-config-1`; a plain name that is not
            // among the inputs stays, to be warned about as missing.
            Row {
                what: "reloader: named list is anchored",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "app")],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/app"],
            },
            // "^a|b$" as Go reads it: "^a" or "b$".
            Row {
                what: "reloader: alternation anchored on one side each",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "a|b")],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &[
                    "ConfigMap/a",
                    "ConfigMap/app-config-1",
                    "ConfigMap/app-config-2",
                    "ConfigMap/b",
                ],
            },
            // R ShouldReload l. 284-285: an entry that does not compile is
            // skipped (a note says so); the others still count.
            Row {
                what: "reloader: invalid regex skipped",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "a(, b")],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/b"],
            },
            // R ShouldReload l. 296-305: search + match, referenced only.
            Row {
                what: "reloader: search and match",
                rules: RELOADER,
                annotations: &[(SEARCH, "true")],
                pod: &[],
                refs: vec![cm("a", ENV), cm("b", ENV)],
                flags: &[("a", 'm'), ("other", 'm')],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            // R ShouldReload l. 254-276, checkIfResourceIsExcluded: literal
            // names, trimmed, before every other rule.
            Row {
                what: "reloader: exclude list",
                rules: RELOADER,
                annotations: &[
                    (RELOADER_AUTO, "true"),
                    ("configmaps.exclude.reloader.stakater.com/reload", "b"),
                ],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: exclude beats a named list",
                rules: RELOADER,
                annotations: &[
                    ("configmap.reloader.stakater.com/reload", "a,b"),
                    ("configmaps.exclude.reloader.stakater.com/reload", " b "),
                ],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: exclude is literal",
                rules: RELOADER,
                annotations: &[
                    (RELOADER_AUTO, "true"),
                    (
                        "configmaps.exclude.reloader.stakater.com/reload",
                        "app-config-.*",
                    ),
                ],
                pod: &[],
                refs: vec![cm("app-config-1", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/app-config-1"],
            },
            Row {
                what: "reloader: secrets exclude list",
                rules: RELOADER,
                annotations: &[
                    (RELOADER_AUTO, "true"),
                    ("secrets.exclude.reloader.stakater.com/reload", "s"),
                ],
                pod: &[],
                refs: vec![secret("s", ENV), secret("t", ENV)],
                flags: &[],
                opted_in: true,
                want: &["Secret/t"],
            },
            // R ShouldReload l. 242-244: exclude lists are read from the
            // workload only, never from the pod template.
            Row {
                what: "reloader: exclude not read from the pod template",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[("configmaps.exclude.reloader.stakater.com/reload", "b")],
                refs: ab(),
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a", "ConfigMap/b"],
            },
            // R ShouldReload l. 231-236: ignore on the object, first of all.
            Row {
                what: "reloader: ignore",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[],
                refs: ab(),
                flags: &[("b", 'i')],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: ignore beats a named list",
                rules: RELOADER,
                annotations: &[("configmap.reloader.stakater.com/reload", "a")],
                pod: &[],
                refs: vec![],
                flags: &[("a", 'i')],
                opted_in: true,
                want: &[],
            },
            // R ShouldReload l. 246-252: the pod template's annotations
            // when the workload has none of the type's keys.
            Row {
                what: "reloader: pod-template fallback",
                rules: RELOADER,
                annotations: &[],
                pod: &[(RELOADER_AUTO, "true")],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: fallback is per type",
                rules: RELOADER,
                annotations: &[("secret.reloader.stakater.com/reload", "s")],
                pod: &[("configmap.reloader.stakater.com/reload", "a")],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a", "Secret/s"],
            },
            Row {
                what: "reloader: no fallback when the workload has auto",
                rules: RELOADER,
                annotations: &[(RELOADER_AUTO, "true")],
                pod: &[("configmap.reloader.stakater.com/reload", "other")],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            // R ShouldReload l. 309: --auto-reload-all, unless auto is set.
            Row {
                what: "reloader: auto-reload-all",
                rules: RELOADER_ALL,
                annotations: &[],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            Row {
                what: "reloader: auto-reload-all, auto false",
                rules: RELOADER_ALL,
                annotations: &[(RELOADER_AUTO, "false")],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: false,
                want: &[],
            },
            // R ShouldReload: auto "false" turns off auto only; the named
            // list (l. 278-294) is checked before it.
            Row {
                what: "reloader: auto false with a named list",
                rules: RELOADER,
                annotations: &[
                    (RELOADER_AUTO, "false"),
                    ("configmap.reloader.stakater.com/reload", "b"),
                ],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/b"],
            },
            // reload-stamp's own opt-out holds under any rules.
            Row {
                what: "reloader: reload-stamp/skip",
                rules: RELOADER,
                annotations: &[(SKIP, "true"), (RELOADER_AUTO, "true")],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            // W pkg/core/required_annotation.go hasRequiredAnnotation.
            Row {
                what: "wave: no annotation",
                rules: Rules::Wave,
                annotations: &[],
                pod: &[(WAVE_REQUIRED, "true")],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            Row {
                what: "wave: True is not true",
                rules: Rules::Wave,
                annotations: &[(WAVE_REQUIRED, "True")],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            Row {
                what: "wave: false",
                rules: Rules::Wave,
                annotations: &[(WAVE_REQUIRED, "false")],
                pod: &[],
                refs: ab(),
                flags: &[],
                opted_in: false,
                want: &[],
            },
            // W pkg/core/children.go getChildNamesByType l. 107-141, 167-198:
            // a plain volume counts whole even with items (l. 108-113), a
            // projected one its items, an env keyRef its key, envFrom all;
            // an unmounted volume counts; init and ephemeral containers not.
            Row {
                what: "wave: references",
                rules: Rules::Wave,
                annotations: &[(WAVE_REQUIRED, "true")],
                pod: &[],
                refs: vec![
                    r("ConfigMap", "a", ENV, &["k"]),
                    r("Secret", "s", UNMOUNTED, &["x"]),
                    r("ConfigMap", "b", PROJECTED, &["y"]),
                    cm("other", INIT),
                    secret("t", EPHEMERAL),
                ],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a[k]", "ConfigMap/b[y]", "Secret/s"],
            },
            // W children.go l. 143-164: extra-configmaps/-secrets, `ns/name`
            // or `name`, split on ',' and '/' without trimming; more than
            // two parts are dropped.
            Row {
                what: "wave: extra-configmaps and extra-secrets",
                rules: Rules::Wave,
                annotations: &[
                    (WAVE_REQUIRED, "true"),
                    (WAVE_EXTRA_CONFIGMAPS, "ns/a,b"),
                    (WAVE_EXTRA_SECRETS, "s, t,x/y/z"),
                ],
                pod: &[],
                refs: vec![],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/ns/a", "ConfigMap/b", "Secret/s", "Secret/ t"],
            },
            // wave knows no ignore annotation (W pkg/core/hash.go hashes
            // every child found).
            Row {
                what: "wave: reloader's ignore means nothing",
                rules: Rules::Wave,
                annotations: &[(WAVE_REQUIRED, "true")],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[("a", 'i')],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
            // W reads the workload's annotations only: Reloader's mean nothing.
            Row {
                what: "wave: reloader's named list means nothing",
                rules: Rules::Wave,
                annotations: &[
                    (WAVE_REQUIRED, "true"),
                    ("configmap.reloader.stakater.com/reload", "b"),
                ],
                pod: &[],
                refs: vec![cm("a", ENV)],
                flags: &[],
                opted_in: true,
                want: &["ConfigMap/a"],
            },
        ]
    }

    #[test]
    fn restart_sets_are_the_tools() {
        for row in rows() {
            let cands = candidates(row.flags);
            let w = Workload {
                annotations: &row.annotations,
                pod_annotations: &row.pod,
                namespace: None,
                refs: &row.refs,
            };
            let d = decide(row.rules, &w, &cands);
            let mut got: Vec<String> = d.sources.iter().map(show).collect();
            got.sort();
            let mut want: Vec<String> = row.want.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "{}", row.what);
            assert_eq!(d.opted_in, row.opted_in, "{}", row.what);
            assert_eq!(d.honour_ignore, row.rules != Rules::Wave, "{}", row.what);
        }
    }

    #[test]
    fn notes_say_what_matched_nothing_or_did_not_compile() {
        let ann: &[(&str, &str)] =
            &[("configmap.reloader.stakater.com/reload", "a(,zz-.*,missing")];
        let none: &[(&str, &str)] = &[];
        let w = Workload {
            annotations: &ann,
            pod_annotations: &none,
            namespace: None,
            refs: &[],
        };
        let d = decide(RELOADER, &w, &candidates(&[]));
        let notes: Vec<&str> = d.notes.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(
            notes[0].contains("'a(' is not a valid regular expression"),
            "{notes:?}"
        );
        assert!(
            notes[1].contains("'zz-.*' matches no ConfigMap"),
            "{notes:?}"
        );
        // The plain name is a reference, to be warned about as missing.
        assert_eq!(
            d.sources.iter().map(show).collect::<Vec<_>>(),
            ["ConfigMap/missing"]
        );
    }

    #[test]
    fn namespaces_are_the_workloads() {
        // R lists workloads in the changed object's namespace only
        // (handler/upgrade.go PerformAction, ItemsFunc(config.Namespace)).
        let cands = [Candidate {
            kind: "ConfigMap",
            name: "app-config-1",
            namespace: Some("prod"),
            ignored: false,
            matched: false,
        }];
        let ann: &[(&str, &str)] = &[("configmap.reloader.stakater.com/reload", "app-config-.*")];
        let pod: &[(&str, &str)] = &[];
        for (ns, want) in [(Some("prod"), 1), (Some("dev"), 0), (None, 0)] {
            let w = Workload {
                annotations: &ann,
                pod_annotations: &pod,
                namespace: ns,
                refs: &[],
            };
            assert_eq!(decide(RELOADER, &w, &cands).sources.len(), want, "{ns:?}");
        }
    }

    #[test]
    fn opt_outs() {
        type A = &'static [(&'static str, &'static str)];
        type Want = Result<Option<OptOut>, ()>;
        let rows: &[(A, A, bool, Want)] = &[
            (&[], &[], false, Ok(None)),
            (&[(SKIP, "true")], &[], false, Ok(Some(OptOut::Native))),
            (&[(SKIP, "true")], &[], true, Ok(Some(OptOut::Native))),
            (&[(SKIP, "false")], &[], false, Ok(None)),
            (&[(SKIP, "yes")], &[], false, Err(())),
            // Go's ParseBool false values (R pkg/common/common.go l. 307).
            (
                &[(RELOADER_AUTO, "false")],
                &[],
                false,
                Ok(Some(OptOut::Reloader)),
            ),
            (
                &[(RELOADER_AUTO, "0")],
                &[],
                false,
                Ok(Some(OptOut::Reloader)),
            ),
            (&[(RELOADER_AUTO, "no")], &[], false, Ok(None)),
            (&[(RELOADER_AUTO, "true")], &[], false, Ok(None)),
            // The pod template's, as Reloader's fallback reads it
            // (ShouldReload l. 246-252), unless the workload has its own.
            (
                &[],
                &[(RELOADER_AUTO, "false")],
                false,
                Ok(Some(OptOut::Reloader)),
            ),
            (
                &[(RELOADER_AUTO, "true")],
                &[(RELOADER_AUTO, "false")],
                false,
                Ok(None),
            ),
            // Under Reloader's rules, auto "false" is theirs to read.
            (&[(RELOADER_AUTO, "false")], &[], true, Ok(None)),
            // W required_annotation.go: anything but "true" is out; the
            // false values count as an opt-out everywhere.
            (
                &[(WAVE_REQUIRED, "false")],
                &[],
                false,
                Ok(Some(OptOut::Wave)),
            ),
            (
                &[(WAVE_REQUIRED, "False")],
                &[],
                true,
                Ok(Some(OptOut::Wave)),
            ),
            (&[(WAVE_REQUIRED, "true")], &[], false, Ok(None)),
            // wave reads the workload only.
            (&[], &[(WAVE_REQUIRED, "false")], false, Ok(None)),
        ];
        for (i, (own, pod, by_reloader, want)) in rows.iter().enumerate() {
            let got = opt_out(own, pod, *by_reloader).map_err(|_| ());
            assert_eq!(&got, want, "row {i}: {own:?} {pod:?}");
        }
        let (own, pod): (A, A) = (&[(SKIP, "yes")], &[]);
        let err = opt_out(&own, &pod, false).unwrap_err();
        assert!(err.1.contains("must be \"true\""), "{}", err.1);
    }

    /// How the config-hash code calls the module: references from
    /// `refs_of`, candidates from `object_of`, annotations kept with
    /// `annotation_map`, and the sources in place of the workload's refs.
    #[test]
    fn wiring_from_parsed_documents() {
        use crate::confighash::{object_of, refs_of};
        use crate::document::{parse_all, Mode};
        let text = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config-1}
data: {a: '1'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: flags, annotations: {reloader.stakater.com/match: 'true'}}
data: {b: '2'}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
data: {t: dA==}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    configmap.reloader.stakater.com/reload: app-config-.*
    reloader.stakater.com/search: 'true'
spec:
  template:
    metadata:
      annotations: {ignored: 'x'}
    spec:
      volumes:
      - name: f
        configMap: {name: flags}
      - name: unused
        secret: {secretName: token}
      containers:
      - name: web
        volumeMounts: [{name: f, mountPath: /f}]
";
        let docs = parse_all(text, Mode::Full).expect("parses");
        let roots: Vec<&Node<'_>> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
        let objects: Vec<ConfigObject> = roots
            .iter()
            .filter_map(|r| object_of(r).expect("valid"))
            .collect();
        let candidates: Vec<Candidate<'_>> = objects.iter().map(Candidate::from).collect();
        let web = roots[3];
        fn get<'n, 'a>(n: &'n Node<'a>, path: &[&str]) -> Option<&'n Node<'a>> {
            let mut cur = Some(n);
            for p in path {
                cur = cur.and_then(|c| c.get(p)).map(|(_, v)| v);
            }
            cur
        }
        let own = annotation_map(get(web, &["metadata", "annotations"]));
        let pod = annotation_map(get(web, &["spec", "template", "metadata", "annotations"]));
        assert_eq!(pod.get("ignored").map(String::as_str), Some("x"));
        let refs = refs_of(get(web, &["spec", "template", "spec"]).expect("pod spec"));
        let w = Workload {
            annotations: &own,
            pod_annotations: &pod,
            namespace: None,
            refs: &refs,
        };
        let d = decide(RELOADER, &w, &candidates);
        // The named regex finds app-config-1 unreferenced; search + match
        // finds flags through its mounted volume; the Secret's volume is
        // mounted by nothing, and no rule names it anyway.
        let got: Vec<String> = d.sources.iter().map(show).collect();
        assert_eq!(got, ["ConfigMap/app-config-1", "ConfigMap/flags"]);
        assert!(d.opted_in && d.notes.is_empty(), "{d:?}");
    }

    #[test]
    fn go_parse_bool() {
        for s in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(s), Some(true), "{s}");
        }
        for s in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(s), Some(false), "{s}");
        }
        for s in ["", "yes", "tRUE", " true"] {
            assert_eq!(parse_bool(s), None, "{s}");
        }
    }
}
