//! Running inside the tools that render manifests: as a KRM function (a
//! `ResourceList` on standard input, options in its `functionConfig`,
//! `results` in the output, as the KRM Functions Specification says) and
//! as a kustomize legacy exec plugin (`ReloadStamp`, its config in a file).
//!
//! Options are the long command-line options in camelCase (`key`, `value`,
//! `at`, `format`, `configHash`, `strict`, `perSource`, `rules`, `kind`, `name`,
//! `namespace`, `selector`),
//! as a ConfigMap's `data` or as top-level fields of a
//! `reload-stamp/v1alpha1` `ReloadStamp`. They become command-line
//! arguments, so they are checked exactly as flags are.

use crate::document::{parse_all, Kind, Mode, Node, Regions};
use crate::error::Error;

/// The kind of the typed config, and (with the group below) the name
/// kustomize gives the exec plugin's file.
pub const CONFIG_KIND: &str = "ReloadStamp";
/// The API version of the typed config.
pub const CONFIG_API_VERSION: &str = "reload-stamp/v1alpha1";

/// Config fields and the flags they become; the last says whether the
/// field may hold a list (several flags).
const FIELDS: [(&str, &str, bool); 12] = [
    ("key", "--key", false),
    ("value", "--value", false),
    ("at", "--at", false),
    ("format", "--format", false),
    ("configHash", "--config-hash", false),
    ("strict", "--strict", false),
    ("perSource", "--per-source", false),
    ("rules", "--rules", false),
    ("kind", "--kind", true),
    ("name", "--name", true),
    ("namespace", "--namespace", true),
    ("selector", "--selector", false),
];

/// The fields of [`FIELDS`] that are switches: `true` or `false`.
const SWITCHES: [&str; 3] = ["configHash", "strict", "perSource"];

/// Whether the stream `bytes` is a KRM `ResourceList`: the `kind` and
/// `apiVersion` of its first document. Only that document is read (its end
/// found by a line scan, then checked as UTF-8 and parsed for its spine), so
/// the check costs nothing on the stream piped through behind it, however
/// big, and a stream is never parsed twice to tell what it is.
pub fn is_resource_list(bytes: &[u8]) -> bool {
    for region in Regions::new(bytes) {
        let part = &bytes[region];
        // Cheap first: most documents never name it.
        if memchr::memmem::find(part, b"ResourceList").is_none() {
            if has_content(part) {
                return false;
            }
            continue;
        }
        let Ok(text) = std::str::from_utf8(part) else {
            return false;
        };
        let Ok(docs) = parse_all(text, Mode::Spine) else {
            return false;
        };
        if let Some(r) = docs.iter().find_map(|d| d.root.as_ref()) {
            return r.get_str("kind") == Some("ResourceList")
                && r.get_str("apiVersion")
                    .is_some_and(|v| v.starts_with("config.kubernetes.io/"));
        }
    }
    false
}

/// Whether a region holds a document's content: a line other than blanks,
/// comments, directives and document markers. A region of only those (an
/// empty document) is skipped when looking for the first document.
fn has_content(part: &[u8]) -> bool {
    part.split(|&c| c == b'\n').any(|line| {
        let t = line.trim_ascii();
        !(t.is_empty()
            || t[0] == b'#'
            || line[0] == b'%'
            || t == b"---"
            || t == b"..."
            || t.starts_with(b"--- ") && t[4..].trim_ascii_start().starts_with(b"#"))
    })
}

/// The arguments a `functionConfig` (of the ResourceList `text`) stands
/// for; none when it has none.
pub fn function_config_args(text: &str) -> Result<Vec<String>, Error> {
    let docs = parse_all(text, Mode::Full)?;
    let Some(root) = docs.iter().find_map(|d| d.root.as_ref()) else {
        return Ok(Vec::new());
    };
    match root.get("functionConfig").map(|(_, v)| v) {
        None => Ok(Vec::new()),
        Some(c) if c.is_null() => Ok(Vec::new()),
        Some(c) => config_args(c),
    }
}

/// The arguments of a plugin config file (the typed `ReloadStamp`).
pub fn plugin_config_args(text: &str) -> Result<Vec<String>, Error> {
    let docs = parse_all(text, Mode::Full)?;
    match docs.iter().find_map(|d| d.root.as_ref()) {
        Some(c) => config_args(c),
        None => Ok(Vec::new()),
    }
}

