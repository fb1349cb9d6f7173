//! `meshc world`: the embedded default world as a world file, to start from;
//! `meshc world --check FILE…` validates world files, reporting every error
//! of each.

use super::{report_world_errors, Status};
use mesh_runtime::world::World;
use meshc::diagnostic::counted;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Check these world files instead of printing the default world.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    check: Vec<PathBuf>,
}

pub fn run(args: &Args) -> Status {
    if args.check.is_empty() {
        print!("{}", World::default_world_text());
        return Status::Success;
    }
    let mut status = Status::Success;
    for path in &args.check {
        match World::load_all(path) {
            Ok(world) => eprintln!(
                "{}: a valid world ({}, {}, {})",
                path.display(),
                counted(world.registry.chains.len() as u64, "chain"),
                counted(world.registry.tokens.len() as u64, "token"),
                counted(world.registry.routes.len() as u64, "bridge route")
            ),
            Err(errors) => {
                report_world_errors(&errors);
                status = Status::Usage;
            }
        }
    }
    status
}
