//! Writing `out/`, and comparing it with what a build would write.
//!
//! Architecture invariant: `out/` is never left half-written. A build that
//! changes anything writes the new and changed files into a staging
//! directory beside `out/`, then records every rename and removal in a
//! journal; renaming the journal into place is the commit point. Only then
//! are the files moved into `out/` (each rename atomic) and the journal
//! removed. A build killed before the commit point leaves `out/` as it was;
//! killed after it, the journal is replayed by the next build before it does
//! anything else, and `check` reports the pending update. Unchanged files are
//! never rewritten, so a build costs time in proportion to what changed. A
//! build that changes nothing writes nothing. Only files whose first line
//! carries [`crate::emit::GENERATED_MARKER`] are ever removed.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use std::fs::{self, File};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic};
use crate::emit::{Output, is_generated};
use crate::error::Error;
use crate::source::{Sources, Span};

/// Where [`plan`] and [`write`] say how far they are: the binary draws it
/// as a progress line; `&()` ignores it.
pub trait Progress: Sync {
    /// A stage of `total` items (0: not counted) begins.
    fn stage(&self, label: &str, total: u64);
    /// `n` more items are done.
    fn add(&self, n: u64);
}

impl Progress for () {
    fn stage(&self, _: &str, _: u64) {}
    fn add(&self, _: u64) {}
}

/// How `out/` differs from what a build would write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files a build would create.
    pub added: Vec<String>,
    /// Generated files whose contents would change.
    pub changed: Vec<String>,
    /// Generated files a build would remove.
    pub removed: Vec<String>,
    /// What rbacc did not generate and a build keeps: files without its
    /// header, special files (FIFOs, sockets, devices), and directories
    /// that hold nothing rbacc writes (written with a trailing `/`).
    pub foreign: Vec<String>,
    /// Symbolic links, anywhere under `out/`. `build` refuses to write
    /// while there is one (it would follow it); `check` fails.
    pub links: Vec<String>,
    /// Files already as a build would write them.
    pub unchanged: Vec<String>,
}

impl Plan {
    /// Whether a build would change no file.
    pub fn is_clean(&self) -> bool {
        self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty()
    }

    /// Whether `out/` holds exactly what a build would write: no change,
    /// and nothing rbacc did not write. What `check` asks.
    pub fn is_exact(&self) -> bool {
        self.is_clean() && self.foreign.is_empty() && self.links.is_empty()
    }

    /// One error per file `check` fails on, in the order its text report
    /// lists them (missing, differs, stale, foreign, link): `stale-output`
    /// for what a build would change, `foreign-output` for what rbacc did
    /// not write. `out` is where `out/` is, as the report names it
    /// (repository-relative when it lies in the repository). Each file is
    /// added to `sources` without its text, and pointed at from its start.
    pub fn diagnostics(&self, out: &str, sources: &mut Sources) -> Vec<Diagnostic> {
        const BUILD: &str = "run `rbacc build` and commit the result";
        const MOVE: &str = "out/ holds only what rbacc writes, since the GitOps engine applies all of it: move it out of out/";
        let lists: [(&[String], Code, &str, &str); 5] = [
            (
                &self.added,
                Code::StaleOutput,
                "is missing: `rbacc build` would write it",
                BUILD,
            ),
            (
                &self.changed,
                Code::StaleOutput,
                "is not what `rbacc build` writes",
                BUILD,
            ),
            (
                &self.removed,
                Code::StaleOutput,
                "is left from declarations that are gone: `rbacc build` would remove it",
                BUILD,
            ),
            (
                &self.foreign,
                Code::ForeignOutput,
                "was not written by rbacc",
                MOVE,
            ),
            (&self.links, Code::ForeignOutput, "is a symbolic link", MOVE),
        ];
        let mut found = Vec::new();
        for (paths, code, what, help) in lists {
            for path in paths {
                let path = format!("{}/{path}", out.trim_end_matches('/'));
                let message = format!("`{path}` {what}");
                let file = sources.add(path, "");
                found.push(Diagnostic::error(code, Span::file_start(file), message).help(help));
            }
        }
        found
    }
}

