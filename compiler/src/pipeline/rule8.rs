//! Rule 8 judged on the lowering: `deadline` (E0801) and `max_gas` (E0802)
//! at the level in force.
//!
//! The checker's time model counts blocks statement by statement; that
//! count is exact at `-O0`, but at `-O` the optimiser schedules steps by
//! their dependencies alone, so what it sends can take fewer blocks — or,
//! where a cheaper route is slower, more within the deadline. So every
//! bundle that lowers (its only errors, if any, are the model's E0801) is
//! judged on the blocks its lowering takes; the model's E0801 stands only
//! for a bundle with other errors. `max_gas` can only be judged on a
//! lowering: its static gas is exactly what the runtime meters.

use super::{Analysis, Lowerings, OptLevel};
use crate::check::{self, CheckedBundle};
use crate::diagnostic::{Code, Diagnostic, Label};
use crate::ir::gas::{self, Cost};
use mesh_core::amount::display_count;
use mesh_core::GasSchedule;
use mesh_grammar::ast::ConstraintKind;
use mesh_grammar::Span;

/// Judges every bundle of `analysis` at `level`.
pub(super) fn judge(analysis: &mut Analysis, lowerings: &mut Lowerings, level: OptLevel) {
    deadlines(analysis, lowerings, level);
    let exceeded = gas_limits(analysis, lowerings, level);
    analysis.diagnostics.extend(exceeded);
}

/// The error codes reported inside `bundle`.
pub(super) fn errors_in(analysis: &Analysis, bundle: &CheckedBundle) -> Vec<Code> {
    analysis
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter(|d| {
            bundle.span.start <= d.primary.span.start && d.primary.span.start < bundle.span.end
        })
        .map(|d| d.code)
        .collect()
}

/// The span of the first constraint of `bundle` that `is` picks.
fn constraint_span(
    analysis: &Analysis,
    bundle: &CheckedBundle,
    is: fn(&ConstraintKind) -> bool,
) -> Option<Span> {
    analysis
        .syntax_of(bundle)
        .and_then(|a| a.constraints.as_ref())
        .and_then(|c| c.items.iter().find(|i| is(&i.kind)))
        .map(|c| c.span)
}

/// The static cost of the bundle at `index` lowered at `level` (as if it
/// had no errors), when it lowers.
fn lowered_cost(
    analysis: &Analysis,
    lowerings: &mut Lowerings,
    index: usize,
    level: OptLevel,
) -> Option<Cost> {
    let program = lowerings.get(analysis, index, level)?;
    gas::cost(program, &analysis.checked.registry, &GasSchedule::default()).ok()
}

/// E0801 judged on the blocks and the time the lowering takes, for each
/// bundle whose only errors, if any, are the time model's E0801.
fn deadlines(analysis: &mut Analysis, lowerings: &mut Lowerings, level: OptLevel) {
    for index in 0..analysis.checked.bundles.len() {
        let constraints = &analysis.checked.bundles[index].constraints;
        let (deadline, seconds) = (constraints.deadline, constraints.deadline_seconds);
        if deadline.is_none() && seconds.is_none() {
            continue;
        }
        let errors = errors_in(analysis, &analysis.checked.bundles[index]);
        if errors.iter().any(|&code| code != Code::DeadlineMissed) {
            continue;
        }
        // Its only errors are the time model's E0801: it lowers as it is.
        let mut bundle = analysis.checked.bundles[index].clone();
        bundle.has_errors = false;
        let bundle = &bundle;
        let Some(cost) = lowered_cost(analysis, lowerings, index, level) else {
            continue;
        };
        let registry = &analysis.checked.registry;
        let mut missed = Vec::new();
        if let Some(deadline) = deadline {
            let optimised = match level {
                OptLevel::O => Some(cost.blocks),
                OptLevel::O0 => {
                    lowered_cost(analysis, lowerings, index, OptLevel::O).map(|c| c.blocks)
                }
            };
            let is_deadline = |k: &ConstraintKind| matches!(k, ConstraintKind::Deadline(_));
            if let (Some(optimised), Some(span)) =
                (optimised, constraint_span(analysis, bundle, is_deadline))
            {
                missed.extend(check::deadline_missed(
                    deadline,
                    span,
                    level,
                    &bundle.body,
                    registry,
                    cost.blocks,
                    optimised,
                ));
            }
        }
        if let (Some(seconds), Some(time_ms)) = (seconds, cost.time_ms) {
            let is_time = |k: &ConstraintKind| matches!(k, ConstraintKind::DeadlineTime(_));
            if let Some(span) = constraint_span(analysis, bundle, is_time) {
                missed.extend(check::deadline_time_missed(
                    seconds,
                    span,
                    level,
                    &bundle.body,
                    registry,
                    time_ms,
                ));
            }
        }
        analysis.diagnostics.retain(|d| {
            !(d.code == Code::DeadlineMissed
                && bundle.span.start <= d.primary.span.start
                && d.primary.span.start < bundle.span.end)
        });
        if let Some(slot) = analysis.checked.bundles.get_mut(index) {
            slot.has_errors = !missed.is_empty();
        }
        analysis.diagnostics.extend(missed);
    }
}

/// E0802 for every bundle whose `max_gas` is below the gas its lowering
/// costs, computed statically exactly as the runtime meters it.
fn gas_limits(analysis: &Analysis, lowerings: &mut Lowerings, level: OptLevel) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (index, bundle) in analysis.checked.bundles.iter().enumerate() {
        let Some(limit) = bundle.constraints.max_gas else {
            continue;
        };
        if bundle.has_errors || !errors_in(analysis, bundle).is_empty() {
            continue;
        }
        let Some(cost) = lowered_cost(analysis, lowerings, index, level) else {
            continue;
        };
        let total = cost.total();
        if total <= limit {
            continue;
        }
        let is_max_gas = |k: &ConstraintKind| matches!(k, ConstraintKind::MaxGas(_));
        let span = constraint_span(analysis, bundle, is_max_gas).unwrap_or(bundle.span);
        out.push(
            Diagnostic::error(
                Code::GasLimitExceeded,
                format!(
                    "the bundle uses {} gas at {}, more than its max_gas of {}",
                    display_count(total),
                    level.flag(),
                    display_count(limit)
                ),
                Label::new(span, format!("{} gas are needed", display_count(total))),
            )
            .with_hint(format!(
                "as lowered at {}: {}",
                level.flag(),
                cost.breakdown()
            )),
        );
    }
    out
}
