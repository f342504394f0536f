//! `rbacc report`: who can do what across teams, namespaces and clusters,
//! for auditors, from the declarations.
//!
//! **Input**: a [`Compilation`] that compiled with
//! [`Settings::explain`](crate::Settings) (so the analysis keeps every
//! origin, every risk finding, accepted ones too, and every binding with an
//! `expires:` date) and the day expiry is judged on. **Output**: an
//! [`AccessReport`]: per cluster, every team's namespaces and the roles
//! bound there; who can read Secrets, exec, create pods or escalate, where
//! and through which declaration; the risk findings with their `allow:`
//! reasons; the bindings that expire, by date. [`html`] renders it as one
//! self-contained page, [`AccessReport::json`] as JSON.
//!
//! Nothing is computed anew: the roles are the resolved `Org`'s, the risks
//! are the risk analysis's findings ([`crate::risk`], with the evaluator's
//! rule matching), and the platform's ClusterRoleBindings are judged by
//! the same [`crate::risk::findings_of`]. Everything is sorted, so the same
//! input gives the same bytes.

pub mod html;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diff::{RoleKind, RoleName};
use crate::model::{Org, RoleRef, Subject};
use crate::risk::{Level, Risk};
use crate::source::{Sources, Span};
use crate::{Compilation, clock};

/// The version of the JSON shape (`docs/output.md`); fields are only ever
/// added within a version.
pub const VERSION: u32 = 1;

/// The whole report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessReport {
    pub version: u32,
    /// The day expiry is judged on, `YYYY-MM-DD`.
    pub today: Option<String>,
    pub totals: Totals,
    pub clusters: Vec<ClusterAccess>,
    /// Who can read Secrets, exec, create pods or escalate: one entry per
    /// capability, in that order.
    pub capabilities: Vec<Capability>,
    /// Every risk finding, accepted ones too.
    pub findings: Vec<FindingEntry>,
    /// Bindings with an `expires:` date, soonest first.
    pub expiring: Vec<ExpiringEntry>,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub clusters: usize,
    pub teams: usize,
    pub namespaces: usize,
    pub subjects: usize,
    pub bindings: usize,
}

/// Where an entry comes from: a file, a line, and the declaration in
/// words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Declaration {
    pub file: String,
    /// 1-based; `None` when only the file is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub what: String,
}

impl Declaration {
    fn at(sources: &Sources, span: Span, what: String) -> Declaration {
        Declaration {
            file: sources.path(span.file).to_string(),
            line: Some(sources.line_col(span).0),
            what,
        }
    }

    /// `teams/payments.yaml:8`.
    pub fn location(&self) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file),
            None => self.file.clone(),
        }
    }
}

/// One cluster: every binding of every team namespace on it, and the
/// platform's ClusterRoleBindings.
#[derive(Debug, Serialize)]
pub struct ClusterAccess {
    pub name: String,
    pub rows: Vec<AccessRow>,
}

/// One binding: a role for subjects in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessRow {
    /// `None` for the platform's ClusterRoleBindings.
    pub team: Option<String>,
    /// `None` for every namespace (a ClusterRoleBinding).
    pub namespace: Option<String>,
    pub role: String,
    pub kind: RoleKind,
    pub binding: String,
    pub subjects: Vec<String>,
    pub declaration: Declaration,
}

/// Who holds one capability, where.
#[derive(Debug, Serialize)]
pub struct Capability {
    /// `secrets`, `pods-exec`, `pods-create`, `escalate`.
    pub id: &'static str,
    /// `read Secrets`.
    pub title: &'static str,
    /// The risks it gathers, by id.
    pub risks: Vec<&'static str>,
    pub entries: Vec<CapabilityEntry>,
}

/// A subject that holds a capability through one binding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CapabilityEntry {
    pub subject: String,
    pub team: Option<String>,
    pub namespace: Option<String>,
    pub clusters: Vec<String>,
    pub role: String,
    pub risk: &'static str,
    /// The request that shows it: `get secrets`.
    pub request: String,
    pub declaration: Declaration,
    /// `error`, `warning` or `allow`, as the policy (or an `allow:`
    /// entry) has it.
    pub level: &'static str,
    /// The `allow:` reason that accepts it, if any.
    pub reason: Option<String>,
}

/// One risk finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FindingEntry {
    pub team: Option<String>,
    pub namespace: String,
    pub risk: &'static str,
    /// What the subjects can do: `read Secrets`.
    pub can: &'static str,
    /// `error`, `warning` or `allow`, as the policy has it.
    pub level: &'static str,
    pub clusters: Vec<String>,
    pub binding: String,
    pub role: String,
    pub subjects: Vec<String>,
    pub request: String,
    pub declaration: Declaration,
    /// The `allow:` entry (or custom role) that accepts it.
    pub allowed: Option<Allowed>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Allowed {
    pub reason: String,
    pub at: String,
}

