//! The search over schedules: transactions added one at a time (a chain,
//! a set of its ready actions, one outcome of their laws), each metered on
//! its own, with branch-and-bound on [`super::bound`] and two kinds of
//! memory:
//!
//! - **dominance**: two partial schedules that have sent the same actions,
//!   made the same grants and left the user's positions the same have the
//!   same completions, at the same gas; one that got there with more gas
//!   can only end with more, and is cut (not when a deadline is being
//!   met: a dearer start may be faster);
//! - **duplicates**: the same transactions in another order of independent
//!   ones, each on the same positions, are the same candidate, and are
//!   searched once (as one node when they end in the same transaction).
//!
//! And one reduction: two neighbouring transactions on different chains,
//! neither depending on the other, are tried only in the order of their
//! chains (`Tree::commutes_back`).
//!
//! A transaction's gas depends on the positions the ones before it left at
//! the lenders it calls (`gas::Positions`): the positions are part of the
//! search's state, and two transactions that call the same lender keep
//! their order in the program built, so that it meters as searched.

use super::blocks::{arrange, critical_path, Arrangement};
use super::bound::Bound;
use super::build::{
    emit, first_choices, meter_transaction, realise, spent, Grants, Realised, Scheduled,
};
use super::graph::{bit, members, Problem, Set};
use super::laws::{shapes, Facts, Shape};
use super::Searched;
use crate::ir::{gas, verify, LenderReserves, Program, WireType};
use mesh_core::{GasSchedule, Registry};
use std::collections::{HashMap, HashSet};

/// How a search runs (see [`super::Limits`]).
pub(super) struct Switches {
    pub pruning: bool,
    pub reduce_orders: bool,
    pub max_work: u64,
}

/// The best candidate found so far.
pub(super) struct Best {
    pub gas: u64,
    pub blocks: u64,
    pub program: Program,
}

/// Why a search stopped before the end.
pub(super) enum Stop {
    /// It did more work than it may.
    Budget,
    /// A compiler bug: a transaction could not be realised or metered.
    Bug(String),
}

/// One transaction of a partial schedule.
#[derive(Clone, Copy)]
struct Step {
    set: Set,
    shape: usize,
    /// The grants made in it.
    granted: u64,
    /// The grants it spends.
    spent: u64,
    gas: u64,
    weight: u64,
    /// The positions it starts from and leaves (by [`Tree::position_id`]).
    before: u32,
    after: u32,
}

/// A next transaction and its bounds: `lb` (its outcome's floor) and
/// `whole` (its set alone), each below every completion.
struct Child {
    lb: u64,
    whole: u64,
    step: Step,
}

/// An outcome realised, and the types of the wires it made.
type Made = (Realised, Vec<WireType>);

/// What a realised outcome costs and needs.
#[derive(Clone, Copy)]
struct Info {
    spent: u64,
    weight: u64,
}

pub(super) struct Tree<'a> {
    pub problem: &'a Problem,
    pub facts: &'a Facts,
    pub registry: &'a Registry,
    pub schedule: &'a GasSchedule,
    pub template: &'a Program,
    pub grants: Grants,
    pub bound: Bound,
    /// `Some(d)`: only candidates of at most `d` blocks count.
    pub deadline: Option<u64>,
    pub pruning: bool,
    pub reduce_orders: bool,
    pub max_work: u64,
    shapes: HashMap<Set, Vec<Shape>>,
    /// Each outcome realised (with the transfer of each batch that pays
    /// its route's call), with the types of the wires it made.
    realised: HashMap<(Set, usize, Vec<usize>), Made>,
    /// A program to meter one transaction at a time in.
    scratch: Program,
    /// Each outcome's gas with the grants placed in it, from the positions
    /// of an id, the transfers that pay its batches' calls, and the id of
    /// the positions it leaves.
    gas: HashMap<(Set, usize, u64, u32), Metered>,
    dominance: HashMap<(Set, u64, u32), u64>,
    seen: HashSet<Vec<(Set, usize, u64, u32)>>,
    /// Every positions reached, by id, and the id of each.
    positions: Vec<LenderReserves>,
    position_ids: HashMap<LenderReserves, u32>,
    /// The lenders (by index of chain and name) each action calls.
    lenders: Vec<u64>,
}

/// A transaction metered: its gas, the transfer that pays each batch's
/// route call, and the positions it leaves (by id).
struct Metered {
    gas: u64,
    firsts: Vec<usize>,
    after: u32,
}

