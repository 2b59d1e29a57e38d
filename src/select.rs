//! Which documents are workloads to stamp: kinds, API groups and filters.

use crate::error::Error;
use crate::labels::LabelSelector;

/// A kind to stamp, optionally restricted to one API group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindSpec {
    /// `None` matches any group; `Some("")` is the core group.
    pub groups: Option<Vec<String>>,
    pub kind: String,
    /// Where its pod template is, when named (`--kind G/K=PATH`).
    pub template: Option<TemplatePath>,
}

/// Where a kind's pod template is: the keys from the object to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePath {
    /// A kind of the built-in table ([`template_path`]).
    Builtin(&'static [&'static str]),
    /// Named with `--kind GROUP/KIND=PATH`.
    Custom(std::sync::Arc<[String]>),
}

impl TemplatePath {
    /// The keys, in order.
    pub fn segments(&self) -> Vec<&str> {
        match self {
            TemplatePath::Builtin(p) => p.to_vec(),
            TemplatePath::Custom(p) => p.iter().map(String::as_str).collect(),
        }
    }
}

impl KindSpec {
    /// Parses `Kind`, `group/Kind`, or either with `=PATH`: the pod
    /// template's path (`spec.template`, `.spec.jobTemplate.spec.template`).
    pub fn parse(arg: &str) -> Result<KindSpec, Error> {
        let (s, path) = match arg.split_once('=') {
            Some((s, p)) => (s, Some(p)),
            None => (arg, None),
        };
        let template = match path {
            None => None,
            Some(p) => {
                let segs: Vec<String> = p
                    .strip_prefix('.')
                    .unwrap_or(p)
                    .split('.')
                    .map(str::to_string)
                    .collect();
                if segs.iter().any(String::is_empty) {
                    return Err(Error::usage(format!(
                        "invalid pod template path in kind '{arg}': expected dot-separated keys, e.g. spec.template"
                    )));
                }
                Some(TemplatePath::Custom(segs.into()))
            }
        };
        let (group, kind) = match s.rsplit_once('/') {
            Some((g, k)) => (Some(g), k),
            None => (None, s),
        };
        let valid = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric());
        if !valid(kind) || !kind.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(Error::usage(format!(
                "invalid kind '{s}': expected Kind or group/Kind, e.g. Deployment or argoproj.io/Rollout"
            )));
        }
        if let Some(g) = group {
            if g.is_empty()
                || !g
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            {
                return Err(Error::usage(format!("invalid API group in kind '{s}'")));
            }
        }
        if kind == "Job" {
            return Err(Error::usage(
                "a Job cannot be stamped: its pod template is immutable once created (stamp the CronJob that creates it instead)"
                    .to_string(),
            ));
        }
        Ok(KindSpec {
            groups: group.map(|g| vec![g.to_string()]),
            kind: kind.to_string(),
            template,
        })
    }

    fn matches(&self, kind: &str, api_version: &str) -> bool {
        if kind != self.kind {
            return false;
        }
        // `group/version`, read as the part before the first slash (as the
        // corpus oracle does): `apps` alone still names the apps group, and
        // the core group's `v1` names no group asked for here.
        let group = api_version.split('/').next().unwrap_or_default();
        self.groups
            .as_ref()
            .is_none_or(|gs| gs.iter().any(|g| g == group))
    }
}

/// The selection of workloads for one run.
#[derive(Debug, Clone)]
pub struct Selector {
    pub kinds: Vec<KindSpec>,
    pub names: Vec<String>,
    pub namespaces: Vec<String>,
    pub labels: Option<LabelSelector>,
    /// Extra words a document must contain to be looked at (config-hash mode
    /// adds ConfigMap and Secret).
    pub extra_words: Vec<String>,
    /// The words of [`Selector::may_match`] in one automaton, made on first
    /// use, with the words it was made from: the fields above are set after
    /// construction, so it is used only while they are still those words.
    words: std::sync::OnceLock<(Vec<String>, aho_corasick::AhoCorasick)>,
}

