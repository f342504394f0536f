//! Access queries: `rbacc can-i`, `rbacc who-can` and `rbacc access`,
//! answered offline by the [`access`](crate::access) evaluator.
//!
//! **Input**: a [`Target`], the RBAC objects of one cluster's compiled
//! output ([`Target::from_output`], from `compile` in memory, so the answer
//! is for the declarations even when `out/` is stale) or of any directory of
//! manifests ([`Target::from_dir`]); and the command's arguments.
//!
//! **Output**: an [`Answer`]: the text for stdout (`yes`/`no`, a table, or
//! JSON), warnings for stderr, and whether the answer was yes (`can-i`'s exit
//! code). `main` prints it; nothing here prints.
//!
//! Requests are built as kubectl builds them: RESOURCE in kubectl's notation
//! (`pods`, `pods/exec`, `deployments.apps`), a resource without a group
//! resolved through the catalogue (the built-in namespaced resources, the
//! cluster-scoped resources of k8s-openapi and whatever the manifests' roles
//! name) the way kubectl's discovery would, a path starting with `/` as a
//! non-resource URL. Unknown verbs, unknown resources, a namespace the
//! repository does not declare and `-n` on a cluster-scoped resource are
//! warnings, as in kubectl, not errors: the evaluator still answers.
//!
//! JSON shapes are documented in README.md ("Access queries"); fields are
//! only ever added.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::access::{AccessError, Grant, Manifests, Request, UserBinding, UserInfo, kubectl_name};
use crate::builtin::{CLUSTER_SCOPED, KNOWN_VERBS};
use crate::cli::{AccessArgs, CanIArgs, OutputFormat, UserArgs, WhoCanArgs};
use crate::emit::Output;
use crate::output::Recorded;

/// The verbs of the `access` matrix, in column order (rakkess's order).
pub const MATRIX_VERBS: [&str; 8] = crate::builtin::VERBS_IN_READING_ORDER;

/// Why a query could not be answered. Each is a usage or environment error
/// (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The arguments do not make a question (an unknown cluster, a missing
    /// `--cluster`, an ambiguous resource).
    #[error("{0}")]
    Usage(String),
    /// The manifests could not be read.
    #[error(transparent)]
    Manifests(#[from] AccessError),
}

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

