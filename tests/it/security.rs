//! An attacker who can edit `teams/` and commit `out/` must not get access
//! the declarations do not give, nor hide a change from review. One section
//! per class of hole; each test fails on a tree with the hole open.

use std::path::Path;

use crate::diff::{commit, init};
use crate::support::{Repo, mkfifo, percent_decode, read_tree};

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

/// A team file under a directory whose name holds `hostile` (`name` says
/// which character) is refused by `build` and `check`, which name the path
/// and print nothing raw, in either format.
fn path_is_refused(name: &str, hostile: &str) {
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
    let run = repo.rbacc(&["check", "-o", "github"]);
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
    // The documents name the path as diagnostics do (a path that is
    // refused is shown escaped), and print nothing raw: JSON escapes, and
    // percent-encoding in SARIF's URIs.
    let path = format!("teams/squad{hostile}{INJECTED}/payments.yaml");
    let path = rbacc::text::visible(&path);
    for format in ["json", "sarif", "gitlab"] {
        let run = repo.rbacc(&["check", "-o", format]);
        run.expect_code(1);
        let stdout = run.stdout();
        assert_nothing_raw(&format!("{name}: {format}"), &stdout);
        let doc: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name}: {format} is not JSON: {e}\n{stdout}"));
        let named = match format {
            "json" => doc["diagnostics"][0]["file"].clone(),
            "gitlab" => doc[0]["location"]["path"].clone(),
            _ => {
                let uri = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
                    ["uri"];
                let uri = uri.as_str().expect("a URI");
                assert!(
                    uri.bytes().all(|b| b.is_ascii_graphic()),
                    "{name}: URI not percent-encoded: {uri:?}"
                );
                serde_json::Value::from(percent_decode(uri))
            }
        };
        assert_eq!(named, path.as_ref(), "{name}: {format} names the file");
    }
}

/// One test per hostile character, named after it.
macro_rules! paths_with {
    ($($name:ident: $hostile:expr),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                super::path_is_refused(stringify!($name), $hostile);
            }
        )+
    };
}

/// Every character a reader or a YAML parser takes for the end of a line,
/// and others that hide or rewrite what a terminal shows, in a path.
mod paths_with_line_breaks_or_control_characters_are_refused {
    paths_with! {
        lf: "\n",
        cr: "\r",
        crlf: "\r\n",
        nel: "\u{85}",
        ls: "\u{2028}",
        ps: "\u{2029}",
        esc: "\u{1b}[31m",
        bel: "\u{7}",
        del: "\u{7f}",
        bidi_override: "\u{202e}",
        zero_width: "\u{200b}",
        bom: "\u{feff}",
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
        fails_with(&repo, &["build"], "invalid-path");
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
    let stderr = fails_with(&repo, &["build"], "invalid-path");
    assert_nothing_raw("template name", &stderr);
}

/// A plain path with a space and `#` (both allowed) and a value with a
/// bidirectional override, in every format: the documents print nothing
/// raw; rbacc's JSON keeps the exact value (as a JSON escape) and path;
/// SARIF percent-encodes the path into its URI; SARIF and GitLab, which
/// forges show to people, write the value as the text report does.
#[test]
fn hostile_text_in_machine_reports_is_escaped() {
    let repo = Repo::new();
    repo.write(
        "rbacc.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Config\nspec:\n  clusters:\n    - name: prod\n      server: https://kubeapi.example.com\n",
    );
    let path = "teams/squad #1/payments.yaml";
    repo.write(
        path,
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  namespaces:\n    - name: \"pay\u{202e}ments-prod\"\n",
    );
    let value = "`pay\u{202e}ments-prod` is not a valid namespace name";
    let shown = "`pay\\u{202e}ments-prod` is not a valid namespace name";
    let document = |format: &str| {
        let run = repo.rbacc(&["check", "-o", format]);
        run.expect_code(1);
        assert_nothing_raw(format, &run.stdout());
        assert_nothing_raw(&format!("{format}: stderr"), &run.stderr());
        let doc: serde_json::Value = serde_json::from_str(&run.stdout())
            .unwrap_or_else(|e| panic!("{format}: not JSON: {e}\n{}", run.stdout()));
        (run.stdout(), doc)
    };

    let (text, json) = document("json");
    assert!(
        text.contains("pay\\u202ements-prod"),
        "a JSON escape\n{text}"
    );
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "invalid-name");
    assert_eq!(d["file"], path);
    assert!(d["message"].as_str().unwrap().starts_with(value), "{d}");

