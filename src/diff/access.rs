//! Who gains or loses what: effective permissions evaluated on the two
//! compiled outputs with the [`access`](crate::access) evaluator.
//!
//! **What is evaluated.** Only what changed: in each cluster, the subjects
//! of the RoleBindings that differ between the two outputs (added, removed
//! or edited, or referencing a Role that changed), in those bindings'
//! namespaces. A ClusterRole whose effective rules changed is reported once,
//! as a role-level change, with the number of namespaces and subjects that
//! bind it, instead of once per namespace (see [`RoleChange`]).
//!
//! **How.** A subject's permissions in a namespace are the union of the
//! roles its RoleBindings there reference (rbacc emits no
//! ClusterRoleBindings). What a role allows is asked of the evaluator
//! ([`Manifests::allows`]) through a probe: a RoleBinding of a made-up user
//! to that role alone, for every request the rules of the roles involved
//! name (each verb × API group × resource × resource name they list, `*`
//! included, as a literal request). So wildcards, resource names,
//! subresources and aggregation count exactly as the API server counts
//! them, and the comparison is exact over every request the rules can tell
//! apart.
//!
//! **Why only changed files suffice.** The outputs compared hold only the
//! files that differ (see [`super::compile`]). Every object of a team
//! namespace is in that namespace's file; the one namespace shared by
//! teams, the kubeconfig namespace, holds per team a Role that grants only
//! that team's ConfigMap, which no other team's binding can add to. So the
//! objects left out are the same on both sides and cannot hide or reveal a
//! change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleBinding, Subject};
use rayon::prelude::*;
use serde_json::Value;

use crate::access::{Manifests, Request, SubjectRef, UserInfo};
use crate::model::{Org, Rule};
use crate::risk::Risk;

use super::FileChange;
use super::compile::Decoded;
use crate::layout::OutFile;

/// One request a rule can name: a verb on a resource (`pods`, `pods/exec`),
/// optionally one object by name. Ordered for display.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    pub api_group: String,
    /// The resource, with `/subresource` when there is one.
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    pub verb: String,
}

impl Permission {
    /// Every request a resource rule names: each verb on each resource of
    /// each API group, for each of its object names or for any object.
    /// None for a non-resource rule.
    pub(crate) fn of_rule(rule: &PolicyRule) -> Vec<Permission> {
        let names: Vec<Option<String>> = match rule.resource_names.as_deref() {
            Some(names) if !names.is_empty() => names.iter().cloned().map(Some).collect(),
            _ => vec![None],
        };
        let mut out = Vec::new();
        for verb in &rule.verbs {
            for group in rule.api_groups.iter().flatten() {
                for resource in rule.resources.iter().flatten() {
                    for name in &names {
                        out.push(Permission {
                            api_group: group.clone(),
                            resource: resource.clone(),
                            resource_name: name.clone(),
                            verb: verb.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Why gaining this permission is escalation-grade, if it is: it reads
    /// or writes Secrets, opens a shell or tunnel into pods, writes RBAC
    /// objects (and so can grant itself more), impersonates, mints tokens,
    /// or is a wildcard.
    pub fn escalation(&self) -> Option<&'static str> {
        const WRITE: &[&str] = &[
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection",
            "bind",
            "escalate",
        ];
        let (resource, sub) = match self.resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (self.resource.as_str(), None),
        };
        let core = self.api_group.is_empty();
        if self.verb == "*" || resource == "*" || self.api_group == "*" || sub == Some("*") {
            return Some("wildcard");
        }
        if core && resource == "secrets" {
            return Some("Secrets");
        }
        if core && resource == "pods" && matches!(sub, Some("exec" | "attach" | "portforward")) {
            return Some("pods/exec, attach, port-forward");
        }
        if self.api_group == "rbac.authorization.k8s.io"
            && matches!(
                resource,
                "roles" | "rolebindings" | "clusterroles" | "clusterrolebindings"
            )
            && WRITE.contains(&self.verb.as_str())
        {
            return Some("RBAC write");
        }
        if self.verb == "impersonate" {
            return Some("impersonation");
        }
        if core && resource == "serviceaccounts" && sub == Some("token") {
            return Some("service-account tokens");
        }
        None
    }

    fn request(&self, namespace: &str) -> Request {
        let (resource, subresource) = match self.resource.split_once('/') {
            Some((r, s)) => (r.to_string(), Some(s.to_string())),
            None => (self.resource.clone(), None),
        };
        Request::Resource {
            verb: self.verb.clone(),
            api_group: self.api_group.clone(),
            resource,
            subresource,
            namespace: Some(namespace.to_string()),
            name: self.resource_name.clone(),
        }
    }
}

/// What kind of role a binding refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleKind {
    /// One of rbacc's built-in roles (`admin`, `deployer`, `viewer`).
    BuiltIn,
    /// A custom role of `rbacc.yaml` (`spec.roles`).
    Custom,
    /// A team's own role (`spec.roles` of a team file), a Role.
    Team,
    /// The Role that lets a team's members read their kubeconfig.
    Kubeconfig,
    /// A ClusterRole the cluster holds (`spec.existingRoles`,
    /// `cluster-admin`), which rbacc does not write.
    Existing,
}

impl RoleKind {
    /// How the report names the kind: `built-in`, `custom`, `team`,
    /// `existing`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::BuiltIn => "built-in",
            RoleKind::Custom => "custom",
            RoleKind::Team => "team",
            RoleKind::Kubeconfig => "kubeconfig",
            RoleKind::Existing => "existing",
        }
    }
}

/// A role as teams name it (`deployer`, not `rbacc:deployer`), and its
/// kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct RoleName {
    pub name: String,
    pub kind: RoleKind,
}

impl RoleName {
    /// The role a binding of `org` refers to.
    pub fn of_ref(role: &crate::model::RoleRef, org: &Org) -> RoleName {
        RoleName::of(
            &(role.kind().to_string(), None, role.name().to_string()),
            Some(org),
        )
    }

