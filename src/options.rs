//! What a run stamps and with what: the one set of options every entry
//! point builds (the library's users, the command line, the KRM function,
//! the kustomize plugin), step by step.

use crate::confighash::Keyed;
use crate::document::Mode;
use crate::error::Error;
use crate::labels::LabelSelector;
use crate::reloader::Rules;
use crate::select::{KindSpec, Selector};

/// What to stamp and with what value, built step by step.
///
/// ```
/// use reload_stamp::Options;
///
/// let opts = Options::new("20261124093000")
///     .key("example.com/rev")?
///     .kind("argoproj.io/Rollout")?
///     .selector("app=web")?;
/// # Ok::<(), reload_stamp::Error>(())
/// ```
#[derive(Clone)]
pub struct Options {
    pub(crate) selector: Selector,
    pub(crate) key: String,
    /// `None`: each workload's config hash.
    pub(crate) value: Option<String>,
    pub(crate) hmac: Option<Keyed>,
    /// Keep a [`crate::Stamp`] per stamped workload; otherwise only count
    /// them (a big stream piped through needs no records).
    pub(crate) records: bool,
    /// Check every edited document by parsing it whole again, even where
    /// checking the edited lines alone is provably the same.
    pub(crate) full_check: bool,
    pub(crate) jobs: usize,
    /// A reference that is not optional must be among the inputs.
    pub(crate) strict: bool,
    /// An opt-in mode: only workloads that ask for it, hashed under
    /// Reloader's or wave's rules.
    pub(crate) rules: Option<Rules>,
    /// Config hashes: also one annotation per source, its own digest.
    pub(crate) per_source: bool,
    /// The kinds are still the defaults: the first [`Options::kind`]
    /// replaces them.
    default_kinds: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("key", &self.key)
            .field("value", &self.value)
            .field("keyed", &self.hmac.is_some())
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Stamps `value` on Deployments, StatefulSets and DaemonSets under the
    /// key `reloaded-at`.
    pub fn new(value: impl Into<String>) -> Options {
        Options {
            selector: Selector::default(),
            key: "reloaded-at".to_string(),
            value: Some(value.into()),
            hmac: None,
            records: true,
            full_check: false,
            jobs: 1,
            strict: false,
            rules: None,
            per_source: false,
            default_kinds: true,
        }
    }

    /// Stamps each workload with the digest of the ConfigMaps and Secrets
    /// it uses (among those of the same inputs), under `checksum/config`.
    pub fn config_hash() -> Options {
        let mut o = Options::new("");
        o.value = None;
        o.key = "checksum/config".to_string();
        o.selector.extra_words = vec!["ConfigMap".to_string(), "Secret".to_string()];
        o
    }

    /// The annotation key, a Kubernetes qualified name (`[prefix/]name`).
    pub fn key(mut self, key: &str) -> Result<Options, Error> {
        crate::labels::qualified_name(key)
            .map_err(|why| Error::usage(format!("invalid key '{key}': {why}")))?;
        self.key = key.to_string();
        Ok(self)
    }

    /// Stamps this kind too (`Kind` or `group/Kind`); the first call
    /// replaces the default kinds.
    pub fn kind(mut self, kind: &str) -> Result<Options, Error> {
        let spec = KindSpec::parse(kind)?;
        if self.default_kinds {
            self.selector.kinds.clear();
            self.default_kinds = false;
        }
        self.selector.kinds.push(spec);
        Ok(self)
    }

    /// Only workloads with this name (repeatable: any of them).
    pub fn name(mut self, name: &str) -> Options {
        self.selector.names.push(name.to_string());
        self
    }

    /// Only workloads in this namespace (repeatable); no namespace counts
    /// as `default`.
    pub fn namespace(mut self, namespace: &str) -> Options {
        self.selector.namespaces.push(namespace.to_string());
        self
    }

    /// Only workloads whose labels match a Kubernetes label selector.
    pub fn selector(self, selector: &str) -> Result<Options, Error> {
        let parsed = LabelSelector::parse(selector)
            .map_err(|e| Error::usage(format!("selector '{selector}': {e}")))?;
        Ok(self.labels(parsed))
    }

    /// [`Options::selector`], parsed already.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn labels(mut self, selector: LabelSelector) -> Options {
        self.selector.labels = Some(selector);
        self
    }

    /// With [`Options::config_hash`]: HMAC-SHA256 digests under `key`.
    pub fn hmac_key(mut self, key: &[u8]) -> Options {
        use hmac::Mac;
        self.hmac = <Keyed as Mac>::new_from_slice(key).ok();
        self
    }

    /// Threads to spread the work over (default 1): the inputs of a run, or
    /// the documents of a single input. Output never depends on it.
    pub fn jobs(mut self, jobs: usize) -> Options {
        self.jobs = jobs.max(1);
        self
    }

    /// Whether each stamped workload gets a [`crate::Stamp`] record
    /// (default); without, they are only counted.
    pub fn records(mut self, on: bool) -> Options {
        self.records = on;
        self
    }

    /// With [`Options::config_hash`]: a reference to a ConfigMap or Secret
    /// that is not among the inputs (and not `optional: true`) is an error
    /// at the reference, not a warning, so CI can require every referenced
    /// object to be there.
    pub fn strict(mut self, on: bool) -> Options {
        self.strict = on;
        self
    }

    /// With [`Options::config_hash`]: the opt-in mode of Reloader or wave.
    /// Only workloads that carry their annotations are stamped, and each
    /// one's digest covers exactly the ConfigMaps and Secrets that tool
    /// would restart it for (docs/reloader-wave.md has every rule and its
    /// source).
    pub fn rules(mut self, rules: Rules) -> Options {
        self.rules = Some(rules);
        self
    }

    /// With [`Options::config_hash`]: besides the workload's digest, one
    /// annotation per ConfigMap, Secret or SecretProviderClass it covers,
    /// holding that object's own digest (`configmap.reload-stamp.io/NAME`,
    /// see [`crate::source_key`]), so the diff of a bump commit shows which
    /// one moved. Keys under those prefixes that no longer name a source
    /// are removed.
    pub fn per_source(mut self, on: bool) -> Options {
        self.per_source = on;
        self
    }

    /// Checks every edit by parsing its whole document again, also where
    /// checking the edited lines alone is provably the same (slower).
    pub fn full_check(mut self, on: bool) -> Options {
        self.full_check = on;
        self
    }

    /// Whether values are config hashes.
    pub(crate) fn hashes(&self) -> bool {
        self.value.is_none()
    }

    /// How much of a candidate document to build: config-hash mode reads
    /// pod specs and ConfigMap data, the time stamp only the spine.
    pub(crate) fn mode(&self) -> Mode {
        // The spine knows only the built-in template paths.
        if self.hashes() || self.selector.has_custom_paths() {
            Mode::Full
        } else {
            Mode::Spine
        }
    }

    /// These options for writing `value` under `key` on the workloads they
    /// select: how a per-source key is set on a document already stamped.
    pub(crate) fn for_key(&self, key: &str, value: &str) -> Options {
        Options {
            key: key.to_string(),
            value: Some(value.to_string()),
            hmac: None,
            records: false,
            jobs: 1,
            strict: false,
            rules: None,
            per_source: false,
            ..self.clone()
        }
    }

    /// These options for reading workloads only (no config hashes): what
    /// `--kustomize` uses to name the workloads of a build.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn plain(&self) -> Options {
        Options {
            value: Some(String::new()),
            ..self.clone()
        }
    }
}
