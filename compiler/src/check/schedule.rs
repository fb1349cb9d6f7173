//! The time model (rule 8): blocks a bundle takes as each optimisation level
//! lowers it.
//!
//! `-O0` (the user by hand): every action is its own transaction (1 block),
//! preceded by an approval transaction (1 block) when it is the first to
//! hand a token to a protocol or bridge (`Approvals`); an unpinned bridge
//! takes the most trusted route.
//! `-O` (an executor): a maximal run of consecutive same-chain actions of one
//! statement sequence is one transaction; a bridge ends its transaction;
//! `on` and `parallel` start new runs; an unpinned bridge takes the cheapest
//! route in gas whose fee is no higher. Bridges add their route's delay;
//! sequential statements add up; `parallel` takes its longest branch.

use super::resolved::{Approvals, ResolvedBlock, ResolvedStatement, StepKind};
use super::OptLevel;
use mesh_core::BridgeKind;
use mesh_grammar::Span;

/// Blocks along the bundle's longest path and where they come from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Cost {
    pub blocks: u64,
    /// Transactions on the longest path, approvals included.
    pub transactions: u64,
    pub approvals: u64,
    /// Each bridge on the longest path: where, its route's kind and delay.
    pub delays: Vec<(Span, BridgeKind, u64)>,
}

impl Cost {
    fn then(&mut self, next: Cost) {
        self.blocks = self.blocks.saturating_add(next.blocks);
        self.transactions = self.transactions.saturating_add(next.transactions);
        self.approvals = self.approvals.saturating_add(next.approvals);
        self.delays.extend(next.delays);
    }

    fn transaction(&mut self) {
        self.blocks = self.blocks.saturating_add(1);
        self.transactions = self.transactions.saturating_add(1);
    }
}

/// Computes the cost of a bundle at one level and the transaction that
/// carries each action (numbered in source order from 0).
pub(crate) struct Schedule {
    level: OptLevel,
    next_transaction: usize,
    pub transactions: Vec<(Span, usize)>,
    /// At `-O0`: the approvals granted so far.
    approvals: Approvals,
}

impl Schedule {
    pub fn new(level: OptLevel) -> Schedule {
        Schedule {
            level,
            next_transaction: 0,
            transactions: Vec::new(),
            approvals: Approvals::default(),
        }
    }

    pub fn block(&mut self, block: &ResolvedBlock) -> Cost {
        let mut cost = Cost::default();
        // At -O: the chain of the transaction still open, if any.
        let mut run: Option<&str> = None;
        for statement in &block.statements {
            match statement {
                ResolvedStatement::Step(step) if step.kind.is_action() => {
                    let route = match &step.kind {
                        StepKind::Bridge { route, .. } => Some(match self.level {
                            OptLevel::O0 => route.o0,
                            OptLevel::O => route.o,
                        }),
                        _ => None,
                    };
                    match self.level {
                        OptLevel::O0 => {
                            if self.approvals.grant(step).is_some() {
                                cost.transaction();
                                cost.approvals = cost.approvals.saturating_add(1);
                                self.next_transaction += 1;
                            }
                            cost.transaction();
                            self.transactions.push((step.span, self.next_transaction));
                            self.next_transaction += 1;
                        }
                        OptLevel::O => {
                            if run != Some(step.chain.as_str()) {
                                cost.transaction();
                                self.next_transaction += 1;
                                run = Some(step.chain.as_str());
                            }
                            self.transactions
                                .push((step.span, self.next_transaction.saturating_sub(1)));
                        }
                    }
                    if let Some(route) = route {
                        cost.blocks = cost.blocks.saturating_add(route.delay_blocks);
                        cost.delays
                            .push((step.span, route.kind, route.delay_blocks));
                        run = None;
                    }
                }
                // `input` and `require` take no transaction of their own.
                ResolvedStatement::Step(_) => {}
                ResolvedStatement::On { block, .. } => {
                    run = None;
                    let inner = self.block(block);
                    cost.then(inner);
                }
                ResolvedStatement::Parallel { branches, .. } => {
                    run = None;
                    let before = self.approvals.clone();
                    let mut after = before.clone();
                    let mut longest = Cost::default();
                    for branch in branches {
                        self.approvals = before.clone();
                        let inner = self.block(branch);
                        after.join(std::mem::take(&mut self.approvals));
                        if inner.blocks >= longest.blocks {
                            longest = inner;
                        }
                    }
                    self.approvals = after;
                    cost.then(longest);
                }
            }
        }
        cost
    }
}

/// "9 transactions (5 of them approvals) and bridge delays of 5 (htlb) + 5
/// (htlb) blocks".
pub(crate) fn explain(cost: &Cost) -> String {
    let mut text = format!(
        "{} transaction{}",
        cost.transactions,
        if cost.transactions == 1 { "" } else { "s" }
    );
    if cost.approvals > 0 {
        text.push_str(&format!(
            " ({} of them approval{})",
            cost.approvals,
            if cost.approvals == 1 { "" } else { "s" }
        ));
    }
    if !cost.delays.is_empty() {
        let delays: Vec<String> = cost
            .delays
            .iter()
            .map(|(_, kind, delay)| format!("{delay} ({kind})"))
            .collect();
        text.push_str(&format!(
            " and bridge delay{} of {} block{}",
            if delays.len() == 1 { "" } else { "s" },
            delays.join(" + "),
            if cost.delays.len() == 1 && cost.delays[0].2 == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    text
}
