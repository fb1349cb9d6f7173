//! Unit tests of the checker's semantics on small sources. The rendered
//! diagnostics are snapshot-tested in tests/check_diagnostics.rs.

use super::*;
use crate::diagnostic::Severity;

fn run(source: &str, level: OptLevel) -> Checked {
    let parsed = mesh_grammar::parse(source);
    assert!(
        parsed.errors.is_empty(),
        "syntax errors: {:?}",
        parsed.errors
    );
    check(
        &parsed.file,
        &Registry::default_registry(),
        &CheckOptions { level },
    )
}

fn codes(source: &str) -> Vec<&'static str> {
    run(source, OptLevel::O)
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect()
}

const FLAGSHIP: &str = include_str!("../../../examples/polygon_arbitrum_arbitrage.mesh");
const ARBITRAGE: &str = include_str!("../../../examples/simple_arbitrage.mesh");
const MIGRATION: &str = include_str!("../../../examples/liquidity_migration.mesh");
const SEED: &str = include_str!("../../../examples/rejected/seed_flash_loan_as_written.mesh");

#[test]
fn seed_examples_check_clean_at_the_default_level() {
    assert_eq!(codes(FLAGSHIP), Vec::<&str>::new());
    assert_eq!(codes(MIGRATION), Vec::<&str>::new());
    assert_eq!(codes(ARBITRAGE), vec!["W0004"]);
}

#[test]
fn flagship_blocks_match_the_time_model() {
    let checked = run(FLAGSHIP, OptLevel::O);
    let bundle = &checked.bundles[0];
    assert_eq!(bundle.blocks_o0, 21);
    assert_eq!(bundle.blocks_o, 13);
    let arbitrage = run(ARBITRAGE, OptLevel::O);
    assert_eq!(arbitrage.bundles[0].blocks_o0, 7);
    assert_eq!(arbitrage.bundles[0].blocks_o, 1);
}

#[test]
fn unoptimised_level_misses_the_flagship_deadline() {
    let checked = run(FLAGSHIP, OptLevel::O0);
    let codes: Vec<_> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::DeadlineMissed]);
    let arbitrage = run(ARBITRAGE, OptLevel::O0);
    assert!(arbitrage
        .diagnostics
        .iter()
        .any(|d| d.code == Code::DeadlineMissed));
}

#[test]
fn seed_as_written_is_an_overdraft_of_weth_on_arbitrum() {
    let checked = run(SEED, OptLevel::O);
    let overdrafts: Vec<&Diagnostic> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::PossibleOverdraft)
        .collect();
    assert!(overdrafts.iter().all(|d| d.severity == Severity::Error));
    let on_arbitrum: Vec<_> = overdrafts
        .iter()
        .filter(|d| d.message == "possible overdraft of WETH on arbitrum")
        .collect();
    assert_eq!(on_arbitrum.len(), 2);
    // The bridge back points at the swap that spent the WETH.
    let bridge_back = on_arbitrum[1];
    let swap_at = SEED.find("swap 100 WETH").unwrap_or(0);
    assert!(bridge_back
        .secondary
        .iter()
        .any(|l| l.span.start == swap_at && l.message.contains("already took")));
    assert!(SEED[bridge_back.primary.span.start..].starts_with("bridge 100 WETH to polygon"));
}

#[test]
fn exact_forms_prove_split_spends() {
    let src = "bundle b on base {
        input 1 WETH
        let dai = swap 1 WETH for 2_000 DAI on uniswap_v2
        deposit dai - 100 DAI into aave
        deposit 100 DAI into aave
    }";
    assert_eq!(codes(src), Vec::<&str>::new());
    let over = "bundle b on base {
        input 1 WETH
        let dai = swap 1 WETH for 2_000 DAI on uniswap_v2
        deposit dai - 100 DAI into aave
        deposit 100.000001 DAI into aave
    }";
    assert_eq!(codes(over), vec!["E0501"]);
}

#[test]
fn scaled_values_are_bounded_above() {
    let src = "bundle b on base {
        input 1 WETH
        let dai = swap 1 WETH for 2_000 DAI on uniswap_v2
        deposit dai / 2 into aave
        deposit dai / 2 into aave
    }";
    assert_eq!(codes(src), Vec::<&str>::new());
    let three = "bundle b on base {
        input 1 WETH
        let dai = swap 1 WETH for 2_000 DAI on uniswap_v2
        deposit dai / 2 into aave
        deposit dai / 2 into aave
        deposit dai / 2 into aave
    }";
    assert_eq!(codes(three), vec!["E0501"]);
}

#[test]
fn all_leaves_exactly_zero() {
    let src = "bundle b on arbitrum {
        input 5_000 USDC
        swap all USDC for 1.5 WETH on uniswap_v2
        swap 1 USDC for WETH on sushiswap
    }";
    assert_eq!(codes(src), vec!["E0501", "W0001"]);
}

