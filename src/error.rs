//! The one error type: what went wrong, of which kind, and where. A place
//! is kept as a byte offset into the input's text (after any byte-order
//! mark) and turned into `LINE:COL` only when shown, so moving an error
//! found in one document of a stream to its place in the stream is an
//! addition.

use std::fmt;

/// An error found in one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of error it is, for callers that act on it.
    pub kind: ErrorKind,
    /// What went wrong, and what to do.
    pub msg: String,
    pos: Option<Pos>,
}

/// Where an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// A byte offset into the text.
    Byte(usize),
    /// A 1-based line and column, for bytes that are not text (invalid
    /// UTF-8), where no offset into a `str` can be shown.
    LineCol(usize, usize),
}

/// What kind of error it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is not YAML (or not UTF-8 text): the parser stopped.
    Syntax,
    /// Valid YAML that reload-stamp will not edit: the edit would be
    /// ambiguous (an alias on its path, duplicate keys, …) or the data is
    /// not what a Kubernetes object holds.
    Refused,
    /// Reading or writing failed.
    Io,
    /// The command line, or a config standing for it, is wrong.
    Usage,
    /// A bug: a planned edit that the self-check stopped. Nothing was
    /// written.
    Internal,
}

impl Error {
    /// An error without a place.
    pub fn new(kind: ErrorKind, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            pos: None,
        }
    }

    /// An error at byte offset `pos` of the text.
    pub fn at(kind: ErrorKind, pos: usize, msg: impl Into<String>) -> Self {
        Error {
            pos: Some(Pos::Byte(pos)),
            ..Error::new(kind, msg)
        }
    }

    /// An error at a 1-based line and column of bytes that are not text.
    pub fn at_line_col(kind: ErrorKind, line: usize, col: usize, msg: impl Into<String>) -> Self {
        Error {
            pos: Some(Pos::LineCol(line, col)),
            ..Error::new(kind, msg)
        }
    }

    /// The byte offset of the error, if it has one.
    pub fn offset(&self) -> Option<usize> {
        match self.pos {
            Some(Pos::Byte(b)) => Some(b),
            _ => None,
        }
    }

    /// The error found in a part of a text that starts at byte `by`, placed
    /// in the whole text.
    pub fn shifted(mut self, by: usize) -> Self {
        if let Some(Pos::Byte(b)) = &mut self.pos {
            *b += by;
        }
        self
    }

    /// The 1-based line and column in `text`, if the error has a place.
    pub fn line_col(&self, text: &str) -> Option<(usize, usize)> {
        match self.pos? {
            Pos::Byte(b) => Some(line_col(text, b)),
            Pos::LineCol(l, c) => Some((l, c)),
        }
    }

    /// `LINE:COL: message` (or the message alone), placed in `text`.
    pub fn located(&self, text: &str) -> String {
        match self.line_col(text) {
            Some((l, c)) => format!("{l}:{c}: {}", self.msg),
            None => self.msg.clone(),
        }
    }

    /// `PATH:LINE:COL: message` (or `PATH: message`), placed in `text`.
    pub fn render(&self, path: &str, text: &str) -> String {
        match self.line_col(text) {
            Some((l, c)) => format!("{path}:{l}:{c}: {}", self.msg),
            None => format!("{path}: {}", self.msg),
        }
    }
}

/// 1-based line and column (in characters) of byte offset `pos` of `text`
/// (an offset inside a character counts as that character).
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text.as_bytes()[..pos];
    let line = memchr::memchr_iter(b'\n', before).count() + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, text[start..pos].chars().count() + 1)
}

impl fmt::Display for Error {
    /// The message; [`Error::located`] adds the place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_offsets_shown_as_line_and_column() {
        let text = "a: 1\nbé: x\n";
        let e = Error::at(ErrorKind::Refused, 9, "here");
        assert_eq!(e.located(text), "2:4: here");
        assert_eq!(e.render("f.yaml", text), "f.yaml:2:4: here");
        assert_eq!(e.clone().shifted(2).offset(), Some(11));
        assert_eq!(
            Error::new(ErrorKind::Io, "gone").render("f.yaml", text),
            "f.yaml: gone"
        );
        let raw = Error::at_line_col(ErrorKind::Syntax, 3, 7, "bad byte");
        assert_eq!(raw.render("f.yaml", ""), "f.yaml:3:7: bad byte");
        assert_eq!(raw.shifted(5).line_col(""), Some((3, 7)));
    }
}
