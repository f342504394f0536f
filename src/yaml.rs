//! Reading YAML: one parser, under limits, for every YAML text rbacc reads.
//!
//! serde-saphyr parses under a [`Profile`] of limits (file size, depth,
//! values per document, value length, alias expansion, documents per file)
//! that also says which booleans the file knows. Every
//! explicit tag (`!!binary`, `!!str`, `!custom`) and every merge key (`<<`)
//! is refused: a tag can make a value mean something other than what a
//! reviewer reads (`!!binary` turns base64 into a user name), and a merge
//! key pulls keys in from elsewhere, where an explicit key silently wins.
//!
//! - Declarations ([`parse`], under [`DECLARATIONS`]) become a [`Node`] tree
//!   in which every value, key and collection keeps the span it was read
//!   from. The typed readers in `model::raw` walk that tree and report every
//!   problem they find instead of stopping at the first.
//! - Manifests and rbacc's own output ([`each_document`], under
//!   [`MANIFESTS`]) are read one document at a time into
//!   `serde_json::Value`s, so a stream of any number of documents takes the
//!   memory of its largest one.

use std::convert::Infallible;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Location, MergeKeyPolicy, Spanned, Tagged};

use crate::diag::{Code, Diagnostic};
use crate::source::{FileId, Sources, Sp, Span};

/// How one kind of YAML file is read: its limits, and which booleans it
/// knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// Largest file, in bytes.
    pub file_bytes: usize,
    /// Deepest nesting of collections.
    pub depth: usize,
    /// Most values (scalars, keys, lists and mappings) in one document.
    pub nodes: usize,
    /// Longest single scalar, in bytes.
    pub scalar_bytes: usize,
    /// Most events aliases may replay in one document (billion laughs).
    pub alias_replay: usize,
    /// Deepest nesting of aliases inside anchored values.
    pub alias_nesting: usize,
    /// Whether a file holds exactly one document (declarations); otherwise
    /// any number, each under the other limits.
    pub one_document: bool,
    /// Whether `yes`, `no`, `on`, `off`, `y` and `n` are booleans, as
    /// kubectl's YAML 1.1 reader takes them (manifests), rather than
    /// strings (declarations, YAML 1.2: only `true` and `false`).
    pub yaml_1_1_booleans: bool,
}

/// Team files and `rbacc.yaml`: written by people, reviewed in pull
/// requests, untrusted.
pub const DECLARATIONS: Profile = Profile {
    file_bytes: 1024 * 1024,
    depth: 32,
    nodes: 200_000,
    scalar_bytes: 16 * 1024,
    alias_replay: 10_000,
    alias_nesting: 8,
    one_document: true,
    yaml_1_1_booleans: false,
};

/// Manifests (`--manifests DIR`) and rbacc's own output: a cluster dump
/// (`kubectl get … -o yaml`, one `kind: List`) or a kustomize render of a
/// large organisation (`kubectl kustomize out/prod`, thousands of
/// documents). 64 MiB holds the render of about 8,000 teams; one document
/// of 1,000,000 values is a `kind: List` of about 25,000 RoleBindings as
/// `kubectl get` prints them; a value is at most 2 MiB, more than the API
/// server stores in a whole object. Documents are not limited in number,
/// only counted, for messages.
pub const MANIFESTS: Profile = Profile {
    file_bytes: 64 * 1024 * 1024,
    depth: 64,
    nodes: 1_000_000,
    scalar_bytes: 2 * 1024 * 1024,
    alias_replay: 100_000,
    alias_nesting: 8,
    one_document: false,
    yaml_1_1_booleans: true,
};

/// A whole cluster dumped (`rbacc audit --live`, `rbacc import --cluster`):
/// what `kubectl get … --all-namespaces` prints, one `kind: List` of every
/// object, from the platform's own kubectl. A cluster of 10,000 teams
/// dumps to about 160 MiB of JSON (90 MiB of YAML) and 7,000,000 values;
/// 1 GiB and 64,000,000 values in one document hold six times that, and
/// bound what a dump can make rbacc allocate to a few GiB. Each value and
/// alias is bounded as in [`MANIFESTS`].
pub const DUMPS: Profile = Profile {
    file_bytes: 1024 * 1024 * 1024,
    nodes: 64_000_000,
    ..MANIFESTS
};

