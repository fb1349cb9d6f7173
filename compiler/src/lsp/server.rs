//! The main loop: initialisation, dispatch, shutdown.
//!
//! Messages are handled one at a time in arrival order. An edit only
//! changes a document's text; once every message already queued has been
//! read, or before a request is answered, each changed document is
//! analysed once and its diagnostics published. So edits sent back to back
//! cost one analysis, and every answer reflects every edit sent before its
//! request. Each handler runs under `catch_unwind`, so a bug in a feature
//! costs one answer (an `InternalError` response, and a line on standard
//! error), never the session.

use super::code_pages::{self, CodePages};
use super::document::Documents;
use super::{
    actions, completion, folding, formatting, hints, hover, navigation, semantic, settings,
    signature,
};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self, Notification as _};
use lsp_types::request::{self, Request as _};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeResult, LogMessageParams, MessageType,
    OneOf, PositionEncodingKind, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions, Uri,
};
use serde_json::Value;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why the server stopped other than by a proper `shutdown` and `exit`.
#[derive(Debug)]
pub enum ServeError {
    /// The client sent `exit` without asking for `shutdown` first.
    ExitWithoutShutdown,
    /// The client closed the connection without `exit`.
    Disconnected,
    /// Reading or writing the stream failed (a malformed message, a closed pipe).
    Io(std::io::Error),
}

impl fmt::Display for ServeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServeError::ExitWithoutShutdown => {
                f.write_str("the client asked to exit without shutting the server down first")
            }
            ServeError::Disconnected => f.write_str("the client closed the connection"),
            ServeError::Io(e) => write!(f, "the connection to the client failed: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// How a server is set up, beyond what its client says.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where the diagnostic codes' pages are written and linked from
    /// (`codeDescription`); `None`: no links.
    pub code_pages: Option<std::path::PathBuf>,
}

impl Config {
    /// The pages in the user's cache folder (see [`code_pages`]).
    pub fn standard() -> Config {
        Config {
            code_pages: code_pages::default_folder(),
        }
    }
}

/// Serves one client over `connection` until it says `exit`, with the
/// standard configuration.
pub fn serve(connection: &Connection) -> Result<(), ServeError> {
    serve_with(connection, Config::standard())
}

/// Serves one client over `connection` until it says `exit`.
pub fn serve_with(connection: &Connection, config: Config) -> Result<(), ServeError> {
    let mut server = Server {
        connection,
        phase: Phase::Uninitialised,
        documents: Documents::default(),
        root: None,
        config,
    };
    loop {
        let message = connection
            .receiver
            .recv()
            .map_err(|_| ServeError::Disconnected)?;
        if let Some(end) = server.on_message(message) {
            return end;
        }
        // Whatever is queued already comes before the documents are
        // analysed again: a run of edits costs one analysis.
        while let Ok(message) = connection.receiver.try_recv() {
            if let Some(end) = server.on_message(message) {
                return end;
            }
        }
        server.refresh();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Uninitialised,
    Running,
    ShuttingDown,
}

struct Server<'a> {
    connection: &'a Connection,
    phase: Phase,
    documents: Documents,
    /// The workspace's folder, against which a relative world path is read.
    root: Option<std::path::PathBuf>,
    config: Config,
}

/// An error answer: a JSON-RPC code and a message for the client's log.
pub(super) struct Failure {
    code: ErrorCode,
    message: String,
}

impl Failure {
    fn new(code: ErrorCode, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// What the server offers; docs/lsp.md describes each capability.
pub(super) fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            // After `on `, `from `, `to `, `: ` ... the next word is known.
            trigger_characters: Some(vec![" ".to_string(), ":".to_string()]),
            ..CompletionOptions::default()
        }),
        semantic_tokens_provider: Some(
            lsp_types::SemanticTokensServerCapabilities::SemanticTokensOptions(
                lsp_types::SemanticTokensOptions {
                    legend: semantic::legend(),
                    full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
                },
            ),
        ),
        folding_range_provider: Some(lsp_types::FoldingRangeProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        signature_help_provider: Some(lsp_types::SignatureHelpOptions {
            trigger_characters: Some(vec![" ".to_string()]),
            ..lsp_types::SignatureHelpOptions::default()
        }),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
                ..lsp_types::CodeActionOptions::default()
            },
        )),
        rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

