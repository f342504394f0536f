//! `rbacc audit`: a live cluster's RBAC objects against what the
//! declarations compile to for that cluster.
//!
//! Input: the RBAC objects of a live dump (`kubectl get … -o yaml`, read by
//! `access::load`, server-set fields ignored) and those of the compiled
//! output for the same cluster (with the rules rbacc assumes for existing
//! ClusterRoles). Output: an [`Audit`], first the access that holds live and
//! that the declarations do not give (subject, request, where, through which
//! binding and role), then the objects rbacc writes that are missing or
//! differ, and the objects that grant access rbacc did not write.
//!
//! Kubernetes' own objects (label `kubernetes.io/bootstrapping:
//! rbac-defaults`, or a `system:` name) are never drift. Pure: the binary
//! reads the dump and prints the result.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::access::{UserInfo, rule_allows};
use crate::live::{Cluster, ObjectKey, string_map};

/// Access that holds live and that the declarations do not give: what one
/// binding gives one subject beyond them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraAccess {
    /// `User x`, `Group x`, `ServiceAccount ns/x`.
    pub subject: String,
    /// The namespace, or empty for every namespace (a ClusterRoleBinding).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `RoleBinding ns/name` or `ClusterRoleBinding name`.
    pub binding: String,
    /// `ClusterRole name` or `Role name`.
    pub role: String,
    /// `get secrets`, `* *` (a rule's wildcards as written), sorted.
    pub requests: Vec<String>,
}

/// An object rbacc writes that the cluster holds otherwise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    pub object: ObjectKey,
    /// What differs: `rules`, `subjects`, `roleRef`, `spec`, or a label or
    /// annotation with its value in the declarations and live
    /// (`label pod-security.kubernetes.io/enforce: restricted → privileged`).
    pub what: Vec<String>,
}

/// What [`audit`] found.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub cluster: String,
    pub extra_access: Vec<ExtraAccess>,
    pub missing: Vec<ObjectKey>,
    pub differs: Vec<Difference>,
    /// Bindings, Roles and NetworkPolicies that grant access in team
    /// namespaces, and ClusterRoleBindings, that rbacc did not write.
    pub unmanaged: Vec<ObjectKey>,
}

impl Audit {
    /// Whether the cluster drifted from the declarations.
    pub fn drifted(&self) -> bool {
        !(self.extra_access.is_empty()
            && self.missing.is_empty()
            && self.differs.is_empty()
            && self.unmanaged.is_empty())
    }
}

/// An RBAC object as compared: its rules, or its role and subjects.
#[derive(PartialEq)]
enum Shape {
    Rules(BTreeSet<String>),
    Binding(String, BTreeSet<String>),
}

/// The labels whose drift is always reported, even when rbacc does not
/// write them: they change what pods may do.
const WATCHED_LABELS: &str = "pod-security.kubernetes.io/";

