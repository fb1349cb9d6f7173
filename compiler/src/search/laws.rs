//! The laws inside one transaction: for a set of actions sent as one
//! executor transaction, every order that keeps their dependencies and
//! every program the laws reach from it, one admissible instance at a time
//! (docs/optimiser.md, "The exact optimum"). Two outcomes that apply the
//! same instances cost the same gas; one of each is kept.
//!
//! Kept in one file: the conditions of each law and the order reduction
//! (`Relations`) that may try only one of two orders no law can tell apart
//! are one argument — the reduction is sound only for the laws written
//! here, so they are read and changed together.

use super::graph::{bit, members, Class, Problem, Set};
use crate::ir::{Loc, Op, Value, Wire};
use mesh_core::registry::{pair_tokens, BridgeKind};
use mesh_core::Registry;
use std::collections::{BTreeSet, HashSet, VecDeque};

/// What the laws need to know of one action.
#[derive(Clone, Debug)]
pub(super) enum Act {
    Borrow {
        token: String,
        /// The actions that make what its amount reads (through
        /// bookkeeping, inputs and checks): a loan moved earlier into a
        /// multi-asset call must come after them.
        amount_from: Set,
    },
    Repay,
    Swap {
        /// Hop `i` on the pair of `exchanges[i]`.
        exchanges: Vec<String>,
        path: Vec<String>,
        input: Wire,
        out: Wire,
        /// `min_out` is zero: nothing is checked on its output.
        unbounded: bool,
    },
    Deposit {
        token: String,
        /// The amounts a withdrawal must name to cancel it: the split that
        /// took its funds, or the amount of its funds' wire.
        amounts: Vec<Value>,
    },
    Withdraw {
        token: String,
        amount: Value,
    },
    Bridge {
        route: BridgeKind,
        token: String,
        to: String,
    },
    /// Anything no law rewrites (a bridge batch already formed).
    Other,
}

/// One step of a transaction once the laws have run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Item {
    /// An action as it is.
    Call(usize),
    /// Swaps fused into one multi-hop swap, in path order.
    Swaps(Vec<usize>),
    /// Deposits of one token into one lender merged into one deposit.
    Deposits(Vec<usize>),
    /// Bridges of one token on one route to one chain merged into one
    /// transfer of their sum.
    Bridges(Vec<usize>),
    /// Transfers of different tokens in one message; each transfer is one
    /// bridge or bridges merged.
    Batch(Vec<Vec<usize>>),
    /// Flash loans of different tokens from one lender in one multi-asset
    /// call, where the first of them was.
    Loans(Vec<usize>),
    /// Where a withdrawal cancelled against a deposit was: the check of the
    /// position's health it made, kept (`assume healthy`, no call).
    Healthy(usize),
}

/// A pair of an exchange: `(exchange, token0, token1)`.
pub(super) type Pair = (String, String, String);

/// A transaction after the laws: its steps in order, the deposits and
/// withdrawals cancelled, and the loans taken as flash loans (by component).
#[derive(Clone, Debug)]
pub(super) struct Shape {
    pub items: Vec<Item>,
    pub cancelled: Vec<(usize, usize)>,
    pub flash: Vec<usize>,
}

/// A loan's obligation with every partial obligation merged with it: its
/// borrows and repays.
#[derive(Clone, Debug)]
pub(super) struct Loan {
    pub actions: Set,
    pub borrows: Vec<usize>,
    /// The lender offers flash loans.
    pub flashable: bool,
}

/// What the laws know of a problem's actions.
pub(super) struct Facts {
    pub acts: Vec<Act>,
    pub lender: Vec<Option<String>>,
    pub pairs: Vec<BTreeSet<Pair>>,
    /// Per bridge: the bridges whose arrivals join the holding its own
    /// arrival joined, further down, with no value reading either arrival
    /// or a holding made on the way.
    pub follows: Vec<Set>,
    pub loans: Vec<Loan>,
    /// Per action: the loan (index into `loans`) it belongs to, if any.
    pub loan_of: Vec<Option<usize>>,
    /// Per action: its box, and the boxes of the assumptions (`assume`)
    /// about the position at its chain and lender, in program order.
    box_of: Vec<usize>,
    assumes: Vec<Vec<usize>>,
}

