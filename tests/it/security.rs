//! An attacker who can edit `teams/` and commit `out/` must not get access
//! the declarations do not give, nor hide a change from review. One section
//! per class of hole; each test fails on a tree with the hole open.

use std::path::Path;

use crate::support::{Repo, read_tree};

/// Every character a reader or a YAML parser takes for the end of a line,
/// and others that hide or rewrite what a terminal shows.
const HOSTILE: &[(&str, &str)] = &[
    ("LF", "\n"),
    ("CR", "\r"),
    ("CRLF", "\r\n"),
    ("NEL", "\u{85}"),
    ("LS", "\u{2028}"),
    ("PS", "\u{2029}"),
    ("ESC", "\u{1b}[31m"),
    ("NUL-free C0", "\u{7}"),
    ("DEL", "\u{7f}"),
    ("bidi override", "\u{202e}"),
    ("zero width", "\u{200b}"),
    ("BOM", "\u{feff}"),
];

/// A ClusterRoleBinding a line break in a path would inject.
const INJECTED: &str = "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: pwned\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: User\n    name: mallory\n#";

/// Characters that neither a terminal nor a YAML reader may see raw.
fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' | '\u{202e}' | '\u{200b}' | '\u{feff}'
            )
    })
}

fn assert_nothing_raw(what: &str, text: &str) {
    if let Some(c) = raw_control(text) {
        panic!("{what}: raw {c:?} printed\n{text:?}");
    }
}

// --- 1. Text from paths -------------------------------------------------

/// A team file moved into a directory whose name holds `hostile`.
fn repo_with_team_dir(hostile: &str) -> Repo {
    let repo = Repo::example();
    let dir = format!("teams/squad{hostile}{INJECTED}");
    std::fs::create_dir_all(repo.path().join(&dir)).expect("hostile dir");
    std::fs::rename(
        repo.path().join("teams/payments.yaml"),
        repo.path().join(&dir).join("payments.yaml"),
    )
    .expect("move team file");
    repo
}

#[test]
fn paths_with_line_breaks_or_control_characters_are_refused() {
    for (name, hostile) in HOSTILE {
        let repo = repo_with_team_dir(hostile);
        for command in ["build", "check"] {
            let run = repo.rbacc(&[command]);
            run.expect_code(1);
            let stderr = run.stderr();
            assert!(
                stderr.contains("invalid-path"),
                "{name}: {command}\n{stderr}"
            );
            assert!(
                stderr.contains("teams/squad"),
                "{name}: names the path\n{stderr}"
            );
            assert_nothing_raw(&format!("{name}: {command}"), &stderr);
        }
        assert!(!repo.out().exists(), "{name}: nothing written");
        let run = repo.rbacc(&["check", "--format", "github"]);
        run.expect_code(1);
        assert!(
            run.stdout().contains("title=invalid-path"),
            "{name}\n{}",
            run.stdout()
        );
        assert_nothing_raw(&format!("{name}: annotations"), &run.stdout());
        // Every annotation is one line.
        for line in run.stdout().lines() {
            assert!(line.starts_with("::"), "{name}: {line:?}");
        }
    }
}

#[test]
fn paths_with_white_space_at_either_end_are_refused() {
    for dir in ["teams/ squad", "teams/squad ", "teams/squad\t"] {
        let repo = Repo::example();
        std::fs::create_dir_all(repo.path().join(dir)).expect("dir");
        std::fs::rename(
            repo.path().join("teams/payments.yaml"),
            repo.path().join(dir).join("payments.yaml"),
        )
        .expect("move");
        let run = repo.rbacc(&["build"]);
        run.expect_code(1);
        assert!(
            run.stderr().contains("invalid-path"),
            "{dir:?}\n{}",
            run.stderr()
        );
    }
}

#[test]
fn template_file_names_are_plain_too() {
    let repo = Repo::example();
    let template = std::fs::read(repo.path().join("templates/oidc-kubelogin.yaml.j2"))
        .unwrap_or_else(|_| {
            std::fs::read(crate::support::root().join("templates/oidc-kubelogin.yaml.j2"))
                .expect("template")
        });
    // No `/`: template names are one level below templates/.
    repo.write(
        "templates/x\n---\nkind: ClusterRoleBinding\n#.yaml.j2",
        template,
    );
    let run = repo.rbacc(&["build"]);
    run.expect_code(1);
    assert!(run.stderr().contains("invalid-path"), "{}", run.stderr());
    assert_nothing_raw("template name", &run.stderr());
}

