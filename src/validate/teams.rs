//! Checks on team files: names, namespaces, subjects and the RoleBindings
//! they resolve to.

use std::collections::{BTreeMap, BTreeSet};

use crate::clock::{self, Date};
use crate::decode::{backticked, backticked_all};
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::raw::{self, NamespacePrefix};
use crate::model::{Binding, Namespace, Subject, Team, cluster_role_name};
use crate::risk::{self, Level, Risk};
use crate::source::{Sources, Sp, Span};

use super::analysis::{Analysis, Finding, Origin};
use super::config::{CLUSTER_ADMIN, Settings};
use super::names::{label_key_problem, label_value_problem};
use super::quota::check_quota;
use super::{check_dns_label, dns_label_problem};

pub fn check(
    sources: &Sources,
    settings: &Settings,
    teams: &[raw::Team],
    today: Option<Date>,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Vec<Team> {
    // Pass 1: team identities, so grants can refer to any team.
    let mut by_name: BTreeMap<&str, &raw::Team> = BTreeMap::new();
    let mut ordered: Vec<&raw::Team> = teams.iter().collect();
    ordered.sort_by(|a, b| sources.path(a.file).cmp(sources.path(b.file)));
    for team in ordered {
        let Some(name) = &team.name else { continue };
        if !check_dns_label(diags, name, "team name") {
            continue;
        }
        if name.value != team.file_stem {
            diags.push(
                Diagnostic::error(
                    Code::TeamFileName,
                    name.span,
                    format!(
                        "team `{}` is declared in a file named `{}.yaml`",
                        name.value, team.file_stem
                    ),
                )
                .label("differs from the file name")
                .help(format!(
                    "rename the file to `{}.yaml`, or change `metadata.name`",
                    name.value
                )),
            );
        }
        if let Some(first) = by_name.get(name.value.as_str()) {
            let first_span = first.name.as_ref().map_or(name.span, |n| n.span);
            diags.push(
                Diagnostic::error(
                    Code::DuplicateTeam,
                    name.span,
                    format!("team `{}` is declared twice", name.value),
                )
                .label("declared again here")
                .with_secondary(first_span, "first declared here")
                .help("each team has exactly one file under `teams/`"),
            );
            continue;
        }
        by_name.insert(&name.value, team);
    }

    // Which team declares each namespace, for service accounts named
    // across teams.
    let owner_of: BTreeMap<&str, &str> = by_name
        .iter()
        .flat_map(|(name, team)| {
            team.namespaces
                .iter()
                .map(move |ns| (ns.name.as_str(), *name))
        })
        .collect();
    // Pass 2: members, so grants to teams can name them.
    let members: BTreeMap<&str, BTreeMap<String, Members>> = by_name
        .iter()
        .map(|(name, team)| {
            for subjects in team.members.iter().map(|(_, s)| s) {
                foreign_service_accounts(subjects, name, &owner_of, diags);
            }
            (*name, check_members(settings, team, today, diags))
        })
        .collect();

    // The risks each role gives: the same in every namespace, since a
    // RoleBinding's namespace scopes the request, not the rule.
    let role_risks: BTreeMap<&str, Vec<risk::RuleMatch>> = settings
        .roles
        .iter()
        .map(|(name, role)| (name.as_str(), risk::findings_of(&role.def.rules, "")))
        .chain([(
            CLUSTER_ADMIN,
            risk::findings_of(&risk::cluster_admin_rules(), ""),
        )])
        .collect();

    // Pass 3: namespaces and bindings.
    let mut namespaces_seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut out = Vec::new();
    for (name, team) in &by_name {
        let mut namespaces = Vec::new();
        let allow = check_allow(settings, team, diags);
        let errors_before = diags.error_count();
        let limit = settings.limits.namespaces_per_team;
        if let Some(over) = team.namespaces.get(limit.0 as usize) {
            diags.push(super::limits::exceeded(
                over.name.span,
                format!(
                    "team `{name}` declares {} namespaces",
                    team.namespaces.len()
                ),
                limit,
                "namespacesPerTeam",
            ));
        }
        for ns in team.namespaces.iter().take(limit.0 as usize) {
            let ctx = TeamCtx {
                settings,
                team: name,
                members: &members,
                today,
                allow: &allow,
                role_risks: &role_risks,
                owner_of: &owner_of,
            };
            if let Some(ns) = check_namespace(&ctx, ns, &mut namespaces_seen, analysis, diags) {
                namespaces.push(ns);
            }
        }
        // An entry that accepts nothing would silently accept whatever a
        // later change adds: say so (once the team's file is otherwise valid).
        if diags.error_count() == errors_before {
            for entry in allow
                .iter()
                .filter(|a| !analysis.used_allow.contains(&a.span))
            {
                diags.push(
                    Diagnostic::warning(
                        Code::UnusedAllow,
                        entry.span,
                        format!("this `allow` of `{}` accepts no finding", entry.risk.id()),
                    )
                    .label(format!("no binding of role `{}` gives this risk", entry.role))
                    .help("remove it, so that it does not accept a risk a later change brings in unnoticed"),
                );
            }
        }
        namespaces.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(Team {
            name: name.to_string(),
            source: sources.path(team.file).to_string(),
            description: team.description.as_ref().map(|d| d.value.clone()),
            contacts: team.contacts.iter().map(|c| c.value.clone()).collect(),
            owners: super::owners::check(&team.owners, diags),
            members: {
                let mut all: Vec<Subject> = members[name]
                    .values()
                    .flat_map(|m| m.subjects.iter().cloned())
                    .collect();
                all.sort();
                all.dedup();
                all
            },
            namespaces,
        });
    }
    out
}

struct TeamCtx<'a> {
    settings: &'a Settings,
    team: &'a str,
    members: &'a BTreeMap<&'a str, BTreeMap<String, Members>>,
    today: Option<Date>,
    /// The team's `spec.allow`, checked.
    allow: &'a [Allowed],
    /// The risks each role (by the name teams use) gives.
    role_risks: &'a BTreeMap<&'a str, Vec<risk::RuleMatch>>,
    /// The team that declares each namespace.
    owner_of: &'a BTreeMap<&'a str, &'a str>,
}

