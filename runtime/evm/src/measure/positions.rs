//! The position's rows: Aave V3 calls whose cost depends on the account's
//! position at the pool — how many reserves it supplies and owes, whether
//! a supply or a borrow is its first of the asset, whether a repay clears
//! the debt. One account builds its position step by step and each call
//! is measured beside the same call on the position one step smaller, so
//! that a difference is the step's alone. The gas schedule charges
//! steady figures (docs/gas.md, "Choices the table implies"); these rows
//! say what a position adds to them.

use revm::primitives::U256;

use super::{Bench, Derived, Measurement, ETHER, USDC};
use crate::calls;
use crate::deploy::{Holder, InterestRates};
use crate::error::EvmError;

/// WBTC's unit: 8 decimals.
const WBTC: u128 = 100_000_000;

pub(super) fn rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Wallet, rates)?;
    let wallet = b.evm.accounts.wallet;
    let zero = U256::ZERO;
    let [usdc, dai, wbtc, weth, usdt] = b.tokens(["USDC", "DAI", "WBTC", "WETH", "USDT"])?;
    let pool = b.evm.contracts(super::CHAIN)?.lenders["aave"].pool;
    for token in [usdc, dai, wbtc, weth, usdt] {
        b.send(wallet, token, calls::approve(pool, U256::MAX), zero)?;
    }
    let supply = |token, amount| calls::aave_supply(token, amount, wallet);
    let borrow = |token, amount| calls::aave_borrow(token, amount, wallet);

    // One collateral (USDC), one debt (WETH).
    b.send(wallet, pool, supply(usdc, 10_000 * USDC), zero)?;
    b.send(wallet, pool, borrow(weth, ETHER), zero)?;
    let rows: [(&'static str, &'static str, Vec<u8>); 10] = [
        ("position_borrow_1_collateral", "Aave V3 borrow of 0.1 WETH, a further one; the account supplies USDC and owes WETH", borrow(weth, ETHER / 10)),
        ("position_supply_first_of_asset", "Aave V3 supply of 1,000 DAI, the account's first of DAI; it supplies USDC and owes WETH", supply(dai, 1_000 * ETHER)),
        ("position_supply_further", "Aave V3 supply of 1,000 DAI, a further one; the same account", supply(dai, 1_000 * ETHER)),
        ("position_borrow_2_collateral", "Aave V3 borrow of 0.1 WETH; the account supplies USDC and DAI and owes WETH", borrow(weth, ETHER / 10)),
        ("position_supply_third_asset", "Aave V3 supply of 0.1 WBTC, the account's first of WBTC; it supplies USDC and DAI and owes WETH", supply(wbtc, WBTC / 10)),
        ("position_borrow_3_collateral", "Aave V3 borrow of 0.1 WETH; the account supplies USDC, DAI and WBTC and owes WETH", borrow(weth, ETHER / 10)),
        ("position_borrow_first_of_asset", "Aave V3 borrow of 100 USDT, the account's first of USDT; it supplies three assets and owes WETH", borrow(usdt, 100 * USDC)),
        (
            "position_borrow_further_of_asset",
            "Aave V3 borrow of 100 USDT, a further one; the same account",
            borrow(usdt, 100 * USDC),
        ),
        ("position_borrow_2_debts", "Aave V3 borrow of 0.1 WETH; the account supplies three assets and owes WETH and USDT", borrow(weth, ETHER / 10)),
        ("position_withdraw_2_debts", "Aave V3 withdraw of 100 DAI; the same account (its health factor checked)", calls::aave_withdraw(dai, 100 * ETHER, wallet)),
    ];
    for (key, what, data) in rows {
        b.measure(key, what, false, pool, data, zero)?;
    }
    b.measure(
        "position_repay_part",
        "Aave V3 repay of 50 USDT, part of the debt; the same account",
        false,
        pool,
        calls::aave_repay(usdt, 50 * USDC, wallet),
        zero,
    )?;
    b.measure(
        "position_repay_clears",
        "Aave V3 repay of the rest of the USDT debt, which clears it; the same account",
        false,
        pool,
        calls::aave_repay(usdt, u128::MAX, wallet),
        zero,
    )?;
    // The account supplies USDC, DAI and WBTC and owes WETH again: it
    // borrows an asset it supplies, then borrows WETH beside that debt.
    let rows: [(&'static str, &'static str, Vec<u8>); 3] = [
        ("position_borrow_first_of_supplied_asset", "Aave V3 borrow of 100 DAI, the account's first of DAI, which it supplies; it supplies three assets and owes WETH", borrow(dai, 100 * ETHER)),
        ("position_borrow_supplied_asset", "Aave V3 borrow of 100 DAI, a further one; the account supplies three assets, DAI among them, and owes WETH and DAI", borrow(dai, 100 * ETHER)),
        ("position_borrow_beside_supplied_debt", "Aave V3 borrow of 0.1 WETH; the same account, whose debt of DAI is in a reserve it supplies", borrow(weth, ETHER / 10)),
    ];
    for (key, what, data) in rows {
        b.measure(key, what, false, pool, data, zero)?;
    }
    // A withdrawal of part of a deposit, then of all that is left, which
    // takes the reserve out of the position's collateral: while the
    // account owes (its health factor checked without the reserve), and
    // after its debts are repaid.
    let withdraw_rest = |b: &mut Bench, token: revm::primitives::Address| {
        let a_token = b.evm.contracts(super::CHAIN)?.lenders["aave"]
            .reserves
            .values()
            .find(|r| r.asset == token)
            .map(|r| r.a_token)
            .ok_or_else(|| EvmError::Unknown {
                chain: super::CHAIN.to_string(),
                what: "the reserve's aToken".to_string(),
            })?;
        let word = b.evm.chain_mut(super::CHAIN)?.view_word(
            a_token,
            calls::balance_of(wallet),
            "a deposit",
        )?;
        let left = u128::try_from(word).map_err(|_| EvmError::Unknown {
            chain: super::CHAIN.to_string(),
            what: "a deposit that fits 128 bits".to_string(),
        })?;
        Ok::<_, EvmError>(calls::aave_withdraw(token, left, wallet))
    };
    b.measure(
        "position_withdraw_part",
        "Aave V3 withdraw of 0.05 WBTC, half the deposit; the account supplies three assets and owes WETH and DAI",
        false,
        pool,
        calls::aave_withdraw(wbtc, WBTC / 20, wallet),
        zero,
    )?;
    let rest = withdraw_rest(&mut b, wbtc)?;
    b.measure(
        "position_withdraw_whole",
        "Aave V3 withdraw of the rest of the WBTC deposit, which leaves none; the same account",
        false,
        pool,
        rest,
        zero,
    )?;
    for token in [weth, dai] {
        b.send(
            wallet,
            pool,
            calls::aave_repay(token, u128::MAX, wallet),
            zero,
        )?;
    }
    b.measure(
        "position_withdraw_part_no_debt",
        "Aave V3 withdraw of 500 DAI, part of the deposit; the account supplies USDC and DAI and owes nothing",
        false,
        pool,
        calls::aave_withdraw(dai, 500 * ETHER, wallet),
        zero,
    )?;
    let rest = withdraw_rest(&mut b, dai)?;
    b.measure(
        "position_withdraw_whole_no_debt",
        "Aave V3 withdraw of the rest of the DAI deposit, which leaves none; the same account",
        false,
        pool,
        rest,
        zero,
    )?;
    Ok(b.rows)
}

