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
use std::collections::BTreeMap;

pub const NAME: &str = "deposits";

/// Cancellations first, wherever one applies (each removes a deposit, so
/// they end), then every merge in one walk of each transaction. A merge
/// never makes a cancellation possible: the sum is a new wire, which no
/// split took and no withdrawal names, and the deposit it takes away had
/// no call to that lender behind it up to the one that takes the sum. Nor
/// does it give an earlier deposit a partner, so one walk from the first
/// deposit to the last makes every merge that merging one at a time, from
/// the start each time, would make, in the same order and with the same
/// wires — in time linear in the transaction, not quadratic.
pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let mut changed = false;
    loop {
        let splits = split_amounts(&program.body);
        let Some((delivered, deposited)) = cancel_term(&mut program.body, &splits, &program.wires)
        else {
            break;
        };
        rename(&mut program.body, delivered, deposited);
        changed = true;
    }
    if merge_term(&mut program.body, &mut program.wires) {
        changed = true;
    }
    if changed {
        approvals::place(program);
        drop_idle_transactions(&mut program.body);
    }
    Ok(())
}

/// The amounts each split took, by the wire it took them into.
fn split_amounts(term: &Term) -> BTreeMap<Wire, Vec<Value>> {
    let mut out: BTreeMap<Wire, Vec<Value>> = BTreeMap::new();
    super::walk::for_each_node(term, &mut |node| {
        if let Op::Split { amount, taken, .. } = &node.op {
            out.entry(*taken).or_default().push(amount.clone());
        }
    });
    out
}

/// The first cancellation in the program, made: the wire the withdrawal
/// delivered and the wire that was deposited, whose uses it becomes.
fn cancel_term(
    term: &mut Term,
    splits: &BTreeMap<Wire, Vec<Value>>,
    wires: &[WireType],
) -> Option<(Wire, Wire)> {
    match term {
        Term::Gen(_) => None,
        Term::Seq(terms) | Term::Tensor(terms) => {
            terms.iter_mut().find_map(|t| cancel_term(t, splits, wires))
        }
        Term::Tx { sender, body, .. } => {
            if *sender != Sender::Executor {
                return None;
            }
            cancel_body(body, splits, wires)
        }
    }
}

fn op_at(body: &[Term], i: usize) -> Option<&Op> {
    match body.get(i) {
        Some(Term::Gen(node)) => Some(&node.op),
        _ => None,
    }
}

fn cancel_body(
    body: &mut Vec<Term>,
    splits: &BTreeMap<Wire, Vec<Value>>,
    wires: &[WireType],
) -> Option<(Wire, Wire)> {
    for i in 0..body.len() {
        let Some(Op::Deposit { protocol, funds }) = op_at(body, i) else {
            continue;
        };
        let (protocol, funds) = (protocol.clone(), *funds);
        let funds_type = wires.get(funds.0 as usize)?;
        let amount_of = Value::AmountOf(funds);
        let split = splits.get(&funds).map_or(&[][..], Vec::as_slice);
        let deposited = |v: &Value| *v == amount_of || split.contains(v);
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
                } if *p == protocol && *token == funds_type.token() && deposited(amount) => {
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
                    return Some((delivered, funds));
                }
                other if other.lender() == Some(protocol.as_str()) => break,
                _ => {}
            }
        }
    }
    None
}

/// Makes every merge of deposits in the program's executor transactions;
/// whether it made one.
fn merge_term(term: &mut Term, wires: &mut Vec<WireType>) -> bool {
    match term {
        Term::Gen(_) => false,
        Term::Seq(terms) | Term::Tensor(terms) => terms
            .iter_mut()
            .fold(false, |merged, t| merge_term(t, wires) | merged),
        Term::Tx { sender, body, .. } => *sender == Sender::Executor && merge_body(body, wires),
    }
}

