//! A team's `spec.allow`: risk findings the team accepts on purpose, each
//! for the bindings of one role, with a reason.
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
use crate::risk::Risk;
use crate::source::Span;
use crate::validate::analysis::Analysis;
use crate::validate::config::{Settings, unknown_risk};

use super::roles;

/// A checked entry of a team's `spec.allow`.
pub(super) struct Allowed {
    pub risk: Risk,
    /// The role whose bindings give the accepted findings.
    pub role: String,
    pub reason: String,
    pub span: Span,
}

/// Checks a team's `spec.allow`. An entry without its role (reported by
/// the decoder) accepts nothing.
pub(super) fn check(
    settings: &Settings,
    team: &raw::Team,
    diags: &mut Diagnostics,
) -> Vec<Allowed> {
    let mut out = Vec::new();
    for entry in &team.allow {
        let Some(risk) = Risk::from_id(&entry.risk.value) else {
            diags.push(unknown_risk(&entry.risk));
            continue;
        };
        let Some(role) = &entry.role else { continue };
        if !roles::check_ref(settings, role, diags) {
            continue;
        }
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
            role: role.value.clone(),
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
            .label(format!(
                "no binding of role `{}` gives this risk",
                entry.role
            ))
            .help(
                "remove it, so that it does not accept a risk a later change brings in unnoticed",
            ),
        );
    }
}
