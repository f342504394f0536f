//! kubectl's notation resolved into a [`Request`] for the evaluator.
//!
//! **Input**: a [`KubectlRequest`] (`VERB RESOURCE [NAME] [-n NS]`, RESOURCE
//! as kubectl writes it, or a non-resource URL), and the [`Target`] it is
//! asked of.
//!
//! **Output**: the request kubectl would send, and the warnings kubectl
//! would give (after the target's own): an unknown verb, an unknown
//! resource, a namespace the repository does not declare, `-n` on a
//! cluster-scoped resource.
//!
//! **Invariants**: a warning never stops the answer; only a question the
//! API server could not be asked (a non-resource URL with a name or a
//! namespace, an empty resource, a resource several groups serve) is an
//! error. A resource without a group is resolved as kubectl's discovery
//! would: the served group, then the groups the roles name it in.

use crate::access::{Request, kubectl_name};
use crate::builtin::KNOWN_VERBS;

use super::catalogue::Catalogue;
use super::{KubectlRequest, QueryError, Target, did_you_mean};

/// The request kubectl would send for `asked`, and the warnings for it.
pub(super) fn resolve(
    target: &Target,
    asked: &KubectlRequest,
) -> Result<(Request, Vec<String>), QueryError> {
    let mut warnings = target.warnings.clone();
    let catalogue = Catalogue::new(&target.manifests);
    let request = build_request(asked, &catalogue, target, &mut warnings)?;
    Ok((request, warnings))
}

/// Adds a warning when the repository does not declare `namespace` on the
/// target's cluster.
pub(super) fn check_namespace(namespace: &str, target: &Target, warnings: &mut Vec<String>) {
    let (Some(declared), Some(cluster)) = (&target.namespaces, &target.cluster) else {
        return;
    };
    if declared.contains(namespace) {
        return;
    }
    let hint = did_you_mean(namespace, declared.iter().map(String::as_str));
    warnings.push(format!(
        "the repository declares no namespace `{namespace}` on cluster {cluster}{hint}"
    ));
}

/// Builds the request kubectl would send for `VERB RESOURCE [NAME] [-n NS]`,
/// adding warnings where kubectl warns.
fn build_request(
    asked: &KubectlRequest,
    catalogue: &Catalogue,
    target: &Target,
    warnings: &mut Vec<String>,
) -> Result<Request, QueryError> {
    let verb = asked.verb.as_str();
    if !KNOWN_VERBS.contains(&verb) {
        let hint = did_you_mean(verb, KNOWN_VERBS.iter().copied());
        warnings.push(format!("`{verb}` is not a known verb{hint}"));
    }
    if asked.resource.starts_with('/') {
        if asked.name.is_some() || asked.namespace.is_some() {
            return Err(QueryError::Usage(format!(
                "`{}` is a non-resource URL: it has no name and no namespace",
                asked.resource
            )));
        }
        return Ok(Request::non_resource(verb, &asked.resource));
    }
    if let Some(namespace) = &asked.namespace {
        check_namespace(namespace, target, warnings);
    }
    let mut request = Request::parse_resource(verb, &asked.resource, asked.namespace.as_deref());
    if let Request::Resource {
        api_group,
        resource,
        namespace,
        ..
    } = &mut request
    {
        resolve_group(
            api_group,
            resource,
            namespace.is_some(),
            catalogue,
            warnings,
        )?;
    }
    Ok(match &asked.name {
        Some(name) => request.with_name(name),
        None => request,
    })
}

