//! The formatter's laws and layout: every example is already canonical;
//! formatting keeps the tree, keeps every comment in order, and is
//! idempotent, on the examples and on random well-formed sources with random
//! whitespace and comments; messy inputs come out as the snapshots show; a
//! file that does not parse is refused.

use mesh_grammar::{parse, CommentKind};
use meshc::format::format_source;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

fn format(source: &str) -> String {
    match format_source(source) {
        Ok(formatted) => formatted,
        Err(error) => panic!("does not format: {error}\n{source}"),
    }
}

/// The comments of `source`, in order, as the formatter must keep them (a
/// line comment's trailing whitespace is not kept).
fn comments(source: &str) -> Vec<String> {
    parse(source)
        .comments
        .iter()
        .map(|comment| {
            let text = source
                .get(comment.span.start..comment.span.end)
                .unwrap_or_default();
            match comment.kind {
                CommentKind::Line => text.trim_end().to_string(),
                CommentKind::Block => text.to_string(),
            }
        })
        .collect()
}

/// The syntax tree of `source` without its spans: what must not change.
fn shape(source: &str) -> String {
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:?}\n{source}", parsed.errors);
    let mut debug = format!("{:#?}", parsed.file);
    // Every span is printed as `Span { start: N, end: M }` (over lines).
    let mut out = String::with_capacity(debug.len());
    while let Some(at) = debug.find("Span {") {
        out.push_str(&debug[..at]);
        out.push_str("Span");
        let rest = &debug[at..];
        let close = rest.find('}').map_or(rest.len(), |i| i + 1);
        debug = rest[close..].to_string();
    }
    out.push_str(&debug);
    out
}

/// Checks every law on one source that parses.
fn assert_laws(source: &str) {
    let once = format(source);
    let twice = format(&once);
    assert_eq!(once, twice, "not idempotent; first pass:\n{once}");
    assert_eq!(
        comments(source),
        comments(&once),
        "comments changed:\n{once}"
    );
    assert_eq!(shape(source), shape(&once), "tree changed:\n{once}");
}

fn example_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|ext| ext == "mesh") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples"),
        &mut files,
    );
    files.sort();
    files
}

#[test]
fn every_example_is_canonical_and_obeys_the_laws() {
    let files = example_files();
    assert!(files.len() >= 6, "examples/ lost its examples: {files:?}");
    for path in files {
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            !source.is_empty(),
            "{} is empty or unreadable",
            path.display()
        );
        assert_laws(&source);
        assert_eq!(
            format(&source),
            source,
            "{} is not canonical",
            path.display()
        );
    }
}

#[test]
fn the_examples_survive_being_crumpled() {
    // Every example, its words one per line and its indentation gone.
    for path in example_files() {
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let crumpled: String = source
            .lines()
            .map(|line| {
                if line.trim_start().starts_with("//") {
                    format!("{}\n", line.trim())
                } else {
                    line.split_whitespace()
                        .map(|word| format!("{word}\n\t"))
                        .collect()
                }
            })
            .collect();
        assert_laws(&crumpled);
        let restored = format(&crumpled);
        // Words on their own lines stay apart only by line breaks, which the
        // layout drops; the blank lines between items come back.
        assert_eq!(restored, source, "{}", path.display());
    }
}

#[test]
fn a_file_that_does_not_parse_is_refused_with_its_first_error() {
    let source = "bundle x on polygon {\n    swap 1 WETH for on uniswap_v2\n    borrow\n}\n";
    let error = match format_source(source) {
        Ok(formatted) => panic!("formatted a broken file:\n{formatted}"),
        Err(error) => error,
    };
    assert_eq!((error.line, error.column), (2, 21));
    assert!(!error.errors.is_empty());
    insta::assert_snapshot!(error.to_string(), @"2:21: unexpected `on`, expected `all`, a name, a token symbol like `WETH`, a number, `(` (and 1 more syntax error)");
}

#[test]
fn lexical_errors_are_refused_too() {
    for source in [
        "bundle x on polygon { input 100WETH }",
        "token PEPE decimals 18 at 0x1234",
        "/* never closed",
        "bundle x on Polygon {}",
        "bundle x on polygon { input 1 WETH; }",
    ] {
        assert!(format_source(source).is_err(), "formatted {source:?}");
    }
}

