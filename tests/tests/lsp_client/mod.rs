//! A language-server client for the end-to-end tests: the real `meshc lsp`
//! binary over standard input and output, with `Content-Length` framing.
//! Every read has a deadline, so a hung server fails the test instead of
//! hanging it.

#![allow(dead_code)] // Each test file uses its own part of it.

use mesh_tests::meshc;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct Server {
    child: Child,
    pub stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    stderr: Receiver<String>,
    next_id: i64,
    /// The code pages' folder the server was given; removed with it.
    _cache: Option<tempfile::TempDir>,
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

/// A message framed as the protocol frames it.
pub fn frame(message: &Value) -> String {
    let body = message.to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len())
}

impl Server {
    /// `meshc lsp`, with the code pages written into a fresh temporary
    /// cache folder (never the user's).
    pub fn start() -> Server {
        let cache = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot make a temporary folder: {e}"),
        };
        let mut command = meshc();
        command.env("XDG_CACHE_HOME", cache.path());
        let mut server = Server::spawn(command);
        server._cache = Some(cache);
        server
    }

    pub fn spawn(mut command: std::process::Command) -> Server {
        let mut child = match command
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
            _cache: None,
        }
    }

    /// Writes raw bytes to the server's input.
    pub fn write(&mut self, bytes: &[u8]) {
        let written = self
            .stdin
            .as_mut()
            .map(|stdin| stdin.write_all(bytes).and_then(|()| stdin.flush()));
        if let Some(Err(e)) = written {
            panic!("cannot write to meshc lsp: {e}");
        }
    }

    pub fn send(&mut self, message: Value) {
        self.write(frame(&message).as_bytes());
    }

    pub fn receive(&mut self, what: &str) -> Value {
        match self.messages.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(e) => panic!(
                "no {what} from meshc lsp within {TIMEOUT:?} ({e}); stderr:\n{}",
                self.stderr_now()
            ),
        }
    }

    /// The next request id, for a request written by hand.
    pub fn fresh_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Sends a request and returns its response (the whole message);
    /// notifications that arrive first are skipped.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.fresh_id();
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(id, method)
    }

    /// The response to request `id`; notifications before it are skipped.
    pub fn response(&mut self, id: i64, method: &str) -> Value {
        loop {
            let message = self.receive(&format!("answer to {method}"));
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    /// The result of a request that must succeed.
    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let response = self.request(method, params);
        if !response["error"].is_null() {
            panic!("`{method}` failed: {response}");
        }
        response["result"].clone()
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Initialises the server with these client capabilities and options.
    pub fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let result = self.result(
            "initialize",
            json!({ "processId": null, "capabilities": capabilities,
                    "initializationOptions": options }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn diagnostics(&mut self) -> Value {
        loop {
            let message = self.receive("diagnostics");
            if message["method"] == "textDocument/publishDiagnostics" {
                return message["params"].clone();
            }
        }
    }

    /// Opens a document and returns its first diagnostics.
    pub fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "mesh", "version": 1, "text": text } }),
        );
        self.diagnostics()
    }

    /// `shutdown` then `exit`; the exit code must be 0.
    pub fn shutdown(mut self) {
        let shutdown = self.request("shutdown", Value::Null);
        assert!(shutdown["error"].is_null(), "{shutdown}");
        self.notify("exit", Value::Null);
        self.stdin = None;
        let code = self.wait();
        assert_eq!(code, Some(0), "stderr:\n{}", self.stderr());
    }

    /// Waits for the process to end and returns its exit code.
    pub fn wait(&mut self) -> Option<i32> {
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

    /// Everything the server wrote to standard error (once it has exited).
    pub fn stderr(&self) -> String {
        self.stderr.recv_timeout(TIMEOUT).unwrap_or_default()
    }

    fn stderr_now(&self) -> String {
        self.stderr
            .recv_timeout(Duration::from_millis(100))
            .unwrap_or_default()
    }
}

/// The protocol position of the first `needle` in `text`, `delta` characters in.
pub fn position(text: &str, needle: &str, delta: usize) -> Value {
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
