//! Parsing a source file and turning syntax errors into diagnostics.
//!
//! The grammar crate says *what* went wrong and where ([`SyntaxError`]);
//! this module says it to the user: every message, label and hint for a
//! lexical or syntax error lives here.

use mesh_core::amount::{display_count, group_digits};
use mesh_grammar::{ErrorContext, Parsed, Span, SyntaxError, SyntaxErrorKind, TokenKind};

use crate::diagnostic::{Applicability, Code, Diagnostic, Label};

/// Parses `source`; every lexical and syntax error becomes a diagnostic
/// (E0001–E0007), in source order.
pub fn parse(source: &str) -> (Parsed, Vec<Diagnostic>) {
    let parsed = mesh_grammar::parse(source);
    let diagnostics = parsed
        .errors
        .iter()
        .map(|error| diagnose(source, error))
        .collect();
    (parsed, diagnostics)
}

/// The diagnostic for one syntax error of `source`.
pub fn diagnose(source: &str, error: &SyntaxError) -> Diagnostic {
    let span = error.span;
    match &error.kind {
        SyntaxErrorKind::UnexpectedToken {
            found,
            found_kind,
            expected_tokens,
            context,
            ..
        } => unexpected_token(span, found, *found_kind, expected_tokens, context),
        SyntaxErrorKind::UnexpectedEnd {
            expected_tokens,
            context,
            ..
        } => unexpected_end(source, span, expected_tokens, context),
        SyntaxErrorKind::MalformedNumber { text } => malformed_number(span, text),
        SyntaxErrorKind::MalformedAddress { text } => malformed_address(span, text),
        SyntaxErrorKind::MixedCaseWord { text } => mixed_case_word(span, text),
        SyntaxErrorKind::UnterminatedComment => Diagnostic::error(
            Code::UnterminatedComment,
            "unterminated block comment",
            Label::new(span, "this comment is never closed"),
        )
        .with_label(Label::new(
            Span::new(source.len(), source.len()),
            "the file ends inside the comment",
        ))
        .with_hint(
            "close it with `*/`; block comments nest, so every `/*` inside needs its own `*/`",
        ),
        SyntaxErrorKind::UnexpectedCharacter { text } => unexpected_character(span, text),
        SyntaxErrorKind::AmountTooLong { tokens } => Diagnostic::error(
            Code::AmountTooLong,
            format!("this amount is {} tokens long", display_count(*tokens as u64)),
            Label::new(
                span,
                format!(
                    "more than {} tokens",
                    display_count(mesh_grammar::MAX_AMOUNT_TOKENS as u64)
                ),
            ),
        )
        .with_hint("split the arithmetic over several statements, binding parts with `let`"),
        SyntaxErrorKind::UnclosedBlock {
            found,
            lines_up_with,
            ..
        } => unclosed_block(source, span, *found, *lines_up_with),
        SyntaxErrorKind::NestedTooDeep { limit } => Diagnostic::error(
            Code::NestedTooDeep,
            format!("blocks nested more than {} deep", display_count(*limit as u64)),
            Label::new(
                span,
                format!("this block is nested {} deep", display_count(*limit as u64 + 1)),
            ),
        )
        .with_hint(
            "nothing needs this depth: an `on` block inside another can follow it instead, and nested `parallel` branches can be joined into one `parallel`",
        ),
    }
}

/// The text of a block's header as one line: `on arbitrum {`.
fn header_text(source: &str, span: Span) -> String {
    let text = source.get(span.start..span.end).unwrap_or("{");
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() > 60 {
        "{".to_string()
    } else {
        joined
    }
}