/// What each step of a position adds to a call, from the rows above.
pub(super) fn derived(g: super::Gas<'_>) -> Result<Vec<Derived>, EvmError> {
    Ok(vec![
        Derived::difference(
            g,
            "position: a borrow's cost of a second reserve supplied",
            "position_borrow_2_collateral",
            "position_borrow_1_collateral",
        )?,
        Derived::difference(
            g,
            "position: a borrow's cost of a third reserve supplied",
            "position_borrow_3_collateral",
            "position_borrow_2_collateral",
        )?,
        Derived::difference(
            g,
            "position: a borrow's cost of a second asset owed",
            "position_borrow_2_debts",
            "position_borrow_3_collateral",
        )?,
        Derived::difference(
            g,
            "position: a borrow's cost of being the account's first of the asset",
            "position_borrow_first_of_asset",
            "position_borrow_further_of_asset",
        )?,
        Derived::difference(
            g,
            "position: a supply's cost of being the account's first of the asset",
            "position_supply_first_of_asset",
            "position_supply_further",
        )?,
        Derived::difference(
            g,
            "position: a withdrawal that empties the deposit while the account owes, against one that leaves part of it",
            "position_withdraw_whole",
            "position_withdraw_part",
        )?,
        Derived::difference(
            g,
            "position: the same while the account owes nothing",
            "position_withdraw_whole_no_debt",
            "position_withdraw_part_no_debt",
        )?,
        Derived::difference(
            g,
            "position: a repay that clears the debt, against one that leaves part of it",
            "position_repay_clears",
            "position_repay_part",
        )?,
        Derived::difference(
            g,
            "position: a borrow's cost of a debt in a reserve the account supplies",
            "position_borrow_beside_supplied_debt",
            "position_borrow_3_collateral",
        )?,
        Derived::difference(
            g,
            "position: a further borrow of a supplied asset, against one of an asset only owed",
            "position_borrow_supplied_asset",
            "position_borrow_further_of_asset",
        )?,
        Derived::difference(
            g,
            "position: a borrow's cost of being the account's first of an asset it supplies",
            "position_borrow_first_of_supplied_asset",
            "position_borrow_supplied_asset",
        )?,
        Derived::difference(
            g,
            "position: a supply's cost of being the account's first of the asset, beside two reserves supplied",
            "position_supply_third_asset",
            "position_supply_further",
        )?,
        Derived::difference(
            g,
            "position: a supply that is the account's first of any asset",
            "supply_first",
            "supply",
        )?,
        Derived::difference(
            g,
            "position: a withdrawal's cost of a borrow open (the health factor checked)",
            "withdraw_with_debt",
            "withdraw",
        )?,
        Derived::difference(
            g,
            "position: a repay's cost of a position with one reserve supplied, against two",
            "repay",
            "repay_weth9",
        )?,
    ])
}
