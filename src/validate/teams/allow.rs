//! A team's `spec.allow`: risk findings the team accepts on purpose, each
//! for the bindings of one role (or, for the risks of NetworkPolicies, for
//! one policy), with a reason.
//!
//! Input: the entries as written. Output: the [`Allowed`] entries that
//! [`risks`](super::risks) consults; a warning for each that accepted
//! nothing.
//!
//! Invariants: an entry names a risk rbacc reports, a role teams may bind
//! and a reason that is not blank; an entry short of any of these accepts
//! nothing.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::risk::{Reach, Risk};
use crate::source::Span;
use crate::validate::analysis::Analysis;
use crate::validate::config::unknown_risk;

use super::roles;

/// A checked entry of a team's `spec.allow`.
pub(super) struct Allowed {
    pub risk: Risk,
    /// Whose findings it accepts.
    pub by: By,
    pub reason: String,
    pub span: Span,
}

/// What gives the findings an `allow` entry accepts.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum By {
    /// The bindings of this role.
    Role(String),
    /// This NetworkPolicy, in any of the team's namespaces.
    NetworkPolicy(String),
}

impl Allowed {
    /// Whether the entry accepts findings of `risk` from the bindings of
    /// `role`.
    pub fn accepts_role(&self, risk: Risk, role: &str) -> bool {
        self.risk == risk && matches!(&self.by, By::Role(r) if r == role)
    }

    /// Whether the entry accepts findings of `risk` from the NetworkPolicy
    /// `name`.
    pub fn accepts_policy(&self, risk: Risk, name: &str) -> bool {
        self.risk == risk && matches!(&self.by, By::NetworkPolicy(n) if n == name)
    }
}

/// Checks a team's `spec.allow`. An entry without its role (reported by
/// the decoder) accepts nothing.
pub(super) fn check(
    roles: roles::Roles,
    team: &raw::Team,
    diags: &mut Diagnostics,
) -> Vec<Allowed> {
    let mut out = Vec::new();
    for entry in &team.allow {
        let Some(risk) = Risk::from_id(&entry.risk.value) else {
            diags.push(unknown_risk(&entry.risk));
            continue;
        };
        let network = risk.reach() == Reach::Network;
        let misplaced = if network {
            entry.role.as_ref().map(|r| {
                (
                    r.span,
                    "role",
                    "networkPolicy",
                    "a NetworkPolicy gives this risk, not a role's bindings",
                )
            })
        } else {
            entry.network_policy.as_ref().map(|p| {
                (
                    p.span,
                    "networkPolicy",
                    "role",
                    "a role's bindings give this risk, not a NetworkPolicy",
                )
            })
        };
        if let Some((span, written, wanted, why)) = misplaced {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    span,
                    format!("risk `{}` is not accepted by `{written}`", risk.id()),
                )
                .label(why)
                .help(format!(
                    "name the {} with `{wanted}:`",
                    if network { "NetworkPolicy" } else { "role" }
                )),
            );
            continue;
        }
        let by = if network {
            let Some(policy) = &entry.network_policy else {
                continue;
            };
            By::NetworkPolicy(policy.value.clone())
        } else {
            let Some(role) = &entry.role else { continue };
            if !roles::check_ref(roles, role, diags) {
                continue;
            }
            By::Role(role.value.clone())
        };
        let Some(reason) = entry.reason.as_ref().filter(|r| !r.value.trim().is_empty()) else {
            if let Some(reason) = &entry.reason {
                diags.push(
                    Diagnostic::error(
                        Code::MissingField,
                        reason.span,
                        "an `allow` entry needs a reason",
                    )
                    .label("empty reason")
                    .help("say why the team needs this, so reviewers can judge it"),
                );
            }
            continue;
        };
        out.push(Allowed {
            risk,
            by,
            reason: reason.value.clone(),
            span: entry.span,
        });
    }
    out
}

/// Warns about each entry of `allow` that accepted no finding: it would
/// silently accept whatever a later change adds.
pub(super) fn report_unused(allow: &[Allowed], analysis: &Analysis, diags: &mut Diagnostics) {
    for entry in allow
        .iter()
        .filter(|a| !analysis.used_allow.contains(&a.span))
    {
        diags.push(
            Diagnostic::warning(
                Code::UnusedAllow,
                entry.span,
                format!("this `allow` of `{}` accepts no finding", entry.risk.id()),
            )
            .label(match &entry.by {
                By::Role(role) => format!("no binding of role `{role}` gives this risk"),
                By::NetworkPolicy(name) => {
                    format!("no NetworkPolicy `{name}` of the team gives this risk")
                }
            })
            .help(
                "remove it, so that it does not accept a risk a later change brings in unnoticed",
            ),
        );
    }
}
