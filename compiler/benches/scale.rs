//! How the compiler scales with its input: nesting depth, number of errors
//! and size of the file are the variables, each swept over a range, every
//! stage timed (best of three, release build).
//!
//! `cargo bench -p meshc --bench scale` prints the tables of
//! docs/performance.md. A stage that is linear in its input shows a
//! constant last column (time per level, per error, per byte or per step);
//! one that grows faster than its input shows that column growing.

use mesh_runtime::Registry;
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{render_json, HumanRenderer};
use meshc::pipeline::{analyse, Analysis};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    match last {
        Some(value) => (best, value),
        None => (best, f()),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// A figure as the tables of docs/ write it, in English prose:
/// `1,048,576`.
fn thousands(n: usize) -> String {
    mesh_runtime::amount::group_digits(&n.to_string(), ',')
}

/// `levels` nested blocks inside a bundle: `on` blocks on alternating
/// chains, or `parallel` groups whose second branch is empty.
fn nested(levels: usize, parallel: bool) -> String {
    let mut s = String::from("bundle deep on polygon {\n    input 1 WETH\n");
    for i in 0..levels {
        if parallel {
            s.push_str("parallel {\n");
        } else {
            s.push_str(if i % 2 == 0 {
                "on arbitrum {\n"
            } else {
                "on polygon {\n"
            });
        }
    }
    s.push_str(if parallel {
        "deposit 1 WETH into aave\n"
    } else {
        "input 1 USDC\n"
    });
    for _ in 0..levels {
        s.push_str(if parallel { "} and { }\n" } else { "}\n" });
    }
    s.push_str("}\n");
    s
}

/// One bundle with `errors` unknown tokens, each on its own line or all on
/// one line.
fn with_errors(errors: usize, one_line: bool) -> String {
    let mut s = String::from("bundle errors on polygon {\n");
    for i in 0..errors {
        let _ = write!(s, "    input 1 WETHX{i}");
        s.push(if one_line { ' ' } else { '\n' });
    }
    s.push_str("\n}\n");
    s
}

/// Well-typed bundles with a gas limit (so that checking lowers each one)
/// until the file has `bytes` bytes.
fn bundles(bytes: usize) -> (String, usize) {
    let mut s = String::with_capacity(bytes + 512);
    let mut n = 0;
    while s.len() < bytes {
        let _ = write!(
            s,
            "bundle b{n} on polygon {{
    let loan = borrow 1_000 USDC from aave
    let weth = swap loan for 0.3 WETH on uniswap_v2
    let back = swap weth for 1_001 USDC on sushiswap
    repay 1_000 USDC to aave
    on arbitrum {{
        input 10 USDC
    }}
}} constraints {{
    deadline: 40
    max_gas: 5_000_000
}}

"
        );
        n += 1;
    }
    (s, n)
}

/// One bundle of `steps` input/deposit pairs.
fn long_bundle(steps: usize) -> String {
    let mut s = String::from("bundle long on polygon {\n");
    for _ in 0..steps {
        s.push_str("    input 1 WETH\n    deposit 1 WETH into aave\n");
    }
    s.push_str("}\n");
    s
}

/// Lowers the file's first bundle at `level` and compiles it with the JIT,
/// as `meshc run` does before running; `None` when it does not lower.
fn lower_and_compile(analysis: &Analysis, level: OptLevel) -> Option<()> {
    let bundle = analysis.checked.bundles.first()?;
    let program = analysis.lower(bundle, level).ok()?;
    meshc::codegen::jit::compile(&program, false).ok()?;
    Some(())
}

fn depth_table(registry: &Registry, parallel: bool) {
    let options = CheckOptions {
        level: OptLevel::O0,
    };
    println!(
        "\nnesting depth, {} (the bound is {}; deeper is E0010)\n",
        if parallel {
            "`parallel` groups"
        } else {
            "`on` blocks"
        },
        mesh_grammar::MAX_NESTING
    );
    println!("| depth | bytes | check (ms) | fmt (ms) | lower + JIT -O0 (ms) | µs per level |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for depth in [32, 64, 128, 255, 1_000, 10_000, 100_000] {
        let source = nested(depth, parallel);
        let (check, analysis) = best_of(3, || analyse(&source, registry, &options));
        let (fmt, _) = best_of(3, || meshc::format::format_source(&source));
        let jit = if analysis.has_errors() {
            None
        } else {
            let (t, done) = best_of(3, || lower_and_compile(&analysis, OptLevel::O0));
            done.map(|()| t)
        };
        let total = check + fmt + jit.unwrap_or_default();
        println!(
            "| {} | {} | {} | {} | {} | {:.2} |",
            thousands(depth),
            thousands(source.len()),
            ms(check),
            ms(fmt),
            jit.map_or("rejected".to_string(), ms),
            total.as_secs_f64() * 1e6 / depth as f64
        );
    }
}

