//! Refinement, as a property over random well-typed bundles on random
//! worlds: whenever the `-O0` lowering commits, the optimised one commits
//! too and every final wallet balance is at least as large (the amounts
//! compared on the world with no lender premium where the optimised one's
//! flash loans paid one, which `-O0`'s ordinary loans do not); whenever `-O0`
//! reverts for a reason other than the deadline or gas, or the collateral
//! of a loan `-O0` sends as an ordinary borrow and the optimised one takes
//! as a flash loan, the optimised one reverts too, at the same line; and on every committed run, at either
//! level, the static gas and blocks are what the runtime metered. A
//! `min_profit` depends on gas, which each chain prices differently: the
//! result before gas is never smaller at `-O`, and where one level meets
//! the floor and the other does not, it is the gas, valued in the quote
//! token, that differs. It runs through the IR interpreter (the checker's
//! soundness on the same bundles is `soundness.rs`).
//! `MESH_REFINEMENT_CASES` sets the number of cases (10,000 by default;
//! `tests/long_refinement.sh` runs many more).

mod common;

use common::refines::{metered_as_figured, refines_on};
use common::{bundle, lowered, random_world, NativeUse, Segment};
use mesh_runtime::World;
use meshc::interp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;

/// The refinement contract on one bundle and world; `Err` says how it broke.
pub fn refines(source: &str, world: &World) -> Result<bool, String> {
    let Some((o0, o)) = lowered(source) else {
        return Ok(false);
    };
    let ((r0, s0), (r1, s1)) = refines_on("-O", (&o0, &o), world)?;
    if r0.committed() {
        metered_as_figured("-O0", &o0, world, (&r0, &s0))?;
    }
    if r1.committed() {
        metered_as_figured("-O", &o, world, (&r1, &s1))?;
    }
    Ok(true)
}

fn cases() -> u32 {
    common::cases_or(10_000)
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases())
    })]

    #[test]
    fn optimised_bundles_refine_their_unoptimised_form(source in bundle(), seed in any::<u64>()) {
        let world = random_world(seed);
        match refines(&source, &world) {
            Ok(checked) => prop_assume!(checked),
            Err(why) => prop_assert!(false, "{why}\n{source}\nworld seed {seed}"),
        }
    }
}

#[test]
fn most_generated_bundles_are_well_typed() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = bundle();
    let (mut accepted, mut committed) = (0, 0);
    for _ in 0..200 {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        if let Some((o0, _)) = lowered(&tree.current()) {
            accepted += 1;
            if interp::run(&o0, World::default_world()).0.committed() {
                committed += 1;
            }
        }
    }
    assert!(
        accepted >= 100,
        "only {accepted} of 200 generated bundles check"
    );
    // Both outcomes are exercised: commits and reverts.
    assert!(
        committed >= 20,
        "only {committed} of {accepted} commit at -O0"
    );
    assert!(committed < accepted, "none of {accepted} reverts at -O0");
}

#[test]
fn the_optimised_level_commits_at_least_as_often_on_the_default_world() {
    let source = Segment::RoundTrip { amount: 100 }.source(0);
    let text = format!("bundle trip on polygon {{\n{source}}}\n");
    assert_eq!(refines(&text, &World::default_world()), Ok(true));
}

/// The optimiser sends the polygon steps together, before the arbitrum
/// one written between them; both the arbitrum `input` (line 4) and the
/// later polygon swap (line 6) fail. The run goes on past the first failure
/// it meets (line 6) and reports the one the bundle as written meets first.
#[test]
fn a_reverted_run_names_the_failure_first_in_the_source() {
    let source = "bundle two_failures on polygon {\n    input 1 USDC\n    on arbitrum {\n        input 1_000_000_000 USDC\n    }\n    swap 1 USDC for 1_000 WETH on uniswap_v2\n}\n";
    let Some((o0, o)) = lowered(source) else {
        panic!("the bundle checks");
    };
    let text = o.to_string();
    assert_eq!(text.matches("tx polygon").count(), 1, "{text}");
    for program in [&o0, &o] {
        let (report, _) = interp::run(program, World::default_world());
        let revert = report.revert.expect("reverted");
        assert_eq!(revert.loc.line, 4, "{}", revert.reason);
        assert!(
            report.transactions.is_empty(),
            "a reverted bundle sends nothing"
        );
    }
}

/// Ether wrapped and unwrapped whole is the identity: `-O` drops both
/// calls and still refines `-O0`; wrapped and partly swapped, or moved as
/// WETH, both stay.
#[test]
fn a_wrap_round_trip_is_cancelled_and_refines() {
    for use_ in [NativeUse::Trip, NativeUse::Swap, NativeUse::Move] {
        let source = Segment::Native {
            hundredths: 150,
            use_,
        }
        .source(0);
        let text = format!("bundle ether on polygon {{\n{source}}}\n");
        assert_eq!(refines(&text, &World::default_world()), Ok(true), "{text}");
        let Some((o0, o)) = lowered(&text) else {
            panic!("the bundle checks:\n{text}");
        };
        assert!(o0.to_string().contains("= wrap "), "{o0}");
        let optimised = o.to_string();
        let trip = matches!(use_, NativeUse::Trip);
        assert_eq!(optimised.contains("= wrap "), !trip, "{optimised}");
        if !matches!(use_, NativeUse::Move) {
            assert_eq!(optimised.contains("= unwrap "), !trip, "{optimised}");
        }
    }
}

/// Two swaps through other tokens, the first unbounded, fuse into one path
/// of four hops at `-O` (USDC back to USDC) and still refine `-O0`.
#[test]
fn paths_fuse_into_one_and_refine() {
    let source = Segment::Path {
        amount: 1_000,
        bound: 990,
    }
    .source(0);
    let text = format!("bundle path on polygon {{\n{source}}}\n");
    assert_eq!(refines(&text, &World::default_world()), Ok(true), "{text}");
    let Some((_, o)) = lowered(&text) else {
        panic!("the bundle checks:\n{text}");
    };
    let optimised = o.to_string();
    assert!(
        optimised.contains("[USDC -> USDT -> WETH -> DAI -> USDC]"),
        "{optimised}"
    );
}
