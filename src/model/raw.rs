//! The declarations as written: `rbacc.yaml` and team files, every value
//! with its span. Nothing here is checked beyond shape; `validate` turns
//! these into the resolved [`crate::model::Org`]. Which fields each
//! mapping holds is declared once, by the schema's types
//! ([`crate::schema::Mapping`]).

use crate::decode::{Decoder, Fields};
use crate::diag::{Code, Diagnostic};
use crate::schema::{self as s, Mapping};
use crate::source::{FileId, Sp, Span};
use crate::yaml::{Kind, Node};

pub const API_VERSION: &str = "rbacc.dev/v1alpha1";

/// How missing-field messages name a file's top level.
const CONFIG_FILE: &str = "the config file";
const TEAM_FILE: &str = "the team file";

/// `rbacc.yaml`.
#[derive(Debug, Default)]
pub struct Config {
    pub file: Option<FileId>,
    pub clusters: Vec<Cluster>,
    pub policy: Policy,
    pub defaults: Defaults,
    pub roles: Vec<Role>,
    /// `spec.existingRoles`: ClusterRoles in the cluster teams may bind.
    pub existing_roles: Vec<ExistingRole>,
    /// `spec.clusterBindings`: the platform's ClusterRoleBindings.
    pub cluster_bindings: Vec<ClusterBinding>,
    /// `spec.networkPolicies`: in every team namespace.
    pub network_policies: Vec<NetworkPolicy>,
    /// `spec.kubeconfig`: how kubeconfigs are rendered, for every cluster.
    pub kubeconfig: Option<Kubeconfig>,
    /// `spec.gitops`: wiring for GitOps controllers.
    pub gitops: Gitops,
    /// `spec.owners`: who reviews what every team shares (this file,
    /// templates, cluster-wide output), as a forge writes them.
    pub owners: Vec<Sp<String>>,
    /// Where `spec.clusters` was written as an empty list, for the "no
    /// clusters" diagnostic. `None` when it has items, or is absent or of
    /// the wrong type (reported as such).
    pub no_clusters: Option<Span>,
}

/// `spec.gitops`.
#[derive(Debug, Default)]
pub struct Gitops {
    /// `spec.gitops.flux`: present (even empty) when rbacc is to emit a
    /// Flux Kustomization per shard.
    pub flux: Option<Flux>,
    /// `spec.gitops.argocd`: present (even empty) when rbacc is to emit an
    /// Argo CD AppProject per team.
    pub argocd: Option<ArgoCd>,
}

/// `spec.gitops.argocd`.
#[derive(Debug)]
pub struct ArgoCd {
    pub span: Span,
    pub namespace: Option<Sp<String>>,
    pub source_repos: Option<Vec<Sp<String>>>,
}

/// `spec.gitops.flux`.
#[derive(Debug)]
pub struct Flux {
    pub span: Span,
    /// The name of the GitRepository the Kustomizations read.
    pub source_ref: Option<Sp<String>>,
    /// The namespace of the Kustomizations (and their GitRepository).
    pub namespace: Option<Sp<String>>,
    /// How often Flux reconciles, as a Go duration (`10m`).
    pub interval: Option<Sp<String>>,
}

/// Kubeconfig settings, config-wide or for one cluster.
#[derive(Debug)]
pub struct Kubeconfig {
    pub span: Span,
    pub template: Option<Sp<String>>,
    /// Config-wide only: where the per-team ConfigMaps live.
    pub namespace: Option<Sp<String>>,
    pub oidc: Option<Oidc>,
    pub pinniped: Option<Pinniped>,
}

#[derive(Debug)]
pub struct Oidc {
    pub span: Span,
    pub issuer_url: Option<Sp<String>>,
    pub client_id: Option<Sp<String>>,
    pub extra_scopes: Vec<Sp<String>>,
}

#[derive(Debug)]
pub struct Pinniped {
    pub span: Span,
    pub concierge_endpoint: Option<Sp<String>>,
    pub authenticator_name: Option<Sp<String>>,
    pub authenticator_type: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct Cluster {
    pub name: Sp<String>,
    pub server: Sp<String>,
    pub certificate_authority_data: Option<Sp<String>>,
    pub kubeconfig: Option<Kubeconfig>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespacePrefix {
    Team,
    None,
}

impl NamespacePrefix {
    pub const CHOICES: &'static [(&'static str, NamespacePrefix)] = &[
        ("team", NamespacePrefix::Team),
        ("none", NamespacePrefix::None),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodSecurity {
    Privileged,
    Baseline,
    Restricted,
}

impl PodSecurity {
    pub const CHOICES: &'static [(&'static str, PodSecurity)] = &[
        ("privileged", PodSecurity::Privileged),
        ("baseline", PodSecurity::Baseline),
        ("restricted", PodSecurity::Restricted),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PodSecurity::Privileged => "privileged",
            PodSecurity::Baseline => "baseline",
            PodSecurity::Restricted => "restricted",
        }
    }
}

