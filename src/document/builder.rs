//! Builds a document's tree from the parser's events, as far as the mode
//! asks: the edit's paths, everything, or nothing (syntax only).

use std::borrow::Cow;

use saphyr_parser::{Event, ScalarStyle, ScanError, Span, Tag};

use super::node::{Fx, Kind, Mode, Node, Style};
use super::spans::{block_scalar_end, properties_end, quoted_end, skip_properties};
use super::MAX_DEPTH;
use crate::error::{Error, ErrorKind};
use crate::text::Offsets;

pub(super) fn scan_error(off: &Offsets<'_>, e: &ScanError) -> Error {
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
        // KEDA's ScaledJob: `.spec.jobTargetRef.template` (select::template_path).
        (Role::Spec, Some("jobTargetRef")) => Some(Role::Spec),
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

/// Builds one document's tree at a time from the events of a stream.
pub(super) struct Builder<'a, 'o> {
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
    /// Whether skipped collections are hashed. A tree that is only planned
    /// on needs no hashes (see [`super::parse_stream_planned`]).
    hash: bool,
}

impl<'a, 'o> Builder<'a, 'o> {
    pub(super) fn new(text: &'a str, off: &'o Offsets<'a>) -> Self {
        Builder {
            hash: true,
            text,
            off,
            mode: Mode::Validate,
            stack: Vec::new(),
            root: None,
            prev: 0,
            aliased: Vec::new(),
            skip: None,
        }
    }

    /// Starts a document built as `mode` asks, its skipped collections
    /// hashed or not (`hash`); `prev` is where its content may start.
    pub(super) fn start(&mut self, mode: Mode, hash: bool, prev: usize) {
        self.mode = mode;
        self.hash = hash;
        self.stack.clear();
        self.root = None;
        self.skip = None;
        self.aliased.clear();
        self.prev = prev;
    }

    /// The document's tree (if it was built), the anchors aliased in it,
    /// and whether its skipped collections were hashed.
    pub(super) fn finish(&mut self) -> (Option<Node<'a>>, Vec<usize>, bool) {
        (
            self.root.take(),
            std::mem::take(&mut self.aliased),
            self.hash,
        )
    }
}

impl<'a> Builder<'a, '_> {
    /// One more event of the current document.
    pub(super) fn event(&mut self, ev: Event<'a>, span: Span) -> Result<(), Error> {
        if self.mode == Mode::Validate {
            // Syntax only: just which anchors are aliased.
            if let Event::Alias(id) = ev {
                self.aliased.push(id);
            }
            return Ok(());
        }
        if self.skip.is_some() {
            self.skip_event(ev, span);
            return Ok(());
        }
        let s = self.off.at(&span.start);
        let e = self.off.at(&span.end);
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                self.scalar(value, style, anchor, tag, s, e)?
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
            Event::MappingEnd | Event::SequenceEnd => self.close(s, e),
            _ => {}
        }
        Ok(())
    }

    /// A scalar event: a leaf node, spanning its text as written.
    fn scalar(
        &mut self,
        value: Cow<'a, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<Cow<'a, Tag>>,
        s: usize,
        e: usize,
    ) -> Result<(), Error> {
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
            tag: tag.map(Box::new),
            kind: Kind::Scalar(value, style),
        });
        Ok(())
    }

    /// The end of a collection: its node, with its end where the text
    /// shows it, goes to its parent.
    fn close(&mut self, s: usize, e: usize) {
        let mut node = match self.stack.pop() {
            Some(Frame::Map { node, .. } | Frame::Seq { node, .. }) => node,
            None => return,
        };
        node.end = match &node.kind {
            Kind::Map(_, Style::Flow) | Kind::Seq(_, Style::Flow) => {
                self.flow_end(s, e, node.start)
            }
            Kind::Map(entries, Style::Block) => entries.last().map_or(node.start, |(_, v)| v.end),
            Kind::Seq(items, Style::Block) => items.last().map_or(node.start, |v| v.end),
            _ => node.end,
        };
        self.push(node);
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
                        kind: Kind::Map(_, Style::Flow),
                        ..
                    },
                    ..
                } | Frame::Seq {
                    node: Node {
                        kind: Kind::Seq(_, Style::Flow),
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
            tag: tag.map(Box::new),
            kind: if is_map {
                Kind::Map(Vec::new(), Style::of(flow))
            } else {
                Kind::Seq(Vec::new(), Style::of(flow))
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

    /// An event inside a skipped collection: hash it (when the tree is
    /// hashed); when the collection closes, push it as an opaque node.
    fn skip_event(&mut self, ev: Event<'a>, span: Span) {
        use std::hash::Hash;
        let map = matches!(ev, Event::MappingStart(..));
        let s = self.off.at(&span.start);
        let e = self.off.at(&span.end);
        let hash = self.hash;
        // Whether a nested collection is in flow style counts only to its hash.
        let opens = matches!(ev, Event::MappingStart(..) | Event::SequenceStart(..));
        let flow = hash && opens && self.flow_bracket(map, s, e).0;
        let Some(k) = self.skip.as_mut() else { return };
        let mix_tag = |h: &mut Fx, tag: Option<Cow<'_, Tag>>| {
            if let Some(t) = tag {
                t.handle.hash(h);
                t.suffix.hash(h);
            }
        };
        match ev {
            Event::Scalar(value, style, _, tag) => {
                if hash {
                    k.hash.mix(1);
                    value.as_ref().hash(&mut k.hash);
                    k.hash.mix(style as u64);
                    mix_tag(&mut k.hash, tag);
                }
                k.last = Last::Scalar(s, e, style);
            }
            Event::Alias(id) => {
                if hash {
                    k.hash.mix(2);
                }
                k.last = Last::End(e.max(s));
                self.aliased.push(id);
            }
            Event::MappingStart(_, tag) | Event::SequenceStart(_, tag) => {
                if hash {
                    k.hash.mix(if map { 10 } else { 11 } + u64::from(flow));
                    mix_tag(&mut k.hash, tag);
                }
                k.depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if hash {
                    k.hash.mix(12);
                }
                k.depth -= 1;
                let closing_flow = matches!(self.text.as_bytes().get(s), Some(b'}' | b']'));
                if closing_flow {
                    k.last = Last::End(s + 1);
                }
                if k.depth == 0 {
                    self.end_skip(s, e);
                }
            }
            _ => {}
        }
    }

    /// The skipped collection closed at `s..e`: it goes to its parent as
    /// one opaque node, its hash standing for its content.
    fn end_skip(&mut self, s: usize, e: usize) {
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
            tag: k.tag.map(Box::new),
            kind: Kind::Opaque {
                hash: k.hash.0,
                map: k.map,
                style: Style::of(k.flow),
            },
        });
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
