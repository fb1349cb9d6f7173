//! The deployed contracts behave as the model says where it should, and
//! where they differ the difference is pinned here: swaps through the
//! router and through chained pairs give Uniswap V2's exact amounts, the
//! executor runs only its owner's calls and the callbacks of its own flash
//! loans, failures report the path of the failing call, lender actions move
//! exact amounts, and the bridges charge the model's fee, rounded up.

use mesh_core::maths::{flash_premium, get_amount_out};
use mesh_evm::abi::{address_at, uint_at};
use mesh_evm::calls::{self, InnerCall};
use mesh_evm::{DeployOptions, EvmWorld, Holder, Receipt, Status, Tx};
use mesh_runtime::world::World;
use revm::primitives::{Address, U256};

fn deploy(holder: Holder) -> EvmWorld {
    deploy_world(holder, &World::default_world())
}

/// The default world, with no position of the user's on `chain`.
fn without_positions_on(chain: &str) -> World {
    let mut world = World::default_world();
    for lender in world
        .lenders
        .get_mut(chain)
        .into_iter()
        .flat_map(|l| l.values_mut())
    {
        lender.deposits.clear();
        lender.debts.clear();
    }
    world
}

fn deploy_world(holder: Holder, world: &World) -> EvmWorld {
    let options = DeployOptions {
        holder,
        ..DeployOptions::default()
    };
    let mut evm = EvmWorld::deploy(world, &options).expect("deploys");
    for chain in ["polygon", "arbitrum", "ethereum"] {
        evm.chain_mut(chain)
            .expect("chain")
            .next_block(12)
            .expect("next block");
    }
    evm
}

fn token(evm: &EvmWorld, chain: &str, symbol: &str) -> Address {
    evm.contracts(chain).expect("chain").tokens[symbol]
        .address()
        .expect("an ERC-20")
}

fn pair(evm: &EvmWorld, chain: &str, exchange: &str, a: &str, b: &str) -> Address {
    evm.contracts(chain).expect("chain").exchanges[exchange].pairs[&(a.to_string(), b.to_string())]
}

fn send(evm: &mut EvmWorld, chain: &str, from: Address, to: Address, data: Vec<u8>) -> Receipt {
    evm.execute(chain, &Tx::call(from, to, data))
        .expect("the EVM runs it")
}

fn ok(receipt: Receipt) -> Receipt {
    assert_eq!(receipt.status, Status::Success, "{receipt:?}");
    receipt
}

