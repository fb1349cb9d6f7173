//! Gas of the protocol operations, measured on the real bytecode as the EVM
//! meters it (the transaction's gas used: the 21,000 base, calldata,
//! execution, after refunds). `benches/gas.rs` prints the table that
//! docs/evm.md gives; the gas schedule cites it.
//!
//! The setup, exactly: the default world deployed (Ethereum's chain, Osaka
//! rules), every measured transaction in a new block 12 seconds after the
//! last unless a row says "same block". The wallet-sent rows run on a world
//! whose balances the wallet holds; the executor rows on one whose balances
//! the executor holds (the wallet sends `run`). Amounts are small against
//! the pools, balances go from non-zero to non-zero unless a row says
//! "first", and every approval is a maximum one, as the unoptimised level's
//! and the executor's are (it stands: a spend leaves it as it is).
//!
//! `tokens` holds the rows that measure the same ERC-20 calls on the two
//! token contracts, `WETH9` and `MintableERC20`; `positions` the Aave V3
//! calls measured on an account's position as it grows; `pool` the Aave V3
//! calls the executor makes alone and after another on the same pool in
//! one transaction; `inner` the executor's inner calls made inside a flash
//! loan's callback or sending the native coin.

use revm::primitives::{Address, U256};

use crate::calls::{self, InnerCall};
use crate::chain::{Receipt, Status, Tx};
use crate::deploy::{DeployOptions, Holder, InterestRates};
use crate::error::EvmError;
use crate::world::EvmWorld;

mod inner;
mod pool;
mod positions;
mod tokens;

/// The chain measured on.
pub const CHAIN: &str = "ethereum";

/// One measured transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measurement {
    /// A stable key (`router_swap_1_hop`, ...).
    pub key: &'static str,
    /// What the transaction is, for the table.
    pub what: &'static str,
    /// Gas used, as the EVM metered it.
    pub gas: u64,
}

struct Bench {
    evm: EvmWorld,
    rows: Vec<Measurement>,
}

impl Bench {
    fn new(holder: Holder, interest_rates: InterestRates) -> Result<Bench, EvmError> {
        let options = DeployOptions {
            holder,
            interest_rates,
            ..DeployOptions::default()
        };
        // Measured on an account with no position on this chain, whatever
        // the default world's user holds there: the rows name the account's
        // state they were measured in ("the account's first", "a further
        // one"), and a position's other reserves and debt change the cost.
        let mut world = mesh_runtime::world::World::default_world();
        if let Some(lenders) = world.lenders.get_mut(CHAIN) {
            for lender in lenders.values_mut() {
                lender.deposits.clear();
                lender.debts.clear();
            }
        }
        let mut evm = EvmWorld::deploy(&world, &options)?;
        evm.chain_mut(CHAIN)?.next_block(12)?;
        Ok(Bench {
            evm,
            rows: Vec::new(),
        })
    }

    /// The accounts an executor row calls: the wallet that sends `run`,
    /// the executor, and aave's pool.
    fn executor_accounts(&self) -> Result<(Address, Address, Address), EvmError> {
        let contracts = self.evm.contracts(CHAIN)?;
        let pool = contracts
            .lenders
            .get("aave")
            .map(|l| l.pool)
            .ok_or_else(|| EvmError::Unknown {
                chain: CHAIN.to_string(),
                what: "aave's pool".to_string(),
            })?;
        Ok((self.evm.accounts.wallet, contracts.executor, pool))
    }

    /// The addresses of the tokens `symbols` names, in its order.
    fn tokens<const N: usize>(&self, symbols: [&str; N]) -> Result<[Address; N], EvmError> {
        let mut out = [Address::ZERO; N];
        for (slot, symbol) in out.iter_mut().zip(symbols) {
            *slot = self.token(symbol)?;
        }
        Ok(out)
    }

    fn token(&self, symbol: &str) -> Result<Address, EvmError> {
        let contracts = self.evm.contracts(CHAIN)?;
        contracts
            .tokens
            .get(symbol)
            .and_then(|t| t.address())
            .ok_or_else(|| EvmError::Unknown {
                chain: CHAIN.to_string(),
                what: format!("ERC-20 token {symbol}"),
            })
    }

