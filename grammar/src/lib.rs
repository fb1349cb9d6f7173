//! The syntax of the Mesh bundle language: a logos lexer, a lalrpop parser
//! with error recovery, and a spanned syntax tree. Nothing semantic lives
//! here; names, tokens and amounts are resolved by the compiler's checker.
//!
//! [`parse`] always returns a tree: where the text cannot be read it holds an
//! `Error` node, and [`Parsed::errors`] says why, one error per mistake.
//!
//! Module map: [`lexer`] the tokens and the keywords; `repair` the tokens
//! mended where a mistake is certain, before parsing; the lalrpop grammar
//! (`grammar.lalrpop`, built into `grammar`) the parser; [`ast`] the
//! spanned syntax tree; [`lines`] what a line is, for every phase.

pub mod ast;
pub mod lexer;
pub mod lines;
mod repair;

use std::fmt;

use lalrpop_util::{lalrpop_mod, ErrorRecovery, ParseError};

pub use ast::*;
pub use lexer::{lex, Lexeme, TokenKind, KEYWORDS};
pub use repair::MAX_NESTING;

lalrpop_mod!(
    #[allow(clippy::all, clippy::pedantic, unused_parens, dead_code)]
    grammar
);

/// A parsed file: the tree, the comments beside it (for the formatter),
/// every lexical and syntax error, sorted by position, and its lines (see
/// [`lines`]), so that a later phase never counts lines again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub file: File,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    pub lines: lines::LineTable,
}

/// A lexical or syntax error. Its span always lies inside the file, on
/// character boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub kind: SyntaxErrorKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// A parser-level surprise: `found` (its text) where one of `expected`
    /// was needed.
    UnexpectedToken {
        /// The token's text as written.
        found: String,
        found_kind: TokenKind,
        /// Readable names of what could have come instead, in a stable order:
        /// "`on`", "a name", "a token symbol like `WETH`", "a number", ...
        expected: Vec<String>,
        /// The same, as token kinds.
        expected_tokens: Vec<TokenKind>,
        /// Context for the message; see [`ErrorContext`].
        context: ErrorContext,
    },
    /// The file ended where more was needed. The span is empty, right after
    /// the last token.
    UnexpectedEnd {
        expected: Vec<String>,
        expected_tokens: Vec<TokenKind>,
        context: ErrorContext,
    },
    /// A number glued to letters or digits that do not belong to it (`1e18`,
    /// `100WETH`, `1_`, `1__0`, `1.`, `.5`); the span covers the whole word.
    MalformedNumber { text: String },
    /// An `0x` word that is not exactly 40 hex digits.
    MalformedAddress { text: String },
    /// A word that is neither a name (lower case) nor a token symbol (upper
    /// case and digits): `Weth`, `Polygon`, `WETH_E`.
    MixedCaseWord { text: String },
    /// A `/*` without its `*/`; the span is the `/*`, and the comment runs to
    /// the end of the file.
    UnterminatedComment,
    /// A run of characters that start no token (`;`, `é`, `!`).
    UnexpectedCharacter { text: String },
    /// An amount of more than [`MAX_AMOUNT_TOKENS`] tokens; the span covers
    /// it all, and the parser sees one error token in its place.
    AmountTooLong { tokens: usize },
    /// A block whose `}` is missing: the span runs from its header (`on
    /// arbitrum`, `parallel`, `bundle b on polygon`; the `{` alone when it
    /// has none) to its `{`. The parser reads the file as if the `}` stood
    /// right before `found`: a `bundle`, `token` or `constraints` (which
    /// never stand inside a block), or a `}` that lines up with the header
    /// of an outer block (`lines_up_with`, header to `{`) rather than with
    /// this one's.
    UnclosedBlock {
        brace: Span,
        found: Span,
        lines_up_with: Option<Span>,
    },
    /// A block nested deeper than [`MAX_NESTING`]: the span is its `{`. The
    /// parser reads it as empty.
    NestedTooDeep { limit: usize },
}

