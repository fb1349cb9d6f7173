//! The one diagnostic type every phase produces, and its two renderings:
//! ariadne for the terminal and JSON for tools.
//!
//! A phase describes a problem as a [`Diagnostic`]: a severity, a stable code
//! (documented in `docs/codes/` and printed by `meshc explain`), a one-line
//! message, a primary label, secondary labels and an optional hint. Nothing
//! here knows about terminals or editors; the renderers do.

pub mod codes;
mod render;

pub use codes::Code;
pub use render::{render_human, render_json, LineIndex, Position};

use mesh_grammar::Span;

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
            message: message.into(),
        }
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
    /// An edit that resolves it, when there is exactly one: a tool (the
    /// language server's quick fix, `--format json`) may apply it as is.
    /// (Boxed: most diagnostics have none, and every one is moved around.)
    pub fix: Option<Box<Fix>>,
}

/// Replace the text at `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
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
        self.hint = Some(hint.into().into_boxed_str());
        self
    }

    /// The edit that resolves the problem: `replacement` for the text at `span`.
    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Box::new(Fix {
            span,
            replacement: replacement.into(),
        }));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A count with its noun, as messages word it: `1 block`, `3 errors`.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
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
