//! Tests of the RBAC evaluator: a table with one case per rule of the
//! upstream authorizer, the bootstrap roles admin/edit/view, `explain`,
//! `who_can`, and reading manifests.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use super::*;

/// Roles and bindings exercising every rule; the table below refers to them.
const POLICY: &str = r#"
# Leading comment lines, then documents.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pod-reader}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: scaler}
rules:
- apiGroups: ["*"]
  resources: ["*/scale"]
  verbs: [update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: deployment-subresources}
rules:
- apiGroups: [apps]
  resources: ["deployments/*"]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
rules:
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: app-config}
rules:
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [app-config]
  verbs: [get, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: service-admin}
rules:
- apiGroups: [""]
  resources: [services]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: health}
rules:
- nonResourceURLs: [/healthz, /healthz/*, /api*]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics}
rules:
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregated}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: example.com/aggregate, operator: In, values: [yes-please]}
# Overwritten by the aggregation controller upstream, so never granted.
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: aggregated-part
  labels: {example.com/aggregate: yes-please}
rules:
- apiGroups: [""]
  resources: [nodes]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: not-aggregated
  labels: {example.com/aggregate: "no"}
rules:
- apiGroups: [""]
  resources: [namespaces]
  verbs: [list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-reader, namespace: team-a}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: team-a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: devs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: missing-role, namespace: team-b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: does-not-exist}
subjects:
- {kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: builder, namespace: team-a}
roleRef: {kind: ClusterRole, name: service-admin}
subjects:
- {kind: ServiceAccount, name: builder}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deployer, namespace: team-a}
roleRef: {kind: ClusterRole, name: scaler}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: all-service-accounts, namespace: team-a}
roleRef: {kind: ClusterRole, name: app-config}
subjects:
- {kind: Group, name: "system:serviceaccounts:team-a"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: metrics-in-namespace, namespace: team-a}
roleRef: {kind: ClusterRole, name: metrics}
subjects:
- {kind: User, name: carol}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: metrics}
roleRef: {kind: ClusterRole, name: metrics}
subjects:
- {kind: User, name: frank}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: health}
roleRef: {kind: ClusterRole, name: health}
subjects:
- {kind: Group, name: "system:authenticated"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: root}
roleRef: {kind: ClusterRole, name: everything}
subjects:
- {kind: User, name: root}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: literal-star}
roleRef: {kind: ClusterRole, name: deployment-subresources}
subjects:
- {kind: User, name: dave}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: aggregated}
roleRef: {kind: ClusterRole, name: aggregated}
subjects:
- {kind: User, name: erin}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: missing-cluster-role}
roleRef: {kind: ClusterRole, name: does-not-exist}
subjects:
- {kind: User, name: alice}
"#;

const UPSTREAM_ROLES: &str = include_str!("../../tests/fixtures/upstream-roles.yaml");

fn policy() -> Manifests {
    match Manifests::from_yaml(POLICY) {
        Ok(m) => m,
        Err(e) => panic!("POLICY does not load: {e}"),
    }
}

fn user(name: &str) -> UserInfo {
    UserInfo::new(name, Vec::<String>::new())
}

fn sa(namespace: &str, name: &str) -> UserInfo {
    UserInfo::service_account(namespace, name)
}

/// `kubectl auth can-i VERB RESOURCE [-n NAMESPACE]`, optionally `NAME`.
fn res(verb: &str, resource: &str, namespace: Option<&str>, name: Option<&str>) -> Request {
    let request = Request::parse_resource(verb, resource, namespace);
    match name {
        Some(name) => request.with_name(name),
        None => request,
    }
}

struct Case {
    /// What must hold.
    what: &'static str,
    user: UserInfo,
    request: Request,
    allowed: bool,
}

fn case(what: &'static str, user: UserInfo, request: Request, allowed: bool) -> Case {
    Case {
        what,
        user,
        request,
        allowed,
    }
}

fn table() -> Vec<Case> {
    let ns = Some("team-a");
    let devs = UserInfo::new("bob", ["devs"]);
    vec![
        // Verbs.
        case(
            "a listed verb is allowed",
            user("alice"),
            res("get", "pods", ns, Some("p")),
            true,
        ),
        case(
            "an unlisted verb is denied",
            user("alice"),
            res("delete", "pods", ns, Some("p")),
            false,
        ),
        case(
            "verb * allows any verb",
            sa("team-a", "builder"),
            res("deletecollection", "services", ns, None),
            true,
        ),
        // API groups.
        case(
            "the rule's group must be the request's",
            user("alice"),
            res("get", "pods.metrics.k8s.io", ns, None),
            false,
        ),
        case(
            "apiGroups * matches any group",
            sa("ci", "deployer"),
            res("update", "deployments.apps/scale", ns, Some("d")),
            true,
        ),
        // Resources and subresources.
        case(
            "*/scale matches the scale of any resource",
            sa("ci", "deployer"),
            res("update", "statefulsets.apps/scale", ns, Some("s")),
            true,
        ),
        case(
            "*/scale does not match the resource itself",
            sa("ci", "deployer"),
            res("update", "deployments.apps", ns, Some("d")),
            false,
        ),
        case(
            "*/scale does not match another subresource",
            sa("ci", "deployer"),
            res("update", "deployments.apps/status", ns, Some("d")),
            false,
        ),
        case(
            "deployments/* is not a wildcard",
            user("dave"),
            res("get", "deployments.apps/scale", ns, Some("d")),
            false,
        ),
        case(
            "deployments/* matches a subresource literally named *",
            user("dave"),
            res("get", "deployments.apps/*", ns, Some("d")),
            true,
        ),
        case(
            "resources * matches subresources",
            user("root"),
            res("create", "pods/exec", Some("team-z"), Some("p")),
            true,
        ),
        case(
            "a resource does not grant its subresources",
            user("alice"),
            res("get", "pods/log", ns, Some("p")),
            false,
        ),
        // Resource names.
        case(
            "a listed resource name is allowed",
            sa("team-a", "app"),
            res("get", "configmaps", ns, Some("app-config")),
            true,
        ),
        case(
            "an unlisted resource name is denied",
            sa("team-a", "app"),
            res("get", "configmaps", ns, Some("other")),
            false,
        ),
        case(
            "a request without a name does not match resourceNames",
            sa("team-a", "app"),
            res("list", "configmaps", ns, None),
            false,
        ),
        case(
            "create has no name, so resourceNames never allow it",
            sa("team-a", "app"),
            res("create", "configmaps", ns, None),
            false,
        ),
        // Subjects.
        case(
            "a User subject matches the user name",
            user("alice"),
            res("list", "pods", ns, None),
            true,
        ),
        case(
            "a User subject does not match a group of that name",
            UserInfo::new("mallory", ["alice"]),
            res("list", "pods", ns, None),
            false,
        ),
        case(
            "a Group subject matches a group of the user",
            devs.clone(),
            res("get", "secrets", ns, Some("s")),
            true,
        ),
        case(
            "a Group subject does not match a user of that name",
            user("devs"),
            res("get", "secrets", ns, Some("s")),
            false,
        ),
        case(
            "a ServiceAccount without namespace is in the binding's namespace",
            sa("team-a", "builder"),
            res("get", "services", ns, Some("x")),
            true,
        ),
        case(
            "the same service-account name in another namespace is not it",
            sa("team-b", "builder"),
            res("get", "services", ns, Some("x")),
            false,
        ),
        case(
            "a ServiceAccount subject's own namespace counts",
            sa("ci", "deployer"),
            res("update", "replicasets.apps/scale", ns, Some("r")),
            true,
        ),
        case(
            "a service account of the binding's namespace is not one of another",
            sa("team-a", "deployer"),
            res("update", "replicasets.apps/scale", ns, Some("r")),
            false,
        ),
        case(
            "service accounts get system:serviceaccounts:<ns>",
            sa("team-a", "anything"),
            res("update", "configmaps", ns, Some("app-config")),
            true,
        ),
        case(
            "system:serviceaccounts:<ns> is only their own namespace's",
            sa("team-b", "anything"),
            res("get", "configmaps", ns, Some("app-config")),
            false,
        ),
        case(
            "a user named like a service account gets its groups",
            UserInfo::new("system:serviceaccount:team-a:x", ["extra"]),
            res("get", "configmaps", ns, Some("app-config")),
            true,
        ),
        case(
            "every user gets system:authenticated",
            user("zoe"),
            Request::non_resource("get", "/healthz"),
            true,
        ),
        case(
            "system:anonymous is not system:authenticated",
            user("system:anonymous"),
            Request::non_resource("get", "/healthz"),
            false,
        ),
        // Non-resource URLs.
        case(
            "an exact non-resource URL matches",
            user("zoe"),
            Request::non_resource("get", "/healthz"),
            true,
        ),
        case(
            "/healthz/* matches a path below /healthz/",
            user("zoe"),
            Request::non_resource("get", "/healthz/etcd"),
            true,
        ),
        case(
            "/healthz/* does not match /healthzx",
            user("zoe"),
            Request::non_resource("get", "/healthzx"),
            false,
        ),
        case(
            "/api* is a plain prefix: /api",
            user("zoe"),
            Request::non_resource("get", "/api"),
            true,
        ),
        case(
            "/api* is a plain prefix: /apis/apps",
            user("zoe"),
            Request::non_resource("get", "/apis/apps"),
            true,
        ),
        case(
            "an unlisted URL is denied",
            user("zoe"),
            Request::non_resource("get", "/livez"),
            false,
        ),
        case(
            "the verb of a non-resource rule counts",
            user("zoe"),
            Request::non_resource("post", "/healthz"),
            false,
        ),
        case(
            "resources * does not grant non-resource URLs",
            user("root"),
            Request::non_resource("get", "/metrics"),
            false,
        ),
        case(
            "a ClusterRoleBinding grants non-resource URLs",
            user("frank"),
            Request::non_resource("get", "/metrics"),
            true,
        ),
        case(
            "a RoleBinding never grants non-resource URLs",
            user("carol"),
            Request::non_resource("get", "/metrics"),
            false,
        ),
        // Scope of bindings.
        case(
            "a RoleBinding grants in its namespace",
            user("alice"),
            res("get", "pods", ns, Some("p")),
            true,
        ),
        case(
            "a RoleBinding does not grant in another namespace",
            user("alice"),
            res("get", "pods", Some("team-c"), Some("p")),
            false,
        ),
        case(
            "a RoleBinding does not grant cluster-scoped requests",
            user("alice"),
            res("list", "pods", None, None),
            false,
        ),
        case(
            "an empty namespace is cluster scope",
            user("alice"),
            res("list", "pods", Some(""), None),
            false,
        ),
        case(
            "a Role is only reachable from its namespace",
            devs,
            res("get", "secrets", Some("team-c"), Some("s")),
            false,
        ),
        case(
            "a ClusterRoleBinding grants in every namespace",
            user("root"),
            res("delete", "pods", Some("anywhere"), Some("p")),
            true,
        ),
        case(
            "a ClusterRoleBinding grants cluster-scoped requests",
            user("root"),
            res("delete", "nodes", None, Some("n")),
            true,
        ),
        // Missing roles.
        case(
            "a RoleBinding to a missing Role grants nothing",
            user("alice"),
            res("get", "pods", Some("team-b"), Some("p")),
            false,
        ),
        // Aggregation.
        case(
            "an aggregated role has the rules of the roles it selects",
            user("erin"),
            res("get", "nodes", None, Some("n")),
            true,
        ),
        case(
            "roles the selector does not match add nothing",
            user("erin"),
            res("list", "namespaces", None, None),
            false,
        ),
        case(
            "an aggregated role's own rules are overwritten",
            user("erin"),
            res("delete", "nodes", None, Some("n")),
            false,
        ),
        // Default deny.
        case(
            "nobody else is allowed anything",
            user("nobody"),
            res("get", "pods", ns, Some("p")),
            false,
        ),
    ]
}

