//! The command line: options, and the run that ties inputs, stamping and
//! output together.

use std::io::{self, IsTerminal, Write};

use clap::{ArgAction, Parser, ValueEnum};
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::confighash::{self, Index};
use crate::error::{Error, ErrorKind};
use crate::hints;
use crate::inputs::{self, io_message, Source, WalkOptions};
use crate::krm;
use crate::kustomize;
use crate::labels::LabelSelector;
use crate::output::{self, ColorChoice, Concat};
use crate::parallel;
use crate::plan::qualified;
use crate::progress::Progress;
use crate::select::{KindSpec, Selector};
use crate::stamp::{self, Analysis, Finished, Options, Stamp};
use crate::value::{self, ValueArgs};

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

/// Offline, format-preserving rollout stamps for Kubernetes manifests.
///
/// Adds or rewrites an annotation on the pod template of every Deployment,
/// StatefulSet and DaemonSet, so the next apply rolls its pods. Only the
/// annotation's lines change: comments, quoting, order and layout are kept.
#[derive(Debug, Parser)]
#[command(name = "reload-stamp", version, after_help = EXAMPLES, max_term_width = 100)]
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

struct Usage(String);

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
            Err(Usage(msg)) => {
                eprintln!("reload-stamp: {msg}");
                2
            }
        };
    }
    // A KRM ResourceList on standard input: run as a KRM function.
    let stream = !(args.write || args.diff || args.check || args.list || args.report.is_some());
    let mut stdin = None;
    if stream && (args.paths.is_empty() || args.paths == ["-"]) {
        let bytes = match Source::Stdin.read() {
            Ok(b) => b,
            Err(e) => {
                eprintln!("reload-stamp: <stdin>: {}", io_message(&e));
                return 2;
            }
        };
        // Cheap first: most streams never name it.
        let names_it = memchr::memmem::find(&bytes, b"ResourceList").is_some();
        if names_it && std::str::from_utf8(&bytes).is_ok_and(krm::is_resource_list) {
            return run_function(&bytes);
        }
        stdin = Some(bytes);
    }
    match Run::new(&args) {
        Ok(mut r) => {
            r.stdin = stdin;
            r.execute(&args)
        }
        Err(Usage(msg)) => {
            eprintln!("reload-stamp: {msg}");
            2
        }
    }
}

struct Run {
    /// Standard input, when it was read before the run (to tell a
    /// ResourceList).
    stdin: Option<Vec<u8>>,
    opts: Options,
    /// The key of keyed config hashes.
    hmac: Option<confighash::Keyed>,
    value: String,
    sources: Vec<Source>,
    walk_errors: Vec<(String, String)>,
    /// Chart templates met while walking, not read.
    chart_templates: Vec<String>,
}

/// Per input: its bytes, or the error that stopped it.
struct Loaded {
    source: Source,
    bytes: Result<Vec<u8>, Error>,
}

impl Run {
    fn new(args: &Args) -> Result<Run, Usage> {
        let opts = options(args)?;
        let value = resolve_value(args)?;
        let exclude = build_globs(&args.exclude).map_err(Usage)?;
        let found = inputs::collect(
            &args.paths,
            WalkOptions {
                exclude: &exclude,
                no_ignore: args.no_ignore,
                threads: jobs(args),
            },
        );
        if args.write && found.sources.contains(&Source::Stdin) {
            return Err(Usage(
                "--write needs files: standard input cannot be rewritten in place".to_string(),
            ));
        }
        let hmac = if args.config_hash {
            confighash::key_from_env().map_err(Usage)?
        } else {
            None
        };
        Ok(Run {
            stdin: None,
            opts,
            hmac,
            value,
            sources: found.sources,
            walk_errors: found.errors,
            chart_templates: found.chart_templates,
        })
    }

