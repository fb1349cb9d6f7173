//! Cancellation of a transfer there and straight back: bridges of one token
//! from chain X to chain Y whose arrivals, gathered by merges, are exactly
//! what one bridge sends back from Y to X. At `-O0` the funds travel there
//! and back, less each transfer's fee, and every transfer is a bridge call.
//! All of them go, with the merges gathering the arrivals, and what came
//! back is what left: the one wire that left, or the merge of the wires
//! that left (a merge of holdings on X, made where the bridge back was).
//!
//! Why it preserves meaning. Every holding is at least as large (no fee is
//! paid), and what the bridges carried is seen by nothing else: no value
//! reads an arrival, a holding merged on the way or what came back (a
//! `let` of what arrived would read a different amount), and the merges
//! consume each holding whole. Nothing that could revert at `-O0` is
//! dropped: a bridge of a held amount on a known route reverts only on
//! arithmetic overflow of its fee. A failed run reports the same line:
//! what came back is missing exactly when something that left is, that is
//! when a step written before a bridge there failed, in both programs.
//! Gathering several transfers is bridge merging followed by the
//! cancellation of one transfer, and needs no route of its own: every
//! bridge of the trip goes.
//!
//! Trips may share a bridge (the way back of one is a transfer there of
//! another): the cancelled ones are a set of disjoint trips removing the
//! most route gas, chosen exactly among up to [`MAX_EXACT`] trips and by
//! largest first beyond. A transaction left with no call is no longer sent
//! (its bookkeeping stays, outside any transaction).
//!
//! A wrap and the unwrap of all it gave (or an unwrap and the wrap of all
//! it gave): one for one both ways, so what comes back is exactly what
//! went in, and the two calls go. A wrap of held funds cannot revert (WETH9
//! takes any amount, zero too), so nothing that could revert at `-O0` is
//! dropped. What came back carries the amount that went in, so a value
//! may read it; only the wrapped amount in between must be read by none.
//!
//! A loan repaid untouched is *not* cancelled: at `-O0` the borrow reverts
//! when the lender lacks the liquidity, and refinement requires `-O` to
//! revert then too; a cancelled loan could not.

use super::walk::{drop_idle_transactions, for_each_node, rename, values_read};
use super::{approvals, Context, OptError};
use crate::ir::{Node, Op, Program, Term, Wire};
use mesh_core::BridgeKind;
use std::collections::{BTreeMap, BTreeSet};

pub const NAME: &str = "cancellation";

/// The most candidate trips whose best disjoint set is found exactly.
pub const MAX_EXACT: usize = 12;

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    let mut changed = false;
    while let Some((a, b, c)) = find_wrap_round_trip(program) {
        remove_producers(&mut program.body, b, c);
        rename(&mut program.body, c, a);
        changed = true;
    }
    let trips = trips(program);
    if !trips.is_empty() {
        let chosen = choose(&trips, |trip| weight(program, cx, trip));
        for &t in &chosen {
            cancel(program, &trips[t])?;
        }
        changed = true;
    }
    if changed {
        approvals::place(program);
        drop_idle_transactions(&mut program.body);
    }
    Ok(())
}

/// A transfer there and straight back, by wires: the arrivals of the
/// bridges there, the outputs of the merges gathering them, and the arrival
/// of the bridge back.
#[derive(Clone, Debug)]
struct Trip {
    there: Vec<Wire>,
    merges: Vec<Wire>,
    back: Wire,
}

impl Trip {
    fn bridges(&self) -> impl Iterator<Item = Wire> + '_ {
        self.there.iter().copied().chain(std::iter::once(self.back))
    }
}

/// What makes a wire the walk goes through: a bridge (from its input) or
/// a merge (of its inputs).
enum Made {
    Bridge(Wire),
    Merge([Wire; 2]),
}

/// Every transfer there and straight back of the program.
fn trips(program: &Program) -> Vec<Trip> {
    let read = values_read(&program.body);
    let mut made: BTreeMap<Wire, Made> = BTreeMap::new();
    let mut backs = Vec::new();
    for_each_node(&program.body, &mut |node| match &node.op {
        Op::Bridge { input, out, .. } => {
            backs.push((*input, *out));
            made.insert(*out, Made::Bridge(*input));
        }
        Op::Merge { inputs, out } => {
            made.insert(*out, Made::Merge(*inputs));
        }
        _ => {}
    });
    let chain = |w: Wire| program.wire_type(w).map(|t| t.chain().to_string());
    let mut out = Vec::new();
    for (held, came_back) in backs {
        if read.contains(&came_back) || chain(came_back).is_none() {
            continue;
        }
        let (mut there, mut merges) = (Vec::new(), Vec::new());
        let mut stack = vec![held];
        let mut whole = true;
        while let Some(wire) = stack.pop() {
            if read.contains(&wire) {
                whole = false;
                break;
            }
            match made.get(&wire) {
                Some(Made::Merge(inputs)) => {
                    merges.push(wire);
                    stack.extend(inputs.iter().copied());
                }
                Some(Made::Bridge(input)) if chain(*input) == chain(came_back) => {
                    there.push(wire);
                }
                _ => {
                    whole = false;
                    break;
                }
            }
        }
        if whole && !there.is_empty() {
            out.push(Trip {
                there,
                merges,
                back: came_back,
            });
        }
    }
    out
}

