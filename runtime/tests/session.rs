//! The semantics the checker assumes: holdings, obligations, premiums,
//! constraints, and the report's exact JSON shape.

use mesh_runtime::session::{Comparison, Requirement};
use mesh_runtime::{
    BridgeKind, Constraint, Constraints, Invariant, LoanKind, Loc, Sender, Session, Spender, World,
};

const E6: u128 = 1_000_000;
const E18: u128 = 1_000_000_000_000_000_000;

fn tx<T>(s: &mut Session, chain: &str, f: impl FnOnce(&mut Session) -> T) -> T {
    s.begin_transaction(chain, Sender::Executor).unwrap();
    let out = f(s);
    let _ = s.end_transaction();
    out
}

#[test]
fn an_open_obligation_reverts_at_the_borrow() {
    let mut s = Session::new(World::default_world(), "unpaid");
    tx(&mut s, "polygon", |s| {
        s.at(Loc::new(3, 5))
            .borrow("aave", "WETH", E18, LoanKind::Ordinary)
            .unwrap()
    });
    let r = s.finish(&Constraints::new());
    let revert = r.revert.expect("reverted");
    assert_eq!(revert.loc, Loc::new(3, 5));
    assert_eq!(
        revert.reason,
        "the loan of 1 WETH from aave on polygon is not repaid"
    );
    assert_eq!(s.world(), &World::default_world());
}

#[test]
fn repaying_more_than_owed_reverts_and_the_premium_is_paid_once() {
    // A flash loan of 3,000 base units at 5 bps owes 1.5, rounded half up
    // to 2, once for the loan: the repay that closes it pays it.
    let mut s = Session::new(World::default_world(), "parts");
    s.input("polygon", "USDC", 10 * E6).unwrap();
    tx(&mut s, "polygon", |s| {
        s.borrow("aave", "USDC", 3_000, LoanKind::Flash).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        for _ in 0..3 {
            s.repay("aave", "USDC", 1_000).unwrap();
        }
    });
    let r = s.finish(&Constraints::new());
    assert!(r.committed());
    assert_eq!(r.result["polygon"]["USDC"].base, 10 * E6 - 2);
    let premiums: Vec<u128> = r.transactions[0]
        .calls
        .iter()
        .filter_map(|c| match &c.what {
            mesh_runtime::report::Call::Repay { premium, .. } => Some(premium.base),
            _ => None,
        })
        .collect();
    assert_eq!(premiums, [0, 0, 2]);

    let mut s = Session::new(World::default_world(), "too_much");
    s.input("polygon", "USDC", 10 * E6).unwrap();
    let err = tx(&mut s, "polygon", |s| {
        s.borrow("aave", "USDC", E6, LoanKind::Ordinary).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay("aave", "USDC", 2 * E6).unwrap_err()
    });
    assert_eq!(err.reason, "repays 2 USDC to aave but only 1 USDC is owed");
}

#[test]
fn a_flash_loan_owes_aaves_premium_and_an_ordinary_loan_none() {
    let lend = |kind: LoanKind| {
        let mut s = Session::new(World::default_world(), "loan");
        s.input("polygon", "WETH", E18).unwrap();
        if kind == LoanKind::Ordinary {
            // An ordinary loan needs collateral.
            tx(&mut s, "polygon", |s| {
                s.approve("WETH", Spender::Protocol("aave")).unwrap();
                s.deposit("aave", "WETH", E18 / 2).unwrap();
            });
        }
        tx(&mut s, "polygon", |s| {
            s.borrow("aave", "WETH", E18 / 10, kind).unwrap();
            s.approve("WETH", Spender::Protocol("aave")).unwrap();
            s.repay("aave", "WETH", E18 / 10).unwrap();
        });
        let r = s.finish(&Constraints::new());
        assert!(r.committed(), "{}", r.render_human());
        let liquidity = s.into_world().lender("polygon", "aave").unwrap().liquidity["WETH"];
        (r.result["polygon"]["WETH"].base, liquidity)
    };
    let before = World::default_world()
        .lender("polygon", "aave")
        .unwrap()
        .liquidity["WETH"];
    let (flash, flash_liquidity) = lend(LoanKind::Flash);
    // 0.1 WETH at 5 bps: 0.00005 WETH, to the lender.
    assert_eq!(flash, E18 - E18 / 20_000);
    assert_eq!(flash_liquidity, before + E18 / 20_000);
    let (ordinary, ordinary_liquidity) = lend(LoanKind::Ordinary);
    assert_eq!(ordinary, E18 - E18 / 2);
    assert_eq!(ordinary_liquidity, before + E18 / 2);
}

