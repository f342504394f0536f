//! `rbacc diff` on real git repositories, made with the real `git`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Repo, Run, assert_text, fixtures, rbacc, stdout_of};

/// GitHub's limit on a pull-request comment.
const COMMENT_LIMIT: usize = 65_536;

fn snapshot(name: &str) -> PathBuf {
    fixtures().join("diff").join(name)
}

/// Runs git in `dir`, deterministically: no user or system config, fixed
/// identity and dates, so commit ids are the same on every run.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    stdout_of(
        Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z"),
    )
}

/// A git repository holding a copy of `src`, committed as `base`.
fn git_repo(src: &Path) -> Repo {
    let repo = Repo::copy_of(src);
    init(repo.path());
    commit(repo.path(), "base");
    repo
}

pub(crate) fn init(dir: &Path) {
    git(dir, &["init", "--quiet", "--initial-branch=main"]);
    git(dir, &["config", "user.name", "Test"]);
    git(dir, &["config", "user.email", "test@example.com"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
}

pub(crate) fn commit(dir: &Path, message: &str) {
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "--allow-empty", "-m", message]);
}

/// The fixture organisation, committed.
pub(crate) fn fixture() -> Repo {
    git_repo(&fixtures().join("diff/repo"))
}

pub(crate) fn diff(repo: &Repo, args: &[&str]) -> Run {
    let mut all = vec!["diff"];
    all.extend(args);
    repo.rbacc(&all)
}

/// The report with the commit ids of `HEAD` and `HEAD~1` replaced by
/// `<commit>`, so that snapshots do not change with the example
/// organisation's files.
fn normalize(repo: &Repo, report: &str) -> String {
    let mut out = report.to_string();
    let log = git(repo.path(), &["log", "--format=%h", "--abbrev=7"]);
    for short in log.lines() {
        out = out.replace(&format!("({short})"), "(<commit>)");
    }
    out
}

/// Text and markdown reports of `revs`, compared with the snapshots
/// `<name>.txt` and `<name>.md`; returns the JSON report.
fn check_reports(repo: &Repo, name: &str, revs: &[&str]) -> Value {
    let text = diff(repo, revs).expect_code(0).stdout();
    assert_text(&normalize(repo, &text), &snapshot(&format!("{name}.txt")));
    let mut md_args = revs.to_vec();
    md_args.extend(["-o", "markdown"]);
    let markdown = diff(repo, &md_args).expect_code(0).stdout();
    assert!(markdown.chars().count() <= COMMENT_LIMIT);
    assert!(markdown.starts_with("<!-- rbacc-diff -->\n"));
    assert_text(
        &normalize(repo, &markdown),
        &snapshot(&format!("{name}.md")),
    );
    let mut json_args = revs.to_vec();
    json_args.extend(["-o", "json"]);
    let json = diff(repo, &json_args).expect_code(0).stdout();
    serde_json::from_str(&json).expect("the JSON report parses")
}

const COMMITTED: &[&str] = &["--base", "HEAD~1", "--head", "HEAD"];

/// `(kind name, "cluster/namespace")` -> (gains, losses), each `verb
/// resource[.group][ name]`, from the JSON report.
type Access = BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)>;

fn access(report: &Value) -> Access {
    let perms = |list: &Value| -> BTreeSet<String> {
        list.as_array()
            .expect("a list")
            .iter()
            .map(|p| {
                let group = p["apiGroup"].as_str().expect("apiGroup");
                let mut resource = p["resource"].as_str().expect("resource").to_string();
                if !group.is_empty() {
                    resource = match resource.split_once('/') {
                        Some((r, s)) => format!("{r}.{group}/{s}"),
                        None => format!("{resource}.{group}"),
                    };
                }
                let name = p["resourceName"]
                    .as_str()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default();
                format!("{} {resource}{name}", p["verb"].as_str().expect("verb"))
            })
            .collect()
    };
    let mut out = Access::new();
    for subject in report["access"]["subjects"].as_array().expect("subjects") {
        let mut who = format!(
            "{} {}",
            subject["kind"].as_str().expect("kind"),
            subject["name"].as_str().expect("name")
        );
        if let Some(ns) = subject["namespace"].as_str() {
            who = format!("{who} in {ns}");
        }
        for change in subject["changes"].as_array().expect("changes") {
            for place in change["places"].as_array().expect("places") {
                let at = format!(
                    "{}/{}",
                    place["cluster"].as_str().expect("cluster"),
                    place["namespace"].as_str().expect("namespace")
                );
                let entry = (perms(&change["gains"]), perms(&change["losses"]));
                assert!(out.insert((who.clone(), at), entry).is_none());
            }
        }
    }
    out
}

