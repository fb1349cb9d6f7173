//! Deposits: merged, and cancelled against a withdrawal.
//!
//! - **Merge.** Two deposits of one token into one lender in one executor
//!   transaction, with no call to that lender between them, become one
//!   deposit of their sum, made where the second was: `deposit a ; deposit
//!   b = merge a b ; deposit`. The user's deposit and the lender's
//!   liquidity end the same, one call is saved, and the funds of the first
//!   are only carried further (bookkeeping, no call). The merged deposit can
//!   fail only where one of the two could: on an overflow of the deposit or
//!   the liquidity, which the world file's bounds on amounts exclude
//!   (docs/world.md).
//! - **Cancel.** A deposit followed, in the same transaction and with no
//!   call to that lender between, by a withdrawal of the same token and the
//!   same amount from the same lender is the identity on holdings and
//!   balances: both calls go, and what the withdrawal delivered is the wire
//!   that was deposited. Every holding and balance ends the same. A
//!   withdrawal right after a deposit of its amount cannot lack deposit or
//!   liquidity (both grew by it), and the deposit could fail only on
//!   overflow, as above. What the withdrawal still checks is the position's
//!   health: it leaves the position exactly as it was before the deposit,
//!   which must owe nothing or have a health factor of at least 1. That
//!   check stays, where the withdrawal was, as `assume healthy` (no call,
//!   no gas), so the rewritten program reverts exactly where `-O0` does.
//!
//! Cancellations are made first, wherever one applies, and merges only
//! where none is left: a cancellation removes two calls and a merge one,
//! and a merge takes away the deposit a withdrawal would cancel (the sum
//! is not the amount withdrawn), while a cancellation only removes calls
//! that stood between deposits.

use super::walk::{drop_idle_transactions, rename};
use super::{approvals, Context, OptError};
use crate::ir::{Assumption, Node, Op, Program, Sender, Term, Value, Wire, WireType};

pub const NAME: &str = "deposits";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let mut changed = false;
    // Each rewrite removes a deposit, so this ends.
    loop {
        let splits = split_amounts(&program.body);
        let mut wires = std::mem::take(&mut program.wires);
        let rewrite = rewrite_term(&mut program.body, &splits, &mut wires, Law::Cancel)
            .or_else(|| rewrite_term(&mut program.body, &splits, &mut wires, Law::Merge));
        program.wires = wires;
        match rewrite {
            Some(Rewrite::Cancelled {
                delivered,
                deposited,
            }) => {
                rename(&mut program.body, delivered, deposited);
                changed = true;
            }
            Some(Rewrite::Merged) => changed = true,
            None => break,
        }
    }
    if changed {
        approvals::place(program);
        drop_idle_transactions(&mut program.body);
    }
    Ok(())
}

/// Which of the two laws a walk applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Law {
    Cancel,
    Merge,
}

enum Rewrite {
    Merged,
    /// The withdrawal delivered `delivered`; its uses become `deposited`.
    Cancelled {
        delivered: Wire,
        deposited: Wire,
    },
}

/// The amount each split took, by the wire it took it into.
fn split_amounts(term: &Term) -> Vec<(Wire, Value)> {
    let mut out = Vec::new();
    super::walk::for_each_node(term, &mut |node| {
        if let Op::Split { amount, taken, .. } = &node.op {
            out.push((*taken, amount.clone()));
        }
    });
    out
}

fn rewrite_term(
    term: &mut Term,
    splits: &[(Wire, Value)],
    wires: &mut Vec<WireType>,
    law: Law,
) -> Option<Rewrite> {
    match term {
        Term::Gen(_) => None,
        Term::Seq(terms) | Term::Tensor(terms) => terms
            .iter_mut()
            .find_map(|t| rewrite_term(t, splits, wires, law)),
        Term::Tx { sender, body, .. } => {
            if *sender != Sender::Executor {
                return None;
            }
            rewrite_body(body, splits, wires, law)
        }
    }
}

fn op_at(body: &[Term], i: usize) -> Option<&Op> {
    match body.get(i) {
        Some(Term::Gen(node)) => Some(&node.op),
        _ => None,
    }
}

fn rewrite_body(
    body: &mut Vec<Term>,
    splits: &[(Wire, Value)],
    wires: &mut Vec<WireType>,
    law: Law,
) -> Option<Rewrite> {
    for i in 0..body.len() {
        let Some(Op::Deposit { protocol, funds }) = op_at(body, i) else {
            continue;
        };
        let (protocol, funds) = (protocol.clone(), *funds);
        let funds_type = wires.get(funds.0 as usize)?.clone();
        let deposited: Vec<Value> = splits
            .iter()
            .filter(|(w, _)| *w == funds)
            .map(|(_, v)| v.clone())
            .chain(std::iter::once(Value::AmountOf(funds)))
            .collect();
        for j in i + 1..body.len() {
            let Some(op) = op_at(body, j) else {
                // A nested term: do not look past it.
                break;
            };
            match op {
                Op::Withdraw {
                    protocol: p,
                    chain,
                    token,
                    amount,
                    out,
                } if law == Law::Cancel
                    && *p == protocol
                    && *token == funds_type.token()
                    && deposited.contains(amount) =>
                {
                    let delivered = *out;
                    let chain = chain.clone();
                    if let Some(Term::Gen(node)) = body.get_mut(j) {
                        node.op = Op::Assume {
                            chain,
                            protocol: protocol.clone(),
                            assumption: Assumption::Healthy,
                        };
                    }
                    body.remove(i);
                    return Some(Rewrite::Cancelled {
                        delivered,
                        deposited: funds,
                    });
                }
                Op::Deposit {
                    protocol: p,
                    funds: second,
                } if law == Law::Merge
                    && *p == protocol
                    && wires.get(second.0 as usize) == Some(&funds_type) =>
                {
                    let second = *second;
                    let merged = Wire(u32::try_from(wires.len()).ok()?);
                    wires.push(funds_type.clone());
                    let loc = match &body[j] {
                        Term::Gen(node) => node.loc,
                        _ => return None,
                    };
                    if let Some(Term::Gen(node)) = body.get_mut(j) {
                        node.op = Op::Deposit {
                            protocol: protocol.clone(),
                            funds: merged,
                        };
                    }
                    body.insert(
                        j,
                        Term::Gen(Node {
                            op: Op::Merge {
                                inputs: [funds, second],
                                out: merged,
                            },
                            loc,
                        }),
                    );
                    body.remove(i);
                    return Some(Rewrite::Merged);
                }
                other if other.lender() == Some(protocol.as_str()) => break,
                _ => {}
            }
        }
    }
    None
}
