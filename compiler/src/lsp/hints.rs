//! Inlay hints: after each name a `let` binds, the value the checker
//! guarantees it holds there — `= 100 WETH` when exact (a borrow, what a
//! bridge delivers), `≥ 190000 USDC` when only a lower bound is known (a
//! swap's slippage bound) — so what each step is sure to have is in view.

use super::convert;
use super::document::Documents;
use lsp_types::{InlayHint, InlayHintKind, InlayHintLabel, InlayHintParams};
use mesh_core::amount::display_units;
use mesh_grammar::{Block, Item, StmtKind};

pub fn inlay_hints(documents: &Documents, params: InlayHintParams) -> Option<Vec<InlayHint>> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = document.analysis.as_ref()?;
    let index = document.index();
    let from = convert::offset(&index, params.range.start);
    let to = convert::offset(&index, params.range.end);
    let mut names = Vec::new();
    for item in &analysis.parsed.file.items {
        if let Item::Bundle(bundle) = item {
            let_names(&bundle.body, &mut names);
        }
    }
    let facts = &analysis.checked.facts;
    let hints = names
        .into_iter()
        .filter(|span| from <= span.end && span.start <= to)
        .filter_map(|span| {
            let fact = facts.amounts.iter().find(|f| f.span == span)?;
            let value = match fact.exact {
                Some(exact) => format!("= {} {}", display_units(exact, fact.decimals), fact.token),
                None => format!(
                    "≥ {} {}",
                    display_units(fact.lower_bound, fact.decimals),
                    fact.token
                ),
            };
            Some(InlayHint {
                position: convert::position(&index, span.end),
                label: InlayHintLabel::String(value),
                kind: Some(InlayHintKind::TYPE),
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
        })
        .collect();
    Some(hints)
}

/// The names bound by `let` in a block, nested blocks included.
fn let_names(block: &Block, out: &mut Vec<mesh_grammar::Span>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { name, .. } => out.push(name.span),
            StmtKind::On { block, .. } => let_names(block, out),
            StmtKind::Parallel { branches } => {
                for branch in branches {
                    let_names(branch, out);
                }
            }
            _ => {}
        }
    }
}
