//! The program as the search reads it: its boxes in program order, which of
//! them are actions, and what orders them (docs/optimiser.md, "The exact
//! optimum").
//!
//! - **Data**: a box comes after the producer of every wire it consumes or
//!   whose amount it reads.
//! - **Protocol state**: two boxes on one chain that touch the same lender,
//!   the same pair (by its unordered tokens), or — two `input`s — the
//!   wallet's balance of one token keep their written order.
//!
//! Between actions, an order is *local* when the two may share a
//! transaction (same chain, and no `input` or `require` of another chain
//! stands between them on the path) and *crossing* otherwise: the later one
//! must then be in a later transaction.

use crate::ir::{Node, Op, Program, Term, Wire, WireType};
use mesh_core::registry::pair_tokens;
use std::collections::{BTreeSet, HashMap};

/// A set of actions, by index.
pub(super) type Set = u32;

/// The most actions a [`Set`] holds.
pub(super) const MAX_ACTIONS: usize = 32;

pub(super) fn bit(i: usize) -> Set {
    1 << i
}

/// The members of a set, in increasing order.
pub(super) fn members(set: Set) -> impl Iterator<Item = usize> {
    (0..MAX_ACTIONS).filter(move |i| set & bit(*i) != 0)
}

/// What a box is to the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    /// A call that needs a transaction: the action of this index.
    Action(usize),
    /// `input`, `require` or `assume`: on the chain of this index, needing no
    /// transaction of its own.
    Free(usize),
    /// A split or a merge: no chain, no call.
    Book,
}

/// A box of the program and the chain of the transaction holding it.
#[derive(Clone, Debug)]
pub(super) struct Placed {
    pub node: Node,
    pub tx_chain: Option<String>,
}

/// The boxes of `program` in program order, approvals left out (grants
/// are placed afresh for the executor).
pub(super) fn boxes(program: &Program) -> Vec<Placed> {
    let mut out = Vec::new();
    walk(&program.body, None, &mut out);
    out
}

fn walk(term: &Term, tx: Option<&str>, out: &mut Vec<Placed>) {
    match term {
        Term::Gen(node) => {
            if !matches!(node.op, Op::Approve { .. }) {
                out.push(Placed {
                    node: node.clone(),
                    tx_chain: tx.map(str::to_string),
                });
            }
        }
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms {
                walk(t, tx, out);
            }
        }
        Term::Tx { chain, body, .. } => {
            for t in body {
                walk(t, Some(chain), out);
            }
        }
    }
}

/// Whether a box is an action: a call that needs a transaction.
pub(super) fn is_action(op: &Op) -> bool {
    op.needs_transaction() && !matches!(op, Op::Approve { .. })
}

/// The number of actions of a program: each non-approval call.
pub(super) fn count_actions(boxes: &[Placed]) -> usize {
    boxes.iter().filter(|b| is_action(&b.node.op)).count()
}

/// Protocol state a box touches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum State {
    Lender(usize, String),
    Pair(usize, String, String, String),
    Wallet(usize, String),
}

/// The problem one search solves: the boxes after the choices made before
/// scheduling (routes, round trips), and the orders between them.
pub(super) struct Problem {
    pub wires: Vec<WireType>,
    pub nodes: Vec<Node>,
    pub class: Vec<Class>,
    pub chains: Vec<String>,
    /// The box of each action.
    pub actions: Vec<usize>,
    /// The chain of each action (its transaction's).
    pub action_chain: Vec<usize>,
    /// Per action: the actions it follows that may share its transaction.
    pub local: Vec<Set>,
    /// Per action: the actions it follows that must be in an earlier
    /// transaction.
    pub cross: Vec<Set>,
    /// Per action: every action it follows, transitively.
    pub reach: Vec<Set>,
    /// Per action: every action that must be in a strictly earlier
    /// transaction (a path from it with a crossing order on the way).
    pub later: Vec<Set>,
    /// Every wire whose amount some value reads.
    pub read: BTreeSet<Wire>,
    /// The box producing each wire, and the one consuming it.
    pub producer: HashMap<Wire, usize>,
    pub consumer: HashMap<Wire, usize>,
}

