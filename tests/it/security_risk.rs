//! The security review of the risk model, the policy's extra resources,
//! custom-role rules and quotas: each class of hostile or mistaken input is
//! refused or reported on the node that causes it, by the real binary on
//! real files.

use crate::support::{Repo, read_tree};

/// `rbacc.yaml` with one cluster and `sections` (YAML under `spec`).
fn config_with(sections: &str) -> String {
    format!(
        "apiVersion: rbacc.dev/v1alpha1
kind: Config
spec:
  clusters:
    - name: only
      server: https://kubeapi.example.com:6443
{sections}
"
    )
}

/// `rbacc.yaml` with one cluster, `policy` and `roles` (YAML lines at
/// four spaces).
fn config(policy: &str, roles: &str) -> String {
    config_with(&format!("  policy:\n{policy}\n  roles:\n{roles}"))
}

/// Team `blue` with `members` (YAML lines at four spaces) and one
/// namespace, `blue-app`.
fn team(members: &str, allow: &str) -> String {
    format!(
        "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata:
  name: blue
spec:
  members:
{members}
{allow}
  namespaces:
    - name: blue-app
"
    )
}

/// A repository of `config` and one team file, `teams/blue.yaml`.
pub(crate) fn repo(config: &str, team: &str) -> Repo {
    let repo = Repo::new();
    repo.write("rbacc.yaml", config)
        .write("teams/blue.yaml", team);
    repo
}

/// A custom role with one rule, as a `roles:` entry.
fn role(name: &str, rule: &str, allow: &str) -> String {
    format!("    - name: {name}\n      description: test\n      rules:\n        - {rule}\n{allow}")
}

#[test]
fn a_debug_container_is_exec_into_the_pod() {
    for (rule, request) in [
        (
            "{ apiGroups: [\"\"], resources: [pods/ephemeralcontainers], verbs: [patch] }",
            "patch pods/ephemeralcontainers",
        ),
        (
            "{ apiGroups: [\"\"], resources: [pods/ephemeralcontainers], verbs: [update, get] }",
            "update pods/ephemeralcontainers",
        ),
        (
            "{ apiGroups: [\"\"], resources: [\"*/ephemeralcontainers\"], verbs: [patch] }",
            "patch pods/ephemeralcontainers",
        ),
    ] {
        let allow = if rule.contains('*') {
            "      allow: [wildcard]\n      reason: every debug subresource\n"
        } else {
            ""
        };
        let repo = repo(
            &config(
                "    risks: { pods-exec: error }",
                &role("debugger", rule, allow),
            ),
            &team("    debugger: { groups: [blue-oncall] }", ""),
        );
        let run = repo.rbacc(&["check"]);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("access-risk")
                && stderr.contains(
                    "group `blue-oncall` can exec into, attach to or port-forward to pods in namespace `blue-app`"
                )
                && stderr.contains(&format!("rule 1 allows `{request}`")),
            "{rule}\n{stderr}"
        );
    }
    // Reading the subresource adds no container.
    let repo = repo(
        &config(
            "    risks: { pods-exec: error }",
            &role(
                "reader",
                "{ apiGroups: [\"\"], resources: [pods/ephemeralcontainers], verbs: [get, list] }",
                "",
            ),
        ),
        &team("    reader: { groups: [blue-oncall] }", ""),
    );
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_lacks("access-risk");
}

#[test]
fn changing_a_pod_or_a_workload_is_creating_pods() {
    for (rule, request) in [
        (
            "{ apiGroups: [\"\"], resources: [pods], verbs: [get, patch] }",
            "patch pods",
        ),
        (
            "{ apiGroups: [\"\"], resources: [pods], verbs: [update] }",
            "update pods",
        ),
        (
            "{ apiGroups: [apps], resources: [deployments, statefulsets], verbs: [update] }",
            "update deployments.apps",
        ),
        (
            "{ apiGroups: [apps], resources: [daemonsets], verbs: [patch] }",
            "patch daemonsets.apps",
        ),
        (
            "{ apiGroups: [batch], resources: [cronjobs], verbs: [patch] }",
            "patch cronjobs.batch",
        ),
        (
            "{ apiGroups: [\"\"], resources: [replicationcontrollers], verbs: [update] }",
            "update replicationcontrollers",
        ),
    ] {
        let repo = repo(
            &config(
                "    risks: { pods-create: error }",
                &role("patcher", rule, ""),
            ),
            &team("    patcher: { groups: [blue-ci] }", ""),
        );
        let run = repo.rbacc(&["check"]);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("group `blue-ci` can create pods, and so mount any Secret")
                && stderr.contains(&format!("rule 1 allows `{request}`")),
            "{rule}\n{stderr}"
        );
    }
    // Granted to another team, such a role is a risky grant, as a role that
    // creates pods is.
    let repo = repo(
        &config(
            "    risks: { pods-create: allow }",
            &role(
                "patcher",
                "{ apiGroups: [apps], resources: [deployments], verbs: [patch] }",
                "",
            ),
        ),
        &team("    viewer: { groups: [blue-all] }", "")
            .replace("    - name: blue-app\n", "    - name: blue-app\n      grants:\n        - { role: patcher, groups: [release-bot] }\n"),
    );
    repo.rbacc(&["check"])
        .stderr_has("granting `patcher` on `blue-app` lets others create pods");
}

