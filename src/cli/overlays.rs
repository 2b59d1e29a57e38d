//! `--kustomize`: the run over kustomization directories.

use std::io::{self, IsTerminal, Write};

use super::files::Tally;
use super::*;

/// `--kustomize`: each PATH a kustomization directory (see [`kustomize`]).
pub(super) fn run_kustomize(args: &Args, opts: &Options) -> i32 {
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
        concat.push(out, "", &[&p.stamped_build])?;
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
    let line = if t.changed == 0 {
        format!("nothing to stamp in {dirs}")
    } else if args.check {
        t.would_be_stamped(&dirs)
    } else {
        t.stamped_in(&dirs, &opts.key, "config hash", args.write)
    };
    line + &t.errors("kustomization")
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
