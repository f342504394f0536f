//! Fitting in: `rbacc completions`, `rbacc man`, `rbacc init`, and the
//! GitOps wiring (`deploy/`, Flux Kustomizations in `out/`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{
    Repo, assert_tree, check_with_consumers, kustomize, rbacc, read_tree, root, stdout_of,
};

/// The commands every completion script must offer.
const COMMANDS: &[&str] = &[
    "build",
    "check",
    "can-i",
    "who-can",
    "access",
    "schema",
    "completions",
];

#[test]
fn completions_for_every_shell_name_the_commands() {
    let dir = tempfile::tempdir().expect("tmp");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = rbacc(&["completions", shell], dir.path());
        run.expect_code(0);
        let script = run.stdout();
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
        assert!(script.contains("repo"), "{shell}: no `--repo` option");
    }
    // The hidden command the scripts run is not offered as a command.
    let fish = rbacc(&["completions", "fish"], dir.path()).stdout();
    assert!(!fish.contains("-a \"complete-clusters\""), "{fish}");
    assert!(fish.contains("-l cluster ") && fish.contains("(rbacc complete-clusters"));
    rbacc(&["completions", "tcsh"], dir.path()).expect_code(2);
}

/// bash accepts the script: sourcing it defines the completion function and
/// registers it for `rbacc`.
#[test]
fn bash_completion_script_loads() {
    let dir = tempfile::tempdir().expect("tmp");
    let script = rbacc(&["completions", "bash"], dir.path()).stdout();
    let file = dir.path().join("rbacc.bash");
    std::fs::write(&file, script).expect("write");
    let registered = stdout_of(
        std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("source {} && complete -p rbacc", file.display())),
    );
    assert!(registered.contains("rbacc"), "{registered}");
}

#[test]
fn man_page_is_roff_with_every_command() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = rbacc(&["man"], dir.path());
    run.expect_code(0);
    let page = run.stdout();
    assert!(
        page.starts_with(".TH rbacc 1"),
        "{}",
        &page[..80.min(page.len())]
    );
    for command in COMMANDS {
        let heading = format!(".SH \"RBACC {}\"", command.to_uppercase());
        assert!(page.contains(&heading), "no section {heading}");
    }
    assert!(page.contains("Examples:"), "examples are in the page");
}

// ---- rbacc init

#[test]
fn init_in_an_empty_directory_makes_a_repository_that_passes_check() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = rbacc(&["init", "new-repo"], dir.path());
    run.expect_code(0);
    let repo = dir.path().join("new-repo");
    let files = read_tree(&repo);
    for path in [
        "rbacc.yaml",
        "teams/example.yaml",
        "templates/in-cluster.yaml.j2",
        "templates/oidc-kubelogin.yaml.j2",
        "templates/pinniped.yaml.j2",
        "schema/team.json",
        "schema/config.json",
        ".gitignore",
        ".github/workflows/rbacc.yaml",
        "deploy/argocd/applicationset.yaml",
        "deploy/flux/prod/rbacc.yaml",
        "out/prod/kustomization.yaml",
        "out/prod/teams/example/example-prod.yaml",
        "out/prod/flux/team-example.yaml",
    ] {
        assert!(files.contains_key(path), "{path} missing");
    }
    // The shipped templates are the binary's own.
    assert_eq!(
        files["templates/pinniped.yaml.j2"],
        std::fs::read(root().join("templates/pinniped.yaml.j2")).expect("read")
    );
    assert!(String::from_utf8_lossy(&files[".gitignore"]).contains("/.out.rbacc-*"));
    let workflow = yaml(&String::from_utf8_lossy(
        &files[".github/workflows/rbacc.yaml"],
    ));
    let steps = workflow["jobs"]["check"]["steps"]
        .as_array()
        .expect("steps");
    assert!(
        steps.iter().any(|s| s["run"] == "rbacc check -o github"),
        "{workflow}"
    );
    rbacc(&["check", "--repo", "new-repo"], dir.path()).expect_code(0);
    check_with_consumers(&repo.join("out"));
    kustomize(&repo.join("deploy/argocd"));
    let flux = kustomize(&repo.join("deploy/flux/prod"));
    assert!(flux.contains("path: ./out/prod/flux"), "{flux}");
}

