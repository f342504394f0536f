//! The layout of `out/`: every path rbacc writes there, built and parsed in
//! this one place.
//!
//! ```text
//! <cluster>/kustomization.yaml                  Index: every shard below, for `kubectl kustomize`
//! <cluster>/cluster/kustomization.yaml          ClusterIndex: the cluster shard
//! <cluster>/cluster/clusterrole-<role>.yaml     ClusterRole
//! <cluster>/cluster/clusterrolebinding-<name>.yaml  ClusterRoleBinding: the platform's
//! <cluster>/cluster/namespace-<namespace>.yaml  KubeconfigNamespace: where kubeconfig ConfigMaps live
//! <cluster>/assumed-roles.yaml                  AssumedRoles: the rules rbacc assumes for existing ClusterRoles, in no kustomization
//! <cluster>/teams/<team>/kustomization.yaml     TeamIndex: one team's shard
//! <cluster>/teams/<team>/<namespace>.yaml       Namespace: its Namespace, ServiceAccounts, RoleBindings, quota
//! <cluster>/teams/<team>/rbacc.kubeconfig.yaml  KubeconfigConfigMap: the team's kubeconfig and who may read it
//! <cluster>/kubeconfigs/<team>.yaml             Kubeconfig: for people, in no kustomization
//! <cluster>/flux/kustomization.yaml             FluxIndex: with `spec.gitops.flux` only
//! <cluster>/flux/cluster.yaml                   FluxCluster: a Flux Kustomization of the cluster shard
//! <cluster>/flux/team-<team>.yaml               FluxTeam: one of a team's shard
//! <cluster>/argocd/kustomization.yaml           ArgoIndex: with `spec.gitops.argocd` only
//! <cluster>/argocd/project-<team>.yaml          ArgoProject: a team's AppProject
//! ```
//!
//! Architecture invariant: no other module builds or takes apart a path of
//! `out/` (a test greps for it). Names are DNS-1123 labels (validation sees
//! to it), so no part holds a `/` or a `.`: `rbacc.kubeconfig.yaml` never
//! collides with a namespace's file, nor `kustomization` with a namespace
//! (it is reserved).

use std::fmt;

/// A file of `out/`, by what it holds.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutFile {
    Index {
        cluster: String,
    },
    ClusterIndex {
        cluster: String,
    },
    ClusterRole {
        cluster: String,
        role: String,
    },
    ClusterRoleBinding {
        cluster: String,
        binding: String,
    },
    KubeconfigNamespace {
        cluster: String,
        namespace: String,
    },
    AssumedRoles {
        cluster: String,
    },
    TeamIndex {
        cluster: String,
        team: String,
    },
    Namespace {
        cluster: String,
        team: String,
        namespace: String,
    },
    KubeconfigConfigMap {
        cluster: String,
        team: String,
    },
    Kubeconfig {
        cluster: String,
        team: String,
    },
    FluxIndex {
        cluster: String,
    },
    FluxCluster {
        cluster: String,
    },
    FluxTeam {
        cluster: String,
        team: String,
    },
    ArgoIndex {
        cluster: String,
    },
    ArgoProject {
        cluster: String,
        team: String,
    },
}

/// Which part of `out/` a file belongs to, by what it depends on (see
/// [`crate::emit::Selection`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// A team's files: its shards, kubeconfigs and Flux Kustomizations.
    Team,
    /// The cluster shards and their Flux Kustomizations.
    Cluster,
    /// The files that list shards.
    Index,
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
    /// `<cluster>/argocd/project-<team>.yaml`: the team's AppProject.
    ArgoProject,
}

/// The name of the kustomization file of every directory.
const KUSTOMIZATION: &str = "kustomization.yaml";
/// The file of the rules rbacc assumes for existing ClusterRoles.
const ASSUMED_ROLES: &str = "assumed-roles.yaml";
/// The file of a team's kubeconfig ConfigMap in its shard.
const KUBECONFIG_CONFIGMAP: &str = "rbacc.kubeconfig.yaml";

