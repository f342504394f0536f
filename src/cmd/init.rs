//! `rbacc init`: write a new repository, then build it.

use super::args::RepoArgs;
use super::build::build;
use super::{Outcome, Ui};

/// Writes a new repository, then compiles its `out/` as `build` does.
/// Files that already hold what it would write are left alone, and an
/// existing `.gitignore` gets the lines it lacks; nothing is written when
/// any other file is in the way.
pub(crate) fn init(ui: &Ui, args: &super::args::InitArgs) -> Result<Outcome, String> {
    let files = rbacc::init::scaffold(&args.git_url);
    let Some(output) = rbacc::build(&rbacc::init::input(&files)).output else {
        return Err("internal error: the scaffold does not compile".to_string());
    };
    let plan = rbacc::init::plan(&args.dir, &files);
    // out/ is written by `build`, which replaces only generated files: a
    // file there with other contents is in the way.
    let out: std::collections::BTreeMap<String, String> = output
        .files
        .iter()
        .map(|(p, text)| (format!("out/{p}"), text.clone()))
        .collect();
    let out_plan = rbacc::init::plan(&args.dir, &out);
    let existing: Vec<&String> = plan.conflicts.iter().chain(&out_plan.conflicts).collect();
    if !existing.is_empty() {
        let list: Vec<String> = existing
            .iter()
            .map(|p| rbacc::text::visible(p).into_owned())
            .collect();
        return Err(format!(
            "{} already has files `rbacc init` would write, with other contents; nothing was written:\n  {}",
            args.dir.display(),
            list.join("\n  ")
        ));
    }
    rbacc::init::write(&args.dir, &plan).map_err(|e| e.to_string())?;
    for path in plan.append.keys() {
        ui.status(&format!("added rbacc's lines to the existing {path}"));
    }
    if !plan.same.is_empty() {
        ui.status(&format!(
            "left {} files that already hold what init writes",
            plan.same.len()
        ));
    }
    let repo = RepoArgs {
        repo: args.dir.clone(),
        out: None,
    };
    let outcome = build(ui, &repo, rbacc::report::Format::Text).map_err(|e| e.to_string())?;
    ui.status(&format!(
        "created an rbacc repository in {}: set your cluster's server in rbacc.yaml and the git URL in deploy/, then `rbacc build`",
        args.dir.display()
    ));
    Ok(outcome)
}
