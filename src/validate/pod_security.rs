//! Which Pod Security levels teams may choose (`policy.podSecurity`).
//!
//! `privileged` turns Pod Security off: pods may mount host paths, run
//! privileged containers and join the host's namespaces, which is root on
//! the node. A team may choose it only for namespaces the platform lists in
//! `policy.podSecurity.privilegedNamespaces`; no level below
//! `policy.podSecurity.minimum` (default `baseline`) otherwise.

use std::collections::BTreeMap;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::raw::{self, PodSecurity};
use crate::source::{Sp, Span};

/// How strict a level is: higher is stricter.
fn strictness(level: PodSecurity) -> u8 {
    match level {
        PodSecurity::Privileged => 0,
        PodSecurity::Baseline => 1,
        PodSecurity::Restricted => 2,
    }
}

#[derive(Debug)]
pub struct PodSecurityPolicy {
    minimum: PodSecurity,
    minimum_span: Option<Span>,
    /// Namespaces that may run `privileged`, and where each is listed.
    privileged: BTreeMap<String, Span>,
}

impl PodSecurityPolicy {
    pub fn check(
        raw: &raw::PodSecurityPolicy,
        default: Option<&Sp<PodSecurity>>,
        diags: &mut Diagnostics,
    ) -> PodSecurityPolicy {
        let policy = PodSecurityPolicy {
            minimum: raw
                .minimum
                .as_ref()
                .map_or(PodSecurity::Baseline, |m| m.value),
            minimum_span: raw.minimum.as_ref().map(|m| m.span),
            privileged: raw
                .privileged_namespaces
                .iter()
                .map(|n| (n.value.clone(), n.span))
                .collect(),
        };
        if let Some(default) = default
            && strictness(default.value) < strictness(policy.minimum)
        {
            let d = Diagnostic::error(
                Code::PodSecurityLevel,
                default.span,
                format!(
                    "the default level `{}` is below the policy's minimum `{}`",
                    default.value.as_str(),
                    policy.minimum.as_str()
                ),
            )
            .label("below `policy.podSecurity.minimum`")
            .help("raise the default, or lower the minimum");
            diags.push(match policy.minimum_span {
                Some(span) => d.with_secondary(span, "the minimum is set here"),
                None => d,
            });
        }
        policy
    }

    /// Checks the level a team chose for `namespace`: an error when the
    /// policy does not allow it, a warning when it allows `privileged`.
    pub fn check_choice(
        &self,
        namespace: &Sp<String>,
        chosen: &Sp<PodSecurity>,
        diags: &mut Diagnostics,
    ) -> bool {
        if chosen.value == PodSecurity::Privileged {
            return match self.privileged.get(&namespace.value) {
                Some(listed) => {
                    diags.push(
                        Diagnostic::warning(Code::PrivilegedNamespace, chosen.span, format!("namespace `{}` runs without Pod Security restrictions", namespace.value))
                            .label("`privileged` allows host access")
                            .with_secondary(*listed, "allowed by the platform here")
                            .help("pods here can mount host paths and run privileged containers; prefer `baseline` or `restricted`"),
                    );
                    true
                }
                None => {
                    diags.push(
                        Diagnostic::error(Code::PodSecurityLevel, chosen.span, format!("namespace `{}` may not run `privileged`", namespace.value))
                            .label("`privileged` turns Pod Security off")
                            .help("pods there could mount host paths and run privileged containers: root on the node. The platform allows it per namespace in `policy.podSecurity.privilegedNamespaces` in rbacc.yaml"),
                    );
                    false
                }
            };
        }
        if strictness(chosen.value) < strictness(self.minimum) {
            let d = Diagnostic::error(
                Code::PodSecurityLevel,
                chosen.span,
                format!(
                    "namespace `{}` may not run below `{}`",
                    namespace.value,
                    self.minimum.as_str()
                ),
            )
            .label(format!(
                "`{}` is below the policy's minimum",
                chosen.value.as_str()
            ))
            .help(format!("choose `{}` or stricter", self.minimum.as_str()));
            diags.push(match self.minimum_span {
                Some(span) => d.with_secondary(span, "the minimum is set here"),
                None => d,
            });
            return false;
        }
        true
    }
}