impl OutFile {
    /// The file `path` (relative to `out/`, `/`-separated) is, when it is
    /// one rbacc writes.
    pub fn parse(path: &str) -> Option<OutFile> {
        let parts: Vec<&str> = path.split('/').collect();
        let s = |x: &str| x.to_string();
        let yaml = |file: &str| file.strip_suffix(".yaml").filter(|n| plain(n)).map(s);
        let (&cluster, rest) = parts.split_first()?;
        if !plain(cluster) {
            return None;
        }
        let cluster = s(cluster);
        Some(match rest {
            [KUSTOMIZATION] => OutFile::Index { cluster },
            [ASSUMED_ROLES] => OutFile::AssumedRoles { cluster },
            ["cluster", KUSTOMIZATION] => OutFile::ClusterIndex { cluster },
            ["cluster", file] => {
                if let Some(role) = file.strip_prefix("clusterrole-").and_then(yaml) {
                    OutFile::ClusterRole { cluster, role }
                } else if let Some(binding) =
                    file.strip_prefix("clusterrolebinding-").and_then(yaml)
                {
                    OutFile::ClusterRoleBinding { cluster, binding }
                } else {
                    let namespace = file.strip_prefix("namespace-").and_then(yaml)?;
                    OutFile::KubeconfigNamespace { cluster, namespace }
                }
            }
            ["teams", team, file] if plain(team) => {
                let team = s(team);
                match *file {
                    KUSTOMIZATION => OutFile::TeamIndex { cluster, team },
                    KUBECONFIG_CONFIGMAP => OutFile::KubeconfigConfigMap { cluster, team },
                    file => OutFile::Namespace {
                        cluster,
                        team,
                        namespace: yaml(file)?,
                    },
                }
            }
            ["kubeconfigs", file] => OutFile::Kubeconfig {
                cluster,
                team: yaml(file)?,
            },
            ["flux", KUSTOMIZATION] => OutFile::FluxIndex { cluster },
            ["flux", "cluster.yaml"] => OutFile::FluxCluster { cluster },
            ["flux", file] => OutFile::FluxTeam {
                cluster,
                team: file.strip_prefix("team-").and_then(yaml)?,
            },
            ["argocd", KUSTOMIZATION] => OutFile::ArgoIndex { cluster },
            ["argocd", file] => OutFile::ArgoProject {
                cluster,
                team: file.strip_prefix("project-").and_then(yaml)?,
            },
            _ => return None,
        })
    }

    /// The cluster the file is for.
    pub fn cluster(&self) -> &str {
        match self {
            OutFile::Index { cluster }
            | OutFile::ClusterIndex { cluster }
            | OutFile::ClusterRole { cluster, .. }
            | OutFile::ClusterRoleBinding { cluster, .. }
            | OutFile::KubeconfigNamespace { cluster, .. }
            | OutFile::AssumedRoles { cluster }
            | OutFile::TeamIndex { cluster, .. }
            | OutFile::Namespace { cluster, .. }
            | OutFile::KubeconfigConfigMap { cluster, .. }
            | OutFile::Kubeconfig { cluster, .. }
            | OutFile::FluxIndex { cluster }
            | OutFile::FluxCluster { cluster }
            | OutFile::FluxTeam { cluster, .. }
            | OutFile::ArgoIndex { cluster }
            | OutFile::ArgoProject { cluster, .. } => cluster,
        }
    }

    /// The team the file is compiled from, and which of its files it is;
    /// `None` for the files every team shares.
    pub fn team(&self) -> Option<(&str, TeamFiles)> {
        match self {
            OutFile::TeamIndex { team, .. }
            | OutFile::Namespace { team, .. }
            | OutFile::KubeconfigConfigMap { team, .. } => Some((team, TeamFiles::Shard)),
            OutFile::Kubeconfig { team, .. } => Some((team, TeamFiles::Kubeconfig)),
            OutFile::FluxTeam { team, .. } => Some((team, TeamFiles::Flux)),
            OutFile::ArgoProject { team, .. } => Some((team, TeamFiles::ArgoProject)),
            _ => None,
        }
    }

