//! `--kustomize`: config hashes per kustomize overlay.
//!
//! Each DIR is built with kustomize; each workload's hash is computed from
//! the built output, so an overlay's patched ConfigMap is the one hashed.
//! The hashes are kept in DIR itself: a patch file ([`PATCH_FILE`]) that
//! sets only the annotation of each workload, listed in DIR's
//! kustomization. `kustomize build DIR` (and so Argo CD and Flux) then
//! carries them. The hash never depends on that patch (it covers only
//! ConfigMap and Secret data), so a second run changes nothing.

mod edit;
mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::document::{parse_all, Kind, Mode, Node};
use crate::error::{Error, ErrorKind};
use crate::id::ObjectId;
use crate::options::Options;
use crate::plan::stream::analyze;
use crate::run::{run, Input, Stamped};
use crate::select::TemplatePath;
use crate::text::double_quote;

fn io_at(path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("{}: {}", path.display(), crate::inputs::io_message(e)),
    )
}

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
    pub fn choose(explicit: Option<&str>) -> Result<Builder, Error> {
        let from_env = std::env::var(COMMAND_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty());
        let line = match explicit.map(str::to_string).or(from_env) {
            Some(l) => l,
            None if on_path("kustomize") => "kustomize build".to_string(),
            None if on_path("kubectl") => "kubectl kustomize".to_string(),
            None => {
                return Err(Error::tool(format!(
                    "--kustomize needs kustomize or kubectl on PATH: install one, or name the \
                     build command with --kustomize-command or {COMMAND_ENV}"
                )))
            }
        };
        let argv: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if argv.is_empty() {
            return Err(Error::tool(
                "--kustomize-command: an empty command".to_string(),
            ));
        }
        Ok(Builder { argv })
    }

    /// The command line for `target`, as shown in messages.
    pub fn shown(&self, target: &str) -> String {
        format!("{} {target}", self.argv.join(" "))
    }

    /// The output of building `target` (a directory or a remote URL).
    pub fn build(&self, target: &str) -> Result<String, Error> {
        self.build_as(target, target)
    }

    /// The output of building `target`, named `shown` in messages.
    fn build_as(&self, target: &str, shown: &str) -> Result<String, Error> {
        let out = Command::new(&self.argv[0])
            .args(&self.argv[1..])
            .arg(target)
            .output()
            .map_err(|e| {
                Error::tool(format!(
                    "cannot run `{}`: {}",
                    self.shown(shown),
                    crate::inputs::io_message(&e)
                ))
            })?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(Error::tool(format!(
                "`{}` failed: {}",
                self.shown(shown),
                err.trim()
            )));
        }
        String::from_utf8(out.stdout)
            .map_err(|_| Error::tool(format!("`{}` printed invalid UTF-8", self.shown(shown))))
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
    /// The entries that run after `patches` and may change a name, as
    /// `(key, line)`.
    after_patches: Vec<(&'static str, usize)>,
    /// Whether [`PATCH_FILE`] is listed in `patches` (or the old
    /// `patchesStrategicMerge`).
    listed: bool,
    /// `kind: Component`.
    component: bool,
}

impl Kustomization {
    /// `e`, its message prefixed with the kustomization's path.
    fn in_file(&self, e: Error) -> Error {
        e.map_msg(|m| format!("{}: {m}", self.path.display()))
    }
}

/// The entries of a kustomization that kustomize applies after its
/// `patches` (the end of which is where reload-stamp's patch is) and that
/// can change a workload's name or namespace, or its set of workloads.
/// The temporary copy that names the patch targets leaves them out.
const AFTER_PATCHES: [&str; 7] = [
    "namespace",
    "namePrefix",
    "nameSuffix",
    "patchesJson6902",
    "replacements",
    "transformers",
    "validators",
];

/// What the copy that names the patch targets leaves out: [`AFTER_PATCHES`]
/// and `vars`, which kustomize resolves last and which never rename, but
/// which fail when a field they read (a namespace the kustomization sets)
/// is gone.
const LEFT_OUT: [&str; 8] = [
    "namespace",
    "namePrefix",
    "nameSuffix",
    "patchesJson6902",
    "replacements",
    "transformers",
    "validators",
    "vars",
];

/// The kustomization file of `dir`, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