/// A binding that ends on a date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpiringEntry {
    pub expires: String,
    /// Days from `today` to the date.
    pub days_left: Option<i32>,
    pub team: String,
    pub namespace: String,
    pub clusters: Vec<String>,
    pub role: String,
    pub binding: String,
    pub subjects: Vec<String>,
    pub declaration: Declaration,
}

/// The capabilities of the report, and the risks each gathers.
const CAPABILITIES: &[(&str, &str, &[Risk])] = &[
    ("secrets", "read Secrets", &[Risk::Secrets]),
    ("pods-exec", "exec into pods", &[Risk::PodsExec]),
    ("pods-create", "create pods", &[Risk::PodsCreate]),
    (
        "escalate",
        "escalate",
        &[
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
        ],
    ),
];

/// `User alice`, `Group payments-devs`, `ServiceAccount payments-prod/ci`.
pub fn subject_name(subject: &Subject) -> String {
    match subject {
        Subject::User(u) => format!("User {u}"),
        Subject::Group(g) => format!("Group {g}"),
        Subject::ServiceAccount { namespace, name } => {
            format!("ServiceAccount {namespace}/{name}")
        }
    }
}

fn subject_names(subjects: &[Subject]) -> Vec<String> {
    let mut names: Vec<String> = subjects.iter().map(subject_name).collect();
    names.sort();
    names.dedup();
    names
}

impl AccessReport {
    /// The report of a compilation with [`Settings::explain`](crate::Settings);
    /// `None` when it did not compile.
    pub fn of(compilation: &Compilation, today: Option<clock::Date>) -> Option<AccessReport> {
        let resolved = compilation.resolved.as_ref()?;
        let org = &resolved.org;
        let analysis = &resolved.analysis;
        let sources = &compilation.sources;

        // Who owns each namespace, and on which clusters it is.
        let mut owner: BTreeMap<&str, (&str, &[String])> = BTreeMap::new();
        for team in &org.teams {
            for ns in &team.namespaces {
                owner.insert(&ns.name, (&team.name, &ns.clusters));
            }
        }
        let origin: BTreeMap<(&str, &str), Declaration> = analysis
            .origins
            .iter()
            .filter(|o| o.kind == "RoleBinding")
            .filter_map(|o| {
                let ns = o.namespace.as_deref()?;
                Some((
                    (ns, o.name.as_str()),
                    Declaration::at(sources, o.span, o.what.clone()),
                ))
            })
            .rev()
            .collect();
        let declared = |ns: &str, binding: &str, span: Span| {
            origin
                .get(&(ns, binding))
                .cloned()
                .unwrap_or_else(|| Declaration::at(sources, span, format!("binding `{binding}`")))
        };

        let clusters = org
            .clusters
            .iter()
            .map(|c| ClusterAccess {
                name: c.name.clone(),
                rows: cluster_rows(org, &c.name, &origin),
            })
            .collect();

        let mut findings: Vec<FindingEntry> = analysis
            .findings
            .iter()
            .map(|f| {
                let (team, clusters) = owner
                    .get(f.namespace.as_str())
                    .map_or((None, Vec::new()), |(t, c)| {
                        (Some(t.to_string()), c.to_vec())
                    });
                FindingEntry {
                    team,
                    namespace: f.namespace.clone(),
                    risk: f.risk.id(),
                    can: f.risk.can(),
                    level: if f.allowed.is_some() {
                        Level::Allow.as_str()
                    } else {
                        f.level.as_str()
                    },
                    clusters,
                    binding: f.binding.clone(),
                    role: f.role.clone(),
                    subjects: subject_names(&f.subjects),
                    request: f.request.clone(),
                    declaration: declared(&f.namespace, &f.binding, f.span),
                    allowed: f.allowed.as_ref().map(|accepted| Allowed {
                        reason: accepted.reason.clone(),
                        at: match accepted.at {
                            Some(span) => Declaration::at(sources, span, String::new()).location(),
                            None => "policy.builtinRoles (default)".to_string(),
                        },
                    }),
                }
            })
            .collect();
        findings.sort();
        findings.dedup();

        let mut capabilities: Vec<Capability> = CAPABILITIES
            .iter()
            .map(|(id, title, risks)| Capability {
                id,
                title,
                risks: risks.iter().map(|r| r.id()).collect(),
                entries: Vec::new(),
            })
            .collect();
        let mut add = |risk: Risk, entry: CapabilityEntry| {
            if let Some(c) = CAPABILITIES
                .iter()
                .position(|(_, _, risks)| risks.contains(&risk))
            {
                capabilities[c].entries.push(entry);
            }
        };
        for f in &findings {
            let Some(risk) = Risk::from_id(f.risk) else {
                continue;
            };
            for subject in &f.subjects {
                add(
                    risk,
                    CapabilityEntry {
                        subject: subject.clone(),
                        team: f.team.clone(),
                        namespace: Some(f.namespace.clone()),
                        clusters: f.clusters.clone(),
                        role: f.role.clone(),
                        risk: f.risk,
                        request: f.request.clone(),
                        declaration: f.declaration.clone(),
                        level: f.level,
                        reason: f.allowed.as_ref().map(|a| a.reason.clone()),
                    },
                );
            }
        }
        for binding in &org.cluster_bindings {
            let rules = role_rules(org, &binding.cluster_role);
            let mut risks: Vec<(Risk, String)> = crate::risk::findings_of(&rules, "")
                .into_iter()
                .chain(crate::risk::cluster_risks_of(&rules))
                .map(|m| (m.risk, m.request))
                .collect();
            risks.push((Risk::ClusterBinding, "every namespace".to_string()));
            for (risk, request) in risks {
                for subject in subject_names(&binding.subjects) {
                    add(
                        risk,
                        CapabilityEntry {
                            subject,
                            team: None,
                            namespace: None,
                            clusters: binding.clusters.clone(),
                            role: binding.cluster_role.clone(),
                            risk: risk.id(),
                            request: request.clone(),
                            declaration: Declaration {
                                file: binding.source.clone(),
                                line: None,
                                what: format!("`spec.clusterBindings` `{}`", binding.name),
                            },
                            level: Level::Allow.as_str(),
                            reason: None,
                        },
                    );
                }
            }
        }
        for c in &mut capabilities {
            c.entries.sort();
            c.entries.dedup();
        }

        let mut expiring: Vec<ExpiringEntry> = analysis
            .expiring
            .iter()
            .map(|e| ExpiringEntry {
                expires: e.expires.clone(),
                days_left: today
                    .zip(clock::parse_date(&e.expires).ok())
                    .map(|(t, d)| clock::days_until(t, d)),
                team: e.team.clone(),
                namespace: e.namespace.clone(),
                clusters: owner
                    .get(e.namespace.as_str())
                    .map_or_else(Vec::new, |(_, c)| c.to_vec()),
                role: e.role.clone(),
                binding: e.binding.clone(),
                subjects: subject_names(&e.subjects),
                declaration: Declaration::at(sources, e.span, e.what.clone()),
            })
            .collect();
        expiring.sort();
        expiring.dedup();

        let mut subjects = BTreeSet::new();
        let mut bindings = 0;
        for team in &org.teams {
            for ns in &team.namespaces {
                for b in &ns.bindings {
                    bindings += 1;
                    subjects.extend(b.subjects.iter());
                }
            }
        }
        for b in &org.cluster_bindings {
            bindings += 1;
            subjects.extend(b.subjects.iter());
        }
        Some(AccessReport {
            version: VERSION,
            today: today.map(|d| d.to_string()),
            totals: Totals {
                clusters: org.clusters.len(),
                teams: org.teams.len(),
                namespaces: owner.len(),
                subjects: subjects.len(),
                bindings,
            },
            clusters,
            capabilities,
            findings,
            expiring,
        })
    }