impl Server<'_> {
    /// Handles one message; `Some` once the server is to stop.
    fn on_message(&mut self, message: Message) -> Option<Result<(), ServeError>> {
        match message {
            Message::Request(request) => {
                // An answer reflects every edit sent before its request.
                self.refresh();
                self.on_request(request);
            }
            Message::Notification(n) if n.method == notification::Exit::METHOD => {
                return Some(match self.phase {
                    Phase::ShuttingDown => Ok(()),
                    Phase::Uninitialised | Phase::Running => Err(ServeError::ExitWithoutShutdown),
                });
            }
            Message::Notification(n) => self.on_notification(n),
            // The server sends no requests, so no response is awaited.
            Message::Response(_) => {}
        }
        None
    }

    /// Analyses every document changed since it was last analysed, and
    /// publishes its diagnostics.
    fn refresh(&mut self) {
        for uri in self.documents.stale() {
            let outcome = guarded("analysing a document", || {
                self.documents.analyse(&uri);
                Ok(())
            });
            match outcome {
                Ok(()) => self.publish_diagnostics(&uri),
                Err(failure) => {
                    self.log(MessageType::ERROR, failure.message);
                    // What the document showed no longer matches its text.
                    let version = self.documents.get(&uri).map(|d| d.version);
                    self.publish(uri, Vec::new(), version);
                }
            }
        }
    }

    /// What `initialize` says beyond the settings: the client's support for
    /// snippets; and the code pages are written.
    fn start(&mut self, params: &Value) {
        self.documents.snippets = params
            .pointer("/capabilities/textDocument/completion/completionItem/snippetSupport")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let Some(folder) = self.config.code_pages.clone() {
            match CodePages::write(&folder) {
                Ok(pages) => self.documents.pages = pages,
                Err(why) => self.log(
                    MessageType::WARNING,
                    format!("diagnostics will not link to their codes' pages: {why}"),
                ),
            }
        }
    }

    fn send(&self, message: impl Into<Message>) {
        // A client that has gone away is noticed by the next `recv`.
        let _ = self.connection.sender.send(message.into());
    }

    fn on_request(&mut self, request: Request) {
        let Request { id, method, params } = request;
        let response = match (self.phase, method.as_str()) {
            (Phase::Uninitialised, request::Initialize::METHOD) => {
                self.phase = Phase::Running;
                self.root = settings::root(&params);
                self.start(&params);
                self.send(ok(id, initialize_result()));
                // Without options the defaults stand, and nothing is said.
                if let Some(options) = params.get("initializationOptions").filter(|o| !o.is_null())
                {
                    let options = options.clone();
                    self.configure(&options);
                }
                return;
            }
            (Phase::Uninitialised, _) => Response::new_err(
                id,
                ErrorCode::ServerNotInitialized as i32,
                format!("`{method}` before `initialize`"),
            ),
            (Phase::ShuttingDown, _) => Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                format!("`{method}` after `shutdown`"),
            ),
            (Phase::Running, request::Initialize::METHOD) => Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                "the server is already initialised".to_string(),
            ),
            (Phase::Running, request::Shutdown::METHOD) => {
                self.phase = Phase::ShuttingDown;
                Response::new_ok(id, Value::Null)
            }
            (Phase::Running, _) => self.answer(id, &method, params),
        };
        self.send(response);
    }

    /// Answers a feature request; a panic becomes an `InternalError`.
    fn answer(&self, id: RequestId, method: &str, params: Value) -> Response {
        let outcome = guarded(method, || self.dispatch(method, params));
        match outcome {
            Ok(value) => Response::new_ok(id, value),
            Err(failure) => Response::new_err(id, failure.code as i32, failure.message),
        }
    }

    fn dispatch(&self, method: &str, params: Value) -> Result<Value, Failure> {
        let documents = &self.documents;
        match method {
            request::HoverRequest::METHOD => {
                handle::<request::HoverRequest>(params, |p| hover::hover(documents, p))
            }
            request::Completion::METHOD => {
                handle::<request::Completion>(params, |p| completion::complete(documents, p))
            }
            request::GotoDefinition::METHOD => {
                handle::<request::GotoDefinition>(params, |p| navigation::definition(documents, p))
            }
            request::CodeActionRequest::METHOD => {
                handle::<request::CodeActionRequest>(params, |p| {
                    actions::code_actions(documents, p)
                })
            }
            request::SignatureHelpRequest::METHOD => {
                handle::<request::SignatureHelpRequest>(params, |p| {
                    signature::signature_help(documents, p)
                })
            }
            request::InlayHintRequest::METHOD => {
                handle::<request::InlayHintRequest>(params, |p| hints::inlay_hints(documents, p))
            }
            request::DocumentHighlightRequest::METHOD => {
                handle::<request::DocumentHighlightRequest>(params, |p| {
                    navigation::highlights(documents, p)
                })
            }
            request::References::METHOD => {
                handle::<request::References>(params, |p| navigation::references(documents, p))
            }
            request::PrepareRenameRequest::METHOD => {
                let p = parse(method, params)?;
                let answer = navigation::prepare_rename(documents, p).map_err(refused)?;
                to_value(method, Some(answer))
            }
            request::Rename::METHOD => {
                let p = parse(method, params)?;
                let answer = navigation::rename(documents, p).map_err(refused)?;
                to_value(method, Some(answer))
            }
            request::DocumentSymbolRequest::METHOD => {
                handle::<request::DocumentSymbolRequest>(params, |p| {
                    navigation::document_symbols(documents, p)
                })
            }
            request::SemanticTokensFullRequest::METHOD => {
                handle::<request::SemanticTokensFullRequest>(params, |p| {
                    semantic::semantic_tokens(documents, p)
                })
            }
            request::FoldingRangeRequest::METHOD => {
                handle::<request::FoldingRangeRequest>(params, |p| {
                    folding::folding_ranges(documents, p)
                })
            }
            request::Formatting::METHOD => handle::<request::Formatting>(params, |p| {
                let (edits, skipped) = formatting::format(documents, p);
                if let Some(reason) = skipped {
                    self.log(MessageType::INFO, reason);
                }
                edits
            }),
            _ => Err(Failure::new(
                ErrorCode::MethodNotFound,
                format!("meshc does not implement `{method}`"),
            )),
        }
    }

    fn on_notification(&mut self, notification: Notification) {
        if self.phase == Phase::Uninitialised {
            // The protocol drops notifications before `initialize`.
            return;
        }
        let Notification { method, params } = notification;
        let touched = document_uri(&params);
        let outcome = guarded(&method, || self.update(&method, params));
        match outcome {
            Ok(()) => {}
            Err(failure) => {
                self.log(MessageType::ERROR, failure.message);
                // What the document showed no longer matches its text.
                if let Some(uri) = touched {
                    self.publish(uri, Vec::new(), None);
                }
            }
        }
    }

    /// Applies the client's settings (a world file, a level) and judges every
    /// open document again. Settings that cannot be used are shown to the
    /// user, and documents are then judged against the default registry at
    /// `-O`, as without settings.
    fn configure(&mut self, value: &Value) {
        let judged = settings::read(value, self.root.as_deref()).and_then(|s| {
            let judged = settings::load(&s)?;
            let world = s.world.as_ref().map_or_else(
                || "the default registry".to_string(),
                |w| format!("the world file {}", w.display()),
            );
            self.log(
                MessageType::INFO,
                format!("checking against {world} at {}", s.level.flag()),
            );
            Ok(judged)
        });
        let judged = judged.unwrap_or_else(|why| {
            let message = format!(
                "mesh: the settings cannot be used ({why}); checking against the default registry at -O"
            );
            self.show(MessageType::WARNING, message.clone());
            self.log(MessageType::WARNING, message);
            settings::Judged {
                registry: mesh_runtime::Registry::default_registry(),
                options: crate::check::CheckOptions::default(),
            }
        });
        // Analysed, and published, with the next refresh.
        self.documents.rejudge(judged.registry, judged.options);
    }

    /// Applies a notification. A document it opens or changes is analysed
    /// with the next refresh.
    fn update(&mut self, method: &str, params: Value) -> Result<(), Failure> {
        match method {
            notification::DidChangeConfiguration::METHOD => {
                let settings = params.get("settings").cloned().unwrap_or(Value::Null);
                self.configure(&settings);
                Ok(())
            }
            notification::DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = parse(method, params)?;
                let doc = p.text_document;
                self.documents.open(doc.uri, doc.version, doc.text);
                Ok(())
            }
            notification::DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = parse(method, params)?;
                let uri = p.text_document.uri;
                if self
                    .documents
                    .change(&uri, p.text_document.version, &p.content_changes)
                {
                    Ok(())
                } else {
                    Err(Failure::new(
                        ErrorCode::InvalidParams,
                        format!("`{method}` for `{}`, which is not open", uri.as_str()),
                    ))
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = parse(method, params)?;
                self.documents.close(&p.text_document.uri);
                self.publish(p.text_document.uri, Vec::new(), None);
                Ok(())
            }
            // Saving changes nothing the server has not seen; `initialized`,
            // `$/cancelRequest` (every request is answered in turn) and any
            // other notification need nothing either.
            _ => Ok(()),
        }
    }

    fn publish_diagnostics(&self, uri: &Uri) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let diagnostics = document.lsp_diagnostics(uri, &self.documents.pages);
        self.publish(uri.clone(), diagnostics, Some(document.version));
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            notification::PublishDiagnostics::METHOD.to_string(),
            params,
        ));
    }

    /// A message the user sees (a pop-up in most editors).
    fn show(&self, typ: MessageType, message: String) {
        self.send(Notification::new(
            notification::ShowMessage::METHOD.to_string(),
            lsp_types::ShowMessageParams { typ, message },
        ));
    }

    /// A line in the client's log (not a pop-up), and on standard error.
    fn log(&self, typ: MessageType, message: String) {
        eprintln!("meshc lsp: {message}");
        self.send(Notification::new(
            notification::LogMessage::METHOD.to_string(),
            LogMessageParams { typ, message },
        ));
    }
}

