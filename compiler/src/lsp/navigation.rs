//! Go to definition (let-bound values and declared tokens, as the checker
//! resolved them) and the document's outline (token declarations, bundles,
//! and inside each bundle its values and constraints).

use super::convert;
use super::document::Documents;
use crate::check::CheckedBundle;
use crate::diagnostic::LineIndex;
use lsp_types::{
    DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams,
    GotoDefinitionResponse, Location, SymbolKind,
};
use mesh_grammar::{Block, Bundle, Constraint, ConstraintKind, Item, Span, StmtKind};

pub fn definition(
    documents: &Documents,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at = params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&document.text, &index, at.position);
    let facts = &document.analysis.as_ref()?.checked.facts;
    // The cursor may stand just after the name, as after a double click.
    let target = facts
        .definition_at(offset)
        .or_else(|| offset.checked_sub(1).and_then(|o| facts.definition_at(o)))?;
    Some(GotoDefinitionResponse::Scalar(Location {
        uri: at.text_document.uri,
        range: convert::range(&index, target),
    }))
}

pub fn document_symbols(
    documents: &Documents,
    params: DocumentSymbolParams,
) -> Option<DocumentSymbolResponse> {
    let document = documents.get(&params.text_document.uri)?;
    let analysis = document.analysis.as_ref()?;
    let index = document.index();
    let symbols = analysis
        .parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Token(decl) => Some(symbol(
                &index,
                &decl.symbol.name,
                Some(format!("token, {} decimals", decl.decimals.text)),
                SymbolKind::CONSTANT,
                decl.span,
                decl.symbol.span,
                None,
            )),
            Item::Bundle(bundle) => {
                let checked = analysis
                    .checked
                    .bundles
                    .iter()
                    .find(|b| b.span == bundle.span);
                Some(bundle_symbol(&index, bundle, checked))
            }
            Item::Error(_) => None,
        })
        .collect();
    Some(DocumentSymbolResponse::Nested(symbols))
}

fn bundle_symbol(
    index: &LineIndex<'_>,
    bundle: &Bundle,
    checked: Option<&CheckedBundle>,
) -> DocumentSymbol {
    let mut children = Vec::new();
    values(index, &bundle.body, checked, &mut children);
    if let Some(constraints) = &bundle.constraints {
        children.extend(
            constraints
                .items
                .iter()
                .filter_map(|c| constraint_symbol(index, c)),
        );
    }
    symbol(
        index,
        &bundle.name.name,
        Some(format!("bundle on {}", bundle.home.name)),
        SymbolKind::FUNCTION,
        bundle.span,
        bundle.name.span,
        Some(children),
    )
}

/// Every let-bound value of a block, nested blocks included, in order.
fn values(
    index: &LineIndex<'_>,
    block: &Block,
    checked: Option<&CheckedBundle>,
    out: &mut Vec<DocumentSymbol>,
) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Let { name, action } => {
                let token = checked
                    .and_then(|b| b.variables.iter().find(|v| v.span == name.span))
                    .and_then(|v| v.token.as_deref());
                let keyword = action.kind.keyword();
                let detail = match token {
                    Some(token) => format!("{token}, from {keyword}"),
                    None => format!("from {keyword}"),
                };
                out.push(symbol(
                    index,
                    &name.name,
                    Some(detail),
                    SymbolKind::VARIABLE,
                    stmt.span,
                    name.span,
                    None,
                ));
            }
            StmtKind::On { block, .. } => values(index, block, checked, out),
            StmtKind::Parallel { branches } => {
                for branch in branches {
                    values(index, branch, checked, out);
                }
            }
            StmtKind::Action(_)
            | StmtKind::Input(_)
            | StmtKind::Require { .. }
            | StmtKind::Error => {}
        }
    }
}

fn constraint_symbol(index: &LineIndex<'_>, constraint: &Constraint) -> Option<DocumentSymbol> {
    let (name, detail) = match &constraint.kind {
        ConstraintKind::Deadline(n) => ("deadline", format!("{} blocks", n.text)),
        ConstraintKind::MaxGas(n) => ("max_gas", format!("{} gas", n.text)),
        ConstraintKind::MinBalance { chain, .. } => (
            "min_balance",
            chain.as_ref().map_or_else(
                || "on the home chain".to_string(),
                |c| format!("on {}", c.name),
            ),
        ),
        ConstraintKind::Invariant(name) => ("invariant", name.name.clone()),
        ConstraintKind::Error => return None,
    };
    Some(symbol(
        index,
        name,
        Some(detail),
        SymbolKind::PROPERTY,
        constraint.span,
        constraint.span,
        None,
    ))
}

/// A symbol whose selection range lies inside its range, as the protocol
/// requires (recovered trees may have surprising spans).
fn symbol(
    index: &LineIndex<'_>,
    name: &str,
    detail: Option<String>,
    kind: SymbolKind,
    span: Span,
    selection: Span,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    let span = span.to(selection);
    #[allow(deprecated)] // `deprecated` is a required field of the struct.
    DocumentSymbol {
        name: if name.is_empty() { "?" } else { name }.to_string(),
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: convert::range(index, span),
        selection_range: convert::range(index, selection),
        children,
    }
}