#[test]
fn a_flash_loan_is_repaid_in_its_transaction_from_the_executor() {
    let mut s = Session::new(World::default_world(), "flash");
    s.begin_transaction("polygon", Sender::Wallet).unwrap();
    let err = s.borrow("aave", "WETH", E18, LoanKind::Flash).unwrap_err();
    assert!(err.reason.contains("executor"), "{}", err.reason);

    let mut s = Session::new(World::default_world(), "flash");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    s.at(Loc::new(2, 5))
        .borrow("aave", "WETH", E18, LoanKind::Flash)
        .unwrap();
    let err = s.at(Loc::new(3, 1)).end_transaction().unwrap_err();
    assert_eq!(err.loc, Loc::new(2, 5));
    assert!(err.reason.contains("not repaid within its transaction"));

    let mut s = Session::new(World::default_world(), "flash");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    let err = s
        .borrow("compound", "WETH", E18, LoanKind::Flash)
        .unwrap_err();
    assert_eq!(err.reason, "compound offers no flash loans");
}

#[test]
fn input_needs_the_wallet_and_spends_need_holdings_and_approvals() {
    let mut s = Session::new(World::default_world(), "poor");
    let err = s.input("polygon", "WETH", 11 * E18).unwrap_err();
    assert_eq!(
        err.reason,
        "the wallet holds 10 WETH on polygon; input needs 11 WETH"
    );

    let mut s = Session::new(World::default_world(), "nothing");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    let err = s.deposit("aave", "WETH", E18).unwrap_err();
    assert_eq!(
        err.reason,
        "insufficient holding: deposit needs 1 WETH on polygon, the bundle holds 0 WETH"
    );

    let mut s = Session::new(World::default_world(), "unapproved");
    s.input("polygon", "WETH", E18).unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    let err = s.deposit("aave", "WETH", E18).unwrap_err();
    assert_eq!(
        err.reason,
        "no approval: the executor has not approved aave to spend WETH on polygon"
    );

    // A wallet approval grants the maximum allowance: it stands for every
    // later spend of that token by that spender on that chain, and for no
    // other spender, chain or sender.
    let mut s = Session::new(World::default_world(), "once");
    s.input("polygon", "WETH", E18).unwrap();
    s.input("arbitrum", "WETH", E18).unwrap();
    s.begin_transaction("polygon", Sender::Wallet).unwrap();
    s.approve("WETH", Spender::Protocol("aave")).unwrap();
    s.end_transaction().unwrap();
    for _ in 0..3 {
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        s.deposit("aave", "WETH", E18 / 4).unwrap();
        s.end_transaction().unwrap();
    }
    s.begin_transaction("polygon", Sender::Wallet).unwrap();
    let err = s.deposit("compound", "WETH", E18 / 4).unwrap_err();
    assert_eq!(
        err.reason,
        "no approval: the wallet has not approved compound to spend WETH on polygon"
    );
    s.end_transaction().unwrap();
    s.begin_transaction("arbitrum", Sender::Wallet).unwrap();
    let err = s.deposit("aave", "WETH", E18 / 4).unwrap_err();
    assert_eq!(
        err.reason,
        "no approval: the wallet has not approved aave to spend WETH on arbitrum"
    );
    s.end_transaction().unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    assert!(s.deposit("aave", "WETH", E18 / 4).is_err());
}

