//! The exact optimum's trust and time rules on hand-computed bundles:
//! the deadline decides between routes, `min_security` admits a less
//! trusted one, a pinned transfer keeps its route, and `zk` is a route like
//! any other (docs/optimiser.md).

mod common;

use common::optimum::{approved_pull, base, call, o0, optimum, route, search_with};
use mesh_runtime::registry::RouteInfo;
use mesh_runtime::{BridgeKind, GasSchedule, Registry};
use meshc::ir::Constraint;
use meshc::search::Limits;

/// A world whose `zk` route from polygon to arbitrum is as trusted as
/// `htlb`, no dearer in fees and dearer in gas (a world file may price
/// routes apart): the `-O0` route (the most trusted, then the faster) is
/// `zk`, and `htlb` is admissible: less gas, more blocks.
fn trusted_zk() -> Registry {
    with_zk(|r| {
        r.security = 3;
        r.fee_bps = 5;
        r.gas = 100_000;
    })
}

/// The default registry with its `zk` route from polygon to arbitrum
/// changed by `edit`.
fn with_zk(edit: impl Fn(&mut RouteInfo)) -> Registry {
    let mut registry = Registry::default_registry();
    for r in &mut registry.routes {
        if r.from == "polygon" && r.to == "arbitrum" && r.kind == BridgeKind::Zk {
            edit(r);
        }
    }
    registry
}

#[test]
fn the_least_gas_that_meets_the_deadline_wins_and_else_the_least_gas() {
    let s = GasSchedule::default();
    let registry = trusted_zk();
    let source = "bundle send on polygon {
    input 100 USDC
    bridge 100 USDC to arbitrum
}
";
    let (program, pinned) = o0(source, &registry);
    let zk = registry
        .route("polygon", "arbitrum", BridgeKind::Zk)
        .map(|r| (r.gas, r.delay_blocks))
        .unwrap_or_default();
    let htlb = route(BridgeKind::Htlb);
    let with_deadline = |blocks: Option<u64>| {
        let mut p = program.clone();
        if let Some(b) = blocks {
            p.constraints = p.constraints.clone().deadline(b);
        }
        match search_with(&p, &pinned, &registry, &Limits::default()).result {
            Ok(o) => o,
            Err(why) => panic!("{why}"),
        }
    };
    let cheap = base(&s) + call(s.approve, true) + call(htlb.0 - approved_pull(&s), true);
    let fast = base(&s) + call(s.approve, true) + call(zk.0 - approved_pull(&s), true);
    // No deadline: the cheaper, slower route.
    let free = with_deadline(None);
    assert_eq!(
        (free.gas, free.blocks, free.meets_deadline),
        (cheap, 1 + htlb.1, true)
    );
    // A deadline only the faster route meets.
    let tight = with_deadline(Some(1 + zk.1));
    assert_eq!(
        (tight.gas, tight.blocks, tight.meets_deadline),
        (fast, 1 + zk.1, true)
    );
    // A deadline none meets: the least gas, reported as missing it.
    let missed = with_deadline(Some(1));
    assert_eq!(
        (missed.gas, missed.blocks, missed.meets_deadline),
        (cheap, 1 + htlb.1, false)
    );
}

#[test]
fn a_route_less_trusted_than_the_unoptimised_one_is_never_taken() {
    let source = "bundle send on polygon {
    input 100 USDC
    bridge 100 USDC to arbitrum
}
";
    let found = optimum(source);
    // The default registry's `threshold` route costs less gas, but trusts a signer
    // set; the `-O0` route is `htlb`.
    let text = found.program.to_string();
    assert!(text.contains("via htlb"), "{text}");
    assert!(!text.contains("threshold"), "{text}");
}

#[test]
fn min_security_lets_a_bridge_take_a_less_trusted_route() {
    let s = GasSchedule::default();
    let source = "bundle send on polygon {
    input 100 USDC
    bridge 100 USDC to arbitrum
} constraints { min_security: threshold }
";
    let found = optimum(source);
    let threshold = route(BridgeKind::Threshold);
    let expected = base(&s) + call(s.approve, true) + call(threshold.0 - approved_pull(&s), true);
    assert_eq!(
        (found.gas, found.blocks),
        (expected, 1 + threshold.1),
        "{}",
        found.program
    );
}

