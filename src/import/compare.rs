//! Whether what the declarations compile to is what was imported.
//!
//! Written apart from `declare.rs`, so that a mistake in how objects are
//! mapped shows up here instead of being repeated: names are not compared
//! (rbacc names its bindings, quota and limit range itself), what the
//! objects say is.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use k8s_openapi::api::rbac::v1::PolicyRule;

use crate::access::{Manifests, UserInfo, rule_allows};
use crate::live::{Cluster, Object, ObjectKey};
use crate::validate::metadata::{MANAGED_BY, RBACC_ANNOTATIONS};

/// One way the compiled declarations differ from the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    pub cluster: String,
    pub object: ObjectKey,
    pub what: String,
}

/// How many requests a difference in access names.
const SHOWN: usize = 6;

/// The differences on `cluster` between `input` and `compiled`, over the
/// imported `namespaces`: each namespace, its labels, annotations and Pod
/// Security level, quotas, limit ranges and NetworkPolicies, and the
/// access every bound subject has there and cluster-wide. Kubernetes'
/// bootstrap roles are added to the input where it lacks them, as the
/// compiled side assumes them.
pub fn compare(
    cluster: &str,
    input: &Cluster,
    compiled: &Cluster,
    namespaces: &BTreeSet<String>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differ = |object: ObjectKey, what: String| {
        out.push(Difference {
            cluster: cluster.to_string(),
            object,
            what,
        })
    };
    for ns in namespaces {
        let key = ObjectKey {
            kind: "Namespace".into(),
            namespace: String::new(),
            name: ns.clone(),
        };
        match (input.objects.get(&key), compiled.objects.get(&key)) {
            (_, None) => differ(key.clone(), "not written".into()),
            (None, Some(_)) => {}
            (Some(a), Some(b)) => {
                for what in namespace_difference(a, b) {
                    differ(key.clone(), what);
                }
            }
        }
        for kind in ["ResourceQuota", "LimitRange"] {
            let specs = |c: &Cluster| -> Vec<Value> {
                let mut v: Vec<Value> = c
                    .in_namespace(ns)
                    .filter(|(k, _)| k.kind == kind)
                    .filter_map(|(_, o)| o.field("spec"))
                    .collect();
                v.sort_by_key(Value::to_string);
                v
            };
            let (a, b) = (specs(input), specs(compiled));
            if a != b {
                differ(
                    ObjectKey {
                        kind: kind.into(),
                        namespace: ns.clone(),
                        name: "*".into(),
                    },
                    format!("input {}, compiled {}", show(&a), show(&b)),
                );
            }
        }
        let policies = |c: &Cluster| -> BTreeMap<String, Value> {
            c.in_namespace(ns)
                .filter(|(k, _)| k.kind == "NetworkPolicy")
                .map(|(k, o)| (k.name.clone(), o.field("spec").unwrap_or_default()))
                .collect()
        };
        let (a, b) = (policies(input), policies(compiled));
        for name in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let what = match (a.get(name), b.get(name)) {
                (Some(_), None) => "not written".to_string(),
                (None, Some(_)) => "written, not in the input".to_string(),
                (Some(x), Some(y)) if x != y => format!("spec: input {x}, compiled {y}"),
                _ => continue,
            };
            differ(
                ObjectKey {
                    kind: "NetworkPolicy".into(),
                    namespace: ns.clone(),
                    name: name.clone(),
                },
                what,
            );
        }
    }
    let mut with_bootstrap = crate::bootstrap::manifests();
    with_bootstrap.extend(input.rbac.clone());
    for (subject, where_, what) in access_difference(&with_bootstrap, &compiled.rbac, namespaces) {
        differ(
            ObjectKey {
                kind: "Access".into(),
                namespace: where_,
                name: subject,
            },
            what,
        );
    }
    out.sort();
    out
}

