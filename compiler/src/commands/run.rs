//! `meshc run FILE`: check, lower, compile with the JIT, run against a
//! world, print the runtime's report.

use super::check::LevelArgs;
use super::{read_source, report_usage_error, stderr_color, Status};
use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, CheckedBundle};
use meshc::diagnostic::{counted, HumanRenderer};
use meshc::driver::{analyse, Analysis};
use meshc::ir::Program;
use meshc::lower::{self, Input};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The parsed syntax tree.
    Ast,
    /// The IR at the chosen level: the `-O0` lowering with `-O0`, the
    /// optimised IR otherwise (docs/ir.md).
    Ir,
    /// The IR after the optimiser's passes, whatever the level
    /// (docs/optimiser.md).
    OptIr,
    /// The Cranelift IR of the bundle's body.
    Clif,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The bundle to run, when the file holds several.
    #[arg(long, value_name = "NAME")]
    bundle: Option<String>,
    /// The world file to run against (default: the embedded default world).
    #[arg(long, value_name = "W")]
    world: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Write the committed world back to the `--world` file (atomically).
    #[arg(long)]
    commit: bool,
    /// Print an intermediate form instead of running.
    #[arg(long, value_enum, value_name = "FORM")]
    emit: Option<Emit>,
    #[command(flatten)]
    level: LevelArgs,
}

/// Checks and lowers the chosen bundle of a file: what `run` and `build`
/// share. Diagnostics are printed; `Err` carries the exit status.
pub fn front_end(
    file: &Path,
    bundle: Option<&str>,
    level: &LevelArgs,
    registry: &Registry,
) -> Result<(Program, Analysis, String), Status> {
    let name = file.display().to_string();
    let source = read_source(file).map_err(|m| {
        report_usage_error(&m);
        Status::Usage
    })?;
    let level = level.level();
    let analysis = analyse(&source, registry, &CheckOptions { level });
    let renderer = HumanRenderer::new(&name, &source, stderr_color());
    for diagnostic in &analysis.diagnostics {
        eprint!("{}", renderer.render(diagnostic));
    }
    if analysis.has_errors() {
        let errors = counted(analysis.error_count() as u64, "error");
        eprintln!("{name}: {errors}; nothing was run");
        return Err(Status::Failure);
    }
    let chosen = choose(&analysis.checked.bundles, bundle, &name)?;
    let input = Input::new(&source, &analysis, chosen);
    let program = lower::lower(chosen, &input, level).map_err(|e| {
        eprintln!("error: {e}");
        Status::Failure
    })?;
    Ok((program, analysis, source))
}

fn choose<'a>(
    bundles: &'a [CheckedBundle],
    wanted: Option<&str>,
    file: &str,
) -> Result<&'a CheckedBundle, Status> {
    let names: Vec<&str> = bundles.iter().map(|b| b.name.as_str()).collect();
    match wanted {
        Some(w) => bundles.iter().find(|b| b.name == w).ok_or_else(|| {
            report_usage_error(&format!(
                "{file} has no bundle `{w}`; it has: {}",
                names.join(", ")
            ));
            Status::Usage
        }),
        None => match bundles {
            [one] => Ok(one),
            [] => {
                report_usage_error(&format!("{file} holds no bundle"));
                Err(Status::Usage)
            }
            _ => {
                report_usage_error(&format!(
                    "{file} holds {} bundles ({}); choose one with --bundle NAME",
                    bundles.len(),
                    names.join(", ")
                ));
                Err(Status::Usage)
            }
        },
    }
}

pub fn run(args: &Args) -> Status {
    if args.commit && args.world.is_none() {
        report_usage_error("--commit needs --world PATH (the file to write back)");
        return Status::Usage;
    }
    let mut world = match &args.world {
        Some(path) => match World::load(path) {
            Ok(w) => w,
            Err(e) => {
                report_usage_error(&e.to_string());
                return Status::Usage;
            }
        },
        None => World::builtin(),
    };
    // `--emit opt-ir` shows the optimised IR, so it is checked at `-O`.
    let level = match args.emit {
        Some(Emit::OptIr) => LevelArgs::default(),
        _ => args.level.clone(),
    };
    let (program, analysis, _) =
        match front_end(&args.file, args.bundle.as_deref(), &level, &world.registry) {
            Ok(x) => x,
            Err(status) => return status,
        };
    match args.emit {
        Some(Emit::Ast) => {
            println!("{:#?}", analysis.parsed.file);
            return Status::Success;
        }
        Some(Emit::Ir | Emit::OptIr) => {
            print!("{program}");
            return Status::Success;
        }
        _ => {}
    }
    let compiled = match meshc::codegen::jit::compile(&program, args.emit == Some(Emit::Clif)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return Status::Usage;
        }
    };
    if args.emit == Some(Emit::Clif) {
        print!("{}", compiled.clif.clone().unwrap_or_default());
        return Status::Success;
    }
    lower::declare_tokens(&analysis.parsed.file, &mut world.registry);
    let (report, session) = compiled.run(world);
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render_human());
    }
    if !report.committed() {
        return Status::Failure;
    }
    if let (true, Some(path)) = (args.commit, &args.world) {
        if let Err(e) = session.world().save_atomic(path) {
            report_usage_error(&format!("cannot write {}: {e}", path.display()));
            return Status::Usage;
        }
    }
    Status::Success
}