/// Compares `out_dir` with `output`, counting the files compared on
/// `progress`.
pub fn plan(out_dir: &Path, output: &Output, progress: &dyn Progress) -> Result<Plan, Error> {
    if pending_update(out_dir) {
        return Err(Error::PendingUpdate {
            out: out_dir.to_path_buf(),
        });
    }
    let existing = list_tree(out_dir)?;
    progress.stage("comparing out/", existing.len() as u64);
    // Directories that hold something rbacc writes.
    let wanted_dirs: BTreeSet<&str> = output
        .files
        .keys()
        .flat_map(|rel| rel.match_indices('/').map(move |(i, _)| &rel[..i]))
        .collect();
    // Compare file by file, in parallel, keeping no contents: a file whose
    // size differs is changed without reading it; a file rbacc no longer
    // generates is read only as far as its header.
    let classified: Vec<(&String, Class)> = existing
        .par_iter()
        .map(|(rel, entry)| {
            let path = out_dir.join(rel);
            let class = match (entry, output.files.get(rel)) {
                (Entry::Link, _) => Class::Link,
                (Entry::Dir { empty }, _) => {
                    if *empty && !wanted_dirs.contains(rel.as_str()) {
                        Class::ForeignDir
                    } else {
                        Class::Skip
                    }
                }
                (Entry::Other, _) => Class::Foreign,
                (Entry::File, Some(wanted)) => {
                    let size = fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
                    if size != wanted.len() as u64 {
                        Class::Changed
                    } else if fs::read(&path).map_err(|e| Error::io(&path, e))? == wanted.as_bytes()
                    {
                        Class::Unchanged
                    } else {
                        Class::Changed
                    }
                }
                (Entry::File, None) => {
                    let head = head_of(&path).map_err(|e| Error::io(&path, e))?;
                    if is_generated(&head) {
                        Class::Removed
                    } else {
                        Class::Foreign
                    }
                }
            };
            progress.add(1);
            Ok((rel, class))
        })
        .collect::<Result<_, Error>>()?;
    let mut plan = Plan::default();
    for (rel, class) in classified {
        match class {
            Class::Unchanged => plan.unchanged.push(rel.clone()),
            Class::Changed => plan.changed.push(rel.clone()),
            Class::Removed => plan.removed.push(rel.clone()),
            Class::Foreign => plan.foreign.push(rel.clone()),
            Class::ForeignDir => plan.foreign.push(format!("{rel}/")),
            Class::Link => plan.links.push(rel.clone()),
            Class::Skip => {}
        }
    }
    plan.added = output
        .files
        .keys()
        .filter(|p| !existing.contains_key(*p))
        .cloned()
        .collect();
    Ok(plan)
}

enum Class {
    Unchanged,
    Changed,
    Removed,
    Foreign,
    ForeignDir,
    Link,
    Skip,
}

/// What one path under `out/` is, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    File,
    Dir {
        empty: bool,
    },
    Link,
    /// A FIFO, socket or device: never rbacc's, never read.
    Other,
}

/// Every path under `dir` (not `dir` itself) by `/`-separated relative
/// path, and what it is. `dir` itself must be a directory, not a link to
/// one.
fn list_tree(dir: &Path) -> Result<BTreeMap<String, Entry>, Error> {
    let mut entries = BTreeMap::new();
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(entries),
        Err(e) => return Err(Error::io(dir, e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::OutIsLink {
                path: dir.to_path_buf(),
            });
        }
        Ok(meta) if !meta.is_dir() => {
            return Err(Error::NotADirectory {
                path: dir.to_path_buf(),
            });
        }
        Ok(_) => {}
    }
    let mut children: BTreeMap<String, usize> = BTreeMap::new();
    for entry in WalkDir::new(dir).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| Error::io(dir, e.into()))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let rel = rel.join("/");
        if let Some((parent, _)) = rel.rsplit_once('/') {
            *children.entry(parent.to_string()).or_default() += 1;
        }
        let kind = entry.file_type();
        let kind = if kind.is_symlink() {
            Entry::Link
        } else if kind.is_dir() {
            Entry::Dir { empty: true }
        } else if kind.is_file() {
            Entry::File
        } else {
            Entry::Other
        };
        entries.insert(rel, kind);
    }
    for (parent, _) in children {
        if let Some(Entry::Dir { empty }) = entries.get_mut(&parent) {
            *empty = false;
        }
    }
    Ok(entries)
}

