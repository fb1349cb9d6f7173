//! `meshc lsp`, end to end: the real binary over standard input and output,
//! driven through one editing session in the order an editor would. Every
//! read has a deadline, so a hung server fails the test instead of hanging it.

use mesh_tests::meshc;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    stderr: Receiver<String>,
    next_id: i64,
}

impl Drop for Server {
    fn drop(&mut self) {
        // A server still running here failed the test; do not leave it behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads one `Content-Length`-framed message, or `None` at the end.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length:") {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Server {
    fn start() -> Server {
        let mut child = match meshc()
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => panic!("cannot start meshc lsp: {e}"),
        };
        let (stdin, stdout, stderr) =
            match (child.stdin.take(), child.stdout.take(), child.stderr.take()) {
                (Some(i), Some(o), Some(e)) => (i, o, e),
                _ => panic!("meshc lsp has no pipes"),
            };
        let (send, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if send.send(message).is_err() {
                    break;
                }
            }
        });
        let (send_err, stderr_text) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stderr).read_to_string(&mut text);
            let _ = send_err.send(text);
        });
        Server {
            child,
            stdin: Some(stdin),
            messages,
            stderr: stderr_text,
            next_id: 0,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        let framed = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        let written = self.stdin.as_mut().map(|stdin| {
            stdin
                .write_all(framed.as_bytes())
                .and_then(|()| stdin.flush())
        });
        if let Some(Err(e)) = written {
            panic!("cannot write to meshc lsp: {e}");
        }
    }

    fn receive(&mut self, what: &str) -> Value {
        match self.messages.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(e) => panic!("no {what} from meshc lsp within {TIMEOUT:?} ({e})"),
        }
    }

    /// Sends a request and returns its response (the whole message);
    /// notifications that arrive first are skipped.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive(&format!("answer to {method}"));
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn diagnostics(&mut self) -> Value {
        loop {
            let message = self.receive("diagnostics");
            if message["method"] == "textDocument/publishDiagnostics" {
                return message["params"].clone();
            }
        }
    }

    /// Waits for the process to end and returns its exit code.
    fn wait(&mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.code(),
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => panic!("cannot wait for meshc lsp: {e}"),
            }
        }
        panic!("meshc lsp did not exit within {TIMEOUT:?}");
    }

    fn stderr(&self) -> String {
        self.stderr.recv_timeout(TIMEOUT).unwrap_or_default()
    }
}

/// The protocol position of the first `needle` in `text`, `delta` characters in.
fn position(text: &str, needle: &str, delta: usize) -> Value {
    let Some(offset) = text.find(needle) else {
        panic!("`{needle}` is not in the text");
    };
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[start..offset]
        .chars()
        .chain(needle.chars().take(delta))
        .map(char::len_utf16)
        .sum();
    json!({ "line": line, "character": column })
}

const URI: &str = "file:///work/flash.mesh";

#[test]
fn an_editing_session_over_stdio() {
    let fixed = std::fs::read_to_string(
        mesh_tests::root().join("examples/polygon_arbitrum_flash_loan.mesh"),
    )
    .unwrap_or_else(|e| panic!("cannot read the example: {e}"));
    // A typo in a protocol name: `sushiswap` spelt `sushiswop`.
    let broken = fixed.replace("on sushiswap", "on sushiswop");
    assert_ne!(broken, fixed);

    let mut server = Server::start();

    // initialize: the capabilities an editor relies on.
    let init = server.request(
        "initialize",
        json!({ "processId": null, "capabilities": {} }),
    );
    let capabilities = &init["result"]["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16", "{init}");
    assert_eq!(
        capabilities["textDocumentSync"]["change"], 2,
        "incremental sync: {init}"
    );
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(capabilities["hoverProvider"], true);
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(capabilities["documentSymbolProvider"], true);
    assert_eq!(capabilities["documentFormattingProvider"], true);
    assert!(capabilities["completionProvider"].is_object());
    assert_eq!(init["result"]["serverInfo"]["name"], "meshc");
    server.notify("initialized", json!({}));

    // didOpen: the same errors as `meshc check`.
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "mesh", "version": 1, "text": broken } }),
    );
    let published = server.diagnostics();
    assert_eq!(published["uri"], URI);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let codes: Vec<&str> = diagnostics
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["E0103"], "{published}");
    let typo = &diagnostics[0];
    assert_eq!(typo["severity"], 1);
    assert_eq!(typo["source"], "meshc");
    assert_eq!(typo["range"]["start"], position(&broken, "sushiswop", 0));
    assert_eq!(typo["range"]["end"], position(&broken, "sushiswop", 9));
    assert!(
        typo["message"]
            .as_str()
            .is_some_and(|m| m.contains("sushiswap")),
        "the hint should suggest the right name: {typo}"
    );

    // An incremental change that fixes the typo: diagnostics clear.
    let start = position(&broken, "sushiswop", 7);
    let end = position(&broken, "sushiswop", 8);
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 2 },
            "contentChanges": [{ "range": { "start": start, "end": end }, "text": "a" }],
        }),
    );
    let published = server.diagnostics();
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // Hover on an amount: its token and exact value.
    let hover = server.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": URI }, "position": position(&fixed, "100 WETH from", 5) }),
    );
    let contents = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(contents.contains("WETH"), "{hover}");
    assert!(
        contents.contains("100000000000000000000 base units"),
        "{hover}"
    );

    // Definition of a let-bound value.
    let definition = server.request(
        "textDocument/definition",
        json!({ "textDocument": { "uri": URI }, "position": position(&fixed, "bridge loan", 8) }),
    );
    assert_eq!(definition["result"]["uri"], URI, "{definition}");
    assert_eq!(
        definition["result"]["range"]["start"],
        position(&fixed, "loan =", 0)
    );

    // Formatting: unindent one line, then format; the one edit brings back
    // the example's layout.
    let line = position(&fixed, "    repay", 0);
    let unindented = position(&fixed, "    repay", 4);
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": URI, "version": 3 },
            "contentChanges": [{ "range": { "start": line, "end": unindented }, "text": "" }],
        }),
    );
    let formatting = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    let edits = formatting["result"].as_array().cloned().unwrap_or_default();
    assert_eq!(edits.len(), 1, "{formatting}");
    assert_eq!(edits[0]["newText"], fixed.as_str(), "{formatting}");
    assert_eq!(
        edits[0]["range"]["start"],
        json!({ "line": 0, "character": 0 })
    );

    // An unknown method.
    let unknown = server.request("mesh/noSuchMethod", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");

    // shutdown, exit: exit code 0.
    let shutdown = server.request("shutdown", Value::Null);
    assert!(shutdown["error"].is_null(), "{shutdown}");
    assert!(shutdown["result"].is_null(), "{shutdown}");
    server.notify("exit", Value::Null);
    server.stdin = None;
    let code = server.wait();
    assert_eq!(code, Some(0), "stderr:\n{}", server.stderr());
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let mut server = Server::start();
    let init = server.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"].is_object(), "{init}");
    server.notify("initialized", json!({}));
    server.notify("exit", Value::Null);
    server.stdin = None;
    assert_eq!(server.wait(), Some(1));
}
