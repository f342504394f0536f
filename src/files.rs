//! Which files rbacc reads, and how it reads one.
//!
//! **Selection.** The work tree ([`crate::load`]) and a git revision
//! ([`crate::gitinput`]) hold the same kinds of entries: files, directories
//! and symbolic links. Each walker says what an entry is ([`Found`], links
//! already resolved inside the repository) and [`select`] decides what to
//! do with it, so both read the same files of the same tree: names starting
//! with `.` are skipped with everything below them, `teams/**/*.yaml` and
//! `templates/*.yaml.j2` are read, `.yml` files under `teams/` are listed as
//! ignored (a warning), and links that lead outside the repository, lead
//! nowhere or lead to a directory are refused. [`Chosen`] collects the
//! result, at most [`MAX_TEAM_FILES`] of them.
//!
//! **Reading.** [`read_limited`] is the only way rbacc reads a file it did
//! not write: it opens without blocking (a named pipe never hangs a build),
//! refuses anything that is not a regular file (a pipe, a device, a
//! socket), and reads at most one byte more than the limit, so a file that
//! is larger than its metadata said, or grows while it is read, is refused
//! rather than read whole.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Most team files rbacc reads in one repository.
pub const MAX_TEAM_FILES: usize = 100_000;

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
    /// Larger than `limit` bytes.
    TooLarge { size: u64, limit: u64 },
    /// Not a regular file: `what` it is instead (`a named pipe`).
    NotAFile { what: &'static str },
}

impl Refused {
    /// What is wrong with the file at `path`, for messages.
    pub fn message(&self, path: &str) -> String {
        match self {
            Refused::OutsideRepo { target } => {
                format!("`{path}` leads to `{target}`, outside the repository")
            }
            Refused::BrokenLink { target, problem } => {
                format!("`{path}` is a link to `{target}`, which {problem}")
            }
            Refused::LinkToDirectory { target } => {
                format!("`{path}` is a link to the directory `{target}`")
            }
            Refused::TooLarge { size, limit } => {
                format!("`{path}` is {size} bytes, more than the limit of {limit} bytes")
            }
            Refused::NotAFile { what } => format!("`{path}` is {what}, not a regular file"),
        }
    }
}

/// The directories rbacc reads files from, each with its rule for names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// `teams/`, walked to any depth: `*.yaml` are read, `*.yml` ignored.
    Teams,
    /// `templates/`, one level: `*.yaml.j2` are read.
    Templates,
}

/// The file name ending of a kubeconfig template.
pub const TEMPLATE_SUFFIX: &str = ".yaml.j2";

/// What an entry of a directory is, links resolved within the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Dir,
    /// A file, or a link to one inside the repository. A pipe, a device or
    /// a socket counts as a file here: [`read_limited`] refuses it, so it is
    /// reported rather than silently skipped.
    File,
    /// A link to a directory inside the repository; `target` relative to it.
    LinkToDir {
        target: String,
    },
    /// A link that leads outside the repository: whether to a file or a
    /// directory is not known (a git revision cannot tell), so it is refused
    /// whatever its name.
    LinkOutside {
        target: String,
    },
    /// A link whose target does not exist or cannot be resolved.
    BrokenLink {
        target: String,
        problem: String,
    },
    /// Nothing to read (a git submodule).
    Other,
}

/// What to do with an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Walk the directory.
    Descend,
    /// Read the file.
    Read,
    /// List the file as not read (`ignored-file`).
    Ignore,
    /// Report the entry as refused.
    Refuse(Refused),
    /// Leave it out, with everything below it.
    Skip,
}

/// How a name is treated in an area.
enum Wanted {
    Read,
    Ignore,
    No,
}

impl Area {
    fn wanted(self, name: &str) -> Wanted {
        match self {
            Area::Teams if name.ends_with(".yaml") => Wanted::Read,
            Area::Teams if name.ends_with(".yml") => Wanted::Ignore,
            Area::Templates if name.ends_with(TEMPLATE_SUFFIX) => Wanted::Read,
            _ => Wanted::No,
        }
    }
}