/// Largest declaration file rbacc reads, in bytes.
pub const MAX_FILE_BYTES: usize = DECLARATIONS.file_bytes;
/// Deepest nesting of collections in a declaration file.
pub const MAX_DEPTH: usize = DECLARATIONS.depth;
/// Most nodes in one declaration file.
pub const MAX_NODES: usize = DECLARATIONS.nodes;
/// Longest single scalar in a declaration file, in bytes.
pub const MAX_SCALAR_BYTES: usize = DECLARATIONS.scalar_bytes;
/// Most events that aliases may replay in one declaration file.
pub const MAX_ALIAS_REPLAY: usize = DECLARATIONS.alias_replay;
/// Deepest nesting of aliases inside anchored values.
pub const MAX_ALIAS_NESTING: usize = DECLARATIONS.alias_nesting;

impl Profile {
    /// How to bring a file within the limits, for help texts.
    pub fn split(&self) -> &'static str {
        if self.one_document {
            "split the declarations over several files"
        } else if *self == DUMPS {
            "dump the cluster into several files of a directory: each \
             namespace (`kubectl get … -n <namespace> -o json`) or kind on its own"
        } else {
            "split it into several files: render each shard on its own \
             (`kubectl kustomize out/<cluster>/teams/<team>`), or dump each \
             namespace (`kubectl get … -n <namespace> -o yaml`) or kind on its own"
        }
    }

    /// What a file of this profile is called, in messages.
    pub fn file(&self) -> &'static str {
        if self.one_document {
            "declaration file"
        } else if *self == DUMPS {
            "cluster dump"
        } else {
            "manifest file"
        }
    }

    /// What the limits are, for help texts.
    fn help(&self) -> String {
        if self.one_document {
            format!(
                "rbacc reads files up to {} bytes, {} levels deep, with at most {} nodes and {} values repeated through aliases",
                self.file_bytes, self.depth, self.nodes, self.alias_replay
            )
        } else {
            format!(
                "rbacc reads {}s up to {} MiB, {} levels deep, with at most {} values in one document and {} values repeated through aliases; {}",
                self.file(),
                self.file_bytes / (1024 * 1024),
                self.depth,
                self.nodes,
                self.alias_replay,
                self.split()
            )
        }
    }

    fn options(&self) -> serde_saphyr::Options {
        serde_saphyr::options! {
            strict_booleans: !self.yaml_1_1_booleans,
            reject_unsupported_tags: true,
            with_snippet: false,
            merge_keys: MergeKeyPolicy::Error,
            budget: serde_saphyr::budget! {
                max_depth: self.depth,
                max_nodes: self.nodes,
                // Every event counts: a collection's start and end, a
                // scalar, a document's start and end.
                max_events: self.nodes.saturating_mul(3),
                max_documents: if self.one_document { 1 } else { usize::MAX },
                max_total_scalar_bytes: self.file_bytes,
                max_reader_input_bytes: Some(self.file_bytes),
            },
            alias_limits: serde_saphyr::alias_limits! {
                max_total_replayed_events: self.alias_replay,
                max_replay_stack_depth: self.alias_nesting,
            },
        }
    }
}

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

/// Parses one declaration document under [`DECLARATIONS`]. A file that is
/// not valid YAML, breaks a limit or holds a tag or merge key gives one
/// diagnostic.
pub fn parse(file: FileId, text: &str) -> Result<Node, Diagnostic> {
    let profile = &DECLARATIONS;
    if text.len() > profile.file_bytes {
        return Err(too_large(file, text, profile));
    }
    fn tree<P: Part>(file: FileId, text: &str, profile: &Profile) -> Result<Node, Diagnostic> {
        let raw: P = serde_saphyr::from_str_with_options(text, profile.options())
            .map_err(|e| syntax_diagnostic(file, text, &e, profile))?;
        let mut problem = None;
        let node = convert(file, text, profile, raw, &mut problem);
        match problem {
            Some(d) => Err(d),
            None => Ok(node),
        }
    }
    with_stack(text, profile, |tagged| match tagged {
        false => tree::<Located>(file, text, profile),
        true => tree::<Checked>(file, text, profile),
    })
}

