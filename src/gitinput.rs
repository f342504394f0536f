//! Reading an [`Input`] from a git revision, straight from the object
//! database: no checkout, no temporary clone, no change to the work tree or
//! the index.
//!
//! The files read are those [`Input::from_worktree`] reads, chosen by the
//! same [`files::select`], applied to the revision's tree: `rbacc.yaml`,
//! `templates/*.yaml.j2` and `teams/**/*.yaml` (`.yml` files listed as
//! ignored, names starting with `.` skipped). Symbolic links (mode 120000)
//! are resolved inside the tree, never on the file system: a link that
//! leaves the repository, leads nowhere, loops, or leads to a directory
//! becomes a [`Refused`] entry, and files over the size limit are refused
//! by their size in the object database, without being inflated.
//!
//! The repository may hold the rbacc repository in a subdirectory (`--repo
//! platform/rbac` in a monorepo): paths are read below that prefix, and
//! "outside the repository" means outside it, as for the work tree.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, Tree};

use crate::files::{self, Area, Chosen, Found, MAX_TEAM_FILES, Refused, TooManyFiles};
use crate::load::{CONFIG_FILE, Input, InputFile, TEAMS_DIR, TEMPLATES_DIR};
use crate::yaml::MAX_FILE_BYTES;

/// Git's mode for a symbolic link.
const MODE_LINK: i32 = 0o120000;
/// Most links followed to resolve one path (Linux's limit).
const MAX_LINK_HOPS: usize = 40;

/// Why a revision could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{} is not in a git repository ({message}); `rbacc diff` reads revisions from git", dir.display())]
    NotARepository { dir: PathBuf, message: String },
    #[error("{}", not_found_message(rev, *shallow))]
    RevisionNotFound { rev: String, shallow: bool },
    #[error(
        "`{rev}` names an object that is not in this repository ({message}); \
         a partial or shallow clone lacks it: fetch it with `git fetch --depth=1 origin {}`",
        fetch_name(rev)
    )]
    MissingObject { rev: String, message: String },
    #[error("`{rev}` is not a commit or a tree")]
    NotATree { rev: String },
    #[error("`{rev}` has no `{path}`: is this an rbacc repository at that revision?")]
    NoConfig { rev: String, path: String },
    #[error("more than {limit} files under `{dir}` at `{rev}`")]
    TooManyFiles {
        rev: String,
        dir: String,
        limit: usize,
    },
    #[error("{} is outside the git work tree {}", dir.display(), workdir.display())]
    OutsideWorkTree { dir: PathBuf, workdir: PathBuf },
    #[error("reading `{rev}`: {message}")]
    Git { rev: String, message: String },
}

fn not_found_message(rev: &str, shallow: bool) -> String {
    let fetch = if rev.contains(['~', '^', '@']) {
        // Relative to a commit: fetch more history, not a name.
        "git fetch --deepen=<commits>` or `git fetch --unshallow".to_string()
    } else {
        format!("git fetch --depth=1 origin {}", fetch_name(rev))
    };
    if shallow {
        format!(
            "revision `{rev}` is not in this repository, which is a shallow clone: \
             fetch it first with `{fetch}` (or clone with more history)"
        )
    } else {
        format!(
            "revision `{rev}` is not in this repository: check the name, or fetch it first with `{fetch}`"
        )
    }
}

/// The name to fetch a revision by: `origin/main` is fetched as `main`.
fn fetch_name(rev: &str) -> &str {
    rev.strip_prefix("origin/").unwrap_or(rev)
}

/// A git repository and the directory in it that holds `rbacc.yaml`.
pub struct GitRepo {
    repo: Repository,
    /// The rbacc directory relative to the work tree, as path components;
    /// empty for the work tree's root (or a bare repository).
    prefix: Vec<String>,
}

/// A resolved revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// As the user wrote it.
    pub name: String,
    /// The commit, unless the name resolved to a tree.
    pub commit: Option<Oid>,
    /// The root tree.
    pub tree: Oid,
}

impl Revision {
    /// `name (abc1234)`, or the name alone for a tree.
    pub fn label(&self) -> String {
        match self.commit {
            Some(commit) => format!("{} ({})", self.name, short(commit)),
            None => self.name.clone(),
        }
    }
}

/// The first 7 hex digits of an object id.
pub fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

