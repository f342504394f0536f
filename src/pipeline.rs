//! The pipeline every command runs, stage by stage.
//!
//! **Input**: an [`Input`] (the bytes of one revision of the repository).
//! **Output**: a [`Compilation`] that each stage adds to: [`compile`]
//! parses and validates into a [`Resolved`] value (the [`Org`], the Flux
//! settings and the analysis, nothing computed beside it) or diagnostics;
//! [`Compilation::emit`] builds the files of `out/` a [`Selection`] names;
//! [`Compilation::codeowners`] renders the CODEOWNERS file and compares
//! committed ones. `build`, `check`, `diff` (both revisions), the queries,
//! `explain`, `codeowners` and `init` all run these stages and no others.
//!
//! Architecture invariant: pure. No stage reads the file system, git, the
//! clock or the environment; every input is in the [`Input`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::codeowners::{self, Committed, Syntax};
use crate::diag::{Diagnostics, Severity};
use crate::emit::{self, Output, Selection};
use crate::load::{self, Input};
use crate::model::{Flux, Org};
use crate::source::{self, Sources};
use crate::validate::{self, Render, analysis::Analysis};

/// What validation checks and keeps, besides what every compilation does.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Whether kubeconfig templates are rendered (and checked). The
    /// queries skip them: a kubeconfig's RBAC objects need only the team.
    pub render: Render,
    /// Keep what `rbacc explain` shows: every object's origin and the
    /// accepted risk findings too.
    pub explain: bool,
    /// Check every team's owners as these forges read CODEOWNERS files.
    pub codeowners: BTreeSet<Syntax>,
    /// Keep the findings `policy.builtinRoles` accepts (what `rbacc diff`
    /// reports as accepted risks).
    pub builtin_accepted: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            render: Render::Full,
            explain: false,
            codeowners: BTreeSet::new(),
            builtin_accepted: false,
        }
    }
}

impl Settings {
    /// What the access queries need: everything but rendered kubeconfigs.
    pub fn queries() -> Settings {
        Settings {
            render: Render::NamesOnly,
            ..Settings::default()
        }
    }
}

/// The declarations, resolved: what every stage after validation reads.
#[derive(Debug)]
pub struct Resolved {
    pub org: Org,
    /// `spec.gitops.flux`, when `rbacc.yaml` has it.
    pub flux: Option<Flux>,
    /// Where objects come from, and the risk findings.
    pub analysis: Analysis,
}

impl Resolved {
    /// What a question about `namespace` needs: the files every team shares
    /// and those of the team that owns it (every team's when it is `None`
    /// or no team owns it). Everything in a namespace is emitted from its
    /// owner's files. No Flux Kustomizations: they grant nothing.
    pub fn selection_for(&self, namespace: Option<&str>) -> Selection {
        let owner = namespace.and_then(|ns| {
            self.org
                .teams
                .iter()
                .find(|t| t.namespaces.iter().any(|n| n.name == ns))
        });
        Selection {
            teams: match owner {
                Some(team) => emit::Teams::Only([team.name.clone()].into()),
                None => emit::Teams::All,
            },
            flux: false,
            ..Selection::all()
        }
    }
}

/// How long each stage took, for `--verbose`.
pub type Timings = Vec<(&'static str, Duration)>;

/// One revision as the stages have compiled it so far.
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    /// The declarations resolved, when validation found no error.
    pub resolved: Option<Resolved>,
    /// The files of `out/` the last [`Compilation::emit`] built, when
    /// there was no error.
    pub output: Option<Output>,
    /// The CODEOWNERS file in each syntax [`Compilation::codeowners`]
    /// rendered.
    pub codeowners: BTreeMap<Syntax, String>,
    pub timings: Timings,
}

