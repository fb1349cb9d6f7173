//! `meshc gas`: the real binary prints the documented JSON schema and human
//! table, its figures are what `meshc run` meters, and its exit codes are
//! the documented ones (docs/optimiser.md).

use mesh_tests::{outcome, root, run};
use serde_json::Value;

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

/// The JSON report of `meshc gas FILE --format json`, after checking it
/// succeeded.
fn gas_json(file: &str) -> Value {
    let (code, stdout, stderr) = outcome(&run(&["gas", file, "--format", "json"]));
    assert_eq!(code, 0, "{file}: {stderr}");
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{file}: the report is not JSON ({e}):\n{stdout}"))
}

/// The JSON report of `meshc run FILE --json` with extra arguments.
fn run_json(file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["run", file, "--json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = outcome(&run(&args));
    assert_eq!(code, 0, "{file} {extra:?}: {stdout}\n{stderr}");
    let report: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{file}: the report is not JSON ({e}):\n{stdout}"));
    assert_eq!(report["status"], "would_commit", "{file}: {report}");
    report
}

const BUNDLE_FIELDS: [&str; 14] = [
    "name",
    "gas_o0",
    "gas_o0_executor",
    "gas_o",
    "blocks_o0",
    "blocks_o0_executor",
    "blocks_o",
    "gas_optimum",
    "search",
    "passes",
    "routes",
    "cost_o0",
    "cost_o",
    "quote",
];

#[test]
fn the_json_report_has_exactly_the_documented_schema() {
    let (accepted, _) = mesh_tests::examples();
    assert!(!accepted.is_empty());
    for path in accepted {
        let file = path.display().to_string();
        let report = gas_json(&file);
        let top: Vec<&String> = report
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(top, vec!["bundles"], "{file}: {report}");
        let bundles = report["bundles"].as_array().cloned().unwrap_or_default();
        assert!(!bundles.is_empty(), "{file}: {report}");
        for bundle in bundles {
            let mut keys: Vec<&str> = bundle
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            keys.sort_unstable();
            let mut expected = BUNDLE_FIELDS.to_vec();
            expected.sort_unstable();
            assert_eq!(keys, expected, "{file}: {bundle}");
            assert!(bundle["name"].is_string(), "{bundle}");
            for field in [
                "gas_o0",
                "gas_o0_executor",
                "gas_o",
                "blocks_o0",
                "blocks_o0_executor",
                "blocks_o",
            ] {
                assert!(bundle[field].is_u64(), "{file}: {field} in {bundle}");
            }
            assert!(
                bundle["gas_optimum"].is_u64() || bundle["gas_optimum"].is_null(),
                "{bundle}"
            );
            let mut keys: Vec<&str> = bundle["search"]
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            keys.sort_unstable();
            assert_eq!(
                keys,
                vec!["actions", "candidates", "microseconds"],
                "{file}: {bundle}"
            );
            for field in ["actions", "candidates", "microseconds"] {
                assert!(bundle["search"][field].is_u64(), "{file}: {bundle}");
            }
            let passes = bundle["passes"].as_array().cloned().unwrap_or_default();
            assert!(!passes.is_empty(), "{bundle}");
            let mut saved = 0u64;
            for pass in passes {
                let mut keys: Vec<&str> = pass
                    .as_object()
                    .map(|o| o.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                keys.sort_unstable();
                assert_eq!(keys, vec!["name", "saved"], "{pass}");
                assert!(pass["name"].is_string(), "{pass}");
                saved += pass["saved"].as_u64().unwrap_or(u64::MAX / 4);
            }
            let (o0, o) = (
                bundle["gas_o0"].as_u64().unwrap_or(0),
                bundle["gas_o"].as_u64().unwrap_or(0),
            );
            assert!(o <= o0, "{file}: {bundle}");
            assert_eq!(saved, o0 - o, "{file}: the savings add up: {bundle}");
            // Each chain's gas priced: on the default world every chain
            // has a gas price, so each level's chains are listed, their
            // gas adding up to the level's.
            for (level, total) in [("cost_o0", o0), ("cost_o", o)] {
                let costs = bundle[level].as_array().cloned().unwrap_or_default();
                let mut sum = 0u64;
                for cost in &costs {
                    let mut keys: Vec<&str> = cost
                        .as_object()
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    keys.sort_unstable();
                    assert_eq!(
                        keys,
                        vec!["amount", "chain", "gas", "gas_price", "token"],
                        "{cost}"
                    );
                    sum += cost["gas"].as_u64().unwrap_or(u64::MAX / 4);
                }
                assert_eq!(sum, total, "{file}: {level} in {bundle}");
            }
            assert!(bundle["quote"].is_null(), "{file}: no --quote: {bundle}");
        }
    }
}

/// `meshc gas` gives the schedule's charge; a run meters it and what its
/// balance writes add by their values (docs/gas.md, "Balances at run
/// time"), which each transaction gives as `balance_gas`.
#[test]
fn the_figures_at_o_are_what_the_runtime_charges() {
    let (accepted, _) = mesh_tests::examples();
    for path in accepted {
        let file = path.display().to_string();
        let report = gas_json(&file);
        let bundle = &report["bundles"][0];
        let metered = run_json(&file, &["-O"]);
        let added: i64 = metered["transactions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["balance_gas"].as_i64().unwrap_or(i64::MAX / 4))
            .sum();
        let total = metered["gas"]["total"].as_i64().unwrap_or(i64::MAX / 4);
        assert_eq!(bundle["gas_o"].as_i64(), Some(total - added), "{file}");
        assert_eq!(bundle["blocks_o"], metered["blocks"], "{file}");
    }
}

/// A cross-chain bundle without a deadline, so that `-O0` runs it too.
const NO_DEADLINE: &str = "bundle there_and_swap on polygon {
    input 2 WETH
    let there = bridge 2 WETH to arbitrum
    on arbitrum {
        swap there for 3_000 USDC on uniswap_v2
    }
}
";

#[test]
fn the_figures_at_o0_are_what_the_runtime_meters() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(dir.path(), "no_deadline.mesh", NO_DEADLINE);
    let report = gas_json(&file);
    let bundle = &report["bundles"][0];
    assert_eq!(bundle["name"], "there_and_swap");
    for (level, gas, blocks) in [("-O0", "gas_o0", "blocks_o0"), ("-O", "gas_o", "blocks_o")] {
        let metered = run_json(&file, &[level]);
        assert_eq!(bundle[gas], metered["gas"]["total"], "{level}: {metered}");
        assert_eq!(bundle[blocks], metered["blocks"], "{level}: {metered}");
    }
    assert!(
        bundle["gas_o"].as_u64() < bundle["gas_o0"].as_u64(),
        "{bundle}"
    );
}

/// With `--quote`, each level's gas in the quote token is what a run's
/// report charges the result at that level, and each chain's priced gas is
/// what the run's report prices it at.
#[test]
fn the_gas_in_money_is_what_a_run_charges() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(dir.path(), "no_deadline.mesh", NO_DEADLINE);
    let (code, stdout, stderr) =
        outcome(&run(&["gas", &file, "--format", "json", "--quote", "USDC"]));
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    let bundle = &report["bundles"][0];
    assert_eq!(bundle["quote"]["token"], "USDC", "{bundle}");
    for (level, gas, cost) in [("-O0", "gas_o0", "cost_o0"), ("-O", "gas_o", "cost_o")] {
        let metered = run_json(&file, &[level, "--quote", "USDC"]);
        assert_eq!(
            bundle["quote"][gas], metered["net"]["gas"],
            "{level}: {metered}"
        );
        let priced: Vec<(Value, Value)> = bundle[cost]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c["chain"].clone(), c["amount"].clone()))
            .collect();
        let run_priced: Vec<(Value, Value)> = metered["gas"]["cost"]
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|(chain, c)| (Value::String(chain), c["amount"].clone()))
            .collect();
        assert_eq!(priced, run_priced, "{level}: {metered}");
    }
    let (code, _, stderr) = outcome(&run(&["gas", &file, "--quote", "XYZ"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--quote: unknown token `XYZ`"), "{stderr}");
}

/// Eleven deposits: more actions than the exact search takes.
const ELEVEN_DEPOSITS: &str = "bundle eleven on polygon {
    input 11 USDC
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    deposit 1 USDC into aave
}
";

/// The optimum and its share appear only where the search ran; what it
/// searched is in the JSON either way.
#[test]
fn the_optimum_is_reported_only_where_the_search_ran() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(dir.path(), "eleven.mesh", ELEVEN_DEPOSITS);
    let report = gas_json(&file);
    let bundle = &report["bundles"][0];
    assert!(bundle["gas_optimum"].is_null(), "{bundle}");
    assert_eq!(bundle["search"]["actions"], 11, "{bundle}");
    assert_eq!(bundle["search"]["candidates"], 0, "{bundle}");
    let (code, stdout, stderr) = outcome(&run(&["gas", &file]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("optimum          not searched (11 actions, more than 10)"),
        "{stdout}"
    );
    assert!(!stdout.contains("reaches"), "{stdout}");

    let simple = gas_json(&example("simple_arbitrage.mesh"));
    let bundle = &simple["bundles"][0];
    assert_eq!(bundle["gas_optimum"], bundle["gas_o"], "{bundle}");
    assert_eq!(bundle["search"]["actions"], 4, "{bundle}");
    assert!(
        bundle["search"]["candidates"].as_u64() >= Some(1),
        "{bundle}"
    );
}

#[test]
fn the_human_report_of_an_example() {
    let (code, stdout, stderr) = outcome(&run(&["gas", &example("simple_arbitrage.mesh")]));
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout);
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("missing.mesh").display().to_string();
    let (code, stdout, stderr) = outcome(&run(&["gas", &missing]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(!stderr.is_empty());
}

#[test]
fn errors_in_the_source_give_no_figures() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(dir.path(), "bad.mesh", "bundle b on nowhere { }\n");
    let (code, stdout, stderr) = outcome(&run(&["gas", &file, "--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("E0101"), "{stderr}");
    assert!(stderr.contains("no gas figures"), "{stderr}");
}

/// `--world` takes the routes' gas from a world file: the flagship's `-O0`
/// lowering sends both bridges on the most trusted route (htlb), so 10,000
/// more gas on the polygon → arbitrum htlb route costs it exactly 10,000
/// more; an unreadable world is a usage error.
#[test]
fn the_world_file_gives_the_routes_gas() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let default =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let route =
        r#"{ from = "polygon", to = "arbitrum", kind = "htlb", delay_blocks = 5, gas = 36563,"#;
    assert!(
        default.contains(route),
        "the default world changed its htlb route"
    );
    let dearer = default.replace(route, &route.replace("36563", "46563"));
    let world = write(dir.path(), "dearer.toml", &dearer);
    let flagship = example("polygon_arbitrum_arbitrage.mesh");

    let base = gas_json(&flagship);
    let (code, stdout, stderr) = outcome(&run(&[
        "gas", &flagship, "--format", "json", "--world", &world,
    ]));
    assert_eq!(code, 0, "{stderr}");
    let dear: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}"));
    let o0 = |v: &Value| v["bundles"][0]["gas_o0"].as_u64().unwrap_or(0);
    assert_eq!(o0(&dear), o0(&base) + 10_000, "{dear}");

    let missing = dir.path().join("missing.toml").display().to_string();
    let (code, _, stderr) = outcome(&run(&["gas", &flagship, "--world", &missing]));
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.toml"), "{stderr}");
}

/// The gas benchmark's table in docs/optimiser.md holds the figures
/// `meshc gas` gives for every example today: a change to the lowering or
/// the optimiser that moves a figure must regenerate the table
/// (`cargo bench -p meshc --bench gas`).
#[test]
fn the_documented_gas_table_is_what_meshc_gas_prints() {
    let page = std::fs::read_to_string(root().join("docs/optimiser.md"))
        .unwrap_or_else(|e| panic!("docs/optimiser.md: {e}"));
    let section = page
        .split("## The gas benchmark")
        .nth(1)
        .unwrap_or_else(|| panic!("docs/optimiser.md has no gas benchmark"));
    let rows: Vec<Vec<&str>> = section
        .lines()
        .take_while(|line| !line.starts_with("Mean reduction"))
        .filter(|line| line.starts_with("| ") && !line.starts_with("| bundle"))
        .map(|line| line.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let (accepted, _) = mesh_tests::examples();
    let mut shown = 0;
    for path in accepted {
        let report = gas_json(&path.display().to_string());
        for bundle in report["bundles"].as_array().into_iter().flatten() {
            let name = bundle["name"].as_str().unwrap_or_default();
            let Some(row) = rows.iter().find(|r| r.first() == Some(&name)) else {
                panic!("docs/optimiser.md's gas table has no row for {name}");
            };
            let figure = |key: &str| bundle[key].as_u64().unwrap_or_default();
            let (o0, o) = (figure("gas_o0"), figure("gas_o"));
            let reduction = format!("{:.1}%", (o0 - o) as f64 * 100.0 / o0 as f64);
            let expected = [
                name.to_string(),
                mesh_runtime::amount::group_digits(&o0.to_string(), ','),
                mesh_runtime::amount::group_digits(&o.to_string(), ','),
                reduction,
                figure("blocks_o0").to_string(),
                figure("blocks_o").to_string(),
            ];
            assert_eq!(
                row.get(..6),
                Some(&expected.iter().map(String::as_str).collect::<Vec<_>>()[..]),
                "docs/optimiser.md's row for {name}"
            );
            shown += 1;
        }
    }
    assert_eq!(shown, rows.len(), "rows for bundles that are not examples");
}
