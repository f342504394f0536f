//! Rendering diagnostics for people (miette) and for CI annotations.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan,
};

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::Sources;

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Renders every diagnostic, in stable order, followed by a summary line.
pub fn render(diagnostics: &Diagnostics, sources: &Sources, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics.sorted(sources) {
        let view = View::new(diagnostic, sources);
        // Writing into a String cannot fail; a rendering failure would only
        // lose decoration, so fall back to the plain message.
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&format!("{}: {}\n", diagnostic.code, diagnostic.message));
        }
        out.push('\n');
    }
    let (errors, warnings) = (diagnostics.error_count(), diagnostics.warning_count());
    if errors > 0 || warnings > 0 {
        out.push_str(&format!(
            "{} {}, {} {}\n",
            errors,
            plural(errors, "error", "errors"),
            warnings,
            plural(warnings, "warning", "warnings")
        ));
    }
    out
}

/// GitHub Actions workflow commands: one `::error`/`::warning` line each.
pub fn render_github(diagnostics: &Diagnostics, sources: &Sources) -> String {
    let mut out = String::new();
    for d in diagnostics.sorted(sources) {
        let (line, col) = sources.line_col(d.primary.span);
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut text = d.message.clone();
        if let Some(help) = &d.help {
            text.push('\n');
            text.push_str(help);
        }
        out.push_str(&format!(
            "::{kind} file={},line={line},col={col},title={}::{}\n",
            escape_property(sources.path(d.primary.span.file)),
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

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A diagnostic with its sources, in the shape miette renders. Labels in the
/// primary file are shown inline; labels in other files become related
/// reports with their own snippet.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    severity: miette::Severity,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Related<'a>>,
}

impl<'a> View<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &'a Sources) -> View<'a> {
        let primary_file = diagnostic.primary.span.file;
        let file = sources.get(primary_file);
        let mut labels = vec![labeled(&diagnostic.primary, true)];
        let mut related = Vec::new();
        for label in &diagnostic.secondary {
            if label.span.file == primary_file {
                labels.push(labeled(label, false));
            } else {
                let other = sources.get(label.span.file);
                related.push(Related {
                    text: label.text.as_str(),
                    source: NamedSource::new(&other.path, other.text.to_string()),
                    label: labeled(label, true),
                });
            }
        }
        View {
            diagnostic,
            severity: match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: NamedSource::new(&file.path, file.text.to_string()),
            labels,
            related,
        }
    }
}

fn labeled(label: &crate::diag::Label, primary: bool) -> LabeledSpan {
    let span = SourceSpan::new((label.span.offset as usize).into(), label.span.len as usize);
    let text = (!label.text.is_empty()).then(|| label.text.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for View<'_> {}

impl miette::Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// A secondary label in another file than the primary one.
struct Related<'a> {
    text: &'a str,
    source: NamedSource<String>,
    label: LabeledSpan,
}

impl fmt::Debug for Related<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl fmt::Display for Related<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl std::error::Error for Related<'_> {}

impl miette::Diagnostic for Related<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}
