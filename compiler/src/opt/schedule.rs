//! Scheduling: the `-O0` program's boxes sent as few executor transactions
//! as their dependencies allow.
//!
//! The `-O0` lowering sends every action as its own wallet transaction in
//! the order the bundle is written. Written order is one order among many:
//! the boxes form a graph whose edges are all that the bundle's meaning
//! needs, and any order that keeps the edges runs the same calls with the
//! same amounts on the same state.
//!
//! - **Data**: a box comes after the box that produced each wire it
//!   consumes or whose amount it reads.
//! - **State**: two actions on one chain that touch the same protocol state
//!   keep their order — a lender's balances and the user's position there
//!   (an `assume` of it too), a pair's reserves (by pair, so
//!   swaps on different pairs of one exchange commute), and the wallet's
//!   balance of a token for `input`.
//!
//! Nothing else orders boxes: `parallel` branches, `on` blocks and the
//! lines between statements do not. Which step's failure a reverted run
//! reports does not depend on the order either: a run goes on past a
//! failing step and reports the failure that comes first in the source
//! (docs/runtime.md), and every step written before it has the same inputs
//! and state in any order that keeps the edges.
//!
//! Each action is given a *level*: the transactions of one chain at one
//! level are one executor transaction, and the levels are sent in order.
//! An action's level is at least its predecessors' on its chain, and one
//! more than a predecessor's on another chain (what a transaction on one
//! chain produces is seen on another only by a later transaction). Levels
//! start as early as possible; then, chain by chain, the actions of one
//! level move to the chain's next level, the actions that depend on them
//! moving later as far as they must (each to the first transaction of its
//! chain late enough, or to one of its own), wherever that leaves fewer
//! transactions — each move kept removes a transaction, so this ends. A
//! dependent moves alone, or with every action of its transaction, which
//! ever leaves fewer. Last, a loan whose borrow is sent before its repays
//! (from a lender that offers flash loans) has its borrow moved to the
//! transaction of its repays where that sends no more transactions and
//! closes more loans, so that the flash-loan law can apply. Then an action
//! (not a loan's borrow or repay) moves to the nearest transaction of its
//! chain before or after its own, or to the nearest that calls its pool,
//! where that keeps the edges, sends no more transactions and costs less
//! gas: there it finds the pool, or a token, warm (a bounded number of
//! placements is metered). If the moves make the bundle miss its deadline
//! where the earliest levels do not, the earliest levels are kept.
//!
//! Bookkeeping (splits and merges of holdings), `input` and `require` need
//! no transaction: each is placed as early as its inputs allow, outside
//! transactions or inside one of its own chain.
//!
//! `gather` holds that last step, the moves of single actions for gas.

use super::{approvals, Context, OptError};

mod gather;
use crate::ir::{gas, Node, Op, Program, Sender, Term, Wire};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub const NAME: &str = "scheduling";

/// At most this many placements are metered when actions move between the
/// transactions of their chain for gas (`Graph::gather`): each is a
/// metering of the whole program, so the step stays linear in its size.
const GATHER_TRIALS: usize = 64;

/// The gas of the program some levels emit, and whether it then misses
/// its deadline.
type Metering<'m> = dyn FnMut(&[u32]) -> Result<(u64, bool), OptError> + 'm;

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    let graph = Graph::of(program);
    let earliest = graph.earliest_levels();
    let mut packed = earliest.clone();
    graph.pack(&mut packed);
    graph.close_loans(&mut packed, cx.registry);
    let placed = |levels: &[u32]| {
        let mut p = program.clone();
        p.body = Term::Seq(graph.emit(levels));
        approvals::place(&mut p);
        p
    };
    graph.gather(&mut packed, cx.registry, &mut |levels| {
        let p = placed(levels);
        gas::cost(&p, cx.registry, cx.schedule)
            .map(|c| (c.total(), c.misses_deadline(&p.constraints)))
            .map_err(|e| OptError {
                pass: NAME,
                message: e.to_string(),
            })
    })?;
    let mut scheduled = placed(&packed);
    let misses = |p: &Program| {
        gas::cost(p, cx.registry, cx.schedule)
            .map(|c| c.misses_deadline(&p.constraints))
            .map_err(|e| OptError {
                pass: NAME,
                message: e.to_string(),
            })
    };
    let constraints = &program.constraints;
    let has_deadline =
        constraints.deadline_blocks().is_some() || constraints.deadline_seconds().is_some();
    if has_deadline && misses(&scheduled)? {
        let mut early = program.clone();
        early.body = Term::Seq(graph.emit(&earliest));
        approvals::place(&mut early);
        if !misses(&early)? {
            scheduled = early;
        }
    }
    *program = scheduled;
    Ok(())
}

