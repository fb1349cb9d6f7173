//! Programs from schedules: a transaction's boxes once its laws have run,
//! its gas metered on its own, and a whole candidate emitted as a program
//! for the verifier and the meter.
//!
//! Kept in one file: a realised transaction (its boxes, the grants each
//! spends, the actions each stands for) is built, metered and emitted by
//! the functions here, which must agree on it box by box.

use super::blocks::Arrangement;
use super::choices::{rename_op, resolve};
use super::graph::{bit, is_action, Class, Problem, Set};
use super::laws::{actions_of, assumptions_at, fused, Facts, Item, Shape};
use crate::ir::{
    gas, Assumption, LenderReserves, Node, Op, Program, Sender, Spender, Term, Wire, WireType,
};
use mesh_core::registry::BridgeKind;
use mesh_core::{GasSchedule, Registry};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// An approval the executor grants once per bundle: (chain, token, spender).
pub(super) type Grant = (String, String, Spender);

/// The grants a problem's actions may need, each by index.
#[derive(Default)]
pub(super) struct Grants {
    pub list: Vec<Grant>,
    index: HashMap<Grant, usize>,
}

impl Grants {
    pub fn index(&mut self, grant: Grant) -> Result<usize, String> {
        if let Some(&i) = self.index.get(&grant) {
            return Ok(i);
        }
        if self.list.len() >= 64 {
            return Err("more than 64 distinct approvals".into());
        }
        self.list.push(grant.clone());
        self.index.insert(grant, self.list.len() - 1);
        Ok(self.list.len() - 1)
    }
}

/// One transaction once its laws have run.
#[derive(Clone, Debug)]
pub(super) struct Realised {
    pub chain: String,
    /// Its boxes in order (the bookkeeping a merged step needs just before
    /// it, and the calls), approvals not yet placed.
    pub body: Vec<Node>,
    /// The grants each box of `body` spends.
    pub spends: Vec<Vec<usize>>,
    /// The actions of the problem each box of `body` stands for (a
    /// cancellation's kept check stands for the deposit and the
    /// withdrawal).
    pub origin: Vec<Set>,
    /// Boxes of the problem that go (the merges that took the later
    /// arrivals of merged transfers into their holding).
    pub removed: Vec<usize>,
    /// Wires renamed: what a cancelled withdrawal delivered is what was
    /// deposited; what merged transfers delivered is one arrival.
    pub renames: Vec<(Wire, Wire)>,
    /// Blocks the transaction takes: one, plus each transfer's delay.
    pub weight: u64,
}

fn new_wire(wires: &mut Vec<WireType>, ty: WireType) -> Wire {
    let wire = Wire(u32::try_from(wires.len()).unwrap_or(u32::MAX));
    wires.push(ty);
    wire
}

