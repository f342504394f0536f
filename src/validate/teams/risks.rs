//! What the bindings of a namespace give: their risk findings, and where
//! the namespace's objects come from.
//!
//! Input: one namespace's declared bindings, the risks each role gives,
//! the policy's level for each risk and what the role's `allow` and the
//! team's `spec.allow` accept. Output, in the [`Analysis`]: the findings
//! (the accepted ones and those at level `allow` only with `keep_all`),
//! the `allow` entries used, and with `keep_all` the origin of the
//! namespace, its service accounts and its bindings.
//!
//! Invariants: findings come from the rules emit writes for the role, with
//! the evaluator's matching ([`risk::findings_of`]); what the policy makes
//! an error only rbacc.yaml can accept, never a team file.

use std::collections::BTreeMap;

use crate::model::raw;
use crate::risk::{self, Level};
use crate::source::Sp;
use crate::validate::analysis::{Accepted, Analysis, Expiring, Finding, Origin};
use crate::validate::config::{CLUSTER_ADMIN, KnownRole, Settings};

use super::TeamCtx;
use super::bindings::Bindings;

/// The risks each role (by the name teams use) gives: the same in every
/// namespace, since a RoleBinding's namespace scopes the request, not the
/// rule.
pub(super) struct RoleRisks<'a>(BTreeMap<&'a str, Vec<risk::RuleMatch>>);

impl RoleRisks<'_> {
    /// The risks of each of a team's own roles.
    pub(super) fn of_roles(roles: &BTreeMap<String, KnownRole>) -> RoleRisks<'_> {
        RoleRisks(
            roles
                .iter()
                .map(|(name, role)| (name.as_str(), risk::findings_of(&role.def.rules, "")))
                .collect(),
        )
    }

    pub(super) fn of(settings: &Settings) -> RoleRisks<'_> {
        RoleRisks(
            settings
                .roles
                .iter()
                .map(|(name, role)| (name.as_str(), risk::findings_of(&role.def.rules, "")))
                .chain([(
                    CLUSTER_ADMIN,
                    risk::findings_of(&risk::cluster_admin_rules(), ""),
                )])
                .collect(),
        )
    }
}

/// Records where the objects of namespace `namespace` come from, and the
/// risks each declared binding gives.
pub(super) fn analyse(
    ctx: &TeamCtx,
    namespace: &Sp<String>,
    service_accounts: &[raw::ServiceAccount],
    bindings: &Bindings,
    analysis: &mut Analysis,
) {
    let keep_all = analysis.keep_all;
    if keep_all {
        record_origins(ctx.team, namespace, service_accounts, bindings, analysis);
    }
    for declared in bindings.iter() {
        let binding = &declared.binding;
        let known = ctx.roles.get(&declared.role);
        let risks = ctx
            .own_risks
            .0
            .get(declared.role.as_str())
            .or_else(|| ctx.role_risks.0.get(declared.role.as_str()));
        for found in risks.into_iter().flatten() {
            let (level, policy) = ctx.settings.risk_levels[&found.risk];
            let own = ctx.own_risks.0.contains_key(declared.role.as_str());
            let by_role = known
                .filter(|r| r.allowed.contains(&found.risk))
                .and_then(|r| r.reason.as_ref())
                .map(|reason| Accepted {
                    reason: reason.value.clone(),
                    at: Some(reason.span),
                })
                // What rbacc.yaml accepts of a built-in role; its defaults
                // only while the risk is a warning.
                .or_else(|| {
                    let accepted = ctx
                        .settings
                        .builtin_accepts
                        .get(&(declared.role.as_str(), found.risk))
                        .filter(|_| !own)?;
                    (accepted.at.is_some() || level == Level::Warning).then(|| accepted.clone())
                });
            let team_entry = ctx
                .allow
                .iter()
                .find(|a| a.accepts_role(found.risk, &declared.role));
            if let Some(entry) = team_entry {
                analysis.used_allow.insert(entry.span);
            }
            // What the policy makes an error only rbacc.yaml can relax: a
            // team file cannot accept it for itself.
            let (by_team, refused) = match team_entry {
                Some(entry) if level == Level::Error => (None, Some(entry.span)),
                Some(entry) => (
                    Some(Accepted {
                        reason: entry.reason.clone(),
                        at: Some(entry.span),
                    }),
                    None,
                ),
                None => (None, None),
            };
            let builtin_accepted = by_role.is_some() && known.is_some_and(|r| r.span.is_none());
            let allowed = by_role.or(by_team);
            let kept = keep_all || (builtin_accepted && analysis.keep_builtin_accepted);
            if !kept && (allowed.is_some() || level == Level::Allow) {
                continue;
            }
            analysis.findings.push(Finding {
                risk: found.risk,
                level,
                refused_allow: refused,
                namespace: namespace.value.clone(),
                binding: binding.name.clone(),
                role_ref: binding.role.clone(),
                role: declared.role.clone(),
                subjects: binding.subjects.clone(),
                rule_index: found.rule_index,
                request: found.request.clone(),
                span: declared.span,
                allowed,
                builtin_accepted,
                policy,
            });
        }
    }
}

/// Records where the objects of a namespace come from.
fn record_origins(
    team: &str,
    namespace: &Sp<String>,
    service_accounts: &[raw::ServiceAccount],
    bindings: &Bindings,
    analysis: &mut Analysis,
) {
    let name = &namespace.value;
    analysis.origins.push(Origin {
        kind: "Namespace",
        namespace: None,
        name: name.clone(),
        span: namespace.span,
        what: format!("namespace `{name}` of team `{team}`"),
    });
    for sa in service_accounts {
        analysis.origins.push(Origin {
            kind: "ServiceAccount",
            namespace: Some(name.clone()),
            name: sa.name.value.clone(),
            span: sa.name.span,
            what: format!("service account `{}` of team `{team}`", sa.name.value),
        });
    }
    for declared in bindings.iter() {
        if let Some(expires) = &declared.expires {
            analysis.expiring.push(Expiring {
                expires: expires.clone(),
                team: team.to_string(),
                namespace: name.clone(),
                binding: declared.binding.name.clone(),
                role: declared.role.clone(),
                subjects: declared.binding.subjects.clone(),
                span: declared.span,
                what: declared.what.clone(),
            });
        }
        analysis.origins.push(Origin {
            kind: "RoleBinding",
            namespace: Some(name.clone()),
            name: declared.binding.name.clone(),
            span: declared.span,
            what: format!(
                "{} in team `{team}`, binding role `{}`",
                declared.what, declared.role
            ),
        });
    }
}
