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
use serde_saphyr::budget::BudgetBreach;

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
/// Deepest nesting of aliases inside anchored values.
pub const MAX_ALIAS_NESTING: usize = 8;

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
            max_replay_stack_depth: MAX_ALIAS_NESTING,
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
    let clamp = |span: Span| {
        if span.offset as usize >= text.len() && !text.is_empty() {
            Span::new(file, text.len() - 1, 0)
        } else {
            span
        }
    };
    let located = |location: Option<serde_saphyr::Location>| {
        clamp(
            location
                .filter(|l| l.line() > 0)
                .map_or(Span::file_start(file), |l| span_of(file, text, &l)),
        )
    };
    let span = located(error.without_snippet().location());
    // An error met while replaying an alias is wrapped with the alias's
    // and the anchor's locations; the original error says what went wrong.
    let mut anchor = None;
    let mut error = error.without_snippet();
    while let E::AliasError {
        error: inner,
        locations,
        ..
    } = error
    {
        anchor.get_or_insert(locations.defined_location);
        error = inner.without_snippet();
    }
    let anchor = anchor
        .filter(|l| l.line() > 0)
        .map(|l| clamp(span_of(file, text, &l)));
    match error {
        E::DuplicateMappingKey { key, .. } => duplicate_key(file, text, span, key.as_deref()),
        E::MultipleDocuments { .. }
        | E::Budget {
            breach: BudgetBreach::Documents { .. },
            ..
        } => Diagnostic::error(
            Code::InputLimit,
            span,
            "more than one YAML document in this file",
        )
        .label("second document starts here")
        .help("each file holds exactly one document; move the rest into a file of its own"),
        E::Budget { breach, .. } => {
            let (message, label) = match breach {
                BudgetBreach::Depth { .. } => (
                    format!("nested deeper than {MAX_DEPTH} levels"),
                    format!("level {} starts here", MAX_DEPTH + 1),
                ),
                BudgetBreach::Nodes { .. } => (
                    format!("more than {MAX_NODES} values in this file"),
                    "the limit is passed here".to_string(),
                ),
                BudgetBreach::ScalarBytes { .. } => (
                    format!("values add up to more than {MAX_FILE_BYTES} bytes"),
                    "the limit is passed here".to_string(),
                ),
                BudgetBreach::Aliases { .. }
                | BudgetBreach::Anchors { .. }
                | BudgetBreach::AliasAnchorRatio { .. }
                | BudgetBreach::RecordedAnchorEvents { .. }
                | BudgetBreach::RecordedAnchorBytes { .. } => (
                    "too many anchors and aliases in this file".to_string(),
                    "the limit is passed here".to_string(),
                ),
                _ => (
                    "the file is too large or complex to read safely".to_string(),
                    "the limit is passed here".to_string(),
                ),
            };
            limit(span, message, label)
        }
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_limit(
            span,
            anchor,
            format!("aliases expand to more than {MAX_ALIAS_REPLAY} values"),
        ),
        E::AliasReplayStackDepthExceeded { .. } => alias_limit(
            span,
            anchor,
            format!("aliases nest more than {MAX_ALIAS_NESTING} deep"),
        ),
        E::UnsupportedTag { tag, .. } => {
            let span = tag_span(text, span).unwrap_or(span);
            Diagnostic::error(Code::YamlSyntax, span, format!("unsupported tag `{tag}`"))
                .label("a YAML tag")
                .help("rbacc reads plain YAML: remove the tag")
        }
        E::InvalidUtf8Input => {
            Diagnostic::error(Code::InvalidEncoding, span, "file is not valid UTF-8")
        }
        _ => {
            let d = Diagnostic::error(Code::YamlSyntax, span, strip_position(&error.to_string()))
                .label("here");
            // `@` and `` ` `` are reserved: owners (`@acme/payments`) must be quoted.
            match text.get(span.offset as usize..).and_then(|rest| rest.chars().next()) {
                Some(c @ ('@' | '`')) => d.help(format!(
                    "a plain YAML value cannot start with `{c}`: put it in quotes, as in `\"@acme/payments\"`"
                )),
                _ => d,
            }
        }
    }
}

fn limit(span: Span, message: String, label: String) -> Diagnostic {
    Diagnostic::error(Code::InputLimit, span, message)
        .label(label)
        .help(format!(
            "rbacc reads files up to {MAX_FILE_BYTES} bytes, {MAX_DEPTH} levels deep, with at most {MAX_NODES} nodes and {MAX_ALIAS_REPLAY} values repeated through aliases"
        ))
}

