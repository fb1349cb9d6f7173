//! Positions at lenders: loans left open as debt, repaying debt that exists
//! before the bundle, assumptions, the health checks of a borrow and a
//! withdrawal (Aave V3's, with its figures in the reason), `min_health`,
//! the report's positions and health factors, and all or nothing.
//!
//! The default world's positions (docs/world.md): on ethereum the user has
//! 20 WETH at aave and owes it 30,000 USDC; aave's risk parameters for
//! WETH are 80% / 83%, for USDC 77% / 80%; the oracle prices WETH at 2,500
//! and USDC at 1 USD.

use mesh_runtime::{Constraint, Constraints, LoanKind, Loc, Sender, Session, Spender, World};

const E6: u128 = 1_000_000;
const E18: u128 = 1_000_000_000_000_000_000;

fn tx<T>(s: &mut Session, chain: &str, f: impl FnOnce(&mut Session) -> T) -> T {
    s.begin_transaction(chain, Sender::Executor).unwrap();
    let out = f(s);
    let _ = s.end_transaction();
    out
}

/// Deposits 10 WETH from the wallet into aave on base (no position there
/// before), then borrows `usdc` base units of USDC as debt.
fn leverage(usdc: u128, constraints: &Constraints) -> (mesh_runtime::Report, World) {
    let mut s = Session::new(World::default_world(), "leverage");
    s.input("base", "WETH", 10 * E18).unwrap();
    tx(&mut s, "base", |s| {
        s.approve("WETH", Spender::Protocol("aave")).unwrap();
        s.at(Loc::new(3, 5))
            .deposit("aave", "WETH", 10 * E18)
            .unwrap();
        let _ = s
            .at(Loc::new(4, 5))
            .borrow("aave", "USDC", usdc, LoanKind::Debt);
    });
    let report = s.finish(constraints);
    (report, s.into_world())
}