    /// The role a binding's `roleRef` names (`(kind, namespace of a Role,
    /// name)`), as the organisation of that side declares it.
    fn of(key: &RoleKey, org: Option<&Org>) -> RoleName {
        let (kind, _, object) = key;
        if kind == "Role" {
            // Team roles are `rbacc:<name>`; the kubeconfig Role is
            // `kubeconfig-<team>`.
            return match object.strip_prefix("rbacc:") {
                Some(name) => RoleName {
                    name: name.to_string(),
                    kind: RoleKind::Team,
                },
                None => RoleName {
                    name: object.clone(),
                    kind: RoleKind::Kubeconfig,
                },
            };
        }
        if let Some(name) = object.strip_prefix("rbacc:") {
            let kind = if crate::builtin::BUILTIN_ROLES.contains(&name) {
                RoleKind::BuiltIn
            } else {
                RoleKind::Custom
            };
            return RoleName {
                name: name.to_string(),
                kind,
            };
        }
        let name = org
            .and_then(|o| o.existing_roles.iter().find(|r| r.object_name() == *object))
            .map_or_else(|| object.clone(), |r| r.name.clone());
        RoleName {
            name,
            kind: RoleKind::Existing,
        }
    }
}

/// What one subject gains and loses, in one or more places with the same
/// change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceChange {
    /// `(cluster, namespace)`, sorted.
    pub places: Vec<(String, String)>,
    /// The roles the subject holds there before and after, sorted.
    pub before: Vec<RoleName>,
    pub after: Vec<RoleName>,
    /// The risks ([`Risk`]: reading Secrets, creating pods, exec, …) the
    /// subject holds there after and not before, and before and not after.
    pub now: Vec<Risk>,
    pub no_longer: Vec<Risk>,
    /// Shared between every subject with the same change: a binding of
    /// thousands of subjects holds one list, not thousands.
    pub gains: Arc<[Permission]>,
    pub losses: Arc<[Permission]>,
}

/// Every change of one subject's access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectChange {
    pub subject: SubjectRef,
    pub changes: Vec<PlaceChange>,
}

impl SubjectChange {
    /// Whether any gain is escalation-grade.
    pub fn escalates(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.gains.iter().any(|p| p.escalation().is_some()))
    }
}

