//! Between the front end's byte spans and the protocol's UTF-16 positions,
//! and from our diagnostics to the protocol's.

use super::code_pages::CodePages;
use super::lines::LineIndex;
use crate::diagnostic::{Code, Diagnostic, Severity};
use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Position, Range, Uri,
};
use mesh_grammar::Span;

pub fn position(index: &LineIndex<'_>, offset: usize) -> Position {
    let (line, character) = index.utf16_position(offset);
    Position { line, character }
}

pub fn range(index: &LineIndex<'_>, span: Span) -> Range {
    Range {
        start: position(index, span.start),
        end: position(index, span.end.max(span.start)),
    }
}

/// The byte offset of a protocol position in the text `index` reads,
/// clamped as the protocol asks: past a line's end is its end, before its
/// `\n`, `\r\n` or `\r`.
pub fn offset(index: &LineIndex<'_>, position: Position) -> usize {
    index.offset_of_utf16(position.line, position.character)
}

/// One diagnostic as the protocol has it: the primary label's message and
/// the hint follow the message on their own lines (editors that show one
/// line show the message); secondary labels become related information;
/// the code links to its page; a value never used is tagged unnecessary
/// (editors fade it).
pub fn diagnostic(
    uri: &Uri,
    index: &LineIndex<'_>,
    d: &Diagnostic,
    pages: &CodePages,
) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push('\n');
        message.push_str(&d.primary.message);
    }
    if let Some(hint) = &d.hint {
        message.push_str("\nhelp: ");
        message.push_str(hint);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .map(|label| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: range(index, label.span),
            },
            message: label.message.clone(),
        })
        .collect();
    lsp_types::Diagnostic {
        range: range(index, d.primary.span),
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_string())),
        source: Some("meshc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        code_description: pages
            .link(d.code)
            .map(|href| CodeDescription { href: href.clone() }),
        tags: (d.code == Code::UnusedVariable).then(|| vec![DiagnosticTag::UNNECESSARY]),
        ..lsp_types::Diagnostic::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::lines::LineStarts;

    #[test]
    fn ranges_are_in_utf16_units() {
        let text = "// 😀\nlet x";
        let lines = LineStarts::new(text);
        let index = LineIndex::new(text, &lines);
        let x = text.len() - 1;
        assert_eq!(
            range(&index, Span::new(3, 7)),
            Range::new(Position::new(0, 3), Position::new(0, 5))
        );
        assert_eq!(position(&index, x), Position::new(1, 4));
    }

    #[test]
    fn offsets_past_a_line_end_stop_before_it() {
        for text in ["ab\r\ncd", "ab\rcd", "ab\ncd"] {
            let lines = LineStarts::new(text);
            let index = LineIndex::new(text, &lines);
            let second = text.len() - 2;
            assert_eq!(offset(&index, Position::new(0, 9)), 2, "{text:?}");
            assert_eq!(offset(&index, Position::new(0, 2)), 2, "{text:?}");
            assert_eq!(offset(&index, Position::new(1, 1)), second + 1, "{text:?}");
            assert_eq!(position(&index, second), Position::new(1, 0), "{text:?}");
        }
    }
}