#[test]
fn the_longest_amounts_the_parser_allows_are_formatted() {
    // Generated sources can hold long sums and deep parentheses, up to the
    // parser's bound on an amount's length; beyond it the file is refused.
    // Dropping such a tree recurses (its nodes are boxed), hence the stack.
    let run = || {
        let limit = mesh_grammar::MAX_AMOUNT_TOKENS;
        let depth = (limit - 2) / 2;
        let parens = format!(
            "bundle x on polygon {{ input {}1 WETH{} }}",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        let expected = format!(
            "bundle x on polygon {{\n    input {}1 WETH{}\n}}\n",
            "(".repeat(depth),
            ")".repeat(depth)
        );
        assert_eq!(format(&parens), expected);
        let terms = (limit - 2) / 3;
        let sum = format!(
            "bundle x on polygon {{ input 1 WETH{} }}",
            " +  1 WETH".repeat(terms)
        );
        assert!(format(&sum).ends_with(" + 1 WETH\n}\n"));
        let too_long = format!(
            "bundle x on polygon {{ input 1 WETH{} }}",
            " + 1 WETH".repeat(terms + 1)
        );
        assert!(format_source(&too_long).is_err());
    };
    let outcome = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .map(std::thread::JoinHandle::join);
    assert!(matches!(outcome, Ok(Ok(()))), "{outcome:?}");
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(format(""), "");
    assert_eq!(format(" \n\n\t\n"), "");
    assert_eq!(
        format("\n\n// only a comment   \n\n\n"),
        "// only a comment\n"
    );
    assert_eq!(format("/* a */ /* b */"), "/* a */ /* b */\n");
    assert_eq!(format("// a\n\n\n// b"), "// a\n\n// b\n");
}

#[test]
fn windows_line_endings_become_unix_ones() {
    let source = "// note\r\nbundle x on polygon {\r\n    input 1 WETH // why\r\n}\r\n";
    assert_eq!(
        format(source),
        "// note\nbundle x on polygon {\n    input 1 WETH // why\n}\n"
    );
}

#[test]
fn carriage_return_line_endings_end_lines_and_comments() {
    let source =
        "// note\rbundle x on polygon {\r\r    input 1 WETH // why\r\r\r    input 2 WETH\r}\r";
    assert_eq!(
        format(source),
        "// note\nbundle x on polygon {\n    input 1 WETH // why\n\n    input 2 WETH\n}\n"
    );
    assert_laws(source);
}

#[test]
fn a_byte_order_mark_is_kept_and_the_rest_formatted() {
    let source = "\u{FEFF}bundle   x on polygon{input 1 WETH}";
    assert_eq!(
        format(source),
        "\u{FEFF}bundle x on polygon {\n    input 1 WETH\n}\n"
    );
    assert_laws(source);
}

#[test]
fn numbers_names_and_addresses_stay_as_written() {
    let source = "token  T1 decimals 0_6 at 0xAbCdEf0123456789aBcDeF0123456789AbCdEf01\n\
                  bundle b on base { input 1_0.2_5 T1 require 0.500 T1*1_0 != (((1 T1))) }";
    insta::assert_snapshot!(format(source), @r"
    token T1 decimals 0_6 at 0xAbCdEf0123456789aBcDeF0123456789AbCdEf01

    bundle b on base {
        input 1_0.2_5 T1
        require 0.500 T1 * 1_0 != (((1 T1)))
    }
    ");
}

#[test]
fn positions_are_laid_out_like_every_statement() {
    let source = "bundle b on base{assume   debt 5_000 USDC at compound assume collateral 3 WETH at compound\nlet owed=borrow 1 USDC from aave as\n debt /* kept */ repay owed to aave}constraints{min_health:1.5}";
    insta::assert_snapshot!(format(source), @r"
    bundle b on base {
        assume debt 5_000 USDC at compound
        assume collateral 3 WETH at compound
        let owed = borrow 1 USDC from aave as debt /* kept */
        repay owed to aave
    } constraints {
        min_health: 1.5
    }
    ");
    assert_laws(source);
}

// Messy inputs, each with the layout it must come out in.

#[test]
fn snapshot_everything_on_one_line() {
    let source = "token PEPE decimals 18 at 0x6982508145454Ce325dDbE47a25d4ec3d2311933 bundle a on polygon { let loan = borrow 100 WETH from aave let there = bridge loan to arbitrum via zk on arbitrum { let u = swap there for 190_000 USDC on uniswap_v2 swap u for WETH on sushiswap } repay 100 WETH to aave } constraints { deadline: 20 max_gas: 2_000_000 min_balance: 1 WETH on arbitrum min_security: zk invariant: constant_product }";
    insta::assert_snapshot!(format(source));
}

#[test]
fn snapshot_badly_indented() {
    let source = "
        bundle  parallel_rebalance   on ethereum{
  parallel{
on arbitrum{
                input 5_000 USDC
  swap all USDC for 1.5 WETH on uniswap_v2}
}and{ on optimism {
        input 2 WETH
  deposit  all  WETH  into  aave
        }   }
and {}
              }constraints{deadline:6}
";
    insta::assert_snapshot!(format(source));
}

#[test]
fn snapshot_blank_lines() {
    let source = "


// header, then three blank lines



token A decimals 6
token B decimals 6


token C decimals 6
bundle x on polygon {


    input 1 WETH



    input 2 WETH
    input 3 WETH

    // a comment after a blank line

    input 4 WETH


}



constraints {

    deadline: 5


    max_gas: 100

}
bundle y on base {}


";
    insta::assert_snapshot!(format(source));
}

#[test]
fn snapshot_comments_in_every_position() {
    let source = "// file header
/* block header */
bundle /* name */ flash on /* chain */ polygon { // after the opening brace
    // before a statement
    let /* a */ loan /* b */ = /* c */ borrow /* d */ 100 /* e */ WETH /* f */ from /* g */ aave // trailing
    swap loan for // a line comment in the middle of a statement
        190_000 USDC
    // on its own line in the middle of a statement
    on uniswap_v2
    require ( /* in parens */ all WETH - 1 WETH ) >= 0.5 WETH /* trailing block */
    parallel { input 1 DAI } // after a brace
    and /* between branches */ {
        /* only a comment */
    }
    on arbitrum {
        // only a comment
    }
    /* block before close */
} // after the closing brace
constraints { deadline /* why */ : 20 // trailing constraint
    // before the closing brace of the constraints
} /* after everything */ // and more
// between items
token PEPE /* sym */ decimals 18 // trailing token
/* a block comment
   over lines, /* nested */
   kept verbatim */
// the end
";
    let formatted = format(source);
    assert_laws(source);
    insta::assert_snapshot!(formatted);
}

#[test]
fn snapshot_comments_glued_to_words() {
    let source =
        "bundle x on polygon{/*a*/input/*b*/1 WETH/*c*/}/*d*/constraints{/*e*/deadline:1/*f*/}";
    assert_laws(source);
    insta::assert_snapshot!(format(source));
}

// Random well-formed sources.

fn pick(words: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::sample::select(words).prop_map(|word| vec![word.to_string()])
}

fn ident() -> impl Strategy<Value = Vec<String>> {
    pick(&["aave", "uniswap_v2", "polygon", "loan", "x", "a_1", "zk"])
}

fn symbol() -> impl Strategy<Value = Vec<String>> {
    pick(&["WETH", "USDC", "DAI", "T1"])
}

fn number() -> impl Strategy<Value = Vec<String>> {
    pick(&["1", "100", "1_000", "0.5", "2.25", "10_000.75", "007"])
}

fn words(parts: Vec<Vec<String>>) -> Vec<String> {
    parts.into_iter().flatten().collect()
}

fn word(text: &str) -> Vec<String> {
    vec![text.to_string()]
}

fn amount() -> impl Strategy<Value = Vec<String>> {
    let leaf = prop_oneof![
        (number(), symbol()).prop_map(|(n, s)| words(vec![n, s])),
        number(),
        symbol().prop_map(|s| words(vec![word("all"), s])),
        ident(),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), pick(&["+", "-", "*", "/"]), inner.clone())
                .prop_map(|(l, op, r)| words(vec![l, op, r])),
            inner.prop_map(|a| words(vec![word("("), a, word(")")])),
        ]
    })
}

