//! Reading a world file: TOML first, then one function per section in the
//! order the sections depend on one another — chains, tokens, protocols,
//! bridge routes (the registry), then the oracle, lenders, exchanges and
//! the wallet (the state), and last the positions, valued with the oracle. Every error is collected, in file order, so that a file's errors
//! are reported together. An entry with an error still declares its name,
//! so that a later use of it is not reported again as unknown.
//!
//! Here: the parser's value checks and the document; the registry's
//! sections are in `registry.rs` (a chain's own figures — its coins, block
//! time and gas price — in `chain.rs`), the state's in `state.rs`.

mod chain;
mod registry;
mod state;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::file::{join, line_column, WorldError, FORMAT};
use super::key_path::key_path_at;
use super::World;
use crate::amount::parse_units;
use crate::registry::{ChainInfo, ProtocolKind, Registry};

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<Cow<'i, str>>;

/// The top-level keys, in the order the canonical file writes them.
const SECTIONS: [&str; 9] = [
    "format",
    "chains",
    "tokens",
    "protocols",
    "bridges",
    "oracle",
    "lenders",
    "exchanges",
    "wallet",
];

/// A table's entries in the order they appear in the file.
fn in_file_order<'v, 'i>(table: &'v Table<'i>) -> Vec<(&'v Key<'i>, &'v Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

fn get<'v, 'i>(table: &'v Table<'i>, key: &str) -> Option<&'v Value<'i>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

/// Parses a world file; on failure, every error found, in file order.
pub(super) fn parse(text: &str, file: &str) -> Result<World, Vec<WorldError>> {
    let mut parser = Parser {
        text,
        file,
        errors: Vec::new(),
        quiet: BTreeSet::new(),
        chain_tokens: Vec::new(),
    };
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => return Err(vec![parser.syntax_error(&e)]),
    };
    let world = parser.document(&root);
    if parser.errors.is_empty() {
        return Ok(world);
    }
    let mut errors = parser.errors;
    errors.sort_by_key(|e| (e.line, e.column));
    Err(errors)
}

/// The registry's names, indexed for the state sections (a file may hold
/// tens of thousands of pairs; the registry's own lookups scan).
struct Index {
    chains: HashSet<String>,
    /// symbol → (decimals, its chains)
    tokens: HashMap<String, (u8, HashSet<String>)>,
    /// name → (kind, its chains)
    protocols: HashMap<String, (ProtocolKind, HashSet<String>)>,
}

impl Index {
    fn of(registry: &Registry) -> Index {
        let set = |chains: &[String]| chains.iter().cloned().collect::<HashSet<String>>();
        Index {
            chains: registry.chains.iter().map(|c| c.name.clone()).collect(),
            tokens: registry
                .tokens
                .iter()
                .map(|t| (t.symbol.clone(), (t.decimals, set(&t.chains))))
                .collect(),
            protocols: registry
                .protocols
                .iter()
                .map(|p| (p.name.clone(), (p.kind, set(&p.chains))))
                .collect(),
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<WorldError>,
    /// Tokens and protocols whose declaration had an error: a use of one
    /// is skipped without a second error.
    quiet: BTreeSet<String>,
    /// The tokens the chains name (native coin, wrapped native token), to
    /// be checked once the tokens are read.
    chain_tokens: Vec<chain::ChainToken>,
}

impl Parser<'_> {
    fn error_at(&self, span: Range<usize>, key: &str, message: String) -> WorldError {
        let (line, column) = line_column(self.text, span.start);
        WorldError {
            file: self.file.to_string(),
            line,
            column,
            key: key.to_string(),
            message,
        }
    }

    /// Records an error; `None`, so that a check can end with `return self.fail(…)`.
    fn fail<T>(&mut self, span: Range<usize>, key: &str, message: impl Into<String>) -> Option<T> {
        let error = self.error_at(span, key, message.into());
        self.errors.push(error);
        None
    }

    /// A TOML syntax error, with the path of the key it is at.
    fn syntax_error(&self, e: &toml::de::Error) -> WorldError {
        let span = e.span().unwrap_or(0..0);
        let key = key_path_at(self.text, span.start);
        self.error_at(span, &key, e.message().trim().to_string())
    }

    fn table<'v, 'i>(&mut self, value: &'v Value<'i>, path: &str) -> Option<&'v Table<'i>> {
        match value.get_ref().as_table() {
            Some(t) => Some(t),
            None => {
                let found = value.get_ref().type_str();
                self.fail(
                    value.span(),
                    path,
                    format!("expected a table, found {found}"),
                )
            }
        }
    }

    /// Reports every key of `table` not in `allowed`.
    fn only_keys(&mut self, table: &Table<'_>, allowed: &[&str], path: &str) {
        for (key, _) in in_file_order(table) {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let expected: Vec<String> = allowed.iter().map(|k| format!("`{k}`")).collect();
                let _: Option<()> = self.fail(
                    key.span(),
                    &join(path, key.get_ref()),
                    format!("unknown key; expected one of {}", expected.join(", ")),
                );
            }
        }
    }

