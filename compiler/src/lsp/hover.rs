//! Hover: what the checker knows of an amount or a statement, and the short
//! doc of a keyword, chain, token, protocol, bridge kind or invariant.

use super::convert;
use super::document::Documents;
use super::vocabulary::{bridge_kind_doc, invariant_doc, keyword_doc, word_at};
use crate::check::{AmountFact, Facts, StatementFact};
use lsp_types::{Hover, HoverContents, HoverParams, MarkupContent, MarkupKind};
use mesh_core::amount::{display_units, format_units};
use mesh_core::registry::{ProtocolInfo, TokenInfo};
use mesh_core::{BridgeKind, ProtocolKind, Registry};
use mesh_grammar::Span;
use std::fmt::Write as _;

pub fn hover(documents: &Documents, params: HoverParams) -> Option<Hover> {
    let at = params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let text = document.text.as_str();
    let offset = convert::offset(&index, at.position);
    let analysis = document.analysis.as_ref();
    if analysis.is_some_and(|a| a.parsed.comments.iter().any(|c| c.span.contains(offset))) {
        return None;
    }
    let facts = analysis.map(|a| &a.checked.facts);
    let registry = documents.registry_of(document);
    let (value, span) = describe(text, offset, registry, facts)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range: Some(convert::range(&index, span)),
    })
}

/// The hover text at `offset` and the span it is about.
fn describe(
    text: &str,
    offset: usize,
    registry: &Registry,
    facts: Option<&Facts>,
) -> Option<(String, Span)> {
    let statement = facts.and_then(|f| f.statement_at(offset));
    if let Some(amount) = facts.and_then(|f| f.amount_at(offset)) {
        let holding_statement = facts.and_then(|f| f.statement_at(amount.span.start));
        return Some((
            describe_amount(text, amount, holding_statement),
            amount.span,
        ));
    }
    if let Some((start, word)) = word_at(text, offset) {
        let span = Span::new(start, start + word.len());
        if let Some(doc) = keyword_doc(word) {
            let mut value = format!("**{word}** — keyword\n\n{doc}");
            if let Some(statement) = statement {
                value.push_str("\n\n---\n\n");
                value.push_str(&describe_statement(statement));
            }
            return Some((value, span));
        }
        if let Some(value) = describe_name(word, registry) {
            return Some((value, span));
        }
    }
    statement.map(|s| (describe_statement(s), s.span))
}

/// `100 WETH`: its token, its value in base units, and the holding of that
/// token after the statement it is part of.
fn describe_amount(text: &str, fact: &AmountFact, statement: Option<&StatementFact>) -> String {
    let token = &fact.token;
    let written = text
        .get(fact.span.start..fact.span.end)
        .filter(|s| !s.contains(['\n', '\r']) && s.len() <= 60);
    let mut value = match written {
        Some(written) => format!("`{written}` — an amount of **{token}**"),
        None => format!("an amount of **{token}**"),
    };
    let _ = write!(value, " ({} decimals)\n\n", fact.decimals);
    match fact.exact {
        Some(exact) => {
            let _ = writeln!(
                value,
                "- value: exactly {} {token} = {} base units",
                display_units(exact, fact.decimals),
                display_units(exact, 0)
            );
        }
        None => {
            let _ = writeln!(
                value,
                "- value: at least {} {token} = {} base units (the exact value is known only when it runs)",
                display_units(fact.lower_bound, fact.decimals),
                display_units(fact.lower_bound, 0)
            );
        }
    }
    let holding = statement.and_then(|s| {
        s.holdings
            .iter()
            .find(|h| h.token == *token && h.chain == s.chain)
            .or_else(|| s.holdings.iter().find(|h| h.token == *token))
    });
    if let Some(h) = holding {
        let _ = writeln!(
            value,
            "- holding of {token} on {} after this statement: {}",
            h.chain,
            bound(h.exact, h.lower_bound, h.decimals, token)
        );
    }
    value
}

/// A statement: the chain it runs on, the transaction that carries it, and
/// the holdings it leaves.
fn describe_statement(fact: &StatementFact) -> String {
    let mut value = format!("runs on **{}**", fact.chain);
    match fact.transaction {
        Some(t) => {
            let _ = write!(
                value,
                ", in transaction {} of the bundle (optimised lowering)",
                t + 1
            );
        }
        None => value.push_str(", as no chain transaction of its own"),
    }
    if !fact.holdings.is_empty() {
        value.push_str("\n\nholdings after it:\n");
        for h in &fact.holdings {
            let _ = writeln!(
                value,
                "- {} on {}: {}",
                h.token,
                h.chain,
                bound(h.exact, h.lower_bound, h.decimals, &h.token)
            );
        }
    }
    value
}

fn bound(exact: Option<u128>, lower_bound: u128, decimals: u8, token: &str) -> String {
    match exact {
        Some(v) => format!("exactly {} {token}", display_units(v, decimals)),
        None => format!("at least {} {token}", display_units(lower_bound, decimals)),
    }
}

