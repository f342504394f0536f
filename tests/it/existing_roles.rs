//! ClusterRoles that exist in the cluster (`spec.existingRoles`): teams bind
//! them, rbacc does not write them, and queries and risk analysis see
//! through them with Kubernetes' bootstrap rules or the declared ones.

use crate::support::{Repo, fixtures};

fn case() -> Repo {
    let repo = Repo::copy_of(&fixtures().join("ok/existing-roles/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    repo
}

#[test]
fn queries_see_through_kubernetes_roles_and_declared_ones() {
    let repo = case();
    // `edit` and `admin` read Secrets, `view` does not.
    repo.rbacc(&["who-can", "get", "secrets", "-n", "shop-prod"])
        .expect_code(0)
        .stdout_has("Group  shop-devs   -          RoleBinding/shop-edit       ClusterRole/edit")
        .stdout_has("Group  shop-leads  -          RoleBinding/shop-k8s-admin  ClusterRole/admin")
        .stdout_lacks("auditor@example.com");
    // `can-i VERB RESOURCE -n shop-prod` as `who`, answered yes or no.
    let can_i = |verb: &str, resource: &str, who: &[&str], yes: bool| {
        let mut args = vec!["can-i", verb, resource, "-n", "shop-prod"];
        args.extend(who);
        repo.rbacc(&args)
            .expect_code(if yes { 0 } else { 1 })
            .stdout_is(if yes { "yes\n" } else { "no\n" });
    };
    let member_of = |group| ["--as", "someone", "--as-group", group];
    let auditor = ["--as", "auditor@example.com"];
    can_i("list", "pods", &member_of("ignored"), false);
    can_i("list", "pods", &auditor, true);
    can_i("get", "secrets", &auditor, false);
    // What an operator aggregates into `admin`, as rbacc.yaml says.
    let servicemonitors = "servicemonitors.monitoring.coreos.com";
    can_i("create", servicemonitors, &member_of("shop-leads"), true);
    can_i("create", servicemonitors, &member_of("shop-devs"), false);
    // Kubernetes' `edit` writes no RBAC; its `admin` does.
    can_i("create", "rolebindings", &member_of("shop-devs"), false);
    can_i("create", "rolebindings", &member_of("shop-leads"), true);
    // A platform role with declared rules.
    can_i("get", "pods/log", &member_of("sre"), true);
    can_i("delete", "pods", &member_of("sre"), false);
}

#[test]
fn bindings_refer_to_the_clusters_roles_which_are_not_written() {
    let repo = case();
    let ns = std::fs::read_to_string(repo.out().join("prod/teams/shop/shop-prod.yaml"))
        .expect("namespace file");
    for role in [
        "name: edit",
        "name: admin",
        "name: view",
        "name: platform:debug",
        "name: vendor-operator-role",
    ] {
        assert!(
            ns.contains(&format!("  kind: ClusterRole\n  {role}\n")),
            "roleRef {role}:\n{ns}"
        );
    }
    let cluster = std::fs::read_to_string(repo.out().join("prod/cluster/kustomization.yaml"))
        .expect("cluster index");
    assert!(!cluster.contains("assumed"), "{cluster}");
    let root = std::fs::read_to_string(repo.out().join("prod/kustomization.yaml")).expect("index");
    assert!(!root.contains("assumed"), "{root}");
    let rendered = crate::support::check_with_consumers(&repo.out());
    let docs: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&rendered["prod"]).expect("rendered");
    let written: Vec<&str> = docs
        .iter()
        .filter(|d| d["kind"] == "ClusterRole")
        .filter_map(|d| d["metadata"]["name"].as_str())
        .collect();
    assert_eq!(written, ["rbacc:admin", "rbacc:deployer", "rbacc:viewer"]);
}

/// Binding Kubernetes' `edit` gives what it gives: impersonating the
/// namespace's service accounts is an error unless the role accepts it.
#[test]
fn risks_of_kubernetes_roles_are_found() {
    let repo = Repo::copy_of(&fixtures().join("ok/existing-roles/repo"));
    let config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("config");
    let strict = config
        .replace("      allow: [secrets, pods-exec, impersonate]\n      reason: \"edit acts as the namespace's service accounts by design\"\n", "");
    assert_ne!(strict, config);
    repo.write("rbacc.yaml", strict);
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has("× group `shop-devs` can impersonate other users")
        .stderr_has("RoleBinding `shop-edit` → ClusterRole `edit` → rule 8 allows `impersonate serviceaccounts`")
        .stderr_has("group `shop-devs` can read Secrets");
}

#[test]
fn an_opaque_role_is_bound_with_a_warning() {
    let repo = Repo::copy_of(&fixtures().join("ok/existing-roles/repo"));
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("opaque-role")
        .stderr_has("rbacc cannot see what `vendor-operator-role` allows");
    repo.rbacc(&[
        "can-i",
        "get",
        "pods",
        "-n",
        "shop-prod",
        "--as",
        "system:serviceaccount:shop-prod:operator",
    ])
    .expect_code(1)
    .stdout_is("no\n");
}
