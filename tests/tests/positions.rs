//! Positions through the real binary: the four recipes of `examples/`
//! commit on the default world, and `--commit` writes their positions
//! into the world file; their variants that break a position are rejected
//! by `meshc check` where the bundle says enough (or, given the world, where
//! the bundle assumes more than it holds), and otherwise revert on the
//! right line, with the figures, leaving the world file untouched.

use mesh_runtime::World;
use mesh_tests::{outcome, root, run};
use std::path::Path;

fn example(name: &str) -> String {
    root()
        .join(format!("examples/{name}.mesh"))
        .display()
        .to_string()
}

fn default_world_text() -> String {
    std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

/// (chain, lender, collateral token, debt token) of each recipe, and the
/// debt the position owes after it, in whole units.
const RECIPES: [(&str, &str, &str, &str, &str); 4] = [
    ("leverage", "base", "aave", "USDC", "12600"),
    ("deleverage", "ethereum", "aave", "USDC", "20300"),
    ("refinance", "optimism", "aave", "USDC", "12006"),
    ("collateral_swap", "arbitrum", "aave", "USDC", "20000"),
];

/// The levels each recipe commits at on the default world. `-O0` sends
/// every loan as an ordinary borrow, which needs the position's collateral
/// at the moment it is taken: `leverage` and `refinance` borrow from aave
/// before they put or state any there (E0603 at -O0), and
/// `collateral_swap`'s 25 WETH are more than its position carries before
/// the deposit they pay for (the run reverts on the borrow). Only `-O`'s
/// flash loan lends them without collateral.
fn levels(name: &str) -> &'static [&'static str] {
    match name {
        "deleverage" => &["-O0", "-O"],
        _ => &["-O"],
    }
}

