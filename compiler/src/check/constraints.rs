//! The `constraints` block: values in range (rule 10), each constraint at
//! most once (rule 2), known invariants (rule 1), and the deadline judged on
//! the schedule (rule 8).

use super::amount::{whole_number, Site};
use super::bundle::BundleChecker;
use super::names::{self, ChainId, TokenId};
use super::resolved::{Invariant, MinBalance, ResolvedConstraints};
use super::schedule::{explain, Cost};
use super::OptLevel;
use crate::diagnostic::{counted, Code, Diagnostic, Label};
use mesh_core::BridgeKind;
use mesh_grammar::{ConstraintKind, Constraints, Number, Span};
use std::collections::HashMap;

/// A `min_balance` to compare with the final holdings (W0004).
#[derive(Clone, Debug)]
pub(crate) struct MinBalanceCheck {
    pub chain: ChainId,
    pub token: TokenId,
    pub base_units: u128,
    pub span: Span,
}

/// The constraints, resolved, and what is judged once the body is checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConstraintsOutcome {
    pub resolved: ResolvedConstraints,
    pub min_balances: Vec<MinBalanceCheck>,
    pub deadline_span: Option<Span>,
    /// Where `min_security` is, for the labels of E0703.
    pub min_security_span: Option<Span>,
}

impl BundleChecker<'_, '_> {
    pub(crate) fn constraints(
        &mut self,
        constraints: Option<&Constraints>,
        home: Option<ChainId>,
    ) -> ConstraintsOutcome {
        let mut out = ConstraintsOutcome::default();
        let Some(constraints) = constraints else {
            return out;
        };
        // The first occurrence of each constraint, by what it constrains.
        let mut first: HashMap<String, Span> = HashMap::new();
        for constraint in &constraints.items {
            let key = match &constraint.kind {
                ConstraintKind::Deadline(_) => Some("`deadline`".to_string()),
                ConstraintKind::MaxGas(_) => Some("`max_gas`".to_string()),
                ConstraintKind::MinSecurity(_) => Some("`min_security`".to_string()),
                ConstraintKind::MinHealth(_) => Some("`min_health`".to_string()),
                ConstraintKind::Invariant(name) => Some(format!("`invariant: {}`", name.name)),
                ConstraintKind::MinBalance { .. } | ConstraintKind::Error => None,
            };
            if let Some(key) = key {
                if self.duplicate(&mut first, key, constraint.span) {
                    continue;
                }
            }
            match &constraint.kind {
                ConstraintKind::Deadline(n) => {
                    out.resolved.deadline = self.whole(n);
                    out.deadline_span = Some(constraint.span);
                }
                ConstraintKind::MaxGas(n) => {
                    out.resolved.max_gas = self.whole(n);
                }
                ConstraintKind::MinSecurity(name) => match BridgeKind::from_name(&name.name) {
                    Some(kind) => {
                        out.resolved.min_security = Some(kind);
                        out.min_security_span = Some(constraint.span);
                    }
                    None => self.report(names::unknown(
                        Code::UnknownRoute,
                        "bridge kind",
                        &name.name,
                        name.span,
                        BridgeKind::ALL.map(BridgeKind::as_str),
                    )),
                },
                ConstraintKind::MinHealth(n) => {
                    out.resolved.min_health = self.health_factor(n);
                }
                ConstraintKind::Invariant(name) => {
                    if let Some(invariant) = Invariant::from_name(&name.name) {
                        out.resolved.invariants.push(invariant);
                    } else {
                        self.report(names::unknown(
                            Code::UnknownInvariant,
                            "invariant",
                            &name.name,
                            name.span,
                            Invariant::ALL.map(Invariant::as_str),
                        ));
                    }
                }
                ConstraintKind::MinBalance { amount, chain } => {
                    let chain = match chain {
                        Some(ident) => self.resolve_chain(&ident.name, ident.span),
                        None => home,
                    };
                    let Some(amt) = self.token_amount(amount, Site::Constraint) else {
                        continue;
                    };
                    let Some(chain) = chain else { continue };
                    let key = format!(
                        "`min_balance` of {} on {}",
                        self.names.symbol(amt.token),
                        self.names.chain_name(chain)
                    );
                    if self.duplicate(&mut first, key, constraint.span) {
                        continue;
                    }
                    if !self.token_available(amt.token, chain, amount.span) {
                        continue;
                    }
                    let Some(base_units) = amt.value.exact() else {
                        continue;
                    };
                    out.resolved.min_balances.push(MinBalance {
                        token: self.names.symbol(amt.token).to_string(),
                        chain: self.names.chain_name(chain).to_string(),
                        base_units,
                        span: constraint.span,
                    });
                    out.min_balances.push(MinBalanceCheck {
                        chain,
                        token: amt.token,
                        base_units,
                        span: constraint.span,
                    });
                }
                ConstraintKind::Error => self.has_errors = true,
            }
        }
        out
    }

