//! The language server over an in-memory connection: one client thread
//! talks to `meshc::lsp::serve` exactly as an editor would, and the answers
//! are compared with JSON snapshots.

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use meshc::lsp::{serve, ServeError};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Duration;

/// Long enough for a slow machine, short enough that a hung server fails
/// the test instead of hanging it.
const TIMEOUT: Duration = Duration::from_secs(20);

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), ServeError>>>,
    next_id: i32,
    /// Notifications received while waiting for something else.
    notifications: Vec<Notification>,
}

impl Client {
    /// A server that has been initialised.
    fn start() -> Client {
        Client::start_with(json!({ "capabilities": {} }))
    }

    /// A server initialised with these `initialize` parameters.
    fn start_with(params: Value) -> Client {
        let mut client = Client::unstarted();
        client.result("initialize", params);
        client.notify("initialized", json!({}));
        client
    }

    /// The next notification of `method` (received earlier or now).
    fn next(&mut self, method: &str) -> Value {
        if let Some(i) = self.notifications.iter().position(|n| n.method == method) {
            return self.notifications.remove(i).params;
        }
        loop {
            match self.receive() {
                Message::Notification(n) if n.method == method => return n.params,
                Message::Notification(n) => self.notifications.push(n),
                other => panic!("expected `{method}`, got {other:?}"),
            }
        }
    }

    fn unstarted() -> Client {
        let (server, connection) = Connection::memory();
        let handle = std::thread::spawn(move || serve(&server));
        Client {
            connection,
            server: Some(handle),
            next_id: 0,
            notifications: Vec::new(),
        }
    }

    fn receive(&self) -> Message {
        match self.connection.receiver.recv_timeout(TIMEOUT) {
            Ok(message) => message,
            Err(e) => panic!("the server did not answer within {TIMEOUT:?}: {e}"),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        if let Err(e) = self.connection.sender.send(request.into()) {
            panic!("the server has gone: {e}");
        }
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => return response,
                Message::Response(other) => panic!("an answer to another request: {other:?}"),
                Message::Notification(n) => self.notifications.push(n),
                Message::Request(r) => panic!("the server sent a request: {r:?}"),
            }
        }
    }

    /// The result of a request that must succeed.
    fn result(&mut self, method: &str, params: Value) -> Value {
        match self.request(method, params).response_result {
            Ok(result) => result,
            Err(error) => panic!("`{method}` failed: {error:?}"),
        }
    }

    fn notify(&self, method: &str, params: Value) {
        let notification = Notification::new(method.to_string(), params);
        if let Err(e) = self.connection.sender.send(notification.into()) {
            panic!("the server has gone: {e}");
        }
    }

    /// The next `textDocument/publishDiagnostics` parameters.
    fn diagnostics(&mut self) -> Value {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| n.method == "textDocument/publishDiagnostics")
        {
            return self.notifications.remove(i).params;
        }
        loop {
            match self.receive() {
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    return n.params
                }
                Message::Notification(n) => self.notifications.push(n),
                other => panic!("expected diagnostics, got {other:?}"),
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": {
                "uri": uri, "languageId": "mesh", "version": 1, "text": text
            }}),
        );
        self.diagnostics()
    }

    /// Shuts the server down properly and checks that it stopped cleanly.
    fn shutdown(mut self) {
        assert_eq!(self.result("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        let outcome = self.server.take().map(|h| h.join());
        match outcome {
            Some(Ok(Ok(()))) => {}
            other => panic!("the server did not stop cleanly: {other:?}"),
        }
    }
}

fn error_code(response: &Response) -> Option<i32> {
    response.response_result.as_ref().err().map(|e| e.code)
}

fn example(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(path);
    match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => panic!("cannot read {}: {e}", file.display()),
    }
}

