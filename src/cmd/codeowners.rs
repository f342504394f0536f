//! `rbacc codeowners`: print, write or check the CODEOWNERS file.

use rbacc::codeowners::{self, Syntax};
use rbacc::output;

use super::args::CodeownersArgs;
use super::build::out_in_repo;
use super::{Extras, Outcome, Ui, compile_all, load, print};

/// `rbacc codeowners`: prints, writes or checks the CODEOWNERS file.
pub(crate) fn codeowners(ui: &Ui, args: &CodeownersArgs) -> Result<Outcome, String> {
    let format: rbacc::report::Format = args.output.into();
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
    let mut compilation = compile_all(ui, &input, &extras, format);
    if compilation.output.is_none() {
        ui.error("invalid declarations; no CODEOWNERS file");
        return Ok(Outcome::Finding);
    }
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
        ui.diagnostics(&compilation, format);
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
