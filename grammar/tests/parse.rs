//! The parser on well-formed text: the seed examples (`fixtures/seeds.mesh`:
//! the flagship, the arbitrage, the migration, and the seed flash
//! loan as first written), the spans of every kind of node, and operator
//! precedence (docs/syntax.md).

use mesh_grammar::*;

const SEEDS: &str = include_str!("fixtures/seeds.mesh");

fn parse_ok(source: &str) -> File {
    let parsed = parse(source);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
    parsed.file
}

fn text(source: &str, span: Span) -> &str {
    &source[span.start..span.end]
}

fn bundle(file: &File, index: usize) -> &Bundle {
    match file.items.get(index) {
        Some(Item::Bundle(bundle)) => bundle,
        other => panic!("item {index} is not a bundle: {other:?}"),
    }
}

/// The amount of `input AMOUNT` in a one-statement bundle.
fn input_amount(source: &str) -> Amount {
    let file = parse_ok(&format!("bundle b on polygon {{ input {source} }}"));
    match &bundle(&file, 0).body.stmts[0].kind {
        StmtKind::Input(amount) => amount.clone(),
        other => panic!("not an input: {other:?}"),
    }
}

/// Writes an amount back with explicit parentheses, to show its structure.
fn shape(amount: &Amount) -> String {
    match &amount.kind {
        AmountKind::Quantity { number, symbol } => format!("{} {}", number.text, symbol.name),
        AmountKind::Scalar(number) => number.text.clone(),
        AmountKind::All { symbol } => format!("all {}", symbol.name),
        AmountKind::Var(name) => name.name.clone(),
        AmountKind::Binary {
            op, left, right, ..
        } => format!("({} {} {})", shape(left), op.as_str(), shape(right)),
        AmountKind::Paren(inner) => format!("[{}]", shape(inner)),
        AmountKind::Error => "?".to_string(),
    }
}

