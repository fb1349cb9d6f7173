//! The optimum benchmark: random well-typed bundles of up to 8 actions from
//! the property tests' generator (`compiler/tests/common/mod.rs`), each
//! measured as `meshc gas` measures it (`pipeline::figures`: `-O0`, `-O`
//! and the independent exact search, `meshc::search`): the share of the optimum's savings that `-O` reaches
//! (mean, minimum, how many reach it exactly), the optimiser's time per
//! bundle, and what the search cost. Then the bundles where `-O` and the
//! optimum differ, the first few printed with both programs.
//!
//! `cargo bench -p meshc --bench optimum` prints the tables (2,000 bundles;
//! `MESH_OPTIMUM_BUNDLES=N` for another count, `MESH_OPTIMUM_SHOW=N` to
//! print N differing bundles of each kind instead of 3). A measurement,
//! not a test.

#[path = "../tests/common/mod.rs"]
mod common;

use mesh_runtime::amount::display_count;
use mesh_runtime::Registry;
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::{gas, Op, Program, Term};
use meshc::pipeline::figures::{figures, figures_with};
use meshc::pipeline::{analyse, optimise};
use meshc::search::Limits;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use std::collections::BTreeMap;
use std::time::Instant;

/// The bundles of the table have at most this many actions.
const TABLE: usize = 8;

/// The limit the bundles above it are searched with.
const BEYOND: usize = 16;

/// A bundle above the table's size: its share, where the search ran to
/// its end, and what the search cost.
struct Beyond {
    share: Option<f64>,
    exact: bool,
    micros: u64,
    candidates: u64,
    /// Where the search ran to its end and -O differs: the bundle, its
    /// figures and both programs.
    differs: Option<Differs>,
}

struct Differs {
    source: String,
    gas_o0: u64,
    gas_o: u64,
    optimum: u64,
    o: Program,
    best: Program,
}

struct Row {
    source: String,
    actions: usize,
    gas_o0: u64,
    gas_o: u64,
    optimum: u64,
    o: Program,
    best: Program,
    opt_micros: u64,
    search_micros: u64,
    candidates: u64,
    nodes: u64,
    outcomes: u64,
    transactions: u64,
}

impl Row {
    /// `-O`'s savings over the optimum's, in per cent (100 when neither
    /// saves anything).
    fn share(&self) -> f64 {
        let best = self.gas_o0.saturating_sub(self.optimum);
        if best == 0 {
            return if self.gas_o <= self.gas_o0 {
                100.0
            } else {
                0.0
            };
        }
        (self.gas_o0 as f64 - self.gas_o as f64) * 100.0 / best as f64
    }
}

/// One row of the table: bundles by action count.
fn line(label: String, rs: &[&Row]) {
    if rs.is_empty() {
        return;
    }
    let n = rs.len() as f64;
    let exact = rs.iter().filter(|r| r.gas_o == r.optimum).count();
    let above = rs.iter().filter(|r| r.gas_o > r.optimum).count();
    let below = rs.iter().filter(|r| r.gas_o < r.optimum).count();
    let mean_share = rs.iter().map(|r| r.share()).sum::<f64>() / n;
    let min_share = rs.iter().map(|r| r.share()).fold(f64::INFINITY, f64::min);
    let opt = rs.iter().map(|r| r.opt_micros).sum::<u64>() as f64 / n;
    let opt_max = rs.iter().map(|r| r.opt_micros).max().unwrap_or(0);
    let search = rs.iter().map(|r| r.search_micros).sum::<u64>() as f64 / n;
    let search_max = rs.iter().map(|r| r.search_micros).max().unwrap_or(0);
    let cand = rs.iter().map(|r| r.candidates).sum::<u64>() as f64 / n;
    let cand_max = rs.iter().map(|r| r.candidates).max().unwrap_or(0);
    println!(
        "| {label} | {} | {exact} ({:.1}%) | {above} | {below} | {mean_share:.1}% | {min_share:.1}% | {opt:.0} | {opt_max} | {search:.0} | {search_max} | {cand:.1} | {cand_max} |",
        rs.len(),
        exact as f64 * 100.0 / n,
    );
}