    fn pair(&self, exchange: &str, a: &str, b: &str) -> Result<Address, EvmError> {
        let contracts = self.evm.contracts(CHAIN)?;
        contracts
            .exchanges
            .get(exchange)
            .and_then(|e| e.pairs.get(&(a.to_string(), b.to_string())))
            .copied()
            .ok_or_else(|| EvmError::Unknown {
                chain: CHAIN.to_string(),
                what: format!("pair {a}/{b} of {exchange}"),
            })
    }

    /// Sends a transaction that must succeed; its receipt.
    fn send(
        &mut self,
        from: Address,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<Receipt, EvmError> {
        let tx = Tx {
            value,
            ..Tx::call(from, to, data)
        };
        let receipt = self.evm.execute(CHAIN, &tx)?;
        match &receipt.status {
            Status::Success => Ok(receipt),
            Status::Revert { reason, .. } | Status::Halt { reason } => Err(EvmError::Setup {
                chain: CHAIN.to_string(),
                step: "a measured transaction".to_string(),
                reason: reason.clone(),
            }),
        }
    }

    /// Sends and records a transaction from the wallet, in a new block
    /// unless `same_block`.
    fn measure(
        &mut self,
        key: &'static str,
        what: &'static str,
        same_block: bool,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<u64, EvmError> {
        let wallet = self.evm.accounts.wallet;
        self.measure_from(wallet, key, what, same_block, to, data, value)
    }

    /// The same, sent from `from`.
    #[allow(clippy::too_many_arguments)]
    fn measure_from(
        &mut self,
        from: Address,
        key: &'static str,
        what: &'static str,
        same_block: bool,
        to: Address,
        data: Vec<u8>,
        value: U256,
    ) -> Result<u64, EvmError> {
        if !same_block {
            self.evm.chain_mut(CHAIN)?.next_block(12)?;
        }
        let gas = self.send(from, to, data, value)?.gas_used;
        self.rows.push(Measurement { key, what, gas });
        Ok(gas)
    }

    fn reserves(
        &mut self,
        pair: Address,
        token_in: Address,
    ) -> Result<(u128, u128, bool), EvmError> {
        let chain = self.evm.chain_mut(CHAIN)?;
        let r = chain.view(pair, calls::pair_get_reserves(), "reserves")?;
        let t0 = chain.view(pair, crate::abi::call("token0()", &[]), "token0")?;
        let word = |i| {
            crate::abi::uint_at(&r, i)
                .and_then(|w| u128::try_from(w).ok())
                .ok_or_else(|| EvmError::Setup {
                    chain: CHAIN.to_string(),
                    step: "reading reserves".to_string(),
                    reason: "bad reserves".to_string(),
                })
        };
        let (r0, r1) = (word(0)?, word(1)?);
        Ok(if crate::abi::address_at(&t0, 0) == Some(token_in) {
            (r0, r1, true)
        } else {
            (r1, r0, false)
        })
    }

    /// `(amount0Out, amount1Out)` of a swap of `amount_in` of `token_in`.
    fn swap_out(
        &mut self,
        pair: Address,
        token_in: Address,
        amount_in: u128,
    ) -> Result<(u128, u128, u128), EvmError> {
        let (r_in, r_out, in_is_0) = self.reserves(pair, token_in)?;
        let out = mesh_core::maths::get_amount_out(amount_in, r_in, r_out, 30).map_err(|e| {
            EvmError::Setup {
                chain: CHAIN.to_string(),
                step: "computing a swap".to_string(),
                reason: format!("{e:?}"),
            }
        })?;
        Ok(if in_is_0 {
            (0, out, out)
        } else {
            (out, 0, out)
        })
    }
}

const USDC: u128 = 1_000_000;
const ETHER: u128 = 1_000_000_000_000_000_000;

/// Every measurement, for one interest rate strategy.
pub fn measure(interest_rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut rows = wallet_rows(interest_rates)?;
    rows.extend(executor_rows(interest_rates)?);
    rows.extend(tokens::rows(interest_rates)?);
    rows.extend(positions::rows(interest_rates)?);
    rows.extend(pool::rows(interest_rates)?);
    rows.extend(inner::rows(interest_rates)?);
    Ok(rows)
}

fn wallet_rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Wallet, rates)?;
    let wallet = b.evm.accounts.wallet;
    let zero = U256::ZERO;
    let usdc = b.token("USDC")?;
    let weth = b.token("WETH")?;
    let dai = b.token("DAI")?;
    let contracts = b.evm.contracts(CHAIN)?.clone();
    let router = contracts.exchanges["uniswap_v2"].router;
    let pool = contracts.lenders["aave"].pool;
    let pair = b.pair("uniswap_v2", "USDC", "WETH")?;