#[test]
fn listing_or_watching_secrets_is_reading_them() {
    for verb in ["list", "watch"] {
        let repo = repo(
            &config(
                "    risks: { secrets: error }",
                &role(
                    "lister",
                    &format!("{{ apiGroups: [\"\"], resources: [secrets], verbs: [{verb}] }}"),
                    "      allow: [secrets]\n      reason: the sync job lists its Secrets\n",
                ),
            ),
            &team("    lister: { serviceAccounts: [blue-app/sync] }", ""),
        );
        let run = repo.rbacc(&["explain", "rb/blue-lister", "-n", "blue-app"]);
        run.expect_code(0);
        assert!(
            run.stdout()
                .contains(&format!("rule 1 allows `{verb} secrets`"))
                && run.stdout().contains("the sync job lists its Secrets"),
            "{}",
            run.stdout()
        );
    }
}

#[test]
fn changing_the_namespace_itself_is_an_error_a_team_cannot_accept() {
    for rule in [
        "{ apiGroups: [\"\"], resources: [namespaces], verbs: [patch] }",
        "{ apiGroups: [\"\"], resources: [namespaces], verbs: [update] }",
        "{ apiGroups: [\"\"], resources: [namespaces], verbs: [get, patch], resourceNames: [blue-app] }",
    ] {
        let repo = repo(
            &config("    namespacePrefix: team", &role("labeller", rule, "")),
            &team(
                "    labeller: { groups: [blue-leads] }",
                "  allow:\n    - { risk: namespace-write, role: labeller, reason: we label our namespace }",
            ),
        );
        let before = read_tree(&repo.out());
        let run = repo.rbacc(&["build"]);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("group `blue-leads` can change the Namespace itself")
                && stderr.contains("`blue-app`")
                && stderr.contains("a team cannot accept what the policy makes an error")
                && stderr.contains("risk `namespace-write` is an error by the policy"),
            "{rule}\n{stderr}"
        );
        assert_eq!(read_tree(&repo.out()), before);
    }
    // `cluster-admin`, where the policy allows binding it, changes the
    // namespace too: relaxing the other escalations leaves this one.
    let repo = repo(
        &config(
            "    forbidClusterAdmin: false\n    risks: { escalate: warning, bind: warning, impersonate: warning }",
            "    - name: unused\n      description: test\n      rules:\n        - { apiGroups: [\"\"], resources: [configmaps], verbs: [get] }",
        ),
        &team("    cluster-admin: { groups: [blue-breakglass] }", ""),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("1 error")
        .stderr_has("RoleBinding `blue-cluster-admin` → ClusterRole `cluster-admin` → rule 1 allows `update namespaces`");
}

