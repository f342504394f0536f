//! Access queries: `rbacc can-i`, `rbacc who-can` and `rbacc access`,
//! answered offline by the [`access`](crate::access) evaluator.
//!
//! **Input**: a [`Target`], the RBAC objects of one cluster's compiled
//! output ([`Target::from_output`], from `compile` in memory, so the answer
//! is for the declarations even when `out/` is stale) or of any directory of
//! manifests ([`Target::from_dir`]); and a question ([`CanI`], [`WhoCan`],
//! [`AccessQuestion`]) with the [`Style`] to answer it in. The questions are
//! plain data: the binary builds them from its arguments.
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
//! One file a job: `target` (which objects: the output, the build record,
//! a directory), `catalogue` (which resources exist) and `request` (kubectl's
//! notation resolved into a request), the commands `can_i`, `who_can` and
//! `access`, and their presentation, `table` (text) and `json`.
//!
//! JSON shapes are documented in README.md ("Access queries"); fields are
//! only ever added.

mod access;
mod can_i;
mod catalogue;
mod json;
mod request;
mod table;
mod target;
mod who_can;

use crate::access::{AccessError, UserInfo};

pub use access::access;
pub use can_i::can_i;
pub use target::{Scope, Target, clusters};
pub use who_can::who_can;

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

/// Who asks: a user name and groups, as kubectl's `--as` and `--as-group`
/// write them (the implicit groups are added when the question is answered).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// `alice@example.com`, `system:serviceaccount:NS:NAME`.
    pub name: String,
    /// The groups given, without the implicit ones.
    pub groups: Vec<String>,
}

/// A request as `kubectl auth can-i` writes it: `VERB RESOURCE [NAME]
/// [-n NAMESPACE]`. RESOURCE is in kubectl's notation (`pods/exec`,
/// `deployments.apps`: the subresource and group are part of it), or a
/// non-resource URL starting with `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubectlRequest {
    pub verb: String,
    pub resource: String,
    /// One object (`resourceNames` in rules).
    pub name: Option<String>,
    /// Without it, the request is cluster-wide.
    pub namespace: Option<String>,
}

impl KubectlRequest {
    /// The RBAC objects that can grant the request.
    pub fn scope(&self) -> Scope<'_> {
        Scope::Request(self.namespace.as_deref())
    }
}

/// `rbacc can-i`: may `user` make `request`?
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CanI {
    pub request: KubectlRequest,
    pub user: User,
}

/// `rbacc who-can`: every subject that may make `request`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WhoCan {
    pub request: KubectlRequest,
}

/// `rbacc access`: what `user` may do in `namespace` (without one, in
/// cluster-wide requests), and through which bindings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessQuestion {
    pub user: User,
    pub namespace: Option<String>,
}

impl AccessQuestion {
    /// The RBAC objects the answer needs: without a namespace, every
    /// binding is listed, so every object.
    pub fn scope(&self) -> Scope<'_> {
        match &self.namespace {
            Some(namespace) => Scope::Request(Some(namespace)),
            None => Scope::All,
        }
    }
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

impl Answer {
    /// The answer of a command that lists what it found (`who-can`,
    /// `access`): its exit code does not depend on what it found.
    fn listing(stdout: String, warnings: Vec<String>) -> Answer {
        Answer {
            stdout,
            warnings,
            details: Vec::new(),
            yes: true,
        }
    }
}

/// The format of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: `yes`/`no`, or a table.
    Text,
    /// JSON, in the shape the README documents.
    Json,
}

/// How to print: the format, and whether stdout is a terminal that may get
/// symbols and colour.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub format: Format,
    pub fancy: bool,
}

/// `; did you mean `…`?` when one of `candidates` is close to `word`.
fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    crate::diag::did_you_mean(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

impl User {
    /// The user as the API server sees it: with the implicit groups.
    fn info(&self) -> UserInfo {
        UserInfo::new(self.name.clone(), self.groups.iter().cloned())
    }
}
