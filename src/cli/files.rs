//! The run over files and standard input, in stages: read, analyse,
//! render, write, tell.

use std::io::{self, IsTerminal, Write};

use super::*;
use crate::text;

pub(super) struct Run {
    /// Standard input, when it was read before the run (to tell a
    /// ResourceList).
    pub(super) stdin: Option<Vec<u8>>,
    opts: Options,
    sources: Vec<Source>,
    walk_errors: Vec<(String, Error)>,
    /// Chart templates met while walking, not read.
    chart_templates: Vec<String>,
}

/// Per input: its bytes, or the error that stopped it.
pub(super) struct Loaded {
    source: Source,
    bytes: Result<Vec<u8>, Error>,
    /// `bytes` is [`text::stand_in`] text for input that is not UTF-8:
    /// what is written must be [`text::restore`]d.
    stand_in: bool,
}

/// The progress display, told by the run.
struct Shown<'p> {
    progress: &'p Progress,
    /// The phase once stamping starts.
    then: &'static str,
}

impl crate::run::Observer for Shown<'_> {
    fn planned(&self) {
        self.progress.inc();
    }
    fn stamping(&self) {
        self.progress.phase(self.then);
    }
    fn stamped(&self) {
        self.progress.inc();
    }
}

impl Run {
    pub(super) fn new(args: &Args) -> Result<Run, Error> {
        let opts = options(args)?;
        let exclude = build_globs(&args.exclude)?;
        let found = inputs::collect(
            &args.paths,
            WalkOptions {
                exclude: &exclude,
                no_ignore: args.no_ignore,
                threads: jobs(args),
            },
        );
        if args.write && found.sources.contains(&Source::Stdin) {
            return Err(Error::new(
                ErrorKind::Usage,
                "--write needs files: standard input cannot be rewritten in place",
            ));
        }
        Ok(Run {
            stdin: None,
            opts,
            sources: found.sources,
            walk_errors: found.errors,
            chart_templates: found.chart_templates,
        })
    }

    /// Read, stamp (the library's run), write, then tell: one stage after
    /// another, each spread over the threads.
    pub(super) fn execute(mut self, args: &Args) -> i32 {
        let outer = if self.sources.len() > 1 {
            jobs(args)
        } else {
            1
        };
        let progress = Progress::new(
            self.sources.len(),
            !args.quiet && io::stderr().is_terminal(),
        );
        progress.phase("reading");
        let stdin = self.stdin.take();
        // One input: its read may be shared by the threads too.
        let inner = if outer > 1 { 1 } else { jobs(args) };
        let loaded = self.read(stdin, outer, inner);
        let inputs: Vec<Input<'_>> = loaded
            .iter()
            .filter_map(|l| {
                let bytes = l.bytes.as_ref().ok()?;
                Some(Input {
                    name: l.source.name(),
                    bytes,
                })
            })
            .collect();
        let shown = Shown {
            progress: &progress,
            then: if args.write { "writing" } else { "stamping" },
        };
        let mut stamped = crate::run::run_observed(&inputs, &self.opts, &shown).into_iter();
        let finished: Vec<Result<Stamped<'_>, Error>> = loaded
            .iter()
            .map(|l| match &l.bytes {
                Ok(_) => stamped
                    .next()
                    .unwrap_or_else(|| Err(Error::internal(0, "an input got no outcome"))),
                Err(e) => Err(e.clone()),
            })
            .collect();
        let written = if args.write {
            write_all(&loaded, &finished, outer)
        } else {
            vec![None; finished.len()]
        };
        progress.finish();
        self.tell(args, &loaded, &finished, &written)
    }

    /// Stage 1: every input's bytes.
    fn read(&self, stdin: Option<Vec<u8>>, outer: usize, inner: usize) -> Vec<Loaded> {
        // Standard input already read (to tell a ResourceList) is moved in,
        // not copied.
        let stdin = std::sync::Mutex::new(stdin);
        parallel::map(&self.sources, outer, |s| {
            let read = match (s, stdin.lock().ok().and_then(|mut b| b.take())) {
                (Source::Stdin, Some(bytes)) => Ok(bytes),
                _ => s.read_with(inner),
            };
            let mut stand_in = false;
            // kubectl reads files that are not UTF-8 (an invalid byte reads
            // as U+FFFD); so does a stamp, but not a config hash, which
            // would have to define a digest of bytes kubectl never sends.
            let read = read.map(|b| match text::stand_in(&b) {
                Some(t) if !self.opts.hashes() => {
                    stand_in = true;
                    t
                }
                _ => b,
            });
            Loaded {
                source: s.clone(),
                bytes: read.map_err(|e| inputs::io_error(&e)),
                stand_in,
            }
        })
    }

