//! Risk analysis: which bindings give their subjects a permission that
//! reaches beyond what it says (reading Secrets, creating pods, exec,
//! escalation, token creation, writing RBAC or the namespace itself), each
//! traced through binding → role → rule with the evaluator's own rule
//! matching, so a finding holds exactly when the API server would allow the
//! request. The risks follow the privilege-escalation risks of the
//! Kubernetes "RBAC good practices" page and CIS 5.1.
//!
//! Pure: `validate` calls [`findings_of`] for every binding it resolves and
//! decides, from the policy and the `allow:` entries, what each finding is;
//! it calls [`cluster_risks_of`] for the rules of custom roles, whose
//! cluster-wide risks no RoleBinding gives but a ClusterRoleBinding made
//! outside rbacc would.

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::access::{Request, kubectl_name};
use crate::model::Rule;

/// A kind of risky permission. Its [`Risk::id`] is how `rbacc.yaml`
/// (`policy.risks`) and `allow:` entries name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Risk {
    /// `get`, `list` or `watch` on Secrets (a list returns their contents).
    Secrets,
    /// `create`, `update` or `patch` on pods, or on a workload that creates
    /// pods (Deployments, Jobs, ...): whoever creates pods, or changes the
    /// template or image of one, can mount every Secret and run as every
    /// service account of the namespace.
    PodsCreate,
    /// `pods/exec`, `pods/attach` or `pods/portforward`, and `update` or
    /// `patch` on `pods/ephemeralcontainers`: a debug container added to a
    /// running pod runs any command in it, as exec does.
    PodsExec,
    /// `escalate` on roles: edit roles beyond one's own permissions.
    Escalate,
    /// `bind` on roles: grant roles one does not hold.
    Bind,
    /// `impersonate` users, groups or service accounts.
    Impersonate,
    /// `create` on `serviceaccounts/token`: act as any service account.
    ServiceaccountToken,
    /// Writing Roles or RoleBindings.
    RbacWrite,
    /// `update` or `patch` on the namespace itself (a RoleBinding grants it
    /// for its own namespace): its labels set its Pod Security level and
    /// what network policies select.
    NamespaceWrite,
    /// `nodes/proxy`: the kubelet API of every node.
    NodesProxy,
    /// `create` on PersistentVolumes: a `hostPath` volume reaches the
    /// node's file system.
    PersistentVolumes,
    /// Approving certificate signing requests: `update` on
    /// `certificatesigningrequests/approval` and `approve` on `signers`,
    /// which together issue client certificates for any user.
    CsrApproval,
    /// Writing validating or mutating webhook configurations: a webhook
    /// sees, changes or waves through every object written to the cluster.
    AdmissionWebhooks,
    /// Any ClusterRoleBinding: access in every namespace.
    ClusterBinding,
    /// A NetworkPolicy that admits traffic from pods of every namespace
    /// (an empty `namespaceSelector`, or one every namespace matches; an
    /// ingress rule without `from`).
    IngressAllNamespaces,
    /// A NetworkPolicy that admits traffic from outside the private
    /// address ranges: an ingress rule without `from`, or an `ipBlock`
    /// reaching public addresses (`0.0.0.0/0`).
    IngressInternet,
}

/// What the policy makes of a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Allow,
    Warning,
    Error,
}

impl Level {
    pub const CHOICES: &'static [(&'static str, Level)] = &[
        ("error", Level::Error),
        ("warning", Level::Warning),
        ("allow", Level::Allow),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Where a binding must be for a risk's requests to be allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Requests in a namespace: a RoleBinding there gives the risk.
    Namespace,
    /// Cluster-scoped requests, or every namespace at once: only a
    /// ClusterRoleBinding gives the risk, and rbacc emits none.
    Cluster,
    /// Traffic a NetworkPolicy admits: no binding gives it.
    Network,
}

