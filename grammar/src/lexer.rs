//! The lexer: a logos scanner wrapped so that it never stops.
//!
//! Every lexical error is recorded as a [`SyntaxError`] and leaves an
//! [`TokenKind::Error`] token in the stream, so that the parser can recover
//! past it and report the errors after it too. Comments are tokens here (a
//! formatter or an editor wants them) but are kept away from the parser.

use logos::Logos;

use crate::ast::{Comment, CommentKind, Span};
use crate::{SyntaxError, SyntaxErrorKind};

/// The keywords of the language, in the order docs/syntax.md lists them. None
/// of them can be used as a name.
pub const KEYWORDS: &[&str] = &[
    "bundle",
    "on",
    "let",
    "borrow",
    "repay",
    "as",
    "debt",
    "assume",
    "collateral",
    "swap",
    "deposit",
    "withdraw",
    "bridge",
    "from",
    "to",
    "into",
    "for",
    "via",
    "parallel",
    "and",
    "require",
    "input",
    "all",
    "token",
    "decimals",
    "at",
    "constraints",
    "deadline",
    "max_gas",
    "min_balance",
    "min_security",
    "min_health",
    "invariant",
];

/// What a token is. Tokens carry no text: slice the source with their span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenKind {
    // Keywords, in the order of [`KEYWORDS`].
    Bundle,
    On,
    Let,
    Borrow,
    Repay,
    As,
    Debt,
    Assume,
    Collateral,
    Swap,
    Deposit,
    Withdraw,
    Bridge,
    From,
    To,
    Into,
    For,
    Via,
    Parallel,
    And,
    Require,
    Input,
    All,
    Token,
    Decimals,
    At,
    Constraints,
    Deadline,
    MaxGas,
    MinBalance,
    MinSecurity,
    MinHealth,
    Invariant,
    /// A lower-case name: `polygon`, `aave`, `profit`.
    Ident,
    /// An upper-case token symbol: `WETH`.
    Symbol,
    /// A well-formed number: `1_000.5`.
    Number,
    /// `0x` and exactly 40 hex digits.
    Address,
    LBrace,
    RBrace,
    LParen,
    RParen,
    Colon,
    Assign,
    Ge,
    Le,
    Gt,
    Lt,
    EqEq,
    Ne,
    Plus,
    Minus,
    Star,
    Slash,
    LineComment,
    BlockComment,
    /// Text that is not a token; its error is in [`crate::Parsed::errors`].
    Error,
}

const KEYWORD_KINDS: [TokenKind; 33] = [
    TokenKind::Bundle,
    TokenKind::On,
    TokenKind::Let,
    TokenKind::Borrow,
    TokenKind::Repay,
    TokenKind::As,
    TokenKind::Debt,
    TokenKind::Assume,
    TokenKind::Collateral,
    TokenKind::Swap,
    TokenKind::Deposit,
    TokenKind::Withdraw,
    TokenKind::Bridge,
    TokenKind::From,
    TokenKind::To,
    TokenKind::Into,
    TokenKind::For,
    TokenKind::Via,
    TokenKind::Parallel,
    TokenKind::And,
    TokenKind::Require,
    TokenKind::Input,
    TokenKind::All,
    TokenKind::Token,
    TokenKind::Decimals,
    TokenKind::At,
    TokenKind::Constraints,
    TokenKind::Deadline,
    TokenKind::MaxGas,
    TokenKind::MinBalance,
    TokenKind::MinSecurity,
    TokenKind::MinHealth,
    TokenKind::Invariant,
];

const PUNCTUATION: [(TokenKind, &str); 16] = [
    (TokenKind::LBrace, "{"),
    (TokenKind::RBrace, "}"),
    (TokenKind::LParen, "("),
    (TokenKind::RParen, ")"),
    (TokenKind::Colon, ":"),
    (TokenKind::Assign, "="),
    (TokenKind::Ge, ">="),
    (TokenKind::Le, "<="),
    (TokenKind::Gt, ">"),
    (TokenKind::Lt, "<"),
    (TokenKind::EqEq, "=="),
    (TokenKind::Ne, "!="),
    (TokenKind::Plus, "+"),
    (TokenKind::Minus, "-"),
    (TokenKind::Star, "*"),
    (TokenKind::Slash, "/"),
];