    /// Read, analyse, render, write, then tell: one stage after another,
    /// each spread over the threads.
    fn execute(mut self, args: &Args) -> i32 {
        // Many inputs: one thread per input. One input: its documents spread
        // over the threads instead.
        let jobs = jobs(args);
        let (outer, inner) = if self.sources.len() > 1 {
            (jobs, 1)
        } else {
            (1, jobs)
        };
        let progress = Progress::new(
            self.sources.len(),
            !args.quiet && io::stderr().is_terminal(),
        );
        progress.phase("reading");
        let stdin = self.stdin.take();
        let loaded = self.read(stdin, outer);
        let mut analyses = self.analyse(&loaded, outer, inner, &progress);
        progress.phase(if args.write { "writing" } else { "stamping" });
        // Config-hash mode looks references up among all inputs together;
        // the objects leave the analyses, which the next stage consumes.
        let objects: Vec<_> = analyses
            .iter_mut()
            .map(|a| {
                a.as_mut()
                    .map(|a| std::mem::take(&mut a.objects))
                    .unwrap_or_default()
            })
            .collect();
        let mut index = Index::default();
        index.key.clone_from(&self.hmac);
        for ((l, a), objects) in loaded.iter().zip(&analyses).zip(&objects) {
            if let Ok(a) = a {
                objects
                    .iter()
                    .for_each(|o| index.add(o, l.source.name(), a.text));
            }
        }
        let values = if self.opts.config_hash {
            stamp::Values::Hashes(&index)
        } else {
            stamp::Values::Fixed(&self.value)
        };
        let finished = parallel::map_into(analyses, outer, |a| {
            let f = a.and_then(|a| stamp::finish(a, &self.opts, values, inner));
            progress.inc();
            f
        });
        let written = if args.write {
            write_all(&loaded, &finished, outer)
        } else {
            vec![None; finished.len()]
        };
        progress.finish();
        self.tell(args, &loaded, &finished, &written)
    }

    /// Stage 1: every input's bytes.
    fn read(&self, stdin: Option<Vec<u8>>, outer: usize) -> Vec<Loaded> {
        // Standard input already read (to tell a ResourceList) is moved in,
        // not copied.
        let stdin = std::sync::Mutex::new(stdin);
        parallel::map(&self.sources, outer, |s| {
            let read = match (s, stdin.lock().ok().and_then(|mut b| b.take())) {
                (Source::Stdin, Some(bytes)) => Ok(bytes),
                _ => s.read(),
            };
            Loaded {
                source: s.clone(),
                bytes: read.map_err(|e| Error::new(ErrorKind::Io, io_message(&e))),
            }
        })
    }

