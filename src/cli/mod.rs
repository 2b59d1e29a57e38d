//! The command line: the flags, and which run they ask for. `files` is the
//! run over files and standard input, `overlays` the run over
//! kustomization directories, `function` the runs inside other tools (a
//! KRM function, kustomize's exec plugin).

mod files;
mod function;
mod overlays;

use files::Run;
use function::{run_function, run_plugin};
use overlays::run_kustomize;

use std::io::{self, Write};

use clap::{ArgAction, Parser, ValueEnum};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::{Error, ErrorKind};
use crate::hints;
use crate::inputs::{self, io_message, Source, WalkOptions};
use crate::krm;
use crate::kustomize;
use crate::labels::LabelSelector;
use crate::output::{self, ColorChoice, Concat};
use crate::parallel;
use crate::progress::Progress;
use crate::value::{self, ValueArgs};
use crate::{Input, Options, Stamp, Stamped};

const EXAMPLES: &str = "\
Examples:
  kustomize build overlays/prod | reload-stamp | kubectl apply -f -
  reload-stamp --write k8s/                 # stamp in place (a GitOps bump commit)
  reload-stamp --diff k8s/                  # show what would change
  reload-stamp --check k8s/                 # exit 1 if anything would change
  reload-stamp --kubectl -l app=web k8s/    # what `kubectl rollout restart` writes
  reload-stamp --kind argoproj.io/Rollout --kind CronJob k8s/

Exit status: 0 success (also when there is nothing to stamp), 1 --check found
changes, 2 an error (usage, I/O, invalid YAML, a refused document).";

/// The environment variable that holds the key of keyed config hashes.
const KEY_ENV: &str = "RELOAD_STAMP_HMAC_KEY";

/// What `--version` prints after the name: the version, the commit and the
/// target it was built for (build.rs; `unknown` outside git and a package).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("RELOAD_STAMP_COMMIT"),
    ", ",
    env!("RELOAD_STAMP_TARGET"),
    ")"
);

