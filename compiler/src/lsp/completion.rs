//! Completion of keywords, chains, tokens, protocols, bridge kinds and the
//! values in scope at the cursor. The word before the cursor narrows the
//! list: after `from` come lenders, after a number tokens, and so on; where
//! that word means two things (`to` a lender or a chain, `on` a chain or an
//! exchange), the statement it is in decides. Elsewhere every candidate is
//! offered and the editor filters by what was typed.

use super::convert;
use super::document::Documents;
use super::vocabulary::{bridge_kind_doc, INVARIANTS, KEYWORDS};
use crate::pipeline::Analysis;
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse, Documentation,
};
use mesh_grammar::{Block, Item, StmtKind};
use mesh_runtime::{BridgeKind, ProtocolKind, Registry};

pub fn complete(documents: &Documents, params: CompletionParams) -> Option<CompletionResponse> {
    let at = params.text_document_position;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&document.text, &index, at.position);
    let analysis = document.analysis.as_ref();
    let registry = documents.registry_of(document);
    Some(CompletionResponse::Array(candidates(
        &document.text,
        offset,
        registry,
        analysis,
    )))
}

/// What may be written at `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    /// A new name (`bundle NAME`, `let NAME`, `token SYMBOL`), a number, or
    /// a comment: nothing to offer.
    Nothing,
    Lender,
    /// `bridge ... to CHAIN`, `on CHAIN { ... }`, `bundle x on CHAIN`.
    Chain,
    /// `swap ... on EXCHANGE`.
    Exchange,
    /// `to` or `on` in a statement that does not say which (one being
    /// written, or a broken one).
    LenderOrChain,
    ChainOrExchange,
    BridgeKind,
    Invariant,
    Token,
    /// `swap ... for` an amount or a token.
    TokenOrValue,
    Anything,
}

fn candidates(
    text: &str,
    offset: usize,
    registry: &Registry,
    analysis: Option<&Analysis>,
) -> Vec<CompletionItem> {
    let in_comment = analysis.is_some_and(|a| {
        a.parsed
            .comments
            .iter()
            .any(|c| c.span.start < offset && offset <= c.span.end)
    });
    let slot = if in_comment {
        Slot::Nothing
    } else {
        slot_at(text, offset)
    };
    let mut items = Vec::new();
    let lenders =
        |items: &mut Vec<CompletionItem>| protocols(items, registry, ProtocolKind::Lender);
    match slot {
        Slot::Nothing => {}
        Slot::Lender => lenders(&mut items),
        Slot::Chain => chains(&mut items, registry),
        Slot::Exchange => protocols(&mut items, registry, ProtocolKind::Exchange),
        Slot::LenderOrChain => {
            lenders(&mut items);
            chains(&mut items, registry);
        }
        Slot::ChainOrExchange => {
            chains(&mut items, registry);
            protocols(&mut items, registry, ProtocolKind::Exchange);
        }
        Slot::BridgeKind => bridge_kinds(&mut items),
        Slot::Invariant => invariants(&mut items),
        Slot::Token => tokens(&mut items, registry),
        Slot::TokenOrValue => {
            values(&mut items, analysis, offset);
            tokens(&mut items, registry);
        }
        Slot::Anything => {
            values(&mut items, analysis, offset);
            keywords(&mut items);
            chains(&mut items, registry);
            tokens(&mut items, registry);
            protocols(&mut items, registry, ProtocolKind::Lender);
            protocols(&mut items, registry, ProtocolKind::Exchange);
        }
    }
    items
}

