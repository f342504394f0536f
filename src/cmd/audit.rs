//! `rbacc audit`: the live dump read, the declarations compiled, the
//! comparison printed.

use rbacc::Settings;
use rbacc::emit::Selection;
use rbacc::live::{Cluster, DUMP_COMMAND};

use rbacc::report::Format;

use super::args::{AuditArgs, OutputFormat, RepoArgs};
use super::{Outcome, Ui, load};

const NOT_COMPILED: &str =
    "the declarations do not compile, so there is nothing to compare the cluster with";

pub(crate) fn audit(ui: &Ui, args: &AuditArgs) -> Result<Outcome, String> {
    let start = std::time::Instant::now();
    let mut live = Cluster::load(&args.live).map_err(|e| e.to_string())?;
    ui.timing("dump", start.elapsed());
    if live.objects.is_empty() {
        return Err(format!(
            "no object rbacc manages in {}: dump the cluster with `{DUMP_COMMAND} > live.json`",
            args.live.display()
        ));
    }
    let repo = RepoArgs {
        repo: args.repo.clone(),
        out: None,
    };
    let input = load(ui, &repo).map_err(|e| e.to_string())?;
    let mut compilation = rbacc::compile(&input, &Settings::queries());
    let Some(resolved) = compilation.resolved.as_ref() else {
        ui.diagnostics(&compilation, Format::Text);
        return Err(NOT_COMPILED.into());
    };
    let mut known: Vec<String> = resolved
        .org
        .clusters
        .iter()
        .map(|c| c.name.clone())
        .collect();
    known.sort();
    let cluster = match (&args.cluster, known.as_slice()) {
        (Some(c), _) if known.contains(c) => c.clone(),
        (Some(c), _) => {
            return Err(format!(
                "no cluster `{}` in rbacc.yaml; it declares {}",
                rbacc::text::visible(c),
                known.join(", ")
            ));
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(format!(
                "rbacc.yaml declares several clusters ({}): name the one dumped with --cluster",
                known.join(", ")
            ));
        }
    };
    // Only the audited cluster's files, as values: no text to format, and
    // no value shared with another cluster's file, so none is copied.
    let selection = Selection {
        values: true,
        text: false,
        clusters: Some([cluster.clone()].into()),
        ..resolved.selection_for(None)
    };
    compilation.emit(&selection);
    let Some(mut output) = compilation.output.take() else {
        ui.diagnostics(&compilation, Format::Text);
        return Err(NOT_COMPILED.into());
    };
    for (stage, took) in &compilation.timings {
        ui.timing(stage, *took);
    }
    let start = std::time::Instant::now();
    let compiled = Cluster::take_from(&mut output, &cluster).map_err(|e| e.to_string())?;
    ui.timing("read", start.elapsed());
    let start = std::time::Instant::now();
    let audit = rbacc::audit::audit(&cluster, &mut live, &compiled);
    ui.timing("compare", start.elapsed());
    match args.output {
        OutputFormat::Text => ui.print(&rbacc::audit::text(&audit)),
        OutputFormat::Json => ui.print(&rbacc::audit::json(&audit)),
    }
    let outcome = match audit.drifted() {
        true => Outcome::Finding,
        false => Outcome::Success,
    };
    // The process ends here: freeing a large cluster's values one by one
    // takes seconds (two at 10,000 teams) and gives nothing back.
    std::mem::forget((live, compiled, output, compilation));
    Ok(outcome)
}