/// Offline, format-preserving rollout stamps for Kubernetes manifests.
///
/// Adds or rewrites an annotation on the pod template of every Deployment,
/// StatefulSet and DaemonSet, so the next apply rolls its pods. Only the
/// annotation's lines change: comments, quoting, order and layout are kept.
#[derive(Debug, Parser)]
#[command(name = "reload-stamp", version = VERSION, after_help = EXAMPLES, max_term_width = 100)]
pub struct Args {
    /// Files or directories (walked for *.yaml, *.yml, *.json, honouring
    /// .gitignore and skipping hidden entries and Helm chart templates);
    /// none or `-` reads standard input.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Rewrite changed files in place (atomically); unchanged files are not touched.
    #[arg(short, long, help_heading = "Output")]
    pub write: bool,
    /// Print a unified diff of each changed input instead of the stream.
    #[arg(short, long, help_heading = "Output")]
    pub diff: bool,
    /// Exit 1 if anything would change, naming those inputs on stderr; writes nothing.
    #[arg(long, conflicts_with = "write", help_heading = "Output")]
    pub check: bool,
    /// Print one line per stamped workload (`PATH: Kind namespace/name`) instead of the stream.
    #[arg(long, conflicts_with_all = ["diff", "report"], help_heading = "Output")]
    pub list: bool,
    /// Print a report of every stamped workload instead of the stream.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        conflicts_with = "diff",
        help_heading = "Output"
    )]
    pub report: Option<ReportFormat>,
    /// Colour the diff: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub color: ColorChoice,
    /// Do not print the summary line on stderr.
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// Stamp this kind instead of Deployment, StatefulSet and DaemonSet
    /// (repeatable): `Kind` or `group/Kind`, e.g. `CronJob`, `argoproj.io/Rollout`.
    #[arg(long = "kind", value_name = "KIND", action = ArgAction::Append, help_heading = "Selection")]
    pub kinds: Vec<String>,
    /// Only the workload with this name (repeatable).
    #[arg(long = "name", value_name = "NAME", action = ArgAction::Append, help_heading = "Selection")]
    pub names: Vec<String>,
    /// Only workloads in this namespace (repeatable); no namespace counts as `default`.
    #[arg(short = 'n', long = "namespace", value_name = "NS", action = ArgAction::Append, help_heading = "Selection")]
    pub namespaces: Vec<String>,
    /// Only workloads whose labels match, e.g. `app=web,tier!=db,env in (prod,staging),!canary`.
    #[arg(
        short = 'l',
        long = "selector",
        value_name = "SELECTOR",
        help_heading = "Selection"
    )]
    pub selector: Option<String>,
    /// Skip paths matching this glob while walking directories (repeatable).
    #[arg(long = "exclude", value_name = "GLOB", action = ArgAction::Append, help_heading = "Selection")]
    pub exclude: Vec<String>,
    /// Also read files that .gitignore, .ignore, .git/info/exclude or the
    /// global git excludes leave out while walking directories.
    #[arg(long, help_heading = "Selection")]
    pub no_ignore: bool,

    /// Annotation key [default: reloaded-at; with --kubectl: kubectl.kubernetes.io/restartedAt].
    #[arg(long, value_name = "KEY", help_heading = "Value")]
    pub key: Option<String>,
    /// Use this exact value instead of a time.
    #[arg(long, value_name = "STRING", conflicts_with_all = ["at", "format", "local", "kubectl"], help_heading = "Value")]
    pub value: Option<String>,
    /// Use this time instead of now: RFC 3339 or Unix seconds [default: $SOURCE_DATE_EPOCH, else now].
    #[arg(long, value_name = "TIME", help_heading = "Value")]
    pub at: Option<String>,
    /// Format the time with this strftime format, or `rfc3339` [default: %Y%m%d%H%M%S].
    #[arg(long, value_name = "FORMAT", help_heading = "Value")]
    pub format: Option<String>,
    /// Format the time in the local time zone instead of UTC.
    #[arg(long, help_heading = "Value")]
    pub local: bool,
    /// Write what `kubectl rollout restart` writes: key kubectl.kubernetes.io/restartedAt, RFC 3339.
    #[arg(long, help_heading = "Value")]
    pub kubectl: bool,
    /// Stamp a SHA-256 digest of the ConfigMaps and Secrets each pod template references
    /// (key checksum/config): pods restart exactly when their configuration changed.
    #[arg(long, conflicts_with_all = ["value", "at", "format", "local", "kubectl"], help_heading = "Value")]
    pub config_hash: bool,
    /// With --config-hash: a reference to a ConfigMap or Secret that is not among the
    /// inputs (and not `optional: true`) is an error, not a warning.
    #[arg(long, requires = "config_hash", help_heading = "Value")]
    pub strict: bool,
    /// With --config-hash: also one annotation per ConfigMap, Secret or SecretProviderClass
    /// hashed (configmap.reload-stamp.io/NAME, …), holding its own digest, so a diff shows
    /// which one moved; keys under those prefixes that name no source any more are removed.
    #[arg(long, help_heading = "Value")]
    pub per_source: bool,
    /// With --config-hash: the opt-in mode of Reloader (reloader; reloader-all for its
    /// --auto-reload-all) or wave: only workloads with their annotations are stamped, each
    /// hashed over exactly the ConfigMaps and Secrets that tool would restart it for.
    #[arg(long, value_enum, value_name = "TOOL", help_heading = "Value")]
    pub rules: Option<RulesArg>,
    /// With --config-hash: each PATH is a kustomization directory (an overlay or a base).
    /// Build it, hash its workloads from the built output, and keep the hashes in it: a
    /// patch file reload-stamp-patch.yaml, listed in its kustomization.
    #[arg(long, requires = "config_hash", conflicts_with_all = ["list", "report"], help_heading = "Value")]
    pub kustomize: bool,
    /// The command that builds a kustomization, the directory appended
    /// [default: $RELOAD_STAMP_KUSTOMIZE, else `kustomize build`, else `kubectl kustomize`].
    #[arg(
        long,
        value_name = "COMMAND",
        requires = "kustomize",
        help_heading = "Value"
    )]
    pub kustomize_command: Option<String>,

    /// Threads to use [default: the number of CPUs]; output never depends on it.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) and exit.
    #[arg(long, value_name = "SHELL", exclusive = true, help_heading = "Setup")]
    pub completions: Option<clap_complete::Shell>,
    /// Print the man page (roff) and exit.
    #[arg(long, exclusive = true, help_heading = "Setup")]
    pub man: bool,
}

