//! `--kustomize`: config hashes per kustomize overlay.
//!
//! Each DIR is built with kustomize; each workload's hash is computed from
//! the built output, so an overlay's patched ConfigMap is the one hashed.
//! The hashes are kept in DIR itself: a patch file ([`PATCH_FILE`]) that
//! sets only the annotation of each workload, listed in DIR's
//! kustomization. `kustomize build DIR` (and so Argo CD and Flux) then
//! carries them. The hash never depends on that patch (it covers only
//! ConfigMap and Secret data), so a second run changes nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::confighash::{self, Index};
use crate::document::{parse_all, Kind, Mode, Node};
use crate::plan::qualified;
use crate::select::template_path;
use crate::stamp::{self, Options};
use crate::text::double_quote;

/// The patch file reload-stamp writes in each kustomization directory.
pub const PATCH_FILE: &str = "reload-stamp-patch.yaml";

/// The environment variable that picks the build command.
pub const COMMAND_ENV: &str = "RELOAD_STAMP_KUSTOMIZE";

const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The command that builds a kustomization; the directory is its last
/// argument.
#[derive(Debug, Clone)]
pub struct Builder {
    argv: Vec<String>,
}

impl Builder {
    /// `explicit` (`--kustomize-command`), else the environment variable
    /// [`COMMAND_ENV`], else `kustomize build` when `kustomize` is on PATH,
    /// else `kubectl kustomize`. A command is split on whitespace.
    pub fn choose(explicit: Option<&str>) -> Result<Builder, String> {
        let from_env = std::env::var(COMMAND_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty());
        let line = match explicit.map(str::to_string).or(from_env) {
            Some(l) => l,
            None if on_path("kustomize") => "kustomize build".to_string(),
            None if on_path("kubectl") => "kubectl kustomize".to_string(),
            None => {
                return Err(format!(
                    "--kustomize needs kustomize or kubectl on PATH: install one, or name the \
                     build command with --kustomize-command or {COMMAND_ENV}"
                ))
            }
        };
        let argv: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if argv.is_empty() {
            return Err("--kustomize-command: an empty command".to_string());
        }
        Ok(Builder { argv })
    }

    /// The command line for `target`, as shown in messages.
    pub fn shown(&self, target: &str) -> String {
        format!("{} {target}", self.argv.join(" "))
    }