/// What to do with the entry `name` of `area` (below the area's root).
pub fn select(area: Area, name: &str, found: Found) -> Action {
    if name.starts_with('.') {
        return Action::Skip;
    }
    let recursive = area == Area::Teams;
    match found {
        Found::Other => Action::Skip,
        Found::Dir if recursive => Action::Descend,
        Found::Dir => Action::Skip,
        // The files of a linked directory would silently go unread: refuse
        // the link whatever its name.
        Found::LinkToDir { target } if recursive => {
            Action::Refuse(Refused::LinkToDirectory { target })
        }
        Found::LinkOutside { target } if recursive => {
            Action::Refuse(Refused::OutsideRepo { target })
        }
        found => match area.wanted(name) {
            Wanted::No => Action::Skip,
            Wanted::Ignore => Action::Ignore,
            Wanted::Read => match source(found, ()) {
                Ok(()) => Action::Read,
                Err(why) => Action::Refuse(why),
            },
        },
    }
}

/// Where to read an entry that names one file (`rbacc.yaml`, a template,
/// a team file): `at`, or why it cannot be read as a file. A directory or a
/// submodule is for the caller to judge before.
pub fn source<T>(found: Found, at: T) -> Result<T, Refused> {
    match found {
        Found::LinkToDir { target } => Err(Refused::LinkToDirectory { target }),
        Found::LinkOutside { target } => Err(Refused::OutsideRepo { target }),
        Found::BrokenLink { target, problem } => Err(Refused::BrokenLink { target, problem }),
        Found::File | Found::Dir | Found::Other => Ok(at),
    }
}

/// More than [`MAX_TEAM_FILES`] team files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyFiles;

/// The files a walk chose, in walk order: each one to read (`T` says
/// where) or refused, and the ignored ones.
#[derive(Debug)]
pub struct Chosen<T> {
    pub files: Vec<(String, Result<T, Refused>)>,
    pub ignored: Vec<String>,
}

impl<T> Default for Chosen<T> {
    fn default() -> Self {
        Chosen {
            files: Vec::new(),
            ignored: Vec::new(),
        }
    }
}

impl<T> Chosen<T> {
    /// Records `action` for the entry at `rel`; `source` says where to read
    /// it from when it is read. Returns whether to walk into the entry.
    pub fn record(
        &mut self,
        rel: String,
        action: Action,
        source: impl FnOnce() -> T,
    ) -> Result<bool, TooManyFiles> {
        let file = match action {
            Action::Descend => return Ok(true),
            Action::Skip => return Ok(false),
            Action::Ignore => {
                self.ignored.push(rel);
                return Ok(false);
            }
            Action::Read => Ok(source()),
            Action::Refuse(why) => Err(why),
        };
        if self.files.len() >= MAX_TEAM_FILES {
            return Err(TooManyFiles);
        }
        self.files.push((rel, file));
        Ok(false)
    }
}

/// Refuses a file of `size` bytes when that is over `limit`.
pub fn check_size(size: u64, limit: u64) -> Result<(), Refused> {
    if size > limit {
        Err(Refused::TooLarge { size, limit })
    } else {
        Ok(())
    }
}

/// Reads the regular file at `path`, at most `limit` bytes. A pipe, a
/// device or a socket is refused without being read (opening never waits
/// for a writer), as is a file over the limit, however its size changes
/// while it is read. A link at the end of `path` is not followed: callers
/// resolve links first, within the repository, and pass where they lead.
/// `Err` is an I/O error (a missing file, no permission, a link).
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Result<Vec<u8>, Refused>> {
    let file = OpenOptions::new()
        .read(true)
        // Opening a named pipe waits for a writer, and a terminal could
        // become the controlling one: neither may happen. A link put in
        // place of a file after it was chosen is not followed.
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW)
        .open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Ok(Err(Refused::NotAFile {
            what: kind_of(metadata.file_type()),
        }));
    }
    if let Err(why) = check_size(metadata.len(), limit) {
        return Ok(Err(why));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    (&file).take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        // It grew while being read: say how large it is now.
        let size = current_size(&file).max(bytes.len() as u64);
        return Ok(Err(Refused::TooLarge { size, limit }));
    }
    Ok(Ok(bytes))
}

fn current_size(file: &File) -> u64 {
    file.metadata().map(|m| m.len()).unwrap_or(0)
}

