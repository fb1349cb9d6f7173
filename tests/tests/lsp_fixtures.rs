//! Language-server cases as fixture files: each `tests/lsp/*.mesh` is a Mesh
//! source with cursor markers (`$1`, `$2`, ... one digit each) and, in its first lines, the
//! requests to make (`// lsp: hover $1`). The real `meshc lsp` binary opens
//! the source (markers removed) over standard input and output, answers
//! every request, and one snapshot per file shows the source beside what
//! came back: diagnostics first, then each request and its answer, in a
//! form meant to be read (edits applied to the text, semantic tokens
//! decoded). tests/lsp/README.md lists the requests a fixture may make.

mod lsp_client;

use lsp_client::Server;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A fixture, read.
struct Fixture {
    /// The file as written, markers and all.
    written: String,
    /// What the server is given: the markers removed.
    text: String,
    /// Where each marker was, as a byte offset into `text`.
    markers: HashMap<String, usize>,
    /// The `// lsp:` lines, in order, without their prefix.
    requests: Vec<String>,
}

const PREFIX: &str = "// lsp:";

fn read_fixture(path: &Path) -> Fixture {
    let written = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut requests = Vec::new();
    let mut text = String::new();
    let mut markers = HashMap::new();
    let mut in_header = true;
    for line in written.split_inclusive('\n') {
        if in_header {
            if let Some(request) = line.trim_end().strip_prefix(PREFIX) {
                requests.push(request.trim().to_string());
                text.push_str(line);
                continue;
            }
            in_header = false;
        }
        // `$` and one digit mark a place and are removed (`$` never occurs
        // in Mesh; one digit, so that a marker may stand before a number).
        let mut rest = line;
        while let Some(at) = rest.find('$') {
            text.push_str(&rest[..at]);
            let digit = rest[at + 1..].chars().next().filter(char::is_ascii_digit);
            let Some(digit) = digit else {
                panic!("{}: `$` without a digit", path.display());
            };
            let name = format!("${digit}");
            if markers.insert(name.clone(), text.len()).is_some() {
                panic!("{}: {name} marks two places", path.display());
            }
            rest = &rest[at + 2..];
        }
        text.push_str(rest);
    }
    Fixture {
        written,
        text,
        markers,
        requests,
    }
}

/// 0-based line and UTF-16 column of a byte offset.
fn lsp_position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let column: usize = text[start..offset].chars().map(char::len_utf16).sum();
    json!({ "line": line, "character": column })
}

