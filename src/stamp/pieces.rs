//! The new text of an input as pieces, so a big input is not copied to be
//! stamped.

use std::ops::Range;

/// The new text of an input, in order: ranges of the input's text that did
/// not change (never copied) and the new text of each edit (or of a whole
/// edited document). The
/// byte-order mark is not in it. A stream piped through is written from
/// these pieces, so memory stays near the input's size.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pieces: Vec<Piece>,
}

/// One part of an [`Output`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    /// Text of the input, unchanged.
    Same(Range<usize>),
    /// An edit's text, or an edited document's.
    New(String),
}

impl Output {
    /// Adds the input's text `r`, unchanged.
    pub(super) fn same(&mut self, r: Range<usize>) {
        if r.is_empty() {
            return;
        }
        if let Some(Piece::Same(last)) = self.pieces.last_mut() {
            if last.end == r.start {
                last.end = r.end;
                return;
            }
        }
        self.pieces.push(Piece::Same(r));
    }

    /// Adds an edit's (or an edited document's) new text.
    pub(super) fn push_new(&mut self, text: String) {
        self.pieces.push(Piece::New(text));
    }

    /// The pieces, as text, with `text` the input they were made from.
    pub fn parts<'t>(&'t self, text: &'t str) -> impl Iterator<Item = &'t str> + 't {
        self.pieces.iter().map(move |p| match p {
            Piece::Same(r) => &text[r.clone()],
            Piece::New(s) => s.as_str(),
        })
    }

    /// The new texts alone, and how many unchanged ranges there are.
    #[cfg(test)]
    pub(crate) fn new_and_same(&self) -> (Vec<&str>, usize) {
        let new = self
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::New(s) => Some(s.as_str()),
                Piece::Same(_) => None,
            })
            .collect();
        let same = self
            .pieces
            .iter()
            .filter(|p| matches!(p, Piece::Same(_)))
            .count();
        (new, same)
    }
}
