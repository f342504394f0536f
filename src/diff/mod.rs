//! `rbacc diff`: what a change to the declarations changes in the
//! manifests, and who gains or loses access.
//!
//! **Input**: two revisions of the repository, read from git's object
//! database ([`crate::gitinput`]) or, for the head by default, the work
//! tree. **Output**: a [`Diff`], rendered as text, markdown (for a
//! pull-request comment, within GitHub's size limit) or JSON, in this
//! order: a summary per cluster, access changes, warnings, and a unified
//! diff per generated file.
//!
//! Both revisions are compiled ([`compile`]); only the files that can
//! differ are emitted ([`compile::outputs`]); access changes are evaluated
//! on those files with the RBAC evaluator ([`access`]). [`diff`] is pure;
//! [`run`] reads git and the work tree; [`Diff::render`] writes the report.

pub mod access;
mod changes;
pub(crate) mod compile;
mod render;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::gitinput::GitError;
use crate::load::{Input, InputFile};
use crate::validate::Render;

pub use access::{
    AccessChanges, Permission, PlaceChange, RoleChange, RoleKind, RoleName, SubjectChange,
};
pub use changes::{Message, Piece};
pub use render::{MARKDOWN_LIMIT, MARKER};

/// How a [`Diff`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For a terminal.
    Text,
    /// For a pull-request comment: at most [`MARKDOWN_LIMIT`] characters.
    Markdown,
    /// For machines, in the shape README.md documents.
    Json,
}

impl Diff {
    /// The report in `format`; `base` is the base revision as the user
    /// named it, for the markdown heading.
    pub fn render(&self, format: Format, base: &str) -> String {
        match format {
            Format::Text => render::text(self),
            Format::Markdown => render::markdown(self, base),
            Format::Json => render::json(self),
        }
    }
}

/// Added, changed or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Added,
    Changed,
    Removed,
}

/// Which of the two outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Head,
}

/// A generated file that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// Relative to `out/`.
    pub path: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl FileChange {
    pub fn status(&self) -> Status {
        match (&self.old, &self.new) {
            (None, _) => Status::Added,
            (_, None) => Status::Removed,
            _ => Status::Changed,
        }
    }

    pub fn text(&self, side: Side) -> Option<&str> {
        match side {
            Side::Base => self.old.as_deref(),
            Side::Head => self.new.as_deref(),
        }
    }

    /// The cluster the file belongs to.
    pub fn cluster(&self) -> &str {
        crate::layout::cluster_of(&self.path)
    }

    /// A unified diff with three lines of context, headed as git heads it
    /// (`a/out/…`, `b/out/…`, `/dev/null` for a missing side).
    pub fn unified(&self) -> String {
        let (old, new) = (
            self.old.as_deref().unwrap_or(""),
            self.new.as_deref().unwrap_or(""),
        );
        let a = match self.old {
            Some(_) => format!("a/out/{}", self.path),
            None => "/dev/null".to_string(),
        };
        let b = match self.new {
            Some(_) => format!("b/out/{}", self.path),
            None => "/dev/null".to_string(),
        };
        let diff = similar::TextDiff::from_lines(old, new);
        let mut text = diff
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&a, &b)
            .to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}

/// Added, changed and removed counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub added: usize,
    pub changed: usize,
    pub removed: usize,
}

impl Counts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Added => self.added += 1,
            Status::Changed => self.changed += 1,
            Status::Removed => self.removed += 1,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.added + self.changed + self.removed == 0
    }
}

/// What changed on one cluster, counted by kind of object.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ClusterSummary {
    pub cluster: String,
    /// Namespace objects.
    pub namespaces: Counts,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Counts,
    /// Roles and ClusterRoles.
    pub roles: Counts,
    /// Files of `<cluster>/kubeconfigs/`.
    pub kubeconfigs: Counts,
    /// Generated files.
    pub files: Counts,
}