/// One document of a stream, as [`each_document`] hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its place among the stream's documents that are not empty, from 0.
    pub index: usize,
    pub value: Value,
}

/// Why a stream of documents could not be read: where, what, and how to
/// fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// From 1.
    pub line: usize,
    /// From 1, in characters.
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )?;
        match &self.help {
            Some(help) => write!(f, " ({help})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for YamlError {}

/// Why [`each_document`] stopped.
#[derive(Debug)]
pub enum Stopped<E> {
    /// The text is not YAML rbacc reads.
    Yaml(YamlError),
    /// The callback returned an error.
    By(E),
}

/// Reads a stream of YAML documents (separated by `---`) under `profile`,
/// one at a time: each document that is not empty is handed to `each`
/// before the next is parsed. Returns how many there were.
pub fn each_document<E: Send>(
    text: &str,
    profile: &Profile,
    each: impl FnMut(Document) -> Result<(), E> + Send,
) -> Result<usize, Stopped<E>> {
    if text.len() > profile.file_bytes {
        return Err(Stopped::Yaml(located(text, &|file| {
            too_large(file, text, profile)
        })));
    }
    fn stream<P: Part, E>(
        text: &str,
        profile: &Profile,
        mut each: impl FnMut(Document) -> Result<(), E>,
    ) -> Result<usize, Stopped<E>> {
        let failed =
            |diagnostic: &dyn Fn(FileId) -> Diagnostic| Stopped::Yaml(located(text, diagnostic));
        let mut reader = text.as_bytes();
        let mut index = 0;
        for raw in serde_saphyr::read_with_options::<_, P>(&mut reader, profile.options()) {
            let raw =
                raw.map_err(|e| failed(&|file| syntax_diagnostic(file, text, &e, profile)))?;
            let value = to_value(raw, profile)
                .map_err(|refusal| failed(&|file| refusal.diagnostic(file, text, profile)))?;
            each(Document { index, value }).map_err(Stopped::By)?;
            index += 1;
        }
        Ok(index)
    }
    with_stack(text, profile, |tagged| match tagged {
        false => stream::<Bare, E>(text, profile, each),
        true => stream::<Checked, E>(text, profile, each),
    })
}

/// Every document of a stream, for texts known to be small (rbacc's own
/// output files, one declaration file).
pub fn documents(text: &str, profile: &Profile) -> Result<Vec<Document>, YamlError> {
    let mut all = Vec::new();
    each_document(text, profile, |doc| {
        all.push(doc);
        Ok::<(), Infallible>(())
    })
    .map_err(|stopped| match stopped {
        Stopped::Yaml(e) => e,
        Stopped::By(never) => match never {},
    })?;
    Ok(all)
}

/// A `kind: List` written as kubectl writes it in YAML, cut where its
/// items begin, so that the pieces parse on their own (and in parallel):
/// the list without its `items`, and runs of whole items.
#[derive(Debug, PartialEq, Eq)]
pub struct ListPieces<'a> {
    /// The document with the `items:` line and its items left out.
    pub envelope: String,
    /// Runs of consecutive items, in order, each a block sequence of at
    /// least one item and about `piece_bytes` long.
    pub items: Vec<&'a str>,
}

/// Cuts `text` into [`ListPieces`] when it is one document whose top-level
/// mapping holds `items:` as a block sequence at the left margin (`- ` at
/// column 0), as `kubectl get -o yaml` writes every list. No item can hold
/// a line at column 0 (a nested value is indented), so every such line
/// starting with `-` begins an item. `None` for anything else: several
/// documents, directives, or no such `items:`; the caller then parses the
/// text whole. A piece that does not parse on its own (an alias to an
/// anchor in another item) is the caller's to notice: the whole text then
/// parses as one, with its diagnostics.
pub fn list_pieces(text: &str, piece_bytes: usize) -> Option<ListPieces<'_>> {
    if text.starts_with("---") || text.starts_with('%') || text.contains("\n---") {
        return None;
    }
    if text.contains("\n...") || text.starts_with("...") {
        return None;
    }
    // Byte offsets of the line after `items:`, and where the items end.
    let mut offset = 0;
    let mut start = None;
    let mut items_at = 0;
    let mut end = text.len();
    let mut cuts = Vec::new();
    let mut piece_start = 0;
    for line in text.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let bare = line.trim_end_matches(['\n', '\r']);
        match start {
            None => {
                if bare.trim_end() == "items:" {
                    items_at = at;
                    start = Some(offset);
                    piece_start = offset;
                }
            }
            Some(first) => {
                if bare.starts_with('-') {
                    if at == first {
                        continue;
                    }
                    if at - piece_start >= piece_bytes {
                        cuts.push(at);
                        piece_start = at;
                    }
                } else if at == first {
                    // `items:` not followed by a sequence at the margin.
                    return None;
                } else if !(bare.is_empty() || bare.starts_with([' ', '#'])) {
                    end = at;
                    break;
                }
            }
        }
    }
    let first = start?;
    if first >= end {
        return None;
    }
    let envelope = format!("{}{}", &text[..items_at], &text[end..]);
    let mut items = Vec::with_capacity(cuts.len() + 1);
    let mut from = first;
    for cut in cuts.into_iter().chain([end]) {
        items.push(&text[from..cut]);
        from = cut;
    }
    Some(ListPieces { envelope, items })
}

