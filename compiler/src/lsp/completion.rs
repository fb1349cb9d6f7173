//! Completion: what the grammar allows at the cursor ([`super::tokens`]
//! reads it), ranked, with snippets for statements.
//!
//! An empty line in a bundle offers what can begin a statement; after
//! `borrow 100 WETH` the word `from`, after `from` the lenders, after
//! `deadline: 20` and a line break the other constraints; in a comment, a
//! number or a new name, nothing. Statements, actions, items and
//! constraints come as snippets (`swap ${1:amount} for ${2:min} on
//! ${3:exchange}`) when the client accepts snippets. Every item has a
//! `sortText`: the words of the grammar first, then values (the most
//! recently bound first), tokens, chains and protocols in registry order.
//!
//! The answer is bounded: at most [`VALUE_LIMIT`] values and
//! [`NAME_LIMIT`] names of each other kind. When there are more, only
//! those that start with what is typed are offered, and the list says it
//! is incomplete so that the editor asks again as typing goes on. The work
//! per request is a binary search in the document's cached token map and
//! a walk of at most the answer's size through its cached values.

use super::convert;
use super::document::{Document, Documents};
use super::tokens::Expect;
use super::vocabulary::{bridge_kind_doc, keyword_doc, INVARIANTS};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionList, CompletionParams, CompletionResponse,
    CompletionTriggerKind, Documentation, InsertTextFormat,
};
use mesh_core::{BridgeKind, ProtocolKind, Registry};

/// At most this many values in one answer.
pub const VALUE_LIMIT: usize = 50;
/// At most this many chains, tokens, lenders, exchanges, ... of each kind.
pub const NAME_LIMIT: usize = 100;

/// What begins a statement, most used first, with its snippet and form.
const STATEMENTS: &[(&str, &str, &str)] = &[
    ("let", "let ${1:name} = $0", "let NAME = ACTION"),
    (
        "swap",
        "swap ${1:amount} for ${2:min} on ${3:exchange}",
        "swap AMOUNT for MIN TOKEN on EXCHANGE (via TOKEN, ...)?",
    ),
    (
        "bridge",
        "bridge ${1:amount} to ${2:chain}",
        "bridge AMOUNT to CHAIN (via KIND)?",
    ),
    (
        "borrow",
        "borrow ${1:amount} from ${2:lender}",
        "borrow AMOUNT from LENDER (as debt)?",
    ),
    (
        "repay",
        "repay ${1:amount} to ${2:lender}",
        "repay AMOUNT to LENDER",
    ),
    (
        "deposit",
        "deposit ${1:amount} into ${2:lender}",
        "deposit AMOUNT into LENDER",
    ),
    (
        "withdraw",
        "withdraw ${1:amount} from ${2:lender}",
        "withdraw AMOUNT from LENDER",
    ),
    ("wrap", "wrap ${1:amount}", "wrap AMOUNT"),
    ("unwrap", "unwrap ${1:amount}", "unwrap AMOUNT"),
    ("input", "input ${1:amount}", "input AMOUNT"),
    ("on", "on ${1:chain} {\n\t$0\n}", "on CHAIN { ... }"),
    (
        "parallel",
        "parallel {\n\t$1\n} and {\n\t$0\n}",
        "parallel { ... } and { ... }",
    ),
    (
        "require",
        "require ${1:amount} >= ${2:minimum}",
        "require AMOUNT CMP AMOUNT",
    ),
    (
        "assume",
        "assume ${1|debt,collateral|} ${2:amount} at ${3:lender}",
        "assume (debt | collateral) AMOUNT at LENDER",
    ),
];

/// The actions that produce a value, which is what `let NAME =` binds.
const VALUE_ACTIONS: &[&str] = &["swap", "bridge", "borrow", "withdraw", "wrap", "unwrap"];

const ITEMS: &[(&str, &str, &str)] = &[
    (
        "bundle",
        "bundle ${1:name} on ${2:chain} {\n\t$0\n}",
        "bundle NAME on CHAIN { ... }",
    ),
    (
        "token",
        "token ${1:SYMBOL} decimals ${2:18}",
        "token SYMBOL decimals N (at ADDRESS)?",
    ),
];

