//! Execution speed of the flagship bundle: native code (compiled once with
//! the JIT, run many times) against the IR interpreter, the default world
//! reset between runs, and what the runtime costs per action.
//!
//! The world is reset by rewinding the run's journal (`Session::rewind`):
//! every run starts from the same world, at the cost of undoing what the
//! run changed rather than of copying the world.
//!
//! For an instruction profiler, `MESH_EXECUTE_RUNS=native:1000` (or
//! `interpreter:1000`) makes exactly that many `-O` runs of one executor
//! and prints nothing: `valgrind --tool=callgrind` on the bench binary then
//! counts instructions, free of timing noise (docs/codegen.md).
//!
//! `cargo bench -p meshc --bench execute` prints a table. It is a
//! measurement, not a test: the table shows how native code compares.

use mesh_runtime::{Registry, Report, Session, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::{Program, Term};
use meshc::pipeline::analyse;
use std::time::{Duration, Instant};

const FLAGSHIP: &str = include_str!("../../examples/polygon_arbitrum_arbitrage.mesh");

fn program(level: OptLevel) -> (Program, World) {
    let analysis = analyse(
        FLAGSHIP,
        &Registry::default_registry(),
        &CheckOptions::default(),
    );
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let mut world = World::default_world();
    analysis.declare_tokens(&mut world.registry);
    let bundle = &analysis.checked.bundles[0];
    match analysis.lower(bundle, level) {
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

/// Runs the interpreter and native code on `world` in alternating batches
/// for about `budget`, rewinding the world after each run, so that both
/// see the same machine conditions; each one's best batch time per run.
/// Checks that the rewound worlds are the one they started from.
fn interleaved(
    budget: Duration,
    world: &World,
    mut interpreter: impl FnMut(World) -> (Report, Session),
    mut native: impl FnMut(World) -> (Report, Session),
) -> (Duration, Duration) {
    let (mut a, mut b) = (Some(world.clone()), Some(world.clone()));
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    let start = Instant::now();
    while start.elapsed() < budget {
        best_a = best_a.min(batch(|| run_once(&mut a, &mut interpreter)));
        best_b = best_b.min(batch(|| run_once(&mut b, &mut native)));
    }
    assert!(a.as_ref() == Some(world), "a rewound world differs");
    assert!(b.as_ref() == Some(world), "a rewound world differs");
    (best_a, best_b)
}

/// The time per run of one batch of runs of `f`.
fn batch(mut f: impl FnMut()) -> Duration {
    const RUNS: u32 = 200;
    let t = Instant::now();
    for _ in 0..RUNS {
        f();
    }
    t.elapsed() / RUNS
}

/// One run on the world in `slot`, which then holds the world rewound.
fn run_once(slot: &mut Option<World>, run: &mut impl FnMut(World) -> (Report, Session)) {
    let Some(w) = slot.take() else { return };
    let (report, session) = run(w);
    std::hint::black_box(&report);
    let rewound = session.rewind();
    *slot = Some(rewound.unwrap_or_else(|_| panic!("a change could not be rewound (a defect)")));
}

/// Runs `f` in batches for about `budget`; the best batch's time per run.
fn per_run(budget: Duration, mut f: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    let start = Instant::now();
    while start.elapsed() < budget {
        best = best.min(batch(&mut f));
    }
    best
}

/// `MESH_EXECUTE_RUNS=EXECUTOR:N`: the executor (`native` or
/// `interpreter`) and how many runs, for a profiler.
fn fixed_runs() -> Option<(bool, u64)> {
    let spec = std::env::var("MESH_EXECUTE_RUNS").ok()?;
    let (executor, count) = spec.split_once(':')?;
    let native = match executor {
        "native" => true,
        "interpreter" => false,
        _ => return None,
    };
    Some((native, count.parse().ok()?))
}

fn main() {
    if let Some(spec) = std::env::var_os("MESH_EXECUTE_RUNS") {
        let Some((native, count)) = fixed_runs() else {
            eprintln!("MESH_EXECUTE_RUNS={spec:?}: expected native:N or interpreter:N");
            std::process::exit(2);
        };
        let (program, world) = program(OptLevel::O);
        let compiled = match meshc::codegen::jit::compile(&program, false) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let mut slot = Some(world);
        let mut run = |w: World| {
            if native {
                compiled.run(w)
            } else {
                meshc::interp::run(&program, w)
            }
        };
        for _ in 0..count {
            run_once(&mut slot, &mut run);
        }
        return;
    }
    let budget = Duration::from_millis(1500);
    println!("flagship: polygon_arbitrum_arbitrage on the default world, reset between runs");
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
        let (interp, native) = interleaved(
            budget * 2,
            &world,
            |w| meshc::interp::run(&program, w),
            |w| compiled.run(w),
        );
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
