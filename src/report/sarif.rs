//! SARIF 2.1.0, the format code scanning reads (GitHub's upload-sarif
//! action, and most other forges and viewers).
//!
//! **Output**: one run of the tool `rbacc`, its rules the codes that occur
//! (each with its summary and a link to its section of
//! `docs/diagnostics.md`), one result per diagnostic in report order.
//! Locations are repository-relative URIs under `%SRCROOT%`, percent-encoded
//! ([`super::uri_path`]); columns count UTF-16 code units (SARIF's default,
//! also declared as `columnKind`); the end column is just past the span.
//! Texts are [`visible`], since forges show them to people; the document
//! is deterministic (no time, no absolute path of the repository).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diag::{Code, Diagnostic, Label, Severity};
use crate::source::Sources;
use crate::text::visible;

/// The JSON Schema the document names, as the OASIS standard publishes it.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base every location's URI is relative to: the repository's root.
pub const SRCROOT: &str = "%SRCROOT%";

/// The key of rbacc's fingerprint among a result's `partialFingerprints`.
const FINGERPRINT: &str = "rbacc/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    short_description: Message,
    help_uri: String,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

/// Where the documentation of `code` is: its heading in
/// `docs/diagnostics.md`, at the tag of this release.
pub fn help_uri(code: Code) -> String {
    format!(
        "{}/blob/v{}/docs/diagnostics.md#{}",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION"),
        code.as_str()
    )
}

fn location(sources: &Sources, label: &Label) -> PhysicalLocation {
    let path = sources.path(label.span.file);
    // A path outside the repository (`check --out /elsewhere`) is absolute.
    let artifact_location = match path.strip_prefix('/') {
        Some(absolute) => ArtifactLocation {
            uri: format!("file:///{}", super::uri_path(absolute)),
            uri_base_id: None,
        },
        None => ArtifactLocation {
            uri: super::uri_path(path),
            uri_base_id: Some(SRCROOT),
        },
    };
    let (start, end) = sources.range(label.span);
    PhysicalLocation {
        artifact_location,
        region: Region {
            start_line: start.line,
            start_column: start.column_utf16,
            end_line: end.line,
            end_column: end.column_utf16,
        },
    }
}

/// The SARIF log of `diagnostics`, in the order given.
pub(super) fn render(diagnostics: &[&Diagnostic], sources: &Sources) -> String {
    let codes: Vec<Code> = {
        let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
        codes.sort_by_key(|c| c.as_str());
        codes.dedup();
        codes
    };
    let rules = codes
        .iter()
        .map(|&code| Rule {
            id: code.as_str(),
            short_description: Message {
                text: code.summary().to_string(),
            },
            help_uri: help_uri(code),
        })
        .collect();
    let fingerprints = super::fingerprints(diagnostics, sources);
    let results = diagnostics
        .iter()
        .zip(&fingerprints)
        .map(|(d, fingerprint)| {
            let mut text = visible(&d.message).into_owned();
            if let Some(help) = &d.help {
                text.push('\n');
                text.push_str(&visible(help));
            }
            SarifResult {
                rule_id: d.code.as_str(),
                rule_index: codes
                    .binary_search_by_key(&d.code.as_str(), |c| c.as_str())
                    .expect("every code is a rule"),
                level: match d.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                message: Message { text },
                locations: [Location {
                    id: None,
                    physical_location: location(sources, &d.primary),
                    message: None,
                }],
                related_locations: d
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, label)| Location {
                        id: Some(i),
                        physical_location: location(sources, label),
                        message: (!label.text.is_empty()).then(|| Message {
                            text: visible(&label.text).into_owned(),
                        }),
                    })
                    .collect(),
                partial_fingerprints: BTreeMap::from([(FINGERPRINT, fingerprint.as_str())]),
            }
        })
        .collect();
    crate::text::json(&Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "rbacc",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            column_kind: "utf16CodeUnits",
            results,
        }],
    })
}