#[test]
fn table_of_rules() {
    let manifests = policy();
    let mut failures = Vec::new();
    for case in table() {
        let allowed = manifests.allows(&case.user, &case.request);
        let grants = manifests.explain(&case.user, &case.request);
        if allowed != case.allowed {
            failures.push(format!(
                "{}: {:?} by {} gave {allowed}, want {}",
                case.what, case.request, case.user.name, case.allowed
            ));
        }
        if grants.is_empty() == allowed {
            failures.push(format!("{}: explain disagrees with allows", case.what));
        }
        // who_can lists a subject that matches the user exactly when allowed.
        let listed = manifests
            .who_can(&case.request)
            .iter()
            .any(|(subject, _)| subject_is(subject, &case.user));
        if listed != allowed {
            failures.push(format!("{}: who_can disagrees with allows", case.what));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn subject_is(subject: &SubjectRef, user: &UserInfo) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.name,
        "Group" => user.in_group(&subject.name),
        "ServiceAccount" => subject
            .namespace
            .as_ref()
            .is_some_and(|ns| user.name == format!("system:serviceaccount:{ns}:{}", subject.name)),
        _ => false,
    }
}

fn upstream() -> Manifests {
    match Manifests::from_yaml(UPSTREAM_ROLES) {
        Ok(m) => m,
        Err(e) => panic!("upstream-roles.yaml does not load: {e}"),
    }
}

/// Each default role bound in `apps` to a user of the same name.
fn upstream_bound() -> Manifests {
    let mut manifests = upstream();
    let bindings = ["view", "edit", "admin"]
        .iter()
        .map(|role| {
            format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
                 metadata: {{name: {role}, namespace: apps}}\n\
                 roleRef: {{kind: ClusterRole, name: {role}}}\n\
                 subjects: [{{kind: User, name: {role}}}]\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n");
    match Manifests::from_yaml(&bindings) {
        Ok(b) => manifests.extend(b),
        Err(e) => panic!("bindings do not load: {e}"),
    }
    manifests
}

#[test]
fn upstream_default_roles() {
    let m = upstream_bound();
    let ns = Some("apps");
    let cases = [
        (
            "view can read pods",
            "view",
            res("get", "pods", ns, Some("p")),
            true,
        ),
        (
            "view can read deployment scale",
            "view",
            res("get", "deployments.apps/scale", ns, Some("d")),
            true,
        ),
        (
            "view cannot get secrets",
            "view",
            res("get", "secrets", ns, Some("s")),
            false,
        ),
        (
            "view cannot list secrets",
            "view",
            res("list", "secrets", ns, None),
            false,
        ),
        (
            "view cannot exec",
            "view",
            res("create", "pods/exec", ns, Some("p")),
            false,
        ),
        (
            "view cannot read pod logs of another namespace",
            "view",
            res("get", "pods/log", Some("other"), Some("p")),
            false,
        ),
        (
            "edit can create pods/exec",
            "edit",
            res("create", "pods/exec", ns, Some("p")),
            true,
        ),
        (
            "edit can get secrets",
            "edit",
            res("get", "secrets", ns, Some("s")),
            true,
        ),
        (
            "edit includes view",
            "edit",
            res("get", "pods/log", ns, Some("p")),
            true,
        ),
        (
            "edit can scale deployments",
            "edit",
            res("update", "deployments.apps/scale", ns, Some("d")),
            true,
        ),
        (
            "edit cannot create rolebindings",
            "edit",
            res("create", "rolebindings.rbac.authorization.k8s.io", ns, None),
            false,
        ),
        (
            "edit cannot create roles",
            "edit",
            res("create", "roles.rbac.authorization.k8s.io", ns, None),
            false,
        ),
        (
            "admin can create rolebindings",
            "admin",
            res("create", "rolebindings.rbac.authorization.k8s.io", ns, None),
            true,
        ),
        (
            "admin can create localsubjectaccessreviews",
            "admin",
            res(
                "create",
                "localsubjectaccessreviews.authorization.k8s.io",
                ns,
                None,
            ),
            true,
        ),
        (
            "admin includes edit",
            "admin",
            res("create", "pods/exec", ns, Some("p")),
            true,
        ),
        (
            "admin includes view",
            "admin",
            res("get", "pods/log", ns, Some("p")),
            true,
        ),
        (
            "admin cannot touch nodes",
            "admin",
            res("get", "nodes", None, Some("n")),
            false,
        ),
        (
            "admin via a RoleBinding is not cluster-wide",
            "admin",
            res("list", "pods", None, None),
            false,
        ),
    ];
    for (what, name, request, want) in cases {
        assert_eq!(m.allows(&user(name), &request), want, "{what}");
    }
}

#[test]
fn upstream_aggregation_is_complete_and_deduplicated() {
    let m = upstream();
    let count = |name: &str| m.effective_rules("ClusterRole", None, name).len();
    let view = count("system:aggregate-to-view");
    let edit_own = count("system:aggregate-to-edit");
    let admin_own = count("system:aggregate-to-admin");
    assert_eq!(count("view"), view);
    assert_eq!(count("edit"), edit_own + view);
    assert_eq!(count("admin"), admin_own + edit_own + view);
    // admin's selector matches edit (aggregated) and system:aggregate-to-admin,
    // in name order: edit's rules (its own part, then view's) come first.
    let admin = m.effective_rules("ClusterRole", None, "admin");
    let edit = m.effective_rules("ClusterRole", None, "edit");
    assert_eq!(&admin[..edit.len()], &edit[..]);
}

#[test]
fn aggregation_cycles_end_and_duplicates_drop() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a, labels: {to-b: "true"}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {to-a: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b, labels: {to-a: "true"}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {to-b: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: self, labels: {to-self: "true"}}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {to-self: "true"}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: leaf-1, labels: {to-a: "true", to-b: "true"}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: leaf-2, labels: {to-a: "true"}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get], resourceNames: []}
- {apiGroups: [""], resources: [services], verbs: [get]}
"#;
    let m = match Manifests::from_yaml(yaml) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let resources = |name: &str| -> Vec<String> {
        m.effective_rules("ClusterRole", None, name)
            .iter()
            .flat_map(|r| r.resources.iter().flatten().cloned())
            .collect()
    };
    // a selects b, leaf-1, leaf-2; b selects a and leaf-1. The rule of leaf-2
    // equal to leaf-1's (an empty resourceNames is no resourceNames) drops.
    assert_eq!(resources("a"), ["pods", "services"]);
    assert_eq!(resources("b"), ["pods", "services"]);
    assert!(resources("self").is_empty());
}

#[test]
fn label_selector_operators() {
    let labels = BTreeMap::from([("tier".to_string(), "web".to_string())]);
    let expression = |operator: &str, values: &[&str]| LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "tier".to_string(),
            operator: operator.to_string(),
            values: (!values.is_empty()).then(|| values.iter().map(|v| v.to_string()).collect()),
        }]),
        match_labels: None,
    };
    let cases = [
        (
            "In with the value",
            expression("In", &["web", "db"]),
            Some(&labels),
            true,
        ),
        (
            "In without the value",
            expression("In", &["db"]),
            Some(&labels),
            false,
        ),
        ("In, label absent", expression("In", &["web"]), None, false),
        (
            "NotIn with the value",
            expression("NotIn", &["web"]),
            Some(&labels),
            false,
        ),
        (
            "NotIn without the value",
            expression("NotIn", &["db"]),
            Some(&labels),
            true,
        ),
        (
            "NotIn, label absent",
            expression("NotIn", &["web"]),
            None,
            true,
        ),
        (
            "Exists, present",
            expression("Exists", &[]),
            Some(&labels),
            true,
        ),
        ("Exists, absent", expression("Exists", &[]), None, false),
        (
            "DoesNotExist, present",
            expression("DoesNotExist", &[]),
            Some(&labels),
            false,
        ),
        (
            "DoesNotExist, absent",
            expression("DoesNotExist", &[]),
            None,
            true,
        ),
        (
            "unknown operator",
            expression("Gt", &["1"]),
            Some(&labels),
            false,
        ),
        (
            "empty selector matches everything",
            LabelSelector::default(),
            None,
            true,
        ),
        (
            "matchLabels and matchExpressions must both hold",
            LabelSelector {
                match_labels: Some(BTreeMap::from([("tier".to_string(), "db".to_string())])),
                ..expression("Exists", &[])
            },
            Some(&labels),
            false,
        ),
    ];
    for (what, selector, labels, want) in cases {
        assert_eq!(rules::selector_matches(&selector, labels), want, "{what}");
    }
}