/// Scheduling again, once the local laws have removed boxes and the
/// edges they carried (a round trip cancelled, deposits merged): the
/// program as it now is, its boxes in program order, is a valid order of
/// its graph, and the levels are found afresh. Kept only where every flash
/// loan is still closed in its transaction (the laws made them flash
/// loans on the old grouping) and where it saves gas.
pub fn reschedule(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    let before = program.clone();
    run(program, cx)?;
    let gas = |p: &Program| {
        gas::cost(p, cx.registry, cx.schedule)
            .map(|c| c.total())
            .map_err(|e| OptError {
                pass: NAME,
                message: e.to_string(),
            })
    };
    if !super::flash::flash_loans_closed(program, cx.registry) || gas(program)? >= gas(&before)? {
        *program = before;
    }
    Ok(())
}

/// How a cascade moves an action that comes too early.
#[derive(Clone, Copy)]
enum Cascade {
    /// The action alone (its transaction may split).
    Alone,
    /// Every action of its transaction with it.
    Whole,
}

/// What a box is to the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A call on a chain: it needs a transaction there.
    Action { chain: usize },
    /// `input` and `require`: on a chain, but in no transaction of their own.
    Free { chain: usize },
    /// A split or a merge of holdings: no chain, no call.
    Bookkeeping,
}

/// Protocol state two actions may both touch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum State {
    Lender(String, String),
    Pair(String, String, String, String),
    Wallet(String, String),
}

/// The `-O0` program's boxes and the edges between them.
struct Graph {
    nodes: Vec<Node>,
    kinds: Vec<Kind>,
    /// Direct predecessors of each box (each earlier in program order).
    preds: Vec<Vec<usize>>,
    /// Direct successors.
    succs: Vec<Vec<usize>>,
    chains: Vec<String>,
}

impl Graph {
    fn of(program: &Program) -> Graph {
        let mut nodes = Vec::new();
        let mut tx_chains = Vec::new();
        collect(&program.body, None, &mut nodes, &mut tx_chains);
        let mut chains: Vec<String> = Vec::new();
        let mut chain_index = |name: &str| match chains.iter().position(|c| c == name) {
            Some(i) => i,
            None => {
                chains.push(name.to_string());
                chains.len() - 1
            }
        };
        let kinds: Vec<Kind> = nodes
            .iter()
            .zip(&tx_chains)
            .map(
                |(node, tx_chain): (&Node, &Option<String>)| match &node.op {
                    Op::Input { chain, .. }
                    | Op::Require { chain, .. }
                    | Op::Assume { chain, .. } => Kind::Free {
                        chain: chain_index(chain),
                    },
                    op if op.needs_transaction() => Kind::Action {
                        chain: chain_index(tx_chain.as_deref().unwrap_or_default()),
                    },
                    _ => Kind::Bookkeeping,
                },
            )
            .collect();
        let mut producer: HashMap<Wire, usize> = HashMap::new();
        let mut last_toucher: HashMap<State, usize> = HashMap::new();
        let mut preds = vec![Vec::new(); nodes.len()];
        for (i, node) in nodes.iter().enumerate() {
            let mut read = Vec::new();
            for value in node.op.values() {
                value.wires(&mut read);
            }
            for wire in node.op.domain().into_iter().chain(read) {
                if let Some(&p) = producer.get(&wire) {
                    preds[i].push(p);
                }
            }
            for state in states(&node.op, tx_chains[i].as_deref()) {
                if let Some(p) = last_toucher.insert(state, i) {
                    preds[i].push(p);
                }
            }
            for wire in node.op.codomain() {
                producer.insert(wire, i);
            }
            preds[i].sort_unstable();
            preds[i].dedup();
        }
        let mut succs = vec![Vec::new(); nodes.len()];
        for (i, ps) in preds.iter().enumerate() {
            for &p in ps {
                succs[p].push(i);
            }
        }
        Graph {
            nodes,
            kinds,
            preds,
            succs,
            chains,
        }
    }