fn unclosed_block(
    source: &str,
    header: Span,
    found: Span,
    lines_up_with: Option<Span>,
) -> Diagnostic {
    let text = header_text(source, header);
    let found_text = source.get(found.start..found.end).unwrap_or("");
    let mut diagnostic = Diagnostic::error(
        Code::UnclosedBlock,
        format!("this `{text}` block is not closed"),
        Label::new(header, "this block has no `}`"),
    );
    match lines_up_with {
        Some(outer) => {
            let outer_text = header_text(source, outer);
            diagnostic = diagnostic
                .with_label(Label::new(
                    found,
                    format!("this `}}` lines up with `{outer_text}`, so it closes that block"),
                ))
                .with_label(Label::new(outer, "the block it lines up with"))
                .with_hint(format!(
                    "add a `}}` indented like `{text}` where the block's statements end"
                ));
        }
        None => {
            diagnostic = diagnostic
                .with_label(Label::new(
                    found,
                    format!("`{found_text}` cannot stand inside a block"),
                ))
                .with_hint(format!(
                    "add a `}}` where the block's statements end, before this `{found_text}`"
                ));
        }
    }
    diagnostic
}

// ------------------------------------------------------------------ lexical

fn malformed_number(span: Span, text: &str) -> Diagnostic {
    let (label, hint) = number_advice(text);
    Diagnostic::error(
        Code::MalformedNumber,
        format!("malformed number `{text}`"),
        Label::new(span, label),
    )
    .with_hint(hint)
}

/// What is wrong with a malformed number word, and how to write it.
fn number_advice(text: &str) -> (String, String) {
    let general = "a number is digits with optional `_` between them and an optional fraction: `1_000_000`, `0.5`";
    if let Some(rest) = text.strip_prefix('.') {
        return (
            "a fraction needs a digit before the `.`".into(),
            format!("write `0.{rest}`"),
        );
    }
    if let Some((mantissa, exponent)) = split_exponent(text) {
        let hint = match expand_exponent(mantissa, exponent) {
            Some(full) => format!("write `{full}`, not `{text}`"),
            None => format!(
                "write the number out in full, with `_` between groups of digits, not `{text}`"
            ),
        };
        return ("numbers have no exponent notation".into(), hint);
    }
    if let Some(letter) = text.find(|c: char| c.is_ascii_alphabetic()) {
        let (number, word) = text.split_at(letter);
        if is_symbol(word) {
            return (
                "a number glued to a token symbol".into(),
                format!("put a space between the amount and its token: `{number} {word}`"),
            );
        }
        let upper = word.to_ascii_uppercase();
        if word.chars().all(|c| c.is_ascii_alphabetic()) && is_symbol(&upper) {
            return (
                "a number glued to a word".into(),
                format!("an amount is a number, a space and an upper-case token symbol: `{number} {upper}`"),
            );
        }
        return ("a number glued to other characters".into(), general.into());
    }
    if text.matches('.').count() > 1 {
        return ("a number has at most one `.`".into(), general.into());
    }
    if text.ends_with('.') {
        let whole = text.trim_end_matches('.');
        return (
            "a fraction needs digits after the `.`".into(),
            format!("write `{whole}` or `{whole}.0`"),
        );
    }
    if text.contains('_') {
        let fixed = fix_underscores(text);
        let hint = if fixed.is_empty() {
            general.to_string()
        } else {
            format!("`_` goes only between two digits: write `{fixed}`")
        };
        return ("misplaced `_` in a number".into(), hint);
    }
    ("not a number".into(), general.into())
}

/// `1e18` → (`1`, 18); `1.5E6` → (`1.5`, 6).
fn split_exponent(text: &str) -> Option<(&str, u32)> {
    let at = text.find(['e', 'E'])?;
    let (mantissa, exponent) = (&text[..at], &text[at + 1..]);
    let valid_mantissa = !mantissa.is_empty()
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
        && mantissa.starts_with(|c: char| c.is_ascii_digit());
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    if !valid_mantissa || exponent.is_empty() || !exponent.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((mantissa, exponent.parse().ok()?))
}