/// Compares `live` with `compiled`, the objects the declarations give
/// `cluster`. Kubernetes' bootstrap ClusterRoles (`cluster-admin`, `admin`,
/// `edit`, `view`) that the dump leaves out are added to it first, as every
/// cluster holds them: a binding to one of them is judged by what it gives.
pub fn audit(cluster: &str, live: &mut Cluster, compiled: &Cluster) -> Audit {
    live.rbac.add_missing(crate::bootstrap::manifests());
    let live = &*live;
    let team_namespaces: BTreeSet<&str> = compiled
        .of_kind("Namespace")
        .map(|(k, _)| k.name.as_str())
        .collect();
    let mut out = Audit {
        cluster: cluster.to_string(),
        ..Audit::default()
    };
    // Each object compiled against the live one, in parallel; in key order.
    let compared: Vec<Result<Difference, ObjectKey>> = compiled
        .objects
        .par_iter()
        .filter_map(|(key, object)| {
            // Roles rbacc assumes exist are the cluster's, not rbacc's to write.
            // (Only ClusterRoles are assumed.)
            if key.kind == "ClusterRole" && object.annotations().contains_key("rbacc.dev/assumed") {
                return None;
            }
            let Some(live_object) = live.objects.get(key) else {
                return Some(Err(key.clone()));
            };
            // Canonical texts: equal exactly when the objects are.
            if object.json == live_object.json {
                return None;
            }
            let (ours, theirs) = (object.value(), live_object.value());
            let what = match (Shape::of(&ours), Shape::of(&theirs)) {
                (Some(a), Some(b)) => shape_difference(&a, &b),
                _ => object_difference(&ours, &theirs),
            };
            (!what.is_empty()).then(|| {
                Ok(Difference {
                    object: key.clone(),
                    what,
                })
            })
        })
        .collect();
    for result in compared {
        match result {
            Ok(difference) => out.differs.push(difference),
            Err(missing) => out.missing.push(missing),
        }
    }
    for (key, object) in &live.objects {
        let grants = match key.kind.as_str() {
            "RoleBinding" | "Role" | "NetworkPolicy" => {
                team_namespaces.contains(key.namespace.as_str())
            }
            "ClusterRoleBinding" => true,
            _ => false,
        };
        if grants
            && !compiled.objects.contains_key(key)
            && !bootstrap(&key.name, Some(&object.labels()))
        {
            out.unmanaged.push(key.clone());
        }
    }
    out.extra_access = extra_access(live, compiled, &team_namespaces);
    out
}

/// What differs between two shapes of an RBAC object.
fn shape_difference(ours: &Shape, theirs: &Shape) -> Vec<String> {
    match (ours, theirs) {
        (Shape::Rules(a), Shape::Rules(b)) if a != b => vec!["rules".into()],
        (Shape::Binding(a, x), Shape::Binding(b, y)) => {
            let mut what = Vec::new();
            if a != b {
                what.push(format!("roleRef: {a} → {b}"));
            }
            if x != y {
                what.push("subjects".into());
            }
            what
        }
        _ => Vec::new(),
    }
}

/// What differs between an object rbacc writes and the live one: the
/// labels and annotations rbacc writes, Pod Security labels, and every
/// field besides metadata.
fn object_difference<'a>(ours: &'a Value, theirs: &'a Value) -> Vec<String> {
    let mut what = Vec::new();
    let of = |value: &Value, field: &str| string_map(value.get("metadata"), field);
    for (singular, a, b) in [
        ("label", of(ours, "labels"), of(theirs, "labels")),
        (
            "annotation",
            of(ours, "annotations"),
            of(theirs, "annotations"),
        ),
    ] {
        let keys: BTreeSet<&String> = a
            .keys()
            .chain(b.keys().filter(|k| k.starts_with(WATCHED_LABELS)))
            .collect();
        for key in keys {
            let (x, y) = (a.get(key), b.get(key));
            if x != y {
                let show = |v: Option<&String>| v.map_or("(none)".to_string(), |v| v.clone());
                what.push(format!("{singular} {key}: {} → {}", show(x), show(y)));
            }
        }
    }
    let fields = |o: &'a Value| -> BTreeMap<&'a String, &'a Value> {
        o.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
            .collect()
    };
    let (a, b) = (fields(ours), fields(theirs));
    for key in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
        if a.get(key) != b.get(key) {
            what.push(key.to_string());
        }
    }
    what
}

