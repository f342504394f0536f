//! Installing rbacc and running it in CI: the GitHub Action (`action.yml`),
//! the release workflow, the container image (`Dockerfile`) and every
//! workflow rbacc ships (`docs/ci/`, the one `rbacc init` writes), read as
//! the forges and docker read them. None of them can run here, so these
//! tests hold what can be seen in the files: that they parse, name this
//! release and this repository, install rbacc the same way, and never splice
//! an input into a shell script.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::root;

/// The release build: the Dockerfile runs it, the release workflow runs it
/// for each target, and the README tells people building from source to.
const RELEASE_BUILD: &str = "cargo build --release --locked";

/// The four targets every release has a tarball for.
const TARGETS: [&str; 4] = [
    "aarch64-apple-darwin",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "x86_64-unknown-linux-musl",
];

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `owner/name` of the repository in Cargo.toml, as `uses:` and ghcr.io
/// spell it.
fn repository() -> &'static str {
    env!("CARGO_PKG_REPOSITORY")
        .strip_prefix("https://github.com/")
        .expect("Cargo.toml's repository is on GitHub")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn yaml(what: &str, text: &str) -> Value {
    let doc: Value =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{what}: not YAML: {e}"));
    assert!(doc.is_object(), "{what}: not a mapping");
    doc
}

/// Every GitHub Actions workflow rbacc has or ships, by name: this
/// repository's, the examples under `docs/ci/` and the one `rbacc init`
/// writes.
fn workflows() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for dir in [".github/workflows", "docs/ci"] {
        let mut names: Vec<String> = std::fs::read_dir(root().join(dir))
            .unwrap_or_else(|e| panic!("read {dir}: {e}"))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yml") || n.ends_with(".yaml"))
            .filter(|n| !n.starts_with("gitlab"))
            .collect();
        names.sort();
        for name in names {
            let path = format!("{dir}/{name}");
            let text = read(&path);
            found.push((path, text));
        }
    }
    let scaffold = rbacc::init::scaffold(rbacc::init::PLACEHOLDER_URL);
    found.push((
        "rbacc init's .github/workflows/rbacc.yaml".to_string(),
        scaffold[".github/workflows/rbacc.yaml"].clone(),
    ));
    found
}

/// The steps of every job of a workflow, by job name.
fn jobs(doc: &Value) -> Vec<(String, Vec<Value>)> {
    doc["jobs"]
        .as_object()
        .expect("jobs")
        .iter()
        .map(|(name, job)| {
            let steps = job["steps"].as_array().cloned().unwrap_or_default();
            (name.clone(), steps)
        })
        .collect()
}

/// Every step of a workflow's jobs, or of the action.
fn steps(doc: &Value) -> Vec<Value> {
    if doc["runs"].is_object() {
        doc["runs"]["steps"].as_array().cloned().expect("steps")
    } else {
        jobs(doc).into_iter().flat_map(|(_, s)| s).collect()
    }
}

/// The `run:` scripts of `steps`.
fn scripts(steps: &[Value]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .map(str::to_string)
        .collect()
}

/// The `run:` scripts of one job of a workflow, joined.
fn job_script(doc: &Value, job: &str) -> String {
    let steps = doc["jobs"][job]["steps"].as_array().expect("steps");
    scripts(steps).join("\n")
}

/// The inside of every `${{ … }}` in `text`.
fn expressions(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let end = after.find("}}").expect("an expression is closed");
        found.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    found
}

/// The names after `inputs.` in an expression.
fn input_names(expression: &str) -> Vec<&str> {
    expression
        .match_indices("inputs.")
        .filter(|(at, _)| *at == 0 || !expression.as_bytes()[at - 1].is_ascii_alphanumeric())
        .map(|(at, _)| {
            let name = &expression[at + "inputs.".len()..];
            let len = name
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(name.len());
            &name[..len]
        })
        .collect()
}

