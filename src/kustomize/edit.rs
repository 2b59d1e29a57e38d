//! Edits of a kustomization's text for `--kustomize`: the listing of the
//! patch file added and removed as lines (or, in a flow or JSON
//! kustomization, as one item), and the temporary copies' entries left
//! out. Every edit is parsed again and checked.

use std::ops::Range;

use crate::document::{parse_all, Kind, Mode, Node, Style};
use crate::error::Error;
use crate::listedit::internal;
use crate::text::{line_start, next_line_start};

/// The one document's root of a kustomization, `None` when it is empty.
fn root_of<'a>(docs: &'a [crate::document::Document<'a>]) -> Result<Option<&'a Node<'a>>, Error> {
    match docs {
        [] => Ok(None),
        [doc] => Ok(doc.root.as_ref()),
        _ => Err(Error::refused("it holds several documents".to_string())),
    }
}

/// Top-level entry count and the item count of list `key`.
fn shape(text: &str, key: &str) -> Result<(usize, usize), Error> {
    let docs = parse_all(text, Mode::Full)
        .map_err(|e| internal(&format!("the edit does not parse ({e})")))?;
    let root = root_of(&docs)?;
    let entries = root.and_then(Node::entries).map_or(0, <[_]>::len);
    let items = match root.and_then(|r| r.get(key)).map(|(_, v)| &v.kind) {
        Some(Kind::Seq(list, _)) => list.len(),
        _ => 0,
    };
    Ok((entries, items))
}

/// `text` with one item added to its top-level list `key`, or with `key`
/// and that item added. A block list gets `block` (one `- ...` line, at its
/// items' indentation) after its last item; an empty `key:` gets it on the
/// next line; a flow list (`[]` too) or a JSON kustomization gets `flow`
/// before its closing bracket. Nothing else changes. `Err` says why the
/// text does not allow it.
pub fn add_item(text: &str, key: &str, block: &str, flow: &str) -> Result<String, Error> {
    let docs = parse_all(text, Mode::Full)?;
    let root = root_of(&docs)?;
    let before = shape(text, key)?;
    let (out, new_key) = match root {
        None if docs.is_empty() => (with_new_list(text, key, block), true),
        None => return Err(Error::refused("it is empty".to_string())),
        Some(root) => match &root.kind {
            Kind::Map(_, Style::Block) => add_in_block_map(text, root, key, block, flow)?,
            Kind::Map(entries, Style::Flow) => add_in_flow_map(text, root, entries, key, flow)?,
            _ => return Err(Error::refused("it is not a mapping".to_string())),
        },
    };
    let want = (before.0 + usize::from(new_key), before.1 + 1);
    if shape(&out, key)? != want {
        return Err(internal("the edit could not be checked"));
    }
    Ok(out)
}

/// The line break `text` uses: CRLF if it has one, else LF.
fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// [`add_item`] on a text with no document: `key:` and `block` appended
/// (after a line break, if the text does not end with one).
fn with_new_list(text: &str, key: &str, block: &str) -> String {
    let nl = newline(text);
    let mut s = text.to_string();
    if !s.is_empty() && !s.ends_with('\n') {
        s.push_str(nl);
    }
    format!("{s}{key}:{nl}{}", block.replace('\n', nl))
}

/// [`add_item`] in a block mapping `root`: the new text, and whether `key`
/// is new.
fn add_in_block_map(
    text: &str,
    root: &Node<'_>,
    key: &str,
    block: &str,
    flow: &str,
) -> Result<(String, bool), Error> {
    let Some((k, v)) = root.get(key) else {
        return Ok((crate::listedit::append_items(text, key, block)?, true));
    };
    let out = match &v.kind {
        Kind::Seq(_, Style::Block) => crate::listedit::append_items(text, key, block)?,
        Kind::Seq(items, Style::Flow) => insert_flow(text, v, items, flow),
        Kind::Scalar(s, _) if v.is_null() && s.is_empty() && v.tag.is_none() => {
            // `key:` alone: the item goes on the next line, at column 0.
            let nl = newline(text);
            let at = next_line_start(text, k.end).unwrap_or(text.len());
            let mut s = text[..at].to_string();
            if !s.ends_with('\n') {
                s.push_str(nl);
            }
            s.push_str(&block.replace('\n', nl));
            s.push_str(&text[at..]);
            s
        }
        _ => {
            return Err(Error::refused(format!(
                "its {key} is `{}`, not a list",
                text[v.start..v.end].trim()
            )))
        }
    };
    Ok((out, false))
}

