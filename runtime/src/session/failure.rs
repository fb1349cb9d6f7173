//! Failure: every call is all or nothing. A call's changes are saved
//! before it ([`Checkpoint`]) and restored if it fails; the run goes on,
//! and the failure first in the source is the one the bundle reverts with.
//! `require` and explicit reverts fail the same way.

use std::fmt::Write as _;

use super::approvals::SpenderKey;
use super::lending::Obligation;
use super::slots::Slots;
use super::swap::PairKey;
use super::tx::{Balances, Meter, ParallelFrame};
use super::{CallResult, Named, Session, State};
use crate::amount::display_units;
use crate::gas::Sender;
use crate::journal::NotInWorld;
use crate::registry::{ChainId, ProtocolId, TokenId};
use crate::u256::U256;
use mesh_core::constraint::Comparison;
use mesh_core::health::HealthFactor;
use mesh_core::loc::Loc;
use mesh_core::revert::Revert;

/// What a call may change in the session besides the world (whose changes
/// the journal keeps), saved before the call so that a failing call
/// changes nothing.
pub(super) struct Checkpoint {
    pub(super) journal: usize,
    pub(super) holdings: Slots<(ChainId, TokenId), u128>,
    pub(super) obligations: Slots<(ChainId, ProtocolId, TokenId), Obligation>,
    pub(super) approvals: Slots<(ChainId, Sender, TokenId, SpenderKey), u32>,
    /// The open transaction's calls so far, its meter and its balance
    /// writes.
    pub(super) tx: Option<(usize, Meter, Balances)>,
    pub(super) transactions: usize,
    pub(super) closed_gas: u64,
    pub(super) closed_charge: u64,
    pub(super) clock: u64,
    pub(super) elapsed_ms: Option<u64>,
    pub(super) untimed: Option<ChainId>,
    pub(super) parallel: Vec<ParallelFrame>,
    pub(super) k_before: Slots<(ChainId, ProtocolId, PairKey), U256>,
    pub(super) wallets_before: Slots<(ChainId, TokenId), u128>,
    pub(super) deposits_before: Slots<(ChainId, ProtocolId, TokenId), u128>,
    pub(super) debts_before: Slots<(ChainId, ProtocolId, TokenId), u128>,
    pub(super) health_before: Slots<(ChainId, ProtocolId), HealthFactor>,
}

/// Whether `a` comes before `b` in the source: a failure with a location
/// comes before one without.
pub(super) fn earlier(a: Loc, b: Loc) -> bool {
    (a == Loc::UNKNOWN, a) < (b == Loc::UNKNOWN, b)
}

/// A `require` as it runs: the values of its two sides, how they compare,
/// the token they are amounts of, and the texts its failure quotes.
#[derive(Clone, Copy, Debug)]
pub struct Requirement<'a, T> {
    pub left: u128,
    pub comparison: Comparison,
    pub right: u128,
    pub token: T,
    /// The condition as written (`x >= 100 USDC`), or empty.
    pub text: &'a str,
    /// Its left side as written (`x`), or empty.
    pub left_text: &'a str,
}

impl Session {
    pub(super) fn revert_value(&self, reason: impl Into<String>) -> Revert {
        Revert {
            reason: reason.into(),
            loc: self.loc,
        }
    }

    /// Fails the current call at the current location.
    pub(super) fn fail<T>(&mut self, reason: impl Into<String>) -> CallResult<T> {
        self.fail_at(reason, self.loc)
    }

    /// Fails a call: the failure is kept if it comes first in the source of
    /// all so far, and the bundle will revert with it at `finish`.
    pub(super) fn fail_at<T>(&mut self, reason: impl Into<String>, loc: Loc) -> CallResult<T> {
        let revert = Revert {
            reason: reason.into(),
            loc,
        };
        if self.failure.as_ref().is_none_or(|f| earlier(loc, f.loc)) {
            self.failure = Some(revert.clone());
        }
        Err(revert)
    }

    pub(super) fn running(&self) -> CallResult<()> {
        match &self.state {
            State::Running => Ok(()),
            State::Finished => Err(self.revert_value("the bundle has already finished")),
        }
    }

