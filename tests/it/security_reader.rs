//! The one bounded reader and the one file selection, on hostile files:
//! named pipes and devices (directly or through links), huge and growing
//! files, YAML tags and merge keys that make a value read differently from
//! how it is written, empty names that dropped declarations silently, and
//! `--manifests` on real cluster dumps (a kustomize render with thousands
//! of documents, a `kind: List` as `kubectl get -o yaml` prints it).
//!
//! Every run has a deadline: a build that waits on a pipe fails the test
//! instead of hanging it.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::diff::{commit, init};
use crate::hostile::repo_with_out;
use crate::support::{Repo, TODAY, fixtures, mkfifo, read_tree};

/// Longest any run here may take; the slowest (a manifest file of 8,000
/// RoleBindings in a debug build) takes a few seconds.
const DEADLINE: Duration = Duration::from_secs(120);

/// A finished run: exit code, stdout, stderr.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    #[track_caller]
    fn expect(&self, code: i32) -> &Ran {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    #[track_caller]
    fn says(&self, text: &str) -> &Ran {
        assert!(
            self.stderr.contains(text),
            "stderr does not say {text:?}\n--- stderr\n{}",
            self.stderr
        );
        self
    }
}

/// Runs the real binary with `args` in `cwd` (as `support::rbacc` does),
/// killing it and failing the test if it passes [`DEADLINE`].
#[track_caller]
fn run(cwd: &Path, args: &[&str]) -> Ran {
    let logs = tempfile::tempdir().expect("tmp");
    let (out, err) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rbacc"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("RBACC_TODAY", TODAY)
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(File::create(&out).expect("stdout file"))
        .stderr(File::create(&err).expect("stderr file"))
        .spawn()
        .expect("run rbacc");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "rbacc {args:?} still running after {DEADLINE:?}: it hangs\n{}",
                std::fs::read_to_string(&err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        code: status.code().expect("exited, not killed by a signal"),
        stdout: std::fs::read_to_string(&out).expect("stdout"),
        stderr: std::fs::read_to_string(&err).expect("stderr"),
    }
}

/// `rbacc ARGS --repo <repo>`, with the deadline.
#[track_caller]
fn rbacc(repo: &Repo, args: &[&str]) -> Ran {
    let mut all = args.to_vec();
    all.extend(["--repo", repo.path().to_str().expect("UTF-8 path")]);
    run(repo.path(), &all)
}

const TEAM: &str = "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  members:\n    deployer: { groups: [payments-devs] }\n  namespaces:\n    - name: payments-prod\n";

/// `build` and `check` both reject the repository with exit code 1, saying
/// `says`, and leave `out/` as it was.
#[track_caller]
fn rejected(repo: &Repo, says: &[&str]) {
    let before = read_tree(&repo.out());
    for command in ["build", "check"] {
        let ran = rbacc(repo, &[command]);
        ran.expect(1);
        for text in says {
            ran.says(text);
        }
        assert_eq!(read_tree(&repo.out()), before, "{command} changed out/");
    }
}

