//! Test support: temporary repositories, the real `rbacc` binary, and the
//! real consumers of its output (kubectl kustomize, kubernetes-validate).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub const KUBERNETES_VERSION: &str = "1.37.0";

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests/fixtures")
}

/// Whether expected files may be rewritten (`RBACC_BLESS=1`, never in CI).
pub fn bless() -> bool {
    std::env::var_os("RBACC_BLESS").is_some_and(|v| v == "1") && std::env::var_os("CI").is_none()
}

/// One `#[test]` per case of a fixture corpus: for each name listed, a test
/// of that name runs `$run` on the corpus entry (file or directory) in
/// `$dir` whose [`case_name`] it is. Also defines `CASES`, the names listed,
/// for [`assert_corpus_listed`], so that no entry goes without a test.
macro_rules! corpus {
    ($dir:expr, $run:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                ($run)($crate::support::corpus_case(&$dir, stringify!($case)).as_path());
            }
        )*

        /// The cases listed, by test name.
        pub(super) const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}
pub(crate) use corpus;

/// The test name of a corpus entry: its file name up to the first `.`, with
/// dashes as underscores (`yaml-merge-key` → `yaml_merge_key`).
pub fn case_name(file_name: &str) -> String {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    stem.replace('-', "_")
}

/// Every entry of a corpus directory, by file name, sorted.
fn corpus_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The one entry of corpus `dir` whose test name is `case`.
#[track_caller]
pub fn corpus_case(dir: &Path, case: &str) -> PathBuf {
    let found: Vec<String> = corpus_entries(dir)
        .into_iter()
        .filter(|name| case_name(name) == case)
        .collect();
    match found.as_slice() {
        [name] => dir.join(name),
        [] => panic!("no case `{case}` in {}", dir.display()),
        names => panic!("{names:?} in {} share the test `{case}`", dir.display()),
    }
}

/// Asserts that the cases listed for corpus `dir` (its `CASES`) are exactly
/// its entries: each entry has its test, each test its entry, and no two
/// entries share a test. Returns how many cases there are.
#[track_caller]
pub fn assert_corpus_listed(dir: &Path, listed: &[&str]) -> usize {
    let mut on_disk: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in corpus_entries(dir) {
        on_disk.entry(case_name(&name)).or_default().push(name);
    }
    let mut problems = Vec::new();
    for (case, names) in &on_disk {
        if names.len() > 1 {
            problems.push(format!(
                "{names:?} share the test name `{case}`: rename one"
            ));
        } else if !listed.contains(&case.as_str()) {
            problems.push(format!("`{}` has no test: list `{case}`", names[0]));
        }
    }
    for case in listed {
        if !on_disk.contains_key(*case) {
            problems.push(format!("`{case}` is listed but has no entry"));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for case in listed {
        if !seen.insert(case) {
            problems.push(format!("`{case}` is listed twice"));
        }
    }
    assert!(
        problems.is_empty(),
        "the cases listed for {} are not its entries (entry names use dashes, test names underscores):\n{}",
        dir.display(),
        problems.join("\n")
    );
    on_disk.len()
}

/// A repository in a temporary directory.
pub struct Repo {
    dir: TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("create temp dir"),
        }
    }

    /// A copy of a directory's files (e.g. a fixture or the example org).
    pub fn copy_of(src: &Path) -> Repo {
        let repo = Repo::new();
        copy_tree(src, repo.path());
        repo
    }

    /// A copy of this project's own example organisation.
    pub fn example() -> Repo {
        let repo = Repo::new();
        std::fs::copy(root().join("rbacc.yaml"), repo.path().join("rbacc.yaml"))
            .expect("copy rbacc.yaml");
        copy_tree(&root().join("teams"), &repo.path().join("teams"));
        copy_tree(&root().join("templates"), &repo.path().join("templates"));
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Repo {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("create dirs");
        std::fs::write(&path, contents).expect("write file");
        self
    }

    /// The text of the file `rel`.
    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Replaces the first `from` in the file `rel` with `to`; `from` must
    /// be there.
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) -> &Repo {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} has no {from:?}");
        self.write(rel, text.replacen(from, to, 1))
    }

    /// Runs `rbacc ARGS --repo <repo>` (for commands that take `--repo`).
    pub fn rbacc(&self, args: &(impl Args + ?Sized)) -> Run {
        self.rbacc_on(TODAY, args)
    }

    /// Runs `rbacc ARGS --repo <repo>` as if today were `today`
    /// (`YYYY-MM-DD`, through `RBACC_TODAY`).
    pub fn rbacc_on(&self, today: &str, args: &(impl Args + ?Sized)) -> Run {
        let mut all = args.args();
        let repo = self.path().to_str().expect("utf-8 temp path");
        all.extend(["--repo", repo]);
        rbacc_on(today, &all, self.path())
    }
}