/// A ClusterRole whose effective rules changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub cluster: String,
    /// The ClusterRole's name (`rbacc:viewer`).
    pub role: String,
    /// The role as teams name it, and its kind.
    pub name: RoleName,
    pub status: super::Status,
    pub gains: Vec<Permission>,
    pub losses: Vec<Permission>,
    /// Namespaces of the cluster with a RoleBinding to it (in the head; in
    /// the base for a removed role).
    pub namespaces: usize,
    /// Distinct subjects of those RoleBindings.
    pub subjects: usize,
    /// The risks a binding of the role gives after and not before, and
    /// before and not after.
    pub now: Vec<Risk>,
    pub no_longer: Vec<Risk>,
}

/// Access changes of the whole diff.
#[derive(Debug, Default)]
pub struct AccessChanges {
    /// Subjects that gain escalation-grade access first, then by kind and
    /// name.
    pub subjects: Vec<SubjectChange>,
    pub roles: Vec<RoleChange>,
    /// The built-in catalogue of namespaced resources and every other whole
    /// resource the built-in roles of either output name
    /// (`policy.extraResources`): what "every resource" means in the report.
    pub catalogue: BTreeSet<(String, String)>,
}

/// Why the outputs could not be evaluated: rbacc's own output did not read
/// back, which is a bug.
#[derive(Debug, thiserror::Error)]
#[error("reading back the generated {path}: {message}")]
pub struct EvalError {
    pub path: String,
    pub message: String,
}

/// The namespace probes of ClusterRoles are bound in.
const PROBE_NAMESPACE: &str = "rbacc-diff-probe";
/// Roles evaluated together; bounds the bindings one request looks at.
const ROLE_CHUNK: usize = 64;

/// A role as a binding references it: `(kind, namespace of a Role, name)`.
type RoleKey = (String, Option<String>, String);