/// The live bindings in team namespaces and the live ClusterRoleBindings,
/// each subject's requests checked against the compiled objects. A binding
/// and role that are exactly as compiled give nothing beyond them and are
/// not expanded.
fn extra_access(
    live: &Cluster,
    compiled: &Cluster,
    team_namespaces: &BTreeSet<&str>,
) -> Vec<ExtraAccess> {
    let (live_rbac, compiled_rbac) = (&live.rbac, &compiled.rbac);
    let mut found = BTreeMap::new();
    let namespaced = live_rbac
        .role_bindings()
        .filter(|b| team_namespaces.contains(b.metadata.namespace.as_deref().unwrap_or_default()))
        .map(|b| {
            let ns = b.metadata.namespace.clone().unwrap_or_default();
            (
                "RoleBinding",
                Some(ns),
                &b.metadata,
                &b.role_ref,
                b.subjects.as_deref().unwrap_or_default(),
            )
        });
    let cluster_wide = live_rbac.cluster_role_bindings().map(|b| {
        (
            "ClusterRoleBinding",
            None,
            &b.metadata,
            &b.role_ref,
            b.subjects.as_deref().unwrap_or_default(),
        )
    });
    let same = |kind: &str, meta: &ObjectMeta| {
        let key = ObjectKey {
            kind: kind.to_string(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        };
        match (live.objects.get(&key), compiled.objects.get(&key)) {
            (Some(a), Some(b)) => {
                a.json == b.json
                    || (a.field("roleRef") == b.field("roleRef")
                        && a.field("subjects") == b.field("subjects"))
            }
            _ => false,
        }
    };
    for (kind, namespace, meta, role_ref, subjects) in namespaced.chain(cluster_wide) {
        let name = meta.name.clone().unwrap_or_default();
        if bootstrap(&name, meta.labels.as_ref()) {
            continue;
        }
        let ns = namespace.as_deref();
        let rules = live_rbac.effective_rules(&role_ref.kind, ns, &role_ref.name);
        if same(kind, meta)
            && rules == compiled_rbac.effective_rules(&role_ref.kind, ns, &role_ref.name)
        {
            continue;
        }
        let requests: Vec<_> = rules
            .iter()
            .flat_map(|rule| crate::access::requests_of(rule, ns))
            .collect();
        for subject in subjects {
            let Some((label, user)) = user_of(subject, ns) else {
                continue;
            };
            // What reaches the user, resolved once per namespace asked.
            let mut reach: BTreeMap<Option<&str>, Vec<&PolicyRule>> = BTreeMap::new();
            for request in &requests {
                let rules = reach
                    .entry(request.namespace())
                    .or_insert_with(|| compiled_rbac.rules_for(&user, request.namespace()));
                if rules.iter().any(|rule| rule_allows(rule, request)) {
                    continue;
                }
                found
                    .entry((
                        label.clone(),
                        namespace.clone().unwrap_or_default(),
                        match ns {
                            Some(ns) => format!("{kind} {ns}/{name}"),
                            None => format!("{kind} {name}"),
                        },
                        format!("{} {}", role_ref.kind, role_ref.name),
                    ))
                    .or_insert_with(BTreeSet::new)
                    .insert(crate::risk::request_text(request));
            }
        }
    }
    found
        .into_iter()
        .map(
            |((subject, namespace, binding, role), requests)| ExtraAccess {
                subject,
                namespace,
                binding,
                role,
                requests: requests.into_iter().collect(),
            },
        )
        .collect()
}

/// A subject as the user it stands for, with its label; a group is a
/// member of nothing else.
pub(crate) fn user_of(subject: &Subject, namespace: Option<&str>) -> Option<(String, UserInfo)> {
    match subject.kind.as_str() {
        "User" => Some((
            format!("User {}", subject.name),
            UserInfo::new(subject.name.clone(), Vec::<String>::new()),
        )),
        "Group" => Some((
            format!("Group {}", subject.name),
            UserInfo::new("rbacc:audit:a-member", [subject.name.clone()]),
        )),
        "ServiceAccount" => {
            let ns = subject.namespace.as_deref().or(namespace)?;
            Some((
                format!("ServiceAccount {ns}/{}", subject.name),
                UserInfo::service_account(ns, &subject.name),
            ))
        }
        _ => None,
    }
}

impl Shape {
    /// The shape of an RBAC object; `None` for other kinds, and for an
    /// object that does not decode (the loader has refused it already).
    fn of(object: &Value) -> Option<Shape> {
        let field = |name: &str| object.get(name).unwrap_or(&Value::Null);
        let kind = object.get("kind").and_then(Value::as_str)?;
        match kind {
            "Role" | "ClusterRole" => {
                // An aggregated role's rules are the controller's to fill in.
                if kind == "ClusterRole" && !field("aggregationRule").is_null() {
                    return Some(Shape::Rules(BTreeSet::new()));
                }
                let rules = Option::<Vec<PolicyRule>>::deserialize(field("rules")).ok()?;
                Some(Shape::Rules(
                    rules
                        .iter()
                        .flatten()
                        .flat_map(|r| crate::access::requests_of(r, None))
                        .map(|r| crate::risk::request_text(&r))
                        .collect(),
                ))
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_ref = RoleRef::deserialize(field("roleRef")).ok()?;
                let subjects = Option::<Vec<Subject>>::deserialize(field("subjects")).ok()?;
                Some(Shape::Binding(
                    format!("{} {}", role_ref.kind, role_ref.name),
                    subjects
                        .iter()
                        .flatten()
                        .map(|s| {
                            format!(
                                "{} {} {}",
                                s.kind,
                                s.namespace.as_deref().unwrap_or(""),
                                s.name
                            )
                        })
                        .collect(),
                ))
            }
            _ => None,
        }
    }
}

/// Kubernetes' own objects (a `system:` name, or the label
/// `kubernetes.io/bootstrapping: rbac-defaults`): never drift, never
/// imported.
pub fn bootstrap(name: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
    name.starts_with("system:")
        || labels
            .and_then(|l| l.get("kubernetes.io/bootstrapping"))
            .is_some_and(|v| v == "rbac-defaults")
}

/// How many requests of one extra grant the text shows.
const SHOWN: usize = 8;

/// The audit as text: the extra access first.
pub fn text(audit: &Audit) -> String {
    use std::fmt::Write as _;
    let v = |s: &str| crate::text::visible(s).into_owned();
    let mut out = format!("rbacc audit: cluster {}\n", v(&audit.cluster));
    if !audit.drifted() {
        out.push_str("\nno drift: the cluster grants what the declarations say\n");
        return out;
    }
    if !audit.extra_access.is_empty() {
        let _ = writeln!(
            out,
            "\nAccess live that the declarations do not give ({})",
            audit.extra_access.len()
        );
    }
    for e in &audit.extra_access {
        let place = match e.namespace.as_str() {
            "" => "every namespace".to_string(),
            ns => format!("namespace {}", v(ns)),
        };
        let _ = writeln!(
            out,
            "  {} in {place}, through {} → {}:",
            v(&e.subject),
            v(&e.binding),
            v(&e.role)
        );
        let shown: Vec<String> = e.requests.iter().take(SHOWN).map(|r| v(r)).collect();
        let more = match e.requests.len().saturating_sub(SHOWN) {
            0 => String::new(),
            n => format!(", and {n} more (-o json lists them)"),
        };
        let _ = writeln!(out, "    can {}{more}", shown.join(", "));
    }
    let list =
        |out: &mut String, title: &str, keys: &mut dyn Iterator<Item = (&ObjectKey, String)>| {
            let keys: Vec<_> = keys.collect();
            if keys.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n{title} ({})", keys.len());
            for (k, extra) in keys {
                let _ = writeln!(out, "  {}{extra}", k.label());
            }
        };
    list(
        &mut out,
        "Missing: rbacc writes them, the cluster lacks them",
        &mut audit.missing.iter().map(|k| (k, String::new())),
    );
    list(
        &mut out,
        "Different from what rbacc writes",
        &mut audit
            .differs
            .iter()
            .map(|d| (&d.object, format!(": {}", v(&d.what.join("; "))))),
    );
    list(
        &mut out,
        "Granting access, not written by rbacc",
        &mut audit.unmanaged.iter().map(|k| (k, String::new())),
    );
    out
}

/// The audit as JSON, camelCase, for machines.
pub fn json(audit: &Audit) -> String {
    crate::text::json(audit)
}
