//! The metering of one transaction: what the schedule's rows charge each
//! call, given what the calls before it in the transaction left warm.

use super::{GasSchedule, Operation, Reserve, Sender, TokenContract};

/// A wallet transaction asked to make a second call: it makes exactly one
/// (its `to`); more calls need another transaction or the executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondWalletCall;

/// What a call does with a token besides calling its own account: each row
/// was measured with that token's account cold, so a call that finds it
/// warm costs less (docs/gas.md, "Warm tokens and approvals").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moves<A> {
    /// No token besides the called account (an approval, a transfer, a
    /// wrap).
    Nothing,
    /// The called contract sends the token out (a pair's output, a pool's
    /// payout of a borrow or a withdrawal).
    Sends(A),
    /// The called contract pulls the token from the sender under the
    /// sender's approval (a deposit, a repay, a bridge's lock).
    Pulls(A, TokenContract),
}

impl<A> Moves<A> {
    /// What `operation` does with `token`, the account of the token it
    /// moves: a pool's payout of a borrow, a withdrawal or a flash loan
    /// sends it; a deposit, a repay and a bridge's lock pull it; an
    /// approval, a swap through the router and a wrap move none besides
    /// the one they call.
    pub fn of(operation: &Operation<'_>, token: A) -> Moves<A> {
        match operation {
            Operation::Borrow { .. } | Operation::Withdraw { .. } | Operation::FlashLoan { .. } => {
                Moves::Sends(token)
            }
            Operation::Deposit { token: contract }
            | Operation::Repay { token: contract }
            | Operation::Bridge {
                token: contract, ..
            } => Moves::Pulls(token, *contract),
            Operation::Approve { .. }
            | Operation::Swap { .. }
            | Operation::Wrap
            | Operation::Unwrap => Moves::Nothing,
        }
    }
}

/// A flash loan taken in the transaction and not yet repaid: the pool will
/// pull `token` back inside the loan.
#[derive(Clone, Debug)]
struct OpenFlashLoan<A> {
    token: A,
    pool: A,
    /// Whether an approval already counted the repayment's pull as one
    /// under an approval made in the transaction.
    approved: bool,
}

/// The metering of one transaction (docs/gas.md): its base cost, then each
/// call as its sender makes it, with cold and warm accesses, a pair's
/// oracle update on its first swap in the transaction, and what a call
/// saves on a token an earlier call reached or approved. Generic over what
/// names an account (`A`) and a pair (`P`): the session meters the
/// accounts a run touches, and the compiler the ones a program names, with
/// this one set of rules, so static and metered gas cannot drift apart.
#[derive(Clone, Debug)]
pub struct TxMeter<A, P> {
    sender: Sender,
    gas: u64,
    /// Calls that reached a contract (a wallet transaction makes one).
    contract_calls: usize,
    /// The accounts touched so far: a later access is warm.
    warm: Vec<A>,
    /// The pairs swapped on so far: a later swap updates no oracle.
    swapped: Vec<P>,
    /// The pools a flash loan was taken from so far: a later one finds
    /// them warm.
    flash_pools: Vec<A>,
    /// The approvals made so far, `(token, spender)`: a later pull by the
    /// spender finds the allowance warm and written.
    approvals: Vec<(A, A)>,
    /// The flash loans taken and not yet repaid.
    open_loans: Vec<OpenFlashLoan<A>>,
    /// The pools a lender call of any kind called so far: a later call
    /// other than a flash loan finds the pool's logic and configuration
    /// warm.
    lender_pools: Vec<A>,
    /// The reserves `(pool, token)` a lender call acted on so far (its own
    /// asset), and those a valuation read (a borrow's or a withdrawal's
    /// other reserves) with what the account held in each.
    acted: Vec<(A, A)>,
    valued: Vec<((A, A), Reserve)>,
}

/// A lender call other than a flash loan, for [`TxMeter::lender_call`]:
/// the pool, the asset it acts on, and the other reserves its valuation of
/// the position reads (a borrow's, a withdrawal's with debt), each with
/// what the account holds in it.
#[derive(Clone, Debug)]
pub struct LenderCall<A> {
    pub pool: A,
    pub asset: A,
    pub valued: Vec<(A, Reserve)>,
}