/// Runs `parse`, telling it whether `text` may hold a tag (a `!`, which
/// every tag starts with). Without one, the parse runs here, keeping no
/// tags. With one, it keeps every value's tag, on a thread of its own whose
/// stack fits `profile.depth` levels: serde's recursion takes tens of KiB a
/// level in a debug build, and each kept wrapper adds to it, more than a
/// default 2 MiB stack holds at 64 levels.
fn with_stack<R: Send>(text: &str, profile: &Profile, parse: impl FnOnce(bool) -> R + Send) -> R {
    if !text.contains('!') {
        return parse(false);
    }
    let stack = (profile.depth + 16) * 128 * 1024;
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("rbacc-yaml".to_string())
            .stack_size(stack)
            .spawn_scoped(scope, || parse(true))
            .expect("the system gives rbacc a thread to parse YAML on");
        thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A diagnostic about `text` as a [`YamlError`], located by line and
/// column. Only on the way out of a failed read: it copies the text.
fn located(text: &str, diagnostic: &dyn Fn(FileId) -> Diagnostic) -> YamlError {
    let mut sources = Sources::default();
    let file = sources.add(String::new(), text);
    let d = diagnostic(file);
    let (line, column) = sources.line_col(d.primary.span);
    YamlError {
        line,
        column,
        message: d.message,
        help: d.help,
    }
}

fn too_large(file: FileId, text: &str, profile: &Profile) -> Diagnostic {
    Diagnostic::error(
        Code::InputLimit,
        Span::file_start(file),
        format!(
            "file is {} bytes, more than the limit of {} bytes",
            text.len(),
            profile.file_bytes
        ),
    )
    .help(profile.split())
}

/// Something in a parsed tree that rbacc does not read.
enum Refusal {
    /// An explicit tag, as resolved (`tag:yaml.org,2002:binary`).
    Tag { at: Option<Location>, tag: String },
    /// A scalar longer than the limit.
    Long { at: Option<Location>, len: usize },
}

impl Refusal {
    fn diagnostic(&self, file: FileId, text: &str, profile: &Profile) -> Diagnostic {
        let span = |at: &Option<Location>| {
            at.as_ref()
                .map_or(Span::file_start(file), |at| span_of(file, text, at))
        };
        match self {
            Refusal::Tag { at, tag } => tag_diagnostic(text, span(at), tag),
            Refusal::Long { at, len } => long_scalar(span(at), *len, profile),
        }
    }
}

fn check_len(s: &str, at: Option<Location>, profile: &Profile) -> Result<(), Refusal> {
    if s.len() > profile.scalar_bytes {
        return Err(Refusal::Long { at, len: s.len() });
    }
    Ok(())
}

/// A declaration's tree as [`Node`]s; the first refusal in document order
/// goes to `problem`.
fn convert<P: Part>(
    file: FileId,
    text: &str,
    profile: &Profile,
    raw: P,
    problem: &mut Option<Diagnostic>,
) -> Node {
    let refuse = |refusal: Refusal, problem: &mut Option<Diagnostic>| {
        if problem.is_none() {
            *problem = Some(refusal.diagnostic(file, text, profile));
        }
    };
    let span_at = |at: &Option<Location>| {
        at.as_ref()
            .map_or(Span::file_start(file), |at| span_of(file, text, at))
    };
    let (value, at, tag) = raw.split();
    let span = span_at(&at);
    if let Some(tag) = tag {
        refuse(Refusal::Tag { at, tag }, problem);
        return Node {
            kind: Kind::Null,
            span,
        };
    }
    let kind = match value {
        RawNode::Null => Kind::Null,
        RawNode::Bool(b) => Kind::Bool(b),
        RawNode::Int(i) => Kind::Int(i),
        RawNode::Float(f) => Kind::Float(f),
        RawNode::Str(s) => {
            if let Err(refusal) = check_len(&s, at, profile) {
                refuse(refusal, problem);
            }
            Kind::Str(s)
        }
        RawNode::Seq(items) => Kind::Seq(
            items
                .into_iter()
                .map(|n| convert(file, text, profile, n, problem))
                .collect(),
        ),
        RawNode::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let (key, at, tag) = P::split_key(k);
                    let key_span = span_at(&at);
                    let refusal = match tag {
                        Some(tag) => Some(Refusal::Tag { at, tag }),
                        None => check_len(&key, at, profile).err(),
                    };
                    if let Some(refusal) = refusal {
                        refuse(refusal, problem);
                    }
                    let value = convert(file, text, profile, v, problem);
                    (Sp::new(key, key_span), value)
                })
                .collect(),
        ),
    };
    Node { kind, span }
}