/// A ConfigMap's `data`, or a typed config's top-level fields, as
/// arguments. Unknown fields are an error, so a typo is not ignored.
fn config_args(c: &Node<'_>) -> Result<Vec<String>, Error> {
    let kind = c.get_str("kind").unwrap_or("");
    let (fields, from_configmap) = match kind {
        "ConfigMap" => match c.get("data").map(|(_, v)| v) {
            Some(d) if !d.is_null() => (d, true),
            _ => return Ok(Vec::new()),
        },
        CONFIG_KIND => (c, false),
        other => {
            return Err(Error::usage(format!(
                "functionConfig: a ConfigMap or a {CONFIG_API_VERSION} {CONFIG_KIND} is expected, not '{other}'"
            )))
        }
    };
    let Some(entries) = fields.entries() else {
        return Err(Error::usage(
            "functionConfig: the options must be a mapping".to_string(),
        ));
    };
    let mut args = Vec::new();
    for (k, v) in entries {
        let Some(name) = k.scalar_text() else {
            return Err(Error::usage(
                "functionConfig: a key that is not a string".to_string(),
            ));
        };
        if !from_configmap && matches!(name, "apiVersion" | "kind" | "metadata") {
            continue;
        }
        let Some(&(_, flag, list)) = FIELDS.iter().find(|(f, _, _)| *f == name) else {
            let known: Vec<&str> = FIELDS.iter().map(|(f, _, _)| *f).collect();
            return Err(Error::usage(format!(
                "functionConfig: unknown option '{name}' (known: {})",
                known.join(", ")
            )));
        };
        let values = field_values(name, v, list, from_configmap)?;
        if SWITCHES.contains(&name) {
            match values.first().map(String::as_str) {
                Some("true") => args.push(flag.to_string()),
                Some("false") => {}
                _ => {
                    return Err(Error::usage(format!(
                        "functionConfig: '{name}' must be true or false"
                    )))
                }
            }
            continue;
        }
        // `--flag=value`: a value may start with `-`.
        args.extend(values.into_iter().map(|v| format!("{flag}={v}")));
    }
    Ok(args)
}

/// The values of the option `name`: one string, or with `list` a list of
/// strings (in a ConfigMap, a comma-separated string).
fn field_values(
    name: &str,
    v: &Node<'_>,
    list: bool,
    from_configmap: bool,
) -> Result<Vec<String>, Error> {
    if let (Kind::Seq(items, _), true) = (&v.kind, list) {
        return items
            .iter()
            .map(|i| i.scalar_text().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                Error::usage(format!(
                    "functionConfig: '{name}' must be a list of strings"
                ))
            });
    }
    let Some(s) = v.scalar_text() else {
        return Err(Error::usage(format!(
            "functionConfig: '{name}' must be a string"
        )));
    };
    // A ConfigMap holds a list as a comma-separated string.
    Ok(if list && from_configmap {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        vec![s.to_string()]
    })
}

/// One entry of a ResourceList's `results`.
pub struct Finding {
    pub message: String,
    /// `error`, `warning` or `info`.
    pub severity: &'static str,
    /// The item it is about, when it is about one.
    pub item: Option<Item>,
}

/// An item of a ResourceList, as a result names it: its `resourceRef`, and
/// the `file` kustomize and kpt read it from (the item's
/// `config.kubernetes.io/path` and `index` annotations, or their
/// `internal.` forms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub path: Option<String>,
    pub index: Option<u64>,
}

/// The items of the ResourceList `text` with the byte range each spans.
pub fn items(text: &str) -> Vec<(std::ops::Range<usize>, Item)> {
    let Ok(docs) = parse_all(text, Mode::Full) else {
        return Vec::new();
    };
    let Some(Kind::Seq(items, _)) = docs
        .iter()
        .find_map(|d| d.root.as_ref())
        .and_then(|r| r.get("items"))
        .map(|(_, v)| &v.kind)
    else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| {
            let meta = i.get("metadata").map(|(_, m)| m);
            let get =
                |n: Option<&Node<'_>>, k: &str| n.and_then(|n| n.get_str(k)).map(str::to_string);
            let notes = meta.and_then(|m| m.get("annotations")).map(|(_, a)| a);
            let note = |k: &str| {
                get(notes, &format!("config.kubernetes.io/{k}"))
                    .or_else(|| get(notes, &format!("internal.config.kubernetes.io/{k}")))
            };
            let item = Item {
                api_version: get(Some(i), "apiVersion"),
                kind: get(Some(i), "kind"),
                name: get(meta, "name"),
                namespace: get(meta, "namespace"),
                path: note("path"),
                index: note("index").and_then(|x| x.parse().ok()),
            };
            (i.start..i.end, item)
        })
        .collect()
}