    let (_, sarif) = document("sarif");
    let result = &sarif["runs"][0]["results"][0];
    let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(artifact["uri"], "teams/squad%20%231/payments.yaml");
    assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with(shown),
        "{result}"
    );

    let (_, gitlab) = document("gitlab");
    assert_eq!(gitlab[0]["location"]["path"], path);
    assert!(
        gitlab[0]["description"]
            .as_str()
            .unwrap()
            .starts_with(shown)
    );

    let run = repo.rbacc(&["check", "-o", "github"]);
    run.expect_code(1)
        .stdout_has("::error file=teams/squad #1/payments.yaml,line=7,col=13,title=invalid-name::");
    assert_nothing_raw("github", &run.stdout());
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
    for format in ["text", "github"] {
        let run = repo.rbacc(&["check", "-o", format]);
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
        fails_with(&repo, &["check"], "foreign  prod/teams/evil/crb.yaml");
        std::fs::remove_file(repo.path().join(".out.rbacc-state")).ok();
    }
    repo.rbacc(&["check", "-o", "github"])
        .expect_code(1)
        .stdout_has("::error title=foreign-output::");
    // Kept by build, and still failing check.
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("kept prod/teams/evil/crb.yaml");
    repo.rbacc(&["check"]).expect_code(1);
}

#[test]
fn check_fails_on_an_empty_directory_rbacc_does_not_write() {
    let repo = built();
    std::fs::create_dir_all(repo.out().join("prod/teams/ghost")).expect("dir");
    fails_with(&repo, &["check"], "foreign  prod/teams/ghost/");
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
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("link     prod/teams/payments/payments-prod.yaml");
    let before = std::fs::read(&target).expect("read");
    repo.rbacc(&["build"])
        .expect_code(2)
        .stderr_has("prod/teams/payments/payments-prod.yaml")
        .stderr_has("never follows");
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
    repo.rbacc(&["build"])
        .expect_code(2)
        .stderr_has("symbolic link");
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
    mkfifo(&repo.out().join("prod/pipe.yaml"));
    // Would block forever if opened.
    fails_with(&repo, &["check"], "foreign  prod/pipe.yaml");
}

/// Runs `args` on `repo`, asserting exit 1 and `needle` in stderr, which it
/// returns.
#[track_caller]
fn fails_with(repo: &Repo, args: &[&str], needle: &str) -> String {
    let run = repo.rbacc(args);
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains(needle), "expected {needle:?} in\n{stderr}");
    stderr
}

/// Rewrites the repository's `rbacc.yaml`, replacing each `from` (which
/// must be there) with its `to`.
fn edit_config(repo: &Repo, edits: &[(&str, &str)]) {
    let mut config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("config");
    for (from, to) in edits {
        assert!(config.contains(from), "rbacc.yaml holds {from:?}");
        config = config.replace(from, to);
    }
    repo.write("rbacc.yaml", config);
}

/// Adds `line` (one `policy` field, YAML) to the repository's `rbacc.yaml`.
fn set_policy(repo: &Repo, line: &str) {
    let anchor = "    protectNamespaces: true\n";
    edit_config(repo, &[(anchor, &format!("{anchor}    {line}\n"))]);
}

/// The reserved list of the example's `rbacc.yaml`.
const RESERVED_LIST: &str =
    "reservedNamespaces: [default, kube-system, kube-public, kube-node-lease]";
const PREFIX_TEAM: &str = "namespacePrefix: team";

// --- 3. Namespaces the platform runs on -----------------------------------

/// A team file for `team` declaring `namespaces`, with one admin group.
fn team_with(team: &str, namespaces: &[&str]) -> String {
    let list: String = namespaces
        .iter()
        .map(|ns| format!("    - name: {ns}\n"))
        .collect();
    format!(
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}\nspec:\n  members:\n    viewer: {{ groups: [{team}-all] }}\n  namespaces:\n{list}"
    )
}