#[test]
fn the_seed_examples_parse_without_errors() {
    let file = parse_ok(SEEDS);
    let names: Vec<&str> = file
        .items
        .iter()
        .map(|item| match item {
            Item::Bundle(b) => b.name.name.as_str(),
            other => panic!("unexpected item {other:?}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "polygon_arbitrum_arbitrage",
            "simple_arbitrage",
            "liquidity_migration",
            "seed_flash_loan_as_written"
        ]
    );
    assert_eq!(file.span, Span::new(0, SEEDS.len()));
    let parsed = parse(SEEDS);
    assert_eq!(parsed.comments.len(), 7);
    assert!(parsed
        .comments
        .iter()
        .all(|c| text(SEEDS, c.span).starts_with("//") && c.kind == CommentKind::Line));
}

#[test]
fn the_flash_loan_tree_is_pinned() {
    let file = parse_ok(SEEDS);
    insta::assert_debug_snapshot!(bundle(&file, 0));
}

#[test]
fn bundle_and_block_spans() {
    let file = parse_ok(SEEDS);
    let b = bundle(&file, 0);
    let bundle_text = text(SEEDS, b.span);
    assert!(bundle_text.starts_with("bundle polygon_arbitrum_arbitrage on polygon {"));
    assert!(bundle_text.ends_with("invariant: constant_product\n}"));
    assert_eq!(text(SEEDS, b.name.span), "polygon_arbitrum_arbitrage");
    assert_eq!(text(SEEDS, b.home.span), "polygon");
    let body = text(SEEDS, b.body.span);
    assert!(body.starts_with('{') && body.ends_with("repay 100 WETH to aave\n}"));
    let constraints = b.constraints.as_ref().map(|c| text(SEEDS, c.span));
    assert!(constraints.is_some_and(|c| c.starts_with("constraints {") && c.ends_with('}')));
    let items: Vec<&str> = b
        .constraints
        .iter()
        .flat_map(|c| &c.items)
        .map(|c| text(SEEDS, c.span))
        .collect();
    assert_eq!(items, ["deadline: 20", "invariant: constant_product"]);
    let stmts: Vec<&str> = b.body.stmts.iter().map(|s| text(SEEDS, s.span)).collect();
    assert_eq!(stmts[0], "let loan = borrow 100 WETH from aave");
    assert!(stmts[2].starts_with("on arbitrum {") && stmts[2].ends_with('}'));
    assert_eq!(stmts[3], "repay 100 WETH to aave");
}

#[test]
fn action_spans() {
    let source = "bundle b on polygon {\n let x = swap 1 WETH for 2 USDC on uniswap_v2\n bridge x to base via zk\n}";
    let file = parse_ok(source);
    let stmts = &bundle(&file, 0).body.stmts;
    let StmtKind::Let { name, action } = &stmts[0].kind else {
        panic!("not a let: {:?}", stmts[0]);
    };
    assert_eq!(text(source, name.span), "x");
    assert_eq!(text(source, action.keyword_span), "swap");
    assert_eq!(
        text(source, action.span),
        "swap 1 WETH for 2 USDC on uniswap_v2"
    );
    let ActionKind::Swap {
        amount,
        output: SwapOutput::AtLeast(bound),
        exchange,
        ..
    } = &action.kind
    else {
        panic!("not a bounded swap: {action:?}");
    };
    assert_eq!(text(source, amount.span), "1 WETH");
    assert_eq!(text(source, bound.span), "2 USDC");
    assert_eq!(text(source, exchange.span), "uniswap_v2");
    let StmtKind::Action(bridge) = &stmts[1].kind else {
        panic!("not an action: {:?}", stmts[1]);
    };
    assert_eq!(text(source, bridge.span), "bridge x to base via zk");
    let ActionKind::Bridge { route, .. } = &bridge.kind else {
        panic!("not a bridge");
    };
    assert_eq!(route.as_ref().map(|r| text(source, r.span)), Some("zk"));
}

#[test]
fn every_statement_and_action_form() {
    let source = "bundle b on polygon {
        input 5 WETH
        let a = borrow 1 WETH from aave
        repay 1 WETH to aave
        swap 1 WETH for USDC on sushiswap
        deposit 1 DAI into compound
        withdraw 1 DAI from compound
        bridge 1 WETH to base
        on base { }
        parallel { input 1 DAI } and { input 1 USDC } and { }
        require all USDC != 3 USDC
        assume debt 5_000 USDC at compound
        assume collateral 1 WETH at aave
        borrow 1 USDC from aave as debt
        let w = wrap 1 ETH + 2 ETH
        unwrap w
    }";
    let file = parse_ok(source);
    let stmts = &bundle(&file, 0).body.stmts;
    let forms: Vec<String> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Let { action, .. } => format!("let {}", action.kind.keyword()),
            StmtKind::Action(action) => action.kind.keyword().to_string(),
            StmtKind::Input(_) => "input".into(),
            StmtKind::On { chain, block } => format!("on {} {}", chain.name, block.stmts.len()),
            StmtKind::Parallel { branches } => format!("parallel {}", branches.len()),
            StmtKind::Require { op, op_span, .. } => {
                format!("require {} {}", op.as_str(), text(source, *op_span))
            }
            StmtKind::Assume {
                position,
                position_span,
                protocol,
                ..
            } => format!(
                "assume {} {} at {}",
                position.as_str(),
                text(source, *position_span),
                protocol.name
            ),
            StmtKind::Error => "error".into(),
        })
        .collect();
    assert_eq!(
        forms,
        [
            "input",
            "let borrow",
            "repay",
            "swap",
            "deposit",
            "withdraw",
            "bridge",
            "on base 0",
            "parallel 3",
            "require != !=",
            "assume debt debt at compound",
            "assume collateral collateral at aave",
            "borrow",
            "let wrap",
            "unwrap"
        ]
    );
    let StmtKind::Action(debt) = &stmts[12].kind else {
        panic!()
    };
    let ActionKind::Borrow {
        as_debt: Some(as_debt),
        ..
    } = &debt.kind
    else {
        panic!("`as debt` is kept")
    };
    assert_eq!(text(source, *as_debt), "as debt");
    assert_eq!(debt.span.end, as_debt.end);
    let StmtKind::Let { action, .. } = &stmts[1].kind else {
        panic!()
    };
    assert!(matches!(
        &action.kind,
        ActionKind::Borrow { as_debt: None, .. }
    ));
    let StmtKind::Let { action: wrap, .. } = &stmts[13].kind else {
        panic!()
    };
    assert_eq!(text(source, wrap.span), "wrap 1 ETH + 2 ETH");
    assert!(matches!(
        &wrap.kind,
        ActionKind::Wrap { amount } if shape(amount) == "(1 ETH + 2 ETH)"
    ));
    let StmtKind::Action(swap) = &stmts[3].kind else {
        panic!()
    };
    assert!(matches!(
        &swap.kind,
        ActionKind::Swap { output: SwapOutput::Token(symbol), .. } if symbol.name == "USDC"
    ));
}

#[test]
fn comparisons() {
    for (op, expected) in [
        (">=", Comparison::Ge),
        ("<=", Comparison::Le),
        (">", Comparison::Gt),
        ("<", Comparison::Lt),
        ("==", Comparison::Eq),
        ("!=", Comparison::Ne),
    ] {
        let file = parse_ok(&format!("bundle b on p {{ require x {op} 1 WETH }}"));
        let StmtKind::Require { op: got, .. } = &bundle(&file, 0).body.stmts[0].kind else {
            panic!()
        };
        assert_eq!(*got, expected);
    }
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(shape(&input_amount("2 * 3 USDC")), "(2 * 3 USDC)");
    assert_eq!(shape(&input_amount("3 USDC * 2")), "(3 USDC * 2)");
    assert_eq!(
        shape(&input_amount("1 WETH + 2 WETH * 3 - x / 4")),
        "((1 WETH + (2 WETH * 3)) - (x / 4))"
    );
    assert_eq!(shape(&input_amount("a - b - c")), "((a - b) - c)");
    assert_eq!(shape(&input_amount("a / 2 * 3")), "((a / 2) * 3)");
    assert_eq!(
        shape(&input_amount("(all WETH - 1 WETH) / 2")),
        "([(all WETH - 1 WETH)] / 2)"
    );
}