const CONSTRAINTS: &[(&str, &str, &str)] = &[
    (
        "deadline",
        "deadline: ${1:blocks}",
        "deadline: N (blocks) or Ns (seconds)",
    ),
    ("max_gas", "max_gas: ${1:gas}", "max_gas: N"),
    (
        "min_balance",
        "min_balance: ${1:amount}",
        "min_balance: AMOUNT (on CHAIN)?",
    ),
    (
        "min_security",
        "min_security: ${1|htlb,zk,threshold|}",
        "min_security: KIND",
    ),
    ("min_health", "min_health: ${1:1.5}", "min_health: FACTOR"),
    (
        "min_profit",
        "min_profit: ${1:amount}",
        "min_profit: AMOUNT (net of gas)",
    ),
    (
        "invariant",
        "invariant: ${1:constant_product}",
        "invariant: NAME",
    ),
];

/// Single keywords the grammar may want next, with a snippet where the
/// keyword opens a block.
const WORDS: &[(Expect, &str, Option<&str>)] = &[
    (Expect::FROM, "from", None),
    (Expect::TO, "to", None),
    (Expect::INTO, "into", None),
    (Expect::FOR, "for", None),
    (Expect::ON, "on", None),
    (Expect::VIA, "via", None),
    (Expect::AND, "and", Some("and {\n\t$0\n}")),
    (
        Expect::CONSTRAINTS,
        "constraints",
        Some("constraints {\n\t$0\n}"),
    ),
    (Expect::DECIMALS, "decimals", None),
    (Expect::AT, "at", None),
    (Expect::AS, "as", Some("as debt")),
    (Expect::DEBT, "debt", None),
    (Expect::POSITION, "debt", None),
    (Expect::POSITION, "collateral", None),
];

/// The order of the kinds of item in the list.
#[derive(Clone, Copy)]
enum Rank {
    Word = 0,
    Form = 1,
    Value = 2,
    Token = 3,
    All = 4,
    Chain = 5,
    Lender = 6,
    Exchange = 7,
    BridgeKind = 8,
    Invariant = 9,
}

struct Builder<'a> {
    items: Vec<CompletionItem>,
    incomplete: bool,
    snippets: bool,
    prefix: &'a str,
}

pub fn complete(documents: &Documents, params: CompletionParams) -> Option<CompletionResponse> {
    let at = params.text_document_position;
    let document = documents.get(&at.text_document.uri)?;
    let index = document.index();
    let offset = convert::offset(&index, at.position);
    let mut cursor = document.tokens().cursor(&document.text, offset);
    // A space after a finished statement (`input 1 WETH `) is not a request
    // for the next one: offered when asked for, not on the trigger.
    let triggered = params
        .context
        .as_ref()
        .is_some_and(|c| c.trigger_kind == CompletionTriggerKind::TRIGGER_CHARACTER);
    if triggered && cursor.same_line_fresh {
        cursor.expect = Expect::NONE;
    }
    let prefix = document
        .text
        .get(cursor.typed.start..cursor.typed.end)
        .unwrap_or("");
    let mut builder = Builder {
        items: Vec::new(),
        incomplete: false,
        snippets: documents.snippets,
        prefix,
    };
    builder.fill(
        cursor.expect,
        document,
        documents.registry_of(document),
        offset,
    );
    Some(CompletionResponse::List(CompletionList {
        is_incomplete: builder.incomplete,
        items: builder.items,
    }))
}