#[test]
fn non_resource_url_trims_every_trailing_star() {
    let rule = |url: &str| PolicyRule {
        non_resource_urls: Some(vec![url.to_string()]),
        verbs: vec!["get".to_string()],
        ..Default::default()
    };
    assert!(rules::non_resource_url_matches(&rule("/logs**"), "/logs/x"));
    assert!(rules::non_resource_url_matches(&rule("*"), "/anything"));
    assert!(rules::non_resource_url_matches(&rule("/a*"), "/a"));
    assert!(!rules::non_resource_url_matches(&rule("/a/"), "/a"));
    assert!(!rules::non_resource_url_matches(&rule("/a"), "/a/"));
}

#[test]
fn explain_lists_every_grant_sorted() {
    let m = policy();
    let grants = m.explain(
        &user("alice"),
        &res("get", "pods", Some("team-a"), Some("p")),
    );
    assert_eq!(
        grants,
        [Grant {
            binding_kind: "RoleBinding".to_string(),
            binding_namespace: Some("team-a".to_string()),
            binding_name: "read-pods".to_string(),
            role_kind: "ClusterRole".to_string(),
            role_name: "pod-reader".to_string(),
            rule_index: 0,
        }]
    );
    let rule = m.rule(&grants[0]);
    assert_eq!(
        rule.map(|r| r.verbs.clone()),
        Some(vec!["get".to_string(), "list".to_string()])
    );

    // A user in several bindings: every one, ClusterRoleBindings first.
    let both = UserInfo::new("root", ["system:serviceaccounts:team-a"]);
    let request = res("get", "configmaps", Some("team-a"), Some("app-config"));
    let grants = m.explain(&both, &request);
    let names: Vec<_> = grants
        .iter()
        .map(|g| (g.binding_kind.as_str(), g.binding_name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("ClusterRoleBinding", "root"),
            ("RoleBinding", "all-service-accounts")
        ]
    );
    // An aggregated role's grant points into its effective rules.
    let grants = m.explain(&user("erin"), &res("get", "nodes", None, Some("n")));
    assert_eq!(grants.len(), 1);
    assert_eq!(
        m.rule(&grants[0]).map(|r| r.verbs.clone()),
        Some(vec!["get".to_string()])
    );
}