fn show(specs: &[Value]) -> String {
    if specs.is_empty() {
        "none".into()
    } else {
        specs
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Labels and annotations as compared: rbacc's own aside, Pod Security's
/// by its enforced level (none is `privileged`).
fn namespace_difference(input: &Object, compiled: &Object) -> Vec<String> {
    let mut what = Vec::new();
    let own_label = |k: &str, v: &str| {
        k.starts_with("rbacc.dev/")
            || k.starts_with("pod-security.kubernetes.io/")
            || (k == MANAGED_BY && v == "rbacc")
    };
    let own_annotation = |k: &str| k.starts_with("rbacc.dev/") || RBACC_ANNOTATIONS.contains(&k);
    let level = |o: &Object| {
        o.labels()
            .get("pod-security.kubernetes.io/enforce")
            .cloned()
            .unwrap_or_else(|| "privileged".into())
    };
    if level(input) != level(compiled) {
        what.push(format!(
            "Pod Security: input {}, compiled {}",
            level(input),
            level(compiled)
        ));
    }
    let labels = |o: &Object| -> BTreeMap<String, String> {
        o.labels()
            .into_iter()
            .filter(|(k, v)| !own_label(k, v))
            .collect()
    };
    let annotations = |o: &Object| -> BTreeMap<String, String> {
        o.annotations()
            .into_iter()
            .filter(|(k, _)| !own_annotation(k))
            .collect()
    };
    for (noun, a, b) in [
        ("label", labels(input), labels(compiled)),
        ("annotation", annotations(input), annotations(compiled)),
    ] {
        for key in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let (x, y) = (a.get(key), b.get(key));
            if x != y {
                let v = |v: Option<&String>| v.map_or("(none)".to_string(), |v| v.clone());
                what.push(format!("{noun} {key}: input {}, compiled {}", v(x), v(y)));
            }
        }
    }
    what
}

/// Every subject bound in an imported namespace or cluster-wide on either
/// side, and the requests its roles there name, asked of both sides:
/// `(subject, namespace or "", what differs)`.
fn access_difference(
    input: &Manifests,
    compiled: &Manifests,
    namespaces: &BTreeSet<String>,
) -> Vec<(String, String, String)> {
    // (subject label, namespace) → the user, and the rules of the bindings
    // that name it: in their own namespace for a RoleBinding, cluster-wide
    // and in every namespace for a ClusterRoleBinding (namespace `""`).
    let mut asks: BTreeMap<(String, String), Ask> = BTreeMap::new();
    for side in [input, compiled] {
        for b in side.role_bindings() {
            let ns = b.metadata.namespace.clone().unwrap_or_default();
            if !namespaces.contains(&ns) {
                continue;
            }
            let rules = side.effective_rules(&b.role_ref.kind, Some(&ns), &b.role_ref.name);
            for s in b.subjects.iter().flatten() {
                let Some((label, user)) = crate::audit::user_of(s, Some(&ns)) else {
                    continue;
                };
                let ask = asks.entry((label, ns.clone())).or_insert_with(|| Ask {
                    user,
                    rules: Vec::new(),
                    namespaces: vec![Some(ns.clone())],
                });
                ask.rules.extend(&rules);
            }
        }
        for b in side.cluster_role_bindings() {
            let name = b.metadata.name.as_deref().unwrap_or_default();
            if crate::audit::bootstrap(name, b.metadata.labels.as_ref()) {
                continue;
            }
            let rules = side.effective_rules("ClusterRole", None, &b.role_ref.name);
            for s in b.subjects.iter().flatten() {
                let Some((label, user)) = crate::audit::user_of(s, None) else {
                    continue;
                };
                let ask = asks.entry((label, String::new())).or_insert_with(|| Ask {
                    user,
                    rules: Vec::new(),
                    namespaces: std::iter::once(None)
                        .chain(namespaces.iter().cloned().map(Some))
                        .collect(),
                });
                ask.rules.extend(&rules);
            }
        }
    }
    // Each subject is asked apart, in parallel; the order is the map's.
    let per_subject: Vec<Vec<(String, String, String)>> = asks
        .into_par_iter()
        .map(|((label, ns), ask)| {
            let mut out = Vec::new();
            let mut lost = Vec::new();
            let mut gained = Vec::new();
            // The rules that reach the user in each namespace asked, on both
            // sides, or nothing where they are the same: no request can
            // differ there, so only the other namespaces' requests are asked.
            let differing = |namespace: Option<&str>| {
                let [a, b] = [input, compiled].map(|side| side.rules_for(&ask.user, namespace));
                (!same_rules(&a, &b)).then_some([a, b])
            };
            let mut requests = BTreeSet::new();
            let mut reach = BTreeMap::new();
            for namespace in &ask.namespaces {
                let namespace = namespace.as_deref();
                if let Some(sides) = differing(namespace) {
                    reach.insert(namespace, Some(sides));
                    for rule in &ask.rules {
                        requests.extend(crate::access::requests_of(rule, namespace));
                    }
                } else {
                    reach.insert(namespace, None);
                }
            }
            for request in &requests {
                let namespace = request.namespace();
                let Some([a, b]) = reach
                    .entry(namespace)
                    .or_insert_with(|| differing(namespace))
                else {
                    continue;
                };
                let allows = |rules: &[&PolicyRule]| rules.iter().any(|r| rule_allows(r, request));
                // A cluster-wide subject's requests say where they are.
                let text = match (ns.is_empty(), namespace) {
                    (true, Some(namespace)) => {
                        format!("{} in {namespace}", crate::risk::request_text(request))
                    }
                    _ => crate::risk::request_text(request),
                };
                match (allows(a), allows(b)) {
                    (true, false) => lost.push(text),
                    (false, true) => gained.push(text),
                    _ => {}
                }
            }
            for (verb, list) in [("loses", lost), ("gains", gained)] {
                if list.is_empty() {
                    continue;
                }
                let more = match list.len().saturating_sub(SHOWN) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                let shown: Vec<&str> = list.iter().take(SHOWN).map(String::as_str).collect();
                out.push((
                    label.clone(),
                    ns.clone(),
                    format!("{verb} {}{more}", shown.join(", ")),
                ));
            }
            out
        })
        .collect();
    per_subject.into_iter().flatten().collect()
}

/// What to ask of one subject: the rules of the bindings that name it, in
/// which namespaces (`None`: cluster-scoped requests).
struct Ask<'a> {
    user: UserInfo,
    rules: Vec<&'a PolicyRule>,
    namespaces: Vec<Option<String>>,
}

