//! The pool's rows: Aave V3 calls made by the executor, alone and after
//! another call on the same pool in the same transaction. Each lender row
//! of the schedule is measured as its own transaction, which reads the
//! pool's logic, its configuration and each reserve it touches cold; a
//! later call of the same transaction finds what an earlier one read warm
//! (EIP-2929). These rows say how much, per pool and per reserve
//! (docs/gas.md, "Positions").

use revm::primitives::U256;

use super::{Bench, Derived, Measurement, ETHER, USDC};
use crate::calls::{self, InnerCall};
use crate::deploy::{Holder, InterestRates};
use crate::error::EvmError;

pub(super) fn rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Executor, rates)?;
    let (wallet, executor, pool) = b.executor_accounts()?;
    let zero = U256::ZERO;
    let [usdc, dai, weth] = b.tokens(["USDC", "DAI", "WETH"])?;
    let run = |calls: &[InnerCall]| calls::executor_run(calls);
    let on_pool = |data: Vec<u8>| InnerCall::new(pool, data);
    let supply = |token, amount| on_pool(calls::aave_supply(token, amount, executor));
    let borrow = |token, amount| on_pool(calls::aave_borrow(token, amount, executor));
    let repay = |token, amount| on_pool(calls::aave_repay(token, amount, executor));
    let withdraw = |token, amount| on_pool(calls::aave_withdraw(token, amount, executor));

    // The executor's position: it supplies USDC and DAI and owes WETH and
    // DAI.
    let approvals: Vec<InnerCall> = [usdc, dai, weth]
        .into_iter()
        .map(|t| InnerCall::new(t, calls::approve(pool, U256::MAX)))
        .collect();
    b.send(wallet, executor, run(&approvals), zero)?;
    b.send(
        wallet,
        executor,
        run(&[supply(usdc, 10_000 * USDC), supply(dai, 5_000 * ETHER)]),
        zero,
    )?;
    b.send(wallet, executor, run(&[borrow(weth, ETHER)]), zero)?;
    b.send(wallet, executor, run(&[borrow(dai, 1_000 * ETHER)]), zero)?;

    let rows: [(&'static str, &'static str, Vec<InnerCall>); 16] = [
        ("pool_supply_usdc", "MeshExecutor.run: Aave V3 supply of 1,000 USDC; the executor supplies USDC and DAI and owes WETH and DAI", vec![supply(usdc, 1_000 * USDC)]),
        ("pool_supply_dai", "MeshExecutor.run: Aave V3 supply of 1,000 DAI; the same position", vec![supply(dai, 1_000 * ETHER)]),
        ("pool_supply_usdc_twice", "MeshExecutor.run: two Aave V3 supplies of 1,000 USDC", vec![supply(usdc, 1_000 * USDC), supply(usdc, 1_000 * USDC)]),
        ("pool_supply_dai_then_usdc", "MeshExecutor.run: Aave V3 supply of 1,000 DAI, then of 1,000 USDC", vec![supply(dai, 1_000 * ETHER), supply(usdc, 1_000 * USDC)]),
        ("pool_borrow_weth", "MeshExecutor.run: Aave V3 borrow of 0.1 WETH; the same position", vec![borrow(weth, ETHER / 10)]),
        ("pool_supply_dai_then_borrow_weth", "MeshExecutor.run: Aave V3 supply of 1,000 DAI, then a borrow of 0.1 WETH", vec![supply(dai, 1_000 * ETHER), borrow(weth, ETHER / 10)]),
        ("pool_supply_usdc_then_borrow_weth", "MeshExecutor.run: Aave V3 supply of 1,000 USDC, then a borrow of 0.1 WETH", vec![supply(usdc, 1_000 * USDC), borrow(weth, ETHER / 10)]),
        ("pool_borrow_weth_twice", "MeshExecutor.run: two Aave V3 borrows of 0.1 WETH", vec![borrow(weth, ETHER / 10), borrow(weth, ETHER / 10)]),
        ("pool_repay_weth", "MeshExecutor.run: Aave V3 repay of 0.01 WETH, part of the debt", vec![repay(weth, ETHER / 100)]),
        ("pool_withdraw_usdc", "MeshExecutor.run: Aave V3 withdraw of 100 USDC (health factor checked)", vec![withdraw(usdc, 100 * USDC)]),
        ("pool_withdraw_usdc_then_repay_weth", "MeshExecutor.run: Aave V3 withdraw of 100 USDC, then a repay of 0.01 WETH", vec![withdraw(usdc, 100 * USDC), repay(weth, ETHER / 100)]),
        ("pool_repay_dai", "MeshExecutor.run: Aave V3 repay of 10 DAI, part of the debt", vec![repay(dai, 10 * ETHER)]),
        ("pool_withdraw_usdc_then_repay_dai", "MeshExecutor.run: Aave V3 withdraw of 100 USDC, then a repay of 10 DAI", vec![withdraw(usdc, 100 * USDC), repay(dai, 10 * ETHER)]),
        ("pool_borrow_weth_then_supply_usdc", "MeshExecutor.run: Aave V3 borrow of 0.1 WETH, then a supply of 1,000 USDC", vec![borrow(weth, ETHER / 10), supply(usdc, 1_000 * USDC)]),
        ("pool_borrow_dai", "MeshExecutor.run: Aave V3 borrow of 10 DAI; the same position", vec![borrow(dai, 10 * ETHER)]),
        ("pool_repay_weth_then_borrow_dai", "MeshExecutor.run: Aave V3 repay of 0.01 WETH, then a borrow of 10 DAI", vec![repay(weth, ETHER / 100), borrow(dai, 10 * ETHER)]),
    ];
    for (key, what, inner) in rows {
        b.measure(key, what, false, executor, run(&inner), zero)?;
    }
    Ok(b.rows)
}