/// One walk of a transaction's body: each deposit, from the first, is
/// merged into the next deposit of its token into its lender, unless a
/// call to that lender or a nested term comes first. The deposit that
/// takes the sum is met later in the walk and may be merged on in turn.
fn merge_body(body: &mut Vec<Term>, wires: &mut Vec<WireType>) -> bool {
    // A deposit merged away leaves an empty slot; the merge goes in before
    // the deposit that takes the sum, when the body is put back together.
    let mut slots: Vec<Option<Term>> = std::mem::take(body).into_iter().map(Some).collect();
    let mut merges: BTreeMap<usize, Term> = BTreeMap::new();
    for i in 0..slots.len() {
        let Some(Term::Gen(Node {
            op: Op::Deposit { protocol, funds },
            ..
        })) = &slots[i]
        else {
            continue;
        };
        let (protocol, funds) = (protocol.clone(), *funds);
        let Some(funds_type) = wires.get(funds.0 as usize).cloned() else {
            continue;
        };
        for j in i + 1..slots.len() {
            // Slots behind `i` only are empty: a walk never meets one.
            let Some(Term::Gen(node)) = &mut slots[j] else {
                // A nested term: do not look past it.
                break;
            };
            match &node.op {
                Op::Deposit {
                    protocol: p,
                    funds: second,
                } if *p == protocol && wires.get(second.0 as usize) == Some(&funds_type) => {
                    let second = *second;
                    let Ok(index) = u32::try_from(wires.len()) else {
                        break;
                    };
                    let merged = Wire(index);
                    wires.push(funds_type.clone());
                    node.op = Op::Deposit {
                        protocol: protocol.clone(),
                        funds: merged,
                    };
                    let loc = node.loc;
                    merges.insert(
                        j,
                        Term::Gen(Node {
                            op: Op::Merge {
                                inputs: [funds, second],
                                out: merged,
                            },
                            loc,
                        }),
                    );
                    slots[i] = None;
                    break;
                }
                other if other.lender() == Some(protocol.as_str()) => break,
                _ => {}
            }
        }
    }
    let merged = !merges.is_empty();
    body.reserve(slots.len());
    for (j, slot) in slots.into_iter().enumerate() {
        if let Some(merge) = merges.remove(&j) {
            body.push(merge);
        }
        body.extend(slot);
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Loc;
    use proptest::prelude::*;

    /// Merging as the law reads, one merge at a time: the first deposit of
    /// the program that has a partner is merged into it, and the search
    /// starts again from the top. The one walk must do exactly this.
    fn merge_one_at_a_time(term: &mut Term, wires: &mut Vec<WireType>) {
        fn first(term: &mut Term, wires: &mut Vec<WireType>) -> bool {
            match term {
                Term::Gen(_) => false,
                Term::Seq(terms) | Term::Tensor(terms) => terms.iter_mut().any(|t| first(t, wires)),
                Term::Tx { sender, body, .. } => *sender == Sender::Executor && one(body, wires),
            }
        }
        fn one(body: &mut Vec<Term>, wires: &mut Vec<WireType>) -> bool {
            for i in 0..body.len() {
                let Some(Op::Deposit { protocol, funds }) = op_at(body, i) else {
                    continue;
                };
                let (protocol, funds) = (protocol.clone(), *funds);
                let funds_type = wires[funds.0 as usize].clone();
                for j in i + 1..body.len() {
                    let Some(op) = op_at(body, j) else { break };
                    match op {
                        Op::Deposit {
                            protocol: p,
                            funds: second,
                        } if *p == protocol && wires[second.0 as usize] == funds_type => {
                            let second = *second;
                            let merged = Wire(wires.len() as u32);
                            wires.push(funds_type);
                            let Term::Gen(node) = &mut body[j] else {
                                return false;
                            };
                            node.op = Op::Deposit {
                                protocol,
                                funds: merged,
                            };
                            let loc = node.loc;
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
                            return true;
                        }
                        other if other.lender() == Some(protocol.as_str()) => break,
                        _ => {}
                    }
                }
            }
            false
        }
        while first(term, wires) {}
    }

    /// One step of a generated transaction body.
    #[derive(Clone, Debug)]
    enum Step {
        Deposit(usize, usize),
        Withdraw(usize, usize),
        Input(usize),
        Nested,
    }

    const LENDERS: [&str; 2] = ["aave", "compound"];
    const TOKENS: [&str; 2] = ["USDC", "WETH"];

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..2usize, 0..2usize).prop_map(|(p, t)| Step::Deposit(p, t)),
            1 => (0..2usize, 0..2usize).prop_map(|(p, t)| Step::Withdraw(p, t)),
            1 => (0..2usize).prop_map(Step::Input),
            1 => Just(Step::Nested),
        ]
    }

    /// A program of transactions, each a body of `steps`, sent by the
    /// executor or (`false`) the wallet.
    fn program(txs: &[(bool, Vec<Step>)]) -> (Term, Vec<WireType>) {
        let mut wires = Vec::new();
        let fresh = |token: usize, wires: &mut Vec<WireType>| {
            wires.push(WireType::Funds {
                chain: "polygon".to_string(),
                token: TOKENS[token].to_string(),
            });
            Wire(wires.len() as u32 - 1)
        };
        let mut terms = Vec::new();
        for (n, (executor, steps)) in txs.iter().enumerate() {
            let mut body = Vec::new();
            for (k, s) in steps.iter().enumerate() {
                let loc = Loc::new(n as u32 + 1, k as u32 + 1);
                let op = match *s {
                    Step::Deposit(p, t) => Op::Deposit {
                        protocol: LENDERS[p].to_string(),
                        funds: fresh(t, &mut wires),
                    },
                    Step::Withdraw(p, t) => Op::Withdraw {
                        protocol: LENDERS[p].to_string(),
                        chain: "polygon".to_string(),
                        token: TOKENS[t].to_string(),
                        amount: Value::Const(1),
                        out: fresh(t, &mut wires),
                    },
                    Step::Input(t) => Op::Input {
                        chain: "polygon".to_string(),
                        token: TOKENS[t].to_string(),
                        amount: Value::Const(1),
                        out: fresh(t, &mut wires),
                    },
                    Step::Nested => {
                        body.push(Term::Seq(Vec::new()));
                        continue;
                    }
                };
                body.push(Term::Gen(Node { op, loc }));
            }
            terms.push(Term::Tx {
                chain: "polygon".to_string(),
                sender: if *executor {
                    Sender::Executor
                } else {
                    Sender::Wallet
                },
                body,
            });
        }
        (Term::Seq(terms), wires)
    }

    proptest! {
        #[test]
        fn one_walk_merges_as_one_merge_at_a_time_does(
            txs in prop::collection::vec(
                (prop::bool::weighted(0.8), prop::collection::vec(step(), 0..40)),
                1..4,
            ),
        ) {
            let (term, wires) = program(&txs);
            let before = wires.len();
            let (mut walked, mut walked_wires) = (term.clone(), wires.clone());
            let merged = merge_term(&mut walked, &mut walked_wires);
            let (mut reference, mut reference_wires) = (term, wires);
            merge_one_at_a_time(&mut reference, &mut reference_wires);
            prop_assert_eq!(merged, walked_wires.len() > before);
            prop_assert_eq!(&walked, &reference);
            prop_assert_eq!(&walked_wires, &reference_wires);
        }
    }

    /// A long run of deposits of one token into one lender becomes one
    /// deposit of their sum, each merge taking the one before.
    #[test]
    fn a_run_of_deposits_merges_into_one() {
        let steps = vec![Step::Deposit(0, 0); 1000];
        let (mut term, mut wires) = program(&[(true, steps)]);
        assert!(merge_term(&mut term, &mut wires));
        let Term::Seq(txs) = &term else {
            panic!("{term:?}")
        };
        let [Term::Tx { body, .. }] = txs.as_slice() else {
            panic!("{term:?}")
        };
        assert_eq!(body.len(), 1000, "999 merges and the deposit of the sum");
        assert!(matches!(
            body.last(),
            Some(Term::Gen(Node {
                op: Op::Deposit {
                    funds: Wire(1998),
                    ..
                },
                ..
            }))
        ));
        assert_eq!(wires.len(), 1999);
    }
}
