//! The library's entry point: stamp one text, with options built step by
//! step. Everything else is the command line's and stays private.

use crate::confighash::Keyed;
use crate::error::{Error, ErrorKind};
use crate::labels::LabelSelector;
use crate::select::{KindSpec, Selector};
use crate::stamp::{self, ValueSource};

pub use crate::stamp::Stamp;

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
    inner: stamp::Options,
    /// `None`: the config hash.
    value: Option<String>,
    hmac: Option<Keyed>,
    jobs: usize,
    default_kinds: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("key", &self.inner.key)
            .field("value", &self.value)
            .field("config_hash", &self.inner.config_hash)
            .field("keyed", &self.hmac.is_some())
            .finish_non_exhaustive()
    }
}

impl Options {
    /// Stamps `value` on Deployments, StatefulSets and DaemonSets under the
    /// key `reloaded-at`.
    pub fn new(value: impl Into<String>) -> Options {
        Options {
            inner: stamp::Options {
                selector: Selector::default(),
                key: "reloaded-at".to_string(),
                config_hash: false,
                records: true,
                full_check: false,
            },
            value: Some(value.into()),
            hmac: None,
            jobs: 1,
            default_kinds: true,
        }
    }

    /// Stamps each workload with the digest of the ConfigMaps and Secrets
    /// it uses (among those of the same text), under `checksum/config`.
    pub fn config_hash() -> Options {
        let mut o = Options::new("");
        o.value = None;
        o.inner.config_hash = true;
        o.inner.key = "checksum/config".to_string();
        o.inner.selector.extra_words = vec!["ConfigMap".to_string(), "Secret".to_string()];
        o
    }

    /// The annotation key, a Kubernetes qualified name (`[prefix/]name`).
    pub fn key(mut self, key: &str) -> Result<Options, Error> {
        crate::labels::qualified_name(key)
            .map_err(|why| Error::new(ErrorKind::Usage, format!("invalid key '{key}': {why}")))?;
        self.inner.key = key.to_string();
        Ok(self)
    }

    /// Stamps this kind too (`Kind` or `group/Kind`); the first call
    /// replaces the default kinds.
    pub fn kind(mut self, kind: &str) -> Result<Options, Error> {
        let spec = KindSpec::parse(kind).map_err(|m| Error::new(ErrorKind::Usage, m))?;
        if self.default_kinds {
            self.inner.selector.kinds.clear();
            self.default_kinds = false;
        }
        self.inner.selector.kinds.push(spec);
        Ok(self)
    }

    /// Only workloads with this name (repeatable: any of them).
    pub fn name(mut self, name: &str) -> Options {
        self.inner.selector.names.push(name.to_string());
        self
    }

    /// Only workloads in this namespace (repeatable); no namespace counts
    /// as `default`.
    pub fn namespace(mut self, namespace: &str) -> Options {
        self.inner.selector.namespaces.push(namespace.to_string());
        self
    }

    /// Only workloads whose labels match a Kubernetes label selector.
    pub fn selector(mut self, selector: &str) -> Result<Options, Error> {
        let parsed = LabelSelector::parse(selector)
            .map_err(|e| Error::new(ErrorKind::Usage, format!("selector '{selector}': {e}")))?;
        self.inner.selector.labels = Some(parsed);
        Ok(self)
    }

    /// With [`Options::config_hash`]: HMAC-SHA256 digests under `key`.
    pub fn hmac_key(mut self, key: &[u8]) -> Options {
        use hmac::Mac;
        self.hmac = <Keyed as Mac>::new_from_slice(key).ok();
        self
    }

    /// Threads to spread one text's documents over (default 1).
    pub fn jobs(mut self, jobs: usize) -> Options {
        self.jobs = jobs.max(1);
        self
    }

    /// Checks every edit by parsing its whole document again, also where
    /// checking the edited lines alone is provably the same (slower).
    pub fn full_check(mut self, on: bool) -> Options {
        self.inner.full_check = on;
        self
    }
}

/// One text, stamped.
#[derive(Debug)]
pub struct Outcome {
    /// The stamped text, or `None` when nothing changed.
    pub output: Option<String>,
    /// Every stamped workload.
    pub stamps: Vec<Stamp>,
    /// Things to know that did not stop the text (a reference to a
    /// ConfigMap that is not in it, say). Show them with
    /// [`Error::located`].
    pub warnings: Vec<Error>,
}

/// Stamps the workloads of `text`, a YAML or JSON stream, touching nothing
/// but the stamp's lines. Every edited document is parsed again and checked
/// before it is returned.
///
/// ```
/// use reload_stamp::{stamp_str, Options};
///
/// let manifest = "\
/// apiVersion: apps/v1
/// kind: Deployment
/// metadata:
///   name: web  # the front end
/// spec:
///   template:
///     spec:
///       containers: [{name: web, image: nginx}]
/// ";
/// let out = stamp_str(manifest, &Options::new("20261124093000"))?;
/// assert_eq!(
///     out.output.as_deref(),
///     Some("\
/// apiVersion: apps/v1
/// kind: Deployment
/// metadata:
///   name: web  # the front end
/// spec:
///   template:
///     metadata:
///       annotations:
///         reloaded-at: \"20261124093000\"
///     spec:
///       containers: [{name: web, image: nginx}]
/// ")
/// );
/// assert_eq!(out.stamps[0].name.as_deref(), Some("web"));
/// # Ok::<(), reload_stamp::Error>(())
/// ```
///
/// Errors carry a place that [`Error::located`] shows as `LINE:COL`:
///
/// ```
/// use reload_stamp::{stamp_str, ErrorKind, Options};
///
/// let text = "kind: Deployment\nspec: [\n";
/// let e = stamp_str(text, &Options::new("v")).unwrap_err();
/// assert_eq!(e.kind, ErrorKind::Syntax);
/// assert!(e.located(text).starts_with("3:1: "));
/// ```
pub fn stamp_str(text: &str, options: &Options) -> Result<Outcome, Error> {
    stamp_bytes(text.as_bytes(), options)
}

/// [`stamp_str`] for bytes as read from a file: UTF-8, with or without a
/// byte-order mark (kept).
pub fn stamp_bytes(bytes: &[u8], options: &Options) -> Result<Outcome, Error> {
    let source = match &options.value {
        Some(v) => ValueSource::Fixed(v),
        None => ValueSource::ConfigHash(options.hmac.as_ref()),
    };
    let f = stamp::stamp_bytes(bytes, &options.inner, source, options.jobs)?;
    Ok(Outcome {
        output: f.output_string(),
        stamps: f.rendered.stamps,
        warnings: f.warnings,
    })
}