/// The most tokens one amount may have. Every phase walks an amount's tree
/// recursively and the tree is as deep as the amount is long, so this bound,
/// far above anything written by hand, keeps every phase's stack use bounded
/// whatever the size of the file.
pub const MAX_AMOUNT_TOKENS: usize = 4096;

/// Where the parser was when it met a syntax error, for better messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorContext {
    /// The innermost `{` still open at the error, when a `}` would have been
    /// accepted there (a missing `}` is the likely mistake).
    pub open_brace: Option<Span>,
    /// The keyword that starts the construct the parser was reading when it
    /// met the error (`swap`, `let`, `bundle`, ...), if it started before the
    /// error.
    pub construct: Option<Lexeme>,
}

impl SyntaxErrorKind {
    pub fn is_lexical(&self) -> bool {
        !matches!(
            self,
            SyntaxErrorKind::UnexpectedToken { .. }
                | SyntaxErrorKind::UnexpectedEnd { .. }
                | SyntaxErrorKind::UnclosedBlock { .. }
                | SyntaxErrorKind::NestedTooDeep { .. }
        )
    }
}

impl fmt::Display for SyntaxError {
    /// A plain one-line description; the compiler's diagnostics say more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SyntaxErrorKind::UnexpectedToken {
                found, expected, ..
            } => write!(f, "unexpected `{found}`, expected {}", expected.join(", ")),
            SyntaxErrorKind::UnexpectedEnd { expected, .. } => {
                write!(
                    f,
                    "unexpected end of file, expected {}",
                    expected.join(", ")
                )
            }
            SyntaxErrorKind::MalformedNumber { text } => write!(f, "malformed number `{text}`"),
            SyntaxErrorKind::MalformedAddress { text } => write!(f, "malformed address `{text}`"),
            SyntaxErrorKind::MixedCaseWord { text } => {
                write!(f, "`{text}` mixes upper and lower case")
            }
            SyntaxErrorKind::UnterminatedComment => f.write_str("unterminated block comment"),
            SyntaxErrorKind::UnexpectedCharacter { text } => {
                write!(f, "unexpected character `{text}`")
            }
            SyntaxErrorKind::AmountTooLong { tokens } => write!(
                f,
                "an amount of {tokens} tokens, more than the {MAX_AMOUNT_TOKENS} allowed"
            ),
            SyntaxErrorKind::UnclosedBlock { .. } => f.write_str("a block is not closed"),
            SyntaxErrorKind::NestedTooDeep { limit } => {
                write!(f, "blocks nested more than {limit} deep")
            }
        }
    }
}

/// What lalrpop recovered from at one `!`, and the span the `!` covered
/// (popped symbols and dropped tokens).
pub(crate) struct Recovery<'s> {
    pub error: ErrorRecovery<usize, (TokenKind, &'s str), ()>,
    pub span: Span,
}

/// Builds an action node; its span runs from the keyword to `end`.
pub(crate) fn action(kind: ActionKind, keyword_span: Span, end: usize) -> Action {
    Action {
        kind,
        keyword_span,
        span: Span::new(keyword_span.start, end),
    }
}

/// Parses a whole file. Never fails: see [`Parsed`].
pub fn parse(source: &str) -> Parsed {
    let lexed = lexer::tokenize(source);
    // The parser sees neither comments nor whitespace.
    let mut tokens: Vec<Lexeme> = lexed
        .tokens
        .iter()
        .copied()
        .filter(|t| !t.kind.is_comment())
        .collect();
    let mut lexed = lexed;
    bound_amounts(&mut tokens, &mut lexed.errors);
    let mut errors = lexed.errors;
    // In source order, as the stand-ins look them up.
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    let quiet = repair::stand_in_for_lexical_errors(source, &mut tokens, &errors);
    repair::close_unclosed_blocks(source, &mut tokens, &mut errors);
    repair::bound_nesting(&mut tokens, &mut errors);
    let mut recoveries = Vec::new();
    let result = grammar::FileParser::new().parse(&mut recoveries, feed(source, &tokens));
    let mut reporter = Reporter::new(source, &tokens, lexed.unterminated_comment, quiet);
    for recovery in recoveries {
        reporter.recovered(recovery, &mut errors);
    }
    let file = match result {
        Ok(file) => file,
        Err(error) => {
            // Unreachable in practice: every state can fall back to an
            // `Item` error. Report it anyway rather than lose it.
            reporter.report(&error, None, &mut errors);
            File {
                items: Vec::new(),
                span: Span::default(),
            }
        }
    };
    let file = closed_at_end(source, &tokens, &errors).unwrap_or(file);
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    Parsed {
        file: File {
            span: Span::new(0, source.len()),
            ..file
        },
        comments: lexed.comments,
        errors,
        lines: lines::LineTable::new(source),
    }
}

