//! `rbacc can-i`, `rbacc who-can` and `rbacc access`: the effective
//! permissions of the example organisation, answered offline by the real
//! binary, with exact output and exit codes.

use std::path::Path;

use crate::support::{Args, Repo, Run, assert_text, fixtures, rbacc, root};

/// `rbacc can-i` on the example organisation: one case a line, the
/// arguments after `can-i` (split on spaces; `--cluster prod` unless the
/// case names a cluster) and whether the answer is yes.
#[rustfmt::skip]
const EFFECTIVE_PERMISSIONS: &[(&str, bool)] = &[
    // Viewers: the user auditor@example.com, a viewer of every payments namespace.
    ("get secrets -n payments-prod --as auditor@example.com", false),
    ("list secrets -n payments-prod --as auditor@example.com", false),
    ("create pods/exec -n payments-prod --as auditor@example.com", false),
    ("create pods/attach -n payments-prod --as auditor@example.com", false),
    ("create pods/portforward -n payments-prod --as auditor@example.com", false),
    ("get pods/log -n payments-prod --as auditor@example.com", true),
    ("list deployments.apps -n payments-prod --as auditor@example.com", true),
    ("get pods -n payments-prod --as auditor@example.com", true),
    ("delete pods -n payments-prod --as auditor@example.com", false),
    ("patch deployments.apps/scale -n payments-prod --as auditor@example.com", false),
    ("list rollouts.argoproj.io -n payments-prod --as auditor@example.com", true),
    ("list deployments.apps -n payments-dev --as auditor@example.com", true),
    ("get secrets -n payments-dev --as auditor@example.com", false),
    // Deployers: the group payments-devs.
    ("create deployments.apps -n payments-prod --as dev@example.com --as-group payments-devs", true),
    // Without a group, as kubectl resolves it.
    ("create deployments -n payments-prod --as dev@example.com --as-group payments-devs", true),
    ("get secrets -n payments-prod --as dev@example.com --as-group payments-devs", true),
    ("delete deployments.apps -n payments-prod --as dev@example.com --as-group payments-devs", false),
    ("delete pods -n payments-prod --as dev@example.com --as-group payments-devs", true),
    ("patch deployments.apps/scale -n payments-prod --as dev@example.com --as-group payments-devs", true),
    ("create pods/exec -n payments-prod --as dev@example.com --as-group payments-devs", false),
    ("create rolebindings.rbac.authorization.k8s.io -n payments-prod --as dev@example.com --as-group payments-devs", false),
    ("list rolebindings.rbac.authorization.k8s.io -n payments-prod --as dev@example.com --as-group payments-devs", true),
    ("update resourcequotas -n payments-prod --as dev@example.com --as-group payments-devs", false),
    // Admins: the group payments-leads.
    ("create pods/exec -n payments-prod --as lead@example.com --as-group payments-leads", true),
    ("create rolebindings.rbac.authorization.k8s.io -n payments-prod --as lead@example.com --as-group payments-leads", true),
    ("delete secrets -n payments-prod --as lead@example.com --as-group payments-leads", true),
    ("deletecollection deployments.apps -n payments-dev --as lead@example.com --as-group payments-leads", true),
    ("update resourcequotas -n payments-prod --as lead@example.com --as-group payments-leads", false),
    ("delete namespaces payments-prod --as lead@example.com --as-group payments-leads", false),
    // Payments reaches storefront-prod only through its grant: viewer, nothing more.
    ("get pods -n storefront-prod --as dev@example.com --as-group payments-devs", true),
    ("get pods -n storefront-prod --as auditor@example.com", true),
    ("create deployments.apps -n storefront-prod --as dev@example.com --as-group payments-devs", false),
    ("create pods -n storefront-prod --as lead@example.com --as-group payments-leads", false),
    ("create pods/exec -n storefront-prod --as lead@example.com --as-group payments-leads", false),
    ("get secrets -n storefront-prod --as lead@example.com --as-group payments-leads", false),
    ("delete pods -n storefront-prod --as dev@example.com --as-group payments-devs", false),
    // …and sre-tools not at all.
    ("get pods -n sre-tools --as dev@example.com --as-group payments-devs", false),
    ("list configmaps -n sre-tools --as lead@example.com --as-group payments-leads", false),
    ("get pods -n sre-tools --cluster staging --as auditor@example.com", false),
    // The sre team views payments-prod through the grant, and no more.
    ("get pods -n payments-prod --as sam@example.com --as-group sre-all", true),
    ("get pods/log -n payments-prod --as sam@example.com --as-group sre-all", true),
    ("get secrets -n payments-prod --as sam@example.com --as-group sre-all", false),
    ("create pods/exec -n payments-prod --as oncall@example.com --as-group sre-oncall", false),
    ("create deployments.apps -n payments-prod --as oncall@example.com --as-group sre-oncall", false),
    ("create pods/exec -n sre-tools --as oncall@example.com --as-group sre-oncall", true),
    ("get pods -n payments-dev --as sam@example.com --as-group sre-all", false),
    // The grant's group.
    ("list pods -n payments-prod --as ext@example.com --as-group auditors", true),
    ("get secrets -n payments-prod --as ext@example.com --as-group auditors", false),
    // The service account ci-deployer of payments-prod: deployer there only.
    ("patch deployments.apps -n payments-prod --as system:serviceaccount:payments-prod:ci-deployer", true),
    ("get secrets -n payments-prod --as system:serviceaccount:payments-prod:ci-deployer", true),
    ("patch deployments.apps -n payments-dev --as system:serviceaccount:payments-prod:ci-deployer", false),
    ("get pods -n payments-dev --as system:serviceaccount:payments-prod:ci-deployer", false),
    ("create pods/exec -n payments-prod --as system:serviceaccount:payments-prod:ci-deployer", false),
    // Another service account of the namespace gets nothing.
    ("get pods -n payments-prod --as system:serviceaccount:payments-prod:default", false),
    // A user with only the implicit system:authenticated can do nothing in team namespaces.
    ("get pods -n payments-prod --as nobody@example.com", false),
    ("get pods -n payments-dev --as nobody@example.com --as-group system:authenticated", false),
    ("get pods -n storefront-prod --as nobody@example.com", false),
    ("get pods -n sre-tools --as nobody@example.com", false),
    ("list tasks.kubeopencode.io -n ml-platform-agents --as nobody@example.com", false),
    ("get configmaps kubeconfig-payments -n rbacc-kubeconfigs --as nobody@example.com", false),
    ("get pods --as nobody@example.com", false),
    // Members read their team's kubeconfig ConfigMap, by name only.
    ("get configmaps kubeconfig-payments -n rbacc-kubeconfigs --as auditor@example.com", true),
    ("get configmaps kubeconfig-sre -n rbacc-kubeconfigs --as auditor@example.com", false),
    ("list configmaps -n rbacc-kubeconfigs --as auditor@example.com", false),
    // Nothing is granted cluster-wide.
    ("get secrets --as lead@example.com --as-group payments-leads", false),
    ("list namespaces --as lead@example.com --as-group payments-leads", false),
    // Custom role kubeopencode-viewer of ml-platform.
    ("list tasks.kubeopencode.io -n ml-platform-agents --as r@example.com --as-group ml-researchers", true),
    ("delete tasks.kubeopencode.io -n ml-platform-agents --as r@example.com --as-group ml-researchers", false),
    ("get pods -n ml-platform-agents --as r@example.com --as-group ml-researchers", false),
];

