//! One test per row of the gas schedule: a single action is charged
//! exactly its row (plus the documented base, dispatch and access costs).

use mesh_runtime::gas::{Charged, Operation, TokenContract};
use mesh_runtime::Loc;
use mesh_runtime::{
    BridgeKind, Constraints, GasSchedule, LoanKind, Report, Sender, Session, Spender, World,
};

const E6: u128 = 1_000_000;
const E18: u128 = 1_000_000_000_000_000_000;

fn g() -> GasSchedule {
    GasSchedule::default()
}

/// The executor's cost of one inner call to a cold account, before its operation.
/// What a write of the sender's balance costs less when an earlier call
/// of the transaction wrote it (docs/gas.md, "Balances at run time").
fn rewrite() -> u64 {
    g().charged_write(Charged::First) - g().charged_write(Charged::Again)
}

fn cold_inner() -> u64 {
    g().executor_dispatch + g().executor_call_calldata() + g().cold_account_access
}

/// An executor transaction's cost before its calls: the base and the
/// executor's own.
fn executor_base() -> u64 {
    g().tx_base + g().executor_transaction
}

fn warm_inner() -> u64 {
    g().executor_dispatch + g().executor_call_calldata() + g().warm_account_access
}

/// Runs `body` in a session on the default world with 1,000 USDC and
/// 1 WETH of input on polygon, and returns the finished report.
fn run(body: impl FnOnce(&mut Session)) -> Report {
    let mut s = Session::new(World::default_world(), "gas");
    s.input("polygon", "USDC", 1_000 * E6).unwrap();
    s.input("polygon", "WETH", E18).unwrap();
    body(&mut s);
    let report = s.finish(&Constraints::new());
    assert!(report.committed(), "{}", report.render_human());
    report
}

/// The gas of transaction `i`.
fn tx(report: &Report, i: usize) -> u64 {
    report.transactions[i].gas
}

#[test]
fn tx_base_an_empty_transaction() {
    let r = run(|s| {
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.end_transaction().unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.end_transaction().unwrap();
    });
    assert_eq!(tx(&r, 0), 21_000);
    // The executor's own cost, measured on its bytecode (docs/evm.md).
    assert_eq!(tx(&r, 1), 21_000 + 1_274);
    assert_eq!(r.blocks, 2);
}

#[test]
fn approve_from_the_wallet_and_the_executor() {
    let r = run(|s| {
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.end_transaction().unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.approve("USDC", Spender::Bridge(BridgeKind::Htlb))
            .unwrap();
        s.end_transaction().unwrap();
    });
    assert_eq!(tx(&r, 0), g().tx_base + g().approve);
    assert_eq!(tx(&r, 0), 46_540, "the measured ERC-20 approve transaction");
    let calls = &r.transactions[1].calls;
    assert_eq!(calls[0].gas, cold_inner() + g().approve);
    assert_eq!(
        calls[1].gas,
        warm_inner() + g().approve,
        "the token is warm the second time"
    );
}

fn swap_from_wallet(hops: &[&str]) -> Report {
    run(|s| {
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap();
        s.end_transaction().unwrap();
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.swap_path("uniswap_v2", hops, 100 * E6, 0).unwrap();
        s.end_transaction().unwrap();
    })
}

#[test]
fn router_swap_one_hop_from_the_wallet() {
    let r = swap_from_wallet(&["USDC", "WETH"]);
    assert_eq!(tx(&r, 1), g().tx_base + g().router_swap);
    // WETH is a MintableERC20 on polygon (the registry names no wrapped
    // native token there): the measured USDC→WETH swap of a WETH9, with
    // base, and the pair's WETH9 transfer saving back.
    assert_eq!(tx(&r, 1), 103_303 + 304);
}

