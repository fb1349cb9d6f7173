//! Aave V3's account maths checked against figures worked out by hand from
//! its published formulas (`@aave/core-v3` 1.19.3, `GenericLogic`,
//! `ValidationLogic`, `PercentageMath`, `WadRayMath`; the module's
//! documentation quotes each). Every expected figure below is derived in
//! the comment beside it, independently of the code under test.

use super::*;

const USD: u128 = 100_000_000; // one dollar in the base currency (8 decimals)
const E18: u128 = 1_000_000_000_000_000_000;
const E6: u128 = 1_000_000;
const E8: u128 = 100_000_000;

fn weth(amount: u128) -> Balance {
    Balance {
        amount,
        decimals: 18,
        price: 2_500 * USD,
    }
}

fn wbtc(amount: u128) -> Balance {
    Balance {
        amount,
        decimals: 8,
        price: 65_000 * USD,
    }
}

fn usdc(amount: u128) -> Balance {
    Balance {
        amount,
        decimals: 6,
        price: USD,
    }
}

fn risk(ltv_bps: u32, liquidation_threshold_bps: u32) -> Option<RiskParams> {
    Some(RiskParams {
        ltv_bps,
        liquidation_threshold_bps,
    })
}

fn u(v: u128) -> U256 {
    U256::from_u128(v)
}

/// 10 WETH at 2,500 USD with an 80% loan-to-value and an 83% liquidation
/// threshold, against 12,600 USDC of debt:
/// collateral = 10e18 · 2,500e8 / 1e18 = 25,000e8;
/// debt = 12,600e6 · 1e8 / 1e6 = 12,600e8;
/// percentMul(25,000e8, 8,300) = (25,000e8 · 8,300 + 5,000) / 10,000 = 20,750e8;
/// wadDiv(20,750e8, 12,600e8) = (20,750e8 · 1e18 + 6,300e8) / 12,600e8
/// = 1,646,825,396,825,396,825 (1.6468…, half up).
#[test]
fn one_collateral_one_debt() {
    let collateral = [Collateral {
        balance: weth(10 * E18),
        risk: risk(8_000, 8_300),
    }];
    let data = account_data(&collateral, &[usdc(12_600 * E6)]).expect("fits");
    assert_eq!(data.collateral, u(25_000 * USD));
    assert_eq!(data.debt, u(12_600 * USD));
    assert_eq!(data.ltv_bps, u(8_000));
    assert_eq!(data.liquidation_threshold_bps, u(8_300));
    assert_eq!(
        data.health_factor,
        HealthFactor::Wad(u(1_646_825_396_825_396_825))
    );
    assert_eq!(data.health_factor.to_string(), "1.6468");
}

/// Two collaterals: the averages are rounded down before they are used.
/// 1 WETH (2,500 USD, 80%/83%) and 1 WBTC (65,000 USD, 70%/77%):
/// total = 67,500e8; threshold = (2,500e8 · 8,300 + 65,000e8 · 7,700) /
/// 67,500e8 = 7,722.2… → 7,722; ltv = (2,500e8 · 8,000 + 65,000e8 ·
/// 7,000) / 67,500e8 = 7,037.0… → 7,037. Against 40,000 USDC:
/// percentMul(67,500e8, 7,722) = 52,123.5e8; wadDiv(52,123.5e8, 40,000e8)
/// = 1,303,087,500,000,000,000. Without the rounding of the average the
/// factor would be 1.303125.
#[test]
fn the_average_threshold_is_rounded_down() {
    let collateral = [
        Collateral {
            balance: weth(E18),
            risk: risk(8_000, 8_300),
        },
        Collateral {
            balance: wbtc(E8),
            risk: risk(7_000, 7_700),
        },
    ];
    let data = account_data(&collateral, &[usdc(40_000 * E6)]).expect("fits");
    assert_eq!(data.collateral, u(67_500 * USD));
    assert_eq!(data.liquidation_threshold_bps, u(7_722));
    assert_eq!(data.ltv_bps, u(7_037));
    assert_eq!(
        data.health_factor,
        HealthFactor::Wad(u(1_303_087_500_000_000_000))
    );
}

/// `percentMul` and `wadDiv` round half up; `percentDiv` too.
/// percentMul(1, 5,000) = (5,000 + 5,000) / 10,000 = 1;
/// percentMul(1, 4,999) = 9,999 / 10,000 = 0;
/// wadDiv(1, 3) = (1e18 + 1) / 3 = 333,333,333,333,333,333;
/// wadDiv(2, 3) = (2e18 + 1) / 3 = 666,666,666,666,666,667;
/// percentDiv(1, 3) = (10,000 + 1) / 3 = 3,333.
#[test]
fn half_up_rounding() {
    assert_eq!(percent_mul(u(1), u(5_000)), Ok(u(1)));
    assert_eq!(percent_mul(u(1), u(4_999)), Ok(u(0)));
    assert_eq!(percent_mul(u(7), u(0)), Ok(u(0)));
    assert_eq!(wad_div(u(1), u(3)), Ok(u(333_333_333_333_333_333)));
    assert_eq!(wad_div(u(2), u(3)), Ok(u(666_666_666_666_666_667)));
    assert_eq!(percent_div(u(1), u(3)), Ok(u(3_333)));
    assert_eq!(wad_div(u(1), u(0)), Err(MathError::Overflow));
    assert_eq!(percent_div(u(1), u(0)), Err(MathError::Overflow));
}

