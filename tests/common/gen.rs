//! A generator of workload manifests in every style the tool must handle,
//! driven by a stream of choices (from proptest or from the fuzzer), so
//! that the same generator serves both.

/// Where the generator takes its decisions from.
pub trait Choices {
    /// A number in `0..n` (`n > 0`).
    fn pick(&mut self, n: u32) -> u32;

    fn flip(&mut self) -> bool {
        self.pick(2) == 1
    }
}

/// Choices from a fixed list of numbers, cycled.
pub struct Cycle<'a> {
    pub nums: &'a [u32],
    pub i: usize,
}

impl Choices for Cycle<'_> {
    fn pick(&mut self, n: u32) -> u32 {
        if self.nums.is_empty() {
            return 0;
        }
        let v = self.nums[self.i % self.nums.len()];
        self.i += 1;
        v % n
    }
}

const KINDS: [&str; 4] = ["Deployment", "StatefulSet", "DaemonSet", "ConfigMap"];

fn comment(c: &mut dyn Choices) -> &'static str {
    match c.pick(6) {
        0 => "   # note",
        1 => " #x",
        _ => "",
    }
}

/// A block mapping key as written: plain usually, else quoted, tagged
/// `!!str`, or with a space before the colon (the caller adds the colon).
fn key(c: &mut dyn Choices, k: &str) -> String {
    match c.pick(10) {
        0 => format!("\"{k}\""),
        1 => format!("'{k}'"),
        2 => format!("!!str {k}"),
        3 => format!("{k} "),
        _ => k.to_string(),
    }
}

/// Nothing usually, else a blank line or a comment line at column 0 or at
/// `indent`: lines YAML ignores between entries.
fn filler(c: &mut dyn Choices, indent: &str) -> String {
    match c.pick(8) {
        0 => "\n".to_string(),
        1 => "# column-0 comment\n".to_string(),
        2 => format!("{indent}# indented comment\n"),
        _ => String::new(),
    }
}

/// One document in block style, sometimes as the item of a `kind: List`.
fn block_doc(c: &mut dyn Choices, name: usize) -> String {
    let doc = block_object(c, name);
    if c.pick(6) != 0 {
        return doc;
    }
    // The object becomes a `- ` item, indented by two.
    let mut s = String::from("apiVersion: v1\nkind: List\nitems:\n");
    for (i, line) in doc.split_inclusive('\n').enumerate() {
        match (i, line) {
            (0, _) => s.push_str("- "),
            (_, "\n") => {}
            _ => s.push_str("  "),
        }
        s.push_str(line);
    }
    s
}

/// One object in block style.
fn block_object(c: &mut dyn Choices, name: usize) -> String {
    let step = [2usize, 4, 3][c.pick(3) as usize];
    let seq_indent = c.flip();
    let ind = |n: usize| " ".repeat(n * step);
    let kind = KINDS[c.pick(4) as usize];
    let api = if kind == "ConfigMap" {
        "v1"
    } else {
        ["apps/v1", "extensions/v1beta1"][c.pick(2) as usize]
    };
    let mut s = String::new();
    if c.pick(4) == 0 {
        s.push_str("# leading comment\n");
    }
    s.push_str(&format!(
        "apiVersion: {api}\nkind: {kind}{}\nmetadata:\n{}name: w{name}\n",
        comment(c),
        ind(1)
    ));
    s.push_str(&format!("{}:\n", key(c, "spec")));
    if c.pick(8) == 0 {
        s.push_str(&format!("{}replicas: 2\n", ind(1)));
        return s;
    }
    // Labels shared through an anchor, as many charts write them.
    let shared_labels = c.pick(4) == 0;
    if shared_labels {
        s.push_str(&format!(
            "{}selector:\n{}matchLabels: &labels\n{}app: w{name}\n",
            ind(1),
            ind(2),
            ind(3)
        ));
    }
    s.push_str(&filler(c, &ind(1)));
    s.push_str(&format!(
        "{}{}:{}\n",
        ind(1),
        key(c, "template"),
        comment(c)
    ));
    if c.pick(5) == 0 {
        s.push_str(&format!("{}# the pod\n", ind(2)));
    }
    let meta = key(c, "metadata");
    // An anchor nothing refers to does not stop the edit.
    let meta_anchor = if c.pick(6) == 0 { " &pod" } else { "" };
    match c.pick(6) {
        0 => {}
        1 => s.push_str(&format!("{}{meta}:{}\n", ind(2), comment(c))),
        2 => s.push_str(&format!(
            "{}{meta}: {}\n",
            ind(2),
            ["~", "null", "{}"][c.pick(3) as usize]
        )),
        _ => {
            s.push_str(&format!("{}{meta}:{meta_anchor}\n", ind(2)));
            if shared_labels {
                s.push_str(&format!("{}labels: *labels\n", ind(3)));
            } else if c.flip() {
                s.push_str(&format!(
                    "{}labels:\n{}app: w{name}{}\n",
                    ind(3),
                    ind(4),
                    comment(c)
                ));
            }
            s.push_str(&filler(c, &ind(3)));
            let ann = key(c, "annotations");
            match c.pick(11) {
                0 => {}
                1 => s.push_str(&format!("{}{ann}:\n", ind(3))),
                2 => s.push_str(&format!("{}{ann}: ~{}\n", ind(3), comment(c))),
                3 => s.push_str(&format!("{}{ann}: {{}}\n", ind(3))),
                4 => s.push_str(&format!(
                    "{}{ann}: {{a: b, \"c\": 'd'}}{}\n",
                    ind(3),
                    comment(c)
                )),
                5 => s.push_str(&format!(
                    "{}{ann}:\n{}note: |\n{}line one\n{}line two\n\n",
                    ind(3),
                    ind(4),
                    ind(5),
                    ind(5)
                )),
                6 => {
                    let folded = format!(">-\n{}folded", ind(5));
                    let value = [
                        "20171217190756",
                        "'old'",
                        "\"old\"",
                        "",
                        "\"20261124093000\"",
                        &folded,
                    ][c.pick(6) as usize];
                    let note = if value == folded { "" } else { comment(c) };
                    s.push_str(&format!(
                        "{}{ann}:\n{}{}: {value}{note}\n",
                        ind(3),
                        ind(4),
                        key(c, "reloaded-at")
                    ))
                }
                // What kubectl reads and YAML 1.2 refuses: a flow mapping
                // closed at its key's column (or column 0), a quoted value
                // continued at its key's column (or column 0).
                9 => s.push_str(&format!(
                    "{}{ann}: {{\n{}a: b,\n{}\"c\": 'd'\n{}}}{}\n",
                    ind(3),
                    ind(4),
                    ["", &ind(4)][c.pick(2) as usize],
                    [ind(3), String::new()][c.pick(2) as usize],
                    comment(c)
                )),
                10 => s.push_str(&format!(
                    "{}{ann}:\n{}k0: \"line one\n{}line two\"{}\n",
                    ind(3),
                    ind(4),
                    [ind(4), String::new()][c.pick(2) as usize],
                    comment(c)
                )),
                _ => {
                    s.push_str(&format!("{}{ann}:\n", ind(3)));
                    for i in 0..=c.pick(3) {
                        s.push_str(&format!("{}k{i}: \"v{i}\"{}\n", ind(4), comment(c)));
                    }
                    if c.pick(4) == 0 {
                        s.push_str(&format!("{}# trailing\n\n", ind(4)));
                    }
                }
            }
            if c.pick(3) == 0 {
                s.push_str(&format!("{}labels2: {{x: y}}\n", ind(3)));
            }
        }
    }
    s.push_str(&format!("{}spec:\n", ind(2)));
    let dash = if seq_indent {
        format!("{}- ", ind(4))
    } else {
        format!("{}- ", ind(3))
    };
    let cont = " ".repeat(dash.len());
    s.push_str(&format!(
        "{}containers:\n{dash}name: c\n{cont}image: nginx\n",
        ind(3)
    ));
    if c.pick(4) == 0 {
        // A flow sequence closed at its key's column, as kubectl reads it.
        s.push_str(&format!(
            "{cont}args: [\n{cont}  \"-a\", \"b\"\n{cont}]{}\n",
            comment(c)
        ));
    }
    s
}

