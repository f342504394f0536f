//! Environment errors: problems that are not in the user's declarations
//! (I/O, a missing repository, a held lock). `main` maps them to exit code 2.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no `rbacc.yaml` in {}: is this an rbacc repository? (`--repo DIR` names another)", repo.display())]
    NoConfig { repo: PathBuf },
    #[error("more than {limit} files under {}", dir.display())]
    TooManyFiles { dir: PathBuf, limit: usize },
    #[error("another `rbacc build` is writing {}; try again when it has finished", out.display())]
    Locked { out: PathBuf },
    #[error("an interrupted build left an update of {} pending; run `rbacc build` to finish it (a journal is never committed: if no build of yours was interrupted, delete the `.{}.rbacc-journal` file and `.{0}.rbacc-staging` directory beside it and look at who added them)", out.display(), out.file_name().map_or("out".into(), |n| n.to_string_lossy()))]
    PendingUpdate { out: PathBuf },
    #[error("{} is a link or not what rbacc writes there; rbacc never replays an update through it. Delete it (it is never committed) and build again", path.display())]
    ForeignJournal { path: PathBuf },
    #[error("`RBACC_TODAY={value}` is not a date: {problem}")]
    InvalidToday { value: String, problem: String },
    #[error("{} exists and is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    #[error("{} is a symbolic link; rbacc writes only into a real directory: pass the directory it leads to", path.display())]
    OutIsLink { path: PathBuf },
    #[error(
        "{} holds symbolic links, which `rbacc build` never follows; nothing was written. Remove them:\n  {}",
        out.display(),
        links.join("\n  ")
    )]
    LinksInOut { out: PathBuf, links: Vec<String> },
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
