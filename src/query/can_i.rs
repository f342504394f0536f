//! `rbacc can-i`: whether one user may make one request.
//!
//! **Input**: a [`Target`] and a [`CanI`] question.
//!
//! **Output**: `yes` or `no` (or the JSON with every grant behind a yes),
//! the grants in words for `--verbose`, and the decision.
//!
//! **Invariants**: the decision is the evaluator's (`Manifests::explain`
//! finds a grant exactly when `allows` is true), so the exit code and the
//! listed grants never disagree.

use super::json::{CanIJson, GrantJson, RequestJson, UserJson, json};
use super::request::resolve;
use super::table::object_text;
use super::{Answer, CanI, Format, QueryError, Style, Target};

/// `rbacc can-i`. With `quiet`, nothing is printed (the exit code answers).
pub fn can_i(
    target: &Target,
    question: &CanI,
    style: Style,
    quiet: bool,
) -> Result<Answer, QueryError> {
    let (request, warnings) = resolve(target, &question.request)?;
    let user = question.user.info();
    let grants = target.manifests.explain(&user, &request);
    let yes = !grants.is_empty();
    let details = grants
        .iter()
        .map(|g| {
            format!(
                "allowed by {} -> {} (rule {})",
                object_text(&g.binding_kind, &g.binding_name),
                object_text(&g.role_kind, &g.role_name),
                g.rule_index
            )
        })
        .collect();
    let stdout = match style.format {
        _ if quiet => String::new(),
        Format::Text => format!("{}\n", if yes { "yes" } else { "no" }),
        Format::Json => json(&CanIJson {
            allowed: yes,
            cluster: target.cluster.as_deref(),
            user: UserJson::of(&user),
            request: RequestJson::of(&request),
            grants: grants
                .iter()
                .map(|g| GrantJson::of(g, target.manifests.rule(g)))
                .collect(),
        }),
    };
    Ok(Answer {
        stdout,
        warnings,
        details,
        yes,
    })
}