/// Asks `rbacc can-i` every question of `cases` (the arguments after
/// `can-i`, and whether the answer is yes) through `ask`, and lists every
/// wrong answer at once: yes is exit 0, no exit 1, with nothing on stderr.
#[track_caller]
fn assert_answers(cases: &[(&str, bool)], ask: impl Fn(&str) -> Run) {
    let mut wrong = Vec::new();
    for &(case, expected) in cases {
        let args = format!("can-i {case}");
        let run = ask(&args);
        let (code, stdout) = if expected { (0, "yes\n") } else { (1, "no\n") };
        if run.code() != code || run.stdout() != stdout || !run.stderr().is_empty() {
            wrong.push(format!(
                "rbacc {args}: expected {stdout:?} (exit {code}), got {:?} (exit {}) {}",
                run.stdout(),
                run.code(),
                run.stderr()
            ));
        }
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
}

/// Runs `rbacc can-i` for every case and lists every wrong answer at once.
#[test]
fn effective_permissions_of_the_example_organisation() {
    let repo = Repo::example();
    assert_answers(EFFECTIVE_PERMISSIONS, |args| {
        if args.contains("--cluster") {
            repo.rbacc(args)
        } else {
            repo.rbacc(&format!("{args} --cluster prod"))
        }
    });
}

/// The answer is for the declarations, not for a stale `out/`; `--manifests`
/// reads the manifests as they are.
#[test]
fn answers_follow_the_declarations_even_when_out_is_stale() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    let team = std::fs::read_to_string(repo.path().join("teams/payments.yaml")).expect("read");
    let edited = team.replace(
        "viewer:   { users: [auditor@example.com] }",
        "viewer:   { users: [someone-else@example.com] }",
    );
    assert_ne!(team, edited, "the example team file changed shape");
    repo.write("teams/payments.yaml", edited);
    let args = "can-i get pods -n payments-prod --as auditor@example.com";
    repo.rbacc(&format!("{args} --cluster prod"))
        .expect_code(1)
        .stdout_is("no\n");
    in_dir(&repo.out().join("prod"), args)
        .expect_code(0)
        .stdout_is("yes\n");
}