/// [`add_item`] in a flow (or JSON) mapping `root` with `entries`: the new
/// text, and whether `key` is new.
fn add_in_flow_map(
    text: &str,
    root: &Node<'_>,
    entries: &[(Node<'_>, Node<'_>)],
    key: &str,
    flow: &str,
) -> Result<(String, bool), Error> {
    match root.get(key).map(|(_, v)| (v, &v.kind)) {
        Some((v, Kind::Seq(items, _))) => Ok((insert_flow(text, v, items, flow), false)),
        Some(_) => Err(Error::refused(format!("its {key} are not a list"))),
        None => {
            let (at, sep) = match entries.last() {
                Some((_, v)) => (v.end, ", "),
                None => (root.start + 1, ""),
            };
            let out = format!("{}{sep}\"{key}\": [{flow}]{}", &text[..at], &text[at..]);
            Ok((out, true))
        }
    }
}

/// `flow` added as the last item of the flow list `v`.
fn insert_flow(text: &str, v: &Node<'_>, items: &[Node<'_>], flow: &str) -> String {
    match items.last() {
        Some(last) => format!("{}, {flow}{}", &text[..last.end], &text[last.end..]),
        None => format!("{}{flow}{}", &text[..v.start + 1], &text[v.start + 1..]),
    }
}

/// `text` without the items of its top-level lists `keys` that `ours`
/// picks. A block item on lines of its own loses those lines, and the
/// `key:` line goes too when it held only that item and nothing else
/// (the reverse of [`add_item`]); a flow item loses its text and one comma.
/// `Ok(None)` when there is no such item.
pub fn remove_items(
    text: &str,
    keys: &[&str],
    ours: &dyn Fn(&Node<'_>) -> bool,
) -> Result<Option<String>, Error> {
    let mut out = text.to_string();
    let mut changed = false;
    // One item at a time, parsing again: the spans move.
    loop {
        let docs = parse_all(&out, Mode::Full)?;
        let Some(root) = root_of(&docs)? else { break };
        let Some(found) = find_item(root, keys, ours) else {
            break;
        };
        let key = found.key;
        let before = shape(&out, key)?;
        let (cut, whole_key) = match found.style {
            Style::Block => block_item_cut(&out, &found)?,
            // A JSON kustomization's `"key": [item]` goes whole, as
            // `add_item` writes it.
            Style::Flow
                if found.items.len() == 1
                    && matches!(root.kind, Kind::Map(_, Style::Flow))
                    && out[found.k.start..].starts_with('"') =>
            {
                (json_entry_cut(root, &found), true)
            }
            Style::Flow => (flow_item_cut(&found), false),
        };
        out.replace_range(cut, "");
        let want = (before.0 - usize::from(whole_key), before.1 - 1);
        if shape(&out, key)? != want {
            return Err(internal("the edit could not be checked"));
        }
        changed = true;
    }
    Ok(changed.then_some(out))
}

/// An item of a top-level list that [`remove_items`] takes out.
struct Found<'k, 'n, 'a> {
    key: &'k str,
    /// The list's key and value nodes.
    k: &'n Node<'a>,
    v: &'n Node<'a>,
    items: &'n [Node<'a>],
    style: Style,
    /// The item's index in `items`.
    i: usize,
}

/// The first item `ours` picks in the first of the lists `keys` that has
/// one.
fn find_item<'k, 'n, 'a>(
    root: &'n Node<'a>,
    keys: &[&'k str],
    ours: &dyn Fn(&Node<'_>) -> bool,
) -> Option<Found<'k, 'n, 'a>> {
    keys.iter().find_map(|key| {
        let (k, v) = root.get(key)?;
        let Kind::Seq(items, style) = &v.kind else {
            return None;
        };
        let i = items.iter().position(ours)?;
        Some(Found {
            key,
            k,
            v,
            items,
            style: *style,
            i,
        })
    })
}

/// The lines of a block item, with the `key:` line when it held only that
/// item (then `true`: the whole entry goes). `Err` when the item does not
/// start its own line.
fn block_item_cut(out: &str, f: &Found<'_, '_, '_>) -> Result<(Range<usize>, bool), Error> {
    let (key, k, v, item) = (f.key, f.k, f.v, &f.items[f.i]);
    let dash = out[..item.start].trim_end_matches([' ', '\t']);
    let dash_at = dash.len().saturating_sub(1);
    if !dash.ends_with('-') || !out[line_start(out, dash_at)..dash_at].trim().is_empty() {
        return Err(Error::refused(format!(
            "its {key} item is not on lines of its own"
        )));
    }
    let from = line_start(out, dash_at);
    let to = end_of_line(out, item.end);
    let key_line = &out[line_start(out, k.start)..v.start.min(end_of_line(out, k.end))];
    if f.items.len() == 1
        && key_line.trim_end() == format!("{key}:")
        && line_start(out, k.start) == k.start
    {
        Ok((line_start(out, k.start)..to, true))
    } else {
        Ok((from..to, false))
    }
}

