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
//! <cluster>/flux/kustomization.yaml         with `spec.gitops.flux` only: the Flux Kustomizations below
//! <cluster>/flux/cluster.yaml               a Flux Kustomization for the `cluster/` shard
//! <cluster>/flux/team-<team>.yaml           a Flux Kustomization for each team's shard
//! ```
//!
//! `flux/` is not listed in `<cluster>/kustomization.yaml`: it is what Flux
//! applies (through one hand-written Kustomization per cluster, see
//! `deploy/flux/`), not part of the cluster's manifests.
//!
//! Namespace names cannot contain dots, so `rbacc.kubeconfig.yaml` never
//! collides with a namespace's file.
//!
//! A team's shard holds only that team's files, so adding or removing a team
//! never moves another team's files, and each shard stays small enough for
//! kustomize to render in well under a second.

mod flux;
mod objects;
mod serialize;

use std::collections::BTreeMap;

use rayon::prelude::*;

use crate::model::{FLUX_CLUSTER_NAME, Flux, Org, Team, flux_team_name};

pub use serialize::{GENERATED_MARKER, is_generated};

/// The files of `out/`: path relative to `out/` (`/`-separated) -> contents.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    pub files: BTreeMap<String, String>,
}

impl Output {
    /// Adds a file. Validation rules out two objects sharing a path
    /// (`reserved::LAYOUT_NAMES`, DNS names without dots); were one to slip
    /// through, failing loudly beats one file silently replacing another.
    fn add(&mut self, path: String, contents: String) {
        let previous = self.files.insert(path, contents);
        assert!(previous.is_none(), "validation rules out colliding paths");
    }
}

/// Builds every file of `out/`. Teams are emitted in parallel; the result
/// does not depend on scheduling.
pub fn emit(org: &Org) -> Output {
    emit_teams(org, |_| true)
}

/// Builds the files of `out/` that every team shares, and those of the
/// teams `keep` selects: the files a query about some teams' namespaces
/// needs, without writing out the rest.
pub fn emit_teams(org: &Org, keep: impl Fn(&Team) -> bool + Sync) -> Output {
    let mut out = Output::default();
    let per_team: Vec<Vec<(String, String)>> = org
        .teams
        .par_iter()
        .filter(|team| keep(team))
        .map(|team| team_files(org, team))
        .collect();
    for files in per_team {
        for (path, contents) in files {
            out.add(path, contents);
        }
    }
    for cluster in &org.clusters {
        let c = &cluster.name;
        let mut cluster_files = Vec::new();
        for role in &org.roles {
            let file = format!("clusterrole-{}.yaml", role.name);
            let object = objects::cluster_role(role);
            out.add(
                format!("{c}/cluster/{file}"),
                serialize::objects_file(&role.source, &[object]),
            );
            cluster_files.push(file);
        }
        if let Some(kubeconfigs) = &org.kubeconfigs {
            let file = format!("namespace-{}.yaml", kubeconfigs.namespace);
            let object = objects::kubeconfig_namespace(org, &kubeconfigs.namespace);
            out.add(
                format!("{c}/cluster/{file}"),
                serialize::objects_file("rbacc.yaml", &[object]),
            );
            cluster_files.push(file);
        }
        out.add(
            format!("{c}/cluster/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &cluster_files),
        );
        let mut shards = vec!["cluster".to_string()];
        for team in org.teams.iter().filter(|t| has_shard(org, t, c)) {
            shards.push(format!("teams/{}", team.name));
        }
        out.add(
            format!("{c}/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &shards),
        );
    }
    out
}

/// Adds a Flux Kustomization for every shard of every cluster, and a
/// `kustomization.yaml` listing them, under `<cluster>/flux/`.
pub fn flux(org: &Org, flux: &Flux, out: &mut Output) {
    for cluster in &org.clusters {
        let c = &cluster.name;
        let mut files = vec!["cluster.yaml".to_string()];
        out.add(
            format!("{c}/flux/cluster.yaml"),
            serialize::objects_file(
                "rbacc.yaml",
                &[flux::kustomization(
                    flux,
                    FLUX_CLUSTER_NAME,
                    None,
                    "rbacc.yaml",
                    &format!("{c}/cluster"),
                    &[],
                )],
            ),
        );
        for team in org.teams.iter().filter(|t| has_shard(org, t, c)) {
            let file = format!("team-{}.yaml", team.name);
            // A team's shard may hold its kubeconfig ConfigMap, in a
            // namespace the cluster shard creates: apply that first.
            let object = flux::kustomization(
                flux,
                &flux_team_name(&team.name),
                Some(&team.name),
                &team.source,
                &format!("{c}/teams/{}", team.name),
                &[FLUX_CLUSTER_NAME],
            );
            out.add(
                format!("{c}/flux/{file}"),
                serialize::objects_file(&team.source, &[object]),
            );
            files.push(file);
        }
        out.add(
            format!("{c}/flux/kustomization.yaml"),
            serialize::kustomization("rbacc.yaml", &files),
        );
    }
}

/// A kind of file a team's declarations compile to, on any cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TeamFiles {
    /// `<cluster>/teams/<team>/`: the team's shard.
    Shard,
    /// `<cluster>/kubeconfigs/<team>.yaml`.
    Kubeconfig,
    /// `<cluster>/flux/team-<team>.yaml`: the Flux Kustomization of the shard.
    Flux,
}

impl TeamFiles {
    /// A gitignore-style pattern, relative to `out/`, that matches these
    /// files of `team` on every cluster and no other file: `*` stands for
    /// the cluster, a trailing `/` for everything in the directory.
    pub fn pattern(self, team: &str) -> String {
        match self {
            TeamFiles::Shard => format!("*/teams/{team}/"),
            TeamFiles::Kubeconfig => format!("*/kubeconfigs/{team}.yaml"),
            TeamFiles::Flux => format!("*/flux/team-{team}.yaml"),
        }
    }

    /// The team a file of `out/` (a path as in [`Output::files`]) is
    /// compiled from, and which kind of its files it is; `None` for the
    /// files every team shares.
    pub fn of(path: &str) -> Option<(&str, TeamFiles)> {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [_, "teams", team, _, ..] => Some((team, TeamFiles::Shard)),
            [_, "kubeconfigs", file] => Some((file.strip_suffix(".yaml")?, TeamFiles::Kubeconfig)),
            [_, "flux", file] => Some((
                file.strip_prefix("team-")?.strip_suffix(".yaml")?,
                TeamFiles::Flux,
            )),
            _ => None,
        }
    }
}

