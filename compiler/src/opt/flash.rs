//! Flash-loan formation: a borrow whose obligation is closed in the
//! executor transaction that takes it (and never merged with a loan taken
//! in another one) becomes a flash loan, where the lender offers flash
//! loans. Its repayment is then the pool's pull inside `flashLoanSimple`;
//! the premium is the same, so every holding is unchanged.

use super::{Context, OptError};
use crate::ir::{Op, Program, Sender, Term, Wire};
use mesh_core::Registry;
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "flash-loans";

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    mark_flash_loans(program, cx.registry);
    Ok(())
}

/// Where a debt wire is produced and consumed: (transaction, what it
/// becomes, the other debt merged with it).
#[derive(Default)]
struct DebtFlow {
    produced_in: BTreeMap<Wire, usize>,
    consumed: BTreeMap<Wire, (usize, Option<Wire>, Option<Wire>)>,
    borrows: Vec<(usize, Wire, String)>,
}

fn collect_debts(term: &Term, tx: &mut usize, current: Option<usize>, flow: &mut DebtFlow) {
    match term {
        Term::Gen(node) => {
            let Some(t) = current else { return };
            match &node.op {
                Op::Borrow { debt, protocol, .. } => {
                    flow.produced_in.insert(*debt, t);
                    flow.borrows.push((t, *debt, protocol.clone()));
                }
                Op::FlashLoan {
                    debts, protocol, ..
                } => {
                    for debt in debts {
                        flow.produced_in.insert(*debt, t);
                        flow.borrows.push((t, *debt, protocol.clone()));
                    }
                }
                Op::Repay { debt, rest, .. } => {
                    if let Some(rest) = rest {
                        flow.produced_in.insert(*rest, t);
                    }
                    flow.consumed.insert(*debt, (t, *rest, None));
                }
                Op::Merge { inputs, out } if flow.produced_in.contains_key(&inputs[0]) => {
                    flow.produced_in.insert(*out, t);
                    flow.consumed
                        .insert(inputs[0], (t, Some(*out), Some(inputs[1])));
                    flow.consumed
                        .insert(inputs[1], (t, Some(*out), Some(inputs[0])));
                }
                _ => {}
            }
        }
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms {
                collect_debts(t, tx, current, flow);
            }
        }
        Term::Tx { body, sender, .. } => {
            let index = *tx;
            *tx += 1;
            // Only the executor can take a flash loan.
            let current = (*sender == Sender::Executor).then_some(index);
            for t in body {
                collect_debts(t, tx, current, flow);
            }
        }
    }
}

/// Marks every borrow closed in its own executor transaction as a flash
/// loan (and every other as an ordinary one).
pub(crate) fn mark_flash_loans(program: &mut Program, registry: &Registry) {
    let flash = closed_debts(program, registry);
    super::walk::for_each_op_mut(&mut program.body, &mut |op| {
        if let Op::Borrow { debt, flash: f, .. } = op {
            *f = flash.contains(debt);
        }
    });
}

/// Whether every flash loan of the program (a flash `borrow`, every loan
/// of a multi-asset one) is still closed in the executor transaction that
/// takes it: what a rewrite that moves boxes between transactions must
/// keep.
pub(crate) fn flash_loans_closed(program: &Program, registry: &Registry) -> bool {
    let closed = closed_debts(program, registry);
    let mut all = true;
    super::walk::for_each_node(&program.body, &mut |node| match &node.op {
        Op::Borrow {
            flash: true, debt, ..
        } => all &= closed.contains(debt),
        Op::FlashLoan { debts, .. } => all &= debts.iter().all(|d| closed.contains(d)),
        _ => {}
    });
    all
}

/// The debts of loans closed in the executor transaction that takes them,
/// from lenders that offer flash loans.
fn closed_debts(program: &Program, registry: &Registry) -> BTreeSet<Wire> {
    let mut flow = DebtFlow::default();
    collect_debts(&program.body, &mut 0, None, &mut flow);
    let mut flash = BTreeSet::new();
    for (tx, debt, protocol) in &flow.borrows {
        if !registry.protocol(protocol).is_some_and(|p| p.flash_loans) {
            continue;
        }
        let mut wire = *debt;
        let closed_here = loop {
            match flow.consumed.get(&wire) {
                Some((t, next, other)) if t == tx => {
                    if other.is_some_and(|o| flow.produced_in.get(&o) != Some(tx)) {
                        break false;
                    }
                    match next {
                        None => break true,
                        Some(n) => wire = *n,
                    }
                }
                _ => break false,
            }
        };
        if closed_here {
            flash.insert(*debt);
        }
    }
    flash
}