/// `text` (a ResourceList) with `results` added, as new lines only.
/// `None` when the list is not in block style (the results then go to
/// standard error only).
pub fn with_results(text: &str, results: &[Finding]) -> Option<String> {
    if results.is_empty() {
        return Some(text.to_string());
    }
    let mut items = String::new();
    fn field(items: &mut String, indent: &str, k: &str, v: &str) {
        items.push_str(&format!("{indent}{k}: "));
        crate::text::double_quote(v, items);
        items.push('\n');
    }
    for r in results {
        field(&mut items, "- ", "message", &r.message);
        items.push_str(&format!("  severity: {}\n", r.severity));
        let Some(i) = &r.item else { continue };
        items.push_str("  resourceRef:\n");
        let refs = [
            ("apiVersion", &i.api_version),
            ("kind", &i.kind),
            ("name", &i.name),
            ("namespace", &i.namespace),
        ];
        for (k, v) in refs {
            if let Some(v) = v {
                field(&mut items, "    ", k, v);
            }
        }
        if let Some(p) = &i.path {
            items.push_str("  file:\n");
            field(&mut items, "    ", "path", p);
            if let Some(n) = i.index {
                items.push_str(&format!("    index: {n}\n"));
            }
        }
    }
    crate::listedit::append_items(text, "results", &items).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: &str) -> Result<Vec<String>, Error> {
        let list = format!("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n{config}");
        function_config_args(&list)
    }

    #[test]
    fn a_resource_list_is_told_by_its_first_document_alone() {
        const LIST: &[u8] = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n";
        // What follows the first document is never read: not UTF-8 and not
        // YAML, it would make any check of the whole stream say no.
        let junk: &[u8] = b"---\n\xff\xfe: [unclosed\n";
        let cases: &[(&[&[u8]], bool)] = &[
            (&[LIST], true),
            (&[LIST, junk], true),
            (&[b"# a comment\n---\n", LIST, junk], true),
            (&[b"---\n...\n", LIST], true),
            (&[b"--- # empty\n", b"---\n", LIST], true),
            (
                &[b"{apiVersion: config.kubernetes.io/v1, kind: ResourceList}\n"],
                true,
            ),
            (
                &[
                    b"apiVersion: v1\nkind: ConfigMap\ndata: {a: ResourceList}\n---\n",
                    LIST,
                ],
                false,
            ),
            (&[b"kind: Deployment\n---\n", LIST], false),
            (&[b"kind: ResourceList\napiVersion: v1\n"], false),
            (&[b"kind: ResourceList\napiVersion: [\n"], false),
            (&[b"\xffkind: ResourceList\n"], false),
            (&[b""], false),
        ];
        for (parts, want) in cases {
            let stream = parts.concat();
            assert_eq!(
                is_resource_list(&stream),
                *want,
                "{}",
                String::from_utf8_lossy(&stream)
            );
        }
    }

    #[test]
    fn options_from_either_config_form() {
        let cases: &[(&str, &[&str])] = &[
            (
                "  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n  data:\n    key: example.com/rev\n    value: \"42\"\n    kind: Deployment, CronJob\n",
                &["--key=example.com/rev", "--value=42", "--kind=Deployment", "--kind=CronJob"],
            ),
            (
                "  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  metadata: {name: c}\n  configHash: true\n  namespace: [prod, staging]\n  selector: app=web\n",
                &["--config-hash", "--namespace=prod", "--namespace=staging", "--selector=app=web"],
            ),
            ("  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n", &[]),
        ];
        for (config, want) in cases {
            assert_eq!(args(config).unwrap(), *want, "{config}");
        }
        for bad in [
            "  apiVersion: v1\n  kind: ConfigMap\n  data:\n    vaule: x\n",
            "  apiVersion: v1\n  kind: Secret\n",
            "  apiVersion: reload-stamp/v1alpha1\n  kind: ReloadStamp\n  configHash: yes-please\n",
        ] {
            assert!(args(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn results_are_added_as_lines() {
        let r = [Finding {
            message: "a \"b\"".to_string(),
            severity: "warning",
            item: None,
        }];
        let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\n";
        assert_eq!(
            with_results(list, &r).unwrap(),
            format!("{list}results:\n- message: \"a \\\"b\\\"\"\n  severity: warning\n")
        );
        let with = format!("{list}results:\n  - message: earlier\n    severity: info\n");
        assert_eq!(
            with_results(&with, &r).unwrap(),
            format!("{with}  - message: \"a \\\"b\\\"\"\n    severity: warning\n")
        );
        assert!(with_results("{\"kind\": \"ResourceList\", \"items\": []}\n", &r).is_none());
    }

    #[test]
    fn a_result_names_its_item() {
        let list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n    namespace: n\n    annotations:\n      config.kubernetes.io/path: 'x/a.yaml'\n      config.kubernetes.io/index: '2'\n- kind: Secret\n  metadata: {name: b}\n";
        let items = items(list);
        assert_eq!(items.len(), 2);
        let (span, a) = &items[0];
        assert!(list[span.clone()].starts_with("apiVersion: v1"));
        assert_eq!(
            (
                a.kind.as_deref(),
                a.namespace.as_deref(),
                a.path.as_deref(),
                a.index
            ),
            (Some("ConfigMap"), Some("n"), Some("x/a.yaml"), Some(2))
        );
        let r = [Finding {
            message: "m".to_string(),
            severity: "error",
            item: Some(items[1].1.clone()),
        }];
        assert_eq!(
            with_results(list, &r).unwrap(),
            format!("{list}results:\n- message: \"m\"\n  severity: error\n  resourceRef:\n    kind: \"Secret\"\n    name: \"b\"\n")
        );
    }
}
