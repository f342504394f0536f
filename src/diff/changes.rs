//! The summary counts and the warnings of a diff.
//!
//! A warning's text is a [`Message`]: rbacc's words and the values it
//! names (names, paths, reasons: anything a pull request can write) kept
//! apart, so that each format escapes values for where they land.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::diag::{Code, Severity};
use crate::load::InputFile;

use super::access::AccessChanges;
use super::compile::Outputs;
use super::{ClusterSummary, Counts, FileChange, Status, Warning};
use crate::Compilation;
use crate::json::Canonical;
use crate::layout::OutFile;
use crate::yaml;

/// A warning's text, piece by piece. Serialized (in the JSON report) as
/// its [plain](Message::plain) text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message(Vec<Piece>);

/// One piece of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// rbacc's words, or text that mixes them with values (a diagnostic's
    /// message outside its backticks).
    Words(String),
    /// A name or key: in backticks in plain text, code in markdown.
    Code(String),
    /// A value shown as it is in plain text (a path, a cluster, a setting,
    /// a reason): code in markdown.
    Value(String),
}

impl Message {
    pub fn new() -> Message {
        Message::default()
    }

    /// Appends rbacc's words.
    pub fn words(mut self, s: impl Into<String>) -> Message {
        self.0.push(Piece::Words(s.into()));
        self
    }

    /// Appends a name or key.
    pub fn code(mut self, s: impl Into<String>) -> Message {
        self.0.push(Piece::Code(s.into()));
        self
    }

    /// Appends a value shown as it is in plain text.
    pub fn value(mut self, s: impl Into<String>) -> Message {
        self.0.push(Piece::Value(s.into()));
        self
    }

    /// Appends text that marks names with backticks, as diagnostics'
    /// messages do: the parts between backticks are names. A name that
    /// holds a backtick shifts the pairing, never the escaping: every part
    /// is still escaped as words or as code.
    pub fn marked(mut self, s: &str) -> Message {
        for (i, part) in s.split('`').enumerate() {
            self = if i % 2 == 1 {
                self.code(part)
            } else if part.is_empty() {
                self
            } else {
                self.words(part)
            };
        }
        self
    }

    pub fn pieces(&self) -> &[Piece] {
        &self.0
    }

    /// The text with names in backticks, values as they are.
    pub fn plain(&self) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Words(s) | Piece::Value(s) => out.push_str(s),
                Piece::Code(s) => {
                    out.push('`');
                    out.push_str(s);
                    out.push('`');
                }
            }
        }
        out
    }
}

impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.plain())
    }
}

/// Argo CD's annotation that keeps a resource when it leaves the manifests.
const ARGO_SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";
/// Flux's annotation that keeps a resource when it leaves the manifests.
const FLUX_PRUNE: &str = "kustomize.toolkit.fluxcd.io/prune";

/// An object's identity in a cluster: kind, namespace (empty for
/// cluster-scoped objects), name.
pub(super) type Key = (String, String, String);

/// One object of a file, as far as the summary looks at it: a Namespace
/// whole (its labels and annotations are compared), any other object by a
/// digest of its value. Equal digests are equal objects; keeping digests,
/// not values, holds the summary of a large change to a few bytes per
/// object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Object {
    Namespace(Value),
    Other([u8; 32]),
}

impl Object {
    fn namespace(&self) -> Option<&Value> {
        match self {
            Object::Namespace(value) => Some(value),
            Object::Other(_) => None,
        }
    }
}

/// The objects of one file, by key.
pub(super) type Objects = BTreeMap<Key, Object>;

/// The objects of a file that holds objects ([`OutFile::holds_objects`]),
/// from the values emission kept.
pub(super) fn objects(values: &[Canonical]) -> Objects {
    /// What identifies an object; the rest of its text is skipped.
    #[derive(serde::Deserialize)]
    struct Identity {
        kind: String,
        metadata: Metadata,
    }
    #[derive(serde::Deserialize)]
    struct Metadata {
        name: String,
        namespace: Option<String>,
    }
    values
        .iter()
        .filter_map(|text| {
            let Identity { kind, metadata } = text.decode().ok()?;
            let key = (kind, metadata.namespace.unwrap_or_default(), metadata.name);
            let object = if key.0 == "Namespace" {
                Object::Namespace(text.value())
            } else {
                use sha2::Digest;
                // Canonical text: the same object always writes the same
                // bytes.
                Object::Other(sha2::Sha256::digest(text.as_str()).into())
            };
            Some((key, object))
        })
        .collect()
}

