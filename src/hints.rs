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
    if let Some(line) = conflict_marker(text) {
        return Error {
            line,
            col: 1,
            msg: format!(
                "a git merge conflict marker: resolve the conflict, then run again \
                 (the YAML parser stopped at line {}: {})",
                e.line, e.msg
            ),
            kind: e.kind,
        };
    }
    if has_template_actions(text) {
        return Error {
            msg: format!(
                "a Helm/Go template ({{{{ … }}}} actions), not YAML: {HELM_HOWTO} \
                 (the YAML parser stopped here: {})",
                e.msg
            ),
            ..e
        };
    }
    let line_text = nth_line(text, e.line);
    let hint = if line_text
        .bytes()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .any(|b| b == b'\t')
    {
        Some("the line is indented with a tab: indent with spaces")
    } else if looks_like_json(text) && comma_before(line_text, e.col) {
        Some("JSON allows no trailing or doubled comma: remove the comma before this point")
    } else {
        None
    };
    match hint {
        Some(h) => Error {
            msg: format!("{}; {h}", e.msg),
            ..e
        },
        None => e,
    }
}

/// The 1-based line of the first git conflict marker, if any.
fn conflict_marker(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_end_matches('\r');
            ["<<<<<<<", ">>>>>>>", "|||||||"]
                .iter()
                .any(|m| l == *m || l.strip_prefix(m).is_some_and(|r| r.starts_with(' ')))
        })
        .map(|i| i + 1)
}

/// Line `n` (1-based) of `text`, empty when there is none.
fn nth_line(text: &str, n: usize) -> &str {
    n.checked_sub(1)
        .and_then(|i| text.lines().nth(i))
        .unwrap_or("")
}

fn looks_like_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// Whether the last non-blank character before 1-based column `col` of
/// `line` is a comma (the error sits at what follows a dangling comma).
fn comma_before(line: &str, col: usize) -> bool {
    let before: String = line.chars().take(col.saturating_sub(1)).collect();
    before.trim_end().ends_with(',')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hint each syntax error gets, `None` for none.
    #[test]
    fn hints_by_cause() {
        let cases: &[(&str, usize, usize, Option<&str>)] = &[
            (
                "a: 1\n<<<<<<< HEAD\nb: 2\n=======\nb: 3\n>>>>>>> x\n",
                3,
                1,
                Some("2:1: a git merge conflict marker"),
            ),
            ("a:\n\tb: 1\n", 2, 2, Some("indented with a tab")),
            ("a:\n  b: 1\n", 2, 2, None),
            ("[1,2,,]", 1, 6, Some("trailing or doubled comma")),
            ("a: [1,2,,]", 1, 9, None),
            ("- {{ .Values.x }}\n", 1, 3, Some("a Helm/Go template")),
            ("on: {{ x\n", 1, 3, None),
            ("a: '<<<<<<< x'\n", 1, 3, None),
        ];
        for (text, line, col, want) in cases {
            let got = explain(text, Error::syntax(*line, *col, "parser says"));
            let shown = got.to_string();
            match want {
                Some(w) => assert!(shown.contains(w), "{text:?}: {shown}"),
                None => assert_eq!(shown, format!("{line}:{col}: parser says"), "{text:?}"),
            }
        }
    }

    #[test]
    fn other_errors_are_left_alone() {
        let e = Error::at(2, 2, "refused");
        assert_eq!(explain("a:\n\tb: 1\n", e.clone()), e);
    }
}