fn read_kustomization(dir: &Path) -> Result<Kustomization, Error> {
    let Some(path) = kustomization_file(dir) else {
        return Err(Error::new(
            ErrorKind::Usage,
            "not a kustomization directory: it has no kustomization.yaml",
        ));
    };
    let text = std::fs::read_to_string(&path).map_err(|e| io_at(&path, &e))?;
    let shown = path.display().to_string();
    let docs =
        parse_all(&text, Mode::Full).map_err(|e| Error::new(e.kind, e.render(&shown, &text)))?;
    let root = docs.iter().find_map(|d| d.root.as_ref());
    let get = |k: &str| root.and_then(|r| r.get_str(k)).map(str::to_string);
    let listed = root.is_some_and(|r| {
        patch_items(r, "patches").any(is_ours)
            || patch_items(r, "patchesStrategicMerge").any(is_ours)
    });
    let after_patches = AFTER_PATCHES
        .iter()
        .filter_map(|key| {
            let (k, _) = root?.get(key)?;
            Some((*key, crate::text::line_col(&text, k.start).0))
        })
        .collect();
    let (name_prefix, name_suffix, namespace) =
        (get("namePrefix"), get("nameSuffix"), get("namespace"));
    Ok(Kustomization {
        name_prefix: name_prefix.unwrap_or_default(),
        name_suffix: name_suffix.unwrap_or_default(),
        namespace,
        after_patches,
        listed,
        component: get("kind").as_deref() == Some("Component"),
        path,
        text,
    })
}

/// Whether a `patches` or `patchesStrategicMerge` item lists [`PATCH_FILE`].
fn is_ours(item: &Node<'_>) -> bool {
    item.get_str("path") == Some(PATCH_FILE) || item.as_str() == Some(PATCH_FILE)
}

fn patch_items<'n, 'a>(root: &'n Node<'a>, key: &str) -> impl Iterator<Item = &'n Node<'a>> {
    let items: &[Node<'a>] = match root.get(key).map(|(_, v)| &v.kind) {
        Some(Kind::Seq(items, _)) => items,
        _ => &[],
    };
    items.iter()
}

/// `text` (a kustomization) with `- path: PATCH_FILE` added to `patches`,
/// as new lines only (one item in a flow list or JSON); anything else is
/// left to the user, with the edit to make.
fn add_listing(text: &str) -> Result<String, Error> {
    edit::add_item(
        text,
        "patches",
        &format!("- path: {PATCH_FILE}\n"),
        &format!("{{\"path\": \"{PATCH_FILE}\"}}"),
    )
    .map_err(|why| why.map_msg(|m| format!("{m}: add `- path: {PATCH_FILE}` to its patches")))
}

/// `text` without its listing of [`PATCH_FILE`] (the lines
/// [`add_listing`] added), `None` if it has none.
fn without_listing(text: &str) -> Result<Option<String>, Error> {
    edit::remove_items(text, &["patches", "patchesStrategicMerge"], &is_ours).map_err(|why| {
        why.map_msg(|m| format!("{m}: remove `- path: {PATCH_FILE}` from its patches"))
    })
}

/// Whether `dir` is an entry point: a kustomization, not a `Component`.
fn is_entry(dir: &Path) -> bool {
    read_kustomization(dir).is_ok_and(|k| !k.component)
}

/// The entry points below `dir` (which holds no kustomization): every
/// directory with a kustomization that is not a `kind: Component`, hidden
/// directories and what `.gitignore` skips left out, in path order.
pub fn entries_below(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .require_git(false)
        .follow_links(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_dir()))
        .map(ignore::DirEntry::into_path)
        .filter(|p| is_entry(p))
        .collect();
    found.sort();
    found
}

/// The temporary tree the run's hashing builds use (see [`tree`]).
pub struct Session {
    tree: tree::Tree,
}

impl Session {
    /// The tree for the run's `entries` (canonical kustomization
    /// directories).
    pub fn new(entries: &[PathBuf]) -> Result<Session, Error> {
        let copy = |dir: &Path| -> Result<Option<(PathBuf, String)>, Error> {
            let k = read_kustomization(dir)?;
            Ok(without_listing(&k.text)
                .map_err(|e| k.in_file(e))?
                .map(|t| (k.path, t)))
        };
        Ok(Session {
            tree: tree::Tree::new(entries, &copy)?,
        })
    }

