//! Which resources a query may name: the [`Catalogue`].
//!
//! **Input**: the manifests' roles.
//!
//! **Output**: the resources the targeted Kubernetes version serves (the
//! built-in namespaced resources and the cluster-scoped ones of
//! k8s-openapi), those the roles name (subresources included, wildcards
//! left out), the groups a resource is in, and the rows of `access`'s
//! matrix.
//!
//! **Invariants**: everything is sorted (`BTreeSet`s), so rows and
//! suggestions do not depend on the order of the manifests.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::access::{Manifests, kubectl_name};
use crate::builtin::CLUSTER_SCOPED;

/// A resource in a rule or a row: `(group, resource, subresource)`.
pub(super) type Named = (String, String, Option<String>);

/// The resources a query may name: the built-in catalogue, the
/// cluster-scoped resources, and what the manifests' roles name.
pub(super) struct Catalogue {
    /// `(group, resource)` of the resources the targeted Kubernetes version
    /// serves (no subresources).
    served: BTreeSet<(String, String)>,
    /// `served` and the resources the roles name.
    pub(super) known: BTreeSet<(String, String)>,
    /// `(group, resource, subresource)` named by the ClusterRoles' rules.
    mentioned: BTreeSet<Named>,
    /// The same for the Roles, by namespace.
    mentioned_in: BTreeMap<String, BTreeSet<Named>>,
}

impl Catalogue {
    pub(super) fn new(manifests: &Manifests) -> Catalogue {
        let mut mentioned = BTreeSet::new();
        for role in manifests.cluster_roles() {
            mentioned.extend(named_resources(role.rules.iter().flatten()));
        }
        let mut mentioned_in: BTreeMap<String, BTreeSet<_>> = BTreeMap::new();
        for role in manifests.roles() {
            let namespace = role.metadata.namespace.clone().unwrap_or_default();
            mentioned_in
                .entry(namespace)
                .or_default()
                .extend(named_resources(role.rules.iter().flatten()));
        }
        let served: BTreeSet<(String, String)> = crate::builtin::namespaced_resources()
            .into_iter()
            .chain(CLUSTER_SCOPED.iter().copied())
            .map(|(g, r)| (g.to_string(), r.to_string()))
            .collect();
        let mut known = served.clone();
        known.extend(
            mentioned
                .iter()
                .chain(mentioned_in.values().flatten())
                .map(|(g, r, _)| (g.clone(), r.clone())),
        );
        Catalogue {
            served,
            known,
            mentioned,
            mentioned_in,
        }
    }

    pub(super) fn is_cluster_scoped(group: &str, resource: &str) -> bool {
        CLUSTER_SCOPED.contains(&(group, resource))
    }

    /// The rows of the matrix, sorted by kubectl name: the built-in
    /// namespaced resources, everything the ClusterRoles name and, with a
    /// namespace, what its Roles name (Roles elsewhere cannot grant there),
    /// without the known cluster-scoped resources.
    pub(super) fn rows(&self, namespace: Option<&str>) -> Vec<Named> {
        let mut rows: BTreeMap<String, Named> = BTreeMap::new();
        let builtin = crate::builtin::namespaced_resources()
            .into_iter()
            .map(|(g, r)| (g.to_string(), r.to_string(), None));
        let in_namespace = namespace
            .and_then(|ns| self.mentioned_in.get(ns))
            .into_iter()
            .flatten();
        let named = self.mentioned.iter().chain(in_namespace).cloned();
        for (group, resource, sub) in builtin.chain(named) {
            if namespace.is_some() && Catalogue::is_cluster_scoped(&group, &resource) {
                continue;
            }
            rows.insert(
                kubectl_name(&group, &resource, sub.as_deref()),
                (group, resource, sub),
            );
        }
        rows.into_values().collect()
    }

    /// The groups `resource` is in, as kubectl's discovery would pick them:
    /// the served groups when the targeted version serves it (so
    /// `deployments` is `apps`, not the long-gone `extensions` an old role
    /// may still name), else the groups the roles name it in.
    pub(super) fn groups_of(&self, resource: &str) -> Vec<&str> {
        let served = groups_in(&self.served, resource);
        if served.is_empty() {
            groups_in(&self.known, resource)
        } else {
            served
        }
    }
}

/// `(group, resource, subresource)` of every resource rules name, but
/// wildcards.
fn named_resources<'a>(rules: impl Iterator<Item = &'a PolicyRule>) -> BTreeSet<Named> {
    let mut named = BTreeSet::new();
    for rule in rules {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                if group == "*" || resource.starts_with('*') {
                    continue;
                }
                let (resource, sub) = match resource.split_once('/') {
                    Some((r, s)) => (r, Some(s.to_string())),
                    None => (resource.as_str(), None),
                };
                named.insert((group.clone(), resource.to_string(), sub));
            }
        }
    }
    named
}

fn groups_in<'a>(set: &'a BTreeSet<(String, String)>, resource: &str) -> Vec<&'a str> {
    set.iter()
        .filter(|(_, r)| r == resource)
        .map(|(g, _)| g.as_str())
        .collect()
}
