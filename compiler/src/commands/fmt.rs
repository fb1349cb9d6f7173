//! `meshc fmt [--check] FILE…`: puts source files in the canonical layout
//! (docs/formatting.md).

use super::{read_source, report_usage_error, Status};
use meshc::format::format_source;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The source files to format.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted (exit 1 if any).
    #[arg(long)]
    check: bool,
}

pub fn run(args: &Args) -> Status {
    let mut status = Status::Success;
    let mut unformatted = 0usize;
    for path in &args.files {
        let outcome = format_file(path, args.check);
        if outcome == Outcome::WouldChange {
            unformatted += 1;
        }
        status = status.max(outcome.status());
    }
    if unformatted > 0 {
        let files = if unformatted == 1 {
            "file is"
        } else {
            "files are"
        };
        eprintln!("{unformatted} {files} not formatted; `meshc fmt FILE…` rewrites them");
    }
    status
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Already in the canonical layout; the file was not touched.
    Unchanged,
    /// Rewritten in the canonical layout.
    Rewritten,
    /// `--check`: formatting would change the file.
    WouldChange,
    /// Not formatted because it does not parse.
    SyntaxError,
    /// Not read or not written.
    IoError,
}

impl Outcome {
    fn status(self) -> Status {
        match self {
            Outcome::Unchanged | Outcome::Rewritten => Status::Success,
            Outcome::WouldChange | Outcome::SyntaxError => Status::Failure,
            Outcome::IoError => Status::Usage,
        }
    }
}

fn format_file(path: &Path, check: bool) -> Outcome {
    let source = match read_source(path) {
        Ok(source) => source,
        Err(message) => {
            report_usage_error(&message);
            return Outcome::IoError;
        }
    };
    let formatted = match format_source(&source) {
        Ok(formatted) => formatted,
        Err(error) => {
            report_usage_error(&format!(
                "cannot format {}:{error}; the file is left unchanged",
                path.display()
            ));
            return Outcome::SyntaxError;
        }
    };
    if formatted == source {
        return Outcome::Unchanged;
    }
    if check {
        println!("{}", path.display());
        return Outcome::WouldChange;
    }
    match write_atomically(path, &formatted) {
        Ok(()) => Outcome::Rewritten,
        Err(message) => {
            report_usage_error(&format!("cannot write `{}`: {message}", path.display()));
            Outcome::IoError
        }
    }
}

/// Replaces the file at `path` with `text` so that a crash leaves either the
/// old file or the new one: the text goes to a temporary file in the same
/// directory, which is then renamed over the original. The original's
/// permissions are kept; a symbolic link is followed, not replaced.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
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
        let candidate = directory.join(format!(".{stem}.{}.{attempt}.fmt-tmp", std::process::id()));
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
