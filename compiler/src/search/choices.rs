//! The choices made before scheduling, each over the whole bundle: which
//! route each unpinned bridge takes, and which bridges there and straight
//! back cancel. Each combination is one [`super::graph::Problem`].

use super::graph::Placed;
use crate::ir::{Constraints, Op, Program, Term, Value, Wire, WireType};
use mesh_core::registry::{BridgeKind, RouteInfo};
use mesh_core::Registry;
use std::collections::{BTreeMap, BTreeSet};

/// Whether an unpinned bridge whose `-O0` route is `o0` may take `route`:
/// what arrives is never less (a fee no higher) and the trust asked of the
/// user is never more (a security no lower). The bundle's constraints are
/// where a user would allow a less secure route; none does yet.
pub fn admissible(route: &RouteInfo, o0: &RouteInfo, _constraints: &Constraints) -> bool {
    route.fee_bps <= o0.fee_bps && route.security >= o0.security
}

/// The routes an unpinned bridge may take, its own first; `None` when the
/// registry has no route of its own kind (the `-O0` program names a route
/// the registry does not know).
pub(super) fn routes_of(
    registry: &Registry,
    from: &str,
    to: &str,
    own: BridgeKind,
    constraints: &Constraints,
) -> Option<Vec<BridgeKind>> {
    let o0 = registry.route(from, to, own)?;
    let mut kinds = vec![own];
    for route in registry.routes_between(from, to) {
        if route.kind != own && admissible(route, o0, constraints) {
            kinds.push(route.kind);
        }
    }
    Some(kinds)
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

/// A transfer of `program` on a route less trusted than every `-O0` route
/// its bridges took: (from, to, token, the route taken).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessTrusted {
    pub from: String,
    pub to: String,
    pub token: String,
    pub route: BridgeKind,
}

/// The transfers of `program` (an optimisation of `o0`) that trust more
/// than `o0` asked: each on a route less secure than the `-O0` route of a
/// bridge it carries. A transfer carries the bridges whose inputs its own
/// input merges (bridges merged into one transfer), or else the one whose
/// output it delivers. Such a program lies outside the search's space.
pub fn less_trusted(o0: &Program, program: &Program, registry: &Registry) -> Vec<LessTrusted> {
    let security = |from: &str, to: &str, kind: BridgeKind| {
        registry.route(from, to, kind).map_or(0, |r| r.security)
    };
    let ends = |p: &Program, input: Wire, out: Wire| {
        let from = p.wire_type(input).map(|t| t.chain().to_string());
        let to = p
            .wire_type(out)
            .map(|t| (t.chain().to_string(), t.token().to_string()));
        from.zip(to).map(|(f, (t, token))| (f, t, token))
    };
    // The security each -O0 bridge asked for, by its input and its output.
    let mut by_input: BTreeMap<Wire, u8> = BTreeMap::new();
    let mut by_out: BTreeMap<Wire, u8> = BTreeMap::new();
    for_each_op(&o0.body, &mut |op| {
        if let Op::Bridge { route, input, out } = op {
            if let Some((from, to, _)) = ends(o0, *input, *out) {
                let s = security(&from, &to, *route);
                by_input.insert(*input, s);
                by_out.insert(*out, s);
            }
        }
    });
    let mut merged: BTreeMap<Wire, [Wire; 2]> = BTreeMap::new();
    for_each_op(&program.body, &mut |op| {
        if let Op::Merge { inputs, out } = op {
            merged.insert(*out, *inputs);
        }
    });
    // The most security asked by the bridges whose inputs `wire` gathers.
    fn asked(
        wire: Wire,
        merged: &BTreeMap<Wire, [Wire; 2]>,
        by_input: &BTreeMap<Wire, u8>,
        depth: usize,
    ) -> Option<u8> {
        if let Some(s) = by_input.get(&wire) {
            return Some(*s);
        }
        let inputs = merged.get(&wire).filter(|_| depth < 64)?;
        inputs
            .iter()
            .filter_map(|w| asked(*w, merged, by_input, depth + 1))
            .max()
    }
    let mut out = Vec::new();
    for_each_op(&program.body, &mut |op| {
        let transfers: Vec<(BridgeKind, Wire, Wire)> = match op {
            Op::Bridge { route, input, out } => vec![(*route, *input, *out)],
            Op::BridgeBatch {
                route,
                inputs,
                outs,
            } => inputs
                .iter()
                .zip(outs)
                .map(|(i, o)| (*route, *i, *o))
                .collect(),
            _ => Vec::new(),
        };
        for (route, input, arrival) in transfers {
            let Some((from, to, token)) = ends(program, input, arrival) else {
                continue;
            };
            let wanted =
                asked(input, &merged, &by_input, 0).or_else(|| by_out.get(&arrival).copied());
            if wanted.is_some_and(|s| security(&from, &to, route) < s) {
                out.push(LessTrusted {
                    from,
                    to,
                    token,
                    route,
                });
            }
        }
    });
    out
}

fn for_each_op(term: &Term, f: &mut dyn FnMut(&Op)) {
    match term {
        Term::Gen(node) => f(&node.op),
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                for_each_op(t, f);
            }
        }
    }
}
