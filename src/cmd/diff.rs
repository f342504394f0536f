//! `rbacc diff`: the report on stdout; warnings, the head's diagnostics and
//! timings on stderr.

use std::time::Instant;

use rbacc::report;

use super::{Outcome, Ui};

/// `rbacc diff`: the report on stdout; warnings, the head's diagnostics and
/// timings on stderr.
pub(crate) fn diff(ui: &Ui, args: &super::args::DiffArgs) -> Result<Outcome, String> {
    use rbacc::diff::{self, Found};
    let format = args.output;
    // `-o markdown` and `-o json` are asked for by name: printed whatever
    // `--quiet` says.
    let quiet_text = ui.quiet && matches!(format, super::args::DiffFormat::Text);
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
        Found::HeadInvalid(invalid) => {
            let head = &invalid.compilation;
            if format == super::args::DiffFormat::Markdown {
                stdout = invalid.markdown(&args.base);
            }
            stderr = report::render(
                &head.diagnostics,
                &head.sources,
                ui.style,
                ui.per_code(&head.diagnostics),
            );
            stderr.push_str(
                "error: the head does not compile; fix the errors above to see the diff\n",
            );
            true
        }
        Found::Diff(diff) => {
            let start = Instant::now();
            stdout = diff.render(format.into(), &args.base);
            timings.push(("render", start.elapsed()));
            if !diff.base.compiled {
                stderr.push_str(&format!(
                    "warning: the base {} does not compile: compared against an empty base\n",
                    diff.base.label()
                ));
            }
            // Quiet, the text report is left out and the exit code says
            // whether anything changed, as `git diff --quiet`.
            (args.exit_code || quiet_text) && diff.changed()
        }
    };
    if !ui.quiet || stderr.contains("error:") {
        ui.eprint(&stderr);
    }
    for (stage, took) in &timings {
        ui.timing(stage, *took);
    }
    if !quiet_text {
        ui.print(&stdout);
    }
    Ok(if finding {
        Outcome::Finding
    } else {
        Outcome::Success
    })
}
