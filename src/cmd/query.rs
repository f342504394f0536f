//! `rbacc can-i`, `who-can` and `access`: a question about one cluster's
//! RBAC objects, answered from the build record, the declarations compiled
//! in memory, or `--manifests DIR`.

use std::time::Instant;

use rbacc::Settings;
use rbacc::load::Input;
use rbacc::output;
use rbacc::query::{self, Answer, QueryError, Scope, Target};
use rbacc::report::Format;

use super::args::{AccessArgs, CanIArgs, RepoArgs, SourceArgs, WhoCanArgs};
use super::{Outcome, Ui, load};

fn style(ui: &Ui, source: &SourceArgs) -> query::Style {
    query::Style {
        format: source.output.into(),
        fancy: ui.fancy,
    }
}

pub(crate) fn can_i(ui: &Ui, args: &CanIArgs) -> Result<Outcome, String> {
    let question = query::CanI::from(args);
    run_query(ui, &args.source, question.request.scope(), |target| {
        query::can_i(target, &question, style(ui, &args.source), ui.quiet)
    })
}

pub(crate) fn who_can(ui: &Ui, args: &WhoCanArgs) -> Result<Outcome, String> {
    let question = query::WhoCan::from(args);
    run_query(ui, &args.source, question.request.scope(), |target| {
        query::who_can(target, &question, style(ui, &args.source))
    })
}

pub(crate) fn access(ui: &Ui, args: &AccessArgs) -> Result<Outcome, String> {
    let question = query::AccessQuestion::from(args);
    run_query(ui, &args.source, question.scope(), |target| {
        query::access(target, &question, style(ui, &args.source))
    })
}

/// The RBAC objects a query needs, compiled from the declarations in
/// memory (`None` with the diagnostics printed, when they are invalid).
fn compiled(
    ui: &Ui,
    input: &Input,
    source: &SourceArgs,
    scope: Scope<'_>,
) -> Result<Option<Target>, String> {
    let mut compilation = rbacc::compile(input, &Settings::queries());
    if let Some(selection) = compilation.resolved.as_ref().map(|r| scope.selection(r)) {
        compilation.emit(&selection);
    }
    for (stage, took) in &compilation.timings {
        ui.timing(stage, *took);
    }
    let Some(output) = compilation.output.take() else {
        ui.diagnostics(&compilation, Format::Text);
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
            let recorded = repo
                .state_path()
                .and_then(|state| {
                    output::Recorded::open(&repo.out_dir(), &state, output::fingerprint(&input))
                })
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
