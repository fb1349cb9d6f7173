//! Throughput of lexing and parsing; run with
//! `cargo test -p mesh-grammar --release --test throughput -- --ignored --nocapture`.

use std::time::Instant;

#[test]
#[ignore = "a measurement, not a check; run in release"]
fn lines_per_second() {
    let seeds = include_str!("fixtures/seeds.mesh");
    let source = seeds.repeat(4_000);
    let lines = source.lines().count();
    let start = Instant::now();
    let tokens = mesh_grammar::lex(&source);
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "lexing: {} tokens, {lines} lines in {seconds:.3} s: {:.0} lines/s",
        tokens.len(),
        lines as f64 / seconds
    );
    let start = Instant::now();
    let parsed = mesh_grammar::parse(&source);
    let seconds = start.elapsed().as_secs_f64();
    assert!(parsed.errors.is_empty());
    println!(
        "parsing: {lines} lines in {:.3} s: {:.0} lines/s",
        seconds,
        lines as f64 / seconds
    );
}
