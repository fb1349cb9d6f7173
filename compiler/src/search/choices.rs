//! The choices made before scheduling, each over the whole bundle: which
//! route each unpinned bridge takes, and which bridges there and straight
//! back (and which wraps and the unwraps of what they gave) cancel. Each combination is one [`super::graph::Problem`].

use super::graph::Placed;
use crate::ir::{Assumption, Constraint, Constraints, Node, Op, Value, Wire, WireType};
use mesh_core::registry::{BridgeKind, RouteInfo};
use mesh_core::Registry;
use std::collections::{BTreeMap, BTreeSet};

/// The routes an unpinned bridge from `from` to `to` may take, for a
/// bundle with `constraints`: the registry's admissible routes
/// ([`Registry::admissible_routes`], shared vocabulary of the route rule):
/// a fee no higher than the `-O0` route's, so that what arrives is never
/// less, and a security at least the bundle's `min_security` level where
/// it sets one, else at least the `-O0` route's own — trust is the user's
/// to give.
pub fn admissible<'r>(
    registry: &'r Registry,
    from: &str,
    to: &str,
    constraints: &Constraints,
) -> Vec<&'r RouteInfo> {
    registry.admissible_routes(from, to, trust_floor(constraints))
}

/// The trust level of the bundle's `min_security`, if it sets one.
fn trust_floor(constraints: &Constraints) -> Option<u8> {
    constraints.items.iter().find_map(|(c, _)| match c {
        Constraint::MinSecurity(kind) => Some(kind.trust_level()),
        _ => None,
    })
}

/// The routes an unpinned bridge whose `-O0` route is `own` may take: its
/// admissible ones, or its own alone where none is (the checker refuses a
/// bundle whose route is below its `min_security`); `None` when the
/// registry has no route of its own kind (the `-O0` program names a route
/// the registry does not know).
pub(super) fn routes_of(
    registry: &Registry,
    from: &str,
    to: &str,
    own: BridgeKind,
    constraints: &Constraints,
) -> Option<Vec<BridgeKind>> {
    registry.route(from, to, own)?;
    let kinds: Vec<BridgeKind> = admissible(registry, from, to, constraints)
        .into_iter()
        .map(|r| r.kind)
        .collect();
    Some(if kinds.is_empty() { vec![own] } else { kinds })
}

/// A transfer there and straight back: the boxes of the bridges there (one,
/// or several of one token between the same chains whose arrivals merges
/// gather into exactly what goes back), of those merges, and of the bridge
/// back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RoundTrip {
    pub there: Vec<usize>,
    pub merges: Vec<usize>,
    pub back: usize,
}

impl RoundTrip {
    fn boxes(&self) -> impl Iterator<Item = usize> + '_ {
        self.there
            .iter()
            .chain(&self.merges)
            .copied()
            .chain(std::iter::once(self.back))
    }
}