/// Resolves the group of `resource` (parsed from kubectl's notation) as
/// discovery would, warning about resources nobody serves or names, and
/// about a namespace on a cluster-scoped one.
fn resolve_group(
    api_group: &mut String,
    resource: &str,
    namespaced: bool,
    catalogue: &Catalogue,
    warnings: &mut Vec<String>,
) -> Result<(), QueryError> {
    if resource.is_empty() {
        return Err(QueryError::Usage(
            "the resource is empty: write it as kubectl does, e.g. `pods` or `deployments.apps`"
                .to_string(),
        ));
    }
    if resource == "*" || api_group == "*" {
        return Ok(());
    }
    let known = catalogue
        .known
        .contains(&(api_group.clone(), resource.to_string()));
    if !known && api_group.is_empty() {
        match catalogue.groups_of(resource).as_slice() {
            [group] => *api_group = group.to_string(),
            [] => warnings.push(unknown_resource(resource, api_group, catalogue)),
            groups => {
                let names: Vec<String> = groups
                    .iter()
                    .map(|g| format!("`{}`", kubectl_name(g, resource, None)))
                    .collect();
                return Err(QueryError::Usage(format!(
                    "`{resource}` is served by several API groups: write {}",
                    names.join(" or ")
                )));
            }
        }
    } else if !known {
        warnings.push(unknown_resource(resource, api_group, catalogue));
    }
    if namespaced && Catalogue::is_cluster_scoped(api_group, resource) {
        warnings.push(format!(
            "`{}` is cluster-scoped: a real request for it has no namespace, so -n asks a question the API server never gets",
            kubectl_name(api_group, resource, None)
        ));
    }
    Ok(())
}