impl<A: PartialEq + Clone, P: PartialEq> TxMeter<A, P> {
    /// A transaction from `sender`, charged its base cost (and the
    /// executor's own, when the executor sends it).
    pub fn new(schedule: &GasSchedule, sender: Sender) -> Self {
        let own = match sender {
            Sender::Wallet => 0,
            Sender::Executor => schedule.executor_transaction,
        };
        TxMeter {
            sender,
            gas: schedule.tx_base.saturating_add(own),
            contract_calls: 0,
            warm: Vec::new(),
            swapped: Vec::new(),
            flash_pools: Vec::new(),
            approvals: Vec::new(),
            open_loans: Vec::new(),
            lender_pools: Vec::new(),
            acted: Vec::new(),
            valued: Vec::new(),
        }
    }

    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// The transaction's gas so far, base included.
    pub fn gas(&self) -> u64 {
        self.gas
    }

    /// Whether `account` is touched now for the first time in the
    /// transaction (it is warm from then on).
    fn touch(&mut self, account: A) -> bool {
        if self.warm.contains(&account) {
            return false;
        }
        self.warm.push(account);
        true
    }

    /// What a call saves on `token`, an account its row measured cold:
    /// the difference of a warm access when an earlier call reached it.
    fn reach(&mut self, schedule: &GasSchedule, token: A) -> u64 {
        if self.touch(token) {
            0
        } else {
            schedule.warm_token_saving()
        }
    }

    /// Refuses a wallet transaction's second call before any state of the
    /// meter changes: a wallet transaction makes one.
    fn one_wallet_call(&self) -> Result<(), SecondWalletCall> {
        if self.sender == Sender::Wallet && self.contract_calls > 0 {
            Err(SecondWalletCall)
        } else {
            Ok(())
        }
    }

    /// What a pull of `token` (of `contract`) by `spender` saves under an
    /// approval of `spender` for it made earlier in the transaction.
    fn approved_saving(
        &self,
        schedule: &GasSchedule,
        token: &A,
        spender: &A,
        contract: TokenContract,
    ) -> u64 {
        if self.approved(token, spender) {
            schedule.approved_pull(contract)
        } else {
            0
        }
    }

    /// Whether the sender approved `spender` for `token` earlier in the
    /// transaction.
    fn approved(&self, token: &A, spender: &A) -> bool {
        self.approvals
            .iter()
            .any(|(t, s)| t == token && s == spender)
    }

    /// One call to `account` whose operation costs `op_gas`; returns what
    /// the call is charged. From the wallet the call is the transaction's
    /// `to`, warm, and its only one; from the executor it adds dispatch,
    /// its address word and an access to `account`.
    pub fn call(
        &mut self,
        schedule: &GasSchedule,
        account: A,
        op_gas: u64,
    ) -> Result<u64, SecondWalletCall> {
        let inside = !self.open_loans.is_empty();
        self.charge(schedule, account, op_gas, inside)
    }

    /// [`Self::call`], `inside` a flash loan's callback or not: an
    /// executor's inner call there costs `flash_callback_call` more.
    fn charge(
        &mut self,
        schedule: &GasSchedule,
        account: A,
        op_gas: u64,
        inside: bool,
    ) -> Result<u64, SecondWalletCall> {
        self.one_wallet_call()?;
        let first_touch = self.touch(account);
        let callback = if inside {
            schedule.flash_callback_call
        } else {
            0
        };
        let gas = match self.sender {
            Sender::Wallet => op_gas,
            Sender::Executor => schedule
                .executor_call_overhead()
                .saturating_add(schedule.account_access(first_touch))
                .saturating_add(callback)
                .saturating_add(op_gas),
        };
        self.contract_calls += 1;
        self.gas = self.gas.saturating_add(gas);
        Ok(gas)
    }

