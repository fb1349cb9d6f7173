//! The optimiser's file tests: each file of `compiler/tests/optimiser/` is
//! a bundle followed by what `-O` makes of it — the gas and blocks at both
//! levels, the laws that applied with what each saved, how the optimised
//! program runs on the default world, and the optimised IR (as `meshc run
//! --emit opt-ir` prints it) — all in comments after the marker line, so
//! that the whole file is still a Mesh source. A case is added by writing
//! the bundle and the marker; `MESH_BLESS=1 cargo test -p meshc --test
//! optimiser_files` then writes what the optimiser does, for review.

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::counted;
use meshc::pipeline::analyse_with_pairs;
use meshc::pipeline::figures::figures;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MARKER: &str = "// ==== what -O makes of it";

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/optimiser");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mesh"))
        .collect();
    files.sort();
    files
}

fn thousands(n: u64) -> String {
    mesh_runtime::amount::display_count(n)
}

/// What `-O` makes of the only bundle of `source`, as the expectation
/// reads (without the comment prefix).
fn actual(source: &str, name: &str) -> String {
    let registry = Registry::default_registry();
    // Judged at -O0 where both levels lower; at -O otherwise (a bundle
    // whose deadline only -O meets). On the default world, which it runs
    // on: its positions price the lender calls.
    let facts = meshc::interp::world_facts(&World::default_world());
    let at = |level| analyse_with_pairs(source, &registry, Some(&facts), &CheckOptions { level });
    let mut analysis = at(OptLevel::O0);
    if analysis.has_errors() {
        analysis = at(OptLevel::O);
    }
    assert!(
        !analysis.has_errors(),
        "{name}: the bundle does not check: {:?}",
        analysis.diagnostics
    );
    assert_eq!(
        analysis.checked.bundles.len(),
        1,
        "{name}: one bundle per file"
    );
    let bundle = &analysis.checked.bundles[0];
    let f = figures(&analysis, bundle).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "gas: -O0 {} in {}, -O {} in {}",
        thousands(f.gas_o0),
        counted(f.blocks_o0, "block"),
        thousands(f.gas_o),
        counted(f.blocks_o, "block")
    );
    let laws: Vec<String> = f
        .passes
        .iter()
        .filter(|p| p.applications > 0)
        .map(|p| {
            let blocks = match p.blocks_saved {
                0 => String::new(),
                n => format!(" and {n} blocks"),
            };
            format!(
                "{} ×{} saved {} gas{blocks}",
                p.name,
                p.applications,
                thousands(p.saved())
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "laws: {}",
        if laws.is_empty() {
            "none".to_string()
        } else {
            laws.join("; ")
        }
    );
    let mut world = World::default_world();
    analysis.declare_tokens(&mut world.registry);
    let (report, session) = meshc::interp::run(&f.o, world);
    match &report.revert {
        None => {
            assert_eq!(
                session.schedule_gas_total(),
                f.gas_o,
                "{name}: the static figure and the run's charge"
            );
            let _ = writeln!(out, "run: commits");
        }
        Some(revert) => {
            let _ = writeln!(out, "run: reverts at {}: {}", revert.loc, revert.reason);
        }
    }
    out.push('\n');
    out.push_str(&f.o.to_string());
    out
}

fn commented(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "//".to_string()
            } else {
                format!("// {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn uncommented(text: &str) -> String {
    text.lines()
        .map(|l| {
            l.strip_prefix("// ")
                .or_else(|| l.strip_prefix("//"))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn every_case_is_what_the_optimiser_makes_of_it() {
    let files = case_files();
    assert!(files.len() >= 10, "{files:?}");
    let bless = std::env::var_os("MESH_BLESS").is_some();
    let mut failures = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (source, expected) = match text.split_once(MARKER) {
            Some((source, rest)) => (source.to_string(), rest.trim_start_matches('\n')),
            None => (text.clone(), ""),
        };
        let got = actual(&source, &name);
        if bless {
            let rewritten = format!("{}{MARKER}\n{}", source, commented(&got));
            std::fs::write(file, rewritten).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else if uncommented(expected).trim_end() != got.trim_end() {
            failures.push(format!(
                "{name}:\n--- expected\n{}\n--- got\n{got}",
                uncommented(expected).trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (rerun with MESH_BLESS=1 to accept, then review the diff):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}
