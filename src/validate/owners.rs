//! Checks on `metadata.owners`: every entry must be something a CODEOWNERS
//! file can name, because GitHub ignores a whole CODEOWNERS file when one
//! line of it is invalid.
//!
//! [`check`] runs on every compilation and accepts what either forge
//! accepts; [`check_for`] adds the rules of one forge, for a compilation
//! that renders its CODEOWNERS file.

use std::collections::BTreeMap;

use crate::codeowners::Syntax;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw;
use crate::source::{Sp, Span};

/// What an owner entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner<'a> {
    /// `@alice`, `@acme/payments`, `@acme/platform/payments`: a user, a
    /// team or a group; `parts` is the number of `/`-separated names.
    Account { parts: usize },
    /// `@@maintainer`: a GitLab role.
    Role(&'a str),
    /// `alice@example.com`.
    Email,
}

/// GitLab's roles a CODEOWNERS file may name.
const GITLAB_ROLES: &[&str] = &["developer", "maintainer", "owner"];

const HELP: &str = "an owner is a user (`@alice`), a team (`@acme/payments`; on GitLab also a \
                    subgroup, `@acme/platform/payments`) or an email address; quote entries \
                    that start with `@` in YAML";

/// Reads one entry, or says what is wrong with it.
fn parse(owner: &str) -> Result<Owner<'_>, String> {
    if owner.is_empty() {
        return Err("an owner may not be empty".to_string());
    }
    if owner.chars().any(char::is_whitespace) {
        return Err(format!(
            "`{owner}` contains whitespace, which separates owners in CODEOWNERS"
        ));
    }
    if owner.contains('#') {
        return Err(format!(
            "`{owner}` contains `#`, which starts a comment in CODEOWNERS"
        ));
    }
    if let Some(role) = owner.strip_prefix("@@") {
        if role.is_empty() || !role.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(format!(
                "`{owner}` is not a role: GitLab writes `@@maintainer`"
            ));
        }
        return Ok(Owner::Role(role));
    }
    if let Some(name) = owner.strip_prefix('@') {
        if name.is_empty() {
            return Err("`@` must be followed by a user or team name".to_string());
        }
        let mut parts = 0;
        for part in name.split('/') {
            parts += 1;
            if part.is_empty() {
                return Err(format!("`{owner}` has an empty name between `/`"));
            }
            if let Some(c) = part
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            {
                return Err(format!(
                    "`{owner}` contains `{c}`, which user and team names do not"
                ));
            }
            if part.starts_with(['-', '.']) {
                return Err(format!(
                    "`{owner}`: a user or team name starts with a letter, digit or `_`"
                ));
            }
        }
        return Ok(Owner::Account { parts });
    }
    let Some((local, domain)) = owner.split_once('@') else {
        return Err(format!(
            "`{owner}` is neither `@user`, `@org/team` nor an email address"
        ));
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-'".contains(c));
    let domain_ok = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !local_ok || !domain_ok {
        return Err(format!("`{owner}` is not an email address"));
    }
    Ok(Owner::Email)
}

/// Checks a team's owners as either forge reads them and returns them as
/// written, without duplicates (compared ignoring case, as forges compare
/// names and addresses).
pub fn check(owners: &[Sp<String>], diags: &mut Diagnostics) -> Vec<String> {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    let mut out = Vec::new();
    for owner in owners {
        if let Err(problem) = parse(&owner.value) {
            let with_at = format!("@{}", owner.value);
            let help = if !owner.value.contains('@') && parse(&with_at).is_ok() {
                format!("did you mean `{with_at}`? (quoted in YAML: `\"{with_at}\"`)")
            } else {
                HELP.to_string()
            };
            diags.push(
                Diagnostic::error(Code::InvalidOwner, owner.span, problem)
                    .label("not an owner CODEOWNERS can name")
                    .help(help),
            );
            continue;
        }
        if let Some(first) = seen.insert(owner.value.to_lowercase(), owner.span) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateEntry,
                    owner.span,
                    format!("owner `{}` is listed twice", owner.value),
                )
                .label("listed again here")
                .with_secondary(first, "first listed here"),
            );
            continue;
        }
        out.push(owner.value.clone());
    }
    out
}

/// Checks the platform's and every team's owners against what `syntax`'s forge accepts
/// beyond [`check`]: GitHub has no nested teams and no roles; GitLab's roles
/// are `@@developer`, `@@maintainer` and `@@owner`. Entries [`check`]
/// rejects are not reported again.
pub fn check_for(
    syntax: Syntax,
    config: &raw::Config,
    teams: &[raw::Team],
    diags: &mut Diagnostics,
) {
    for owner in config
        .owners
        .iter()
        .chain(teams.iter().flat_map(|t| &t.owners))
    {
        let problem = match (syntax, parse(&owner.value)) {
            (Syntax::Github, Ok(Owner::Account { parts })) if parts > 2 => (
                format!("GitHub has no nested teams: `{}`", owner.value),
                "a GitLab subgroup",
                "GitHub names a team `@org/team`",
            ),
            (Syntax::Github, Ok(Owner::Role(_))) => (
                format!("GitHub's CODEOWNERS has no roles: `{}`", owner.value),
                "a GitLab role",
                "name a user (`@alice`) or a team (`@org/team`)",
            ),
            (Syntax::Gitlab, Ok(Owner::Role(role))) if !GITLAB_ROLES.contains(&role) => (
                format!(
                    "`{}` is not a role GitLab's CODEOWNERS accepts",
                    owner.value
                ),
                "unknown role",
                "GitLab's roles are `@@developer`, `@@maintainer` and `@@owner`",
            ),
            _ => continue,
        };
        let (message, label, help) = problem;
        diags.push(
            Diagnostic::error(Code::InvalidOwner, owner.span, message)
                .label(format!("{label}, in a {} CODEOWNERS file", syntax.forge()))
                .help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_forges_name() {
        for (owner, parsed) in [
            ("@alice", Owner::Account { parts: 1 }),
            ("@alice-b", Owner::Account { parts: 1 }),
            ("@acme/payments", Owner::Account { parts: 2 }),
            ("@acme/platform_team", Owner::Account { parts: 2 }),
            ("@gitlab-org/ci.cd/runners", Owner::Account { parts: 3 }),
            ("@@maintainer", Owner::Role("maintainer")),
            ("alice@example.com", Owner::Email),
            ("first.last+rbac@mail.example.co.uk", Owner::Email),
        ] {
            assert_eq!(parse(owner), Ok(parsed), "{owner}");
        }
    }

    #[test]
    fn refuses_what_would_break_a_codeowners_line() {
        for (owner, problem) in [
            ("", "may not be empty"),
            ("@alice @bob", "whitespace"),
            ("@acme/payments\t", "whitespace"),
            ("@acme#1", "comment"),
            ("@", "must be followed"),
            ("@acme/", "empty name"),
            ("@acme//payments", "empty name"),
            ("@acme/pay$", "contains `$`"),
            ("@-alice", "starts with"),
            ("alice", "neither"),
            ("payments-team", "neither"),
            ("alice@localhost", "not an email"),
            ("@alice@example.com", "contains `@`"),
            ("a@b@example.com", "not an email"),
            ("@@", "not a role"),
            ("@@Maintainer", "not a role"),
        ] {
            let got = parse(owner).expect_err(owner);
            assert!(got.contains(problem), "{owner}: {got}");
        }
    }
}
