//! The temporary tree the hashing builds run in: reload-stamp's own patch
//! never reaches them, so a stale or broken one can always be replaced.
//!
//! kustomize resolves a kustomization's paths relative to its directory
//! and follows symbolic links before it checks that a file is under the
//! kustomization's root. So the tree mirrors the file system from `/`: each
//! directory on the way to an entry is a real directory whose other
//! entries are symbolic links to the real ones (`../../base` reaches the
//! real base), and each entry is a copy (files hard-linked where the file
//! system allows, else copied) whose kustomization does not list
//! [`PATCH_FILE`](super::PATCH_FILE), without that file. An entry inside
//! another one is copied the same way, so an including entry's build
//! never carries an included entry's stamps either.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::PATCH_FILE;

use crate::error::{Error, ErrorKind};

/// Gives the text an entry's kustomization copy has, with its path,
/// `None` to copy it as it is.
pub type CopyText<'f> = dyn Fn(&Path) -> Result<Option<(PathBuf, String)>, Error> + 'f;

/// The mirror of the file system with the run's entries copied.
pub struct Tree {
    dir: tempfile::TempDir,
    entries: HashSet<PathBuf>,
    /// Directories above an entry (real directories in the mirror).
    above: HashSet<PathBuf>,
}

fn io(path: &Path, e: &std::io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("{}: {}", path.display(), crate::inputs::io_message(e)),
    )
}

impl Tree {
    /// The tree for `entries` (canonical paths of kustomization
    /// directories); `copy` gives the text of an entry's kustomization copy.
    pub fn new(entries: &[PathBuf], copy: &CopyText<'_>) -> Result<Tree, Error> {
        let dir = tempfile::Builder::new()
            .prefix("reload-stamp-")
            .tempdir()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "cannot make a temporary directory: {}",
                        crate::inputs::io_message(&e)
                    ),
                )
            })?;
        let entries: HashSet<PathBuf> = entries.iter().cloned().collect();
        let above = entries
            .iter()
            .flat_map(|e| e.ancestors().skip(1).map(Path::to_path_buf))
            .collect();
        let t = Tree {
            dir,
            entries,
            above,
        };
        t.mirror_dir(Path::new("/"), copy)?;
        Ok(t)
    }

    /// Where `real` (an absolute path) is in the mirror.
    pub fn mirror(&self, real: &Path) -> PathBuf {
        self.dir.path().join(real.strip_prefix("/").unwrap_or(real))
    }

    /// `text` with the mirror's paths written as the real ones (for
    /// messages).
    pub fn unmirror(&self, text: &str) -> String {
        text.replace(&self.dir.path().to_string_lossy().into_owned(), "")
    }

    fn mirror_dir(&self, real: &Path, copy: &CopyText<'_>) -> Result<(), Error> {
        let m = self.mirror(real);
        fs::create_dir_all(&m).map_err(|e| io(&m, &e))?;
        for e in fs::read_dir(real).map_err(|e| io(real, &e))? {
            let e = e.map_err(|e| io(real, &e))?;
            let p = e.path();
            if self.entries.contains(&p) {
                self.copy_dir(&p, &self.mirror(&p), copy)?;
            } else if self.above.contains(&p) {
                self.mirror_dir(&p, copy)?;
            } else {
                let to = self.mirror(&p);
                std::os::unix::fs::symlink(&p, &to).map_err(|e| io(&to, &e))?;
            }
        }
        Ok(())
    }

    /// `real`, an entry or a directory inside one, copied to `to`.
    fn copy_dir(&self, real: &Path, to: &Path, copy: &CopyText<'_>) -> Result<(), Error> {
        fs::create_dir_all(to).map_err(|e| io(to, &e))?;
        let own = if self.entries.contains(real) {
            copy(real)?
        } else {
            None
        };
        let is_entry = self.entries.contains(real);
        for e in fs::read_dir(real).map_err(|e| io(real, &e))? {
            let e = e.map_err(|e| io(real, &e))?;
            let (p, name) = (e.path(), e.file_name());
            let dst = to.join(&name);
            let ft = e.file_type().map_err(|e| io(&p, &e))?;
            if name == ".git" || (is_entry && name == PATCH_FILE) {
                continue;
            }
            if ft.is_symlink() {
                let target = fs::read_link(&p).map_err(|e| io(&p, &e))?;
                std::os::unix::fs::symlink(target, &dst).map_err(|e| io(&dst, &e))?;
            } else if ft.is_dir() {
                self.copy_dir(&p, &dst, copy)?;
            } else if let Some((_, text)) = own.as_ref().filter(|(k, _)| *k == p) {
                fs::write(&dst, text).map_err(|e| io(&dst, &e))?;
            } else if fs::hard_link(&p, &dst).is_err() {
                fs::copy(&p, &dst).map_err(|e| io(&p, &e))?;
            }
        }
        Ok(())
    }

    /// A copy of the entry `real` beside its mirror (so `..` reaches the
    /// same directories), with its kustomization file `name` written as
    /// `text`; `tag` tells copies of one entry apart.
    pub fn variant(
        &self,
        real: &Path,
        tag: &str,
        name: &str,
        text: &str,
    ) -> Result<PathBuf, Error> {
        let m = self.mirror(real);
        let base = m
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let to = m.with_file_name(format!(".reload-stamp-{tag}-{base}"));
        link_tree(&m, &to)?;
        let k = to.join(name);
        // A hard link to the mirror's file: replaced, not written through.
        let _ = fs::remove_file(&k);
        fs::write(&k, text).map_err(|e| io(&k, &e))?;
        Ok(to)
    }
}

/// `from` (inside the mirror) again at `to`, files hard-linked.
fn link_tree(from: &Path, to: &Path) -> Result<(), Error> {
    fs::create_dir_all(to).map_err(|e| io(to, &e))?;
    for e in fs::read_dir(from).map_err(|e| io(from, &e))? {
        let e = e.map_err(|e| io(from, &e))?;
        let (p, dst) = (e.path(), to.join(e.file_name()));
        let ft = e.file_type().map_err(|e| io(&p, &e))?;
        if ft.is_symlink() {
            let target = fs::read_link(&p).map_err(|e| io(&p, &e))?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| io(&dst, &e))?;
        } else if ft.is_dir() {
            link_tree(&p, &dst)?;
        } else if fs::hard_link(&p, &dst).is_err() {
            fs::copy(&p, &dst).map_err(|e| io(&p, &e))?;
        }
    }
    Ok(())
}