impl Scope<'_> {
    /// Whether an output file may hold an object the question needs. Files
    /// of a team shard (`teams/<team>/`) hold only namespaced objects
    /// (see [`crate::emit`]), and an object of namespace `ns` spells `ns`
    /// in its file, so a shard file without the namespace's name is
    /// skipped; every other file is read.
    fn needs(&self, rel: &str, text: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Request(namespace) => {
                !rel.starts_with("teams/") || namespace.is_some_and(|ns| text.contains(ns))
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
        let cluster = select_cluster(&clusters, cluster)?;
        let prefix = format!("{cluster}/");
        let files: Vec<(&String, &String)> = output
            .files
            .iter()
            .filter(|(path, text)| {
                path.strip_prefix(&prefix)
                    .is_some_and(|rel| holds_rbac(rel) && scope.needs(rel, text))
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
        let cluster = match select_cluster(&clusters, cluster) {
            Ok(cluster) => cluster,
            Err(e) => return Some(Err(e)),
        };
        let prefix = format!("{cluster}/");
        let candidates: Vec<&str> = recorded
            .paths()
            .filter(|path| path.strip_prefix(&prefix).is_some_and(holds_rbac))
            .collect();
        // A namespace's objects are all in its file, `teams/<team>/<ns>.yaml`.
        let own_file = match scope {
            Scope::Request(Some(ns)) => {
                let name = format!("/{ns}.yaml");
                candidates
                    .iter()
                    .find(|p| p[prefix.len()..].starts_with("teams/") && p.ends_with(&name))
                    .copied()
            }
            _ => None,
        };
        // Other questions read most of `out/`: compiling is faster.
        let file = own_file?;
        let wanted: Vec<&str> = candidates
            .iter()
            .filter(|p| p[prefix.len()..].starts_with("cluster/") || **p == file)
            .copied()
            .collect();
        let texts: Vec<Option<(&str, String)>> = wanted
            .par_iter()
            .map(|path| recorded.read(path).map(|text| (*path, text)))
            .collect();
        let mut manifests = Manifests::default();
        for entry in texts {
            let (path, text) = entry?;
            if !scope.needs(&path[prefix.len()..], &text) {
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
        .filter_map(|path| path.strip_suffix("/kustomization.yaml"))
        .filter(|dir| !dir.contains('/'))
        .map(String::from)
        .collect()
}

/// Whether a file of a cluster's output (`rel` to `out/<cluster>/`) may hold
/// RBAC objects: not a kustomization, not a people's kubeconfig.
fn holds_rbac(rel: &str) -> bool {
    !rel.starts_with("kubeconfigs/") && rel.rsplit('/').next() != Some("kustomization.yaml")
}

/// The RBAC objects of one generated file.
fn parse_file(path: &str, text: &str) -> Result<Manifests, AccessError> {
    Manifests::from_yaml(text).map_err(|e| AccessError::File {
        path: PathBuf::from(path),
        source: Box::new(e),
    })
}

fn select_cluster(clusters: &[String], wanted: Option<&str>) -> Result<String, QueryError> {
    let list = clusters.join(", ");
    match wanted {
        Some(wanted) if clusters.iter().any(|c| c == wanted) => Ok(wanted.to_string()),
        Some(wanted) => {
            let hint = crate::diag::did_you_mean(wanted, clusters.iter().map(String::as_str))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
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

/// The namespaces rbacc emits on a cluster: one file per namespace under
/// `<cluster>/teams/<team>/`, and the kubeconfig namespace under
/// `<cluster>/cluster/namespace-<name>.yaml` (see [`crate::emit`]).
fn declared_namespaces(output: &Output, cluster: &str) -> BTreeSet<String> {
    namespaces_in(output.files.keys().map(String::as_str), cluster)
}

/// The namespaces the files at `paths` (relative to `out/`) declare on
/// `cluster`, read from the layout of `out/`.
fn namespaces_in<'a>(paths: impl Iterator<Item = &'a str>, cluster: &str) -> BTreeSet<String> {
    let mut namespaces = BTreeSet::new();
    for path in paths {
        let Some(rel) = path.strip_prefix(cluster).and_then(|p| p.strip_prefix('/')) else {
            continue;
        };
        let parts: Vec<&str> = rel.split('/').collect();
        let name = match parts.as_slice() {
            ["teams", _, file] => file
                .strip_suffix(".yaml")
                .filter(|f| *f != "kustomization" && !f.contains('.')),
            ["cluster", file] => file
                .strip_prefix("namespace-")
                .and_then(|f| f.strip_suffix(".yaml")),
            _ => None,
        };
        namespaces.extend(name.map(String::from));
    }
    namespaces
}

/// What a command answers: stdout, warnings for stderr, and the decision
/// for `can-i` (always `true` for the other commands).
#[derive(Debug, Default)]
pub struct Answer {
    pub stdout: String,
    pub warnings: Vec<String>,
    /// Details for `--verbose` (the grants behind a `yes`).
    pub details: Vec<String>,
    pub yes: bool,
}

/// How to print: the format, and whether stdout is a terminal that may get
/// symbols and colour.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub format: OutputFormat,
    pub fancy: bool,
}

/// `rbacc can-i`. With `quiet`, nothing is printed (the exit code answers).
pub fn can_i(
    target: &Target,
    args: &CanIArgs,
    style: Style,
    quiet: bool,
) -> Result<Answer, QueryError> {
    let mut warnings = target.warnings.clone();
    let catalogue = Catalogue::new(&target.manifests);
    let request = build_request(
        &args.verb,
        &args.resource,
        args.name.as_deref(),
        args.namespace.as_deref(),
        &catalogue,
        target,
        &mut warnings,
    )?;
    let user = user_info(&args.user);
    let grants = target.manifests.explain(&user, &request);
    let yes = !grants.is_empty();
    let details = grants
        .iter()
        .map(|g| {
            format!(
                "allowed by {} -> {} (rule {})",
                binding_text(&g.binding_kind, &g.binding_name),
                role_text(&g.role_kind, &g.role_name),
                g.rule_index
            )
        })
        .collect();
    let stdout = match style.format {
        _ if quiet => String::new(),
        OutputFormat::Text => format!("{}\n", if yes { "yes" } else { "no" }),
        OutputFormat::Json => json(&CanIJson {
            allowed: yes,
            cluster: target.cluster.as_deref(),
            user: UserJson::of(&user),
            request: RequestJson::of(&request),
            grants: grants
                .iter()
                .map(|g| GrantJson {
                    binding: BindingJson {
                        kind: &g.binding_kind,
                        namespace: g.binding_namespace.as_deref(),
                        name: &g.binding_name,
                    },
                    role: RoleJson {
                        kind: &g.role_kind,
                        name: &g.role_name,
                    },
                    rule_index: g.rule_index,
                    rule: target.manifests.rule(g),
                })
                .collect(),
        }),
    };
    Ok(Answer {
        stdout,
        warnings,
        details,
        yes,
    })
}

/// `rbacc who-can`: one row per subject, binding and role.
pub fn who_can(target: &Target, args: &WhoCanArgs, style: Style) -> Result<Answer, QueryError> {
    let mut warnings = target.warnings.clone();
    let catalogue = Catalogue::new(&target.manifests);
    let request = build_request(
        &args.verb,
        &args.resource,
        args.name.as_deref(),
        args.namespace.as_deref(),
        &catalogue,
        target,
        &mut warnings,
    )?;
    let rows: BTreeSet<(String, String, Option<String>, Grant)> = target
        .manifests
        .who_can(&request)
        .into_iter()
        .map(|(subject, grant)| {
            let grant = Grant {
                rule_index: 0,
                ..grant
            };
            (subject.kind, subject.name, subject.namespace, grant)
        })
        .collect();
    let stdout = match style.format {
        OutputFormat::Text if rows.is_empty() => {
            format!("No subject can {}.\n", describe(&request))
        }
        OutputFormat::Text => {
            let mut table = Table::new(&["KIND", "NAME", "NAMESPACE", "BINDING", "ROLE"]);
            for (kind, name, namespace, grant) in &rows {
                table.row(vec![
                    Cell::plain(kind),
                    Cell::plain(name),
                    Cell::plain(namespace.as_deref().unwrap_or("-")),
                    Cell::plain(&binding_text(&grant.binding_kind, &grant.binding_name)),
                    Cell::plain(&role_text(&grant.role_kind, &grant.role_name)),
                ]);
            }
            table.render()
        }
        OutputFormat::Json => json(&WhoCanJson {
            cluster: target.cluster.as_deref(),
            request: RequestJson::of(&request),
            subjects: rows
                .iter()
                .map(|(kind, name, namespace, grant)| SubjectJson {
                    kind,
                    name,
                    namespace: namespace.as_deref(),
                    binding: BindingJson {
                        kind: &grant.binding_kind,
                        namespace: grant.binding_namespace.as_deref(),
                        name: &grant.binding_name,
                    },
                    role: RoleJson {
                        kind: &grant.role_kind,
                        name: &grant.role_name,
                    },
                })
                .collect(),
        }),
    };
    Ok(Answer {
        stdout,
        warnings,
        details: Vec::new(),
        yes: true,
    })
}

/// `rbacc access`: the resources × verbs matrix for one user, then the
/// bindings through which the user gets anything.
pub fn access(target: &Target, args: &AccessArgs, style: Style) -> Result<Answer, QueryError> {
    let mut warnings = target.warnings.clone();
    let namespace = args.namespace.as_deref();
    if let Some(namespace) = namespace {
        check_namespace(namespace, target, &mut warnings);
    }
    let user = user_info(&args.user);
    let catalogue = Catalogue::new(&target.manifests);
    let rows: Vec<Row> = catalogue
        .rows(namespace)
        .into_iter()
        .map(|(group, resource, subresource)| {
            let mut allowed = [false; MATRIX_VERBS.len()];
            for (verb, cell) in MATRIX_VERBS.iter().zip(allowed.iter_mut()) {
                let request = Request::Resource {
                    verb: verb.to_string(),
                    api_group: group.clone(),
                    resource: resource.clone(),
                    subresource: subresource.clone(),
                    namespace: namespace.map(String::from),
                    name: None,
                };
                *cell = target.manifests.allows(&user, &request);
            }
            Row {
                name: kubectl_name(&group, &resource, subresource.as_deref()),
                group,
                resource,
                subresource,
                allowed,
            }
        })
        .collect();
    let bindings = target.manifests.bindings_of(&user, namespace);
    let stdout = match style.format {
        OutputFormat::Text => access_text(target, &user, namespace, &rows, &bindings, style),
        OutputFormat::Json => json(&AccessJson {
            cluster: target.cluster.as_deref(),
            namespace,
            user: UserJson::of(&user),
            verbs: MATRIX_VERBS.to_vec(),
            resources: rows
                .iter()
                .map(|row| ResourceJson {
                    name: &row.name,
                    api_group: &row.group,
                    resource: &row.resource,
                    subresource: row.subresource.as_deref(),
                    verbs: MATRIX_VERBS
                        .iter()
                        .zip(row.allowed)
                        .map(|(verb, allowed)| (*verb, allowed))
                        .collect(),
                })
                .collect(),
            bindings: bindings
                .iter()
                .map(|b| UserBindingJson {
                    binding: BindingJson {
                        kind: &b.binding_kind,
                        namespace: b.binding_namespace.as_deref(),
                        name: &b.binding_name,
                    },
                    role: RoleJson {
                        kind: &b.role_kind,
                        name: &b.role_name,
                    },
                    role_found: role_found(&target.manifests, b),
                })
                .collect(),
        }),
    };
    Ok(Answer {
        stdout,
        warnings,
        details: Vec::new(),
        yes: true,
    })
}

struct Row {
    name: String,
    group: String,
    resource: String,
    subresource: Option<String>,
    allowed: [bool; MATRIX_VERBS.len()],
}

fn access_text(
    target: &Target,
    user: &UserInfo,
    namespace: Option<&str>,
    rows: &[Row],
    bindings: &[UserBinding],
    style: Style,
) -> String {
    let mut header = vec!["NAME".to_string()];
    header.extend(MATRIX_VERBS.iter().map(|v| v.to_uppercase()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut table = Table::new(&header);
    for row in rows {
        let mut cells = vec![Cell::plain(&row.name)];
        cells.extend(
            row.allowed
                .iter()
                .map(|&allowed| match (style.fancy, allowed) {
                    (true, true) => Cell::colored("✔", GREEN),
                    (true, false) => Cell::colored("✖", RED),
                    (false, true) => Cell::plain("yes"),
                    (false, false) => Cell::plain("no"),
                }),
        );
        table.row(cells);
    }
    let mut text = table.render();
    text.push('\n');
    let place = match namespace {
        Some(namespace) => format!("in namespace {namespace}"),
        None => "in any namespace or cluster-wide".to_string(),
    };
    if bindings.is_empty() {
        text.push_str(&format!("No binding names {} {place}.\n", user.name));
        return text;
    }
    let mut table = Table::new(&["BINDING", "NAMESPACE", "ROLE"]);
    for b in bindings {
        let mut role = role_text(&b.role_kind, &b.role_name);
        if !role_found(&target.manifests, b) {
            role.push_str(" (not found: grants nothing)");
        }
        table.row(vec![
            Cell::plain(&binding_text(&b.binding_kind, &b.binding_name)),
            Cell::plain(b.binding_namespace.as_deref().unwrap_or("-")),
            Cell::plain(&role),
        ]);
    }
    text.push_str(&table.render());
    text
}

fn role_found(manifests: &Manifests, b: &UserBinding) -> bool {
    match b.role_kind.as_str() {
        "Role" => manifests.roles().any(|r| {
            r.metadata.namespace == b.binding_namespace
                && r.metadata.name.as_deref() == Some(b.role_name.as_str())
        }),
        _ => manifests
            .cluster_roles()
            .any(|r| r.metadata.name.as_deref() == Some(b.role_name.as_str())),
    }
}

fn user_info(args: &UserArgs) -> UserInfo {
    UserInfo::new(args.user.clone(), args.groups.iter().cloned())
}

/// `RoleBinding/name`, as kubectl names objects; the namespace of a
/// RoleBinding is the request's, or in a column of its own.
fn binding_text(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

fn role_text(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

/// The request in words, for "No subject can …".
fn describe(request: &Request) -> String {
    match request {
        Request::Resource {
            verb,
            api_group,
            resource,
            subresource,
            namespace,
            name,
        } => {
            let mut text = format!(
                "{verb} {}",
                kubectl_name(api_group, resource, subresource.as_deref())
            );
            if let Some(name) = name {
                text.push_str(&format!(" named {name}"));
            }
            match namespace {
                Some(namespace) => text.push_str(&format!(" in namespace {namespace}")),
                None => text.push_str(" cluster-wide"),
            }
            text
        }
        Request::NonResource { verb, path } => format!("{verb} {path}"),
    }
}

/// The resources a query may name: the built-in catalogue, the
/// cluster-scoped resources, and what the manifests' roles name.
struct Catalogue {
    /// `(group, resource)` of the resources the targeted Kubernetes version
    /// serves (no subresources).
    served: BTreeSet<(String, String)>,
    /// `served` and the resources the roles name.
    known: BTreeSet<(String, String)>,
    /// `(group, resource, subresource)` named by the ClusterRoles' rules.
    mentioned: BTreeSet<(String, String, Option<String>)>,
    /// The same for the Roles, by namespace.
    mentioned_in: BTreeMap<String, BTreeSet<(String, String, Option<String>)>>,
}

impl Catalogue {
    fn new(manifests: &Manifests) -> Catalogue {
        let mut mentioned = BTreeSet::new();
        for role in manifests.cluster_roles() {
            mentioned.extend(named_resources(role.rules.iter().flatten()));
        }
        let mut mentioned_in: BTreeMap<String, BTreeSet<_>> = BTreeMap::new();
        for role in manifests.roles() {
            let namespace = role.metadata.namespace.clone().unwrap_or_default();
            mentioned_in
                .entry(namespace)
                .or_default()
                .extend(named_resources(role.rules.iter().flatten()));
        }
        let served: BTreeSet<(String, String)> = crate::builtin::namespaced_resources()
            .into_iter()
            .chain(CLUSTER_SCOPED.iter().copied())
            .map(|(g, r)| (g.to_string(), r.to_string()))
            .collect();
        let mut known = served.clone();
        known.extend(
            mentioned
                .iter()
                .chain(mentioned_in.values().flatten())
                .map(|(g, r, _)| (g.clone(), r.clone())),
        );
        Catalogue {
            served,
            known,
            mentioned,
            mentioned_in,
        }
    }

    fn is_cluster_scoped(group: &str, resource: &str) -> bool {
        CLUSTER_SCOPED.contains(&(group, resource))
    }

    /// The rows of the matrix, sorted by kubectl name: the built-in
    /// namespaced resources, everything the ClusterRoles name and, with a
    /// namespace, what its Roles name (Roles elsewhere cannot grant there),
    /// without the known cluster-scoped resources.
    fn rows(&self, namespace: Option<&str>) -> Vec<(String, String, Option<String>)> {
        let mut rows: BTreeMap<String, (String, String, Option<String>)> = BTreeMap::new();
        let builtin = crate::builtin::namespaced_resources()
            .into_iter()
            .map(|(g, r)| (g.to_string(), r.to_string(), None));
        let in_namespace = namespace
            .and_then(|ns| self.mentioned_in.get(ns))
            .into_iter()
            .flatten();
        let named = self.mentioned.iter().chain(in_namespace).cloned();
        for (group, resource, sub) in builtin.chain(named) {
            if namespace.is_some() && Catalogue::is_cluster_scoped(&group, &resource) {
                continue;
            }
            rows.insert(
                kubectl_name(&group, &resource, sub.as_deref()),
                (group, resource, sub),
            );
        }
        rows.into_values().collect()
    }

    /// The groups `resource` is in, as kubectl's discovery would pick them:
    /// the served groups when the targeted version serves it (so
    /// `deployments` is `apps`, not the long-gone `extensions` an old role
    /// may still name), else the groups the roles name it in.
    fn groups_of(&self, resource: &str) -> Vec<&str> {
        let served = groups_in(&self.served, resource);
        if served.is_empty() {
            groups_in(&self.known, resource)
        } else {
            served
        }
    }
}

/// `(group, resource, subresource)` of every resource rules name, but
/// wildcards.
fn named_resources<'a>(
    rules: impl Iterator<Item = &'a k8s_openapi::api::rbac::v1::PolicyRule>,
) -> BTreeSet<(String, String, Option<String>)> {
    let mut named = BTreeSet::new();
    for rule in rules {
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                if group == "*" || resource.starts_with('*') {
                    continue;
                }
                let (resource, sub) = match resource.split_once('/') {
                    Some((r, s)) => (r, Some(s.to_string())),
                    None => (resource.as_str(), None),
                };
                named.insert((group.clone(), resource.to_string(), sub));
            }
        }
    }
    named
}

fn groups_in<'a>(set: &'a BTreeSet<(String, String)>, resource: &str) -> Vec<&'a str> {
    set.iter()
        .filter(|(_, r)| r == resource)
        .map(|(g, _)| g.as_str())
        .collect()
}

/// Builds the request kubectl would send for `VERB RESOURCE [NAME] [-n NS]`,
/// adding warnings where kubectl warns.
fn build_request(
    verb: &str,
    resource: &str,
    name: Option<&str>,
    namespace: Option<&str>,
    catalogue: &Catalogue,
    target: &Target,
    warnings: &mut Vec<String>,
) -> Result<Request, QueryError> {
    if !KNOWN_VERBS.contains(&verb) {
        let hint = crate::diag::did_you_mean(verb, KNOWN_VERBS.iter().copied())
            .map(|v| format!("; did you mean `{v}`?"))
            .unwrap_or_default();
        warnings.push(format!("`{verb}` is not a known verb{hint}"));
    }
    if resource.starts_with('/') {
        if name.is_some() || namespace.is_some() {
            return Err(QueryError::Usage(format!(
                "`{resource}` is a non-resource URL: it has no name and no namespace"
            )));
        }
        return Ok(Request::non_resource(verb, resource));
    }
    if let Some(namespace) = namespace {
        check_namespace(namespace, target, warnings);
    }
    let (verb, mut api_group, resource, subresource, namespace) =
        match Request::parse_resource(verb, resource, namespace) {
            Request::Resource {
                verb,
                api_group,
                resource,
                subresource,
                namespace,
                name: _,
            } => (verb, api_group, resource, subresource, namespace),
            other => return Ok(other),
        };
    if resource.is_empty() {
        return Err(QueryError::Usage(
            "the resource is empty: write it as kubectl does, e.g. `pods` or `deployments.apps`"
                .to_string(),
        ));
    }
    if resource != "*" && api_group != "*" {
        let known = catalogue
            .known
            .contains(&(api_group.clone(), resource.clone()));
        if !known && api_group.is_empty() {
            match catalogue.groups_of(&resource).as_slice() {
                [group] => api_group = group.to_string(),
                [] => warnings.push(unknown_resource(&resource, &api_group, catalogue)),
                groups => {
                    let names: Vec<String> = groups
                        .iter()
                        .map(|g| format!("`{}`", kubectl_name(g, &resource, None)))
                        .collect();
                    return Err(QueryError::Usage(format!(
                        "`{resource}` is served by several API groups: write {}",
                        names.join(" or ")
                    )));
                }
            }
        } else if !known {
            warnings.push(unknown_resource(&resource, &api_group, catalogue));
        }
        if namespace.is_some() && Catalogue::is_cluster_scoped(&api_group, &resource) {
            warnings.push(format!(
                "`{}` is cluster-scoped: a real request for it has no namespace, so -n asks a question the API server never gets",
                kubectl_name(&api_group, &resource, None)
            ));
        }
    }
    Ok(Request::Resource {
        verb,
        api_group,
        resource,
        subresource,
        namespace,
        name: name.map(String::from),
    })
}

fn unknown_resource(resource: &str, group: &str, catalogue: &Catalogue) -> String {
    let written = kubectl_name(group, resource, None);
    // Without a group, `deployment` is compared with `deployments`, and the
    // suggestion written with its group.
    let candidates: Vec<(String, String)> = catalogue
        .known
        .iter()
        .map(|(g, r)| {
            let name = kubectl_name(g, r, None);
            (
                if group.is_empty() {
                    r.clone()
                } else {
                    name.clone()
                },
                name,
            )
        })
        .collect();
    let hint = crate::diag::did_you_mean(&written, candidates.iter().map(|(c, _)| c.as_str()))
        .and_then(|found| candidates.iter().find(|(c, _)| c == found))
        .map(|(_, n)| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    format!(
        "the resource type `{written}` is neither built in nor named by any role{hint} (short names and kinds are not resolved)"
    )
}

fn check_namespace(namespace: &str, target: &Target, warnings: &mut Vec<String>) {
    let (Some(declared), Some(cluster)) = (&target.namespaces, &target.cluster) else {
        return;
    };
    if declared.contains(namespace) {
        return;
    }
    let hint = crate::diag::did_you_mean(namespace, declared.iter().map(String::as_str))
        .map(|n| format!("; did you mean `{n}`?"))
        .unwrap_or_default();
    warnings.push(format!(
        "the repository declares no namespace `{namespace}` on cluster {cluster}{hint}"
    ));
}

/// A table with columns padded to their widest cell, two spaces apart; the
/// last column is not padded.
struct Table {
    rows: Vec<Vec<Cell>>,
}

struct Cell {
    text: String,
    color: Option<&'static str>,
}

const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const RESET: &str = "\x1b[0m";

impl Cell {
    fn plain(text: &str) -> Cell {
        Cell {
            text: text.to_string(),
            color: None,
        }
    }

    fn colored(text: &str, color: &'static str) -> Cell {
        Cell {
            text: text.to_string(),
            color: Some(color),
        }
    }
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| Cell::plain(h)).collect()],
        }
    }

    fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(i))
                    .map(|cell| cell.text.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                match cell.color {
                    Some(color) => line.push_str(&format!("{color}{}{RESET}", cell.text)),
                    None => line.push_str(&cell.text),
                }
                if i + 1 < row.len() {
                    let pad = widths[i].saturating_sub(cell.text.chars().count());
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs cannot fail; an empty object is a
    // safe answer should it ever.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".to_string());
    text.push('\n');
    text
}

#[derive(Serialize)]
struct UserJson<'a> {
    name: &'a str,
    /// Every group, the implicit ones included.
    groups: &'a [String],
}

impl UserJson<'_> {
    fn of(user: &UserInfo) -> UserJson<'_> {
        UserJson {
            name: &user.name,
            groups: &user.groups,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestJson<'a> {
    verb: &'a str,
    api_group: Option<&'a str>,
    resource: Option<&'a str>,
    subresource: Option<&'a str>,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
    #[serde(rename = "nonResourceURL")]
    non_resource_url: Option<&'a str>,
}

impl RequestJson<'_> {
    fn of(request: &Request) -> RequestJson<'_> {
        match request {
            Request::Resource {
                verb,
                api_group,
                resource,
                subresource,
                namespace,
                name,
            } => RequestJson {
                verb,
                api_group: Some(api_group),
                resource: Some(resource),
                subresource: subresource.as_deref(),
                name: name.as_deref(),
                namespace: namespace.as_deref(),
                non_resource_url: None,
            },
            Request::NonResource { verb, path } => RequestJson {
                verb,
                api_group: None,
                resource: None,
                subresource: None,
                name: None,
                namespace: None,
                non_resource_url: Some(path),
            },
        }
    }
}