/// Asserts that `build` refuses `namespace` as reserved, with `why` in
/// its label, and writes nothing.
#[track_caller]
fn assert_reserved(repo: &Repo, namespace: &str, why: &str) {
    let reserved = format!("namespace `{namespace}` is reserved");
    let stderr = fails_with(repo, &["build"], &reserved);
    assert!(stderr.contains(why), "{namespace}: {why}\n{stderr}");
    assert!(!repo.out().exists(), "{namespace}: nothing written");
}

#[test]
fn a_team_cannot_own_the_namespaces_rbacc_writes_into() {
    // The prefix rule does not protect them: team `rbacc` may name
    // namespaces `rbacc-…`, team `flux` `flux-…`.
    let repo = Repo::example();
    repo.write(
        "teams/rbacc.yaml",
        team_with("rbacc", &["rbacc-kubeconfigs"]),
    );
    assert_reserved(
        &repo,
        "rbacc-kubeconfigs",
        "rbacc's own: it holds every team's kubeconfig",
    );
    let repo = Repo::example();
    repo.write("teams/flux.yaml", team_with("flux", &["flux-system"]));
    assert_reserved(
        &repo,
        "flux-system",
        "rbacc's own: it holds the Flux Kustomizations",
    );
    // Nor with the prefix rule off, nor by giving the name back.
    let repo = Repo::example();
    edit_config(
        &repo,
        &[(
            PREFIX_TEAM,
            "namespacePrefix: none\n    unreserveNamespaces: [flux-system]",
        )],
    );
    fails_with(&repo, &["build"], "namespace `flux-system` is rbacc's own");
}

#[test]
fn add_on_and_kubernetes_namespaces_are_reserved_by_default() {
    for (team, namespace, why) in [
        ("cert", "cert-manager", "an add-on's namespace"),
        ("external", "external-secrets", "an add-on's namespace"),
        ("ingress", "ingress-nginx", "an add-on's namespace"),
        ("istio", "istio-system", "an add-on's namespace"),
        ("gatekeeper", "gatekeeper-system", "an add-on's namespace"),
        ("tigera", "tigera-operator", "an add-on's namespace"),
        ("kube", "kube-anything", "Kubernetes' own"),
        ("openshift", "openshift-config", "Kubernetes' own"),
    ] {
        let repo = Repo::example();
        repo.write(&format!("teams/{team}.yaml"), team_with(team, &[namespace]));
        assert_reserved(&repo, namespace, why);
    }
}

#[test]
fn reserved_namespaces_extend_and_unreserve_gives_one_back() {
    let repo = Repo::example();
    edit_config(
        &repo,
        &[
            (
                RESERVED_LIST,
                "reservedNamespaces: [platform-*]\n    unreserveNamespaces: [monitoring]",
            ),
            (PREFIX_TEAM, "namespacePrefix: none"),
        ],
    );
    repo.write("teams/obs.yaml", team_with("obs", &["monitoring"]));
    repo.rbacc(&["build"]).expect_code(0);
    // Still reserved: Kubernetes' names, though the list no longer says so.
    repo.write(
        "teams/obs.yaml",
        team_with("obs", &["monitoring", "kube-system"]),
    );
    fails_with(&repo, &["build"], "namespace `kube-system` is reserved");
    repo.write("teams/obs.yaml", team_with("obs", &["platform-tools"]));
    fails_with(&repo, &["build"], "reserved by `policy.reservedNamespaces`");
    // Only add-on names can be given back.
    edit_config(
        &repo,
        &[(
            "unreserveNamespaces: [monitoring]",
            "unreserveNamespaces: [kube-system, payments-prod]",
        )],
    );
    repo.write("teams/obs.yaml", team_with("obs", &["obs-tools"]));
    let stderr = fails_with(
        &repo,
        &["build"],
        "namespace `kube-system` is Kubernetes' own",
    );
    assert!(
        stderr.contains("namespace `payments-prod` is not reserved by default"),
        "{stderr}"
    );
}