#[test]
fn the_native_coin_has_no_approve_and_needs_none() {
    let mut s = Session::new(World::default_world(), "native");
    s.input("ethereum", "ETH", E18).unwrap();
    s.begin_transaction("ethereum", Sender::Wallet).unwrap();
    let err = s.approve("ETH", Spender::Protocol("aave")).unwrap_err();
    assert_eq!(
        err.reason,
        "ETH is the native coin: it has no approve, and a call takes it without one"
    );

    // Without an approval, both senders wrap it, and no protocol takes it
    // as it is.
    for sender in [Sender::Wallet, Sender::Executor] {
        let mut s = Session::new(World::default_world(), "native");
        s.input("ethereum", "ETH", E18).unwrap();
        s.begin_transaction("ethereum", sender).unwrap();
        assert_eq!(
            s.deposit("aave", "ETH", E18 / 2).unwrap_err().reason,
            "ETH is ethereum's native coin, and the lender aave takes ERC-20 tokens only: wrap it first"
        );
    }
    let mut s = Session::new(World::default_world(), "native");
    s.input("ethereum", "ETH", E18).unwrap();
    for sender in [Sender::Wallet, Sender::Executor] {
        s.begin_transaction("ethereum", sender).unwrap();
        s.wrap("ETH", "WETH", E18 / 2).unwrap();
        s.end_transaction().unwrap();
    }
    let report = s.finish(&Constraints::new());
    assert!(report.revert.is_none(), "{:?}", report.revert);
}

#[test]
fn names_the_world_does_not_know_revert() {
    let mut s = Session::new(World::default_world(), "names");
    assert_eq!(
        s.begin_transaction("solana", Sender::Wallet)
            .unwrap_err()
            .reason,
        "unknown chain `solana`"
    );
    let mut s = Session::new(World::default_world(), "names");
    assert_eq!(
        s.input("polygon", "ETH", 1).unwrap_err().reason,
        "token ETH does not exist on polygon"
    );
    let mut s = Session::new(World::default_world(), "names");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    assert_eq!(
        s.swap("aave", "USDC", 1, "WETH", 0).unwrap_err().reason,
        "aave is a lender, not an exchange"
    );
}

#[test]
fn constraints_are_checked_at_finish() {
    let bundle = |constraints: Constraints| {
        let mut s = Session::new(World::default_world(), "c");
        s.input("polygon", "USDC", 100 * E6).unwrap();
        tx(&mut s, "polygon", |s| {
            s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap();
            s.swap("uniswap_v2", "USDC", 50 * E6, "WETH", 0).unwrap();
        });
        s.finish(&constraints)
    };
    assert!(bundle(
        Constraints::new()
            .deadline(1)
            .max_gas(200_000)
            .invariant(Invariant::ConstantProduct)
    )
    .committed());
    let r = bundle(Constraints::new().with(Constraint::Deadline(0), Loc::new(9, 5)));
    assert_eq!(
        r.revert.unwrap().reason,
        "deadline: the bundle takes 1 blocks; the deadline is 0"
    );
    let r = bundle(Constraints::new().max_gas(1_000));
    assert!(r
        .revert
        .unwrap()
        .reason
        .starts_with("max_gas: the bundle uses"));
    let r = bundle(Constraints::new().min_balance("polygon", "USDC", 51 * E6));
    assert_eq!(
        r.revert.unwrap().reason,
        "min_balance: the bundle ends with 50 USDC on polygon; at least 51 USDC is required"
    );
    assert!(bundle(Constraints::new().min_balance("polygon", "USDC", 50 * E6)).committed());
}

