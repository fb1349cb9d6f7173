//! `meshc gas FILE`: for each bundle of a file, the gas and blocks of the
//! `-O0` lowering and of the optimised one, the reduction, the gas each
//! pass saved, and (for bundles of up to 8 actions) the optimum of the
//! independent exact search with what it searched; human text, or JSON
//! with `--format json` (docs/optimiser.md).

use super::{read_source, registry_of, report_usage_error, stderr_color, Status};
use mesh_runtime::amount::display_count;
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{counted, HumanRenderer};
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
    /// registry instead of the default one.
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
    let renderer = HumanRenderer::new(&name, &source, stderr_color());
    for diagnostic in analysis.diagnostics.iter().filter(|d| d.is_error()) {
        eprint!("{}", renderer.render(diagnostic));
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
    gas_o0_executor: u64,
    gas_o: u64,
    blocks_o0: u64,
    blocks_o0_executor: u64,
    blocks_o: u64,
    gas_optimum: Option<u64>,
    search: Search,
    passes: Vec<Pass>,
    routes: Vec<Route<'a>>,
}

/// What route choice did with one unpinned bridge (docs/optimiser.md).
#[derive(serde::Serialize)]
struct Route<'a> {
    line: u32,
    column: u32,
    from: &'a str,
    to: &'a str,
    route_o0: &'static str,
    route_o: &'static str,
    security_o: u8,
    gas_saved: i64,
    blocks_sooner: i64,
    /// The `min_security` kind that allowed a less secure route.
    allowed_by: Option<&'static str>,
    /// A cheaper route ruled out by trust alone.
    refused: Option<&'static str>,
    note: String,
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
                gas_o0_executor: f.gas_o0_executor,
                gas_o: f.gas_o,
                blocks_o0: f.blocks_o0,
                blocks_o0_executor: f.blocks_o0_executor,
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
                routes: f
                    .routes
                    .iter()
                    .map(|r| Route {
                        line: r.loc.line,
                        column: r.loc.column,
                        from: &r.from,
                        to: &r.to,
                        route_o0: r.o0.as_str(),
                        route_o: r.o.as_str(),
                        security_o: r.security,
                        gas_saved: r.gas_saved,
                        blocks_sooner: r.blocks_sooner,
                        allowed_by: r.allowed_by.map(|(k, _)| k.as_str()),
                        refused: r.refused.map(|(k, ..)| k.as_str()),
                        note: r.text(),
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
        let line = |label: &str, gas: u64, blocks: u64| {
            format!(
                "  {label:<16} {:>12} gas  {:<9}",
                display_count(gas),
                counted(blocks, "block")
            )
        };
        out.push_str(line("-O0", f.gas_o0, f.blocks_o0).trim_end());
        out.push('\n');
        out.push_str(&line(
            "-O0 by executor",
            f.gas_o0_executor,
            f.blocks_o0_executor,
        ));
        out.push_str("  (each action its own executor transaction)\n");
        out.push_str(&line("-O", f.gas_o, f.blocks_o));
        out.push_str(&format!(
            "  ({:.1}% less gas than -O0, {:.1}% less than -O0 by executor)\n",
            f.reduction(),
            f.reduction_from_executor()
        ));
        let actions = counted(f.searched.actions as u64, "action");
        match (f.gas_optimum, f.optimum_ratio()) {
            (Some(g), Some(r)) => out.push_str(&format!(
                "  {:<16} {:>12} gas  (-O reaches {:.1}% of its savings; {actions} searched, {} metered)\n",
                "optimum",
                display_count(g),
                r,
                counted(f.searched.candidates, "candidate"),
            )),
            _ => {
                let why = f
                    .not_searched
                    .as_ref()
                    .map(|w| format!(", {w}"))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "  {:<16} not searched ({actions}{why})\n",
                    "optimum"
                ))
            }
        }
        for p in &f.passes {
            out.push_str(&format!(
                "    {:<22} saved {:>10}\n",
                p.name,
                display_count(p.saved())
            ));
        }
        for r in f.routes.iter().filter(|r| r.is_worth_printing()) {
            out.push_str(&format!("  note: {}\n", r.text()));
        }
    }
    out
}
