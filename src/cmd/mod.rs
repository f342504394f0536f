//! The commands: each module takes its arguments as clap typed them, runs
//! the library's stages, prints, and says what it found ([`Outcome`]).
//! Everything that prints, decides colour or picks an exit code is here;
//! the library returns data.

pub mod args;
mod build;
mod codeowners;
mod diff;
mod explain;
mod init;
mod progress;
mod query;
mod shell;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use rbacc::codeowners::Syntax;
use rbacc::diag::Severity;
use rbacc::emit::Selection;
use rbacc::error::Error;
use rbacc::load::Input;
use rbacc::report::{self, Style};
use rbacc::{Compilation, Settings, output};

use args::{Cli, ColorChoice, Command, Format, RepoArgs};
use progress::Progress;

/// What a command found, as an exit code.
pub enum Outcome {
    Success,
    Finding,
}

/// Runs the command `cli` names. An error is for exit code 2.
pub fn run(cli: &Cli) -> (Ui, Result<Outcome, String>) {
    let ui = Ui::new(cli);
    let result = match &cli.command {
        Command::Build(args) => build::build(&ui, &args.repo).map_err(|e| e.to_string()),
        Command::Check(args) => {
            build::check(&ui, &args.repo, args.format).map_err(|e| e.to_string())
        }
        Command::CanI(args) => query::can_i(&ui, args),
        Command::WhoCan(args) => query::who_can(&ui, args),
        Command::Access(args) => query::access(&ui, args),
        Command::Explain(args) => explain::explain(&ui, args),
        Command::Codeowners(args) => codeowners::codeowners(&ui, args),
        Command::Init(args) => init::init(&ui, args),
        Command::Completions(args) => print(&shell::completions(args.shell)),
        Command::Man => print(&shell::man()),
        Command::Schema(args) => print(&rbacc::schema::text(args.file.into())),
        Command::Diff(args) => diff::diff(&ui, args),
    };
    (ui, result)
}

/// Prints generated text; a closed pipe is not an error worth reporting.
pub(crate) fn print(text: &str) -> Result<Outcome, String> {
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(Outcome::Success)
}

pub struct Ui {
    pub(crate) style: Style,
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
    /// The progress line of long operations, on a terminal only.
    pub(crate) progress: Progress,
    /// Symbols and colour in query tables (on stdout).
    pub(crate) fancy: bool,
}

impl Ui {
    /// Colour on a stream only with `--color always`, or on a terminal
    /// when `NO_COLOR` is unset or empty.
    fn new(cli: &Cli) -> Ui {
        let colour = |terminal: bool| match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Ui {
            style: Style {
                color: colour(std::io::stderr().is_terminal()),
                width: 100,
            },
            quiet: cli.quiet,
            verbose: cli.verbose,
            progress: Progress::stderr(!cli.quiet && std::io::stderr().is_terminal()),
            fancy: colour(std::io::stdout().is_terminal()),
        }
    }

    /// Writes to stderr, above the progress line; a closed pipe is not an
    /// error worth reporting.
    pub(crate) fn eprint(&self, text: &str) {
        self.progress.suspend(|| {
            let _ = std::io::stderr().write_all(text.as_bytes());
        });
    }

    /// Writes to stdout, with the progress line out of the way.
    pub(crate) fn print(&self, text: &str) {
        self.progress.suspend(|| {
            let _ = std::io::stdout().write_all(text.as_bytes());
        });
    }

    /// A line of status; paths in it may come from a pull request, so no
    /// control character is printed raw.
    pub(crate) fn status(&self, text: &str) {
        if !self.quiet {
            self.eprint(&format!("{}\n", rbacc::text::visible_lines(text)));
        }
    }

    /// With `--verbose`, how long a stage took.
    pub(crate) fn timing(&self, stage: &str, took: std::time::Duration) {
        if self.verbose {
            self.eprint(&format!(
                "{stage:>10} {:>8.1} ms\n",
                took.as_secs_f64() * 1000.0
            ));
        }
    }

    pub(crate) fn error(&self, text: &str) {
        self.progress.finish();
        self.eprint(&format!("error: {}\n", rbacc::text::visible_lines(text)));
    }

    pub(crate) fn diagnostics(&self, compilation: &Compilation, format: Format) {
        let diags = &compilation.diagnostics;
        if diags.is_empty() || (self.quiet && !diags.has_errors()) {
            return;
        }
        let text = match format {
            Format::Human => report::render(diags, &compilation.sources, self.style),
            Format::Github => report::render_github(diags, &compilation.sources),
        };
        match format {
            // Annotations are read from stdout by the runner.
            Format::Github => self.print(&text),
            Format::Human => self.eprint(&text),
        }
    }
}

/// Reads the repository's declarations.
pub(crate) fn load(ui: &Ui, repo: &RepoArgs) -> Result<Input, Error> {
    let start = Instant::now();
    let input = Input::from_worktree(&repo.repo, rbacc::clock::today()?)?;
    ui.timing("load", start.elapsed());
    Ok(input)
}

/// Whether the record of the last build shows `out/` up to date for
/// `input`, so that nothing needs compiling.
pub(crate) fn known_up_to_date(ui: &Ui, out_dir: &std::path::Path, input: &Input) -> bool {
    let start = Instant::now();
    let fresh = output::known_up_to_date(out_dir, output::fingerprint(input));
    ui.timing("state", start.elapsed());
    fresh
}

/// What `build`, `check` and `codeowners` make besides the files of `out/`.
#[derive(Default)]
pub(crate) struct Extras {
    /// Render the CODEOWNERS file in these syntaxes (and check every
    /// team's owners as those forges read them).
    pub(crate) codeowners: BTreeSet<Syntax>,
    /// Where `out/` lies in the repository, for CODEOWNERS patterns.
    pub(crate) out: Option<String>,
    /// Compare every committed CODEOWNERS file rbacc generated with what it
    /// generates now, reporting each that differs with this severity.
    pub(crate) stale: Option<Severity>,
}

/// Compiles the whole of `out/` and what `extras` asks for, prints the
/// diagnostics and returns the compilation, or `None` when there is an
/// error in the declarations.
pub(crate) fn compile_all(
    ui: &Ui,
    input: &Input,
    extras: &Extras,
    format: Format,
) -> Option<Compilation> {
    let teams = progress::thousands(input.teams.len() as u64);
    ui.progress
        .stage(&format!("compiling {teams} team files"), 0);
    let settings = Settings {
        codeowners: extras.codeowners.clone(),
        ..Settings::default()
    };
    let mut compilation = rbacc::compile(input, &settings);
    compilation.emit(&Selection::all());
    let committed = rbacc::codeowners::committed(&input.codeowners);
    compilation.codeowners(
        &extras.codeowners,
        extras.out.as_deref(),
        &committed,
        extras.stale,
    );
    ui.progress.finish();
    for (stage, took) in &compilation.timings {
        ui.timing(stage, *took);
    }
    ui.diagnostics(&compilation, format);
    compilation.output.as_ref()?;
    Some(compilation)
}
