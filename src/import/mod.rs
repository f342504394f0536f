//! `rbacc import`: existing manifests (a live dump or a repository of
//! hand-written namespaces) into declarations, then compiled back and
//! compared with what was read.
//!
//! Pure: [`declare`] turns the [`Cluster`]s read from each `--cluster
//! NAME=PATH` into the files of a new repository and what it could not
//! carry over; [`compare`] checks, cluster by cluster, that the compiled
//! result is equivalent to the input (namespaces, their labels and
//! annotations, quotas, limit ranges, NetworkPolicies, and the effective
//! access of every subject, asked of the evaluator on both sides). The
//! binary reads the manifests, writes the files and compiles them.
//!
//! How objects map (see `declare.rs`):
//! - a namespace belongs to the team its `--team-key` label or annotation
//!   names, otherwise to the team of the namespaces bound to the same
//!   people (service accounts aside);
//! - a binding to a ClusterRole stays a reference to it
//!   (`spec.existingRoles`, with the role's rules as the dump holds them);
//!   a Role becomes a team role, identical ones merged; a ClusterRoleBinding
//!   becomes one of the platform's `spec.clusterBindings`;
//! - what every imported namespace shares becomes `spec.defaults` or the
//!   platform's NetworkPolicies; who is bound alike in every namespace of a
//!   team becomes a member, the rest per-namespace grants.

mod compare;
mod declare;

pub use compare::{Difference, compare};
pub use declare::{Declared, declare};

use serde::Serialize;

use crate::live::{Duplicate, ObjectKey, Skipped};

/// The report of an import: what was left out, merged or renamed, and what
/// differs between the input and the compiled result.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Teams written, with their namespaces.
    pub teams: Vec<TeamReport>,
    /// Objects of kinds rbacc does not manage, per cluster.
    pub not_imported: Vec<NotImported>,
    /// Objects of a managed kind that are not carried over, with why.
    pub left_out: Vec<LeftOut>,
    /// Objects met more than once in the input: the last one read is kept.
    pub duplicates: Vec<ClusterDuplicate>,
    /// Objects carried over under another name or merged into one.
    pub renamed: Vec<Renamed>,
    /// Risks the input already held, accepted in the declarations with a
    /// reason that asks for review.
    pub accepted_risks: Vec<String>,
    /// Where the compiled result differs from the input: the aim is none.
    pub differences: Vec<Difference>,
    /// What the platform still has to fill in (cluster servers).
    pub to_do: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamReport {
    pub name: String,
    pub file: String,
    pub namespaces: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NotImported {
    pub cluster: String,
    #[serde(flatten)]
    pub object: Skipped,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LeftOut {
    pub cluster: String,
    pub object: ObjectKey,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ClusterDuplicate {
    pub cluster: String,
    #[serde(flatten)]
    pub duplicate: Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Renamed {
    pub cluster: String,
    pub object: ObjectKey,
    /// What rbacc writes instead (`RoleBinding payments-prod/payments-edit`).
    pub becomes: String,
}

impl Report {
    /// The report as text: differences first, then what needs review.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let v = |s: &str| crate::text::visible(s).into_owned();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "rbacc import: {} teams, {} namespaces",
            self.teams.len(),
            self.teams.iter().map(|t| t.namespaces.len()).sum::<usize>()
        );
        let section = |out: &mut String, title: &str, lines: Vec<String>| {
            if lines.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n{title} ({})", lines.len());
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        };
        if self.differences.is_empty() {
            out.push_str(
                "\nno differences: the declarations compile to the same namespaces, metadata, quotas, limits, NetworkPolicies and access\n",
            );
        }
        section(
            &mut out,
            "Differences between the input and the compiled declarations",
            self.differences
                .iter()
                .map(|d| format!("{}: {}: {}", v(&d.cluster), d.object.label(), v(&d.what)))
                .collect(),
        );
        section(
            &mut out,
            "Risks the input held, accepted for review",
            self.accepted_risks.iter().map(|r| v(r)).collect(),
        );
        section(
            &mut out,
            "Left out",
            self.left_out
                .iter()
                .map(|l| format!("{}: {}: {}", v(&l.cluster), l.object.label(), v(&l.why)))
                .collect(),
        );
        section(
            &mut out,
            "Duplicates in the input (the last one read is kept)",
            self.duplicates
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} in {}",
                        v(&d.cluster),
                        d.duplicate.object.label(),
                        d.duplicate
                            .files
                            .iter()
                            .map(|f| v(f))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
                .collect(),
        );
        section(
            &mut out,
            "Renamed or merged",
            self.renamed
                .iter()
                .map(|r| {
                    format!(
                        "{}: {} → {}",
                        v(&r.cluster),
                        r.object.label(),
                        v(&r.becomes)
                    )
                })
                .collect(),
        );
        let mut kinds: std::collections::BTreeMap<(&str, &str), usize> = Default::default();
        for n in &self.not_imported {
            *kinds
                .entry((&n.cluster, &n.object.object.kind))
                .or_default() += 1;
        }
        section(
            &mut out,
            "Not imported: kinds rbacc does not manage (-o json lists each object)",
            kinds
                .into_iter()
                .map(|((cluster, kind), n)| format!("{}: {} × {n}", v(cluster), v(kind)))
                .collect(),
        );
        section(&mut out, "To do", self.to_do.clone());
        let _ = writeln!(
            out,
            "\nTeams\n{}",
            self.teams
                .iter()
                .map(|t| format!(
                    "  {} ({}): {}",
                    v(&t.name),
                    v(&t.file),
                    v(&t.namespaces.join(", "))
                ))
                .collect::<Vec<_>>()
                .join("\n")
        );
        out
    }

    /// The report as JSON, camelCase.
    pub fn json(&self) -> String {
        crate::text::json(self)
    }
}