impl Args {
    /// Whether standard output carries the stamped stream (no `--write`,
    /// `--diff`, `--check`, `--list` or `--report`). `--list` and
    /// `--report` cannot go with `--kustomize`, so this holds there too.
    fn streams(&self) -> bool {
        !(self.write || self.diff || self.check || self.list || self.report.is_some())
    }
}

/// Values of `--rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesArg {
    Reloader,
    ReloaderAll,
    Wave,
}

impl RulesArg {
    fn rules(self) -> crate::Rules {
        match self {
            RulesArg::Reloader => crate::Rules::Reloader {
                auto_reload_all: false,
            },
            RulesArg::ReloaderAll => crate::Rules::Reloader {
                auto_reload_all: true,
            },
            RulesArg::Wave => crate::Rules::Wave,
        }
    }
}

/// Flags that mean something only with `--config-hash`. clap's `requires`
/// counts a switch's default (false) as given, so they are checked here.
fn check_needs(args: &Args) -> Result<(), Error> {
    let needs = [
        (args.kustomize, "--kustomize"),
        (args.strict, "--strict"),
        (args.per_source, "--per-source"),
        (args.rules.is_some(), "--rules"),
    ];
    match needs.iter().find(|(set, _)| *set && !args.config_hash) {
        Some((_, flag)) => Err(Error::new(
            ErrorKind::Usage,
            format!("{flag} needs --config-hash"),
        )),
        None => Ok(()),
    }
}

/// Formats of `--report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Json,
}

/// Parses the process arguments and runs; returns the exit code.
pub fn main() -> i32 {
    // Installed as kustomize's exec plugin, the binary is named after the
    // config kind, as busybox is named after its applets.
    let argv0 = std::env::args_os().next().unwrap_or_default();
    if std::path::Path::new(&argv0)
        .file_name()
        .is_some_and(|n| n == krm::CONFIG_KIND)
    {
        return run_plugin();
    }
    run(Args::parse())
}

/// Runs with parsed arguments; returns the exit code.
pub fn run(args: Args) -> i32 {
    if let Some(shell) = args.completions {
        let mut cmd = <Args as clap::CommandFactory>::command();
        clap_complete::generate(shell, &mut cmd, "reload-stamp", &mut io::stdout());
        return 0;
    }
    if args.man {
        let cmd = <Args as clap::CommandFactory>::command();
        return match clap_mangen::Man::new(cmd).render(&mut io::stdout()) {
            Ok(()) => 0,
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
            Err(e) => {
                eprintln!(
                    "reload-stamp: cannot write the man page: {}",
                    io_message(&e)
                );
                2
            }
        };
    }
    if args.kustomize {
        return match options(&args) {
            Ok(opts) => run_kustomize(&args, &opts),
            Err(e) => {
                eprintln!("reload-stamp: {e}");
                2
            }
        };
    }
    // A KRM ResourceList on standard input: run as a KRM function.
    let stream = args.streams();
    let mut stdin = None;
    if stream && (args.paths.is_empty() || args.paths == ["-"]) {
        let bytes = match Source::Stdin.read_with(jobs(&args)) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("reload-stamp: <stdin>: {}", io_message(&e));
                return 2;
            }
        };
        // Reads only the first document: the stream is then run as if it
        // were a file argument.
        if krm::is_resource_list(&bytes) {
            return run_function(&bytes);
        }
        stdin = Some(bytes);
    }
    match Run::new(&args) {
        Ok(mut r) => {
            r.stdin = stdin;
            r.execute(&args)
        }
        Err(e) => {
            eprintln!("reload-stamp: {e}");
            2
        }
    }
}

/// The time stamp's value: `--value`, or the time (`--at`, else
/// `SOURCE_DATE_EPOCH`, else now) formatted.
fn resolve_value(args: &Args) -> Result<String, Error> {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.is_empty());
    value::resolve(
        &ValueArgs {
            value: args.value.clone(),
            at: args.at.clone(),
            format: args.format.clone(),
            local: args.local,
            kubectl: args.kubectl,
        },
        epoch.as_deref(),
        chrono::Utc::now(),
    )
}

