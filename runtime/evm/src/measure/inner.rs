//! The executor's inner calls where they cost more than their rows: inside
//! a flash loan's callback, and when they send the native coin. Each is
//! measured against the same calls made where the rows were measured, in
//! the same state, so that the difference is the place's alone; the gas
//! schedule's `flash_callback_call` and `executor_call_value` cite the
//! figures derived here.

use revm::primitives::{Address, U256};

use super::{Bench, Derived, Gas, Measurement, CHAIN, ETHER, USDC};
use crate::calls::{self, InnerCall};
use crate::deploy::{Holder, InterestRates};
use crate::error::EvmError;

/// Approvals of three tokens the loans below do not move, each for a
/// spender no approval names yet (an allowance from zero: the same write
/// in every row).
fn approvals(usdc: Address, dai: Address, usdt: Address, first: u8) -> Vec<InnerCall> {
    [usdc, dai, usdt]
        .iter()
        .zip(first..)
        .map(|(&token, n)| {
            InnerCall::new(token, calls::approve(Address::repeat_byte(n), U256::MAX))
        })
        .collect()
}

pub(super) fn rows(rates: InterestRates) -> Result<Vec<Measurement>, EvmError> {
    let mut b = Bench::new(Holder::Executor, rates)?;
    let (wallet, executor, pool) = b.executor_accounts()?;
    let zero = U256::ZERO;
    let [usdc, weth, dai, usdt] = b.tokens(["USDC", "WETH", "DAI", "USDT"])?;
    let run = |calls: &[InnerCall]| calls::executor_run(calls);
    // The pool pulls each loan's repayment under a standing approval.
    b.send(
        wallet,
        executor,
        run(&[InnerCall::new(weth, calls::approve(pool, U256::MAX))]),
        zero,
    )?;
    let loan = |inside: &[InnerCall]| {
        let params = calls::executor_callback_params(inside);
        let simple = calls::aave_flash_loan_simple(executor, weth, 100 * ETHER, params);
        run(&[InnerCall::new(pool, simple)])
    };
    b.measure(
        "inner_empty",
        "MeshExecutor.run with no call",
        false,
        executor,
        run(&[]),
        zero,
    )?;
    b.measure(
        "inner_approvals_3",
        "MeshExecutor.run: three approvals (USDC, DAI, USDT, each from zero)",
        false,
        executor,
        run(&approvals(usdc, dai, usdt, 0x51)),
        zero,
    )?;
    b.measure(
        "inner_flash_loan_empty",
        "MeshExecutor.run: Aave V3 flashLoanSimple of 100 WETH, empty callback",
        false,
        executor,
        loan(&[]),
        zero,
    )?;
    b.measure(
        "inner_flash_loan_approvals_3",
        "MeshExecutor.run: the same loan, its callback making three approvals (each from zero)",
        false,
        executor,
        loan(&approvals(usdc, dai, usdt, 0x61)),
        zero,
    )?;
    b.measure(
        "inner_approval_1",
        "MeshExecutor.run: one approval (USDC, from zero)",
        false,
        executor,
        run(&approvals(usdc, dai, usdt, 0x71)[..1]),
        zero,
    )?;
    b.measure(
        "inner_flash_loan_approval_1",
        "MeshExecutor.run: the same loan, its callback making one approval (USDC, from zero)",
        false,
        executor,
        loan(&approvals(usdc, dai, usdt, 0x81)[..1]),
        zero,
    )?;
    // A direct swap (a transfer into the pair, its `swap`) inside a loan of
    // USDC and outside one.
    b.send(
        wallet,
        executor,
        run(&[InnerCall::new(usdc, calls::approve(pool, U256::MAX))]),
        zero,
    )?;
    let uni = b.pair("uniswap_v2", "USDC", "WETH")?;
    let usdc_loan = |inside: &[InnerCall]| {
        let params = calls::executor_callback_params(inside);
        let simple = calls::aave_flash_loan_simple(executor, usdc, 10_000 * USDC, params);
        run(&[InnerCall::new(pool, simple)])
    };
    b.measure(
        "inner_flash_loan_usdc_empty",
        "MeshExecutor.run: Aave V3 flashLoanSimple of 10,000 USDC, empty callback",
        false,
        executor,
        usdc_loan(&[]),
        zero,
    )?;
    let amount = 1_000 * USDC;
    let swap = |b: &mut Bench| -> Result<Vec<InnerCall>, EvmError> {
        let (a0, a1, _) = b.swap_out(uni, usdc, amount)?;
        Ok(vec![
            InnerCall::new(usdc, calls::transfer(uni, amount)),
            InnerCall::new(uni, calls::pair_swap(a0, a1, executor)),
        ])
    };
    b.evm.chain_mut(CHAIN)?.next_block(12)?;
    let inside = swap(&mut b)?;
    b.measure(
        "inner_flash_loan_usdc_swap",
        "MeshExecutor.run: the same loan, its callback making a direct swap of 1,000 USDC (transfer, pair.swap; the pair's first swap in the block)",
        true,
        executor,
        usdc_loan(&inside),
        zero,
    )?;
    b.evm.chain_mut(CHAIN)?.next_block(12)?;
    let outside = swap(&mut b)?;
    b.measure(
        "inner_swap",
        "MeshExecutor.run: the same direct swap (the pair's first swap in the block)",
        true,
        executor,
        run(&outside),
        zero,
    )?;
    // WETH9's `deposit` as the executor's inner call, which sends the
    // coin from its own balance (the wallet sends it with the transaction:
    // `weth_deposit`).
    b.measure(
        "inner_executor_wrap",
        "MeshExecutor.run: WETH9.deposit of 1 ETH as an inner call, the coin from the executor's balance",
        false,
        executor,
        run(&[InnerCall {
            target: weth,
            value: U256::from(ETHER),
            data: calls::weth_deposit(),
        }]),
        zero,
    )?;
    Ok(b.rows)
}