/// The byte offset of a protocol position.
fn offset_of(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap_or(0) as usize;
    let column = position["character"].as_u64().unwrap_or(0) as usize;
    let start = text
        .split_inclusive('\n')
        .take(line)
        .map(str::len)
        .sum::<usize>();
    let mut units = 0;
    for (i, c) in text[start.min(text.len())..].char_indices() {
        if units >= column || c == '\n' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// `line:column`, both from 1, as `meshc check` prints places.
fn place(position: &Value) -> String {
    format!(
        "{}:{}",
        position["line"].as_u64().unwrap_or(0) + 1,
        position["character"].as_u64().unwrap_or(0) + 1
    )
}

/// A range as `l:c-l:c` with the text it covers.
fn span(text: &str, range: &Value) -> String {
    let start = offset_of(text, &range["start"]);
    let end = offset_of(text, &range["end"]);
    let covered = text.get(start..end).unwrap_or("?");
    format!(
        "{}-{} `{}`",
        place(&range["start"]),
        place(&range["end"]),
        covered.replace('\n', "\\n")
    )
}

/// `text` with `edits` (protocol text edits) applied.
fn apply(text: &str, edits: &Value) -> String {
    let mut edits: Vec<(usize, usize, String)> = edits
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                offset_of(text, &e["range"]["start"]),
                offset_of(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        out.replace_range(start..end, &new);
    }
    out
}

/// The lines of `after` that differ from `before`, numbered; the whole text
/// when the number of lines changed.
fn changed_lines(before: &str, after: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let mut out = String::new();
    if old.len() == new.len() {
        for (i, (a, b)) in old.iter().zip(&new).enumerate() {
            if a != b {
                let _ = writeln!(out, "  {:>3} | {b}", i + 1);
            }
        }
    } else {
        for (i, line) in new.iter().enumerate() {
            let _ = writeln!(out, "  {:>3} | {line}", i + 1);
        }
    }
    if out.is_empty() {
        out.push_str("  (no change)\n");
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

fn render_diagnostics(text: &str, published: &Value) -> String {
    let mut out = String::new();
    let diagnostics = published["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if diagnostics.is_empty() {
        out.push_str("  (none)\n");
    }
    for d in diagnostics {
        let severity = match d["severity"].as_u64() {
            Some(1) => "error",
            Some(2) => "warning",
            _ => "?",
        };
        let _ = writeln!(
            out,
            "  {} {severity} {}",
            span(text, &d["range"]),
            d["code"].as_str().unwrap_or("")
        );
        out.push_str(&indent(&indent(d["message"].as_str().unwrap_or(""))));
        for related in d["relatedInformation"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "    related {}: {}",
                span(text, &related["location"]["range"]),
                related["message"].as_str().unwrap_or("")
            );
        }
        if let Some(href) = d["codeDescription"]["href"].as_str() {
            let page = href.rsplit('/').next().unwrap_or(href);
            let _ = writeln!(out, "    page: {page}");
        }
        if d["tags"] == json!([1]) {
            out.push_str("    tagged: unnecessary\n");
        }
    }
    out
}

fn render_completion(result: &Value) -> String {
    let items = result["items"].as_array().cloned().unwrap_or_default();
    let mut items: Vec<&Value> = items.iter().collect();
    items.sort_by_key(|i| i["sortText"].as_str().unwrap_or("").to_string());
    let mut out = format!(
        "  {} items{}\n",
        items.len(),
        if result["isIncomplete"] == true {
            ", incomplete"
        } else {
            ""
        }
    );
    for item in items {
        let kind = match item["kind"].as_u64() {
            Some(6) => "value",
            Some(7) => "class",
            Some(9) => "module",
            Some(14) => "keyword",
            Some(20) => "enum-member",
            Some(21) => "constant",
            _ => "?",
        };
        let _ = write!(
            out,
            "  {:<18} {kind:<11} {}",
            item["label"].as_str().unwrap_or(""),
            item["detail"].as_str().unwrap_or("")
        );
        if item["insertTextFormat"] == 2 {
            let _ = write!(
                out,
                "   snippet: {}",
                item["insertText"]
                    .as_str()
                    .unwrap_or("")
                    .replace('\n', "\\n")
                    .replace('\t', "\\t")
            );
        }
        out.push('\n');
    }
    out
}

fn render_semantic_tokens(text: &str, result: &Value, legend: &Value) -> String {
    let data: Vec<u64> = result["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let types: Vec<&str> = legend["tokenTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let modifiers: Vec<&str> = legend["tokenModifiers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let (mut line, mut column) = (0u64, 0u64);
    let mut out = String::new();
    for token in data.chunks(5) {
        let [delta_line, delta_start, length, kind, bits] = token else {
            out.push_str("  (a token of fewer than five numbers)\n");
            break;
        };
        if *delta_line > 0 {
            line += delta_line;
            column = *delta_start;
        } else {
            column += delta_start;
        }
        let start = offset_of(text, &json!({ "line": line, "character": column }));
        let end = offset_of(text, &json!({ "line": line, "character": column + length }));
        let names: Vec<&str> = (0..modifiers.len())
            .filter(|i| bits & (1 << i) != 0)
            .map(|i| modifiers[i])
            .collect();
        let _ = writeln!(
            out,
            "  {}:{} {:<22} {}{}",
            line + 1,
            column + 1,
            format!("`{}`", text.get(start..end).unwrap_or("?")),
            types.get(*kind as usize).unwrap_or(&"?"),
            if names.is_empty() {
                String::new()
            } else {
                format!(" [{}]", names.join(", "))
            }
        );
    }
    out
}

fn render_symbols(text: &str, symbols: &Value, depth: usize, out: &mut String) {
    for symbol in symbols.as_array().into_iter().flatten() {
        let kind = match symbol["kind"].as_u64() {
            Some(7) => "property",
            Some(12) => "function",
            Some(13) => "variable",
            Some(14) => "constant",
            _ => "?",
        };
        let _ = writeln!(
            out,
            "  {}{} ({kind}) {} at {}",
            "  ".repeat(depth),
            symbol["name"].as_str().unwrap_or(""),
            symbol["detail"].as_str().unwrap_or(""),
            span(text, &symbol["selectionRange"])
        );
        render_symbols(text, &symbol["children"], depth + 1, out);
    }
}

fn locations(text: &str, result: &Value) -> String {
    let list = match result {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    if list.is_empty() {
        return "  (none)\n".to_string();
    }
    list.iter()
        .map(|l| {
            let kind = match l["kind"].as_u64() {
                Some(2) => " (read)",
                Some(3) => " (write)",
                _ => "",
            };
            format!("  {}{kind}\n", span(text, &l["range"]))
        })
        .collect()
}

/// Runs one fixture and renders the session.
fn run_fixture(path: &Path) -> String {
    let fixture = read_fixture(path);
    let text = &fixture.text;
    let uri = format!(
        "file:///fixtures/{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("f.mesh")
    );
    let mut options = Value::Null;
    let mut snippets = false;
    for request in &fixture.requests {
        if let Some(settings) = request.strip_prefix("settings ") {
            options = serde_json::from_str(settings)
                .unwrap_or_else(|e| panic!("{}: bad settings: {e}", path.display()));
        }
        if request == "snippets" {
            snippets = true;
        }
    }
    let mut server = Server::start();
    let init = server.initialize(
        json!({ "textDocument": { "completion": { "completionItem": { "snippetSupport": snippets } } } }),
        options,
    );
    let legend = init["capabilities"]["semanticTokensProvider"]["legend"].clone();
    let mut out = format!("== source\n{}", indent(&fixture.written));
    let published = server.open(&uri, text);
    out.push_str("== diagnostics\n");
    out.push_str(&render_diagnostics(text, &published));
    let document = json!({ "uri": uri });
    for request in &fixture.requests {
        let mut words = request.split_whitespace();
        let method = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        if matches!(method, "settings" | "snippets") {
            continue;
        }
        let marker = |name: &str| -> usize {
            *fixture
                .markers
                .get(name)
                .unwrap_or_else(|| panic!("{}: no marker {name}", path.display()))
        };
        let at = |i: usize| -> Value {
            let name = args.get(i).copied().unwrap_or("$?");
            lsp_position(text, marker(name))
        };
        let _ = writeln!(out, "== {request}");
        let whole = json!({ "start": { "line": 0, "character": 0 },
                            "end": lsp_position(text, text.len()) });
        let rendered = match method {
            "hover" => {
                let hover = server.result(
                    "textDocument/hover",
                    json!({ "textDocument": document, "position": at(0) }),
                );
                if hover.is_null() {
                    "  (nothing)\n".to_string()
                } else {
                    format!(
                        "  on {}\n{}",
                        span(text, &hover["range"]),
                        indent(hover["contents"]["value"].as_str().unwrap_or(""))
                    )
                }
            }
            "completion" => render_completion(&server.result(
                "textDocument/completion",
                json!({ "textDocument": document, "position": at(0) }),
            )),
            "definition" => locations(
                text,
                &server.result(
                    "textDocument/definition",
                    json!({ "textDocument": document, "position": at(0) }),
                ),
            ),
            "references" => locations(
                text,
                &server.result(
                    "textDocument/references",
                    json!({ "textDocument": document, "position": at(0),
                            "context": { "includeDeclaration": true } }),
                ),
            ),
            "highlight" => locations(
                text,
                &server.result(
                    "textDocument/documentHighlight",
                    json!({ "textDocument": document, "position": at(0) }),
                ),
            ),
            "prepareRename" | "rename" => {
                let mut params = json!({ "textDocument": document, "position": at(0) });
                let lsp_method = if method == "rename" {
                    params["newName"] = json!(args.get(1).copied().unwrap_or(""));
                    "textDocument/rename"
                } else {
                    "textDocument/prepareRename"
                };
                let response = server.request(lsp_method, params);
                if !response["error"].is_null() {
                    format!(
                        "  refused: {}\n",
                        response["error"]["message"].as_str().unwrap_or("")
                    )
                } else if method == "rename" {
                    changed_lines(text, &apply(text, &response["result"]["changes"][&uri]))
                } else {
                    format!(
                        "  {} placeholder `{}`\n",
                        span(text, &response["result"]["range"]),
                        response["result"]["placeholder"].as_str().unwrap_or("")
                    )
                }
            }
            "codeAction" => {
                let start = at(0);
                let end = args.get(1).map_or(start.clone(), |_| at(1));
                let actions = server.result(
                    "textDocument/codeAction",
                    json!({ "textDocument": document, "range": { "start": start, "end": end },
                            "context": { "diagnostics": [] } }),
                );
                let mut out = String::new();
                for action in actions.as_array().into_iter().flatten() {
                    let _ = writeln!(
                        out,
                        "  {} [{}]{}",
                        action["title"].as_str().unwrap_or(""),
                        action["kind"].as_str().unwrap_or(""),
                        if action["isPreferred"] == true {
                            " preferred"
                        } else {
                            ""
                        }
                    );
                    let edited = apply(text, &action["edit"]["changes"][&uri]);
                    out.push_str(&indent(&changed_lines(text, &edited)));
                }
                if out.is_empty() {
                    out.push_str("  (none)\n");
                }
                out
            }
            "signatureHelp" => {
                let help = server.result(
                    "textDocument/signatureHelp",
                    json!({ "textDocument": document, "position": at(0) }),
                );
                if help.is_null() {
                    "  (nothing)\n".to_string()
                } else {
                    let signature = &help["signatures"][0];
                    let label = signature["label"].as_str().unwrap_or("");
                    let active = help["activeParameter"].as_u64().unwrap_or(0) as usize;
                    let part = &signature["parameters"][active]["label"];
                    let (from, to) = (
                        part[0].as_u64().unwrap_or(0) as usize,
                        part[1].as_u64().unwrap_or(0) as usize,
                    );
                    let marked: String = label
                        .chars()
                        .enumerate()
                        .map(|(i, c)| {
                            if i == from {
                                format!("[{c}")
                            } else if i + 1 == to {
                                format!("{c}]")
                            } else {
                                c.to_string()
                            }
                        })
                        .collect();
                    format!("  {marked}\n")
                }
            }
            "hints" => {
                let hints = server.result(
                    "textDocument/inlayHint",
                    json!({ "textDocument": document, "range": whole }),
                );
                hints
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|h| {
                        format!(
                            "  {} {}\n",
                            place(&h["position"]),
                            h["label"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            }
            "symbols" => {
                let mut out = String::new();
                render_symbols(
                    text,
                    &server.result(
                        "textDocument/documentSymbol",
                        json!({ "textDocument": document }),
                    ),
                    0,
                    &mut out,
                );
                out
            }
            "format" => {
                let edits = server.result(
                    "textDocument/formatting",
                    json!({ "textDocument": document,
                            "options": { "tabSize": 4, "insertSpaces": true } }),
                );
                if edits == json!([]) {
                    "  (no edits)\n".to_string()
                } else {
                    indent(&apply(text, &edits))
                }
            }
            "semanticTokens" => render_semantic_tokens(
                text,
                &server.result(
                    "textDocument/semanticTokens/full",
                    json!({ "textDocument": document }),
                ),
                &legend,
            ),
            "folding" => {
                let ranges = server.result(
                    "textDocument/foldingRange",
                    json!({ "textDocument": document }),
                );
                ranges
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| {
                        format!(
                            "  lines {}-{}{}\n",
                            r["startLine"].as_u64().unwrap_or(0) + 1,
                            r["endLine"].as_u64().unwrap_or(0) + 1,
                            r["kind"]
                                .as_str()
                                .map_or(String::new(), |k| format!(" ({k})"))
                        )
                    })
                    .collect()
            }
            other => panic!("{}: unknown request `{other}`", path.display()),
        };
        out.push_str(&rendered);
    }
    server.shutdown();
    out
}

/// `tests/lsp/`, beside this crate's manifest.
fn fixture_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("lsp")
}

fn fixtures() -> Vec<PathBuf> {
    let dir = fixture_folder();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mesh"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_matches_its_snapshot() {
    let files = fixtures();
    assert!(files.len() >= 10, "the fixtures are missing: {files:?}");
    let mut failed = Vec::new();
    for path in &files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fixture")
            .to_string();
        let outcome = std::panic::catch_unwind(|| {
            let session = run_fixture(path);
            insta::with_settings!({
                snapshot_path => fixture_folder().join("snapshots"),
                prepend_module_to_snapshot => false,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(name.as_str(), session);
            });
        });
        if outcome.is_err() {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "fixtures that failed: {failed:?}");
}