    fn whole(&mut self, number: &Number) -> Option<u64> {
        let mut found = Vec::new();
        let value = whole_number(number, u64::MAX, &mut found);
        for d in found {
            self.report(d);
        }
        value
    }

    /// A health factor as `min_health` takes it: a number of at least 1,
    /// with at most 18 decimals, in wads.
    fn health_factor(&mut self, number: &Number) -> Option<u128> {
        let wad = mesh_core::health::WAD;
        match mesh_core::amount::parse_units(&number.text, 18) {
            Ok(v) if v >= wad => Some(v),
            Ok(_) => {
                self.report(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!("`min_health: {}` is below 1", number.text),
                        Label::new(number.span, "a health factor below 1"),
                    )
                    .with_hint(
                        "no borrow or withdrawal may leave a position below 1 (it could be liquidated), so this would ask nothing; write 1 or more, as in `min_health: 1.5`",
                    ),
                );
                None
            }
            Err(_) => {
                self.report(
                    Diagnostic::error(
                        Code::OutOfRange,
                        format!("`min_health: {}` cannot be a health factor", number.text),
                        Label::new(number.span, "too large, or more than 18 decimals"),
                    )
                    .with_hint("a health factor has at most 18 decimals, as Aave V3's wads; write it as in `min_health: 1.5`"),
                );
                None
            }
        }
    }

    /// Reports a constraint given twice; true if it was.
    fn duplicate(&mut self, first: &mut HashMap<String, Span>, key: String, span: Span) -> bool {
        if let Some(&earlier) = first.get(&key) {
            self.report(
                Diagnostic::error(
                    Code::DuplicateConstraint,
                    format!("{key} is given twice"),
                    Label::new(span, "given again here"),
                )
                .with_label(Label::new(earlier, "first given here"))
                .with_hint("keep one of them"),
            );
            return true;
        }
        first.insert(key, span);
        false
    }

    /// E0801 when the bundle takes more blocks than its deadline at the
    /// level in force, by the time model. The pipeline judges it again on the
    /// lowered program wherever one exists ([`deadline_missed`]).
    pub(crate) fn judge_deadline(
        &mut self,
        deadline: Option<u64>,
        span: Option<Span>,
        level: OptLevel,
        cost: &Cost,
        optimised_blocks: u64,
    ) {
        let (Some(deadline), Some(span)) = (deadline, span) else {
            return;
        };
        if cost.blocks <= deadline {
            return;
        }
        self.report(missed(
            deadline,
            span,
            level,
            cost,
            cost.blocks,
            optimised_blocks,
        ));
    }
}

/// E0801 judged on what the lowered program takes: `blocks` at `level`
/// (`optimised_blocks` at `-O`), explained with the time model's
/// transactions and bridge delays for `body`; `None` when it is met.
pub(crate) fn deadline_missed(
    deadline: u64,
    span: Span,
    level: OptLevel,
    body: &super::resolved::ResolvedBlock,
    blocks: u64,
    optimised_blocks: u64,
) -> Option<Diagnostic> {
    if blocks <= deadline {
        return None;
    }
    let cost = super::schedule::Schedule::new(level).block(body);
    Some(missed(
        deadline,
        span,
        level,
        &cost,
        blocks,
        optimised_blocks,
    ))
}

fn missed(
    deadline: u64,
    span: Span,
    level: OptLevel,
    cost: &Cost,
    blocks: u64,
    optimised_blocks: u64,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        Code::DeadlineMissed,
        format!(
            "the bundle takes {} at {}, more than its deadline of {deadline}",
            counted(blocks, "block"),
            level.flag()
        ),
        Label::new(span, format!("{} needed", counted(blocks, "block"))),
    );
    for (at, kind, delay) in cost.delays.iter().take(4) {
        d = d.with_label(Label::new(
            *at,
            format!("this bridge adds {} ({kind})", counted(*delay, "block")),
        ));
    }
    let mut hint = match level {
        OptLevel::O0 => format!(
            "at -O0 every action and every approval is its own transaction: {}",
            explain(cost)
        ),
        OptLevel::O if cost.blocks == blocks => format!("at -O: {}", explain(cost)),
        OptLevel::O => format!(
            "at -O, statement by statement: {}; independent steps joined and run side by side take {blocks}",
            explain(cost)
        ),
    };
    if level == OptLevel::O0 && optimised_blocks <= deadline {
        hint.push_str(&format!(
            "; at -O (the default) the bundle takes {} and meets the deadline",
            counted(optimised_blocks, "block")
        ));
    } else {
        hint.push_str(
            "; raise the deadline, pin faster routes (`via zk`), or run independent steps in `parallel`",
        );
    }
    d.with_hint(hint)
}
