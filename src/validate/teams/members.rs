//! `spec.members`: the roles a team's own subjects hold in every one of
//! its namespaces.
//!
//! Input: one team's `members` entries (role -> subjects), the settings of
//! rbacc.yaml and the date access is judged on. Output: [`TeamMembers`]:
//! per role, the subjects of the entry and where the role is named; every
//! subject of the team, which the resolved team lists and a grant to the
//! team binds.
//!
//! Invariants: checked once per team, not once per namespace; a role
//! listed twice or one teams may not bind is reported and its entry left
//! out (its service accounts are still judged for another team's
//! ownership); an expired entry is checked, then left out.

use std::collections::BTreeMap;

use crate::clock::Date;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::model::{RoleRef, Subject};
use crate::source::Span;

use super::bindings::{Bindings, By};
use super::expiry;
use super::roles::{self, Roles};
use super::subjects::{self, Declarer};

/// A team's `spec.members`, resolved.
pub(super) struct TeamMembers {
    /// By role name.
    by_role: BTreeMap<String, Members>,
    /// Every subject of the team, sorted and without repeats.
    pub all: Vec<Subject>,
}

/// The subjects a team's `spec.members` gives one role.
struct Members {
    /// The role's key under `members`, which the team's bindings of the role
    /// are generated from.
    key: Span,
    /// The role the role's bindings refer to.
    role_ref: RoleRef,
    subjects: Vec<Subject>,
    /// The entry's `expires:` date.
    expires: Option<String>,
}

/// Resolves the `spec.members` of the team `by.team`.
pub(super) fn check(
    roles: Roles,
    team: &raw::Team,
    by: Declarer,
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> TeamMembers {
    let mut by_role: BTreeMap<String, Members> = BTreeMap::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for (role, listed) in &team.members {
        let accepted = match seen.insert(&role.value, role.span) {
            Some(first) => {
                diags.push(
                    Diagnostic::error(
                        Code::DuplicateEntry,
                        role.span,
                        format!("role `{}` is listed twice", role.value),
                    )
                    .with_secondary(first, "first listed here"),
                );
                false
            }
            None => roles::check_ref(roles, role, diags),
        };
        if !accepted {
            subjects::foreign_service_accounts(listed, by, diags);
            continue;
        }
        let active = expiry::check(listed.expires.as_ref(), today, diags);
        let subjects = subjects::check(
            listed,
            by,
            roles.settings.limits.subjects_per_binding,
            diags,
        );
        if !active {
            continue;
        }
        by_role.insert(
            role.value.clone(),
            Members {
                key: role.span,
                role_ref: roles.role_ref(&role.value),
                subjects,
                expires: listed.expires.as_ref().map(|e| e.value.clone()),
            },
        );
    }
    let mut all: Vec<Subject> = by_role
        .values()
        .flat_map(|m| m.subjects.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    TeamMembers { by_role, all }
}

impl TeamMembers {
    /// Adds the binding of each role to the team `team`'s subjects in one
    /// of its namespaces: `<team>-<role>`.
    pub(super) fn bind(&self, team: &str, bindings: &mut Bindings) {
        for (role, members) in &self.by_role {
            bindings.add(
                format!("{team}-{role}"),
                role,
                members.role_ref.clone(),
                members.subjects.clone(),
                By {
                    span: members.key,
                    what: format!("`members.{role}`"),
                    expires: members.expires.as_deref(),
                },
            );
        }
    }
}
