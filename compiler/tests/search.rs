//! The exact optimum (`meshc::search`) on hand-written bundles whose
//! optimum is computed by hand from the gas schedule (docs/gas.md), each
//! shown beside its program: one case per law (multi-asset flash loans and
//! fusion across forks included), the limit, and equivalent forms of one
//! bundle reaching one optimum. The trust and deadline rules are
//! `search_routes.rs`'s.

mod common;

use common::optimum::{
    approved_pull, base, call, every_order_gas, o0, optimum, route, search_with,
};
use mesh_runtime::gas::TokenContract;
use mesh_runtime::{BridgeKind, GasSchedule, Registry};
use meshc::check::CheckOptions;
use meshc::pipeline::analyse;
use meshc::search::{self, Limits, NotSearched, Optimum};

fn show(source: &str, found: &Optimum) -> String {
    format!("{source}\n---\n{}", found.program)
}

#[test]
fn a_deposit_and_the_withdrawal_of_its_amount_cancel_and_no_transaction_is_sent() {
    let source = "bundle d on base {
    input 500 USDC
    deposit 500 USDC into aave
    withdraw 500 USDC from aave
}
";
    let found = optimum(source);
    assert_eq!((found.gas, found.blocks), (0, 0));
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn deposits_of_one_token_into_one_lender_become_one() {
    let s = GasSchedule::default();
    let source = "bundle four on base {
    input 400 USDC
    deposit 100 USDC into aave
    deposit 100 USDC into aave
    deposit 100 USDC into aave
    deposit 100 USDC into aave
}
";
    let found = optimum(source);
    // One transaction: the grant (USDC cold) and one deposit (the pool
    // cold), its pull right after the grant; with no world given, the
    // position is empty and the deposit is its first.
    let deposit = s.deposit - approved_pull(&s) + s.deposit_first_of_position;
    let expected = base(&s) + call(s.approve, true) + call(deposit, true);
    assert_eq!(expected, 211_377);
    assert_eq!((found.gas, found.blocks), (expected, 1));
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn two_swaps_on_one_exchange_fuse() {
    let s = GasSchedule::default();
    let source = "bundle chain on polygon {
    input 100 USDC
    swap all USDC for WETH on uniswap_v2
    swap all WETH for 90 DAI on uniswap_v2
}
";
    let found = optimum(source);
    // One transfer into the first pair, then each pair's swap with its
    // oracle update; no approval for a direct swap.
    let hop = call(s.pair_swap + s.pair_oracle_update, true);
    let expected = base(&s) + call(s.token_transfer, true) + 2 * hop;
    // Every token is a MintableERC20 on polygon.
    assert_eq!(expected, 146_427);
    assert_eq!((found.gas, found.blocks), (expected, 1));
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn a_bounded_first_swap_does_not_fuse() {
    let s = GasSchedule::default();
    let source = "bundle bounded on polygon {
    input 100 USDC
    swap all USDC for 0.01 WETH on uniswap_v2
    swap all WETH for 90 DAI on uniswap_v2
}
";
    let found = optimum(source);
    let hop = call(s.pair_swap + s.pair_oracle_update, true);
    // The second transfer's WETH is warm: the first pair sent it.
    let expected =
        base(&s) + call(s.token_transfer, true) + call(s.token_transfer, false) + 2 * hop;
    assert_eq!((found.gas, found.blocks), (expected, 1));
}

#[test]
fn a_loan_repaid_in_its_transaction_is_a_flash_loan() {
    let s = GasSchedule::default();
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/simple_arbitrage.mesh"),
    )
    .unwrap_or_default();
    let found = optimum(&source);
    // The flash loan (its repayment inside it, under the grant), two direct
    // swaps on two exchanges, each transfer's token warm (the loan paid it
    // out, the first pair sent it) and the second pair's output too; the
    // five calls are the loan's callback's.
    let expected = base(&s) + call(s.flash_loan, true) + loop_back(&s) + 5 * s.flash_callback_call;
    assert_eq!(expected, 320_843);
    assert_eq!((found.gas, found.blocks), (expected, 1));
}

#[test]
fn a_bridge_there_and_straight_back_cancels() {
    let source = "bundle trip on polygon {
    input 100 USDT
    bridge all USDT to arbitrum
    on arbitrum { bridge all USDT to polygon }
}
";
    let found = optimum(source);
    assert_eq!((found.gas, found.blocks), (0, 0));
    insta::assert_snapshot!(show(source, &found));
}

