//! `rbacc import`: the manifests read, the repository written, compiled
//! and compared with what was read.

use std::path::Path;

use rbacc::emit::Selection;
use rbacc::import::{compare, declare};
use rbacc::live::Cluster;
use rbacc::report::Format;

use super::args::{ImportArgs, OutputFormat};
use super::{Outcome, Ui};

pub(crate) fn import(ui: &Ui, args: &ImportArgs) -> Result<Outcome, String> {
    let mut clusters = Vec::new();
    for spec in &args.clusters {
        let Some((name, path)) = spec.split_once('=') else {
            return Err(format!(
                "--cluster {}: write NAME=PATH, such as prod=live-prod.json",
                rbacc::text::visible(spec)
            ));
        };
        if let Some(problem) = rbacc::validate::names::dns_label_problem(name) {
            return Err(format!(
                "--cluster {}: the cluster name {problem}",
                rbacc::text::visible(spec)
            ));
        }
        if clusters.iter().any(|(n, _)| n == name) {
            return Err(format!("--cluster {name} is given twice"));
        }
        let cluster = Cluster::load(Path::new(path)).map_err(|e| e.to_string())?;
        clusters.push((name.to_string(), cluster));
    }
    let into = &args.into;
    if std::fs::read_dir(into).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(format!(
            "{} is not empty: import writes a new repository into an empty or absent directory",
            into.display()
        ));
    }
    let mut declared = declare(&clusters, args.team_key.as_deref());
    if declared.report.teams.is_empty() {
        return Err(match &args.team_key {
            Some(key) => format!(
                "no namespace carries the label or annotation `{}`",
                rbacc::text::visible(key)
            ),
            None => "no namespace holds a RoleBinding: nothing to import".to_string(),
        });
    }
    for (rel, text) in &declared.files {
        rbacc::output::write_file(&into.join(rel), text).map_err(|e| e.to_string())?;
    }
    let input =
        rbacc::load::Input::from_worktree(into, rbacc::clock::today().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    let mut compilation = rbacc::compile(&input, &rbacc::Settings::default());
    compilation.emit(&Selection {
        values: true,
        ..Selection::all()
    });
    let Some(output) = compilation.output.as_mut() else {
        ui.diagnostics(&compilation, Format::Text);
        print(ui, args, &declared.report);
        ui.error(&format!(
            "the imported repository in {} does not build: fix what is reported above",
            into.display()
        ));
        return Ok(Outcome::Finding);
    };
    for (name, cluster) in &clusters {
        let compiled = Cluster::take_from(output, name).map_err(|e| e.to_string())?;
        let namespaces = declared.namespaces.get(name).cloned().unwrap_or_default();
        declared
            .report
            .differences
            .extend(compare(name, cluster, &compiled, &namespaces));
    }
    print(ui, args, &declared.report);
    Ok(if declared.report.differences.is_empty() {
        Outcome::Success
    } else {
        Outcome::Finding
    })
}

fn print(ui: &Ui, args: &ImportArgs, report: &rbacc::import::Report) {
    match args.output {
        OutputFormat::Text => ui.print(&report.text()),
        OutputFormat::Json => ui.print(&report.json()),
    }
}