#[test]
fn a_pinned_transfer_and_an_unpinned_one_merge_on_the_pinned_route() {
    let s = GasSchedule::default();
    let source = "bundle keeps_the_pin on polygon {
    input 50 USDC
    input 30 USDC
    bridge 50 USDC to arbitrum via htlb
    bridge 30 USDC to arbitrum
} constraints { min_security: threshold }
";
    let found = optimum(source);
    // One htlb transfer of the sum costs less than the pinned htlb one and
    // a threshold one; the pinned funds never take threshold.
    let htlb = route(BridgeKind::Htlb);
    let expected = base(&s) + call(s.approve, true) + call(htlb.0 - approved_pull(&s), true);
    assert_eq!((found.gas, found.blocks), (expected, 1 + htlb.1));
    let text = found.program.to_string();
    assert!(!text.contains("via threshold"), "{text}");
}

/// A world whose `zk` route from polygon to arbitrum costs the least gas,
/// charges `htlb`'s fee and trusts a proof system (security 2).
fn cheap_zk() -> Registry {
    with_zk(|r| {
        r.gas = 20_000;
        r.fee_bps = 5;
    })
}

#[test]
fn zk_is_a_route_like_any_other() {
    let s = GasSchedule::default();
    let registry = cheap_zk();
    let zk = registry
        .route("polygon", "arbitrum", BridgeKind::Zk)
        .map(|r| (r.gas, r.delay_blocks))
        .unwrap_or_default();
    for (floor, expected_route) in [
        ("", BridgeKind::Htlb),
        (" constraints { min_security: zk }", BridgeKind::Zk),
        (" constraints { min_security: threshold }", BridgeKind::Zk),
    ] {
        let source =
            format!("bundle send on polygon {{\n    input 100 USDC\n    bridge 100 USDC to arbitrum\n}}{floor}\n");
        let (program, pinned) = o0(&source, &registry);
        let found = match search_with(&program, &pinned, &registry, &Limits::default()).result {
            Ok(o) => o,
            Err(why) => panic!("{why}"),
        };
        let gas = registry
            .route("polygon", "arbitrum", expected_route)
            .map_or(0, |r| r.gas);
        assert_eq!(
            found.gas,
            base(&s) + call(s.approve, true) + call(gas - approved_pull(&s), true),
            "{source}\n{}",
            found.program
        );
        assert!(
            found
                .program
                .to_string()
                .contains(&format!("via {expected_route}")),
            "{source}\n{}",
            found.program
        );
    }
    assert!(zk.0 < route(BridgeKind::Threshold).0);
}

#[test]
fn a_deadline_in_the_program_is_the_one_judged() {
    let registry = trusted_zk();
    let source = "bundle send on polygon {
    input 100 USDC
    bridge 100 USDC to arbitrum
} constraints { deadline: 3 }
";
    let (program, pinned) = o0(source, &registry);
    assert!(program
        .constraints
        .items
        .iter()
        .any(|(c, _)| *c == Constraint::Deadline(3)));
    let found = search_with(&program, &pinned, &registry, &Limits::default());
    assert_eq!(found.result.map(|o| o.blocks).ok(), Some(3));
}

/// Ten actions, six of them bridges that may take any of three routes
/// (`min_security: threshold`), some pinned, merged or shared: the
/// search's bound takes off what a pull may save under an approval of
/// its transaction, and the search still ends within its default budget.
#[test]
fn six_bridges_over_three_routes_are_searched_within_the_budget() {
    let source = "bundle generated on polygon {
on ethereum {
input 2044 USDC
input 3388 USDC
bridge 2044 USDC to arbitrum
bridge 3388 USDC to arbitrum
}
on ethereum {
on base {
input 1.28 ETH
let w4 = wrap all ETH
let e4 = unwrap w4
require e4 == 1.28 ETH
on polygon {
assume debt 5470 USDC at aave
input 5470 USDC
repay 5470 USDC to aave
}
}
on ethereum {
input 425 USDC
input 904 DAI
bridge 425 USDC to arbitrum via zk
let t7 = bridge 904 DAI to arbitrum via zk
require t7 >= 452 DAI
}
}
on ethereum {
input 707 USDC
bridge 707 USDC to arbitrum via zk
input 34 DAI
let u9 = swap 34 DAI for USDC on uniswap_v2
bridge u9 to arbitrum via zk
}
} constraints { min_security: threshold }
";
    let registry = Registry::default_registry();
    let (program, pinned) = o0(source, &registry);
    let outcome = search_with(&program, &pinned, &registry, &Limits::default());
    assert_eq!(outcome.searched.actions, 10);
    match outcome.result {
        Ok(found) => assert_eq!(found.gas, 452_081, "{}", found.program),
        Err(why) => panic!("not searched: {why}"),
    }
}
