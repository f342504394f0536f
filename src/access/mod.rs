//! An offline Kubernetes RBAC evaluator: "may this user do this?" answered
//! from manifests, the way the API server's RBAC authorizer answers it.
//!
//! **Input**: [`Manifests`], the `Role`, `ClusterRole`, `RoleBinding` and
//! `ClusterRoleBinding` objects of YAML streams or directories (for example
//! rbacc's `out/<cluster>/`), read with [`Manifests::from_yaml`] or
//! [`Manifests::load_dir`]; a [`UserInfo`] (name and groups) and a
//! [`Request`] (a resource or non-resource request).
//!
//! **Output**: [`Manifests::allows`] (the decision),
//! [`Manifests::explain`] (every binding → role → rule that allows it, as
//! [`Grant`]s) and [`Manifests::who_can`] (every binding subject that is
//! allowed, with the grant).
//!
//! **Semantics** follow upstream exactly: `RuleAllows` and the matchers of
//! `pkg/apis/rbac/v1/evaluation_helpers.go`, the rule resolver of
//! `pkg/registry/rbac/validation/rule.go` (which bindings apply in which
//! namespace, how subjects match), and the ClusterRole aggregation
//! controller (an aggregated ClusterRole's rules are *replaced* by the
//! union of the rules of the ClusterRoles its selectors match, in name
//! order, without duplicates; chains are followed, cycles end). In short:
//!
//! - a ClusterRoleBinding grants in every namespace and cluster-wide; a
//!   RoleBinding grants only requests in its own namespace, never
//!   cluster-scoped or non-resource requests; it may reference a Role of its
//!   namespace or a ClusterRole;
//! - a binding whose role does not exist grants nothing;
//! - RBAC only allows: there is no deny, and the absence of a grant is a
//!   denial here (upstream: "no opinion", which other authorizers such as
//!   Node or a webhook may still turn into an allow; those are not modelled).
//!
//! **Invariants**: every stored object has a name, every Role and
//! RoleBinding a namespace, and every object passed the checks of the API
//! server's validation that evaluation depends on (rule shapes, role
//! references, subjects, aggregation selectors); an object with the same
//! kind, namespace and name as an earlier one replaces it. Evaluation never
//! fails and never panics, and its results are sorted and deduplicated, so
//! they do not depend on file or document order (except through which of
//! two objects with the same name is the later one).
//!
//! Not modelled: other authorizers (Node, ABAC, webhooks), impersonation,
//! the escalation checks on writes to RBAC objects, and API discovery
//! (resources are matched as written: no short names or kinds).

pub(crate) mod load;
mod request;
mod rules;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use k8s_openapi::api::rbac::v1::{
    ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject,
};

pub use load::{ASSUMED_ROLES_KIND, AccessError};
pub use request::{Request, SERVICE_ACCOUNT_PREFIX, UserInfo, kubectl_name, service_account_parts};
pub(crate) use rules::{requests_of, rule_allows};

/// The API group of RBAC objects, and of User and Group subjects.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The RBAC objects of a set of manifests, indexed by kind, namespace and
/// name. See the module docs for the invariants.
#[derive(Debug, Clone, Default)]
pub struct Manifests {
    /// Roles by (namespace, name).
    roles: BTreeMap<(String, String), Role>,
    /// ClusterRoles by name.
    cluster_roles: BTreeMap<String, ClusterRole>,
    /// RoleBindings by (namespace, name).
    role_bindings: BTreeMap<(String, String), RoleBinding>,
    /// ClusterRoleBindings by name.
    cluster_role_bindings: BTreeMap<String, ClusterRoleBinding>,
    /// The rules of each aggregated ClusterRole, as (role, index in its
    /// `rules`), resolved when first asked for: a query asks for `admin`'s
    /// rules once per binding and request. Reset by every change to
    /// `cluster_roles`.
    aggregated: OnceLock<BTreeMap<String, Vec<(String, usize)>>>,
}

