//! Turns the command line's PATHs into an ordered list of inputs.
//!
//! Directories are walked as ripgrep walks them (the `ignore` crate, its
//! walker): `.gitignore`, `.ignore`, `.git/info/exclude` and the global git
//! excludes are honoured, hidden entries are skipped (so `.git` is never
//! entered), and symbolic links met on the way are not followed. Files
//! named on the command line are always read.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use ignore::WalkBuilder;

use crate::error::{Error, ErrorKind};

/// One input: standard input or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File {
        /// The path as shown to the user.
        display: String,
        path: PathBuf,
        /// Named on the command line, not met while walking a directory.
        named: bool,
    },
}

impl Source {
    /// The name used in messages and diff headers.
    pub fn name(&self) -> &str {
        match self {
            Source::Stdin => "<stdin>",
            Source::File { display, .. } => display,
        }
    }

    /// Whether the user asked for this input by name (a file on the
    /// command line, or standard input) rather than it being met on a walk.
    pub fn named(&self) -> bool {
        match self {
            Source::Stdin => true,
            Source::File { named, .. } => *named,
        }
    }

    /// Reads the whole input.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        self.read_with(1)
    }

    /// Reads the whole input; a big regular file (or standard input that
    /// is one) is read in parts on up to `jobs` threads, so that the page
    /// faults and copies of a read are shared by the cores.
    pub fn read_with(&self, jobs: usize) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Stdin => {
                if let Some(v) = read_stdin_file(jobs)? {
                    return Ok(v);
                }
                // Sized up front when standard input is a file (`< stream`),
                // as fs::read does: growing by doubling copied the stream
                // and faulted in twice its pages.
                let mut v = Vec::with_capacity(stdin_size().unwrap_or(0));
                std::io::stdin().lock().read_to_end(&mut v)?;
                Ok(v)
            }
            Source::File { path, .. } => {
                if jobs > 1 {
                    let mut file = std::fs::File::open(path)?;
                    if let Some(v) = read_in_parts(&mut file, jobs)? {
                        return Ok(v);
                    }
                }
                std::fs::read(path)
            }
        }
    }
}

/// Below this size a file is read by one thread.
const PARTS_FROM: u64 = 4 << 20;

/// Standard input read by [`read_in_parts`] when it is a regular file.
#[cfg(unix)]
fn read_stdin_file(jobs: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::os::fd::AsFd;
    if jobs < 2 {
        return Ok(None);
    }
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return Ok(None);
    };
    read_in_parts(&mut std::fs::File::from(fd), jobs)
}

#[cfg(not(unix))]
fn read_stdin_file(_jobs: usize) -> std::io::Result<Option<Vec<u8>>> {
    Ok(None)
}

/// The rest of the regular file `file` from its offset on, read as parts
/// side by side (positional reads, each into its own part of one buffer),
/// then on to its end in case it grew; the offset is left at the end, as
/// a plain read leaves it. `None` (nothing read) when `file` is not a
/// regular file, is small, or shrank while read.
#[cfg(unix)]
fn read_in_parts(file: &mut std::fs::File, jobs: usize) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::FileExt;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let start = file.stream_position()?;
    let len = meta.len().saturating_sub(start);
    if len < PARTS_FROM {
        return Ok(None);
    }
    let Ok(n) = usize::try_from(len) else {
        return Ok(None);
    };
    // Zeroed by the allocator as fresh pages: touched first by the reads.
    let mut v = vec![0u8; n];
    let part = n.div_ceil(jobs.min(4));
    let f: &std::fs::File = file;
    let read: std::io::Result<()> = std::thread::scope(|s| {
        let mut chunks = v.chunks_mut(part).enumerate();
        let first = chunks.next();
        let others: Vec<_> = chunks
            .map(|(i, c)| s.spawn(move || f.read_exact_at(c, start + (i * part) as u64)))
            .collect();
        let mut r = first.map_or(Ok(()), |(_, c)| f.read_exact_at(c, start));
        for h in others {
            let got = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            r = r.and(got);
        }
        r
    });
    match read {
        Ok(()) => {}
        // Shorter than it was: read it the plain way.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    file.seek(SeekFrom::Start(start + len))?;
    file.read_to_end(&mut v)?;
    Ok(Some(v))
}

#[cfg(not(unix))]
fn read_in_parts(_file: &mut std::fs::File, _jobs: usize) -> std::io::Result<Option<Vec<u8>>> {
    Ok(None)
}

/// The size of standard input when it is a regular file.
#[cfg(unix)]
fn stdin_size() -> Option<usize> {
    use std::os::fd::AsFd;
    let file = std::fs::File::from(std::io::stdin().as_fd().try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    meta.is_file().then(|| meta.len() as usize + 1)
}

/// The size of standard input when it is a regular file (not looked up
/// here: growing the buffer is only slower).
#[cfg(not(unix))]
fn stdin_size() -> Option<usize> {
    None
}

/// How directories are walked.
#[derive(Debug, Clone, Copy)]
pub struct WalkOptions<'a> {
    /// Paths matching these globs are skipped (matched against the shown
    /// path and the file name).
    pub exclude: &'a GlobSet,
    /// Read files that ignore files (`.gitignore`, …) would leave out.
    pub no_ignore: bool,
    /// Threads to walk with.
    pub threads: usize,
}