#[test]
fn who_can_lists_subjects_sorted_and_deduplicated() {
    let m = policy();
    let request = res("get", "configmaps", Some("team-a"), Some("app-config"));
    let subjects: Vec<_> = m
        .who_can(&request)
        .into_iter()
        .map(|(s, g)| (s.kind, s.name, s.namespace, g.binding_name))
        .collect();
    assert_eq!(
        subjects,
        [
            (
                "Group".to_string(),
                "system:serviceaccounts:team-a".to_string(),
                None,
                "all-service-accounts".to_string()
            ),
            (
                "User".to_string(),
                "root".to_string(),
                None,
                "root".to_string()
            ),
        ]
    );
    // A service account without namespace is listed in the binding's.
    let who = m.who_can(&res("get", "services", Some("team-a"), Some("x")));
    assert!(who.iter().any(|(s, _)| s
        == &SubjectRef {
            kind: "ServiceAccount".to_string(),
            name: "builder".to_string(),
            namespace: Some("team-a".to_string()),
        }));
    // Nothing from RoleBindings of other namespaces, or for non-resource
    // requests.
    let who = m.who_can(&Request::non_resource("get", "/metrics"));
    let names: Vec<_> = who.iter().map(|(s, _)| s.name.as_str()).collect();
    assert_eq!(names, ["frank"]);
}

