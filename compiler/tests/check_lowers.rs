//! The checker and the lowering agree, as a property over random bundles:
//! every bundle `check` accepts, at either level, lowers at both levels and
//! passes the IR verifier after the lowering and after every pass of the
//! optimiser, without an internal error; at `-O0` it takes exactly the
//! blocks the checker's time model counts, and approves each chain, token
//! and spender once, before its first spend. The bundles are those of the
//! refinement property (`common/mod.rs`), whose statement groups spend
//! `all` of empty, zero and unknown-amount holdings, repay loans whole, in
//! parts and of nothing, and nest `on` blocks and `parallel` branches.
//! `MESH_CHECK_LOWERS_CASES` sets the number of cases (2,000 by default).

mod common;

use common::bundle;
use mesh_runtime::{GasSchedule, Registry};
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::Code;
use meshc::ir::{Op, Program, Spender, Term};
use meshc::pipeline::analyse;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::Config;
use std::collections::BTreeSet;

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
            let program = match analysis.lower_verified(bundle, lowered_at) {
                Ok(program) => program,
                Err(e) => {
                    return Err(format!(
                        "checked at {} but lowering at {} failed: {e}",
                        level.flag(),
                        lowered_at.flag()
                    ))
                }
            };
            if lowered_at == OptLevel::O0 {
                approvals_once(&program)?;
                let cost = meshc::ir::gas::cost(&program, &registry, &GasSchedule::default())
                    .map_err(|e| format!("no static gas at -O0: {e}"))?;
                if cost.blocks != bundle.blocks_o0 {
                    return Err(format!(
                        "the checker counts {} blocks at -O0, the lowering takes {}\n{program}",
                        bundle.blocks_o0, cost.blocks
                    ));
                }
            }
        }
    }
    Ok(true)
}

type Key = (String, String, Spender);

/// The `-O0` program approves each (chain, token, spender) at most once on
/// any path through it, before the first action that spends that token to
/// that spender, and never the native coin.
fn approvals_once(program: &Program) -> Result<(), String> {
    fn walk(term: &Term, program: &Program, granted: &mut BTreeSet<Key>) -> Result<(), String> {
        match term {
            Term::Gen(node) => match &node.op {
                Op::Approve {
                    chain,
                    token,
                    spender,
                } => {
                    if mesh_core::registry::is_native_coin(token) {
                        return Err(format!("{token} approved at {}", node.loc));
                    }
                    if !granted.insert((chain.clone(), token.clone(), spender.clone())) {
                        return Err(format!(
                            "{token} approved again for {spender} on {chain} at {}",
                            node.loc
                        ));
                    }
                }
                op => {
                    for key in meshc::opt::approvals::spend_keys(op, &program.wires) {
                        if !granted.contains(&key) {
                            return Err(format!(
                                "{} spent by {} on {} at {} before its approval",
                                key.1, key.2, key.0, node.loc
                            ));
                        }
                    }
                }
            },
            Term::Seq(terms) | Term::Tx { body: terms, .. } => {
                for t in terms {
                    walk(t, program, granted)?;
                }
            }
            Term::Tensor(branches) => {
                let before = granted.clone();
                for branch in branches {
                    let mut inside = before.clone();
                    walk(branch, program, &mut inside)?;
                    granted.extend(inside);
                }
            }
        }
        Ok(())
    }
    walk(&program.body, program, &mut BTreeSet::new()).map_err(|e| format!("{e}\n{program}"))
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
/// and the other way round, that repay loans in parts, and that move the
/// native coin.
#[test]
fn the_generated_bundles_reach_the_cases_that_matter() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = bundle();
    let (mut accepted, mut nothing, mut nested, mut loans, mut native) = (0, 0, 0, 0, 0);
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
        if flat.contains(" = wrap all ETH ") {
            native += 1;
        }
    }
    assert!(accepted >= 100, "only {accepted} of 400 check");
    assert!(nothing >= 20, "only {nothing} of {accepted} move nothing");
    assert!(nested >= 20, "only {nested} of {accepted} nest blocks");
    assert!(loans >= 20, "only {loans} of {accepted} repay in parts");
    assert!(native >= 20, "only {native} of {accepted} wrap ETH");
}

/// `all` of a token the bundle never held used to pass the checker and
/// be an internal error in `run`, `gas` and `build`.
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