/// Whether `team` has anything on `cluster`.
fn has_shard(org: &Org, team: &Team, cluster: &str) -> bool {
    team.namespaces
        .iter()
        .any(|ns| ns.clusters.iter().any(|c| c == cluster))
        || org.kubeconfigs.as_ref().is_some_and(|k| {
            k.rendered
                .contains_key(&(cluster.to_string(), team.name.clone()))
        })
}

/// Every file of one team, on every cluster: its shards and kubeconfigs.
fn team_files(org: &Org, team: &Team) -> Vec<(String, String)> {
    let mut out = Vec::new();
    // A namespace's manifests are the same on every cluster: serialize once.
    let namespace_files: Vec<(&crate::model::Namespace, String)> = team
        .namespaces
        .iter()
        .map(|ns| {
            (
                ns,
                serialize::objects_file(&team.source, &objects::namespace_objects(org, team, ns)),
            )
        })
        .collect();
    for cluster in org.clusters.iter().map(|c| c.name.as_str()) {
        if !has_shard(org, team, cluster) {
            continue;
        }
        let shard = format!("{cluster}/teams/{}", team.name);
        let mut files = Vec::new();
        for (ns, contents) in namespace_files
            .iter()
            .filter(|(ns, _)| ns.clusters.iter().any(|c| c == cluster))
        {
            let file = format!("{}.yaml", ns.name);
            out.push((format!("{shard}/{file}"), contents.clone()));
            files.push(file);
        }
        let kubeconfig = org.kubeconfigs.as_ref().and_then(|k| {
            let rendered = k.rendered.get(&(cluster.to_string(), team.name.clone()))?;
            Some((k.namespace.as_str(), rendered))
        });
        if let Some((namespace, kubeconfig)) = kubeconfig {
            let source = format!("{} with {}", team.source, kubeconfig.template);
            let objects = objects::kubeconfig_objects(team, namespace, &kubeconfig.text);
            out.push((
                format!("{shard}/rbacc.kubeconfig.yaml"),
                serialize::objects_file(&source, &objects),
            ));
            files.push("rbacc.kubeconfig.yaml".to_string());
            out.push((
                format!("{cluster}/kubeconfigs/{}.yaml", team.name),
                serialize::file(&source, [kubeconfig.text.as_str()]),
            ));
        }
        out.push((
            format!("{shard}/kustomization.yaml"),
            serialize::kustomization(&team.source, &files),
        ));
    }
    out
}
