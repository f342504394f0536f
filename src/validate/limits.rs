//! Budgets on what one declaration makes (`policy.limits`).
//!
//! A few dozen bytes of team file can ask for a lot: 5,000 users on a role
//! in 1,000 namespaces is a 38 KB file and 627 MB of RoleBindings. Each
//! budget ends in an `input-limit` diagnostic on the declaration that goes
//! past it, before the work it would cost: namespaces and subjects are
//! counted as they are read, the bytes of output once a team is emitted.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::source::Span;

/// Most namespaces one team declares, by default.
pub const NAMESPACES_PER_TEAM: u64 = 100;
/// Most groups, users and service accounts one member entry or grant
/// names, by default.
pub const SUBJECTS_PER_BINDING: u64 = 1_000;
/// Most bytes of output one team compiles to, over every cluster, by
/// default.
pub const TEAM_OUTPUT_BYTES: u64 = 16 * 1024 * 1024;
/// Most bytes of output of the whole repository, by default.
pub const OUTPUT_BYTES: u64 = 512 * 1024 * 1024;
/// Most subjects of all RoleBindings together, counted in every namespace
/// on every cluster, by default: what `rbacc diff` evaluates one by one.
pub const BINDING_SUBJECTS: u64 = 1_000_000;

/// The budgets of one configuration, and where `rbacc.yaml` set each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub namespaces_per_team: (u64, Option<Span>),
    pub subjects_per_binding: (u64, Option<Span>),
    pub team_output_bytes: (u64, Option<Span>),
    pub output_bytes: (u64, Option<Span>),
    pub binding_subjects: (u64, Option<Span>),
}

impl Limits {
    pub fn of(raw: &raw::Limits) -> Limits {
        let pick = |value: &Option<crate::source::Sp<u64>>, default: u64| {
            value
                .as_ref()
                .map_or((default, None), |v| (v.value, Some(v.span)))
        };
        Limits {
            namespaces_per_team: pick(&raw.namespaces_per_team, NAMESPACES_PER_TEAM),
            subjects_per_binding: pick(&raw.subjects_per_binding, SUBJECTS_PER_BINDING),
            team_output_bytes: pick(&raw.team_output_bytes, TEAM_OUTPUT_BYTES),
            output_bytes: pick(&raw.output_bytes, OUTPUT_BYTES),
            binding_subjects: pick(&raw.binding_subjects, BINDING_SUBJECTS),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::of(&raw::Limits::default())
    }
}

/// An `input-limit` diagnostic at `span` for going past `limit`, naming
/// the `policy.limits` field that sets it.
pub fn exceeded(
    span: Span,
    message: String,
    (limit, set_at): (u64, Option<Span>),
    field: &str,
) -> Diagnostic {
    let d = Diagnostic::error(Code::InputLimit, span, message)
        .label(format!("past the limit of {limit}"))
        .help(format!(
            "`policy.limits.{field}` in rbacc.yaml sets the limit; split the declaration, \
             or ask the platform team to raise it"
        ));
    match set_at {
        Some(at) => d.with_secondary(at, "the limit is set here"),
        None => d,
    }
}

/// Reports every team whose files (`per_team`: team, its source's span,
/// bytes) and the whole output (`total` bytes) go past the budgets.
pub fn check_output(
    limits: &Limits,
    per_team: &[(String, Span, u64)],
    total: u64,
    first_file: Option<Span>,
    diags: &mut Diagnostics,
) {
    for (team, span, bytes) in per_team {
        if *bytes > limits.team_output_bytes.0 {
            diags.push(exceeded(
                *span,
                format!("team `{team}` compiles to {bytes} bytes of manifests"),
                limits.team_output_bytes,
                "teamOutputBytes",
            ));
        }
    }
    if total > limits.output_bytes.0
        && let Some(span) = limits.output_bytes.1.or(first_file)
    {
        diags.push(exceeded(
            span,
            format!("the repository compiles to {total} bytes of manifests"),
            limits.output_bytes,
            "outputBytes",
        ));
    }
}

/// Reports an organisation whose RoleBindings, together, name more
/// subjects than the budget, on the file of the team that names the most.
pub fn check_bindings(
    limits: &Limits,
    org: &crate::model::Org,
    sources: &crate::source::Sources,
    diags: &mut Diagnostics,
) {
    let per_team: Vec<(&crate::model::Team, u64)> = org
        .teams
        .iter()
        .map(|team| {
            let pairs = team
                .namespaces
                .iter()
                .map(|ns| {
                    let subjects: usize = ns.bindings.iter().map(|b| b.subjects.len()).sum();
                    (subjects * ns.clusters.len()) as u64
                })
                .sum();
            (team, pairs)
        })
        .collect();
    let total: u64 = per_team.iter().map(|(_, n)| n).sum();
    if total <= limits.binding_subjects.0 {
        return;
    }
    let Some((largest, pairs)) = per_team.iter().max_by_key(|(_, n)| *n) else {
        return;
    };
    let Some(file) = sources.find(&largest.source) else {
        return;
    };
    diags.push(exceeded(
        Span::file_start(file),
        format!(
            "the RoleBindings bind {total} subjects in all; team `{}` binds the most ({pairs})",
            largest.name
        ),
        limits.binding_subjects,
        "bindingSubjects",
    ));
}
