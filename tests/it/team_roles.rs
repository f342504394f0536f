//! A team's own roles: written as a Role in each of its namespaces, bound
//! like any role, and seen by the queries.

use crate::support::{Repo, fixtures};

#[test]
fn queries_see_a_teams_own_roles() {
    let repo = Repo::copy_of(&fixtures().join("ok/team-roles/repo"));
    repo.rbacc(&["build"]).expect_code(0);
    let sa = "system:serviceaccount:shop-prod:rotator";
    for (verb, resource, answer) in [
        ("update", "secrets/provider-key", "yes"),
        ("get", "secrets/other-key", "no"),
        ("list", "secrets", "no"),
    ] {
        let (resource, name) = resource.split_once('/').unwrap_or((resource, ""));
        let mut args = vec!["can-i", verb, resource];
        if !name.is_empty() {
            args.push(name);
        }
        args.extend(["-n", "shop-prod", "--as", sa]);
        repo.rbacc(&args)
            .expect_code(if answer == "yes" { 0 } else { 1 })
            .stdout_is(&format!("{answer}\n"));
    }
    // Granted to team sre in shop's namespace, not in its own.
    repo.rbacc(&[
        "can-i",
        "patch",
        "rollouts.argoproj.io",
        "-n",
        "shop-prod",
        "--as",
        "x",
        "--as-group",
        "sre",
    ])
    .expect_code(0)
    .stdout_is("yes\n");
    repo.rbacc(&[
        "can-i",
        "patch",
        "rollouts.argoproj.io",
        "-n",
        "sre-tools",
        "--as",
        "x",
        "--as-group",
        "sre",
    ])
    .expect_code(1)
    .stdout_is("no\n");
    repo.rbacc(&[
        "who-can",
        "update",
        "deployments.apps/scale",
        "-n",
        "shop-prod",
    ])
    .expect_code(0)
    .stdout_has("RoleBinding/shop-release-manager  Role/rbacc:release-manager")
    .stdout_has("RoleBinding/sre-release-manager   Role/rbacc:release-manager");
    repo.rbacc(&["explain", "role/rbacc:secret-rotator", "-n", "shop-prod"])
        .expect_code(0)
        .stdout_has("from        teams/shop.yaml:7:13: role `secret-rotator` of team `shop`");
}

/// A finding through a team's role is reported like any other, and the
/// team accepts its warnings under `spec.allow` naming the role.
#[test]
fn risks_of_a_teams_role_are_found() {
    let repo = Repo::copy_of(&fixtures().join("ok/team-roles/repo"));
    let team = std::fs::read_to_string(repo.path().join("teams/shop.yaml")).expect("team");
    let unaccepted = team.replace(
        "    - { risk: secrets, role: secret-rotator, reason: \"rotates the provider key, and reads it to check\" }\n",
        "",
    );
    assert_ne!(unaccepted, team);
    repo.write("teams/shop.yaml", unaccepted);
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("service account `shop-prod/rotator` can read Secrets")
        .stderr_has("RoleBinding `sa-rotator` → Role `rbacc:secret-rotator` → rule 1 allows `get secrets provider-key`");
}
