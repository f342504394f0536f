//! `rbacc audit`: the live dump read, the declarations compiled, the
//! comparison printed.

use rbacc::Settings;
use rbacc::access::Manifests;
use rbacc::query::{Scope, Target};

use rbacc::report::Format;

use super::args::{AuditArgs, OutputFormat, RepoArgs};
use super::{Outcome, Ui, load};

pub(crate) fn audit(ui: &Ui, args: &AuditArgs) -> Result<Outcome, String> {
    let live = Manifests::load_dir(&args.live).map_err(|e| e.to_string())?;
    if live.is_empty() {
        return Err(format!(
            "no Role, ClusterRole, RoleBinding or ClusterRoleBinding in {}: dump the cluster with `kubectl get roles,rolebindings,clusterroles,clusterrolebindings -A -o yaml`",
            args.live.display()
        ));
    }
    let repo = RepoArgs {
        repo: args.repo.clone(),
        out: None,
    };
    let input = load(ui, &repo).map_err(|e| e.to_string())?;
    let mut compilation = rbacc::compile(&input, &Settings::queries());
    if let Some(selection) = compilation.resolved.as_ref().map(|r| r.selection_for(None)) {
        compilation.emit(&selection);
    }
    let Some(output) = compilation.output.take() else {
        ui.diagnostics(&compilation, Format::Text);
        ui.error("invalid declarations; nothing to compare with");
        return Ok(Outcome::Finding);
    };
    let target = Target::from_output(&output, args.cluster.as_deref(), Scope::All)
        .map_err(|e| e.to_string())?;
    let cluster = target.cluster.clone().unwrap_or_default();
    let audit = rbacc::audit::audit(&cluster, &live, &target.manifests);
    match args.output {
        OutputFormat::Text => ui.print(&rbacc::audit::text(&audit)),
        OutputFormat::Json => ui.print(&rbacc::audit::json(&audit)),
    }
    Ok(if audit.drifted() {
        Outcome::Finding
    } else {
        Outcome::Success
    })
}