impl Risk {
    pub const ALL: &'static [Risk] = &[
        Risk::Secrets,
        Risk::PodsCreate,
        Risk::PodsExec,
        Risk::Escalate,
        Risk::Bind,
        Risk::Impersonate,
        Risk::ServiceaccountToken,
        Risk::RbacWrite,
        Risk::NamespaceWrite,
        Risk::NodesProxy,
        Risk::PersistentVolumes,
        Risk::CsrApproval,
        Risk::AdmissionWebhooks,
        Risk::ClusterBinding,
        Risk::IngressAllNamespaces,
        Risk::IngressInternet,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Risk::Secrets => "secrets",
            Risk::PodsCreate => "pods-create",
            Risk::PodsExec => "pods-exec",
            Risk::Escalate => "escalate",
            Risk::Bind => "bind",
            Risk::Impersonate => "impersonate",
            Risk::ServiceaccountToken => "serviceaccount-token",
            Risk::RbacWrite => "rbac-write",
            Risk::NamespaceWrite => "namespace-write",
            Risk::NodesProxy => "nodes-proxy",
            Risk::PersistentVolumes => "persistent-volumes",
            Risk::CsrApproval => "csr-approval",
            Risk::AdmissionWebhooks => "admission-webhooks",
            Risk::ClusterBinding => "cluster-binding",
            Risk::IngressAllNamespaces => "ingress-all-namespaces",
            Risk::IngressInternet => "ingress-internet",
        }
    }

    pub fn from_id(id: &str) -> Option<Risk> {
        Risk::ALL.iter().copied().find(|r| r.id() == id)
    }

    /// What a subject with this permission can do, after "can".
    pub fn can(self) -> &'static str {
        match self {
            Risk::Secrets => "read Secrets",
            Risk::PodsCreate => {
                "create pods, and so mount any Secret and run as any service account of the namespace"
            }
            Risk::PodsExec => "exec into, attach to or port-forward to pods",
            Risk::Escalate => "edit roles beyond its own permissions (`escalate`)",
            Risk::Bind => "bind roles it does not hold (`bind`)",
            Risk::Impersonate => "impersonate other users, groups or service accounts",
            Risk::ServiceaccountToken => "create tokens for service accounts, and so act as them",
            Risk::RbacWrite => "write Roles and RoleBindings",
            Risk::NamespaceWrite => {
                "change the Namespace itself (its labels set the Pod Security level)"
            }
            Risk::NodesProxy => "reach the kubelet API of nodes (`nodes/proxy`)",
            Risk::PersistentVolumes => {
                "create PersistentVolumes, and so mount any path of a node (`hostPath`)"
            }
            Risk::CsrApproval => {
                "approve certificate signing requests, and so issue certificates for any user"
            }
            Risk::AdmissionWebhooks => {
                "write admission webhook configurations, and so see or change every object written to the cluster"
            }
            Risk::ClusterBinding => "act in every namespace through a ClusterRoleBinding",
            Risk::IngressAllNamespaces => "reach the selected pods from every namespace",
            Risk::IngressInternet => {
                "reach the selected pods from outside the cluster's private networks"
            }
        }
    }

    /// What a subject holding the risk does, in a few words after "now"
    /// or "no longer": `reads Secrets`, `creates pods`.
    pub fn does(self) -> &'static str {
        match self {
            Risk::Secrets => "reads Secrets",
            Risk::PodsCreate => "creates pods",
            Risk::PodsExec => "execs into pods",
            Risk::Escalate => "escalates roles",
            Risk::Bind => "binds roles it does not hold",
            Risk::Impersonate => "impersonates",
            Risk::ServiceaccountToken => "mints service-account tokens",
            Risk::RbacWrite => "writes RBAC objects",
            Risk::NamespaceWrite => "changes its Namespace",
            Risk::NodesProxy => "reaches the kubelet API",
            Risk::PersistentVolumes => "creates PersistentVolumes",
            Risk::CsrApproval => "approves certificates",
            Risk::AdmissionWebhooks => "writes admission webhooks",
            Risk::ClusterBinding => "acts in every namespace",
            Risk::IngressAllNamespaces => "is reachable from every namespace",
            Risk::IngressInternet => "is reachable from outside",
        }
    }

    /// The level when `policy.risks` does not name the risk: a warning for
    /// reading Secrets and exec, the two things viewers are kept from; an
    /// error for escalation (to other roles, identities, nodes, the
    /// namespace's own Pod Security level or the admission chain); allowed
    /// for what owning a namespace needs (creating pods, delegating access,
    /// tokens for its service accounts).
    pub fn default_level(self) -> Level {
        match self {
            Risk::PodsCreate | Risk::ServiceaccountToken | Risk::RbacWrite => Level::Allow,
            Risk::Secrets | Risk::PodsExec | Risk::IngressAllNamespaces | Risk::IngressInternet => {
                Level::Warning
            }
            Risk::Escalate
            | Risk::Bind
            | Risk::Impersonate
            | Risk::NamespaceWrite
            | Risk::NodesProxy
            | Risk::PersistentVolumes
            | Risk::CsrApproval
            | Risk::AdmissionWebhooks
            | Risk::ClusterBinding => Level::Error,
        }
    }

    /// Where a binding must be to give the risk.
    pub fn reach(self) -> Reach {
        match self {
            Risk::NodesProxy
            | Risk::PersistentVolumes
            | Risk::CsrApproval
            | Risk::AdmissionWebhooks
            | Risk::ClusterBinding => Reach::Cluster,
            Risk::IngressAllNamespaces | Risk::IngressInternet => Reach::Network,
            _ => Reach::Namespace,
        }
    }

    /// The requests any one of which shows the risk: in `namespace` for a
    /// risk a RoleBinding gives, cluster-scoped for the others. A
    /// ClusterRoleBinding is a risk of its own, with no request.
    fn probes(self, namespace: &str) -> Vec<Request> {
        let namespace = (self.reach() == Reach::Namespace).then_some(namespace);
        // Every verb on every resource, resource by resource.
        let each = |verbs: &[&str], resources: &[&str]| -> Vec<Request> {
            resources
                .iter()
                .flat_map(|r| {
                    verbs
                        .iter()
                        .map(move |v| Request::parse_resource(v, r, namespace))
                })
                .collect()
        };
        const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
        const ROLES: &[&str] = &[
            "roles.rbac.authorization.k8s.io",
            "clusterroles.rbac.authorization.k8s.io",
        ];
        match self {
            Risk::Secrets => each(&["get", "list", "watch"], &["secrets"]),
            // Workload controllers create pods for whoever creates them or
            // changes their template; changing a pod changes its image.
            Risk::PodsCreate => each(
                &["create", "update", "patch"],
                &[
                    "pods",
                    "replicationcontrollers",
                    "deployments.apps",
                    "replicasets.apps",
                    "statefulsets.apps",
                    "daemonsets.apps",
                    "jobs.batch",
                    "cronjobs.batch",
                ],
            ),
            // A websocket exec or attach is a `get`.
            Risk::PodsExec => [
                each(
                    &["create", "get"],
                    &["pods/exec", "pods/attach", "pods/portforward"],
                ),
                each(&["update", "patch"], &["pods/ephemeralcontainers"]),
            ]
            .concat(),
            Risk::Escalate => each(&["escalate"], ROLES),
            Risk::Bind => each(&["bind"], ROLES),
            Risk::Impersonate => each(
                &["impersonate"],
                &[
                    "users",
                    "groups",
                    "serviceaccounts",
                    "uids",
                    "userextras.authentication.k8s.io",
                ],
            ),
            Risk::ServiceaccountToken => each(&["create"], &["serviceaccounts/token"]),
            Risk::RbacWrite => each(
                WRITE,
                &[
                    "roles.rbac.authorization.k8s.io",
                    "rolebindings.rbac.authorization.k8s.io",
                ],
            ),
            // The request for a Namespace object is in that namespace.
            Risk::NamespaceWrite => each(&["update", "patch"], &["namespaces"]),
            // The kubelet's API maps HTTP methods to these verbs.
            Risk::NodesProxy => each(
                &["get", "create", "update", "patch", "delete"],
                &["nodes/proxy"],
            ),
            Risk::PersistentVolumes => each(&["create"], &["persistentvolumes"]),
            // Either half of an approval.
            Risk::CsrApproval => [
                each(
                    &["update", "patch"],
                    &["certificatesigningrequests.certificates.k8s.io/approval"],
                ),
                each(&["approve"], &["signers.certificates.k8s.io"]),
            ]
            .concat(),
            Risk::AdmissionWebhooks => each(
                WRITE,
                &[
                    "validatingwebhookconfigurations.admissionregistration.k8s.io",
                    "mutatingwebhookconfigurations.admissionregistration.k8s.io",
                ],
            ),
            Risk::ClusterBinding | Risk::IngressAllNamespaces | Risk::IngressInternet => Vec::new(),
        }
    }
}

