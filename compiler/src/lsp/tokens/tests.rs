use super::*;

/// What is expected at the end of `text`.
fn at_end(text: &str) -> Expect {
    TokenMap::new(text).cursor(text, text.len()).expect
}

const BODY: &str = "bundle b on polygon {\n    ";

fn in_body(statement: &str) -> Expect {
    at_end(&format!("{BODY}{statement}"))
}

#[test]
fn the_grammar_decides_what_comes_next_in_a_statement() {
    assert_eq!(in_body(""), Expect::STATEMENT);
    assert_eq!(in_body("sw"), Expect::STATEMENT);
    assert_eq!(in_body("let "), Expect::NONE);
    assert_eq!(in_body("let x = "), Expect::ACTION);
    assert_eq!(in_body("borrow "), Expect::VALUE.or(Expect::ALL));
    assert_eq!(in_body("borrow 100 "), Expect::TOKEN);
    assert_eq!(in_body("borrow 10"), Expect::NONE, "typing a number");
    assert_eq!(in_body("borrow 100 WETH "), Expect::FROM);
    assert_eq!(in_body("borrow 100 WETH from "), Expect::LENDER);
    assert_eq!(in_body("borrow 100 WETH from aa"), Expect::LENDER);
    assert_eq!(in_body("deposit x into\n  "), Expect::LENDER);
    assert_eq!(in_body("repay 100 WETH to "), Expect::LENDER);
    assert_eq!(in_body("bridge x to "), Expect::CHAIN);
    assert_eq!(in_body("let back = bridge x to ar"), Expect::CHAIN);
    assert_eq!(in_body("bridge x to base "), Expect::VIA);
    assert_eq!(in_body("bridge x to base via "), Expect::BRIDGE_KIND);
    assert_eq!(
        in_body("swap x for "),
        Expect::VALUE.or(Expect::TOKEN).or(Expect::ALL)
    );
    assert_eq!(in_body("swap x for 1 USDC "), Expect::ON);
    assert_eq!(in_body("swap x for USDC "), Expect::ON);
    assert_eq!(in_body("swap (x + y) * 2 for 1 USDC on "), Expect::EXCHANGE);
    assert_eq!(in_body("swap all "), Expect::TOKEN);
    assert_eq!(in_body("on "), Expect::CHAIN);
    assert_eq!(in_body("on arbitrum {\n        "), Expect::STATEMENT);
    assert_eq!(in_body("parallel {\n    }\n    "), Expect::AND);
    assert_eq!(
        in_body("parallel {\n    } and {\n    }\n    "),
        Expect::STATEMENT
    );
    assert_eq!(in_body("parallel {\n    } and {\n    } "), Expect::AND);
    assert_eq!(in_body("require "), Expect::VALUE.or(Expect::ALL));
    assert_eq!(in_body("borrow 100 WETH from aave "), Expect::AS);
    assert_eq!(in_body("borrow 100 WETH from aave as "), Expect::DEBT);
    assert_eq!(
        in_body("borrow 100 WETH from aave as debt\n    "),
        Expect::STATEMENT
    );
    assert_eq!(
        in_body("borrow 100 WETH from aave\n    "),
        Expect::STATEMENT
    );
    assert_eq!(in_body("assume "), Expect::POSITION);
    assert_eq!(in_body("assume debt "), Expect::VALUE.or(Expect::ALL));
    assert_eq!(in_body("assume debt 5 USDC "), Expect::AT);
    assert_eq!(in_body("assume collateral 5 WETH at "), Expect::LENDER);
    assert_eq!(
        in_body("assume collateral 5 WETH at aave\n    "),
        Expect::STATEMENT
    );
}

