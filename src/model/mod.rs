//! The compiler's model: [`raw`] as written, and the resolved [`Org`] that
//! validation produces and emission consumes.
//!
//! Architecture invariant: an `Org` exists only when validation found no
//! error, so everything in it is valid (names are DNS-1123 labels, roles and
//! clusters resolve, no two objects collide). It holds no spans and is not
//! `Serialize`; only `emit` decides how it looks as Kubernetes YAML.

pub mod raw;

use std::collections::BTreeMap;

pub use raw::PodSecurity;

/// A whole organisation, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Who reviews what every team shares (`spec.owners`), as written.
    pub owners: Vec<String>,
    /// Sorted by name.
    pub clusters: Vec<Cluster>,
    pub protect_namespaces: bool,
    /// Every ClusterRole rbacc emits, built-in and custom, sorted by name.
    pub roles: Vec<RoleDef>,
    /// The ClusterRoles teams bind that exist in the cluster
    /// (`spec.existingRoles`), with the rules rbacc assumes: not emitted as
    /// objects, sorted by name.
    pub existing_roles: Vec<RoleDef>,
    /// The platform's ClusterRoleBindings (`spec.clusterBindings`), sorted
    /// by name.
    pub cluster_bindings: Vec<ClusterBinding>,
    /// Sorted by name.
    pub teams: Vec<Team>,
    /// Rendered kubeconfigs, when `rbacc.yaml` asks for them.
    pub kubeconfigs: Option<Kubeconfigs>,
    /// Argo CD AppProjects, when `rbacc.yaml` asks for them.
    pub argocd: Option<ArgoCd>,
    /// The budgets the output must keep to (`policy.limits`).
    pub limits: crate::validate::limits::Limits,
}

/// The Flux Kustomizations rbacc emits, one per shard, when `rbacc.yaml`
/// has `spec.gitops.flux`. Kept beside the [`Org`], not in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flux {
    /// The GitRepository every Kustomization reads.
    pub source_ref: String,
    /// The namespace of the Kustomizations.
    pub namespace: String,
    /// A Go duration.
    pub interval: String,
}

/// The Argo CD AppProjects rbacc emits, one per team, when `rbacc.yaml` has
/// `spec.gitops.argocd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgoCd {
    /// The namespace of the AppProjects.
    pub namespace: String,
    /// The repositories applications may read.
    pub source_repos: Vec<String>,
}

/// The name of a team's AppProject.
pub fn argocd_project_name(team: &str) -> String {
    format!("rbacc-team-{team}")
}

/// The name of a namespace's ResourceQuota (`quota`).
pub const QUOTA_NAME: &str = "rbacc-quota";

/// The name of a namespace's LimitRange (`limitRange`).
pub const LIMIT_RANGE_NAME: &str = "rbacc-limits";

/// The name of the Flux Kustomization of a cluster's `cluster/` shard.
pub const FLUX_CLUSTER_NAME: &str = "rbacc-cluster";

/// The name of the Flux Kustomization of a team's shard.
pub fn flux_team_name(team: &str) -> String {
    format!("rbacc-team-{team}")
}

/// Every team's kubeconfig for every cluster it has namespaces on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubeconfigs {
    /// The namespace of the per-team ConfigMaps.
    pub namespace: String,
    /// `(cluster, team)` -> kubeconfig.
    pub rendered: BTreeMap<(String, String), Kubeconfig>,
}

/// One rendered, checked kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kubeconfig {
    /// The YAML text, as the template rendered it.
    pub text: String,
    /// Repo-relative path of the template, or `built-in:<name>`.
    pub template: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub server: String,
    pub certificate_authority_data: Option<String>,
}

impl Org {
    /// Every namespace on `cluster`, with its team: teams by name, then
    /// their namespaces in order.
    pub fn namespaces_on<'a>(
        &'a self,
        cluster: &'a str,
    ) -> impl Iterator<Item = (&'a Team, &'a Namespace)> + 'a {
        self.teams.iter().flat_map(move |team| {
            team.namespaces
                .iter()
                .filter(move |ns| ns.clusters.iter().any(|c| c == cluster))
                .map(move |ns| (team, ns))
        })
    }
}

/// A ClusterRole that rbacc emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDef {
    /// The name teams use (`deployer`).
    pub name: String,
    pub description: String,
    pub rules: Vec<Rule>,
    /// Repo-relative path of the file that declares it.
    pub source: String,
    /// For a ClusterRole that exists in the cluster (`spec.existingRoles`),
    /// which rbacc does not write: its name there and what rbacc knows.
    pub existing: Option<Existing>,
}

/// What rbacc knows of a ClusterRole it does not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    /// Its name in the cluster.
    pub cluster_role: String,
    /// rbacc cannot see its rules (`rules` is empty).
    pub opaque: bool,
    /// Kubernetes' own (`admin`, `edit`, `view`): its rules are the
    /// bootstrap policy's, with any the platform adds.
    pub bootstrap: bool,
}

impl RoleDef {
    /// The ClusterRole's object name.
    pub fn object_name(&self) -> String {
        match &self.existing {
            Some(existing) => existing.cluster_role.clone(),
            None => cluster_role_name(&self.name),
        }
    }
}

