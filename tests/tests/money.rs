//! Gas priced in money and the result net of gas, through the real binary:
//! `meshc run --quote`, `min_profit` (committing, and reverting on its
//! line with the figures), a world whose prices cannot value a result, a
//! built executable's `--quote`, and the EVM engine.

use mesh_tests::{outcome, root, run};
use serde_json::Value;
use std::path::Path;

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The example's source with its `min_profit` set to `floor`.
fn with_floor(floor: &str) -> String {
    let source = std::fs::read_to_string(example("arbitrage_net_of_gas.mesh"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(source.contains("min_profit: 300 USDC"), "{source}");
    source.replace("min_profit: 300 USDC", &format!("min_profit: {floor}"))
}

#[test]
fn min_profit_commits_and_the_report_gives_the_net() {
    let file = example("arbitrage_net_of_gas.mesh");
    let (code, stdout, stderr) = outcome(&run(&["run", &file]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    // 177.2089 USDC and 0.061124609722666329 WETH (152.811524 USDC at the
    // oracle's 2,500, rounded down) are gained; 306,443 gas at 30 gwei is
    // 0.00919329 POL, at 0.25 USD 0.002299 USDC rounded up.
    assert!(
        stdout.contains("gas cost · polygon 0.00919329 POL at 30 gwei\n"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("net 330.018125 USDC: 330.020424 USDC in value, less 0.002299 USDC of gas\n"),
        "{stdout}"
    );
    let (_, stdout, _) = outcome(&run(&["run", &file, "--json"]));
    let report = json(&stdout);
    assert_eq!(
        report["net"],
        serde_json::json!({"quote": "USDC", "value": "330.020424", "gas": "0.002299", "net": "330.018125"})
    );
    assert_eq!(
        report["gas"]["cost"],
        serde_json::json!({"polygon": {"token": "POL", "gas_price": "0.00000003", "amount": "0.00919329"}})
    );
    // At -O0 the same swaps cost more gas: 744,078 at 30 gwei.
    // -O0 sends the loan as an ordinary borrow, which needs collateral: the
    // user's 10 WBTC at aave on polygon, stated.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let backed = source.replacen(
        "on polygon {\n",
        "on polygon {\n    assume collateral 10 WBTC at aave\n",
        1,
    );
    assert_ne!(backed, source);
    let backed = write(dir.path(), "backed.mesh", &backed);
    let (_, stdout, _) = outcome(&run(&["run", &backed, "-O0", "--json"]));
    let report = json(&stdout);
    assert_eq!(report["net"]["gas"], "0.005581", "{report}");
    // And its ordinary loan owes no premium: 5 USDC more than -O's flash
    // loan of 10,000 USDC pays.
    assert_eq!(report["net"]["value"], "335.020424", "{report}");
    assert_eq!(report["net"]["net"], "335.014843", "{report}");
}

#[test]
fn min_profit_reverts_on_its_line_with_the_figures() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(dir.path(), "greedy.mesh", &with_floor("331 USDC"));
    let (code, stdout, _) = outcome(&run(&["run", &file, "--json"]));
    assert_eq!(code, 1, "{stdout}");
    let report = json(&stdout);
    assert_eq!(report["status"], "reverted");
    assert_eq!(report["revert"]["line"], 12);
    assert_eq!(
        report["revert"]["reason"],
        "min_profit: the bundle makes 330.018125 USDC net of gas (330.020424 USDC in value, less 0.002299 USDC of gas); at least 331 USDC is required"
    );
    // Nothing was sent: no gas, no cost, no net.
    assert_eq!(report["gas"]["cost"], serde_json::json!({}));
    assert_eq!(report["net"], Value::Null);
    // Another token values the same result: the WETH gained counts as
    // itself, the USDC at 2,500 a WETH; about 0.132 WETH, short of 1.
    let file = write(dir.path(), "weth.mesh", &with_floor("1 WETH"));
    let (code, stdout, _) = outcome(&run(&["run", &file]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("min_profit: the bundle makes 0.132007250393666329 WETH net of gas (0.132008169722666329 WETH in value, less 0.000000919329 WETH of gas); at least 1 WETH is required"),
        "{stdout}"
    );
}

#[test]
fn a_price_the_world_lacks_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let default =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    assert!(default.contains("POL = \"0.25\"\n"));
    let world = write(
        dir.path(),
        "world.toml",
        &default.replace("POL = \"0.25\"\n", ""),
    );
    let file = example("arbitrage_net_of_gas.mesh");
    let (code, stdout, _) = outcome(&run(&["run", &file, "--world", &world]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("reverted at line 12, column 5: min_profit: POL has no price in the world's oracle, so the bundle's profit in USDC cannot be told"),
        "{stdout}"
    );
    // Without a floor, the report says why there is no net.
    let plain = example("simple_arbitrage.mesh");
    let (code, stdout, _) = outcome(&run(&["run", &plain, "--world", &world, "--quote", "USDC"]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("net in USDC: cannot be told: POL has no price in the world's oracle\n"),
        "{stdout}"
    );
    let (_, stdout, _) = outcome(&run(&[
        "run", &plain, "--world", &world, "--quote", "USDC", "--json",
    ]));
    assert_eq!(
        json(&stdout)["net"],
        serde_json::json!({"quote": "USDC", "error": "POL has no price in the world's oracle"})
    );
    // A quote token the world does not know is a usage error.
    let (code, _, stderr) = outcome(&run(&["run", &plain, "--quote", "DOGE"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--quote: unknown token `DOGE`"), "{stderr}");
}

#[test]
fn a_quote_token_values_any_bundle() {
    // The flagship: gas on two chains, each in its own coin; the result in
    // DAI as in USDC, both at one dollar, with the quote's decimals.
    let file = example("polygon_arbitrum_arbitrage.mesh");
    let (code, stdout, _) = outcome(&run(&["run", &file, "--quote", "DAI", "--json"]));
    assert_eq!(code, 0, "{stdout}");
    let report = json(&stdout);
    assert_eq!(report["gas"]["cost"]["arbitrum"]["token"], "ETH");
    assert_eq!(report["gas"]["cost"]["arbitrum"]["amount"], "0.00000201305");
    assert_eq!(report["gas"]["cost"]["polygon"]["token"], "POL");
    assert_eq!(report["gas"]["cost"]["polygon"]["amount"], "0.01462251");
    assert_eq!(report["net"]["quote"], "DAI");
    // 0.930878538787408687 WETH at 2,500 USD: the loan is repaid after the
    // bridges, in a later transaction, so it is an ordinary one and owes no
    // premium.
    assert_eq!(report["net"]["value"], "2327.1963469685217175");
    // 0.00000201305 ETH and 0.01462251 POL: 0.005032625 + 0.0036556275 USD.
    assert_eq!(report["net"]["gas"], "0.0086882525");
}

#[test]
fn a_built_executable_takes_a_quote() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let exe = dir.path().join("arbitrage");
    let file = example("simple_arbitrage.mesh");
    let exe_text = exe.display().to_string();
    let (code, stdout, stderr) = outcome(&run(&["build", &file, "-o", &exe_text]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let native = std::process::Command::new(&exe)
        .args(["--quote", "USDC", "--json"])
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, native, _) = outcome(&native);
    assert_eq!(code, 0, "{native}");
    let (_, jit, _) = outcome(&run(&["run", &file, "--quote", "USDC", "--json"]));
    assert_eq!(native, jit);
    assert_eq!(json(&native)["net"]["net"], "330.018125");
    let refused = std::process::Command::new(&exe)
        .args(["--quote", "DOGE"])
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, _, stderr) = outcome(&refused);
    assert_eq!(code, 2);
    assert!(stderr.contains("--quote: unknown token `DOGE`"), "{stderr}");
}

#[test]
fn the_evm_engine_values_its_own_gas() {
    let file = example("arbitrage_net_of_gas.mesh");
    let (code, stdout, stderr) = outcome(&run(&["run", &file, "--engine", "evm", "--json"]));
    assert_eq!(code, 0, "{stdout}{stderr}");
    let report = json(&stdout);
    // The same changes as the model's; the gas the EVM metered.
    assert_eq!(report["net"]["value"], "330.020424", "{report}");
    let gas = report["gas"]["total"].as_u64().unwrap_or(0);
    assert!(gas > 0, "{report}");
    assert_eq!(
        report["gas"]["cost"]["polygon"]["amount"],
        mesh_runtime::amount::format_units(u128::from(gas) * 30_000_000_000, 18),
        "{report}"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let greedy = write(dir.path(), "greedy.mesh", &with_floor("331 USDC"));
    let (code, stdout, _) = outcome(&run(&["run", &greedy, "--engine", "evm", "--json"]));
    assert_eq!(code, 1, "{stdout}");
    let report = json(&stdout);
    assert_eq!(report["revert"]["line"], 12, "{report}");
    let reason = report["revert"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("min_profit: the bundle makes "),
        "{reason}"
    );
}
