//! Gas, model against EVM: every transaction of every example at `-O0` and
//! `-O`, the gas the model engine meters (the schedule's charge and what
//! the run's balance writes add to it) beside the gas the EVM metered
//! running the bundle's plan on the real contracts' bytecode, what storage
//! refunds took off the EVM's figure, and the difference; then each
//! example's `-O` reduction on both. Prints Markdown tables (docs/gas.md).
//!
//! The world is the default one with more collateral at aave
//! (`meshc::evm::with_collateral`: `-O0` sends every loan as an ordinary
//! borrow, which the default world's positions do not all carry); deadlines and `max_gas` are dropped, so that the
//! `-O0` forms that miss their deadline still show their transactions.
//! Examples that use a model-only lender have no EVM figures.
//!
//! `cargo bench -p meshc --bench evm_gas`

#[path = "../tests/common/mod.rs"]
mod common;

use common::engines::call_label;
use mesh_evm::deploy::Holder;
use mesh_evm::EvmEngine;
use mesh_runtime::amount::group_digits;
use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::evm::{run_on, with_collateral};
use meshc::ir::Constraint;
use meshc::pipeline::analyse_with_pairs;
use std::path::PathBuf;

fn thousands(n: u64) -> String {
    group_digits(&n.to_string(), ',')
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "mesh"));
    files.sort();
    let base = with_collateral(World::default_world());
    let facts = meshc::interp::world_facts(&base);
    let mut engines = match (
        EvmEngine::new(&base, Holder::Wallet),
        EvmEngine::new(&base, Holder::Executor),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => panic!("{e}"),
    };
    let mut rows = Vec::new();
    let mut totals = Vec::new();
    let mut worst: f64 = 0.0;
    let (mut measured, mut within) = (0usize, 0usize);
    for file in &files {
        let Ok(source) = std::fs::read_to_string(file) else {
            continue;
        };
        let mut registry = Registry::default_registry();
        let analysis =
            analyse_with_pairs(&source, &registry, Some(&facts), &CheckOptions::default());
        if analysis.has_errors() {
            eprintln!("{} does not check", file.display());
            continue;
        }
        analysis.declare_tokens(&mut registry);
        let mut world = base.clone();
        world.registry = registry;
        let Some(bundle) = analysis.checked.bundles.first() else {
            continue;
        };
        let mut sums = Vec::new();
        for level in [OptLevel::O0, OptLevel::O] {
            let Ok(mut program) = analysis.lower_verified(bundle, level) else {
                continue;
            };
            program
                .constraints
                .items
                .retain(|(c, _)| !matches!(c, Constraint::Deadline(_) | Constraint::MaxGas(_)));
            let engine = match level {
                OptLevel::O0 => &mut engines.0,
                OptLevel::O => &mut engines.1,
            };
            let outcome = match run_on(engine, &program, &world, level) {
                Ok(o) => o,
                Err(e) => {
                    rows.push(format!(
                        "| {} | {} | — | — | — | model only: {} | — | — | — | — | — |",
                        bundle.name,
                        level.flag(),
                        e.message.split(':').next().unwrap_or_default()
                    ));
                    sums.push(None);
                    continue;
                }
            };
            if let Some(r) = &outcome.run.revert {
                rows.push(format!(
                    "| {} | {} | — | — | — | the EVM reverts at line {}: {} | — | — | — | — | — |",
                    bundle.name,
                    level.flag(),
                    r.loc.line,
                    r.reason
                ));
                sums.push(None);
                continue;
            }
            let (mut model_total, mut evm_total) = (0u64, 0u64);
            for (i, tx) in outcome.planned.plan.transactions.iter().enumerate() {
                let Some(evm) = outcome.run.gas.get(i).copied().flatten() else {
                    continue;
                };
                let calls: Vec<String> = outcome
                    .planned
                    .model
                    .transactions
                    .get(i)
                    .map(|t| t.calls.iter().map(|c| call_label(&c.what)).collect())
                    .unwrap_or_default();
                let refund = outcome.run.refunds.get(i).copied().flatten().unwrap_or(0);
                let model = tx.model_gas;
                let balances = outcome
                    .planned
                    .model
                    .transactions
                    .get(i)
                    .map_or(0, |t| t.balance_gas);
                model_total += model;
                evm_total += evm;
                let diff = i128::from(evm) - i128::from(model);
                let pct = diff as f64 * 100.0 / evm as f64;
                worst = worst.max(pct.abs());
                measured += 1;
                if diff.unsigned_abs() * 50 <= u128::from(evm) {
                    within += 1;
                }
                rows.push(format!(
                    "| {} | {} | {} | {} | {} | {} | {} | {:+} | {} | {} | {:+} ({:+.1}%) |",
                    bundle.name,
                    level.flag(),
                    i + 1,
                    tx.chain,
                    tx.sender.as_str(),
                    calls.join(", "),
                    thousands(model),
                    balances,
                    thousands(evm),
                    thousands(refund),
                    diff,
                    pct
                ));
            }
            sums.push(Some((model_total, evm_total)));
        }
        totals.push((bundle.name.clone(), sums));
    }
    println!("| bundle | level | tx | chain | sender | calls | model gas | of it, balances | EVM gas | EVM refund | EVM − model |");
    println!("|---|---|---:|---|---|---|---:|---:|---:|---:|---:|");
    for row in &rows {
        println!("{row}");
    }
    println!();
    println!("largest difference of one transaction: {worst:.1}% of the EVM's gas");
    println!();
    println!("transactions within 2% of the EVM's gas: {within} of {measured}");
    println!();
    println!("| bundle | -O0 model | -O model | reduction (model) | -O0 EVM | -O EVM | reduction (EVM) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, sums) in &totals {
        match sums.as_slice() {
            [Some((m0, e0)), Some((m1, e1))] => {
                let red = |a: u64, b: u64| (a as f64 - b as f64) * 100.0 / a as f64;
                println!(
                    "| {name} | {} | {} | {:.1}% | {} | {} | {:.1}% |",
                    thousands(*m0),
                    thousands(*m1),
                    red(*m0, *m1),
                    thousands(*e0),
                    thousands(*e1),
                    red(*e0, *e1)
                );
            }
            _ => println!("| {name} | — | — | — | — | — | — |"),
        }
    }
}
