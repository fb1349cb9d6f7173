//! The EVM lowering: a lowered bundle ([`Program`], `-O0` or `-O`) becomes
//! a transaction plan ([`Plan`]) — unsigned transactions with calldata for
//! the real contracts — and the EVM engine runs that plan on a world
//! deployed from their bytecode (docs/plan.md).
//!
//! The amounts a plan sends are the ones a simulation of the bundle on the
//! world gives: the model engine runs the program ([`interp`]) and every
//! box it makes becomes its call, with the amounts the box moved. That is
//! how any bundle builder fills its calldata; the EVM then says whether the
//! contracts do what the simulation said: a swap that yields less than the
//! plan spends next, a loan without collateral, a repayment the pool cannot
//! pull all revert there, mapped back to the bundle's line.
//!
//! `-O0` is what a user sends from a plain account: one call per
//! transaction, Uniswap V2 Router02 swaps, `approve`s of the maximum
//! allowance once per token and spender, Aave V3 `borrow`/`repay`/`supply`/`withdraw`,
//! and `MeshBridge.lock`. `-O` sends each transaction to the user's
//! `MeshExecutor`: direct pair swaps (a transfer into the first pair, then
//! one `swap` per hop, each pair sending on to the next), maximum approvals,
//! and flash loans whose callback runs the rest of the transaction.
//!
//! Here: [`plan`] (a program to its plan), [`run`] (the plan on the EVM
//! engine) and [`report`] (the run as the model's report reads); the
//! builder that writes each box down as its calls is in `builder`.

mod builder;

use crate::interp;
use crate::ir::{Program, Sender, Term};
use crate::level::OptLevel;
use builder::Builder;
use mesh_core::Loc;
use mesh_evm::deploy::Holder;
use mesh_evm::plan::Plan;
use mesh_evm::{EvmEngine, EvmError, EvmRun, EvmWorld};
use mesh_runtime::report::{
    Amount, BalanceChange, CallRecord, Change, HealthChange, PositionChange, Status, TxRecord,
    WorldWrite,
};
use mesh_runtime::{Report, Session, World};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a bundle has no plan: what the deployed world lacks, or what the
/// EVM lowering cannot express, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub message: String,
    pub loc: Loc,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc == Loc::UNKNOWN {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.loc.line, self.loc.column, self.message
            )
        }
    }
}

impl std::error::Error for PlanError {}

impl From<EvmError> for PlanError {
    fn from(e: EvmError) -> PlanError {
        PlanError {
            message: e.to_string(),
            loc: Loc::UNKNOWN,
        }
    }
}

/// Who holds the world's balances for a program: the executor when any
/// of its transactions is the executor's, else the wallet. A program that
/// mixes both cannot be planned: one account holds the balances.
pub fn holder(program: &Program) -> Result<Holder, PlanError> {
    let mut senders = BTreeSet::new();
    senders_of(&program.body, &mut senders);
    match (
        senders.contains(&Sender::Wallet),
        senders.contains(&Sender::Executor),
    ) {
        (true, true) => Err(PlanError {
            message: "the program sends transactions both from the wallet and through the executor; the EVM lowering holds the balances in one account".to_string(),
            loc: Loc::UNKNOWN,
        }),
        (_, true) => Ok(Holder::Executor),
        _ => Ok(Holder::Wallet),
    }
}

fn senders_of(term: &Term, out: &mut BTreeSet<Sender>) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(ts) | Term::Tensor(ts) => ts.iter().for_each(|t| senders_of(t, out)),
        Term::Tx { sender, body, .. } => {
            out.insert(*sender);
            body.iter().for_each(|t| senders_of(t, out));
        }
    }
}

/// A plan and the model run it came from.
pub struct Planned {
    pub plan: Plan,
    /// The model engine's report of the same run.
    pub model: Report,
    /// The model's session after the run (its world: the committed one, or
    /// the original after a revert).
    pub session: Session,
    /// The token the reports value the result in, net of gas: the user's,
    /// else the token of the bundle's `min_profit`.
    pub quote: Option<String>,
}

