//! `rbacc audit`: a live dump against what the declarations compile to.
//! The dumps are the compiled output itself, dressed as a cluster returns
//! it (server fields, Kubernetes' own roles, app objects), then drifted one
//! way at a time.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Repo, copy_tree, root};

/// The example organisation, built, and a dump of its `prod` cluster as a
/// cluster would return it.
fn example_and_dump() -> (Repo, TempDir) {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    let dump = tempfile::tempdir().expect("temp dir");
    copy_tree(&repo.out().join("prod"), dump.path());
    // What a real cluster adds: Kubernetes' roles, server fields, status,
    // app objects rbacc does not manage.
    std::fs::copy(
        root().join("src/bootstrap/cluster-roles.yaml"),
        dump.path().join("bootstrap.yaml"),
    )
    .expect("copy bootstrap roles");
    std::fs::write(
        dump.path().join("server.yaml"),
        r#"apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata:
    name: cluster-admin
    labels: { kubernetes.io/bootstrapping: rbac-defaults }
  roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
  subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: "system:masters" }]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: { name: "system:kube-scheduler" }
  roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-scheduler" }
  subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-scheduler" }]
- apiVersion: cert-manager.io/v1
  kind: Certificate
  metadata: { name: tls, namespace: payments-prod }
- apiVersion: v1
  kind: Namespace
  metadata: { name: kube-system, uid: 1, labels: { kubernetes.io/metadata.name: kube-system } }
"#,
    )
    .expect("write server objects");
    edit(dump.path(), "teams/payments/payments-prod.yaml", |text| {
        text.replacen(
            "  name: payments-prod\n",
            "  name: payments-prod\n  uid: 6f1c-42\n  resourceVersion: \"1234\"\n  creationTimestamp: \"2026-01-01T00:00:00Z\"\n  managedFields: [{ manager: kubectl, operation: Apply }]\n",
            1,
        )
        .replacen(
            "    app.kubernetes.io/managed-by: rbacc\n",
            "    app.kubernetes.io/managed-by: rbacc\n    kubernetes.io/metadata.name: payments-prod\n",
            1,
        ) + "status: { phase: Active }\n"
    });
    (repo, dump)
}

/// The files of a dump that hold objects (not kustomizations, not the
/// kubeconfigs for people), as text.
fn object_files(dump: &Path) -> Vec<(String, String)> {
    crate::support::read_tree(dump)
        .into_iter()
        .filter(|(rel, _)| {
            !(rel.ends_with("kustomization.yaml") || rel.starts_with("kubeconfigs/"))
        })
        .map(|(rel, text)| (rel, String::from_utf8(text).expect("UTF-8")))
        .collect()
}

fn edit(dir: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let path = dir.join(rel);
    let text = std::fs::read_to_string(&path).expect("read dump file");
    let changed = f(text.clone());
    assert_ne!(changed, text, "the edit of {rel} changed nothing");
    std::fs::write(&path, changed).expect("write dump file");
}

fn audit_json(repo: &Repo, dump: &Path, code: i32) -> Value {
    let run = repo.rbacc(&[
        "audit",
        "--live",
        dump.to_str().unwrap(),
        "--cluster",
        "prod",
        "-o",
        "json",
    ]);
    run.expect_code(code);
    serde_json::from_str(&run.stdout()).expect("audit JSON")
}

/// `rbacc audit` of `dump` against the `prod` cluster, as text.
fn audit_text(repo: &Repo, dump: &Path, code: i32) -> String {
    repo.rbacc(&[
        "audit",
        "--live",
        dump.to_str().unwrap(),
        "--cluster",
        "prod",
    ])
    .expect_code(code)
    .stdout()
}

#[test]
fn an_unmodified_cluster_reports_no_drift() {
    let (repo, dump) = example_and_dump();
    repo.rbacc(&[
        "audit",
        "--live",
        dump.path().to_str().unwrap(),
        "--cluster",
        "prod",
    ])
    .expect_code(0)
    .stdout_is(
        "rbacc audit: cluster prod\n\nno drift: the cluster grants what the declarations say\n",
    );
    let json = audit_json(&repo, dump.path(), 0);
    for field in ["extraAccess", "missing", "differs", "unmanaged"] {
        assert_eq!(json[field], Value::Array(vec![]), "{field}: {json}");
    }
}

