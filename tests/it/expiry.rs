//! Expiring access: `expires: YYYY-MM-DD` on a member entry or a grant,
//! judged on the date `RBACC_TODAY` gives, so no outcome depends on the
//! real clock.

use crate::support::{Repo, read_tree};

const CONFIG: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Config
spec:
  clusters:
    - name: only
      server: https://kubeapi.example.com:6443
  policy:
    risks: { secrets: allow, pods-exec: allow }
";

/// `blue` gives a contractor `deployer` until 2026-12-01, and grants the
/// `auditors` group and team `green` `viewer` until 2027-01-10.
const BLUE: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata:
  name: blue
spec:
  members:
    admin: { users: [alice@example.com] }
    deployer: { users: [contractor@example.com], expires: 2026-12-01 }
  namespaces:
    - name: blue-app
      grants:
        - { role: viewer, groups: [auditors], teams: [green], expires: 2027-01-10 }
";

const GREEN: &str = "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata:
  name: green
spec:
  members:
    admin: { groups: [green-devs] }
  namespaces:
    - green-app
";

fn repo() -> Repo {
    let repo = Repo::new();
    repo.write("rbacc.yaml", CONFIG)
        .write("teams/blue.yaml", BLUE)
        .write("teams/green.yaml", GREEN);
    repo
}

/// The namespace file of `blue-app`, as built on `today`.
fn blue_app(repo: &Repo, today: &str) -> String {
    repo.rbacc_on(today, &["build"]).expect_code(0);
    let tree = read_tree(&repo.out());
    String::from_utf8(tree["only/teams/blue/blue-app.yaml"].clone()).expect("UTF-8")
}

#[test]
fn access_holds_until_its_date_with_a_warning_from_two_weeks_before() {
    let repo = repo();

    // Three weeks before the first expiry: no word about it.
    let run = repo.rbacc_on("2026-11-10", &["check"]);
    assert!(
        !run.stderr().contains("expire"),
        "no warning three weeks ahead:\n{}",
        run.stderr()
    );
    let early = blue_app(&repo, "2026-11-10");
    assert!(early.contains("contractor@example.com"), "{early}");
    assert!(early.contains("name: auditors"), "{early}");
    assert!(early.contains("name: green-devs"), "{early}");

    // Ten days before: the same output, and a warning on the entry.
    let run = repo.rbacc_on("2026-11-21", &["check"]);
    run.expect_code(0);
    let stderr = run.stderr();
    assert!(
        stderr.contains("expires-soon")
            && stderr.contains("this access expires on 2026-12-01, in 10 days")
            && stderr.contains("teams/blue.yaml:8:"),
        "a warning on the member entry, with its line:\n{stderr}"
    );
    assert!(
        !stderr.contains("2027-01-10"),
        "the grant is seven weeks away: no warning yet\n{stderr}"
    );
    assert_eq!(blue_app(&repo, "2026-11-21"), early);

    // The day before: still granted.
    assert!(blue_app(&repo, "2026-11-30").contains("contractor@example.com"));
}

#[test]
fn expired_access_is_not_emitted_and_a_stale_out_fails_check() {
    let repo = repo();
    let before = blue_app(&repo, "2026-11-30");
    assert!(before.contains("contractor@example.com"));

    // On the day, `out/` from yesterday still grants it: check fails and
    // says why.
    repo.rbacc_on("2026-12-01", &["check"])
        .expect_code(1)
        .stderr_has("this access expired on 2026-12-01; it is no longer emitted")
        .stderr_has("expired today")
        .stderr_has("differs  only/teams/blue/blue-app.yaml")
        .stderr_has("it may still grant access that has expired");

    // A build on the day removes the binding and nothing else.
    let after = blue_app(&repo, "2026-12-01");
    assert!(!after.contains("contractor@example.com"), "{after}");
    assert!(
        !after.contains("blue-deployer"),
        "no empty binding is left: {after}"
    );
    assert!(after.contains("alice@example.com") && after.contains("name: auditors"));
    repo.rbacc_on("2026-12-01", &["check"]).expect_code(0);

    // The grant expires for its group and for the team it names alike.
    repo.rbacc_on("2027-01-11", &["check"])
        .expect_code(1)
        .stderr_has("expired yesterday");
    let later = blue_app(&repo, "2027-01-11");
    assert!(
        !later.contains("auditors") && !later.contains("green-devs"),
        "{later}"
    );
    assert!(later.contains("alice@example.com"));
}

#[test]
fn expired_access_answers_no_to_queries() {
    let repo = repo();
    let args = [
        "can-i",
        "create",
        "deployments.apps",
        "-n",
        "blue-app",
        "--as",
        "contractor@example.com",
    ];
    repo.rbacc_on("2026-11-30", &args)
        .expect_code(0)
        .stdout_is("yes\n");
    repo.rbacc_on("2026-12-01", &args)
        .expect_code(1)
        .stdout_is("no\n");
}

#[test]
fn a_date_that_is_not_one_is_an_error_and_nothing_is_written() {
    let repo = repo();
    repo.rbacc(&["build"]).expect_code(0);
    let before = read_tree(&repo.out());
    repo.write(
        "teams/blue.yaml",
        BLUE.replace("expires: 2026-12-01", "expires: 2026-12-32"),
    );
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has("`2026-12-32` is not a date: `2026-12-32` is not a day of the calendar")
        .stderr_has("teams/blue.yaml:8:")
        .stderr_has("nothing was written");
    assert_eq!(read_tree(&repo.out()), before);

    repo.write(
        "teams/blue.yaml",
        BLUE.replace("expires: 2026-12-01", "expires: 1 December"),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("`1 December` is not a date: write the date as `YYYY-MM-DD`");
}

#[test]
fn an_invalid_clock_is_an_environment_error() {
    repo()
        .rbacc_on("tomorrow", &["check"])
        .expect_code(2)
        .stderr_is("error: `RBACC_TODAY=tomorrow` is not a date: write the date as `YYYY-MM-DD`\n");
}

#[test]
fn the_build_record_is_not_trusted_on_another_day() {
    let repo = repo();
    // Three weeks ahead: no warning, so the build is recorded. A second
    // build re-records once the files are older than a clock tick.
    repo.rbacc_on("2026-11-10", &["build"]).expect_code(0);
    std::thread::sleep(std::time::Duration::from_millis(150));
    repo.rbacc_on("2026-11-10", &["build"]).expect_code(0);
    let run = repo.rbacc_on("2026-11-10", &["check"]);
    run.expect_code(0);
    assert!(
        run.stderr()
            .contains("nothing changed since the last build"),
        "same day: the record is used\n{}",
        run.stderr()
    );
    // Nothing in the repository changed, but the day did.
    repo.rbacc_on("2026-12-01", &["check"])
        .expect_code(1)
        .stderr_has("expired today");
}

/// An expired grant is still checked: it may name no team that does not
/// exist, even though it is not emitted.
#[test]
fn an_expired_grant_is_still_checked() {
    let repo = repo();
    repo.write(
        "teams/blue.yaml",
        BLUE.replace(
            "teams: [green], expires: 2027-01-10",
            "teams: [gren], expires: 2026-01-10",
        ),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("unknown team `gren`")
        .stderr_has("did you mean `green`?")
        .stderr_has("this access expired on 2026-01-10");
}