fn symlink(target: &str, link: &Path) {
    std::fs::create_dir_all(link.parent().expect("parent")).expect("dirs");
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// A named pipe was skipped when found directly and, reached through a
/// link, blocked the build forever waiting for a writer.
#[test]
fn named_pipes_are_refused_and_never_waited_on() {
    // Under teams/, directly and through a link.
    let repo = repo_with_out();
    repo.write("teams/payments.yaml", TEAM);
    mkfifo(&repo.path().join("teams/sre.yaml"));
    mkfifo(&repo.path().join("pipes/web.yaml"));
    symlink("../pipes/web.yaml", &repo.path().join("teams/web.yaml"));
    rejected(
        &repo,
        &[
            "not-a-file",
            "`teams/sre.yaml` is a named pipe, not a regular file",
            "`teams/web.yaml` is a named pipe, not a regular file",
        ],
    );

    // `rbacc.yaml` itself, a template and a CODEOWNERS file.
    let repo = Repo::new();
    repo.write("teams/payments.yaml", TEAM);
    mkfifo(&repo.path().join("rbacc.yaml"));
    rejected(&repo, &["`rbacc.yaml` is a named pipe"]);

    let repo = repo_with_out();
    repo.write("teams/payments.yaml", TEAM);
    mkfifo(&repo.path().join("templates/corp.yaml.j2"));
    rejected(&repo, &["`templates/corp.yaml.j2` is a named pipe"]);

    // A CODEOWNERS file that cannot be read is not rbacc's: left alone.
    let repo = repo_with_out();
    repo.write("teams/payments.yaml", TEAM);
    mkfifo(&repo.path().join("pipes/owners"));
    symlink("../pipes/owners", &repo.path().join(".github/CODEOWNERS"));
    rbacc(&repo, &["build"]).expect(0);
}

/// Links to devices lead outside the repository and are refused before
/// anything is opened; a link to a link is followed to the end.
#[test]
fn links_to_devices_are_refused_without_reading() {
    for device in ["/dev/zero", "/dev/urandom"] {
        let repo = repo_with_out();
        repo.write("teams/payments.yaml", TEAM);
        symlink(device, &repo.path().join("teams/sre.yaml"));
        symlink(device, &repo.path().join("dev-link"));
        symlink("../dev-link", &repo.path().join("teams/web.yaml"));
        rejected(
            &repo,
            &[
                "outside-repo",
                &format!("`teams/sre.yaml` leads to `{device}`"),
                &format!("`teams/web.yaml` leads to `{device}`"),
            ],
        );

        let repo = Repo::new();
        repo.write("teams/payments.yaml", TEAM);
        symlink(device, &repo.path().join("rbacc.yaml"));
        rejected(&repo, &[&format!("`rbacc.yaml` leads to `{device}`")]);
    }
}

/// A file far over the limit is refused by its size, without being read:
/// a sparse 8 GiB team file is no slower than a small one.
#[test]
fn huge_files_are_refused_before_they_are_read() {
    let repo = repo_with_out();
    repo.write("teams/payments.yaml", TEAM);
    let huge = File::create(repo.path().join("teams/sre.yaml")).expect("create");
    huge.set_len(8 << 30).expect("sparse file");
    let start = Instant::now();
    rejected(
        &repo,
        &["input-limit", "`teams/sre.yaml` is 8589934592 bytes"],
    );
    assert!(start.elapsed() < Duration::from_secs(30), "it was read");
}

/// `--manifests` read every file whole, whatever its size, and parsed it
/// with the parser's default budgets.
#[test]
fn manifest_files_over_64_mib_are_refused_with_how_to_split_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let huge = File::create(dir.path().join("all.yaml")).expect("create");
    huge.set_len(100 << 20).expect("sparse file");
    let start = Instant::now();
    let ran = run(
        dir.path(),
        &["who-can", "get", "pods", "-n", "a", "--manifests", "."],
    );
    ran.expect(2)
        .says("all.yaml` is 104857600 bytes, more than the limit of 67108864 bytes")
        .says("the most rbacc reads in one manifest file")
        .says("kubectl kustomize out/<cluster>/teams/<team>");
    assert!(start.elapsed() < Duration::from_secs(30), "it was read");

    // A named pipe or a link among the manifests is not read either.
    let dir = tempfile::tempdir().expect("tmp");
    mkfifo(&dir.path().join("pipe.yaml"));
    symlink("/dev/zero", &dir.path().join("zero.yaml"));
    run(
        dir.path(),
        &["who-can", "get", "pods", "-n", "a", "--manifests", "."],
    )
    .expect(0)
    .says("no Role, ClusterRole, RoleBinding or ClusterRoleBinding");
}

/// A cluster dump is one file however large the cluster (`kubectl get
/// -A` prints one list): `audit --live` reads up to 1 GiB where
/// `--manifests` stops at 64 MiB, and refuses more by its size, unread.
#[test]
fn cluster_dumps_are_read_up_to_1_gib_and_refused_over_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let live = dir.path().join("live.yaml");
    let huge = File::create(&live).expect("create");
    huge.set_len(100 << 20).expect("sparse file");
    let ran = run(
        dir.path(),
        &["audit", "--live", "live.yaml", "--repo", "repo"],
    );
    ran.expect(2).says("live.yaml");
    assert!(
        !ran.stderr.contains("more than the limit"),
        "100 MiB is refused by size: {}",
        ran.stderr
    );
    huge.set_len((1 << 30) + 1).expect("sparse file");
    let start = Instant::now();
    run(
        dir.path(),
        &["audit", "--live", "live.yaml", "--repo", "repo"],
    )
    .expect(2)
    .says("live.yaml` is 1073741825 bytes, more than the limit of 1073741824 bytes")
    .says("the most rbacc reads in one cluster dump")
    .says("dump the cluster into several files of a directory");
    assert!(start.elapsed() < Duration::from_secs(30), "it was read");
}

