//! Splits a YAML stream into documents and builds, for the documents that
//! may hold a workload, a tree whose every node knows its byte span in the
//! source. Other documents are parsed (so syntax errors are still found) but
//! no tree is built for them.

use std::borrow::Cow;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use crate::error::{Error, ErrorKind};
use crate::text::{self, Offsets};

/// Deeper nesting than this in a candidate document is refused: no
/// Kubernetes object comes close, and it keeps every tree walk shallow.
pub const MAX_DEPTH: usize = 1000;

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
    pub tag: Option<Cow<'a, Tag>>,
    pub kind: Kind<'a>,
}

/// What a node holds.
#[derive(Debug)]
pub enum Kind<'a> {
    Scalar(Cow<'a, str>, ScalarStyle),
    /// Entries in source order; `true` for flow style.
    Map(Vec<(Node<'a>, Node<'a>)>, bool),
    /// Items in source order; `true` for flow style.
    Seq(Vec<Node<'a>>, bool),
    /// The anchor id this alias refers to.
    Alias(usize),
    /// A collection off the paths the edit needs, not built: a hash of its
    /// content (anchors ignored) stands for it.
    Opaque {
        hash: u64,
        map: bool,
        flow: bool,
    },
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
    /// The scalar's text, if this is a scalar.
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

/// One document of a stream.
#[derive(Debug)]
pub struct Document<'a> {
    /// Bytes owned by this document: from the end of the previous one
    /// (so leading comments and directives are included) to its end
    /// (past its `...` if it has one). Parsed alone, it is this document.
    pub region: Range<usize>,
    /// The tree, when the document was a candidate.
    pub root: Option<Node<'a>>,
    /// Anchor ids that some alias in this document refers to.
    pub aliased: Vec<usize>,
}

/// Parses the stream `text` (no BOM), calling `each` for every document in
/// order, with as much of its tree as `mode` asks.
pub fn parse_stream<'a>(
    text: &'a str,
    mode: Mode,
    each: impl FnMut(Document<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    parse_stream_with(text, &|_| mode, each)
}

/// [`parse_stream`], with the mode of each document chosen by `mode_at`
/// from the offset where the document starts.
pub fn parse_stream_with<'a>(
    text: &'a str,
    mode_at: &dyn Fn(usize) -> Mode,
    mut each: impl FnMut(Document<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    let mode = Mode::Validate;
    let off = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut b = Builder {
        text,
        off: &off,
        mode,
        stack: Vec::new(),
        root: None,
        prev: 0,
        aliased: Vec::new(),
        skip: None,
    };
    let mut region_start = 0;
    loop {
        let (ev, span) = match parser.next_event() {
            None => break,
            Some(Err(e)) => return Err(scan_error(&off, &e)),
            Some(Ok(x)) => x,
        };
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(explicit) => {
                b.mode = mode_at(off.at(&span.start));
                b.stack.clear();
                b.root = None;
                b.skip = None;
                b.aliased.clear();
                b.prev = off.at(if explicit { &span.end } else { &span.start });
            }
            Event::DocumentEnd => {
                let s = off.at(&span.start);
                let end = if text[s..].starts_with("...") {
                    off.at(&span.end)
                } else {
                    s
                };
                let end = end.max(region_start);
                let doc = Document {
                    region: region_start..end,
                    root: b.root.take(),
                    aliased: std::mem::take(&mut b.aliased),
                };
                region_start = end;
                each(doc)?;
            }
            Event::Alias(id) if b.mode == Mode::Validate => b.aliased.push(id),
            _ if b.mode == Mode::Validate => {}
            ev => b.event(ev, span)?,
        }
    }
    Ok(())
}

/// Splits a stream into regions of whole documents by a line scan, without
/// parsing: a region ends before a `---` line that follows content, or
/// after a `...` line. YAML forbids document markers inside any node, so for
/// valid YAML, parsing each region alone gives exactly the stream's
/// documents; invalid YAML still fails when a region is parsed.
pub fn split_regions(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut regions = Vec::new();
    let (mut start, mut pos, mut content) = (0, 0, false);
    while pos < b.len() {
        let end = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |i| pos + i + 1);
        let line = &b[pos..end];
        if is_marker(line, b"---") {
            if content {
                regions.push(start..pos);
                start = pos;
            }
            content = true;
        } else if is_marker(line, b"...") {
            regions.push(start..end);
            start = end;
            content = false;
        } else if !content {
            let t = line.trim_ascii_start();
            content = !(t.is_empty() || t[0] == b'#' || (line[0] == b'%'));
        }
        pos = end;
    }
    if start < b.len() {
        regions.push(start..b.len());
    }
    regions
}

