//! What validation learns besides the [`crate::model::Org`]: where each
//! RoleBinding and other object comes from, and the risk findings about
//! bindings. `check` reports the findings; `rbacc explain` shows both.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Subject;
use crate::risk::{Level, Risk};
use crate::source::Span;

#[derive(Debug, Default)]
pub struct Analysis {
    /// Keep origins and accepted findings too (what `rbacc explain` shows);
    /// otherwise only what [`Analysis::report`] reports is kept.
    pub keep_all: bool,
    /// Keep the findings `policy.builtinRoles` accepts (for `rbacc diff`).
    pub keep_builtin_accepted: bool,
    /// Every object a declaration generates, in declaration order.
    pub origins: Vec<Origin>,
    /// Every risk finding, allowed ones included, in declaration order.
    pub findings: Vec<Finding>,
    /// The team `allow:` entries (by span) that matched a finding.
    pub used_allow: std::collections::BTreeSet<Span>,
    /// With `keep_all`: every binding of a members entry or grant with an
    /// `expires:` date that has not come, in declaration order.
    pub expiring: Vec<Expiring>,
}

/// A binding that ends on a date: `expires:` on its members entry or grant.
#[derive(Debug, Clone)]
pub struct Expiring {
    /// The day from which it is no longer emitted, `YYYY-MM-DD`.
    pub expires: String,
    pub team: String,
    pub namespace: String,
    /// The RoleBinding's name.
    pub binding: String,
    /// The role as teams name it.
    pub role: String,
    /// The subjects the entry itself names (a grant to a team: that
    /// team's members).
    pub subjects: Vec<crate::model::Subject>,
    /// The declaration.
    pub span: Span,
    /// The declaration in words.
    pub what: String,
}

/// The declaration an object is generated from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The Kubernetes kind: `Namespace`, `RoleBinding`, `ServiceAccount`,
    /// `ClusterRole`.
    pub kind: &'static str,
    /// `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    /// The declaration: a role key under `members`, a grant, a service
    /// account, a namespace, a role.
    pub span: Span,
    /// The declaration in words: "`members.admin` of team `payments`".
    pub what: String,
}

/// One risk a binding gives its subjects.
#[derive(Debug, Clone)]
pub struct Finding {
    pub risk: Risk,
    /// What the policy makes of it; [`Level::Allow`] also when an `allow:`
    /// accepts it (see `allowed`).
    pub level: Level,
    pub namespace: String,
    /// The RoleBinding's name.
    pub binding: String,
    /// The role the binding refers to.
    pub role_ref: crate::model::RoleRef,
    /// The role as teams name it (`admin`, a custom role).
    pub role: String,
    pub subjects: Vec<Subject>,
    /// The index of the rule in the role, and the request it allows that
    /// shows the risk (`get secrets`).
    pub rule_index: usize,
    pub request: String,
    /// The declaration that generates the binding.
    pub span: Span,
    /// What accepts the finding: a team's `allow:` entry, a custom role's
    /// `allow:`, or `policy.builtinRoles` (written, or rbacc's default).
    pub allowed: Option<Accepted>,
    /// Whether `policy.builtinRoles` (or its default) accepts it.
    pub builtin_accepted: bool,
    /// Where `policy.risks` sets the level; `None` for the default.
    pub policy: Option<Span>,
    /// A team `allow:` entry that matches, but cannot accept the finding
    /// because the policy makes it an error.
    pub refused_allow: Option<Span>,
}

/// Why a finding is accepted, and where that is said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub reason: String,
    /// Where the reason is written; `None` for what rbacc accepts of a
    /// built-in role by default (`policy.builtinRoles`).
    pub at: Option<Span>,
}

impl Analysis {
    /// Reports the findings at `least` or above (never allowed ones): one
    /// diagnostic per declaration and risk, naming the namespaces it
    /// reaches.
    pub fn report(&self, least: Level, diags: &mut Diagnostics) {
        let mut grouped: BTreeMap<(Span, Risk, &str), Vec<&Finding>> = BTreeMap::new();
        for finding in &self.findings {
            if finding.allowed.is_some() || finding.level == Level::Allow || finding.level < least {
                continue;
            }
            grouped
                .entry((finding.span, finding.risk, finding.binding.as_str()))
                .or_default()
                .push(finding);
        }
        for ((span, risk, binding), findings) in grouped {
            let first = findings[0];
            let namespaces: Vec<&str> = findings.iter().map(|f| f.namespace.as_str()).collect();
            let message = format!(
                "{} can {} in {}",
                subjects_text(&first.subjects),
                risk.can(),
                list_text(&namespaces, "namespace"),
            );
            let make = match first.level {
                Level::Error => Diagnostic::error,
                _ => Diagnostic::warning,
            };
            let mut diagnostic = make(Code::AccessRisk, span, message);
            if let Some(allow) = first.refused_allow {
                diagnostic = diagnostic
                    .with_secondary(allow, "a team cannot accept what the policy makes an error");
            }
            let accept = if first.level == Level::Error {
                format!(
                    "only rbacc.yaml can relax it: `policy.risks.{}`, or `allow:` with a `reason:` on a custom role",
                    risk.id()
                )
            } else if crate::builtin::BUILTIN_ROLES.contains(&first.role.as_str()) {
                format!(
                    "if this is intended, accept it with `allow: [{{ risk: {}, role: {}, reason: … }}]` under the team's `spec`, for every team with `policy.builtinRoles.{}.allow` in rbacc.yaml, or set `policy.risks.{}` there",
                    risk.id(),
                    first.role,
                    first.role,
                    risk.id()
                )
            } else {
                format!(
                    "if this is intended, accept it with `allow: [{{ risk: {}, role: {}, reason: … }}]` under the team's `spec` (or the role), or set `policy.risks.{}` in rbacc.yaml",
                    risk.id(),
                    first.role,
                    risk.id()
                )
            };
            diags.push(
                diagnostic
                    .label(format!(
                        "RoleBinding `{binding}` → {} → rule {} allows `{}`",
                        first.role_ref,
                        first.rule_index + 1,
                        first.request
                    ))
                    .help(format!(
                        "risk `{}` is {} by the policy; {accept}",
                        risk.id(),
                        if first.level == Level::Error {
                            "an error"
                        } else {
                            "a warning"
                        },
                    )),
            );
        }
    }
}

/// `group \`a\``, `user \`b\` and 2 more subjects`.
pub fn subjects_text(subjects: &[Subject]) -> String {
    let one = |s: &Subject| match s {
        Subject::Group(g) => format!("group `{g}`"),
        Subject::User(u) => format!("user `{u}`"),
        Subject::ServiceAccount { namespace, name } => {
            format!("service account `{namespace}/{name}`")
        }
    };
    match subjects {
        [] => "nobody".to_string(),
        [only] => one(only),
        [a, b] => format!("{} and {}", one(a), one(b)),
        [a, rest @ ..] => format!("{} and {} more subjects", one(a), rest.len()),
    }
}

/// `namespace \`a\``, `namespaces \`a\`, \`b\` and 3 more`.
fn list_text(items: &[&str], noun: &str) -> String {
    const SHOWN: usize = 3;
    let quoted: Vec<String> = items.iter().take(SHOWN).map(|i| format!("`{i}`")).collect();
    match items.len() {
        1 => format!("{noun} {}", quoted[0]),
        n if n <= SHOWN => format!("{noun}s {}", quoted.join(", ")),
        n => format!("{noun}s {} and {} more", quoted.join(", "), n - SHOWN),
    }
}