fn initialize_result() -> InitializeResult {
    InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "meshc".to_string(),
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
        }),
    }
}

fn ok(id: RequestId, result: impl serde::Serialize) -> Response {
    match serde_json::to_value(result) {
        Ok(value) => Response::new_ok(id, value),
        Err(e) => Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            format!("cannot write the answer: {e}"),
        ),
    }
}

fn parse<P: serde::de::DeserializeOwned>(method: &str, params: Value) -> Result<P, Failure> {
    serde_json::from_value(params).map_err(|e| {
        Failure::new(
            ErrorCode::InvalidParams,
            format!("invalid parameters for `{method}`: {e}"),
        )
    })
}

/// A rename the server will not make: the client shows the reason.
fn refused(why: navigation::RenameRefused) -> Failure {
    Failure::new(ErrorCode::RequestFailed, why.0)
}

/// An answer as JSON.
fn to_value(method: &str, answer: impl serde::Serialize) -> Result<Value, Failure> {
    serde_json::to_value(answer).map_err(|e| {
        Failure::new(
            ErrorCode::InternalError,
            format!("cannot write the answer to `{method}`: {e}"),
        )
    })
}

/// Reads a request's parameters, runs the feature, writes its answer.
fn handle<R>(params: Value, feature: impl FnOnce(R::Params) -> R::Result) -> Result<Value, Failure>
where
    R: lsp_types::request::Request,
{
    let params = parse(R::METHOD, params)?;
    to_value(R::METHOD, feature(params))
}