#[test]
fn who_can_read_secrets_in_payments_prod() {
    let repo = Repo::example();
    repo.rbacc("who-can get secrets -n payments-prod --cluster prod")
        .expect_code(0)
        .stderr_is("")
        .stdout_is(
            "\
KIND            NAME            NAMESPACE      BINDING                        ROLE
Group           payments-devs   -              RoleBinding/payments-deployer  ClusterRole/rbacc:deployer
Group           payments-leads  -              RoleBinding/payments-admin     ClusterRole/rbacc:admin
ServiceAccount  ci-deployer     payments-prod  RoleBinding/sa-ci-deployer     ClusterRole/rbacc:deployer
",
        );
}

#[test]
fn who_can_lists_grants_and_service_accounts() {
    let repo = Repo::example();
    repo.rbacc("who-can get pods -n payments-prod --cluster prod")
        .expect_code(0)
        .stdout_is(
            "\
KIND            NAME                 NAMESPACE      BINDING                        ROLE
Group           auditors             -              RoleBinding/grant-viewer       ClusterRole/rbacc:viewer
Group           payments-devs        -              RoleBinding/payments-deployer  ClusterRole/rbacc:deployer
Group           payments-leads       -              RoleBinding/payments-admin     ClusterRole/rbacc:admin
Group           sre-all              -              RoleBinding/sre-viewer         ClusterRole/rbacc:viewer
Group           sre-oncall           -              RoleBinding/sre-viewer         ClusterRole/rbacc:viewer
ServiceAccount  ci-deployer          payments-prod  RoleBinding/sa-ci-deployer     ClusterRole/rbacc:deployer
User            auditor@example.com  -              RoleBinding/payments-viewer    ClusterRole/rbacc:viewer
",
        );
    // Nobody may exec in storefront-prod but its admin.
    repo.rbacc("who-can create pods/exec -n storefront-prod --cluster prod")
        .expect_code(0)
        .stdout_is(
            "\
KIND  NAME              NAMESPACE  BINDING                       ROLE
User  dana@example.com  -          RoleBinding/storefront-admin  ClusterRole/rbacc:admin
",
        );
    // Nothing is granted cluster-wide.
    repo.rbacc("who-can get secrets --cluster prod")
        .expect_code(0)
        .stdout_is("No subject can get secrets cluster-wide.\n");
}