#[derive(Serialize)]
struct BindingJson<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

#[derive(Serialize)]
struct RoleJson<'a> {
    kind: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GrantJson<'a> {
    binding: BindingJson<'a>,
    role: RoleJson<'a>,
    rule_index: usize,
    rule: Option<&'a k8s_openapi::api::rbac::v1::PolicyRule>,
}

#[derive(Serialize)]
struct CanIJson<'a> {
    allowed: bool,
    cluster: Option<&'a str>,
    user: UserJson<'a>,
    request: RequestJson<'a>,
    grants: Vec<GrantJson<'a>>,
}

#[derive(Serialize)]
struct SubjectJson<'a> {
    kind: &'a str,
    name: &'a str,
    namespace: Option<&'a str>,
    binding: BindingJson<'a>,
    role: RoleJson<'a>,
}

#[derive(Serialize)]
struct WhoCanJson<'a> {
    cluster: Option<&'a str>,
    request: RequestJson<'a>,
    subjects: Vec<SubjectJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJson<'a> {
    name: &'a str,
    api_group: &'a str,
    resource: &'a str,
    subresource: Option<&'a str>,
    /// Verb -> allowed, in the matrix's column order.
    #[serde(serialize_with = "ordered_map")]
    verbs: Vec<(&'static str, bool)>,
}

