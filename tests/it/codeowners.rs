//! `rbacc codeowners`, and `check` and `build` on a committed CODEOWNERS
//! file, on `tests/fixtures/codeowners/repo`: four teams, one without
//! owners, one in a subdirectory, one in a directory with a space, on two
//! clusters with kubeconfigs and Flux Kustomizations.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::{Repo, assert_text, fixtures, read_tree};

fn fixture() -> Repo {
    Repo::copy_of(&fixtures().join("codeowners/repo"))
}

fn expected(name: &str) -> std::path::PathBuf {
    fixtures().join("codeowners").join(name)
}

fn read(repo: &Repo, rel: &str) -> String {
    std::fs::read_to_string(repo.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

#[test]
fn prints_github_and_gitlab_syntax() {
    let repo = fixture();
    let github = repo.rbacc(&["codeowners"]).expect_code(0).stdout();
    assert_text(&github, &expected("CODEOWNERS.github"));
    let gitlab = repo
        .rbacc(&["codeowners", "--syntax", "gitlab"])
        .expect_code(0)
        .stdout();
    assert_text(&gitlab, &expected("CODEOWNERS.gitlab"));
    // Printing writes nothing.
    assert!(!repo.path().join(".github").exists());
    assert!(!repo.path().join("CODEOWNERS").exists());
}

/// Does a CODEOWNERS pattern (as rbacc writes them: `*` for every path, or
/// anchored, `*` for one name, `**` for any number, a trailing `/` for a
/// directory's contents) match `path`?
fn matches(pattern: &str, path: &str) -> bool {
    fn walk(pattern: &[&str], path: &[&str], dir: bool) -> bool {
        match (pattern.first(), path.first()) {
            (None, None) => !dir,
            (None, Some(_)) => dir,
            (Some(&"**"), _) => {
                walk(&pattern[1..], path, dir)
                    || (!path.is_empty() && walk(pattern, &path[1..], dir))
            }
            (Some(p), Some(name)) => {
                (*p == "*" || p == name) && walk(&pattern[1..], &path[1..], dir)
            }
            (Some(_), None) => false,
        }
    }
    if pattern == "*" {
        return true;
    }
    let pattern = pattern.strip_prefix('/').expect("anchored");
    let (pattern, dir) = match pattern.strip_suffix('/') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    walk(&pattern, &path, dir)
}

/// A rule of a CODEOWNERS file: its GitLab section (empty before the
/// first), whether it excludes (`!`), its pattern and its owners.
struct Rule<'a> {
    section: &'a str,
    exclude: bool,
    pattern: &'a str,
    owners: &'a str,
}

fn rules(text: &str) -> Vec<Rule<'_>> {
    let mut section = "";
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            section = name.strip_suffix(']').expect("a section heading");
            continue;
        }
        let (pattern, owners) = line.split_once(' ').unwrap_or((line, ""));
        let (exclude, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        out.push(Rule {
            section,
            exclude,
            pattern,
            owners,
        });
    }
    out
}

/// The owners of `path` as GitHub reads `text`: the last rule that matches.
fn github_owners<'a>(text: &'a str, path: &str) -> Vec<&'a str> {
    rules(text)
        .into_iter()
        .rfind(|r| matches(r.pattern, path))
        .map(|r| {
            assert!(!r.exclude, "GitHub has no `!`");
            r.owners
        })
        .into_iter()
        .filter(|o| !o.is_empty())
        .collect()
}

/// The owners of `path` as GitLab reads `text`: in each section, none when
/// an exclusion matches, else the last rule that matches; every section's.
fn gitlab_owners<'a>(text: &'a str, path: &str) -> Vec<&'a str> {
    let rules = rules(text);
    let sections: BTreeSet<&str> = rules.iter().map(|r| r.section).collect();
    sections
        .into_iter()
        .filter_map(|section| {
            let matching: Vec<&Rule> = rules
                .iter()
                .filter(|r| r.section == section && matches(r.pattern, path))
                .collect();
            if matching.iter().any(|r| r.exclude) {
                return None;
            }
            matching.last().map(|r| r.owners)
        })
        .collect()
}

const PLATFORM: &str = "@acme/platform platform@acme.example";