#[test]
fn bindings_of_lists_the_bindings_naming_the_user() {
    let m = policy();
    let names = |namespace: Option<&str>| -> Vec<(String, Option<String>, String, String)> {
        m.bindings_of(&user("alice"), namespace)
            .into_iter()
            .map(|b| {
                (
                    b.binding_kind,
                    b.binding_namespace,
                    b.binding_name,
                    b.role_name,
                )
            })
            .collect()
    };
    let crb = |name: &str, role: &str| {
        (
            "ClusterRoleBinding".to_string(),
            None,
            name.to_string(),
            role.to_string(),
        )
    };
    let rb = |ns: &str, name: &str, role: &str| {
        (
            "RoleBinding".to_string(),
            Some(ns.to_string()),
            name.to_string(),
            role.to_string(),
        )
    };
    // In a namespace: what the resolver visits there, through the user's
    // name and the implicit `system:authenticated`.
    assert_eq!(
        names(Some("team-a")),
        [
            crb("health", "health"),
            crb("missing-cluster-role", "does-not-exist"),
            rb("team-a", "read-pods", "pod-reader"),
        ]
    );
    // Everywhere: RoleBindings of every namespace, a missing role included.
    assert_eq!(
        names(None),
        [
            crb("health", "health"),
            crb("missing-cluster-role", "does-not-exist"),
            rb("team-a", "read-pods", "pod-reader"),
            rb("team-b", "missing-role", "does-not-exist"),
        ]
    );
    // A service account is matched by its full user name.
    let sa_bindings: Vec<String> = m
        .bindings_of(&sa("team-a", "builder"), Some("team-a"))
        .into_iter()
        .map(|b| b.binding_name)
        .collect();
    assert_eq!(sa_bindings, ["health", "all-service-accounts", "builder"]);
}