/// Brings `out_dir` to `output`, atomically, showing what it does on
/// `progress`. Returns the plan it carried out.
pub fn write(out_dir: &Path, output: &Output, progress: &dyn Progress) -> Result<Plan, Error> {
    let parent = parent_of(out_dir);
    fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
    let _lock = lock(&parent, out_dir)?;
    // Before a replay moves anything: a link in out/ would take it
    // elsewhere.
    let links: Vec<String> = list_tree(out_dir)?
        .into_iter()
        .filter(|(_, entry)| *entry == Entry::Link)
        .map(|(rel, _)| rel)
        .collect();
    if !links.is_empty() {
        return Err(Error::LinksInOut {
            out: out_dir.to_path_buf(),
            links,
        });
    }
    recover(out_dir)?;
    let plan = plan(out_dir, output, progress)?;
    if !plan.links.is_empty() {
        return Err(Error::LinksInOut {
            out: out_dir.to_path_buf(),
            links: plan.links,
        });
    }
    if plan.is_clean() {
        return Ok(plan);
    }
    let staging = sibling(out_dir, "staging");
    let written: Vec<&String> = plan.added.iter().chain(&plan.changed).collect();
    progress.stage("writing out/", written.len() as u64);
    stage_files(&staging, output, &written, progress)?;
    if !out_dir.exists() {
        // A first build: the staged tree becomes `out/` in one rename.
        fs::rename(&staging, out_dir).map_err(|e| Error::io(out_dir, e))?;
        return Ok(plan);
    }
    let mut journal = String::from(JOURNAL_HEADER);
    for rel in &written {
        journal.push_str(&format!("write {rel}\n"));
    }
    for rel in &plan.removed {
        journal.push_str(&format!("remove {rel}\n"));
    }
    // The commit point: once the journal is in place, the update happens.
    let journal_path = sibling(out_dir, "journal");
    let pending = sibling(out_dir, "journal-pending");
    let mut file = create_fresh(&pending)?;
    file.write_all(journal.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(&pending, e))?;
    fs::rename(&pending, &journal_path).map_err(|e| Error::io(&journal_path, e))?;
    progress.stage("moving files into out/", 0);
    apply(out_dir, &journal)?;
    Ok(plan)
}