#[test]
fn router_extra_hop_from_the_wallet() {
    let r = swap_from_wallet(&["USDC", "WETH", "DAI"]);
    assert_eq!(
        tx(&r, 1),
        g().tx_base + g().router_swap + g().router_extra_hop
    );
    let r = swap_from_wallet(&["USDC", "WETH", "DAI", "USDT"]);
    assert_eq!(
        tx(&r, 1),
        g().tx_base + g().router_swap + 2 * g().router_extra_hop
    );
    // A path that ends in the token it starts with.
    let r = swap_from_wallet(&["USDC", "WETH", "DAI", "USDC"]);
    assert_eq!(
        tx(&r, 1),
        g().tx_base + g().router_swap + 2 * g().router_extra_hop
            - g().return_balance_saving
            - g().warm_token_saving()
    );
}

#[test]
fn token_transfer_pair_swap_and_oracle_update_from_the_executor() {
    let r = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap();
        s.swap("uniswap_v2", "USDC", 100 * E6, "WETH", 0).unwrap();
        s.swap("uniswap_v2", "USDC", 100 * E6, "WETH", 0).unwrap();
        s.end_transaction().unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.swap_path("uniswap_v2", &["USDC", "WETH", "DAI"], 100 * E6, 0)
            .unwrap();
        s.end_transaction().unwrap();
    });
    let calls = &r.transactions[0].calls;
    // First swap: USDC is warm (the approval touched it), the pair is cold
    // and its oracle updates in this block.
    assert_eq!(
        calls[1].gas,
        warm_inner() + g().token_transfer + cold_inner() + g().pair_swap + g().pair_oracle_update
    );
    // Second swap on the same pair in the same transaction: all warm, no
    // oracle update, and the WETH it sends out warm since the first swap
    // sent it; the USDC and WETH balances the first swap wrote are
    // written again.
    assert_eq!(
        calls[2].gas,
        warm_inner() + g().token_transfer + warm_inner() + g().pair_swap
            - g().warm_token_saving()
            - 2 * rewrite()
    );
    // A two-hop direct swap: one transfer, then one pair swap per hop, each
    // pair cold and updating its oracle in this new block.
    assert_eq!(
        r.transactions[1].gas,
        executor_base()
            + cold_inner()
            + g().token_transfer
            + 2 * (cold_inner() + g().pair_swap + g().pair_oracle_update)
    );
    // The measured figure of a one-hop direct swap through the executor,
    // `executor_swap_1_hop` of docs/evm.md (USDC into the pair, WETH9 out),
    // from which `pair_swap` is derived.
    assert_eq!(
        executor_base()
            + cold_inner()
            + g().token_transfer
            + cold_inner()
            + g().pair_swap_of(TokenContract::Weth9)
            + g().pair_oracle_update,
        93_267
    );
}

#[test]
fn flash_loan_and_its_repayment() {
    let r = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.borrow("aave", "USDC", 100 * E6, LoanKind::Flash).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay("aave", "USDC", 100 * E6).unwrap();
        s.end_transaction().unwrap();
    });
    let calls = &r.transactions[0].calls;
    assert_eq!(calls[0].gas, cold_inner() + g().flash_loan);
    assert_eq!(
        calls[2].gas, 0,
        "the pool pulls the repayment inside flashLoanSimple"
    );
    assert_eq!(tx(&r, 0), executor_base() + calls[0].gas + calls[1].gas);
}

