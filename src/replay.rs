//! Diagnostics kept in the build record and read back, so that a no-op
//! `build` or `check` of declarations with warnings reports them without
//! compiling.
//!
//! **Input**: the diagnostics of a compilation, the sources they point
//! into and the [`Input`] compiled. **Output**: a line of JSON for the
//! record ([`encode`]), and from it the same diagnostics with sources
//! rebuilt from the same input ([`decode`]).
//!
//! **Invariant**: a replay reports exactly what the compilation reported.
//! The record is trusted only for the input it was made from (its
//! fingerprint covers every byte), every text of a source file is taken
//! from that input again, and diagnostics whose files cannot be (text
//! that is neither the file as read nor empty) are not recorded at all, so
//! the next build compiles.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic, Diagnostics, Label, Severity};
use crate::load::{Input, InputFile};
use crate::source::{FileId, Sources, Span};

/// The record's shape: every text once (`texts`, indexed by the labels,
/// messages and help), files by kind and path, then the diagnostics.
#[derive(Serialize, Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    texts: Vec<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    files: Vec<(&'a str, std::borrow::Cow<'a, str>)>,
    diagnostics: Vec<Entry<'a>>,
}

/// One diagnostic: a label is `(file, offset, len, text)`.
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    code: &'a str,
    error: bool,
    message: u32,
    primary: (u32, u32, u32, u32),
    secondary: Vec<(u32, u32, u32, u32)>,
    help: Option<u32>,
}

/// The diagnostics as one line of JSON, or `None` when one points into a
/// text the input does not hold as it is (then nothing is recorded).
pub fn encode(diagnostics: &Diagnostics, sources: &Sources, input: &Input) -> Option<String> {
    let by_path = by_path(input);
    let mut files: Vec<(&str, std::borrow::Cow<str>)> = Vec::new();
    let mut file_index: HashMap<FileId, u32> = HashMap::new();
    let mut texts: Vec<std::borrow::Cow<str>> = Vec::new();
    let mut text_index: HashMap<String, u32> = HashMap::new();
    let mut text = |t: &'_ str, texts: &mut Vec<std::borrow::Cow<str>>| -> u32 {
        if let Some(&i) = text_index.get(t) {
            return i;
        }
        texts.push(std::borrow::Cow::Owned(t.to_string()));
        let i = (texts.len() - 1) as u32;
        text_index.insert(t.to_string(), i);
        i
    };
    let mut list = Vec::new();
    for d in diagnostics.sorted(sources) {
        let mut label = |l: &Label,
                         texts: &mut Vec<std::borrow::Cow<str>>|
         -> Option<(u32, u32, u32, u32)> {
            let id = l.span.file;
            let file = match file_index.get(&id) {
                Some(&i) => i,
                None => {
                    let source = sources.get(id);
                    let kind = if source.text.is_empty() {
                        "empty"
                    } else if text_of(&by_path, &source.path).as_deref() == Some(&*source.text) {
                        "input"
                    } else {
                        return None;
                    };
                    files.push((kind, std::borrow::Cow::Owned(source.path.clone())));
                    let i = (files.len() - 1) as u32;
                    file_index.insert(id, i);
                    i
                }
            };
            Some((file, l.span.offset, l.span.len, text(&l.text, texts)))
        };
        let primary = label(&d.primary, &mut texts)?;
        let mut secondary = Vec::new();
        for l in &d.secondary {
            secondary.push(label(l, &mut texts)?);
        }
        list.push(Entry {
            code: d.code.as_str(),
            error: d.severity == Severity::Error,
            message: text(&d.message, &mut texts),
            primary,
            secondary,
            help: d.help.as_deref().map(|h| text(h, &mut texts)),
        });
    }
    serde_json::to_string(&Record {
        texts,
        files,
        diagnostics: list,
    })
    .ok()
}

/// The diagnostics [`encode`] wrote, with their sources rebuilt from
/// `input`; `None` when the text does not read as such or a file is not
/// in the input.
pub fn decode(text: &str, input: &Input) -> Option<(Diagnostics, Sources)> {
    let record: Record = serde_json::from_str(text).ok()?;
    let by_path = by_path(input);
    let mut sources = Sources::default();
    let mut ids = Vec::new();
    for (kind, path) in &record.files {
        let text = match *kind {
            "empty" => String::new(),
            "input" => text_of(&by_path, path)?,
            _ => return None,
        };
        ids.push(sources.add(path.to_string(), text));
    }
    let texts = &record.texts;
    let label = |&(file, offset, len, text): &(u32, u32, u32, u32)| -> Option<Label> {
        let file = *ids.get(file as usize)?;
        let size = sources.get(file).text.len();
        ((offset as usize).checked_add(len as usize)? <= size).then_some(())?;
        Some(Label {
            span: Span::new(file, offset as usize, len as usize),
            text: texts.get(text as usize)?.to_string(),
        })
    };
    let mut diagnostics = Diagnostics::default();
    for d in &record.diagnostics {
        let code = *Code::ALL.iter().find(|c| c.as_str() == d.code)?;
        let mut secondary = Vec::new();
        for l in &d.secondary {
            secondary.push(label(l)?);
        }
        diagnostics.push(Diagnostic {
            code,
            severity: if d.error {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: texts.get(d.message as usize)?.to_string(),
            primary: label(&d.primary)?,
            secondary,
            help: match d.help {
                None => None,
                Some(i) => Some(texts.get(i as usize)?.to_string()),
            },
        });
    }
    Some((diagnostics, sources))
}

/// Every file of the input by its path (the first, should two share one).
fn by_path(input: &Input) -> HashMap<&str, &InputFile> {
    let mut map = HashMap::new();
    let all = [
        input.config.as_slice(),
        &input.teams[..],
        &input.templates[..],
        &input.codeowners[..],
    ];
    for file in all.iter().flat_map(|g| g.iter()) {
        map.entry(file.path.as_str()).or_insert(file);
    }
    map
}

/// The text of the input file at `path` as the compiler reads it (UTF-8,
/// without a byte-order mark).
fn text_of(files: &HashMap<&str, &InputFile>, path: &str) -> Option<String> {
    let file = files.get(path)?;
    let bytes = file.contents.as_ref().ok()?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).ok().map(str::to_string)
}