/// A chain, protocol, bridge kind, invariant or token, from the registry.
fn describe_name(word: &str, registry: &Registry) -> Option<String> {
    if let Some(chain) = registry.chain(word) {
        let tokens: Vec<&str> = registry
            .tokens
            .iter()
            .filter(|t| t.chains.contains(&chain.name))
            .map(|t| t.symbol.as_str())
            .collect();
        let protocols: Vec<&str> = registry
            .protocols
            .iter()
            .filter(|p| p.chains.contains(&chain.name))
            .map(|p| p.name.as_str())
            .collect();
        return Some(format!(
            "**{}** — chain (EIP-155 id {})\n\n- tokens: {}\n- protocols: {}",
            chain.name,
            chain.chain_id,
            list(&tokens),
            list(&protocols)
        ));
    }
    if let Some(protocol) = registry.protocol(word) {
        return Some(describe_protocol(protocol, registry));
    }
    if let Some(kind) = BridgeKind::from_name(word) {
        return Some(describe_bridge_kind(kind, registry));
    }
    if let Some(doc) = invariant_doc(word) {
        return Some(format!("**{word}** — invariant\n\n{doc}"));
    }
    registry
        .token(word)
        .map(|token| describe_token(token, registry))
}

fn describe_token(token: &TokenInfo, registry: &Registry) -> String {
    let mut value = format!(
        "**{}** — token, {} decimals (1 {} = 10^{} base units)\n\n- on: {}",
        token.symbol,
        token.decimals,
        token.symbol,
        token.decimals,
        chains(&token.chains, registry)
    );
    if let Some(address) = &token.address {
        let _ = write!(value, "\n- address: `{address}`");
    }
    value
}

fn describe_protocol(protocol: &ProtocolInfo, registry: &Registry) -> String {
    let what = match protocol.kind {
        ProtocolKind::Lender => {
            let flash = if protocol.flash_loans {
                "; a loan repaid in the transaction that took it is a flash loan; a loan left open `as debt` needs collateral here"
            } else {
                "; no flash loans: every loan needs collateral here, and its position's health factor is checked"
            };
            format!(
                "lender (`borrow`, `repay`, `deposit`, `withdraw`): premium {} of every flash loan{flash}",
                bps(protocol.premium_bps)
            )
        }
        ProtocolKind::Exchange => format!(
            "exchange (`swap`, constant product): fee {} of every swap",
            bps(protocol.fee_bps)
        ),
    };
    format!(
        "**{}** — {what}\n\n- on: {}",
        protocol.name,
        chains(&protocol.chains, registry)
    )
}

fn describe_bridge_kind(kind: BridgeKind, registry: &Registry) -> String {
    let routes: Vec<_> = registry.routes.iter().filter(|r| r.kind == kind).collect();
    let mut value = format!("**{kind}** — bridge kind: {}", bridge_kind_doc(kind));
    if routes.is_empty() {
        value.push_str("\n\nno route of this kind in the registry");
        return value;
    }
    let span_of = |values: Vec<u64>| {
        let low = values.iter().min().copied().unwrap_or(0);
        let high = values.iter().max().copied().unwrap_or(0);
        if low == high {
            low.to_string()
        } else {
            format!("{low} to {high}")
        }
    };
    let delay = span_of(routes.iter().map(|r| r.delay_blocks).collect());
    let gas = span_of(routes.iter().map(|r| r.gas).collect());
    let fee = span_of(routes.iter().map(|r| u64::from(r.fee_bps)).collect());
    let _ = write!(
        value,
        "\n\n- {} routes\n- delay: {delay} blocks\n- fee: {fee} bps of the amount sent\n- gas: {gas} per transfer, on the sending chain",
        routes.len()
    );
    value
}

/// `5` basis points as `5 bps (0.05%)`.
fn bps(bps: u32) -> String {
    format!("{bps} bps ({}%)", format_units(u128::from(bps), 2))
}

fn chains(names: &[String], registry: &Registry) -> String {
    if !registry.chains.is_empty() && registry.chains.iter().all(|c| names.contains(&c.name)) {
        return "every chain".to_string();
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    list(&names)
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_described_from_the_registry() {
        let registry = Registry::default_registry();
        let aave = describe_name("aave", &registry).unwrap_or_default();
        assert!(aave.contains("premium 5 bps (0.05%)"), "{aave}");
        let uni = describe_name("uniswap_v2", &registry).unwrap_or_default();
        assert!(uni.contains("fee 30 bps (0.3%)"), "{uni}");
        let usdc = describe_name("USDC", &registry).unwrap_or_default();
        assert!(usdc.contains("6 decimals"), "{usdc}");
        let eth = describe_name("ETH", &registry).unwrap_or_default();
        assert!(!eth.contains("polygon"), "{eth}");
        let zk = describe_name("zk", &registry).unwrap_or_default();
        assert!(zk.contains("zk-SNARK"), "{zk}");
        assert!(describe_name("nothing", &registry).is_none());
    }

    #[test]
    fn keywords_are_described_without_facts() {
        let registry = Registry::default_registry();
        let (value, span) = describe("  parallel {", 4, &registry, None).unwrap_or_default();
        assert!(value.starts_with("**parallel** — keyword"), "{value}");
        assert_eq!(span, Span::new(2, 10));
    }
}
