//! The one error type and the warning type: what went wrong (or is worth
//! knowing), of which kind, and where. A place is kept as a byte offset
//! into the input's text (after any byte-order mark), so moving an error
//! found in one document of a stream to its place in the stream is an
//! addition; the run turns it into a line and column once, before the error
//! leaves the library ([`Error::line_col`], and `Display` shows it).

use std::fmt;

/// An error found in one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What kind of error it is, for callers that act on it.
    pub kind: ErrorKind,
    /// What went wrong, and what to do.
    pub msg: String,
    place: Place,
}

/// Something worth knowing about an input that did not stop it: a
/// reference to a ConfigMap that is not among the inputs, a workload that
/// cannot be stamped, text kubectl never reads and that is left as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// What was found, and what to do about it.
    pub msg: String,
    place: Place,
}

/// Where an error or warning is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Place {
    /// A byte offset into the text.
    byte: Option<usize>,
    /// The 1-based line and column: known for bytes that are not text
    /// (invalid UTF-8), where no offset into a `str` can be shown, and for
    /// every place once placed in its text.
    line_col: Option<(usize, usize)>,
}

impl Place {
    fn at(byte: usize) -> Place {
        Place {
            byte: Some(byte),
            line_col: None,
        }
    }

    fn shifted(mut self, by: usize) -> Place {
        if let Some(b) = &mut self.byte {
            *b += by;
        }
        self
    }

    fn placed(mut self, text: &str) -> Place {
        if let (Some(b), None) = (self.byte, self.line_col) {
            self.line_col = Some(line_col(text, b));
        }
        self
    }

    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    fn line_col_in(&self, text: &str) -> Option<(usize, usize)> {
        self.line_col.or_else(|| Some(line_col(text, self.byte?)))
    }

    fn fmt(&self, msg: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_col {
            Some((l, c)) => write!(f, "{l}:{c}: {msg}"),
            None => f.write_str(msg),
        }
    }
}

/// What kind of error it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input is not YAML (or not UTF-8 text): the parser stopped.
    Syntax,
    /// Valid YAML that reload-stamp will not edit: the edit would be
    /// ambiguous (an alias on its path, duplicate keys, …) or the data is
    /// not what a Kubernetes object holds.
    Refused,
    /// Reading or writing failed.
    Io,
    /// The options (the command line, or a config standing for it) are
    /// wrong.
    Usage,
    /// A tool reload-stamp runs (kustomize) failed, or its output is not
    /// what was expected.
    Tool,
    /// A bug: a planned edit that the self-check stopped. Nothing was
    /// written.
    Internal,
}

impl Error {
    /// An error without a place.
    pub(crate) fn new(kind: ErrorKind, msg: impl Into<String>) -> Self {
        Error {
            kind,
            msg: msg.into(),
            place: Place::default(),
        }
    }

    /// A flag or option the run cannot take.
    pub(crate) fn usage(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, msg)
    }

    /// A tool reload-stamp runs (kustomize) failed, or gave what it cannot read.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn tool(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Tool, msg)
    }

    /// An edit the input's shape does not allow, without a place.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn refused(msg: impl Into<String>) -> Self {
        Error::new(ErrorKind::Refused, msg)
    }

    /// An error at byte offset `pos` of the text.
    pub(crate) fn at(kind: ErrorKind, pos: usize, msg: impl Into<String>) -> Self {
        Error {
            place: Place::at(pos),
            ..Error::new(kind, msg)
        }
    }

    /// An error at a 1-based line and column of bytes that are not text.
    pub(crate) fn at_line_col(
        kind: ErrorKind,
        line: usize,
        col: usize,
        msg: impl Into<String>,
    ) -> Self {
        Error {
            place: Place {
                byte: None,
                line_col: Some((line, col)),
            },
            ..Error::new(kind, msg)
        }
    }

    /// A planned edit that is wrong, caught before anything is written: a
    /// bug in reload-stamp, not in the input.
    pub(crate) fn internal(at: usize, why: &str) -> Self {
        Error::at(
            ErrorKind::Internal,
            at,
            format!("internal error, nothing written: {why}; please report this with the input"),
        )
    }

    /// The byte offset of the error in its input's text (after any
    /// byte-order mark), if it has one.
    pub fn offset(&self) -> Option<usize> {
        self.place.byte
    }

    /// The 1-based line and column of the error in its input, if it has a
    /// place.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        self.place.line_col
    }

    /// The error found in a part of a text that starts at byte `by`, placed
    /// in the whole text.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.place = self.place.shifted(by);
        self
    }

    /// The error with its line and column in `text` known.
    pub(crate) fn placed(mut self, text: &str) -> Self {
        self.place = self.place.placed(text);
        self
    }

    /// The same error with its message rewritten by `f` (to say where it
    /// came from, or what to do).
    #[cfg(feature = "cli")]
    pub(crate) fn map_msg(mut self, f: impl FnOnce(&str) -> String) -> Self {
        self.msg = f(&self.msg);
        self
    }

    /// The error, shown with its place, inside a message about where it
    /// came from (`PREFIX: LINE:COL: message`): an error in a text that is
    /// not itself an input (a kustomize build's output).
    #[cfg(feature = "cli")]
    pub(crate) fn within(self, prefix: &str) -> Self {
        Error::new(self.kind, format!("{prefix}: {self}"))
    }

    /// `LINE:COL: message` (or the message alone), placed in `text`.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn located(&self, text: &str) -> String {
        match self.place.line_col_in(text) {
            Some((l, c)) => format!("{l}:{c}: {}", self.msg),
            None => self.msg.clone(),
        }
    }

    /// `PATH:LINE:COL: message` (or `PATH: message`), placed in `text`.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn render(&self, path: &str, text: &str) -> String {
        match self.place.line_col_in(text) {
            Some((l, c)) => format!("{path}:{l}:{c}: {}", self.msg),
            None => format!("{path}: {}", self.msg),
        }
    }
}

