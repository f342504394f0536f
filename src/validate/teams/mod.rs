//! Team files: `teams/**/*.yaml` checked and resolved into [`Team`]s.
//!
//! Input: the raw teams (as written, spanned), the checked [`Settings`] of
//! rbacc.yaml and the date expiring access is judged on. Output: the
//! resolved teams, sorted by name, with their namespaces and RoleBindings;
//! every problem as a diagnostic; the origins and risk findings of the
//! bindings in the [`Analysis`].
//!
//! One file per family of checks. The teams are walked in three passes,
//! each needing the one before done for every team:
//!
//! 1. [`identity`]: team names, so that grants and service accounts can
//!    refer to any team and namespace;
//! 2. [`members`]: `spec.members`, so that a grant to a team can bind its
//!    members;
//! 3. per team, `spec.allow` ([`allow`]) and its [`namespaces`], whose
//!    [`bindings`] come from the members, the namespace's
//!    [`service_accounts`] and its [`grants`], and whose findings
//!    [`risks`] computes.
//!
//! [`subjects`], [`expiry`] and [`roles`] check what members entries,
//! grants, service accounts and `allow` entries share: subject lists,
//! `expires` and role references.
//!
//! Invariants: each members entry and grant is checked once, where it is
//! declared (members once per team, not once per namespace); a team
//! without a valid name of its own, or a namespace whose name is not a
//! DNS-1123 label, is reported and not looked into further; anything else
//! with a problem is reported and left out of the resolved team while the
//! checks go on.

use std::collections::BTreeMap;

use crate::clock::Date;
use crate::diag::Diagnostics;
use crate::model::{Team, raw};
use crate::source::Sources;

use super::analysis::Analysis;
use super::config::Settings;

mod allow;
mod bindings;
pub(super) mod expiry;
mod grants;
mod identity;
mod members;
mod namespaces;
mod risks;
pub(super) mod roles;
mod service_accounts;
pub(super) mod subjects;

use allow::Allowed;
use roles::Roles;

use super::config::KnownRole;
use members::TeamMembers;
use risks::RoleRisks;
use subjects::Declarer;

/// Which team declares each namespace.
type NamespaceOwners<'a> = BTreeMap<&'a str, &'a str>;

pub fn check(
    sources: &Sources,
    settings: &Settings,
    teams: &[raw::Team],
    broken: &std::collections::BTreeSet<String>,
    today: Option<Date>,
    analysis: &mut Analysis,
    diags: &mut Diagnostics,
) -> Vec<Team> {
    let by_name = identity::check(sources, teams, diags);
    let owner_of = identity::namespace_owners(&by_name);
    let own_roles: BTreeMap<&str, BTreeMap<String, KnownRole>> = by_name
        .iter()
        .map(|(name, team)| {
            let source = sources.path(team.file);
            (
                *name,
                roles::check_team_roles(settings, source, team, diags),
            )
        })
        .collect();
    let roles_of = |name: &str| Roles {
        settings,
        team: &own_roles[name],
    };
    let members: BTreeMap<&str, TeamMembers> = by_name
        .iter()
        .map(|(name, team)| {
            let by = Declarer {
                team: name,
                owner_of: &owner_of,
            };
            (
                *name,
                members::check(roles_of(name), team, by, today, diags),
            )
        })
        .collect();
    let role_risks = RoleRisks::of(settings);
    let team_names: std::collections::BTreeSet<&str> = by_name.keys().copied().collect();
    let mut namespaces_seen = namespaces::Seen::new();
    let mut out = Vec::new();
    for (name, team) in &by_name {
        let roles = roles_of(name);
        let allow = allow::check(roles, team, diags);
        let source = sources.path(team.file);
        let own_risks = RoleRisks::of_roles(roles.team);
        let ctx = TeamCtx {
            settings,
            roles,
            own_risks: &own_risks,
            team: name,
            source,
            team_names: &team_names,
            broken,
            members: &members,
            today,
            allow: &allow,
            role_risks: &role_risks,
            owner_of: &owner_of,
        };
        let errors_before = diags.error_count();
        let namespaces = namespaces::check_team(&ctx, team, &mut namespaces_seen, analysis, diags);
        // An entry that accepts nothing would silently accept whatever a
        // later change adds: say so (once the team's file is otherwise valid).
        if diags.error_count() == errors_before {
            allow::report_unused(&allow, analysis, diags);
        }
        out.push(Team {
            name: name.to_string(),
            source: source.to_string(),
            description: team.description.as_ref().map(|d| d.value.clone()),
            contacts: team.contacts.iter().map(|c| c.value.clone()).collect(),
            owners: super::owners::check(&team.owners, diags),
            members: members[name].all.clone(),
            roles: own_roles[name].values().map(|r| r.def.clone()).collect(),
            namespaces,
        });
    }
    out
}

/// What the checks of one team's namespaces read.
struct TeamCtx<'a> {
    settings: &'a Settings,
    /// The roles the team may bind: rbacc.yaml's and its own.
    roles: Roles<'a>,
    /// The risks each of the team's own roles gives.
    own_risks: &'a RoleRisks<'a>,
    /// The team's name.
    team: &'a str,
    /// Repo-relative path of the team's file.
    source: &'a str,
    /// Every team's name.
    team_names: &'a std::collections::BTreeSet<&'a str>,
    /// The teams whose files do not parse: named elsewhere, they are not
    /// reported as unknown (their own file's diagnostic says what is wrong).
    broken: &'a std::collections::BTreeSet<String>,
    /// Every team's members, by team name.
    members: &'a BTreeMap<&'a str, TeamMembers>,
    today: Option<Date>,
    /// The team's `spec.allow`, checked.
    allow: &'a [Allowed],
    /// The risks each role (by the name teams use) gives.
    role_risks: &'a RoleRisks<'a>,
    /// The team that declares each namespace.
    owner_of: &'a NamespaceOwners<'a>,
}

impl TeamCtx<'_> {
    /// The team, as the declarer of the subject lists in its file.
    fn declarer(&self) -> Declarer<'_> {
        Declarer {
            team: self.team,
            owner_of: self.owner_of,
        }
    }
}