/// The boxes of one transaction of the actions of `shape`; `firsts[k]` is
/// the transfer of its `k`th batch that pays the route's call.
pub(super) fn realise(
    problem: &Problem,
    facts: &Facts,
    registry: &Registry,
    grants: &mut Grants,
    shape: &Shape,
    firsts: &[usize],
    wires: &mut Vec<WireType>,
) -> Result<Realised, String> {
    let mut batches = 0;
    let first = shape
        .items
        .first()
        .map(|item| match item {
            Item::Call(a) | Item::Healthy(a) => *a,
            Item::Swaps(v) | Item::Deposits(v) | Item::Bridges(v) | Item::Loans(v) => v[0],
            Item::Batch(vv) => vv[0][0],
        })
        .or_else(|| shape.cancelled.first().map(|c| c.0));
    let chain = match first {
        Some(a) => problem.chains[problem.action_chain[a]].clone(),
        None => return Err("an empty transaction".into()),
    };
    let flash: BTreeSet<usize> = shape
        .flash
        .iter()
        .flat_map(|l| facts.loans[*l].borrows.iter().copied())
        .collect();
    let mut out = Realised {
        chain: chain.clone(),
        body: Vec::new(),
        spends: Vec::new(),
        origin: Vec::new(),
        removed: Vec::new(),
        renames: Vec::new(),
        weight: 1,
    };
    for &(d, w) in &shape.cancelled {
        if let (Op::Deposit { funds, .. }, Op::Withdraw { out: delivered, .. }) =
            (problem.op(d), problem.op(w))
        {
            out.renames.push((*delivered, *funds));
        }
    }
    for item in &shape.items {
        let start = out.body.len();
        let mut stands_for = actions_of(item);
        if let Item::Healthy(w) = item {
            for &(d, cancelled) in &shape.cancelled {
                if cancelled == *w {
                    stands_for |= bit(d);
                }
            }
        }
        match item {
            Item::Call(a) => {
                let mut node = problem.node(*a).clone();
                if let Op::Borrow { flash: f, .. } = &mut node.op {
                    *f = flash.contains(a);
                }
                let spends = spend_of(wires, grants, &chain, &node.op)?;
                out.weight = out
                    .weight
                    .saturating_add(delay_of(wires, registry, &node.op)?);
                out.body.push(node);
                out.spends.push(spends);
            }
            Item::Healthy(w) => {
                let protocol = facts.lender[*w]
                    .clone()
                    .ok_or("a cancelled withdrawal from no lender")?;
                out.body.push(Node {
                    op: Op::Assume {
                        chain: chain.clone(),
                        protocol,
                        assumption: Assumption::Healthy,
                    },
                    loc: problem.node(*w).loc,
                });
                out.spends.push(Vec::new());
            }
            Item::Swaps(swaps) => {
                let (Some(&head), Some(&last)) = (swaps.first(), swaps.last()) else {
                    return Err("an empty fusion".into());
                };
                let (
                    Op::Swap { input, .. },
                    Op::Swap {
                        min_out, out: o, ..
                    },
                ) = (problem.op(head), problem.op(last))
                else {
                    return Err("a fusion of boxes that are not swaps".into());
                };
                // Each hop on its own exchange's pair, answerable where
                // it was written.
                let (exchanges, path, locs) = fused(problem, swaps);
                out.body.push(Node {
                    op: Op::Swap {
                        exchanges,
                        path,
                        locs,
                        input: *input,
                        min_out: min_out.clone(),
                        out: *o,
                    },
                    loc: problem.node(last).loc,
                });
                out.spends.push(Vec::new());
            }
            Item::Loans(loans) => {
                let mut protocol = None;
                let (mut amounts, mut funds, mut debts, mut locs) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for &b in loans {
                    let Op::Borrow {
                        protocol: p,
                        amount,
                        funds: f,
                        debt,
                        ..
                    } = problem.op(b)
                    else {
                        return Err("a multi-asset loan of boxes that are not borrows".into());
                    };
                    if !flash.contains(&b) {
                        return Err("a multi-asset loan of an ordinary loan".into());
                    }
                    protocol = Some(p.clone());
                    amounts.push(amount.clone());
                    funds.push(*f);
                    debts.push(*debt);
                    locs.push(problem.node(b).loc);
                }
                let loc = *locs.first().ok_or("an empty multi-asset loan")?;
                out.body.push(Node {
                    op: Op::FlashLoan {
                        protocol: protocol.ok_or("an empty multi-asset loan")?,
                        amounts,
                        funds,
                        debts,
                        locs,
                    },
                    loc,
                });
                out.spends.push(Vec::new());
            }
            Item::Deposits(deposits) => {
                let mut funds: Option<Wire> = None;
                let last = *deposits.last().ok_or("an empty deposit merge")?;
                let loc = problem.node(last).loc;
                for &d in deposits {
                    let Op::Deposit { funds: f, .. } = problem.op(d) else {
                        return Err("a deposit merge of boxes that are not deposits".into());
                    };
                    funds = Some(match funds {
                        None => *f,
                        Some(held) => {
                            let ty = problem.wire_type(*f).cloned().ok_or("untyped funds")?;
                            let merged = new_wire(wires, ty);
                            out.body.push(Node {
                                op: Op::Merge {
                                    inputs: [held, *f],
                                    out: merged,
                                },
                                loc,
                            });
                            out.spends.push(Vec::new());
                            merged
                        }
                    });
                }
                let Op::Deposit { protocol, .. } = problem.op(last) else {
                    return Err("a deposit merge of boxes that are not deposits".into());
                };
                let op = Op::Deposit {
                    protocol: protocol.clone(),
                    funds: funds.ok_or("an empty deposit merge")?,
                };
                let spends = spend_of(wires, grants, &chain, &op)?;
                out.body.push(Node { op, loc });
                out.spends.push(spends);
            }
            Item::Bridges(bridges) => {
                let (route, input, arrival) = merge_transfer(problem, bridges, wires, &mut out)?;
                let loc = problem.node(*bridges.last().ok_or("an empty merge")?).loc;
                let op = Op::Bridge {
                    route,
                    input,
                    out: arrival,
                };
                let spends = spend_of(wires, grants, &chain, &op)?;
                out.weight = out.weight.saturating_add(delay_of(wires, registry, &op)?);
                out.body.push(Node { op, loc });
                out.spends.push(spends);
            }
            Item::Batch(set) => {
                let first = firsts.get(batches).copied().unwrap_or(0);
                batches += 1;
                let mut transfers: Vec<&Vec<usize>> = Vec::with_capacity(set.len());
                transfers.extend(set.get(first));
                transfers.extend(
                    set.iter()
                        .enumerate()
                        .filter(|(i, _)| *i != first)
                        .map(|(_, t)| t),
                );
                let mut inputs = Vec::new();
                let mut outs = Vec::new();
                let mut locs = Vec::new();
                let mut kind = BridgeKind::Zk;
                let mut loc = None;
                for transfer in transfers {
                    let (route, input, arrival) = if transfer.len() == 1 {
                        let Op::Bridge { route, input, out } = problem.op(transfer[0]) else {
                            return Err("a batch of boxes that are not bridges".into());
                        };
                        (*route, *input, *out)
                    } else {
                        merge_transfer(problem, transfer, wires, &mut out)?
                    };
                    kind = route;
                    inputs.push(input);
                    outs.push(arrival);
                    // A transfer answers where its last bridge was written
                    // (a merged transfer is made where its second was).
                    let at = transfer.last().map(|b| problem.node(*b).loc);
                    locs.extend(at);
                    loc = loc.max(at);
                }
                let op = Op::BridgeBatch {
                    route: kind,
                    inputs,
                    outs,
                    locs,
                };
                let spends = spend_of(wires, grants, &chain, &op)?;
                out.weight = out.weight.saturating_add(delay_of(wires, registry, &op)?);
                out.body.push(Node {
                    op,
                    loc: loc.unwrap_or_default(),
                });
                out.spends.push(spends);
            }
        }
        out.origin.resize(out.body.len().max(start), stands_for);
    }
    if !sent(&out) {
        out.weight = 0;
    }
    Ok(out)
}

