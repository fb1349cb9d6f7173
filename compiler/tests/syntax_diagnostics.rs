//! What a user sees for lexical and syntax errors: each snapshot shows the
//! source and the rendered diagnostics together.

use meshc::diagnostic::{render_human, Code};

/// The source, numbered, then every diagnostic as the terminal shows it.
fn show(source: &str) -> String {
    let (_, diagnostics) = meshc::syntax::parse(source);
    let mut out = String::from("--- source\n");
    for (i, line) in source.lines().enumerate() {
        let line = meshc::diagnostic::escape_invisible(line);
        out.push_str(&format!("{:>3} | {line}\n", i + 1));
    }
    out.push_str(&format!("--- {} diagnostic(s)\n", diagnostics.len()));
    for diagnostic in &diagnostics {
        out.push_str(&render_human("example.mesh", source, diagnostic, false));
    }
    out
}

fn codes(source: &str) -> Vec<Code> {
    meshc::syntax::parse(source)
        .1
        .iter()
        .map(|d| d.code)
        .collect()
}

const LEXICAL: &[(&str, &str)] = &[
    (
        "number_with_exponent",
        "bundle b on polygon {\n    borrow 1e18 WETH from aave\n}\n",
    ),
    (
        "number_glued_to_symbol",
        "bundle b on polygon {\n    input 100WETH\n}\n",
    ),
    (
        "number_glued_to_lower_case_word",
        "bundle b on polygon {\n    input 100weth\n}\n",
    ),
    (
        "number_with_bad_underscores",
        "bundle b on polygon {\n    input 1_000_ USDC\n    input 1__000 USDC\n}\n",
    ),
    (
        "number_with_bare_dot",
        "bundle b on polygon {\n    input 1. WETH\n    input .5 WETH\n}\n",
    ),
    (
        "address_too_short",
        "token PEPE decimals 18 at 0x6982508145454Ce325dDbE47a25d4ec3d231193\n",
    ),
    (
        "address_with_bad_digit",
        "token PEPE decimals 18 at 0x698250814545zCe325dDbE47a25d4ec3d2311933\n",
    ),
    (
        "mixed_case_symbol",
        "bundle b on polygon {\n    borrow 100 Weth from aave\n}\n",
    ),
    (
        "mixed_case_name",
        "bundle b on Polygon {\n}\n",
    ),
    (
        "mixed_case_keyword",
        "Bundle b on polygon {\n}\n",
    ),
    (
        "underscore_in_symbol",
        "bundle b on polygon {\n    input 1 WETH_E\n}\n",
    ),
    (
        "unterminated_comment",
        "bundle b on polygon {\n    /* the loan /* and its repayment */\n    borrow 100 WETH from aave\n}\n",
    ),
    (
        "unexpected_semicolon",
        "bundle b on polygon {\n    borrow 100 WETH from aave;\n    repay 100 WETH to aave\n}\n",
    ),
    (
        "unexpected_characters_run",
        "bundle b on polygon {\n    input 5 USDC €€\n}\n",
    ),
    (
        "lone_bang",
        "bundle b on polygon {\n    require all USDC ! 5 USDC\n}\n",
    ),
];

const SYNTAX: &[(&str, &str)] = &[
    (
        "missing_from",
        "bundle b on polygon {\n    borrow 100 WETH frm aave\n}\n",
    ),
    (
        "keyword_as_name",
        "bundle b on polygon {\n    let from = borrow 100 WETH from aave\n}\n",
    ),
    (
        "symbol_as_name",
        "bundle b on polygon {\n    swap 1 WETH for 1_900 USDC on UNISWAP\n}\n",
    ),
    (
        "name_as_symbol",
        "bundle b on polygon {\n    borrow 100 weth from aave\n}\n",
    ),
    (
        "assignment_in_require",
        "bundle b on polygon {\n    require all USDC = 5 USDC\n}\n",
    ),
    (
        "swap_without_for_then_on",
        "bundle b on polygon {\n    swap 100 WETH 50_000 USDC on uniswap_v2\n    repay 100 WETH to aave\n}\n",
    ),
    (
        "missing_action",
        "bundle b on polygon {\n    let loan = 100 WETH\n}\n",
    ),
    (
        "parallel_without_and",
        "bundle b on polygon {\n    parallel { input 1 DAI } { input 1 USDC }\n}\n",
    ),
    (
        "missing_brace_at_end",
        "bundle b on polygon {\n    on arbitrum {\n        swap 1 WETH for USDC on uniswap_v2\n    }\n    repay 100 WETH to aave\n",
    ),
    (
        "missing_brace_before_next_bundle",
        "bundle a on polygon {\n    borrow 1 WETH from aave\n\nbundle b on polygon {\n}\n",
    ),
    (
        "file_ends_mid_header",
        "bundle b on",
    ),
    (
        "stray_closing_brace",
        "bundle b on polygon {\n}\n}\n",
    ),
    (
        "statement_outside_bundle",
        "borrow 100 WETH from aave\n",
    ),
    (
        "constraint_without_colon",
        "bundle b on polygon {\n} constraints {\n    deadline 20\n}\n",
    ),
    (
        "token_declaration_without_decimals",
        "token PEPE 18\nbundle b on polygon {\n}\n",
    ),
];

