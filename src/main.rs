//! The `rbacc` binary: parses arguments, runs a command, maps the outcome to
//! an exit code (0 success, 1 a finding, 2 usage or environment error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use rbacc::cli::{Cli, ColorChoice, Command, Format, RepoArgs, SourceArgs};
use rbacc::error::Error;
use rbacc::load::Input;
use rbacc::query::{self, Answer, QueryError, Scope, Target};
use rbacc::report::{self, Style};
use rbacc::{Compilation, output};

/// What a command found, as an exit code.
enum Outcome {
    Success,
    Finding,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = Style {
        color: match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        },
        width: 100,
    };
    let ui = Ui {
        style,
        quiet: cli.quiet,
        verbose: cli.verbose,
    };
    // Symbols and colour in query tables only on a terminal.
    let fancy = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let style = |source: &SourceArgs| query::Style {
        format: source.output,
        fancy,
    };
    let result = match &cli.command {
        Command::Build(args) => build(&ui, &args.repo).map_err(|e| e.to_string()),
        Command::Check(args) => check(&ui, &args.repo, args.format).map_err(|e| e.to_string()),
        Command::CanI(args) => {
            let scope = Scope::Request(args.namespace.as_deref());
            run_query(&ui, &args.source, scope, |target| {
                query::can_i(target, args, style(&args.source), ui.quiet)
            })
        }
        Command::WhoCan(args) => {
            let scope = Scope::Request(args.namespace.as_deref());
            run_query(&ui, &args.source, scope, |target| {
                query::who_can(target, args, style(&args.source))
            })
        }
        Command::Access(args) => {
            let scope = match &args.namespace {
                Some(namespace) => Scope::Request(Some(namespace)),
                None => Scope::All,
            };
            run_query(&ui, &args.source, scope, |target| {
                query::access(target, args, style(&args.source))
            })
        }
        Command::Explain(args) => explain(&ui, args),
        Command::Init(args) => init(&ui, args),
        Command::Completions(args) => print(&rbacc::shell::completions(args.shell)),
        Command::Man => print(&rbacc::shell::man()),
        Command::Schema(args) => print(&rbacc::schema::text(args.file.into())),
        Command::Diff(args) => {
            rbacc::diff::cli(args, ui.style, ui.quiet, ui.verbose).map(|exit| match exit {
                rbacc::diff::Exit::Success => Outcome::Success,
                rbacc::diff::Exit::Finding => Outcome::Finding,
            })
        }
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Finding) => ExitCode::from(1),
        Err(e) => {
            ui.error(&e);
            ExitCode::from(2)
        }
    }
}

/// Writes a new repository, then compiles its `out/` as `build` does.
/// Nothing is written when any of its files exists.
fn init(ui: &Ui, args: &rbacc::cli::InitArgs) -> Result<Outcome, String> {
    let files = rbacc::init::scaffold(&args.git_url);
    let Some(output) = rbacc::compile(&rbacc::init::input(&files)).output else {
        return Err("internal error: the scaffold does not compile".to_string());
    };
    let out = output.files.keys().map(|p| format!("out/{p}"));
    let existing = rbacc::init::conflicts(&args.dir, files.keys().cloned().chain(out));
    if !existing.is_empty() {
        return Err(format!(
            "{} already has files `rbacc init` would write; nothing was written:\n  {}",
            args.dir.display(),
            existing.join("\n  ")
        ));
    }
    rbacc::init::write(&args.dir, &files).map_err(|e| e.to_string())?;
    let repo = RepoArgs {
        repo: args.dir.clone(),
        out: None,
    };
    let outcome = build(ui, &repo).map_err(|e| e.to_string())?;
    ui.status(&format!(
        "created an rbacc repository in {}: set your cluster's server in rbacc.yaml and the git URL in deploy/, then `rbacc build`",
        args.dir.display()
    ));
    Ok(outcome)
}