impl GitRepo {
    /// Finds the repository that holds `dir` (the rbacc directory), as git
    /// does: `dir` or any parent.
    pub fn discover(dir: &Path) -> Result<GitRepo, GitError> {
        let repo = Repository::discover(dir).map_err(|e| GitError::NotARepository {
            dir: dir.to_path_buf(),
            message: e.message().to_string(),
        })?;
        let prefix = match repo.workdir() {
            None => Vec::new(),
            Some(workdir) => {
                let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
                let (dir, workdir) = (canonical(dir), canonical(workdir));
                let rel = dir
                    .strip_prefix(&workdir)
                    .map_err(|_| GitError::OutsideWorkTree {
                        dir: dir.clone(),
                        workdir: workdir.clone(),
                    })?;
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect()
            }
        };
        Ok(GitRepo { repo, prefix })
    }

    /// Whether the repository is a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// Resolves a revision (`main`, `origin/main`, `HEAD~1`, a commit id, a
    /// tag) to its tree.
    pub fn resolve(&self, rev: &str) -> Result<Revision, GitError> {
        let object = self.repo.revparse_single(rev).map_err(|e| match e.code() {
            ErrorCode::NotFound | ErrorCode::InvalidSpec => GitError::RevisionNotFound {
                rev: rev.to_string(),
                shallow: self.repo.is_shallow(),
            },
            _ => GitError::Git {
                rev: rev.to_string(),
                message: e.message().to_string(),
            },
        })?;
        let missing = |e: git2::Error| GitError::MissingObject {
            rev: rev.to_string(),
            message: e.message().to_string(),
        };
        match object.kind() {
            Some(ObjectType::Tree) => Ok(Revision {
                name: rev.to_string(),
                commit: None,
                tree: object.id(),
            }),
            Some(ObjectType::Commit | ObjectType::Tag) => {
                let commit = object.peel_to_commit().map_err(|e| match e.code() {
                    ErrorCode::NotFound => missing(e),
                    _ => GitError::NotATree {
                        rev: rev.to_string(),
                    },
                })?;
                Ok(Revision {
                    name: rev.to_string(),
                    commit: Some(commit.id()),
                    tree: commit.tree_id(),
                })
            }
            _ => Err(GitError::NotATree {
                rev: rev.to_string(),
            }),
        }
    }

    /// Reads everything one compilation needs from a revision's tree, to
    /// be judged on `today`.
    pub fn input(&self, rev: &Revision, today: crate::clock::Date) -> Result<Input, GitError> {
        let reader = Reader::new(self, rev)?;
        let mut input = reader.input()?;
        input.today = Some(today);
        Ok(input)
    }
}

/// An entry of the tree, located.
enum Entry<'r> {
    Blob {
        oid: Oid,
    },
    Tree(Tree<'r>),
    /// A submodule or something else that is not a file or directory.
    Other,
}

/// Why a path could not be resolved.
enum Unresolved {
    /// A link leads out of the rbacc directory.
    Outside { target: String },
    /// A link cannot be resolved (a loop).
    Broken { target: String, problem: String },
    /// Nothing at that path.
    Missing,
}

struct Reader<'r> {
    repo: &'r Repository,
    rev: String,
    /// The tree of the rbacc directory.
    root: Tree<'r>,
}

