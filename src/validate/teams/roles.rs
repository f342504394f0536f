//! Roles: a team's own (`spec.roles`), and the role a members entry, a
//! service account, a grant or an `allow` entry names.
//!
//! Input: a team's roles and role names as written, and the roles of
//! rbacc.yaml. Output: the team's roles, checked, and whether a team may
//! bind a role it names, with a diagnostic when it may not.
//!
//! Invariants: a team binds only built-in roles, roles of rbacc.yaml
//! (`spec.roles`, `spec.existingRoles`), its own roles and `cluster-admin`
//! when the policy does not forbid it. A team's own role grants nothing
//! the built-in `admin` does not grant in a namespace, judged with the
//! evaluator's rule matching, and accepts no risk itself.

use std::collections::BTreeMap;

use crate::decode::backticked;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{RoleRef, raw};
use crate::source::Sp;
use crate::validate::config::{CLUSTER_ADMIN, KnownRole, Settings, checked_rule};
use crate::validate::{check_dns_label, declared_twice, suggestion};

/// The roles a team may bind: rbacc.yaml's and its own.
#[derive(Clone, Copy)]
pub(super) struct Roles<'a> {
    pub settings: &'a Settings,
    /// The team's own roles, by name.
    pub team: &'a BTreeMap<String, KnownRole>,
}

impl<'a> Roles<'a> {
    /// The role teams call `name`.
    pub fn get(&self, name: &str) -> Option<&'a KnownRole> {
        self.team
            .get(name)
            .or_else(|| self.settings.roles.get(name))
    }

    /// The object a binding of `name` refers to.
    pub fn role_ref(&self, name: &str) -> RoleRef {
        match self.team.get(name) {
            Some(role) => RoleRef::Role(role.def.object_name()),
            None => RoleRef::ClusterRole(self.settings.cluster_role_of(name)),
        }
    }

    fn names(&self) -> impl Iterator<Item = &'a str> {
        self.settings
            .roles
            .keys()
            .chain(self.team.keys())
            .map(String::as_str)
    }
}

/// Checks a team's `spec.roles`: each a DNS-1123 label no role of
/// rbacc.yaml has, whose rules are within the built-in `admin`'s.
pub(super) fn check_team_roles(
    settings: &Settings,
    source: &str,
    team: &raw::Team,
    diags: &mut Diagnostics,
) -> BTreeMap<String, KnownRole> {
    let mut out: BTreeMap<String, KnownRole> = BTreeMap::new();
    if let (Some(first), Some(forbidden)) = (team.roles.first(), &settings.forbid_team_roles) {
        diags.push(
            Diagnostic::error(
                Code::TeamRole,
                first.name.span,
                "the policy forbids team roles",
            )
            .label("a role of the team's own")
            .with_secondary(forbidden.span, "forbidden here")
            .help("bind a role of rbacc.yaml, or ask the platform for one under `spec.roles`"),
        );
        // The roles are still read, so that their bindings are not
        // reported as unknown too.
    }
    let admin = settings
        .roles
        .get("admin")
        .map(|r| r.def.rules.clone())
        .unwrap_or_default();
    let admin: Vec<_> = admin.iter().map(crate::risk::policy_rule).collect();
    for role in &team.roles {
        let name = &role.name;
        if !check_dns_label(diags, name, "role name") {
            continue;
        }
        if let Some(first) = out.get(&name.value).and_then(|r| r.span) {
            diags.push(declared_twice(
                Code::DuplicateEntry,
                name.span,
                format!("role `{}` is declared twice", name.value),
                first,
            ));
            continue;
        }
        if settings.roles.contains_key(&name.value) || name.value == CLUSTER_ADMIN {
            let d = Diagnostic::error(
                Code::DuplicateEntry,
                name.span,
                format!("role `{}` is rbacc.yaml's", name.value),
            )
            .label("a role of the platform has this name")
            .help("give the team's role a name of its own");
            diags.push(match settings.roles.get(&name.value).and_then(|r| r.span) {
                Some(span) => d.with_secondary(span, "declared here"),
                None => d,
            });
            continue;
        }
        // A role with a problem is reported and still known, so that its
        // bindings are not reported as unknown too: nothing is written
        // while there are errors.
        if let Some(first) = role.allow.first() {
            diags.push(
                Diagnostic::error(Code::TeamRole, first.span, "a team's role cannot accept risks")
                    .label("`allow` on a team role")
                    .help("accept a warning under the team's `spec.allow` with the role and a reason; errors are the platform's to relax"),
            );
        }
        let mut rules = Vec::new();
        for rule in &role.rules {
            let Some(checked) = checked_rule(rule, diags) else {
                continue;
            };
            if let Some(request) = beyond_admin(&checked, &admin) {
                diags.push(
                    Diagnostic::error(
                        Code::TeamRole,
                        rule.span,
                        format!("role `{}` grants `{request}`, which the built-in `admin` does not", name.value),
                    )
                    .label("beyond `admin` in a namespace")
                    .help("a team's role grants only what the team's admins could grant themselves: write out verbs and resources (no `*`) that `admin` holds, or ask the platform for a role in rbacc.yaml"),
                );
                continue;
            }
            rules.push(checked);
        }
        rules.sort();
        rules.dedup();
        // A team's role accepts no risk: reported above when it tries.
        let known = KnownRole::written(name, role.description.as_ref(), rules, source, &[], None);
        out.insert(name.value.clone(), known);
    }
    out
}