/// Evaluates the access changes between two outputs (see the module docs):
/// the RBAC objects of each side's files, taken from
/// [`Side::rbac`](super::compile::Side).
pub(crate) fn changes(
    clusters: &[String],
    rbac: (Rbac, Rbac),
    files: &[FileChange],
    base_org: Option<&Org>,
    head_org: &Org,
) -> Result<AccessChanges, EvalError> {
    let changed: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let (mut base, mut head) = (by_cluster(rbac.0), by_cluster(rbac.1));
    let sides: Vec<(&String, Files, Files)> = clusters
        .iter()
        .map(|c| {
            (
                c,
                base.remove(c).unwrap_or_default(),
                head.remove(c).unwrap_or_default(),
            )
        })
        .collect();
    let per_cluster: Vec<Result<ClusterResult, EvalError>> = sides
        .into_par_iter()
        .map(|(cluster, base, head)| {
            let (base, head) = rayon::join(
                || side_manifests(base, &changed),
                || side_manifests(head, &changed),
            );
            cluster_changes(cluster, base?, head?, base_org, head_org)
        })
        .collect();
    let mut out = AccessChanges {
        catalogue: crate::builtin::namespaced_resources()
            .into_iter()
            .map(|(g, r)| (g.to_string(), r.to_string()))
            .collect(),
        ..AccessChanges::default()
    };
    // subject -> (roles before, after, gains, losses) -> places
    type Grouped = BTreeMap<Moved, Vec<(String, String)>>;
    let mut subjects: BTreeMap<SubjectRef, Grouped> = BTreeMap::new();
    for result in per_cluster {
        let result = result?;
        out.roles.extend(result.roles);
        out.catalogue.extend(result.catalogue);
        for (subject, cluster, namespace, moved) in result.subjects {
            subjects
                .entry(subject)
                .or_default()
                .entry(moved)
                .or_default()
                .push((cluster, namespace));
        }
    }
    out.subjects = subjects
        .into_iter()
        .map(|(subject, grouped)| {
            let mut changes: Vec<PlaceChange> = grouped
                .into_iter()
                .map(
                    |((before, after, gains, losses, (now, no_longer)), mut places)| {
                        places.sort();
                        PlaceChange {
                            places,
                            before,
                            after,
                            now,
                            no_longer,
                            gains,
                            losses,
                        }
                    },
                )
                .collect();
            // Largest gains first, then by place.
            changes.sort_by(|a, b| {
                b.gains
                    .len()
                    .cmp(&a.gains.len())
                    .then_with(|| a.places.cmp(&b.places))
            });
            SubjectChange { subject, changes }
        })
        .collect();
    out.subjects.sort_by(|a, b| {
        b.escalates()
            .cmp(&a.escalates())
            .then_with(|| kind_order(&a.subject.kind).cmp(&kind_order(&b.subject.kind)))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    Ok(out)
}

fn kind_order(kind: &str) -> u8 {
    match kind {
        "User" => 0,
        "Group" => 1,
        _ => 2,
    }
}

/// The roles a subject holds in a place before and after, what it gains
/// and loses there, and the risks it takes on and drops.
type Moved = (
    Vec<RoleName>,
    Vec<RoleName>,
    Arc<[Permission]>,
    Arc<[Permission]>,
    (Vec<Risk>, Vec<Risk>),
);

type SubjectResult = (SubjectRef, String, String, Moved);

struct ClusterResult {
    subjects: Vec<SubjectResult>,
    roles: Vec<RoleChange>,
    catalogue: BTreeSet<(String, String)>,
}

/// Each file's RBAC objects, by path.
type Rbac = BTreeMap<String, Decoded>;

/// One cluster's files of [`Rbac`], in path order.
type Files = Vec<(String, Decoded)>;

/// `rbac`'s files by cluster.
fn by_cluster(rbac: Rbac) -> BTreeMap<String, Files> {
    let mut out: BTreeMap<String, Files> = BTreeMap::new();
    for (path, decoded) in rbac {
        if let Some(file) = OutFile::parse(&path) {
            out.entry(file.cluster().to_string())
                .or_default()
                .push((path, decoded));
        }
    }
    out
}

/// The RBAC objects of one side of one cluster, from the files of that
/// cluster: those of the cluster shard and the changed team files.
fn side_manifests(files: Files, changed: &BTreeSet<&str>) -> Result<Manifests, EvalError> {
    let mut manifests = Manifests::default();
    for (path, decoded) in files {
        let wanted = OutFile::parse(&path)
            .is_some_and(|f| f.cluster_wide() || changed.contains(path.as_str()));
        if !wanted {
            continue;
        }
        match decoded {
            Ok(file) => manifests.extend(file),
            Err(message) => return Err(EvalError { path, message }),
        }
    }
    Ok(manifests)
}

fn cluster_changes(
    cluster: &str,
    base: Manifests,
    head: Manifests,
    base_org: Option<&Org>,
    head_org: &Org,
) -> Result<ClusterResult, EvalError> {
    // "Every resource" is what the built-in roles cover: the catalogue and
    // `policy.extraResources`.
    let builtin: BTreeSet<String> = crate::builtin::BUILTIN_ROLES
        .iter()
        .map(|r| crate::model::cluster_role_name(r))
        .collect();
    let mut catalogue = BTreeSet::new();
    for m in [&base, &head] {
        let roles = m.cluster_roles().filter(|r| {
            r.metadata
                .name
                .as_ref()
                .is_some_and(|n| builtin.contains(n))
        });
        for role in roles {
            for rule in role.rules.iter().flatten() {
                for group in rule.api_groups.iter().flatten() {
                    for resource in rule.resources.iter().flatten() {
                        if !resource.contains('/') && resource != "*" && group != "*" {
                            catalogue.insert((group.clone(), resource.clone()));
                        }
                    }
                }
            }
        }
    }

    // Bindings and Roles that differ, by namespace.
    let bindings = |m: &Manifests| -> BTreeMap<(String, String), RoleBinding> {
        m.role_bindings()
            .map(|b| (key_of(&b.metadata), b.clone()))
            .collect()
    };
    let (base_bindings, head_bindings) = (bindings(&base), bindings(&head));
    let roles = |m: &Manifests| -> BTreeMap<(String, String), Vec<PolicyRule>> {
        m.roles()
            .map(|r| (key_of(&r.metadata), r.rules.clone().unwrap_or_default()))
            .collect()
    };
    let (base_roles, head_roles) = (roles(&base), roles(&head));
    let changed_roles: BTreeSet<&(String, String)> = base_roles
        .keys()
        .chain(head_roles.keys())
        .filter(|k| base_roles.get(*k) != head_roles.get(*k))
        .collect();
    let mut affected: BTreeSet<(String, SubjectRef)> = BTreeSet::new();
    for key in base_bindings.keys().chain(head_bindings.keys()) {
        let (b, h) = (base_bindings.get(key), head_bindings.get(key));
        let role_changed = |binding: Option<&RoleBinding>| {
            binding.is_some_and(|rb| {
                rb.role_ref.kind == "Role"
                    && changed_roles.contains(&(key.0.clone(), rb.role_ref.name.clone()))
            })
        };
        if b != h || role_changed(b) || role_changed(h) {
            for binding in [b, h].into_iter().flatten() {
                for subject in binding.subjects.iter().flatten() {
                    if let Some(s) = subject_ref(subject, &key.0) {
                        affected.insert((key.0.clone(), s));
                    }
                }
            }
        }
    }

    // The roles of each affected subject, per side, as numbers into
    // `role_keys`, by the subject's place in `affected`: a binding of
    // thousands of subjects costs a few bytes per subject, not a set of
    // role names each.
    let affected: Vec<(String, SubjectRef)> = affected.into_iter().collect();
    let mut role_keys: Vec<RoleKey> = Vec::new();
    let mut role_ids: BTreeMap<RoleKey, u32> = BTreeMap::new();
    let mut roles_of = |bindings: &BTreeMap<(String, String), RoleBinding>| {
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); affected.len()];
        for ((ns, _), binding) in bindings {
            let mut id = None;
            for subject in binding.subjects.iter().flatten() {
                let Some(s) = subject_ref(subject, ns) else {
                    continue;
                };
                let Ok(at) = affected.binary_search(&(ns.clone(), s)) else {
                    continue;
                };
                let id = *id.get_or_insert_with(|| {
                    let key = role_key(binding, ns);
                    *role_ids.entry(key.clone()).or_insert_with(|| {
                        role_keys.push(key);
                        (role_keys.len() - 1) as u32
                    })
                });
                if !out[at].contains(&id) {
                    out[at].push(id);
                }
            }
        }
        out
    };
    let (base_of, head_of) = (roles_of(&base_bindings), roles_of(&head_bindings));

    // ClusterRoles whose effective rules differ.
    let cluster_role_names: BTreeSet<String> = base
        .cluster_roles()
        .chain(head.cluster_roles())
        .filter_map(|r| r.metadata.name.clone())
        .collect();
    let changed_cluster_roles: Vec<String> = cluster_role_names
        .into_iter()
        .filter(|name| {
            base.effective_rules("ClusterRole", None, name)
                != head.effective_rules("ClusterRole", None, name)
        })
        .collect();

    // The requests to ask about: every one the involved roles' rules name.
    let mut universe = Universe::default();
    let mut all_roles: BTreeSet<RoleKey> = role_keys.iter().cloned().collect();
    for name in &changed_cluster_roles {
        all_roles.insert(("ClusterRole".to_string(), None, name.clone()));
    }
    let mut own: BTreeMap<RoleKey, Bits> = BTreeMap::new();
    for role in &all_roles {
        let mut ids = Vec::new();
        for m in [&base, &head] {
            for rule in m.effective_rules(&role.0, role.1.as_deref(), &role.2) {
                ids.extend(universe.add_rule(rule));
            }
        }
        own.insert(role.clone(), Bits::of(&ids));
    }
    let size = universe.len();
    // For each role, the requests it must be asked about: those of every
    // role bound to the same subject in the same namespace, on either side.
    let mut candidates: BTreeMap<&RoleKey, Bits> = BTreeMap::new();
    // Subjects with the same roles on both sides have the same mask.
    let mut mask_of: HashMap<(Vec<u32>, Vec<u32>), Arc<Bits>> = HashMap::new();
    let mut masks: Vec<Arc<Bits>> = Vec::with_capacity(affected.len());
    for at in 0..affected.len() {
        let sides = (base_of[at].clone(), head_of[at].clone());
        if let Some(mask) = mask_of.get(&sides) {
            masks.push(mask.clone());
            continue;
        }
        let mut mask = Bits::new(size);
        let roles: BTreeSet<&RoleKey> = sides
            .0
            .iter()
            .chain(&sides.1)
            .map(|id| &role_keys[*id as usize])
            .collect();
        for role in &roles {
            mask.or(&own[*role], size);
        }
        for role in roles {
            candidates
                .entry(role)
                .or_insert_with(|| Bits::new(size))
                .or(&mask, size);
        }
        let mask = Arc::new(mask);
        mask_of.insert(sides, mask.clone());
        masks.push(mask);
    }
    for name in &changed_cluster_roles {
        let key = ("ClusterRole".to_string(), None, name.clone());
        let role = all_roles.get(&key).expect("inserted above");
        candidates
            .entry(role)
            .or_insert_with(|| Bits::new(size))
            .or(&own[&key], size);
    }

    let (base_allowed, head_allowed) = rayon::join(
        || allowed(&base, &candidates, &universe),
        || allowed(&head, &candidates, &universe),
    );
    let (base_allowed, head_allowed) = (base_allowed?, head_allowed?);

    // Many subjects share a change (every member of a binding): each
    // distinct set of permissions is listed once.
    let mut lists: HashMap<Bits, Arc<[Permission]>> = HashMap::new();
    let mut list = |bits: Bits| -> Arc<[Permission]> {
        lists
            .entry(bits)
            .or_insert_with_key(|bits| universe.permissions(bits).into())
            .clone()
    };
    let mut risks_of: HashMap<Bits, Vec<Risk>> = HashMap::new();
    let mut subjects = Vec::new();
    for (at, key) in affected.iter().enumerate() {
        let union = |of: &[Vec<u32>], allowed: &BTreeMap<RoleKey, Bits>| {
            let mut bits = Bits::new(size);
            for id in &of[at] {
                if let Some(a) = allowed.get(&role_keys[*id as usize]) {
                    bits.or(a, size);
                }
            }
            bits.and(&masks[at]);
            bits
        };
        let before = union(&base_of, &base_allowed);
        let after = union(&head_of, &head_allowed);
        let gains = list(after.minus(&before));
        let losses = list(before.minus(&after));
        if !gains.is_empty() || !losses.is_empty() {
            let risks = risk_change(&mut risks_of, &universe, &before, &after);
            let names = |of: &[Vec<u32>], org: Option<&Org>| {
                let mut names: Vec<RoleName> = of[at]
                    .iter()
                    .map(|id| RoleName::of(&role_keys[*id as usize], org))
                    .collect();
                names.sort();
                names.dedup();
                names
            };
            subjects.push((
                key.1.clone(),
                cluster.to_string(),
                key.0.clone(),
                (
                    names(&base_of, base_org),
                    names(&head_of, Some(head_org)),
                    gains,
                    losses,
                    risks,
                ),
            ));
        }
    }

    let mut roles = Vec::new();
    for name in changed_cluster_roles {
        let key = ("ClusterRole".to_string(), None, name.clone());
        let empty = Bits::new(size);
        let before = base_allowed.get(&key).unwrap_or(&empty);
        let after = head_allowed.get(&key).unwrap_or(&empty);
        let exists = |m: &Manifests| {
            m.cluster_roles()
                .any(|r| r.metadata.name.as_ref() == Some(&name))
        };
        let status = match (exists(&base), exists(&head)) {
            (false, _) => super::Status::Added,
            (_, false) => super::Status::Removed,
            _ => super::Status::Changed,
        };
        let org = match status {
            super::Status::Removed => base_org,
            _ => Some(head_org),
        };
        let (namespaces, bound) = org.map(|o| bound_by(o, cluster, &name)).unwrap_or((0, 0));
        let key = ("ClusterRole".to_string(), None, name.clone());
        let (now, no_longer) = risk_change(&mut risks_of, &universe, before, after);
        roles.push(RoleChange {
            now,
            no_longer,
            cluster: cluster.to_string(),
            name: RoleName::of(&key, org),
            role: name,
            status,
            gains: universe.permissions(&after.minus(before)),
            losses: universe.permissions(&before.minus(after)),
            namespaces,
            subjects: bound,
        });
    }
    Ok(ClusterResult {
        subjects,
        roles,
        catalogue,
    })
}