/// The run's options, from the flags: the library's [`Options`], built as
/// a library user builds them.
fn options(args: &Args) -> Result<Options, Error> {
    check_needs(args)?;
    let mut o = if args.config_hash {
        Options::config_hash()
    } else {
        Options::new("")
    };
    for k in &args.kinds {
        o = o.kind(k)?;
    }
    for n in &args.names {
        o = o.name(n);
    }
    for n in &args.namespaces {
        o = o.namespace(n);
    }
    if let Some(s) = &args.selector {
        let parsed =
            LabelSelector::parse(s).map_err(|e| Error::usage(format!("--selector '{s}': {e}")))?;
        o = o.labels(parsed);
    }
    let key = match &args.key {
        Some(k) => k.as_str(),
        None if args.config_hash => "checksum/config",
        None if args.kubectl => "kubectl.kubernetes.io/restartedAt",
        None => "reloaded-at",
    };
    check_key(key)?;
    o = o.key(key)?;
    if args.config_hash {
        // Any key length makes an HMAC key: there is nothing to refuse.
        if let Some(k) = std::env::var_os(KEY_ENV).filter(|k| !k.is_empty()) {
            use std::os::unix::ffi::OsStrExt;
            o = o.hmac_key(k.as_bytes());
        }
    } else {
        o.value = Some(resolve_value(args)?);
    }
    if let Some(r) = args.rules {
        o = o.rules(r.rules());
    }
    Ok(o.records(args.list || args.report.is_some())
        .strict(args.strict)
        .per_source(args.per_source)
        .jobs(jobs(args)))
}

/// Whether writing standard output failed, said on stderr. A closed pipe
/// (`reload-stamp … | head`) is not a failure: the reader has what it
/// wanted.
fn stdout_failed(result: io::Result<()>) -> bool {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!(
                "reload-stamp: cannot write to standard output: {}",
                io_message(&e)
            );
            true
        }
        _ => false,
    }
}

/// Threads to use: `--jobs`, else one per CPU.
fn jobs(args: &Args) -> usize {
    args.jobs.map_or_else(parallel::default_jobs, usize::from)
}

/// A line on stderr that tells and changes nothing; `-q` silences it.
fn note(args: &Args, msg: &str) {
    if !args.quiet {
        eprintln!("reload-stamp: note: {msg}");
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// One object a config hash covers, as `--report json` shows it.
fn source_json(s: &crate::Source) -> serde_json::Value {
    serde_json::json!({
        "kind": s.id.kind,
        "namespace": s.id.namespace,
        "name": s.id.name,
        "found_as": s.found_as,
        "keys": s.keys,
        "path": s.input,
        "line": s.line,
        "digest": s.digest,
    })
}

/// One object a config hash covers, as `--list` shows it: `Kind
/// ns/name (keys a, b) at PATH:LINE: DIGEST`.
fn source_line(s: &crate::Source) -> String {
    let found_as = if s.found_as == s.id.kind {
        String::new()
    } else {
        format!(" (a {})", s.found_as)
    };
    let keys = match &s.keys {
        Some(k) => format!(" keys {}", k.join(", ")),
        None => String::new(),
    };
    format!(
        "{}{found_as}{keys} at {}:{}: {}",
        s.id, s.input, s.line, s.digest
    )
}

/// `--report json`: every stamped workload; in config-hash mode with the
/// ConfigMaps and Secrets its hash covers.
fn write_report(
    out: &mut dyn Write,
    opts: &Options,
    stamps: &[(String, Stamp)],
    files: usize,
) -> io::Result<()> {
    let items: Vec<serde_json::Value> = stamps
        .iter()
        .map(|(path, s)| {
            let mut item = serde_json::json!({
                "path": path,
                "line": s.line,
                "kind": s.id.kind,
                "namespace": s.id.namespace,
                "name": s.id.name,
                "previous": s.previous,
                "value": s.value,
            });
            if opts.hashes() {
                item["sources"] = s.sources.iter().map(source_json).collect();
            }
            item
        })
        .collect();
    let key = &opts.key;
    let doc = serde_json::json!({ "key": key, "files_changed": files, "stamped": items });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

fn build_globs(globs: &[String]) -> Result<GlobSet, Error> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| Error::usage(format!("--exclude '{g}': {e}")))?);
    }
    b.build().map_err(|e| Error::usage(e.to_string()))
}

/// An annotation key, as the API server accepts it.
fn check_key(key: &str) -> Result<(), Error> {
    crate::labels::qualified_name(key)
        .map_err(|why| Error::usage(format!("invalid --key '{key}': {why}")))
}