/// The protocol position (line, UTF-16 column) of the `nth` occurrence of
/// `needle` in `text`, plus `delta` characters.
fn position(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let Some((offset, _)) = text.match_indices(needle).nth(nth) else {
        panic!("`{needle}` does not occur {} times", nth + 1);
    };
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[line_start..offset]
        .chars()
        .chain(needle.chars().take(delta))
        .map(char::len_utf16)
        .sum();
    json!({ "line": line, "character": column })
}

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

const FLASH: &str = "file:///work/polygon_arbitrum_flash_loan.mesh";

fn flash_loan_client() -> (Client, String) {
    let mut client = Client::start();
    let text = example("polygon_arbitrum_flash_loan.mesh");
    let diagnostics = client.open(FLASH, &text);
    assert_eq!(diagnostics["diagnostics"], json!([]), "{diagnostics}");
    (client, text)
}

#[test]
fn initialize_announces_the_capabilities() {
    let mut client = Client::unstarted();
    let mut result = client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    result["serverInfo"]["version"] = json!("[version]");
    insta::assert_json_snapshot!("initialize", result);
    client.shutdown();
}

#[test]
fn hover_on_an_amount_shows_its_value_and_the_holding() {
    let (mut client, text) = flash_loan_client();
    let hover = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "100 WETH", 0, 5)),
    );
    insta::assert_json_snapshot!("hover_amount", hover);
    let hover = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "190_000 USDC", 0, 2)),
    );
    insta::assert_json_snapshot!("hover_bounded_amount", hover);
    client.shutdown();
}

#[test]
fn hover_on_a_keyword_shows_its_doc_and_the_statement() {
    let (mut client, text) = flash_loan_client();
    let hover = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "= swap", 0, 3)),
    );
    insta::assert_json_snapshot!("hover_keyword", hover);
    client.shutdown();
}

#[test]
fn hover_on_names_reads_the_registry() {
    let (mut client, text) = flash_loan_client();
    let chain = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "arbitrum {", 0, 3)),
    );
    insta::assert_json_snapshot!("hover_chain", chain);
    let protocol = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "aave", 0, 1)),
    );
    insta::assert_json_snapshot!("hover_protocol", protocol);
    let invariant = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "constant_product", 0, 1)),
    );
    insta::assert_json_snapshot!("hover_invariant", invariant);
    let comment = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "borrow", 0, 1)),
    );
    assert_eq!(comment, Value::Null, "the first `borrow` is in a comment");
    client.shutdown();
}

