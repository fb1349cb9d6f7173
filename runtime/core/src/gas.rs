//! The gas schedule: data, one named row per figure, each from a public
//! source cited in docs/gas.md. The session meters exactly the calls it is
//! told to make with these rows, so gas is a deterministic function of the
//! sequence of calls, and a compiler can compute it statically with the
//! same schedule (see `GasSchedule::call_cost`).

pub use crate::account::Sender;
use crate::registry::RouteInfo;

/// The gas schedule. Every row is documented, with its source, in
/// docs/gas.md; never tune a row to flatter a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    /// Every transaction's intrinsic cost (yellow paper `G_transaction`).
    pub tx_base: u64,
    /// Calldata, per zero byte (EIP-2028).
    pub calldata_zero_byte: u64,
    /// Calldata, per non-zero byte (EIP-2028).
    pub calldata_nonzero_byte: u64,
    /// First access to an account in a transaction (EIP-2929).
    pub cold_account_access: u64,
    /// Every later access to the same account in the transaction (EIP-2929).
    pub warm_account_access: u64,
    /// The executor's own cost per transaction beyond the base: the call
    /// into it, its owner check, decoding its list of calls.
    pub executor_transaction: u64,
    /// The executor's per-inner-call dispatch, beyond the call's address
    /// word and its account access.
    pub executor_dispatch: u64,
    /// Zero bytes of the address word an executor's batch carries per inner call.
    pub executor_call_zero_bytes: u64,
    /// Non-zero bytes of that address word.
    pub executor_call_nonzero_bytes: u64,
    /// ERC-20 `approve`, without the transaction base.
    pub approve: u64,
    /// Uniswap V2 router `swapExactTokensForTokens`, one hop, without base.
    pub router_swap: u64,
    /// Each further hop of a router swap.
    pub router_extra_hop: u64,
    /// ERC-20 `transfer` into the first pair before a direct swap, without base.
    pub token_transfer: u64,
    /// `UniswapV2Pair.swap` inside the executor's direct swap, after the
    /// transfer into the pair, without the oracle update.
    pub pair_swap: u64,
    /// The extra cost of a pair's first swap in a block (price oracle update).
    pub pair_oracle_update: u64,
    /// Aave V3 `flashLoanSimple`, without base (the pool's pull of the
    /// repayment is inside it).
    pub flash_loan: u64,
    /// What Aave V3's multi-asset `flashLoan` of one asset costs beyond
    /// `flashLoanSimple` of it.
    pub flash_loan_multi_asset: u64,
    /// Each asset of a multi-asset `flashLoan` after the first.
    pub flash_loan_extra_asset: u64,
    /// Aave V3 `borrow` (an ordinary, collateralised loan).
    pub borrow: u64,
    /// Aave V3 `repay`.
    pub repay: u64,
    /// Aave V3 `supply` (`deposit`).
    pub deposit: u64,
    /// Aave V3 `withdraw`.
    pub withdraw: u64,
    /// WETH9 `deposit`: the native coin into its wrapped token, without base.
    pub wrap: u64,
    /// WETH9 `withdraw`: the wrapped token back into the native coin,
    /// without base.
    pub unwrap: u64,
    /// Each transfer after the first of a shared bridge message
    /// (`lockBatch`), before the access to its token: its entry's calldata,
    /// the bridge's pull of the token, its event.
    pub bridge_batch_entry: u64,
    /// What a shared bridge message costs once beyond its entries: the two
    /// arrays' encoding, charged with its second transfer.
    pub bridge_batch_message: u64,
}

/// One protocol operation, as the gas schedule sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation<'a> {
    Approve,
    /// A swap over `hops` pairs (1 for a single swap).
    Swap {
        hops: usize,
    },
    /// A flash loan of `assets` tokens in one call: `flashLoanSimple` for
    /// one, the multi-asset `flashLoan` for more.
    FlashLoan {
        assets: usize,
    },
    Borrow,
    /// Repaying an ordinary loan (a flash loan's repayment costs nothing
    /// beyond the flash-loan row: the pool pulls it).
    Repay,
    Deposit,
    Withdraw,
    Bridge {
        route: &'a RouteInfo,
    },
    /// WETH9 `deposit`.
    Wrap,
    /// WETH9 `withdraw`.
    Unwrap,
}