/// A balance is worth `amount · price / 10^decimals`, rounded down: one
/// wei of WETH is worth 1 · 2,500e8 / 1e18 = 0, so owing it is owing
/// nothing in the base currency; one unit of USDC is 1e8 / 1e6 = 100.
#[test]
fn values_round_down() {
    assert_eq!(value_in_base(weth(1)), Ok(u(0)));
    assert_eq!(value_in_base(usdc(1)), Ok(u(100)));
    assert_eq!(value_in_base(wbtc(1)), Ok(u(65_000)));
    let collateral = [Collateral {
        balance: weth(E18),
        risk: risk(8_000, 8_300),
    }];
    let data = account_data(&collateral, &[weth(1)]).expect("fits");
    assert_eq!(data.health_factor, HealthFactor::NoDebt);
}

/// A deposit whose liquidation threshold is zero, or that the lender does
/// not list, is no collateral (`liquidationThreshold != 0`); one with a
/// zero loan-to-value counts, and is flagged.
#[test]
fn what_counts_as_collateral() {
    let collateral = [
        Collateral {
            balance: weth(E18),
            risk: risk(0, 0),
        },
        Collateral {
            balance: wbtc(E8),
            risk: None,
        },
    ];
    let data = account_data(&collateral, &[]).expect("fits");
    assert_eq!(data.collateral, u(0));
    assert_eq!(data.health_factor, HealthFactor::NoDebt);
    let zero_ltv = [Collateral {
        balance: weth(E18),
        risk: risk(0, 8_300),
    }];
    let data = account_data(&zero_ltv, &[]).expect("fits");
    assert_eq!(data.collateral, u(2_500 * USD));
    assert!(data.has_zero_ltv_collateral);
    assert_eq!(data.ltv_bps, u(0));
}

/// `validateBorrow` on 25,000 USD of collateral at an 80% loan-to-value:
/// borrowing 20,000 USDC needs percentDiv(20,000e8, 8,000) = (20,000e8 ·
/// 10,000 + 4,000) / 8,000 = 25,000e8, exactly the collateral: allowed.
/// One more unit of USDC (worth 100) needs (2,000,000,000,100 · 10,000 +
/// 4,000) / 8,000 = 2,500,000,000,125: refused.
#[test]
fn the_loan_to_value_caps_a_borrow() {
    let collateral = [Collateral {
        balance: weth(10 * E18),
        risk: risk(8_000, 8_300),
    }];
    let before = account_data(&collateral, &[]).expect("fits");
    let most = value_in_base(usdc(20_000 * E6)).expect("fits");
    assert_eq!(validate_borrow(&before, most), Ok(Ok(())));
    let more = value_in_base(usdc(20_000 * E6 + 1)).expect("fits");
    assert_eq!(
        validate_borrow(&before, more),
        Ok(Err(BorrowRefusal::CannotCover {
            needed: u(2_500_000_000_125),
            collateral: u(25_000 * USD),
        }))
    );
}

/// The refusals come in Aave's order: no collateral, a zero average
/// loan-to-value, then a position not above 1 before the borrow. 1 WETH
/// (83%) against 2,075 USDC: percentMul(2,500e8, 8,300) = 2,075e8, so the
/// factor is exactly 1 and a further borrow is refused.
#[test]
fn refusals_in_order() {
    let none = account_data(&[], &[]).expect("fits");
    assert_eq!(
        validate_borrow(&none, u(1)),
        Ok(Err(BorrowRefusal::NoCollateral))
    );
    let zero_ltv = account_data(
        &[Collateral {
            balance: weth(E18),
            risk: risk(0, 8_300),
        }],
        &[],
    )
    .expect("fits");
    assert_eq!(
        validate_borrow(&zero_ltv, u(1)),
        Ok(Err(BorrowRefusal::ZeroLtv))
    );
    let at_one = account_data(
        &[Collateral {
            balance: weth(E18),
            risk: risk(8_000, 8_300),
        }],
        &[usdc(2_075 * E6)],
    )
    .expect("fits");
    assert_eq!(at_one.health_factor, HealthFactor::Wad(u(WAD)));
    assert_eq!(
        validate_borrow(&at_one, u(0)),
        Ok(Err(BorrowRefusal::Unhealthy(HealthFactor::Wad(u(WAD)))))
    );
    assert!(at_one.health_factor.at_least(WAD));
}

#[test]
fn texts() {
    assert_eq!(usd_text(u(20_750 * USD)), "20_750 USD");
    assert_eq!(usd_text(u(2_500_000_000_125)), "25_000.00000125 USD");
    assert_eq!(usd_text(u(12_345_678)), "0.12345678 USD");
    let huge = U256::widening_mul(u128::MAX, 1_000);
    assert!(usd_text(huge).ends_with(" USD"));
    assert_eq!(factor_text(1_500_000_000_000_000_000), "1.5");
    assert_eq!(HealthFactor::NoDebt.to_string(), "no debt");
    assert_eq!(wad_text(u(1_500_000_000_000_000_000), 2), "1.50");
    assert!(HealthFactor::NoDebt > HealthFactor::Wad(u(u128::MAX)));
}

proptest::proptest! {
    /// More collateral of a token never lowers the collateral's value, and
    /// more debt never raises the health factor.
    #[test]
    fn monotone(a in 0u128..1_000_000 * E18, b in 0u128..1_000_000 * E18, d in 1u128..100_000_000 * E6) {
        let c = |amount| [Collateral { balance: weth(amount), risk: risk(8_000, 8_300) }];
        let (lo, hi) = (a.min(b), a.max(b));
        let low = account_data(&c(lo), &[usdc(d)]).expect("fits");
        let high = account_data(&c(hi), &[usdc(d)]).expect("fits");
        proptest::prop_assert!(low.health_factor <= high.health_factor);
        let more_debt = account_data(&c(hi), &[usdc(d + 1)]).expect("fits");
        proptest::prop_assert!(more_debt.health_factor <= high.health_factor);
    }
}