/// What a call finds warm after another on the same pool, from the rows
/// above.
pub(super) fn derived(g: super::Gas<'_>) -> Result<Vec<Derived>, EvmError> {
    Ok(vec![
        Derived::difference(
            g,
            "pool: a supply after a supply of the same reserve, in one transaction",
            "pool_supply_usdc_twice",
            "pool_supply_usdc",
        )?,
        Derived::difference(
            g,
            "pool: a supply after a supply of another reserve, in one transaction",
            "pool_supply_dai_then_usdc",
            "pool_supply_dai",
        )?,
        Derived::difference(
            g,
            "pool: a borrow after a supply of a reserve it values, supplied only, in one transaction",
            "pool_supply_usdc_then_borrow_weth",
            "pool_supply_usdc",
        )?,
        Derived::difference(
            g,
            "pool: a borrow after a supply of a reserve it values, supplied and owed, in one transaction",
            "pool_supply_dai_then_borrow_weth",
            "pool_supply_dai",
        )?,
        Derived::difference(
            g,
            "pool: a borrow after a borrow of the same reserve, in one transaction",
            "pool_borrow_weth_twice",
            "pool_borrow_weth",
        )?,
        Derived::difference(
            g,
            "pool: a repay after a withdrawal that valued its reserve, owed only, in one transaction",
            "pool_withdraw_usdc_then_repay_weth",
            "pool_withdraw_usdc",
        )?,
        Derived::difference(
            g,
            "pool: a repay after a withdrawal that valued its reserve, supplied and owed, in one transaction",
            "pool_withdraw_usdc_then_repay_dai",
            "pool_withdraw_usdc",
        )?,
        Derived::difference(
            g,
            "pool: a supply after a borrow that valued its reserve, supplied only, in one transaction",
            "pool_borrow_weth_then_supply_usdc",
            "pool_borrow_weth",
        )?,
        Derived::difference(
            g,
            "pool: a borrow after a repay of a reserve it values, owed only, in one transaction",
            "pool_repay_weth_then_borrow_dai",
            "pool_repay_weth",
        )?,
    ])
}