/// A checked entry of a team's `spec.allow`.
struct Allowed {
    risk: Risk,
    /// The role whose bindings give the accepted findings.
    role: String,
    reason: String,
    span: Span,
}

/// Checks a team's `spec.allow`: known risks and roles, and a reason. An
/// entry without its role (reported by the decoder) accepts nothing.
fn check_allow(settings: &Settings, team: &raw::Team, diags: &mut Diagnostics) -> Vec<Allowed> {
    let ids: Vec<&str> = Risk::ALL.iter().map(|r| r.id()).collect();
    let mut out = Vec::new();
    for entry in &team.allow {
        let Some(risk) = Risk::from_id(&entry.risk.value) else {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    entry.risk.span,
                    format!("`{}` is not a risk rbacc reports", entry.risk.value),
                )
                .label("unknown risk")
                .help(match did_you_mean(&entry.risk.value, ids.iter().copied()) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!("risks are {}", backticked(&ids)),
                }),
            );
            continue;
        };
        let Some(role) = &entry.role else { continue };
        if !check_role_ref(settings, role, diags) {
            continue;
        }
        let Some(reason) = entry.reason.as_ref().filter(|r| !r.value.trim().is_empty()) else {
            if let Some(reason) = &entry.reason {
                diags.push(
                    Diagnostic::error(
                        Code::MissingField,
                        reason.span,
                        "an `allow` entry needs a reason",
                    )
                    .label("empty reason")
                    .help("say why the team needs this, so reviewers can judge it"),
                );
            }
            continue;
        };
        out.push(Allowed {
            risk,
            role: role.value.clone(),
            reason: reason.value.clone(),
            span: entry.span,
        });
    }
    out
}

/// The subjects a team's `spec.members` gives one role.
struct Members {
    /// The role's key under `members`, which the team's bindings of the role
    /// are generated from.
    key: Span,
    subjects: Vec<Subject>,
}

/// Resolves `spec.members`: role name -> sorted subjects.
fn check_members(
    settings: &Settings,
    team: &raw::Team,
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Members> {
    let mut out: BTreeMap<String, Members> = BTreeMap::new();
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for (role, subjects) in &team.members {
        if let Some(first) = seen.insert(&role.value, role.span) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateEntry,
                    role.span,
                    format!("role `{}` is listed twice", role.value),
                )
                .with_secondary(first, "first listed here"),
            );
            continue;
        }
        if !check_role_ref(settings, role, diags) {
            continue;
        }
        let active = check_expiry(subjects.expires.as_ref(), today, diags);
        let subjects = check_subjects(subjects, settings.limits.subjects_per_binding, diags);
        if !active {
            continue;
        }
        out.insert(
            role.value.clone(),
            Members {
                key: role.span,
                subjects,
            },
        );
    }
    out
}

