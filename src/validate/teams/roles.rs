//! Role references: the role a members entry, a service account, a grant
//! or an `allow` entry names.
//!
//! Input: a role name as written and the roles of rbacc.yaml. Output:
//! whether a team may bind it, with a diagnostic when it may not.
//!
//! Invariants: a team binds only built-in roles, custom roles of
//! `spec.roles` and `cluster-admin` when the policy does not forbid it.

use crate::decode::backticked;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::source::Sp;
use crate::validate::config::{CLUSTER_ADMIN, Settings};
use crate::validate::suggestion;

/// Whether `role` names a role a team may bind.
pub(super) fn check_ref(settings: &Settings, role: &Sp<String>, diags: &mut Diagnostics) -> bool {
    if role.value == CLUSTER_ADMIN {
        if settings.forbid_cluster_admin {
            let mut d = Diagnostic::error(
                Code::ClusterAdminForbidden,
                role.span,
                "binding `cluster-admin` is forbidden by the policy",
            )
            .label("`cluster-admin` grants every permission, RBAC included")
            .help("use `admin` for full control of a namespace");
            if let Some(span) = settings.forbid_cluster_admin_span {
                d = d.with_secondary(span, "forbidden here");
            }
            diags.push(d);
            return false;
        }
        return true;
    }
    if settings.roles.contains_key(&role.value) {
        return true;
    }
    let names: Vec<&str> = settings.roles.keys().map(String::as_str).collect();
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

/// Whether holders of `role` can create pods (and so mount every Secret
/// and run as every service account of the namespace).
pub(super) fn creates_pods(settings: &Settings, role: &str) -> bool {
    settings.roles.get(role).is_some_and(|r| r.creates_pods) || role == CLUSTER_ADMIN
}
