//! A stream cut into documents by a line scan, without parsing.

use std::ops::Range;

/// Splits a stream into regions of whole documents by a line scan, without
/// parsing: a region ends before a `---` line that follows content, or
/// after a `...` line. YAML forbids document markers inside any node, so for
/// valid YAML, parsing each region alone gives exactly the stream's
/// documents; invalid YAML still fails when a region is parsed.
pub fn split_regions(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut regions = Vec::new();
    let (mut start, mut pos, mut content) = (0, 0, false);
    while pos < b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i + 1);
        let line = &b[pos..end];
        if is_marker(line, b"---") {
            if content {
                regions.push(start..pos);
                start = pos;
            }
            content = true;
        } else if is_marker(line, b"...") {
            regions.push(start..end);
            start = end;
            content = false;
        } else if !content {
            let t = line.trim_ascii_start();
            content = !(t.is_empty() || t[0] == b'#' || (line[0] == b'%'));
        }
        pos = end;
    }
    if start < b.len() {
        regions.push(start..b.len());
    }
    regions
}

fn is_marker(line: &[u8], m: &[u8]) -> bool {
    line.starts_with(m) && line.get(3).is_none_or(|c| c.is_ascii_whitespace())
}