/// A manifest's tree as a JSON value, or the first refusal in it.
fn to_value<P: Part>(raw: P, profile: &Profile) -> Result<Value, Refusal> {
    let (value, at, tag) = raw.split();
    if let Some(tag) = tag {
        return Err(Refusal::Tag { at, tag });
    }
    Ok(match value {
        RawNode::Null => Value::Null,
        RawNode::Bool(b) => Value::Bool(b),
        RawNode::Int(i) => Value::from(i),
        RawNode::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        RawNode::Str(s) => {
            check_len(&s, at, profile)?;
            Value::String(s)
        }
        RawNode::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(|item| to_value(item, profile))
                .collect::<Result<_, _>>()?,
        ),
        RawNode::Map(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let (key, at, tag) = P::split_key(k);
                if let Some(tag) = tag {
                    return Err(Refusal::Tag { at, tag });
                }
                check_len(&key, at, profile)?;
                map.insert(key, to_value(v, profile)?);
            }
            Value::Object(map)
        }
    })
}

fn long_scalar(span: Span, len: usize, profile: &Profile) -> Diagnostic {
    Diagnostic::error(
        Code::InputLimit,
        span,
        format!(
            "value is {len} bytes long, more than the limit of {}",
            profile.scalar_bytes
        ),
    )
    .label("too long")
}

fn tag_diagnostic(text: &str, value: Span, resolved: &str) -> Diagnostic {
    let (span, tag) = match tag_span(text, value) {
        Some(span) => {
            let written = &text[span.offset as usize..(span.offset + span.len) as usize];
            (span, written.to_string())
        }
        None => (value, resolved.to_string()),
    };
    Diagnostic::error(Code::YamlSyntax, span, format!("unsupported tag `{tag}`"))
        .label("a YAML tag")
        .help("rbacc reads plain YAML: remove the tag")
}