/// Every file of the repository after a build, and the paths a repository
/// also holds (CI workflows, Argo CD or Flux wiring, schemas, templates, a
/// shard that no team owns any more), each with the owners it should have:
/// the owners of the team file it comes from (its source, for a file of
/// `out/`), or the platform's when that team has none or it comes from no
/// team.
fn expected_owners(repo: &Repo) -> BTreeMap<String, &'static str> {
    let teams: BTreeMap<&str, &str> = [
        ("teams/payments.yaml", "@acme/payments alice@example.com"),
        ("teams/platform/sre.yaml", "@acme/sre"),
        ("teams/web shop/storefront.yaml", "@bob"),
        ("teams/ledger.yaml", PLATFORM),
    ]
    .into();
    let mut expected = BTreeMap::new();
    for (rel, contents) in read_tree(repo.path()) {
        let source = match rel.strip_prefix("out/") {
            Some(_) => {
                let text = String::from_utf8_lossy(&contents);
                let rest = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("# Generated by rbacc from "))
                    .expect("a header naming the source")
                    .to_string();
                let end = [rest.find(" with "), rest.find(". Do not edit")]
                    .into_iter()
                    .flatten()
                    .min()
                    .expect("the end of the source");
                rest[..end].to_string()
            }
            None => rel.clone(),
        };
        let owners = teams.get(source.as_str()).copied().unwrap_or(PLATFORM);
        expected.insert(rel, owners);
    }
    for other in [
        ".github/workflows/rbacc.yml",
        "deploy/argocd/prod.yaml",
        "deploy/flux/prod.yaml",
        "schema/team.schema.json",
        "templates/login.yaml.j2",
        "out/prod/teams/gone/gone-prod.yaml",
        "README.md",
    ] {
        expected.insert(other.to_string(), PLATFORM);
    }
    assert!(expected.len() > 40);
    expected
}

/// Every file is owned by the owners of the team file it comes from, and
/// everything else by the platform's owners: the team patterns match
/// exactly one team's files, and the catch-all the rest.
#[test]
fn every_file_has_its_owners_on_github() {
    let repo = fixture();
    repo.rbacc(&["build"]).expect_code(0);
    let text = repo.rbacc(&["codeowners"]).expect_code(0).stdout();
    for (path, want) in expected_owners(&repo) {
        assert_eq!(github_owners(&text, &path), [want], "{path}");
        let teams: Vec<&str> = rules(&text)
            .iter()
            .filter(|r| r.pattern != "*" && matches(r.pattern, &path))
            .map(|r| r.pattern)
            .collect();
        assert!(teams.len() <= 1, "{path}: {teams:?}");
    }
}

/// GitLab asks every section whose rules match: the platform's section
/// excludes what teams own, so a team's files need that team's approval
/// alone, and the rest the platform's.
#[test]
fn every_file_has_its_owners_on_gitlab() {
    let repo = fixture();
    repo.rbacc(&["build"]).expect_code(0);
    let text = repo
        .rbacc(&["codeowners", "--syntax", "gitlab"])
        .expect_code(0)
        .stdout();
    for (path, want) in expected_owners(&repo) {
        assert_eq!(gitlab_owners(&text, &path), [want], "{path}");
    }
}

/// Without `spec.owners`, the file says that nothing is owned by default,
/// and `rbacc codeowners` warns; the teams' rules are unchanged.
#[test]
fn no_platform_owners_is_said_and_warned() {
    let repo = fixture();
    let config = read(&repo, "rbacc.yaml").replace(
        "  owners: [\"@acme/platform\", platform@acme.example]\n",
        "",
    );
    repo.write("rbacc.yaml", config);
    repo.rbacc(&["build"]).expect_code(0);
    for syntax in ["github", "gitlab"] {
        let run = repo.rbacc(&["codeowners", "--syntax", syntax]);
        run.expect_code(0)
            .stdout_has("\n\n# No default owners: `spec.owners` in rbacc.yaml is empty, so what no team owns asks no one for review.\n\n")
            .stdout_lacks("[Platform]")
            .stdout_lacks("\n* ")
            .stderr_has("warning: `spec.owners` in rbacc.yaml is empty: rbacc.yaml, templates/, schema/, deploy/, CI workflows and the files of teams without owners have no code owner");
        let text = run.stdout();
        let owners = |path: &str| match syntax {
            "github" => github_owners(&text, path),
            _ => gitlab_owners(&text, path),
        };
        assert_eq!(owners("rbacc.yaml"), Vec::<&str>::new());
        assert_eq!(owners("teams/ledger.yaml"), Vec::<&str>::new());
        assert_eq!(
            owners("teams/payments.yaml"),
            ["@acme/payments alice@example.com"]
        );
        assert_eq!(owners("out/prod/teams/sre/sre-prod.yaml"), ["@acme/sre"]);
    }
    // With owners, no warning.
    let repo = fixture();
    repo.rbacc(&["codeowners"])
        .expect_code(0)
        .stderr_lacks("warning");
}

