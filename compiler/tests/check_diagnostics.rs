//! Snapshot tests of the checker's diagnostics: each snapshot shows the
//! source and every diagnostic exactly as `meshc check` renders it, for
//! every rejection rule, every warning and a file with many errors.

use mesh_runtime::Registry;
use meshc::check::{check, CheckOptions, OptLevel};
use meshc::diagnostic::{render_human, Code};

fn render_with(source: &str, registry: &Registry, level: OptLevel) -> (String, Vec<Code>) {
    let (parsed, syntax) = meshc::syntax::parse(source);
    assert!(
        syntax.is_empty(),
        "the test source has syntax errors: {syntax:?}"
    );
    let checked = check(&parsed.file, registry, &CheckOptions { level });
    render(source, &checked.diagnostics)
}

/// The source with line numbers, then each diagnostic rendered, and the
/// codes reported.
fn render(source: &str, diagnostics: &[meshc::diagnostic::Diagnostic]) -> (String, Vec<Code>) {
    let mut out = String::new();
    for (i, line) in source.lines().enumerate() {
        out.push_str(&format!("{:>3} | {line}\n", i + 1));
    }
    out.push_str("\n---\n\n");
    for d in diagnostics {
        out.push_str(&render_human("test.mesh", source, d, false));
        out.push('\n');
    }
    if diagnostics.is_empty() {
        out.push_str("(no diagnostics)\n");
    }
    let codes = diagnostics.iter().map(|d| d.code).collect();
    (out, codes)
}

/// Like [`snapshot`], through the whole pipeline: what only the lowering
/// decides (which loans are flash loans, rule 8) is judged too.
fn snapshot_analysed(name: &str, source: &str, level: OptLevel, expected: &[Code]) {
    let registry = Registry::default_registry();
    let analysis = meshc::pipeline::analyse(source, &registry, &CheckOptions { level });
    let (text, codes) = render(source, &analysis.diagnostics);
    assert_eq!(codes, expected, "{text}");
    insta::assert_snapshot!(name, text);
}

/// Snapshots the rendering and checks that exactly `expected` was reported.
fn snapshot(name: &str, source: &str, level: OptLevel, expected: &[Code]) {
    snapshot_in(name, source, &Registry::default_registry(), level, expected);
}

fn snapshot_in(name: &str, source: &str, registry: &Registry, level: OptLevel, expected: &[Code]) {
    let (text, codes) = render_with(source, registry, level);
    assert_eq!(codes, expected, "{text}");
    insta::assert_snapshot!(name, text);
}

use Code::*;
use OptLevel::{O, O0};

#[test]
fn seed_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/");
    let read = |name: &str| std::fs::read_to_string(format!("{dir}{name}")).unwrap_or_default();
    snapshot("flagship", &read("polygon_arbitrum_arbitrage.mesh"), O, &[]);
    snapshot(
        "flagship_at_o0",
        &read("polygon_arbitrum_arbitrage.mesh"),
        O0,
        &[DeadlineMissed],
    );
    snapshot(
        "simple_arbitrage",
        &read("simple_arbitrage.mesh"),
        O,
        &[ProvableMinBalance],
    );
    snapshot(
        "liquidity_migration",
        &read("liquidity_migration.mesh"),
        O,
        &[],
    );
    snapshot(
        "seed_flash_loan_as_written",
        &read("rejected/seed_flash_loan_as_written.mesh"),
        O,
        &[PossibleOverdraft, PossibleOverdraft, PossibleOverdraft],
    );
}

#[test]
fn rule_1_unknown_names() {
    snapshot(
        "e0101_unknown_chain",
        "bundle b on polygn {\n}\n",
        O,
        &[UnknownChain],
    );
    snapshot(
        "e0102_unknown_token",
        "bundle b on base {\n    input 1 WTEH\n}\n",
        O,
        &[UnknownToken],
    );
    snapshot(
        "e0102_unknown_token_no_suggestion",
        "bundle b on base {\n    input 1 DOGE\n}\n",
        O,
        &[UnknownToken],
    );
    snapshot(
        "e0103_unknown_protocol",
        "bundle b on base {\n    let w = borrow 1 WETH from avae\n    repay w to aave\n}\n",
        O,
        &[UnknownProtocol],
    );
    snapshot(
        "e0104_unknown_bridge_kind",
        "bundle b on base {\n    input 1 WETH\n    bridge 1 WETH to ethereum via zkp\n}\n",
        O,
        &[UnknownRoute],
    );
    snapshot(
        "e0105_unknown_variable",
        "bundle b on base {\n    let loan = borrow 1 WETH from aave\n    repay lon to aave\n}\n",
        O,
        &[UnknownVariable],
    );
    snapshot(
        "e0105_sibling_branch",
        "bundle b on ethereum {\n    parallel {\n        let a = withdraw 1 WETH from aave\n    } and {\n        deposit a into compound\n    }\n}\n",
        O,
        &[UnknownVariable],
    );
    snapshot(
        "e0106_unknown_invariant",
        "bundle b on base {\n} constraints {\n    invariant: constant_prodcut\n}\n",
        O,
        &[UnknownInvariant],
    );
}