    /// Which part of `out/` the file belongs to.
    pub fn part(&self) -> Part {
        match self {
            _ if self.team().is_some() => Part::Team,
            OutFile::ClusterIndex { .. }
            | OutFile::ClusterRole { .. }
            | OutFile::ClusterRoleBinding { .. }
            | OutFile::KubeconfigNamespace { .. }
            | OutFile::AssumedRoles { .. }
            | OutFile::FluxCluster { .. } => Part::Cluster,
            _ => Part::Index,
        }
    }

    /// Whether the file holds Kubernetes objects a cluster applies: not a
    /// kustomization, not a kubeconfig for people.
    pub fn holds_objects(&self) -> bool {
        !matches!(
            self,
            OutFile::Index { .. }
                | OutFile::ClusterIndex { .. }
                | OutFile::TeamIndex { .. }
                | OutFile::FluxIndex { .. }
                | OutFile::ArgoIndex { .. }
                | OutFile::Kubeconfig { .. }
                | OutFile::AssumedRoles { .. }
        )
    }

    /// Whether the file holds RBAC objects that decide access: those a
    /// cluster applies, and the rules rbacc assumes for ClusterRoles the
    /// cluster already holds.
    pub fn holds_rbac(&self) -> bool {
        self.holds_objects() || matches!(self, OutFile::AssumedRoles { .. })
    }

    /// Whether the file holds cluster-wide objects that decide access: the
    /// cluster shard's, and the assumed roles.
    pub fn cluster_wide(&self) -> bool {
        self.in_cluster_shard() || matches!(self, OutFile::AssumedRoles { .. })
    }

    /// The namespace the file declares: a team namespace's file, or the
    /// kubeconfig namespace in the cluster shard.
    pub fn declares(&self) -> Option<&str> {
        match self {
            OutFile::Namespace { namespace, .. }
            | OutFile::KubeconfigNamespace { namespace, .. } => Some(namespace),
            _ => None,
        }
    }

    /// Whether the file is in a team's shard and holds objects: only
    /// namespaced ones, and every object of a namespace is in its file.
    pub fn in_team_shard(&self) -> bool {
        matches!(
            self,
            OutFile::Namespace { .. } | OutFile::KubeconfigConfigMap { .. }
        )
    }

    /// Whether the file is in the cluster shard (`<cluster>/cluster/`).
    pub fn in_cluster_shard(&self) -> bool {
        matches!(
            self,
            OutFile::ClusterIndex { .. }
                | OutFile::ClusterRole { .. }
                | OutFile::ClusterRoleBinding { .. }
                | OutFile::KubeconfigNamespace { .. }
        )
    }

    /// The file's name in its directory, as its kustomization lists it.
    pub fn file_name(&self) -> String {
        let path = self.to_string();
        match path.rsplit_once('/') {
            Some((_, name)) => name.to_string(),
            None => path,
        }
    }
}