fn ordered_map<S: serde::Serializer>(
    pairs: &[(&'static str, bool)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (key, value) in pairs {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserBindingJson<'a> {
    binding: BindingJson<'a>,
    role: RoleJson<'a>,
    /// Whether the referenced role exists (a missing one grants nothing).
    role_found: bool,
}

#[derive(Serialize)]
struct AccessJson<'a> {
    cluster: Option<&'a str>,
    namespace: Option<&'a str>,
    user: UserJson<'a>,
    verbs: Vec<&'static str>,
    resources: Vec<ResourceJson<'a>>,
    bindings: Vec<UserBindingJson<'a>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(paths: &[&str]) -> Output {
        Output {
            files: paths
                .iter()
                .map(|p| (p.to_string(), String::new()))
                .collect(),
        }
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
            select_cluster(&two, Some("prod")).ok().as_deref(),
            Some("prod")
        );
        let message = |r: Result<String, QueryError>| match r {
            Err(QueryError::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        };
        assert_eq!(
            message(select_cluster(&two, None)),
            "the repository has 2 clusters (prod, staging): choose one with --cluster"
        );
        assert_eq!(
            message(select_cluster(&two, Some("prd"))),
            "unknown cluster `prd`; did you mean `prod`? (the repository's clusters: prod, staging)"
        );
        let one = ["only".to_string()];
        assert_eq!(select_cluster(&one, None).ok().as_deref(), Some("only"));
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

    fn resolve(resource: &str, namespace: Option<&str>) -> (Result<Request, String>, Vec<String>) {
        let target = Target::default();
        let catalogue = Catalogue::new(&target.manifests);
        let mut warnings = Vec::new();
        let request = build_request(
            "get",
            resource,
            None,
            namespace,
            &catalogue,
            &target,
            &mut warnings,
        )
        .map_err(|e| e.to_string());
        (request, warnings)
    }

    fn group_of(resource: &str) -> String {
        match resolve(resource, Some("ns")).0 {
            Ok(Request::Resource { api_group, .. }) => api_group,
            other => panic!("{resource}: {other:?}"),
        }
    }

    #[test]
    fn resources_without_a_group_resolve_like_kubectl_discovery() {
        assert_eq!(group_of("pods"), "");
        assert_eq!(group_of("deployments"), "apps");
        assert_eq!(group_of("deployments/scale"), "apps");
        assert_eq!(group_of("deployments.apps"), "apps");
        // The core group wins, as in kubectl's RESTMapper.
        assert_eq!(group_of("events"), "");
        assert_eq!(group_of("events.events.k8s.io"), "events.k8s.io");
        assert_eq!(group_of("clusterroles"), "rbac.authorization.k8s.io");
        assert_eq!(group_of("*"), "");
    }

    #[test]
    fn served_groups_win_over_groups_only_old_roles_name() {
        let manifests = Manifests::from_yaml(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: old}\n\
             rules:\n- apiGroups: [extensions, example.com]\n  resources: [deployments, widgets]\n  verbs: [get]\n",
        )
        .expect("valid role");
        let catalogue = Catalogue::new(&manifests);
        assert_eq!(catalogue.groups_of("deployments"), ["apps"]);
        assert_eq!(
            catalogue.groups_of("widgets"),
            ["example.com", "extensions"]
        );
        assert_eq!(catalogue.groups_of("gadgets"), Vec::<&str>::new());
    }

    #[test]
    fn warnings_follow_kubectl() {
        let (request, warnings) = resolve("deployments.app", Some("ns"));
        assert!(request.is_ok());
        assert_eq!(
            warnings,
            [
                "the resource type `deployments.app` is neither built in nor named by any role; did you mean `deployments.apps`? (short names and kinds are not resolved)"
            ]
        );
        let (_, warnings) = resolve("deployment", Some("ns"));
        assert_eq!(
            warnings,
            [
                "the resource type `deployment` is neither built in nor named by any role; did you mean `deployments.apps`? (short names and kinds are not resolved)"
            ]
        );
        let (_, warnings) = resolve("nodes", Some("ns"));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("`nodes` is cluster-scoped"));
        let (_, warnings) = resolve("nodes", None);
        assert!(warnings.is_empty());
        let (request, _) = resolve("/healthz", Some("ns"));
        assert!(request.is_err());
        let (request, _) = resolve("/healthz", None);
        assert_eq!(request, Ok(Request::non_resource("get", "/healthz")));
    }

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let mut table = Table::new(&["A", "LONG HEADER", "C"]);
        table.row(vec![
            Cell::plain("wide cell"),
            Cell::plain("x"),
            Cell::plain(""),
        ]);
        table.row(vec![
            Cell::plain("✔"),
            Cell::colored("y", GREEN),
            Cell::plain("z"),
        ]);
        assert_eq!(
            table.render(),
            "A          LONG HEADER  C\n\
             wide cell  x\n\
             ✔          \x1b[32my\x1b[0m            z\n"
        );
    }
}