    /// Stage 2: every input parsed and planned; with a value known up front
    /// (not config-hash), stamped as well, by the thread that analysed it.
    fn analyse<'l>(
        &self,
        loaded: &'l [Loaded],
        outer: usize,
        inner: usize,
        progress: &Progress,
    ) -> Vec<Result<Analysis<'l>, Error>> {
        let value = (!self.opts.config_hash).then_some(self.value.as_str());
        parallel::map(loaded, outer, |l| {
            let a = l
                .bytes
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|b| stamp::analyze(b, &self.opts, value, inner));
            progress.inc();
            a
        })
    }

    /// Stage 5: warnings, errors, the stream or diff or list or report, and
    /// the summary; the exit code.
    fn tell(
        &self,
        args: &Args,
        loaded: &[Loaded],
        finished: &[Result<Finished<'_>, Error>],
        written: &[Option<String>],
    ) -> i32 {
        let mut t = Tally {
            errored: self.walk_errors.len(),
            templates: self.chart_templates.len(),
            ..Tally::default()
        };
        for (path, msg) in &self.walk_errors {
            eprintln!("reload-stamp: {path}: {msg}");
        }
        for path in &self.chart_templates {
            note(args, &format!("{path}: skipped, a Helm chart template"));
        }
        let stdout = io::stdout();
        let mut out = Emit {
            args,
            out: io::BufWriter::with_capacity(1 << 16, stdout.lock()),
            color: args.color.enabled(io::stdout().is_terminal()),
            concat: Concat::default(),
            report: Vec::new(),
        };
        let mut io_result = Ok(());
        for ((l, f), write_error) in loaded.iter().zip(finished).zip(written) {
            let name = l.source.name();
            let f = match f {
                Ok(f) => f,
                Err(e) => {
                    tell_error(args, l, e, &mut t);
                    continue;
                }
            };
            for w in &f.warnings {
                eprintln!("reload-stamp: warning: {}", w.render(name, f.text));
            }
            let r = &f.rendered;
            if r.output.is_some() {
                t.changed += 1;
                t.stamped += r.count;
                if args.check {
                    eprintln!(
                        "reload-stamp: {name}: {} would be stamped",
                        plural(r.count, "workload")
                    );
                }
                if let Some(e) = write_error {
                    eprintln!("reload-stamp: {name}: cannot write: {e}");
                    t.errored += 1;
                }
            }
            if let Err(e) = out.input(name, f) {
                io_result = Err(e);
                break;
            }
        }
        if io_result.is_ok() && args.report.is_some() {
            io_result = write_report(&mut out.out, &self.opts.key, &out.report, t.changed);
        }
        if stdout_failed(io_result.and_then(|()| out.out.flush())) {
            return 2;
        }
        if !args.quiet {
            eprintln!("reload-stamp: {}", self.summary(args, &t));
        }
        t.exit_code(args.check)
    }

    /// The one-line summary of a run.
    fn summary(&self, args: &Args, t: &Tally) -> String {
        let files = plural(
            self.sources.len() + self.chart_templates.len() - t.templates,
            "input",
        );
        let stream = !(args.diff || args.check || args.list || args.report.is_some() || args.write);
        let msg = if t.stamped == 0 {
            format!("nothing to stamp in {files}")
        } else if args.check {
            format!(
                "{} in {} of {files} would be stamped",
                plural(t.stamped, "workload"),
                t.changed
            )
        } else {
            let value = if self.opts.config_hash {
                "config hash".to_string()
            } else {
                format!("\"{}\"", self.value)
            };
            format!(
                "stamped {} in {} of {files} ({}: {value}){}",
                plural(t.stamped, "workload"),
                t.changed,
                self.opts.key,
                if args.write || stream {
                    ""
                } else {
                    ", nothing written"
                }
            )
        };
        let mut line = msg;
        if t.errored > 0 {
            line += &format!(
                "; {} with errors, left as they were",
                plural(t.errored, "input")
            );
        }
        if t.templates > 0 {
            line += &format!("; skipped {}", plural(t.templates, "Helm template"));
        }
        line
    }
}

/// What a run counted, for its summary and exit code.
#[derive(Default)]
struct Tally {
    /// Inputs that changed (or would).
    changed: usize,
    stamped: usize,
    /// Inputs with an error, and walk errors.
    errored: usize,
    /// Helm templates skipped.
    templates: usize,
}

impl Tally {
    /// 2 for any error, else 1 when `--check` found changes, else 0.
    fn exit_code(&self, check: bool) -> i32 {
        if self.errored > 0 {
            2
        } else if check && self.changed > 0 {
            1
        } else {
            0
        }
    }
}