fn is_marker(line: &[u8], m: &[u8]) -> bool {
    line.starts_with(m) && line.get(3).is_none_or(|c| c.is_ascii_whitespace())
}

/// Parses `text` as a stream and returns its documents.
pub fn parse_all(text: &str, mode: Mode) -> Result<Vec<Document<'_>>, Error> {
    let mut docs = Vec::new();
    parse_stream(text, mode, |d| {
        docs.push(d);
        Ok(())
    })?;
    Ok(docs)
}

fn scan_error(off: &Offsets<'_>, e: &ScanError) -> Error {
    Error::at(ErrorKind::Syntax, off.at(e.marker()), e.info().to_string())
}

/// Which paths of a document the edit needs (see [`Mode::Spine`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document root or a `*List` item.
    Object,
    Items,
    Spec,
    JobTemplate,
    Template,
    /// Everything below is built.
    All,
}

/// The role of a child of a `parent` node reached through `key` (`None`
/// for a sequence item); `None` when the child is not needed.
fn child_role(parent: Role, key: Option<&str>) -> Option<Role> {
    match (parent, key) {
        (Role::All, _) => Some(Role::All),
        (Role::Object, Some("metadata")) | (Role::Template, Some("metadata")) => Some(Role::All),
        (Role::Object, Some("spec")) | (Role::JobTemplate, Some("spec")) => Some(Role::Spec),
        (Role::Object, Some("items")) => Some(Role::Items),
        (Role::Items, None) => Some(Role::Object),
        (Role::Spec, Some("template")) => Some(Role::Template),
        (Role::Spec, Some("jobTemplate")) => Some(Role::JobTemplate),
        _ => None,
    }
}

enum Frame<'a> {
    Map {
        node: Node<'a>,
        key: Option<Node<'a>>,
        role: Role,
    },
    Seq {
        node: Node<'a>,
        role: Role,
    },
}

/// A collection being skipped (hashed, not built).
struct Skip<'a> {
    start: usize,
    anchor: usize,
    tag: Option<Cow<'a, Tag>>,
    map: bool,
    flow: bool,
    depth: usize,
    hash: Fx,
    /// The last thing inside, to find a block collection's end.
    last: Last,
}

#[derive(Clone, Copy)]
enum Last {
    /// A known end offset.
    End(usize),
    /// A scalar's span and style: its end is worked out only if needed.
    Scalar(usize, usize, ScalarStyle),
}

/// A small, fast, non-cryptographic hasher (the rustc "Fx" mix): the
/// fingerprints only need to tell an accidental change apart.
#[derive(Clone, Copy, Default)]
pub struct Fx(u64);

const FX_K: u64 = 0x517c_c1b7_2722_0a95;