impl<'r> Reader<'r> {
    fn new(git: &'r GitRepo, rev: &Revision) -> Result<Reader<'r>, GitError> {
        let repo = &git.repo;
        let err = |e: git2::Error| git_error(&rev.name, e);
        let mut root = repo.find_tree(rev.tree).map_err(err)?;
        for part in &git.prefix {
            let entry = root.get_name(part).ok_or_else(|| GitError::NoConfig {
                rev: rev.name.clone(),
                path: format!("{}/{CONFIG_FILE}", git.prefix.join("/")),
            })?;
            let id = entry.id();
            drop(entry);
            root = repo.find_tree(id).map_err(err)?;
        }
        Ok(Reader {
            repo,
            rev: rev.name.clone(),
            root,
        })
    }

    fn input(&self) -> Result<Input, GitError> {
        let config = match self.found_at(&[CONFIG_FILE.to_string()])? {
            None | Some((Found::Dir | Found::Other, _)) => {
                return Err(GitError::NoConfig {
                    rev: self.rev.clone(),
                    path: CONFIG_FILE.to_string(),
                });
            }
            Some((found, oid)) => self.read(CONFIG_FILE.to_string(), files::source(found, oid))?,
        };
        let templates = self.walk(Area::Templates, TEMPLATES_DIR)?;
        let teams = self.walk(Area::Teams, TEAMS_DIR)?;
        Ok(Input {
            config: Some(config),
            templates: self.read_all(templates.files)?,
            teams: self.read_all(teams.files)?,
            ignored: teams.ignored,
            ..Input::default()
        })
    }

    /// The entries of `dir` (an [`Area`]), chosen by [`files::select`],
    /// with the blob to read for each.
    fn walk(&self, area: Area, dir: &str) -> Result<Chosen<Oid>, GitError> {
        let mut chosen = Chosen::default();
        let mut path = vec![dir.to_string()];
        match self.resolve(&path, true)? {
            Ok(Entry::Tree(tree)) => self.walk_tree(area, &tree, &mut path, &mut chosen)?,
            // `dir` itself is a link out of the repository, whose files a
            // revision cannot list: refused as one.
            Err(Unresolved::Outside { target }) => {
                chosen
                    .files
                    .push((dir.to_string(), Err(Refused::OutsideRepo { target })));
            }
            _ => {}
        }
        Ok(chosen)
    }

    /// The entries below `tree` (at `path`), depth first in name order.
    fn walk_tree(
        &self,
        area: Area,
        tree: &Tree<'r>,
        path: &mut Vec<String>,
        chosen: &mut Chosen<Oid>,
    ) -> Result<(), GitError> {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            path.push(name.clone());
            let (found, oid) = self.found(path, entry.id(), entry.filemode(), entry.kind())?;
            let action = files::select(area, &name, found);
            let descend =
                chosen
                    .record(path.join("/"), action, || oid)
                    .map_err(|TooManyFiles| GitError::TooManyFiles {
                        rev: self.rev.clone(),
                        dir: path[0].clone(),
                        limit: MAX_TEAM_FILES,
                    })?;
            if descend {
                let sub = self.repo.find_tree(entry.id()).map_err(|e| self.err(e))?;
                self.walk_tree(area, &sub, path, chosen)?;
            }
            path.pop();
        }
        Ok(())
    }

    /// What the entry at `path` is, and the blob to read when it is a file.
    fn found_at(&self, path: &[String]) -> Result<Option<(Found, Oid)>, GitError> {
        match self.lookup(path)? {
            Some((oid, mode, kind)) => self.found(path, oid, mode, kind).map(Some),
            None => Ok(None),
        }
    }

    /// What the entry at `path` (`oid`, `mode` and `kind` as its tree holds
    /// it) is, links followed within the rbacc directory, and the blob to
    /// read when it is a file.
    fn found(
        &self,
        path: &[String],
        oid: Oid,
        mode: i32,
        kind: Option<ObjectType>,
    ) -> Result<(Found, Oid), GitError> {
        if mode != MODE_LINK {
            let found = match kind {
                Some(ObjectType::Tree) => Found::Dir,
                Some(ObjectType::Blob) => Found::File,
                // Submodules: nothing to read.
                _ => Found::Other,
            };
            return Ok((found, oid));
        }
        let found = match self.resolve(path, true)? {
            Ok(Entry::Blob { oid }) => return Ok((Found::File, oid)),
            Ok(Entry::Tree(_)) => Found::LinkToDir {
                target: self.resolved_text(path),
            },
            Ok(Entry::Other) => Found::Other,
            Err(Unresolved::Outside { target }) => Found::LinkOutside { target },
            Err(Unresolved::Broken { target, problem }) => Found::BrokenLink { target, problem },
            Err(Unresolved::Missing) => Found::BrokenLink {
                target: self.link_text(path).unwrap_or_default(),
                problem: "does not exist".to_string(),
            },
        };
        Ok((found, oid))
    }

    fn read_all(
        &self,
        files: Vec<(String, Result<Oid, Refused>)>,
    ) -> Result<Vec<InputFile>, GitError> {
        files
            .into_iter()
            .map(|(rel, source)| self.read(rel, source))
            .collect()
    }

    /// A chosen file's bytes, or [`Refused::TooLarge`] without inflating it.
    fn read(&self, rel: String, source: Result<Oid, Refused>) -> Result<InputFile, GitError> {
        let contents = match source {
            Err(why) => Err(why),
            Ok(oid) => {
                let odb = self.repo.odb().map_err(|e| self.err(e))?;
                let (size, _) = odb.read_header(oid).map_err(|e| self.err(e))?;
                match files::check_size(size as u64, MAX_FILE_BYTES as u64) {
                    Err(why) => Err(why),
                    Ok(()) => {
                        let blob = self.repo.find_blob(oid).map_err(|e| self.err(e))?;
                        Ok(blob.content().to_vec())
                    }
                }
            }
        };
        Ok(InputFile {
            path: rel,
            contents,
        })
    }

    fn err(&self, e: git2::Error) -> GitError {
        git_error(&self.rev, e)
    }

