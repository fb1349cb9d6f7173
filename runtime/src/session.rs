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

use std::collections::BTreeMap;

use smallvec::SmallVec;

pub use mesh_core::account::{LoanKind, Spender};
pub use mesh_core::constraint::{Constraint, Constraints, Invariant};
pub use mesh_core::loc::Loc;
use mesh_core::revert::reason;
pub use mesh_core::revert::Revert;

use crate::gas::{GasSchedule, Operation, SecondWalletCall, Sender, TxMeter};
use crate::journal::{Journal, LenderBalance, NotInWorld};
use crate::maths::{self, constant_product, MathError};
use crate::registry::{BridgeKind, ChainId, ProtocolId, ProtocolKind, Registry, TokenId};
use crate::report::{
    Amount, BridgeMessage, Call, CallRecord, Report, SpenderName, Status, TxRecord, WorldWrite,
};
use crate::u256::U256;
use crate::world::{Pair, World};

/// A name the session resolves against its world's registry: text, looked
/// up at each use, or an id resolved before (see [`NameRef`]).
pub trait Named<Id>: Copy {
    /// The id, or the name as an "unknown …" message shows it.
    fn resolve(self, registry: &Registry) -> Result<Id, String>;
}

macro_rules! named_by_text {
    ($id:ty, $lookup:ident) => {
        impl<T: AsRef<str> + ?Sized> Named<$id> for &T {
            fn resolve(self, registry: &Registry) -> Result<$id, String> {
                let text = self.as_ref();
                registry.$lookup(text).ok_or_else(|| text.to_string())
            }
        }
    };
}
named_by_text!(ChainId, chain_id);
named_by_text!(TokenId, token_id);
named_by_text!(ProtocolId, protocol_id);

macro_rules! named_by_id {
    ($id:ty, $at:ident) => {
        impl Named<$id> for $id {
            fn resolve(self, registry: &Registry) -> Result<$id, String> {
                match registry.$at(self) {
                    Some(_) => Ok(self),
                    None => Err(format!("#{}", self.index())),
                }
            }
        }
    };
}
named_by_id!(ChainId, chain_at);
named_by_id!(TokenId, token_at);
named_by_id!(ProtocolId, protocol_at);

/// A name that was resolved once if the world knows it, or is still its
/// text if not (so that using it reverts exactly as the text would).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRef<'a, Id> {
    Id(Id),
    Text(&'a str),
}

impl<'a, Id> Named<Id> for NameRef<'a, Id>
where
    Id: Named<Id>,
    &'a str: Named<Id>,
{
    fn resolve(self, registry: &Registry) -> Result<Id, String> {
        match self {
            NameRef::Id(id) => id.resolve(registry),
            NameRef::Text(text) => text.resolve(registry),
        }
    }
}

#[derive(Clone, Debug)]
struct Obligation {
    kind: LoanKind,
    principal: u128,
    premium: u128,
    loc: Loc,
    /// The transaction a flash loan was taken in.
    tx_index: usize,
}

/// One hop of a swap route: the exchange whose pair it swaps on, the
/// token it buys, and the source location it comes from.
#[derive(Clone, Copy, Debug)]
pub struct SwapHop<E, T> {
    pub exchange: E,
    pub token_out: T,
    pub loc: Loc,
}

/// The pair of two tokens, keyed `(token0, token1)` as the world keys it
/// (by symbol).
type PairKey = (TokenId, TokenId);

/// One hop of a swap, computed before anything changes: its pair, the
/// reserves after it, and the reserves `(in, out)` before it.
type Hop = (PairKey, Pair, (u128, u128));

/// A contract a transaction calls, for warm and cold accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Account {
    Token(TokenId),
    Pool(ProtocolId),
    Router(ProtocolId),
    Pair(ProtocolId, PairKey),
    Bridge(BridgeKind),
}

/// Who an approval lets spend, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SpenderKey {
    Protocol(ProtocolId),
    Bridge(BridgeKind),
}

/// A small map searched in order. A bundle touches a handful of keys, and
/// a scan of a few ids costs less than a tree or a hash table; the order of
/// first insertion is kept, and whoever needs the order of names sorts.
#[derive(Clone, Debug)]
struct Slots<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for Slots<K, V> {
    fn default() -> Self {
        Slots { items: Vec::new() }
    }
}

impl<K: Copy + PartialEq, V> Slots<K, V> {
    fn get(&self, key: K) -> Option<&V> {
        self.items.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn get_mut(&mut self, key: K) -> Option<&mut V> {
        self.items
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The entry for `key`, made with `init()` if absent.
    fn entry(&mut self, key: K, init: impl FnOnce() -> V) -> &mut V {
        let at = match self.items.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.items.push((key, init()));
                self.items.len() - 1
            }
        };
        &mut self.items[at].1
    }

    fn remove(&mut self, key: K) -> Option<V> {
        let i = self.items.iter().position(|(k, _)| *k == key)?;
        Some(self.items.remove(i).1)
    }

    fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.items.iter()
    }

    fn clear(&mut self) {
        self.items.clear();
    }
}

/// A transaction's meter, over the accounts and pairs a run touches.
type Meter = TxMeter<Account, (ProtocolId, PairKey)>;

#[derive(Debug)]
struct OpenTx {
    chain: ChainId,
    block: u64,
    calls: Vec<CallRecord>,
    /// Its gas, by the rules the compiler's static gas uses too.
    meter: Meter,
}

#[derive(Debug)]
enum State {
    /// Calls are made; `failure` says whether one failed.
    Running,
    Finished,
}

#[derive(Clone, Copy)]
struct ParallelFrame {
    start: u64,
    longest_end: u64,
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
    /// The transactions that have ended (handed to the report at finish).
    transactions: Vec<TxRecord>,
    /// Their gas, all chains.
    closed_gas: u64,
    clock: u64,
    parallel: Vec<ParallelFrame>,
    /// `k` of every pair a swap touched, as it was before the first swap.
    k_before: Slots<(ChainId, ProtocolId, PairKey), U256>,
    /// (chain, token) → the wallet's balance before the bundle first
    /// touched it.
    wallets_before: Slots<(ChainId, TokenId), u128>,
    loc: Loc,
    state: State,
    /// The failure that comes first in the source, of every call that
    /// failed so far.
    failure: Option<Revert>,
}

/// What a call may change in the session besides the world (whose changes
/// the journal keeps), saved before the call so that a failing call
/// changes nothing.
struct Checkpoint {
    journal: usize,
    holdings: Slots<(ChainId, TokenId), u128>,
    obligations: Slots<(ChainId, ProtocolId, TokenId), Obligation>,
    approvals: Slots<(ChainId, Sender, TokenId, SpenderKey), u32>,
    /// The open transaction's calls so far and its meter.
    tx: Option<(usize, Meter)>,
    transactions: usize,
    closed_gas: u64,
    clock: u64,
    parallel: Vec<ParallelFrame>,
    k_before: Slots<(ChainId, ProtocolId, PairKey), U256>,
    wallets_before: Slots<(ChainId, TokenId), u128>,
}

/// Whether `a` comes before `b` in the source: a failure with a location
/// comes before one without.
fn earlier(a: Loc, b: Loc) -> bool {
    (a == Loc::UNKNOWN, a) < (b == Loc::UNKNOWN, b)
}

type Outcome<T> = Result<T, Revert>;

impl Session {
    /// A session of bundle `bundle` on `world`, metered with the standard schedule.
    pub fn new(world: World, bundle: &str) -> Session {
        Session::with_schedule(world, bundle, GasSchedule::standard())
    }

