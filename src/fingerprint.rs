//! The fingerprint of a document with its stamps removed: what the
//! self-check compares. An edited document, parsed again, must have the
//! original's fingerprint once its stamps are removed in the same way (and
//! an `annotations`/`metadata` that is then empty or null dropped), so the
//! original's fingerprint can be kept from the first parse instead of its
//! tree.

use std::hash::{Hash, Hasher};

use saphyr_parser::ScalarStyle;

use crate::document::{Fx, Kind, Node};
use crate::select::TemplatePath;

/// Follows `items` indices through `*List` documents.
pub fn follow_items<'n, 'a>(root: &'n Node<'a>, items: &[usize]) -> Option<&'n Node<'a>> {
    let mut cur = root;
    for &i in items {
        match &cur.get("items")?.1.kind {
            Kind::Seq(v, _) => cur = v.get(i)?,
            _ => return None,
        }
    }
    Some(cur)
}

/// Where a stamp lives: the path through `*List` items and the kind.
pub struct Site<'w> {
    pub items: &'w [usize],
    /// Where the workload's pod template is.
    pub template: &'w TemplatePath,
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
    for seg in site.template.segments() {
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
        if let Some(t) = template(root, &site) {
            strip.templates.push(ptr(t));
            if let Some((_, m)) = t.get("metadata") {
                strip.add_metadata(m);
            }
        }
    }
    strip.hash(root, key)
}

/// Fingerprint of a template's `metadata` mapping without the stamp (and
/// without `annotations` if that leaves it empty).
pub fn fingerprint_metadata(meta: &Node<'_>, key: &str) -> u64 {
    let mut strip = Strip::default();
    strip.add_metadata(meta);
    strip.hash(meta, key)
}

impl Strip {
    /// Strips the stamp from this metadata mapping.
    fn add_metadata(&mut self, meta: &Node<'_>) {
        self.metadata.push(ptr(meta));
        if let Some((_, a)) = meta.get("annotations") {
            self.annotations.push(ptr(a));
        }
    }

    fn hash(&self, node: &Node<'_>, key: &str) -> u64 {
        let mut w = Walk {
            strip: self,
            key,
            anchors: Vec::new(),
            h: Fx::default(),
        };
        w.node(node);
        w.h.finish()
    }
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

    /// A node's properties: its anchor (as the how-manieth, so that ids
    /// need not match) and its tag.
    fn properties(&mut self, n: &Node<'_>) {
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
    }

    fn node(&mut self, n: &Node<'_>) {
        self.properties(n);
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
            Kind::Opaque {
                hash,
                map,
                style: flow,
            } => {
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