/// Whether access declared with `expires` still holds on `today`; reports a
/// date that is not one, an expiry within [`clock::WARN_DAYS`], and one
/// that has passed. Without a date to judge on, everything holds.
fn check_expiry(
    expires: Option<&Sp<String>>,
    today: Option<Date>,
    diags: &mut Diagnostics,
) -> bool {
    let Some(expires) = expires else {
        return true;
    };
    let date = match clock::parse_date(&expires.value) {
        Ok(date) => date,
        Err(problem) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    expires.span,
                    format!("`{}` is not a date: {problem}", expires.value),
                )
                .label("expected `YYYY-MM-DD`")
                .help("`expires: 2026-12-31` grants the access until that day; from that day on it is not emitted"),
            );
            // Invalid input fails the compilation; grant nothing meanwhile.
            return false;
        }
    };
    let Some(today) = today else {
        return true;
    };
    let days = clock::days_until(today, date);
    if days <= 0 {
        let ago = match -days {
            0 => "today".to_string(),
            1 => "yesterday".to_string(),
            n => format!("{n} days ago"),
        };
        diags.push(
            Diagnostic::warning(
                Code::Expired,
                expires.span,
                format!("this access expired on {date}; it is no longer emitted"),
            )
            .label(format!("expired {ago}"))
            .help("delete the entry, or move `expires` to a later date to renew it"),
        );
        false
    } else {
        if days <= clock::WARN_DAYS {
            let when = if days == 1 {
                "tomorrow".to_string()
            } else {
                format!("in {days} days")
            };
            diags.push(
                Diagnostic::warning(
                    Code::ExpiresSoon,
                    expires.span,
                    format!("this access expires on {date}, {when}"),
                )
                .label(format!("expires {when}"))
                .help("move `expires` to a later date to renew it; from that day, `rbacc check` fails until `rbacc build` has removed it from out/"),
            );
        }
        true
    }
}

/// Whether `role` names a role a team may bind.
fn check_role_ref(settings: &Settings, role: &Sp<String>, diags: &mut Diagnostics) -> bool {
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
    let mut d = Diagnostic::error(
        Code::UnknownRole,
        role.span,
        format!("unknown role `{}`", role.value),
    )
    .label("no such role");
    d = match did_you_mean(&role.value, names.iter().copied()) {
        Some(best) => d.help(format!("did you mean `{best}`?")),
        None => d.help(format!(
            "roles are {}; declare custom roles under `spec.roles` in rbacc.yaml",
            backticked(&names)
        )),
    };
    diags.push(d);
    false
}

/// The ClusterRole object a role reference binds.
fn cluster_role_of(role: &str) -> String {
    if role == CLUSTER_ADMIN {
        role.to_string()
    } else {
        cluster_role_name(role)
    }
}