#[test]
fn a_one_file_list_dump_reads_as_the_directory_does() {
    let (repo, dump) = example_and_dump();
    // One `kind: List`, as `kubectl get … -o yaml` prints it.
    let mut items = Vec::new();
    for (rel, text) in object_files(dump.path()) {
        items.push(format!("# {rel}\n{text}"));
    }
    // The same objects as one stream of documents is what a List expands to.
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("live.yaml");
    std::fs::write(&path, items.join("\n---\n")).unwrap();
    repo.rbacc(&[
        "audit",
        "--live",
        path.to_str().unwrap(),
        "--cluster",
        "prod",
    ])
    .expect_code(0)
    .stdout_has("no drift");
}

#[test]
fn a_json_dump_reads_as_the_yaml_one_does() {
    let (repo, dump) = example_and_dump();
    // One `kind: List`, as `kubectl get … -o json` prints it.
    let mut items = Vec::new();
    for (_, text) in object_files(dump.path()) {
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).expect("dump YAML");
        for document in documents.into_iter().filter(|d| !d.is_null()) {
            match document["kind"].as_str() {
                Some("List") => items.extend(document["items"].as_array().unwrap().clone()),
                _ => items.push(document),
            }
        }
    }
    let file = tempfile::tempdir().unwrap();
    let path = file.path().join("live.json");
    let write = |items: &[Value]| {
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
        std::fs::write(&path, serde_json::to_string_pretty(&list).unwrap()).unwrap();
    };
    write(&items);
    audit_text(&repo, &path, 0);
    // And drift in it is found as in YAML.
    let binding = items
        .iter_mut()
        .find(|i| i["kind"] == "RoleBinding" && i["roleRef"]["kind"] == "ClusterRole")
        .expect("the dump has a RoleBinding to a ClusterRole");
    binding["roleRef"]["name"] = "cluster-admin".into();
    let name = binding["metadata"]["name"].as_str().unwrap().to_string();
    write(&items);
    let json = audit_json(&repo, &path, 1);
    let differs = json["differs"].as_array().unwrap();
    assert!(
        differs.iter().any(|d| d["object"]["name"] == name.as_str()
            && d["what"][0]
                .as_str()
                .unwrap()
                .ends_with("→ ClusterRole cluster-admin")),
        "{json}"
    );
    // Without `cluster-admin` in the dump, as a dump of some kinds or
    // namespaces has it, what the cluster gives through it is still shown.
    let before = items.len();
    items.retain(|i| !(i["kind"] == "ClusterRole" && i["metadata"]["name"] == "cluster-admin"));
    assert_eq!(items.len(), before - 1);
    write(&items);
    let json = audit_json(&repo, &path, 1);
    let extra = json["extraAccess"].as_array().unwrap();
    assert!(
        extra
            .iter()
            .any(|e| e["role"] == "ClusterRole cluster-admin"
                && e["requests"].as_array().unwrap().iter().any(|r| r == "* *")),
        "{json}"
    );
}

#[test]
fn every_kind_of_drift_is_reported_with_its_subject() {
    let (repo, dump) = example_and_dump();
    // Someone bound cluster-admin by hand in a team namespace.
    std::fs::write(
        dump.path().join("by-hand.yaml"),
        r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: debug-access, namespace: payments-prod }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: mallory@example.com }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: ci-everywhere }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }
