//! Loading a repository's declarations: files in, raw model out.
//!
//! [`Input`] is the set of files one compilation reads, whether they come
//! from the work tree ([`Input::from_worktree`]) or, later, a git revision.
//! [`parse`] turns an `Input` into sources and the raw model; from there on
//! nothing touches the file system.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::decode::Decoder;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::error::Error;
use crate::files::{self, Action, Area, Chosen, Found, TooManyFiles};
pub use crate::files::{MAX_TEAM_FILES, Refused, TEMPLATE_SUFFIX};
use crate::model::raw;
use crate::source::{FileId, Sources, Span};
use crate::yaml::{self, Kind, MAX_FILE_BYTES};

/// The config file at the repo root.
pub const CONFIG_FILE: &str = "rbacc.yaml";
/// The directory of team files.
pub const TEAMS_DIR: &str = "teams";
/// The directory of kubeconfig templates.
pub const TEMPLATES_DIR: &str = "templates";

/// One file as read: repo-relative path and bytes, or why it was refused.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: String,
    pub contents: Result<Vec<u8>, Refused>,
}

/// Everything one compilation reads.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub config: Option<InputFile>,
    /// Team files, in any order.
    pub teams: Vec<InputFile>,
    /// Kubeconfig templates (`templates/*.yaml.j2`), in any order.
    pub templates: Vec<InputFile>,
    /// Files under `teams/` that are not read, such as `.yml` files.
    pub ignored: Vec<String>,
    /// The date expiring access is judged on ([`crate::clock::today`]).
    /// `None` only for inputs built in memory with no clock: then nothing
    /// counts as expired.
    pub today: Option<crate::clock::Date>,
    /// The CODEOWNERS files at the places forges read them
    /// ([`crate::codeowners::LOCATIONS`]), in that order: not compiled, but
    /// compared with what rbacc generates when they carry its header.
    pub codeowners: Vec<InputFile>,
}

impl Input {
    /// Reads the declarations from a directory on disk, to be judged on
    /// `today`: the files [`files::select`] chooses, each read with
    /// [`files::read_limited`].
    pub fn from_worktree(repo: &Path, today: crate::clock::Date) -> Result<Input, Error> {
        let root = repo.canonicalize().map_err(|e| Error::io(repo, e))?;
        let config = match found_at(&root, &root.join(CONFIG_FILE))? {
            None | Some((Found::Dir, _)) => {
                return Err(Error::NoConfig {
                    repo: repo.to_path_buf(),
                });
            }
            Some((found, path)) => read(CONFIG_FILE.to_string(), files::source(found, path))?,
        };
        let mut input = Input {
            config: Some(config),
            today: Some(today),
            ..Input::default()
        };
        for rel in crate::codeowners::LOCATIONS {
            if let Some((found, path)) = found_at(&root, &root.join(rel))?
                && found != Found::Dir
            {
                input
                    .codeowners
                    .push(read(rel.to_string(), files::source(found, path))?);
            }
        }
        let templates = walk(&root, Area::Templates, TEMPLATES_DIR)?;
        let teams = walk(&root, Area::Teams, TEAMS_DIR)?;
        input.ignored = teams.ignored;
        // Read in parallel, kept in walk order.
        input.templates = read_all(templates.files)?;
        input.teams = read_all(teams.files)?;
        Ok(input)
    }
}

/// The entries of `dir` (an [`Area`]) in the work tree at `root`, chosen
/// by [`files::select`], with where to read each.
fn walk(root: &Path, area: Area, dir: &str) -> Result<Chosen<PathBuf>, Error> {
    let dir = root.join(dir);
    let mut chosen = Chosen::default();
    if !dir.is_dir() {
        return Ok(chosen);
    }
    // The walk follows no link below `dir`, so only `dir` itself can lead
    // elsewhere: then every file it would read is refused.
    let canonical = dir.canonicalize().map_err(|e| Error::io(&dir, e))?;
    let elsewhere = !canonical.starts_with(root);
    let depth = match area {
        Area::Teams => usize::MAX,
        Area::Templates => 1,
    };
    let mut entries = WalkDir::new(&dir)
        .min_depth(1)
        .max_depth(depth)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.clone());
            Error::io(&path, e.into())
        })?;
        let is_dir = entry.file_type().is_dir();
        let (found, path) = if entry.path_is_symlink() {
            resolve(root, entry.path(), true)?
        } else if is_dir {
            (Found::Dir, entry.path().to_path_buf())
        } else {
            (Found::File, entry.path().to_path_buf())
        };
        let mut action = files::select(area, &entry.file_name().to_string_lossy(), found);
        if elsewhere && action == Action::Read {
            let below = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
            let target = canonical.join(below).display().to_string();
            action = Action::Refuse(Refused::OutsideRepo { target });
        }
        let descend = chosen
            .record(relative(root, entry.path()), action, || path)
            .map_err(|TooManyFiles| Error::TooManyFiles {
                dir: dir.clone(),
                limit: MAX_TEAM_FILES,
            })?;
        if is_dir && !descend {
            entries.skip_current_dir();
        }
    }
    Ok(chosen)
}