/// Bridges of one token on one route merged: the merges of what they send
/// (into the transaction's body), the one arrival, and the holding it
/// joins. Returns the route, what is sent and what arrives.
fn merge_transfer(
    problem: &Problem,
    bridges: &[usize],
    wires: &mut Vec<WireType>,
    out: &mut Realised,
) -> Result<(BridgeKind, Wire, Wire), String> {
    let last = *bridges.last().ok_or("an empty merge")?;
    let loc = problem.node(last).loc;
    let mut sent: Option<Wire> = None;
    let mut arrivals = Vec::new();
    let mut kind = BridgeKind::Htlb;
    for &b in bridges {
        let Op::Bridge {
            route,
            input,
            out: o,
        } = problem.op(b)
        else {
            return Err("a merge of boxes that are not bridges".into());
        };
        kind = *route;
        arrivals.push(*o);
        sent = Some(match sent {
            None => *input,
            Some(held) => {
                let ty = problem.wire_type(*input).cloned().ok_or("untyped input")?;
                let merged = new_wire(wires, ty);
                out.body.push(Node {
                    op: Op::Merge {
                        inputs: [held, *input],
                        out: merged,
                    },
                    loc,
                });
                out.spends.push(Vec::new());
                merged
            }
        });
    }
    let ty = problem
        .wire_type(arrivals[0])
        .cloned()
        .ok_or("untyped arrival")?;
    let arrival = new_wire(wires, ty);
    // The one arrival takes the first's place in its holding; each later
    // arrival's merge into that holding goes (what it made is what it was
    // merged into).
    out.renames.push((arrivals[0], arrival));
    for &o in &arrivals[1..] {
        let m = problem
            .consumer
            .get(&o)
            .copied()
            .filter(|&m| matches!(problem.nodes[m].op, Op::Merge { .. }))
            .ok_or("an arrival that no merge takes")?;
        let Op::Merge { inputs, out: made } = &problem.nodes[m].op else {
            return Err("not a merge".into());
        };
        let other = if inputs[1] == o { inputs[0] } else { inputs[1] };
        out.removed.push(m);
        out.renames.push((*made, other));
    }
    Ok((kind, sent.ok_or("nothing sent")?, arrival))
}

