//! Turns the command line's PATHs into an ordered list of inputs.

use std::io::Read;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use walkdir::WalkDir;

/// One input: standard input or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File {
        /// The path as shown to the user.
        display: String,
        path: PathBuf,
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

    /// Reads the whole input.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Source::Stdin => {
                let mut v = Vec::new();
                std::io::stdin().lock().read_to_end(&mut v)?;
                Ok(v)
            }
            Source::File { path, .. } => std::fs::read(path),
        }
    }
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

/// Expands `paths` (none means standard input) into sources, in order.
/// Errors are `(path, message)` pairs; the other paths are still expanded.
pub fn collect(paths: &[String], exclude: &GlobSet) -> (Vec<Source>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    if paths.is_empty() {
        out.push(Source::Stdin);
    }
    for p in paths {
        if p == "-" {
            out.push(Source::Stdin);
            continue;
        }
        let path = Path::new(p);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                errors.push((p.clone(), io_message(&e)));
                continue;
            }
        };
        if !meta.is_dir() {
            // A file named on the command line is read whatever its name.
            out.push(Source::File {
                display: display(path),
                path: path.to_path_buf(),
            });
            continue;
        }
        let walk = WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !(e.file_name().to_string_lossy().starts_with('.')
                        || excluded(exclude, e.path()))
            });
        for entry in walk {
            match entry {
                Ok(e) if e.file_type().is_file() && is_manifest(e.path()) => {
                    out.push(Source::File {
                        display: display(e.path()),
                        path: e.path().to_path_buf(),
                    })
                }
                Ok(_) => {}
                Err(e) => {
                    let at = e.path().map_or(p.clone(), display);
                    let msg = e.io_error().map_or_else(|| e.to_string(), io_message);
                    errors.push((at, msg));
                }
            }
        }
    }
    (out, errors)
}

/// An I/O error as a short sentence, without Rust's "(os error N)".
pub fn io_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}
