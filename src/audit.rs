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
use serde::Serialize;

use crate::access::{Manifests, Request, UserInfo};

/// One object, by kind, namespace (empty for cluster-scoped ones) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

/// Access that holds live and that the declarations do not give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtraAccess {
    /// `User x`, `Group x`, `ServiceAccount ns/x`.
    pub subject: String,
    /// `get secrets`, `* *` (a rule's wildcards as written).
    pub request: String,
    /// The namespace, or empty for every namespace (a ClusterRoleBinding).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    /// `RoleBinding ns/name` or `ClusterRoleBinding name`.
    pub binding: String,
    /// `ClusterRole name` or `Role name`.
    pub role: String,
}

/// An object rbacc writes that the cluster holds otherwise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Difference {
    pub object: ObjectKey,
    /// What differs: `rules`, `subjects`, `roleRef`.
    pub what: Vec<&'static str>,
}

/// What [`audit`] found.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Audit {
    pub cluster: String,
    pub extra_access: Vec<ExtraAccess>,
    pub missing: Vec<ObjectKey>,
    pub differs: Vec<Difference>,
    /// Bindings and roles that grant access and that rbacc did not write.
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

/// Compares `live` with `compiled`, the RBAC objects the declarations give
/// `cluster`.
pub fn audit(cluster: &str, live: &Manifests, compiled: &Manifests) -> Audit {
    let ours = objects(compiled);
    let theirs = objects(live);
    let mut out = Audit {
        cluster: cluster.to_string(),
        ..Audit::default()
    };
    for (key, (meta, shape)) in &ours {
        // Roles rbacc assumes exist are the cluster's, not rbacc's to write.
        if assumed(meta) {
            continue;
        }
        match theirs.get(key) {
            None => out.missing.push(key.clone()),
            Some((_, live_shape)) if live_shape != shape => out.differs.push(Difference {
                object: key.clone(),
                what: match (shape, live_shape) {
                    (Shape::Rules(_), _) => vec!["rules"],
                    (Shape::Binding(a, x), Shape::Binding(b, y)) => {
                        let mut what = Vec::new();
                        if a != b {
                            what.push("roleRef");
                        }
                        if x != y {
                            what.push("subjects");
                        }
                        what
                    }
                    _ => vec!["kind"],
                },
            }),
            Some(_) => {}
        }
    }
    for (key, (meta, _)) in &theirs {
        if !ours.contains_key(key) && !bootstrap(meta, &key.name) && grants(key) {
            out.unmanaged.push(key.clone());
        }
    }
    out.extra_access = extra_access(live, compiled);
    out
}

/// Every live binding's subjects, each checked against the compiled
/// objects for every request its role's rules name.
fn extra_access(live: &Manifests, compiled: &Manifests) -> Vec<ExtraAccess> {
    let mut found = BTreeSet::new();
    let namespaced = live.role_bindings().map(|b| {
        let ns = b.metadata.namespace.clone().unwrap_or_default();
        (
            "RoleBinding",
            Some(ns),
            &b.metadata,
            &b.role_ref,
            b.subjects.as_deref().unwrap_or_default(),
        )
    });
    let cluster_wide = live.cluster_role_bindings().map(|b| {
        (
            "ClusterRoleBinding",
            None,
            &b.metadata,
            &b.role_ref,
            b.subjects.as_deref().unwrap_or_default(),
        )
    });
    for (kind, namespace, meta, role_ref, subjects) in namespaced.chain(cluster_wide) {
        let name = meta.name.clone().unwrap_or_default();
        if bootstrap(meta, &name) {
            continue;
        }
        let rules = live.effective_rules(&role_ref.kind, namespace.as_deref(), &role_ref.name);
        for subject in subjects {
            let Some((label, user)) = user_of(subject, namespace.as_deref()) else {
                continue;
            };
            for rule in &rules {
                for request in requests(rule, namespace.as_deref()) {
                    if compiled.allows(&user, &request.0) {
                        continue;
                    }
                    found.insert(ExtraAccess {
                        subject: label.clone(),
                        request: request.1,
                        namespace: namespace.clone().unwrap_or_default(),
                        binding: match &namespace {
                            Some(ns) => format!("{kind} {ns}/{name}"),
                            None => format!("{kind} {name}"),
                        },
                        role: format!("{} {}", role_ref.kind, role_ref.name),
                    });
                }
            }
        }
    }
    found.into_iter().collect()
}