#[test]
fn the_four_recipes_commit_and_write_their_positions() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, chain, lender, token, debt) in RECIPES {
        for &level in levels(name) {
            let world = write(dir.path(), "world.toml", &default_world_text());
            let (code, stdout, stderr) = outcome(&run(&[
                "run",
                &example(name),
                level,
                "--world",
                &world,
                "--commit",
                "--json",
            ]));
            assert_eq!(code, 0, "{name} {level}: {stdout}{stderr}");
            let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
            assert_eq!(report["status"], "committed", "{name} {level}");
            let health = &report["health"][0];
            assert_eq!(health["chain"], chain, "{name}: {stdout}");
            let after: f64 = health["after"]
                .as_str()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0.0);
            assert!(after >= 1.5, "{name}: min_health 1.5 holds: {stdout}");
            let written = World::load(Path::new(&world)).unwrap_or_else(|e| panic!("{e}"));
            let owed = written
                .lender(chain, lender)
                .and_then(|l| l.debts.get(token).copied())
                .unwrap_or(0);
            let expected = mesh_runtime::amount::parse_units(debt, 6).unwrap_or(0);
            assert_eq!(owed, expected, "{name} {level}: the debt written");
        }
    }
    // At -O0, the recipes that borrow before their collateral is in place
    // are refused by `check` or revert on the borrow, as Aave V3 refuses
    // such an ordinary borrow.
    for name in ["leverage", "refinance"] {
        let (code, _, stderr) = outcome(&run(&["check", "-O0", &example(name)]));
        assert_eq!(code, 1, "{name}: {stderr}");
        assert!(
            stderr.contains("[E0603]") && stderr.contains("at -O0 every loan"),
            "{name}: {stderr}"
        );
    }
    let (code, stdout, stderr) =
        outcome(&run(&["run", &example("collateral_swap"), "-O0", "--json"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(report["revert"]["line"], 9, "{stdout}");
    assert!(
        report["revert"]["reason"]
            .as_str()
            .unwrap_or("")
            .ends_with("(Aave V3: COLLATERAL_CANNOT_COVER_NEW_BORROW)"),
        "{stdout}"
    );

    // The refinance closes the debt at compound.
    let world = write(dir.path(), "world.toml", &default_world_text());
    let (code, ..) = outcome(&run(&[
        "run",
        &example("refinance"),
        "--world",
        &world,
        "--commit",
    ]));
    assert_eq!(code, 0);
    let written = World::load(Path::new(&world)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        written
            .lender("optimism", "compound")
            .map(|l| l.debts["USDC"]),
        Some(0)
    );
}

/// A variant of a recipe: its text with `from` replaced by `to`.
fn variant(name: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(example(name)).unwrap_or_default();
    assert!(text.contains(from), "{name} contains {from:?}");
    text.replacen(from, to, 1)
}

#[test]
fn variants_that_break_a_position_revert_on_their_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // `leverage` runs at -O only (at -O0 its first loan has no collateral:
    // E0603); `deleverage` at both levels.
    let cases = [
        (
            "a borrow past the loan-to-value",
            variant("leverage", "borrow 12_600 USDC from aave as debt", "borrow 20_600 USDC from aave as debt"),
            12,
            "the borrow of 20_600 USDC from aave on base is refused: the debt would be 20_600 USD, which needs 25_750 USD of collateral at the position's loan-to-value of 80.00%; the collateral is 25_000 USD (Aave V3: COLLATERAL_CANNOT_COVER_NEW_BORROW)",
        ),
        (
            "min_health not met",
            variant("leverage", "min_health: 1.5", "min_health: 1.7"),
            16,
            "min_health: the position at aave on base ends with a health factor of 1.6468; at least 1.7 is required",
        ),
        (
            "a withdrawal the debt cannot spare",
            variant("deleverage", "let weth = withdraw 4 WETH from aave", "let weth = withdraw 10 WETH from aave"),
            10,
            "the withdrawal leaves the position at aave on ethereum with a health factor of 0.6916 (collateral 25_000 USD at a liquidation threshold of 83.00%, debt 30_000 USD): below 1 (Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)",
        ),
    ];
    for (what, source, line, reason) in cases {
        let levels: &[&str] = if source.contains("bundle leverage") {
            &["-O"]
        } else {
            &["-O0", "-O"]
        };
        for &level in levels {
            let world = write(dir.path(), "world.toml", &default_world_text());
            let before = std::fs::read(&world).unwrap_or_default();
            let file = write(dir.path(), "variant.mesh", &source);
            let (code, stdout, stderr) = outcome(&run(&[
                "run", &file, level, "--world", &world, "--commit", "--json",
            ]));
            assert_eq!(code, 1, "{what} {level}: {stdout}{stderr}");
            let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
            assert_eq!(report["revert"]["line"], line, "{what} {level}: {stdout}");
            assert_eq!(report["revert"]["reason"], reason, "{what} {level}");
            assert_eq!(std::fs::read(&world).unwrap_or_default(), before, "{what}");
        }
    }
}

#[test]
fn variants_the_bundle_says_enough_about_are_rejected_by_check() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (
            "repaying a debt not stated",
            variant("refinance", "    assume debt 12_000 USDC at compound\n", ""),
            "E0602",
        ),
        (
            "repaying more debt than stated",
            variant("deleverage", "assume debt 30_000 USDC at aave", "assume debt 9_000 USDC at aave"),
            "E0602",
        ),
        (
            "a loan left as debt with no collateral",
            variant("leverage", "    deposit 10 WETH into aave\n", ""),
            "E0603",
        ),
        (
            "a loan from compound with no collateral",
            "bundle b on base {\n    let usdc = borrow 1_000 USDC from compound\n    repay usdc to compound\n}\n".to_string(),
            "E0603",
        ),
    ];
    for (what, source, code) in cases {
        let file = write(dir.path(), "variant.mesh", &source);
        let (exit, _, stderr) = outcome(&run(&["check", &file]));
        assert_eq!(exit, 1, "{what}: {stderr}");
        assert!(stderr.contains(&format!("[{code}]")), "{what}: {stderr}");
        let (exit, stdout, _) = outcome(&run(&["run", &file]));
        assert_eq!(exit, 1, "{what}: nothing runs: {stdout}");
    }
}

/// The refinance's world with the user's position at compound on
/// optimism replaced.
fn world_holding(deposits: &str, debts: &str) -> String {
    let text = default_world_text();
    let position = "deposits = { WETH = \"10\" }\ndebts = { USDC = \"12000\" }\n";
    let at = text
        .find("[lenders.optimism.compound]\n")
        .and_then(|start| text[start..].find(position).map(|i| start + i))
        .unwrap_or_else(|| panic!("the default world holds the refinance's position"));
    format!(
        "{}deposits = {{ WETH = \"{deposits}\" }}\ndebts = {{ USDC = \"{debts}\" }}\n{}",
        &text[..at],
        &text[at + position.len()..]
    )
}

