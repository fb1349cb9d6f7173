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
    let mut checked = check::check(&parsed.file, registry, options);

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
    diagnostics.extend(
        checked
            .diagnostics
            .iter()
            .filter(|d| {
                !broken
                    .iter()
                    .any(|b| b.start <= d.primary.span.start && d.primary.span.start < b.end)
            })
            .cloned(),
    );
    let only_deadlines = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .all(|d| d.code == crate::diagnostic::Code::DeadlineMissed);
    if only_deadlines {
        deadlines(source, &parsed, &mut checked, options, &mut diagnostics);
    }
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(gas_limits(source, &parsed, &checked, options));
    }
    diagnostic::sort(&mut diagnostics);

    Analysis {
        parsed,
        checked,
        diagnostics,
    }
}

// ----- rule 8, time: `deadline` judged on the lowering at the chosen level -

/// The blocks of `bundle` lowered at `level`, when it lowers.
fn lowered_blocks(
    source: &str,
    parsed: &Parsed,
    checked: &Checked,
    bundle: &crate::check::CheckedBundle,
    level: crate::check::OptLevel,
) -> Option<u64> {
    let input = crate::lower::Input {
        source,
        ast: crate::lower::find_ast(&parsed.file, bundle),
        registry: &checked.registry,
    };
    let program = crate::lower::lower(bundle, &input, level).ok()?;
    let schedule = mesh_runtime::GasSchedule::standard();
    crate::ir::gas::cost(&program, &checked.registry, &schedule)
        .ok()
        .map(|cost| cost.blocks)
}

/// E0801 for every bundle whose deadline is below the blocks its lowering
/// takes (the optimiser may join and parallelise independent steps, which
/// the checker's statement-by-statement model does not foresee). The
/// checker's E0801 stands for a bundle that does not lower.
fn deadlines(
    source: &str,
    parsed: &Parsed,
    checked: &mut Checked,
    options: &CheckOptions,
    diagnostics: &mut Vec<Diagnostic>,
) {
    use crate::check::OptLevel;
    use crate::diagnostic::Code;
    use mesh_grammar::ast::ConstraintKind;
    for index in 0..checked.bundles.len() {
        let Some(deadline) = checked.bundles[index].constraints.deadline else {
            continue;
        };
        // Its only errors, if any, are the time model's E0801 (the caller
        // makes sure): the bundle lowers as it is.
        let mut bundle = checked.bundles[index].clone();
        bundle.has_errors = false;
        let bundle = &bundle;
        let Some(blocks) = lowered_blocks(source, parsed, checked, bundle, options.level) else {
            continue;
        };
        let optimised = match options.level {
            OptLevel::O => Some(blocks),
            OptLevel::O0 => lowered_blocks(source, parsed, checked, bundle, OptLevel::O),
        };
        let Some(optimised) = optimised else {
            continue;
        };
        let ast = crate::lower::find_ast(&parsed.file, bundle);
        let Some(span) = ast
            .and_then(|a| a.constraints.as_ref())
            .and_then(|c| {
                c.items
                    .iter()
                    .find(|i| matches!(i.kind, ConstraintKind::Deadline(_)))
            })
            .map(|c| c.span)
        else {
            continue;
        };
        diagnostics.retain(|d| {
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
        if let Some(slot) = checked.bundles.get_mut(index) {
            slot.has_errors = missed.is_some();
        }
        diagnostics.extend(missed);
    }
}

// ----- rule 8, gas: `max_gas` judged on the lowering at the chosen level --

/// E0802 for every bundle whose `max_gas` is below the gas its lowering
/// costs, computed statically exactly as the runtime meters it.
fn gas_limits(
    source: &str,
    parsed: &Parsed,
    checked: &Checked,
    options: &CheckOptions,
) -> Vec<Diagnostic> {
    use crate::diagnostic::{Code, Label};
    use mesh_grammar::ast::ConstraintKind;
    let mut out = Vec::new();
    for bundle in &checked.bundles {
        let Some(limit) = bundle.constraints.max_gas else {
            continue;
        };
        let ast = crate::lower::find_ast(&parsed.file, bundle);
        let input = crate::lower::Input {
            source,
            ast,
            registry: &checked.registry,
        };
        let Ok(program) = crate::lower::lower(bundle, &input, options.level) else {
            continue;
        };
        let schedule = mesh_runtime::GasSchedule::standard();
        let Ok(cost) = crate::ir::gas::cost(&program, &checked.registry, &schedule) else {
            continue;
        };
        let total = cost.total();
        if total <= limit {
            continue;
        }
        let span = ast
            .and_then(|a| a.constraints.as_ref())
            .and_then(|c| {
                c.items
                    .iter()
                    .find(|i| matches!(i.kind, ConstraintKind::MaxGas(_)))
            })
            .map_or(bundle.span, |c| c.span);
        let thousands = crate::ir::gas::thousands;
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
