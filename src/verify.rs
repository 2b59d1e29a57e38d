//! The self-check: an edited document, parsed again, must mean exactly the
//! original plus the stamp.
//!
//! Both sides are reduced to a fingerprint of their tree with the stamp key
//! removed (and an `annotations`/`metadata` that is then empty or null
//! dropped), so the original's fingerprint can be kept from the first parse
//! instead of keeping its tree.

use std::hash::{Hash, Hasher};

use saphyr_parser::ScalarStyle;

use crate::document::{parse_all, Fx, Kind, Mode, Node};
use crate::plan::follow_items;
use crate::select::template_path;

/// Where a stamp lives: the path through `*List` items and the kind.
pub struct Site<'w> {
    pub items: &'w [usize],
    pub kind: &'w str,
}

#[derive(Default)]
struct Strip {
    templates: Vec<*const ()>,
    metadata: Vec<*const ()>,
    annotations: Vec<*const ()>,
}

fn ptr(n: &Node<'_>) -> *const () {
    (n as *const Node<'_>).cast()
}

fn template<'n, 'a>(root: &'n Node<'a>, site: &Site<'_>) -> Option<&'n Node<'a>> {
    let mut cur = follow_items(root, site.items)?;
    for seg in template_path(site.kind) {
        cur = &cur.get(seg)?.1;
    }
    Some(cur)
}

/// The stamp's node at `site`, if present.
pub fn stamp_at<'n, 'a>(root: &'n Node<'a>, site: &Site<'_>, key: &str) -> Option<&'n Node<'a>> {
    let t = template(root, site)?;
    let a = &t.get("metadata")?.1.get("annotations")?.1;
    Some(&a.get(key)?.1)
}

/// Fingerprint of the document `root` without the stamps at `sites`.
pub fn fingerprint<'w>(root: &Node<'_>, sites: impl Iterator<Item = Site<'w>>, key: &str) -> u64 {
    let mut strip = Strip::default();
    for site in sites {
        let Some(t) = template(root, &site) else {
            continue;
        };
        strip.templates.push(ptr(t));
        if let Some((_, m)) = t.get("metadata") {
            strip.metadata.push(ptr(m));
            if let Some((_, a)) = m.get("annotations") {
                strip.annotations.push(ptr(a));
            }
        }
    }
    let mut w = Walk {
        strip: &strip,
        key,
        anchors: Vec::new(),
        h: Fx::default(),
    };
    w.node(root);
    w.h.finish()
}

struct Walk<'s> {
    strip: &'s Strip,
    key: &'s str,
    anchors: Vec<usize>,
    h: Fx,
}

impl Walk<'_> {
    /// Whether entry `k: v` of mapping `map` is part of the stamp.
    fn skipped(&self, map: &Node<'_>, k: &Node<'_>, v: &Node<'_>) -> bool {
        let p = ptr(map);
        let name = k.as_str();
        if self.strip.annotations.contains(&p) && name == Some(self.key) {
            return true;
        }
        if self.strip.metadata.contains(&p) && name == Some("annotations") {
            return v.is_null() || (self.strip.annotations.contains(&ptr(v)) && self.kept(v) == 0);
        }
        if self.strip.templates.contains(&p) && name == Some("metadata") {
            return v.is_null() || (self.strip.metadata.contains(&ptr(v)) && self.kept(v) == 0);
        }
        false
    }

    fn kept(&self, map: &Node<'_>) -> usize {
        map.entries().map_or(0, |e| {
            e.iter().filter(|(k, v)| !self.skipped(map, k, v)).count()
        })
    }

    fn node(&mut self, n: &Node<'_>) {
        if n.anchor != 0 {
            self.anchors.push(n.anchor);
            self.anchors.len().hash(&mut self.h);
        } else {
            0usize.hash(&mut self.h);
        }
        match &n.tag {
            Some(t) => {
                t.handle.hash(&mut self.h);
                t.suffix.hash(&mut self.h);
            }
            None => 0u8.hash(&mut self.h),
        }
        match &n.kind {
            Kind::Scalar(s, style) => {
                1u8.hash(&mut self.h);
                s.as_ref().hash(&mut self.h);
                style_code(*style).hash(&mut self.h);
            }
            Kind::Alias(id) => {
                2u8.hash(&mut self.h);
                let n = self
                    .anchors
                    .iter()
                    .rposition(|a| a == id)
                    .map_or(usize::MAX, |i| i + 1);
                n.hash(&mut self.h);
            }
            Kind::Seq(items, flow) => {
                3u8.hash(&mut self.h);
                flow.hash(&mut self.h);
                items.len().hash(&mut self.h);
                for i in items {
                    self.node(i);
                }
            }
            Kind::Opaque { hash, map, flow } => {
                7u8.hash(&mut self.h);
                map.hash(&mut self.h);
                flow.hash(&mut self.h);
                hash.hash(&mut self.h);
            }
            Kind::Map(entries, flow) => {
                4u8.hash(&mut self.h);
                flow.hash(&mut self.h);
                for (k, v) in entries {
                    if self.skipped(n, k, v) {
                        continue;
                    }
                    5u8.hash(&mut self.h);
                    self.node(k);
                    self.node(v);
                }
                6u8.hash(&mut self.h);
            }
        }
    }
}

fn style_code(s: ScalarStyle) -> u8 {
    match s {
        ScalarStyle::Plain => 0,
        ScalarStyle::SingleQuoted => 1,
        ScalarStyle::DoubleQuoted => 2,
        ScalarStyle::Literal => 3,
        ScalarStyle::Folded => 4,
    }
}

/// Parses the edited document again and checks it against the original's
/// fingerprint: every site with a wanted value holds it, double-quoted, and
/// nothing else changed.
pub fn check(
    edited: &str,
    mode: Mode,
    sites: &[Site<'_>],
    want: &[Option<&str>],
    key: &str,
    expected: u64,
) -> Result<(), String> {
    let docs =
        parse_all(edited, mode).map_err(|e| format!("the edited document does not parse ({e})"))?;
    let [doc] = docs.as_slice() else {
        return Err(format!(
            "the edited text holds {} documents, not 1",
            docs.len()
        ));
    };
    let root = doc.root.as_ref().ok_or("the edited document is empty")?;
    for (site, want) in sites.iter().zip(want) {
        let Some(value) = want else { continue };
        match stamp_at(root, site, key) {
            Some(Node {
                kind: Kind::Scalar(v, ScalarStyle::DoubleQuoted),
                tag: None,
                ..
            }) if v == value => {}
            Some(_) => {
                return Err(format!(
                    "the stamp '{key}' does not read back as \"{value}\""
                ))
            }
            None => return Err(format!("the stamp '{key}' is missing after the edit")),
        }
    }
    let got = fingerprint(
        root,
        sites.iter().map(|s| Site {
            items: s.items,
            kind: s.kind,
        }),
        key,
    );
    if got != expected {
        return Err("the edited document differs from the original by more than the stamp".into());
    }
    Ok(())
}
