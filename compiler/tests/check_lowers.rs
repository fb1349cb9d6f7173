//! The checker and the lowering agree, as a property over random bundles:
//! every bundle `check` accepts, at either level, lowers at both levels and
//! passes the IR verifier after the lowering and after every pass of the
//! optimiser, without an internal error. The bundles are those of the
//! refinement property (`common/mod.rs`), whose statement groups spend
//! `all` of empty, zero and unknown-amount holdings, repay loans whole, in
//! parts and of nothing, and nest `on` blocks and `parallel` branches.
//! `MESH_CHECK_LOWERS_CASES` sets the number of cases (2,000 by default).

mod common;

use common::bundle;
use mesh_runtime::Registry;
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::Code;
use meshc::pipeline::analyse;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;

/// `Ok(true)` when `source` checks at `level` and lowers at both levels;
/// `Ok(false)` when the checker rejects it; `Err` with the internal error.
fn lowers(source: &str, level: OptLevel) -> Result<bool, String> {
    let registry = Registry::default_registry();
    let analysis = analyse(source, &registry, &CheckOptions { level });
    if analysis.has_errors() {
        return Ok(false);
    }
    for bundle in &analysis.checked.bundles {
        for lowered_at in [OptLevel::O0, OptLevel::O] {
            if let Err(e) = analysis.lower_verified(bundle, lowered_at) {
                return Err(format!(
                    "checked at {} but lowering at {} failed: {e}",
                    level.flag(),
                    lowered_at.flag()
                ));
            }
        }
    }
    Ok(true)
}

fn cases() -> u32 {
    std::env::var("MESH_CHECK_LOWERS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases())
    })]

    #[test]
    fn every_checked_bundle_lowers(source in bundle()) {
        let mut checked = false;
        for level in [OptLevel::O0, OptLevel::O] {
            match lowers(&source, level) {
                Ok(c) => checked |= c,
                Err(why) => prop_assert!(false, "{why}\n{source}"),
            }
        }
        prop_assume!(checked);
    }
}

/// The generator reaches what the property is about: accepted bundles that
/// spend holdings that are zero (W0005), that nest `parallel` inside `on`
/// and the other way round, and that repay loans in parts.
#[test]
fn the_generated_bundles_reach_the_cases_that_matter() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = bundle();
    let (mut accepted, mut nothing, mut nested, mut loans) = (0, 0, 0, 0);
    for _ in 0..400 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let source = tree.current();
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        if analysis.has_errors() {
            continue;
        }
        accepted += 1;
        if analysis
            .diagnostics
            .iter()
            .any(|d| d.code == Code::MovesNothing)
        {
            nothing += 1;
        }
        let flat: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
        if flat.contains("parallel { on") && flat.matches(" on ").count() > 2 {
            nested += 1;
        }
        if flat.contains("repay l") {
            loans += 1;
        }
    }
    assert!(accepted >= 100, "only {accepted} of 400 check");
    assert!(nothing >= 20, "only {nothing} of {accepted} move nothing");
    assert!(nested >= 20, "only {nested} of {accepted} nest blocks");
    assert!(loans >= 20, "only {loans} of {accepted} repay in parts");
}

/// Issue 14's crash: `all` of a token the bundle never held passed the
/// checker and was an internal error in `run`, `gas` and `build`.
#[test]
fn spending_all_of_a_holding_never_held_lowers() {
    for source in [
        "bundle b on polygon {\n    deposit all WETH into aave\n}\n",
        "bundle b on polygon {\n    input 1 WETH\n    deposit all WETH into aave\n    deposit all WETH into compound\n    bridge 0 WETH to arbitrum\n}\n",
        "bundle b on polygon {\n    let x = withdraw 5 WETH from compound\n    deposit x into aave\n    deposit 0 WETH into compound\n}\n",
        "bundle b on polygon {\n    borrow 0 USDC from compound\n    repay 0 USDC to compound\n}\n",
    ] {
        assert_eq!(lowers(source, OptLevel::O0), Ok(true), "{source}");
        assert_eq!(lowers(source, OptLevel::O), Ok(true), "{source}");
    }
}
