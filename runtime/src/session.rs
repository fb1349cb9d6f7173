//! A session runs one bundle against a world: chain transactions opened and
//! closed as the caller (generated code, or the compiler's IR interpreter)
//! says, the actions inside them, gas metered from the schedule, time
//! counted in blocks, every change journaled — and at the end either a
//! commit or a revert of everything, on every chain.
//!
//! The session never decides how actions group into transactions: it meters
//! exactly what it is told.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::gas::{GasSchedule, Operation, Sender};
use crate::journal::{Journal, LenderBalance};
use crate::maths::{self, constant_product, MathError};
use crate::registry::{BridgeKind, ProtocolKind, RouteInfo};
use crate::report::{
    Amount, BridgeMessage, Call, CallRecord, Report, SpenderName, Status, TxRecord,
};
use crate::u256::U256;
use crate::world::{Exchange, Pair, World};

/// A source location: line and column, 1-based (0 when unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub line: u32,
    pub column: u32,
}

impl Loc {
    pub const UNKNOWN: Loc = Loc { line: 0, column: 0 };

    pub fn new(line: u32, column: u32) -> Loc {
        Loc { line, column }
    }

    /// `(line << 32) | column`, as the C ABI passes it.
    pub fn pack(self) -> u64 {
        (u64::from(self.line) << 32) | u64::from(self.column)
    }

    pub fn unpack(packed: u64) -> Loc {
        Loc {
            line: (packed >> 32) as u32,
            column: packed as u32,
        }
    }
}

/// Why a bundle reverted, and the source location that caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revert {
    pub reason: String,
    pub loc: Loc,
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc == Loc::UNKNOWN {
            f.write_str(&self.reason)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.loc.line, self.loc.column, self.reason
            )
        }
    }
}

impl std::error::Error for Revert {}

/// How a loan is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoanKind {
    /// An ordinary (collateralised) borrow: may stay open across transactions.
    Ordinary,
    /// A flash loan (`flashLoanSimple`): executor only, repaid within the
    /// transaction that takes it.
    Flash,
}

/// Who an approval lets spend a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spender<'a> {
    /// A protocol on the transaction's chain (a lender, or an exchange's
    /// router or pairs).
    Protocol(&'a str),
    /// A bridge of this kind on the transaction's chain.
    Bridge(BridgeKind),
}

/// An invariant a bundle can demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// No pair's `k = reserve0 · reserve1` decreased.
    ConstantProduct,
}

impl Invariant {
    pub fn from_name(name: &str) -> Option<Invariant> {
        match name {
            "constant_product" => Some(Invariant::ConstantProduct),
            _ => None,
        }
    }
}

/// One constraint of a bundle, checked at finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// At most this many blocks, end to end.
    Deadline(u64),
    /// At most this much gas, all chains together.
    MaxGas(u64),
    /// The bundle's final holding of `token` on `chain` is at least `amount`.
    MinBalance {
        chain: String,
        token: String,
        amount: u128,
    },
    Invariant(Invariant),
}

/// A bundle's constraints, each with the source location it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Constraints {
    pub items: Vec<(Constraint, Loc)>,
}

impl Constraints {
    pub fn new() -> Constraints {
        Constraints::default()
    }

    pub fn with(mut self, constraint: Constraint, loc: Loc) -> Constraints {
        self.items.push((constraint, loc));
        self
    }

    pub fn deadline(self, blocks: u64) -> Constraints {
        self.with(Constraint::Deadline(blocks), Loc::UNKNOWN)
    }

    pub fn max_gas(self, gas: u64) -> Constraints {
        self.with(Constraint::MaxGas(gas), Loc::UNKNOWN)
    }

    pub fn min_balance(self, chain: &str, token: &str, amount: u128) -> Constraints {
        self.with(
            Constraint::MinBalance {
                chain: chain.to_string(),
                token: token.to_string(),
                amount,
            },
            Loc::UNKNOWN,
        )
    }

    pub fn invariant(self, invariant: Invariant) -> Constraints {
        self.with(Constraint::Invariant(invariant), Loc::UNKNOWN)
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

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Account {
    Token(String),
    Pool(String),
    Router(String),
    Pair(String, (String, String)),
    Bridge(BridgeKind),
}

#[derive(Debug)]
struct OpenTx {
    chain: String,
    sender: Sender,
    block: u64,
    gas: u64,
    calls: Vec<CallRecord>,
    /// Calls that reached a contract (a wallet transaction makes one).
    contract_calls: usize,
    warm: BTreeSet<Account>,
    swapped_pairs: BTreeSet<(String, (String, String))>,
}

#[derive(Debug)]
enum State {
    Running,
    Reverted(Revert),
    Finished,
}

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
    holdings: ByTwo<u128>,
    obligations: BTreeMap<(String, String, String), Obligation>,
    /// Wallet approvals are used up by the spend they precede; executor
    /// approvals stand for the rest of the bundle.
    approvals: BTreeMap<(String, Sender, String, SpenderName), u32>,
    tx: Option<OpenTx>,
    /// The transactions that have ended (handed to the report at finish).
    transactions: Vec<TxRecord>,
    /// Their gas, all chains.
    closed_gas: u64,
    clock: u64,
    parallel: Vec<ParallelFrame>,
    /// `k` of every pair a swap touched, as it was before the first swap.
    k_before: BTreeMap<(String, String, (String, String)), U256>,
    /// (chain, token) → the wallet's balance before the bundle first
    /// touched it.
    wallets_before: ByTwo<u128>,
    loc: Loc,
    state: State,
}

type Outcome<T> = Result<T, Revert>;

/// A map keyed by two names (chain, token), read with borrowed names: a key
/// is allocated only when an entry is first made. Iterates in key order, as
/// a map keyed by the pair would.
#[derive(Debug, Default)]
struct ByTwo<V> {
    outer: BTreeMap<String, BTreeMap<String, V>>,
}

impl<V: Copy> ByTwo<V> {
    fn get(&self, a: &str, b: &str) -> Option<V> {
        self.outer.get(a)?.get(b).copied()
    }