#[test]
fn completion_offers_what_fits_the_cursor() {
    let mut client = Client::start();
    let uri = "file:///work/draft.mesh";
    let text = "bundle draft on polygon {\n    let loan = borrow 100 WETH from aave\n    let there = bridge loan to arbitrum\n    on arbitrum {\n        \n    }\n    repay 100 WETH to \n}\n";
    client.open(uri, text);
    let labels = |items: &Value| -> Vec<String> {
        items
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["label"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    // After `to` in a repay: the lenders, nothing else.
    let after_to = client.result(
        "textDocument/completion",
        at(uri, position(text, "to \n", 0, 3)),
    );
    insta::assert_json_snapshot!("completion_after_to", after_to);
    // Inside the `on` block: keywords, the values bound so far, names.
    let inside = client.result(
        "textDocument/completion",
        at(uri, position(text, "        \n", 0, 8)),
    );
    let inside = labels(&inside);
    for expected in [
        "loan",
        "there",
        "swap",
        "parallel",
        "USDC",
        "base",
        "sushiswap",
    ] {
        assert!(
            inside.iter().any(|l| l == expected),
            "{expected} missing: {inside:?}"
        );
    }
    // Before `let there`, only `loan` is bound.
    let early = client.result(
        "textDocument/completion",
        at(uri, position(text, "    let there", 0, 4)),
    );
    let early = labels(&early);
    assert!(early.iter().any(|l| l == "loan"), "{early:?}");
    assert!(!early.iter().any(|l| l == "there"), "{early:?}");
    client.shutdown();
}

#[test]
fn document_symbols_outline_bundles_values_and_constraints() {
    let mut client = Client::start();
    let uri = "file:///work/custom_token.mesh";
    let text = example("custom_token.mesh");
    client.open(uri, &text);
    let symbols = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    insta::assert_json_snapshot!("document_symbols", symbols);
    client.shutdown();
}

/// While a bundle is being typed its closing `}` is missing: the document
/// still has an outline and hovers for what is written, and the one
/// diagnostic is the missing `}`, not knock-on errors of the unfinished
/// bundle (its loan is not repaid yet).
#[test]
fn a_bundle_being_typed_keeps_its_outline_and_hovers() {
    let mut client = Client::start();
    let uri = "file:///work/typing.mesh";
    let text = "bundle typing on polygon {\n    let loan = borrow 100 WETH from aave\n    let usdc = swap loan for 190_000 USDC on uniswap_v2\n";
    let diagnostics = client.open(uri, text);
    let codes: Vec<&Value> = diagnostics["diagnostics"]
        .as_array()
        .map(|d| d.iter().map(|d| &d["code"]).collect())
        .unwrap_or_default();
    assert_eq!(codes, [&json!("E0002")], "{diagnostics}");
    let symbols = client.result(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(symbols[0]["name"], "typing", "{symbols}");
    let values: Vec<&Value> = symbols[0]["children"]
        .as_array()
        .map(|c| c.iter().map(|c| &c["name"]).collect())
        .unwrap_or_default();
    assert_eq!(values, [&json!("loan"), &json!("usdc")], "{symbols}");
    let hover = client.result(
        "textDocument/hover",
        at(uri, position(text, "190_000 USDC", 0, 2)),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("190000 USDC"), "{hover}");
    client.shutdown();
}

/// The codes of a `publishDiagnostics`.
fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["diagnostics"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|d| d["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A world file naming only polygon, USDC, WETH and uniswap_v2.
const SMALL_WORLD: &str = "format = 1\n\n[chains]\npolygon = { chain_id = 137 }\n\n[tokens]\nUSDC = { decimals = 6, chains = [\"polygon\"] }\nWETH = { decimals = 18, chains = [\"polygon\"] }\n\n[protocols]\nuniswap_v2 = { kind = \"exchange\", chains = [\"polygon\"], fee_bps = 30 }\n";

/// The client's settings choose the registry (a world file, relative to the
/// workspace) and the level; changing them judges open documents again;
/// settings that cannot be used are shown, and the defaults stand.
#[test]
fn settings_choose_the_world_and_the_level() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("small.toml"), SMALL_WORLD).unwrap_or_else(|e| panic!("{e}"));
    let root = format!("file://{}", dir.path().display());
    let mut client = Client::start_with(json!({
        "capabilities": {},
        "rootUri": root,
        "initializationOptions": { "world": "small.toml" },
    }));
    let uri = "file:///work/dai.mesh";
    let text =
        "bundle b on polygon {\n    input 10 DAI\n    swap 10 DAI for 1 USDC on uniswap_v2\n}\n";
    let against_small = client.open(uri, text);
    assert!(!codes(&against_small).is_empty(), "{against_small}");
    assert!(against_small.to_string().contains("DAI"), "{against_small}");

    // Back to the built-in registry: DAI is known, the document is clean.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mesh": { "world": null } } }),
    );
    assert_eq!(codes(&client.diagnostics()), Vec::<String>::new());

    // At -O0 the flagship misses its deadline; at -O it does not.
    let text = example("polygon_arbitrum_flash_loan.mesh");
    assert_eq!(codes(&client.open(FLASH, &text)), Vec::<String>::new());
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mesh": { "optimisation": "-O0" } } }),
    );
    let mut seen = Vec::new();
    for _ in 0..2 {
        let d = client.diagnostics();
        seen.push((d["uri"].as_str().unwrap_or_default().to_string(), codes(&d)));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            ("file:///work/dai.mesh".to_string(), vec![]),
            (FLASH.to_string(), vec!["E0801".to_string()]),
        ]
    );

    // Settings that cannot be used are shown; the defaults stand.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mesh": { "world": "/nonexistent/world.toml" } } }),
    );
    let shown = client.next("window/showMessage");
    let message = shown["message"].as_str().unwrap_or_default();
    assert!(message.contains("/nonexistent/world.toml"), "{message}");
    assert!(message.contains("built-in registry"), "{message}");
    let mut after = vec![codes(&client.diagnostics()), codes(&client.diagnostics())];
    after.sort();
    assert_eq!(after, [Vec::<String>::new(), Vec::<String>::new()]);
    client.shutdown();
}

