//! Bridge batching: bridges of different tokens on one `zk` or `threshold`
//! route to one chain, in one executor transaction, become one shared
//! message (`bridge_batch`): one proof or one signature set carries them.
//!
//! Each transfer is exactly the one made separately — its fee, its delay,
//! its arrival — so arrivals and fees are identical and only gas changes:
//! each transfer after the first pays the per-transfer part derived in
//! docs/gas.md instead of a route call. An `htlb` route is never batched
//! (each hash time-lock is its own contract).
//!
//! Only moves that change no value are made: nothing between the bridges
//! may use an arrival of the bridges gathered (a bridge touches no protocol
//! state, so it commutes with every other box that does not use its
//! wires). The batch stands where the last of its bridges stood, so every
//! input exists by then, and it delivers the very arrival wires the
//! bridges did, each amount exactly as before: a value that reads an
//! arrival after the batch (a `require` on what arrived) reads the same
//! amount.

use super::walk::uses_any;
use super::{Context, OptError};
use crate::ir::{Node, Op, Program, Sender, Term, Wire, WireType};
use mesh_core::BridgeKind;

pub const NAME: &str = "bridge-batching";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let wires = program.wires.clone();
    batch_term(&mut program.body, &wires)
}

fn batch_term(term: &mut Term, wires: &[WireType]) -> Result<(), OptError> {
    match term {
        Term::Gen(_) => Ok(()),
        Term::Seq(terms) | Term::Tensor(terms) => {
            terms.iter_mut().try_for_each(|t| batch_term(t, wires))
        }
        Term::Tx {
            sender: Sender::Executor,
            body,
            ..
        } => {
            // Each batch removes a bridge, so this ends.
            while let Some(group) = find(body, wires) {
                apply(body, &group)?;
            }
            Ok(())
        }
        Term::Tx { .. } => Ok(()),
    }
}

/// A bridge: `(route, input, output)`.
fn bridge(term: &Term) -> Option<(BridgeKind, Wire, Wire)> {
    match term {
        Term::Gen(Node {
            op: Op::Bridge { route, input, out },
            ..
        }) => Some((*route, *input, *out)),
        _ => None,
    }
}

fn ty(wires: &[WireType], wire: Wire) -> Option<&WireType> {
    wires.get(wire.0 as usize)
}

/// The indices of the bridges of one batch, in order: at least two.
fn find(body: &[Term], wires: &[WireType]) -> Option<Vec<usize>> {
    for (first, term) in body.iter().enumerate() {
        let Some((route, sent, arrived)) = bridge(term) else {
            continue;
        };
        if route == BridgeKind::Htlb {
            continue;
        }
        let (Some(from), Some(to)) = (ty(wires, sent), ty(wires, arrived)) else {
            continue;
        };
        let mut group = vec![first];
        let mut tokens = vec![from.token().to_string()];
        let mut arrivals = vec![arrived];
        for (i, later) in body.iter().enumerate().skip(first + 1) {
            if let Some((route2, sent2, arrived2)) = bridge(later) {
                let (Some(from2), Some(to2)) = (ty(wires, sent2), ty(wires, arrived2)) else {
                    break;
                };
                let fits = route2 == route
                    && from2.chain() == from.chain()
                    && to2.chain() == to.chain()
                    && !tokens.iter().any(|t| t == from2.token())
                    && !arrivals.contains(&sent2);
                if !fits {
                    // Another bridge: it commutes with the gathered ones
                    // unless it sends what one of them delivered.
                    if arrivals.contains(&sent2) {
                        break;
                    }
                    continue;
                }
                group.push(i);
                tokens.push(from2.token().to_string());
                arrivals.push(arrived2);
                continue;
            }
            if !matches!(later, Term::Gen(_)) || uses_any(later, &arrivals) {
                break;
            }
        }
        if group.len() >= 2 {
            return Some(group);
        }
    }
    None
}

fn apply(body: &mut Vec<Term>, group: &[usize]) -> Result<(), OptError> {
    let bug = |message: &str| OptError {
        pass: NAME,
        message: message.to_string(),
    };
    let mut route = None;
    let mut inputs = Vec::with_capacity(group.len());
    let mut outs = Vec::with_capacity(group.len());
    let mut locs = Vec::with_capacity(group.len());
    let mut loc = None;
    for &i in group {
        let Some((r, input, out)) = body.get(i).and_then(bridge) else {
            return Err(bug("a gathered bridge moved"));
        };
        if let Some(Term::Gen(node)) = body.get(i) {
            loc = Some(node.loc);
            locs.push(node.loc);
        }
        route = Some(r);
        inputs.push(input);
        outs.push(out);
    }
    let (Some(route), Some(loc), Some(&last)) = (route, loc, group.last()) else {
        return Err(bug("an empty batch"));
    };
    body[last] = Term::Gen(Node {
        op: Op::BridgeBatch {
            route,
            inputs,
            outs,
            locs,
        },
        loc,
    });
    for &i in group.iter().rev().skip(1) {
        body.remove(i);
    }
    Ok(())
}