/// Parses and validates `input`.
pub fn compile(input: &Input, settings: &Settings) -> Compilation {
    let start = Instant::now();
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let parsed = load::parse(input, &mut sources, &mut diagnostics);
    let mut timings = vec![("parse", start.elapsed())];
    let start = Instant::now();
    let (org, analysis) = validate::validate_with_analysis(
        &sources,
        &parsed,
        &settings.render,
        settings.explain,
        settings.builtin_accepted,
        &mut diagnostics,
    );
    let flux = validate::flux(&parsed, &mut diagnostics);
    for syntax in &settings.codeowners {
        validate::owners_for(*syntax, &parsed, &mut diagnostics);
    }
    let resolved = org
        .filter(|_| !diagnostics.has_errors())
        .map(|org| Resolved {
            org,
            flux,
            analysis,
        });
    timings.push(("validate", start.elapsed()));
    Compilation {
        sources,
        diagnostics,
        resolved,
        output: None,
        codeowners: BTreeMap::new(),
        timings,
    }
}

/// Every stage `rbacc build` runs but the CODEOWNERS file: the whole of
/// `out/`, or diagnostics.
pub fn build(input: &Input) -> Compilation {
    let mut compilation = compile(input, &Settings::default());
    compilation.emit(&Selection::all());
    compilation
}

impl Compilation {
    /// Builds the files `selection` names into [`Compilation::output`],
    /// when the declarations resolved. The whole of `out/` is held to the
    /// byte budgets of `policy.limits` (a part of it cannot be judged):
    /// past them, each team over its budget is reported on its file and
    /// there is no output.
    pub fn emit(&mut self, selection: &Selection) -> Option<&Output> {
        let start = Instant::now();
        let resolved = self.resolved.as_ref()?;
        let output = emit::emit(&resolved.org, resolved.flux.as_ref(), selection);
        let within = !selection.is_all() || self.within_budget(&output);
        self.output = within.then_some(output);
        self.timings.push(("emit", start.elapsed()));
        self.output.as_ref()
    }

    /// Whether `output` keeps to the byte budgets of `policy.limits`, per
    /// team and in all.
    fn within_budget(&mut self, output: &Output) -> bool {
        let Some(org) = self.resolved.as_ref().map(|r| &r.org) else {
            return false;
        };
        let mut per_team: BTreeMap<String, u64> = BTreeMap::new();
        let mut total = 0u64;
        for (path, contents) in &output.files {
            total += contents.len() as u64;
            if let Some((team, _)) = emit::TeamFiles::of(path) {
                *per_team.entry(team).or_default() += contents.len() as u64;
            }
        }
        let sources = &self.sources;
        let span_of = |source: &str| sources.find(source).map(source::Span::file_start);
        let per_team: Vec<(String, source::Span, u64)> = org
            .teams
            .iter()
            .filter_map(|t| {
                let bytes = *per_team.get(&t.name)?;
                Some((t.name.clone(), span_of(&t.source)?, bytes))
            })
            .collect();
        let first = org.teams.first().and_then(|t| span_of(&t.source));
        let errors = self.diagnostics.error_count();
        validate::limits::check_output(&org.limits, &per_team, total, first, &mut self.diagnostics);
        self.diagnostics.error_count() == errors
    }

    /// Renders the CODEOWNERS file in each of `syntaxes` from the emitted
    /// output (`out` is where `out/` lies in the repository, for the
    /// patterns of compiled files; `None` lists team files only), and
    /// reports each `committed` file rbacc generated that differs from
    /// what it renders now, with `stale` severity (`None`: not compared).
    pub fn codeowners(
        &mut self,
        syntaxes: &BTreeSet<Syntax>,
        out: Option<&str>,
        committed: &[Committed],
        stale: Option<Severity>,
    ) {
        let (Some(resolved), Some(output)) = (&self.resolved, &self.output) else {
            return;
        };
        for syntax in syntaxes {
            let text = codeowners::render(&resolved.org, output, *syntax, out);
            self.codeowners.insert(*syntax, text);
        }
        let Some(severity) = stale else {
            return;
        };
        for file in committed {
            let Some(expected) = self.codeowners.get(&file.syntax) else {
                continue;
            };
            let found = codeowners::compare(
                &mut self.sources,
                file.path,
                file.contents,
                expected,
                file.syntax,
            );
            if let Some(mut diagnostic) = found {
                diagnostic.severity = severity;
                self.diagnostics.push(diagnostic);
            }
        }
    }
}
