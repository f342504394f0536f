//! Team identities: each team file's `metadata.name`.
//!
//! Input: the raw teams. Output: the teams by name, and which team
//! declares each namespace.
//!
//! Invariants: a name is a DNS-1123 label equal to its file's name; files
//! are judged in path order, so where two declare one name the first keeps
//! it and the other is reported; a team without a valid name of its own is
//! left out of every later check.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::source::Sources;
use crate::validate::{check_dns_label, declared_twice};

use super::NamespaceOwners;

/// The teams with a valid name of their own, by name.
pub(super) fn check<'a>(
    sources: &Sources,
    teams: &'a [raw::Team],
    diags: &mut Diagnostics,
) -> BTreeMap<&'a str, &'a raw::Team> {
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
                declared_twice(
                    Code::DuplicateTeam,
                    name.span,
                    format!("team `{}` is declared twice", name.value),
                    first_span,
                )
                .help("each team has exactly one file under `teams/`"),
            );
            continue;
        }
        by_name.insert(&name.value, team);
    }
    by_name
}

/// Which team declares each namespace, for service accounts named across
/// teams. Where two teams declare one namespace (reported with the
/// namespaces), the later by name.
pub(super) fn namespace_owners<'a>(
    by_name: &BTreeMap<&'a str, &'a raw::Team>,
) -> NamespaceOwners<'a> {
    by_name
        .iter()
        .flat_map(|(name, team)| {
            team.namespaces
                .iter()
                .map(move |ns| (ns.name.as_str(), *name))
        })
        .collect()
}
