//! reload-stamp: offline, format-preserving rollout stamps for Kubernetes
//! manifests.
//!
//! A new value in a pod template's annotations makes the Deployment (or
//! StatefulSet, DaemonSet) roll its pods. This library adds or rewrites
//! that annotation in the text of manifests, touching nothing but the
//! stamp's lines: comments, quoting, key order and layout stay, and every
//! edit is parsed again and checked. [`stamp_str`] is the entry point;
//! [`Options`] says what to stamp and with what.
//!
//! ```
//! use reload_stamp::{stamp_str, Options};
//!
//! let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    metadata:\n      annotations:\n        reloaded-at: \"1\"\n";
//! let out = stamp_str(text, &Options::new("2"))?;
//! assert!(out.output.unwrap().ends_with("        reloaded-at: \"2\"\n"));
//! # Ok::<(), reload_stamp::Error>(())
//! ```
//!
//! Inside, one module a step, data flowing one way: `inputs` lists the
//! inputs, `document` parses a stream into documents and span-carrying
//! trees, `select` (with `labels`) says which objects are workloads, `plan`
//! decides each edit, `stamp` applies them and has `verify` check every
//! edited document against its `fingerprint`, and `output` prints, diffs or
//! writes. `confighash` computes config-hash values, `kustomize` and `krm`
//! join kustomize and KRM pipelines, and `cli` ties them to the command
//! line.

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
pub use stamp::{Source, Stamp};

/// The command line, for the `reload-stamp` binary: parses the process
/// arguments, runs, and returns the exit code.
#[doc(hidden)]
#[cfg(feature = "cli")]
pub fn cli_main() -> i32 {
    cli::main()
}
