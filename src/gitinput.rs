//! Reading an [`Input`] from a git revision, straight from the object
//! database: no checkout, no temporary clone, no change to the work tree or
//! the index.
//!
//! The files read are those [`Input::from_worktree`] reads, with the same
//! rules, applied to the revision's tree: `rbacc.yaml`, `templates/*.yaml.j2`
//! and `teams/**/*.yaml` (`.yml` files listed as ignored, names starting with
//! `.` skipped). Symbolic links (mode 120000) are resolved inside the tree,
//! never on the file system: a link that leaves the repository, leads
//! nowhere, loops, or leads to a directory becomes a [`Refused`] entry, and
//! files over the size limit are refused without being inflated.
//!
//! The repository may hold the rbacc repository in a subdirectory (`--repo
//! platform/rbac` in a monorepo): paths are read below that prefix, and
//! "outside the repository" means outside it, as for the work tree.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository, Tree};

use crate::load::{
    CONFIG_FILE, Input, InputFile, MAX_TEAM_FILES, Refused, TEAMS_DIR, TEMPLATE_SUFFIX,
    TEMPLATES_DIR,
};
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
enum Found<'r> {
    Blob {
        oid: Oid,
    },
    Tree(Tree<'r>),
    /// A submodule or something else that is not a file or directory.
    Other,
}

