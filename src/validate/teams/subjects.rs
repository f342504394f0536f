//! Subject lists: the `groups`, `users` and `serviceAccounts` of a members
//! entry or a grant.
//!
//! Input: one list as written, the team that declares it, which team
//! declares each namespace, and `policy.limits.subjectsPerBinding`.
//! Output: the subjects, sorted and without repeats.
//!
//! Invariants: a user or group name is at most [`MAX_SUBJECT_NAME`]
//! bytes, visible, without surrounding spaces and not a `system:`
//! identity; a service account is a valid `namespace/name`; a list past
//! the limit gives nothing. A service account of another team's namespace
//! is a warning wherever it is named, even in an entry rejected otherwise.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Subject;
use crate::model::raw;
use crate::source::{Sp, Span};
use crate::text::{is_invisible, visible};
use crate::validate::names::dns_subdomain_problem;
use crate::validate::{dns_label_problem, limits};

use super::NamespaceOwners;

/// Longest user or group name a team file may give, in bytes.
const MAX_SUBJECT_NAME: usize = 256;

/// The team that declares a subject list, and who declares each namespace.
#[derive(Clone, Copy)]
pub(super) struct Declarer<'a> {
    pub team: &'a str,
    pub owner_of: &'a NamespaceOwners<'a>,
}