/// One document in JSON (pretty or minified) or YAML flow style.
fn flow_doc(c: &mut dyn Choices, name: usize) -> String {
    let json = c.flip();
    let q = |k: &str| {
        if json {
            format!("\"{k}\"")
        } else {
            k.to_string()
        }
    };
    let kind = KINDS[c.pick(3) as usize];
    let meta = match c.pick(5) {
        0 => String::new(),
        1 => format!("{}: {{}}, ", q("metadata")),
        2 => format!("{}: null, ", q("metadata")),
        3 => format!("{}: {{{}: {{}}}}, ", q("metadata"), q("annotations")),
        _ => format!(
            "{}: {{{}: {{{}: \"w\"}}, {}: {{{}: \"b\"}}}}, ",
            q("metadata"),
            q("labels"),
            q("app"),
            q("annotations"),
            q("a")
        ),
    };
    let doc = format!(
        "{{{}: \"apps/v1\", {}: \"{kind}\", {}: {{{}: \"f{name}\"}}, {}: {{{}: {{{meta}{}: {{{}: []}}}}}}}}",
        q("apiVersion"),
        q("kind"),
        q("metadata"),
        q("name"),
        q("spec"),
        q("template"),
        q("spec"),
        q("containers")
    );
    match c.pick(3) {
        // Minified is JSON only: YAML needs a space after a plain key's colon.
        0 if json => doc.replace(", ", ",").replace(": ", ":"),
        1 => doc.replace(", ", ",\n  ").replace("{", "{\n  "),
        _ => doc,
    }
    .replace("{\n  }", "{}")
        + "\n"
}

/// A stream of one to three documents with stream-level variations.
pub fn manifest(c: &mut dyn Choices) -> String {
    let n = 1 + c.pick(3) as usize;
    let mut docs = Vec::new();
    for i in 0..n {
        docs.push(if c.pick(4) == 0 {
            flow_doc(c, i)
        } else {
            block_doc(c, i)
        });
    }
    let mut s = String::new();
    match c.pick(8) {
        0 | 1 => s.push_str("---\n"),
        2 => s.push_str("%YAML 1.2\n---\n"),
        _ => {}
    }
    s.push_str(&docs.join(if c.flip() { "---\n" } else { "...\n---\n" }));
    if c.pick(4) == 0 {
        s = s.replace('\n', "\r\n");
    }
    if c.pick(5) == 0 {
        s.insert(0, '\u{feff}');
    }
    if c.pick(4) == 0 {
        while s.ends_with('\n') || s.ends_with('\r') {
            s.pop();
        }
    }
    s
}