/// Warns about each service account of `subjects` (as `namespace/name`)
/// that lives in another team's namespace: whoever can run pods there (that
/// team's deployers and admins) acts as it, so the access given to it is
/// theirs too, and a later change to their members shows in review under
/// their team, not here.
fn foreign_service_accounts(
    subjects: &raw::Subjects,
    team: &str,
    owner_of: &BTreeMap<&str, &str>,
    diags: &mut Diagnostics,
) {
    for sa in &subjects.service_accounts {
        let Some((namespace, _)) = sa.value.split_once('/') else {
            continue;
        };
        let Some(owner) = owner_of.get(namespace).filter(|owner| **owner != team) else {
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

/// Longest user or group name a team file may give, in bytes.
const MAX_SUBJECT_NAME: usize = 256;

fn check_subjects(
    subjects: &raw::Subjects,
    limit: (u64, Option<Span>),
    diags: &mut Diagnostics,
) -> Vec<Subject> {
    let all = || {
        subjects
            .groups
            .iter()
            .chain(&subjects.users)
            .chain(&subjects.service_accounts)
    };
    if let Some(over) = all().nth(limit.0 as usize) {
        diags.push(super::limits::exceeded(
            over.span,
            format!("{} subjects in one entry", all().count()),
            limit,
            "subjectsPerBinding",
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (list, make) in [
        (&subjects.groups, Subject::Group as fn(String) -> Subject),
        (&subjects.users, Subject::User as fn(String) -> Subject),
    ] {
        for s in list {
            if s.value.len() > MAX_SUBJECT_NAME {
                diags.push(
                    Diagnostic::error(
                        Code::InputLimit,
                        s.span,
                        format!(
                            "a subject name of {} bytes, more than {MAX_SUBJECT_NAME}",
                            s.value.len()
                        ),
                    )
                    .label("too long to be a user or group")
                    .help("identity providers keep names short; a long one only pushes other rows out of the pull-request report"),
                );
            } else if let Some(c) = s.value.chars().find(|&c| crate::text::is_invisible(c)) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        s.span,
                        format!(
                            "subject `{}` holds the invisible character {}",
                            crate::text::visible(&s.value),
                            crate::text::visible(&c.to_string())
                        ),
                    )
                    .label("invalid subject")
                    .help("a name with control, line-break or formatting characters reads as another name in a review"),
                );
            } else if s.value.trim().is_empty() || s.value.trim() != s.value {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        s.span,
                        "subject names may not be empty or start or end with spaces",
                    )
                    .label("invalid subject"),
                );
            } else if s.value.starts_with("system:") {
                diags.push(
                    Diagnostic::error(Code::SystemSubject, s.span, format!("`{}` is a Kubernetes system identity", s.value))
                        .label("reserved `system:` subject")
                        .help("`system:` users and groups span the whole cluster; name service accounts under `serviceAccounts` as `namespace/name`"),
                );
            } else {
                out.push(make(s.value.clone()));
            }
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
    if let Some(problem) = super::names::dns_subdomain_problem(name) {
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

fn check_namespace(
    ctx: &TeamCtx,
    ns: &raw::Namespace,
    seen: &mut BTreeMap<String, Span>,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Option<Namespace> {
    let settings = ctx.settings;
    let name = &ns.name;
    if !check_dns_label(diags, name, "namespace name") {
        return None;
    }
    let mut ok = true;
    if let Some(first) = seen.get(&name.value) {
        diags.push(
            Diagnostic::error(
                Code::DuplicateNamespace,
                name.span,
                format!("namespace `{}` is declared twice", name.value),
            )
            .label("declared again here")
            .with_secondary(*first, "first declared here")
            .help(
                "a namespace belongs to exactly one team; use `grants` to give other teams access",
            ),
        );
        ok = false;
    } else {
        seen.insert(name.value.clone(), name.span);
    }
    if let Some(why) = settings.reserved.why(&name.value) {
        diags.push(super::reserved::diagnostic(name, &why));
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
    let clusters = match &ns.clusters {
        None => settings.cluster_names().map(String::from).collect(),
        Some(list) => {
            let mut clusters = BTreeSet::new();
            for c in list {
                if settings.cluster_names().any(|n| n == c.value) {
                    clusters.insert(c.value.clone());
                    continue;
                }
                // With no cluster read from rbacc.yaml, that file's own
                // findings say why; every name would be unknown.
                if settings.clusters.is_empty() && diags.has_errors() {
                    ok = false;
                    continue;
                }
                let mut d = Diagnostic::error(
                    Code::UnknownCluster,
                    c.span,
                    format!("unknown cluster `{}`", c.value),
                )
                .label("not declared in rbacc.yaml");
                let names: Vec<&str> = settings.cluster_names().collect();
                d = match did_you_mean(&c.value, names.iter().copied()) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None if names.is_empty() => d,
                    None => d.help(format!("rbacc.yaml declares {}", backticked_all(&names))),
                };
                diags.push(d);
                ok = false;
            }
            if list.is_empty() {
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
            clusters.into_iter().collect()
        }
    };
    let pod_security = ns
        .pod_security
        .as_ref()
        .map_or(settings.pod_security, |p| p.value);
    if let Some(p) = &ns.pod_security
        && !settings.pod_security_policy.check_choice(name, p, diags)
    {
        ok = false;
    }
    let mut quota = settings.quota.clone();
    quota.extend(check_quota(&ns.quota, diags));
    let labels = check_labels(&ns.labels, &settings.labels, diags);

    let mut bindings = Bindings::default();
    let team_members = &ctx.members[ctx.team];
    for (role, members) in team_members {
        bindings.add(
            format!("{}-{role}", ctx.team),
            role,
            members.subjects.clone(),
            members.key,
            format!("`members.{role}`"),
        );
    }
    let mut service_accounts = BTreeMap::new();
    for sa in &ns.service_accounts {
        if !check_dns_label(diags, &sa.name, "service account name") {
            continue;
        }
        if let Some(first) = service_accounts.insert(sa.name.value.clone(), sa.name.span) {
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
        if check_role_ref(settings, &sa.role, diags) {
            let subject = Subject::ServiceAccount {
                namespace: name.value.clone(),
                name: sa.name.value.clone(),
            };
            bindings.add(
                format!("sa-{}", sa.name.value),
                &sa.role.value,
                vec![subject],
                sa.name.span,
                format!("service account `{}`", sa.name.value),
            );
        }
    }
    for grant in &ns.grants {
        if !check_role_ref(settings, &grant.role, diags) {
            continue;
        }
        // An expired grant is still checked, then left out.
        let active = check_expiry(grant.subjects.expires.as_ref(), ctx.today, diags);
        if grant.teams.is_empty()
            && grant.subjects.groups.is_empty()
            && grant.subjects.users.is_empty()
            && grant.subjects.service_accounts.is_empty()
        {
            diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    grant.role.span,
                    format!("this grant of `{}` names nobody", grant.role.value),
                )
                .label("given to no `teams`, `groups`, `users` or `serviceAccounts`")
                .help(
                    "list who gets the role under `teams`, `groups`, `users` or `serviceAccounts`",
                ),
            );
            continue;
        }
        let role = &grant.role.value;
        let creates_pods =
            settings.roles.get(role).is_some_and(|r| r.creates_pods) || role == CLUSTER_ADMIN;
        if active && creates_pods {
            diags.push(
                Diagnostic::warning(Code::RiskyGrant, grant.role.span, format!("granting `{role}` on `{}` lets others create pods", name.value))
                    .label("can create pods")
                    .help("whoever can create pods can mount every Secret and run as every service account in the namespace; grant `viewer` unless they must deploy"),
            );
        }
        for other in &grant.teams {
            let Some(other_members) = ctx.members.get(other.value.as_str()) else {
                let names: Vec<&str> = ctx.members.keys().copied().collect();
                let mut d = Diagnostic::error(
                    Code::UnknownTeam,
                    other.span,
                    format!("unknown team `{}`", other.value),
                )
                .label("no such team");
                d = match did_you_mean(&other.value, names) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help(format!("no file `teams/{}.yaml` declares it", other.value)),
                };
                diags.push(d);
                continue;
            };
            if !active {
                continue;
            }
            let subjects: Vec<Subject> = other_members
                .values()
                .flat_map(|m| m.subjects.iter().cloned())
                .collect();
            bindings.add(
                format!("{}-{role}", other.value),
                role,
                subjects,
                other.span,
                format!("a grant of `{role}` to team `{}`", other.value),
            );
        }
        foreign_service_accounts(&grant.subjects, ctx.team, ctx.owner_of, diags);
        let direct = check_subjects(&grant.subjects, settings.limits.subjects_per_binding, diags);
        if active && !direct.is_empty() {
            bindings.add(
                format!("grant-{role}"),
                role,
                direct,
                grant.role.span,
                format!("a grant of `{role}`"),
            );
        }
    }
    if ok {
        analyse(
            ctx,
            &name.value,
            name.span,
            &ns.service_accounts,
            &bindings,
            analysis,
        );
    }
    let bindings = bindings.finish(&name.value, diags);
    if !ok {
        return None;
    }
    Some(Namespace {
        name: name.value.clone(),
        clusters,
        pod_security,
        quota,
        limit_range: settings.limit_range.clone(),
        labels,
        service_accounts: service_accounts.into_keys().collect(),
        bindings,
    })
}

fn check_labels(
    labels: &[(Sp<String>, Sp<String>)],
    policy: &super::labels::LabelPolicy,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in labels {
        if let Some(reserved) = policy.reserved(&key.value) {
            diags.push(super::labels::diagnostic(key, &reserved));
            continue;
        }
        if let Some(problem) = label_key_problem(&key.value) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    key.span,
                    format!("`{}` is not a valid label key: {problem}", key.value),
                )
                .label("invalid label key"),
            );
            continue;
        }
        if let Some(problem) = label_value_problem(&value.value) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    value.span,
                    format!("`{}` is not a valid label value: {problem}", value.value),
                )
                .label("invalid label value")
                .help("label values are at most 63 letters, digits, `-`, `_` and `.`"),
            );
            continue;
        }
        out.insert(key.value.clone(), value.value.clone());
    }
    out
}