/// A team file's path is written in a comment when the team has no
/// owners. A directory name with a line break is refused before anything
/// is written; one with CODEOWNERS syntax in it stays inside its comment.
#[test]
fn a_path_cannot_add_a_rule_through_a_comment() {
    let repo = fixture();
    let ledger = read(&repo, "teams/ledger.yaml");
    std::fs::remove_file(repo.path().join("teams/ledger.yaml")).expect("remove");
    let broken = "x\n* @mallory\r/docs/ @mallory\u{2028}\u{85}\u{1b}[2K";
    repo.write(&format!("teams/{broken}/ledger.yaml"), &ledger);
    for syntax in ["github", "gitlab"] {
        let run = repo.rbacc(&["codeowners", "--syntax", syntax]);
        run.expect_code(1);
        assert!(run.stdout().is_empty(), "{}", run.stdout());
        assert!(run.stderr().contains("invalid-path"), "{}", run.stderr());
    }
    std::fs::remove_dir_all(repo.path().join(format!("teams/{broken}"))).expect("remove");
    let plain = "x * @mallory # docs @mallory";
    repo.write(&format!("teams/{plain}/ledger.yaml"), &ledger);
    repo.rbacc(&["build"]).expect_code(0);
    for syntax in ["github", "gitlab"] {
        let text = repo
            .rbacc(&["codeowners", "--syntax", syntax])
            .expect_code(0)
            .stdout();
        assert!(
            text.contains(&format!(
                "\n# Team ledger: no owners (`metadata.owners` in teams/{plain}/ledger.yaml)\n"
            )),
            "{text}"
        );
        for line in text.lines() {
            assert!(
                !line.chars().any(|c| c.is_control()),
                "a control character in {line:?}"
            );
            if !line.starts_with('#') {
                assert!(!line.contains("mallory"), "{line:?}");
            }
        }
    }
}

#[test]
fn write_then_check_then_stale() {
    let repo = fixture();
    repo.rbacc(&["codeowners", "--check"]).expect_code(1);
    repo.rbacc(&["codeowners", "--write"])
        .expect_code(0)
        .stderr_is("wrote .github/CODEOWNERS\n");
    let written = read(&repo, ".github/CODEOWNERS");
    assert_text(&written, &expected("CODEOWNERS.github"));
    repo.rbacc(&["codeowners", "--write"]).expect_code(0);
    repo.rbacc(&["codeowners", "--check"]).expect_code(0);
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
    // Through the record of the last build, too.
    repo.rbacc(&["check"]).expect_code(0);

    // An owner leaves: the committed file is stale.
    let payments = read(&repo, "teams/payments.yaml").replace(", alice@example.com", "");
    repo.write("teams/payments.yaml", payments);
    let check = repo.rbacc(&["check"]);
    check.expect_code(1);
    assert_text(&check.stderr(), &expected("stale.stderr"));
    let github = repo.rbacc(&["check", "-o", "github"]);
    github.expect_code(1);
    assert!(
        github
            .stdout()
            .starts_with("::error file=.github/CODEOWNERS,line=17,col=1,title=stale-codeowners::"),
        "{}",
        github.stdout()
    );
    repo.rbacc(&["codeowners", "--check"]).expect_code(1);
    // `build` does not write it, and warns.
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("⚠ `.github/CODEOWNERS` is not what");
    assert_eq!(read(&repo, ".github/CODEOWNERS"), written);
    repo.rbacc(&["check"]).expect_code(1);

    repo.rbacc(&["codeowners", "--write"]).expect_code(0);
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
}

/// The record of the last build lets `check` skip compiling; a hand edit to
/// the CODEOWNERS file must still be caught.
#[test]
fn fast_path_still_catches_an_edited_codeowners() {
    let repo = fixture();
    repo.rbacc(&["codeowners", "--write"]).expect_code(0);
    repo.rbacc(&["build"]).expect_code(0);
    // Files written within a clock tick of the record are not trusted: let
    // one pass, and record again.
    std::thread::sleep(std::time::Duration::from_millis(200));
    repo.rbacc(&["build"]).expect_code(0);
    let fast = repo.rbacc(&["check"]);
    fast.expect_code(0);
    assert!(
        fast.stderr()
            .contains("nothing changed since the last build")
    );
    let edited = read(&repo, ".github/CODEOWNERS").replace("@bob", "@mallory");
    repo.write(".github/CODEOWNERS", edited);
    let check = repo.rbacc(&["check"]);
    check.expect_code(1).stderr_has("stale-codeowners");
    assert!(
        check
            .stderr()
            .contains("expected `/teams/**/storefront.yaml @bob`")
    );
}