#[test]
fn rule_2_duplicates() {
    snapshot(
        "e0201_variable_bound_twice",
        "bundle b on base {\n    let x = withdraw 1 WETH from aave\n    let x = withdraw 2 WETH from aave\n    deposit x into aave\n}\n",
        O,
        &[DuplicateVariable],
    );
    snapshot(
        "e0202_bundle_defined_twice",
        "bundle b on base {\n}\nbundle b on polygon {\n}\n",
        O,
        &[DuplicateBundle],
    );
    snapshot(
        "e0203_conflicting_token",
        "token PEPE decimals 18\ntoken PEPE decimals 9\ntoken USDC decimals 18\n",
        O,
        &[NoBundle, ConflictingToken, ConflictingToken],
    );
    let mut registry = Registry::default_registry();
    let gho = "0x40D16FC0246aD3160Ccc09B8D0D3A2cD28aE6C2f";
    registry.tokens.push(mesh_core::registry::TokenInfo {
        symbol: "GHO".to_string(),
        decimals: 18,
        address: Some(gho.to_string()),
        chains: vec!["ethereum".to_string()],
    });
    snapshot_in(
        "e0205_token_at_another_address_than_the_world",
        "token GHO decimals 18 at 0x0000000000000000000000000000000000000001\nbundle b on ethereum {\n    input 1 GHO\n}\n",
        &registry,
        O,
        &[ConflictingAddress],
    );
    // A token of the world checked against, not of the default registry:
    // the hint says so.
    snapshot_in(
        "e0203_token_of_the_world_with_other_decimals",
        "token GHO decimals 6\nbundle b on ethereum {\n    input 1 GHO\n}\n",
        &registry,
        O,
        &[ConflictingToken],
    );
    snapshot(
        "e0205_token_at_two_addresses",
        "token ZZZ decimals 6 at 0x1111111111111111111111111111111111111111\ntoken ZZZ decimals 6 at 0x2222222222222222222222222222222222222222\nbundle b on base {\n    input 1 ZZZ\n}\n",
        O,
        &[ConflictingAddress],
    );
    // The same address in other letter case is the same address.
    snapshot_in(
        "e0205_same_address_other_case",
        "token GHO decimals 18 at 0x40d16fc0246ad3160ccc09b8d0d3a2cd28ae6c2f\nbundle b on ethereum {\n    input 1 GHO\n}\n",
        &registry,
        O,
        &[],
    );
    snapshot(
        "e0204_constraint_twice",
        "bundle b on base {\n} constraints {\n    deadline: 5\n    deadline: 8\n}\n",
        O,
        &[DuplicateConstraint],
    );
    // One floor on the profit, in whichever token; its token must exist.
    snapshot(
        "e0204_min_profit_twice",
        "bundle b on base {\n} constraints {\n    min_profit: 5 USDC\n    min_profit: 0.01 WETH\n}\n",
        O,
        &[DuplicateConstraint],
    );
    snapshot(
        "min_profit_of_an_unknown_token",
        "bundle b on base {\n} constraints {\n    min_profit: 5 DOGE\n}\n",
        O,
        &[UnknownToken],
    );
}