#[test]
fn user_info_adds_the_authenticators_groups() {
    let groups = |u: UserInfo| u.groups;
    assert_eq!(
        groups(UserInfo::new("alice", ["devs"])),
        ["devs", "system:authenticated"]
    );
    assert_eq!(
        groups(UserInfo::service_account("ns", "app")),
        [
            "system:serviceaccounts",
            "system:serviceaccounts:ns",
            "system:authenticated"
        ]
    );
    assert_eq!(groups(user("system:anonymous")), ["system:unauthenticated"]);
    // Already authenticated or unauthenticated: nothing added.
    assert_eq!(
        groups(UserInfo::new("x", ["system:authenticated"])),
        ["system:authenticated"]
    );
    assert_eq!(
        groups(UserInfo::new("x", ["system:unauthenticated"])),
        ["system:unauthenticated"]
    );
    // Not service-account names: no service-account groups.
    for name in [
        "system:serviceaccount:ns",
        "system:serviceaccount::app",
        "system:serviceaccount:ns:",
        "system:serviceaccount:ns:app:extra",
        "serviceaccount:ns:app",
    ] {
        assert_eq!(groups(user(name)), ["system:authenticated"], "{name}");
    }
}

#[test]
fn parse_resource_splits_kubectl_notation() {
    let parts = |r: Request| match r {
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            namespace,
            name,
        } => (verb, api_group, resource, subresource, namespace, name),
        Request::NonResource { .. } => panic!("not a resource request"),
    };
    let s = |v: &str| v.to_string();
    assert_eq!(
        parts(Request::parse_resource("get", "pods", Some("ns"))),
        (s("get"), s(""), s("pods"), None, Some(s("ns")), None)
    );
    assert_eq!(
        parts(Request::parse_resource("create", "pods/exec", None)),
        (s("create"), s(""), s("pods"), Some(s("exec")), None, None)
    );
    assert_eq!(
        parts(Request::parse_resource("list", "deployments.apps", None)),
        (s("list"), s("apps"), s("deployments"), None, None, None)
    );
    assert_eq!(
        parts(
            Request::parse_resource("update", "deployments.apps/scale", Some("ns")).with_name("d")
        ),
        (
            s("update"),
            s("apps"),
            s("deployments"),
            Some(s("scale")),
            Some(s("ns")),
            Some(s("d"))
        )
    );
    assert_eq!(
        parts(Request::parse_resource(
            "get",
            "rolebindings.rbac.authorization.k8s.io",
            None
        )),
        (
            s("get"),
            s("rbac.authorization.k8s.io"),
            s("rolebindings"),
            None,
            None,
            None
        )
    );
    assert_eq!(
        parts(Request::parse_resource("get", "pods/", Some(""))),
        (s("get"), s(""), s("pods"), None, None, None)
    );
}