/// The figures the schedule cites, from one run's rows.
pub(super) fn derived(g: Gas<'_>) -> Result<Vec<Derived>, EvmError> {
    let callback = |approvals: &str, plain: &str, n: i64| -> Result<i64, EvmError> {
        let inside = g(approvals)? - g("inner_flash_loan_empty")?;
        let outside = g(plain)? - g("inner_empty")?;
        Ok((inside - outside) / n)
    };
    let inner_call =
        g("executor_transfer")? - g("executor_empty")? - (g("token_transfer")? - 21_000);
    Ok(vec![
        Derived {
            what: "flash loan: each inner call its callback makes, beyond the same call made outside a loan (three calls)",
            from: "((inner_flash_loan_approvals_3 − inner_flash_loan_empty) − (inner_approvals_3 − inner_empty)) / 3".into(),
            gas: callback("inner_flash_loan_approvals_3", "inner_approvals_3", 3)?,
        },
        Derived {
            what: "flash loan: the same, from one call",
            from: "(inner_flash_loan_approval_1 − inner_flash_loan_empty) − (inner_approval_1 − inner_empty)".into(),
            gas: callback("inner_flash_loan_approval_1", "inner_approval_1", 1)?,
        },
        Derived {
            what: "flash loan: each of a direct swap's two inner calls its callback makes, beyond the same swap outside a loan, once what the loan leaves warm is added back",
            from: "((inner_flash_loan_usdc_swap − inner_flash_loan_usdc_empty) − (inner_swap − inner_empty) + 2,500 (USDC's account, warm) + 4,800 (the USDC balance, warm and written)) / 2".into(),
            gas: ((g("inner_flash_loan_usdc_swap")? - g("inner_flash_loan_usdc_empty")?)
                - (g("inner_swap")? - g("inner_empty")?)
                + 2_500
                + 4_800)
                / 2,
        },
        Derived {
            what: "executor: an inner call that sends the native coin (a wrap), beyond the wallet's same call, its dispatch and its cold access",
            from: "inner_executor_wrap − inner_empty − (weth_deposit − 21,000) − the cold inner-call figure".into(),
            gas: g("inner_executor_wrap")?
                - g("inner_empty")?
                - (g("weth_deposit")? - 21_000)
                - inner_call,
        },
    ])
}