/// Two transfers there whose arrivals are gathered into what goes back: the
/// transfers merge into one and it cancels with the way back.
#[test]
fn merged_transfers_there_and_straight_back_cancel() {
    let source = "bundle trip2 on polygon {
    input 100 USDT
    input 50 USDT
    bridge 100 USDT to arbitrum
    bridge 50 USDT to arbitrum
    on arbitrum { bridge all USDT to polygon }
}
";
    let found = optimum(source);
    assert_eq!((found.gas, found.blocks), (0, 0));
    insta::assert_snapshot!(show(source, &found));
}

/// Two round trips, each through a chain and back, the second arriving
/// where the first left: cancelling them merges what left into a new wire,
/// which the route choice once looked up in the `-O0` program's wires and
/// did not find ("bridge %7 has untyped wires").
#[test]
fn a_bridge_left_after_cancelled_trips_finds_its_route() {
    let source = "bundle trips on polygon {
    on arbitrum {
        input 1 USDT
        bridge all USDT to ethereum
        on ethereum { bridge all USDT to arbitrum }
    }
    on ethereum {
        input 1 USDT
        bridge all USDT to arbitrum
        on arbitrum { bridge all USDT to ethereum }
    }
    on ethereum { bridge all USDT to arbitrum }
}
";
    let found = optimum(source);
    // What is left: one transaction on ethereum (the approval and the
    // transfer to arbitrum), then the route's delay of five blocks.
    assert_eq!((found.gas, found.blocks), (86_948, 6));
}

#[test]
fn two_transfers_of_one_token_on_one_route_merge() {
    let s = GasSchedule::default();
    let source = "bundle two on polygon {
    input 100 USDC
    input 50 USDC
    bridge 100 USDC to arbitrum via zk
    bridge 50 USDC to arbitrum via zk
}
";
    let found = optimum(source);
    let zk = route(BridgeKind::Zk);
    let expected = base(&s) + call(s.approve, true) + call(zk.0 - approved_pull(&s), true);
    assert_eq!(expected, 86_948);
    assert_eq!((found.gas, found.blocks), (expected, 1 + zk.1));
    insta::assert_snapshot!(show(source, &found));
}

/// A shared message of two `MintableERC20` tokens on a route whose call
/// costs `route_gas`, right after both grants: the route's call (the
/// bridge cold) and the second transfer's entry, each pull under its grant.
fn shared_message(s: &GasSchedule, route_gas: u64) -> u64 {
    call(route_gas - approved_pull(s), true)
        + s.bridge_batch_extra(TokenContract::MintableErc20, true)
        + s.warm_account_access
        - s.approved_pull(TokenContract::MintableErc20)
}

#[test]
fn transfers_of_two_tokens_on_one_route_share_a_message() {
    let s = GasSchedule::default();
    let source = "bundle batch on polygon {
    input 100 USDC
    input 50 DAI
    bridge 100 USDC to arbitrum via zk
    let dai = bridge 50 DAI to arbitrum via zk
    require dai >= 49 DAI
}
";
    let found = optimum(source);
    let zk = route(BridgeKind::Zk);
    // Both grants (each token cold), the route's call, and the second
    // transfer's entry with its token warm after its grant, both pulls
    // under those grants.
    let expected = base(&s) + 2 * call(s.approve, true) + shared_message(&s, zk.0);
    assert_eq!(expected, 139_850);
    // Each transfer its own delay, as the runtime's clock counts them.
    assert_eq!((found.gas, found.blocks), (expected, 1 + 2 * zk.1));
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn an_htlb_route_carries_no_shared_message() {
    let s = GasSchedule::default();
    let source = "bundle no_batch on polygon {
    input 100 USDC
    input 50 DAI
    bridge 100 USDC to arbitrum via htlb
    bridge 50 DAI to arbitrum via htlb
}
";
    let found = optimum(source);
    let htlb = route(BridgeKind::Htlb);
    let lock = htlb.0 - approved_pull(&s);
    let expected = base(&s) + 2 * call(s.approve, true) + call(lock, true) + call(lock, false);
    assert_eq!((found.gas, found.blocks), (expected, 1 + 2 * htlb.1));
}

/// An independent step on another chain in the middle of a loan: the
/// loan's steps share one transaction (a flash loan), the other chain's
/// step runs beside it.
#[test]
fn an_independent_leg_on_another_chain_runs_beside_the_loan() {
    let s = GasSchedule::default();
    let source = "bundle middle on polygon {
    borrow 100 WETH from aave
    swap 100 WETH for 190_000 USDC on uniswap_v2
    on arbitrum {
        input 1_000 USDC
        swap all USDC for 0.5 WETH on uniswap_v2
    }
    swap all USDC for 100.2 WETH on sushiswap
    repay 100 WETH to aave
}
";
    let found = optimum(source);
    let polygon = base(&s) + call(s.flash_loan, true) + loop_back(&s) + 5 * s.flash_callback_call;
    // On arbitrum WETH is the wrapped native token, WETH9: the pair sends
    // it out for less.
    let arbitrum = base(&s)
        + call(s.token_transfer, true)
        + call(
            s.pair_swap_of(TokenContract::Weth9) + s.pair_oracle_update,
            true,
        );
    assert_eq!((found.gas, found.blocks), (polygon + arbitrum, 1));
    insta::assert_snapshot!(show(source, &found));
}

