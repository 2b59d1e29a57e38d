//! The stamp's value: a literal, or a time formatted with strftime.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Local, SecondsFormat, TimeZone, Utc};

use crate::error::Error;

/// The default strftime format: `20261124093000`.
pub const DEFAULT_FORMAT: &str = "%Y%m%d%H%M%S";

/// How to produce the value, as the command line asked.
#[derive(Debug, Clone, Default)]
pub struct ValueArgs {
    pub value: Option<String>,
    pub at: Option<String>,
    pub format: Option<String>,
    pub local: bool,
    /// `--kubectl`: RFC 3339, as `kubectl rollout restart` writes.
    pub kubectl: bool,
}

/// Resolves the value: `--value`, else `--at`, else `SOURCE_DATE_EPOCH`
/// (`epoch`), else `now`. Errors are usage errors.
pub fn resolve(a: &ValueArgs, epoch: Option<&str>, now: DateTime<Utc>) -> Result<String, Error> {
    if let Some(v) = &a.value {
        return Ok(v.clone());
    }
    let format = match (&a.format, a.kubectl) {
        (Some(f), _) => f.as_str(),
        (None, true) => "rfc3339",
        (None, false) => DEFAULT_FORMAT,
    };
    check_format(format)?;
    let time = match (&a.at, epoch) {
        (Some(at), _) => parse_time(at).ok_or_else(|| {
            Error::usage(format!(
                "invalid --at '{at}': expected RFC 3339 (2026-11-24T09:30:00Z) or Unix seconds"
            ))
        })?,
        (None, Some(e)) => parse_epoch(e.trim()).ok_or_else(|| {
            Error::usage(format!(
                "invalid SOURCE_DATE_EPOCH '{e}': expected Unix seconds"
            ))
        })?,
        (None, None) => now,
    };
    let s = if a.local {
        format_time(&time.with_timezone(&Local), format)
    } else {
        format_time(&time, format)
    };
    if s.is_empty() {
        return Err(Error::usage(format!(
            "--format '{format}' gives an empty value"
        )));
    }
    Ok(s)
}

/// Checks a `--format` before any input is read.
pub fn check_format(format: &str) -> Result<(), Error> {
    if format == "rfc3339" {
        return Ok(());
    }
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(Error::usage(format!(
            "invalid --format '{format}': not a strftime format (e.g. %Y%m%d%H%M%S) or 'rfc3339'"
        )));
    }
    Ok(())
}

fn format_time<Tz: TimeZone>(t: &DateTime<Tz>, format: &str) -> String
where
    Tz::Offset: std::fmt::Display,
{
    if format == "rfc3339" {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        t.format(format).to_string()
    }
}

fn parse_epoch(s: &str) -> Option<DateTime<Utc>> {
    let secs: i64 = s.parse().ok()?;
    Utc.timestamp_opt(secs, 0).single()
}

/// Parses RFC 3339 (`2026-11-24T09:30:00Z`) or Unix seconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    parse_epoch(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap()
    }

    #[test]
    fn precedence() {
        let mut a = ValueArgs::default();
        assert_eq!(resolve(&a, None, now()).unwrap(), "20261124093000");
        assert_eq!(resolve(&a, Some("0"), now()).unwrap(), "19700101000000");
        a.at = Some("2001-02-03T04:05:06+01:00".into());
        assert_eq!(resolve(&a, Some("0"), now()).unwrap(), "20010203030506");
        a.value = Some("v1".into());
        assert_eq!(resolve(&a, Some("0"), now()).unwrap(), "v1");
    }

    #[test]
    fn kubectl_is_rfc3339() {
        let a = ValueArgs {
            kubectl: true,
            ..Default::default()
        };
        assert_eq!(resolve(&a, None, now()).unwrap(), "2026-11-24T09:30:00Z");
    }

    #[test]
    fn bad_inputs() {
        let a = ValueArgs {
            format: Some("%Q".into()),
            ..Default::default()
        };
        assert!(resolve(&a, None, now())
            .unwrap_err()
            .msg
            .contains("invalid --format"));
        assert!(resolve(&ValueArgs::default(), Some("soon"), now()).is_err());
        assert!(parse_time("yesterday").is_none());
        assert_eq!(parse_time("1700000000").unwrap().timestamp(), 1_700_000_000);
    }
}