/// One risk a role gives in a namespace, and the first of the role's rules
/// that gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleMatch {
    pub risk: Risk,
    /// The index of the rule in the role's rules.
    pub rule_index: usize,
    /// The request the rule allows, as kubectl writes it: `get secrets`,
    /// `create pods/exec`, `escalate roles.rbac.authorization.k8s.io`.
    pub request: String,
}

/// Every risk that a RoleBinding of a role with `rules` gives in
/// `namespace` (the same in every namespace: `""` will do), in
/// [`Risk::ALL`] order.
pub fn findings_of(rules: &[Rule], namespace: &str) -> Vec<RuleMatch> {
    first_rules(rules, Reach::Namespace, namespace)
}

/// The cluster-wide risks ([`Reach::Cluster`]) that a ClusterRoleBinding of
/// a role with `rules` would give, in [`Risk::ALL`] order.
pub fn cluster_risks_of(rules: &[Rule]) -> Vec<RuleMatch> {
    first_rules(rules, Reach::Cluster, "")
}

/// Each risk of `reach` that `rules` give, with the first rule that gives it.
fn first_rules(rules: &[Rule], reach: Reach, namespace: &str) -> Vec<RuleMatch> {
    let policy: Vec<PolicyRule> = rules.iter().map(policy_rule).collect();
    let mut found = Vec::new();
    for &risk in Risk::ALL.iter().filter(|r| r.reach() == reach) {
        let probes = risk.probes(namespace);
        // A rule limited to some objects by name still gives the risk for
        // those objects.
        let hit = policy.iter().enumerate().find_map(|(index, rule)| {
            probes.iter().find_map(|probe| {
                let named = rule
                    .resource_names
                    .iter()
                    .flatten()
                    .map(|name| probe.clone().with_name(name));
                std::iter::once(probe.clone())
                    .chain(named)
                    .find(|p| crate::access::rule_allows(rule, p))
                    .map(|p| (index, p))
            })
        });
        if let Some((rule_index, request)) = hit {
            found.push(RuleMatch {
                risk,
                rule_index,
                request: request_text(&request),
            });
        }
    }
    found
}

