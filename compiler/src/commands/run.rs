//! `meshc run FILE`: check, lower, compile with the JIT, run against a
//! world, print the runtime's report.

use super::check::LevelArgs;
use super::{read_source, report_usage_error, stderr_color, Status};
use mesh_runtime::world::{CommitError, RunWorld};
use mesh_runtime::Registry;
use meshc::check::{CheckOptions, CheckedBundle};
use meshc::diagnostic::{counted, render_human};
use meshc::driver::{analyse, Analysis};
use meshc::ir::Program;
use meshc::lower::{self, Input};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `--lock-timeout`: seconds, from 0 to a day.
fn lock_timeout(text: &str) -> Result<Duration, String> {
    let s: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if !(s.is_finite() && (0.0..=86_400.0).contains(&s)) {
        return Err("a lock timeout is from 0 to 86400 seconds".to_string());
    }
    Ok(Duration::from_secs_f64(s))
}

/// Prints an error of the world file or its commit, one line per error.
fn report_commit_error(e: &CommitError) {
    match e {
        CommitError::World(errors) => {
            for error in errors {
                report_usage_error(&error.to_string());
            }
        }
        other => report_usage_error(&other.to_string()),
    }
}

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
    /// Write the committed world back to the `--world` file: the file is
    /// locked from before the run to after the write, and replaced all or
    /// nothing, keeping its layout and comments (docs/world.md).
    #[arg(long)]
    commit: bool,
    /// With --commit, how long to wait for another commit to the same
    /// world file to end.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = lock_timeout)]
    lock_timeout: Duration,
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
    let color = stderr_color();
    for diagnostic in &analysis.diagnostics {
        eprint!("{}", render_human(&name, &source, diagnostic, color));
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
    // With --commit (and a run to commit) the world file is locked from
    // here to the end, so that no other commit changes it meanwhile.
    let commit = args.commit && args.emit.is_none();
    let (target, mut world) = match RunWorld::open(args.world.as_deref(), commit, args.lock_timeout)
    {
        Ok(opened) => opened,
        Err(e) => {
            report_commit_error(&e);
            return Status::Usage;
        }
    };
    for notice in target.notices() {
        eprintln!("warning: {notice}");
    }
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
    // The source's token declarations join this run's registry only; a
    // commit writes the state, never the registry.
    lower::declare_tokens(&analysis.parsed.file, &mut world.registry);
    let (mut report, session) = compiled.run(world);
    let mut status = if report.committed() {
        Status::Success
    } else {
        Status::Failure
    };
    // The world is written before the report says "committed".
    if let Err(e) = target.finish(&mut report, session.world()) {
        report_commit_error(&e);
        status = Status::Usage;
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render_human());
    }
    status
}
