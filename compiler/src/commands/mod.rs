//! One module per subcommand, and what they share: exit statuses, reading
//! source files, and choosing colours.

pub mod build;
pub mod check;
pub mod explain;
pub mod fmt;
pub mod gas;
pub mod lsp;
pub mod run;
pub mod world;

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

/// How a command ended; the numbers are part of the command line's contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Everything went well (warnings allowed).
    Success,
    /// The bundle failed: errors in a source, or a reverted run.
    Failure,
    /// A usage, world or I/O error.
    Usage,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(match status {
            Status::Success => 0,
            Status::Failure => 1,
            Status::Usage => 2,
        })
    }
}

/// Reads a source file as UTF-8 text, or says clearly why it cannot.
pub fn read_source(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "cannot read `{}`: it is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Whether to colour what goes to standard error: only on a terminal, and
/// never when `NO_COLOR` is set (https://no-color.org).
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Prints a command-line error the way every subcommand does.
pub fn report_usage_error(message: &str) {
    eprintln!("error: {message}");
}

/// The registry names are judged against: the `--world` file's, or the
/// built-in one. A world file that cannot be read or is not valid is a
/// usage error, reported here.
pub fn registry_of(world: Option<&Path>) -> Result<mesh_runtime::Registry, Status> {
    match world {
        None => Ok(mesh_runtime::Registry::builtin()),
        Some(path) => mesh_runtime::World::load(path)
            .map(|w| w.registry)
            .map_err(|e| {
                report_usage_error(&e.to_string());
                Status::Usage
            }),
    }
}