/// Runs `program` on `world` with the model engine and writes down the
/// calls it makes as a plan for the contracts deployed in `evm`. The plan
/// is made whether the model commits or not (a call that fails in the
/// model is planned with the amounts it tried, so that the EVM says what
/// the contract does with it).
pub fn plan(
    program: &Program,
    world: &World,
    evm: &EvmWorld,
    level: OptLevel,
) -> Result<Planned, PlanError> {
    plan_quoted(program, world, evm, level, None)
}

/// [`plan`], the reports valuing the result net of gas in `quote` (an
/// unknown token is an error).
pub fn plan_quoted(
    program: &Program,
    world: &World,
    evm: &EvmWorld,
    level: OptLevel,
    quote: Option<&str>,
) -> Result<Planned, PlanError> {
    let mut session = Session::new(world.clone(), &program.bundle);
    if let Some(token) = quote {
        session.quote_in(token).map_err(|message| PlanError {
            message,
            loc: Loc::UNKNOWN,
        })?;
    }
    let quote = quote.map(str::to_string).or_else(|| {
        program.constraints.items.iter().find_map(|(c, _)| match c {
            crate::ir::Constraint::MinProfit { token, .. } => Some(token.clone()),
            _ => None,
        })
    });
    let level = match level {
        OptLevel::O0 => "O0",
        OptLevel::O => "O",
    };
    let mut builder = Builder::new(program, &world.registry, evm, level.to_string());
    interp::execute_observed(program, &mut session, &mut builder);
    if let Some(e) = builder.error {
        return Err(e);
    }
    builder.plan.blocks = session.blocks();
    builder.plan.time_ms = session.elapsed_ms();
    let model = session.finish(&program.constraints);
    Ok(Planned {
        plan: builder.plan,
        model,
        session,
        quote,
    })
}

/// What the EVM engine did with a bundle: the plan, the model's report,
/// the EVM's run and the report from it.
pub struct EvmOutcome {
    pub planned: Planned,
    pub run: EvmRun,
    pub report: Report,
}

/// Plans `program` on `world` and runs the plan on `engine` (a deployment
/// of the same world, its balances held as [`holder`] says).
pub fn run_on(
    engine: &mut EvmEngine,
    program: &Program,
    world: &World,
    level: OptLevel,
) -> Result<EvmOutcome, PlanError> {
    run_on_quoted(engine, program, world, level, None)
}

/// [`run_on`], the reports valuing the result net of gas in `quote`.
pub fn run_on_quoted(
    engine: &mut EvmEngine,
    program: &Program,
    world: &World,
    level: OptLevel,
    quote: Option<&str>,
) -> Result<EvmOutcome, PlanError> {
    let planned = plan_quoted(program, world, engine.evm(), level, quote)?;
    let run = engine.run(&planned.plan, &program.constraints)?;
    let report = report(&planned, &run, world);
    Ok(EvmOutcome {
        planned,
        run,
        report,
    })
}

/// Deploys `world` for `program` and runs it on the EVM.
pub fn run(program: &Program, world: &World, level: OptLevel) -> Result<EvmOutcome, PlanError> {
    run_quoted(program, world, level, None)
}

/// [`run`], the reports valuing the result net of gas in `quote`.
pub fn run_quoted(
    program: &Program,
    world: &World,
    level: OptLevel,
    quote: Option<&str>,
) -> Result<EvmOutcome, PlanError> {
    let mut engine = EvmEngine::new(world, holder(program)?)?;
    run_on_quoted(&mut engine, program, world, level, quote)
}