impl Facts {
    pub fn new(problem: &Problem, registry: &Registry) -> Facts {
        let n = problem.len();
        let mut acts = Vec::with_capacity(n);
        let mut lender = Vec::with_capacity(n);
        let mut pairs = Vec::with_capacity(n);
        for a in 0..n {
            let op = problem.op(a);
            lender.push(op.lender().map(str::to_string));
            pairs.push(match op {
                Op::Swap {
                    exchanges, path, ..
                } => path_pairs(exchanges, path),
                _ => BTreeSet::new(),
            });
            acts.push(match op {
                Op::Borrow { amount, funds, .. } => Act::Borrow {
                    token: problem.token(*funds).to_string(),
                    amount_from: made_from(problem, amount),
                },
                Op::Repay { .. } => Act::Repay,
                Op::Swap {
                    exchanges,
                    path,
                    input,
                    min_out,
                    out,
                    ..
                } => Act::Swap {
                    exchanges: exchanges.clone(),
                    path: path.clone(),
                    input: *input,
                    out: *out,
                    unbounded: *min_out == Value::Const(0),
                },
                Op::Deposit { funds, .. } => {
                    let mut amounts = Vec::new();
                    if let Some(&p) = problem.producer.get(funds) {
                        if let Op::Split { amount, taken, .. } = &problem.nodes[p].op {
                            if taken == funds {
                                amounts.push(amount.clone());
                            }
                        }
                    }
                    amounts.push(Value::AmountOf(*funds));
                    Act::Deposit {
                        token: problem.token(*funds).to_string(),
                        amounts,
                    }
                }
                Op::Withdraw { token, amount, .. } => Act::Withdraw {
                    token: token.clone(),
                    amount: amount.clone(),
                },
                Op::Bridge { route, input, out } => Act::Bridge {
                    route: *route,
                    token: problem.token(*input).to_string(),
                    to: problem.chain_of(*out).to_string(),
                },
                _ => Act::Other,
            });
        }
        let follows = follows(problem);
        let loans = loans(problem, registry);
        let loan_of = (0..n)
            .map(|a| loans.iter().position(|l| l.actions & bit(a) != 0))
            .collect();
        let box_of = problem.actions.clone();
        let assumes = (0..n)
            .map(|a| assumptions_at(problem, a, lender[a].as_deref()))
            .collect();
        Facts {
            acts,
            lender,
            pairs,
            follows,
            loans,
            loan_of,
            box_of,
            assumes,
        }
    }

    /// Whether an assumption about the position these actions (at one
    /// lender) act on stands between the first and the last of them in the
    /// program: it reads the position in the middle, which a merge or a
    /// cancellation would change.
    fn assumed_between(&self, actions: &[usize]) -> bool {
        let Some(&first) = actions.first() else {
            return false;
        };
        let lo = actions.iter().map(|a| self.box_of[*a]).min().unwrap_or(0);
        let hi = actions.iter().map(|a| self.box_of[*a]).max().unwrap_or(0);
        self.assumes[first].iter().any(|b| lo < *b && *b < hi)
    }

    /// A swap's path, input, output and whether it is unbounded.
    pub(super) fn swap(&self, a: usize) -> Option<(&[String], Wire, Wire, bool)> {
        match &self.acts[a] {
            Act::Swap {
                path,
                input,
                out,
                unbounded,
                ..
            } => Some((path, *input, *out, *unbounded)),
            _ => None,
        }
    }

    /// A borrow's token and the actions that make what its amount reads.
    fn borrow(&self, a: usize) -> Option<(&str, Set)> {
        match &self.acts[a] {
            Act::Borrow { token, amount_from } => Some((token, *amount_from)),
            _ => None,
        }
    }

    /// The loan `a` is an end of, if it is a borrow or a repayment: where
    /// a flash loan's callback begins or ends.
    fn loan_end(&self, a: usize) -> Option<usize> {
        match self.acts[a] {
            Act::Borrow { .. } | Act::Repay => self.loan_of[a],
            _ => None,
        }
    }

