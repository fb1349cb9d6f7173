//! Laws of the lexer and parser on arbitrary input: never a panic, spans
//! always inside the file and on character boundaries, deterministic.

use mesh_grammar::*;
use proptest::prelude::*;

fn check_span(source: &str, span: Span, what: &str) {
    assert!(span.start <= span.end, "{what} {span} is reversed");
    assert!(span.end <= source.len(), "{what} {span} leaves the file");
    assert!(
        source.is_char_boundary(span.start) && source.is_char_boundary(span.end),
        "{what} {span} splits a character"
    );
}

fn check(source: &str) {
    let parsed = parse(source);
    for error in &parsed.errors {
        check_span(source, error.span, "error");
        if let SyntaxErrorKind::UnexpectedToken { context, .. }
        | SyntaxErrorKind::UnexpectedEnd { context, .. } = &error.kind
        {
            if let Some(brace) = context.open_brace {
                check_span(source, brace, "open brace");
            }
        }
        if let SyntaxErrorKind::UnclosedBlock {
            brace,
            found,
            lines_up_with,
        } = &error.kind
        {
            check_span(source, *brace, "unclosed brace");
            check_span(source, *found, "where the brace is missing");
            assert!(error.span.start <= brace.start && brace.end <= found.start);
            if let Some(outer) = lines_up_with {
                check_span(source, *outer, "outer header");
            }
        }
    }
    assert!(
        parsed
            .errors
            .windows(2)
            .all(|w| (w[0].span.start, w[0].span.end) <= (w[1].span.start, w[1].span.end)),
        "errors are not sorted"
    );
    for comment in &parsed.comments {
        check_span(source, comment.span, "comment");
    }
    for item in &parsed.file.items {
        check_span(source, item.span(), "item");
    }
    let tokens = lex(source);
    for token in &tokens {
        check_span(source, token.span, "token");
    }
    assert!(
        tokens.windows(2).all(|w| w[0].span.end <= w[1].span.start),
        "tokens overlap"
    );
    assert_eq!(parse(source), parsed, "parse is not deterministic");
}

/// Valid tokens and junk, to be strung together with spaces.
const EXTRA_VOCABULARY: &[&str] = &[
    "polygon",
    "aave",
    "x",
    "WETH",
    "USDC",
    "100",
    "1_000.5",
    "0x6982508145454Ce325dDbE47a25d4ec3d2311933",
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
    "<=",
    ">",
    "<",
    "==",
    "!=",
    "// c\n",
    "/* c */",
    "/*",
    "*/",
    "1e18",
    "Weth",
    "0x12",
    ";",
    "é",
    "\u{1F600}",
    "!",
    ".5",
];

/// Every keyword of the language, then the extra words above.
static VOCABULARY: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    mesh_grammar::KEYWORDS
        .iter()
        .chain(EXTRA_VOCABULARY)
        .copied()
        .collect()
});

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(VOCABULARY.clone()),
            prop::sample::select(&[" ", "\n", "", "\n    ", "\r", "\r\n  "][..]),
        ),
        0..120,
    )
    .prop_map(|words| {
        words
            .into_iter()
            .flat_map(|(word, gap)| [word, gap])
            .collect::<String>()
    })
}

/// A valid bundle with one word replaced by a piece of the vocabulary.
const BASE: &str = "bundle b on polygon { let x = borrow 1 WETH from aave swap x for 2 USDC on uniswap_v2 on base { bridge 1 WETH to polygon via zk } parallel { input 1 DAI } and { } repay 1 WETH to aave } constraints { deadline: 5 min_balance: 1 USDC on base }";

fn mutated_bundle() -> impl Strategy<Value = String> {
    let words: Vec<&'static str> = BASE.split(' ').collect();
    let count = words.len();
    (
        0..count,
        prop::sample::select(VOCABULARY.clone()),
        0..count,
        prop::sample::select(VOCABULARY.clone()),
    )
        .prop_map(move |(i, a, j, b)| {
            let mut words = words.clone();
            words[i] = a;
            words[j] = b;
            words.join(" ")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_break_the_parser(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_text_never_breaks_the_parser(source in "\\PC{0,200}") {
        check(&source);
    }

    #[test]
    fn random_token_sequences_never_break_the_parser(source in token_soup()) {
        check(&source);
    }

    #[test]
    fn mutated_bundles_never_break_the_parser(source in mutated_bundle()) {
        check(&source);
    }

    /// Two mutations that keep the braces and items in place make at most
    /// two errors each: recovery does not cascade through the file.
    #[test]
    fn mutations_do_not_cascade(source in mutated_bundle()) {
        let structural = ["{", "}", "bundle", "token", "constraints", "/*", "*/", "// c\n"];
        let original: Vec<&str> = BASE.split(' ').collect();
        let mutated: Vec<&str> = source.split(' ').collect();
        prop_assume!(original.len() == mutated.len());
        prop_assume!(original
            .iter()
            .zip(&mutated)
            .all(|(a, b)| a == b || !(structural.contains(a) || structural.contains(b))));
        let parsed = parse(&source);
        prop_assert!(parsed.errors.len() <= 4, "{source}\n{:#?}", parsed.errors);
    }
}

#[test]
fn a_valid_file_survives_comments_anywhere() {
    let words = [
        "bundle",
        "b",
        "on",
        "polygon",
        "{",
        "swap",
        "1",
        "WETH",
        "for",
        "2",
        "USDC",
        "on",
        "uniswap_v2",
        "}",
    ];
    for at in 0..=words.len() {
        let mut with_comment: Vec<&str> = words.to_vec();
        with_comment.insert(at, "/* here */");
        let source = with_comment.join(" ");
        let parsed = parse(&source);
        assert!(parsed.errors.is_empty(), "{source}: {:?}", parsed.errors);
        assert_eq!(parsed.comments.len(), 1);
    }
}
