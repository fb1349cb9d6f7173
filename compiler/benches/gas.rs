//! The gas benchmark: every example bundle at `-O0` and `-O` on the default
//! world, the reduction, the blocks, the mean reduction, and for the small
//! bundles the optimiser's savings as a share of the optimum's. Every
//! figure is static gas from the runtime's schedule, which the tests check
//! equals what the runtime meters. Prints a Markdown table.

use mesh_runtime::amount::group_digits;
use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::pipeline::analyse_with_pairs;
use meshc::pipeline::figures::{figures, Figures};
use std::path::PathBuf;

/// A figure as the tables of docs/ write it, in English prose:
/// `1,610,000`.
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
    let registry = Registry::default_registry();
    // Compiled for the default world, as `meshc gas` compiles: its
    // positions price the lender calls.
    let facts = meshc::interp::world_facts(&World::default_world());
    let at = |source: &str, level| {
        analyse_with_pairs(source, &registry, Some(&facts), &CheckOptions { level })
    };
    let mut rows: Vec<Figures> = Vec::new();
    for file in &files {
        let Ok(source) = std::fs::read_to_string(file) else {
            eprintln!("cannot read {}", file.display());
            continue;
        };
        let mut analysis = at(&source, OptLevel::O0);
        if analysis.has_errors() {
            analysis = at(&source, OptLevel::O);
        }
        if analysis.has_errors() {
            eprintln!("{} does not check", file.display());
            continue;
        }
        for bundle in &analysis.checked.bundles {
            match figures(&analysis, bundle) {
                Ok(f) => rows.push(f),
                Err(e) => eprintln!("{}: {e}", bundle.name),
            }
        }
    }
    println!("| bundle | -O0 gas | -O gas | reduction | -O0 blocks | -O blocks | optimum gas | share of optimum's savings |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for f in &rows {
        let (optimum, ratio) = match (f.gas_optimum, f.optimum_ratio()) {
            (Some(g), Some(r)) => (thousands(g), format!("{r:.1}%")),
            _ => ("—".to_string(), "—".to_string()),
        };
        println!(
            "| {} | {} | {} | {:.1}% | {} | {} | {} | {} |",
            f.name,
            thousands(f.gas_o0),
            thousands(f.gas_o),
            f.reduction(),
            f.blocks_o0,
            f.blocks_o,
            optimum,
            ratio
        );
    }
    if !rows.is_empty() {
        let mean = rows.iter().map(Figures::reduction).sum::<f64>() / rows.len() as f64;
        println!();
        println!("mean reduction over {} bundles: {mean:.1}%", rows.len());
    }
    println!();
    println!("| bundle | pass | gas saved |");
    println!("|---|---|---:|");
    for f in &rows {
        for p in &f.passes {
            println!("| {} | {} | {} |", f.name, p.name, thousands(p.saved()));
        }
    }
}
