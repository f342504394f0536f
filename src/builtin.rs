//! The built-in roles (`admin`, `deployer`, `viewer`) and the catalogue of
//! namespaced resources they cover.
//!
//! The resource list comes from k8s-openapi's types for the targeted
//! Kubernetes version: each entry names a type, and its API group and plural
//! come from the type's `Resource` impl, which also proves at compile time
//! that it is namespaced. Subresources have no types of their own there, so
//! the few that roles must name are listed by hand below.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use k8s_openapi::api;
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope, Resource};

use crate::model::Rule;

/// The Kubernetes minor version whose API the catalogue follows.
pub const KUBERNETES_VERSION: &str = "1.37";

const fn namespaced<T: Resource<Scope = NamespaceResourceScope>>() -> (&'static str, &'static str) {
    (T::GROUP, T::URL_PATH_SEGMENT)
}

/// Every namespaced resource a role may cover, as `(apiGroup, plural)`.
/// GA and beta APIs, which are served by default; alpha APIs are not.
/// `core/v1 Binding` is left out: it is the scheduler's, not a team's.
const NAMESPACED: &[(&str, &str)] = &[
    namespaced::<api::apps::v1::ControllerRevision>(),
    namespaced::<api::apps::v1::DaemonSet>(),
    namespaced::<api::apps::v1::Deployment>(),
    namespaced::<api::apps::v1::ReplicaSet>(),
    namespaced::<api::apps::v1::StatefulSet>(),
    namespaced::<api::authorization::v1::LocalSubjectAccessReview>(),
    namespaced::<api::autoscaling::v2::HorizontalPodAutoscaler>(),
    namespaced::<api::batch::v1::CronJob>(),
    namespaced::<api::batch::v1::Job>(),
    namespaced::<api::certificates::v1::PodCertificateRequest>(),
    namespaced::<api::coordination::v1::Lease>(),
    namespaced::<api::coordination::v1beta1::LeaseCandidate>(),
    namespaced::<api::core::v1::ConfigMap>(),
    namespaced::<api::core::v1::Endpoints>(),
    namespaced::<api::core::v1::Event>(),
    namespaced::<api::core::v1::LimitRange>(),
    namespaced::<api::core::v1::PersistentVolumeClaim>(),
    namespaced::<api::core::v1::Pod>(),
    namespaced::<api::core::v1::PodTemplate>(),
    namespaced::<api::core::v1::ReplicationController>(),
    namespaced::<api::core::v1::ResourceQuota>(),
    namespaced::<api::core::v1::Secret>(),
    namespaced::<api::core::v1::Service>(),
    namespaced::<api::core::v1::ServiceAccount>(),
    namespaced::<api::discovery::v1::EndpointSlice>(),
    namespaced::<api::events::v1::Event>(),
    namespaced::<api::networking::v1::Ingress>(),
    namespaced::<api::networking::v1::NetworkPolicy>(),
    namespaced::<api::policy::v1::PodDisruptionBudget>(),
    namespaced::<api::rbac::v1::Role>(),
    namespaced::<api::rbac::v1::RoleBinding>(),
    namespaced::<api::resource::v1::ResourceClaim>(),
    namespaced::<api::resource::v1::ResourceClaimTemplate>(),
    namespaced::<api::scheduling::v1beta1::PodGroup>(),
    namespaced::<api::scheduling::v1beta1::Workload>(),
    namespaced::<api::storage::v1::CSIStorageCapacity>(),
];

/// Verbs kubectl knows for resources and non-resource URLs: queries answer
/// any other with a warning (kubectl's `auth can-i` does the same), and a
/// custom role's rule that names another is warned about.
pub const KNOWN_VERBS: &[&str] = &[
    "*",
    "approve",
    "attest",
    "bind",
    "create",
    "delete",
    "deletecollection",
    "escalate",
    "get",
    "head",
    "impersonate",
    "list",
    "options",
    "patch",
    "post",
    "put",
    "sign",
    "update",
    "use",
    "watch",
];

