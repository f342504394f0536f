//! Rule matching, one function per upstream helper.
//!
//! Mirrors `pkg/apis/rbac/v1/evaluation_helpers.go` (`VerbMatches`,
//! `APIGroupMatches`, `ResourceMatches`, `ResourceNameMatches`,
//! `NonResourceURLMatches`) and `RuleAllows` of
//! `plugin/pkg/auth/authorizer/rbac/rbac.go`, plus the label-selector
//! semantics of `metav1.LabelSelectorAsSelector` used by ClusterRole
//! aggregation. All functions are total: they never panic, and an absent list
//! behaves like an empty one (as a nil slice does in Go).

use std::collections::BTreeMap;

use k8s_openapi::api::rbac::v1::PolicyRule;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::Request;

/// `*`: every verb, API group, resource or non-resource URL.
const ALL: &str = "*";

/// The items of an optional list; `None` is the empty list.
fn items(list: &Option<Vec<String>>) -> &[String] {
    list.as_deref().unwrap_or(&[])
}

/// Every request a rule names: one per API group, resource, verb and
/// object name it lists (wildcards as written), and one per non-resource
/// URL and verb; in `namespace` for the resource requests.
pub(crate) fn requests_of(rule: &PolicyRule, namespace: Option<&str>) -> Vec<Request> {
    let names: Vec<Option<&String>> = match items(&rule.resource_names) {
        [] => vec![None],
        names => names.iter().map(Some).collect(),
    };
    let mut out = Vec::new();
    for group in items(&rule.api_groups) {
        for resource in items(&rule.resources) {
            let (resource, subresource) = match resource.split_once('/') {
                Some((r, s)) => (r, Some(s.to_string())),
                None => (resource.as_str(), None),
            };
            for verb in &rule.verbs {
                for name in &names {
                    out.push(Request::Resource {
                        verb: verb.clone(),
                        api_group: group.clone(),
                        resource: resource.to_string(),
                        subresource: subresource.clone(),
                        namespace: namespace.map(String::from),
                        name: name.cloned(),
                    });
                }
            }
        }
    }
    for url in items(&rule.non_resource_urls) {
        for verb in &rule.verbs {
            out.push(Request::non_resource(verb, url));
        }
    }
    out
}

/// `VerbMatches`: the rule names the verb or `*`.
pub(crate) fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == ALL || v == verb)
}

/// `APIGroupMatches`: the rule names the group or `*`.
pub(crate) fn api_group_matches(rule: &PolicyRule, group: &str) -> bool {
    items(&rule.api_groups)
        .iter()
        .any(|g| g == ALL || g == group)
}

/// `ResourceMatches`: the rule names `*`, the combined `resource[/subresource]`,
/// or, for a subresource request, `*/<subresource>`. `pods/*` is not a
/// wildcard: it matches only a subresource literally named `*`.
pub(crate) fn resource_matches(rule: &PolicyRule, combined: &str, subresource: &str) -> bool {
    items(&rule.resources).iter().any(|r| {
        r == ALL
            || r == combined
            || (!subresource.is_empty() && r.strip_prefix("*/") == Some(subresource))
    })
}

/// `ResourceNameMatches`: an empty list allows every name (and no name);
/// otherwise the requested name, `""` when there is none, must be listed.
pub(crate) fn resource_name_matches(rule: &PolicyRule, name: &str) -> bool {
    let names = items(&rule.resource_names);
    names.is_empty() || names.iter().any(|n| n == name)
}

/// `NonResourceURLMatches`: the rule names `*`, the exact path, or a prefix
/// ending in `*` (all trailing `*` are trimmed, as Go's `TrimRight` does).
pub(crate) fn non_resource_url_matches(rule: &PolicyRule, path: &str) -> bool {
    items(&rule.non_resource_urls).iter().any(|u| {
        u == ALL || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
    })
}

/// `RuleAllows`: whether one rule allows the request.
pub(crate) fn rule_allows(rule: &PolicyRule, request: &Request) -> bool {
    match request {
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            name,
            ..
        } => {
            let subresource = subresource.as_deref().unwrap_or("");
            let combined = if subresource.is_empty() {
                resource.clone()
            } else {
                format!("{resource}/{subresource}")
            };
            verb_matches(rule, verb)
                && api_group_matches(rule, api_group)
                && resource_matches(rule, &combined, subresource)
                && resource_name_matches(rule, name.as_deref().unwrap_or(""))
        }
        Request::NonResource { verb, path } => {
            verb_matches(rule, verb) && non_resource_url_matches(rule, path)
        }
    }
}

/// Whether two rules are equal as `equality.Semantic.DeepEqual` sees them,
/// where an absent list equals an empty one. The aggregation controller uses
/// this to drop duplicate rules.
pub(crate) fn same_rule(a: &PolicyRule, b: &PolicyRule) -> bool {
    a.verbs == b.verbs
        && items(&a.api_groups) == items(&b.api_groups)
        && items(&a.resources) == items(&b.resources)
        && items(&a.resource_names) == items(&b.resource_names)
        && items(&a.non_resource_urls) == items(&b.non_resource_urls)
}

/// The label-selector operators `LabelSelectorAsSelector` accepts.
const OPERATORS: [&str; 4] = ["In", "NotIn", "Exists", "DoesNotExist"];

/// Checks a selector the way the API server does before it stores a
/// ClusterRole: a known operator, values for `In`/`NotIn`, none for
/// `Exists`/`DoesNotExist`. Returns the problem as a message.
pub(crate) fn check_selector(selector: &LabelSelector) -> Result<(), String> {
    for (i, req) in selector.match_expressions.iter().flatten().enumerate() {
        let values = items(&req.values);
        let operator = req.operator.as_str();
        if !OPERATORS.contains(&operator) {
            return Err(format!(
                "matchExpressions[{i}]: operator {operator:?} is not one of In, NotIn, Exists, DoesNotExist"
            ));
        }
        let wants_values = matches!(operator, "In" | "NotIn");
        if wants_values && values.is_empty() {
            return Err(format!(
                "matchExpressions[{i}]: operator {operator} needs at least one value"
            ));
        }
        if !wants_values && !values.is_empty() {
            return Err(format!(
                "matchExpressions[{i}]: operator {operator} takes no values"
            ));
        }
        if req.key.is_empty() {
            return Err(format!("matchExpressions[{i}]: key is empty"));
        }
    }
    Ok(())
}

/// Whether a selector matches a set of labels: every `matchLabels` pair and
/// every `matchExpressions` requirement must hold (an empty selector matches
/// everything). `NotIn` and `DoesNotExist` hold for an absent label. An
/// unknown operator matches nothing (such selectors are rejected at load).
pub(crate) fn selector_matches(
    selector: &LabelSelector,
    labels: Option<&BTreeMap<String, String>>,
) -> bool {
    let get = |key: &str| labels.and_then(|l| l.get(key));
    let labels_hold = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| get(k) == Some(v));
    let expressions_hold = selector.match_expressions.iter().flatten().all(|req| {
        let value = get(&req.key);
        let values = items(&req.values);
        match req.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    labels_hold && expressions_hold
}
