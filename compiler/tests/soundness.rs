//! The checker's soundness, as a property over random bundles on random
//! worlds: a bundle the checker accepts never reverts at run time for lack
//! of a holding (`insufficient holding`), at `-O0` and at `-O`, each level
//! checked and lowered as itself. Other reverts (a slippage bound, a
//! `require`, a lender short of liquidity) depend on the world and are
//! allowed. It runs through the IR interpreter, on the bundles and worlds of
//! the refinement property (`common/mod.rs`); `MESH_SOUNDNESS_CASES` sets
//! the number of cases (3,000 by default).

mod common;

use common::{bundle, lowered_at, perturbed};
use mesh_runtime::World;
use meshc::check::OptLevel;
use meshc::interp;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `Ok(true)` when the checker accepts `source` at `level` and its lowering
/// does not run short of a holding on `world`; `Ok(false)` when the checker
/// rejects it.
fn sound(source: &str, level: OptLevel, world: &World) -> Result<bool, String> {
    let Some(program) = lowered_at(source, level) else {
        return Ok(false);
    };
    let (report, _) = interp::run(&program, world.clone());
    match &report.revert {
        Some(revert) if revert.reason.starts_with("insufficient holding") => Err(format!(
            "well-typed at {} but short of funds: {}",
            level.flag(),
            revert.reason
        )),
        _ => Ok(true),
    }
}

fn cases() -> u32 {
    std::env::var("MESH_SOUNDNESS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases())
    })]

    #[test]
    fn well_typed_bundles_never_run_short_of_a_holding(source in bundle(), seed in any::<u64>()) {
        let world = perturbed(seed);
        let mut checked = false;
        for level in [OptLevel::O0, OptLevel::O] {
            match sound(&source, level, &world) {
                Ok(c) => checked |= c,
                Err(why) => prop_assert!(false, "{why}\n{source}\nworld seed {seed}"),
            }
        }
        prop_assume!(checked);
    }
}

#[test]
fn a_bundle_that_spends_more_than_it_holds_is_rejected_not_run() {
    let source =
        "bundle over on polygon {\n    input 1 WETH\n    swap 2 WETH for USDC on uniswap_v2\n}\n";
    for level in [OptLevel::O0, OptLevel::O] {
        assert_eq!(sound(source, level, &World::default_world()), Ok(false));
    }
}

#[test]
fn a_bundle_that_spends_what_it_holds_is_checked_and_sound() {
    let source =
        "bundle enough on polygon {\n    input 1 WETH\n    swap 1 WETH for USDC on uniswap_v2\n}\n";
    for level in [OptLevel::O0, OptLevel::O] {
        assert_eq!(sound(source, level, &World::default_world()), Ok(true));
    }
}
