//! The one diagnostic type every phase produces, and its two renderings:
//! ariadne for the terminal and JSON for tools.
//!
//! A phase describes a problem as a [`Diagnostic`]: a severity, a stable code
//! (documented in `docs/codes/` and printed by `meshc explain`), a one-line
//! message, a primary label, secondary labels and an optional hint. Nothing
//! here knows about terminals or editors; the renderers do.
//!
//! Module map: [`codes`] the stable codes and their pages; `human` the
//! terminal rendering; `render` positions in a file and the JSON
//! rendering; [`suggest`] the "did you mean" of every phase's hints.

pub mod codes;
mod human;
mod render;
pub mod suggest;

pub use codes::Code;
pub use human::{render_human, HumanRenderer};
pub use render::{render_json, LineIndex, Position};

use mesh_grammar::Span;
use std::borrow::Cow;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A message attached to a span of the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: escaped(message.into()),
        }
    }
}

/// `text` with every control or invisible character written as an escape
/// (`\0`, `\t`, `\u{feff}`): a message quotes the source (the character
/// that starts no token, a word), and must neither print a NUL or an escape
/// sequence to the terminal nor show an empty pair of backquotes.
pub fn escape_invisible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_invisible(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A control character, or one that shows nothing or reorders what follows
/// it: zero-width characters, bidirectional controls, the byte-order mark,
/// line and paragraph separators.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

fn escaped(text: String) -> String {
    match escape_invisible(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(escaped) => escaped,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    /// One line, lower case, no final full stop: "possible overdraft of WETH on arbitrum".
    pub message: String,
    /// Where the problem is; its message says what is wrong right there.
    pub primary: Label,
    /// Other places that explain the problem (the step that was expected to
    /// provide the funds, the other branch of a `parallel`, ...).
    pub secondary: Vec<Label>,
    /// What to do about it, when there is something useful to say.
    pub hint: Option<Box<str>>,
    /// An edit that resolves it, when there is exactly one, with how safe it
    /// is to apply unasked (see [`Applicability`]).
    /// (Boxed: most diagnostics have none, and every one is moved around.)
    pub fix: Option<Box<Fix>>,
}

/// Replace the text at `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    pub applicability: Applicability,
}

/// Whether a fix may be applied without a person reading it first, as
/// rustc's suggestions say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Applicability {
    /// It cannot change what the file means: layout, or a keyword's
    /// spelling or case. `meshc check --fix` applies it, and editors may
    /// apply it on their own (the language server marks it preferred).
    MachineApplicable,
    /// Most likely what was meant, but it may change what the file does: a
    /// name suggested for an unknown one (`USDE` → `USDC` would trade
    /// another asset). Offered, never applied unasked.
    MaybeIncorrect,
}

impl Applicability {
    /// The word `--format json` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "machine-applicable",
            Applicability::MaybeIncorrect => "maybe-incorrect",
        }
    }
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: escaped(message.into()),
            primary,
            secondary: Vec::new(),
            hint: None,
            fix: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, primary)
        }
    }

    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.secondary.push(label);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(escaped(hint.into()).into_boxed_str());
        self
    }

    /// The edit that resolves the problem: `replacement` for the text at
    /// `span`, and whether it may be applied unasked.
    pub fn with_fix(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        applicability: Applicability,
    ) -> Diagnostic {
        self.fix = Some(Box::new(Fix {
            span,
            replacement: replacement.into(),
            applicability,
        }));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `source` with the machine-applicable fix of every diagnostic that has
/// one applied, and how many were. A fix that may change what the file
/// means ([`Applicability::MaybeIncorrect`]) is never applied here. Fixes are
/// applied in the order of the file; one that overlaps a fix already taken
/// is left for a later round.
pub fn apply_fixes(source: &str, diagnostics: &[Diagnostic]) -> (String, usize) {
    let mut fixes: Vec<&Fix> = diagnostics
        .iter()
        .filter_map(|d| d.fix.as_deref())
        .filter(|f| f.applicability == Applicability::MachineApplicable)
        .collect();
    fixes.sort_by_key(|f| (f.span.start, f.span.end));
    let mut out = String::with_capacity(source.len());
    let (mut done, mut applied) = (0usize, 0usize);
    for fix in fixes {
        let (start, end) = (fix.span.start, fix.span.end);
        if start < done || end > source.len() || start > end {
            continue;
        }
        let (Some(before), Some(_)) = (source.get(done..start), source.get(start..end)) else {
            continue;
        };
        out.push_str(before);
        out.push_str(&fix.replacement);
        done = end;
        applied += 1;
    }
    out.push_str(source.get(done..).unwrap_or(""));
    (out, applied)
}

/// A count with its noun, as messages word it: `1 block`, `3 errors`.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", mesh_core::amount::display_count(n))
    }
}

/// Sorts diagnostics by position (then severity, then code), the order in
/// which they are reported.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (
            a.primary.span.start,
            a.primary.span.end,
            a.severity,
            a.code.as_str(),
        )
            .cmp(&(
                b.primary.span.start,
                b.primary.span.end,
                b.severity,
                b.code.as_str(),
            ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_fix(start: usize, end: usize, replacement: &str) -> Diagnostic {
        Diagnostic::error(Code::MixedCaseWord, "m", Label::new(Span::new(0, 0), "")).with_fix(
            Span::new(start, end),
            replacement,
            Applicability::MachineApplicable,
        )
    }

    #[test]
    fn fixes_are_applied_in_order_and_overlaps_wait() {
        let source = "from aavee to sushi";
        let fixes = [
            with_fix(14, 19, "sushiswap"),
            with_fix(5, 10, "aave"),
            // Overlaps the first fix taken: left for a later round.
            with_fix(7, 12, "x"),
            // Out of the text: ignored.
            with_fix(18, 40, "y"),
            Diagnostic::error(
                Code::UnknownProtocol,
                "no fix",
                Label::new(Span::new(0, 4), ""),
            ),
        ];
        assert_eq!(
            apply_fixes(source, &fixes),
            ("from aave to sushiswap".to_string(), 2)
        );
        assert_eq!(apply_fixes(source, &[]), (source.to_string(), 0));
    }

    #[test]
    fn a_fix_that_may_change_the_meaning_is_never_applied() {
        let source = "swap 1 USDE for 1 WETH on aave";
        let suggestion = Diagnostic::error(
            Code::UnknownToken,
            "unknown token `USDE`",
            Label::new(Span::new(7, 11), ""),
        )
        .with_fix(Span::new(7, 11), "USDC", Applicability::MaybeIncorrect);
        let case = with_fix(0, 4, "swap");
        assert_eq!(
            apply_fixes(source, std::slice::from_ref(&suggestion)),
            (source.to_string(), 0)
        );
        assert_eq!(apply_fixes(source, &[suggestion, case]).1, 1);
    }
}
