//! `rbacc build` and `rbacc check` on good input.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::support::{Repo, assert_tree, check_with_consumers, rbacc, read_tree, root};

/// One test per case of `tests/fixtures/ok/`, named after it.
mod ok {
    use crate::support::{assert_corpus_listed, corpus, fixtures};

    corpus!(fixtures().join("ok"), super::compiles_to_expected_output;
        argocd_projects,
        cluster_bindings,
        existing_roles,
        kubeconfig_templates,
        minimal,
        namespace_metadata,
        network_policies,
        policy_options,
        team_roles,
    );

    /// Every case on disk has its test above, and every test its case.
    #[test]
    fn every_case_has_a_test() {
        assert!(assert_corpus_listed(&fixtures().join("ok"), CASES) > 0);
    }
}

/// One case of the corpus compiles to its `expected/` tree, which kustomize
/// renders and the strict validator accepts, and `check` then passes.
fn compiles_to_expected_output(case: &Path) {
    let repo = Repo::copy_of(&case.join("repo"));
    repo.rbacc(&["build"]).expect_code(0);
    assert_tree(&repo.out(), &case.join("expected"));
    check_with_consumers(&repo.out());
    repo.rbacc(&["check"]).expect_code(0);
}

/// The committed `out/` of this repository is what `rbacc build` writes for
/// the example organisation, and the consumers accept it.
#[test]
fn example_organisation_output_is_current_and_valid() {
    let run = rbacc(
        &["check", "--repo", root().to_str().expect("utf-8 path")],
        &root(),
    );
    run.expect_code(0);
    check_with_consumers(&root().join("out"));
}

#[test]
fn check_fails_on_hand_edited_output() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    let file = repo.out().join("prod/teams/payments/payments-prod.yaml");
    let edited = std::fs::read_to_string(&file)
        .expect("read")
        .replace("rbacc:viewer", "cluster-admin");
    std::fs::write(&file, edited).expect("write");
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("differs  prod/teams/payments/payments-prod.yaml");
}

#[test]
fn check_fails_on_missing_and_stale_output() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    std::fs::remove_file(repo.out().join("staging/teams/sre/sre-tools.yaml")).expect("remove");
    std::fs::remove_file(repo.path().join("teams/web/storefront.yaml")).expect("remove team");
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("missing  staging/teams/sre/sre-tools.yaml")
        .stderr_has("stale    prod/teams/storefront/storefront-prod.yaml");
}

#[test]
fn check_on_empty_out_lists_every_file_as_missing() {
    let repo = Repo::example();
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("missing  prod/kustomization.yaml");
}

/// A second build with nothing changed writes nothing: every file keeps its
/// inode and modification time.
#[test]
fn noop_build_writes_nothing() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    let before = stat_tree(&repo.out());
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("0 added, 0 changed, 0 removed");
    assert_eq!(stat_tree(&repo.out()), before);
}

/// Changing one team rewrites only that team's files; files of other teams
/// keep their inode (they are not rewritten) and files rbacc did not
/// generate survive; generated files no longer produced are removed.
#[test]
fn build_rewrites_only_what_changed_and_keeps_foreign_files() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    repo.write("out/prod/NOTES.md", "hand-written\n");
    let before = stat_tree(&repo.out());
    let payments = repo.path().join("teams/payments.yaml");
    let text = std::fs::read_to_string(&payments)
        .expect("read")
        .replace("cc-42", "cc-99");
    std::fs::write(&payments, text).expect("write");
    std::fs::remove_file(repo.path().join("teams/sre.yaml")).expect("remove sre");
    // sre is granted access by payments; drop that grant too.
    let text = std::fs::read_to_string(&payments)
        .expect("read")
        .replace("teams: [sre], ", "");
    std::fs::write(&payments, text).expect("write");

    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("kept prod/NOTES.md");
    let after = stat_tree(&repo.out());
    assert_eq!(
        after["prod/NOTES.md"], before["prod/NOTES.md"],
        "foreign file untouched"
    );
    assert_ne!(
        after["prod/teams/payments/payments-prod.yaml"],
        before["prod/teams/payments/payments-prod.yaml"]
    );
    assert_eq!(
        after["prod/teams/storefront/storefront-prod.yaml"],
        before["prod/teams/storefront/storefront-prod.yaml"],
        "other teams' files are not rewritten"
    );
    assert!(
        !after.contains_key("prod/teams/sre/sre-tools.yaml"),
        "removed team's files are pruned"
    );
    // Kept, but `check` fails while it is there: the GitOps engine would
    // apply it.
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("foreign  prod/NOTES.md");
    std::fs::remove_file(repo.out().join("prod/NOTES.md")).expect("remove NOTES.md");
    repo.rbacc(&["check"]).expect_code(0);
}