/// `<cluster>/kubeconfigs/<team>.yaml`.
fn is_kubeconfig(path: &str) -> bool {
    matches!(OutFile::parse(path), Some(OutFile::Kubeconfig { .. }))
}

/// Counts per cluster, and the warnings about namespaces.
pub fn summarize(
    clusters: &[String],
    files: &[FileChange],
    outputs: &Outputs,
) -> (Vec<ClusterSummary>, Vec<Warning>) {
    let mut summary: BTreeMap<&str, ClusterSummary> = clusters
        .iter()
        .map(|c| {
            (
                c.as_str(),
                ClusterSummary {
                    cluster: c.clone(),
                    ..ClusterSummary::default()
                },
            )
        })
        .collect();
    // Objects of the changed files, per cluster: an object that moved from
    // one file to another (a namespace moved between teams) is one object.
    type Sides<'a> = (BTreeMap<&'a Key, &'a Object>, BTreeMap<&'a Key, &'a Object>);
    let mut objects: BTreeMap<&str, Sides> = BTreeMap::new();
    for file in files {
        let old = outputs.base.objects.get(&file.path).into_iter().flatten();
        let new = outputs.head.objects.get(&file.path).into_iter().flatten();
        let entry = summary
            .entry(file.cluster())
            .or_insert_with(|| ClusterSummary {
                cluster: file.cluster().to_string(),
                ..ClusterSummary::default()
            });
        entry.files.add(file.status());
        if is_kubeconfig(&file.path) {
            entry.kubeconfigs.add(file.status());
        }
        let sides = objects.entry(file.cluster()).or_default();
        sides.0.extend(old);
        sides.1.extend(new);
    }
    let mut warnings = Vec::new();
    for (cluster, (old, new)) in &objects {
        let entry = summary.get_mut(cluster).expect("entered above");
        let keys: BTreeSet<&Key> = old.keys().chain(new.keys()).copied().collect();
        for key in keys {
            let status = match (old.get(key), new.get(key)) {
                (Some(a), Some(b)) if a == b => continue,
                (Some(_), Some(_)) => Status::Changed,
                (None, _) => Status::Added,
                (_, None) => Status::Removed,
            };
            let counts: Option<&mut Counts> = match key.0.as_str() {
                "Namespace" => Some(&mut entry.namespaces),
                "RoleBinding" | "ClusterRoleBinding" => Some(&mut entry.bindings),
                "Role" | "ClusterRole" => Some(&mut entry.roles),
                _ => None,
            };
            if let Some(counts) = counts {
                counts.add(status);
            }
            if key.0 != "Namespace" {
                continue;
            }
            let name = &key.2;
            let was = old.get(key).and_then(|o| o.namespace()).map(protection);
            let is = new.get(key).and_then(|o| o.namespace()).map(protection);
            match (was, is) {
                (Some(was), None) => {
                    let leaves = Message::new()
                        .words("namespace ")
                        .code(name)
                        .words(" leaves ")
                        .value(*cluster);
                    let message = if let Some(how) = &was {
                        leaves
                            .words("; it is protected from pruning (")
                            .marked(how)
                            .words("), so Argo CD and Flux leave it and its workloads running: delete it by hand once it is empty")
                    } else {
                        leaves.words(" and is NOT protected from pruning: Argo CD or Flux with pruning on will delete it and everything in it")
                    };
                    warnings.push(Warning {
                        cluster: Some(cluster.to_string()),
                        namespace: Some(name.clone()),
                        protected: Some(was.is_some()),
                        ..Warning::new("namespace-removed", message)
                    });
                }
                (Some(Some(_)), Some(None)) => warnings.push(Warning {
                    cluster: Some(cluster.to_string()),
                    namespace: Some(name.clone()),
                    protected: Some(false),
                    ..Warning::new(
                        "namespace-unprotected",
                        Message::new()
                            .words("namespace ")
                            .code(name)
                            .words(" on ")
                            .value(*cluster)
                            .words(
                                " loses its protection from pruning: removing it later deletes it",
                            ),
                    )
                }),
                _ => {}
            }
            if let (Some(a), Some(b)) = (
                old.get(key).and_then(|o| o.namespace()),
                new.get(key).and_then(|o| o.namespace()),
            ) {
                let changes = label_changes(a, b);
                if changes.is_empty() {
                    continue;
                }
                let mut message = Message::new()
                    .words("namespace ")
                    .code(name)
                    .words(" on ")
                    .value(*cluster)
                    .words(" changes labels (");
                for (i, (key, was, is)) in changes.into_iter().enumerate() {
                    if i > 0 {
                        message = message.words(", ");
                    }
                    message = match (was, is) {
                        (None, Some(v)) => message.words("+").code(format!("{key}={v}")),
                        (Some(a), Some(b)) => {
                            message.code(key).words(": ").code(a).words(" → ").code(b)
                        }
                        _ => message.words("−").code(key),
                    };
                }
                warnings.push(Warning {
                    cluster: Some(cluster.to_string()),
                    namespace: Some(name.clone()),
                    ..Warning::new(
                        "namespace-labels",
                        message.words(
                            "): controllers that select namespaces by label (admission, meshes, network policies) may treat it differently",
                        ),
                    )
                });
            }
        }
        warnings.extend(renames(cluster, old, new));
    }
    (summary.into_values().collect(), warnings)
}