/// Writes `mantissa × 10^exponent` out in full, digits grouped by `_`.
fn expand_exponent(mantissa: &str, exponent: u32) -> Option<String> {
    if exponent > 40 {
        return None;
    }
    let digits: String = mantissa.chars().filter(|c| *c != '_').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    if fraction.contains('.') {
        return None;
    }
    let shift = usize::try_from(exponent).ok()?;
    let (whole, fraction) = if fraction.len() <= shift {
        let zeros = "0".repeat(shift - fraction.len());
        (format!("{whole}{fraction}{zeros}"), String::new())
    } else {
        let (moved, rest) = fraction.split_at(shift);
        (format!("{whole}{moved}"), rest.to_string())
    };
    let trimmed = whole.trim_start_matches('0');
    let whole = if trimmed.is_empty() { "0" } else { trimmed };
    let grouped = group_digits(whole, '_');
    Some(if fraction.is_empty() {
        grouped
    } else {
        format!("{grouped}.{fraction}")
    })
}

/// Keeps `_` only where it separates two digits: `1__000_` → `1_000`.
fn fix_underscores(text: &str) -> String {
    text.split('.')
        .map(|part| {
            part.split('_')
                .filter(|group| !group.is_empty())
                .collect::<Vec<_>>()
                .join("_")
        })
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

fn malformed_address(span: Span, text: &str) -> Diagnostic {
    let digits = text.get(2..).unwrap_or("");
    let label = if text.starts_with("0X") {
        "an address starts with `0x`, lower case".to_string()
    } else if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        format!("`{bad}` is not a hex digit")
    } else {
        match digits.len() {
            0 => "an address has 40 hex digits after `0x`, this one has none".to_string(),
            count => format!("an address has 40 hex digits, this one has {count}"),
        }
    };
    Diagnostic::error(
        Code::MalformedAddress,
        format!("malformed address `{text}`"),
        Label::new(span, label),
    )
    .with_hint(
        "an address is `0x` and exactly 40 hex digits, as in `0x6982508145454Ce325dDbE47a25d4ec3d2311933`",
    )
}

fn mixed_case_word(span: Span, text: &str) -> Diagnostic {
    let lower = text.to_ascii_lowercase();
    let upper = text.to_ascii_uppercase();
    let (label, hint) = if TokenKind::keyword(&lower).is_some() {
        (
            "keywords are lower case".to_string(),
            format!("write `{lower}`"),
        )
    } else if is_symbol(&upper) && upper.len() <= 6 {
        (
            "neither a token symbol nor a name".to_string(),
            format!("token symbols are upper case: `{upper}` (a name would be `{lower}`)"),
        )
    } else if is_symbol(&upper) {
        (
            "neither a name nor a token symbol".to_string(),
            format!("names are lower case: `{lower}` (a token symbol would be `{upper}`)"),
        )
    } else {
        (
            "neither a name nor a token symbol".to_string(),
            format!(
                "names are lower case: `{lower}`; token symbols have only upper-case letters and digits"
            ),
        )
    };
    let message = if text.chars().any(|c| c.is_ascii_lowercase()) {
        format!("`{text}` mixes upper and lower case")
    } else {
        format!("`{text}` is neither a name nor a token symbol")
    };
    let diagnostic =
        Diagnostic::error(Code::MixedCaseWord, message, Label::new(span, label)).with_hint(hint);
    // A keyword in the wrong case has one reading; a word that could be a
    // name or a token symbol has two, and gets no fix.
    if TokenKind::keyword(&lower).is_some() {
        // A keyword's case cannot change what the file means.
        diagnostic.with_fix(span, lower, Applicability::MachineApplicable)
    } else {
        diagnostic
    }
}

