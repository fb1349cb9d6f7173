//! Hostile and machine-made input, end to end through the real binary: very
//! deep nesting is a clean diagnostic and exit code in every command and in
//! the language server, never an abort; the deepest nesting allowed is
//! checked, run and formatted.

use mesh_tests::{meshc, outcome};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `levels` nested `on` blocks inside a bundle.
fn nested_on(levels: usize) -> String {
    let mut source = String::from("bundle deep on polygon {\n    input 1 WETH\n");
    for i in 0..levels {
        let chain = if i % 2 == 0 { "arbitrum" } else { "polygon" };
        source.push_str(&format!("on {chain} {{\n"));
    }
    source.push_str("input 1 USDC\n");
    source.push_str(&"}\n".repeat(levels));
    source.push_str("}\n");
    source
}

/// `levels` nested `parallel` groups inside a bundle.
fn nested_parallel(levels: usize) -> String {
    let mut source = String::from("bundle deep on polygon {\n    input 1 WETH\n");
    source.push_str(&"parallel {\n".repeat(levels));
    source.push_str("deposit 1 WETH into aave\n");
    source.push_str(&"} and { }\n".repeat(levels));
    source.push_str("}\n");
    source
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    match meshc().current_dir(dir).args(args).output() {
        Ok(output) => outcome(&output),
        Err(e) => panic!("cannot run meshc {args:?}: {e}"),
    }
}

/// No sign of a crash: a panic, a stack overflow, an abort.
fn assert_no_crash(code: i32, stderr: &str, what: &str) {
    assert!((0..=2).contains(&code), "{what}: exit {code}\n{stderr}");
    for sign in ["panicked", "overflow", "internal error", "aborting"] {
        assert!(!stderr.contains(sign), "{what}:\n{stderr}");
    }
}

#[test]
fn very_deep_nesting_is_a_clean_error_in_every_command() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (name, source) in [
        ("on.mesh", nested_on(100_000)),
        ("parallel.mesh", nested_parallel(100_000)),
    ] {
        let path = write(dir.path(), name, &source);
        for args in [
            vec!["check", name],
            vec!["check", "--format", "json", name],
            vec!["run", "-O0", name],
            vec!["run", name],
            vec!["gas", name],
            vec!["build", name, "-o", "never"],
            vec!["fmt", name],
        ] {
            let what = format!("meshc {}", args.join(" "));
            let (code, stdout, stderr) = run_in(dir.path(), &args);
            assert_no_crash(code, &stderr, &what);
            assert_eq!(code, 1, "{what}:\n{stderr}");
            let said = format!("{stdout}{stderr}");
            assert!(
                said.contains("E0010") || said.contains("nested more than 256 deep"),
                "{what}:\n{said}"
            );
        }
        // Nothing was written: not the source, not an executable.
        assert_eq!(std::fs::read_to_string(&path).unwrap_or_default(), source);
        assert!(!dir.path().join("never").exists());
    }
}

#[test]
fn the_deepest_nesting_allowed_is_checked_run_and_formatted() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The bundle's body is one level: 255 more reach the bound.
    let levels = 255;
    for (name, source) in [
        ("on.mesh", nested_on(levels)),
        ("parallel.mesh", nested_parallel(levels)),
    ] {
        write(dir.path(), name, &source);
        for args in [
            vec!["check", name],
            vec!["run", "-O0", name],
            vec!["run", name],
            vec!["gas", name],
            vec!["fmt", name],
            vec!["fmt", "--check", name],
        ] {
            let what = format!("meshc {}", args.join(" "));
            let (code, _, stderr) = run_in(dir.path(), &args);
            assert_no_crash(code, &stderr, &what);
            assert_eq!(code, 0, "{what}:\n{stderr}");
        }
    }
    // One level more is the error.
    write(dir.path(), "over.mesh", &nested_on(levels + 1));
    let (code, _, stderr) = run_in(dir.path(), &["check", "over.mesh"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("[E0010] Error"), "{stderr}");
}

/// One framed language-server message.
fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body.as_bytes());
    out
}

/// Every message in `bytes`, a stream of framed messages.
fn messages(bytes: &[u8]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while let Some(header_end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
        let header = String::from_utf8_lossy(&rest[..header_end]).to_string();
        let length = header
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let body_start = header_end + 4;
        let Some(body) = rest.get(body_start..body_start + length) else {
            break;
        };
        if let Ok(value) = serde_json::from_slice(body) {
            out.push(value);
        }
        rest = &rest[body_start + length..];
    }
    out
}

#[test]
fn the_language_server_reports_very_deep_nesting_and_goes_on() {
    let uri = "file:///work/deep.mesh";
    let deep = nested_parallel(100_000);
    let mut input = Vec::new();
    for message in [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "mesh", "version": 1, "text": deep}}}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
            "textDocument": {"uri": uri}, "position": {"line": 50_000, "character": 3}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/formatting", "params": {
            "textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}}),
        json!({"jsonrpc": "2.0", "id": 4, "method": "shutdown", "params": null}),
        json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    ] {
        input.extend(frame(&message));
    }
    let mut child = meshc()
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start meshc lsp: {e}"));
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        panic!("meshc lsp has no pipes");
    };
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                panic!("meshc lsp did not exit in time");
            }
        }
    };
    let _ = writer.join();
    let output = reader.join().unwrap_or_default();
    let stderr = errors.join().unwrap_or_default();
    assert_eq!(status.code(), Some(0), "stderr:\n{stderr}");
    assert_no_crash(0, &stderr, "meshc lsp");
    let messages = messages(&output);
    let published = messages
        .iter()
        .find(|m| m["method"] == "textDocument/publishDiagnostics")
        .unwrap_or_else(|| panic!("no diagnostics in {messages:?}"));
    let codes: Vec<&Value> = published["params"]["diagnostics"]
        .as_array()
        .map(|d| d.iter().map(|d| &d["code"]).collect())
        .unwrap_or_default();
    assert_eq!(codes, [&json!("E0010")], "{published}");
    // Every request got its answer; formatting a file that does not parse
    // changes nothing.
    for id in 2..=4 {
        let answer = messages
            .iter()
            .find(|m| m["id"] == json!(id))
            .unwrap_or_else(|| panic!("no answer to request {id}"));
        assert!(answer["error"].is_null(), "{answer}");
    }
}