impl fmt::Display for OutFile {
    /// The path relative to `out/`, `/`-separated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutFile::Index { cluster } => write!(f, "{cluster}/{KUSTOMIZATION}"),
            OutFile::ClusterIndex { cluster } => write!(f, "{cluster}/cluster/{KUSTOMIZATION}"),
            OutFile::ClusterRole { cluster, role } => {
                write!(f, "{cluster}/cluster/clusterrole-{role}.yaml")
            }
            OutFile::ClusterRoleBinding { cluster, binding } => {
                write!(f, "{cluster}/cluster/clusterrolebinding-{binding}.yaml")
            }
            OutFile::KubeconfigNamespace { cluster, namespace } => {
                write!(f, "{cluster}/cluster/namespace-{namespace}.yaml")
            }
            OutFile::AssumedRoles { cluster } => write!(f, "{cluster}/{ASSUMED_ROLES}"),
            OutFile::TeamIndex { cluster, team } => {
                write!(f, "{}/{KUSTOMIZATION}", team_shard(cluster, team))
            }
            OutFile::Namespace {
                cluster,
                team,
                namespace,
            } => write!(f, "{}/{namespace}.yaml", team_shard(cluster, team)),
            OutFile::KubeconfigConfigMap { cluster, team } => {
                write!(f, "{}/{KUBECONFIG_CONFIGMAP}", team_shard(cluster, team))
            }
            OutFile::Kubeconfig { cluster, team } => write!(f, "{cluster}/kubeconfigs/{team}.yaml"),
            OutFile::FluxIndex { cluster } => write!(f, "{cluster}/flux/{KUSTOMIZATION}"),
            OutFile::FluxCluster { cluster } => write!(f, "{cluster}/flux/cluster.yaml"),
            OutFile::FluxTeam { cluster, team } => write!(f, "{cluster}/flux/team-{team}.yaml"),
            OutFile::ArgoIndex { cluster } => write!(f, "{cluster}/argocd/{KUSTOMIZATION}"),
            OutFile::ArgoProject { cluster, team } => {
                write!(f, "{cluster}/argocd/project-{team}.yaml")
            }
        }
    }
}

/// The directory of the cluster shard, relative to `out/`, as Flux names
/// it in a Kustomization's `path`.
pub fn cluster_shard(cluster: &str) -> String {
    format!("{cluster}/cluster")
}

/// The directory of a team's shard, relative to `out/`.
pub fn team_shard(cluster: &str, team: &str) -> String {
    format!("{cluster}/teams/{team}")
}

/// A shard as its cluster's kustomization lists it: `cluster` or
/// `teams/<team>`.
pub fn shard_entry(team: Option<&str>) -> String {
    match team {
        Some(team) => format!("teams/{team}"),
        None => "cluster".to_string(),
    }
}

/// The cluster whose directory `path` (relative to `out/`) is in, if any.
pub fn cluster_of(path: &str) -> &str {
    path.split_once('/').map_or(path, |(cluster, _)| cluster)
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
            TeamFiles::ArgoProject => format!("*/argocd/project-{team}.yaml"),
        }
    }

    /// The team a file of `out/` (a path relative to it) is compiled from,
    /// and which kind of its files it is; `None` for the files every team
    /// shares and for paths rbacc does not write.
    pub fn of(path: &str) -> Option<(String, TeamFiles)> {
        let file = OutFile::parse(path)?;
        file.team().map(|(team, kind)| (team.to_string(), kind))
    }
}

