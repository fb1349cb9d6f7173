//! The two engines agree: on every example and on random well-typed
//! bundles (the generators of `common`) on random worlds, the model engine
//! and the EVM engine — the bundle's plan run on the real contracts'
//! bytecode — commit or revert alike, revert at the same line, and leave
//! the wallet exactly the same amounts.
//!
//! The premium is the same on both: a flash loan owes Aave's premium,
//! rounded half up once per loan, and an ordinary loan owes none. Bundles
//! that use a model-only lender (`compound`) have no plan and are counted
//! apart.
//!
//! A fixed seed: the same bundles and worlds on every run.
//! `MESH_AGREEMENT_BUNDLES` sets how many random bundles are compared
//! (1,000 by default).

mod common;

use common::engines::for_each_random_case;
use common::{example_paths, lowered, perturbed};
use mesh_evm::deploy::Holder;
use mesh_evm::EvmEngine;
use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::evm::{self, with_collateral};
use meshc::ir::Program;
use meshc::pipeline::analyse;
use std::collections::BTreeMap;

/// How a comparison ended.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Both committed with the same wallet.
    Committed,
    /// Both reverted at the same line.
    Reverted,
    /// No plan: a model-only lender (the native coin goes to no protocol:
    /// the checker refuses it, E0411, and the bundle wraps it instead).
    NoPlan,
}

/// The wallet of a world: (chain, token) → amount, zeros left out.
fn wallet(world: &World) -> BTreeMap<(String, String), u128> {
    let mut out = BTreeMap::new();
    for (chain, tokens) in &world.wallets {
        for (token, amount) in tokens {
            if *amount > 0 {
                out.insert((chain.clone(), token.clone()), *amount);
            }
        }
    }
    out
}

/// Runs `program` on both engines and compares them.
fn agree(
    program: &Program,
    world: &World,
    engine: &mut EvmEngine,
    level: OptLevel,
) -> Result<Verdict, String> {
    let outcome = match evm::run_on(engine, program, world, level) {
        Ok(o) => o,
        Err(e) if e.message.contains("model-only") => return Ok(Verdict::NoPlan),
        Err(e) => return Err(format!("no plan: {e}")),
    };
    let model = &outcome.planned.model;
    let run = &outcome.run;
    match (&model.revert, &run.revert) {
        (Some(m), Some(e)) if m.loc.line == e.loc.line => Ok(Verdict::Reverted),
        (Some(m), Some(e)) => Err(format!(
            "the model reverts at line {} ({}), the EVM at line {} ({})",
            m.loc.line, m.reason, e.loc.line, e.reason
        )),
        (Some(m), None) => Err(format!(
            "the model reverts at line {} ({}), the EVM commits",
            m.loc.line, m.reason
        )),
        (None, Some(e)) => Err(format!(
            "the model commits, the EVM reverts at line {} ({})",
            e.loc.line, e.reason
        )),
        (None, None) => {
            let expected = wallet(outcome.planned.session.world());
            let got = run.world.as_ref().map(wallet).unwrap_or_default();
            if got != expected {
                let mut diff = Vec::new();
                for key in expected.keys().chain(got.keys()) {
                    let (m, e) = (expected.get(key), got.get(key));
                    if m != e {
                        diff.push(format!("{key:?}: model {m:?}, EVM {e:?}"));
                    }
                }
                diff.dedup();
                return Err(format!("the wallets differ: {}", diff.join("; ")));
            }
            Ok(Verdict::Committed)
        }
    }
}

fn engines(world: &World) -> (EvmEngine, EvmEngine) {
    let o0 = EvmEngine::new(world, Holder::Wallet).unwrap_or_else(|e| panic!("{e}"));
    let o = EvmEngine::new(world, Holder::Executor).unwrap_or_else(|e| panic!("{e}"));
    (o0, o)
}