fn reason(receipt: &Receipt) -> String {
    match &receipt.status {
        Status::Revert { reason, .. } => reason.clone(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// `(reserve of token_in, reserve of token_out)` and whether token_in is
/// the pair's token0, read from the pair.
fn reserves(
    evm: &mut EvmWorld,
    chain: &str,
    pair: Address,
    token_in: Address,
) -> (u128, u128, bool) {
    let c = evm.chain_mut(chain).expect("chain");
    let r = c
        .view(pair, calls::pair_get_reserves(), "reserves")
        .expect("reserves");
    let t0 = c
        .view(pair, mesh_evm::abi::call("token0()", &[]), "token0")
        .expect("token0");
    let r0 = u128::try_from(uint_at(&r, 0).expect("r0")).expect("fits");
    let r1 = u128::try_from(uint_at(&r, 1).expect("r1")).expect("fits");
    if address_at(&t0, 0) == Some(token_in) {
        (r0, r1, true)
    } else {
        (r1, r0, false)
    }
}

#[test]
fn a_router_swap_gives_uniswaps_amount_out() {
    let mut evm = deploy(Holder::Wallet);
    let wallet = evm.accounts.wallet;
    let usdc = token(&evm, "polygon", "USDC");
    let weth = token(&evm, "polygon", "WETH");
    let router = evm.contracts("polygon").expect("polygon").exchanges["uniswap_v2"].router;
    let p = pair(&evm, "polygon", "uniswap_v2", "USDC", "WETH");
    let (r_in, r_out, _) = reserves(&mut evm, "polygon", p, usdc);
    let amount = 10_000 * 10u128.pow(6);
    let expected = get_amount_out(amount, r_in, r_out, 30).expect("maths");
    let before = evm.balance("polygon", "WETH", wallet).expect("balance");
    ok(send(
        &mut evm,
        "polygon",
        wallet,
        usdc,
        calls::approve(router, U256::from(amount)),
    ));
    let swap = calls::router_swap_exact_tokens_for_tokens(
        amount,
        expected,
        &[usdc, weth],
        wallet,
        u64::MAX,
    );
    ok(send(&mut evm, "polygon", wallet, router, swap));
    let after = evm.balance("polygon", "WETH", wallet).expect("balance");
    assert_eq!(after - before, expected);
}

#[test]
fn the_executor_chains_pairs_of_two_forks() {
    let mut evm = deploy(Holder::Executor);
    let wallet = evm.accounts.wallet;
    let executor = evm.contracts("polygon").expect("polygon").executor;
    let usdc = token(&evm, "polygon", "USDC");
    let weth = token(&evm, "polygon", "WETH");
    let uni = pair(&evm, "polygon", "uniswap_v2", "USDC", "WETH");
    let sushi = pair(&evm, "polygon", "sushiswap", "USDC", "WETH");
    // USDC → WETH on uniswap_v2, the WETH straight into sushiswap's pair,
    // → USDC back to the executor.
    let amount = 10_000 * 10u128.pow(6);
    let (a_in, a_out, usdc_first) = reserves(&mut evm, "polygon", uni, usdc);
    let weth_out = get_amount_out(amount, a_in, a_out, 30).expect("maths");
    let (b_in, b_out, weth_first) = reserves(&mut evm, "polygon", sushi, weth);
    let usdc_out = get_amount_out(weth_out, b_in, b_out, 30).expect("maths");
    let outs = |first: bool, out: u128| if first { (0, out) } else { (out, 0) };
    let (u0, u1) = outs(usdc_first, weth_out);
    let (s0, s1) = outs(weth_first, usdc_out);
    let before = evm.balance("polygon", "USDC", executor).expect("balance");
    let run = calls::executor_run(&[
        InnerCall::new(usdc, calls::transfer(uni, amount)),
        InnerCall::new(uni, calls::pair_swap(u0, u1, sushi)),
        InnerCall::new(sushi, calls::pair_swap(s0, s1, executor)),
    ]);
    ok(send(&mut evm, "polygon", wallet, executor, run));
    let after = evm.balance("polygon", "USDC", executor).expect("balance");
    assert_eq!(after + amount - usdc_out, before, "{after} {before}");
    // polygon's pools are priced apart on purpose: the round trip earns.
    assert!(usdc_out > amount);
}

#[test]
fn only_the_owner_runs_the_executor_and_only_its_own_loans_call_back() {
    let mut evm = deploy(Holder::Executor);
    let market = evm.accounts.market;
    let executor = evm.contracts("polygon").expect("polygon").executor;
    let r = send(
        &mut evm,
        "polygon",
        market,
        executor,
        calls::executor_run(&[]),
    );
    assert_eq!(reason(&r), "MeshExecutor: the caller is not the owner");
    // A callback with the executor as initiator, from someone it is not
    // calling: refused, so no one can make it run calls.
    let params = calls::executor_callback_params(&[]);
    let forged = mesh_evm::abi::call(
        "executeOperation(address,uint256,uint256,address,bytes)",
        &[
            mesh_evm::abi::Token::Address(Address::ZERO),
            mesh_evm::abi::Token::uint(1),
            mesh_evm::abi::Token::uint(0),
            mesh_evm::abi::Token::Address(executor),
            mesh_evm::abi::Token::Bytes(params),
        ],
    );
    let r = send(&mut evm, "polygon", market, executor, forged);
    assert_eq!(
        reason(&r),
        "MeshExecutor: a flash-loan callback it did not ask for"
    );
}

#[test]
fn flash_loans_through_the_executor_charge_aaves_premium() {
    let mut evm = deploy(Holder::Executor);
    let wallet = evm.accounts.wallet;
    let c = evm.contracts("arbitrum").expect("arbitrum").clone();
    let pool = c.lenders["aave"].pool;
    let weth = token(&evm, "arbitrum", "WETH");
    let usdc = token(&evm, "arbitrum", "USDC");
    let approve = |t: Address| InnerCall::new(t, calls::approve(pool, U256::MAX));
    let weth_before = evm
        .balance("arbitrum", "WETH", c.executor)
        .expect("balance");
    let usdc_before = evm
        .balance("arbitrum", "USDC", c.executor)
        .expect("balance");

    let loan = 100 * 10u128.pow(18);
    let simple =
        calls::aave_flash_loan_simple(c.executor, weth, loan, calls::executor_callback_params(&[]));
    let run = calls::executor_run(&[approve(weth), InnerCall::new(pool, simple)]);
    ok(send(&mut evm, "arbitrum", wallet, c.executor, run));
    let weth_mid = evm
        .balance("arbitrum", "WETH", c.executor)
        .expect("balance");
    assert_eq!(
        weth_before - weth_mid,
        flash_premium(loan, 5).expect("premium")
    );

    let usdc_loan = 250_000 * 10u128.pow(6);
    let multi = calls::aave_flash_loan(
        c.executor,
        &[(weth, loan), (usdc, usdc_loan)],
        calls::executor_callback_params(&[]),
    );
    let run = calls::executor_run(&[approve(usdc), InnerCall::new(pool, multi)]);
    ok(send(&mut evm, "arbitrum", wallet, c.executor, run));
    let weth_after = evm
        .balance("arbitrum", "WETH", c.executor)
        .expect("balance");
    let usdc_after = evm
        .balance("arbitrum", "USDC", c.executor)
        .expect("balance");
    assert_eq!(
        weth_mid - weth_after,
        flash_premium(loan, 5).expect("premium")
    );
    assert_eq!(
        usdc_before - usdc_after,
        flash_premium(usdc_loan, 5).expect("premium")
    );
}

/// Aave V3 1.19.3 rounds the premium half up (`percentMul`), and so does
/// the model: a loan of 1,000 base units at 5 bps (0.5) costs 1, of 999
/// (0.4995) nothing.
#[test]
fn aave_rounds_the_premium_half_up_as_the_model_does() {
    let mut evm = deploy(Holder::Executor);
    let wallet = evm.accounts.wallet;
    let c = evm.contracts("arbitrum").expect("arbitrum").clone();
    let pool = c.lenders["aave"].pool;
    let weth = token(&evm, "arbitrum", "WETH");
    for (loan, expected) in [(1, 0), (999, 0), (1_000, 1), (2_999, 1), (3_000, 2)] {
        let before = evm
            .balance("arbitrum", "WETH", c.executor)
            .expect("balance");
        let simple = calls::aave_flash_loan_simple(
            c.executor,
            weth,
            loan,
            calls::executor_callback_params(&[]),
        );
        let run = calls::executor_run(&[
            InnerCall::new(weth, calls::approve(pool, U256::MAX)),
            InnerCall::new(pool, simple),
        ]);
        ok(send(&mut evm, "arbitrum", wallet, c.executor, run));
        let after = evm
            .balance("arbitrum", "WETH", c.executor)
            .expect("balance");
        assert_eq!(before - after, expected, "Aave's premium on {loan}");
        assert_eq!(
            flash_premium(loan, 5),
            Ok(expected),
            "the model's premium on {loan}"
        );
    }
}

#[test]
fn a_failing_call_inside_a_flash_loan_reports_its_path_and_reason() {
    let mut evm = deploy(Holder::Executor);
    let wallet = evm.accounts.wallet;
    let c = evm.contracts("polygon").expect("polygon").clone();
    let pool = c.lenders["aave"].pool;
    let weth = token(&evm, "polygon", "WETH");
    let uni = pair(&evm, "polygon", "uniswap_v2", "USDC", "WETH");
    // A swap with nothing sent into the pair first.
    let inner = [InnerCall::new(uni, calls::pair_swap(1, 0, c.executor))];
    let simple = calls::aave_flash_loan_simple(
        c.executor,
        weth,
        10u128.pow(18),
        calls::executor_callback_params(&inner),
    );
    let run = calls::executor_run(&[
        InnerCall::new(weth, calls::approve(pool, U256::MAX)),
        InnerCall::new(pool, simple),
    ]);
    let r = send(&mut evm, "polygon", wallet, c.executor, run);
    assert_eq!(reason(&r), "call 1.0: UniswapV2: INSUFFICIENT_INPUT_AMOUNT");
}

#[test]
fn lender_actions_move_exact_amounts() {
    // An account with no position there: what it supplies is all it has.
    let mut evm = deploy_world(Holder::Wallet, &without_positions_on("ethereum"));
    let wallet = evm.accounts.wallet;
    let c = evm.contracts("ethereum").expect("ethereum").clone();
    let market = &c.lenders["aave"];
    let pool = market.pool;
    let usdc = token(&evm, "ethereum", "USDC");
    let weth = token(&evm, "ethereum", "WETH");
    let a_usdc = market.reserves["USDC"].a_token;
    let deposit = 20_000 * 10u128.pow(6);
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        usdc,
        calls::approve(pool, U256::MAX),
    ));
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        pool,
        calls::aave_supply(usdc, deposit, wallet),
    ));
    let a_balance = |evm: &mut EvmWorld| {
        let c = evm.chain_mut("ethereum").expect("ethereum");
        c.view_word(a_usdc, calls::balance_of(wallet), "aUSDC")
            .expect("aUSDC")
    };
    assert_eq!(a_balance(&mut evm), U256::from(deposit));
    // Borrow 2 WETH (5,000 USD) against 20,000 USDC at 77% LTV, then repay
    // it blocks later: with zero rates it owes exactly the principal.
    let loan = 2 * 10u128.pow(18);
    let weth_before = evm.balance("ethereum", "WETH", wallet).expect("balance");
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        pool,
        calls::aave_borrow(weth, loan, wallet),
    ));
    assert_eq!(
        evm.balance("ethereum", "WETH", wallet).expect("balance"),
        weth_before + loan
    );
    evm.chain_mut("ethereum")
        .expect("ethereum")
        .next_block(120)
        .expect("block");
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        weth,
        calls::approve(pool, U256::MAX),
    ));
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        pool,
        calls::aave_repay(weth, loan, wallet),
    ));
    assert_eq!(
        evm.balance("ethereum", "WETH", wallet).expect("balance"),
        weth_before
    );
    // Borrowing beyond the collateral's 77% is refused by Aave.
    let too_much = 7 * 10u128.pow(18);
    let r = send(
        &mut evm,
        "ethereum",
        wallet,
        pool,
        calls::aave_borrow(weth, too_much, wallet),
    );
    assert_eq!(
        reason(&r),
        "36",
        "Aave's COLLATERAL_CANNOT_COVER_NEW_BORROW"
    );
    ok(send(
        &mut evm,
        "ethereum",
        wallet,
        pool,
        calls::aave_withdraw(usdc, deposit, wallet),
    ));
    assert_eq!(a_balance(&mut evm), U256::ZERO);
}