/// One rule that allows a request, and how it reaches the user: a binding,
/// the role it references, and the index of the rule in that role's
/// effective rules (see [`Manifests::effective_rules`]; for a role without
/// aggregation, the index in its `rules`). Ordered by its fields in order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub binding_kind: String,
    /// The namespace of a RoleBinding; `None` for a ClusterRoleBinding.
    pub binding_namespace: Option<String>,
    /// The binding's name.
    pub binding_name: String,
    /// `Role` or `ClusterRole`, from the binding's `roleRef`.
    pub role_kind: String,
    /// The role's name (a Role is in the binding's namespace).
    pub role_name: String,
    /// The index of the allowing rule in the role's effective rules.
    pub rule_index: usize,
}

/// A binding subject, with a service account's namespace resolved (a
/// RoleBinding's service account without a namespace is in the binding's
/// namespace). Ordered by kind, name, namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SubjectRef {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// The user, group or service-account name.
    pub name: String,
    /// The namespace of a service account; `None` for users and groups.
    pub namespace: Option<String>,
}

/// A binding one of whose subjects is a given user, and the role it
/// references (see [`Manifests::bindings_of`]). Ordered by its fields.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserBinding {
    /// `RoleBinding` or `ClusterRoleBinding`.
    pub binding_kind: String,
    /// The namespace of a RoleBinding; `None` for a ClusterRoleBinding.
    pub binding_namespace: Option<String>,
    /// The binding's name.
    pub binding_name: String,
    /// `Role` or `ClusterRole`, from the binding's `roleRef`.
    pub role_kind: String,
    /// The role's name (a Role is in the binding's namespace).
    pub role_name: String,
}

/// A RoleBinding or ClusterRoleBinding, as the rule resolver sees it.
struct BindingRef<'a> {
    kind: &'static str,
    /// The namespace of a RoleBinding; `None` for a ClusterRoleBinding.
    namespace: Option<&'a str>,
    name: &'a str,
    role_ref: &'a RoleRef,
    subjects: &'a [Subject],
}

impl Manifests {
    /// Adds the objects of `other`; an object with the same kind, namespace
    /// and name as one already here replaces it.
    pub fn extend(&mut self, other: Manifests) {
        self.roles.extend(other.roles);
        self.cluster_roles.extend(other.cluster_roles);
        self.aggregated.take();
        self.role_bindings.extend(other.role_bindings);
        self.cluster_role_bindings
            .extend(other.cluster_role_bindings);
    }

    /// Adds the objects of `other` that are not here (by kind, namespace
    /// and name): what a cluster is known to hold when a dump leaves it out.
    pub fn add_missing(&mut self, other: Manifests) {
        fn missing<K: Ord, V>(here: &mut BTreeMap<K, V>, other: BTreeMap<K, V>) {
            for (key, value) in other {
                here.entry(key).or_insert(value);
            }
        }
        missing(&mut self.roles, other.roles);
        missing(&mut self.cluster_roles, other.cluster_roles);
        self.aggregated.take();
        missing(&mut self.role_bindings, other.role_bindings);
        missing(&mut self.cluster_role_bindings, other.cluster_role_bindings);
    }

    /// The number of RBAC objects.
    pub fn len(&self) -> usize {
        self.roles.len()
            + self.cluster_roles.len()
            + self.role_bindings.len()
            + self.cluster_role_bindings.len()
    }

    /// Whether there is no RBAC object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The Roles, by namespace then name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// The ClusterRoles, by name.
    pub fn cluster_roles(&self) -> impl Iterator<Item = &ClusterRole> {
        self.cluster_roles.values()
    }

    /// The RoleBindings, by namespace then name.
    pub fn role_bindings(&self) -> impl Iterator<Item = &RoleBinding> {
        self.role_bindings.values()
    }