/// `min_profit` is resolved by the checker (its token, its amount in base
/// units) and lowered as the bundle's constraint, judged when it runs.
#[test]
fn min_profit_is_resolved_and_lowered() {
    let source =
        "bundle b on base {\n    input 1 USDC\n} constraints {\n    min_profit: 0.5 WETH\n}\n";
    let registry = Registry::default_registry();
    let analysis = meshc::pipeline::analyse(source, &registry, &CheckOptions::default());
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let bundle = &analysis.checked.bundles[0];
    let profit = bundle.constraints.min_profit.as_ref().expect("resolved");
    assert_eq!(
        (profit.token.as_str(), profit.base_units),
        ("WETH", 500_000_000_000_000_000)
    );
    for level in [OptLevel::O0, O] {
        let program = analysis.lower_verified(bundle, level).expect("lowers");
        assert!(
            program
                .to_string()
                .contains("min_profit 500000000000000000 WETH    @4:5"),
            "{program}"
        );
    }
}

#[test]
fn rules_3_and_10_amounts() {
    snapshot(
        "e0301_token_mismatch",
        "bundle b on base {\n    input 3 USDC + 2 WETH\n}\n",
        O,
        &[TokenMismatch],
    );
    snapshot(
        "e0302_plain_number",
        "bundle b on base {\n    let w = withdraw 1 WETH from aave\n    deposit w + 1 into aave\n    input 100\n}\n",
        O,
        &[PlainNumberAsAmount, PlainNumberAsAmount],
    );
    snapshot(
        "e0303_amount_as_factor",
        "bundle b on base {\n    input 2 * 3 USDC\n}\n",
        O,
        &[AmountAsFactor],
    );
    snapshot(
        "e0304_swap_to_same_token",
        "bundle b on base {\n    input 1 WETH\n    swap 1 WETH for 1 WETH on uniswap_v2\n}\n",
        O,
        &[SwapToSameToken],
    );
    snapshot(
        "e0305_repay_wrong_token",
        "bundle b on polygon {\n    borrow 100 USDC from aave\n    input 2 WETH\n    repay 1 WETH to aave\n}\n",
        O,
        &[UnrepaidLoan, RepayWrongToken],
    );
    snapshot(
        "e0306_action_without_value",
        "bundle b on base {\n    input 1 WETH\n    let d = deposit 1 WETH into aave\n}\n",
        O,
        &[ActionWithoutValue],
    );
    snapshot(
        "e1001_too_many_decimals",
        "bundle b on base {\n    input 0.0000001 USDC\n}\n",
        O,
        &[TooManyDecimals],
    );
    snapshot(
        "e1002_out_of_range",
        "bundle b on base {\n    input 3 USDC - 4 USDC\n    input 1_000_000_000_000_000_000_000 WETH\n} constraints {\n    deadline: 99999999999999999999\n}\n",
        O,
        &[OutOfRange, OutOfRange, OutOfRange],
    );
    snapshot(
        "e1003_division_by_zero",
        "bundle b on base {\n    input 3 USDC / 0.0\n}\n",
        O,
        &[DivisionByZero],
    );
    snapshot(
        "e1004_whole_number",
        "token PEPE decimals 1.5\nbundle b on base {\n} constraints {\n    deadline: 2.5\n}\n",
        O,
        &[WholeNumberRequired, WholeNumberRequired],
    );
    snapshot(
        "e1005_constant_required",
        "bundle b on base {\n    input 1 USDC\n} constraints {\n    min_balance: all USDC\n}\n",
        O,
        &[ConstantRequired],
    );
}

#[test]
fn rule_4_capabilities() {
    snapshot(
        "e0401_not_capable",
        "bundle b on base {\n    input 1 WETH\n    swap 1 WETH for 1_000 USDC on aave\n    borrow 1 WETH from uniswap_v2\n}\n",
        O,
        &[NotCapable, NotCapable],
    );
    let mut registry = Registry::default_registry();
    for protocol in &mut registry.protocols {
        if protocol.name == "compound" {
            protocol.chains = vec!["ethereum".to_string()];
        }
    }
    snapshot_in(
        "e0402_protocol_not_on_chain",
        "bundle b on base {\n    withdraw 1 WETH from compound\n}\n",
        &registry,
        O,
        &[ProtocolNotOnChain],
    );
    snapshot(
        "e0403_token_not_on_chain",
        "bundle b on polygon {\n    input 1 ETH\n    on ethereum {\n        input 1 ETH\n        bridge 1 ETH to polygon\n    }\n}\n",
        O,
        &[TokenNotOnChain, TokenNotOnChain],
    );
}

