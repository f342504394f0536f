//! Checks on `spec.gitops`: the settings of the Flux objects rbacc emits.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Flux;
use crate::model::raw;
use crate::source::Sp;

use super::names::{dns_label_problem, dns_subdomain_problem};

/// The GitRepository the Kustomizations read, unless `sourceRef` names one.
pub const DEFAULT_SOURCE_REF: &str = "rbacc";
/// Where Flux's objects live, unless `namespace` says otherwise.
pub const DEFAULT_NAMESPACE: &str = "flux-system";
/// How often Flux reconciles, unless `interval` says otherwise.
pub const DEFAULT_INTERVAL: &str = "10m";
/// Flux labels every object it applies with the name of its Kustomization,
/// and a label value holds at most 63 characters.
const MAX_KUSTOMIZATION_NAME: usize = 63;

/// Where Argo CD's AppProjects live, unless `namespace` says otherwise.
pub const DEFAULT_ARGOCD_NAMESPACE: &str = "argocd";

/// Resolves `spec.gitops.argocd`, when present.
pub fn check_argocd(config: &raw::Config, diags: &mut Diagnostics) -> Option<crate::model::ArgoCd> {
    let argocd = config.gitops.argocd.as_ref()?;
    let namespace = checked_namespace(&argocd.namespace, DEFAULT_ARGOCD_NAMESPACE, diags);
    let mut source_repos = Vec::new();
    match &argocd.source_repos {
        None => source_repos.push("*".to_string()),
        Some(list) if list.is_empty() => diags.push(
            Diagnostic::error(Code::InvalidValue, argocd.span, "`sourceRepos` is empty")
                .label("no repository")
                .help("list the repositories the teams' applications may read, or leave `sourceRepos` out for any (`*`)"),
        ),
        Some(list) => {
            for repo in list {
                let bad = repo.value.is_empty()
                    || repo.value.len() > 2048
                    || repo.value.chars().any(crate::text::is_invisible);
                if bad {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            repo.span,
                            format!("`{}` is not a repository URL", crate::text::visible(&repo.value)),
                        )
                        .label("invalid repository")
                        .help("write a repository URL or an Argo CD pattern such as `https://github.com/example-org/*`"),
                    );
                } else {
                    source_repos.push(repo.value.clone());
                }
            }
        }
    }
    source_repos.sort();
    source_repos.dedup();
    Some(crate::model::ArgoCd {
        namespace: namespace?,
        source_repos,
    })
}

/// Resolves `spec.gitops.flux`, when present.
pub fn check(config: &raw::Config, teams: &[raw::Team], diags: &mut Diagnostics) -> Option<Flux> {
    let flux = config.gitops.flux.as_ref()?;
    let source_ref = checked(
        &flux.source_ref,
        "sourceRef",
        DEFAULT_SOURCE_REF,
        diags,
        |v| dns_subdomain_problem(v).map(|p| (p, "a GitRepository name is a DNS-1123 subdomain")),
    );
    let namespace = checked_namespace(&flux.namespace, DEFAULT_NAMESPACE, diags);
    let interval = checked(&flux.interval, "interval", DEFAULT_INTERVAL, diags, |v| {
        (!is_go_duration(v)).then(|| {
            (
                "it is not a duration".to_string(),
                "write a Go duration such as `10m`, `1h` or `1h30m`",
            )
        })
    });
    for team in teams {
        let Some(name) = &team.name else { continue };
        let object = crate::model::flux_team_name(&name.value);
        if object.len() > MAX_KUSTOMIZATION_NAME && dns_label_problem(&name.value).is_none() {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    name.span,
                    format!(
                        "team name `{}` is too long for Flux: its Kustomization `{object}` has {} characters, more than {MAX_KUSTOMIZATION_NAME}",
                        name.value,
                        object.len()
                    ),
                )
                .label("too long with `spec.gitops.flux`")
                .with_secondary(flux.span, "Flux Kustomizations are emitted because of this")
                .help("Flux labels what it applies with the Kustomization's name; shorten the team name"),
            );
        }
    }
    Some(Flux {
        source_ref: source_ref?,
        namespace: namespace?,
        interval: interval?,
    })
}

/// [`checked`] for a `namespace` setting: a DNS-1123 label.
fn checked_namespace(
    value: &Option<Sp<String>>,
    default: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    checked(value, "namespace", default, diags, |v| {
        dns_label_problem(v).map(|p| (p, "a namespace name is a DNS-1123 label"))
    })
}

/// A setting's value, or `default` when absent; `None` (with a diagnostic)
/// when `problem` finds one.
fn checked(
    value: &Option<Sp<String>>,
    field: &str,
    default: &str,
    diags: &mut Diagnostics,
    problem: impl Fn(&str) -> Option<(String, &'static str)>,
) -> Option<String> {
    let Some(value) = value else {
        return Some(default.to_string());
    };
    match problem(&value.value) {
        None => Some(value.value.clone()),
        Some((problem, help)) => {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    value.span,
                    format!("`{}` is not a valid `{field}`: {problem}", value.value),
                )
                .label("invalid")
                .help(help),
            );
            None
        }
    }
}

/// Whether `s` is a Go duration with units (`30s`, `10m`, `1h30m`, `1.5h`),
/// as Flux's `interval` takes.
fn is_go_duration(s: &str) -> bool {
    let mut rest = s;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let number = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let digits = &rest[..number];
        if digits.is_empty() || digits.starts_with('.') || digits.ends_with('.') {
            return false;
        }
        if digits.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[number..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u) && !(*u == "m" && rest.starts_with("ms")))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_go_duration;

    #[test]
    fn go_durations() {
        for ok in ["10m", "1h", "1h30m", "30s", "1.5h", "500ms", "2m30s"] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "10", "m", "10 m", "1d", ".5m", "1..5m", "-1m", "10mm"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }
}
