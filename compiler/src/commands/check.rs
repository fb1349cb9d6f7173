//! `meshc check FILE…`: every problem in every file, for people or tools.

use super::{read_source, registry_of, report_usage_error, stderr_color, Status};
use meshc::check::{CheckOptions, OptLevel};
use meshc::diagnostic::{counted, render_human, render_json};
use meshc::driver::analyse;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered diagnostics with the source lines they point at.
    #[default]
    Human,
    /// One JSON array of diagnostics for the whole run, on standard output.
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Check against this world file's registry (its chains, tokens,
    /// protocols and routes) instead of the built-in one, as `meshc run
    /// --world` does.
    #[arg(long, value_name = "WORLD")]
    world: Option<PathBuf>,
    #[command(flatten)]
    level: LevelArgs,
}

/// `-O0` judges deadlines and gas as the user would run the bundle by hand;
/// `-O` (the default) as the optimiser lowers it. The short forms are
/// rewritten to `--opt-level` before parsing (see `main`), so that `-O FILE`
/// never reads the file name as a level.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct LevelArgs {
    /// Optimisation level: `-O0` (none) or `-O` (the default); also `--opt-level 0|1`.
    #[arg(long = "opt-level", value_name = "LEVEL", value_parser = ["0", "1"])]
    level: Option<String>,
}

impl LevelArgs {
    pub fn level(&self) -> OptLevel {
        match self.level.as_deref() {
            Some("0") => OptLevel::O0,
            _ => OptLevel::O,
        }
    }
}

pub fn run(args: &Args) -> Status {
    let options = CheckOptions {
        level: args.level.level(),
    };
    let registry = match registry_of(args.world.as_deref()) {
        Ok(registry) => registry,
        Err(status) => return status,
    };
    let color = stderr_color();
    let mut status = Status::Success;
    let mut json = Vec::new();

    for path in &args.files {
        let name = path.display().to_string();
        let source = match read_source(path) {
            Ok(source) => source,
            Err(message) => {
                report_usage_error(&message);
                status = status.max(Status::Usage);
                continue;
            }
        };
        let analysis = analyse(&source, &registry, &options);
        if analysis.has_errors() {
            status = status.max(Status::Failure);
        }
        match args.format {
            Format::Json => json.extend(render_json(&name, &source, &analysis.diagnostics)),
            Format::Human => {
                for diagnostic in &analysis.diagnostics {
                    eprint!("{}", render_human(&name, &source, diagnostic, color));
                }
                eprintln!("{}", summary(&name, &analysis));
            }
        }
    }

    if args.format == Format::Json {
        match serde_json::to_string_pretty(&json) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                report_usage_error(&format!("cannot write diagnostics as JSON: {e}"));
                return Status::Usage;
            }
        }
    }
    status
}

fn summary(name: &str, analysis: &meshc::driver::Analysis) -> String {
    let bundles = analysis.checked.bundles.len();
    let warnings = analysis.warning_count();
    let warnings_text = if warnings == 0 {
        String::new()
    } else {
        format!(", {}", counted(warnings as u64, "warning"))
    };
    if analysis.has_errors() {
        format!(
            "{name}: {}{warnings_text}",
            counted(analysis.error_count() as u64, "error")
        )
    } else {
        format!(
            "{name}: {} checked, no errors{warnings_text}",
            counted(bundles as u64, "bundle")
        )
    }
}