/// The tree of a file that ends inside a block, as if each open block were
/// closed where the file ends — so that everything written so far (the
/// bundle being typed, above all) keeps its tree for the language server.
/// The errors stay those of the file as written ("a block is not closed");
/// `None` when the file does not end inside a block.
fn closed_at_end(source: &str, tokens: &[Lexeme], errors: &[SyntaxError]) -> Option<File> {
    if !errors
        .iter()
        .any(|e| matches!(e.kind, SyntaxErrorKind::UnexpectedEnd { .. }))
    {
        return None;
    }
    let depth = tokens.iter().fold(0usize, |depth, t| match t.kind {
        TokenKind::LBrace => depth + 1,
        TokenKind::RBrace => depth.saturating_sub(1),
        _ => depth,
    });
    if depth == 0 {
        return None;
    }
    let end = tokens.last()?.span.end;
    let mut closed = tokens.to_vec();
    closed.extend((0..depth).map(|_| Lexeme {
        kind: TokenKind::RBrace,
        span: Span::new(end, end),
    }));
    let mut recoveries = Vec::new();
    grammar::FileParser::new()
        .parse(&mut recoveries, feed(source, &closed))
        .ok()
}

/// The tokens as the parser takes them: offsets, kind and text.
fn feed<'a>(
    source: &'a str,
    tokens: &'a [Lexeme],
) -> impl Iterator<Item = Result<(usize, (TokenKind, &'a str), usize), ()>> + 'a {
    tokens.iter().map(move |t| {
        let text = source.get(t.span.start..t.span.end).unwrap_or("");
        Ok((t.span.start, (t.kind, text), t.span.end))
    })
}

/// Whether a token can be part of an amount.
fn in_amount(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::Number
            | TokenKind::Symbol
            | TokenKind::Ident
            | TokenKind::All
            | TokenKind::Plus
            | TokenKind::Minus
            | TokenKind::Star
            | TokenKind::Slash
            | TokenKind::LParen
            | TokenKind::RParen
    )
}

/// Replaces every run of amount tokens longer than [`MAX_AMOUNT_TOKENS`] by
/// one error token, and reports it.
fn bound_amounts(tokens: &mut Vec<Lexeme>, errors: &mut Vec<SyntaxError>) {
    let mut start = 0;
    let mut bounded = Vec::with_capacity(tokens.len());
    while start < tokens.len() {
        let run = tokens[start..]
            .iter()
            .take_while(|t| in_amount(t.kind))
            .count();
        if run > MAX_AMOUNT_TOKENS {
            let span = tokens[start].span.to(tokens[start + run - 1].span);
            errors.push(SyntaxError {
                kind: SyntaxErrorKind::AmountTooLong { tokens: run },
                span,
            });
            bounded.push(Lexeme {
                kind: TokenKind::Error,
                span,
            });
            start += run;
        } else {
            let end = start + run.max(1);
            bounded.extend_from_slice(&tokens[start..end]);
            start = end;
        }
    }
    *tokens = bounded;
}

#[derive(Clone, Copy)]
struct Resume {
    /// The offset of the first token parsed after the recovery.
    at: usize,
    /// Whether that token only seemed to start a construct, so that an error
    /// which throws it away again repeats the first.
    misleading: bool,
}

/// Turns lalrpop's recoveries into syntax errors, one per mistake.
struct Reporter<'a> {
    source: &'a str,
    source_len: usize,
    /// Where an unexpected token is a stand-in for a lexical error, or
    /// follows a character left out: not reported again.
    quiet: repair::Quiet,
    /// The tokens the parser saw.
    tokens: &'a [Lexeme],
    unterminated_comment: bool,
    /// Where the previous recovery resumed parsing.
    previous_resume: Option<Resume>,
    /// Open braces before `cursor`, innermost last.
    open_braces: Vec<Span>,
    cursor: usize,
}