/// The grants a call spends: a lender's pull (repay, deposit) and a
/// bridge's; a direct pair swap spends none (docs/gas.md).
fn spend_of(
    wires: &[WireType],
    grants: &mut Grants,
    chain: &str,
    op: &Op,
) -> Result<Vec<usize>, String> {
    let token = |w: Wire| {
        wires
            .get(w.0 as usize)
            .map_or(String::new(), |t| t.token().to_string())
    };
    let list: Vec<Grant> = match op {
        Op::Repay {
            protocol, funds, ..
        }
        | Op::Deposit { protocol, funds }
        | Op::RepayDebt { protocol, funds } => vec![(
            chain.to_string(),
            token(*funds),
            Spender::Protocol(protocol.clone()),
        )],
        Op::Bridge { route, input, .. } => {
            vec![(chain.to_string(), token(*input), Spender::Bridge(*route))]
        }
        Op::BridgeBatch { route, inputs, .. } => inputs
            .iter()
            .map(|i| (chain.to_string(), token(*i), Spender::Bridge(*route)))
            .collect(),
        _ => Vec::new(),
    };
    // The native coin has no `approve`: a call takes it without one.
    list.into_iter()
        .filter(|(_, token, _)| !mesh_core::registry::is_native_coin(token))
        .map(|g| grants.index(g))
        .collect()
}

/// The delay a call adds to its transaction's blocks.
fn delay_of(wires: &[WireType], registry: &Registry, op: &Op) -> Result<u64, String> {
    let chain = |w: Wire| wires.get(w.0 as usize).map_or("", WireType::chain);
    let route = |kind: BridgeKind, input: Wire, out: Wire| {
        let (from, to) = (chain(input), chain(out));
        registry
            .route(from, to, kind)
            .map(|r| r.delay_blocks)
            .ok_or_else(|| format!("no {kind} route from {from} to {to}"))
    };
    match op {
        Op::Bridge {
            route: kind,
            input,
            out,
        } => route(*kind, *input, *out),
        Op::BridgeBatch {
            route: kind,
            inputs,
            outs,
            ..
        } => inputs.iter().zip(outs).try_fold(0u64, |sum, (i, o)| {
            Ok(sum.saturating_add(route(*kind, *i, *o)?))
        }),
        _ => Ok(0),
    }
}

