//! The self-check: an edited document, parsed again, must mean exactly the
//! original plus the stamp.
//!
//! Both sides are reduced to a fingerprint of their tree with the stamp key
//! removed (and an `annotations`/`metadata` that is then empty or null
//! dropped), so the original's fingerprint can be kept from the first parse
//! instead of keeping its tree.

use saphyr_parser::ScalarStyle;

use crate::document::{parse_all, Kind, Mode, Node};
use crate::error::Error;
use crate::fingerprint::{fingerprint, fingerprint_metadata, stamp_at, Site};
use crate::plan::{Expect, Local};

/// The cheap check of a block-style edit, without parsing the whole
/// document again: `part` (the edited lines of a [`Local`]) parsed alone
/// must read as expected, and `after` (the rest of the document) must start
/// with a line less indented than the part's keys (the same or less for a
/// new entry) once blank and comment lines are skipped.
///
/// Why that is enough: the edit only changed bytes inside `part`. In block
/// context a mapping whose lines all sit at or right of its keys' column,
/// and which is followed by a line further left, parses alone exactly as in
/// place (YAML lets a root node be indented; block scalars, flow
/// continuations and plain continuations are indented relative to that same
/// column). The text before and after it is unchanged and meets the parser
/// in the same state as before. Anything outside these conditions (flow
/// style, tabs, an alias or tag handle defined outside the part) returns
/// `false`, and the caller parses the whole document instead.
pub fn check_local(part: &str, after: &str, local: &Local, key: &str, value: &str) -> bool {
    stands_alone(part, after, local) && reads_as_expected(part, local, key, value)
}

/// Whether `part` parses alone exactly as in place: its lines at or right
/// of the keys' column, and the first line after it further left.
fn stands_alone(part: &str, after: &str, local: &Local) -> bool {
    let n = local.indent;
    // Every line of the part, but comments, sits at or right of column n;
    // the first has its key at column n.
    for (i, line) in part.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let spaces = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[spaces..];
        if rest.starts_with('\t') || (i == 0 && spaces != n) {
            return false;
        }
        if !(rest.is_empty() || spaces >= n || rest.starts_with('#')) {
            return false;
        }
    }
    // The part ends at a line start, or with the indentation of the next key.
    let tail = &part[crate::text::line_start(part, part.len())..];
    if !tail.bytes().all(|b| b == b' ') {
        return false;
    }
    match (&local.expect, next_indent(tail, after)) {
        (_, None) => false,
        (_, Some(None)) => true,
        (Expect::Metadata(_), Some(Some(i))) => i < n,
        (Expect::NewMetadata, Some(Some(i))) => i <= n,
    }
}

/// The indentation of the first line after the part (its last line's
/// start is `tail`) that is neither blank nor a comment: `Some(None)` when
/// there is none, `None` when a tab makes it unknown.
fn next_indent(tail: &str, after: &str) -> Option<Option<usize>> {
    let mut lines = after.split('\n');
    let first = lines.next().map(|l| format!("{tail}{l}"));
    for line in first.into_iter().chain(lines.map(str::to_string)) {
        let body = line.trim_end_matches('\r');
        let spaces = body.len() - body.trim_start_matches(' ').len();
        let rest = &body[spaces..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if rest.starts_with('\t') {
            return None;
        }
        return Some(Some(spaces));
    }
    Some(None)
}

/// Whether `part`, parsed alone, reads as `local` expects with the stamp
/// `key: "value"`.
fn reads_as_expected(part: &str, local: &Local, key: &str, value: &str) -> bool {
    let Ok(docs) = parse_all(part, Mode::Full) else {
        return false;
    };
    let [doc] = docs.as_slice() else { return false };
    let Some(root) = &doc.root else { return false };
    let stamp_ok = |annotations: &Node<'_>| {
        matches!(annotations.get(key), Some((_, Node {
            kind: Kind::Scalar(v, ScalarStyle::DoubleQuoted),
            tag: None,
            anchor: 0,
            ..
        })) if v == value)
    };
    match &local.expect {
        Expect::Metadata(fp) => {
            root.entries().is_some()
                && fingerprint_metadata(root, key) == *fp
                && root.get("annotations").is_some_and(|(_, a)| stamp_ok(a))
        }
        Expect::NewMetadata => {
            fn one<'n, 'a>(n: &'n Node<'a>, name: &str) -> Option<&'n Node<'a>> {
                match n.entries() {
                    Some([(k, v)]) if k.as_str() == Some(name) => Some(v),
                    _ => None,
                }
            }
            one(root, "metadata")
                .and_then(|m| one(m, "annotations"))
                .is_some_and(|a| a.entries().is_some_and(|e| e.len() == 1) && stamp_ok(a))
        }
    }
}

/// What the self-check wants of one site's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want<'v> {
    /// Whatever it held.
    Keep,
    /// This value, double-quoted.
    Value(&'v str),
    /// No such key.
    Absent,
}