    /// Builds the copy `dir` of the entry `shown`; `what` says which copy
    /// (`None`: the one without reload-stamp's patches).
    fn build(
        &self,
        builder: &Builder,
        shown: &str,
        dir: &Path,
        what: Option<&str>,
    ) -> Result<String, Error> {
        builder
            .build_as(&dir.to_string_lossy(), shown)
            .map_err(|e| {
                e.map_msg(|m| {
                    let m = self.tree.unmirror(m);
                    match what {
                        Some(w) => format!("{w}: {m}"),
                        None => m,
                    }
                })
            })
    }
}

/// A workload of the build with its hash, and how a patch names it.
#[derive(Debug, Clone)]
pub struct Hashed {
    /// As built (after the kustomization's prefix, suffix and namespace).
    pub id: ObjectId,
    pub api_version: String,
    /// As the patch must name it: as the workload is when kustomize
    /// reaches the end of the kustomization's `patches`.
    pub patch_name: String,
    pub patch_namespace: Option<String>,
    pub hash: String,
    /// With per-source keys: each key and its source's digest, in key
    /// order.
    pub keys: Vec<(String, String)>,
    /// Where its pod template is.
    pub template: TemplatePath,
}

/// What one directory would become.
pub struct DirPlan {
    pub dir: String,
    pub patch_path: PathBuf,
    pub old_patch: Option<String>,
    /// `None`: the directory has nothing to stamp, so no patch file.
    pub new_patch: Option<String>,
    pub kustomization_path: PathBuf,
    pub old_kustomization: String,
    /// The kustomization with the listing added or removed, if that
    /// changes.
    pub new_kustomization: Option<String>,
    pub hashed: Vec<Hashed>,
    /// Workloads whose patch is new or has a new value.
    pub stamped: usize,
    /// The build with the hashes stamped (the stream mode's output).
    pub stamped_build: String,
    pub warnings: Vec<String>,
}

impl DirPlan {
    /// Whether the directory's files would change.
    pub fn changes(&self) -> bool {
        self.old_patch != self.new_patch || self.new_kustomization.is_some()
    }

    /// Whether the run removes the patch file and its listing.
    pub fn removes(&self) -> bool {
        self.new_patch.is_none() && self.changes()
    }
}

/// The canonical path of an entry `dir`, checked to be a kustomization.
pub fn entry(dir: &str) -> Result<PathBuf, Error> {
    let real = std::fs::canonicalize(dir)
        .map_err(|e| Error::new(ErrorKind::Io, crate::inputs::io_message(&e)))?;
    if !real.is_dir() {
        return Err(Error::new(
            ErrorKind::Usage,
            "not a kustomization directory: it is not a directory",
        ));
    }
    read_kustomization(&real)?;
    Ok(real)
}

/// Builds `dir` without reload-stamp's own patch, hashes its workloads and
/// plans the patch and listing.
pub fn plan(
    dir: &str,
    session: &Session,
    builder: &Builder,
    opts: &Options,
) -> Result<DirPlan, Error> {
    let real = std::fs::canonicalize(dir).map_err(|e| io_at(Path::new(dir), &e))?;
    let path = Path::new(dir);
    let mut k = read_kustomization(&real)?;
    if let Some(name) = k.path.file_name() {
        // Messages name the files as the user named the directory.
        k.path = path.join(name);
    }
    let built = session.build(builder, dir, &session.tree.mirror(&real), None)?;
    let shown_build = format!("`{}`", builder.shown(dir));
    let f = stamp_build(&built, &shown_build, opts)?;
    let names = if f.hashes.is_empty() {
        Vec::new()
    } else {
        patch_names((dir, &real), &k, session, builder, opts, &f.hashes)?
    };
    let hashed = with_patch_names(&f.hashes, names, opts.per_source)?;
    let warnings = f
        .warnings()
        .iter()
        .map(|w| format!("{shown_build} output: {w}"))
        .collect();
    let stamped_build = f.output_string().unwrap_or_else(|| built.clone());
    let patch_path = path.join(PATCH_FILE);
    let old_patch = read_patch(&patch_path)?;
    let (new_patch, new_kustomization, stamped) =
        new_files(&k, &hashed, old_patch.as_deref(), &opts.key)?;
    Ok(DirPlan {
        dir: dir.to_string(),
        old_patch,
        patch_path,
        new_patch,
        kustomization_path: k.path,
        old_kustomization: k.text,
        new_kustomization,
        hashed,
        stamped,
        stamped_build,
        warnings,
    })
}