    let amount = 1_000 * USDC;
    b.measure(
        "approve",
        "ERC-20 approve, own transaction (MintableERC20, allowance 0 → max)",
        false,
        usdc,
        calls::approve(router, U256::MAX),
        zero,
    )?;
    let swap =
        calls::router_swap_exact_tokens_for_tokens(amount, 0, &[usdc, weth], wallet, u64::MAX);
    b.measure(
        "router_swap_1_hop",
        "Router02 swapExactTokensForTokens, 1 hop (USDC→WETH; the pair's first swap in the block; a standing max allowance)",
        false,
        router,
        swap,
        zero,
    )?;
    let swap =
        calls::router_swap_exact_tokens_for_tokens(amount, 0, &[usdc, weth, dai], wallet, u64::MAX);
    b.measure(
        "router_swap_2_hops",
        "Router02 swapExactTokensForTokens, 2 hops (USDC→WETH→DAI; first swaps in the block; a standing max allowance)",
        false,
        router,
        swap,
        zero,
    )?;

    // Two paths of three hops that differ in their last token: one ends
    // where it started, so its last pair sends the token the router pulled.
    let usdt = b.token("USDT")?;
    for (key, what, last) in [
        (
            "router_swap_3_hops_away",
            "Router02 swapExactTokensForTokens, 3 hops (USDC→WETH→DAI→USDT; a standing max allowance)",
            usdt,
        ),
        (
            "router_swap_3_hops_back",
            "Router02 swapExactTokensForTokens, 3 hops that end in the first token (USDC→WETH→DAI→USDC; a standing max allowance)",
            usdc,
        ),
    ] {
        let path = [usdc, weth, dai, last];
        let swap = calls::router_swap_exact_tokens_for_tokens(amount, 0, &path, wallet, u64::MAX);
        b.measure(key, what, false, router, swap, zero)?;
    }

    // Direct: transfer into the pair, then pair.swap, from the wallet.
    let (a0, a1, _) = b.swap_out(pair, usdc, amount)?;
    b.measure(
        "token_transfer",
        "ERC-20 transfer into a pair, own transaction",
        false,
        usdc,
        calls::transfer(pair, amount),
        zero,
    )?;
    b.measure("pair_swap_first_in_block", "UniswapV2Pair.swap called directly, the pair's first swap in the block (updates the price oracle)", true, pair, calls::pair_swap(a0, a1, wallet), zero)?;
    let (a0, a1, _) = b.swap_out(pair, usdc, amount)?;
    b.send(wallet, usdc, calls::transfer(pair, amount), zero)?;
    b.measure(
        "pair_swap_same_block",
        "UniswapV2Pair.swap called directly, same block as a previous swap (no oracle update)",
        true,
        pair,
        calls::pair_swap(a0, a1, wallet),
        zero,
    )?;

    // Aave V3, from the wallet (max approval of the pool beforehand).
    b.send(wallet, usdc, calls::approve(pool, U256::MAX), zero)?;
    b.send(wallet, weth, calls::approve(pool, U256::MAX), zero)?;
    b.measure(
        "supply_first",
        "Aave V3 supply, the account's first of the asset (10,000 USDC)",
        false,
        pool,
        calls::aave_supply(usdc, 10_000 * USDC, wallet),
        zero,
    )?;
    b.measure(
        "supply",
        "Aave V3 supply, a further one (1,000 USDC)",
        false,
        pool,
        calls::aave_supply(usdc, 1_000 * USDC, wallet),
        zero,
    )?;
    b.measure(
        "borrow_first",
        "Aave V3 borrow, variable, the account's first (1 WETH against the USDC)",
        false,
        pool,
        calls::aave_borrow(weth, ETHER, wallet),
        zero,
    )?;
    b.measure(
        "borrow",
        "Aave V3 borrow, variable, a further one (0.5 WETH)",
        false,
        pool,
        calls::aave_borrow(weth, ETHER / 2, wallet),
        zero,
    )?;
    b.measure(
        "repay",
        "Aave V3 repay, part of the debt (0.5 WETH)",
        false,
        pool,
        calls::aave_repay(weth, ETHER / 2, wallet),
        zero,
    )?;
    b.measure(
        "withdraw_with_debt",
        "Aave V3 withdraw with a borrow open (health factor checked; 1,000 USDC)",
        false,
        pool,
        calls::aave_withdraw(usdc, 1_000 * USDC, wallet),
        zero,
    )?;
    b.send(
        wallet,
        pool,
        calls::aave_repay(weth, u128::MAX, wallet),
        zero,
    )?;
    b.measure(
        "withdraw",
        "Aave V3 withdraw with no borrow open (1,000 USDC)",
        false,
        pool,
        calls::aave_withdraw(usdc, 1_000 * USDC, wallet),
        zero,
    )?;

