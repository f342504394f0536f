//! A namespace's `serviceAccounts`: the ServiceAccounts rbacc creates in
//! it, each bound to its role there.
//!
//! Input: one namespace's service accounts as written. Output: their
//! names, sorted; a binding `sa-<name>` of each to its role.
//!
//! Invariants: a name is a DNS-1123 label declared once in the namespace;
//! a service account whose role a team may not bind is still created, with
//! no binding.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Subject;
use crate::model::raw;
use crate::validate::check_dns_label;

use super::bindings::{Bindings, By};
use super::roles;

/// Checks the service accounts of namespace `namespace`.
pub(super) fn check(
    roles: super::roles::Roles,
    namespace: &str,
    declared: &[raw::ServiceAccount],
    bindings: &mut Bindings,
    diags: &mut Diagnostics,
) -> Vec<String> {
    let mut names = BTreeMap::new();
    for sa in declared {
        if !check_dns_label(diags, &sa.name, "service account name") {
            continue;
        }
        if let Some(first) = names.insert(sa.name.value.clone(), sa.name.span) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateEntry,
                    sa.name.span,
                    format!("service account `{}` is declared twice", sa.name.value),
                )
                .with_secondary(first, "first declared here"),
            );
            continue;
        }
        if roles::check_ref(roles, &sa.role, diags) {
            let subject = Subject::ServiceAccount {
                namespace: namespace.to_string(),
                name: sa.name.value.clone(),
            };
            bindings.add(
                format!("sa-{}", sa.name.value),
                &sa.role.value,
                roles.role_ref(&sa.role.value),
                vec![subject],
                By {
                    span: sa.name.span,
                    what: format!("service account `{}`", sa.name.value),
                    expires: None,
                },
            );
        }
    }
    names.into_keys().collect()
}