/// Stage 4: each changed file rewritten in place; per input, why writing
/// failed, if it did.
fn write_all(
    loaded: &[Loaded],
    finished: &[Result<Finished<'_>, Error>],
    outer: usize,
) -> Vec<Option<String>> {
    let work: Vec<(&Loaded, &Result<Finished<'_>, Error>)> = loaded.iter().zip(finished).collect();
    parallel::map(&work, outer, |(l, f)| match (f, &l.source) {
        (Ok(f), Source::File { path, .. }) => {
            let new = f.rendered.output.as_ref()?;
            output::write_atomic(path, new.as_bytes())
                .err()
                .map(|e| io_message(&e))
        }
        _ => None,
    })
}

/// An input that failed: a Helm template met on a walk is a note; anything
/// else an error, with its cause named where the text shows it.
fn tell_error(args: &Args, l: &Loaded, e: &Error, t: &mut Tally) {
    let name = l.source.name();
    // Places are offsets into the text after any BOM.
    let text = l
        .bytes
        .as_deref()
        .ok()
        .and_then(|b| crate::text::decode(b).ok())
        .map_or("", |(_, t)| t);
    if !l.source.named() && hints::is_template(text, e) {
        // Met on a walk: not a manifest, so not an error.
        note(
            args,
            &format!("{name}: skipped, a Helm/Go template ({{{{ … }}}} actions, not YAML)"),
        );
        t.templates += 1;
        return;
    }
    let e = hints::explain(text, e.clone());
    eprintln!("reload-stamp: {}", e.render(name, text));
    t.errored += 1;
}

/// What goes to standard output, input by input.
struct Emit<'a, W: Write> {
    args: &'a Args,
    out: W,
    color: bool,
    concat: Concat,
    /// `--report`'s items, written at the end.
    report: Vec<(String, Stamp)>,
}

impl<W: Write> Emit<'_, W> {
    fn input(&mut self, name: &str, f: &Finished<'_>) -> io::Result<()> {
        let args = self.args;
        let r = &f.rendered;
        let stream = !(args.diff || args.check || args.list || args.report.is_some() || args.write);
        if stream {
            match &r.output {
                Some(new) => self.concat.push(&mut self.out, "", new)?,
                None => self.concat.push(&mut self.out, f.bom, f.text)?,
            }
        }
        if args.diff {
            if let Some(new) = &r.output {
                let old = [f.bom, f.text].concat();
                self.out
                    .write_all(output::diff(name, &old, new, self.color).as_bytes())?;
            }
        }
        if args.list {
            for s in &r.stamps {
                writeln!(self.out, "{name}: {} {}", s.kind, qualified_stamp(s))?;
            }
        }
        if args.report.is_some() {
            self.report
                .extend(r.stamps.iter().map(|s| (name.to_string(), s.clone())));
        }
        Ok(())
    }
}

/// Options for a function or plugin run: the command line's, then those
/// its config gives. The value must be reproducible: a render that gives
/// new output every time breaks kustomize and GitOps diffs.
fn function_options(
    config_args: Vec<String>,
    with_command_line: bool,
) -> Result<(Options, Option<confighash::Keyed>, String), String> {
    let mut argv: Vec<std::ffi::OsString> = vec!["reload-stamp".into()];
    if with_command_line {
        argv.extend(std::env::args_os().skip(1));
    }
    argv.extend(config_args.into_iter().map(Into::into));
    let mut args = Args::try_parse_from(argv).map_err(|e| {
        let shown = e.to_string();
        shown
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string()
    })?;
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.is_empty());
    if args.at.as_deref() == Some("now") {
        // Asked for explicitly: the clock.
        args.at = None;
    } else if !args.config_hash && args.value.is_none() && args.at.is_none() && epoch.is_none() {
        return Err(
            "a render must give the same output every time: set value, at or configHash \
                    in the config (at: now asks for the clock), or SOURCE_DATE_EPOCH"
                .to_string(),
        );
    }
    let opts = options(&args).map_err(|Usage(m)| m)?;
    let hmac = if args.config_hash {
        confighash::key_from_env()?
    } else {
        None
    };
    let value = if args.config_hash {
        String::new()
    } else {
        resolve_value(&args).map_err(|Usage(m)| m)?
    };
    Ok((opts, hmac, value))
}

/// Stamps `bytes` for a function or plugin run: the new text (`None`:
/// unchanged) and the warnings, placed as `LINE:COL: message`.
fn function_stamp(
    bytes: &[u8],
    config_args: Vec<String>,
    with_command_line: bool,
) -> Result<(Option<String>, Vec<String>), String> {
    let (opts, hmac, value) = function_options(config_args, with_command_line)?;
    let source = if opts.config_hash {
        stamp::ValueSource::ConfigHash(hmac.as_ref())
    } else {
        stamp::ValueSource::Fixed(&value)
    };
    // Places are offsets into the text after any BOM.
    let text = crate::text::decode(bytes).map_or("", |(_, t)| t);
    match stamp::stamp_bytes(bytes, &opts, source, parallel::default_jobs()) {
        Ok(f) => Ok((
            f.rendered.output,
            f.warnings.iter().map(|w| w.located(text)).collect(),
        )),
        Err(e) => Err(e.located(text)),
    }
}

