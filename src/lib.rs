//! rbacc: a GitOps RBAC compiler.
//!
//! The pipeline, one module a stage: [`load`] reads files into an
//! [`load::Input`], [`yaml`] and [`model::raw`] parse them with spans,
//! [`validate`] resolves them into a [`model::Org`] (or diagnostics),
//! [`emit`] turns the `Org` into the files of `out/`, and [`output`] writes
//! them atomically. See ARCHITECTURE.md.

pub mod access;
pub mod builtin;
pub mod cli;
pub mod clock;
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
pub mod query;
pub mod report;
pub mod risk;
pub mod schema;
pub mod shell;
pub mod source;
pub mod validate;
pub mod yaml;

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
    /// How long each stage took, for `--verbose`.
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// Compiles declarations into the files of `out/`. Pure: no I/O.
pub fn compile(input: &Input) -> Compilation {
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
    let (org, analysis) = validate::validate_with_analysis(&sources, &parsed, &mut diagnostics);
    let flux = validate::flux(&parsed, &mut diagnostics);
    lap("validate");
    let output = org.filter(|_| !diagnostics.has_errors()).map(|org| {
        let mut output = emit::emit(&org);
        if let Some(flux) = &flux {
            emit::flux(&org, flux, &mut output);
        }
        output
    });
    lap("emit");
    Compilation {
        sources,
        diagnostics,
        output,
        analysis,
        timings,
    }
}