fn error_table(registry: &Registry, one_line: bool) {
    let options = CheckOptions::default();
    println!(
        "\nerrors (E0102), {}\n",
        if one_line {
            "all on one line"
        } else {
            "one per line"
        }
    );
    println!("| errors | bytes | check (ms) | human (ms) | JSON (ms) | µs per error (human) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for errors in [1_000, 4_000, 16_000, 64_000] {
        let source = with_errors(errors, one_line);
        let (check, analysis) = best_of(3, || analyse(&source, registry, &options));
        assert_eq!(
            analysis.error_count(),
            errors,
            "one error per unknown token"
        );
        let (human, bytes) = best_of(3, || {
            let renderer = HumanRenderer::new("scale.mesh", &source, false);
            analysis
                .diagnostics
                .iter()
                .map(|d| renderer.render(d).len())
                .sum::<usize>()
        });
        let (json, _) = best_of(3, || {
            render_json("scale.mesh", &source, &analysis.diagnostics)
        });
        assert!(bytes > 0);
        println!(
            "| {} | {} | {} | {} | {} | {:.2} |",
            thousands(errors),
            thousands(source.len()),
            ms(check),
            ms(human),
            ms(json),
            human.as_secs_f64() * 1e6 / errors as f64
        );
    }
}

fn size_table(registry: &Registry) {
    let options = CheckOptions::default();
    println!("\nfile size, well-typed bundles with `max_gas` (checking lowers each)\n");
    println!(
        "| bytes | bundles | check (ms) | gas figures (ms) | fmt (ms) | ns per byte (check) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for megabytes in [1, 2, 4, 8] {
        let (source, n) = bundles(megabytes << 20);
        let (check, analysis) = best_of(3, || analyse(&source, registry, &options));
        assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics.first());
        let (gas, done) = best_of(1, || {
            analysis
                .checked
                .bundles
                .iter()
                .filter(|bundle| meshc::pipeline::figures::figures(&analysis, bundle).is_ok())
                .count()
        });
        assert_eq!(done, n);
        let (fmt, formatted) = best_of(3, || meshc::format::format_source(&source));
        assert!(formatted.is_ok());
        println!(
            "| {} | {} | {} | {} | {} | {:.1} |",
            thousands(source.len()),
            thousands(n),
            ms(check),
            ms(gas),
            ms(fmt),
            check.as_secs_f64() * 1e9 / source.len() as f64
        );
    }

    println!("\none long bundle: input/deposit pairs, lowered and compiled by the JIT\n");
    println!(
        "| pairs | check (ms) | lower + JIT -O0 (ms) | lower + JIT -O (ms) | µs per pair (-O0) |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for pairs in [1_000, 4_000, 16_000] {
        let source = long_bundle(pairs);
        let (check, analysis) = best_of(3, || analyse(&source, registry, &options));
        let (o0, a) = best_of(1, || lower_and_compile(&analysis, OptLevel::O0));
        let (o, b) = best_of(1, || lower_and_compile(&analysis, OptLevel::O));
        assert!(a.is_some() && b.is_some(), "the long bundle lowers");
        println!(
            "| {} | {} | {} | {} | {:.1} |",
            thousands(pairs),
            ms(check),
            ms(o0),
            ms(o),
            o0.as_secs_f64() * 1e6 / pairs as f64
        );
    }
}

fn main() {
    // The phases walk blocks recursively; `meshc` gives its work a large
    // stack, and so does this bench.
    let worker = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let registry = Registry::default_registry();
            println!("scale: every stage against nesting depth, error count and file size; best of 3 (1 for gas figures and the JIT on the long bundle)");
            depth_table(&registry, false);
            depth_table(&registry, true);
            error_table(&registry, false);
            error_table(&registry, true);
            size_table(&registry);
        });
    match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(())) => {}
        Ok(Err(_)) => std::process::exit(1),
        Err(e) => {
            eprintln!("the bench could not start: {e}");
            std::process::exit(1);
        }
    }
}