/// The ClusterRole object name for a role teams call `name`.
pub fn cluster_role_name(name: &str) -> String {
    format!("rbacc:{name}")
}

/// One RBAC policy rule; every list sorted and deduplicated.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
    pub resource_names: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    /// Repo-relative path of the team file.
    pub source: String,
    pub description: Option<String>,
    pub contacts: Vec<String>,
    /// `metadata.owners` as written (checked, duplicates removed): who
    /// reviews changes to the team, for its CODEOWNERS entries.
    pub owners: Vec<String>,
    /// Every subject named under `spec.members`, whatever its role: sorted.
    pub members: Vec<Subject>,
    /// The team's own roles (`spec.roles`), written as a Role in each of
    /// its namespaces; sorted by name.
    pub roles: Vec<RoleDef>,
    /// Sorted by name.
    pub namespaces: Vec<Namespace>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    /// Sorted cluster names.
    pub clusters: Vec<String>,
    pub pod_security: PodSecurity,
    pub quota: BTreeMap<String, String>,
    pub limit_range: Option<LimitRange>,
    /// The team's and the platform's default labels; emit adds the ones
    /// rbacc owns.
    pub labels: BTreeMap<String, String>,
    /// The team's and the platform's default annotations; emit adds the
    /// ones rbacc owns.
    pub annotations: BTreeMap<String, String>,
    /// The platform's and the team's, sorted by name.
    pub network_policies: Vec<NetworkPolicy>,
    /// Sorted names.
    pub service_accounts: Vec<String>,
    /// Sorted by name.
    pub bindings: Vec<Binding>,
}

/// A NetworkPolicy in a namespace, with rbacc's shorthands resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    pub name: String,
    /// Repo-relative path of the file that declares it: `rbacc.yaml` for
    /// the platform's.
    pub source: String,
    /// The pods it applies to; empty: every pod of the namespace.
    pub pod_selector: Selector,
    /// `Ingress`, `Egress`: as written, else `Ingress`, with `Egress` where
    /// there are egress rules (the API server's default, written out).
    pub policy_types: Vec<String>,
    pub ingress: Vec<TrafficRule>,
    pub egress: Vec<TrafficRule>,
}

/// An ingress or egress rule: traffic from (to) any of `peers` (every
/// peer when `None`) on any of `ports` (every port when empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficRule {
    pub peers: Option<Vec<Peer>>,
    pub ports: Vec<Port>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// Pods of the policy's own namespace.
    Pods(Selector),
    /// Pods (all when `None`) of the namespaces the selector matches.
    Namespaces {
        namespaces: Selector,
        pods: Option<Selector>,
    },
    /// Addresses in `cidr` but not in `except`.
    IpBlock { cidr: String, except: Vec<String> },
}

/// A label selector; empty matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<SelectorExpression>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorExpression {
    pub key: String,
    /// `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub operator: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// `TCP`, `UDP`, `SCTP`; `None`: TCP.
    pub protocol: Option<String>,
    pub port: Option<PortNumber>,
    pub end_port: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortNumber {
    Number(i32),
    /// A named container port.
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitRange {
    pub default_request: BTreeMap<String, String>,
    pub default: BTreeMap<String, String>,
}

/// A RoleBinding in one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub name: String,
    /// The role it binds.
    pub role: RoleRef,
    /// Sorted and deduplicated.
    pub subjects: Vec<Subject>,
}

/// A ClusterRoleBinding of the platform's: access in every namespace of
/// its clusters, and to cluster-scoped resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterBinding {
    /// As rbacc.yaml names it; the object is `rbacc:<name>`.
    pub name: String,
    /// The ClusterRole's object name.
    pub cluster_role: String,
    /// Sorted and deduplicated.
    pub subjects: Vec<Subject>,
    /// Sorted cluster names.
    pub clusters: Vec<String>,
    /// Repo-relative path of `rbacc.yaml`.
    pub source: String,
}

impl ClusterBinding {
    /// The ClusterRoleBinding's object name.
    pub fn object_name(&self) -> String {
        cluster_role_name(&self.name)
    }
}

/// The role a RoleBinding refers to, by its object name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleRef {
    /// A ClusterRole: rbacc's (`rbacc:<name>`), an existing one, or
    /// `cluster-admin`.
    ClusterRole(String),
    /// A team's own Role (`rbacc:<name>`) in the binding's namespace.
    Role(String),
}

impl RoleRef {
    /// `ClusterRole` or `Role`.
    pub fn kind(&self) -> &'static str {
        match self {
            RoleRef::ClusterRole(_) => "ClusterRole",
            RoleRef::Role(_) => "Role",
        }
    }

    /// The object name.
    pub fn name(&self) -> &str {
        match self {
            RoleRef::ClusterRole(name) | RoleRef::Role(name) => name,
        }
    }
}

impl std::fmt::Display for RoleRef {
    /// `ClusterRole rbacc:admin`, as diagnostics name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.kind(), self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Group(String),
    User(String),
    ServiceAccount { namespace: String, name: String },
}
