//! What the parser is given: the lexer's tokens, mended where the mistake
//! is certain enough that parsing on as if it were mended reports the
//! errors that follow, not knock-on errors of the first.
//!
//! Three mends, each reported as an error of its own (the file is never
//! taken as correct):
//!
//! - [`close_unclosed_blocks`]: a block left open where its `}` is most
//!   likely missing gets a `}` there (an empty token) — before a `bundle`,
//!   `token` or `constraints`, which never stand inside a block, and before
//!   a `}` that lines up with an outer block's line rather than its own;
//! - [`bound_nesting`]: a block nested deeper than [`MAX_NESTING`] is read
//!   as empty, so that no later phase, all of which walk blocks
//!   recursively, needs more stack than the bound allows;
//! - [`stand_in_for_lexical_errors`]: a word the lexer could not read
//!   stands in as the token it most likely is (`1e18` a number, `Polygon`
//!   a name after `on`, `Weth` a token symbol after a number, `!` a `!=`),
//!   and a stray character (`;`, `€`) is left out, so that parsing goes on
//!   through the rest of the statement. A syntax error at a stand-in, or
//!   right after a character left out, is not reported: the lexical error
//!   already is, right there.

use crate::ast::Span;
use crate::lexer::{Lexeme, TokenKind};
use crate::lines::line_starts;
use crate::{SyntaxError, SyntaxErrorKind};

/// The deepest blocks may nest: a bundle's body is at depth 1, an `on` block
/// inside it at depth 2. Far above anything written by hand; every phase of
/// the compiler walks blocks recursively, so this bound (with
/// [`crate::MAX_AMOUNT_TOKENS`]) keeps their stack use bounded whatever the
/// file.
pub const MAX_NESTING: usize = 256;

/// How many open blocks one `}` may be found to skip, by indentation.
const MAX_SKIPPED: usize = 8;

/// A `}` that the parser is given but the source does not have.
fn inserted_brace(at: usize) -> Lexeme {
    Lexeme {
        kind: TokenKind::RBrace,
        span: Span::new(at, at),
    }
}

/// An open block: its `{` and the indentation of the line it is on.
struct Open {
    brace: Span,
    indent: usize,
    /// Where the block's header starts (`on`, `parallel`, `and`, `bundle`,
    /// `constraints`), when the `{` follows one.
    header: usize,
}

/// Closes the blocks whose `}` is most likely missing (see the module
/// documentation), reporting each as [`SyntaxErrorKind::UnclosedBlock`].
pub(crate) fn close_unclosed_blocks(
    source: &str,
    tokens: &mut Vec<Lexeme>,
    errors: &mut Vec<SyntaxError>,
) {
    let opens = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::LBrace)
        .count();
    let closes = tokens
        .iter()
        .filter(|t| t.kind == TokenKind::RBrace)
        .count();
    // An item keyword inside a block is a mistake whatever the count; a
    // `}` that lines up with an outer block only means something when a
    // `}` is missing somewhere.
    let mut missing = opens.saturating_sub(closes);
    let has_item_keyword = (0..tokens.len()).any(|i| starts_item(tokens, i));
    if missing == 0 && !has_item_keyword {
        return;
    }
    let starts = line_starts(source);
    let mut out = Vec::with_capacity(tokens.len() + missing);
    let mut stack: Vec<Open> = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::LBrace => {
                let header = header_start(&out, out.len()).unwrap_or(token.span.start);
                stack.push(Open {
                    brace: token.span,
                    indent: indentation(source, &starts, token.span.start),
                    header,
                });
            }
            TokenKind::RBrace => {
                if missing > 0 {
                    if let Some(indent) = leading_indentation(source, token.span.start) {
                        let skipped = skipped_blocks(&stack, indent, missing);
                        let outer = stack
                            .len()
                            .checked_sub(skipped + 1)
                            .and_then(|o| stack.get(o))
                            .map(|o| Span::new(o.header, o.brace.end));
                        for _ in 0..skipped {
                            if let Some(open) = stack.pop() {
                                errors.push(unclosed(&open, token.span, outer));
                                out.push(inserted_brace(token.span.start));
                                missing -= 1;
                            }
                        }
                    }
                }
                stack.pop();
            }
            TokenKind::Bundle | TokenKind::Token | TokenKind::Constraints
                if starts_item(tokens, i) =>
            {
                while let Some(open) = stack.pop() {
                    errors.push(unclosed(&open, token.span, None));
                    out.push(inserted_brace(token.span.start));
                    missing = missing.saturating_sub(1);
                }
            }
            _ => {}
        }
        out.push(*token);
    }
    *tokens = out;
}

