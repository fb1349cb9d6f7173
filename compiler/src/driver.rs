//! Runs the phases over one source file and gathers every problem they find.

use crate::check::{self, CheckOptions, Checked};
use crate::diagnostic::{self, Diagnostic};
use mesh_grammar::{Item, Parsed, Span};
use mesh_runtime::Registry;

/// Everything the front end learnt about one source file.
pub struct Analysis {
    pub parsed: Parsed,
    pub checked: Checked,
    /// Syntax and checker diagnostics together, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }
}

/// Parses and checks `source` against `registry`.
///
/// A bundle that has a syntax error is not checked: the checker would only
/// guess at what was meant and report knock-on errors. Every other bundle of
/// the file is, so one run still reports every independent problem.
pub fn analyse(source: &str, registry: &Registry, options: &CheckOptions) -> Analysis {
    let (parsed, mut diagnostics) = crate::syntax::parse(source);
    let checked = check::check(&parsed.file, registry, options);

    let broken: Vec<Span> = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Bundle(bundle) => Some(bundle.span),
            Item::Token(_) | Item::Error(_) => None,
        })
        .filter(|bundle| {
            parsed
                .errors
                .iter()
                .any(|e| bundle.start <= e.span.start && e.span.start < bundle.end)
        })
        .collect();
    diagnostics.extend(checked.diagnostics.iter().filter(|d| {
        !broken
            .iter()
            .any(|b| b.start <= d.primary.span.start && d.primary.span.start < b.end)
    }).cloned());
    diagnostic::sort(&mut diagnostics);

    Analysis {
        parsed,
        checked,
        diagnostics,
    }
}
