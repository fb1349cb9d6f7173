//! The report of one bundle, what a user reads first: committed or
//! reverted (with the reason and the source line), the transactions sent
//! with each call, its amounts and its gas, the blocks, what the bundle
//! returned to the wallet, and the wallet balances and lender positions it
//! changed, before and after, with each position's health factor. Human text by default ([`text`]), JSON with a
//! fixed key order for machines ([`json`]; docs/report.md is its schema).
//!
//! A bundle is all or nothing at every optimisation level, `-O0` included:
//! the report of a reverted bundle lists no transaction, gas, block or
//! change, only the failure.
//!
//! Module map: here the report's data; `call` what one call did;
//! [`money`] the gas each chain charged and the result net of gas; `text`
//! the human rendering; `json` the JSON rendering.

mod call;
mod json;
pub mod money;
mod text;

pub use call::{BridgeMessage, Call, CallRecord, Moved, SpenderName};
pub use money::{GasCost, Net, NetFigures, Signed};

use std::collections::BTreeMap;
use std::fmt;

use crate::amount::{display_units, format_units};
use crate::gas::Sender;
use crate::session::Revert;
use mesh_core::health::HealthFactor;

/// An amount with its token's decimals, so it can be written exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub base: u128,
    pub decimals: u8,
}

impl Amount {
    /// The amount as JSON writes it: plain digits, in token units.
    pub fn plain(self) -> String {
        format_units(self.base, self.decimals)
    }
}

/// The amount as people read it ([`display_units`]: `6_003.2`).
impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display_units(self.base, self.decimals))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Committed,
    Reverted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Committed => "committed",
            Status::Reverted => "reverted",
        }
    }
}

/// What became of the world a bundle committed: the report of a committed
/// bundle says whether a world file holds it (a reverted one changes
/// nothing, whatever this says).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WorldWrite {
    /// The session's world holds the changes; no file is involved (a host
    /// that keeps the world in memory).
    #[default]
    InMemory,
    /// No world file was written: a run without `--commit` (the bundle
    /// would commit), or a reverted bundle.
    NotWritten,
    /// `--commit` was asked, but the world file could not be written (the
    /// error is reported apart): nothing was committed.
    Failed,
    /// The world file at this path holds the new world, on disk.
    Written(String),
}

/// One chain transaction: its chain, sender, block, and gas (the base
/// cost plus its calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRecord {
    pub chain: String,
    pub sender: Sender,
    /// The block it took, counted from the bundle's start (1 = the first).
    pub block: u64,
    /// Its gas: the schedule's charge for its calls, with what the writes
    /// of the sender's balances cost beyond it (`balance_gas`).
    pub gas: u64,
    /// What the writes of the sender's token balances cost beyond the
    /// schedule's charge for them, by their values, refunds taken off
    /// (below zero: less; docs/gas.md, "Balances at run time").
    pub balance_gas: i128,
    pub calls: Vec<CallRecord>,
}

impl TxRecord {
    pub(crate) fn from_open(
        chain: String,
        sender: Sender,
        block: u64,
        gas: u64,
        balance_gas: i128,
        calls: Vec<CallRecord>,
    ) -> TxRecord {
        TxRecord {
            chain,
            sender,
            block,
            gas,
            balance_gas,
            calls,
        }
    }

    /// The transaction's own cost: its gas less its calls'.
    pub fn base_gas(&self) -> u64 {
        let calls: u64 = self.calls.iter().map(|c| c.gas).sum();
        self.gas.saturating_sub(calls)
    }

    /// The schedule's charge alone: its gas less what the balance writes
    /// added (the figure the compiler computes without running).
    pub fn schedule_gas(&self) -> u64 {
        u64::try_from((i128::from(self.gas) - self.balance_gas).max(0)).unwrap_or(u64::MAX)
    }
}

/// A figure before the bundle and after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub before: Amount,
    pub after: Amount,
}

/// A wallet balance the bundle changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalanceChange {
    pub chain: String,
    pub token: String,
    pub balance: Change,
}

/// The user's position in one token at a lender, which the bundle changed:
/// the collateral (what the user has deposited) and the debt (the
/// principal the user owes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionChange {
    pub chain: String,
    pub lender: String,
    pub token: String,
    pub collateral: Change,
    pub debt: Change,
}

/// The health factor of a position at a lender whose collateral or debt
/// the bundle changed, before and after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HealthChange {
    pub chain: String,
    pub lender: String,
    pub before: HealthFactor,
    pub after: HealthFactor,
}

/// What a bundle did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub bundle: String,
    pub status: Status,
    pub revert: Option<Revert>,
    /// Every transaction sent, in order; none on a revert (a bundle is all
    /// or nothing).
    pub transactions: Vec<TxRecord>,
    pub blocks: u64,
    /// The time the bundle takes end to end, in milliseconds: each block at
    /// its chain's block time (`None` when a chain without one is
    /// involved; 0 on a revert).
    pub time_ms: Option<u64>,
    /// What the bundle returned to the wallet: chain → token → amount
    /// (non-zero holdings only; empty on a revert).
    pub result: BTreeMap<String, BTreeMap<String, Amount>>,
    /// The wallet balances the bundle changed, by (chain, token) name; a
    /// balance it touched but left as it was is not listed, and nothing is
    /// on a revert.
    pub wallet: Vec<BalanceChange>,
    /// The lender positions the bundle changed, by (chain, lender, token)
    /// name; nothing on a revert.
    pub lenders: Vec<PositionChange>,
    /// The health factor of each position it changed, by (chain, lender)
    /// name; nothing on a revert.
    pub health: Vec<HealthChange>,
    /// Whether a world file holds a committed bundle's world (set by the
    /// host that writes it).
    pub world_write: WorldWrite,
    /// Each chain's gas priced in its native coin, for the chains the
    /// registry gives a gas price (empty on a revert).
    pub gas_costs: Vec<GasCost>,
    /// The result net of gas in the quote token the user picked, or the
    /// token of `min_profit` (`None` without either, and on a revert).
    pub net: Option<Net>,
}

impl Report {
    pub fn committed(&self) -> bool {
        self.status == Status::Committed
    }

    pub fn gas_total(&self) -> u64 {
        self.transactions.iter().map(|t| t.gas).sum()
    }

    /// Gas per chain, for every chain a transaction ran on.
    pub fn gas_by_chain(&self) -> BTreeMap<String, u64> {
        let mut by_chain = BTreeMap::new();
        for t in &self.transactions {
            *by_chain.entry(t.chain.clone()).or_insert(0) += t.gas;
        }
        by_chain
    }

    /// Prices a committed report's gas on `world` (its registry's gas
    /// prices, its oracle), and its result net of gas in `quote` when one
    /// is given; a reverted report has neither.
    pub fn price_in(&mut self, world: &crate::World, quote: Option<&str>) {
        self.gas_costs.clear();
        self.net = None;
        if !self.committed() {
            return;
        }
        let by_chain = self.gas_by_chain();
        self.gas_costs = money::gas_costs(world, &by_chain);
        self.net = quote.map(|q| Net {
            quote: q.to_string(),
            figures: money::net_figures(
                world,
                &money::changes_of(&self.wallet, &self.lenders),
                &by_chain,
                q,
            ),
        });
    }

    /// The status as the JSON report gives it: `committed`, `reverted`, or
    /// `would_commit` when the bundle commits but no world file took it.
    pub fn status_text(&self) -> &'static str {
        match (self.status, &self.world_write) {
            (Status::Committed, WorldWrite::NotWritten | WorldWrite::Failed) => "would_commit",
            (status, _) => status.as_str(),
        }
    }
}