#[test]
fn lexical_errors() {
    for (name, source) in LEXICAL {
        insta::assert_snapshot!(*name, show(source));
    }
}

#[test]
fn syntax_errors() {
    for (name, source) in SYNTAX {
        insta::assert_snapshot!(*name, show(source));
    }
}

#[test]
fn many_errors_in_one_run() {
    let source = "token PEPE decimals at 0x12
bundle b on polygon {
    borrow 100 WETH frm aave
    let x = borrow 1e18 WETH from aave
    swap 100 WETH 50_000 USDC on uniswap_v2
    on Arbitrum { repay 1 WETH too aave }
    deposit 5 DAI into aave;
} constraints {
    deadline 20
    max_gas: 1_000_000
}
garbage
bundle c on polygon {
    input 1 WETH
";
    insta::assert_snapshot!(show(source));
    assert_eq!(
        codes(source),
        [
            Code::UnexpectedToken,
            Code::MalformedAddress,
            Code::UnexpectedToken,
            Code::MalformedNumber,
            Code::UnexpectedToken,
            Code::MixedCaseWord,
            Code::UnexpectedToken,
            Code::UnexpectedCharacter,
            Code::UnexpectedToken,
            Code::UnexpectedToken,
            Code::UnexpectedEnd,
        ]
    );
}

#[test]
fn each_lexical_error_has_its_code() {
    assert_eq!(
        codes("bundle b on p { input 1e6 }"),
        [Code::MalformedNumber]
    );
    assert_eq!(codes("0x12"), [Code::MalformedAddress]);
    assert_eq!(codes("Weth"), [Code::MixedCaseWord]);
    assert_eq!(codes("/*"), [Code::UnterminatedComment]);
    assert_eq!(codes("@"), [Code::UnexpectedCharacter]);
    assert_eq!(codes("bundle"), [Code::UnexpectedEnd]);
    assert_eq!(codes("}"), [Code::UnexpectedToken]);
}

#[test]
fn the_seed_examples_have_no_syntax_diagnostics() {
    let seeds = include_str!("../../grammar/tests/fixtures/seeds.mesh");
    assert!(codes(seeds).is_empty());
}

/// Every lexical and syntax code (`E00xx`) is explained, its page headed by
/// its code and title; the list comes from the codes themselves, so that a
/// new code cannot be left out.
#[test]
fn every_syntax_code_is_explained() {
    let syntax: Vec<&Code> = Code::ALL
        .iter()
        .filter(|code| code.as_str().starts_with("E00"))
        .collect();
    assert!(syntax.len() >= 10, "{syntax:?}");
    for code in syntax {
        let page = code.explanation().unwrap_or_default();
        assert!(
            page.starts_with(&format!("# {}: {}\n", code.as_str(), code.title())),
            "docs/codes/{code}.md"
        );
    }
}

/// Each case of recovery as the user sees it.
const RECOVERY: &[(&str, &str)] = &[
    (
        "unclosed_inner_block_before_constraints",
        "bundle hop on polygon {\n    input 1 WETH\n    on arbitrum {\n        swap 1 WETH for USDC on uniswap_v2\n    repay 1 WETH to aave\n} constraints {\n    deadline: 20\n}\nbundle next on polygon {\n    input 1 WETH\n}\n",
    ),
    (
        "unclosed_inner_block_at_the_end",
        "bundle hop on polygon {\n    parallel {\n        input 1 WETH\n    } and {\n        on arbitrum {\n            input 1 USDC\n    }\n}\n",
    ),
    (
        "unclosed_block_before_constraints_on_one_line",
        "bundle b on polygon { on arbitrum { input 1 WETH } constraints { deadline: 2 }\n",
    ),
    (
        "syntax_error_after_lexical_error_in_one_statement",
        "bundle b on polygon {\n    borrow 1e18 WETH frm aave\n    input 1 Weth;\n    repay 1 WETH too aave\n}\n",
    ),
    (
        "control_characters",
        "bundle b on polygon {\n    input 1 WETH \u{0}\u{1b}\u{200b}\n}\n",
    ),
];

#[test]
fn recovery() {
    for (name, source) in RECOVERY {
        insta::assert_snapshot!(*name, show(source));
    }
}

#[test]
fn blocks_nested_too_deep_are_one_error() {
    let levels = mesh_grammar::MAX_NESTING + 10;
    let mut source = String::from("bundle deep on polygon {\n");
    source.push_str(&"on arbitrum {\n".repeat(levels));
    source.push_str(&"}\n".repeat(levels));
    source.push_str("}\n");
    assert_eq!(codes(&source), [Code::NestedTooDeep]);
    let (_, diagnostics) = meshc::syntax::parse(&source);
    assert_eq!(
        diagnostics[0].message,
        format!("blocks nested more than {} deep", mesh_grammar::MAX_NESTING)
    );
    assert_eq!(
        diagnostics[0].primary.span.start,
        source
            .match_indices('{')
            .nth(mesh_grammar::MAX_NESTING)
            .map_or(0, |(i, _)| i)
    );
}

mod properties {
    use proptest::prelude::*;

    const VOCABULARY: &[&str] = &[
        "bundle",
        "on",
        "let",
        "borrow",
        "swap",
        "for",
        "from",
        "to",
        "parallel",
        "and",
        "require",
        "constraints",
        "deadline",
        ":",
        "token",
        "decimals",
        "at",
        "polygon",
        "WETH",
        "100",
        "0.5",
        "{",
        "}",
        "(",
        ")",
        "=",
        "==",
        "+",
        "*",
        "1e18",
        "1.5E3",
        "1e",
        "100WETH",
        "100weth",
        "1__0",
        "1.",
        ".5",
        "0x12",
        "0X12",
        "0xZZ",
        "Weth",
        "Polygon",
        "WETH_E",
        "Bundle",
        "/*",
        "*/",
        ";",
        "!",
        "é",
        "€€",
        "\"",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Every syntax error becomes a diagnostic whose labels lie inside
        /// the file, and rendering it never fails.
        #[test]
        fn every_error_renders(words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..60)) {
            let source = words.join(" ");
            let (parsed, diagnostics) = meshc::syntax::parse(&source);
            prop_assert_eq!(parsed.errors.len(), diagnostics.len());
            for d in &diagnostics {
                for label in std::iter::once(&d.primary).chain(&d.secondary) {
                    prop_assert!(label.span.start <= label.span.end && label.span.end <= source.len());
                }
                prop_assert!(!d.message.is_empty());
                prop_assert!(!meshc::diagnostic::render_human("p.mesh", &source, d, false).is_empty());
            }
        }
    }
}

