//! The search over schedules: transactions added one at a time (a chain,
//! a set of its ready actions, one outcome of their laws), each metered on
//! its own, with branch-and-bound on [`super::bound`] and two kinds of
//! memory:
//!
//! - **dominance**: two partial schedules that have sent the same actions
//!   and made the same grants have the same completions, at the same gas;
//!   one that got there with more gas can only end with more, and is cut
//!   (not when a deadline is being met: a dearer start may be faster);
//! - **duplicates**: the same transactions in another order of independent
//!   ones are the same candidate, and are searched once.

use super::blocks::{arrange, critical_path, Arrangement};
use super::bound::Bound;
use super::build::{emit, meter_transaction, realise, spent, Grants, Scheduled};
use super::graph::{bit, members, Problem, Set};
use super::laws::{shapes, Facts, Shape};
use super::Searched;
use crate::ir::{gas, verify, Program};
use mesh_core::{GasSchedule, Registry};
use std::collections::{HashMap, HashSet};

/// The best candidate found so far.
pub(super) struct Best {
    pub gas: u64,
    pub blocks: u64,
    pub program: Program,
}

/// Why a search stopped before the end.
pub(super) enum Stop {
    /// It expanded more nodes than it may.
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
}

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
    pub max_nodes: u64,
    shapes: HashMap<Set, Vec<Shape>>,
    infos: HashMap<(Set, usize), Info>,
    gas: HashMap<(Set, usize, u64), u64>,
    dominance: HashMap<(Set, u64), u64>,
    seen: HashSet<Vec<(Set, usize, u64)>>,
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
        pruning: bool,
        max_nodes: u64,
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
            pruning,
            max_nodes,
            shapes: HashMap::new(),
            infos: HashMap::new(),
            gas: HashMap::new(),
            dominance: HashMap::new(),
            seen: HashSet::new(),
        }
    }

    /// Searches every schedule; `best` is improved in place.
    pub fn run(&mut self, best: &mut Option<Best>, stats: &mut Searched) -> Result<(), Stop> {
        let mut steps = Vec::new();
        self.node(0, 0, 0, &mut steps, best, stats)?;
        Ok(())
    }

    fn shapes_of(&mut self, set: Set) -> &Vec<Shape> {
        let (problem, facts) = (self.problem, self.facts);
        self.shapes
            .entry(set)
            .or_insert_with(|| shapes(problem, facts, set))
    }

    fn info(&mut self, set: Set, shape: usize) -> Result<Info, Stop> {
        if let Some(info) = self.infos.get(&(set, shape)) {
            return Ok(*info);
        }
        let shape_ref = self.shapes_of(set)[shape].clone();
        let mut wires = self.problem.wires.clone();
        let r = realise(
            self.problem,
            self.facts,
            self.registry,
            &mut self.grants,
            &shape_ref,
            &mut wires,
        )
        .map_err(Stop::Bug)?;
        let info = Info {
            spent: spent(&r),
            weight: r.weight,
        };
        self.infos.insert((set, shape), info);
        Ok(info)
    }

    fn tx_gas(
        &mut self,
        set: Set,
        shape: usize,
        granted: u64,
        stats: &mut Searched,
    ) -> Result<u64, Stop> {
        if let Some(g) = self.gas.get(&(set, shape, granted)) {
            return Ok(*g);
        }
        let shape_ref = self.shapes_of(set)[shape].clone();
        let mut wires = self.problem.wires.clone();
        let r = realise(
            self.problem,
            self.facts,
            self.registry,
            &mut self.grants,
            &shape_ref,
            &mut wires,
        )
        .map_err(Stop::Bug)?;
        let g = meter_transaction(
            self.problem,
            self.registry,
            self.schedule,
            &self.grants,
            &r,
            granted,
            &wires,
        )
        .map_err(Stop::Bug)?;
        stats.transactions += 1;
        self.gas.insert((set, shape, granted), g);
        Ok(g)
    }

    /// The transactions of `steps` as a dependency graph: what each must
    /// follow (its actions' dependencies, and the transaction holding a
    /// grant it spends), transitively closed.
    fn dependencies(&self, steps: &[Step]) -> Vec<u32> {
        let mut preds = vec![0u32; steps.len()];
        for j in 0..steps.len() {
            let needs = members(steps[j].set).fold(0, |m, a| m | self.problem.reach[a]);
            for i in 0..j {
                if steps[i].set & needs != 0 || steps[i].granted & steps[j].spent != 0 {
                    preds[j] |= (1 << i) | preds[i];
                }
            }
        }
        preds
    }

    /// Expands one partial schedule; returns the least gas of a complete
    /// schedule below it (`u64::MAX` when every one was cut).
    fn node(
        &mut self,
        done: Set,
        granted: u64,
        gas_so_far: u64,
        steps: &mut Vec<Step>,
        best: &mut Option<Best>,
        stats: &mut Searched,
    ) -> Result<u64, Stop> {
        stats.nodes += 1;
        if stats.nodes > self.max_nodes {
            return Err(Stop::Budget);
        }
        if done == self.problem.all() {
            self.leaf(gas_so_far, steps, best, stats)?;
            return Ok(gas_so_far);
        }
        if self.pruning {
            if self.deadline.is_none() {
                match self.dominance.get(&(done, granted)) {
                    Some(&g) if g < gas_so_far => return Ok(u64::MAX),
                    _ => {
                        self.dominance.insert((done, granted), gas_so_far);
                    }
                }
            }
            let mut key: Vec<(Set, usize, u64)> =
                steps.iter().map(|s| (s.set, s.shape, s.granted)).collect();
            key.sort_unstable();
            if !self.seen.insert(key) {
                return Ok(u64::MAX);
            }
        }
        let lower = gas_so_far.saturating_add(self.bound.lower(self.problem, done, granted));

        // Every next transaction: a chain, a set of its ready actions
        // closed under local dependencies, an outcome of their laws.
        let mut children: Vec<(u64, Step)> = Vec::new();
        for chain in 0..self.problem.chains.len() {
            let ready: Set = members(self.problem.all() & !done)
                .filter(|&a| {
                    self.problem.action_chain[a] == chain && self.problem.cross[a] & !done == 0
                })
                .fold(0, |m, a| m | bit(a));
            let mut sub = ready;
            while sub != 0 {
                let closed = members(sub).all(|a| self.problem.local[a] & !(done | sub) == 0);
                if closed {
                    let count = self.shapes_of(sub).len();
                    for shape in 0..count {
                        let info = self.info(sub, shape)?;
                        let here = info.spent & !granted;
                        let gas = self.tx_gas(sub, shape, here, stats)?;
                        let after = gas_so_far.saturating_add(gas);
                        let lb = after.saturating_add(self.bound.lower(
                            self.problem,
                            done | sub,
                            granted | here,
                        ));
                        children.push((
                            lb,
                            Step {
                                set: sub,
                                shape,
                                granted: here,
                                spent: info.spent,
                                gas,
                                weight: info.weight,
                            },
                        ));
                    }
                }
                sub = (sub - 1) & ready;
            }
        }
        children.sort_by_key(|(lb, s)| (*lb, std::cmp::Reverse(s.set.count_ones())));
        let mut least = u64::MAX;
        for (lb, step) in children {
            if self.pruning && self.cut(lb, steps, &step, best) {
                continue;
            }
            steps.push(step);
            let below = self.node(
                done | step.set,
                granted | step.granted,
                gas_so_far.saturating_add(step.gas),
                steps,
                best,
                stats,
            );
            steps.pop();
            least = least.min(below?);
        }
        if !self.pruning && least != u64::MAX {
            stats.bound_checks += 1;
            if lower > least {
                stats.bound_violations += 1;
            }
        }
        Ok(least)
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
            .map(|s| self.shapes_of(s.set)[s.shape].clone())
            .collect();
        let scheduled: Vec<Scheduled<'_>> = shapes
            .iter()
            .zip(steps)
            .map(|(shape, s)| Scheduled {
                shape,
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