fn alias_limit(span: Span, anchor: Option<Span>, message: String) -> Diagnostic {
    let d = limit(
        span,
        message,
        "expanding this alias passes the limit".to_string(),
    );
    match anchor {
        Some(anchor) if anchor != span => d.with_secondary(anchor, "the value it repeats"),
        _ => d,
    }
}

/// The tag written before the value at `value`: the last token starting
/// with `!` between the start of the value's line and the value, with at
/// most an anchor between them.
fn tag_span(text: &str, value: Span) -> Option<Span> {
    let end = (value.offset as usize).min(text.len());
    let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
    let mut before = &text[line_start..end];
    loop {
        before = before.trim_end_matches([' ', '\t']);
        let start = before.rfind([' ', '\t']).map_or(0, |i| i + 1);
        let token = &before[start..];
        // A tag starts the token, or follows a flow indicator in it
        // (`[a,!foo b]`); it may itself hold `,` (`!<tag:x.org,2000:y>`).
        let tag_at = token
            .char_indices()
            .find(|&(i, c)| c == '!' && (i == 0 || token[..i].ends_with(['[', '{', ','])));
        if let Some((i, _)) = tag_at {
            return Some(Span::new(
                value.file,
                line_start + start + i,
                token.len() - i,
            ));
        }
        if !token.starts_with('&') {
            return None;
        }
        before = &before[..start];
    }
}

/// A duplicate key, with where it was first written when that is cheap to
/// find: an earlier line of the same block mapping.
fn duplicate_key(file: FileId, text: &str, span: Span, key: Option<&str>) -> Diagnostic {
    let message = match key {
        Some(key) => format!("key `{key}` appears twice in this mapping"),
        None => "a key appears twice in this mapping".to_string(),
    };
    let mut d = Diagnostic::error(Code::DuplicateEntry, span, message)
        .label("repeated here")
        .help("each key may appear once in a mapping; remove or merge the repeated one");
    if let Some(first) = key.and_then(|key| first_key_span(file, text, span, key)) {
        d = d.with_secondary(first, "first defined here");
    }
    d
}