/// A name that can be one part of a path: what validation lets through.
fn plain(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> Vec<OutFile> {
        let (c, t) = ("prod".to_string(), "payments".to_string());
        vec![
            OutFile::Index { cluster: c.clone() },
            OutFile::ClusterIndex { cluster: c.clone() },
            OutFile::ClusterRole {
                cluster: c.clone(),
                role: "viewer".into(),
            },
            OutFile::KubeconfigNamespace {
                cluster: c.clone(),
                namespace: "rbacc-kubeconfigs".into(),
            },
            OutFile::TeamIndex {
                cluster: c.clone(),
                team: t.clone(),
            },
            OutFile::Namespace {
                cluster: c.clone(),
                team: t.clone(),
                namespace: "payments-prod".into(),
            },
            OutFile::KubeconfigConfigMap {
                cluster: c.clone(),
                team: t.clone(),
            },
            OutFile::Kubeconfig {
                cluster: c.clone(),
                team: t.clone(),
            },
            OutFile::FluxIndex { cluster: c.clone() },
            OutFile::FluxCluster { cluster: c.clone() },
            OutFile::FluxTeam {
                cluster: c.clone(),
                team: t.clone(),
            },
            OutFile::ClusterRoleBinding {
                cluster: c.clone(),
                binding: "auditors-view".into(),
            },
            OutFile::AssumedRoles { cluster: c.clone() },
            OutFile::ArgoIndex { cluster: c.clone() },
            OutFile::ArgoProject {
                cluster: c,
                team: t,
            },
        ]
    }

    #[test]
    fn every_path_parses_back_to_its_file() {
        for file in examples() {
            let path = file.to_string();
            assert_eq!(OutFile::parse(&path), Some(file.clone()), "{path}");
            assert_eq!(file.cluster(), "prod");
            assert_eq!(cluster_of(&path), "prod");
        }
    }

    #[test]
    fn what_each_file_holds() {
        let declared: Vec<(String, &str)> = examples()
            .iter()
            .filter_map(|f| Some((f.to_string(), f.declares()?)))
            .map(|(p, n)| {
                (
                    p,
                    if n == "payments-prod" {
                        "ns"
                    } else {
                        "kubeconfigs"
                    },
                )
            })
            .collect();
        assert_eq!(
            declared,
            [
                (
                    "prod/cluster/namespace-rbacc-kubeconfigs.yaml".to_string(),
                    "kubeconfigs"
                ),
                ("prod/teams/payments/payments-prod.yaml".to_string(), "ns"),
            ]
        );
        // The file names of the examples `keep` selects.
        let names = |keep: fn(&OutFile) -> bool| -> Vec<String> {
            examples()
                .iter()
                .filter(|f| keep(f))
                .map(|f| f.file_name())
                .collect()
        };
        assert_eq!(
            names(OutFile::holds_objects),
            [
                "clusterrole-viewer.yaml",
                "namespace-rbacc-kubeconfigs.yaml",
                "payments-prod.yaml",
                "rbacc.kubeconfig.yaml",
                "cluster.yaml",
                "team-payments.yaml",
                "clusterrolebinding-auditors-view.yaml",
                "project-payments.yaml",
            ]
        );
        // The assumed roles decide access but are not applied.
        let rbac: Vec<String> = examples()
            .iter()
            .filter(|f| f.holds_rbac() && !f.holds_objects())
            .map(|f| f.to_string())
            .collect();
        assert_eq!(rbac, ["prod/assumed-roles.yaml"]);
        assert_eq!(
            names(OutFile::cluster_wide),
            [
                "kustomization.yaml",
                "clusterrole-viewer.yaml",
                "namespace-rbacc-kubeconfigs.yaml",
                "clusterrolebinding-auditors-view.yaml",
                "assumed-roles.yaml",
            ]
        );
    }

    #[test]
    fn paths_rbacc_does_not_write_are_none() {
        for path in [
            "",
            "prod",
            "prod/README.md",
            "prod/teams/payments",
            "prod/teams/payments/a.b.yaml",
            "prod/teams/payments/x/y.yaml",
            "prod/cluster/other.yaml",
            "prod/flux/other.yaml",
            "prod/kubeconfigs/payments.yml",
            "../x/kustomization.yaml",
            "prod/teams/../kustomization.yaml",
        ] {
            assert_eq!(OutFile::parse(path), None, "{path}");
        }
    }

    #[test]
    fn team_files_match_their_patterns_only() {
        for file in examples() {
            let path = file.to_string();
            match TeamFiles::of(&path) {
                Some((team, kind)) => {
                    assert_eq!(team, "payments");
                    let pattern = kind.pattern("payments");
                    let pattern = pattern.trim_start_matches("*/");
                    let rest = path.split_once('/').unwrap().1;
                    assert!(
                        rest.starts_with(pattern) || rest == pattern,
                        "{path} ~ {pattern}"
                    );
                    assert_eq!(file.part(), Part::Team);
                }
                None => assert_ne!(file.part(), Part::Team, "{path}"),
            }
        }
    }
}
