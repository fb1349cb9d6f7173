//! Refinement, as a property over random well-typed bundles on random
//! worlds: whenever the `-O0` lowering commits, the optimised one commits
//! too and every final wallet balance is at least as large; whenever `-O0`
//! reverts for a reason other than the deadline or gas, the optimised one
//! reverts too. Soundness of the checker on the same bundles: a well-typed
//! bundle never reverts for lack of a holding. Both run through the IR
//! interpreter. `MESH_REFINEMENT_CASES` sets the number of cases (10,000 by
//! default; `tests/long_refinement.sh` runs many more).

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::driver::analyse;
use meshc::interp;
use meshc::ir::{Constraint, Program};
use meshc::lower::{self, Input};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;

/// One statement group of a generated bundle, on the home chain `polygon`.
#[derive(Clone, Debug)]
enum Segment {
    /// A loan from aave repaid in the same run: a flash loan at `-O`.
    FlashArbitrage { loan: u32, bound: u32 },
    /// Two swaps on one exchange, the first unbounded: fused at `-O`.
    SwapChain { amount: u32, bound: u32 },
    /// A bridge to arbitrum and straight back: cancelled at `-O`.
    RoundTrip { amount: u32 },
    /// A bridge, then a bounded swap and a `require` on arbitrum.
    CrossChain { amount: u32, bound: u32, check: u32 },
    /// Two independent branches on two chains.
    Parallel { usdc: u32, dai: u32 },
    /// An ordinary loan from compound (no flash loans there).
    Leverage { amount: u32 },
    /// Funds moved from compound to aave.
    Migration { amount: u32 },
}

impl Segment {
    fn source(&self, i: usize) -> String {
        match self {
            Segment::FlashArbitrage { loan, bound } => format!(
                "borrow {loan} USDC from aave\n\
                 swap {loan} USDC for WETH on uniswap_v2\n\
                 input {premium} USDC\n\
                 swap all WETH for {bound} USDC on sushiswap\n\
                 repay {loan} USDC to aave\n",
                premium = loan / 1000 + 1
            ),
            Segment::SwapChain { amount, bound } => format!(
                "input {amount} USDC\n\
                 swap all USDC for WETH on uniswap_v2\n\
                 let dai{i} = swap all WETH for {bound} DAI on uniswap_v2\n\
                 require dai{i} >= {bound} DAI\n"
            ),
            Segment::RoundTrip { amount } => format!(
                "input {amount} USDT\n\
                 bridge all USDT to arbitrum\n\
                 on arbitrum {{ bridge all USDT to polygon }}\n"
            ),
            Segment::CrossChain {
                amount,
                bound,
                check,
            } => format!(
                "input {amount} DAI\n\
                 let d{i} = bridge all DAI to arbitrum\n\
                 on arbitrum {{\n\
                     let w{i} = swap d{i} for 0.{bound:04} WETH on sushiswap\n\
                     require w{i} >= 0.{check:04} WETH\n\
                 }}\n"
            ),
            Segment::Parallel { usdc, dai } => format!(
                "parallel {{ on optimism {{ input {usdc} USDC\n swap all USDC for WETH on uniswap_v2 }} }}\n\
                 and {{ on base {{ input {dai} DAI\n deposit all DAI into aave }} }}\n"
            ),
            Segment::Leverage { amount } => format!(
                "borrow {amount} WBTC from compound\n\
                 deposit {amount} WBTC into aave\n\
                 withdraw {amount} WBTC from aave\n\
                 repay {amount} WBTC to compound\n"
            ),
            Segment::Migration { amount } => format!(
                "withdraw {amount} USDC from compound\n\
                 deposit all USDC into aave\n"
            ),
        }
    }
}

fn segment() -> impl Strategy<Value = Segment> {
    prop_oneof![
        (1u32..20_000, 1u32..25_000)
            .prop_map(|(loan, bound)| Segment::FlashArbitrage { loan, bound }),
        (1u32..5_000, 0u32..6_000).prop_map(|(amount, bound)| Segment::SwapChain { amount, bound }),
        (1u32..5_000).prop_map(|amount| Segment::RoundTrip { amount }),
        (1u32..5_000, 0u32..9_999, 0u32..9_999).prop_map(|(amount, bound, check)| {
            Segment::CrossChain {
                amount,
                bound,
                check,
            }
        }),
        (1u32..5_000, 1u32..5_000).prop_map(|(usdc, dai)| Segment::Parallel { usdc, dai }),
        (1u32..50).prop_map(|amount| Segment::Leverage { amount }),
        (1u32..80_000).prop_map(|amount| Segment::Migration { amount }),
    ]
}