/// Parses the edited document again and checks it against the original's
/// fingerprint: every site holds what is wanted of it (a value
/// double-quoted, or no key), and nothing else changed. A failure is an internal error at `at` (the first
/// workload of the document).
pub fn check(
    edited: &str,
    mode: Mode,
    sites: &[Site<'_>],
    want: &[Want<'_>],
    key: &str,
    (expected, at): (u64, usize),
) -> Result<(), Error> {
    let fail = |why: &str| Error::internal(at, why);
    let docs = parse_all(edited, mode)
        .map_err(|e| fail(&format!("the edited document does not parse ({e})")))?;
    let [doc] = docs.as_slice() else {
        return Err(fail(&format!(
            "the edited text holds {} documents, not 1",
            docs.len()
        )));
    };
    let root = doc
        .root
        .as_ref()
        .ok_or_else(|| fail("the edited document is empty"))?;
    for (site, want) in sites.iter().zip(want) {
        holds(root, site, *want, key).map_err(|why| fail(&why))?;
    }
    let got = fingerprint(
        root,
        sites.iter().map(|s| Site {
            items: s.items,
            template: s.template,
        }),
        key,
    );
    if got != expected {
        return Err(fail(
            "the edited document differs from the original by more than the stamp",
        ));
    }
    Ok(())
}

/// Whether the site's key in `root` is as wanted; else why not.
fn holds(root: &Node<'_>, site: &Site<'_>, want: Want<'_>, key: &str) -> Result<(), String> {
    let found = stamp_at(root, site, key);
    let value = match (want, found) {
        (Want::Keep, _) | (Want::Absent, None) => return Ok(()),
        (Want::Absent, Some(_)) => {
            return Err(format!("the key '{key}' is still there after its removal"))
        }
        (Want::Value(v), _) => v,
    };
    match found {
        Some(Node {
            kind: Kind::Scalar(v, ScalarStyle::DoubleQuoted),
            tag: None,
            ..
        }) if v == value => Ok(()),
        Some(_) => Err(format!(
            "the stamp '{key}' does not read back as \"{value}\""
        )),
        None => Err(format!("the stamp '{key}' is missing after the edit")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_fp(text: &str) -> u64 {
        let docs = parse_all(text, Mode::Full).unwrap();
        fingerprint_metadata(docs[0].root.as_ref().unwrap(), "k")
    }

    fn local(indent: usize, expect: Expect) -> Local {
        Local {
            start: 0,
            end: 0,
            indent,
            expect,
        }
    }

    #[test]
    fn local_check_accepts_a_faithful_block_edit() {
        let fp = meta_fp("      labels:\n        app: web\n");
        let part = "      labels:\n        app: web\n      annotations:\n        k: \"v\"\n";
        assert!(check_local(
            part,
            "    spec:\n",
            &local(6, Expect::Metadata(fp)),
            "k",
            "v"
        ));
        assert!(check_local(
            part,
            "\n  # c\n",
            &local(6, Expect::Metadata(fp)),
            "k",
            "v"
        ));
        let part = "    metadata:\n      annotations:\n        k: \"v\"\n    ";
        assert!(check_local(
            part,
            "spec: {}\n",
            &local(4, Expect::NewMetadata),
            "k",
            "v"
        ));
    }

    #[test]
    fn local_check_rejects_what_it_cannot_prove() {
        let fp = meta_fp("      labels:\n        app: web\n");
        let l = local(6, Expect::Metadata(fp));
        let good = "      labels:\n        app: web\n      annotations:\n        k: \"v\"\n";
        // Nested one level too deep: annotations would belong to labels.
        let deep = "      labels:\n        app: web\n        annotations:\n          k: \"v\"\n";
        assert!(!check_local(deep, "    spec:\n", &l, "k", "v"));
        // The next line continues the mapping: not provably the same.
        assert!(!check_local(good, "      more: x\n", &l, "k", "v"));
        // Wrong value, unquoted value, or a changed label.
        assert!(!check_local(good, "    spec:\n", &l, "k", "w"));
        assert!(!check_local(
            &good.replace("\"v\"", "v"),
            "    spec:\n",
            &l,
            "k",
            "v"
        ));
        assert!(!check_local(
            &good.replace("app: web", "app: api"),
            "    spec:\n",
            &l,
            "k",
            "v"
        ));
        // A line left of the keys inside the part, or a tab.
        assert!(!check_local(
            &format!("{good}    x: 1\n"),
            "    spec:\n",
            &l,
            "k",
            "v"
        ));
        assert!(!check_local(good, "\tspec:\n", &l, "k", "v"));
        // An alias to an anchor outside the part cannot be checked alone.
        let alias = "      labels: *l\n      annotations:\n        k: \"v\"\n";
        assert!(!check_local(alias, "    spec:\n", &l, "k", "v"));
        // A new metadata entry must be exactly that.
        let n = local(4, Expect::NewMetadata);
        assert!(!check_local(
            "    metadata:\n      annotations:\n        k: \"v\"\n        j: x\n",
            "    spec:\n",
            &n,
            "k",
            "v"
        ));
        assert!(!check_local(
            "    metadata:\n      annotations:\n        k: \"v\"\n",
            "      spec:\n",
            &n,
            "k",
            "v"
        ));
    }
}
