//! Error recovery: one run reports every mistake in a file, each once.

use mesh_grammar::*;

/// Each error as `kind "text at its span"`.
fn errors(source: &str) -> Vec<String> {
    parse(source)
        .errors
        .iter()
        .map(|e| {
            let kind = match &e.kind {
                SyntaxErrorKind::UnexpectedToken { .. } => "token",
                SyntaxErrorKind::UnexpectedEnd { .. } => "end",
                SyntaxErrorKind::MalformedNumber { .. } => "number",
                SyntaxErrorKind::MalformedAddress { .. } => "address",
                SyntaxErrorKind::MixedCaseWord { .. } => "case",
                SyntaxErrorKind::UnterminatedComment => "comment",
                SyntaxErrorKind::UnexpectedCharacter { .. } => "character",
                SyntaxErrorKind::AmountTooLong { .. } => "long",
                SyntaxErrorKind::UnclosedBlock { .. } => "unclosed",
                SyntaxErrorKind::NestedTooDeep { .. } => "deep",
            };
            format!("{kind} {:?}", &source[e.span.start..e.span.end])
        })
        .collect()
}

fn stmt_kinds(file: &File) -> Vec<&'static str> {
    let Some(Item::Bundle(bundle)) = file.items.first() else {
        panic!("no bundle: {file:?}");
    };
    bundle
        .body
        .stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Error => "error",
            StmtKind::Action(a) => a.kind.keyword(),
            StmtKind::Let { .. } => "let",
            StmtKind::Input(_) => "input",
            StmtKind::On { .. } => "on",
            StmtKind::Parallel { .. } => "parallel",
            StmtKind::Require { .. } => "require",
            StmtKind::Assume { .. } => "assume",
        })
        .collect()
}

#[test]
fn several_errors_in_one_file_are_all_reported() {
    let source = "bundle a on polygon {
    borrow 100 WETH frm aave
    repay 100 WETH too aave
    let x = borrow 1e18 WETH from aave
    swap 1 WETH for USDC on uniswap_v2;
    require all USDC = 5 USDC
    deposit 5 DAI into aave
}";
    assert_eq!(
        errors(source),
        [
            r#"token "frm""#,
            r#"token "too""#,
            r#"number "1e18""#,
            r#"character ";""#,
            r#"token "=""#,
        ]
    );
    // The statements around the errors are still in the tree; a statement
    // with only a lexical error is read with a stand-in for the bad word.
    let parsed = parse(source);
    assert_eq!(
        stmt_kinds(&parsed.file),
        ["error", "error", "let", "swap", "error", "deposit"]
    );
}