/// The matrix for auditor@example.com in payments-prod, as stored in
/// `tests/fixtures/access/`.
#[test]
fn access_matrix_of_one_user() {
    let repo = Repo::example();
    let run = repo.rbacc("access --as auditor@example.com --cluster prod -n payments-prod");
    run.expect_code(0).stderr_is("");
    assert_text(
        &run.stdout(),
        &fixtures().join("access/auditor-payments-prod.txt"),
    );
    // Without -n: nothing cluster-wide, and where the user has bindings.
    let run = repo.rbacc("access --as auditor@example.com --cluster prod");
    run.expect_code(0);
    let stdout = run.stdout();
    let (matrix, bindings) = stdout.split_once("\n\n").expect("matrix, then bindings");
    assert!(
        matrix.lines().skip(1).all(|line| !line.contains("yes")),
        "{matrix}"
    );
    assert_eq!(
        bindings,
        "\
BINDING                          NAMESPACE          ROLE
RoleBinding/payments-viewer      payments-dev       ClusterRole/rbacc:viewer
RoleBinding/payments-viewer      payments-prod      ClusterRole/rbacc:viewer
RoleBinding/kubeconfig-payments  rbacc-kubeconfigs  Role/kubeconfig-payments
RoleBinding/payments-viewer      storefront-prod    ClusterRole/rbacc:viewer
"
    );
    // Someone without bindings.
    let run = repo.rbacc("access --as nobody@example.com --cluster prod -n payments-prod");
    run.expect_code(0);
    assert!(
        run.stdout()
            .ends_with("\n\nNo binding names nobody@example.com in namespace payments-prod.\n"),
        "{}",
        run.stdout()
    );
}

/// A directory holding the upstream default roles and the bindings of
/// `tests/fixtures/access/upstream-bindings.yaml`.
fn upstream_manifests() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        fixtures().join("upstream-roles.yaml"),
        dir.path().join("roles.yaml"),
    )
    .expect("copy roles");
    std::fs::copy(
        fixtures().join("access/upstream-bindings.yaml"),
        dir.path().join("bindings.yaml"),
    )
    .expect("copy bindings");
    dir
}

/// Runs `rbacc ARGS --manifests DIR`.
fn in_dir(dir: &Path, args: &str) -> Run {
    let mut all = args.args();
    all.extend(["--manifests", dir.to_str().expect("utf-8 path")]);
    rbacc(&all, &root())
}

#[test]
fn manifests_dir_with_the_upstream_default_roles() {
    let dir = upstream_manifests();
    #[rustfmt::skip]
    let cases: &[(&str, bool)] = &[
        // view cannot read Secrets; edit can exec.
        ("get secrets -n team-a --as v@example.com --as-group viewers", false),
        ("get pods -n team-a --as v@example.com --as-group viewers", true),
        ("create pods/exec -n team-a --as v@example.com --as-group viewers", false),
        ("create pods/exec -n team-a --as eve@example.com", true),
        ("get secrets -n team-a --as eve@example.com", true),
        ("create rolebindings.rbac.authorization.k8s.io -n team-a --as eve@example.com", false),
        ("create pods/exec -n team-b --as eve@example.com", false),
        // `deployments` is `deployments.apps`, not the `extensions` the roles also name.
        ("update deployments -n team-a --as eve@example.com", true),
        // A service account subject without namespace is in the binding's.
        ("create pods/exec -n team-a --as system:serviceaccount:team-a:deployer", true),
        // A ClusterRoleBinding grants in every namespace, and cluster-wide.
        ("list pods -n team-z --as a@example.com --as-group auditors", true),
        ("list pods --as a@example.com --as-group auditors", true),
        ("get secrets -n team-z --as a@example.com --as-group auditors", false),
    ];
    assert_answers(cases, |args| in_dir(dir.path(), args));

    in_dir(dir.path(), "who-can get secrets -n team-a")
        .expect_code(0)
        .stdout_is(
            "\
KIND            NAME             NAMESPACE  BINDING              ROLE
ServiceAccount  deployer         team-a     RoleBinding/editors  ClusterRole/edit
User            eve@example.com  -          RoleBinding/editors  ClusterRole/edit
",
        );
}

