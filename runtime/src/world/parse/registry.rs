//! The registry's sections of a world file: chains, tokens, protocols and
//! bridge routes, each declared whatever its errors (see `mod.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::{get, in_file_order, Parser, Table, Value};
use crate::registry::{
    BridgeKind, ChainInfo, ProtocolInfo, ProtocolKind, Registry, RouteInfo, TokenInfo, MAX_DECIMALS,
};
use crate::world::file::{
    is_address, is_identifier, is_symbol, join, MAX_DELAY_BLOCKS, MAX_ROUTE_GAS,
};

impl Parser<'_> {
    /// `[chains]`: `NAME = { chain_id = N }`, each id once.
    pub(super) fn chains(
        &mut self,
        root: &Table<'_>,
        root_span: Range<usize>,
        registry: &mut Registry,
    ) {
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
            let coins = self.chain_coins(value, &name, &path);
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
            registry.chains.push(ChainInfo {
                native: coins.native,
                wrapped_native: coins.wrapped_native,
                block_time_ms: coins.block_time_ms,
                ..ChainInfo::new(&name, chain_id)
            });
        }
    }

    /// A chain's id, and where it is written.
    fn chain_id(&mut self, value: &Value<'_>, path: &str) -> Option<(u64, Range<usize>)> {
        let t = self.table(value, path)?;
        self.only_keys(t, super::chain::CHAIN_KEYS, path);
        let id = self.required(t, value.span(), "chain_id", path)?;
        let n = self.integer(id, &join(path, "chain_id"), u128::from(u64::MAX))?;
        Some((u64::try_from(n).ok()?, id.span()))
    }

    /// `[tokens]`: `SYMBOL = { decimals, chains, address }`, each address once.
    pub(super) fn tokens(
        &mut self,
        root: &Table<'_>,
        root_span: Range<usize>,
        registry: &mut Registry,
    ) {
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
    pub(super) fn protocols(
        &mut self,
        root: &Table<'_>,
        root_span: Range<usize>,
        registry: &mut Registry,
    ) {
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
    pub(super) fn bridges(&mut self, root: &Table<'_>, registry: &mut Registry) {
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
}