impl TokenKind {
    /// The keyword spelled `word`, if it is one.
    pub fn keyword(word: &str) -> Option<TokenKind> {
        KEYWORDS
            .iter()
            .position(|k| *k == word)
            .and_then(|i| KEYWORD_KINDS.get(i).copied())
    }

    pub fn is_keyword(self) -> bool {
        KEYWORD_KINDS.contains(&self)
    }

    /// The fixed text of a keyword or punctuation token; `None` for the
    /// classes whose text varies (names, numbers, comments, ...).
    pub fn text(self) -> Option<&'static str> {
        if let Some(i) = KEYWORD_KINDS.iter().position(|k| *k == self) {
            return KEYWORDS.get(i).copied();
        }
        PUNCTUATION
            .iter()
            .find(|(kind, _)| *kind == self)
            .map(|(_, text)| *text)
    }

    /// The kind of a keyword or punctuation token from its fixed text.
    pub fn from_text(text: &str) -> Option<TokenKind> {
        TokenKind::keyword(text).or_else(|| {
            PUNCTUATION
                .iter()
                .find(|(_, t)| *t == text)
                .map(|(kind, _)| *kind)
        })
    }

    /// How an expected-token list names this kind: "`on`", "a name", ...
    pub fn expected_name(self) -> String {
        match self {
            TokenKind::Ident => "a name".to_string(),
            TokenKind::Symbol => "a token symbol like `WETH`".to_string(),
            TokenKind::Number => "a number".to_string(),
            TokenKind::Address => "an address".to_string(),
            TokenKind::LineComment | TokenKind::BlockComment => "a comment".to_string(),
            TokenKind::Error => "a token".to_string(),
            fixed => format!("`{}`", fixed.text().unwrap_or("?")),
        }
    }

    pub fn is_comment(self) -> bool {
        matches!(self, TokenKind::LineComment | TokenKind::BlockComment)
    }
}

/// One token of the source: its kind and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lexeme {
    pub kind: TokenKind,
    pub span: Span,
}

/// The raw scanner. Words and numbers are matched generously (a number glued
/// to letters is one word) and classified afterwards, so that a malformed
/// word is reported once, as a whole.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\x0C]+")]
enum Raw {
    #[token("bundle")]
    Bundle,
    #[token("on")]
    On,
    #[token("let")]
    Let,
    #[token("borrow")]
    Borrow,
    #[token("repay")]
    Repay,
    #[token("as")]
    As,
    #[token("debt")]
    Debt,
    #[token("assume")]
    Assume,
    #[token("collateral")]
    Collateral,
    #[token("swap")]
    Swap,
    #[token("deposit")]
    Deposit,
    #[token("withdraw")]
    Withdraw,
    #[token("bridge")]
    Bridge,
    #[token("from")]
    From,
    #[token("to")]
    To,
    #[token("into")]
    Into,
    #[token("for")]
    For,
    #[token("via")]
    Via,
    #[token("parallel")]
    Parallel,
    #[token("and")]
    And,
    #[token("require")]
    Require,
    #[token("input")]
    Input,
    #[token("all")]
    All,
    #[token("token")]
    Token,
    #[token("decimals")]
    Decimals,
    #[token("at")]
    At,
    #[token("constraints")]
    Constraints,
    #[token("deadline")]
    Deadline,
    #[token("max_gas")]
    MaxGas,
    #[token("min_balance")]
    MinBalance,
    #[token("min_security")]
    MinSecurity,
    #[token("min_health")]
    MinHealth,
    #[token("invariant")]
    Invariant,