/// The whole `"key": [item]` entry of a JSON kustomization `root`, with
/// one comma.
fn json_entry_cut(root: &Node<'_>, f: &Found<'_, '_, '_>) -> Range<usize> {
    let (k, v) = (f.k, f.v);
    let entries = root.entries().unwrap_or_default();
    let at = entries
        .iter()
        .position(|(ek, _)| ek.start == k.start)
        .unwrap_or(0);
    match (at.checked_sub(1).map(|p| &entries[p]), entries.get(at + 1)) {
        (Some(prev), _) => prev.1.end..v.end,
        (None, Some(next)) => k.start..next.0.start,
        (None, None) => k.start..v.end,
    }
}

/// A flow item's text, with one comma.
fn flow_item_cut(f: &Found<'_, '_, '_>) -> Range<usize> {
    let (items, i) = (f.items, f.i);
    match (i.checked_sub(1).map(|p| &items[p]), items.get(i + 1)) {
        (Some(prev), _) => prev.end..items[i].end,
        (None, Some(next)) => items[i].start..next.start,
        (None, None) => items[i].start..items[i].end,
    }
}

/// Just past the line break ending the line that holds the last byte
/// before `end` (or the text's end).
fn end_of_line(text: &str, end: usize) -> usize {
    if text[..end].ends_with('\n') {
        return end;
    }
    next_line_start(text, end).unwrap_or(text.len())
}

/// `text` without its top-level entries `keys` (for a temporary copy: the
/// layout of what stays does not matter, only that it reads the same).
pub fn remove_entries(text: &str, keys: &[&str]) -> Result<String, Error> {
    let mut out = text.to_string();
    loop {
        let docs = parse_all(&out, Mode::Full)?;
        let Some(root) = root_of(&docs)? else { break };
        let Some(entries) = root.entries() else { break };
        let Some(i) = entries
            .iter()
            .position(|(k, _)| k.as_str().is_some_and(|k| keys.contains(&k)))
        else {
            break;
        };
        let cut = match &root.kind {
            Kind::Map(_, Style::Block) => {
                let from = line_start(&out, entries[i].0.start);
                let to = match entries.get(i + 1) {
                    Some((next, _)) => line_start(&out, next.start),
                    None => end_of_line(&out, entries[i].1.end.max(entries[i].0.end)),
                };
                from..to
            }
            _ => match (i.checked_sub(1).map(|p| &entries[p]), entries.get(i + 1)) {
                (Some(prev), _) => prev.1.end..entries[i].1.end,
                (None, Some(next)) => entries[i].0.start..next.0.start,
                (None, None) => entries[i].0.start..entries[i].1.end,
            },
        };
        let n = entries.len();
        out.replace_range(cut, "");
        if shape(&out, "")?.0 != n - 1 {
            return Err(internal("a temporary kustomization could not be checked"));
        }
    }
    Ok(out)
}