/// A KRM function run: `bytes` is a ResourceList; options come from its
/// `functionConfig`; warnings and errors go into its `results`, and an
/// error leaves the items as they were, with exit 1.
fn run_function(bytes: &[u8]) -> i32 {
    // Places are offsets into the text after any BOM.
    let Ok((_, text)) = crate::text::decode(bytes) else {
        return 2;
    };
    let outcome = krm::function_config_args(text).and_then(|a| function_stamp(bytes, a, true));
    let (out, findings, code) = match outcome {
        Ok((output, warnings)) => {
            let out = output.unwrap_or_else(|| text.to_string());
            let findings: Vec<krm::Finding> = warnings
                .into_iter()
                .map(|message| krm::Finding {
                    message,
                    severity: "warning",
                })
                .collect();
            (out, findings, 0)
        }
        Err(msg) => (
            text.to_string(),
            vec![krm::Finding {
                message: msg,
                severity: "error",
            }],
            1,
        ),
    };
    let shown = match krm::with_results(&out, &findings) {
        Some(s) => s,
        None => {
            // Not a block-style list: the results go to stderr only.
            for f in &findings {
                eprintln!("reload-stamp: {}: {}", f.severity, f.message);
            }
            out
        }
    };
    let mut stdout = io::stdout().lock();
    if stdout_failed(
        stdout
            .write_all(shown.as_bytes())
            .and_then(|()| stdout.flush()),
    ) {
        return 2;
    }
    code
}

/// A kustomize legacy exec plugin run: the config file is the first
/// argument, the resources come on standard input and go to standard
/// output; an error is a message on stderr and exit 1, with nothing on
/// standard output.
fn run_plugin() -> i32 {
    let Some(config) = std::env::args_os().nth(1) else {
        eprintln!("reload-stamp: run as the kustomize plugin {}, it needs the plugin's config file as its argument", krm::CONFIG_KIND);
        return 2;
    };
    let result = std::fs::read_to_string(&config)
        .map_err(|e| {
            format!(
                "{}: {}",
                std::path::Path::new(&config).display(),
                io_message(&e)
            )
        })
        .and_then(|c| krm::plugin_config_args(&c))
        .and_then(|a| {
            let bytes = Source::Stdin
                .read()
                .map_err(|e| format!("<stdin>: {}", io_message(&e)))?;
            // kustomize passes the config file, not options.
            let (output, warnings) = function_stamp(&bytes, a, false)?;
            Ok((output.map_or(bytes, String::into_bytes), warnings))
        });
    match result {
        Ok((out, warnings)) => {
            for w in &warnings {
                eprintln!("reload-stamp: warning: {w}");
            }
            let mut stdout = io::stdout().lock();
            if stdout_failed(stdout.write_all(&out).and_then(|()| stdout.flush())) {
                2
            } else {
                0
            }
        }
        Err(msg) => {
            eprintln!("reload-stamp: {msg}");
            1
        }
    }
}

