//! Language-server latency on a large single-bundle document.
//!
//! `cargo bench -p meshc --bench lsp` prints, for documents of 2,000 and
//! 20,000 lines, how long the server takes from a request to its answer
//! over an in-memory connection (the server's own work: no pipes, no
//! framing): opening the document (analysis and diagnostics), completion on
//! an empty line and in an amount (the first completion of a version builds
//! the token map, the first in an amount the index of values; later ones
//! read them), and thirty edits sent back to back followed by a hover. Each figure is the best of several runs. It is a
//! measurement, not a test: docs/lsp.md quotes the table.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use meshc::lsp::{serve_with, Config};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const URI: &str = "file:///bench/big.mesh";

/// A single bundle of about `lines` lines: a value bound and spent on every
/// other line, and an empty line before the closing `}`.
fn document(lines: usize) -> String {
    let mut text = String::from("bundle big on polygon {\n    input 1000000 USDC\n");
    for i in 0..lines / 2 {
        text.push_str(&format!(
            "    let v{i} = withdraw 1 USDC from aave\n    deposit v{i} into aave\n"
        ));
    }
    text.push_str("    \n}\n");
    text
}

struct Session {
    client: Connection,
    server: Option<std::thread::JoinHandle<()>>,
    next_id: i32,
}

impl Session {
    fn start() -> Session {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || {
            let _ = serve_with(&server, Config::default());
        });
        let mut session = Session {
            client,
            server: Some(handle),
            next_id: 0,
        };
        session.request("initialize", json!({ "capabilities": {} }));
        session.notify("initialized", json!({}));
        session
    }

    fn send(&self, message: Message) {
        if self.client.sender.send(message).is_err() {
            panic!("the server has gone");
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Notification::new(method.to_string(), params).into());
    }

    /// Sends a request and waits for its answer; returns the result.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.to_string(), params).into());
        loop {
            match self.client.receiver.recv_timeout(Duration::from_secs(120)) {
                Ok(Message::Response(r)) if r.id == id => {
                    return r.response_result.unwrap_or(Value::Null);
                }
                Ok(_) => {}
                Err(e) => panic!("no answer to {method}: {e}"),
            }
        }
    }

    fn diagnostics(&self) -> Value {
        loop {
            match self.client.receiver.recv_timeout(Duration::from_secs(120)) {
                Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params;
                }
                Ok(_) => {}
                Err(e) => panic!("no diagnostics: {e}"),
            }
        }
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(handle) = self.server.take() {
            let _ = handle.join();
        }
    }
}

fn at(line: usize, character: usize) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } })
}

fn items(list: &Value) -> usize {
    list["items"].as_array().map_or(0, Vec::len)
}

struct Row {
    lines: usize,
    open: Duration,
    first_completion: Duration,
    statement: Duration,
    statement_items: usize,
    first_amount: Duration,
    amount: Duration,
    amount_items: usize,
    edits_then_hover: Duration,
}

fn measure(lines: usize) -> Row {
    let text = document(lines);
    let last = text.lines().count() - 2;
    let mut best = Row {
        lines: text.lines().count(),
        open: Duration::MAX,
        first_completion: Duration::MAX,
        statement: Duration::MAX,
        statement_items: 0,
        first_amount: Duration::MAX,
        amount: Duration::MAX,
        amount_items: 0,
        edits_then_hover: Duration::MAX,
    };
    for _ in 0..5 {
        let mut session = Session::start();
        let start = Instant::now();
        session.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": URI, "languageId": "mesh", "version": 1, "text": text } }),
        );
        session.diagnostics();
        best.open = best.open.min(start.elapsed());

        let start = Instant::now();
        session.request("textDocument/completion", at(last, 4));
        best.first_completion = best.first_completion.min(start.elapsed());
        let start = Instant::now();
        let list = session.request("textDocument/completion", at(last, 4));
        best.statement = best.statement.min(start.elapsed());
        best.statement_items = items(&list);
        let start = Instant::now();
        session.request("textDocument/completion", at(last - 1, 12));
        best.first_amount = best.first_amount.min(start.elapsed());
        let start = Instant::now();
        let list = session.request("textDocument/completion", at(last - 1, 12));
        best.amount = best.amount.min(start.elapsed());
        best.amount_items = items(&list);

        let start = Instant::now();
        let typed = "let zz = withdraw 7 WETH from aave";
        for (i, version) in (2..32).enumerate() {
            let piece = if version < 31 {
                &typed[i..=i]
            } else {
                &typed[i..]
            };
            session.notify(
                "textDocument/didChange",
                json!({
                    "textDocument": { "uri": URI, "version": version },
                    "contentChanges": [{ "range": {
                        "start": { "line": last, "character": 4 + i },
                        "end": { "line": last, "character": 4 + i } }, "text": piece }],
                }),
            );
        }
        let hover = session.request("textDocument/hover", at(last, 22));
        best.edits_then_hover = best.edits_then_hover.min(start.elapsed());
        assert!(hover.to_string().contains("7 WETH"), "{hover}");
        session.stop();
    }
    best
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    println!("| lines | open (analysis + diagnostics) | first completion | completion, empty line | items | first completion in an amount | completion in an amount | items | 30 edits then hover |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for lines in [2_000, 20_000] {
        let row = measure(lines);
        println!(
            "| {} | {} ms | {} ms | {} ms | {} | {} ms | {} ms | {} | {} ms |",
            row.lines,
            ms(row.open),
            ms(row.first_completion),
            ms(row.statement),
            row.statement_items,
            ms(row.first_amount),
            ms(row.amount),
            row.amount_items,
            ms(row.edits_then_hover),
        );
    }
}
