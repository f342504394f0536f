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

use serde_json::{Value, json};

use crate::diag::{Code, Diagnostic, Diagnostics, Label, Severity};
use crate::load::{Input, InputFile};
use crate::source::{FileId, Sources, Span};

/// The diagnostics as one line of JSON, or `None` when one points into a
/// text the input does not hold as it is (then nothing is recorded).
pub fn encode(diagnostics: &Diagnostics, sources: &Sources, input: &Input) -> Option<String> {
    let mut files: Vec<Value> = Vec::new();
    let mut index: std::collections::BTreeMap<FileId, usize> = Default::default();
    let mut file_of = |id: FileId| -> Option<usize> {
        if let Some(&i) = index.get(&id) {
            return Some(i);
        }
        let file = sources.get(id);
        let kind = if file.text.is_empty() {
            "empty"
        } else if text_of(input, &file.path).as_deref() == Some(&*file.text) {
            "input"
        } else {
            return None;
        };
        files.push(json!([kind, file.path]));
        index.insert(id, files.len() - 1);
        Some(files.len() - 1)
    };
    let mut list = Vec::new();
    for d in diagnostics.sorted(sources) {
        let label = |l: &Label, file: usize| json!([file, l.span.offset, l.span.len, l.text]);
        let primary = label(&d.primary, file_of(d.primary.span.file)?);
        let mut secondary = Vec::new();
        for l in &d.secondary {
            secondary.push(label(l, file_of(l.span.file)?));
        }
        list.push(json!({
            "code": d.code.as_str(),
            "error": d.severity == Severity::Error,
            "message": d.message,
            "primary": primary,
            "secondary": secondary,
            "help": d.help,
        }));
    }
    serde_json::to_string(&json!({ "files": files, "diagnostics": list })).ok()
}

/// The diagnostics [`encode`] wrote, with their sources rebuilt from
/// `input`; `None` when the text does not read as such or a file is not
/// in the input.
pub fn decode(text: &str, input: &Input) -> Option<(Diagnostics, Sources)> {
    let value: Value = serde_json::from_str(text).ok()?;
    let mut sources = Sources::default();
    let mut ids = Vec::new();
    for file in value.get("files")?.as_array()? {
        let (kind, path) = (file.get(0)?.as_str()?, file.get(1)?.as_str()?);
        let text = match kind {
            "empty" => String::new(),
            "input" => text_of(input, path)?,
            _ => return None,
        };
        ids.push(sources.add(path.to_string(), text));
    }
    let label = |v: &Value| -> Option<Label> {
        let file = *ids.get(usize::try_from(v.get(0)?.as_u64()?).ok()?)?;
        let offset = usize::try_from(v.get(1)?.as_u64()?).ok()?;
        let len = usize::try_from(v.get(2)?.as_u64()?).ok()?;
        let text = sources.get(file).text.len();
        (offset.checked_add(len)? <= text).then_some(())?;
        Some(Label {
            span: Span::new(file, offset, len),
            text: v.get(3)?.as_str()?.to_string(),
        })
    };
    let mut diagnostics = Diagnostics::default();
    for d in value.get("diagnostics")?.as_array()? {
        let code = d.get("code")?.as_str()?;
        let code = *Code::ALL.iter().find(|c| c.as_str() == code)?;
        let mut secondary = Vec::new();
        for l in d.get("secondary")?.as_array()? {
            secondary.push(label(l)?);
        }
        diagnostics.push(Diagnostic {
            code,
            severity: if d.get("error")?.as_bool()? {
                Severity::Error
            } else {
                Severity::Warning
            },
            message: d.get("message")?.as_str()?.to_string(),
            primary: label(d.get("primary")?)?,
            secondary,
            help: match d.get("help")? {
                Value::Null => None,
                help => Some(help.as_str()?.to_string()),
            },
        });
    }
    Some((diagnostics, sources))
}

/// The text of the input file at `path` as the compiler reads it (UTF-8,
/// without a byte-order mark).
fn text_of(input: &Input, path: &str) -> Option<String> {
    let all = [
        input.config.as_slice(),
        &input.teams[..],
        &input.templates[..],
        &input.codeowners[..],
    ];
    let file: &InputFile = all.iter().flat_map(|g| g.iter()).find(|f| f.path == path)?;
    let bytes = file.contents.as_ref().ok()?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).ok().map(str::to_string)
}