    /// The RoleBindings of one namespace, by name.
    pub fn role_bindings_in<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a RoleBinding> + 'a {
        self.role_bindings
            .range((namespace.to_string(), String::new())..)
            .take_while(move |((ns, _), _)| ns == namespace)
            .map(|(_, b)| b)
    }

    /// The ClusterRoleBindings, by name.
    pub fn cluster_role_bindings(&self) -> impl Iterator<Item = &ClusterRoleBinding> {
        self.cluster_role_bindings.values()
    }

    /// The rules a role grants, as the authorizer sees them: a Role's and a
    /// plain ClusterRole's `rules`; for a ClusterRole with an
    /// `aggregationRule`, the rules the aggregation controller would write
    /// (its own `rules` are overwritten upstream, so they are ignored).
    /// `role_kind` is `Role` (then `namespace` is required) or
    /// `ClusterRole`; anything else, or a missing role, has no rules.
    pub fn effective_rules(
        &self,
        role_kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Vec<&PolicyRule> {
        match (role_kind, namespace) {
            ("Role", Some(namespace)) => self
                .roles
                .get(&(namespace.to_string(), name.to_string()))
                .map(|role| role.rules.iter().flatten().collect())
                .unwrap_or_default(),
            ("ClusterRole", _) => self.cluster_role_rules(name),
            _ => Vec::new(),
        }
    }

    /// The rule a [`Grant`] names, if it is one of these manifests.
    pub fn rule(&self, grant: &Grant) -> Option<&PolicyRule> {
        self.effective_rules(
            &grant.role_kind,
            grant.binding_namespace.as_deref(),
            &grant.role_name,
        )
        .get(grant.rule_index)
        .copied()
    }

    /// Whether the RBAC authorizer allows `request` for `user`.
    pub fn allows(&self, user: &UserInfo, request: &Request) -> bool {
        self.rules_for(user, request.namespace())
            .iter()
            .any(|rule| rules::rule_allows(rule, request))
    }

    /// Every rule that reaches `user` for a request in `namespace` (`None`:
    /// a cluster-scoped request) through the bindings that apply to it:
    /// [`Manifests::allows`] is whether one of them allows the request.
    /// Asking many requests of one user in one namespace, resolve these once.
    pub fn rules_for(&self, user: &UserInfo, namespace: Option<&str>) -> Vec<&PolicyRule> {
        self.bindings_in(namespace)
            .iter()
            .filter(|binding| applies_to(user, binding))
            .flat_map(|binding| self.binding_rules(binding))
            .collect()
    }

    /// Every binding → role → rule that allows `request` for `user`, sorted;
    /// empty exactly when [`Manifests::allows`] is false.
    pub fn explain(&self, user: &UserInfo, request: &Request) -> Vec<Grant> {
        let mut grants: Vec<Grant> = self
            .bindings_for(request)
            .iter()
            .filter(|binding| applies_to(user, binding))
            .flat_map(|binding| self.grants(binding, request))
            .collect();
        grants.sort();
        grants.dedup();
        grants
    }

    /// Every subject of every binding that allows `request`, with the grant,
    /// sorted and deduplicated. Subjects are listed as written (a group is
    /// not expanded into users); a request is allowed for a user exactly
    /// when one of these subjects matches the user (see [`UserInfo::new`]
    /// for the implicit groups).
    pub fn who_can(&self, request: &Request) -> Vec<(SubjectRef, Grant)> {
        let mut found = Vec::new();
        for binding in self.bindings_for(request) {
            let grants = self.grants(&binding, request);
            if grants.is_empty() {
                continue;
            }
            for subject in binding.subjects {
                let Some(subject) = subject_ref(subject, binding.namespace) else {
                    continue;
                };
                found.extend(grants.iter().map(|g| (subject.clone(), g.clone())));
            }
        }
        found.sort();
        found.dedup();
        found
    }

    /// The bindings that have `user` among their subjects (matched as
    /// [`Manifests::allows`] matches them), sorted: with `Some(namespace)`,
    /// those the resolver visits for a request in that namespace (every
    /// ClusterRoleBinding and the namespace's RoleBindings); with `None`,
    /// every binding of every namespace. A binding whose role is missing is
    /// listed too (it grants nothing).
    pub fn bindings_of(&self, user: &UserInfo, namespace: Option<&str>) -> Vec<UserBinding> {
        let mut bindings: Vec<BindingRef<'_>> = match namespace {
            Some(namespace) => {
                self.bindings_for(&Request::parse_resource("get", "", Some(namespace)))
            }
            None => {
                let mut all = self.bindings_for(&Request::non_resource("get", "/"));
                all.extend(self.role_bindings.iter().map(|((ns, name), b)| BindingRef {
                    kind: "RoleBinding",
                    namespace: Some(ns),
                    name,
                    role_ref: &b.role_ref,
                    subjects: b.subjects.as_deref().unwrap_or(&[]),
                }));
                all
            }
        };
        bindings.retain(|binding| applies_to(user, binding));
        let mut found: Vec<UserBinding> = bindings
            .into_iter()
            .map(|binding| UserBinding {
                binding_kind: binding.kind.to_string(),
                binding_namespace: binding.namespace.map(String::from),
                binding_name: binding.name.to_string(),
                role_kind: binding.role_ref.kind.clone(),
                role_name: binding.role_ref.name.clone(),
            })
            .collect();
        found.sort();
        found
    }

    /// The bindings the resolver visits for a request: every
    /// ClusterRoleBinding, and the RoleBindings of the request's namespace
    /// when it has one.
    fn bindings_for(&self, request: &Request) -> Vec<BindingRef<'_>> {
        self.bindings_in(request.namespace())
    }

    /// The bindings that reach requests in `namespace`: every
    /// ClusterRoleBinding, and the RoleBindings there.
    fn bindings_in(&self, namespace: Option<&str>) -> Vec<BindingRef<'_>> {
        let mut bindings: Vec<BindingRef<'_>> = self
            .cluster_role_bindings
            .iter()
            .map(|(name, b)| BindingRef {
                kind: "ClusterRoleBinding",
                namespace: None,
                name,
                role_ref: &b.role_ref,
                subjects: b.subjects.as_deref().unwrap_or(&[]),
            })
            .collect();
        if let Some(namespace) = namespace {
            let start = (namespace.to_string(), String::new());
            bindings.extend(
                self.role_bindings
                    .range(start..)
                    .take_while(|((ns, _), _)| ns == namespace)
                    .map(|((ns, name), b)| BindingRef {
                        kind: "RoleBinding",
                        namespace: Some(ns),
                        name,
                        role_ref: &b.role_ref,
                        subjects: b.subjects.as_deref().unwrap_or(&[]),
                    }),
            );
        }
        bindings
    }

    /// `GetRoleReferenceRules`: the rules of the role a binding references.
    /// A ClusterRoleBinding cannot reference a Role.
    fn binding_rules(&self, binding: &BindingRef<'_>) -> Vec<&PolicyRule> {
        self.effective_rules(
            &binding.role_ref.kind,
            binding.namespace,
            &binding.role_ref.name,
        )
    }

    /// The grants of one binding's role for a request, whoever the subject.
    fn grants(&self, binding: &BindingRef<'_>, request: &Request) -> Vec<Grant> {
        self.binding_rules(binding)
            .iter()
            .enumerate()
            .filter(|(_, rule)| rules::rule_allows(rule, request))
            .map(|(rule_index, _)| Grant {
                binding_kind: binding.kind.to_string(),
                binding_namespace: binding.namespace.map(String::from),
                binding_name: binding.name.to_string(),
                role_kind: binding.role_ref.kind.clone(),
                role_name: binding.role_ref.name.clone(),
                rule_index,
            })
            .collect()
    }

    /// A ClusterRole's effective rules. Without an aggregation rule, its
    /// `rules`. With one, the steady state of the aggregation controller:
    /// for each selector in order, each other ClusterRole it matches in name
    /// order contributes its effective rules, duplicates dropped. Walked
    /// depth first with an explicit stack and a visited set, so chains of
    /// any length and cycles end; a role reached twice contributes once.
    fn cluster_role_rules(&self, name: &str) -> Vec<&PolicyRule> {
        let Some(root) = self.cluster_roles.get(name) else {
            return Vec::new();
        };
        if root.aggregation_rule.is_none() {
            return root.rules.iter().flatten().collect();
        }
        let aggregated = self.aggregated.get_or_init(|| {
            self.cluster_roles
                .iter()
                .filter(|(_, role)| role.aggregation_rule.is_some())
                .map(|(name, role)| (name.clone(), self.aggregate(name, role)))
                .collect()
        });
        aggregated
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|(role, i)| self.cluster_roles.get(role)?.rules.as_ref()?.get(*i))
            .collect()
    }

    /// The rules of the aggregated role `name`, as the aggregation
    /// controller collects them: depth first, each rule once.
    fn aggregate<'a>(&'a self, name: &'a str, root: &'a ClusterRole) -> Vec<(String, usize)> {
        let mut found: Vec<(&str, usize, &PolicyRule)> = Vec::new();
        let mut visited: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<(&str, &ClusterRole)> = vec![(name, root)];
        while let Some((current, role)) = stack.pop() {
            if !visited.insert(current) {
                continue;
            }
            let Some(aggregation) = &role.aggregation_rule else {
                for (i, rule) in role.rules.iter().flatten().enumerate() {
                    if !found.iter().any(|(_, _, f)| rules::same_rule(f, rule)) {
                        found.push((current, i, rule));
                    }
                }
                continue;
            };
            let mut children: Vec<(&str, &ClusterRole)> = Vec::new();
            for selector in aggregation.cluster_role_selectors.iter().flatten() {
                children.extend(
                    self.cluster_roles
                        .iter()
                        .filter(|(other, candidate)| {
                            other.as_str() != current
                                && rules::selector_matches(
                                    selector,
                                    candidate.metadata.labels.as_ref(),
                                )
                        })
                        .map(|(other, candidate)| (other.as_str(), candidate)),
                );
            }
            // Reversed, so the first child is visited first.
            stack.extend(children.into_iter().rev());
        }
        found
            .into_iter()
            .map(|(role, i, _)| (role.to_string(), i))
            .collect()
    }
}

