//! Execution speed of the flagship bundle: native code (compiled once with
//! the JIT, run many times) against the IR interpreter, each run on a fresh
//! copy of the default world, and what the runtime costs per action.
//!
//! `cargo bench -p meshc --bench execute` prints a table. It is a
//! measurement, not a test: the table shows how native code compares.

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::driver::analyse;
use meshc::ir::{Program, Term};
use meshc::lower::{self, Input};
use std::time::{Duration, Instant};

const FLAGSHIP: &str = include_str!("../../examples/polygon_arbitrum_flash_loan.mesh");

fn program(level: OptLevel) -> (Program, World) {
    let analysis = analyse(FLAGSHIP, &Registry::builtin(), &CheckOptions::default());
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let mut world = World::builtin();
    lower::declare_tokens(&analysis.parsed.file, &mut world.registry);
    let bundle = &analysis.checked.bundles[0];
    let input = Input::new(FLAGSHIP, &analysis, bundle);
    match lower::lower(bundle, &input, level) {
        Ok(p) => (p, world),
        Err(e) => panic!("{e}"),
    }
}

/// The boxes of a program: the runtime actions one run performs.
fn actions(term: &Term) -> usize {
    match term {
        Term::Gen(_) => 1,
        Term::Seq(ts) | Term::Tensor(ts) => ts.iter().map(actions).sum(),
        Term::Tx { body, .. } => body.iter().map(actions).sum(),
    }
}

/// Runs `f` in batches for about `budget`; the best batch's time per run.
fn per_run(budget: Duration, mut f: impl FnMut()) -> Duration {
    let batch = 200;
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < budget {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        best = best.min(t.elapsed() / batch);
    }
    best
}

fn main() {
    let budget = Duration::from_millis(1500);
    println!("flagship: polygon_arbitrum_flash_loan, a fresh default world per run");
    println!();
    println!(
        "| level | actions | interpreter runs/s | native runs/s | native / interpreter | world copy | native ns/action (runtime) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for level in [OptLevel::O, OptLevel::O0] {
        let (program, world) = program(level);
        let compiled = match meshc::codegen::jit::compile(&program, false) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        // Both give the same report (compiler/tests/codegen.rs checks it).
        let (a, _) = meshc::interp::run(&program, world.clone());
        let (b, _) = compiled.run(world.clone());
        assert_eq!(a.to_json(), b.to_json());

        let copy = per_run(budget / 3, || {
            std::hint::black_box(world.clone());
        });
        let interp = per_run(budget, || {
            std::hint::black_box(meshc::interp::run(&program, world.clone()));
        });
        let native = per_run(budget, || {
            std::hint::black_box(compiled.run(world.clone()));
        });
        let n = actions(&program.body);
        let per_action = native.saturating_sub(copy).as_nanos() as f64 / n.max(1) as f64;
        println!(
            "| {} | {n} | {:.0} | {:.0} | {:.2}x | {:.1} µs | {per_action:.0} |",
            level.flag(),
            1.0 / interp.as_secs_f64(),
            1.0 / native.as_secs_f64(),
            interp.as_secs_f64() / native.as_secs_f64(),
            copy.as_secs_f64() * 1e6,
        );
    }
    println!();
    println!("ns/action: a native run's time, less the world copy, over its actions");
    println!("(session start and finish included): what the runtime itself costs.");
}