/// A swap through other tokens: one hop per pair, no pair twice, and,
/// against a world's pairs, only through pairs the exchange has.
#[test]
fn swap_paths() {
    let world = mesh_runtime::World::default_world();
    let pairs = meshc::check::Pairs::new(world.pairs());
    let registry = Registry::default_registry();
    let source = "bundle b on base {\n    input 300 USDC\n    swap 100 USDC for 0.01 WETH on sushiswap via USDC\n    swap 100 USDC for 0.01 WETH on sushiswap via DAI, USDC\n    swap 100 USDC for 1 PEPE on uniswap_v2 via USDT\n    swap 1 USDC for 0.9 USDC on uniswap_v2 via WETH, DAI\n}\n\ntoken PEPE decimals 18\n";
    let (parsed, _) = meshc::syntax::parse(source);
    let checked = meshc::check::check_with_pairs(
        &parsed.file,
        &registry,
        Some(&pairs),
        &CheckOptions { level: O },
    );
    let mut out = String::new();
    for (i, line) in source.lines().enumerate() {
        out.push_str(&format!("{:>3} | {line}\n", i + 1));
    }
    out.push_str("\n---\n\n");
    for d in &checked.diagnostics {
        out.push_str(&render_human("test.mesh", source, d, false));
        out.push('\n');
    }
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [SwapToSameToken, PairUsedTwice, NoSuchPair], "{out}");
    insta::assert_snapshot!("e0304_e0413_e0414_swap_paths", out);
    // Without the world's pairs, a missing pair is not judged.
    let (_, codes) = render_with(source, &registry, O);
    assert_eq!(codes, [SwapToSameToken, PairUsedTwice]);
}

/// The native coin goes to no protocol and no bridge; `wrap` and `unwrap`
/// convert it one for one, exactly, where the registry names its wrapper.
#[test]
fn the_native_coin() {
    snapshot(
        "e0411_native_coin_to_a_protocol",
        "bundle b on ethereum {\n    input 2 ETH\n    swap 1 ETH for 1_000 USDC on uniswap_v2\n    deposit 0.5 ETH into aave\n    bridge 0.5 ETH to base\n    input 10 USDC\n    swap 10 USDC for 0.001 ETH on sushiswap\n    borrow 1 ETH from compound\n}\n",
        O,
        &[
            NativeCoinToProtocol,
            NativeCoinToProtocol,
            NativeCoinToProtocol,
            NativeCoinToProtocol,
            NativeCoinToProtocol,
        ],
    );
    snapshot(
        "e0412_nothing_to_wrap",
        "bundle b on polygon {\n    input 1 WETH\n    wrap 1 WETH\n    on ethereum {\n        input 1 ETH\n        unwrap 1 ETH\n    }\n}\n",
        O,
        &[NothingToWrap, NothingToWrap],
    );
    snapshot(
        "wrap_is_exact",
        "bundle b on arbitrum {\n    input 1 ETH\n    let w = wrap 1 ETH\n    swap w / 2 for 1_000 USDC on uniswap_v2\n    let e = unwrap w - w / 2\n    deposit 0.6 WETH into aave\n    require e == 0.5 ETH\n}\n",
        O,
        &[PossibleOverdraft],
    );
}

#[test]
fn rule_5_overdrafts() {
    snapshot(
        "e0501_nothing_provided",
        "bundle b on arbitrum {\n    swap 1 WETH for 1_000 USDC on uniswap_v2\n}\n",
        O,
        &[PossibleOverdraft],
    );
    snapshot(
        "e0501_unbounded_swap",
        "bundle b on arbitrum {\n    input 1 WETH\n    swap 1 WETH for USDC on uniswap_v2\n    deposit 100 USDC into aave\n}\n",
        O,
        &[UnboundedSwap, PossibleOverdraft],
    );
    snapshot(
        "e0501_repay_premium",
        "bundle b on polygon {\n    borrow 10_000 USDC from aave\n    repay 10_000 USDC to aave\n}\n",
        O,
        &[PossibleOverdraft],
    );
}

/// The same expression over the same amounts is the same amount: `w / 2`
/// written twice is one value, so `w / 2` and `w - w / 2` spend exactly
/// `w`, whatever the swap delivers.
#[test]
fn rule_5_the_same_expression_is_the_same_amount() {
    snapshot(
        "e0501_split_of_an_unknown_amount",
        "bundle split on polygon {\n    input 1_000 USDC\n    let w = swap all USDC for 0.3 WETH on uniswap_v2\n    bridge w / 2 to arbitrum\n    bridge w - w / 2 to optimism\n}\n",
        O,
        &[],
    );
    // A third of it more is more than there is.
    snapshot(
        "e0501_split_of_an_unknown_amount_overdrawn",
        "bundle split on polygon {\n    input 1_000 USDC\n    let w = swap all USDC for 0.3 WETH on uniswap_v2\n    bridge w / 2 to arbitrum\n    bridge w - w / 2 to optimism\n    bridge w / 3 to base\n}\n",
        O,
        &[PossibleOverdraft],
    );
}

