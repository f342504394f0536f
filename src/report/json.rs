//! rbacc's own JSON report: the shape `docs/output.md` documents, version 1.
//!
//! **Invariants**: keys are camelCase and in a fixed order (struct fields);
//! every key is always present (`null` when there is nothing to say);
//! fields are only ever added within a version; diagnostics keep the order
//! of the text report. Values are exact (a reader decodes what the file
//! holds); invisible characters are written as JSON escapes
//! ([`crate::text::json`]).

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::source::Sources;

/// The version of the shape; a change that is not an addition raises it.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    diagnostics: Vec<Entry<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    code: &'a str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    label: Option<&'a str>,
    help: Option<&'a str>,
    related: Vec<Related<'a>>,
}

#[derive(Serialize)]
struct Related<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    errors: usize,
    warnings: usize,
}

pub(super) fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// The report of `diagnostics`, in the order given. Columns count
/// characters, as the text report does; the end is just past the span.
pub(super) fn render(diagnostics: &[&Diagnostic], sources: &Sources) -> String {
    let entries = diagnostics
        .iter()
        .map(|d| {
            let (start, end) = sources.range(d.primary.span);
            Entry {
                code: d.code.as_str(),
                severity: severity(d.severity),
                message: &d.message,
                file: sources.path(d.primary.span.file),
                line: start.line,
                column: start.column,
                end_line: end.line,
                end_column: end.column,
                label: non_empty(&d.primary.text),
                help: d.help.as_deref(),
                related: d
                    .secondary
                    .iter()
                    .map(|label| {
                        let at = sources.position(label.span.file, label.span.offset as usize);
                        Related {
                            file: sources.path(label.span.file),
                            line: at.line,
                            column: at.column,
                            message: non_empty(&label.text),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let (errors, warnings) = super::counts(diagnostics);
    crate::text::json(&Report {
        version: VERSION,
        diagnostics: entries,
        summary: Summary { errors, warnings },
    })
}