    fn required<'v, 'i>(
        &mut self,
        table: &'v Table<'i>,
        table_span: Range<usize>,
        key: &str,
        path: &str,
    ) -> Option<&'v Value<'i>> {
        match get(table, key) {
            Some(v) => Some(v),
            None => self.fail(table_span, &join(path, key), "missing key"),
        }
    }

    fn string<'v>(&mut self, value: &'v Value<'_>, path: &str) -> Option<&'v str> {
        match value.get_ref().as_str() {
            Some(s) => Some(s),
            None => {
                let found = value.get_ref().type_str();
                self.fail(
                    value.span(),
                    path,
                    format!("expected a string, found {found}"),
                )
            }
        }
    }

    fn integer(&mut self, value: &Value<'_>, path: &str, max: u128) -> Option<u128> {
        let Some(int) = value.get_ref().as_integer() else {
            let found = value.get_ref().type_str();
            return self.fail(
                value.span(),
                path,
                format!("expected an integer, found {found}"),
            );
        };
        // TOML's integers are 64-bit (a larger one is not TOML, and could
        // not be edited in place by a commit).
        let Some(n) = i128::from_str_radix(int.as_str(), int.radix())
            .ok()
            .filter(|n| i64::try_from(*n).is_ok())
        else {
            return self.fail(
                value.span(),
                path,
                "integer out of range: TOML integers are 64-bit",
            );
        };
        if n < 0 {
            return self.fail(value.span(), path, "must not be negative");
        }
        let n = n.unsigned_abs();
        if n > max {
            return self.fail(value.span(), path, format!("must be at most {max}"));
        }
        Some(n)
    }