/// Records where the objects of namespace `namespace` come from, and the
/// risks each declared binding gives.
fn analyse(
    ctx: &TeamCtx,
    namespace: &str,
    span: Span,
    service_accounts: &[raw::ServiceAccount],
    bindings: &Bindings,
    analysis: &mut Analysis,
) {
    let team = ctx.team;
    let keep_all = analysis.keep_all;
    if keep_all {
        record_origins(team, namespace, span, service_accounts, bindings, analysis);
    }
    for declared in &bindings.0 {
        let binding = &declared.binding;
        let known = ctx.settings.roles.get(&declared.role);
        let risks = ctx.role_risks.get(declared.role.as_str());
        for found in risks.into_iter().flatten() {
            let by_role = known
                .filter(|r| r.allowed.contains(&found.risk))
                .and_then(|r| r.reason.as_ref())
                .map(|reason| (reason.value.clone(), reason.span));
            let level = ctx.settings.risk_levels[&found.risk].0;
            let team_entry = ctx
                .allow
                .iter()
                .find(|a| a.risk == found.risk && a.role == declared.role);
            if let Some(entry) = team_entry {
                analysis.used_allow.insert(entry.span);
            }
            // What the policy makes an error only rbacc.yaml can relax: a
            // team file cannot accept it for itself.
            let (by_team, refused) = match team_entry {
                Some(entry) if level == Level::Error => (None, Some(entry.span)),
                Some(entry) => (Some((entry.reason.clone(), entry.span)), None),
                None => (None, None),
            };
            let allowed = by_role.or(by_team);
            if !keep_all && (allowed.is_some() || level == Level::Allow) {
                continue;
            }
            analysis.findings.push(Finding {
                risk: found.risk,
                level,
                refused_allow: refused,
                namespace: namespace.to_string(),
                binding: binding.name.clone(),
                cluster_role: binding.cluster_role.clone(),
                role: declared.role.clone(),
                subjects: binding.subjects.clone(),
                rule_index: found.rule_index,
                request: found.request.clone(),
                span: declared.span,
                allowed,
                policy: ctx.settings.risk_levels[&found.risk].1,
            });
        }
    }
}

