//! The exact optimum: the least metered gas over every admissible
//! optimised program of a bundle, found by a search that shares nothing
//! with the optimiser ([`crate::opt`]) but the IR, its verifier and the
//! meter ([`crate::ir::gas`]). It judges `-O`: `meshc gas` and the
//! benchmarks run it, `-O` never does.
//!
//! The space, defined in docs/optimiser.md ("The exact optimum"):
//!
//! - [`choices`]: each unpinned bridge's admissible routes, and which
//!   bridges there and straight back cancel, over the whole bundle;
//! - [`graph`]: the actions (each non-approval call of the `-O0` program)
//!   and what orders them (data and protocol state);
//! - [`tree`]: every sequence of executor transactions that keeps those
//!   orders, each transaction on one chain;
//! - [`laws`]: in each transaction, every order of its actions and every
//!   program the laws reach from it;
//! - [`blocks`]: the transactions side by side wherever they allow, in the
//!   arrangement of fewest blocks;
//! - [`build`]: each candidate as a program, verified and metered.
//!
//! The least gas wins, then the fewest blocks; a candidate that misses the
//! bundle's deadline counts only when none meets it. [`bound`] prunes.

mod blocks;
mod bound;
mod build;
pub mod choices;
mod graph;
mod laws;
mod tree;

use crate::ir::{Constraint, Op, Program, Wire};
use graph::{Placed, Problem, MAX_ACTIONS};
use mesh_core::registry::BridgeKind;
use mesh_core::{GasSchedule, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Instant;

/// What the search reads besides the program.
pub struct Inputs<'a> {
    pub registry: &'a Registry,
    pub schedule: &'a GasSchedule,
    /// The output wires of the bridges pinned with `via`: their route
    /// never changes.
    pub pinned: &'a BTreeSet<Wire>,
}

/// How far the search goes.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Bundles of more actions are not searched.
    pub max_actions: usize,
    /// The search stops, and reports the bundle not searched, after this
    /// much work ([`Searched::work`]).
    pub max_work: u64,
    /// Branch-and-bound and memory on (the default). Off, every schedule
    /// is enumerated and the bound is checked at every node instead
    /// ([`Searched::bound_violations`]).
    pub pruning: bool,
    /// Orders of a transaction's actions that reach the same outcomes are
    /// tried once (the default). Off, every order is tried and each
    /// program the laws reach is kept as it is, to check that reduction.
    pub reduce_orders: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_actions: DEFAULT_MAX_ACTIONS,
            max_work: DEFAULT_MAX_WORK,
            pruning: true,
            reduce_orders: true,
        }
    }
}

/// The most actions searched by default.
pub const DEFAULT_MAX_ACTIONS: usize = 10;

/// The most work a search does by default (a few seconds at most).
pub const DEFAULT_MAX_WORK: u64 = 200_000;

/// What a search did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Searched {
    /// The actions of the `-O0` program.
    pub actions: usize,
    /// Complete schedules reached: candidates whose gas was metered
    /// (transaction by transaction).
    pub candidates: u64,
    /// Transactions metered on their own (each outcome of a set of
    /// actions, with the grants placed in it).
    pub transactions: u64,
    /// Candidates built as whole programs, verified and metered (each
    /// better than the best before it).
    pub programs: u64,
    /// Partial schedules expanded.
    pub nodes: u64,
    /// Orders tried and programs the laws reached, over every set of
    /// actions tried as one transaction.
    pub outcomes: u64,
    /// Wall-clock time, in microseconds.
    pub micros: u64,
    /// Without pruning: the nodes whose bound was checked against the
    /// least gas below them, and those where it was above (a bug).
    pub bound_checks: u64,
    pub bound_violations: u64,
    /// Candidates the verifier refused (a bug: the search stops).
    pub rejected: u64,
}