    /// A call to `account` whose operation costs `op_gas` and `moves` a
    /// token: metered as [`Self::call`], less a warm access when an
    /// earlier call reached the token, and less
    /// [`GasSchedule::approved_pull`] for a pull under an approval of
    /// `account` made earlier in the transaction.
    pub fn call_moving(
        &mut self,
        schedule: &GasSchedule,
        account: A,
        op_gas: u64,
        moves: Moves<A>,
    ) -> Result<u64, SecondWalletCall> {
        self.one_wallet_call()?;
        let saving = match moves {
            Moves::Nothing => 0,
            Moves::Sends(token) => self.reach(schedule, token),
            Moves::Pulls(token, contract) => {
                let approved = self.approved_saving(schedule, &token, &account, contract);
                self.reach(schedule, token).saturating_add(approved)
            }
        };
        self.call(schedule, account, op_gas.saturating_sub(saving))
    }

    /// An approval of `spender` for `token` (of `contract`), whose
    /// operation costs `op_gas`, metered as [`Self::call`] on the token. A
    /// flash loan of the token from `spender` still open will be repaid by
    /// the pool's pull under this approval, inside the loan's own row: the
    /// approval is charged that pull's saving.
    pub fn approve_call(
        &mut self,
        schedule: &GasSchedule,
        token: A,
        spender: A,
        contract: TokenContract,
        op_gas: u64,
    ) -> Result<u64, SecondWalletCall> {
        self.one_wallet_call()?;
        let repayment = self
            .open_loans
            .iter_mut()
            .find(|l| !l.approved && l.token == token && l.pool == spender);
        let saving = match repayment {
            Some(loan) => {
                loan.approved = true;
                schedule.approved_pull(contract)
            }
            None => 0,
        };
        if !self.approved(&token, &spender) {
            self.approvals.push((token.clone(), spender));
        }
        self.call(schedule, token, op_gas.saturating_sub(saving))
    }

    /// A flash loan from `pool` of `tokens` whose operation costs `op_gas`,
    /// metered as [`Self::call_moving`] meters a call that sends each
    /// token, less `flash_loan_warm_pool` when an earlier flash loan from
    /// the same pool in the transaction left the pool's logic and
    /// configuration warm, and less a pull's saving for each token already
    /// approved to the pool in the transaction.
    pub fn flash_loan_call(
        &mut self,
        schedule: &GasSchedule,
        pool: A,
        op_gas: u64,
        tokens: &[(A, TokenContract)],
    ) -> Result<u64, SecondWalletCall> {
        self.one_wallet_call()?;
        let inside = !self.open_loans.is_empty();
        let mut saving = if self.flash_pools.contains(&pool) {
            schedule.flash_loan_warm_pool
        } else {
            self.flash_pools.push(pool.clone());
            0
        };
        for (token, contract) in tokens {
            saving = saving.saturating_add(self.lend(schedule, &pool, token, *contract));
        }
        self.lender_pool(&pool);
        self.charge(schedule, pool, op_gas.saturating_sub(saving), inside)
    }

    /// Whether an earlier lender call of the transaction called `pool`;
    /// it has from now on.
    fn lender_pool(&mut self, pool: &A) -> bool {
        if self.lender_pools.contains(pool) {
            true
        } else {
            self.lender_pools.push(pool.clone());
            false
        }
    }