/// Records where the objects of a namespace come from.
fn record_origins(
    team: &str,
    namespace: &str,
    span: Span,
    service_accounts: &[raw::ServiceAccount],
    bindings: &Bindings,
    analysis: &mut Analysis,
) {
    analysis.origins.push(Origin {
        kind: "Namespace",
        namespace: None,
        name: namespace.to_string(),
        span,
        what: format!("namespace `{namespace}` of team `{team}`"),
    });
    for sa in service_accounts {
        analysis.origins.push(Origin {
            kind: "ServiceAccount",
            namespace: Some(namespace.to_string()),
            name: sa.name.value.clone(),
            span: sa.name.span,
            what: format!("service account `{}` of team `{team}`", sa.name.value),
        });
    }
    for declared in &bindings.0 {
        analysis.origins.push(Origin {
            kind: "RoleBinding",
            namespace: Some(namespace.to_string()),
            name: declared.binding.name.clone(),
            span: declared.span,
            what: format!(
                "{} in team `{team}`, binding role `{}`",
                declared.what, declared.role
            ),
        });
    }
}

/// The RoleBindings of one namespace as they are declared, checked for
/// name collisions.
#[derive(Default)]
struct Bindings(Vec<Declared>);

/// A binding, the role it binds as teams name it, and the declaration it
/// is generated from (a role key under `members`, a service account's name,
/// a team or role in a grant).
struct Declared {
    binding: Binding,
    role: String,
    span: Span,
    /// The declaration in words: `members.admin`, `grants[0]`.
    what: String,
}

impl Bindings {
    fn add(&mut self, name: String, role: &str, subjects: Vec<Subject>, span: Span, what: String) {
        if subjects.is_empty() {
            return;
        }
        let mut subjects = subjects;
        subjects.sort();
        subjects.dedup();
        self.0.push(Declared {
            binding: Binding {
                name,
                cluster_role: cluster_role_of(role),
                subjects,
            },
            role: role.to_string(),
            span,
            what,
        });
    }

    fn finish(self, namespace: &str, diags: &mut Diagnostics) -> Vec<Binding> {
        let mut by_name: BTreeMap<String, Declared> = BTreeMap::new();
        for declared in self.0 {
            let name = &declared.binding.name;
            match by_name.get_mut(name) {
                // The same role reached twice (e.g. a grant to a team for a
                // role it already holds): one binding with both subject sets.
                Some(existing) if existing.binding.cluster_role == declared.binding.cluster_role => {
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