/// The lines and columns of a list of locations or text edits.
fn ranges(items: &Value) -> Vec<(u64, u64, u64)> {
    items
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| {
                    let r = &i["range"];
                    (
                        r["start"]["line"].as_u64().unwrap_or(99),
                        r["start"]["character"].as_u64().unwrap_or(99),
                        r["end"]["character"].as_u64().unwrap_or(99),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// After each `let` name, what the checker guarantees it holds: exact for a
/// borrow and for what a bridge delivers (the amount less the route's fee),
/// a lower bound for a swap (its slippage bound).
#[test]
fn inlay_hints_show_what_each_value_is_guaranteed_to_hold() {
    let (mut client, text) = flash_loan_client();
    let hints = client.result(
        "textDocument/inlayHint",
        json!({
            "textDocument": { "uri": FLASH },
            "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } },
        }),
    );
    let labels: Vec<&str> = hints
        .as_array()
        .map(|h| h.iter().filter_map(|h| h["label"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        labels,
        [
            "= 100 WETH",
            "= 99.95 WETH",
            "≥ 190000 USDC",
            "≥ 100.2 WETH"
        ],
        "{hints}"
    );
    // Each sits right after its name.
    assert_eq!(
        hints[0]["position"],
        position(&text, "loan =", 0, 4),
        "{hints}"
    );
    // Hovering the name says the same.
    let hover = client.result(
        "textDocument/hover",
        at(FLASH, position(&text, "let usdc", 0, 5)),
    );
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("at least 190000 USDC"), "{hover}");
    client.shutdown();
}

#[test]
fn signature_help_marks_the_part_of_the_action_being_written() {
    let mut client = Client::start();
    let uri = "file:///work/writing.mesh";
    let text = "bundle w on polygon {\n    input 10 USDC\n    let weth = swap 10 USDC for \n}\n";
    client.open(uri, text);
    let help = client.result(
        "textDocument/signatureHelp",
        at(uri, position(text, "for \n", 0, 4)),
    );
    let signature = &help["signatures"][0];
    assert_eq!(
        signature["label"], "swap AMOUNT for MIN TOKEN on EXCHANGE",
        "{help}"
    );
    assert_eq!(help["activeParameter"], 1, "{help}");
    // [start, end) of each part in the label, in characters.
    assert_eq!(
        signature["parameters"][1]["label"],
        json!([16, 25]),
        "{help}"
    );
    let outside = client.result(
        "textDocument/signatureHelp",
        at(uri, position(text, "bundle", 0, 3)),
    );
    assert_eq!(outside, Value::Null);
    client.shutdown();
}

#[test]
fn references_and_rename_follow_a_value_through_its_bundle() {
    let (mut client, text) = flash_loan_client();
    // `usdc` is bound on line 8 and read on line 9.
    let references = client.result(
        "textDocument/references",
        json!({
            "textDocument": { "uri": FLASH },
            "position": position(&text, "usdc for", 0, 1),
            "context": { "includeDeclaration": true },
        }),
    );
    let found = ranges(&references);
    assert_eq!(found.len(), 2, "{references}");
    let without = client.result(
        "textDocument/references",
        json!({
            "textDocument": { "uri": FLASH },
            "position": position(&text, "let usdc", 0, 5),
            "context": { "includeDeclaration": false },
        }),
    );
    assert_eq!(ranges(&without), found[1..], "{without}");

    let highlights = client.result(
        "textDocument/documentHighlight",
        at(FLASH, position(&text, "usdc for", 0, 1)),
    );
    assert_eq!(ranges(&highlights), found, "{highlights}");
    let kinds: Vec<&Value> = highlights
        .as_array()
        .map(|h| h.iter().map(|h| &h["kind"]).collect())
        .unwrap_or_default();
    // 3 is "write" (the `let`), 2 "read" (a use).
    assert_eq!(kinds, [&json!(3), &json!(2)], "{highlights}");

    let prepared = client.result(
        "textDocument/prepareRename",
        at(FLASH, position(&text, "let usdc", 0, 5)),
    );
    assert_eq!(prepared["placeholder"], "usdc", "{prepared}");
    let edit = client.result(
        "textDocument/rename",
        json!({
            "textDocument": { "uri": FLASH },
            "position": position(&text, "usdc for", 0, 2),
            "newName": "proceeds",
        }),
    );
    let edits = &edit["changes"][FLASH];
    assert_eq!(ranges(edits), found, "{edit}");
    assert!(
        edits
            .as_array()
            .is_some_and(|e| e.iter().all(|e| e["newText"] == "proceeds")),
        "{edit}"
    );

    // Refused, with the reason: a name that is taken, a keyword, a token.
    for (new_name, why) in [
        ("weth", "already bound"),
        ("swap", "not a name"),
        ("USDC", "not a name"),
    ] {
        let answer = client.request(
            "textDocument/rename",
            json!({
                "textDocument": { "uri": FLASH },
                "position": position(&text, "let usdc", 0, 5),
                "newName": new_name,
            }),
        );
        let error = match answer.response_result {
            Err(error) => error,
            Ok(edit) => panic!("{new_name}: renamed: {edit}"),
        };
        assert!(error.message.contains(why), "{new_name}: {}", error.message);
    }
    let on_a_token = client.request(
        "textDocument/prepareRename",
        at(FLASH, position(&text, "100 WETH", 0, 5)),
    );
    assert!(on_a_token.response_result.is_err(), "{on_a_token:?}");
    client.shutdown();
}

/// A misspelt name and a keyword in the wrong case each get a quick fix
/// that replaces them; a diagnostic without one offers nothing.
#[test]
fn quick_fixes_replace_what_the_hint_names() {
    let mut client = Client::start();
    let uri = "file:///work/typos.mesh";
    let text = "bundle b on polygon {\n    let loan = borrow 1 WETH from aavee\n    repay lon to aave\n}\n";
    client.open(uri, text);
    let action = |client: &mut Client, needle: &str| {
        let at = position(text, needle, 0, 1);
        client.result(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri },
                "range": { "start": at, "end": at },
                "context": { "diagnostics": [] },
            }),
        )
    };
    let protocol = action(&mut client, "aavee");
    assert_eq!(
        protocol[0]["title"], "Replace `aavee` with `aave`",
        "{protocol}"
    );
    assert_eq!(protocol[0]["kind"], "quickfix");
    assert_eq!(protocol[0]["isPreferred"], true);
    let edit = &protocol[0]["edit"]["changes"][uri][0];
    assert_eq!(edit["newText"], "aave", "{protocol}");
    assert_eq!(
        edit["range"]["start"],
        json!({ "line": 1, "character": 34 })
    );
    assert_eq!(edit["range"]["end"], json!({ "line": 1, "character": 39 }));
    assert_eq!(protocol[0]["diagnostics"][0]["code"], "E0103");

    let value = action(&mut client, "lon to");
    assert_eq!(value[0]["title"], "Replace `lon` with `loan`", "{value}");

    // Nothing to fix on a clean line.
    let none = action(&mut client, "bundle");
    assert_eq!(none, json!([]));

    let keyword = "bundle b on polygon {\n    Input 1 WETH\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "text": keyword }],
        }),
    );
    client.diagnostics();
    let at = position(keyword, "Input", 0, 2);
    let case = client.result(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": { "start": at, "end": at },
            "context": { "diagnostics": [] },
        }),
    );
    assert_eq!(case[0]["title"], "Replace `Input` with `input`", "{case}");
    client.shutdown();
}