    /// A lender call other than a flash loan, whose operation costs
    /// `op_gas` on its position and `moves` a token, metered as
    /// [`Self::call_moving`], less what the lender calls before it in the
    /// transaction left warm (docs/gas.md, "Lender calls in one
    /// transaction"): the pool's logic and configuration
    /// (`lender_warm_pool`), its asset's reserve if an earlier call acted
    /// on it (`lender_warm_reserve`) or valued it
    /// ([`GasSchedule::lender_valued`], by what the account held in it
    /// then), and each reserve its valuation reads that an earlier call
    /// acted on or valued ([`GasSchedule::lender_warm_valuation`]).
    pub fn lender_call(
        &mut self,
        schedule: &GasSchedule,
        call: LenderCall<A>,
        op_gas: u64,
        moves: Moves<A>,
    ) -> Result<u64, SecondWalletCall> {
        self.one_wallet_call()?;
        let LenderCall {
            pool,
            asset,
            valued,
        } = call;
        let mut saving = 0u64;
        if self.lender_pool(&pool) {
            saving = saving.saturating_add(schedule.lender_warm_pool);
        }
        let reserve = (pool.clone(), asset);
        if self.acted.contains(&reserve) {
            saving = saving.saturating_add(schedule.lender_warm_reserve);
        } else if let Some(held) = self.valued_as(&reserve) {
            saving = saving.saturating_add(schedule.lender_valued(held));
        }
        for (token, held) in valued {
            let other = (pool.clone(), token);
            if self.acted.contains(&other) || self.valued_as(&other).is_some() {
                saving = saving.saturating_add(schedule.lender_warm_valuation(held));
            } else {
                self.valued.push((other, held));
            }
        }
        if !self.acted.contains(&reserve) {
            self.acted.push(reserve);
        }
        self.call_moving(schedule, pool, op_gas.saturating_sub(saving), moves)
    }

    /// Whether a lender call of the transaction acted on `pool`'s reserve
    /// of `token` (a later one is charged `lender_warm_reserve`).
    pub fn acted_on(&self, pool: &A, token: &A) -> bool {
        self.acted.iter().any(|(p, t)| p == pool && t == token)
    }

    /// What the account held in `reserve` when an earlier valuation of the
    /// transaction first read it, if one did.
    fn valued_as(&self, reserve: &(A, A)) -> Option<Reserve> {
        self.valued
            .iter()
            .find(|(r, _)| r == reserve)
            .map(|(_, held)| *held)
    }

    /// A further asset of a multi-asset flash loan from `pool`, costing
    /// `gas` beyond the loan's call, with no access of its own: `token` is
    /// paid out and pulled back as in [`Self::flash_loan_call`].
    pub fn flash_loan_asset(
        &mut self,
        schedule: &GasSchedule,
        pool: &A,
        token: &A,
        contract: TokenContract,
        gas: u64,
    ) -> u64 {
        let gas = gas.saturating_sub(self.lend(schedule, pool, token, contract));
        self.gas = self.gas.saturating_add(gas);
        gas
    }

    /// Opens the flash loan of `token` from `pool`; returns what its payout
    /// and its repayment save: a warm access if an earlier call reached
    /// the token, a pull's saving if the pool is already approved for it.
    fn lend(
        &mut self,
        schedule: &GasSchedule,
        pool: &A,
        token: &A,
        contract: TokenContract,
    ) -> u64 {
        let pull = self.approved_saving(schedule, token, pool, contract);
        let reserve = (pool.clone(), token.clone());
        if !self.acted.contains(&reserve) {
            self.acted.push(reserve);
        }
        self.open_loans.push(OpenFlashLoan {
            token: token.clone(),
            pool: pool.clone(),
            approved: self.approved(token, pool),
        });
        self.reach(schedule, token.clone()).saturating_add(pull)
    }

    /// The flash loan of `token` from `pool` is repaid (the pool's pull is
    /// inside the loan's row): a later approval is no longer its.
    pub fn flash_loan_repaid(&mut self, pool: &A, token: &A) {
        if let Some(i) = self
            .open_loans
            .iter()
            .position(|l| l.token == *token && l.pool == *pool)
        {
            self.open_loans.remove(i);
        }
    }

    /// The operation gas of a direct swap through `pair`: the pair's swap,
    /// plus its price-oracle update if this is its first swap in the
    /// transaction, less `return_balance_saving` when it `pays_back` the
    /// token the path started with, into the sender's balance the path's
    /// first transfer wrote. (The call itself is then metered with
    /// [`Self::call_moving`], the pair sending out its output.)
    /// `token_out` is what the pair sends out.
    pub fn pair_swap(
        &mut self,
        schedule: &GasSchedule,
        pair: P,
        token_out: TokenContract,
        pays_back: bool,
    ) -> u64 {
        let swap = schedule.pair_swap_of(token_out);
        let swap = if pays_back {
            swap.saturating_sub(schedule.return_balance_saving)
        } else {
            swap
        };
        if self.swapped.contains(&pair) {
            swap
        } else {
            self.swapped.push(pair);
            swap.saturating_add(schedule.pair_oracle_update)
        }
    }

