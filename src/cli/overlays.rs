//! `--kustomize`: the run over kustomization directories.

use std::io::{self, IsTerminal, Write};

use super::files::Tally;
use super::*;

/// `--kustomize`: each PATH a kustomization directory, or a directory
/// whose entry points below it are taken (see [`kustomize`]).
pub(super) fn run_kustomize(args: &Args, opts: &Options) -> i32 {
    if args.paths.is_empty() || args.paths.iter().any(|p| p == "-") {
        eprintln!("reload-stamp: --kustomize needs kustomization directories, not standard input");
        return 2;
    }
    let builder = match kustomize::Builder::choose(args.kustomize_command.as_deref()) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("reload-stamp: {msg}");
            return 2;
        }
    };
    let mut c = Counts::default();
    let (entries, found_lines) = entries(args, &mut c.t);
    let canonical: Vec<_> = entries.iter().map(|e| e.real.clone()).collect();
    let session = match kustomize::Session::new(&canonical) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("reload-stamp: {msg}");
            return 2;
        }
    };
    // Each directory runs kustomize at least once: build them side by side.
    let plans = parallel::map(&entries, jobs(args), |e| {
        kustomize::plan(&e.shown, &session, &builder, opts)
    });
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let (io_result, pending) = take_plans(args, &entries, plans, &mut out, &mut c);
    write_pending(pending, &builder, opts, &mut c);
    if stdout_failed(io_result.and_then(|()| out.flush())) {
        return 2;
    }
    if !args.quiet {
        for line in &found_lines {
            eprintln!("reload-stamp: {line}");
        }
        let n = entries.len() - c.skipped;
        eprintln!(
            "reload-stamp: {}",
            kustomize_summary(args, opts, &c.t, n, c.removed, c.skipped)
        );
    }
    let all = Tally {
        changed: c.t.changed + c.removed,
        ..c.t
    };
    all.exit_code(args.check)
}

/// An entry point of the run.
struct Entry {
    /// As messages show it.
    shown: String,
    /// Its canonical path.
    real: std::path::PathBuf,
    /// Found below a named directory, not named itself.
    found: bool,
}

/// What the run counts, for its summary and exit code.
#[derive(Default)]
struct Counts {
    t: Tally,
    /// Kustomizations whose patch file goes (or would).
    removed: usize,
    /// Entry points found that do not build.
    skipped: usize,
}

impl Counts {
    /// A changed kustomization counted in the summary.
    fn count(&mut self, p: &kustomize::DirPlan) {
        if p.removes() {
            self.removed += 1;
        } else {
            self.t.changed += 1;
            self.t.stamped += p.stamped;
        }
    }
}

