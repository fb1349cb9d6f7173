//! The optimiser's cost as bundles grow: for bundles of 10, 50, 200 and
//! 1,000 actions, the time to optimise the `-O0` lowering (scheduling,
//! route choice and every law to its fixed point, rescheduling after the
//! laws, verified after each rewrite as `meshc gas` does, and without the
//! verifier as `meshc run -O` does in a release build), best of several
//! runs. Prints a Markdown table with the growth from one size to the next
//! as an exponent (`t ∝ n^k` between the two sizes) and whether it stays
//! within quadratic.
//!
//! `cargo bench -p meshc --bench optimiser`

use mesh_runtime::Registry;
use meshc::check::CheckOptions;
use meshc::pipeline::{analyse, optimise};
use std::time::{Duration, Instant};

/// The actions of one group.
const GROUP_ACTIONS: usize = 10;

/// One group of statements: ten actions over two chains, exercising the
/// scheduler and every kind of law (deposits merged and cancelled, a swap
/// chain across two exchanges, a flash loan, a transfer read on arrival and
/// one that is not); what a group holds flows on to the next through the
/// polygon holdings it leaves.
fn group(i: usize) -> String {
    format!(
        "    input 10 USDC
    input 1 USDT
    deposit 1 USDC into aave
    deposit 1 USDC into aave
    withdraw 1 USDC from aave
    swap 2 USDC for WETH on uniswap_v2
    swap all WETH for 1 DAI on sushiswap
    borrow 5 USDT from aave
    repay 5 USDT to aave
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
        "| actions | boxes | optimise, verified (ms) | optimise, unverified (ms) | µs per action | growth from the size before |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut previous: Option<(usize, f64)> = None;
    let mut worst: f64 = 0.0;
    for groups in [1usize, 5, 20, 100] {
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
        let actions = groups * GROUP_ACTIONS;
        let boxes = lowered.program.to_string().lines().count();
        let runs = if groups > 50 { 3 } else { 10 };
        let mut failed = None;
        let verified = best_of(runs, || {
            if let Err(e) = optimise(&lowered, &analysis.checked.registry, true) {
                failed = Some(e.to_string());
            }
        });
        let unverified = best_of(runs, || {
            if let Err(e) = optimise(&lowered, &analysis.checked.registry, false) {
                failed = Some(e.to_string());
            }
        });
        if let Some(e) = failed {
            eprintln!("the optimiser failed on {actions} actions: {e}");
            return;
        }
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let growth = previous.map(|(n, t): (usize, f64)| {
            (ms(unverified) / t).ln() / (actions as f64 / n as f64).ln()
        });
        if let Some(g) = growth {
            worst = worst.max(g);
        }
        println!(
            "| {actions} | {boxes} | {:.2} | {:.2} | {:.1} | {} |",
            ms(verified),
            ms(unverified),
            unverified.as_secs_f64() * 1e6 / actions as f64,
            growth.map_or("".to_string(), |g| format!("n^{g:.2}"))
        );
        previous = Some((actions, ms(unverified)));
    }
    println!();
    println!(
        "Steepest growth between two sizes: n^{worst:.2} ({} quadratic).",
        if worst <= 2.0 { "within" } else { "beyond" }
    );
}
