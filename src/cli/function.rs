//! Runs inside the tools that render manifests: a KRM function (a
//! ResourceList on standard input) and kustomize's legacy exec plugin.

use std::io::{self, Write};

use super::*;

/// Options for a function or plugin run: the command line's, then those
/// its config gives. The value must be reproducible: a render that gives
/// new output every time breaks kustomize and GitOps diffs.
fn function_options(config_args: Vec<String>, with_command_line: bool) -> Result<Options, Error> {
    let mut argv: Vec<std::ffi::OsString> = vec!["reload-stamp".into()];
    if with_command_line {
        argv.extend(std::env::args_os().skip(1));
    }
    argv.extend(config_args.into_iter().map(Into::into));
    let mut args = Args::try_parse_from(argv).map_err(|e| {
        let shown = e.to_string();
        let first = shown.lines().next().unwrap_or("");
        Error::usage(first.trim_start_matches("error: "))
    })?;
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.is_empty());
    if args.at.as_deref() == Some("now") {
        // Asked for explicitly: the clock.
        args.at = None;
    } else if !args.config_hash && args.value.is_none() && args.at.is_none() && epoch.is_none() {
        return Err(Error::new(
            ErrorKind::Usage,
            "a render must give the same output every time: set value, at or configHash \
                    in the config (at: now asks for the clock), or SOURCE_DATE_EPOCH",
        ));
    }
    // One input: its documents spread over the threads.
    Ok(options(&args)?.jobs(parallel::default_jobs()))
}

/// Stamps `bytes` for a function or plugin run: the new text (`None`:
/// unchanged) and the warnings, placed (`LINE:COL: message`).
fn function_stamp(
    bytes: &[u8],
    config_args: Vec<String>,
    with_command_line: bool,
) -> Result<(Option<String>, Vec<crate::Warning>), Error> {
    let opts = function_options(config_args, with_command_line)?;
    let input = Input {
        name: "<input>",
        bytes,
    };
    let f = crate::run(&[input], &opts)
        .pop()
        .unwrap_or_else(|| Err(Error::internal(0, "a run gave no outcome")))?;
    Ok((f.output_string(), f.warnings().to_vec()))
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
    let (out, found, code) = match outcome {
        Ok((output, warnings)) => {
            let out = output.unwrap_or_else(|| text.to_string());
            let found: Vec<_> = warnings
                .iter()
                .map(|w| (w.to_string(), "warning", w.offset()))
                .collect();
            (out, found, 0)
        }
        Err(e) => (
            text.to_string(),
            vec![(e.to_string(), "error", e.offset())],
            1,
        ),
    };
    // Each result names the item it is about, as the KRM specification asks
    // (resourceRef, file): the item that holds its place in the list.
    let items = if found.iter().any(|(_, _, at)| at.is_some()) {
        krm::items(text)
    } else {
        Vec::new()
    };
    let findings: Vec<krm::Finding> = found
        .into_iter()
        .map(|(message, severity, at)| krm::Finding {
            message,
            severity,
            item: at.and_then(|at| {
                items
                    .iter()
                    .find(|(span, _)| span.contains(&at))
                    .map(|(_, i)| i.clone())
            }),
        })
        .collect();
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
    let io =
        |what: &str, e: io::Error| Error::new(ErrorKind::Io, format!("{what}: {}", io_message(&e)));
    let result = std::fs::read_to_string(&config)
        .map_err(|e| io(&std::path::Path::new(&config).display().to_string(), e))
        .and_then(|c| krm::plugin_config_args(&c))
        .and_then(|a| {
            let bytes = Source::Stdin.read().map_err(|e| io("<stdin>", e))?;
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
        Err(e) => {
            eprintln!("reload-stamp: {e}");
            1
        }
    }
}
