//! Checks on ResourceQuota and LimitRange entries (`quota:` of the defaults
//! and of each namespace, `defaults.limitRange`), as the API server's
//! validation applies them (`ValidateResourceQuota`, `ValidateLimitRange`
//! and their resource-name helpers), and a little stricter where the API
//! server accepts a name that no quota or limit ever acts on.
//!
//! Pure: entries in, the accepted ones out, a diagnostic on the key or
//! value of each problem.

use std::collections::BTreeMap;

use crate::builtin;
use crate::decode::backticked;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::model::LimitRange;
use crate::model::raw;
use crate::source::{Sp, Span};

use super::names::{dns_label_problem, dns_subdomain_problem, quantity_nanos};
use super::suggestion;

/// The quota names without a `/` that the API server knows
/// (`standardQuotaResources`), besides `hugepages-<size>` and
/// `requests.hugepages-<size>`.
const QUOTA_NAMES: &[&str] = &[
    "configmaps",
    "cpu",
    "ephemeral-storage",
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "memory",
    "persistentvolumeclaims",
    "pods",
    "replicationcontrollers",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
    "requests.storage",
    "resourcequotas",
    "secrets",
    "services",
    "services.loadbalancers",
    "services.nodeports",
];

/// The quota names counted in whole objects (`integerResources`).
const COUNTED: &[&str] = &[
    "configmaps",
    "persistentvolumeclaims",
    "pods",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "services",
    "services.loadbalancers",
    "services.nodeports",
];

/// The resources a container's limits name without a `/`
/// (`standardContainerResources`), besides `hugepages-<size>`.
const CONTAINER_NAMES: &[&str] = &["cpu", "ephemeral-storage", "memory"];

/// What a quota name with a `/` may be, as the help text lists it.
const QUOTA_FORMS: &str = "`count/<resource>` (core) or `count/<resource>.<group>`, `<class>.storageclass.storage.k8s.io/requests.storage` or `/persistentvolumeclaims`, `<class>.deviceclass.resource.k8s.io/devices`, or an extended resource as `requests.<domain>/<name>`";

/// Checks `quota:` entries and returns them sorted.
pub fn check_quota(
    entries: &[(Sp<String>, Sp<String>)],
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in entries {
        if let Err(problem) = quota_name(&key.value) {
            diags.push(problem.at(key, "quota"));
            continue;
        }
        let Some(nanos) = check_amount(key, value, diags) else {
            continue;
        };
        if counted(&key.value) && nanos % 1_000_000_000 != 0 {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    value.span,
                    format!(
                        "`{}` takes a whole number, not `{}`",
                        key.value, value.value
                    ),
                )
                .label("expected a whole number")
                .help("the API server refuses a fraction for counts of objects and for names with a `/` other than `requests.…` ones"),
            );
            continue;
        }
        out.insert(key.value.clone(), value.value.clone());
    }
    out
}

/// Checks `defaults.limitRange`, whose one item is for containers.
pub fn check_limit_range(limits: &raw::LimitRange, diags: &mut Diagnostics) -> LimitRange {
    check_limit_range_where(limits, |_, _| true, diags)
}

/// The entries of `written` that `checked` kept: what later merges start
/// from, so that they report nothing twice.
pub fn valid_limit_range(written: &raw::LimitRange, checked: &LimitRange) -> raw::LimitRange {
    let keep = |entries: &[(Sp<String>, Sp<String>)], kept: &BTreeMap<String, String>| {
        entries
            .iter()
            .filter(|(k, v)| kept.get(&k.value) == Some(&v.value))
            .cloned()
            .collect()
    };
    raw::LimitRange {
        default_request: keep(&written.default_request, &checked.default_request),
        default: keep(&written.default, &checked.default),
    }
}

/// Checks a namespace's own `limitRange`, merged key by key over the
/// valid entries of `defaults.limitRange`. A default request above a
/// default limit is reported only where the namespace wrote one of them.
pub fn merge_limit_range(
    defaults: Option<&raw::LimitRange>,
    own: &raw::LimitRange,
    diags: &mut Diagnostics,
) -> LimitRange {
    let over = |defaults: Option<&Vec<(Sp<String>, Sp<String>)>>,
                own: &Vec<(Sp<String>, Sp<String>)>| {
        let mut merged: Vec<(Sp<String>, Sp<String>)> = defaults
            .into_iter()
            .flatten()
            .filter(|(k, _)| !own.iter().any(|(o, _)| o.value == k.value))
            .cloned()
            .collect();
        merged.extend(own.iter().cloned());
        merged
    };
    let merged = raw::LimitRange {
        default_request: over(defaults.map(|d| &d.default_request), &own.default_request),
        default: over(defaults.map(|d| &d.default), &own.default),
    };
    let written_here = |span: Span| {
        own.default_request
            .iter()
            .chain(&own.default)
            .any(|(_, v)| v.span == span)
    };
    check_limit_range_where(
        &merged,
        |request, limit| written_here(request) || written_here(limit),
        diags,
    )
}

