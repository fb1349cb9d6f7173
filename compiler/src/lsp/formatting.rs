//! Formatting the whole document with `meshc fmt`'s formatter.
//!
//! A document that does not parse is left as it is: the answer is no edits
//! (not an error, which editors would show as a pop-up on every save), and a
//! line in the client's log says why; the syntax errors are already on show
//! as diagnostics.

use super::convert;
use super::document::Documents;
use crate::format::format_source;
use lsp_types::{DocumentFormattingParams, Range, TextEdit};

/// The edits that format the document, and why none were made when the
/// formatter refused.
pub fn format(
    documents: &Documents,
    params: DocumentFormattingParams,
) -> (Option<Vec<TextEdit>>, Option<String>) {
    let uri = params.text_document.uri;
    let Some(document) = documents.get(&uri) else {
        return (None, None);
    };
    let text = &document.text;
    match format_source(text) {
        Ok(formatted) if formatted == *text => (Some(Vec::new()), None),
        Ok(formatted) => {
            let index = document.index();
            let edit = TextEdit {
                range: Range::new(
                    convert::position(&index, 0),
                    convert::position(&index, text.len()),
                ),
                new_text: formatted,
            };
            (Some(vec![edit]), None)
        }
        Err(_) => (
            Some(Vec::new()),
            Some(format!(
                "not formatting {}: it has syntax errors",
                uri.as_str()
            )),
        ),
    }
}