fn action() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (pick(&["borrow", "withdraw"]), amount(), ident()).prop_map(|(k, a, p)| words(vec![
            k,
            a,
            word("from"),
            p
        ])),
        (amount(), ident()).prop_map(|(a, p)| words(vec![
            word("borrow"),
            a,
            word("from"),
            p,
            word("as"),
            word("debt")
        ])),
        (amount(), ident()).prop_map(|(a, p)| words(vec![word("repay"), a, word("to"), p])),
        (amount(), ident()).prop_map(|(a, p)| words(vec![word("deposit"), a, word("into"), p])),
        (amount(), prop_oneof![amount(), symbol()], ident()).prop_map(|(a, out, p)| words(vec![
            word("swap"),
            a,
            word("for"),
            out,
            word("on"),
            p
        ])),
        (amount(), ident(), prop::option::of(ident())).prop_map(|(a, c, via)| {
            let via = via.map_or_else(Vec::new, |v| words(vec![word("via"), v]));
            words(vec![word("bridge"), a, word("to"), c, via])
        }),
    ]
}

fn block(stmt: impl Strategy<Value = Vec<String>>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(stmt, 0..4)
        .prop_map(|stmts| words(vec![word("{"), words(stmts), word("}")]))
}

fn stmt() -> impl Strategy<Value = Vec<String>> {
    let simple = prop_oneof![
        (ident(), action()).prop_map(|(n, a)| words(vec![word("let"), n, word("="), a])),
        action(),
        amount().prop_map(|a| words(vec![word("input"), a])),
        (
            amount(),
            pick(&[">=", "<=", ">", "<", "==", "!="]),
            amount()
        )
            .prop_map(|(l, op, r)| words(vec![word("require"), l, op, r])),
        (pick(&["debt", "collateral"]), amount(), ident()).prop_map(|(p, a, l)| words(vec![
            word("assume"),
            p,
            a,
            word("at"),
            l
        ])),
    ];
    simple.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            (ident(), block(inner.clone())).prop_map(|(c, b)| words(vec![word("on"), c, b])),
            prop::collection::vec(block(inner), 2..4).prop_map(|branches| {
                let mut out = word("parallel");
                for (i, branch) in branches.into_iter().enumerate() {
                    if i > 0 {
                        out.push("and".to_string());
                    }
                    out.extend(branch);
                }
                out
            }),
        ]
    })
}