#[test]
fn hand_written_codeowners_is_left_alone() {
    let repo = fixture();
    let hand = "* @acme/platform\n";
    repo.write("CODEOWNERS", hand);
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
    // GitHub reads .github/CODEOWNERS first: writing it would hide this one.
    repo.rbacc(&["codeowners", "--write"])
        .expect_code(2)
        .stderr_has("CODEOWNERS exists and rbacc did not generate it");
    let run = repo.rbacc(&["codeowners", "--syntax", "gitlab", "--write"]);
    run.expect_code(2);
    assert!(run.stderr().contains("nothing was written"));
    assert_eq!(read(&repo, "CODEOWNERS"), hand);
    assert!(!repo.path().join(".github/CODEOWNERS").exists());
    // Printing still works, to merge by hand.
    repo.rbacc(&["codeowners"]).expect_code(0);
}

#[test]
fn gitlab_file_is_written_at_the_root_and_keeps_its_syntax() {
    let repo = fixture();
    repo.rbacc(&["codeowners", "--syntax", "gitlab", "--write"])
        .expect_code(0);
    let written = read(&repo, "CODEOWNERS");
    assert_text(&written, &expected("CODEOWNERS.gitlab"));
    // Without --syntax, the syntax of the file rbacc wrote.
    let again = repo.rbacc(&["codeowners"]).expect_code(0).stdout();
    assert_eq!(again, written);
    repo.rbacc(&["codeowners", "--check"]).expect_code(0);
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["check"]).expect_code(0);
}

/// A nested group is a GitLab subgroup; GitHub has none, and ignores a
/// CODEOWNERS file with an invalid line.
#[test]
fn owners_are_checked_as_the_forge_reads_them() {
    let repo = fixture();
    let payments =
        read(&repo, "teams/payments.yaml").replace("@acme/payments", "@acme/money/payments");
    repo.write("teams/payments.yaml", payments);
    // `build` does not know the forge, and accepts either.
    repo.rbacc(&["build"]).expect_code(0);
    repo.rbacc(&["codeowners", "--syntax", "gitlab", "--write"])
        .expect_code(0);
    repo.rbacc(&["codeowners", "--syntax", "github"])
        .expect_code(1)
        .stdout_is("")
        .stderr_has("invalid-owner")
        .stderr_has("GitHub has no nested teams: `@acme/money/payments`")
        .stderr_has("[teams/payments.yaml:5:12]");
    // A committed GitHub file makes `check` apply GitHub's rules.
    std::fs::remove_file(repo.path().join("CODEOWNERS")).expect("remove");
    repo.write(
        ".github/CODEOWNERS",
        "# Generated by rbacc from `metadata.owners` in teams/. Do not edit: run `rbacc codeowners --write`.\n",
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("GitHub has no nested teams");
}

/// Compiled files are listed under `--out` when it lies in the repository,
/// and not at all when it does not.
#[test]
fn out_elsewhere() {
    let repo = fixture();
    let inside = repo.path().join("generated");
    let run = repo.rbacc(&["codeowners", "--out", inside.to_str().expect("utf-8")]);
    run.expect_code(0)
        .stdout_has("\n/generated/*/teams/payments/ @acme/payments");
    assert!(!run.stdout().contains("/out/"));
    let outside = tempfile::tempdir().expect("temp dir");
    // `build` and `check` into a directory outside the repository do not
    // compare the committed file, which lists the repository's own `out/`.
    repo.rbacc(&["codeowners", "--write"]).expect_code(0);
    let elsewhere = outside.path().join("out");
    let elsewhere = elsewhere.to_str().expect("utf-8");
    repo.rbacc(&["build", "--out", elsewhere])
        .expect_code(0)
        .stderr_lacks("stale-codeowners");
    repo.rbacc(&["check", "--out", elsewhere]).expect_code(0);
    let run = repo.rbacc(&[
        "codeowners",
        "--out",
        outside.path().to_str().expect("utf-8"),
    ]);
    run.expect_code(0);
    let stdout = run.stdout();
    let rules: Vec<&str> = rules(&stdout).iter().map(|r| r.pattern).collect();
    assert_eq!(
        rules,
        [
            "*",
            "/teams/payments.yaml",
            "/teams/platform/sre.yaml",
            "/teams/**/storefront.yaml"
        ]
    );
}
