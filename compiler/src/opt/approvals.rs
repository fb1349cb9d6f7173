//! The executor's approvals, placed from scratch: one grant per (chain,
//! token, spender), inside the transaction of the first action that spends
//! that token to that spender, just before the action (and the split that
//! takes what it spends); none for the native coin, which has no `approve`.
//! Wallet transactions keep theirs, which the lowering placed the same way
//! (`check::Approvals`). Passes that change who spends what (grouping,
//! fusion, route choice) call [`place`] after they rewrite.

use crate::ir::{Node, Op, Program, Sender, Spender, Term, WireType};
use std::collections::BTreeSet;

type Key = (String, String, Spender);

/// Removes every executor approval and grants each one once, where first needed.
pub fn place(program: &mut Program) {
    let mut granted = BTreeSet::new();
    place_term(&mut program.body, false, &program.wires, &mut granted);
}

/// The approvals an action needs: for each token it hands over, the
/// chain, the token, and to whom (a bridge batch hands over several); the
/// native coin needs none.
pub fn spend_keys(op: &Op, wires: &[WireType]) -> Vec<Key> {
    let mut keys = handed_over(op, wires);
    keys.retain(|(_, token, _)| !mesh_core::registry::is_native_coin(token));
    keys
}

/// For each token an action hands over: the chain, the token, and to whom.
fn handed_over(op: &Op, wires: &[WireType]) -> Vec<Key> {
    let ty = |w: crate::ir::Wire| wires.get(w.0 as usize);
    let key = |w: crate::ir::Wire, spender: Spender| {
        ty(w).map(|t| (t.chain().to_string(), t.token().to_string(), spender))
    };
    match op {
        Op::Swap {
            exchanges,
            path,
            input,
            ..
        } => ty(*input)
            .zip(path.first())
            .zip(exchanges.first())
            .map(|((t, token), exchange)| {
                (
                    t.chain().to_string(),
                    token.clone(),
                    Spender::Protocol(exchange.clone()),
                )
            })
            .into_iter()
            .collect(),
        Op::Repay {
            protocol, funds, ..
        }
        | Op::RepayDebt { protocol, funds }
        | Op::Deposit { protocol, funds } => key(*funds, Spender::Protocol(protocol.clone()))
            .into_iter()
            .collect(),
        Op::Bridge { route, input, .. } => {
            key(*input, Spender::Bridge(*route)).into_iter().collect()
        }
        Op::BridgeBatch { route, inputs, .. } => inputs
            .iter()
            .filter_map(|w| key(*w, Spender::Bridge(*route)))
            .collect(),
        _ => Vec::new(),
    }
}

fn place_term(term: &mut Term, inside: bool, wires: &[WireType], granted: &mut BTreeSet<Key>) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(list) => place_list(list, inside, wires, granted),
        Term::Tensor(branches) => {
            for b in branches {
                place_term(b, inside, wires, granted);
            }
        }
        Term::Tx { sender, body, .. } => {
            place_list(body, *sender == Sender::Executor, wires, granted)
        }
    }
}

fn place_list(list: &mut Vec<Term>, inside: bool, wires: &[WireType], granted: &mut BTreeSet<Key>) {
    let old = std::mem::take(list);
    for mut term in old {
        match &mut term {
            Term::Gen(node) if inside => {
                if matches!(node.op, Op::Approve { .. }) {
                    continue;
                }
                // A direct pair swap moves the executor's own tokens with
                // `transfer`: no allowance to grant (docs/gas.md).
                let needs_allowance = !matches!(node.op, Op::Swap { .. });
                let keys = if needs_allowance {
                    spend_keys(&node.op, wires)
                } else {
                    Vec::new()
                };
                for key in keys {
                    if granted.insert(key.clone()) {
                        let consumed = node.op.domain();
                        let at = match list.last() {
                            Some(Term::Gen(Node {
                                op: Op::Split { taken, .. },
                                ..
                            })) if consumed.contains(taken) => list.len() - 1,
                            _ => list.len(),
                        };
                        let (chain, token, spender) = key;
                        list.insert(
                            at,
                            Term::Gen(Node {
                                op: Op::Approve {
                                    chain,
                                    token,
                                    spender,
                                },
                                loc: node.loc,
                            }),
                        );
                    }
                }
            }
            other => place_term(other, inside, wires, granted),
        }
        list.push(term);
    }
}
