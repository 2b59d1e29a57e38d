//! The text of each edit: new entries and lines in block or flow style,
//! in the document's own indentation, quoting and line endings.

use saphyr_parser::ScalarStyle;

use super::*;

impl Ctx<'_> {
    /// The indentation step of the document, read off the nesting it already
    /// has (innermost first); 2 when there is nothing to copy.
    pub(super) fn step(&self, steps: &[(&Node<'_>, &Node<'_>)]) -> usize {
        for (k, v) in steps.iter().rev() {
            if is_flow(v) {
                continue;
            }
            if let Some((first, _)) = v.entries().and_then(|e| e.first()) {
                let (kc, vc) = (column(self.text, k.start), column(self.text, first.start));
                let same_line = text::line_start(self.text, first.start)
                    == text::line_start(self.text, k.start);
                if vc > kc && !same_line {
                    return vc - kc;
                }
            }
        }
        2
    }

    pub(super) fn key_text(&self, key: &str, quote: bool) -> String {
        if self.json || quote || !plain_safe(key) {
            let mut s = String::new();
            text::double_quote(key, &mut s);
            s
        } else {
            key.to_string()
        }
    }

    /// The new entry, in flow style: `key: "v"`, wrapped in `annotations`
    /// and `metadata` as `fill` asks.
    pub(super) fn flow_entry(&self, fill: Fill, quote: bool) -> String {
        let c = self.colon;
        let stamp = format!("{}{c}{VALUE}", self.key_text(self.key, quote));
        match fill {
            Fill::Stamp => stamp,
            Fill::Annotations => format!("{}{c}{{{stamp}}}", self.key_text("annotations", false)),
            Fill::Metadata => format!(
                "{}{c}{{{}{c}{{{stamp}}}}}",
                self.key_text("metadata", false),
                self.key_text("annotations", false)
            ),
        }
    }

    /// The new entry as block lines, each indented by `indent` plus its
    /// level times `step`, each ending with `nl`.
    pub(super) fn block_lines(
        &self,
        fill: Fill,
        quote: bool,
        indent: usize,
        step: usize,
        nl: &str,
    ) -> String {
        let mut names = Vec::new();
        match fill {
            Fill::Metadata => names.extend(["metadata", "annotations"]),
            Fill::Annotations => names.push("annotations"),
            Fill::Stamp => {}
        }
        let mut s = String::new();
        for (level, name) in names.iter().enumerate() {
            s.push_str(&" ".repeat(indent + level * step));
            s.push_str(&self.key_text(name, false));
            s.push(':');
            s.push_str(nl);
        }
        s.push_str(&" ".repeat(indent + names.len() * step));
        s.push_str(&self.key_text(self.key, quote));
        s.push_str(": ");
        s.push(VALUE);
        s.push_str(nl);
        s
    }

    /// Where a line after the one holding `end` starts: `(offset, prefix)`,
    /// where a prefix newline is needed when the text ends without one.
    pub(super) fn after_line(&self, end: usize) -> (usize, Option<&'static str>) {
        if at_line_start(self.text, end) {
            (end, None)
        } else {
            match next_line_start(self.text, end) {
                Some(p) => (p, None),
                None => (self.text.len(), Some(newline_near(self.text, end))),
            }
        }
    }

    /// Inserts `lines` (block text ending with a newline) after `end`'s line.
    pub(super) fn insert_lines_after(&self, end: usize, lines: String) -> Edit {
        let (at, prefix) = self.after_line(end);
        let text = match prefix {
            // The text had no final newline: put it before, not after.
            Some(nl) => format!("{nl}{}", lines.strip_suffix(nl).unwrap_or(&lines)),
            None => lines,
        };
        Edit {
            start: at,
            end: at,
            text,
        }
    }

    /// End of an entry, past the `:` when the value is empty.
    pub(super) fn entry_end(&self, k: &Node<'_>, v: &Node<'_>) -> usize {
        // A collection can have an empty span (`-` ending the text, as saphyr
        // reports it); only an empty scalar means "nothing after the colon".
        if v.end > v.start || !matches!(v.kind, Kind::Scalar(..)) {
            v.end.max(k.end)
        } else {
            self.colon_after(k.end).map_or(k.end, |c| c + 1)
        }
    }

    pub(super) fn colon_after(&self, pos: usize) -> Option<usize> {
        let b = self.text.as_bytes();
        let mut i = pos;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        (b.get(i) == Some(&b':')).then_some(i)
    }

    /// Adds an entry to the non-empty or empty mapping `map`.
    pub(super) fn append(
        &self,
        map: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
        fill: Fill,
    ) -> Result<Edit, Error> {
        let entries = map.entries().unwrap_or(&[]);
        let quote = fill == Fill::Stamp && entries.last().is_some_and(|(k, _)| is_double_quoted(k));
        if is_flow(map) {
            return Ok(self.flow_insert(map, &self.flow_entry(fill, quote), false));
        }
        let (fk, _) = &entries[0];
        let (lk, lv) = entries.last().expect("a block mapping has entries");
        // The new entry takes the first key's column and follows the last
        // entry: both must be where saphyr says they are.
        if !self.leads_line(fk) || !is_scalar_key(lk) {
            return Err(self.err(
                if is_scalar_key(fk) { lk.start } else { map.start },
                "the mapping holds an empty or complex ('? ...') key; refusing to guess where the new entry goes",
            ));
        }
        let nl = newline_near(self.text, lk.start);
        let indent = column(self.text, fk.start);
        let mut lines = self.block_lines(fill, quote, indent, self.step(steps), nl);
        let end = self.entry_end(lk, lv);
        if self.after_line(end).1.is_some() && ends_in_block_scalar(lv) {
            // The text ends inside a block scalar without a final newline: a
            // line after it would give the scalar a newline it lacks. Put
            // the entry before the last one instead.
            lines.drain(..indent);
            lines.push_str(&" ".repeat(indent));
            return Ok(Edit {
                start: lk.start,
                end: lk.start,
                text: lines,
            });
        }
        Ok(self.insert_lines_after(end, lines))
    }

    /// A scalar key that starts its line after the indentation, so that its
    /// column is the mapping's.
    pub(super) fn leads_line(&self, k: &Node<'_>) -> bool {
        is_scalar_key(k)
            && self.text[text::line_start(self.text, k.start)..k.start]
                .bytes()
                .all(|b| b == b' ')
    }

    /// Puts `entry` inside the flow mapping `map`: at the end, or first when
    /// `first` is set or the mapping spans lines (so that no existing line
    /// needs a comma added).
    pub(super) fn flow_insert(&self, map: &Node<'_>, entry: &str, first: bool) -> Edit {
        let entries = map.entries().unwrap_or(&[]);
        let open = map.start;
        let at_open = |text: String| Edit {
            start: open + 1,
            end: open + 1,
            text,
        };
        let Some((fk, _)) = entries.first() else {
            return at_open(entry.to_string());
        };
        if self
            .text
            .get(open..fk.start)
            .is_some_and(|t| t.contains('\n'))
        {
            return self.flow_insert_line(open, fk, entry);
        }
        if first {
            // A collection key's span starts after its anchor or tag.
            let at = if is_scalar_key(fk) {
                fk.start
            } else {
                open + 1
            };
            return Edit {
                start: at,
                end: at,
                text: format!("{entry}{}", self.comma),
            };
        }
        let (lk, lv) = entries.last().expect("not empty");
        let at = self.entry_end(lk, lv);
        // After an empty value (`{a: }`), YAML 1.1 parsers reject `a:,`.
        let gap = if self.text[..at].ends_with(':') {
            " "
        } else {
            ""
        };
        Edit {
            start: at,
            end: at,
            text: format!("{gap}{}{entry}", self.comma),
        }
    }

    /// `flow_insert` into a mapping that spans lines: a line of its
    /// own before the first entry `fk`'s line, with that line's leading
    /// blanks (not a `?` that may precede the entry); no existing line
    /// changes.
    fn flow_insert_line(&self, open: usize, fk: &Node<'_>, entry: &str) -> Edit {
        let nl = newline_near(self.text, fk.start);
        let ls = text::line_start(self.text, fk.start);
        let blanks = self.text[ls..fk.start]
            .bytes()
            .take_while(|&b| b == b' ' || b == b'\t')
            .count();
        let indent = &self.text[ls..ls + blanks];
        if !is_scalar_key(fk) {
            // A collection key's anchor or tag may sit on an earlier line.
            return Edit {
                start: open + 1,
                end: open + 1,
                text: format!("{nl}{indent}{entry},"),
            };
        }
        Edit {
            start: ls,
            end: ls,
            text: format!("{indent}{entry},{nl}"),
        }
    }

    /// No `metadata` in the template: add it as the template's first key.
    pub(super) fn add_metadata(
        &self,
        template: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
    ) -> Result<Vec<Edit>, Error> {
        if is_flow(template) {
            return Ok(vec![self.flow_insert(
                template,
                &self.flow_entry(Fill::Metadata, false),
                true,
            )]);
        }
        let Some((fk, _)) = template
            .entries()
            .and_then(|e| e.first())
            .filter(|(k, _)| is_named_key(k) && self.leads_line(k))
        else {
            return Err(self.err(
                template.start,
                "the pod template starts with an empty or complex key; refusing to guess where 'metadata' goes",
            ));
        };
        let indent = column(self.text, fk.start);
        let nl = newline_near(self.text, fk.start);
        let mut lines = self.block_lines(Fill::Metadata, false, indent, self.step(steps), nl);
        // The new lines start at the first key's column; re-indent that key.
        let first_indent = lines.len() - lines.trim_start_matches(' ').len();
        lines.drain(..first_indent);
        lines.push_str(&" ".repeat(indent));
        Ok(vec![Edit {
            start: fk.start,
            end: fk.start,
            text: lines,
        }])
    }

    /// `metadata:` or `annotations:` is empty, `~` or `null`: it becomes a
    /// mapping. `parent` holds the entry `k: v`.
    pub(super) fn fill_null(
        &self,
        parent: &Node<'_>,
        k: &Node<'_>,
        v: &Node<'_>,
        steps: &[(&Node<'_>, &Node<'_>)],
        what: Fill,
    ) -> Result<Vec<Edit>, Error> {
        // The entry we write inside the new mapping.
        let inner = match what {
            Fill::Metadata => Fill::Annotations,
            _ => Fill::Stamp,
        };
        let colon = self.colon_after(k.end);
        if is_flow(parent) {
            let text = format!("{{{}}}", self.flow_entry(inner, false));
            return Ok(vec![if v.end > v.start {
                Edit {
                    start: v.start,
                    end: v.end,
                    text,
                }
            } else if let Some(c) = colon {
                Edit {
                    start: c + 1,
                    end: c + 1,
                    text: format!("{}{text}", &self.colon[1..]),
                }
            } else {
                Edit {
                    start: k.end,
                    end: k.end,
                    text: format!("{}{text}", self.colon),
                }
            }]);
        }
        if colon.is_none() {
            // `? key` alone: its `:` would have to go on a line of its own.
            return Err(self.err(k.start, EXPLICIT_KEY));
        }
        let mut edits = Vec::new();
        if v.end > v.start {
            let from = colon.map_or(v.start, |c| c + 1);
            edits.push(Edit {
                start: from,
                end: v.end,
                text: String::new(),
            });
        }
        let step = self.step(steps);
        let nl = newline_near(self.text, k.start);
        let lines = self.block_lines(inner, false, column(self.text, k.start) + step, step, nl);
        edits.push(self.insert_lines_after(v.end.max(k.end), lines));
        Ok(edits)
    }

    /// The key exists: replace its value.
    pub(super) fn replace_value(
        &self,
        map: &Node<'_>,
        k: &Node<'_>,
        v: &Node<'_>,
    ) -> Result<(Edit, Current), Error> {
        self.editable(v, self.key)?;
        let Kind::Scalar(value, style) = &v.kind else {
            return Err(self.err(
                v.start,
                format!("annotation '{}' does not hold a string", self.key),
            ));
        };
        let current = Current {
            value: value.to_string(),
            canonical: *style == ScalarStyle::DoubleQuoted && v.tag.is_none() && v.anchor == 0,
            cut: self.entry_cut(map, k, v),
        };
        let edit = if v.end == v.start {
            match self.colon_after(k.end) {
                Some(c) => Edit {
                    start: c + 1,
                    end: c + 1,
                    text: format!(" {VALUE}"),
                },
                None if is_flow(map) => Edit {
                    start: k.end,
                    end: k.end,
                    text: format!(": {VALUE}"),
                },
                None => return Err(self.err(k.start, EXPLICIT_KEY)),
            }
        } else {
            let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
            // A block scalar ends at the start of the next line: keep a newline.
            let nl = if block && at_line_start(self.text, v.end) {
                newline_near(self.text, v.start)
            } else {
                ""
            };
            Edit {
                start: v.start,
                end: v.end,
                text: format!("{VALUE}{nl}"),
            }
        };
        Ok((edit, current))
    }

    /// What to cut to remove the entry `k: v` of `map`: in block style its
    /// lines, when nothing else starts on them; in flow style the entry
    /// and one comma beside it. `None` where that is not plain (the self-
    /// check would catch a wrong cut, but a refusal says more).
    fn entry_cut(&self, map: &Node<'_>, k: &Node<'_>, v: &Node<'_>) -> Option<(usize, usize)> {
        let entries = map.entries()?;
        let i = entries.iter().position(|(ek, _)| std::ptr::eq(ek, k))?;
        let end = self.entry_end(k, v);
        if is_flow(map) {
            return Some(
                match (i.checked_sub(1).map(|p| &entries[p]), entries.get(i + 1)) {
                    (Some((pk, pv)), _) => (self.entry_end(pk, pv), end),
                    (None, Some((next, _))) => (k.start, next.start),
                    (None, None) => (k.start, end),
                },
            );
        }
        let start = text::line_start(self.text, k.start);
        if !is_named_key(k) || !self.text[start..k.start].bytes().all(|b| b == b' ') {
            return None;
        }
        let stop = if self.text[..end].ends_with('\n') {
            end
        } else {
            next_line_start(self.text, end).unwrap_or(self.text.len())
        };
        // Only blanks or a comment after the value on its last line.
        let rest = self.text[end..stop].trim_start_matches([' ', '\t']);
        let rest_ok = rest.is_empty() || rest.starts_with(['#', '\r', '\n']);
        let next_ok = entries.get(i + 1).is_none_or(|(n, _)| n.start >= stop);
        (rest_ok && next_ok).then_some((start, stop))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fill {
    /// Only the stamp entry.
    Stamp,
    /// `annotations` holding the stamp.
    Annotations,
    /// `metadata` holding `annotations` holding the stamp.
    Metadata,
}

/// A key written as a non-empty scalar, without properties: its span starts
/// at its first character, so edits can be placed by it.
pub(super) fn is_named_key(k: &Node<'_>) -> bool {
    is_scalar_key(k) && k.anchor == 0 && k.tag.is_none()
}

/// A non-empty scalar key: its span is where saphyr says.
pub(super) fn is_scalar_key(k: &Node<'_>) -> bool {
    matches!(k.kind, Kind::Scalar(..)) && k.end > k.start
}

/// Whether the last line of `n` may belong to a block scalar.
pub(super) fn ends_in_block_scalar(n: &Node<'_>) -> bool {
    match &n.kind {
        Kind::Scalar(_, style) => matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
        Kind::Map(e, Style::Block) => e.last().is_none_or(|(_, v)| ends_in_block_scalar(v)),
        Kind::Seq(i, Style::Block) => i.last().is_none_or(ends_in_block_scalar),
        Kind::Opaque {
            style: Style::Block,
            ..
        } => true,
        _ => false,
    }
}

pub(super) fn is_flow(n: &Node<'_>) -> bool {
    matches!(
        n.kind,
        Kind::Map(_, Style::Flow) | Kind::Seq(_, Style::Flow)
    )
}

pub(super) fn is_double_quoted(n: &Node<'_>) -> bool {
    matches!(n.kind, Kind::Scalar(_, ScalarStyle::DoubleQuoted))
}

/// Whether `key` can be written as a plain scalar and still read as that
/// string (no indicators, not a number, boolean or null in YAML 1.1 or 1.2).
pub fn plain_safe(key: &str) -> bool {
    let Some(first) = key.chars().next() else {
        return false;
    };
    if !first.is_ascii_alphanumeric() {
        return false;
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
    ) {
        return false;
    }
    !key.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys() {
        assert!(plain_safe("reloaded-at"));
        assert!(plain_safe("kubectl.kubernetes.io/restartedAt"));
        assert!(plain_safe("checksum/config"));
        assert!(!plain_safe("yes"));
        assert!(!plain_safe("1x"));
        assert!(!plain_safe("a b"));
        assert!(!plain_safe(""));
        assert!(!plain_safe("a:b"));
    }
}
