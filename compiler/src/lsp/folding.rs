//! Folding ranges: every block that spans lines (a bundle's body, an `on`
//! block, each branch of a `parallel`, `constraints`), block comments over
//! several lines, and runs of line comments on consecutive lines.
//!
//! A block folds from the line of its `{` to the line before its `}`, so
//! that the closing brace stays in view (and `} and {` keeps both
//! branches' braces visible).

use super::document::Documents;
use lsp_types::{FoldingRange, FoldingRangeKind, FoldingRangeParams};
use mesh_grammar::TokenKind;

pub fn folding_ranges(
    documents: &Documents,
    params: FoldingRangeParams,
) -> Option<Vec<FoldingRange>> {
    let document = documents.get(&params.text_document.uri)?;
    let index = document.index();
    let tokens = document.tokens();
    let line = |offset: usize| u32::try_from(index.line_of(offset)).unwrap_or(u32::MAX);
    let mut ranges = Vec::new();
    for (open, close) in &tokens.blocks {
        let (start, end) = (line(open.start), line(close.start));
        if end > start + 1 {
            ranges.push(fold(start, end - 1, None));
        }
    }
    // Comments: a block comment over lines, or line comments each on the
    // line after the previous one.
    let mut run: Option<(u32, u32)> = None;
    let text = &document.text;
    for entry in tokens.entries.iter().filter(|e| e.kind.is_comment()) {
        let (start, end) = (line(entry.span.start), line(entry.span.end));
        let own_line = text
            .get(index.line_start(start as usize)..entry.span.start)
            .is_some_and(|before| before.trim().is_empty());
        if entry.kind == TokenKind::BlockComment {
            if end > start {
                ranges.push(fold(start, end, Some(FoldingRangeKind::Comment)));
            }
            continue;
        }
        run = match run {
            Some((first, last)) if own_line && start == last + 1 => Some((first, start)),
            Some((first, last)) if !own_line => {
                if last > first {
                    ranges.push(fold(first, last, Some(FoldingRangeKind::Comment)));
                }
                None
            }
            Some((first, last)) => {
                if last > first {
                    ranges.push(fold(first, last, Some(FoldingRangeKind::Comment)));
                }
                Some((start, start))
            }
            None if own_line => Some((start, start)),
            None => None,
        };
    }
    if let Some((first, last)) = run {
        if last > first {
            ranges.push(fold(first, last, Some(FoldingRangeKind::Comment)));
        }
    }
    ranges.sort_by_key(|r| (r.start_line, std::cmp::Reverse(r.end_line)));
    Some(ranges)
}

fn fold(start_line: u32, end_line: u32, kind: Option<FoldingRangeKind>) -> FoldingRange {
    FoldingRange {
        start_line,
        start_character: None,
        end_line,
        end_character: None,
        kind,
        collapsed_text: None,
    }
}
