//! `meshc check` and `meshc explain`, end to end through the real binary.

use mesh_tests::{examples, meshc, outcome, root, run};
use serde_json::Value;

fn relative(path: &std::path::Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_well_typed_example_checks_clean() {
    let (accepted, _) = examples();
    assert!(accepted.len() >= 6, "examples/ lost its examples");
    for path in accepted {
        let file = relative(&path);
        let (code, _, stderr) = outcome(&run(&["check", &file]));
        assert_eq!(code, 0, "{file} should check clean:\n{stderr}");
        assert!(!stderr.contains(ERROR_HEADER), "{file}:\n{stderr}");
        assert!(
            stderr.contains(&format!("{file}: ")) && stderr.contains(" checked, no errors"),
            "{file}:\n{stderr}"
        );
    }
}

/// How the renderer heads an error: `[E0501] Error: ...`.
const ERROR_HEADER: &str = "] Error: ";

#[test]
fn every_rejected_example_is_rejected_with_exit_1() {
    let (_, rejected) = examples();
    assert!(!rejected.is_empty());
    for path in rejected {
        let file = relative(&path);
        let (code, _, stderr) = outcome(&run(&["check", &file]));
        assert_eq!(code, 1, "{file} must be rejected:\n{stderr}");
        // The heading the clean examples must not show is the one errors get.
        assert!(stderr.contains(ERROR_HEADER), "{file}:\n{stderr}");
    }
}

#[test]
fn the_seed_flash_loan_is_rejected_for_the_overdraft_on_arbitrum() {
    let output = run(&["check", "examples/rejected/seed_flash_loan_as_written.mesh"]);
    let (code, _, stderr) = outcome(&output);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr);
}

fn json_diagnostics(args: &[&str]) -> (i32, Vec<Value>) {
    let (code, stdout, stderr) = outcome(&run(args));
    let value: Value = match serde_json::from_str(&stdout) {
        Ok(value) => value,
        Err(e) => panic!("stdout is not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"),
    };
    match value {
        Value::Array(items) => (code, items),
        other => panic!("expected one JSON array, got {other}"),
    }
}

fn assert_position(object: &serde_json::Map<String, Value>, keys: &[&str]) {
    for key in keys {
        let n = object.get(*key).and_then(Value::as_u64);
        assert!(
            n.is_some_and(|n| n >= 1),
            "`{key}` must be a 1-based number: {object:?}"
        );
    }
}

#[test]
fn json_diagnostics_follow_the_schema() {
    let (code, items) = json_diagnostics(&[
        "check",
        "--format",
        "json",
        "examples/rejected/seed_flash_loan_as_written.mesh",
        "examples/simple_arbitrage.mesh",
    ]);
    assert_eq!(code, 1);
    assert!(items.iter().any(|d| d["code"] == "E0501"));
    assert!(items.iter().any(|d| d["severity"] == "warning"));
    for item in &items {
        let Value::Object(d) = item else {
            panic!("diagnostic is not an object: {item}")
        };
        let severity = d.get("severity").and_then(Value::as_str);
        assert!(matches!(severity, Some("error" | "warning")), "{d:?}");
        let code = d.get("code").and_then(Value::as_str).unwrap_or_default();
        assert!(
            code.len() == 5 && (code.starts_with('E') || code.starts_with('W')),
            "bad code in {d:?}"
        );
        assert!(d
            .get("message")
            .and_then(Value::as_str)
            .is_some_and(|m| !m.is_empty()));
        assert!(d
            .get("file")
            .and_then(Value::as_str)
            .is_some_and(|f| f.ends_with(".mesh")));
        assert_position(d, &["line", "column", "end_line", "end_column"]);
        let labels = d.get("labels").and_then(Value::as_array);
        assert!(labels.is_some_and(|l| !l.is_empty()), "{d:?}");
        for label in labels.into_iter().flatten() {
            let Value::Object(label) = label else {
                panic!("label is not an object: {label}")
            };
            assert_position(label, &["line", "column"]);
            assert!(label.get("message").and_then(Value::as_str).is_some());
        }
        let hint = d.get("hint");
        assert!(hint.is_some_and(|h| h.is_null() || h.is_string()), "{d:?}");
        match d.get("fix") {
            Some(Value::Null) => {}
            Some(Value::Object(fix)) => {
                assert_position(fix, &["line", "column", "end_line", "end_column"]);
                assert!(fix.get("replacement").and_then(Value::as_str).is_some());
                let applicability = fix.get("applicability").and_then(Value::as_str);
                assert!(
                    matches!(
                        applicability,
                        Some("machine-applicable" | "maybe-incorrect")
                    ),
                    "{fix:?}"
                );
            }
            other => panic!("`fix` is neither null nor an object: {other:?}"),
        }
    }
}