/// Checks a limit range, reporting a request above its limit only where
/// `report(request, limit)` says so.
fn check_limit_range_where(
    limits: &raw::LimitRange,
    report: impl Fn(Span, Span) -> bool,
    diags: &mut Diagnostics,
) -> LimitRange {
    let default_request = check_limits(&limits.default_request, diags);
    let default = check_limits(&limits.default, diags);
    // A default request above the default limit makes every container
    // that sets neither invalid; resources that cannot be overcommitted
    // (hugepages, extended resources) need the two equal.
    for (key, request) in &limits.default_request {
        let Some((limit_key, limit)) = limits.default.iter().find(|(k, _)| k.value == key.value)
        else {
            continue;
        };
        let (Some(r), Some(l)) = (
            default_request
                .get(&key.value)
                .and(quantity_nanos(&request.value)),
            default
                .get(&limit_key.value)
                .and(quantity_nanos(&limit.value)),
        ) else {
            continue;
        };
        let problem = if overcommit_allowed(&key.value) {
            (r > l).then(|| format!("is greater than the default limit `{}`", limit.value))
        } else {
            (r != l).then(|| {
                format!(
                    "differs from the default limit `{}`, and `{}` cannot be overcommitted",
                    limit.value, key.value
                )
            })
        };
        if let Some(problem) = problem
            && report(request.span, limit.span)
        {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    request.span,
                    format!("the default request `{}` of `{}` {problem}", request.value, key.value),
                )
                .label("default request")
                .with_secondary(limit.span, "default limit")
                .help("containers that set neither get both: the request must not exceed the limit (and must equal it for hugepages and extended resources)"),
            );
        }
    }
    LimitRange {
        default_request,
        default,
    }
}

/// Checks the entries of `defaultRequest` or `default` and returns them
/// sorted.
fn check_limits(
    entries: &[(Sp<String>, Sp<String>)],
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in entries {
        if let Err(problem) = container_name(&key.value) {
            diags.push(problem.at(key, "container"));
            continue;
        }
        if check_amount(key, value, diags).is_some() {
            out.insert(key.value.clone(), value.value.clone());
        }
    }
    out
}

/// The value of `key`'s amount, a non-negative quantity, in billionths;
/// reports anything else.
fn check_amount(key: &Sp<String>, value: &Sp<String>, diags: &mut Diagnostics) -> Option<i128> {
    let Some(nanos) = quantity_nanos(&value.value) else {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                value.span,
                format!("`{}` is not a quantity", value.value),
            )
            .label("expected a quantity")
            .help("write quantities as Kubernetes does: `500m`, `2`, `8Gi`"),
        );
        return None;
    };
    if nanos < 0 {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                value.span,
                format!("`{}` for `{}` is negative", value.value, key.value),
            )
            .label("expected zero or more")
            .help("the API server refuses a negative quota, and a container with a negative request or limit; `0` allows none"),
        );
        return None;
    }
    Some(nanos)
}

/// Why a name is not one a quota or limit acts on, and what was meant.
struct NameProblem {
    why: String,
    help: String,
}

impl NameProblem {
    fn at(self, key: &Sp<String>, what: &str) -> Diagnostic {
        Diagnostic::error(
            Code::InvalidValue,
            key.span,
            format!("`{}` is not a {what} resource: {}", key.value, self.why),
        )
        .label(format!("unknown {what} resource"))
        .help(self.help)
    }
}