#[test]
fn init_into_the_current_directory_and_with_a_git_url() {
    let dir = tempfile::tempdir().expect("tmp");
    let url = "https://git.example.com/acme/rbac.git";
    rbacc(&["init", "--git-url", url], dir.path()).expect_code(0);
    let appset = std::fs::read_to_string(dir.path().join("deploy/argocd/applicationset.yaml"))
        .expect("read");
    assert!(
        appset.contains(url) && !appset.contains("OWNER/REPO"),
        "{appset}"
    );
    rbacc(&["check"], dir.path()).expect_code(0);
}

/// With any file it would write already there, `init` lists them, writes
/// nothing and exits 2.
#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let repo = Repo::new();
    repo.write("teams/example.yaml", "mine\n");
    repo.write("out/prod/kustomization.yaml", "mine too\n");
    repo.write("README.md", "unrelated\n");
    let before = read_tree(repo.path());
    rbacc(&["init", repo.path().to_str().expect("utf-8")], repo.path())
        .expect_code(2)
        .stderr_has("nothing was written")
        .stderr_has("  teams/example.yaml\n")
        .stderr_has("  out/prod/kustomization.yaml\n")
        .stderr_lacks("README.md");
    assert_eq!(read_tree(repo.path()), before, "nothing written");

    // A file where a directory must go is a conflict too.
    let repo = Repo::new();
    repo.write("deploy", "a file\n");
    let run = rbacc(&["init", "."], repo.path());
    run.expect_code(2);
    assert!(
        run.stderr()
            .contains("  deploy/argocd/applicationset.yaml\n")
    );
    assert_eq!(read_tree(repo.path()).len(), 1);
}

/// An existing `.gitignore` gets the lines init needs, once; files that
/// already hold what init writes are left, so init runs again on its own
/// repository, and the scaffold checks with no warning.
#[test]
fn init_merges_the_gitignore_and_skips_what_is_already_there() {
    let repo = Repo::new();
    repo.write(".gitignore", "target/\n/node_modules"); // no final line break
    let dir = repo.path().to_str().expect("utf-8");
    rbacc(&["init", dir], repo.path())
        .expect_code(0)
        .stderr_has("added rbacc's lines to the existing .gitignore")
        .stderr_lacks("warning");
    let gitignore = std::fs::read_to_string(repo.path().join(".gitignore")).expect("read");
    assert!(
        gitignore.starts_with("target/\n/node_modules\n\n"),
        "{gitignore:?}"
    );
    assert_eq!(gitignore.matches("/.out.rbacc-*").count(), 1, "{gitignore}");
    let after = read_tree(repo.path());
    // Again: everything is already there.
    rbacc(&["init", dir], repo.path())
        .expect_code(0)
        .stderr_has("files that already hold what init writes")
        .stderr_lacks(".gitignore");
    let again = read_tree(repo.path());
    assert_eq!(
        again
            .iter()
            .filter(|(p, _)| !p.starts_with(".out."))
            .collect::<Vec<_>>(),
        after
            .iter()
            .filter(|(p, _)| !p.starts_with(".out."))
            .collect::<Vec<_>>()
    );
    rbacc(&["check"], repo.path())
        .expect_code(0)
        .stderr_lacks("warning");
}

/// `shell`, with the rbacc under test first on its PATH, as completion
/// scripts run it.
fn shell_with_rbacc(shell: &str) -> std::process::Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_rbacc"))
        .parent()
        .expect("bin dir")
        .to_str()
        .expect("utf-8")
        .to_string();
    let mut command = std::process::Command::new(shell);
    command.env(
        "PATH",
        format!("{bin}:{}", std::env::var("PATH").unwrap_or_default()),
    );
    command
}

