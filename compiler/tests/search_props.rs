//! The exact optimum (`meshc::search`) as properties over the random
//! bundles of the other property tests (`common::bundle`, up to 8
//! actions): every optimum is a verified program metered as reported; it
//! is never above `-O` where `-O` stays in the search's space; branch and
//! bound finds what plain enumeration finds, and the bound is below the
//! least completion at every node; the optimum's program refines `-O0` on
//! random worlds (commits where `-O0` commits, with every wallet balance
//! at least as large; reverts where `-O0` reverts, at the same line), and
//! its static gas and blocks are what the runtime meters.
//! `MESH_OPTIMUM_CASES` sets the number of cases of every property
//! (defaults: 2,000; 10,000 for refinement; 300 for enumeration and for
//! every order).

mod common;

use common::refines::{metered_as_figured, refines_on};
use common::{bundle, random_world, without_time_and_gas};
use mesh_runtime::{GasSchedule, Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::interp;
use meshc::ir::{gas, verify, Program, Wire};
use meshc::pipeline::analyse;
use meshc::search::{self, Inputs, Limits, SearchOutcome};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::collections::BTreeSet;

struct Case {
    o0: Program,
    o: Program,
    pinned: BTreeSet<Wire>,
}

/// `-O0` and `-O` of a bundle the checker accepts at `-O` (as `lowered`
/// does: whether `-O0`'s ordinary loans are carried by the collateral is
/// each world's), deadline and `max_gas` dropped.
fn case(source: &str) -> Option<Case> {
    let registry = Registry::default_registry();
    let analysis = analyse(source, &registry, &CheckOptions { level: OptLevel::O });
    if analysis.has_errors() {
        return None;
    }
    let bundle = analysis.checked.bundles.first()?;
    let lowered = analysis.lower_o0(bundle).ok()?;
    let o = match analysis.lower_verified(bundle, OptLevel::O) {
        Ok(p) => p,
        Err(e) => panic!("the optimiser failed on\n{source}\n{e}"),
    };
    Some(Case {
        o0: without_time_and_gas(lowered.program),
        o: without_time_and_gas(o),
        pinned: lowered.pinned,
    })
}

fn search(case: &Case, limits: &Limits) -> SearchOutcome {
    let registry = Registry::default_registry();
    let schedule = GasSchedule::default();
    let inputs = Inputs {
        registry: &registry,
        schedule: &schedule,
        pinned: &case.pinned,
    };
    match search::optimum(&case.o0, &inputs, limits) {
        Ok(o) => o,
        Err(e) => panic!("{e}\n{}", case.o0),
    }
}

fn total(program: &Program) -> u64 {
    match gas::cost(
        program,
        &Registry::default_registry(),
        &GasSchedule::default(),
    ) {
        Ok(c) => c.total(),
        Err(e) => panic!("{e}"),
    }
}

fn cases(default: u32) -> u32 {
    std::env::var("MESH_OPTIMUM_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The refinement contract between `-O0` and the optimum on one world.
fn refines(o0: &Program, optimum: &Program, world: &World) -> Result<(), String> {
    let (_, (r1, s1)) = refines_on("the optimum", (o0, optimum), world)?;
    if r1.committed() {
        metered_as_figured("the optimum", optimum, world, (&r1, &s1))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases(2_000))
    })]

    #[test]
    fn the_optimum_is_verified_and_never_above_o(source in bundle()) {
        let Some(case) = case(&source) else { return Err(TestCaseError::reject("rejected")) };
        let outcome = search(&case, &Limits::default());
        prop_assume!(outcome.searched.actions <= search::DEFAULT_MAX_ACTIONS);
        let found = match outcome.result {
            Ok(f) => f,
            // The search may give up on its work budget (a bundle of ten
            // actions with two flash loans and four bridges was one); the
            // optimum benchmark counts such bundles. Nothing to judge here.
            Err(search::NotSearched::Budget { .. }) => {
                return Err(TestCaseError::reject("not searched to the end"))
            }
            Err(why) => panic!("not searched: {why}\n{source}"),
        };
        prop_assert!(verify(&found.program).is_ok(), "{source}\n{}", found.program);
        prop_assert_eq!(total(&found.program), found.gas);
        prop_assert!(found.gas <= total(&case.o0), "{source}");
        // Every program -O makes lies in the optimum's space.
        let o = total(&case.o);
        prop_assert!(
            found.gas <= o,
            "the optimum {} is above -O {o}\n{source}\n{}\n{}",
            found.gas,
            case.o,
            found.program
        );
    }
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases(10_000))
    })]

    #[test]
    fn the_optimum_refines_o0_on_random_worlds(source in bundle(), seed in any::<u64>()) {
        let Some(case) = case(&source) else { return Err(TestCaseError::reject("rejected")) };
        let outcome = search(&case, &Limits::default());
        let Ok(found) = outcome.result else { return Err(TestCaseError::reject("not searched")) };
        let world = random_world(seed);
        if let Err(why) = refines(&case.o0, &found.program, &world) {
            prop_assert!(false, "{why}\n{source}\nworld seed {seed}\n{}", found.program);
        }
    }
}

