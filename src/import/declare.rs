//! From the objects of each cluster to the files of a repository.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::PolicyRule;
use serde::Serialize;
use serde_json::Value;

use super::{ClusterDuplicate, LeftOut, NotImported, Renamed, Report, TeamReport};
use crate::live::{Cluster, Object, ObjectKey};
use crate::model::{LIMIT_RANGE_NAME, QUOTA_NAME, Rule};
use crate::risk::{Level, Risk};
use crate::validate::metadata::{
    CONTROLLER_ANNOTATIONS, CONTROLLER_LABELS, MANAGED_BY, MetaKind, RBACC_ANNOTATIONS,
    always_reserved, matches,
};

/// The repository an import writes, and its report so far (the
/// differences are [`super::compare`]'s).
#[derive(Debug, Default)]
pub struct Declared {
    /// Repository-relative path → contents: `rbacc.yaml`, `teams/<team>.yaml`.
    pub files: BTreeMap<String, String>,
    pub report: Report,
    /// The namespaces imported on each cluster.
    pub namespaces: BTreeMap<String, BTreeSet<String>>,
}

/// The reason written beside every risk an import accepts.
const REVIEW: &str = "held before the import; review and say why";

/// One namespace as read from the first cluster that holds it.
struct Source<'a> {
    name: String,
    clusters: Vec<String>,
    cluster: &'a Cluster,
    cluster_name: &'a str,
}

/// A subject as team files write it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Subject {
    Group(String),
    User(String),
    ServiceAccount(String),
}

impl Subject {
    fn of(s: &k8s_openapi::api::rbac::v1::Subject, namespace: &str) -> Option<Subject> {
        match s.kind.as_str() {
            "User" => Some(Subject::User(s.name.clone())),
            "Group" => Some(Subject::Group(s.name.clone())),
            "ServiceAccount" => Some(Subject::ServiceAccount(format!(
                "{}/{}",
                s.namespace.as_deref().unwrap_or(namespace),
                s.name
            ))),
            _ => None,
        }
    }
}

/// Who a role is given to, as a member entry or a grant writes it.
#[derive(Debug, Default, Serialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Subjects {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    users: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_accounts: Vec<String>,
}

