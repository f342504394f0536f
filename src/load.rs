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
use crate::model::raw;
use crate::source::{FileId, Sources, Span};
use crate::yaml::{self, Kind, MAX_FILE_BYTES};

/// The config file at the repo root.
pub const CONFIG_FILE: &str = "rbacc.yaml";
/// The directory of team files.
pub const TEAMS_DIR: &str = "teams";
/// The directory of kubeconfig templates.
pub const TEMPLATES_DIR: &str = "templates";
/// The file name ending of a kubeconfig template.
pub const TEMPLATE_SUFFIX: &str = ".yaml.j2";
/// Most team files rbacc reads in one repo.
pub const MAX_TEAM_FILES: usize = 100_000;

/// One file as read: repo-relative path and bytes, or why it was refused.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: String,
    pub contents: Result<Vec<u8>, Refused>,
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A link whose target lies outside the repository.
    OutsideRepo { target: String },
    /// A link whose target does not exist, or cannot be resolved (a loop
    /// of links): `problem` says which.
    BrokenLink { target: String, problem: String },
    /// A link to a directory, which rbacc does not follow.
    LinkToDirectory { target: String },
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge { size: u64 },
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
    /// `today`.
    pub fn from_worktree(repo: &Path, today: crate::clock::Date) -> Result<Input, Error> {
        let root = repo.canonicalize().map_err(|e| Error::io(repo, e))?;
        let config_path = root.join(CONFIG_FILE);
        if !config_path.exists() {
            return Err(Error::NoConfig {
                repo: repo.to_path_buf(),
            });
        }
        let mut input = Input {
            config: Some(read_file(&root, &config_path, CONFIG_FILE.to_string())?),
            today: Some(today),
            ..Input::default()
        };
        for rel in crate::codeowners::LOCATIONS {
            let path = root.join(rel);
            if path.symlink_metadata().is_ok() && !path.is_dir() {
                input
                    .codeowners
                    .push(read_file(&root, &path, rel.to_string())?);
            }
        }
        let templates = root.join(TEMPLATES_DIR);
        if templates.is_dir() {
            let entries = WalkDir::new(&templates)
                .max_depth(1)
                .follow_links(false)
                .sort_by_file_name();
            for entry in entries {
                let entry = entry.map_err(|e| Error::io(&templates, e.into()))?;
                let name = entry.file_name().to_string_lossy();
                if name.ends_with(TEMPLATE_SUFFIX) && !name.starts_with('.') {
                    let rel = relative(&root, entry.path());
                    input.templates.push(read_file(&root, entry.path(), rel)?);
                }
            }
        }
        let teams = root.join(TEAMS_DIR);
        if !teams.is_dir() {
            return Ok(input);
        }
        let walker = WalkDir::new(&teams).follow_links(false).sort_by_file_name();
        let mut to_read: Vec<(PathBuf, String)> = Vec::new();
        for entry in walker {
            let entry = entry.map_err(|e| {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| teams.clone());
                Error::io(&path, e.into())
            })?;
            let name = entry.file_name().to_string_lossy();
            if name.starts_with('.') && entry.depth() > 0 {
                continue;
            }
            let rel = relative(&root, entry.path());
            // The walk does not follow links, so the files of a linked
            // directory would silently go unread: refuse the link instead.
            if entry.depth() > 0 && entry.path_is_symlink() && entry.path().is_dir() {
                to_read.push((entry.path().to_path_buf(), rel));
                continue;
            }
            let is_file = entry.file_type().is_file() || entry.path_is_symlink();
            if !is_file {
                continue;
            }
            if name.ends_with(".yml") {
                input.ignored.push(rel);
                continue;
            }
            if !name.ends_with(".yaml") {
                continue;
            }
            if to_read.len() >= MAX_TEAM_FILES {
                return Err(Error::TooManyFiles {
                    dir: teams,
                    limit: MAX_TEAM_FILES,
                });
            }
            to_read.push((entry.path().to_path_buf(), rel));
        }
        // Read in parallel, kept in walk order.
        input.teams = to_read
            .into_par_iter()
            .map(|(path, rel)| read_file(&root, &path, rel))
            .collect::<Result<_, _>>()?;
        Ok(input)
    }
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads one file, refusing links that leave the repository, lead nowhere
/// or lead to a directory, and files over the size limit.
fn read_file(root: &Path, path: &Path, rel: String) -> Result<InputFile, Error> {
    let refused = |rel: String, why: Refused| {
        Ok(InputFile {
            path: rel,
            contents: Err(why),
        })
    };
    let is_link = path
        .symlink_metadata()
        .map_err(|e| Error::io(path, e))?
        .file_type()
        .is_symlink();
    // Resolved, so that a link anywhere on the way (the file, or a directory
    // such as `teams/` itself) is caught.
    let target: PathBuf = match path.canonicalize() {
        Ok(t) => t,
        Err(e) if is_link => {
            // As written in the link, which is what the user can fix.
            let target = std::fs::read_link(path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            let problem = match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                _ => format!("cannot be resolved ({e})"),
            };
            return refused(rel, Refused::BrokenLink { target, problem });
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if !target.starts_with(root) {
        let target = target.display().to_string();
        return refused(rel, Refused::OutsideRepo { target });
    }
    if is_link && target.is_dir() {
        let target = relative(root, &target);
        return refused(rel, Refused::LinkToDirectory { target });
    }
    let size = path.metadata().map_err(|e| Error::io(path, e))?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Ok(InputFile {
            path: rel,
            contents: Err(Refused::TooLarge { size }),
        });
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    Ok(InputFile {
        path: rel,
        contents: Ok(bytes),
    })
}

/// The raw declarations of one [`Input`].
pub struct Parsed {
    pub config: raw::Config,
    pub teams: Vec<raw::Team>,
    /// Kubeconfig templates by name (file name without `.yaml.j2`).
    pub templates: Vec<Template>,
    /// The date expiring access is judged on ([`Input::today`]).
    pub today: Option<crate::clock::Date>,
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
    };
    if let Some(file) = &input.config
        && let Some((id, text, root)) = read_yaml(file, Document::Config, sources, diags)
    {
        parsed.config = raw::decode_config(&mut Decoder::new(diags, &text), id, &root);
    }
    // Texts are registered in order; parsing and decoding, the expensive
    // part, run in parallel with a diagnostics list per file.
    let texts: Vec<(&InputFile, FileId, Arc<str>)> = input
        .teams
        .iter()
        .filter_map(|file| read_text(file, sources, diags).map(|(id, text)| (file, id, text)))
        .collect();
    let decoded: Vec<(Option<raw::Team>, Diagnostics)> = texts
        .par_iter()
        .map(|(file, id, text)| {
            let mut local = Diagnostics::default();
            let team = match parse_document(file, Document::Team, *id, text) {
                Err(d) => {
                    local.push(d);
                    None
                }
                Ok(root) => {
                    let stem = file
                        .path
                        .rsplit('/')
                        .next()
                        .and_then(|name| name.strip_suffix(".yaml"))
                        .unwrap_or_default()
                        .to_string();
                    Some(raw::decode_team(
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
        parsed.teams.extend(team);
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
            let d = match refused {
                Refused::OutsideRepo { target } => Diagnostic::error(
                    Code::OutsideRepo,
                    Span::file_start(id),
                    format!(
                        "`{}` leads to `{target}`, outside the repository",
                        file.path
                    ),
                )
                .help("declarations must live in the repository; replace the link with the file"),
                Refused::BrokenLink { target, problem } => Diagnostic::error(
                    Code::InvalidLink,
                    Span::file_start(id),
                    format!("`{}` is a link to `{target}`, which {problem}", file.path),
                )
                .help("point the link at an existing file, or remove it"),
                Refused::LinkToDirectory { target } => Diagnostic::error(
                    Code::InvalidLink,
                    Span::file_start(id),
                    format!("`{}` is a link to the directory `{target}`", file.path),
                )
                .help(
                    "rbacc does not follow links to directories: \
                     move the files here, or link each file",
                ),
                Refused::TooLarge { size } => Diagnostic::error(
                    Code::InputLimit,
                    Span::file_start(id),
                    format!(
                        "`{}` is {size} bytes, more than the limit of {MAX_FILE_BYTES}",
                        file.path
                    ),
                )
                .help("split the declarations over several files"),
            };
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