/// The build (named `shown`), stamped as any input is (one thread:
/// entries are spread over the threads already).
fn stamp_build<'b>(built: &'b str, shown: &'b str, opts: &Options) -> Result<Stamped<'b>, Error> {
    let input = Input {
        name: shown,
        bytes: built.as_bytes(),
    };
    run(&[input], &opts.clone().jobs(1))
        .pop()
        .unwrap_or_else(|| Err(Error::internal(0, "a run gave no outcome")))
        .map_err(|e| e.within(&format!("{shown} output")))
}

/// The build's hashed workloads, each with how its patch names it.
fn with_patch_names(
    hashes: &[crate::run::Hashed],
    names: Vec<(String, Option<String>)>,
    per_source: bool,
) -> Result<Vec<Hashed>, Error> {
    hashes
        .iter()
        .zip(names)
        .map(|(w, (patch_name, patch_namespace))| {
            Ok(Hashed {
                template: w.template.clone(),
                id: w.id.clone(),
                api_version: w.api_version.clone().unwrap_or_default(),
                patch_name,
                patch_namespace,
                hash: w.value.clone(),
                keys: match per_source {
                    true => source_keys(w)?,
                    false => Vec::new(),
                },
            })
        })
        .collect()
}

/// The per-source keys of a workload and their values, in key order.
fn source_keys(w: &crate::run::Hashed) -> Result<Vec<(String, String)>, Error> {
    let keys = crate::stamp::source_keys(&w.id, w.id.namespace.as_deref(), &w.sources)
        .map_err(Error::refused)?;
    Ok(keys.into_iter().map(|(k, v)| (k, v.to_string())).collect())
}

/// The patch file as it is, `None` if there is none.
fn read_patch(patch_path: &Path) -> Result<Option<String>, Error> {
    match std::fs::read_to_string(patch_path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::tool(format!(
            "{}: {}",
            patch_path.display(),
            crate::inputs::io_message(&e)
        ))),
    }
}

/// The new patch file (`None`: it goes), the new kustomization (`None`:
/// unchanged) and how many workloads' patches are new or changed, written
/// with the kustomization's line breaks.
fn new_files(
    k: &Kustomization,
    hashed: &[Hashed],
    old_patch: Option<&str>,
    key: &str,
) -> Result<(Option<String>, Option<String>, usize), Error> {
    let nl = if k.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    if hashed.is_empty() {
        // Nothing to stamp: the file and its listing go.
        let listing = if k.listed {
            without_listing(&k.text).map_err(|e| k.in_file(e))?
        } else {
            None
        };
        return Ok((None, listing, 0));
    }
    let docs: Vec<String> = hashed.iter().map(|h| patch_doc(h, key, nl)).collect();
    let old = old_patch.unwrap_or("");
    let stamped = docs.iter().filter(|d| !old.contains(d.as_str())).count();
    let listing = if k.listed {
        None
    } else {
        Some(add_listing(&k.text).map_err(|e| k.in_file(e))?)
    };
    Ok((Some(patch_text(&docs, nl)), listing, stamped))
}

/// The workloads of a build (`what`), in order.
fn workload_ids(text: &str, opts: &Options, what: &str) -> Result<Vec<ObjectId>, Error> {
    let a = analyze(text.as_bytes(), &opts.plain(), 1)
        .map_err(|e| e.placed(text).within(&format!("{what} output")))?;
    Ok(a.docs
        .iter()
        .flat_map(|d| &d.workloads)
        .map(|w| w.id.clone())
        .collect())
}