/// Every transfer there and straight back of the whole arrival, no value
/// reading an arrival, a holding merged on the way or what came back: one
/// bridge there, or several of one token between the same chains (their
/// types say so) whose arrivals merges gather into exactly what goes back.
/// Every bridge of a trip goes, so their routes do not matter.
pub(super) fn round_trips(boxes: &[Placed], wires: &[WireType]) -> Vec<RoundTrip> {
    let mut read = BTreeSet::new();
    let mut producer: BTreeMap<Wire, usize> = BTreeMap::new();
    for (i, b) in boxes.iter().enumerate() {
        let mut out = Vec::new();
        for value in b.node.op.values() {
            value.wires(&mut out);
        }
        read.extend(out);
        for wire in b.node.op.codomain() {
            producer.insert(wire, i);
        }
    }
    let chain = |w: Wire| wires.get(w.0 as usize).map(WireType::chain);
    let mut trips = Vec::new();
    for (j, back) in boxes.iter().enumerate() {
        let Op::Bridge {
            input: held,
            out: came_back,
            ..
        } = back.node.op
        else {
            continue;
        };
        if read.contains(&came_back) {
            continue;
        }
        // Down from what goes back, through merges, to the arrivals.
        let (mut there, mut merges) = (Vec::new(), Vec::new());
        let mut stack = vec![held];
        let mut whole = true;
        while let Some(wire) = stack.pop() {
            let Some(&p) = producer.get(&wire) else {
                whole = false;
                break;
            };
            if read.contains(&wire) {
                whole = false;
                break;
            }
            match &boxes[p].node.op {
                Op::Merge { inputs, .. } => {
                    merges.push(p);
                    stack.extend(inputs.iter().copied());
                }
                Op::Bridge { input, .. }
                    if chain(*input).is_some() && chain(*input) == chain(came_back) =>
                {
                    there.push(p);
                }
                _ => {
                    whole = false;
                    break;
                }
            }
        }
        if !whole || there.is_empty() {
            continue;
        }
        there.sort_unstable();
        merges.sort_unstable();
        trips.push(RoundTrip {
            there,
            merges,
            back: j,
        });
    }
    // A wrap and the unwrap of all it gave, or an unwrap and the wrap of
    // all it gave: one for one both ways, so what came back is what went
    // in, whatever reads it; only the amount in between must be read by
    // no value.
    for (j, back) in boxes.iter().enumerate() {
        let (Op::Wrap { input: between, .. } | Op::Unwrap { input: between, .. }) = back.node.op
        else {
            continue;
        };
        let Some(&p) = producer.get(&between) else {
            continue;
        };
        let opposite = matches!(
            (&boxes[p].node.op, &back.node.op),
            (Op::Wrap { .. }, Op::Unwrap { .. }) | (Op::Unwrap { .. }, Op::Wrap { .. })
        );
        if opposite && !read.contains(&between) {
            trips.push(RoundTrip {
                there: vec![p],
                merges: Vec::new(),
                back: j,
            });
        }
    }
    trips
}

/// Every set of round trips no two of which share a box.
pub(super) fn trip_sets(trips: &[RoundTrip]) -> Vec<Vec<RoundTrip>> {
    let mut sets = vec![Vec::new()];
    for trip in trips {
        let mut more = Vec::new();
        for set in &sets {
            let clash = set
                .iter()
                .any(|t: &RoundTrip| t.boxes().any(|b| trip.boxes().any(|c| c == b)));
            if !clash {
                let mut with = set.clone();
                with.push(trip.clone());
                more.push(with);
            }
        }
        sets.extend(more);
    }
    // The sets that cancel most first: they usually cost least.
    sets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sets
}

/// The boxes with `trips` cancelled: every bridge of a trip and the merges
/// gathering its arrivals go, and what came back is what left — the one
/// wire that left, or the merge of the wires that left (new merges, where
/// the bridge back was, their wires added to `wires`).
pub(super) fn cancel_trips(
    boxes: &[Placed],
    wires: &mut Vec<WireType>,
    trips: &[RoundTrip],
) -> Vec<Placed> {
    let mut rename: BTreeMap<Wire, Wire> = BTreeMap::new();
    let mut gone = BTreeSet::new();
    let mut instead: BTreeMap<usize, Vec<Placed>> = BTreeMap::new();
    for trip in trips {
        let (Op::Bridge { out: came_back, .. }
        | Op::Wrap { out: came_back, .. }
        | Op::Unwrap { out: came_back, .. }) = boxes[trip.back].node.op
        else {
            continue;
        };
        let left: Vec<Wire> = trip
            .there
            .iter()
            .filter_map(|&b| match boxes[b].node.op {
                Op::Bridge { input, .. } | Op::Wrap { input, .. } | Op::Unwrap { input, .. } => {
                    Some(input)
                }
                _ => None,
            })
            .collect();
        let Some((&first, rest)) = left.split_first() else {
            continue;
        };
        let mut gathered = first;
        let mut merges = Vec::new();
        for &wire in rest {
            let Some(ty) = wires.get(wire.0 as usize).cloned() else {
                continue;
            };
            let out = Wire(u32::try_from(wires.len()).unwrap_or(u32::MAX));
            wires.push(ty);
            merges.push(Placed {
                node: Node {
                    op: Op::Merge {
                        inputs: [gathered, wire],
                        out,
                    },
                    loc: boxes[trip.back].node.loc,
                },
                tx_chain: None,
            });
            gathered = out;
        }
        rename.insert(came_back, gathered);
        gone.extend(trip.boxes());
        instead.insert(trip.back, merges);
    }
    let mut out = Vec::new();
    for (i, b) in boxes.iter().enumerate() {
        // A merge made for one trip may gather what another trip's
        // cancellation renamed: every box, made here or kept, reads the
        // wires as renamed.
        for mut merge in instead.remove(&i).unwrap_or_default() {
            rename_op(&mut merge.node.op, &|w| resolve(&rename, w));
            out.push(merge);
        }
        if gone.contains(&i) {
            continue;
        }
        let mut b = b.clone();
        rename_op(&mut b.node.op, &|w| resolve(&rename, w));
        out.push(b);
    }
    out
}

