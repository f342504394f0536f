//! `rbacc init`: write a new repository, then build it.

use super::args::RepoArgs;
use super::build::build;
use super::{Outcome, Ui};

/// Writes a new repository, then compiles its `out/` as `build` does.
/// Nothing is written when any of its files exists.
pub(crate) fn init(ui: &Ui, args: &super::args::InitArgs) -> Result<Outcome, String> {
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
    let outcome = build(ui, &repo, rbacc::report::Format::Text).map_err(|e| e.to_string())?;
    ui.status(&format!(
        "created an rbacc repository in {}: set your cluster's server in rbacc.yaml and the git URL in deploy/, then `rbacc build`",
        args.dir.display()
    ));
    Ok(outcome)
}
