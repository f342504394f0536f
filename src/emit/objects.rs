//! The Kubernetes objects rbacc emits, as k8s-openapi types.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, LimitRangeItem, LimitRangeSpec, Namespace as NamespaceObject,
    ResourceQuota, ResourceQuotaSpec, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy as NetworkPolicyObject, NetworkPolicyEgressRule,
    NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef,
    Subject as SubjectObject,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::{self, Binding, Namespace, Org, RoleDef, Subject, Team};

use super::serialize::Object;

pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "rbacc");
pub const TEAM_LABEL: &str = "rbacc.dev/team";
pub const SOURCE_ANNOTATION: &str = "rbacc.dev/source";
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn labels(team: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())]);
    if let Some(team) = team {
        labels.insert(TEAM_LABEL.to_string(), team.to_string());
    }
    labels
}

pub(super) fn meta(
    name: &str,
    namespace: Option<&str>,
    team: Option<&str>,
    source: &str,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(String::from),
        labels: Some(labels(team)),
        annotations: Some(BTreeMap::from([(
            SOURCE_ANNOTATION.to_string(),
            source.to_string(),
        )])),
        ..Default::default()
    }
}

pub fn cluster_role(role: &RoleDef) -> Object {
    let mut metadata = meta(&role.object_name(), None, None, &role.source);
    if !role.description.is_empty()
        && let Some(annotations) = metadata.annotations.as_mut()
    {
        annotations.insert(
            "rbacc.dev/description".to_string(),
            role.description.clone(),
        );
    }
    Object::new(ClusterRole {
        metadata,
        rules: Some(role.rules.iter().map(policy_rule).collect()),
        ..Default::default()
    })
}

/// A ClusterRole that exists in the cluster, with the rules rbacc assumes
/// it holds and where that assumption comes from.
pub fn assumed_cluster_role(role: &RoleDef) -> ClusterRole {
    let mut metadata = meta(&role.object_name(), None, None, &role.source);
    let basis = match &role.existing {
        Some(e) if e.opaque => "opaque: rbacc cannot see its rules",
        Some(e) if e.bootstrap => "Kubernetes' bootstrap policy, with the rules rbacc.yaml adds",
        _ => "the rules rbacc.yaml declares",
    };
    if let Some(annotations) = metadata.annotations.as_mut() {
        annotations.insert("rbacc.dev/assumed".to_string(), basis.to_string());
        annotations.insert("rbacc.dev/role".to_string(), role.name.clone());
    }
    // Only the labels rbacc sets on what it writes would mislead here.
    metadata.labels = None;
    ClusterRole {
        metadata,
        rules: Some(role.rules.iter().map(policy_rule).collect()),
        ..Default::default()
    }
}

fn policy_rule(r: &model::Rule) -> PolicyRule {
    PolicyRule {
        api_groups: Some(r.api_groups.clone()),
        resources: Some(r.resources.clone()),
        verbs: r.verbs.clone(),
        resource_names: (!r.resource_names.is_empty()).then(|| r.resource_names.clone()),
        ..Default::default()
    }
}