    /// The text of the link at `path` (which must be one).
    fn link_text(&self, path: &[String]) -> Option<String> {
        let entry = self.lookup(path).ok()??;
        let blob = self.repo.find_blob(entry.0).ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    }

    /// Where the link at `path` leads, relative to the rbacc directory.
    fn resolved_text(&self, path: &[String]) -> String {
        match self.resolve_path(path, true) {
            Ok(Ok(parts)) => parts.join("/"),
            _ => self.link_text(path).unwrap_or_default(),
        }
    }

    /// The raw entry at `path`, following no link: `(oid, mode, kind)`.
    fn lookup(&self, path: &[String]) -> Result<Option<(Oid, i32, Option<ObjectType>)>, GitError> {
        let mut tree = self.root.clone();
        for (i, part) in path.iter().enumerate() {
            let Some(entry) = tree.get_name(part) else {
                return Ok(None);
            };
            if i + 1 == path.len() {
                return Ok(Some((entry.id(), entry.filemode(), entry.kind())));
            }
            if entry.kind() != Some(ObjectType::Tree) {
                return Ok(None);
            }
            let id = entry.id();
            drop(entry);
            tree = self.repo.find_tree(id).map_err(|e| self.err(e))?;
        }
        Ok(None)
    }

    /// Resolves `path` to the components of the location it finally names,
    /// following links in every component (and in the last one when
    /// `follow_last`), within the rbacc directory.
    fn resolve_path(
        &self,
        path: &[String],
        follow_last: bool,
    ) -> Result<Result<Vec<String>, Unresolved>, GitError> {
        let mut pending: Vec<String> = path.to_vec();
        let mut hops = 0;
        'restart: loop {
            let mut done: Vec<String> = Vec::new();
            let mut tree = self.root.clone();
            let mut rest = pending.clone().into_iter().peekable();
            while let Some(part) = rest.next() {
                let last = rest.peek().is_none();
                let Some(entry) = tree.get_name(&part) else {
                    return Ok(Err(Unresolved::Missing));
                };
                if entry.filemode() == MODE_LINK && (!last || follow_last) {
                    hops += 1;
                    let blob = self.repo.find_blob(entry.id()).map_err(|e| self.err(e))?;
                    let target = String::from_utf8_lossy(blob.content()).into_owned();
                    if hops > MAX_LINK_HOPS {
                        return Ok(Err(Unresolved::Broken {
                            target,
                            problem: "cannot be resolved (too many levels of links)".to_string(),
                        }));
                    }
                    if target.starts_with('/') {
                        return Ok(Err(Unresolved::Outside { target }));
                    }
                    let mut next = done.clone();
                    for step in target.split('/') {
                        match step {
                            "" | "." => {}
                            ".." => {
                                if next.pop().is_none() {
                                    return Ok(Err(Unresolved::Outside { target }));
                                }
                            }
                            other => next.push(other.to_string()),
                        }
                    }
                    next.extend(rest);
                    pending = next;
                    continue 'restart;
                }
                done.push(part);
                if last {
                    return Ok(Ok(done));
                }
                if entry.kind() != Some(ObjectType::Tree) {
                    return Ok(Err(Unresolved::Missing));
                }
                let id = entry.id();
                drop(entry);
                tree = self.repo.find_tree(id).map_err(|e| self.err(e))?;
            }
            // An empty path names the rbacc directory itself.
            return Ok(Ok(done));
        }
    }

    /// What `path` names once links are followed.
    fn resolve(
        &self,
        path: &[String],
        follow_last: bool,
    ) -> Result<Result<Entry<'r>, Unresolved>, GitError> {
        let parts = match self.resolve_path(path, follow_last)? {
            Ok(parts) => parts,
            Err(why) => return Ok(Err(why)),
        };
        let Some((oid, _, kind)) = self.lookup(&parts)? else {
            return Ok(Err(Unresolved::Missing));
        };
        Ok(Ok(match kind {
            Some(ObjectType::Blob) => Entry::Blob { oid },
            Some(ObjectType::Tree) => {
                Entry::Tree(self.repo.find_tree(oid).map_err(|e| self.err(e))?)
            }
            _ => Entry::Other,
        }))
    }
}

fn git_error(rev: &str, e: git2::Error) -> GitError {
    if e.code() == ErrorCode::NotFound {
        GitError::MissingObject {
            rev: rev.to_string(),
            message: e.message().to_string(),
        }
    } else {
        GitError::Git {
            rev: rev.to_string(),
            message: e.message().to_string(),
        }
    }
}
