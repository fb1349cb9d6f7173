//! `meshc run FILE`: check, lower, compile with the JIT, run against a
//! world, print the runtime's report.

use super::check::LevelArgs;
use super::{front_end, report_usage_error, Status};
use mesh_runtime::world::{CommitError, RunWorld};
use std::path::PathBuf;
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
        CommitError::World(errors) => super::report_world_errors(errors),
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

/// Which engine runs the bundle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// The model: the registry's maths and the gas schedule, compiled to
    /// native code.
    #[default]
    Model,
    /// The EVM: the bundle's transaction plan run on the real contracts'
    /// bytecode, gas as the EVM meters it (docs/plan.md).
    Evm,
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
    /// The engine that runs the bundle.
    #[arg(long, value_enum, value_name = "ENGINE", default_value = "model")]
    engine: Engine,
    /// Value the result net of gas in this token (the world's oracle
    /// prices every token; default: the token of `min_profit`, if any).
    #[arg(long, value_name = "TOKEN")]
    quote: Option<String>,
    #[command(flatten)]
    level: LevelArgs,
}

/// Tells, on stderr, which unpinned bridges `-O` moved to another route
/// and why, and which kept theirs although trust alone ruled out a cheaper
/// one.
fn print_route_notes(
    analysis: &meshc::pipeline::Analysis,
    bundle: Option<&str>,
    program: &meshc::ir::Program,
) {
    let Ok(chosen) = analysis.bundle(bundle) else {
        return;
    };
    match analysis.route_notes(chosen, program) {
        Ok(notes) => {
            for note in notes.iter().filter(|n| n.is_worth_printing()) {
                eprintln!("note: {}", note.text());
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
}

/// `--engine evm`: plan the bundle, run the plan on the world deployed from
/// the real contracts' bytecode, and print the EVM's report.
fn run_evm(args: &Args) -> Status {
    if args.commit {
        report_usage_error(
            "--commit writes the model engine's world; run without --engine evm to commit",
        );
        return Status::Usage;
    }
    if args.emit.is_some() {
        report_usage_error("--emit shows the compiler's forms; use it without --engine evm");
        return Status::Usage;
    }
    let mut world = match super::world_of(args.world.as_deref()) {
        Ok(w) => w,
        Err(status) => return status,
    };
    let pairs = super::world_facts(&world, args.world.is_some());
    let (program, analysis) = match front_end(
        &args.file,
        args.bundle.as_deref(),
        &args.level,
        &world.registry,
        Some(&pairs),
    ) {
        Ok(x) => x,
        Err(status) => return status,
    };
    analysis.declare_tokens(&mut world.registry);
    let outcome =
        match meshc::evm::run_quoted(&program, &world, args.level.level(), args.quote.as_deref()) {
            Ok(o) => o,
            Err(e) => {
                report_usage_error(&format!("{}: {e}", args.file.display()));
                return Status::Usage;
            }
        };
    let model = &outcome.planned.model;
    match (&model.revert, &outcome.report.revert) {
        (None, Some(_)) => {
            eprintln!("note: the model engine commits this bundle; the EVM reverts it")
        }
        (Some(r), None) => eprintln!(
            "note: the model engine reverts this bundle at line {} ({}); the EVM commits it",
            r.loc.line, r.reason
        ),
        _ => {}
    }
    let mut report = outcome.report;
    report.world_write = mesh_runtime::report::WorldWrite::NotWritten;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.render_human_with(false));
    }
    if report.committed() {
        Status::Success
    } else {
        Status::Failure
    }
}

pub fn run(args: &Args) -> Status {
    if args.engine == Engine::Evm {
        return run_evm(args);
    }
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
    let pairs = super::world_facts(&world, args.world.is_some());
    let (program, analysis) = match front_end(
        &args.file,
        args.bundle.as_deref(),
        &level,
        &world.registry,
        Some(&pairs),
    ) {
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
    if level.level() == meshc::check::OptLevel::O {
        print_route_notes(&analysis, args.bundle.as_deref(), &program);
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
    analysis.declare_tokens(&mut world.registry);
    let mut session = mesh_runtime::Session::new(world, &program.bundle);
    if let Some(token) = &args.quote {
        if let Err(e) = session.quote_in(token) {
            report_usage_error(&format!("--quote: {e}"));
            return Status::Usage;
        }
    }
    let (mut report, session) = compiled.run_session(session);
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