/// Whether `name` is a ResourceQuota resource name.
fn quota_name(name: &str) -> Result<(), NameProblem> {
    let Some((prefix, rest)) = name.split_once('/') else {
        if QUOTA_NAMES.contains(&name) || hugepages(name, &["hugepages-", "requests.hugepages-"]) {
            return Ok(());
        }
        return Err(NameProblem {
            why: "Kubernetes counts no such resource".to_string(),
            help: suggest(
                name,
                QUOTA_NAMES,
                "a quota names a compute resource (`requests.cpu`, `limits.memory`, `requests.storage`, `hugepages-<size>`), an object count (`pods`, `services`, `count/deployments.apps`), or a storage class, device class or extended resource with a `/`",
            ),
        });
    };
    let unknown = |why: &str| NameProblem {
        why: why.to_string(),
        help: format!("a quota name with a `/` is {QUOTA_FORMS}"),
    };
    if prefix == "count" {
        return count_name(rest);
    }
    if let Some(class) = prefix.strip_suffix(".storageclass.storage.k8s.io") {
        return match rest {
            "requests.storage" | "persistentvolumeclaims"
                if dns_subdomain_problem(class).is_none() =>
            {
                Ok(())
            }
            _ => Err(unknown(
                "a storage class quota is on `requests.storage` or `persistentvolumeclaims`",
            )),
        };
    }
    if let Some(class) = prefix.strip_suffix(".deviceclass.resource.k8s.io") {
        return match rest {
            "devices" if dns_subdomain_problem(class).is_none() => Ok(()),
            _ => Err(unknown("a device class quota is on `devices`")),
        };
    }
    if let Some(domain) = prefix.strip_prefix("requests.") {
        return extended_name(domain, rest).map_err(|why| unknown(&why));
    }
    if prefix.starts_with("limits.") {
        return Err(NameProblem {
            why: "extended resources are not overcommitted, so a quota names their requests"
                .to_string(),
            help: format!(
                "write `requests.{}/{rest}`",
                prefix.trim_start_matches("limits.")
            ),
        });
    }
    Err(unknown("Kubernetes counts no such resource"))
}

/// Whether `count/<rest>` names a resource: `<resource>` of the core group
/// or `<resource>.<group>`, one that the group serves when Kubernetes
/// serves the group.
fn count_name(rest: &str) -> Result<(), NameProblem> {
    let (resource, group) = rest.split_once('.').unwrap_or((rest, ""));
    let malformed = dns_label_problem(resource).or_else(|| {
        (!group.is_empty())
            .then(|| dns_subdomain_problem(group))
            .flatten()
    });
    if let Some(problem) = malformed {
        return Err(NameProblem {
            why: format!("`{rest}` is not `<resource>.<group>`: {problem}"),
            help: "count objects as `count/<resource>` for the core group, `count/<resource>.<group>` otherwise, such as `count/deployments.apps`".to_string(),
        });
    }
    let names = builtin::rule_names();
    let Some(served) = names.get(group) else {
        return Ok(());
    };
    if served.contains(resource) {
        return Ok(());
    }
    let candidates: Vec<&str> = served
        .iter()
        .map(String::as_str)
        .filter(|n| !n.contains('/'))
        .collect();
    let elsewhere: Vec<&str> = names
        .iter()
        .filter(|(_, r)| r.contains(resource))
        .map(|(g, _)| *g)
        .collect();
    let written = |resource: &str, group: &str| match group {
        "" => format!("count/{resource}"),
        group => format!("count/{resource}.{group}"),
    };
    let help = match (
        did_you_mean(resource, candidates.iter().copied()),
        elsewhere.first(),
    ) {
        (Some(best), _) => format!("did you mean `{}`?", written(best, group)),
        (None, Some(other)) => format!("did you mean `{}`?", written(resource, other)),
        (None, None) => format!(
            "`kubectl api-resources` lists what Kubernetes {} serves",
            builtin::KUBERNETES_VERSION
        ),
    };
    Err(NameProblem {
        why: match group {
            "" => format!("the core group has no `{resource}`"),
            group => format!("API group `{group}` has no `{resource}`"),
        },
        help,
    })
}

/// Whether `domain/name` is an extended resource: a qualified name outside
/// `kubernetes.io`. Why not, when not.
fn extended_name(domain: &str, name: &str) -> Result<(), String> {
    if let Some(problem) = dns_subdomain_problem(domain) {
        return Err(format!("`{domain}` is not a domain: {problem}"));
    }
    if domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") {
        return Err("an extended resource's domain is outside `kubernetes.io`".to_string());
    }
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a resource name"))
    }
}

