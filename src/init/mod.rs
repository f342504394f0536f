//! `rbacc init`: the files of a new repository, and writing them.
//!
//! [`scaffold`] is pure: it returns the declarations, templates, JSON
//! schemas (which the declarations name in their first line, for editors),
//! CI workflow and GitOps wiring of a new repository as text. These are files
//! people read and edit, so they are written as commented text here, not
//! built from k8s-openapi types like the compiled output; `out/` itself is
//! compiled and written by the code `rbacc build` uses. [`plan`] and
//! [`write`] are the only I/O.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::load::{Input, InputFile};

/// The git URL written into `deploy/` unless `--git-url` gives one.
pub const PLACEHOLDER_URL: &str = "https://github.com/OWNER/REPO.git";
/// The cluster of a new repository.
pub const CLUSTER: &str = "prod";

/// Flux settings of a repository, as `deploy/flux/` needs them: the same as
/// `spec.gitops.flux` in its `rbacc.yaml`.
pub struct FluxWiring<'a> {
    pub source_ref: &'a str,
    pub namespace: &'a str,
    pub interval: &'a str,
}

impl Default for FluxWiring<'_> {
    fn default() -> Self {
        FluxWiring {
            source_ref: "rbacc",
            namespace: "flux-system",
            interval: "10m",
        }
    }
}

/// Every source file of a new repository (not `out/`), by `/`-separated
/// path relative to its root.
pub fn scaffold(git_url: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert("rbacc.yaml".to_string(), CONFIG.to_string());
    files.insert("teams/example.yaml".to_string(), TEAM.to_string());
    for (name, text) in crate::validate::built_in_templates() {
        files.insert(format!("templates/{name}.yaml.j2"), text.to_string());
    }
    for document in crate::schema::Document::ALL {
        files.insert(document.path().to_string(), crate::schema::text(document));
    }
    files.insert(".gitignore".to_string(), GITIGNORE.to_string());
    files.insert(
        ".github/workflows/rbacc.yaml".to_string(),
        workflow(env!("CARGO_PKG_VERSION")),
    );
    files.extend(deploy_files(&[CLUSTER], git_url, &FluxWiring::default()));
    files
}

/// The declarations among `files`, as a compilation reads them.
pub fn input(files: &BTreeMap<String, String>) -> Input {
    let file = |path: &str, text: &str| InputFile {
        path: path.to_string(),
        contents: Ok(text.as_bytes().to_vec()),
    };
    let mut input = Input::default();
    for (path, text) in files {
        if path == crate::load::CONFIG_FILE {
            input.config = Some(file(path, text));
        } else if path.starts_with("teams/") && path.ends_with(".yaml") {
            input.teams.push(file(path, text));
        } else if path.starts_with("templates/") && path.ends_with(crate::load::TEMPLATE_SUFFIX) {
            input.templates.push(file(path, text));
        }
    }
    input
}

/// The GitOps wiring of a repository with `clusters`: an Argo CD
/// ApplicationSet, and for each cluster a Flux GitRepository and the
/// Kustomization that applies rbacc's per-shard Kustomizations.
pub fn deploy_files(
    clusters: &[&str],
    git_url: &str,
    flux: &FluxWiring,
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    files.insert(
        "deploy/argocd/kustomization.yaml".to_string(),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - applicationset.yaml\n"
            .to_string(),
    );
    files.insert(
        "deploy/argocd/applicationset.yaml".to_string(),
        APPLICATIONSET.replace("@GIT_URL@", git_url),
    );
    for cluster in clusters {
        let dir = format!("deploy/flux/{cluster}");
        files.insert(
            format!("{dir}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - gitrepository.yaml\n  - rbacc.yaml\n"
                .to_string(),
        );
        let fill = |text: &str| {
            text.replace("@GIT_URL@", git_url)
                .replace("@SOURCE_REF@", flux.source_ref)
                .replace("@NAMESPACE@", flux.namespace)
                .replace("@INTERVAL@", flux.interval)
                .replace("@CLUSTER@", cluster)
        };
        files.insert(format!("{dir}/gitrepository.yaml"), fill(GITREPOSITORY));
        files.insert(format!("{dir}/rbacc.yaml"), fill(FLUX_KUSTOMIZATION));
    }
    files
}

/// What `init` does with its files in `dir`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files to create, by path relative to `dir`.
    pub create: BTreeMap<String, String>,
    /// Text to append to a file that exists (the lines of `.gitignore` it
    /// lacks).
    pub append: BTreeMap<String, String>,
    /// Files that already hold what `init` would write: left alone.
    pub same: Vec<String>,
    /// Files that exist with other contents, or that cannot be created
    /// because a parent is not a directory: `init` writes nothing then.
    pub conflicts: Vec<String>,
}

