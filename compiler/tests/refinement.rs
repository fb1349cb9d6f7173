//! Refinement, as a property over random well-typed bundles on random
//! worlds: whenever the `-O0` lowering commits, the optimised one commits
//! too and every final wallet balance is at least as large; whenever `-O0`
//! reverts for a reason other than the deadline or gas, the optimised one
//! reverts too, at the same line; and on every committed run, at either
//! level, the static gas and blocks are what the runtime metered. A
//! `min_profit` depends on gas, which each chain prices differently: the
//! result before gas is never smaller at `-O`, and where one level meets
//! the floor and the other does not, it is the gas, valued in the quote
//! token, that differs. It runs through the IR interpreter (the checker's
//! soundness on the same bundles is `soundness.rs`).
//! `MESH_REFINEMENT_CASES` sets the number of cases (10,000 by default;
//! `tests/long_refinement.sh` runs many more).

mod common;

use common::{bundle, lowered, perturbed, NativeUse, Segment};
use mesh_runtime::{GasSchedule, Registry, Session, World};
use meshc::interp;
use meshc::ir::{gas, Program};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;

/// Whether a committed run metered the gas and blocks the program's static
/// figures say.
fn metered_as_figured(level: &str, program: &Program, session: &Session) -> Result<(), String> {
    let cost = gas::cost(
        program,
        &Registry::default_registry(),
        &GasSchedule::default(),
    )
    .map_err(|e| format!("{level}: {e}"))?;
    if (session.gas_total(), session.blocks()) != (cost.total(), cost.blocks) {
        return Err(format!(
            "{level}: the runtime metered {} gas and {} blocks, the static figures are {} and {}",
            session.gas_total(),
            session.blocks(),
            cost.total(),
            cost.blocks
        ));
    }
    Ok(())
}

/// The refinement contract on one bundle and world; `Err` says how it broke.
pub fn refines(source: &str, world: &World) -> Result<bool, String> {
    let Some((o0, o)) = lowered(source) else {
        return Ok(false);
    };
    let (r0, s0) = interp::run(&o0, world.clone());
    let (r1, s1) = interp::run(&o, world.clone());
    if r0.committed() {
        metered_as_figured("-O0", &o0, &s0)?;
    }
    if r1.committed() {
        metered_as_figured("-O", &o, &s1)?;
    }
    let profit = |r: &mesh_runtime::Report| {
        r.revert
            .as_ref()
            .is_some_and(|v| v.reason.starts_with("min_profit:"))
    };
    if profit(&r0) || profit(&r1) {
        return profit_refines(&o0, &o, world, &r0, &r1);
    }
    if let Some(revert) = &r0.revert {
        let Some(optimised) = &r1.revert else {
            return Err(format!("-O0 reverted ({}) but -O committed", revert.reason));
        };
        if optimised.loc.line != revert.loc.line {
            return Err(format!(
                "-O0 reverted at line {} ({}) but -O at line {} ({})",
                revert.loc.line, revert.reason, optimised.loc.line, optimised.reason
            ));
        }
        return Ok(true);
    }
    if let Some(revert) = &r1.revert {
        return Err(format!("-O0 committed but -O reverted: {}", revert.reason));
    }
    for (chain, wallet) in &s0.world().wallets {
        for (token, before) in wallet {
            let after = s1
                .world()
                .wallets
                .get(chain)
                .and_then(|w| w.get(token))
                .copied()
                .unwrap_or(0);
            if after < *before {
                return Err(format!(
                    "{token} on {chain}: -O leaves {after}, less than -O0's {before}"
                ));
            }
        }
    }
    Ok(true)
}

/// Where `min_profit` decides at either level: both levels run again
/// without it. Their reverts and balances must then refine as usual, the
/// result before gas at `-O` is at least `-O0`'s, and a level that misses
/// the floor while the other meets it pays more gas in the quote token.
fn profit_refines(
    o0: &meshc::ir::Program,
    o: &meshc::ir::Program,
    world: &World,
    r0: &mesh_runtime::Report,
    r1: &mesh_runtime::Report,
) -> Result<bool, String> {
    let free = |p: &meshc::ir::Program| {
        let mut p = p.clone();
        p.constraints
            .items
            .retain(|(c, _)| !matches!(c, meshc::ir::Constraint::MinProfit { .. }));
        p
    };
    let (f0, f1) = (free(o0), free(o));
    let (n0, _) = interp::run(&f0, world.clone());
    let (n1, _) = interp::run(&f1, world.clone());
    let figures = |r: &mesh_runtime::Report| {
        r.net
            .as_ref()
            .and_then(|n| n.figures.as_ref().ok())
            .copied()
    };
    // A run without `min_profit` has no quote token: price it in USDC,
    // the generated floors' token.
    let priced = |r: &mesh_runtime::Report| {
        let mut r = r.clone();
        r.price_in(world, Some("USDC"));
        figures(&r)
    };
    match (&n0.revert, &n1.revert) {
        (Some(a), Some(b)) if a.loc.line == b.loc.line => return Ok(true),
        (Some(a), Some(b)) => {
            return Err(format!(
                "without min_profit, -O0 reverted at line {} ({}) but -O at line {} ({})",
                a.loc.line, a.reason, b.loc.line, b.reason
            ))
        }
        (Some(a), None) => {
            return Err(format!(
                "without min_profit, -O0 reverted ({}) but -O committed",
                a.reason
            ))
        }
        (None, Some(b)) => {
            return Err(format!(
                "without min_profit, -O0 committed but -O reverted: {}",
                b.reason
            ))
        }
        (None, None) => {}
    }
    let (Some(p0), Some(p1)) = (priced(&n0), priced(&n1)) else {
        return Err("the default world prices every token and chain".to_string());
    };
    if p1.value.base < p0.value.base {
        return Err(format!(
            "-O's result before gas, {} USDC, is less than -O0's, {} USDC",
            p1.value.display(),
            p0.value.display()
        ));
    }
    let (missed0, missed1) = (r0.revert.is_some(), r1.revert.is_some());
    if missed1 && !missed0 && p1.gas.base <= p0.gas.base {
        return Err(format!(
            "-O missed min_profit where -O0 met it, with no more gas ({} against {} USDC)",
            p1.gas, p0.gas
        ));
    }
    if missed0 && !missed1 && p1.value.base == p0.value.base && p0.gas.base <= p1.gas.base {
        return Err(format!(
            "-O met min_profit where -O0 missed it with the same result and no less gas ({} against {} USDC)",
            p1.gas, p0.gas
        ));
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
        let world = perturbed(seed);
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
