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
//! ```
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

        let mut role_files = Vec::new();
        for role in &org.roles {
            let file = format!("clusterrole-{}.yaml", role.name);
            let doc = serialize::document(&objects::cluster_role(role));
            out.add(
                format!("{c}/cluster/{file}"),
                serialize::file(&role.source, &[doc]),
            );
            role_files.push(file);
        }
        out.add(
            format!("{c}/cluster/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &role_files),
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
    (!files.is_empty()).then_some(files)
}