#[test]
fn a_multi_asset_flash_loan_pays_one_call_and_the_measured_rows() {
    let r = run(|s| {
        s.input("polygon", "DAI", E18).unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        let lent = s
            .flash_loan(
                "aave",
                &[
                    ("USDC", 100 * E6, Loc::new(3, 5)),
                    ("WETH", E18, Loc::new(4, 5)),
                    ("DAI", 50 * E18, Loc::new(5, 5)),
                ],
            )
            .unwrap();
        assert_eq!(lent, [Some(100 * E6), Some(E18), Some(50 * E18)]);
        for (token, amount) in [("USDC", 100 * E6), ("WETH", E18), ("DAI", 50 * E18)] {
            s.approve(token, Spender::Protocol("aave")).unwrap();
            s.repay("aave", token, amount).unwrap();
        }
        s.end_transaction().unwrap();
    });
    let calls = &r.transactions[0].calls;
    // One inner call to the pool: the first loan carries it.
    assert_eq!(
        calls[0].gas,
        cold_inner() + g().flash_loan + g().flash_loan_multi_asset
    );
    assert_eq!(calls[1].gas, g().flash_loan_extra_asset);
    assert_eq!(calls[2].gas, g().flash_loan_extra_asset);
    // The measured multi-asset call of three assets (docs/evm.md): the
    // executor's transaction, one cold inner call and the rows; within 2%
    // of the 379,329 measured on the bytecode.
    let model = executor_base() + calls[0].gas + calls[1].gas + calls[2].gas;
    assert!(model.abs_diff(379_329) * 50 <= 379_329, "{model}");
}

#[test]
fn each_loan_of_a_multi_asset_flash_loan_fails_on_its_own_line() {
    let mut s = Session::new(World::default_world(), "multi");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    // More USDC than the pool holds: that loan fails, the other is taken.
    let lent = s
        .flash_loan(
            "aave",
            &[
                ("WETH", E18, Loc::new(3, 5)),
                ("USDC", u128::from(u64::MAX), Loc::new(4, 5)),
            ],
        )
        .unwrap();
    assert_eq!(lent, [Some(E18), None]);
    let _ = s.end_transaction();
    let r = s.finish(&Constraints::new());
    let revert = r.revert.expect("reverted");
    // The failing loan's own line; the WETH loan left open is not the
    // first failure in the source.
    assert_eq!(revert.loc, Loc::new(4, 5), "{}", revert.reason);
    assert!(revert.reason.starts_with("insufficient liquidity"));
    // The same token twice, or from the wallet, is refused as a whole.
    let mut s = Session::new(World::default_world(), "twice");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    let twice = s.flash_loan(
        "aave",
        &[("WETH", E18, Loc::new(3, 5)), ("WETH", E18, Loc::new(4, 5))],
    );
    assert!(twice.unwrap_err().reason.contains("names WETH twice"));
    let mut s = Session::new(World::default_world(), "wallet");
    s.begin_transaction("polygon", Sender::Wallet).unwrap();
    let wallet = s.flash_loan(
        "aave",
        &[("WETH", E18, Loc::new(3, 5)), ("USDC", E6, Loc::new(4, 5))],
    );
    assert!(wallet.unwrap_err().reason.contains("needs the executor"));
}

fn lender_op_both_ways(op: &str) -> (Report, Report) {
    let body = |sender: Sender| {
        move |s: &mut Session| {
            if op == "repay" {
                s.begin_transaction("polygon", Sender::Wallet).unwrap();
                s.borrow("aave", "USDC", 100 * E6, LoanKind::Ordinary)
                    .unwrap();
                s.end_transaction().unwrap();
            }
            if matches!(op, "repay" | "deposit") {
                s.begin_transaction("polygon", sender).unwrap();
                s.approve("USDC", Spender::Protocol("aave")).unwrap();
                s.end_transaction().unwrap();
            }
            s.begin_transaction("polygon", sender).unwrap();
            match op {
                "borrow" => {
                    s.borrow("aave", "USDC", 100 * E6, LoanKind::Ordinary)
                        .unwrap();
                }
                "repay" => s.repay("aave", "USDC", 100 * E6).unwrap(),
                "deposit" => s.deposit("aave", "USDC", 100 * E6).unwrap(),
                "withdraw" => {
                    s.withdraw("compound", "USDC", 100 * E6).unwrap();
                }
                _ => unreachable!(),
            }
            s.end_transaction().unwrap();
            if op == "borrow" {
                s.begin_transaction("polygon", Sender::Wallet).unwrap();
                s.approve("USDC", Spender::Protocol("aave")).unwrap();
                s.end_transaction().unwrap();
                s.begin_transaction("polygon", Sender::Wallet).unwrap();
                s.repay("aave", "USDC", 100 * E6).unwrap();
                s.end_transaction().unwrap();
            }
        }
    };
    (run(body(Sender::Wallet)), run(body(Sender::Executor)))
}