/// Prints generated text; a closed pipe is not an error worth reporting.
fn explain(ui: &Ui, args: &rbacc::cli::ExplainArgs) -> Result<Outcome, String> {
    use rbacc::explain::{ObjectRef, explain};
    let object = ObjectRef::parse(&args.object, args.namespace.as_deref())?;
    let repo = RepoArgs {
        repo: args.repo.clone(),
        out: None,
    };
    let input = load(ui, &repo).map_err(|e| e.to_string())?;
    let compilation = rbacc::compile(&input);
    if compilation.output.is_none() {
        ui.diagnostics(&compilation, Format::Human);
        ui.error("invalid declarations; no answer");
        return Ok(Outcome::Finding);
    }
    let Some(explanation) = explain(&compilation, &object) else {
        let place = match &object.namespace {
            Some(ns) => format!(" in namespace `{ns}`"),
            None => String::new(),
        };
        ui.error(&format!(
            "rbacc generates no {} `{}`{place}",
            object.kind, object.name
        ));
        return Ok(Outcome::Finding);
    };
    let text = match args.output {
        rbacc::cli::OutputFormat::Text => explanation.text(),
        rbacc::cli::OutputFormat::Json => {
            let mut json = serde_json::to_string_pretty(&explanation)
                .map_err(|e| format!("internal error: {e}"))?;
            json.push('\n');
            json
        }
    };
    print(&text)
}

fn print(text: &str) -> Result<Outcome, String> {
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(Outcome::Success)
}

struct Ui {
    style: Style,
    quiet: bool,
    verbose: bool,
}

impl Ui {
    /// Writes to stderr; a closed pipe is not an error worth reporting.
    fn eprint(&self, text: &str) {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }

    fn status(&self, text: &str) {
        if !self.quiet {
            self.eprint(&format!("{text}\n"));
        }
    }

    /// With `--verbose`, how long a stage took.
    fn timing(&self, stage: &str, took: std::time::Duration) {
        if self.verbose {
            self.eprint(&format!(
                "{stage:>10} {:>8.1} ms\n",
                took.as_secs_f64() * 1000.0
            ));
        }
    }

    fn error(&self, text: &str) {
        self.eprint(&format!("error: {text}\n"));
    }

    fn diagnostics(&self, compilation: &Compilation, format: Format) {
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
            Format::Github => {
                let _ = std::io::stdout().write_all(text.as_bytes());
            }
            Format::Human => self.eprint(&text),
        }
    }
}

/// Reads the repository's declarations.
fn load(ui: &Ui, repo: &RepoArgs) -> Result<Input, Error> {
    let start = Instant::now();
    let input = Input::from_worktree(&repo.repo, rbacc::clock::today()?)?;
    ui.timing("load", start.elapsed());
    Ok(input)
}

/// Whether the record of the last build shows `out/` up to date for
/// `input`, so that nothing needs compiling.
fn known_up_to_date(ui: &Ui, out_dir: &std::path::Path, input: &Input) -> bool {
    let start = Instant::now();
    let fresh = output::known_up_to_date(out_dir, output::fingerprint(input));
    ui.timing("state", start.elapsed());
    fresh
}

fn compile(ui: &Ui, input: &Input, format: Format) -> Option<(Compilation, rbacc::emit::Output)> {
    let mut compilation = rbacc::compile(input);
    for (stage, took) in &compilation.timings {
        ui.timing(stage, *took);
    }
    ui.diagnostics(&compilation, format);
    compilation
        .output
        .take()
        .map(|output| (compilation, output))
}

/// Loads the manifests a query is about (the repository compiled in memory,
/// or `--manifests DIR`), answers it and prints the answer. `can-i`'s `no`
/// and invalid declarations are findings (exit 1).
fn run_query(
    ui: &Ui,
    source: &SourceArgs,
    scope: Scope<'_>,
    answer: impl FnOnce(&Target) -> Result<Answer, QueryError>,
) -> Result<Outcome, String> {
    let target = match &source.manifests {
        Some(dir) => {
            let start = Instant::now();
            let target = Target::from_dir(dir).map_err(|e| e.to_string())?;
            ui.timing("load", start.elapsed());
            target
        }
        None => {
            let repo = RepoArgs {
                repo: source.repo.clone(),
                out: None,
            };
            let input = load(ui, &repo).map_err(|e| e.to_string())?;
            // Warnings about the declarations are `check`'s to report; an
            // answer shows diagnostics only when there is none.
            let mut compilation = rbacc::compile(&input);
            for (stage, took) in &compilation.timings {
                ui.timing(stage, *took);
            }
            let Some(output) = compilation.output.take() else {
                ui.diagnostics(&compilation, Format::Human);
                ui.error("invalid declarations; no answer");
                return Ok(Outcome::Finding);
            };
            let start = Instant::now();
            let target = Target::from_output(&output, source.cluster.as_deref(), scope)
                .map_err(|e| e.to_string())?;
            ui.timing("manifests", start.elapsed());
            target
        }
    };
    let start = Instant::now();
    let answer = answer(&target).map_err(|e| e.to_string())?;
    ui.timing("evaluate", start.elapsed());
    if !ui.quiet {
        for warning in &answer.warnings {
            ui.eprint(&format!("warning: {warning}\n"));
        }
    }
    if ui.verbose {
        for detail in &answer.details {
            ui.eprint(&format!("{detail}\n"));
        }
    }
    let _ = std::io::stdout().write_all(answer.stdout.as_bytes());
    Ok(if answer.yes {
        Outcome::Success
    } else {
        Outcome::Finding
    })
}