/// Checks a subject list, within `limit` subjects.
pub(super) fn check(
    subjects: &raw::Subjects,
    by: Declarer,
    limit: (u64, Option<Span>),
    diags: &mut Diagnostics,
) -> Vec<Subject> {
    foreign_service_accounts(subjects, by, diags);
    if let Some(over) = listed(subjects).nth(limit.0 as usize) {
        diags.push(limits::exceeded(
            over.span,
            format!("{} subjects in one entry", listed(subjects).count()),
            limit,
            "subjectsPerBinding",
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in &subjects.groups {
        match name_problem(s) {
            None => out.push(Subject::Group(s.value.clone())),
            Some(d) => diags.push(d),
        }
    }
    users_and_accounts(subjects, out, diags)
}

/// `out` with the users and service accounts of `subjects` added (those
/// that are valid; the others reported), sorted and without repeats.
fn users_and_accounts(
    subjects: &raw::Subjects,
    mut out: Vec<Subject>,
    diags: &mut Diagnostics,
) -> Vec<Subject> {
    for s in &subjects.users {
        match name_problem(s) {
            None => out.push(Subject::User(s.value.clone())),
            Some(d) => diags.push(d),
        }
    }
    for sa in &subjects.service_accounts {
        match service_account_ref(sa) {
            Ok(subject) => out.push(subject),
            Err(d) => diags.push(d),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Every subject of a list as written: groups, users, service accounts.
pub(super) fn listed(subjects: &raw::Subjects) -> impl Iterator<Item = &Sp<String>> {
    subjects
        .groups
        .iter()
        .chain(&subjects.users)
        .chain(&subjects.service_accounts)
}

/// Warns about each service account of `subjects` (as `namespace/name`)
/// that lives in another team's namespace: whoever can run pods there (that
/// team's deployers and admins) acts as it, so the access given to it is
/// theirs too, and a later change to their members shows in review under
/// their team, not here.
pub(super) fn foreign_service_accounts(
    subjects: &raw::Subjects,
    by: Declarer,
    diags: &mut Diagnostics,
) {
    for sa in &subjects.service_accounts {
        let Some((namespace, _)) = sa.value.split_once('/') else {
            continue;
        };
        let Some(owner) = by
            .owner_of
            .get(namespace)
            .filter(|owner| **owner != by.team)
        else {
            continue;
        };
        diags.push(
            Diagnostic::warning(
                Code::RiskyGrant,
                sa.span,
                format!("service account `{}` belongs to team `{owner}`", sa.value),
            )
            .label(format!("whoever can run pods in `{namespace}` acts as it"))
            .help(format!(
                "team `{owner}`'s members who may create pods in `{namespace}` get this access too; \
                 grant the role to team `{owner}` if that is meant, or name a service account of \
                 your own namespace"
            )),
        );
    }
}

/// Checks the subjects of a binding of rbacc.yaml (`spec.clusterBindings`):
/// as a team's, but for `system:` groups, which the platform may bind
/// (`system:authenticated`), except those anyone is a member of without
/// logging in.
pub(crate) fn check_platform(subjects: &raw::Subjects, diags: &mut Diagnostics) -> Vec<Subject> {
    let mut out = Vec::new();
    for s in &subjects.groups {
        let anonymous = matches!(
            s.value.as_str(),
            "system:unauthenticated" | "system:anonymous"
        );
        if anonymous {
            diags.push(
                Diagnostic::error(Code::SystemSubject, s.span, format!("`{}` is everyone, logged in or not", s.value))
                    .label("anonymous requests")
                    .help("bind `system:authenticated` for every user who logs in; anonymous access is never rbacc's to give"),
            );
            continue;
        }
        let problem = match s.value.starts_with("system:") {
            true => name_problem(&Sp::new(s.value.replacen("system:", "", 1), s.span)),
            false => name_problem(s),
        };
        match problem {
            None => out.push(Subject::Group(s.value.clone())),
            Some(d) => diags.push(d),
        }
    }
    users_and_accounts(subjects, out, diags)
}

/// Why a user or group name is not one, if it is not.
fn name_problem(s: &Sp<String>) -> Option<Diagnostic> {
    let d = if s.value.len() > MAX_SUBJECT_NAME {
        Diagnostic::error(
            Code::InputLimit,
            s.span,
            format!(
                "a subject name of {} bytes, more than {MAX_SUBJECT_NAME}",
                s.value.len()
            ),
        )
        .label("too long to be a user or group")
        .help("identity providers keep names short; a long one only pushes other rows out of the pull-request report")
    } else if let Some(c) = s.value.chars().find(|&c| is_invisible(c)) {
        Diagnostic::error(
            Code::InvalidValue,
            s.span,
            format!(
                "subject `{}` holds the invisible character {}",
                visible(&s.value),
                visible(&c.to_string())
            ),
        )
        .label("invalid subject")
        .help("a name with control, line-break or formatting characters reads as another name in a review")
    } else if s.value.trim().is_empty() || s.value.trim() != s.value {
        Diagnostic::error(
            Code::InvalidValue,
            s.span,
            "subject names may not be empty or start or end with spaces",
        )
        .label("invalid subject")
    } else if s.value.starts_with("system:") {
        Diagnostic::error(Code::SystemSubject, s.span, format!("`{}` is a Kubernetes system identity", s.value))
            .label("reserved `system:` subject")
            .help("`system:` users and groups span the whole cluster; name service accounts under `serviceAccounts` as `namespace/name`")
    } else {
        return None;
    };
    Some(d)
}

/// Reads a `namespace/name` service-account reference, or says why it is
/// not one.
fn service_account_ref(sa: &Sp<String>) -> Result<Subject, Diagnostic> {
    let invalid = |span: Span, why: String| {
        Diagnostic::error(
            Code::InvalidValue,
            span,
            format!("`{}` is not a service account reference: {why}", sa.value),
        )
        .help("write `namespace/name`, for example `argocd/argocd-application-controller`")
    };
    let Some((namespace, name)) = sa.value.split_once('/') else {
        return Err(invalid(
            sa.span,
            "it has no `/` between namespace and name".to_string(),
        )
        .label("expected `namespace/name`"));
    };
    // The span of the part at `at..at + len` of the value, when the value
    // is written plainly or in quotes without escapes; else the whole value.
    let part = |at: usize, len: usize| {
        let quotes = match sa.span.len as usize {
            n if n == sa.value.len() => 0,
            n if n == sa.value.len() + 2 => 1,
            _ => return sa.span,
        };
        Span::new(sa.span.file, sa.span.offset as usize + quotes + at, len)
    };
    if namespace.is_empty() || name.is_empty() {
        let side = if namespace.is_empty() {
            "before"
        } else {
            "after"
        };
        return Err(invalid(sa.span, format!("it has nothing {side} the `/`"))
            .label("expected `namespace/name`"));
    }
    if let Some(problem) = dns_label_problem(namespace) {
        return Err(invalid(
            part(0, namespace.len()),
            format!("the namespace `{namespace}` is not valid because {problem}"),
        )
        .label("not a valid namespace"));
    }
    if let Some(problem) = dns_subdomain_problem(name) {
        return Err(invalid(
            part(namespace.len() + 1, name.len()),
            format!("the name `{name}` is not valid because {problem}"),
        )
        .label("not a valid service account name"));
    }
    Ok(Subject::ServiceAccount {
        namespace: namespace.to_string(),
        name: name.to_string(),
    })
}
