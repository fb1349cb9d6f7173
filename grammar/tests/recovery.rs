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
    // The statements around the errors are still in the tree.
    let parsed = parse(source);
    assert_eq!(
        stmt_kinds(&parsed.file),
        ["error", "error", "error", "swap", "error", "error", "deposit"]
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
    let parsed = parse(source);
    assert!(matches!(parsed.file.items[0], Item::Error(_)));
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
    assert_eq!(kinds, [true, true, false, true, false]);
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
fn a_missing_brace_before_the_next_bundle_points_at_the_open_brace() {
    let source = "bundle a on polygon {
    borrow 1 WETH from aave
bundle b on polygon { }";
    let parsed = parse(source);
    assert_eq!(errors(source), [r#"token "bundle""#]);
    let SyntaxErrorKind::UnexpectedToken { context, .. } = &parsed.errors[0].kind else {
        panic!()
    };
    assert_eq!(context.open_brace, Some(Span::new(20, 21)));
    assert!(matches!(&parsed.file.items[1], Item::Bundle(b) if b.name.name == "b"));
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
