//! Protocol maths against the published figures, and multi-hop swaps equal
//! to hop-by-hop ones.

use mesh_runtime::maths::bps_ceil;
use mesh_runtime::maths::{
    flash_premium, get_amount_in, get_amount_out, get_amounts_out, MathError,
};
use mesh_runtime::world::Pair;
use mesh_runtime::{Constraints, Sender, Session, Spender, World};
use proptest::prelude::*;

const E18: u128 = 1_000_000_000_000_000_000;

#[test]
fn uniswap_v2_published_vectors_bit_for_bit() {
    let vectors = [
        (2, 5, 10, 2_851_015_155_847_869_602u128),
        (1, 10, 10, 906_610_893_880_149_131),
        (1, 1000, 1000, 996_006_981_039_903_216),
    ];
    for (a, r_in, r_out, out) in vectors {
        assert_eq!(
            get_amount_out(a * E18, r_in * E18, r_out * E18, 30),
            Ok(out)
        );
    }
    assert_eq!(get_amount_out(2, 100, 100, 30), Ok(1));
    assert_eq!(get_amount_in(1, 100, 100, 30), Ok(2));
}

#[test]
fn aave_premium_rounds_half_up() {
    assert_eq!(flash_premium(10_000, 5), Ok(5));
    assert_eq!(flash_premium(10_001, 5), Ok(5), "5.0005 rounds down");
    assert_eq!(flash_premium(10_999, 5), Ok(5), "5.4995 rounds down");
    assert_eq!(flash_premium(11_000, 5), Ok(6), "5.5 rounds up");
    assert_eq!(
        flash_premium(1, 5),
        Ok(0),
        "a loan of 1 base unit pays none"
    );
    assert_eq!(flash_premium(0, 5), Ok(0));
    assert_eq!(
        flash_premium(100 * E18, 5),
        Ok(E18 / 20),
        "100 WETH at 5 bps is 0.05 WETH"
    );
    assert_eq!(
        flash_premium(100 * E18, 9),
        Ok(9 * E18 / 100),
        "older deployments' 9 bps"
    );
    // No intermediate overflow: the premium on the largest amount is exact.
    assert_eq!(flash_premium(u128::MAX, 5), Ok(u128::MAX / 2_000 + 1));
    // Bridge fees round up (`bps_ceil`), once per transfer.
    assert_eq!(bps_ceil(1, 5).unwrap() * 3, 3);
    assert_eq!(bps_ceil(3, 5), Some(1));
}

#[test]
fn no_overflow_wraps_or_panics() {
    assert_eq!(
        get_amount_out(u128::MAX, u128::MAX, u128::MAX, 30),
        Err(MathError::Overflow)
    );
    assert_eq!(
        get_amount_in(u128::MAX - 1, u128::MAX, u128::MAX, 30),
        Err(MathError::Overflow)
    );
    // 18-decimal reserves of a billion tokens: a·997·rOut needs 256 bits.
    let big = 1_000_000_000 * E18;
    let out = get_amount_out(big / 10, big, big, 30).unwrap();
    assert!(out < big / 10);
}

fn amount() -> impl Strategy<Value = u128> {
    1u128..(1u128 << 100)
}

proptest! {
    #[test]
    fn get_amount_in_buys_at_least_the_output(o in 1u128..(1 << 90), r_in in amount(), extra in amount(), fee in 0u32..1_000) {
        let r_out = o + extra;
        if let Ok(a) = get_amount_in(o, r_in, r_out, fee) {
            if let Ok(got) = get_amount_out(a, r_in, r_out, fee) {
                prop_assert!(got >= o);
            }
        }
    }

    #[test]
    fn k_never_decreases(a in amount(), r_in in amount(), r_out in amount(), fee in 0u32..1_000) {
        if let Ok(out) = get_amount_out(a, r_in, r_out, fee) {
            prop_assert!(out < r_out);
            let before = mesh_runtime::maths::constant_product(r_in, r_out);
            let after = mesh_runtime::maths::constant_product(r_in + a, r_out - out);
            prop_assert!(after >= before);
        }
    }

    /// A multi-hop swap in the session gives exactly what the single hops
    /// give in sequence, and moves the reserves the same way.
    #[test]
    fn multi_hop_equals_hop_by_hop(
        usdc_weth in (1u128..1_000_000, 1u128..1_000_000),
        weth_dai in (1u128..1_000_000, 1u128..1_000_000),
        input in 1u128..10_000,
    ) {
        let mut world = World::default_world();
        let uni = world.exchanges.get_mut("polygon").unwrap().get_mut("uniswap_v2").unwrap();
        uni.pairs.insert(("USDC".into(), "WETH".into()), Pair { reserve0: usdc_weth.0 * 1_000_000, reserve1: usdc_weth.1 * E18 });
        uni.pairs.insert(("DAI".into(), "WETH".into()), Pair { reserve0: weth_dai.1 * E18, reserve1: weth_dai.0 * E18 });
        let amount = input * 1_000_000;

        let hops = [uni.reserves("USDC", "WETH").unwrap(), uni.reserves("WETH", "DAI").unwrap()];
        let by_formula = get_amounts_out(amount, &hops, 30).ok().map(|a| a[2]);
        let chained = get_amount_out(amount, hops[0].0, hops[0].1, 30)
            .and_then(|w| get_amount_out(w, hops[1].0, hops[1].1, 30))
            .ok();
        prop_assert_eq!(by_formula, chained);

        let run = |multi: bool| {
            let mut s = Session::new(world.clone(), "hops");
            s.input("polygon", "USDC", amount).unwrap();
            s.begin_transaction("polygon", Sender::Executor).unwrap();
            s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap();
            s.approve("WETH", Spender::Protocol("uniswap_v2")).unwrap();
            let out = if multi {
                s.swap_path("uniswap_v2", &["USDC", "WETH", "DAI"], amount, 0)
            } else {
                s.swap("uniswap_v2", "USDC", amount, "WETH", 0)
                    .and_then(|w| s.swap("uniswap_v2", "WETH", w, "DAI", 0))
            };
            let _ = s.end_transaction();
            let report = s.finish(&Constraints::new());
            (out.ok(), report.committed(), s.into_world())
        };
        let (multi_out, multi_ok, multi_world) = run(true);
        let (single_out, single_ok, single_world) = run(false);
        prop_assert_eq!(multi_out, single_out);
        prop_assert_eq!(multi_ok, single_ok);
        prop_assert_eq!(multi_world, single_world);
        if multi_out.is_some() {
            prop_assert_eq!(multi_out, by_formula);
        }
    }
}