fn constraint() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (pick(&["deadline", "max_gas", "min_health"]), number()).prop_map(|(k, n)| words(vec![
            k,
            word(":"),
            n
        ])),
        (amount(), prop::option::of(ident())).prop_map(|(a, c)| {
            let on = c.map_or_else(Vec::new, |c| words(vec![word("on"), c]));
            words(vec![word("min_balance"), word(":"), a, on])
        }),
        (pick(&["invariant", "min_security"]), ident()).prop_map(|(k, n)| words(vec![
            k,
            word(":"),
            n
        ])),
    ]
}

fn item() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        (symbol(), number(), any::<bool>()).prop_map(|(s, n, at)| {
            let mut out = words(vec![word("token"), s, word("decimals"), n]);
            if at {
                out.push("at".to_string());
                out.push("0x6982508145454Ce325dDbE47a25d4ec3d2311933".to_string());
            }
            out
        }),
        (
            ident(),
            ident(),
            block(stmt()),
            prop::option::of(prop::collection::vec(constraint(), 0..3)),
        )
            .prop_map(|(name, home, body, constraints)| {
                let mut out = words(vec![word("bundle"), name, word("on"), home, body]);
                if let Some(items) = constraints {
                    out.push("constraints".to_string());
                    out.push("{".to_string());
                    out.extend(words(items));
                    out.push("}".to_string());
                }
                out
            }),
    ]
}

