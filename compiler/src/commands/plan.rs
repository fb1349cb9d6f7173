//! `meshc plan FILE`: the bundle as unsigned EVM transactions, per chain
//! and block, with the source line of every call (docs/plan.md).

use super::check::LevelArgs;
use super::{front_end, report_usage_error, world_of, Status};
use mesh_evm::chain::TX_GAS_CAP;
use mesh_evm::EvmEngine;
use meshc::evm::{self, PlanError};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The source file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The bundle to plan, when the file holds several.
    #[arg(long, value_name = "NAME")]
    bundle: Option<String>,
    /// The world file the plan is for (default: the embedded default world).
    #[arg(long, value_name = "W")]
    world: Option<PathBuf>,
    /// Write the plan to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
    #[command(flatten)]
    level: LevelArgs,
}

/// A plan error, named with the file.
fn report_plan_error(file: &Path, e: &PlanError) {
    report_usage_error(&format!("{}: {e}", file.display()));
}

/// The gas limit of a transaction the EVM metered at `gas`: a quarter
/// more, as a margin for state that changes before it is included.
pub fn gas_limit(gas: u64) -> u64 {
    gas.saturating_add(gas / 4).min(TX_GAS_CAP)
}

pub fn run(args: &Args) -> Status {
    let mut world = match world_of(args.world.as_deref()) {
        Ok(w) => w,
        Err(status) => return status,
    };
    let level = args.level.level();
    let pairs = meshc::interp::world_facts(&world);
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
    let holder = match evm::holder(&program) {
        Ok(h) => h,
        Err(e) => {
            report_plan_error(&args.file, &e);
            return Status::Usage;
        }
    };
    let mut engine = match EvmEngine::new(&world, holder) {
        Ok(engine) => engine,
        Err(e) => {
            report_plan_error(&args.file, &e.into());
            return Status::Usage;
        }
    };
    let outcome = match evm::run_on(&mut engine, &program, &world, level) {
        Ok(o) => o,
        Err(e) => {
            report_plan_error(&args.file, &e);
            return Status::Usage;
        }
    };
    // A plan is only worth signing if it goes through: the model and the
    // EVM must both commit it.
    for (engine_name, revert) in [
        ("the model", outcome.planned.model.revert.as_ref()),
        ("the EVM", outcome.run.revert.as_ref()),
    ] {
        if let Some(r) = revert {
            eprintln!(
                "error: {}: the bundle reverts on {engine_name} at line {}, column {}: {}; no plan is written",
                args.file.display(),
                r.loc.line,
                r.loc.column,
                r.reason
            );
            return Status::Failure;
        }
    }
    let mut plan = outcome.planned.plan;
    for (tx, gas) in plan.transactions.iter_mut().zip(&outcome.run.gas) {
        tx.gas_limit = gas.map_or(0, gas_limit);
    }
    let json = plan.to_json();
    match &args.output {
        None => {
            print!("{json}");
            Status::Success
        }
        Some(path) => match std::fs::write(path, json) {
            Ok(()) => Status::Success,
            Err(e) => {
                report_usage_error(&format!("cannot write `{}`: {e}", path.display()));
                Status::Usage
            }
        },
    }
}
