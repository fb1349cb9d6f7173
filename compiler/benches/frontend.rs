//! Front-end throughput: lex + parse + check of a large generated file.
//!
//! `cargo bench -p meshc --bench frontend` prints lines per second for each
//! phase. It is a measurement, not a test: the target (200k lines/s for the
//! whole front end in a release build) is judged by reading the table.

use mesh_runtime::Registry;
use meshc::check::{check, CheckOptions};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// One bundle of every kind of statement, 25 lines, well typed.
fn bundle(i: usize, out: &mut String) {
    let _ = write!(
        out,
        "// bundle number {i}
bundle generated_{i} on polygon {{
    let loan_{i} = borrow 1_000 USDC from aave
    input 2 WETH
    let weth_{i} = swap loan_{i} for 0.3 WETH on uniswap_v2
    let usdc_{i} = swap weth_{i} for 1_001 USDC on sushiswap
    require usdc_{i} >= 1_000.5 USDC
    repay 1_000 USDC to aave
    deposit 1 WETH into aave
    let back_{i} = withdraw 0.5 WETH from aave
    parallel {{
        on arbitrum {{
            input 10 USDC
            swap all USDC for 0.001 WETH on uniswap_v2
        }}
    }} and {{
        on optimism {{
            input 10 DAI
        }}
    }}
    let far_{i} = bridge back_{i} / 2 to base
    on base {{
        deposit far_{i} into compound
    }}
}} constraints {{
    deadline: 40
    min_balance: 0.1 USDC
}}
"
    );
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
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

fn main() {
    let mut source = String::new();
    let mut i = 0;
    while source.lines().count() < 100_000 {
        bundle(i, &mut source);
        i += 1;
    }
    let lines = source.lines().count();
    let registry = Registry::default_registry();
    let options = CheckOptions::default();

    let (lex, tokens) = best_of(5, || mesh_grammar::lex(&source).len());
    let (parse, parsed) = best_of(5, || mesh_grammar::parse(&source));
    assert!(
        parsed.errors.is_empty(),
        "the generated file must parse cleanly"
    );
    let (check_time, checked) = best_of(5, || check(&parsed.file, &registry, &options));
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    assert_eq!(
        errors,
        0,
        "the generated file must check cleanly: {:?}",
        checked.diagnostics.first()
    );
    let (total, _) = best_of(5, || meshc::pipeline::analyse(&source, &registry, &options));

    let rate = |d: Duration| lines as f64 / d.as_secs_f64();
    println!(
        "front end on {lines} lines ({} bundles, {tokens} tokens, {} bytes); best of 5",
        i,
        source.len()
    );
    println!("| phase | time (ms) | lines/s |");
    println!("|---|---:|---:|");
    for (name, d) in [
        ("lex", lex),
        ("lex + parse", parse),
        ("check", check_time),
        ("lex + parse + check", total),
    ] {
        println!("| {name} | {:.1} | {:.0} |", d.as_secs_f64() * 1e3, rate(d));
    }
}