/// After a flash loan of a `MintableERC20`: a swap of it for another, a
/// swap back on another exchange, and the pool's grant for the repayment.
fn loop_back(s: &GasSchedule) -> u64 {
    let hop = s.pair_swap + s.pair_oracle_update;
    2 * call(s.token_transfer, false)
        + call(hop, true)
        + call(hop - s.warm_token_saving(), true)
        + call(
            s.approve - s.approved_pull(TokenContract::MintableErc20),
            false,
        )
}

#[test]
fn above_the_limit_the_bundle_is_not_searched() {
    let mut source = String::from("bundle eleven on base {\n    input 1_100 USDC\n");
    for _ in 0..11 {
        source.push_str("    deposit 100 USDC into aave\n");
    }
    source.push_str("}\n");
    let registry = Registry::default_registry();
    let (program, pinned) = o0(&source, &registry);
    let outcome = search_with(&program, &pinned, &registry, &Limits::default());
    assert_eq!(outcome.searched.actions, 11);
    assert_eq!(outcome.searched.candidates, 0);
    assert_eq!(
        outcome.result.err(),
        Some(NotSearched::TooManyActions {
            limit: search::DEFAULT_MAX_ACTIONS
        })
    );
    // A higher limit searches it: one deposit of the sum.
    let outcome = search_with(
        &program,
        &pinned,
        &registry,
        &Limits {
            max_actions: 11,
            ..Limits::default()
        },
    );
    assert_eq!(outcome.gas(), Some(211_377));
}

#[test]
fn a_search_over_its_budget_says_so() {
    let registry = Registry::default_registry();
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/equivalent/pair1.mesh"),
    )
    .unwrap_or_default();
    let (program, pinned) = o0(&source, &registry);
    let outcome = search_with(
        &program,
        &pinned,
        &registry,
        &Limits {
            max_work: 3,
            ..Limits::default()
        },
    );
    assert_eq!(outcome.result.err(), Some(NotSearched::Budget { work: 3 }));
    assert!(outcome.searched.work() > 3, "{:?}", outcome.searched);
}

/// Each pair of `tests/equivalent/` is one bundle written two ways: they
/// have one optimum.
#[test]
fn equivalent_forms_have_one_optimum() {
    let registry = Registry::default_registry();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/equivalent");
    let mut searched = 0;
    for n in 1..=6 {
        let path = dir.join(format!("pair{n}.mesh"));
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let analysis = analyse(&source, &registry, &CheckOptions::default());
        assert!(!analysis.has_errors(), "{}", path.display());
        let optima: Vec<Option<u64>> = analysis
            .checked
            .bundles
            .iter()
            .map(|bundle| {
                let lowered = analysis.lower_o0(bundle).unwrap_or_else(|e| panic!("{e}"));
                search_with(
                    &lowered.program,
                    &lowered.pinned,
                    &registry,
                    &Limits::default(),
                )
                .gas()
            })
            .collect();
        if let [Some(a), Some(b)] = optima.as_slice() {
            assert_eq!(a, b, "{}", path.display());
            searched += 1;
        }
    }
    assert_eq!(searched, 6);
}

/// Two transfers of each of two tokens, written alternately: each token's
/// transfers merge, and the two sums share one message. Every order of
/// the transaction's actions finds the same.
#[test]
fn merged_transfers_share_a_message() {
    let s = GasSchedule::default();
    let source = "bundle four on polygon {
    input 100 USDC
    input 100 DAI
    bridge 50 USDC to arbitrum via zk
    bridge 50 DAI to arbitrum via zk
    bridge 50 USDC to arbitrum via zk
    bridge 50 DAI to arbitrum via zk
}
";
    let found = optimum(source);
    let zk = route(BridgeKind::Zk);
    let expected = base(&s) + 2 * call(s.approve, true) + shared_message(&s, zk.0);
    assert_eq!((found.gas, found.blocks), (expected, 1 + 2 * zk.1));
    assert_eq!(every_order_gas(source), Some(expected));
    insta::assert_snapshot!(show(source, &found));
}

