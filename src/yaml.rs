//! Reading YAML into a tree of spanned nodes.
//!
//! Files are parsed with serde-saphyr under fixed limits (size, depth, node
//! count, alias expansion, one document, no custom tags), then turned into a
//! [`Node`] tree in which every value, key and collection keeps the span it
//! was read from. The typed readers in `model::raw` walk that tree and report
//! every problem they find instead of stopping at the first.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Sp, Span};

/// Largest file rbacc reads, in bytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;
/// Deepest nesting of collections.
pub const MAX_DEPTH: usize = 32;
/// Most nodes in one file.
pub const MAX_NODES: usize = 200_000;
/// Longest single scalar, in bytes.
pub const MAX_SCALAR_BYTES: usize = 16 * 1024;
/// Most events that aliases may replay in one file (billion-laughs guard).
pub const MAX_ALIAS_REPLAY: usize = 10_000;

/// A YAML value and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Sp<String>, Node)>),
}

impl Kind {
    /// The YAML type name, as diagnostics show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document. A file that is not valid YAML, or breaks a
/// limit, gives one diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    if text.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            Code::InputLimit,
            Span::file_start(file),
            format!(
                "file is {} bytes, more than the limit of {} bytes",
                text.len(),
                MAX_FILE_BYTES
            ),
        )
        .help("split the declarations over several files"));
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        reject_unsupported_tags: true,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
            max_documents: 1,
            max_total_scalar_bytes: MAX_FILE_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAY,
            max_replay_stack_depth: 8,
        },
    };
    let raw: Spanned<RawNode> = serde_saphyr::from_str_with_options(text, options)
        .map_err(|e| syntax_diagnostic(file, text, &e))?;
    let mut problem = None;
    let node = convert(file, text, raw, &mut problem);
    match problem {
        Some(d) => Err(d),
        None => Ok(node),
    }
}

fn convert(
    file: FileId,
    text: &str,
    raw: Spanned<RawNode>,
    problem: &mut Option<Diagnostic>,
) -> Node {
    let span = span_of(file, text, &raw.referenced);
    let kind = match raw.value {
        RawNode::Null => Kind::Null,
        RawNode::Bool(b) => Kind::Bool(b),
        RawNode::Int(i) => Kind::Int(i),
        RawNode::Float(f) => Kind::Float(f),
        RawNode::Str(s) => {
            if s.len() > MAX_SCALAR_BYTES && problem.is_none() {
                *problem = Some(long_scalar(span, s.len()));
            }
            Kind::Str(s)
        }
        RawNode::Seq(items) => Kind::Seq(
            items
                .into_iter()
                .map(|n| convert(file, text, n, problem))
                .collect(),
        ),
        RawNode::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key_span = span_of(file, text, &k.referenced);
                    if k.value.len() > MAX_SCALAR_BYTES && problem.is_none() {
                        *problem = Some(long_scalar(key_span, k.value.len()));
                    }
                    (Sp::new(k.value, key_span), convert(file, text, v, problem))
                })
                .collect(),
        ),
    };
    Node { kind, span }
}

fn long_scalar(span: Span, len: usize) -> Diagnostic {
    Diagnostic::error(
        Code::InputLimit,
        span,
        format!("value is {len} bytes long, more than the limit of {MAX_SCALAR_BYTES}"),
    )
    .label("too long")
}

/// The span of a serde-saphyr location: byte offsets where known, else
/// computed from line and column.
fn span_of(file: FileId, text: &str, location: &serde_saphyr::Location) -> Span {
    let span = location.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(offset), Some(len)) if (offset as usize) <= text.len() => {
            Span::new(file, offset as usize, len as usize)
        }
        _ => Span::new(
            file,
            offset_of(text, location.line() as usize, location.column() as usize),
            0,
        ),
    }
}

/// Byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line - 2)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let rest = &text[line_start..];
    line_start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

fn syntax_diagnostic(file: FileId, text: &str, error: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::Error as E;
    let error = error.without_snippet();
    let span = error
        .location()
        .map_or(Span::file_start(file), |l| span_of(file, text, &l));
    let span = if span.offset as usize >= text.len() && !text.is_empty() {
        Span::new(file, text.len() - 1, 0)
    } else {
        span
    };
    match error {
        E::DuplicateMappingKey { .. } => Diagnostic::error(
            Code::DuplicateEntry,
            span,
            strip_position(&error.to_string())
                .split(", set DuplicateKeyPolicy")
                .next()
                .unwrap_or("duplicate key")
                .to_string(),
        )
        .label("duplicate key")
        .help("each key may appear once in a mapping; remove or merge the repeated one"),
        E::MultipleDocuments { .. } => Diagnostic::error(
            Code::InputLimit,
            span,
            "more than one YAML document in this file",
        )
        .label("second document starts here")
        .help("each file holds exactly one document; move the rest into a file of its own"),
        E::Budget { .. }
        | E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayStackDepthExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => Diagnostic::error(
            Code::InputLimit,
            span,
            format!("input exceeds a limit: {}", strip_position(&error.to_string())),
        )
        .label("here")
        .help(format!(
            "rbacc reads files up to {MAX_FILE_BYTES} bytes, {MAX_DEPTH} levels deep, with at most {MAX_NODES} nodes and {MAX_ALIAS_REPLAY} values repeated through aliases"
        )),
        E::InvalidUtf8Input => Diagnostic::error(
            Code::InvalidEncoding,
            span,
            "file is not valid UTF-8",
        ),
        _ => Diagnostic::error(Code::YamlSyntax, span, strip_position(&error.to_string()))
            .label("here"),
    }
}

/// serde-saphyr prefixes messages with "line N column M: "; rbacc shows the
/// position itself.
fn strip_position(message: &str) -> String {
    let message = message.trim();
    let message = message.strip_prefix("error: ").unwrap_or(message);
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
        && rest
            .split_once(": ")
            .is_some_and(|(pos, _)| pos.contains("column"))
    {
        return drop_trailing_position(after);
    }
    drop_trailing_position(message)
}

fn drop_trailing_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) if message[i..].contains("column") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

/// The tree as serde-saphyr hands it over, before spans are made file-relative.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<String>, Spanned<RawNode>)>),
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor)
    }
}

struct RawNodeVisitor;

impl<'de> Visitor<'de> for RawNodeVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNode, E> {
        i64::try_from(v)
            .map(RawNode::Int)
            .map_err(|_| E::custom("integer is too large"))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<RawNode, E> {
        Err(E::custom("integer is too large"))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<RawNode, E> {
        Err(E::custom("integer is too large"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<RawNode, E> {
        Err(E::custom("binary values are not supported"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}
