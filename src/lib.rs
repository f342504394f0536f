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
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |stage: &'static str| {
        let now = std::time::Instant::now();
        timings.push((stage, now - clock));
        clock = now;
    };
    let parsed = load::parse(input, &mut sources, &mut diagnostics);
    lap("parse");
    let (org, analysis) = validate::validate_with_analysis(
        &sources,
        &parsed,
        validate::Render::NamesOnly,
        false,
        &mut diagnostics,
    );
    lap("validate");
    let output = org.filter(|_| !diagnostics.has_errors()).map(|org| {
        let owner = namespace.and_then(|ns| {
            org.teams
                .iter()
                .find(|t| t.namespaces.iter().any(|n| n.name == ns))
                .map(|t| t.name.clone())
        });
        match owner {
            Some(owner) => emit::emit_teams(&org, |team| team.name == owner),
            None => emit::emit(&org),
        }
    });
    lap("emit");
    Compilation {
        sources,
        diagnostics,
        output,
        analysis,
        codeowners: BTreeMap::new(),
        timings,
    }
}

/// Compiles declarations into the files of `out/` and what `options` asks
/// for besides. Pure: no I/O.
pub fn compile_with(input: &Input, options: &Options) -> Compilation {
    let mut sources = Sources::default();
    let mut diagnostics = Diagnostics::default();
    let mut timings = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |stage: &'static str| {
        let now = std::time::Instant::now();
        timings.push((stage, now - clock));
        clock = now;
    };
    let parsed = load::parse(input, &mut sources, &mut diagnostics);
    lap("parse");
    let (org, analysis) = validate::validate_with_analysis(
        &sources,
        &parsed,
        validate::Render::Full,
        options.explain,
        &mut diagnostics,
    );
    let flux = validate::flux(&parsed, &mut diagnostics);
    for syntax in &options.codeowners {
        validate::owners_for(*syntax, &parsed, &mut diagnostics);
    }
    lap("validate");
    let org = org.filter(|_| !diagnostics.has_errors());
    let output = org.as_ref().map(|org| {
        let mut output = emit::emit(org);
        if let Some(flux) = &flux {
            emit::flux(org, flux, &mut output);
        }
        output
    });
    let mut codeowners = BTreeMap::new();
    if let (Some(org), Some(output)) = (&org, &output) {
        for syntax in &options.codeowners {
            let text = codeowners::render(org, output, *syntax, options.out.as_deref());
            codeowners.insert(*syntax, text);
        }
    }
    lap("emit");
    Compilation {
        sources,
        diagnostics,
        output,
        analysis,
        codeowners,
        timings,
    }
}