/// A team file with one value changed to `value`, in a flow mapping.
fn team_with(value: &str) -> String {
    format!(
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  members:\n    deployer: {{ groups: [payments-devs], users: [{value}] }}\n  namespaces:\n    - name: payments-prod\n"
    )
}

/// `!!binary` was decoded: a base64 user name no reviewer reads reached a
/// RoleBinding. Core-schema tags (`!!str`, `!!int`) were accepted; only
/// unknown ones were refused. Every explicit tag is refused now, labelled
/// at the tag.
#[test]
fn yaml_tags_are_refused_wherever_they_are() {
    // `bWFsbG9yeUBleGFtcGxlLmNvbQ==` is mallory@example.com.
    let cases: &[(&str, &str)] = &[
        ("!!binary bWFsbG9yeUBleGFtcGxlLmNvbQ==", "!!binary"),
        ("!binary bWFsbG9yeUBleGFtcGxlLmNvbQ==", "!binary"),
        (
            "!<tag:yaml.org,2002:binary> bWFsbG9yeUBleGFtcGxlLmNvbQ==",
            "!<tag:yaml.org,2002:binary>",
        ),
        ("!!str mallory@example.com", "!!str"),
        ("!!int 42", "!!int"),
        ("! mallory@example.com", "!"),
    ];
    for (value, tag) in cases {
        let repo = repo_with_out();
        repo.write("teams/payments.yaml", team_with(value));
        rejected(
            &repo,
            &[
                "yaml-syntax",
                &format!("unsupported tag `{tag}`"),
                "teams/payments.yaml:7:",
            ],
        );
    }
    // Block style, a key, a quota value, and behind an anchor.
    for (text, tag) in [
        (TEAM.replace("    - name: payments-prod", "    - name: !!str payments-prod"), "!!str"),
        (TEAM.replace("  namespaces:\n", "  namespaces: !!seq\n"), "!!seq"),
        (TEAM.replace("    deployer:", "    !!str deployer:"), "!!str"),
        (
            format!("{TEAM}      quota: {{ pods: !!int \"5\" }}\n"),
            "!!int",
        ),
        (
            TEAM.replace(
                "    deployer: { groups: [payments-devs] }",
                "    deployer: &devs { groups: [!!binary cGF5bWVudHMtZGV2cw==] }\n    viewer: *devs",
            ),
            "!!binary",
        ),
    ] {
        let repo = repo_with_out();
        repo.write("teams/payments.yaml", &text);
        rejected(&repo, &["yaml-syntax", &format!("unsupported tag `{tag}`")]);
    }
}

/// `<<` merged an anchored mapping in, where a key written beside it
/// silently wins: a namespace that reads as plain carried another's grant.
#[test]
fn merge_keys_are_refused() {
    let repo = repo_with_out();
    repo.write(
        "teams/payments.yaml",
        "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  members:\n    deployer: { groups: [payments-devs] }\n  namespaces:\n    - &prod\n      name: payments-prod\n      grants: [{ role: admin, groups: [contractors] }]\n    - <<: *prod\n      name: payments-dev\n",
    );
    rejected(
        &repo,
        &[
            "yaml-syntax",
            "merge keys (`<<`) are not supported",
            "teams/payments.yaml:12:7",
        ],
    );
    let repo = repo_with_out();
    repo.write(
        "teams/payments.yaml",
        TEAM.replace(
            "    deployer: { groups: [payments-devs] }",
            "    deployer: { <<: { groups: [contractors] }, groups: [payments-devs] }",
        ),
    );
    rejected(&repo, &["merge keys (`<<`) are not supported"]);
}