fn the_action_tx(r: &Report, op: &str) -> u64 {
    let index = match op {
        "borrow" => 0,
        "repay" => 2,
        _ => 1,
    };
    if op == "withdraw" {
        return r.transactions[0].gas;
    }
    r.transactions[index].gas
}

#[test]
fn borrow_repay_deposit_withdraw_from_the_wallet_and_the_executor() {
    // The measured WETH rows with WETH9's savings back (polygon's USDC is
    // a MintableERC20), on the default world's positions (docs/gas.md,
    // "Positions"): aave supplies WBTC there, so the borrow and the
    // deposit are the account's first of USDC.
    let first_borrow = g().borrow_first_of_asset;
    for (op, row, measured, position) in [
        ("borrow", g().borrow, 191_314 + 304, first_borrow),
        ("repay", g().repay, 132_521 + 5_532, 0),
        ("deposit", g().deposit, 119_503, g().deposit_first_of_asset),
        ("withdraw", g().withdraw, 127_765, 0),
    ] {
        assert_eq!(row, measured, "{op}");
        let row = row + position;
        let (wallet, executor) = lender_op_both_ways(op);
        assert_eq!(
            the_action_tx(&wallet, op),
            g().tx_base + row,
            "{op} from the wallet"
        );
        assert_eq!(
            the_action_tx(&executor, op),
            executor_base() + cold_inner() + row,
            "{op} from the executor"
        );
    }
}

#[test]
fn each_bridge_route_charges_its_gas() {
    let world = World::default_world();
    for kind in BridgeKind::ALL {
        let route = world
            .registry
            .route("polygon", "arbitrum", kind)
            .expect("served")
            .clone();
        let r = run(|s| {
            s.begin_transaction("polygon", Sender::Wallet).unwrap();
            s.approve("USDC", Spender::Bridge(kind)).unwrap();
            s.end_transaction().unwrap();
            s.begin_transaction("polygon", Sender::Wallet).unwrap();
            s.bridge("USDC", 100 * E6, "arbitrum", Some(kind)).unwrap();
            s.end_transaction().unwrap();
        });
        assert_eq!(tx(&r, 1), g().tx_base + route.gas, "{kind}");
        assert_eq!(
            g().operation(
                Sender::Wallet,
                &Operation::Bridge {
                    route: &route,
                    token: TokenContract::MintableErc20
                }
            ),
            route.gas
        );
        // Time: two transactions and the route's delay.
        assert_eq!(r.blocks, 2 + route.delay_blocks, "{kind}");
        let arrived = r.result["arbitrum"]["USDC"].base;
        assert_eq!(arrived, 100 * E6 - route.fee_on(100 * E6).unwrap());
    }
}

#[test]
fn cold_then_warm_account_access() {
    let r = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.withdraw("compound", "USDC", E6).unwrap();
        s.withdraw("compound", "USDC", E6).unwrap();
        s.end_transaction().unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.withdraw("compound", "USDC", E6).unwrap();
        s.end_transaction().unwrap();
    });
    let calls = &r.transactions[0].calls;
    // The second withdrawal finds the pool warm, and the USDC the first
    // paid out, and the pool's logic and the USDC reserve the first read
    // and wrote (docs/gas.md, "Lender calls in one transaction").
    let lender = g().lender_warm_pool + g().lender_warm_reserve;
    assert_eq!(
        calls[0].gas - calls[1].gas,
        2 * (g().cold_account_access - g().warm_account_access) + lender
    );
    assert_eq!(
        calls[1].gas,
        g().executor_dispatch
            + g().executor_call_calldata()
            + g().warm_account_access
            + g().withdraw
            - g().warm_token_saving()
            - lender
    );
    assert_eq!(
        r.transactions[1].calls[0].gas, calls[0].gas,
        "every transaction starts cold"
    );
}

