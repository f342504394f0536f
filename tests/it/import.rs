//! `rbacc import`: existing manifests into declarations that build and
//! compile back to what was read.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Repo, copy_tree, fixtures, rbacc, read_tree};

fn hand_written() -> PathBuf {
    fixtures().join("import/hand-written")
}

fn cluster_arg(name: &str, path: &Path) -> String {
    format!("{name}={}", path.display())
}

/// Imports, and returns the report as JSON and the new repository.
fn import(clusters: &[(&str, &Path)], extra: &[&str], code: i32) -> (Value, tempfile::TempDir) {
    let into = tempfile::tempdir().unwrap();
    let target = into.path().join("repo");
    let mut args: Vec<String> = vec!["import".into()];
    for (name, path) in clusters {
        args.push("--cluster".into());
        args.push(cluster_arg(name, path));
    }
    args.extend([
        "--into".into(),
        target.display().to_string(),
        "-o".into(),
        "json".into(),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = rbacc(&args, into.path());
    run.expect_code(code);
    let report = serde_json::from_str(&run.stdout()).expect("import report JSON");
    (report, into)
}

fn total_bytes(dir: &Path, keep: impl Fn(&str) -> bool) -> usize {
    read_tree(dir)
        .into_iter()
        .filter(|(rel, _)| keep(rel))
        .map(|(_, bytes)| bytes.len())
        .sum()
}

#[test]
fn a_hand_written_repository_imports_with_no_difference() {
    let (report, into) = import(
        &[
            ("prod", &hand_written().join("prod")),
            ("staging", &hand_written().join("staging")),
        ],
        &["--team-key", "team"],
        0,
    );
    assert_eq!(report["differences"], serde_json::json!([]), "{report:#}");
    let teams: Vec<(String, Vec<String>)> = report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                serde_json::from_value(t["namespaces"].clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        teams,
        [
            ("data".to_string(), vec!["data-warehouse".to_string()]),
            (
                "shop".to_string(),
                vec!["shop-dev".to_string(), "shop-prod".to_string()]
            ),
        ]
    );
    // App objects and other controllers' kinds are listed, not imported.
    let not_imported: Vec<&str> = report["notImported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        not_imported,
        ["Certificate", "Deployment", "ServiceMonitor"]
    );
    // The quota written twice: the later one is kept, and said.
    assert_eq!(
        report["duplicates"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    assert_eq!(report["duplicates"][0]["name"], "compute");
    // Kubernetes' `edit` and `admin` impersonate service accounts: accepted
    // for review, not silently.
    let accepted = report["acceptedRisks"].to_string();
    assert!(
        accepted.contains("existing role edit (ClusterRole edit): impersonate"),
        "{accepted}"
    );
    assert!(
        accepted.contains("cluster binding everyone-lists-namespaces (prod): cluster-binding"),
        "{accepted}"
    );

    let repo = into.path().join("repo");
    rbacc(&["build", "--repo", repo.to_str().unwrap()], &repo).expect_code(0);
    let config = std::fs::read_to_string(repo.join("rbacc.yaml")).unwrap();
    // What every namespace shares is said once.
    assert!(config.contains("  defaults:\n    limitRange:"), "{config}");
    assert!(
        config.contains("  networkPolicies:\n  - name: default-deny"),
        "{config}"
    );
    // Bindings to the cluster's roles stay references to them.
    assert!(
        config.contains("    clusterRole: admin\n    name: k8s-admin"),
        "{config}"
    );
}

/// A namespace repository as platforms keep them: a folder per namespace,
/// each with its Namespace, quota, limits, bindings and NetworkPolicy, in
/// the block style kubectl writes.
fn namespace_repository(teams: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for t in 0..teams {
        for env in ["dev", "prod"] {
            let ns = format!("team{t:02}-{env}");
            let cpu = if env == "prod" { "16" } else { "4" };
            let text = format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: team{t:02}\n    pod-security.kubernetes.io/enforce: baseline\n  annotations:\n    example.com/on-call: team{t:02}@example.com\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\n  namespace: {ns}\nspec:\n  hard:\n    requests.cpu: \"{cpu}\"\n    requests.memory: 8Gi\n    pods: \"50\"\n---\napiVersion: v1\nkind: LimitRange\nmetadata:\n  name: defaults\n  namespace: {ns}\nspec:\n  limits:\n  - type: Container\n    default:\n      cpu: 500m\n      memory: 512Mi\n    defaultRequest:\n      cpu: 100m\n      memory: 128Mi\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: admins\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: admin\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: team{t:02}-leads\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: developers\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: edit\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: Group\n  name: team{t:02}-devs\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes:\n  - Ingress\n"
            );
            std::fs::create_dir_all(dir.path().join(&ns)).unwrap();
            std::fs::write(dir.path().join(&ns).join("namespace.yaml"), text).unwrap();
        }
    }
    dir
}

#[test]
fn a_namespace_repository_becomes_team_files_a_third_of_its_size() {
    let input = namespace_repository(20);
    let (report, into) = import(&[("prod", input.path())], &["--team-key", "team"], 0);
    assert_eq!(report["differences"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["teams"].as_array().unwrap().len(), 20);
    let repo = into.path().join("repo");
    rbacc(&["build", "--repo", repo.to_str().unwrap()], &repo).expect_code(0);
    let declared = total_bytes(&repo, |rel| {
        rel == "rbacc.yaml" || rel.starts_with("teams/")
    });
    let manifests = total_bytes(input.path(), |_| true);
    assert!(
        declared * 3 <= manifests,
        "{declared} bytes declared for {manifests} bytes of manifests"
    );
    // The quota most namespaces share is the default; prod says what differs.
    let team = std::fs::read_to_string(repo.join("teams/team07.yaml")).unwrap();
    assert!(
        team.contains("  - name: team07-prod\n    podSecurity: baseline\n"),
        "{team}"
    );
    assert!(
        team.contains("    quota:\n      requests.cpu: \"16\"\n"),
        "{team}"
    );
    assert!(!team.contains("limitRange"), "{team}");
}

#[test]
fn the_output_of_a_build_imports_back_to_the_same_objects() {
    // Build the example organisation, take its output as the clusters'
    // manifests, import them, build again: the same objects, by audit.
    let example = Repo::example();
    example.rbacc(&["build"]).expect_code(0);
    let (report, into) = import(
        &[
            ("prod", &example.out().join("prod")),
            ("staging", &example.out().join("staging")),
        ],
        &["--team-key", "rbacc.dev/team"],
        0,
    );
    assert_eq!(report["differences"], serde_json::json!([]), "{report:#}");
    let repo = into.path().join("repo");
    // The example's servers and kubeconfig templates are not in a dump.
    let original = std::fs::read_to_string(example.path().join("rbacc.yaml")).unwrap();
    assert!(original.contains("https://kubeapi.prod.example.com"));
    rbacc(&["build", "--repo", repo.to_str().unwrap()], &repo).expect_code(0);
    for cluster in ["prod", "staging"] {
        let live = tempfile::tempdir().unwrap();
        copy_tree(&example.out().join(cluster), live.path());
        let run = rbacc(
            &[
                "audit",
                "--live",
                live.path().to_str().unwrap(),
                "--cluster",
                cluster,
                "--repo",
                repo.to_str().unwrap(),
                "-o",
                "json",
            ],
            &repo,
        );
        let audit: Value = serde_json::from_str(&run.stdout()).unwrap();
        assert_eq!(
            audit["extraAccess"],
            serde_json::json!([]),
            "{cluster}: {audit:#}"
        );
        // A grant to a team becomes a grant to its groups, under another
        // binding name: the same access, which `import` compared.
        for list in ["unmanaged", "missing"] {
            for key in audit[list].as_array().unwrap() {
                assert_eq!(key["kind"], "RoleBinding", "{cluster}: {list}: {audit:#}");
            }
        }
        // Only the source file's path, and the subjects of bindings a
        // grant to a team became grants to groups in, may differ.
        for d in audit["differs"].as_array().unwrap() {
            for what in d["what"].as_array().unwrap() {
                let what = what.as_str().unwrap();
                assert!(
                    what.starts_with("annotation rbacc.dev/source")
                        || (what == "subjects" && d["object"]["kind"] == "RoleBinding"),
                    "{cluster}: {d}"
                );
            }
        }
    }
}

#[test]
fn teams_are_found_by_who_is_bound_without_a_team_key() {
    let (report, _into) = import(&[("prod", &hand_written().join("prod"))], &[], 0);
    assert_eq!(report["differences"], serde_json::json!([]), "{report:#}");
    let names: Vec<&str> = report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // shop-dev and shop-prod bind different people, so they are two teams.
    assert_eq!(
        names,
        ["data-warehouse", "shop-dev", "shop-prod"],
        "{report:#}"
    );
    // The platform's namespaces are never a team's.
    let left: Vec<&str> = report["leftOut"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["object"]["name"].as_str().unwrap())
        .collect();
    assert!(!left.contains(&"monitoring") || !names.contains(&"monitoring"));
}

#[test]
fn what_rbacc_cannot_write_is_a_difference_not_a_silence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ns.yaml"),
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: web
  labels: { team: web, pod-security.kubernetes.io/enforce: baseline, topology.kubernetes.io/zone: a }
---
apiVersion: v1
kind: ResourceQuota
metadata: { name: scoped, namespace: web }
spec: { hard: { pods: "5" }, scopes: [BestEffort] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: admins, namespace: web }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: web-admins }]
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: idle, namespace: web }
"#,
    )
    .unwrap();
    let (report, _into) = import(&[("prod", dir.path())], &["--team-key", "team"], 1);
    let differences = report["differences"].to_string();
    assert!(
        differences.contains("label topology.kubernetes.io/zone: input a, compiled (none)"),
        "{differences}"
    );
    assert!(differences.contains("ResourceQuota"), "{differences}");
    let left = report["leftOut"].to_string();
    assert!(left.contains("no team may set"), "{left}");
    assert!(left.contains("no scopes"), "{left}");
    assert!(left.contains("\"name\":\"idle\""), "{left}");
}