/// The arguments of a run: a list, or one string split at white space
/// (`"who-can get secrets -n payments-prod"`; a list for an argument that
/// holds white space).
pub trait Args {
    fn args(&self) -> Vec<&str>;
}

impl Args for str {
    fn args(&self) -> Vec<&str> {
        self.split_whitespace().collect()
    }
}

impl Args for String {
    fn args(&self) -> Vec<&str> {
        self.split_whitespace().collect()
    }
}

impl Args for [&str] {
    fn args(&self) -> Vec<&str> {
        self.to_vec()
    }
}

impl<const N: usize> Args for [&str; N] {
    fn args(&self) -> Vec<&str> {
        self.to_vec()
    }
}

impl Args for Vec<&str> {
    fn args(&self) -> Vec<&str> {
        self.clone()
    }
}

/// The date tests run on, unless they say otherwise: the real date must not
/// decide an outcome.
pub const TODAY: &str = "2026-11-23";

/// Runs the real binary with `args` in `cwd`, without colour, on [`TODAY`].
pub fn rbacc(args: &(impl Args + ?Sized), cwd: &Path) -> Run {
    rbacc_on(TODAY, args, cwd)
}

/// Runs the real binary with `args` in `cwd`, without colour, as if today
/// were `today`.
pub fn rbacc_on(today: &str, args: &(impl Args + ?Sized), cwd: &Path) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_rbacc"))
        .args(args.args())
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("RBACC_TODAY", today)
        // The record of an `out/` outside its repository goes to the cache
        // directory: one of the tests', never the user's.
        .env("XDG_CACHE_HOME", test_cache())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run rbacc");
    Run { output }
}

/// The cache directory every run of the binary is given
/// (`XDG_CACHE_HOME`).
pub fn test_cache() -> PathBuf {
    std::env::temp_dir().join("rbacc-tests-cache")
}

/// A finished run of the binary. Its expectations chain, each showing both
/// streams when it fails:
/// `repo.rbacc("check").expect_code(1).stderr_has("stale").stdout_is("")`.
pub struct Run {
    pub output: Output,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.output
            .status
            .code()
            .expect("rbacc exited, not killed by a signal")
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        self.expect(
            self.code() == code,
            format_args!("expected exit code {code}, got {}", self.code()),
        )
    }

    /// Asserts that stdout is `want`, showing the difference.
    #[track_caller]
    pub fn stdout_is(&self, want: &str) -> &Run {
        self.expect_text("stdout", &self.stdout(), want)
    }

    /// Asserts that stderr is `want`, showing the difference.
    #[track_caller]
    pub fn stderr_is(&self, want: &str) -> &Run {
        self.expect_text("stderr", &self.stderr(), want)
    }

    /// Asserts that stdout contains `part`.
    #[track_caller]
    pub fn stdout_has(&self, part: &str) -> &Run {
        self.expect(
            self.stdout().contains(part),
            format_args!("stdout lacks {part:?}"),
        )
    }

    /// Asserts that stderr contains `part`.
    #[track_caller]
    pub fn stderr_has(&self, part: &str) -> &Run {
        self.expect(
            self.stderr().contains(part),
            format_args!("stderr lacks {part:?}"),
        )
    }

    /// Asserts that stdout does not contain `part`.
    #[track_caller]
    pub fn stdout_lacks(&self, part: &str) -> &Run {
        self.expect(
            !self.stdout().contains(part),
            format_args!("stdout has {part:?}"),
        )
    }

    /// Asserts that stderr does not contain `part`.
    #[track_caller]
    pub fn stderr_lacks(&self, part: &str) -> &Run {
        self.expect(
            !self.stderr().contains(part),
            format_args!("stderr has {part:?}"),
        )
    }

    #[track_caller]
    fn expect(&self, holds: bool, what: std::fmt::Arguments) -> &Run {
        assert!(
            holds,
            "{what}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    #[track_caller]
    fn expect_text(&self, stream: &str, got: &str, want: &str) -> &Run {
        let diff = similar::TextDiff::from_lines(want, got);
        self.expect(
            got == want,
            format_args!(
                "{stream} differs:\n{}",
                diff.unified_diff().header("expected", "actual")
            ),
        )
    }
}

pub fn copy_tree(src: &Path, dst: &Path) {
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.expect("walk fixture");
        let rel = entry.path().strip_prefix(src).expect("below src");
        let to = dst.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("create dir");
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &to).expect("copy file");
        }
    }
}