/// What a built-in ClusterRole of the head grants, in the notation of
/// [`access`], read from the manifests `rbacc build` writes.
fn role_grants(repo: &Repo, role: &str) -> BTreeSet<String> {
    // Inside a directory of its own: `build` locks the parent of `out/`,
    // which must not be the shared temporary directory.
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let dir = out.to_str().expect("utf-8");
    repo.rbacc(&["build", "--quiet", "--out", dir])
        .expect_code(0);
    let text = std::fs::read_to_string(out.join(format!("prod/cluster/clusterrole-{role}.yaml")))
        .expect("the role's file");
    let docs: Vec<Value> =
        serde_saphyr::from_str_multiple::<Value, Vec<Value>>(&text).expect("YAML");
    let mut grants = BTreeSet::new();
    for rule in docs[0]["rules"].as_array().expect("rules") {
        let list = |key: &str| -> Vec<String> {
            rule[key]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|v| v.as_str().expect("string").to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        for verb in list("verbs") {
            for group in list("apiGroups") {
                for resource in list("resources") {
                    let resource = if group.is_empty() {
                        resource.clone()
                    } else {
                        match resource.split_once('/') {
                            Some((r, s)) => format!("{r}.{group}/{s}"),
                            None => format!("{resource}.{group}"),
                        }
                    };
                    grants.insert(format!("{verb} {resource}"));
                }
            }
        }
    }
    grants
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn added_team() {
    let repo = fixture();
    repo.write(
        "teams/gamma.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: gamma\nspec:\n  members:\n    admin: { users: [gina@example.com] }\n  namespaces:\n    - gamma-prod\n",
    );
    commit(repo.path(), "add gamma");
    let report = check_reports(&repo, "added-team", COMMITTED);
    let access = access(&report);
    let admin = role_grants(&repo, "admin");
    assert_eq!(
        access.keys().cloned().collect::<Vec<_>>(),
        vec![
            (
                "User gina@example.com".to_string(),
                "prod/gamma-prod".to_string()
            ),
            (
                "User gina@example.com".to_string(),
                "prod/rbacc-kubeconfigs".to_string()
            ),
        ]
    );
    let gina = &access[&(
        "User gina@example.com".to_string(),
        "prod/gamma-prod".to_string(),
    )];
    assert_eq!(gina.0, admin, "gains exactly what rbacc:admin grants");
    assert!(gina.1.is_empty());
    assert_eq!(
        access[&(
            "User gina@example.com".to_string(),
            "prod/rbacc-kubeconfigs".to_string()
        )],
        (set(&["get configmaps kubeconfig-gamma"]), BTreeSet::new())
    );
    let summary = &report["summary"][0];
    assert_eq!(summary["namespaces"]["added"], 1);
    assert_eq!(summary["kubeconfigs"]["added"], 1);
}

#[test]
fn removed_team_with_protected_namespaces() {
    let repo = fixture();
    std::fs::remove_file(repo.path().join("teams/beta.yaml")).expect("remove");
    commit(repo.path(), "remove beta");
    let report = check_reports(&repo, "removed-team-protected", COMMITTED);
    let warnings = report["warnings"].as_array().expect("warnings");
    let removed: Vec<&Value> = warnings
        .iter()
        .filter(|w| w["kind"] == "namespace-removed")
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["namespace"], "beta-prod");
    assert_eq!(removed[0]["protected"], true);
    let access = access(&report);
    let deployer = role_grants(&repo, "deployer");
    assert_eq!(
        access[&("Group beta-devs".to_string(), "prod/beta-prod".to_string())],
        (BTreeSet::new(), deployer.clone())
    );
    assert_eq!(
        access[&(
            "ServiceAccount ci in beta-prod".to_string(),
            "prod/beta-prod".to_string()
        )],
        (BTreeSet::new(), deployer)
    );
    assert_eq!(
        access[&(
            "Group beta-devs".to_string(),
            "prod/rbacc-kubeconfigs".to_string()
        )],
        (BTreeSet::new(), set(&["get configmaps kubeconfig-beta"]))
    );
    assert_eq!(access.len(), 3);
}

#[test]
fn removed_team_with_unprotected_namespaces() {
    let repo = Repo::copy_of(&fixtures().join("diff/repo"));
    repo.edit(
        "rbacc.yaml",
        "namespacePrefix: none",
        "namespacePrefix: none\n    protectNamespaces: false",
    );
    init(repo.path());
    commit(repo.path(), "base");
    std::fs::remove_file(repo.path().join("teams/beta.yaml")).expect("remove");
    commit(repo.path(), "remove beta");
    let report = check_reports(&repo, "removed-team-unprotected", COMMITTED);
    let removed: Vec<&Value> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter(|w| w["kind"] == "namespace-removed")
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["protected"], false);
    assert!(
        removed[0]["message"]
            .as_str()
            .expect("message")
            .contains("NOT protected")
    );
}

