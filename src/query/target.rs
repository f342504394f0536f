//! Which RBAC objects a query is answered from: a [`Target`].
//!
//! **Input**: the files of a compiled output (in memory), the files of `out/`
//! the build record vouches for ([`Recorded`]), or a directory of manifests;
//! the cluster asked about, and the [`Scope`] of the question.
//!
//! **Output**: the Roles, ClusterRoles and bindings of that one cluster,
//! with the namespaces the repository declares on it (for warnings).
//!
//! **Invariants**: whichever way it is loaded, a target holds every object
//! that can grant a request in its scope (the cluster-scoped objects and all
//! of the namespace's), so the answer does not depend on the way. Which file
//! of `out/` belongs to which cluster and namespace is [`crate::layout`]'s
//! to say.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{QueryError, did_you_mean};
use crate::access::{AccessError, Manifests};
use crate::emit::Output;
use crate::layout::OutFile;
use crate::output::Recorded;

/// The RBAC objects a query is answered from.
#[derive(Debug, Default)]
pub struct Target {
    pub manifests: Manifests,
    /// The cluster, when the manifests are a repository's compiled output.
    pub cluster: Option<String>,
    /// The namespaces the repository declares on the cluster; `None` for a
    /// directory of manifests (no warning about unknown namespaces then).
    pub namespaces: Option<BTreeSet<String>>,
    /// Warnings about the manifests themselves.
    pub warnings: Vec<String>,
}

/// Which RBAC objects a question needs, so that a large organisation's
/// output need not be parsed whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Every object (`access` without a namespace lists every binding).
    All,
    /// What a request in this namespace (`None`: a cluster-wide or
    /// non-resource request) can be granted by: the cluster-scoped objects
    /// and the namespace's Roles and RoleBindings.
    Request(Option<&'a str>),
}

impl<'a> Scope<'a> {
    /// What to emit of `resolved` to answer a question in this scope: the
    /// files every team shares, and the team files of the namespace's
    /// owner, of every team (for `All`, or a namespace no team owns: its
    /// name may be a typo of theirs), or of none (a cluster-wide request,
    /// which only cluster-scoped bindings grant).
    pub fn selection(&self, resolved: &crate::Resolved) -> crate::emit::Selection {
        match self {
            Scope::Request(None) => crate::emit::Selection {
                teams: crate::emit::Teams::Only(BTreeSet::new()),
                ..resolved.selection_for(None)
            },
            _ => resolved.selection_for(self.namespace()),
        }
    }

    /// The namespace of the question, if it has one.
    fn namespace(&self) -> Option<&'a str> {
        match self {
            Scope::Request(namespace) => *namespace,
            Scope::All => None,
        }
    }

    /// Whether an output file may hold an object the question needs. Files
    /// of a team shard hold only namespaced objects, and an object of
    /// namespace `ns` spells `ns` in its file, so a shard file without the
    /// namespace's name is skipped; every other file is read.
    fn needs(&self, file: &OutFile, text: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Request(namespace) => {
                !file.in_team_shard() || namespace.is_some_and(|ns| text.contains(ns))
            }
        }
    }
}

impl Target {
    /// The RBAC objects of one cluster of a compiled repository: every file
    /// of `<cluster>/` except kustomizations and `kubeconfigs/`, or only
    /// those `scope` needs. `cluster` may be left out when the repository
    /// has exactly one.
    pub fn from_output(
        output: &Output,
        cluster: Option<&str>,
        scope: Scope<'_>,
    ) -> Result<Target, QueryError> {
        let clusters = clusters(output);
        let cluster = select_cluster(&clusters, cluster, scope.namespace(), |c| {
            declared_namespaces(output, c)
        })?;
        let files: Vec<(&String, &String)> = output
            .files
            .iter()
            .filter(|(path, text)| {
                OutFile::parse(path).is_some_and(|file| {
                    file.cluster() == cluster && file.holds_rbac() && scope.needs(&file, text)
                })
            })
            .collect();
        let parsed: Vec<Result<Manifests, AccessError>> = files
            .par_iter()
            .map(|(path, text)| parse_file(path, text))
            .collect();
        let mut manifests = Manifests::default();
        for file in parsed {
            manifests.extend(file?);
        }
        Ok(Target {
            manifests,
            namespaces: Some(declared_namespaces(output, &cluster)),
            cluster: Some(cluster),
            warnings: Vec::new(),
        })
    }

