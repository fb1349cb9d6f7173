//! `meshc gas FILE`: for each bundle of a file, the gas and blocks of the
//! `-O0` lowering and of the optimised one, the reduction, the gas each
//! pass saved, and (for bundles of up to 8 actions) the optimum of the
//! independent exact search with what it searched; human text, or JSON
//! with `--format json` (docs/optimiser.md).

use super::{read_source, registry_of, report_usage_error, stderr_color, Status};
use mesh_runtime::amount::thousands;
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{counted, render_human};
use meshc::pipeline::analyse;
use meshc::pipeline::figures::{figures, Figures};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Judge names, and take bridge routes' gas, from this world file's
    /// registry instead of the built-in one.
    #[arg(long, value_name = "WORLD")]
    world: Option<PathBuf>,
}

pub fn run(args: &Args) -> Status {
    let name = args.file.display().to_string();
    let source = match read_source(&args.file) {
        Ok(s) => s,
        Err(m) => {
            report_usage_error(&m);
            return Status::Usage;
        }
    };
    let registry = match registry_of(args.world.as_deref()) {
        Ok(registry) => registry,
        Err(status) => return status,
    };
    // Deadlines judged at -O0: the figures are of a bundle both levels lower.
    let analysis = analyse(
        &source,
        &registry,
        &CheckOptions {
            level: OptLevel::O0,
        },
    );
    let analysis = if analysis.has_errors() {
        analyse(&source, &registry, &CheckOptions::default())
    } else {
        analysis
    };
    let color = stderr_color();
    for diagnostic in analysis.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", render_human(&name, &source, diagnostic, color));
    }
    if analysis.has_errors() {
        let errors = counted(analysis.error_count() as u64, "error");
        eprintln!("{name}: {errors}; no gas figures");
        return Status::Failure;
    }
    let mut all = Vec::new();
    for bundle in &analysis.checked.bundles {
        match figures(&analysis, bundle) {
            Ok(f) => all.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return Status::Failure;
            }
        }
    }
    match args.format {
        Format::Json => println!("{}", json(&all)),
        Format::Human => print!("{}", human(&all)),
    }
    Status::Success
}

#[derive(serde::Serialize)]
struct Report<'a> {
    bundles: Vec<Bundle<'a>>,
}

/// One bundle's figures, its fields in the documented order.
#[derive(serde::Serialize)]
struct Bundle<'a> {
    name: &'a str,
    gas_o0: u64,
    gas_o: u64,
    blocks_o0: u64,
    blocks_o: u64,
    gas_optimum: Option<u64>,
    search: Search,
    passes: Vec<Pass>,
}

/// What the exact search searched: the bundle's actions, the complete
/// candidates it metered, and its time in microseconds.
#[derive(serde::Serialize)]
struct Search {
    actions: usize,
    candidates: u64,
    microseconds: u64,
}

#[derive(serde::Serialize)]
struct Pass {
    name: &'static str,
    saved: u64,
}

/// `{"bundles":[{"name":…,"gas_o0":N,…,"passes":[{"name":…,"saved":N}]}]}`.
pub fn json(all: &[Figures]) -> String {
    let report = Report {
        bundles: all
            .iter()
            .map(|f| Bundle {
                name: &f.name,
                gas_o0: f.gas_o0,
                gas_o: f.gas_o,
                blocks_o0: f.blocks_o0,
                blocks_o: f.blocks_o,
                gas_optimum: f.gas_optimum,
                search: Search {
                    actions: f.searched.actions,
                    candidates: f.searched.candidates,
                    microseconds: f.searched.micros,
                },
                passes: f
                    .passes
                    .iter()
                    .map(|p| Pass {
                        name: p.name,
                        saved: p.saved(),
                    })
                    .collect(),
            })
            .collect(),
    };
    serde_json::to_string(&report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn human(all: &[Figures]) -> String {
    let mut out = String::new();
    for f in all {
        out.push_str(&format!("bundle {}\n", f.name));
        out.push_str(&format!(
            "  -O0  {:>12} gas  {:>3} blocks\n",
            thousands(f.gas_o0),
            f.blocks_o0
        ));
        out.push_str(&format!(
            "  -O   {:>12} gas  {:>3} blocks  ({:.1}% less gas)\n",
            thousands(f.gas_o),
            f.blocks_o,
            f.reduction()
        ));
        let actions = counted(f.searched.actions as u64, "action");
        match (f.gas_optimum, f.optimum_ratio()) {
            (Some(g), Some(r)) => out.push_str(&format!(
                "  optimum {:>9} gas  (-O reaches {:.1}% of its savings; {actions} searched, {} metered)\n",
                thousands(g),
                r,
                counted(f.searched.candidates, "candidate"),
            )),
            _ => {
                let why = f
                    .not_searched
                    .as_ref()
                    .map(|w| format!(", {w}"))
                    .unwrap_or_default();
                out.push_str(&format!("  optimum: not searched ({actions}{why})\n"))
            }
        }
        for p in &f.passes {
            out.push_str(&format!(
                "    {:<22} saved {:>10}\n",
                p.name,
                thousands(p.saved())
            ));
        }
    }
    out
}
