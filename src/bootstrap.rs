//! Kubernetes' user-facing bootstrap ClusterRoles, `admin`, `edit` and
//! `view`, with the rules they aggregate: what rbacc assumes a cluster
//! holds when `rbacc.yaml` names them under `spec.existingRoles`, so that
//! risk analysis, queries and diffs see through bindings to them.
//!
//! The data is Kubernetes' own (`bootstrap/cluster-roles.yaml`, from the
//! test data of its bootstrap policy); aggregation is resolved here the way
//! the aggregation controller does it: a role with an `aggregationRule` has
//! the rules of every role whose labels match one of its selectors, and
//! those roles may aggregate in turn.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use k8s_openapi::api::rbac::v1::ClusterRole;

use crate::model::Rule;

/// The roles whose rules rbacc knows.
pub const KNOWN: &[&str] = &["admin", "edit", "view"];

const DATA: &str = include_str!("bootstrap/cluster-roles.yaml");

/// The bundled roles as manifests, for the evaluator.
pub fn manifests() -> crate::access::Manifests {
    crate::access::Manifests::from_yaml(DATA).expect("the bundled bootstrap roles are valid RBAC")
}

/// The bundled roles, as the API server creates them.
pub fn cluster_roles() -> &'static [ClusterRole] {
    static ROLES: OnceLock<Vec<ClusterRole>> = OnceLock::new();
    ROLES.get_or_init(|| {
        serde_saphyr::from_multiple(DATA).expect("the bundled bootstrap roles are valid YAML")
    })
}

/// The effective rules of the bootstrap role `name` (`admin`, `edit`,
/// `view`), sorted, or `None` for a role rbacc does not know.
pub fn rules_of(name: &str) -> Option<Vec<Rule>> {
    if !KNOWN.contains(&name) {
        return None;
    }
    let mut rules = BTreeSet::new();
    collect(name, &mut BTreeSet::new(), &mut rules);
    Some(rules.into_iter().collect())
}

/// Adds the rules of `name`, aggregated, to `out`; `seen` stops cycles.
fn collect(name: &str, seen: &mut BTreeSet<String>, out: &mut BTreeSet<Rule>) {
    if !seen.insert(name.to_string()) {
        return;
    }
    let Some(role) = cluster_roles()
        .iter()
        .find(|r| r.metadata.name.as_deref() == Some(name))
    else {
        return;
    };
    let Some(aggregation) = &role.aggregation_rule else {
        for rule in role.rules.iter().flatten() {
            let sorted = |v: &Option<Vec<String>>| {
                let mut v = v.clone().unwrap_or_default();
                v.sort();
                v.dedup();
                v
            };
            out.insert(Rule {
                api_groups: sorted(&rule.api_groups),
                resources: sorted(&rule.resources),
                verbs: sorted(&Some(rule.verbs.clone())),
                resource_names: sorted(&rule.resource_names),
            });
        }
        return;
    };
    for selector in aggregation.cluster_role_selectors.iter().flatten() {
        let wanted = selector.match_labels.clone().unwrap_or_default();
        for other in cluster_roles() {
            let labels = other.metadata.labels.clone().unwrap_or_default();
            if wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
                && let Some(other_name) = &other.metadata.name
            {
                collect(other_name, seen, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::{Risk, findings_of};

    fn risks(role: &str) -> Vec<Risk> {
        findings_of(&rules_of(role).expect("a known role"), "ns")
            .into_iter()
            .map(|f| f.risk)
            .collect()
    }

    #[test]
    fn admin_holds_edit_holds_view() {
        let admin: BTreeSet<Rule> = rules_of("admin").unwrap().into_iter().collect();
        let edit: BTreeSet<Rule> = rules_of("edit").unwrap().into_iter().collect();
        let view: BTreeSet<Rule> = rules_of("view").unwrap().into_iter().collect();
        assert!(view.is_subset(&edit) && edit.is_subset(&admin));
        assert!(view.len() < edit.len() && edit.len() < admin.len());
        assert_eq!(rules_of("cluster-admin"), None);
        assert!(
            view.iter()
                .any(|r| r.resources.contains(&"pods".to_string())
                    && r.verbs.contains(&"list".to_string()))
        );
    }

    /// As Kubernetes documents them: view reads but not Secrets; edit
    /// reads Secrets, execs, creates pods and tokens and impersonates the
    /// namespace's service accounts; admin adds Roles and RoleBindings.
    #[test]
    fn the_roles_give_the_risks_kubernetes_documents() {
        assert_eq!(risks("view"), Vec::<Risk>::new());
        let edit = risks("edit");
        for risk in [
            Risk::Secrets,
            Risk::PodsCreate,
            Risk::PodsExec,
            Risk::Impersonate,
            Risk::ServiceaccountToken,
        ] {
            assert!(edit.contains(&risk), "edit: {risk:?} in {edit:?}");
        }
        assert!(!edit.contains(&Risk::RbacWrite));
        let admin = risks("admin");
        assert!(admin.contains(&Risk::RbacWrite), "{admin:?}");
        for risk in [Risk::Escalate, Risk::Bind, Risk::NamespaceWrite] {
            assert!(!admin.contains(&risk), "admin: {risk:?}");
        }
    }
}
