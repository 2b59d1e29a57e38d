//! A stream cut into documents by a line scan, without parsing.

use std::ops::Range;

/// Splits a stream into regions of whole documents by a line scan, without
/// parsing: a region ends before a `---` line that follows content, or
/// after a `...` line. YAML forbids document markers inside any node, so for
/// valid YAML, parsing each region alone gives exactly the stream's
/// documents; invalid YAML still fails when a region is parsed.
pub fn split_regions(text: &str) -> Vec<Range<usize>> {
    Regions::new(text.as_bytes()).collect()
}

/// The regions of [`split_regions`], one at a time: a caller that needs only
/// the first document (the ResourceList check on standard input) scans no
/// further than its end.
pub struct Regions<'a> {
    b: &'a [u8],
    start: usize,
    pos: usize,
    content: bool,
}

impl<'a> Regions<'a> {
    /// The regions of the stream `b` (bytes, so that a stream need not be
    /// checked as UTF-8 as a whole to find its first document).
    pub fn new(b: &'a [u8]) -> Self {
        Regions {
            b,
            start: 0,
            pos: 0,
            content: false,
        }
    }
}

impl Iterator for Regions<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let b = self.b;
        while self.pos < b.len() {
            let pos = self.pos;
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i + 1);
            let line = &b[pos..end];
            self.pos = end;
            if is_marker(line, b"---") {
                let was = std::mem::replace(&mut self.content, true);
                if was {
                    let r = self.start..pos;
                    self.start = pos;
                    return Some(r);
                }
            } else if is_marker(line, b"...") {
                let r = self.start..end;
                self.start = end;
                self.content = false;
                return Some(r);
            } else if !self.content {
                let t = line.trim_ascii_start();
                self.content = !(t.is_empty() || t[0] == b'#' || (line[0] == b'%'));
            }
        }
        if self.start < b.len() {
            let r = self.start..b.len();
            self.start = b.len();
            return Some(r);
        }
        None
    }
}

/// The text kubectl never parses: kubectl cuts a stream at `---` lines and
/// reads only the first YAML document of each section, so what follows that
/// document's end (a `...` line, or a `%` line at column 0, which libyaml's
/// scanner takes for the directive of a next document) up to the next
/// `---` line is ignored. One range per section that has such a tail
/// holding more than blank lines and comments.
pub fn section_tails(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut tails = Vec::new();
    let (mut pos, mut content) = (0, false);
    // Where the current section's tail starts, and whether it holds more
    // than blanks and comments.
    let mut tail: Option<(usize, bool)> = None;
    while pos < b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i + 1);
        let line = &b[pos..end];
        let t = line.trim_ascii_start();
        let blank = t.is_empty() || t[0] == b'#';
        if is_marker(line, b"---") {
            if let Some((start, true)) = tail {
                tails.push(start..pos);
            }
            (tail, content) = (None, false);
        } else if let Some((_, held)) = &mut tail {
            *held |= !blank;
        } else if content && is_marker(line, b"...") {
            tail = Some((end, false));
        } else if content && line[0] == b'%' {
            tail = Some((pos, true));
        } else {
            content |= !blank && line[0] != b'%';
        }
        pos = end;
    }
    if let Some((start, true)) = tail {
        tails.push(start..b.len());
    }
    tails
}

fn is_marker(line: &[u8], m: &[u8]) -> bool {
    line.starts_with(m) && line.get(3).is_none_or(|c| c.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_tails_follow_kubectl_sections() {
        let cases: &[(&str, &[&str])] = &[
            ("a: 1\n", &[]),
            ("a: 1\n...\n", &[]),
            ("a: 1\n...\n# c\n\n---\nb: 2\n", &[]),
            ("a: 1\n...\nb: [\n", &["b: [\n"]),
            ("a: 1\n...\nb: [\n---\nc: 3\n...\nd\n", &["b: [\n", "d\n"]),
            ("a: 1\n%YAML 1.2\n---\nb: 2\n", &["%YAML 1.2\n"]),
            // A directive before content, and `...` before content, start
            // no tail: kubectl refuses such a section.
            ("%YAML 1.2\n---\nb: 2\n", &[]),
            ("# c\n...\nb: 2\n", &[]),
            ("a: |\n  x\n... # end\n\tb\n", &["\tb\n"]),
        ];
        for (text, want) in cases {
            let got: Vec<&str> = section_tails(text).into_iter().map(|r| &text[r]).collect();
            assert_eq!(&got, want, "{text:?}");
        }
    }
}
