//! `meshc lsp`: the language server, on standard input and output.

use super::Status;

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that pass it; standard input and output are the
    /// only transport.
    #[arg(long)]
    stdio: bool,
}

pub fn run(args: &Args) -> Status {
    let _ = args.stdio;
    match meshc::lsp::serve_stdio() {
        Ok(()) => Status::Success,
        Err(e) => {
            eprintln!("meshc lsp: {e}");
            Status::Failure
        }
    }
}