impl Fx {
    fn mix(&mut self, w: u64) {
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

struct Builder<'a, 'o> {
    text: &'a str,
    off: &'o Offsets<'a>,
    mode: Mode,
    stack: Vec<Frame<'a>>,
    root: Option<Node<'a>>,
    /// End of the last thing consumed: where to look for a block scalar's
    /// indicator.
    prev: usize,
    aliased: Vec<usize>,
    skip: Option<Skip<'a>>,
}

impl<'a> Builder<'a, '_> {
    fn event(&mut self, ev: Event<'a>, span: Span) -> Result<(), Error> {
        if self.skip.is_some() {
            self.skip_event(ev, span);
            return Ok(());
        }
        let s = self.off.at(&span.start);
        let e = self.off.at(&span.end);
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 {
                    self.portable_name(s, b'&')?;
                }
                // `?x` in a flow collection is an explicit key to the parser
                // (as to kubectl's go-yaml); `:x` is a plain scalar to YAML
                // 1.2 but an indicator to go-yaml, which then reads another
                // document or none.
                if style == ScalarStyle::Plain && value.starts_with(':') && self.in_flow() {
                    return Err(Error::at(
                        ErrorKind::Refused,
                        s,
                        format!("'{}' in a flow collection: YAML 1.2 reads a plain scalar, YAML 1.1 parsers (libyaml, kubectl's go-yaml) an indicator; quote it", value.chars().take(40).collect::<String>()),
                    ));
                }
                let (start, end) = if style == ScalarStyle::Plain && value.is_empty() {
                    // saphyr places an empty scalar at the next token, which
                    // may be lines away; it holds only its properties, and a
                    // value with none sits right after its key.
                    match (properties_end(self.text, s), self.stack.last()) {
                        (pe, _) if pe > s => (s, pe),
                        (_, Some(Frame::Map { key: Some(k), .. })) => (k.end, k.end),
                        _ => (s, s),
                    }
                } else {
                    self.scalar_span(s, e, style)
                };
                self.push(Node {
                    start,
                    end,
                    anchor,
                    tag,
                    kind: Kind::Scalar(value, style),
                });
            }
            Event::Alias(id) => {
                self.aliased.push(id);
                self.portable_name(s, b'*')?;
                self.push(Node {
                    start: s,
                    end: e.max(s),
                    anchor: 0,
                    tag: None,
                    kind: Kind::Alias(id),
                });
            }
            Event::MappingStart(anchor, tag) => self.open(true, anchor, tag, s, e)?,
            Event::SequenceStart(anchor, tag) => self.open(false, anchor, tag, s, e)?,
            Event::MappingEnd | Event::SequenceEnd => {
                let mut node = match self.stack.pop() {
                    Some(Frame::Map { node, .. } | Frame::Seq { node, .. }) => node,
                    None => return Ok(()),
                };
                node.end = match &node.kind {
                    Kind::Map(_, true) | Kind::Seq(_, true) => self.flow_end(s, e, node.start),
                    Kind::Map(entries, false) => entries.last().map_or(node.start, |(_, v)| v.end),
                    Kind::Seq(items, false) => items.last().map_or(node.start, |v| v.end),
                    _ => node.end,
                };
                self.push(node);
            }
            _ => {}
        }
        Ok(())
    }

    fn scalar_span(&self, s: usize, e: usize, style: ScalarStyle) -> (usize, usize) {
        match style {
            ScalarStyle::Plain => (s, e.max(s)),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let q = skip_properties(self.text, s);
                (s, quoted_end(self.text.as_bytes(), q))
            }
            ScalarStyle::Literal | ScalarStyle::Folded => (
                self.block_scalar_start(s),
                block_scalar_end(self.text, s, e),
            ),
        }
    }

    /// The span of a flow collection's end event runs on over trailing
    /// comments; its start is the bracket.
    fn flow_end(&self, s: usize, e: usize, start: usize) -> usize {
        if matches!(self.text.as_bytes().get(s), Some(b'}' | b']')) {
            s + 1
        } else {
            e.max(start + 1)
        }
    }

    /// Whether a collection whose start event spans `s..e` is in flow style,
    /// and where its bracket is. A block collection's span is empty; a flow
    /// one's covers its properties and bracket, and whitespace after it.
    fn flow_bracket(&self, is_map: bool, s: usize, e: usize) -> (bool, usize) {
        let open = if is_map { b'{' } else { b'[' };
        let p = skip_properties(self.text, s);
        (
            e > s && p < e && self.text.as_bytes().get(p) == Some(&open),
            p,
        )
    }

    /// Whether the node being read sits in a flow collection.
    fn in_flow(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(
                Frame::Map {
                    node: Node {
                        kind: Kind::Map(_, true),
                        ..
                    },
                    ..
                } | Frame::Seq {
                    node: Node {
                        kind: Kind::Seq(_, true),
                        ..
                    },
                    ..
                }
            )
        )
    }

    /// Refuses an anchor (`&`) or alias (`*`) name, found among the
    /// properties from `s`, with characters beyond `[A-Za-z0-9_-]`: YAML 1.2
    /// lets a name run on over `:` and more, YAML 1.1 parsers (libyaml,
    /// kubectl's go-yaml) stop there and so read another document.
    fn portable_name(&self, s: usize, sigil: u8) -> Result<(), Error> {
        let b = self.text.as_bytes();
        let mut i = s;
        while i < b.len() && b[i] != sigil {
            match b[i] {
                b'!' => {
                    while i < b.len() && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => i += 1,
                _ => return Ok(()),
            }
        }
        if i >= b.len() {
            return Ok(());
        }
        let start = i + 1;
        let mut end = start;
        while end < b.len()
            && !b[end].is_ascii_whitespace()
            && !matches!(b[end], b',' | b'[' | b']' | b'{' | b'}')
        {
            end += 1;
        }
        let name = &self.text[start.min(end)..end];
        if name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            return Ok(());
        }
        Err(Error::at(ErrorKind::Refused, i,
            format!(
                "the {} name '{}' has characters that YAML 1.1 parsers (kubectl's among them) read differently; refusing to edit",
                if sigil == b'&' { "anchor" } else { "alias" },
                name
            ),
        ))
    }

    /// The role the next node gets, or `None` to skip it.
    fn next_role(&self) -> Option<Role> {
        if self.mode == Mode::Full {
            return Some(Role::All);
        }
        match self.stack.last() {
            None => Some(Role::Object),
            Some(Frame::Map { key: None, .. }) => None,
            Some(Frame::Map {
                key: Some(k), role, ..
            }) => child_role(*role, k.as_str()),
            Some(Frame::Seq { role, .. }) => child_role(*role, None),
        }
    }

    fn open(
        &mut self,
        is_map: bool,
        anchor: usize,
        tag: Option<Cow<'a, Tag>>,
        s: usize,
        e: usize,
    ) -> Result<(), Error> {
        let (flow, bracket) = self.flow_bracket(is_map, s, e);
        let start = if flow { bracket } else { s };
        let Some(role) = self.next_role() else {
            let mut hash = Fx::default();
            hash.mix(if is_map { 10 } else { 11 } + u64::from(flow));
            self.skip = Some(Skip {
                start,
                anchor,
                tag,
                map: is_map,
                flow,
                depth: 1,
                hash,
                last: Last::End(start),
            });
            return Ok(());
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err(Error::at(
                ErrorKind::Refused,
                s,
                format!("document nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        if anchor != 0 {
            self.portable_name(s, b'&')?;
        }
        let node = Node {
            start,
            end: start,
            anchor,
            tag,
            kind: if is_map {
                Kind::Map(Vec::new(), flow)
            } else {
                Kind::Seq(Vec::new(), flow)
            },
        };
        self.prev = if flow { bracket + 1 } else { s };
        self.stack.push(if is_map {
            Frame::Map {
                node,
                key: None,
                role,
            }
        } else {
            Frame::Seq { node, role }
        });
        Ok(())
    }

    /// An event inside a skipped collection: hash it; when the collection
    /// closes, push it as an opaque node.
    fn skip_event(&mut self, ev: Event<'a>, span: Span) {
        use std::hash::Hash;
        let map = matches!(ev, Event::MappingStart(..));
        let s = self.off.at(&span.start);
        let e = self.off.at(&span.end);
        let opens = matches!(ev, Event::MappingStart(..) | Event::SequenceStart(..));
        let flow = opens && self.flow_bracket(map, s, e).0;
        let Some(k) = self.skip.as_mut() else { return };
        match ev {
            Event::Scalar(value, style, _, tag) => {
                k.hash.mix(1);
                value.as_ref().hash(&mut k.hash);
                k.hash.mix(style as u64);
                if let Some(t) = tag {
                    t.handle.hash(&mut k.hash);
                    t.suffix.hash(&mut k.hash);
                }
                k.last = Last::Scalar(s, e, style);
            }
            Event::Alias(id) => {
                k.hash.mix(2);
                k.last = Last::End(e.max(s));
                self.aliased.push(id);
            }
            Event::MappingStart(_, tag) | Event::SequenceStart(_, tag) => {
                k.hash.mix(if map { 10 } else { 11 } + u64::from(flow));
                if let Some(t) = tag {
                    t.handle.hash(&mut k.hash);
                    t.suffix.hash(&mut k.hash);
                }
                k.depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                k.hash.mix(12);
                k.depth -= 1;
                let closing_flow = matches!(self.text.as_bytes().get(s), Some(b'}' | b']'));
                if closing_flow {
                    k.last = Last::End(s + 1);
                }
                if k.depth == 0 {
                    let Some(k) = self.skip.take() else { return };
                    let end = if k.flow {
                        self.flow_end(s, e, k.start)
                    } else {
                        match k.last {
                            Last::End(x) => x,
                            Last::Scalar(s, e, style) => self.scalar_span(s, e, style).1,
                        }
                    };
                    self.push(Node {
                        start: k.start,
                        end,
                        anchor: k.anchor,
                        tag: k.tag,
                        kind: Kind::Opaque {
                            hash: k.hash.0,
                            map: k.map,
                            flow: k.flow,
                        },
                    });
                }
            }
            _ => {}
        }
    }

    fn push(&mut self, node: Node<'a>) {
        self.prev = self.prev.max(node.end);
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Map { node: map, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if let Kind::Map(entries, _) = &mut map.kind {
                        entries.push((k, node));
                    }
                }
            },
            Some(Frame::Seq { node: seq, .. }) => {
                if let Kind::Seq(items, _) = &mut seq.kind {
                    items.push(node);
                }
            }
        }
    }

    /// The parser places a block scalar at its content; find its properties
    /// or `|`/`>` indicator between the previous token and the content.
    fn block_scalar_start(&self, content: usize) -> usize {
        let b = self.text.as_bytes();
        let mut i = self.prev.min(content);
        let mut props = None;
        while i < content {
            match b[i] {
                b'|' | b'>' => return props.unwrap_or(i),
                b'#' if i == 0 || b[i - 1].is_ascii_whitespace() => {
                    i = memchr::memchr(b'\n', &b[i..content]).map_or(content, |n| i + n);
                }
                b'&' | b'!' => {
                    props.get_or_insert(i);
                    while i < content && !b[i].is_ascii_whitespace() {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        props.unwrap_or(content)
    }
}

/// The end of the anchor and tag tokens (with the blanks between them)
/// that start at `pos`; `pos` itself when none do.
fn properties_end(text: &str, pos: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut end) = (pos, pos);
    while matches!(b.get(i), Some(b'!' | b'&')) {
        while i < b.len()
            && !matches!(
                b[i],
                b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
            )
        {
            i += 1;
        }
        end = i;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
    }
    end
}

/// Skips anchors, tags, whitespace and comments from `pos` to the content.
fn skip_properties(text: &str, mut pos: usize) -> usize {
    let b = text.as_bytes();
    while pos < b.len() {
        match b[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => pos = memchr::memchr(b'\n', &b[pos..]).map_or(b.len(), |n| pos + n),
            b'&' | b'!' => {
                while pos < b.len() && !b[pos].is_ascii_whitespace() {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// One past the closing quote of the quoted scalar opening at `q`.
fn quoted_end(b: &[u8], q: usize) -> usize {
    let Some(&quote) = b.get(q) else {
        return b.len();
    };
    let mut i = q + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if quote == b'"' => i += 2,
            c if c == quote => {
                if quote == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// The parser ends a block scalar after the indentation of the line that
/// follows it; that line's start is the scalar's end.
fn block_scalar_end(text: &str, content: usize, e: usize) -> usize {
    let e = e.max(content);
    if e == text.len() {
        // Blanks that end the text without a newline are the scalar's.
        return e;
    }
    let ls = text::line_start(text, e);
    // Even an empty scalar's content may be placed on that line: the
    // indicator's line is never all blanks up to `e`.
    if text.as_bytes()[ls..e]
        .iter()
        .all(|c| *c == b' ' || *c == b'\t')
    {
        ls
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node<'_> {
        parse_all(text, Mode::Full).unwrap().remove(0).root.unwrap()
    }

    fn slice<'t>(text: &'t str, n: &Node) -> &'t str {
        &text[n.start..n.end]
    }

    #[test]
    fn spans_cover_scalars() {
        let t = "a: &x \"q\\\"w\" # c\nb: 'it''s'  # d\nc: plain words\nd: |\n  lit\n\ne: x\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "&x \"q\\\"w\"");
        assert_eq!(slice(t, &e[1].1), "'it''s'");
        assert_eq!(slice(t, &e[2].1), "plain words");
        assert_eq!(slice(t, &e[3].1), "|\n  lit\n\n");
        assert_eq!(slice(t, &e[4].0), "e");
    }

    #[test]
    fn spans_cover_collections() {
        let t = "a: {b: [1, 2]}   # c\nd:\n  - x\n  - y: z\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "{b: [1, 2]}");
        assert_eq!(slice(t, &e[1].1), "- x\n  - y: z");
        assert!(matches!(e[0].1.kind, Kind::Map(_, true)));
        assert!(matches!(e[1].1.kind, Kind::Seq(_, false)));
    }

    #[test]
    fn non_ascii_offsets_are_bytes() {
        let t = "é: 日本\nk: \"ü\"\n";
        let r = root(t);
        let e = r.entries().unwrap();
        assert_eq!(slice(t, &e[0].1), "日本");
        assert_eq!(slice(t, &e[1].1), "\"ü\"");
    }

    #[test]
    fn regions_tile_the_stream() {
        let t = "# lead\na: 1\n---\nb: 2\n...\n%YAML 1.2\n---\nc: 3\n";
        let docs = parse_all(t, Mode::Full).unwrap();
        let r: Vec<_> = docs.iter().map(|d| &t[d.region.clone()]).collect();
        assert_eq!(
            r,
            [
                "# lead\na: 1\n",
                "---\nb: 2\n...",
                "\n%YAML 1.2\n---\nc: 3\n"
            ]
        );
    }

    #[test]
    fn split_regions_parse_like_the_stream() {
        let cases = [
            "# lead\na: 1\n---\nb: 2\n...\n%YAML 1.2\n---\nc: 3\n",
            "---\na: 1\n--- |\n  text\n---\n...\n# tail\n",
            "a: |\n  x\n---\nb\n...  # end\n--- {c: d}\n",
            "",
            "# only\n",
            "--- >\n folded\n...\n...\n",
        ];
        for t in cases {
            let whole: Vec<_> = parse_all(t, Mode::Full)
                .unwrap()
                .into_iter()
                .map(|d| format!("{:?}", strip(d.root)))
                .collect();
            let mut parts = Vec::new();
            let regions = split_regions(t);
            assert_eq!(
                regions.iter().map(|r| r.len()).sum::<usize>(),
                t.len(),
                "{t:?}"
            );
            for r in regions {
                parts.extend(
                    parse_all(&t[r], Mode::Full)
                        .unwrap()
                        .into_iter()
                        .map(|d| format!("{:?}", strip(d.root))),
                );
            }
            assert_eq!(whole, parts, "{t:?}");
        }
    }

    /// The tree without positions, to compare parses of different texts.
    fn strip(n: Option<Node<'_>>) -> String {
        fn walk(n: &Node<'_>, out: &mut String) {
            match &n.kind {
                Kind::Scalar(s, st) => out.push_str(&format!("{s:?}{st:?} ")),
                Kind::Alias(_) => out.push('*'),
                Kind::Opaque { hash, .. } => out.push_str(&format!("#{hash}")),
                Kind::Seq(items, _) => {
                    out.push('[');
                    items.iter().for_each(|i| walk(i, out));
                    out.push(']');
                }
                Kind::Map(entries, _) => {
                    out.push('{');
                    for (k, v) in entries {
                        walk(k, out);
                        walk(v, out);
                    }
                    out.push('}');
                }
            }
        }
        let mut out = String::new();
        if let Some(n) = n {
            walk(&n, &mut out);
        }
        out
    }

    #[test]
    fn errors_are_located() {
        let text = "a: b\nc: [d\n";
        let e = parse_all(text, Mode::Validate).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Syntax);
        assert!(e.line_col(text).is_some_and(|(line, _)| line >= 2), "{e:?}");
    }

    #[test]
    fn spine_builds_only_what_the_edit_needs() {
        let t = "kind: Deployment\nmetadata: {name: a}\nspec:\n  replicas: 1\n  template:\n    metadata:\n      labels: {a: b}\n    spec:\n      containers:\n      - name: c\n        args: [\"x\"]   # c\n  other: {a: [1]}\nstatus: {x: y}\n";
        let docs = parse_all(t, Mode::Spine).unwrap();
        let r = docs[0].root.as_ref().unwrap();
        let spec = &r.get("spec").unwrap().1;
        let tmpl = &spec.get("template").unwrap().1;
        assert!(matches!(
            tmpl.get("metadata")
                .unwrap()
                .1
                .get("labels")
                .unwrap()
                .1
                .kind,
            Kind::Map(..)
        ));
        let pod = &tmpl.get("spec").unwrap().1;
        assert!(matches!(
            pod.kind,
            Kind::Opaque {
                map: true,
                flow: false,
                ..
            }
        ));
        assert_eq!(
            &t[pod.start..pod.end],
            "containers:\n      - name: c\n        args: [\"x\"]"
        );
        assert!(matches!(
            spec.get("other").unwrap().1.kind,
            Kind::Opaque { flow: true, .. }
        ));
        assert!(matches!(
            r.get("status").unwrap().1.kind,
            Kind::Opaque { .. }
        ));
        let hash = |t: &str| match parse_all(t, Mode::Spine).unwrap()[0]
            .root
            .as_ref()
            .unwrap()
            .get("x")
            .unwrap()
            .1
            .kind
        {
            Kind::Opaque { hash, .. } => hash,
            _ => 0,
        };
        assert_eq!(hash("x: {a: [1, 2]}"), hash("x:   {a: [1,   2]} # c"));
        assert_ne!(hash("x: {a: [1, 2]}"), hash("x: {a: [1, 3]}"));
        assert_ne!(hash("x: {a: [1, 2]}"), hash("x: {a: [1, \"2\"]}"));
    }
}