impl Problem {
    pub fn new(wires: Vec<WireType>, placed: Vec<Placed>) -> Result<Problem, String> {
        let mut chains: Vec<String> = Vec::new();
        let mut chain_index = |name: &str| match chains.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                chains.push(name.to_string());
                chains.len() - 1
            }
        };
        let mut class = Vec::with_capacity(placed.len());
        let mut actions = Vec::new();
        let mut action_chain = Vec::new();
        let mut state_chain = Vec::with_capacity(placed.len());
        for (i, p) in placed.iter().enumerate() {
            let op = &p.node.op;
            if is_action(op) {
                let Some(chain) = p.tx_chain.as_deref() else {
                    return Err(format!(
                        "{} at {} is outside any transaction",
                        op.name(),
                        p.node.loc
                    ));
                };
                let c = chain_index(chain);
                class.push(Class::Action(actions.len()));
                actions.push(i);
                action_chain.push(c);
                state_chain.push(Some(c));
            } else {
                match op {
                    Op::Input { chain, .. }
                    | Op::Require { chain, .. }
                    | Op::Assume { chain, .. } => {
                        let c = chain_index(chain);
                        class.push(Class::Free(c));
                        state_chain.push(Some(c));
                    }
                    _ => {
                        class.push(Class::Book);
                        state_chain.push(None);
                    }
                }
            }
        }
        if actions.len() > MAX_ACTIONS {
            return Err(format!(
                "{} actions; the search handles at most {MAX_ACTIONS}",
                actions.len()
            ));
        }
        let nodes: Vec<Node> = placed.into_iter().map(|p| p.node).collect();

        let mut producer = HashMap::new();
        let mut consumer = HashMap::new();
        let mut read = BTreeSet::new();
        let mut last_toucher: HashMap<State, usize> = HashMap::new();
        let mut preds = vec![Vec::new(); nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            let mut reads = Vec::new();
            for value in node.op.values() {
                value.wires(&mut reads);
            }
            for wire in node.op.domain().iter().chain(reads.iter()) {
                if let Some(&p) = producer.get(wire) {
                    preds[i].push(p);
                }
            }
            read.extend(reads.iter().copied());
            for wire in node.op.domain() {
                consumer.insert(wire, i);
            }
            if let Some(c) = state_chain[i] {
                for state in states(&node.op, c) {
                    if let Some(p) = last_toucher.insert(state, i) {
                        preds[i].push(p);
                    }
                }
            }
            for wire in node.op.codomain() {
                producer.insert(wire, i);
            }
            preds[i].sort_unstable();
            preds[i].dedup();
        }

        let n = actions.len();
        let mut local = vec![0 as Set; n];
        let mut cross = vec![0 as Set; n];
        for (b, &bx) in actions.iter().enumerate() {
            let own = action_chain[b];
            // Backwards through boxes that are not actions; `separated`
            // once the path passes an `input` or `require` of another chain.
            let mut seen: BTreeSet<(usize, bool)> = BTreeSet::new();
            let mut stack: Vec<(usize, bool)> = preds[bx].iter().map(|&p| (p, false)).collect();
            while let Some((x, separated)) = stack.pop() {
                if !seen.insert((x, separated)) {
                    continue;
                }
                match class[x] {
                    Class::Action(a) => {
                        if separated || action_chain[a] != own {
                            cross[b] |= bit(a);
                        } else {
                            local[b] |= bit(a);
                        }
                    }
                    Class::Free(c) => {
                        let separated = separated || c != own;
                        stack.extend(preds[x].iter().map(|&p| (p, separated)));
                    }
                    Class::Book => stack.extend(preds[x].iter().map(|&p| (p, separated))),
                }
            }
            local[b] &= !cross[b];
        }
        // Program order is a topological order: every predecessor of an
        // action is an earlier action.
        let mut reach = vec![0 as Set; n];
        let mut later = vec![0 as Set; n];
        for b in 0..n {
            for a in members(local[b] | cross[b]) {
                reach[b] |= bit(a) | reach[a];
            }
            for a in members(cross[b]) {
                later[b] |= bit(a) | reach[a];
            }
            for a in members(local[b]) {
                later[b] |= later[a];
            }
        }
        Ok(Problem {
            wires,
            nodes,
            class,
            chains,
            actions,
            action_chain,
            local,
            cross,
            reach,
            later,
            read,
            producer,
            consumer,
        })
    }

    pub fn len(&self) -> usize {
        self.actions.len()
    }

    pub fn all(&self) -> Set {
        if self.len() == MAX_ACTIONS {
            Set::MAX
        } else {
            bit(self.len()) - 1
        }
    }

    /// The operation of action `a`.
    pub fn op(&self, a: usize) -> &Op {
        &self.nodes[self.actions[a]].op
    }

    pub fn node(&self, a: usize) -> &Node {
        &self.nodes[self.actions[a]]
    }

    pub fn wire_type(&self, wire: Wire) -> Option<&WireType> {
        self.wires.get(wire.0 as usize)
    }

    /// The token of a funds wire.
    pub fn token(&self, wire: Wire) -> &str {
        self.wire_type(wire).map_or("", WireType::token)
    }

    /// The chain of a wire.
    pub fn chain_of(&self, wire: Wire) -> &str {
        self.wire_type(wire).map_or("", WireType::chain)
    }
}

/// The protocol state a box touches, on the chain of index `chain`.
fn states(op: &Op, chain: usize) -> Vec<State> {
    match op {
        Op::Borrow { protocol, .. }
        | Op::FlashLoan { protocol, .. }
        | Op::Repay { protocol, .. }
        | Op::Deposit { protocol, .. }
        | Op::Withdraw { protocol, .. }
        | Op::BorrowDebt { protocol, .. }
        | Op::RepayDebt { protocol, .. }
        | Op::Assume { protocol, .. } => vec![State::Lender(chain, protocol.clone())],
        // Each hop on the pair of its own exchange.
        Op::Swap {
            exchanges, path, ..
        } => path
            .windows(2)
            .zip(exchanges)
            .map(|(hop, exchange)| {
                let (a, b) = pair_tokens(&hop[0], &hop[1]);
                State::Pair(chain, exchange.clone(), a.to_string(), b.to_string())
            })
            .collect(),
        Op::Input { token, .. } => vec![State::Wallet(chain, token.clone())],
        // WETH9 takes any amount both ways: no state another box reads.
        Op::Wrap { .. }
        | Op::Unwrap { .. }
        | Op::Bridge { .. }
        | Op::BridgeBatch { .. }
        | Op::Split { .. }
        | Op::Merge { .. }
        | Op::Require { .. }
        | Op::Approve { .. } => Vec::new(),
    }
}
