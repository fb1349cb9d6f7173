//! The token contract's rows: the same ERC-20 calls on `WETH9` and on
//! `MintableERC20`, and the figures derived from them, which the gas
//! schedule's `weth9_*` rows cite.

use revm::primitives::U256;

use super::{Bench, Derived, Measurement, CHAIN, ETHER};
use crate::calls::{self, InnerCall};
use crate::deploy::{Holder, InterestRates};
use crate::error::EvmError;

/// The same ERC-20 calls on the two token contracts the deployment uses:
/// `WETH9` (each chain's wrapped native token) and `MintableERC20` (every
/// other token; DAI here, of WETH's 18 decimals, so that both calls carry
/// the same calldata), each pair measured in the same state one after the
/// other, so that its difference is the contract's alone. The ERC-20 rows
/// first, then the protocol calls that pull a token (a router, the pool, a
/// bridge) and a flash loan, which pays one out and pulls it back.
pub(super) fn rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut rows = wallet_rows(rates)?;
    rows.extend(executor_rows(rates)?);
    Ok(rows)
}

fn wallet_rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Wallet, rates)?;
    let wallet = b.evm.accounts.wallet;
    let spender = b.evm.accounts.deployer;
    let zero = U256::ZERO;
    let usdc = b.token("USDC")?;
    let weth = b.token("WETH")?;
    let dai = b.token("DAI")?;
    let contracts = b.evm.contracts(CHAIN)?.clone();
    let router = contracts.exchanges["uniswap_v2"].router;
    let pool = contracts.lenders["aave"].pool;
    let htlb = contracts.bridges[&mesh_core::BridgeKind::Htlb];
    let pair = b.pair("uniswap_v2", "DAI", "WETH")?;

    b.measure(
        "weth9_approve",
        "WETH9 approve, own transaction (allowance 0 → max; the `approve` row's call on a MintableERC20)",
        false,
        weth,
        calls::approve(router, U256::MAX),
        zero,
    )?;
    b.send(wallet, dai, calls::approve(router, U256::MAX), zero)?;
    b.send(wallet, dai, calls::approve(spender, U256::MAX), zero)?;
    b.send(wallet, weth, calls::approve(spender, U256::MAX), zero)?;
    for (key, what, token) in [
        ("erc20_transfer_from", "MintableERC20 (DAI) transferFrom of 1 DAI into a pair, sent by a spender under a standing max allowance", dai),
        ("weth9_transfer_from", "WETH9 transferFrom of 1 WETH into a pair, sent by a spender under a standing max allowance", weth),
    ] {
        let data = calls::transfer_from(wallet, pair, ETHER);
        b.measure_from(spender, key, what, false, token, data, zero)?;
    }
    for (key, what, token) in [
        (
            "erc20_transfer",
            "MintableERC20 (DAI) transfer of 1 DAI into a pair, own transaction",
            dai,
        ),
        (
            "weth9_transfer",
            "WETH9 transfer of 1 WETH into a pair, own transaction",
            weth,
        ),
    ] {
        b.measure(key, what, false, token, calls::transfer(pair, ETHER), zero)?;
    }
    for (key, what, token) in [
        (
            "router_swap_dai_in",
            "Router02 swapExactTokensForTokens, 1 hop, 1 DAI→USDC (a standing max allowance)",
            dai,
        ),
        (
            "router_swap_weth9_in",
            "Router02 swapExactTokensForTokens, 1 hop, 1 WETH→USDC (a standing max allowance)",
            weth,
        ),
    ] {
        let swap =
            calls::router_swap_exact_tokens_for_tokens(ETHER, 0, &[token, usdc], wallet, u64::MAX);
        b.measure(key, what, false, router, swap, zero)?;
    }

    for token in [dai, weth] {
        b.send(wallet, token, calls::approve(htlb, U256::MAX), zero)?;
        b.send(wallet, token, calls::approve(pool, U256::MAX), zero)?;
    }
    // Not the account's first supply or borrow (a lock costs the same
    // whatever locks came before it: the bridge numbers them from 1).
    for token in [dai, weth] {
        b.send(
            wallet,
            pool,
            calls::aave_supply(token, 2 * ETHER, wallet),
            zero,
        )?;
    }
    for token in [dai, weth] {
        b.send(wallet, pool, calls::aave_borrow(token, ETHER, wallet), zero)?;
    }
    for (key, what, token) in [
        (
            "bridge_lock_dai",
            "MeshBridge lock (htlb, 1 DAI to arbitrum; a standing max allowance)",
            dai,
        ),
        (
            "bridge_lock_weth9",
            "MeshBridge lock (htlb, 1 WETH to arbitrum; a standing max allowance)",
            weth,
        ),
    ] {
        let lock = calls::bridge_lock(token, ETHER, 42_161, wallet);
        b.measure(key, what, false, htlb, lock, zero)?;
    }
    for (key, what, token) in [
        ("supply_dai", "Aave V3 supply, a further one (1 DAI; the account supplies DAI and WETH and owes both)", dai),
        ("supply_weth9", "Aave V3 supply, a further one (1 WETH; the same account)", weth),
    ] {
        let supply = calls::aave_supply(token, ETHER, wallet);
        b.measure(key, what, false, pool, supply, zero)?;
    }
    for (key, what, token) in [
        (
            "repay_dai",
            "Aave V3 repay, part of the debt (0.5 DAI; the same account)",
            dai,
        ),
        (
            "repay_weth9",
            "Aave V3 repay, part of the debt (0.5 WETH; the same account)",
            weth,
        ),
    ] {
        let repay = calls::aave_repay(token, ETHER / 2, wallet);
        b.measure(key, what, false, pool, repay, zero)?;
    }
    Ok(b.rows)
}