    fn action_chain(&self, i: usize) -> Option<usize> {
        match self.kinds[i] {
            Kind::Action { chain } => Some(chain),
            _ => None,
        }
    }

    /// The least level an action on `chain` may take, given what its
    /// predecessors depend on.
    fn required(&self, i: usize, chain: usize, avail: &[Vec<(usize, u32)>]) -> u32 {
        let mut level = 0;
        for &p in &self.preds[i] {
            for &(c, l) in &avail[p] {
                level = level.max(l + u32::from(c != chain));
            }
        }
        level
    }

    /// Per chain, the latest level of an action that a box which is not
    /// an action depends on.
    fn inherited(&self, i: usize, avail: &[Vec<(usize, u32)>]) -> Vec<(usize, u32)> {
        let mut merged: Vec<(usize, u32)> = Vec::new();
        for &p in &self.preds[i] {
            for &(c, l) in &avail[p] {
                match merged.iter_mut().find(|(mc, _)| *mc == c) {
                    Some(slot) => slot.1 = slot.1.max(l),
                    None => merged.push((c, l)),
                }
            }
        }
        merged
    }

    /// Every action as early as its predecessors allow.
    fn earliest_levels(&self) -> Vec<u32> {
        let mut levels = vec![0u32; self.nodes.len()];
        let mut avail: Vec<Vec<(usize, u32)>> = vec![Vec::new(); self.nodes.len()];
        for i in 0..self.nodes.len() {
            match self.action_chain(i) {
                Some(chain) => {
                    levels[i] = self.required(i, chain, &avail);
                    avail[i] = vec![(chain, levels[i])];
                }
                None => avail[i] = self.inherited(i, &avail),
            }
        }
        levels
    }