#[test]
fn obligations_must_close() {
    let open = "bundle b on polygon { borrow 100 USDC from aave }";
    assert_eq!(codes(open), vec!["E0601"]);
    let partial = "bundle b on polygon {
        borrow 100 USDC from aave
        repay 40 USDC to aave
        repay 61 USDC to aave
    }";
    assert_eq!(codes(partial), vec!["E0501", "E0602"]);
    let wrong = "bundle b on polygon {
        borrow 100 USDC from aave
        input 2 WETH
        repay 1 WETH to aave
    }";
    // The open loan is reported at its borrow, which comes first.
    assert_eq!(codes(wrong), vec!["E0601", "E0305"]);
    let none = "bundle b on polygon { input 1 WETH repay 1 WETH to aave }";
    // Nothing is owed, so no premium either: 1 WETH covers the repay.
    assert_eq!(codes(none), vec!["E0602"]);
}

#[test]
fn premium_is_part_of_the_repay() {
    let short = "bundle b on polygon {
        borrow 10_000 USDC from aave
        repay 10_000 USDC to aave
    }";
    assert_eq!(codes(short), vec!["E0501"]);
    // At -O0 no loan is a flash loan, and none owes a premium (the loan
    // then needs collateral).
    let short_o0 = run(
        "bundle b on polygon {
        assume collateral 10 WETH at aave
        borrow 10_000 USDC from aave
        repay 10_000 USDC to aave
    }",
        OptLevel::O0,
    );
    assert!(
        short_o0.diagnostics.is_empty(),
        "{:?}",
        short_o0.diagnostics
    );
    let covered = "bundle b on polygon {
        input 5 USDC
        borrow 10_000 USDC from aave
        repay 10_000 USDC to aave
    }";
    assert_eq!(codes(covered), Vec::<&str>::new());
    let compound = "bundle b on polygon {
        assume collateral 60 WETH at compound
        let loan = borrow 10 WETH from compound
        repay loan to compound
    }";
    assert_eq!(codes(compound), Vec::<&str>::new());
    // compound offers no flash loans: its loans need collateral stated.
    let bare = "bundle b on polygon {
        let loan = borrow 10 WETH from compound
        repay loan to compound
    }";
    assert_eq!(codes(bare), vec!["E0603"]);
}

#[test]
fn names_and_capabilities() {
    assert_eq!(codes("bundle b on polygn { }"), vec!["E0101"]);
    assert_eq!(
        codes("bundle b on polygon { input 1 WETHH }"),
        vec!["E0102"]
    );
    assert_eq!(
        codes("bundle b on polygon { input 1 WETH swap 1 WETH for 1 USDC on aave }"),
        vec!["E0401"]
    );
    assert_eq!(codes("bundle b on polygon { input 1 ETH }"), vec!["E0403"]);
    assert_eq!(
        codes("bundle b on polygon { input 1 WETH bridge 1 WETH to polygon }"),
        vec!["E0701"]
    );
    assert_eq!(
        codes("bundle b on base { input 1 WETH bridge 1 WETH to optimism via zk }"),
        vec!["E0702"]
    );
    assert_eq!(
        codes("bundle b on base { input 1 WETH bridge 1 WETH to optimism via zz }"),
        vec!["E0104"]
    );
    assert_eq!(
        codes("bundle b on base { input 1 WETH swap 1 WETH for 1 WETH on uniswap_v2 }"),
        vec!["E0304"]
    );
}

#[test]
fn no_cascades_after_a_typo() {
    // The unknown token poisons the holding and the loan: no overdraft and
    // no unrepaid loan follow from it.
    let src = "bundle b on polygon {
        borrow 100 WTEH from aave
        repay 100 WETH to aave
    }";
    assert_eq!(codes(src), vec!["E0102"]);
    let unknown_var = "bundle b on polygon {
        input 1 WETH
        bridge lon to arbitrum
    }";
    assert_eq!(codes(unknown_var), vec!["E0105"]);
}

#[test]
fn scope_rules() {
    let dup = "bundle b on polygon {
        let x = withdraw 1 WETH from aave
        let x = withdraw 1 WETH from aave
        deposit x into aave
    }";
    assert_eq!(codes(dup), vec!["E0201"]);
    let sibling = "bundle b on ethereum {
        parallel {
            let a = withdraw 1 WETH from aave
            deposit a into aave
        } and {
            input 1 USDC
            deposit a into compound
        }
    }";
    assert_eq!(codes(sibling), vec!["E0105"]);
    let after = "bundle b on ethereum {
        parallel {
            let a = withdraw 1 WETH from aave
        } and {
            let u = withdraw 1 USDC from aave
        }
        deposit a into compound
        deposit u into compound
    }";
    // Withdrawals of two tokens touch two holdings and no obligation.
    assert_eq!(codes(after), Vec::<&str>::new());
    let unused = "bundle b on ethereum { let a = withdraw 1 WETH from aave let _b = withdraw 1 USDC from aave }";
    assert_eq!(codes(unused), vec!["W0003"]);
    let no_value = "bundle b on ethereum { input 1 WETH let d = deposit 1 WETH into aave }";
    assert_eq!(codes(no_value), vec!["E0306"]);
}

