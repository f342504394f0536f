//! Writing `out/`, and comparing it with what a build would write.
//!
//! Architecture invariant: `out/` is never half-written. A build that
//! changes anything stages a complete new tree beside `out/` (unchanged
//! files hard-linked, not rewritten; files rbacc did not generate carried
//! over) and swaps it in with one atomic rename. A build that changes
//! nothing writes nothing. Only files whose first line carries
//! [`crate::emit::GENERATED_MARKER`] are ever removed.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::emit::{Output, is_generated};
use crate::error::Error;

/// How `out/` differs from what a build would write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files a build would create.
    pub added: Vec<String>,
    /// Generated files whose contents would change.
    pub changed: Vec<String>,
    /// Generated files a build would remove.
    pub removed: Vec<String>,
    /// Files rbacc did not generate; a build keeps them.
    pub foreign: Vec<String>,
    /// Files already as a build would write them.
    pub unchanged: Vec<String>,
}

impl Plan {
    pub fn is_clean(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Compares `out_dir` with `output`.
pub fn plan(out_dir: &Path, output: &Output) -> Result<Plan, Error> {
    let existing = read_tree(out_dir)?;
    let mut plan = Plan::default();
    for (path, contents) in &output.files {
        match existing.get(path) {
            None => plan.added.push(path.clone()),
            Some(old) if old.as_slice() == contents.as_bytes() => plan.unchanged.push(path.clone()),
            Some(_) => plan.changed.push(path.clone()),
        }
    }
    for (path, contents) in &existing {
        if output.files.contains_key(path) {
            continue;
        }
        if is_generated(contents) {
            plan.removed.push(path.clone());
        } else {
            plan.foreign.push(path.clone());
        }
    }
    Ok(plan)
}

/// Every regular file under `dir`, by `/`-separated relative path.
fn read_tree(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut files = BTreeMap::new();
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(meta) if !meta.is_dir() => {
            return Err(Error::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
    }
    for entry in WalkDir::new(dir).follow_links(false).sort_by_file_name() {
        let entry = entry.map_err(|e| Error::io(dir, e.into()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let contents = if entry.file_type().is_file() {
            fs::read(entry.path()).map_err(|e| Error::io(entry.path(), e))?
        } else {
            Vec::new() // links and other special files: never rbacc's
        };
        files.insert(rel.join("/"), contents);
    }
    Ok(files)
}

/// Brings `out_dir` to `output`, atomically. Returns the plan it carried out.
pub fn write(out_dir: &Path, output: &Output) -> Result<Plan, Error> {
    let parent = parent_of(out_dir);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let _lock = lock(&parent, out_dir)?;
    let staging = sibling(out_dir, "staging");
    remove_if_exists(&staging)?;
    let plan = plan(out_dir, output)?;
    if plan.is_clean() {
        return Ok(plan);
    }
    fs::create_dir(&staging).map_err(|e| Error::io(&staging, e))?;
    let staged = stage(out_dir, &staging, output, &plan);
    if let Err(e) = staged {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    swap(&staging, out_dir)?;
    remove_if_exists(&staging)?;
    Ok(plan)
}

fn stage(out_dir: &Path, staging: &Path, output: &Output, plan: &Plan) -> Result<(), Error> {
    let mut created_dirs = std::collections::BTreeSet::new();
    let mut ensure_parent = |path: &Path| -> Result<(), Error> {
        if let Some(dir) = path.parent()
            && created_dirs.insert(dir.to_path_buf())
        {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        Ok(())
    };
    // Carried over as they are: unchanged output and files rbacc did not write.
    for rel in plan.unchanged.iter().chain(&plan.foreign) {
        let (from, to) = (out_dir.join(rel), staging.join(rel));
        ensure_parent(&to)?;
        if fs::hard_link(&from, &to).is_err() {
            copy_entry(&from, &to)?;
        }
    }
    for rel in plan.added.iter().chain(&plan.changed) {
        let to = staging.join(rel);
        ensure_parent(&to)?;
        fs::write(&to, &output.files[rel]).map_err(|e| Error::io(&to, e))?;
    }
    Ok(())
}

/// Copies a file or re-creates a link.
fn copy_entry(from: &Path, to: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(from).map_err(|e| Error::io(from, e))?;
    if meta.file_type().is_symlink() {
        let target = fs::read_link(from).map_err(|e| Error::io(from, e))?;
        std::os::unix::fs::symlink(target, to).map_err(|e| Error::io(to, e))
    } else {
        fs::copy(from, to).map(drop).map_err(|e| Error::io(to, e))
    }
}

/// Puts the staged tree in place of `out_dir` with one atomic rename; the
/// old tree ends up at `staging`.
fn swap(staging: &Path, out_dir: &Path) -> Result<(), Error> {
    if !out_dir.exists() {
        return fs::rename(staging, out_dir).map_err(|e| Error::io(out_dir, e));
    }
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, staging, CWD, out_dir, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // File systems without RENAME_EXCHANGE: two renames, with a moment
        // between them in which `out_dir` does not exist.
        Err(_) => {
            let old = sibling(out_dir, "old");
            remove_if_exists(&old)?;
            fs::rename(out_dir, &old).map_err(|e| Error::io(out_dir, e))?;
            fs::rename(staging, out_dir).map_err(|e| Error::io(out_dir, e))?;
            fs::rename(&old, staging).map_err(|e| Error::io(&old, e))
        }
    }
}

fn parent_of(out_dir: &Path) -> PathBuf {
    match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `.<out>.rbacc-<what>` beside `out_dir`.
fn sibling(out_dir: &Path, what: &str) -> PathBuf {
    let name = out_dir
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    parent_of(out_dir).join(format!(".{name}.rbacc-{what}"))
}

fn remove_if_exists(path: &Path) -> Result<(), Error> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// Holds an exclusive lock for writing `out_dir`, so two builds never
/// interleave. The lock is on the parent directory and leaves no file.
fn lock(parent: &Path, out_dir: &Path) -> Result<File, Error> {
    let dir = File::open(parent).map_err(|e| Error::io(parent, e))?;
    match dir.try_lock() {
        Ok(()) => Ok(dir),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked {
            out: out_dir.to_path_buf(),
        }),
        Err(fs::TryLockError::Error(e)) => Err(Error::io(parent, e)),
    }
}