/// Writes one file outside `out/` (the CODEOWNERS file) atomically: into
/// a sibling first, then renamed over it. Creates its directory.
pub fn write_file(path: &Path, contents: &str) -> Result<(), Error> {
    let dir = parent_of(path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let name = path
        .file_name()
        .map_or("file".into(), |n| n.to_string_lossy().into_owned());
    let pending = dir.join(format!(".{name}.rbacc-pending"));
    create_fresh(&pending)?
        .write_all(contents.as_bytes())
        .map_err(|e| Error::io(&pending, e))?;
    fs::rename(&pending, path).map_err(|e| Error::io(path, e))
}

/// Writes `files` of `output` below `staging`: directories first, then the
/// files, in parallel.
fn stage_files(
    staging: &Path,
    output: &Output,
    files: &[&String],
    progress: &dyn Progress,
) -> Result<(), Error> {
    let dirs: BTreeSet<&str> = files
        .iter()
        .filter_map(|rel| rel.rsplit_once('/').map(|(dir, _)| dir))
        .collect();
    fs::create_dir_all(staging).map_err(|e| Error::io(staging, e))?;
    for dir in dirs {
        let path = staging.join(dir);
        fs::create_dir_all(&path).map_err(|e| Error::io(&path, e))?;
    }
    files.par_iter().try_for_each(|rel| {
        let to = staging.join(rel);
        fs::write(&to, &output.files[rel.as_str()]).map_err(|e| Error::io(&to, e))?;
        progress.add(1);
        Ok(())
    })
}

const JOURNAL_HEADER: &str = "rbacc journal v1\n";

/// Whether an interrupted build left an update to finish.
pub fn pending_update(out_dir: &Path) -> bool {
    sibling(out_dir, "journal").exists()
}

/// Finishes an update an interrupted build committed to, or discards one it
/// had not committed to.
///
/// The journal and staging directory sit beside `out/`, where a pull
/// request could commit its own: a journal is replayed only when it is a
/// regular file, every staged file a regular file in a real directory, and
/// every directory on the way to a target in `out/` a real directory, so a
/// replay never follows a link; a removal takes only a file rbacc
/// generated.
fn recover(out_dir: &Path) -> Result<(), Error> {
    let journal_path = sibling(out_dir, "journal");
    for path in [
        journal_path.clone(),
        sibling(out_dir, "staging"),
        sibling(out_dir, "journal-pending"),
    ] {
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::ForeignJournal { path });
        }
    }
    match fs::read_to_string(&journal_path) {
        Ok(journal) if journal.starts_with(JOURNAL_HEADER) => apply(out_dir, &journal)?,
        Ok(_) => {
            return Err(Error::io(
                &journal_path,
                io::Error::other("not an rbacc journal"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(&journal_path, e)),
    }
    remove_if_exists(&sibling(out_dir, "journal-pending"))?;
    remove_dir_if_exists(&sibling(out_dir, "staging"))
}

/// Carries out a journal. Idempotent: replaying a partly applied journal
/// finishes it.
fn apply(out_dir: &Path, journal: &str) -> Result<(), Error> {
    let staging = sibling(out_dir, "staging");
    let mut made = BTreeSet::new();
    for line in journal.lines().skip(1) {
        let (op, rel) = line.split_once(' ').unwrap_or((line, ""));
        if rel.is_empty() || rel.split('/').any(|part| part.is_empty() || part == "..") {
            return Err(Error::io(
                out_dir,
                io::Error::other(format!("bad journal entry `{line}`")),
            ));
        }
        let target = out_dir.join(rel);
        no_links_on_the_way(out_dir, rel)?;
        match op {
            "write" => {
                let from = staging.join(rel);
                no_links_on_the_way(&staging, rel)?;
                let staged = fs::symlink_metadata(&from);
                if staged.as_ref().is_ok_and(|m| !m.is_file()) {
                    return Err(Error::ForeignJournal { path: from });
                }
                if staged.is_ok() {
                    if let Some(dir) = target.parent()
                        && made.insert(dir.to_path_buf())
                    {
                        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                    }
                    fs::rename(&from, &target).map_err(|e| Error::io(&target, e))?;
                }
            }
            "remove" => {
                let generated = fs::symlink_metadata(&target).is_ok_and(|m| m.is_file())
                    && head_of(&target).is_ok_and(|head| is_generated(&head));
                if generated {
                    remove_if_exists(&target)?;
                    remove_empty_parents(out_dir, &target);
                }
            }
            _ => {
                return Err(Error::io(
                    out_dir,
                    io::Error::other(format!("bad journal entry `{line}`")),
                ));
            }
        }
    }
    let journal_path = sibling(out_dir, "journal");
    remove_if_exists(&journal_path)?;
    remove_dir_if_exists(&staging)
}

/// The first bytes of a file, as far as rbacc's header.
fn head_of(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = vec![0u8; 64];
    let n = File::open(path).and_then(|mut f| io::Read::read(&mut f, &mut head))?;
    head.truncate(n);
    Ok(head)
}

/// Refuses a journal entry `rel` below `root` when a directory on the way
/// (or `root` itself) is a link: renaming through it would write outside.
fn no_links_on_the_way(root: &Path, rel: &str) -> Result<(), Error> {
    let mut path = root.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in std::iter::once(None).chain(parts[..parts.len() - 1].iter().map(Some)) {
        if let Some(part) = part {
            path.push(part);
        }
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
                return Err(Error::ForeignJournal { path });
            }
            Ok(_) => {}
            // Not there yet: created as a real directory.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&path, e)),
        }
    }
    Ok(())
}