/// Whether a script runs rbacc from the `PATH` (a line starting `rbacc`).
fn runs_rbacc(script: &str) -> bool {
    script
        .lines()
        .any(|line| line.split_whitespace().next() == Some("rbacc"))
}

fn action() -> Value {
    yaml("action.yml", &read("action.yml"))
}

/// Every file the forges read parses as YAML: the action, every workflow,
/// the GitLab job and the scaffold `rbacc init` fills in.
#[test]
fn the_action_and_every_workflow_are_yaml() {
    let action = action();
    assert_eq!(action["runs"]["using"], "composite");
    for (name, text) in workflows() {
        let doc = yaml(&name, &text);
        assert!(doc["on"].is_object(), "{name}: no `on:`");
        assert!(!jobs(&doc).is_empty(), "{name}: no jobs");
    }
    yaml("docs/ci/gitlab-ci.yml", &read("docs/ci/gitlab-ci.yml"));
    yaml("src/init/workflow.yaml", &read("src/init/workflow.yaml"));
    assert!(
        workflows()
            .iter()
            .any(|(name, _)| name == ".github/workflows/release.yml"),
        "the release workflow is read"
    );
}

/// `${{ inputs.NAME }}` in the action names an input it declares, and every
/// input it declares is used.
#[test]
fn the_action_uses_exactly_the_inputs_it_declares() {
    let action = action();
    let declared: BTreeSet<&str> = action["inputs"]
        .as_object()
        .expect("inputs")
        .keys()
        .map(String::as_str)
        .collect();
    let text = read("action.yml");
    let conditions: Vec<String> = steps(&action)
        .iter()
        .filter_map(|s| s["if"].as_str().map(str::to_string))
        .collect();
    let used: BTreeSet<&str> = expressions(&text)
        .into_iter()
        .chain(conditions.iter().map(String::as_str))
        .flat_map(input_names)
        .collect();
    let undeclared: Vec<&&str> = used.difference(&declared).collect();
    assert!(undeclared.is_empty(), "used, not declared: {undeclared:?}");
    let unused: Vec<&&str> = declared.difference(&used).collect();
    assert!(unused.is_empty(), "declared, never used: {unused:?}");
    for (name, input) in action["inputs"].as_object().expect("inputs") {
        assert!(
            input["description"].is_string(),
            "input {name}: no description"
        );
        assert!(input["default"].is_string(), "input {name}: no default");
    }
}

/// No script splices a value in: the action's scripts hold no expression at
/// all, and no workflow's script an input, event data or a branch name
/// (attacker-controlled text becomes shell code that way); they go through
/// `env:` and are quoted.
#[test]
fn run_scripts_take_values_through_the_environment() {
    for (i, script) in scripts(&steps(&action())).iter().enumerate() {
        assert!(
            expressions(script).is_empty(),
            "action.yml, script {i}: an expression in the script:\n{script}"
        );
    }
    for (name, text) in workflows() {
        for script in scripts(&steps(&yaml(&name, &text))) {
            for expression in expressions(&script) {
                assert!(
                    !["inputs.", "github.event", "github.head_ref"]
                        .iter()
                        .any(|untrusted| expression.contains(untrusted)),
                    "{name}: `${{{{ {expression} }}}}` spliced into a script:\n{script}"
                );
            }
        }
    }
}

/// The action installs the release of the version in Cargo.toml, from the
/// repository in Cargo.toml, unless told otherwise.
#[test]
fn the_action_defaults_to_this_release() {
    let action = action();
    assert_eq!(action["inputs"]["version"]["default"], VERSION);
    assert_eq!(action["inputs"]["repository"]["default"], repository());
    assert_eq!(action["inputs"]["command"]["default"], "install");
    for output in ["path", "version", "report"] {
        assert!(
            action["outputs"][output]["value"].is_string(),
            "output {output}"
        );
    }
    let text = read("action.yml");
    for target in TARGETS {
        assert!(text.contains(target), "action.yml has no case for {target}");
    }
    assert!(text.contains("actions/cache@"), "the download is cached");
}

