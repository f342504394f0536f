//! The platform's ClusterRoleBindings (`spec.clusterBindings`): written to
//! the cluster shards they are for, and seen by the queries.

use crate::support::{Repo, fixtures};

#[test]
fn cluster_bindings_grant_in_every_namespace_of_their_clusters() {
    let repo = Repo::copy_of(&fixtures().join("ok/cluster-bindings/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    // Everyone who logs in is in `system:authenticated`.
    repo.rbacc(&[
        "can-i",
        "list",
        "namespaces",
        "--cluster",
        "staging",
        "--as",
        "someone",
    ])
    .expect_code(0)
    .stdout_is("yes\n");
    repo.rbacc(&[
        "can-i",
        "delete",
        "namespaces",
        "--cluster",
        "staging",
        "--as",
        "someone",
    ])
    .expect_code(1)
    .stdout_is("no\n");
    // `auditors-view` is on prod only.
    repo.rbacc(&["who-can", "get", "pods", "-n", "shop-prod", "--cluster", "prod"])
        .expect_code(0)
        .stdout_has("Group  auditors                      -          ClusterRoleBinding/rbacc:auditors-view  ClusterRole/view");
    repo.rbacc(&[
        "who-can",
        "get",
        "pods",
        "-n",
        "shop-prod",
        "--cluster",
        "staging",
    ])
    .expect_code(0)
    .stdout_lacks("auditors");
    assert!(
        !repo
            .out()
            .join("staging/cluster/clusterrolebinding-auditors-view.yaml")
            .exists()
    );
    repo.rbacc(&["explain", "clusterrolebinding/rbacc:auditors-view"])
        .expect_code(0)
        .stdout_has("written to  out/prod/cluster/clusterrolebinding-auditors-view.yaml")
        .stdout_has("from        rbacc.yaml:22:13: cluster binding `auditors-view` in rbacc.yaml");
}

/// Every cluster binding gives access in every namespace: an error until
/// the binding says why.
#[test]
fn a_cluster_binding_without_a_reason_is_an_error() {
    let repo = Repo::copy_of(&fixtures().join("ok/cluster-bindings/repo"));
    let config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("config");
    let bare = config.replace(
        "      allow: [cluster-binding]\n      reason: \"the yearly audit reads every namespace\"\n",
        "",
    );
    assert_ne!(bare, config);
    repo.write("rbacc.yaml", bare);
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has(
            "× group `auditors` and user `external-auditor@example.com` can act in every namespace",
        )
        .stderr_has("╰── ClusterRoleBinding `rbacc:auditors-view`")
        .stderr_has("risk `cluster-binding` is an error by the policy");
}

/// A cluster-wide question, answered from the declarations compiled in
/// memory (which emit no team file for it: only cluster-scoped bindings
/// grant such a request), has the answer the whole of `out/` gives.
#[test]
fn cluster_wide_questions_answer_as_the_whole_output_does() {
    let repo = Repo::copy_of(&fixtures().join("ok/cluster-bindings/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    let manifests = repo.out().join("prod");
    let manifests = manifests.to_str().expect("utf-8 path");
    for question in [
        "who-can list namespaces",
        "who-can get pods",
        "who-can get secrets",
        "who-can get /healthz",
        "can-i list namespaces --as-group system:authenticated --as someone",
        "can-i get pods --as external-auditor@example.com",
    ] {
        let compiled = repo.rbacc(&format!("{question} --cluster prod"));
        let from_files = crate::support::rbacc(
            format!("{question} --manifests {manifests}").as_str(),
            repo.path(),
        );
        assert_eq!(compiled.code(), from_files.code(), "{question}");
        assert_eq!(compiled.stdout(), from_files.stdout(), "{question}");
        assert!(!compiled.stdout().is_empty(), "{question}");
    }
}