fn unexpected_character(span: Span, text: &str) -> Diagnostic {
    let first = text.chars().next().unwrap_or(' ');
    let plural = text.chars().count() > 1;
    let hint = match first {
        ';' | ',' => Some(format!(
            "statements need no separator: remove the `{first}`"
        )),
        '!' => Some("did you mean `!=`?".to_string()),
        '"' | '\'' => Some("Mesh has no strings; names are written bare: `aave`".to_string()),
        '.' => Some("a fraction needs digits on both sides of the `.`: `0.5`".to_string()),
        '#' => Some("comments start with `//`".to_string()),
        '[' | ']' => Some("group amounts with `(` and `)`".to_string()),
        '&' | '|' => Some("branches of `parallel` are joined with `and`".to_string()),
        c if !c.is_ascii() && c.is_alphabetic() => {
            Some("names and token symbols use ASCII letters only".to_string())
        }
        _ => None,
    };
    let message = if plural {
        format!("unexpected characters `{text}`")
    } else {
        format!("unexpected character `{text}`")
    };
    let label = if plural {
        "these characters start no token"
    } else {
        "this character starts no token"
    };
    let diagnostic = Diagnostic::error(Code::UnexpectedCharacter, message, Label::new(span, label));
    match hint {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic,
    }
}

