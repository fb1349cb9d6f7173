//! A session runs one bundle against a world: chain transactions opened and
//! closed as the caller (generated code, or the compiler's IR interpreter)
//! says, the actions inside them, gas metered from the schedule, time
//! counted in blocks, every change journaled — and at the end either a
//! commit or a revert of everything, on every chain.
//!
//! The session never decides how actions group into transactions: it meters
//! exactly what it is told.
//!
//! Every call is all or nothing: a call that fails changes nothing. A run
//! does not stop at a failing call: it goes on, as if that call had not
//! been made, and the bundle reverts with the failure whose source location
//! comes first. That is the failure a user sending the bundle by hand, step
//! after step as written, would meet first — whatever order the optimiser
//! sent the steps in (docs/runtime.md).
//!
//! Chains, tokens and protocols are named either by text (`"WETH"`), which
//! the session resolves against its world's registry at each call, or by
//! ids resolved once beforehand ([`Named`]): generated code resolves each
//! name once per run, and every call after that compares numbers. Inside,
//! the session keys everything by id, so a call copies no text.
//!
//! The session's parts, one file each:
//!
//! - [`names`]: how chains, tokens and protocols are named and resolved;
//! - `slots`: the small ordered map everything is keyed in;
//! - `failure`: every call all or nothing, the first failure in the source,
//!   and `require`;
//! - `holdings`: what the bundle holds, and `input` from the wallet;
//! - `tx`: chain transactions, the block clock, parallel branches, metering;
//! - `approvals`: who may spend which token;
//! - `lending`: loans and obligations, repay, deposit and withdraw;
//! - `positions`: the user's collateral and debt at a lender valued as Aave
//!   V3 values them, loans left open as debt, assumptions, health checks;
//! - [`swap`]: swaps along a pair, a path or a route;
//! - `bridge`: transfers to another chain, alone or in a shared message;
//! - `wrap`: the native coin wrapped and unwrapped, and refused by every
//!   protocol;
//! - `money`: the quote token the result is valued in, and `min_profit`;
//! - `finish`: the end: checks, commit or revert, and the report.

mod approvals;
mod bridge;
mod failure;
mod finish;
mod holdings;
mod lending;
mod money;
pub mod names;
mod positions;
mod slots;
pub mod swap;
mod tx;
mod wrap;

pub use failure::Requirement;
pub use mesh_core::account::{LoanKind, Spender};
pub use mesh_core::constraint::{Comparison, Constraint, Constraints, Invariant};
pub use mesh_core::loc::Loc;
pub use mesh_core::revert::Revert;
pub use names::{NameRef, Named};
pub use swap::SwapHop;

use approvals::SpenderKey;
use lending::Obligation;
use slots::Slots;
use swap::PairKey;
use tx::{OpenTx, ParallelFrame};

use crate::gas::{GasSchedule, Sender};
use crate::journal::{Journal, NotInWorld};
use crate::registry::{ChainId, ProtocolId, TokenId};
use crate::report::TxRecord;
use crate::u256::U256;
use crate::world::World;
use mesh_core::health::HealthFactor;

#[derive(Debug)]
enum State {
    /// Calls are made; `failure` says whether one failed.
    Running,
    Finished,
}

/// One run of a bundle against a world.
pub struct Session {
    world: World,
    schedule: GasSchedule,
    bundle: String,
    journal: Journal,
    /// (chain, token) → what the bundle holds.
    holdings: Slots<(ChainId, TokenId), u128>,
    obligations: Slots<(ChainId, ProtocolId, TokenId), Obligation>,
    /// Every approval grants the maximum allowance and stands for the rest
    /// of the bundle: an entry (of 1) is an approval granted.
    approvals: Slots<(ChainId, Sender, TokenId, SpenderKey), u32>,
    tx: Option<OpenTx>,
    /// Which reserves the user supplies and owes at each lender, for the
    /// gas of lender calls: the world's when the session starts, then as
    /// the bundle's calls make them.
    positions: tx::LenderReserves,
    /// The transactions that have ended (handed to the report at finish).
    transactions: Vec<TxRecord>,
    /// Their gas, all chains.
    closed_gas: u64,
    /// The schedule's charge of it (`closed_gas` less what balance writes
    /// added by their values).
    closed_charge: u64,
    clock: u64,
    /// The time the blocks on the clock take, each at its chain's block
    /// time, in milliseconds; `None` once a block of a chain the registry
    /// gives no block time is counted.
    elapsed_ms: Option<u64>,
    /// The first chain counted that has no block time.
    untimed: Option<ChainId>,
    parallel: Vec<ParallelFrame>,
    /// `k` of every pair a swap touched, as it was before the first swap.
    k_before: Slots<(ChainId, ProtocolId, PairKey), U256>,
    /// (chain, token) → the wallet's balance before the bundle first
    /// touched it.
    wallets_before: Slots<(ChainId, TokenId), u128>,
    /// (chain, lender, token) → the user's deposit before the bundle first
    /// touched it.
    deposits_before: Slots<(ChainId, ProtocolId, TokenId), u128>,
    /// (chain, lender, token) → the user's debt before the bundle first
    /// changed it.
    debts_before: Slots<(ChainId, ProtocolId, TokenId), u128>,
    /// (chain, lender) → the position's health factor before the bundle
    /// first changed it.
    health_before: Slots<(ChainId, ProtocolId), HealthFactor>,
    loc: Loc,
    state: State,
    /// The failure that comes first in the source, of every call that
    /// failed so far.
    failure: Option<Revert>,
    /// The token the report values the result in, net of gas.
    quote: Option<String>,
}