impl Searched {
    /// The work done: partial schedules expanded, orders tried and law
    /// outcomes reached, transactions metered.
    pub fn work(&self) -> u64 {
        self.nodes
            .saturating_add(self.outcomes)
            .saturating_add(self.transactions)
    }
}

/// The optimum found.
#[derive(Clone, Debug)]
pub struct Optimum {
    /// Verified, and metered at `gas` and `blocks`.
    pub program: Program,
    pub gas: u64,
    pub blocks: u64,
    /// Whether it meets the bundle's deadline (always, when some candidate
    /// does).
    pub meets_deadline: bool,
}

/// Why a bundle was not searched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotSearched {
    /// More actions than the limit.
    TooManyActions { limit: usize },
    /// The search did its most work before the end.
    Budget { work: u64 },
}

impl fmt::Display for NotSearched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSearched::TooManyActions { limit } => {
                write!(f, "more than {limit}")
            }
            NotSearched::Budget { work } => {
                write!(f, "stopped after {work} steps of work")
            }
        }
    }
}

/// The outcome of a search and what it searched.
#[derive(Clone, Debug)]
pub struct SearchOutcome {
    pub result: Result<Optimum, NotSearched>,
    pub searched: Searched,
}

impl SearchOutcome {
    /// The optimum's gas, where the search ran to its end.
    pub fn gas(&self) -> Option<u64> {
        self.result.as_ref().ok().map(|o| o.gas)
    }
}

/// A search that cannot complete: a compiler bug, reported as such.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchError {
    pub message: String,
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the optimum's search failed: {}", self.message)
    }
}

impl std::error::Error for SearchError {}

fn bug(message: impl Into<String>) -> SearchError {
    SearchError {
        message: message.into(),
    }
}

/// The least gas of any admissible optimised program of `o0` (a verified
/// `-O0` program), or why it was not searched.
pub fn optimum(
    o0: &Program,
    inputs: &Inputs<'_>,
    limits: &Limits,
) -> Result<SearchOutcome, SearchError> {
    let start = Instant::now();
    let placed = graph::boxes(o0);
    let mut searched = Searched {
        actions: graph::count_actions(&placed),
        ..Searched::default()
    };
    let limit = limits.max_actions.min(MAX_ACTIONS);
    let result = if searched.actions > limit {
        Err(NotSearched::TooManyActions { limit })
    } else {
        search(o0, &placed, inputs, limits, &mut searched)?
    };
    searched.micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    Ok(SearchOutcome { result, searched })
}

fn deadline(program: &Program) -> Option<u64> {
    program.constraints.items.iter().find_map(|(c, _)| match c {
        Constraint::Deadline(d) => Some(*d),
        _ => None,
    })
}

/// The boxes of one combination of choices, and the types of their wires
/// (a cancelled trip of several transfers adds the merge of what left).
struct Choice {
    wires: Vec<crate::ir::WireType>,
    boxes: Vec<Placed>,
}