#[test]
fn arithmetic_rules() {
    assert_eq!(
        codes("bundle b on base { input 2 * 3 USDC }"),
        vec!["E0303"]
    );
    assert_eq!(codes("bundle b on base { input 2 }"), vec!["E0302"]);
    assert_eq!(
        codes("bundle b on base { input 3 USDC + 2 }"),
        vec!["E0302"]
    );
    assert_eq!(
        codes("bundle b on base { input 3 USDC + 2 WETH }"),
        vec!["E0301"]
    );
    assert_eq!(
        codes("bundle b on base { input 3 USDC / 0 }"),
        vec!["E1003"]
    );
    assert_eq!(
        codes("bundle b on base { input 3 USDC - 4 USDC }"),
        vec!["E1002"]
    );
    assert_eq!(
        codes("bundle b on base { input 0.0000001 USDC }"),
        vec!["E1001"]
    );
    let exact = run("bundle b on base { input 3 USDC * 1.5 }", OptLevel::O);
    let fact = exact.facts.amounts.last().map(|f| f.exact);
    assert_eq!(fact, Some(Some(4_500_000)));
}

#[test]
fn constraints_rules() {
    assert_eq!(
        codes("bundle b on base { } constraints { deadline: 2.5 }"),
        vec!["E1004"]
    );
    assert_eq!(
        codes("bundle b on base { } constraints { deadline: 2 deadline: 3 }"),
        vec!["E0204"]
    );
    assert_eq!(
        codes("bundle b on base { } constraints { invariant: constant_prodcut }"),
        vec!["E0106"]
    );
    assert_eq!(
        codes("bundle b on base { } constraints { max_gas: 99999999999999999999 }"),
        vec!["E1002"]
    );
    assert_eq!(
        codes("bundle b on base { } bundle b on base { }"),
        vec!["E0202"]
    );
    assert_eq!(
        codes("token USDC decimals 18 bundle b on base { }"),
        vec!["E0203"]
    );
}

#[test]
fn parallel_branches_are_independent() {
    let src = "bundle b on ethereum {
        parallel {
            on arbitrum { input 1 WETH bridge 1 WETH to polygon }
        } and {
            on polygon { input 1 WETH deposit 1 WETH into aave }
        }
    }";
    assert_eq!(codes(src), vec!["E0901"]);
    let checked = run(
        include_str!("../../../examples/parallel_rebalance.mesh"),
        OptLevel::O,
    );
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    assert_eq!(checked.bundles[0].blocks_o, 1);
}

#[test]
fn redundant_on_and_facts() {
    let checked = run(
        "bundle b on polygon { on polygon { input 1 WETH } }",
        OptLevel::O,
    );
    let codes: Vec<_> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec![Code::RedundantOn]);
    let flagship = run(FLAGSHIP, OptLevel::O);
    let repay = flagship
        .facts
        .statements
        .iter()
        .find(|s| FLAGSHIP[s.span.start..].starts_with("repay"));
    // [borrow, bridge], [swap, swap, bridge], [repay]
    assert_eq!(repay.map(|r| r.transaction), Some(Some(2)));
    assert!(flagship.facts.definitions.len() >= 4);
}

/// The codes of `source` checked against no pairs and, at
/// compound on optimism, a debt of 12_000 USDC and a deposit of 10 WETH.
fn codes_against_positions(source: &str) -> Vec<&'static str> {
    let parsed = mesh_grammar::parse(source);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let debts = std::collections::BTreeMap::from([("USDC".to_string(), 12_000_000_000)]);
    let deposits =
        std::collections::BTreeMap::from([("WETH".to_string(), 10_000_000_000_000_000_000)]);
    let pairs = Pairs::new([]).with_positions([("optimism", "compound", &debts, &deposits)]);
    check_with_pairs(
        &parsed.file,
        &Registry::default_registry(),
        Some(&pairs),
        &CheckOptions::default(),
    )
    .diagnostics
    .iter()
    .map(|d| d.code.as_str())
    .collect()
}

#[test]
fn an_assumption_is_judged_against_the_positions_the_checker_is_given() {
    let assume =
        |what: &str| format!("bundle b on optimism {{\n    assume {what} at compound\n}}\n");
    // Up to what the world holds: clean; more: E0604.
    assert!(codes_against_positions(&assume("debt 12_000 USDC")).is_empty());
    assert!(codes_against_positions(&assume("collateral 10 WETH")).is_empty());
    assert_eq!(
        codes_against_positions(&assume("debt 12_000.000001 USDC")),
        ["E0604"]
    );
    assert_eq!(
        codes_against_positions(&assume("collateral 10.5 WETH")),
        ["E0604"]
    );
    // A token the position does not hold holds nothing.
    assert_eq!(codes_against_positions(&assume("debt 1 DAI")), ["E0604"]);
    // A lender the world does not list, and checking without positions,
    // judge nothing.
    assert!(codes_against_positions(&assume("debt 1 DAI").replace("compound", "aave")).is_empty());
    assert!(codes(&assume("debt 13_000 USDC")).is_empty());
    // After an action at the lender, the position is no longer the world's.
    assert!(codes_against_positions(
        "bundle b on optimism {\n    input 1 WETH\n    deposit 1 WETH into compound\n    assume collateral 11 WETH at compound\n}\n"
    )
    .is_empty());
}