/// `all` of a holding the bundle never had, or no longer has, used to
/// pass the checker and crash the lowering. It is zero there: an
/// action on it moves nothing (W0005), and a swap of it always reverts
/// (E0502).
#[test]
fn rule_5_steps_that_move_nothing() {
    snapshot(
        "w0005_all_of_a_holding_never_held",
        "bundle b on polygon {\n    deposit all WETH into aave\n}\n",
        O,
        &[MovesNothing],
    );
    snapshot(
        "w0005_all_of_an_emptied_holding",
        "bundle b on polygon {\n    input 1 WETH\n    bridge all WETH to arbitrum\n    deposit all WETH into aave\n    withdraw 0 WETH from compound\n}\n",
        O,
        &[MovesNothing, MovesNothing],
    );
    snapshot(
        "e0502_swap_of_nothing",
        "bundle b on polygon {\n    input 1 WETH\n    deposit all WETH into aave\n    swap all WETH for 1_000 USDC on uniswap_v2\n    deposit 500 USDC into aave\n}\n",
        O,
        &[SwapOfNothing],
    );
}

#[test]
fn rule_6_obligations() {
    snapshot(
        "e0601_unrepaid_loan",
        "bundle b on polygon {\n    input 1 USDC\n    borrow 100 USDC from aave\n    repay 40 USDC to aave\n}\n",
        O,
        &[UnrepaidLoan],
    );
    snapshot(
        "e0601_loan_of_nothing",
        "bundle b on polygon {\n    borrow 0 USDC from compound\n}\n",
        O,
        &[UnrepaidLoan, MovesNothing],
    );
    snapshot(
        "e0602_repay_after_the_loan_is_closed",
        "bundle b on polygon {\n    input 1 USDC\n    let loan = borrow 100 USDC from aave\n    repay loan to aave\n    repay 0 USDC to aave\n}\n",
        O,
        &[RepayMoreThanOwed, MovesNothing],
    );
    snapshot(
        "e0602_repay_more_than_owed",
        "bundle b on polygon {\n    input 100 USDC\n    borrow 100 USDC from aave\n    repay 120 USDC to aave\n}\n",
        O,
        &[RepayMoreThanOwed],
    );
}

