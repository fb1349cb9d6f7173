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
    /// Format source files in the canonical layout.
    Fmt(commands::fmt::Args),
    /// Run the language server on standard input and output.
    Lsp(commands::lsp::Args),
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

fn main() -> ExitCode {
    let cli = Cli::parse_from(std::env::args_os().map(level_flag));
    let status = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Fmt(args) => commands::fmt::run(&args),
        Command::Lsp(args) => commands::lsp::run(&args),
    };
    status.into()
}