/// The rules of `cluster-admin`, as the upstream bootstrap role has them.
pub fn cluster_admin_rules() -> Vec<Rule> {
    vec![Rule {
        api_groups: vec!["*".to_string()],
        resources: vec!["*".to_string()],
        verbs: vec!["*".to_string()],
        resource_names: Vec::new(),
    }]
}

pub(crate) fn policy_rule(rule: &Rule) -> PolicyRule {
    PolicyRule {
        api_groups: Some(rule.api_groups.clone()),
        resources: Some(rule.resources.clone()),
        verbs: rule.verbs.clone(),
        resource_names: (!rule.resource_names.is_empty()).then(|| rule.resource_names.clone()),
        non_resource_urls: None,
    }
}

/// A request in kubectl's words: `get secrets`, `create pods/exec`,
/// `get secrets tls` for a named object.
pub(crate) fn request_text(request: &Request) -> String {
    match request {
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            name,
            ..
        } => {
            let sub = subresource.as_deref().filter(|s| !s.is_empty());
            let mut text = format!("{verb} {}", kubectl_name(api_group, resource, sub));
            if let Some(name) = name {
                text.push_str(&format!(" {name}"));
            }
            text
        }
        Request::NonResource { verb, path } => format!("{verb} {path}"),
    }
}

