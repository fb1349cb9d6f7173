//! `meshc plan` and `meshc run --engine evm`: the real binary writes a
//! bundle's unsigned transactions for the real contracts, runs them on the
//! EVM, and says clearly what a world lacks.

use mesh_tests::{outcome, root, run};

fn example(name: &str) -> String {
    root()
        .join(format!("examples/{name}.mesh"))
        .display()
        .to_string()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn a_plan_lists_each_chains_transactions_by_block_with_their_source_lines() {
    let (code, stdout, stderr) = outcome(&run(&["plan", &example("custom_token"), "-O0"]));
    assert_eq!(code, 0, "{stderr}");
    let plan = json(&stdout);
    assert_eq!(plan["bundle"], "pepe_to_base");
    assert_eq!(plan["level"], "O0");
    let chains = plan["chains"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = chains.iter().filter_map(|c| c["chain"].as_str()).collect();
    assert_eq!(names, ["base", "ethereum"]);
    // ethereum: the approval, then the lock, each its own block.
    let ethereum = &chains[1]["bundles"];
    assert_eq!(ethereum[0]["block_offset"], 0);
    let approve = &ethereum[0]["transactions"][0];
    assert_eq!(approve["sender"], "wallet");
    // approve(address,uint256) of the maximum allowance.
    let data = approve["data"].as_str().unwrap_or_default();
    assert!(data.starts_with("0x095ea7b3"), "{data}");
    assert!(data.ends_with(&"f".repeat(64)), "{data}");
    assert_eq!(approve["calls"][0]["line"], 9);
    let lock = &ethereum[1]["transactions"][0];
    assert!(lock["gas_limit"].as_u64().unwrap_or(0) > 21_000);
    assert_eq!(lock["calls"][0]["line"], 9);
    // base: the swap waits for the zk route's two blocks.
    let base = &chains[0]["bundles"];
    let offsets: Vec<u64> = base
        .as_array()
        .map(|b| {
            b.iter()
                .filter_map(|x| x["block_offset"].as_u64())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(offsets, [4, 5]);
    assert_eq!(plan["transfers"][0]["route"], "zk");
}

#[test]
fn an_optimised_plan_sends_one_executor_transaction_with_a_flash_loan() {
    let (code, stdout, stderr) = outcome(&run(&["plan", &example("simple_arbitrage")]));
    assert_eq!(code, 0, "{stderr}");
    let plan = json(&stdout);
    let tx = &plan["chains"][0]["bundles"][0]["transactions"][0];
    assert_eq!(tx["sender"], "executor");
    // run((address,uint256,bytes)[])
    assert!(tx["data"]
        .as_str()
        .unwrap_or_default()
        .starts_with("0xb06f1eb4"));
    let calls = tx["calls"].as_array().cloned().unwrap_or_default();
    // The flash loan at the top, the swaps inside its callback.
    assert_eq!(calls[0]["path"], serde_json::json!([0]));
    assert_eq!(calls[0]["line"], 6);
    assert!(calls.iter().any(|c| c["path"] == serde_json::json!([0, 1])));
    let lines: Vec<u64> = calls.iter().filter_map(|c| c["line"].as_u64()).collect();
    assert!(lines.contains(&7) && lines.contains(&8), "{lines:?}");
}

#[test]
fn the_evm_engine_reports_like_the_model_with_the_evms_gas() {
    let (code, model, _) = outcome(&run(&["run", &example("parallel_rebalance"), "--json"]));
    assert_eq!(code, 0);
    let (code, evm, stderr) = outcome(&run(&[
        "run",
        &example("parallel_rebalance"),
        "--engine",
        "evm",
        "--json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let (model, evm) = (json(&model), json(&evm));
    assert_eq!(evm["status"], "would_commit");
    assert_eq!(evm["result"], model["result"]);
    assert_eq!(evm["wallet"], model["wallet"]);
    assert_eq!(evm["lenders"], model["lenders"]);
    let count = |r: &serde_json::Value| r["transactions"].as_array().map(Vec::len);
    assert_eq!(count(&evm), count(&model));
    // Each transaction's gas is the EVM's, metered whole: its calls carry
    // none of their own.
    let tx = &evm["transactions"][0];
    assert_eq!(tx["gas"], tx["base_gas"]);
    assert_ne!(tx["gas"], model["transactions"][0]["gas"]);
}

#[test]
fn a_contracts_revert_names_the_bundles_line_and_the_contracts_reason() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The user's 20 WETH at aave on ethereum carry 10,000 USD more of
    // debt, not a million: Aave itself refuses the borrow.
    let source = write(
        dir.path(),
        "b.mesh",
        "bundle b on ethereum {\n    input 500 USDC\n    assume collateral 20 WETH at aave\n    borrow 1_000_000 USDC from aave\n    repay 1_000_000 USDC to aave\n}\n",
    );
    let (code, stdout, _) = outcome(&run(&["run", &source, "--engine", "evm", "--json", "-O0"]));
    assert_eq!(code, 1, "{stdout}");
    let report = json(&stdout);
    assert_eq!(report["status"], "reverted");
    assert_eq!(report["revert"]["line"], 4);
    let reason = report["revert"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("Aave error 36 (COLLATERAL_CANNOT_COVER_NEW_BORROW)"),
        "{reason}"
    );
    // `meshc plan` writes no plan for it.
    let (code, stdout, stderr) = outcome(&run(&["plan", &source, "-O0"]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("line 4"), "{stderr}");
}

/// A failed `require` is judged on the simulation's amounts before
/// anything is sent; the EVM engine's report gives the value against the
/// bound, word for word as the model engine's does, at both levels.
#[test]
fn a_failed_require_shows_the_value_on_the_evm_engine_too() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = write(
        dir.path(),
        "r.mesh",
        "bundle r on base {\n    input 1 WETH\n    let dai = swap 1 WETH for 2_000 DAI on uniswap_v2\n    require dai >= 10_005 DAI\n    deposit dai into aave\n}\n",
    );
    for level in ["-O0", "-O"] {
        let (code, model, _) = outcome(&run(&["run", &source, level]));
        assert_eq!(code, 1, "{model}");
        assert!(model.contains(": dai is "), "{model}");
        assert!(model.contains("needs at least 10_005 DAI"), "{model}");
        let (code, evm, stderr) = outcome(&run(&["run", &source, level, "--engine", "evm"]));
        assert_eq!(code, 1, "{evm}{stderr}");
        assert_eq!(evm, model, "{level}");
    }
}

#[test]
fn a_world_that_lacks_a_pair_or_a_contract_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    // The world without base's PEPE/WETH pool.
    let world = write(
        dir.path(),
        "world.toml",
        &world_text.replace("\"PEPE/WETH\" = [\"250000000000\", \"1000\"]\n", ""),
    );
    // The checker knows the world's pairs: the hop is refused before any
    // plan is made (E0414).
    let (code, _, stderr) = outcome(&run(&["plan", &example("custom_token"), "--world", &world]));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("[E0414] Error: `uniswap_v2` on base has no PEPE/WETH pair"),
        "{stderr}"
    );
    // compound has no contract: a plan cannot use it.
    let (code, _, stderr) = outcome(&run(&["plan", &example("liquidity_migration")]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("compound on polygon is model-only"),
        "{stderr}"
    );
    assert!(stderr.contains("line 5"), "{stderr}");
}
