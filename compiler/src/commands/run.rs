//! `meshc run FILE`: check, lower, compile with the JIT, run against a
//! world, print the runtime's report.

use super::check::LevelArgs;
use super::{front_end, report_usage_error, Status};
use mesh_runtime::World;
use std::path::PathBuf;

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
    let (program, analysis) =
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
    analysis.declare_tokens(&mut world.registry);
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
