//! Runs inside the tools that render manifests: a KRM function (a
//! ResourceList on standard input) and kustomize's legacy exec plugin.

use std::io::{self, Write};

use super::*;

/// Options for a function or plugin run: the command line's, then those
/// its config gives. The value must be reproducible: a render that gives
/// new output every time breaks kustomize and GitOps diffs.
fn function_options(
    config_args: Vec<String>,
    with_command_line: bool,
) -> Result<(Options, Option<confighash::Keyed>, String), String> {
    let mut argv: Vec<std::ffi::OsString> = vec!["reload-stamp".into()];
    if with_command_line {
        argv.extend(std::env::args_os().skip(1));
    }
    argv.extend(config_args.into_iter().map(Into::into));
    let mut args = Args::try_parse_from(argv).map_err(|e| {
        let shown = e.to_string();
        shown
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ")
            .to_string()
    })?;
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.is_empty());
    if args.at.as_deref() == Some("now") {
        // Asked for explicitly: the clock.
        args.at = None;
    } else if !args.config_hash && args.value.is_none() && args.at.is_none() && epoch.is_none() {
        return Err(
            "a render must give the same output every time: set value, at or configHash \
                    in the config (at: now asks for the clock), or SOURCE_DATE_EPOCH"
                .to_string(),
        );
    }
    let opts = options(&args).map_err(|Usage(m)| m)?;
    let hmac = if args.config_hash {
        confighash::key_from_env()?
    } else {
        None
    };
    let value = if args.config_hash {
        String::new()
    } else {
        resolve_value(&args).map_err(|Usage(m)| m)?
    };
    Ok((opts, hmac, value))
}

/// Stamps `bytes` for a function or plugin run: the new text (`None`:
/// unchanged) and the warnings, placed as `LINE:COL: message`.
fn function_stamp(
    bytes: &[u8],
    config_args: Vec<String>,
    with_command_line: bool,
) -> Result<(Option<String>, Vec<String>), String> {
    let (opts, hmac, value) = function_options(config_args, with_command_line)?;
    let source = if opts.config_hash {
        stamp::ValueSource::ConfigHash(hmac.as_ref())
    } else {
        stamp::ValueSource::Fixed(&value)
    };
    // Places are offsets into the text after any BOM.
    let text = crate::text::decode(bytes).map_or("", |(_, t)| t);
    match stamp::stamp_bytes(bytes, &opts, source, parallel::default_jobs()) {
        Ok(f) => Ok((
            f.output_string(),
            f.warnings.iter().map(|w| w.located(text)).collect(),
        )),
        Err(e) => Err(e.located(text)),
    }
}

/// A KRM function run: `bytes` is a ResourceList; options come from its
/// `functionConfig`; warnings and errors go into its `results`, and an
/// error leaves the items as they were, with exit 1.
pub(super) fn run_function(bytes: &[u8]) -> i32 {
    // Places are offsets into the text after any BOM.
    let Ok((_, text)) = crate::text::decode(bytes) else {
        return 2;
    };
    let outcome = krm::function_config_args(text).and_then(|a| function_stamp(bytes, a, true));
    let (out, findings, code) = match outcome {
        Ok((output, warnings)) => {
            let out = output.unwrap_or_else(|| text.to_string());
            let findings: Vec<krm::Finding> = warnings
                .into_iter()
                .map(|message| krm::Finding {
                    message,
                    severity: "warning",
                })
                .collect();
            (out, findings, 0)
        }
        Err(msg) => (
            text.to_string(),
            vec![krm::Finding {
                message: msg,
                severity: "error",
            }],
            1,
        ),
    };
    // The results also go to stderr: kustomize shows a failed container
    // function's stderr but not the results in its output ("couldn't
    // execute function: exit status 1" alone), and so does kpt.
    for f in &findings {
        eprintln!("reload-stamp: {}: {}", f.severity, f.message);
    }
    // Not a block-style list: the results are on stderr only.
    let shown = krm::with_results(&out, &findings).unwrap_or(out);
    let mut stdout = io::stdout().lock();
    if stdout_failed(
        stdout
            .write_all(shown.as_bytes())
            .and_then(|()| stdout.flush()),
    ) {
        return 2;
    }
    code
}

/// A kustomize legacy exec plugin run: the config file is the first
/// argument, the resources come on standard input and go to standard
/// output; an error is a message on stderr and exit 1, with nothing on
/// standard output.
pub(super) fn run_plugin() -> i32 {
    let Some(config) = std::env::args_os().nth(1) else {
        eprintln!("reload-stamp: run as the kustomize plugin {}, it needs the plugin's config file as its argument", krm::CONFIG_KIND);
        return 2;
    };
    let result = std::fs::read_to_string(&config)
        .map_err(|e| {
            format!(
                "{}: {}",
                std::path::Path::new(&config).display(),
                io_message(&e)
            )
        })
        .and_then(|c| krm::plugin_config_args(&c))
        .and_then(|a| {
            let bytes = Source::Stdin
                .read()
                .map_err(|e| format!("<stdin>: {}", io_message(&e)))?;
            // kustomize passes the config file, not options.
            let (output, warnings) = function_stamp(&bytes, a, false)?;
            Ok((output.map_or(bytes, String::into_bytes), warnings))
        });
    match result {
        Ok((out, warnings)) => {
            for w in &warnings {
                eprintln!("reload-stamp: warning: {w}");
            }
            let mut stdout = io::stdout().lock();
            if stdout_failed(stdout.write_all(&out).and_then(|()| stdout.flush())) {
                2
            } else {
                0
            }
        }
        Err(msg) => {
            eprintln!("reload-stamp: {msg}");
            1
        }
    }
}