#[test]
fn a_misspelt_name_comes_with_its_fix() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = dir.path().join("typo.mesh");
    std::fs::write(
        &source,
        "bundle b on polygon {\n    let loan = borrow 1 WETH from aavee\n    repay loan to aave\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let source = source.display().to_string();
    let (code, items) = json_diagnostics(&["check", &source, "--format", "json"]);
    assert_eq!(code, 1);
    let fixes: Vec<&Value> = items.iter().map(|d| &d["fix"]).collect();
    assert_eq!(
        fixes,
        [&serde_json::json!({
            "line": 2, "column": 35, "end_line": 2, "end_column": 40, "replacement": "aave",
            "applicability": "maybe-incorrect"
        })],
        "{items:?}"
    );
}

#[test]
fn a_clean_run_prints_an_empty_json_array() {
    let (code, items) = json_diagnostics(&[
        "check",
        "--format",
        "json",
        "examples/liquidity_migration.mesh",
    ]);
    assert_eq!(code, 0);
    assert!(items.is_empty(), "{items:?}");
}

#[test]
fn columns_count_characters_not_bytes() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("unicode.mesh");
    // The comment holds multi-byte characters before the error on line 2.
    let source = "// prix en € — für Ölpreise\nbundle b on polygon { /* é */ input 1 WETH swap 1 WETH for WETH on uniswap_v2 }\n";
    std::fs::write(&path, source).unwrap_or_else(|e| panic!("write: {e}"));
    let path_text = path.display().to_string();
    let (_, items) = json_diagnostics(&["check", "--format", "json", &path_text]);
    let swap = items
        .iter()
        .find(|d| d["code"] == "E0304")
        .unwrap_or_else(|| panic!("no E0304 in {items:?}"));
    let line2 = source.lines().nth(1).unwrap_or_default();
    let byte = line2.find("swap").unwrap_or_default();
    let column = line2[..byte].chars().count() + 1;
    assert_eq!(swap["line"], 2);
    assert!(swap["column"]
        .as_u64()
        .is_some_and(|c| c as usize >= column));
}