/// The requests a rule names ([`crate::access::requests_of`]), with their
/// kubectl spelling.
fn requests(rule: &PolicyRule, namespace: Option<&str>) -> Vec<(Request, String)> {
    crate::access::requests_of(rule, namespace)
        .into_iter()
        .map(|request| {
            let spelled = crate::risk::request_text(&request);
            (request, spelled)
        })
        .collect()
}

/// A subject as the user it stands for, with its label; a group is a
/// member of nothing else.
fn user_of(subject: &Subject, namespace: Option<&str>) -> Option<(String, UserInfo)> {
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

/// Every RBAC object, by key, with its metadata and shape.
fn objects(m: &Manifests) -> BTreeMap<ObjectKey, (ObjectMeta, Shape)> {
    let key = |kind: &str, meta: &ObjectMeta| ObjectKey {
        kind: kind.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
    };
    let rules = |rules: &Option<Vec<PolicyRule>>| {
        Shape::Rules(
            rules
                .iter()
                .flatten()
                .flat_map(|r| requests(r, None).into_iter().map(|(_, s)| s))
                .collect(),
        )
    };
    let binding = |role_ref: &RoleRef, subjects: &Option<Vec<Subject>>| {
        Shape::Binding(
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
        )
    };
    let mut out = BTreeMap::new();
    for r in m.roles() {
        out.insert(
            key("Role", &r.metadata),
            (r.metadata.clone(), rules(&r.rules)),
        );
    }
    for r in m.cluster_roles() {
        // An aggregated role's rules are the controller's to fill in.
        let shape = match &r.aggregation_rule {
            Some(_) => Shape::Rules(BTreeSet::new()),
            None => rules(&r.rules),
        };
        out.insert(key("ClusterRole", &r.metadata), (r.metadata.clone(), shape));
    }
    for b in m.role_bindings() {
        out.insert(
            key("RoleBinding", &b.metadata),
            (b.metadata.clone(), binding(&b.role_ref, &b.subjects)),
        );
    }
    for b in m.cluster_role_bindings() {
        out.insert(
            key("ClusterRoleBinding", &b.metadata),
            (b.metadata.clone(), binding(&b.role_ref, &b.subjects)),
        );
    }
    out
}

/// Kubernetes' own objects: never drift.
fn bootstrap(meta: &ObjectMeta, name: &str) -> bool {
    name.starts_with("system:")
        || meta
            .labels
            .as_ref()
            .and_then(|l| l.get("kubernetes.io/bootstrapping"))
            .is_some_and(|v| v == "rbac-defaults")
}

/// A role rbacc assumes exists (`out/<cluster>/assumed-roles.yaml`).
fn assumed(meta: &ObjectMeta) -> bool {
    meta.annotations
        .as_ref()
        .is_some_and(|a| a.contains_key("rbacc.dev/assumed"))
}

/// Whether an object of this kind grants access (roles only through
/// bindings, which are reported themselves; both are listed).
fn grants(key: &ObjectKey) -> bool {
    matches!(
        key.kind.as_str(),
        "RoleBinding" | "ClusterRoleBinding" | "Role" | "ClusterRole"
    )
}

/// The audit as text: the extra access first.
pub fn text(audit: &Audit) -> String {
    use std::fmt::Write as _;
    let v = |s: &str| crate::text::visible(s).into_owned();
    let mut out = format!("rbacc audit: cluster {}\n", v(&audit.cluster));
    if !audit.drifted() {
        out.push_str("\nno drift: the cluster grants what the declarations say\n");
        return out;
    }
    let _ = writeln!(
        out,
        "\nAccess live that the declarations do not give ({})",
        audit.extra_access.len()
    );
    for e in &audit.extra_access {
        let place = match e.namespace.as_str() {
            "" => "every namespace".to_string(),
            ns => format!("namespace {}", v(ns)),
        };
        let _ = writeln!(
            out,
            "  {} can {} in {place}, through {} → {}",
            v(&e.subject),
            v(&e.request),
            v(&e.binding),
            v(&e.role)
        );
    }
    let list =
        |out: &mut String, title: &str, keys: &mut dyn Iterator<Item = (&ObjectKey, String)>| {
            let keys: Vec<_> = keys.collect();
            let _ = writeln!(out, "\n{title} ({})", keys.len());
            for (k, extra) in keys {
                let at = match k.namespace.as_str() {
                    "" => v(&k.name),
                    ns => format!("{}/{}", v(ns), v(&k.name)),
                };
                let _ = writeln!(out, "  {} {at}{extra}", k.kind);
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
            .map(|d| (&d.object, format!(" ({})", d.what.join(", ")))),
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
