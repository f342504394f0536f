//! Emission: a validated [`Org`] in, the files of `out/` out.
//!
//! Architecture invariant: this is the only module that knows Kubernetes
//! YAML. Every manifest is built from k8s-openapi types and serialized here;
//! nothing here touches the file system.
//!
//! Layout, for every cluster:
//!
//! ```text
//! <cluster>/kustomization.yaml              everything below, for `kubectl kustomize`
//! <cluster>/cluster/kustomization.yaml      shard: cluster-scoped objects (ClusterRoles)
//! <cluster>/cluster/clusterrole-<role>.yaml
//! <cluster>/teams/<team>/kustomization.yaml shard: one team's namespaces
//! <cluster>/teams/<team>/<namespace>.yaml   Namespace, ServiceAccounts, RoleBindings, quota
//! <cluster>/teams/<team>/rbacc.kubeconfig.yaml  the team's kubeconfig ConfigMap and who may read it
//! <cluster>/kubeconfigs/<team>.yaml         the team's kubeconfig, for people (not in any kustomization)
//! ```
//!
//! Namespace names cannot contain dots, so `rbacc.kubeconfig.yaml` never
//! collides with a namespace's file.
//!
//! A team's shard holds only that team's files, so adding or removing a team
//! never moves another team's files, and each shard stays small enough for
//! kustomize to render in well under a second.

mod objects;
mod serialize;

use std::collections::BTreeMap;

use crate::model::{Org, Team};

pub use serialize::{GENERATED_MARKER, is_generated};

/// The files of `out/`: path relative to `out/` (`/`-separated) -> contents.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub files: BTreeMap<String, String>,
}

impl Output {
    fn add(&mut self, path: String, contents: String) {
        let previous = self.files.insert(path, contents);
        debug_assert!(previous.is_none(), "validation rules out colliding paths");
    }
}

/// Builds every file of `out/`.
pub fn emit(org: &Org) -> Output {
    let mut out = Output::default();
    for cluster in &org.clusters {
        let c = &cluster.name;
        let mut shards = vec!["cluster".to_string()];

        let mut cluster_files = Vec::new();
        for role in &org.roles {
            let file = format!("clusterrole-{}.yaml", role.name);
            let doc = serialize::document(&objects::cluster_role(role));
            out.add(
                format!("{c}/cluster/{file}"),
                serialize::file(&role.source, &[doc]),
            );
            cluster_files.push(file);
        }
        if let Some(kubeconfigs) = &org.kubeconfigs {
            let file = format!("namespace-{}.yaml", kubeconfigs.namespace);
            let doc =
                serialize::document(&objects::kubeconfig_namespace(org, &kubeconfigs.namespace));
            out.add(
                format!("{c}/cluster/{file}"),
                serialize::file("rbacc.yaml", &[doc]),
            );
            cluster_files.push(file);
        }
        out.add(
            format!("{c}/cluster/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &cluster_files),
        );

        for team in &org.teams {
            if let Some(files) = emit_team_shard(&mut out, org, team, c) {
                shards.push(format!("teams/{}", team.name));
                out.add(
                    format!("{c}/teams/{}/kustomization.yaml", team.name),
                    serialize::kustomization(&team.source, &files),
                );
            }
        }
        out.add(
            format!("{c}/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &shards),
        );
    }
    out
}

/// Writes one team's namespace files for `cluster`; returns their names, or
/// `None` when the team has nothing on this cluster.
fn emit_team_shard(out: &mut Output, org: &Org, team: &Team, cluster: &str) -> Option<Vec<String>> {
    let mut files = Vec::new();
    for ns in team
        .namespaces
        .iter()
        .filter(|ns| ns.clusters.iter().any(|c| c == cluster))
    {
        let docs: Vec<String> = objects::namespace_objects(org, team, ns)
            .iter()
            .map(serialize::document)
            .collect();
        let file = format!("{}.yaml", ns.name);
        out.add(
            format!("{cluster}/teams/{}/{file}", team.name),
            serialize::file(&team.source, &docs),
        );
        files.push(file);
    }
    let kubeconfig = org.kubeconfigs.as_ref().and_then(|k| {
        let rendered = k.rendered.get(&(cluster.to_string(), team.name.clone()))?;
        Some((k.namespace.as_str(), rendered))
    });
    if let Some((namespace, kubeconfig)) = kubeconfig {
        let source = format!("{} with {}", team.source, kubeconfig.template);
        let docs: Vec<String> = objects::kubeconfig_objects(team, namespace, &kubeconfig.text)
            .iter()
            .map(serialize::document)
            .collect();
        out.add(
            format!("{cluster}/teams/{}/rbacc.kubeconfig.yaml", team.name),
            serialize::file(&source, &docs),
        );
        files.push("rbacc.kubeconfig.yaml".to_string());
        out.add(
            format!("{cluster}/kubeconfigs/{}.yaml", team.name),
            serialize::file(&source, std::slice::from_ref(&kubeconfig.text)),
        );
    }
    (!files.is_empty()).then_some(files)
}