/// Something a reviewer should look at twice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// `namespace-removed`, `namespace-renamed`, `namespace-unprotected`,
    /// `namespace-labels`, `risky-grant`, `escalation`, `accepted-risk`,
    /// `several-teams`, `policy` or `base-invalid`.
    pub kind: &'static str,
    pub message: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// For a removed namespace: whether Argo CD and Flux leave it in place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected: Option<bool>,
    /// For a risky grant: `file:line`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl Warning {
    fn new(kind: &'static str, message: Message) -> Warning {
        Warning {
            kind,
            message,
            cluster: None,
            namespace: None,
            protected: None,
            location: None,
        }
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SideInfo {
    /// The revision as given, or `work tree`.
    pub name: String,
    /// The commit id, when the side is a commit.
    pub commit: Option<String>,
    /// Whether it compiled; a base that did not is compared as empty.
    pub compiled: bool,
    /// Errors found compiling it.
    pub errors: usize,
}

impl SideInfo {
    /// `name (abc1234)`; `abc1234` alone when the side is named by its
    /// commit id (as CI names a pull request's base).
    pub fn label(&self) -> String {
        match (self.short_commit(), self.named_by_commit()) {
            (Some(short), false) => format!("{} ({short})", self.name),
            (Some(short), true) => short.to_string(),
            (None, _) => self.name.clone(),
        }
    }

    /// The commit id's first seven digits.
    pub fn short_commit(&self) -> Option<&str> {
        self.commit.as_deref().map(|c| &c[..7.min(c.len())])
    }

    /// Whether the name is the commit id itself, or an abbreviation of it.
    pub fn named_by_commit(&self) -> bool {
        self.commit.as_deref().is_some_and(|commit| {
            self.name.len() >= 4
                && self.name.bytes().all(|b| b.is_ascii_hexdigit())
                && commit.starts_with(&self.name.to_ascii_lowercase())
        })
    }
}

/// The whole comparison.
#[derive(Debug)]
pub struct Diff {
    pub base: SideInfo,
    pub head: SideInfo,
    /// Every cluster of either side, sorted.
    pub summary: Vec<ClusterSummary>,
    pub access: AccessChanges,
    pub warnings: Vec<Warning>,
    /// In path order.
    pub files: Vec<FileChange>,
}

impl Diff {
    /// Whether the two outputs differ.
    pub fn changed(&self) -> bool {
        !self.files.is_empty()
    }
}

/// One revision to compare, read.
pub struct Revision {
    pub info: SideInfo,
    /// `None` for a base without `rbacc.yaml` (compared as empty).
    pub input: Option<Input>,
}

/// What a diff found.
pub enum Found {
    /// Both compiled (or the base did not and is compared as empty).
    Diff(Box<Diff>),
    /// The head does not compile: its diagnostics, with their sources.
    HeadInvalid(Box<Invalid>),
}

/// A head that does not compile, and the sides as a report names them.
pub struct Invalid {
    pub base: SideInfo,
    pub head: SideInfo,
    pub compilation: crate::Compilation,
}

impl Invalid {
    /// The pull-request comment in place of the report: the same marker
    /// (so CI replaces the previous report instead of leaving it stale),
    /// the sides, and the head's diagnostics, within [`MARKDOWN_LIMIT`].
    /// `base` is the base as the user named it.
    pub fn markdown(&self, base: &str) -> String {
        let c = &self.compilation;
        let style = crate::report::Style {
            color: false,
            width: 100,
        };
        let diagnostics = crate::report::render(&c.diagnostics, &c.sources, style, None);
        render::head_invalid(
            &self.base,
            &self.head,
            c.diagnostics.error_count(),
            &diagnostics,
            base,
        )
    }
}

/// Why `rbacc diff` could not run: exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Load(#[from] Error),
    #[error(transparent)]
    Eval(#[from] access::EvalError),
}

/// Compares two revisions. Pure: everything is in the inputs. `timings`
/// collects how long each stage took.
pub fn diff(
    base: Revision,
    head: Revision,
    timings: &mut Vec<(&'static str, Duration)>,
) -> Result<Found, DiffError> {
    let start = Instant::now();
    let render = rendered(base.input.as_ref(), head.input.as_ref());
    let (base_compiled, mut head_compiled) = rayon::join(
        || base.input.as_ref().map(|i| compile_side(i, &render)),
        || head.input.as_ref().map(|i| compile_side(i, &render)),
    );
    // A base that does not resolve is compared as empty: every file of the
    // head is new, its kubeconfigs too.
    if render != Render::Full && base_compiled.as_ref().is_none_or(|c| c.resolved.is_none()) {
        head_compiled = head.input.as_ref().map(|i| compile_side(i, &Render::Full));
    }
    timings.push(("compile", start.elapsed()));
    let Some(head_compiled) = head_compiled else {
        return Err(DiffError::Load(Error::NoConfig {
            repo: PathBuf::from(&head.info.name),
        }));
    };
    let Some(head_model) = head_compiled.resolved.as_ref() else {
        let mut head_info = head.info;
        head_info.errors = head_compiled.diagnostics.error_count();
        return Ok(Found::HeadInvalid(Box::new(Invalid {
            base: base.info,
            head: head_info,
            compilation: head_compiled,
        })));
    };
    let mut base_info = base.info;
    let mut head_info = head.info;
    head_info.compiled = true;
    let head_org = &head_model.org;
    let base_model = base_compiled.as_ref().and_then(|c| c.resolved.as_ref());
    let base_org = base_model.map(|m| &m.org);
    base_info.compiled = base_org.is_some();
    base_info.errors = base_compiled
        .as_ref()
        .map_or(0, |c| c.diagnostics.error_count());

    let start = Instant::now();
    let mut outputs = compile::outputs(base_model, head_model);
    timings.push(("emit", start.elapsed()));
    let files: Vec<FileChange> = {
        let (base, head) = (&outputs.base.files, &outputs.head.files);
        let mut paths: Vec<&String> = base.keys().chain(head.keys()).collect();
        paths.sort();
        paths.dedup();
        paths
            .into_iter()
            .filter_map(|path| {
                let (old, new) = (base.get(path), head.get(path));
                (old != new).then(|| FileChange {
                    path: path.clone(),
                    old: old.cloned(),
                    new: new.cloned(),
                })
            })
            .collect()
    };
    let mut clusters: Vec<String> = head_org.clusters.iter().map(|c| c.name.clone()).collect();
    if let Some(org) = base_org {
        clusters.extend(org.clusters.iter().map(|c| c.name.clone()));
    }
    clusters.sort();
    clusters.dedup();

    let start = Instant::now();
    let (summary, mut warnings) = changes::summarize(&clusters, &files, &outputs);
    timings.push(("summary", start.elapsed()));
    let start = Instant::now();
    // The RBAC objects move to the evaluation: one copy of each.
    let rbac = (
        std::mem::take(&mut outputs.base.rbac),
        std::mem::take(&mut outputs.head.rbac),
    );
    let access = access::changes(&clusters, rbac, &files, base_org, head_org)?;
    timings.push(("access", start.elapsed()));

    let mut all = Vec::new();
    if !base_info.compiled {
        let why = if base.input.is_none() {
            "has no `rbacc.yaml`".to_string()
        } else {
            format!(
                "does not compile ({} {})",
                base_info.errors,
                if base_info.errors == 1 {
                    "error"
                } else {
                    "errors"
                }
            )
        };
        all.push(Warning::new(
            "base-invalid",
            Message::new()
                .words("the base ")
                .value(base_info.label())
                .words(" ")
                .marked(&why)
                .words(": compared against an empty base, so everything shows as added"),
        ));
    }
    all.extend(changes::escalations(&access));
    all.append(&mut warnings);
    all.extend(changes::risky_grants(
        base_compiled.as_ref().filter(|c| c.resolved.is_some()),
        &head_compiled,
    ));
    all.extend(changes::accepted_by_platform(
        base_compiled.as_ref().filter(|c| c.resolved.is_some()),
        &head_compiled,
    ));
    all.extend(changes::accepted_risks(
        base.input.as_ref().map_or(&[][..], |i| &i.teams),
        head.input.as_ref().map_or(&[][..], |i| &i.teams),
    ));
    // Against an empty base every team is new: nothing to say.
    if base.input.is_some() {
        all.extend(changes::several_teams(
            base.input.as_ref().map_or(&[][..], |i| &i.teams),
            head.input.as_ref().map_or(&[][..], |i| &i.teams),
        ));
    }
    all.extend(changes::policy(
        base.input.as_ref().and_then(|i| i.config.as_ref()),
        head.input.as_ref().and_then(|i| i.config.as_ref()),
    ));
    let diff = Diff {
        base: base_info,
        head: head_info,
        summary,
        access,
        warnings: all,
        files,
    };
    // Freeing two compiled organisations takes a noticeable part of a
    // second at 10,000 teams; nothing waits for it.
    drop(outputs);
    std::thread::spawn(move || drop((base_compiled, head_compiled)));
    Ok(Found::Diff(Box::new(diff)))
}

/// One side compiled as `build` compiles it, up to emission ([`outputs`]
/// in compile.rs emits only what can differ), rendering the kubeconfigs
/// `render` names.
fn compile_side(input: &Input, render: &Render) -> crate::Compilation {
    let settings = crate::Settings {
        builtin_accepted: true,
        render: render.clone(),
        ..crate::Settings::default()
    };
    crate::compile(input, &settings)
}

/// Which kubeconfigs both sides render. A kubeconfig depends on its team,
/// `rbacc.yaml` and the templates only: with those two the same on both
/// sides, a team file that is the same on both renders the same
/// kubeconfigs there, so only the team files that differ (or that were
/// refused on a side) are rendered. At 10,000 teams rendering and checking
/// every kubeconfig twice was most of a diff.
fn rendered(base: Option<&Input>, head: Option<&Input>) -> Render {
    let (Some(base), Some(head)) = (base, head) else {
        return Render::Full;
    };
    fn by_path(files: &[InputFile]) -> BTreeMap<&str, Option<&[u8]>> {
        files
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_deref().ok()))
            .collect()
    }
    // A file refused on either side counts as differing.
    let same = |a: &BTreeMap<&str, Option<&[u8]>>, b: &BTreeMap<&str, Option<&[u8]>>| {
        a.len() == b.len()
            && a.iter()
                .all(|(path, x)| x.is_some() && b.get(path).is_some_and(|y| y == x))
    };
    if !same(
        &by_path(base.config.as_slice()),
        &by_path(head.config.as_slice()),
    ) || !same(&by_path(&base.templates), &by_path(&head.templates))
    {
        return Render::Full;
    }
    let (a, b) = (by_path(&base.teams), by_path(&head.teams));
    let differs = |path: &&&str| {
        let (x, y) = (
            a.get(*path).copied().flatten(),
            b.get(*path).copied().flatten(),
        );
        x.is_none() || x != y
    };
    Render::Files(
        a.keys()
            .chain(b.keys())
            .filter(differs)
            .map(|p| p.to_string())
            .collect(),
    )
}