/// Every file below `dir`, by `/`-separated relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if !dir.exists() {
        return files;
    }
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk tree");
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(dir).expect("below dir");
            let rel = rel.to_string_lossy().replace('\\', "/");
            files.insert(rel, std::fs::read(entry.path()).expect("read file"));
        }
    }
    files
}

/// Asserts that `actual` equals the tree stored at `expected` (or rewrites
/// it under `RBACC_BLESS=1`).
#[track_caller]
pub fn assert_tree(actual: &Path, expected: &Path) {
    let got = read_tree(actual);
    if bless() {
        let _ = std::fs::remove_dir_all(expected);
        copy_tree(actual, expected);
        return;
    }
    let want = read_tree(expected);
    let got_names: Vec<&String> = got.keys().collect();
    let want_names: Vec<&String> = want.keys().collect();
    assert_eq!(
        got_names,
        want_names,
        "files under {} (RBACC_BLESS=1 to update after review)",
        expected.display()
    );
    for (path, contents) in &got {
        let (got, want) = (
            String::from_utf8_lossy(contents),
            String::from_utf8_lossy(&want[path]),
        );
        if got != want {
            let diff = similar::TextDiff::from_lines(want.as_ref(), got.as_ref());
            panic!(
                "{path} differs from {} (RBACC_BLESS=1 to update after review):\n{}",
                expected.display(),
                diff.unified_diff().header("expected", "actual")
            );
        }
    }
}

