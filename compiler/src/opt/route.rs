//! Route choice: every unpinned bridge (`via` omitted) takes a route from
//! an exact search over the routes of the whole bundle: the least total gas
//! among the combinations that meet the deadline, each bridge restricted to
//! its admissible routes (`Registry::admissible_routes`): a fee no higher
//! than its `-O0` route's (so that what arrives is never less), and a
//! security no lower than the bundle's `min_security`, or than the `-O0`
//! route's without one (trust is the user's to give). Every kind, `zk`
//! included, is a candidate on those terms. Ties go to fewer blocks, then
//! to each bridge's shorter delay, higher security and kind order, the
//! checker's own order for the `-O` route. Pinned bridges never change.
//!
//! A route is worth what the laws make of it: two transfers merge, and
//! transfers of different tokens share a message, only on one route, so a
//! dearer route may be the cheaper choice where it joins a pinned transfer.
//! Each combination is therefore judged on the program the local laws make
//! of it (`super::settle`), up to [`MAX_SETTLED`] combinations; up to
//! [`MAX_COMBINATIONS`] on the program as it is; beyond that each bridge
//! takes its own least-gas route (exact whenever that meets the deadline).
//! The routes are changed and nothing else: the laws then run as rewrites
//! of their own, each reported.

use super::walk::for_each_node;
use super::{approvals, Context, OptError};
use crate::ir::{gas, Constraint, Op, Program, Wire};
use mesh_core::registry::{BridgeKind, RouteInfo};
use std::collections::BTreeMap;

pub const NAME: &str = "route-choice";

/// The most route combinations the search evaluates on the program as it is.
pub const MAX_COMBINATIONS: usize = 4096;

/// The most route combinations the search judges on what the laws make of
/// each.
pub const MAX_SETTLED: usize = 256;

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    let mut bridges: Vec<(Wire, Vec<RouteInfo>)> = Vec::new();
    let mut problem = None;
    let floor = min_security(program);
    for_each_node(&program.body, &mut |node| {
        let Op::Bridge { route, input, out } = &node.op else {
            return;
        };
        if cx.pinned.contains(out) {
            return;
        }
        let (Some(from), Some(to)) = (program.wire_type(*input), program.wire_type(*out)) else {
            problem = Some(format!("bridge {out} has untyped wires"));
            return;
        };
        let (from, to) = (from.chain(), to.chain());
        let Some(current) = cx.registry.route(from, to, *route) else {
            problem = Some(format!("no {route} route from {from} to {to}"));
            return;
        };
        let mut candidates: Vec<RouteInfo> = cx
            .registry
            .admissible_routes(from, to, floor)
            .into_iter()
            .cloned()
            .collect();
        if candidates.is_empty() {
            // The bundle's own route is always a choice (the checker
            // refuses one below `min_security`).
            candidates.push(current.clone());
        }
        candidates.sort_by_key(RouteInfo::preference);
        bridges.push((*out, candidates));
    });
    if let Some(message) = problem {
        return Err(OptError {
            pass: NAME,
            message,
        });
    }
    if bridges.is_empty() {
        return Ok(());
    }
    let total = bridges
        .iter()
        .try_fold(1usize, |n, (_, c)| n.checked_mul(c.len().max(1)))
        .filter(|n| *n <= MAX_COMBINATIONS);
    let Some(total) = total else {
        let choice: Vec<usize> = vec![0; bridges.len()];
        apply(program, &bridges, &choice);
        return Ok(());
    };
    // Nothing to choose: every bridge has one route, its own.
    if total == 1 && routes_of(program, &bridges) == chosen(&bridges, &vec![0; bridges.len()]) {
        return Ok(());
    }
    let settle = total <= MAX_SETTLED;
    // (misses the deadline, gas, blocks, choice): the least wins.
    let mut best: Option<(bool, u64, u64, Vec<usize>)> = None;
    for n in 0..total {
        let mut rest = n;
        let choice: Vec<usize> = bridges
            .iter()
            .map(|(_, c)| {
                let len = c.len().max(1);
                let i = rest % len;
                rest /= len;
                i
            })
            .collect();
        let mut candidate = program.clone();
        apply(&mut candidate, &bridges, &choice);
        if settle {
            super::settle(&mut candidate, cx)?;
        }
        let cost = gas::cost(&candidate, cx.registry, cx.schedule).map_err(|e| OptError {
            pass: NAME,
            message: e.to_string(),
        })?;
        let misses = cost.misses_deadline(&candidate.constraints);
        let key = (misses, cost.total(), cost.blocks, choice);
        if best.as_ref().is_none_or(|b| key < *b) {
            best = Some(key);
        }
    }
    if let Some((_, _, _, choice)) = best {
        apply(program, &bridges, &choice);
    }
    Ok(())
}

/// The trust level of the bundle's `min_security`, if it sets one.
pub(crate) fn min_security(program: &Program) -> Option<u8> {
    program.constraints.items.iter().find_map(|(c, _)| match c {
        Constraint::MinSecurity(kind) => Some(kind.trust_level()),
        _ => None,
    })
}

/// The route each bridge of `choice` takes.
fn chosen(bridges: &[(Wire, Vec<RouteInfo>)], choice: &[usize]) -> BTreeMap<Wire, BridgeKind> {
    bridges
        .iter()
        .zip(choice)
        .filter_map(|((out, c), i)| c.get(*i).map(|r| (*out, r.kind)))
        .collect()
}

/// The route each of `bridges` takes in `program` now.
fn routes_of(program: &Program, bridges: &[(Wire, Vec<RouteInfo>)]) -> BTreeMap<Wire, BridgeKind> {
    let mut routes = BTreeMap::new();
    for_each_node(&program.body, &mut |node| {
        if let Op::Bridge { route, out, .. } = &node.op {
            if bridges.iter().any(|(o, _)| o == out) {
                routes.insert(*out, *route);
            }
        }
    });
    routes
}

fn apply(program: &mut Program, bridges: &[(Wire, Vec<RouteInfo>)], choice: &[usize]) {
    let chosen = chosen(bridges, choice);
    super::walk::for_each_op_mut(&mut program.body, &mut |op| {
        if let Op::Bridge { route, out, .. } = op {
            if let Some(kind) = chosen.get(out) {
                *route = *kind;
            }
        }
    });
    approvals::place(program);
}