    /// The output of building `target` (a directory or a remote URL).
    pub fn build(&self, target: &str) -> Result<String, String> {
        let out = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .arg(target)
            .output()
            .map_err(|e| {
                format!(
                    "cannot run `{}`: {}",
                    self.shown(target),
                    crate::inputs::io_message(&e)
                )
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!("`{}` failed: {}", self.shown(target), err.trim()));
        }
        String::from_utf8(out.stdout)
            .map_err(|_| format!("`{}` printed invalid UTF-8", self.shown(target)))
    }
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|d| {
            std::fs::metadata(d.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// A kustomization file, with what the plan needs of it.
struct Kustomization {
    path: PathBuf,
    text: String,
    name_prefix: String,
    name_suffix: String,
    /// Set by the kustomization: patches match the namespace before it.
    namespace: Option<String>,
    /// `resources` and `bases`, as written.
    resources: Vec<String>,
    /// Whether [`PATCH_FILE`] is listed in `patches` (or the old
    /// `patchesStrategicMerge`).
    listed: bool,
}

fn read_kustomization(dir: &Path) -> Result<Kustomization, String> {
    let Some(path) = KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
    else {
        return Err("not a kustomization directory: it has no kustomization.yaml".to_string());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {}", path.display(), crate::inputs::io_message(&e)))?;
    let shown = path.display().to_string();
    let docs = parse_all(&text, Mode::Full).map_err(|e| e.render(&shown, &text))?;
    let root = docs.iter().find_map(|d| d.root.as_ref());
    let get = |k: &str| root.and_then(|r| r.get_str(k)).map(str::to_string);
    let strings = |k: &str| -> Vec<String> {
        match root.and_then(|r| r.get(k)).map(|(_, v)| &v.kind) {
            Some(Kind::Seq(items, _)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let listed = root.is_some_and(|r| {
        patch_items(r, "patches").any(|i| i.get_str("path") == Some(PATCH_FILE))
            || patch_items(r, "patchesStrategicMerge").any(|i| i.as_str() == Some(PATCH_FILE))
    });
    let mut resources = strings("resources");
    resources.extend(strings("bases"));
    let (name_prefix, name_suffix, namespace) =
        (get("namePrefix"), get("nameSuffix"), get("namespace"));
    Ok(Kustomization {
        name_prefix: name_prefix.unwrap_or_default(),
        name_suffix: name_suffix.unwrap_or_default(),
        namespace,
        resources,
        listed,
        path,
        text,
    })
}

fn patch_items<'n, 'a>(root: &'n Node<'a>, key: &str) -> impl Iterator<Item = &'n Node<'a>> {
    let items: &[Node<'a>] = match root.get(key).map(|(_, v)| &v.kind) {
        Some(Kind::Seq(items, _)) => items,
        _ => &[],
    };
    items.iter()
}

/// `text` (a kustomization) with `- path: PATCH_FILE` added to `patches`,
/// as new lines only; anything else is left to the user, with the line to
/// add.
fn add_listing(text: &str) -> Result<String, String> {
    crate::listedit::append_items(text, "patches", &format!("- path: {PATCH_FILE}\n"))
        .map_err(|why| format!("{why}: add `- path: {PATCH_FILE}` to its patches"))
}

/// A workload of the build with its hash, and how a patch names it.
#[derive(Debug, Clone)]
pub struct Hashed {
    pub kind: String,
    pub api_version: String,
    /// As built (after the kustomization's prefix, suffix and namespace).
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// As the patch must name it: before the kustomization's own
    /// transformers.
    pub patch_name: String,
    pub patch_namespace: Option<String>,
    pub hash: String,
    /// The value the build has now, if any.
    pub previous: Option<String>,
}

/// What one directory would become.
pub struct DirPlan {
    pub dir: String,
    pub patch_path: PathBuf,
    pub old_patch: Option<String>,
    pub new_patch: String,
    pub kustomization_path: PathBuf,
    pub old_kustomization: String,
    /// The kustomization with the listing added, if it lacks it.
    pub new_kustomization: Option<String>,
    pub hashed: Vec<Hashed>,
    /// The build with the hashes stamped (the stream mode's output).
    pub stamped_build: String,
    pub warnings: Vec<String>,
}

impl DirPlan {
    /// Whether the directory's files would change.
    pub fn changes(&self) -> bool {
        self.old_patch.as_deref() != Some(self.new_patch.as_str())
            || self.new_kustomization.is_some()
    }
}

/// Builds `dir`, hashes its workloads and plans the patch and listing.
pub fn plan(
    dir: &str,
    builder: &Builder,
    opts: &Options,
    key: Option<&confighash::Keyed>,
    jobs: usize,
) -> Result<DirPlan, String> {
    let path = Path::new(dir);
    let k = read_kustomization(path)?;
    let built = builder.build(dir)?;
    let shown_build = format!("`{}`", builder.shown(dir));
    let in_build = |e: crate::error::Error| format!("{shown_build} output: {}", e.located(&built));
    let mut a = stamp::analyze(built.as_bytes(), opts, None, jobs).map_err(in_build)?;
    let objects = std::mem::take(&mut a.objects);
    let mut index = Index::default();
    index.key = key.cloned();
    for o in &objects {
        index.add(o, &shown_build, a.text);
    }
    let hashed = hash_workloads(&a, &index, path, &k, builder, opts).map_err(|e| match e {
        Ok(e) => in_build(e),
        Err(msg) => msg,
    })?;
    // The stamped build, made as any input's output is.
    let f = stamp::finish(a, opts, stamp::Values::Hashes(&index), jobs).map_err(in_build)?;
    let warnings = f
        .warnings
        .iter()
        .map(|w| format!("{shown_build} output: {}", w.located(f.text)))
        .collect();
    let stamped_build = f.output_string().unwrap_or_else(|| built.clone());
    let nl = if k.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let patch_path = path.join(PATCH_FILE);
    let old_patch = match std::fs::read_to_string(&patch_path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(format!(
                "{}: {}",
                patch_path.display(),
                crate::inputs::io_message(&e)
            ))
        }
    };
    let new_kustomization = if k.listed || hashed.is_empty() {
        None
    } else {
        Some(add_listing(&k.text).map_err(|e| format!("{}: {e}", k.path.display()))?)
    };
    let new_patch = if hashed.is_empty() && old_patch.is_none() {
        String::new()
    } else {
        patch_text(&hashed, &opts.key, nl)
    };
    Ok(DirPlan {
        dir: dir.to_string(),
        old_patch: if hashed.is_empty() && old_patch.is_none() {
            Some(String::new())
        } else {
            old_patch
        },
        patch_path,
        new_patch,
        kustomization_path: k.path,
        old_kustomization: k.text,
        new_kustomization,
        hashed,
        stamped_build,
        warnings,
    })
}

/// Each workload of the build `a` that has a config hash, with the name a
/// patch in `k` gives it. Errors are in the build (`Ok`) or about the
/// kustomization (`Err`).
fn hash_workloads(
    a: &stamp::Analysis<'_>,
    index: &Index<'_>,
    path: &Path,
    k: &Kustomization,
    builder: &Builder,
    opts: &Options,
) -> Result<Vec<Hashed>, Result<crate::error::Error, String>> {
    let mut hashed = Vec::new();
    let mut ids = None;
    for w in a.docs.iter().flat_map(|d| &d.workloads) {
        // Warnings come once, when the build is stamped.
        let Some(hash) = stamp::workload_hash(w, index, &mut Vec::new()).map_err(Ok)? else {
            continue;
        };
        if ids.is_none() {
            ids = Some(resource_workloads(path, k, builder, opts).map_err(Err)?);
        }
        let (patch_name, patch_namespace) =
            patch_id(k, w, ids.as_deref().unwrap_or(&[])).map_err(Err)?;
        hashed.push(Hashed {
            kind: w.kind.clone(),
            api_version: w.api_version.clone().unwrap_or_default(),
            name: w.name.clone(),
            namespace: w.namespace.clone(),
            patch_name,
            patch_namespace,
            hash,
            previous: w.current.as_ref().map(|c| c.value.clone()),
        });
    }
    Ok(hashed)
}

/// A workload as a kustomization's resources hold it, before its own
/// transformers: kind, name, namespace.
type ResourceId = (String, Option<String>, Option<String>);

/// The workloads of the kustomization's resources: each directory or
/// remote resource built, each file read.
fn resource_workloads(
    dir: &Path,
    k: &Kustomization,
    builder: &Builder,
    opts: &Options,
) -> Result<Vec<ResourceId>, String> {
    let plain = Options {
        config_hash: false,
        ..opts.clone()
    };
    let mut out = Vec::new();
    for r in &k.resources {
        let p = dir.join(r);
        let text = if p.is_file() {
            std::fs::read_to_string(&p)
                .map_err(|e| format!("{}: {}", p.display(), crate::inputs::io_message(&e)))?
        } else {
            let target = if p.is_dir() {
                p.to_string_lossy().into_owned()
            } else {
                r.clone()
            };
            builder.build(&target)?
        };
        let a = stamp::analyze(text.as_bytes(), &plain, None, 1)
            .map_err(|e| format!("resource {r}: {}", e.located(&text)))?;
        out.extend(
            a.docs
                .iter()
                .flat_map(|d| &d.workloads)
                .map(|w| (w.kind.clone(), w.name.clone(), w.namespace.clone())),
        );
    }
    Ok(out)
}

/// How a patch in `k` names the built workload `w`: the one resource
/// workload that the kustomization's prefix, suffix and namespace turn
/// into `w`.
fn patch_id(
    k: &Kustomization,
    w: &crate::plan::Workload,
    ids: &[ResourceId],
) -> Result<(String, Option<String>), String> {
    let found: Vec<&ResourceId> = ids
        .iter()
        .filter(|(kind, name, ns)| {
            *kind == w.kind
                && name
                    .as_ref()
                    .map(|n| format!("{}{n}{}", k.name_prefix, k.name_suffix))
                    == w.name
                && (k.namespace.is_some() || *ns == w.namespace)
        })
        .collect();
    match found.as_slice() {
        [(_, Some(name), ns)] => Ok((name.clone(), ns.clone())),
        [] => Err(format!(
            "cannot tell how a patch in {} names {} {}: it is not among the workloads of its resources \
             (a patch or transformer other than namePrefix, nameSuffix and namespace renamed it?)",
            k.path.display(),
            w.kind,
            qualified(w.name.as_deref(), w.namespace.as_deref())
        )),
        _ => Err(format!(
            "cannot tell how a patch in {} names {} {}: several of its resources' workloads become it",
            k.path.display(),
            w.kind,
            qualified(w.name.as_deref(), w.namespace.as_deref())
        )),
    }
}

/// The patch file: one strategic-merge patch per workload, setting only the
/// annotation on its pod template.
fn patch_text(hashed: &[Hashed], key: &str, nl: &str) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# Written by `reload-stamp --config-hash --kustomize`: the config hash of{nl}\
         # each workload this kustomization builds. Rewritten on every run.{nl}"
    ));
    for (i, h) in hashed.iter().enumerate() {
        if i > 0 {
            s.push_str(&format!("---{nl}"));
        }
        s.push_str(&format!(
            "apiVersion: {}{nl}kind: {}{nl}metadata:{nl}  name: ",
            h.api_version, h.kind
        ));
        double_quote(&h.patch_name, &mut s);
        s.push_str(nl);
        if let Some(ns) = &h.patch_namespace {
            s.push_str("  namespace: ");
            double_quote(ns, &mut s);
            s.push_str(nl);
        }
        let mut depth = 0;
        for seg in template_path(&h.kind)
            .iter()
            .copied()
            .chain(["metadata", "annotations"])
        {
            s.push_str(&format!("{}{seg}:{nl}", "  ".repeat(depth)));
            depth += 1;
        }
        s.push_str(&format!("{}{key}: ", "  ".repeat(depth)));
        double_quote(&h.hash, &mut s);
        s.push_str(nl);
    }
    s
}

/// Checks that building `dir` now gives every workload of `plan` its hash.
pub fn verify(plan: &DirPlan, builder: &Builder, opts: &Options) -> Result<(), String> {
    let built = builder.build(&plan.dir)?;
    let plain = Options {
        config_hash: false,
        ..opts.clone()
    };
    let a = stamp::analyze(built.as_bytes(), &plain, None, 1).map_err(|e| e.to_string())?;
    // Kind, name and namespace as built, to the value the build has.
    type Id<'s> = (&'s str, Option<&'s str>, Option<&'s str>);
    let now: HashMap<Id<'_>, Option<&str>> = a
        .docs
        .iter()
        .flat_map(|d| &d.workloads)
        .map(|w| {
            (
                (w.kind.as_str(), w.name.as_deref(), w.namespace.as_deref()),
                w.current.as_ref().map(|c| c.value.as_str()),
            )
        })
        .collect();
    for h in &plan.hashed {
        let got = now
            .get(&(h.kind.as_str(), h.name.as_deref(), h.namespace.as_deref()))
            .copied()
            .flatten();
        if got != Some(h.hash.as_str()) {
            return Err(format!(
                "after writing {}, `{}` gives {} {} {} instead of \"{}\"",
                plan.patch_path.display(),
                builder.shown(&plan.dir),
                h.kind,
                qualified(h.name.as_deref(), h.namespace.as_deref()),
                got.map_or_else(|| "no stamp".to_string(), |v| format!("\"{v}\"")),
                h.hash
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listing_says_what_to_add_by_hand() {
        assert_eq!(
            add_listing("resources:\n- a.yaml\n").unwrap(),
            "resources:\n- a.yaml\npatches:\n- path: reload-stamp-patch.yaml\n"
        );
        let e = add_listing("patches: []\n").unwrap_err();
        assert!(
            e.ends_with("add `- path: reload-stamp-patch.yaml` to its patches"),
            "{e}"
        );
    }
}
