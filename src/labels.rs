//! Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!canary`),
//! parsed and matched the way apimachinery's `labels.Parse` does.

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `key=v`, `key==v`
    Equals(String, String),
    /// `key!=v`: true when the label is absent too
    NotEquals(String, String),
    /// `key in (a,b)`
    In(String, Vec<String>),
    /// `key notin (a,b)`: true when the label is absent too
    NotIn(String, Vec<String>),
    /// `key`
    Exists(String),
    /// `!key`
    NotExists(String),
    /// `key>n`
    Greater(String, i64),
    /// `key<n`
    Less(String, i64),
}

/// A parsed selector: every requirement must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

/// A malformed selector, with the 1-based column where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError {
    pub col: usize,
    pub msg: String,
}

impl std::fmt::Display for SelectorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid selector at column {}: {}", self.col, self.msg)
    }
}

impl LabelSelector {
    /// Parses the selector syntax of `kubectl -l`.
    pub fn parse(s: &str) -> Result<LabelSelector, SelectorError> {
        let mut p = P {
            s: s.as_bytes(),
            i: 0,
        };
        let mut requirements = Vec::new();
        p.ws();
        if p.done() {
            return Ok(LabelSelector { requirements });
        }
        loop {
            requirements.push(p.requirement()?);
            p.ws();
            if p.done() {
                break;
            }
            p.expect(b',', "expected ',' between requirements")?;
        }
        Ok(LabelSelector { requirements })
    }

    /// Whether labels (looked up through `get`) satisfy every requirement.
    pub fn matches<'l>(&self, get: &dyn Fn(&str) -> Option<&'l str>) -> bool {
        self.requirements.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => get(k) != Some(v.as_str()),
            Requirement::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
            Requirement::Greater(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x > *n),
            Requirement::Less(k, n) => get(k)
                .and_then(|x| x.parse::<i64>().ok())
                .is_some_and(|x| x < *n),
        })
    }
}

struct P<'s> {
    s: &'s [u8],
    i: usize,
}

impl P<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn err<T>(&self, at: usize, msg: impl Into<String>) -> Result<T, SelectorError> {
        Err(SelectorError {
            col: at + 1,
            msg: msg.into(),
        })
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn expect(&mut self, c: u8, msg: &str) -> Result<(), SelectorError> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            self.err(self.i, msg)
        }
    }

    /// A run of characters that can appear in a key or value.
    fn word(&mut self) -> (usize, &str) {
        let start = self.i;
        while self.i < self.s.len() {
            let c = self.s[self.i];
            if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/') {
                self.i += 1;
            } else {
                break;
            }
        }
        (
            start,
            std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default(),
        )
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        self.ws();
        let (at, k) = self.word();
        if k.is_empty() {
            return match self.peek() {
                Some(c) => self.err(at, format!("expected a label key, found '{}'", c as char)),
                None => self.err(at, "expected a label key"),
            };
        }
        if let Err(why) = qualified_name(k) {
            let msg = format!("invalid label key '{k}': {why}");
            return self.err(at, msg);
        }
        Ok(k.to_string())
    }

    fn value(&mut self) -> Result<String, SelectorError> {
        self.ws();
        let (at, v) = self.word();
        if !(v.is_empty() || is_name(v)) {
            let msg = format!("invalid label value '{v}': at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric");
            return self.err(at, msg);
        }
        Ok(v.to_string())
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        self.ws();
        if self.peek() == Some(b'!') {
            self.i += 1;
            let k = self.key()?;
            self.ws();
            if !self.done() && self.peek() != Some(b',') {
                return self.err(self.i, "'!key' takes no operator");
            }
            return Ok(Requirement::NotExists(k));
        }
        let k = self.key()?;
        self.ws();
        let op_at = self.i;
        match self.peek() {
            None | Some(b',') => Ok(Requirement::Exists(k)),
            Some(b'=') => {
                self.i += 1;
                if self.peek() == Some(b'=') {
                    self.i += 1;
                }
                Ok(Requirement::Equals(k, self.value()?))
            }
            Some(b'!') => {
                self.i += 1;
                self.expect(b'=', "expected '!=' ")?;
                Ok(Requirement::NotEquals(k, self.value()?))
            }
            Some(b'>' | b'<') => self.comparison(k),
            Some(c) if c.is_ascii_alphabetic() => self.set(k, op_at),
            Some(c) => self.err(op_at, format!("unexpected '{}' after key '{k}'", c as char)),
        }
    }

    /// `key > N` or `key < N`, at the operator.
    fn comparison(&mut self, k: String) -> Result<Requirement, SelectorError> {
        let gt = self.peek() == Some(b'>');
        self.i += 1;
        self.ws();
        let at = self.i;
        let (_, v) = self.word();
        let Ok(n) = v.parse::<i64>() else {
            return self.err(
                at,
                format!("'{}' needs an integer value", if gt { '>' } else { '<' }),
            );
        };
        Ok(if gt {
            Requirement::Greater(k, n)
        } else {
            Requirement::Less(k, n)
        })
    }

    /// `key in (a, b)` or `key notin (a, b)`, at the operator word.
    fn set(&mut self, k: String, op_at: usize) -> Result<Requirement, SelectorError> {
        let (_, op) = self.word();
        let op = op.to_string();
        let negate = match op.as_str() {
            "in" => false,
            "notin" => true,
            _ => {
                return self.err(
                    op_at,
                    format!("unknown operator '{op}' (expected =, ==, !=, in or notin)"),
                )
            }
        };
        self.ws();
        self.expect(b'(', "expected '(' after the set operator")?;
        self.ws();
        if self.peek() == Some(b')') {
            return self.err(self.i, "the value set of 'in'/'notin' cannot be empty");
        }
        let mut values = Vec::new();
        loop {
            values.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b')') => {
                    self.i += 1;
                    break;
                }
                _ => return self.err(self.i, "expected ',' or ')' in the value set"),
            }
        }
        Ok(if negate {
            Requirement::NotIn(k, values)
        } else {
            Requirement::In(k, values)
        })
    }
}

