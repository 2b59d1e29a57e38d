//! reload-stamp: offline, format-preserving rollout stamps for Kubernetes
//! manifests.
//!
//! The pipeline, one module a step: [`inputs`] lists the inputs,
//! [`document`] parses a stream into documents and span-carrying trees,
//! [`select`] (with [`labels`]) says which objects are workloads to stamp,
//! [`plan`] decides the edit for each, [`stamp`] applies the edits and has
//! [`verify`] check every edited document, [`output`] prints, diffs or
//! writes, and [`cli`] ties them to the command line. [`confighash`]
//! computes the config-hash mode's value.

pub mod cli;
pub mod confighash;
pub mod document;
pub mod error;
pub mod fingerprint;
pub mod hints;
pub mod inputs;
pub mod krm;
pub mod kustomize;
pub mod labels;
pub mod listedit;
pub mod output;
pub mod parallel;
pub mod plan;
pub mod progress;
pub mod select;
pub mod stamp;
pub mod text;
pub mod value;
pub mod verify;

pub use error::{Error, ErrorKind};
pub use stamp::{analyze, render, Options};
