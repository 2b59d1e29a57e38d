//! Byte-level helpers over the source text: BOM, UTF-8, lines, columns, and
//! the conversion from the parser's character indices to byte offsets.

use crate::error::{Error, ErrorKind};

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// Splits a leading byte-order mark off `bytes` and checks that the rest is
/// UTF-8 with line breaks the editor reads as kubectl does (see
/// [`check_line_breaks`]). The error points at the first invalid byte.
pub fn decode(bytes: &[u8]) -> Result<(&str, &str), Error> {
    let (bom, text) = decode_utf8(bytes)?;
    check_line_breaks(text)?;
    Ok((bom, text))
}

/// [`decode`] without the line-break check, which a caller that splits the
/// text makes on each part (on its own thread).
pub fn decode_utf8(bytes: &[u8]) -> Result<(&str, &str), Error> {
    let (bom, rest) = match bytes.strip_prefix(BOM.as_bytes()) {
        Some(rest) => (BOM, rest),
        None => ("", bytes),
    };
    match std::str::from_utf8(rest) {
        Ok(text) => Ok((bom, text)),
        Err(e) => {
            let good = e.valid_up_to();
            // The valid prefix is UTF-8 by construction.
            let prefix = std::str::from_utf8(&rest[..good]).unwrap_or_default();
            let (line, col) = line_col(prefix, good);
            Err(Error::at_line_col(
                ErrorKind::Syntax,
                line,
                col,
                format!("input is not valid UTF-8 (byte 0x{:02x})", rest[good]),
            ))
        }
    }
}

/// Refuses line breaks the editor would not read as kubectl does: a lone CR
/// (old Mac OS), and NEL, LS and PS. The error's line and column are counted
/// in `text`.
pub fn check_line_breaks(text: &str) -> Result<(), Error> {
    // YAML also breaks lines at a lone CR (old Mac OS); the editor's line
    // logic does not, so such input is refused, not guessed at.
    let b = text.as_bytes();
    if let Some(i) = memchr::memchr_iter(b'\r', b).find(|&i| b.get(i + 1) != Some(&b'\n')) {
        let (line, col) = line_col(text, i);
        return Err(Error::at_line_col(
            ErrorKind::Syntax,
            line,
            col,
            "a carriage return without a line feed (old Mac line ending) is not supported; use LF or CRLF line endings",
        ));
    }
    // NEL, LS and PS break lines in YAML 1.1 (libyaml, kubectl's go-yaml)
    // but not in YAML 1.2: the two would read different documents, so such
    // input is refused too. Found by their UTF-8 encodings (C2 85, E2 80 A8,
    // E2 80 A9) in one pass over the two lead bytes: a scan by characters
    // cost 5% of a run on real streams, a search for each of the three 4%.
    let odd = if text.is_ascii() {
        None
    } else {
        memchr::memchr2_iter(0xC2, 0xE2, b).find_map(|i| {
            let c = match (b[i], b.get(i + 1), b.get(i + 2)) {
                (0xC2, Some(0x85), _) => '\u{85}',
                (0xE2, Some(0x80), Some(0xA8)) => '\u{2028}',
                (0xE2, Some(0x80), Some(0xA9)) => '\u{2029}',
                _ => return None,
            };
            Some((i, c))
        })
    };
    if let Some((i, c)) = odd {
        let (line, col) = line_col(text, i);
        return Err(Error::at_line_col(
            ErrorKind::Syntax,
            line,
            col,
            format!(
                "U+{:04X} is a line break to YAML 1.1 parsers (kubectl's among them) but not to YAML 1.2; refusing to guess",
                c as u32
            ),
        ));
    }
    Ok(())
}

/// The private-use character that stands for the invalid byte `b` in
/// [`stand_in`] text: U+10FF00 + `b`.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
const STAND_IN: u32 = 0x10_FF00;

/// Bytes that are not UTF-8, made text by letting each invalid byte stand
/// as the private-use character U+10FF00 + byte: to the parser a character
/// like any other in a scalar or comment, as U+FFFD is to kubectl, which
/// reads such files; [`restore`] gives the bytes back. `None` when the bytes
/// are UTF-8, or already hold such a character (the way back would be
/// ambiguous).
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn stand_in(bytes: &[u8]) -> Option<Vec<u8>> {
    if std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() + 64);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.chars().any(|c| c as u32 >= STAND_IN + 0x80) {
            return None;
        }
        out.extend_from_slice(valid.as_bytes());
        for &b in chunk.invalid() {
            let c = char::from_u32(STAND_IN + u32::from(b)).unwrap_or('\u{FFFD}');
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
    }
    Some(out)
}

/// The bytes of [`stand_in`] text: each stand-in character back to its byte.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub fn restore(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c as u32 {
            n if n >= STAND_IN + 0x80 => out.push((n - STAND_IN) as u8),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// A writer that writes [`stand_in`] text as the bytes it stands for.
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub struct Restore<'w>(pub &'w mut dyn std::io::Write);