#[derive(Debug, Default)]
pub struct Policy {
    pub reserved_namespaces: Option<Vec<Sp<String>>>,
    /// `policy.unreserveNamespaces`: add-on namespaces teams may declare.
    pub unreserve_namespaces: Vec<Sp<String>>,
    pub namespace_prefix: Option<Sp<NamespacePrefix>>,
    pub viewers_secrets: Option<Sp<bool>>,
    pub viewers_exec: Option<Sp<bool>>,
    pub forbid_cluster_admin: Option<Sp<bool>>,
    pub protect_namespaces: Option<bool>,
    /// `teamRoles`: whether teams may declare roles of their own.
    pub team_roles: Option<Sp<bool>>,
    pub extra_resources: Vec<ExtraResource>,
    /// `policy.risks`: risk id -> level, unchecked.
    pub risks: Vec<(Sp<String>, Sp<String>)>,
    /// `policy.labels`: label keys teams may or may not set.
    pub labels: MetadataPolicy,
    /// `policy.annotations`.
    pub annotations: MetadataPolicy,
    /// `policy.podSecurity`: the levels teams may choose.
    pub pod_security: PodSecurityPolicy,
    /// `policy.limits`: budgets on what one declaration makes.
    pub limits: Limits,
    /// `policy.builtinRoles`: what the platform accepts of each built-in
    /// role, in the order written.
    pub builtin_roles: Vec<BuiltinRolePolicy>,
}

/// One entry of `policy.builtinRoles`, unchecked: a role name and, when
/// written, the risks its bindings are accepted with.
#[derive(Debug)]
pub struct BuiltinRolePolicy {
    pub role: Sp<String>,
    /// `allow:` as written; `None` when the entry has none (the defaults
    /// stay).
    pub allow: Option<Vec<BuiltinAllow>>,
}

/// One entry of `policy.builtinRoles.<role>.allow`, unchecked.
#[derive(Debug)]
pub struct BuiltinAllow {
    pub span: Span,
    pub risk: Sp<String>,
    pub reason: Option<Sp<String>>,
}

/// `policy.labels`.
#[derive(Debug, Default)]
pub struct MetadataPolicy {
    pub allow: Vec<Sp<String>>,
    pub forbid: Vec<Sp<String>>,
    pub required: Vec<Sp<String>>,
    pub values: Vec<(Sp<String>, AllowedValues)>,
}

/// The values a key of `policy.labels.values` (or `annotations`) may take.
#[derive(Debug)]
pub enum AllowedValues {
    /// One of these (the span is the list's).
    List(Span, Vec<Sp<String>>),
    /// A regular expression the whole value matches.
    Pattern(Sp<String>),
}

/// `policy.podSecurity`.
#[derive(Debug, Default)]
pub struct PodSecurityPolicy {
    pub minimum: Option<Sp<PodSecurity>>,
    pub privileged_namespaces: Vec<Sp<String>>,
}

/// `policy.limits`, as written.
#[derive(Debug, Default)]
pub struct Limits {
    pub namespaces_per_team: Option<Sp<u64>>,
    pub subjects_per_binding: Option<Sp<u64>>,
    pub team_output_bytes: Option<Sp<u64>>,
    pub output_bytes: Option<Sp<u64>>,
    pub binding_subjects: Option<Sp<u64>>,
}

#[derive(Debug)]
pub struct ExtraResource {
    pub api_group: Sp<String>,
    pub resources: Vec<Sp<String>>,
}

#[derive(Debug, Default)]
pub struct Defaults {
    pub pod_security: Option<Sp<PodSecurity>>,
    pub quota: Vec<(Sp<String>, Sp<String>)>,
    pub limit_range: Option<LimitRange>,
    pub labels: Vec<(Sp<String>, Sp<String>)>,
    pub annotations: Vec<(Sp<String>, Sp<String>)>,
}

#[derive(Debug, Default, Clone)]
pub struct LimitRange {
    pub default_request: Vec<(Sp<String>, Sp<String>)>,
    pub default: Vec<(Sp<String>, Sp<String>)>,
}

#[derive(Debug)]
pub struct Role {
    pub name: Sp<String>,
    pub description: Option<Sp<String>>,
    pub rules: Vec<Rule>,
    pub allow: Vec<Sp<String>>,
    pub reason: Option<Sp<String>>,
}

/// A ClusterRoleBinding of the platform's.
#[derive(Debug)]
pub struct ClusterBinding {
    pub span: Span,
    pub name: Sp<String>,
    pub role: Option<Sp<String>>,
    pub clusters: Option<Vec<Sp<String>>>,
    pub subjects: Subjects,
    pub allow: Vec<Sp<String>>,
    pub reason: Option<Sp<String>>,
}

