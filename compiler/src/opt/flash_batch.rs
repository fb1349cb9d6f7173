//! Multi-asset flash loans: flash loans of different tokens from one
//! lender in one executor transaction become one call, Aave V3's
//! multi-asset `flashLoan`, taken where the first of them was.
//!
//! Why it preserves meaning: each loan lends the same amount, opens the
//! same obligation with the same premium and must be closed in the same
//! transaction as before; the lender's reserves of different tokens are
//! independent, so a loan moved earlier sees the same liquidity unless a
//! box between touches that lender's reserve of its own token, which the
//! law refuses. A loan moves only when every wire its amount reads is made
//! before the first loan. Each loan of the call stays all or nothing on its
//! own and answerable at its own statement, as the runtime takes it, so a
//! failing run reverts on the same line.
//!
//! The call saves an inner call per loan after the first but costs
//! `flash_loan_multi_asset` once and `flash_loan_extra_asset` per further
//! loan instead of `flash_loan`: a group is joined only where the meter
//! says it saves (on the measured rows, three loans or more).

use super::walk::drop_idle_transactions;
use super::{approvals, Context, OptError};
use crate::ir::{gas, Node, Op, Program, Sender, Term, Value, Wire};

pub const NAME: &str = "flash-batching";

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    let mut changed = false;
    let mut tried = 0usize;
    // Each kept rewrite removes a call; each candidate is tried once.
    loop {
        let before = program.clone();
        let Some(()) = join_nth(&mut program.body, &program.wires.clone(), tried) else {
            break;
        };
        let cost = |p: &Program| {
            gas::cost(p, cx.registry, cx.schedule)
                .map(|c| c.total())
                .map_err(|e| OptError {
                    pass: NAME,
                    message: e.to_string(),
                })
        };
        if cost(program)? < cost(&before)? {
            changed = true;
        } else {
            *program = before;
            tried += 1;
        }
    }
    if changed {
        approvals::place(program);
        drop_idle_transactions(&mut program.body);
    }
    Ok(())
}

/// Joins the `skip`-th group of flash loans that can be joined, in program
/// order; `None` when there are no more.
fn join_nth(term: &mut Term, wires: &[crate::ir::WireType], mut skip: usize) -> Option<()> {
    match term {
        Term::Gen(_) => None,
        Term::Seq(terms) | Term::Tensor(terms) => terms.iter_mut().find_map(|t| {
            let found = count_groups(t, wires);
            if skip >= found {
                skip -= found;
                None
            } else {
                join_nth(t, wires, skip)
            }
        }),
        Term::Tx { sender, body, .. } => {
            if *sender != Sender::Executor {
                return None;
            }
            let groups = groups(body, wires);
            let group = groups.get(skip)?;
            join(body, group);
            Some(())
        }
    }
}

fn count_groups(term: &Term, wires: &[crate::ir::WireType]) -> usize {
    match term {
        Term::Gen(_) => 0,
        Term::Seq(terms) | Term::Tensor(terms) => {
            terms.iter().map(|t| count_groups(t, wires)).sum()
        }
        Term::Tx { sender, body, .. } if *sender == Sender::Executor => groups(body, wires).len(),
        Term::Tx { .. } => 0,
    }
}

/// One flash loan of a transaction's body, by index.
struct Loan<'a> {
    protocol: &'a str,
    amount: &'a Value,
    funds: Wire,
    debt: Wire,
}

fn loan(term: &Term) -> Option<Loan<'_>> {
    match term {
        Term::Gen(Node {
            op:
                Op::Borrow {
                    protocol,
                    amount,
                    flash: true,
                    funds,
                    debt,
                },
            ..
        }) => Some(Loan {
            protocol,
            amount,
            funds: *funds,
            debt: *debt,
        }),
        _ => None,
    }
}

/// The groups of a transaction's body that can be joined: for each flash
/// loan, it and every later flash loan of another token from the same
/// lender that can move up to it (indices into `body`).
fn groups(body: &[Term], wires: &[crate::ir::WireType]) -> Vec<Vec<usize>> {
    let token = |w: Wire| wires.get(w.0 as usize).map(|t| t.token().to_string());
    let mut out = Vec::new();
    let mut used = Vec::new();
    for i in 0..body.len() {
        if used.contains(&i) {
            continue;
        }
        let Some(first) = loan(&body[i]) else {
            continue;
        };
        let mut group = vec![i];
        let mut tokens = vec![token(first.funds)];
        for j in i + 1..body.len() {
            let Some(later) = loan(&body[j]) else {
                if !matches!(body[j], Term::Gen(_)) {
                    // A nested term: do not look past it.
                    break;
                }
                continue;
            };
            let t = token(later.funds);
            if later.protocol != first.protocol || tokens.contains(&t) {
                continue;
            }
            if can_move_up(body, i, j, &later, t.as_deref(), wires) {
                group.push(j);
                tokens.push(t);
            }
        }
        if group.len() >= 2 {
            used.extend(group.iter().copied());
            out.push(group);
        }
    }
    out
}

/// Whether the loan at `j` may be taken at `i` instead: no box between
/// makes a wire its amount reads, and none touches its lender's reserve of
/// its token.
fn can_move_up(
    body: &[Term],
    i: usize,
    j: usize,
    later: &Loan<'_>,
    token: Option<&str>,
    wires: &[crate::ir::WireType],
) -> bool {
    let mut read = Vec::new();
    later.amount.wires(&mut read);
    body[i..j].iter().all(|term| {
        let Term::Gen(node) = term else {
            return false;
        };
        let makes_read = node.op.codomain().iter().any(|w| read.contains(w));
        let touches = lender_token(&node.op, wires)
            .is_some_and(|(p, t)| p == later.protocol && Some(t.as_str()) == token);
        !makes_read && !touches
    })
}

/// The lender and token a box calls about, if it calls a lender.
fn lender_token(op: &Op, wires: &[crate::ir::WireType]) -> Option<(String, String)> {
    let token = |w: &Wire| wires.get(w.0 as usize).map(|t| t.token().to_string());
    match op {
        Op::Borrow {
            protocol, funds, ..
        }
        | Op::Repay {
            protocol, funds, ..
        }
        | Op::Deposit { protocol, funds } => Some((protocol.clone(), token(funds)?)),
        Op::Withdraw {
            protocol, token, ..
        } => Some((protocol.clone(), token.clone())),
        _ => None,
    }
}

/// Replaces the loans at `group` (indices, the first the earliest) by one
/// multi-asset flash loan where the first was.
fn join(body: &mut Vec<Term>, group: &[usize]) {
    let Some(&first) = group.first() else {
        return;
    };
    let mut protocol = String::new();
    let (mut amounts, mut funds, mut debts, mut locs) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for &k in group {
        if let Term::Gen(node) = &body[k] {
            if let Some(l) = loan(&body[k]) {
                protocol = l.protocol.to_string();
                amounts.push(l.amount.clone());
                funds.push(l.funds);
                debts.push(l.debt);
                locs.push(node.loc);
            }
        }
    }
    let loc = locs.first().copied().unwrap_or_default();
    for &k in group.iter().skip(1).rev() {
        body.remove(k);
    }
    body[first] = Term::Gen(Node {
        op: Op::FlashLoan {
            protocol,
            amounts,
            funds,
            debts,
            locs,
        },
        loc,
    });
}
