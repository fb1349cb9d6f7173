//! The three examples on the default world, driven the way the
//! unoptimised lowering would (every action its own wallet transaction,
//! with an approval transaction before each action that spends) and the way
//! a batched executor lowering would (one transaction per same-chain run,
//! approvals granted once, a flash loan where borrow and repay share a
//! transaction). Their reports — gas, blocks, result — are snapshots: facts
//! that the optimiser's work builds on.

mod common;

use common::{examples, run, Lowering};
use mesh_runtime::report::Call;
use mesh_runtime::{Constraint, Constraints, World};
use std::collections::BTreeMap;

fn without_deadline(c: &Constraints) -> Constraints {
    Constraints {
        items: c
            .items
            .iter()
            .filter(|(k, _)| !matches!(k, Constraint::Deadline(_)))
            .cloned()
            .collect(),
    }
}

#[test]
fn every_example_commits_under_the_executor_lowering() {
    let world = World::default_world();
    for (name, stmts, constraints) in examples(&world) {
        let (report, after) = run(
            world.clone(),
            name,
            &stmts,
            &constraints,
            Lowering::Executor,
        );
        assert!(report.committed(), "{}", report.render_human());
        assert_ne!(after, world, "{name} changed the world");
        insta::assert_snapshot!(
            format!("{name}_executor"),
            format!("{}\n{}", report.render_human(), report.to_json())
        );
    }
}

/// At -O0 every approval is its own transaction and every transaction a
/// block (docs/language.md), so two of the examples take longer than their
/// deadline: 21 blocks for `polygon_arbitrum_arbitrage` (deadline 20), 7
/// for `simple_arbitrage` (deadline 5). Everything else about them commits.
#[test]
fn every_example_commits_unoptimised_but_two_miss_their_deadline() {
    let world = World::default_world();
    for (name, stmts, constraints) in examples(&world) {
        let (full, _) = run(
            world.clone(),
            name,
            &stmts,
            &constraints,
            Lowering::Unoptimised,
        );
        let (relaxed, _) = run(
            world.clone(),
            name,
            &stmts,
            &without_deadline(&constraints),
            Lowering::Unoptimised,
        );
        assert!(relaxed.committed(), "{}", relaxed.render_human());
        let misses = matches!(name, "polygon_arbitrum_arbitrage" | "simple_arbitrage");
        assert_eq!(full.committed(), !misses, "{}", full.render_human());
        if misses {
            let reason = &full.revert.as_ref().expect("reverted").reason;
            assert!(reason.starts_with("deadline:"), "{reason}");
        }
        insta::assert_snapshot!(
            format!("{name}_unoptimised"),
            format!(
                "{}\n{}\n\nwith the deadline:\n{}",
                relaxed.render_human(),
                relaxed.to_json(),
                full.to_json()
            )
        );
    }
}

/// The refinement contract on the examples: the executor lowering leaves
/// at least as much in every final holding, but for the premiums of the
/// flash loans it takes (an ordinary loan owes none), and uses less gas.
#[test]
fn the_executor_lowering_refines_the_unoptimised_one() {
    let world = World::default_world();
    for (name, stmts, constraints) in examples(&world) {
        let relaxed = without_deadline(&constraints);
        let (o0, _) = run(world.clone(), name, &stmts, &relaxed, Lowering::Unoptimised);
        let (o1, _) = run(
            world.clone(),
            name,
            &stmts,
            &constraints,
            Lowering::Executor,
        );
        let mut premiums: BTreeMap<(&str, &str), u128> = BTreeMap::new();
        for tx in &o1.transactions {
            for call in &tx.calls {
                if let Call::Repay {
                    flash: true,
                    token,
                    premium,
                    ..
                } = &call.what
                {
                    *premiums.entry((&tx.chain, token)).or_default() += premium.base;
                }
            }
        }
        for (chain, tokens) in &o0.result {
            for (token, amount) in tokens {
                let optimised = o1
                    .result
                    .get(chain)
                    .and_then(|t| t.get(token))
                    .map_or(0, |a| a.base);
                let premium = premiums.get(&(chain.as_str(), token.as_str())).copied();
                assert!(
                    optimised + premium.unwrap_or(0) >= amount.base,
                    "{name}: {chain} {token}"
                );
            }
        }
        assert!(o1.gas_total() < o0.gas_total(), "{name}");
        assert!(o1.blocks <= o0.blocks, "{name}");
    }
}