impl Builder<'_> {
    fn fill(&mut self, expect: Expect, document: &Document, registry: &Registry, offset: usize) {
        for (i, (word, keyword, snippet)) in WORDS.iter().enumerate() {
            if expect.has(*word) {
                self.keyword(keyword, *snippet, None, Rank::Word, i);
            }
        }
        if expect.has(Expect::STATEMENT) {
            for (i, (keyword, snippet, form)) in STATEMENTS.iter().enumerate() {
                self.keyword(keyword, Some(snippet), Some(form), Rank::Form, i);
            }
        } else if expect.has(Expect::ACTION) {
            let actions = STATEMENTS
                .iter()
                .filter(|(keyword, ..)| VALUE_ACTIONS.contains(keyword));
            for (i, (keyword, snippet, form)) in actions.enumerate() {
                self.keyword(keyword, Some(snippet), Some(form), Rank::Form, i);
            }
        }
        if expect.has(Expect::ITEM) {
            for (i, (keyword, snippet, form)) in ITEMS.iter().enumerate() {
                self.keyword(keyword, Some(snippet), Some(form), Rank::Form, i);
            }
        }
        if expect.has(Expect::CONSTRAINT) {
            for (i, (keyword, snippet, form)) in CONSTRAINTS.iter().enumerate() {
                self.keyword(keyword, Some(snippet), Some(form), Rank::Form, i);
            }
        }
        if expect.has(Expect::VALUE) {
            self.values(document, offset);
        }
        if expect.has(Expect::TOKEN) {
            let tokens = registry
                .tokens
                .iter()
                .map(|t| (t.symbol.as_str(), format!("token, {} decimals", t.decimals)));
            self.names(tokens, CompletionItemKind::CONSTANT, Rank::Token);
        }
        if expect.has(Expect::ALL) {
            self.keyword("all", None, Some("all TOKEN"), Rank::All, 0);
        }
        if expect.has(Expect::CHAIN) {
            let chains = registry.chains.iter().map(|c| {
                (
                    c.name.as_str(),
                    format!("chain (EIP-155 id {})", c.chain_id),
                )
            });
            self.names(chains, CompletionItemKind::MODULE, Rank::Chain);
        }
        for (bit, kind, rank) in [
            (Expect::LENDER, ProtocolKind::Lender, Rank::Lender),
            (Expect::EXCHANGE, ProtocolKind::Exchange, Rank::Exchange),
        ] {
            if expect.has(bit) {
                let protocols = registry
                    .protocols
                    .iter()
                    .filter(|p| p.kind == kind)
                    .map(|p| (p.name.as_str(), p.kind.to_string()));
                self.names(protocols, CompletionItemKind::CLASS, rank);
            }
        }
        if expect.has(Expect::BRIDGE_KIND) {
            let kinds = BridgeKind::ALL
                .iter()
                .map(|&k| (k.as_str(), format!("bridge: {}", bridge_kind_doc(k))));
            self.names(kinds, CompletionItemKind::ENUM_MEMBER, Rank::BridgeKind);
        }
        if expect.has(Expect::INVARIANT) {
            let invariants = INVARIANTS.iter().map(|(n, doc)| (*n, (*doc).to_string()));
            self.names(invariants, CompletionItemKind::ENUM_MEMBER, Rank::Invariant);
        }
    }

    fn keyword(
        &mut self,
        keyword: &str,
        snippet: Option<&str>,
        form: Option<&str>,
        rank: Rank,
        order: usize,
    ) {
        let (insert_text, insert_text_format) = match snippet {
            Some(snippet) if self.snippets => {
                (Some(snippet.to_string()), Some(InsertTextFormat::SNIPPET))
            }
            _ => (None, None),
        };
        self.items.push(CompletionItem {
            label: keyword.to_string(),
            kind: Some(CompletionItemKind::KEYWORD),
            detail: Some(form.unwrap_or("keyword").to_string()),
            documentation: keyword_doc(keyword).map(|doc| Documentation::String(doc.to_string())),
            sort_text: Some(sort_text(rank, order)),
            insert_text,
            insert_text_format,
            ..CompletionItem::default()
        });
    }

    /// Names of one kind: all of them if there are few enough, else those
    /// that start with what is typed (case aside), up to the limit.
    fn names<'n>(
        &mut self,
        names: impl Iterator<Item = (&'n str, String)> + Clone,
        kind: CompletionItemKind,
        rank: Rank,
    ) {
        let many = names.clone().nth(NAME_LIMIT).is_some();
        let prefix = self.prefix.to_ascii_lowercase();
        let mut taken = 0;
        for (order, (name, detail)) in names.enumerate() {
            if many && !name.to_ascii_lowercase().starts_with(&prefix) {
                continue;
            }
            if taken == NAME_LIMIT {
                self.incomplete = true;
                break;
            }
            taken += 1;
            self.items.push(CompletionItem {
                label: name.to_string(),
                kind: Some(kind),
                detail: Some(detail),
                sort_text: Some(sort_text(rank, order)),
                ..CompletionItem::default()
            });
        }
        self.incomplete |= many;
    }

    /// The values visible at the cursor, the most recently bound first.
    fn values(&mut self, document: &Document, offset: usize) {
        let Some(values) = document.values() else {
            return;
        };
        let (mut found, mut more) = values.visible(offset, "", VALUE_LIMIT);
        if more {
            // Too many to list: those that start with what is typed.
            (found, more) = values.visible(offset, self.prefix, VALUE_LIMIT);
            self.incomplete = true;
        }
        self.incomplete |= more;
        for (order, binding) in found.into_iter().enumerate() {
            let detail = match &binding.token {
                Some(token) => format!("value, {token}"),
                None => "value".to_string(),
            };
            self.items.push(CompletionItem {
                label: binding.name.clone(),
                kind: Some(CompletionItemKind::VARIABLE),
                detail: Some(detail),
                sort_text: Some(sort_text(Rank::Value, order)),
                ..CompletionItem::default()
            });
        }
    }
}

fn sort_text(rank: Rank, order: usize) -> String {
    format!("{}{order:05}", rank as u8)
}
