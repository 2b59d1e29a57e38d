//! A stream cut into documents by a line scan, without parsing.

use std::ops::Range;

/// Splits a stream into regions of whole documents by a line scan, without
/// parsing: a region ends before a `---` line that follows content, or
/// after a `...` line. YAML forbids document markers inside any node, so for
/// valid YAML, parsing each region alone gives exactly the stream's
/// documents; invalid YAML still fails when a region is parsed. (The run
/// itself scans each of its [`batches`] with [`Regions`]; this is their
/// definition, for tests.)
#[cfg(test)]
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
    /// The next line from `pos` on that starts with `---`, and with `...`
    /// (`b.len()` for none), found once and kept until passed.
    dashes: usize,
    dots: usize,
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
            dashes: 0,
            dots: 0,
        }
    }
}

/// The start of the first line at or after the line start `from` that
/// starts with `m`; `b.len()` when there is none.
fn next_line_with(b: &[u8], from: usize, m: &[u8; 3]) -> usize {
    if from == 0 && b.starts_with(m) {
        return 0;
    }
    let at = from.saturating_sub(1);
    let needle = [b'\n', m[0], m[1], m[2]];
    memchr::memmem::find(&b[at..], &needle).map_or(b.len(), |i| at + i + 1)
}

impl Iterator for Regions<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let b = self.b;
        while self.pos < b.len() {
            if self.content {
                // Past content only document markers matter: go to the
                // next line that may be one (most lines are not looked at).
                if self.dashes < self.pos {
                    self.dashes = next_line_with(b, self.pos, b"---");
                }
                if self.dots < self.pos {
                    self.dots = next_line_with(b, self.pos, b"...");
                }
                self.pos = self.dashes.min(self.dots);
                if self.pos >= b.len() {
                    break;
                }
            }
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
        self.pos = b.len();
        if self.start < b.len() {
            let r = self.start..b.len();
            self.start = b.len();
            return Some(r);
        }
        None
    }
}

/// Cuts a stream into spans of about `size` bytes or more, each a run of
/// whole regions of [`split_regions`]: every cut is a `---` line where that
/// line scan also ends a region, found by looking at the text near the cut
/// only. So the stream is split without a serial scan of every line, and the
/// regions of each span (a [`Regions`] scan of the span alone) are exactly
/// the stream's regions.
pub fn batches(text: &str, size: usize) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut start = 0;
    while start < b.len() {
        let mut end = b.len();
        let mut from = start + size.max(1);
        while from < b.len() {
            let Some(i) = memchr::memmem::find(&b[from..], b"\n---") else {
                break;
            };
            let line = from + i + 1;
            if is_marker(&b[line..], b"---") && ends_region_before(b, line) {
                end = line;
                break;
            }
            from = line;
        }
        spans.push(start..end);
        start = end;
    }
    spans
}

/// Whether the line scan of [`split_regions`] ends a region before the
/// `---` line at `line`: it does when content came after the last `...`
/// line (or the start). Blank lines, comments and `%` lines count as no
/// content; a `---` line counts as content.
fn ends_region_before(b: &[u8], line: usize) -> bool {
    let mut end = line;
    while end > 0 {
        let start = memchr::memrchr(b'\n', &b[..end - 1]).map_or(0, |i| i + 1);
        let l = &b[start..end];
        let t = l.trim_ascii_start();
        if !(t.is_empty() || t[0] == b'#' || l[0] == b'%') {
            return !is_marker(l, b"...");
        }
        end = start;
    }
    false
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
    fn batches_are_runs_of_whole_regions() {
        let streams = [
            "a: 1\n---\nb: 2\n---\nc: 3\n",
            "---\na: 1\n---\n---\nb: 2\n",
            "# c\n---\na: 1\n...\n# d\n---\nb: 2\n",
            "a: 1\n...\n%YAML 1.2\n---\nb: 2\n---\nc\n",
            "a: 1\n%YAML 1.2\n---\nb: 2\n",
            "a: |\n  x\n---\n--- # c\nb\r\n---\r\nc: 3\r\n",
            "a: 1\n----\n---x\n--- \nb\n...\n...\n---\nc\n",
            "%TAG ! x\n---\na\n",
            "--- a\n...\n--- b\n-- c\n..x\n... # e\n\n",
            "...\na\n----\n....\n---\t\n--- |\n  ...\n---",
            "# c\n%Y\n\n  x\n...\n...\n",
            "",
            "---\n",
        ];
        for text in streams {
            let want = split_regions(text);
            for size in 0..text.len() + 2 {
                let got: Vec<Range<usize>> = batches(text, size)
                    .into_iter()
                    .flat_map(|span| {
                        let base = span.start;
                        Regions::new(text[span].as_bytes())
                            .map(move |r| r.start + base..r.end + base)
                    })
                    .collect();
                assert_eq!(got, want, "{text:?} in spans of {size}");
            }
        }
    }

    /// The definition of the regions, one line at a time (the scan that
    /// [`Regions`] makes faster by jumping to marker lines).
    fn regions_line_by_line(b: &[u8]) -> Vec<Range<usize>> {
        let (mut out, mut start, mut pos, mut content) = (Vec::new(), 0, 0, false);
        while pos < b.len() {
            let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i + 1);
            let line = &b[pos..end];
            if is_marker(line, b"---") {
                if std::mem::replace(&mut content, true) {
                    out.push(start..pos);
                    start = pos;
                }
            } else if is_marker(line, b"...") {
                out.push(start..end);
                (start, content) = (end, false);
            } else if !content {
                let t = line.trim_ascii_start();
                content = !(t.is_empty() || t[0] == b'#' || line[0] == b'%');
            }
            pos = end;
        }
        if start < b.len() {
            out.push(start..b.len());
        }
        out
    }

    #[test]
    fn regions_skip_to_markers_as_the_line_scan_reads() {
        // Every string of these lines, up to four of them.
        let lines = [
            "---\n", "...\n", "a\n", "# c\n", "%Y\n", "\n", "----\n", "...x\n", "--- a\n",
            "... #\n", " ---\n", "---", "...", "-\n",
        ];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = texts
                .iter()
                .flat_map(|t| lines.iter().map(move |l| format!("{t}{l}")))
                .collect();
            texts.extend(longer);
        }
        for t in &texts {
            assert_eq!(
                split_regions(t),
                regions_line_by_line(t.as_bytes()),
                "{t:?}"
            );
        }
    }

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