/// What may separate two words: whitespace, or comments of every kind.
fn separator() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(" ".to_string()),
        2 => Just("\n".to_string()),
        1 => Just("\n\n\n  ".to_string()),
        1 => Just("\t \r\n".to_string()),
        1 => Just("\r\r  ".to_string()),
        1 => (0..1000u32).prop_map(|n| format!(" // c{n}\r")),
        1 => (0..1000u32).prop_map(|n| format!(" /* c{n} */ ")),
        1 => (0..1000u32).prop_map(|n| format!(" // c{n}\n")),
        1 => (0..1000u32).prop_map(|n| format!("\n\n    // c{n}  \n\n")),
        1 => (0..1000u32).prop_map(|n| format!("\n/* c{n} /* nested */ */\n")),
        1 => (0..1000u32).prop_map(|n| format!("\n/* c{n}\n     over lines */ ")),
    ]
}

fn source() -> impl Strategy<Value = String> {
    prop::collection::vec(item(), 0..4)
        .prop_map(words)
        .prop_flat_map(|words| {
            let gaps = words.len() + 1;
            (Just(words), prop::collection::vec(separator(), gaps))
        })
        .prop_map(|(words, gaps)| {
            let mut out = String::new();
            for (gap, word) in gaps
                .iter()
                .zip(words.iter().map(String::as_str).chain([""]))
            {
                out.push_str(gap);
                out.push_str(word);
            }
            out
        })
}

/// The words of every example, with its comments.
fn example_words() -> Vec<Vec<String>> {
    example_files()
        .iter()
        .map(|path| {
            let source = std::fs::read_to_string(path).unwrap_or_default();
            source
                .lines()
                .flat_map(|line| match line.find("//") {
                    Some(at) => {
                        let mut words: Vec<String> =
                            line[..at].split_whitespace().map(str::to_string).collect();
                        words.push(format!("{}\n", &line[at..]));
                        words
                    }
                    None => line.split_whitespace().map(str::to_string).collect(),
                })
                .collect()
        })
        .collect()
}

/// An example with a few words dropped, doubled or swapped, and comments
/// slipped in: sometimes still well-formed, often not.
fn mutated_example() -> impl Strategy<Value = String> {
    let examples = example_words();
    let count = examples.len().max(1);
    (
        0..count,
        prop::collection::vec((0..3u8, any::<prop::sample::Index>()), 0..4),
        prop::collection::vec((any::<prop::sample::Index>(), separator()), 0..4),
    )
        .prop_map(move |(which, edits, gaps)| {
            let mut words = examples.get(which).cloned().unwrap_or_default();
            for (edit, at) in edits {
                if words.len() < 2 {
                    break;
                }
                let i = at.index(words.len() - 1);
                match edit {
                    0 => {
                        words.remove(i);
                    }
                    1 => words.insert(i, words[i].clone()),
                    _ => words.swap(i, i + 1),
                }
            }
            for (at, gap) in gaps {
                let i = at.index(words.len() + 1);
                words.insert(i, gap);
            }
            words.join(" ")
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn formatting_keeps_tree_and_comments_and_is_idempotent(source in source()) {
        assert_laws(&source);
    }

    #[test]
    fn a_mutated_example_is_formatted_lawfully_or_refused(source in mutated_example()) {
        let parsed = parse(&source);
        match format_source(&source) {
            Ok(_) => {
                prop_assert!(parsed.errors.is_empty());
                assert_laws(&source);
            }
            Err(error) => {
                prop_assert!(!parsed.errors.is_empty());
                prop_assert!(error.line >= 1 && error.column >= 1);
            }
        }
    }

    #[test]
    fn formatting_never_panics_on_arbitrary_text(source in "[a-z0-9_ {}():=+*/<>!\\n]{0,80}") {
        let _ = format_source(&source);
    }

    #[test]
    fn formatted_lines_are_clean(source in source()) {
        let formatted = format(&source);
        // Outside block comments (verbatim), no line ends in whitespace,
        // indentation is whole levels of four spaces, and no two blank
        // lines follow each other.
        prop_assert!(!formatted.contains("\n\n\n"), "{}", formatted);
        prop_assert!(!formatted.starts_with('\n'));
        prop_assert!(formatted.is_empty() || formatted.ends_with('\n'));
        for line in formatted.lines() {
            if line.contains("/*") || line.contains("*/") || line.contains("over lines") {
                continue;
            }
            prop_assert_eq!(line.trim_end(), line);
            let indent = line.len() - line.trim_start().len();
            prop_assert_eq!(indent % 4, 0, "{}", formatted);
            prop_assert!(!line.contains('\t'));
        }
    }
}