fn build(ui: &Ui, repo: &RepoArgs) -> Result<Outcome, Error> {
    let input = load(ui, repo)?;
    let out_dir = repo.out_dir();
    if known_up_to_date(ui, &out_dir, &input) {
        ui.status(&format!(
            "{}: 0 added, 0 changed, 0 removed; nothing changed since the last build",
            out_dir.display()
        ));
        return Ok(Outcome::Success);
    }
    let Some((compilation, output)) = compile(ui, &input, Format::Human) else {
        ui.error("invalid declarations; nothing was written");
        return Ok(Outcome::Finding);
    };
    let start = Instant::now();
    let plan = output::write(&out_dir, &output)?;
    ui.timing("write", start.elapsed());
    // Warnings must show on every build: record only warning-free ones.
    let start = Instant::now();
    if compilation.diagnostics.is_empty() {
        output::record(&out_dir, output::fingerprint(&input))?;
    } else {
        output::forget(&out_dir)?;
    }
    ui.timing("record", start.elapsed());
    for path in &plan.foreign {
        ui.status(&format!("kept {path}: not generated by rbacc"));
    }
    ui.status(&format!(
        "{}: {} added, {} changed, {} removed, {} unchanged",
        out_dir.display(),
        plan.added.len(),
        plan.changed.len(),
        plan.removed.len(),
        plan.unchanged.len()
    ));
    Ok(Outcome::Success)
}

fn check(ui: &Ui, repo: &RepoArgs, format: Format) -> Result<Outcome, Error> {
    let input = load(ui, repo)?;
    let out_dir = repo.out_dir();
    if known_up_to_date(ui, &out_dir, &input) {
        ui.status(&format!(
            "{} is up to date (nothing changed since the last build)",
            out_dir.display()
        ));
        return Ok(Outcome::Success);
    }
    let Some((compilation, output)) = compile(ui, &input, format) else {
        return Ok(Outcome::Finding);
    };
    let start = Instant::now();
    let plan = output::plan(&out_dir, &output)?;
    ui.timing("compare", start.elapsed());
    let expired = compilation
        .diagnostics
        .iter()
        .any(|d| d.code == rbacc::diag::Code::Expired);
    if plan.is_clean() {
        ui.status(&format!(
            "{} is up to date ({} files)",
            out_dir.display(),
            plan.unchanged.len()
        ));
        return Ok(Outcome::Success);
    }
    let mut text = format!(
        "{} is not what `rbacc build` would write:\n",
        out_dir.display()
    );
    for (mark, list) in [
        ("missing", &plan.added),
        ("differs", &plan.changed),
        ("stale", &plan.removed),
    ] {
        for path in list {
            text.push_str(&format!("  {mark:<8} {path}\n"));
        }
    }
    if expired {
        text.push_str("it may still grant access that has expired (see the warnings above)\n");
    }
    text.push_str("run `rbacc build` and commit the result\n");
    ui.eprint(&text);
    if format == Format::Github {
        let _ = std::io::stdout().write_all(
            format!("::error title=stale-output::{} is stale: run `rbacc build` and commit the result\n", out_dir.display())
                .as_bytes(),
        );
    }
    Ok(Outcome::Finding)
}