#[test]
fn hostile_values_are_carried_as_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n  labels: { team: web }\n  annotations: { example.com/note: \"a\\n---\\nkind: ClusterRoleBinding\\n# \\u001b[2J\" }\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: admins, namespace: web }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin }\nsubjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: \"eve\\n  groups: [system:masters]\" }]\n",
    )
    .unwrap();
    let into = tempfile::tempdir().unwrap();
    let repo = into.path().join("repo");
    let run = rbacc(
        &[
            "import",
            "--cluster",
            &cluster_arg("prod", dir.path()),
            "--into",
            repo.to_str().unwrap(),
            "--team-key",
            "team",
        ],
        into.path(),
    );
    assert!(!run.stdout().contains('\u{1b}'), "{:?}", run.stdout());
    // The text went into the team file as a value, nowhere else: the
    // declarations still say one binding for one user.
    let team = std::fs::read_to_string(repo.join("teams/web.yaml")).unwrap();
    assert!(!team.contains("\nkind: ClusterRoleBinding"), "{team}");
    assert_eq!(team.matches("system:masters").count(), 1, "{team}");
    assert!(!team.contains("\n  groups: [system:masters]"), "{team}");
}

#[test]
fn usage_and_environment_errors_exit_2() {
    let prod = hand_written().join("prod");
    let into = tempfile::tempdir().unwrap();
    std::fs::write(into.path().join("README.md"), "mine\n").unwrap();
    let here = into.path();
    rbacc(
        &[
            "import",
            "--cluster",
            &cluster_arg("prod", &prod),
            "--into",
            here.to_str().unwrap(),
        ],
        here,
    )
    .expect_code(2)
    .stderr_has("is not empty");
    assert_eq!(
        std::fs::read_dir(here).unwrap().count(),
        1,
        "nothing written beside README.md"
    );
    let fresh = here.join("new");
    let fresh = fresh.to_str().unwrap();
    rbacc(&["import", "--cluster", "prod", "--into", fresh], here)
        .expect_code(2)
        .stderr_has("write NAME=PATH");
    rbacc(
        &[
            "import",
            "--cluster",
            &cluster_arg("Prod_1", &prod),
            "--into",
            fresh,
        ],
        here,
    )
    .expect_code(2)
    .stderr_has("the cluster name");
    rbacc(
        &[
            "import",
            "--cluster",
            &cluster_arg("prod", &prod),
            "--cluster",
            &cluster_arg("prod", &prod),
            "--into",
            fresh,
        ],
        here,
    )
    .expect_code(2)
    .stderr_has("given twice");
    rbacc(
        &["import", "--cluster", "prod=/nonexistent", "--into", fresh],
        here,
    )
    .expect_code(2);
    rbacc(
        &[
            "import",
            "--cluster",
            &cluster_arg("prod", &prod),
            "--into",
            fresh,
            "--team-key",
            "nope",
        ],
        here,
    )
    .expect_code(2)
    .stderr_has("no namespace carries");
    assert!(
        !Path::new(fresh).exists(),
        "nothing written on a usage error"
    );
}