#[test]
fn usage_errors_exit_2() {
    let repo = Repo::example();
    // payments-dev is on both clusters.
    let can_i = "can-i get pods -n payments-dev --as a@example.com";

    repo.rbacc(can_i).expect_code(2).stdout_is("").stderr_is(
        "error: namespace `payments-dev` is on 2 clusters (prod, staging): choose one with --cluster\n",
    );
    repo.rbacc("can-i get pods --as a@example.com")
        .expect_code(2)
        .stderr_is(
            "error: the repository has 2 clusters (prod, staging): choose one with --cluster\n",
        );

    repo.rbacc(&format!("{can_i} --cluster prd"))
        .expect_code(2)
        .stderr_is("error: unknown cluster `prd`; did you mean `prod`? (the repository's clusters: prod, staging)\n");

    for args in [
        "who-can get pods -n payments-dev",
        "access --as a@example.com",
    ] {
        repo.rbacc(args)
            .expect_code(2)
            .stderr_has("choose one with --cluster");
    }

    for user in [
        "system:serviceaccount:payments-prod",
        "system:serviceaccount:payments-prod:ci-deployer:extra",
        "system:serviceaccount::ci-deployer",
        "",
    ] {
        repo.rbacc(&["can-i", "get", "pods", "--cluster", "prod", "--as", user])
            .expect_code(2)
            .stderr_has("invalid value")
            .stderr_has("--as <USER>")
            .stdout_is("");
    }

    // --as is required for can-i and access.
    repo.rbacc("can-i get pods --cluster prod").expect_code(2);
    repo.rbacc("access --cluster prod").expect_code(2);

    // --manifests takes neither --repo nor --cluster.
    rbacc(
        &format!("{can_i} --manifests out/prod --cluster prod"),
        &root(),
    )
    .expect_code(2)
    .stderr_has("cannot be used with");

    // A directory that does not exist.
    let run = rbacc(
        &format!("{can_i} --manifests /nonexistent/rbacc-manifests"),
        &root(),
    );
    run.expect_code(2);
    assert!(
        run.stderr()
            .starts_with("error: reading /nonexistent/rbacc-manifests"),
        "{}",
        run.stderr()
    );

    // A non-resource URL has no namespace.
    repo.rbacc("can-i get /healthz -n x --as a --cluster prod")
        .expect_code(2);
}

/// A single-cluster repository needs no --cluster; typos are warnings, as in
/// kubectl, and the answer is still given.
#[test]
fn single_cluster_and_warnings() {
    let repo = Repo::copy_of(&fixtures().join("ok/minimal/repo"));
    repo.rbacc("can-i delete secrets -n blue-app --as alice@example.com")
        .expect_code(0)
        .stdout_is("yes\n");

    repo.rbacc("can-i gett deployment -n blue-ap --as alice@example.com")
        .expect_code(1)
        .stdout_is("no\n")
        .stderr_is(
            "\
warning: `gett` is not a known verb; did you mean `get`?
warning: the repository declares no namespace `blue-ap` on cluster only; did you mean `blue-app`?
warning: the resource type `deployment` is neither built in nor named by any role; did you mean `deployments.apps`? (short names and kinds are not resolved)
",
        );
    // --quiet: the exit code answers.
    repo.rbacc("can-i get pods -n blue-app --as alice@example.com --quiet")
        .expect_code(0)
        .stdout_is("");
}

#[test]
fn invalid_declarations_exit_1_with_diagnostics() {
    let repo = Repo::example();
    let team = std::fs::read_to_string(repo.path().join("teams/payments.yaml")).expect("read");
    repo.write(
        "teams/payments.yaml",
        team.replace("podSecurity: restricted", "podSecurty: restricted"),
    );
    let run = repo.rbacc("can-i get pods -n payments-prod --as a --cluster prod");
    run.expect_code(1)
        .stdout_is("")
        .stderr_has("unknown field `podSecurty`");
    assert!(
        run.stderr()
            .ends_with("error: invalid declarations; no answer\n"),
        "{}",
        run.stderr()
    );
}

fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout())
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", run.stdout()))
}

