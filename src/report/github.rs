//! GitHub Actions workflow commands: one `::error` or `::warning` line per
//! diagnostic, which the runner reads from stdout and shows inline on the
//! pull request's diff.

use crate::diag::{Code, Diagnostic, Severity};
use crate::source::Sources;
use crate::text::visible;

/// Annotations of each severity GitHub shows per step: "10 warning
/// annotations, 10 error annotations, and 10 notice annotations per step",
/// 50 per job (actions/toolkit, docs/problem-matchers.md). Further ones are
/// dropped without a word, so rbacc stops at the limit and says so.
pub const ANNOTATIONS_PER_STEP: usize = 10;

/// One workflow command per diagnostic, in the order given, up to
/// [`ANNOTATIONS_PER_STEP`] errors and as many warnings; then, when some
/// were left out, a plain line counting them by code. Every text is
/// [`visible`] and escaped as the runner reads it, so a value can neither
/// end the line nor start a command of its own.
pub(super) fn render(diagnostics: &[&Diagnostic], sources: &Sources) -> String {
    render_after(None, diagnostics, sources)
}

/// [`render`], led by `verdict`: an error about the whole run, not a file
/// (`title`, message), which takes the first of the errors GitHub shows.
pub(super) fn render_after(
    verdict: Option<(Code, &str)>,
    diagnostics: &[&Diagnostic],
    sources: &Sources,
) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings) = (0, 0);
    if let Some((title, message)) = verdict {
        out.push_str(&format!(
            "::error title={title}::{}\n",
            escape_data(&visible(message))
        ));
        errors += 1;
    }
    let mut left: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in diagnostics {
        let shown = match d.severity {
            Severity::Error => &mut errors,
            Severity::Warning => &mut warnings,
        };
        if *shown == ANNOTATIONS_PER_STEP {
            *left.entry(d.code.as_str()).or_default() += 1;
            continue;
        }
        *shown += 1;
        let (line, col) = sources.line_col(d.primary.span);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut text = visible(&d.message).into_owned();
        if let Some(help) = &d.help {
            text.push('\n');
            text.push_str(&visible(help));
        }
        out.push_str(&format!(
            "::{kind} file={},line={line},col={col},title={}::{}\n",
            escape_property(&visible(sources.path(d.primary.span.file))),
            d.code,
            escape_data(&text)
        ));
    }
    if !left.is_empty() {
        let total: usize = left.values().sum();
        let by_code: Vec<String> = left
            .iter()
            .map(|(code, n)| format!("{} {code}", super::thousands(*n as u64)))
            .collect();
        out.push_str(&format!(
            "rbacc: {} more not annotated ({}): GitHub shows {ANNOTATIONS_PER_STEP} errors and {ANNOTATIONS_PER_STEP} warnings per step; `-o sarif` for code scanning, or `-o json`, holds them all\n",
            super::thousands(total as u64),
            by_code.join(", ")
        ));
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