/// Diagnostics about a file's contents print its text; escape sequences in
/// it are shown escaped, with the labels still under the right columns.
#[test]
fn control_characters_in_a_file_are_never_printed_raw() {
    let repo = Repo::example();
    let path = repo.path().join("teams/payments.yaml");
    let text = std::fs::read_to_string(&path).expect("read");
    // A key YAML reads as `\e]0;pwned\a` (an escape that retitles the
    // terminal), which rbacc reports as an unknown field.
    let text = text.replacen("spec:\n", "spec:\n  \"\\e]0;pwned\\a\\u2028x\": 1\n", 1);
    std::fs::write(&path, text).expect("write");
    for format in ["human", "github"] {
        let run = repo.rbacc(&["check", "--format", format]);
        run.expect_code(1);
        let all = format!("{}{}", run.stdout(), run.stderr());
        assert!(
            all.contains("unknown-field") || all.contains("title=unknown-field"),
            "{all}"
        );
        assert!(
            all.contains("\\u{1b}]0;pwned\\u{7}"),
            "shown escaped\n{all}"
        );
        assert_nothing_raw(format, &all);
    }
}

/// The property the issue asks for: whatever a directory under `teams/` is
/// called, a build either refuses it or writes files whose first line is
/// one comment line (so a name cannot end the comment and start YAML).
#[test]
fn for_any_accepted_path_every_generated_file_starts_with_one_comment_line() {
    const ALPHABET: &[char] = &[
        'a', 'b', 'z', '0', '-', '_', '.', ' ', '#', ':', '\'', '"', '[', '{', '|', '>', '&', '*',
        '!', '%', '@', '`', 'é', '≠', '\t', '\n', '\r', '\u{85}', '\u{2028}', '\u{2029}', '\u{1b}',
        '\u{0}', '\u{7f}', '\u{a0}', '\u{feff}', '\u{202e}',
    ];
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n
    };
    let (mut accepted, mut refused) = (0, 0);
    for case in 0..24 {
        let len = 1 + next(12);
        let mut name: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
        // NUL cannot be in a file name at all; `/` would make two levels.
        name = name.replace('\0', "");
        if name.is_empty() || name == "." || name == ".." || name.starts_with('.') {
            name = format!("d{name}");
        }
        let repo = Repo::example();
        let dir = repo.path().join("teams").join(&name);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::rename(
            repo.path().join("teams/payments.yaml"),
            dir.join("payments.yaml"),
        )
        .expect("move");
        let run = repo.rbacc(&["build"]);
        assert_nothing_raw(&format!("case {case} {name:?}"), &run.stderr());
        match run.code() {
            0 => {
                accepted += 1;
                assert_first_lines_are_comments(&repo.out(), &name);
            }
            1 => {
                refused += 1;
                assert!(
                    run.stderr().contains("invalid-path"),
                    "case {case} {name:?}\n{}",
                    run.stderr()
                );
            }
            code => panic!("case {case} {name:?}: exit {code}\n{}", run.stderr()),
        }
    }
    assert!(
        accepted > 0 && refused > 0,
        "both outcomes are exercised: {accepted} {refused}"
    );
}

fn assert_first_lines_are_comments(out: &Path, name: &str) {
    for (path, bytes) in read_tree(out) {
        let text = String::from_utf8(bytes).expect("UTF-8 output");
        let first = text.split('\n').next().unwrap_or_default();
        assert!(
            first.starts_with("# Generated by rbacc"),
            "{name:?}: {path}: {first:?}"
        );
        assert!(
            !first
                .chars()
                .any(|c| matches!(c, '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')),
            "{name:?}: {path}: the first line holds a line break: {first:?}"
        );
    }
}

// --- 2. out/ holds only what rbacc writes --------------------------------

fn built() -> Repo {
    let repo = Repo::example();
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
    repo
}

