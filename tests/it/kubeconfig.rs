//! Kubeconfigs rendered from templates: escaping, and what kubectl reads.

use serde_json::Value;

use crate::support::{Repo, check_with_consumers, fixtures};

/// The shape of a YAML document: every scalar replaced by its type, lists
/// cut to their first item.
fn skeleton(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), skeleton(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().take(1).map(skeleton).collect()),
        Value::String(_) => Value::String("string".into()),
        Value::Number(_) => Value::String("number".into()),
        Value::Bool(_) => Value::String("bool".into()),
        Value::Null => Value::Null,
    }
}

fn parse(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read kubeconfig");
    serde_saphyr::from_str(&text).expect("kubeconfig is YAML")
}

/// A team whose description, contacts and group names hold quotes, colons,
/// newlines, `#` and template syntax gets a kubeconfig with exactly the
/// structure of a plain team's, and the values arrive intact.
#[test]
fn team_values_cannot_change_kubeconfig_structure() {
    let repo = Repo::copy_of(&fixtures().join("ok/kubeconfig-templates/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    let quirky = parse(&repo.out().join("lab/kubeconfigs/quirky.yaml"));
    let plain = parse(&repo.out().join("lab/kubeconfigs/plain.yaml"));
    assert_eq!(skeleton(&quirky), skeleton(&plain));
    let args = &quirky["users"][0]["user"]["exec"]["args"];
    assert_eq!(args[4], "quirky");

    let configmap =
        std::fs::read_to_string(repo.out().join("lab/teams/quirky/rbacc.kubeconfig.yaml"))
            .expect("read");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&configmap).expect("YAML documents");
    let embedded = docs[0]["data"]["kubeconfig"]
        .as_str()
        .expect("kubeconfig key");
    let embedded: Value = serde_saphyr::from_str(embedded).expect("embedded kubeconfig is YAML");
    assert_eq!(embedded, quirky, "the ConfigMap holds the same kubeconfig");
    check_with_consumers(&repo.out());
}

/// Only the team's members may read the team's kubeconfig ConfigMap.
#[test]
fn kubeconfig_configmap_is_readable_by_the_team_only() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    let text =
        std::fs::read_to_string(repo.out().join("prod/teams/payments/rbacc.kubeconfig.yaml"))
            .expect("read");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("YAML documents");
    let kinds: Vec<&str> = docs
        .iter()
        .map(|d| d["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["ConfigMap", "Role", "RoleBinding"]);
    assert_eq!(
        docs[1]["rules"][0]["resourceNames"],
        serde_json::json!(["kubeconfig-payments"])
    );
    assert_eq!(docs[1]["rules"][0]["verbs"], serde_json::json!(["get"]));
    let subjects: Vec<&str> = docs[2]["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .map(|s| s["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        subjects,
        ["payments-devs", "payments-leads", "auditor@example.com"]
    );
    for doc in &docs {
        assert_eq!(doc["metadata"]["namespace"], "rbacc-kubeconfigs");
    }
}

/// Without a `kubeconfig` section anywhere, no kubeconfig is generated.
#[test]
fn no_kubeconfig_section_means_no_kubeconfigs() {
    let repo = Repo::copy_of(&fixtures().join("ok/minimal/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    assert!(!repo.out().join("only/kubeconfigs").exists());
    assert!(
        !repo
            .out()
            .join("only/teams/blue/rbacc.kubeconfig.yaml")
            .exists()
    );
}

/// An object no declaration line makes, such as a kubeconfig ConfigMap,
/// comes from its files as a whole: `explain` names the team file and the
/// template of each cluster, and a ClusterRole of `rbacc.yaml` that file.
#[test]
fn explain_names_the_files_an_object_is_generated_from() {
    let repo = Repo::example();
    repo.rbacc(&["explain", "-n", "rbacc-kubeconfigs", "configmap/kubeconfig-payments"])
        .expect_code(0)
        .stdout_is(
            "ConfigMap kubeconfig-payments in namespace rbacc-kubeconfigs
  written to  out/prod/teams/payments/rbacc.kubeconfig.yaml
  written to  out/staging/teams/payments/rbacc.kubeconfig.yaml
  from        teams/payments.yaml with templates/pinniped.yaml.j2 (the file as a whole), for out/prod/teams/payments/rbacc.kubeconfig.yaml
  from        teams/payments.yaml with templates/oidc-kubelogin.yaml.j2 (the file as a whole), for out/staging/teams/payments/rbacc.kubeconfig.yaml
",
        );
    let json = repo.rbacc(&["explain", "-o", "json", "clusterrole/rbacc:viewer"]);
    json.expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout()).expect("JSON");
    assert_eq!(
        value["generatedFrom"],
        serde_json::json!([
            {"file": "out/prod/cluster/clusterrole-viewer.yaml", "source": "rbacc.yaml"},
            {"file": "out/staging/cluster/clusterrole-viewer.yaml", "source": "rbacc.yaml"},
        ])
    );
}
