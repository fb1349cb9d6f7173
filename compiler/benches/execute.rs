//! Execution speed of the flagship bundle: native code (compiled once with
//! the JIT, run many times) against the IR interpreter, the default world
//! reset between runs, and what the runtime costs per action.
//!
//! The world is reset by rewinding the run's journal (`Session::rewind`):
//! every run starts from the same world, at the cost of undoing what the
//! run changed rather than of copying the world.
//!
//! `cargo bench -p meshc --bench execute` prints a table. It is a
//! measurement, not a test: the table shows how native code compares.

use mesh_runtime::{Registry, Report, Session, World};
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

/// Runs `run` on `world` again and again for about `budget`, rewinding the
/// world after each run; the best batch's time per run. Checks that the
/// rewound world is the one it started from.
fn per_run_reset(
    budget: Duration,
    world: &World,
    mut run: impl FnMut(World) -> (Report, Session),
) -> Duration {
    let mut slot = Some(world.clone());
    let time = per_run(budget, || {
        let Some(w) = slot.take() else { return };
        let (report, session) = run(w);
        std::hint::black_box(&report);
        slot = Some(session.rewind());
    });
    assert!(slot.as_ref() == Some(world), "a rewound world differs");
    time
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
    println!("flagship: polygon_arbitrum_flash_loan on the default world, reset between runs");
    println!();
    println!(
        "| level | actions | interpreter runs/s | native runs/s | native / interpreter | native ns/action | (a world copy, for scale) |"
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
        let interp = per_run_reset(budget, &world, |w| meshc::interp::run(&program, w));
        let native = per_run_reset(budget, &world, |w| compiled.run(w));
        let n = actions(&program.body);
        let per_action = native.as_nanos() as f64 / n.max(1) as f64;
        println!(
            "| {} | {n} | {:.0} | {:.0} | {:.2}x | {per_action:.0} | {:.1} µs |",
            level.flag(),
            1.0 / interp.as_secs_f64(),
            1.0 / native.as_secs_f64(),
            interp.as_secs_f64() / native.as_secs_f64(),
            copy.as_secs_f64() * 1e6,
        );
    }
    println!();
    println!("ns/action: a native run's time over its actions, session start, finish and");
    println!("world reset included: nearly all of it is the runtime's work.");
}