/// Asserts that `actual` equals the text stored at `expected`.
#[track_caller]
pub fn assert_text(actual: &str, expected: &Path) {
    if bless() {
        std::fs::write(expected, actual).expect("write expected");
        return;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_else(|_| {
        panic!(
            "missing {} (RBACC_BLESS=1 to create it, then review it)",
            expected.display()
        )
    });
    if want != actual {
        let diff = similar::TextDiff::from_lines(want.as_str(), actual);
        panic!(
            "output differs from {} (RBACC_BLESS=1 to update after review):\n{}",
            expected.display(),
            diff.unified_diff().header("expected", "actual")
        );
    }
}

fn kubernetes_validate() -> PathBuf {
    if let Some(path) = std::env::var_os("KUBERNETES_VALIDATE") {
        return PathBuf::from(path);
    }
    let venv = root().join(".venv/bin/kubernetes-validate");
    if venv.exists() {
        return venv;
    }
    panic!("kubernetes-validate not found: run `scripts/test`, which installs it into .venv");
}

/// The real consumers' checks on one `out/` tree: `kubectl kustomize` must
/// render every cluster directory and every shard, and every rendered object
/// must pass `kubernetes-validate --strict`. Returns the rendered YAML per
/// cluster.
#[track_caller]
pub fn check_with_consumers(out: &Path) -> BTreeMap<String, String> {
    let mut rendered = BTreeMap::new();
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    let clusters = std::fs::read_dir(out).expect("read out/");
    let mut clusters: Vec<PathBuf> = clusters
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    clusters.sort();
    assert!(
        !clusters.is_empty(),
        "no cluster directories in {}",
        out.display()
    );
    for cluster in clusters {
        let name = cluster
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let yaml = kustomize(&cluster);
        let shards = walkdir::WalkDir::new(&cluster)
            .min_depth(1)
            .into_iter()
            .map(|e| e.expect("walk"))
            .filter(|e| e.file_name() == "kustomization.yaml");
        for shard in shards {
            kustomize(shard.path().parent().expect("shard dir"));
        }
        check_kubeconfigs(&cluster, &name);
        let file = tmp.path().join(format!("{name}.yaml"));
        std::fs::write(&file, &yaml).expect("write rendered");
        files.push(file);
        rendered.insert(name, yaml);
    }
    let output = Command::new(kubernetes_validate())
        .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
        .args(&files)
        .output()
        .expect("run kubernetes-validate");
    assert!(
        output.status.success(),
        "kubernetes-validate --strict rejected the output:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    rendered
}

/// A named pipe at `path`, its directories made: opening it to read would
/// block until something writes.
pub fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A URI path with its `%XX` escapes decoded.
pub fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

/// `kubectl kustomize DIR`: the rendered YAML, or a failed test.
#[track_caller]
pub fn kustomize(dir: &Path) -> String {
    stdout_of(Command::new("kubectl").arg("kustomize").arg(dir))
}

/// Runs `command`, which must succeed, and returns what it printed.
#[track_caller]
pub fn stdout_of(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {command:?} (it is on the machine image): {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap_or_else(|e| panic!("{command:?} printed non-UTF-8: {e}"))
}

/// Every kubeconfig under `<cluster>/kubeconfigs/` is read by the real
/// client: `kubectl config get-contexts` lists one context per namespace,
/// named `<cluster>-<namespace>`, and each context presets its namespace.
#[track_caller]
fn check_kubeconfigs(cluster_dir: &Path, cluster: &str) {
    let dir = cluster_dir.join("kubeconfigs");
    if !dir.exists() {
        return;
    }
    for entry in std::fs::read_dir(&dir).expect("read kubeconfigs") {
        let file = entry.expect("entry").path();
        let team = file
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let contexts = kubectl_config(&file, &["get-contexts", "-o", "name"]);
        let contexts: Vec<&str> = contexts.lines().collect();
        assert!(!contexts.is_empty(), "{}: no contexts", file.display());
        let shard = cluster_dir.join("teams").join(&team);
        let mut namespaces: Vec<String> = std::fs::read_dir(&shard)
            .expect("team shard")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n != "kustomization.yaml" && n != "rbacc.kubeconfig.yaml")
            .map(|n| n.trim_end_matches(".yaml").to_string())
            .collect();
        namespaces.sort();
        let mut expected: Vec<String> = namespaces
            .iter()
            .map(|ns| format!("{cluster}-{ns}"))
            .collect();
        expected.sort();
        let mut got: Vec<String> = contexts.iter().map(|c| c.to_string()).collect();
        got.sort();
        assert_eq!(got, expected, "{}: contexts", file.display());
        for ns in &namespaces {
            let path = format!("{{.contexts[?(@.name==\"{cluster}-{ns}\")].context.namespace}}");
            let preset = kubectl_config(&file, &["view", "-o", &format!("jsonpath={path}")]);
            assert_eq!(
                preset,
                *ns,
                "{}: namespace of context {cluster}-{ns}",
                file.display()
            );
        }
        let current = kubectl_config(&file, &["current-context"]);
        assert_eq!(
            current.trim(),
            expected[0],
            "{}: current-context",
            file.display()
        );
    }
}

#[track_caller]
fn kubectl_config(kubeconfig: &Path, args: &[&str]) -> String {
    stdout_of(
        Command::new("kubectl")
            .arg("config")
            .args(args)
            .arg("--kubeconfig")
            .arg(kubeconfig),
    )
}

/// A team file for team `dbg`: its namespace `dbg-prod`, group `dbg`
/// holding its one role `debugger` with `rule` (a flow mapping), and
/// `spec` lines after (`allow:` entries), each indented as under `spec:`.
pub fn debugger_team(rule: &str, spec: &str) -> String {
    format!(
        "apiVersion: rbacc.dev/v1alpha1
kind: Team
metadata: {{ name: dbg }}
spec:
  roles:
    - name: debugger
      rules:
        - {rule}
  members:
    debugger: {{ groups: [dbg] }}
  namespaces: [dbg-prod]
{spec}"
    )
}
