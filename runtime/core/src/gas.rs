//! The gas schedule: data, one named row per figure, each from a public
//! source cited in docs/gas.md. The session meters exactly the calls it is
//! told to make with these rows, so gas is a deterministic function of the
//! sequence of calls, and a compiler can compute it statically with the
//! same schedule (see `GasSchedule::operation`).
//!
//! `meter` holds `TxMeter`, the rules that meter one transaction's calls
//! with these rows: cold and warm accesses, oracle updates, and what a
//! call saves on tokens and approvals an earlier call left warm.
//! `position` holds `Positions`, what a lender call adds to or takes from
//! its row on the position it acts on (which reserves the account
//! supplies and owes). `balance` holds `BalanceWrites`, what a run's
//! writes of the sender's token balances cost and refund by their values,
//! beyond the rows' charge. `tests` holds the schedule's own tests.

pub use crate::account::Sender;
use crate::registry::RouteInfo;
pub use crate::registry::TokenContract;
pub use balance::{BalanceWrites, Charged, Refunds};
pub use meter::{LenderCall, Moves, SecondWalletCall, TxMeter};
pub use position::{OnPosition, Positions, Reserve, Reserves};

mod balance;
mod meter;
mod position;

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
    /// What an executor's inner call costs more when a flash loan's
    /// callback makes it: the call travels through the pool and back
    /// inside the loan's `params`, and the callback decodes it.
    pub flash_callback_call: u64,
    /// What an executor's inner call that sends the native coin (a wrap)
    /// costs beyond the wallet's same call: the value transfer.
    pub executor_call_value: u64,
    /// Zero bytes of the address word an executor's batch carries per inner call.
    pub executor_call_zero_bytes: u64,
    /// Non-zero bytes of that address word.
    pub executor_call_nonzero_bytes: u64,
    /// ERC-20 `approve` of a `MintableERC20`, without the transaction base.
    pub approve: u64,
    /// `approve` of `WETH9` (the wrapped native token), without the base.
    pub weth9_approve: u64,
    /// What a pull of `WETH9` (`transferFrom` by a spender under a standing
    /// maximum allowance: a router, a pool, a bridge) costs less than one of
    /// a `MintableERC20`: it leaves the allowance as it is and logs no
    /// `Approval`. Every row below is its operation on `MintableERC20`
    /// tokens; each `WETH9` pull in it saves this.
    pub weth9_pull_saving: u64,
    /// What a `transfer` of `WETH9` (a pair's output, the executor's
    /// transfer into a pair, a pool's payout) costs less than one of a
    /// `MintableERC20`.
    pub weth9_transfer_saving: u64,
    /// Uniswap V2 router `swapExactTokensForTokens`, one hop, without base.
    pub router_swap: u64,
    /// Each further hop of a router swap.
    pub router_extra_hop: u64,
    /// What a swap whose path ends in the token it starts with costs less
    /// beyond the token's warm account: the last pair pays it back into
    /// the sender's balance of it, which the swap's first transfer read
    /// and wrote.
    pub return_balance_saving: u64,
    /// ERC-20 `transfer` into the first pair before a direct swap, without
    /// base.
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
    /// What a flash loan costs less when an earlier flash loan from the
    /// same pool in the transaction left the pool's logic and configuration
    /// warm.
    pub flash_loan_warm_pool: u64,
    /// What a pull of a `MintableERC20` costs less when the sender approved
    /// the puller earlier in the same transaction, beyond the token's warm
    /// access: the allowance is warm, and already written in the
    /// transaction (EIP-2929, EIP-2200).
    pub approved_pull_saving: u64,
    /// The same for `WETH9`, which leaves a maximum allowance unwritten.
    pub weth9_approved_pull_saving: u64,
    /// What valuing a reserve the account supplies (and does not owe)
    /// costs a borrow or a withdrawal of another asset.
    pub position_supplied_reserve: u64,
    /// The same for a reserve the account owes and does not supply.
    pub position_owed_reserve: u64,
    /// What a debt adds to the valuation of a reserve the account also
    /// supplies.
    pub position_supplied_debt: u64,
    /// What a borrow of an asset the account supplies costs more.
    pub position_borrow_supplied_asset: u64,
    /// What a borrow that is the account's first of its asset costs more.
    pub borrow_first_of_asset: u64,
    /// The same, of an asset the account supplies.
    pub borrow_first_of_supplied_asset: u64,
    /// What a withdrawal costs more while the account owes something (its
    /// health factor checked), on a position of the asset withdrawn and
    /// one other reserve owed.
    pub withdraw_with_debt: u64,
    /// What a withdrawal that leaves none of the deposit costs less while
    /// the account owes something: the reserve leaves the position's
    /// collateral before the health factor is checked, which no longer
    /// values it (a run's figure: it depends on amounts).
    pub withdraw_whole_with_debt: u64,
    /// What it costs more while the account owes nothing: clearing the
    /// reserve's collateral flag (a run's figure too).
    pub withdraw_whole_without_debt: u64,
    /// What a deposit that is the account's first of any asset costs more.
    pub deposit_first_of_position: u64,
    /// What a deposit that is the account's first of its asset costs more
    /// when the account supplies one other reserve.
    pub deposit_first_of_asset: u64,
    /// The same when it supplies two or more.
    pub deposit_first_beside_collaterals: u64,
    /// What a repay costs more when the account supplies exactly one
    /// reserve, which the row's position does.
    pub repay_one_collateral: u64,
    /// What a lender call other than a flash loan costs less when an
    /// earlier lender call of the transaction called the same pool (its
    /// logic and configuration warm), beyond the pool's warm access.
    pub lender_warm_pool: u64,
    /// What it costs less again when an earlier call of the transaction
    /// acted on the same reserve (its storage and tokens warm, and
    /// written).
    pub lender_warm_reserve: u64,
    /// What it costs less when an earlier call's valuation of the
    /// position read its reserve instead, as one the account supplies
    /// only, owes only, or supplies and owes.
    pub lender_valued_supplied_reserve: u64,
    pub lender_valued_owed_reserve: u64,
    pub lender_valued_supplied_owed_reserve: u64,
    /// What a valuation costs less for each reserve it reads that an
    /// earlier call of the transaction acted on or valued, by what the
    /// account holds in it: supplied only, owed only, supplied and owed.
    pub lender_warm_supplied_valuation: u64,
    pub lender_warm_owed_valuation: u64,
    pub lender_warm_supplied_owed_valuation: u64,
    /// A read of a storage slot the transaction has not read before
    /// (EIP-2929 `COLD_SLOAD_COST`).
    pub cold_slot_read: u64,
    /// A read of a slot it has (EIP-2929 `WARM_STORAGE_READ_COST`); also
    /// a write that changes nothing or of a slot already written.
    pub warm_slot_read: u64,
    /// The first write of a slot that was zero when the transaction
    /// began (EIP-2200 `SSTORE_SET_GAS`).
    pub slot_set: u64,
    /// The first write of a slot that was not (EIP-2929: `SSTORE_RESET_GAS`
    /// less `COLD_SLOAD_COST`).
    pub slot_reset: u64,
    /// What emptying a slot that was not zero refunds (EIP-3529
    /// `SSTORE_CLEARS_SCHEDULE`).
    pub slot_clear_refund: u64,
    /// Refunds count for at most the transaction's gas divided by this
    /// (EIP-3529 `MAX_REFUND_QUOTIENT`).
    pub refund_quotient: u64,
}

