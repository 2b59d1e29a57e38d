//! The tree: nodes that know their byte span in the source.

use std::borrow::Cow;

use saphyr_parser::{ScalarStyle, Tag};

/// A node with its byte span in the source text.
#[derive(Debug)]
pub struct Node<'a> {
    /// First byte of the node: its properties (anchor, tag) for scalars, the
    /// indicator of a block scalar, the `{`/`[` of a flow collection, the
    /// first key or `-` of a block collection.
    pub start: usize,
    /// One past the node's last byte. For a block scalar: the start of the
    /// line after its last line (or the end of the text).
    pub end: usize,
    /// saphyr's anchor id, 0 for none.
    pub anchor: usize,
    /// Boxed: tags are rare, and a smaller node is cheaper to build and move.
    pub tag: Option<Box<Cow<'a, Tag>>>,
    pub kind: Kind<'a>,
}

/// What a node holds.
#[derive(Debug)]
pub enum Kind<'a> {
    Scalar(Cow<'a, str>, ScalarStyle),
    /// Entries in source order, and how the mapping is written.
    Map(Vec<(Node<'a>, Node<'a>)>, Style),
    /// Items in source order, and how the sequence is written.
    Seq(Vec<Node<'a>>, Style),
    /// The anchor id this alias refers to.
    Alias(usize),
    /// A collection off the paths the edit needs, not built: a hash of its
    /// content (anchors ignored) stands for it.
    Opaque {
        hash: u64,
        map: bool,
        style: Style,
    },
}

/// How a collection is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    /// Indentation: `key: value` lines, `- item` lines.
    Block,
    /// Brackets: `{a: b}`, `[a, b]` (JSON too).
    Flow,
}

impl Style {
    /// The style of a collection the parser says is flow or not.
    pub fn of(flow: bool) -> Style {
        if flow {
            Style::Flow
        } else {
            Style::Block
        }
    }
}

/// How much of a document to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Parse only: syntax errors, no tree.
    Validate,
    /// The paths an edit needs (`kind`, `apiVersion`, `metadata`,
    /// `spec.template` and `spec.jobTemplate.spec.template` without the pod
    /// spec, `*List` items); other collections become [`Kind::Opaque`].
    Spine,
    /// Every node.
    Full,
}

impl<'a> Node<'a> {
    /// The scalar's text, if this is a scalar that reads as a string: no
    /// tag, `!!str`, or YAML 1.1's `!!=` (read as a string by libyaml-based
    /// loaders); another tag, even `!`, makes it something else to some
    /// YAML libraries, so it never names a key on an edit path.
    pub fn as_str(&self) -> Option<&str> {
        let plain_tag = self.tag.as_ref().is_none_or(|t| {
            t.handle == "tag:yaml.org,2002:" && matches!(t.suffix.as_str(), "str" | "=")
        });
        match &self.kind {
            Kind::Scalar(s, _) if plain_tag => Some(s),
            _ => None,
        }
    }

    /// The tag of a scalar that [`as_str`](Self::as_str) refuses for its
    /// tag alone, as written in the source. YAML libraries disagree on such a
    /// scalar: go-yaml and serde_yaml read most of them as strings, PyYAML
    /// fails, serde_yaml keeps `!x` tags.
    pub fn odd_tag(&self) -> Option<String> {
        let t = self.tag.as_ref()?;
        match &self.kind {
            Kind::Scalar(..) if self.as_str().is_none() => {
                Some(if t.handle == "tag:yaml.org,2002:" {
                    format!("!!{}", t.suffix)
                } else {
                    format!("{}{}", t.handle, t.suffix)
                })
            }
            _ => None,
        }
    }

    /// The text of a scalar, whatever its tag.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether this is a null scalar (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s, ScalarStyle::Plain) => {
                let tag_ok = self
                    .tag
                    .as_ref()
                    .is_none_or(|t| t.handle == "tag:yaml.org,2002:" && t.suffix == "null");
                tag_ok && matches!(s.as_ref(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// Mapping entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[(Node<'a>, Node<'a>)]> {
        match &self.kind {
            Kind::Map(e, _) => Some(e),
            _ => None,
        }
    }

    /// The first entry whose key is the scalar `key`.
    pub fn get(&self, key: &str) -> Option<&(Node<'a>, Node<'a>)> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
    }

    /// The value of the first entry whose key is `key`, as a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(|(_, v)| v.as_str())
    }
}

/// A small, fast, non-cryptographic hasher (the rustc "Fx" mix): the
/// fingerprints only need to tell an accidental change apart.
#[derive(Clone, Copy, Default)]
pub struct Fx(pub(super) u64);

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl Fx {
    pub(super) fn mix(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(FX_K);
    }
}

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.mix(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.mix(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }

    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