#[test]
fn a_line_break_after_a_finished_construct_starts_the_next_one() {
    assert_eq!(in_body("input 10 WETH\n    "), Expect::STATEMENT);
    assert_eq!(in_body("bridge x to base\n    "), Expect::STATEMENT);
    assert_eq!(
        in_body("let loan = borrow 100 WETH from aave\n    "),
        Expect::STATEMENT
    );
    let constraints = "bundle b on polygon {\n} constraints {\n    deadline: 20\n    ";
    assert_eq!(at_end(constraints), Expect::CONSTRAINT);
    assert_eq!(
        at_end("bundle b on polygon {\n} constraints {\n    "),
        Expect::CONSTRAINT
    );
    assert_eq!(
        at_end("bundle b on polygon {\n} constraints {\n    invariant: "),
        Expect::INVARIANT
    );
    assert_eq!(
        at_end("bundle b on polygon {\n} constraints {\n    min_balance: 1 WETH "),
        Expect::ON
    );
    assert_eq!(
        at_end("bundle b on polygon {\n} constraints {\n    deadline: "),
        Expect::NONE
    );
    assert_eq!(
        at_end("bundle b on polygon {\n} constraints {\n    min_health: 1.5\n    "),
        Expect::CONSTRAINT
    );
}

#[test]
fn items_headers_and_comments() {
    assert_eq!(at_end(""), Expect::ITEM);
    assert_eq!(at_end("bundle "), Expect::NONE);
    assert_eq!(at_end("bundle b "), Expect::ON);
    assert_eq!(at_end("bundle b on "), Expect::CHAIN);
    assert_eq!(
        at_end("bundle b on polygon {\n}\n"),
        Expect::CONSTRAINTS.or(Expect::ITEM)
    );
    assert_eq!(at_end("token PEPE "), Expect::DECIMALS);
    assert_eq!(at_end("token PEPE decimals 18 "), Expect::AT);
    assert_eq!(at_end("token PEPE decimals 18\n"), Expect::ITEM);
    assert_eq!(at_end("// a comment "), Expect::NONE);
    assert_eq!(in_body("// from "), Expect::NONE);
    assert_eq!(in_body("/* from */ "), Expect::STATEMENT);
    assert_eq!(in_body("borrow 1 WETH from /* which? */ "), Expect::LENDER);
}

#[test]
fn a_broken_statement_ends_where_the_next_begins() {
    // A typo in the keyword: the rest of the statement is not
    // understood, and what may follow is a new statement.
    assert_eq!(in_body("swp x for 1 USDC "), Expect::STATEMENT);
    assert_eq!(in_body("swp x for 1 USDC\n    "), Expect::STATEMENT);
    // `on` there can only begin `on CHAIN { ... }`.
    assert_eq!(in_body("swp x for 1 USDC on "), Expect::CHAIN);
    assert_eq!(in_body("borrow\n    swap x for "), {
        Expect::VALUE.or(Expect::TOKEN).or(Expect::ALL)
    });
    // A header that does not parse still has a body of statements.
    assert_eq!(at_end("bundl b on polygon {\n    "), Expect::STATEMENT);
}

#[test]
fn roles_follow_the_grammar() {
    let text = "token PEPE decimals 18\nbundle b on polygon {\n    let x = borrow 1 WETH from aave\n    bridge x to base via zk\n} constraints {\n    invariant: constant_product\n}\n";
    let map = TokenMap::new(text);
    let role = |word: &str| {
        let start = text.find(word).unwrap_or(usize::MAX);
        map.entries
            .iter()
            .find(|e| e.span.start == start)
            .map(|e| e.role)
    };
    assert_eq!(role("PEPE"), Some(Role::TokenDefinition));
    assert_eq!(role("b on"), Some(Role::BundleName));
    assert_eq!(role("polygon"), Some(Role::Chain));
    assert_eq!(role("x ="), Some(Role::ValueDefinition));
    assert_eq!(role("borrow"), Some(Role::Action));
    assert_eq!(role("WETH"), Some(Role::Token));
    assert_eq!(role("aave"), Some(Role::Protocol));
    assert_eq!(role("x to"), Some(Role::Value));
    assert_eq!(role("base"), Some(Role::Chain));
    assert_eq!(role("zk"), Some(Role::BridgeKind));
    assert_eq!(role("invariant"), Some(Role::ConstraintName));
    assert_eq!(role("constant_product"), Some(Role::Invariant));
    assert_eq!(map.blocks.len(), 2);
}
