//! The `meshc` command line.

mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// meshc — the compiler for Mesh bundles: atomic, cross-chain DeFi programs.
#[derive(Parser)]
#[command(name = "meshc", version, about, long_about = None)]
#[command(propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check source files and report every problem in them.
    Check(commands::check::Args),
    /// Print the explanation of a diagnostic code, such as E0501.
    Explain(commands::explain::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
    };
    status.into()
}