#[test]
fn a_wallet_transaction_makes_one_call() {
    let mut s = Session::new(World::default_world(), "two_calls");
    s.begin_transaction("polygon", Sender::Wallet).unwrap();
    s.approve("USDC", Spender::Protocol("aave")).unwrap();
    let err = s
        .approve("USDC", Spender::Protocol("uniswap_v2"))
        .unwrap_err();
    assert!(err.reason.contains("one call"), "{}", err.reason);
}

#[test]
fn parallel_branches_take_the_longest() {
    let r = run(|s| {
        s.begin_parallel().unwrap();
        for _ in 0..3 {
            s.begin_transaction("polygon", Sender::Wallet).unwrap();
            s.end_transaction().unwrap();
        }
        s.next_branch().unwrap();
        s.begin_transaction("arbitrum", Sender::Wallet).unwrap();
        s.end_transaction().unwrap();
        s.end_parallel().unwrap();
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.end_transaction().unwrap();
    });
    assert_eq!(r.blocks, 4);
    assert_eq!(
        r.gas_total(),
        5 * g().tx_base,
        "parallel branches save time, never gas"
    );
}

/// Two transfers of different tokens in one shared message, and the same
/// two sent separately, on `kind`.
fn batch_and_separate(kind: BridgeKind) -> (Report, Report) {
    let transfers = [
        ("USDC", 100 * E6, Loc::new(3, 5)),
        ("WETH", E18 / 2, Loc::new(4, 5)),
    ];
    let batch = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Bridge(kind)).unwrap();
        s.approve("WETH", Spender::Bridge(kind)).unwrap();
        let arrived = s.bridge_batch(kind, "arbitrum", &transfers).unwrap();
        assert_eq!(arrived.len(), 2);
        s.end_transaction().unwrap();
    });
    let separate = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Bridge(kind)).unwrap();
        s.approve("WETH", Spender::Bridge(kind)).unwrap();
        for (token, amount, _) in transfers {
            s.bridge(token, amount, "arbitrum", Some(kind)).unwrap();
        }
        s.end_transaction().unwrap();
    });
    (batch, separate)
}

#[test]
fn a_shared_bridge_message_charges_the_route_once_and_its_entry_per_further_transfer() {
    // The measured rows (docs/gas.md, "Shared bridge messages"): each
    // further entry, and the message's encoding once, with the second; a
    // `WETH9` entry less its pull's saving.
    assert_eq!(
        g().bridge_batch_extra(TokenContract::MintableErc20, false),
        25_864
    );
    assert_eq!(
        g().bridge_batch_extra(TokenContract::MintableErc20, true),
        25_864 + 1_267
    );
    assert_eq!(
        g().bridge_batch_extra(TokenContract::Weth9, false),
        25_864 - 5_532
    );
    let world = World::default_world();
    for kind in [BridgeKind::Zk, BridgeKind::Threshold] {
        let route = world
            .registry
            .route("polygon", "arbitrum", kind)
            .expect("served")
            .clone();
        let (batch, separate) = batch_and_separate(kind);
        let calls = &batch.transactions[0].calls;
        assert_eq!(calls.len(), 4, "{kind}");
        // The first transfer: the route's call, the bridge cold, its token
        // warm and its allowance written by the approval just before.
        let (warm_token, approved) = (
            g().warm_token_saving(),
            g().approved_pull(TokenContract::MintableErc20),
        );
        assert_eq!(
            calls[2].gas,
            cold_inner() + route.gas - warm_token - approved,
            "{kind}"
        );
        // The second: the derived part and its token's access, warm since
        // its approval touched it, less the pull under that approval.
        assert_eq!(
            calls[3].gas,
            g().bridge_batch_extra(TokenContract::MintableErc20, true) + g().warm_account_access
                - approved,
            "{kind}"
        );
        assert_eq!(
            tx(&batch, 0),
            executor_base()
                + 2 * (cold_inner() + g().approve)
                + cold_inner()
                + route.gas
                + g().bridge_batch_extra(TokenContract::MintableErc20, true)
                + g().warm_account_access
                - g().warm_token_saving()
                - 2 * g().approved_pull(TokenContract::MintableErc20),
            "{kind}"
        );
        // Separately, the second transfer pays the route again (the bridge
        // warm, its token warm, its allowance written): only gas differs.
        assert_eq!(
            tx(&separate, 0) - tx(&batch, 0),
            warm_inner() + route.gas
                - g().warm_token_saving()
                - g().bridge_batch_extra(TokenContract::MintableErc20, true)
                - g().warm_account_access,
            "{kind}"
        );
        assert_eq!(batch.result, separate.result, "{kind}");
        assert_eq!(batch.blocks, separate.blocks, "{kind}");
        assert_eq!(batch.blocks, 1 + 2 * route.delay_blocks, "{kind}");
        // And as much time: each transfer's delay once (it was counted
        // twice in a shared message).
        assert_eq!(batch.time_ms, separate.time_ms, "{kind}");
        assert_eq!(batch.time_ms, Some(2_000 * batch.blocks), "{kind}");
        assert_eq!(
            batch.result["arbitrum"]["USDC"].base,
            100 * E6 - route.fee_on(100 * E6).unwrap()
        );
        assert_eq!(
            batch.result["arbitrum"]["WETH"].base,
            E18 / 2 - route.fee_on(E18 / 2).unwrap()
        );
    }
}