    /// The RBAC objects of one cluster for a request in a namespace a team
    /// owns, from the files of `out/` the last build recorded for these very
    /// declarations ([`Recorded`]): the cluster-wide files and that
    /// namespace's file. `None` for any other question, or when a file it
    /// needs is no longer as recorded: then compile.
    pub fn from_recorded(
        recorded: &Recorded,
        cluster: Option<&str>,
        scope: Scope<'_>,
    ) -> Option<Result<Target, QueryError>> {
        let clusters = clusters_in(recorded.paths());
        let on = |c: &str| namespaces_in(recorded.paths(), c);
        let cluster = match select_cluster(&clusters, cluster, scope.namespace(), on) {
            Ok(cluster) => cluster,
            Err(e) => return Some(Err(e)),
        };
        let candidates: Vec<(&str, OutFile)> = recorded
            .paths()
            .filter_map(|path| {
                let file = OutFile::parse(path)?;
                (file.cluster() == cluster && file.holds_rbac()).then_some((path, file))
            })
            .collect();
        // A namespace's objects are all in its file.
        let own_file = match scope {
            Scope::Request(Some(ns)) => candidates
                .iter()
                .find(|(_, file)| file.in_team_shard() && file.declares() == Some(ns))
                .map(|(path, _)| *path),
            _ => None,
        };
        // Other questions read most of `out/`: compiling is faster.
        let own_file = own_file?;
        let wanted: Vec<(&str, OutFile)> = candidates
            .into_iter()
            .filter(|(path, file)| file.cluster_wide() || *path == own_file)
            .collect();
        let texts: Vec<Option<(&str, OutFile, String)>> = wanted
            .par_iter()
            .map(|(path, file)| recorded.read(path).map(|text| (*path, file.clone(), text)))
            .collect();
        let mut manifests = Manifests::default();
        for entry in texts {
            let (path, file, text) = entry?;
            if !scope.needs(&file, &text) {
                continue;
            }
            match parse_file(path, &text) {
                Ok(file) => manifests.extend(file),
                Err(e) => return Some(Err(e.into())),
            }
        }
        Some(Ok(Target {
            manifests,
            namespaces: Some(namespaces_in(recorded.paths(), &cluster)),
            cluster: Some(cluster),
            warnings: Vec::new(),
        }))
    }

    /// The RBAC objects of a directory of manifests
    /// ([`Manifests::load_dir`]).
    pub fn from_dir(dir: &Path) -> Result<Target, QueryError> {
        let manifests = Manifests::load_dir(dir)?;
        let mut warnings = Vec::new();
        if manifests.is_empty() {
            warnings.push(format!(
                "no Role, ClusterRole, RoleBinding or ClusterRoleBinding in {}: every answer is no",
                dir.display()
            ));
        }
        Ok(Target {
            manifests,
            cluster: None,
            namespaces: None,
            warnings,
        })
    }
}

/// The clusters of a compiled output: the directories with a
/// `kustomization.yaml`, sorted.
pub fn clusters(output: &Output) -> Vec<String> {
    clusters_in(output.files.keys().map(String::as_str))
}

/// The clusters among sorted paths of `out/`.
fn clusters_in<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    paths
        .filter_map(OutFile::parse)
        .filter_map(|file| match file {
            OutFile::Index { cluster } => Some(cluster),
            _ => None,
        })
        .collect()
}

/// The namespaces rbacc emits on a cluster (see [`OutFile::declares`]).
fn declared_namespaces(output: &Output, cluster: &str) -> BTreeSet<String> {
    namespaces_in(output.files.keys().map(String::as_str), cluster)
}

/// The namespaces the files at `paths` (relative to `out/`) declare on
/// `cluster`.
fn namespaces_in<'a>(paths: impl Iterator<Item = &'a str>, cluster: &str) -> BTreeSet<String> {
    paths
        .filter_map(OutFile::parse)
        .filter(|file| file.cluster() == cluster)
        .filter_map(|file| file.declares().map(String::from))
        .collect()
}

/// The RBAC objects of one generated file.
fn parse_file(path: &str, text: &str) -> Result<Manifests, AccessError> {
    Manifests::from_yaml(text).map_err(|e| AccessError::File {
        path: PathBuf::from(path),
        source: Box::new(e),
    })
}

