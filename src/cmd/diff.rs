//! `rbacc diff`: the report on stdout; warnings, the head's diagnostics and
//! timings on stderr.

use std::time::Instant;

use rbacc::diff::{Revision, SideInfo};
use rbacc::gitinput::{GitError, GitRepo};
use rbacc::load::Input;
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
    let mut timings = Vec::new();
    ui.progress
        .stage("compiling and comparing both revisions", 0);
    let found = revisions(args, &mut timings)
        .and_then(|(base, head)| diff::diff(base, head, &mut timings).map_err(|e| e.to_string()));
    ui.progress.finish();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    let finding = match found? {
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

/// Reads both revisions: the base from git, the head from git or the work
/// tree. `timings` collects how long it took.
fn revisions(
    args: &super::args::DiffArgs,
    timings: &mut rbacc::pipeline::Timings,
) -> Result<(Revision, Revision), String> {
    let start = Instant::now();
    let git = GitRepo::discover(&args.repo).map_err(|e| e.to_string())?;
    let base_rev = git.resolve(&args.base).map_err(|e| e.to_string())?;
    let head_rev = args
        .head
        .as_deref()
        .map(|h| git.resolve(h))
        .transpose()
        .map_err(|e| e.to_string())?;
    let info = |rev: &rbacc::gitinput::Revision| SideInfo {
        name: rev.name.clone(),
        commit: rev.commit.map(|c| c.to_string()),
        compiled: false,
        errors: 0,
    };
    let base_info = info(&base_rev);
    let head_info = match &head_rev {
        Some(rev) => info(rev),
        None => SideInfo {
            name: "work tree".to_string(),
            commit: None,
            compiled: false,
            errors: 0,
        },
    };
    // Both sides are judged on the same day, so that an expiry shows as a
    // change only when the pull request makes one.
    let today = rbacc::clock::today().map_err(|e| e.to_string())?;
    let read_base = |git: &GitRepo| match git.input(&base_rev, today) {
        Ok(input) => Ok(Some(input)),
        Err(GitError::NoConfig { .. }) => Ok(None),
        Err(e) => Err(e.to_string()),
    };
    let (base_input, head_input) = match &head_rev {
        Some(rev) => (
            read_base(&git)?,
            git.input(rev, today).map_err(|e| e.to_string())?,
        ),
        None => {
            let repo = args.repo.clone();
            let (base, head) = rayon::join(
                move || read_base(&git),
                move || Input::from_worktree(&repo, today).map_err(|e| e.to_string()),
            );
            (base?, head?)
        }
    };
    timings.push(("load", start.elapsed()));
    let base = Revision {
        info: base_info,
        input: base_input,
    };
    let head = Revision {
        info: head_info,
        input: Some(head_input),
    };
    Ok((base, head))
}