/// Follows a chain of renames to its end.
pub(super) fn resolve(rename: &BTreeMap<Wire, Wire>, mut wire: Wire) -> Wire {
    let mut steps = 0;
    while let Some(&next) = rename.get(&wire) {
        if next == wire || steps > rename.len() {
            break;
        }
        wire = next;
        steps += 1;
    }
    wire
}

/// Renames every wire a box consumes or whose amount it reads.
pub(super) fn rename_op(op: &mut Op, f: &dyn Fn(Wire) -> Wire) {
    match op {
        Op::Input { amount, .. }
        | Op::Borrow { amount, .. }
        | Op::Withdraw { amount, .. }
        | Op::BorrowDebt { amount, .. } => rename_value(amount, f),
        Op::RepayDebt { funds, .. } => *funds = f(*funds),
        Op::Assume { assumption, .. } => match assumption {
            Assumption::Debt { amount, .. } | Assumption::Collateral { amount, .. } => {
                rename_value(amount, f)
            }
            Assumption::Healthy => {}
        },
        Op::FlashLoan { amounts, .. } => {
            for amount in amounts {
                rename_value(amount, f);
            }
        }
        Op::Repay {
            principal,
            funds,
            debt,
            ..
        } => {
            rename_value(principal, f);
            *funds = f(*funds);
            *debt = f(*debt);
        }
        Op::Swap { input, min_out, .. } => {
            *input = f(*input);
            rename_value(min_out, f);
        }
        Op::Deposit { funds, .. } => *funds = f(*funds),
        Op::Bridge { input, .. } | Op::Wrap { input, .. } | Op::Unwrap { input, .. } => {
            *input = f(*input)
        }
        Op::BridgeBatch { inputs, .. } => {
            for input in inputs {
                *input = f(*input);
            }
        }
        Op::Split { input, amount, .. } => {
            *input = f(*input);
            rename_value(amount, f);
        }
        Op::Merge { inputs, .. } => {
            for input in inputs {
                *input = f(*input);
            }
        }
        Op::Require { left, right, .. } => {
            rename_value(left, f);
            rename_value(right, f);
        }
        Op::Approve { .. } => {}
    }
}

fn rename_value(value: &mut Value, f: &dyn Fn(Wire) -> Wire) {
    match value {
        Value::Const(_) => {}
        Value::AmountOf(wire) => *wire = f(*wire),
        Value::Add(a, b) | Value::Sub(a, b) => {
            rename_value(a, f);
            rename_value(b, f);
        }
        Value::Scale { value, .. } => rename_value(value, f),
    }
}

/// Gives the bridge whose output is each key of `routes` that route.
pub(super) fn set_routes(boxes: &mut [Placed], routes: &BTreeMap<Wire, BridgeKind>) {
    for b in boxes {
        if let Op::Bridge { route, out, .. } = &mut b.node.op {
            if let Some(kind) = routes.get(out) {
                *route = *kind;
            }
        }
    }
}
