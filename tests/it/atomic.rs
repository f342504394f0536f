//! `out/` is never half-written: builds killed at random points leave it
//! fully old, or committed to an update the next build finishes; two builds
//! never interleave.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Repo, read_tree};

/// An organisation of `teams` teams; `variant` changes every namespace's
/// labels, so that every namespace file differs between variants.
fn organisation(repo: &Repo, teams: usize, variant: &str) {
    repo.write(
        "rbacc.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Config\nspec:\n  clusters:\n    - { name: prod, server: https://prod.example.com }\n    - { name: staging, server: https://staging.example.com }\n",
    );
    for i in 0..teams {
        repo.write(
            &format!("teams/t{i}.yaml"),
            format!(
                "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata: {{ name: t{i} }}\nspec:\n  members:\n    admin: {{ groups: [t{i}-leads] }}\n    deployer: {{ groups: [t{i}-devs] }}\n  namespaces:\n    - {{ name: t{i}-a, labels: {{ variant: {variant} }} }}\n    - {{ name: t{i}-b, labels: {{ variant: {variant} }} }}\n"
            ),
        );
    }
}

fn build(repo: &Repo) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_rbacc"))
        .args(["build", "--quiet", "--repo"])
        .arg(repo.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start rbacc")
}

fn leftovers(repo: &Repo) -> Vec<String> {
    std::fs::read_dir(repo.path())
        .expect("read repo")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.rbacc-") && n != ".out.rbacc-state")
        .collect()
}

/// Kills `rbacc build` at spread-out moments of an update that rewrites every
/// namespace file. After each kill, `out/` is either exactly the old tree,
/// or (when the update was committed) every file is either its old or its
/// new version, never a partial one; the next build then leaves exactly the
/// new tree and nothing beside it.
#[test]
fn killed_builds_leave_old_or_committed_output() {
    const TEAMS: usize = 150;
    let repo = Repo::new();
    organisation(&repo, TEAMS, "old");
    repo.rbacc(&["build"]).expect_code(0);
    let old = read_tree(&repo.out());
    organisation(&repo, TEAMS, "new");
    let reference = Repo::new();
    organisation(&reference, TEAMS, "new");
    reference.rbacc(&["build"]).expect_code(0);
    let new = read_tree(&reference.out());
    assert_ne!(old, new);

    let start = Instant::now();
    let mut timing = build(&repo);
    timing.wait().expect("wait");
    let full = start.elapsed();

    let mut outcomes = BTreeMap::new();
    for step in 0..12u32 {
        // Back to the old tree, then kill an update to the new one.
        organisation(&repo, TEAMS, "old");
        repo.rbacc(&["build"]).expect_code(0);
        assert_eq!(read_tree(&repo.out()), old);
        organisation(&repo, TEAMS, "new");
        let delay = full.mul_f64(f64::from(step) / 10.0);
        let mut child = build(&repo);
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait");

        let after = read_tree(&repo.out());
        let committed = repo.path().join(".out.rbacc-journal").exists();
        if !committed {
            // Killed before the commit point, or after the update was fully
            // applied (while recording state or exiting): whole trees only.
            assert!(
                after == old || after == new,
                "with no journal pending, out/ is exactly the old or the new tree (step {step})"
            );
        }
        for (path, contents) in &after {
            let is_old = old.get(path) == Some(contents);
            let is_new = new.get(path) == Some(contents);
            assert!(
                is_old || is_new,
                "{path} is neither its old nor its new version (step {step})"
            );
        }
        let outcome = match (status.code(), committed) {
            (Some(0), _) => "finished",
            (_, true) => "killed after commit",
            (_, false) if after == old => "killed before commit",
            (_, false) => "killed after the update was applied",
        };
        *outcomes.entry(outcome).or_insert(0) += 1;

        repo.rbacc(&["build"]).expect_code(0);
        assert_eq!(
            read_tree(&repo.out()),
            new,
            "the next build completes the update (step {step})"
        );
        assert!(
            leftovers(&repo).is_empty(),
            "nothing left beside out/: {:?}",
            leftovers(&repo)
        );
    }
    assert!(
        outcomes.contains_key("killed before commit"),
        "some kills land before the commit: {outcomes:?}"
    );
}

/// `check` refuses to judge a tree with an update pending, and names the fix.
#[test]
fn check_reports_a_pending_update() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    repo.write(".out.rbacc-journal", "rbacc journal v1\n");
    repo.rbacc(&["check"])
        .expect_code(2)
        .stderr_has("run `rbacc build` to finish it");
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
}

/// A build while another holds the lock fails at once with a clear message
/// and writes nothing.
#[test]
fn concurrent_builds_do_not_interleave() {
    let repo = Repo::example();
    let dir = std::fs::File::open(repo.path()).expect("open repo dir");
    dir.try_lock()
        .expect("take the lock a running build would hold");
    let start = Instant::now();
    repo.rbacc(&["build"])
        .expect_code(2)
        .stderr_has("another `rbacc build` is writing");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "fails fast instead of waiting"
    );
    assert!(!repo.out().exists(), "nothing written");
    dir.unlock().expect("unlock");
    repo.rbacc(&["build"]).expect_code(0);
}