#[test]
fn a_broken_swap_then_its_on_gives_one_error() {
    let source = "bundle a on polygon {
    swap 100 WETH 50_000 USDC on uniswap_v2
    repay 100 WETH to aave
}";
    assert_eq!(errors(source), [r#"token "50_000""#]);
    let parsed = parse(source);
    assert_eq!(stmt_kinds(&parsed.file), ["error", "error", "repay"]);

    // Also as the last statement of a block, and after a lexical error.
    assert_eq!(
        errors("bundle a on p { swap 1 WETH 2 USDC on uniswap_v2 }"),
        [r#"token "2""#]
    );
    assert_eq!(
        errors("bundle a on p { swap 1 Weth for 2 USDC on uniswap_v2 borrow 1 WETH from aave }"),
        [r#"case "Weth""#]
    );
}

#[test]
fn a_second_broken_statement_after_a_recovery_is_still_reported() {
    let source = "bundle a on p {
    borrow 1 WETH frm aave
    repay 1 WETH too aave
}";
    assert_eq!(errors(source), [r#"token "frm""#, r#"token "too""#]);
}

#[test]
fn a_lexical_error_gives_only_the_lexical_diagnostic() {
    for (source, expected) in [
        (
            "bundle a on p { borrow 1e18 WETH from aave }",
            r#"number "1e18""#,
        ),
        (
            "bundle a on p { borrow 100WETH from aave }",
            r#"number "100WETH""#,
        ),
        (
            "bundle a on p { bridge x to Arbitrum }",
            r#"case "Arbitrum""#,
        ),
        ("token X decimals 18 at 0x1234", r#"address "0x1234""#),
        ("bundle a on p { input 1 WETH € }", r#"character "€""#),
        ("bundle Flash on p { }", r#"case "Flash""#),
    ] {
        assert_eq!(errors(source), [expected], "{source}");
    }
}

#[test]
fn a_broken_header_keeps_the_block_and_its_errors() {
    let source = "bundle a on Polygon {
    on Arbitrum { swap 1 WETH for USDC on uniswap_v2 }
    repay 1 WETH too aave
}
bundle b on polygon { }";
    assert_eq!(
        errors(source),
        [r#"case "Polygon""#, r#"case "Arbitrum""#, r#"token "too""#]
    );
    // `Polygon` stands in as a name after `on`: the bundle keeps its tree.
    let parsed = parse(source);
    assert!(matches!(&parsed.file.items[0], Item::Bundle(a) if a.home.name == "Polygon"));
    assert_eq!(stmt_kinds(&parsed.file), ["on", "error"]);
    assert!(matches!(&parsed.file.items[1], Item::Bundle(b) if b.name.name == "b"));
}

#[test]
fn errors_inside_constraints() {
    let source = "bundle a on p { } constraints {
    deadline 20
    max_gas: x
    min_balance: 5 USDC on polygon
    invariant: Constant
    invariant: constant_product
}";
    assert_eq!(
        errors(source),
        [r#"token "20""#, r#"token "x""#, r#"case "Constant""#]
    );
    let parsed = parse(source);
    let Some(Item::Bundle(bundle)) = parsed.file.items.first() else {
        panic!()
    };
    let kinds: Vec<bool> = bundle
        .constraints
        .iter()
        .flat_map(|c| &c.items)
        .map(|c| c.kind == ConstraintKind::Error)
        .collect();
    // `Constant` stands in as a name after `invariant:`.
    assert_eq!(kinds, [true, true, false, false, false]);
}

#[test]
fn errors_between_items() {
    let source = "garbage here
bundle a on p { }
} stray
token PEPE decimals at 0x6982508145454Ce325dDbE47a25d4ec3d2311933
token GHO decimals 18
bundle b on p { }";
    assert_eq!(
        errors(source),
        [r#"token "garbage""#, r#"token "}""#, r#"token "at""#]
    );
    let parsed = parse(source);
    let items: Vec<&str> = parsed
        .file
        .items
        .iter()
        .map(|i| match i {
            Item::Error(_) => "error",
            Item::Token(_) => "token",
            Item::Bundle(_) => "bundle",
        })
        .collect();
    assert_eq!(
        items,
        ["error", "bundle", "error", "error", "token", "bundle"]
    );
}

#[test]
fn a_missing_brace_at_the_end_is_reported_once_with_the_open_brace() {
    let source = "bundle a on polygon {
    on arbitrum {
        swap 1 WETH for USDC on uniswap_v2
    }
    repay 100 WETH to aave
";
    let parsed = parse(source);
    assert_eq!(parsed.errors.len(), 1, "{:#?}", parsed.errors);
    let error = &parsed.errors[0];
    let end = source.trim_end().len();
    assert_eq!(error.span, Span::new(end, end));
    let SyntaxErrorKind::UnexpectedEnd {
        expected_tokens,
        context,
        ..
    } = &error.kind
    else {
        panic!("{error:?}")
    };
    assert!(expected_tokens.contains(&TokenKind::RBrace));
    assert_eq!(context.open_brace, Some(Span::new(20, 21)));
}

#[test]
fn a_missing_brace_before_the_next_bundle_is_the_unclosed_bundle() {
    let source = "bundle a on polygon {
    borrow 1 WETH from aave
bundle b on polygon { }";
    let parsed = parse(source);
    assert_eq!(errors(source), [r#"unclosed "bundle a on polygon {""#]);
    let SyntaxErrorKind::UnclosedBlock {
        brace,
        found,
        lines_up_with,
    } = &parsed.errors[0].kind
    else {
        panic!("{:?}", parsed.errors)
    };
    assert_eq!(*brace, Span::new(20, 21));
    assert_eq!(&source[found.start..found.end], "bundle");
    assert_eq!(*lines_up_with, None);
    // Both bundles keep their trees.
    assert_eq!(stmt_kinds(&parsed.file), ["borrow"]);
    assert!(matches!(&parsed.file.items[1], Item::Bundle(b) if b.name.name == "b"));
}

/// The `}` meant for the bundle closes the inner block instead: by
/// indentation, the inner block is the one without a `}`, and the rest of
/// the file reads as written — no error at `constraints`, at `deadline`, or
/// at the next bundle.
#[test]
fn an_unclosed_inner_block_is_found_by_the_brace_that_lines_up_with_the_bundle() {
    let source = "bundle b on polygon {
    input 1 WETH
    on arbitrum {
        swap 1 WETH for USDC on uniswap_v2
    repay 1 WETH to aave
} constraints {
    deadline: 20
}
bundle c on polygon {
    input 1 WETH
}
";
    let parsed = parse(source);
    assert_eq!(errors(source), [r#"unclosed "on arbitrum {""#]);
    let SyntaxErrorKind::UnclosedBlock {
        found,
        lines_up_with,
        ..
    } = &parsed.errors[0].kind
    else {
        panic!("{:?}", parsed.errors)
    };
    let closing = source.find("} constraints").unwrap_or(0);
    assert_eq!(*found, Span::new(closing, closing + 1));
    let outer = lines_up_with.unwrap_or_default();
    assert_eq!(&source[outer.start..outer.end], "bundle b on polygon {");
    // The inner block holds everything up to the `}`.
    let Some(Item::Bundle(bundle)) = parsed.file.items.first() else {
        panic!("no bundle")
    };
    assert_eq!(stmt_kinds(&parsed.file), ["input", "on"]);
    assert!(bundle.constraints.is_some());
    let StmtKind::On { block, .. } = &bundle.body.stmts[1].kind else {
        panic!()
    };
    assert_eq!(block.stmts.len(), 2);
    assert!(matches!(&parsed.file.items[1], Item::Bundle(c) if c.name.name == "c"));

    // Without the `constraints` block, and at the end of the file.
    let source = "bundle b on polygon {\n    on arbitrum {\n        input 1 WETH\n}\n";
    assert_eq!(errors(source), [r#"unclosed "on arbitrum {""#]);
    // Two levels missing; a `parallel` branch.
    let source = "bundle b on p {\n    parallel {\n        on arbitrum {\n            input 1 WETH\n    } and {\n    }\n}\n";
    assert_eq!(errors(source), [r#"unclosed "on arbitrum {""#]);
    let source = "bundle b on p {\n    on a {\n        on b {\n            input 1 WETH\n}\n";
    assert_eq!(
        errors(source),
        [r#"unclosed "on a {""#, r#"unclosed "on b {""#]
    );
}

/// Where indentation says nothing, the braces are taken as written.
#[test]
fn braces_that_line_up_or_balance_are_left_alone() {
    // Balanced: an odd indentation is not a missing `}`.
    let source = "bundle b on p {\n    on arbitrum {\n        input 1 WETH\n}\n    }\n";
    assert!(errors(source).is_empty(), "{:?}", errors(source));
    // A `}` that lines up with no block: the end of the file is reported.
    let source = "bundle b on p {\n    on arbitrum {\n        input 1 WETH\n  }\n";
    assert_eq!(errors(source), ["end \"\""]);
    // A keyword misused as a name is not a new item.
    let source = "bundle b on p {\n    let token = borrow 1 WETH from aave\n}\n";
    assert_eq!(errors(source), [r#"token "token""#]);
    // On one line, `constraints` still shows where the bundle should end.
    let source = "bundle b on p { on arbitrum { input 1 WETH } constraints { deadline: 2 }";
    assert_eq!(errors(source), [r#"unclosed "bundle b on p {""#]);
}

#[test]
fn an_unterminated_comment_is_the_only_error() {
    let source = "bundle a on polygon {
    swap 1 WETH for USDC on uniswap_v2 /* open /* nested */
    repay 1 WETH to aave
}";
    assert_eq!(errors(source), [r#"comment "/*""#]);
}

#[test]
fn a_missing_parenthesis_recovers_inside_the_statement() {
    let source = "bundle a on p {
    input (1 WETH + ) 
    repay (1 WETH to aave
    deposit 1 DAI into aave
}";
    assert_eq!(errors(source), [r#"token ")""#, r#"token "to""#]);
    let parsed = parse(source);
    assert_eq!(stmt_kinds(&parsed.file), ["input", "error", "deposit"]);
}

#[test]
fn the_construct_and_the_expected_tokens_are_named() {
    let parsed = parse("bundle a on p { swap 1 WETH 2 USDC on uniswap_v2 }");
    let SyntaxErrorKind::UnexpectedToken {
        found,
        found_kind,
        expected,
        context,
        ..
    } = &parsed.errors[0].kind
    else {
        panic!()
    };
    assert_eq!(found, "2");
    assert_eq!(*found_kind, TokenKind::Number);
    assert_eq!(expected, &["`for`", "`+`", "`-`", "`*`", "`/`"]);
    assert_eq!(context.construct.map(|c| c.kind), Some(TokenKind::Swap));
    assert_eq!(context.open_brace, None);

    let parsed = parse("bundle a on p { let = borrow 1 WETH from aave }");
    let SyntaxErrorKind::UnexpectedToken { expected, .. } = &parsed.errors[0].kind else {
        panic!()
    };
    assert_eq!(expected, &["a name"]);
}

/// A file that ends inside a bundle — the bundle being typed — keeps the
/// tree of everything written so far, closed where the file ends; the one
/// error is still the missing `}`.
#[test]
fn a_file_ending_inside_a_bundle_keeps_its_statements() {
    let source = "bundle b on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    on arbitrum {\n        bridge";
    let parsed = parse(source);
    assert_eq!(errors(source), ["end \"\""]);
    assert_eq!(stmt_kinds(&parsed.file), ["input", "let", "on"]);
    let Some(Item::Bundle(bundle)) = parsed.file.items.first() else {
        panic!("no bundle");
    };
    assert_eq!(bundle.span.end, source.len());

    // Closed blocks and earlier bundles are as they were.
    let two =
        "bundle a on polygon {\n    input 1 WETH\n}\nbundle b on polygon {\n    input 2 WETH\n";
    let parsed = parse(two);
    assert_eq!(parsed.file.items.len(), 2);
    assert_eq!(errors(two), ["end \"\""]);
}

/// A lexical error is reported, and the parser reads on as if the word were
/// what it most likely is: the syntax errors after it, in the same
/// statement too, are reported in the same run — fixing the lexical error
/// reveals nothing new.
#[test]
fn syntax_errors_after_a_lexical_error_are_not_hidden() {
    for (source, expected) in [
        (
            "bundle a on p { borrow 1e18 WETH frm aave }",
            vec![r#"number "1e18""#, r#"token "frm""#],
        ),
        (
            "bundle a on p { input 1 Weth frm }",
            vec![r#"case "Weth""#, r#"token "frm""#],
        ),
        (
            "bundle a on Polygon { borrow 1 WETH frm aave }",
            vec![r#"case "Polygon""#, r#"token "frm""#],
        ),
        (
            "bundle a on p { input 1 WETH; borrow 1 WETH frm aave }",
            vec![r#"character ";""#, r#"token "frm""#],
        ),
        (
            "bundle a on p { require all USDC ! 5 USDC frm }",
            vec![r#"character "!""#, r#"token "frm""#],
        ),
        (
            "token X decimals 18 at 0x12 X\nbundle a on p { }",
            vec![r#"address "0x12""#, r#"token "X""#],
        ),
    ] {
        assert_eq!(errors(source), expected, "{source}");
        // Each lexical error, once fixed, leaves exactly the other errors.
        let fixed = source
            .replace("1e18", "1")
            .replace("Weth", "WETH")
            .replace("Polygon", "polygon")
            .replace(';', "")
            .replace(" ! ", " != ")
            .replace("0x12", "0x6982508145454Ce325dDbE47a25d4ec3d2311933");
        let syntax: Vec<&str> = expected[1..].to_vec();
        assert_eq!(errors(&fixed), syntax, "{fixed}");
    }
}

/// Blocks nested deeper than the bound are read as empty: one error, the
/// rest of the file is still parsed, and the tree holds no statement deeper
/// than the bound.
#[test]
fn blocks_nested_too_deep_are_one_error_and_an_empty_block() {
    fn depth_of(block: &Block) -> usize {
        let mut deepest = 0;
        let mut pending = vec![(block, 1usize)];
        while let Some((block, depth)) = pending.pop() {
            deepest = deepest.max(depth);
            for stmt in &block.stmts {
                match &stmt.kind {
                    StmtKind::On { block, .. } => pending.push((block, depth + 1)),
                    StmtKind::Parallel { branches } => {
                        pending.extend(branches.iter().map(|b| (b, depth + 1)));
                    }
                    _ => {}
                }
            }
        }
        deepest
    }
    let nested = |levels: usize| {
        let mut source = String::from("bundle deep on polygon {\n");
        source.push_str(&"on arbitrum {\n".repeat(levels));
        source.push_str("input 1 WETH\n");
        source.push_str(&"}\n".repeat(levels));
        source.push_str("}\nbundle next on polygon { borrow 1 WETH frm aave }\n");
        source
    };
    // At the bound: fine.
    let source = nested(MAX_NESTING - 1);
    assert_eq!(errors(&source), [r#"token "frm""#]);
    for levels in [MAX_NESTING, 100_000] {
        let source = nested(levels);
        let parsed = parse(&source);
        assert_eq!(
            errors(&source),
            [r#"deep "{""#, r#"token "frm""#],
            "{levels}"
        );
        let Some(Item::Bundle(bundle)) = parsed.file.items.first() else {
            panic!("no bundle");
        };
        // The block one too deep is there, empty.
        assert_eq!(depth_of(&bundle.body), MAX_NESTING + 1);
        assert!(matches!(&parsed.file.items[1], Item::Bundle(b) if b.name.name == "next"));
    }
}

/// Both branches of a `parallel` at the bound are too deep: one mistake,
/// one error.
#[test]
fn sibling_blocks_nested_too_deep_are_one_error() {
    let levels = MAX_NESTING + 5;
    let mut source = String::from("bundle deep on polygon {\n");
    source.push_str(&"parallel {\n".repeat(levels));
    source.push_str("input 1 WETH\n");
    source.push_str(&"} and { input 1 DAI }\n".repeat(levels));
    source.push_str("}\n");
    assert_eq!(errors(&source), [r#"deep "{""#]);
}