/// bash completes `--cluster` with the clusters of the repository found
/// from the current directory, not with file names.
#[test]
fn bash_completes_cluster_names() {
    let repo = Repo::example();
    let script = rbacc(&["completions", "bash"], repo.path()).stdout();
    assert!(
        script.contains("rbacc complete-clusters"),
        "no cluster completion"
    );
    assert!(
        !script
            .lines()
            .any(|l| l.contains("opts=") && l.contains("complete-clusters")),
        "the hidden command is not offered"
    );
    rbacc(&["complete-clusters"], &repo.path().join("teams"))
        .expect_code(0)
        .stdout_is("prod\nstaging\n");
    let file = repo.path().join("rbacc.bash");
    std::fs::write(&file, script).expect("write");
    let completed = stdout_of(
        shell_with_rbacc("bash")
            .current_dir(repo.path())
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=(rbacc who-can get pods --cluster st); COMP_CWORD=5; _rbacc rbacc st --cluster; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                file.display()
            )),
    );
    assert_eq!(completed, "staging\n");
}

/// zsh completes `--cluster` with the clusters of the repository found from
/// the current directory: the script loads under compinit, no hidden
/// command is offered, and the action `_arguments` evaluates for
/// `--cluster` adds the repository's clusters.
#[test]
fn zsh_completes_cluster_names() {
    let repo = Repo::example();
    let script = rbacc(&["completions", "zsh"], repo.path()).stdout();
    assert!(
        !script.contains("'complete-clusters:"),
        "the hidden command is not offered"
    );
    let actions: BTreeSet<&str> = script
        .lines()
        .filter(|l| l.trim_start().starts_with("'--cluster=["))
        .map(|l| {
            let start = l.find(":CLUSTER:{").expect("--cluster has an action") + ":CLUSTER:{".len();
            &l[start..l.rfind("}'").expect("the action ends the spec")]
        })
        .collect();
    assert_eq!(actions.len(), 1, "{actions:?}");
    let action = actions.into_iter().next().unwrap();
    let file = repo.path().join("_rbacc");
    std::fs::write(&file, &script).expect("write");
    // `compadd` is a builtin only while completing: here it prints what it
    // would add.
    let completed = stdout_of(
        shell_with_rbacc("zsh")
            .current_dir(repo.path().join("teams"))
            .args(["-f", "-c"])
            .arg(format!(
                "autoload -U compinit && compinit -u -D && source {} && (( $+functions[_rbacc] )) || exit 3
                 compadd() {{ [[ $1 == -- ]] && shift; print -l -- \"$@\" }}
                 {action}",
                file.display()
            )),
    );
    assert_eq!(completed, "prod\nstaging\n");
}

/// `explain --help` describes explain's own output, not the queries'.
#[test]
fn explain_help_describes_explain() {
    let dir = tempfile::tempdir().expect("tmp");
    rbacc(&["explain", "--help"], dir.path())
        .expect_code(0)
        .stdout_has("a RoleBinding's risk findings")
        .stdout_has("docs/output.md")
        .stdout_lacks("`yes`/`no`");
}

/// rbacc(1) refers to a page per command, and `--out-dir` writes every
/// page it refers to.
#[test]
fn man_pages_exist_for_every_command_rbacc_1_lists() {
    let dir = tempfile::tempdir().expect("tmp");
    rbacc(&["man", "check"], dir.path())
        .expect_code(0)
        .stdout_has(".TH rbacc-check 1");
    rbacc(&["man", "frobnicate"], dir.path()).expect_code(2);
    let pages = dir.path().join("man1");
    rbacc(
        &["man", "--out-dir", pages.to_str().expect("utf-8")],
        dir.path(),
    )
    .expect_code(0);
    let top = std::fs::read_to_string(pages.join("rbacc.1")).expect("rbacc.1");
    let mut referred = 0;
    for line in top.lines() {
        let Some(name) = line.strip_suffix("(1)") else {
            continue;
        };
        let name = name.replace("\\-", "-");
        if name.starts_with("rbacc-") {
            referred += 1;
            assert!(
                pages.join(format!("{name}.1")).is_file(),
                "{name}(1) is referred to but not written"
            );
        }
    }
    assert!(
        referred >= COMMANDS.len(),
        "rbacc(1) lists {referred} pages"
    );
    assert!(!pages.join("rbacc-complete-clusters.1").exists());
}

// ---- GitOps wiring

/// This repository's `deploy/` is what `init` writes, for its clusters.
#[test]
fn deploy_directory_is_current() {
    let tmp = tempfile::tempdir().expect("tmp");
    let files = rbacc::init::deploy_files(
        &["prod", "staging"],
        rbacc::init::PLACEHOLDER_URL,
        &rbacc::init::FluxWiring::default(),
    );
    for (path, text) in &files {
        let path = path.strip_prefix("deploy/").expect("under deploy/");
        let file = tmp.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    }
    assert_tree(tmp.path(), &root().join("deploy"));
}

/// The ApplicationSet makes one Application per shard: its directory
/// globs match exactly the shards the clusters' kustomizations list, and
/// each Application prunes, heals and cleans up after itself.
#[test]
fn argocd_applicationset_covers_every_shard() {
    let dir = root().join("deploy/argocd");
    let rendered = kustomize(&dir);
    let appset = yaml(&rendered);
    assert_eq!(appset["apiVersion"], "argoproj.io/v1alpha1");
    assert_eq!(appset["kind"], "ApplicationSet");
    let spec = &appset["spec"];
    assert_eq!(spec["goTemplate"], true);
    let git = &spec["generators"][0]["git"];
    let globs: Vec<&str> = git["directories"]
        .as_array()
        .expect("directories")
        .iter()
        .map(|d| d["path"].as_str().expect("path"))
        .collect();
    assert_eq!(globs, ["out/*/cluster", "out/*/teams/*"]);
    let template = &spec["template"];
    assert_eq!(template["spec"]["source"]["repoURL"], git["repoURL"]);
    assert_eq!(template["spec"]["source"]["path"], "{{ .path.path }}");
    assert_eq!(
        template["spec"]["destination"]["name"],
        "{{ index .path.segments 1 }}"
    );
    let automated = &template["spec"]["syncPolicy"]["automated"];
    assert_eq!(automated["prune"], true);
    assert_eq!(automated["selfHeal"], true);
    assert_eq!(
        template["metadata"]["finalizers"][0],
        "resources-finalizer.argocd.argoproj.io"
    );

    // The globs, applied to this repository's out/, find the shards.
    let out = root().join("out");
    let mut matched = Vec::new();
    for cluster in subdirs(&out) {
        let c = name(&cluster);
        if cluster.join("cluster").is_dir() {
            matched.push(format!("{c}/cluster"));
        }
        for team in subdirs(&cluster.join("teams")) {
            let t = name(&team);
            matched.push(format!("{c}/teams/{t}"));
        }
    }
    matched.sort();
    let mut shards = Vec::new();
    for cluster in subdirs(&out) {
        let c = name(&cluster);
        let k = yaml(&std::fs::read_to_string(cluster.join("kustomization.yaml")).expect("read"));
        for r in k["resources"].as_array().expect("resources") {
            shards.push(format!("{c}/{}", r.as_str().expect("str")));
        }
    }
    shards.sort();
    assert_eq!(matched, shards);
    // Application names are unique and valid.
    let names: std::collections::BTreeSet<String> = matched
        .iter()
        .map(|p| format!("rbacc-{}", p.replace('/', "-")))
        .collect();
    assert_eq!(names.len(), matched.len());
}

/// With `spec.gitops.flux`, every shard of every cluster has a Flux
/// Kustomization in `<cluster>/flux/`, which the cluster's kustomization
/// does not list, and `deploy/flux/<cluster>` applies.
#[test]
fn flux_kustomizations_cover_every_shard() {
    let out = root().join("out");
    for cluster in subdirs(&out) {
        let c = name(&cluster);
        let top = yaml(&std::fs::read_to_string(cluster.join("kustomization.yaml")).expect("read"));
        let shards: Vec<String> = top["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r.as_str().expect("str").to_string())
            .collect();
        assert!(!shards.iter().any(|s| s.starts_with("flux")), "{shards:?}");
        let rendered = kustomize(&cluster.join("flux"));
        let mut paths = Vec::new();
        for doc in rendered.split("\n---\n") {
            let k = yaml(doc);
            assert_eq!(k["apiVersion"], "kustomize.toolkit.fluxcd.io/v1");
            assert_eq!(k["kind"], "Kustomization");
            assert_eq!(k["metadata"]["namespace"], "flux-system");
            let name = k["metadata"]["name"].as_str().expect("name");
            assert!(name.len() <= 63, "{name}");
            let spec = &k["spec"];
            assert_eq!(spec["prune"], true);
            assert_eq!(spec["interval"], "10m");
            assert_eq!(spec["sourceRef"]["kind"], "GitRepository");
            assert_eq!(spec["sourceRef"]["name"], "rbacc");
            let path = spec["path"].as_str().expect("path");
            if name == "rbacc-cluster" {
                assert!(spec.get("dependsOn").is_none());
            } else {
                assert_eq!(spec["dependsOn"][0]["name"], "rbacc-cluster");
            }
            paths.push(
                path.strip_prefix(&format!("./out/{c}/"))
                    .expect("a shard of this cluster")
                    .to_string(),
            );
            assert!(root().join(&path[2..]).join("kustomization.yaml").is_file());
        }
        paths.sort();
        let mut want = shards.clone();
        want.sort();
        assert_eq!(paths, want, "{c}");
        // What deploy/flux/<cluster> applies.
        let deploy = kustomize(&root().join("deploy/flux").join(&c));
        let docs: Vec<serde_json::Value> = deploy.split("\n---\n").map(yaml).collect();
        let ks = docs
            .iter()
            .find(|d| d["kind"] == "Kustomization")
            .expect("Kustomization");
        assert_eq!(ks["spec"]["path"], format!("./out/{c}/flux"));
        assert_eq!(ks["spec"]["prune"], true);
        let source = docs
            .iter()
            .find(|d| d["kind"] == "GitRepository")
            .expect("GitRepository");
        assert_eq!(source["apiVersion"], "source.toolkit.fluxcd.io/v1");
        assert_eq!(source["metadata"]["name"], ks["spec"]["sourceRef"]["name"]);
    }
}

/// Without `spec.gitops`, nothing Flux is written; a bad section is
/// diagnosed, unknown fields included.
#[test]
fn flux_section_is_optional_and_checked() {
    let repo = Repo::example();
    let config = std::fs::read_to_string(repo.path().join("rbacc.yaml")).expect("read");
    let (without, _) = config.split_once("  gitops:").expect("example has gitops");
    repo.write("rbacc.yaml", without);
    repo.rbacc(&["build"]).expect_code(0);
    assert!(!repo.out().join("prod/flux").exists());
    repo.write(
        "rbacc.yaml",
        format!("{without}  gitops:\n    flux: {{ sourceRef: Bad, interval: 10 minutes, prune: true }}\n"),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("`Bad` is not a valid `sourceRef`")
        .stderr_has("`10 minutes` is not a valid `interval`")
        .stderr_has("unknown field `prune`");
    let long = "a".repeat(60);
    repo.write(
        "rbacc.yaml",
        format!("{without}  gitops:\n    flux: {{}}\n"),
    );
    repo.write(
        &format!("teams/{long}.yaml"),
        format!("apiVersion: rbacc.dev/v1alpha1\nkind: Team\nmetadata: {{ name: {long} }}\nspec:\n  namespaces: [{long}-x]\n"),
    );
    repo.rbacc(&["check"])
        .expect_code(1)
        .stderr_has("too long for Flux");
}

fn yaml(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).expect("valid YAML")
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The last component of `path`.
fn name(path: &Path) -> String {
    path.file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}
