//! reload-stamp: offline, format-preserving rollout stamps for Kubernetes
//! manifests.
//!
//! A new value in a pod template's annotations makes the Deployment (or
//! StatefulSet, DaemonSet) roll its pods. This library adds or rewrites
//! that annotation in the text of manifests, touching nothing but the
//! stamp's lines: comments, quoting, key order and layout stay, and every
//! edit is parsed again and checked. [`run`] stamps named inputs together
//! (config hashes look across all of them) and is what the command line,
//! the KRM function and the kustomize plugin call; [`stamp_str`] is the
//! same on one text. [`Options`] says what to stamp and with what.
//!
//! A stream, as `kustomize build` prints it: only the workload changes, and
//! everything else is passed through byte for byte.
//!
//! ```
//! use reload_stamp::{stamp_str, Options};
//!
//! let stream = "\
//! apiVersion: v1  # from the build
//! kind: Service
//! metadata: {name: web}
//! ---
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata: {name: web}
//! spec:
//!   template:
//!     metadata:
//!       annotations:
//!         reloaded-at: \"1\"   # last rollout
//! ";
//! let out = stamp_str(stream, &Options::new("2"))?;
//! let new = out.output.unwrap();
//! assert_eq!(new, stream.replace("\"1\"", "\"2\""));
//! assert_eq!(out.stamps[0].previous.as_deref(), Some("1"));
//! assert_eq!(out.stamps[0].line, 5);
//! # Ok::<(), reload_stamp::Error>(())
//! ```
//!
//! Errors and warnings carry their place, shown as `LINE:COL`:
//!
//! ```
//! use reload_stamp::{stamp_str, ErrorKind, Options};
//!
//! let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: &m {name: web}\nspec:\n  template:\n    metadata: *m\n";
//! let e = stamp_str(text, &Options::new("2")).unwrap_err();
//! assert_eq!(e.kind, ErrorKind::Refused);
//! assert_eq!(e.line_col().map(|(line, _)| line), Some(6));
//! assert!(e.to_string().starts_with("6:"), "{e}");
//! ```
//!
//! Without its default `cli` feature the crate is the library alone, and
//! builds none of the command line's dependencies.
//!
//! Inside, one module a step, data flowing one way: `inputs` lists the
//! inputs, `document` parses a stream into documents and span-carrying
//! trees, `select` (with `labels`) says which objects are workloads, `plan`
//! decides each edit, `run` makes the config-hash index of all inputs,
//! `stamp` applies the edits and has `verify` check every edited document
//! against its `fingerprint`, and `output` prints, diffs or writes.
//! `confighash` computes config-hash values, `reloader` holds Reloader's
//! and wave's rules, `kustomize` and `krm` join kustomize and KRM
//! pipelines, and `cli` ties them to the command line.

#![warn(missing_docs)]

mod api;
#[cfg(feature = "cli")]
mod cli;
mod confighash;
mod document;
mod error;
mod fingerprint;
#[cfg(feature = "cli")]
mod hints;
mod id;
#[cfg(feature = "cli")]
mod inputs;
#[cfg(feature = "cli")]
mod krm;
#[cfg(feature = "cli")]
mod kustomize;
mod labels;
#[cfg(feature = "cli")]
mod listedit;
mod options;
#[cfg(feature = "cli")]
mod output;
mod parallel;
mod plan;
#[cfg(feature = "cli")]
mod progress;
mod reloader;
mod run;
mod select;
mod stamp;
mod text;
#[cfg(feature = "cli")]
mod value;
mod verify;

pub use api::{stamp_bytes, stamp_str, Outcome};
pub use error::{Error, ErrorKind, Warning};
pub use id::ObjectId;
pub use options::Options;
pub use reloader::Rules;
pub use run::{run, Hashed, Input, Stamped};
pub use stamp::{source_key, Source, Stamp};

/// The command line, for the `reload-stamp` binary: parses the process
/// arguments, runs, and returns the exit code.
#[doc(hidden)]
#[cfg(feature = "cli")]
pub fn cli_main() -> i32 {
    cli::main()
}