/// Every problem: a set of round trips cancelled and a route for each
/// unpinned bridge left.
fn problems(
    o0: &Program,
    placed: &[Placed],
    inputs: &Inputs<'_>,
) -> Result<Vec<Choice>, SearchError> {
    let trips = choices::round_trips(placed, &o0.wires);
    let mut out = Vec::new();
    for set in choices::trip_sets(&trips) {
        let mut wires = o0.wires.clone();
        let boxes = choices::cancel_trips(placed, &mut wires, &set);
        let mut options: Vec<(Wire, Vec<BridgeKind>)> = Vec::new();
        for b in &boxes {
            let Op::Bridge { route, input, out } = &b.node.op else {
                continue;
            };
            if inputs.pinned.contains(out) {
                continue;
            }
            // Cancelling a trip of several transfers adds wires (the merge
            // of what left): their types are in `wires`, not `o0`'s.
            let chain = |w: &Wire| {
                wires
                    .get(w.0 as usize)
                    .map(|t: &crate::ir::WireType| t.chain().to_string())
            };
            let (Some(from), Some(to)) = (chain(input), chain(out)) else {
                return Err(bug(format!("bridge {out} has untyped wires")));
            };
            let mut kinds =
                choices::routes_of(inputs.registry, &from, &to, *route, &o0.constraints)
                    .ok_or_else(|| bug(format!("no {route} route from {from} to {to}")))?;
            kinds.sort_by_key(|k| inputs.registry.route(&from, &to, *k).map(|r| r.gas));
            options.push((*out, kinds));
        }
        let combinations = options
            .iter()
            .try_fold(1usize, |n, (_, k)| n.checked_mul(k.len()))
            .ok_or_else(|| bug("too many route combinations"))?;
        for n in 0..combinations {
            let mut rest = n;
            let mut routes = BTreeMap::new();
            for (out, kinds) in &options {
                routes.insert(*out, kinds[rest % kinds.len()]);
                rest /= kinds.len();
            }
            let mut chosen = boxes.clone();
            choices::set_routes(&mut chosen, &routes);
            out.push(Choice {
                wires: wires.clone(),
                boxes: chosen,
            });
        }
    }
    Ok(out)
}

fn search(
    o0: &Program,
    placed: &[Placed],
    inputs: &Inputs<'_>,
    limits: &Limits,
    searched: &mut Searched,
) -> Result<Result<Optimum, NotSearched>, SearchError> {
    let problems = problems(o0, placed, inputs)?;
    let deadline = deadline(o0);
    let mut best: Option<tree::Best> = None;
    run(o0, &problems, inputs, limits, None, &mut best, searched)?;
    let mut meets = true;
    if let (Some(d), Some(b)) = (deadline, &best) {
        if b.blocks > d {
            // The least gas misses the deadline: the least gas among the
            // candidates that meet it, if any does.
            let mut in_time: Option<tree::Best> = None;
            run(
                o0,
                &problems,
                inputs,
                limits,
                Some(d),
                &mut in_time,
                searched,
            )?;
            match in_time {
                Some(found) => best = Some(found),
                None => meets = false,
            }
        }
    }
    if searched.work() > limits.max_work {
        return Ok(Err(NotSearched::Budget {
            work: limits.max_work,
        }));
    }
    match best {
        Some(b) => Ok(Ok(Optimum {
            program: b.program,
            gas: b.gas,
            blocks: b.blocks,
            meets_deadline: meets,
        })),
        None => Err(bug("no candidate at all")),
    }
}

fn run(
    o0: &Program,
    problems: &[Choice],
    inputs: &Inputs<'_>,
    limits: &Limits,
    deadline: Option<u64>,
    best: &mut Option<tree::Best>,
    searched: &mut Searched,
) -> Result<(), SearchError> {
    for choice in problems {
        let problem = Problem::new(choice.wires.clone(), choice.boxes.clone()).map_err(bug)?;
        let facts = laws::Facts::new(&problem, inputs.registry);
        let mut grants = build::Grants::default();
        let bound = bound::Bound::new(
            &problem,
            &facts,
            inputs.registry,
            inputs.schedule,
            &mut grants,
        )
        .map_err(bug)?;
        if limits.pruning {
            if let Some(b) = best {
                if bound.lower(&problem, 0, 0) > b.gas {
                    continue;
                }
            }
        }
        let mut tree = tree::Tree::new(
            &problem,
            &facts,
            inputs.registry,
            inputs.schedule,
            o0,
            grants,
            bound,
            deadline,
            tree::Switches {
                pruning: limits.pruning,
                reduce_orders: limits.reduce_orders,
                max_work: limits.max_work,
            },
        );
        match tree.run(best, searched) {
            Ok(()) => {}
            Err(tree::Stop::Budget) => return Ok(()),
            Err(tree::Stop::Bug(message)) => return Err(bug(message)),
        }
    }
    Ok(())
}
