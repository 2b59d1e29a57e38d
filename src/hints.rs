//! Names the likely cause of a syntax error where it is recognisable, and
//! says what to do: the parser's own words ("simple key expect ':'") rarely
//! tell a user that the file holds a merge conflict or a Helm template.

use crate::error::{Error, ErrorKind};

/// How to use reload-stamp with Helm, for messages about templates.
pub const HELM_HOWTO: &str = "render it first (`helm template RELEASE CHART | reload-stamp`), \
     or run reload-stamp as Helm's post-renderer (`helm install --post-renderer reload-stamp …`)";

/// Whether `text` holds Go template actions (`{{ … }}`), as Helm chart
/// templates do.
pub fn has_template_actions(text: &str) -> bool {
    text.find("{{")
        .is_some_and(|i| text[i + 2..].contains("}}"))
}

/// Whether `e` is a syntax error in a Go/Helm template: the text is not
/// YAML and holds `{{ … }}` actions.
pub fn is_template(text: &str, e: &Error) -> bool {
    e.kind == ErrorKind::Syntax && has_template_actions(text)
}

/// `e` with its cause named, when `e` is a syntax error whose cause the
/// text shows; otherwise `e` as it is.
pub fn explain(text: &str, e: Error) -> Error {
    if e.kind != ErrorKind::Syntax {
        return e;
    }
    if let Some(marker) = conflict_marker(text) {
        let stopped = e.located(text);
        return Error::at(
            e.kind,
            marker,
            format!(
                "a git merge conflict marker: resolve the conflict, then run again \
                 (the YAML parser stopped at {stopped})"
            ),
        );
    }
    if has_template_actions(text) {
        let msg = format!(
            "a Helm/Go template ({{{{ … }}}} actions), not YAML: {HELM_HOWTO} \
             (the YAML parser stopped here: {})",
            e.msg
        );
        let mut e = e;
        e.msg = msg;
        return e;
    }
    let Some(at) = e.offset() else { return e };
    let at = at.min(text.len());
    let line_start = crate::text::line_start(text, at);
    let line = &text[line_start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let hint = if line
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .any(|b| b == b'\t')
    {
        Some("the line is indented with a tab: indent with spaces")
    } else if looks_like_json(text) && text[line_start..at].trim_end().ends_with(',') {
        Some("JSON allows no trailing or doubled comma: remove the comma before this point")
    } else {
        None
    };
    let mut e = e;
    if let Some(h) = hint {
        e.msg = format!("{}; {h}", e.msg);
    }
    e
}

/// The byte offset of the first git conflict marker line, if any.
fn conflict_marker(text: &str) -> Option<usize> {
    let mut start = 0;
    for l in text.split_inclusive('\n') {
        let t = l.trim_end_matches(['\r', '\n']);
        if ["<<<<<<<", ">>>>>>>", "|||||||"]
            .iter()
            .any(|m| t == *m || t.strip_prefix(m).is_some_and(|r| r.starts_with(' ')))
        {
            return Some(start);
        }
        start += l.len();
    }
    None
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint each syntax error gets, `None` for none.
    #[test]
    fn hints_by_cause() {
        let cases: &[(&str, usize, Option<&str>)] = &[
            (
                "a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> x\n",
                13,
                Some("2:1: a git merge conflict marker"),
            ),
            ("a:\n\tb: 1\n", 4, Some("indented with a tab")),
            ("a:\n  b: 1\n", 4, None),
            ("[1,2,,]", 5, Some("trailing or doubled comma")),
            ("a: [1,2,,]", 8, None),
            ("- {{ .Values.x }}\n", 2, Some("a Helm/Go template")),
            ("on: {{ x\n", 2, None),
            ("a: '<<<<<<< x'\n", 2, None),
        ];
        for (text, at, want) in cases {
            let got = explain(text, Error::at(ErrorKind::Syntax, *at, "parser says"));
            let shown = got.located(text);
            match want {
                Some(w) => assert!(shown.contains(w), "{text:?}: {shown}"),
                None => assert!(shown.ends_with(": parser says"), "{text:?}: {shown}"),
            }
        }
    }

    #[test]
    fn other_errors_are_left_alone() {
        let e = Error::at(ErrorKind::Refused, 4, "refused");
        assert_eq!(explain("a:\n\tb: 1\n", e.clone()), e);
    }
}