/// Everything in one namespace, Namespace first.
pub fn namespace_objects(org: &Org, team: &Team, ns: &Namespace) -> Vec<Object> {
    let source = team.source.as_str();
    let mut objects = vec![namespace(org, team, ns)];
    for sa in &ns.service_accounts {
        objects.push(Object::new(ServiceAccount {
            metadata: meta(sa, Some(&ns.name), Some(&team.name), source),
            automount_service_account_token: Some(false),
            ..Default::default()
        }));
    }
    for role in &team.roles {
        objects.push(Object::new(Role {
            metadata: meta(
                &role.object_name(),
                Some(&ns.name),
                Some(&team.name),
                source,
            ),
            rules: Some(role.rules.iter().map(policy_rule).collect()),
        }));
    }
    for binding in &ns.bindings {
        objects.push(role_binding(team, ns, binding));
    }
    if !ns.quota.is_empty() {
        objects.push(Object::new(ResourceQuota {
            metadata: meta(
                crate::model::QUOTA_NAME,
                Some(&ns.name),
                Some(&team.name),
                source,
            ),
            spec: Some(ResourceQuotaSpec {
                hard: Some(quantities(&ns.quota)),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    if let Some(limits) = &ns.limit_range
        && !(limits.default.is_empty() && limits.default_request.is_empty())
    {
        objects.push(Object::new(LimitRange {
            metadata: meta(
                crate::model::LIMIT_RANGE_NAME,
                Some(&ns.name),
                Some(&team.name),
                source,
            ),
            spec: Some(LimitRangeSpec {
                limits: vec![LimitRangeItem {
                    type_: "Container".to_string(),
                    default: (!limits.default.is_empty()).then(|| quantities(&limits.default)),
                    default_request: (!limits.default_request.is_empty())
                        .then(|| quantities(&limits.default_request)),
                    ..Default::default()
                }],
            }),
        }));
    }
    for policy in &ns.network_policies {
        objects.push(network_policy(team, ns, policy));
    }
    objects
}

/// A rule's peers and ports as the API writes them.
type Rule = (
    Option<Vec<NetworkPolicyPeer>>,
    Option<Vec<NetworkPolicyPort>>,
);

fn network_policy(team: &Team, ns: &Namespace, policy: &model::NetworkPolicy) -> Object {
    let rules = |rules: &[model::TrafficRule]| -> Vec<Rule> {
        rules
            .iter()
            .map(|rule| {
                let peers = rule
                    .peers
                    .as_ref()
                    .map(|peers| peers.iter().map(peer).collect());
                let ports = (!rule.ports.is_empty()).then(|| rule.ports.iter().map(port).collect());
                (peers, ports)
            })
            .collect()
    };
    let ingress: Vec<NetworkPolicyIngressRule> = rules(&policy.ingress)
        .into_iter()
        .map(|(from, ports)| NetworkPolicyIngressRule { from, ports })
        .collect();
    let egress: Vec<NetworkPolicyEgressRule> = rules(&policy.egress)
        .into_iter()
        .map(|(to, ports)| NetworkPolicyEgressRule { to, ports })
        .collect();
    Object::new(NetworkPolicyObject {
        metadata: meta(
            &policy.name,
            Some(&ns.name),
            Some(&team.name),
            &policy.source,
        ),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(selector(&policy.pod_selector)),
            policy_types: Some(policy.policy_types.clone()),
            ingress: (!ingress.is_empty()).then_some(ingress),
            egress: (!egress.is_empty()).then_some(egress),
        }),
    })
}

fn peer(peer: &model::Peer) -> NetworkPolicyPeer {
    match peer {
        model::Peer::Pods(pods) => NetworkPolicyPeer {
            pod_selector: Some(selector(pods)),
            ..Default::default()
        },
        model::Peer::Namespaces { namespaces, pods } => NetworkPolicyPeer {
            namespace_selector: Some(selector(namespaces)),
            pod_selector: pods.as_ref().map(selector),
            ..Default::default()
        },
        model::Peer::IpBlock { cidr, except } => NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.clone(),
                except: (!except.is_empty()).then(|| except.clone()),
            }),
            ..Default::default()
        },
    }
}

fn port(port: &model::Port) -> NetworkPolicyPort {
    NetworkPolicyPort {
        protocol: port.protocol.clone(),
        port: port.port.as_ref().map(|p| match p {
            model::PortNumber::Number(n) => IntOrString::Int(*n),
            model::PortNumber::Name(name) => IntOrString::String(name.clone()),
        }),
        end_port: port.end_port,
    }
}

fn selector(selector: &model::Selector) -> LabelSelector {
    LabelSelector {
        match_labels: (!selector.match_labels.is_empty()).then(|| selector.match_labels.clone()),
        match_expressions: (!selector.match_expressions.is_empty()).then(|| {
            selector
                .match_expressions
                .iter()
                .map(|e| LabelSelectorRequirement {
                    key: e.key.clone(),
                    operator: e.operator.clone(),
                    values: (!e.values.is_empty()).then(|| e.values.clone()),
                })
                .collect()
        }),
    }
}

fn quantities(map: &BTreeMap<String, String>) -> BTreeMap<String, Quantity> {
    map.iter()
        .map(|(k, v)| (k.clone(), Quantity(v.clone())))
        .collect()
}

fn namespace(org: &Org, team: &Team, ns: &Namespace) -> Object {
    let mut labels = ns.labels.clone();
    labels.extend(self::labels(Some(&team.name)));
    namespace_object(
        org,
        &ns.name,
        labels,
        ns.annotations.clone(),
        ns.pod_security.as_str(),
        &team.source,
    )
}

/// A Namespace rbacc owns: Pod Security labels at `level`, and, where the
/// policy protects namespaces, annotations that keep Argo CD and Flux from
/// ever deleting it. rbacc's labels and annotations are written over
/// `labels` and `annotations` (validation keeps teams from setting them).
fn namespace_object(
    org: &Org,
    name: &str,
    mut labels: BTreeMap<String, String>,
    mut annotations: BTreeMap<String, String>,
    level: &str,
    source: &str,
) -> Object {
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            level.to_string(),
        );
    }
    annotations.insert(SOURCE_ANNOTATION.to_string(), source.to_string());
    // Namespaces first, before what lives in them.
    annotations.insert("argocd.argoproj.io/sync-wave".to_string(), "-1".to_string());
    if org.protect_namespaces {
        // Deleting a team file must never delete a running namespace.
        annotations.insert(
            "argocd.argoproj.io/sync-options".to_string(),
            "Delete=false".to_string(),
        );
        annotations.insert(
            "kustomize.toolkit.fluxcd.io/prune".to_string(),
            "disabled".to_string(),
        );
    }
    Object::new(NamespaceObject {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..Default::default()
        },
        ..Default::default()
    })
}

fn role_binding(team: &Team, ns: &Namespace, binding: &Binding) -> Object {
    Object::new(RoleBinding {
        metadata: meta(
            &binding.name,
            Some(&ns.name),
            Some(&team.name),
            &team.source,
        ),
        role_ref: RoleRef {
            api_group: Some(RBAC_GROUP.to_string()),
            kind: binding.role.kind().to_string(),
            name: binding.role.name().to_string(),
        },
        subjects: Some(binding.subjects.iter().map(subject).collect()),
    })
}