/// `--kustomize`: each PATH a kustomization directory (see [`kustomize`]).
fn run_kustomize(args: &Args, opts: &Options) -> i32 {
    if args.paths.is_empty() || args.paths.iter().any(|p| p == "-") {
        eprintln!("reload-stamp: --kustomize needs kustomization directories, not standard input");
        return 2;
    }
    let setup = kustomize::Builder::choose(args.kustomize_command.as_deref())
        .and_then(|b| Ok((b, confighash::key_from_env()?)));
    let (builder, hmac) = match setup {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("reload-stamp: {msg}");
            return 2;
        }
    };
    // Each directory runs kustomize at least once: build them side by side.
    let plans = parallel::map(&args.paths, jobs(args), |d| {
        kustomize::plan(d, &builder, opts, hmac.as_ref(), 1)
    });
    let mut t = Tally::default();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut concat = Concat::default();
    let mut io_result = Ok(());
    for (dir, plan) in args.paths.iter().zip(plans) {
        match plan.map(|p| kustomize_dir(args, &p, &builder, opts, &mut t).map(|()| p)) {
            Ok(Ok(p)) => io_result = kustomize_emit(args, &p, &mut out, &mut concat),
            Ok(Err(msg)) | Err(msg) => {
                eprintln!("reload-stamp: {dir}: {msg}");
                t.errored += 1;
            }
        }
        if io_result.is_err() {
            break;
        }
    }
    if stdout_failed(io_result.and_then(|()| out.flush())) {
        return 2;
    }
    if !args.quiet {
        eprintln!("reload-stamp: {}", kustomize_summary(args, opts, &t));
    }
    t.exit_code(args.check)
}

/// One kustomization's plan: its warnings, what `--check` says, and with
/// `--write` its files written and checked.
fn kustomize_dir(
    args: &Args,
    p: &kustomize::DirPlan,
    builder: &kustomize::Builder,
    opts: &Options,
    t: &mut Tally,
) -> Result<(), String> {
    for w in &p.warnings {
        eprintln!("reload-stamp: warning: {}: {w}", p.dir);
    }
    if !p.changes() {
        return Ok(());
    }
    t.changed += 1;
    t.stamped += p
        .hashed
        .iter()
        .filter(|h| h.previous.as_deref() != Some(h.hash.as_str()))
        .count();
    if args.check {
        eprintln!(
            "reload-stamp: {}: {} would be stamped",
            p.patch_path.display(),
            plural(p.hashed.len(), "workload")
        );
        if p.new_kustomization.is_some() {
            eprintln!(
                "reload-stamp: {}: would list {} in its patches",
                p.kustomization_path.display(),
                kustomize::PATCH_FILE
            );
        }
    }
    if args.write {
        write_dir_plan(p, builder, opts)?;
    }
    Ok(())
}

/// What a kustomization puts on standard output: the stamped build, or
/// the diffs of its two files.
fn kustomize_emit(
    args: &Args,
    p: &kustomize::DirPlan,
    out: &mut dyn Write,
    concat: &mut Concat,
) -> io::Result<()> {
    if !(args.diff || args.check || args.write) {
        concat.push(out, "", &p.stamped_build)?;
    }
    if args.diff {
        let color = args.color.enabled(io::stdout().is_terminal());
        let old = p.old_patch.as_deref().unwrap_or("");
        if old != p.new_patch {
            let name = p.patch_path.display().to_string();
            out.write_all(output::diff(&name, old, &p.new_patch, color).as_bytes())?;
        }
        if let Some(new) = &p.new_kustomization {
            let name = p.kustomization_path.display().to_string();
            out.write_all(output::diff(&name, &p.old_kustomization, new, color).as_bytes())?;
        }
    }
    Ok(())
}

fn kustomize_summary(args: &Args, opts: &Options, t: &Tally) -> String {
    let dirs = plural(args.paths.len(), "kustomization");
    let mut line = if t.changed == 0 {
        format!("nothing to stamp in {dirs}")
    } else if args.check {
        format!(
            "{} in {} of {dirs} would be stamped",
            plural(t.stamped, "workload"),
            t.changed
        )
    } else {
        format!(
            "stamped {} in {} of {dirs} ({}: config hash){}",
            plural(t.stamped, "workload"),
            t.changed,
            opts.key,
            if args.write { "" } else { ", nothing written" }
        )
    };
    if t.errored > 0 {
        line += &format!(
            "; {} with errors, left as they were",
            plural(t.errored, "kustomization")
        );
    }
    line
}