/// The body with the grants of `granted` placed before the first box that
/// spends each.
fn with_grants(realised: &Realised, granted: u64, grants: &Grants) -> Vec<(Node, Set)> {
    let mut body = Vec::with_capacity(realised.body.len() + 2);
    let mut placed = 0u64;
    for ((node, spends), origin) in realised
        .body
        .iter()
        .zip(&realised.spends)
        .zip(&realised.origin)
    {
        for &g in spends {
            if granted & (1 << g) != 0 && placed & (1 << g) == 0 {
                placed |= 1 << g;
                let (chain, token, spender) = grants.list[g].clone();
                body.push((
                    Node {
                        op: Op::Approve {
                            chain,
                            token,
                            spender,
                        },
                        loc: node.loc,
                    },
                    0,
                ));
            }
        }
        body.push((node.clone(), *origin));
    }
    body
}

/// The grants a realised transaction spends.
pub(super) fn spent(realised: &Realised) -> u64 {
    realised
        .spends
        .iter()
        .flatten()
        .fold(0u64, |m, g| m | (1 << g))
}

/// The gas of one transaction, metered on its own (every transaction
/// starts cold, so its gas depends on nothing else but the user's
/// positions at the lenders it calls, `positions`), with the grants of
/// `granted` placed in it; and the positions it leaves. `scratch` is a
/// program whose wires are the problem's and those the transaction made;
/// its body is replaced.
#[allow(clippy::too_many_arguments)]
pub(super) fn meter_transaction(
    problem: &Problem,
    registry: &Registry,
    schedule: &GasSchedule,
    grants: &Grants,
    realised: &Realised,
    granted: u64,
    positions: &LenderReserves,
    scratch: &mut Program,
) -> Result<(u64, LenderReserves), String> {
    if !sent(realised) {
        return Ok((0, positions.clone()));
    }
    let mut body: Vec<Node> = with_grants(realised, granted, grants)
        .into_iter()
        .map(|(node, _)| node)
        .collect();
    // The merges of obligations, where both are taken in this
    // transaction, so that the meter sees a flash loan's merged debt.
    let mut produced: BTreeSet<Wire> = BTreeSet::new();
    let mut pending: Vec<&Node> = problem
        .nodes
        .iter()
        .filter(|n| match &n.op {
            Op::Merge { out, .. } => problem.wire_type(*out).is_some_and(WireType::is_debt),
            _ => false,
        })
        .collect();
    let mut full = Vec::with_capacity(body.len());
    for node in body.drain(..) {
        produced.extend(node.op.codomain());
        full.push(node);
        loop {
            let ready = pending
                .iter()
                .position(|n| n.op.domain().iter().all(|w| produced.contains(w)));
            match ready {
                Some(i) => {
                    let n = pending.remove(i);
                    produced.extend(n.op.codomain());
                    full.push(n.clone());
                }
                None => break,
            }
        }
    }
    scratch.body = Term::Tx {
        chain: realised.chain.clone(),
        sender: Sender::Executor,
        body: full.into_iter().map(Term::Gen).collect(),
    };
    let gas = gas::cost_from(scratch, registry, schedule, positions)
        .map(|(c, after)| (c.total(), after))
        .map_err(|e| e.to_string());
    scratch.body = Term::Seq(Vec::new());
    gas
}

/// One transaction of a schedule: its shape, which transfer of each batch
/// pays the route's call, and the grants placed in it.
pub(super) struct Scheduled<'s> {
    pub shape: &'s Shape,
    pub firsts: &'s [usize],
    pub granted: u64,
}

/// Every choice of the transfer that pays each batch's route call.
pub(super) fn first_choices(shape: &Shape) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    for item in &shape.items {
        if let Item::Batch(set) = item {
            out = out
                .into_iter()
                .flat_map(|prefix| {
                    (0..set.len()).map(move |f| {
                        let mut p = prefix.clone();
                        p.push(f);
                        p
                    })
                })
                .collect();
        }
    }
    out
}

/// Where a box of a candidate goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Home {
    /// Bookkeeping, `input` and `require`: wherever its wires allow.
    Floating,
    /// In the transaction of this index.
    Tx(usize),
}