/// Whether `name` is a resource a container's limits may name.
fn container_name(name: &str) -> Result<(), NameProblem> {
    let problem = match name.split_once('/') {
        None if CONTAINER_NAMES.contains(&name) || hugepages(name, &["hugepages-"]) => {
            return Ok(());
        }
        None => "containers request no such resource".to_string(),
        Some((domain, _)) if domain == "kubernetes.io" || domain.ends_with(".kubernetes.io") => {
            return Ok(());
        }
        Some(_) if name.starts_with("requests.") => {
            "a limit names the resource, not its request".to_string()
        }
        Some((domain, rest)) => match extended_name(domain, rest) {
            Ok(()) => return Ok(()),
            Err(why) => why,
        },
    };
    // `requests.cpu` or `limits.memory` in a limit range means `cpu` or
    // `memory`.
    let bare = name
        .strip_prefix("requests.")
        .or_else(|| name.strip_prefix("limits."))
        .filter(|bare| container_name(bare).is_ok());
    Err(NameProblem {
        why: problem,
        help: match bare {
            Some(bare) => format!("did you mean `{bare}`? A limit range names the resource alone"),
            None => suggest(
                name,
                CONTAINER_NAMES,
                &format!(
                    "containers request {}, `hugepages-<size>` or an extended resource such as `example.com/gpu`",
                    backticked(CONTAINER_NAMES)
                ),
            ),
        },
    })
}

/// Whether `name` is `<prefix><size>` for one of `prefixes`, the size a
/// quantity (`hugepages-2Mi`).
fn hugepages(name: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|size| quantity_nanos(size).is_some_and(|n| n > 0))
    })
}

/// Whether a quota on `name` counts whole things, which the API server
/// checks (`IsIntegerResourceName`): object counts, and names with a `/`
/// other than native and `requests.` ones.
fn counted(name: &str) -> bool {
    COUNTED.contains(&name)
        || (name.contains('/')
            && !name.starts_with("requests.")
            && !name.contains("kubernetes.io/"))
}

/// Whether requests of `name` may be below its limits: not for hugepages
/// or extended resources (`IsOvercommitAllowed`).
fn overcommit_allowed(name: &str) -> bool {
    (!name.contains('/') || name.contains("kubernetes.io/")) && !name.starts_with("hugepages-")
}

/// "did you mean" when a name is close to one of `names`, else `otherwise`.
fn suggest(name: &str, names: &[&str], otherwise: &str) -> String {
    suggestion(name, names.iter().copied()).unwrap_or_else(|| otherwise.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_names_follow_the_api_server() {
        for ok in [
            "pods",
            "requests.cpu",
            "limits.memory",
            "requests.storage",
            "requests.ephemeral-storage",
            "services.loadbalancers",
            "hugepages-2Mi",
            "requests.hugepages-1Gi",
            "count/deployments.apps",
            "count/widgets.example.com",
            "count/configmaps",
            "gold.storageclass.storage.k8s.io/requests.storage",
            "gold.storageclass.storage.k8s.io/persistentvolumeclaims",
            "gpu.deviceclass.resource.k8s.io/devices",
            "requests.nvidia.com/gpu",
        ] {
            assert!(quota_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "request.cpu",
            "foo",
            "cpus",
            "hugepages-",
            "hugepages-big",
            "count/deployment.apps",
            "count/Deployments",
            "count/deployments.apps/x",
            "gold.storageclass.storage.k8s.io/requests.cpu",
            "limits.nvidia.com/gpu",
            "requests.kubernetes.io/gpu",
            "example.com/gpu",
            "gpu.deviceclass.resource.k8s.io/claims",
        ] {
            assert!(quota_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            quota_name("request.cpu").unwrap_err().help,
            "did you mean `requests.cpu`?"
        );
        assert_eq!(
            quota_name("count/deployment.apps").unwrap_err().help,
            "did you mean `count/deployments.apps`?"
        );
        assert_eq!(
            quota_name("count/deployments").unwrap_err().help,
            "did you mean `count/deployments.apps`?"
        );
    }

    #[test]
    fn container_names_follow_the_api_server() {
        for ok in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "nvidia.com/gpu",
            "example.kubernetes.io/x",
        ] {
            assert!(container_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "requests.cpu",
            "pods",
            "cpus",
            "requests.nvidia.com/gpu",
            "storage",
        ] {
            assert!(container_name(bad).is_err(), "{bad}");
        }
        assert!(
            container_name("requests.cpu")
                .unwrap_err()
                .help
                .starts_with("did you mean `cpu`?")
        );
        assert!(counted("pods") && counted("count/pods") && !counted("requests.cpu"));
        assert!(!counted("requests.nvidia.com/gpu"));
        assert!(overcommit_allowed("cpu") && !overcommit_allowed("hugepages-2Mi"));
        assert!(!overcommit_allowed("nvidia.com/gpu"));
    }
}