#[test]
fn a_shared_bridge_message_fails_transfer_by_transfer_and_is_refused_where_it_cannot_exist() {
    let world = World::default_world();
    let before = world.clone();
    // The second transfer overdraws: it fails at its own line and delivers
    // nothing, the first is still made, and the whole bundle reverts, the
    // first transfer with it.
    let mut s = Session::new(world, "batch");
    s.input("polygon", "USDC", 1_000 * E6).unwrap();
    s.input("polygon", "WETH", E18).unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    s.approve("USDC", Spender::Bridge(BridgeKind::Zk)).unwrap();
    s.approve("WETH", Spender::Bridge(BridgeKind::Zk)).unwrap();
    let r = s.bridge_batch(
        BridgeKind::Zk,
        "arbitrum",
        &[
            ("USDC", 100 * E6, Loc::new(5, 5)),
            ("WETH", 2 * E18, Loc::new(6, 5)),
        ],
    );
    let arrived = r.expect("the message itself is sent");
    assert!(
        arrived[0].is_some_and(|a| a > 0),
        "the first transfer is made"
    );
    assert_eq!(arrived[1], None, "the transfer that fails delivers nothing");
    let report = s.finish(&Constraints::new());
    assert!(!report.committed());
    assert_eq!(report.revert.as_ref().map(|r| r.loc), Some(Loc::new(6, 5)));
    assert!(report.result.is_empty());
    assert_eq!(s.world(), &before);

    let refused = |kind: BridgeKind, sender: Sender| {
        let mut s = Session::new(World::default_world(), "batch");
        s.input("polygon", "USDC", 1_000 * E6).unwrap();
        s.begin_transaction("polygon", sender).unwrap();
        s.approve("USDC", Spender::Bridge(kind)).unwrap();
        let r = s.bridge_batch(kind, "arbitrum", &[("USDC", 100 * E6, Loc::new(3, 5))]);
        r.expect_err("refused").reason
    };
    assert!(refused(BridgeKind::Htlb, Sender::Executor).contains("htlb"));
    assert!(refused(BridgeKind::Zk, Sender::Wallet).contains("executor"));
}