#[test]
fn cluster_wide_permissions_in_a_custom_role_must_be_named() {
    for (rule, what) in [
        (
            "{ apiGroups: [\"\"], resources: [persistentvolumes], verbs: [create] }",
            "persistent-volumes",
        ),
        (
            "{ apiGroups: [\"\"], resources: [persistentvolumes, persistentvolumeclaims], verbs: [\"*\"] }",
            "persistent-volumes",
        ),
        (
            "{ apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update] }",
            "csr-approval",
        ),
        (
            "{ apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kube-apiserver-client] }",
            "csr-approval",
        ),
        (
            "{ apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [patch] }",
            "admission-webhooks",
        ),
        (
            "{ apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [delete] }",
            "admission-webhooks",
        ),
        (
            "{ apiGroups: [\"\"], resources: [nodes/proxy], verbs: [create] }",
            "nodes-proxy",
        ),
    ] {
        let repo = repo(
            &config("    namespacePrefix: team", &role("platform-ops", rule, "")),
            &team("    viewer: { groups: [blue-all] }", ""),
        );
        let run = repo.rbacc(&["check"]);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains("escalating-role")
                && stderr.contains(&format!("escalation-grade permission `{what}`"))
                && stderr.contains(&format!("add `allow: [{what}]` and a `reason:`")),
            "{rule}\n{stderr}"
        );
        // Named, with a reason, the role is accepted.
        let allowed = repo.write(
            "rbacc.yaml",
            config(
                "    namespacePrefix: team",
                &role(
                    "platform-ops",
                    rule,
                    &format!(
                        "      allow: [{what}{}]\n      reason: the platform's operators\n",
                        if rule.contains("\"*\"") {
                            ", wildcard"
                        } else {
                            ""
                        }
                    ),
                ),
            ),
        );
        allowed.rbacc(&["build"]).expect_code(0);
    }
    // Claims, and reading volumes or webhooks, are no escalation.
    let repo = repo(
        &config(
            "    namespacePrefix: team",
            &role(
                "storage",
                "{ apiGroups: [\"\", admissionregistration.k8s.io], resources: [persistentvolumeclaims, persistentvolumes, validatingwebhookconfigurations], verbs: [get, list, watch] }",
                "",
            ),
        )
        .replace(
            "        - {",
            "        - { apiGroups: [\"\"], resources: [persistentvolumeclaims], verbs: [create, delete] }\n        - {",
        ),
        &team("    storage: { groups: [blue-all] }", ""),
    );
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_lacks("escalating-role");
}

#[test]
fn extra_resources_may_not_widen_the_built_in_roles() {
    let repo = Repo::example();
    let config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("rbacc.yaml");
    let hostile = [
        ("\"\"", "secrets"),
        ("\"\"", "pods/exec"),
        ("\"\"", "pods/attach"),
        ("\"\"", "pods/portforward"),
        ("\"\"", "pods/ephemeralcontainers"),
        ("\"\"", "serviceaccounts/token"),
        ("\"\"", "namespaces"),
        ("\"\"", "resourcequotas"),
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
    ];
    let entries: String = hostile
        .iter()
        .map(|(group, resource)| {
            format!("      - {{ apiGroup: {group}, resources: [{resource}] }}\n")
        })
        .collect();
    let widened = config.replace(
        "      - { apiGroup: argoproj.io, resources: [rollouts] }\n",
        &format!("      - {{ apiGroup: argoproj.io, resources: [rollouts] }}\n{entries}"),
    );
    assert_ne!(widened, config);
    repo.write("rbacc.yaml", &widened);
    let before = read_tree(&repo.out());
    let run = repo.rbacc(&["build"]);
    run.expect_code(1);
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches("sensitive-extra-resource").count(),
        hostile.len(),
        "{stderr}"
    );
    for (group, resource) in hostile {
        let name = if group == "\"\"" {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        assert!(
            stderr.contains(&format!("`{name}` would widen every built-in role")),
            "{name}\n{stderr}"
        );
    }
    assert!(
        stderr.contains("`policy.viewers.secrets` says so")
            && stderr.contains("with a custom role under `spec.roles`")
            && !stderr.contains("`rollouts.argoproj.io` would widen"),
        "{stderr}"
    );
    assert_eq!(read_tree(&repo.out()), before, "nothing was written");
}