impl GasSchedule {
    /// Every row by name, in the order docs/gas.md lists them.
    pub fn rows(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("tx_base", self.tx_base),
            ("calldata_zero_byte", self.calldata_zero_byte),
            ("calldata_nonzero_byte", self.calldata_nonzero_byte),
            ("cold_account_access", self.cold_account_access),
            ("warm_account_access", self.warm_account_access),
            ("executor_transaction", self.executor_transaction),
            ("executor_dispatch", self.executor_dispatch),
            ("executor_call_zero_bytes", self.executor_call_zero_bytes),
            (
                "executor_call_nonzero_bytes",
                self.executor_call_nonzero_bytes,
            ),
            ("approve", self.approve),
            ("router_swap", self.router_swap),
            ("router_extra_hop", self.router_extra_hop),
            ("token_transfer", self.token_transfer),
            ("pair_swap", self.pair_swap),
            ("pair_oracle_update", self.pair_oracle_update),
            ("flash_loan", self.flash_loan),
            ("flash_loan_multi_asset", self.flash_loan_multi_asset),
            ("flash_loan_extra_asset", self.flash_loan_extra_asset),
            ("borrow", self.borrow),
            ("repay", self.repay),
            ("deposit", self.deposit),
            ("withdraw", self.withdraw),
            ("wrap", self.wrap),
            ("unwrap", self.unwrap),
            ("bridge_batch_entry", self.bridge_batch_entry),
            ("bridge_batch_message", self.bridge_batch_message),
        ]
    }

    /// The calldata an executor's batch carries for one inner call besides
    /// the call's own data: the target's address word.
    pub fn executor_call_calldata(&self) -> u64 {
        self.executor_call_zero_bytes * self.calldata_zero_byte
            + self.executor_call_nonzero_bytes * self.calldata_nonzero_byte
    }

    /// The fixed cost of one executor inner call, before its account access
    /// and its operation: dispatch and the address word.
    pub fn executor_call_overhead(&self) -> u64 {
        self.executor_dispatch + self.executor_call_calldata()
    }

    /// What a transfer after the first of a shared bridge message costs,
    /// before the access to its token (docs/gas.md, "Shared bridge
    /// messages"): its entry, and the message's own encoding with the
    /// second transfer (`second`).
    pub fn bridge_batch_extra(&self, second: bool) -> u64 {
        if second {
            self.bridge_batch_entry + self.bridge_batch_message
        } else {
            self.bridge_batch_entry
        }
    }

    /// An account access: cold on first touch in a transaction, warm after.
    pub fn account_access(&self, first_touch: bool) -> u64 {
        if first_touch {
            self.cold_account_access
        } else {
            self.warm_account_access
        }
    }

    /// The execution gas of an operation as `sender` performs it, without
    /// the transaction base, the executor call overhead and the account
    /// accesses (which depend on what the transaction touched before), and
    /// without the oracle updates of a direct swap (which depend on which
    /// pairs the transaction swapped on before). `Session` adds those.
    pub fn operation(&self, sender: Sender, op: &Operation<'_>) -> u64 {
        match (sender, op) {
            (_, Operation::Approve) => self.approve,
            (Sender::Wallet, Operation::Swap { hops }) => {
                self.router_swap + self.router_extra_hop * (*hops as u64).saturating_sub(1)
            }
            // Direct: one transfer into the first pair, then one pair swap
            // per hop, each pair sending its output on to the next.
            (Sender::Executor, Operation::Swap { hops }) => {
                self.token_transfer + self.pair_swap * (*hops as u64)
            }
            (_, Operation::FlashLoan { assets }) if *assets <= 1 => self.flash_loan,
            (_, Operation::FlashLoan { assets }) => self
                .flash_loan
                .saturating_add(self.flash_loan_multi_asset)
                .saturating_add(
                    self.flash_loan_extra_asset
                        .saturating_mul((*assets as u64).saturating_sub(1)),
                ),
            (_, Operation::Borrow) => self.borrow,
            (_, Operation::Repay) => self.repay,
            (_, Operation::Deposit) => self.deposit,
            (_, Operation::Withdraw) => self.withdraw,
            (_, Operation::Bridge { route }) => route.gas,
            (_, Operation::Wrap) => self.wrap,
            (_, Operation::Unwrap) => self.unwrap,
        }
    }
}