/// A ClusterRole that exists in the cluster, which rbacc does not write.
#[derive(Debug)]
pub struct ExistingRole {
    pub span: Span,
    pub name: Sp<String>,
    pub cluster_role: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub rules: Option<Vec<Rule>>,
    pub opaque: Option<Sp<bool>>,
    pub allow: Vec<Sp<String>>,
    pub reason: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct Rule {
    pub span: Span,
    pub api_groups: Vec<Sp<String>>,
    pub resources: Vec<Sp<String>>,
    pub verbs: Vec<Sp<String>>,
    pub resource_names: Vec<Sp<String>>,
}

/// One team file.
#[derive(Debug)]
pub struct Team {
    pub file: FileId,
    /// The file name without `.yaml`: must equal `metadata.name`.
    pub file_stem: String,
    pub name: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub contacts: Vec<Sp<String>>,
    /// `metadata.owners`: who reviews changes to the team, as a forge's
    /// CODEOWNERS file names them (`@user`, `@org/team`, an email address).
    pub owners: Vec<Sp<String>>,
    pub members: Vec<(Sp<String>, Subjects)>,
    /// `spec.roles`: the team's own roles.
    pub roles: Vec<Role>,
    pub namespaces: Vec<Namespace>,
    /// `spec.allow`: risk findings the team accepts on purpose.
    pub allow: Vec<Allow>,
}

/// One entry of a team's `spec.allow`, unchecked.
#[derive(Debug)]
pub struct Allow {
    pub span: Span,
    pub risk: Sp<String>,
    /// Only findings through bindings of this role (required; `None` when
    /// it is missing, already reported).
    pub role: Option<Sp<String>>,
    /// For the risks of NetworkPolicies, the policy (in the team's
    /// namespaces) whose findings the entry accepts, instead of a role.
    pub network_policy: Option<Sp<String>>,
    pub reason: Option<Sp<String>>,
}

#[derive(Debug, Default, Clone)]
pub struct Subjects {
    pub groups: Vec<Sp<String>>,
    pub users: Vec<Sp<String>>,
    pub service_accounts: Vec<Sp<String>>,
    /// `expires: YYYY-MM-DD`, unchecked: the day from which the entry no
    /// longer grants anything.
    pub expires: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct Namespace {
    pub name: Sp<String>,
    pub clusters: Option<Vec<Sp<String>>>,
    pub pod_security: Option<Sp<PodSecurity>>,
    pub quota: Vec<(Sp<String>, Sp<String>)>,
    pub limit_range: Option<LimitRange>,
    pub labels: Vec<(Sp<String>, Sp<String>)>,
    pub annotations: Vec<(Sp<String>, Sp<String>)>,
    pub network_policies: Vec<NetworkPolicy>,
    pub service_accounts: Vec<ServiceAccount>,
    pub grants: Vec<Grant>,
}

#[derive(Debug)]
pub struct NetworkPolicy {
    pub span: Span,
    pub name: Sp<String>,
    pub pod_selector: Option<Selector>,
    pub policy_types: Option<Vec<Sp<String>>>,
    /// `None` when absent; `Some` (maybe empty) when written.
    pub ingress: Option<Vec<TrafficRule>>,
    pub egress: Option<Vec<TrafficRule>>,
}

/// An ingress rule (`from`) or an egress rule (`to`).
#[derive(Debug)]
pub struct TrafficRule {
    pub span: Span,
    /// `None`: the key is absent, which means every peer.
    pub peers: Option<Vec<Peer>>,
    pub ports: Vec<Port>,
}

/// One entry of `from` or `to`: a Kubernetes peer or one of rbacc's
/// shorthands. Which fields go together is validation's to say.
#[derive(Debug)]
pub struct Peer {
    pub span: Span,
    pub same_namespace: Option<Sp<bool>>,
    pub teams: Option<Vec<Sp<String>>>,
    pub namespaces: Option<Vec<Sp<String>>>,
    pub namespace_selector: Option<Selector>,
    pub pod_selector: Option<Selector>,
    pub ip_block: Option<IpBlock>,
}

#[derive(Debug)]
pub struct Selector {
    pub span: Span,
    pub match_labels: Vec<(Sp<String>, Sp<String>)>,
    pub match_expressions: Vec<SelectorExpression>,
}

#[derive(Debug)]
pub struct SelectorExpression {
    pub span: Span,
    pub key: Option<Sp<String>>,
    pub operator: Option<Sp<String>>,
    pub values: Option<Vec<Sp<String>>>,
}

#[derive(Debug)]
pub struct IpBlock {
    pub span: Span,
    pub cidr: Option<Sp<String>>,
    pub except: Vec<Sp<String>>,
}

#[derive(Debug)]
pub struct Port {
    pub span: Span,
    /// The port as written, and whether it was a number.
    pub port: Option<(Sp<String>, bool)>,
    pub end_port: Option<(Sp<String>, bool)>,
    pub protocol: Option<Sp<String>>,
}

#[derive(Debug)]
pub struct ServiceAccount {
    pub name: Sp<String>,
    pub role: Sp<String>,
}

#[derive(Debug)]
pub struct Grant {
    pub span: Span,
    pub role: Sp<String>,
    pub teams: Vec<Sp<String>>,
    pub subjects: Subjects,
}

/// Checks `apiVersion` and `kind`, reporting what is off. `file` names the
/// file in missing-field messages ("the team file").
fn header(d: &mut Decoder, top: &mut Fields, kind: &str, file: &str) {
    if let Some(node) = top.required(d, "apiVersion", file)
        && let Some(v) = d.string(node)
        && v.value != API_VERSION
    {
        d.push(
            Diagnostic::error(
                Code::UnsupportedKind,
                v.span,
                format!("unsupported apiVersion `{}`", v.value),
            )
            .label("not supported")
            .help(format!(
                "this version of rbacc reads `apiVersion: {API_VERSION}`"
            )),
        );
    }
    if let Some(node) = top.required(d, "kind", file)
        && let Some(k) = d.string(node)
        && k.value != kind
    {
        d.push(
            Diagnostic::error(
                Code::UnsupportedKind,
                k.span,
                format!("expected `kind: {kind}`, found `{}`", k.value),
            )
            .label("wrong kind")
            .help(format!("this file is read as a {kind}")),
        );
    }
}

pub fn decode_config(d: &mut Decoder, file: FileId, root: &Node) -> Config {
    let mut config = Config {
        file: Some(file),
        ..Config::default()
    };
    let mut top = d.fields(root, s::ConfigFile::fields());
    header(d, &mut top, "Config", CONFIG_FILE);
    top.get("metadata");
    let spec = top.required(d, "spec", CONFIG_FILE);
    let spec_key = top.key_span("spec");
    top.finish(d);
    let Some(spec) = spec else { return config };
    let mut spec = d.fields(spec, s::ConfigSpec::fields()).missing_at(spec_key);
    if let Some(clusters) = spec.required(d, "clusters", "`spec`") {
        let items = d.items(clusters);
        if items.is_empty() && matches!(clusters.kind, Kind::Seq(_) | Kind::Null) {
            config.no_clusters = spec.key_span("clusters");
        }
        for node in items {
            if let Some(c) = decode_cluster(d, node) {
                config.clusters.push(c);
            }
        }
    }
    if let Some(policy) = spec.get("policy") {
        config.policy = decode_policy(d, policy);
    }
    if let Some(defaults) = spec.get("defaults") {
        config.defaults = decode_defaults(d, defaults);
    }
    if let Some(list) = spec.get("roles") {
        config.roles = decode_list(d, list, decode_role);
    }
    if let Some(list) = spec.get("existingRoles") {
        config.existing_roles = decode_list(d, list, decode_existing_role);
    }
    if let Some(list) = spec.get("clusterBindings") {
        for node in d.items(list) {
            let mut f = d.fields(node, s::ClusterBindingEntry::fields());
            let name = f
                .required(d, "name", "a cluster binding")
                .and_then(|n| d.string(n));
            let binding = ClusterBinding {
                span: node.span,
                name: Sp::new(String::new(), node.span),
                role: f
                    .required(d, "role", "a cluster binding")
                    .and_then(|n| d.string(n)),
                clusters: f.get("clusters").map(|n| d.strings(n)),
                subjects: take_subjects(d, &mut f),
                allow: f.get("allow").map(|n| d.strings(n)).unwrap_or_default(),
                reason: f.get("reason").and_then(|n| d.string(n)),
            };
            f.finish(d);
            if let Some(name) = name {
                config
                    .cluster_bindings
                    .push(ClusterBinding { name, ..binding });
            }
        }
    }
    if let Some(list) = spec.get("networkPolicies") {
        config.network_policies = decode_network_policies(d, list);
    }
    config.kubeconfig = spec
        .get("kubeconfig")
        .map(|n| decode_kubeconfig(d, n, true));
    if let Some(gitops) = spec.get("gitops") {
        config.gitops = decode_gitops(d, gitops);
    }
    config.owners = spec.get("owners").map(|n| d.strings(n)).unwrap_or_default();
    spec.finish(d);
    config
}

fn decode_gitops(d: &mut Decoder, node: &Node) -> Gitops {
    let mut f = d.fields(node, s::Gitops::fields());
    let flux = f.get("flux").map(|n| {
        let mut x = d.fields(n, s::Flux::fields());
        let flux = Flux {
            span: n.span,
            source_ref: x.get("sourceRef").and_then(|n| d.string(n)),
            namespace: x.get("namespace").and_then(|n| d.string(n)),
            interval: x.get("interval").and_then(|n| d.string(n)),
        };
        x.finish(d);
        flux
    });
    let argocd = f.get("argocd").map(|n| {
        let mut a = d.fields(n, s::ArgoCd::fields());
        let argocd = ArgoCd {
            span: n.span,
            namespace: a.get("namespace").and_then(|n| d.string(n)),
            source_repos: a.get("sourceRepos").map(|n| d.strings(n)),
        };
        a.finish(d);
        argocd
    });
    f.finish(d);
    Gitops { flux, argocd }
}

fn decode_cluster(d: &mut Decoder, node: &Node) -> Option<Cluster> {
    let mut f = d.fields(node, s::Cluster::fields());
    let name = f.required(d, "name", "a cluster").and_then(|n| d.string(n));
    let server = f
        .required(d, "server", "a cluster")
        .and_then(|n| d.string(n));
    let ca = f.get("certificateAuthorityData").and_then(|n| d.string(n));
    let kubeconfig = f.get("kubeconfig").map(|n| decode_kubeconfig(d, n, false));
    f.finish(d);
    Some(Cluster {
        name: name?,
        server: server?,
        certificate_authority_data: ca,
        kubeconfig,
    })
}

fn decode_kubeconfig(d: &mut Decoder, node: &Node, config_wide: bool) -> Kubeconfig {
    let known = if config_wide {
        s::Kubeconfig::fields()
    } else {
        s::ClusterKubeconfig::fields()
    };
    let mut f = d.fields(node, known);
    let mut k = Kubeconfig {
        span: node.span,
        template: f.get("template").and_then(|n| d.string(n)),
        namespace: None,
        oidc: None,
        pinniped: None,
    };
    if config_wide {
        k.namespace = f.get("namespace").and_then(|n| d.string(n));
    }
    if let Some(n) = f.get("oidc") {
        let mut o = d.fields(n, s::Oidc::fields());
        k.oidc = Some(Oidc {
            span: n.span,
            issuer_url: o.get("issuerUrl").and_then(|n| d.string(n)),
            client_id: o.get("clientId").and_then(|n| d.string(n)),
            extra_scopes: o
                .get("extraScopes")
                .map(|n| d.strings(n))
                .unwrap_or_default(),
        });
        o.finish(d);
    }
    if let Some(n) = f.get("pinniped") {
        let mut p = d.fields(n, s::Pinniped::fields());
        k.pinniped = Some(Pinniped {
            span: n.span,
            concierge_endpoint: p.get("conciergeEndpoint").and_then(|n| d.string(n)),
            authenticator_name: p.get("authenticatorName").and_then(|n| d.string(n)),
            authenticator_type: p.get("authenticatorType").and_then(|n| d.string(n)),
        });
        p.finish(d);
    }
    f.finish(d);
    k
}

fn decode_policy(d: &mut Decoder, node: &Node) -> Policy {
    let mut f = d.fields(node, s::Policy::fields());
    let mut policy = Policy {
        reserved_namespaces: f.get("reservedNamespaces").map(|n| d.strings(n)),
        unreserve_namespaces: f
            .get("unreserveNamespaces")
            .map(|n| d.strings(n))
            .unwrap_or_default(),
        namespace_prefix: f
            .get("namespacePrefix")
            .and_then(|n| d.one_of(n, NamespacePrefix::CHOICES)),
        forbid_cluster_admin: f
            .get("forbidClusterAdmin")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span))),
        protect_namespaces: f.get("protectNamespaces").and_then(|n| d.bool(n)),
        team_roles: f
            .get("teamRoles")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span))),
        risks: f.get("risks").map(|n| d.string_map(n)).unwrap_or_default(),
        ..Policy::default()
    };
    if let Some(viewers) = f.get("viewers") {
        let mut v = d.fields(viewers, s::Viewers::fields());
        policy.viewers_secrets = v
            .get("secrets")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span)));
        policy.viewers_exec = v
            .get("exec")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span)));
        v.finish(d);
    }
    if let Some(labels) = f.get("labels") {
        policy.labels = decode_metadata_policy(d, labels);
    }
    if let Some(annotations) = f.get("annotations") {
        policy.annotations = decode_metadata_policy(d, annotations);
    }
    if let Some(pod_security) = f.get("podSecurity") {
        let mut p = d.fields(pod_security, s::PodSecurityPolicy::fields());
        policy.pod_security.minimum = p
            .get("minimum")
            .and_then(|n| d.one_of(n, PodSecurity::CHOICES));
        policy.pod_security.privileged_namespaces = p
            .get("privilegedNamespaces")
            .map(|n| d.strings(n))
            .unwrap_or_default();
        p.finish(d);
    }
    if let Some(limits) = f.get("limits") {
        let mut l = d.fields(limits, s::Limits::fields());
        let mut count = |name: &str| {
            l.get(name)
                .and_then(|n| Some(Sp::new(d.unsigned(n)?, n.span)))
        };
        policy.limits = Limits {
            namespaces_per_team: count("namespacesPerTeam"),
            subjects_per_binding: count("subjectsPerBinding"),
            team_output_bytes: count("teamOutputBytes"),
            output_bytes: count("outputBytes"),
            binding_subjects: count("bindingSubjects"),
        };
        l.finish(d);
    }
    if let Some(roles) = f.get("builtinRoles") {
        for (role, value) in d.entries(roles) {
            let mut r = d.fields(value, s::BuiltinRole::fields());
            let allow = r.get("allow").map(|list| {
                let mut entries = Vec::new();
                for item in d.items(list) {
                    let mut a = d.fields(item, s::BuiltinAllow::fields());
                    let risk = a
                        .required(d, "risk", "a built-in role's `allow` entry")
                        .and_then(|n| d.string(n));
                    let reason = a
                        .required_because(
                            d,
                            "reason",
                            "a built-in role's `allow` entry",
                            Some("say why every team may hold this through the role, so reviewers can judge it"),
                        )
                        .and_then(|n| d.string(n));
                    a.finish(d);
                    if let Some(risk) = risk {
                        entries.push(BuiltinAllow {
                            span: item.span,
                            risk,
                            reason,
                        });
                    }
                }
                entries
            });
            r.finish(d);
            policy.builtin_roles.push(BuiltinRolePolicy {
                role: role.clone(),
                allow,
            });
        }
    }
    if let Some(extra) = f.get("extraResources") {
        for item in d.items(extra) {
            let mut e = d.fields(item, s::ExtraResource::fields());
            let group = e
                .required(d, "apiGroup", "an extra resource")
                .and_then(|n| d.string(n));
            let resources = e
                .required(d, "resources", "an extra resource")
                .map(|n| d.strings(n))
                .unwrap_or_default();
            e.finish(d);
            if let Some(api_group) = group {
                policy.extra_resources.push(ExtraResource {
                    api_group,
                    resources,
                });
            }
        }
    }
    f.finish(d);
    policy
}