#[test]
fn assumptions_of_more_than_the_world_holds_are_rejected_by_check_with_the_world() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases = [
        (
            "a debt the world does not hold",
            variant("refinance", "assume debt 12_000 USDC at compound", "assume debt 13_000 USDC at compound"),
            world_holding("10", "13000"),
            10,
            "the bundle assumes a debt of 13_000 USDC to compound on optimism, more than the world holds",
            "the world's user owes 12_000 USDC to compound on optimism",
            "assume failed: the bundle assumes a debt of at least 13_000 USDC to compound on optimism; the user owes 12_000 USDC",
        ),
        (
            "collateral the world does not hold",
            variant("refinance", "assume collateral 10 WETH at compound", "assume collateral 11 WETH at compound"),
            world_holding("11", "12000"),
            11,
            "the bundle assumes collateral of 11 WETH at compound on optimism, more than the world holds",
            "the world's user has 10 WETH deposited at compound on optimism",
            "assume failed: the bundle assumes collateral of at least 11 WETH at compound on optimism; the user has 10 WETH deposited",
        ),
    ];
    for (what, source, enough, line, message, holds, reason) in cases {
        let file = write(dir.path(), "variant.mesh", &source);
        let world = write(dir.path(), "world.toml", &default_world_text());
        let (exit, stdout, _) = outcome(&run(&[
            "check", "--world", &world, "--format", "json", &file,
        ]));
        assert_eq!(exit, 1, "{what}: {stdout}");
        let diagnostics: serde_json::Value =
            serde_json::from_str(stdout.trim()).unwrap_or_default();
        let d = &diagnostics[0];
        assert_eq!(d["code"], "E0604", "{what}: {stdout}");
        assert_eq!(d["message"], message, "{what}");
        assert_eq!(d["line"], line, "{what}: {stdout}");
        assert!(stdout.contains(holds), "{what}: {stdout}");
        assert_eq!(
            diagnostics.as_array().map(Vec::len),
            Some(1),
            "{what}: {stdout}"
        );

        // `run --world` checks against the world it runs on, so it runs
        // nothing and leaves the world file as it was.
        let before = std::fs::read(&world).unwrap_or_default();
        let (exit, stdout, stderr) = outcome(&run(&["run", &file, "--world", &world, "--commit"]));
        assert_eq!(exit, 1, "{what}: {stdout}{stderr}");
        assert!(
            stderr.contains("[E0604]") && stderr.contains("nothing was run"),
            "{what}: {stderr}"
        );
        assert_eq!(std::fs::read(&world).unwrap_or_default(), before, "{what}");

        // A world that holds enough: accepted, and the assumption holds
        // when the bundle runs there.
        let enough = write(dir.path(), "enough.toml", &enough);
        let (exit, _, stderr) = outcome(&run(&["check", "--world", &enough, &file]));
        assert_eq!(exit, 0, "{what}: {stderr}");
        let (_, stdout, stderr) = outcome(&run(&["run", &file, "--world", &enough, "--json"]));
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
        assert!(
            !report["revert"]["reason"]
                .as_str()
                .unwrap_or("")
                .starts_with("assume failed"),
            "{what}: {stdout}{stderr}"
        );
        assert_ne!(report["revert"]["line"], line, "{what}: {stdout}");

        // Without `--world` the positions are not judged: `check` accepts,
        // and the run on the default world reverts on the assumption (at
        // -O: at -O0 the refinance's loan from aave has no collateral,
        // E0603).
        let (exit, _, stderr) = outcome(&run(&["check", &file]));
        assert_eq!(exit, 0, "{what}: {stderr}");
        let (exit, stdout, stderr) = outcome(&run(&["run", &file, "--json"]));
        assert_eq!(exit, 1, "{what}: {stdout}{stderr}");
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
        assert_eq!(report["revert"]["line"], line, "{what}: {stdout}");
        assert_eq!(report["revert"]["reason"], reason, "{what}");
    }
}

#[test]
fn an_assumption_after_the_bundle_acts_at_the_lender_is_left_to_the_run() {
    // The deposit makes the position 11 WETH before the assumption: the
    // world's 10 WETH is no longer what the assumption reads.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = "bundle b on optimism {\n    input 1 WETH\n    deposit 1 WETH into compound\n    assume collateral 11 WETH at compound\n}\n";
    let file = write(dir.path(), "b.mesh", source);
    let world = write(dir.path(), "world.toml", &default_world_text());
    let (exit, _, stderr) = outcome(&run(&["check", "--world", &world, &file]));
    assert_eq!(exit, 0, "{stderr}");
}
