//! Risk analysis in `check` and `rbacc explain`: findings on the
//! declaration that causes them, with the binding → role → rule chain;
//! policy levels; `allow:` with a reason on a team or a role.

use crate::security_risk::repo;
use crate::support::read_tree;

const CONFIG: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Config
spec:
  clusters:
    - name: only
      server: https://kubeapi.example.com:6443
  roles:
    - name: secret-reader
      description: Reads the TLS certificate
      rules:
        - { apiGroups: [\"\"], resources: [configmaps], verbs: [get] }
        - { apiGroups: [\"\"], resources: [secrets], resourceNames: [tls], verbs: [get] }
      allow: [secrets]
      reason: the ingress sidecar reloads its certificate
";

/// `blue` gives `alice` admin, the `blue-devs` deployer, and the `readers`
/// group viewer.
const BLUE: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata:
  name: blue
spec:
  members:
    admin: { users: [alice@example.com] }
    deployer: { groups: [blue-devs] }
  namespaces:
    - name: blue-app
      grants:
        - { role: viewer, groups: [readers] }
        - { role: secret-reader, serviceAccounts: [blue-app/ingress] }
";

/// [`CONFIG`] with nothing accepted of the built-in roles: each of their
/// risks warns on every binding.
fn unaccepted() -> String {
    CONFIG.replace(
        "  roles:\n",
        "  policy:\n    builtinRoles: { admin: { allow: [] }, deployer: { allow: [] } }\n  roles:\n",
    )
}

#[test]
fn findings_are_warnings_on_the_declaration_with_the_chain() {
    let repo = repo(&unaccepted(), BLUE);
    let run = repo.rbacc(&["check"]);
    // Warnings only: out/ is missing, which is the only failure.
    let stderr = run.stderr();
    assert!(
        stderr.contains("0 errors, 3 warnings"),
        "admin: secrets and pods-exec; deployer: secrets\n{stderr}"
    );
    assert!(
        stderr.contains("user `alice@example.com` can read Secrets in namespace `blue-app`")
            && stderr.contains("teams/blue.yaml:7:5")
            && stderr.contains(
                "RoleBinding `blue-admin` → ClusterRole `rbacc:admin` → rule 2 allows `get secrets`"
            ),
        "{stderr}"
    );
    assert!(
        stderr.contains("group `blue-devs` can read Secrets in namespace `blue-app`")
            && stderr.contains("teams/blue.yaml:8:5"),
        "{stderr}"
    );
    // Viewers read no Secrets; the role that allows its one Secret says why.
    assert!(!stderr.contains("readers"), "{stderr}");
    assert!(!stderr.contains("ingress"), "{stderr}");
    // Creating pods, writing RBAC and minting tokens are allowed by
    // default: no word about them.
    assert!(!stderr.contains("can create pods"), "{stderr}");
    assert!(!stderr.contains("RoleBindings in"), "{stderr}");
    assert!(!stderr.contains("tokens"), "{stderr}");
}

#[test]
fn the_policy_decides_what_a_finding_is() {
    let strict = CONFIG.replace(
        "  roles:\n",
        "  policy:\n    risks: { secrets: error, pods-exec: allow, rbac-write: allow, serviceaccount-token: allow, pods-create: warning }\n  roles:\n",
    );
    let repo = repo(&strict, BLUE);
    let before = read_tree(&repo.out());
    let run = repo.rbacc(&["build"]);
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(
        stderr.contains("2 errors, 2 warnings") && stderr.contains("nothing was written"),
        "secrets for admin and deployer are errors; pods-create for both warnings\n{stderr}"
    );
    assert!(
        stderr.contains("can create pods, and so mount any Secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("exec into"), "{stderr}");
    assert_eq!(read_tree(&repo.out()), before);
}

#[test]
fn an_allow_with_a_reason_silences_one_finding() {
    let allowed = BLUE.replace(
        "  namespaces:\n",
        "  allow:\n    - { risk: secrets, role: admin, reason: alice rotates the database password }\n    - { risk: pods-exec, role: admin, reason: debugging }\n    - { risk: rbac-write, role: admin, reason: alice delegates }\n    - { risk: serviceaccount-token, role: admin, reason: CI tokens }\n  namespaces:\n",
    );
    // Entries for risks the policy allows anyway are shown, not needed.
    let repo = repo(&unaccepted(), &allowed);
    let run = repo.rbacc(&["build"]);
    run.expect_code(0).stderr_has("0 errors, 1 warning");
    let stderr = run.stderr();
    assert!(
        stderr.contains("group `blue-devs` can read Secrets"),
        "the allow names `admin`: the deployer finding stays\n{stderr}"
    );

    // explain shows every finding of the binding, the allowed ones with
    // their reason and place.
    repo.rbacc(&["explain", "rolebinding/blue-admin", "-n", "blue-app"])
        .expect_code(0)
        .stdout_is("RoleBinding blue-admin in namespace blue-app
  written to  out/only/teams/blue/blue-app.yaml
  from        teams/blue.yaml:7:5: `members.admin` in team `blue`, binding role `admin`
       7 │     admin: { users: [alice@example.com] }
risk findings:
  allow    secrets: user `alice@example.com` can read Secrets
           RoleBinding blue-admin → ClusterRole rbacc:admin → rule 2 allows `get secrets`
           allowed (teams/blue.yaml:10:7): alice rotates the database password
  allow    pods-create: user `alice@example.com` can create pods, and so mount any Secret and run as any service account of the namespace
           RoleBinding blue-admin → ClusterRole rbacc:admin → rule 2 allows `create pods`
           allowed (default): `pods-create` is allowed unless `policy.risks` says otherwise
  allow    pods-exec: user `alice@example.com` can exec into, attach to or port-forward to pods
           RoleBinding blue-admin → ClusterRole rbacc:admin → rule 4 allows `create pods/exec`
           allowed (teams/blue.yaml:11:7): debugging
  allow    serviceaccount-token: user `alice@example.com` can create tokens for service accounts, and so act as them
           RoleBinding blue-admin → ClusterRole rbacc:admin → rule 1 allows `create serviceaccounts/token`
           allowed (teams/blue.yaml:13:7): CI tokens
  allow    rbac-write: user `alice@example.com` can write Roles and RoleBindings
           RoleBinding blue-admin → ClusterRole rbacc:admin → rule 19 allows `create roles.rbac.authorization.k8s.io`
           allowed (teams/blue.yaml:12:7): alice delegates
");

    // A role's own `allow:` and `reason:` cover every binding of it, and
    // the rule limited to one Secret is still found.
    let run = repo.rbacc("explain rb/grant-secret-reader -n blue-app -o json");
    run.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    assert_eq!(json["source"]["file"], "teams/blue.yaml");
    assert_eq!(json["source"]["line"], 18);
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["risk"], "secrets");
    assert_eq!(findings[0]["level"], "allow");
    assert_eq!(
        findings[0]["chain"],
        "RoleBinding grant-secret-reader → ClusterRole rbacc:secret-reader → rule 2 allows `get secrets tls`"
    );
    assert_eq!(
        findings[0]["allowed"]["reason"],
        "the ingress sidecar reloads its certificate"
    );
    assert_eq!(findings[0]["allowed"]["at"], "rbacc.yaml:16:15");
}

#[test]
fn allow_entries_and_policy_levels_are_checked() {
    let bad_team = BLUE.replace(
        "  namespaces:\n",
        "  allow:\n    - { risk: secret, reason: typo }\n    - { risk: secrets, role: admn, reason: typo }\n    - { risk: pods-exec, role: admin }\n  namespaces:\n",
    );
    let bad_config = CONFIG.replace(
        "  roles:\n",
        "  policy:\n    risks: { secrets: fatal, exec: warning }\n  roles:\n",
    );
    let run = repo(&bad_config, &bad_team).rbacc(&["check"]);
    run.expect_code(1);
    let stderr = run.stderr();
    for expected in [
        "`secret` is not a risk rbacc reports",
        "did you mean `secrets`?",
        "unknown role `admn`",
        "an `allow` entry is missing the field `reason`",
        "`fatal` is not a level",
        "`exec` is not a risk rbacc reports",
        "risks are `secrets`, `pods-create`, `pods-exec`",
    ] {
        assert!(stderr.contains(expected), "no `{expected}` in\n{stderr}");
    }
}

#[test]
fn explain_names_the_source_of_other_objects_and_refuses_unknown_ones() {
    let repo = repo(CONFIG, BLUE);
    repo.rbacc(&["explain", "ns/blue-app"])
        .expect_code(0)
        .stdout_is(
            "Namespace blue-app
  written to  out/only/teams/blue/blue-app.yaml
  from        teams/blue.yaml:10:13: namespace `blue-app` of team `blue`
      10 │     - name: blue-app
",
        );
    repo.rbacc(&["explain", "clusterrole/rbacc:secret-reader"])
        .expect_code(0)
        .stdout_has("from        rbacc.yaml:8:13: role `secret-reader` in rbacc.yaml");
    repo.rbacc(&["explain", "rb/nobody", "-n", "blue-app"])
        .expect_code(1)
        .stderr_is("error: rbacc generates no RoleBinding `nobody` in namespace `blue-app`\n");
    repo.rbacc(&["explain", "rb/blue-admin"])
        .expect_code(2)
        .stderr_has("-n NAMESPACE");
}

/// A team cannot accept for itself what the policy makes an error, and an
/// `allow` that accepts nothing is reported.
#[test]
fn a_team_cannot_accept_an_error_and_unused_entries_warn() {
    let strict = CONFIG.replace(
        "  roles:\n",
        "  policy:\n    risks: { secrets: error, pods-exec: allow }\n  roles:\n",
    );
    let team = BLUE.replace(
        "  namespaces:\n",
        "  allow:\n    - { risk: secrets, role: admin, reason: we promise }\n  namespaces:\n",
    );
    repo(&strict, &team)
        .rbacc(&["check"])
        .expect_code(1)
        .stderr_has("2 errors")
        .stderr_has("a team cannot accept what the policy makes an error")
        .stderr_has("only rbacc.yaml can relax it");

    let unused = BLUE.replace(
        "  namespaces:\n",
        "  allow:\n    - { risk: secrets, role: viewer, reason: viewers read no Secrets }\n    - { risk: bind, role: admin, reason: nothing binds }\n  namespaces:\n",
    );
    let run = repo(CONFIG, &unused).rbacc(&["check"]);
    let stderr = run.stderr();
    assert_eq!(
        stderr.matches("unused-allow").count(),
        2,
        "both entries accept nothing\n{stderr}"
    );
    assert!(
        stderr.contains("this `allow` of `secrets` accepts no finding")
            && stderr.contains("this `allow` of `bind` accepts no finding"),
        "{stderr}"
    );
}

/// Creating workloads is creating pods, and a cluster named like the output
/// directory does not confuse `explain`.
#[test]
fn workloads_create_pods_and_explain_takes_any_cluster_name() {
    let config = CONFIG
        .replace("- name: only", "- name: out")
        .replace(
            "  roles:\n",
            "  policy:\n    risks: { pods-create: warning, secrets: allow, pods-exec: allow }\n  roles:\n    - name: job-runner\n      description: Runs batch jobs\n      rules:\n        - { apiGroups: [batch], resources: [jobs], verbs: [create, get] }\n",
        );
    let team = BLUE.replace(
        "        - { role: viewer, groups: [readers] }\n",
        "        - { role: job-runner, groups: [batch-users] }\n",
    );
    let repo = repo(&config, &team);
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("RoleBinding `grant-job-runner` → ClusterRole `rbacc:job-runner` → rule 1 allows `create jobs.batch`");
    repo.rbacc(&["explain", "clusterrole/rbacc:admin"])
        .expect_code(0)
        .stdout_has("written to  out/out/cluster/clusterrole-admin.yaml");
}

/// The built-in roles used as designed do not warn: by default rbacc.yaml
/// accepts `admin`'s `secrets` and `pods-exec` and `deployer`'s `secrets`,
/// and `explain` still shows each with its reason.
#[test]
fn built_in_roles_used_as_designed_do_not_warn() {
    let repo = repo(CONFIG, BLUE);
    let run = repo.rbacc(&["build"]);
    run.expect_code(0).stderr_lacks("warning");
    repo.rbacc(&["explain", "rb/blue-deployer", "-n", "blue-app"])
        .expect_code(0)
        .stdout_has("allow    secrets: group `blue-devs` can read Secrets")
        .stdout_has("allowed (default of `policy.builtinRoles.deployer`): the built-in `deployer` writes the Secrets");
    repo.rbacc(&["explain", "rb/blue-admin", "-n", "blue-app", "-o", "json"])
        .expect_code(0)
        .stdout_has("\"at\": \"default of `policy.builtinRoles.admin`\"");
    // A platform that makes a risk an error gets errors: the defaults
    // accept warnings only.
    let strict = CONFIG.replace(
        "  roles:\n",
        "  policy:\n    risks: { secrets: error }\n  roles:\n",
    );
    repo.write("rbacc.yaml", strict);
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has("2 errors, 0 warnings");
}

/// What rbacc.yaml writes for a built-in role replaces the defaults, and
/// accepts at any level, with its reason and place in `explain`.
#[test]
fn built_in_roles_accept_what_the_platform_writes() {
    let config = CONFIG.replace(
        "  roles:\n",
        "  policy:\n    risks: { secrets: error }\n    builtinRoles:\n      deployer:\n        allow:\n          - { risk: secrets, reason: \"workloads read their database passwords\" }\n      admin: { allow: [{ risk: secrets, reason: leads rotate them }] }\n  roles:\n",
    );
    let repo = repo(&config, BLUE);
    // admin's pods-exec is no longer accepted: its entry replaced the default.
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("0 errors, 1 warning")
        .stderr_has("user `alice@example.com` can exec into")
        .stderr_has("policy.builtinRoles.admin.allow");
    repo.rbacc(&["explain", "rb/blue-deployer", "-n", "blue-app"])
        .expect_code(0)
        .stdout_has("allowed (rbacc.yaml:12:13): workloads read their database passwords");
}

/// Every mistake in `policy.builtinRoles` is one precise diagnostic.
#[test]
fn built_in_role_settings_are_checked() {
    let long = "x".repeat(501);
    let config = CONFIG.replace(
        "  roles:\n",
        &format!(
            "  policy:\n    builtinRoles:\n      deployr: {{ allow: [] }}\n      secret-reader: {{ allow: [] }}\n      admin:\n        allow:\n          - {{ risk: secret, reason: typo }}\n          - {{ risk: secrets }}\n          - {{ risk: pods-exec, reason: \"  \" }}\n          - {{ risk: rbac-write, reason: \"{long}\" }}\n          - {{ risk: serviceaccount-token, reason: \"a\\u001b[31mred\" }}\n          - {{ risk: pods-create, reason: one }}\n          - {{ risk: pods-create, reason: two }}\n      viewer: {{ allow: [{{ risk: secrets, reason: viewers read none }}] }}\n  roles:\n"
        ),
    );
    let repo = repo(&config, BLUE);
    let run = repo.rbacc(&["check", "--max-diagnostics", "100"]);
    run.expect_code(1)
        .stderr_has("`deployr` is not a built-in role")
        .stderr_has("did you mean `deployer`?")
        .stderr_has("`secret-reader` is a custom role: accept its risks with `allow:` and `reason:` on the role")
        .stderr_has("`secret` is not a risk rbacc reports")
        .stderr_has("is missing the field `reason`")
        .stderr_has("an `allow` entry needs a reason")
        .stderr_has("a reason of 501 characters, more than 500")
        .stderr_has("the reason holds the invisible character \\u{1b}")
        .stderr_has("risk `pods-create` is accepted twice for `admin`")
        .stderr_has("the built-in `viewer` does not give `secrets`")
        .stderr_lacks("\u{1b}[31m");
    repo.rbacc(&["check", "-o", "json"])
        .expect_code(1)
        .stdout_has("\"code\": \"unknown-role\"")
        .stdout_has("\"code\": \"input-limit\"")
        .stdout_has("\"code\": \"unused-allow\"");
}

/// Many warnings fit on a screen: the first 3 of each code in full, the
/// rest counted; `--max-diagnostics` and `--verbose` show more, GitHub gets
/// as many annotations as it shows, and the documents hold every one.
#[test]
fn many_warnings_are_summarised_by_code() {
    let mut team = String::from(
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: blue\nspec:\n  members:\n    admin: { users: [alice@example.com] }\n  namespaces:\n",
    );
    for i in 0..30 {
        team.push_str(&format!(
            "    - name: blue-n{i}\n      grants: [{{ role: deployer, groups: [g{i}] }}]\n"
        ));
    }
    let repo = repo(&unaccepted(), &team);
    let run = repo.rbacc(&["build"]);
    run.expect_code(0)
        .stderr_has("0 errors, 62 warnings")
        .stderr_has("56 more not shown (the first 3 of each code are)")
        .stderr_has("  risky-grant  30 warnings (3 shown)\n  access-risk  32 warnings (3 shown)\n");
    assert_eq!(
        run.stderr().matches("\naccess-risk\n").count()
            + usize::from(run.stderr().starts_with("access-risk\n")),
        3
    );
    let all = repo.rbacc(&["check", "--max-diagnostics", "50"]);
    all.expect_code(0).stderr_lacks("more not shown");
    repo.rbacc(&["check", "--max-diagnostics", "0"])
        .expect_code(0)
        .stderr_has("62 more not shown")
        .stderr_lacks("╭─[");
    let github = repo.rbacc(&["check", "-o", "github"]);
    let stdout = github.stdout();
    assert_eq!(stdout.matches("::warning ").count(), 10, "{stdout}");
    assert!(
        stdout.contains("rbacc: 52 more not annotated (")
            && stdout.contains("GitHub shows 10 errors and 10 warnings per step"),
        "{stdout}"
    );
    let json = repo.rbacc(&["check", "-o", "json"]).stdout();
    assert_eq!(json.matches("\"code\": \"access-risk\"").count(), 32);
    // A stale `out/` leads the annotations, whatever follows it.
    std::fs::remove_file(repo.path().join("out/only/teams/blue/blue-n0.yaml")).expect("rm");
    let stale = repo.rbacc(&["check", "-o", "github"]);
    let stdout = stale.expect_code(1).stdout();
    assert!(
        stdout.starts_with("::error title=stale-output::"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("::warning ").count(), 10, "{stdout}");
}

/// The build record holds with warnings: a no-op `build` or `check`
/// answers without compiling and reports the same warnings again, in
/// every format.
#[test]
fn a_no_op_build_replays_its_warnings() {
    let repo = repo(&unaccepted(), BLUE);
    let first = repo.rbacc(&["build"]);
    first.expect_code(0).stderr_has("0 errors, 3 warnings");
    std::thread::sleep(std::time::Duration::from_millis(200));
    repo.rbacc(&["build"]).expect_code(0);
    let report = |run: &crate::support::Run| -> String {
        run.stderr()
            .lines()
            .filter(|l| !l.contains("out"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let replayed = repo.rbacc(&["build"]);
    replayed
        .expect_code(0)
        .stderr_has("nothing changed since the last build");
    assert_eq!(report(&replayed), report(&first));
    let check = repo.rbacc(&["check"]);
    check
        .expect_code(0)
        .stderr_has("nothing changed since the last build");
    assert_eq!(report(&check), report(&first));
    repo.rbacc(&["check", "-o", "sarif"])
        .expect_code(0)
        .stdout_has("teams/blue.yaml")
        .stdout_has("access-risk");
    // A change compiles again.
    repo.write("teams/blue.yaml", BLUE.replace("blue-devs", "blue-team"));
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_lacks("nothing changed since the last build");
}