/// The risks held after and not before, and before and not after, each
/// side's found by the risk analysis ([`crate::risk::findings_of`]) on its
/// permissions; `cache` keeps the risks of each set of permissions.
fn risk_change(
    cache: &mut HashMap<Bits, Vec<Risk>>,
    universe: &Universe,
    before: &Bits,
    after: &Bits,
) -> (Vec<Risk>, Vec<Risk>) {
    let mut risks = |bits: &Bits| -> Vec<Risk> {
        let key = bits.minus(&Bits::default());
        cache
            .entry(key)
            .or_insert_with_key(|bits| risks_of(&universe.permissions(bits)))
            .clone()
    };
    let (before, after) = (risks(before), risks(after));
    (
        after
            .iter()
            .filter(|r| !before.contains(r))
            .copied()
            .collect(),
        before
            .iter()
            .filter(|r| !after.contains(r))
            .copied()
            .collect(),
    )
}

/// The risks a RoleBinding to a role allowing exactly `perms` gives, in
/// [`Risk::ALL`] order.
pub fn risks_of(perms: &[Permission]) -> Vec<Risk> {
    let rules: Vec<Rule> = perms
        .iter()
        .map(|p| Rule {
            api_groups: vec![p.api_group.clone()],
            resources: vec![p.resource.clone()],
            verbs: vec![p.verb.clone()],
            resource_names: p.resource_name.iter().cloned().collect(),
        })
        .collect();
    crate::risk::findings_of(&rules, "")
        .into_iter()
        .map(|m| m.risk)
        .collect()
}

