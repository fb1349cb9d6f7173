//! Signature help: inside an action or an `assume`, its form — `swap
//! AMOUNT for MIN TOKEN on EXCHANGE` — with the part being written marked. Which part is read
//! from the words the statement has passed so far, as completion reads the
//! word before the cursor.

use super::convert;
use super::document::Documents;
use lsp_types::{
    ParameterInformation, ParameterLabel, SignatureHelp, SignatureHelpParams, SignatureInformation,
};

/// The form of an action or an `assume`: its keyword, its parts, and the
/// word that begins each part after the first.
struct StatementForm {
    keyword: &'static str,
    parts: &'static [&'static str],
    separators: &'static [&'static str],
}

const STATEMENT_FORMS: &[StatementForm] = &[
    StatementForm {
        keyword: "borrow",
        parts: &["AMOUNT", "LENDER"],
        separators: &["from"],
    },
    StatementForm {
        keyword: "repay",
        parts: &["AMOUNT", "LENDER"],
        separators: &["to"],
    },
    StatementForm {
        keyword: "swap",
        parts: &["AMOUNT", "MIN TOKEN", "EXCHANGE", "TOKEN, …"],
        separators: &["for", "on", "via"],
    },
    StatementForm {
        keyword: "deposit",
        parts: &["AMOUNT", "LENDER"],
        separators: &["into"],
    },
    StatementForm {
        keyword: "withdraw",
        parts: &["AMOUNT", "LENDER"],
        separators: &["from"],
    },
    StatementForm {
        keyword: "bridge",
        parts: &["AMOUNT", "CHAIN", "KIND"],
        separators: &["to", "via"],
    },
    StatementForm {
        keyword: "wrap",
        parts: &["AMOUNT"],
        separators: &[],
    },
    StatementForm {
        keyword: "unwrap",
        parts: &["AMOUNT"],
        separators: &[],
    },
    StatementForm {
        keyword: "input",
        parts: &["AMOUNT"],
        separators: &[],
    },
    StatementForm {
        keyword: "assume",
        parts: &["(debt | collateral) AMOUNT", "LENDER"],
        separators: &["at"],
    },
];

pub fn signature_help(documents: &Documents, params: SignatureHelpParams) -> Option<SignatureHelp> {
    let at = params.text_document_position_params;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
    let before = document.text.get(..offset.min(document.text.len()))?;
    help_for(statement_before(before))
}

/// The text of the statement `before` ends in: from the last line break,
/// `{` or `}`, past a `let NAME =`.
fn statement_before(before: &str) -> &str {
    let start = before.rfind(['\n', '\r', '{', '}']).map_or(0, |i| i + 1);
    let statement = before.get(start..).unwrap_or("").trim_start();
    match statement.strip_prefix("let ") {
        Some(rest) => rest
            .split_once('=')
            .map_or("", |(_, value)| value)
            .trim_start(),
        None => statement,
    }
}

/// The help for a statement whose text so far is `statement` (past any
/// `let NAME =`), or `None` outside an action.
fn help_for(statement: &str) -> Option<SignatureHelp> {
    let mut words = statement.split_whitespace();
    let keyword = words.next()?;
    let form = STATEMENT_FORMS.iter().find(|f| f.keyword == keyword)?;
    // The keyword itself must be complete: `swap|` is still being typed.
    if statement.len() == keyword.len() {
        return None;
    }
    // The part being written: one more for each separator passed, in order.
    let mut active = 0usize;
    for word in words {
        if form.separators.get(active) == Some(&word) {
            active += 1;
        }
    }
    let mut label = form.keyword.to_string();
    let mut parameters = Vec::new();
    for (i, part) in form.parts.iter().enumerate() {
        if i > 0 {
            label.push(' ');
            label.push_str(form.separators[i - 1]);
        }
        label.push(' ');
        let start = label.chars().count() as u32;
        label.push_str(part);
        let end = label.chars().count() as u32;
        parameters.push(ParameterInformation {
            label: ParameterLabel::LabelOffsets([start, end]),
            documentation: None,
        });
    }
    Some(SignatureHelp {
        signatures: vec![SignatureInformation {
            label,
            documentation: super::vocabulary::keyword_doc(keyword).map(|doc| {
                lsp_types::Documentation::MarkupContent(lsp_types::MarkupContent {
                    kind: lsp_types::MarkupKind::Markdown,
                    value: doc.to_string(),
                })
            }),
            parameters: Some(parameters),
            active_parameter: None,
        }],
        active_signature: Some(0),
        active_parameter: Some(active.min(form.parts.len() - 1) as u32),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active(statement: &str) -> Option<(String, u32)> {
        help_for(statement).map(|h| {
            (
                h.signatures[0].label.clone(),
                h.active_parameter.unwrap_or(99),
            )
        })
    }

    #[test]
    fn the_part_being_written_follows_the_separators() {
        let swap = "swap AMOUNT for MIN TOKEN on EXCHANGE via TOKEN, …".to_string();
        assert_eq!(active("swap "), Some((swap.clone(), 0)));
        assert_eq!(active("swap 10 USDC f"), Some((swap.clone(), 0)));
        assert_eq!(active("swap 10 USDC for "), Some((swap.clone(), 1)));
        assert_eq!(
            active("swap 10 USDC for 1 WETH on uni"),
            Some((swap.clone(), 2))
        );
        assert_eq!(
            active("swap 10 USDC for 1 WETH on uniswap_v2 via WETH, "),
            Some((swap, 3))
        );
        assert_eq!(
            active("bridge x to arbitrum via "),
            Some(("bridge AMOUNT to CHAIN via KIND".to_string(), 2))
        );
        assert_eq!(
            active("assume debt 5 USDC at comp"),
            Some(("assume (debt | collateral) AMOUNT at LENDER".to_string(), 1))
        );
        assert_eq!(
            active("assume collateral "),
            Some(("assume (debt | collateral) AMOUNT at LENDER".to_string(), 0))
        );
        assert_eq!(active("swap"), None);
        assert_eq!(active("on arbitrum {"), None);
        assert_eq!(active(""), None);
    }
}