    /// The loans of an item that may join a multi-asset call: a borrow, or
    /// loans joined already.
    fn loans_of(&self, item: &Item) -> Option<Vec<usize>> {
        match item {
            Item::Call(a) if self.borrow(*a).is_some() => Some(vec![*a]),
            Item::Loans(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// The lender and token an action calls about, if it calls a lender.
    fn lender_token(&self, problem: &Problem, a: usize) -> Option<(&str, String)> {
        let lender = self.lender[a].as_deref()?;
        let token = match problem.op(a) {
            Op::Borrow { funds, .. }
            | Op::Repay { funds, .. }
            | Op::Deposit { funds, .. }
            | Op::RepayDebt { funds, .. } => problem.token(*funds).to_string(),
            Op::Withdraw { token, .. } | Op::BorrowDebt { token, .. } => token.clone(),
            _ => return None,
        };
        Some((lender, token))
    }

    fn bridge(&self, a: usize) -> Option<(BridgeKind, &str, &str)> {
        match &self.acts[a] {
            Act::Bridge { route, token, to } => Some((*route, token, to)),
            _ => None,
        }
    }

    fn swaps(&self, item: &Item) -> Option<Vec<usize>> {
        match item {
            Item::Call(a) if self.swap(*a).is_some() => Some(vec![*a]),
            Item::Swaps(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn deposits(&self, item: &Item) -> Option<Vec<usize>> {
        match item {
            Item::Call(a) if matches!(self.acts[*a], Act::Deposit { .. }) => Some(vec![*a]),
            Item::Deposits(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn bridges(&self, item: &Item) -> Option<Vec<usize>> {
        match item {
            Item::Call(a) if self.bridge(*a).is_some() => Some(vec![*a]),
            Item::Bridges(v) => Some(v.clone()),
            _ => None,
        }
    }

    fn transfers(&self, item: &Item) -> Option<Vec<Vec<usize>>> {
        match item {
            Item::Batch(v) => Some(v.clone()),
            other => self.bridges(other).map(|b| vec![b]),
        }
    }

    /// The lender an item calls, if any.
    fn lender_of(&self, item: &Item) -> Option<&str> {
        match item {
            Item::Call(a) | Item::Healthy(a) => self.lender[*a].as_deref(),
            Item::Deposits(v) | Item::Loans(v) => {
                v.first().and_then(|a| self.lender[*a].as_deref())
            }
            _ => None,
        }
    }

    fn pairs_of(&self, item: &Item) -> BTreeSet<Pair> {
        let mut out = BTreeSet::new();
        if let Some(swaps) = self.swaps(item) {
            for s in swaps {
                out.extend(self.pairs[s].iter().cloned());
            }
        }
        out
    }

    fn token_of_deposit(&self, a: usize) -> &str {
        match &self.acts[a] {
            Act::Deposit { token, .. } => token,
            _ => "",
        }
    }
}

/// The boxes of the assumptions about the position action `a` acts on
/// (its chain and `lender`), in program order.
pub(super) fn assumptions_at(problem: &Problem, a: usize, lender: Option<&str>) -> Vec<usize> {
    let Some(lender) = lender else {
        return Vec::new();
    };
    let chain = problem.chains[problem.action_chain[a]].as_str();
    problem
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, node)| {
            matches!(&node.op, Op::Assume { chain: c, protocol, .. }
                if c == chain && protocol == lender)
        })
        .map(|(i, _)| i)
        .collect()
}

/// The actions an item stands for.
pub(super) fn actions_of(item: &Item) -> Set {
    match item {
        Item::Call(a) | Item::Healthy(a) => bit(*a),
        Item::Swaps(v) | Item::Deposits(v) | Item::Bridges(v) | Item::Loans(v) => {
            v.iter().fold(0, |s, a| s | bit(*a))
        }
        Item::Batch(vv) => vv.iter().flatten().fold(0, |s, a| s | bit(*a)),
    }
}

/// The pairs a path swaps on, hop `i` on the pair of `exchanges[i]`.
pub(super) fn path_pairs(exchanges: &[String], path: &[String]) -> BTreeSet<Pair> {
    hops(exchanges, path).into_iter().collect()
}

/// The pair of each hop, in order.
fn hops(exchanges: &[String], path: &[String]) -> Vec<Pair> {
    path.windows(2)
        .zip(exchanges)
        .map(|(hop, exchange)| {
            let (a, b) = pair_tokens(&hop[0], &hop[1]);
            (exchange.clone(), a.to_string(), b.to_string())
        })
        .collect()
}

/// Swaps fused in order: the exchange of each hop, the path, and the
/// location of each hop (the statement it came from).
pub(super) fn fused(problem: &Problem, swaps: &[usize]) -> (Vec<String>, Vec<String>, Vec<Loc>) {
    let (mut exchanges, mut path, mut locs) = (Vec::new(), Vec::new(), Vec::new());
    for &s in swaps {
        if let Op::Swap {
            exchanges: e,
            path: p,
            locs: l,
            ..
        } = problem.op(s)
        {
            exchanges.extend(e.iter().cloned());
            locs.extend(l.iter().copied());
            if path.is_empty() {
                path.extend(p.iter().cloned());
            } else {
                path.extend(p.iter().skip(1).cloned());
            }
        }
    }
    (exchanges, path, locs)
}

/// Whether a path goes through no pair twice (the runtime refuses such a
/// path: the second visit would see moved reserves) and never swaps a
/// token for itself.
fn no_pair_twice(exchanges: &[String], path: &[String]) -> bool {
    let mut seen = BTreeSet::new();
    path.windows(2).all(|w| w[0] != w[1])
        && exchanges.len() + 1 == path.len()
        && hops(exchanges, path).into_iter().all(|p| seen.insert(p))
}

/// The actions that make what `value` reads: back from each wire it reads
/// through the boxes that are not actions (bookkeeping, inputs, checks) to
/// the first actions on the way.
fn made_from(problem: &Problem, value: &Value) -> Set {
    let mut wires = Vec::new();
    value.wires(&mut wires);
    let mut found: Set = 0;
    let mut seen = BTreeSet::new();
    while let Some(wire) = wires.pop() {
        if !seen.insert(wire) {
            continue;
        }
        let Some(&p) = problem.producer.get(&wire) else {
            continue;
        };
        match problem.class[p] {
            Class::Action(a) => found |= bit(a),
            Class::Free(_) | Class::Book => {
                let op = &problem.nodes[p].op;
                wires.extend(op.domain());
                for v in op.values() {
                    v.wires(&mut wires);
                }
            }
        }
    }
    found
}

fn follows(problem: &Problem) -> Vec<Set> {
    let n = problem.len();
    let out_of: Vec<Option<Wire>> = (0..n)
        .map(|a| match problem.op(a) {
            Op::Bridge { out, .. } => Some(*out),
            _ => None,
        })
        .collect();
    let mut follows = vec![0 as Set; n];
    for x in 0..n {
        let Some(ox) = out_of[x] else { continue };
        if problem.read.contains(&ox) {
            continue;
        }
        // Down the holding x's arrival joins, merge by merge, while no
        // value reads what they make: each arrival merged in on the way.
        let mut held = ox;
        for _ in 0..problem.nodes.len() {
            let Some(&m) = problem.consumer.get(&held) else {
                break;
            };
            let Op::Merge { inputs, out } = &problem.nodes[m].op else {
                break;
            };
            if problem.read.contains(out) {
                break;
            }
            let other = if inputs[0] == held {
                inputs[1]
            } else {
                inputs[0]
            };
            for (y, o) in out_of.iter().enumerate() {
                if y != x && *o == Some(other) && !problem.read.contains(&other) {
                    follows[x] |= bit(y);
                }
            }
            held = *out;
        }
    }
    follows
}

fn loans(problem: &Problem, registry: &Registry) -> Vec<Loan> {
    // Union of debt wires: a borrow's, a merge's inputs and output, a
    // repay's obligation and its rest.
    let mut parent: std::collections::HashMap<Wire, Wire> = std::collections::HashMap::new();
    fn find(parent: &mut std::collections::HashMap<Wire, Wire>, w: Wire) -> Wire {
        let mut root = w;
        while let Some(&p) = parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        parent.insert(w, root);
        root
    }
    let union = |parent: &mut std::collections::HashMap<Wire, Wire>, a: Wire, b: Wire| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent.insert(ra, rb);
        }
    };
    for node in &problem.nodes {
        match &node.op {
            Op::Merge { inputs, out } if problem.wire_type(*out).is_some_and(|t| t.is_debt()) => {
                union(&mut parent, inputs[0], *out);
                union(&mut parent, inputs[1], *out);
            }
            Op::Repay {
                debt,
                rest: Some(rest),
                ..
            } => union(&mut parent, *debt, *rest),
            _ => {}
        }
    }
    let mut loans: Vec<(Wire, Loan)> = Vec::new();
    for a in 0..problem.len() {
        let (debt, is_borrow, protocol) = match problem.op(a) {
            Op::Borrow { debt, protocol, .. } => (*debt, true, protocol),
            Op::Repay { debt, protocol, .. } => (*debt, false, protocol),
            _ => continue,
        };
        let root = find(&mut parent, debt);
        let flashable = registry.protocol(protocol).is_some_and(|p| p.flash_loans);
        match loans.iter_mut().find(|(r, _)| *r == root) {
            Some((_, loan)) => {
                loan.actions |= bit(a);
                loan.flashable &= flashable;
                if is_borrow {
                    loan.borrows.push(a);
                }
            }
            None => loans.push((
                root,
                Loan {
                    actions: bit(a),
                    borrows: if is_borrow { vec![a] } else { Vec::new() },
                    flashable,
                },
            )),
        }
    }
    loans.into_iter().map(|(_, l)| l).collect()
}

/// Every outcome of sending the actions of `set` (all on one chain, closed
/// under their local dependencies) as one transaction: for each order and
/// each program the laws reach from it, one per distinct set of instances.
/// Which transfer of a batch pays the route's call is left to the meter
/// (`super::build`): it changes nothing else. Also the number of orders
/// tried and programs reached; `None` when that went over `budget`.
pub(super) fn shapes(
    problem: &Problem,
    facts: &Facts,
    set: Set,
    reduce: bool,
    budget: u64,
) -> (Option<Vec<Shape>>, u64) {
    let loans: Vec<usize> = facts
        .loans
        .iter()
        .enumerate()
        .filter(|(_, l)| l.flashable && !l.borrows.is_empty() && l.actions & !set == 0)
        .map(|(i, _)| i)
        .collect();
    // The borrows that may be flash loans here, and so join a
    // multi-asset call.
    let flashable: Set = loans
        .iter()
        .flat_map(|l| facts.loans[*l].borrows.iter())
        .fold(0, |m, b| m | bit(*b));
    let relations = if reduce {
        Relations::new(problem, facts, set, flashable)
    } else {
        Relations::none(problem, set)
    };
    let mut found: Vec<Shape> = Vec::new();
    let mut keys: HashSet<Key> = HashSet::new();
    let mut visited: HashSet<State> = HashSet::new();
    let mut reached = 0u64;
    orders(problem, set, &relations, &mut |order| {
        reached += 1;
        if reached > budget {
            return;
        }
        let items: Vec<Item> = order.iter().map(|a| Item::Call(*a)).collect();
        let start = (relations.normal(items), Vec::new());
        let mut queue = VecDeque::new();
        if visited.insert(start.clone()) {
            queue.push_back(start);
        }
        while let Some((items, cancelled)) = queue.pop_front() {
            reached += 1;
            if reached > budget {
                return;
            }
            for (next, c) in rewrites(problem, facts, flashable, &items, &cancelled) {
                let next = (relations.normal(next), c);
                if visited.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
            // Each set of flash loans, the most first; a multi-asset call
            // takes flash loans only.
            for choice in (0..1usize << loans.len()).rev() {
                let flash: Vec<usize> = loans
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| choice & (1 << i) != 0)
                    .map(|(_, l)| *l)
                    .collect();
                let joined_flash = items.iter().all(|item| match item {
                    Item::Loans(v) => v
                        .iter()
                        .all(|b| facts.loan_of[*b].is_some_and(|l| flash.contains(&l))),
                    _ => true,
                });
                if !joined_flash {
                    continue;
                }
                let shape = Shape {
                    items: items.clone(),
                    cancelled: cancelled.clone(),
                    flash,
                };
                if keys.insert(key(facts, &shape)) {
                    found.push(shape);
                }
            }
        }
    });
    ((reached <= budget).then_some(found), reached)
}

/// What an outcome's gas depends on: its steps as a set, each with the
/// stretch of its transaction it stands in between the borrows and the
/// repayments of its flash loans (a call made inside a loan's callback
/// costs `flash_callback_call` more, so which calls stand inside matters;
/// their order within a stretch does not), what it cancels, its flash
/// loans.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    items: Vec<(usize, Item)>,
    cancelled: Vec<(usize, usize)>,
    flash: Vec<usize>,
}

fn key(facts: &Facts, shape: &Shape) -> Key {
    let mut stretch = 0usize;
    let mut items = Vec::with_capacity(shape.items.len());
    for item in &shape.items {
        let bounds = members(actions_of(item))
            .any(|a| facts.loan_end(a).is_some_and(|l| shape.flash.contains(&l)));
        if bounds {
            stretch += 1;
            items.push((stretch, item.clone()));
            stretch += 1;
        } else {
            items.push((stretch, item.clone()));
        }
    }
    items.sort();
    let mut cancelled = shape.cancelled.clone();
    cancelled.sort();
    Key {
        items,
        cancelled,
        flash: shape.flash.clone(),
    }
}

/// Which actions of a transaction's set have places a law looks at, and
/// which two of them commute: no law can tell their order apart.
///
/// Where a loan may be a flash loan, every action's place matters (inside
/// its callback a call costs more). Elsewhere only the ends of a fusion
/// (and the swaps on its pairs, which may stand in its way), the bridges a
/// merge or a batch may gather (and what depends on them, which may stand
/// in a batch's way), and the loans a multi-asset call may join (and what
/// makes their amounts, which may stand between them) have places that
/// matter: a lender's calls keep their written
/// order whatever the order, and nothing else is an end of a law or in the
/// way of one. Two actions neither of which follows the other commute
/// unless one depends on a bridge a law may gather and the other is a
/// bridge, they are bridges of one transfer (one token, route and
/// destination: a merge takes them in their order), one is a swap on a
/// pair that a fusion of the other looks at, one is a loan a call may
/// join and the other makes what such a loan's amount reads, or one is a
/// borrow or a repayment of a loan that may be a flash loan: which calls
/// stand inside its callback is a matter of gas.
struct Relations {
    matters: Set,
    /// Per action: the actions it commutes with.
    commutes: Vec<Set>,
}

impl Relations {
    fn new(problem: &Problem, facts: &Facts, set: Set, flashable: Set) -> Relations {
        let mut ends: Set = 0;
        let mut gathered: Set = 0;
        // Loans a multi-asset call may join, and what their amounts read.
        let mut loans: Set = 0;
        let mut loan_inputs: Set = 0;
        // Swaps joined by a fusion that may apply.
        let mut component: Vec<Set> = vec![0; problem.len()];
        for a in members(set) {
            for b in members(set) {
                if a == b {
                    continue;
                }
                if let (Some((_, _, out, unbounded)), Some((_, input, _, _))) =
                    (facts.swap(a), facts.swap(b))
                {
                    if out == input && unbounded && !problem.read.contains(&out) {
                        ends |= bit(a) | bit(b);
                        component[a] |= bit(a) | bit(b);
                        component[b] |= bit(a) | bit(b);
                    }
                }
                if let (Some((ra, ta, da)), Some((rb, tb, db))) = (facts.bridge(a), facts.bridge(b))
                {
                    let merge = facts.follows[a] & bit(b) != 0;
                    let batch = ra == rb && da == db && ta != tb && ra != BridgeKind::Htlb;
                    if merge || batch {
                        ends |= bit(a) | bit(b);
                        gathered |= bit(a) | bit(b);
                    }
                }
                if let (Some((ta, from_a)), Some((tb, from_b))) = (facts.borrow(a), facts.borrow(b))
                {
                    if flashable & bit(a) != 0
                        && flashable & bit(b) != 0
                        && ta != tb
                        && facts.lender[a] == facts.lender[b]
                    {
                        loans |= bit(a) | bit(b);
                        loan_inputs |= (from_a | from_b) & set;
                    }
                }
            }
        }
        ends |= loans | loan_inputs;
        // A chain of fusions is one component.
        loop {
            let mut grown = false;
            for a in members(set) {
                let joined = members(component[a]).fold(component[a], |m, b| m | component[b]);
                if joined != component[a] {
                    component[a] = joined;
                    grown = true;
                }
            }
            if !grown {
                break;
            }
        }
        let looked_at: Vec<BTreeSet<Pair>> = (0..problem.len())
            .map(|a| {
                members(component[a])
                    .flat_map(|s| facts.pairs[s].iter().cloned())
                    .collect()
            })
            .collect();
        let all_looked_at: BTreeSet<Pair> =
            looked_at.iter().flat_map(|p| p.iter().cloned()).collect();
        let dependent = |a: usize| problem.reach[a] & gathered != 0;
        // The borrows and repayments of the loans that may be flash loans
        // here: the ends of a callback.
        let bounds: Set = members(set)
            .filter(|&a| {
                facts
                    .loan_end(a)
                    .is_some_and(|l| facts.loans[l].flashable && facts.loans[l].actions & !set == 0)
            })
            .fold(0, |m, a| m | bit(a));
        // Where a loan that may be a flash loan is, every action's place
        // matters: before, inside or after its callback.
        let matters: Set = if bounds != 0 {
            set
        } else {
            members(set)
                .filter(|&a| {
                    ends & bit(a) != 0
                        || !facts.pairs[a].is_disjoint(&all_looked_at)
                        || dependent(a)
                })
                .fold(0, |m, a| m | bit(a))
        };
        let commute = |x: usize, y: usize| -> bool {
            if problem.reach[x] & bit(y) != 0 || problem.reach[y] & bit(x) != 0 {
                return false;
            }
            if bounds & (bit(x) | bit(y)) != 0 {
                return false;
            }
            let (bx, by) = (facts.bridge(x), facts.bridge(y));
            if (dependent(x) && by.is_some()) || (dependent(y) && bx.is_some()) {
                return false;
            }
            let joins = |l: usize, i: usize| loans & bit(l) != 0 && loan_inputs & bit(i) != 0;
            if joins(x, y) || joins(y, x) {
                return false;
            }
            if let (Some(bx), Some(by)) = (bx, by) {
                return bx != by;
            }
            facts.pairs[x].is_disjoint(&looked_at[y]) && facts.pairs[y].is_disjoint(&looked_at[x])
        };
        let mut commutes = vec![0 as Set; problem.len()];
        for x in members(set) {
            for y in members(set) {
                if x != y && commute(x, y) {
                    commutes[x] |= bit(y);
                }
            }
        }
        Relations { matters, commutes }
    }

    /// No reduction: every action's place matters, none commute.
    fn none(problem: &Problem, set: Set) -> Relations {
        Relations {
            matters: set,
            commutes: vec![0; problem.len()],
        }
    }

    fn commute(&self, x: usize, y: usize) -> bool {
        self.commutes[x] & bit(y) != 0
    }

    /// Whether every action of one item commutes with every action of the
    /// other.
    fn items_commute(&self, x: &Item, y: &Item) -> bool {
        let ys = actions_of(y);
        members(actions_of(x)).all(|a| self.commutes[a] & ys == ys)
    }

    /// The least order (by [`Item`]'s order) of the items reached by
    /// swapping commuting ones: each next item the least that commutes
    /// with every item left before it. Orders of one set of items that
    /// differ only by such swaps reach the same outcomes, and have one
    /// least form.
    fn normal(&self, mut rest: Vec<Item>) -> Vec<Item> {
        let mut out = Vec::with_capacity(rest.len());
        while !rest.is_empty() {
            let mut pick = 0;
            for k in 1..rest.len() {
                if rest[k] < rest[pick] && rest[..k].iter().all(|b| self.items_commute(&rest[k], b))
                {
                    pick = k;
                }
            }
            out.push(rest.remove(pick));
        }
        out
    }
}

/// Calls `f` with every order of `set` that keeps the local dependencies,
/// up to orders that reach the same outcomes: each action whose place no
/// law looks at is placed as soon as it can be, and of two that commute
/// coming next to each other only the least goes first (which keeps the
/// lexicographically least order of every class).
fn orders(problem: &Problem, set: Set, relations: &Relations, f: &mut dyn FnMut(&[usize])) {
    fn go(
        problem: &Problem,
        set: Set,
        relations: &Relations,
        placed: Set,
        last: Option<usize>,
        order: &mut Vec<usize>,
        f: &mut dyn FnMut(&[usize]),
    ) {
        if placed == set {
            f(order);
            return;
        }
        let ready: Vec<usize> = members(set & !placed)
            .filter(|&a| problem.local[a] & set & !placed == 0)
            .collect();
        if let Some(&a) = ready.iter().find(|&&a| relations.matters & bit(a) == 0) {
            order.push(a);
            go(problem, set, relations, placed | bit(a), last, order, f);
            order.pop();
            return;
        }
        for a in ready {
            if last.is_some_and(|p| a < p && relations.commute(p, a)) {
                continue;
            }
            order.push(a);
            go(problem, set, relations, placed | bit(a), Some(a), order, f);
            order.pop();
        }
    }
    go(problem, set, relations, 0, None, &mut Vec::new(), f);
}

type State = (Vec<Item>, Vec<(usize, usize)>);

/// Every program one admissible instance away.
fn rewrites(
    problem: &Problem,
    facts: &Facts,
    flashable: Set,
    items: &[Item],
    cancelled: &[(usize, usize)],
) -> Vec<State> {
    let mut out = Vec::new();
    for i in 0..items.len() {
        for j in i + 1..items.len() {
            let between = &items[i + 1..j];
            // The two items become `new`, where the second was (`at_first`:
            // where the first was), or go (`cancel`).
            let mut replace =
                |new: Option<Item>, cancel: Option<(usize, usize)>, at_first: bool| {
                    let mut next: Vec<Item> = Vec::with_capacity(items.len());
                    for (k, item) in items.iter().enumerate() {
                        if k == i || k == j {
                            if (k == i) == at_first {
                                next.extend(new.iter().cloned());
                            }
                            continue;
                        }
                        next.push(item.clone());
                    }
                    let mut c = cancelled.to_vec();
                    c.extend(cancel);
                    out.push((next, c));
                };
            if let Some(new) = fuse(problem, facts, &items[i], &items[j], between) {
                replace(Some(new), None, false);
            }
            if let Some(new) = merge_deposits(facts, &items[i], &items[j], between) {
                replace(Some(new), None, false);
            }
            if let Some(pair) = cancel(facts, &items[i], &items[j], between) {
                replace(Some(Item::Healthy(pair.1)), Some(pair), false);
            }
            if let Some(new) = merge_bridges(facts, &items[i], &items[j]) {
                replace(Some(new), None, false);
            }
            if let Some(new) = batch(problem, facts, &items[i], &items[j], between) {
                replace(Some(new), None, false);
            }
            if let Some(new) = join_loans(problem, facts, flashable, &items[i..=j]) {
                replace(Some(new), None, true);
            }
        }
    }
    out
}

/// Swap fusion: the first unbounded, its whole output the second's input,
/// its output's amount read by no value, no pair (of an exchange) twice on
/// the joined path, and nothing between swapping on a pair of the first,
/// which moves down to the second. The hops may be on pairs of different
/// exchanges: every Uniswap V2 fork's pair takes the same direct call and
/// sends its output straight to the next pair.
fn fuse(
    problem: &Problem,
    facts: &Facts,
    first: &Item,
    second: &Item,
    between: &[Item],
) -> Option<Item> {
    let a = facts.swaps(first)?;
    let b = facts.swaps(second)?;
    let (_, _, out, unbounded) = facts.swap(*a.last()?)?;
    let (_, input, _, _) = facts.swap(*b.first()?)?;
    if input != out || !unbounded || problem.read.contains(&out) {
        return None;
    }
    let joined: Vec<usize> = a.iter().chain(b.iter()).copied().collect();
    let (exchanges, path, _) = fused(problem, &joined);
    if !no_pair_twice(&exchanges, &path) {
        return None;
    }
    let moved = facts.pairs_of(first);
    if between
        .iter()
        .any(|item| !facts.pairs_of(item).is_disjoint(&moved))
    {
        return None;
    }
    Some(Item::Swaps(joined))
}

/// A multi-asset flash loan: the loan `items[last]` (a borrow that may be
/// a flash loan here) joins the flash loans of `items[0]` (a borrow or
/// loans joined already), taken where they are: one lender, a token none
/// of them lends, nothing from `items[0]` on making what its amount reads
/// (it is computed where the call is), and nothing between calling that
/// lender about that token (the lender's reserves of different tokens are
/// independent, so the loan moved earlier sees the same liquidity).
fn join_loans(problem: &Problem, facts: &Facts, flashable: Set, items: &[Item]) -> Option<Item> {
    let (first, rest) = items.split_first()?;
    let (second, between) = rest.split_last()?;
    let a = facts.loans_of(first)?;
    let Item::Call(b) = second else {
        return None;
    };
    let (token, amount_from) = facts.borrow(*b)?;
    let lender = facts.lender[*b].as_deref()?;
    let joinable = |x: usize| flashable & bit(x) != 0 && facts.lender[x].as_deref() == Some(lender);
    if !joinable(*b) || !a.iter().all(|x| joinable(*x)) {
        return None;
    }
    if a.iter()
        .any(|x| facts.borrow(*x).is_none_or(|(t, _)| t == token))
    {
        return None;
    }
    if items[..items.len() - 1]
        .iter()
        .any(|item| actions_of(item) & amount_from != 0)
    {
        return None;
    }
    let touches = |x: usize| {
        facts
            .lender_token(problem, x)
            .is_some_and(|(l, t)| l == lender && t == token)
    };
    if between
        .iter()
        .any(|item| members(actions_of(item)).any(touches))
    {
        return None;
    }
    let mut joined = a;
    joined.push(*b);
    Some(Item::Loans(joined))
}

/// Deposit merge: one token into one lender, no call to that lender between.
fn merge_deposits(facts: &Facts, first: &Item, second: &Item, between: &[Item]) -> Option<Item> {
    let a = facts.deposits(first)?;
    let b = facts.deposits(second)?;
    let lender = facts.lender[*a.first()?].as_deref()?;
    if facts.lender[*b.first()?].as_deref() != Some(lender)
        || facts.token_of_deposit(a[0]) != facts.token_of_deposit(b[0])
        || between
            .iter()
            .any(|item| facts.lender_of(item) == Some(lender))
    {
        return None;
    }
    let all: Vec<usize> = a.into_iter().chain(b).collect();
    if facts.assumed_between(&all) {
        return None;
    }
    Some(Item::Deposits(all))
}

/// Cancellation: a deposit, then a withdrawal of its token and amount from
/// its lender, no call to that lender between.
fn cancel(facts: &Facts, first: &Item, second: &Item, between: &[Item]) -> Option<(usize, usize)> {
    let (Item::Call(d), Item::Call(w)) = (first, second) else {
        return None;
    };
    let (
        Act::Deposit { token, amounts, .. },
        Act::Withdraw {
            token: w_token,
            amount,
        },
    ) = (&facts.acts[*d], &facts.acts[*w])
    else {
        return None;
    };
    let lender = facts.lender[*d].as_deref()?;
    if facts.lender[*w].as_deref() != Some(lender)
        || token != w_token
        || !amounts.contains(amount)
        || between
            .iter()
            .any(|item| facts.lender_of(item) == Some(lender))
        || facts.assumed_between(&[*d, *w])
    {
        return None;
    }
    Some((*d, *w))
}

/// Bridge merge: one token, one route, one destination, the second
/// arrival joining the holding the first's joined, no value reading either
/// or a holding made between.
fn merge_bridges(facts: &Facts, first: &Item, second: &Item) -> Option<Item> {
    let a = facts.bridges(first)?;
    let b = facts.bridges(second)?;
    let (route_a, token_a, to_a) = facts.bridge(*a.last()?)?;
    let (route_b, token_b, to_b) = facts.bridge(*b.first()?)?;
    if (route_a, token_a, to_a) != (route_b, token_b, to_b)
        || facts.follows[*a.last()?] & bit(b[0]) == 0
    {
        return None;
    }
    Some(Item::Bridges(a.into_iter().chain(b).collect()))
}

/// Bridge batch: different tokens, one `zk` or `threshold` route, one
/// destination, nothing between (or the second) using an arrival of the
/// first.
fn batch(
    problem: &Problem,
    facts: &Facts,
    first: &Item,
    second: &Item,
    between: &[Item],
) -> Option<Item> {
    let a = facts.transfers(first)?;
    let b = facts.transfers(second)?;
    let (route, _, to) = facts.bridge(*a.first()?.first()?)?;
    let (route_b, _, to_b) = facts.bridge(*b.first()?.first()?)?;
    if route != route_b || to != to_b || route == BridgeKind::Htlb {
        return None;
    }
    let mut tokens = BTreeSet::new();
    for transfer in a.iter().chain(b.iter()) {
        let (_, token, _) = facts.bridge(*transfer.first()?)?;
        if !tokens.insert(token) {
            return None;
        }
    }
    let sent = actions_of(first);
    let uses_first = |item: &Item| members(actions_of(item)).any(|x| problem.reach[x] & sent != 0);
    if between.iter().any(uses_first) || uses_first(second) {
        return None;
    }
    // Which transfer pays the route's call is chosen when the outcome is
    // taken (see `shapes`): the batch is a set.
    let mut all: Vec<Vec<usize>> = a.into_iter().chain(b).collect();
    all.sort();
    Some(Item::Batch(all))
}