    fn bool(&mut self, value: &Value<'_>, path: &str) -> Option<bool> {
        match value.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                let found = value.get_ref().type_str();
                self.fail(
                    value.span(),
                    path,
                    format!("expected true or false, found {found}"),
                )
            }
        }
    }

    /// An amount of a token: a decimal string in whole tokens, or a
    /// decimal integer.
    fn amount(&mut self, value: &Value<'_>, path: &str, decimals: u8) -> Option<u128> {
        let text = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) if i.radix() == 10 => {
                if i.as_str().replace('_', "").parse::<i64>().is_err() {
                    return self.fail(
                        value.span(),
                        path,
                        "integer out of range: TOML integers are 64-bit; write a larger amount as a string, like \"100000000000000000000\"",
                    );
                }
                i.as_str().to_string()
            }
            DeValue::Integer(i) => {
                let base = match i.radix() {
                    16 => "a hexadecimal",
                    8 => "an octal",
                    2 => "a binary",
                    _ => "a non-decimal",
                };
                return self.fail(
                    value.span(),
                    path,
                    format!("an amount is written in decimal, like \"0.15\" or 2500; found {base} integer"),
                );
            }
            DeValue::Float(_) => {
                return self.fail(
                    value.span(),
                    path,
                    "a float is inexact; write the amount as a string, like \"0.15\"",
                )
            }
            other => {
                let found = other.type_str();
                return self.fail(
                    value.span(),
                    path,
                    format!(
                        "expected an amount (a string like \"0.15\", or an integer), found {found}"
                    ),
                );
            }
        };
        match parse_units(&text, decimals) {
            Ok(n) => Some(n),
            Err(e) => self.fail(value.span(), path, format!("amount \"{text}\" {e}")),
        }
    }

    /// A list of known chains, without repeats.
    fn chain_list(
        &mut self,
        value: &Value<'_>,
        path: &str,
        chains: &[ChainInfo],
    ) -> Option<Vec<String>> {
        let Some(array) = value.get_ref().as_array() else {
            return self.fail(value.span(), path, "expected an array of chain names");
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in array.iter() {
            let Some(name) = self.string(item, path) else {
                ok = false;
                continue;
            };
            if !chains.iter().any(|c| c.name == name) {
                ok = false;
                let _: Option<()> = self.fail(item.span(), path, format!("unknown chain `{name}`"));
            } else if out.iter().any(|c| c == name) {
                ok = false;
                let _: Option<()> =
                    self.fail(item.span(), path, format!("chain `{name}` listed twice"));
            } else {
                out.push(name.to_string());
            }
        }
        ok.then_some(out)
    }

    fn known_chain(&mut self, key: &Key<'_>, path: &str, index: &Index) -> Option<String> {
        let name = key.get_ref().as_ref();
        if !index.chains.contains(name) {
            return self.fail(key.span(), path, format!("unknown chain `{name}`"));
        }
        Some(name.to_string())
    }

    /// A token that exists on `chain`: its decimals.
    fn token_on(
        &mut self,
        span: Range<usize>,
        symbol: &str,
        chain: &str,
        path: &str,
        index: &Index,
    ) -> Option<u8> {
        if self.quiet.contains(symbol) {
            return None;
        }
        let Some((decimals, chains)) = index.tokens.get(symbol) else {
            return self.fail(span, path, format!("unknown token `{symbol}`"));
        };
        if !chains.contains(chain) {
            return self.fail(
                span,
                path,
                format!("token `{symbol}` does not exist on {chain}"),
            );
        }
        Some(*decimals)
    }

    /// A protocol of `kind` deployed on `chain`.
    fn protocol_on(
        &mut self,
        key: &Key<'_>,
        chain: &str,
        kind: ProtocolKind,
        path: &str,
        index: &Index,
    ) -> Option<()> {
        let name = key.get_ref().as_ref();
        if self.quiet.contains(name) {
            return None;
        }
        let Some((found, chains)) = index.protocols.get(name) else {
            return self.fail(key.span(), path, format!("unknown protocol `{name}`"));
        };
        if *found != kind {
            return self.fail(
                key.span(),
                path,
                format!(
                    "`{name}` is {}, not {}",
                    found.with_article(),
                    kind.with_article()
                ),
            );
        }
        if !chains.contains(chain) {
            return self.fail(
                key.span(),
                path,
                format!("`{name}` is not deployed on {chain}"),
            );
        }
        Some(())
    }

    /// `{ TOKEN = AMOUNT, … }` of tokens on `chain`.
    fn token_amounts(
        &mut self,
        value: &Value<'_>,
        path: &str,
        chain: &str,
        index: &Index,
    ) -> BTreeMap<String, u128> {
        let mut out = BTreeMap::new();
        let Some(table) = self.table(value, path) else {
            return out;
        };
        for (key, value) in in_file_order(table) {
            let path = join(path, key.get_ref());
            let Some(decimals) = self.token_on(key.span(), key.get_ref(), chain, &path, index)
            else {
                continue;
            };
            if let Some(amount) = self.amount(value, &path, decimals) {
                out.insert(key.get_ref().to_string(), amount);
            }
        }
        out
    }

    // ----- the sections ---------------------------------------------------

    fn document(&mut self, root: &Spanned<Table<'_>>) -> World {
        let span = root.span();
        let root = root.get_ref();
        self.only_keys(root, &SECTIONS, "");
        self.format(root);
        let mut registry = Registry {
            chains: Vec::new(),
            tokens: Vec::new(),
            protocols: Vec::new(),
            routes: Vec::new(),
        };
        self.chains(root, span.clone(), &mut registry);
        self.tokens(root, span.clone(), &mut registry);
        self.chain_tokens(&registry);
        self.gas_prices(root, &mut registry);
        self.protocols(root, span, &mut registry);
        self.bridges(root, &mut registry);
        let index = Index::of(&registry);
        let mut world = World::empty(registry);
        self.oracle(root, &index, &mut world);
        self.lenders(root, &index, &mut world);
        self.exchanges(root, &index, &mut world);
        self.wallet(root, &index, &mut world);
        self.positions(root, &world);
        world
    }

    /// `format = 1`, optional.
    fn format(&mut self, root: &Table<'_>) {
        let Some(v) = get(root, "format") else { return };
        let Some(n) = self.integer(v, "format", u128::MAX) else {
            return;
        };
        if n != FORMAT as u128 {
            let _: Option<()> = self.fail(
                v.span(),
                "format",
                format!("this runtime reads world format {FORMAT}, not {n}"),
            );
        }
    }
}
