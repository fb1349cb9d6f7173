//! Prints the gas of each protocol operation as the EVM meters it on the
//! real bytecode, for both interest rate strategies, and the figures
//! derived from them: the tables of docs/evm.md ("Measured gas"; the setup
//! is written down in `mesh_evm::measure`).
//!
//! Run: `cargo bench -p mesh-evm --bench gas`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match mesh_evm::measure::table() {
        Ok(table) => {
            print!("{table}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gas bench: {e}");
            ExitCode::FAILURE
        }
    }
}