/// Writes a directory's patch file and listing, then builds it again to
/// check that every workload carries its hash; on any failure the files
/// are put back as they were.
fn write_dir_plan(
    p: &kustomize::DirPlan,
    builder: &kustomize::Builder,
    opts: &Options,
) -> Result<(), String> {
    let shown = |path: &std::path::Path, e: &io::Error| {
        format!("cannot write {}: {}", path.display(), io_message(e))
    };
    let restore = || {
        match &p.old_patch {
            Some(old) => {
                let _ = output::write_atomic(&p.patch_path, old.as_bytes());
            }
            None => {
                let _ = std::fs::remove_file(&p.patch_path);
            }
        }
        if p.new_kustomization.is_some() {
            let _ = output::write_atomic(&p.kustomization_path, p.old_kustomization.as_bytes());
        }
    };
    let written = match &p.old_patch {
        Some(_) => output::write_atomic(&p.patch_path, p.new_patch.as_bytes()),
        None => output::write_new(&p.patch_path, p.new_patch.as_bytes()),
    };
    written.map_err(|e| shown(&p.patch_path, &e))?;
    if let Some(new) = &p.new_kustomization {
        if let Err(e) = output::write_atomic(&p.kustomization_path, new.as_bytes()) {
            restore();
            return Err(shown(&p.kustomization_path, &e));
        }
    }
    kustomize::verify(p, builder, opts).map_err(|msg| {
        restore();
        format!("{msg}; the files were put back as they were")
    })
}

/// The time stamp's value: `--value`, or the time (`--at`, else
/// `SOURCE_DATE_EPOCH`, else now) formatted.
fn resolve_value(args: &Args) -> Result<String, Usage> {
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
    .map_err(Usage)
}

/// The settings of a run, from the flags.
fn options(args: &Args) -> Result<Options, Usage> {
    let mut selector = Selector::default();
    if !args.kinds.is_empty() {
        selector.kinds = args
            .kinds
            .iter()
            .map(|k| KindSpec::parse(k))
            .collect::<Result<_, _>>()
            .map_err(Usage)?;
    }
    selector.names.clone_from(&args.names);
    selector.namespaces.clone_from(&args.namespaces);
    if let Some(s) = &args.selector {
        let parsed =
            LabelSelector::parse(s).map_err(|e| Usage(format!("--selector '{s}': {e}")))?;
        selector.labels = Some(parsed);
    }
    if args.config_hash {
        selector.extra_words = vec!["ConfigMap".to_string(), "Secret".to_string()];
    }
    let key = args.key.clone().unwrap_or_else(|| {
        if args.config_hash {
            "checksum/config".to_string()
        } else if args.kubectl {
            "kubectl.kubernetes.io/restartedAt".to_string()
        } else {
            "reloaded-at".to_string()
        }
    });
    check_key(&key).map_err(Usage)?;
    Ok(Options {
        selector,
        key,
        config_hash: args.config_hash,
        records: args.list || args.report.is_some(),
        full_check: false,
    })
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

fn qualified_stamp(s: &Stamp) -> String {
    qualified(s.name.as_deref(), s.namespace.as_deref())
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn write_report(
    out: &mut dyn Write,
    key: &str,
    stamps: &[(String, Stamp)],
    files: usize,
) -> io::Result<()> {
    let items: Vec<serde_json::Value> = stamps
        .iter()
        .map(|(path, s)| {
            serde_json::json!({
                "path": path,
                "line": s.line,
                "kind": s.kind,
                "namespace": s.namespace,
                "name": s.name,
                "previous": s.previous,
                "value": s.value,
            })
        })
        .collect();
    let doc = serde_json::json!({ "key": key, "files_changed": files, "stamped": items });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

fn build_globs(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| format!("--exclude '{g}': {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// An annotation key, as the API server accepts it.
fn check_key(key: &str) -> Result<(), String> {
    crate::labels::qualified_name(key).map_err(|why| format!("invalid --key '{key}': {why}"))
}