    /// A further transfer of a shared bridge message to `bridge`: its
    /// entry (with the message's encoding when it is the `second`
    /// transfer), an access to its token (`token`, of `contract`), cold on
    /// first touch, and a pull's saving when the sender approved the
    /// bridge for it earlier in the transaction.
    pub fn batch_entry(
        &mut self,
        schedule: &GasSchedule,
        token: A,
        bridge: &A,
        contract: TokenContract,
        second: bool,
    ) -> u64 {
        let approved = self.approved_saving(schedule, &token, bridge, contract);
        let first_touch = self.touch(token);
        let gas = schedule
            .bridge_batch_extra(contract, second)
            .saturating_sub(approved)
            .saturating_add(schedule.account_access(first_touch));
        self.gas = self.gas.saturating_add(gas);
        gas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_meters_cold_then_warm_and_one_oracle_update_per_pair() {
        let s = GasSchedule::default();
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        assert_eq!(tx.gas(), 21_000 + 1_274);
        let overhead = s.executor_call_overhead();
        assert_eq!(tx.call(&s, "USDC", 25_540), Ok(overhead + 2_600 + 25_540));
        assert_eq!(tx.call(&s, "USDC", 25_540), Ok(overhead + 100 + 25_540));
        let erc20 = TokenContract::MintableErc20;
        let weth9 = TokenContract::Weth9;
        assert_eq!(
            tx.pair_swap(&s, "USDC/WETH", weth9, false),
            37_500 - 304 + 10_416
        );
        assert_eq!(tx.pair_swap(&s, "USDC/WETH", erc20, false), 37_500);
        assert_eq!(tx.pair_swap(&s, "DAI/WETH", erc20, false), 37_500 + 10_416);
        // The last hop of a path back to its first token.
        assert_eq!(
            tx.pair_swap(&s, "DAI/USDC", erc20, true),
            37_500 + 10_416 - 4_800
        );
        // A batch entry's token access is warm after a call touched it.
        assert_eq!(
            tx.batch_entry(&s, "USDC", &"zk", erc20, true),
            s.bridge_batch_extra(erc20, true) + 100
        );
        assert_eq!(
            tx.batch_entry(&s, "DAI", &"zk", weth9, false),
            s.bridge_batch_extra(weth9, false) + 2_600
        );
        let calls = [
            overhead + 2_600 + 25_540,
            overhead + 100 + 25_540,
            25_864 + 1_267 + 100,
            25_864 - 5_532 + 2_600,
        ];
        assert_eq!(tx.gas(), 21_000 + 1_274 + calls.iter().sum::<u64>());
    }

    #[test]
    fn a_second_flash_loan_from_a_pool_finds_it_warm() {
        let s = GasSchedule::default();
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        let overhead = s.executor_call_overhead();
        assert_eq!(
            tx.flash_loan_call(&s, "aave", 120_000, &[]),
            Ok(overhead + 2_600 + 120_000)
        );
        assert_eq!(
            tx.flash_loan_call(&s, "aave", 120_000, &[]),
            Ok(overhead + 100 + 120_000 - 16_569)
        );
        // Another pool is cold and pays the whole loan.
        assert_eq!(
            tx.flash_loan_call(&s, "other", 120_000, &[]),
            Ok(overhead + 2_600 + 120_000)
        );
    }

    #[test]
    fn a_wallet_transaction_makes_one_call_with_no_overhead() {
        let s = GasSchedule::default();
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Wallet);
        assert_eq!(tx.call(&s, "aave", 140_000), Ok(140_000));
        assert_eq!(tx.call(&s, "aave", 140_000), Err(SecondWalletCall));
        assert_eq!(tx.gas(), 21_000 + 140_000);
        assert_eq!(tx.sender(), Sender::Wallet);
    }