/// A name close to a keyword the parser wanted is a misspelt keyword: the
/// hint names it, and the fix writes it.
#[test]
fn a_misspelt_keyword_gets_a_suggestion() {
    for (source, word, keyword) in [
        (
            "bundle b on p { } constraints { deadlin: 20 }",
            "deadlin",
            "deadline",
        ),
        (
            "bundle b on p { } constraints { max_gs: 20 }",
            "max_gs",
            "max_gas",
        ),
        (
            "bundle b on p { borow 1 WETH from aave }",
            "borow",
            "borrow",
        ),
        ("bundle b on p { borrow 1 WETH frm aave }", "frm", "from"),
        (
            "bundle b on p { withdrw 1 WETH from aave }",
            "withdrw",
            "withdraw",
        ),
    ] {
        let (_, diagnostics) = meshc::syntax::parse(source);
        assert_eq!(diagnostics.len(), 1, "{source}: {diagnostics:?}");
        let d = &diagnostics[0];
        assert_eq!(d.code, Code::UnexpectedToken);
        assert_eq!(
            d.hint.as_deref(),
            Some(format!("did you mean `{keyword}`?").as_str()),
            "{source}"
        );
        let fix = d
            .fix
            .as_deref()
            .map(|f| (&source[f.span.start..f.span.end], f.replacement.as_str()));
        assert_eq!(fix, Some((word, keyword)), "{source}");
    }
    // Nothing close: no suggestion.
    let (_, diagnostics) = meshc::syntax::parse("bundle b on p { } constraints { speed: 20 }");
    assert!(
        diagnostics[0].fix.is_none() && diagnostics[0].hint.is_none(),
        "{diagnostics:?}"
    );
}
