//! Rendering diagnostics: ariadne for people, JSON for tools.

use super::{Diagnostic, Severity};
use mesh_grammar::Span;
use serde::Serialize;

/// A position in a file, 1-based; the column counts characters, not bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Maps byte offsets to lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex<'a> {
    source: &'a str,
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> LineIndex<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            source,
            line_starts,
        }
    }

    /// The 0-based line holding `offset` and the byte offset where it starts.
    fn line_of(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        (line, self.line_starts.get(line).copied().unwrap_or(0))
    }

    /// Clamps an offset into the source and back onto a character boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.source.len());
        while offset > 0 && !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.clamp(offset);
        let (line, start) = self.line_of(offset);
        let column = self
            .source
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset, as the language
    /// server protocol counts them.
    pub fn utf16_position(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let (line, start) = self.line_of(offset);
        let column: usize = self
            .source
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of a 0-based line and UTF-16 column, clamped to the
    /// line's end (positions past the end of a line or file are allowed by
    /// the protocol and mean its end).
    pub fn offset_of_utf16(&self, line: u32, column: u32) -> usize {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return self.source.len();
        };
        let end = self
            .line_starts
            .get(line as usize + 1)
            .map_or(self.source.len(), |&next| next - 1);
        let mut units = 0usize;
        for (i, ch) in self.source[start..end].char_indices() {
            if units >= column as usize {
                return start + i;
            }
            units += ch.len_utf16();
        }
        end
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
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

/// Renders one diagnostic for a terminal, with the source lines it points at.
pub fn render_human(file: &str, source: &str, diagnostic: &Diagnostic, color: bool) -> String {
    use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};

    let clamp = |span: Span| {
        let start = span.start.min(source.len());
        let end = span.end.clamp(start, source.len());
        start..end
    };
    let (kind, primary_color) = match diagnostic.severity {
        Severity::Error => (ReportKind::Error, Color::Red),
        Severity::Warning => (ReportKind::Warning, Color::Yellow),
    };
    let primary = clamp(diagnostic.primary.span);
    let mut report = Report::build(kind, (file, primary.clone()))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(diagnostic.code.as_str())
        .with_message(&diagnostic.message);
    // ariadne opens a new section whenever a label comes before the one
    // added last, so labels go in in source order and the source reads top
    // to bottom in one section; the primary label keeps its colour.
    let mut labels: Vec<(&super::Label, Color)> =
        std::iter::once((&diagnostic.primary, primary_color))
            .chain(diagnostic.secondary.iter().map(|l| (l, Color::Blue)))
            .collect();
    labels.sort_by_key(|(label, _)| (label.span.start, label.span.end));
    for (label, label_color) in labels {
        report = report.with_label(
            Label::new((file, clamp(label.span)))
                .with_message(&label.message)
                .with_color(label_color),
        );
    }
    if let Some(hint) = &diagnostic.hint {
        report = report.with_help(hint);
    }
    let mut out = Vec::new();
    let written = report
        .finish()
        .write((file, Source::from(source)), &mut out);
    match written {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        // Writing to a Vec cannot fail; fall back to a plain line anyway.
        Err(_) => {
            let position = LineIndex::new(source).position(diagnostic.primary.span.start);
            format!(
                "{}[{}]: {}\n --> {}:{}:{}\n",
                diagnostic.severity.as_str(),
                diagnostic.code,
                diagnostic.message,
                file,
                position.line,
                position.column
            )
        }
    }
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