/// The whole candidate: every transaction realised, its grants placed,
/// arranged as `arrangement`, and the bookkeeping, inputs and checks
/// placed as early as their wires allow.
pub(super) fn emit(
    problem: &Problem,
    facts: &Facts,
    registry: &Registry,
    grants: &mut Grants,
    template: &Program,
    steps: &[Scheduled<'_>],
    arrangement: &Arrangement,
) -> Result<Program, String> {
    let mut wires = problem.wires.clone();
    let mut realised = Vec::with_capacity(steps.len());
    for step in steps {
        realised.push(realise(
            problem,
            facts,
            registry,
            grants,
            step.shape,
            step.firsts,
            &mut wires,
        )?);
    }
    let mut rename: BTreeMap<Wire, Wire> = BTreeMap::new();
    let mut removed: BTreeSet<usize> = BTreeSet::new();
    for r in &realised {
        rename.extend(r.renames.iter().copied());
        removed.extend(r.removed.iter().copied());
    }
    let f = |w: Wire| resolve(&rename, w);

    // Every box with where it goes; floating boxes in program order.
    let mut boxes: Vec<(Node, Home, usize)> = Vec::new();
    let mut origins: Vec<Set> = Vec::new();
    for (i, node) in problem.nodes.iter().enumerate() {
        if removed.contains(&i) || !matches!(problem.class[i], Class::Free(_) | Class::Book) {
            continue;
        }
        boxes.push((node.clone(), Home::Floating, i));
        origins.push(0);
    }
    for (t, (r, step)) in realised.iter().zip(steps).enumerate() {
        for (node, origin) in with_grants(r, step.granted, grants) {
            boxes.push((node, Home::Tx(t), usize::MAX));
            origins.push(origin);
        }
    }
    for b in &mut boxes {
        rename_op(&mut b.0.op, &f);
    }
    let mut producer: HashMap<Wire, usize> = HashMap::new();
    for (i, b) in boxes.iter().enumerate() {
        for w in b.0.op.codomain() {
            producer.insert(w, i);
        }
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); boxes.len()];
    let mut last_input: HashMap<(String, String), usize> = HashMap::new();
    for (i, b) in boxes.iter().enumerate() {
        let mut used = b.0.op.domain();
        for v in b.0.op.values() {
            v.wires(&mut used);
        }
        for w in used {
            if let Some(&p) = producer.get(&w) {
                deps[i].push(p);
            }
        }
        if let Op::Input { chain, token, .. } = &b.0.op {
            if let Some(p) = last_input.insert((chain.clone(), token.clone()), i) {
                deps[i].push(p);
            }
        }
    }
    // An assumption reads the position at its lender: it stays after the
    // calls that change that position before it in the program and before
    // those after it. A loan from a lender that offers flash loans counts
    // in no position (docs/runtime.md, Positions), so it is not one of them.
    for (j, b) in boxes.iter().enumerate() {
        if b.1 != Home::Floating || !matches!(b.0.op, Op::Assume { .. }) {
            continue;
        }
        let at = b.2;
        let (mut before, mut after): (Set, Set) = (0, 0);
        for a in 0..problem.len() {
            let flashable = facts.loan_of[a].is_some_and(|l| facts.loans[l].flashable);
            if flashable || !assumptions_at(problem, a, facts.lender[a].as_deref()).contains(&at) {
                continue;
            }
            if problem.actions[a] < at {
                before |= bit(a);
            } else {
                after |= bit(a);
            }
        }
        for (k, origin) in origins.iter().enumerate() {
            if origin & before != 0 {
                deps[j].push(k);
            }
            if origin & after != 0 {
                deps[k].push(j);
            }
        }
    }
    let mut emitter = Emitter {
        boxes: &boxes,
        deps,
        emitted: vec![false; boxes.len()],
        chains: realised.iter().map(|r| r.chain.clone()).collect(),
    };
    let mut out = Vec::new();
    emitter.flush(&mut out);
    emitter.arrangement(arrangement, &mut out)?;
    emitter.flush(&mut out);
    if let Some(i) = emitter.emitted.iter().position(|e| !e) {
        return Err(format!(
            "{} at {} could not be placed",
            boxes[i].0.op.name(),
            boxes[i].0.loc
        ));
    }
    Ok(Program {
        bundle: template.bundle.clone(),
        home: template.home.clone(),
        wires,
        body: Term::Seq(out),
        constraints: template.constraints.clone(),
        positions: template.positions.clone(),
    })
}