/// What is at `path`, links followed within `root`, and where to read it;
/// `None` when nothing is there.
fn found_at(root: &Path, path: &Path) -> Result<Option<(Found, PathBuf)>, Error> {
    match path.symlink_metadata() {
        Ok(meta) => resolve(root, path, meta.file_type().is_symlink()).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// What the entry at `path` (a link when `is_link`) is within `root`, and
/// its resolved path. Resolved, so that a link anywhere on the way (the
/// entry, or a directory such as `teams/` itself) is caught.
fn resolve(root: &Path, path: &Path, is_link: bool) -> Result<(Found, PathBuf), Error> {
    let target = match path.canonicalize() {
        Ok(target) => target,
        Err(e) if is_link => {
            // As written in the link, which is what the user can fix.
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let problem = match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                _ => format!("cannot be resolved ({e})"),
            };
            return Ok((Found::BrokenLink { target, problem }, path.to_path_buf()));
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let found = if !target.starts_with(root) {
        Found::LinkOutside {
            target: target.display().to_string(),
        }
    } else if target.is_dir() && is_link {
        Found::LinkToDir {
            target: relative(root, &target),
        }
    } else if target.is_dir() {
        Found::Dir
    } else {
        Found::File
    };
    Ok((found, target))
}

fn read_all(files: Vec<(String, Result<PathBuf, Refused>)>) -> Result<Vec<InputFile>, Error> {
    files
        .into_par_iter()
        .map(|(rel, source)| read(rel, source))
        .collect()
}

/// Reads one chosen file within [`MAX_FILE_BYTES`].
fn read(rel: String, source: Result<PathBuf, Refused>) -> Result<InputFile, Error> {
    let contents = match source {
        Err(why) => Err(why),
        Ok(path) => {
            files::read_limited(&path, MAX_FILE_BYTES as u64).map_err(|e| Error::io(&path, e))?
        }
    };
    Ok(InputFile {
        path: rel,
        contents,
    })
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The raw declarations of one [`Input`].
pub struct Parsed {
    pub config: raw::Config,
    pub teams: Vec<raw::Team>,
    /// Kubeconfig templates by name (file name without `.yaml.j2`).
    pub templates: Vec<Template>,
    /// The date expiring access is judged on ([`Input::today`]).
    pub today: Option<crate::clock::Date>,
    /// The names (file names without `.yaml`) of team files that could not
    /// be read or parsed: their teams are known to exist, and broken, so
    /// that other files naming them are not reported for it.
    pub broken_teams: std::collections::BTreeSet<String>,
}

/// A kubeconfig template as read.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub file: crate::source::FileId,
}

/// Parses every file of `input`, reporting problems into `diags`. Files with
/// errors are skipped; the rest are still read, so one run reports problems
/// in every file.
pub fn parse(input: &Input, sources: &mut Sources, diags: &mut Diagnostics) -> Parsed {
    let mut parsed = Parsed {
        config: raw::Config::default(),
        teams: Vec::new(),
        templates: Vec::new(),
        today: input.today,
        broken_teams: Default::default(),
    };
    if let Some(file) = &input.config
        && let Some((id, text, root)) = read_yaml(file, Document::Config, sources, diags)
    {
        parsed.config = raw::decode_config(&mut Decoder::new(diags, &text), id, &root);
    }
    // Texts are registered in order; parsing and decoding, the expensive
    // part, run in parallel with a diagnostics list per file.
    let stem_of = |file: &InputFile| {
        file.path
            .rsplit('/')
            .next()
            .and_then(|name| name.strip_suffix(".yaml"))
            .unwrap_or_default()
            .to_string()
    };
    let mut texts: Vec<(&InputFile, FileId, Arc<str>)> = Vec::new();
    for file in &input.teams {
        match read_text(file, sources, diags) {
            Some((id, text)) => texts.push((file, id, text)),
            None => {
                parsed.broken_teams.insert(stem_of(file));
            }
        }
    }
    let decoded: Vec<(Result<raw::Team, String>, Diagnostics)> = texts
        .par_iter()
        .map(|(file, id, text)| {
            let mut local = Diagnostics::default();
            let team = match parse_document(file, Document::Team, *id, text) {
                Err(d) => {
                    local.push(d);
                    Err(stem_of(file))
                }
                Ok(root) => {
                    let stem = stem_of(file);
                    Ok(raw::decode_team(
                        &mut Decoder::new(&mut local, text),
                        *id,
                        stem,
                        &root,
                    ))
                }
            };
            (team, local)
        })
        .collect();
    for (team, local) in decoded {
        diags.extend(local);
        match team {
            Ok(team) => parsed.teams.push(team),
            Err(stem) => {
                parsed.broken_teams.insert(stem);
            }
        }
    }
    for file in &input.templates {
        let Some((id, _)) = read_text(file, sources, diags) else {
            continue;
        };
        let name = file.path.rsplit('/').next().unwrap_or_default();
        let name = name
            .strip_suffix(TEMPLATE_SUFFIX)
            .unwrap_or(name)
            .to_string();
        parsed.templates.push(Template { name, file: id });
    }
    for path in &input.ignored {
        let path = crate::text::visible(path);
        let id = sources.add(path.to_string(), "");
        diags.push(
            Diagnostic::warning(
                Code::IgnoredFile,
                Span::file_start(id),
                format!("`{path}` is not read"),
            )
            .help("team files end in `.yaml`; rename it to be read"),
        );
    }
    parsed
}

/// What a YAML file declares.
#[derive(Clone, Copy)]
enum Document {
    Config,
    Team,
}

impl Document {
    /// What the file must hold, for help texts.
    fn shape(self) -> &'static str {
        match self {
            Document::Config => {
                "`rbacc.yaml` is one mapping with `apiVersion: rbacc.dev/v1alpha1`, `kind: Config` and `spec`"
            }
            Document::Team => {
                "a team file is one mapping with `apiVersion: rbacc.dev/v1alpha1`, `kind: Team`, `metadata` and `spec`"
            }
        }
    }
}

/// Decodes a file's bytes into text and a YAML tree whose top level is a
/// mapping, or reports why not. An empty file, or one whose top level is a
/// list or scalar, gets one diagnostic, not one per missing field.
fn read_yaml(
    file: &InputFile,
    what: Document,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<(crate::source::FileId, std::sync::Arc<str>, yaml::Node)> {
    let (id, text) = read_text(file, sources, diags)?;
    match parse_document(file, what, id, &text) {
        Ok(root) => Some((id, text, root)),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// Parses a file's text as one mapping, or says why it is not one. Pure.
fn parse_document(
    file: &InputFile,
    what: Document,
    id: FileId,
    text: &str,
) -> Result<yaml::Node, Diagnostic> {
    let root = yaml::parse(id, text)?;
    match &root.kind {
        Kind::Map(_) => Ok(root),
        Kind::Null => Err(Diagnostic::error(
            Code::MissingField,
            Span::file_start(id),
            format!("`{}` is empty", file.path),
        )
        .label("no declarations in this file")
        .help(match what {
            Document::Config => what.shape().to_string(),
            Document::Team => format!("{}; delete the file if the team is gone", what.shape()),
        })),
        other => Err(Diagnostic::error(
            Code::WrongType,
            root.span,
            format!("expected a mapping, found {}", other.type_name()),
        )
        .label("expected a mapping")
        .help(what.shape())),
    }
}

/// Decodes a file's bytes into text, or reports why not.
fn read_text(
    file: &InputFile,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Option<(crate::source::FileId, std::sync::Arc<str>)> {
    if let Some(problem) = crate::text::path_problem(&file.path) {
        let shown = crate::text::visible(&file.path).into_owned();
        let id = sources.add(shown.clone(), "");
        diags.push(
            Diagnostic::error(
                Code::InvalidPath,
                Span::file_start(id),
                format!("the path `{shown}` {problem}"),
            )
            .help(
                "rename the file or directory: names under `teams/` and `templates/` \
                 are written into generated files and must be plain text",
            ),
        );
        return None;
    }
    let bytes = match &file.contents {
        Ok(bytes) => bytes,
        Err(refused) => {
            let id = sources.add(file.path.clone(), "");
            let (code, help) = match refused {
                Refused::OutsideRepo { .. } => (
                    Code::OutsideRepo,
                    "declarations must live in the repository; replace the link with the file",
                ),
                Refused::BrokenLink { .. } => (
                    Code::InvalidLink,
                    "point the link at an existing file, or remove it",
                ),
                Refused::LinkToDirectory { .. } => (
                    Code::InvalidLink,
                    "rbacc does not follow links to directories: \
                     move the files here, or link each file",
                ),
                Refused::TooLarge { .. } => (Code::InputLimit, yaml::DECLARATIONS.split()),
                Refused::NotAFile { .. } => (
                    Code::NotAFile,
                    "rbacc reads regular files only: put the file itself here, or remove this",
                ),
            };
            let d = Diagnostic::error(code, Span::file_start(id), refused.message(&file.path))
                .help(help);
            diags.push(d);
            return None;
        }
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let id = sources.add(
                file.path.clone(),
                String::from_utf8_lossy(bytes).into_owned(),
            );
            diags.push(
                Diagnostic::error(
                    Code::InvalidEncoding,
                    crate::source::Span::new(id, e.valid_up_to(), 1),
                    "file is not valid UTF-8",
                )
                .label("invalid byte here")
                .help("save the file as UTF-8"),
            );
            return None;
        }
    };
    let id = sources.add(file.path.clone(), text);
    Some((id, sources.get(id).text.clone()))
}