/// The report of an EVM run, in the model engine's shape: its
/// transactions with the gas the EVM metered for each (the calls are the
/// model's, without a gas figure of their own: the EVM meters a
/// transaction as a whole).
pub fn report(planned: &Planned, run: &EvmRun, world: &World) -> Report {
    let decimals = |token: &str| world.registry.token(token).map_or(0, |t| t.decimals);
    let amount = |token: &str, base: u128| Amount {
        base,
        decimals: decimals(token),
    };
    let mut transactions = Vec::new();
    if run.revert.is_none() {
        for (i, tx) in planned.plan.transactions.iter().enumerate() {
            let Some(gas) = run.gas.get(i).copied().flatten() else {
                continue;
            };
            let calls: Vec<CallRecord> = planned
                .model
                .transactions
                .get(i)
                .map(|t| {
                    t.calls
                        .iter()
                        .map(|c| CallRecord {
                            what: c.what.clone(),
                            gas: 0,
                            loc: c.loc,
                        })
                        .collect()
                })
                .unwrap_or_default();
            transactions.push(TxRecord {
                chain: tx.chain.clone(),
                sender: tx.sender,
                block: tx.block,
                gas,
                // The EVM's gas is metered, not charged by the schedule.
                balance_gas: 0,
                calls,
            });
        }
    }
    let mut result: BTreeMap<String, BTreeMap<String, Amount>> = BTreeMap::new();
    for ((chain, token), held) in &run.holdings {
        result
            .entry(chain.clone())
            .or_default()
            .insert(token.clone(), amount(token, *held));
    }
    let wallet = run
        .wallet
        .iter()
        .map(|(c, t, before, after)| BalanceChange {
            chain: c.clone(),
            token: t.clone(),
            balance: Change {
                before: amount(t, *before),
                after: amount(t, *after),
            },
        })
        .collect();
    let lenders = run
        .positions
        .iter()
        .map(
            |((chain, lender, token), collateral, debt)| PositionChange {
                chain: chain.clone(),
                lender: lender.clone(),
                token: token.clone(),
                collateral: Change {
                    before: amount(token, collateral.0),
                    after: amount(token, collateral.1),
                },
                debt: Change {
                    before: amount(token, debt.0),
                    after: amount(token, debt.1),
                },
            },
        )
        .collect();
    let mut report = Report {
        bundle: planned.plan.bundle.clone(),
        status: if run.revert.is_some() {
            Status::Reverted
        } else {
            Status::Committed
        },
        revert: run.revert.clone(),
        transactions,
        blocks: if run.revert.is_some() {
            0
        } else {
            planned.plan.blocks
        },
        time_ms: if run.revert.is_some() {
            Some(0)
        } else {
            planned.plan.time_ms
        },
        result,
        wallet,
        lenders,
        health: run
            .health
            .iter()
            .map(|((chain, lender), before, after)| HealthChange {
                chain: chain.clone(),
                lender: lender.clone(),
                before: *before,
                after: *after,
            })
            .collect(),
        world_write: WorldWrite::InMemory,
        gas_costs: Vec::new(),
        net: None,
    };
    report.price_in(world, planned.quote.as_deref());
    report
}

/// `world` with more collateral at aave for the user on every chain: a
/// deposit of up to 5,000,000 USDC, within the pool's liquidity. `-O0`
/// sends every loan as an ordinary borrow, which both engines lend only
/// against collateral; the agreement tests, the refinement properties and
/// the gas tables run the bundles that borrow on this world too, so that
/// such loans commit as well as revert (docs/plan.md).
pub fn with_collateral(mut world: World) -> World {
    for lenders in world.lenders.values_mut() {
        if let Some(aave) = lenders.get_mut("aave") {
            let liquidity = aave.liquidity.get("USDC").copied().unwrap_or(0);
            let deposit = liquidity.min(5_000_000 * 10u128.pow(6));
            if deposit > 0 {
                let held = aave.deposits.entry("USDC".to_string()).or_insert(0);
                *held = (*held).max(deposit);
            }
        }
    }
    world
}