/// Whether `tokens[i]` starts what never stands inside a block: `bundle
/// NAME on`, `token SYMBOL` or `constraints {` (and not, say, a keyword
/// misused as a name, as in `let token = ...`).
fn starts_item(tokens: &[Lexeme], i: usize) -> bool {
    let kind = |at: usize| tokens.get(at).map(|t| t.kind);
    match kind(i) {
        Some(TokenKind::Bundle) => {
            matches!(kind(i + 1), Some(TokenKind::Ident | TokenKind::Error))
                && kind(i + 2) == Some(TokenKind::On)
        }
        Some(TokenKind::Token) => kind(i + 1) == Some(TokenKind::Symbol),
        Some(TokenKind::Constraints) => kind(i + 1) == Some(TokenKind::LBrace),
        _ => false,
    }
}

/// How many blocks on top of `stack` a `}` indented by `indent` skips: the
/// smallest `n ≥ 1` such that the `n` innermost blocks are on lines indented
/// deeper than the `}` and the next one out on a line indented exactly as
/// it; 0 when there is none (the `}` closes the innermost block).
fn skipped_blocks(stack: &[Open], indent: usize, missing: usize) -> usize {
    let limit = missing.min(MAX_SKIPPED);
    for (n, open) in stack.iter().rev().enumerate() {
        if open.indent == indent {
            return if n <= limit { n } else { 0 };
        }
        if open.indent < indent || n >= limit {
            return 0;
        }
    }
    0
}

fn unclosed(open: &Open, at: Span, outer: Option<Span>) -> SyntaxError {
    SyntaxError {
        kind: SyntaxErrorKind::UnclosedBlock {
            brace: open.brace,
            found: at,
            lines_up_with: outer,
        },
        span: Span::new(open.header, open.brace.end),
    }
}

/// Where the header of a block whose `{` comes next after `out[..end]`
/// starts: `on NAME`, `parallel`, `and`, `constraints`, `bundle NAME on
/// NAME`.
fn header_start(out: &[Lexeme], end: usize) -> Option<usize> {
    let kind = |back: usize| end.checked_sub(back).and_then(|i| out.get(i));
    let last = kind(1)?;
    match last.kind {
        TokenKind::Parallel | TokenKind::And | TokenKind::Constraints => Some(last.span.start),
        TokenKind::Ident => {
            let before = kind(2)?;
            if before.kind != TokenKind::On {
                return None;
            }
            // `bundle NAME on CHAIN {` or `on CHAIN {`.
            match (kind(4), kind(3)) {
                (Some(bundle), Some(name))
                    if bundle.kind == TokenKind::Bundle && name.kind == TokenKind::Ident =>
                {
                    Some(bundle.span.start)
                }
                _ => Some(before.span.start),
            }
        }
        _ => None,
    }
}

/// The indentation of the line that holds `offset`, in characters of
/// leading spaces and tabs.
fn indentation(source: &str, starts: &[usize], offset: usize) -> usize {
    let line = starts.partition_point(|&s| s <= offset).saturating_sub(1);
    let start = starts.get(line).copied().unwrap_or(0);
    source
        .get(start..)
        .unwrap_or("")
        .trim_start_matches(crate::lines::BYTE_ORDER_MARK)
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .count()
}

/// The indentation of the line that holds `offset` when nothing but spaces
/// and tabs come before `offset` on it; `None` otherwise.
fn leading_indentation(source: &str, offset: usize) -> Option<usize> {
    let before = source.get(..offset)?;
    let mut indent = 0;
    for c in before.chars().rev() {
        match c {
            ' ' | '\t' => indent += 1,
            '\n' | '\r' | crate::lines::BYTE_ORDER_MARK => return Some(indent),
            _ => return None,
        }
    }
    Some(indent)
}