proptest! {
    #![proptest_config(Config {
        max_global_rejects: 1_000_000,
        ..Config::with_cases(cases(300))
    })]

    /// Without pruning every schedule is enumerated; the bounds are checked
    /// at every node against the least gas below it (bundles of up to 8
    /// actions whose enumeration fits in the search's budget).
    #[test]
    fn branch_and_bound_finds_what_enumeration_finds(source in bundle()) {
        let Some(case) = case(&source) else { return Err(TestCaseError::reject("rejected")) };
        let pruned = search(&case, &Limits::default());
        prop_assume!(pruned.searched.actions <= 8);
        let plain = search(&case, &Limits { pruning: false, ..Limits::default() });
        // Plain enumeration of some bundles of 7 or 8 actions is more than
        // the budget allows: such a case says nothing.
        prop_assume!(plain.result.is_ok());
        let key = |o: &SearchOutcome| o.result.as_ref().ok().map(|f| (f.gas, f.blocks));
        prop_assert_eq!(key(&pruned), key(&plain), "{}", source);
        prop_assert!(plain.searched.bound_checks > 0);
        prop_assert_eq!(plain.searched.bound_violations, 0, "{}", source);
        prop_assert!(plain.searched.candidates >= pruned.searched.candidates);
    }

    /// Every order of every transaction's actions, each program the laws
    /// reach kept as it is, finds what the reduced orders find (up to 8
    /// actions, where every order fits in the search's budget).
    #[test]
    fn reduced_orders_find_what_every_order_finds(source in bundle()) {
        let Some(case) = case(&source) else { return Err(TestCaseError::reject("rejected")) };
        let reduced = search(&case, &Limits::default());
        prop_assume!(reduced.searched.actions <= 8);
        let every = search(&case, &Limits { reduce_orders: false, ..Limits::default() });
        // Every order of six transfers of one token is more than the
        // budget allows: such a case says nothing.
        prop_assume!(every.result.is_ok());
        let key = |o: &SearchOutcome| o.result.as_ref().ok().map(|f| (f.gas, f.blocks));
        prop_assert_eq!(key(&reduced), key(&every), "{}", source);
        prop_assert!(every.searched.outcomes >= reduced.searched.outcomes);
    }
}

#[test]
fn the_optimum_commits_where_o0_commits_on_the_default_world() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = bundle();
    let (mut searched, mut committed, mut drawn) = (0, 0, 0);
    // Bundles are drawn until 200 were searched: many have more actions
    // than the search's limit.
    while searched < 200 && drawn < 2_000 {
        drawn += 1;
        let Ok(tree) = proptest::strategy::Strategy::new_tree(&strategy, &mut runner) else {
            continue;
        };
        let source = proptest::strategy::ValueTree::current(&tree);
        let Some(case) = case(&source) else { continue };
        let Ok(found) = search(&case, &Limits::default()).result else {
            continue;
        };
        searched += 1;
        if interp::run(&case.o0, World::default_world()).0.committed() {
            committed += 1;
        }
        if let Err(why) = refines(&case.o0, &found.program, &World::default_world()) {
            panic!("{why}\n{source}\n{}", found.program);
        }
    }
    assert!(searched >= 200, "only {searched} of {drawn} searched");
    assert!(committed >= 20, "only {committed} of {searched} commit");
}