impl std::io::Write for Restore<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Only whole strings are written here (see `output::Concat`).
        match std::str::from_utf8(buf) {
            Ok(s) => self.0.write_all(&restore(s))?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

pub use crate::error::line_col;

/// The 1-based lines of `offsets` in `text`, counted forward (offsets
/// that mostly increase cost one pass over the text).
pub fn lines_of(text: &str, offsets: impl Iterator<Item = usize>) -> Vec<usize> {
    let (mut pos, mut line) = (0, 1);
    offsets
        .map(|off| {
            let off = off.min(text.len());
            if off < pos {
                (pos, line) = (0, 1);
            }
            line += memchr::memchr_iter(b'\n', &text.as_bytes()[pos..off]).count();
            pos = off;
            line
        })
        .collect()
}

/// Byte offset of the start of the line holding `pos`.
pub fn line_start(text: &str, pos: usize) -> usize {
    memchr::memrchr(b'\n', &text.as_bytes()[..pos]).map_or(0, |i| i + 1)
}

/// Byte offset just past the newline that ends the line holding `pos`, or
/// `None` when that line is the last and has no newline.
pub fn next_line_start(text: &str, pos: usize) -> Option<usize> {
    memchr::memchr(b'\n', &text.as_bytes()[pos..]).map(|i| pos + i + 1)
}

/// Column (in characters, 0-based) of byte offset `pos` within its line.
pub fn column(text: &str, pos: usize) -> usize {
    let start = line_start(text, pos);
    let prefix = &text[start..pos];
    if prefix.is_ascii() {
        prefix.len()
    } else {
        prefix.chars().count()
    }
}

/// The line ending the document uses near `pos`: that of the line holding
/// `pos`, else the first one in the text, else `\n`.
pub fn newline_near(text: &str, pos: usize) -> &'static str {
    let nl = next_line_start(text, pos).or_else(|| next_line_start(text, 0));
    match nl {
        Some(end) if end >= 2 && text.as_bytes()[end - 2] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// Whether `pos` is at the start of a line.
pub fn at_line_start(text: &str, pos: usize) -> bool {
    pos == 0 || text.as_bytes()[pos - 1] == b'\n'
}

/// Converts the parser's positions into byte offsets.
///
/// saphyr-parser's `Marker::index` counts characters on most paths but
/// bytes on some (directive lines), so outside ASCII the conversion goes
/// through the line (a table of line starts) and the column (characters,
/// walked from the line start, or on from the previous lookup on the same
/// line, since lookups mostly move forward).
pub struct Offsets<'a> {
    text: &'a str,
    /// Byte offset of each line's start, and whether the line is ASCII;
    /// empty for ASCII text.
    lines: Vec<(usize, bool)>,
    /// The last lookup: (line, column, byte offset).
    cursor: std::cell::Cell<(usize, usize, usize)>,
}

impl<'a> Offsets<'a> {
    /// Builds the table for `text` (no allocation when it is ASCII).
    pub fn new(text: &'a str) -> Self {
        let lines = if text.is_ascii() {
            Vec::new()
        } else {
            // Most lines of a text that is not ASCII still are: on those a
            // column is a byte count (counting characters was 4% of a run).
            let b = text.as_bytes();
            let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', b).map(|i| i + 1));
            let ends = memchr::memchr_iter(b'\n', b)
                .map(|i| i + 1)
                .chain([b.len()]);
            starts
                .zip(ends)
                .map(|(s, e)| (s, b[s..e].is_ascii()))
                .collect()
        };
        Offsets {
            text,
            lines,
            cursor: std::cell::Cell::new((0, 0, 0)),
        }
    }

    /// Byte offset of a parser position (clamped to the end of the text).
    #[inline]
    pub fn at(&self, m: &saphyr_parser::Marker) -> usize {
        if self.lines.is_empty() {
            // ASCII: a character index is a byte offset. Inlined, as the
            // builder asks twice an event.
            return m.index().min(self.text.len());
        }
        self.at_line(m)
    }

    /// [`Offsets::at`] in text that is not ASCII: through the line table.
    #[inline(never)]
    fn at_line(&self, m: &saphyr_parser::Marker) -> usize {
        let len = self.text.len();
        let Some(&(line_start, ascii)) = self.lines.get(m.line().saturating_sub(1)) else {
            return len;
        };
        let line_end = self.lines.get(m.line()).map_or(len, |&(s, _)| s);
        if ascii && line_start + m.col() < line_end {
            return line_start + m.col();
        }
        let (cl, cc, cb) = self.cursor.get();
        let (from_col, from_byte) = if cl == m.line() && cc <= m.col() {
            (cc, cb)
        } else {
            (0, line_start)
        };
        let byte = self.text[from_byte..]
            .char_indices()
            .nth(m.col() - from_col)
            .map_or(len, |(b, _)| from_byte + b);
        self.cursor.set((m.line(), m.col(), byte));
        byte
    }
}

/// Writes `s` as a YAML double-quoted scalar, which is also a JSON string.
pub fn double_quote(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_in_text_gives_its_bytes_back() {
        let bytes = b"a: caf\xe9 # \xff\xfe\n\xc3\xa9: \xc3\n".to_vec();
        let t = stand_in(&bytes).expect("not UTF-8");
        let t = std::str::from_utf8(&t).expect("stand-in text is UTF-8");
        assert_eq!(t.chars().filter(|c| *c as u32 >= STAND_IN).count(), 4);
        assert!(t.contains("\u{e9}:"), "valid text stays");
        assert_eq!(restore(t), bytes);
        assert_eq!(stand_in(b"a: b\n"), None, "UTF-8 needs no stand-in");
        let ambiguous = [&b"a: \xe9 "[..], "\u{10FFE9}".as_bytes()].concat();
        assert_eq!(
            stand_in(&ambiguous),
            None,
            "a stand-in character already there"
        );
    }

    /// The parser's marker for byte offset `b` of `t` (1-based line,
    /// 0-based column in characters).
    fn marker(t: &str, b: usize) -> saphyr_parser::Marker {
        let ls = line_start(t, b);
        let line = t[..b].matches('\n').count() + 1;
        saphyr_parser::Marker::new(t[..b].chars().count(), line, t[ls..b].chars().count())
    }

    #[test]
    fn offsets_match_byte_positions() {
        // ASCII lines (counted as bytes) among others (counted by chars).
        for t in [
            "a: é\r\nb: 日本語\nc: x",
            "ascii: line\na: é\r\nplain: ok\r\n\nb: 日本語\nc: x\n",
        ] {
            let o = Offsets::new(t);
            for (b, _) in t.char_indices() {
                assert_eq!(o.at(&marker(t, b)), b, "{t:?} at {b}");
            }
            assert_eq!(o.at(&marker(t, t.len())), t.len());
        }
    }

    #[test]
    fn decode_reports_invalid_byte_position() {
        let e = decode(b"a: b\nc: \xff\n").unwrap_err();
        assert_eq!(e.line_col().unwrap(), (2, 4));
        assert_eq!(decode(b"\xef\xbb\xbfa").unwrap(), (BOM, "a"));
        assert_eq!(decode(b"a\r\nb\r\n").unwrap(), ("", "a\r\nb\r\n"));
        let text = "a: b\r\nc: d\re: f\n";
        let e = decode(text.as_bytes()).unwrap_err().placed(text);
        assert_eq!(e.line_col().unwrap(), (2, 5));
        let text = "a: é\nb: x\u{85}c\n";
        let e = decode(text.as_bytes()).unwrap_err().placed(text);
        assert_eq!(e.line_col().unwrap(), (2, 5));
        assert!(e.msg.starts_with("U+0085"));
        // The first of several is the one reported; their neighbours in
        // UTF-8 (same lead bytes) are ordinary characters.
        for (text, at, what) in [
            (
                "a: \u{a0}\u{2027}\nb: x\u{2029}y\u{2028}\u{85}\n",
                (2, 5),
                "U+2029",
            ),
            ("a: \u{2028}\n", (1, 4), "U+2028"),
            ("\u{84}\u{86}\u{202a}\u{85}", (1, 4), "U+0085"),
        ] {
            let e = decode(text.as_bytes()).unwrap_err().placed(text);
            assert_eq!(e.line_col().unwrap(), at, "{text:?}");
            assert!(e.msg.starts_with(what), "{text:?}: {}", e.msg);
        }
        assert!(decode("é\u{a0}\u{2027}\u{202a}\u{c285}".as_bytes()).is_ok());
    }

    #[test]
    fn quoting_escapes() {
        let mut s = String::new();
        double_quote("a\"b\\c\u{1}", &mut s);
        assert_eq!(s, r#""a\"b\\c\u0001""#);
    }

    #[test]
    fn line_helpers() {
        let t = "ab\r\ncd\nef";
        assert_eq!(line_col(t, 5), (2, 2));
        assert_eq!(newline_near(t, 0), "\r\n");
        assert_eq!(newline_near(t, 5), "\n");
        assert_eq!(next_line_start(t, 8), None);
        assert!(at_line_start(t, 4));
        assert_eq!(column(t, 5), 1);
    }
}

#[cfg(test)]
mod offsets_order {
    use super::{line_start, Offsets};

    #[test]
    fn any_lookup_order_gives_byte_offsets() {
        let t: String = (0..2000)
            .map(|i| ['a', 'é', '日', '\u{f67f}', '\n', '𝄞'][i * 7 % 6])
            .collect();
        let want: Vec<usize> = t.char_indices().map(|(b, _)| b).collect();
        let o = Offsets::new(&t);
        let mut x: usize = 1;
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let i = (x >> 33) % want.len();
            let b = want[i];
            let ls = line_start(&t, b);
            let m = saphyr_parser::Marker::new(
                0,
                t[..b].matches('\n').count() + 1,
                t[ls..b].chars().count(),
            );
            assert_eq!(o.at(&m), b, "byte {b}");
        }
    }
}