/// Reads the word (or `:`) before the one being typed at `offset`.
fn slot_at(text: &str, offset: usize) -> Slot {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let Some(before) = text.get(..offset.min(text.len())) else {
        return Slot::Nothing;
    };
    let typed = before.trim_end_matches(is_word);
    let word = before.get(typed.len()..).unwrap_or("");
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        // Typing a number.
        return Slot::Nothing;
    }
    let rest = typed.trim_end();
    if let Some(colon) = rest.strip_suffix(':') {
        let key = last_word(colon.trim_end(), is_word);
        return match key {
            "invariant" => Slot::Invariant,
            "min_balance" => Slot::Anything,
            _ => Slot::Nothing,
        };
    }
    let previous = last_word(rest, is_word);
    let statement = statement_keyword(rest, is_word);
    match previous {
        "bundle" | "let" | "token" | "decimals" | "at" => Slot::Nothing,
        "from" | "into" => Slot::Lender,
        "to" => match statement {
            "repay" => Slot::Lender,
            "bridge" => Slot::Chain,
            _ => Slot::LenderOrChain,
        },
        "on" => match statement {
            "swap" => Slot::Exchange,
            "bundle" | "on" => Slot::Chain,
            _ => Slot::ChainOrExchange,
        },
        "via" => Slot::BridgeKind,
        "all" => Slot::Token,
        "for" => Slot::TokenOrValue,
        _ if previous.starts_with(|c: char| c.is_ascii_digit()) => Slot::Token,
        _ => Slot::Anything,
    }
}

/// The text of the statement `before` ends in: from the last line break,
/// `{` or `}`, past a `let NAME =`.
pub(super) fn statement_before(before: &str) -> &str {
    let start = before.rfind(['\n', '{', '}']).map_or(0, |i| i + 1);
    let statement = before.get(start..).unwrap_or("").trim_start();
    match statement.strip_prefix("let ") {
        Some(rest) => rest
            .split_once('=')
            .map_or("", |(_, value)| value)
            .trim_start(),
        None => statement,
    }
}

/// The keyword that begins the statement `before` ends in.
fn statement_keyword(before: &str, is_word: impl Fn(char) -> bool) -> &str {
    let statement = statement_before(before);
    let end = statement
        .find(|c: char| !is_word(c))
        .unwrap_or(statement.len());
    statement.get(..end).unwrap_or("")
}

fn last_word(text: &str, is_word: impl Fn(char) -> bool) -> &str {
    let start = text.trim_end_matches(&is_word).len();
    text.get(start..).unwrap_or("")
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..CompletionItem::default()
    }
}

fn keywords(items: &mut Vec<CompletionItem>) {
    for (keyword, doc) in KEYWORDS {
        items.push(CompletionItem {
            documentation: Some(Documentation::String((*doc).to_string())),
            ..item(keyword, CompletionItemKind::KEYWORD, "keyword".to_string())
        });
    }
}

fn chains(items: &mut Vec<CompletionItem>, registry: &Registry) {
    for chain in &registry.chains {
        items.push(item(
            &chain.name,
            CompletionItemKind::MODULE,
            format!("chain (EIP-155 id {})", chain.chain_id),
        ));
    }
}

fn tokens(items: &mut Vec<CompletionItem>, registry: &Registry) {
    for token in &registry.tokens {
        items.push(item(
            &token.symbol,
            CompletionItemKind::CONSTANT,
            format!("token, {} decimals", token.decimals),
        ));
    }
}

fn protocols(items: &mut Vec<CompletionItem>, registry: &Registry, kind: ProtocolKind) {
    for protocol in registry.protocols.iter().filter(|p| p.kind == kind) {
        items.push(item(
            &protocol.name,
            CompletionItemKind::CLASS,
            protocol.kind.to_string(),
        ));
    }
}

fn bridge_kinds(items: &mut Vec<CompletionItem>) {
    for kind in BridgeKind::ALL {
        items.push(item(
            kind.as_str(),
            CompletionItemKind::ENUM_MEMBER,
            format!("bridge: {}", bridge_kind_doc(kind)),
        ));
    }
}

fn invariants(items: &mut Vec<CompletionItem>) {
    for (name, doc) in INVARIANTS {
        items.push(item(
            name,
            CompletionItemKind::ENUM_MEMBER,
            (*doc).to_string(),
        ));
    }
}

