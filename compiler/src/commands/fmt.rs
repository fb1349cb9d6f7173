//! `meshc fmt [--check] FILE…`: puts source files in the canonical layout
//! (docs/formatting.md).

use super::{read_source, report_usage_error, write_atomically, Status};
use meshc::format::format_source;
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
        if outcome == FormatResult::WouldChange {
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

/// What `meshc fmt` did with one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FormatResult {
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

impl FormatResult {
    fn status(self) -> Status {
        match self {
            FormatResult::Unchanged | FormatResult::Rewritten => Status::Success,
            FormatResult::WouldChange | FormatResult::SyntaxError => Status::Failure,
            FormatResult::IoError => Status::Usage,
        }
    }
}

fn format_file(path: &Path, check: bool) -> FormatResult {
    let source = match read_source(path) {
        Ok(source) => source,
        Err(message) => {
            report_usage_error(&message);
            return FormatResult::IoError;
        }
    };
    let formatted = match format_source(&source) {
        Ok(formatted) => formatted,
        Err(error) => {
            report_usage_error(&format!(
                "cannot format {}:{error}; the file is left unchanged",
                path.display()
            ));
            return FormatResult::SyntaxError;
        }
    };
    if formatted == source {
        return FormatResult::Unchanged;
    }
    if check {
        println!("{}", path.display());
        return FormatResult::WouldChange;
    }
    match write_atomically(path, &formatted) {
        Ok(()) => FormatResult::Rewritten,
        Err(message) => {
            report_usage_error(&format!("cannot write `{}`: {message}", path.display()));
            FormatResult::IoError
        }
    }
}