/// The document a notification is about, read before it is handled so that
/// a failed handler can still clear that document's diagnostics.
fn document_uri(params: &Value) -> Option<Uri> {
    let uri = params.get("textDocument")?.get("uri")?;
    serde_json::from_value(uri.clone()).ok()
}

/// Runs a handler; a panic in it becomes an `InternalError` failure, logged
/// to standard error with what the handler was doing.
pub(super) fn guarded<T>(
    method: &str,
    handler: impl FnOnce() -> Result<T, Failure>,
) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(handler)) {
        Ok(outcome) => outcome,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            eprintln!("meshc lsp: internal error while handling `{method}`: {what}");
            Err(Failure::new(
                ErrorCode::InternalError,
                format!("internal error while handling `{method}`: {what}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_becomes_an_internal_error() {
        let outcome: Result<(), Failure> = guarded("textDocument/hover", || panic!("boom"));
        let failure = match outcome {
            Ok(()) => panic!("a panic must not pass for an answer"),
            Err(failure) => failure,
        };
        assert_eq!(failure.code as i32, ErrorCode::InternalError as i32);
        assert!(failure.message.contains("boom"), "{}", failure.message);
        assert!(failure.message.contains("textDocument/hover"));
    }

    #[test]
    fn a_formatted_panic_message_is_kept() {
        let outcome: Result<(), Failure> = guarded("textDocument/completion", || {
            panic!("offset {} out of range", 7)
        });
        let message = outcome.err().map(|f| f.message).unwrap_or_default();
        assert!(message.contains("offset 7 out of range"), "{message}");
    }

    #[test]
    fn a_handler_that_does_not_panic_is_answered_as_it_says() {
        let outcome = guarded("textDocument/hover", || Ok::<_, Failure>(3));
        assert!(matches!(outcome, Ok(3)));
    }
}
