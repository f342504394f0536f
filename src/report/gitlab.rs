//! GitLab Code Quality: the JSON array a job's `artifacts:reports:codequality`
//! file holds, which GitLab shows in the merge request.
//!
//! **Output**: one issue per diagnostic in report order, `[]` when there is
//! none: `description` (the message, [`visible`], since GitLab shows it to
//! people), `check_name` (the code), `fingerprint` (stable across runs, see
//! [`super::fingerprints`]), `severity` (`major` for an error, `minor` for a
//! warning) and `location` (the repository-relative path as it is, and the
//! line).

use std::borrow::Cow;

use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::source::Sources;
use crate::text::visible;

#[derive(Serialize)]
struct Issue<'a> {
    description: Cow<'a, str>,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// The Code Quality report of `diagnostics`, in the order given.
pub(super) fn render(diagnostics: &[&Diagnostic], sources: &Sources) -> String {
    let issues: Vec<Issue> = diagnostics
        .iter()
        .zip(super::fingerprints(diagnostics, sources))
        .map(|(d, fingerprint)| Issue {
            description: visible(&d.message),
            check_name: d.code.as_str(),
            fingerprint,
            severity: match d.severity {
                Severity::Error => "major",
                Severity::Warning => "minor",
            },
            location: Location {
                path: sources.path(d.primary.span.file),
                lines: Lines {
                    begin: sources.line_col(d.primary.span).0,
                },
            },
        })
        .collect();
    crate::text::json(&issues)
}