/// A warning for each team that, on one cluster, loses namespaces and gains
/// others: what a rename looks like, which moves nothing.
fn renames(
    cluster: &str,
    old: &BTreeMap<&Key, &Object>,
    new: &BTreeMap<&Key, &Object>,
) -> Vec<Warning> {
    let team_of = |object: &Object| -> Option<String> {
        object.namespace()?["metadata"]["labels"]["rbacc.dev/team"]
            .as_str()
            .map(String::from)
    };
    // team -> (namespaces gone, namespaces new)
    let mut by_team: BTreeMap<String, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    for (side, here, there) in [(0, old, new), (1, new, old)] {
        for (key, object) in here {
            if key.0 != "Namespace" || there.contains_key(key) {
                continue;
            }
            if let Some(team) = team_of(object) {
                let entry = by_team.entry(team).or_default();
                match side {
                    0 => entry.0.push(&key.2),
                    _ => entry.1.push(&key.2),
                }
            }
        }
    }
    let list = |mut message: Message, names: &[&str]| {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                message = message.words(", ");
            }
            message = message.code(*name);
        }
        message
    };
    by_team
        .into_iter()
        .filter(|(_, (gone, added))| !gone.is_empty() && !added.is_empty())
        .map(|(team, (gone, added))| {
            let message = list(Message::new().words("team ").code(&team).words(" on ").value(cluster).words(" loses "), &gone);
            let message = list(message.words(" and gains "), &added).words(
                ": if this is a rename, nothing moves: the workloads, volumes and Secrets stay in the old namespace and the new one starts empty",
            );
            Warning {
                cluster: Some(cluster.to_string()),
                namespace: gone.first().map(|n| n.to_string()),
                ..Warning::new("namespace-renamed", message)
            }
        })
        .collect()
}

/// One warning when a change touches the files of several teams: each
/// team's owners review their part, and a change meant for one team rarely
/// needs another's file.
pub fn several_teams(base: &[InputFile], head: &[InputFile]) -> Option<Warning> {
    let team = |file: &InputFile| -> String {
        declaration(file)
            .and_then(|v| v.get("metadata")?.get("name")?.as_str().map(String::from))
            .unwrap_or_else(|| file.path.clone())
    };
    let before: BTreeMap<&str, &InputFile> = base.iter().map(|f| (f.path.as_str(), f)).collect();
    let after: BTreeMap<&str, &InputFile> = head.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut teams = BTreeSet::new();
    for path in before.keys().chain(after.keys()) {
        match (before.get(path), after.get(path)) {
            (Some(a), Some(b)) if a.contents == b.contents => {}
            (a, b) => {
                teams.extend(a.map(|f| team(f)));
                teams.extend(b.map(|f| team(f)));
            }
        }
    }
    if teams.len() < 2 {
        return None;
    }
    let mut message = Message::new().words(format!(
        "this change touches the files of {} teams (",
        teams.len()
    ));
    for (i, team) in teams.iter().enumerate() {
        if i > 0 {
            message = message.words(", ");
        }
        message = message.code(team);
    }
    Some(Warning::new(
        "several-teams",
        message.words("): each team's owners review their own part; split it if one team's change does not need the others'"),
    ))
}

