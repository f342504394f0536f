//! A team's `namespaces`: each one's name, clusters, Pod Security level,
//! quota, limit range, labels and annotations, and the RoleBindings in it.
//!
//! Input: one team's namespaces as written, and the names (with their
//! declarations) of the namespaces earlier teams declared. Output: the
//! team's valid namespaces, sorted by name, each with its bindings from
//! the team's members, its service accounts and its grants; their
//! findings and origins in the [`Analysis`].
//!
//! Invariants: at most `policy.limits.namespacesPerTeam` are checked; a
//! name is a DNS-1123 label, declared once across every team, not
//! reserved, and with the team's prefix where the policy asks for it; a
//! namespace is on clusters rbacc.yaml declares. A name that is not a
//! DNS-1123 label ends the namespace's checks; with any other of these
//! problems the namespace is left out (and not analysed), but what it
//! holds is still checked and reported.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw::{self, NamespacePrefix};
use crate::model::{Namespace, NetworkPolicy};
use crate::risk::Level;
use crate::source::{Sp, Span};
use crate::validate::analysis::{Analysis, Origin};
use crate::validate::config::Settings;
use crate::validate::network;
use crate::validate::quota::{check_quota, merge_limit_range};
use crate::validate::{check_dns_label, declared_twice, limits, reserved};

use super::bindings::Bindings;
use super::{TeamCtx, grants, risks, service_accounts};

/// The namespaces declared so far, by name, with where.
pub(super) type Seen = BTreeMap<String, Span>;

