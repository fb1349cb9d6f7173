//! The optimiser's cost as bundles grow: for bundles of about 10, 50, 200
//! and 1,000 actions, the time to optimise the `-O0` lowering (scheduling
//! and every law to its fixed point, verified after each rewrite as
//! `meshc gas` does, and without the verifier as `meshc run -O` does in a
//! release build), best of several runs. Prints a Markdown table and the
//! growth from one size to the next.
//!
//! `cargo bench -p meshc --bench optimiser`

use mesh_runtime::Registry;
use meshc::check::CheckOptions;
use meshc::pipeline::{analyse, optimise};
use std::time::{Duration, Instant};

/// One group of statements: seven actions over two chains, exercising the
/// scheduler and the local laws (a flash loan, a fused swap pair, merged
/// deposits, a bridge and its merge partner).
fn group(i: usize) -> String {
    format!(
        "    input 10 USDC
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    swap 2 USDC for WETH on uniswap_v2
    swap all WETH for 1 DAI on sushiswap
    let out{i} = bridge 3 USDC to arbitrum via zk
    on arbitrum {{
        swap out{i} for WETH on uniswap_v2
    }}
    bridge 1 USDC to arbitrum via zk
"
    )
}

fn bundle(groups: usize) -> String {
    let mut text = String::from("bundle grows on polygon {\n");
    for i in 0..groups {
        text.push_str(&group(i));
    }
    text.push_str("}\n");
    text
}

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        f();
        best = best.min(start.elapsed());
    }
    best
}

fn main() {
    let registry = Registry::default_registry();
    println!(
        "| actions | boxes | optimise, verified (ms) | optimise, unverified (ms) | µs per action |"
    );
    println!("|---:|---:|---:|---:|---:|");
    let mut previous: Option<(usize, f64)> = None;
    for groups in [1usize, 7, 28, 143] {
        let source = bundle(groups);
        let analysis = analyse(&source, &registry, &CheckOptions::default());
        if analysis.has_errors() {
            eprintln!(
                "the generated bundle does not check: {:?}",
                analysis.diagnostics.first()
            );
            return;
        }
        let Some(bundle) = analysis.checked.bundles.first() else {
            return;
        };
        let lowered = match analysis.lower_o0(bundle) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{e}");
                return;
            }
        };
        let actions = groups * 7;
        let boxes = lowered.program.to_string().lines().count();
        let runs = if groups > 50 { 3 } else { 10 };
        let verified = best_of(runs, || {
            let _ = optimise(&lowered, &analysis.checked.registry, true);
        });
        let unverified = best_of(runs, || {
            let _ = optimise(&lowered, &analysis.checked.registry, false);
        });
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "| {actions} | {boxes} | {:.2} | {:.2} | {:.1} |",
            ms(verified),
            ms(unverified),
            unverified.as_secs_f64() * 1e6 / actions as f64
        );
        if let Some((n, t)) = previous {
            let growth = (ms(unverified) / t).ln() / (actions as f64 / n as f64).ln();
            eprintln!("from {n} to {actions} actions the time grows as n^{growth:.2}");
        }
        previous = Some((actions, ms(unverified)));
    }
}