fn is_symbol(word: &str) -> bool {
    let mut chars = word.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_name(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && TokenKind::keyword(word).is_none()
}

// ------------------------------------------------------------------ syntax

const STATEMENTS: &[TokenKind] = &[
    TokenKind::Let,
    TokenKind::Borrow,
    TokenKind::Repay,
    TokenKind::Swap,
    TokenKind::Deposit,
    TokenKind::Withdraw,
    TokenKind::Bridge,
    TokenKind::Input,
    TokenKind::On,
    TokenKind::Parallel,
    TokenKind::Require,
    TokenKind::Assume,
];
const ACTIONS: &[TokenKind] = &[
    TokenKind::Borrow,
    TokenKind::Repay,
    TokenKind::Swap,
    TokenKind::Deposit,
    TokenKind::Withdraw,
    TokenKind::Bridge,
];
const CONSTRAINTS: &[TokenKind] = &[
    TokenKind::Deadline,
    TokenKind::MaxGas,
    TokenKind::MinBalance,
    TokenKind::MinSecurity,
    TokenKind::MinHealth,
    TokenKind::Invariant,
];
const COMPARISONS: &[TokenKind] = &[
    TokenKind::Ge,
    TokenKind::Le,
    TokenKind::Gt,
    TokenKind::Lt,
    TokenKind::EqEq,
    TokenKind::Ne,
];
const OPERATORS: &[TokenKind] = &[
    TokenKind::Plus,
    TokenKind::Minus,
    TokenKind::Star,
    TokenKind::Slash,
];
const AMOUNT_STARTS: &[TokenKind] = &[
    TokenKind::Number,
    TokenKind::All,
    TokenKind::Ident,
    TokenKind::LParen,
];

/// Names what the parser would have accepted, grouping the long lists:
/// "a statement (`let`, `borrow`, `swap`, …) or `}`".
fn expected_phrase(expected: &[TokenKind]) -> String {
    let mut rest: Vec<TokenKind> = expected.to_vec();
    let mut take = |group: &[TokenKind]| {
        let all = group.iter().all(|k| rest.contains(k));
        if all {
            rest.retain(|k| !group.contains(k));
        }
        all
    };
    let statements = take(STATEMENTS);
    let actions = take(ACTIONS);
    let constraints = take(CONSTRAINTS);
    let comparisons = take(COMPARISONS);
    let amount = take(AMOUNT_STARTS);
    let operators = OPERATORS.iter().any(|k| rest.contains(k));
    rest.retain(|k| !OPERATORS.contains(k));

    let mut parts = Vec::new();
    if statements {
        parts.push("a statement (`let`, `borrow`, `swap`, `on`, …)".to_string());
    }
    if actions {
        parts.push(
            "an action (`borrow`, `repay`, `swap`, `deposit`, `withdraw` or `bridge`)".to_string(),
        );
    }
    if constraints {
        parts.push(
            "a constraint (`deadline`, `max_gas`, `min_balance`, `min_security`, `min_health` or `invariant`)"
                .to_string(),
        );
    }
    if comparisons {
        parts.push("a comparison (`>=`, `<=`, `>`, `<`, `==` or `!=`)".to_string());
    }
    if amount {
        parts.push("an amount".to_string());
    }
    parts.extend(rest.iter().map(|k| k.expected_name()));
    if operators {
        parts.push("an operator".to_string());
    }
    match parts.len() {
        0 => "something else".to_string(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {last}", parts.join(", "))
        }
    }
}

/// "the name `frm`", "the keyword `on`", "`}`".
fn found_phrase(kind: TokenKind, text: &str) -> String {
    match kind {
        TokenKind::Ident => format!("the name `{text}`"),
        TokenKind::Symbol => format!("the token symbol `{text}`"),
        TokenKind::Number => format!("the number `{text}`"),
        TokenKind::Address => "an address".to_string(),
        k if k.is_keyword() => format!("the keyword `{text}`"),
        _ => format!("`{text}`"),
    }
}

/// The shape of the construct that starts with `keyword`, for hints.
fn form_of(keyword: TokenKind) -> Option<&'static str> {
    Some(match keyword {
        TokenKind::Let => "a `let` reads `let NAME = ACTION`, as in `let loan = borrow 100 WETH from aave`",
        TokenKind::Borrow => "a `borrow` reads `borrow AMOUNT from PROTOCOL`, optionally `as debt`, as in `borrow 100 WETH from aave`",
        TokenKind::As | TokenKind::Debt => "`as debt` ends a `borrow` whose loan is left open as the user's debt, as in `borrow 5_000 USDC from aave as debt`",
        TokenKind::Assume | TokenKind::Collateral => "an `assume` reads `assume debt AMOUNT at PROTOCOL` or `assume collateral AMOUNT at PROTOCOL`, as in `assume debt 5_000 USDC at compound`",
        TokenKind::Repay => "a `repay` reads `repay AMOUNT to PROTOCOL`, as in `repay 100 WETH to aave`",
        TokenKind::Swap => "a `swap` reads `swap AMOUNT for AMOUNT on EXCHANGE`, as in `swap 1 WETH for 1_900 USDC on uniswap_v2`",
        TokenKind::Deposit => "a `deposit` reads `deposit AMOUNT into PROTOCOL`, as in `deposit 50 WETH into aave`",
        TokenKind::Withdraw => "a `withdraw` reads `withdraw AMOUNT from PROTOCOL`, as in `withdraw 50 WETH from compound`",
        TokenKind::Bridge => "a `bridge` reads `bridge AMOUNT to CHAIN`, optionally `via ROUTE`, as in `bridge 1 WETH to arbitrum via zk`",
        TokenKind::Input => "an `input` reads `input AMOUNT`, as in `input 100 USDC`",
        TokenKind::On => "an `on` block reads `on CHAIN { ... }`, as in `on arbitrum { ... }`",
        TokenKind::Parallel => "a `parallel` reads `parallel { ... } and { ... }`, with `and` between branches",
        TokenKind::Require => "a `require` reads `require AMOUNT CMP AMOUNT`, as in `require all USDC >= 100 USDC`",
        TokenKind::Token => "a token declaration reads `token SYMBOL decimals NUMBER`, optionally `at ADDRESS`",
        TokenKind::Bundle => "a bundle reads `bundle NAME on CHAIN { ... }`, optionally followed by `constraints { ... }`",
        TokenKind::Constraints => "constraints read `constraints { deadline: 20 ... }`",
        TokenKind::Deadline => "a deadline reads `deadline: BLOCKS`, as in `deadline: 20`",
        TokenKind::MaxGas => "a gas limit reads `max_gas: GAS`, as in `max_gas: 1_000_000`",
        TokenKind::MinBalance => "a minimum balance reads `min_balance: AMOUNT`, optionally `on CHAIN`",
        TokenKind::MinSecurity => "a trust floor reads `min_security: KIND`, as in `min_security: zk`",
        TokenKind::MinHealth => "a health floor reads `min_health: FACTOR`, as in `min_health: 1.5`",
        TokenKind::Invariant => "an invariant reads `invariant: NAME`, as in `invariant: constant_product`",
        _ => return None,
    })
}