/// Every workflow that runs rbacc installs it first with the action, at
/// this release; nothing installs rbacc from crates.io, where it is not.
#[test]
fn every_workflow_installs_rbacc_with_the_action() {
    let uses = format!("{}@v{VERSION}", repository());
    for (name, text) in workflows() {
        assert!(
            !text.contains("cargo install --locked rbacc") && !text.contains("cargo install rbacc"),
            "{name}: installs rbacc from crates.io"
        );
        for (job, steps) in jobs(&yaml(&name, &text)) {
            let install = steps
                .iter()
                .position(|s| s["uses"].as_str() == Some(uses.as_str()));
            let first_run = steps
                .iter()
                .position(|s| s["run"].as_str().is_some_and(runs_rbacc));
            if let Some(first_run) = first_run {
                assert!(
                    install.is_some_and(|i| i < first_run),
                    "{name}, job {job}: runs rbacc without installing it first with `uses: {uses}`"
                );
            }
        }
    }
    for (name, text) in workflows() {
        if name.starts_with("docs/ci/") || name.starts_with("rbacc init") {
            assert!(text.contains(&uses), "{name}: does not install rbacc");
        }
    }
    let readme = read("README.md");
    assert!(
        !readme.contains("cargo install --locked rbacc") && !readme.contains("cargo install rbacc"),
        "README.md installs rbacc from crates.io"
    );
}

/// Every action used is pinned to a release or a commit, never a branch.
#[test]
fn every_action_used_is_pinned() {
    let mut docs: Vec<(String, Value)> = workflows()
        .into_iter()
        .map(|(name, text)| {
            let doc = yaml(&name, &text);
            (name, doc)
        })
        .collect();
    docs.push(("action.yml".to_string(), action()));
    for (name, doc) in docs {
        for step in steps(&doc) {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            if uses.starts_with("./") {
                continue;
            }
            let (_, reference) = uses
                .split_once('@')
                .unwrap_or_else(|| panic!("{name}: `{uses}` names no version"));
            let release = reference.starts_with('v')
                && reference[1..].starts_with(|c: char| c.is_ascii_digit());
            let commit = reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit());
            assert!(
                release || commit,
                "{name}: `{uses}` is not pinned to a release or a commit"
            );
        }
    }
}