#[test]
fn diagnostics_carry_codes_hints_and_related_information() {
    let mut client = Client::start();
    let uri = "file:///work/seed_flash_loan_as_written.mesh";
    let diagnostics = client.open(uri, &example("rejected/seed_flash_loan_as_written.mesh"));
    let related = diagnostics["diagnostics"]
        .as_array()
        .is_some_and(|d| d.iter().any(|d| d["relatedInformation"].is_array()));
    assert!(related, "{diagnostics}");
    insta::assert_json_snapshot!("diagnostics_overdraft", diagnostics);
    client.shutdown();
}

#[test]
fn definition_jumps_to_the_let_and_to_the_token_declaration() {
    let (mut client, text) = flash_loan_client();
    let definition = client.result(
        "textDocument/definition",
        at(FLASH, position(&text, "bridge loan", 0, 8)),
    );
    assert_eq!(
        definition,
        json!({ "uri": FLASH, "range": {
            "start": position(&text, "loan =", 0, 0),
            "end": position(&text, "loan =", 0, 4),
        }}),
    );
    client.shutdown();

    let mut client = Client::start();
    let uri = "file:///work/custom_token.mesh";
    let text = example("custom_token.mesh");
    client.open(uri, &text);
    let definition = client.result(
        "textDocument/definition",
        at(uri, position(&text, "PEPE\n", 0, 1)),
    );
    assert_eq!(
        definition["range"]["start"],
        position(&text, "PEPE decimals", 0, 0),
        "{definition}"
    );
    client.shutdown();
}