#[test]
fn bridges_lock_charge_the_fee_rounded_up_and_release_once() {
    let mut evm = deploy(Holder::Wallet);
    let wallet = evm.accounts.wallet;
    let relayer = evm.accounts.relayer;
    let from = evm.contracts("polygon").expect("polygon").clone();
    let to = evm.contracts("arbitrum").expect("arbitrum").clone();
    let htlb = from.bridges[&mesh_core::BridgeKind::Htlb];
    let usdc = token(&evm, "polygon", "USDC");
    let usdc_there = token(&evm, "arbitrum", "USDC");
    ok(send(
        &mut evm,
        "polygon",
        wallet,
        usdc,
        calls::approve(htlb, U256::MAX),
    ));
    let amount = 100 * 10u128.pow(6) + 1;
    let r = ok(send(
        &mut evm,
        "polygon",
        wallet,
        htlb,
        calls::bridge_lock(usdc, amount, 42_161, wallet),
    ));
    let log = r.logs.last().expect("Locked");
    let data = log.data.data.to_vec();
    // token, from, recipient, amount, fee, arrives, readyBlock
    let fee = u128::try_from(uint_at(&data, 4).expect("fee")).expect("fits");
    let arrives = u128::try_from(uint_at(&data, 5).expect("arrives")).expect("fits");
    assert_eq!(fee, mesh_core::maths::bps_ceil(amount, 5).expect("fee"));
    assert_eq!(fee, 50_001);
    assert_eq!(arrives, amount - fee);
    let ready = uint_at(&data, 6).expect("ready");
    let (block, _) = evm.chain("polygon").expect("polygon").block();
    assert_eq!(ready, U256::from(block + 5), "htlb's delay is 5 blocks");

    let arbitrum_htlb = to.bridges[&mesh_core::BridgeKind::Htlb];
    let before = evm.balance("arbitrum", "USDC", wallet).expect("balance");
    let release = calls::bridge_release(137, 0, usdc_there, wallet, arrives);
    let r = send(&mut evm, "arbitrum", wallet, arbitrum_htlb, release.clone());
    assert_eq!(reason(&r), "MeshBridge: the caller is not the relayer");
    ok(send(
        &mut evm,
        "arbitrum",
        relayer,
        arbitrum_htlb,
        release.clone(),
    ));
    assert_eq!(
        evm.balance("arbitrum", "USDC", wallet).expect("balance"),
        before + arrives
    );
    let r = send(&mut evm, "arbitrum", relayer, arbitrum_htlb, release);
    assert_eq!(reason(&r), "MeshBridge: that lock was already released");

    // One message for several transfers: not on a hash time-lock.
    let batch = calls::bridge_lock_batch(&[(usdc, 10), (usdc, 20)], 42_161, wallet);
    let r = send(&mut evm, "polygon", wallet, htlb, batch.clone());
    assert_eq!(reason(&r), "MeshBridge: an htlb lock covers one transfer");
    let zk = from.bridges[&mesh_core::BridgeKind::Zk];
    ok(send(
        &mut evm,
        "polygon",
        wallet,
        usdc,
        calls::approve(zk, U256::MAX),
    ));
    let r = ok(send(&mut evm, "polygon", wallet, zk, batch));
    assert_eq!(r.logs.iter().filter(|l| l.address == zk).count(), 2);
    // No zk route from base to optimism: no such lock.
    let base_zk = evm.contracts("base").expect("base").bridges[&mesh_core::BridgeKind::Zk];
    let base_usdc = token(&evm, "base", "USDC");
    ok(send(
        &mut evm,
        "base",
        wallet,
        base_usdc,
        calls::approve(base_zk, U256::MAX),
    ));
    let r = send(
        &mut evm,
        "base",
        wallet,
        base_zk,
        calls::bridge_lock(base_usdc, 10, 10, wallet),
    );
    assert_eq!(reason(&r), "MeshBridge: no route to that chain");
}

