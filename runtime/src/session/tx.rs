//! Transactions and time: opening and closing chain transactions, the
//! block clock and parallel branches, and metering each call's gas into
//! the open transaction.

use super::swap::PairKey;
use super::{CallResult, Named, Session};
use crate::gas::{
    BalanceWrites, Charged, LenderCall, Moves, Operation, Positions, Reserves, SecondWalletCall,
    Sender, TokenContract, TxMeter,
};
use crate::registry::{BridgeKind, ChainId, ProtocolId, TokenId};
use crate::report::{Call, CallRecord, TxRecord};
use crate::u256::U256;
use crate::world::World;
use mesh_core::account::LoanKind;
use mesh_core::revert::{reason, Revert};

/// A contract a transaction calls, for warm and cold accesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Account {
    Token(TokenId),
    Pool(ProtocolId),
    Router(ProtocolId),
    Pair(ProtocolId, PairKey),
    Bridge(BridgeKind),
}

/// A transaction's meter, over the accounts and pairs a run touches.
pub(super) type Meter = TxMeter<Account, (ProtocolId, PairKey)>;

/// The user's positions as far as gas is concerned: which reserves it
/// supplies and owes at each lender of each chain.
pub(super) type LenderReserves = Positions<(ChainId, ProtocolId), TokenId>;

/// The reserves the user supplies and owes at each lender as `world`
/// holds them (names the registry does not know are left out: nothing can
/// call them).
pub(super) fn starting_reserves(world: &World) -> LenderReserves {
    let registry = &world.registry;
    let mut positions = LenderReserves::default();
    for (chain, lenders) in &world.lenders {
        let Some(chain) = registry.chain_id(chain) else {
            continue;
        };
        for (lender, state) in lenders {
            let Some(lender) = registry.protocol_id(lender) else {
                continue;
            };
            positions.insert(
                (chain, lender),
                Reserves::held(&state.deposits, &state.debts, |t| registry.token_id(t)),
            );
        }
    }
    positions
}

#[derive(Debug)]
pub(super) struct OpenTx {
    pub(super) chain: ChainId,
    pub(super) block: u64,
    pub(super) calls: Vec<CallRecord>,
    /// Its gas, by the rules the compiler's static gas uses too.
    pub(super) meter: Meter,
    /// What its writes of the sender's balances cost beyond that.
    pub(super) balances: Balances,
}

/// The writes of the sender's balances in a transaction, metered by their
/// values (`BalanceWrites`), and how much the call being made added to
/// the rows' charge.
#[derive(Clone, Debug, Default)]
pub(super) struct Balances {
    writes: BalanceWrites<TokenId>,
    /// What the call being made added (`BalanceWrites::added`'s share of
    /// it), not yet recorded.
    call: i128,
}

#[derive(Clone, Copy)]
pub(super) struct ParallelFrame {
    pub(super) start: u64,
    pub(super) longest_end: u64,
    /// The same in milliseconds (`None`: not known).
    pub(super) start_ms: Option<u64>,
    pub(super) longest_end_ms: Option<u64>,
}

/// The later of two times, if both are known.
fn later(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    Some(a?.max(b?))
}