#[test]
fn moved_namespace() {
    let repo = fixture();
    repo.edit("teams/alpha.yaml", "    - shared-tools\n", "");
    repo.edit(
        "teams/beta.yaml",
        "  namespaces:\n",
        "  namespaces:\n    - shared-tools\n",
    );
    commit(repo.path(), "move shared-tools to beta");
    let report = check_reports(&repo, "moved-namespace", COMMITTED);
    // The namespace changes owner; it does not leave the cluster.
    let summary = &report["summary"][0];
    assert_eq!(summary["namespaces"]["changed"], 1);
    assert_eq!(summary["namespaces"]["removed"], 0);
    assert!(
        !report["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w["kind"] == "namespace-removed")
    );
    let access = access(&report);
    let at = "prod/shared-tools".to_string();
    assert_eq!(
        access.keys().cloned().collect::<BTreeSet<_>>(),
        [
            ("Group alpha-leads".to_string(), at.clone()),
            ("Group beta-devs".to_string(), at.clone()),
            ("User auditor@example.com".to_string(), at.clone()),
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        access[&("Group alpha-leads".to_string(), at.clone())],
        (BTreeSet::new(), role_grants(&repo, "admin"))
    );
    assert_eq!(
        access[&("User auditor@example.com".to_string(), at.clone())],
        (BTreeSet::new(), role_grants(&repo, "viewer"))
    );
    assert_eq!(
        access[&("Group beta-devs".to_string(), at)],
        (role_grants(&repo, "deployer"), BTreeSet::new())
    );
}

#[test]
fn role_change_in_the_policy() {
    let repo = fixture();
    repo.edit(
        "rbacc.yaml",
        "namespacePrefix: none",
        "namespacePrefix: none\n    viewers: { secrets: true }",
    );
    commit(repo.path(), "viewers read secrets");
    let report = check_reports(&repo, "role-change", COMMITTED);
    // Reported once, for the role, not per namespace.
    assert_eq!(report["access"]["subjects"], serde_json::json!([]));
    let roles = report["access"]["roles"].as_array().expect("roles");
    assert_eq!(roles.len(), 1);
    assert_eq!(roles[0]["role"], "rbacc:viewer");
    assert_eq!(roles[0]["namespaces"], 2);
    assert_eq!(roles[0]["subjects"], 1);
    let gains: BTreeSet<String> = roles[0]["gains"]
        .as_array()
        .expect("gains")
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["verb"].as_str().expect("verb"),
                p["resource"].as_str().expect("resource")
            )
        })
        .collect();
    assert_eq!(
        gains,
        set(&["get secrets", "list secrets", "watch secrets"])
    );
    assert!(roles[0]["losses"].as_array().expect("losses").is_empty());
    let kinds: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["kind"].as_str().expect("kind"))
        .collect();
    // The policy's own warning, and the risk finding it brings: viewers
    // now read Secrets.
    assert_eq!(
        kinds,
        ["escalation", "risky-grant", "risky-grant", "policy"]
    );
    assert!(
        report["warnings"][2]["message"]
            .as_str()
            .is_some_and(|m| m.contains("can read Secrets") && m.contains("(access-risk)")),
        "{}",
        report["warnings"]
    );
}

/// A pull request that adds an `allow:` to a team file shows it, with its
/// reason, among the warnings.
#[test]
fn accepted_risks_are_shown() {
    let repo = fixture();
    repo.edit(
        "teams/alpha.yaml",
        "  namespaces:\n",
        "  allow:\n    - { risk: secrets, role: admin, reason: leads rotate the database password }\n  namespaces:\n",
    );
    commit(repo.path(), "accept");
    let run = diff(&repo, COMMITTED);
    run.expect_code(0)
        .stdout_has("teams/alpha.yaml: the team accepts risk `secrets` through `admin`: \"leads rotate the database password\"");
    let stdout = run.stdout();
    // Nothing else changed: no access change, no output file.
    assert!(
        stdout.contains("no subject gains or loses access")
            && stdout.contains("Manifests (0 files differ)"),
        "{stdout}"
    );
}