    #[test]
    fn a_pull_right_after_its_approval_finds_the_token_and_the_allowance_warm() {
        let s = GasSchedule::default();
        let overhead = s.executor_call_overhead();
        for (contract, approved) in [
            (TokenContract::MintableErc20, 4_809),
            (TokenContract::Weth9, 2_009),
        ] {
            let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
            assert_eq!(
                tx.approve_call(&s, "T", "bridge", contract, 25_000),
                Ok(overhead + 2_600 + 25_000)
            );
            assert_eq!(
                tx.call_moving(&s, "bridge", 36_000, Moves::Pulls("T", contract)),
                Ok(overhead + 2_600 + 36_000 - 2_500 - approved)
            );
            // A puller the sender did not approve here only finds the
            // token warm.
            assert_eq!(
                tx.call_moving(&s, "pool", 119_000, Moves::Pulls("T", contract)),
                Ok(overhead + 2_600 + 119_000 - 2_500)
            );
            // A payout finds the token warm; nothing is pulled.
            assert_eq!(
                tx.call_moving(&s, "pool", 127_000, Moves::Sends("T")),
                Ok(overhead + 100 + 127_000 - 2_500)
            );
            // A token no call reached yet is cold, as its row measured it.
            assert_eq!(
                tx.call_moving(&s, "pool", 127_000, Moves::Sends("U")),
                Ok(overhead + 100 + 127_000)
            );
        }
    }

    #[test]
    fn each_operation_moves_its_token_one_way() {
        let (erc20, weth9) = (TokenContract::MintableErc20, TokenContract::Weth9);
        let route = crate::registry::Registry::default_registry().routes[0].clone();
        let of = |op: Operation| Moves::of(&op, "T");
        assert_eq!(
            of(Operation::Deposit { token: erc20 }),
            Moves::Pulls("T", erc20)
        );
        assert_eq!(
            of(Operation::Repay { token: weth9 }),
            Moves::Pulls("T", weth9)
        );
        assert_eq!(
            of(Operation::Bridge {
                route: &route,
                token: erc20
            }),
            Moves::Pulls("T", erc20)
        );
        for op in [
            Operation::Borrow { token: erc20 },
            Operation::Withdraw { token: erc20 },
            Operation::FlashLoan { tokens: &[erc20] },
        ] {
            assert_eq!(of(op), Moves::Sends("T"));
        }
        for op in [
            Operation::Approve { token: erc20 },
            Operation::Swap {
                path: &[erc20, weth9],
                returns: false,
            },
            Operation::Wrap,
            Operation::Unwrap,
        ] {
            assert_eq!(of(op), Moves::Nothing);
        }
    }