/// Checks the namespaces of `team`.
pub(super) fn check_team(
    ctx: &TeamCtx,
    team: &raw::Team,
    seen: &mut Seen,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Vec<Namespace> {
    let limit = ctx.settings.limits.namespaces_per_team;
    if let Some(over) = team.namespaces.get(limit.0 as usize) {
        diags.push(limits::exceeded(
            over.name.span,
            format!(
                "team `{}` declares {} namespaces",
                ctx.team,
                team.namespaces.len()
            ),
            limit,
            "namespacesPerTeam",
        ));
    }
    let mut namespaces: Vec<Namespace> = team
        .namespaces
        .iter()
        .take(limit.0 as usize)
        .filter_map(|ns| check(ctx, ns, seen, analysis, diags))
        .collect();
    namespaces.sort_by(|a, b| a.name.cmp(&b.name));
    namespaces
}

fn check(
    ctx: &TeamCtx,
    ns: &raw::Namespace,
    seen: &mut Seen,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Option<Namespace> {
    let settings = ctx.settings;
    let name = &ns.name;
    if !check_dns_label(diags, name, "namespace name") {
        return None;
    }
    let claimed = claim(ctx, name, seen, diags);
    let clusters = clusters(settings, name, ns.clusters.as_deref(), diags);
    let pod_security = ns
        .pod_security
        .as_ref()
        .map_or(settings.pod_security, |p| p.value);
    let pod_security_allowed = ns
        .pod_security
        .as_ref()
        .is_none_or(|p| settings.pod_security_policy.check_choice(name, p, diags));
    let mut quota = settings.quota.clone();
    quota.extend(check_quota(&ns.quota, diags));
    let limit_range = match &ns.limit_range {
        Some(own) => Some(merge_limit_range(
            settings.limit_range_written.as_ref(),
            own,
            diags,
        )),
        None => settings.limit_range.clone(),
    };
    let labels = settings.labels.check_namespace(name, &ns.labels, diags);
    let annotations = settings
        .annotations
        .check_namespace(name, &ns.annotations, diags);
    let network_policies = network_policies(ctx, name, &ns.network_policies, analysis, diags);
    if analysis.keep_all {
        for role in ctx.roles.team.values() {
            analysis.origins.push(Origin {
                kind: "Role",
                namespace: Some(name.value.clone()),
                name: role.def.object_name(),
                span: role.span.unwrap_or(name.span),
                what: format!("role `{}` of team `{}`", role.def.name, ctx.team),
            });
        }
    }

    let mut bindings = Bindings::default();
    ctx.members[ctx.team].bind(ctx.team, &mut bindings);
    let service_accounts = service_accounts::check(
        ctx.roles,
        &name.value,
        &ns.service_accounts,
        &mut bindings,
        diags,
    );
    grants::check(ctx, &name.value, &ns.grants, &mut bindings, diags);

    let ok = claimed && clusters.is_some() && pod_security_allowed;
    if ok {
        risks::analyse(ctx, name, &ns.service_accounts, &bindings, analysis);
    }
    let bindings = bindings.finish(&name.value, diags);
    let clusters = clusters.filter(|_| ok)?;
    Some(Namespace {
        name: name.value.clone(),
        clusters,
        pod_security,
        quota,
        limit_range,
        labels,
        annotations,
        network_policies,
        service_accounts,
        bindings,
    })
}

/// The platform's NetworkPolicies and the namespace's own, sorted by name;
/// the findings of its own reported as the policy and the team's `allow`
/// say.
fn network_policies(
    ctx: &TeamCtx,
    namespace: &Sp<String>,
    written: &[raw::NetworkPolicy],
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Vec<NetworkPolicy> {
    let settings = ctx.settings;
    let own = network::check_all(
        written,
        ctx.source,
        network::Declarer::Team {
            teams: ctx.team_names,
            broken: ctx.broken,
        },
        &settings.network_policies,
        diags,
    );
    for checked in &own {
        let name = &checked.policy.name;
        for &(risk, span) in &checked.risks {
            let (level, _) = settings.risk_levels[&risk];
            let entry = ctx.allow.iter().find(|a| a.accepts_policy(risk, name));
            if let Some(entry) = entry {
                analysis.used_allow.insert(entry.span);
            }
            let refused = entry.filter(|_| level == Level::Error).map(|e| e.span);
            if level == Level::Allow || (entry.is_some() && refused.is_none()) {
                continue;
            }
            diags.push(network::finding(
                risk,
                level,
                span,
                name,
                network::Accepter::Team {
                    namespace: &namespace.value,
                },
                refused,
            ));
        }
        if analysis.keep_all {
            analysis.origins.push(Origin {
                kind: "NetworkPolicy",
                namespace: Some(namespace.value.clone()),
                name: name.clone(),
                span: checked.span,
                what: format!("NetworkPolicy `{name}` of namespace `{}`", namespace.value),
            });
        }
    }
    if analysis.keep_all {
        for checked in &settings.network_policies {
            analysis.origins.push(Origin {
                kind: "NetworkPolicy",
                namespace: Some(namespace.value.clone()),
                name: checked.policy.name.clone(),
                span: checked.span,
                what: format!(
                    "NetworkPolicy `{}` of rbacc.yaml, in every team namespace",
                    checked.policy.name
                ),
            });
        }
    }
    let mut all: Vec<NetworkPolicy> = settings
        .network_policies
        .iter()
        .chain(&own)
        .map(|c| c.policy.clone())
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// Whether the team may have the namespace `name`: declared once, not
/// reserved, with the team's prefix where the policy asks for it. Every
/// name checked is taken, so a later team's is reported.
fn claim(ctx: &TeamCtx, name: &Sp<String>, seen: &mut Seen, diags: &mut Diagnostics) -> bool {
    let settings = ctx.settings;
    let mut ok = true;
    if let Some(first) = seen.get(&name.value) {
        diags.push(
            declared_twice(
                Code::DuplicateNamespace,
                name.span,
                format!("namespace `{}` is declared twice", name.value),
                *first,
            )
            .help(
                "a namespace belongs to exactly one team; use `grants` to give other teams access",
            ),
        );
        ok = false;
    } else {
        seen.insert(name.value.clone(), name.span);
    }
    if let Some(why) = settings.reserved.why(&name.value) {
        diags.push(reserved::diagnostic(name, &why));
        ok = false;
    }
    let prefix = format!("{}-", ctx.team);
    if settings.namespace_prefix == NamespacePrefix::Team && !name.value.starts_with(&prefix) {
        diags.push(
            Diagnostic::error(
                Code::NamespacePrefix,
                name.span,
                format!("namespace `{}` does not start with `{prefix}`", name.value),
            )
            .label(format!("expected `{prefix}…`"))
            .help(format!("the policy (`namespacePrefix: team`) requires team `{}`'s namespaces to be named `{prefix}<name>`", ctx.team)),
        );
        ok = false;
    }
    ok
}

/// The clusters of namespace `name` (`list`, else every cluster), sorted;
/// `None` when one is not declared in rbacc.yaml.
fn clusters(
    settings: &Settings,
    name: &Sp<String>,
    list: Option<&[Sp<String>]>,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    if list.is_some_and(<[_]>::is_empty) {
        diags.push(
            Diagnostic::warning(
                Code::InvalidValue,
                name.span,
                format!("namespace `{}` is on no cluster", name.value),
            )
            .label("`clusters` is empty")
            .help("leave out `clusters` to place it on every cluster"),
        );
    }
    settings.resolve_clusters(list, diags)
}