    /// Stage 5: warnings, errors, the stream or diff or list or report, and
    /// the summary; the exit code.
    fn tell(
        &self,
        args: &Args,
        loaded: &[Loaded],
        finished: &[Result<Stamped<'_>, Error>],
        written: &[Option<String>],
    ) -> i32 {
        let mut t = Tally {
            errored: self.walk_errors.len(),
            templates: self.chart_templates.len(),
            ..Tally::default()
        };
        for (path, e) in &self.walk_errors {
            eprintln!("reload-stamp: {path}: {e}");
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
            tell_input(args, name, f, write_error.as_deref(), &mut t);
            if let Err(e) = out.input(name, f, l.stand_in) {
                io_result = Err(e);
                break;
            }
        }
        if io_result.is_ok() && args.report.is_some() {
            io_result = write_report(&mut out.out, &self.opts, &out.report, t.changed);
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
        let stream = args.streams();
        let msg = if t.stamped == 0 {
            format!("nothing to stamp in {files}")
        } else if args.check {
            t.would_be_stamped(&files)
        } else {
            let value = match &self.opts.value {
                None => "config hash".to_string(),
                Some(v) => format!("\"{v}\""),
            };
            t.stamped_in(&files, &self.opts.key, &value, args.write || stream)
        };
        let mut line = msg + &t.errors("input");
        if t.templates > 0 {
            line += &format!("; skipped {}", plural(t.templates, "Helm template"));
        }
        line
    }
}

/// An input's warnings, what `--check` says of it, and why writing it
/// failed; counted in `t`.
fn tell_input(args: &Args, name: &str, f: &Stamped<'_>, write_error: Option<&str>, t: &mut Tally) {
    for w in f.warnings() {
        eprintln!("reload-stamp: warning: {}", w.render(name));
    }
    if !f.changed() {
        return;
    }
    t.changed += 1;
    t.stamped += f.count();
    if args.check {
        eprintln!(
            "reload-stamp: {name}: {} would be stamped",
            plural(f.count(), "workload")
        );
    }
    if let Some(e) = write_error {
        eprintln!("reload-stamp: {name}: cannot write: {e}");
        t.errored += 1;
    }
}

/// What a run counted, for its summary and exit code.
#[derive(Default)]
pub(super) struct Tally {
    /// Inputs that changed (or would).
    pub(super) changed: usize,
    pub(super) stamped: usize,
    /// Inputs with an error, and walk errors.
    pub(super) errored: usize,
    /// Helm templates skipped.
    pub(super) templates: usize,
}

impl Tally {
    /// `N workloads in M of INPUTS would be stamped`.
    pub(super) fn would_be_stamped(&self, inputs: &str) -> String {
        format!(
            "{} in {} of {inputs} would be stamped",
            plural(self.stamped, "workload"),
            self.changed
        )
    }

    /// `stamped N workloads in M of INPUTS (KEY: VALUE)`, and whether
    /// anything was written.
    pub(super) fn stamped_in(&self, inputs: &str, key: &str, value: &str, written: bool) -> String {
        format!(
            "stamped {} in {} of {inputs} ({key}: {value}){}",
            plural(self.stamped, "workload"),
            self.changed,
            if written { "" } else { ", nothing written" }
        )
    }

    /// `; N WHATs with errors, left as they were`, or nothing.
    pub(super) fn errors(&self, what: &str) -> String {
        if self.errored == 0 {
            return String::new();
        }
        format!(
            "; {} with errors, left as they were",
            plural(self.errored, what)
        )
    }

    /// 2 for any error, else 1 when `--check` found changes, else 0.
    pub(super) fn exit_code(&self, check: bool) -> i32 {
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
    finished: &[Result<Stamped<'_>, Error>],
    outer: usize,
) -> Vec<Option<String>> {
    let work: Vec<(&Loaded, &Result<Stamped<'_>, Error>)> = loaded.iter().zip(finished).collect();
    parallel::map(&work, outer, |(l, f)| match (f, &l.source) {
        (Ok(f), Source::File { path, .. }) => {
            let parts = f.output_parts()?;
            let restored: Vec<Vec<u8>>;
            let bytes: Vec<&[u8]> = if l.stand_in {
                restored = parts.iter().map(|p| text::restore(p)).collect();
                restored.iter().map(Vec::as_slice).collect()
            } else {
                parts.iter().map(|p| p.as_bytes()).collect()
            };
            output::write_atomic_parts(path, &bytes)
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
    fn input(&mut self, name: &str, f: &Stamped<'_>, stand_in: bool) -> io::Result<()> {
        let args = self.args;
        let stream = args.streams();
        let mut restore = text::Restore(&mut self.out);
        let out: &mut dyn Write = if stand_in { &mut restore } else { restore.0 };
        if stream {
            match f.output() {
                Some(new) => {
                    self.concat
                        .push(out, f.bom, &new.parts(f.text).collect::<Vec<_>>())?
                }
                None => self.concat.push(out, f.bom, &[f.text])?,
            }
        }
        if args.diff {
            if let Some(new) = &f.output_string() {
                let old = [f.bom, f.text].concat();
                out.write_all(output::diff(name, &old, new, self.color).as_bytes())?;
            }
        }
        if args.list {
            for s in f.stamps() {
                writeln!(self.out, "{name}: {}", s.id)?;
                for src in &s.sources {
                    writeln!(self.out, "{name}:   {}", source_line(src))?;
                }
            }
        }
        if args.report.is_some() {
            self.report
                .extend(f.stamps().iter().map(|s| (name.to_string(), s.clone())));
        }
        Ok(())
    }
}