/// How a patch at the end of `k`'s `patches` names each of `ws` (built
/// workloads), asked of kustomize: a copy of the kustomization without the
/// entries that run after `patches` ([`AFTER_PATCHES`]) builds each
/// workload as such a patch sees it. A build of that copy is matched to
/// the real one by the kustomization's own prefix, suffix and namespace;
/// when that does not tell, by position, both copies built in kustomize's
/// `fifo` order (the order resources were read, which those entries do not
/// change unless they add or remove workloads).
fn patch_names(
    (shown, real): (&str, &Path),
    k: &Kustomization,
    session: &Session,
    builder: &Builder,
    opts: &Options,
    ws: &[crate::run::Hashed],
) -> Result<Vec<(String, Option<String>)>, Error> {
    if k.after_patches.is_empty() {
        return names_as_built(k, ws);
    }
    let kname = k
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = without_listing(&k.text)
        .map_err(|e| k.in_file(e))?
        .unwrap_or_else(|| k.text.clone());
    let in_k = |e: Error| k.in_file(e);
    let stripped = edit::with_fifo_order(&edit::remove_entries(&base, &LEFT_OUT).map_err(in_k)?)
        .map_err(in_k)?;
    let dir = session.tree.variant(real, "names", &kname, &stripped)?;
    let lines = after_patches_shown(k);
    let what = "a copy without the entries that run after its patches";
    let stripped_build = session.build(builder, shown, &dir, None).map_err(|e| {
        e.map_msg(|m| {
            format!(
                "{}: cannot name its workloads in a patch: kustomize does not build it without \
                 {lines}, which run after its patches: {m}",
                k.path.display()
            )
        })
    })?;
    let before = workload_ids(&stripped_build, opts, what)?;
    if let Some(names) = names_by_rule(k, ws, &before) {
        return Ok(names);
    }
    // By position in fifo order.
    let ordered = edit::with_fifo_order(&base).map_err(in_k)?;
    let dir = session.tree.variant(real, "order", &kname, &ordered)?;
    let what = "a copy in fifo order";
    let after = workload_ids(
        &session.build(builder, shown, &dir, Some(what))?,
        opts,
        what,
    )?;
    names_by_position(k, ws, &before, &after, &lines)
}

/// Why workload `w` of `k` cannot be named in a patch.
fn cannot_name(k: &Kustomization, w: &crate::run::Hashed, why: &str) -> Error {
    Error::new(
        ErrorKind::Refused,
        format!(
            "{}: cannot name {} in a patch: {why}",
            k.path.display(),
            w.id,
        ),
    )
}

/// The names of `ws` when nothing after `patches` changes a name: as built
/// is as patched.
fn names_as_built(
    k: &Kustomization,
    ws: &[crate::run::Hashed],
) -> Result<Vec<(String, Option<String>)>, Error> {
    ws.iter()
        .map(|w| match &w.id.name {
            Some(n) => Ok((n.clone(), w.id.namespace.clone())),
            None => Err(cannot_name(k, w, "it has no name")),
        })
        .collect()
}

