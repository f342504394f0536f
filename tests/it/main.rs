//! Integration tests: the real `rbacc` binary on real files, its output
//! checked by the real consumers. One binary, one module per feature.

mod access;
mod access_report;
mod architecture;
mod atomic;
mod audit;
mod build;
mod ci;
mod cluster_bindings;
mod codeowners;
mod determinism;
mod diagnostics;
mod diff;
mod gfm;
mod hostile;
mod import;
mod init;
mod kubeconfig;
mod network;
mod output_formats;
mod property;
mod readme;
mod schema;
mod security;
mod security_markdown;
mod security_reader;
mod support;
mod team_roles;

mod existing_roles;
mod expiry;
mod fuzz_regressions;
mod risk;
mod security_risk;
