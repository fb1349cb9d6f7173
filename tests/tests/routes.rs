//! Trust is the user's to give: `meshc gas` and `meshc run` say which route
//! each unpinned bridge takes at `-O` and why, a less secure route is taken
//! only where `min_security` allows it, and the figures follow.

use mesh_tests::{outcome, root, run};
use serde_json::Value;

fn flagship_source() -> String {
    let path = root()
        .join("examples")
        .join("polygon_arbitrum_arbitrage.mesh");
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The flagship with `extra` added to its constraints, written to `dir`.
fn flagship_with(dir: &std::path::Path, extra: &str) -> String {
    let source = flagship_source().replace("deadline: 20", &format!("deadline: 20\n    {extra}"));
    assert!(source.contains(extra), "the flagship lost its deadline");
    let path = dir.join("flagship.mesh");
    std::fs::write(&path, source).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn gas_json(file: &str) -> Value {
    let (code, stdout, stderr) = outcome(&run(&["gas", file, "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}:\n{stdout}"))
}

#[test]
fn without_min_security_the_routes_stay_and_the_sooner_one_is_named() {
    let file = root()
        .join("examples")
        .join("polygon_arbitrum_arbitrage.mesh")
        .display()
        .to_string();
    let (code, stdout, stderr) = outcome(&run(&["gas", &file]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "note: the bridge at 11:5 (polygon to arbitrum) keeps `htlb`: `threshold` would arrive 2 blocks sooner but trusts a signer set (security 1); allow it with `min_security: threshold`"
        ),
        "{stdout}"
    );
    let report = gas_json(&file);
    let routes = &report["bundles"][0]["routes"];
    assert_eq!(routes.as_array().map(Vec::len), Some(2), "{report}");
    for route in routes.as_array().into_iter().flatten() {
        assert_eq!(route["route_o0"], "htlb");
        assert_eq!(route["route_o"], "htlb");
        assert_eq!(route["refused"], "threshold");
        assert_eq!(route["allowed_by"], Value::Null);
    }
}

#[test]
fn min_security_threshold_moves_the_routes_and_says_so() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = flagship_with(dir.path(), "min_security: threshold");
    let trusting = gas_json(&file);
    let plain = gas_json(
        &root()
            .join("examples")
            .join("polygon_arbitrum_arbitrage.mesh")
            .display()
            .to_string(),
    );
    let bundle = &trusting["bundles"][0];
    for route in bundle["routes"].as_array().into_iter().flatten() {
        assert_eq!(route["route_o"], "threshold", "{route}");
        assert_eq!(route["allowed_by"], "threshold", "{route}");
        assert_eq!(route["security_o"], 1, "{route}");
        // Every route's lock costs the same gas: only time differs.
        assert_eq!(route["gas_saved"], 0, "{route}");
        assert_eq!(route["blocks_sooner"], 2, "{route}");
    }
    // Both bridges move: as much gas as keeping htlb, 2 blocks sooner each.
    let gas = |r: &Value| r["bundles"][0]["gas_o"].as_u64().unwrap_or(0);
    let blocks = |r: &Value| r["bundles"][0]["blocks_o"].as_u64().unwrap_or(0);
    assert_eq!(gas(&plain), gas(&trusting));
    assert_eq!(blocks(&plain) - blocks(&trusting), 4);
    // `meshc run` tells the same on stderr, the report on stdout.
    let (code, stdout, stderr) = outcome(&run(&["run", &file]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "note: the bridge at 11:5 (polygon to arbitrum) takes `threshold` instead of `htlb`: 2 blocks sooner; security 1 (trusts a signer set), as `min_security: threshold` at 20:5 allows"
        ),
        "{stderr}"
    );
    assert!(!stdout.contains("note:"), "{stdout}");
}

#[test]
fn a_pinned_route_below_min_security_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("pinned.mesh");
    std::fs::write(
        &path,
        "bundle b on polygon {\n    input 10 WETH\n    bridge 10 WETH to arbitrum via threshold\n} constraints {\n    min_security: zk\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file = path.display().to_string();
    let (code, stdout, stderr) = outcome(&run(&["run", &file]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("[E0703]"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}