/// Reads every block nested deeper than [`MAX_NESTING`] as empty: its `{`
/// and `}` stay, what is between them is left out, and the first such `{`
/// in each block at the bound is reported as
/// [`SyntaxErrorKind::NestedTooDeep`].
pub(crate) fn bound_nesting(tokens: &mut Vec<Lexeme>, errors: &mut Vec<SyntaxError>) {
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for token in tokens.iter() {
        match token.kind {
            TokenKind::LBrace => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            TokenKind::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest <= MAX_NESTING {
        return;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut depth = 0usize;
    let mut skipping = false;
    // The block at the bound that holds the current too-deep ones: sibling
    // too-deep blocks (the branches of one `parallel`) are one mistake,
    // reported once.
    let mut parent = None;
    let mut reported_in = None;
    for token in tokens.iter() {
        match token.kind {
            TokenKind::LBrace => {
                depth += 1;
                if depth == MAX_NESTING {
                    parent = Some(token.span.start);
                }
                if depth == MAX_NESTING + 1 {
                    if reported_in != parent {
                        errors.push(SyntaxError {
                            kind: SyntaxErrorKind::NestedTooDeep { limit: MAX_NESTING },
                            span: token.span,
                        });
                        reported_in = parent;
                    }
                    out.push(*token);
                    skipping = true;
                    continue;
                }
            }
            TokenKind::RBrace => {
                let closes_deep = depth == MAX_NESTING + 1;
                depth = depth.saturating_sub(1);
                if closes_deep {
                    skipping = false;
                    out.push(*token);
                    continue;
                }
            }
            _ => {}
        }
        if !skipping {
            out.push(*token);
        }
    }
    *tokens = out;
}

/// Where a syntax error is not reported: the offsets of tokens that stand
/// in for lexical errors or follow a character left out.
pub(crate) struct Quiet(Vec<usize>);

impl Quiet {
    pub(crate) fn contains(&self, offset: usize) -> bool {
        self.0.binary_search(&offset).is_ok()
    }
}

/// Replaces each lexical error token by the token it most likely is, or
/// leaves it out (see the module documentation).
pub(crate) fn stand_in_for_lexical_errors(
    source: &str,
    tokens: &mut Vec<Lexeme>,
    errors: &[SyntaxError],
) -> Quiet {
    let mut quiet = Vec::new();
    if !tokens.iter().any(|t| t.kind == TokenKind::Error) {
        return Quiet(quiet);
    }
    let mut out: Vec<Lexeme> = Vec::with_capacity(tokens.len());
    let mut left_out = false;
    for token in tokens.iter() {
        if token.kind != TokenKind::Error {
            if left_out {
                quiet.push(token.span.start);
                left_out = false;
            }
            out.push(*token);
            continue;
        }
        let error = errors
            .binary_search_by_key(&token.span.start, |e| e.span.start)
            .ok()
            .and_then(|i| errors.get(i))
            .filter(|e| e.span == token.span)
            .map(|e| &e.kind);
        let text = source.get(token.span.start..token.span.end).unwrap_or("");
        let previous = out.len().checked_sub(1).and_then(|i| out.get(i));
        let before = out.len().checked_sub(2).and_then(|i| out.get(i));
        match error.and_then(|e| stand_in(e, text, previous, before)) {
            Some(kind) => {
                quiet.push(token.span.start);
                out.push(Lexeme {
                    kind,
                    span: token.span,
                });
            }
            None => left_out = true,
        }
    }
    *tokens = out;
    quiet.sort_unstable();
    quiet.dedup();
    Quiet(quiet)
}

/// The token a lexical error most likely is, from what it is and the two
/// tokens before it; `None` to leave it out.
fn stand_in(
    error: &SyntaxErrorKind,
    text: &str,
    previous: Option<&Lexeme>,
    before: Option<&Lexeme>,
) -> Option<TokenKind> {
    let previous = previous.map(|t| t.kind);
    match error {
        SyntaxErrorKind::MalformedNumber { .. } | SyntaxErrorKind::AmountTooLong { .. } => {
            Some(TokenKind::Number)
        }
        SyntaxErrorKind::MalformedAddress { .. } => Some(if previous == Some(TokenKind::At) {
            TokenKind::Address
        } else {
            TokenKind::Number
        }),
        SyntaxErrorKind::MixedCaseWord { .. } => {
            if let Some(keyword) = TokenKind::keyword(&text.to_ascii_lowercase()) {
                return Some(keyword);
            }
            let name_after = matches!(
                previous,
                Some(
                    TokenKind::Bundle
                        | TokenKind::On
                        | TokenKind::From
                        | TokenKind::To
                        | TokenKind::Into
                        | TokenKind::Via
                        | TokenKind::Let
                )
            ) || (previous == Some(TokenKind::Colon)
                && before.map(|t| t.kind) == Some(TokenKind::Invariant));
            let symbol_after = matches!(
                previous,
                Some(TokenKind::Number | TokenKind::All | TokenKind::Token)
            );
            Some(if name_after {
                TokenKind::Ident
            } else if symbol_after || text.starts_with(|c: char| c.is_ascii_uppercase()) {
                TokenKind::Symbol
            } else {
                TokenKind::Ident
            })
        }
        SyntaxErrorKind::UnexpectedCharacter { text } if text == "!" => Some(TokenKind::Ne),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(indent: usize) -> Open {
        Open {
            brace: Span::default(),
            indent,
            header: 0,
        }
    }

    #[test]
    fn a_brace_skips_the_blocks_indented_deeper_up_to_the_one_it_lines_up_with() {
        let stack = [open(0), open(4), open(8)];
        assert_eq!(skipped_blocks(&stack, 8, 5), 0);
        assert_eq!(skipped_blocks(&stack, 4, 5), 1);
        assert_eq!(skipped_blocks(&stack, 0, 5), 2);
        // No more than are missing, and never when nothing lines up.
        assert_eq!(skipped_blocks(&stack, 0, 1), 0);
        assert_eq!(skipped_blocks(&stack, 2, 5), 0);
        assert_eq!(skipped_blocks(&stack, 12, 5), 0);
    }

    #[test]
    fn indentation_counts_leading_blanks() {
        let source = "a\n    b {\n\t}";
        let starts = line_starts(source);
        assert_eq!(indentation(source, &starts, 8), 4);
        assert_eq!(leading_indentation(source, 11), Some(1));
        assert_eq!(leading_indentation(source, 8), None);
        assert_eq!(leading_indentation(source, 0), Some(0));
    }
}
