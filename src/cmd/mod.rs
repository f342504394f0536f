//! The commands: each module takes its arguments as clap typed them, runs
//! the library's stages, prints, and says what it found ([`Outcome`]).
//! Everything that prints, decides colour or picks an exit code is here;
//! the library returns data.

pub mod args;
mod audit;
mod build;
mod codeowners;
mod diff;
mod explain;
mod import;
mod init;
mod progress;
mod query;
mod report_page;
mod shell;

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use rbacc::codeowners::Syntax;
use rbacc::diag::Severity;
use rbacc::diag::{Diagnostic, Diagnostics};
use rbacc::emit::Selection;
use rbacc::error::Error;
use rbacc::load::Input;
use rbacc::report::{self, Format, Style};
use rbacc::source::Sources;
use rbacc::{Compilation, Settings, output};

use args::{Cli, ColorChoice, Command, RepoArgs};
use progress::Progress;

/// What a command found, as an exit code.
pub enum Outcome {
    Success,
    Finding,
}

/// Runs the command `cli` names. An error is for exit code 2.
pub fn run(cli: &Cli) -> (Ui, Result<Outcome, String>) {
    let ui = Ui::new(cli);
    if !ui.quiet && deprecated_format(std::env::args_os()) {
        ui.eprint("warning: `--format` is deprecated and will be removed: use `-o`/`--output`\n");
    }
    let result = match &cli.command {
        Command::Build(args) => {
            build::build(&ui, &args.repo, args.output.into()).map_err(|e| e.to_string())
        }
        Command::Check(args) => {
            build::check(&ui, &args.repo, args.output.into()).map_err(|e| e.to_string())
        }
        Command::CanI(args) => query::can_i(&ui, args),
        Command::WhoCan(args) => query::who_can(&ui, args),
        Command::Access(args) => query::access(&ui, args),
        Command::Explain(args) => explain::explain(&ui, args),
        Command::Codeowners(args) => codeowners::codeowners(&ui, args),
        Command::Init(args) => init::init(&ui, args),
        Command::Completions(args) => print(&shell::completions(args.shell)),
        Command::Man(args) => shell::man_command(args),
        Command::CompleteClusters => print(&shell::clusters()),
        Command::Schema(args) => print(&rbacc::schema::text(args.file.into())),
        Command::Diff(args) => diff::diff(&ui, args),
        Command::Audit(args) => audit::audit(&ui, args),
        Command::Import(args) => import::import(&ui, args),
        Command::Report(args) => report_page::report(&ui, args),
    };
    (ui, result)
}

/// Whether the command line spells `-o` the old way, `--format` (clap has
/// parsed it already, as the hidden alias, so only `check`, `codeowners`
/// and `diff` get this far with it). Arguments after `--` are values.
fn deprecated_format(args: impl IntoIterator<Item = std::ffi::OsString>) -> bool {
    let long = format!("--{}", args::DEPRECATED_FORMAT);
    args.into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .any(|a| a == long || a.starts_with(&format!("{long}=")))
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
    /// `--max-diagnostics`: how many diagnostics of each code the text
    /// report shows in full.
    pub(crate) max_diagnostics: Option<usize>,
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
            max_diagnostics: cli.max_diagnostics,
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

    /// Prints the compilation's diagnostics for people as soon as they are
    /// known: annotations on stdout with `github` (the runner reads them
    /// there), else the text report on stderr, also beside a document, so
    /// that a CI log shows what the document holds. With `--quiet`, only
    /// when there is an error. Documents are printed by [`Ui::document`].
    pub(crate) fn diagnostics(&self, compilation: &Compilation, format: Format) {
        self.report(&compilation.diagnostics, &compilation.sources, format);
    }

    /// [`Ui::diagnostics`] of any list: the text report shows the first
    /// few of each code ([`Ui::per_code`]), annotations as many as GitHub
    /// shows.
    pub(crate) fn report(&self, diags: &Diagnostics, sources: &Sources, format: Format) {
        if diags.is_empty() || (self.quiet && !diags.has_errors()) {
            return;
        }
        match format {
            Format::Github => self.print(&report::render_github(diags, sources)),
            _ => self.eprint(&report::render(
                diags,
                sources,
                self.style,
                self.per_code(diags),
            )),
        }
    }

    /// How many diagnostics of each code the text report of `diags` shows
    /// in full (`None`: all): `--max-diagnostics`, else all with
    /// `--verbose` or when they fit on a screen
    /// ([`report::SUMMARISED_ABOVE`]), else [`report::SHOWN_PER_CODE`].
    pub(crate) fn per_code(&self, diags: &Diagnostics) -> Option<usize> {
        match self.max_diagnostics {
            Some(n) => Some(n),
            None if self.verbose => None,
            None if diags.iter().count() <= report::SUMMARISED_ABOVE => None,
            None => Some(report::SHOWN_PER_CODE),
        }
    }

    /// With a document format (json, sarif, gitlab), prints the whole
    /// document on stdout: the compilation's diagnostics in report order,
    /// then `more`, in that order. Printed whatever `--quiet` says, and
    /// also when there is nothing in it. Nothing for the other formats.
    pub(crate) fn document(
        &self,
        format: Format,
        compilation: Option<&Compilation>,
        more: &[Diagnostic],
    ) {
        self.document_of(
            format,
            compilation.map(|c| (&c.diagnostics, &c.sources)),
            more,
        );
    }

    /// [`Ui::document`] of any list.
    pub(crate) fn document_of(
        &self,
        format: Format,
        found: Option<(&Diagnostics, &Sources)>,
        more: &[Diagnostic],
    ) {
        if !format.is_document() {
            return;
        }
        let empty = Sources::default();
        let (mut list, sources) = match found {
            Some((diagnostics, sources)) => (diagnostics.sorted(sources), sources),
            None => (Vec::new(), &empty),
        };
        list.extend(more);
        self.print(&report::render_as(format, &list, sources, self.style));
    }
}