/// What a program calls: transactions and calls by kind.
fn profile(program: &Program) -> BTreeMap<&'static str, i64> {
    let flash = gas::flash_debts(&program.body);
    let mut counts: BTreeMap<&'static str, i64> = BTreeMap::new();
    fn walk(
        term: &Term,
        flash: &std::collections::BTreeSet<meshc::ir::Wire>,
        counts: &mut BTreeMap<&'static str, i64>,
    ) {
        let mut add = |what: &'static str, n: i64| *counts.entry(what).or_insert(0) += n;
        match term {
            Term::Gen(node) => match &node.op {
                Op::Approve { .. } => add("approvals", 1),
                Op::Borrow { flash: true, .. } => add("flash loans", 1),
                Op::FlashLoan { amounts, .. } => {
                    add("multi-asset calls", 1);
                    add("flash loans", amounts.len() as i64);
                }
                Op::Borrow { .. } => add("borrows", 1),
                Op::Repay { debt, .. } if !flash.contains(debt) => add("repays", 1),
                Op::Swap { path, .. } => {
                    add("swaps", 1);
                    add("pair hops", path.len() as i64 - 1);
                }
                Op::Deposit { .. } => add("deposits", 1),
                Op::Withdraw { .. } => add("withdrawals", 1),
                Op::Bridge { .. } => add("route calls", 1),
                Op::BridgeBatch { inputs, .. } => {
                    add("route calls", 1);
                    add("batch entries", inputs.len() as i64 - 1);
                }
                _ => {}
            },
            Term::Seq(ts) | Term::Tensor(ts) => {
                for t in ts {
                    walk(t, flash, counts);
                }
            }
            Term::Tx { body, .. } => {
                add("transactions", 1);
                for t in body {
                    walk(t, flash, counts);
                }
            }
        }
    }
    walk(&program.body, &flash, &mut counts);
    counts
}

/// `-O`'s calls less the optimum's, kind by kind ("route calls +1, batch
/// entries -1"); "same calls" when only accesses or routes differ.
fn difference(o: &Program, best: &Program) -> String {
    let (a, b) = (profile(o), profile(best));
    let kinds: std::collections::BTreeSet<&&str> = a.keys().chain(b.keys()).collect();
    let parts: Vec<String> = kinds
        .into_iter()
        .filter_map(|k| {
            let d = a.get(*k).copied().unwrap_or(0) - b.get(*k).copied().unwrap_or(0);
            (d != 0).then(|| format!("{k} {d:+}"))
        })
        .collect();
    if parts.is_empty() {
        "same calls".to_string()
    } else {
        parts.join(", ")
    }
}