#[test]
fn a_missing_file_is_an_io_error_with_exit_2() {
    let (code, stdout, stderr) = outcome(&run(&["check", "no/such/file.mesh"]));
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("no/such/file.mesh"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("latin1.mesh");
    std::fs::write(&path, b"bundle b on polygon { } // caf\xe9\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, _, stderr) = outcome(&run(&["check", &path.display().to_string()]));
    assert_eq!(code, 2);
    assert!(stderr.contains("not UTF-8"), "{stderr}");
}

#[test]
fn a_missing_file_among_good_ones_still_checks_the_others() {
    let (code, _, stderr) = outcome(&run(&[
        "check",
        "examples/simple_arbitrage.mesh",
        "missing.mesh",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("simple_arbitrage.mesh"), "{stderr}");
    assert!(stderr.contains("missing.mesh"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["check"],
        vec![
            "check",
            "--format",
            "yaml",
            "examples/simple_arbitrage.mesh",
        ],
        vec!["check", "--no-such-flag", "examples/simple_arbitrage.mesh"],
        vec!["frobnicate"],
        vec!["explain"],
    ] {
        let (code, _, stderr) = outcome(&run(&args));
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.is_empty(), "{args:?} printed no reason");
    }
}

#[test]
fn the_optimisation_level_decides_the_deadline() {
    let (code, _, stderr) = outcome(&run(&["check", "-O0", "examples/simple_arbitrage.mesh"]));
    assert_eq!(
        code, 1,
        "7 blocks by hand cannot meet `deadline: 5`:\n{stderr}"
    );
    assert!(stderr.contains("E0801"), "{stderr}");
    let (code, _, stderr) = outcome(&run(&["check", "-O", "examples/simple_arbitrage.mesh"]));
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn explain_knows_every_code() {
    let (code, listing, _) = outcome(&run(&["explain", "--list"]));
    assert_eq!(code, 0);
    let codes: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(codes.len(), meshc::diagnostic::Code::ALL.len());
    for code_text in codes {
        let (code, page, stderr) = outcome(&run(&["explain", code_text]));
        assert_eq!(code, 0, "{code_text}: {stderr}");
        assert!(
            page.starts_with(&format!("# {code_text}: ")),
            "{code_text}:\n{page}"
        );
        assert!(page.lines().count() > 3, "{code_text} has too short a page");
    }
    let (code, _, _) = outcome(&run(&["explain", "e0501"]));
    assert_eq!(code, 0, "codes are case-insensitive");
}

/// The pages whose example cannot be run as written: an amount or a
/// nesting thousands deep (shown with `…`), and a world file of its own
/// (E0402, E0810).
const ILLUSTRATIVE_EXAMPLES: [&str; 4] = ["E0008", "E0010", "E0402", "E0810"];

/// The first block of `fence` (```mesh, ```text) after `from` in `page`,
/// and where it ends.
fn fenced<'a>(page: &'a str, fence: &str, from: usize) -> Option<(&'a str, usize)> {
    let open = format!("```{fence}\n");
    let start = page.get(from..)?.find(&open)? + from + open.len();
    let end = page.get(start..)?.find("```\n")? + start;
    Some((page.get(start..end)?, end))
}

/// Every `docs/codes` page shows its example, then what `meshc check`
/// prints for it: each of the page's diagnostics exactly as rendered (its
/// code's diagnostics, with the example in a file named `example.mesh`;
/// trailing spaces aside). A first line `// meshc check FLAGS` in the
/// example gives the flags; a `world.toml` beside the example holds the
/// default world (what `meshc world` prints), for `--world`. The examples that cannot run as written show
/// the heading in the format the tool prints.
#[test]
fn every_code_page_shows_what_check_prints() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("example.mesh");
    let world = std::fs::read_to_string(root().join("runtime/src/default_world.toml"))
        .unwrap_or_else(|e| panic!("the default world: {e}"));
    std::fs::write(dir.path().join("world.toml"), world).unwrap_or_else(|e| panic!("write: {e}"));
    for code in meshc::diagnostic::Code::ALL {
        let name = code.as_str();
        let page = code.explanation().unwrap_or_default();
        let Some((example, end)) = fenced(page, "mesh", 0) else {
            panic!("docs/codes/{name}.md has no example");
        };
        let Some((shown, _)) = fenced(page, "text", end) else {
            panic!("docs/codes/{name}.md does not show what check prints");
        };
        let severity = if name.starts_with('W') {
            "Warning"
        } else {
            "Error"
        };
        let heading = format!("[{name}] {severity}: ");
        assert!(
            shown.starts_with(&heading),
            "docs/codes/{name}.md shows another format than `{heading}...`:\n{shown}"
        );
        if ILLUSTRATIVE_EXAMPLES.contains(&name) {
            continue;
        }
        std::fs::write(&path, example).unwrap_or_else(|e| panic!("write: {e}"));
        let mut args = vec!["check"];
        if let Some(flags) = example
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// meshc check "))
        {
            args.extend(flags.split_whitespace());
        }
        args.push("example.mesh");
        let output = meshc()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run meshc: {e}"));
        let (_, _, stderr) = outcome(&output);
        let mut printed = String::new();
        let mut mine = false;
        for line in stderr.lines() {
            if line.starts_with('[') {
                mine = line.starts_with(&format!("[{name}] "));
            } else if line.starts_with("example.mesh: ") {
                mine = false;
            }
            if mine {
                printed.push_str(line.trim_end());
                printed.push('\n');
            }
        }
        let shown: String = shown
            .lines()
            .map(|l| format!("{}\n", l.trim_end()))
            .collect();
        assert_eq!(
            shown,
            printed,
            "docs/codes/{name}.md shows other diagnostics than `meshc {}` prints for its example",
            args.join(" ")
        );
    }
}

#[test]
fn explain_refuses_unknown_codes() {
    let (code, _, stderr) = outcome(&run(&["explain", "E9999"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("E9999"), "{stderr}");
}

#[test]
fn machine_sized_amounts_are_refused_not_crashed_on() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let terms = vec!["1 WETH"; 100_000].join(" + ");
    let nested = format!("{}1 WETH{}", "(".repeat(50_000), ")".repeat(50_000));
    for (name, amount) in [("sum", terms), ("nested", nested)] {
        let path = dir.path().join(format!("{name}.mesh"));
        // The syntax error after the long amount is still found: parsing
        // goes on past it.
        let source =
            format!("bundle b on polygon {{\n    input {amount}\n    borrow 1 WETH frm aave\n}}\n");
        std::fs::write(&path, source).unwrap_or_else(|e| panic!("write: {e}"));
        let path_text = path.display().to_string();
        let (code, stdout, stderr) = outcome(&run(&["check", "--format", "json", &path_text]));
        assert_eq!(code, 1, "{name}: {stderr}");
        let items: Vec<Value> = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {stderr}"));
        assert!(
            items.iter().any(|d| d["code"] == "E0008"),
            "{name}: {items:?}"
        );
        assert!(items.iter().any(|d| d["line"] == 3), "{name}: {items:?}");
    }
}

/// A world whose registry knows polygon, USDC, WETH and one exchange: the
/// `--world` a team with its own deployment would pass.
const SMALL_WORLD: &str = r#"format = 1

[chains]
polygon = { chain_id = 137 }

[tokens]
USDC = { decimals = 6, chains = ["polygon"] }
WETH = { decimals = 18, chains = ["polygon"] }

[protocols]
uniswap_v2 = { kind = "exchange", chains = ["polygon"], fee_bps = 30 }
"#;

#[test]
fn check_judges_against_the_registry_of_a_world_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = dir.path().join("small.toml");
    std::fs::write(&world, SMALL_WORLD).unwrap_or_else(|e| panic!("{e}"));
    let world = world.display().to_string();
    let source = dir.path().join("dai.mesh");
    std::fs::write(
        &source,
        "bundle b on polygon {\n    input 10 DAI\n    swap 10 DAI for 1 USDC on uniswap_v2\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let source = source.display().to_string();

    // DAI is a token of the default registry, so the file checks clean without --world…
    let (code, _, stderr) = outcome(&run(&["check", &source]));
    assert_eq!(code, 0, "{stderr}");
    // …and not against a world that has no DAI.
    let (code, items) =
        json_diagnostics(&["check", &source, "--world", &world, "--format", "json"]);
    assert_eq!(code, 1);
    let messages: Vec<&str> = items.iter().filter_map(|d| d["message"].as_str()).collect();
    assert!(messages.iter().any(|m| m.contains("DAI")), "{messages:?}");

    // A world file that cannot be read is a usage error, exit 2.
    let missing = dir.path().join("missing.toml").display().to_string();
    let (code, _, stderr) = outcome(&run(&["check", &source, "--world", &missing]));
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

/// Which pairs exist is the world's: `check --world` rejects a swap whose
/// hop needs a pair that world does not have, on the hop, and accepts it
/// against a world that has the pair; `run` refuses it before running.
#[test]
fn check_judges_swap_paths_against_the_pairs_of_a_world_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The world of SMALL_WORLD with DAI, the given pairs and a wallet.
    let world_text = |pairs: &str| {
        SMALL_WORLD.replace(
            "WETH = { decimals = 18, chains = [\"polygon\"] }\n",
            "WETH = { decimals = 18, chains = [\"polygon\"] }\nDAI = { decimals = 18, chains = [\"polygon\"] }\n",
        ) + &format!("\n[exchanges.polygon.uniswap_v2]\n{pairs}\n[wallet.polygon]\nUSDC = \"100\"\n")
    };
    let thin = dir.path().join("thin.toml");
    std::fs::write(&thin, world_text("\"USDC/WETH\" = [\"250000\", \"100\"]"))
        .unwrap_or_else(|e| panic!("{e}"));
    let deep = dir.path().join("deep.toml");
    std::fs::write(
        &deep,
        world_text("\"USDC/WETH\" = [\"250000\", \"100\"]\n\"DAI/WETH\" = [\"250000\", \"100\"]"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let source = dir.path().join("path.mesh");
    std::fs::write(
        &source,
        "bundle b on polygon {\n    input 100 USDC\n    swap 100 USDC for 90 DAI on uniswap_v2 via WETH\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (thin, deep, source) = (
        thin.display().to_string(),
        deep.display().to_string(),
        source.display().to_string(),
    );
    let (code, items) = json_diagnostics(&["check", &source, "--world", &thin, "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["code"], "E0414", "{items:?}");
    assert_eq!(
        items[0]["message"],
        "`uniswap_v2` on polygon has no DAI/WETH pair"
    );
    // The hop that needs it: the swap's output, after `via WETH`.
    assert_eq!(items[0]["line"], 3, "{items:?}");
    assert_eq!(items[0]["column"], 23, "{items:?}");
    let (code, _, stderr) = outcome(&run(&["check", &source, "--world", &deep]));
    assert_eq!(code, 0, "{stderr}");
    // `run` judges the same way, before running anything.
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &thin]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("E0414"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &deep]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("via WETH"), "{stdout}");
}

#[test]
fn fix_applies_only_what_cannot_change_the_meaning() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = dir.path().join("typos.mesh");
    // A keyword in the wrong case hides the bundle's other mistakes until
    // it is mended; the names suggested next round are listed, not applied.
    std::fs::write(
        &source,
        "bundle b on polygon {\n    input 10 USDC\n    let proceeds = swap 10 USDC for 1 WETH on uniswp_v2\n    Deposit procees into aave\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = source.display().to_string();
    let (code, _, stderr) = outcome(&run(&["check", "--fix", &path]));
    let fixed = std::fs::read_to_string(&source).unwrap_or_default();
    assert_eq!(
        fixed,
        "bundle b on polygon {\n    input 10 USDC\n    let proceeds = swap 10 USDC for 1 WETH on uniswp_v2\n    deposit procees into aave\n}\n"
    );
    assert!(stderr.contains("1 fix applied"), "{stderr}");
    assert!(stderr.contains("2 suggestions are not applied"), "{stderr}");
    assert!(
        stderr.contains(":3:47: `uniswp_v2` -> `uniswap_v2`"),
        "{stderr}"
    );
    assert!(
        stderr.contains(":4:13: `procees` -> `proceeds`"),
        "{stderr}"
    );
    // What is left is reported as `meshc check` reports it.
    assert_eq!(code, 1, "{stderr}");

    // Nothing left that may be applied: the file is not touched.
    let before = std::fs::metadata(&source).and_then(|m| m.modified()).ok();
    let (code, _, stderr) = outcome(&run(&["check", "--fix", &path]));
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("applied\n"), "{stderr}");
    let after = std::fs::metadata(&source).and_then(|m| m.modified()).ok();
    assert_eq!(before, after);
}

/// An unknown token is never replaced unasked: `USDE` may not be `USDC`,
/// and spending the wrong asset is worse than an error.
#[test]
fn fix_never_swaps_one_asset_for_another() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = dir.path().join("usde.mesh");
    let text = "bundle b on polygon {\n    input 10 USDE\n    let w = swap 10 USDE for 1 WETH on uniswap_v2\n    let r = swap w for 1 RETH on uniswap_v2\n}\n";
    std::fs::write(&source, text).unwrap_or_else(|e| panic!("{e}"));
    let path = source.display().to_string();
    let (code, _, stderr) = outcome(&run(&["check", "--fix", &path]));
    // Only the unused `let r =` goes: the action stays.
    assert_eq!(
        std::fs::read_to_string(&source).unwrap_or_default(),
        text.replace("let r = swap", "swap")
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("1 fix applied"), "{stderr}");
    assert!(stderr.contains("`USDE` -> `USDC`"), "{stderr}");
    assert!(stderr.contains("`RETH` -> `ETH`"), "{stderr}");
    assert!(stderr.contains("another asset"), "{stderr}");
}

/// Writes `bytes` to a file in a fresh directory and checks it.
fn check_bytes(name: &str, bytes: &[u8], format: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("write: {e}"));
    outcome(&run(&[
        "check",
        "--format",
        format,
        &path.display().to_string(),
    ]))
}

#[test]
fn a_file_with_carriage_return_line_ends_is_read_line_by_line() {
    // Classic Mac line ends: a `//` comment ends at the `\r`, not at the
    // end of the file, and positions count the `\r` lines.
    let source =
        "// a bundle\rbundle b on polygon {\r    input 1 WETH\r    deposit 2 WETH into aave\r}\r";
    let (code, _, stderr) = check_bytes("mac.mesh", source.as_bytes(), "human");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("mac.mesh:4:5"), "{stderr}");
    assert!(
        stderr.contains(" 4 │     deposit 2 WETH into aave"),
        "{stderr}"
    );
    let (code, stdout, _) = check_bytes("mac.mesh", source.as_bytes(), "json");
    assert_eq!(code, 1);
    let items: Vec<Value> = serde_json::from_str(&stdout).unwrap_or_default();
    assert_eq!(items.len(), 1, "{stdout}");
    assert_eq!(
        (&items[0]["line"], &items[0]["column"]),
        (&Value::from(4), &Value::from(5))
    );
}

#[test]
fn a_byte_order_mark_at_the_start_is_not_a_character() {
    let source = "\u{FEFF}bundle b on polygon {\n    input 1 WETH\n}\n";
    let (code, _, stderr) = check_bytes("bom.mesh", source.as_bytes(), "human");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("1 bundle checked, no errors"), "{stderr}");
    // Columns on the first line count from after the mark.
    let (_, stdout, _) = check_bytes("bom.mesh", b"\xEF\xBB\xBFbundle b on Polygon { }", "json");
    let items: Vec<Value> = serde_json::from_str(&stdout).unwrap_or_default();
    assert_eq!(
        items.first().map(|d| &d["column"]),
        Some(&Value::from(13)),
        "{stdout}"
    );
}

#[test]
fn control_characters_are_never_printed_raw() {
    let source = b"bundle b on polygon {\n    input 1 WETH \x00\x1b[\n}\n";
    let (code, _, stderr) = check_bytes("nul.mesh", source, "human");
    assert_eq!(code, 1);
    assert!(
        !stderr.contains('\u{0}') && !stderr.contains('\u{1b}'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("unexpected characters `\\0\\u{1b}[`"),
        "{stderr}"
    );
    let (_, stdout, _) = check_bytes("nul.mesh", source, "json");
    assert!(
        stdout.contains(r#"unexpected characters `\\0\\u{1b}[`"#),
        "{stdout}"
    );
}

/// `deposit all WETH into aave` on a holding the bundle never had used to
/// pass `check` and be an internal compiler error in `run`, `gas` and
/// `build`. It moves nothing: a warning, and every command goes through.
#[test]
fn spending_all_of_a_holding_never_held_is_warned_about_and_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("never_held.mesh");
    std::fs::write(
        &path,
        "bundle never_held on polygon {\n    deposit all WETH into aave\n}\n",
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let file = path.display().to_string();
    let exe = dir.path().join("never_held").display().to_string();
    for args in [
        vec!["check", &file],
        vec!["run", &file],
        vec!["run", "-O0", &file],
        vec!["gas", &file],
        vec!["build", &file, "-o", &exe],
    ] {
        let (code, stdout, stderr) = outcome(&run(&args));
        assert_eq!(code, 0, "meshc {args:?}:\n{stdout}{stderr}");
        assert!(!stderr.contains("internal compiler error"), "{stderr}");
        // `gas` prints figures only; the others the checker's warnings.
        assert!(
            args[0] == "gas" || stderr.contains("[W0005] Warning: this deposit moves nothing"),
            "meshc {args:?}:\n{stderr}"
        );
    }
}

/// An empty file is a warning, and `check` still exits with 0.
#[test]
fn a_file_without_a_bundle_is_warned_about() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    for (name, text) in [
        ("empty.mesh", ""),
        ("tokens.mesh", "token GHO decimals 18\n"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("write: {e}"));
        let file = path.display().to_string();
        let (code, _, stderr) = outcome(&run(&["check", &file]));
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("[W0006] Warning: this file holds no bundle"),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("{file}: 0 bundles checked, no errors, 1 warning")),
            "{stderr}"
        );
    }
}

/// A token declared at another address than the world's is refused,
/// naming both, against the world the command is given.
#[test]
fn a_token_at_another_address_than_the_world_file_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("pepe.mesh");
    std::fs::write(
        &path,
        "token PEPE decimals 18 at 0x0000000000000000000000000000000000000001\nbundle b on base {\n    input 1 PEPE\n}\n",
    )
    .unwrap_or_else(|e| panic!("write: {e}"));
    let file = path.display().to_string();
    let world = root()
        .join("runtime/src/default_world.toml")
        .display()
        .to_string();
    let (code, _, stderr) = outcome(&run(&["check", "--world", &world, &file]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("[E0205] Error: token PEPE is already known at 0x6982508145454Ce325dDbE47a25d4ec3d2311933"),
        "{stderr}"
    );
    assert!(
        stderr.contains("this says 0x0000000000000000000000000000000000000001"),
        "{stderr}"
    );
    // The default registry knows no PEPE: the declaration adds it.
    let (code, _, stderr) = outcome(&run(&["check", &file]));
    assert_eq!(code, 0, "{stderr}");
}