const fn cluster_scoped<T: Resource<Scope = ClusterResourceScope>>() -> (&'static str, &'static str)
{
    (T::GROUP, T::URL_PATH_SEGMENT)
}

/// The cluster-scoped resources of the targeted Kubernetes version (GA and
/// beta), for resolving a query's groups, its scope warning, and the
/// resources a custom role's rules may name.
pub const CLUSTER_SCOPED: &[(&str, &str)] = &[
    cluster_scoped::<api::admissionregistration::v1::MutatingWebhookConfiguration>(),
    cluster_scoped::<api::admissionregistration::v1::ValidatingAdmissionPolicy>(),
    cluster_scoped::<api::admissionregistration::v1::ValidatingAdmissionPolicyBinding>(),
    cluster_scoped::<api::admissionregistration::v1::ValidatingWebhookConfiguration>(),
    cluster_scoped::<api::authentication::v1::SelfSubjectReview>(),
    cluster_scoped::<api::authentication::v1::TokenReview>(),
    cluster_scoped::<api::authorization::v1::SelfSubjectAccessReview>(),
    cluster_scoped::<api::authorization::v1::SelfSubjectRulesReview>(),
    cluster_scoped::<api::authorization::v1::SubjectAccessReview>(),
    cluster_scoped::<api::certificates::v1::CertificateSigningRequest>(),
    cluster_scoped::<api::core::v1::ComponentStatus>(),
    cluster_scoped::<api::core::v1::Namespace>(),
    cluster_scoped::<api::core::v1::Node>(),
    cluster_scoped::<api::core::v1::PersistentVolume>(),
    cluster_scoped::<api::flowcontrol::v1::FlowSchema>(),
    cluster_scoped::<api::flowcontrol::v1::PriorityLevelConfiguration>(),
    cluster_scoped::<api::networking::v1::IPAddress>(),
    cluster_scoped::<api::networking::v1::IngressClass>(),
    cluster_scoped::<api::networking::v1::ServiceCIDR>(),
    cluster_scoped::<api::node::v1::RuntimeClass>(),
    cluster_scoped::<api::rbac::v1::ClusterRole>(),
    cluster_scoped::<api::rbac::v1::ClusterRoleBinding>(),
    cluster_scoped::<api::resource::v1::DeviceClass>(),
    cluster_scoped::<api::resource::v1::ResourceSlice>(),
    cluster_scoped::<api::scheduling::v1::PriorityClass>(),
    cluster_scoped::<api::storage::v1::CSIDriver>(),
    cluster_scoped::<api::storage::v1::CSINode>(),
    cluster_scoped::<api::storage::v1::StorageClass>(),
    cluster_scoped::<api::storage::v1::VolumeAttachment>(),
    cluster_scoped::<api::storage::v1::VolumeAttributesClass>(),
    cluster_scoped::<
        k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    >(),
    cluster_scoped::<k8s_openapi::kube_aggregator::pkg::apis::apiregistration::v1::APIService>(),
];

const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "get", "list", "patch", "update", "watch"];
const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// The verbs of namespaced resources in the order people read them (as
/// kubectl and rakkess list them): reads, then writes, then deletes.
pub const VERBS_IN_READING_ORDER: [&str; 8] = [
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// Subresources that open a shell or a tunnel into a pod.
pub const POD_ACCESS: &[&str] = &["pods/attach", "pods/exec", "pods/portforward"];
/// Workload subresources that scale.
const SCALE: &[(&str, &str)] = &[
    ("apps", "deployments/scale"),
    ("apps", "replicasets/scale"),
    ("apps", "statefulsets/scale"),
    ("", "replicationcontrollers/scale"),
];

/// Why `policy.extraResources` may not name `resource` of `group`, if it
/// may not: an extra resource goes to every built-in role (viewers read it,
/// deployers write it, admins do everything), and these are kept from some
/// of their holders, or from all, on purpose.
pub fn kept_from_extra_resources(group: &str, resource: &str) -> Option<&'static str> {
    match (group, resource) {
        ("", "secrets") => Some("viewers read no Secrets unless `policy.viewers.secrets` says so"),
        ("", "pods/exec" | "pods/attach" | "pods/portforward" | "pods/ephemeralcontainers") => {
            Some("only admins (and viewers with `policy.viewers.exec`) may run commands in pods")
        }
        ("", "serviceaccounts/token") => Some("only admins create tokens for service accounts"),
        ("", "namespaces") => {
            Some("no built-in role changes the Namespace, whose labels set its Pod Security level")
        }
        ("", "resourcequotas" | "limitranges") => {
            Some("quotas and limit ranges are read-only in every built-in role")
        }
        ("rbac.authorization.k8s.io", _) => Some(
            "only admins write Roles and RoleBindings, and no built-in role reaches beyond its namespace",
        ),
        _ => None,
    }
}