/// The first request `rule` allows that no rule of `admin` allows, in
/// kubectl's notation; `None` when `admin` covers it. Every API group,
/// resource, verb and name the rule lists is a request of its own, `*`
/// included, so a wildcard passes only where `admin` has it too.
fn beyond_admin(
    rule: &crate::model::Rule,
    admin: &[k8s_openapi::api::rbac::v1::PolicyRule],
) -> Option<String> {
    let request = crate::access::requests_of(&crate::risk::policy_rule(rule), Some("namespace"))
        .into_iter()
        .find(|request| !admin.iter().any(|a| crate::access::rule_allows(a, request)))?;
    // Named in the message as a kind of request, without the object name.
    Some(crate::risk::request_text(&request.without_name()))
}

/// Whether `role` names a role a team may bind.
pub(super) fn check_ref(roles: Roles, role: &Sp<String>, diags: &mut Diagnostics) -> bool {
    let settings = roles.settings;
    if role.value == CLUSTER_ADMIN {
        if settings.forbid_cluster_admin {
            diags.push(
                cluster_admin_forbidden(settings, role.span)
                    .help("use `admin` for full control of a namespace"),
            );
            return false;
        }
        return true;
    }
    if roles.get(&role.value).is_some() {
        return true;
    }
    let names: Vec<&str> = roles.names().collect();
    let help = suggestion(&role.value, names.iter().copied()).unwrap_or_else(|| {
        format!(
            "roles are {}; declare custom roles under `spec.roles` in rbacc.yaml",
            backticked(&names)
        )
    });
    diags.push(
        Diagnostic::error(
            Code::UnknownRole,
            role.span,
            format!("unknown role `{}`", role.value),
        )
        .label("no such role")
        .help(help),
    );
    false
}

/// The policy forbids binding `cluster-admin`, bound at `span`.
pub(crate) fn cluster_admin_forbidden(
    settings: &Settings,
    span: crate::source::Span,
) -> Diagnostic {
    let d = Diagnostic::error(
        Code::ClusterAdminForbidden,
        span,
        "binding `cluster-admin` is forbidden by the policy",
    )
    .label("`cluster-admin` grants every permission, RBAC included");
    match settings.forbid_cluster_admin_span {
        Some(at) => d.with_secondary(at, "forbidden here"),
        None => d,
    }
}

/// Whether holders of `role` can create pods (and so mount every Secret
/// and run as every service account of the namespace).
pub(super) fn creates_pods(roles: Roles, role: &str) -> bool {
    roles.get(role).is_some_and(|r| r.creates_pods) || role == CLUSTER_ADMIN
}
