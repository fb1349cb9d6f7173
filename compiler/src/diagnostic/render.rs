//! Positions in a source file, and diagnostics as JSON for tools (the
//! terminal rendering is in `human`).

use super::Diagnostic;
use mesh_grammar::lines::LineTable;
use mesh_grammar::Span;
use serde::Serialize;
use std::borrow::Cow;

/// A position in a file, 1-based; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns. Lines end at `\n`, `\r\n` or a
/// lone `\r` (see [`mesh_grammar::lines`]); a column is counted in time
/// bounded by the table's marks, however long its line.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    source: &'a str,
    table: Cow<'a, LineTable>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        LineIndex {
            source,
            table: Cow::Owned(LineTable::new(source)),
        }
    }

    /// The index of `source` from the table its parse already made
    /// ([`mesh_grammar::Parsed::lines`]): nothing is counted again.
    pub fn from_table(source: &'a str, table: &'a LineTable) -> LineIndex<'a> {
        LineIndex {
            source,
            table: Cow::Borrowed(table),
        }
    }

    fn starts(&self) -> &[usize] {
        self.table.starts()
    }

    /// The 0-based line holding `offset` and the byte offset where it starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = match self.starts().binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        (line, self.starts().get(line).copied().unwrap_or(0))
    }

    /// The 0-based line holding `offset`.
    pub fn line(&self, offset: usize) -> usize {
        self.line_of(offset).0
    }

    /// The length in bytes of 0-based `line`, without its line end.
    pub fn line_len(&self, line: usize) -> usize {
        let start = self.starts().get(line).copied().unwrap_or(0);
        self.line_end(line).saturating_sub(start)
    }

    /// Clamps an offset into the source and back onto a character boundary.
    pub fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.source.len());
        while offset > 0 && !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The 1-based line and character column of a byte offset. A
    /// byte-order mark at the start of the file is not a column.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.clamp(offset);
        let (line, mut start) = self.line_of(offset);
        if line == 0 {
            start = (self.source.len() - text_of(self.source).len()).min(offset);
        }
        let (column, _) = self.table.count(self.source, start, offset);
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    /// The source location of a byte offset, as the IR and the runtime
    /// carry it (1-based line and character column).
    pub fn loc(&self, offset: usize) -> mesh_core::Loc {
        let p = self.position(offset);
        mesh_core::Loc {
            line: u32::try_from(p.line).unwrap_or(u32::MAX),
            column: u32::try_from(p.column).unwrap_or(u32::MAX),
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset, as the language
    /// server protocol counts them.
    pub fn utf16_position(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let (line, start) = self.line_of(offset);
        let (_, column) = self.table.count(self.source, start, offset);
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of a 0-based line and UTF-16 column, clamped to the
    /// line's end (positions past the end of a line or file are allowed by
    /// the protocol and mean its end).
    pub fn offset_of_utf16(&self, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts().get(line as usize) else {
            return self.source.len();
        };
        let end = self.line_end(line as usize);
        self.table
            .offset_after_units(self.source, start, end, column as usize)
    }

    /// Where the text of 0-based `line` ends: before its line end.
    fn line_end(&self, line: usize) -> usize {
        let Some(&next) = self.starts().get(line + 1) else {
            return self.source.len();
        };
        let bytes = self.source.as_bytes();
        if next >= 2 && bytes.get(next - 2..next) == Some(b"\r\n".as_slice()) {
            next - 2
        } else {
            next.saturating_sub(1)
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts().len()
    }
}

/// The text of a file without its byte-order mark.
fn text_of(source: &str) -> &str {
    source
        .strip_prefix(mesh_grammar::lines::BYTE_ORDER_MARK)
        .unwrap_or(source)
}

/// Where something is, as JSON tells it: lines and columns from 1.
#[derive(Serialize)]
struct JsonSpan {
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl JsonSpan {
    fn new(index: &LineIndex<'_>, span: Span) -> JsonSpan {
        let (s, e) = (index.position(span.start), index.position(span.end));
        JsonSpan {
            line: s.line,
            column: s.column,
            end_line: e.line,
            end_column: e.column,
        }
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    #[serde(flatten)]
    at: JsonSpan,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    file: &'a str,
    #[serde(flatten)]
    at: JsonSpan,
    labels: Vec<JsonLabel<'a>>,
    hint: Option<&'a str>,
    fix: Option<JsonFix<'a>>,
}

/// Replace the text from (line, column) to (end_line, end_column) with
/// `replacement`; `applicability` says whether that may be done unasked.
#[derive(Serialize)]
struct JsonFix<'a> {
    #[serde(flatten)]
    at: JsonSpan,
    replacement: &'a str,
    applicability: &'static str,
}

/// One file's diagnostics as JSON values (the caller joins the files of a run
/// into one array).
pub fn render_json(file: &str, source: &str, diagnostics: &[Diagnostic]) -> Vec<serde_json::Value> {
    let index = LineIndex::new(source);
    diagnostics
        .iter()
        .map(|d| {
            let labels = std::iter::once(&d.primary)
                .chain(&d.secondary)
                .map(|label| JsonLabel {
                    at: JsonSpan::new(&index, label.span),
                    message: &label.message,
                })
                .collect();
            let value = JsonDiagnostic {
                severity: d.severity.as_str(),
                code: d.code.as_str(),
                message: &d.message,
                file,
                at: JsonSpan::new(&index, d.primary.span),
                labels,
                hint: d.hint.as_deref(),
                fix: d.fix.as_ref().map(|fix| JsonFix {
                    at: JsonSpan::new(&index, fix.span),
                    replacement: &fix.replacement,
                    applicability: fix.applicability.as_str(),
                }),
            };
            serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_from_one() {
        let src = "ab\nçd\n";
        let index = LineIndex::new(src);
        assert_eq!(index.position(0), Position { line: 1, column: 1 });
        assert_eq!(index.position(3), Position { line: 2, column: 1 });
        // 'ç' is two bytes but one character.
        assert_eq!(index.position(5), Position { line: 2, column: 2 });
        assert_eq!(index.position(999), Position { line: 3, column: 1 });
        // Inside a multi-byte character: clamped back onto its start.
        assert_eq!(index.position(4), Position { line: 2, column: 1 });
    }

    #[test]
    fn utf16_positions_round_trip() {
        let src = "a😀b\nx";
        let index = LineIndex::new(src);
        let b = src.find('b').unwrap_or(0);
        assert_eq!(index.utf16_position(b), (0, 3));
        assert_eq!(index.offset_of_utf16(0, 3), b);
        assert_eq!(index.offset_of_utf16(0, 99), 6);
        assert_eq!(index.offset_of_utf16(1, 0), 7);
        assert_eq!(index.offset_of_utf16(9, 0), src.len());
    }
}
