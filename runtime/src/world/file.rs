//! The world file: strict parsing with file, line and key in every error,
//! and deterministic writing. The format is documented in docs/world.md.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::{Exchange, Lender, Pair, World};
use crate::amount::{format_units, parse_units};
use crate::registry::{
    BridgeKind, ChainInfo, ProtocolInfo, ProtocolKind, Registry, RouteInfo, TokenInfo, MAX_DECIMALS,
};

/// The version of the world file format that this runtime reads and writes.
pub const FORMAT: i64 = 1;

/// A world file that cannot be read: where, which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorldError {
    pub file: String,
    /// 1-based; 0 when the error has no position (an I/O error).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The dotted path of the key at fault (`exchanges.polygon.uniswap_v2."WETH/USDC"`),
    /// empty for a syntax or I/O error.
    pub key: String,
    pub message: String,
}

impl WorldError {
    pub(crate) fn io(path: &Path, e: &std::io::Error) -> WorldError {
        WorldError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the world file: {e}"),
        }
    }
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for WorldError {}

/// The language's keywords (LANGUAGE.md §1): a world may not name a chain,
/// protocol or invariant with one, since no source could then refer to it.
/// The runtime does not depend on the grammar crate; a compiler test checks
/// that this list equals `mesh_grammar::KEYWORDS`.
pub const RESERVED_WORDS: &[&str] = &[
    "bundle",
    "on",
    "let",
    "borrow",
    "repay",
    "swap",
    "deposit",
    "withdraw",
    "bridge",
    "from",
    "to",
    "into",
    "for",
    "via",
    "parallel",
    "and",
    "require",
    "input",
    "all",
    "token",
    "decimals",
    "at",
    "constraints",
    "deadline",
    "max_gas",
    "min_balance",
    "invariant",
];

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !RESERVED_WORDS.contains(&s)
}

fn is_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn is_address(s: &str) -> bool {
    s.len() == 42 && s.starts_with("0x") && s[2..].chars().all(|c| c.is_ascii_hexdigit())
}

/// A key as it appears in a dotted path: bare when TOML allows it.
fn key_text(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        quote(key)
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key_text(key)
    } else {
        format!("{path}.{}", key_text(key))
    }
}

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<std::borrow::Cow<'i, str>>;

/// A table's entries in the order they appear in the file, so that the
/// first error in the file is the one reported.
fn in_file_order<'v, 'i>(table: &'v Table<'i>) -> Vec<(&'v Key<'i>, &'v Value<'i>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
}