/// Why a path could not be resolved.
enum Unresolved {
    Refused(Refused),
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
        let mut input = Input::default();
        match self.resolve(&[CONFIG_FILE.to_string()], true)? {
            Err(Unresolved::Missing) => {
                return Err(GitError::NoConfig {
                    rev: self.rev.clone(),
                    path: CONFIG_FILE.to_string(),
                });
            }
            Err(Unresolved::Refused(why)) => {
                input.config = Some(refused(CONFIG_FILE, why));
            }
            Ok(Found::Blob { oid }) => {
                input.config = Some(self.read_blob(CONFIG_FILE.to_string(), oid)?);
            }
            Ok(Found::Tree(_)) if self.is_link(&[CONFIG_FILE.to_string()])? => {
                let target = self.resolved_text(&[CONFIG_FILE.to_string()]);
                input.config = Some(refused(CONFIG_FILE, Refused::LinkToDirectory { target }));
            }
            Ok(_) => {
                return Err(GitError::NoConfig {
                    rev: self.rev.clone(),
                    path: CONFIG_FILE.to_string(),
                });
            }
        }
        if let Ok(Found::Tree(templates)) = self.resolve(&[TEMPLATES_DIR.to_string()], true)? {
            for entry in templates.iter() {
                let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                if !name.ends_with(TEMPLATE_SUFFIX) || name.starts_with('.') {
                    continue;
                }
                let rel = format!("{TEMPLATES_DIR}/{name}");
                let path = vec![TEMPLATES_DIR.to_string(), name];
                match self.resolve(&path, true)? {
                    Ok(Found::Blob { oid }) => input.templates.push(self.read_blob(rel, oid)?),
                    Err(Unresolved::Refused(why)) => input.templates.push(refused(&rel, why)),
                    Err(Unresolved::Missing) => input.templates.push(refused(
                        &rel,
                        Refused::BrokenLink {
                            target: self.link_text(&path).unwrap_or_default(),
                            problem: "does not exist".to_string(),
                        },
                    )),
                    Ok(Found::Tree(_)) if entry.filemode() == MODE_LINK => {
                        input.templates.push(refused(
                            &rel,
                            Refused::LinkToDirectory {
                                target: self.resolved_text(&path),
                            },
                        ))
                    }
                    Ok(_) => {}
                }
            }
        }
        if let Ok(Found::Tree(teams)) = self.resolve(&[TEAMS_DIR.to_string()], true)? {
            self.walk_teams(&teams, &mut vec![TEAMS_DIR.to_string()], &mut input)?;
        }
        Ok(input)
    }

    /// The team files below `tree` (at `path`), depth first in name order.
    fn walk_teams(
        &self,
        tree: &Tree<'r>,
        path: &mut Vec<String>,
        input: &mut Input,
    ) -> Result<(), GitError> {
        for entry in tree.iter() {
            let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
            if name.starts_with('.') {
                continue;
            }
            path.push(name.clone());
            let rel = path.join("/");
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    let sub = self.repo.find_tree(entry.id()).map_err(|e| self.err(e))?;
                    self.walk_teams(&sub, path, input)?;
                }
                Some(ObjectType::Blob) if entry.filemode() == MODE_LINK => {
                    // The work tree refuses a link to a directory whatever its
                    // name (its files would silently go unread), reads a
                    // `.yaml` link, lists a `.yml` one as ignored and skips
                    // the rest. A link that leaves the repository or leads
                    // nowhere cannot be told apart from a link to a
                    // directory here, so it is refused too.
                    if name.ends_with(".yml") {
                        input.ignored.push(rel);
                    } else {
                        match self.resolve(path, true)? {
                            Ok(Found::Tree(_)) => {
                                let target = self.resolved_text(path);
                                self.push_team(
                                    input,
                                    refused(&rel, Refused::LinkToDirectory { target }),
                                )?;
                            }
                            Ok(Found::Blob { oid }) if name.ends_with(".yaml") => {
                                let file = self.read_blob(rel, oid)?;
                                self.push_team(input, file)?;
                            }
                            Ok(_) => {}
                            Err(Unresolved::Refused(why)) => {
                                self.push_team(input, refused(&rel, why))?
                            }
                            Err(Unresolved::Missing) => {
                                if name.ends_with(".yaml") {
                                    let target = self.link_text(path).unwrap_or_default();
                                    let why = Refused::BrokenLink {
                                        target,
                                        problem: "does not exist".to_string(),
                                    };
                                    self.push_team(input, refused(&rel, why))?;
                                }
                            }
                        }
                    }
                }
                Some(ObjectType::Blob) => {
                    if name.ends_with(".yml") {
                        input.ignored.push(rel);
                    } else if name.ends_with(".yaml") {
                        let file = self.read_blob(rel, entry.id())?;
                        self.push_team(input, file)?;
                    }
                }
                // Submodules: nothing to read.
                _ => {}
            }
            path.pop();
        }
        Ok(())
    }

    fn push_team(&self, input: &mut Input, file: InputFile) -> Result<(), GitError> {
        if input.teams.len() >= MAX_TEAM_FILES {
            return Err(GitError::TooManyFiles {
                rev: self.rev.clone(),
                dir: TEAMS_DIR.to_string(),
                limit: MAX_TEAM_FILES,
            });
        }
        input.teams.push(file);
        Ok(())
    }

    /// A blob's bytes, or [`Refused::TooLarge`] without inflating it.
    fn read_blob(&self, rel: String, oid: Oid) -> Result<InputFile, GitError> {
        let odb = self.repo.odb().map_err(|e| self.err(e))?;
        let (size, _) = odb.read_header(oid).map_err(|e| self.err(e))?;
        if size > MAX_FILE_BYTES {
            return Ok(refused(&rel, Refused::TooLarge { size: size as u64 }));
        }
        let blob = self.repo.find_blob(oid).map_err(|e| self.err(e))?;
        Ok(InputFile {
            path: rel,
            contents: Ok(blob.content().to_vec()),
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

    /// Whether the entry at `path` is a link.
    fn is_link(&self, path: &[String]) -> Result<bool, GitError> {
        Ok(self
            .lookup(path)?
            .is_some_and(|(_, mode, _)| mode == MODE_LINK))
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
                        return Ok(Err(Unresolved::Refused(Refused::BrokenLink {
                            target,
                            problem: "cannot be resolved (too many levels of links)".to_string(),
                        })));
                    }
                    if target.starts_with('/') {
                        return Ok(Err(Unresolved::Refused(Refused::OutsideRepo { target })));
                    }
                    let mut next = done.clone();
                    for step in target.split('/') {
                        match step {
                            "" | "." => {}
                            ".." => {
                                if next.pop().is_none() {
                                    return Ok(Err(Unresolved::Refused(Refused::OutsideRepo {
                                        target,
                                    })));
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
    ) -> Result<Result<Found<'r>, Unresolved>, GitError> {
        let parts = match self.resolve_path(path, follow_last)? {
            Ok(parts) => parts,
            Err(why) => return Ok(Err(why)),
        };
        let Some((oid, _, kind)) = self.lookup(&parts)? else {
            return Ok(Err(Unresolved::Missing));
        };
        Ok(Ok(match kind {
            Some(ObjectType::Blob) => Found::Blob { oid },
            Some(ObjectType::Tree) => {
                Found::Tree(self.repo.find_tree(oid).map_err(|e| self.err(e))?)
            }
            _ => Found::Other,
        }))
    }
}

fn refused(path: &str, why: Refused) -> InputFile {
    InputFile {
        path: path.to_string(),
        contents: Err(why),
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