impl Default for Selector {
    fn default() -> Self {
        let apps = || Some(vec!["apps".to_string(), "extensions".to_string()]);
        Selector {
            kinds: ["Deployment", "StatefulSet", "DaemonSet"]
                .iter()
                .map(|k| KindSpec {
                    groups: apps(),
                    kind: k.to_string(),
                    template: None,
                })
                .collect(),
            names: Vec::new(),
            namespaces: Vec::new(),
            labels: None,
            extra_words: Vec::new(),
            words: std::sync::OnceLock::new(),
        }
    }
}

impl Selector {
    /// Whether a document whose text is `doc` could hold a selected workload
    /// (or a list of them). A false answer is certain; a true one is not.
    pub fn may_match(&self, doc: &str) -> bool {
        // One pass for every word (a search per word was 5% of a run on
        // real streams, most of whose documents hold no workload). A kind
        // spelled with escapes would hide from the search: a backslash
        // anywhere makes the document a candidate. A list is no word of its
        // own: its items are objects only with a selected kind of their own
        // (plan), so their kind names are in the text; "List" made every CRD
        // that says it a candidate (45% of the real corpus's bytes).
        let kinds = self.kinds.iter().map(|k| k.kind.as_str());
        let extra = self.extra_words.iter().map(String::as_str);
        let words = kinds.chain(["\\"]).chain(extra);
        let build = |words: &[String]| {
            aho_corasick::AhoCorasick::new(words).expect("a few literal words always build")
        };
        let (made_from, automaton) = self.words.get_or_init(|| {
            let w: Vec<String> = words.clone().map(str::to_string).collect();
            let a = build(&w);
            (w, a)
        });
        if made_from.iter().map(String::as_str).eq(words.clone()) {
            automaton.is_match(doc)
        } else {
            build(&words.map(str::to_string).collect::<Vec<_>>()).is_match(doc)
        }
    }

    /// Whether `kind`/`apiVersion` is a selected kind.
    pub fn is_selected_kind(&self, kind: &str, api_version: &str) -> bool {
        self.kinds.iter().any(|k| k.matches(kind, api_version))
    }

    /// Where the pod template of a selected `kind`/`apiVersion` is: the path
    /// its `--kind` named, else the built-in table's; `None` for a kind the
    /// table does not know and no path was named for.
    pub fn template_of(&self, kind: &str, api_version: &str) -> Option<TemplatePath> {
        let named = self
            .kinds
            .iter()
            .filter(|k| k.matches(kind, api_version))
            .find_map(|k| k.template.clone());
        named.or_else(|| known_template(kind).map(TemplatePath::Builtin))
    }

    /// Whether a pod template path was named: documents are then built
    /// whole, as the spine knows only the built-in paths.
    pub fn has_custom_paths(&self) -> bool {
        self.kinds.iter().any(|k| k.template.is_some())
    }

    /// Whether a workload passes the name, namespace and label filters.
    pub fn passes_filters<'l>(
        &self,
        name: Option<&str>,
        namespace: Option<&str>,
        labels: &dyn Fn(&str) -> Option<&'l str>,
    ) -> bool {
        if !self.names.is_empty() && !name.is_some_and(|n| self.names.iter().any(|x| x == n)) {
            return false;
        }
        if !self.namespaces.is_empty() {
            // Like kubectl, an object without a namespace is in "default".
            let ns = namespace.unwrap_or("default");
            if !self.namespaces.iter().any(|x| x == ns) {
                return false;
            }
        }
        match &self.labels {
            Some(sel) => sel.matches(labels),
            None => true,
        }
    }
}