/// The release workflow builds the four targets on a `v*` tag, packages
/// each as `rbacc-<version>-<target>.tar.gz` with its checksum, publishes
/// them, pushes the image, and pins the tools it installs.
#[test]
fn the_release_workflow_builds_every_target() {
    let text = read(".github/workflows/release.yml");
    let doc = yaml("release.yml", &text);
    assert_eq!(doc["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let targets: BTreeSet<&str> = doc["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix of targets")
        .iter()
        .map(|t| t["target"].as_str().expect("target"))
        .collect();
    assert_eq!(targets, BTreeSet::from(TARGETS));
    let build = job_script(&doc, "build");
    for part in [
        &format!("{RELEASE_BUILD} --target \"$TARGET\""),
        "cargo zigbuild --release --locked --target \"$TARGET\"",
        "name=\"rbacc-$VERSION-$TARGET\"",
        "tar -czf \"$name.tar.gz\"",
        "> \"$name.tar.gz.sha256\"",
    ] {
        assert!(build.contains(part), "the build job lacks `{part}`");
    }
    assert_eq!(doc["jobs"]["release"]["permissions"]["contents"], "write");
    let release = job_script(&doc, "release");
    assert!(release.contains("> SHA256SUMS"), "no SHA256SUMS");
    assert!(release.contains("gh release create"), "no release");
    assert!(text.contains("ghcr.io/"), "no image");
    assert_eq!(
        doc["jobs"]["image"]["permissions"]["packages"], "write",
        "the image job may push"
    );
    for line in text.lines().filter(|l| l.contains("cargo install")) {
        assert!(
            line.contains("--locked") && line.contains("--version"),
            "not pinned: {line}"
        );
    }
    for needs in ["test", "build"] {
        assert!(
            doc["jobs"]["release"]["needs"]
                .as_array()
                .is_some_and(|n| n.iter().any(|j| j == needs)),
            "the release waits for {needs}"
        );
    }
}

/// Dockerfile instructions as `(INSTRUCTION, arguments)`, continuation
/// lines joined and comments dropped.
fn dockerfile() -> Vec<(String, String)> {
    let text = read("Dockerfile");
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part.trim());
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (instruction, args) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push((instruction.to_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    instructions
}

/// The image is built with the release build, from a Rust image of the
/// release workflow's toolchain, and runs rbacc as an unprivileged user on
/// a small base with git.
#[test]
fn the_dockerfile_builds_the_release_and_runs_unprivileged() {
    let instructions = dockerfile();
    let stages: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, (i, _))| i == "FROM")
        .map(|(at, _)| at)
        .collect();
    assert_eq!(stages.len(), 2, "a build stage and the image");
    let (builder, image) = instructions.split_at(stages[1]);
    let toolchain = read(".github/workflows/release.yml");
    let toolchain = yaml("release.yml", &toolchain)["env"]["RUST_TOOLCHAIN"]
        .as_str()
        .expect("RUST_TOOLCHAIN")
        .to_string();
    assert_eq!(
        builder[0].1,
        format!("rust:{toolchain}-alpine AS build"),
        "the image is built with the release binaries' compiler"
    );
    assert!(
        version_at_least(&toolchain, env!("CARGO_PKG_RUST_VERSION")),
        "{toolchain} is older than rust-version"
    );
    let builds: Vec<&str> = builder
        .iter()
        .filter(|(i, args)| i == "RUN" && args.contains("cargo"))
        .map(|(_, args)| args.as_str())
        .collect();
    assert_eq!(builds, [RELEASE_BUILD]);
    assert!(
        !image[0].1.starts_with("rust"),
        "the image is not the build stage"
    );
    let find = |name: &str| -> Vec<&str> {
        image
            .iter()
            .filter(|(i, _)| i == name)
            .map(|(_, args)| args.as_str())
            .collect()
    };
    assert!(
        find("RUN")
            .iter()
            .any(|r| r.contains("apk add --no-cache git")),
        "the image has git"
    );
    assert_eq!(
        find("COPY"),
        ["--from=build /src/target/release/rbacc /usr/local/bin/rbacc"]
    );
    let user = find("USER");
    assert!(
        user.len() == 1 && !["root", "0", "0:0"].contains(&user[0]),
        "the image runs as an unprivileged user: {user:?}"
    );
    assert_eq!(find("ENTRYPOINT"), ["[\"rbacc\"]"]);
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("`{RELEASE_BUILD}`")),
        "README.md tells people to build with `{RELEASE_BUILD}`"
    );
}

/// Whether dotted version `have` is at least `want` (`1.95.0` ≥ `1.89`).
fn version_at_least(have: &str, want: &str) -> bool {
    let parts =
        |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().expect("number")).collect() };
    parts(have) >= parts(want)
}

/// The build context leaves out local builds and the history, and keeps
/// everything the build reads.
#[test]
fn the_docker_build_context_keeps_the_sources() {
    let text = read(".dockerignore");
    let entries: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for excluded in ["target", ".git"] {
        assert!(entries.contains(&excluded), "{excluded} is sent to docker");
    }
    assert!(
        !entries.iter().any(|e| *e == "*" || e.starts_with('!')),
        "an allow-list could leave out a file the build includes"
    );
    for needed in ["Cargo.toml", "Cargo.lock", "src", "templates", "docs"] {
        assert!(
            !entries.iter().any(|e| e.trim_matches('/') == needed),
            "{needed} is left out of the build"
        );
    }
}

