//! The one error type: a message with an optional source position.

use std::fmt;

/// An error found in one input. `line` and `col` are 1-based; `line == 0`
/// means the error has no position (an I/O error, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub line: usize,
    pub col: usize,
    pub msg: String,
    pub kind: ErrorKind,
}

/// What kind of error it is, for callers that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorKind {
    /// The text is not YAML: the parser stopped.
    Syntax,
    /// Anything else: a refused document, I/O, an internal error.
    #[default]
    Other,
}

impl Error {
    /// An error at a 1-based line and column.
    pub fn at(line: usize, col: usize, msg: impl Into<String>) -> Self {
        Error {
            line,
            col,
            msg: msg.into(),
            kind: ErrorKind::Other,
        }
    }

    /// A syntax error at a 1-based line and column.
    pub fn syntax(line: usize, col: usize, msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Syntax,
            ..Error::at(line, col, msg)
        }
    }

    /// An error without a position.
    pub fn msg(msg: impl Into<String>) -> Self {
        Error::at(0, 0, msg)
    }

    /// An error at byte offset `pos` of `text`.
    pub fn at_byte(text: &str, pos: usize, msg: impl Into<String>) -> Self {
        let (line, col) = crate::text::line_col(text, pos);
        Error::at(line, col, msg)
    }

    /// Renders as `PATH:LINE:COL: message` (or `PATH: message`).
    pub fn with_path(&self, path: &str) -> String {
        if self.line == 0 {
            format!("{path}: {}", self.msg)
        } else {
            format!("{path}:{}:{}: {}", self.line, self.col, self.msg)
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.msg)
        } else {
            write!(f, "{}:{}: {}", self.line, self.col, self.msg)
        }
    }
}

impl std::error::Error for Error {}
