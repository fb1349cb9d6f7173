//! The choices made before scheduling, each over the whole bundle: which
//! route each unpinned bridge takes, and which bridges there and straight
//! back cancel. Each combination is one [`super::graph::Problem`].

use super::graph::Placed;
use crate::ir::{Constraint, Constraints, Op, Value, Wire, WireType};
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

/// A bridge there and straight back: the boxes of the two bridges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RoundTrip {
    pub there: usize,
    pub back: usize,
}

/// Every bridge there and straight back of the whole arrival, neither
/// arrival's amount read by a value.
pub(super) fn round_trips(boxes: &[Placed], wires: &[WireType]) -> Vec<RoundTrip> {
    let mut read = BTreeSet::new();
    for b in boxes {
        let mut out = Vec::new();
        for value in b.node.op.values() {
            value.wires(&mut out);
        }
        read.extend(out);
    }
    let chain = |w: Wire| wires.get(w.0 as usize).map(WireType::chain);
    let mut trips = Vec::new();
    for (i, first) in boxes.iter().enumerate() {
        let Op::Bridge {
            input: a, out: b, ..
        } = first.node.op
        else {
            continue;
        };
        for (j, second) in boxes.iter().enumerate() {
            let Op::Bridge { input, out: c, .. } = second.node.op else {
                continue;
            };
            if input == b
                && chain(a).is_some()
                && chain(a) == chain(c)
                && !read.contains(&b)
                && !read.contains(&c)
            {
                trips.push(RoundTrip { there: i, back: j });
            }
        }
    }
    trips
}

/// Every set of round trips no two of which share a bridge.
pub(super) fn trip_sets(trips: &[RoundTrip]) -> Vec<Vec<RoundTrip>> {
    let mut sets = vec![Vec::new()];
    for trip in trips {
        let mut more = Vec::new();
        for set in &sets {
            let clash = set.iter().any(|t: &RoundTrip| {
                [t.there, t.back].contains(&trip.there) || [t.there, t.back].contains(&trip.back)
            });
            if !clash {
                let mut with = set.clone();
                with.push(*trip);
                more.push(with);
            }
        }
        sets.extend(more);
    }
    // The sets that cancel most first: they usually cost least.
    sets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    sets
}

/// The boxes with `trips` cancelled: both bridges removed, and what came
/// back is the wire that left.
pub(super) fn cancel_trips(boxes: &[Placed], trips: &[RoundTrip]) -> Vec<Placed> {
    let mut rename: BTreeMap<Wire, Wire> = BTreeMap::new();
    let mut gone = BTreeSet::new();
    for trip in trips {
        if let (Op::Bridge { input: left, .. }, Op::Bridge { out: came_back, .. }) =
            (&boxes[trip.there].node.op, &boxes[trip.back].node.op)
        {
            rename.insert(*came_back, *left);
            gone.insert(trip.there);
            gone.insert(trip.back);
        }
    }
    boxes
        .iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(|(_, b)| {
            let mut b = b.clone();
            rename_op(&mut b.node.op, &|w| resolve(&rename, w));
            b
        })
        .collect()
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
        Op::Input { amount, .. } | Op::Borrow { amount, .. } | Op::Withdraw { amount, .. } => {
            rename_value(amount, f)
        }
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
        Op::Bridge { input, .. } => *input = f(*input),
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
        Value::WithPremium { principal, .. } => rename_value(principal, f),
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