/// The earlier occurrence of block-mapping key `key`, whose repetition is at
/// `repeated`: a line above at the same column, before any line that is
/// indented less (which would end the mapping).
fn first_key_span(file: FileId, text: &str, repeated: Span, key: &str) -> Option<Span> {
    let at = repeated.offset as usize;
    let line_start = text.get(..at)?.rfind('\n').map_or(0, |i| i + 1);
    let column = at - line_start;
    // Only a key that starts its line (after indentation or `- `) is in a
    // block mapping.
    if key_column(&text[line_start..]) != Some(column) {
        return None;
    }
    let mut end = line_start;
    while end > 0 {
        let start = text[..end - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[start..end - 1];
        end = start;
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = line[indent..].trim_end_matches('\r');
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let key_at = key_column(line);
        if key_at == Some(column) {
            let written = &line[column..];
            for spelled in [key.to_string(), format!("\"{key}\""), format!("'{key}'")] {
                if let Some(after) = written.strip_prefix(spelled.as_str())
                    && after.trim_start_matches(' ').starts_with(':')
                {
                    return Some(Span::new(file, start + column, spelled.len()));
                }
            }
        }
        if indent < column {
            return None;
        }
    }
    None
}

/// The column of the first key or value on a line: after its indentation
/// and any `- ` sequence markers.
fn key_column(line: &str) -> Option<usize> {
    let mut column = 0;
    let bytes = line.as_bytes();
    loop {
        while bytes.get(column) == Some(&b' ') {
            column += 1;
        }
        if bytes.get(column) == Some(&b'-') && bytes.get(column + 1) == Some(&b' ') {
            column += 1;
            continue;
        }
        return (column < bytes.len()).then_some(column);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    /// The diagnostic for `text`, with the text its primary and secondary
    /// labels cover.
    fn rejected(text: &str) -> (Diagnostic, String, Vec<String>) {
        let mut sources = Sources::default();
        let file = sources.add("x.yaml".to_string(), text);
        let d = parse(file, text).expect_err("rejected");
        let cover = |s: Span| text[s.offset as usize..(s.offset + s.len) as usize].to_string();
        let primary = cover(d.primary.span);
        let secondary = d.secondary.iter().map(|l| cover(l.span)).collect();
        (d, primary, secondary)
    }

    /// `owners: [@acme/payments]` is the mistake everyone makes once.
    #[test]
    fn an_unquoted_at_sign_says_to_quote_it() {
        for text in [
            "owners: [@acme/payments]\n",
            "owners:\n  - @alice\n",
            "a: `x`\n",
        ] {
            let (d, _, _) = rejected(text);
            assert_eq!(d.code, Code::YamlSyntax, "{text}");
            assert!(
                d.help
                    .as_deref()
                    .is_some_and(|h| h.contains("put it in quotes")),
                "{text}: {:?}",
                d.help
            );
        }
        let (d, _, _) = rejected("a: [x\n");
        assert_eq!(d.help, None);
    }

    #[test]
    fn tags_are_labelled_at_the_tag() {
        for (text, tag) in [
            ("a: !foo x\n", "!foo"),
            (
                "a: !!python/object:os.system \"rm -rf /\"\n",
                "!!python/object:os.system",
            ),
            ("a: [x, !foo y]\n", "!foo"),
            ("a: [x,!foo y]\n", "!foo"),
            ("a: {b: !foo y}\n", "!foo"),
            ("a: !foo &anchor x\n", "!foo"),
            ("a: &anchor !foo x\n", "!foo"),
            (
                "- !<tag:example.com,2000:x> y\n",
                "!<tag:example.com,2000:x>",
            ),
        ] {
            let (d, primary, _) = rejected(text);
            assert_eq!(d.code, Code::YamlSyntax, "{text}");
            assert_eq!(primary, tag, "{text}");
            assert_eq!(
                d.help.as_deref(),
                Some("rbacc reads plain YAML: remove the tag")
            );
        }
    }

    #[test]
    fn duplicate_keys_point_at_both_occurrences() {
        let (d, primary, secondary) = rejected("a: 1\nb:\n  a: 2\nc: 3\na: 4\n");
        assert_eq!(d.code, Code::DuplicateEntry);
        assert_eq!(d.message, "key `a` appears twice in this mapping");
        assert_eq!(primary, "a");
        assert_eq!(d.primary.span.offset, 20, "the repetition");
        assert_eq!(secondary, ["a"]);
        assert_eq!(
            d.secondary[0].span.offset, 0,
            "the first, not the nested `a`"
        );

        // In a list item, the first key follows `- `.
        let (_, _, secondary) = rejected("- name: a\n  # note\n  role: x\n  name: b\n");
        assert_eq!(secondary, ["name"]);
        let (_, _, secondary) = rejected("x:\n  \"k\": 1\n  k: 2\n");
        assert_eq!(secondary, ["\"k\""]);
        // Not looked for across the end of the mapping (the `k` of the
        // first item), nor in flow style.
        let (d, _, _) = rejected("- k: 1\n- j: 1\n  k: 2\n  k: 3\n");
        assert_eq!(d.secondary.len(), 1);
        assert_eq!(d.secondary[0].span.offset, 16);
        let (_, _, secondary) = rejected("? k\n: 1\nk: 2\n");
        assert!(secondary.is_empty(), "an explicit key is not matched");
        let (d, _, secondary) = rejected("{k: 1, k: 2}\n");
        assert_eq!(d.message, "key `k` appears twice in this mapping");
        assert!(secondary.is_empty());
    }

    #[test]
    fn limits_are_named_not_debug_printed() {
        let (d, primary, _) = rejected("a: 1\n---\nb: 2\n");
        assert_eq!(d.code, Code::InputLimit);
        assert_eq!(d.message, "more than one YAML document in this file");
        assert_eq!(primary, "---");

        let deep = format!("a: {}x{}\n", "[".repeat(40), "]".repeat(40));
        let (d, _, _) = rejected(&deep);
        assert_eq!(d.code, Code::InputLimit);
        assert_eq!(d.message, "nested deeper than 32 levels");

        let mut laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n".to_string();
        for (name, prev) in ["b", "c", "d", "e", "f"]
            .iter()
            .zip(["a", "b", "c", "d", "e"])
        {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            laughs.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let (d, primary, secondary) = rejected(&laughs);
        assert_eq!(d.code, Code::InputLimit);
        assert_eq!(d.message, "aliases expand to more than 10000 values");
        assert!(primary.starts_with('*'), "at an alias: {primary}");
        assert_eq!(secondary.len(), 1, "and the value it repeats");
    }
}
