//! Source files and spans.
//!
//! Every file the compiler reads (`rbacc.yaml`, team files, templates) is kept
//! here with its repo-relative path, so that any value can point back at the
//! exact bytes it came from.

use std::sync::Arc;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub offset: u32,
    pub len: u32,
}

impl Span {
    pub fn new(file: FileId, offset: usize, len: usize) -> Span {
        Span {
            file,
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
        }
    }

    /// A span covering the whole of `file`'s first byte: for problems that
    /// concern a file as a whole.
    pub fn file_start(file: FileId) -> Span {
        Span::new(file, 0, 0)
    }
}

/// A value as written in a source file, with the span it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Sp<T> {
        Sp { value, span }
    }
}

impl Sp<String> {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// One file's path (relative to the repo root, `/`-separated) and text.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
}

/// All files read for one compilation.
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, path: String, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 2^32 files"));
        self.files.push(SourceFile {
            path,
            text: text.into(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The file read from `path`, if one was.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.get(id).path
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, span: Span) -> (usize, usize) {
        let text = &self.get(span.file).text;
        let offset = (span.offset as usize).min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}
