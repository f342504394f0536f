//! The shape of the input files: one type per mapping, with its fields in
//! the order the decoder offers them, and the values whose schemas are
//! written by hand.

use std::borrow::Cow;
use std::sync::OnceLock;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde_aux::serde_introspection::serde_introspect;
use serde_json::Value;

use crate::builtin::BUILTIN_ROLES;
use crate::model::raw::{API_VERSION, NamespacePrefix, PodSecurity};

// ---- Values with schemas written by hand

/// Declares a type that stands for a value with the given schema.
macro_rules! value_schema {
    ($(#[$doc:meta])* $name:ident, |$generator:ident| $schema:expr) => {
        $(#[$doc])*
        #[derive(Deserialize)]
        pub struct $name;

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

/// A mapping of the input files. The schema type declares its fields once:
/// the schema lists them, and the decoder reads and reports them
/// (`Decoder::fields`), in this order, which is the order diagnostics
/// offer them in.
pub trait Mapping {
    /// The fields, as written in the files (`camelCase`), in the order
    /// declared.
    fn fields() -> &'static [&'static str];
}

/// Implements [`Mapping`] from a type's `Deserialize` derive, which records
/// the fields serde would read; nothing deserializes these types.
macro_rules! mappings {
    ($($name:ident),* $(,)?) => {$(
        impl Mapping for $name {
            fn fields() -> &'static [&'static str] {
                static FIELDS: OnceLock<&'static [&'static str]> = OnceLock::new();
                FIELDS.get_or_init(serde_introspect::<$name>)
            }
        }
    )*};
}

mappings!(
    ConfigFile,
    ConfigSpec,
    Cluster,
    Kubeconfig,
    ClusterKubeconfig,
    Oidc,
    Pinniped,
    Policy,
    BuiltinRole,
    BuiltinAllow,
    LabelPolicy,
    AllowedPattern,
    PodSecurityPolicy,
    Limits,
    Viewers,
    ExtraResource,
    Defaults,
    LimitRange,
    Role,
    ClusterBindingEntry,
    ExistingRole,
    Rule,
    Gitops,
    ArgoCd,
    Flux,
    TeamFile,
    TeamMetadata,
    TeamSpec,
    TeamRole,
    Allow,
    Subjects,
    Namespace,
    NetworkPolicy,
    IngressRule,
    EgressRule,
    Peer,
    LabelSelector,
    SelectorExpression,
    IpBlock,
    NetworkPort,
    ServiceAccount,
    Grant,
);

/// A string that must be `value`.
fn constant(value: &str) -> Schema {
    json_schema!({ "type": "string", "const": value })
}

/// A string that must be one of `values`.
fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let values: Vec<&str> = values.into_iter().collect();
    json_schema!({ "type": "string", "enum": values })
}

/// A string, with the values rbacc knows of offered to editors.
fn known<'a>(values: impl IntoIterator<Item = &'a str>) -> Schema {
    let values: Vec<&str> = values.into_iter().collect();
    json_schema!({ "type": "string", "examples": values })
}