/// Whether two lists hold the same rules (in any order, repeated or not):
/// then they allow the same requests.
fn same_rules(a: &[&PolicyRule], b: &[&PolicyRule]) -> bool {
    a == b || (a.iter().all(|r| b.contains(r)) && b.iter().all(|r| a.contains(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(yaml: &str) -> Manifests {
        Manifests::from_yaml(yaml).unwrap()
    }

    const ROLES: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules:
- {apiGroups: [''], resources: [pods], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader-reordered}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [get]}
- {apiGroups: [''], resources: [pods], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- {apiGroups: [''], resources: [pods], verbs: [get, list]}
";

    fn binding(kind: &str, role: &str, user: &str) -> String {
        let namespace = match kind {
            "RoleBinding" => "\n  namespace: shop",
            _ => "",
        };
        format!(
            "---
apiVersion: rbac.authorization.k8s.io/v1
kind: {kind}
metadata:
  name: b{namespace}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}
subjects:
- {{apiGroup: rbac.authorization.k8s.io, kind: User, name: {user}}}
"
        )
    }

    fn differences(input: &str, compiled: &str) -> Vec<(String, String, String)> {
        let namespaces = BTreeSet::from(["shop".to_string(), "other".to_string()]);
        access_difference(
            &manifests(&format!("{ROLES}{input}")),
            &manifests(&format!("{ROLES}{compiled}")),
            &namespaces,
        )
    }

    #[test]
    fn the_same_rules_in_another_order_are_no_difference() {
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            let found = differences(
                &binding(kind, "reader", "ann"),
                &binding(kind, "reader-reordered", "ann"),
            );
            assert_eq!(found, [], "{kind}");
        }
    }

    #[test]
    fn access_lost_and_gained_is_named_with_its_requests() {
        let lost = differences(
            &binding("RoleBinding", "reader", "ann"),
            &binding("RoleBinding", "pod-reader", "ann"),
        );
        assert_eq!(lost.len(), 1, "{lost:?}");
        let (subject, namespace, what) = &lost[0];
        assert!(subject.contains("ann"), "{subject}");
        assert_eq!(namespace, "shop");
        assert!(
            what.starts_with("loses ") && what.contains("deployments"),
            "{what}"
        );
        assert!(
            !what.contains("pods"),
            "pods are granted on both sides: {what}"
        );

        let gained = differences(
            &binding("RoleBinding", "pod-reader", "ann"),
            &binding("RoleBinding", "reader", "ann"),
        );
        assert_eq!(gained.len(), 1, "{gained:?}");
        assert!(gained[0].2.starts_with("gains ") && gained[0].2.contains("deployments"));
    }

    #[test]
    fn a_cluster_wide_binding_is_compared_in_every_namespace() {
        // Cluster-wide on one side, in one namespace on the other: the
        // subject loses the other namespace and the cluster scope.
        let found = differences(
            &binding("ClusterRoleBinding", "reader", "ann"),
            &binding("RoleBinding", "reader", "ann"),
        );
        let cluster_wide: Vec<_> = found.iter().filter(|(_, ns, _)| ns.is_empty()).collect();
        assert_eq!(cluster_wide.len(), 1, "{found:?}");
        let what = &cluster_wide[0].2;
        let items: Vec<&str> = what.strip_prefix("loses ").unwrap().split(", ").collect();
        assert!(
            items.contains(&"get pods in other"),
            "the other namespace is lost: {what}"
        );
        assert!(
            items.contains(&"get pods"),
            "so is the cluster scope: {what}"
        );
        assert!(
            !what.contains("shop"),
            "shop is granted on both sides: {what}"
        );
    }
}