    #[test]
    fn a_lender_call_finds_the_pool_and_the_reserves_earlier_calls_read_warm() {
        let s = GasSchedule::default();
        let overhead = s.executor_call_overhead();
        let call = |asset: &'static str, valued: &[(&'static str, Reserve)]| LenderCall {
            pool: "aave",
            asset,
            valued: valued.to_vec(),
        };
        let supplied = Reserve {
            supplied: true,
            owed: false,
        };
        let owed = Reserve {
            supplied: false,
            owed: true,
        };
        let both = Reserve {
            supplied: true,
            owed: true,
        };
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        // The first call on the pool reads it, and its reserve, cold.
        assert_eq!(
            tx.lender_call(&s, call("DAI", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 2_600 + 100_000)
        );
        // Another reserve: the pool is warm.
        assert_eq!(
            tx.lender_call(&s, call("USDC", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 100 + 100_000 - 17_021)
        );
        // The same reserve again: warm and written.
        assert_eq!(
            tx.lender_call(&s, call("USDC", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 100 + 100_000 - 17_021 - 66_828)
        );
        // A borrow of WETH valuing DAI (acted on, supplied) and WBTC (not
        // yet, owed) and LINK (not yet, supplied and owed).
        let valued = [("DAI", supplied), ("WBTC", owed), ("LINK", both)];
        assert_eq!(
            tx.lender_call(&s, call("WETH", &valued), 200_000, Moves::Nothing),
            Ok(overhead + 100 + 200_000 - 17_021 - s.lender_warm_supplied_valuation)
        );
        // A repay of WBTC and one of LINK, which that valuation read, each
        // saving by what the account held in it.
        assert_eq!(
            tx.lender_call(&s, call("WBTC", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 100 + 100_000 - 17_021 - s.lender_valued_owed_reserve)
        );
        assert_eq!(
            tx.lender_call(&s, call("LINK", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 100 + 100_000 - 17_021 - s.lender_valued_supplied_owed_reserve)
        );
        // A borrow valuing WBTC (acted on since, owed) and LINK (supplied
        // and owed) again.
        let valued = [("WBTC", owed), ("LINK", both)];
        assert_eq!(
            tx.lender_call(&s, call("DAI", &valued), 200_000, Moves::Nothing),
            Ok(overhead + 100 + 200_000
                - 17_021
                - 66_828
                - s.lender_warm_owed_valuation
                - s.lender_warm_supplied_owed_valuation)
        );
        // A flash loan keeps its own rule, and makes its token a reserve
        // acted on.
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        let erc20 = TokenContract::MintableErc20;
        assert_eq!(
            tx.flash_loan_call(&s, "aave", 120_000, &[("WETH", erc20)]),
            Ok(overhead + 2_600 + 120_000)
        );
        // Inside the loan's callback, which costs the call 1,763 more.
        assert_eq!(
            tx.lender_call(&s, call("WETH", &[]), 100_000, Moves::Nothing),
            Ok(overhead + 100 + 1_763 + 100_000 - 17_021 - 66_828)
        );
    }

    #[test]
    fn a_flash_loans_repayment_is_a_pull_under_the_approval_made_inside_it() {
        let s = GasSchedule::default();
        let overhead = s.executor_call_overhead();
        let erc20 = TokenContract::MintableErc20;
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        assert_eq!(
            tx.flash_loan_call(&s, "aave", 120_000, &[("USDC", erc20)]),
            Ok(overhead + 2_600 + 120_000)
        );
        // The approval for the repayment, inside the loan's callback: the
        // token is warm (the loan paid it out), and the pool's pull inside
        // the loan will find the allowance written.
        assert_eq!(
            tx.approve_call(&s, "USDC", "aave", erc20, 25_540),
            Ok(overhead + 100 + 1_763 + 25_540 - 4_809)
        );
        // Once: a second approval gives the repayment nothing more.
        assert_eq!(
            tx.approve_call(&s, "USDC", "aave", erc20, 25_540),
            Ok(overhead + 100 + 1_763 + 25_540)
        );
        tx.flash_loan_repaid(&"aave", &"USDC");
        // An approval made before a loan counts for its repayment at once.
        let mut tx: TxMeter<&str, &str> = TxMeter::new(&s, Sender::Executor);
        assert_eq!(
            tx.approve_call(&s, "DAI", "aave", erc20, 25_540),
            Ok(overhead + 2_600 + 25_540)
        );
        assert_eq!(
            tx.flash_loan_call(&s, "aave", 120_000, &[("DAI", erc20)]),
            Ok(overhead + 2_600 + 120_000 - 2_500 - 4_809)
        );
        assert_eq!(
            tx.flash_loan_asset(&s, &"aave", &"WETH", TokenContract::Weth9, 100_000),
            100_000
        );
        // After the repayment, an approval is no longer the loan's; the
        // DAI loan is still open, so it is made in a callback.
        tx.flash_loan_repaid(&"aave", &"WETH");
        assert_eq!(
            tx.approve_call(&s, "WETH", "aave", TokenContract::Weth9, 25_343),
            Ok(overhead + 100 + 1_763 + 25_343)
        );
        tx.flash_loan_repaid(&"aave", &"DAI");
        assert_eq!(
            tx.approve_call(&s, "USDC", "bridge", erc20, 25_540),
            Ok(overhead + 2_600 + 25_540)
        );
    }
}