/// The namespaced resources, deduplicated and sorted: `(apiGroup, plural)`.
pub fn namespaced_resources() -> BTreeSet<(&'static str, &'static str)> {
    NAMESPACED.iter().copied().collect()
}

/// What rules name besides the objects the catalogue lists: the
/// scheduler's `bindings`, impersonation targets, CSR signers and the
/// subresources roles use. `status`, which most resources serve, is taken
/// for every resource; `userextras/<key>` for any key.
const OTHER_RULE_NAMES: &[(&str, &str)] = &[
    ("", "bindings"),
    ("", "groups"),
    ("", "uids"),
    ("", "users"),
    ("", "namespaces/finalize"),
    ("", "nodes/checkpoint"),
    ("", "nodes/configz"),
    ("", "nodes/healthz"),
    ("", "nodes/log"),
    ("", "nodes/metrics"),
    ("", "nodes/pods"),
    ("", "nodes/proxy"),
    ("", "nodes/spec"),
    ("", "nodes/stats"),
    ("", "pods/attach"),
    ("", "pods/binding"),
    ("", "pods/ephemeralcontainers"),
    ("", "pods/eviction"),
    ("", "pods/exec"),
    ("", "pods/log"),
    ("", "pods/portforward"),
    ("", "pods/proxy"),
    ("", "pods/resize"),
    ("", "replicationcontrollers/scale"),
    ("", "serviceaccounts/token"),
    ("", "services/proxy"),
    ("apps", "deployments/scale"),
    ("apps", "replicasets/scale"),
    ("apps", "statefulsets/scale"),
    ("authentication.k8s.io", "userextras"),
    ("certificates.k8s.io", "certificatesigningrequests/approval"),
    ("certificates.k8s.io", "signers"),
];

/// What a rule of a role may name in each API group of the targeted
/// Kubernetes version: every resource, namespaced or cluster-scoped, with
/// its `status` and the subresources and other names of
/// [`OTHER_RULE_NAMES`], as rules write them (`pods/exec`). Built once.
pub fn rule_names() -> &'static BTreeMap<&'static str, BTreeSet<String>> {
    static NAMES: LazyLock<BTreeMap<&'static str, BTreeSet<String>>> = LazyLock::new(|| {
        let mut names: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        for &(group, resource) in NAMESPACED.iter().chain(CLUSTER_SCOPED) {
            let served = names.entry(group).or_default();
            served.insert(resource.to_string());
            served.insert(format!("{resource}/status"));
        }
        for &(group, name) in OTHER_RULE_NAMES {
            names.entry(group).or_default().insert(name.to_string());
        }
        names
    });
    &NAMES
}

/// What the policy in `rbacc.yaml` changes about the built-in roles.
#[derive(Debug, Clone, Default)]
pub struct RolePolicy {
    pub viewers_secrets: bool,
    pub viewers_exec: bool,
    /// `(apiGroup, resource)` pairs from `policy.extraResources`.
    pub extra_resources: Vec<(String, String)>,
}

/// The names of the built-in roles.
pub const BUILTIN_ROLES: &[&str] = &["admin", "deployer", "viewer"];