fn decode_metadata_policy(d: &mut Decoder, node: &Node) -> MetadataPolicy {
    let mut f = d.fields(node, s::LabelPolicy::fields());
    let mut policy = MetadataPolicy {
        allow: f.get("allow").map(|n| d.strings(n)).unwrap_or_default(),
        forbid: f.get("forbid").map(|n| d.strings(n)).unwrap_or_default(),
        required: f.get("required").map(|n| d.strings(n)).unwrap_or_default(),
        values: Vec::new(),
    };
    if let Some(values) = f.get("values") {
        for (key, allowed) in d.entries(values) {
            let allowed = match allowed.kind {
                Kind::Map(_) => {
                    let mut p = d.fields(allowed, s::AllowedPattern::fields());
                    let pattern = p
                        .required(d, "pattern", "allowed values written as a mapping")
                        .and_then(|n| d.string(n));
                    p.finish(d);
                    match pattern {
                        Some(pattern) => AllowedValues::Pattern(pattern),
                        None => continue,
                    }
                }
                _ => AllowedValues::List(allowed.span, d.strings(allowed)),
            };
            policy.values.push((key.clone(), allowed));
        }
    }
    f.finish(d);
    policy
}

/// Reads a `limitRange` mapping.
fn decode_limit_range(d: &mut Decoder, node: &Node) -> LimitRange {
    let mut l = d.fields(node, s::LimitRange::fields());
    let limit_range = LimitRange {
        default_request: l
            .get("defaultRequest")
            .map(|n| d.string_map(n))
            .unwrap_or_default(),
        default: l
            .get("default")
            .map(|n| d.string_map(n))
            .unwrap_or_default(),
    };
    l.finish(d);
    limit_range
}