#[test]
fn wrap_and_unwrap_from_the_wallet_and_the_executor() {
    let mut s = Session::new(World::default_world(), "gas");
    s.input("ethereum", "ETH", E18).unwrap();
    s.begin_transaction("ethereum", Sender::Wallet).unwrap();
    assert_eq!(s.wrap("ETH", "WETH", E18), Ok(E18));
    s.end_transaction().unwrap();
    s.begin_transaction("ethereum", Sender::Wallet).unwrap();
    assert_eq!(s.unwrap("WETH", "ETH", E18 / 2), Ok(E18 / 2));
    s.end_transaction().unwrap();
    s.begin_transaction("ethereum", Sender::Executor).unwrap();
    s.wrap("ETH", "WETH", E18 / 2).unwrap();
    s.unwrap("WETH", "ETH", E18).unwrap();
    s.end_transaction().unwrap();
    let r = s.finish(&Constraints::new());
    assert!(r.committed(), "{}", r.render_human());
    // From the wallet: exactly the measured WETH9 transactions.
    assert_eq!(tx(&r, 0), g().tx_base + g().wrap);
    assert_eq!(tx(&r, 0), 27_766, "the measured WETH9 deposit");
    assert_eq!(tx(&r, 1), g().tx_base + g().unwrap);
    assert_eq!(tx(&r, 1), 35_128, "the measured WETH9 withdraw");
    // Through the executor: WETH9 is cold, then warm; the wrap sends the
    // coin from the executor's balance, and the unwrap writes the WETH
    // balance the wrap wrote.
    let calls = &r.transactions[2].calls;
    assert_eq!(
        calls[0].gas,
        cold_inner() + g().wrap + g().executor_call_value
    );
    assert_eq!(calls[1].gas, warm_inner() + g().unwrap - rewrite());
    assert_eq!(
        g().operation(Sender::Executor, &Operation::Wrap),
        g().operation(Sender::Wallet, &Operation::Wrap) + g().executor_call_value
    );
    // One for one: the ether came back whole.
    assert_eq!(
        r.result
            .get("ethereum")
            .and_then(|t| t.get("ETH"))
            .map(|a| a.base),
        Some(E18)
    );
}

/// On a chain whose wrapped native token is WETH (ethereum), every
/// operation that moves it is charged the MintableERC20 row less WETH9's
/// measured savings: the figures measured on WETH in docs/evm.md.
#[test]
fn the_wrapped_native_token_saves_weth9s_measured_savings() {
    let mut s = Session::new(World::default_world(), "weth9");
    s.input("ethereum", "USDC", 1_000 * E6).unwrap();
    s.input("ethereum", "WETH", 2 * E18).unwrap();
    let wallet_tx = |s: &mut Session, f: &dyn Fn(&mut Session)| {
        s.begin_transaction("ethereum", Sender::Wallet).unwrap();
        f(s);
        s.end_transaction().unwrap();
    };
    wallet_tx(&mut s, &|s| {
        s.approve("WETH", Spender::Protocol("uniswap_v2")).unwrap()
    });
    wallet_tx(&mut s, &|s| {
        s.swap("uniswap_v2", "WETH", E18 / 10, "USDC", 0).unwrap();
    });
    wallet_tx(&mut s, &|s| {
        s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap()
    });
    wallet_tx(&mut s, &|s| {
        s.swap("uniswap_v2", "USDC", 100 * E6, "WETH", 0).unwrap();
    });
    wallet_tx(&mut s, &|s| {
        s.approve("WETH", Spender::Protocol("aave")).unwrap()
    });
    wallet_tx(&mut s, &|s| s.deposit("aave", "WETH", E18 / 10).unwrap());
    wallet_tx(&mut s, &|s| {
        s.withdraw("aave", "WETH", E18 / 10).unwrap();
    });
    s.begin_transaction("ethereum", Sender::Executor).unwrap();
    s.borrow("aave", "WETH", E18, LoanKind::Flash).unwrap();
    s.approve("WETH", Spender::Protocol("aave")).unwrap();
    s.repay("aave", "WETH", E18).unwrap();
    s.swap("uniswap_v2", "WETH", E18 / 10, "USDC", 0).unwrap();
    s.end_transaction().unwrap();
    let r = s.finish(&Constraints::new());
    assert!(r.committed(), "{}", r.render_human());
    let (pull, transfer) = (g().weth9_pull_saving, g().weth9_transfer_saving);
    // The measured `weth9_approve`; the router's swaps of docs/evm.md.
    assert_eq!(tx(&r, 0), 46_343);
    assert_eq!(tx(&r, 1), g().tx_base + g().router_swap - pull);
    assert_eq!(tx(&r, 1), 98_075, "router_swap_weth9_in measures 98,041");
    assert_eq!(tx(&r, 2), 46_540);
    assert_eq!(tx(&r, 3), 103_303, "the measured router_swap_1_hop");
    assert_eq!(tx(&r, 5), g().tx_base + g().deposit - pull);
    // The default world's position on Ethereum owes USDC: the withdrawal
    // checks its health, valuing the WETH withdrawn and the USDC owed,
    // the row's own position (docs/gas.md, "Positions").
    assert_eq!(
        tx(&r, 6),
        g().tx_base + g().withdraw - transfer + g().withdraw_with_debt
    );
    let calls = &r.transactions[7].calls;
    // The measured flashLoanSimple of WETH, less the executor's inner call.
    assert_eq!(calls[0].gas, cold_inner() + 120_713);
    // The approval for the repayment: WETH warm (the loan paid it out),
    // and the pool's pull inside the loan finds the allowance warm.
    // It is made inside the loan's callback.
    assert_eq!(
        calls[1].gas,
        warm_inner() + 25_343 - g().weth9_approved_pull_saving + g().flash_callback_call
    );
    // A direct swap: WETH9's transfer into the pair, from the WETH
    // balance the loan wrote, a MintableERC20 out.
    assert_eq!(
        calls[3].gas,
        warm_inner() + g().token_transfer - transfer
            + cold_inner()
            + g().pair_swap
            + g().pair_oracle_update
            - rewrite()
    );
}