#[test]
fn min_security_is_checked_against_the_routes_the_run_took() {
    let bundle = |kind: BridgeKind, required: BridgeKind| {
        let mut s = Session::new(World::default_world(), "trust");
        s.input("polygon", "WETH", E18).unwrap();
        tx(&mut s, "polygon", |s| {
            s.approve("WETH", Spender::Bridge(kind)).unwrap();
            s.at(Loc::new(4, 5))
                .bridge("WETH", E18, "arbitrum", Some(kind))
                .unwrap()
        });
        s.finish(&Constraints::new().with(Constraint::MinSecurity(required), Loc::new(7, 5)))
    };
    assert!(bundle(BridgeKind::Htlb, BridgeKind::Htlb).committed());
    assert!(bundle(BridgeKind::Zk, BridgeKind::Threshold).committed());
    let r = bundle(BridgeKind::Threshold, BridgeKind::Zk);
    let revert = r.revert.expect("reverted");
    // Reported at the bridge that took the route, not at the constraint.
    assert_eq!(revert.loc, Loc::new(4, 5));
    assert_eq!(
        revert.reason,
        "min_security: this bridge takes the threshold route (security 1); the bundle demands security 2 (zk) or more"
    );
}

#[test]
fn the_json_report_has_the_agreed_shape() {
    let mut s = Session::new(World::default_world(), "shape");
    s.input("polygon", "WETH", 15 * E18 / 100).unwrap();
    s.input("arbitrum", "USDC", E6).unwrap();
    tx(&mut s, "polygon", |_| ());
    let r = s.finish(&Constraints::new());
    assert_eq!(
        r.to_json(),
        r#"{"bundle":"shape","status":"committed","revert":null,"gas":{"total":22274,"by_chain":{"polygon":22274},"cost":{"polygon":{"token":"POL","gas_price":"0.00000003","amount":"0.00066822"}}},"blocks":1,"time_ms":2000,"net":null,"transactions":[{"chain":"polygon","sender":"executor","block":1,"gas":22274,"base_gas":22274,"balance_gas":0,"calls":[]}],"result":{"arbitrum":{"USDC":"1"},"polygon":{"WETH":"0.15"}},"wallet":[],"lenders":[],"health":[]}"#
    );
    // With a quote token: what was drawn came back, so the result is the
    // gas alone, 0.00066822 POL at 0.25 USD, rounded up to 0.000168 USDC.
    let mut s = Session::new(World::default_world(), "shape");
    s.quote_in("USDC").unwrap();
    s.input("polygon", "WETH", 15 * E18 / 100).unwrap();
    tx(&mut s, "polygon", |_| ());
    let r = s.finish(&Constraints::new());
    let value: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(
        value["net"],
        serde_json::json!({"quote": "USDC", "value": "0", "gas": "0.000168", "net": "-0.000168"})
    );
    assert!(
        r.render_human()
            .contains("net -0.000168 USDC: 0 USDC in value, less 0.000168 USDC of gas"),
        "{}",
        r.render_human()
    );
    let value: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(value["result"]["polygon"]["WETH"], "0.15");

    let mut s = Session::new(World::default_world(), "fails");
    s.at(Loc::new(7, 5))
        .require(Requirement {
            left: 94_500_000,
            comparison: Comparison::Ge,
            right: 95 * E6,
            token: "USDC",
            text: "all USDC >= 95 USDC",
            left_text: "all USDC",
        })
        .unwrap_err();
    let r = s.finish(&Constraints::new());
    assert_eq!(
        r.to_json(),
        r#"{"bundle":"fails","status":"reverted","revert":{"reason":"require failed: all USDC >= 95 USDC: all USDC is 94.5 USDC, needs at least 95 USDC","line":7,"column":5},"gas":{"total":0,"by_chain":{},"cost":{}},"blocks":0,"time_ms":0,"net":null,"transactions":[],"result":{},"wallet":[],"lenders":[],"health":[]}"#
    );
}

