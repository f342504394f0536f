//! rbacc: a GitOps RBAC compiler.
//!
//! The pipeline, one module a stage: [`load`] reads files into an
//! [`load::Input`], [`yaml`] and [`model::raw`] parse them with spans,
//! [`validate`] resolves them into a [`model::Org`] (or diagnostics),
//! [`emit`] turns the `Org` into the files of `out/`, and [`output`] writes
//! them atomically; [`codeowners`] renders the CODEOWNERS file beside them.
//! See ARCHITECTURE.md.

pub mod access;
pub mod builtin;
pub mod cli;
pub mod clock;
pub mod codeowners;
pub mod decode;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod error;
pub mod explain;
pub mod files;
pub mod gitinput;
pub mod init;
pub mod load;
pub mod model;
pub mod output;
pub mod progress;
pub mod query;
pub mod report;
pub mod risk;
pub mod schema;
pub mod shell;
pub mod source;
pub mod text;
pub mod validate;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};

use codeowners::Syntax;
use diag::Diagnostics;
use emit::Output;
use load::Input;
use source::Sources;

/// The result of compiling one [`Input`].
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    /// The files of `out/`, when there was no error.
    pub output: Option<Output>,
    /// Where objects come from, and the risk findings (allowed ones too).
    pub analysis: validate::analysis::Analysis,
    /// The CODEOWNERS file in each syntax [`Options::codeowners`] asked
    /// for, when there was no error.
    pub codeowners: BTreeMap<Syntax, String>,
    /// How long each stage took, for `--verbose`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// What a compilation makes besides the files of `out/`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Render the CODEOWNERS file in these syntaxes, and check every
    /// team's owners as those forges read them.
    pub codeowners: BTreeSet<Syntax>,
    /// Where `out/` lies in the repository (`/`-separated, such as `out`),
    /// for the CODEOWNERS patterns of compiled files; `None` when it is
    /// outside the repository, and only team files are listed.
    pub out: Option<String>,
    /// Keep what `rbacc explain` shows: every object's origin and the
    /// accepted risk findings too.
    pub explain: bool,
}

/// Compiles declarations into the files of `out/`. Pure: no I/O.
pub fn compile(input: &Input) -> Compilation {
    compile_with(input, &Options::default())
}

/// Compiles declarations for a question about `namespace`: validates
/// everything but kubeconfig templates (they are not rendered: their
/// ConfigMaps are empty, their RBAC objects complete), and emits only the
/// files every team shares and those of the team that owns `namespace`
/// (every team's when it is `None` or no team owns it). What the access
/// queries read. Pure: no I/O.
pub fn compile_for(input: &Input, namespace: Option<&str>) -> Compilation {
    let mut front = Front::run(input, validate::Render::NamesOnly, false);
    let output = front.valid_org().map(|org| {
        let owner = namespace.and_then(|ns| {
            org.teams
                .iter()
                .find(|t| t.namespaces.iter().any(|n| n.name == ns))
        });
        match owner {
            Some(owner) => emit::emit_teams(&org, |team| team.name == owner.name),
            None => emit::emit(&org),
        }
    });
    front.finish(output, BTreeMap::new())
}

/// Compiles declarations into the files of `out/` and what `options` asks
/// for besides. Pure: no I/O.
pub fn compile_with(input: &Input, options: &Options) -> Compilation {
    let mut front = Front::run(input, validate::Render::Full, options.explain);
    let flux = validate::flux(&front.parsed, &mut front.diagnostics);
    for syntax in &options.codeowners {
        validate::owners_for(*syntax, &front.parsed, &mut front.diagnostics);
    }
    front.lap("validate");
    let org = front.valid_org();
    let output = org.as_ref().map(|org| {
        let mut output = emit::emit(org);
        if let Some(flux) = &flux {
            emit::flux(org, flux, &mut output);
        }
        output
    });
    let output = match (&org, output) {
        (Some(org), Some(output)) if within_budget(org, &output, &mut front) => Some(output),
        _ => None,
    };
    let mut codeowners = BTreeMap::new();
    if let (Some(org), Some(output)) = (&org, &output) {
        for syntax in &options.codeowners {
            let text = codeowners::render(org, output, *syntax, options.out.as_deref());
            codeowners.insert(*syntax, text);
        }
    }
    front.finish(output, codeowners)
}

/// Whether `output` keeps to the byte budgets of `policy.limits`, per team
/// and in all; each team past its budget is reported on its file.
fn within_budget(org: &model::Org, output: &Output, front: &mut Front) -> bool {
    let mut per_team: BTreeMap<&str, u64> = BTreeMap::new();
    let mut total = 0u64;
    for (path, contents) in &output.files {
        total += contents.len() as u64;
        if let Some((team, _)) = emit::TeamFiles::of(path) {
            *per_team.entry(team).or_default() += contents.len() as u64;
        }
    }
    let span_of = |source: &str| front.sources.find(source).map(source::Span::file_start);
    let per_team: Vec<(String, source::Span, u64)> = org
        .teams
        .iter()
        .filter_map(|t| {
            let bytes = *per_team.get(t.name.as_str())?;
            Some((t.name.clone(), span_of(&t.source)?, bytes))
        })
        .collect();
    let first = org.teams.first().and_then(|t| span_of(&t.source));
    let errors = front.diagnostics.error_count();
    validate::limits::check_output(&org.limits, &per_team, total, first, &mut front.diagnostics);
    front.diagnostics.error_count() == errors
}

/// The stages every compilation shares: parse and validate, timed.
struct Front {
    sources: Sources,
    diagnostics: Diagnostics,
    parsed: load::Parsed,
    org: Option<model::Org>,
    analysis: validate::analysis::Analysis,
    timings: Vec<(&'static str, std::time::Duration)>,
    clock: std::time::Instant,
}

impl Front {
    fn run(input: &Input, render: validate::Render, explain: bool) -> Front {
        let clock = std::time::Instant::now();
        let mut sources = Sources::default();
        let mut diagnostics = Diagnostics::default();
        let parsed = load::parse(input, &mut sources, &mut diagnostics);
        let mut front = Front {
            sources,
            diagnostics,
            parsed,
            org: None,
            analysis: Default::default(),
            timings: Vec::new(),
            clock,
        };
        front.lap("parse");
        let (org, analysis) = validate::validate_with_analysis(
            &front.sources,
            &front.parsed,
            render,
            explain,
            &mut front.diagnostics,
        );
        front.org = org;
        front.analysis = analysis;
        front.lap("validate");
        front
    }

    /// Records how long the stage that ends now took. A stage timed twice
    /// (validation that goes on after the shared part) adds up.
    fn lap(&mut self, stage: &'static str) {
        let now = std::time::Instant::now();
        let took = now - self.clock;
        self.clock = now;
        match self.timings.last_mut() {
            Some((last, total)) if *last == stage => *total += took,
            _ => self.timings.push((stage, took)),
        }
    }

    /// The organisation, if nothing reported so far is an error.
    fn valid_org(&mut self) -> Option<model::Org> {
        self.org.take().filter(|_| !self.diagnostics.has_errors())
    }

    fn finish(
        mut self,
        output: Option<Output>,
        codeowners: BTreeMap<codeowners::Syntax, String>,
    ) -> Compilation {
        self.lap("emit");
        Compilation {
            sources: self.sources,
            diagnostics: self.diagnostics,
            output,
            analysis: self.analysis,
            codeowners,
            timings: self.timings,
        }
    }
}