fn decode_defaults(d: &mut Decoder, node: &Node) -> Defaults {
    let mut f = d.fields(node, s::Defaults::fields());
    let defaults = Defaults {
        pod_security: f
            .get("podSecurity")
            .and_then(|n| d.one_of(n, PodSecurity::CHOICES)),
        quota: f.get("quota").map(|n| d.string_map(n)).unwrap_or_default(),
        limit_range: f.get("limitRange").map(|n| decode_limit_range(d, n)),
        labels: f.get("labels").map(|n| d.string_map(n)).unwrap_or_default(),
        annotations: f
            .get("annotations")
            .map(|n| d.string_map(n))
            .unwrap_or_default(),
    };
    f.finish(d);
    defaults
}

fn decode_role(d: &mut Decoder, node: &Node) -> Option<Role> {
    let mut f = d.fields(node, s::Role::fields());
    let name = f.required(d, "name", "a role").and_then(|n| d.string(n));
    let description = f.get("description").and_then(|n| d.string(n));
    let rules = f
        .required(d, "rules", "a role")
        .map(|list| decode_rules(d, list))
        .unwrap_or_default();
    let allow = f.get("allow").map(|n| d.strings(n)).unwrap_or_default();
    let reason = f.get("reason").and_then(|n| d.string(n));
    f.finish(d);
    Some(Role {
        name: name?,
        description,
        rules,
        allow,
        reason,
    })
}