#[test]
fn json_output_has_the_documented_shape() {
    let repo = Repo::example();
    let value = json(
        repo.rbacc(
            "can-i get pods/log -n payments-prod --cluster prod --as auditor@example.com -o json",
        )
        .expect_code(0),
    );
    assert_eq!(value["allowed"], true);
    assert_eq!(value["cluster"], "prod");
    assert_eq!(value["user"]["name"], "auditor@example.com");
    assert_eq!(
        value["user"]["groups"],
        serde_json::json!(["system:authenticated"])
    );
    assert_eq!(
        value["request"],
        serde_json::json!({
            "verb": "get", "apiGroup": "", "resource": "pods", "subresource": "log",
            "name": null, "namespace": "payments-prod", "nonResourceURL": null,
        })
    );
    let grants = value["grants"].as_array().expect("grants");
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(
        grants[0]["binding"],
        serde_json::json!({"kind": "RoleBinding", "namespace": "payments-prod", "name": "payments-viewer"})
    );
    assert_eq!(
        grants[0]["role"],
        serde_json::json!({"kind": "ClusterRole", "name": "rbacc:viewer"})
    );
    assert!(grants[0]["ruleIndex"].is_u64());
    assert_eq!(
        grants[0]["rule"]["resources"],
        serde_json::json!(["pods/log"])
    );

    // A "no" is exit 1 in JSON too.
    let run = repo.rbacc("can-i get secrets -n payments-prod --cluster prod --as system:serviceaccount:payments-prod:default -o json");
    let value = json(run.expect_code(1));
    assert_eq!(value["allowed"], false);
    assert_eq!(value["grants"], serde_json::json!([]));
    assert_eq!(
        value["user"]["groups"],
        serde_json::json!([
            "system:serviceaccounts",
            "system:serviceaccounts:payments-prod",
            "system:authenticated"
        ])
    );

    let value = json(
        repo.rbacc("who-can get secrets -n payments-prod --cluster prod -o json")
            .expect_code(0),
    );
    assert_eq!(value["cluster"], "prod");
    assert_eq!(value["request"]["resource"], "secrets");
    assert_eq!(
        value["subjects"][2],
        serde_json::json!({
            "kind": "ServiceAccount", "name": "ci-deployer", "namespace": "payments-prod",
            "binding": {"kind": "RoleBinding", "namespace": "payments-prod", "name": "sa-ci-deployer"},
            "role": {"kind": "ClusterRole", "name": "rbacc:deployer"},
        })
    );
    assert_eq!(value["subjects"].as_array().map(Vec::len), Some(3));

    let value = json(
        repo.rbacc("access --as auditor@example.com --cluster prod -n payments-prod -o json")
            .expect_code(0),
    );
    assert_eq!(value["namespace"], "payments-prod");
    assert_eq!(
        value["verbs"],
        serde_json::json!([
            "get",
            "list",
            "watch",
            "create",
            "update",
            "patch",
            "delete",
            "deletecollection"
        ])
    );
    let resources = value["resources"].as_array().expect("resources");
    let row = |name: &str| {
        resources
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no row {name}"))
            .clone()
    };
    assert_eq!(
        row("pods/log"),
        serde_json::json!({
            "name": "pods/log", "apiGroup": "", "resource": "pods", "subresource": "log",
            "verbs": {"get": true, "list": false, "watch": false, "create": false,
                      "update": false, "patch": false, "delete": false, "deletecollection": false},
        })
    );
    assert_eq!(row("secrets")["verbs"]["get"], false);
    assert_eq!(row("deployments.apps")["verbs"]["list"], true);
    assert_eq!(
        value["bindings"],
        serde_json::json!([{
            "binding": {"kind": "RoleBinding", "namespace": "payments-prod", "name": "payments-viewer"},
            "role": {"kind": "ClusterRole", "name": "rbacc:viewer"},
            "roleFound": true,
        }])
    );
}

/// Queries read only the output files a question needs (a namespace's own
/// files and the cluster-scoped ones); their answers equal those from the
/// whole built `out/<cluster>` read with `--manifests`, for every namespace
/// of the example organisation.
#[test]
fn scoped_answers_equal_answers_from_the_whole_output() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    for cluster in ["prod", "staging"] {
        let dir = repo.out().join(cluster);
        let mut namespaces = vec![String::new(), "rbacc-kubeconfigs".to_string()];
        for shard in std::fs::read_dir(dir.join("teams")).expect("teams") {
            for file in std::fs::read_dir(shard.expect("shard").path()).expect("shard") {
                let name = file
                    .expect("file")
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                if let Some(ns) = name.strip_suffix(".yaml")
                    && ns != "kustomization"
                    && ns != "rbacc.kubeconfig"
                {
                    namespaces.push(ns.to_string());
                }
            }
        }
        assert!(namespaces.len() > 4, "{namespaces:?}");
        let dir = dir.to_str().expect("utf-8 path");
        for ns in &namespaces {
            let mut questions: Vec<Vec<&str>> =
                ["secrets", "pods/exec", "configmaps", "deployments.apps"]
                    .iter()
                    .map(|resource| vec!["who-can", "get", resource])
                    .collect();
            questions.push(vec!["access", "--as", "auditor@example.com"]);
            questions.push(vec!["access", "--as", "x", "--as-group", "sre-oncall"]);
            for mut args in questions {
                if !ns.is_empty() {
                    args.extend(["-n", ns]);
                }
                let scoped = repo.rbacc(&[&args[..], &["--cluster", cluster]].concat());
                let whole = rbacc(&[&args[..], &["--manifests", dir]].concat(), &root());
                scoped.expect_code(0);
                whole.expect_code(0);
                assert_eq!(
                    scoped.stdout(),
                    whole.stdout(),
                    "rbacc {} on {cluster}",
                    args.join(" ")
                );
            }
        }
    }
}