#[test]
fn from_yaml_skips_other_kinds_and_expands_lists() {
    let yaml = r#"# comment
# another
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ns}
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [a.yaml]
---
apiVersion: example.com/v1
kind: Role
spec: {not: rbac}
---
---
apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: from-list, creationTimestamp: null}
  rules: null
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ignored}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBindingList
items:
- metadata: {name: typed, namespace: ns}
  roleRef: {kind: ClusterRole, name: from-list}
  subjects: [{kind: User, name: u}]
"#;
    let m = match Manifests::from_yaml(yaml) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(m.len(), 2);
    assert_eq!(
        m.cluster_roles()
            .filter_map(|r| r.metadata.name.as_deref())
            .collect::<Vec<_>>(),
        ["from-list"]
    );
    assert_eq!(m.role_bindings().count(), 1);
    assert!(Manifests::from_yaml("").is_ok_and(|m| m.is_empty()));
    assert!(Manifests::from_yaml("# only a comment\n---\n").is_ok_and(|m| m.is_empty()));
}

#[test]
fn later_objects_replace_earlier_ones() {
    let role = |verb: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\n\
             rules: [{{apiGroups: [\"\"], resources: [pods], verbs: [{verb}]}}]\n"
        )
    };
    let load = |yaml: &str| match Manifests::from_yaml(yaml) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    let mut m = load(&format!("{}---\n{}", role("get"), role("list")));
    let verbs = |m: &Manifests| m.effective_rules("ClusterRole", None, "r")[0].verbs.clone();
    assert_eq!(m.len(), 1);
    assert_eq!(verbs(&m), ["list"]);
    m.extend(load(&role("watch")));
    assert_eq!(m.len(), 1);
    assert_eq!(verbs(&m), ["watch"]);
}

/// The error for `yaml`, which must fail to load.
fn load_error(yaml: &str) -> AccessError {
    match Manifests::from_yaml(yaml) {
        Ok(_) => panic!("loaded, but must fail:\n{yaml}"),
        Err(e) => e,
    }
}

#[test]
fn malformed_manifests_are_errors_with_document_and_kind() {
    const OK: &str = "apiVersion: v1\nkind: Namespace\nmetadata: {name: ns}\n";
    let cases: &[(&str, &str, &str)] = &[
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\nrules: []\n",
            "Role",
            "metadata.namespace is required",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {}\n",
            "ClusterRole",
            "metadata.name is required",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole\nmetadata: {name: r}\n",
            "ClusterRole",
            "is not served",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{resources: [pods], verbs: [get]}]\n",
            "ClusterRole",
            "at least one api group",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: []}]\n",
            "ClusterRole",
            "verbs must contain",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: ns}\nrules: [{nonResourceURLs: [/x], verbs: [get]}]\n",
            "Role",
            "cannot apply to non-resource URLs",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{nonResourceURLs: [/x], resources: [pods], verbs: [get]}]\n",
            "ClusterRole",
            "both regular resources and non-resource URLs",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\naggregationRule: {clusterRoleSelectors: []}\n",
            "ClusterRole",
            "at least one selector",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\naggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: k, operator: Gt, values: [\"1\"]}]}]}\n",
            "ClusterRole",
            "operator \"Gt\"",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\naggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: k, operator: In}]}]}\n",
            "ClusterRole",
            "needs at least one value",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: Role, name: r}\n",
            "ClusterRoleBinding",
            "roleRef.kind \"Role\" is not supported",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {apiGroup: example.com, kind: ClusterRole, name: r}\n",
            "RoleBinding",
            "roleRef.apiGroup",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, name: s}]\n",
            "ClusterRoleBinding",
            "namespace is required for a ServiceAccount",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: Robot, name: s}]\n",
            "RoleBinding",
            "kind \"Robot\" is not supported",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: ServiceAccount, apiGroup: rbac.authorization.k8s.io, name: s}]\n",
            "RoleBinding",
            "not supported for a ServiceAccount",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [{kind: User, name: \"\"}]\n",
            "RoleBinding",
            "name is required",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\n",
            "RoleBinding",
            "roleRef",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{apiGroups: [\"\"], resources: [pods], verbs: 5}]\n",
            "ClusterRole",
            "invalid type",
        ),
        ("- just\n- a list\n", "(no kind)", "not a mapping"),
        ("metadata: {name: x}\n", "(no kind)", "`kind` is missing"),
        ("kind: Role\n", "(no kind)", "`apiVersion` is missing"),
        (
            "kind: 7\napiVersion: v1\n",
            "(no kind)",
            "`kind` is not a non-empty string",
        ),
        (
            "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: List, items: []}]\n",
            "List",
            "a list inside a list",
        ),
        (
            "apiVersion: v1\nkind: List\nitems: 3\n",
            "List",
            "`items` is not a list",
        ),
    ];
    for (yaml, want_kind, want_message) in cases {
        // The bad document comes second, after a good one.
        let error = load_error(&format!("{OK}---\n{yaml}"));
        match &error {
            AccessError::Manifest {
                document,
                kind,
                message,
                ..
            } => {
                assert_eq!(*document, 1, "{yaml}");
                assert_eq!(kind, want_kind, "{yaml}");
                assert!(
                    message.contains(want_message),
                    "{yaml}: {message:?} does not contain {want_message:?}"
                );
                assert!(error.to_string().starts_with("document 1"), "{error}");
            }
            other => panic!("{yaml}: want a manifest error, got {other:?}"),
        }
    }
    // Items of a list are located too.
    let error = load_error(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap}\n\
         - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {}}\n",
    );
    assert!(
        matches!(error, AccessError::Manifest { document: 0, item: Some(1), ref kind, .. } if kind == "ClusterRole"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "document 0, item 1: ClusterRole: metadata.name is required"
    );
}