/// The cluster a question is about: `wanted`, else the only cluster, else
/// the only one that declares `namespace` (`declared` gives a cluster's
/// namespaces).
fn select_cluster(
    clusters: &[String],
    wanted: Option<&str>,
    namespace: Option<&str>,
    declared: impl Fn(&str) -> BTreeSet<String>,
) -> Result<String, QueryError> {
    let list = clusters.join(", ");
    if let (None, Some(ns), [_, _, ..]) = (wanted, namespace, clusters) {
        let on: Vec<&String> = clusters
            .iter()
            .filter(|c| declared(c).contains(ns))
            .collect();
        match on.as_slice() {
            [only] => return Ok((*only).clone()),
            [] => {}
            several => {
                let names: Vec<&str> = several.iter().map(|c| c.as_str()).collect();
                return Err(QueryError::Usage(format!(
                    "namespace `{ns}` is on {} clusters ({}): choose one with --cluster",
                    names.len(),
                    names.join(", ")
                )));
            }
        }
    }
    match wanted {
        Some(wanted) if clusters.iter().any(|c| c == wanted) => Ok(wanted.to_string()),
        Some(wanted) => {
            let hint = did_you_mean(wanted, clusters.iter().map(String::as_str));
            Err(QueryError::Usage(format!(
                "unknown cluster `{wanted}`{hint} (the repository's clusters: {list})"
            )))
        }
        None => match clusters {
            [only] => Ok(only.clone()),
            [] => Err(QueryError::Usage(
                "the repository declares no cluster".to_string(),
            )),
            _ => Err(QueryError::Usage(format!(
                "the repository has {} clusters ({list}): choose one with --cluster",
                clusters.len()
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(paths: &[&str]) -> Output {
        let mut output = Output::default();
        output.files = paths
            .iter()
            .map(|p| (p.to_string(), String::new()))
            .collect();
        output
    }

    #[test]
    fn clusters_are_the_directories_with_a_kustomization() {
        let out = output(&[
            "prod/kustomization.yaml",
            "prod/cluster/kustomization.yaml",
            "staging/kustomization.yaml",
            "staging/teams/a/kustomization.yaml",
        ]);
        assert_eq!(clusters(&out), ["prod", "staging"]);
    }

    #[test]
    fn cluster_selection() {
        let two = ["prod".to_string(), "staging".to_string()];
        assert_eq!(
            select_cluster(&two, Some("prod"), None, |_| BTreeSet::new())
                .ok()
                .as_deref(),
            Some("prod")
        );
        let message = |r: Result<String, QueryError>| match r {
            Err(QueryError::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        };
        assert_eq!(
            message(select_cluster(&two, None, None, |_| BTreeSet::new())),
            "the repository has 2 clusters (prod, staging): choose one with --cluster"
        );
        assert_eq!(
            message(select_cluster(&two, Some("prd"), None, |_| BTreeSet::new())),
            "unknown cluster `prd`; did you mean `prod`? (the repository's clusters: prod, staging)"
        );
        // A namespace on one cluster names it; on both, the choice is asked.
        let on = |c: &str| -> BTreeSet<String> {
            let mut set = BTreeSet::from(["shared".to_string()]);
            if c == "staging" {
                set.insert("web-staging".to_string());
            }
            set
        };
        assert_eq!(
            select_cluster(&two, None, Some("web-staging"), on)
                .ok()
                .as_deref(),
            Some("staging")
        );
        assert_eq!(
            message(select_cluster(&two, None, Some("shared"), on)),
            "namespace `shared` is on 2 clusters (prod, staging): choose one with --cluster"
        );
        assert_eq!(
            message(select_cluster(&two, None, Some("nowhere"), on)),
            "the repository has 2 clusters (prod, staging): choose one with --cluster"
        );
        let one = ["only".to_string()];
        assert_eq!(
            select_cluster(&one, None, None, |_| BTreeSet::new())
                .ok()
                .as_deref(),
            Some("only")
        );
    }

    #[test]
    fn declared_namespaces_follow_the_layout_of_out() {
        let out = output(&[
            "prod/kustomization.yaml",
            "prod/cluster/clusterrole-admin.yaml",
            "prod/cluster/namespace-rbacc-kubeconfigs.yaml",
            "prod/teams/a/kustomization.yaml",
            "prod/teams/a/a-prod.yaml",
            "prod/teams/a/rbacc.kubeconfig.yaml",
            "prod/kubeconfigs/a.yaml",
            "staging/teams/a/a-dev.yaml",
        ]);
        let got: Vec<String> = declared_namespaces(&out, "prod").into_iter().collect();
        assert_eq!(got, ["a-prod", "rbacc-kubeconfigs"]);
    }
}
