//! Semantic tokens (the whole document): each word coloured by what it is
//! in the grammar — a chain, a protocol, a token, a value, a bundle's name —
//! as the token map read it, so that `on arbitrum` and `on uniswap_v2` get
//! different colours where a TextMate grammar cannot tell them apart.

use super::document::Documents;
use super::tokens::Role;
use lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
    SemanticTokensParams, SemanticTokensResult,
};

/// The token types, in the order of the legend.
const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::CLASS,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::TYPE,
    SemanticTokenType::NUMBER,
    SemanticTokenType::STRING,
    SemanticTokenType::COMMENT,
    SemanticTokenType::OPERATOR,
];

/// The modifiers, in the order of the legend (bit 0, bit 1).
const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::DEFAULT_LIBRARY,
];

const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 1 << 1;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

/// A role's token type (its index in [`TYPES`]) and modifiers.
fn classify(role: Role) -> Option<(u32, u32)> {
    Some(match role {
        Role::Keyword => (0, 0),
        Role::Action => (1, DEFAULT_LIBRARY),
        Role::BundleName => (1, DECLARATION),
        Role::ConstraintName => (2, 0),
        Role::Chain => (3, 0),
        Role::Protocol => (4, 0),
        Role::BridgeKind | Role::Invariant => (5, 0),
        Role::ValueDefinition => (6, DECLARATION),
        Role::Value => (6, 0),
        Role::TokenDefinition => (7, DECLARATION),
        Role::Token => (7, 0),
        Role::Number => (8, 0),
        Role::Address => (9, 0),
        Role::Comment => (10, 0),
        Role::Operator => (11, 0),
        Role::Other => return None,
    })
}

pub fn semantic_tokens(
    documents: &Documents,
    params: SemanticTokensParams,
) -> Option<SemanticTokensResult> {
    let document = documents.get(&params.text_document.uri)?;
    let index = document.index();
    let text = &document.text;
    let mut data = Vec::new();
    let (mut last_line, mut last_start) = (0u32, 0u32);
    for entry in &document.tokens().entries {
        let Some((token_type, modifiers)) = classify(entry.role) else {
            continue;
        };
        // A token over several lines (a block comment) is sent one line
        // at a time: clients need not support multi-line tokens.
        let mut start = entry.span.start;
        while start < entry.span.end {
            let line = index.line_of(start);
            let line_end = index.line_start(line + 1).min(entry.span.end);
            let piece = text.get(start..line_end).unwrap_or("");
            let piece = piece.trim_end_matches(['\n', '\r']);
            let length: usize = piece.chars().map(char::len_utf16).sum();
            if length > 0 {
                let (line, column) = index.utf16_position(start);
                let delta_line = line.saturating_sub(last_line);
                let delta_start = if delta_line == 0 {
                    column.saturating_sub(last_start)
                } else {
                    column
                };
                data.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: u32::try_from(length).unwrap_or(u32::MAX),
                    token_type,
                    token_modifiers_bitset: modifiers,
                });
                (last_line, last_start) = (line, column);
            }
            if line_end <= start {
                break;
            }
            start = line_end;
        }
    }
    Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_but_punctuation_has_a_type_in_the_legend() {
        for role in [
            Role::Keyword,
            Role::Action,
            Role::ConstraintName,
            Role::BundleName,
            Role::ValueDefinition,
            Role::Value,
            Role::Chain,
            Role::Protocol,
            Role::BridgeKind,
            Role::Invariant,
            Role::TokenDefinition,
            Role::Token,
            Role::Number,
            Role::Address,
            Role::Comment,
            Role::Operator,
        ] {
            let (token_type, modifiers) = classify(role).unwrap_or((99, 99));
            assert!((token_type as usize) < TYPES.len(), "{role:?}");
            assert!(modifiers < 1 << MODIFIERS.len(), "{role:?}");
        }
        assert_eq!(classify(Role::Other), None);
    }
}