/// The namespaces of `cluster` with a binding to ClusterRole `role`, and
/// the distinct subjects of those bindings, read off the model.
fn bound_by(org: &Org, cluster: &str, role: &str) -> (usize, usize) {
    let mut namespaces = 0;
    let mut subjects = BTreeSet::new();
    for (_, ns) in org.namespaces_on(cluster) {
        let mut binds = false;
        for binding in ns
            .bindings
            .iter()
            .filter(|b| matches!(&b.role, crate::model::RoleRef::ClusterRole(n) if n == role))
        {
            binds = true;
            subjects.extend(binding.subjects.iter());
        }
        namespaces += usize::from(binds);
    }
    (namespaces, subjects.len())
}

/// What each role in `candidates` allows among its candidate requests, on
/// one side, asked of the evaluator through probe bindings.
fn allowed(
    side: &Manifests,
    candidates: &BTreeMap<&RoleKey, Bits>,
    universe: &Universe,
) -> Result<BTreeMap<RoleKey, Bits>, EvalError> {
    // The roles alone, without the real bindings, so that a probe request
    // looks only at probes.
    let role_docs: Vec<Value> = side.cluster_roles().map(to_json).collect();
    let cluster_roles = read(&role_docs)?;
    let roles_by_key: BTreeMap<(String, String), Value> = side
        .roles()
        .map(|r| (key_of(&r.metadata), to_json(r)))
        .collect();
    let size = universe.len();
    let entries: Vec<(&RoleKey, &Bits)> = candidates.iter().map(|(k, v)| (*k, v)).collect();
    let chunks: Vec<&[(&RoleKey, &Bits)]> = entries.chunks(ROLE_CHUNK).collect();
    let results: Vec<Result<Vec<(RoleKey, Bits)>, EvalError>> = chunks
        .par_iter()
        .map(|chunk| {
            let mut docs = Vec::new();
            for (i, (role, _)) in chunk.iter().enumerate() {
                if role.0 == "Role"
                    && let Some(doc) =
                        roles_by_key.get(&(role.1.clone().unwrap_or_default(), role.2.clone()))
                {
                    docs.push(doc.clone());
                }
                docs.push(probe_binding(i, role));
            }
            let mut probe = cluster_roles.clone();
            probe.extend(read(&docs)?);
            let mut out = Vec::new();
            for (i, (role, wanted)) in chunk.iter().enumerate() {
                let user = UserInfo {
                    name: probe_user(i),
                    groups: Vec::new(),
                };
                let namespace = role.1.as_deref().unwrap_or(PROBE_NAMESPACE);
                let mut bits = Bits::new(size);
                for id in wanted.ones() {
                    if probe.allows(&user, &universe.items[id].request(namespace)) {
                        bits.set(id);
                    }
                }
                out.push(((*role).clone(), bits));
            }
            Ok(out)
        })
        .collect();
    let mut out = BTreeMap::new();
    for r in results {
        out.extend(r?);
    }
    Ok(out)
}

