//! Runs per second of the flagship on the model engine (native code, the
//! bundle compiled once with the JIT) and on the EVM engine (the bundle's
//! plan made and run on the world deployed from the real contracts'
//! bytecode), in one run, and their ratio. Both at `-O`, on the default
//! world (whose 10 WBTC at aave on polygon carry the flagship's ordinary
//! borrow), each run from the same state:
//! the model's world rewound, the EVM's chains restored from a snapshot.
//! The EVM engine's deployment is made once and timed apart.
//!
//! `cargo bench -p meshc --bench engines`

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::evm::{holder, run_on};
use meshc::pipeline::analyse;
use std::time::{Duration, Instant};

const FLAGSHIP: &str = include_str!("../../examples/polygon_arbitrum_arbitrage.mesh");

/// Runs `f` for about `budget` in batches; the best batch's time per run.
fn per_run(budget: Duration, batch: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut best = Duration::MAX;
    while start.elapsed() < budget || best == Duration::MAX {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        best = best.min(t.elapsed() / batch);
    }
    best
}

fn main() {
    let analysis = analyse(
        FLAGSHIP,
        &Registry::default_registry(),
        &CheckOptions::default(),
    );
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let world = World::default_world();
    let bundle = &analysis.checked.bundles[0];
    let program = match analysis.lower(bundle, OptLevel::O) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let compiled = match meshc::codegen::jit::compile(&program, false) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let (report, _) = compiled.run(world.clone());
    assert!(report.committed(), "the model reverts: {:?}", report.revert);

    let deploy = Instant::now();
    let holder = holder(&program).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = mesh_evm::EvmEngine::new(&world, holder).unwrap_or_else(|e| panic!("{e}"));
    let deploy = deploy.elapsed();
    let outcome =
        run_on(&mut engine, &program, &world, OptLevel::O).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        outcome.report.committed(),
        "the EVM reverts: {:?}",
        outcome.report.revert
    );
    // (What each returns is compared in compiler/tests/agreement.rs: here
    // the EVM keeps the ordinary loan's premium, which Aave does not charge.)

    let budget = Duration::from_secs(3);
    let mut slot = Some(world.clone());
    let model = per_run(budget, 200, || {
        let Some(w) = slot.take() else { return };
        let (_, session) = compiled.run(w);
        slot = session.rewind().ok();
    });
    let evm = per_run(budget, 5, || {
        if let Err(e) = run_on(&mut engine, &program, &world, OptLevel::O) {
            panic!("{e}");
        }
    });
    let rate = |d: Duration| 1.0 / d.as_secs_f64();
    println!("| engine | time per run | runs per second |");
    println!("|---|---:|---:|");
    println!(
        "| model (native code) | {:.1} µs | {:.0} |",
        model.as_secs_f64() * 1e6,
        rate(model)
    );
    println!(
        "| EVM (plan + revm) | {:.1} ms | {:.1} |",
        evm.as_secs_f64() * 1e3,
        rate(evm)
    );
    println!();
    println!(
        "ratio: the model engine runs the flagship {:.0}× as often per second as the EVM engine",
        rate(model) / rate(evm)
    );
    println!(
        "the EVM world's deployment (once): {:.0} ms",
        deploy.as_secs_f64() * 1e3
    );
}