    /// The report as JSON (`docs/output.md`).
    pub fn json(&self) -> String {
        crate::text::json(self)
    }
}

/// The rows of one cluster: every team binding on it, then the platform's
/// ClusterRoleBindings.
fn cluster_rows(
    org: &Org,
    cluster: &str,
    origin: &BTreeMap<(&str, &str), Declaration>,
) -> Vec<AccessRow> {
    let mut rows = Vec::new();
    for (team, ns) in org.namespaces_on(cluster) {
        for b in &ns.bindings {
            let role = RoleName::of_ref(&b.role, org);
            rows.push(AccessRow {
                team: Some(team.name.clone()),
                namespace: Some(ns.name.clone()),
                role: role.name,
                kind: role.kind,
                binding: b.name.clone(),
                subjects: subject_names(&b.subjects),
                declaration: origin
                    .get(&(ns.name.as_str(), b.name.as_str()))
                    .cloned()
                    .unwrap_or_else(|| Declaration {
                        file: team.source.clone(),
                        line: None,
                        what: format!("binding `{}`", b.name),
                    }),
            });
        }
    }
    for b in org
        .cluster_bindings
        .iter()
        .filter(|b| b.clusters.iter().any(|c| c == cluster))
    {
        let role = RoleName::of_ref(&RoleRef::ClusterRole(b.cluster_role.clone()), org);
        rows.push(AccessRow {
            team: None,
            namespace: None,
            role: role.name,
            kind: role.kind,
            binding: b.object_name(),
            subjects: subject_names(&b.subjects),
            declaration: Declaration {
                file: b.source.clone(),
                line: None,
                what: format!("`spec.clusterBindings` `{}`", b.name),
            },
        });
    }
    rows.sort();
    rows
}

/// The rules of a ClusterRole by its object name: rbacc's, an existing
/// one's as assumed, or `cluster-admin`'s.
fn role_rules(org: &Org, object: &str) -> Vec<crate::model::Rule> {
    org.roles
        .iter()
        .chain(&org.existing_roles)
        .find(|r| r.object_name() == object)
        .map(|r| r.rules.clone())
        .unwrap_or_else(|| {
            if object == "cluster-admin" {
                crate::risk::cluster_admin_rules()
            } else {
                Vec::new()
            }
        })
}
