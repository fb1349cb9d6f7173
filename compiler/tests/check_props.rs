//! Properties of the checker on arbitrary input: it never panics, and every
//! label of every diagnostic lies inside the file.

use mesh_runtime::Registry;
use meshc::check::{check, CheckOptions, OptLevel};
use proptest::prelude::*;

const EXAMPLES: [&str; 7] = [
    include_str!("../../examples/polygon_arbitrum_arbitrage.mesh"),
    include_str!("../../examples/simple_arbitrage.mesh"),
    include_str!("../../examples/liquidity_migration.mesh"),
    include_str!("../../examples/parallel_rebalance.mesh"),
    include_str!("../../examples/leveraged_deposit.mesh"),
    include_str!("../../examples/custom_token.mesh"),
    include_str!("../../examples/rejected/seed_flash_loan_as_written.mesh"),
];

/// Words of the language and near misses, to build token sequences from.
const EXTRA_WORDS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    ":",
    "=",
    "+",
    "-",
    "*",
    "/",
    ">=",
    "<",
    "==",
    "polygon",
    "arbitrum",
    "ethereum",
    "base",
    "optimism",
    "polygn",
    "aave",
    "compound",
    "uniswap_v2",
    "sushiswap",
    "avae",
    "htlb",
    "zk",
    "threshold",
    "WETH",
    "USDC",
    "ETH",
    "DAI",
    "WBTC",
    "PEPE",
    "x",
    "y",
    "loan",
    "_z",
    "0",
    "1",
    "2.5",
    "100",
    "0.0000001",
    "1_000_000",
    "340282366920938463463374607431768211456",
    "99999999999999999999999",
    "constant_product",
    "0x6982508145454Ce325dDbE47a25d4ec3d2311933",
];

/// Every keyword of the language, then the extra words above.
static WORDS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    mesh_grammar::KEYWORDS
        .iter()
        .chain(EXTRA_WORDS)
        .copied()
        .collect()
});

fn assert_sound(source: &str) {
    let parsed = mesh_grammar::parse(source);
    for level in [OptLevel::O0, OptLevel::O] {
        let checked = check(
            &parsed.file,
            &Registry::default_registry(),
            &CheckOptions { level },
        );
        for d in &checked.diagnostics {
            for label in std::iter::once(&d.primary).chain(&d.secondary) {
                assert!(
                    label.span.start <= label.span.end && label.span.end <= source.len(),
                    "label {:?} outside a file of {} bytes: {d:?}\n{source}",
                    label.span,
                    source.len()
                );
            }
        }
        let mut sorted = checked.diagnostics.clone();
        meshc::diagnostic::sort(&mut sorted);
        assert_eq!(sorted, checked.diagnostics, "diagnostics are not sorted");
        assert_eq!(
            checked.bundles.len(),
            parsed
                .file
                .items
                .iter()
                .filter(|i| matches!(i, mesh_grammar::Item::Bundle(_)))
                .count()
        );
    }
}

fn mutate(source: &str, edits: &[(usize, usize, usize)]) -> String {
    // Each edit replaces a whitespace-separated word by another word or
    // deletes it.
    let mut words: Vec<String> = source.split_whitespace().map(str::to_string).collect();
    for &(at, choice, kind) in edits {
        if words.is_empty() {
            break;
        }
        let at = at % words.len();
        let word = WORDS[choice % WORDS.len()].to_string();
        match kind % 3 {
            0 => words[at] = word,
            1 => words.insert(at, word),
            _ => {
                words.remove(at);
            }
        }
    }
    words.join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn random_word_sequences_never_panic(choices in prop::collection::vec(0usize..1000, 0..80)) {
        let source: Vec<&str> = choices.iter().map(|&c| WORDS[c % WORDS.len()]).collect();
        assert_sound(&source.join(" "));
    }

    #[test]
    fn mutated_examples_never_panic(
        example in 0usize..EXAMPLES.len(),
        edits in prop::collection::vec((0usize..500, 0usize..1000, 0usize..3), 1..6),
    ) {
        assert_sound(&mutate(EXAMPLES[example], &edits));
    }

    #[test]
    fn well_formed_bundles_with_random_amounts(
        a in 0u64..1_000_000, b in 0u64..1_000_000, scale in 0u32..5, chain in 0usize..5,
    ) {
        let chains = ["ethereum", "polygon", "arbitrum", "optimism", "base"];
        let source = format!(
            "bundle p on {} {{ input {a} USDC let w = withdraw {b} USDC from aave \
             deposit w * {scale} / 3 into compound swap all USDC for {b} DAI on sushiswap \
             require w >= {a} USDC bridge all DAI to {} }}",
            chains[chain], chains[(chain + 1) % 5]
        );
        assert_sound(&source);
    }
}

proptest! {
    /// Exact amounts are judged exactly: an overdraft exactly when the spend
    /// exceeds what was put in, to the base unit.
    #[test]
    fn overdraft_exactly_when_spending_more_than_held(a in 0u64..100_000_000_000, b in 0u64..100_000_000_000) {
        let usdc = |units: u64| format!("{}.{:06}", units / 1_000_000, units % 1_000_000);
        let source = format!(
            "bundle p on base {{ input {} USDC deposit {} USDC into aave }}",
            usdc(a),
            usdc(b)
        );
        let parsed = mesh_grammar::parse(&source);
        let checked = check(&parsed.file, &Registry::default_registry(), &CheckOptions::default());
        let overdraft = checked
            .diagnostics
            .iter()
            .any(|d| d.code == meshc::diagnostic::Code::PossibleOverdraft);
        prop_assert_eq!(overdraft, b > a, "{}", source);
        prop_assert_eq!(checked.diagnostics.len(), usize::from(b > a));
    }

    /// What a bridge delivers can always be spent on arrival, whatever the
    /// amount and route.
    #[test]
    fn bridged_values_can_be_spent(units in 1u64..u64::MAX, kind in 0usize..3) {
        let via = ["htlb", "zk", "threshold"][kind];
        let source = format!(
            "bundle p on ethereum {{ input {units} WBTC / 100 let x = bridge all WBTC to polygon via {via} \
             on polygon {{ deposit x into aave }} }}"
        );
        let parsed = mesh_grammar::parse(&source);
        let checked = check(&parsed.file, &Registry::default_registry(), &CheckOptions::default());
        prop_assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    }
}

proptest! {
    /// The same expression over the same amounts is the same amount: an
    /// amount not known in advance splits into a part and the rest, the
    /// part written twice, with nothing left over and no overdraft.
    #[test]
    fn an_unknown_amount_splits_into_a_part_and_the_rest(
        thousandths in 1u32..1000,
        divisor in 2u32..50,
        by_division in any::<bool>(),
    ) {
        let part = if by_division {
            format!("w / {divisor}")
        } else {
            format!("w * {}.{:03}", thousandths / 1000, thousandths % 1000)
        };
        let source = format!(
            "bundle p on polygon {{ input 1_000 USDC let w = swap all USDC for 0.3 WETH on uniswap_v2 \
             bridge {part} to arbitrum bridge w - {part} to optimism \
             require all WETH == 0 WETH }}"
        );
        let parsed = mesh_grammar::parse(&source);
        let checked = check(&parsed.file, &Registry::default_registry(), &CheckOptions::default());
        prop_assert!(checked.diagnostics.is_empty(), "{}\n{:?}", source, checked.diagnostics);
    }
}

#[test]
fn every_example_is_sound() {
    for example in EXAMPLES {
        assert_sound(example);
    }
}
