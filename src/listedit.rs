//! Adding items to a top-level list of a small YAML document, as new lines
//! only: `- path: reload-stamp-patch.yaml` to a kustomization's `patches`,
//! `results` to a KRM ResourceList. Nothing else of the text changes, and
//! the result is parsed again to check it.

use crate::document::{parse_all, Kind, Mode, Node, Style};
use crate::error::{Error, ErrorKind};

/// An edit that did not check out: a bug, not the input's fault. The
/// edits here (and kustomize's, which share them) change kustomizations.
pub(crate) fn internal(why: &str) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("internal error: {why}; please report this with the kustomization"),
    )
}

/// `text` with `items` (block sequence items, each line ending with a
/// newline, written at column 0) added to the top-level list `key`: after
/// its last item, at its items' indentation, or as a new `key:` at the end
/// of the document. `Err` says why the text does not allow it.
pub fn append_items(text: &str, key: &str, items: &str) -> Result<String, Error> {
    let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let items = if nl == "\n" {
        items.to_string()
    } else {
        items.replace('\n', nl)
    };
    let docs = parse_all(text, Mode::Full)?;
    let root = match docs.as_slice() {
        [] => None,
        [doc] => Some(
            doc.root
                .as_ref()
                .ok_or_else(|| Error::refused("it is empty".to_string()))?,
        ),
        _ => return Err(Error::refused("it holds several documents".to_string())),
    };
    let out = match root {
        None => format!("{key}:{nl}{items}"),
        Some(root) => add_lines(text, root, key, &items, nl)?,
    };
    // The edit must read as the items added, and nothing else moved.
    let added = items.matches(&format!("{nl}-")).count() + usize::from(items.starts_with('-'));
    let again = parse_all(&out, Mode::Full)
        .map_err(|e| internal(&format!("the edit does not parse ({e})")))?;
    let shape = |root: Option<&Node<'_>>| {
        let entries = root.and_then(Node::entries).map_or(0, <[_]>::len);
        let items = match root.and_then(|r| r.get(key)).map(|(_, v)| &v.kind) {
            Some(Kind::Seq(list, _)) => list.len(),
            _ => 0,
        };
        (entries, items)
    };
    let had_key = root.is_some_and(|r| r.get(key).is_some());
    let (entries, before) = shape(root);
    let want = (entries + usize::from(!had_key), before + added);
    if shape(again.first().and_then(|d| d.root.as_ref())) != want {
        return Err(internal("the edit could not be checked"));
    }
    Ok(out)
}

/// `text`, whose document is `root`, with `items` added to the list `key`
/// or as a new `key:` at the end.
fn add_lines(
    text: &str,
    root: &Node<'_>,
    key: &str,
    items: &str,
    nl: &str,
) -> Result<String, Error> {
    match &root.kind {
        Kind::Map(_, Style::Block) if crate::text::column(text, root.start) == 0 => {}
        _ => return Err(Error::refused("it is not a block mapping".to_string())),
    }
    let mut out = String::with_capacity(text.len() + items.len() + key.len() + 4);
    let Some((_, v)) = root.get(key) else {
        let tail = &text[root.end..];
        if tail
            .lines()
            .any(|l| l.starts_with("---") || l.starts_with("..."))
        {
            return Err(Error::refused(
                "it has a document marker after its content".to_string(),
            ));
        }
        out.push_str(text);
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        out.push_str(&format!("{key}:{nl}{items}"));
        return Ok(out);
    };
    let Kind::Seq(list, Style::Block) = &v.kind else {
        return Err(Error::refused(format!("its {key} are not a block list")));
    };
    let (Some(last), Some(dash)) = (list.last(), first_dash(text, list)) else {
        return Err(Error::refused(format!("its {key} are not a block list")));
    };
    let indent = " ".repeat(crate::text::column(text, dash));
    // After the line where the last item ends.
    let at = crate::text::next_line_start(text, last.end.saturating_sub(1).max(last.start))
        .unwrap_or(text.len());
    out.push_str(&text[..at]);
    if !out.ends_with('\n') {
        out.push_str(nl);
    }
    for line in items.split_inclusive('\n') {
        out.push_str(&indent);
        out.push_str(line);
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// The offset of the `-` before the first item of a block sequence: the
/// last character before the item that is not a space or line break (an
/// item may start on the dash's line or on a later one).
fn first_dash(text: &str, items: &[Node<'_>]) -> Option<usize> {
    let first = items.first()?;
    let before = text[..first.start].trim_end_matches([' ', '\t', '\n', '\r']);
    before.ends_with('-').then(|| before.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_added_as_lines() {
        let item = "- path: p.yaml\n";
        let cases: &[(&str, Option<&str>)] = &[
            ("resources:\n- a.yaml\n", Some("resources:\n- a.yaml\npatches:\n- path: p.yaml\n")),
            ("resources:\n- a.yaml", Some("resources:\n- a.yaml\npatches:\n- path: p.yaml\n")),
            ("", Some("patches:\n- path: p.yaml\n")),
            (
                "patches:\n  - path: x.yaml  # mine\n    target: {kind: Deployment}\nresources: [a.yaml]\n",
                Some("patches:\n  - path: x.yaml  # mine\n    target: {kind: Deployment}\n  - path: p.yaml\nresources: [a.yaml]\n"),
            ),
            (
                "patches:\n- patch: |-\n    - op: add\n      path: /x\n  target:\n    kind: X\n\n# end\n",
                Some("patches:\n- patch: |-\n    - op: add\n      path: /x\n  target:\n    kind: X\n- path: p.yaml\n\n# end\n"),
            ),
            ("resources:\r\n- a.yaml\r\n", Some("resources:\r\n- a.yaml\r\npatches:\r\n- path: p.yaml\r\n")),
            ("patches: []\n", None),
            ("patches:\n", None),
            ("{\"resources\": [\"a.yaml\"]}\n", None),
            ("a: 1\n---\nb: 2\n", None),
            ("a: 1\n...\n", None),
        ];
        for (text, want) in cases {
            match (append_items(text, "patches", item), want) {
                (Ok(got), Some(w)) => assert_eq!(&got, w, "{text:?}"),
                (Err(e), None) => assert!(e.kind != ErrorKind::Internal, "{text:?}: {e}"),
                (got, _) => panic!("{text:?}: {got:?}"),
            }
        }
    }
}