fn unknown_resource(resource: &str, group: &str, catalogue: &Catalogue) -> String {
    let written = kubectl_name(group, resource, None);
    // Without a group, `deployment` is compared with `deployments`, and the
    // suggestion written with its group.
    let candidates: Vec<(String, String)> = catalogue
        .known
        .iter()
        .map(|(g, r)| {
            let name = kubectl_name(g, r, None);
            (
                if group.is_empty() {
                    r.clone()
                } else {
                    name.clone()
                },
                name,
            )
        })
        .collect();
    let hint = crate::diag::did_you_mean(&written, candidates.iter().map(|(c, _)| c.as_str()))
        .and_then(|found| candidates.iter().find(|(c, _)| c == found))
        .map(|(_, n)| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    format!(
        "the resource type `{written}` is neither built in nor named by any role{hint} (short names and kinds are not resolved)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Manifests;

    fn resolve_in(
        target: &Target,
        verb: &str,
        resource: &str,
        name: Option<&str>,
        namespace: Option<&str>,
    ) -> (Result<Request, String>, Vec<String>) {
        let asked = KubectlRequest {
            verb: verb.to_string(),
            resource: resource.to_string(),
            name: name.map(String::from),
            namespace: namespace.map(String::from),
        };
        match resolve(target, &asked) {
            Ok((request, warnings)) => (Ok(request), warnings),
            Err(e) => (Err(e.to_string()), Vec::new()),
        }
    }

    fn resolve_get(
        resource: &str,
        namespace: Option<&str>,
    ) -> (Result<Request, String>, Vec<String>) {
        resolve_in(&Target::default(), "get", resource, None, namespace)
    }

    fn group_of(resource: &str) -> String {
        match resolve_get(resource, Some("ns")).0 {
            Ok(Request::Resource { api_group, .. }) => api_group,
            other => panic!("{resource}: {other:?}"),
        }
    }

    #[test]
    fn resources_without_a_group_resolve_like_kubectl_discovery() {
        assert_eq!(group_of("pods"), "");
        assert_eq!(group_of("deployments"), "apps");
        assert_eq!(group_of("deployments/scale"), "apps");
        assert_eq!(group_of("deployments.apps"), "apps");
        // The core group wins, as in kubectl's RESTMapper.
        assert_eq!(group_of("events"), "");
        assert_eq!(group_of("events.events.k8s.io"), "events.k8s.io");
        assert_eq!(group_of("clusterroles"), "rbac.authorization.k8s.io");
        assert_eq!(group_of("*"), "");
    }

    #[test]
    fn served_groups_win_over_groups_only_old_roles_name() {
        let manifests = Manifests::from_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: old}\n\
             rules:\n- apiGroups: [extensions, example.com]\n  resources: [deployments, widgets]\n  verbs: [get]\n",
        )
        .expect("valid role");
        let catalogue = Catalogue::new(&manifests);
        assert_eq!(catalogue.groups_of("deployments"), ["apps"]);
        assert_eq!(
            catalogue.groups_of("widgets"),
            ["example.com", "extensions"]
        );
        assert_eq!(catalogue.groups_of("gadgets"), Vec::<&str>::new());
        let target = Target {
            manifests,
            ..Target::default()
        };
        let (request, _) = resolve_in(&target, "get", "widgets", None, None);
        assert_eq!(
            request,
            Err("`widgets` is served by several API groups: write `widgets.example.com` or `widgets.extensions`".to_string())
        );
    }

    #[test]
    fn warnings_follow_kubectl() {
        let (request, warnings) = resolve_get("deployments.app", Some("ns"));
        assert!(request.is_ok());
        assert_eq!(
            warnings,
            [
                "the resource type `deployments.app` is neither built in nor named by any role; did you mean `deployments.apps`? (short names and kinds are not resolved)"
            ]
        );
        let (_, warnings) = resolve_get("deployment", Some("ns"));
        assert_eq!(
            warnings,
            [
                "the resource type `deployment` is neither built in nor named by any role; did you mean `deployments.apps`? (short names and kinds are not resolved)"
            ]
        );
        let (_, warnings) = resolve_get("nodes", Some("ns"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("`nodes` is cluster-scoped"));
        let (_, warnings) = resolve_get("nodes", None);
        assert!(warnings.is_empty());
        let (request, _) = resolve_get("/healthz", Some("ns"));
        assert!(request.is_err());
        let (request, _) = resolve_get("/healthz", None);
        assert_eq!(request, Ok(Request::non_resource("get", "/healthz")));
        let (_, warnings) = resolve_in(&Target::default(), "gte", "pods", None, None);
        assert_eq!(warnings, ["`gte` is not a known verb; did you mean `get`?"]);
    }

    #[test]
    fn the_request_is_the_one_kubectl_sends() {
        let (request, warnings) = resolve_in(
            &Target::default(),
            "patch",
            "deployments/scale",
            Some("web"),
            Some("ns"),
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            request,
            Ok(Request::Resource {
                verb: "patch".to_string(),
                api_group: "apps".to_string(),
                resource: "deployments".to_string(),
                subresource: Some("scale".to_string()),
                namespace: Some("ns".to_string()),
                name: Some("web".to_string()),
            })
        );
        let (request, _) = resolve_get("/metrics", None);
        assert_eq!(request, Ok(Request::non_resource("get", "/metrics")));
        let (request, _) = resolve_in(&Target::default(), "get", "/metrics", Some("x"), None);
        assert_eq!(
            request,
            Err("`/metrics` is a non-resource URL: it has no name and no namespace".to_string())
        );
        let (request, _) = resolve_get("/exec", None);
        assert!(request.is_ok());
        let (request, _) = resolve_get(".apps", Some("ns"));
        assert_eq!(
            request,
            Err("the resource is empty: write it as kubectl does, e.g. `pods` or `deployments.apps`".to_string())
        );
    }

    #[test]
    fn namespaces_the_repository_does_not_declare_are_warned_about() {
        let target = Target {
            cluster: Some("prod".to_string()),
            namespaces: Some(["payments-prod".to_string()].into()),
            ..Target::default()
        };
        let (_, warnings) = resolve_in(&target, "get", "pods", None, Some("payments-prd"));
        assert_eq!(
            warnings,
            [
                "the repository declares no namespace `payments-prd` on cluster prod; did you mean `payments-prod`?"
            ]
        );
        let (_, warnings) = resolve_in(&target, "get", "pods", None, Some("payments-prod"));
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}
