//! Diagnostics as each reader takes them, one file per format: `human`
//! (the text report, for people), `github` (workflow commands), `json`
//! (rbacc's documented shape), `sarif` (code scanning) and `gitlab` (Code
//! Quality).
//!
//! **Input**: the diagnostics in report order ([`Diagnostics::sorted`],
//! then whatever a command adds, such as `check`'s stale files) and the
//! sources they point into.
//!
//! **Output**: a `String`; the binary decides where it goes and prints it.
//!
//! **Invariants**: the same diagnostics give the same bytes; every text
//! from the input is escaped for where it lands (the text report and
//! annotations through [`crate::text::visible`], JSON through
//! [`crate::text::json`], URIs through [`uri_path`]). `docs/output.md`
//! documents every format.

mod github;
mod gitlab;
mod human;
mod json;
mod sarif;

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::source::Sources;

pub use human::Style;
pub use json::VERSION as JSON_VERSION;
pub use sarif::{SRCROOT, help_uri};

/// A format diagnostics are rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people: source lines, labels, help, and a count.
    Text,
    /// GitHub Actions workflow commands.
    Github,
    /// rbacc's JSON report (`docs/output.md`).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitLab Code Quality.
    Gitlab,
}

impl Format {
    /// Whether the format is one document for machines: printed whole on
    /// stdout, also when there is nothing to report (an empty list), so
    /// that a file redirected from it always parses.
    pub fn is_document(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Gitlab)
    }
}

/// Renders `diagnostics`, in the order given, in `format` (`style` is for
/// the text report).
pub fn render_as(
    format: Format,
    diagnostics: &[&Diagnostic],
    sources: &Sources,
    style: Style,
) -> String {
    match format {
        Format::Text => human::render(diagnostics, sources, style, None),
        Format::Github => github::render(diagnostics, sources),
        Format::Json => json::render(diagnostics, sources),
        Format::Sarif => sarif::render(diagnostics, sources),
        Format::Gitlab => gitlab::render(diagnostics, sources),
    }
}

/// How many diagnostics of each code the text report shows in full when
/// there are more than [`SUMMARISED_ABOVE`] and neither `--verbose` nor
/// `--max-diagnostics` says otherwise.
pub const SHOWN_PER_CODE: usize = 3;

/// Up to this many diagnostics, the text report shows them all: they fit
/// in a terminal's scrollback without hiding one another.
pub const SUMMARISED_ABOVE: usize = 25;

/// The text report, in report order, and a count: every diagnostic, or
/// with `per_code` the first that many of each code and the count of each
/// code of which some are left out.
pub fn render(
    diagnostics: &Diagnostics,
    sources: &Sources,
    style: Style,
    per_code: Option<usize>,
) -> String {
    human::render(&diagnostics.sorted(sources), sources, style, per_code)
}

/// GitHub Actions workflow commands in report order, as many as GitHub
/// shows ([`github::ANNOTATIONS_PER_STEP`] of each severity), then a
/// count of what is left out.
pub fn render_github(diagnostics: &Diagnostics, sources: &Sources) -> String {
    github::render(&diagnostics.sorted(sources), sources)
}

/// [`render_github`], led by an error about the whole run (`title`,
/// `message`: `out/` is stale), which is always among those GitHub shows.
pub fn render_github_after(
    title: crate::diag::Code,
    message: &str,
    diagnostics: &Diagnostics,
    sources: &Sources,
) -> String {
    github::render_after(
        Some((title, message)),
        &diagnostics.sorted(sources),
        sources,
    )
}

/// `(errors, warnings)` among `diagnostics`.
fn counts(diagnostics: &[&Diagnostic]) -> (usize, usize) {
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, diagnostics.len() - errors)
}

/// A fingerprint per diagnostic, as lowercase hex SHA-256 of its code,
/// file, message and position (line and column), each length-prefixed:
/// the same finding at the same place has the same fingerprint in every
/// run, which is how GitLab and code scanning tell new findings from fixed
/// ones. Two diagnostics alike in all of these get distinct fingerprints
/// by their order (the second is hashed with its occurrence number).
fn fingerprints(diagnostics: &[&Diagnostic], sources: &Sources) -> Vec<String> {
    let mut seen = BTreeSet::new();
    diagnostics
        .iter()
        .map(|d| {
            let (line, column) = sources.line_col(d.primary.span);
            let (line, column) = (line.to_string(), column.to_string());
            let fields = [
                d.code.as_str(),
                sources.path(d.primary.span.file),
                &d.message,
                &line,
                &column,
            ];
            for occurrence in 0u64.. {
                let mut hasher = Sha256::new();
                for field in fields {
                    hasher.update((field.len() as u64).to_be_bytes());
                    hasher.update(field.as_bytes());
                }
                if occurrence > 0 {
                    hasher.update(occurrence.to_be_bytes());
                }
                let hex: String = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if seen.insert(hex.clone()) {
                    return hex;
                }
            }
            unreachable!("a fingerprint not seen before is found")
        })
        .collect()
}

/// A `/`-separated path as the path of a URI: every byte but the unreserved
/// characters of RFC 3986 (letters, digits, `-`, `.`, `_`, `~`) and `/`
/// percent-encoded, so a space, `#`, `?`, `%` or any non-ASCII character
/// (a bidirectional override among them) is written as `%XX`.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `n` with a comma between thousands: `95,421`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;
    use crate::source::Span;

    #[test]
    fn numbers_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(95_421), "95,421");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn uri_paths_are_percent_encoded() {
        assert_eq!(uri_path("teams/payments.yaml"), "teams/payments.yaml");
        assert_eq!(
            uri_path("teams/web #1/a?b%c.yaml"),
            "teams/web%20%231/a%3Fb%25c.yaml"
        );
        assert_eq!(
            uri_path("teams/\u{202e}x/é.yaml"),
            "teams/%E2%80%AEx/%C3%A9.yaml"
        );
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let mut sources = Sources::default();
        let file = sources.add("teams/a.yaml".to_string(), "a: 1\nb: 2\n");
        let d = |offset, message: &str| {
            Diagnostic::error(Code::InvalidValue, Span::new(file, offset, 1), message)
        };
        let (one, same, other_place, other_message) = (d(0, "x"), d(0, "x"), d(5, "x"), d(0, "y"));
        let prints = fingerprints(&[&one, &same, &other_place, &other_message], &sources);
        assert_eq!(
            prints.iter().collect::<BTreeSet<_>>().len(),
            4,
            "{prints:?}"
        );
        assert!(prints.iter().all(|p| p.len() == 64));
        // The same diagnostics give the same fingerprints, run after run.
        assert_eq!(
            prints,
            fingerprints(&[&one, &same, &other_place, &other_message], &sources)
        );
        assert_eq!(fingerprints(&[&other_place], &sources)[0], prints[2]);
    }
}