fn executor_rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Executor, rates)?;
    let (wallet, executor, pool) = b.executor_accounts()?;
    let zero = U256::ZERO;
    let weth = b.token("WETH")?;
    let dai = b.token("DAI")?;
    let contracts = b.evm.contracts(CHAIN)?.clone();
    let run = |calls: &[InnerCall]| calls::executor_run(calls);
    let approvals = [
        InnerCall::new(weth, calls::approve(pool, U256::MAX)),
        InnerCall::new(dai, calls::approve(pool, U256::MAX)),
    ];
    b.send(wallet, executor, run(&approvals), zero)?;
    let empty = calls::executor_callback_params(&[]);
    for (key, what, token) in [
        ("flash_loan_simple_dai", "MeshExecutor.run: Aave V3 flashLoanSimple of 100 DAI, empty callback", dai),
        ("flash_loan_simple_weth9", "MeshExecutor.run: Aave V3 flashLoanSimple of 100 WETH, empty callback (after the DAI one)", weth),
    ] {
        let loan = calls::aave_flash_loan_simple(executor, token, 100 * ETHER, empty.clone());
        b.measure(key, what, false, executor, run(&[InnerCall::new(pool, loan)]), zero)?;
    }
    // A pull right after its approval, in one transaction: the approval
    // leaves the token and the allowance warm, and the allowance written
    // (EIP-2929, EIP-2200), against the approval and the pull apart.
    let htlb = contracts.bridges[&mesh_core::BridgeKind::Htlb];
    let zk = contracts.bridges[&mesh_core::BridgeKind::Zk];
    let rows = [
        (
            dai,
            100 * ETHER,
            [
                ("executor_approve_dai", "MeshExecutor.run: approve DAI for a bridge (max, allowance 0 → non-zero)"),
                ("executor_lock_dai", "MeshExecutor.run: that bridge's lock of 100 DAI under the standing allowance"),
                ("executor_approve_lock_dai", "MeshExecutor.run: approve DAI for another bridge (from zero), then its lock of 100 DAI"),
            ],
        ),
        (
            weth,
            ETHER,
            [
                ("executor_approve_weth9", "MeshExecutor.run: approve WETH for a bridge (max, allowance 0 → non-zero)"),
                ("executor_lock_weth9", "MeshExecutor.run: that bridge's lock of 1 WETH under the standing allowance"),
                ("executor_approve_lock_weth9", "MeshExecutor.run: approve WETH for another bridge (from zero), then its lock of 1 WETH"),
            ],
        ),
    ];
    for (token, amount, [approve, lock, both]) in rows {
        let lock_on =
            |bridge| InnerCall::new(bridge, calls::bridge_lock(token, amount, 42_161, wallet));
        let approval = |bridge| InnerCall::new(token, calls::approve(bridge, U256::MAX));
        b.measure(
            approve.0,
            approve.1,
            false,
            executor,
            run(&[approval(htlb)]),
            zero,
        )?;
        b.measure(lock.0, lock.1, false, executor, run(&[lock_on(htlb)]), zero)?;
        b.measure(
            both.0,
            both.1,
            false,
            executor,
            run(&[approval(zk), lock_on(zk)]),
            zero,
        )?;
    }
    Ok(b.rows)
}

/// The differences of the rows above: what `WETH9` saves on an approve, a
/// pull and a transfer, and inside each protocol call that pulls.
pub(super) fn derived(g: super::Gas<'_>) -> Result<Vec<Derived>, EvmError> {
    Ok(vec![
        Derived::difference(g, "WETH9: what its approve costs less than a MintableERC20's", "approve", "weth9_approve")?,
        Derived::difference(g, "WETH9: what a pull under a standing max allowance costs less", "erc20_transfer_from", "weth9_transfer_from")?,
        Derived::difference(g, "WETH9: what a transfer costs less", "erc20_transfer", "weth9_transfer")?,
        Derived::difference(g, "WETH9 in: the router's pull", "router_swap_dai_in", "router_swap_weth9_in")?,
        Derived::difference(g, "WETH9 in: the bridge's pull", "bridge_lock_dai", "bridge_lock_weth9")?,
        Derived::difference(g, "WETH9 in: the pool's pull of a supply", "supply_dai", "supply_weth9")?,
        Derived::difference(g, "WETH9 in: the pool's pull of a repay", "repay_dai", "repay_weth9")?,
        Derived {
            what: "an executor's pull of a MintableERC20 right after its approval of the puller: what it costs less than the two apart, beyond the token's warm access (2,500)",
            from: "executor_approve_dai + executor_lock_dai − executor_empty − executor_approve_lock_dai − 2,500".into(),
            gas: g("executor_approve_dai")? + g("executor_lock_dai")? - g("executor_empty")? - g("executor_approve_lock_dai")? - 2_500,
        },
        Derived {
            what: "an executor's pull of WETH9 right after its approval of the puller: what it costs less than the two apart, beyond the token's warm access (2,500)",
            from: "executor_approve_weth9 + executor_lock_weth9 − executor_empty − executor_approve_lock_weth9 − 2,500".into(),
            gas: g("executor_approve_weth9")? + g("executor_lock_weth9")? - g("executor_empty")? - g("executor_approve_lock_weth9")? - 2_500,
        },
        Derived::difference(g, "WETH9 out and in: a flash loan's payout and pull", "flash_loan_simple_dai", "flash_loan_simple_weth9")?,
    ])
}