/// What a file that is not a regular file is, for messages.
fn kind_of(kind: std::fs::FileType) -> &'static str {
    if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_read_yaml_ignore_yml_and_skip_dot_names() {
        let t = |name: &str, found: Found| select(Area::Teams, name, found);
        assert_eq!(t("a.yaml", Found::File), Action::Read);
        assert_eq!(t("a.yml", Found::File), Action::Ignore);
        assert_eq!(t("README.md", Found::File), Action::Skip);
        assert_eq!(t(".a.yaml", Found::File), Action::Skip);
        assert_eq!(t(".hidden", Found::Dir), Action::Skip);
        assert_eq!(t("sub", Found::Dir), Action::Descend);
        assert_eq!(t("sub.yaml", Found::Other), Action::Skip);
    }

    #[test]
    fn links_that_may_hide_files_are_refused_whatever_their_name() {
        let dir = || Found::LinkToDir {
            target: "x".to_string(),
        };
        let outside = || Found::LinkOutside {
            target: "/x".to_string(),
        };
        for name in ["a.yaml", "a.yml", "notes"] {
            assert!(matches!(
                select(Area::Teams, name, dir()),
                Action::Refuse(Refused::LinkToDirectory { .. })
            ));
            assert!(matches!(
                select(Area::Teams, name, outside()),
                Action::Refuse(Refused::OutsideRepo { .. })
            ));
        }
        let broken = || Found::BrokenLink {
            target: "x".to_string(),
            problem: "does not exist".to_string(),
        };
        assert!(matches!(
            select(Area::Teams, "a.yaml", broken()),
            Action::Refuse(Refused::BrokenLink { .. })
        ));
        assert_eq!(select(Area::Teams, "a.yml", broken()), Action::Ignore);
        assert_eq!(select(Area::Teams, "notes", broken()), Action::Skip);
    }

    #[test]
    fn templates_are_one_level_and_named_yaml_j2() {
        let t = |name: &str, found: Found| select(Area::Templates, name, found);
        assert_eq!(t("oidc.yaml.j2", Found::File), Action::Read);
        assert_eq!(t("oidc.yaml", Found::File), Action::Skip);
        assert_eq!(t("oidc.yml", Found::File), Action::Skip);
        assert_eq!(t("sub.yaml.j2", Found::Dir), Action::Skip);
        assert_eq!(t(".oidc.yaml.j2", Found::File), Action::Skip);
        let outside = Found::LinkOutside {
            target: "/x".to_string(),
        };
        assert_eq!(t("notes", outside.clone()), Action::Skip);
        assert!(matches!(t("x.yaml.j2", outside), Action::Refuse(_)));
    }

    #[test]
    fn chosen_stops_at_the_file_limit() {
        let mut chosen = Chosen::default();
        for i in 0..MAX_TEAM_FILES {
            assert_eq!(
                chosen.record(format!("{i}"), Action::Read, || ()),
                Ok(false)
            );
        }
        assert_eq!(
            chosen.record("one more".to_string(), Action::Read, || ()),
            Err(TooManyFiles)
        );
        assert_eq!(
            chosen.record("x.yml".to_string(), Action::Ignore, || ()),
            Ok(false)
        );
        assert_eq!(chosen.ignored, ["x.yml"]);
    }

    #[test]
    fn reads_regular_files_within_the_limit_only() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, b"12345").expect("write");
        assert_eq!(read_limited(&path, 5).expect("io"), Ok(b"12345".to_vec()));
        assert_eq!(
            read_limited(&path, 4).expect("io"),
            Err(Refused::TooLarge { size: 5, limit: 4 })
        );
        assert_eq!(
            read_limited(dir.path(), 4).expect("io"),
            Err(Refused::NotAFile {
                what: "a directory"
            })
        );
        assert!(read_limited(&dir.path().join("missing"), 4).is_err());
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        assert!(read_limited(&link, 5).is_err(), "a link is not followed");
    }

    #[test]
    fn devices_and_pipes_are_refused_without_reading() {
        for device in ["/dev/zero", "/dev/urandom", "/dev/null"] {
            assert_eq!(
                read_limited(Path::new(device), 1024).expect("io"),
                Err(Refused::NotAFile {
                    what: "a character device"
                }),
                "{device}"
            );
        }
        let dir = tempfile::tempdir().expect("tmp");
        let fifo = dir.path().join("pipe.yaml");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("run mkfifo");
        assert!(status.success());
        assert_eq!(
            read_limited(&fifo, 1024).expect("io"),
            Err(Refused::NotAFile {
                what: "a named pipe"
            })
        );
    }
}
