//! The `meshc` command line: the subcommands are parsed here and run by
//! [`commands`], one module each.

mod commands;

use clap::{Parser, Subcommand};
use commands::Status;
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
    /// Check a bundle and compile it to a standalone executable.
    Build(commands::build::Args),
    /// Check source files and report every problem in them.
    Check(commands::check::Args),
    /// Print the explanation of a diagnostic code, such as E0501.
    Explain(commands::explain::Args),
    /// Format source files in the canonical layout.
    Fmt(commands::fmt::Args),
    /// Print the gas and blocks of each bundle at -O0 and -O, per pass.
    Gas(commands::gas::Args),
    /// Run the language server on standard input and output.
    Lsp(commands::lsp::Args),
    /// Print the bundle's transactions for the EVM: unsigned, per chain and block, with a source map.
    Plan(commands::plan::Args),
    /// Check a bundle, compile it with the JIT and run it against a world.
    Run(commands::run::Args),
    /// Print the embedded default world as a world file, or check world files.
    World(commands::world::Args),
}

/// `-O0` and `-O` are the compiler's usual spellings of the optimisation
/// level; clap cannot take an optional value glued to a short flag without
/// also swallowing the next argument, so they become `--opt-level=N` here.
fn level_flag(arg: std::ffi::OsString) -> std::ffi::OsString {
    match arg.to_str() {
        Some("-O0") => "--opt-level=0".into(),
        Some("-O" | "-O1") => "--opt-level=1".into(),
        _ => arg,
    }
}

fn run(cli: Cli) -> Status {
    match cli.command {
        Command::Build(args) => commands::build::run(&args),
        Command::Check(args) => commands::check::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Gas(args) => commands::gas::run(&args),
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Plan(args) => commands::plan::run(&args),
        Command::Run(args) => commands::run::run(&args),
        Command::World(args) => commands::world::run(&args),
    }
}

/// The phases walk syntax trees recursively, and an amount's tree is as deep
/// as it is long; the parser bounds that length, and the work runs on a
/// thread whose stack has room for the deepest tree it allows (the memory is
/// reserved, and only what is used is committed).
const STACK_BYTES: usize = 256 * 1024 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse_from(std::env::args_os().map(level_flag));
    let worker = std::thread::Builder::new()
        .name("meshc".to_string())
        .stack_size(STACK_BYTES)
        .spawn(move || run(cli));
    let status = match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(status)) => status,
        Ok(Err(_)) => {
            eprintln!(
                "error: meshc stopped on an internal error (reported above); please report it"
            );
            Status::Usage
        }
        Err(e) => {
            eprintln!("error: cannot start meshc's worker thread: {e}");
            Status::Usage
        }
    };
    status.into()
}
