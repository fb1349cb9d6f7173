//! `meshc lsp`, end to end: the real binary over standard input and output,
//! driven through one editing session in the order an editor would, and fed
//! what no editor should send. Every read has a deadline, so a hung server
//! fails the test instead of hanging it.

mod lsp_client;

use lsp_client::{frame, position, Server};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const URI: &str = "file:///work/flash.mesh";

#[test]
fn an_editing_session_over_stdio() {
    let fixed = std::fs::read_to_string(
        mesh_tests::root().join("examples/polygon_arbitrum_arbitrage.mesh"),
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
        contents.contains("100_000_000_000_000_000_000 base units"),
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

/// A frame that announces more than a message may hold ends the session at
/// once, with the reason on standard error and exit code 1: nothing of that
/// size is allocated, and nothing aborts.
#[test]
fn an_oversized_frame_is_refused_with_a_clean_exit() {
    for announced in ["99999999999", "18446744073709551616"] {
        let mut server = Server::start();
        let init = server.request("initialize", json!({ "capabilities": {} }));
        assert!(init["result"].is_object(), "{init}");
        server.write(format!("Content-Length: {announced}\r\n\r\n{{}}").as_bytes());
        let started = Instant::now();
        assert_eq!(server.wait(), Some(1), "{announced}");
        assert!(started.elapsed() < Duration::from_secs(10));
        let stderr = server.stderr();
        assert!(
            stderr.contains(&format!("a message announces {announced} bytes")),
            "{stderr}"
        );
        assert!(stderr.contains("more than"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        if announced == "99999999999" {
            // docs/lsp.md quotes this line as it is printed.
            let page = std::fs::read_to_string(mesh_tests::root().join("docs/lsp.md"))
                .unwrap_or_else(|e| panic!("docs/lsp.md: {e}"));
            let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
            let printed = stderr
                .lines()
                .find(|l| l.contains("announces"))
                .unwrap_or("");
            assert!(
                page.contains(&format!("(`{printed}`)")),
                "docs/lsp.md does not quote what meshc lsp prints: {printed}"
            );
        }
    }
}

/// A well-framed body that is not JSON-RPC is skipped with a line on
/// standard error; the session goes on.
#[test]
fn a_message_that_is_not_json_rpc_is_skipped() {
    let mut server = Server::start();
    server.write(b"Content-Length: 8\r\n\r\nnot json");
    let init = server.request("initialize", json!({ "capabilities": {} }));
    assert!(init["result"].is_object(), "{init}");
    server.shutdown();
}

/// Thirty edits written at once, then a hover: the hover reads the text the
/// edits made, the last diagnostics published are of the last version, and
/// the edits were not analysed one by one (fewer publications than edits).
#[test]
fn back_to_back_edits_are_answered_against_the_latest_text() {
    let mut text = String::from("bundle big on polygon {\n    input 1000000 USDC\n");
    for i in 0..2000 {
        text.push_str(&format!(
            "    let v{i} = withdraw 1 USDC from aave\n    deposit v{i} into aave\n"
        ));
    }
    text.push_str("    \n}\n");
    let last = text.lines().count() - 2;
    let mut server = Server::start();
    server.initialize(json!({}), Value::Null);
    let published = server.open(URI, &text);
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let typed = "let zz = withdraw 7 WETH from aave";
    let mut batch = String::new();
    for (i, version) in (2..32).enumerate() {
        let piece = if version < 31 {
            &typed[i..=i]
        } else {
            &typed[i..]
        };
        batch.push_str(&frame(&json!({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {
                "textDocument": { "uri": URI, "version": version },
                "contentChanges": [{ "range": {
                    "start": { "line": last, "character": 4 + i },
                    "end": { "line": last, "character": 4 + i } }, "text": piece }],
            },
        })));
    }
    let id = server.fresh_id();
    batch.push_str(&frame(&json!({
        "jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": { "textDocument": { "uri": URI },
                    "position": { "line": last, "character": 22 } },
    })));
    server.write(batch.as_bytes());
    let mut versions = Vec::new();
    let hover = loop {
        let message = server.receive("the hover");
        if message["id"] == json!(id) {
            break message;
        }
        if message["method"] == "textDocument/publishDiagnostics" {
            versions.push(message["params"]["version"].clone());
        }
    };
    let shown = hover["result"]["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("7 WETH"), "{hover}");
    assert_eq!(versions.last(), Some(&json!(31)), "{versions:?}");
    assert!(versions.len() < 30, "{versions:?}");
    server.shutdown();
}

/// A document is the same lines to the server whatever its line ends: `\n`,
/// `\r\n` or a lone `\r` (old Mac files), as the protocol and `meshc check`
/// read them. Its diagnostics, hover, folding and an edit past a line's end
/// land where they do in the `\n` copy.
#[test]
fn every_line_end_ends_a_line_for_the_server() {
    let lines = [
        "// a lone carriage return ends this comment",
        "bundle b on polygon {",
        "    input 1 WETHX",
        "    deposit 1 WETH into aave",
        "}",
        "",
    ];
    let mut server = Server::start();
    server.initialize(json!({}), Value::Null);
    let mut seen: Vec<(Value, Value, Value, Value)> = Vec::new();
    for (n, end) in ["\n", "\r\n", "\r"].into_iter().enumerate() {
        let uri = format!("file:///work/line_ends_{n}.mesh");
        let text = lines.join(end);
        let published = server.open(&uri, &text);
        let ranges: Vec<Value> = published["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|d| json!([d["code"], d["range"]]))
            .collect();
        let hover = server.result(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 3, "character": 14 } }),
        );
        let folding = server.result(
            "textDocument/foldingRange",
            json!({ "textDocument": { "uri": uri } }),
        );
        // Typing past the end of line 2 appends to that line, before its
        // line end: the unknown token becomes `WETHXY`.
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "range": {
                    "start": { "line": 2, "character": 99 },
                    "end": { "line": 2, "character": 99 } }, "text": "Y" }],
            }),
        );
        let edited = server.diagnostics();
        let messages: Vec<Value> = edited["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|d| json!([d["message"], d["range"]]))
            .collect();
        seen.push((
            json!(ranges),
            hover["contents"].clone(),
            folding,
            json!(messages),
        ));
    }
    let (ranges, hover, folding, edited) = &seen[0];
    assert_eq!(
        ranges,
        &json!([["E0102", { "start": { "line": 2, "character": 12 }, "end": { "line": 2, "character": 17 } }]])
    );
    assert!(
        hover.to_string().contains("an amount of **WETH**"),
        "{hover}"
    );
    assert_eq!(folding, &json!([{ "startLine": 1, "endLine": 3 }]));
    assert!(
        edited.to_string().contains("unknown token `WETHXY`"),
        "{edited}"
    );
    for (n, other) in seen.iter().enumerate().skip(1) {
        assert_eq!(other, &seen[0], "line ends #{n} read otherwise than `\\n`");
    }
    server.shutdown();
}