/// The span of a serde-saphyr location: byte offsets where known, else
/// computed from line and column.
fn span_of(file: FileId, text: &str, location: &Location) -> Span {
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

fn syntax_diagnostic(
    file: FileId,
    text: &str,
    error: &serde_saphyr::Error,
    profile: &Profile,
) -> Diagnostic {
    use serde_saphyr::Error as E;
    let clamp = |span: Span| {
        if span.offset as usize >= text.len() && !text.is_empty() {
            Span::new(file, text.len() - 1, 0)
        } else {
            span
        }
    };
    let located = |location: Option<Location>| {
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
    let limit = |message: String, label: &str| {
        Diagnostic::error(Code::InputLimit, span, message)
            .label(label)
            .help(profile.help())
    };
    let alias_limit = |message: String| {
        let d = limit(message, "expanding this alias passes the limit");
        match anchor {
            Some(anchor) if anchor != span => d.with_secondary(anchor, "the value it repeats"),
            _ => d,
        }
    };
    let in_one = if profile.one_document {
        "in this file"
    } else {
        "in one document"
    };
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
        E::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => limit(
                format!("nested deeper than {} levels", profile.depth),
                &format!("level {} starts here", profile.depth + 1),
            ),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => limit(
                format!("more than {} values {in_one}", profile.nodes),
                "the limit is passed here",
            ),
            BudgetBreach::ScalarBytes { .. } => limit(
                format!("values add up to more than {} bytes", profile.file_bytes),
                "the limit is passed here",
            ),
            BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => limit(
                format!("too many anchors and aliases {in_one}"),
                "the limit is passed here",
            ),
            _ => limit(
                "the file is too large or complex to read safely".to_string(),
                "the limit is passed here",
            ),
        },
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => alias_limit(format!(
            "aliases expand to more than {} values",
            profile.alias_replay
        )),
        E::AliasReplayStackDepthExceeded { .. } => alias_limit(format!(
            "aliases nest more than {} deep",
            profile.alias_nesting
        )),
        E::UnsupportedTag { tag, .. } => tag_diagnostic(text, span, tag),
        E::MergeKeyNotAllowed { .. } | E::MergeValueNotMapOrSeqOfMaps { .. } => Diagnostic::error(
            Code::YamlSyntax,
            span,
            "merge keys (`<<`) are not supported",
        )
        .label("a merge key")
        .help(
            "write the keys out in this mapping: a merge hides the keys it brings in, \
             and one written beside it silently wins; an alias (`*name`) may still \
             repeat a whole value",
        ),
        E::InvalidUtf8Input => {
            Diagnostic::error(Code::InvalidEncoding, span, "file is not valid UTF-8")
        }
        _ if tab_in_indentation(text, span).is_some() => {
            let at = tab_in_indentation(text, span).unwrap_or(span);
            Diagnostic::error(Code::YamlSyntax, at, "a tab indents this line")
                .label("a tab")
                .help("YAML indents with spaces only: replace the tab with spaces (most editors do it with \"indent using spaces\")")
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

/// The first tab in the indentation of the line `span` is on, if any: the
/// parser's error points past it.
fn tab_in_indentation(text: &str, span: Span) -> Option<Span> {
    let offset = (span.offset as usize).min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let tab = line[..indent].find('\t')?;
    Some(Span::new(span.file, start + tab, 1))
}

/// The tag written before the value at `value`: the last token before the
/// value (on its line, or ending an earlier one, as for a tagged block
/// collection), with at most an anchor between them.
fn tag_span(text: &str, value: Span) -> Option<Span> {
    let end = (value.offset as usize).min(text.len());
    let mut before = &text[..end];
    loop {
        before = before.trim_end_matches([' ', '\t', '\r', '\n']);
        let start = before.rfind([' ', '\t', '\n']).map_or(0, |i| i + 1);
        let token = &before[start..];
        // A tag starts the token, or follows a flow indicator in it
        // (`[a,!foo b]`); it may itself hold `,` (`!<tag:x.org,2000:y>`).
        let tag_at = token
            .char_indices()
            .find(|&(i, c)| c == '!' && (i == 0 || token[..i].ends_with(['[', '{', ','])));
        if let Some((i, _)) = tag_at {
            return Some(Span::new(value.file, start + i, token.len() - i));
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

/// A value as serde-saphyr hands it over, before spans are made
/// file-relative and tags refused; its children are `P`s.
enum RawNode<P: Part> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<P>),
    Map(Vec<(P::Key, P)>),
}

/// What the parser keeps of each value besides the value: its location,
/// its tag, both or neither. The fewer it keeps, the less stack a level
/// of nesting takes.
trait Part: Sized + for<'de> Deserialize<'de> {
    type Key: for<'de> Deserialize<'de>;
    /// The value, where it was written, and its tag.
    fn split(self) -> (RawNode<Self>, Option<Location>, Option<String>);
    /// The key, where it was written, and its tag.
    fn split_key(key: Self::Key) -> (String, Option<Location>, Option<String>);
}

/// With its location: declarations that hold no `!`, so no tag.
struct Located(Spanned<RawNode<Located>>);

/// With its location and tag: any text that holds a `!`.
struct Checked(Spanned<Tagged<RawNode<Checked>>>);

/// As it is: manifests that hold no `!`.
struct Bare(RawNode<Bare>);

impl Part for Located {
    type Key = Spanned<String>;

    fn split(self) -> (RawNode<Self>, Option<Location>, Option<String>) {
        (self.0.value, Some(self.0.referenced), None)
    }

    fn split_key(key: Self::Key) -> (String, Option<Location>, Option<String>) {
        (key.value, Some(key.referenced), None)
    }
}

impl Part for Checked {
    type Key = Spanned<Tagged<String>>;

    fn split(self) -> (RawNode<Self>, Option<Location>, Option<String>) {
        let Tagged(value, tag) = self.0.value;
        (value, Some(self.0.referenced), tag)
    }

    fn split_key(key: Self::Key) -> (String, Option<Location>, Option<String>) {
        let Tagged(value, tag) = key.value;
        (value, Some(key.referenced), tag)
    }
}

impl Part for Bare {
    type Key = String;

    fn split(self) -> (RawNode<Self>, Option<Location>, Option<String>) {
        (self.0, None, None)
    }

    fn split_key(key: Self::Key) -> (String, Option<Location>, Option<String>) {
        (key, None, None)
    }
}

impl<'de> Deserialize<'de> for Located {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::deserialize(deserializer).map(Located)
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Spanned::deserialize(deserializer).map(Checked)
    }
}

impl<'de> Deserialize<'de> for Bare {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawNode::deserialize(deserializer).map(Bare)
    }
}

impl<'de, P: Part> Deserialize<'de> for RawNode<P> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawNodeVisitor(std::marker::PhantomData))
    }
}