impl<'a> Parser<'a> {
    fn error(&self, span: Range<usize>, key: &str, message: impl Into<String>) -> WorldError {
        let offset = span.start.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = self.text[line_start..offset].chars().count() + 1;
        WorldError {
            file: self.file.to_string(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        }
    }

    fn table<'v, 'i>(&self, value: &'v Value<'i>, path: &str) -> Result<&'v Table<'i>, WorldError> {
        value.get_ref().as_table().ok_or_else(|| {
            self.error(
                value.span(),
                path,
                format!("expected a table, found {}", value.get_ref().type_str()),
            )
        })
    }

    /// Rejects every key of `table` not in `allowed`.
    fn only_keys(&self, table: &Table<'_>, allowed: &[&str], path: &str) -> Result<(), WorldError> {
        for (key, _) in in_file_order(table) {
            if !allowed.contains(&key.get_ref().as_ref()) {
                let expected = allowed
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(self.error(
                    key.span(),
                    &join(path, key.get_ref()),
                    format!("unknown key; expected one of {expected}"),
                ));
            }
        }
        Ok(())
    }

    fn get<'v, 'i>(&self, table: &'v Table<'i>, key: &str) -> Option<&'v Value<'i>> {
        table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn required<'v, 'i>(
        &self,
        table: &'v Table<'i>,
        table_span: Range<usize>,
        key: &str,
        path: &str,
    ) -> Result<&'v Value<'i>, WorldError> {
        self.get(table, key)
            .ok_or_else(|| self.error(table_span, &join(path, key), "missing key"))
    }

    fn string<'v>(&self, value: &'v Value<'_>, path: &str) -> Result<&'v str, WorldError> {
        value.get_ref().as_str().ok_or_else(|| {
            self.error(
                value.span(),
                path,
                format!("expected a string, found {}", value.get_ref().type_str()),
            )
        })
    }

    fn integer(&self, value: &Value<'_>, path: &str, max: u128) -> Result<u128, WorldError> {
        let Some(int) = value.get_ref().as_integer() else {
            return Err(self.error(
                value.span(),
                path,
                format!("expected an integer, found {}", value.get_ref().type_str()),
            ));
        };
        let n = i128::from_str_radix(int.as_str(), int.radix())
            .map_err(|_| self.error(value.span(), path, "integer out of range"))?;
        if n < 0 {
            return Err(self.error(value.span(), path, "must not be negative"));
        }
        let n = n as u128;
        if n > max {
            return Err(self.error(value.span(), path, format!("must be at most {max}")));
        }
        Ok(n)
    }

    fn bool(&self, value: &Value<'_>, path: &str) -> Result<bool, WorldError> {
        value.get_ref().as_bool().ok_or_else(|| {
            self.error(
                value.span(),
                path,
                format!(
                    "expected true or false, found {}",
                    value.get_ref().type_str()
                ),
            )
        })
    }

    /// An amount of a token: a decimal string in whole tokens, or an integer.
    fn amount(&self, value: &Value<'_>, path: &str, decimals: u8) -> Result<u128, WorldError> {
        let text = match value.get_ref() {
            DeValue::String(s) => s.to_string(),
            DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
            DeValue::Float(_) => {
                return Err(self.error(
                    value.span(),
                    path,
                    "a float is inexact; write the amount as a string, like \"0.15\"",
                ))
            }
            other => {
                return Err(self.error(
                    value.span(),
                    path,
                    format!(
                        "expected an amount (a string like \"0.15\"), found {}",
                        other.type_str()
                    ),
                ))
            }
        };
        parse_units(&text, decimals)
            .map_err(|e| self.error(value.span(), path, format!("amount \"{text}\" {e}")))
    }

    /// A list of known chains, without repeats.
    fn chain_list(
        &self,
        value: &Value<'_>,
        path: &str,
        chains: &[ChainInfo],
    ) -> Result<Vec<String>, WorldError> {
        let Some(array) = value.get_ref().as_array() else {
            return Err(self.error(value.span(), path, "expected an array of chain names"));
        };
        let mut out = Vec::new();
        for item in array.iter() {
            let name = self.string(item, path)?;
            if !chains.iter().any(|c| c.name == name) {
                return Err(self.error(item.span(), path, format!("unknown chain `{name}`")));
            }
            if out.iter().any(|c| c == name) {
                return Err(self.error(item.span(), path, format!("chain `{name}` listed twice")));
            }
            out.push(name.to_string());
        }
        Ok(out)
    }

    fn known_chain(
        &self,
        key: &Spanned<std::borrow::Cow<'_, str>>,
        path: &str,
        registry: &Registry,
    ) -> Result<String, WorldError> {
        let name = key.get_ref().as_ref();
        if registry.chain(name).is_none() {
            return Err(self.error(key.span(), path, format!("unknown chain `{name}`")));
        }
        Ok(name.to_string())
    }

    /// A token that exists on `chain`: its decimals.
    fn token_on(
        &self,
        span: Range<usize>,
        symbol: &str,
        chain: &str,
        path: &str,
        registry: &Registry,
    ) -> Result<u8, WorldError> {
        let Some(token) = registry.token(symbol) else {
            return Err(self.error(span, path, format!("unknown token `{symbol}`")));
        };
        if !registry.token_on_chain(symbol, chain) {
            return Err(self.error(
                span,
                path,
                format!("token `{symbol}` does not exist on {chain}"),
            ));
        }
        Ok(token.decimals)
    }

    fn token_amounts(
        &self,
        value: &Value<'_>,
        path: &str,
        chain: &str,
        registry: &Registry,
    ) -> Result<BTreeMap<String, u128>, WorldError> {
        let table = self.table(value, path)?;
        let mut out = BTreeMap::new();
        for (key, value) in in_file_order(table) {
            let path = join(path, key.get_ref());
            let decimals = self.token_on(key.span(), key.get_ref(), chain, &path, registry)?;
            let amount = self.amount(value, &path, decimals)?;
            out.insert(key.get_ref().to_string(), amount);
        }
        Ok(out)
    }

    fn parse(&self) -> Result<World, WorldError> {
        let root = DeTable::parse(self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            // Name the key of a duplicate-key error: the text at its span.
            let key = self
                .text
                .get(span.clone())
                .filter(|k| e.message().contains("key") && !k.is_empty() && !k.contains('\n'))
                .unwrap_or("");
            self.error(span, key.trim(), e.message().trim().to_string())
        })?;
        let root_span = root.span();
        let root = root.get_ref();
        self.only_keys(
            root,
            &[
                "format",
                "chains",
                "tokens",
                "protocols",
                "bridges",
                "lenders",
                "exchanges",
                "wallet",
            ],
            "",
        )?;
        if let Some(v) = self.get(root, "format") {
            let n = self.integer(v, "format", u128::MAX)?;
            if n != FORMAT as u128 {
                return Err(self.error(
                    v.span(),
                    "format",
                    format!("this runtime reads world format {FORMAT}, not {n}"),
                ));
            }
        }

        let mut registry = Registry {
            chains: Vec::new(),
            tokens: Vec::new(),
            protocols: Vec::new(),
            routes: Vec::new(),
        };

        // Chains.
        let chains_v = self.required(root, root_span.clone(), "chains", "")?;
        for (key, value) in in_file_order(self.table(chains_v, "chains")?) {
            let path = join("chains", key.get_ref());
            if !is_identifier(key.get_ref()) {
                return Err(self.error(
                    key.span(),
                    &path,
                    "a chain name is lower case: letters, digits and `_`, not a keyword",
                ));
            }
            let t = self.table(value, &path)?;
            self.only_keys(t, &["chain_id"], &path)?;
            let id = self.required(t, value.span(), "chain_id", &path)?;
            let chain_id = self.integer(id, &join(&path, "chain_id"), u128::from(u64::MAX))? as u64;
            registry.chains.push(ChainInfo {
                name: key.get_ref().to_string(),
                chain_id,
            });
        }
        let all_chains: Vec<String> = registry.chains.iter().map(|c| c.name.clone()).collect();

        // Tokens.
        let tokens_v = self.required(root, root_span.clone(), "tokens", "")?;
        for (key, value) in in_file_order(self.table(tokens_v, "tokens")?) {
            let path = join("tokens", key.get_ref());
            if !is_symbol(key.get_ref()) {
                return Err(self.error(
                    key.span(),
                    &path,
                    "a token symbol is upper case: a letter, then letters and digits",
                ));
            }
            let t = self.table(value, &path)?;
            self.only_keys(t, &["decimals", "chains", "address"], &path)?;
            let d = self.required(t, value.span(), "decimals", &path)?;
            let decimals =
                self.integer(d, &join(&path, "decimals"), u128::from(MAX_DECIMALS))? as u8;
            let chains = match self.get(t, "chains") {
                Some(v) => self.chain_list(v, &join(&path, "chains"), &registry.chains)?,
                None => all_chains.clone(),
            };
            let address = match self.get(t, "address") {
                Some(v) => {
                    let a = self.string(v, &join(&path, "address"))?;
                    if !is_address(a) {
                        return Err(self.error(
                            v.span(),
                            &join(&path, "address"),
                            "an address is `0x` and 40 hex digits",
                        ));
                    }
                    Some(a.to_string())
                }
                None => None,
            };
            registry.tokens.push(TokenInfo {
                symbol: key.get_ref().to_string(),
                decimals,
                address,
                chains,
            });
        }

        // Protocols.
        let protocols_v = self.required(root, root_span.clone(), "protocols", "")?;
        for (key, value) in in_file_order(self.table(protocols_v, "protocols")?) {
            let path = join("protocols", key.get_ref());
            if !is_identifier(key.get_ref()) {
                return Err(self.error(
                    key.span(),
                    &path,
                    "a protocol name is lower case: letters, digits and `_`, not a keyword",
                ));
            }
            let t = self.table(value, &path)?;
            let kind_v = self.required(t, value.span(), "kind", &path)?;
            let kind = match self.string(kind_v, &join(&path, "kind"))? {
                "lender" => ProtocolKind::Lender,
                "exchange" => ProtocolKind::Exchange,
                other => {
                    return Err(self.error(
                        kind_v.span(),
                        &join(&path, "kind"),
                        format!("unknown protocol kind `{other}`; expected `lender` or `exchange`"),
                    ))
                }
            };
            let chains = match self.get(t, "chains") {
                Some(v) => self.chain_list(v, &join(&path, "chains"), &registry.chains)?,
                None => all_chains.clone(),
            };
            let mut info = ProtocolInfo {
                name: key.get_ref().to_string(),
                kind,
                chains,
                premium_bps: 0,
                flash_loans: false,
                fee_bps: 0,
            };
            match kind {
                ProtocolKind::Lender => {
                    self.only_keys(t, &["kind", "chains", "premium_bps", "flash_loans"], &path)?;
                    let p = self.required(t, value.span(), "premium_bps", &path)?;
                    info.premium_bps = self.integer(p, &join(&path, "premium_bps"), 10_000)? as u32;
                    if let Some(f) = self.get(t, "flash_loans") {
                        info.flash_loans = self.bool(f, &join(&path, "flash_loans"))?;
                    }
                }
                ProtocolKind::Exchange => {
                    self.only_keys(t, &["kind", "chains", "fee_bps"], &path)?;
                    let f = self.required(t, value.span(), "fee_bps", &path)?;
                    info.fee_bps = self.integer(f, &join(&path, "fee_bps"), 9_999)? as u32;
                }
            }
            registry.protocols.push(info);
        }

        // Bridge routes.
        if let Some(bridges_v) = self.get(root, "bridges") {
            let bridges = self.table(bridges_v, "bridges")?;
            self.only_keys(bridges, &["routes"], "bridges")?;
            if let Some(routes_v) = self.get(bridges, "routes") {
                let Some(routes) = routes_v.get_ref().as_array() else {
                    return Err(self.error(
                        routes_v.span(),
                        "bridges.routes",
                        "expected an array of routes",
                    ));
                };
                let mut seen = BTreeSet::new();
                for (i, route_v) in routes.iter().enumerate() {
                    let path = format!("bridges.routes[{i}]");
                    let t = self.table(route_v, &path)?;
                    self.only_keys(
                        t,
                        &[
                            "from",
                            "to",
                            "kind",
                            "delay_blocks",
                            "gas",
                            "fee_bps",
                            "security",
                        ],
                        &path,
                    )?;
                    let chain = |key: &str| -> Result<String, WorldError> {
                        let v = self.required(t, route_v.span(), key, &path)?;
                        let name = self.string(v, &join(&path, key))?;
                        if registry.chain(name).is_none() {
                            return Err(self.error(
                                v.span(),
                                &join(&path, key),
                                format!("unknown chain `{name}`"),
                            ));
                        }
                        Ok(name.to_string())
                    };
                    let from = chain("from")?;
                    let to = chain("to")?;
                    if from == to {
                        let v = self.required(t, route_v.span(), "to", &path)?;
                        return Err(self.error(
                            v.span(),
                            &join(&path, "to"),
                            "a route joins two different chains",
                        ));
                    }
                    let kind_v = self.required(t, route_v.span(), "kind", &path)?;
                    let kind_name = self.string(kind_v, &join(&path, "kind"))?;
                    let Some(kind) = BridgeKind::from_name(kind_name) else {
                        return Err(self.error(
                            kind_v.span(),
                            &join(&path, "kind"),
                            format!("unknown bridge kind `{kind_name}`; expected `htlb`, `zk` or `threshold`"),
                        ));
                    };
                    if !seen.insert((from.clone(), to.clone(), kind)) {
                        return Err(self.error(
                            route_v.span(),
                            &path,
                            format!("a second {kind} route from {from} to {to}"),
                        ));
                    }
                    let number = |key: &str, max: u128| -> Result<u128, WorldError> {
                        let v = self.required(t, route_v.span(), key, &path)?;
                        self.integer(v, &join(&path, key), max)
                    };
                    let delay_blocks = number("delay_blocks", u128::from(u64::MAX))? as u64;
                    let gas = number("gas", u128::from(u64::MAX))? as u64;
                    let fee_bps = number("fee_bps", 10_000)? as u32;
                    let security = number("security", u128::from(u8::MAX))? as u8;
                    registry.routes.push(RouteInfo {
                        from,
                        to,
                        kind,
                        delay_blocks,
                        gas,
                        fee_bps,
                        security,
                    });
                }
            }
        }

        let mut world = World::empty(registry);

        // Lenders.
        if let Some(lenders_v) = self.get(root, "lenders") {
            for (chain_k, chain_v) in in_file_order(self.table(lenders_v, "lenders")?) {
                let chain_path = join("lenders", chain_k.get_ref());
                let chain = self.known_chain(chain_k, &chain_path, &world.registry)?;
                for (proto_k, proto_v) in in_file_order(self.table(chain_v, &chain_path)?) {
                    let path = join(&chain_path, proto_k.get_ref());
                    let name = proto_k.get_ref().as_ref();
                    self.protocol_on(
                        proto_k.span(),
                        name,
                        &chain,
                        ProtocolKind::Lender,
                        &path,
                        &world.registry,
                    )?;
                    let t = self.table(proto_v, &path)?;
                    self.only_keys(t, &["liquidity", "deposits"], &path)?;
                    let mut lender = Lender::default();
                    if let Some(v) = self.get(t, "liquidity") {
                        lender.liquidity = self.token_amounts(
                            v,
                            &join(&path, "liquidity"),
                            &chain,
                            &world.registry,
                        )?;
                    }
                    if let Some(v) = self.get(t, "deposits") {
                        lender.deposits = self.token_amounts(
                            v,
                            &join(&path, "deposits"),
                            &chain,
                            &world.registry,
                        )?;
                    }
                    world
                        .lenders
                        .entry(chain.clone())
                        .or_default()
                        .insert(name.to_string(), lender);
                }
            }
        }

        // Exchanges.
        if let Some(exchanges_v) = self.get(root, "exchanges") {
            for (chain_k, chain_v) in in_file_order(self.table(exchanges_v, "exchanges")?) {
                let chain_path = join("exchanges", chain_k.get_ref());
                let chain = self.known_chain(chain_k, &chain_path, &world.registry)?;
                for (proto_k, proto_v) in in_file_order(self.table(chain_v, &chain_path)?) {
                    let path = join(&chain_path, proto_k.get_ref());
                    let name = proto_k.get_ref().as_ref();
                    self.protocol_on(
                        proto_k.span(),
                        name,
                        &chain,
                        ProtocolKind::Exchange,
                        &path,
                        &world.registry,
                    )?;
                    let mut exchange = Exchange::default();
                    let mut written: BTreeMap<(String, String), String> = BTreeMap::new();
                    for (pair_k, pair_v) in in_file_order(self.table(proto_v, &path)?) {
                        let pair_path = join(&path, pair_k.get_ref());
                        let Some((a, b)) = pair_k.get_ref().split_once('/') else {
                            return Err(self.error(
                                pair_k.span(),
                                &pair_path,
                                "a pair is written \"TOKEN/TOKEN\", like \"WETH/USDC\"",
                            ));
                        };
                        let da =
                            self.token_on(pair_k.span(), a, &chain, &pair_path, &world.registry)?;
                        let db =
                            self.token_on(pair_k.span(), b, &chain, &pair_path, &world.registry)?;
                        if a == b {
                            return Err(self.error(
                                pair_k.span(),
                                &pair_path,
                                "a pair joins two different tokens",
                            ));
                        }
                        let reserves = pair_v
                            .get_ref()
                            .as_array()
                            .filter(|r| r.len() == 2)
                            .ok_or_else(|| {
                                self.error(
                                    pair_v.span(),
                                    &pair_path,
                                    format!("expected the two reserves, [{a} amount, {b} amount]"),
                                )
                            })?;
                        let ra = self.amount(&reserves[0], &pair_path, da)?;
                        let rb = self.amount(&reserves[1], &pair_path, db)?;
                        for (r, v, t) in [(ra, &reserves[0], a), (rb, &reserves[1], b)] {
                            if r == 0 {
                                return Err(self.error(
                                    v.span(),
                                    &pair_path,
                                    format!("the {t} reserve must be positive"),
                                ));
                            }
                        }
                        let key = Exchange::pair_key(a, b);
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
                        if let Some(earlier) =
                            written.insert(key.clone(), pair_k.get_ref().to_string())
                        {
                            return Err(self.error(
                                pair_k.span(),
                                &pair_path,
                                format!("duplicate pair: the same pair as \"{earlier}\" above"),
                            ));
                        }
                        exchange.pairs.insert(key, pair);
                    }
                    world
                        .exchanges
                        .entry(chain.clone())
                        .or_default()
                        .insert(name.to_string(), exchange);
                }
            }
        }

        // The wallet.
        if let Some(wallet_v) = self.get(root, "wallet") {
            for (chain_k, chain_v) in in_file_order(self.table(wallet_v, "wallet")?) {
                let path = join("wallet", chain_k.get_ref());
                let chain = self.known_chain(chain_k, &path, &world.registry)?;
                let amounts = self.token_amounts(chain_v, &path, &chain, &world.registry)?;
                world.wallets.insert(chain, amounts);
            }
        }

        Ok(world)
    }

    fn protocol_on(
        &self,
        span: Range<usize>,
        name: &str,
        chain: &str,
        kind: ProtocolKind,
        path: &str,
        registry: &Registry,
    ) -> Result<(), WorldError> {
        let Some(p) = registry.protocol(name) else {
            return Err(self.error(span, path, format!("unknown protocol `{name}`")));
        };
        if p.kind != kind {
            return Err(self.error(
                span,
                path,
                format!(
                    "`{name}` is {}, not {}",
                    p.kind.with_article(),
                    kind.with_article()
                ),
            ));
        }
        if !registry.protocol_on_chain(name, chain) {
            return Err(self.error(span, path, format!("`{name}` is not deployed on {chain}")));
        }
        Ok(())
    }
}

pub(super) fn parse(text: &str, file: &str) -> Result<World, WorldError> {
    Parser { text, file }.parse()
}

fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn amounts_inline(amounts: &BTreeMap<String, u128>, registry: &Registry) -> String {
    let parts: Vec<String> = amounts
        .iter()
        .map(|(t, v)| {
            format!(
                "{} = {}",
                key_text(t),
                quote(&format_amount(*v, t, registry))
            )
        })
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn format_amount(value: u128, token: &str, registry: &Registry) -> String {
    let decimals = registry.token(token).map_or(0, |t| t.decimals);
    format_units(value, decimals)
}

pub(super) fn write(world: &World) -> String {
    let mut w = world.clone();
    w.normalize();
    let r = &w.registry;
    let mut out = String::new();
    out.push_str("# A Mesh world: the registry (chains, tokens, protocols, bridge routes) and\n");
    out.push_str("# the state (lenders, exchange pairs, the wallet). Format: docs/world.md.\n");
    let _ = writeln!(out, "format = {FORMAT}");

    out.push_str("\n[chains]\n");
    for c in &r.chains {
        let _ = writeln!(
            out,
            "{} = {{ chain_id = {} }}",
            key_text(&c.name),
            c.chain_id
        );
    }

    out.push_str("\n[tokens]\n");
    for t in &r.tokens {
        let _ = write!(
            out,
            "{} = {{ decimals = {}, chains = {}",
            key_text(&t.symbol),
            t.decimals,
            string_list(&t.chains)
        );
        if let Some(a) = &t.address {
            let _ = write!(out, ", address = {}", quote(a));
        }
        out.push_str(" }\n");
    }

    out.push_str("\n[protocols]\n");
    for p in &r.protocols {
        let _ = write!(
            out,
            "{} = {{ kind = {}, chains = {}",
            key_text(&p.name),
            quote(p.kind.as_str()),
            string_list(&p.chains)
        );
        match p.kind {
            ProtocolKind::Lender => {
                let _ = write!(
                    out,
                    ", premium_bps = {}, flash_loans = {}",
                    p.premium_bps, p.flash_loans
                );
            }
            ProtocolKind::Exchange => {
                let _ = write!(out, ", fee_bps = {}", p.fee_bps);
            }
        }
        out.push_str(" }\n");
    }

    out.push_str("\n[bridges]\nroutes = [\n");
    for route in &r.routes {
        let _ = writeln!(
            out,
            "    {{ from = {}, to = {}, kind = {}, delay_blocks = {}, gas = {}, fee_bps = {}, security = {} }},",
            quote(&route.from),
            quote(&route.to),
            quote(route.kind.as_str()),
            route.delay_blocks,
            route.gas,
            route.fee_bps,
            route.security
        );
    }
    out.push_str("]\n");

    for (chain, lenders) in &w.lenders {
        for (name, lender) in lenders {
            let _ = writeln!(out, "\n[lenders.{}.{}]", key_text(chain), key_text(name));
            if !lender.liquidity.is_empty() {
                let _ = writeln!(out, "liquidity = {}", amounts_inline(&lender.liquidity, r));
            }
            if !lender.deposits.is_empty() {
                let _ = writeln!(out, "deposits = {}", amounts_inline(&lender.deposits, r));
            }
        }
    }

    for (chain, exchanges) in &w.exchanges {
        for (name, exchange) in exchanges {
            let _ = writeln!(out, "\n[exchanges.{}.{}]", key_text(chain), key_text(name));
            for ((t0, t1), pair) in &exchange.pairs {
                let _ = writeln!(
                    out,
                    "{} = [{}, {}]",
                    quote(&format!("{t0}/{t1}")),
                    quote(&format_amount(pair.reserve0, t0, r)),
                    quote(&format_amount(pair.reserve1, t1, r))
                );
            }
        }
    }

    for (chain, balances) in &w.wallets {
        let _ = writeln!(out, "\n[wallet.{}]", key_text(chain));
        for (token, amount) in balances {
            let _ = writeln!(
                out,
                "{} = {}",
                key_text(token),
                quote(&format_amount(*amount, token, r))
            );
        }
    }
    out
}
