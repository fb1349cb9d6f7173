//! Gas, model against EVM, beyond the examples: random well-typed bundles
//! from the property tests' generator (`compiler/tests/common/mod.rs`) on
//! random worlds (`perturbed`, half of them with more collateral at aave),
//! each run at `-O0` and `-O` on both engines as the agreement test runs
//! them; for every transaction of a bundle both engines commit, the model's
//! gas (the schedule's charge and what the balance writes add) against the
//! gas the EVM metered. Prints how many transactions are within 2% and 5%,
//! the largest difference, and the transactions furthest off with their
//! calls, so that what the model leaves out shows by name.
//!
//! `cargo bench -p meshc --bench evm_gas_random` (1,000 bundles;
//! `MESH_EVM_GAS_BUNDLES=N` for another count). A measurement, not a test.

#[path = "../tests/common/mod.rs"]
mod common;

use common::engines::{call_label, for_each_random_case};
use mesh_runtime::amount::group_digits;
use meshc::check::OptLevel;
use meshc::evm::run_on;

/// One transaction both engines committed.
struct Measured {
    model: u64,
    evm: u64,
    level: OptLevel,
    calls: String,
    /// Whether a call of it moves nothing (the plan sends none).
    moves_nothing: bool,
    source: String,
}

impl Measured {
    /// `(EVM − model) / EVM`, in percent.
    fn off(&self) -> f64 {
        (self.evm as f64 - self.model as f64) * 100.0 / self.evm as f64
    }
}

fn thousands(n: usize) -> String {
    group_digits(&n.to_string(), ',')
}

fn wanted() -> usize {
    std::env::var("MESH_EVM_GAS_BUNDLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

fn main() {
    let mut measured: Vec<Measured> = Vec::new();
    let (mut bundles, mut committed_runs) = (0usize, 0usize);
    for_each_random_case(wanted(), |case, engines| {
        let mut planned = true;
        for (level, program) in [(OptLevel::O0, case.o0), (OptLevel::O, case.o)] {
            let engine = match level {
                OptLevel::O0 => &mut engines.wallet,
                OptLevel::O => &mut engines.executor,
            };
            let outcome = match run_on(engine, program, case.world, level) {
                Ok(o) => o,
                Err(_) => {
                    planned = false;
                    continue;
                }
            };
            if outcome.planned.model.revert.is_some() || outcome.run.revert.is_some() {
                continue;
            }
            committed_runs += 1;
            for (i, tx) in outcome.planned.plan.transactions.iter().enumerate() {
                let Some(evm) = outcome.run.gas.get(i).copied().flatten() else {
                    continue;
                };
                let model_calls = outcome
                    .planned
                    .model
                    .transactions
                    .get(i)
                    .map(|t| t.calls.as_slice())
                    .unwrap_or_default();
                let calls = model_calls
                    .iter()
                    .map(|c| call_label(&c.what))
                    .collect::<Vec<_>>()
                    .join(", ");
                measured.push(Measured {
                    model: tx.model_gas,
                    evm,
                    level,
                    calls,
                    moves_nothing: model_calls.iter().any(|c| c.what.moves_nothing()),
                    source: case.source.to_string(),
                });
            }
        }
        if planned {
            bundles += 1;
        }
        planned
    });
    println!(
        "{} random bundles with a plan at both levels; {} runs committed on both engines",
        thousands(bundles),
        thousands(committed_runs)
    );
    println!();
    println!(
        "| transactions | measured | within 1% | within 2% | within 5% | largest difference |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |what: &str, pick: &dyn Fn(&Measured) -> bool| {
        let chosen: Vec<&Measured> = measured.iter().filter(|m| pick(m)).collect();
        let within = |pct: f64| chosen.iter().filter(|m| m.off().abs() <= pct).count();
        let largest = chosen.iter().map(|m| m.off().abs()).fold(0.0, f64::max);
        println!(
            "| {what} | {} | {} | {} | {} | {largest:.1}% |",
            thousands(chosen.len()),
            thousands(within(1.0)),
            thousands(within(2.0)),
            thousands(within(5.0))
        );
    };
    row("all", &|_| true);
    row("with a call that moves nothing", &|m| m.moves_nothing);
    row("without one", &|m| !m.moves_nothing);
    println!();
    measured.sort_by(|a, b| b.off().abs().total_cmp(&a.off().abs()));
    println!("The transactions furthest off:");
    println!();
    println!("| level | calls | model gas | EVM gas | EVM − model |");
    println!("|---|---|---:|---:|---:|");
    for m in measured.iter().take(8) {
        println!(
            "| {} | {} | {} | {} | {:+.1}% |",
            m.level.flag(),
            m.calls,
            group_digits(&m.model.to_string(), ','),
            group_digits(&m.evm.to_string(), ','),
            m.off()
        );
    }
    if let Some(worst) = measured.first() {
        println!();
        println!("The bundle furthest off:\n\n```mesh\n{}```", worst.source);
    }
}
