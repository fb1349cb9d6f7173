//! The gas figures of one bundle at both levels: what `meshc gas` prints,
//! the benchmark tabulates, and the tests compare with what the runtime
//! meters.

use super::routes::{route_notes, RouteNote};
use super::{Analysis, InternalError};
use crate::check::CheckedBundle;
use crate::ir::{gas, Node, Op, Program, Sender, Term};
use crate::opt::PassReport;
use crate::search::{self, Limits, NotSearched, Searched};
use mesh_core::GasSchedule;
use std::collections::BTreeMap;

/// Gas and blocks at `-O0` and `-O`, per pass, and the optimum.
#[derive(Clone, Debug)]
pub struct Figures {
    pub name: String,
    pub gas_o0: u64,
    /// The second baseline: every `-O0` action sent as its own executor
    /// transaction ([`each_action_by_executor`]), so that what the account
    /// switch saves is told apart from what the optimiser saves.
    pub gas_o0_executor: u64,
    pub gas_o: u64,
    pub blocks_o0: u64,
    pub blocks_o0_executor: u64,
    pub blocks_o: u64,
    /// The least gas of the independent exact search ([`crate::search`]),
    /// where it ran to its end (`None`: not searched).
    pub gas_optimum: Option<u64>,
    /// What the search searched, and why it did not run to its end where
    /// it did not.
    pub searched: Searched,
    pub not_searched: Option<NotSearched>,
    /// The optimum's program, where the search ran to its end.
    pub optimum: Option<Program>,
    pub passes: Vec<PassReport>,
    /// What route choice did with each unpinned bridge, and why.
    pub routes: Vec<RouteNote>,
    /// Gas per chain at `-O0` and at `-O`, by chain name: what each chain
    /// charges, in its own native coin at its own price.
    pub by_chain_o0: BTreeMap<String, u64>,
    pub by_chain_o: BTreeMap<String, u64>,
    /// The `-O0` lowering.
    pub o0: Program,
    /// The `-O0` lowering after the pipeline.
    pub o: Program,
}

impl Figures {
    /// The reduction from `-O0` to `-O`, in per cent of the `-O0` gas.
    pub fn reduction(&self) -> f64 {
        percent(self.gas_o0.saturating_sub(self.gas_o), self.gas_o0)
    }

    /// The reduction from the executor baseline to `-O`, in per cent of
    /// the executor baseline's gas.
    pub fn reduction_from_executor(&self) -> f64 {
        percent(
            self.gas_o0_executor.saturating_sub(self.gas_o),
            self.gas_o0_executor,
        )
    }

    /// The optimiser's savings over the optimum's, in per cent (100 when
    /// neither saves anything).
    pub fn optimum_ratio(&self) -> Option<f64> {
        let optimum = self.gas_optimum?;
        let best = self.gas_o0.saturating_sub(optimum);
        if best == 0 {
            return Some(100.0);
        }
        Some(percent(self.gas_o0.saturating_sub(self.gas_o), best))
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Lowers `bundle` at `-O0`, runs the optimiser (verified after every
/// rewrite) and the exact search, and measures both programs with the
/// default schedule.
pub fn figures(analysis: &Analysis, bundle: &CheckedBundle) -> Result<Figures, InternalError> {
    figures_with(analysis, bundle, &Limits::default())
}

/// As [`figures`], with the exact search's limits (for the benchmarks).
pub fn figures_with(
    analysis: &Analysis,
    bundle: &CheckedBundle,
    limits: &Limits,
) -> Result<Figures, InternalError> {
    let registry = &analysis.checked.registry;
    let lowered = analysis.lower_o0(bundle)?;
    let schedule = GasSchedule::default();
    let optimised = super::optimise(&lowered, registry, true)?;
    let inputs = search::Inputs {
        registry,
        schedule: &schedule,
        pinned: &lowered.pinned,
    };
    let outcome =
        search::optimum(&lowered.program, &inputs, limits).map_err(|e| InternalError {
            message: e.to_string(),
        })?;
    let measure = |p: &Program| {
        gas::cost(p, registry, &schedule).map_err(|e| InternalError {
            message: e.to_string(),
        })
    };
    let o0 = measure(&lowered.program)?;
    let o = measure(&optimised.program)?;
    let by_executor = each_action_by_executor(&lowered.program);
    crate::ir::verify(&by_executor)?;
    let o0_executor = measure(&by_executor)?;
    let routes = route_notes(&lowered, &optimised.program, registry);
    Ok(Figures {
        name: bundle.name.clone(),
        gas_o0: o0.total(),
        gas_o0_executor: o0_executor.total(),
        gas_o: o.total(),
        blocks_o0: o0.blocks,
        blocks_o0_executor: o0_executor.blocks,
        blocks_o: o.blocks,
        gas_optimum: outcome.gas(),
        searched: outcome.searched,
        not_searched: outcome.result.as_ref().err().cloned(),
        optimum: outcome.result.ok().map(|o| o.program),
        passes: optimised.passes,
        routes,
        by_chain_o0: by_chain(&o0),
        by_chain_o: by_chain(&o),
        o0: lowered.program,
        o: optimised.program,
    })
}

/// Gas per chain of a cost, by chain name.
fn by_chain(cost: &gas::Cost) -> BTreeMap<String, u64> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for tx in &cost.transactions {
        let sum = out.entry(tx.chain.clone()).or_insert(0);
        *sum = sum.saturating_add(tx.gas);
    }
    out
}

/// The `-O0` program with each of its transactions sent by the executor
/// instead of the wallet: the same actions, one transaction each, in the
/// same order, with the executor's approvals (one grant per chain, token
/// and spender, none for a direct pair swap) instead of the wallet's
/// approval transactions. No law is applied: loans stay ordinary, swaps
/// stay one per statement, routes stay the `-O0` ones.
pub fn each_action_by_executor(o0: &Program) -> Program {
    fn executor(term: Term) -> Option<Term> {
        match term {
            Term::Tx { chain, body, .. } => {
                let approvals_only = body.iter().all(|t| {
                    matches!(
                        t,
                        Term::Gen(Node {
                            op: Op::Approve { .. },
                            ..
                        })
                    )
                });
                (!approvals_only).then_some(Term::Tx {
                    chain,
                    sender: Sender::Executor,
                    body,
                })
            }
            Term::Seq(terms) => Some(Term::Seq(terms.into_iter().filter_map(executor).collect())),
            Term::Tensor(terms) => Some(Term::Tensor(
                terms.into_iter().filter_map(executor).collect(),
            )),
            gen @ Term::Gen(_) => Some(gen),
        }
    }
    let mut program = o0.clone();
    let body = std::mem::replace(&mut program.body, Term::Seq(Vec::new()));
    program.body = executor(body).unwrap_or(Term::Seq(Vec::new()));
    crate::opt::approvals::place(&mut program);
    program
}
