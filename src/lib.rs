//! rbacc: a GitOps RBAC compiler.
//!
//! The pipeline, one module a stage: [`load`] reads files into an
//! [`load::Input`], [`yaml`] and [`model::raw`] parse them with spans,
//! [`validate`] resolves them into a [`model::Org`] (or diagnostics),
//! [`emit`] turns the `Org` into the files of `out/`, and [`output`] writes
//! them atomically; [`codeowners`] renders the CODEOWNERS file beside them.
//! [`pipeline`] runs the pure stages, for every command. See
//! ARCHITECTURE.md.

pub mod access;
pub mod access_report;
pub mod audit;
pub mod bootstrap;
pub mod builtin;
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
pub mod import;
pub mod init;
pub mod json;
pub mod layout;
pub mod live;
pub mod load;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod query;
pub mod replay;
pub mod report;
pub mod risk;
pub mod schema;
pub mod source;
pub mod text;
pub mod validate;
pub mod yaml;

pub use pipeline::{Compilation, Resolved, Settings, build, compile};
