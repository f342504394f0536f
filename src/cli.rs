//! Command-line arguments, as the user typed them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Compile team declarations into deterministic Kubernetes RBAC manifests.
#[derive(Debug, Parser)]
#[command(name = "rbacc", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour output: `auto` colours on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print only errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also print how long each stage took.
    #[arg(long, short, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the declarations and write `out/`.
    #[command(
        after_help = "Examples:\n  rbacc build\n  rbacc build --repo ../platform-rbac --out /tmp/out"
    )]
    Build(BuildArgs),
    /// Validate, and fail when `out/` is not exactly what `build` would write.
    #[command(
        after_help = "Examples:\n  rbacc check\n  rbacc check --format github   # annotations on the pull request"
    )]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The repository: the directory holding `rbacc.yaml` and `teams/`.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,

    /// The output directory [default: <repo>/out].
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl RepoArgs {
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| self.repo.join("out"))
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub repo: RepoArgs,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics with source snippets.
    Human,
    /// GitHub Actions annotations (`::error file=…,line=…::…`).
    Github,
}