impl<'a> Tree<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        problem: &'a Problem,
        facts: &'a Facts,
        registry: &'a Registry,
        schedule: &'a GasSchedule,
        template: &'a Program,
        grants: Grants,
        bound: Bound,
        deadline: Option<u64>,
        switches: Switches,
    ) -> Tree<'a> {
        Tree {
            problem,
            facts,
            registry,
            schedule,
            template,
            grants,
            bound,
            deadline,
            pruning: switches.pruning,
            reduce_orders: switches.reduce_orders,
            max_work: switches.max_work,
            shapes: HashMap::new(),
            realised: HashMap::new(),
            scratch: Program {
                bundle: String::new(),
                home: String::new(),
                wires: problem.wires.clone(),
                body: crate::ir::Term::Seq(Vec::new()),
                constraints: Default::default(),
                positions: template.positions.clone(),
            },
            gas: HashMap::new(),
            dominance: HashMap::new(),
            seen: HashSet::new(),
            positions: vec![template.positions.clone()],
            position_ids: HashMap::from([(template.positions.clone(), 0)]),
            lenders: lenders_called(problem),
        }
    }

    /// Searches every schedule; `best` is improved in place.
    pub fn run(&mut self, best: &mut Option<Best>, stats: &mut Searched) -> Result<(), Stop> {
        let mut steps = Vec::new();
        self.node(0, 0, 0, 0, &mut steps, best, stats)?;
        Ok(())
    }

    /// The id of `positions`, given the first time they are reached.
    fn position_id(&mut self, positions: LenderReserves) -> Result<u32, Stop> {
        if let Some(&id) = self.position_ids.get(&positions) {
            return Ok(id);
        }
        let id = u32::try_from(self.positions.len())
            .map_err(|_| Stop::Bug("too many positions".into()))?;
        self.positions.push(positions.clone());
        self.position_ids.insert(positions, id);
        Ok(id)
    }

    /// The lenders the actions of `set` call.
    fn lenders_of(&self, set: Set) -> u64 {
        members(set).fold(0, |m, a| m | self.lenders.get(a).copied().unwrap_or(0))
    }

    /// The outcomes of `set` as one transaction, found once; the search
    /// stops when finding them would go over its budget.
    fn shapes_of(&mut self, set: Set, stats: &mut Searched) -> Result<&Vec<Shape>, Stop> {
        if !self.shapes.contains_key(&set) {
            let left = self.max_work.saturating_sub(stats.work());
            let (found, reached) = shapes(self.problem, self.facts, set, self.reduce_orders, left);
            stats.outcomes = stats.outcomes.saturating_add(reached);
            let found = found.ok_or(Stop::Budget)?;
            self.shapes.insert(set, found);
        }
        self.shapes
            .get(&set)
            .ok_or_else(|| Stop::Bug("outcomes not found".into()))
    }

    /// The outcomes of a set already found.
    fn found(&self, set: Set) -> Result<&Vec<Shape>, Stop> {
        self.shapes
            .get(&set)
            .ok_or_else(|| Stop::Bug("outcomes not found".into()))
    }

    /// The outcome realised (once), with the transfer of each batch that
    /// pays its route's call.
    fn realised(&mut self, set: Set, shape: usize, firsts: &[usize]) -> Result<&Made, Stop> {
        let key = (set, shape, firsts.to_vec());
        if !self.realised.contains_key(&key) {
            let shape_ref = self
                .found(set)?
                .get(shape)
                .cloned()
                .ok_or_else(|| Stop::Bug("no such outcome".into()))?;
            let base = self.scratch.wires.len();
            let r = realise(
                self.problem,
                self.facts,
                self.registry,
                &mut self.grants,
                &shape_ref,
                firsts,
                &mut self.scratch.wires,
            );
            let made = self.scratch.wires.split_off(base);
            self.realised
                .insert(key.clone(), (r.map_err(Stop::Bug)?, made));
        }
        self.realised
            .get(&key)
            .ok_or_else(|| Stop::Bug("an outcome not realised".into()))
    }

    /// What an outcome spends and the blocks it takes (the same whichever
    /// transfer pays a batch's call).
    fn info(&mut self, set: Set, shape: usize) -> Result<Info, Stop> {
        let (r, _) = self.realised(set, shape, &[])?;
        Ok(Info {
            spent: spent(r),
            weight: r.weight,
        })
    }

    /// The metered gas of an outcome with the grants of `granted` placed in
    /// it, from the positions of id `before`: the least over which transfer
    /// pays each batch's route call; and the id of the positions it leaves.
    fn tx_gas(
        &mut self,
        set: Set,
        shape: usize,
        granted: u64,
        before: u32,
        stats: &mut Searched,
    ) -> Result<(u64, u32), Stop> {
        if let Some(m) = self.gas.get(&(set, shape, granted, before)) {
            return Ok((m.gas, m.after));
        }
        let start = self
            .positions
            .get(before as usize)
            .cloned()
            .ok_or_else(|| Stop::Bug("positions not reached".into()))?;
        let choices = match self.found(set)?.get(shape) {
            Some(shape) => first_choices(shape),
            None => return Err(Stop::Bug("no such outcome".into())),
        };
        let mut least: Option<(u64, Vec<usize>, LenderReserves)> = None;
        for firsts in choices {
            self.realised(set, shape, &firsts)?;
            let Some((r, made)) = self.realised.get(&(set, shape, firsts.clone())) else {
                return Err(Stop::Bug("an outcome not realised".into()));
            };
            let base = self.scratch.wires.len();
            self.scratch.wires.extend(made.iter().cloned());
            let g = meter_transaction(
                self.problem,
                self.registry,
                self.schedule,
                &self.grants,
                r,
                granted,
                &start,
                &mut self.scratch,
            );
            self.scratch.wires.truncate(base);
            let (g, left) = g.map_err(Stop::Bug)?;
            stats.transactions += 1;
            if least.as_ref().is_none_or(|(l, _, _)| g < *l) {
                least = Some((g, firsts, left));
            }
        }
        let (gas, firsts, left) =
            least.ok_or_else(|| Stop::Bug("an outcome with no batch order".into()))?;
        let after = self.position_id(left)?;
        self.gas.insert(
            (set, shape, granted, before),
            Metered { gas, firsts, after },
        );
        Ok((gas, after))
    }

    /// The transactions of `steps` as a dependency graph: what each must
    /// follow (its actions' dependencies, the transaction holding a grant
    /// it spends, and one before it that calls a lender it calls: the
    /// positions it left are the ones it was metered on), transitively
    /// closed.
    fn dependencies(&self, steps: &[Step]) -> Vec<u32> {
        let mut preds = vec![0u32; steps.len()];
        let lenders: Vec<u64> = steps.iter().map(|s| self.lenders_of(s.set)).collect();
        for j in 0..steps.len() {
            let needs = members(steps[j].set).fold(0, |m, a| m | self.problem.reach[a]);
            for i in 0..j {
                if steps[i].set & needs != 0
                    || steps[i].granted & steps[j].spent != 0
                    || lenders[i] & lenders[j] != 0
                {
                    preds[j] |= (1 << i) | preds[i];
                }
            }
        }
        preds
    }

    /// Expands one partial schedule; returns the least gas of a complete
    /// schedule below it (`u64::MAX` when every one was cut).
    #[allow(clippy::too_many_arguments)]
    fn node(
        &mut self,
        done: Set,
        granted: u64,
        at: u32,
        gas_so_far: u64,
        steps: &mut Vec<Step>,
        best: &mut Option<Best>,
        stats: &mut Searched,
    ) -> Result<u64, Stop> {
        stats.nodes += 1;
        if stats.work() > self.max_work {
            return Err(Stop::Budget);
        }
        if done == self.problem.all() {
            self.leaf(gas_so_far, steps, best, stats)?;
            return Ok(gas_so_far);
        }
        if self.pruning {
            if self.deadline.is_none() {
                match self.dominance.get(&(done, granted, at)) {
                    Some(&g) if g < gas_so_far => return Ok(u64::MAX),
                    _ => {
                        self.dominance.insert((done, granted, at), gas_so_far);
                    }
                }
            }
            let mut key: Vec<(Set, usize, u64, u32)> = steps
                .iter()
                .map(|s| (s.set, s.shape, s.granted, s.before))
                .collect();
            key.sort_unstable();
            // The last transaction decides which may follow it
            // (`commutes_back`): the same transactions ending in another
            // are another node.
            if let Some(last) = steps.last().filter(|_| self.chains_in_order()) {
                key.push((last.set, last.shape, last.granted, last.before));
            }
            if !self.seen.insert(key) {
                return Ok(u64::MAX);
            }
        }
        let lower = gas_so_far.saturating_add(self.bound.lower(self.problem, done, granted));

        // Every next transaction: a chain, a set of its ready actions
        // closed under local dependencies, an outcome of their laws. Sets
        // are tried in the order of their bound, and cut once it is above
        // the best; each outcome is bounded, and metered with its grants
        // only when it is tried.
        let mut sets: Vec<(u64, Set)> = Vec::new();
        for chain in 0..self.problem.chains.len() {
            let ready: Set = members(self.problem.all() & !done)
                .filter(|&a| {
                    self.problem.action_chain[a] == chain && self.problem.cross[a] & !done == 0
                })
                .fold(0, |m, a| m | bit(a));
            let mut sub = ready;
            while sub != 0 {
                let set = sub;
                sub = (sub - 1) & ready;
                if self.commutes_back(steps.last(), chain, set) {
                    continue;
                }
                if members(set).all(|a| self.problem.local[a] & !(done | set) == 0) {
                    let whole = gas_so_far
                        .saturating_add(self.bound.transaction(set, granted))
                        .saturating_add(self.bound.lower(
                            self.problem,
                            done | set,
                            granted | self.bound.may_spend(set),
                        ));
                    sets.push((whole, set));
                }
            }
        }
        sets.sort_by_key(|(whole, set)| (*whole, std::cmp::Reverse(set.count_ones()), *set));
        let mut least = u64::MAX;
        for (whole, set) in sets {
            if self.pruning && best.as_ref().is_some_and(|b| whole > b.gas) {
                break;
            }
            let mut children: Vec<Child> = Vec::new();
            let count = self.shapes_of(set, stats)?.len();
            for shape in 0..count {
                let info = self.info(set, shape)?;
                let here = info.spent & !granted;
                let floor = match self.found(set)?.get(shape) {
                    Some(s) => self.bound.shape_floor(self.facts, s),
                    None => return Err(Stop::Bug("no such outcome".into())),
                };
                let lb = gas_so_far
                    .saturating_add(floor)
                    .saturating_add(self.bound.grants_floor(here))
                    .saturating_add(self.bound.lower(self.problem, done | set, granted | here))
                    .max(whole);
                children.push(Child {
                    lb,
                    whole,
                    step: Step {
                        set,
                        shape,
                        granted: here,
                        spent: info.spent,
                        gas: 0,
                        weight: info.weight,
                        before: at,
                        after: at,
                    },
                });
            }
            children.sort_by_key(|c| c.lb);
            for child in children {
                let mut step = child.step;
                if self.pruning && self.cut(child.lb, steps, &step, best) {
                    continue;
                }
                (step.gas, step.after) =
                    self.tx_gas(step.set, step.shape, step.granted, at, stats)?;
                let after = gas_so_far.saturating_add(step.gas);
                let lb = after.saturating_add(self.bound.lower(
                    self.problem,
                    done | step.set,
                    granted | step.granted,
                ));
                if self.pruning && self.cut(lb, steps, &step, best) {
                    continue;
                }
                steps.push(step);
                let below = self.node(
                    done | step.set,
                    granted | step.granted,
                    step.after,
                    after,
                    steps,
                    best,
                    stats,
                );
                steps.pop();
                let below = below?;
                if !self.pruning && below != u64::MAX {
                    stats.bound_checks += 1;
                    if child.lb > below || child.whole > below || lb > below {
                        stats.bound_violations += 1;
                    }
                }
                least = least.min(below);
            }
        }
        if !self.pruning && least != u64::MAX {
            stats.bound_checks += 1;
            if lower > least {
                stats.bound_violations += 1;
            }
        }
        Ok(least)
    }

    /// Whether a transaction of `set`, on `chain`, may go before `last`
    /// instead of after it, to the same effect, where the search tries
    /// that order: on a chain of lower index, with no action depending on
    /// `last`'s. Transactions on two chains call different pools, spend
    /// different grants and leave the other's positions as they were, so
    /// either order meters alike and takes the same blocks; of the orders
    /// of such neighbours only the one by chain is searched (every
    /// schedule has one so ordered at the same gas and blocks). Only with
    /// pruning on and no deadline, as dominance.
    fn commutes_back(&self, last: Option<&Step>, chain: usize, set: Set) -> bool {
        let Some(last) = last.filter(|_| self.chains_in_order()) else {
            return false;
        };
        let Some(first) = members(last.set).next() else {
            return false;
        };
        let last_chain = self.problem.action_chain[first];
        chain < last_chain && members(set).all(|a| self.problem.reach[a] & last.set == 0)
    }

    /// Whether neighbours on independent chains are searched in one order
    /// only (`commutes_back`).
    fn chains_in_order(&self) -> bool {
        self.pruning && self.deadline.is_none()
    }

    /// Whether a child whose completions cost at least `lb` can be cut.
    fn cut(&self, lb: u64, steps: &[Step], step: &Step, best: &Option<Best>) -> bool {
        let mut with: Vec<Step> = steps.to_vec();
        with.push(*step);
        let path = || {
            let preds = self.dependencies(&with);
            let weights: Vec<u64> = with.iter().map(|s| s.weight).collect();
            critical_path(&weights, &preds)
        };
        if let Some(d) = self.deadline {
            if path() > d {
                return true;
            }
        }
        match best {
            Some(b) => lb > b.gas || (lb == b.gas && path() >= b.blocks),
            None => false,
        }
    }

    fn leaf(
        &mut self,
        gas_total: u64,
        steps: &[Step],
        best: &mut Option<Best>,
        stats: &mut Searched,
    ) -> Result<(), Stop> {
        stats.candidates += 1;
        let preds = self.dependencies(steps);
        let weights: Vec<u64> = steps.iter().map(|s| s.weight).collect();
        let (blocks, arrangement) = arrange(&weights, &preds);
        if self.deadline.is_some_and(|d| blocks > d) {
            return Ok(());
        }
        if best
            .as_ref()
            .is_some_and(|b| (gas_total, blocks) >= (b.gas, b.blocks))
        {
            return Ok(());
        }
        let program = self.program(steps, &arrangement)?;
        stats.programs += 1;
        if let Err(e) = verify(&program) {
            stats.rejected += 1;
            return Err(Stop::Bug(format!("a candidate breaks the IR's laws: {e}")));
        }
        let cost = gas::cost(&program, self.registry, self.schedule)
            .map_err(|e| Stop::Bug(e.to_string()))?;
        if cost.total() != gas_total || cost.blocks != blocks {
            return Err(Stop::Bug(format!(
                "a candidate meters {} gas and {} blocks, its transactions {gas_total} and {blocks}",
                cost.total(),
                cost.blocks
            )));
        }
        *best = Some(Best {
            gas: gas_total,
            blocks,
            program,
        });
        Ok(())
    }

    fn program(&mut self, steps: &[Step], arrangement: &Arrangement) -> Result<Program, Stop> {
        let shapes: Vec<Shape> = steps
            .iter()
            .map(|s| self.found(s.set).ok().and_then(|f| f.get(s.shape)).cloned())
            .collect::<Option<Vec<Shape>>>()
            .ok_or_else(|| Stop::Bug("a step with no outcome".into()))?
            .into_iter()
            .collect();
        let firsts: Vec<Vec<usize>> = steps
            .iter()
            .map(|s| {
                self.gas
                    .get(&(s.set, s.shape, s.granted, s.before))
                    .map(|m| m.firsts.clone())
                    .unwrap_or_default()
            })
            .collect();
        let scheduled: Vec<Scheduled<'_>> = shapes
            .iter()
            .zip(&firsts)
            .zip(steps)
            .map(|((shape, firsts), s)| Scheduled {
                shape,
                firsts,
                granted: s.granted,
            })
            .collect();
        emit(
            self.problem,
            self.facts,
            self.registry,
            &mut self.grants,
            self.template,
            &scheduled,
            arrangement,
        )
        .map_err(Stop::Bug)
    }
}

/// For each action of `problem`, the lenders it calls, one bit per chain
/// and lender name (at most 64 are told apart; more share bits, which only
/// orders more transactions).
fn lenders_called(problem: &Problem) -> Vec<u64> {
    let mut names: Vec<(usize, &str)> = Vec::new();
    (0..problem.len())
        .map(|a| {
            let Some(lender) = problem.op(a).lender() else {
                return 0;
            };
            let key = (problem.action_chain[a], lender);
            let index = match names.iter().position(|n| *n == key) {
                Some(i) => i,
                None => {
                    names.push(key);
                    names.len() - 1
                }
            };
            1u64 << (index % 64)
        })
        .collect()
}