/// Names resolved to ids once, as generated code passes them, run the same
/// bundle as names given as text; an id the world does not have reverts
/// with a reason, as an unknown text does.
#[test]
fn ids_resolved_once_run_as_texts_do() {
    use mesh_runtime::registry::Registry;
    use mesh_runtime::session::NameRef;

    let by_text = {
        let mut s = Session::new(World::default_world(), "b");
        s.input("polygon", "USDC", 1_000 * E6).unwrap();
        tx(&mut s, "polygon", |s| {
            s.approve("USDC", Spender::Protocol("aave")).unwrap();
            s.deposit("aave", "USDC", 600 * E6).unwrap();
            s.swap_path("uniswap_v2", &["USDC", "WETH"], 400 * E6, 1)
                .unwrap();
        });
        s.finish(&Constraints::new())
    };
    let world = World::default_world();
    let r = &world.registry;
    let (polygon, usdc, weth) = (
        r.chain_id("polygon").unwrap(),
        r.token_id("USDC").unwrap(),
        r.token_id("WETH").unwrap(),
    );
    let (aave, uniswap) = (
        r.protocol_id("aave").unwrap(),
        r.protocol_id("uniswap_v2").unwrap(),
    );
    let by_id = {
        let mut s = Session::new(world.clone(), "b");
        s.input(polygon, usdc, 1_000 * E6).unwrap();
        tx(&mut s, "polygon", |s| {
            s.approve_named(usdc, Spender::Protocol(aave)).unwrap();
            s.deposit(aave, usdc, 600 * E6).unwrap();
            s.swap_path(uniswap, &[usdc, weth], 400 * E6, 1).unwrap();
        });
        s.finish(&Constraints::new())
    };
    assert!(by_text.committed());
    assert_eq!(by_id.to_json(), by_text.to_json());
    assert_eq!(by_id.render_human(), by_text.render_human());

    // An unknown name kept as text reverts as the text does.
    let mut s = Session::new(World::default_world(), "b");
    let doge: NameRef<'_, mesh_runtime::registry::TokenId> = NameRef::Text("DOGE");
    let err = s.input(polygon, doge, 1).unwrap_err();
    assert_eq!(err.reason, "unknown token `DOGE`");

    // An id from a larger registry, beyond this world's tokens.
    let mut bigger = Registry::default_registry();
    for i in 0..64 {
        bigger.tokens.push(mesh_runtime::registry::TokenInfo {
            symbol: format!("T{i}"),
            decimals: 18,
            address: None,
            chains: vec!["polygon".into()],
        });
    }
    let foreign = bigger.token_id("T63").unwrap();
    let mut s = Session::new(World::default_world(), "b");
    let err = s.input(polygon, foreign, 1).unwrap_err();
    assert!(err.reason.starts_with("unknown token `#"), "{}", err.reason);
}

/// A failing call changes nothing and the run goes on; the bundle reverts
/// with the failure whose location comes first, whatever order the calls
/// were made in.
#[test]
fn failures_are_reported_in_source_order_and_change_nothing() {
    let world = World::default_world();
    let before = world.clone();
    let mut s = Session::new(world, "order");
    s.at(Loc::new(9, 5));
    assert!(s.input("polygon", "USDC", u128::MAX / 2).is_err());
    s.at(Loc::new(2, 5));
    assert!(s.input("polygon", "DAI", 5).is_ok(), "the run goes on");
    s.at(Loc::new(4, 5));
    assert!(s.input("polygon", "WETH", u128::MAX / 2).is_err());
    s.at(Loc::new(7, 5));
    assert!(s.input("polygon", "WBTC", u128::MAX / 2).is_err());
    assert_eq!(s.reverted().map(|r| r.loc), Some(Loc::new(4, 5)));
    let report = s.finish(&Constraints::new());
    assert_eq!(report.revert.map(|r| r.loc), Some(Loc::new(4, 5)));
    assert!(report.transactions.is_empty());
    assert_eq!(s.world(), &before);
}

/// The default world with the user's position at aave on polygon set to 20
/// WETH of collateral against 30,000 USDC of debt (a health factor of
/// 1.3833).
fn owing_on_polygon() -> World {
    let mut world = World::default_world();
    let aave = world
        .lenders
        .get_mut("polygon")
        .and_then(|l| l.get_mut("aave"))
        .unwrap();
    aave.deposits = [("WETH".to_string(), 20 * E18)].into();
    aave.debts = [("USDC".to_string(), 30_000 * E6)].into();
    world
}

