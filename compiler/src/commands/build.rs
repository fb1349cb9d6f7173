//! `meshc build FILE -o OUT`: check, lower, compile to an object file with
//! cranelift-object, and link it with the runtime library into a standalone
//! executable (or, with `--emit obj`, write the object file).

use super::check::LevelArgs;
use super::{front_end, report_usage_error, Status};
use mesh_runtime::Registry;
use meshc::codegen::object;
use meshc::link;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The relocatable object file, not linked.
    Obj,
}

#[derive(clap::Args)]
pub struct Args {
    /// The source file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The bundle to build, when the file holds several.
    #[arg(long, value_name = "NAME")]
    bundle: Option<String>,
    /// The output path (default: the bundle's name, with `.o` for `--emit obj`).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    /// Write an intermediate form instead of an executable.
    #[arg(long, value_enum, value_name = "FORM")]
    emit: Option<Emit>,
    /// The runtime static library to link (default: the one embedded in
    /// meshc; also `MESHC_RUNTIME`).
    #[arg(long, value_name = "PATH")]
    runtime: Option<PathBuf>,
    #[command(flatten)]
    level: LevelArgs,
}

pub fn run(args: &Args) -> Status {
    let (program, analysis) = match front_end(
        &args.file,
        args.bundle.as_deref(),
        &args.level,
        &Registry::default_registry(),
    ) {
        Ok(x) => x,
        Err(status) => return status,
    };
    let bytes = match object::compile_standalone(&program, &analysis.checked.declarations) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: {e}");
            return Status::Usage;
        }
    };
    let output = args.output.clone().unwrap_or_else(|| {
        let mut name = program.bundle.clone();
        if args.emit == Some(Emit::Obj) {
            name.push_str(".o");
        }
        PathBuf::from(name)
    });
    let written = match args.emit {
        Some(Emit::Obj) => link::write_atomically(&output, &bytes, false),
        None => link::build_executable(&bytes, &output, args.runtime.as_deref()),
    };
    match written {
        Ok(()) => Status::Success,
        Err(e) => {
            report_usage_error(&e.to_string());
            Status::Usage
        }
    }
}
