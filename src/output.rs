//! Rendering results: the concatenated stream, unified diffs, and atomic
//! in-place writes.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use similar::TextDiff;

use crate::text::BOM;

/// Writes several streams to one output as one stream, adding a document
/// marker (and a newline) between them where needed.
#[derive(Default)]
pub struct Concat {
    started: bool,
    ends_with_newline: bool,
}

impl Concat {
    /// Writes one whole input (`bom`, then the text `parts` in order) after
    /// what was written before; only the first input keeps a byte-order
    /// mark.
    pub fn push(&mut self, w: &mut dyn Write, bom: &str, parts: &[&str]) -> io::Result<()> {
        let mut parts: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        if self.started {
            if let Some(first) = parts.first_mut() {
                *first = first.strip_prefix(BOM).unwrap_or(first);
            }
            match first_content(&parts) {
                // Nothing but blank lines and comments: no document to separate.
                None => {}
                Some(line) => {
                    if !self.ends_with_newline {
                        w.write_all(b"\n")?;
                    }
                    if line.starts_with('%') {
                        // Directives may only follow an ended document.
                        w.write_all(b"...\n")?;
                    } else if !is_marker(&line, "---") {
                        w.write_all(b"---\n")?;
                    }
                }
            }
        } else {
            w.write_all(bom.as_bytes())?;
        }
        for p in &parts {
            w.write_all(p.as_bytes())?;
        }
        if let Some(last) = parts.iter().rev().find(|p| !p.is_empty()) {
            self.started = true;
            self.ends_with_newline = last.ends_with('\n');
        }
        Ok(())
    }
}

fn is_marker(line: &str, m: &str) -> bool {
    line.starts_with(m)
        && line[m.len()..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// The first line of the text `parts` (in order; a line may run across
/// them) that is neither blank nor a comment.
fn first_content(parts: &[&str]) -> Option<String> {
    let content = |l: &str| {
        let t = l.trim_start();
        !t.is_empty() && !t.starts_with('#')
    };
    let mut line = String::new();
    for p in parts {
        let mut rest = *p;
        while let Some(i) = rest.find('\n') {
            line.push_str(&rest[..i]);
            if content(&line) {
                return Some(line);
            }
            line.clear();
            rest = &rest[i + 1..];
        }
        line.push_str(rest);
    }
    content(&line).then_some(line)
}

/// Whether to colour a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Resolves `auto` against the terminal and `NO_COLOR`.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// A unified diff of `old` → `new` with `--- a/NAME` / `+++ b/NAME` headers.
pub fn diff(name: &str, old: &str, new: &str, color: bool) -> String {
    let d = TextDiff::from_lines(old, new);
    let text = d
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{}", name.trim_start_matches('/')),
            &format!("b/{}", name.trim_start_matches('/')),
        )
        .to_string();
    if !color {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let code = if line.starts_with("+++") || line.starts_with("---") {
            "\x1b[1m"
        } else if line.starts_with('+') {
            "\x1b[32m"
        } else if line.starts_with('-') {
            "\x1b[31m"
        } else if line.starts_with("@@") {
            "\x1b[36m"
        } else {
            ""
        };
        if code.is_empty() {
            out.push_str(line);
        } else {
            let body = line.strip_suffix('\n').unwrap_or(line);
            out.push_str(code);
            out.push_str(body);
            out.push_str("\x1b[0m");
            if line.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// Replaces the file at `path` with `bytes` atomically: a temporary file in
/// the same directory, the original's permissions, then a rename. A symbolic
/// link is kept and its target rewritten. A read-only file is refused, as
/// an editor would, even where the directory would allow the rename.
///
/// On any error the original file is untouched and the temporary file is
/// removed; if the process dies before the rename, the original is untouched
/// and a `.reload-stamp-*.tmp` file may remain.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_parts(path, &[bytes])
}

/// [`write_atomic`] of the bytes `parts` in order (stamped output is in
/// pieces; they are not joined in memory first).
pub fn write_atomic_parts(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let dir = target.parent().unwrap_or(Path::new("."));
    let perms = fs::metadata(&target)?.permissions();
    if perms.readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".reload-stamp-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    failpoint("write")?;
    {
        // Buffered: the pieces are many small edited documents between
        // big unchanged ranges.
        let mut w = io::BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        for p in parts {
            w.write_all(p)?;
        }
        w.flush()?;
    }
    tmp.as_file().set_permissions(perms)?;
    failpoint("rename")?;
    tmp.persist(&target).map_err(|e| e.error)?;
    Ok(())
}

/// Creates `path`, which must not exist, with `bytes` (permissions from the
/// umask, as any new file). On an error nothing is left behind.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let written = failpoint("write").and_then(|()| f.write_all(bytes));
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// Test builds only: `RELOAD_STAMP_FAILPOINT=write` fails the write as a full
/// disk would; `=rename` kills the process between the write and the rename.
#[cfg(debug_assertions)]
fn failpoint(stage: &str) -> io::Result<()> {
    match std::env::var("RELOAD_STAMP_FAILPOINT") {
        Ok(v) if v == stage && stage == "write" => Err(io::Error::from_raw_os_error(28)),
        Ok(v) if v == stage && stage == "rename" => std::process::abort(),
        _ => Ok(()),
    }
}

#[cfg(not(debug_assertions))]
fn failpoint(_stage: &str) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn concat(parts: &[&str]) -> String {
        let mut c = Concat::default();
        let mut out = Vec::new();
        for p in parts {
            // Each input in pieces, as stamped output is written.
            let half = (p.len() / 2..=p.len()).find(|&i| p.is_char_boundary(i));
            let (a, b) = p.split_at(half.unwrap_or(p.len()));
            c.push(&mut out, "", &[a, b]).unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn separators_only_where_needed() {
        assert_eq!(concat(&["a: 1\n", "b: 2\n"]), "a: 1\n---\nb: 2\n");
        assert_eq!(concat(&["a: 1", "b: 2\n"]), "a: 1\n---\nb: 2\n");
        assert_eq!(
            concat(&["a: 1\n", "# c\n---\nb: 2\n"]),
            "a: 1\n# c\n---\nb: 2\n"
        );
        assert_eq!(
            concat(&["a: 1\n", "%YAML 1.2\n---\nb\n"]),
            "a: 1\n...\n%YAML 1.2\n---\nb\n"
        );
        assert_eq!(concat(&["", "b: 2\n"]), "b: 2\n");
        assert_eq!(concat(&["a: 1\n", "# only\n"]), "a: 1\n# only\n");
        assert_eq!(concat(&["a: 1\n", "\u{feff}b: 2\n"]), "a: 1\n---\nb: 2\n");
    }

    #[test]
    fn diff_headers() {
        let d = diff("x.yaml", "a\nb\n", "a\nc\n", false);
        assert!(d.starts_with("--- a/x.yaml\n+++ b/x.yaml\n@@"), "{d}");
        assert!(d.contains("-b\n+c\n"));
    }
}