/// The report lists only what the bundle changed: a wallet balance drawn
/// and paid back in full is not listed, a deposit moved between lenders is
/// (collateral before and after, and the health factor of a position that
/// owes something), and a reverted bundle
/// lists no transaction, gas, balance or position — at any level, the
/// unoptimised one included.
#[test]
fn the_report_lists_only_the_balances_and_positions_that_changed() {
    let mut s = Session::new(owing_on_polygon(), "moves");
    // Drawn and returned in full: touched, unchanged.
    s.input("polygon", "DAI", 10 * E18).unwrap();
    s.input("polygon", "USDC", 100 * E6).unwrap();
    tx(&mut s, "polygon", |s| {
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.deposit("aave", "USDC", 40 * E6).unwrap();
        s.withdraw("compound", "USDC", 5 * E6).unwrap();
    });
    let r = s.finish(&Constraints::new());
    assert!(r.committed(), "{}", r.render_human());
    let text = r.render_human();
    assert!(
        text.ends_with(
            "wallet (before → after)\n  polygon    USDC   25_000 → 24_965\n\nlender positions (before → after)\n  polygon    aave       USDC   collateral 0 → 40\n  polygon    compound   USDC   collateral 60_000 → 59_995\n\nhealth factors (before → after)\n  polygon    aave       1.3833 → 1.3842\n"
        ),
        "{text}"
    );
    assert!(!text.contains("DAI   10_000 → 10_000"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(
        json["wallet"],
        serde_json::json!([{"chain": "polygon", "token": "USDC", "before": "25000", "after": "24965"}])
    );
    assert_eq!(
        json["lenders"][0],
        serde_json::json!({"chain": "polygon", "lender": "aave", "token": "USDC",
            "collateral": {"before": "0", "after": "40"}, "debt": {"before": "30000", "after": "30000"}})
    );
    // aave on polygon holds a debt in the default world, so its health
    // factor is listed; compound's position owes nothing and is not. 40 USDC
    // more collateral: Aave's average liquidation threshold is rounded down
    // to whole basis points, (50,000 × 8,300 + 40 × 8,000) / 50,040 = 8,299,
    // so the factor is 50,040 × 82.99% / 30,000 = 1.3842732, not 1.3844.
    assert_eq!(
        json["health"],
        serde_json::json!([{"chain": "polygon", "lender": "aave",
            "before": "1.383333333333333333", "after": "1.384273200000000000"}])
    );

    // The same moves, sent one wallet transaction each as -O0 sends them,
    // then a failure at the end: nothing is listed or charged.
    let mut s = Session::new(owing_on_polygon(), "moves");
    s.input("polygon", "USDC", 100 * E6).unwrap();
    for step in 0..3 {
        s.begin_transaction("polygon", Sender::Wallet).unwrap();
        match step {
            0 => s.approve("USDC", Spender::Protocol("aave")).unwrap(),
            1 => s.deposit("aave", "USDC", 40 * E6).unwrap(),
            _ => {
                s.withdraw("compound", "USDC", 5 * E6).unwrap();
            }
        }
        s.end_transaction().unwrap();
    }
    // The deposit is the position's first of USDC, beside its one reserve
    // supplied (WETH): 29,504 more than the row (docs/gas.md, "Positions").
    assert_eq!(
        s.gas_total(),
        46_540 + 140_503 + 29_504 + 148_765,
        "metered while it ran"
    );
    let r = s.finish(&Constraints::new().min_balance("polygon", "USDC", 1_000 * E6));
    assert!(!r.committed());
    assert!(r.transactions.is_empty() && r.wallet.is_empty() && r.lenders.is_empty());
    assert_eq!((r.gas_total(), r.blocks, s.gas_total()), (0, 0, 0));
    assert_eq!(
        r.render_human(),
        "bundle moves: reverted: min_balance: the bundle ends with 65 USDC on polygon; at least 1_000 USDC is required\nnothing was sent and no gas is charged: a bundle is all or nothing at every optimisation level, -O0 included, and the world is as it was\n"
    );
    assert_eq!(s.world(), &owing_on_polygon());
}

/// A failed `require` gives the value of its left side against the bound,
/// in the token's units, for every comparison; one that holds changes
/// nothing.
#[test]
fn a_failed_require_shows_the_value_against_the_bound() {
    let cases = [
        (Comparison::Ge, "at least"),
        (Comparison::Gt, "more than"),
        (Comparison::Le, "at most"),
        (Comparison::Lt, "less than"),
        (Comparison::Eq, "exactly"),
        (Comparison::Ne, "anything but"),
    ];
    for (comparison, needs) in cases {
        // 0.8 against 1 WETH fails `>=`, `>` and `==`; 1.2 against 1 fails
        // `<=` and `<`; 1 against 1 fails `!=`.
        let left = match comparison {
            Comparison::Ge | Comparison::Gt | Comparison::Eq => 8 * E18 / 10,
            Comparison::Le | Comparison::Lt => 12 * E18 / 10,
            Comparison::Ne => E18,
        };
        let requirement = |left| Requirement {
            left,
            comparison,
            right: E18,
            token: "WETH",
            text: "w ? 1 WETH",
            left_text: "w",
        };
        let mut s = Session::new(World::default_world(), "r");
        let err = s
            .at(Loc::new(12, 5))
            .require(requirement(left))
            .unwrap_err();
        let shown = display(left);
        assert_eq!(
            err.reason,
            format!("require failed: w ? 1 WETH: w is {shown} WETH, needs {needs} 1 WETH")
        );
        assert_eq!(err.loc, Loc::new(12, 5));
        assert_eq!(s.reverted(), Some(&err));
        // The other side of the bound holds.
        let holds = match comparison {
            Comparison::Ge | Comparison::Le | Comparison::Eq => E18,
            Comparison::Gt => 2 * E18,
            Comparison::Lt => 0,
            Comparison::Ne => E18 + 1,
        };
        let mut s = Session::new(World::default_world(), "r");
        s.require(requirement(holds)).unwrap();
        assert!(s.finish(&Constraints::new()).committed());
    }
    // Without texts, and with a token the world does not know.
    let mut s = Session::new(World::default_world(), "r");
    let err = s
        .require(Requirement {
            left: 12_345,
            comparison: Comparison::Ge,
            right: 20_000,
            token: "NOPE",
            text: "",
            left_text: "",
        })
        .unwrap_err();
    assert_eq!(
        err.reason,
        "require failed: the left side is 12_345 base units, needs at least 20_000 base units"
    );
}

fn display(base: u128) -> String {
    mesh_runtime::amount::display_units(base, 18)
}

#[test]
fn wrap_is_one_for_one_and_no_protocol_takes_the_native_coin() {
    let mut s = Session::new(World::default_world(), "coins");
    s.input("ethereum", "ETH", 2 * E18).unwrap();
    let wrapped = tx(&mut s, "ethereum", |s| s.wrap("ETH", "WETH", 2 * E18));
    assert_eq!(wrapped, Ok(2 * E18));
    assert_eq!(s.holding("ethereum", "ETH"), Ok(0));
    assert_eq!(s.holding("ethereum", "WETH"), Ok(2 * E18));
    // Every protocol and bridge takes ERC-20 tokens only.
    let swap = tx(&mut s, "ethereum", |s| {
        s.at(Loc::new(4, 5))
            .swap("uniswap_v2", "WETH", E18, "ETH", 0)
            .unwrap_err()
    });
    assert_eq!(
        swap.reason,
        "ETH is ethereum's native coin, and an exchange takes ERC-20 tokens only: wrap it first"
    );
    let unwrapped = tx(&mut s, "ethereum", |s| s.unwrap("WETH", "ETH", E18));
    assert_eq!(unwrapped, Ok(E18));
    let deposit = tx(&mut s, "ethereum", |s| {
        s.deposit("aave", "ETH", E18).unwrap_err()
    });
    assert!(deposit
        .reason
        .contains("the lender aave takes ERC-20 tokens only"));
    let bridge = tx(&mut s, "ethereum", |s| {
        s.bridge("ETH", E18, "base", None).unwrap_err()
    });
    assert!(bridge.reason.contains("a bridge takes ERC-20 tokens only"));
    // Only the registry's pair wraps, and only where it names one.
    let backwards = tx(&mut s, "ethereum", |s| {
        s.wrap("WETH", "ETH", 1).unwrap_err()
    });
    assert_eq!(
        backwards.reason,
        "on ethereum, WETH wraps the native coin ETH, not WETH into ETH"
    );
    let polygon = tx(&mut s, "polygon", |s| s.wrap("POL", "WETH", 0).unwrap_err());
    assert_eq!(
        polygon.reason,
        "the registry names no token that wraps polygon's native coin"
    );
    let r = s.finish(&Constraints::new());
    // The first failure in the source is the swap's.
    assert_eq!(r.revert.map(|r| r.loc), Some(Loc::new(4, 5)));
    assert_eq!(s.world(), &World::default_world());
}

/// Time in seconds is counted chain by chain: a transaction takes a block
/// of its chain, a bridge its delay in blocks of the chain it leaves, each
/// at that chain's block time; parallel branches take the slowest.
#[test]
fn time_is_counted_per_chain_and_judged_in_seconds() {
    let mut s = Session::new(World::default_world(), "timed");
    s.input("ethereum", "USDC", 1_000 * E6).unwrap();
    let arrived = tx(&mut s, "ethereum", |s| {
        s.approve("USDC", Spender::Bridge(BridgeKind::Zk)).unwrap();
        s.bridge("USDC", 1_000 * E6, "arbitrum", Some(BridgeKind::Zk))
            .unwrap()
    });
    // One ethereum block (12 s) and the zk route's 2 ethereum blocks.
    assert_eq!(s.elapsed_ms(), Some(36_000));
    s.begin_parallel().unwrap();
    tx(&mut s, "arbitrum", |s| {
        s.swap("uniswap_v2", "USDC", arrived, "WETH", 0).unwrap()
    });
    s.next_branch().unwrap();
    tx(&mut s, "polygon", |_| ());
    s.end_parallel().unwrap();
    // The slower branch: polygon's 2 s block, not arbitrum's 250 ms.
    assert_eq!(s.elapsed_ms(), Some(38_000));
    assert_eq!(s.blocks(), 4);
    let deadline =
        |seconds| Constraints::new().with(Constraint::DeadlineSeconds(seconds), Loc::new(9, 5));
    let mut late = s;
    let report = late.finish(&deadline(37));
    let revert = report.revert.expect("reverted");
    assert_eq!(
        revert.reason,
        "deadline: the bundle takes 38s; the deadline is 37s"
    );
    assert_eq!(revert.loc, Loc::new(9, 5));

    // A chain without a block time makes the time unknown.
    let mut world = World::default_world();
    for chain in &mut world.registry.chains {
        if chain.name == "base" {
            chain.block_time_ms = None;
        }
    }
    let mut s = Session::new(world, "untimed");
    tx(&mut s, "base", |_| ());
    assert_eq!(s.elapsed_ms(), None);
    let report = s.finish(&deadline(3_600));
    assert_eq!(
        report.revert.map(|r| r.reason),
        Some(
            "deadline: the registry gives base no block time, so the bundle's time in seconds cannot be told"
                .to_string()
        )
    );
    // Met, the report gives the time.
    let mut s = Session::new(World::default_world(), "quick");
    tx(&mut s, "arbitrum", |_| ());
    let report = s.finish(&deadline(1));
    assert!(report.committed());
    assert_eq!(report.time_ms, Some(250));
    assert!(report.render_human().contains("blocks 1 · time 0.25s"));
    assert!(report.to_json().contains("\"blocks\":1,\"time_ms\":250"));
}