    /// The entry for `(a, b)`, made with `init()` if absent.
    fn entry(&mut self, a: &str, b: &str, init: impl FnOnce() -> V) -> &mut V {
        if !self.outer.contains_key(a) {
            self.outer.insert(a.to_string(), BTreeMap::new());
        }
        let inner = self.outer.get_mut(a).expect("inserted above");
        if !inner.contains_key(b) {
            inner.insert(b.to_string(), init());
        }
        inner.get_mut(b).expect("inserted above")
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &str, V)> + '_ {
        self.outer
            .iter()
            .flat_map(|(a, m)| m.iter().map(move |(b, v)| (a.as_str(), b.as_str(), *v)))
    }

    fn clear(&mut self) {
        self.outer.clear();
    }
}

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
            holdings: ByTwo::default(),
            obligations: BTreeMap::new(),
            approvals: BTreeMap::new(),
            tx: None,
            transactions: Vec::new(),
            closed_gas: 0,
            clock: 0,
            parallel: Vec::new(),
            k_before: BTreeMap::new(),
            wallets_before: ByTwo::default(),
            loc: Loc::UNKNOWN,
            state: State::Running,
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
    /// the changes made rather than of a copy of the world.
    pub fn rewind(mut self) -> World {
        self.journal.undo(&mut self.world);
        self.world
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
        self.closed_gas + self.tx.as_ref().map_or(0, |t| t.gas)
    }

    /// The open obligations: (chain, protocol, token, principal, premium).
    pub fn obligations(&self) -> Vec<(String, String, String, u128, u128)> {
        self.obligations
            .iter()
            .map(|((c, p, t), o)| (c.clone(), p.clone(), t.clone(), o.principal, o.premium))
            .collect()
    }

    /// The revert that stopped the bundle, if any.
    pub fn reverted(&self) -> Option<&Revert> {
        match &self.state {
            State::Reverted(r) => Some(r),
            _ => None,
        }
    }

    /// Sets the source location that the next calls are made from.
    pub fn at(&mut self, loc: Loc) -> &mut Session {
        self.loc = loc;
        self
    }

    /// Parses a decimal amount of `token` (`"100.2"`) into base units.
    pub fn units(&self, token: &str, text: &str) -> Outcome<u128> {
        let decimals = self.decimals(token)?;
        crate::amount::parse_units(text, decimals)
            .map_err(|e| self.revert_value(format!("amount \"{text}\" {e}")))
    }

    // ----- failure -------------------------------------------------------

    fn revert_value(&self, reason: impl Into<String>) -> Revert {
        Revert {
            reason: reason.into(),
            loc: self.loc,
        }
    }

    /// Stops the bundle: every later call fails with the same revert, and
    /// `finish` undoes every change.
    fn fail<T>(&mut self, reason: impl Into<String>) -> Outcome<T> {
        self.fail_at(reason, self.loc)
    }

    fn fail_at<T>(&mut self, reason: impl Into<String>, loc: Loc) -> Outcome<T> {
        let revert = Revert {
            reason: reason.into(),
            loc,
        };
        if matches!(self.state, State::Running) {
            self.state = State::Reverted(revert.clone());
        }
        Err(revert)
    }

    fn running(&self) -> Outcome<()> {
        match &self.state {
            State::Running => Ok(()),
            State::Reverted(r) => Err(r.clone()),
            State::Finished => Err(self.revert_value("the bundle has already finished")),
        }
    }

    /// Runs `f` if the session is running; any error it returns reverts the bundle.
    fn step<T>(&mut self, f: impl FnOnce(&mut Session) -> Outcome<T>) -> Outcome<T> {
        self.running()?;
        match f(self) {
            Ok(v) => Ok(v),
            Err(r) => self.fail_at(r.reason, r.loc),
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

    // ----- names ---------------------------------------------------------

    fn decimals(&self, token: &str) -> Outcome<u8> {
        self.world
            .registry
            .token(token)
            .map(|t| t.decimals)
            .ok_or_else(|| self.revert_value(format!("unknown token `{token}`")))
    }

    fn fmt(&self, amount: u128, token: &str) -> String {
        format!("{} {token}", self.amount(amount, token))
    }

    /// `amount` base units of `token`, with its decimals.
    fn amount(&self, base: u128, token: &str) -> Amount {
        let decimals = self.world.registry.token(token).map_or(0, |t| t.decimals);
        Amount { base, decimals }
    }

    fn check_chain(&self, chain: &str) -> Outcome<()> {
        if self.world.registry.chain(chain).is_none() {
            return Err(self.revert_value(format!("unknown chain `{chain}`")));
        }
        Ok(())
    }

    fn check_token(&self, chain: &str, token: &str) -> Outcome<()> {
        self.check_chain(chain)?;
        self.decimals(token)?;
        if !self.world.registry.token_on_chain(token, chain) {
            return Err(self.revert_value(format!("token {token} does not exist on {chain}")));
        }
        Ok(())
    }

    fn check_protocol(&self, chain: &str, protocol: &str, kind: ProtocolKind) -> Outcome<()> {
        let Some(info) = self.world.registry.protocol(protocol) else {
            return Err(self.revert_value(format!("unknown protocol `{protocol}`")));
        };
        if info.kind != kind {
            return Err(self.revert_value(format!(
                "{protocol} is {}, not {}",
                info.kind.with_article(),
                kind.with_article()
            )));
        }
        if !self.world.registry.protocol_on_chain(protocol, chain) {
            return Err(self.revert_value(format!("{protocol} is not deployed on {chain}")));
        }
        Ok(())
    }

    // ----- holdings ------------------------------------------------------

    /// The bundle's current holding of `token` on `chain` (what `all T` means).
    pub fn holding(&mut self, chain: &str, token: &str) -> Outcome<u128> {
        self.step(|s| {
            s.check_token(chain, token)?;
            Ok(s.holding_of(chain, token))
        })
    }

    fn holding_of(&self, chain: &str, token: &str) -> u128 {
        self.holdings.get(chain, token).unwrap_or(0)
    }

    fn add_holding(&mut self, chain: &str, token: &str, amount: u128) -> Outcome<()> {
        let slot = self.holdings.entry(chain, token, || 0);
        *slot = slot.checked_add(amount).ok_or_else(|| Revert {
            reason: "arithmetic overflow".into(),
            loc: self.loc,
        })?;
        Ok(())
    }

    fn take_holding(&mut self, chain: &str, token: &str, amount: u128, why: &str) -> Outcome<()> {
        let held = self.holding_of(chain, token);
        if held < amount {
            return Err(self.revert_value(format!(
                "insufficient holding: {why} needs {} on {chain}, the bundle holds {}",
                self.fmt(amount, token),
                self.fmt(held, token)
            )));
        }
        *self.holdings.entry(chain, token, || 0) = held - amount;
        Ok(())
    }

    // ----- transactions and time -----------------------------------------

    /// Opens a chain transaction: one block of that chain, one base cost.
    pub fn begin_transaction(&mut self, chain: &str, sender: Sender) -> Outcome<()> {
        self.step(|s| {
            s.check_chain(chain)?;
            if let Some(tx) = &s.tx {
                return Err(s.revert_value(format!(
                    "a transaction on {} is already open; end it first",
                    tx.chain
                )));
            }
            s.clock += 1;
            s.tx = Some(OpenTx {
                chain: chain.to_string(),
                sender,
                block: s.clock,
                gas: s.schedule.tx_base,
                calls: Vec::new(),
                contract_calls: 0,
                warm: BTreeSet::new(),
                swapped_pairs: BTreeSet::new(),
            });
            Ok(())
        })
    }

    /// Closes the open transaction; a flash loan taken in it must be repaid.
    pub fn end_transaction(&mut self) -> Outcome<()> {
        self.step(|s| {
            let Some(tx) = s.tx.take() else {
                return Err(s.revert_value("no transaction is open"));
            };
            let index = s.transactions.len();
            let unpaid = s
                .obligations
                .iter()
                .find(|(_, o)| o.kind == LoanKind::Flash && o.tx_index == index);
            if let Some(((chain, protocol, token), o)) = unpaid {
                let reason = format!(
                    "the flash loan of {} from {protocol} on {chain} is not repaid within its transaction",
                    s.fmt(o.principal, token)
                );
                let loc = o.loc;
                s.close(tx);
                return Err(Revert { reason, loc });
            }
            s.close(tx);
            Ok(())
        })
    }

    /// Records a transaction that has ended (or was left open by a failure).
    fn close(&mut self, tx: OpenTx) {
        self.closed_gas = self.closed_gas.saturating_add(tx.gas);
        self.transactions.push(TxRecord::from_open(
            tx.chain, tx.sender, tx.block, tx.gas, tx.calls,
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

    fn open_tx(&self, what: &str) -> Outcome<(String, Sender)> {
        match &self.tx {
            Some(tx) => Ok((tx.chain.clone(), tx.sender)),
            None => Err(self.revert_value(format!("{what} needs an open transaction"))),
        }
    }

    /// Meters one call to `account`: from the wallet the target is the
    /// transaction's `to` (warm) and the only call; from the executor each
    /// inner call pays dispatch, its address word and an account access.
    fn meter_call(&mut self, account: Account, op_gas: u64) -> Outcome<u64> {
        let schedule = &self.schedule;
        let loc = self.loc;
        let tx = self.tx.as_mut().expect("checked by open_tx");
        let first_touch = tx.warm.insert(account);
        let gas = match tx.sender {
            Sender::Wallet => {
                if tx.contract_calls > 0 {
                    return Err(Revert {
                        reason: "a wallet transaction makes one call; open another transaction, or use the executor".into(),
                        loc,
                    });
                }
                op_gas
            }
            Sender::Executor => {
                schedule.executor_call_overhead() + schedule.account_access(first_touch) + op_gas
            }
        };
        tx.contract_calls += 1;
        tx.gas += gas;
        Ok(gas)
    }

    fn record(&mut self, what: Call, gas: u64) {
        let loc = self.loc;
        if let Some(tx) = self.tx.as_mut() {
            tx.calls.push(CallRecord { what, gas, loc });
        }
    }

    // ----- approvals -----------------------------------------------------

    fn spender_key(&self, chain: &str, spender: Spender<'_>) -> Outcome<SpenderName> {
        match spender {
            Spender::Protocol(p) => {
                if self.world.registry.protocol(p).is_none() {
                    return Err(self.revert_value(format!("unknown protocol `{p}`")));
                }
                if !self.world.registry.protocol_on_chain(p, chain) {
                    return Err(self.revert_value(format!("{p} is not deployed on {chain}")));
                }
                Ok(SpenderName::Protocol(p.to_string()))
            }
            Spender::Bridge(kind) => {
                if !self
                    .world
                    .registry
                    .routes
                    .iter()
                    .any(|r| r.from == chain && r.kind == kind)
                {
                    return Err(self.revert_value(format!("no {kind} bridge leaves {chain}")));
                }
                Ok(SpenderName::Bridge(kind))
            }
        }
    }

    /// Approves `spender` to take `token` from the sender of the open
    /// transaction. A wallet approval covers the next spend of that token
    /// by that spender; an executor approval stands for the rest of the
    /// bundle (it grants the maximum allowance).
    pub fn approve(&mut self, token: &str, spender: Spender<'_>) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("an approval")?;
            s.check_token(&chain, token)?;
            let key = s.spender_key(&chain, spender)?;
            let op = s.schedule.operation(sender, &Operation::Approve);
            let gas = s.meter_call(Account::Token(token.to_string()), op)?;
            *s.approvals
                .entry((chain, sender, token.to_string(), key.clone()))
                .or_insert(0) += 1;
            s.record(
                Call::Approve {
                    token: token.to_string(),
                    spender: key,
                },
                gas,
            );
            Ok(())
        })
    }

    fn use_approval(
        &mut self,
        chain: &str,
        sender: Sender,
        token: &str,
        key: SpenderName,
    ) -> Outcome<()> {
        let entry = (chain.to_string(), sender, token.to_string(), key);
        let held = match (sender, self.approvals.get_mut(&entry)) {
            (_, None) => false,
            (Sender::Executor, Some(_)) => true,
            (Sender::Wallet, Some(count)) => {
                *count -= 1;
                if *count == 0 {
                    self.approvals.remove(&entry);
                }
                true
            }
        };
        if !held {
            return Err(self.revert_value(format!(
                "no approval: the {} has not approved {} to spend {token} on {chain}",
                sender.as_str(),
                entry.3
            )));
        }
        Ok(())
    }

    // ----- actions -------------------------------------------------------

    /// `input A`: moves `amount` of `token` from the user's wallet on `chain`
    /// into the bundle's holdings. Bookkeeping only: in both executor models
    /// the funds stay in the user's own account, so it costs no gas and
    /// needs no transaction.
    pub fn input(&mut self, chain: &str, token: &str, amount: u128) -> Outcome<()> {
        self.step(|s| {
            s.check_token(chain, token)?;
            let balance = s.world.wallet_balance(chain, token);
            if balance < amount {
                return Err(s.revert_value(format!(
                    "the wallet holds {} on {chain}; input needs {}",
                    s.fmt(balance, token),
                    s.fmt(amount, token)
                )));
            }
            s.wallets_before.entry(chain, token, || balance);
            s.journal
                .set_wallet(&mut s.world, chain, token, balance - amount);
            s.add_holding(chain, token, amount)?;
            s.record(
                Call::Input {
                    token: token.to_string(),
                    amount: s.amount(amount, token),
                },
                0,
            );
            Ok(())
        })
    }

    fn lender_balance(
        &self,
        chain: &str,
        protocol: &str,
        balance: LenderBalance,
        token: &str,
    ) -> u128 {
        self.world
            .lender(chain, protocol)
            .and_then(|l| match balance {
                LenderBalance::Liquidity => l.liquidity.get(token),
                LenderBalance::Deposit => l.deposits.get(token),
            })
            .copied()
            .unwrap_or(0)
    }

    fn set_lender_balance(
        &mut self,
        chain: &str,
        protocol: &str,
        balance: LenderBalance,
        token: &str,
        value: u128,
    ) {
        self.journal
            .set_lender(&mut self.world, chain, protocol, balance, token, value);
    }

    /// `borrow A from P`: opens an obligation of `amount` plus the
    /// protocol's premium, `bps_ceil(amount, premium_bps)`, charged on every
    /// loan, flash or ordinary. Returns `amount`.
    pub fn borrow(
        &mut self,
        protocol: &str,
        token: &str,
        amount: u128,
        kind: LoanKind,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a borrow")?;
            s.check_protocol(&chain, protocol, ProtocolKind::Lender)?;
            s.check_token(&chain, token)?;
            let (premium_bps, flash_loans) = s
                .world
                .registry
                .protocol(protocol)
                .map_or((0, false), |p| (p.premium_bps, p.flash_loans));
            if kind == LoanKind::Flash {
                if !flash_loans {
                    return Err(s.revert_value(format!("{protocol} offers no flash loans")));
                }
                if sender != Sender::Executor {
                    return Err(s.revert_value("a flash loan needs the executor (it calls back a contract)"));
                }
            }
            let liquidity = s.lender_balance(&chain, protocol, LenderBalance::Liquidity, token);
            if liquidity < amount {
                return Err(s.revert_value(format!(
                    "insufficient liquidity: {protocol} on {chain} can lend {}, the borrow needs {}",
                    s.fmt(liquidity, token),
                    s.fmt(amount, token)
                )));
            }
            let premium = maths::premium(amount, premium_bps).map_err(|e| s.revert_value(e.to_string()))?;
            let key = (chain.clone(), protocol.to_string(), token.to_string());
            let tx_index = s.transactions.len();
            let loc = s.loc;
            if let Some(existing) = s.obligations.get(&key) {
                if existing.kind != kind || (kind == LoanKind::Flash && existing.tx_index != tx_index) {
                    return Err(s.revert_value(format!(
                        "a loan of {token} from {protocol} on {chain} of another kind is already open"
                    )));
                }
            }
            let op = match kind {
                LoanKind::Flash => Operation::FlashLoan,
                LoanKind::Ordinary => Operation::Borrow,
            };
            let op_gas = s.schedule.operation(sender, &op);
            let gas = s.meter_call(Account::Pool(protocol.to_string()), op_gas)?;
            let o = s.obligations.entry(key).or_insert(Obligation {
                kind,
                principal: 0,
                premium: 0,
                loc,
                tx_index,
            });
            o.principal = o.principal.checked_add(amount).ok_or_else(|| Revert { reason: "arithmetic overflow".into(), loc })?;
            o.premium = o.premium.checked_add(premium).ok_or_else(|| Revert { reason: "arithmetic overflow".into(), loc })?;
            s.set_lender_balance(&chain, protocol, LenderBalance::Liquidity, token, liquidity - amount);
            s.add_holding(&chain, token, amount)?;
            s.record(
                Call::Borrow {
                    flash: kind == LoanKind::Flash,
                    protocol: protocol.to_string(),
                    token: token.to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(amount)
        })
    }

    /// `repay A to P`: pays principal `amount` and its premium,
    /// `bps_ceil(amount, premium_bps)` (so repaying in parts may round up
    /// more than once). Repaying more principal than is owed reverts.
    pub fn repay(&mut self, protocol: &str, token: &str, amount: u128) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a repay")?;
            s.check_protocol(&chain, protocol, ProtocolKind::Lender)?;
            s.check_token(&chain, token)?;
            let key = (chain.clone(), protocol.to_string(), token.to_string());
            let Some(owed) = s.obligations.get(&key).cloned() else {
                return Err(s.revert_value(format!(
                    "nothing is owed to {protocol} in {token} on {chain}"
                )));
            };
            if amount > owed.principal {
                return Err(s.revert_value(format!(
                    "repays {} to {protocol} but only {} is owed",
                    s.fmt(amount, token),
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
                .protocol(protocol)
                .map_or(0, |p| p.premium_bps);
            let premium =
                maths::premium(amount, premium_bps).map_err(|e| s.revert_value(e.to_string()))?;
            let total = amount
                .checked_add(premium)
                .ok_or_else(|| s.revert_value("arithmetic overflow"))?;
            s.take_holding(&chain, token, total, "repay")?;
            s.use_approval(
                &chain,
                sender,
                token,
                SpenderName::Protocol(protocol.to_string()),
            )?;
            let gas = match owed.kind {
                // The pool pulls a flash loan's repayment inside flashLoanSimple.
                LoanKind::Flash => 0,
                LoanKind::Ordinary => {
                    let op = s.schedule.operation(sender, &Operation::Repay);
                    s.meter_call(Account::Pool(protocol.to_string()), op)?
                }
            };
            let liquidity = s.lender_balance(&chain, protocol, LenderBalance::Liquidity, token);
            let new_liquidity = liquidity
                .checked_add(total)
                .ok_or_else(|| s.revert_value("arithmetic overflow"))?;
            s.set_lender_balance(
                &chain,
                protocol,
                LenderBalance::Liquidity,
                token,
                new_liquidity,
            );
            let o = s.obligations.get_mut(&key).expect("present");
            o.principal -= amount;
            o.premium = o.premium.saturating_sub(premium);
            if o.principal == 0 {
                s.obligations.remove(&key);
            }
            s.record(
                Call::Repay {
                    flash: owed.kind == LoanKind::Flash,
                    protocol: protocol.to_string(),
                    token: token.to_string(),
                    amount: s.amount(amount, token),
                    premium: s.amount(premium, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// `swap A of T1 for at least M of T2 on X`. Returns what came out.
    pub fn swap(
        &mut self,
        exchange: &str,
        token_in: &str,
        amount: u128,
        token_out: &str,
        min_out: u128,
    ) -> Outcome<u128> {
        self.swap_path(exchange, &[token_in, token_out], amount, min_out)
    }

    /// A multi-hop swap along `path` (at least two tokens) on one exchange:
    /// exactly the single hops in sequence, reserves moved the same way.
    pub fn swap_path(
        &mut self,
        exchange: &str,
        path: &[&str],
        amount: u128,
        min_out: u128,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a swap")?;
            s.check_protocol(&chain, exchange, ProtocolKind::Exchange)?;
            if path.len() < 2 {
                return Err(s.revert_value("a swap path has at least two tokens"));
            }
            for t in path {
                s.check_token(&chain, t)?;
            }
            for w in path.windows(2) {
                if w[0] == w[1] {
                    return Err(s.revert_value(format!("a swap of {} for itself", w[0])));
                }
            }
            let token_in = path[0];
            let token_out = path[path.len() - 1];
            let fee_bps = s
                .world
                .registry
                .protocol(exchange)
                .expect("checked")
                .fee_bps;
            // Compute every hop first; nothing changes if one fails.
            let mut amounts = vec![amount];
            let mut current = amount;
            let mut hops = Vec::new();
            for w in path.windows(2) {
                let pair_key = Exchange::pair_key(w[0], w[1]);
                let Some((r_in, r_out)) = s
                    .world
                    .exchange(&chain, exchange)
                    .and_then(|e| e.reserves(w[0], w[1]))
                else {
                    return Err(s.revert_value(format!(
                        "{exchange} on {chain} has no {}/{} pair",
                        pair_key.0, pair_key.1
                    )));
                };
                let out = maths::get_amount_out(current, r_in, r_out, fee_bps).map_err(|e| {
                    s.revert_value(match e {
                        MathError::InsufficientInput => format!("swap of zero {}", w[0]),
                        other => format!("swap on {exchange}: {other}"),
                    })
                })?;
                if out == 0 {
                    return Err(s.revert_value(format!(
                        "swap on {exchange}: {} buys zero {} (insufficient output amount)",
                        s.fmt(current, w[0]),
                        w[1]
                    )));
                }
                let new_in = r_in
                    .checked_add(current)
                    .ok_or_else(|| s.revert_value("arithmetic overflow"))?;
                let new_out = r_out - out;
                let pair = if w[0] <= w[1] {
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
                hops.push((pair_key, pair, (r_in, r_out)));
                amounts.push(out);
                current = out;
                // A path that visits one pair twice sees the moved reserves.
                if hops[..hops.len() - 1]
                    .iter()
                    .any(|h| h.0 == hops[hops.len() - 1].0)
                {
                    return Err(s.revert_value("a swap path uses one pair twice"));
                }
            }
            if current < min_out {
                return Err(s.revert_value(format!(
                    "slippage: the swap gives {}, below the bound {}",
                    s.fmt(current, token_out),
                    s.fmt(min_out, token_out)
                )));
            }
            s.take_holding(&chain, token_in, amount, "swap")?;
            // The router pulls the wallet's tokens with `transferFrom`, which
            // needs an allowance; the executor's direct swap moves its own
            // tokens into the pair with `transfer`, which does not.
            if sender == Sender::Wallet {
                s.use_approval(
                    &chain,
                    sender,
                    token_in,
                    SpenderName::Protocol(exchange.to_string()),
                )?;
            }
            let gas = match sender {
                Sender::Wallet => {
                    let op = s
                        .schedule
                        .operation(sender, &Operation::Swap { hops: hops.len() });
                    s.meter_call(Account::Router(exchange.to_string()), op)?
                }
                Sender::Executor => {
                    let mut gas = s.meter_call(
                        Account::Token(token_in.to_string()),
                        s.schedule.token_transfer,
                    )?;
                    for (pair_key, _, _) in &hops {
                        let first =
                            s.tx.as_mut()
                                .expect("open")
                                .swapped_pairs
                                .insert((exchange.to_string(), pair_key.clone()));
                        let op = s.schedule.pair_swap
                            + if first {
                                s.schedule.pair_oracle_update
                            } else {
                                0
                            };
                        gas += s.meter_call(
                            Account::Pair(exchange.to_string(), pair_key.clone()),
                            op,
                        )?;
                    }
                    gas
                }
            };
            for (pair_key, pair, (r_in, r_out)) in &hops {
                s.k_before
                    .entry((chain.clone(), exchange.to_string(), pair_key.clone()))
                    .or_insert_with(|| constant_product(*r_in, *r_out));
                s.journal
                    .set_reserves(&mut s.world, &chain, exchange, pair_key, *pair);
            }
            s.add_holding(&chain, token_out, current)?;
            s.record(
                Call::Swap {
                    exchange: exchange.to_string(),
                    path: path.iter().map(|t| t.to_string()).collect(),
                    amount_in: s.amount(amount, token_in),
                    amount_out: s.amount(current, token_out),
                },
                gas,
            );
            Ok(current)
        })
    }

    /// `deposit A into P`: the user's deposit and the lender's liquidity grow.
    pub fn deposit(&mut self, protocol: &str, token: &str, amount: u128) -> Outcome<()> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a deposit")?;
            s.check_protocol(&chain, protocol, ProtocolKind::Lender)?;
            s.check_token(&chain, token)?;
            let deposit = s.lender_balance(&chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(&chain, protocol, LenderBalance::Liquidity, token);
            let (Some(new_deposit), Some(new_liquidity)) =
                (deposit.checked_add(amount), liquidity.checked_add(amount))
            else {
                return Err(s.revert_value("arithmetic overflow"));
            };
            s.take_holding(&chain, token, amount, "deposit")?;
            s.use_approval(
                &chain,
                sender,
                token,
                SpenderName::Protocol(protocol.to_string()),
            )?;
            let op = s.schedule.operation(sender, &Operation::Deposit);
            let gas = s.meter_call(Account::Pool(protocol.to_string()), op)?;
            s.set_lender_balance(&chain, protocol, LenderBalance::Deposit, token, new_deposit);
            s.set_lender_balance(
                &chain,
                protocol,
                LenderBalance::Liquidity,
                token,
                new_liquidity,
            );
            s.record(
                Call::Deposit {
                    protocol: protocol.to_string(),
                    token: token.to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// `withdraw A from P`: needs the user's deposit and the lender's
    /// liquidity to cover `amount`. Returns `amount`.
    pub fn withdraw(&mut self, protocol: &str, token: &str, amount: u128) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a withdraw")?;
            s.check_protocol(&chain, protocol, ProtocolKind::Lender)?;
            s.check_token(&chain, token)?;
            let deposit = s.lender_balance(&chain, protocol, LenderBalance::Deposit, token);
            let liquidity = s.lender_balance(&chain, protocol, LenderBalance::Liquidity, token);
            if deposit < amount {
                return Err(s.revert_value(format!(
                    "insufficient deposit: the user has {} deposited at {protocol} on {chain}; the withdraw needs {}",
                    s.fmt(deposit, token),
                    s.fmt(amount, token)
                )));
            }
            if liquidity < amount {
                return Err(s.revert_value(format!(
                    "insufficient liquidity: {protocol} on {chain} has {} available; the withdraw needs {}",
                    s.fmt(liquidity, token),
                    s.fmt(amount, token)
                )));
            }
            let op = s.schedule.operation(sender, &Operation::Withdraw);
            let gas = s.meter_call(Account::Pool(protocol.to_string()), op)?;
            s.set_lender_balance(&chain, protocol, LenderBalance::Deposit, token, deposit - amount);
            s.set_lender_balance(&chain, protocol, LenderBalance::Liquidity, token, liquidity - amount);
            s.add_holding(&chain, token, amount)?;
            s.record(
                Call::Withdraw {
                    protocol: protocol.to_string(),
                    token: token.to_string(),
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
        token: &str,
        amount: u128,
        to: &str,
        kind: Option<BridgeKind>,
    ) -> Outcome<u128> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("a bridge")?;
            s.check_token(&chain, token)?;
            s.check_token(to, token)?;
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain} to itself")));
            }
            let route: Option<&RouteInfo> = match kind {
                Some(k) => s.world.registry.route(&chain, to, k),
                None => s.world.registry.most_trusted_route(&chain, to),
            };
            let Some(route) = route else {
                let via = kind.map(|k| format!(" via {k}")).unwrap_or_default();
                return Err(s.revert_value(format!("no bridge route from {chain} to {to}{via}")));
            };
            let (route_kind, delay_blocks) = (route.kind, route.delay_blocks);
            let fee = route
                .fee_on(amount)
                .ok_or_else(|| s.revert_value("arithmetic overflow"))?;
            let op = s.schedule.operation(sender, &Operation::Bridge { route });
            let delivered = amount - fee;
            s.take_holding(&chain, token, amount, "bridge")?;
            s.use_approval(&chain, sender, token, SpenderName::Bridge(route_kind))?;
            let gas = s.meter_call(Account::Bridge(route_kind), op)?;
            s.add_holding(to, token, delivered)?;
            s.clock += delay_blocks;
            s.record(
                Call::Bridge {
                    token: token.to_string(),
                    amount: s.amount(amount, token),
                    to: to.to_string(),
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
    /// the clock, its arrival); only gas differs: the first transfer pays the
    /// route's call as `bridge` does, each further one
    /// `GasSchedule::bridge_batch_extra` and an access to its token. An
    /// `htlb` route cannot carry a batch: each hash time-lock is its own
    /// contract. Returns what arrives, transfer by transfer.
    pub fn bridge_batch(
        &mut self,
        kind: BridgeKind,
        to: &str,
        transfers: &[(&str, u128)],
    ) -> Outcome<Vec<u128>> {
        self.step(|s| {
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
            if chain == to {
                return Err(s.revert_value(format!("a bridge from {chain} to itself")));
            }
            let Some(route) = s.world.registry.route(&chain, to, kind).cloned() else {
                return Err(s.revert_value(format!("no bridge route from {chain} to {to} via {kind}")));
            };
            let mut arrived = Vec::with_capacity(transfers.len());
            for (i, &(token, amount)) in transfers.iter().enumerate() {
                s.check_token(&chain, token)?;
                s.check_token(to, token)?;
                let fee = route
                    .fee_on(amount)
                    .ok_or_else(|| s.revert_value("arithmetic overflow"))?;
                let delivered = amount - fee;
                s.take_holding(&chain, token, amount, "bridge")?;
                s.use_approval(&chain, sender, token, SpenderName::Bridge(route.kind))?;
                let gas = if i == 0 {
                    let op = s
                        .schedule
                        .operation(sender, &Operation::Bridge { route: &route });
                    s.meter_call(Account::Bridge(route.kind), op)?
                } else {
                    s.meter_batch_entry(Account::Token(token.to_string()))
                };
                s.add_holding(to, token, delivered)?;
                s.clock += route.delay_blocks;
                s.record(
                    Call::Bridge {
                        token: token.to_string(),
                        amount: s.amount(amount, token),
                        to: to.to_string(),
                        kind: route.kind,
                        fee: s.amount(fee, token),
                        delay_blocks: route.delay_blocks,
                        message: if i == 0 {
                            BridgeMessage::SharedFirst
                        } else {
                            BridgeMessage::SharedFurther
                        },
                    },
                    gas,
                );
                arrived.push(delivered);
            }
            Ok(arrived)
        })
    }

    /// Meters a further transfer of a shared bridge message: its entry and
    /// the access to its token, cold on first touch in the transaction.
    fn meter_batch_entry(&mut self, account: Account) -> u64 {
        let schedule = &self.schedule;
        let Some(tx) = self.tx.as_mut() else {
            return 0;
        };
        let first_touch = tx.warm.insert(account);
        let gas = schedule
            .bridge_batch_extra()
            .saturating_add(schedule.account_access(first_touch));
        tx.gas = tx.gas.saturating_add(gas);
        gas
    }

    // ----- finish --------------------------------------------------------

    /// Ends the bundle: checks that no obligation is open and every
    /// constraint holds, then commits (holdings go back to the wallet) or
    /// reverts everything. Returns the report; `world()` is then the world
    /// as committed, or as it was before.
    pub fn finish(&mut self, constraints: &Constraints) -> Report {
        if matches!(self.state, State::Running) {
            if let Err(r) = self.check_end(constraints) {
                let _: Outcome<()> = self.fail_at(r.reason, r.loc);
            }
        }
        let revert = match std::mem::replace(&mut self.state, State::Finished) {
            State::Reverted(r) => Some(r),
            _ => None,
        };
        // A transaction left open by a failure still counts what it metered.
        if let Some(tx) = self.tx.take() {
            self.close(tx);
        }
        let mut result = BTreeMap::new();
        if revert.is_some() {
            self.journal.undo(&mut self.world);
            self.holdings.clear();
        } else {
            let holdings = std::mem::take(&mut self.holdings);
            for (chain, token, amount) in holdings.iter() {
                if amount == 0 {
                    continue;
                }
                let balance = self.world.wallet_balance(chain, token);
                let new = balance.saturating_add(amount);
                self.wallets_before.entry(chain, token, || balance);
                // Kept in the journal, so that `rewind` can undo a commit too.
                self.journal.set_wallet(&mut self.world, chain, token, new);
                let decimals = self.world.registry.token(token).map_or(0, |t| t.decimals);
                result
                    .entry(chain.to_string())
                    .or_insert_with(BTreeMap::new)
                    .insert(
                        token.to_string(),
                        Amount {
                            base: amount,
                            decimals,
                        },
                    );
            }
        }
        let mut wallet = Vec::new();
        for (chain, token, before) in self.wallets_before.iter() {
            let decimals = self.world.registry.token(token).map_or(0, |t| t.decimals);
            let after = self.world.wallet_balance(chain, token);
            wallet.push((
                chain.to_string(),
                token.to_string(),
                Amount {
                    base: before,
                    decimals,
                },
                Amount {
                    base: after,
                    decimals,
                },
            ));
        }
        Report {
            bundle: self.bundle.clone(),
            status: if revert.is_some() {
                Status::Reverted
            } else {
                Status::Committed
            },
            revert,
            transactions: std::mem::take(&mut self.transactions),
            blocks: self.clock,
            result,
            wallet,
        }
    }

    fn check_end(&mut self, constraints: &Constraints) -> Outcome<()> {
        if let Some(tx) = &self.tx {
            return Err(
                self.revert_value(format!("the transaction on {} was never ended", tx.chain))
            );
        }
        if !self.parallel.is_empty() {
            return Err(self.revert_value("a parallel group was never ended"));
        }
        if let Some(((chain, protocol, token), o)) = self.obligations.iter().next() {
            return Err(Revert {
                reason: format!(
                    "the loan of {} from {protocol} on {chain} is not repaid (owes {} + premium {})",
                    self.fmt(o.principal, token),
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
                    let held = self.holding_of(chain, token);
                    if held < *amount {
                        return fail(format!(
                            "min_balance: the bundle ends with {} on {chain}; at least {} is required",
                            self.fmt(held, token),
                            self.fmt(*amount, token)
                        ));
                    }
                }
                Constraint::Invariant(Invariant::ConstantProduct) => {
                    for ((chain, exchange, (t0, t1)), before) in &self.k_before {
                        let pair = self
                            .world
                            .exchange(chain, exchange)
                            .and_then(|e| e.pairs.get(&(t0.clone(), t1.clone())))
                            .copied();
                        let Some(pair) = pair else { continue };
                        if constant_product(pair.reserve0, pair.reserve1) < *before {
                            return fail(format!(
                                "invariant constant_product: k of the {t0}/{t1} pair of {exchange} on {chain} decreased"
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
