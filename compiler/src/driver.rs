//! Runs the phases over one source file and gathers every problem they find.

use crate::check::{self, CheckOptions, Checked};
use crate::diagnostic::{self, Diagnostic};
use mesh_grammar::{Item, Parsed, Span, SyntaxErrorKind};
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
/// A bundle or token declaration that has a syntax error is not checked:
/// the checker would only guess at what was meant (the parser reads a word
/// it could not lex as what it most likely is) and report knock-on errors.
/// Every other item of the file is, so one run still reports every
/// independent problem.
pub fn analyse(source: &str, registry: &Registry, options: &CheckOptions) -> Analysis {
    let (parsed, mut diagnostics) = crate::syntax::parse(source);
    let checked = check::check(&parsed.file, registry, options);

    // Items are in source order, and so are the syntax errors: each look-up
    // is a binary search.
    let broken: Vec<Span> = parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Bundle(bundle) => Some(bundle.span),
            Item::Token(token) => Some(token.span),
            Item::Error(_) => None,
        })
        .filter(|item| {
            let first = parsed.errors.partition_point(|e| e.span.start < item.start);
            parsed.errors[first..]
                .iter()
                .take_while(|e| e.span.start <= item.end)
                .any(|e| {
                    // A file that ends inside a bundle is parsed as if it
                    // were closed there; its end-of-file error sits at its
                    // very end.
                    let at_end = matches!(e.kind, SyntaxErrorKind::UnexpectedEnd { .. })
                        && e.span.start == item.end;
                    e.span.start < item.end || at_end
                })
        })
        .collect();
    let in_broken = |offset: usize| {
        let after = broken.partition_point(|b| b.start <= offset);
        after
            .checked_sub(1)
            .and_then(|i| broken.get(i))
            .is_some_and(|b| offset < b.end)
    };
    diagnostics.extend(
        checked
            .diagnostics
            .iter()
            .filter(|d| !in_broken(d.primary.span.start))
            .cloned(),
    );
    let mut analysis = Analysis {
        parsed,
        checked,
        diagnostics,
    };
    let only_deadlines = analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .all(|d| d.code == crate::diagnostic::Code::DeadlineMissed);
    if only_deadlines {
        deadlines(source, &mut analysis, options);
    }
    if !analysis.has_errors() {
        let exceeded = gas_limits(source, &analysis, options);
        analysis.diagnostics.extend(exceeded);
    }
    diagnostic::sort(&mut analysis.diagnostics);
    analysis
}

/// The span of the first constraint of `bundle` that `is` picks.
fn constraint_span(
    analysis: &Analysis,
    bundle: &crate::check::CheckedBundle,
    is: fn(&mesh_grammar::ast::ConstraintKind) -> bool,
) -> Option<Span> {
    crate::lower::find_ast(&analysis.parsed.file, bundle)
        .and_then(|a| a.constraints.as_ref())
        .and_then(|c| c.items.iter().find(|i| is(&i.kind)))
        .map(|c| c.span)
}

/// The static cost of `bundle` lowered at `level`, when it lowers.
fn lowered_cost(
    source: &str,
    analysis: &Analysis,
    bundle: &crate::check::CheckedBundle,
    level: crate::check::OptLevel,
) -> Option<crate::ir::gas::Cost> {
    let input = crate::lower::Input::new(source, analysis, bundle);
    let program = crate::lower::lower(bundle, &input, level).ok()?;
    let schedule = mesh_runtime::GasSchedule::standard();
    crate::ir::gas::cost(&program, &analysis.checked.registry, &schedule).ok()
}

// ----- rule 8, time: `deadline` judged on the lowering at the chosen level -

/// E0801 judged on the blocks the lowering takes (the optimiser may join
/// and parallelise independent steps, which the checker's statement-by-
/// statement count does not foresee). That count is exact at `-O0` and an
/// upper bound at `-O`, so only a bundle it already finds late can change:
/// only those are lowered. The checker's E0801 stands for a bundle that
/// does not lower.
fn deadlines(source: &str, analysis: &mut Analysis, options: &CheckOptions) {
    use crate::check::OptLevel;
    use crate::diagnostic::Code;
    use mesh_grammar::ast::ConstraintKind;
    // Where the checker's E0801s point: few, so each bundle looks them up.
    let late: Vec<usize> = analysis
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::DeadlineMissed)
        .map(|d| d.primary.span.start)
        .collect();
    if late.is_empty() {
        return;
    }
    for index in 0..analysis.checked.bundles.len() {
        let Some(deadline) = analysis.checked.bundles[index].constraints.deadline else {
            continue;
        };
        let span_of = analysis.checked.bundles[index].span;
        if !late
            .iter()
            .any(|&at| span_of.start <= at && at < span_of.end)
        {
            continue;
        }
        // Its only errors, if any, are the time model's E0801 (the caller
        // makes sure): the bundle lowers as it is.
        let mut bundle = analysis.checked.bundles[index].clone();
        bundle.has_errors = false;
        let bundle = &bundle;
        let blocks_at = |level| lowered_cost(source, analysis, bundle, level).map(|c| c.blocks);
        let Some(blocks) = blocks_at(options.level) else {
            continue;
        };
        let optimised = match options.level {
            OptLevel::O => Some(blocks),
            OptLevel::O0 => blocks_at(OptLevel::O),
        };
        let Some(optimised) = optimised else {
            continue;
        };
        let is_deadline = |k: &ConstraintKind| matches!(k, ConstraintKind::Deadline(_));
        let Some(span) = constraint_span(analysis, bundle, is_deadline) else {
            continue;
        };
        analysis.diagnostics.retain(|d| {
            !(d.code == Code::DeadlineMissed
                && bundle.span.start <= d.primary.span.start
                && d.primary.span.start < bundle.span.end)
        });
        let missed = check::deadline_missed(
            deadline,
            span,
            options.level,
            &bundle.body,
            blocks,
            optimised,
        );
        if let Some(slot) = analysis.checked.bundles.get_mut(index) {
            slot.has_errors = missed.is_some();
        }
        analysis.diagnostics.extend(missed);
    }
}

// ----- rule 8, gas: `max_gas` judged on the lowering at the chosen level --

/// E0802 for every bundle whose `max_gas` is below the gas its lowering
/// costs, computed statically exactly as the runtime meters it.
fn gas_limits(source: &str, analysis: &Analysis, options: &CheckOptions) -> Vec<Diagnostic> {
    use crate::diagnostic::{Code, Label};
    use mesh_grammar::ast::ConstraintKind;
    let mut out = Vec::new();
    for bundle in &analysis.checked.bundles {
        let Some(limit) = bundle.constraints.max_gas else {
            continue;
        };
        let Some(cost) = lowered_cost(source, analysis, bundle, options.level) else {
            continue;
        };
        let total = cost.total();
        if total <= limit {
            continue;
        }
        let is_max_gas = |k: &ConstraintKind| matches!(k, ConstraintKind::MaxGas(_));
        let span = constraint_span(analysis, bundle, is_max_gas).unwrap_or(bundle.span);
        let thousands = mesh_runtime::amount::thousands;
        out.push(
            Diagnostic::error(
                Code::GasLimitExceeded,
                format!(
                    "the bundle uses {} gas at {}, more than its max_gas of {}",
                    thousands(total),
                    options.level.flag(),
                    thousands(limit)
                ),
                Label::new(span, format!("{} gas are needed", thousands(total))),
            )
            .with_hint(format!(
                "as lowered at {}: {}",
                options.level.flag(),
                cost.breakdown()
            )),
        );
    }
    out
}
