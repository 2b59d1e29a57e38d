//! Byte extents the parser does not report: where node properties, quoted
//! scalars and block scalars end.

use crate::text;

/// The end of the anchor and tag tokens (with the blanks between them)
/// that start at `pos`; `pos` itself when none do.
pub(super) fn properties_end(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut end) = (pos, pos);
    while matches!(b.get(i), Some(b'!' | b'&')) {
        while i < b.len()
            && !matches!(
                b[i],
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
            )
        {
            i += 1;
        }
        end = i;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
    }
    end
}

/// Skips anchors, tags, whitespace and comments from `pos` to the content.
pub(super) fn skip_properties(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while pos < b.len() {
        match b[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => pos = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |n| pos + n),
            b'&' | b'!' => {
                // A property ends where the parser ends it: at a blank or
                // a flow indicator (as in `properties_end`).
                while pos < b.len()
                    && !matches!(
                        b[pos],
                        b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                    )
                {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// One past the closing quote of the quoted scalar opening at `q`.
pub(super) fn quoted_end(b: &[u8], q: usize) -> usize {
    let Some(&quote) = b.get(q) else {
        return b.len();
    };
    let mut i = q + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// The parser ends a block scalar after the indentation of the line that
/// follows it; that line's start is the scalar's end.
pub(super) fn block_scalar_end(text: &str, content: usize, e: usize) -> usize {
    let e = e.max(content);
    if e == text.len() {
        // Blanks that end the text without a newline are the scalar's.
        return e;
    }
    let ls = text::line_start(text, e);
    // Even an empty scalar's content may be placed on that line: the
    // indicator's line is never all blanks up to `e`.
    if text.as_bytes()[ls..e]
        .iter()
        .all(|c| *c == b' ' || *c == b'\t')
    {
        ls
    } else {
        e
    }
}
