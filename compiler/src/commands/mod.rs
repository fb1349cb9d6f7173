//! One module per subcommand — [`build`], [`check`], [`explain`], [`fmt`],
//! [`gas`], [`lsp`], [`plan`], [`run`] and [`world`], each named after it —
//! and what they share: exit statuses, reading source files, choosing
//! colours, the world a file is judged against, the front end that `run`
//! and `build` print the diagnostics of, and writing a file atomically.

pub mod build;
pub mod check;
pub mod explain;
pub mod fmt;
pub mod gas;
pub mod lsp;
pub mod plan;
pub mod run;
pub mod world;

use mesh_grammar::{Item, Span};
use meshc::check::CheckOptions;
use meshc::diagnostic::{counted, HumanRenderer};
use meshc::ir::Program;
use meshc::pipeline::{analyse_with_pairs, Analysis};
use std::fs;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
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

/// What the checker is told of `world`: its exchange pairs and the
/// reserves the user supplies and owes, which price lender calls
/// (`meshc::interp::world_facts`), and, when the world was given on the
/// command line (`given`), the user's positions there, which an `assume`
/// is then judged against (E0604). Without `--world` the default world's
/// positions are not the user's, and are not judged.
pub fn world_facts(world: &mesh_runtime::World, given: bool) -> meshc::check::Pairs {
    let pairs = meshc::interp::world_facts(world);
    if !given {
        return pairs;
    }
    pairs.with_positions(meshc::interp::lender_states(world))
}

/// Checks the file and lowers its chosen bundle at the level asked for:
/// what `run` and `build` share. Diagnostics are printed — with `--bundle`,
/// the errors of the whole file (any of them stops the run) and the
/// warnings of the chosen bundle and of what stands outside every bundle;
/// `Err` carries the exit status.
pub fn front_end(
    file: &Path,
    bundle: Option<&str>,
    level: &check::LevelArgs,
    registry: &mesh_runtime::Registry,
    pairs: Option<&meshc::check::Pairs>,
) -> Result<(Program, Analysis), Status> {
    let name = file.display().to_string();
    let source = read_source(file).map_err(|m| {
        report_usage_error(&m);
        Status::Usage
    })?;
    let level = level.level();
    let analysis = analyse_with_pairs(&source, registry, pairs, &CheckOptions { level });
    let renderer = HumanRenderer::new(&name, &source, stderr_color());
    let others = other_bundles(&analysis, bundle);
    for diagnostic in analysis.diagnostics.iter().filter(|d| {
        // Another bundle's warnings are not this run's; an error anywhere
        // stops it, so it is shown wherever it is.
        let at = d.primary.span.start;
        d.is_error() || !others.iter().any(|s| s.start <= at && at < s.end)
    }) {
        eprint!("{}", renderer.render(diagnostic));
    }
    if analysis.has_errors() {
        let errors = counted(analysis.error_count() as u64, "error");
        eprintln!("{name}: {errors}; nothing was run");
        return Err(Status::Failure);
    }
    let chosen = analysis.bundle(bundle).map_err(|e| {
        report_usage_error(&e.message(&name));
        Status::Usage
    })?;
    let program = analysis.lower(chosen, level).map_err(|e| {
        eprintln!("error: {e}");
        Status::Failure
    })?;
    Ok((program, analysis))
}

/// The spans of the file's bundles other than the one `--bundle` chose
/// (none without `--bundle`: then every bundle is the run's business).
fn other_bundles(analysis: &Analysis, chosen: Option<&str>) -> Vec<Span> {
    let Some(chosen) = chosen else {
        return Vec::new();
    };
    analysis
        .parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Bundle(b) if b.name.name != chosen => Some(b.span),
            _ => None,
        })
        .collect()
}

/// The world a file is judged against: the `--world` file, or the default
/// world. Its registry names what exists, and its exchange pairs which
/// swaps can be made. A world file that cannot be read or is not valid is
/// a usage error, reported here.
pub fn world_of(world: Option<&Path>) -> Result<mesh_runtime::World, Status> {
    match world {
        None => Ok(mesh_runtime::World::default_world()),
        Some(path) => mesh_runtime::World::load_all(path).map_err(|errors| {
            report_world_errors(&errors);
            Status::Usage
        }),
    }
}

/// Prints every error of a world file that cannot be used, then their
/// count, as `meshc world --check` does.
pub fn report_world_errors(errors: &[mesh_runtime::WorldError]) {
    for line in mesh_runtime::World::error_lines(errors) {
        eprintln!("{line}");
    }
}

/// Replaces the file at `path` with `text` so that a crash leaves either the
/// old file or the new one: the text goes to a temporary file in the same
/// directory, which is then renamed over the original. The original's
/// permissions are kept; a symbolic link is followed, not replaced.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let target = fs::canonicalize(path).map_err(|e| e.to_string())?;
    let permissions = fs::metadata(&target)
        .map_err(|e| e.to_string())?
        .permissions();
    let directory = target
        .parent()
        .ok_or_else(|| "it has no parent directory".to_string())?;
    let (temporary, mut file) = create_temporary(directory, &target)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    written
        .and_then(|()| fs::set_permissions(&temporary, permissions))
        .and_then(|()| fs::rename(&temporary, &target))
        .map_err(|e| {
            // Best effort: the temporary file is ours, and useless now.
            let _ = fs::remove_file(&temporary);
            e.to_string()
        })
}

/// A new file beside `target`, named after it, that no other file is.
fn create_temporary(directory: &Path, target: &Path) -> Result<(PathBuf, fs::File), String> {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Keep the name short enough for any file system, whatever the original's length.
    let stem: String = name.chars().take(64).collect();
    let mut attempt = 0u32;
    loop {
        let candidate = directory.join(format!(
            ".{stem}.{}.{attempt}.meshc-tmp",
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(file) => return Ok((candidate, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => {
                return Err(format!(
                    "cannot create a temporary file in `{}`: {e}",
                    directory.display()
                ))
            }
        }
    }
}
