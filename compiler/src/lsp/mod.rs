//! The language server: `meshc lsp` speaks the Language Server Protocol over
//! standard input and output (docs/lsp.md lists what it offers).
//!
//! It is built on `lsp-server` (the transport and message types) and
//! `lsp-types` (the protocol's structures), and answers every message on one
//! thread, in the order they arrive, so what a client sees never depends on
//! timing. Every change to a document re-runs the same front end as
//! `meshc check` ([`crate::pipeline::analyse`]); the features read what that run
//! learnt: its diagnostics, its syntax tree and the checker's facts.
//!
//! Module map: `server` is the main loop (initialisation, dispatch, shutdown,
//! panics caught per message); `document` keeps the open documents and
//! applies incremental edits; `convert` maps byte spans to the protocol's
//! UTF-16 positions and diagnostics to the protocol's; `hover`, `completion`,
//! `signature` (signature help), `hints` (inlay hints), `navigation` (definitions, references,
//! highlights, rename, document symbols), `actions` (quick fixes) and
//! `formatting` are the features; `vocabulary` holds the short docs of the
//! language's keywords; `settings` reads what the client configures (a world
//! file, a level).

mod actions;
mod completion;
mod convert;
mod document;
mod formatting;
mod hints;
mod hover;
mod navigation;
mod server;
mod settings;
mod signature;
mod vocabulary;

pub use server::{serve, ServeError};

use lsp_server::Connection;

/// Runs the language server on standard input and output until the client
/// says `exit`.
///
/// Returns `Ok` after a proper `shutdown` then `exit`; an `exit` without a
/// `shutdown`, a client that goes away, or a broken stream is an error (the
/// protocol asks for exit code 1 then).
pub fn serve_stdio() -> Result<(), ServeError> {
    let (connection, io_threads) = Connection::stdio();
    let served = serve(&connection);
    // The writer thread ends once every sender is gone.
    drop(connection);
    // A broken stream says more than the disconnection it caused.
    let joined = io_threads.join().map_err(ServeError::Io);
    joined.and(served)
}