subjects: [{ kind: ServiceAccount, name: runner, namespace: ci }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: cluster-admin, labels: { kubernetes.io/bootstrapping: rbac-defaults } }
rules: [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]
"#,
    )
    .unwrap();
    // Pod Security relaxed, a quota raised, a binding's subject added,
    // a namespace's objects deleted.
    edit(dump.path(), "teams/payments/payments-prod.yaml", |t| {
        t.replace(
            "pod-security.kubernetes.io/enforce: restricted",
            "pod-security.kubernetes.io/enforce: privileged",
        )
        .replacen("requests.cpu: \"16\"", "requests.cpu: \"64\"", 1)
        .replacen(
            "  name: payments-devs\n",
            "  name: payments-devs\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: eve@example.com\n",
            1,
        )
    });
    std::fs::remove_file(dump.path().join("teams/storefront/storefront-prod.yaml")).unwrap();

    let json = audit_json(&repo, dump.path(), 1);
    let extra = json["extraAccess"].as_array().unwrap();
    let find = |subject: &str| {
        extra
            .iter()
            .find(|e| e["subject"] == subject)
            .unwrap_or_else(|| panic!("no extra access for {subject}: {json}"))
    };
    let mallory = find("User mallory@example.com");
    assert_eq!(mallory["namespace"], "payments-prod");
    assert_eq!(mallory["binding"], "RoleBinding payments-prod/debug-access");
    assert_eq!(mallory["role"], "ClusterRole cluster-admin");
    assert_eq!(mallory["requests"], serde_json::json!(["* *.*"]));
    let eve = find("User eve@example.com");
    assert_eq!(
        eve["binding"],
        "RoleBinding payments-prod/payments-deployer"
    );
    assert!(
        eve["requests"]
            .as_array()
            .unwrap()
            .contains(&Value::from("create deployments.apps")),
        "{eve}"
    );
    let runner = find("ServiceAccount ci/runner");
    assert_eq!(runner.get("namespace"), None, "every namespace: {runner}");
    // Nobody the declarations bind gains anything else.
    assert_eq!(extra.len(), 3, "{json}");

    let keys = |field: &str| -> Vec<String> {
        json[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                let k = if k.get("object").is_some() {
                    &k["object"]
                } else {
                    k
                };
                format!(
                    "{} {}/{}",
                    k["kind"].as_str().unwrap(),
                    k.get("namespace").and_then(Value::as_str).unwrap_or(""),
                    k["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert!(
        keys("missing").contains(&"Namespace /storefront-prod".to_string()),
        "{json}"
    );
    assert!(
        keys("missing").contains(&"RoleBinding storefront-prod/storefront-admin".to_string()),
        "{json}"
    );
    assert_eq!(
        keys("unmanaged"),
        [
            "ClusterRoleBinding /ci-everywhere",
            "RoleBinding payments-prod/debug-access"
        ]
    );
    let differs: Vec<(String, Vec<String>)> = json["differs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                format!(
                    "{} {}",
                    d["object"]["kind"].as_str().unwrap(),
                    d["object"]["name"].as_str().unwrap()
                ),
                d["what"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        differs,
        [
            (
                "Namespace payments-prod".to_string(),
                vec![
                    "label pod-security.kubernetes.io/enforce: restricted → privileged".to_string()
                ]
            ),
            (
                "ResourceQuota rbacc-quota".to_string(),
                vec!["spec".to_string()]
            ),
            (
                "RoleBinding payments-deployer".to_string(),
                vec!["subjects".to_string()]
            ),
        ]
    );

    // The text leads with who gained what.
    let text = audit_text(&repo, dump.path(), 1);
    let first = text.lines().nth(2).unwrap_or_default();
    assert_eq!(
        first, "Access live that the declarations do not give (3)",
        "{text}"
    );
    assert!(
        text.contains("  User mallory@example.com in namespace payments-prod, through RoleBinding payments-prod/debug-access → ClusterRole cluster-admin:\n    can * *.*\n"),
        "{text}"
    );
}

#[test]
fn drift_added_by_a_pod_security_label_rbacc_does_not_write_is_reported() {
    let (repo, dump) = example_and_dump();
    edit(dump.path(), "teams/storefront/storefront-prod.yaml", |t| {
        t.replacen(
            "    app.kubernetes.io/managed-by: rbacc\n",
            "    app.kubernetes.io/managed-by: rbacc\n    pod-security.kubernetes.io/enforce-version: v1.20\n",
            1,
        )
    });
    let json = audit_json(&repo, dump.path(), 1);
    assert_eq!(
        json["differs"][0]["what"],
        serde_json::json!(["label pod-security.kubernetes.io/enforce-version: (none) → v1.20"])
    );
}

#[test]
fn hostile_names_in_a_dump_are_shown_escaped() {
    let (repo, dump) = example_and_dump();
    std::fs::write(
        dump.path().join("hostile.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: x, namespace: payments-prod }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }\nsubjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: \"a\\n\\u001b[31mroot\" }]\n",
    )
    .unwrap();
    let text = audit_text(&repo, dump.path(), 1);
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(
        text.contains("User a\\n\\u{1b}[31mroot in namespace payments-prod"),
        "{text}"
    );
}

#[test]
fn usage_and_environment_errors_exit_2() {
    let (repo, dump) = example_and_dump();
    let live = dump.path().to_str().unwrap();
    repo.rbacc(&["audit", "--live", live])
        .expect_code(2)
        .stderr_has("several clusters (prod, staging): name the one dumped with --cluster");
    repo.rbacc(&["audit", "--live", live, "--cluster", "qa"])
        .expect_code(2)
        .stderr_has("no cluster `qa` in rbacc.yaml");
    repo.rbacc(&[
        "audit",
        "--live",
        "/nonexistent/dump.yaml",
        "--cluster",
        "prod",
    ])
    .expect_code(2);
    let empty = tempfile::tempdir().unwrap();
    repo.rbacc(&[
        "audit",
        "--live",
        empty.path().to_str().unwrap(),
        "--cluster",
        "prod",
    ])
    .expect_code(2)
    .stderr_has("kubectl get namespaces,serviceaccounts,roles,rolebindings");
    std::fs::write(dump.path().join("broken.yaml"), "kind: [\n").unwrap();
    repo.rbacc(&["audit", "--live", live, "--cluster", "prod"])
        .expect_code(2)
        .stderr_has("broken.yaml");
    std::fs::remove_file(dump.path().join("broken.yaml")).unwrap();
    repo.write(
        "teams/payments.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\n",
    );
    repo.rbacc(&["audit", "--live", live, "--cluster", "prod"])
        .expect_code(2)
        .stderr_has("the declarations do not compile");
}

/// The resource lists of every `kubectl get` of several kinds in `text`, a
/// command continued over lines (`\` at the end) read as one.
fn dump_lists(text: &str) -> Vec<std::collections::BTreeSet<String>> {
    let joined = regex::Regex::new(r"\\(\\n)?\n\s*")
        .unwrap()
        .replace_all(text, "");
    let list = regex::Regex::new(
        r"kubectl(?: --kubeconfig \S+)? get ([a-z]+(?:,[a-z]+)+) --all-namespaces -o (\w+)",
    )
    .unwrap();
    list.captures_iter(&joined)
        .map(|c| {
            // JSON: a dump of a large cluster reads several times faster.
            assert_eq!(&c[2], "json", "{}", &c[0]);
            c[1].split(',').map(String::from).collect()
        })
        .collect()
}

/// The dump command is written in the code, the help of `audit` and
/// `import`, the README and the scheduled workflow: every copy names
/// exactly the kinds `audit` and `import` read, so a dump made from any of
/// them has every object rbacc compares.
#[test]
fn every_copy_of_the_dump_command_names_the_kinds_rbacc_reads() {
    let want: std::collections::BTreeSet<String> = rbacc::live::MANAGED
        .iter()
        .map(|(_, kind)| {
            let lower = kind.to_lowercase();
            match lower.strip_suffix('y') {
                Some(stem) => format!("{stem}ies"),
                None => format!("{lower}s"),
            }
        })
        .collect();
    let help = |command: &str| {
        let run = crate::support::rbacc(&[command, "--help"], &root());
        run.expect_code(0);
        run.stdout()
    };
    let read = |path: &str| std::fs::read_to_string(root().join(path)).expect(path);
    let copies = [
        ("live::DUMP_COMMAND", rbacc::live::DUMP_COMMAND.to_string()),
        ("audit --help", help("audit")),
        ("import --help", help("import")),
        ("README.md", read("README.md")),
        (
            "docs/ci/github-actions-audit.yml",
            read("docs/ci/github-actions-audit.yml"),
        ),
    ];
    for (place, text) in copies {
        let lists = dump_lists(&text);
        assert!(!lists.is_empty(), "{place}: no dump command found");
        for list in lists {
            assert_eq!(list, want, "{place}");
        }
    }
}