    b.measure(
        "weth_deposit",
        "WETH9 deposit (wrap 1 ETH)",
        false,
        weth,
        calls::weth_deposit(),
        U256::from(ETHER),
    )?;
    b.measure(
        "weth_withdraw",
        "WETH9 withdraw (unwrap 1 WETH)",
        false,
        weth,
        calls::weth_withdraw(ETHER),
        zero,
    )?;

    // The model's bridges: one lock on each kind's bridge, then a shared
    // message. Every bridge deploys the same bytecode, so the three locks
    // are expected to cost alike; each is measured all the same.
    let bridges = [
        (
            mesh_core::BridgeKind::Htlb,
            "bridge_lock_htlb",
            "MeshBridge lock (htlb, 100 USDC to arbitrum; a standing max allowance)",
        ),
        (
            mesh_core::BridgeKind::Zk,
            "bridge_lock_zk",
            "MeshBridge lock (zk, 100 USDC to arbitrum; a standing max allowance)",
        ),
        (
            mesh_core::BridgeKind::Threshold,
            "bridge_lock_threshold",
            "MeshBridge lock (threshold, 100 USDC to arbitrum; a standing max allowance)",
        ),
    ];
    for (kind, key, what) in bridges {
        let bridge = contracts.bridges[&kind];
        b.send(wallet, usdc, calls::approve(bridge, U256::MAX), zero)?;
        b.measure(
            key,
            what,
            false,
            bridge,
            calls::bridge_lock(usdc, 100 * USDC, 42_161, wallet),
            zero,
        )?;
    }
    let zk = contracts.bridges[&mesh_core::BridgeKind::Zk];
    b.send(wallet, dai, calls::approve(zk, U256::MAX), zero)?;
    let batch = calls::bridge_lock_batch(&[(usdc, 100 * USDC), (dai, 100 * ETHER)], 42_161, wallet);
    b.measure(
        "bridge_lock_batch_2",
        "MeshBridge lockBatch (zk, USDC and DAI to arbitrum; standing max allowances)",
        false,
        zk,
        batch,
        zero,
    )?;
    let usdt = b.token("USDT")?;
    b.send(wallet, usdt, calls::approve(zk, U256::MAX), zero)?;
    let batch = calls::bridge_lock_batch(
        &[(usdc, 100 * USDC), (dai, 100 * ETHER), (usdt, 100 * USDC)],
        42_161,
        wallet,
    );
    b.measure(
        "bridge_lock_batch_3",
        "MeshBridge lockBatch (zk, USDC, DAI and USDT to arbitrum; standing max allowances)",
        false,
        zk,
        batch,
        zero,
    )?;
    Ok(b.rows)
}