/// A wallet transaction asked to make a second call: it makes exactly one
/// (its `to`); more calls need another transaction or the executor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecondWalletCall;

/// The metering of one transaction (docs/gas.md): its base cost, then each
/// call as its sender makes it, with cold and warm accesses and a pair's
/// oracle update on its first swap in the transaction. Generic over what
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
}

impl<A: PartialEq, P: PartialEq> TxMeter<A, P> {
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
        let first_touch = self.touch(account);
        let gas = match self.sender {
            Sender::Wallet => {
                if self.contract_calls > 0 {
                    return Err(SecondWalletCall);
                }
                op_gas
            }
            Sender::Executor => schedule
                .executor_call_overhead()
                .saturating_add(schedule.account_access(first_touch))
                .saturating_add(op_gas),
        };
        self.contract_calls += 1;
        self.gas = self.gas.saturating_add(gas);
        Ok(gas)
    }

    /// The operation gas of a direct swap through `pair`: the pair's swap,
    /// plus its price-oracle update if this is its first swap in the
    /// transaction. (The call itself is then metered with [`Self::call`].)
    pub fn pair_swap(&mut self, schedule: &GasSchedule, pair: P) -> u64 {
        let first = !self.swapped.contains(&pair);
        if first {
            self.swapped.push(pair);
            schedule
                .pair_swap
                .saturating_add(schedule.pair_oracle_update)
        } else {
            schedule.pair_swap
        }
    }

    /// Gas a call charges beyond its own inner call, with no access: each
    /// asset of a multi-asset flash loan after the first.
    pub fn charge(&mut self, gas: u64) -> u64 {
        self.gas = self.gas.saturating_add(gas);
        gas
    }

    /// A further transfer of a shared bridge message: its entry (with the
    /// message's encoding when it is the `second` transfer) and an access
    /// to its token (`account`), cold on first touch.
    pub fn batch_entry(&mut self, schedule: &GasSchedule, account: A, second: bool) -> u64 {
        let first_touch = self.touch(account);
        let gas = schedule
            .bridge_batch_extra(second)
            .saturating_add(schedule.account_access(first_touch));
        self.gas = self.gas.saturating_add(gas);
        gas
    }
}

/// The default schedule (docs/gas.md): the one every run and every static
/// figure uses unless a host gives another.
impl Default for GasSchedule {
    /// The default gas schedule (docs/gas.md).
    fn default() -> GasSchedule {
        GasSchedule {
            tx_base: 21_000,
            calldata_zero_byte: 4,
            calldata_nonzero_byte: 16,
            cold_account_access: 2_600,
            warm_account_access: 100,
            executor_transaction: 1_274,
            executor_dispatch: 1_972,
            executor_call_zero_bytes: 12,
            executor_call_nonzero_bytes: 20,
            approve: 25_540,
            router_swap: 82_303,
            router_extra_hop: 55_225,
            token_transfer: 13_501,
            pair_swap: 37_196,
            pair_oracle_update: 10_416,
            flash_loan: 120_713,
            flash_loan_multi_asset: 24_914,
            flash_loan_extra_asset: 103_244,
            borrow: 191_314,
            repay: 132_521,
            deposit: 119_503,
            withdraw: 127_765,
            wrap: 6_766,
            unwrap: 14_128,
            bridge_batch_entry: 25_864,
            bridge_batch_message: 1_267,
        }
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
        assert_eq!(tx.pair_swap(&s, "USDC/WETH"), 37_196 + 10_416);
        assert_eq!(tx.pair_swap(&s, "USDC/WETH"), 37_196);
        assert_eq!(tx.pair_swap(&s, "DAI/WETH"), 37_196 + 10_416);
        // A batch entry's token access is warm after a call touched it.
        assert_eq!(
            tx.batch_entry(&s, "USDC", true),
            s.bridge_batch_extra(true) + 100
        );
        assert_eq!(
            tx.batch_entry(&s, "DAI", false),
            s.bridge_batch_extra(false) + 2_600
        );
        let calls = [
            overhead + 2_600 + 25_540,
            overhead + 100 + 25_540,
            25_864 + 1_267 + 100,
            25_864 + 2_600,
        ];
        assert_eq!(tx.gas(), 21_000 + 1_274 + calls.iter().sum::<u64>());
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
}