#[test]
fn a_team_allow_entry_names_the_role_it_accepts_a_risk_for() {
    // Without `role:`, the entry is refused with why.
    let repo = repo(
        &config("    namespacePrefix: team", ""),
        &team(
            "    admin: { groups: [blue-leads] }\n    viewer: { groups: [blue-all] }",
            "  allow:\n    - { risk: secrets, reason: leads rotate credentials }",
        ),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("an `allow` entry is missing the field `role`")
        .stderr_has("teams/blue.yaml:10:7")
        .stderr_has("write one entry per role");

    // With it, a platform change that gives the risk to another role of the
    // team is reported, not absorbed by the entry.
    let team_file = team(
        "    admin: { groups: [blue-leads] }\n    viewer: { groups: [blue-all] }",
        "  allow:\n    - { risk: secrets, role: admin, reason: leads rotate credentials }",
    );
    let repo = self::repo(&config("    namespacePrefix: team", ""), &team_file);
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_lacks("can read Secrets");
    repo.write("rbacc.yaml", config("    viewers: { secrets: true }", ""));
    repo.rbacc(&["check"])
        .stderr_has("group `blue-all` can read Secrets in namespace `blue-app`")
        .stderr_lacks("group `blue-leads` can read Secrets");
}

/// `rbacc.yaml` with one custom role of `rules` (YAML lines at eight
/// spaces; wildcards allowed), bound by team `blue`; returns `build`'s
/// stderr.
fn check_role_rules(rules: &str) -> String {
    let roles = format!(
        "    - name: custom\n      description: test\n      allow: [wildcard]\n      reason: test\n      rules:\n{rules}"
    );
    let repo = repo(
        &config("    namespacePrefix: team", &roles),
        &team("    custom: { groups: [blue-all] }", ""),
    );
    let run = repo.rbacc(&["build"]);
    run.expect_code(0);
    run.stderr()
}

#[test]
fn unknown_verbs_in_a_custom_role_are_warned_about() {
    for (verb, hint) in [
        ("gett", "did you mean `get`?"),
        ("List", "did you mean `list`?"),
        ("wach", "did you mean `watch`?"),
        ("creat", "did you mean `create`?"),
        ("deletecolection", "did you mean `deletecollection`?"),
        (
            "frobnicate",
            "the verbs of resources are `get`, `list`, `watch`",
        ),
    ] {
        let stderr = check_role_rules(&format!(
            "        - {{ apiGroups: [\"\"], resources: [configmaps], verbs: [get, {verb}] }}\n"
        ));
        assert!(
            stderr.contains("unknown-verb")
                && stderr.contains(&format!("`{verb}` is not a verb Kubernetes knows"))
                && stderr.contains(hint)
                && stderr.contains("1 warning"),
            "{verb}\n{stderr}"
        );
    }
}

#[test]
fn unknown_resources_of_a_known_group_are_warned_about() {
    for (rule, message, hint) in [
        (
            "{ apiGroups: [apps], resources: [deploymnets], verbs: [get] }",
            "`deploymnets` is not a resource of API group `apps`",
            "did you mean `deployments`?",
        ),
        (
            "{ apiGroups: [\"\"], resources: [pod], verbs: [get] }",
            "`pod` is not a resource of the core API group",
            "did you mean `pods`?",
        ),
        (
            "{ apiGroups: [\"\"], resources: [configmap, services], verbs: [get] }",
            "`configmap` is not a resource of the core API group",
            "did you mean `configmaps`?",
        ),
        (
            "{ apiGroups: [\"\"], resources: [pods/lgo], verbs: [get] }",
            "`pods/lgo` is not a resource of the core API group",
            "did you mean `pods/log`?",
        ),
        (
            "{ apiGroups: [\"\"], resources: [\"pods/*\"], verbs: [get] }",
            "`pods/*` is not a resource of the core API group",
            "`pods/*` is not a wildcard in RBAC",
        ),
        (
            "{ apiGroups: [\"\"], resources: [ingresses], verbs: [get] }",
            "`ingresses` is not a resource of the core API group",
            "`ingresses` is in API group `networking.k8s.io`",
        ),
        (
            "{ apiGroups: [\"\", apps], resources: [replicasetz], verbs: [get] }",
            "`replicasetz` is not a resource of API groups `\"\"`, `apps`",
            "did you mean `replicasets`?",
        ),
        (
            "{ apiGroups: [batch], resources: [gadgets], verbs: [get] }",
            "`gadgets` is not a resource of API group `batch`",
            "`kubectl api-resources` lists what Kubernetes",
        ),
    ] {
        let stderr = check_role_rules(&format!("        - {rule}\n"));
        assert!(
            stderr.contains("unknown-resource")
                && stderr.contains(message)
                && stderr.contains(hint)
                && stderr.contains("1 warning"),
            "{rule}\n{stderr}"
        );
    }
}

#[test]
fn what_kubernetes_serves_and_custom_groups_are_not_warned_about() {
    let stderr = check_role_rules(
        "        - { apiGroups: [kubeopencode.io], resources: [tasks, agents], verbs: [get, list, watch] }
        - { apiGroups: [apps, example.com], resources: [deployments, widgets], verbs: [get] }
        - { apiGroups: [\"\"], resources: [pods/log, pods/status, services/proxy, bindings], verbs: [get, create] }
        - { apiGroups: [apps], resources: [deployments/scale, \"*/scale\"], verbs: [patch] }
        - { apiGroups: [\"*\"], resources: [leases], verbs: [get] }
        - { apiGroups: [authentication.k8s.io], resources: [userextras/scopes], verbs: [get] }
        - { apiGroups: [storage.k8s.io, networking.k8s.io], resources: [storageclasses, ingresses, ingresses/status], verbs: [get, list] }
",
    );
    assert!(
        !stderr.contains("unknown-verb") && !stderr.contains("unknown-resource"),
        "{stderr}"
    );
    // The example organisation's own role is clean.
    Repo::example()
        .rbacc(&["check"])
        .stderr_lacks("unknown-verb")
        .stderr_lacks("unknown-resource");
}

/// `rbacc.yaml` with `defaults` (YAML lines at four spaces) and team
/// `blue` whose namespace has `quota`; returns the finished `build`.
fn build_with_quota(defaults: &str, quota: &str) -> (Repo, crate::support::Run) {
    let team = team("    admin: { groups: [blue-leads] }", "").replace(
        "    - name: blue-app\n",
        &format!("    - name: blue-app\n      quota: {quota}\n"),
    );
    let repo = repo(&config_with(&format!("  defaults:\n{defaults}")), &team);
    let run = repo.rbacc(&["build"]);
    (repo, run)
}

/// The compiled file of namespace `blue-app` for [`build_with_quota`]'s
/// input, which must build.
fn namespace_file(defaults: &str, quota: &str) -> String {
    let (repo, run) = build_with_quota(defaults, quota);
    run.expect_code(0);
    std::fs::read_to_string(repo.out().join("only/teams/blue/blue-app.yaml"))
        .expect("namespace file")
}

#[test]
fn quota_names_are_those_kubernetes_counts() {
    for (quota, message, hint) in [
        (
            "{ request.cpu: \"4\" }",
            "`request.cpu` is not a quota resource",
            "did you mean `requests.cpu`?",
        ),
        (
            "{ foo: \"1\" }",
            "`foo` is not a quota resource: Kubernetes counts no such resource",
            "a quota names a compute resource",
        ),
        (
            "{ cpus: \"1\" }",
            "`cpus` is not a quota resource",
            "did you mean `cpu`?",
        ),
        (
            "{ count/deployment.apps: \"5\" }",
            "API group `apps` has no `deployment`",
            "did you mean `count/deployments.apps`?",
        ),
        (
            "{ count/deployments: \"5\" }",
            "the core group has no `deployments`",
            "did you mean `count/deployments.apps`?",
        ),
        (
            "{ limits.nvidia.com/gpu: \"2\" }",
            "`limits.nvidia.com/gpu` is not a quota resource",
            "write `requests.nvidia.com/gpu`",
        ),
        (
            "{ example.com/gpu: \"2\" }",
            "`example.com/gpu` is not a quota resource",
            "a quota name with a `/` is `count/<resource>`",
        ),
        (
            "{ gold.storageclass.storage.k8s.io/requests.cpu: \"2\" }",
            "is on `requests.storage` or `persistentvolumeclaims`",
            "a quota name with a `/` is",
        ),
        (
            "{ hugepages-huge: \"2\" }",
            "`hugepages-huge` is not a quota resource",
            "`hugepages-<size>`",
        ),
    ] {
        let (repo, run) = build_with_quota("    podSecurity: baseline", quota);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains(message)
                && stderr.contains(hint)
                && stderr.contains("teams/blue.yaml:11:16")
                && stderr.contains("unknown quota resource"),
            "{quota}\n{stderr}"
        );
        assert!(read_tree(&repo.out()).is_empty(), "nothing was written");
    }
    // The same names are checked in the defaults.
    let (_, run) = build_with_quota(
        "    quota: { requests.cpu: \"4\", request.memory: 8Gi }",
        "{}",
    );
    run.expect_code(1);
    assert!(
        run.stderr().contains("rbacc.yaml:8:33")
            && run.stderr().contains("did you mean `requests.memory`?"),
        "{}",
        run.stderr()
    );
    // Every form Kubernetes counts is accepted and emitted.
    let out = namespace_file(
        "    quota: { pods: \"50\", services.loadbalancers: \"0\" }",
        "{ requests.cpu: \"4\", limits.memory: 8Gi, requests.storage: 100Gi, requests.ephemeral-storage: 10Gi, hugepages-2Mi: 1Gi, requests.hugepages-1Gi: 2Gi, count/deployments.apps: \"10\", count/configmaps: \"20\", count/widgets.example.com: \"3\", gold.storageclass.storage.k8s.io/requests.storage: 50Gi, gold.storageclass.storage.k8s.io/persistentvolumeclaims: \"4\", gpu.deviceclass.resource.k8s.io/devices: \"2\", requests.nvidia.com/gpu: \"2\" }",
    );
    for key in [
        "count/deployments.apps: \"10\"",
        "gold.storageclass.storage.k8s.io/requests.storage: 50Gi",
        "requests.nvidia.com/gpu: \"2\"",
        "services.loadbalancers: \"0\"",
    ] {
        assert!(out.contains(key), "{key}\n{out}");
    }
}

#[test]
fn quota_amounts_are_non_negative_and_counts_whole() {
    for (quota, message) in [
        ("{ pods: \"-3\" }", "`-3` for `pods` is negative"),
        (
            "{ requests.cpu: \"-1\" }",
            "`-1` for `requests.cpu` is negative",
        ),
        (
            "{ requests.memory: -1Gi }",
            "`-1Gi` for `requests.memory` is negative",
        ),
        (
            "{ pods: \"1.5\" }",
            "`pods` takes a whole number, not `1.5`",
        ),
        (
            "{ count/configmaps: 500m }",
            "`count/configmaps` takes a whole number, not `500m`",
        ),
        ("{ secrets: 10k5 }", "`10k5` is not a quantity"),
    ] {
        let (_, run) = build_with_quota("    podSecurity: baseline", quota);
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains(message) && stderr.contains("1 error"),
            "{quota}\n{stderr}"
        );
    }
    // Zero is a quota (none allowed), and compute resources take fractions.
    let (_, run) = build_with_quota(
        "    podSecurity: baseline",
        "{ pods: \"0\", requests.cpu: 500m, count/secrets: 1k }",
    );
    run.expect_code(0);
}

#[test]
fn limit_ranges_name_container_resources_with_requests_within_limits() {
    // `token` is the text the diagnostic points at, the first of its kind.
    for (limits, message, hint, token) in [
        (
            "{ defaultRequest: { requests.cpu: 100m } }",
            "`requests.cpu` is not a container resource",
            "did you mean `cpu`?",
            "requests.cpu",
        ),
        (
            "{ default: { pods: \"1\" } }",
            "`pods` is not a container resource",
            "containers request `cpu`, `ephemeral-storage` or `memory`",
            "pods",
        ),
        (
            "{ default: { memroy: 1Gi } }",
            "`memroy` is not a container resource",
            "did you mean `memory`?",
            "memroy",
        ),
        (
            "{ default: { memory: -1Gi } }",
            "`-1Gi` for `memory` is negative",
            "a container with a negative request or limit",
            "-1Gi",
        ),
        (
            "{ defaultRequest: { cpu: \"2\" }, default: { cpu: 500m } }",
            "the default request `2` of `cpu` is greater than the default limit `500m`",
            "the request must not exceed the limit",
            "\"2\"",
        ),
        (
            "{ defaultRequest: { memory: 1Gi }, default: { memory: 1000Mi } }",
            "the default request `1Gi` of `memory` is greater than the default limit `1000Mi`",
            "the request must not exceed the limit",
            "1Gi",
        ),
        (
            "{ defaultRequest: { hugepages-2Mi: 2Mi }, default: { hugepages-2Mi: 4Mi } }",
            "differs from the default limit `4Mi`",
            "equal it for hugepages and extended resources",
            "2Mi }",
        ),
        (
            "{ defaultRequest: { nvidia.com/gpu: \"1\" }, default: { nvidia.com/gpu: \"2\" } }",
            "`nvidia.com/gpu` cannot be overcommitted",
            "equal it for hugepages",
            "\"1\"",
        ),
    ] {
        let line = format!("    limitRange: {limits}");
        let at = format!("rbacc.yaml:8:{}", line.find(token).expect("token") + 1);
        let (_, run) = build_with_quota(&line, "{}");
        run.expect_code(1);
        let stderr = run.stderr();
        assert!(
            stderr.contains(message)
                && stderr.contains(hint)
                && stderr.contains(&at)
                && stderr.contains("1 error"),
            "{limits}\n{stderr}"
        );
    }
    // Equal, or a request below the limit, is what containers get.
    let out = namespace_file(
        "    limitRange: { defaultRequest: { cpu: 500m, memory: 1000Mi, nvidia.com/gpu: \"1\", hugepages-2Mi: 2Mi }, default: { cpu: \"0.5\", memory: 1Gi, nvidia.com/gpu: \"1\", hugepages-2Mi: 2Mi, ephemeral-storage: 1Gi } }",
        "{}",
    );
    assert!(
        out.contains("kind: LimitRange") && out.contains("nvidia.com/gpu: \"1\""),
        "{out}"
    );
}