fn is_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// Checks a Kubernetes qualified name (a label or annotation key) as
/// apimachinery's `IsQualifiedName` does: `[prefix/]name`, the prefix a DNS
/// subdomain (`IsDNS1123Subdomain`: at most 253 characters of lowercase
/// dot-separated labels, with no length limit per label), the name at most
/// 63 characters of `[A-Za-z0-9-_.]`, starting and ending alphanumeric.
pub fn qualified_name(s: &str) -> Result<(), &'static str> {
    let (prefix, name) = match s.split('/').collect::<Vec<_>>().as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => return Err("a qualified name is [prefix/]name, with at most one '/'"),
    };
    if let Some(p) = prefix {
        let dns = !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            });
        if !dns {
            return Err("the prefix must be a DNS subdomain: at most 253 characters of [a-z0-9-.], each dot-separated part starting and ending alphanumeric");
        }
    }
    if !is_name(name) {
        return Err(
            "the name is at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{qualified_name, LabelSelector};

    /// Kubernetes label-selector cases: what matches, and where an invalid
    /// selector is reported.
    #[test]
    fn selector_table() {
        let labels: HashMap<&str, &str> = [
            ("app", "web"),
            ("tier", "frontend"),
            ("env", "prod"),
            ("n", "5"),
            ("example.com/team", "a"),
        ]
        .into_iter()
        .collect();
        let get = |k: &str| labels.get(k).copied();
        let valid: &[(&str, bool)] = &[
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app=api", false),
            ("app!=api", true),
            ("app!=web", false),
            ("missing!=x", true),
            ("app", true),
            ("missing", false),
            ("!missing", true),
            ("!app", false),
            ("env in (prod,staging)", true),
            ("env in (staging)", false),
            ("missing in (a)", false),
            ("env notin (prod)", false),
            ("env notin (dev, staging)", true),
            ("missing notin (a)", true),
            ("app=web,tier=frontend", true),
            ("app=web,tier=backend", false),
            (" app = web , env in ( prod ) ", true),
            ("example.com/team=a", true),
            ("n>3", true),
            ("n<3", false),
            ("app>3", false),
            ("app=", false),
            ("missing=", false),
            ("app=web,!canary,env in (prod,staging),tier!=db", true),
        ];
        for (sel, want) in valid {
            let s = LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel:?}: {e}"));
            assert_eq!(s.matches(&get), *want, "{sel:?}");
        }
        let invalid: &[(&str, usize)] = &[
            ("app=web,", 9),
            (",app", 1),
            ("app in (a", 10),
            ("app in a", 8),
            ("app notin ()", 12),
            ("app =! web", 6),
            ("app is web", 5),
            ("!app=web", 5),
            ("-app=web", 1),
            ("app=-web", 5),
            ("a b", 3),
            ("Example.com/x=y", 1),
            ("n>x", 3),
            ("app in (a b)", 11),
        ];
        for (sel, col) in invalid {
            match LabelSelector::parse(sel) {
                Ok(s) => panic!("{sel:?} parsed as {s:?}"),
                Err(e) => assert_eq!(e.col, *col, "{sel:?}: {e}"),
            }
        }
    }

    /// Edge cases of apimachinery's `IsQualifiedName`; `true` for valid.
    #[test]
    fn qualified_names_as_apimachinery_checks_them() {
        let label63 = "a".repeat(63);
        let label64 = "a".repeat(64);
        let long_prefix = format!("{}.com", "a".repeat(249)); // 253
        let too_long_prefix = format!("{}.com", "a".repeat(250)); // 254
        let cases: &[(&str, bool)] = &[
            ("reloaded-at", true),
            ("checksum/config", true),
            ("kubectl.kubernetes.io/restartedAt", true),
            ("A_b.c-9", true),
            (&label63, true),
            (&label64, false),
            // A prefix label longer than 63: IsDNS1123Subdomain checks only
            // the 253 total, so this is valid.
            (&format!("{label64}.example.com/x"), true),
            (&format!("{long_prefix}/x"), true),
            (&format!("{too_long_prefix}/x"), false),
            ("", false),
            ("/x", false),
            ("example.com/", false),
            ("a/b/c", false),
            ("Example.com/x", false),
            ("-a.com/x", false),
            ("a-.com/x", false),
            ("a..com/x", false),
            ("-x", false),
            ("x-", false),
            ("x y", false),
            ("x.y_z", true),
        ];
        for (name, valid) in cases {
            assert_eq!(qualified_name(name).is_ok(), *valid, "{name:?}");
        }
    }
}