/// What [`collect`] found.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The inputs, in order: PATHs as given, each directory's files sorted.
    pub sources: Vec<Source>,
    /// Files met while walking that are Helm chart templates (under a
    /// chart's `templates/`, next to its `Chart.yaml`), shown paths.
    pub chart_templates: Vec<String>,
    /// The path and the error of each PATH or entry that could not be read.
    pub errors: Vec<(String, Error)>,
}

fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn display(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn excluded(exclude: &GlobSet, p: &Path) -> bool {
    if exclude.is_empty() {
        return false;
    }
    let shown = display(p);
    exclude.is_match(&shown) || p.file_name().is_some_and(|n| exclude.is_match(n))
}

/// Whether `file`, met under `root`, is in a Helm chart's `templates/`
/// folder (at any depth below it). `charts` caches the answer per folder.
fn in_chart_templates(root: &Path, file: &Path, charts: &mut HashMap<PathBuf, bool>) -> bool {
    file.ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(root) && *d != root)
        .any(|d| {
            d.file_name().is_some_and(|n| n == "templates")
                && *charts
                    .entry(d.to_path_buf())
                    .or_insert_with(|| d.with_file_name("Chart.yaml").is_file())
        })
}

/// Expands `paths` (none means standard input) into inputs, in order.
/// Errors are kept per path; the other paths are still expanded.
pub fn collect(paths: &[String], opts: WalkOptions<'_>) -> Inputs {
    let mut found = Inputs::default();
    if paths.is_empty() {
        found.sources.push(Source::Stdin);
    }
    for p in paths {
        if p == "-" {
            found.sources.push(Source::Stdin);
            continue;
        }
        let path = Path::new(p);
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(p, path, opts, &mut found),
            // A file named on the command line is read whatever its name.
            Ok(_) => found.sources.push(Source::File {
                display: display(path),
                path: path.to_path_buf(),
                named: true,
            }),
            Err(e) => found.errors.push((p.clone(), io_error(&e))),
        }
    }
    found
}

fn walk(arg: &str, root: &Path, opts: WalkOptions<'_>, found: &mut Inputs) {
    let exclude = opts.exclude.clone();
    // The walk runs on `threads` threads (it is mostly directory reads and
    // ignore-file lookups); sorting the paths afterwards gives the order of
    // a sorted depth-first walk, since paths compare component by component.
    let (tx, rx) = std::sync::mpsc::channel();
    WalkBuilder::new(root)
        .standard_filters(!opts.no_ignore)
        // Hidden entries are skipped with or without --no-ignore, as
        // ripgrep does: `.git` is never entered.
        .hidden(true)
        .follow_links(false)
        .threads(opts.threads)
        .filter_entry(move |e| e.depth() == 0 || !excluded(&exclude, e.path()))
        .build_parallel()
        .run(|| {
            let tx = tx.clone();
            Box::new(move |entry| {
                let found = match entry {
                    Ok(e)
                        if e.file_type().is_some_and(|t| t.is_file()) && is_manifest(e.path()) =>
                    {
                        Ok(e.into_path())
                    }
                    Ok(_) => return ignore::WalkState::Continue,
                    Err(e) => Err(walk_error(&e)),
                };
                match tx.send(found) {
                    Ok(()) => ignore::WalkState::Continue,
                    Err(_) => ignore::WalkState::Quit,
                }
            })
        });
    drop(tx);
    let (mut files, mut errors): (Vec<_>, Vec<_>) = rx.into_iter().partition(Result::is_ok);
    files.sort_unstable();
    errors.sort();
    let mut charts = HashMap::new();
    for path in files.into_iter().flatten() {
        if in_chart_templates(root, &path, &mut charts) {
            found.chart_templates.push(display(&path));
        } else {
            found.sources.push(Source::File {
                display: display(&path),
                path,
                named: false,
            });
        }
    }
    for (at, msg) in errors.into_iter().filter_map(Result::err) {
        found.errors.push((
            at.unwrap_or_else(|| arg.to_string()),
            Error::new(ErrorKind::Io, msg),
        ));
    }
}

/// The path and message of a walk error, without the crate's wrapping.
fn walk_error(e: &ignore::Error) -> (Option<String>, String) {
    match e {
        ignore::Error::WithPath { path, err } => (Some(display(path)), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Io(io) => (None, io_message(io)),
        other => (None, other.to_string()),
    }
}

/// An I/O error as the one error type, of kind [`ErrorKind::Io`].
pub fn io_error(e: &std::io::Error) -> Error {
    Error::new(ErrorKind::Io, io_message(e))
}

/// An I/O error as a short sentence, without Rust's "(os error N)".
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Seek, SeekFrom, Write};

    #[test]
    fn a_file_read_in_parts_is_the_file_from_its_offset() {
        let bytes: Vec<u8> = (0..super::PARTS_FROM as usize + 12_345)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&bytes).unwrap();
        for (jobs, at) in [(2, 0), (3, 5), (4, 777), (9, 1)] {
            tmp.seek(SeekFrom::Start(at)).unwrap();
            let got = super::read_in_parts(&mut tmp, jobs).unwrap().unwrap();
            assert!(got == bytes[at as usize..], "jobs {jobs}, from {at}");
            // Left at the end, as a plain read leaves it.
            assert_eq!(tmp.stream_position().unwrap(), bytes.len() as u64);
        }
        // Too little left to be worth the threads: read the plain way.
        tmp.seek(SeekFrom::Start(bytes.len() as u64 - 10)).unwrap();
        assert!(super::read_in_parts(&mut tmp, 2).unwrap().is_none());
    }
}