/// The items of a list that `decode` reads (it reports the others).
fn decode_list<T>(
    d: &mut Decoder,
    list: &Node,
    decode: fn(&mut Decoder, &Node) -> Option<T>,
) -> Vec<T> {
    let mut out = Vec::new();
    for node in d.items(list) {
        if let Some(item) = decode(d, node) {
            out.push(item);
        }
    }
    out
}

/// Reads a list of RBAC rules.
fn decode_rules(d: &mut Decoder, list: &Node) -> Vec<Rule> {
    let mut rules = Vec::new();
    for item in d.items(list) {
        let mut r = d.fields(item, s::Rule::fields());
        let rule = Rule {
            span: item.span,
            api_groups: r
                .required(d, "apiGroups", "a rule")
                .map(|n| d.strings(n))
                .unwrap_or_default(),
            resources: r
                .required(d, "resources", "a rule")
                .map(|n| d.strings(n))
                .unwrap_or_default(),
            verbs: r
                .required(d, "verbs", "a rule")
                .map(|n| d.strings(n))
                .unwrap_or_default(),
            resource_names: r
                .get("resourceNames")
                .map(|n| d.strings(n))
                .unwrap_or_default(),
        };
        r.finish(d);
        rules.push(rule);
    }
    rules
}

fn decode_existing_role(d: &mut Decoder, node: &Node) -> Option<ExistingRole> {
    let mut f = d.fields(node, s::ExistingRole::fields());
    let name = f
        .required(d, "name", "an existing role")
        .and_then(|n| d.string(n));
    let role = ExistingRole {
        span: node.span,
        name: Sp::new(String::new(), node.span),
        cluster_role: f.get("clusterRole").and_then(|n| d.string(n)),
        description: f.get("description").and_then(|n| d.string(n)),
        rules: f.get("rules").map(|n| decode_rules(d, n)),
        opaque: f
            .get("opaque")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span))),
        allow: f.get("allow").map(|n| d.strings(n)).unwrap_or_default(),
        reason: f.get("reason").and_then(|n| d.string(n)),
    };
    f.finish(d);
    Some(ExistingRole {
        name: name?,
        ..role
    })
}