#[test]
fn rule_6_positions() {
    // The first defect: a debt the world holds cannot be repaid
    // unless the bundle states it; stated, it is repaid.
    snapshot(
        "e0602_debt_not_stated",
        "bundle b on optimism {\n    input 5_000 USDC\n    repay 5_000 USDC to compound\n}\n",
        O,
        &[RepayMoreThanOwed],
    );
    snapshot(
        "repay_of_a_stated_debt",
        "bundle b on optimism {\n    assume debt 12_000 USDC at compound\n    input 5_000 USDC\n    repay 5_000 USDC to compound\n}\n",
        O,
        &[],
    );
    snapshot(
        "e0602_repay_of_more_debt_than_stated",
        "bundle b on optimism {\n    assume debt 1_000 USDC at compound\n    input 5_000 USDC\n    repay 5_000 USDC to compound\n}\n",
        O,
        &[RepayMoreThanOwed],
    );
    // The second: a position can be opened and left open.
    snapshot(
        "a_loan_left_open_as_debt",
        "bundle b on base {\n    input 10 WETH\n    deposit 10 WETH into aave\n    borrow 5_000 USDC from aave as debt\n}\n",
        O,
        &[],
    );
    // The third: no loan from compound without collateral.
    snapshot(
        "e0603_loan_without_collateral",
        "bundle b on base {\n    let usdc = borrow 1_000 USDC from compound\n    repay usdc to compound\n}\n",
        O,
        &[LoanWithoutCollateral],
    );
    snapshot(
        "e0603_debt_without_collateral",
        "bundle b on base {\n    borrow 5_000 USDC from aave as debt\n}\n",
        O,
        &[LoanWithoutCollateral],
    );
    // A loan from aave needs collateral where the lowering keeps it an
    // ordinary borrow: every loan at -O0, and at -O a loan repaid in a
    // later transaction; repaid in the transaction that takes it, it is a
    // flash loan at -O and needs none; stated collateral carries it.
    let same_chain = "bundle b on base {\n    input 1 USDC\n    let usdc = borrow 1_000 USDC from aave\n    repay usdc to aave\n}\n";
    snapshot_analysed("a_flash_loan_needs_no_collateral", same_chain, O, &[]);
    snapshot_analysed(
        "e0603_every_loan_at_o0_needs_collateral",
        same_chain,
        O0,
        &[LoanWithoutCollateral],
    );
    // (A loan bridged away and straight back is repaid in the transaction
    // that takes it: -O cancels the round trip. Swapped there, it is not.)
    let away = "bundle b on polygon {\n    let loan = borrow 1 WETH from aave\n    let there = bridge loan to arbitrum\n    on arbitrum {\n        let usdc = swap there for 1_000 USDC on uniswap_v2\n        let weth = swap usdc for 0.1 WETH on sushiswap\n        bridge weth to polygon\n    }\n    input 1 WETH\n    repay 1 WETH to aave\n}\n";
    snapshot_analysed(
        "e0603_a_loan_repaid_in_a_later_transaction",
        away,
        O,
        &[LoanWithoutCollateral],
    );
    snapshot_analysed(
        "a_loan_repaid_later_with_collateral_stated",
        &away.replace(
            "on polygon {\n",
            "on polygon {\n    assume collateral 1 WBTC at aave\n",
        ),
        O,
        &[],
    );
    snapshot(
        "e1002_min_health_below_one",
        "bundle b on base {\n    input 1 WETH\n} constraints {\n    min_health: 0.9\n}\n",
        O,
        &[OutOfRange],
    );
    snapshot(
        "e0901_branches_on_one_position",
        "bundle b on polygon {\n    parallel {\n        assume debt 1 USDC at aave\n    } and {\n        input 1 WETH\n        deposit 1 WETH into aave\n        borrow 1 USDC from aave as debt\n    }\n}\n",
        O,
        &[InterferingBranches],
    );
}

#[test]
fn rule_7_bridges() {
    snapshot(
        "e0701_bridge_to_same_chain",
        "bundle b on polygon {\n    input 1 WETH\n    bridge 1 WETH to polygon\n}\n",
        O,
        &[BridgeToSameChain],
    );
    snapshot(
        "e0702_no_route",
        "bundle b on base {\n    input 1 WETH\n    bridge 1 WETH to optimism via zk\n}\n",
        O,
        &[NoRoute],
    );
    snapshot(
        "e0703_pinned_route_below_min_security",
        "bundle b on polygon {\n    input 10 WETH\n    bridge 10 WETH to arbitrum via threshold\n} constraints {\n    min_security: zk\n}\n",
        O,
        &[RouteBelowMinSecurity],
    );
    // A world whose only route from polygon to arbitrum trusts a signer set.
    let mut registry = Registry::default_registry();
    registry
        .routes
        .retain(|r| !(r.from == "polygon" && r.to == "arbitrum") || r.kind.as_str() == "threshold");
    snapshot_in(
        "e0703_no_route_as_secure_as_min_security",
        "bundle b on polygon {\n    input 10 WETH\n    bridge 10 WETH to arbitrum\n} constraints {\n    min_security: htlb\n}\n",
        &registry,
        O,
        &[RouteBelowMinSecurity],
    );
    // Without `min_security`, the same world's only route is the bundle's own.
    snapshot_in(
        "unpinned_bridge_on_the_only_route",
        "bundle b on polygon {\n    input 10 WETH\n    bridge 10 WETH to arbitrum\n}\n",
        &registry,
        O,
        &[],
    );
    snapshot(
        "min_security_names_a_bridge_kind",
        "bundle b on polygon {\n    input 10 WETH\n    bridge 10 WETH to arbitrum\n} constraints {\n    min_security: zkp\n    min_security: htlb\n}\n",
        O,
        &[UnknownRoute, DuplicateConstraint],
    );
}

#[test]
fn rule_8_deadline() {
    snapshot(
        "e0801_deadline_at_o",
        "bundle b on polygon {\n    input 1 WETH\n    bridge 1 WETH to arbitrum via htlb\n} constraints {\n    deadline: 4\n}\n",
        O,
        &[DeadlineMissed],
    );
    snapshot(
        "e0801_deadline_at_o0",
        "bundle b on polygon {\n    input 10 USDC\n    swap 10 USDC for 0.001 WETH on uniswap_v2\n} constraints {\n    deadline: 1\n}\n",
        O0,
        &[DeadlineMissed],
    );
}