value_schema!(ApiVersion, |_g| constant(API_VERSION));
value_schema!(TeamKind, |_g| constant("Team"));
value_schema!(ConfigKind, |_g| constant("Config"));
value_schema!(PodSecurityLevel, |_g| one_of(
    PodSecurity::CHOICES.iter().map(|(name, _)| *name)
));
value_schema!(Prefix, |_g| one_of(
    NamespacePrefix::CHOICES.iter().map(|(name, _)| *name)
));
value_schema!(Escalation, |_g| one_of(
    crate::validate::ROLE_ALLOW.iter().copied()
));
value_schema!(RiskId, |_g| one_of(
    crate::risk::Risk::ALL.iter().map(|r| r.id())
));
value_schema!(RiskLevel, |_g| one_of(
    crate::risk::Level::CHOICES.iter().map(|(name, _)| *name)
));
value_schema!(
    /// Risk -> `error`, `warning` or `allow`.
    RiskLevels,
    |g| json_schema!({
        "type": "object",
        "propertyNames": g.subschema_for::<RiskId>(),
        "additionalProperties": g.subschema_for::<RiskLevel>(),
    })
);
value_schema!(Day, |_g| json_schema!({
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "description": "A day, `YYYY-MM-DD` (UTC).",
}));
value_schema!(
    /// A built-in role or a custom role of `rbacc.yaml`.
    RoleName,
    |_g| known(BUILTIN_ROLES.iter().copied())
);
value_schema!(
    /// A shipped kubeconfig template, or one in `templates/`.
    TemplateName,
    |_g| known(
        crate::validate::built_in_templates()
            .iter()
            .map(|(name, _)| *name)
    )
);
value_schema!(Quantity, |_g| json_schema!({
    "type": ["string", "number"],
    "description": "A Kubernetes quantity, such as `500m`, `2` or `8Gi`.",
}));
value_schema!(LabelValue, |_g| json_schema!({
    "type": ["string", "number", "boolean"],
    "description": "A label value; numbers and booleans are read as written.",
}));
value_schema!(
    /// Role name -> subjects.
    Members,
    |g| json_schema!({
        "type": "object",
        "propertyNames": g.subschema_for::<RoleName>(),
        "additionalProperties": g.subschema_for::<Subjects>(),
    })
);
value_schema!(
    /// Resource name -> quantity.
    Quota,
    |g| json_schema!({
        "type": "object",
        "additionalProperties": g.subschema_for::<Quantity>(),
    })
);
value_schema!(PolicyType, |_g| one_of(["Ingress", "Egress"]));
value_schema!(Protocol, |_g| one_of(["TCP", "UDP", "SCTP"]));
value_schema!(SelectorOperator, |_g| one_of([
    "In",
    "NotIn",
    "Exists",
    "DoesNotExist"
]));
value_schema!(PortValue, |_g| json_schema!({
    "type": ["integer", "string"],
    "description": "A port number, or the name of a container port.",
}));
value_schema!(
    /// Key -> the values it may take.
    MetadataValues,
    |g| json_schema!({
        "type": "object",
        "additionalProperties": g.subschema_for::<AllowedValues>(),
    })
);
value_schema!(
    /// Annotation key -> value.
    Annotations,
    |g| json_schema!({
        "type": "object",
        "additionalProperties": g.subschema_for::<LabelValue>(),
    })
);
value_schema!(
    /// Label key -> value.
    Labels,
    |g| json_schema!({
        "type": "object",
        "additionalProperties": g.subschema_for::<LabelValue>(),
    })
);

// ---- rbacc.yaml