pub fn decode_team(d: &mut Decoder, file: FileId, file_stem: String, root: &Node) -> Team {
    let mut team = Team {
        file,
        file_stem,
        name: None,
        description: None,
        contacts: Vec::new(),
        owners: Vec::new(),
        members: Vec::new(),
        roles: Vec::new(),
        namespaces: Vec::new(),
        allow: Vec::new(),
    };
    let mut top = d.fields(root, s::TeamFile::fields());
    header(d, &mut top, "Team", TEAM_FILE);
    if let Some(meta) = top.required(d, "metadata", TEAM_FILE) {
        let mut m = d
            .fields(meta, s::TeamMetadata::fields())
            .missing_at(top.key_span("metadata"));
        team.name = m
            .required(d, "name", "`metadata`")
            .and_then(|n| d.string(n));
        team.description = m.get("description").and_then(|n| d.string(n));
        team.contacts = m.get("contacts").map(|n| d.strings(n)).unwrap_or_default();
        team.owners = m.get("owners").map(|n| d.strings(n)).unwrap_or_default();
        m.finish(d);
    }
    let spec = top.required(d, "spec", TEAM_FILE);
    top.finish(d);
    let Some(spec) = spec else { return team };
    let mut s = d.fields(spec, s::TeamSpec::fields());
    if let Some(members) = s.get("members") {
        for (role, subjects) in d.entries(members) {
            let mut f = d.fields(subjects, s::Subjects::fields());
            let subjects = take_subjects(d, &mut f);
            f.finish(d);
            team.members.push((role.clone(), subjects));
        }
    }
    if let Some(roles) = s.get("roles") {
        team.roles = decode_list(d, roles, decode_role);
    }
    if let Some(namespaces) = s.get("namespaces") {
        team.namespaces = decode_list(d, namespaces, decode_namespace);
    }
    if let Some(allow) = s.get("allow") {
        for item in d.items(allow) {
            let mut a = d.fields(item, s::Allow::fields());
            let risk = a
                .required(d, "risk", "an `allow` entry")
                .and_then(|n| d.string(n));
            // Naming the role (or the NetworkPolicy) keeps an entry from
            // accepting the same risk when a later change gives it to
            // another role of the team.
            let network = risk
                .as_ref()
                .and_then(|r| crate::risk::Risk::from_id(&r.value))
                .is_some_and(|r| r.reach() == crate::risk::Reach::Network);
            // With the other one written instead, validation says so.
            let (role, network_policy) = if risk.is_none()
                || (network && a.key_span("role").is_some())
                || (!network && a.key_span("networkPolicy").is_some())
            {
                // Which one the entry needs depends on the risk.
                (
                    a.get("role").and_then(|n| d.string(n)),
                    a.get("networkPolicy").and_then(|n| d.string(n)),
                )
            } else if network {
                let policy = a
                    .required_because(
                        d,
                        "networkPolicy",
                        "an `allow` entry",
                        Some("name the NetworkPolicy whose rules give the risk (`networkPolicy: public-web`), so the entry accepts nothing a later policy opens; write one entry per policy"),
                    )
                    .and_then(|n| d.string(n));
                (a.get("role").and_then(|n| d.string(n)), policy)
            } else {
                let role = a
                    .required_because(
                        d,
                        "role",
                        "an `allow` entry",
                        Some("name the role whose bindings give the risk (`role: admin`), so the entry accepts nothing a later change gives another role; write one entry per role"),
                    )
                    .and_then(|n| d.string(n));
                (role, a.get("networkPolicy").and_then(|n| d.string(n)))
            };
            let reason = a
                .required(d, "reason", "an `allow` entry")
                .and_then(|n| d.string(n));
            a.finish(d);
            if let Some(risk) = risk {
                team.allow.push(Allow {
                    span: item.span,
                    risk,
                    role,
                    network_policy,
                    reason,
                });
            }
        }
    }
    s.finish(d);
    team
}

/// Takes `groups`, `users` and `serviceAccounts` out of a mapping.
fn take_subjects(d: &mut Decoder, f: &mut Fields) -> Subjects {
    Subjects {
        groups: f.get("groups").map(|n| d.strings(n)).unwrap_or_default(),
        users: f.get("users").map(|n| d.strings(n)).unwrap_or_default(),
        service_accounts: f
            .get("serviceAccounts")
            .map(|n| d.strings(n))
            .unwrap_or_default(),
        expires: f.get("expires").and_then(|n| d.scalar_text(n)),
    }
}

fn decode_namespace(d: &mut Decoder, node: &Node) -> Option<Namespace> {
    // A bare string is a namespace with nothing but a name.
    if let Kind::Str(_) = node.kind {
        return Some(Namespace {
            name: d.string(node)?,
            clusters: None,
            pod_security: None,
            quota: Vec::new(),
            limit_range: None,
            labels: Vec::new(),
            annotations: Vec::new(),
            network_policies: Vec::new(),
            service_accounts: Vec::new(),
            grants: Vec::new(),
        });
    }
    let mut f = d.fields(node, s::Namespace::fields());
    let name = f
        .required(d, "name", "a namespace")
        .and_then(|n| d.string(n));
    // The rest is decoded (and its problems reported) even without a name.
    let mut ns = Namespace {
        name: Sp::new(String::new(), node.span),
        // A `clusters` of the wrong type is reported, and then read as
        // absent rather than as an empty list.
        clusters: f.get("clusters").and_then(|n| {
            let clusters = d.strings(n);
            matches!(n.kind, Kind::Seq(_) | Kind::Null).then_some(clusters)
        }),
        pod_security: f
            .get("podSecurity")
            .and_then(|n| d.one_of(n, PodSecurity::CHOICES)),
        quota: f.get("quota").map(|n| d.string_map(n)).unwrap_or_default(),
        limit_range: f.get("limitRange").map(|n| decode_limit_range(d, n)),
        labels: f.get("labels").map(|n| d.string_map(n)).unwrap_or_default(),
        annotations: f
            .get("annotations")
            .map(|n| d.string_map(n))
            .unwrap_or_default(),
        network_policies: f
            .get("networkPolicies")
            .map(|n| decode_network_policies(d, n))
            .unwrap_or_default(),
        service_accounts: Vec::new(),
        grants: Vec::new(),
    };
    if let Some(list) = f.get("serviceAccounts") {
        for item in d.items(list) {
            let mut s = d.fields(item, s::ServiceAccount::fields());
            let name = s
                .required(d, "name", "a service account")
                .and_then(|n| d.string(n));
            let role = s
                .required(d, "role", "a service account")
                .and_then(|n| d.string(n));
            s.finish(d);
            if let (Some(name), Some(role)) = (name, role) {
                ns.service_accounts.push(ServiceAccount { name, role });
            }
        }
    }
    if let Some(list) = f.get("grants") {
        for item in d.items(list) {
            let mut g = d.fields(item, s::Grant::fields());
            let subjects = take_subjects(d, &mut g);
            let role = g.required(d, "role", "a grant").and_then(|n| d.string(n));
            let teams = g.get("teams").map(|n| d.strings(n)).unwrap_or_default();
            g.finish(d);
            if let Some(role) = role {
                ns.grants.push(Grant {
                    span: item.span,
                    role,
                    teams,
                    subjects,
                });
            }
        }
    }
    f.finish(d);
    // A missing name is reported above; an empty one (`name: ""`) is
    // validated like any other name, so it cannot drop the namespace, its
    // grants and its service accounts silently.
    Some(Namespace { name: name?, ..ns })
}