struct RawNodeVisitor<P>(std::marker::PhantomData<P>);

impl<'de, P: Part> Visitor<'de> for RawNodeVisitor<P> {
    type Value = RawNode<P>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(RawNode::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(RawNode::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        RawNode::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(RawNode::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(RawNode::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(RawNode::Int)
            .map_err(|_| E::custom("integer is too large"))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<Self::Value, E> {
        Err(E::custom("integer is too large"))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<Self::Value, E> {
        Err(E::custom("integer is too large"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(RawNode::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(RawNode::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(RawNode::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(E::custom("binary values are not supported"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
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

    /// Core-schema tags change what a value means (`!!binary` decodes
    /// base64, `!!str` and `!!int` retype it): every explicit tag is
    /// refused, wherever it is written.
    #[test]
    fn every_explicit_tag_is_refused_at_the_tag() {
        for (text, tag) in [
            ("a: !!binary YWxpY2U=\n", "!!binary"),
            ("a: !!str 3\n", "!!str"),
            ("a: !!int \"3\"\n", "!!int"),
            ("a: !!bool true\n", "!!bool"),
            ("a: !!null ~\n", "!!null"),
            ("a: !!float 1\n", "!!float"),
            ("a: ! x\n", "!"),
            ("a: !binary YWxpY2U=\n", "!binary"),
            ("users: [alice, !!binary Ym9i]\n", "!!binary"),
            ("a: {b: !!binary Ym9i}\n", "!!binary"),
            ("a: {b: !!str c}\n", "!!str"),
            ("!!str a: b\n", "!!str"),
            ("{!!binary YQ==: b}\n", "!!binary"),
            ("a: !!map\n  b: c\n", "!!map"),
            ("a: !!seq\n  - b\n", "!!seq"),
            ("a: &x !!binary Ym9i\n", "!!binary"),
            ("a: !!binary &x Ym9i\n", "!!binary"),
            (
                "- !<tag:yaml.org,2002:binary> Ym9i\n",
                "!<tag:yaml.org,2002:binary>",
            ),
            ("%TAG !e! tag:example.com,2000:\n---\na: !e!x b\n", "!e!x"),
        ] {
            let (d, primary, _) = rejected(text);
            assert_eq!(d.code, Code::YamlSyntax, "{text}");
            assert_eq!(d.message, format!("unsupported tag `{tag}`"), "{text}");
            assert_eq!(primary, tag, "{text}");
        }
    }

    /// `<<` pulls keys in from an anchor elsewhere, and a key written
    /// beside it wins silently: refused, at the merge key.
    #[test]
    fn merge_keys_are_refused() {
        for text in [
            "base: &b {role: admin}\nx:\n  <<: *b\n  role: viewer\n",
            "x: {<<: {role: admin}}\n",
            "base: &b {a: 1}\nx:\n  <<: [*b]\n",
            "x:\n  !!merge <<: {a: 1}\n",
        ] {
            let (d, primary, _) = rejected(text);
            assert_eq!(d.code, Code::YamlSyntax, "{text}");
            assert_eq!(d.message, "merge keys (`<<`) are not supported", "{text}");
            assert!(
                primary.is_empty() || primary.contains("<<"),
                "{text}: {primary}"
            );
        }
        // A quoted `<<` is an ordinary key.
        let mut sources = Sources::default();
        let text = "\"<<\": a\n";
        let file = sources.add("x.yaml".to_string(), text);
        assert!(parse(file, text).is_ok());
    }

    #[test]
    fn streams_are_read_document_by_document_and_counted() {
        let text = "# comment\n---\na: 1\n---\n---\nb: [yes, no, on]\n---\nc: x\n";
        let docs = documents(text, &MANIFESTS).expect("reads");
        assert_eq!(docs.len(), 3, "the empty document is not counted");
        assert_eq!(docs[0].index, 0);
        assert_eq!(docs[0].value, serde_json::json!({"a": 1}));
        assert_eq!(
            docs[1].value,
            serde_json::json!({"b": [true, false, true]}),
            "YAML 1.1 booleans, as kubectl reads them"
        );
        assert_eq!(docs[2].index, 2);

        let many: String = (0..5000).map(|i| format!("---\nn: {i}\n")).collect();
        assert_eq!(documents(&many, &MANIFESTS).map(|d| d.len()), Ok(5000));
    }

    #[test]
    fn stream_errors_say_where_and_what() {
        let e = documents("a: 1\n---\nb: !!binary Ym9i\n", &MANIFESTS).expect_err("tag");
        assert_eq!((e.line, e.column), (3, 4));
        assert_eq!(e.message, "unsupported tag `!!binary`");

        let e = documents("a: 1\n---\nb: [\n", &MANIFESTS).expect_err("syntax");
        assert_eq!(e.line, 3, "{e}");

        // As MANIFESTS, with a limit a test reaches quickly.
        let small = Profile {
            nodes: 1000,
            ..MANIFESTS
        };
        let wide = format!("items: [{}]\n", vec!["x"; 1000].join(","));
        let e = documents(&wide, &small).expect_err("too many values");
        assert_eq!(e.message, "more than 1000 values in one document");
        let help = e.help.clone().expect("help");
        assert!(
            help.contains("64 MiB") && help.contains("kubectl kustomize"),
            "{help}"
        );
        assert!(!e.to_string().contains("budget"), "{e}");

        let e = documents("a: &a [x, x]\nb: {<<: *a}\n", &MANIFESTS).expect_err("merge");
        assert_eq!(e.message, "merge keys (`<<`) are not supported");
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