#[test]
fn no_prefix_rule_and_no_reserved_list_is_a_warning() {
    let repo = Repo::example();
    edit_config(
        &repo,
        &[
            (&format!("    {RESERVED_LIST}\n"), ""),
            (PREFIX_TEAM, "namespacePrefix: none"),
        ],
    );
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("any namespace the platform runs in is open to teams");
}

// --- 11. Trust in the build record, and the layout --------------------------

#[test]
fn a_namespace_cannot_take_the_place_of_a_shards_kustomization() {
    let repo = Repo::example();
    edit_config(&repo, &[(PREFIX_TEAM, "namespacePrefix: none")]);
    repo.write("teams/ops.yaml", team_with("ops", &["kustomization"]));
    assert_reserved(&repo, "kustomization", "the shard's `kustomization.yaml`");
}

#[test]
fn the_build_record_is_a_sha256_of_the_input() {
    let repo = built();
    let state = std::fs::read_to_string(repo.path().join(".out.rbacc-state")).expect("state");
    let mut lines = state.lines();
    assert_eq!(lines.next(), Some("rbacc state v3"));
    let fingerprint = lines
        .next()
        .and_then(|l| l.split(' ').next())
        .expect("fingerprint");
    assert_eq!(fingerprint.len(), 64, "{fingerprint}");
    assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    // Any change of input gives another fingerprint: check compiles again
    // and sees the stale file.
    repo.edit("teams/payments.yaml", "payments-devs", "payments-dev");
    fails_with(&repo, &["check"], "differs");
}

// --- 6. Line breaks in kubeconfig templates --------------------------------

/// The fixture whose custom template prints team values in a comment.
fn kubeconfig_repo() -> Repo {
    Repo::copy_of(&crate::support::fixtures().join("ok/kubeconfig-templates/repo"))
}

#[test]
fn team_values_cannot_end_a_comment_in_a_kubeconfig() {
    for (name, line_break) in [
        ("NEL", "\u{85}"),
        ("LS", "\u{2028}"),
        ("PS", "\u{2029}"),
        ("CR", "\r"),
    ] {
        let repo = kubeconfig_repo();
        // Written as YAML escapes, so the team file itself stays one line.
        let escape = format!(
            "\\u{:04x}",
            u32::from(line_break.chars().next().expect("char"))
        );
        let payload = format!(
            "x{escape}users:{escape}- name: evil{escape}  user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, command: sh, args: [-c, id]}}}}{escape}current-context: evil"
        );
        let path = repo.path().join("teams/plain.yaml");
        let text = std::fs::read_to_string(&path).expect("read");
        let text = text.replace("description: Plain", &format!("description: \"{payload}\""));
        std::fs::write(&path, text).expect("write");
        repo.rbacc(&["build"]).expect_code(0);
        let kubeconfig = std::fs::read_to_string(repo.out().join("lab/kubeconfigs/plain.yaml"))
            .expect("kubeconfig");
        assert!(
            !kubeconfig.contains(line_break),
            "{name}: printed raw\n{kubeconfig:?}"
        );
        let parsed: serde_json::Value = serde_saphyr::from_str(&kubeconfig).expect("YAML");
        assert_eq!(
            parsed["users"].as_array().map(Vec::len),
            Some(1),
            "{name}: {parsed}"
        );
        assert_eq!(parsed["current-context"], "lab-plain-web", "{name}");
        assert_eq!(
            parsed["users"][0]["user"]["exec"]["command"], "corp-login",
            "{name}"
        );
        // kubectl reads the same.
        crate::support::check_with_consumers(&repo.out());
    }
}

#[test]
fn a_template_whose_structure_follows_a_team_value_is_refused() {
    let repo = kubeconfig_repo();
    let path = repo.path().join("templates/teleport-style.yaml.j2");
    let template = std::fs::read_to_string(&path).expect("read");
    // An extra user, and a current context, for one team only.
    let template = template.replace(
        "contexts:\n",
        "{%- if team.name == \"plain\" %}\n  - name: extra\n    user:\n      exec: { apiVersion: client.authentication.k8s.io/v1, command: sh }\n{%- endif %}\ncontexts:\n",
    );
    std::fs::write(&path, template).expect("write");
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has("invalid-kubeconfig")
        .stderr_has("structure differs from a neutral team's at `.users`")
        .stderr_has("team `plain`");
}