impl Session {
    /// Opens a chain transaction: one block of that chain, one base cost.
    pub fn begin_transaction(
        &mut self,
        chain: impl Named<ChainId>,
        sender: Sender,
    ) -> CallResult<()> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            if let Some(tx) = &s.tx {
                return Err(s.revert_value(format!(
                    "a transaction on {} is already open; end it first",
                    s.chain_name(tx.chain)
                )));
            }
            s.clock = s.tick(1)?;
            s.elapse(chain, 1)?;
            s.tx = Some(OpenTx {
                chain,
                block: s.clock,
                calls: Vec::new(),
                meter: TxMeter::new(&s.schedule, sender),
                balances: Balances::default(),
            });
            Ok(())
        })
    }

    /// The clock `blocks` later; past the largest block number it reverts.
    pub(super) fn tick(&self, blocks: u64) -> CallResult<u64> {
        self.clock
            .checked_add(blocks)
            .ok_or_else(|| self.revert_value(reason::OVERFLOW))
    }

    /// Counts `blocks` of `chain` on the time elapsed, at the chain's block
    /// time; a chain without one makes the time unknown from here on.
    pub(super) fn elapse(&mut self, chain: ChainId, blocks: u64) -> CallResult<()> {
        let block_time = self
            .world
            .registry
            .chain_at(chain)
            .and_then(|c| c.block_time_ms);
        match (self.elapsed_ms, block_time) {
            (Some(ms), Some(per_block)) => {
                let later = blocks
                    .checked_mul(per_block)
                    .and_then(|d| ms.checked_add(d))
                    .ok_or_else(|| self.revert_value(reason::OVERFLOW))?;
                self.elapsed_ms = Some(later);
            }
            (_, None) => {
                self.elapsed_ms = None;
                self.untimed.get_or_insert(chain);
            }
            (None, Some(_)) => {}
        }
        Ok(())
    }

    /// Closes the open transaction; a flash loan taken in it must be repaid.
    ///
    /// A flash loan still open then is a failure at the loan — unless a
    /// call failed already: its repayment may be what failed, and that
    /// failure is the one the bundle reverts with.
    pub fn end_transaction(&mut self) -> CallResult<()> {
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
    pub(super) fn close(&mut self, tx: OpenTx) {
        let balance_gas = tx.balances.settled(&self.schedule, tx.meter.gas());
        let gas = with_balances(tx.meter.gas(), balance_gas);
        self.closed_gas = self.closed_gas.saturating_add(gas);
        self.closed_charge = self.closed_charge.saturating_add(tx.meter.gas());
        let chain = self.chain_name(tx.chain).to_string();
        self.transactions.push(TxRecord::from_open(
            chain,
            tx.meter.sender(),
            tx.block,
            gas,
            balance_gas,
            tx.calls,
        ));
    }

    /// The sender's balance of `token` on `chain`, as its account holds it
    /// on the chain: the wallet's, and the bundle's holding (which `input`
    /// only moved in the model's books).
    fn sender_balance(&self, chain: ChainId, token: TokenId) -> U256 {
        let wallet = self
            .world
            .wallet_balance(self.chain_name(chain), self.token_name(token));
        // Two u128 always add up within 256 bits.
        U256::from_u128(wallet)
            .checked_add(U256::from_u128(self.holding_of(chain, token)))
            .unwrap_or(U256::ZERO)
    }

    /// The sender's balance of `token` on `chain` as the EVM stores it, if
    /// the open transaction is on that chain and `token` is an ERC-20
    /// token (the native coin is no token's storage): as the
    /// transaction's last write of it left it, else as the world holds it.
    fn stored_balance(&self, chain: ChainId, token: TokenId) -> Option<U256> {
        let tx = self.tx.as_ref()?;
        if tx.chain != chain || crate::registry::is_native_coin(self.token_name(token)) {
            return None;
        }
        tx.balances
            .writes
            .current(&token)
            .or_else(|| Some(self.sender_balance(chain, token)))
    }

    /// `take_holding`, and the write of the sender's balance the EVM makes
    /// for it, which its row `charged` for (`BalanceWrites::write`): what
    /// the write costs beyond that is the call's.
    pub(super) fn pay(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: u128,
        why: &str,
        charged: Charged,
    ) -> CallResult<()> {
        let before = self.stored_balance(chain, token);
        self.take_holding(chain, token, amount, why)?;
        let after = before.and_then(|b| b.checked_sub(U256::from_u128(amount)));
        self.balance_written(token, before.zip(after), charged);
        Ok(())
    }

    /// `add_holding`, and the write of the sender's balance the EVM makes
    /// for it (`pay`). Holdings that arrive on another chain (a bridge's
    /// release) are the bridge's transaction there, not the sender's.
    pub(super) fn receive(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: u128,
        charged: Charged,
    ) -> CallResult<()> {
        let before = self.stored_balance(chain, token);
        self.add_holding(chain, token, amount)?;
        let after = before.and_then(|b| b.checked_add(U256::from_u128(amount)));
        self.balance_written(token, before.zip(after), charged);
        Ok(())
    }

    /// Meters a write of the sender's balance of `token` from one value to
    /// another (`None`: no write of a token's storage).
    fn balance_written(&mut self, token: TokenId, moved: Option<(U256, U256)>, charged: Charged) {
        let Some((before, after)) = moved else {
            return;
        };
        let schedule = &self.schedule;
        if let Some(tx) = self.tx.as_mut() {
            let added = tx
                .balances
                .writes
                .write(schedule, token, before, after, charged);
            tx.balances.call += added;
        }
    }

    /// Meters a withdrawal at `protocol` on `chain` that left none of the
    /// deposit (`BalanceWrites::deposit_emptied`), on the position the
    /// schedule charged it on.
    pub(super) fn deposit_emptied(&mut self, chain: ChainId, protocol: ProtocolId) {
        let owes = self.positions.owes_anything(&(chain, protocol));
        let schedule = &self.schedule;
        if let Some(tx) = self.tx.as_mut() {
            tx.balances.call += tx.balances.writes.deposit_emptied(schedule, owes);
        }
    }

    /// How a lender call on `protocol`'s reserve of `token` is charged its
    /// write of the sender's balance: as a later one when an earlier call
    /// of the transaction acted on the reserve (`lender_warm_reserve`,
    /// measured on such a write).
    pub(super) fn reserve_write(&self, protocol: ProtocolId, token: TokenId) -> Charged {
        match &self.tx {
            Some(tx)
                if tx
                    .meter
                    .acted_on(&Account::Pool(protocol), &Account::Token(token)) =>
            {
                Charged::Again
            }
            _ => Charged::First,
        }
    }

    pub(super) fn no_open_tx(&self, what: &str) -> CallResult<()> {
        if self.tx.is_some() {
            return Err(self.revert_value(format!("{what} inside an open transaction")));
        }
        Ok(())
    }

    /// Starts a group of parallel branches; the first branch starts now.
    pub fn begin_parallel(&mut self) -> CallResult<()> {
        self.step(|s| {
            s.no_open_tx("a parallel group begins")?;
            s.parallel.push(ParallelFrame {
                start: s.clock,
                longest_end: s.clock,
                start_ms: s.elapsed_ms,
                longest_end_ms: s.elapsed_ms,
            });
            Ok(())
        })
    }

    /// Ends one branch and starts the next one from the group's start time.
    pub fn next_branch(&mut self) -> CallResult<()> {
        self.step(|s| {
            s.no_open_tx("a parallel branch ends")?;
            let (clock, elapsed) = (s.clock, s.elapsed_ms);
            let Some(frame) = s.parallel.last_mut() else {
                return Err(s.revert_value("no parallel group is open"));
            };
            frame.longest_end = frame.longest_end.max(clock);
            frame.longest_end_ms = later(frame.longest_end_ms, elapsed);
            s.clock = frame.start;
            s.elapsed_ms = frame.start_ms;
            Ok(())
        })
    }

    /// Ends the group: it took as long as its longest branch.
    pub fn end_parallel(&mut self) -> CallResult<()> {
        self.step(|s| {
            s.no_open_tx("a parallel group ends")?;
            let Some(frame) = s.parallel.pop() else {
                return Err(s.revert_value("no parallel group is open"));
            };
            s.clock = frame.longest_end.max(s.clock);
            s.elapsed_ms = later(frame.longest_end_ms, s.elapsed_ms);
            Ok(())
        })
    }

    pub(super) fn open_tx(&self, what: &str) -> CallResult<(ChainId, Sender)> {
        match &self.tx {
            Some(tx) => Ok((tx.chain, tx.meter.sender())),
            None => Err(self.revert_value(format!("{what} needs an open transaction"))),
        }
    }

    /// Meters one call to `account` (`TxMeter::call`).
    pub(super) fn meter_call(&mut self, account: Account, op_gas: u64) -> CallResult<u64> {
        self.meter_with(|meter, schedule| meter.call(schedule, account, op_gas))
    }

    /// Meters one call to `account` that moves a token
    /// (`TxMeter::call_moving`).
    pub(super) fn meter_call_moving(
        &mut self,
        account: Account,
        op_gas: u64,
        moves: Moves<Account>,
    ) -> CallResult<u64> {
        self.meter_with(|meter, schedule| meter.call_moving(schedule, account, op_gas, moves))
    }

    /// Meters a lender call on `protocol`'s pool other than a flash loan:
    /// `operation` of `token`'s contract as `sender` makes it, on the
    /// user's position there (`Positions`), after the transaction's
    /// earlier lender calls (`TxMeter::lender_call`), the pool paying the
    /// token out (a borrow, a withdrawal) or pulling it in (a deposit, a
    /// repay).
    pub(super) fn meter_pool_call(
        &mut self,
        chain: ChainId,
        sender: Sender,
        protocol: ProtocolId,
        token: TokenId,
        operation: fn(TokenContract) -> Operation<'static>,
    ) -> CallResult<u64> {
        let op = operation(self.token_contract(chain, token));
        let row = self.schedule.operation(sender, &op);
        let on = self
            .positions
            .call(&self.schedule, (chain, protocol), &op, token, row);
        let call = LenderCall {
            pool: Account::Pool(protocol),
            asset: Account::Token(token),
            valued: on
                .valued
                .into_iter()
                .map(|(token, held)| (Account::Token(token), held))
                .collect(),
        };
        let moves = Moves::of(&op, Account::Token(token));
        self.meter_with(|meter, schedule| meter.lender_call(schedule, call, on.gas, moves))
    }

    /// Meters an approval of `spender` for `token` (`TxMeter::approve_call`).
    pub(super) fn meter_approve(
        &mut self,
        token: TokenId,
        spender: Account,
        contract: TokenContract,
        op_gas: u64,
    ) -> CallResult<u64> {
        self.meter_with(|meter, schedule| {
            meter.approve_call(schedule, Account::Token(token), spender, contract, op_gas)
        })
    }

    /// Meters a flash loan's call to `pool` lending `token`
    /// (`TxMeter::flash_loan_call`).
    pub(super) fn meter_flash_loan(
        &mut self,
        pool: ProtocolId,
        token: TokenId,
        contract: TokenContract,
        op_gas: u64,
    ) -> CallResult<u64> {
        self.meter_with(|meter, schedule| {
            meter.flash_loan_call(
                schedule,
                Account::Pool(pool),
                op_gas,
                &[(Account::Token(token), contract)],
            )
        })
    }

    /// Meters a further asset of a multi-asset flash loan
    /// (`TxMeter::flash_loan_asset`).
    pub(super) fn meter_flash_loan_asset(
        &mut self,
        pool: ProtocolId,
        token: TokenId,
        contract: TokenContract,
        gas: u64,
    ) -> u64 {
        let schedule = &self.schedule;
        self.tx.as_mut().map_or(0, |tx| {
            tx.meter.flash_loan_asset(
                schedule,
                &Account::Pool(pool),
                &Account::Token(token),
                contract,
                gas,
            )
        })
    }

    /// A flash loan's repayment: the pool pulls it inside the loan
    /// (`TxMeter::flash_loan_repaid`).
    pub(super) fn meter_flash_loan_repaid(&mut self, pool: ProtocolId, token: TokenId) {
        if let Some(tx) = self.tx.as_mut() {
            tx.meter
                .flash_loan_repaid(&Account::Pool(pool), &Account::Token(token));
        }
    }

    /// One call metered by `call` on the open transaction's meter.
    fn meter_with(
        &mut self,
        call: impl FnOnce(&mut Meter, &crate::gas::GasSchedule) -> Result<u64, SecondWalletCall>,
    ) -> CallResult<u64> {
        let loc = self.loc;
        let Some(tx) = self.tx.as_mut() else {
            return Err(Revert {
                reason: "internal error: a call metered outside a transaction".into(),
                loc,
            });
        };
        call(&mut tx.meter, &self.schedule).map_err(|SecondWalletCall| Revert {
            reason:
                "a wallet transaction makes one call; open another transaction, or use the executor"
                    .into(),
            loc,
        })
    }

    /// Meters a further transfer of a shared bridge message to `bridge`
    /// (`TxMeter::batch_entry`).
    pub(super) fn meter_batch_entry(
        &mut self,
        token: TokenId,
        bridge: BridgeKind,
        contract: TokenContract,
        second: bool,
    ) -> u64 {
        let schedule = &self.schedule;
        self.tx.as_mut().map_or(0, |tx| {
            tx.meter.batch_entry(
                schedule,
                Account::Token(token),
                &Account::Bridge(bridge),
                contract,
                second,
            )
        })
    }

    pub(super) fn record(&mut self, what: Call, gas: u64) {
        let loc = self.loc;
        if let Some(tx) = self.tx.as_mut() {
            let gas = with_balances(gas, tx.balances.call);
            tx.balances.call = 0;
            tx.calls.push(CallRecord { what, gas, loc });
        }
    }
}

impl Balances {
    /// What the writes added to the transaction's gas, `charged` by the
    /// rows, once the refunds the cap refuses are given back.
    fn settled(&self, schedule: &crate::gas::GasSchedule, charged: u64) -> i128 {
        let refunds = self.writes.refunds(schedule, charged);
        self.writes.added() + i128::from(refunds.refused)
    }

    /// The gas of the open transaction so far with what `charged` leaves
    /// out.
    pub(super) fn on(&self, charged: u64) -> u64 {
        with_balances(charged, self.writes.added())
    }
}

/// `gas` and what the balance writes added to it (never below zero: a
/// refund takes off at most a fifth of a transaction's gas).
fn with_balances(gas: u64, added: i128) -> u64 {
    u64::try_from((i128::from(gas) + added).max(0)).unwrap_or(u64::MAX)
}