/// Every example at both levels on `world`: what each engine made of it.
fn example_verdicts(world: &World) -> Vec<String> {
    let (mut wallet_engine, mut executor_engine) = engines(world);
    let mut verdicts = Vec::new();
    for path in example_paths() {
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Checked once (at -O: an -O0 deadline the bundle misses is the
        // engines' to judge, alike), lowered at both levels.
        let mut registry = Registry::default_registry();
        let analysis = analyse(&source, &registry, &CheckOptions { level: OptLevel::O });
        analysis.declare_tokens(&mut registry);
        let mut world = world.clone();
        world.registry = registry;
        let Some(bundle) = analysis.checked.bundles.first() else {
            continue;
        };
        assert!(!analysis.has_errors(), "{name} is rejected");
        for level in [OptLevel::O0, OptLevel::O] {
            let program = analysis
                .lower_verified(bundle, level)
                .unwrap_or_else(|e| panic!("{e}"));
            let engine = match level {
                OptLevel::O0 => &mut wallet_engine,
                OptLevel::O => &mut executor_engine,
            };
            let verdict = agree(&program, &world, engine, level);
            verdicts.push(format!("{name} {}: {verdict:?}", level.flag()));
        }
    }
    verdicts
}

/// The examples on the default world, and on it with more collateral at
/// aave (so that the ordinary loans of `-O0` forms commit too).
#[test]
fn the_engines_agree_on_every_example() {
    let plain = example_verdicts(&World::default_world());
    let collateral = example_verdicts(&with_collateral(World::default_world()));
    insta::assert_snapshot!(format!(
        "default world:\n{}\n\nwith collateral at aave:\n{}",
        plain.join("\n"),
        collateral.join("\n")
    ));
}

fn bundles_wanted() -> usize {
    std::env::var("MESH_AGREEMENT_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

#[test]
fn the_engines_agree_on_random_bundles_on_random_worlds() {
    let wanted = bundles_wanted();
    let mut compared = 0usize;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut disagreements = Vec::new();
    for_each_random_case(wanted, |case, engines| {
        let mut planned = true;
        for (level, program) in [(OptLevel::O0, case.o0), (OptLevel::O, case.o)] {
            let engine = match level {
                OptLevel::O0 => &mut engines.wallet,
                OptLevel::O => &mut engines.executor,
            };
            match agree(program, case.world, engine, level) {
                Ok(Verdict::NoPlan) => planned = false,
                Ok(v) => *counts.entry(format!("{} {v:?}", level.flag())).or_insert(0) += 1,
                Err(why) => disagreements.push(format!(
                    "{} on world seed {}: {why}\n{}",
                    level.flag(),
                    case.seed,
                    case.source
                )),
            }
        }
        if planned {
            compared += 1;
        } else {
            *counts
                .entry("no plan (a model-only lender)".to_string())
                .or_insert(0) += 1;
        }
        planned
    });
    eprintln!("agreement: {compared} bundles compared at both levels; {counts:?}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements; the first:\n{}",
        disagreements.len(),
        disagreements.first().cloned().unwrap_or_default()
    );
    assert!(
        compared >= wanted,
        "only {compared} bundles could be compared"
    );
}

/// The disagreements the random comparison found, each fixed, kept with
/// the world it was found on.
const FOUND: &[(&str, u64, &str)] = &[
    // A deposit of nothing: Aave refuses an amount of zero, so the plan
    // sends no call for an action that moves nothing.
    (
        "an action that moves nothing sends no call",
        0x5eed_0000,
        "bundle generated on polygon {\non optimism {\ndeposit all WETH into aave\non base {\ninput 2239 USDC\nswap 2239 USDC for WETH on uniswap_v2\n}\n}\n}\n",
    ),
    // A flash loan repaid in two parts: what the first part leaves is
    // still the flash loan's, repaid by the pool's pull.
    (
        "a flash loan repaid in parts is pulled whole",
        0x5eed_0000,
        "bundle generated on polygon {\non ethereum {\ninput 0.03 WETH\nlet l2 = borrow 39 WETH from aave\nrepay l2 / 3 to aave\nrepay l2 - l2 / 3 to aave\nborrow 0 WETH from aave\nrepay 0 WETH to aave\n}\n}\n",
    ),
    // A swap inside a flash loan fails its bound: the loan then cannot be
    // repaid, which, as in the model, is no failure of its own.
    (
        "a failed call inside a flash loan is the failure",
        0x5eed_0007,
        "bundle generated on polygon {\non ethereum {\nborrow 3533 USDC from aave\nswap 3533 USDC for WETH on uniswap_v2\ninput 4 USDC\nswap all WETH for 12830 USDC on sushiswap\nrepay 3533 USDC to aave\n}\n}\n",
    ),
    // An ordinary loan repaid where the user already owes that token (the
    // default world's debt of USDC at aave on ethereum): neither Aave nor
    // the model charges an ordinary loan a premium, so the call repays the
    // principal — sending a premium too would pay it off the user's debt.
    (
        "an ordinary loan's repayment pays nothing off the user's debt",
        0x5eed_0000,
        "bundle generated on ethereum {\ninput 1 USDC\nborrow 1000 USDC from aave\nrepay 1000 USDC to aave\n}\n",
    ),
    // A loan left open as debt and part of it repaid, beside an ordinary
    // loan of the same token repaid in full: the debt moved on purpose is
    // not the ordinary loan's.
    (
        "a loan left as debt is not an unpaid ordinary loan",
        0x5eed_0000,
        "bundle generated on polygon {\ninput 1 WETH\ndeposit all WETH into aave\nlet d = borrow 500 USDC from aave as debt\nlet l = borrow 1000 USDC from aave\nrepay l to aave\nrepay d / 2 to aave\n}\n",
    ),
    // A flash loan of 3,100 base units repaid in two parts: Aave pulls its
    // premium once, 1.55 rounded half up to 2 — rounding each part's
    // premium up, as the model once did, charged 1 + 2.
    (
        "a flash loan repaid in parts pays Aave's premium once, half up",
        0x5eed_0000,
        "bundle generated on polygon {\ninput 1 USDC\nlet l = borrow 0.0031 USDC from aave\nrepay l / 3 to aave\nrepay l - l / 3 to aave\n}\n",
    ),
];

#[test]
fn the_disagreements_found_stay_fixed() {
    for (what, seed, source) in FOUND {
        let world = with_collateral(perturbed(*seed));
        let (mut wallet_engine, mut executor_engine) = engines(&world);
        let Some((o0, o)) = lowered(source) else {
            panic!("{what}: the bundle does not check");
        };
        let a = agree(&o0, &world, &mut wallet_engine, OptLevel::O0);
        let b = agree(&o, &world, &mut executor_engine, OptLevel::O);
        assert!(
            matches!(a, Ok(Verdict::Committed | Verdict::Reverted))
                && matches!(b, Ok(Verdict::Committed | Verdict::Reverted)),
            "{what}: -O0 {a:?}, -O {b:?}"
        );
    }
}