#[test]
fn formatting_a_broken_document_makes_no_edits_and_no_error() {
    let mut client = Client::start();
    let uri = "file:///work/broken.mesh";
    let diagnostics = client.open(
        uri,
        "bundle broken on polygon {\n    borrow 100 WETH from\n",
    );
    assert_ne!(diagnostics["diagnostics"], json!([]));
    let edits = client.result(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    assert_eq!(edits, json!([]));
    client.shutdown();
}

#[test]
fn formatting_replaces_the_whole_document() {
    let mut client = Client::start();
    let uri = "file:///work/messy.mesh";
    let text = "bundle   messy on polygon {\n  input 1 WETH\n}\n";
    client.open(uri, text);
    let edits = client.result(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    insta::assert_json_snapshot!("formatting", edits);
    client.shutdown();
}

#[test]
fn protocol_errors_are_answered_not_fatal() {
    let mut client = Client::unstarted();
    let early = client.request(
        "textDocument/hover",
        at(FLASH, json!({"line": 0, "character": 0})),
    );
    assert_eq!(error_code(&early), Some(-32002));
    client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    let unknown = client.request("mesh/unknown", json!({}));
    assert_eq!(error_code(&unknown), Some(-32601));
    let invalid = client.request("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(error_code(&invalid), Some(-32602));
    let again = client.request("initialize", json!({ "capabilities": {} }));
    assert_eq!(error_code(&again), Some(-32600));
    // A change to a document that is not open is logged and ignored.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": FLASH, "version": 2 }, "contentChanges": [] }),
    );
    let hover = client.result(
        "textDocument/hover",
        at(FLASH, json!({"line": 0, "character": 0})),
    );
    assert_eq!(hover, Value::Null);
    client.shutdown();
}

#[test]
fn exit_without_shutdown_is_an_error() {
    let client = Client::start();
    client.notify("exit", Value::Null);
    let mut client = client;
    let outcome = client.server.take().map(|h| h.join());
    assert!(
        matches!(outcome, Some(Ok(Err(ServeError::ExitWithoutShutdown)))),
        "{outcome:?}"
    );
}

#[test]
fn requests_after_shutdown_are_refused() {
    let mut client = Client::start();
    assert_eq!(client.result("shutdown", Value::Null), Value::Null);
    let late = client.request(
        "textDocument/hover",
        at(FLASH, json!({"line": 0, "character": 0})),
    );
    assert_eq!(error_code(&late), Some(-32600));
    client.notify("exit", Value::Null);
    let outcome = client.server.take().map(|h| h.join());
    assert!(matches!(outcome, Some(Ok(Ok(())))), "{outcome:?}");
}

/// An edit in protocol terms: a range (possibly past line ends, possibly
/// reversed) and the text to put there.
fn edit_strategy() -> impl Strategy<Value = (u32, u32, u32, u32, String)> {
    let text = prop::sample::select(vec![
        "",
        "x",
        " ",
        "\n",
        "{",
        "}",
        "é",
        "😀",
        "let a = ",
        "borrow 1 WETH from aave\n",
        "swap",
        "on arbitrum {",
        "parallel { } and { }",
        "100 USDC",
        "all ",
        "/*",
        "*/",
        "// note\n",
        "1_000.5",
        "0x",
        "Weth",
        "(",
        "+ 2",
        "* 3",
        "\r\n",
    ])
    .prop_map(str::to_string);
    (0u32..25, 0u32..50, 0u32..25, 0u32..50, text)
}

fn random_position(seed: u32) -> Value {
    json!({ "line": seed % 23, "character": (seed / 23) % 45 })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn random_edits_never_crash_the_server_and_every_request_is_answered(
        file in prop::sample::select(vec![
            "polygon_arbitrum_flash_loan.mesh",
            "parallel_rebalance.mesh",
            "leveraged_deposit.mesh",
            "custom_token.mesh",
            "rejected/seed_flash_loan_as_written.mesh",
        ]),
        edits in prop::collection::vec(edit_strategy(), 1..12),
        probes in prop::collection::vec(0u32..2000, 6),
    ) {
        let mut client = Client::start();
        let uri = "file:///work/random.mesh";
        client.open(uri, &example(file));
        for (version, (l1, c1, l2, c2, text)) in (2..).zip(edits) {
            client.notify("textDocument/didChange", json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{
                    "range": {
                        "start": { "line": l1, "character": c1 },
                        "end": { "line": l2, "character": c2 },
                    },
                    "text": text,
                }],
            }));
            let published = client.diagnostics();
            prop_assert_eq!(&published["version"], &json!(version));
            for (i, &probe) in probes.iter().enumerate() {
                let method = ["textDocument/hover", "textDocument/completion",
                    "textDocument/definition", "textDocument/signatureHelp",
                    "textDocument/documentHighlight", "textDocument/prepareRename"][i % 6];
                let response = client.request(method, at(uri, random_position(probe)));
                // prepareRename refuses, with a reason, where no value is.
                let refused = method == "textDocument/prepareRename"
                    && matches!(&response.response_result, Err(e) if e.code == -32803);
                prop_assert!(refused || response.response_result.is_ok(), "{} failed: {:?}", method, response);
                let position = random_position(probe);
                let references = client.request("textDocument/references", json!({
                    "textDocument": { "uri": uri },
                    "position": position,
                    "context": { "includeDeclaration": true },
                }));
                prop_assert!(references.response_result.is_ok(), "references failed: {:?}", references);
                let actions = client.request("textDocument/codeAction", json!({
                    "textDocument": { "uri": uri },
                    "range": { "start": position, "end": position },
                    "context": { "diagnostics": [] },
                }));
                prop_assert!(actions.response_result.is_ok(), "codeAction failed: {:?}", actions);
            }
            for method in ["textDocument/documentSymbol", "textDocument/formatting", "textDocument/inlayHint"] {
                let response = client.request(method, json!({
                    "textDocument": { "uri": uri },
                    "options": { "tabSize": 4, "insertSpaces": true },
                    "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 999, "character": 0 } },
                }));
                prop_assert!(response.response_result.is_ok(), "{} failed: {:?}", method, response);
            }
        }
        client.shutdown();
    }
}