/// Reads the repository's declarations.
pub(crate) fn load(ui: &Ui, repo: &RepoArgs) -> Result<Input, Error> {
    load_at(ui, &repo.repo)
}

/// [`load`] from the repository at `repo`, for a command that reads no
/// `out/`.
pub(crate) fn load_at(ui: &Ui, repo: &std::path::Path) -> Result<Input, Error> {
    let start = Instant::now();
    let input = Input::from_worktree(repo, rbacc::clock::today()?)?;
    ui.timing("load", start.elapsed());
    Ok(input)
}

/// Whether the record of the last build shows `out/` up to date for
/// `input`, so that nothing needs compiling: then the diagnostics that
/// build reported, with their sources, to report again.
pub(crate) fn known_up_to_date(
    ui: &Ui,
    out_dir: &std::path::Path,
    state: Option<&std::path::Path>,
    input: &Input,
) -> Option<(Diagnostics, Sources)> {
    let start = Instant::now();
    let recorded = output::known_up_to_date(out_dir, state?, output::fingerprint(input));
    let replay = recorded.and_then(|text| match text.is_empty() {
        true => Some((Diagnostics::default(), Sources::default())),
        false => rbacc::replay::decode(&text, input),
    });
    ui.timing("state", start.elapsed());
    replay
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
/// diagnostics for people ([`Ui::diagnostics`]) and returns the
/// compilation, without output when there is an error in the declarations.
pub(crate) fn compile_all(ui: &Ui, input: &Input, extras: &Extras, format: Format) -> Compilation {
    let compilation = compile_unreported(ui, input, extras);
    ui.diagnostics(&compilation, format);
    compilation
}

/// [`compile_all`], leaving the diagnostics to the caller.
pub(crate) fn compile_unreported(ui: &Ui, input: &Input, extras: &Extras) -> Compilation {
    let teams = rbacc::report::thousands(input.teams.len() as u64);
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
    compilation
}

#[cfg(test)]
mod tests {
    use super::deprecated_format;

    #[test]
    fn format_is_found_before_a_double_dash_only() {
        let args = |list: &[&str]| {
            list.iter()
                .map(std::ffi::OsString::from)
                .collect::<Vec<_>>()
        };
        assert!(deprecated_format(args(&[
            "rbacc", "check", "--format", "github"
        ])));
        assert!(deprecated_format(args(&["rbacc", "diff", "--format=json"])));
        assert!(!deprecated_format(args(&[
            "rbacc", "check", "-o", "github"
        ])));
        assert!(!deprecated_format(args(&["rbacc", "check", "--formats"])));
        assert!(!deprecated_format(args(&[
            "rbacc", "explain", "--", "--format"
        ])));
    }
}
