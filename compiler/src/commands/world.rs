//! `meshc world`: the embedded default world as a world file, to start from;
//! `meshc world --check FILE…` validates world files.

use super::{report_usage_error, Status};
use mesh_runtime::world::World;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Check these world files instead of printing the default world.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    check: Vec<PathBuf>,
}

pub fn run(args: &Args) -> Status {
    if args.check.is_empty() {
        print!("{}", World::builtin_text());
        return Status::Success;
    }
    let mut status = Status::Success;
    for path in &args.check {
        match World::load(path) {
            Ok(world) => eprintln!(
                "{}: a valid world ({} chains, {} tokens, {} bridge routes)",
                path.display(),
                world.registry.chains.len(),
                world.registry.tokens.len(),
                world.registry.routes.len()
            ),
            Err(error) => {
                report_usage_error(&error.to_string());
                status = Status::Usage;
            }
        }
    }
    status
}
