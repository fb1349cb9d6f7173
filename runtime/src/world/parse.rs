//! Reading a world file: TOML first, then one function per section in the
//! order the sections depend on one another — chains, tokens, protocols,
//! bridge routes (the registry), then lenders, exchanges and the wallet (the
//! state). Every error is collected, in file order, so that a file's errors
//! are reported together. An entry with an error still declares its name,
//! so that a later use of it is not reported again as unknown.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::file::{
    is_address, is_identifier, is_symbol, join, line_column, WorldError, FORMAT, MAX_DELAY_BLOCKS,
    MAX_ROUTE_GAS,
};
use super::key_path::key_path_at;
use super::{Exchange, Lender, Pair, World};
use crate::amount::parse_units;
use crate::registry::{
    BridgeKind, ChainInfo, ProtocolInfo, ProtocolKind, Registry, RouteInfo, TokenInfo, MAX_DECIMALS,
};

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<Cow<'i, str>>;

/// The top-level keys, in the order the canonical file writes them.
const SECTIONS: [&str; 8] = [
    "format",
    "chains",
    "tokens",
    "protocols",
    "bridges",
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
        self.protocols(root, span, &mut registry);
        self.bridges(root, &mut registry);
        let index = Index::of(&registry);
        let mut world = World::empty(registry);
        self.lenders(root, &index, &mut world);
        self.exchanges(root, &index, &mut world);
        self.wallet(root, &index, &mut world);
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

    /// `[chains]`: `NAME = { chain_id = N }`, each id once.
    fn chains(&mut self, root: &Table<'_>, root_span: Range<usize>, registry: &mut Registry) {
        let Some(section) = self.required(root, root_span, "chains", "") else {
            return;
        };
        let Some(table) = self.table(section, "chains") else {
            return;
        };
        let mut ids: BTreeMap<u64, String> = BTreeMap::new();
        for (key, value) in in_file_order(table) {
            let name = key.get_ref().to_string();
            let path = join("chains", &name);
            if !is_identifier(&name) {
                let _: Option<()> = self.fail(
                    key.span(),
                    &path,
                    "a chain name is lower case: letters, digits and `_`, not a keyword",
                );
            }
            // Declared whatever its errors, so that later uses find it.
            let chain_id = self.chain_id(value, &path);
            if let Some((id, span)) = chain_id.clone() {
                if let Some(earlier) = ids.insert(id, name.clone()) {
                    let _: Option<()> = self.fail(
                        span,
                        &join(&path, "chain_id"),
                        format!(
                            "chain id {id} is also the id of `{earlier}`; each chain has its own"
                        ),
                    );
                }
            }
            let chain_id = chain_id.map_or(0, |(id, _)| id);
            registry.chains.push(ChainInfo { name, chain_id });
        }
    }

    /// A chain's id, and where it is written.
    fn chain_id(&mut self, value: &Value<'_>, path: &str) -> Option<(u64, Range<usize>)> {
        let t = self.table(value, path)?;
        self.only_keys(t, &["chain_id"], path);
        let id = self.required(t, value.span(), "chain_id", path)?;
        let n = self.integer(id, &join(path, "chain_id"), u128::from(u64::MAX))?;
        Some((u64::try_from(n).ok()?, id.span()))
    }

    /// `[tokens]`: `SYMBOL = { decimals, chains, address }`, each address once.
    fn tokens(&mut self, root: &Table<'_>, root_span: Range<usize>, registry: &mut Registry) {
        let Some(section) = self.required(root, root_span, "tokens", "") else {
            return;
        };
        let Some(table) = self.table(section, "tokens") else {
            return;
        };
        let all_chains: Vec<String> = registry.chains.iter().map(|c| c.name.clone()).collect();
        let mut addresses: BTreeMap<String, String> = BTreeMap::new();
        for (key, value) in in_file_order(table) {
            let symbol = key.get_ref().to_string();
            let path = join("tokens", &symbol);
            if !is_symbol(&symbol) {
                let _: Option<()> = self.fail(
                    key.span(),
                    &path,
                    "a token symbol is upper case: a letter, then letters and digits",
                );
            }
            match self.token(value, &path, &registry.chains, &all_chains) {
                Some((decimals, chains, address)) => {
                    if let Some((a, span)) = &address {
                        let lower = a.to_ascii_lowercase();
                        if let Some(earlier) = addresses.insert(lower, symbol.clone()) {
                            let _: Option<()> = self.fail(
                                span.clone(),
                                &join(&path, "address"),
                                format!(
                                    "the same address as token `{earlier}`; each token has its own"
                                ),
                            );
                        }
                    }
                    registry.tokens.push(TokenInfo {
                        symbol,
                        decimals,
                        address: address.map(|(a, _)| a),
                        chains,
                    });
                }
                None => {
                    // Declared, so that its uses are not reported as unknown.
                    self.quiet.insert(symbol.clone());
                    registry.tokens.push(TokenInfo {
                        symbol,
                        decimals: 0,
                        address: None,
                        chains: all_chains.clone(),
                    });
                }
            }
        }
    }

    /// One token's declaration: decimals, chains and address (with its span).
    #[allow(clippy::type_complexity)]
    fn token(
        &mut self,
        value: &Value<'_>,
        path: &str,
        chains: &[ChainInfo],
        all_chains: &[String],
    ) -> Option<(u8, Vec<String>, Option<(String, Range<usize>)>)> {
        let t = self.table(value, path)?;
        self.only_keys(t, &["decimals", "chains", "address"], path);
        let decimals = self
            .required(t, value.span(), "decimals", path)
            .and_then(|d| self.integer(d, &join(path, "decimals"), u128::from(MAX_DECIMALS)));
        let listed = match get(t, "chains") {
            Some(v) => self.chain_list(v, &join(path, "chains"), chains),
            None => Some(all_chains.to_vec()),
        };
        let address = match get(t, "address") {
            Some(v) => match self.string(v, &join(path, "address")) {
                Some(a) if is_address(a) => Some(Some((a.to_string(), v.span()))),
                Some(_) => self.fail(
                    v.span(),
                    &join(path, "address"),
                    "an address is `0x` and 40 hex digits",
                ),
                None => None,
            },
            None => Some(None),
        };
        let decimals = u8::try_from(decimals?).ok()?;
        Some((decimals, listed?, address?))
    }

    /// `[protocols]`: `NAME = { kind, chains, premium_bps | fee_bps, … }`.
    fn protocols(&mut self, root: &Table<'_>, root_span: Range<usize>, registry: &mut Registry) {
        let Some(section) = self.required(root, root_span, "protocols", "") else {
            return;
        };
        let Some(table) = self.table(section, "protocols") else {
            return;
        };
        let all_chains: Vec<String> = registry.chains.iter().map(|c| c.name.clone()).collect();
        for (key, value) in in_file_order(table) {
            let name = key.get_ref().to_string();
            let path = join("protocols", &name);
            if !is_identifier(&name) {
                let _: Option<()> = self.fail(
                    key.span(),
                    &path,
                    "a protocol name is lower case: letters, digits and `_`, not a keyword",
                );
            }
            match self.protocol(value, &name, &path, &registry.chains, &all_chains) {
                Some(info) => registry.protocols.push(info),
                None => {
                    self.quiet.insert(name);
                }
            }
        }
    }

    fn protocol(
        &mut self,
        value: &Value<'_>,
        name: &str,
        path: &str,
        chains: &[ChainInfo],
        all_chains: &[String],
    ) -> Option<ProtocolInfo> {
        let t = self.table(value, path)?;
        let kind_v = self.required(t, value.span(), "kind", path)?;
        let kind = match self.string(kind_v, &join(path, "kind"))? {
            "lender" => ProtocolKind::Lender,
            "exchange" => ProtocolKind::Exchange,
            other => {
                return self.fail(
                    kind_v.span(),
                    &join(path, "kind"),
                    format!("unknown protocol kind `{other}`; expected `lender` or `exchange`"),
                )
            }
        };
        let listed = match get(t, "chains") {
            Some(v) => self.chain_list(v, &join(path, "chains"), chains),
            None => Some(all_chains.to_vec()),
        };
        let mut info = ProtocolInfo {
            name: name.to_string(),
            kind,
            chains: Vec::new(),
            premium_bps: 0,
            flash_loans: false,
            fee_bps: 0,
        };
        let mut ok = true;
        match kind {
            ProtocolKind::Lender => {
                self.only_keys(t, &["kind", "chains", "premium_bps", "flash_loans"], path);
                let premium = self
                    .required(t, value.span(), "premium_bps", path)
                    .and_then(|p| self.integer(p, &join(path, "premium_bps"), 10_000));
                match premium {
                    Some(p) => info.premium_bps = p as u32,
                    None => ok = false,
                }
                if let Some(f) = get(t, "flash_loans") {
                    match self.bool(f, &join(path, "flash_loans")) {
                        Some(b) => info.flash_loans = b,
                        None => ok = false,
                    }
                }
            }
            ProtocolKind::Exchange => {
                self.only_keys(t, &["kind", "chains", "fee_bps"], path);
                let fee = self
                    .required(t, value.span(), "fee_bps", path)
                    .and_then(|f| self.integer(f, &join(path, "fee_bps"), 9_999));
                match fee {
                    Some(f) => info.fee_bps = f as u32,
                    None => ok = false,
                }
            }
        }
        info.chains = listed?;
        ok.then_some(info)
    }

    /// `[bridges]`: `routes = [ { from, to, kind, delay_blocks, gas, fee_bps, security }, … ]`.
    fn bridges(&mut self, root: &Table<'_>, registry: &mut Registry) {
        let Some(section) = get(root, "bridges") else {
            return;
        };
        let Some(bridges) = self.table(section, "bridges") else {
            return;
        };
        self.only_keys(bridges, &["routes"], "bridges");
        let Some(routes_v) = get(bridges, "routes") else {
            return;
        };
        let Some(routes) = routes_v.get_ref().as_array() else {
            let _: Option<()> = self.fail(
                routes_v.span(),
                "bridges.routes",
                "expected an array of routes",
            );
            return;
        };
        let mut seen = BTreeSet::new();
        for (i, route_v) in routes.iter().enumerate() {
            let path = format!("bridges.routes[{i}]");
            let Some(route) = self.route(route_v, &path, registry) else {
                continue;
            };
            if !seen.insert((route.from.clone(), route.to.clone(), route.kind)) {
                let _: Option<()> = self.fail(
                    route_v.span(),
                    &path,
                    format!(
                        "a second {} route from {} to {}",
                        route.kind, route.from, route.to
                    ),
                );
                continue;
            }
            registry.routes.push(route);
        }
    }

    fn route(&mut self, route_v: &Value<'_>, path: &str, registry: &Registry) -> Option<RouteInfo> {
        let t = self.table(route_v, path)?;
        let fields = [
            "from",
            "to",
            "kind",
            "delay_blocks",
            "gas",
            "fee_bps",
            "security",
        ];
        self.only_keys(t, &fields, path);
        let chain = |p: &mut Self, key: &str| -> Option<(String, Range<usize>)> {
            let v = p.required(t, route_v.span(), key, path)?;
            let name = p.string(v, &join(path, key))?;
            if registry.chain(name).is_none() {
                return p.fail(
                    v.span(),
                    &join(path, key),
                    format!("unknown chain `{name}`"),
                );
            }
            Some((name.to_string(), v.span()))
        };
        let from = chain(self, "from");
        let to = chain(self, "to");
        let kind =
            self.required(t, route_v.span(), "kind", path)
                .and_then(|v| {
                    let name = self.string(v, &join(path, "kind"))?;
                    match BridgeKind::from_name(name) {
                Some(k) => Some(k),
                None => self.fail(
                    v.span(),
                    &join(path, "kind"),
                    format!("unknown bridge kind `{name}`; expected `htlb`, `zk` or `threshold`"),
                ),
            }
                });
        let mut number = |key: &str, max: u128| -> Option<u128> {
            let v = self.required(t, route_v.span(), key, path)?;
            self.integer(v, &join(path, key), max)
        };
        let delay_blocks = number("delay_blocks", u128::from(MAX_DELAY_BLOCKS));
        let gas = number("gas", u128::from(MAX_ROUTE_GAS));
        let fee_bps = number("fee_bps", 10_000);
        let security = number("security", u128::from(u8::MAX));
        let ((from, _), (to, to_span)) = (from?, to?);
        if from == to {
            return self.fail(
                to_span,
                &join(path, "to"),
                "a route joins two different chains",
            );
        }
        Some(RouteInfo {
            from,
            to,
            kind: kind?,
            delay_blocks: u64::try_from(delay_blocks?).ok()?,
            gas: u64::try_from(gas?).ok()?,
            fee_bps: u32::try_from(fee_bps?).ok()?,
            security: u8::try_from(security?).ok()?,
        })
    }

    /// `[lenders.CHAIN.PROTOCOL]`: `liquidity` and `deposits`.
    fn lenders(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
        let Some(section) = get(root, "lenders") else {
            return;
        };
        let Some(chains) = self.table(section, "lenders") else {
            return;
        };
        for (chain_k, chain_v) in in_file_order(chains) {
            let chain_path = join("lenders", chain_k.get_ref());
            let Some(chain) = self.known_chain(chain_k, &chain_path, index) else {
                continue;
            };
            let Some(protocols) = self.table(chain_v, &chain_path) else {
                continue;
            };
            for (proto_k, proto_v) in in_file_order(protocols) {
                let path = join(&chain_path, proto_k.get_ref());
                let kind = ProtocolKind::Lender;
                if self
                    .protocol_on(proto_k, &chain, kind, &path, index)
                    .is_none()
                {
                    continue;
                }
                let Some(t) = self.table(proto_v, &path) else {
                    continue;
                };
                self.only_keys(t, &["liquidity", "deposits"], &path);
                let mut lender = Lender::default();
                if let Some(v) = get(t, "liquidity") {
                    let at = join(&path, "liquidity");
                    lender.liquidity = self.token_amounts(v, &at, &chain, index);
                }
                if let Some(v) = get(t, "deposits") {
                    let at = join(&path, "deposits");
                    lender.deposits = self.token_amounts(v, &at, &chain, index);
                }
                world
                    .lenders
                    .entry(chain.clone())
                    .or_default()
                    .insert(proto_k.get_ref().to_string(), lender);
            }
        }
    }

    /// `[exchanges.CHAIN.PROTOCOL]`: `"A/B" = [reserve of A, reserve of B]`.
    fn exchanges(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
        let Some(section) = get(root, "exchanges") else {
            return;
        };
        let Some(chains) = self.table(section, "exchanges") else {
            return;
        };
        for (chain_k, chain_v) in in_file_order(chains) {
            let chain_path = join("exchanges", chain_k.get_ref());
            let Some(chain) = self.known_chain(chain_k, &chain_path, index) else {
                continue;
            };
            let Some(protocols) = self.table(chain_v, &chain_path) else {
                continue;
            };
            for (proto_k, proto_v) in in_file_order(protocols) {
                let path = join(&chain_path, proto_k.get_ref());
                let kind = ProtocolKind::Exchange;
                if self
                    .protocol_on(proto_k, &chain, kind, &path, index)
                    .is_none()
                {
                    continue;
                }
                let Some(pairs) = self.table(proto_v, &path) else {
                    continue;
                };
                let mut exchange = Exchange::default();
                let mut written: BTreeMap<(String, String), String> = BTreeMap::new();
                for (pair_k, pair_v) in in_file_order(pairs) {
                    let pair_path = join(&path, pair_k.get_ref());
                    let Some((key, pair)) = self.pair(pair_k, pair_v, &pair_path, &chain, index)
                    else {
                        continue;
                    };
                    if let Some(earlier) = written.insert(key.clone(), pair_k.get_ref().to_string())
                    {
                        let _: Option<()> = self.fail(
                            pair_k.span(),
                            &pair_path,
                            format!("duplicate pair: the same pair as \"{earlier}\" above"),
                        );
                        continue;
                    }
                    exchange.pairs.insert(key, pair);
                }
                world
                    .exchanges
                    .entry(chain.clone())
                    .or_default()
                    .insert(proto_k.get_ref().to_string(), exchange);
            }
        }
    }

    /// One pair: its key `(token0, token1)` and reserves in that order.
    fn pair(
        &mut self,
        pair_k: &Key<'_>,
        pair_v: &Value<'_>,
        path: &str,
        chain: &str,
        index: &Index,
    ) -> Option<((String, String), Pair)> {
        let name = pair_k.get_ref().as_ref();
        let tokens: Vec<&str> = name.split('/').collect();
        let [a, b] = tokens[..] else {
            let found = if tokens.len() == 1 {
                "no `/`".to_string()
            } else {
                format!("{} tokens", tokens.len())
            };
            return self.fail(
                pair_k.span(),
                path,
                format!("a pair is two tokens written \"TOKEN/TOKEN\", like \"WETH/USDC\"; found {found}"),
            );
        };
        let da = self.token_on(pair_k.span(), a, chain, path, index);
        let db = self.token_on(pair_k.span(), b, chain, path, index);
        let (da, db) = (da?, db?);
        if a == b {
            return self.fail(pair_k.span(), path, "a pair joins two different tokens");
        }
        let Some(reserves) = pair_v.get_ref().as_array().filter(|r| r.len() == 2) else {
            return self.fail(
                pair_v.span(),
                path,
                format!("expected the two reserves, [{a} amount, {b} amount]"),
            );
        };
        let ra = self.amount(&reserves[0], path, da);
        let rb = self.amount(&reserves[1], path, db);
        let (ra, rb) = (ra?, rb?);
        let mut ok = true;
        for (r, v, t) in [(ra, &reserves[0], a), (rb, &reserves[1], b)] {
            if r == 0 {
                ok = false;
                let _: Option<()> =
                    self.fail(v.span(), path, format!("the {t} reserve must be positive"));
            }
        }
        if !ok {
            return None;
        }
        let pair = if a <= b {
            Pair {
                reserve0: ra,
                reserve1: rb,
            }
        } else {
            Pair {
                reserve0: rb,
                reserve1: ra,
            }
        };
        Some((Exchange::pair_key(a, b), pair))
    }

    /// `[wallet.CHAIN]`: `TOKEN = AMOUNT`.
    fn wallet(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
        let Some(section) = get(root, "wallet") else {
            return;
        };
        let Some(chains) = self.table(section, "wallet") else {
            return;
        };
        for (chain_k, chain_v) in in_file_order(chains) {
            let path = join("wallet", chain_k.get_ref());
            let Some(chain) = self.known_chain(chain_k, &path, index) else {
                continue;
            };
            let amounts = self.token_amounts(chain_v, &path, &chain, index);
            world.wallets.insert(chain, amounts);
        }
    }
}