fn probe_user(i: usize) -> String {
    format!("rbacc-diff:probe-{i}")
}

fn probe_binding(i: usize, role: &RoleKey) -> Value {
    let namespace = role.1.as_deref().unwrap_or(PROBE_NAMESPACE);
    serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": { "name": format!("rbacc-diff-probe-{i}"), "namespace": namespace },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": role.0, "name": role.2 },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": probe_user(i) }],
    })
}

fn to_json<T: serde::Serialize>(object: &T) -> Value {
    serde_json::to_value(object).expect("k8s-openapi objects serialize to JSON")
}

/// The objects `values` make, decoded and checked as any manifest.
fn read(values: &[Value]) -> Result<Manifests, EvalError> {
    Manifests::from_values(values).map_err(|e| EvalError {
        path: "(roles)".to_string(),
        message: e.to_string(),
    })
}

fn key_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> (String, String) {
    (
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

fn role_key(binding: &RoleBinding, namespace: &str) -> RoleKey {
    let ns = (binding.role_ref.kind == "Role").then(|| namespace.to_string());
    (
        binding.role_ref.kind.clone(),
        ns,
        binding.role_ref.name.clone(),
    )
}

/// A binding subject as written, a service account's namespace defaulting
/// to the binding's (as the resolver does).
fn subject_ref(subject: &Subject, binding_namespace: &str) -> Option<SubjectRef> {
    let namespace = match subject.kind.as_str() {
        "User" | "Group" => None,
        "ServiceAccount" => Some(
            subject
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| binding_namespace.to_string()),
        ),
        _ => return None,
    };
    Some(SubjectRef {
        kind: subject.kind.clone(),
        name: subject.name.clone(),
        namespace,
    })
}

/// Every request named so far, numbered.
#[derive(Default)]
struct Universe {
    items: Vec<Permission>,
    ids: BTreeMap<Permission, usize>,
}

impl Universe {
    fn len(&self) -> usize {
        self.items.len()
    }

    fn add(&mut self, p: Permission) -> usize {
        if let Some(&id) = self.ids.get(&p) {
            return id;
        }
        let id = self.items.len();
        self.items.push(p.clone());
        self.ids.insert(p, id);
        id
    }

    /// The requests a resource rule names (non-resource rules cannot be
    /// granted by a RoleBinding and are skipped).
    fn add_rule(&mut self, rule: &PolicyRule) -> Vec<usize> {
        Permission::of_rule(rule)
            .into_iter()
            .map(|p| self.add(p))
            .collect()
    }

    fn permissions(&self, bits: &Bits) -> Vec<Permission> {
        let mut out: Vec<Permission> = bits.ones().map(|i| self.items[i].clone()).collect();
        out.sort();
        out
    }
}

/// A set of request numbers. Equal sets compare and hash equal whatever
/// their length: trailing zero words are trimmed where sets are built for
/// comparison ([`Bits::minus`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(size: usize) -> Bits {
        Bits(vec![0; size.div_ceil(64)])
    }

    fn of(ids: &[usize]) -> Bits {
        let mut bits = Bits::default();
        for &id in ids {
            bits.set(id);
        }
        bits
    }

    fn set(&mut self, id: usize) {
        let word = id / 64;
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << (id % 64);
    }

    fn or(&mut self, other: &Bits, size: usize) {
        let words = size.div_ceil(64).max(other.0.len());
        if self.0.len() < words {
            self.0.resize(words, 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn and(&mut self, other: &Bits) {
        for (i, a) in self.0.iter_mut().enumerate() {
            *a &= other.0.get(i).copied().unwrap_or(0);
        }
    }

    fn minus(&self, other: &Bits) -> Bits {
        let mut words: Vec<u64> = self
            .0
            .iter()
            .enumerate()
            .map(|(i, a)| a & !other.0.get(i).copied().unwrap_or(0))
            .collect();
        while words.last() == Some(&0) {
            words.pop();
        }
        Bits(words)
    }

    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            (0..64)
                .filter(move |b| word & (1 << b) != 0)
                .map(move |b| i * 64 + b)
        })
    }
}