fn unexpected_token(
    span: Span,
    found: &str,
    found_kind: TokenKind,
    expected: &[TokenKind],
    context: &ErrorContext,
) -> Diagnostic {
    let found_text = found_phrase(found_kind, found);
    let wants = |k: TokenKind| expected.contains(&k);
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {}, found {found_text}", expected_phrase(expected))
    };

    let mut hint: Option<String> = None;
    let mut label = format!("unexpected {}", short_found(found_kind));
    if found_kind.is_keyword() && wants(TokenKind::Ident) {
        label = format!("`{found}` is a keyword");
        hint = Some(format!(
            "keywords are reserved and cannot be names; choose another name, such as `{found}_1`"
        ));
    } else if found_kind == TokenKind::Symbol
        && wants(TokenKind::Ident)
        && !wants(TokenKind::Symbol)
    {
        let lower = found.to_ascii_lowercase();
        if is_name(&lower) {
            label = "a token symbol where a name belongs".into();
            hint = Some(format!("names are lower case: `{lower}`"));
        }
    } else if found_kind == TokenKind::Ident
        && wants(TokenKind::Symbol)
        && is_symbol(&found.to_ascii_uppercase())
    {
        label = "a name where a token symbol belongs".into();
        hint = Some(format!(
            "token symbols are upper case: `{}`",
            found.to_ascii_uppercase()
        ));
    } else if found_kind == TokenKind::Assign && wants(TokenKind::EqEq) {
        label = "`=` does not compare".into();
        hint = Some("compare with `==`; a single `=` only binds a name in `let`".into());
    } else if found_kind == TokenKind::RBrace
        && !wants(TokenKind::RBrace)
        && expected.iter().all(|k| {
            *k == TokenKind::Bundle || *k == TokenKind::Token || *k == TokenKind::Constraints
        })
    {
        label = "this `}` closes nothing".into();
        hint = Some("remove it, or look for the `{` it was meant to close".into());
    } else if STATEMENTS.contains(&found_kind)
        && expected.iter().all(|k| {
            matches!(
                k,
                TokenKind::Bundle | TokenKind::Token | TokenKind::Constraints
            )
        })
    {
        label = "a statement outside any bundle".into();
        hint = Some("statements go inside a bundle: `bundle NAME on CHAIN { ... }`".into());
    }

    // A name where only keywords would do, close to one of them: a
    // misspelt keyword (`deadlin`, `frm`, `borow`).
    let mut fix = None;
    if found_kind == TokenKind::Ident {
        let keywords = expected
            .iter()
            .filter_map(|k| k.text())
            .filter(|t| t.chars().next().is_some_and(|c| c.is_ascii_lowercase()));
        if let Some(keyword) = crate::diagnostic::suggest::suggest(found, keywords) {
            hint = Some(format!("did you mean `{keyword}`?"));
            fix = Some(keyword);
        }
    }

    let mut diagnostic = Diagnostic::error(Code::UnexpectedToken, message, Label::new(span, label));
    if let Some(keyword) = fix {
        diagnostic = diagnostic.with_fix(span, keyword, Applicability::MachineApplicable);
    }
    if let Some(brace) = context.open_brace {
        diagnostic = diagnostic.with_label(Label::new(brace, "this `{` is never closed"));
        hint = Some(format!(
            "add a `}}` before this `{found}` to close the block"
        ));
    }
    if let Some(construct) = context.construct {
        let keyword = construct.kind.text().unwrap_or("");
        if context.open_brace.is_none() && construct.span.end <= span.start {
            diagnostic =
                diagnostic.with_label(Label::new(construct.span, format!("in this `{keyword}`")));
        }
        if hint.is_none() {
            hint = form_of(construct.kind).map(str::to_string);
        }
    }
    match hint {
        Some(hint) => diagnostic.with_hint(hint),
        None => diagnostic,
    }
}

