//! The bad-input corpus: every case under `tests/fixtures/bad/<case>/repo`
//! is rejected with exit code 1 and the diagnostics in
//! `<case>/expected.stderr`, which name file, line and column; `out/` is
//! left byte-identical; `check` rejects it the same way.
//!
//! A case without its own `rbacc.yaml` uses `tests/fixtures/base/rbacc.yaml`.

use std::path::Path;

use crate::hostile::repo_with_out;
use crate::support::{Repo, assert_text, copy_tree, fixtures, read_tree};

/// One test per case of `tests/fixtures/bad/`, named after it.
mod bad {
    use crate::support::{assert_corpus_listed, corpus, fixtures};

    corpus!(fixtures().join("bad"), super::is_rejected;
        allow_without_role,
        billion_laughs,
        broken_team_named_elsewhere,
        cluster_admin_forbidden,
        cluster_bindings,
        cluster_wide_escalation,
        config_no_clusters,
        config_problems,
        config_wrong_type,
        controller_label,
        deep_nesting,
        duplicate_key,
        duplicate_namespace,
        duplicate_namespace_in_team,
        duplicate_object,
        duplicate_team,
        empty_namespace_name,
        escalating_role,
        existing_roles,
        grant_names_nobody,
        input_budget,
        invalid_label,
        invalid_name,
        invalid_owner,
        invalid_path,
        invalid_quantity,
        invalid_service_account_reference,
        kubeconfig_namespace_taken,
        metadata_policy,
        metadata_policy_config,
        missing_field,
        misspelt_required_field,
        multiple_documents,
        namespace_prefix,
        namespace_write,
        network_policy,
        network_risk,
        network_risk_evasion,
        non_utf8,
        not_a_team_document,
        pod_security_level,
        quota_and_limits,
        reserved_addon_namespace,
        reserved_annotation_case,
        reserved_label,
        reserved_namespace,
        sensitive_extra_resource,
        system_subject,
        team_file_name,
        team_roles,
        team_roles_forbidden,
        template_dangling_context,
        template_emits_token,
        template_missing_settings,
        template_syntax,
        template_too_large,
        template_undefined,
        unknown_cluster,
        unknown_field,
        unknown_role,
        unknown_team,
        unknown_template,
        unsupported_kind,
        wrong_type,
        yaml_core_tags,
        yaml_merge_key,
        yaml_syntax,
        yaml_tab,
        yaml_tags,
    );

    /// Every case on disk has its test above, and every test its case.
    #[test]
    fn every_case_has_a_test() {
        let cases = assert_corpus_listed(&fixtures().join("bad"), CASES);
        assert!(cases >= 10, "the corpus has a case per class of bad input");
    }
}

/// One case of the corpus: `build` and `check` reject it, `build` with the
/// diagnostics stored for it, and neither touches `out/`.
fn is_rejected(case: &Path) {
    let name = case
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    // The base config, and an existing out/ with generated and hand-written
    // files.
    let repo = repo_with_out();
    copy_tree(&case.join("repo"), repo.path());
    let before = read_tree(&repo.out());

    // Every diagnostic in full, however many of a code there are.
    let run = repo.rbacc(&["build", "--max-diagnostics", "1000"]);
    assert_eq!(run.code(), 1, "case {name}: exit code\n{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains(" ╭─["),
        "case {name}: a diagnostic with a file position\n{stderr}"
    );
    assert!(
        stderr.contains("nothing was written"),
        "case {name}: says nothing was written\n{stderr}"
    );
    assert_text(&stderr, &case.join("expected.stderr"));
    assert_eq!(read_tree(&repo.out()), before, "case {name}: out/ changed");

    let check = repo.rbacc(&["check"]);
    assert_eq!(check.code(), 1, "case {name}: check exit code");
    assert_eq!(
        read_tree(&repo.out()),
        before,
        "case {name}: check changed out/"
    );
}

/// `-o github` prints one workflow command per finding, with file and
/// line, on stdout.
#[test]
fn github_annotations() {
    let repo = Repo::new();
    copy_tree(&fixtures().join("base"), repo.path());
    repo.write(
        "teams/payments.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  namespaces:\n    - name: Payments-Prod\n",
    );
    repo.rbacc(&["check", "-o", "github"])
        .expect_code(1)
        .stdout_is("::error file=teams/payments.yaml,line=7,col=13,title=invalid-name::`Payments-Prod` is not a valid namespace name: it contains the uppercase letter `P`%0Ause at most 63 lowercase letters (`a-z`), digits and `-`, starting and ending with a letter or digit\n");
}