fn executor_rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Executor, rates)?;
    let (wallet, executor, pool) = b.executor_accounts()?;
    let zero = U256::ZERO;
    let [usdc, weth, dai] = b.tokens(["USDC", "WETH", "DAI"])?;
    let uni = b.pair("uniswap_v2", "USDC", "WETH")?;
    let sushi = b.pair("sushiswap", "USDC", "WETH")?;
    let run = |calls: &[InnerCall]| calls::executor_run(calls);

    b.measure(
        "executor_empty",
        "MeshExecutor.run with no call (the call into it, owner check, an empty list)",
        false,
        executor,
        run(&[]),
        zero,
    )?;
    let t = InnerCall::new(usdc, calls::transfer(uni, 1_000 * USDC));
    b.measure(
        "executor_transfer",
        "MeshExecutor.run: one ERC-20 transfer into a pair",
        false,
        executor,
        run(std::slice::from_ref(&t)),
        zero,
    )?;
    let t2 = InnerCall::new(usdc, calls::transfer(sushi, 1_000 * USDC));
    b.measure(
        "executor_transfer_x2",
        "MeshExecutor.run: two ERC-20 transfers of one token (the second target warm)",
        false,
        executor,
        run(&[t, t2]),
        zero,
    )?;
    // The transfer's own cost here, sent straight from the holder's account
    // would need the executor to be an EOA; the wallet table's
    // token_transfer row is the same call from the wallet.

    b.measure(
        "executor_approve",
        "MeshExecutor.run: one ERC-20 approve (max, allowance 0 → non-zero)",
        false,
        executor,
        run(&[InnerCall::new(usdc, calls::approve(pool, U256::MAX))]),
        zero,
    )?;
    b.send(
        wallet,
        executor,
        run(&[
            InnerCall::new(weth, calls::approve(pool, U256::MAX)),
            InnerCall::new(dai, calls::approve(pool, U256::MAX)),
        ]),
        zero,
    )?;

    // Direct swaps through the executor.
    let amount = 1_000 * USDC;
    let (a0, a1, _) = b.swap_out(uni, usdc, amount)?;
    let swap = [
        InnerCall::new(usdc, calls::transfer(uni, amount)),
        InnerCall::new(uni, calls::pair_swap(a0, a1, executor)),
    ];
    b.measure(
        "executor_swap_1_hop",
        "MeshExecutor.run: transfer + pair.swap, 1 hop (first swap in the block)",
        false,
        executor,
        run(&swap),
        zero,
    )?;
    b.evm.chain_mut(CHAIN)?.next_block(12)?;
    let (a0, a1, weth_out) = b.swap_out(uni, usdc, amount)?;
    let (b0, b1, _) = b.swap_out(sushi, weth, weth_out)?;
    let chained = [
        InnerCall::new(usdc, calls::transfer(uni, amount)),
        InnerCall::new(uni, calls::pair_swap(a0, a1, sushi)),
        InnerCall::new(sushi, calls::pair_swap(b0, b1, executor)),
    ];
    b.measure("executor_swap_2_hops_two_forks", "MeshExecutor.run: transfer + 2 pair swaps, uniswap_v2's pair sending to sushiswap's (first swaps in the block)", true, executor, run(&chained), zero)?;

    // Direct paths of three hops on uniswap_v2 that differ in their last
    // token: one ends where it started, so its last pair sends the
    // executor the token it transferred into the first.
    for (key, what, last) in [
        ("executor_swap_3_hops_away", "MeshExecutor.run: transfer + 3 pair swaps, USDC→WETH→DAI→USDT", "USDT"),
        ("executor_swap_3_hops_back", "MeshExecutor.run: transfer + 3 pair swaps that end in the first token, USDC→WETH→DAI→USDC", "USDC"),
    ] {
        let path = ["USDC", "WETH", "DAI", last];
        let mut hops = Vec::new();
        for hop in path.windows(2) {
            let (x, y) = if hop[0] < hop[1] { (hop[0], hop[1]) } else { (hop[1], hop[0]) };
            hops.push((b.pair("uniswap_v2", x, y)?, b.token(hop[0])?));
        }
        let mut calls_made = vec![InnerCall::new(usdc, calls::transfer(hops[0].0, amount))];
        let mut amount_in = amount;
        for (k, &(pair, token_in)) in hops.iter().enumerate() {
            let (o0, o1, out) = b.swap_out(pair, token_in, amount_in)?;
            let to = hops.get(k + 1).map_or(executor, |next| next.0);
            calls_made.push(InnerCall::new(pair, calls::pair_swap(o0, o1, to)));
            amount_in = out;
        }
        b.measure(key, what, false, executor, run(&calls_made), zero)?;
    }

    // Flash loans (the pool approved beforehand, an empty callback).
    let empty = calls::executor_callback_params(&[]);
    let simple = calls::aave_flash_loan_simple(executor, weth, 100 * ETHER, empty.clone());
    b.measure(
        "flash_loan_simple",
        "MeshExecutor.run: Aave V3 flashLoanSimple of 100 WETH, empty callback",
        false,
        executor,
        run(&[InnerCall::new(pool, simple.clone())]),
        zero,
    )?;
    let loans = [
        (weth, 100 * ETHER),
        (usdc, 250_000 * USDC),
        (dai, 250_000 * ETHER),
    ];
    for (n, key, what) in [
        (
            1,
            "flash_loan_1",
            "MeshExecutor.run: Aave V3 flashLoan of 1 asset (WETH), empty callback",
        ),
        (
            2,
            "flash_loan_2",
            "MeshExecutor.run: Aave V3 flashLoan of 2 assets (WETH, USDC), empty callback",
        ),
        (
            3,
            "flash_loan_3",
            "MeshExecutor.run: Aave V3 flashLoan of 3 assets (WETH, USDC, DAI), empty callback",
        ),
    ] {
        let multi = calls::aave_flash_loan(executor, &loans[..n], empty.clone());
        b.measure(
            key,
            what,
            false,
            executor,
            run(&[InnerCall::new(pool, multi)]),
            zero,
        )?;
    }
    // Two simple loans in one transaction: the second finds the pool, its
    // logic and its configuration warm, which no row of the schedule
    // charges (docs/gas.md, "Reading the tables").
    let usdc_loan = calls::aave_flash_loan_simple(executor, usdc, 250_000 * USDC, empty.clone());
    b.measure(
        "flash_loan_simple_twice",
        "MeshExecutor.run: two Aave V3 flashLoanSimple, of 100 WETH then of 250,000 USDC, empty callbacks",
        false,
        executor,
        run(&[InnerCall::new(pool, simple), InnerCall::new(pool, usdc_loan)]),
        zero,
    )?;
    Ok(b.rows)
}