/// A bundle of flash loans from aave on polygon: 1 WETH, then 1,000 of
/// each of `others`, each repaid.
fn loans(others: &[&str]) -> String {
    let each = |line: &str| -> String { others.iter().map(|t| line.replace('T', t)).collect() };
    format!(
        "bundle loans on polygon {{\n    input 0.01 WETH\n{}    borrow 1 WETH from aave\n{}    repay 1 WETH to aave\n{}}}\n",
        each("    input 10 T\n"),
        each("    borrow 1_000 T from aave\n"),
        each("    repay 1_000 T to aave\n"),
    )
}

#[test]
fn four_flash_loans_of_one_lender_become_one_multi_asset_call() {
    let s = GasSchedule::default();
    let source = loans(&["USDC", "DAI", "USDT"]);
    let found = optimum(&source);
    // One multi-asset flashLoan (the pool cold), each repayment pulled
    // inside it, and the pool's grant of each token (warm: the loan paid
    // it out), under which the pool pulls the repayment.
    let loan = s.flash_loan + s.flash_loan_multi_asset + 3 * s.flash_loan_extra_asset;
    let grants = 4 * call(
        s.approve - s.approved_pull(TokenContract::MintableErc20),
        false,
    );
    // The grants are made inside the loan's callback.
    let expected = base(&s) + call(loan, true) + grants + 4 * s.flash_callback_call;
    // Four simple loans: the pool cold, then warm for the three others,
    // each taken inside the loans before it.
    let apart = base(&s)
        + call(s.flash_loan, true)
        + 3 * call(s.flash_loan - s.flash_loan_warm_pool, false)
        + grants
        + 7 * s.flash_callback_call;
    assert_eq!(apart - expected, 7_903);
    assert_eq!((found.gas, found.blocks), (expected, 1));
    insta::assert_snapshot!(show(&source, &found));
}

#[test]
fn two_or_three_flash_loans_stay_apart_where_the_pool_is_warm() {
    let s = GasSchedule::default();
    for (others, extra) in [(&["USDC"][..], 13_975), (&["USDC", "DAI"][..], 3_036)] {
        let source = loans(others);
        let found = optimum(&source);
        // Simple loans: the pool cold for the first, warm for the others,
        // which the multi-asset call's further assets do not beat.
        let n = others.len() as u64 + 1;
        // Each loan after the first is taken inside the loans before it.
        let apart = call(s.flash_loan, true)
            + (n - 1)
                * (call(s.flash_loan - s.flash_loan_warm_pool, false) + s.flash_callback_call);
        let joined = call(
            s.flash_loan + s.flash_loan_multi_asset + (n - 1) * s.flash_loan_extra_asset,
            true,
        );
        assert_eq!(joined - apart, extra);
        let grant = call(
            s.approve - s.approved_pull(TokenContract::MintableErc20),
            false,
        );
        // Each grant is made inside a loan.
        let expected = base(&s) + apart + n * (grant + s.flash_callback_call);
        assert_eq!((found.gas, found.blocks), (expected, 1), "{source}");
    }
}

#[test]
fn swaps_on_pairs_of_two_forks_fuse() {
    let s = GasSchedule::default();
    let source = "bundle forks on polygon {
    input 100 USDC
    swap all USDC for WETH on uniswap_v2
    swap all WETH for 90 DAI on sushiswap
}
";
    let found = optimum(source);
    // One transfer into the uniswap_v2 pair, which sends its WETH straight
    // to the sushiswap pair.
    let hop = call(s.pair_swap + s.pair_oracle_update, true);
    let expected = base(&s) + call(s.token_transfer, true) + 2 * hop;
    assert_eq!((found.gas, found.blocks), (expected, 1));
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn parallel_branches_on_one_chain_share_a_transaction() {
    let s = GasSchedule::default();
    let source = "bundle both on polygon {
    parallel {
        input 50 USDC
        swap all USDC for WETH on uniswap_v2
    } and {
        input 40 DAI
        deposit all DAI into aave
    }
}
";
    let found = optimum(source);
    let swap = call(s.token_transfer, true) + call(s.pair_swap + s.pair_oracle_update, true);
    // The position is empty (no world given): the deposit is its first.
    let deposit = call(s.approve, true)
        + call(
            s.deposit - approved_pull(&s) + s.deposit_first_of_position,
            true,
        );
    assert_eq!((found.gas, found.blocks), (base(&s) + swap + deposit, 1));
}