/// `text` with `sortOptions` set to kustomize's `fifo` order (a temporary
/// copy's: its resources then come out in the order they were read).
pub fn with_fifo_order(text: &str) -> Result<String, Error> {
    let text = remove_entries(text, &["sortOptions"])?;
    let docs = parse_all(&text, Mode::Full)?;
    let out = match root_of(&docs)? {
        None => format!("{text}\nsortOptions:\n  order: fifo\n"),
        Some(root) => match &root.kind {
            Kind::Map(e, Style::Flow) => {
                let sep = if e.is_empty() { "" } else { ", " };
                let at = root.start + 1;
                format!(
                    "{}\"sortOptions\": {{\"order\": \"fifo\"}}{sep}{}",
                    &text[..at],
                    &text[at..]
                )
            }
            Kind::Map(_, Style::Block) => {
                let at = line_start(&text, root.start);
                format!(
                    "{}sortOptions:\n  order: fifo\n{}",
                    &text[..at],
                    &text[at..]
                )
            }
            _ => return Err(Error::refused("it is not a mapping".to_string())),
        },
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &str = "- path: p.yaml\n";
    const FLOW: &str = "{\"path\": \"p.yaml\"}";

    fn ours(n: &Node<'_>) -> bool {
        n.get_str("path") == Some("p.yaml")
    }

    /// Each kustomization, with the item added, and removed again: the
    /// removal gives back exactly the text before the addition.
    #[test]
    fn the_listing_is_added_and_removed_exactly() {
        let cases: &[(&str, &str)] = &[
            (
                "resources:\n- a.yaml\n",
                "resources:\n- a.yaml\npatches:\n- path: p.yaml\n",
            ),
            (
                "resources:\n- a.yaml",
                "resources:\n- a.yaml\npatches:\n- path: p.yaml\n",
            ),
            ("", "patches:\n- path: p.yaml\n"),
            (
                "# just a comment\n",
                "# just a comment\npatches:\n- path: p.yaml\n",
            ),
            ("patches: []\n", "patches: [{\"path\": \"p.yaml\"}]\n"),
            ("patches:\n", "patches:\n- path: p.yaml\n"),
            (
                "patches:\nresources: [a]\n",
                "patches:\n- path: p.yaml\nresources: [a]\n",
            ),
            (
                "patches:  # none yet\n",
                "patches:  # none yet\n- path: p.yaml\n",
            ),
            (
                "patches:\n  - path: x.yaml\nresources: [a.yaml]\n",
                "patches:\n  - path: x.yaml\n  - path: p.yaml\nresources: [a.yaml]\n",
            ),
            (
                "patches: [{path: x.yaml}]\n",
                "patches: [{path: x.yaml}, {\"path\": \"p.yaml\"}]\n",
            ),
            (
                "{\"resources\": [\"a.yaml\"]}\n",
                "{\"resources\": [\"a.yaml\"], \"patches\": [{\"path\": \"p.yaml\"}]}\n",
            ),
            ("{}\n", "{\"patches\": [{\"path\": \"p.yaml\"}]}\n"),
            (
                "{\n  \"patches\": [\n    {\"path\": \"x.yaml\"}\n  ]\n}\n",
                "{\n  \"patches\": [\n    {\"path\": \"x.yaml\"}, {\"path\": \"p.yaml\"}\n  ]\n}\n",
            ),
            (
                "resources:\r\n- a.yaml\r\n",
                "resources:\r\n- a.yaml\r\npatches:\r\n- path: p.yaml\r\n",
            ),
        ];
        for (text, want) in cases {
            let got =
                add_item(text, "patches", BLOCK, FLOW).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(&got, want, "{text:?}");
            let back = remove_items(&got, &["patches"], &ours).unwrap();
            // Only the lines that were added go (a bare `patches:` reads
            // as none, so it may go too; a missing last line break stays).
            let expected = match *text {
                "resources:\n- a.yaml" => "resources:\n- a.yaml\n",
                "patches:\n" => "",
                "patches:\nresources: [a]\n" => "resources: [a]\n",
                t => t,
            };
            assert_eq!(back.as_deref(), Some(expected), "{text:?}");
        }
    }

    #[test]
    fn what_cannot_take_the_listing_says_why() {
        for (text, why) in [
            ("patches: ~\n", "its patches is `~`, not a list"),
            ("patches: x\n", "its patches is `x`, not a list"),
            ("a: 1\n---\nb: 2\n", "several documents"),
            ("- a\n", "not a mapping"),
        ] {
            let e = add_item(text, "patches", BLOCK, FLOW).unwrap_err();
            assert!(e.msg.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn entries_are_left_out_of_temporary_copies() {
        let cases: &[(&str, &str)] = &[
            (
                "namespace: x\nresources:\n- a\nnamePrefix: p-\n",
                "resources:\n- a\n",
            ),
            ("resources:\n- a\nnamespace: x", "resources:\n- a\n"),
            (
                "{\"namespace\": \"x\", \"resources\": [\"a\"]}",
                "{\"resources\": [\"a\"]}",
            ),
            (
                "{\"resources\": [\"a\"], \"namespace\": \"x\"}",
                "{\"resources\": [\"a\"]}",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                &remove_entries(text, &["namespace", "namePrefix"]).unwrap(),
                want
            );
        }
        assert_eq!(
            with_fifo_order("resources: [a]\n").unwrap(),
            "sortOptions:\n  order: fifo\nresources: [a]\n"
        );
        assert_eq!(
            with_fifo_order("{\"resources\": [\"a\"]}").unwrap(),
            "{\"sortOptions\": {\"order\": \"fifo\"}, \"resources\": [\"a\"]}"
        );
    }
}
