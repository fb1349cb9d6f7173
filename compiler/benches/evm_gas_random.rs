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

use common::{bundle, lowered, perturbed};
use mesh_evm::deploy::Holder;
use mesh_evm::EvmEngine;
use mesh_runtime::amount::group_digits;
use mesh_runtime::report::Call;
use meshc::check::OptLevel;
use meshc::evm::{run_on, with_collateral};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Worlds the bundles are spread over, as in the agreement test.
const WORLDS: u64 = 10;

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

fn short(call: &Call) -> String {
    match call {
        Call::Input { .. } => "input".into(),
        Call::Approve { token, .. } => format!("approve {token}"),
        Call::Borrow {
            flash: true, token, ..
        } => format!("flash loan {token}"),
        Call::Borrow { token, .. } => format!("borrow {token}"),
        Call::BorrowDebt { token, .. } => format!("borrow {token} as debt"),
        Call::RepayDebt { token, .. } => format!("repay {token} debt"),
        Call::Repay { flash: true, .. } => "flash repay".into(),
        Call::Repay { token, .. } => format!("repay {token}"),
        Call::Swap { path, .. } => format!("swap {}", path.join("→")),
        Call::Deposit { token, .. } => format!("deposit {token}"),
        Call::Withdraw { token, .. } => format!("withdraw {token}"),
        Call::Bridge { token, kind, .. } => format!("bridge {token} ({kind})"),
        Call::Wrap { token, .. } => format!("wrap {token}"),
        Call::Unwrap { token, .. } => format!("unwrap {token}"),
    }
}

/// Whether `call` moves nothing: a lender call or a bridge of zero, which
/// the plan does not send.
fn moves_nothing(call: &Call) -> bool {
    match call {
        Call::Borrow { amount, .. }
        | Call::Repay { amount, .. }
        | Call::BorrowDebt { amount, .. }
        | Call::RepayDebt { amount, .. }
        | Call::Deposit { amount, .. }
        | Call::Withdraw { amount, .. }
        | Call::Bridge { amount, .. } => amount.base == 0,
        _ => false,
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
    let wanted = wanted();
    let per_world = wanted.div_ceil(WORLDS as usize);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]),
    );
    let strategy = bundle();
    let mut measured: Vec<Measured> = Vec::new();
    let (mut bundles, mut committed_runs) = (0usize, 0usize);
    for w in 0..WORLDS {
        let seed = 0x5eed_0000 + w;
        let world = if w % 2 == 0 {
            perturbed(seed)
        } else {
            with_collateral(perturbed(seed))
        };
        let mut engines = match (
            EvmEngine::new(&world, Holder::Wallet),
            EvmEngine::new(&world, Holder::Executor),
        ) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => panic!("{e}"),
        };
        let (mut here, mut tries) = (0usize, 0usize);
        while here < per_world && tries < per_world * 20 {
            tries += 1;
            let source = match strategy.new_tree(&mut runner) {
                Ok(tree) => tree.current(),
                Err(e) => panic!("{e}"),
            };
            let Some((o0, o)) = lowered(&source) else {
                continue;
            };
            let mut planned = true;
            for (level, program) in [(OptLevel::O0, &o0), (OptLevel::O, &o)] {
                let engine = match level {
                    OptLevel::O0 => &mut engines.0,
                    OptLevel::O => &mut engines.1,
                };
                let outcome = match run_on(engine, program, &world, level) {
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
                        .map(|c| short(&c.what))
                        .collect::<Vec<_>>()
                        .join(", ");
                    measured.push(Measured {
                        model: tx.model_gas,
                        evm,
                        level,
                        calls,
                        moves_nothing: model_calls.iter().any(|c| moves_nothing(&c.what)),
                        source: source.clone(),
                    });
                }
            }
            if planned {
                here += 1;
                bundles += 1;
            }
        }
    }
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
    println!(
        "The transactions furthest off, then those furthest off whose calls all move something:"
    );
    println!();
    println!("| level | calls | model gas | EVM gas | EVM − model |");
    println!("|---|---|---:|---:|---:|");
    let furthest: Vec<&Measured> = measured.iter().take(6).collect();
    let furthest_moving: Vec<&Measured> = measured
        .iter()
        .filter(|m| !m.moves_nothing)
        .take(6)
        .collect();
    for m in furthest.iter().chain(&furthest_moving) {
        println!(
            "| {} | {} | {} | {} | {:+.1}% |",
            m.level.flag(),
            m.calls,
            group_digits(&m.model.to_string(), ','),
            group_digits(&m.evm.to_string(), ','),
            m.off()
        );
    }
    if let Some(worst) = furthest_moving.first() {
        println!();
        println!(
            "The bundle furthest off among those whose calls all move something:\n\n```mesh\n{}```",
            worst.source
        );
    }
}