#[test]
fn an_assumption_between_two_deposits_keeps_them_apart_and_in_its_place() {
    let source = "bundle checked_between on base {
    input 200 USDC
    deposit 100 USDC into aave
    assume collateral 100 USDC at aave
    deposit 100 USDC into aave
}
";
    let found = optimum(source);
    let text = found.program.to_string();
    let at = |what: &str, from: usize| {
        text[from..]
            .find(what)
            .map(|i| i + from)
            .unwrap_or_else(|| panic!("no {what} after {from} in\n{text}"))
    };
    // The assumption reads the position between the two deposits: they are
    // not merged, and it stays between them.
    let first = at("deposit %", 0);
    let assumption = at("assume collateral", first);
    at("deposit %", assumption);
    insta::assert_snapshot!(show(source, &found));
}

#[test]
fn a_wrap_and_the_unwrap_of_all_it_gave_cancel() {
    let s = GasSchedule::default();
    let source = "bundle w on ethereum {
    input 1 ETH
    let weth = wrap 1 ETH
    let eth = unwrap weth
    require eth == 1 ETH
    input 0.5 ETH
    let kept = wrap 0.5 ETH
    swap kept for 1_000 USDC on uniswap_v2
}
";
    let found = optimum(source);
    // The round trip goes; one transaction wraps the half coin (WETH cold)
    // and swaps it directly (WETH warm for the transfer into the pair);
    // the executor sends the coin it wraps.
    let expected = base(&s)
        + call(s.wrap + s.executor_call_value, true)
        + call(s.transfer(TokenContract::Weth9), false)
        + call(s.pair_swap + s.pair_oracle_update, true);
    assert_eq!((found.gas, found.blocks), (expected, 1));
    assert!(
        !found.program.to_string().contains("unwrap"),
        "{}",
        found.program
    );
}

#[test]
fn a_round_trip_whose_transfer_there_is_what_an_earlier_trip_brought_back_cancels() {
    // The second trip gathers what the first brought back with a new
    // input; cancelling both, the gathering merge reads the first input.
    let source = "bundle g on polygon {
on optimism {
input 1 USDT
bridge all USDT to ethereum
on ethereum { bridge all USDT to optimism }
}
on optimism {
bridge all USDT to ethereum
input 1 USDT
bridge all USDT to ethereum
on ethereum { bridge all USDT to optimism }
}
}
";
    let found = optimum(source);
    assert_eq!((found.gas, found.blocks), (0, 0));
}

/// Steps on several chains, some independent, one crossing by a bridge:
/// searched with the chains in order (and the other shortcuts), the
/// optimum is the one plain enumeration of every schedule finds.
#[test]
fn independent_chains_in_order_find_what_every_interleaving_finds() {
    let source = "bundle chains3 on polygon {
    parallel {
        on optimism {
            input 10 USDC
            swap all USDC for WETH on uniswap_v2
        }
    } and {
        on base {
            input 10 DAI
            deposit all DAI into aave
        }
    } and {
        input 10 USDC
        deposit all USDC into aave
    }
    input 10 WBTC
    bridge 1 WBTC to arbitrum via zk
    on base {
        input 10 USDC
        swap all USDC for DAI on uniswap_v2
    }
    on optimism {
        input 10 DAI
        deposit all DAI into compound
    }
}
";
    // `optimum` compares the search with plain enumeration.
    let found = optimum(source);
    insta::assert_snapshot!(show(source, &found));
}

/// Where a loan may be a flash loan, a call's place decides whether it is
/// made inside the loan's callback (`flash_callback_call` more): the
/// reduced orders find what every order finds on the cases the
/// enumeration property found, steps before the loans and after them.
#[test]
fn steps_around_a_flash_loan_are_placed_for_gas() {
    let sources = [
        "bundle before on polygon {
    on optimism {
        input 1 USDC
        swap all USDC for WETH on sushiswap via USDT
        let back = swap all WETH for 0 USDC on sushiswap via DAI
        require back >= 0 USDC
        borrow 1 USDC from aave
        borrow 1 WETH from aave
        input 1 USDC
        input 0.01 WETH
        repay 1 USDC to aave
        repay 1 WETH to aave
    }
}
",
        "bundle after on polygon {
    on ethereum {
        borrow 1 USDC from aave
        borrow 1 WETH from aave
        input 1 USDC
        input 0.01 WETH
        repay 1 USDC to aave
        repay 1 WETH to aave
        input 1 USDC
        let dai = swap all USDC for DAI on sushiswap
        deposit dai / 1 into aave
        deposit dai - dai / 1 into compound
        deposit all DAI into aave
    }
}
",
    ];
    for source in sources {
        let found = optimum(source);
        assert_eq!(every_order_gas(source), Some(found.gas), "{source}");
    }
}