/// The labels that differ between two versions of a Namespace, by key:
/// `(key, before, after)`, `None` where the label is absent.
fn label_changes(old: &Value, new: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let labels = |ns: &Value| -> BTreeMap<String, String> {
        ns.get("metadata")
            .and_then(|m| m.get("labels"))
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (labels(old), labels(new));
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    keys.into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| (k.clone(), old.get(k).cloned(), new.get(k).cloned()))
        .collect()
}

/// How a Namespace object is protected from pruning, if it is:
/// `Delete=false`, `prune: disabled` or both.
fn protection(namespace: &Value) -> Option<String> {
    let annotation = |key: &str| {
        namespace
            .get("metadata")
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(key))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let argo = annotation(ARGO_SYNC_OPTIONS)
        .is_some_and(|v| v.split(',').any(|o| o.trim() == "Delete=false"));
    let flux = annotation(FLUX_PRUNE).is_some_and(|v| v == "disabled");
    match (argo, flux) {
        (true, true) => Some(format!(
            "`{ARGO_SYNC_OPTIONS}: Delete=false`, `{FLUX_PRUNE}: disabled`"
        )),
        (true, false) => Some(format!("`{ARGO_SYNC_OPTIONS}: Delete=false`")),
        (false, true) => Some(format!("`{FLUX_PRUNE}: disabled`")),
        (false, false) => None,
    }
}

/// One warning when subjects or roles gain escalation-grade access.
pub fn escalations(access: &AccessChanges) -> Option<Warning> {
    let subjects = access.subjects.iter().filter(|s| s.escalates()).count();
    let roles: Vec<&str> = access
        .roles
        .iter()
        .filter(|r| r.gains.iter().any(|p| p.escalation().is_some()))
        .map(|r| r.role.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if subjects == 0 && roles.is_empty() {
        return None;
    }
    let mut message = Message::new();
    if subjects > 0 {
        let who = if subjects == 1 {
            "subject gains"
        } else {
            "subjects gain"
        };
        message = message.words(format!("{subjects} {who} escalation-grade access"));
    }
    if !roles.is_empty() {
        let (noun, verb) = if roles.len() == 1 {
            ("role", "gains")
        } else {
            ("roles", "gain")
        };
        if subjects > 0 {
            message = message.words("; ");
        }
        message = message.words(format!("{noun} "));
        for (i, role) in roles.iter().enumerate() {
            if i > 0 {
                message = message.words(", ");
            }
            message = message.code(*role);
        }
        message = message.words(format!(" {verb} escalation-grade permissions"));
    }
    let reasons: BTreeSet<&str> = access
        .subjects
        .iter()
        .flat_map(|s| s.changes.iter().flat_map(|c| c.gains.iter()))
        .chain(access.roles.iter().flat_map(|r| r.gains.iter()))
        .filter_map(|p| p.escalation())
        .collect();
    Some(Warning::new(
        "escalation",
        message.words(format!(
            " ({}): see the access changes",
            reasons.into_iter().collect::<Vec<_>>().join(", ")
        )),
    ))
}

/// Risky-grant, access-risk, privileged-namespace and network-risk
/// warnings of the head that the base did not have.
pub fn risky_grants(base: Option<&Compilation>, head: &Compilation) -> Vec<Warning> {
    let risky = |code: Code| {
        matches!(
            code,
            Code::RiskyGrant | Code::AccessRisk | Code::PrivilegedNamespace | Code::NetworkRisk
        )
    };
    // A risk finding names the namespaces it reaches; the same subject with
    // the same risk in other namespaces is not new (the access changes show
    // where).
    let key = |d: &'_ crate::diag::Diagnostic| -> String {
        match d.message.rsplit_once(" in namespace") {
            Some((what, _)) if d.code == Code::AccessRisk => what.to_string(),
            _ => d.message.clone(),
        }
    };
    let known: BTreeSet<(Code, &str, String)> = base
        .map(|b| {
            b.diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning && risky(d.code))
                .map(|d| (d.code, b.sources.path(d.primary.span.file), key(d)))
                .collect()
        })
        .unwrap_or_default();
    head.diagnostics
        .sorted(&head.sources)
        .into_iter()
        .filter(|d| d.severity == Severity::Warning && risky(d.code))
        .filter(|d| !known.contains(&(d.code, head.sources.path(d.primary.span.file), key(d))))
        .map(|d| {
            let path = head.sources.path(d.primary.span.file);
            let (line, _) = head.sources.line_col(d.primary.span);
            Warning {
                location: Some(format!("{path}:{line}")),
                ..Warning::new(
                    "risky-grant",
                    Message::new()
                        .value(format!("{path}:{line}"))
                        .words(": ")
                        .marked(&d.message)
                        .words(format!(" ({})", d.code)),
                )
            }
        })
        .collect()
}