// --- 4. Labels other controllers act on -----------------------------------

/// The example organisation with `labels` on `payments-prod`.
fn with_labels(labels: &str) -> Repo {
    let repo = Repo::example();
    // The example labels payments-prod.
    repo.edit(
        "teams/payments.yaml",
        "labels: { cost-center: cc-42 }",
        &format!("labels: {labels}"),
    );
    repo
}

#[test]
fn labels_controllers_act_on_are_reserved_by_default() {
    for (key, who) in [
        ("istio-injection", "Istio"),
        ("istio.io/rev", "Istio"),
        ("openshift.io/run-level", "OpenShift"),
        (
            "security.openshift.io/scc.podSecurityLabelSync",
            "OpenShift",
        ),
        ("capsule.clastix.io/tenant", "Capsule"),
        ("admission.gatekeeper.sh/ignore", "Gatekeeper"),
        ("argocd.argoproj.io/managed-by", "Argo CD"),
        ("kustomize.toolkit.fluxcd.io/name", "Flux"),
        ("name", "NetworkPolicy"),
        ("component", "NetworkPolicy"),
    ] {
        let repo = with_labels(&format!("{{ \"{key}\": x }}"));
        let stderr = fails_with(&repo, &["build"], &format!("label `{key}` is reserved"));
        assert!(stderr.contains(who), "{key}: names {who}\n{stderr}");
    }
}

#[test]
fn the_label_policy_allows_and_forbids() {
    let allow = |repo: &Repo, policy: &str| set_policy(repo, &format!("labels: {policy}"));
    let repo = with_labels("{ istio-injection: enabled, cost-center: cc-42 }");
    allow(&repo, "{ allow: [istio-injection] }");
    repo.rbacc(&["build"]).expect_code(0);
    let text = std::fs::read_to_string(repo.out().join("prod/teams/payments/payments-prod.yaml"))
        .expect("namespace file");
    assert!(text.contains("istio-injection: enabled"), "{text}");

    let repo = with_labels("{ example.com/billing: x }");
    allow(&repo, "{ forbid: [\"example.com/\"] }");
    fails_with(&repo, &["build"], "forbidden by `policy.labels.forbid`");

    // What no policy can hand out.
    for never in [
        "pod-security.kubernetes.io/",
        "rbacc.dev/",
        "*.k8s.io/",
        "app.kubernetes.io/managed-by",
    ] {
        let repo = Repo::example();
        allow(&repo, &format!("{{ allow: [\"{never}\"] }}"));
        fails_with(&repo, &["build"], "cannot be allowed");
    }
}

/// `repo` as a git repository with one commit, `base`.
fn committed(repo: &Repo) {
    init(repo.path());
    commit(repo.path(), "base");
}