fn main() {
    let wanted: usize = std::env::var("MESH_OPTIMUM_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let registry = Registry::default_registry();
    let raised = Limits {
        max_actions: BEYOND,
        ..Limits::default()
    };
    let mut runner = TestRunner::deterministic();
    let strategy = common::bundle();
    let mut rows: Vec<Row> = Vec::new();
    let mut beyond: BTreeMap<usize, Vec<Beyond>> = BTreeMap::new();
    let (mut generated, mut rejected, mut larger, mut unsearched) = (0u64, 0u64, 0u64, 0u64);
    while rows.len() < wanted && generated < 100 * wanted as u64 {
        generated += 1;
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let source = tree.current();
        let analysis = analyse(
            &source,
            &registry,
            &CheckOptions {
                level: OptLevel::O0,
            },
        );
        let Some(bundle) = analysis.checked.bundles.first() else {
            rejected += 1;
            continue;
        };
        if analysis.has_errors() {
            rejected += 1;
            continue;
        }
        // The figures meshc gas prints, with the search's limit raised so
        // that the larger bundles of the draw show how far it goes.
        let f = match figures_with(&analysis, bundle, &raised) {
            Ok(f) => f,
            Err(e) => panic!("{e}\n{source}"),
        };
        if f.searched.actions > TABLE {
            larger += 1;
            let differs = match (f.gas_optimum, &f.optimum) {
                (Some(optimum), Some(best)) if optimum != f.gas_o => Some(Differs {
                    source: source.clone(),
                    gas_o0: f.gas_o0,
                    gas_o: f.gas_o,
                    optimum,
                    o: f.o.clone(),
                    best: best.clone(),
                }),
                _ => None,
            };
            beyond.entry(f.searched.actions).or_default().push(Beyond {
                share: f.optimum_ratio(),
                exact: f.gas_optimum == Some(f.gas_o),
                micros: f.searched.micros,
                candidates: f.searched.candidates,
                differs,
            });
            continue;
        }
        let (Some(optimum), Some(best)) = (f.gas_optimum, f.optimum) else {
            unsearched += 1;
            continue;
        };
        // The optimiser alone, without the verifier, timed.
        let lowered = match analysis.lower_o0(bundle) {
            Ok(l) => l,
            Err(e) => panic!("{e}\n{source}"),
        };
        let start = Instant::now();
        if let Err(e) = optimise(&lowered, &registry, false) {
            panic!("{e}\n{source}");
        }
        let opt_micros = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        rows.push(Row {
            actions: f.searched.actions,
            gas_o0: f.gas_o0,
            gas_o: f.gas_o,
            optimum,
            o: f.o,
            best,
            opt_micros,
            search_micros: f.searched.micros,
            candidates: f.searched.candidates,
            nodes: f.searched.nodes,
            outcomes: f.searched.outcomes,
            transactions: f.searched.transactions,
            source,
        });
    }

    println!(
        "{} bundles of up to {} actions ({generated} generated: {rejected} rejected by the checker, {larger} with more actions, {unsearched} not searched within the budget)",
        rows.len(),
        TABLE
    );
    println!();
    println!("| actions | bundles | -O = optimum | -O above | -O below | mean share | min share | optimiser mean µs | optimiser max µs | search mean µs | search max µs | candidates mean | candidates max |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut by_actions: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for row in &rows {
        by_actions.entry(row.actions).or_default().push(row);
    }
    for (actions, rs) in &by_actions {
        line(actions.to_string(), rs);
    }
    let all: Vec<&Row> = rows.iter().collect();
    line("all".to_string(), &all);

    // The search's work, by action count.
    println!();
    println!("| actions | partial schedules mean | max | orders and outcomes mean | max | transactions metered mean | max |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for (actions, rs) in &by_actions {
        let n = rs.len() as f64;
        let stat = |f: fn(&Row) -> u64| {
            let mean = rs.iter().map(|r| f(r)).sum::<u64>() as f64 / n;
            let max = rs.iter().map(|r| f(r)).max().unwrap_or(0);
            format!("{mean:.1} | {max}")
        };
        println!(
            "| {actions} | {} | {} | {} |",
            stat(|r| r.nodes),
            stat(|r| r.outcomes),
            stat(|r| r.transactions)
        );
    }

    // What differs between -O and the optimum, call by call.
    let mut differences: BTreeMap<String, Vec<&Row>> = BTreeMap::new();
    for row in rows.iter().filter(|r| r.gas_o != r.optimum) {
        differences
            .entry(difference(&row.o, &row.best))
            .or_default()
            .push(row);
    }
    let mut differences: Vec<(String, Vec<&Row>)> = differences.into_iter().collect();
    differences.sort_by_key(|(_, rs)| std::cmp::Reverse(rs.len()));
    println!();
    println!("| -O's calls less the optimum's | bundles | -O above | -O below | mean share |");
    println!("|---|---:|---:|---:|---:|");
    for (what, rs) in &differences {
        let above = rs.iter().filter(|r| r.gas_o > r.optimum).count();
        let below = rs.len() - above;
        let mean = rs.iter().map(|r| r.share()).sum::<f64>() / rs.len() as f64;
        println!("| {what} | {} | {above} | {below} | {mean:.1}% |", rs.len());
    }

    let show: usize = std::env::var("MESH_OPTIMUM_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for (title, keep) in [
        (
            "-O above the optimum",
            (|r: &Row| r.gas_o > r.optimum) as fn(&Row) -> bool,
        ),
        ("-O below the optimum", |r: &Row| r.gas_o < r.optimum),
    ] {
        let differ: Vec<&Row> = rows.iter().filter(|r| keep(r)).collect();
        println!();
        println!("## {title}: {} bundles", differ.len());
        for row in differ.iter().take(show) {
            println!();
            println!(
                "-O0 {}, -O {}, optimum {} (share {:.1}%): {}",
                display_count(row.gas_o0),
                display_count(row.gas_o),
                display_count(row.optimum),
                row.share(),
                difference(&row.o, &row.best)
            );
            println!("```\n{}```", row.source);
            println!("-O:\n```\n{}```", row.o);
            println!("optimum:\n```\n{}```", row.best);
        }
    }

    println!();
    println!(
        "Bundles of the same draw with more than {TABLE} actions, searched with the limit raised to {BEYOND} (not in the table above; shares over the bundles searched to the end):"
    );
    println!();
    println!("| actions | bundles | searched to the end | -O = optimum | min share | search mean µs | search max µs | candidates mean |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (actions, runs) in beyond.range(..=BEYOND) {
        let n = runs.len() as f64;
        let done: Vec<&Beyond> = runs.iter().filter(|r| r.share.is_some()).collect();
        let exact = done.iter().filter(|r| r.exact).count();
        let min = done
            .iter()
            .filter_map(|r| r.share)
            .fold(f64::INFINITY, f64::min);
        let min = if done.is_empty() {
            "-".to_string()
        } else {
            format!("{min:.1}%")
        };
        let mean = runs.iter().map(|r| r.micros).sum::<u64>() as f64 / n;
        let max = runs.iter().map(|r| r.micros).max().unwrap_or(0);
        let cand = runs.iter().map(|r| r.candidates).sum::<u64>() as f64 / n;
        println!(
            "| {actions} | {} | {} | {exact} | {min} | {mean:.0} | {max} | {cand:.1} |",
            runs.len(),
            done.len()
        );
    }
    let above: usize = beyond.range(BEYOND + 1..).map(|(_, r)| r.len()).sum();
    println!();
    println!("{above} bundles of the draw have more than {BEYOND} actions: not searched.");

    let differ: Vec<&Differs> = beyond
        .values()
        .flatten()
        .filter_map(|r| r.differs.as_ref())
        .collect();
    println!();
    println!(
        "## Above {TABLE} actions, -O differs from the optimum: {} bundles",
        differ.len()
    );
    for d in differ.iter().take(show) {
        println!();
        println!(
            "-O0 {}, -O {}, optimum {}: {}",
            display_count(d.gas_o0),
            display_count(d.gas_o),
            display_count(d.optimum),
            difference(&d.o, &d.best)
        );
        println!("```\n{}```", d.source);
        println!("-O:\n```\n{}```", d.o);
        println!("optimum:\n```\n{}```", d.best);
    }

    hard_cases(&registry);
}

/// Bundles of 8 actions built to make the search work: many independent
/// actions, many law instances, several chains.
const HARD: [(&str, &str); 5] = [
    (
        "eight transfers, four tokens, one zk route",
        "bundle transfers on polygon {
    input 10 USDC\ninput 10 DAI\ninput 10 USDT\ninput 1 WETH
    bridge 5 USDC to arbitrum via zk\nbridge 5 DAI to arbitrum via zk
    bridge 5 USDT to arbitrum via zk\nbridge 0.5 WETH to arbitrum via zk
    bridge 5 USDC to arbitrum via zk\nbridge 5 DAI to arbitrum via zk
    bridge 5 USDT to arbitrum via zk\nbridge 0.5 WETH to arbitrum via zk
}",
    ),
    (
        "eight independent swaps on eight pairs",
        "bundle swaps on polygon {
    input 10 USDC\ninput 10 DAI\ninput 10 USDT\ninput 1 WETH
    swap 5 USDC for WETH on uniswap_v2\nswap 5 DAI for WBTC on uniswap_v2
    swap 5 USDT for DAI on uniswap_v2\nswap 0.5 WETH for USDT on uniswap_v2
    swap 5 USDC for DAI on sushiswap\nswap 5 DAI for USDT on sushiswap
    swap 5 USDT for WBTC on sushiswap\nswap 0.5 WETH for WBTC on sushiswap
}",
    ),
    (
        "four fusable swap chains",
        "bundle chains on polygon {
    input 10 USDC\ninput 10 DAI\ninput 10 USDT\ninput 1 WBTC
    let a = swap 5 USDC for WETH on uniswap_v2\nswap a for DAI on uniswap_v2
    let b = swap 5 DAI for WBTC on sushiswap\nswap b for WETH on sushiswap
    let c = swap 5 USDT for USDC on sushiswap\nswap c for DAI on sushiswap
    let d = swap 0.5 WBTC for USDT on uniswap_v2\nswap d for USDC on uniswap_v2
}",
    ),
    (
        "eight deposits and withdrawals, two lenders",
        "bundle lenders on polygon {
    input 100 USDC\ninput 100 DAI
    deposit 10 USDC into aave\ndeposit 10 DAI into aave
    withdraw 10 USDC from aave\ndeposit 10 USDC into compound
    deposit 10 DAI into compound\nwithdraw 10 DAI from aave
    deposit 10 USDC into aave\nwithdraw 10 DAI from compound
}",
    ),
    (
        "independent steps on four chains",
        "bundle chains4 on polygon {
    parallel { on optimism { input 10 USDC\n swap all USDC for WETH on uniswap_v2 } }
    and { on base { input 10 DAI\n deposit all DAI into aave } }
    and { on arbitrum { input 10 USDT\n swap all USDT for DAI on sushiswap } }
    and { input 10 USDC\n deposit all USDC into aave }
    input 10 WBTC\nbridge 1 WBTC to arbitrum via zk
    on base { input 10 USDC\n swap all USDC for DAI on uniswap_v2 }
    on optimism { input 10 DAI\n deposit all DAI into compound }
    on arbitrum { input 10 USDC\n deposit all USDC into aave }
}",
    ),
];

fn hard_cases(registry: &Registry) {
    println!();
    println!("| bundle (8 actions) | -O gas | optimum gas | search µs | candidates | partial schedules | orders and outcomes | transactions metered |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, source) in HARD {
        let analysis = analyse(
            source,
            registry,
            &CheckOptions {
                level: OptLevel::O0,
            },
        );
        let Some(bundle) = analysis
            .checked
            .bundles
            .first()
            .filter(|_| !analysis.has_errors())
        else {
            println!(
                "| {name} | does not check: {:?} |",
                analysis.diagnostics.first().map(|d| d.message.clone())
            );
            continue;
        };
        let f = match figures(&analysis, bundle) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let s = &f.searched;
        let status = match &f.not_searched {
            None => String::new(),
            Some(why) => format!(" (not searched: {why})"),
        };
        let optimum = f
            .gas_optimum
            .map_or("not searched".to_string(), display_count);
        println!(
            "| {name}{status} | {} | {optimum} | {} | {} | {} | {} | {} |",
            display_count(f.gas_o),
            s.micros,
            s.candidates,
            s.nodes,
            s.outcomes,
            s.transactions
        );
    }
}