/// Queries answer about RBAC: they do not render kubeconfig templates, so a
/// broken template (which `check` reports) does not stop them, and the
/// kubeconfig ConfigMaps' own access is still answered.
#[test]
fn queries_answer_while_a_template_is_broken() {
    let repo = Repo::example();
    repo.write(
        "templates/pinniped.yaml.j2",
        "apiVersion: v1\nkind: Config\nclusters: {{ cluster.nmae }}\n",
    );
    repo.rbacc("check")
        .expect_code(1)
        .stderr_has("`cluster.nmae` is undefined");
    repo.rbacc("can-i get configmaps kubeconfig-payments -n rbacc-kubeconfigs --cluster prod --as auditor@example.com")
        .expect_code(0)
        .stdout_is("yes\n")
        .stderr_is("");
}

/// After a build recorded `out/` for the same declarations, a question
/// about a team's namespace reads that namespace's files instead of
/// compiling, and answers the same; a hand-edited file is not trusted.
#[test]
fn queries_read_recorded_output_and_answer_the_same() {
    let repo = Repo::example();
    // The record trusts files a clock tick older than itself: build again.
    repo.rbacc(&["build"]).expect_code(0);
    std::thread::sleep(std::time::Duration::from_millis(150));
    repo.rbacc(&["build"]).expect_code(0);
    let ask = |repo: &Repo| {
        let run = repo.rbacc("who-can get secrets -n payments-prod --cluster prod --verbose");
        run.expect_code(0);
        let compiled = run.stderr().contains("parse");
        (run.stdout(), compiled)
    };
    let (recorded, compiled) = ask(&repo);
    assert!(!compiled, "the recorded output answers");
    assert!(recorded.contains("payments-leads"), "{recorded}");

    // Without the record: compiled, the same answer.
    let state = repo.path().join(".out.rbacc-state");
    let saved = std::fs::read(&state).expect("build record");
    std::fs::remove_file(&state).expect("remove the record");
    let (fresh, compiled) = ask(&repo);
    assert!(compiled);
    assert_eq!(fresh, recorded);

    // A hand edit of the namespace's file: not trusted, so compiled, and
    // the answer is the declarations', not the edit's.
    std::fs::write(&state, saved).expect("restore the record");
    let file = repo.out().join("prod/teams/payments/payments-prod.yaml");
    let text = std::fs::read_to_string(&file).expect("namespace file");
    std::fs::write(&file, text.replace("payments-leads", "intruders")).expect("edit");
    let (edited, compiled) = ask(&repo);
    assert!(
        compiled,
        "a changed file is not read as the compiled answer"
    );
    assert_eq!(edited, recorded);
}

/// A namespace on one cluster names the cluster: `--cluster` may be left
/// out, from the compiled declarations and from the build record alike.
#[test]
fn a_namespace_on_one_cluster_needs_no_cluster() {
    let repo = Repo::example();
    for _ in ["compiled", "recorded"] {
        repo.rbacc("can-i create deployments.apps -n payments-prod --as erin@example.com --as-group payments-devs")
            .expect_code(0)
            .stdout_is("yes\n");
        repo.rbacc("who-can get secrets -n ml-platform-ci")
            .expect_code(0)
            .stdout_has("ml-platform-leads");
        repo.rbacc("access --as auditor@example.com -n storefront-staging -o json")
            .expect_code(0)
            .stdout_has("\"cluster\": \"staging\"");
        repo.rbacc("build").expect_code(0);
    }
}