    #[regex(r"[a-z_][a-z0-9_]*", priority = 3)]
    Ident,
    #[regex(r"[A-Z][A-Z0-9]*", priority = 3)]
    Symbol,
    /// Any other word of letters, digits and `_`: it mixes cases.
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", priority = 1)]
    MixedWord,
    /// A word that starts with a digit, with everything glued to it.
    #[regex(r"[0-9][0-9A-Za-z_.]*", classify_number)]
    NumberWord(NumberClass),
    /// `.5` and the like.
    #[regex(r"\.[0-9][0-9A-Za-z_.]*")]
    DotNumber,

    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token(":")]
    Colon,
    #[token("=")]
    Assign,
    #[token(">=")]
    Ge,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token("<")]
    Lt,
    #[token("==")]
    EqEq,
    #[token("!=")]
    Ne,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,

    /// Up to the line end: `\n`, or a `\r` (alone or before `\n`).
    #[regex(r"//[^\r\n]*", allow_greedy = true)]
    LineComment,
    #[token("/*", block_comment)]
    BlockComment(Closed),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumberClass {
    Number,
    Address,
    BadNumber,
    BadAddress,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closed {
    Yes,
    No,
}

fn classify_number(lex: &mut logos::Lexer<Raw>) -> NumberClass {
    let word = lex.slice().as_bytes();
    if let Some(digits) = word.strip_prefix(b"0x") {
        if digits.len() == 40 && digits.iter().all(u8::is_ascii_hexdigit) {
            NumberClass::Address
        } else {
            NumberClass::BadAddress
        }
    } else if word.starts_with(b"0X") {
        NumberClass::BadAddress
    } else if is_number(word) {
        NumberClass::Number
    } else {
        NumberClass::BadNumber
    }
}

/// Digits with single `_` separators between digits, then optionally a `.`
/// and more such digits.
pub(crate) fn is_number(word: &[u8]) -> bool {
    let (whole, fraction) = match word.iter().position(|&b| b == b'.') {
        Some(dot) => (&word[..dot], Some(&word[dot + 1..])),
        None => (word, None),
    };
    is_digit_groups(whole) && fraction.is_none_or(is_digit_groups)
}

fn is_digit_groups(text: &[u8]) -> bool {
    !text.is_empty()
        && text
            .split(|&b| b == b'_')
            .all(|group| !group.is_empty() && group.iter().all(u8::is_ascii_digit))
}

/// Skips a (nested) block comment whose `/*` was just matched.
fn block_comment(lex: &mut logos::Lexer<Raw>) -> Closed {
    let rest = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < rest.len() {
        match (rest[i], rest.get(i + 1)) {
            (b'/', Some(b'*')) => {
                depth += 1;
                i += 2;
            }
            (b'*', Some(b'/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    lex.bump(i);
                    return Closed::Yes;
                }
            }
            _ => i += 1,
        }
    }
    lex.bump(rest.len());
    Closed::No
}

/// The result of lexing a whole file.
pub(crate) struct Lexed {
    /// Every token in order, comments and error tokens included.
    pub tokens: Vec<Lexeme>,
    pub comments: Vec<Comment>,
    pub errors: Vec<SyntaxError>,
    /// Where an unterminated block comment swallowed the rest of the file.
    pub unterminated_comment: bool,
}

/// Lexes a whole file: every token (comments and error tokens included) in
/// source order. For editors and formatters; errors are reported by
/// [`crate::parse`].
pub fn lex(source: &str) -> Vec<Lexeme> {
    tokenize(source).tokens
}

pub(crate) fn tokenize(source: &str) -> Lexed {
    let mut lexed = Lexed {
        // A token is about five bytes of source on average: one allocation.
        tokens: Vec::with_capacity(source.len() / 5 + 1),
        comments: Vec::new(),
        errors: Vec::new(),
        unterminated_comment: false,
    };
    let mut scanner = Raw::lexer(source);
    // A byte-order mark at the start says how the file is encoded; it is
    // not part of the text.
    if source.starts_with(crate::lines::BYTE_ORDER_MARK) {
        scanner.bump(crate::lines::BYTE_ORDER_MARK.len_utf8());
    }
    while let Some(raw) = scanner.next() {
        let range = scanner.span();
        let span = Span::new(range.start, range.end);
        let text = source.get(range).unwrap_or("");
        let kind = match raw {
            Ok(raw) => classify(raw, span, text, &mut lexed),
            Err(()) => {
                // Runs of stray characters make one error, not one per character.
                if let (Some(last), Some(error)) =
                    (lexed.tokens.last_mut(), lexed.errors.last_mut())
                {
                    if last.kind == TokenKind::Error && last.span.end == span.start {
                        if let SyntaxErrorKind::UnexpectedCharacter { text: run } = &mut error.kind
                        {
                            if error.span == last.span {
                                run.push_str(text);
                                last.span.end = span.end;
                                error.span.end = span.end;
                                continue;
                            }
                        }
                    }
                }
                lexed.errors.push(SyntaxError {
                    kind: SyntaxErrorKind::UnexpectedCharacter {
                        text: text.to_string(),
                    },
                    span,
                });
                TokenKind::Error
            }
        };
        lexed.tokens.push(Lexeme { kind, span });
    }
    lexed
}

fn classify(raw: Raw, span: Span, text: &str, lexed: &mut Lexed) -> TokenKind {
    let error = |kind| SyntaxError { kind, span };
    match raw {
        Raw::Bundle => TokenKind::Bundle,
        Raw::On => TokenKind::On,
        Raw::Let => TokenKind::Let,
        Raw::Borrow => TokenKind::Borrow,
        Raw::Repay => TokenKind::Repay,
        Raw::As => TokenKind::As,
        Raw::Debt => TokenKind::Debt,
        Raw::Assume => TokenKind::Assume,
        Raw::Collateral => TokenKind::Collateral,
        Raw::Swap => TokenKind::Swap,
        Raw::Deposit => TokenKind::Deposit,
        Raw::Withdraw => TokenKind::Withdraw,
        Raw::Bridge => TokenKind::Bridge,
        Raw::From => TokenKind::From,
        Raw::To => TokenKind::To,
        Raw::Into => TokenKind::Into,
        Raw::For => TokenKind::For,
        Raw::Via => TokenKind::Via,
        Raw::Parallel => TokenKind::Parallel,
        Raw::And => TokenKind::And,
        Raw::Require => TokenKind::Require,
        Raw::Input => TokenKind::Input,
        Raw::All => TokenKind::All,
        Raw::Token => TokenKind::Token,
        Raw::Decimals => TokenKind::Decimals,
        Raw::At => TokenKind::At,
        Raw::Constraints => TokenKind::Constraints,
        Raw::Deadline => TokenKind::Deadline,
        Raw::MaxGas => TokenKind::MaxGas,
        Raw::MinBalance => TokenKind::MinBalance,
        Raw::MinSecurity => TokenKind::MinSecurity,
        Raw::MinHealth => TokenKind::MinHealth,
        Raw::Invariant => TokenKind::Invariant,
        Raw::Ident => TokenKind::Ident,
        Raw::Symbol => TokenKind::Symbol,
        Raw::MixedWord => {
            lexed.errors.push(error(SyntaxErrorKind::MixedCaseWord {
                text: text.to_string(),
            }));
            TokenKind::Error
        }
        Raw::NumberWord(NumberClass::Number) => TokenKind::Number,
        Raw::NumberWord(NumberClass::Address) => TokenKind::Address,
        Raw::NumberWord(NumberClass::BadNumber) | Raw::DotNumber => {
            lexed.errors.push(error(SyntaxErrorKind::MalformedNumber {
                text: text.to_string(),
            }));
            TokenKind::Error
        }
        Raw::NumberWord(NumberClass::BadAddress) => {
            lexed.errors.push(error(SyntaxErrorKind::MalformedAddress {
                text: text.to_string(),
            }));
            TokenKind::Error
        }
        Raw::LBrace => TokenKind::LBrace,
        Raw::RBrace => TokenKind::RBrace,
        Raw::LParen => TokenKind::LParen,
        Raw::RParen => TokenKind::RParen,
        Raw::Colon => TokenKind::Colon,
        Raw::Assign => TokenKind::Assign,
        Raw::Ge => TokenKind::Ge,
        Raw::Le => TokenKind::Le,
        Raw::Gt => TokenKind::Gt,
        Raw::Lt => TokenKind::Lt,
        Raw::EqEq => TokenKind::EqEq,
        Raw::Ne => TokenKind::Ne,
        Raw::Plus => TokenKind::Plus,
        Raw::Minus => TokenKind::Minus,
        Raw::Star => TokenKind::Star,
        Raw::Slash => TokenKind::Slash,
        Raw::LineComment => {
            lexed.comments.push(Comment {
                kind: CommentKind::Line,
                span,
            });
            TokenKind::LineComment
        }
        Raw::BlockComment(closed) => {
            lexed.comments.push(Comment {
                kind: CommentKind::Block,
                span,
            });
            if closed == Closed::No {
                lexed.unterminated_comment = true;
                // Reported where it opens: the `/*`.
                lexed.errors.push(SyntaxError {
                    kind: SyntaxErrorKind::UnterminatedComment,
                    span: Span::new(span.start, span.start.saturating_add(2).min(span.end)),
                });
            }
            TokenKind::BlockComment
        }
    }
}

#[cfg(test)]
mod tests;