    /// Moves the actions of one level of a chain to the chain's next level
    /// wherever that keeps every dependency, until no move is left. An
    /// action that depends on a moved one and would then come too early
    /// moves too (to the first level of its chain late enough, or to a
    /// level of its own); a move is kept only where the transactions are
    /// then fewer, so this ends.
    fn pack(&self, levels: &mut [u32]) {
        loop {
            let mut moved = false;
            for chain in 0..self.chains.len() {
                let used = self.used_levels(chain, levels);
                for pair in used.windows(2) {
                    let (from, to) = (pair[0], pair[1]);
                    let group: Vec<usize> = (0..self.nodes.len())
                        .filter(|&i| self.action_chain(i) == Some(chain) && levels[i] == from)
                        .collect();
                    if let Some(delayed) = self.delay(&group, to, levels) {
                        levels.copy_from_slice(&delayed);
                        moved = true;
                        break;
                    }
                }
                if moved {
                    break;
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// The levels used by the actions of `chain`, in order.
    fn used_levels(&self, chain: usize, levels: &[u32]) -> Vec<u32> {
        let mut used: Vec<u32> = (0..self.nodes.len())
            .filter(|&i| self.action_chain(i) == Some(chain))
            .map(|i| levels[i])
            .collect();
        used.sort_unstable();
        used.dedup();
        used
    }

    /// The number of transactions: one per chain and level used.
    fn transactions(&self, levels: &[u32]) -> usize {
        let mut groups: Vec<(usize, u32)> = (0..self.nodes.len())
            .filter_map(|i| self.action_chain(i).map(|c| (c, levels[i])))
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups.len()
    }

    /// The levels with the actions of `group` (one chain, one level) at
    /// level `to`, and every action that depends on them late enough, where
    /// that leaves fewer transactions. A dependent that would come too early
    /// moves alone, or else with every action of its transaction (so that
    /// none is split), whichever leaves fewer transactions.
    fn delay(&self, group: &[usize], to: u32, levels: &[u32]) -> Option<Vec<u32>> {
        let before = self.transactions(levels);
        [Cascade::Alone, Cascade::Whole]
            .into_iter()
            .filter_map(|how| self.cascade(group, to, levels, how))
            .map(|trial| (self.transactions(&trial), trial))
            .filter(|(count, _)| *count < before)
            .min_by_key(|(count, _)| *count)
            .map(|(_, trial)| trial)
    }

    /// The levels with the actions of `moved` at level `to` and every action
    /// that depends on them moved as late as it must: to the first level of
    /// its chain late enough (a transaction already sent), or to a level of
    /// its own; `None` where the moves do not settle within their bound.
    fn cascade(&self, moved: &[usize], to: u32, levels: &[u32], how: Cascade) -> Option<Vec<u32>> {
        let mut trial = levels.to_vec();
        let mut queue: VecDeque<usize> = VecDeque::new();
        // Levels only grow, each to what a predecessor needs or the next
        // transaction of its chain; moving a whole transaction may take a
        // predecessor of the first moves along, so the moves are bounded.
        let limit = self.nodes.len().saturating_mul(4).max(16);
        let mut moves = 0usize;
        for &g in moved {
            trial[g] = to;
            queue.push_back(g);
        }
        while let Some(from) = queue.pop_front() {
            let chain = self.action_chain(from)?;
            // The actions reached from it through bookkeeping and free boxes.
            let mut seen = vec![false; self.nodes.len()];
            let mut reach: VecDeque<usize> = self.succs[from].iter().copied().collect();
            while let Some(i) = reach.pop_front() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                let Some(c) = self.action_chain(i) else {
                    reach.extend(self.succs[i].iter().copied());
                    continue;
                };
                let needed = trial[from] + u32::from(c != chain);
                if trial[i] >= needed {
                    continue;
                }
                let old = trial[i];
                let target = self
                    .used_levels(c, &trial)
                    .into_iter()
                    .find(|&l| l >= needed)
                    .unwrap_or(needed);
                let going: Vec<usize> = match how {
                    Cascade::Alone => vec![i],
                    Cascade::Whole => (0..self.nodes.len())
                        .filter(|&j| self.action_chain(j) == Some(c) && trial[j] == old)
                        .collect(),
                };
                for j in going {
                    trial[j] = target;
                    queue.push_back(j);
                    moves += 1;
                }
                if moves > limit {
                    return None;
                }
            }
        }
        Some(trial)
    }

    /// Each loan from a lender that offers flash loans whose borrow is sent
    /// before its repays, on one chain: the borrow moves to the transaction
    /// of its last repay (and what depends on it as late as it must; a loan
    /// that this leaves open moves its borrow too), where that sends no
    /// more transactions and leaves more loans closed in one transaction,
    /// each of which can then be a flash loan. Every move kept closes one
    /// loan more, so this ends.
    fn close_loans(&self, levels: &mut [u32], registry: &mesh_core::Registry) {
        let loans = self.loans(registry);
        let closed_in = |levels: &[u32], (b, repays): &(usize, Vec<usize>)| {
            repays.iter().all(|&r| levels[r] == levels[*b])
        };
        let closed = |levels: &[u32]| Self::closed(&loans, levels);
        let last_repay = |levels: &[u32], repays: &[usize]| repays.iter().map(|&r| levels[r]).max();
        loop {
            let mut improved = false;
            for (start, loan) in loans.iter().enumerate() {
                if closed_in(levels, loan) {
                    continue;
                }
                let mut trial = levels.to_vec();
                let mut pending = vec![start];
                let mut rounds = 0usize;
                let mut settled = true;
                while let Some(k) = pending.pop() {
                    rounds += 1;
                    let (b, repays) = &loans[k];
                    let Some(to) = last_repay(&trial, repays) else {
                        settled = false;
                        break;
                    };
                    if rounds > 2 * loans.len() || trial[*b] > to {
                        settled = false;
                        break;
                    }
                    match self.cascade(&[*b], to, &trial, Cascade::Alone) {
                        Some(next) => trial = next,
                        None => {
                            settled = false;
                            break;
                        }
                    }
                    for (j, other) in loans.iter().enumerate() {
                        if closed_in(levels, other)
                            && !closed_in(&trial, other)
                            && !pending.contains(&j)
                        {
                            pending.push(j);
                        }
                    }
                }
                if settled
                    && closed(&trial) > closed(levels)
                    && self.transactions(&trial) <= self.transactions(levels)
                {
                    levels.copy_from_slice(&trial);
                    improved = true;
                }
            }
            if !improved {
                return;
            }
        }
    }

    /// Each loan from a lender that offers flash loans, closed by repays
    /// alone: its borrow and its repays.
    fn loans(&self, registry: &mesh_core::Registry) -> Vec<(usize, Vec<usize>)> {
        (0..self.nodes.len())
            .filter_map(|b| match &self.nodes[b].op {
                Op::Borrow { protocol, debt, .. }
                    if registry.protocol(protocol).is_some_and(|p| p.flash_loans) =>
                {
                    Some((b, self.repays_of(*debt)?))
                }
                _ => None,
            })
            .collect()
    }

    /// How many of `loans` have their borrow and every repay in one
    /// transaction.
    fn closed(loans: &[(usize, Vec<usize>)], levels: &[u32]) -> usize {
        loans
            .iter()
            .filter(|(b, repays)| repays.iter().all(|&r| levels[r] == levels[*b]))
            .count()
    }

    /// The repays that close the obligation `debt` (through partial repays'
    /// rests), on the chain of the borrow; `None` where the obligation is
    /// merged with another or not closed by repays alone.
    fn repays_of(&self, debt: Wire) -> Option<Vec<usize>> {
        let mut repays = Vec::new();
        let mut wire = debt;
        for _ in 0..self.nodes.len() {
            let consumer =
                (0..self.nodes.len()).find(|&i| self.nodes[i].op.domain().contains(&wire))?;
            let Op::Repay { rest, .. } = &self.nodes[consumer].op else {
                return None;
            };
            repays.push(consumer);
            match rest {
                Some(r) => wire = *r,
                None => return Some(repays),
            }
        }
        None
    }

    /// The program's body for these levels: the transactions level by level
    /// (chains in the order they first appear), each box as early as its
    /// inputs allow.
    fn emit(&self, levels: &[u32]) -> Vec<Term> {
        let mut groups: BTreeMap<(u32, usize), Vec<usize>> = BTreeMap::new();
        for (i, &level) in levels.iter().enumerate() {
            if let Some(chain) = self.action_chain(i) {
                groups.entry((level, chain)).or_default().push(i);
            }
        }
        let mut emitter = Emitter {
            graph: self,
            emitted: vec![false; self.nodes.len()],
            out: Vec::new(),
        };
        for ((_, chain), actions) in groups {
            let mut body = Vec::new();
            // First what the actions need from before the transaction
            // (inputs, the splits that take what they spend), then the
            // actions, each with what it needs from the actions before it.
            for &a in &actions {
                for k in 0..self.preds[a].len() {
                    emitter.front(self.preds[a][k], chain, &mut body);
                }
            }
            for &a in &actions {
                emitter.inside(a, chain, &mut body);
            }
            emitter.out.push(Term::Tx {
                chain: self.chains[chain].clone(),
                sender: Sender::Executor,
                body,
            });
            // Checks whose values are known run right after.
            for i in 0..self.nodes.len() {
                if matches!(self.nodes[i].op, Op::Require { .. }) {
                    emitter.outside(i);
                }
            }
        }
        for i in 0..self.nodes.len() {
            emitter.outside(i);
        }
        emitter.out
    }
}

struct Emitter<'g> {
    graph: &'g Graph,
    emitted: Vec<bool>,
    out: Vec<Term>,
}

impl Emitter<'_> {
    /// Places box `i` (and what it needs) outside any transaction, if it is
    /// not an action and everything it needs is already placed or can be.
    fn outside(&mut self, i: usize) -> bool {
        if self.emitted[i] {
            return true;
        }
        if self.graph.action_chain(i).is_some() {
            return false;
        }
        for k in 0..self.graph.preds[i].len() {
            let p = self.graph.preds[i][k];
            if !self.outside(p) {
                return false;
            }
        }
        self.emitted[i] = true;
        self.out.push(Term::Gen(self.graph.nodes[i].clone()));
        true
    }

    /// Places box `i`, when it is not an action and depends on no action
    /// not yet placed, at the front of the transaction being built on
    /// `chain` (an `input` or `require` of another chain before it).
    fn front(&mut self, i: usize, chain: usize, body: &mut Vec<Term>) -> bool {
        if self.emitted[i] {
            return true;
        }
        match self.graph.kinds[i] {
            Kind::Action { .. } => return false,
            Kind::Free { chain: c } if c != chain => return self.outside(i),
            _ => {}
        }
        for k in 0..self.graph.preds[i].len() {
            let p = self.graph.preds[i][k];
            if !self.front(p, chain, body) {
                return false;
            }
        }
        self.emitted[i] = true;
        body.push(Term::Gen(self.graph.nodes[i].clone()));
        true
    }

    /// Places box `i` and what it still needs inside the transaction being
    /// built on `chain` — but an `input` or `require` of another chain
    /// before that transaction.
    fn inside(&mut self, i: usize, chain: usize, body: &mut Vec<Term>) {
        if self.emitted[i] {
            return;
        }
        if matches!(self.graph.kinds[i], Kind::Free { chain: c } if c != chain) {
            self.outside(i);
            return;
        }
        self.emitted[i] = true;
        for k in 0..self.graph.preds[i].len() {
            let p = self.graph.preds[i][k];
            self.inside(p, chain, body);
        }
        body.push(Term::Gen(self.graph.nodes[i].clone()));
    }
}

/// Every box of the term in program order, approvals left out (the
/// executor's are placed afresh), each with the chain of the transaction
/// it is in.
fn collect(term: &Term, tx: Option<&str>, out: &mut Vec<Node>, chains: &mut Vec<Option<String>>) {
    match term {
        Term::Gen(node) => {
            if !matches!(node.op, Op::Approve { .. }) {
                out.push(node.clone());
                chains.push(tx.map(str::to_string));
            }
        }
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms {
                collect(t, tx, out, chains);
            }
        }
        Term::Tx { chain, body, .. } => {
            for t in body {
                collect(t, Some(chain), out, chains);
            }
        }
    }
}