/// The entries of `k` that run after its patches, as messages show them.
fn after_patches_shown(k: &Kustomization) -> String {
    k.after_patches
        .iter()
        .map(|(key, line)| format!("`{key}` (line {line})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of `ws` in `before` (the copy without the entries after
/// `patches`) by the kustomization's own prefix, suffix and namespace,
/// when those are all that run after its patches; `None` when any
/// workload does not match exactly one.
fn names_by_rule(
    k: &Kustomization,
    ws: &[crate::run::Hashed],
    before: &[ObjectId],
) -> Option<Vec<(String, Option<String>)>> {
    let simple = k
        .after_patches
        .iter()
        .all(|(key, _)| matches!(*key, "namespace" | "namePrefix" | "nameSuffix"));
    if !simple {
        return None;
    }
    ws.iter()
        .map(|w| {
            let found: Vec<&ObjectId> = before
                .iter()
                .filter(|b| {
                    b.kind == w.id.kind
                        && b.name
                            .as_ref()
                            .map(|n| format!("{}{n}{}", k.name_prefix, k.name_suffix))
                            == w.id.name
                        && (k.namespace.is_some() || b.namespace == w.id.namespace)
                })
                .collect();
            match found.as_slice() {
                [ObjectId {
                    name: Some(n),
                    namespace,
                    ..
                }] => Some((n.clone(), namespace.clone())),
                _ => None,
            }
        })
        .collect()
}

/// The names of `ws` by position: `after` (the kustomization in fifo
/// order) and `before` (the copy without `lines`, the entries after its
/// patches) must hold workloads of the same kinds in the same order.
fn names_by_position(
    k: &Kustomization,
    ws: &[crate::run::Hashed],
    before: &[ObjectId],
    after: &[ObjectId],
    lines: &str,
) -> Result<Vec<(String, Option<String>)>, Error> {
    let same =
        after.len() == before.len() && after.iter().zip(before).all(|(a, b)| a.kind == b.kind);
    ws.iter()
        .map(|w| {
            if !same {
                return Err(cannot_name(
                    k,
                    w,
                    &format!(
                        "{lines} of the kustomization run after its patches and add, remove or reorder \
                         workloads, so which workload a patch sees is unknown; stamp the kustomization \
                         that includes this one instead"
                    ),
                ));
            }
            let at = after
                .iter()
                .position(|a| *a == w.id)
                .ok_or_else(|| cannot_name(k, w, "it is not in the build in fifo order"))?;
            match &before[at] {
                ObjectId {
                    name: Some(n),
                    namespace,
                    ..
                } => Ok((n.clone(), namespace.clone())),
                _ => Err(cannot_name(k, w, &format!("before {lines} it has no name"))),
            }
        })
        .collect()
}

/// One workload's strategic-merge patch, setting only the annotation on its
/// pod template.
fn patch_doc(h: &Hashed, key: &str, nl: &str) -> String {
    let mut s = format!(
        "apiVersion: {}{nl}kind: {}{nl}metadata:{nl}  name: ",
        h.api_version, h.id.kind
    );
    double_quote(&h.patch_name, &mut s);
    s.push_str(nl);
    if let Some(ns) = &h.patch_namespace {
        s.push_str("  namespace: ");
        double_quote(ns, &mut s);
        s.push_str(nl);
    }
    let mut depth = 0;
    for seg in h
        .template
        .segments()
        .into_iter()
        .chain(["metadata", "annotations"])
    {
        s.push_str(&format!("{}{seg}:{nl}", "  ".repeat(depth)));
        depth += 1;
    }
    let entries = std::iter::once((key, h.hash.as_str()))
        .chain(h.keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (k, v) in entries {
        s.push_str(&format!("{}{k}: ", "  ".repeat(depth)));
        double_quote(v, &mut s);
        s.push_str(nl);
    }
    s
}

/// The patch file: a comment, then the workloads' patches.
fn patch_text(docs: &[String], nl: &str) -> String {
    let mut s = format!(
        "# Written by `reload-stamp --config-hash --kustomize`: the config hash of{nl}\
         # each workload this kustomization builds. Rewritten on every run.{nl}"
    );
    s.push_str(&docs.join(&format!("---{nl}")));
    s
}

/// Checks that building `dir` now gives every workload of `plan` its hash.
pub fn verify(plan: &DirPlan, builder: &Builder, opts: &Options) -> Result<(), Error> {
    let built = builder.build(&plan.dir)?;
    let a = analyze(built.as_bytes(), &opts.plain(), 1)?;
    // Each workload as built: its value, and its template's annotations
    // (kept with per-source keys).
    let now: HashMap<&ObjectId, &crate::plan::Workload> = a
        .docs
        .iter()
        .flat_map(|d| &d.workloads)
        .map(|w| (&w.id, w))
        .collect();
    for h in &plan.hashed {
        let w = now.get(&h.id);
        let pod = w.and_then(|w| w.annotations.as_deref()).map(|(_, pod)| pod);
        let wanted = std::iter::once((opts.key.as_str(), h.hash.as_str()))
            .chain(h.keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for (i, (key, want)) in wanted.enumerate() {
            let got = match i {
                0 => w.and_then(|w| w.current.as_ref()).map(|c| c.value.as_str()),
                _ => pod.and_then(|p| p.get(key)).map(String::as_str),
            };
            if got != Some(want) {
                return Err(Error::tool(format!(
                    "after writing {}, `{}` gives {} {} instead of \"{}\"",
                    plan.patch_path.display(),
                    builder.shown(&plan.dir),
                    h.id,
                    match (i, got) {
                        (0, None) => "no stamp".to_string(),
                        (0, Some(v)) => format!("\"{v}\""),
                        (_, None) => format!("no {key}"),
                        (_, Some(v)) => format!("{key} \"{v}\""),
                    },
                    want
                )));
            }
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
        let e = add_listing("patches: ~\n").unwrap_err();
        assert!(
            e.msg
                .ends_with("add `- path: reload-stamp-patch.yaml` to its patches"),
            "{e}"
        );
    }
}