/// A bundle of one to four segments, without deadline (the contract
/// excludes deadline reverts) and with a `min_balance` now and then.
fn bundle() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(segment(), 1..=4),
        prop::option::of(0u32..100),
    )
        .prop_map(|(segments, min)| {
            let mut text = String::from("bundle generated on polygon {\n");
            for (i, s) in segments.iter().enumerate() {
                text.push_str(&s.source(i));
            }
            text.push('}');
            if let Some(m) = min {
                text.push_str(&format!(" constraints {{ min_balance: {m} USDC }}"));
            }
            text.push('\n');
            text
        })
}

/// The default world with every reserve, liquidity, deposit and wallet
/// balance scaled by a factor drawn from `seed` (between 0% and 300%;
/// reserves stay positive).
fn perturbed(seed: u64) -> World {
    let mut world = World::builtin();
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % 301
    };
    let mut scale = |v: &mut u128, floor: u128| {
        let f = u128::from(next());
        *v = (v.saturating_mul(f) / 100).max(floor);
    };
    for exchanges in world.exchanges.values_mut() {
        for exchange in exchanges.values_mut() {
            for pair in exchange.pairs.values_mut() {
                scale(&mut pair.reserve0, 1);
                scale(&mut pair.reserve1, 1);
            }
        }
    }
    for lenders in world.lenders.values_mut() {
        for lender in lenders.values_mut() {
            lender.liquidity.values_mut().for_each(|v| scale(v, 0));
            lender.deposits.values_mut().for_each(|v| scale(v, 0));
        }
    }
    for wallet in world.wallets.values_mut() {
        wallet.values_mut().for_each(|v| scale(v, 0));
    }
    world
}

fn without_time_and_gas(mut program: Program) -> Program {
    program
        .constraints
        .items
        .retain(|(c, _)| !matches!(c, Constraint::Deadline(_) | Constraint::MaxGas(_)));
    program
}

/// Both levels of every bundle the checker accepts at `-O0`.
fn lowered(source: &str) -> Option<(Program, Program)> {
    let registry = Registry::builtin();
    let analysis = analyse(
        source,
        &registry,
        &CheckOptions {
            level: OptLevel::O0,
        },
    );
    if analysis.has_errors() {
        return None;
    }
    let bundle = analysis.checked.bundles.first()?;
    let input = Input {
        source,
        ast: lower::find_ast(&analysis.parsed.file, bundle),
        registry: &analysis.checked.registry,
    };
    let o0 = lower::lower_verified(bundle, &input, OptLevel::O0).ok()?;
    let o = match lower::lower_verified(bundle, &input, OptLevel::O) {
        Ok(p) => p,
        Err(e) => panic!("the optimiser failed on\n{source}\n{e}"),
    };
    Some((without_time_and_gas(o0), without_time_and_gas(o)))
}

/// The refinement contract on one bundle and world; `Err` says how it broke.
pub fn refines(source: &str, world: &World) -> Result<bool, String> {
    let Some((o0, o)) = lowered(source) else {
        return Ok(false);
    };
    let (r0, s0) = interp::run(&o0, world.clone());
    let (r1, s1) = interp::run(&o, world.clone());
    if let Some(revert) = &r0.revert {
        if revert.reason.starts_with("insufficient holding") {
            return Err(format!(
                "well-typed but short of funds at -O0: {}",
                revert.reason
            ));
        }
        if r1.committed() {
            return Err(format!("-O0 reverted ({}) but -O committed", revert.reason));
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

fn cases() -> u32 {
    std::env::var("MESH_REFINEMENT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
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
            if interp::run(&o0, World::builtin()).0.committed() {
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
    assert_eq!(refines(&text, &World::builtin()), Ok(true));
}