/// A namespace written `{ name: "" }` was dropped with its grants and
/// service accounts, and the build succeeded.
#[test]
fn an_empty_namespace_name_is_reported_not_dropped() {
    let repo = repo_with_out();
    repo.write(
        "teams/payments.yaml",
        format!(
            "{TEAM}    - name: \"\"\n      serviceAccounts: [{{ name: ci, role: deployer }}]\n      grants: [{{ role: deployer, groups: [contractors] }}]\n"
        ),
    );
    rejected(
        &repo,
        &[
            "invalid-name",
            "`` is not a valid namespace name: it is empty",
            "teams/payments.yaml:10:13",
        ],
    );
    // Without any name, it is a missing field, as before.
    let repo = repo_with_out();
    repo.write(
        "teams/payments.yaml",
        format!("{TEAM}    - {{ grants: [{{ role: deployer, groups: [contractors] }}] }}\n"),
    );
    rejected(
        &repo,
        &["missing-field", "a namespace is missing the field `name`"],
    );
}

/// The work tree and a git revision choose the same files of the same
/// tree. The work tree read files below a dot directory (only the
/// directory's own name was skipped), and a git revision listed a `.yml`
/// link to a directory as ignored where the work tree refused it.
#[test]
fn work_tree_and_git_revision_read_the_same_files() {
    let repo = Repo::example();
    init(repo.path());
    commit(repo.path(), "base");
    // A second `payments` team, if it were read.
    let payments = std::fs::read(repo.path().join("teams/payments.yaml")).expect("read");
    repo.write("teams/.archive/payments.yaml", &payments);
    repo.write("shared/teams/payments.yaml", &payments);
    symlink("../shared/teams", &repo.path().join("teams/legacy.yml"));
    symlink("../../../etc", &repo.path().join("teams/notes"));
    commit(repo.path(), "layout");

    let tree = rbacc(&repo, &["build"]);
    let revision = rbacc(&repo, &["diff", "--base", "HEAD~1", "--head", "HEAD"]);
    for ran in [&tree, &revision] {
        ran.expect(1)
            .says("`teams/legacy.yml` is a link to the directory `shared/teams`")
            .says("`teams/notes` leads to `")
            .says("outside the repository");
        assert!(!ran.stderr.contains(".archive"), "{}", ran.stderr);
        assert!(!ran.stderr.contains("duplicate-team"), "{}", ran.stderr);
    }
}

/// Team files for `teams` teams of four namespaces each, every one with a
/// service account and a grant to the next team: about 28 documents a
/// team once compiled.
fn organisation(repo: &Repo, teams: usize) {
    for i in 0..teams {
        let team = format!("t{i:03}");
        let next = format!("t{:03}", (i + 1) % teams);
        let mut text = format!(
            "apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata:\n  name: {team}\nspec:\n  members:\n    admin: {{ groups: [{team}-leads] }}\n    deployer: {{ groups: [{team}-devs] }}\n    viewer: {{ users: [auditor.{team}@example.com] }}\n  namespaces:\n"
        );
        for env in ["prod", "dev", "qa", "tools"] {
            text.push_str(&format!(
                "    - name: {team}-{env}\n      serviceAccounts: [{{ name: ci, role: deployer }}]\n      grants: [{{ role: viewer, teams: [{next}] }}]\n"
            ));
        }
        repo.write(&format!("teams/{team}.yaml"), text);
    }
}

/// `--manifests` stopped at 1,024 documents (`budget breached: Documents
/// { documents: 1025 }`): `kubectl kustomize out/prod > all.yaml` of any
/// real organisation could not be evaluated. The render of a generated
/// organisation answers as its directory of manifests and its
/// declarations do.
#[test]
fn a_kustomize_render_with_thousands_of_documents_is_evaluated() {
    let repo = Repo::copy_of(&fixtures().join("base"));
    organisation(&repo, 50);
    rbacc(&repo, &["build"]).expect(0);
    let render = crate::support::kustomize(&repo.out().join("prod"));
    let documents = render.matches("\n---\n").count() + 1;
    assert!(documents > 1300, "{documents} documents");
    let dump = tempfile::tempdir().expect("tmp");
    std::fs::write(dump.path().join("all.yaml"), &render).expect("write render");

    let out = repo.out().join("prod");
    let (dump, out) = (
        dump.path().to_str().expect("UTF-8"),
        out.to_str().expect("UTF-8"),
    );
    for question in [
        &["who-can", "get", "secrets", "-n", "t017-qa"][..],
        &["who-can", "create", "pods", "-n", "t049-tools"],
        &[
            "can-i",
            "list",
            "pods",
            "-n",
            "t016-qa",
            "--as",
            "auditor.t017@example.com",
        ],
        &[
            "access",
            "--as",
            "x",
            "--as-group",
            "t030-devs",
            "-n",
            "t030-prod",
        ],
    ] {
        let ask = |manifests: &str| {
            let mut args = question.to_vec();
            args.extend(["--manifests", manifests]);
            run(repo.path(), &args)
        };
        let from_render = ask(dump);
        from_render.expect(0);
        assert!(!from_render.stdout.is_empty(), "{question:?}");
        assert_eq!(
            from_render.stdout,
            ask(out).expect(0).stdout,
            "{question:?}"
        );
        let mut declared = question.to_vec();
        declared.extend(["--cluster", "prod"]);
        assert_eq!(
            from_render.stdout,
            rbacc(&repo, &declared).expect(0).stdout,
            "{question:?}"
        );
    }
}