/// What rbacc accepts of the built-in roles by default, with the reason
/// explanations show: the risks each gives by design, at the level
/// `warning` (a platform that makes one an error gets errors).
/// `policy.builtinRoles.<role>.allow` replaces a role's entries.
pub const DEFAULT_ACCEPTED: &[(&str, crate::risk::Risk, &str)] = &[
    (
        "admin",
        crate::risk::Risk::Secrets,
        "the built-in `admin` manages everything in its namespaces, Secrets included",
    ),
    (
        "admin",
        crate::risk::Risk::PodsExec,
        "the built-in `admin` debugs the pods of its namespaces",
    ),
    (
        "deployer",
        crate::risk::Risk::Secrets,
        "the built-in `deployer` writes the Secrets of the workloads it deploys",
    ),
];

/// The rules of built-in role `name`.
pub fn rules(name: &str, policy: &RolePolicy) -> Vec<Rule> {
    let mut grants = Grants::default();
    for (group, resource) in namespaced_resources() {
        let verbs = match (name, group, resource) {
            (_, "authorization.k8s.io", "localsubjectaccessreviews") => {
                if name == "admin" {
                    &["create"][..]
                } else {
                    continue;
                }
            }
            (_, "", "resourcequotas" | "limitranges") => READ,
            ("admin", _, _) => ALL,
            ("deployer", "rbac.authorization.k8s.io", _) => READ,
            ("deployer", "", "pods") => &[
                "create", "delete", "get", "list", "patch", "update", "watch",
            ][..],
            ("deployer", _, _) => WRITE,
            ("viewer", "", "secrets") if !policy.viewers_secrets => continue,
            _ => READ,
        };
        grants.add(group, resource, verbs);
    }
    grants.add("", "pods/log", &["get"]);
    let pod_access = name == "admin" || (name == "viewer" && policy.viewers_exec);
    if pod_access {
        for resource in POD_ACCESS {
            grants.add("", resource, &["create", "get"]);
        }
    }
    if name != "viewer" {
        for (group, resource) in SCALE {
            grants.add(group, resource, &["get", "patch", "update"]);
        }
    }
    if name == "admin" {
        grants.add("", "pods/eviction", &["create"]);
        grants.add("", "serviceaccounts/token", &["create"]);
        grants.add(
            "",
            "services/proxy",
            &["create", "delete", "get", "patch", "update"],
        );
    }
    let extra_verbs = match name {
        "admin" => ALL,
        "deployer" => WRITE,
        _ => READ,
    };
    for (group, resource) in &policy.extra_resources {
        grants.add(group, resource, extra_verbs);
    }
    grants.into_rules()
}

/// A description of a built-in role, for the ClusterRole's annotation.
pub fn description(name: &str, policy: &RolePolicy) -> String {
    match name {
        "admin" => {
            "Full control of the namespace, Secrets and pod exec included; quotas read-only".into()
        }
        "deployer" => "Create and update workloads; delete pods only; no write on RBAC".into(),
        _ => format!(
            "Read everything in the namespace{}{}",
            if policy.viewers_secrets {
                ""
            } else {
                " except Secrets"
            },
            if policy.viewers_exec {
                "; exec into pods"
            } else {
                "; no exec, attach or port-forward"
            }
        ),
    }
}

/// Collects `(group, resource) -> verbs` and folds it into few rules: one per
/// API group and verb set.
#[derive(Default)]
struct Grants(BTreeMap<(String, String), BTreeSet<String>>);

impl Grants {
    fn add(&mut self, group: &str, resource: &str, verbs: &[&str]) {
        self.0
            .entry((group.to_string(), resource.to_string()))
            .or_default()
            .extend(verbs.iter().map(|v| v.to_string()));
    }

    fn into_rules(self) -> Vec<Rule> {
        let mut by_verbs: BTreeMap<(String, Vec<String>), Vec<String>> = BTreeMap::new();
        for ((group, resource), verbs) in self.0 {
            by_verbs
                .entry((group, verbs.into_iter().collect()))
                .or_default()
                .push(resource);
        }
        by_verbs
            .into_iter()
            .map(|((group, verbs), resources)| Rule {
                api_groups: vec![group],
                resources,
                verbs,
                resource_names: Vec::new(),
            })
            .collect()
    }
}