/// `appliesTo`: whether any subject of the binding is the user.
fn applies_to(user: &UserInfo, binding: &BindingRef<'_>) -> bool {
    binding
        .subjects
        .iter()
        .any(|subject| match subject.kind.as_str() {
            "User" => user.name == subject.name,
            "Group" => user.in_group(&subject.name),
            // `serviceaccount.MatchesUsername`: the exact user name.
            "ServiceAccount" => {
                service_account_namespace(subject, binding.namespace).is_some_and(|namespace| {
                    user.name
                        == format!(
                            "{}{namespace}:{}",
                            request::SERVICE_ACCOUNT_PREFIX,
                            subject.name
                        )
                })
            }
            _ => false,
        })
}

/// The namespace of a service-account subject: its own, else the binding's;
/// `None` when neither is set (such a subject matches nobody).
fn service_account_namespace<'a>(
    subject: &'a Subject,
    binding_namespace: Option<&'a str>,
) -> Option<&'a str> {
    subject
        .namespace
        .as_deref()
        .filter(|n| !n.is_empty())
        .or(binding_namespace)
        .filter(|n| !n.is_empty())
}

/// The subject as [`Manifests::who_can`] lists it; `None` for a subject
/// that can match nobody.
fn subject_ref(subject: &Subject, binding_namespace: Option<&str>) -> Option<SubjectRef> {
    let namespace = match subject.kind.as_str() {
        "User" | "Group" => None,
        "ServiceAccount" => {
            Some(service_account_namespace(subject, binding_namespace)?.to_string())
        }
        _ => return None,
    };
    Some(SubjectRef {
        kind: subject.kind.clone(),
        name: subject.name.clone(),
        namespace,
    })
}