/// What a call of the session gives: its value, or the failure it
/// reverts the bundle with.
type CallResult<T> = Result<T, Revert>;

impl Session {
    /// A session of bundle `bundle` on `world`, metered with the default schedule.
    pub fn new(world: World, bundle: &str) -> Session {
        Session::with_schedule(world, bundle, GasSchedule::default())
    }

    pub fn with_schedule(world: World, bundle: &str, schedule: GasSchedule) -> Session {
        Session {
            positions: tx::starting_reserves(&world),
            world,
            schedule,
            bundle: bundle.to_string(),
            journal: Journal::new(),
            holdings: Slots::default(),
            obligations: Slots::default(),
            approvals: Slots::default(),
            tx: None,
            transactions: Vec::new(),
            closed_gas: 0,
            closed_charge: 0,
            clock: 0,
            elapsed_ms: Some(0),
            untimed: None,
            parallel: Vec::new(),
            k_before: Slots::default(),
            wallets_before: Slots::default(),
            deposits_before: Slots::default(),
            debts_before: Slots::default(),
            health_before: Slots::default(),
            loc: Loc::UNKNOWN,
            state: State::Running,
            failure: None,
            quote: None,
        }
    }

    pub fn bundle(&self) -> &str {
        &self.bundle
    }

    /// The world: as changed so far while running, as committed after a
    /// commit, as it was before after a revert.
    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn into_world(self) -> World {
        self.world
    }

    /// The world as it was before the session began, whether the bundle
    /// committed or reverted: every change it made is undone. A host that
    /// runs a bundle many times resets the world this way, at the cost of
    /// the changes made rather than of a copy of the world. An error means a
    /// change could not be undone (a defect): the world is not as it was.
    pub fn rewind(mut self) -> Result<World, NotInWorld> {
        self.journal.undo(&mut self.world)?;
        Ok(self.world)
    }

    pub fn schedule(&self) -> &GasSchedule {
        &self.schedule
    }

    /// Blocks elapsed so far (on the current branch).
    pub fn blocks(&self) -> u64 {
        self.clock
    }

    /// The time elapsed so far, in milliseconds (on the current branch),
    /// each block at its chain's block time; `None` when a chain without a
    /// block time is involved.
    pub fn elapsed_ms(&self) -> Option<u64> {
        self.elapsed_ms
    }

    /// Gas metered so far, all chains (after `finish`: the bundle's total).
    pub fn gas_total(&self) -> u64 {
        // Gas is counted as the meter counts it, saturating (never a balance).
        let open = self.tx.as_ref().map_or(0, |t| t.balances.on(t.meter.gas()));
        self.closed_gas.saturating_add(open)
    }

    /// The schedule's charge alone so far, all chains: `gas_total` less
    /// what the writes of the sender's balances added by their values
    /// (the figure the compiler computes without running).
    pub fn schedule_gas_total(&self) -> u64 {
        let open = self.tx.as_ref().map_or(0, |t| t.meter.gas());
        self.closed_charge.saturating_add(open)
    }

    /// The open obligations, in the order of their names: (chain, protocol,
    /// token, principal, premium).
    pub fn obligations(&self) -> Vec<(String, String, String, u128, u128)> {
        let mut open: Vec<(String, String, String, u128, u128)> = self
            .obligations
            .iter()
            .map(|((c, p, t), o)| {
                (
                    self.chain_name(*c).to_string(),
                    self.protocol_name(*p).to_string(),
                    self.token_name(*t).to_string(),
                    o.principal,
                    o.premium,
                )
            })
            .collect();
        open.sort();
        open
    }

    /// The failure the bundle will revert with, if a call failed: the one
    /// that comes first in the source.
    pub fn reverted(&self) -> Option<&Revert> {
        self.failure.as_ref()
    }

    /// Sets the source location that the next calls are made from.
    pub fn at(&mut self, loc: Loc) -> &mut Session {
        self.loc = loc;
        self
    }

    /// Parses a decimal amount of `token` (`"100.2"`) into base units.
    pub fn units(&self, token: impl Named<TokenId>, text: &str) -> CallResult<u128> {
        let token = self.token_id(token)?;
        crate::amount::parse_units(text, self.decimals(token))
            .map_err(|e| self.revert_value(format!("amount \"{text}\" {e}")))
    }
}