/// Creates `path` for writing, never through a link a pull request left
/// there: whatever is at `path` is removed first, and the file is created
/// new.
fn create_fresh(path: &Path) -> Result<File, Error> {
    remove_if_exists(path)?;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// Removes directories left empty by removed files, up to `out_dir`.
fn remove_empty_parents(out_dir: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out_dir || !d.starts_with(out_dir) || fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
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
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

fn remove_dir_if_exists(path: &Path) -> Result<(), Error> {
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

/// A record of the last build that left `out/` exactly as the compiler
/// wanted it: which input it compiled and the file-system state of every
/// file it then found in `out/`. When the input is the same and no file's
/// state has changed, `out/` is still up to date, and `build` and `check`
/// can say so without compiling or reading the files. Anything different,
/// missing or unreadable falls back to the full comparison, so the record
/// can make rbacc faster, never wrong.
///
/// It lives beside `out/` (`.<out>.rbacc-state`), never in it, and is not
/// meant to be committed.
pub struct State {
    fingerprint: Fingerprint,
    files: BTreeMap<String, FileState>,
    /// When the record was made (ns since the epoch); files modified within
    /// [`RACY_NS`] before it may have changed unseen within one clock tick.
    taken_ns: i128,
    /// The build's diagnostics (warnings), as [`crate::replay::encode`]
    /// wrote them; empty when there were none.
    diagnostics: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileState {
    size: u64,
    mtime_ns: i128,
    inode: u64,
}

/// Timestamps on Linux move in coarse ticks; a file modified this close
/// before the record was made is not trusted.
const RACY_NS: i128 = 100_000_000;
const STATE_HEADER: &str = "rbacc state v3";
/// The line after the files, before the recorded diagnostics.
const DIAGNOSTICS_MARK: &str = "diagnostics";

/// A SHA-256 digest of everything a compilation reads (and the CODEOWNERS
/// files `check` compares), and of the compiler. Pinned and collision-
/// resistant: the record is trusted only on an equal fingerprint, so two
/// inputs must never share one, on any machine or Rust release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(text: &str) -> Option<Fingerprint> {
        if text.len() != 64 || !text.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Fingerprint(bytes))
    }
}

/// The fingerprint of `input`. Every field is written with its length
/// first, so no two different inputs write the same bytes.
pub fn fingerprint(input: &crate::load::Input) -> Fingerprint {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(b"rbacc state v3");
    field(env!("CARGO_PKG_VERSION").as_bytes());
    // CODEOWNERS files too: `check` compares the one rbacc generated.
    let groups: [(&[u8], Vec<&crate::load::InputFile>); 4] = [
        (b"config", input.config.iter().collect()),
        (b"teams", input.teams.iter().collect()),
        (b"templates", input.templates.iter().collect()),
        (b"codeowners", input.codeowners.iter().collect()),
    ];
    for (name, files) in groups {
        field(name);
        field(&(files.len() as u64).to_le_bytes());
        for file in files {
            field(file.path.as_bytes());
            match &file.contents {
                Ok(bytes) => {
                    field(b"read");
                    field(bytes);
                }
                Err(refused) => {
                    field(b"refused");
                    field(format!("{refused:?}").as_bytes());
                }
            }
        }
    }
    field(b"ignored");
    field(&(input.ignored.len() as u64).to_le_bytes());
    for path in &input.ignored {
        field(path.as_bytes());
    }
    // What expired depends on the date: a record from another day is not
    // trusted.
    field(
        input
            .today
            .map(|d| d.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    Fingerprint(hasher.finalize().into())
}

/// Where the record of `out_dir` lives when `out/` is inside the
/// repository: beside it (`.<out>.rbacc-state`). Outside the repository,
/// the binary keeps it in a cache directory instead, so that no file is
/// left beside a directory the repository does not own.
pub fn record_beside(out_dir: &Path) -> PathBuf {
    sibling(out_dir, "state")
}

/// A short digest of a path (32 hex digits of its SHA-256): the name of
/// the record of an `out/` kept in a cache directory.
pub fn path_digest(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::os::unix::ffi::OsStrExt;
    let digest = Sha256::digest(path.as_os_str().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The file a record is written to before it is renamed into `state`.
fn pending_of(state: &Path) -> PathBuf {
    let mut name = state.as_os_str().to_owned();
    name.push("-pending");
    PathBuf::from(name)
}

/// Whether the recorded state says `out/` is up to date for `fingerprint`:
/// then the diagnostics the build recorded (empty when it had none), to
/// be reported again. Reads no file of `out/`: only their metadata.
pub fn known_up_to_date(out_dir: &Path, state: &Path, fingerprint: Fingerprint) -> Option<String> {
    let text = fs::read_to_string(state).ok()?;
    let state = State::parse(&text)?;
    if state.fingerprint != fingerprint || pending_update(out_dir) {
        return None;
    }
    let now = scan(out_dir).ok()?;
    (now == state.files && now.values().all(|f| f.mtime_ns < state.taken_ns - RACY_NS))
        .then_some(state.diagnostics)
}

/// The files of `out/` as the last build recorded them, when it compiled
/// exactly `fingerprint` (the same declarations, on the same day) and no
/// update is pending. A reader takes a file as what the declarations
/// compile to only through [`Recorded::read`], which checks that the file
/// is still as recorded; the rest of `out/` is not looked at.
pub struct Recorded {
    out_dir: PathBuf,
    state: State,
}

impl Recorded {
    pub fn open(out_dir: &Path, state: &Path, fingerprint: Fingerprint) -> Option<Recorded> {
        let text = fs::read_to_string(state).ok()?;
        let state = State::parse(&text)?;
        (state.fingerprint == fingerprint && !pending_update(out_dir)).then(|| Recorded {
            out_dir: out_dir.to_path_buf(),
            state,
        })
    }

    /// Every recorded file's path, relative to `out/`, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.state
            .files
            .keys()
            .map(String::as_str)
            .filter(|p| !p.ends_with('/'))
    }

    /// The text of the recorded file `rel`, if it is still the file the
    /// build wrote: same size, modification time and inode, older than the
    /// record by more than a clock tick, and UTF-8.
    pub fn read(&self, rel: &str) -> Option<String> {
        use std::os::unix::fs::MetadataExt;
        let recorded = self.state.files.get(rel)?;
        if recorded.mtime_ns >= self.state.taken_ns - RACY_NS {
            return None;
        }
        let path = self.out_dir.join(rel);
        let meta = fs::symlink_metadata(&path).ok()?;
        let now = FileState {
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
        };
        if !meta.is_file() || now != *recorded {
            return None;
        }
        let text = fs::read_to_string(&path).ok()?;
        (text.len() as u64 == recorded.size).then_some(text)
    }
}

/// Records that `out/` is now exactly what `fingerprint` compiles to, with
/// the build's `diagnostics` ([`crate::replay::encode`]; empty for none).
/// Writes only when the record changes.
pub fn record(
    out_dir: &Path,
    path: &Path,
    fingerprint: Fingerprint,
    diagnostics: &str,
) -> Result<(), Error> {
    let files = scan(out_dir)?;
    if let Ok(old) = fs::read_to_string(path)
        && let Some(old) = State::parse(&old)
        && old.fingerprint == fingerprint
        && old.files == files
        && old.diagnostics == diagnostics
        && files.values().all(|f| f.mtime_ns < old.taken_ns - RACY_NS)
    {
        return Ok(());
    }
    let taken_ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128);
    let state = State {
        fingerprint,
        files,
        taken_ns,
        diagnostics: diagnostics.to_string(),
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let pending = pending_of(path);
    create_fresh(&pending)?
        .write_all(state.to_text().as_bytes())
        .map_err(|e| Error::io(&pending, e))?;
    fs::rename(&pending, path).map_err(|e| Error::io(path, e))
}

/// Drops the record at `state`, so the next build compiles in full.
pub fn forget(state: &Path) -> Result<(), Error> {
    remove_if_exists(state)
}

/// Size, modification time and inode of every file, directory and link
/// under `dir`.
fn scan(dir: &Path) -> Result<BTreeMap<String, FileState>, Error> {
    use std::os::unix::fs::MetadataExt;
    let mut files = BTreeMap::new();
    for entry in WalkDir::new(dir).min_depth(1).follow_links(false) {
        let entry = entry.map_err(|e| Error::io(dir, e.into()))?;
        let meta = entry
            .metadata()
            .map_err(|e| Error::io(entry.path(), e.into()))?;
        let mut rel = entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .into_owned();
        // Directories too (as `dir/`), so that a new one, even empty, is
        // seen; links as themselves, never followed.
        if entry.file_type().is_dir() {
            rel.push('/');
        }
        let state = FileState {
            size: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            inode: meta.ino(),
        };
        files.insert(rel, state);
    }
    Ok(files)
}

impl State {
    fn to_text(&self) -> String {
        let mut text = format!(
            "{STATE_HEADER}\n{} {}\n",
            self.fingerprint.hex(),
            self.taken_ns
        );
        for (path, f) in &self.files {
            text.push_str(&format!("{} {} {} {path}\n", f.size, f.mtime_ns, f.inode));
        }
        if !self.diagnostics.is_empty() {
            text.push_str(DIAGNOSTICS_MARK);
            text.push('\n');
            text.push_str(&self.diagnostics);
            text.push('\n');
        }
        text
    }

    fn parse(text: &str) -> Option<State> {
        let mut lines = text.lines();
        if lines.next()? != STATE_HEADER {
            return None;
        }
        let (fingerprint, taken) = lines.next()?.split_once(' ')?;
        let mut files = BTreeMap::new();
        let mut diagnostics = String::new();
        while let Some(line) = lines.next() {
            // A file line starts with its size, so never reads as the mark.
            if line == DIAGNOSTICS_MARK {
                diagnostics = lines.next()?.to_string();
                if lines.next().is_some() {
                    return None;
                }
                break;
            }
            let mut parts = line.splitn(4, ' ');
            let state = FileState {
                size: parts.next()?.parse().ok()?,
                mtime_ns: parts.next()?.parse().ok()?,
                inode: parts.next()?.parse().ok()?,
            };
            files.insert(parts.next()?.to_string(), state);
        }
        Some(State {
            fingerprint: Fingerprint::from_hex(fingerprint)?,
            files,
            taken_ns: taken.parse().ok()?,
            diagnostics,
        })
    }
}
