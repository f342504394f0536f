//! The platform's ClusterRoleBindings (`spec.clusterBindings` of
//! rbacc.yaml): a role in every namespace of its clusters, and over
//! cluster-scoped resources. Team files never declare them.
//!
//! Input: the bindings as written and the checked [`Settings`]. Output:
//! the bindings that hold today, sorted by name; a finding for every risk
//! their role gives, reported at the policy's level unless the binding (or
//! the role) accepts it with a reason.
//!
//! Invariants: a binding's name is a DNS-1123 label, declared once; its
//! role is one rbacc.yaml knows (`cluster-admin` only where the policy does
//! not forbid it); its subjects are checked as a team's are, but the
//! platform may bind `system:` groups other than the anonymous ones. Every
//! binding gives `cluster-binding` (access in every namespace), an error
//! unless accepted, so each one carries a reason reviewers read.

use crate::clock::Date;
use crate::decode::backticked_all;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{ClusterBinding, raw};
use crate::risk::{self, Level, Reach, Risk};
use crate::source::Sp;

use super::analysis::subjects_text;
use super::config::{CLUSTER_ADMIN, Settings, unknown_risk};
use super::teams::{expiry, subjects};
use super::{UniqueNames, check_reason, suggestion};

pub fn check(
    settings: &Settings,
    source: &str,
    written: &[raw::ClusterBinding],
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> Vec<ClusterBinding> {
    let mut seen = UniqueNames::new("binding name", "cluster binding", Code::DuplicateObject);
    let mut out = Vec::new();
    for binding in written {
        if !seen.check(&binding.name, diags) {
            continue;
        }
        if let Some(b) = check_one(settings, source, binding, today, diags) {
            out.push(b);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn check_one(
    settings: &Settings,
    source: &str,
    binding: &raw::ClusterBinding,
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> Option<ClusterBinding> {
    let errors = diags.error_count();
    let role = binding.role.as_ref()?;
    let (cluster_role, rules, role_accepts, role_reason) = if role.value == CLUSTER_ADMIN {
        if settings.forbid_cluster_admin {
            diags.push(
                super::teams::roles::cluster_admin_forbidden(settings, role.span)
                    .help("bind a role that grants what the subjects need"),
            );
            return None;
        }
        (
            CLUSTER_ADMIN.to_string(),
            risk::cluster_admin_rules(),
            Vec::new(),
            None,
        )
    } else if let Some(known) = settings.roles.get(&role.value) {
        (
            known.def.object_name(),
            known.def.rules.clone(),
            known.allowed.clone(),
            known.reason.clone(),
        )
    } else {
        let names: Vec<&str> = settings.roles.keys().map(String::as_str).collect();
        let d = Diagnostic::error(
            Code::UnknownRole,
            role.span,
            format!("unknown role `{}`", crate::text::visible(&role.value)),
        )
        .label("no such role");
        diags.push(match suggestion(&role.value, names.iter().copied()) {
            Some(help) => d.help(help),
            None => d.help(format!("roles are {}", backticked_all(&names))),
        });
        return None;
    };
    let mut accepted = Vec::new();
    for a in &binding.allow {
        match Risk::from_id(&a.value).filter(|r| r.reach() != Reach::Network) {
            Some(risk) => accepted.push(risk),
            None => diags.push(unknown_risk(a)),
        }
    }
    let reason = binding
        .reason
        .as_ref()
        .filter(|r| !r.value.trim().is_empty());
    check_reason(
        &binding.allow,
        reason,
        format!(
            "cluster binding `{}` accepts risks without a `reason`",
            binding.name.value
        ),
        "say why these subjects need the role in every namespace, so reviewers can judge it",
        diags,
    );
    let clusters = settings.resolve_clusters(binding.clusters.as_deref(), diags);
    let subjects = subjects::check_platform(&binding.subjects, diags);
    if subjects.is_empty() && diags.error_count() == errors {
        diags.push(
            Diagnostic::error(
                Code::MissingField,
                binding.name.span,
                format!("cluster binding `{}` names nobody", binding.name.value),
            )
            .label("no `groups`, `users` or `serviceAccounts`")
            .help("list who gets the role in every namespace"),
        );
    }
    let active = expiry::check(binding.subjects.expires.as_ref(), today, diags);
    if diags.error_count() != errors {
        return None;
    }
    report_risks(
        settings,
        binding,
        &cluster_role,
        &rules,
        &subjects,
        (&accepted, reason),
        (&role_accepts, role_reason.as_ref()),
        diags,
    );
    active.then(|| ClusterBinding {
        name: binding.name.value.clone(),
        cluster_role,
        subjects,
        clusters: clusters.unwrap_or_default(),
        source: source.to_string(),
    })
}

/// Reports each risk the binding gives that neither it nor its role
/// accepts, at the policy's level; `cluster-binding` first, which every
/// binding gives.
#[allow(clippy::too_many_arguments)]
fn report_risks(
    settings: &Settings,
    binding: &raw::ClusterBinding,
    cluster_role: &str,
    rules: &[crate::model::Rule],
    subjects: &[crate::model::Subject],
    by_binding: (&[Risk], Option<&Sp<String>>),
    by_role: (&[Risk], Option<&Sp<String>>),
    diags: &mut Diagnostics,
) {
    let mut found: Vec<(Risk, Option<(usize, String)>)> = vec![(Risk::ClusterBinding, None)];
    for m in risk::findings_of(rules, "")
        .into_iter()
        .chain(risk::cluster_risks_of(rules))
    {
        found.push((m.risk, Some((m.rule_index, m.request))));
    }
    let span = binding.role.as_ref().map_or(binding.name.span, |r| r.span);
    for (risk, rule) in found {
        let accepted = (by_binding.0.contains(&risk) && by_binding.1.is_some())
            || (by_role.0.contains(&risk) && by_role.1.is_some());
        let (level, _) = settings.risk_levels[&risk];
        // A binding of rbacc.yaml is the platform's: what it accepts holds
        // whatever the level.
        if accepted || level == Level::Allow {
            continue;
        }
        let make = match level {
            Level::Error => Diagnostic::error,
            _ => Diagnostic::warning,
        };
        let label = match &rule {
            Some((index, request)) => format!(
                "ClusterRoleBinding `rbacc:{}` → ClusterRole `{cluster_role}` → rule {} allows `{request}`",
                binding.name.value,
                index + 1
            ),
            None => format!("ClusterRoleBinding `rbacc:{}`", binding.name.value),
        };
        diags.push(
            make(
                Code::AccessRisk,
                span,
                match risk {
                    Risk::ClusterBinding => format!("{} can {}", subjects_text(subjects), risk.can()),
                    _ => format!("{} can {} in every namespace", subjects_text(subjects), risk.can()),
                },
            )
            .label(label)
            .help(format!(
                "risk `{}` is {} by the policy; if this is intended, add `{}` to the binding's `allow:` with a `reason:`",
                risk.id(),
                if level == Level::Error { "an error" } else { "a warning" },
                risk.id()
            )),
        );
    }
}