/// 10 WETH (25,000 USD, liquidation threshold 83%) against 12,600 USDC:
/// percentMul(25,000e8, 8,300) = 20,750e8; wadDiv(20,750e8, 12,600e8) =
/// 1.646825396825396825.
#[test]
fn a_loan_left_open_as_debt_outlives_the_bundle() {
    let (report, world) = leverage(12_600 * E6, &Constraints::new());
    assert!(report.committed(), "{:?}", report.revert);
    let aave = world.lender("base", "aave").expect("aave on base");
    assert_eq!(aave.debts["USDC"], 12_600 * E6);
    assert_eq!(aave.deposits["WETH"], 10 * E18);
    assert_eq!(
        aave.liquidity["USDC"],
        World::default_world()
            .lender("base", "aave")
            .unwrap()
            .liquidity["USDC"]
            - 12_600 * E6
    );
    assert_eq!(report.result["base"]["USDC"].base, 12_600 * E6);
    let text = report.render_human();
    assert!(
        text.contains("borrow 12_600 USDC from aave as debt"),
        "{text}"
    );
    assert!(
        text.contains("base       aave       USDC   debt 0 → 12_600"),
        "{text}"
    );
    assert!(
        text.contains("health factors (before → after)\n  base       aave       no debt → 1.6468"),
        "{text}"
    );
    assert!(
        report
            .to_json()
            .contains(r#""health":[{"chain":"base","lender":"aave","before":null,"after":"1.646825396825396825"}]"#),
        "{}",
        report.to_json()
    );
}

/// At an 80% loan-to-value, 25,000 USD of collateral carries 20,000 USD of
/// debt and not one unit more: percentDiv(20,000.000001e8, 8,000) =
/// 25,000.00000125e8.
#[test]
fn a_borrow_past_the_loan_to_value_reverts_on_its_line_with_the_figures() {
    let (report, world) = leverage(20_000 * E6, &Constraints::new());
    assert!(report.committed(), "{:?}", report.revert);
    assert_eq!(
        world.lender("base", "aave").unwrap().debts["USDC"],
        20_000 * E6
    );

    let (report, world) = leverage(20_000 * E6 + 1, &Constraints::new());
    let revert = report.revert.expect("reverted");
    assert_eq!(revert.loc, Loc::new(4, 5));
    assert_eq!(
        revert.reason,
        "the borrow of 20_000.000001 USDC from aave on base is refused: the debt would be 20_000.000001 USD, which needs 25_000.00000125 USD of collateral at the position's loan-to-value of 80.00%; the collateral is 25_000 USD (Aave V3: COLLATERAL_CANNOT_COVER_NEW_BORROW)"
    );
    assert_eq!(world, World::default_world(), "all or nothing");
}

#[test]
fn a_loan_from_a_lender_without_flash_loans_needs_collateral() {
    let mut s = Session::new(World::default_world(), "no_collateral");
    s.input("base", "USDC", 10 * E6).unwrap();
    tx(&mut s, "base", |s| {
        let _ = s
            .at(Loc::new(2, 5))
            .borrow("compound", "USDC", 1_000 * E6, LoanKind::Ordinary);
        s.approve("USDC", Spender::Protocol("compound")).unwrap();
        let _ = s.at(Loc::new(3, 5)).repay("compound", "USDC", 1_000 * E6);
    });
    let report = s.finish(&Constraints::new());
    let revert = report.revert.expect("reverted");
    assert_eq!(revert.loc, Loc::new(2, 5));
    assert_eq!(
        revert.reason,
        "the borrow of 1_000 USDC from compound on base is refused: the position there has no collateral (Aave V3: COLLATERAL_BALANCE_IS_ZERO); deposit some first"
    );

    // With collateral, the loan is counted in the position while it is
    // open: withdrawing all the collateral then fails.
    let mut s = Session::new(World::default_world(), "counted");
    s.input("base", "WETH", E18).unwrap();
    tx(&mut s, "base", |s| {
        s.approve("WETH", Spender::Protocol("compound")).unwrap();
        s.deposit("compound", "WETH", E18).unwrap();
        s.borrow("compound", "USDC", 1_000 * E6, LoanKind::Ordinary)
            .unwrap();
        let err = s
            .at(Loc::new(5, 5))
            .withdraw("compound", "WETH", E18)
            .unwrap_err();
        assert_eq!(
            err.reason,
            "the withdrawal leaves the position at compound on base with a health factor of 0.0000 (collateral 0 USD at a liquidation threshold of 0.00%, debt 1_000 USD): below 1 (Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)"
        );
    });
}

/// An ordinary loan from a lender that offers flash loans is a borrow like
/// any other (Aave V3 makes it debt): refused without collateral. The same
/// loan taken as a flash loan needs none.
#[test]
fn an_ordinary_loan_needs_collateral_at_any_lender_and_a_flash_loan_none() {
    let mut s = Session::new(World::default_world(), "ordinary");
    s.input("base", "USDC", 10 * E6).unwrap();
    tx(&mut s, "base", |s| {
        let _ = s
            .at(Loc::new(2, 5))
            .borrow("aave", "USDC", 1_000 * E6, LoanKind::Ordinary);
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        let _ = s.at(Loc::new(3, 5)).repay("aave", "USDC", 1_000 * E6);
    });
    let report = s.finish(&Constraints::new());
    let revert = report.revert.expect("reverted");
    assert_eq!(revert.loc, Loc::new(2, 5));
    assert_eq!(
        revert.reason,
        "the borrow of 1_000 USDC from aave on base is refused: the position there has no collateral (Aave V3: COLLATERAL_BALANCE_IS_ZERO); deposit some first"
    );

    let mut s = Session::new(World::default_world(), "flash");
    s.input("base", "USDC", 10 * E6).unwrap();
    tx(&mut s, "base", |s| {
        s.borrow("aave", "USDC", 1_000 * E6, LoanKind::Flash)
            .unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay("aave", "USDC", 1_000 * E6).unwrap();
    });
    assert!(s.finish(&Constraints::new()).committed());

    // With collateral, the open ordinary loan counts in the position:
    // withdrawing the collateral it stands on fails.
    let mut s = Session::new(World::default_world(), "counted");
    s.input("base", "WETH", E18).unwrap();
    tx(&mut s, "base", |s| {
        s.approve("WETH", Spender::Protocol("aave")).unwrap();
        s.deposit("aave", "WETH", E18).unwrap();
        s.borrow("aave", "USDC", 1_000 * E6, LoanKind::Ordinary)
            .unwrap();
        let err = s
            .at(Loc::new(5, 5))
            .withdraw("aave", "WETH", E18)
            .unwrap_err();
        assert!(
            err.reason
                .ends_with("(Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)"),
            "{}",
            err.reason
        );
    });
}

/// The user owes aave 30,000 USDC on ethereum against 20 WETH:
/// percentMul(50,000e8, 8,300) = 41,500e8, HF = 41,500 / 30,000 =
/// 1.383333333333333333. After repaying 10,000: 41,500 / 20,000 = 2.075.
#[test]
fn debt_the_world_holds_is_repaid_without_a_premium() {
    let mut s = Session::new(World::default_world(), "repay");
    s.input("ethereum", "USDC", 10_000 * E6).unwrap();
    s.at(Loc::new(2, 5))
        .assume_debt("ethereum", "aave", "USDC", 30_000 * E6)
        .unwrap();
    tx(&mut s, "ethereum", |s| {
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay_debt("aave", "USDC", 10_000 * E6).unwrap();
    });
    let report = s.finish(&Constraints::new().with(Constraint::MinHealth(2 * E18), Loc::new(9, 5)));
    assert!(report.committed(), "{:?}", report.revert);
    assert!(report.result.is_empty(), "exactly the amount is paid");
    assert_eq!(
        s.world().lender("ethereum", "aave").unwrap().debts["USDC"],
        20_000 * E6
    );
    let text = report.render_human();
    assert!(text.contains("repay 10_000 USDC of debt to aave"), "{text}");
    assert!(
        text.contains("ethereum   aave       1.3833 → 2.0750"),
        "{text}"
    );
}

#[test]
fn repaying_more_debt_than_is_owed_reverts() {
    let mut s = Session::new(World::default_world(), "too_much");
    s.input("ethereum", "USDC", 25_000 * E6).unwrap();
    tx(&mut s, "ethereum", |s| {
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        let err = s.repay_debt("aave", "USDC", 40_000 * E6).unwrap_err();
        assert_eq!(
            err.reason,
            "repays 40_000 USDC of debt to aave on ethereum, but the user owes 30_000 USDC"
        );
    });
    assert!(!s.finish(&Constraints::new()).committed());
}

#[test]
fn an_assumption_the_world_disagrees_with_reverts_on_its_line() {
    let mut s = Session::new(World::default_world(), "assume");
    let err = s
        .at(Loc::new(2, 5))
        .assume_debt("ethereum", "aave", "USDC", 30_000 * E6 + 1)
        .unwrap_err();
    assert_eq!(
        err.reason,
        "assume failed: the bundle assumes a debt of at least 30_000.000001 USDC to aave on ethereum; the user owes 30_000 USDC"
    );
    let err = s
        .at(Loc::new(3, 5))
        .assume_collateral("optimism", "compound", "WETH", 11 * E18)
        .unwrap_err();
    assert_eq!(
        err.reason,
        "assume failed: the bundle assumes collateral of at least 11 WETH at compound on optimism; the user has 10 WETH deposited"
    );
    assert!(s
        .assume_collateral("optimism", "compound", "WETH", 10 * E18)
        .is_ok());
    assert!(s.assume_healthy("ethereum", "aave").is_ok());
    let err = s
        .assume_debt("ethereum", "uniswap_v2", "USDC", 1)
        .unwrap_err();
    assert_eq!(err.reason, "uniswap_v2 is an exchange, not a lender");
    let report = s.finish(&Constraints::new());
    assert_eq!(report.revert.expect("reverted").loc, Loc::new(2, 5));
}

/// Withdrawing 10 of the 20 WETH behind 30,000 USDC of debt: 25,000 USD at
/// 83% is 20,750 USD against 30,000: 0.691666…
#[test]
fn a_withdrawal_that_leaves_the_position_unhealthy_reverts() {
    let mut s = Session::new(World::default_world(), "withdraw");
    tx(&mut s, "ethereum", |s| {
        let err = s
            .at(Loc::new(2, 5))
            .withdraw("aave", "WETH", 10 * E18)
            .unwrap_err();
        assert_eq!(
            err.reason,
            "the withdrawal leaves the position at aave on ethereum with a health factor of 0.6916 (collateral 25_000 USD at a liquidation threshold of 83.00%, debt 30_000 USD): below 1 (Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)"
        );
        // 4 WETH leaves 16: 33,200 / 30,000 = 1.1066…, above 1.
        s.at(Loc::new(3, 5))
            .withdraw("aave", "WETH", 4 * E18)
            .unwrap();
    });
    let report = s.finish(&Constraints::new());
    assert_eq!(report.revert.expect("reverted").loc, Loc::new(2, 5));
    assert_eq!(s.world(), &World::default_world());
}

#[test]
fn min_health_judges_every_position_the_bundle_changed() {
    let constraints = Constraints::new().with(Constraint::MinHealth(17 * E18 / 10), Loc::new(7, 5));
    let (report, world) = leverage(12_600 * E6, &constraints);
    let revert = report.revert.expect("reverted");
    assert_eq!(revert.loc, Loc::new(7, 5));
    assert_eq!(
        revert.reason,
        "min_health: the position at aave on base ends with a health factor of 1.6468; at least 1.7 is required"
    );
    assert_eq!(world, World::default_world());
    let constraints = Constraints::new().with(Constraint::MinHealth(16 * E18 / 10), Loc::new(7, 5));
    assert!(leverage(12_600 * E6, &constraints).0.committed());
}

#[test]
fn a_debt_in_a_token_without_a_price_cannot_be_valued() {
    let mut world = World::default_world();
    world.oracle.remove("USDC");
    let mut s = Session::new(world.clone(), "unpriced");
    s.input("base", "WETH", E18).unwrap();
    tx(&mut s, "base", |s| {
        s.approve("WETH", Spender::Protocol("aave")).unwrap();
        s.deposit("aave", "WETH", E18).unwrap();
        let err = s.borrow("aave", "USDC", E6, LoanKind::Debt).unwrap_err();
        assert_eq!(
            err.reason,
            "the borrow of 1 USDC from aave on base: USDC has no price in the world's oracle, so a debt in it cannot be valued"
        );
    });
    assert!(!s.finish(&Constraints::new()).committed());
    assert_eq!(s.world(), &world);
}

#[test]
fn positions_round_trip_through_a_world_file() {
    let (report, world) = leverage(12_600 * E6, &Constraints::new());
    assert!(report.committed());
    let text = world.to_toml_string();
    assert!(text.contains("[lenders.base.aave]\nliquidity = "), "{text}");
    assert!(text.contains("debts = { USDC = \"12600\" }"), "{text}");
    assert!(
        text.contains("[oracle]\nDAI = \"1\"\nETH = \"2500\"\nPEPE = \"0.00001\""),
        "{text}"
    );
    let again = World::parse(&text, "again.toml").expect("parses");
    assert_eq!(again, world);
}

#[test]
fn a_world_file_holds_only_healthy_valued_positions() {
    let cases = [
        (
            "[lenders.base.compound]\ndeposits = { WETH = \"1\" }\ndebts = { USDC = \"100000\" }\nrisk = { WETH = { ltv_bps = 7900, liquidation_threshold_bps = 8400 } }\n",
            "lenders.base.compound.debts: the position has a health factor of 0.0210 (collateral 2_500 USD at a liquidation threshold of 8400 bps, debt 100_000 USD): below 1, it could be liquidated, which the runtime does not model",
        ),
        (
            "[lenders.base.compound]\ndebts = { WBTC = \"1\" }\n",
            "lenders.base.compound.debts.WBTC: a debt in WBTC needs a price: give WBTC one in [oracle]",
        ),
        (
            "[lenders.base.compound]\nrisk = { WETH = { ltv_bps = 9000, liquidation_threshold_bps = 8400 } }\n",
            "lenders.base.compound.risk.WETH: the loan-to-value (9000 bps) may not exceed the liquidation threshold (8400 bps)",
        ),
        (
            "[lenders.base.compound]\nrisk = { WETH = { ltv_bps = 100, liquidation_threshold_bps = 10001 } }\n",
            "lenders.base.compound.risk.WETH.liquidation_threshold_bps: must be at most 10000",
        ),
    ];
    let head = "format = 1\n[chains]\nbase = { chain_id = 8453 }\n[tokens]\nUSDC = { decimals = 6 }\nWETH = { decimals = 18 }\nWBTC = { decimals = 8 }\n[protocols]\ncompound = { kind = \"lender\", premium_bps = 0 }\n[oracle]\nUSDC = \"1\"\nWETH = \"2500\"\n";
    for (lender, message) in cases {
        let text = format!("{head}{lender}");
        let errors = World::parse_all(&text, "w.toml").expect_err("refused");
        assert!(
            errors.iter().any(|e| e.to_string().ends_with(message)),
            "{errors:?}\nexpected {message}"
        );
    }
    let bad_price = head.replace("WETH = \"2500\"", "WETH = \"0\"");
    let errors = World::parse_all(&bad_price, "w.toml").expect_err("refused");
    assert!(errors[0]
        .to_string()
        .ends_with("oracle.WETH: a price must be positive"));
}
