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
        let at = self.position(span.file, span.offset as usize);
        (at.line, at.column)
    }

    /// Where byte `offset` of `file` is, 1-based: the line, and the column
    /// counted in characters and in UTF-16 code units. An offset past the
    /// end is the end; one inside a character is that character.
    pub fn position(&self, file: FileId, offset: usize) -> Position {
        let text = &self.get(file).text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let in_line = &before[line_start..];
        Position {
            line: before.matches('\n').count() + 1,
            column: in_line.chars().count() + 1,
            column_utf16: in_line.encode_utf16().count() + 1,
        }
    }

    /// Where `span` starts and ends (the end is the position just past its
    /// last byte).
    pub fn range(&self, span: Span) -> (Position, Position) {
        let start = span.offset as usize;
        (
            self.position(span.file, start),
            self.position(span.file, start + span.len as usize),
        )
    }
}

/// A place in a source file, 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    /// In characters (Unicode scalar values), as the text report shows it.
    pub column: usize,
    /// In UTF-16 code units, as SARIF counts by default.
    pub column_utf16: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let mut sources = Sources::default();
        let file = sources.add("f".to_string(), "ab\né𝄞x\n");
        let at = |offset| sources.position(file, offset);
        assert_eq!(
            at(0),
            Position {
                line: 1,
                column: 1,
                column_utf16: 1
            }
        );
        assert_eq!(
            at(3),
            Position {
                line: 2,
                column: 1,
                column_utf16: 1
            }
        );
        // `é` is two bytes, one unit; `𝄞` four bytes, two units.
        assert_eq!(
            at(5),
            Position {
                line: 2,
                column: 2,
                column_utf16: 2
            }
        );
        assert_eq!(
            at(9),
            Position {
                line: 2,
                column: 3,
                column_utf16: 4
            }
        );
        // Inside `𝄞`: the character itself.
        assert_eq!(at(7), at(5));
        // Past the end: the end.
        assert_eq!(
            at(99),
            Position {
                line: 3,
                column: 1,
                column_utf16: 1
            }
        );
        let (start, end) = sources.range(Span::new(file, 5, 5));
        assert_eq!((start.column, end.column, end.column_utf16), (2, 4, 5));
    }
}
