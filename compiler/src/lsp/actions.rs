//! Code actions: the quick fix of every diagnostic that has one, offered
//! where the diagnostic is. A fix that cannot change what the file means (a
//! keyword's case, an unused `let` binding dropped) is marked preferred, so
//! that an editor may apply it on its own ("fix all", a fix on save); a
//! name suggested for an unknown one (`USDC` for `USDE`) is offered but
//! never marked preferred: another name may be another asset.

use super::convert;
use super::document::Documents;
use crate::diagnostic::Applicability;
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, TextEdit, WorkspaceEdit,
};
use std::collections::HashMap;

pub fn code_actions(
    documents: &Documents,
    params: CodeActionParams,
) -> Option<Vec<CodeActionOrCommand>> {
    let uri = params.text_document.uri;
    let document = documents.get(&uri)?;
    let analysis = document.analysis.as_ref()?;
    let index = document.index();
    let start = convert::offset(&index, params.range.start);
    let end = convert::offset(&index, params.range.end);
    let wanted_quick_fixes = params.context.only.as_ref().is_none_or(|kinds| {
        kinds
            .iter()
            .any(|k| k.as_str().starts_with(CodeActionKind::QUICKFIX.as_str()))
    });
    if !wanted_quick_fixes {
        return Some(Vec::new());
    }
    let actions = analysis
        .diagnostics
        .iter()
        .filter(|d| {
            // The diagnostic's place meets the range (touching counts: a
            // cursor just after a word is on it).
            let span = d.primary.span;
            span.start <= end && start <= span.end
        })
        .filter_map(|d| {
            let fix = d.fix.as_ref()?;
            let old = document.text.get(fix.span.start..fix.span.end)?;
            let edit = TextEdit {
                range: convert::range(&index, fix.span),
                new_text: fix.replacement.clone(),
            };
            let title = if fix.replacement.is_empty() {
                format!("Remove `{}`", old.trim_end())
            } else {
                format!("Replace `{old}` with `{}`", fix.replacement)
            };
            let safe = fix.applicability == Applicability::MachineApplicable;
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![convert::diagnostic(&uri, &index, d, &documents.pages)]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: safe.then_some(true),
                ..CodeAction::default()
            }))
        })
        .collect();
    Some(actions)
}