/// Whether a swap's path of tokens ends in the token it starts with: its
/// last pair pays that token back to the sender
/// ([`GasSchedule::return_balance_saving`]).
pub fn path_returns<T: PartialEq>(path: &[T]) -> bool {
    path.len() > 1 && path.first() == path.last()
}

/// Whether hop `hop` (counted from 0) of a swap along `path` is the last
/// pair of a path that returns, which pays the first token back to the
/// sender ([`path_returns`]).
pub fn pays_back<T: PartialEq>(path: &[T], hop: usize) -> bool {
    path_returns(path) && hop.saturating_add(2) == path.len()
}

/// One protocol operation, as the gas schedule sees it, with the contract
/// of each token it moves (`Registry::token_contract`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation<'a> {
    Approve {
        token: TokenContract,
    },
    /// A swap along `path`: its input token, then each hop's output (two
    /// tokens for a single swap).
    Swap {
        path: &'a [TokenContract],
        /// Whether the path ends in the token it starts with.
        returns: bool,
    },
    /// A flash loan of `tokens` in one call: `flashLoanSimple` for one,
    /// the multi-asset `flashLoan` for more (each asset after the first is
    /// [`GasSchedule::flash_loan_extra`]).
    FlashLoan {
        tokens: &'a [TokenContract],
    },
    /// An ordinary borrow: the pool pays the token out.
    Borrow {
        token: TokenContract,
    },
    /// Repaying an ordinary loan: the pool pulls the token (a flash loan's
    /// repayment costs nothing beyond the flash-loan row: the pool pulls
    /// it inside the loan).
    Repay {
        token: TokenContract,
    },
    /// A deposit: the pool pulls the token.
    Deposit {
        token: TokenContract,
    },
    /// A withdrawal: the pool pays the token out.
    Withdraw {
        token: TokenContract,
    },
    /// A bridge transfer: the bridge pulls the token.
    Bridge {
        route: &'a RouteInfo,
        token: TokenContract,
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
            ("flash_callback_call", self.flash_callback_call),
            ("executor_call_value", self.executor_call_value),
            ("executor_call_zero_bytes", self.executor_call_zero_bytes),
            (
                "executor_call_nonzero_bytes",
                self.executor_call_nonzero_bytes,
            ),
            ("approve", self.approve),
            ("weth9_approve", self.weth9_approve),
            ("weth9_pull_saving", self.weth9_pull_saving),
            ("weth9_transfer_saving", self.weth9_transfer_saving),
            ("router_swap", self.router_swap),
            ("router_extra_hop", self.router_extra_hop),
            ("return_balance_saving", self.return_balance_saving),
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
            ("flash_loan_warm_pool", self.flash_loan_warm_pool),
            ("approved_pull_saving", self.approved_pull_saving),
            (
                "weth9_approved_pull_saving",
                self.weth9_approved_pull_saving,
            ),
            ("position_supplied_reserve", self.position_supplied_reserve),
            ("position_owed_reserve", self.position_owed_reserve),
            ("position_supplied_debt", self.position_supplied_debt),
            (
                "position_borrow_supplied_asset",
                self.position_borrow_supplied_asset,
            ),
            ("borrow_first_of_asset", self.borrow_first_of_asset),
            (
                "borrow_first_of_supplied_asset",
                self.borrow_first_of_supplied_asset,
            ),
            ("withdraw_with_debt", self.withdraw_with_debt),
            ("withdraw_whole_with_debt", self.withdraw_whole_with_debt),
            (
                "withdraw_whole_without_debt",
                self.withdraw_whole_without_debt,
            ),
            ("deposit_first_of_position", self.deposit_first_of_position),
            ("deposit_first_of_asset", self.deposit_first_of_asset),
            (
                "deposit_first_beside_collaterals",
                self.deposit_first_beside_collaterals,
            ),
            ("repay_one_collateral", self.repay_one_collateral),
            ("lender_warm_pool", self.lender_warm_pool),
            ("lender_warm_reserve", self.lender_warm_reserve),
            (
                "lender_valued_supplied_reserve",
                self.lender_valued_supplied_reserve,
            ),
            (
                "lender_valued_owed_reserve",
                self.lender_valued_owed_reserve,
            ),
            (
                "lender_valued_supplied_owed_reserve",
                self.lender_valued_supplied_owed_reserve,
            ),
            (
                "lender_warm_supplied_valuation",
                self.lender_warm_supplied_valuation,
            ),
            (
                "lender_warm_owed_valuation",
                self.lender_warm_owed_valuation,
            ),
            (
                "lender_warm_supplied_owed_valuation",
                self.lender_warm_supplied_owed_valuation,
            ),
            ("cold_slot_read", self.cold_slot_read),
            ("warm_slot_read", self.warm_slot_read),
            ("slot_set", self.slot_set),
            ("slot_reset", self.slot_reset),
            ("slot_clear_refund", self.slot_clear_refund),
            ("refund_quotient", self.refund_quotient),
        ]
    }

    /// What a lender call on a reserve saves when an earlier valuation of
    /// the transaction read it as `held`.
    pub fn lender_valued(&self, held: Reserve) -> u64 {
        held.figure(
            self.lender_valued_supplied_reserve,
            self.lender_valued_owed_reserve,
            self.lender_valued_supplied_owed_reserve,
        )
    }

    /// What a valuation saves on a reserve, `held` as it values it, that
    /// an earlier call of the transaction acted on or valued.
    pub fn lender_warm_valuation(&self, held: Reserve) -> u64 {
        held.figure(
            self.lender_warm_supplied_valuation,
            self.lender_warm_owed_valuation,
            self.lender_warm_supplied_owed_valuation,
        )
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
    /// messages"): its entry, less what a pull of `token` saves (the
    /// entry is measured on a `MintableERC20`), and the message's own
    /// encoding with the second transfer (`second`).
    pub fn bridge_batch_extra(&self, token: TokenContract, second: bool) -> u64 {
        let entry = self
            .bridge_batch_entry
            .saturating_sub(self.pull_saving(token));
        if second {
            entry.saturating_add(self.bridge_batch_message)
        } else {
            entry
        }
    }

    /// The most a lender call saves on a reserve an earlier valuation of
    /// the transaction read, whatever the account holds in it.
    pub fn lender_valued_most(&self) -> u64 {
        self.lender_valued_supplied_reserve
            .max(self.lender_valued_owed_reserve)
            .max(self.lender_valued_supplied_owed_reserve)
    }

    /// The schedule with each row at its least over the token contracts
    /// (as if every token it moves were `WETH9`, where that is cheaper),
    /// and no saving left to apply: a floor for a search that bounds what
    /// operations cost before it weighs their tokens. A route's `gas` is
    /// the registry's: [`Self::route_pull_floor`] is what to take off it.
    ///
    /// It takes off too what the transaction around a call may save it
    /// ([`TxMeter`]): a token it moves found warm, a pull under an
    /// approval made in the same transaction (and, on an approval, the
    /// saving it may give a flash loan's repayment), what the position a
    /// lender call acts on may take off its row ([`Positions`]: a borrow's
    /// other reserve supplied, a repay's one collateral), and what earlier
    /// lender calls of its transaction may leave warm for it
    /// ([`TxMeter::lender_call`]); and what being made inside a flash
    /// loan's callback, or sending the native coin from the executor, adds.
    pub fn token_floor(&self) -> GasSchedule {
        let (pull, transfer) = (self.weth9_pull_saving, self.weth9_transfer_saving);
        let warm = self.warm_token_saving();
        let approved = self.approved_pull_floor();
        let pulled = pull.saturating_add(approved).saturating_add(warm);
        let sent = transfer.saturating_add(warm);
        let lent = pulled.saturating_add(transfer);
        // A lender call after others on its pool and its reserve.
        let warm_lender = self
            .lender_warm_pool
            .saturating_add(self.lender_warm_reserve.max(self.lender_valued_most()));
        let least_approve = self
            .approve
            .min(self.weth9_approve)
            .saturating_sub(approved);
        GasSchedule {
            approve: least_approve,
            weth9_approve: least_approve,
            weth9_pull_saving: 0,
            weth9_transfer_saving: 0,
            approved_pull_saving: 0,
            weth9_approved_pull_saving: 0,
            router_swap: self
                .router_swap
                .saturating_sub(pull.saturating_add(transfer))
                .saturating_sub(self.return_balance_saving.saturating_add(warm)),
            router_extra_hop: self.router_extra_hop.saturating_sub(transfer),
            return_balance_saving: 0,
            token_transfer: self.token_transfer.saturating_sub(transfer),
            pair_swap: self.pair_swap.saturating_sub(sent),
            flash_loan: self
                .flash_loan
                .saturating_sub(lent)
                .saturating_sub(self.flash_loan_warm_pool),
            flash_loan_warm_pool: 0,
            flash_loan_extra_asset: self.flash_loan_extra_asset.saturating_sub(lent),
            borrow: self
                .borrow
                .saturating_sub(sent)
                .saturating_sub(self.position_supplied_reserve)
                .saturating_sub(warm_lender),
            repay: self
                .repay
                .saturating_sub(pulled)
                .saturating_sub(self.repay_one_collateral)
                .saturating_sub(warm_lender),
            deposit: self
                .deposit
                .saturating_sub(pulled)
                .saturating_sub(warm_lender),
            withdraw: self
                .withdraw
                .saturating_sub(sent)
                .saturating_sub(warm_lender),
            bridge_batch_entry: self
                .bridge_batch_entry
                .saturating_sub(pull.saturating_add(approved)),
            // What a position adds is at least nothing, once a borrow and
            // a repay are at their least over positions (above).
            position_supplied_reserve: 0,
            position_owed_reserve: 0,
            position_supplied_debt: 0,
            position_borrow_supplied_asset: 0,
            borrow_first_of_asset: 0,
            borrow_first_of_supplied_asset: 0,
            withdraw_with_debt: 0,
            deposit_first_of_position: 0,
            deposit_first_of_asset: 0,
            deposit_first_beside_collaterals: 0,
            repay_one_collateral: 0,
            lender_warm_pool: 0,
            lender_warm_reserve: 0,
            lender_valued_supplied_reserve: 0,
            lender_valued_owed_reserve: 0,
            lender_valued_supplied_owed_reserve: 0,
            lender_warm_supplied_valuation: 0,
            lender_warm_owed_valuation: 0,
            lender_warm_supplied_owed_valuation: 0,
            // A call need not be made inside a flash loan's callback, and
            // a wallet's wrap sends its coin with the transaction.
            flash_callback_call: 0,
            executor_call_value: 0,
            ..self.clone()
        }
    }

    /// What a bridge's pull saves at most: its route's `gas` less this is
    /// a floor over the token contracts and the transactions around it.
    pub fn route_pull_floor(&self) -> u64 {
        self.weth9_pull_saving
            .saturating_add(self.approved_pull_floor())
            .saturating_add(self.warm_token_saving())
    }

    /// What a call saves on a token it moves when an earlier call of the
    /// transaction reached the token: a warm access for the cold one its
    /// row measured (EIP-2929).
    pub fn warm_token_saving(&self) -> u64 {
        self.cold_account_access
            .saturating_sub(self.warm_account_access)
    }

    /// What a pull of `token` saves under an approval made earlier in the
    /// same transaction, beyond its token's warm access.
    pub fn approved_pull(&self, token: TokenContract) -> u64 {
        match token {
            TokenContract::MintableErc20 => self.approved_pull_saving,
            TokenContract::Weth9 => self.weth9_approved_pull_saving,
        }
    }

    /// The most [`Self::approved_pull`] saves, over the token contracts.
    fn approved_pull_floor(&self) -> u64 {
        self.approved_pull_saving
            .max(self.weth9_approved_pull_saving)
    }

    /// What a pull of `token` saves against the rows' `MintableERC20`.
    pub fn pull_saving(&self, token: TokenContract) -> u64 {
        match token {
            TokenContract::MintableErc20 => 0,
            TokenContract::Weth9 => self.weth9_pull_saving,
        }
    }

    /// What a `transfer` of `token` saves against the rows' `MintableERC20`.
    pub fn transfer_saving(&self, token: TokenContract) -> u64 {
        match token {
            TokenContract::MintableErc20 => 0,
            TokenContract::Weth9 => self.weth9_transfer_saving,
        }
    }

    /// An ERC-20 `transfer` of `token` into a pair (or a bridge), without
    /// the base: `token_transfer`, less `WETH9`'s saving.
    pub fn transfer(&self, token: TokenContract) -> u64 {
        self.token_transfer
            .saturating_sub(self.transfer_saving(token))
    }

    /// A pair's swap that sends out `token_out`, without the oracle
    /// update: `pair_swap`, less `WETH9`'s transfer saving.
    pub fn pair_swap_of(&self, token_out: TokenContract) -> u64 {
        self.pair_swap
            .saturating_sub(self.transfer_saving(token_out))
    }

    /// A `flashLoanSimple` of `token`: the pool pays it out and pulls it
    /// back.
    pub fn flash_loan_of(&self, token: TokenContract) -> u64 {
        self.flash_loan
            .saturating_sub(self.round_trip_saving(token))
    }

    /// Each asset of a multi-asset flash loan after the first, of `token`:
    /// the pool pays it out and pulls it back.
    pub fn flash_loan_extra(&self, token: TokenContract) -> u64 {
        self.flash_loan_extra_asset
            .saturating_sub(self.round_trip_saving(token))
    }

    /// What `token` saves paid out and pulled back, as a flash loan does.
    fn round_trip_saving(&self, token: TokenContract) -> u64 {
        self.transfer_saving(token)
            .saturating_add(self.pull_saving(token))
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
    ///
    /// Each row is its operation on `MintableERC20` tokens; a `WETH9`
    /// token the operation pulls saves `weth9_pull_saving`, one it
    /// transfers `weth9_transfer_saving` (a flash loan does both).
    pub fn operation(&self, sender: Sender, op: &Operation<'_>) -> u64 {
        match (sender, op) {
            (_, Operation::Approve { token }) => match token {
                TokenContract::MintableErc20 => self.approve,
                TokenContract::Weth9 => self.weth9_approve,
            },
            (sender, Operation::Swap { path, returns }) => {
                let (input, outputs) = path
                    .split_first()
                    .map_or((None, &[][..]), |(i, o)| (Some(*i), o));
                match sender {
                    // The router pulls the input, then each pair sends its
                    // output.
                    Sender::Wallet => {
                        let hops = outputs.len() as u64;
                        // Inside the router's one call, the token paid back
                        // is warm too.
                        let back = if *returns {
                            self.return_balance_saving
                                .saturating_add(self.warm_token_saving())
                        } else {
                            0
                        };
                        let gross = self
                            .router_swap
                            .saturating_add(
                                self.router_extra_hop.saturating_mul(hops.saturating_sub(1)),
                            )
                            .saturating_sub(back);
                        let saved = input.map_or(0, |t| self.pull_saving(t)).saturating_add(
                            outputs
                                .iter()
                                .map(|t| self.transfer_saving(*t))
                                .sum::<u64>(),
                        );
                        gross.saturating_sub(saved)
                    }
                    // Direct: one transfer into the first pair, then one
                    // pair swap per hop, each pair sending its output on to
                    // the next.
                    Sender::Executor => {
                        let back = if *returns {
                            self.return_balance_saving
                        } else {
                            0
                        };
                        input
                            .map_or(0, |t| self.transfer(t))
                            .saturating_add(
                                outputs.iter().map(|t| self.pair_swap_of(*t)).sum::<u64>(),
                            )
                            .saturating_sub(back)
                    }
                }
            }
            (_, Operation::FlashLoan { tokens }) => {
                let Some((first, further)) = tokens.split_first() else {
                    return 0;
                };
                let simple = self.flash_loan_of(*first);
                if further.is_empty() {
                    simple
                } else {
                    simple
                        .saturating_add(self.flash_loan_multi_asset)
                        .saturating_add(
                            further
                                .iter()
                                .map(|t| self.flash_loan_extra(*t))
                                .sum::<u64>(),
                        )
                }
            }
            (_, Operation::Borrow { token }) => {
                self.borrow.saturating_sub(self.transfer_saving(*token))
            }
            (_, Operation::Repay { token }) => self.repay.saturating_sub(self.pull_saving(*token)),
            (_, Operation::Deposit { token }) => {
                self.deposit.saturating_sub(self.pull_saving(*token))
            }
            (_, Operation::Withdraw { token }) => {
                self.withdraw.saturating_sub(self.transfer_saving(*token))
            }
            (_, Operation::Bridge { route, token }) => {
                route.gas.saturating_sub(self.pull_saving(*token))
            }
            (Sender::Wallet, Operation::Wrap) => self.wrap,
            (Sender::Executor, Operation::Wrap) => {
                self.wrap.saturating_add(self.executor_call_value)
            }
            (_, Operation::Unwrap) => self.unwrap,
        }
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
            flash_callback_call: 1_763,
            executor_call_value: 6_691,
            executor_call_zero_bytes: 12,
            executor_call_nonzero_bytes: 20,
            approve: 25_540,
            weth9_approve: 25_343,
            weth9_pull_saving: 5_532,
            weth9_transfer_saving: 304,
            router_swap: 82_607,
            router_extra_hop: 55_225,
            return_balance_saving: 4_800,
            token_transfer: 13_501,
            pair_swap: 37_500,
            pair_oracle_update: 10_416,
            flash_loan: 126_549,
            flash_loan_multi_asset: 24_914,
            flash_loan_extra_asset: 103_244,
            borrow: 191_618,
            repay: 138_053,
            deposit: 119_503,
            withdraw: 127_765,
            wrap: 6_766,
            unwrap: 14_128,
            bridge_batch_entry: 25_864,
            bridge_batch_message: 1_267,
            flash_loan_warm_pool: 16_569,
            approved_pull_saving: 4_809,
            weth9_approved_pull_saving: 2_009,
            position_supplied_reserve: 28_620,
            position_owed_reserve: 39_094,
            position_supplied_debt: 23_761,
            position_borrow_supplied_asset: 4_397,
            borrow_first_of_asset: 25_573,
            borrow_first_of_supplied_asset: 30_406,
            withdraw_with_debt: 63_986,
            withdraw_whole_with_debt: 9_543,
            withdraw_whole_without_debt: 4_848,
            deposit_first_of_position: 41_489,
            deposit_first_of_asset: 29_504,
            deposit_first_beside_collaterals: 24_778,
            repay_one_collateral: 4_678,
            lender_warm_pool: 17_021,
            lender_warm_reserve: 66_828,
            lender_valued_supplied_reserve: 9_500,
            lender_valued_owed_reserve: 19_991,
            lender_valued_supplied_owed_reserve: 30_991,
            lender_warm_supplied_valuation: 9_938,
            lender_warm_owed_valuation: 24_018,
            lender_warm_supplied_owed_valuation: 26_462,
            cold_slot_read: 2_100,
            warm_slot_read: 100,
            slot_set: 20_000,
            slot_reset: 2_900,
            slot_clear_refund: 4_800,
            refund_quotient: 5,
        }
    }
}

#[cfg(test)]
mod tests;