fn short_found(kind: TokenKind) -> String {
    match kind {
        TokenKind::Ident => "name".into(),
        TokenKind::Symbol => "token symbol".into(),
        TokenKind::Number => "number".into(),
        TokenKind::Address => "address".into(),
        k if k.is_keyword() => "keyword".into(),
        k => format!("`{}`", k.text().unwrap_or("?")),
    }
}

fn unexpected_end(
    source: &str,
    span: Span,
    expected: &[TokenKind],
    context: &ErrorContext,
) -> Diagnostic {
    let at_end = Span::new(span.start.min(source.len()), span.start.min(source.len()));
    if let Some(brace) = context.open_brace {
        return Diagnostic::error(
            Code::UnexpectedEnd,
            "unexpected end of file: a block is not closed",
            Label::new(at_end, "expected `}` here"),
        )
        .with_label(Label::new(brace, "this `{` is never closed"))
        .with_hint("add the missing `}`");
    }
    let mut diagnostic = Diagnostic::error(
        Code::UnexpectedEnd,
        "unexpected end of file",
        Label::new(
            at_end,
            format!("expected {} here", expected_phrase(expected)),
        ),
    );
    if let Some(construct) = context.construct {
        let keyword = construct.kind.text().unwrap_or("");
        diagnostic = diagnostic.with_label(Label::new(
            construct.span,
            format!("this `{keyword}` is incomplete"),
        ));
        if let Some(form) = form_of(construct.kind) {
            diagnostic = diagnostic.with_hint(form);
        }
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_are_written_out() {
        assert_eq!(
            expand_exponent("1", 18).as_deref(),
            Some("1_000_000_000_000_000_000")
        );
        assert_eq!(expand_exponent("1", 6).as_deref(), Some("1_000_000"));
        assert_eq!(expand_exponent("1.5", 3).as_deref(), Some("1_500"));
        assert_eq!(expand_exponent("2.25", 1).as_deref(), Some("22.5"));
        assert_eq!(expand_exponent("0.5", 0).as_deref(), Some("0.5"));
        assert_eq!(expand_exponent("1", 41), None);
        assert_eq!(split_exponent("1e18"), Some(("1", 18)));
        assert_eq!(split_exponent("1.5E+6"), Some(("1.5", 6)));
        assert_eq!(split_exponent("1eth"), None);
    }

    #[test]
    fn underscores_are_fixed() {
        assert_eq!(fix_underscores("1__0"), "1_0");
        assert_eq!(fix_underscores("1_"), "1");
        assert_eq!(fix_underscores("1_000_.5_"), "1_000.5");
        assert_eq!(group_digits("1234567", '_'), "1_234_567");
        assert_eq!(group_digits("123", '_'), "123");
    }

    #[test]
    fn expected_lists_are_grouped() {
        assert_eq!(
            expected_phrase(&[TokenKind::From, TokenKind::Plus, TokenKind::Minus]),
            "`from` or an operator"
        );
        let mut stmt = STATEMENTS.to_vec();
        stmt.push(TokenKind::RBrace);
        assert_eq!(
            expected_phrase(&stmt),
            "a statement (`let`, `borrow`, `swap`, `on`, …) or `}`"
        );
        assert_eq!(expected_phrase(AMOUNT_STARTS), "an amount");
        assert_eq!(expected_phrase(&[TokenKind::Ident]), "a name");
        assert_eq!(
            expected_phrase(&[TokenKind::Bundle, TokenKind::Token]),
            "`bundle` or `token`"
        );
    }
}