    pub fn with_schedule(world: World, bundle: &str, schedule: GasSchedule) -> Session {
        Session {
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
            clock: 0,
            parallel: Vec::new(),
            k_before: Slots::default(),
            wallets_before: Slots::default(),
            loc: Loc::UNKNOWN,
            state: State::Running,
            failure: None,
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

    /// Gas metered so far, all chains (after `finish`: the bundle's total).
    pub fn gas_total(&self) -> u64 {
        // Gas is counted as the meter counts it, saturating (never a balance).
        let open = self.tx.as_ref().map_or(0, |t| t.meter.gas());
        self.closed_gas.saturating_add(open)
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
    pub fn units(&self, token: impl Named<TokenId>, text: &str) -> Outcome<u128> {
        let token = self.token_id(token)?;
        crate::amount::parse_units(text, self.decimals(token))
            .map_err(|e| self.revert_value(format!("amount \"{text}\" {e}")))
    }

    // ----- failure -------------------------------------------------------

    fn revert_value(&self, reason: impl Into<String>) -> Revert {
        Revert {
            reason: reason.into(),
            loc: self.loc,
        }
    }

    /// Fails the current call at the current location.
    fn fail<T>(&mut self, reason: impl Into<String>) -> Outcome<T> {
        self.fail_at(reason, self.loc)
    }

    /// Fails a call: the failure is kept if it comes first in the source of
    /// all so far, and the bundle will revert with it at `finish`.
    fn fail_at<T>(&mut self, reason: impl Into<String>, loc: Loc) -> Outcome<T> {
        let revert = Revert {
            reason: reason.into(),
            loc,
        };
        if self.failure.as_ref().is_none_or(|f| earlier(loc, f.loc)) {
            self.failure = Some(revert.clone());
        }
        Err(revert)
    }

    fn running(&self) -> Outcome<()> {
        match &self.state {
            State::Running => Ok(()),
            State::Finished => Err(self.revert_value("the bundle has already finished")),
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            journal: self.journal.len(),
            holdings: self.holdings.clone(),
            obligations: self.obligations.clone(),
            approvals: self.approvals.clone(),
            tx: self.tx.as_ref().map(|t| (t.calls.len(), t.meter.clone())),
            transactions: self.transactions.len(),
            closed_gas: self.closed_gas,
            clock: self.clock,
            parallel: self.parallel.clone(),
            k_before: self.k_before.clone(),
            wallets_before: self.wallets_before.clone(),
        }
    }

    /// Undoes what a failed call changed. What a call changes in the world
    /// is undone by the journal, which can only fail on a defect: that is
    /// then a failure of its own.
    fn restore(&mut self, saved: Checkpoint) {
        if self
            .journal
            .undo_to(saved.journal, &mut self.world)
            .is_err()
        {
            let _: Outcome<()> = self.fail(
                "internal error: a change could not be undone, so the world in memory is not as it was",
            );
        }
        self.holdings = saved.holdings;
        self.obligations = saved.obligations;
        self.approvals = saved.approvals;
        match (saved.tx, self.tx.as_mut()) {
            (Some((calls, meter)), Some(open)) => {
                open.calls.truncate(calls);
                open.meter = meter;
            }
            (None, _) => self.tx = None,
            (Some(_), None) => {}
        }
        self.transactions.truncate(saved.transactions);
        self.closed_gas = saved.closed_gas;
        self.clock = saved.clock;
        self.parallel = saved.parallel;
        self.k_before = saved.k_before;
        self.wallets_before = saved.wallets_before;
    }

    /// Runs one call, all or nothing: if `f` fails, whatever it changed is
    /// undone, the failure is recorded, and the run goes on.
    fn step<T>(&mut self, f: impl FnOnce(&mut Session) -> Outcome<T>) -> Outcome<T> {
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
    pub fn revert(&mut self, reason: &str) -> Outcome<()> {
        self.running()?;
        self.fail(reason.to_string())
    }

    /// `require`: reverts with "require failed: {what}" unless `ok`.
    pub fn require(&mut self, ok: bool, what: &str) -> Outcome<()> {
        self.running()?;
        if ok {
            Ok(())
        } else if what.is_empty() {
            self.fail("require failed")
        } else {
            self.fail(format!("require failed: {what}"))
        }
    }

    /// A change the journal could not make: ids are resolved against this
    /// world before any change, so this is the runtime's own fault.
    fn not_in_world(&self, _: NotInWorld) -> Revert {
        self.revert_value("internal error: a change names something the world does not have")
    }

    // ----- names ---------------------------------------------------------

    fn chain_id(&self, chain: impl Named<ChainId>) -> Outcome<ChainId> {
        chain
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown chain `{name}`")))
    }

    fn token_id(&self, token: impl Named<TokenId>) -> Outcome<TokenId> {
        token
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown token `{name}`")))
    }

    fn protocol_id(&self, protocol: impl Named<ProtocolId>) -> Outcome<ProtocolId> {
        protocol
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown protocol `{name}`")))
    }

    fn chain_name(&self, id: ChainId) -> &str {
        self.world
            .registry
            .chain_at(id)
            .map_or("?", |c| c.name.as_str())
    }

    fn token_name(&self, id: TokenId) -> &str {
        self.world
            .registry
            .token_at(id)
            .map_or("?", |t| t.symbol.as_str())
    }

    fn protocol_name(&self, id: ProtocolId) -> &str {
        self.world
            .registry
            .protocol_at(id)
            .map_or("?", |p| p.name.as_str())
    }

    fn decimals(&self, token: TokenId) -> u8 {
        self.world
            .registry
            .token_at(token)
            .map_or(0, |t| t.decimals)
    }

    fn fmt(&self, amount: u128, token: TokenId) -> String {
        format!("{} {}", self.amount(amount, token), self.token_name(token))
    }

    /// `amount` base units of `token`, with its decimals.
    fn amount(&self, base: u128, token: TokenId) -> Amount {
        Amount {
            base,
            decimals: self.decimals(token),
        }
    }

    /// `token`, which must exist on `chain`.
    fn token_on(&self, chain: ChainId, token: impl Named<TokenId>) -> Outcome<TokenId> {
        let token = self.token_id(token)?;
        self.check_on(chain, token)?;
        Ok(token)
    }

    /// Whether `chains` (a token's or a protocol's, if it has one) lists `chain`.
    fn lists(&self, chains: Option<&Vec<String>>, chain: ChainId) -> bool {
        let chain_text = self.chain_name(chain);
        chains.is_some_and(|cs| cs.iter().any(|c| c == chain_text))
    }

    fn check_on(&self, chain: ChainId, token: TokenId) -> Outcome<()> {
        let chains = self.world.registry.token_at(token).map(|t| &t.chains);
        if !self.lists(chains, chain) {
            return Err(self.revert_value(format!(
                "token {} does not exist on {}",
                self.token_name(token),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }

    /// `protocol`, which must be of `kind` and deployed on `chain`.
    fn protocol_on(
        &self,
        chain: ChainId,
        protocol: impl Named<ProtocolId>,
        kind: ProtocolKind,
    ) -> Outcome<ProtocolId> {
        let id = self.protocol_id(protocol)?;
        let Some(info) = self.world.registry.protocol_at(id) else {
            return Err(self.revert_value("internal error: a protocol id out of range"));
        };
        if info.kind != kind {
            return Err(self.revert_value(format!(
                "{} is {}, not {}",
                info.name,
                info.kind.with_article(),
                kind.with_article()
            )));
        }
        self.check_deployed(chain, id)?;
        Ok(id)
    }

    fn check_deployed(&self, chain: ChainId, protocol: ProtocolId) -> Outcome<()> {
        let chains = self.world.registry.protocol_at(protocol).map(|p| &p.chains);
        if !self.lists(chains, chain) {
            return Err(self.revert_value(format!(
                "{} is not deployed on {}",
                self.protocol_name(protocol),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }

    /// What a lender action acts on, checked in this order: the open
    /// transaction (its chain and sender), the lender there, the token there.
    fn lender_action(
        &self,
        what: &str,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
    ) -> Outcome<(ChainId, Sender, ProtocolId, TokenId)> {
        let (chain, sender) = self.open_tx(what)?;
        let protocol = self.protocol_on(chain, protocol, ProtocolKind::Lender)?;
        let token = self.token_on(chain, token)?;
        Ok((chain, sender, protocol, token))
    }

    /// The key of the pair of `a` and `b`: `(token0, token1)` by symbol.
    fn pair_key(&self, a: TokenId, b: TokenId) -> PairKey {
        if self.token_name(a) <= self.token_name(b) {
            (a, b)
        } else {
            (b, a)
        }
    }

    // ----- holdings ------------------------------------------------------

    /// The bundle's current holding of `token` on `chain` (what `all T` means).
    pub fn holding(
        &mut self,
        chain: impl Named<ChainId>,
        token: impl Named<TokenId>,
    ) -> Outcome<u128> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            let token = s.token_on(chain, token)?;
            Ok(s.holding_of(chain, token))
        })
    }

    fn holding_of(&self, chain: ChainId, token: TokenId) -> u128 {
        self.holdings.get((chain, token)).copied().unwrap_or(0)
    }

    fn add_holding(&mut self, chain: ChainId, token: TokenId, amount: u128) -> Outcome<()> {
        let loc = self.loc;
        let slot = self.holdings.entry((chain, token), || 0);
        *slot = slot.checked_add(amount).ok_or_else(|| Revert {
            reason: reason::OVERFLOW.into(),
            loc,
        })?;
        Ok(())
    }

    fn take_holding(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: u128,
        why: &str,
    ) -> Outcome<()> {
        let held = self.holding_of(chain, token);
        if held < amount {
            return Err(self.revert_value(format!(
                "insufficient holding: {why} needs {} on {}, the bundle holds {}",
                self.fmt(amount, token),
                self.chain_name(chain),
                self.fmt(held, token)
            )));
        }
        *self.holdings.entry((chain, token), || 0) = held - amount;
        Ok(())
    }

    // ----- transactions and time -----------------------------------------

    /// Opens a chain transaction: one block of that chain, one base cost.
    pub fn begin_transaction(&mut self, chain: impl Named<ChainId>, sender: Sender) -> Outcome<()> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            if let Some(tx) = &s.tx {
                return Err(s.revert_value(format!(
                    "a transaction on {} is already open; end it first",
                    s.chain_name(tx.chain)
                )));
            }
            s.clock = s.tick(1)?;
            s.tx = Some(OpenTx {
                chain,
                block: s.clock,
                calls: Vec::new(),
                meter: TxMeter::new(&s.schedule, sender),
            });
            Ok(())
        })
    }

    /// The obligation first in the order of names (chain, protocol, token)
    /// among those `pick` accepts.
    fn first_obligation(
        &self,
        pick: impl Fn(&Obligation) -> bool,
    ) -> Option<(ChainId, ProtocolId, TokenId, &Obligation)> {
        self.obligations
            .iter()
            .filter(|(_, o)| pick(o))
            .min_by(|((c1, p1, t1), _), ((c2, p2, t2), _)| {
                (
                    self.chain_name(*c1),
                    self.protocol_name(*p1),
                    self.token_name(*t1),
                )
                    .cmp(&(
                        self.chain_name(*c2),
                        self.protocol_name(*p2),
                        self.token_name(*t2),
                    ))
            })
            .map(|((c, p, t), o)| (*c, *p, *t, o))
    }

    /// The clock `blocks` later; past the largest block number it reverts.
    fn tick(&self, blocks: u64) -> Outcome<u64> {
        self.clock
            .checked_add(blocks)
            .ok_or_else(|| self.revert_value("arithmetic overflow"))
    }

    /// Closes the open transaction; a flash loan taken in it must be repaid.
    ///
    /// A flash loan still open then is a failure at the loan — unless a
    /// call failed already: its repayment may be what failed, and that
    /// failure is the one the bundle reverts with.
    pub fn end_transaction(&mut self) -> Outcome<()> {
        self.running()?;
        let Some(tx) = self.tx.take() else {
            return self.fail("no transaction is open");
        };
        let index = self.transactions.len();
        let unpaid = self
            .first_obligation(|o| o.kind == LoanKind::Flash && o.tx_index == index)
            .map(|(chain, protocol, token, o)| {
                let reason = format!(
                    "the flash loan of {} from {} on {} is not repaid within its transaction",
                    self.fmt(o.principal, token),
                    self.protocol_name(protocol),
                    self.chain_name(chain)
                );
                (reason, o.loc)
            });
        self.close(tx);
        match unpaid {
            Some((reason, loc)) if self.failure.is_none() => self.fail_at(reason, loc),
            _ => Ok(()),
        }
    }

    /// Records a transaction that has ended (or was left open by a failure).
    fn close(&mut self, tx: OpenTx) {
        let gas = tx.meter.gas();
        self.closed_gas = self.closed_gas.saturating_add(gas);
        let chain = self.chain_name(tx.chain).to_string();
        self.transactions.push(TxRecord::from_open(
            chain,
            tx.meter.sender(),
            tx.block,
            gas,
            tx.calls,
        ));
    }

    fn no_open_tx(&self, what: &str) -> Outcome<()> {
        if self.tx.is_some() {
            return Err(self.revert_value(format!("{what} inside an open transaction")));
        }
        Ok(())
    }

    /// Starts a group of parallel branches; the first branch starts now.
    pub fn begin_parallel(&mut self) -> Outcome<()> {
        self.step(|s| {
            s.no_open_tx("a parallel group begins")?;
            s.parallel.push(ParallelFrame {
                start: s.clock,
                longest_end: s.clock,
            });
            Ok(())
        })
    }

    /// Ends one branch and starts the next one from the group's start time.
    pub fn next_branch(&mut self) -> Outcome<()> {
        self.step(|s| {
            s.no_open_tx("a parallel branch ends")?;
            let clock = s.clock;
            let Some(frame) = s.parallel.last_mut() else {
                return Err(s.revert_value("no parallel group is open"));
            };
            frame.longest_end = frame.longest_end.max(clock);
            s.clock = frame.start;
            Ok(())
        })
    }

    /// Ends the group: it took as long as its longest branch.
    pub fn end_parallel(&mut self) -> Outcome<()> {
        self.step(|s| {
            s.no_open_tx("a parallel group ends")?;
            let Some(frame) = s.parallel.pop() else {
                return Err(s.revert_value("no parallel group is open"));
            };
            s.clock = frame.longest_end.max(s.clock);
            Ok(())
        })
    }

    fn open_tx(&self, what: &str) -> Outcome<(ChainId, Sender)> {
        match &self.tx {
            Some(tx) => Ok((tx.chain, tx.meter.sender())),
            None => Err(self.revert_value(format!("{what} needs an open transaction"))),
        }
    }

    /// Meters one call to `account` (`TxMeter::call`).
    /// Gas a call charges beyond its inner call, with no access of its
    /// own (each further asset of a multi-asset flash loan).
    fn meter_extra(&mut self, gas: u64) -> u64 {
        self.tx.as_mut().map_or(0, |tx| tx.meter.charge(gas))
    }

    fn meter_call(&mut self, account: Account, op_gas: u64) -> Outcome<u64> {
        let loc = self.loc;
        let Some(tx) = self.tx.as_mut() else {
            return Err(Revert {
                reason: "internal error: a call metered outside a transaction".into(),
                loc,
            });
        };
        tx.meter
            .call(&self.schedule, account, op_gas)
            .map_err(|SecondWalletCall| Revert {
                reason: "a wallet transaction makes one call; open another transaction, or use the executor".into(),
                loc,
            })
    }

    fn record(&mut self, what: Call, gas: u64) {
        let loc = self.loc;
        if let Some(tx) = self.tx.as_mut() {
            tx.calls.push(CallRecord { what, gas, loc });
        }
    }

    // ----- approvals -----------------------------------------------------

    fn spender_key<P: Named<ProtocolId>>(
        &self,
        chain: ChainId,
        spender: Spender<P>,
    ) -> Outcome<SpenderKey> {
        match spender {
            Spender::Protocol(p) => {
                let p = self.protocol_id(p)?;
                self.check_deployed(chain, p)?;
                Ok(SpenderKey::Protocol(p))
            }
            Spender::Bridge(kind) => {
                let chain_text = self.chain_name(chain);
                if !self
                    .world
                    .registry
                    .routes
                    .iter()
                    .any(|r| r.from == chain_text && r.kind == kind)
                {
                    return Err(self.revert_value(format!("no {kind} bridge leaves {chain_text}")));
                }
                Ok(SpenderKey::Bridge(kind))
            }
        }
    }

    fn spender_name(&self, key: SpenderKey) -> SpenderName {
        match key {
            SpenderKey::Protocol(p) => SpenderName::Protocol(self.protocol_name(p).to_string()),
            SpenderKey::Bridge(kind) => SpenderName::Bridge(kind),
        }
    }

    /// Approves `spender` to take `token` from the sender of the open
    /// transaction. An approval, the wallet's or the executor's, grants the
    /// maximum allowance: it stands for the rest of the bundle. The native
    /// coin has no `approve` (a revert): it is sent with the call and needs
    /// no approval.
    pub fn approve(&mut self, token: impl Named<TokenId>, spender: Spender<&str>) -> Outcome<()> {
        self.approve_named(token, spender)
    }

    /// [`Session::approve`] with the spending protocol named as [`Named`]
    /// allows (text, or an id resolved before).
    pub fn approve_named<P: Named<ProtocolId>>(
        &mut self,
        token: impl Named<TokenId>,
        spender: Spender<P>,
    ) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("an approval")?;
            let token = s.token_on(chain, token)?;
            if mesh_core::registry::is_native_coin(s.token_name(token)) {
                return Err(s.revert_value(format!(
                    "{} is the native coin: it has no approve, and a call takes it without one",
                    s.token_name(token)
                )));
            }
            let key = s.spender_key(chain, spender)?;
            let op = s.schedule.operation(sender, &Operation::Approve);
            let gas = s.meter_call(Account::Token(token), op)?;
            *s.approvals.entry((chain, sender, token, key), || 0) = 1;
            let spender = s.spender_name(key);
            s.record(
                Call::Approve {
                    token: s.token_name(token).to_string(),
                    spender,
                },
                gas,
            );
            Ok(())
        })
    }

    fn use_approval(
        &mut self,
        chain: ChainId,
        sender: Sender,
        token: TokenId,
        key: SpenderKey,
    ) -> Outcome<()> {
        let native = mesh_core::registry::is_native_coin(self.token_name(token));
        if !native && self.approvals.get((chain, sender, token, key)).is_none() {
            return Err(self.revert_value(format!(
                "no approval: the {} has not approved {} to spend {} on {}",
                sender.as_str(),
                self.spender_name(key),
                self.token_name(token),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }

    // ----- actions -------------------------------------------------------

    /// `input A`: moves `amount` of `token` from the user's wallet on `chain`
    /// into the bundle's holdings. Bookkeeping only: in both executor models
    /// the funds stay in the user's own account, so it costs no gas and
    /// needs no transaction.
    pub fn input(
        &mut self,
        chain: impl Named<ChainId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> Outcome<()> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            let token = s.token_on(chain, token)?;
            let balance = s
                .world
                .wallet_balance(s.chain_name(chain), s.token_name(token));
            if balance < amount {
                return Err(s.revert_value(format!(
                    "the wallet holds {} on {}; input needs {}",
                    s.fmt(balance, token),
                    s.chain_name(chain),
                    s.fmt(amount, token)
                )));
            }
            s.wallets_before.entry((chain, token), || balance);
            s.journal
                .set_wallet(&mut s.world, chain, token, balance - amount)
                .map_err(|e| s.not_in_world(e))?;
            s.add_holding(chain, token, amount)?;
            s.record(
                Call::Input {
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                0,
            );
            Ok(())
        })
    }

    fn lender_balance(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        balance: LenderBalance,
        token: TokenId,
    ) -> u128 {
        self.world
            .lender(self.chain_name(chain), self.protocol_name(protocol))
            .and_then(|l| match balance {
                LenderBalance::Liquidity => l.liquidity.get(self.token_name(token)),
                LenderBalance::Deposit => l.deposits.get(self.token_name(token)),
            })
            .copied()
            .unwrap_or(0)
    }

    /// Sets the lender's liquidity of a token, journaled.
    fn set_liquidity(&mut self, at: (ChainId, ProtocolId, TokenId), value: u128) -> Outcome<()> {
        self.set_lender_balance(at, LenderBalance::Liquidity, value)
    }

    /// Sets the user's deposit of a token at the lender, journaled.
    fn set_deposit(&mut self, at: (ChainId, ProtocolId, TokenId), value: u128) -> Outcome<()> {
        self.set_lender_balance(at, LenderBalance::Deposit, value)
    }

    fn set_lender_balance(
        &mut self,
        (chain, protocol, token): (ChainId, ProtocolId, TokenId),
        balance: LenderBalance,
        value: u128,
    ) -> Outcome<()> {
        self.journal
            .set_lender(&mut self.world, chain, protocol, balance, token, value)
            .map_err(|e| self.not_in_world(e))
    }

    /// `borrow A from P`: opens an obligation of `amount` plus the
    /// protocol's premium, `bps_ceil(amount, premium_bps)`, charged on every
    /// loan, flash or ordinary. Returns `amount`.
    pub fn borrow(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
        kind: LoanKind,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a borrow", protocol, token)?;
            if kind == LoanKind::Flash {
                s.check_flash_loans(sender, protocol)?;
            }
            let op = match kind {
                LoanKind::Flash => Operation::FlashLoan { assets: 1 },
                LoanKind::Ordinary => Operation::Borrow,
            };
            let op_gas = s.schedule.operation(sender, &op);
            s.open_loan(chain, protocol, token, amount, kind, |s| {
                s.meter_call(Account::Pool(protocol), op_gas)
            })
        })
    }

    /// Flash loans of several different tokens from one lender in one call
    /// (Aave V3's multi-asset `flashLoan`): executor only, each loan exactly
    /// the one `borrow` would take as a flash loan, and all or nothing on
    /// its own — a loan that fails is reported at its own location (the
    /// statement it came from), lends nothing, and the others are still
    /// taken. Only gas differs: the first loan taken pays the call,
    /// `flash_loan` and `flash_loan_multi_asset`, each further one
    /// `flash_loan_extra_asset`. Returns what each loan lends (`None` for
    /// one that failed); an error only when the call itself cannot be made.
    pub fn flash_loan<T: Named<TokenId>>(
        &mut self,
        protocol: impl Named<ProtocolId>,
        loans: &[(T, u128, Loc)],
    ) -> Outcome<Vec<Option<u128>>> {
        if let Some(&(_, _, first)) = loans.first() {
            self.at(first);
        }
        let (chain, protocol) = self.step(|s| {
            let (chain, sender) = s.open_tx("a flash loan")?;
            let protocol = s.protocol_on(chain, protocol, ProtocolKind::Lender)?;
            s.check_flash_loans(sender, protocol)?;
            if loans.len() < 2 {
                return Err(s.revert_value("a multi-asset flash loan takes two or more tokens"));
            }
            let mut tokens = Vec::with_capacity(loans.len());
            for &(token, _, _) in loans {
                let token = s.token_on(chain, token)?;
                if tokens.contains(&token) {
                    return Err(s.revert_value(format!(
                        "a multi-asset flash loan names {} twice",
                        s.token_name(token)
                    )));
                }
                tokens.push(token);
            }
            Ok((chain, protocol))
        })?;
        let mut lent = vec![None; loans.len()];
        let mut taken = 0usize;
        for (slot, &(token, amount, loc)) in lent.iter_mut().zip(loans) {
            self.at(loc);
            let first = taken == 0;
            let part = self.step(|s| {
                let sender = s.open_tx("a flash loan")?.1;
                let token = s.token_on(chain, token)?;
                let first_gas = s
                    .schedule
                    .operation(sender, &Operation::FlashLoan { assets: 2 })
                    .saturating_sub(s.schedule.flash_loan_extra_asset);
                let further_gas = s.schedule.flash_loan_extra_asset;
                s.open_loan(chain, protocol, token, amount, LoanKind::Flash, |s| {
                    if first {
                        s.meter_call(Account::Pool(protocol), first_gas)
                    } else {
                        Ok(s.meter_extra(further_gas))
                    }
                })
            });
            if let Ok(amount) = part {
                *slot = Some(amount);
                taken += 1;
            }
        }
        Ok(lent)
    }

    /// Refuses a flash loan from `protocol` where it offers none, or sent
    /// from the wallet.
    fn check_flash_loans(&self, sender: Sender, protocol: ProtocolId) -> Outcome<()> {
        let flash_loans = self
            .world
            .registry
            .protocol_at(protocol)
            .is_some_and(|p| p.flash_loans);
        if !flash_loans {
            return Err(self.revert_value(format!(
                "{} offers no flash loans",
                self.protocol_name(protocol)
            )));
        }
        if sender != Sender::Executor {
            return Err(
                self.revert_value("a flash loan needs the executor (it calls back a contract)")
            );
        }
        Ok(())
    }

    /// Takes one loan of `amount` of `token` from `protocol` on `chain`:
    /// checks the lender's liquidity and that no loan of another kind is
    /// open, meters the call with `meter`, opens or extends the
    /// obligation (principal and premium) and hands the amount to the
    /// bundle.
    fn open_loan(
        &mut self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        amount: u128,
        kind: LoanKind,
        meter: impl FnOnce(&mut Session) -> Outcome<u64>,
    ) -> Outcome<u128> {
        let premium_bps = self
            .world
            .registry
            .protocol_at(protocol)
            .map_or(0, |p| p.premium_bps);
        let liquidity = self.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
        if liquidity < amount {
            return Err(self.revert_value(format!(
                "insufficient liquidity: {} on {} can lend {}, the borrow needs {}",
                self.protocol_name(protocol),
                self.chain_name(chain),
                self.fmt(liquidity, token),
                self.fmt(amount, token)
            )));
        }
        let premium =
            maths::premium(amount, premium_bps).map_err(|e| self.revert_value(e.to_string()))?;
        let key = (chain, protocol, token);
        let tx_index = self.transactions.len();
        let loc = self.loc;
        if let Some(existing) = self.obligations.get(key) {
            if existing.kind != kind || (kind == LoanKind::Flash && existing.tx_index != tx_index) {
                return Err(self.revert_value(format!(
                    "a loan of {} from {} on {} of another kind is already open",
                    self.token_name(token),
                    self.protocol_name(protocol),
                    self.chain_name(chain)
                )));
            }
        }
        let gas = meter(self)?;
        let overflow = || Revert {
            reason: reason::OVERFLOW.into(),
            loc,
        };
        let o = self.obligations.entry(key, || Obligation {
            kind,
            principal: 0,
            premium: 0,
            loc,
            tx_index,
        });
        o.principal = o.principal.checked_add(amount).ok_or_else(overflow)?;
        o.premium = o.premium.checked_add(premium).ok_or_else(overflow)?;
        self.set_liquidity((chain, protocol, token), liquidity - amount)?;
        self.add_holding(chain, token, amount)?;
        self.record(
            Call::Borrow {
                flash: kind == LoanKind::Flash,
                protocol: self.protocol_name(protocol).to_string(),
                token: self.token_name(token).to_string(),
                amount: self.amount(amount, token),
            },
            gas,
        );
        Ok(amount)
    }

    /// `repay A to P`: pays principal `amount` and its premium,
    /// `bps_ceil(amount, premium_bps)` (so repaying in parts may round up
    /// more than once). Repaying more principal than is owed reverts.
    pub fn repay(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a repay", protocol, token)?;
            let key = (chain, protocol, token);
            let Some(owed) = s.obligations.get(key).cloned() else {
                return Err(s.revert_value(format!(
                    "nothing is owed to {} in {} on {}",
                    s.protocol_name(protocol),
                    s.token_name(token),
                    s.chain_name(chain)
                )));
            };
            if amount > owed.principal {
                return Err(s.revert_value(format!(
                    "repays {} to {} but only {} is owed",
                    s.fmt(amount, token),
                    s.protocol_name(protocol),
                    s.fmt(owed.principal, token)
                )));
            }
            if owed.kind == LoanKind::Flash && owed.tx_index != s.transactions.len() {
                return Err(
                    s.revert_value("a flash loan is repaid in the transaction that took it")
                );
            }
            let premium_bps = s
                .world
                .registry
                .protocol_at(protocol)
                .map_or(0, |p| p.premium_bps);
            let premium =
                maths::premium(amount, premium_bps).map_err(|e| s.revert_value(e.to_string()))?;
            let total = amount
                .checked_add(premium)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            s.take_holding(chain, token, total, "repay")?;
            s.use_approval(chain, sender, token, SpenderKey::Protocol(protocol))?;
            let gas = match owed.kind {
                // The pool pulls a flash loan's repayment inside flashLoanSimple.
                LoanKind::Flash => 0,
                LoanKind::Ordinary => {
                    let op = s.schedule.operation(sender, &Operation::Repay);
                    s.meter_call(Account::Pool(protocol), op)?
                }
            };
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            let new_liquidity = liquidity
                .checked_add(total)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            s.set_liquidity((chain, protocol, token), new_liquidity)?;
            let mut repaid = false;
            if let Some(o) = s.obligations.get_mut(key) {
                o.principal -= amount;
                // Paying in parts may round the premium up more than once:
                // what is still owed of it never goes below zero.
                o.premium -= premium.min(o.premium);
                repaid = o.principal == 0;
            }
            if repaid {
                s.obligations.remove(key);
            }
            s.record(
                Call::Repay {
                    flash: owed.kind == LoanKind::Flash,
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                    premium: s.amount(premium, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// `swap A of T1 for at least M of T2 on X`. Returns what came out.
    pub fn swap<T: Named<TokenId>>(
        &mut self,
        exchange: impl Named<ProtocolId>,
        token_in: T,
        amount: u128,
        token_out: T,
        min_out: u128,
    ) -> Outcome<u128> {
        self.swap_path(exchange, &[token_in, token_out], amount, min_out)
    }

    /// A multi-hop swap along `path` (at least two tokens) on one exchange:
    /// exactly the single hops in sequence, reserves moved the same way.
    pub fn swap_path<T: Named<TokenId>, E: Named<ProtocolId>>(
        &mut self,
        exchange: E,
        path: &[T],
        amount: u128,
        min_out: u128,
    ) -> Outcome<u128> {
        let Some((&token_in, rest)) = path.split_first() else {
            return self.step(|s| Err(s.revert_value("a swap path has at least two tokens")));
        };
        let loc = self.loc;
        let hops: SmallVec<[SwapHop<E, T>; 3]> = rest
            .iter()
            .map(|&token_out| SwapHop {
                exchange,
                token_out,
                loc,
            })
            .collect();
        self.swap_route(token_in, &hops, amount, min_out)
    }

    /// A swap along `hops`: each hop on its exchange's pair, the output of
    /// one pair sent straight to the next (pairs of different exchanges
    /// chain when the executor swaps directly; a wallet's router swap is on
    /// one exchange). Exactly the single swaps in sequence, reserves moved
    /// the same way. A hop that fails is reported at its own location (the
    /// statement it came from), the slippage bound at the last hop's, and a
    /// holding too small at the first's. Returns what came out.
    pub fn swap_route<T: Named<TokenId>, E: Named<ProtocolId>>(
        &mut self,
        token_in: T,
        hops: &[SwapHop<E, T>],
        amount: u128,
        min_out: u128,
    ) -> Outcome<u128> {
        let first_loc = hops.first().map_or(self.loc, |h| h.loc);
        let last_loc = hops.last().map_or(self.loc, |h| h.loc);
        self.at(first_loc);
        self.step(|s| {
            let (chain, sender) = s.open_tx("a swap")?;
            if hops.is_empty() {
                return Err(s.revert_value("a swap path has at least two tokens"));
            }
            let token_in = s.token_on(chain, token_in)?;
            let mut tokens: SmallVec<[TokenId; 4]> = SmallVec::with_capacity(hops.len() + 1);
            let mut exchanges: SmallVec<[ProtocolId; 3]> = SmallVec::with_capacity(hops.len());
            tokens.push(token_in);
            // Compute every hop first; nothing changes if one fails.
            let mut current = amount;
            let mut moved: SmallVec<[Hop; 3]> = SmallVec::with_capacity(hops.len());
            for hop in hops {
                s.loc = hop.loc;
                let exchange = s.protocol_on(chain, hop.exchange, ProtocolKind::Exchange)?;
                let token_out = s.token_on(chain, hop.token_out)?;
                let from = tokens[tokens.len() - 1];
                if from == token_out {
                    return Err(
                        s.revert_value(format!("a swap of {} for itself", s.token_name(from)))
                    );
                }
                if sender == Sender::Wallet && exchanges.first().is_some_and(|&x| x != exchange) {
                    return Err(s.revert_value(
                        "a wallet's router swap is on one exchange; pairs of several chain only through the executor",
                    ));
                }
                let fee_bps = s
                    .world
                    .registry
                    .protocol_at(exchange)
                    .map_or(0, |p| p.fee_bps);
                let (chain_text, exchange_text) = (s.chain_name(chain), s.protocol_name(exchange));
                let key = s.pair_key(from, token_out);
                let reserves = s
                    .world
                    .exchange(chain_text, exchange_text)
                    .and_then(|e| e.reserves(s.token_name(from), s.token_name(token_out)));
                let Some((r_in, r_out)) = reserves else {
                    return Err(s.revert_value(format!(
                        "{exchange_text} on {chain_text} has no {}/{} pair",
                        s.token_name(key.0),
                        s.token_name(key.1)
                    )));
                };
                let out = maths::get_amount_out(current, r_in, r_out, fee_bps).map_err(|e| {
                    s.revert_value(match e {
                        MathError::InsufficientInput => {
                            format!("swap of zero {}", s.token_name(from))
                        }
                        other => format!("swap on {exchange_text}: {other}"),
                    })
                })?;
                if out == 0 {
                    return Err(s.revert_value(format!(
                        "swap on {exchange_text}: {} buys zero {} (insufficient output amount)",
                        s.fmt(current, from),
                        s.token_name(token_out)
                    )));
                }
                let new_in = r_in
                    .checked_add(current)
                    .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
                let new_out = r_out - out;
                let pair = if key.0 == from {
                    Pair {
                        reserve0: new_in,
                        reserve1: new_out,
                    }
                } else {
                    Pair {
                        reserve0: new_out,
                        reserve1: new_in,
                    }
                };
                // A path that visits one pair twice would see moved reserves.
                if moved
                    .iter()
                    .zip(&exchanges)
                    .any(|(h, &x)| h.0 == key && x == exchange)
                {
                    return Err(s.revert_value("a swap path uses one pair twice"));
                }
                moved.push((key, pair, (r_in, r_out)));
                exchanges.push(exchange);
                tokens.push(token_out);
                current = out;
            }
            let token_out = tokens[tokens.len() - 1];
            s.loc = last_loc;
            if current < min_out {
                return Err(s.revert_value(format!(
                    "slippage: the swap gives {}, below the bound {}",
                    s.fmt(current, token_out),
                    s.fmt(min_out, token_out)
                )));
            }
            s.loc = first_loc;
            s.take_holding(chain, token_in, amount, "swap")?;
            // The router pulls the wallet's tokens with `transferFrom`, which
            // needs an allowance; the executor's direct swap moves its own
            // tokens into the pair with `transfer`, which does not.
            if sender == Sender::Wallet {
                s.use_approval(chain, sender, token_in, SpenderKey::Protocol(exchanges[0]))?;
            }
            let gas = match sender {
                Sender::Wallet => {
                    let op = s
                        .schedule
                        .operation(sender, &Operation::Swap { hops: moved.len() });
                    s.meter_call(Account::Router(exchanges[0]), op)?
                }
                Sender::Executor => {
                    let mut gas =
                        s.meter_call(Account::Token(token_in), s.schedule.token_transfer)?;
                    for ((key, _, _), &exchange) in moved.iter().zip(&exchanges) {
                        let schedule = &s.schedule;
                        let op =
                            s.tx.as_mut()
                                .map_or(0, |tx| tx.meter.pair_swap(schedule, (exchange, *key)));
                        gas += s.meter_call(Account::Pair(exchange, *key), op)?;
                    }
                    gas
                }
            };
            for ((key, pair, (r_in, r_out)), &exchange) in moved.iter().zip(&exchanges) {
                s.k_before
                    .entry((chain, exchange, *key), || constant_product(*r_in, *r_out));
                s.journal
                    .set_reserves(&mut s.world, chain, exchange, *key, *pair)
                    .map_err(|e| s.not_in_world(e))?;
            }
            s.add_holding(chain, token_out, current)?;
            let names: Vec<String> = exchanges
                .iter()
                .map(|x| s.protocol_name(*x).to_string())
                .collect();
            s.record(
                Call::Swap {
                    exchanges: names,
                    path: tokens
                        .iter()
                        .map(|t| s.token_name(*t).to_string())
                        .collect(),
                    amount_in: s.amount(amount, token_in),
                    amount_out: s.amount(current, token_out),
                },
                gas,
            );
            Ok(current)
        })
    }

    /// `deposit A into P`: the user's deposit and the lender's liquidity grow.
    pub fn deposit(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a deposit", protocol, token)?;
            let deposit = s.lender_balance(chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            let (Some(new_deposit), Some(new_liquidity)) =
                (deposit.checked_add(amount), liquidity.checked_add(amount))
            else {
                return Err(s.revert_value(reason::OVERFLOW));
            };
            s.take_holding(chain, token, amount, "deposit")?;
            s.use_approval(chain, sender, token, SpenderKey::Protocol(protocol))?;
            let op = s.schedule.operation(sender, &Operation::Deposit);
            let gas = s.meter_call(Account::Pool(protocol), op)?;
            s.set_deposit((chain, protocol, token), new_deposit)?;
            s.set_liquidity((chain, protocol, token), new_liquidity)?;
            s.record(
                Call::Deposit {
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// `withdraw A from P`: needs the user's deposit and the lender's
    /// liquidity to cover `amount`. Returns `amount`.
    pub fn withdraw(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a withdraw", protocol, token)?;
            let deposit = s.lender_balance(chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            if deposit < amount {
                return Err(s.revert_value(format!(
                    "insufficient deposit: the user has {} deposited at {} on {}; the withdraw needs {}",
                    s.fmt(deposit, token),
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(amount, token)
                )));
            }
            if liquidity < amount {
                return Err(s.revert_value(format!(
                    "insufficient liquidity: {} on {} has {} available; the withdraw needs {}",
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(liquidity, token),
                    s.fmt(amount, token)
                )));
            }
            let op = s.schedule.operation(sender, &Operation::Withdraw);
            let gas = s.meter_call(Account::Pool(protocol), op)?;
            s.set_deposit((chain, protocol, token), deposit - amount)?;
            s.set_liquidity((chain, protocol, token), liquidity - amount)?;
            s.add_holding(chain, token, amount)?;
            s.record(
                Call::Withdraw {
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(amount)
        })
    }

    /// `bridge A to C via K`: takes `amount` from this chain's holding and
    /// adds `amount - fee` to `to`'s; the route's delay is added to the
    /// clock. Without a kind, the most trusted route (as -O0 lowers an
    /// unpinned bridge). Returns what arrives.
    pub fn bridge(
        &mut self,
        token: impl Named<TokenId>,
        amount: u128,
        to: impl Named<ChainId>,
        kind: Option<BridgeKind>,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a bridge")?;
            let token = s.token_on(chain, token)?;
            let to = s.chain_id(to)?;
            s.check_on(to, token)?;
            let (chain_text, to_text) = (s.chain_name(chain), s.chain_name(to));
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain_text} to itself")));
            }
            let route = match kind {
                Some(k) => s.world.registry.route(chain_text, to_text, k),
                None => s.world.registry.most_trusted_route(chain_text, to_text),
            };
            let Some(route) = route else {
                let via = kind.map(|k| format!(" via {k}")).unwrap_or_default();
                return Err(s.revert_value(format!(
                    "no bridge route from {chain_text} to {to_text}{via}"
                )));
            };
            let (route_kind, delay_blocks) = (route.kind, route.delay_blocks);
            let fee = route
                .fee_on(amount)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            let op = s.schedule.operation(sender, &Operation::Bridge { route });
            let delivered = amount - fee;
            s.take_holding(chain, token, amount, "bridge")?;
            s.use_approval(chain, sender, token, SpenderKey::Bridge(route_kind))?;
            let gas = s.meter_call(Account::Bridge(route_kind), op)?;
            s.add_holding(to, token, delivered)?;
            s.clock = s.tick(delay_blocks)?;
            s.record(
                Call::Bridge {
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                    to: s.chain_name(to).to_string(),
                    kind: route_kind,
                    fee: s.amount(fee, token),
                    delay_blocks,
                    message: BridgeMessage::Own,
                },
                gas,
            );
            Ok(delivered)
        })
    }

    /// Bridges several transfers on one route in one message (one proof for
    /// `zk`, one signature set for `threshold`): executor only. Each transfer
    /// is exactly the one `bridge` would make (its fee, its route's delay on
    /// the clock, its arrival), and all or nothing on its own: a transfer
    /// that fails is reported at its own location (the statement it came
    /// from), delivers nothing, and the others are still made. Only gas
    /// differs: the first transfer made pays the route's call as `bridge`
    /// does, each further one `GasSchedule::bridge_batch_extra` and an
    /// access to its token. An `htlb` route cannot carry a batch: each hash
    /// time-lock is its own contract. Returns what arrives, transfer by
    /// transfer (`None` for one that failed); an error only when the
    /// message itself cannot be sent.
    pub fn bridge_batch<T: Named<TokenId>>(
        &mut self,
        kind: BridgeKind,
        to: impl Named<ChainId>,
        transfers: &[(T, u128, Loc)],
    ) -> Outcome<Vec<Option<u128>>> {
        if let Some(&(_, _, first)) = transfers.first() {
            self.at(first);
        }
        let (chain, to, route_op, delay_blocks, fee_bps) = self.step(|s| {
            let (chain, sender) = s.open_tx("a bridge")?;
            if sender != Sender::Executor {
                return Err(s.revert_value("a shared bridge message needs the executor"));
            }
            if kind == BridgeKind::Htlb {
                return Err(s.revert_value(
                    "an htlb bridge cannot carry a shared message: each hash time-lock is its own contract",
                ));
            }
            if transfers.is_empty() {
                return Err(s.revert_value("a shared bridge message carries no transfer"));
            }
            let chain_text = s.chain_name(chain);
            // A destination the world does not know has no route.
            let to = match to.resolve(&s.world.registry) {
                Ok(to) => to,
                Err(name) => {
                    return Err(s.revert_value(format!(
                        "no bridge route from {chain_text} to {name} via {kind}"
                    )))
                }
            };
            let to_text = s.chain_name(to);
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain_text} to itself")));
            }
            let Some(route) = s.world.registry.route(chain_text, to_text, kind) else {
                return Err(s.revert_value(format!(
                    "no bridge route from {chain_text} to {to_text} via {kind}"
                )));
            };
            let route_op = s.schedule.operation(sender, &Operation::Bridge { route });
            Ok((chain, to, route_op, route.delay_blocks, route.fee_bps))
        })?;
        let mut arrived = vec![None; transfers.len()];
        let mut made = 0usize;
        for (slot, &(token, amount, loc)) in arrived.iter_mut().zip(transfers) {
            self.at(loc);
            let first = made == 0;
            let part = self.step(|s| {
                let sender = s.open_tx("a bridge")?.1;
                let token = s.token_on(chain, token)?;
                s.check_on(to, token)?;
                let fee = crate::maths::bps_ceil(amount, fee_bps)
                    .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
                let delivered = amount - fee;
                s.take_holding(chain, token, amount, "bridge")?;
                s.use_approval(chain, sender, token, SpenderKey::Bridge(kind))?;
                let gas = if first {
                    s.meter_call(Account::Bridge(kind), route_op)?
                } else {
                    s.meter_batch_entry(Account::Token(token))
                };
                s.add_holding(to, token, delivered)?;
                s.clock = s.tick(delay_blocks)?;
                s.record(
                    Call::Bridge {
                        token: s.token_name(token).to_string(),
                        amount: s.amount(amount, token),
                        to: s.chain_name(to).to_string(),
                        kind,
                        fee: s.amount(fee, token),
                        delay_blocks,
                        message: if first {
                            BridgeMessage::SharedFirst
                        } else {
                            BridgeMessage::SharedFurther
                        },
                    },
                    gas,
                );
                Ok(delivered)
            });
            if let Ok(delivered) = part {
                *slot = Some(delivered);
                made += 1;
            }
        }
        Ok(arrived)
    }

    /// Meters a further transfer of a shared bridge message
    /// (`TxMeter::batch_entry`).
    fn meter_batch_entry(&mut self, account: Account) -> u64 {
        let schedule = &self.schedule;
        self.tx
            .as_mut()
            .map_or(0, |tx| tx.meter.batch_entry(schedule, account))
    }

    // ----- finish --------------------------------------------------------

    /// The keys of `slots` in the order of their (chain, token) names.
    fn by_names<V>(&self, slots: &Slots<(ChainId, TokenId), V>) -> Vec<(ChainId, TokenId)> {
        let mut keys: Vec<(ChainId, TokenId)> = slots.iter().map(|(k, _)| *k).collect();
        keys.sort_by(|a, b| {
            (self.chain_name(a.0), self.token_name(a.1))
                .cmp(&(self.chain_name(b.0), self.token_name(b.1)))
        });
        keys
    }

    /// Ends the bundle: checks that no obligation is open and every
    /// constraint holds, then commits (holdings go back to the wallet) or
    /// reverts everything. Returns the report; `world()` is then the world
    /// as committed, or as it was before.
    pub fn finish(&mut self, constraints: &Constraints) -> Report {
        let running = matches!(self.state, State::Running);
        if running && self.failure.is_none() {
            if let Err(r) = self.check_end(constraints) {
                let _: Outcome<()> = self.fail_at(r.reason, r.loc);
            }
        }
        if running && self.failure.is_none() {
            if let Err(r) = self.commit_holdings() {
                let _: Outcome<()> = self.fail_at(r.reason, r.loc);
            }
        }
        self.state = State::Finished;
        let mut revert = self.failure.clone();
        // A transaction left open by a failure still counts what it metered.
        if let Some(tx) = self.tx.take() {
            self.close(tx);
        }
        let mut result = BTreeMap::new();
        if let Some(r) = &mut revert {
            if self.journal.undo(&mut self.world).is_err() {
                r.reason.push_str(
                    "; internal error: a change could not be undone, so the world in memory is not as it was",
                );
            }
        } else {
            for (chain, token) in self.by_names(&self.holdings) {
                let amount = self.holding_of(chain, token);
                if amount == 0 {
                    continue;
                }
                result
                    .entry(self.chain_name(chain).to_string())
                    .or_insert_with(BTreeMap::new)
                    .insert(
                        self.token_name(token).to_string(),
                        self.amount(amount, token),
                    );
            }
        }
        self.holdings.clear();
        let mut wallet = Vec::new();
        for (chain, token) in self.by_names(&self.wallets_before) {
            let before = self
                .wallets_before
                .get((chain, token))
                .copied()
                .unwrap_or(0);
            let after = self
                .world
                .wallet_balance(self.chain_name(chain), self.token_name(token));
            wallet.push((
                self.chain_name(chain).to_string(),
                self.token_name(token).to_string(),
                self.amount(before, token),
                self.amount(after, token),
            ));
        }
        // A bundle is all or nothing: a reverted one sends no transaction
        // and changes no balance.
        let reverted = revert.is_some();
        if reverted {
            self.transactions.clear();
            self.clock = 0;
            self.closed_gas = 0;
            wallet.clear();
        }
        Report {
            bundle: self.bundle.clone(),
            status: if reverted {
                Status::Reverted
            } else {
                Status::Committed
            },
            revert,
            transactions: std::mem::take(&mut self.transactions),
            blocks: self.clock,
            result,
            wallet,
            world_write: WorldWrite::InMemory,
        }
    }

    /// Returns every holding to the wallet, keeping the changes in the
    /// journal so that `rewind` can undo a commit too.
    fn commit_holdings(&mut self) -> Outcome<()> {
        for i in 0..self.holdings.items.len() {
            let ((chain, token), amount) = self.holdings.items[i];
            if amount == 0 {
                continue;
            }
            let balance = self
                .world
                .wallet_balance(self.chain_name(chain), self.token_name(token));
            let Some(new_balance) = balance.checked_add(amount) else {
                return Err(self.revert_value("arithmetic overflow"));
            };
            self.wallets_before.entry((chain, token), || balance);
            self.journal
                .set_wallet(&mut self.world, chain, token, new_balance)
                .map_err(|e| self.not_in_world(e))?;
        }
        Ok(())
    }

    fn check_end(&mut self, constraints: &Constraints) -> Outcome<()> {
        if let Some(tx) = &self.tx {
            return Err(self.revert_value(format!(
                "the transaction on {} was never ended",
                self.chain_name(tx.chain)
            )));
        }
        if !self.parallel.is_empty() {
            return Err(self.revert_value("a parallel group was never ended"));
        }
        if let Some((chain, protocol, token, o)) = self.first_obligation(|_| true) {
            return Err(Revert {
                reason: format!(
                    "the loan of {} from {} on {} is not repaid (owes {} + premium {})",
                    self.fmt(o.principal, token),
                    self.protocol_name(protocol),
                    self.chain_name(chain),
                    self.fmt(o.principal, token),
                    self.fmt(o.premium, token)
                ),
                loc: o.loc,
            });
        }
        for (constraint, loc) in &constraints.items {
            let fail = |reason: String| Err(Revert { reason, loc: *loc });
            match constraint {
                Constraint::Deadline(limit) => {
                    if self.clock > *limit {
                        return fail(format!(
                            "deadline: the bundle takes {} blocks; the deadline is {limit}",
                            self.clock
                        ));
                    }
                }
                Constraint::MaxGas(limit) => {
                    let total = self.gas_total();
                    if total > *limit {
                        return fail(format!(
                            "max_gas: the bundle uses {total} gas; the limit is {limit}"
                        ));
                    }
                }
                Constraint::MinBalance {
                    chain,
                    token,
                    amount,
                } => {
                    let registry = &self.world.registry;
                    let ids = registry.chain_id(chain).zip(registry.token_id(token));
                    let held = ids.map_or(0, |(c, t)| self.holding_of(c, t));
                    let decimals = registry.token(token).map_or(0, |t| t.decimals);
                    if held < *amount {
                        let show = |base| Amount { base, decimals };
                        return fail(format!(
                            "min_balance: the bundle ends with {} {token} on {chain}; at least {} {token} is required",
                            show(held),
                            show(*amount)
                        ));
                    }
                }
                Constraint::MinSecurity(required) => {
                    let floor = required.trust_level();
                    let registry = &self.world.registry;
                    let below = self
                        .transactions
                        .iter()
                        .flat_map(|tx| tx.calls.iter().map(move |call| (tx, call)))
                        .filter_map(|(tx, call)| {
                            let Call::Bridge { to, kind, .. } = &call.what else {
                                return None;
                            };
                            let security = registry.route(&tx.chain, to, *kind)?.security;
                            (security < floor).then_some((call.loc, *kind, security))
                        })
                        .min_by_key(|(loc, ..)| (*loc == Loc::UNKNOWN, *loc));
                    if let Some((at, kind, security)) = below {
                        return Err(Revert {
                            reason: format!(
                                "min_security: this bridge takes the {kind} route (security {security}); the bundle demands security {floor} ({required}) or more"
                            ),
                            loc: at,
                        });
                    }
                }
                Constraint::Invariant(Invariant::ConstantProduct) => {
                    let mut decreased: Vec<(&str, &str, &str, &str)> = Vec::new();
                    for ((chain, exchange, (t0, t1)), before) in self.k_before.iter() {
                        let texts = (
                            self.chain_name(*chain),
                            self.protocol_name(*exchange),
                            self.token_name(*t0),
                            self.token_name(*t1),
                        );
                        let pair = self
                            .world
                            .exchange(texts.0, texts.1)
                            .and_then(|e| e.pair(texts.2, texts.3))
                            .copied();
                        let Some(pair) = pair else { continue };
                        if constant_product(pair.reserve0, pair.reserve1) < *before {
                            decreased.push(texts);
                        }
                    }
                    // The first in the order of names, as the report shows pairs.
                    if let Some((chain, exchange, t0, t1)) = decreased.into_iter().min() {
                        return fail(format!(
                            "invariant constant_product: k of the {t0}/{t1} pair of {exchange} on {chain} decreased"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
