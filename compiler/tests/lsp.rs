//! The language server over an in-memory connection: one client thread
//! talks to `meshc::lsp::serve_with` exactly as an editor would. The
//! protocol's rules (errors, shutdown), settings, the coalescing of queued
//! edits, the bounds on completion and random edits are tested here; the
//! features' answers are fixture files in `tests/lsp/`, run against the real
//! binary by `tests/tests/lsp_fixtures.rs`.

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use meshc::lsp::{serve_with, Config, ServeError};
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
        Client::with_config(Config::default())
    }

    /// A server with this configuration, not yet initialised.
    fn with_config(config: Config) -> Client {
        let (server, connection) = Connection::memory();
        let handle = std::thread::spawn(move || serve_with(&server, config));
        Client {
            connection,
            server: Some(handle),
            next_id: 0,
            notifications: Vec::new(),
        }
    }

    /// A server that starts only once `messages` are all queued for it.
    fn after(messages: Vec<Message>) -> Client {
        let (server, connection) = Connection::memory();
        for message in messages {
            if let Err(e) = connection.sender.send(message) {
                panic!("cannot queue a message: {e}");
            }
        }
        let handle = std::thread::spawn(move || serve_with(&server, Config::default()));
        Client {
            connection,
            server: Some(handle),
            next_id: 1000,
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

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

const FLASH: &str = "file:///work/polygon_arbitrum_arbitrage.mesh";

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

    // Back to the default registry: DAI is known, the document is clean.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "mesh": { "world": null } } }),
    );
    assert_eq!(codes(&client.diagnostics()), Vec::<String>::new());

    // At -O0 the flagship misses its deadline; at -O it does not.
    let text = example("polygon_arbitrum_arbitrage.mesh");
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
    assert!(message.contains("default registry"), "{message}");
    let mut after = vec![codes(&client.diagnostics()), codes(&client.diagnostics())];
    after.sort();
    assert_eq!(after, [Vec::<String>::new(), Vec::<String>::new()]);
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
            "polygon_arbitrum_arbitrage.mesh",
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
            for method in ["textDocument/documentSymbol", "textDocument/formatting", "textDocument/inlayHint",
                "textDocument/semanticTokens/full", "textDocument/foldingRange"] {
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

/// A single-bundle document of about `lines` lines: a value bound and
/// spent on every other line, and an empty line before the closing `}`.
fn large_bundle(lines: usize) -> String {
    let mut text = String::from("bundle big on polygon {\n    input 1000000 USDC\n");
    for i in 0..lines / 2 {
        text.push_str(&format!(
            "    let v{i} = withdraw 1 USDC from aave\n    deposit v{i} into aave\n"
        ));
    }
    text.push_str("    \n}\n");
    text
}

fn change(uri: &str, version: i32, line: usize, column: usize, text: &str) -> Message {
    Notification::new(
        "textDocument/didChange".to_string(),
        json!({
            "textDocument": { "uri": uri, "version": version },
            "contentChanges": [{
                "range": {
                    "start": { "line": line, "character": column },
                    "end": { "line": line, "character": column },
                },
                "text": text,
            }],
        }),
    )
    .into()
}

/// Edits queued behind one another are applied together and the document
/// is analysed once: one publication, of the last version, and the hover
/// queued after them reads the text they made.
#[test]
fn queued_edits_are_applied_together_and_analysed_once() {
    let uri = "file:///work/big.mesh";
    let text = large_bundle(2000);
    let last = text.lines().count() - 2;
    let mut queued: Vec<Message> = vec![
        Request::new(
            RequestId::from(1),
            "initialize".to_string(),
            json!({ "capabilities": {} }),
        )
        .into(),
        Notification::new("initialized".to_string(), json!({})).into(),
        Notification::new(
            "textDocument/didOpen".to_string(),
            json!({ "textDocument": {
                "uri": uri, "languageId": "mesh", "version": 1, "text": text } }),
        )
        .into(),
    ];
    // Thirty edits type `let zz = withdraw 7 WETH from aave` on the empty
    // line: a character at a time, the rest of it with the last.
    let typed = "let zz = withdraw 7 WETH from aave";
    for (i, version) in (2..32).enumerate() {
        let piece = if version < 31 {
            &typed[i..=i]
        } else {
            &typed[i..]
        };
        queued.push(change(uri, version, last, 4 + i, piece));
    }
    queued.push(
        Request::new(
            RequestId::from(2),
            "textDocument/hover".to_string(),
            json!({ "textDocument": { "uri": uri },
                    "position": { "line": last, "character": 22 } }),
        )
        .into(),
    );
    let client = Client::after(queued);
    let mut published = Vec::new();
    let hover = loop {
        match client.receive() {
            Message::Response(r) if r.id == RequestId::from(1) => {}
            Message::Response(r) => break r,
            Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                published.push(n.params["version"].clone());
            }
            Message::Notification(_) => {}
            Message::Request(r) => panic!("the server sent a request: {r:?}"),
        }
    };
    assert_eq!(published, [json!(31)], "one analysis, of the last version");
    let shown = match hover.response_result {
        Ok(value) => value["contents"]["value"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        Err(e) => panic!("hover failed: {e:?}"),
    };
    assert!(
        shown.contains("7 WETH"),
        "the hover reads the latest text: {shown}"
    );
    client.shutdown();
}

/// On a 20,000-line bundle completion stays bounded: at most the limit of
/// values, the list marked incomplete, and what is typed narrows it.
#[test]
fn completion_on_a_large_bundle_is_bounded() {
    let mut client = Client::start();
    let uri = "file:///work/big.mesh";
    let text = large_bundle(20_000);
    let last = text.lines().count() - 2;
    client.open(uri, &text);
    let items = |list: &Value| -> Vec<String> {
        list["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i["label"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let at_statement = client.result(
        "textDocument/completion",
        at(uri, json!({ "line": last, "character": 4 })),
    );
    assert_eq!(items(&at_statement).len(), 14, "{at_statement}");
    assert_eq!(at_statement["isIncomplete"], false);

    // `deposit ` on the last line of values: the most recent values first.
    let before_last = last - 1;
    let amount = client.result(
        "textDocument/completion",
        at(uri, json!({ "line": before_last, "character": 12 })),
    );
    let labels = items(&amount);
    assert_eq!(amount["isIncomplete"], true, "{labels:?}");
    assert_eq!(labels.len(), meshc::lsp::VALUE_LIMIT + 1, "{labels:?}");
    assert_eq!(labels.first().map(String::as_str), Some("v9999"));
    assert!(labels.iter().any(|l| l == "all"));

    // Typed `v12`: only the values that start with it.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{
                "range": { "start": { "line": last, "character": 4 },
                           "end": { "line": last, "character": 4 } },
                "text": "deposit v12",
            }],
        }),
    );
    client.diagnostics();
    let narrowed = client.result(
        "textDocument/completion",
        at(uri, json!({ "line": last, "character": 15 })),
    );
    let labels = items(&narrowed);
    assert!(
        labels.iter().all(|l| l.starts_with("v12") || l == "all"),
        "{labels:?}"
    );
    assert!(labels.iter().any(|l| l == "v12"), "{labels:?}");
    assert!(labels.len() <= meshc::lsp::VALUE_LIMIT + 1, "{labels:?}");
    client.shutdown();
}