struct Emitter<'b> {
    boxes: &'b [(Node, Home, usize)],
    deps: Vec<Vec<usize>>,
    emitted: Vec<bool>,
    chains: Vec<String>,
}

impl Emitter<'_> {
    /// Places outside every transaction each floating box whose wires are
    /// all there, in program order, until none is left.
    fn flush(&mut self, out: &mut Vec<Term>) {
        loop {
            let mut progress = false;
            for i in 0..self.boxes.len() {
                if !self.emitted[i]
                    && self.boxes[i].1 == Home::Floating
                    && self.deps[i].iter().all(|d| self.emitted[*d])
                {
                    self.emitted[i] = true;
                    out.push(Term::Gen(self.boxes[i].0.clone()));
                    progress = true;
                }
            }
            if !progress {
                return;
            }
        }
    }

    fn arrangement(
        &mut self,
        arrangement: &Arrangement,
        out: &mut Vec<Term>,
    ) -> Result<(), String> {
        match arrangement {
            Arrangement::Tx(t) => {
                let mut body = Vec::new();
                for i in 0..self.boxes.len() {
                    if self.boxes[i].1 == Home::Tx(*t) {
                        self.inside(i, *t, &mut body)?;
                    }
                }
                // A transaction left with no call is not sent; its
                // bookkeeping stays, outside.
                let calls = body
                    .iter()
                    .any(|b| matches!(b, Term::Gen(n) if is_action(&n.op)));
                if calls {
                    out.push(Term::Tx {
                        chain: self.chains[*t].clone(),
                        sender: Sender::Executor,
                        body,
                    });
                } else {
                    out.extend(body);
                }
                self.flush(out);
            }
            Arrangement::Seq(parts) => {
                for part in parts {
                    self.arrangement(part, out)?;
                }
            }
            Arrangement::Par(branches) => {
                self.flush(out);
                let before = self.emitted.clone();
                let mut after = before.clone();
                let mut terms = Vec::with_capacity(branches.len());
                for branch in branches {
                    self.emitted = before.clone();
                    let mut body = Vec::new();
                    self.arrangement(branch, &mut body)?;
                    for (i, e) in self.emitted.iter().enumerate() {
                        after[i] |= *e;
                    }
                    terms.push(Term::Seq(body));
                }
                self.emitted = after;
                out.push(Term::Tensor(terms));
                self.flush(out);
            }
        }
        Ok(())
    }

    /// Places box `i` in the transaction being built, after the floating
    /// boxes it still needs.
    fn inside(&mut self, i: usize, t: usize, body: &mut Vec<Term>) -> Result<(), String> {
        for k in 0..self.deps[i].len() {
            let d = self.deps[i][k];
            if self.emitted[d] {
                continue;
            }
            let (node, home, _) = &self.boxes[d];
            let foreign = match &node.op {
                Op::Input { chain, .. } | Op::Require { chain, .. } | Op::Assume { chain, .. } => {
                    *chain != self.chains[t]
                }
                _ => false,
            };
            if *home != Home::Floating || foreign {
                return Err(format!(
                    "{} at {} needs {} at {}, which cannot come first",
                    self.boxes[i].0.op.name(),
                    self.boxes[i].0.loc,
                    node.op.name(),
                    node.loc
                ));
            }
            self.inside(d, t, body)?;
        }
        self.emitted[i] = true;
        body.push(Term::Gen(self.boxes[i].0.clone()));
        Ok(())
    }
}

/// Whether a transaction of these boxes is sent: it makes a call.
pub(super) fn sent(realised: &Realised) -> bool {
    realised.body.iter().any(|n| is_action(&n.op))
}