/// Risk findings of the head that `policy.builtinRoles` (or its default)
/// accepts and the base did not have: bindings of a built-in role that
/// give what the platform accepts once for every team. Not warnings in a
/// build, but what the change widens, for its reviewers. One per
/// declaration and risk, as `check` reports findings.
pub fn accepted_by_platform(base: Option<&Compilation>, head: &Compilation) -> Vec<Warning> {
    use crate::validate::analysis::{Finding, subjects_text};
    type Key = (String, String, &'static str);
    let key = |c: &Compilation, f: &Finding| -> Key {
        (
            c.sources.path(f.span.file).to_string(),
            subjects_text(&f.subjects),
            f.risk.id(),
        )
    };
    fn accepted(c: &Compilation) -> Vec<&Finding> {
        c.resolved
            .as_ref()
            .map(|r| {
                r.analysis
                    .findings
                    .iter()
                    .filter(|f| f.builtin_accepted)
                    .collect()
            })
            .unwrap_or_default()
    }
    let known: BTreeSet<Key> = base
        .map(|b| accepted(b).into_iter().map(|f| key(b, f)).collect())
        .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in accepted(head) {
        let k = key(head, f);
        if known.contains(&k) || !seen.insert(k.clone()) {
            continue;
        }
        let (line, _) = head.sources.line_col(f.span);
        let location = format!("{}:{line}", k.0);
        let reason = f
            .allowed
            .as_ref()
            .map(|a| a.reason.as_str())
            .unwrap_or_default();
        out.push(Warning {
            location: Some(location.clone()),
            ..Warning::new(
                "accepted-risk",
                Message::new()
                    .value(&location)
                    .words(": ")
                    .marked(&format!("{} can {}", k.1, f.risk.can()))
                    .words(", accepted for the built-in ")
                    .code(f.role.as_str())
                    .words(" by ")
                    .code(format!("policy.builtinRoles.{}", f.role))
                    .words(": \"")
                    .value(reason)
                    .words("\""),
            )
        });
    }
    out
}

/// `spec.allow` entries of team files that the base did not have: risks a
/// team accepts on purpose, which its reviewers should read with the reason.
pub fn accepted_risks(base: &[InputFile], head: &[InputFile]) -> Vec<Warning> {
    let entries = |file: &InputFile| -> Vec<Value> {
        declaration(file)
            .and_then(|v| v.get("spec")?.get("allow")?.as_array().cloned())
            .unwrap_or_default()
    };
    let before: BTreeMap<&str, &InputFile> = base.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut warnings = Vec::new();
    for file in head {
        // A file the same on both sides accepts nothing new; only changed
        // files are read (at 10,000 teams, reading all was most of a diff).
        let old = before.get(file.path.as_str());
        if old.is_some_and(|old| old.contents == file.contents) {
            continue;
        }
        let known = old.map(|old| entries(old));
        for entry in entries(file) {
            if known.as_ref().is_some_and(|k| k.contains(&entry)) {
                continue;
            }
            let text = |key: &str| entry.get(key).and_then(Value::as_str).unwrap_or_default();
            let mut message = Message::new()
                .value(&file.path)
                .words(": the team accepts risk ")
                .code(text("risk"));
            if !text("role").is_empty() {
                message = message.words(" through ").code(text("role"));
            }
            if !text("networkPolicy").is_empty() {
                message = message
                    .words(" for NetworkPolicy ")
                    .code(text("networkPolicy"));
            }
            warnings.push(Warning::new(
                "accepted-risk",
                message.words(": \"").value(text("reason")).words("\""),
            ));
        }
    }
    warnings
}

/// A declaration file's document as read by the compiler's parser (so
/// with its limits, and no tag or merge key), or `None` if it does not
/// read.
fn declaration(file: &InputFile) -> Option<Value> {
    let text = std::str::from_utf8(file.contents.as_ref().ok()?).ok()?;
    let documents = yaml::documents(text, &yaml::DECLARATIONS).ok()?;
    documents.into_iter().next().map(|doc| doc.value)
}

/// Changes to `rbacc.yaml` that change what is allowed: every setting under
/// `spec.policy` and `spec.defaults`, and custom roles, clusters and the
/// NetworkPolicies of every team namespace added, removed or changed.
pub fn policy(base: Option<&InputFile>, head: Option<&InputFile>) -> Vec<Warning> {
    let spec = |file: Option<&InputFile>| -> Value {
        file.and_then(declaration)
            .and_then(|v| v.get("spec").cloned())
            .unwrap_or(Value::Null)
    };
    let (old, new) = (spec(base), spec(head));
    if old == new {
        return Vec::new();
    }
    let mut warnings = Vec::new();
    for section in ["policy", "defaults"] {
        let mut before = BTreeMap::new();
        let mut after = BTreeMap::new();
        leaves(section, old.get(section), &mut before);
        leaves(section, new.get(section), &mut after);
        let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
        for key in keys {
            let (b, a) = (before.get(key), after.get(key));
            if b == a {
                continue;
            }
            let show = |m: Message, v: Option<&String>| match v {
                Some(v) => m.value(v),
                None => m.words("(default)"),
            };
            let message = Message::new()
                .words("rbacc.yaml: ")
                .code(key.as_str())
                .words(" changes from ");
            let message = show(show(message, b).words(" to "), a);
            warnings.push(Warning::new("policy", message));
        }
    }
    for (section, what) in [
        ("roles", "custom role"),
        ("clusters", "cluster"),
        ("networkPolicies", "NetworkPolicy"),
    ] {
        let named = |v: &Value| -> BTreeMap<String, Value> {
            v.get(section)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| {
                            let name = item.get("name")?.as_str()?.to_string();
                            Some((name, item.clone()))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (b, a) = (named(&old), named(&new));
        let names: BTreeSet<&String> = b.keys().chain(a.keys()).collect();
        for name in names {
            let change = match (b.get(name), a.get(name)) {
                (Some(x), Some(y)) if x == y => continue,
                (Some(_), Some(_)) => "changes",
                (None, _) => "is added",
                (_, None) => "is removed",
            };
            warnings.push(Warning::new(
                "policy",
                Message::new()
                    .words(format!("rbacc.yaml: {what} "))
                    .code(name.as_str())
                    .words(format!(" {change}")),
            ));
        }
    }
    if old.get("kubeconfig") != new.get("kubeconfig") {
        warnings.push(Warning::new(
            "policy",
            Message::new()
                .words("rbacc.yaml: the ")
                .code("kubeconfig")
                .words(" settings change"),
        ));
    }
    warnings
}

/// The leaves of a settings tree as `path -> value` (lists and scalars as
/// compact JSON).
fn leaves(path: &str, value: Option<&Value>, out: &mut BTreeMap<String, String>) {
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, v) in map {
                leaves(&format!("{path}.{key}"), Some(v), out);
            }
        }
        Some(other) => {
            out.insert(path.to_string(), other.to_string());
        }
    }
}