    pub(super) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            journal: self.journal.len(),
            holdings: self.holdings.clone(),
            obligations: self.obligations.clone(),
            approvals: self.approvals.clone(),
            tx: self
                .tx
                .as_ref()
                .map(|t| (t.calls.len(), t.meter.clone(), t.balances.clone())),
            transactions: self.transactions.len(),
            closed_gas: self.closed_gas,
            closed_charge: self.closed_charge,
            clock: self.clock,
            elapsed_ms: self.elapsed_ms,
            untimed: self.untimed,
            parallel: self.parallel.clone(),
            k_before: self.k_before.clone(),
            wallets_before: self.wallets_before.clone(),
            deposits_before: self.deposits_before.clone(),
            debts_before: self.debts_before.clone(),
            health_before: self.health_before.clone(),
        }
    }

    /// Undoes what a failed call changed. What a call changes in the world
    /// is undone by the journal, which can only fail on a defect: that is
    /// then a failure of its own.
    pub(super) fn restore(&mut self, saved: Checkpoint) {
        if self
            .journal
            .undo_to(saved.journal, &mut self.world)
            .is_err()
        {
            let _: CallResult<()> = self.fail(
                "internal error: a change could not be undone, so the world in memory is not as it was",
            );
        }
        self.holdings = saved.holdings;
        self.obligations = saved.obligations;
        self.approvals = saved.approvals;
        match (saved.tx, self.tx.as_mut()) {
            (Some((calls, meter, balances)), Some(open)) => {
                open.calls.truncate(calls);
                open.meter = meter;
                open.balances = balances;
            }
            (None, _) => self.tx = None,
            (Some(_), None) => {}
        }
        self.transactions.truncate(saved.transactions);
        self.closed_gas = saved.closed_gas;
        self.closed_charge = saved.closed_charge;
        self.clock = saved.clock;
        self.elapsed_ms = saved.elapsed_ms;
        self.untimed = saved.untimed;
        self.parallel = saved.parallel;
        self.k_before = saved.k_before;
        self.wallets_before = saved.wallets_before;
        self.deposits_before = saved.deposits_before;
        self.debts_before = saved.debts_before;
        self.health_before = saved.health_before;
    }

    /// Runs one call, all or nothing: if `f` fails, whatever it changed is
    /// undone, the failure is recorded, and the run goes on.
    pub(super) fn step<T>(
        &mut self,
        f: impl FnOnce(&mut Session) -> CallResult<T>,
    ) -> CallResult<T> {
        self.running()?;
        let saved = self.checkpoint();
        match f(self) {
            Ok(v) => Ok(v),
            Err(r) => {
                self.restore(saved);
                self.fail_at(r.reason, r.loc)
            }
        }
    }

    /// A `require` that failed, or a checked operation that overflowed in
    /// generated code: reverts with `reason`.
    pub fn revert(&mut self, reason: &str) -> CallResult<()> {
        self.running()?;
        self.fail(reason.to_string())
    }

    /// `require`: reverts unless its sides compare as it says, with a
    /// reason that quotes the condition and gives the left side's value
    /// against the bound: "require failed: x >= 100 USDC: x is 99.5 USDC,
    /// needs at least 100 USDC".
    pub fn require<T: Named<TokenId>>(&mut self, r: Requirement<'_, T>) -> CallResult<()> {
        self.running()?;
        if r.comparison.holds(r.left, r.right) {
            return Ok(());
        }
        let mut reason = String::from("require failed");
        if !r.text.is_empty() {
            reason.push_str(": ");
            reason.push_str(r.text);
        }
        // The sides in the token's units; in base units if the world does
        // not know the token.
        let (left, right) = match self.token_id(r.token) {
            Ok(token) => (self.fmt(r.left, token), self.fmt(r.right, token)),
            Err(_) => (
                format!("{} base units", display_units(r.left, 0)),
                format!("{} base units", display_units(r.right, 0)),
            ),
        };
        let subject = if r.left_text.is_empty() {
            "the left side"
        } else {
            r.left_text
        };
        let _ = write!(
            reason,
            ": {subject} is {left}, needs {} {right}",
            r.comparison.needs()
        );
        self.fail(reason)
    }

    /// A change the journal could not make: ids are resolved against this
    /// world before any change, so this is the runtime's own fault.
    pub(super) fn not_in_world(&self, _: NotInWorld) -> Revert {
        self.revert_value("internal error: a change names something the world does not have")
    }
}