#[test]
fn operator_spans() {
    let source = "bundle b on p { input 1 WETH + 2 WETH * 3 }";
    let amount = input_amount("1 WETH + 2 WETH * 3");
    let AmountKind::Binary {
        op_span,
        left,
        right,
        ..
    } = &amount.kind
    else {
        panic!()
    };
    let inner = "bundle b on polygon { input 1 WETH + 2 WETH * 3 }";
    assert_eq!(text(inner, *op_span), "+");
    assert_eq!(text(inner, left.span), "1 WETH");
    assert_eq!(text(inner, right.span), "2 WETH * 3");
    assert_eq!(text(inner, amount.span), "1 WETH + 2 WETH * 3");
    assert!(parse(source).errors.is_empty());
}

#[test]
fn token_declarations() {
    let source = "token PEPE decimals 18 at 0x6982508145454Ce325dDbE47a25d4ec3d2311933\ntoken GHO decimals 18";
    let file = parse_ok(source);
    let decls: Vec<(&str, &str, Option<&str>, &str)> = file
        .items
        .iter()
        .map(|item| match item {
            Item::Token(t) => (
                t.symbol.name.as_str(),
                t.decimals.text.as_str(),
                t.address.as_ref().map(|a| a.text.as_str()),
                text(source, t.span),
            ),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        decls,
        [
            (
                "PEPE",
                "18",
                Some("0x6982508145454Ce325dDbE47a25d4ec3d2311933"),
                "token PEPE decimals 18 at 0x6982508145454Ce325dDbE47a25d4ec3d2311933"
            ),
            ("GHO", "18", None, "token GHO decimals 18")
        ]
    );
}

#[test]
fn every_constraint_form() {
    let source = "bundle b on p {} constraints { deadline: 3 deadline: 90s max_gas: 1_000_000 min_balance: 1 USDC + 2 USDC on base min_balance: 1 DAI min_profit: 50 USDC min_health: 1.5 invariant: constant_product }";
    let file = parse_ok(source);
    let Some(constraints) = &bundle(&file, 0).constraints else {
        panic!()
    };
    let kinds: Vec<String> = constraints
        .items
        .iter()
        .map(|c| match &c.kind {
            ConstraintKind::Deadline(n) => format!("deadline {}", n.text),
            ConstraintKind::DeadlineTime(t) => format!("deadline {} seconds", t.number()),
            ConstraintKind::MaxGas(n) => format!("max_gas {}", n.text),
            ConstraintKind::MinBalance { amount, chain } => format!(
                "min_balance {} {:?}",
                shape(amount),
                chain.as_ref().map(|c| c.name.as_str())
            ),
            ConstraintKind::Invariant(name) => format!("invariant {}", name.name),
            ConstraintKind::MinSecurity(kind) => format!("min_security {}", kind.name),
            ConstraintKind::MinProfit(amount) => format!("min_profit {}", shape(amount)),
            ConstraintKind::MinHealth(n) => format!("min_health {}", n.text),
            ConstraintKind::Error => "error".into(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "deadline 3",
            "deadline 90 seconds",
            "max_gas 1_000_000",
            "min_balance (1 USDC + 2 USDC) Some(\"base\")",
            "min_balance 1 DAI None",
            "min_profit 50 USDC",
            "min_health 1.5",
            "invariant constant_product"
        ]
    );
}

#[test]
fn empty_and_comment_only_files() {
    for source in ["", "  \n", "// nothing\n/* at /* all */ */"] {
        let parsed = parse(source);
        assert!(parsed.errors.is_empty());
        assert!(parsed.file.items.is_empty());
        assert_eq!(parsed.file.span, Span::new(0, source.len()));
    }
}

#[test]
fn keywords_are_reserved() {
    for keyword in KEYWORDS {
        let parsed = parse(&format!("bundle {keyword} on polygon {{}}"));
        assert_eq!(parsed.errors.len(), 1, "{keyword}");
    }
}

#[test]
fn a_swap_through_other_tokens() {
    let source = "bundle b on polygon { swap 1 WETH for 2 DAI on x via USDC, USDT swap 1 WETH for DAI on x }";
    let file = parse_ok(source);
    let stmts = &bundle(&file, 0).body.stmts;
    let paths: Vec<(Vec<&str>, &str)> = stmts
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Action(action) => match &action.kind {
                ActionKind::Swap { via, .. } => (
                    via.iter().map(|v| v.name.as_str()).collect(),
                    text(source, action.span),
                ),
                other => panic!("not a swap: {other:?}"),
            },
            other => panic!("not an action: {other:?}"),
        })
        .collect();
    assert_eq!(
        paths,
        [
            (
                vec!["USDC", "USDT"],
                "swap 1 WETH for 2 DAI on x via USDC, USDT"
            ),
            (vec![], "swap 1 WETH for DAI on x")
        ]
    );
    // A trailing comma, or none between two tokens, is a syntax error.
    for broken in ["via USDC,", "via USDC USDT", "via"] {
        let parsed = parse(&format!(
            "bundle b on p {{ swap 1 WETH for DAI on x {broken} }}"
        ));
        assert!(!parsed.errors.is_empty(), "{broken}");
    }
}