impl<'a> Reporter<'a> {
    fn new(
        source: &'a str,
        tokens: &'a [Lexeme],
        unterminated_comment: bool,
        quiet: repair::Quiet,
    ) -> Reporter<'a> {
        Reporter {
            source,
            source_len: source.len(),
            quiet,
            tokens,
            unterminated_comment,
            previous_resume: None,
            open_braces: Vec::new(),
            cursor: 0,
        }
    }

    fn recovered(&mut self, recovery: Recovery<'_>, errors: &mut Vec<SyntaxError>) {
        let resume = self.resume_point(&recovery);
        let previous = self.previous_resume.replace(resume);
        if let Some(previous) = previous {
            if recovery.span.start == previous.at && previous.misleading {
                return;
            }
        }
        self.report(&recovery.error.error, Some(recovery.span), errors);
    }

    /// Where parsing resumed after a recovery, and whether a new error that
    /// starts right there is only a consequence of the first.
    fn resume_point(&self, recovery: &Recovery<'_>) -> Resume {
        let after = match (&recovery.error.dropped_tokens.last(), &recovery.error.error) {
            (Some((_, _, end)), _) => *end,
            (None, ParseError::UnrecognizedToken { token, .. }) => token.0,
            (None, _) => {
                return Resume {
                    at: self.source_len,
                    misleading: false,
                }
            }
        };
        let index = self.tokens.partition_point(|t| t.span.start < after);
        let Some(token) = self.tokens.get(index) else {
            return Resume {
                at: self.source_len,
                misleading: false,
            };
        };
        // `on` both ends a swap and starts a statement: after a broken swap,
        // recovery resumes at its `on` as if a statement began there.
        let swap_end = token.kind == TokenKind::On;
        // A keyword written where a name belongs (`bundle on on polygon`)
        // is taken as the start of a new construct, which then fails too.
        let keyword_as_name = recovery.error.dropped_tokens.is_empty()
            && token.kind.is_keyword()
            && matches!(&recovery.error.error, ParseError::UnrecognizedToken { expected, .. }
                if expected.iter().any(|e| e == "\"name\""));
        Resume {
            at: token.span.start,
            misleading: swap_end || keyword_as_name,
        }
    }

    fn report(
        &mut self,
        error: &ParseError<usize, (TokenKind, &str), ()>,
        recovered: Option<Span>,
        errors: &mut Vec<SyntaxError>,
    ) {
        match error {
            ParseError::UnrecognizedToken {
                token: (start, (kind, text), end),
                expected,
            } if *kind != TokenKind::Error && !self.quiet.contains(*start) => {
                let expected = expected_kinds(expected);
                self.unexpected_token(
                    Span::new(*start, *end),
                    kind,
                    text,
                    expected,
                    recovered,
                    errors,
                );
            }
            ParseError::ExtraToken {
                token: (start, (kind, text), end),
            } if *kind != TokenKind::Error && !self.quiet.contains(*start) => {
                self.unexpected_token(
                    Span::new(*start, *end),
                    kind,
                    text,
                    Vec::new(),
                    recovered,
                    errors,
                );
            }
            // A lexical error token or its stand-in: its error is already
            // recorded.
            ParseError::UnrecognizedToken { .. } | ParseError::ExtraToken { .. } => {}
            ParseError::UnrecognizedEof { location, expected } => {
                // The file ends inside an unterminated comment: that is the
                // mistake, already reported.
                if self.unterminated_comment {
                    return;
                }
                let expected = expected_kinds(expected);
                let span = self.clamp(Span::new(*location, *location));
                let context = self.context(span, recovered, &expected, |_| true);
                errors.push(SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedEnd {
                        expected: expected.iter().map(|k| k.expected_name()).collect(),
                        expected_tokens: expected,
                        context,
                    },
                    span,
                });
            }
            // Neither is produced: the lexer yields error tokens instead.
            ParseError::InvalidToken { .. } | ParseError::User { .. } => {}
        }
    }

    fn unexpected_token(
        &mut self,
        span: Span,
        kind: &TokenKind,
        text: &str,
        expected: Vec<TokenKind>,
        recovered: Option<Span>,
        errors: &mut Vec<SyntaxError>,
    ) {
        let span = self.clamp(span);
        // A `}` the source does not have (see `repair`) is no token to
        // name: the token after it is what the source has there.
        if *kind == TokenKind::RBrace && span.is_empty() {
            let next = self
                .tokens
                .iter()
                .skip(self.tokens.partition_point(|t| t.span.start < span.start))
                .find(|t| !t.span.is_empty());
            if let Some(next) = next {
                let text = self
                    .source
                    .get(next.span.start..next.span.end)
                    .unwrap_or("");
                return self
                    .unexpected_token(next.span, &next.kind, text, expected, recovered, errors);
            }
        }
        // A missing `}` shows where the next item begins.
        let context = self.context(span, recovered, &expected, |kind| {
            matches!(kind, TokenKind::Bundle | TokenKind::Token)
        });
        errors.push(SyntaxError {
            kind: SyntaxErrorKind::UnexpectedToken {
                found: text.to_string(),
                found_kind: *kind,
                expected: expected.iter().map(|k| k.expected_name()).collect(),
                expected_tokens: expected,
                context,
            },
            span,
        });
    }

    fn context(
        &mut self,
        at: Span,
        recovered: Option<Span>,
        expected: &[TokenKind],
        brace_is_likely: impl Fn(TokenKind) -> bool,
    ) -> ErrorContext {
        self.advance_to(at.start);
        let found = self
            .tokens
            .get(self.tokens.partition_point(|t| t.span.start < at.start))
            .map_or(TokenKind::Error, |t| t.kind);
        let open_brace = if expected.contains(&TokenKind::RBrace) && brace_is_likely(found) {
            self.open_braces.last().copied()
        } else {
            None
        };
        let construct = recovered.and_then(|span| {
            let index = self.tokens.partition_point(|t| t.span.start < span.start);
            self.tokens
                .get(index)
                .filter(|t| {
                    t.span.start == span.start && t.span.start < at.start && t.kind.is_keyword()
                })
                .copied()
        });
        ErrorContext {
            open_brace,
            construct,
        }
    }

    /// Tracks the open braces up to `offset`; errors come in source order.
    fn advance_to(&mut self, offset: usize) {
        while let Some(token) = self.tokens.get(self.cursor) {
            if token.span.start >= offset {
                break;
            }
            match token.kind {
                TokenKind::LBrace => self.open_braces.push(token.span),
                TokenKind::RBrace => {
                    self.open_braces.pop();
                }
                _ => {}
            }
            self.cursor += 1;
        }
    }

    fn clamp(&self, span: Span) -> Span {
        let start = span.start.min(self.source_len);
        Span::new(start, span.end.clamp(start, self.source_len))
    }
}

/// lalrpop names terminals as quoted strings (`"\"on\""`); maps them back to
/// token kinds in the order of [`TokenKind`], so lists read the same each time.
fn expected_kinds(expected: &[String]) -> Vec<TokenKind> {
    let mut kinds: Vec<TokenKind> = expected
        .iter()
        .filter_map(|name| {
            let name = name.trim_matches('"');
            match name {
                "name" => Some(TokenKind::Ident),
                "token symbol" => Some(TokenKind::Symbol),
                "number" => Some(TokenKind::Number),
                "seconds" => Some(TokenKind::Seconds),
                "address" => Some(TokenKind::Address),
                _ => TokenKind::from_text(name),
            }
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}