#[test]
fn build_with_separate_out_dir() {
    let repo = Repo::example();
    let out = tempfile::tempdir().expect("tmp");
    let target = out.path().join("nested/out");
    repo.rbacc(&["build", "--out", target.to_str().expect("utf-8")])
        .expect_code(0);
    assert!(target.join("prod/kustomization.yaml").is_file());
    assert!(
        !repo.out().exists(),
        "nothing written to the repo's own out/"
    );
    let mut entries: Vec<String> = std::fs::read_dir(out.path().join("nested"))
        .expect("read")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["out"],
        "only out/: the build record of an out/ outside the repository is in the cache directory"
    );
    let records = std::fs::read_dir(super::support::test_cache().join("rbacc"))
        .expect("the cache directory holds records")
        .count();
    assert!(records >= 1);
    // The record holds: once files are older than a clock tick, nothing
    // is compiled.
    let out = target.to_str().expect("utf-8");
    std::thread::sleep(std::time::Duration::from_millis(200));
    repo.rbacc(&["build", "--out", out]).expect_code(0);
    repo.rbacc(&["build", "--out", out])
        .expect_code(0)
        .stderr_has("nothing changed since the last build");
    repo.rbacc(&["check", "--out", out])
        .expect_code(0)
        .stderr_has("nothing changed since the last build");
}

#[test]
fn missing_repository_is_an_environment_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = rbacc(&["build", "--repo", "does-not-exist"], dir.path());
    run.expect_code(2);
    let empty = Repo::new();
    empty
        .rbacc(&["check"])
        .expect_code(2)
        .stderr_has("no `rbacc.yaml`");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    rbacc(&["build", "--no-such-flag"], dir.path()).expect_code(2);
    rbacc(&["frobnicate"], dir.path()).expect_code(2);
}

/// (inode, mtime) of every file, to tell rewritten files from kept ones.
fn stat_tree(dir: &std::path::Path) -> std::collections::BTreeMap<String, (u64, i64, i64)> {
    read_tree(dir)
        .into_keys()
        .map(|rel| {
            let meta = std::fs::metadata(dir.join(&rel)).expect("stat");
            (rel, (meta.ino(), meta.mtime(), meta.mtime_nsec()))
        })
        .collect()
}

/// The record that lets an unchanged repository skip compiling never hides
/// a change: a same-size hand edit right after a build is still caught by
/// `check`, and the record lives beside `out/`, not in it.
#[test]
fn unchanged_repo_fast_path_still_catches_hand_edits() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["build"]).expect_code(0);
    assert!(repo.path().join(".out.rbacc-state").is_file());
    assert!(
        !read_tree(&repo.out())
            .keys()
            .any(|p| p.contains("rbacc-state"))
    );
    let run = repo.rbacc(&["check"]);
    run.expect_code(0);

    let file = repo.out().join("prod/teams/payments/payments-prod.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    let edited = text.replacen("rbacc:viewer", "rbacc:zzzzzz", 1);
    assert_eq!(edited.len(), text.len());
    std::fs::write(&file, edited).expect("write");
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("differs  prod/teams/payments/payments-prod.yaml");
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
}

/// Warnings are printed on every build, also when nothing changed.
#[test]
fn warnings_show_on_every_build() {
    let repo = Repo::copy_of(&crate::support::fixtures().join("ok/policy-options/repo"));
    for _ in 0..3 {
        repo.rbacc(&["build"])
            .expect_code(0)
            .stderr_has("privileged-namespace");
    }
}

/// Run from a subdirectory, rbacc finds its repository above, as git does;
/// with none above, it says where it looked.
#[test]
fn the_repository_is_found_from_a_subdirectory() {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    rbacc(&["check"], &repo.path().join("teams/web"))
        .expect_code(0)
        .stderr_has("../../out is up to date");
    rbacc(
        &[
            "who-can",
            "get",
            "secrets",
            "-n",
            "payments-prod",
            "--cluster",
            "prod",
        ],
        &repo.path().join("teams"),
    )
    .expect_code(0)
    .stdout_has("payments-devs");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    rbacc(&["check"], elsewhere.path())
        .expect_code(2)
        .stderr_has("no `rbacc.yaml` in .");
}