#[test]
fn diff_warns_when_a_namespace_changes_labels() {
    let repo = Repo::example();
    committed(&repo);
    repo.edit(
        "teams/payments.yaml",
        "cost-center: cc-42",
        "cost-center: cc-43, tier: gold",
    );
    let run = repo.rbacc(&["diff", "--base", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let warnings = report["warnings"].as_array().expect("warnings");
    let labels: Vec<&serde_json::Value> = warnings
        .iter()
        .filter(|w| w["kind"] == "namespace-labels")
        .collect();
    assert!(!labels.is_empty(), "{warnings:?}");
    let message = labels[0]["message"].as_str().expect("message");
    assert!(
        message.contains("`cost-center`: `cc-42` → `cc-43`"),
        "{message}"
    );
    assert!(message.contains("+`tier=gold`"), "{message}");
}

// --- 5. Amplification ---------------------------------------------------

/// The issue's input: one team, many users, many namespaces.
fn amplified(users: usize, namespaces: usize) -> Repo {
    let repo = Repo::example();
    let users: Vec<String> = (0..users).map(|i| format!("u{i}@example.com")).collect();
    let namespaces: String = (0..namespaces)
        .map(|i| format!("    - name: amp-n{i}\n"))
        .collect();
    repo.write(
        "teams/amp.yaml",
        format!(
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: amp\nspec:\n  members:\n    viewer: {{ users: [{}] }}\n  namespaces:\n{namespaces}",
            users.join(", ")
        ),
    );
    repo
}

#[test]
fn budgets_stop_amplification_on_the_declaration() {
    let repo = amplified(5_000, 1_000);
    let size = std::fs::metadata(repo.path().join("teams/amp.yaml"))
        .expect("stat")
        .len();
    assert!(size < 200_000, "a small file: {size} bytes");
    for command in ["build", "check"] {
        repo.rbacc(&[command])
            .expect_code(1)
            .stderr_has("input-limit")
            .stderr_has("team `amp` declares 1000 namespaces")
            .stderr_has("5000 subjects in one entry")
            .stderr_has("policy.limits.namespacesPerTeam");
    }
    assert!(!repo.out().exists());
}

#[test]
fn the_output_budget_counts_bytes_per_team() {
    // Within the counts, past a byte budget lowered for the test.
    let repo = amplified(900, 90);
    set_policy(&repo, "limits: { teamOutputBytes: 1000000 }");
    repo.rbacc(&["build"])
        .expect_code(1)
        .stderr_has("team `amp` compiles to")
        .stderr_has("the limit is set here");
    assert!(!repo.out().exists());
}

// --- 10. Privileged namespaces ------------------------------------------

#[test]
fn privileged_is_the_platforms_choice_per_namespace() {
    let repo = Repo::example();
    // The example sets a level.
    repo.edit(
        "teams/payments.yaml",
        "      podSecurity: restricted\n",
        "      podSecurity: privileged\n",
    );
    let stderr = fails_with(&repo, &["build"], "pod-security-level");
    assert!(stderr.contains("may not run `privileged`"), "{stderr}");

    let config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("config");
    set_policy(
        &repo,
        "podSecurity: { privilegedNamespaces: [payments-prod] }",
    );
    // Still a warning.
    repo.rbacc(&["build"])
        .expect_code(0)
        .stderr_has("privileged-namespace");

    // A minimum of `restricted` refuses `baseline` too.
    repo.edit(
        "teams/payments.yaml",
        "podSecurity: privileged",
        "podSecurity: baseline",
    );
    repo.write("rbacc.yaml", &config);
    set_policy(&repo, "podSecurity: { minimum: restricted }");
    fails_with(&repo, &["build"], "below the policy's minimum");
}

// --- 2b. What sits beside out/ ---------------------------------------------

/// A journal, a staging directory or a pending file committed beside
/// `out/` never makes `build` write, move or delete anything outside it.
#[test]
fn a_committed_journal_is_never_replayed_through_links() {
    let victim = tempfile::tempdir().expect("tmp");
    std::fs::write(victim.path().join("keep.txt"), "keep\n").expect("write");
    std::fs::write(victim.path().join("id_ed25519"), "secret\n").expect("write");
    // (a) a link in out/ that the journal writes and removes through.
    let repo = built();
    repo.write(
        ".out.rbacc-staging/prod/evil/authorized_keys",
        "attacker-key\n",
    );
    std::os::unix::fs::symlink(victim.path(), repo.out().join("prod/evil")).expect("link");
    repo.write(
        ".out.rbacc-journal",
        "rbacc journal v1\nwrite prod/evil/authorized_keys\nremove prod/evil/keep.txt\n",
    );
    let run = repo.rbacc(&["build"]);
    run.expect_code(2);
    assert!(
        !victim.path().join("authorized_keys").exists(),
        "{}",
        run.stderr()
    );
    assert!(victim.path().join("keep.txt").exists());
    // (b) staging itself a link: nothing is moved in from it.
    let repo = built();
    std::os::unix::fs::symlink(victim.path(), repo.path().join(".out.rbacc-staging"))
        .expect("link");
    repo.write(".out.rbacc-journal", "rbacc journal v1\nwrite id_ed25519\n");
    repo.rbacc(&["build"])
        .expect_code(2)
        .stderr_has("never replays");
    assert!(victim.path().join("id_ed25519").exists(), "not moved");
    assert!(!repo.out().join("id_ed25519").exists());
    // (c) a pending file that is a link is replaced, never written through.
    let repo = built();
    let target = victim.path().join("bashrc");
    std::fs::write(&target, "mine\n").expect("write");
    std::os::unix::fs::symlink(&target, repo.path().join(".out.rbacc-state-pending"))
        .expect("link");
    repo.edit("teams/payments.yaml", "cc-42", "cc-43");
    repo.rbacc(&["build"]).expect_code(0);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "mine\n");
    // A journal that removes a hand-written file in out/ leaves it.
    let repo = built();
    repo.write("out/prod/NOTES.md", "hand-written\n");
    repo.write(
        ".out.rbacc-journal",
        "rbacc journal v1\nremove prod/NOTES.md\n",
    );
    repo.rbacc(&["build"]).expect_code(0);
    assert!(repo.out().join("prod/NOTES.md").exists());
}

// --- Subject names a review would misread ----------------------------------

#[test]
fn subject_names_with_invisible_characters_or_padding_are_refused() {
    for hidden in [
        "\\U000E0041",
        "\\uFE0F",
        "\\u034F",
        "\\u3164",
        "\\U000E0020",
        "\\u200D",
        "\\u2028",
    ] {
        let repo = Repo::example();
        repo.edit(
            "teams/payments.yaml",
            "groups: [payments-leads]",
            &format!("groups: [\"payments-leads{hidden}\"]"),
        );
        let stderr = fails_with(&repo, &["check"], "invisible character");
        assert_nothing_raw(hidden, &stderr);
    }
    let repo = Repo::example();
    let long = "a".repeat(16_000);
    repo.edit(
        "teams/payments.yaml",
        "groups: [payments-leads]",
        &format!("groups: [payments-leads, {long}]"),
    );
    fails_with(&repo, &["check"], "a subject name of 16000 bytes");
}

#[test]
fn platform_prefixes_are_reserved() {
    for (team, namespace) in [
        ("cattle", "cattle-fleet-system"),
        ("gmp", "gmp-system"),
        ("fleet", "fleet-local"),
    ] {
        let repo = Repo::example();
        repo.write(&format!("teams/{team}.yaml"), team_with(team, &[namespace]));
        assert_reserved(&repo, namespace, "an add-on's namespace");
    }
}

#[test]
fn the_subjects_of_all_bindings_together_have_a_budget() {
    // Within the per-team counts, past a total lowered for the test.
    let repo = amplified(500, 50);
    set_policy(&repo, "limits: { bindingSubjects: 40000 }");
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("team `amp` binds the most (50000)")
        .stderr_has("policy.limits.bindingSubjects");
}

/// Access given to another team's service account is access for whoever
/// can run pods as it: said where the grant is written, and in the
/// pull-request report that adds it.
#[test]
fn a_grant_to_another_teams_service_account_is_a_finding() {
    let repo = Repo::example();
    committed(&repo);
    // Storefront grants viewer to payments.
    let grant = "        - { role: viewer, teams: [payments] }\n";
    repo.edit(
        "teams/web/storefront.yaml",
        grant,
        &format!(
            "{grant}        - {{ role: deployer, serviceAccounts: [payments-prod/ci-deployer] }}\n"
        ),
    );
    repo.rbacc(&["check"])
        .stderr_has("service account `payments-prod/ci-deployer` belongs to team `payments`")
        .stderr_has("whoever can run pods in `payments-prod` acts as it");
    let run = repo.rbacc(&["diff", "--base", "HEAD", "-o", "json"]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON");
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w["message"].as_str().is_some_and(|m| m
                .contains("payments-prod/ci-deployer")
                && m.contains("belongs to team"))),
        "{warnings:?}"
    );
}

#[test]
fn a_reserved_namespace_entry_that_reserves_nothing_is_an_error() {
    for entry in ["\"\"", "\"*\"", "Platform-*", "a_b"] {
        let repo = Repo::example();
        edit_config(
            &repo,
            &[(RESERVED_LIST, &format!("reservedNamespaces: [{entry}]"))],
        );
        fails_with(&repo, &["check"], "reserves nothing");
    }
}