/// A pull request that widens what a NetworkPolicy admits shows it among
/// the warnings: the team's findings, the `allow:` that accepts one (with
/// its policy) and the platform's policies changed in rbacc.yaml.
#[test]
fn network_policy_widening_is_shown() {
    let repo = fixture();
    repo.edit(
        "teams/alpha.yaml",
        "  namespaces:\n    - alpha-prod\n",
        "  allow:\n    - { risk: ingress-internet, networkPolicy: public, reason: the storefront }\n  namespaces:\n    - name: alpha-prod\n      networkPolicies:\n        - name: public\n          ingress:\n            - from: [{ ipBlock: { cidr: 0.0.0.0/0 } }]\n        - name: everyone\n          ingress:\n            - from: [{ namespaceSelector: {} }]\n",
    );
    repo.edit(
        "rbacc.yaml",
        "  defaults:\n",
        "  networkPolicies:\n    - name: allow-same-namespace\n      ingress:\n        - from: [{ sameNamespace: true }]\n  defaults:\n",
    );
    commit(repo.path(), "open alpha-prod");
    let json = diff(
        &repo,
        &["--base", "HEAD~1", "--head", "HEAD", "--format", "json"],
    )
    .expect_code(0)
    .stdout();
    let report: Value = serde_json::from_str(&json).expect("the JSON report parses");
    let warnings: Vec<(String, String)> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            (
                w["kind"].as_str().expect("kind").to_string(),
                w["message"].as_str().expect("message").to_string(),
            )
        })
        .collect();
    let has = |kind: &str, parts: &[&str]| {
        warnings
            .iter()
            .any(|(k, m)| k == kind && parts.iter().all(|p| m.contains(p)))
    };
    assert!(
        has(
            "risky-grant",
            &[
                "NetworkPolicy `everyone`",
                "every namespace",
                "(network-risk)"
            ]
        ),
        "{warnings:#?}"
    );
    assert!(
        has(
            "accepted-risk",
            &[
                "accepts risk `ingress-internet` for NetworkPolicy `public`",
                "the storefront"
            ]
        ),
        "{warnings:#?}"
    );
    assert!(
        has(
            "policy",
            &["rbacc.yaml: NetworkPolicy `allow-same-namespace` is added"]
        ),
        "{warnings:#?}"
    );
}

#[test]
fn template_change() {
    let repo = fixture();
    repo.edit(
        "templates/team-login.yaml.j2",
        "        interactiveMode: IfAvailable\n",
        "        interactiveMode: Never\n",
    );
    commit(repo.path(), "no interactive login");
    let report = check_reports(&repo, "template-change", COMMITTED);
    assert_eq!(report["summary"][0]["kubeconfigs"]["changed"], 2);
    assert_eq!(report["access"]["subjects"], serde_json::json!([]));
    assert_eq!(report["access"]["roles"], serde_json::json!([]));
}

#[test]
fn base_that_does_not_compile() {
    let repo = Repo::copy_of(&fixtures().join("diff/repo"));
    repo.edit("teams/beta.yaml", "  members:", "  memebrs:");
    init(repo.path());
    commit(repo.path(), "broken");
    repo.edit("teams/beta.yaml", "  memebrs:", "  members:");
    commit(repo.path(), "fixed");
    diff(&repo, COMMITTED)
        .expect_code(0)
        .stderr_has("does not compile");
    let report = check_reports(&repo, "base-invalid", COMMITTED);
    assert_eq!(report["base"]["compiled"], false);
    assert_eq!(report["warnings"][0]["kind"], "base-invalid");
    // Compared with nothing: every file is added.
    assert!(
        report["files"]
            .as_array()
            .expect("files")
            .iter()
            .all(|f| f["status"] == "added")
    );
}

