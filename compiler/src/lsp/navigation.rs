//! Go to definition, find references, highlights and rename (let-bound values and
//! declared tokens, as the checker resolved them; rename for values only),
//! and the document's outline (token declarations, bundles, and inside each
//! bundle its values and constraints).

use super::convert;
use super::document::Document;
use super::document::Documents;
use super::lines::LineIndex;
use crate::check::CheckedBundle;
use lsp_types::{
    DocumentHighlight, DocumentHighlightKind, DocumentHighlightParams, DocumentSymbol,
    DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse,
    Location, PrepareRenameResponse, ReferenceParams, RenameParams, SymbolKind,
    TextDocumentPositionParams, TextEdit, WorkspaceEdit,
};
use mesh_grammar::{AmountKind, Block, Bundle, Constraint, ConstraintKind, Item, Span, StmtKind};
use std::collections::HashMap;

pub fn definition(
    documents: &Documents,
    params: GotoDefinitionParams,
) -> Option<GotoDefinitionResponse> {
    let at = params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
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

/// The definition the name at `offset` refers to, or is: a use's
/// definition, or the definition itself. The cursor may stand just after
/// the name, as after a double click.
fn definition_of(document: &Document, offset: usize) -> Option<Span> {
    let checked = &document.analysis.as_ref()?.checked;
    let facts = &checked.facts;
    let at = |o: usize| {
        facts.definition_at(o).or_else(|| {
            // A definition: a value's `let` name (used or not), or a
            // declared token that is used.
            let values = checked.bundles.iter().flat_map(|b| &b.variables);
            values
                .map(|v| v.span)
                .chain(facts.definitions.iter().map(|d| d.def_span))
                .find(|def| def.contains(o))
        })
    };
    at(offset).or_else(|| offset.checked_sub(1).and_then(at))
}

/// The definition `def` and every use of it, in the order of the file.
fn occurrences(document: &Document, def: Span) -> Vec<Span> {
    let Some(analysis) = document.analysis.as_ref() else {
        return Vec::new();
    };
    let mut spans: Vec<Span> = std::iter::once(def)
        .chain(
            analysis
                .checked
                .facts
                .definitions
                .iter()
                .filter(|d| d.def_span == def)
                .map(|d| d.use_span),
        )
        .collect();
    spans.sort_by_key(|s| (s.start, s.end));
    spans.dedup();
    spans
}

pub fn references(documents: &Documents, params: ReferenceParams) -> Option<Vec<Location>> {
    let at = params.text_document_position;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
    let def = definition_of(document, offset)?;
    let uri = at.text_document.uri;
    Some(
        occurrences(document, def)
            .into_iter()
            .filter(|span| params.context.include_declaration || *span != def)
            .map(|span| Location {
                uri: uri.clone(),
                range: convert::range(&index, span),
            })
            .collect(),
    )
}

/// Every occurrence of the value or declared token under the cursor, for
/// the editor to highlight: its definition as written, its uses as read.
pub fn highlights(
    documents: &Documents,
    params: DocumentHighlightParams,
) -> Option<Vec<DocumentHighlight>> {
    let at = params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
    let def = definition_of(document, offset)?;
    Some(
        occurrences(document, def)
            .into_iter()
            .map(|span| DocumentHighlight {
                range: convert::range(&index, span),
                kind: Some(if span == def {
                    DocumentHighlightKind::WRITE
                } else {
                    DocumentHighlightKind::READ
                }),
            })
            .collect(),
    )
}

/// Why a rename cannot be made, for the user.
pub struct RenameRefused(pub String);

/// The value bound by `let` whose name is at the position: its definition.
fn renamable(
    documents: &Documents,
    at: &TextDocumentPositionParams,
) -> Result<(Span, String), RenameRefused> {
    let refused = |why: &str| RenameRefused(why.to_string());
    let document = documents
        .get(&at.text_document.uri)
        .ok_or_else(|| refused("the document is not open"))?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
    let def = definition_of(document, offset)
        .ok_or_else(|| refused("only a value bound by `let` can be renamed here"))?;
    let analysis = document
        .analysis
        .as_ref()
        .ok_or_else(|| refused("the document has no analysis"))?;
    let variable = analysis
        .checked
        .bundles
        .iter()
        .flat_map(|b| &b.variables)
        .find(|v| v.span == def)
        .ok_or_else(|| {
            refused("only a value bound by `let` can be renamed (a token symbol cannot)")
        })?;
    Ok((def, variable.name.clone()))
}

pub fn prepare_rename(
    documents: &Documents,
    params: TextDocumentPositionParams,
) -> Result<PrepareRenameResponse, RenameRefused> {
    let (def, name) = renamable(documents, &params)?;
    let document = documents
        .get(&params.text_document.uri)
        .ok_or_else(|| RenameRefused("the document is not open".into()))?;
    let index = document.index();
    let offset = convert::offset(&index, params.position);
    // The range of the occurrence under the cursor, which the editor edits.
    let here = occurrences(document, def)
        .into_iter()
        .find(|s| s.start <= offset && offset <= s.end)
        .unwrap_or(def);
    Ok(PrepareRenameResponse::RangeWithPlaceholder {
        range: convert::range(&index, here),
        placeholder: name,
    })
}

pub fn rename(documents: &Documents, params: RenameParams) -> Result<WorkspaceEdit, RenameRefused> {
    let at = params.text_document_position;
    let (def, old) = renamable(documents, &at)?;
    let new = params.new_name.trim();
    check_new_name(new)?;
    let document = documents
        .get(&at.text_document.uri)
        .ok_or_else(|| RenameRefused("the document is not open".into()))?;
    if new != old {
        let analysis = document.analysis.as_ref();
        let bundle = analysis.and_then(|a| {
            a.checked
                .bundles
                .iter()
                .find(|b| b.span.start <= def.start && def.end <= b.span.end)
        });
        if bundle.is_some_and(|b| b.variables.iter().any(|v| v.name == new)) {
            return Err(RenameRefused(format!(
                "`{new}` is already bound in this bundle"
            )));
        }
    }
    let index = document.index();
    let edits = occurrences(document, def)
        .into_iter()
        .map(|span| TextEdit {
            range: convert::range(&index, span),
            new_text: new.to_string(),
        })
        .collect();
    Ok(WorkspaceEdit {
        changes: Some(HashMap::from([(at.text_document.uri, edits)])),
        ..WorkspaceEdit::default()
    })
}

/// A new name must be one name of the language: a word the lexer reads as
/// a name (not a keyword, not a token symbol, not a number).
fn check_new_name(new: &str) -> Result<(), RenameRefused> {
    let lexed = mesh_grammar::lex(new);
    let one_name = matches!(lexed.as_slice(), [only]
        if only.kind == mesh_grammar::TokenKind::Ident
            && only.span.start == 0
            && only.span.end == new.len());
    if !one_name {
        return Err(RenameRefused(format!(
            "`{new}` is not a name a value can have (lower-case letters, digits and `_`, not a keyword)"
        )));
    }
    Ok(())
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
            | StmtKind::Assume { .. }
            | StmtKind::Error => {}
        }
    }
}

fn constraint_symbol(index: &LineIndex<'_>, constraint: &Constraint) -> Option<DocumentSymbol> {
    let (name, detail) = match &constraint.kind {
        ConstraintKind::Deadline(n) => ("deadline", format!("{} blocks", n.text)),
        ConstraintKind::DeadlineTime(t) => ("deadline", format!("{} seconds", t.number())),
        ConstraintKind::MaxGas(n) => ("max_gas", format!("{} gas", n.text)),
        ConstraintKind::MinBalance { chain, .. } => (
            "min_balance",
            chain.as_ref().map_or_else(
                || "on the home chain".to_string(),
                |c| format!("on {}", c.name),
            ),
        ),
        ConstraintKind::MinSecurity(kind) => ("min_security", kind.name.clone()),
        ConstraintKind::MinProfit(amount) => (
            "min_profit",
            match &amount.kind {
                AmountKind::Quantity { number, symbol } => {
                    format!("{} {} net of gas", number.text, symbol.name)
                }
                _ => "net of gas".to_string(),
            },
        ),
        ConstraintKind::MinHealth(n) => ("min_health", format!("health factor {}", n.text)),
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