/// `kubectl get rolebindings,clusterroles -A -o yaml` prints one
/// `kind: List`; one of 8,000 RoleBindings (some 320,000 values) broke the
/// parser's default budget of 250,000 nodes. Every item is evaluated.
#[test]
fn a_kind_list_of_thousands_of_items_is_evaluated() {
    let mut list = String::from("apiVersion: v1\nitems:\n");
    list.push_str(
        "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata:\n    creationTimestamp: \"2026-01-01T00:00:00Z\"\n    name: read-pods\n    resourceVersion: \"1\"\n    uid: 0a8b6b0e-0000-4000-8000-000000000000\n  rules:\n  - apiGroups:\n    - \"\"\n    resources:\n    - pods\n    verbs:\n    - get\n    - list\n",
    );
    for i in 0..8000 {
        list.push_str(&format!(
            "- apiVersion: rbac.authorization.k8s.io/v1\n  kind: RoleBinding\n  metadata:\n    creationTimestamp: \"2026-01-01T00:00:00Z\"\n    labels:\n      app.kubernetes.io/managed-by: rbacc\n    name: readers\n    namespace: ns-{i:04}\n    resourceVersion: \"{i}\"\n    uid: 0a8b6b0e-0000-4000-8000-{i:012}\n  roleRef:\n    apiGroup: rbac.authorization.k8s.io\n    kind: ClusterRole\n    name: read-pods\n  subjects:\n  - apiGroup: rbac.authorization.k8s.io\n    kind: Group\n    name: readers-{i:04}\n"
        ));
    }
    list.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("rbac.yaml"), &list).expect("write");
    let ran = run(
        dir.path(),
        &[
            "who-can",
            "list",
            "pods",
            "-n",
            "ns-7999",
            "--manifests",
            ".",
        ],
    );
    ran.expect(0);
    assert!(ran.stdout.contains("readers-7999"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("readers-7998"), "{}", ran.stdout);
    run(
        dir.path(),
        &[
            "can-i",
            "get",
            "pods",
            "-n",
            "ns-0000",
            "--as",
            "u",
            "--as-group",
            "readers-0000",
            "--manifests",
            ".",
        ],
    )
    .expect(0);
}

/// Manifests are read by the same parser: a tag or a merge key is an
/// error that names the file and line, never decoded.
#[test]
fn manifests_with_tags_or_merge_keys_are_refused_with_the_line() {
    let binding = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects:\n- kind: User\n  name: !!binary bWFsbG9yeUBleGFtcGxlLmNvbQ==\n";
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("rbac.yaml"), format!("---\n{binding}")).expect("write");
    run(
        dir.path(),
        &["who-can", "get", "pods", "-n", "ns", "--manifests", "."],
    )
    .expect(2)
    .says("rbac.yaml: line 8, column 9: unsupported tag `!!binary`");

    let merged = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: b, namespace: ns}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}\nsubjects:\n- <<: {kind: User, name: alice}\n  name: mallory\n";
    std::fs::write(dir.path().join("rbac.yaml"), merged).expect("write");
    run(
        dir.path(),
        &["who-can", "get", "pods", "-n", "ns", "--manifests", "."],
    )
    .expect(2)
    .says("merge keys (`<<`) are not supported");
}