/// The keys leading from a workload to its pod template. Each path was
/// checked against the kind's schema (docs/reloader-wave.md, "Pod
/// templates of other kinds"): `.spec.template` for the apps kinds, Argo
/// Rollouts, OpenKruise's CloneSet and Advanced StatefulSet/DaemonSet
/// (`PodTemplateSpec`) and Knative's Service (`RevisionTemplateSpec`).
pub fn template_path(kind: &str) -> &'static [&'static str] {
    known_template(kind).unwrap_or(&["spec", "template"])
}

/// The built-in table of pod template paths: `None` for a kind it does not
/// know (whose `--kind` must then name the path, unless `.spec.template`
/// holds it).
fn known_template(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        // KEDA (keda.sh/v1alpha1): `jobTargetRef` is a batch/v1 JobSpec.
        "ScaledJob" => &["spec", "jobTargetRef", "template"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Rollout"
        | "CloneSet"
        | "Service" => &["spec", "template"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_kinds_need_apps_or_extensions() {
        let s = Selector::default();
        assert!(s.is_selected_kind("Deployment", "apps/v1"));
        assert!(s.is_selected_kind("DaemonSet", "extensions/v1beta1"));
        assert!(s.is_selected_kind("StatefulSet", "apps/v1beta2"));
        assert!(!s.is_selected_kind("Deployment", "example.com/v1"));
        assert!(!s.is_selected_kind("Deployment", "v1"));
        assert!(!s.is_selected_kind("ReplicaSet", "apps/v1"));
    }

    #[test]
    fn may_match_follows_the_words_as_they_are_now() {
        let cases: &[(&str, bool)] = &[
            ("kind: Deployment", true),
            ("kind: DaemonSet", true),
            ("kind: DeploymentList", true),
            ("kind: \"Deplo\\u0079ment\"", true),
            ("kind: ConfigMap", false),
            ("kind: List\nitems: []", false),
            ("kind: List\nitems:\n- {kind: StatefulSet}", true),
            ("kind: Rollout", false),
            ("", false),
        ];
        let mut s = Selector::default();
        for (doc, want) in cases {
            assert_eq!(s.may_match(doc), *want, "{doc}");
        }
        // Words set after a first use (and in a clone) still count: the
        // automaton made for the old words is not used for the new ones.
        s.extra_words = vec!["ConfigMap".to_string()];
        let mut c = s.clone();
        assert!(s.may_match("kind: ConfigMap"));
        c.kinds = vec![KindSpec::parse("argoproj.io/Rollout").unwrap()];
        assert!(c.may_match("kind: Rollout"));
        assert!(!c.may_match("kind: Deployment"));
        assert!(c.may_match("kind: ConfigMap"));
    }

    #[test]
    fn template_paths() {
        let rows: &[(&str, &[&str])] = &[
            ("Deployment", &["spec", "template"]),
            ("CronJob", &["spec", "jobTemplate", "spec", "template"]),
            // kedacore/keda apis/keda/v1alpha1/scaledjob_types.go:57.
            ("ScaledJob", &["spec", "jobTargetRef", "template"]),
            // openkruise/kruise apis/apps/v1beta1/cloneset_types.go:56.
            ("CloneSet", &["spec", "template"]),
            // knative/serving pkg/apis/serving/v1/configuration_types.go:67.
            ("Service", &["spec", "template"]),
        ];
        for (kind, want) in rows {
            assert_eq!(template_path(kind), *want, "{kind}");
        }
    }

    #[test]
    fn kind_specs() {
        let k = KindSpec::parse("argoproj.io/Rollout").unwrap();
        assert!(k.matches("Rollout", "argoproj.io/v1alpha1"));
        assert!(!k.matches("Rollout", "other.io/v1"));
        let k = KindSpec::parse("CronJob").unwrap();
        assert!(k.matches("CronJob", "batch/v1beta1"));
        assert!(KindSpec::parse("Job")
            .unwrap_err()
            .msg
            .contains("immutable"));
        assert!(KindSpec::parse("deployment").is_err());
        assert!(KindSpec::parse("/Deployment").is_err());
    }
}