/// The let-bound values visible at `offset`: bound by an earlier statement
/// of the bundle, but not in another branch of a `parallel` that the cursor
/// is in (docs/language.md, Values).
fn values(items: &mut Vec<CompletionItem>, analysis: Option<&Analysis>, offset: usize) {
    let Some(analysis) = analysis else { return };
    for (i, item_) in analysis.parsed.file.items.iter().enumerate() {
        let Item::Bundle(bundle) = item_ else {
            continue;
        };
        if !(bundle.span.start <= offset && offset <= bundle.span.end) {
            continue;
        }
        let mut names = Vec::new();
        visible_in(&bundle.body, offset, &mut names);
        let checked = analysis
            .checked
            .bundles
            .iter()
            .find(|b| b.span == bundle.span)
            .or_else(|| analysis.checked.bundles.get(i));
        for name in names {
            let token = checked
                .and_then(|b| b.variables.iter().find(|v| v.name == name))
                .and_then(|v| v.token.as_deref());
            let detail = match token {
                Some(token) => format!("value, {token}"),
                None => "value".to_string(),
            };
            if !items.iter().any(|i| i.label == name) {
                items.push(item(name, CompletionItemKind::VARIABLE, detail));
            }
        }
    }
}

fn visible_in<'a>(block: &'a Block, offset: usize, names: &mut Vec<&'a str>) {
    for stmt in &block.stmts {
        if stmt.span.end <= offset {
            all_bound_in(&stmt.kind, names);
        } else if stmt.span.start < offset {
            match &stmt.kind {
                StmtKind::On { block, .. } => visible_in(block, offset, names),
                StmtKind::Parallel { branches } => {
                    for branch in branches {
                        if branch.span.start < offset && offset < branch.span.end {
                            visible_in(branch, offset, names);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn all_bound_in<'a>(stmt: &'a StmtKind, names: &mut Vec<&'a str>) {
    match stmt {
        StmtKind::Let { name, .. } => names.push(&name.name),
        StmtKind::On { block, .. } => {
            for stmt in &block.stmts {
                all_bound_in(&stmt.kind, names);
            }
        }
        StmtKind::Parallel { branches } => {
            for stmt in branches.iter().flat_map(|b| &b.stmts) {
                all_bound_in(&stmt.kind, names);
            }
        }
        StmtKind::Action(_) | StmtKind::Input(_) | StmtKind::Require { .. } | StmtKind::Error => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_word_chooses_the_slot() {
        let slot = |text: &str| slot_at(text, text.len());
        assert_eq!(slot("borrow 100 WETH from "), Slot::Lender);
        assert_eq!(slot("borrow 100 WETH from aa"), Slot::Lender);
        assert_eq!(slot("deposit x into\n  "), Slot::Lender);
        assert_eq!(slot("bridge x to "), Slot::Chain);
        assert_eq!(slot("    let back = bridge x to ar"), Slot::Chain);
        assert_eq!(slot("repay 100 WETH to "), Slot::Lender);
        assert_eq!(slot("swap x for 1 USDC on "), Slot::Exchange);
        assert_eq!(slot("  let u = swap x for 1 USDC on "), Slot::Exchange);
        assert_eq!(slot("bundle b on "), Slot::Chain);
        assert_eq!(slot("{\n    on "), Slot::Chain);
        // A statement that does not say (a typo in its keyword) offers both.
        assert_eq!(slot("swp x for 1 USDC on "), Slot::ChainOrExchange);
        assert_eq!(slot("rpay 1 WETH to "), Slot::LenderOrChain);
        assert_eq!(slot("bridge x to base via "), Slot::BridgeKind);
        assert_eq!(slot("invariant: "), Slot::Invariant);
        assert_eq!(slot("deadline: "), Slot::Nothing);
        assert_eq!(slot("borrow 100 "), Slot::Token);
        assert_eq!(slot("borrow 0.5 W"), Slot::Token);
        assert_eq!(slot("borrow 10"), Slot::Nothing);
        assert_eq!(slot("swap all "), Slot::Token);
        assert_eq!(slot("swap x for "), Slot::TokenOrValue);
        assert_eq!(slot("let "), Slot::Nothing);
        assert_eq!(slot("bundle "), Slot::Nothing);
        assert_eq!(slot("{\n    "), Slot::Anything);
        assert_eq!(slot(""), Slot::Anything);
    }
}
