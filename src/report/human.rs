//! The text report, for people: every diagnostic with its source lines,
//! labels and help (miette), then a count.

use std::collections::BTreeMap;
use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceSpan,
};

use crate::diag::{Code, Diagnostic, Severity};
use crate::source::Sources;
use crate::text::{is_invisible, visible};

use super::thousands;

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

/// Renders `diagnostics` in the order given, followed by a summary line:
/// with `per_code`, only the first that many of each code in full, and the
/// count of each code of which some were left out.
pub(super) fn render(
    diagnostics: &[&Diagnostic],
    sources: &Sources,
    style: Style,
    per_code: Option<usize>,
) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let mut out = String::new();
    let mut seen: BTreeMap<Code, (usize, usize)> = BTreeMap::new();
    for &diagnostic in diagnostics {
        let (count, _) = seen.entry(diagnostic.code).or_default();
        *count += 1;
        if per_code.is_some_and(|n| *count > n) {
            continue;
        }
        seen.entry(diagnostic.code).or_default().1 += 1;
        let view = View::new(diagnostic, sources);
        // Writing into a String cannot fail; a rendering failure would only
        // lose decoration, so fall back to the plain message.
        if handler.render_report(&mut out, &view).is_err() {
            out.push_str(&format!(
                "{}: {}\n",
                diagnostic.code,
                crate::text::visible(&diagnostic.message)
            ));
        }
        out.push('\n');
    }
    let (errors, warnings) = super::counts(diagnostics);
    let hidden: usize = seen.values().map(|(count, shown)| count - shown).sum();
    if hidden > 0 {
        out.push_str(&format!(
            "{} more not shown (the first {} of each code are): `--max-diagnostics N` shows N of each, `--verbose` all\n",
            thousands(hidden as u64),
            per_code.unwrap_or_default()
        ));
        let width = seen.keys().map(|c| c.as_str().len()).max().unwrap_or(0);
        for (code, (count, shown)) in &seen {
            let severity =
                diagnostics
                    .iter()
                    .filter(|d| d.code == *code)
                    .fold((0, 0), |(e, w), d| match d.severity {
                        Severity::Error => (e + 1, w),
                        Severity::Warning => (e, w + 1),
                    });
            let what = match severity {
                (0, w) => counted(w, "warning", "warnings"),
                (e, 0) => counted(e, "error", "errors"),
                (e, w) => format!(
                    "{}, {}",
                    counted(e, "error", "errors"),
                    counted(w, "warning", "warnings")
                ),
            };
            let shown = if shown < count {
                format!(" ({shown} shown)")
            } else {
                String::new()
            };
            out.push_str(&format!("  {:<width$}  {what}{shown}\n", code.as_str()));
        }
    }
    if errors > 0 || warnings > 0 {
        out.push_str(&format!(
            "{}, {}\n",
            counted(errors, "error", "errors"),
            counted(warnings, "warning", "warnings")
        ));
    }
    out
}

/// `n` and what it counts: `1 error`, `40,000 warnings`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(n as u64),
        if n == 1 { one } else { many }
    )
}

/// A diagnostic with its sources, in the shape miette renders. Labels in the
/// primary file are shown inline; labels in other files become related
/// reports with their own snippet.
///
/// Every text shown (message, labels, help, paths and the source lines
/// themselves) is passed through [`visible`], so no control character from
/// a file or its name reaches the terminal raw.
struct View<'a> {
    diagnostic: &'a Diagnostic,
    message: String,
    help: Option<String>,
    severity: miette::Severity,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    related: Vec<Related>,
}

impl<'a> View<'a> {
    fn new(diagnostic: &'a Diagnostic, sources: &'a Sources) -> View<'a> {
        let primary_file = diagnostic.primary.span.file;
        let file = sources.get(primary_file);
        let shown = Shown::new(&file.text);
        let mut labels = vec![shown.label(&diagnostic.primary, true)];
        let mut related = Vec::new();
        for label in &diagnostic.secondary {
            if label.span.file == primary_file {
                labels.push(shown.label(label, false));
            } else {
                let other = sources.get(label.span.file);
                let other_shown = Shown::new(&other.text);
                related.push(Related {
                    text: visible(&label.text).into_owned(),
                    label: other_shown.label(label, true),
                    source: NamedSource::new(visible(&other.path), other_shown.text),
                });
            }
        }
        View {
            diagnostic,
            message: visible(&diagnostic.message).into_owned(),
            help: diagnostic.help.as_deref().map(|h| visible(h).into_owned()),
            severity: match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            source: NamedSource::new(visible(&file.path), shown.text),
            labels,
            related,
        }
    }
}

/// A source file's text as shown: invisible characters written out as
/// escapes (line ends kept), with the offsets of spans moved to match.
struct Shown {
    text: String,
    /// `(offset in the file after an escaped character, bytes added so
    /// far)`, in order.
    shifts: Vec<(usize, usize)>,
}

impl Shown {
    fn new(text: &str) -> Shown {
        let keep = |c: char, next: Option<char>| {
            c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'))
        };
        let mut shown = Shown {
            text: String::with_capacity(text.len()),
            shifts: Vec::new(),
        };
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            if is_invisible(c) && !keep(c, next) {
                let before = shown.text.len();
                shown.text.push_str(&visible(c.encode_utf8(&mut [0; 4])));
                let added = shown.text.len() - before - c.len_utf8();
                let total = shown.shifts.last().map_or(0, |&(_, t)| t) + added;
                shown.shifts.push((at + c.len_utf8(), total));
            } else {
                shown.text.push(c);
            }
        }
        shown
    }

    /// Where byte `offset` of the file is in the shown text.
    fn offset(&self, offset: usize) -> usize {
        let i = self.shifts.partition_point(|&(end, _)| end <= offset);
        offset + if i == 0 { 0 } else { self.shifts[i - 1].1 }
    }

    fn label(&self, label: &crate::diag::Label, primary: bool) -> LabeledSpan {
        let start = self.offset(label.span.offset as usize);
        let end = self.offset(label.span.offset as usize + label.span.len as usize);
        let span = SourceSpan::new(start.into(), end - start);
        let text = (!label.text.is_empty()).then(|| visible(&label.text).into_owned());
        if primary {
            LabeledSpan::new_primary_with_span(text, span)
        } else {
            LabeledSpan::new_with_span(text, span)
        }
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
        self.help
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
struct Related {
    text: String,
    source: NamedSource<String>,
    label: LabeledSpan,
}

impl fmt::Debug for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Display for Related {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Related {}

impl miette::Diagnostic for Related {
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