/// A lender call or a bridge of nothing is no call — a plan sends none,
/// Aave refusing an amount of zero — so a run charges it nothing and it
/// warms nothing: the deposit after it pays its pool's cold access.
#[test]
fn a_call_that_moves_nothing_is_charged_nothing() {
    let deposits = |first: u128| {
        run(|s| {
            s.begin_transaction("polygon", Sender::Executor).unwrap();
            s.approve("USDC", Spender::Protocol("aave")).unwrap();
            s.deposit("aave", "USDC", first).unwrap();
            s.deposit("aave", "USDC", 10 * E6).unwrap();
            s.end_transaction().unwrap();
        })
    };
    let after_nothing = deposits(0);
    let calls = &after_nothing.transactions[0].calls;
    assert_eq!(calls[1].gas, 0, "{}", calls[1].what);
    let alone = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.deposit("aave", "USDC", 10 * E6).unwrap();
        s.end_transaction().unwrap();
    });
    assert_eq!(tx(&after_nothing, 0), tx(&alone, 0));
    assert_eq!(calls[2].gas, alone.transactions[0].calls[1].gas);

    // A loan of nothing and its repayment, a withdrawal and a bridge of
    // nothing: a transaction of its base and the approvals alone.
    let nothing = run(|s| {
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.borrow("aave", "USDC", 0, LoanKind::Flash).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay("aave", "USDC", 0).unwrap();
        s.withdraw("aave", "USDC", 0).unwrap();
        s.approve("USDC", Spender::Bridge(BridgeKind::Zk)).unwrap();
        s.bridge("USDC", 0, "arbitrum", Some(BridgeKind::Zk))
            .unwrap();
        s.end_transaction().unwrap();
    });
    let calls = &nothing.transactions[0].calls;
    for call in calls.iter().filter(|c| c.what.moves_nothing()) {
        assert_eq!(call.gas, 0, "{}", call.what);
    }
    let approvals: u64 = calls
        .iter()
        .filter(|c| matches!(c.what, mesh_runtime::report::Call::Approve { .. }))
        .map(|c| c.gas)
        .sum();
    assert_eq!(tx(&nothing, 0), executor_base() + approvals);
}