/// The route gas a trip's cancellation removes.
fn weight(program: &Program, cx: &Context<'_>, trip: &Trip) -> u64 {
    let mut routes: BTreeMap<Wire, (BridgeKind, Wire)> = BTreeMap::new();
    for_each_node(&program.body, &mut |node| {
        if let Op::Bridge { route, input, out } = &node.op {
            routes.insert(*out, (*route, *input));
        }
    });
    trip.bridges()
        .filter_map(|out| {
            let (route, input) = routes.get(&out)?;
            let from = program.wire_type(*input)?.chain();
            let to = program.wire_type(out)?.chain();
            cx.registry.route(from, to, *route).map(|r| r.gas)
        })
        .fold(0u64, u64::saturating_add)
}

/// The trips to cancel: pairwise disjoint (no bridge or merge in two),
/// removing the most route gas (then the most trips, then the first).
fn choose(trips: &[Trip], weight: impl Fn(&Trip) -> u64) -> Vec<usize> {
    let weights: Vec<u64> = trips.iter().map(&weight).collect();
    let boxes: Vec<BTreeSet<Wire>> = trips
        .iter()
        .map(|t| t.bridges().chain(t.merges.iter().copied()).collect())
        .collect();
    let clash = |a: usize, b: usize| !boxes[a].is_disjoint(&boxes[b]);
    if trips.len() <= MAX_EXACT {
        let mut best: (u64, usize, Vec<usize>) = (0, 0, Vec::new());
        for subset in 1u32..(1 << trips.len()) {
            let members: Vec<usize> = (0..trips.len())
                .filter(|i| subset & (1 << i) != 0)
                .collect();
            let disjoint = members
                .iter()
                .enumerate()
                .all(|(k, &a)| members[k + 1..].iter().all(|&b| !clash(a, b)));
            if !disjoint {
                continue;
            }
            let total = members
                .iter()
                .fold(0u64, |s, &i| s.saturating_add(weights[i]));
            if (total, members.len()) > (best.0, best.1) {
                best = (total, members.len(), members);
            }
        }
        return best.2;
    }
    let mut order: Vec<usize> = (0..trips.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weights[i]));
    let mut chosen: Vec<usize> = Vec::new();
    for i in order {
        if chosen.iter().all(|&c| !clash(c, i)) {
            chosen.push(i);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// Cancels one trip: its bridges and merges go, and what came back is what
/// left, gathered by new merges where the bridge back was.
fn cancel(program: &mut Program, trip: &Trip) -> Result<(), OptError> {
    let bug = |message: &str| OptError {
        pass: NAME,
        message: message.to_string(),
    };
    let mut left: Vec<Wire> = Vec::new();
    for_each_node(&program.body, &mut |node| {
        if let Op::Bridge { input, out, .. } = &node.op {
            if trip.there.contains(out) {
                left.push(*input);
            }
        }
    });
    let (&first, rest) = left
        .split_first()
        .ok_or_else(|| bug("a trip sent nothing"))?;
    let mut gathered = first;
    let mut merges = Vec::new();
    for &wire in rest {
        let ty = program
            .wire_type(wire)
            .cloned()
            .ok_or_else(|| bug("a bridge sends an untyped wire"))?;
        let out = Wire(u32::try_from(program.wires.len()).map_err(|_| bug("too many wires"))?);
        program.wires.push(ty);
        merges.push(Op::Merge {
            inputs: [gathered, wire],
            out,
        });
        gathered = out;
    }
    let mut placed = false;
    replace_boxes(&mut program.body, trip, &merges, &mut placed);
    if !placed {
        return Err(bug("the bridge back moved"));
    }
    rename(&mut program.body, trip.back, gathered);
    Ok(())
}

/// Removes the trip's bridges and merges; the bridge back becomes `merges`.
fn replace_boxes(term: &mut Term, trip: &Trip, merges: &[Op], placed: &mut bool) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            let mut kept = Vec::with_capacity(terms.len());
            for mut t in std::mem::take(terms) {
                if let Term::Gen(node) = &t {
                    let gone = match &node.op {
                        Op::Bridge { out, .. } if *out == trip.back => {
                            *placed = true;
                            kept.extend(merges.iter().map(|op| {
                                Term::Gen(Node {
                                    op: op.clone(),
                                    loc: node.loc,
                                })
                            }));
                            true
                        }
                        Op::Bridge { out, .. } => trip.there.contains(out),
                        Op::Merge { out, .. } => trip.merges.contains(out),
                        _ => false,
                    };
                    if !gone {
                        kept.push(t);
                    }
                    continue;
                }
                replace_boxes(&mut t, trip, merges, placed);
                kept.push(t);
            }
            *terms = kept;
        }
    }
}

/// A wrap there and straight back: (what went in, what the first gave,
/// what the second gave back).
fn find_wrap_round_trip(program: &Program) -> Option<(Wire, Wire, Wire)> {
    let read = values_read(&program.body);
    let mut wraps = Vec::new();
    let mut unwraps = Vec::new();
    for_each_node(&program.body, &mut |node| match &node.op {
        Op::Wrap { input, out } => wraps.push((*input, *out)),
        Op::Unwrap { input, out } => unwraps.push((*input, *out)),
        _ => {}
    });
    let there_and_back = |first: &[(Wire, Wire)], second: &[(Wire, Wire)]| {
        first.iter().find_map(|&(a, b)| {
            second
                .iter()
                .find(|&&(b2, _)| b2 == b && !read.contains(&b))
                .map(|&(_, c)| (a, b, c))
        })
    };
    there_and_back(&wraps, &unwraps).or_else(|| there_and_back(&unwraps, &wraps))
}

/// Removes the boxes that produce `there` and `back`.
fn remove_producers(term: &mut Term, there: Wire, back: Wire) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            terms.retain(|t| {
                !matches!(t, Term::Gen(node) if node.op.codomain().iter().any(|w| *w == there || *w == back))
            });
            for t in terms {
                remove_producers(t, there, back);
            }
        }
    }
}