/// rbacc's configuration, `rbacc.yaml`: the clusters, and the policy every
/// team file is checked against.
#[derive(Deserialize, JsonSchema)]
#[schemars(title = "rbacc.yaml")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigFile {
    /// The version of the format.
    pub api_version: ApiVersion,
    /// What the file holds.
    pub kind: ConfigKind,
    /// Free-form; rbacc does not read it.
    pub metadata: Option<Value>,
    /// The settings.
    pub spec: ConfigSpec,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigSpec {
    /// Who reviews what every team shares (rbacc.yaml, templates/, schema/,
    /// CODEOWNERS, cluster-wide output), as the forge writes them
    /// (`@org/team`, `@user`, an email): `rbacc codeowners` writes them.
    pub owners: Option<Vec<String>>,
    /// The clusters to compile for: each gets `out/<name>/`.
    #[schemars(length(min = 1))]
    pub clusters: Vec<Cluster>,
    /// What team files may declare.
    pub policy: Option<Policy>,
    /// Settings for namespaces that do not set their own.
    pub defaults: Option<Defaults>,
    /// Custom roles, besides the built-in `admin`, `deployer` and `viewer`.
    pub roles: Option<Vec<Role>>,
    /// ClusterRoles that exist in the cluster, which rbacc does not write,
    /// for teams to bind: Kubernetes' `admin`, `edit` and `view` (whose
    /// rules rbacc knows), or an operator's or the platform's (whose rules
    /// rbacc.yaml states, or which are `opaque`).
    pub existing_roles: Option<Vec<ExistingRole>>,
    /// The platform's ClusterRoleBindings: a role in every namespace of the
    /// clusters (and over cluster-scoped resources), such as letting every
    /// user who logs in list namespaces. Never from team files.
    pub cluster_bindings: Option<Vec<ClusterBindingEntry>>,
    /// NetworkPolicies in every team namespace, which teams can neither
    /// remove nor replace (NetworkPolicies add up: a team's own policies can
    /// only admit more).
    pub network_policies: Option<Vec<NetworkPolicy>>,
    /// Kubeconfigs for every team: which template renders them, with which
    /// settings. Without it (and without a cluster's `kubeconfig`), none are
    /// written.
    pub kubeconfig: Option<Kubeconfig>,
    /// Wiring for GitOps controllers.
    pub gitops: Option<Gitops>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// A DNS-1123 label: the directory `out/<name>/`, and the cluster's name
    /// in Argo CD.
    pub name: String,
    /// The https URL of the API server, written into kubeconfigs.
    pub server: String,
    /// The API server's CA certificate, base64 PEM, written into kubeconfigs.
    pub certificate_authority_data: Option<String>,
    /// Kubeconfig settings for this cluster, over `spec.kubeconfig`.
    pub kubeconfig: Option<ClusterKubeconfig>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kubeconfig {
    /// The template: a shipped one (`oidc-kubelogin`, `pinniped`,
    /// `in-cluster`) or `templates/<name>.yaml.j2`.
    pub template: Option<TemplateName>,
    /// Where the per-team kubeconfig ConfigMaps live. Default:
    /// `rbacc-kubeconfigs`.
    pub namespace: Option<String>,
    /// The OpenID Connect provider people log in with.
    pub oidc: Option<Oidc>,
    /// Pinniped's Concierge, for the `pinniped` template.
    pub pinniped: Option<Pinniped>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterKubeconfig {
    /// The template: a shipped one (`oidc-kubelogin`, `pinniped`,
    /// `in-cluster`) or `templates/<name>.yaml.j2`.
    pub template: Option<TemplateName>,
    /// The OpenID Connect provider people log in with.
    pub oidc: Option<Oidc>,
    /// Pinniped's Concierge, for the `pinniped` template.
    pub pinniped: Option<Pinniped>,
}

/// The OpenID Connect provider people log in with.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Oidc {
    /// The issuer URL.
    pub issuer_url: Option<String>,
    /// The client ID.
    pub client_id: Option<String>,
    /// Scopes to ask for besides `openid`, such as `groups`.
    pub extra_scopes: Option<Vec<String>>,
}

/// Pinniped's Concierge, for the `pinniped` template.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pinniped {
    /// The Concierge's endpoint.
    pub concierge_endpoint: Option<String>,
    /// The name of the Concierge's authenticator.
    pub authenticator_name: Option<String>,
    /// The authenticator's type. Default: `jwt`.
    pub authenticator_type: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Namespaces no team may declare, besides those always reserved:
    /// `default`, `kube-*`, `openshift`, `openshift-*`, the namespaces rbacc
    /// writes into (the kubeconfig namespace, Flux's) and the namespaces of
    /// common add-ons (`argocd`, `cert-manager`, `monitoring`, …; the list
    /// is under `reserved-namespace` in docs/diagnostics.md). An entry
    /// ending in `*` reserves every name with that prefix.
    pub reserved_namespaces: Option<Vec<String>>,
    /// Add-on namespaces that teams may declare after all, because the
    /// platform does not run that add-on there. rbacc's and Kubernetes'
    /// namespaces cannot be listed.
    pub unreserve_namespaces: Option<Vec<String>>,
    /// `team`: team x's namespaces are named `x-…`; `none`: no rule.
    /// Default: `team`.
    pub namespace_prefix: Option<Prefix>,
    /// What the built-in `viewer` may do beyond reading.
    pub viewers: Option<Viewers>,
    /// Refuse bindings to `cluster-admin`. Default: `true`.
    pub forbid_cluster_admin: Option<bool>,
    /// Mark Namespaces so that Argo CD and Flux never delete them. Default:
    /// `true`.
    pub protect_namespaces: Option<bool>,
    /// Custom resources the built-in roles cover, besides every namespaced
    /// resource of Kubernetes.
    pub extra_resources: Option<Vec<ExtraResource>>,
    /// What `check` makes of each risk finding: `error`, `warning` or
    /// `allow`. Defaults: `secrets` and `pods-exec` warn; `escalate`,
    /// `bind`, `impersonate`, `namespace-write`, `nodes-proxy`,
    /// `persistent-volumes`, `csr-approval`, `admission-webhooks`,
    /// `cluster-binding` are errors; the rest are allowed.
    pub risks: Option<RiskLevels>,
    /// Which namespace label keys teams may set. rbacc's, Pod Security's
    /// and every key under `kubernetes.io` and `k8s.io` are never theirs;
    /// keys that common controllers act on (`istio-injection`,
    /// `istio.io/`, `openshift.io/`, `argocd.argoproj.io/`, `name`, …; the
    /// list is under `reserved-label` in docs/diagnostics.md) are reserved
    /// unless `allow` lists them.
    pub labels: Option<LabelPolicy>,
    /// Which namespace annotation keys teams may set, which they must set
    /// and with what values. rbacc's and every key under `kubernetes.io`
    /// and `k8s.io` are never theirs; keys that common controllers act on
    /// (`argocd.argoproj.io/`, `openshift.io/`, `linkerd.io/inject`,
    /// `iam.amazonaws.com/`, `field.cattle.io/`, …; the list is under
    /// `reserved-annotation` in docs/diagnostics.md) are reserved unless
    /// `allow` lists them.
    pub annotations: Option<LabelPolicy>,
    /// Which Pod Security levels teams may choose for their namespaces.
    pub pod_security: Option<PodSecurityPolicy>,
    /// Budgets on what one declaration may make; each ends in an
    /// `input-limit` diagnostic.
    pub limits: Option<Limits>,
    /// `false`: teams may not declare roles of their own (`spec.roles` of
    /// a team file). Default: `true`.
    pub team_roles: Option<bool>,
    /// What the platform accepts of each built-in role, said once for
    /// every team. Default: `admin` with `secrets` and `pods-exec`,
    /// `deployer` with `secrets` (what they give by design), while those
    /// risks are warnings.
    pub builtin_roles: Option<BuiltinRoles>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinRoles {
    /// The built-in `admin`.
    pub admin: Option<BuiltinRole>,
    /// The built-in `deployer`.
    pub deployer: Option<BuiltinRole>,
    /// The built-in `viewer`.
    pub viewer: Option<BuiltinRole>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinRole {
    /// The risks every binding of the role is accepted with, replacing the
    /// role's defaults (`[]`: none, so each warns).
    pub allow: Option<Vec<BuiltinAllow>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinAllow {
    /// The risk accepted.
    pub risk: RiskId,
    /// Why every team may hold it through the role: shown where the
    /// finding is (`rbacc explain`). At most 500 characters, one line.
    pub reason: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelPolicy {
    /// Keys (`istio-injection`), prefixes (`istio.io/`) or domains with
    /// their subdomains (`*.example.com/`) that teams may set although a
    /// controller acts on them.
    pub allow: Option<Vec<String>>,
    /// Keys, prefixes or domains teams may never set, besides the reserved
    /// ones.
    pub forbid: Option<Vec<String>>,
    /// Keys every namespace must have, set by its team or by the defaults
    /// (`defaults.labels`, `defaults.annotations`).
    pub required: Option<Vec<String>>,
    /// Key -> the values it may take: a list, or `pattern:` a regular
    /// expression the whole value matches.
    pub values: Option<MetadataValues>,
}

/// The values a key may take.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum AllowedValues {
    /// One of these values.
    List(Vec<String>),
    /// Values matching a pattern.
    Pattern(AllowedPattern),
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AllowedPattern {
    /// A regular expression (Rust `regex` syntax, at most 1 KiB) that the
    /// whole value must match, such as `[a-z.]+@example[.]com`.
    pub pattern: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSecurityPolicy {
    /// The least strict level a team may choose, `privileged` aside.
    /// Default: `baseline`.
    pub minimum: Option<PodSecurityLevel>,
    /// The namespaces whose team may choose `privileged` (Pod Security
    /// off: host access). Default: none.
    pub privileged_namespaces: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Most namespaces one team declares. Default: 100.
    pub namespaces_per_team: Option<u64>,
    /// Most groups, users and service accounts one member entry or grant
    /// names. Default: 1000.
    pub subjects_per_binding: Option<u64>,
    /// Most bytes of manifests one team compiles to, over every cluster.
    /// Default: 16 MiB (16777216).
    pub team_output_bytes: Option<u64>,
    /// Most bytes of manifests the repository compiles to. Default: 512 MiB
    /// (536870912).
    pub output_bytes: Option<u64>,
    /// Most subjects all RoleBindings name together, counted in every
    /// namespace on every cluster. Default: 1000000.
    pub binding_subjects: Option<u64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Viewers {
    /// Viewers may read Secrets. Default: `false`.
    pub secrets: Option<bool>,
    /// Viewers may exec into, attach to and port-forward to pods. Default:
    /// `false`.
    pub exec: Option<bool>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExtraResource {
    /// The API group, such as `argoproj.io`.
    pub api_group: String,
    /// The resources of the group, plural, such as `rollouts`.
    #[schemars(required)]
    pub resources: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Defaults {
    /// The Pod Security Standard enforced in namespaces. Default:
    /// `baseline`.
    pub pod_security: Option<PodSecurityLevel>,
    /// The namespaces' ResourceQuota, such as `requests.cpu: "4"`, `pods`
    /// or `count/deployments.apps` (names Kubernetes counts, amounts zero or
    /// more); a namespace's own `quota` is merged over it.
    pub quota: Option<Quota>,
    /// The default requests and limits of containers in the namespaces; a
    /// namespace's own `limitRange` is merged over it.
    pub limit_range: Option<LimitRange>,
    /// Labels of every namespace that does not set the key itself. The
    /// platform may set keys reserved for controllers here.
    pub labels: Option<Labels>,
    /// Annotations of every namespace that does not set the key itself.
    /// The platform may set keys reserved for controllers here.
    pub annotations: Option<Annotations>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitRange {
    /// Resource name (`cpu`, `memory`, `ephemeral-storage`,
    /// `hugepages-<size>`, an extended resource) -> the request a container
    /// gets when it sets none; at most its `default`.
    pub default_request: Option<Quota>,
    /// Resource name -> the limit a container gets when it sets none.
    pub default: Option<Quota>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Role {
    /// A DNS-1123 label; emitted as the ClusterRole `rbacc:<name>`.
    pub name: String,
    /// What the role is for.
    pub description: Option<String>,
    /// What the role may do, as in a ClusterRole.
    #[schemars(required)]
    pub rules: Option<Vec<Rule>>,
    /// The escalation-grade permissions the rules grant, named so that
    /// reviewers see them, and risks whose findings the role accepts.
    pub allow: Option<Vec<Escalation>>,
    /// Why the role needs what `allow` names; required with `allow`.
    pub reason: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterBindingEntry {
    /// A DNS-1123 label; emitted as the ClusterRoleBinding `rbacc:<name>`.
    pub name: String,
    /// A role of rbacc.yaml (built-in, custom or existing), or
    /// `cluster-admin` where `forbidClusterAdmin: false` allows it.
    pub role: RoleName,
    /// The clusters it is on. Default: every cluster.
    pub clusters: Option<Vec<String>>,
    /// Group names; `system:` groups such as `system:authenticated` too.
    pub groups: Option<Vec<String>>,
    /// User names.
    pub users: Option<Vec<String>>,
    /// Service accounts, as `namespace/name`.
    pub service_accounts: Option<Vec<String>>,
    /// The day from which this binding is no longer emitted.
    pub expires: Option<Day>,
    /// Risks the binding gives on purpose (`cluster-binding` always:
    /// access in every namespace), each reported otherwise.
    pub allow: Option<Vec<RiskId>>,
    /// Why, for reviewers; required with `allow`.
    pub reason: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExistingRole {
    /// The name teams bind it by, a DNS-1123 label other than the built-in
    /// and custom roles' (`k8s-admin` for Kubernetes' `admin`).
    pub name: String,
    /// Its name in the cluster. Default: `name`.
    pub cluster_role: Option<String>,
    /// What the role is for.
    pub description: Option<String>,
    /// The rules rbacc assumes it holds: for `admin`, `edit` and `view`,
    /// rules operators aggregate into them, besides Kubernetes' own;
    /// required for any other role unless it is `opaque`.
    pub rules: Option<Vec<Rule>>,
    /// rbacc cannot see what the role allows: risk analysis, queries and
    /// diffs see nothing through bindings to it (a warning says so).
    pub opaque: Option<bool>,
    /// Risks whose findings bindings of the role are accepted with.
    pub allow: Option<Vec<RiskId>>,
    /// Why, for reviewers; required with `allow`.
    pub reason: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    /// API groups; `""` is the core group.
    #[schemars(length(min = 1))]
    pub api_groups: Vec<String>,
    /// Resources, plural, with `/subresource` where needed.
    #[schemars(length(min = 1))]
    pub resources: Vec<String>,
    /// Verbs, such as `get`, `list`, `watch`.
    #[schemars(length(min = 1))]
    pub verbs: Vec<String>,
    /// Limits the rule to objects of these names.
    pub resource_names: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Gitops {
    /// Present (even empty): write a Flux Kustomization per shard into
    /// `out/<cluster>/flux/`.
    pub flux: Option<Flux>,
    /// Present (even empty): write an Argo CD AppProject per team into
    /// `out/<cluster>/argocd/`, whose applications may deploy only into
    /// the team's namespaces on the cluster, no cluster-scoped resource
    /// and none of the objects rbacc owns (RBAC, quotas, limits,
    /// NetworkPolicies).
    pub argocd: Option<ArgoCd>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArgoCd {
    /// The namespace of the AppProjects: Argo CD's. Default: `argocd`.
    pub namespace: Option<String>,
    /// The repositories the teams' applications may read. Default: `["*"]`.
    pub source_repos: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Flux {
    /// The name of the GitRepository the Kustomizations read. Default:
    /// `rbacc`.
    pub source_ref: Option<String>,
    /// The namespace of the Kustomizations and their GitRepository.
    /// Default: `flux-system`.
    pub namespace: Option<String>,
    /// How often Flux reconciles, as a Go duration. Default: `10m`.
    pub interval: Option<String>,
}

// ---- Team files

/// One team: `teams/<name>.yaml`, its members and its namespaces.
#[derive(Deserialize, JsonSchema)]
#[schemars(title = "rbacc team file")]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamFile {
    /// The version of the format.
    pub api_version: ApiVersion,
    /// What the file holds.
    pub kind: TeamKind,
    /// Who the team is.
    pub metadata: TeamMetadata,
    /// What the team has: its members and namespaces.
    #[schemars(required)]
    pub spec: Option<TeamSpec>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamMetadata {
    /// The team's name, a DNS-1123 label: the file's name without `.yaml`.
    pub name: String,
    /// What the team does.
    pub description: Option<String>,
    /// How to reach the team.
    pub contacts: Option<Vec<String>>,
    /// Who reviews changes to the team, as the forge writes them
    /// (`@org/team`, `@user`, an email): `rbacc codeowners` makes them the
    /// code owners of the team file and its compiled output.
    pub owners: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamSpec {
    /// Role -> who has it, in every namespace of the team.
    pub members: Option<Members>,
    /// The team's own roles, written as a Role `rbacc:<name>` in each of
    /// its namespaces and bound like any other role; each rule within what
    /// the built-in `admin` allows in a namespace (unless
    /// `policy.teamRoles: false` forbids them).
    pub roles: Option<Vec<TeamRole>>,
    /// The team's namespaces.
    pub namespaces: Option<Vec<NamespaceEntry>>,
    /// Risk findings the team accepts on purpose, each with a reason.
    pub allow: Option<Vec<Allow>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TeamRole {
    /// A DNS-1123 label no role of rbacc.yaml has.
    pub name: String,
    /// What the role is for.
    pub description: Option<String>,
    /// What the role may do in the team's namespaces, as in a Role.
    #[schemars(required)]
    pub rules: Option<Vec<Rule>>,
    /// Not for team roles: a team accepts warnings under `spec.allow`.
    pub allow: Option<Vec<Escalation>>,
    /// Not for team roles.
    pub reason: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allow {
    /// The risk accepted.
    pub risk: RiskId,
    /// The role whose bindings give the risk (required for every risk but
    /// those of NetworkPolicies): the entry accepts findings through that
    /// role's bindings only, so that it accepts nothing a later change
    /// gives another role. One entry per role.
    pub role: Option<RoleName>,
    /// For `ingress-all-namespaces` and `ingress-internet` (and required
    /// there): the NetworkPolicy of the team's namespaces whose findings the
    /// entry accepts. One entry per policy.
    pub network_policy: Option<String>,
    /// Why the team needs it, for reviewers.
    pub reason: String,
}

/// Users, groups and service accounts.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subjects {
    /// Group names.
    pub groups: Option<Vec<String>>,
    /// User names.
    pub users: Option<Vec<String>>,
    /// Service accounts, as `namespace/name`.
    pub service_accounts: Option<Vec<String>>,
    /// The day from which this access is no longer emitted.
    pub expires: Option<Day>,
}

/// A namespace: its name alone, or a mapping.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum NamespaceEntry {
    /// Just the name.
    Name(String),
    /// The name and settings.
    Namespace(Namespace),
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Namespace {
    /// A DNS-1123 label, starting with the team's name and `-` unless
    /// `policy.namespacePrefix` is `none`.
    pub name: String,
    /// The clusters the namespace is on. Default: every cluster.
    pub clusters: Option<Vec<String>>,
    /// The Pod Security Standard enforced. Default: `defaults.podSecurity`.
    pub pod_security: Option<PodSecurityLevel>,
    /// ResourceQuota entries (names Kubernetes counts, such as
    /// `requests.cpu` or `count/deployments.apps`), merged over
    /// `defaults.quota`.
    pub quota: Option<Quota>,
    /// The default requests and limits of containers, merged over
    /// `defaults.limitRange`.
    pub limit_range: Option<LimitRange>,
    /// Labels on the Namespace, over `defaults.labels`; keys under
    /// `kubernetes.io`, `k8s.io` and `rbacc.dev` are reserved, and
    /// `policy.labels` may require keys and restrict values.
    pub labels: Option<Labels>,
    /// Annotations on the Namespace, over `defaults.annotations`; keys
    /// under `kubernetes.io`, `k8s.io` and `rbacc.dev` are reserved, and
    /// `policy.annotations` may require keys and restrict values.
    pub annotations: Option<Annotations>,
    /// NetworkPolicies of the namespace, besides the platform's.
    pub network_policies: Option<Vec<NetworkPolicy>>,
    /// Service accounts created in the namespace, each bound to a role.
    pub service_accounts: Option<Vec<ServiceAccount>>,
    /// Access for others to this namespace.
    pub grants: Option<Vec<Grant>>,
}

/// A NetworkPolicy, as Kubernetes writes its spec, with shorthands for
/// peers.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    /// A DNS subdomain, unique in the namespace and not one of the
    /// platform's.
    pub name: String,
    /// The pods the policy applies to. Default: every pod of the namespace.
    pub pod_selector: Option<LabelSelector>,
    /// `Ingress`, `Egress` or both. Default: `Ingress`, with `Egress` where
    /// there are egress rules. A policy with a type and no rules of it
    /// denies that direction.
    pub policy_types: Option<Vec<PolicyType>>,
    /// Traffic admitted to the pods: any rule admits.
    pub ingress: Option<Vec<IngressRule>>,
    /// Traffic admitted from the pods: any rule admits.
    pub egress: Option<Vec<EgressRule>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    /// Where traffic may come from; absent or empty: anywhere (a finding,
    /// `ingress-internet`).
    pub from: Option<Vec<Peer>>,
    /// The ports it may reach; absent: every port.
    pub ports: Option<Vec<NetworkPort>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressRule {
    /// Where traffic may go; absent or empty: anywhere.
    pub to: Option<Vec<Peer>>,
    /// The ports it may reach; absent: every port.
    pub ports: Option<Vec<NetworkPort>>,
}

/// Pods, namespaces or addresses. Namespaces are named one way per entry:
/// `sameNamespace`, `teams`, `namespaces` or `namespaceSelector`, with
/// `podSelector` to narrow to some of their pods; `ipBlock` stands alone.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Peer {
    /// `true`: the policy's own namespace.
    pub same_namespace: Option<bool>,
    /// Every namespace of these teams (by the `rbacc.dev/team` label rbacc
    /// sets). Not in rbacc.yaml.
    pub teams: Option<Vec<String>>,
    /// These namespaces, by name (the `kubernetes.io/metadata.name` label).
    pub namespaces: Option<Vec<String>>,
    /// Namespaces by label; empty: every namespace (a finding,
    /// `ingress-all-namespaces`).
    pub namespace_selector: Option<LabelSelector>,
    /// Pods by label, in the namespaces named (else the policy's own).
    pub pod_selector: Option<LabelSelector>,
    /// Addresses: outside the private ranges, a finding (`ingress-internet`).
    pub ip_block: Option<IpBlock>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Label key -> value; all must match.
    pub match_labels: Option<Labels>,
    /// Conditions on labels; all must hold.
    pub match_expressions: Option<Vec<SelectorExpression>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SelectorExpression {
    /// The label key.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: SelectorOperator,
    /// The values, for `In` and `NotIn`.
    pub values: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpBlock {
    /// An IPv4 or IPv6 block, such as `10.0.0.0/8`.
    pub cidr: String,
    /// Smaller blocks inside `cidr` left out.
    pub except: Option<Vec<String>>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPort {
    /// A port number (1 to 65535) or the name of a container port.
    pub port: Option<PortValue>,
    /// With a numbered `port`: the last port of a range.
    pub end_port: Option<u16>,
    /// `TCP` (the default), `UDP` or `SCTP`.
    pub protocol: Option<Protocol>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    /// A DNS-1123 label.
    pub name: String,
    /// The role the service account gets in its namespace.
    pub role: RoleName,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    /// The role granted.
    pub role: RoleName,
    /// Teams whose members all get the role.
    pub teams: Option<Vec<String>>,
    /// Group names.
    pub groups: Option<Vec<String>>,
    /// User names.
    pub users: Option<Vec<String>>,
    /// Service accounts, as `namespace/name`.
    pub service_accounts: Option<Vec<String>>,
    /// The day from which this grant is no longer emitted.
    pub expires: Option<Day>,
}
