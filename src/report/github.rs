//! GitHub Actions workflow commands: one `::error` or `::warning` line per
//! diagnostic, which the runner reads from stdout and shows inline on the
//! pull request's diff.

use crate::diag::{Diagnostic, Severity};
use crate::source::Sources;
use crate::text::visible;

/// One workflow command per diagnostic, in the order given. Every text is
/// [`visible`] and escaped as the runner reads it, so a value can neither
/// end the line nor start a command of its own.
pub(super) fn render(diagnostics: &[&Diagnostic], sources: &Sources) -> String {
    let mut out = String::new();
    for d in diagnostics {
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