/// The protocol state an action (or an `input`) touches.
fn states(op: &Op, tx: Option<&str>) -> Vec<State> {
    let chain = tx.unwrap_or_default().to_string();
    match op {
        // An assumption is checked outside transactions, on its own chain.
        Op::Assume {
            chain, protocol, ..
        } => vec![State::Lender(chain.clone(), protocol.clone())],
        Op::Borrow { protocol, .. }
        | Op::FlashLoan { protocol, .. }
        | Op::Repay { protocol, .. }
        | Op::Deposit { protocol, .. }
        | Op::Withdraw { protocol, .. }
        | Op::BorrowDebt { protocol, .. }
        | Op::RepayDebt { protocol, .. } => vec![State::Lender(chain, protocol.clone())],
        Op::Swap {
            exchanges, path, ..
        } => path
            .windows(2)
            .zip(exchanges)
            .map(|(hop, exchange)| {
                let (a, b) = mesh_core::registry::pair_tokens(&hop[0], &hop[1]);
                State::Pair(
                    chain.clone(),
                    exchange.clone(),
                    a.to_string(),
                    b.to_string(),
                )
            })
            .collect(),
        Op::Input { chain, token, .. } => vec![State::Wallet(chain.clone(), token.clone())],
        // A wrap moves the bundle's own funds through the wrapping
        // contract, which holds no state another step reads.
        Op::Bridge { .. }
        | Op::BridgeBatch { .. }
        | Op::Wrap { .. }
        | Op::Unwrap { .. }
        | Op::Split { .. }
        | Op::Merge { .. }
        | Op::Require { .. }
        | Op::Approve { .. } => Vec::new(),
    }
}