#[test]
fn receipts_count_what_storage_refunds_take_off() {
    // A pair's lock is set and set back in every swap: 2,900 − 100 back
    // (EIP-3529). Selling the whole balance also sets its slot to zero:
    // 4,800 more.
    let mut evm = deploy(Holder::Wallet);
    let wallet = evm.accounts.wallet;
    let usdc = token(&evm, "polygon", "USDC");
    let weth = token(&evm, "polygon", "WETH");
    let router = evm.contracts("polygon").expect("polygon").exchanges["uniswap_v2"].router;
    ok(send(
        &mut evm,
        "polygon",
        wallet,
        usdc,
        calls::approve(router, U256::MAX),
    ));
    let swap = |evm: &mut EvmWorld, amount: u128| {
        let call =
            calls::router_swap_exact_tokens_for_tokens(amount, 0, &[usdc, weth], wallet, u64::MAX);
        ok(send(evm, "polygon", wallet, router, call))
    };
    let some = swap(&mut evm, 1_000 * 10u128.pow(6));
    let rest = evm.balance("polygon", "USDC", wallet).expect("balance");
    let all = swap(&mut evm, rest);
    assert_eq!(some.gas_refunded, 2_800);
    assert_eq!(all.gas_refunded, 2_800 + 4_800);
    assert_eq!(evm.balance("polygon", "USDC", wallet).expect("balance"), 0);
}