/// A rule in one line: `get, list, watch on secrets` (with the group when
/// it is not the core group, and names when it has them).
pub fn describe(rule: &Rule) -> String {
    let resources: Vec<String> = rule
        .resources
        .iter()
        .map(|r| {
            let groups: Vec<&str> = rule
                .api_groups
                .iter()
                .filter(|g| !g.is_empty())
                .map(String::as_str)
                .collect();
            match groups.as_slice() {
                [] => r.clone(),
                [group] => format!("{r}.{group}"),
                _ => format!("{r}.{{{}}}", groups.join(",")),
            }
        })
        .collect();
    let mut text = format!("{} on {}", rule.verbs.join(", "), resources.join(", "));
    if !rule.resource_names.is_empty() {
        text.push_str(&format!(" named {}", rule.resource_names.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Rule {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Rule {
            api_groups: own(groups),
            resources: own(resources),
            verbs: own(verbs),
            resource_names: Vec::new(),
        }
    }

    fn risks(rules: &[Rule]) -> Vec<&'static str> {
        findings_of(rules, "ns")
            .iter()
            .map(|f| f.risk.id())
            .collect()
    }

    #[test]
    fn each_risk_is_found_by_the_rule_that_gives_it() {
        let rbac = "rbac.authorization.k8s.io";
        for (group, resource, verbs, found) in [
            ("", "secrets", &["watch"][..], &["secrets"][..]),
            ("", "pods", &["create"], &["pods-create"]),
            ("", "pods/portforward", &["create"], &["pods-exec"]),
            (rbac, "roles", &["bind", "escalate"], &["escalate", "bind"]),
            ("", "serviceaccounts", &["impersonate"], &["impersonate"]),
            (
                "",
                "serviceaccounts/token",
                &["create"],
                &["serviceaccount-token"],
            ),
            (rbac, "rolebindings", &["patch"], &["rbac-write"]),
        ] {
            assert_eq!(
                risks(&[rule(&[group], &[resource], verbs)]),
                found,
                "{verbs:?} {resource}"
            );
        }
    }

    #[test]
    fn matching_follows_the_authorizer() {
        // `*/exec` covers pods/exec; `pods/*` is not a wildcard upstream.
        assert_eq!(
            risks(&[rule(&[""], &["*/exec"], &["create"])]),
            ["pods-exec"]
        );
        assert!(risks(&[rule(&[""], &["pods/*"], &["create"])]).is_empty());
        // Secrets in another group are not Secrets.
        assert!(risks(&[rule(&["example.com"], &["secrets"], &["get"])]).is_empty());
        // Read-only RBAC is not a write; viewers of pods are not creators.
        assert!(
            risks(&[rule(
                &["rbac.authorization.k8s.io"],
                &["roles", "rolebindings"],
                &["get", "list"]
            )])
            .is_empty()
        );
        assert!(
            risks(&[rule(
                &[""],
                &["pods", "pods/log"],
                &["get", "list", "watch"]
            )])
            .is_empty()
        );
        // A rule limited to one Secret by name still reads that Secret.
        let mut named = rule(&[""], &["secrets"], &["get"]);
        named.resource_names = vec!["tls".to_string()];
        assert_eq!(risks(&[named]), ["secrets"]);
    }

    #[test]
    fn cluster_admin_has_every_risk() {
        let of = |reach: Reach| -> Vec<&str> {
            Risk::ALL
                .iter()
                .filter(|r| r.reach() == reach && **r != Risk::ClusterBinding)
                .map(|r| r.id())
                .collect()
        };
        assert_eq!(risks(&cluster_admin_rules()), of(Reach::Namespace));
        let cluster: Vec<&str> = cluster_risks_of(&cluster_admin_rules())
            .iter()
            .map(|f| f.risk.id())
            .collect();
        assert_eq!(cluster, of(Reach::Cluster));
    }

    /// The risks of the RBAC good practices page that are not about a verb
    /// on a resource alone.
    #[test]
    fn changing_pods_workloads_and_the_namespace_is_found() {
        // Changing a pod's image or a workload's template is creating pods.
        for (groups, resource) in [
            ("", "pods"),
            ("apps", "deployments"),
            ("apps", "daemonsets"),
            ("batch", "cronjobs"),
            ("", "replicationcontrollers"),
        ] {
            for verb in ["update", "patch"] {
                assert_eq!(
                    risks(&[rule(&[groups], &[resource], &[verb])]),
                    ["pods-create"],
                    "{verb} {resource}"
                );
            }
        }
        // Scaling a workload runs more of the same pods, with no new spec.
        assert!(risks(&[rule(&["apps"], &["deployments/scale"], &["patch"])]).is_empty());
        // A debug container is exec; reading the subresource is not.
        assert_eq!(
            risks(&[rule(&[""], &["pods/ephemeralcontainers"], &["patch"])]),
            ["pods-exec"]
        );
        assert!(risks(&[rule(&[""], &["pods/ephemeralcontainers"], &["get"])]).is_empty());
        // Listing Secrets returns them.
        assert_eq!(risks(&[rule(&[""], &["secrets"], &["list"])]), ["secrets"]);
        // The namespace's own object, by name or not; reading it is fine.
        let mut own = rule(&[""], &["namespaces"], &["patch"]);
        own.resource_names = vec!["team-a".to_string()];
        assert_eq!(risks(&[own]), ["namespace-write"]);
        assert!(risks(&[rule(&[""], &["namespaces"], &["get", "list"])]).is_empty());
    }

    #[test]
    fn cluster_wide_risks_need_a_cluster_role_binding() {
        let cluster = |rules: &[Rule]| -> Vec<&str> {
            cluster_risks_of(rules)
                .iter()
                .map(|f| f.risk.id())
                .collect()
        };
        for (rules, id) in [
            (
                rule(&[""], &["persistentvolumes"], &["create"]),
                "persistent-volumes",
            ),
            (rule(&[""], &["nodes/proxy"], &["get"]), "nodes-proxy"),
            (
                rule(
                    &["certificates.k8s.io"],
                    &["certificatesigningrequests/approval"],
                    &["update"],
                ),
                "csr-approval",
            ),
            (
                rule(&["certificates.k8s.io"], &["signers"], &["approve"]),
                "csr-approval",
            ),
            (
                rule(
                    &["admissionregistration.k8s.io"],
                    &["mutatingwebhookconfigurations"],
                    &["patch"],
                ),
                "admission-webhooks",
            ),
            (
                rule(
                    &["admissionregistration.k8s.io"],
                    &["validatingwebhookconfigurations"],
                    &["delete"],
                ),
                "admission-webhooks",
            ),
        ] {
            assert_eq!(cluster(std::slice::from_ref(&rules)), [id], "{rules:?}");
            // No RoleBinding gives them.
            assert!(risks(&[rules]).is_empty(), "{id}");
        }
        // Claims are namespaced and fine; reading volumes or webhooks is not
        // a write.
        assert!(cluster(&[rule(&[""], &["persistentvolumeclaims"], &["create"])]).is_empty());
        assert!(risks(&[rule(&[""], &["persistentvolumeclaims"], &["create"])]).is_empty());
        assert!(
            cluster(&[rule(
                &["admissionregistration.k8s.io"],
                &[
                    "validatingwebhookconfigurations",
                    "mutatingwebhookconfigurations"
                ],
                &["get", "list", "watch"]
            )])
            .is_empty()
        );
        assert!(cluster(&[rule(&[""], &["persistentvolumes"], &["get"])]).is_empty());
    }

    #[test]
    fn the_first_rule_that_gives_a_risk_is_named() {
        let rules = [
            rule(&[""], &["configmaps"], &["get"]),
            rule(&[""], &["secrets"], &["get", "list"]),
            rule(&[""], &["*"], &["*"]),
        ];
        let found = findings_of(&rules, "ns");
        assert_eq!(found[0].risk, Risk::Secrets);
        assert_eq!(found[0].rule_index, 1);
        assert_eq!(found[0].request, "get secrets");
        assert_eq!(describe(&rules[1]), "get, list on secrets");
        let exec = findings_of(&[rule(&[""], &["*/exec"], &["*"])], "ns");
        assert_eq!(exec[0].request, "create pods/exec");
    }
}