/// A figure derived from measured rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Derived {
    pub what: &'static str,
    /// How it is computed from the rows' keys.
    pub from: String,
    pub gas: i64,
}

/// A row's gas by its key, from one run.
type Gas<'a> = &'a dyn Fn(&str) -> Result<i64, EvmError>;

impl Derived {
    /// `what`, computed as the row `minuend` less the row `subtrahend`.
    fn difference(
        g: Gas<'_>,
        what: &'static str,
        minuend: &str,
        subtrahend: &str,
    ) -> Result<Derived, EvmError> {
        Ok(Derived {
            what,
            from: format!("{minuend} − {subtrahend}"),
            gas: g(minuend)? - g(subtrahend)?,
        })
    }
}

/// The figures derived from one run's rows: per-hop, per-asset and
/// per-call increments.
pub fn derived(rows: &[Measurement]) -> Result<Vec<Derived>, EvmError> {
    let g = |key: &str| -> Result<i64, EvmError> {
        rows.iter()
            .find(|m| m.key == key)
            .and_then(|m| i64::try_from(m.gas).ok())
            .ok_or_else(|| EvmError::Unknown {
                chain: CHAIN.to_string(),
                what: format!("measurement {key}"),
            })
    };
    let inner_call =
        g("executor_transfer")? - g("executor_empty")? - (g("token_transfer")? - 21_000);
    let mut figures = vec![
        Derived::difference(&g, "router: each hop after the first", "router_swap_2_hops", "router_swap_1_hop")?,
        Derived::difference(&g, "router: what a path that ends in its first token costs less", "router_swap_3_hops_away", "router_swap_3_hops_back")?,
        Derived::difference(&g, "executor: what a direct path that ends in its first token costs less", "executor_swap_3_hops_away", "executor_swap_3_hops_back")?,
        Derived::difference(&g, "pair: the first-in-block oracle update", "pair_swap_first_in_block", "pair_swap_same_block")?,
        Derived {
            what: "executor: per transaction, beyond the 21,000 base",
            from: "executor_empty − 21,000".into(),
            gas: g("executor_empty")? - 21_000,
        },
        Derived {
            what: "executor: per inner call to a cold target (dispatch, its calldata, the access)",
            from: "executor_transfer − executor_empty − (token_transfer − 21,000)".into(),
            gas: inner_call,
        },
        Derived {
            what: "executor: dispatch of one inner call, beyond its address word and its account access",
            from: "the cold inner-call figure − 2,600 (EIP-2929 cold access) − 368 (the address word, 12 zero and 20 non-zero bytes)".into(),
            gas: inner_call - 2_600 - 368,
        },
        Derived {
            what: "executor: a direct swap's pair.swap after the transfer into the pair (its input token warm), without the oracle update",
            from: "executor_swap_1_hop − executor_empty − 2 × the cold inner-call figure − (token_transfer − 21,000) − the oracle update".into(),
            gas: g("executor_swap_1_hop")?
                - g("executor_empty")?
                - 2 * inner_call
                - (g("token_transfer")? - 21_000)
                - (g("pair_swap_first_in_block")? - g("pair_swap_same_block")?),
        },
        Derived::difference(&g, "executor: a second transfer of the same token (warm target, storage already written)", "executor_transfer_x2", "executor_transfer")?,
        Derived {
            what: "flashLoanSimple inside the executor, its callback included",
            from: "flash_loan_simple − executor_empty − the cold inner-call figure".into(),
            gas: g("flash_loan_simple")? - g("executor_empty")? - inner_call,
        },
        Derived::difference(&g, "flashLoan: the second asset", "flash_loan_2", "flash_loan_1")?,
        Derived::difference(&g, "flashLoan: the third asset", "flash_loan_3", "flash_loan_2")?,
        Derived::difference(&g, "flashLoan of one asset beyond flashLoanSimple", "flash_loan_1", "flash_loan_simple")?,
        Derived {
            what: "flashLoanSimple after another from the same pool in the same transaction: what it costs less",
            from: "flash_loan_simple + (the cold inner-call figure − 2,500) + the flashLoanSimple figure above + (flash_loan_simple_dai − flash_loan_simple_weth9) − flash_loan_simple_twice".into(),
            gas: g("flash_loan_simple")? + (inner_call - 2_500)
                + (g("flash_loan_simple")? - g("executor_empty")? - inner_call)
                + (g("flash_loan_simple_dai")? - g("flash_loan_simple_weth9")?)
                - g("flash_loan_simple_twice")?,
        },
        Derived {
            what: "bridge: each transfer after the first of a shared message, before its token's access",
            from: "bridge_lock_batch_3 − bridge_lock_batch_2 − 2,600 (EIP-2929 cold access)".into(),
            gas: g("bridge_lock_batch_3")? - g("bridge_lock_batch_2")? - 2_600,
        },
        Derived {
            what: "bridge: a shared message's encoding beyond its entries, once",
            from: "(bridge_lock_batch_2 − bridge_lock_zk) − (bridge_lock_batch_3 − bridge_lock_batch_2)".into(),
            gas: (g("bridge_lock_batch_2")? - g("bridge_lock_zk")?)
                - (g("bridge_lock_batch_3")? - g("bridge_lock_batch_2")?),
        },
    ];
    figures.extend(tokens::derived(&g)?);
    figures.extend(inner::derived(&g)?);
    figures.extend(positions::derived(&g)?);
    figures.extend(pool::derived(&g)?);
    Ok(figures)
}

/// The two Markdown tables docs/evm.md gives: every row for both interest
/// rate strategies, then the derived figures.
pub fn table() -> Result<String, EvmError> {
    let zero = measure(InterestRates::Zero)?;
    let published = measure(InterestRates::Published)?;
    let mut out = String::new();
    out.push_str(
        "| row | transaction | gas, zero rates | gas, published rates |\n|---|---|---:|---:|\n",
    );
    for (z, p) in zero.iter().zip(&published) {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            z.key,
            z.what,
            group(i64::try_from(z.gas).unwrap_or(i64::MAX)),
            group(i64::try_from(p.gas).unwrap_or(i64::MAX))
        ));
    }
    out.push_str("\n| derived | from | zero rates | published rates |\n|---|---|---:|---:|\n");
    for (z, p) in derived(&zero)?.iter().zip(derived(&published)?) {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            z.what,
            z.from,
            group(z.gas),
            group(p.gas)
        ));
    }
    Ok(out)
}

/// `1234567` as `1,234,567`, a negative with a minus sign.
fn group(n: i64) -> String {
    let digits = mesh_core::amount::group_digits(&n.unsigned_abs().to_string(), ',');
    if n < 0 {
        format!("−{digits}")
    } else {
        digits
    }
}