#[test]
fn check_fails_on_a_hand_written_file_in_a_new_shard() {
    let repo = built();
    let crb = format!(
        "{}\n",
        INJECTED.trim_start_matches("\n---\n").trim_end_matches('#')
    );
    repo.write("out/prod/teams/evil/crb.yaml", &crb);
    // Through the record of the last build and without it.
    for _ in 0..2 {
        let run = repo.rbacc(&["check"]);
        run.expect_code(1);
        assert!(
            run.stderr().contains("foreign  prod/teams/evil/crb.yaml"),
            "{}",
            run.stderr()
        );
        std::fs::remove_file(repo.path().join(".out.rbacc-state")).ok();
    }
    let run = repo.rbacc(&["check", "--format", "github"]);
    run.expect_code(1);
    assert!(
        run.stdout().contains("::error title=stale-output::"),
        "{}",
        run.stdout()
    );
    // Kept by build, and still failing check.
    let run = repo.rbacc(&["build"]);
    run.expect_code(0);
    assert!(
        run.stderr().contains("kept prod/teams/evil/crb.yaml"),
        "{}",
        run.stderr()
    );
    repo.rbacc(&["check"]).expect_code(1);
}

#[test]
fn check_fails_on_an_empty_directory_rbacc_does_not_write() {
    let repo = built();
    std::fs::create_dir_all(repo.out().join("prod/teams/ghost")).expect("dir");
    let run = repo.rbacc(&["check"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("foreign  prod/teams/ghost/"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_link_in_place_of_a_generated_file_fails_check_and_build() {
    let repo = built();
    let file = repo.out().join("prod/teams/payments/payments-prod.yaml");
    let elsewhere = tempfile::tempdir().expect("tmp");
    let target = elsewhere.path().join("payments-prod.yaml");
    std::fs::copy(&file, &target).expect("copy");
    std::fs::remove_file(&file).expect("remove");
    std::os::unix::fs::symlink(&target, &file).expect("link");
    let run = repo.rbacc(&["check"]);
    run.expect_code(1);
    assert!(
        run.stderr()
            .contains("link     prod/teams/payments/payments-prod.yaml"),
        "{}",
        run.stderr()
    );
    let before = std::fs::read(&target).expect("read");
    let run = repo.rbacc(&["build"]);
    run.expect_code(2);
    assert!(
        run.stderr()
            .contains("prod/teams/payments/payments-prod.yaml"),
        "{}",
        run.stderr()
    );
    assert!(run.stderr().contains("never follows"), "{}", run.stderr());
    assert_eq!(
        std::fs::read(&target).expect("read"),
        before,
        "the link's target is untouched"
    );
}

#[test]
fn build_never_writes_through_a_linked_directory() {
    let repo = built();
    let elsewhere = tempfile::tempdir().expect("tmp");
    // The payments shard replaced by a link to a directory outside out/.
    let shard = repo.out().join("prod/teams/payments");
    std::fs::remove_dir_all(&shard).expect("remove shard");
    std::os::unix::fs::symlink(elsewhere.path(), &shard).expect("link");
    for command in ["build", "check"] {
        let run = repo.rbacc(&[command]);
        assert_ne!(run.code(), 0, "{command}\n{}", run.stderr());
        assert!(
            run.stderr().contains("prod/teams/payments"),
            "{}",
            run.stderr()
        );
    }
    assert!(
        std::fs::read_dir(elsewhere.path())
            .expect("list")
            .next()
            .is_none(),
        "nothing written outside out/"
    );
    // `out` itself a link.
    let repo = Repo::example();
    std::os::unix::fs::symlink(elsewhere.path(), repo.out()).expect("link out");
    let run = repo.rbacc(&["build"]);
    run.expect_code(2);
    assert!(run.stderr().contains("symbolic link"), "{}", run.stderr());
    assert!(
        std::fs::read_dir(elsewhere.path())
            .expect("list")
            .next()
            .is_none()
    );
}

#[test]
fn a_fifo_in_out_is_foreign_and_never_read() {
    let repo = built();
    let fifo = repo.out().join("prod/pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    // Would block forever if opened.
    let run = repo.rbacc(&["check"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("foreign  prod/pipe.yaml"),
        "{}",
        run.stderr()
    );
}