#[test]
fn head_that_does_not_compile() {
    let repo = fixture();
    repo.edit("teams/beta.yaml", "  members:", "  memebrs:");
    let run = diff(&repo, &["--base", "HEAD"]);
    run.expect_code(1);
    assert!(run.stdout().is_empty());
    assert!(
        run.stderr().contains("unknown field `memebrs`"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("the head does not compile"));
}

/// The comment of a head that does not compile replaces the previous
/// report: the same marker, the diagnostics, and still exit 1.
#[test]
fn head_that_does_not_compile_replaces_the_comment() {
    let repo = fixture();
    repo.edit("teams/beta.yaml", "  members:", "  memebrs:");
    commit(repo.path(), "typo");
    let base = git(repo.path(), &["rev-parse", "HEAD~1"]);
    let run = diff(
        &repo,
        &["--base", base.trim(), "--head", "HEAD", "-o", "markdown"],
    );
    run.expect_code(1);
    let markdown = run.stdout();
    assert!(markdown.starts_with("<!-- rbacc-diff -->\n"), "{markdown}");
    assert!(markdown.contains("unknown field `memebrs`"), "{markdown}");
    assert!(run.stderr().contains("the head does not compile"));
    // Named by its full commit id, the base shows as the short one alone.
    assert!(!markdown.contains(base.trim()), "{markdown}");
    assert_text(
        &normalize(&repo, &markdown).replace(&base.trim()[..7], "<commit>"),
        &snapshot("head-invalid.md"),
    );
}

/// Many errors: the comment is cut at a whole line, within the limit.
#[test]
fn head_with_many_errors_fits_a_comment() {
    let repo = fixture();
    for i in 0..600 {
        repo.write(
            &format!("teams/broken{i:03}.yaml"),
            format!(
                "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: broken{i:03}\nspec:\n  memebrs: {{}}\n  namespaces: [broken{i:03}-prod]\n  colour: red\n"
            ),
        );
    }
    let run = diff(&repo, &["--base", "HEAD", "-o", "markdown"]);
    run.expect_code(1);
    let markdown = run.stdout();
    assert!(markdown.len() <= COMMENT_LIMIT, "{}", markdown.len());
    assert!(markdown.starts_with("<!-- rbacc-diff -->\n"));
    assert!(
        markdown.contains("The diagnostics are cut to fit"),
        "{markdown}"
    );
    assert_eq!(
        markdown.lines().filter(|l| l.starts_with("```")).count(),
        2,
        "one whole code block"
    );
}

/// A promotion and a demotion read as moves between roles, with what the
/// subject can now or no longer do.
#[test]
fn promotion_and_demotion() {
    let repo = fixture();
    repo.edit(
        "teams/alpha.yaml",
        "    viewer: { users: [auditor@example.com] }\n",
        "    deployer: { users: [auditor@example.com] }\n",
    );
    commit(repo.path(), "promote the auditor");
    let report = check_reports(&repo, "promotion", COMMITTED);
    let markdown = diff(&repo, &[COMMITTED, &["-o", "markdown"]].concat()).stdout();
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| ⚠️ User `auditor@example.com` |"))
        .expect("the auditor's row");
    assert!(
        row.contains("| ⚠️ `viewer` → `deployer` (now reads Secrets and creates pods) |"),
        "{row}"
    );
    let change = &report["access"]["subjects"][0]["changes"][0];
    assert_eq!(change["rolesBefore"][0]["name"], "viewer");
    assert_eq!(change["rolesAfter"][0]["name"], "deployer");
    assert_eq!(change["rolesAfter"][0]["kind"], "built-in");
    assert_eq!(change["now"], serde_json::json!(["secrets", "pods-create"]));

    repo.edit(
        "teams/alpha.yaml",
        "    admin: { groups: [alpha-leads] }\n",
        "    viewer: { groups: [alpha-leads] }\n",
    );
    commit(repo.path(), "demote the leads");
    check_reports(&repo, "demotion", COMMITTED);
    let markdown = diff(&repo, &[COMMITTED, &["-o", "markdown"]].concat()).stdout();
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| Group `alpha-leads` |"))
        .expect("the leads' row");
    assert!(
        row.contains("| `admin` → `viewer` (no longer reads Secrets, creates pods, execs into pods, mints service-account tokens or writes RBAC objects) |"),
        "{row}"
    );
}

#[test]
fn uncommitted_change_in_the_work_tree() {
    let repo = fixture();
    repo.edit(
        "teams/alpha.yaml",
        "viewer: { users: [auditor@example.com] }",
        "viewer: { users: [auditor@example.com, bob@example.com] }",
    );
    let status = git(repo.path(), &["status", "--porcelain=v2"]);
    let index = std::fs::read(repo.path().join(".git/index")).expect("index");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    let report = check_reports(&repo, "uncommitted", &["--base", "HEAD"]);
    assert_eq!(report["head"]["name"], "work tree");
    let access = access(&report);
    assert_eq!(
        access
            .keys()
            .map(|(who, _)| who.as_str())
            .collect::<BTreeSet<_>>(),
        ["User bob@example.com"].into_iter().collect()
    );
    // Nothing was checked out, staged or written.
    assert_eq!(git(repo.path(), &["status", "--porcelain=v2"]), status);
    assert_eq!(
        std::fs::read(repo.path().join(".git/index")).expect("index"),
        index
    );
    assert_eq!(git(repo.path(), &["rev-parse", "HEAD"]), head);
    assert!(!repo.path().join("out").exists());
}

#[test]
fn nothing_changed_and_exit_code() {
    let repo = fixture();
    let run = diff(&repo, &["--base", "HEAD"]);
    run.expect_code(0);
    assert!(
        run.stdout()
            .contains("the manifests of both sides are identical")
    );
    diff(&repo, &["--base", "HEAD", "--exit-code"]).expect_code(0);
    repo.edit(
        "teams/beta.yaml",
        "deployer: { groups: [beta-devs] }",
        "deployer: { groups: [beta-devs, beta-ops] }",
    );
    diff(&repo, &["--base", "HEAD"]).expect_code(0);
    diff(&repo, &["--base", "HEAD", "--exit-code"]).expect_code(1);
}

/// `-q` quiets the report, as `git diff --quiet`: nothing printed, and the
/// exit code says whether anything changed; a format asked for by name is
/// still printed.
#[test]
fn quiet_diff_prints_nothing_and_says_by_its_exit_code() {
    let repo = fixture();
    diff(&repo, &["--base", "HEAD", "-q"])
        .expect_code(0)
        .stdout_is("")
        .stderr_is("");
    repo.edit(
        "teams/beta.yaml",
        "deployer: { groups: [beta-devs] }",
        "deployer: { groups: [beta-devs, beta-ops] }",
    );
    diff(&repo, &["--base", "HEAD", "-q"])
        .expect_code(1)
        .stdout_is("")
        .stderr_is("");
    diff(&repo, &["--base", "HEAD", "-q", "-o", "json"])
        .expect_code(0)
        .stdout_has("beta-ops");
}

#[test]
fn shallow_clone_without_the_base() {
    let repo = fixture();
    repo.edit(
        "teams/beta.yaml",
        "deployer: { groups: [beta-devs] }",
        "deployer: { groups: [beta-devs, beta-ops] }",
    );
    commit(repo.path(), "second");
    let base = git(repo.path(), &["rev-parse", "HEAD~1"])
        .trim()
        .to_string();
    let clone = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", repo.path().display());
    let dst = clone.path().join("clone");
    git(
        clone.path(),
        &[
            "clone",
            "--quiet",
            "--depth",
            "1",
            &url,
            dst.to_str().expect("utf-8"),
        ],
    );
    for rev in [base.as_str(), "HEAD~1", "origin/no-such-branch"] {
        let run = rbacc(
            &[
                "diff",
                "--base",
                rev,
                "--repo",
                dst.to_str().expect("utf-8"),
            ],
            &dst,
        );
        run.expect_code(2).stderr_has("shallow clone");
        let stderr = run.stderr();
        let fix = match rev {
            "HEAD~1" => "git fetch --deepen=<commits>".to_string(),
            _ => format!(
                "git fetch --depth=1 origin {}",
                rev.strip_prefix("origin/").unwrap_or(rev)
            ),
        };
        assert!(stderr.contains(&fix), "{stderr}");
    }
    // Once fetched, it works.
    git(&dst, &["fetch", "--quiet", "--depth=1", "origin", &base]);
    rbacc(
        &[
            "diff",
            "--base",
            &base,
            "--repo",
            dst.to_str().expect("utf-8"),
        ],
        &dst,
    )
    .expect_code(0)
    .stdout_has("Group beta-ops");
}

#[test]
fn not_a_git_repository() {
    let repo = Repo::copy_of(&fixtures().join("diff/repo"));
    diff(&repo, &["--base", "HEAD"])
        .expect_code(2)
        .stderr_has("not in a git repository");
}

#[test]
fn links_in_the_tree_stay_in_the_repository() {
    let repo = fixture();
    std::os::unix::fs::symlink(
        "../../../../etc/hostname",
        repo.path().join("teams/evil.yaml"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink("alpha.yaml", repo.path().join("teams/alias.yml")).expect("symlink");
    commit(repo.path(), "a link out");
    diff(&repo, COMMITTED)
        .expect_code(1)
        .stderr_has("outside the repository")
        .stderr_has("teams/evil.yaml")
        .stderr_has("teams/alias.yml");
}

#[test]
fn repository_in_a_subdirectory() {
    let mono = Repo::new();
    crate::support::copy_tree(
        &fixtures().join("diff/repo"),
        &mono.path().join("platform/rbac"),
    );
    mono.write("README.md", "a monorepo\n");
    init(mono.path());
    commit(mono.path(), "base");
    let sub = mono.path().join("platform/rbac");
    std::fs::remove_file(sub.join("teams/beta.yaml")).expect("remove");
    commit(mono.path(), "remove beta");
    rbacc(
        &[
            "diff",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--repo",
            sub.to_str().expect("utf-8"),
        ],
        mono.path(),
    )
    .expect_code(0)
    .stdout_has("namespace `beta-prod` leaves prod");
}

/// The "done when" of the feature: moving auditor@example.com from viewer
/// to deployer in the example organisation leads the report with what the
/// user gains.
#[test]
fn auditor_becomes_a_deployer() {
    let repo = git_repo(Repo::example().path());
    repo.edit(
        "teams/payments.yaml",
        "deployer: { groups: [payments-devs] }",
        "deployer: { groups: [payments-devs], users: [auditor@example.com] }",
    );
    repo.edit(
        "teams/payments.yaml",
        "    viewer:   { users: [auditor@example.com] }\n",
        "",
    );
    commit(repo.path(), "auditor deploys");
    let report = check_reports(&repo, "auditor-deployer", COMMITTED);

    let text = diff(&repo, COMMITTED).stdout();
    let section = text
        .split("\nAccess changes\n")
        .nth(1)
        .expect("an access section");
    let first: Vec<&str> = section.lines().take(5).collect();
    assert_eq!(first[0], "  User auditor@example.com");
    assert_eq!(
        first[1],
        "    in prod/payments-dev, prod/payments-prod, staging/payments-dev"
    );
    assert_eq!(
        first[2],
        "      viewer → deployer (now reads Secrets and creates pods)"
    );
    assert!(
        first[3].starts_with("      + create, update, patch on every resource except ")
            && first[3].ends_with("⚠ escalation: Secrets"),
        "{}",
        first[3]
    );
    assert_eq!(
        first[4],
        "      + get, list, watch on secrets  ⚠ escalation: Secrets"
    );

    let markdown = diff(
        &repo,
        &["--base", "HEAD~1", "--head", "HEAD", "-o", "markdown"],
    )
    .stdout();
    assert!(markdown.len() <= COMMENT_LIMIT);
    // The first table in roles, the verbs folded under it.
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| ⚠️ User `auditor@example.com`"))
        .collect();
    assert_eq!(
        rows[0],
        "| ⚠️ User `auditor@example.com` | ⚠️ `viewer` → `deployer` (now reads Secrets and creates pods) | prod: `payments-dev`, `payments-prod`<br>staging: `payments-dev` |"
    );
    let (table, detail) = markdown
        .split_once("<details><summary>Permissions gained and lost, verb by verb</summary>")
        .expect("the detail");
    assert!(!table.contains("create, update, patch"), "{table}");
    assert!(
        rows[1].contains("create, update, patch on every resource except"),
        "{}",
        rows[1]
    );
    assert!(detail.contains("get, list, watch on `secrets`"), "{detail}");

    // Exactly the difference between the two roles, in every namespace of
    // the team, and nobody else's access changes.
    let access = access(&report);
    let (deployer, viewer) = (role_grants(&repo, "deployer"), role_grants(&repo, "viewer"));
    let gains: BTreeSet<String> = deployer.difference(&viewer).cloned().collect();
    let losses: BTreeSet<String> = viewer.difference(&deployer).cloned().collect();
    let places: Vec<String> = access
        .keys()
        .map(|(who, at)| {
            assert_eq!(who, "User auditor@example.com");
            at.clone()
        })
        .collect();
    assert_eq!(
        places,
        [
            "prod/payments-dev",
            "prod/payments-prod",
            "staging/payments-dev"
        ]
    );
    for change in access.values() {
        assert_eq!(change, &(gains.clone(), losses.clone()));
    }
    for verb in ["create", "update", "patch"] {
        assert!(gains.contains(&format!("{verb} deployments.apps")));
        assert!(gains.contains(&format!("{verb} configmaps")));
    }
    for verb in ["get", "list", "watch"] {
        assert!(gains.contains(&format!("{verb} secrets")));
    }
}

/// A change far larger than a comment: the markdown keeps within GitHub's
/// limit, says how to get everything, and the text report has it all.
#[test]
fn very_large_change_fits_a_comment() {
    let repo = fixture();
    for i in 0..300 {
        let team = format!("team{i:03}");
        repo.write(
            &format!("teams/{team}.yaml"),
            format!(
                "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}\nspec:\n  members:\n    admin: {{ groups: [{team}-leads] }}\n    deployer: {{ groups: [{team}-devs] }}\n  namespaces:\n    - {team}-prod\n    - {team}-dev\n"
            ),
        );
    }
    commit(repo.path(), "300 teams");
    let markdown = diff(
        &repo,
        &["--base", "HEAD~1", "--head", "HEAD", "-o", "markdown"],
    )
    .expect_code(0)
    .stdout();
    assert!(
        markdown.chars().count() <= COMMENT_LIMIT,
        "{}",
        markdown.len()
    );
    assert!(markdown.len() <= COMMENT_LIMIT);
    assert!(
        markdown.contains("| prod | +600 ~0 −0 |"),
        "the summary is whole"
    );
    assert!(markdown.contains("The report is cut to fit GitHub's limit"));
    assert!(markdown.contains("`rbacc diff --base HEAD~1`"));
    assert!(markdown.trim_end().ends_with("artifact."));
    // Balanced: every <details> is closed, every fence too.
    assert_eq!(
        markdown.matches("<details>").count(),
        markdown.matches("</details>").count()
    );
    assert_eq!(
        markdown.lines().filter(|l| l.starts_with("```")).count() % 2,
        0
    );
    let text = diff(&repo, COMMITTED).expect_code(0).stdout();
    assert_eq!(text.matches("\n+++ b/out/").count(), 300 * 5 + 1);
}

/// The CI examples are YAML, find the comment by the marker the report
/// starts with, and are shown in the README as they are.
#[test]
fn ci_examples_are_yaml_and_in_the_readme() {
    let readme = std::fs::read_to_string(crate::support::root().join("README.md")).expect("README");
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let path = crate::support::root().join("docs/ci").join(file);
        let text = std::fs::read_to_string(&path).expect("CI example");
        let doc: Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
        assert!(doc.is_object(), "{file}: a mapping");
        assert!(
            text.contains("<!-- rbacc-diff -->"),
            "{file}: finds its comment"
        );
        assert!(text.contains("-o markdown"), "{file}");
        // A head that does not compile still replaces the comment: no diff
        // command ends the script before the comment is posted.
        for line in text.lines().filter(|l| l.contains("rbacc diff ")) {
            assert!(
                line.ends_with("|| status=$?") || line.ends_with("|| check=$?"),
                "{file}: a failing diff ends the script before the comment: {line}"
            );
        }
        assert!(!text.contains("does not compile: see the log"), "{file}");
        assert!(text.contains("rbacc check"), "{file}");
        assert!(
            readme.contains(&format!("```yaml\n{text}```")),
            "README.md does not show docs/ci/{file} as it is"
        );
    }
    let path = crate::support::root().join("docs/ci/github-actions-expiry.yml");
    let text = std::fs::read_to_string(&path).expect("CI example");
    let doc: Value = serde_saphyr::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
    assert!(doc["on"]["schedule"].is_array(), "a scheduled workflow");
    assert!(text.contains("rbacc check") && text.contains("rbacc build"));
    assert!(
        readme.contains(&format!("```yaml\n{text}```")),
        "README.md does not show docs/ci/github-actions-expiry.yml as it is"
    );
    let path = crate::support::root().join("docs/ci/github-code-scanning.yml");
    let text = std::fs::read_to_string(&path).expect("CI example");
    assert!(text.contains("rbacc check -o sarif"));
    assert!(
        readme.contains(&format!("```yaml\n{text}```")),
        "README.md does not show docs/ci/github-code-scanning.yml as it is"
    );
}

/// A namespace renamed is a namespace removed and one added: the report
/// says nothing moves. A change to one team's file alone says nothing of
/// several teams.
#[test]
fn renamed_namespace_is_called_out() {
    let repo = fixture();
    repo.edit(
        "teams/alpha.yaml",
        "    - alpha-prod\n",
        "    - alpha-production\n",
    );
    commit(repo.path(), "rename");
    let run = diff(&repo, COMMITTED);
    let stdout = run.expect_code(0).stdout();
    assert!(
        stdout.contains("team `alpha` on prod loses `alpha-prod` and gains `alpha-production`: if this is a rename, nothing moves"),
        "{stdout}"
    );
    assert!(!stdout.contains("touches the files of"), "{stdout}");
    let json: Value = serde_json::from_str(
        &diff(&repo, &[COMMITTED, &["-o", "json"]].concat())
            .expect_code(0)
            .stdout(),
    )
    .expect("JSON");
    let kinds: Vec<&str> = json["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["kind"].as_str())
        .collect();
    assert!(
        kinds.contains(&"namespace-renamed") && kinds.contains(&"namespace-removed"),
        "{kinds:?}"
    );
}

/// A grant of a role the cluster already holds (`spec.existingRoles`) is
/// access like any other: the diff names who gains what through it, from
/// the rules rbacc assumes for that role.
#[test]
fn a_grant_of_an_existing_role_is_shown() {
    let repo = git_repo(&fixtures().join("ok/cluster-bindings/repo"));
    repo.edit(
        "teams/shop.yaml",
        "viewer: { groups: [shop] }",
        "viewer: { groups: [shop] }\n    view: { groups: [mallory] }",
    );
    let run = diff(&repo, &["--base", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let report: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let access = access(&report);
    let who: BTreeSet<&str> = access.keys().map(|(who, _)| who.as_str()).collect();
    assert_eq!(
        who,
        set(&["Group mallory"]).iter().map(String::as_str).collect()
    );
    for ((_, at), (gains, losses)) in &access {
        assert!(losses.is_empty(), "{at}");
        assert!(gains.contains("get pods"), "{at}: {gains:?}");
        assert!(
            !gains.iter().any(|g| g.contains("secrets")),
            "{at}: {gains:?}"
        );
    }
    assert_eq!(
        access
            .keys()
            .map(|(_, at)| at.as_str())
            .collect::<BTreeSet<_>>(),
        set(&["prod/shop-prod", "staging/shop-prod"])
            .iter()
            .map(String::as_str)
            .collect()
    );
}

/// Every character a team may write in a rule is evaluated, DEL included:
/// the evaluation never goes through a text format that refuses it.
#[test]
fn a_resource_name_with_any_character_is_evaluated() {
    let repo = Repo::example();
    init(repo.path());
    commit(repo.path(), "base");
    repo.write(
        "teams/dbg.yaml",
        crate::support::debugger_team(
            r#"{ apiGroups: [""], resources: [configmaps], verbs: [get], resourceNames: ["k\x7fey"] }"#,
            "",
        ),
    );
    let run = diff(&repo, &["--base", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let report: Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let access = access(&report);
    let in_namespace: Vec<_> = access
        .iter()
        .filter(|((_, at), _)| at.ends_with("/dbg-prod"))
        .collect();
    assert!(!in_namespace.is_empty(), "{access:?}");
    for ((who, at), (gains, _)) in in_namespace {
        assert_eq!(who, "Group dbg", "{at}");
        assert_eq!(gains, &set(&["get configmaps k\u{7f}ey"]), "{at}");
    }
}
