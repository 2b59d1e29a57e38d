//! The library's shortcut for one text: [`stamp_str`] and [`stamp_bytes`]
//! are [`crate::run`] on a single input.

use crate::error::{Error, Warning};
use crate::options::Options;
use crate::run::{run, Input};
use crate::stamp::Stamp;

/// One text, stamped.
#[derive(Debug)]
pub struct Outcome {
    /// The stamped text, or `None` when nothing changed.
    pub output: Option<String>,
    /// Every stamped workload.
    pub stamps: Vec<Stamp>,
    /// Things to know that did not stop the text (a reference to a
    /// ConfigMap that is not in it, say); they show as `LINE:COL: message`.
    pub warnings: Vec<Warning>,
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
/// assert_eq!(out.stamps[0].id.name.as_deref(), Some("web"));
/// # Ok::<(), reload_stamp::Error>(())
/// ```
///
/// Errors show their place as `LINE:COL`:
///
/// ```
/// use reload_stamp::{stamp_str, ErrorKind, Options};
///
/// let text = "kind: Deployment\nspec: [\n";
/// let e = stamp_str(text, &Options::new("v")).unwrap_err();
/// assert_eq!(e.kind, ErrorKind::Syntax);
/// assert_eq!(e.line_col(), Some((3, 1)));
/// assert!(e.to_string().starts_with("3:1: "));
/// ```
///
/// A config hash covers the ConfigMaps and Secrets of the same text:
///
/// ```
/// use reload_stamp::{stamp_str, Options};
///
/// let text = "\
/// apiVersion: v1
/// kind: ConfigMap
/// metadata: {name: app}
/// data: {level: debug}
/// ---
/// apiVersion: apps/v1
/// kind: Deployment
/// metadata: {name: web}
/// spec:
///   template:
///     spec:
///       containers:
///       - name: web
///         envFrom: [{configMapRef: {name: app}}]
/// ";
/// let out = stamp_str(text, &Options::config_hash())?;
/// let stamp = &out.stamps[0];
/// assert_eq!((stamp.id.to_string(), stamp.line), ("Deployment web".to_string(), 6));
/// assert_eq!(stamp.value.len(), 64, "a SHA-256 digest in hex");
/// # Ok::<(), reload_stamp::Error>(())
/// ```
pub fn stamp_str(text: &str, options: &Options) -> Result<Outcome, Error> {
    stamp_bytes(text.as_bytes(), options)
}

/// [`stamp_str`] for bytes as read from a file: UTF-8, with or without a
/// byte-order mark (kept).
pub fn stamp_bytes(bytes: &[u8], options: &Options) -> Result<Outcome, Error> {
    let input = Input {
        name: "<input>",
        bytes,
    };
    let f = run(&[input], options)
        .pop()
        .unwrap_or_else(|| Err(Error::internal(0, "a run gave no outcome")))?;
    Ok(Outcome {
        output: f.output_string(),
        warnings: f.warnings,
        stamps: f.rendered.stamps,
    })
}