#[test]
fn yaml_1_1_booleans_are_booleans_as_for_kubectl() {
    // `n`, `no`, `on`, `yes` are booleans in YAML 1.1, which kubectl's YAML
    // reader follows; in a string field they are a type error, not a name.
    let error = load_error(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: no}\n",
    );
    assert!(
        matches!(&error, AccessError::Manifest { kind, message, .. } if kind == "Role" && message.contains("boolean")),
        "{error:?}"
    );
}

#[test]
fn invalid_yaml_is_an_error() {
    for yaml in [
        "a: [",
        "a: b\n  c: d\n",
        "key: 'unterminated",
        "{a: 1, a: 2}",
    ] {
        match Manifests::from_yaml(yaml) {
            Err(AccessError::Yaml { .. }) => {}
            // Duplicate keys may be accepted by the parser; then the
            // document has no kind.
            Err(AccessError::Manifest { .. }) => {}
            other => panic!("{yaml:?}: {other:?}"),
        }
    }
}

#[test]
fn odd_inputs_never_panic() {
    let inputs = [
        "",
        "---",
        "--- \n...\n",
        "~",
        "null",
        "42",
        "\"string\"",
        "[]",
        "{}",
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\n",
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: 3\n",
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: r}\nrules: {a: b}\n",
        "kind: ClusterRole\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: r, labels: {a: true}}\n",
        "kind: RoleBinding\napiVersion: rbac.authorization.k8s.io/v1\nmetadata: {name: b, namespace: ns}\nroleRef: {kind: ClusterRole, name: r}\nsubjects: [null]\n",
        "kind: List\napiVersion: v1\nitems: [1, null, []]\n",
        "a: &x [*x]\n",
        "? [a, b]\n: c\n",
        "!!binary aGVsbG8=\n",
        &"[".repeat(10_000),
        &"- ".repeat(10_000),
    ];
    for input in inputs {
        // Any result is fine; reaching the next input is the test.
        let _ = Manifests::from_yaml(input);
    }
}

#[test]
fn load_dir_reads_yaml_files_in_name_order() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    let role = |verb: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: r}}\n\
             rules: [{{apiGroups: [\"\"], resources: [pods], verbs: [{verb}]}}]\n"
        )
    };
    write("a.yaml", &role("get"));
    write("b/c.yml", &role("list"));
    write("b/z.yaml", &role("watch"));
    write("d.yaml", POLICY);
    write("notes.txt", "not: [yaml");
    write("kustomization.yaml", "not: [yaml");
    write("b/kustomization.yaml", "not: [yaml");
    write("kubeconfigs/prod.yaml", "not: [yaml");
    write("b/kubeconfigs/prod.yaml", "not: [yaml");
    let m = match Manifests::load_dir(dir.path()) {
        Ok(m) => m,
        Err(e) => panic!("{e}"),
    };
    // b/z.yaml is read after b/c.yml and before d.yaml, which has no `r`.
    let verbs = m.effective_rules("ClusterRole", None, "r")[0].verbs.clone();
    assert_eq!(verbs, ["watch"]);
    assert!(m.allows(
        &user("alice"),
        &res("get", "pods", Some("team-a"), Some("p"))
    ));

    write(
        "e.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r}\n",
    );
    match Manifests::load_dir(dir.path()) {
        Err(AccessError::File { path, source }) => {
            assert!(path.ends_with("e.yaml"), "{}", path.display());
            assert!(matches!(*source, AccessError::Manifest { document: 0, .. }));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Manifests::load_dir(&dir.path().join("missing")),
        Err(AccessError::Io { .. })
    ));
}
