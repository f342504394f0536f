//! A namespace's `grants`: its owner's roles given to other teams and to
//! subjects named directly.
//!
//! Input: one namespace's grants as written and the members of every team.
//! Output: bindings `<team>-<role>` for each team granted (its members, as
//! its own file declares them) and `grant-<role>` for the subjects named.
//!
//! Invariants: a grant names a role teams may bind and somebody to give it
//! to; granting a role that creates pods warns (its holders can mount
//! every Secret of the namespace); an expired grant is checked, then binds
//! nothing.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::source::Sp;
use crate::validate::suggestion;

use super::bindings::{Bindings, By};
use super::{TeamCtx, expiry, roles, subjects};

/// Checks the grants of namespace `namespace`.
pub(super) fn check(
    ctx: &TeamCtx,
    namespace: &str,
    grants: &[raw::Grant],
    bindings: &mut Bindings,
    diags: &mut Diagnostics,
) {
    for grant in grants {
        check_grant(ctx, namespace, grant, bindings, diags);
    }
}

fn check_grant(
    ctx: &TeamCtx,
    namespace: &str,
    grant: &raw::Grant,
    bindings: &mut Bindings,
    diags: &mut Diagnostics,
) {
    let settings = ctx.settings;
    if !roles::check_ref(ctx.roles, &grant.role, diags) {
        return;
    }
    // An expired grant is still checked, then left out.
    let active = expiry::check(grant.subjects.expires.as_ref(), ctx.today, diags);
    if grant.teams.is_empty() && subjects::listed(&grant.subjects).next().is_none() {
        diags.push(
            Diagnostic::error(
                Code::MissingField,
                grant.role.span,
                format!("this grant of `{}` names nobody", grant.role.value),
            )
            .label("given to no `teams`, `groups`, `users` or `serviceAccounts`")
            .help("list who gets the role under `teams`, `groups`, `users` or `serviceAccounts`"),
        );
        return;
    }
    let role = &grant.role.value;
    if active && roles::creates_pods(ctx.roles, role) {
        diags.push(
            Diagnostic::warning(Code::RiskyGrant, grant.role.span, format!("granting `{role}` on `{namespace}` lets others create pods"))
                .label("can create pods")
                .help("whoever can create pods can mount every Secret and run as every service account in the namespace; grant `viewer` unless they must deploy"),
        );
    }
    let expires = grant.subjects.expires.as_ref().map(|e| e.value.as_str());
    for other in &grant.teams {
        to_team(ctx, role, other, active, expires, bindings, diags);
    }
    let direct = subjects::check(
        &grant.subjects,
        ctx.declarer(),
        settings.limits.subjects_per_binding,
        diags,
    );
    if active {
        bindings.add(
            format!("grant-{role}"),
            role,
            ctx.roles.role_ref(role),
            direct,
            By {
                span: grant.role.span,
                what: format!("a grant of `{role}`"),
                expires,
            },
        );
    }
}

/// A grant of `role` to the team named `other`: its members, when it is a
/// team and the grant is `active`.
fn to_team(
    ctx: &TeamCtx,
    role: &str,
    other: &Sp<String>,
    active: bool,
    expires: Option<&str>,
    bindings: &mut Bindings,
    diags: &mut Diagnostics,
) {
    if ctx.broken.contains(&other.value) {
        return;
    }
    let Some(members) = ctx.members.get(other.value.as_str()) else {
        let names = ctx.members.keys().copied();
        let help = suggestion(&other.value, names)
            .unwrap_or_else(|| format!("no file `teams/{}.yaml` declares it", other.value));
        diags.push(
            Diagnostic::error(
                Code::UnknownTeam,
                other.span,
                format!("unknown team `{}`", other.value),
            )
            .label("no such team")
            .help(help),
        );
        return;
    };
    if active {
        bindings.add(
            format!("{}-{role}", other.value),
            role,
            ctx.roles.role_ref(role),
            members.all.clone(),
            By {
                span: other.span,
                what: format!("a grant of `{role}` to team `{}`", other.value),
                expires,
            },
        );
    }
}