/// A deadline in seconds: each chain's blocks at its block time (one
/// 12-second block on ethereum, the zk route's 2 ethereum blocks, one
/// 250 ms block on arbitrum: 36.25 s), in whole seconds, at most once.
#[test]
fn rule_8_deadline_in_seconds() {
    snapshot(
        "e0801_deadline_in_seconds",
        "bundle b on ethereum {\n    input 1_000 USDC\n    let there = bridge 1_000 USDC to arbitrum via zk\n    on arbitrum {\n        swap there for 0.3 WETH on uniswap_v2\n    }\n} constraints {\n    deadline: 30s\n    deadline: 6\n}\n",
        O,
        &[DeadlineMissed],
    );
    snapshot(
        "deadline_in_seconds_values",
        "bundle b on polygon {\n    input 1 USDC\n} constraints {\n    deadline: 1.5s\n    deadline: 2s\n}\n",
        O,
        &[WholeNumberRequired, DuplicateConstraint],
    );
    let mut registry = Registry::default_registry();
    for chain in &mut registry.chains {
        if chain.name == "base" {
            chain.block_time_ms = None;
        }
    }
    snapshot_in(
        "e0810_no_block_time",
        "bundle b on polygon {\n    on base {\n        input 1 USDC\n        deposit 1 USDC into aave\n    }\n} constraints {\n    deadline: 60s\n    deadline: 20\n}\n",
        &registry,
        O,
        &[NoBlockTime],
    );
}

#[test]
fn rule_9_parallel() {
    snapshot(
        "e0901_interfering_branches",
        "bundle b on ethereum {\n    parallel {\n        on arbitrum {\n            input 1 WETH\n            bridge 1 WETH to polygon\n        }\n    } and {\n        on polygon {\n            input 1 WETH\n            deposit 1 WETH into aave\n        }\n    }\n}\n",
        O,
        &[InterferingBranches],
    );
}

#[test]
fn warnings() {
    snapshot(
        "w0001_unbounded_swap",
        "bundle b on base {\n    input 1 WETH\n    swap 1 WETH for USDC on uniswap_v2\n}\n",
        O,
        &[UnboundedSwap],
    );
    snapshot(
        "w0001_swap_bounded_by_zero",
        "bundle b on base {\n    input 1 WETH\n    swap 1 WETH for 0 USDC on uniswap_v2\n    deposit 1 USDC into aave\n}\n",
        O,
        &[UnboundedSwap, PossibleOverdraft],
    );
    snapshot("w0006_empty_file", "", O, &[NoBundle]);
    snapshot(
        "w0006_comments_only",
        "// a bundle will come here\n",
        O,
        &[NoBundle],
    );
    snapshot(
        "w0006_declarations_only",
        "token GHO decimals 18\n",
        O,
        &[NoBundle],
    );
    snapshot(
        "w0002_redundant_on",
        "bundle b on polygon {\n    on polygon {\n        input 1 WETH\n    }\n}\n",
        O,
        &[RedundantOn],
    );
    snapshot(
        "w0003_unused_variable",
        "bundle b on base {\n    let w = withdraw 1 WETH from aave\n    let _kept = withdraw 1 USDC from aave\n}\n",
        O,
        &[UnusedVariable],
    );
}

#[test]
fn many_errors_in_one_file() {
    snapshot(
        "multi_error_file",
        "token PEPE decimals 18\n\nbundle first on polygon {\n    let loan = borrow 100 WETH from aave\n    swap lon for 1 USDC on uniswap\n    bridge loan to polygon\n    input 1 ETH\n}\n\nbundle second on arbitrum {\n    input 0.5 PEPE\n    swap 1 PEPE for DAI on sushiswap\n    deposit 3 USDC + 2 DAI into compound\n} constraints {\n    deadline: 1.5\n}\n",
        O,
        &[
            UnrepaidLoan,
            UnknownVariable,
            UnknownProtocol,
            BridgeToSameChain,
            TokenNotOnChain,
            PossibleOverdraft,
            UnboundedSwap,
            TokenMismatch,
            WholeNumberRequired,
        ],
    );
}