/// Each diagnostic links its code to the code's page, written where the
/// configuration says; the page is what `meshc explain` prints.
#[test]
fn diagnostics_link_their_codes_to_the_pages() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut client = Client::with_config(Config {
        code_pages: Some(dir.path().join("codes")),
    });
    client.result("initialize", json!({ "capabilities": {} }));
    client.notify("initialized", json!({}));
    let published = client.open(
        "file:///work/typo.mesh",
        "bundle b on polygon {\n    let x = borrow 1 WETH from aavee\n}\n",
    );
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!diagnostics.is_empty(), "{published}");
    for d in &diagnostics {
        let code = d["code"].as_str().unwrap_or("");
        let href = d["codeDescription"]["href"].as_str().unwrap_or("");
        assert!(href.starts_with("file:///"), "{d}");
        assert!(href.ends_with(&format!("/codes/{code}.md")), "{d}");
        let page = std::fs::read_to_string(dir.path().join("codes").join(format!("{code}.md")))
            .unwrap_or_else(|e| panic!("{e}"));
        let explained = meshc::diagnostic::Code::parse(code).and_then(|c| c.explanation());
        assert_eq!(Some(page.as_str()), explained);
    }
    client.shutdown();
}

/// A space opens completion where the grammar expects a word (after `on `),
/// not after a statement that is finished on the same line.
#[test]
fn a_space_opens_completion_only_where_a_word_is_expected() {
    let mut client = Client::start();
    let uri = "file:///work/space.mesh";
    let text = "bundle b on polygon {\n    input 1 WETH \n    on \n}\n";
    client.open(uri, text);
    let by_space = |client: &mut Client, line: u32, character: u32| -> usize {
        let list = client.result(
            "textDocument/completion",
            json!({
                "textDocument": { "uri": uri },
                "position": { "line": line, "character": character },
                "context": { "triggerKind": 2, "triggerCharacter": " " },
            }),
        );
        list["items"].as_array().map_or(0, Vec::len)
    };
    assert_eq!(by_space(&mut client, 2, 7), 5, "after `on `: the chains");
    assert_eq!(
        by_space(&mut client, 1, 17),
        0,
        "after a finished statement"
    );
    // Asked for, the same place offers the statements.
    let asked = client.result(
        "textDocument/completion",
        json!({
            "textDocument": { "uri": uri },
            "position": { "line": 1, "character": 17 },
            "context": { "triggerKind": 1 },
        }),
    );
    assert_eq!(asked["items"].as_array().map_or(0, Vec::len), 14, "{asked}");
    client.shutdown();
}
