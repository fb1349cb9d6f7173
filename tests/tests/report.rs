//! docs/report.md against the real binary: its example prints exactly what
//! the page shows, in text and in JSON, and the keys its tables document
//! are exactly the keys the binary prints.

use mesh_tests::{examples, outcome, root, run};
use serde_json::Value;
use std::collections::BTreeSet;

fn page() -> String {
    std::fs::read_to_string(root().join("docs/report.md"))
        .unwrap_or_else(|e| panic!("docs/report.md: {e}"))
}

/// The text of the first block fenced as ```` ```lang ```` after `heading`.
fn block(page: &str, heading: &str, lang: &str) -> String {
    let from = page
        .find(heading)
        .unwrap_or_else(|| panic!("docs/report.md has no `{heading}`"));
    let fence = format!("```{lang}\n");
    let start = page[from..]
        .find(&fence)
        .map(|i| from + i + fence.len())
        .unwrap_or_else(|| panic!("no ```{lang} block after `{heading}`"));
    let end = page[start..]
        .find("```")
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("the ```{lang} block after `{heading}` is not closed"));
    page[start..end].to_string()
}

/// Runs `meshc run` on `source`, written to a file named after `name`.
fn run_source(dir: &std::path::Path, name: &str, source: &str, args: &[&str]) -> (i32, String) {
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap_or_else(|e| panic!("{e}"));
    let path = path.display().to_string();
    let mut all = vec!["run", path.as_str()];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = outcome(&run(&all));
    assert!(code == 0 || code == 1, "meshc {all:?}: {stdout}{stderr}");
    (code, stdout)
}

#[test]
fn the_example_prints_what_the_page_shows() {
    let page = page();
    let source = block(&page, "## An example", "mesh");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = run_source(dir.path(), "tour.mesh", &source, &[]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(text, block(&page, "## An example", "text"));

    let (_, json) = run_source(dir.path(), "tour.mesh", &source, &["--json"]);
    assert_eq!(json.lines().count(), 1, "one line: {json}");
    let printed: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let shown: Value = serde_json::from_str(&block(&page, "## The JSON report", "json"))
        .unwrap_or_else(|e| panic!("the page's JSON does not parse: {e}"));
    assert_eq!(printed, shown);
}

/// The text of a reverted report, as the page shows it, is what a bundle
/// that reverts at -O0 prints.
#[test]
fn the_reverted_report_reads_as_the_page_says() {
    let page = page();
    let shown = block(&page, "## All or nothing, at every level", "text");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (code, text) = run_source(
        dir.path(),
        "late.mesh",
        "bundle late on polygon {\n    input 100 USDC\n    deposit 60 USDC into aave\n    deposit 40 USDC into compound\n} constraints {\n    min_balance: 1 USDC on polygon\n}\n",
        &["-O0"],
    );
    assert_eq!(code, 1);
    assert_eq!(text, shown);
}

/// Every key of every object in `value`, at any depth.
fn keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

/// The keys the page's tables document: the first column of every row
/// (`| `a`, `b` | …`), and the keys a row names inside its value column.
fn documented(page: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let section = &page[page.find("## The JSON report").unwrap_or(0)..];
    let mut rows = BTreeSet::new();
    let mut mentioned = BTreeSet::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let mut cells = line.split('|').skip(1);
        let first = cells.next().unwrap_or_default();
        for word in first.split('`').skip(1).step_by(2) {
            rows.insert(word.to_string());
        }
        for cell in cells {
            for word in cell.split('`').skip(1).step_by(2) {
                mentioned.insert(word.to_string());
            }
        }
    }
    (rows, mentioned)
}

/// Every key printed for every example, at both levels, for the page's
/// example and for a reverted bundle is documented; and every key the
/// tables list in their first column is printed by one of them.
#[test]
fn the_documented_keys_are_the_printed_keys() {
    let page = page();
    let (rows, mentioned) = documented(&page);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut printed = BTreeSet::new();
    let mut outputs = Vec::new();
    let (accepted, _) = examples();
    for path in accepted {
        let file = path.display().to_string();
        for level in ["-O0", "-O"] {
            let (_, stdout, stderr) = outcome(&run(&["run", &file, level, "--json"]));
            // Some examples miss their deadline at -O0, or borrow at -O0
            // where they state no collateral, which the checker sees
            // before anything runs.
            if level == "-O0"
                && stdout.is_empty()
                && (stderr.contains("E0801") || stderr.contains("E0603"))
            {
                continue;
            }
            outputs.push((format!("{file} {level}"), stdout, stderr));
        }
    }
    let (_, tour) = run_source(
        dir.path(),
        "tour.mesh",
        &block(&page, "## An example", "mesh"),
        &["--json"],
    );
    outputs.push(("the page's example".into(), tour, String::new()));
    let (_, reverted) = run_source(
        dir.path(),
        "r.mesh",
        "bundle r on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for 1 USDC on uniswap_v2\n    require x >= 1_000_000 USDC\n}\n",
        &["--json"],
    );
    outputs.push(("a reverted bundle".into(), reverted, String::new()));
    for (what, stdout, stderr) in &outputs {
        let value: Value = serde_json::from_str(stdout)
            .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {stdout}{stderr}"));
        keys(&value, &mut printed);
    }
    // The keys under `result` and `by_chain` are chains and tokens, not
    // fields.
    let names: BTreeSet<String> = outputs
        .iter()
        .filter_map(|(_, stdout, _)| serde_json::from_str::<Value>(stdout).ok())
        .flat_map(|v| {
            let mut names = Vec::new();
            for map in [&v["result"], &v["gas"]["by_chain"]] {
                if let Value::Object(chains) = map {
                    for (chain, tokens) in chains {
                        names.push(chain.clone());
                        if let Value::Object(tokens) = tokens {
                            names.extend(tokens.keys().cloned());
                        }
                    }
                }
            }
            names
        })
        .collect();
    let fields: BTreeSet<&String> = printed.difference(&names).collect();
    let undocumented: Vec<&&String> = fields
        .iter()
        .filter(|k| !rows.contains(k.as_str()) && !mentioned.contains(k.as_str()))
        .collect();
    assert!(
        undocumented.is_empty(),
        "printed but not in docs/report.md's tables: {undocumented:?}"
    );
    let unprinted: Vec<&String> = rows.iter().filter(|k| !printed.contains(*k)).collect();
    assert!(
        unprinted.is_empty(),
        "in docs/report.md's tables but never printed: {unprinted:?}"
    );
}
