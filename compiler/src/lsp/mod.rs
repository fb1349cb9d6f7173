//! The language server: `meshc lsp` speaks the Language Server Protocol over
//! standard input and output (docs/lsp.md lists what it offers).
//!
//! It is built on `lsp-server` (the message types) and `lsp-types` (the
//! protocol's structures), reads and writes its own frames (with a bound on
//! their size), and answers every message on one thread, in the order they
//! arrive, so what a client sees never depends on timing. Edits that arrive
//! together are applied together, and the document is then analysed once by
//! the same front end as `meshc check` ([`crate::pipeline::analyse`]); the
//! features read what that run learnt — its diagnostics, its syntax tree and
//! the checker's facts — and what is kept with each version of a text.
//!
//! Module map: `transport` reads and writes the frames on standard input
//! and output; `server` is the main loop (initialisation, dispatch, the
//! coalescing of edits, shutdown, panics caught per message); `document`
//! keeps the open documents, applies incremental edits and keeps what is
//! known of each text; `lines` maps lines to offsets; `convert` maps byte
//! spans to the protocol's UTF-16 positions and diagnostics to the
//! protocol's; `tokens` reads every token's grammatical role and what may
//! follow it; `values` knows where each let-bound value is visible;
//! `code_pages` writes the diagnostic codes' pages that diagnostics link to;
//! `hover`, `completion`, `signature` (signature help), `hints` (inlay
//! hints), `navigation` (definitions, references, highlights, rename,
//! document symbols), `actions` (quick fixes), `semantic` (semantic tokens),
//! `folding` (folding ranges) and `formatting` are the features;
//! `vocabulary` holds the short docs of the language's keywords; `settings`
//! reads what the client configures (a world file, a level).

mod actions;
mod code_pages;
mod completion;
mod convert;
mod document;
mod folding;
mod formatting;
mod hints;
mod hover;
mod lines;
mod navigation;
mod semantic;
mod server;
mod settings;
mod signature;
mod tokens;
mod transport;
mod values;
mod vocabulary;

pub use completion::{NAME_LIMIT, VALUE_LIMIT};
pub use server::{serve, serve_with, Config, ServeError};
pub use transport::{read_frame, MAX_MESSAGE};

/// Runs the language server on standard input and output until the client
/// says `exit`.
///
/// Returns `Ok` after a proper `shutdown` then `exit`; an `exit` without a
/// `shutdown`, a client that goes away, or a broken stream (a frame over
/// [`MAX_MESSAGE`] bytes, a header that is not one) is an error (the
/// protocol asks for exit code 1 then).
pub fn serve_stdio() -> Result<(), ServeError> {
    let (connection, transport) = transport::stdio();
    let served = serve(&connection);
    // The writer thread ends once every sender is gone.
    drop(connection);
    // A broken stream says more than the disconnection it caused.
    let reader_stopped = matches!(served, Err(ServeError::Disconnected));
    let joined = transport.join(reader_stopped).map_err(ServeError::Io);
    joined.and(served)
}