/// The files that merge into an existing one instead of conflicting with
/// it: lines appended when missing.
const MERGED: &[&str] = &[".gitignore"];

/// What writing `files` (paths relative to `dir`) would do: create the
/// missing ones, leave those that already hold the same text, append to
/// an existing `.gitignore` the lines it lacks, and report every other
/// file in the way as a conflict.
pub fn plan(dir: &Path, files: &BTreeMap<String, String>) -> Plan {
    let mut plan = Plan::default();
    for (path, text) in files {
        let target = dir.join(path);
        let blocked = target
            .ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(dir) && *a != dir)
            .any(|a| a.symlink_metadata().is_ok_and(|m| !m.is_dir()));
        let meta = target.symlink_metadata();
        if blocked {
            plan.conflicts.push(path.clone());
            continue;
        }
        let Ok(meta) = meta else {
            plan.create.insert(path.clone(), text.clone());
            continue;
        };
        let existing = meta
            .is_file()
            .then(|| std::fs::read_to_string(&target).ok())
            .flatten();
        match existing {
            Some(existing) if existing == *text => plan.same.push(path.clone()),
            Some(existing) if MERGED.contains(&path.as_str()) => {
                match missing_lines(&existing, text) {
                    Some(more) => {
                        plan.append.insert(path.clone(), more);
                    }
                    None => plan.same.push(path.clone()),
                }
            }
            _ => plan.conflicts.push(path.clone()),
        }
    }
    plan
}

/// What to append to `existing` so that it holds every line of `wanted`
/// that is not a comment: `wanted` whole (its comments say why), after a
/// line break when `existing` does not end with one. `None` when nothing
/// is missing.
fn missing_lines(existing: &str, wanted: &str) -> Option<String> {
    let has: std::collections::BTreeSet<&str> = existing.lines().map(str::trim).collect();
    let missing = wanted
        .lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('#') && !has.contains(l));
    if !missing {
        return None;
    }
    let mut more = String::new();
    if !existing.is_empty() && !existing.ends_with('\n') {
        more.push('\n');
    }
    if !existing.is_empty() {
        more.push('\n');
    }
    more.push_str(wanted);
    Some(more)
}

/// Carries out `plan` below `dir` (created when missing), never replacing
/// a file: one that appeared since [`plan`] looked is an error.
pub fn write(dir: &Path, plan: &Plan) -> Result<(), Error> {
    for (path, text) in &plan.create {
        let target: PathBuf = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| Error::io(&target, e))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Error::io(&target, e))?;
    }
    for (path, text) in &plan.append {
        let target: PathBuf = dir.join(path);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&target)
            .map_err(|e| Error::io(&target, e))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}

const CONFIG: &str = include_str!("rbacc.yaml");
const TEAM: &str = include_str!("team.yaml");
const GITIGNORE: &str = "# rbacc's build record and staging area, beside out/\n/.out.rbacc-*\n";
const APPLICATIONSET: &str = include_str!("applicationset.yaml");
const GITREPOSITORY: &str = include_str!("gitrepository.yaml");
const FLUX_KUSTOMIZATION: &str = include_str!("flux-kustomization.yaml");

fn workflow(version: &str) -> String {
    include_str!("workflow.yaml").replace("@VERSION@", version)
}
