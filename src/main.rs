//! The `rbacc` binary: parses arguments, runs a command, maps the outcome to
//! an exit code (0 success, 1 a finding, 2 usage or environment error).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use rbacc::cli::{Cli, CodeownersArgs, ColorChoice, Command, Format, RepoArgs, SourceArgs};
use rbacc::codeowners::{self, Syntax};
use rbacc::diag::Severity;
use rbacc::emit::Selection;
use rbacc::error::Error;
use rbacc::load::Input;
use rbacc::progress::Progress;
use rbacc::query::{self, Answer, QueryError, Scope, Target};
use rbacc::report::{self, Style};
use rbacc::{Compilation, Settings, output};

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
        progress: Progress::stderr(!cli.quiet && std::io::stderr().is_terminal()),
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
        format: source.output.into(),
        fancy,
    };
    let result = match &cli.command {
        Command::Build(args) => build(&ui, &args.repo).map_err(|e| e.to_string()),
        Command::Check(args) => check(&ui, &args.repo, args.format).map_err(|e| e.to_string()),
        Command::CanI(args) => {
            let question = query::CanI::from(args);
            run_query(&ui, &args.source, question.request.scope(), |target| {
                query::can_i(target, &question, style(&args.source), ui.quiet)
            })
        }
        Command::WhoCan(args) => {
            let question = query::WhoCan::from(args);
            run_query(&ui, &args.source, question.request.scope(), |target| {
                query::who_can(target, &question, style(&args.source))
            })
        }
        Command::Access(args) => {
            let question = query::AccessQuestion::from(args);
            run_query(&ui, &args.source, question.scope(), |target| {
                query::access(target, &question, style(&args.source))
            })
        }
        Command::Explain(args) => explain(&ui, args),
        Command::Codeowners(args) => codeowners_command(&ui, args),
        Command::Init(args) => init(&ui, args),
        Command::Completions(args) => print(&rbacc::shell::completions(args.shell)),
        Command::Man => print(&rbacc::shell::man()),
        Command::Schema(args) => print(&rbacc::schema::text(args.file.into())),
        Command::Diff(args) => diff(&ui, args),
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
    let Some(output) = rbacc::build(&rbacc::init::input(&files)).output else {
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

/// `rbacc explain`: compiles in memory and explains one object.
fn explain(ui: &Ui, args: &rbacc::cli::ExplainArgs) -> Result<Outcome, String> {
    use rbacc::explain::{ObjectRef, explain};
    let object = ObjectRef::parse(&args.object, args.namespace.as_deref())?;
    let repo = RepoArgs {
        repo: args.repo.clone(),
        out: None,
    };
    let input = load(ui, &repo).map_err(|e| e.to_string())?;
    let settings = Settings {
        explain: true,
        ..Settings::default()
    };
    let mut compilation = rbacc::compile(&input, &settings);
    if compilation.emit(&Selection::all()).is_none() {
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

/// Prints generated text; a closed pipe is not an error worth reporting.
fn print(text: &str) -> Result<Outcome, String> {
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(Outcome::Success)
}

struct Ui {
    style: Style,
    quiet: bool,
    verbose: bool,
    /// The progress line of long operations, on a terminal only.
    progress: Progress,
}

impl Ui {
    /// Writes to stderr, above the progress line; a closed pipe is not an
    /// error worth reporting.
    fn eprint(&self, text: &str) {
        self.progress.suspend(|| {
            let _ = std::io::stderr().write_all(text.as_bytes());
        });
    }

    /// Writes to stdout, with the progress line out of the way.
    fn print(&self, text: &str) {
        self.progress.suspend(|| {
            let _ = std::io::stdout().write_all(text.as_bytes());
        });
    }

    /// A line of status; paths in it may come from a pull request, so no
    /// control character is printed raw.
    fn status(&self, text: &str) {
        if !self.quiet {
            self.eprint(&format!("{}\n", rbacc::text::visible_lines(text)));
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
        self.progress.finish();
        self.eprint(&format!("error: {}\n", rbacc::text::visible_lines(text)));
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
            Format::Github => self.print(&text),
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

/// What `build`, `check` and `codeowners` make besides the files of `out/`.
#[derive(Default)]
struct Extras {
    /// Render the CODEOWNERS file in these syntaxes (and check every
    /// team's owners as those forges read them).
    codeowners: BTreeSet<Syntax>,
    /// Where `out/` lies in the repository, for CODEOWNERS patterns.
    out: Option<String>,
    /// Compare every committed CODEOWNERS file rbacc generated with what it
    /// generates now, reporting each that differs with this severity.
    stale: Option<Severity>,
}

/// Compiles the whole of `out/` and what `extras` asks for, prints the
/// diagnostics and returns the compilation, or `None` when there is an
/// error in the declarations.
fn compile_all(ui: &Ui, input: &Input, extras: &Extras, format: Format) -> Option<Compilation> {
    let teams = rbacc::progress::thousands(input.teams.len() as u64);
    ui.progress
        .stage(&format!("compiling {teams} team files"), 0);
    let settings = Settings {
        codeowners: extras.codeowners.clone(),
        ..Settings::default()
    };
    let mut compilation = rbacc::compile(input, &settings);
    compilation.emit(&Selection::all());
    let committed = codeowners::committed(&input.codeowners);
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

/// The RBAC objects a query needs, compiled from the declarations in
/// memory (`None` with the diagnostics printed, when they are invalid).
fn compiled(
    ui: &Ui,
    input: &Input,
    source: &SourceArgs,
    scope: Scope<'_>,
) -> Result<Option<Target>, String> {
    let namespace = match scope {
        Scope::Request(namespace) => namespace,
        Scope::All => None,
    };
    let mut compilation = rbacc::compile(input, &Settings::queries());
    if let Some(selection) = compilation
        .resolved
        .as_ref()
        .map(|r| r.selection_for(namespace))
    {
        compilation.emit(&selection);
    }
    for (stage, took) in &compilation.timings {
        ui.timing(stage, *took);
    }
    let Some(output) = compilation.output.take() else {
        ui.diagnostics(&compilation, Format::Human);
        return Ok(None);
    };
    let start = Instant::now();
    ui.progress.stage("reading the manifests", 0);
    let target = Target::from_output(&output, source.cluster.as_deref(), scope)
        .map_err(|e| e.to_string())?;
    ui.progress.finish();
    ui.timing("manifests", start.elapsed());
    Ok(Some(target))
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
            ui.progress.stage("reading the manifests", 0);
            let target = Target::from_dir(dir).map_err(|e| e.to_string())?;
            ui.progress.finish();
            ui.timing("load", start.elapsed());
            target
        }
        None => {
            let repo = RepoArgs {
                repo: source.repo.clone(),
                out: None,
            };
            let input = load(ui, &repo).map_err(|e| e.to_string())?;
            // When the last build recorded `out/` for these very
            // declarations, its files are the compiled answer: read the
            // few the question needs.
            let start = Instant::now();
            let recorded = output::Recorded::open(&repo.out_dir(), output::fingerprint(&input))
                .and_then(|r| Target::from_recorded(&r, source.cluster.as_deref(), scope));
            ui.timing("record", start.elapsed());
            match recorded {
                Some(target) => target.map_err(|e| e.to_string())?,
                None => match compiled(ui, &input, source, scope)? {
                    Some(target) => target,
                    None => {
                        ui.error("invalid declarations; no answer");
                        return Ok(Outcome::Finding);
                    }
                },
            }
        }
    };
    let start = Instant::now();
    ui.progress.stage("evaluating", 0);

    let answer = answer(&target).map_err(|e| e.to_string())?;
    ui.progress.finish();
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
    ui.print(&answer.stdout);
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
    // A stale CODEOWNERS file is a warning here (build does not write it)
    // and an error in `check`.
    let extras = codeowners_extras(repo, &input, Severity::Warning);
    let Some(compilation) = compile_all(ui, &input, &extras, Format::Human) else {
        ui.error("invalid declarations; nothing was written");
        return Ok(Outcome::Finding);
    };
    let output = compilation.output.as_ref().expect("compiled");
    let start = Instant::now();
    let plan = output::write(&out_dir, output, &ui.progress)?;
    ui.progress.finish();
    ui.timing("write", start.elapsed());
    // Warnings (a stale CODEOWNERS file among them) must show on every
    // build, and `check` must see a stale CODEOWNERS file: record only
    // builds without any.
    let start = Instant::now();
    // Nor with files rbacc did not write: `check` fails while they are there.
    if compilation.diagnostics.is_empty() && plan.foreign.is_empty() {
        output::record(&out_dir, output::fingerprint(&input))?;
    } else {
        output::forget(&out_dir)?;
    }
    ui.timing("record", start.elapsed());
    for path in &plan.foreign {
        ui.status(&format!(
            "kept {path}: not generated by rbacc (`rbacc check` fails while it is in {})",
            out_dir.display()
        ));
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

/// Where `out/` lies in the repository, `/`-separated, when it lies in it
/// and its path can be written in CODEOWNERS as it is.
fn out_in_repo(repo: &RepoArgs) -> Option<String> {
    let Some(out) = &repo.out else {
        return Some("out".to_string());
    };
    let root = repo.repo.canonicalize().ok()?;
    let out = match out.canonicalize() {
        Ok(out) => out,
        Err(_) => out.parent()?.canonicalize().ok()?.join(out.file_name()?),
    };
    let rel = out.strip_prefix(&root).ok()?;
    let rel: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let rel = rel.join("/");
    codeowners::plain_path(&rel).then_some(rel)
}

/// Render the CODEOWNERS file in the syntax of every committed file rbacc
/// generated, so that `build` and `check` compare them (a stale one is
/// reported with `stale` severity). Nothing when `out/` lies outside the
/// repository: the committed file lists the repository's own `out/`, which
/// this run does not look at.
fn codeowners_extras(repo: &RepoArgs, input: &Input, stale: Severity) -> Extras {
    let Some(out) = out_in_repo(repo) else {
        return Extras::default();
    };
    let committed = codeowners::committed(&input.codeowners);
    Extras {
        codeowners: committed.iter().map(|c| c.syntax).collect(),
        out: Some(out),
        stale: Some(stale),
    }
}

/// `rbacc codeowners`: prints, writes or checks the CODEOWNERS file.
fn codeowners_command(ui: &Ui, args: &CodeownersArgs) -> Result<Outcome, String> {
    let input = load(ui, &args.repo).map_err(|e| e.to_string())?;
    let committed = codeowners::committed(&input.codeowners);
    let syntax = args
        .syntax
        .map(Syntax::from)
        .or(committed.first().map(|c| c.syntax))
        .unwrap_or(Syntax::Github);
    // rbacc's own file in this syntax where the forge reads it, else the
    // place the forge reads first.
    let target = committed
        .iter()
        .find(|c| c.syntax == syntax && syntax.locations().contains(&c.path))
        .map_or(syntax.default_location(), |c| c.path);
    let extras = Extras {
        codeowners: [syntax].into(),
        out: out_in_repo(&args.repo),
        stale: None,
    };
    let Some(mut compilation) = compile_all(ui, &input, &extras, args.format) else {
        ui.error("invalid declarations; no CODEOWNERS file");
        return Ok(Outcome::Finding);
    };
    let text = compilation.codeowners.remove(&syntax).unwrap_or_default();
    for warning in codeowners::warnings(&text, syntax) {
        ui.eprint(&format!("warning: {warning}\n"));
    }
    let existing = input.codeowners.iter().find(|f| f.path == target);
    if !args.check && !args.write {
        return print(&text);
    }
    let current = match existing.map(|f| &f.contents) {
        None => None,
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(_)) => {
            return Err(format!(
                "{target} was not read: it is a link that leads outside the repository or nowhere, or it is too large"
            ));
        }
    };
    if args.check {
        let Some(current) = current else {
            ui.error(&format!(
                "{target} does not exist: run `{}` and commit it",
                syntax.command()
            ));
            return Ok(Outcome::Finding);
        };
        let sources = &mut compilation.sources;
        let Some(stale) = codeowners::compare(sources, target, current, &text, syntax) else {
            ui.status(&format!("{target} is up to date"));
            return Ok(Outcome::Success);
        };
        // Only this finding: the compilation's warnings were printed above.
        compilation.diagnostics = rbacc::diag::Diagnostics::default();
        compilation.diagnostics.push(stale);
        ui.diagnostics(&compilation, args.format);
        return Ok(Outcome::Finding);
    }
    // The forge reads one file: never overwrite, or shadow, a hand-written one.
    let hand_written = input.codeowners.iter().find(|f| {
        syntax.locations().contains(&f.path.as_str())
            && f.contents
                .as_deref()
                .map_or(true, |c| codeowners::generated(c).is_none())
    });
    if let Some(file) = hand_written {
        return Err(format!(
            "{} exists and rbacc did not generate it (its first line is not rbacc's header), \
             and {} reads only one CODEOWNERS file; nothing was written. Print the file with \
             `rbacc codeowners` and merge it by hand, or move {} away",
            file.path,
            syntax.forge(),
            file.path
        ));
    }
    if current.is_some_and(|c| c.as_slice() == text.as_bytes()) {
        ui.status(&format!("{target} is up to date"));
        return Ok(Outcome::Success);
    }
    output::write_file(&args.repo.repo.join(target), &text).map_err(|e| e.to_string())?;
    ui.status(&format!("wrote {target}"));
    let first = syntax.locations().iter().take_while(|l| **l != target);
    for other in first.filter(|l| input.codeowners.iter().any(|f| f.path == **l)) {
        ui.status(&format!(
            "note: {} reads {other} first, so it does not read {target}",
            syntax.forge()
        ));
    }
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
    let extras = codeowners_extras(repo, &input, Severity::Error);
    let Some(compilation) = compile_all(ui, &input, &extras, format) else {
        return Ok(Outcome::Finding);
    };
    let output = compilation.output.as_ref().expect("compiled");
    // Errors now are stale CODEOWNERS files, already reported.
    let stale_codeowners = compilation.diagnostics.has_errors();
    let start = Instant::now();
    let plan = output::plan(&out_dir, output, &ui.progress)?;
    ui.progress.finish();
    ui.timing("compare", start.elapsed());
    if plan.is_exact() && stale_codeowners {
        return Ok(Outcome::Finding);
    }
    let expired = compilation
        .diagnostics
        .iter()
        .any(|d| d.code == rbacc::diag::Code::Expired);
    if plan.is_exact() {
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
        ("foreign", &plan.foreign),
        ("link", &plan.links),
    ] {
        for path in list {
            text.push_str(&format!("  {mark:<8} {}\n", rbacc::text::visible(path)));
        }
    }
    if expired {
        text.push_str("it may still grant access that has expired (see the warnings above)\n");
    }
    if !plan.foreign.is_empty() || !plan.links.is_empty() {
        text.push_str(
            "out/ holds only what rbacc writes, since the GitOps engine applies all of it: \
             move foreign files and links out of it\n",
        );
    }
    if !plan.is_clean() {
        text.push_str("run `rbacc build` and commit the result\n");
    }
    ui.eprint(&text);
    if format == Format::Github {
        let what = if plan.is_clean() {
            "holds files rbacc did not write: move them out of it"
        } else {
            "is stale: run `rbacc build` and commit the result"
        };
        ui.print(&format!(
            "::error title=stale-output::{} {what}\n",
            out_dir.display()
        ));
    }
    Ok(Outcome::Finding)
}

/// `rbacc diff`: the report on stdout; warnings, the head's diagnostics and
/// timings on stderr.
fn diff(ui: &Ui, args: &rbacc::cli::DiffArgs) -> Result<Outcome, String> {
    use rbacc::diff::{self, Found};
    let request = diff::Request {
        base: args.base.clone(),
        head: args.head.clone(),
        repo: args.repo.clone(),
    };
    let mut timings = Vec::new();
    ui.progress
        .stage("compiling and comparing both revisions", 0);
    let found = diff::run(&request, &mut timings);
    ui.progress.finish();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let finding = match found.map_err(|e| e.to_string())? {
        Found::HeadInvalid(head) => {
            stderr = report::render(&head.diagnostics, &head.sources, ui.style);
            stderr.push_str(
                "error: the head does not compile; fix the errors above to see the diff\n",
            );
            true
        }
        Found::Diff(diff) => {
            let start = Instant::now();
            stdout = diff.render(args.format.into(), &args.base);
            timings.push(("render", start.elapsed()));
            if !diff.base.compiled {
                stderr.push_str(&format!(
                    "warning: the base {} does not compile: compared against an empty base\n",
                    diff.base.label()
                ));
            }
            args.exit_code && diff.changed()
        }
    };
    if !ui.quiet || stderr.contains("error:") {
        ui.eprint(&stderr);
    }
    for (stage, took) in &timings {
        ui.timing(stage, *took);
    }
    ui.print(&stdout);
    Ok(if finding {
        Outcome::Finding
    } else {
        Outcome::Success
    })
}