fn decode_network_policies(d: &mut Decoder, list: &Node) -> Vec<NetworkPolicy> {
    let mut out = Vec::new();
    for item in d.items(list) {
        let mut f = d.fields(item, s::NetworkPolicy::fields());
        let name = f
            .required(d, "name", "a NetworkPolicy")
            .and_then(|n| d.string(n));
        let pod_selector = f.get("podSelector").map(|n| decode_selector(d, n));
        let policy_types = f.get("policyTypes").map(|n| d.strings(n));
        let ingress = f
            .get("ingress")
            .map(|n| decode_traffic_rules(d, n, s::IngressRule::fields(), "from"));
        let egress = f
            .get("egress")
            .map(|n| decode_traffic_rules(d, n, s::EgressRule::fields(), "to"));
        f.finish(d);
        if let Some(name) = name {
            out.push(NetworkPolicy {
                span: item.span,
                name,
                pod_selector,
                policy_types,
                ingress,
                egress,
            });
        }
    }
    out
}

fn decode_traffic_rules(
    d: &mut Decoder,
    list: &Node,
    known: &'static [&'static str],
    peers_key: &str,
) -> Vec<TrafficRule> {
    let mut out = Vec::new();
    for item in d.items(list) {
        let mut f = d.fields(item, known);
        let peers = f.get(peers_key).map(|n| {
            let mut peers = Vec::new();
            for peer in d.items(n) {
                peers.push(decode_peer(d, peer));
            }
            peers
        });
        let mut ports = Vec::new();
        if let Some(list) = f.get("ports") {
            for port in d.items(list) {
                let mut p = d.fields(port, s::NetworkPort::fields());
                let number = |d: &mut Decoder, n: &Node| {
                    // A number past `i64` or with a fraction is a number
                    // still: refused as a port, not read as a port name.
                    let is_number = matches!(n.kind, Kind::Int(_) | Kind::Float(_));
                    d.scalar_text(n).map(|t| (t, is_number))
                };
                let value = p.get("port").and_then(|n| number(d, n));
                let end_port = p.get("endPort").and_then(|n| number(d, n));
                let protocol = p.get("protocol").and_then(|n| d.string(n));
                p.finish(d);
                ports.push(Port {
                    span: port.span,
                    port: value,
                    end_port,
                    protocol,
                });
            }
        }
        f.finish(d);
        out.push(TrafficRule {
            span: item.span,
            peers,
            ports,
        });
    }
    out
}

fn decode_peer(d: &mut Decoder, node: &Node) -> Peer {
    let mut f = d.fields(node, s::Peer::fields());
    let peer = Peer {
        span: node.span,
        same_namespace: f
            .get("sameNamespace")
            .and_then(|n| Some(Sp::new(d.bool(n)?, n.span))),
        teams: f.get("teams").map(|n| d.strings(n)),
        namespaces: f.get("namespaces").map(|n| d.strings(n)),
        namespace_selector: f.get("namespaceSelector").map(|n| decode_selector(d, n)),
        pod_selector: f.get("podSelector").map(|n| decode_selector(d, n)),
        ip_block: f.get("ipBlock").map(|n| {
            let mut b = d.fields(n, s::IpBlock::fields());
            let block = IpBlock {
                span: n.span,
                cidr: b
                    .required(d, "cidr", "an `ipBlock`")
                    .and_then(|n| d.string(n)),
                except: b.get("except").map(|n| d.strings(n)).unwrap_or_default(),
            };
            b.finish(d);
            block
        }),
    };
    f.finish(d);
    peer
}

fn decode_selector(d: &mut Decoder, node: &Node) -> Selector {
    let mut f = d.fields(node, s::LabelSelector::fields());
    let mut selector = Selector {
        span: node.span,
        match_labels: f
            .get("matchLabels")
            .map(|n| d.string_map(n))
            .unwrap_or_default(),
        match_expressions: Vec::new(),
    };
    if let Some(list) = f.get("matchExpressions") {
        for item in d.items(list) {
            let mut e = d.fields(item, s::SelectorExpression::fields());
            let expression = SelectorExpression {
                span: item.span,
                key: e
                    .required(d, "key", "a selector expression")
                    .and_then(|n| d.string(n)),
                operator: e
                    .required(d, "operator", "a selector expression")
                    .and_then(|n| d.string(n)),
                values: e.get("values").map(|n| d.strings(n)),
            };
            e.finish(d);
            selector.match_expressions.push(expression);
        }
    }
    f.finish(d);
    selector
}