impl Subjects {
    fn from(subjects: &BTreeSet<Subject>) -> Subjects {
        let mut out = Subjects::default();
        for s in subjects {
            match s {
                Subject::User(n) => out.users.push(n.clone()),
                Subject::Group(n) => out.groups.push(n.clone()),
                Subject::ServiceAccount(n) => out.service_accounts.push(n.clone()),
            }
        }
        out
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleDecl {
    api_groups: Vec<String>,
    resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resource_names: Vec<String>,
    verbs: Vec<String>,
}

impl RuleDecl {
    fn from(rule: &PolicyRule) -> Option<RuleDecl> {
        let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
        let resources = list(&rule.resources);
        if resources.is_empty() {
            return None; // non-resource URLs: nothing in a namespace
        }
        Some(RuleDecl {
            api_groups: list(&rule.api_groups),
            resources,
            resource_names: list(&rule.resource_names),
            verbs: rule.verbs.clone(),
        })
    }
}

fn model_rule(rule: &PolicyRule) -> Rule {
    let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
    Rule {
        api_groups: list(&rule.api_groups),
        resources: list(&rule.resources),
        verbs: rule.verbs.clone(),
        resource_names: list(&rule.resource_names),
    }
}

/// The risks rules give that are errors unless accepted, by id.
fn error_risks(rules: &[Rule], cluster_wide: bool) -> BTreeSet<&'static str> {
    let mut found: Vec<_> = crate::risk::findings_of(rules, "");
    if cluster_wide {
        found.extend(crate::risk::cluster_risks_of(rules));
    }
    found
        .into_iter()
        .filter(|m| m.risk.default_level() == Level::Error)
        .map(|m| m.risk.id())
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExistingRole {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_role: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    opaque: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rules: Vec<RuleDecl>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamRole {
    name: String,
    rules: Vec<RuleDecl>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Allow {
    risk: &'static str,
    role: String,
    reason: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Grant {
    role: String,
    #[serde(flatten)]
    subjects: Subjects,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccountDecl {
    name: String,
    role: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct NamespaceDecl {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    clusters: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pod_security: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    quota: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_range: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    network_policies: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service_accounts: Vec<ServiceAccountDecl>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    grants: Vec<Grant>,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamSpec {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    members: BTreeMap<String, Subjects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    roles: Vec<TeamRole>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow: Vec<Allow>,
    namespaces: Vec<NamespaceDecl>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamFile {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: TeamSpec,
}

/// What a namespace's RBAC comes to: (role as declared, subject) pairs,
/// and its service accounts with their role.
struct Access {
    pairs: BTreeSet<(String, Subject)>,
    /// The pairs a namespace's `serviceAccounts` entry writes.
    covered: BTreeSet<(String, Subject)>,
    service_accounts: Vec<ServiceAccountDecl>,
}

/// Everything the platform's file gathers while teams are declared.
#[derive(Default)]
struct Platform {
    /// Cluster role name → the existing role that stands for it.
    existing: BTreeMap<String, ExistingRole>,
    /// rbacc's built-in roles met in the input (`rbacc:admin`, …), with
    /// the (group, resource) pairs their rules name.
    builtin_seen: BTreeMap<String, BTreeSet<(String, String)>>,
    /// rbacc's own custom roles met in the input (`rbacc:<name>`), by name.
    custom: BTreeMap<String, TeamRole>,
    /// Risks accepted on existing roles, for the report.
    accepted: Vec<String>,
    label_allow: BTreeSet<String>,
    annotation_allow: BTreeSet<String>,
    privileged: BTreeSet<String>,
    cluster_bindings: Vec<Value>,
}

/// The declarations for `clusters` (name, objects), in that order: the
/// first cluster holding a namespace is the one it is read from.
pub fn declare(clusters: &[(String, Cluster)], team_key: Option<&str>) -> Declared {
    let mut out = Declared::default();
    let report = &mut out.report;
    for (name, cluster) in clusters {
        report
            .not_imported
            .extend(cluster.skipped.iter().map(|s| NotImported {
                cluster: name.clone(),
                object: s.clone(),
            }));
        report
            .duplicates
            .extend(cluster.duplicates.iter().map(|d| ClusterDuplicate {
                cluster: name.clone(),
                duplicate: d.clone(),
            }));
    }

    // The namespaces, each from the first cluster that holds it.
    let mut sources: BTreeMap<String, Source> = BTreeMap::new();
    for (cluster_name, cluster) in clusters {
        for namespace in candidates(cluster, team_key, cluster_name, report) {
            out.namespaces
                .entry(cluster_name.clone())
                .or_default()
                .insert(namespace.clone());
            sources
                .entry(namespace.clone())
                .or_insert(Source {
                    name: namespace,
                    clusters: Vec::new(),
                    cluster,
                    cluster_name,
                })
                .clusters
                .push(cluster_name.clone());
        }
    }

    let mut platform = Platform::default();
    // Team of each namespace.
    let mut teams: BTreeMap<String, Vec<&Source>> = BTreeMap::new();
    let groups = group(&sources, team_key);
    for (team, namespaces) in groups {
        teams.insert(team, namespaces.into_iter().map(|n| &sources[&n]).collect());
    }

    let all_clusters: Vec<String> = clusters.iter().map(|(n, _)| n.clone()).collect();
    let defaults = shared_defaults(&sources, &all_clusters);

    for (team, namespaces) in &teams {
        let file = format!("{}/{team}.yaml", crate::load::TEAMS_DIR);
        let text = declare_team(
            team,
            namespaces,
            &all_clusters,
            &defaults,
            &mut platform,
            report,
        );
        report.teams.push(TeamReport {
            name: team.clone(),
            file: file.clone(),
            namespaces: namespaces.iter().map(|s| s.name.clone()).collect(),
        });
        out.files.insert(file, text);
    }

    for (cluster_name, cluster) in clusters {
        cluster_bindings(cluster_name, cluster, &mut platform, report);
    }
    report.accepted_risks.append(&mut platform.accepted);
    report.accepted_risks.sort();
    let config = config_file(clusters, &defaults, &platform, report);
    out.files.insert("rbacc.yaml".to_string(), config);
    // The schemas the files name in their first line, for editors.
    for document in crate::schema::Document::ALL {
        out.files
            .insert(document.path().to_string(), crate::schema::text(document));
    }
    report.not_imported.sort();
    report.left_out.sort();
    report.renamed.sort();
    out
}

/// Namespaces Kubernetes and the platform run on: never a team's.
fn platform_namespace(name: &str) -> bool {
    name == "default"
        || name.starts_with("kube-")
        || name == "rbacc-kubeconfigs"
        || crate::validate::reserved::ADDON_NAMESPACES.contains(&name)
        || crate::validate::reserved::ADDON_PREFIXES
            .iter()
            .any(|p| name.starts_with(p))
}

/// The namespaces of a cluster that become team namespaces: those with
/// the team key, or else those with a binding that is not Kubernetes' own.
fn candidates(
    cluster: &Cluster,
    team_key: Option<&str>,
    cluster_name: &str,
    report: &mut Report,
) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = cluster
        .of_kind("Namespace")
        .map(|(k, _)| k.name.clone())
        .collect();
    names.extend(
        cluster
            .objects
            .keys()
            .filter(|k| !k.namespace.is_empty())
            .map(|k| k.namespace.clone()),
    );
    let mut out = BTreeSet::new();
    for name in names {
        let namespace = cluster.objects.get(&ObjectKey {
            kind: "Namespace".into(),
            namespace: String::new(),
            name: name.clone(),
        });
        let keyed = match team_key {
            Some(key) => namespace.and_then(|ns| team_value(ns, key)).is_some(),
            None => cluster.in_namespace(&name).any(|(k, o)| {
                k.kind == "RoleBinding" && !crate::audit::bootstrap(&k.name, Some(&o.labels()))
            }),
        };
        if !keyed {
            continue;
        }
        if platform_namespace(&name) {
            report.left_out.push(LeftOut {
                cluster: cluster_name.to_string(),
                object: ObjectKey {
                    kind: "Namespace".into(),
                    namespace: String::new(),
                    name,
                },
                why: "a namespace Kubernetes or the platform runs on is never a team's".into(),
            });
            continue;
        }
        out.insert(name);
    }
    out
}

fn team_value(namespace: &Object, key: &str) -> Option<String> {
    namespace
        .labels()
        .remove(key)
        .or_else(|| namespace.annotations().remove(key))
}

/// A name made a DNS-1123 label: lowercase, `-` for anything else, at most
/// 63 characters.
fn label(name: &str) -> String {
    let mut out: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    let out = out.trim_matches('-');
    let out: String = out.chars().take(63).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "imported".into()
    } else {
        out
    }
}

/// Teams and their namespaces: by the team key's value, or by who is
/// bound in each namespace (service accounts aside), named after what the
/// namespace names share.
fn group(
    sources: &BTreeMap<String, Source>,
    team_key: Option<&str>,
) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for source in sources.values() {
        let key = match team_key {
            Some(key) => source
                .cluster
                .objects
                .get(&ObjectKey {
                    kind: "Namespace".into(),
                    namespace: String::new(),
                    name: source.name.clone(),
                })
                .and_then(|ns| team_value(ns, key))
                .map(|v| label(&v))
                .unwrap_or_default(),
            None => {
                let people: BTreeSet<String> = source
                    .cluster
                    .rbac
                    .role_bindings_in(&source.name)
                    .flat_map(|b| b.subjects.iter().flatten())
                    .filter(|s| s.kind != "ServiceAccount")
                    .map(|s| format!("{} {}", s.kind, s.name))
                    .collect();
                people.into_iter().collect::<Vec<_>>().join("\n")
            }
        };
        by.entry(key).or_default().push(source.name.clone());
    }
    let mut teams: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, namespaces) in by {
        let name = match team_key {
            Some(_) => key,
            None => common_prefix(&namespaces),
        };
        let mut unique = name.clone();
        let mut n = 2;
        while teams.contains_key(&unique) {
            unique = format!("{name}-{n}");
            n += 1;
        }
        teams.insert(unique, namespaces);
    }
    teams
}

/// What namespace names share up to a `-`, or the name of a team's only
/// namespace.
fn common_prefix(names: &[String]) -> String {
    if let [only] = names {
        return label(only);
    }
    let parts: Vec<Vec<&str>> = names.iter().map(|n| n.split('-').collect()).collect();
    let mut shared = Vec::new();
    for (i, part) in parts[0].iter().enumerate() {
        if parts.iter().all(|p| p.get(i) == Some(part)) {
            shared.push(*part);
        } else {
            break;
        }
    }
    if shared.is_empty() {
        label(&names[0])
    } else {
        label(&shared.join("-"))
    }
}

/// What every imported namespace shares.
#[derive(Default)]
struct Defaults {
    quota: BTreeMap<String, String>,
    limit_range: Option<Value>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    /// NetworkPolicies every namespace holds alike, by name.
    network_policies: BTreeMap<String, Value>,
}

fn objects_of<'a>(
    source: &'a Source,
    kind: &'a str,
) -> impl Iterator<Item = (&'a ObjectKey, &'a Object)> {
    source
        .cluster
        .in_namespace(&source.name)
        .filter(move |(k, _)| k.kind == kind)
}

fn namespace_object<'a>(source: &'a Source) -> Option<&'a Object> {
    source.cluster.objects.get(&ObjectKey {
        kind: "Namespace".into(),
        namespace: String::new(),
        name: source.name.clone(),
    })
}

/// A ResourceQuota rbacc can write: only `spec.hard`.
fn quota_of(object: &Object) -> Option<BTreeMap<String, String>> {
    let spec = object.field("spec")?;
    let spec = spec.as_object()?;
    if spec.keys().any(|k| k != "hard") {
        return None;
    }
    let hard = spec.get("hard")?.as_object()?;
    Some(
        hard.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
    )
}

/// A LimitRange rbacc can write: one `Container` item with `default` and
/// `defaultRequest` only.
fn limit_range_of(object: &Object) -> Option<Value> {
    let spec = object.field("spec")?;
    let limits = spec.get("limits")?.as_array()?;
    let [item] = limits.as_slice() else {
        return None;
    };
    let item = item.as_object()?;
    if item.get("type").and_then(Value::as_str) != Some("Container")
        || item
            .keys()
            .any(|k| !matches!(k.as_str(), "type" | "default" | "defaultRequest"))
    {
        return None;
    }
    let mut out = item.clone();
    out.remove("type");
    Some(Value::Object(out))
}

fn network_policy_of(key: &ObjectKey, object: &Object) -> Option<Value> {
    let Value::Object(mut spec) = object.field("spec")? else {
        return None;
    };
    spec.insert("name".into(), Value::from(key.name.clone()));
    Some(Value::Object(spec))
}

/// Labels and annotations a team may declare: rbacc's own and Pod
/// Security's aside (Pod Security becomes `podSecurity`).
fn metadata(object: &Object, kind: MetaKind) -> BTreeMap<String, String> {
    let all = match kind {
        MetaKind::Label => object.labels(),
        MetaKind::Annotation => object.annotations(),
    };
    all.into_iter()
        .filter(|(k, v)| {
            !(k.starts_with("rbacc.dev/")
                || k.starts_with("pod-security.kubernetes.io/")
                || (k == MANAGED_BY && v == "rbacc")
                || (kind == MetaKind::Annotation && RBACC_ANNOTATIONS.contains(&k.as_str())))
        })
        .collect()
}

fn shared_defaults(sources: &BTreeMap<String, Source>, _clusters: &[String]) -> Defaults {
    let mut defaults = Defaults::default();
    if sources.len() < 2 {
        return defaults;
    }
    // A quota or limit range every namespace has, the most common one:
    // namespaces then write only what differs, and can add keys.
    let quotas: Vec<Option<BTreeMap<String, String>>> = sources
        .values()
        .map(|s| {
            let mut q = objects_of(s, "ResourceQuota");
            match (q.next(), q.next()) {
                (Some((_, o)), None) => quota_of(o),
                _ => None,
            }
        })
        .collect();
    if quotas.iter().all(Option::is_some) {
        let quotas: Vec<_> = quotas.into_iter().flatten().collect();
        if let Some(common) = most_common(&quotas)
            && quotas
                .iter()
                .all(|q| common.keys().all(|k| q.contains_key(k)))
        {
            defaults.quota = common;
        }
    }
    let limits: Vec<Option<Value>> = sources
        .values()
        .map(|s| {
            let mut l = objects_of(s, "LimitRange");
            match (l.next(), l.next()) {
                (Some((_, o)), None) => limit_range_of(o),
                _ => None,
            }
        })
        .collect();
    if limits.iter().all(Option::is_some) {
        let limits: Vec<Value> = limits.into_iter().flatten().collect();
        if let Some(common) = most_common(&limits)
            && limits.iter().all(|l| covers(l, &common))
        {
            defaults.limit_range = Some(common);
        }
    }
    for kind in [MetaKind::Label, MetaKind::Annotation] {
        let maps: Vec<BTreeMap<String, String>> = sources
            .values()
            .map(|s| {
                namespace_object(s)
                    .map(|o| metadata(o, kind))
                    .unwrap_or_default()
            })
            .collect();
        let shared: BTreeMap<String, String> = maps[0]
            .iter()
            .filter(|(k, v)| maps.iter().all(|m| m.get(*k) == Some(v)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        match kind {
            MetaKind::Label => defaults.labels = shared,
            MetaKind::Annotation => defaults.annotations = shared,
        }
    }
    let policies: Vec<BTreeMap<String, Value>> = sources
        .values()
        .map(|s| {
            objects_of(s, "NetworkPolicy")
                .filter_map(|(k, o)| Some((k.name.clone(), network_policy_of(k, o)?)))
                .collect()
        })
        .collect();
    defaults.network_policies = policies[0]
        .iter()
        .filter(|(k, v)| policies.iter().all(|p| p.get(*k) == Some(v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    defaults
}

/// Whether `value`'s two maps hold every key of `common`'s.
fn covers(value: &Value, common: &Value) -> bool {
    ["default", "defaultRequest"].iter().all(|field| {
        let keys = |v: &Value| -> BTreeSet<String> {
            v.get(*field)
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        keys(common).is_subset(&keys(value))
    })
}

fn most_common<T: Clone + PartialEq>(values: &[T]) -> Option<T> {
    let mut best: Option<(&T, usize)> = None;
    for v in values {
        let n = values.iter().filter(|w| *w == v).count();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((v, n));
        }
    }
    best.filter(|(_, n)| *n > 1).map(|(v, _)| v.clone())
}

/// The keys of `ours` that differ from `defaults` (both string maps).
fn beyond<K: Ord + Clone, V: PartialEq + Clone>(
    ours: &BTreeMap<K, V>,
    defaults: &BTreeMap<K, V>,
) -> BTreeMap<K, V> {
    ours.iter()
        .filter(|(k, v)| defaults.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn declare_team(
    team: &str,
    namespaces: &[&Source],
    all_clusters: &[String],
    defaults: &Defaults,
    platform: &mut Platform,
    report: &mut Report,
) -> String {
    let mut team_roles: Vec<TeamRole> = Vec::new();
    let mut team_role_rules: BTreeMap<String, Vec<Rule>> = BTreeMap::new();
    // (namespace, Role name) → the team role's name.
    let mut role_names: BTreeMap<(String, String), String> = BTreeMap::new();
    for source in namespaces {
        for (key, object) in objects_of(source, "Role") {
            let rules: Vec<PolicyRule> = object
                .field("rules")
                .and_then(|r| serde_json::from_value(r).ok())
                .unwrap_or_default();
            let decls: Vec<Value> = rules
                .iter()
                .filter_map(RuleDecl::from)
                .map(|r| serde_json::to_value(r).unwrap_or_default())
                .collect();
            let existing = team_roles.iter().find(|r| {
                serde_json::to_value(&r.rules).ok().as_ref() == Some(&Value::Array(decls.clone()))
            });
            let name = match existing {
                Some(r) => r.name.clone(),
                None => {
                    let mut name = label(&key.name);
                    if crate::builtin::BUILTIN_ROLES.contains(&name.as_str())
                        || platform.existing.values().any(|e| e.name == name)
                    {
                        name = format!("{name}-role");
                    }
                    let base = name.clone();
                    let mut n = 2;
                    while team_roles.iter().any(|r| r.name == name) {
                        name = format!("{base}-{n}");
                        n += 1;
                    }
                    team_role_rules.insert(name.clone(), rules.iter().map(model_rule).collect());
                    team_roles.push(TeamRole {
                        name: name.clone(),
                        rules: rules.iter().filter_map(RuleDecl::from).collect(),
                    });
                    name
                }
            };
            report.renamed.push(Renamed {
                cluster: source.cluster_name.to_string(),
                object: key.clone(),
                becomes: format!("Role {}/rbacc:{name} (team role {name})", key.namespace),
            });
            role_names.insert((key.namespace.clone(), key.name.clone()), name);
        }
    }

    // Who has which role where.
    let mut access: Vec<Access> = Vec::new();
    for source in namespaces {
        let mut pairs = BTreeSet::new();
        for binding in source.cluster.rbac.role_bindings_in(&source.name) {
            let key = &ObjectKey {
                kind: "RoleBinding".into(),
                namespace: source.name.clone(),
                name: binding.metadata.name.clone().unwrap_or_default(),
            };
            let role = match binding.role_ref.kind.as_str() {
                "Role" => {
                    match role_names.get(&(source.name.clone(), binding.role_ref.name.clone())) {
                        Some(name) => name.clone(),
                        None => {
                            report.left_out.push(LeftOut {
                                cluster: source.cluster_name.to_string(),
                                object: key.clone(),
                                why: format!(
                                    "its Role {} does not exist, so it grants nothing",
                                    binding.role_ref.name
                                ),
                            });
                            continue;
                        }
                    }
                }
                _ => existing_role(&binding.role_ref.name, source.cluster, platform),
            };
            let subjects: Vec<Subject> = binding
                .subjects
                .iter()
                .flatten()
                .filter_map(|s| Subject::of(s, &source.name))
                .collect();
            for s in subjects {
                pairs.insert((role.clone(), s));
            }
        }
        // Service accounts, each with the first role it is bound to here.
        let mut service_accounts = Vec::new();
        let mut covered = BTreeSet::new();
        for (key, _) in objects_of(source, "ServiceAccount") {
            let me = Subject::ServiceAccount(format!("{}/{}", source.name, key.name));
            let role = pairs.iter().find(|(_, s)| *s == me).map(|(r, _)| r.clone());
            match role {
                Some(role) => {
                    covered.insert((role.clone(), me));
                    service_accounts.push(ServiceAccountDecl {
                        name: key.name.clone(),
                        role,
                    });
                }
                None if key.name == "default" => {}
                None => report.left_out.push(LeftOut {
                    cluster: source.cluster_name.to_string(),
                    object: key.clone(),
                    why: "rbacc writes a service account with the role it has in its namespace; this one has none".into(),
                }),
            }
        }
        access.push(Access {
            pairs,
            covered,
            service_accounts,
        });
    }

    // Who is bound alike everywhere is a member.
    // A team of one namespace: its service accounts are its own, not
    // members.
    let shared: BTreeSet<(String, Subject)> = access
        .iter()
        .map(|a| match namespaces.len() {
            1 => a.pairs.difference(&a.covered).cloned().collect(),
            _ => a.pairs.clone(),
        })
        .reduce(|a, b| a.intersection(&b).cloned().collect())
        .unwrap_or_default();
    let mut members: BTreeMap<String, BTreeSet<Subject>> = BTreeMap::new();
    for (role, subject) in &shared {
        members
            .entry(role.clone())
            .or_default()
            .insert(subject.clone());
    }

    let mut decls = Vec::new();
    for (source, access) in namespaces.iter().zip(access) {
        let ns = namespace_object(source);
        let mut decl = NamespaceDecl {
            name: source.name.clone(),
            ..NamespaceDecl::default()
        };
        if source.clusters.len() != all_clusters.len() {
            decl.clusters = Some(source.clusters.clone());
        }
        if let Some(ns) = ns {
            let labels = ns.labels();
            let level = labels
                .get("pod-security.kubernetes.io/enforce")
                .cloned()
                .unwrap_or_else(|| "privileged".to_string());
            if level == "privileged" {
                platform.privileged.insert(source.name.clone());
            }
            decl.pod_security = Some(level);
            for (kind, target) in [
                (MetaKind::Label, &mut decl.labels),
                (MetaKind::Annotation, &mut decl.annotations),
            ] {
                let (shared, allow, reserved_list) = match kind {
                    MetaKind::Label => (
                        &defaults.labels,
                        &mut platform.label_allow,
                        CONTROLLER_LABELS,
                    ),
                    MetaKind::Annotation => (
                        &defaults.annotations,
                        &mut platform.annotation_allow,
                        CONTROLLER_ANNOTATIONS,
                    ),
                };
                for (k, v) in beyond(&metadata(ns, kind), shared) {
                    if always_reserved(kind, &k).is_some() {
                        report.left_out.push(LeftOut {
                            cluster: source.cluster_name.to_string(),
                            object: ObjectKey {
                                kind: "Namespace".into(),
                                namespace: String::new(),
                                name: source.name.clone(),
                            },
                            why: format!(
                                "{} {k}: Kubernetes' key, which no team may set",
                                kind.noun()
                            ),
                        });
                        continue;
                    }
                    if let Some((pattern, _)) = reserved_list
                        .iter()
                        .find(|(p, _)| matches(p, &k.to_ascii_lowercase()))
                    {
                        allow.insert((*pattern).to_string());
                    }
                    target.insert(k, v);
                }
            }
        }
        let mut quotas = objects_of(source, "ResourceQuota");
        if let Some((key, object)) = quotas.next() {
            match quota_of(object) {
                Some(hard) => {
                    decl.quota = beyond(&hard, &defaults.quota);
                    if key.name != QUOTA_NAME {
                        report.renamed.push(Renamed {
                            cluster: source.cluster_name.to_string(),
                            object: key.clone(),
                            becomes: format!("ResourceQuota {}/{QUOTA_NAME}", key.namespace),
                        });
                    }
                }
                None => left_out(
                    report,
                    source,
                    key,
                    "rbacc writes a quota's `hard` amounts only (no scopes)",
                ),
            }
            for (key, _) in quotas {
                left_out(
                    report,
                    source,
                    key,
                    "rbacc writes one ResourceQuota per namespace",
                );
            }
        }
        let mut limits = objects_of(source, "LimitRange");
        if let Some((key, object)) = limits.next() {
            match limit_range_of(object) {
                Some(value) => {
                    if defaults.limit_range.as_ref() != Some(&value) {
                        decl.limit_range = Some(value);
                    }
                    if key.name != LIMIT_RANGE_NAME {
                        report.renamed.push(Renamed {
                            cluster: source.cluster_name.to_string(),
                            object: key.clone(),
                            becomes: format!("LimitRange {}/{LIMIT_RANGE_NAME}", key.namespace),
                        });
                    }
                }
                None => left_out(
                    report,
                    source,
                    key,
                    "rbacc writes a LimitRange of container `default` and `defaultRequest` only",
                ),
            }
            for (key, _) in limits {
                left_out(
                    report,
                    source,
                    key,
                    "rbacc writes one LimitRange per namespace",
                );
            }
        }
        for (key, object) in objects_of(source, "NetworkPolicy") {
            if defaults.network_policies.contains_key(&key.name) {
                continue;
            }
            if let Some(policy) = network_policy_of(key, object) {
                decl.network_policies.push(policy);
            }
        }
        decl.service_accounts = access.service_accounts;
        let mut grants: BTreeMap<String, BTreeSet<Subject>> = BTreeMap::new();
        for (role, subject) in access
            .pairs
            .difference(&shared)
            .filter(|p| !access.covered.contains(p))
        {
            grants
                .entry(role.clone())
                .or_default()
                .insert(subject.clone());
        }
        decl.grants = grants
            .into_iter()
            .map(|(role, subjects)| Grant {
                role,
                subjects: Subjects::from(&subjects),
            })
            .collect();
        decls.push(decl);
    }

    let mut allow = Vec::new();
    for (role, rules) in &team_role_rules {
        for risk in error_risks(rules, false) {
            report
                .accepted_risks
                .push(format!("team {team}: {risk} through team role {role}"));
            allow.push(Allow {
                risk,
                role: role.clone(),
                reason: REVIEW,
            });
        }
    }
    let file = TeamFile {
        api_version: crate::model::raw::API_VERSION,
        kind: "Team",
        metadata: Metadata {
            name: team.to_string(),
        },
        spec: TeamSpec {
            members: members
                .iter()
                .map(|(r, s)| (r.clone(), Subjects::from(s)))
                .collect(),
            roles: team_roles,
            allow,
            namespaces: decls,
        },
    };
    format!(
        "# yaml-language-server: $schema=../schema/team.json\n# Imported by `rbacc import`.\n{}",
        serde_saphyr::to_string(&file).unwrap_or_default()
    )
}

fn left_out(report: &mut Report, source: &Source, key: &ObjectKey, why: &str) {
    report.left_out.push(LeftOut {
        cluster: source.cluster_name.to_string(),
        object: key.clone(),
        why: why.to_string(),
    });
}

/// The existing role that stands for ClusterRole `name`, declared on first
/// use: Kubernetes' `admin`, `edit` and `view` by name (rbacc knows their
/// rules), others with the rules the dump holds, or opaque when it holds
/// none.
fn existing_role(name: &str, cluster: &Cluster, platform: &mut Platform) -> String {
    if let Some(role) = platform.existing.get(name) {
        return role.name.clone();
    }
    // rbacc's own roles (a cluster rbacc already manages): its built-in
    // ones by name, custom ones declared again with the rules they hold.
    if let Some(own) = name.strip_prefix("rbacc:") {
        if crate::builtin::BUILTIN_ROLES.contains(&own) {
            let rules = cluster.rbac.effective_rules("ClusterRole", None, name);
            let pairs = platform.builtin_seen.entry(own.to_string()).or_default();
            for rule in rules {
                for group in rule.api_groups.iter().flatten() {
                    for resource in rule.resources.iter().flatten() {
                        pairs.insert((group.clone(), resource.clone()));
                    }
                }
            }
            return own.to_string();
        }
        if !platform.custom.contains_key(own) {
            let rules: Vec<RuleDecl> = cluster
                .rbac
                .effective_rules("ClusterRole", None, name)
                .into_iter()
                .filter_map(RuleDecl::from)
                .collect();
            platform.custom.insert(
                own.to_string(),
                TeamRole {
                    name: own.to_string(),
                    rules,
                },
            );
        }
        return own.to_string();
    }
    let mut decl_name = label(name);
    if crate::builtin::BUILTIN_ROLES.contains(&decl_name.as_str()) {
        decl_name = format!("k8s-{decl_name}");
    }
    // Two cluster roles whose names differ only in what a label cannot
    // hold (`a:b`, `a-b`) get names of their own.
    let base = decl_name.clone();
    let mut n = 2;
    while platform.existing.values().any(|e| e.name == decl_name)
        || platform.custom.contains_key(&decl_name)
    {
        decl_name = format!("{base}-{n}");
        n += 1;
    }
    let known = crate::bootstrap::KNOWN.contains(&name);
    let rules: Vec<PolicyRule> = if known {
        Vec::new()
    } else {
        cluster
            .rbac
            .effective_rules("ClusterRole", None, name)
            .into_iter()
            .cloned()
            .collect()
    };
    let in_dump = cluster.objects.contains_key(&ObjectKey {
        kind: "ClusterRole".into(),
        namespace: String::new(),
        name: name.to_string(),
    });
    let model_rules: Vec<Rule> = if known {
        crate::bootstrap::rules_of(name).unwrap_or_default()
    } else {
        rules
            .iter()
            .filter(|r| r.resources.is_some())
            .map(model_rule)
            .collect()
    };
    let allow: Vec<&'static str> = error_risks(&model_rules, false).into_iter().collect();
    if !allow.is_empty() {
        platform.accepted.push(format!(
            "existing role {decl_name} (ClusterRole {name}): {}",
            allow.join(", ")
        ));
    }
    let role = ExistingRole {
        name: decl_name.clone(),
        cluster_role: (decl_name != name).then(|| name.to_string()),
        opaque: !known && (!in_dump || model_rules.is_empty()),
        rules: rules.iter().filter_map(RuleDecl::from).collect(),
        reason: (!allow.is_empty()).then_some(REVIEW),
        allow,
    };
    platform.existing.insert(name.to_string(), role);
    decl_name
}

/// The ClusterRoleBindings that are not Kubernetes' own, as the platform's
/// `clusterBindings`.
fn cluster_bindings(
    cluster_name: &str,
    cluster: &Cluster,
    platform: &mut Platform,
    report: &mut Report,
) {
    for binding in cluster.rbac.cluster_role_bindings() {
        let name = binding.metadata.name.clone().unwrap_or_default();
        let object = &cluster.objects[&ObjectKey {
            kind: "ClusterRoleBinding".into(),
            namespace: String::new(),
            name: name.clone(),
        }];
        if crate::audit::bootstrap(&name, Some(&object.labels())) || name.starts_with("rbacc:") {
            continue;
        }
        let role = existing_role(&binding.role_ref.name, cluster, platform);
        let subjects: BTreeSet<Subject> = binding
            .subjects
            .iter()
            .flatten()
            .filter_map(|s| Subject::of(s, ""))
            .collect();
        let decl_name = label(&name);
        let mut value =
            serde_json::json!({ "name": decl_name, "role": role, "clusters": [cluster_name] });
        if let (Value::Object(map), Ok(Value::Object(subjects))) =
            (&mut value, serde_json::to_value(Subjects::from(&subjects)))
        {
            map.extend(subjects);
        }
        // Same binding on another cluster: one declaration, both clusters.
        if let Some(same) = platform.cluster_bindings.iter_mut().find(|b| {
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Value::Object(m) = &mut v {
                    m.remove("clusters");
                    m.remove("allow");
                    m.remove("reason");
                }
                v
            };
            strip(b) == strip(&value)
        }) {
            if let Some(Value::Array(clusters)) = same.get_mut("clusters") {
                clusters.push(Value::from(cluster_name));
            }
        } else {
            let rules: Vec<Rule> = match crate::bootstrap::rules_of(&binding.role_ref.name) {
                Some(rules) => rules,
                None => cluster
                    .rbac
                    .effective_rules("ClusterRole", None, &binding.role_ref.name)
                    .into_iter()
                    .filter(|r| r.resources.is_some())
                    .map(model_rule)
                    .collect(),
            };
            let mut allow: BTreeSet<&str> = error_risks(&rules, true);
            allow.insert(Risk::ClusterBinding.id());
            report.accepted_risks.push(format!(
                "cluster binding {decl_name} ({}): {}",
                cluster_name,
                allow.iter().copied().collect::<Vec<_>>().join(", ")
            ));
            if let Value::Object(map) = &mut value {
                map.insert("allow".into(), serde_json::json!(allow));
                map.insert("reason".into(), Value::from(REVIEW));
            }
            platform.cluster_bindings.push(value);
        }
        report.renamed.push(Renamed {
            cluster: cluster_name.to_string(),
            object: ObjectKey {
                kind: "ClusterRoleBinding".into(),
                namespace: String::new(),
                name,
            },
            becomes: format!("ClusterRoleBinding rbacc:{decl_name}"),
        });
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    api_version: &'static str,
    kind: &'static str,
    spec: Value,
}

fn config_file(
    clusters: &[(String, Cluster)],
    defaults: &Defaults,
    platform: &Platform,
    report: &mut Report,
) -> String {
    let mut spec = serde_json::Map::new();
    spec.insert(
        "clusters".into(),
        Value::Array(
            clusters
                .iter()
                .map(|(name, _)| {
                    report.to_do.push(format!(
                        "set the API server of cluster {name} in rbacc.yaml (`server:`), for kubeconfigs"
                    ));
                    serde_json::json!({ "name": name, "server": format!("https://{name}.cluster.invalid") })
                })
                .collect(),
        ),
    );
    let mut policy = serde_json::Map::new();
    // Imported namespaces keep their names.
    policy.insert("namespacePrefix".into(), Value::from("none"));
    if !platform.privileged.is_empty() {
        policy.insert(
            "podSecurity".into(),
            serde_json::json!({ "privilegedNamespaces": platform.privileged }),
        );
    }
    // What the input's built-in roles show of the policy that made them.
    let mut extra: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (role, pairs) in &platform.builtin_seen {
        let plain: BTreeSet<(String, String)> = crate::builtin::rules(role, &Default::default())
            .iter()
            .flat_map(|r| {
                r.api_groups
                    .iter()
                    .flat_map(move |g| r.resources.iter().map(move |res| (g.clone(), res.clone())))
            })
            .collect();
        for (group, resource) in pairs.difference(&plain) {
            let viewer_extra = role == "viewer"
                && group.is_empty()
                && (resource == "secrets" || resource.starts_with("pods/"));
            if !viewer_extra {
                extra
                    .entry(group.clone())
                    .or_default()
                    .insert(resource.clone());
            }
        }
    }
    if let Some(viewer) = platform.builtin_seen.get("viewer") {
        let has = |r: &str| viewer.contains(&(String::new(), r.to_string()));
        policy.insert(
            "viewers".into(),
            serde_json::json!({ "secrets": has("secrets"), "exec": has("pods/exec") }),
        );
    }
    if !extra.is_empty() {
        policy.insert(
            "extraResources".into(),
            Value::Array(
                extra
                    .into_iter()
                    .map(|(g, r)| serde_json::json!({ "apiGroup": g, "resources": r }))
                    .collect(),
            ),
        );
    }
    for (field, allow) in [
        ("labels", &platform.label_allow),
        ("annotations", &platform.annotation_allow),
    ] {
        if !allow.is_empty() {
            policy.insert(field.into(), serde_json::json!({ "allow": allow }));
        }
    }
    spec.insert("policy".into(), Value::Object(policy));
    let mut defaults_map = serde_json::Map::new();
    if !defaults.quota.is_empty() {
        defaults_map.insert("quota".into(), serde_json::json!(defaults.quota));
    }
    if let Some(limits) = &defaults.limit_range {
        defaults_map.insert("limitRange".into(), limits.clone());
    }
    if !defaults.labels.is_empty() {
        defaults_map.insert("labels".into(), serde_json::json!(defaults.labels));
    }
    if !defaults.annotations.is_empty() {
        defaults_map.insert(
            "annotations".into(),
            serde_json::json!(defaults.annotations),
        );
    }
    if !defaults_map.is_empty() {
        spec.insert("defaults".into(), Value::Object(defaults_map));
    }
    if !defaults.network_policies.is_empty() {
        spec.insert(
            "networkPolicies".into(),
            Value::Array(defaults.network_policies.values().cloned().collect()),
        );
    }
    if !platform.custom.is_empty() {
        let roles: Vec<&TeamRole> = platform.custom.values().collect();
        spec.insert(
            "roles".into(),
            serde_json::to_value(roles).unwrap_or_default(),
        );
    }
    if !platform.existing.is_empty() {
        let roles: Vec<&ExistingRole> = platform.existing.values().collect();
        spec.insert(
            "existingRoles".into(),
            serde_json::to_value(roles).unwrap_or_default(),
        );
    }
    if !platform.cluster_bindings.is_empty() {
        spec.insert(
            "clusterBindings".into(),
            Value::Array(platform.cluster_bindings.clone()),
        );
    }
    let file = ConfigFile {
        api_version: crate::model::raw::API_VERSION,
        kind: "Config",
        spec: Value::Object(spec),
    };
    format!(
        "# yaml-language-server: $schema=schema/config.json\n# Imported by `rbacc import`.\n{}",
        serde_saphyr::to_string(&file).unwrap_or_default()
    )
}