/// The GitLab job runs in the release's image, with a shell for its script.
#[test]
fn the_gitlab_job_runs_in_the_release_image() {
    let text = read("docs/ci/gitlab-ci.yml");
    let doc = yaml("docs/ci/gitlab-ci.yml", &text);
    let image = &doc["rbacc"]["image"];
    assert_eq!(image["name"], format!("ghcr.io/{}:{VERSION}", repository()));
    assert_eq!(image["entrypoint"], serde_json::json!([""]));
    assert!(!text.contains("cargo install") && !text.contains("apt-get"));
}

/// The machine reports reach the forges: the GitLab job writes the Code
/// Quality report it declares as `artifacts:reports:codequality` (whatever
/// `check` finds, failing the job only at the end), and the code-scanning
/// workflow uploads the SARIF file `check` writes, with the permission to.
#[test]
fn ci_examples_hand_the_machine_reports_to_the_forges() {
    let doc = yaml("docs/ci/gitlab-ci.yml", &read("docs/ci/gitlab-ci.yml"));
    let job = &doc["rbacc"];
    let report = job["artifacts"]["reports"]["codequality"]
        .as_str()
        .expect("a codequality report");
    assert_eq!(job["artifacts"]["when"], "always");
    let script: Vec<&str> = job["script"]
        .as_array()
        .expect("script")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    assert_eq!(
        script.first(),
        Some(&format!("rbacc check -o gitlab > {report} || check=$?").as_str()),
        "check runs first, so the report is written even when diff fails"
    );
    assert_eq!(script.last(), Some(&"exit \"${check:-0}\""));

    let name = "docs/ci/github-code-scanning.yml";
    let doc = yaml(name, &read(name));
    assert_eq!(doc["permissions"]["security-events"], "write");
    let steps = steps(&doc);
    let check = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.starts_with("rbacc check -o sarif > "))
        })
        .expect("check writes SARIF");
    let file = steps[check]["run"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap();
    let upload = steps
        .iter()
        .position(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload");
    assert!(upload > check);
    assert_eq!(steps[upload]["with"]["sarif_file"], file);
    assert_eq!(
        steps[upload]["if"], "success() || failure()",
        "uploads when check fails"
    );
}

/// The README's install instructions name this release, this repository
/// and its image.
#[test]
fn the_readme_installs_this_release() {
    let readme = read("README.md");
    let url = env!("CARGO_PKG_REPOSITORY");
    for part in [
        format!("v={VERSION} "),
        format!("{url}/releases/download/v$v/rbacc-$v-$t.tar.gz{{,.sha256}}"),
        "sha256sum -c \"rbacc-$v-$t.tar.gz.sha256\"".to_string(),
        format!("ghcr.io/{}:{VERSION}", repository()),
        format!("uses: {}@v{VERSION}", repository()),
        format!("cargo install --locked --git {url} --tag v{VERSION} rbacc"),
    ] {
        assert!(readme.contains(&part), "README.md lacks `{part}`");
    }
    for target in TARGETS {
        assert!(readme.contains(target), "README.md does not name {target}");
    }
}

/// The package says what it is and under which licence, and the licence and
/// changelog are there.
#[test]
fn the_package_names_its_licence_repository_and_changes() {
    assert_eq!(env!("CARGO_PKG_LICENSE"), "Apache-2.0");
    let licence = read("LICENSE");
    assert!(
        licence.trim_start().starts_with("Apache License")
            && licence.contains("Version 2.0, January 2004"),
        "LICENSE is the Apache License 2.0"
    );
    assert!(
        licence.contains("END OF TERMS AND CONDITIONS"),
        "the full text"
    );
    assert_eq!(env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY"));
    assert!(!env!("CARGO_PKG_DESCRIPTION").is_empty());
    let changelog = read("CHANGELOG.md");
    assert!(
        changelog.contains("\n## [Unreleased]\n"),
        "an Unreleased section"
    );
    assert!(changelog.contains("keepachangelog.com"));
}