/// The run's entry points: each PATH, or the entry points below it when
/// it holds no kustomization (with a line for the summary saying which
/// were found). Paths that are no entry point are reported and counted.
fn entries(args: &Args, t: &mut Tally) -> (Vec<Entry>, Vec<String>) {
    let mut found_lines = Vec::new();
    let mut entries = Vec::new();
    for p in &args.paths {
        let path = std::path::Path::new(p);
        if path.is_dir() && kustomize::kustomization_file(path).is_none() {
            let below = kustomize::entries_below(path);
            found_lines.push(format!(
                "{p}: {} found: {}",
                plural(below.len(), "entry point"),
                below
                    .iter()
                    .map(|b| b.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            for b in below {
                let shown = b.display().to_string();
                push_entry(&mut entries, t, shown, &b.to_string_lossy(), true);
            }
            continue;
        }
        push_entry(&mut entries, t, p.clone(), p, false);
    }
    (entries, found_lines)
}

/// `dir` added to `entries` if it is a kustomization, else reported and
/// counted as an error.
fn push_entry(entries: &mut Vec<Entry>, t: &mut Tally, shown: String, dir: &str, found: bool) {
    match kustomize::entry(dir) {
        Ok(real) => entries.push(Entry { shown, real, found }),
        Err(msg) => {
            eprintln!("reload-stamp: {shown}: {msg}");
            t.errored += 1;
        }
    }
}

/// Each entry's plan, in order: its warnings, `--check` lines and output;
/// with `--write` the changed ones are returned to be written, otherwise
/// counted. Stops at the first failed write to standard output.
fn take_plans<'e>(
    args: &Args,
    entries: &'e [Entry],
    plans: Vec<Result<kustomize::DirPlan, Error>>,
    out: &mut dyn Write,
    c: &mut Counts,
) -> (io::Result<()>, Vec<(&'e str, kustomize::DirPlan)>) {
    let mut concat = Concat::default();
    let mut io_result = Ok(());
    let mut pending = Vec::new();
    for (e, plan) in entries.iter().zip(plans) {
        let dir = e.shown.as_str();
        let plan = match plan {
            Err(err) if e.found && err.msg.starts_with('`') && err.msg.contains("` failed: ") => {
                // Found, not named: an entry point that does not build is
                // no entry point.
                eprintln!("reload-stamp: warning: {dir}: skipped, it does not build: {err}");
                c.skipped += 1;
                continue;
            }
            p => p,
        };
        match plan.and_then(|p| kustomize_dir(args, &p).map(|()| p)) {
            Ok(p) => {
                io_result = kustomize_emit(args, &p, out, &mut concat);
                if args.write && p.changes() {
                    pending.push((dir, p));
                } else if p.changes() {
                    c.count(&p);
                }
            }
            Err(msg) => {
                eprintln!("reload-stamp: {dir}: {msg}");
                c.t.errored += 1;
            }
        }
        if io_result.is_err() {
            break;
        }
    }
    (io_result, pending)
}

/// Writes the `pending` plans. An entry's check builds it with the patches
/// of the entries it includes as they are on disk: a write whose check
/// fails is tried again once the others are written, until no more
/// succeed.
fn write_pending(
    mut pending: Vec<(&str, kustomize::DirPlan)>,
    builder: &kustomize::Builder,
    opts: &Options,
    c: &mut Counts,
) {
    loop {
        let before = pending.len();
        let mut failed = Vec::new();
        for (dir, p) in pending {
            match write_dir_plan(&p, builder, opts) {
                Ok(()) => c.count(&p),
                Err(msg) => failed.push((dir, p, msg)),
            }
        }
        if failed.is_empty() || failed.len() == before {
            for (dir, _, msg) in failed {
                eprintln!("reload-stamp: {dir}: {msg}");
                c.t.errored += 1;
            }
            break;
        }
        pending = failed.into_iter().map(|(d, p, _)| (d, p)).collect();
    }
}

/// One kustomization's plan: its warnings and what `--check` says.
fn kustomize_dir(args: &Args, p: &kustomize::DirPlan) -> Result<(), Error> {
    for w in &p.warnings {
        eprintln!("reload-stamp: warning: {}: {w}", p.dir);
    }
    if !p.changes() {
        return Ok(());
    }
    if args.check {
        if p.removes() {
            eprintln!(
                "reload-stamp: {}: nothing left to stamp, would be removed",
                p.patch_path.display()
            );
        } else {
            eprintln!(
                "reload-stamp: {}: {} would be stamped",
                p.patch_path.display(),
                plural(p.stamped, "workload")
            );
        }
        if p.new_kustomization.is_some() {
            let verb = if p.removes() {
                "would no longer list"
            } else {
                "would list"
            };
            eprintln!(
                "reload-stamp: {}: {verb} {} in its patches",
                p.kustomization_path.display(),
                kustomize::PATCH_FILE
            );
        }
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
    if args.streams() {
        concat.push(out, "", &[&p.stamped_build])?;
    }
    if args.diff {
        let color = args.color.enabled(io::stdout().is_terminal());
        let old = p.old_patch.as_deref().unwrap_or("");
        let new = p.new_patch.as_deref().unwrap_or("");
        if old != new {
            let name = p.patch_path.display().to_string();
            out.write_all(output::diff(&name, old, new, color).as_bytes())?;
        }
        if let Some(new) = &p.new_kustomization {
            let name = p.kustomization_path.display().to_string();
            out.write_all(output::diff(&name, &p.old_kustomization, new, color).as_bytes())?;
        }
    }
    Ok(())
}

fn kustomize_summary(
    args: &Args,
    opts: &Options,
    t: &Tally,
    n: usize,
    removed: usize,
    skipped: usize,
) -> String {
    let dirs = plural(n, "kustomization");
    let mut line = if t.changed == 0 && removed > 0 {
        format!("no workload to stamp in {dirs}")
    } else if t.changed == 0 {
        format!("nothing to stamp in {dirs}")
    } else if args.check {
        t.would_be_stamped(&dirs)
    } else {
        t.stamped_in(&dirs, &opts.key, "config hash", args.write)
    };
    if removed > 0 {
        let verb = if args.write {
            "removed from"
        } else if args.check {
            "would be removed from"
        } else {
            "to be removed from"
        };
        line += &format!(
            "; {} {verb} {} with nothing left to stamp",
            kustomize::PATCH_FILE,
            plural(removed, "kustomization")
        );
    }
    if skipped > 0 {
        line += &format!(
            "; {} found that do not build skipped",
            plural(skipped, "directory")
        );
    }
    line + &t.errors("kustomization")
}

/// Writes a directory's patch file and listing, then builds it again to
/// check that every workload carries its hash; on any failure the files
/// are put back as they were.
fn write_dir_plan(
    p: &kustomize::DirPlan,
    builder: &kustomize::Builder,
    opts: &Options,
) -> Result<(), Error> {
    let shown = |path: &std::path::Path, e: &io::Error| {
        Error::new(
            ErrorKind::Io,
            format!("cannot write {}: {}", path.display(), io_message(e)),
        )
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
    let written = match (&p.old_patch, &p.new_patch) {
        (Some(old), Some(new)) if old == new => Ok(()),
        (Some(_), Some(new)) => output::write_atomic(&p.patch_path, new.as_bytes()),
        (None, Some(new)) => output::write_new(&p.patch_path, new.as_bytes()),
        (Some(_), None) => std::fs::remove_file(&p.patch_path),
        (None, None) => Ok(()),
    };
    written.map_err(|e| shown(&p.patch_path, &e))?;
    if let Some(new) = &p.new_kustomization {
        if let Err(e) = output::write_atomic(&p.kustomization_path, new.as_bytes()) {
            restore();
            return Err(shown(&p.kustomization_path, &e));
        }
    }
    kustomize::verify(p, builder, opts).map_err(|e| {
        restore();
        e.map_msg(|m| format!("{m}; the files were put back as they were"))
    })
}