/// The objects an Argo CD application of a team may not write: rbacc's
/// own (RBAC, quotas, limits, NetworkPolicies), which would undo what the
/// declarations say.
const ARGOCD_DENIED: &[(&str, &str)] = &[
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
];

/// A team's Argo CD AppProject on `cluster`: applications deploy into its
/// `namespaces` there only, no cluster-scoped resource (an empty whitelist
/// allows none) and none of the objects rbacc owns.
pub fn app_project(
    argocd: &model::ArgoCd,
    team: &Team,
    cluster: &str,
    namespaces: &[&str],
) -> Object {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct AppProject {
        api_version: &'static str,
        kind: &'static str,
        metadata: ObjectMeta,
        spec: Spec,
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Spec {
        cluster_resource_whitelist: Vec<GroupKind>,
        description: String,
        destinations: Vec<Destination>,
        namespace_resource_blacklist: Vec<GroupKind>,
        source_repos: Vec<String>,
    }
    #[derive(serde::Serialize)]
    struct Destination {
        name: String,
        namespace: String,
    }
    #[derive(serde::Serialize)]
    struct GroupKind {
        group: &'static str,
        kind: &'static str,
    }
    let name = model::argocd_project_name(&team.name);
    let project = AppProject {
        api_version: "argoproj.io/v1alpha1",
        kind: "AppProject",
        metadata: meta(
            &name,
            Some(&argocd.namespace),
            Some(&team.name),
            &team.source,
        ),
        spec: Spec {
            cluster_resource_whitelist: Vec::new(),
            description: format!("Team {}: its namespaces on {cluster}", team.name),
            destinations: namespaces
                .iter()
                .map(|namespace| Destination {
                    name: cluster.to_string(),
                    namespace: namespace.to_string(),
                })
                .collect(),
            namespace_resource_blacklist: ARGOCD_DENIED
                .iter()
                .map(|(group, kind)| GroupKind { group, kind })
                .collect(),
            source_repos: argocd.source_repos.clone(),
        },
    };
    Object::named("AppProject", Some(&argocd.namespace), &name, project)
}

/// A ClusterRoleBinding of the platform's.
pub fn cluster_role_binding(binding: &model::ClusterBinding) -> Object {
    Object::new(ClusterRoleBinding {
        metadata: meta(&binding.object_name(), None, None, &binding.source),
        role_ref: RoleRef {
            api_group: Some(RBAC_GROUP.to_string()),
            kind: "ClusterRole".to_string(),
            name: binding.cluster_role.clone(),
        },
        subjects: Some(binding.subjects.iter().map(subject).collect()),
    })
}

fn subject(subject: &Subject) -> SubjectObject {
    match subject {
        Subject::Group(name) => SubjectObject {
            api_group: Some(RBAC_GROUP.to_string()),
            kind: "Group".to_string(),
            name: name.clone(),
            namespace: None,
        },
        Subject::User(name) => SubjectObject {
            api_group: Some(RBAC_GROUP.to_string()),
            kind: "User".to_string(),
            name: name.clone(),
            namespace: None,
        },
        Subject::ServiceAccount { namespace, name } => SubjectObject {
            api_group: None,
            kind: "ServiceAccount".to_string(),
            name: name.clone(),
            namespace: Some(namespace.clone()),
        },
    }
}

/// The namespace that holds every team's kubeconfig ConfigMap.
pub fn kubeconfig_namespace(org: &Org, name: &str) -> Object {
    namespace_object(
        org,
        name,
        labels(None),
        BTreeMap::new(),
        "restricted",
        "rbacc.yaml",
    )
}

/// A team's kubeconfig as a ConfigMap, and a Role and RoleBinding that let
/// the team's members, and only them, read it.
pub fn kubeconfig_objects(team: &Team, namespace: &str, kubeconfig: &str) -> Vec<Object> {
    let name = format!("kubeconfig-{}", team.name);
    let mut objects = vec![
        Object::new(ConfigMap {
            metadata: meta(&name, Some(namespace), Some(&team.name), &team.source),
            data: Some(BTreeMap::from([(
                "kubeconfig".to_string(),
                kubeconfig.to_string(),
            )])),
            ..Default::default()
        }),
        Object::new(Role {
            metadata: meta(&name, Some(namespace), Some(&team.name), &team.source),
            rules: Some(vec![PolicyRule {
                api_groups: Some(vec![String::new()]),
                resources: Some(vec!["configmaps".to_string()]),
                resource_names: Some(vec![name.clone()]),
                verbs: vec!["get".to_string()],
                ..Default::default()
            }]),
        }),
    ];
    if !team.members.is_empty() {
        objects.push(Object::new(RoleBinding {
            metadata: meta(&name, Some(namespace), Some(&team.name), &team.source),
            role_ref: RoleRef {
                api_group: Some(RBAC_GROUP.to_string()),
                kind: "Role".to_string(),
                name,
            },
            subjects: Some(team.members.iter().map(subject).collect()),
        }));
    }
    objects
}