impl Warning {
    /// A warning at byte offset `pos` of the text.
    pub(crate) fn at(pos: usize, msg: impl Into<String>) -> Self {
        Warning {
            msg: msg.into(),
            place: Place::at(pos),
        }
    }

    /// The byte offset of the warning in its input's text, if it has one.
    pub fn offset(&self) -> Option<usize> {
        self.place.byte
    }

    /// The 1-based line and column of the warning in its input, if it has
    /// a place.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        self.place.line_col
    }

    /// Moves a warning found in a part of a text that starts at byte `by`.
    pub(crate) fn shift(&mut self, by: usize) {
        self.place = self.place.shifted(by);
    }

    /// The warning with its line and column in `text` known.
    #[cfg(test)]
    pub(crate) fn placed(mut self, text: &str) -> Self {
        self.place = self.place.placed(text);
        self
    }

    /// `PATH:LINE:COL: message` (or `PATH: message`), once placed.
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub(crate) fn render(&self, path: &str) -> String {
        match self.place.line_col {
            Some((l, c)) => format!("{path}:{l}:{c}: {}", self.msg),
            None => format!("{path}: {}", self.msg),
        }
    }
}

/// Places every warning of `warnings` in `text` in one pass over it (a
/// stream with many warnings would otherwise be read once per warning).
pub(crate) fn place_all(text: &str, warnings: &mut [Warning]) {
    let mut order: Vec<(usize, usize)> = warnings
        .iter()
        .enumerate()
        .filter(|(_, w)| w.place.line_col.is_none())
        .filter_map(|(i, w)| Some((w.place.byte?.min(text.len()), i)))
        .collect();
    order.sort_unstable();
    let (mut pos, mut line) = (0, 1);
    for (at, i) in order {
        let mut at = at;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[pos..at]).count();
        pos = at;
        let start = memchr::memrchr(b'\n', &text.as_bytes()[..at]).map_or(0, |i| i + 1);
        warnings[i].place.line_col = Some((line, text[start..at].chars().count() + 1));
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
    /// `LINE:COL: message`, or the message alone when the error has no
    /// place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.place.fmt(&self.msg, f)
    }
}

impl fmt::Display for Warning {
    /// `LINE:COL: message`, or the message alone when the warning has no
    /// place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.place.fmt(&self.msg, f)
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
        assert_eq!(e.to_string(), "here", "not placed yet");
        assert_eq!(e.clone().placed(text).to_string(), "2:4: here");
        assert_eq!(e.clone().placed(text).line_col(), Some((2, 4)));
        assert_eq!(e.clone().shifted(2).offset(), Some(11));
        assert_eq!(
            Error::new(ErrorKind::Io, "gone").render("f.yaml", text),
            "f.yaml: gone"
        );
        let raw = Error::at_line_col(ErrorKind::Syntax, 3, 7, "bad byte");
        assert_eq!(raw.render("f.yaml", ""), "f.yaml:3:7: bad byte");
        assert_eq!(raw.clone().shifted(5).line_col(), Some((3, 7)));
        assert_eq!(raw.to_string(), "3:7: bad byte");
        let mut w = Warning::at(4, "note");
        w.shift(5);
        assert_eq!(w.clone().placed(text).to_string(), "2:4: note");
        // Placed together, in any order, as each alone.
        let mut all: Vec<Warning> = [11, 9, 0, 4, 99]
            .iter()
            .map(|&b| Warning::at(b, "w"))
            .collect();
        let alone: Vec<Warning> = all.iter().map(|w| w.clone().placed(text)).collect();
        place_all(text, &mut all);
        assert_eq!(all, alone);
    }
}
