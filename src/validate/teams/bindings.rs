//! The RoleBindings of one namespace, as the members, service accounts and
//! grants of team files declare them.
//!
//! Input: each binding's generated name, role, subjects and declaration.
//! Output: the namespace's bindings, sorted by name.
//!
//! Invariants: a binding has at least one subject, sorted and without
//! repeats; one name reached twice for one role is one binding with both
//! subject sets, for two roles an error naming both declarations.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Binding, RoleRef, Subject};
use crate::source::Span;

/// The RoleBindings of one namespace as they are declared, checked for
/// name collisions.
#[derive(Default)]
pub(super) struct Bindings(Vec<Declared>);

/// A binding, the role it binds as teams name it, and the declaration it
/// is generated from (a role key under `members`, a service account's name,
/// a team or role in a grant).
pub(super) struct Declared {
    pub binding: Binding,
    pub role: String,
    pub span: Span,
    /// The declaration in words: `members.admin`, `grants[0]`.
    pub what: String,
    /// The entry's `expires:` date (`YYYY-MM-DD`, checked), when it has one.
    pub expires: Option<String>,
}

/// The declaration a binding is generated from: where, in words, and its
/// `expires:` date.
pub(super) struct By<'a> {
    pub span: Span,
    pub what: String,
    pub expires: Option<&'a str>,
}

impl Bindings {
    /// Declares a binding of `role` (the object `role_ref`) to `subjects`;
    /// none without subjects.
    pub(super) fn add(
        &mut self,
        name: String,
        role: &str,
        role_ref: RoleRef,
        subjects: Vec<Subject>,
        by: By,
    ) {
        let By {
            span,
            what,
            expires,
        } = by;
        if subjects.is_empty() {
            return;
        }
        let mut subjects = subjects;
        subjects.sort();
        subjects.dedup();
        self.0.push(Declared {
            binding: Binding {
                name,
                role: role_ref,
                subjects,
            },
            role: role.to_string(),
            span,
            what,
            expires: expires.map(String::from),
        });
    }

    /// The bindings in the order they were declared.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Declared> {
        self.0.iter()
    }

    /// The bindings of namespace `namespace`, by name; reports names that
    /// would bind two roles.
    pub(super) fn finish(self, namespace: &str, diags: &mut Diagnostics) -> Vec<Binding> {
        let mut by_name: BTreeMap<String, Declared> = BTreeMap::new();
        for declared in self.0 {
            let name = &declared.binding.name;
            match by_name.get_mut(name) {
                // The same role reached twice (e.g. a grant to a team for a
                // role it already holds): one binding with both subject sets.
                Some(existing) if existing.binding.role == declared.binding.role => {
                    let subjects = &mut existing.binding.subjects;
                    subjects.extend(declared.binding.subjects);
                    subjects.sort();
                    subjects.dedup();
                }
                Some(first) => diags.push(
                    Diagnostic::error(
                        Code::DuplicateObject,
                        declared.span,
                        format!(
                            "RoleBinding `{name}` in namespace `{namespace}` would bind both role `{}` and role `{}`",
                            first.role, declared.role
                        ),
                    )
                    .label(format!("generates `{name}` for role `{}`", declared.role))
                    .with_secondary(first.span, format!("generates `{name}` for role `{}`", first.role))
                    .help("rename the team, role or service account so the generated names differ"),
                ),
                None => {
                    by_name.insert(name.clone(), declared);
                }
            }
        }
        by_name.into_values().map(|d| d.binding).collect()
    }
}
