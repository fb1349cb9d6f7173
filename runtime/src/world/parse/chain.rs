//! A chain's own figures beside its id: its native coin and the token that
//! wraps it, its block time and its gas price. The tokens they name are
//! checked once `[tokens]` is read, and the gas price, given in gwei of the
//! native coin, is read then too.

use std::ops::Range;

use super::{get, in_file_order, Parser, Table, Value};
use crate::registry::Registry;
use crate::world::file::{is_symbol, join};

/// Every key a chain's entry may have.
pub(super) const CHAIN_KEYS: &[&str] = &[
    "chain_id",
    "native",
    "wrapped_native",
    "block_time_ms",
    "gas_price_gwei",
];

/// The largest gas price a world file may give, in base units of the
/// native coin per gas (one whole coin of 18 decimals): a bound that keeps
/// the gas of any run times its price within 128 bits.
pub(super) const MAX_GAS_PRICE: u128 = 1_000_000_000_000_000_000;

/// The longest block time a world file may give: a day.
pub(super) const MAX_BLOCK_TIME_MS: u64 = 86_400_000;

/// What a chain's entry says of its coins.
#[derive(Clone, Debug, Default)]
pub(super) struct ChainCoins {
    pub native: Option<String>,
    pub wrapped_native: Option<String>,
    pub block_time_ms: Option<u64>,
}

/// Which coin a chain's entry names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Native,
    WrappedNative,
}

/// A token a chain's entry names, checked after the tokens are read.
#[derive(Clone, Debug)]
pub(super) struct ChainToken {
    chain: String,
    path: String,
    role: Role,
    symbol: String,
    span: Range<usize>,
}

impl Parser<'_> {
    /// `native` and `wrapped_native` of a chain's entry (optional).
    pub(super) fn chain_coins(&mut self, value: &Value<'_>, chain: &str, path: &str) -> ChainCoins {
        let mut coins = ChainCoins::default();
        let Some(t) = value.get_ref().as_table() else {
            return coins;
        };
        if let Some(v) = get(t, "block_time_ms") {
            let key_path = join(path, "block_time_ms");
            match self.integer(v, &key_path, u128::from(MAX_BLOCK_TIME_MS)) {
                Some(0) => {
                    let _: Option<()> = self.fail(
                        v.span(),
                        &key_path,
                        "a block takes some time: at least 1 ms",
                    );
                }
                Some(ms) => coins.block_time_ms = u64::try_from(ms).ok(),
                None => {}
            }
        }
        for (key, role) in [
            ("native", Role::Native),
            ("wrapped_native", Role::WrappedNative),
        ] {
            let Some(v) = get(t, key) else { continue };
            let key_path = join(path, key);
            let Some(symbol) = self.string(v, &key_path) else {
                continue;
            };
            if !is_symbol(symbol) {
                let _: Option<()> = self.fail(
                    v.span(),
                    &key_path,
                    "a token symbol is upper case: a letter, then letters and digits",
                );
                continue;
            }
            self.chain_tokens.push(ChainToken {
                chain: chain.to_string(),
                path: key_path,
                role,
                symbol: symbol.to_string(),
                span: v.span(),
            });
            match role {
                Role::Native => coins.native = Some(symbol.to_string()),
                Role::WrappedNative => coins.wrapped_native = Some(symbol.to_string()),
            }
        }
        coins
    }

    /// Checks the tokens the chains name: each a token of that chain; a
    /// wrapped native token beside a native coin, another token with its
    /// decimals.
    pub(super) fn chain_tokens(&mut self, registry: &Registry) {
        let named = std::mem::take(&mut self.chain_tokens);
        for item in &named {
            if self.quiet.contains(&item.symbol) {
                continue;
            }
            let Some(token) = registry.token(&item.symbol) else {
                let _: Option<()> = self.fail(
                    item.span.clone(),
                    &item.path,
                    format!("unknown token `{}`", item.symbol),
                );
                continue;
            };
            if !token.chains.contains(&item.chain) {
                let _: Option<()> = self.fail(
                    item.span.clone(),
                    &item.path,
                    format!("token `{}` does not exist on {}", item.symbol, item.chain),
                );
                continue;
            }
            if item.role != Role::WrappedNative {
                continue;
            }
            let native = named
                .iter()
                .find(|n| n.role == Role::Native && n.chain == item.chain);
            let Some(native) = native else {
                let _: Option<()> = self.fail(
                    item.span.clone(),
                    &item.path,
                    "a wrapped native token wraps the chain's native coin: name it with `native`",
                );
                continue;
            };
            if native.symbol == item.symbol {
                let _: Option<()> = self.fail(
                    item.span.clone(),
                    &item.path,
                    format!(
                        "`{}` is the native coin itself; the wrapped native token is another token",
                        item.symbol
                    ),
                );
                continue;
            }
            if self.quiet.contains(&native.symbol) {
                // The coin's own entry had an error: its decimals are unknown.
                continue;
            }
            let native_decimals = registry.token(&native.symbol).map(|t| t.decimals);
            if native_decimals.is_some_and(|d| d != token.decimals) {
                let _: Option<()> = self.fail(
                    item.span.clone(),
                    &item.path,
                    format!(
                        "`{}` has {} decimals and the native coin `{}` {}: a token that wraps a coin one for one has its decimals",
                        item.symbol,
                        token.decimals,
                        native.symbol,
                        native_decimals.unwrap_or(0)
                    ),
                );
            }
        }
    }
}

impl Parser<'_> {
    /// `gas_price_gwei` of each chain's entry (optional): a decimal string
    /// or an integer, in gwei — 10⁻⁹ of a whole native coin — so the chain
    /// must name its `native` coin, of at least 9 decimals.
    pub(super) fn gas_prices(&mut self, root: &Table<'_>, registry: &mut Registry) {
        let Some(chains) = get(root, "chains").and_then(|v| v.get_ref().as_table()) else {
            return;
        };
        for (key, value) in in_file_order(chains) {
            let name = key.get_ref();
            let Some(v) = value
                .get_ref()
                .as_table()
                .and_then(|t| get(t, "gas_price_gwei"))
            else {
                continue;
            };
            let path = join(&join("chains", name), "gas_price_gwei");
            let Some(chain) = registry.chains.iter().position(|c| c.name == *name) else {
                continue;
            };
            let native = registry.chains[chain].native.clone();
            let Some(native) = native else {
                let _: Option<()> = self.fail(
                    v.span(),
                    &path,
                    "a gas price is paid in the chain's native coin: name it with `native`",
                );
                continue;
            };
            if self.quiet.contains(&native) {
                continue;
            }
            let Some(decimals) = registry.token(&native).map(|t| t.decimals) else {
                // The coin is unknown: `chain_tokens` said so.
                continue;
            };
            let Some(places) = decimals.checked_sub(9) else {
                let _: Option<()> = self.fail(
                    v.span(),
                    &path,
                    format!(
                        "`{native}` has {decimals} decimals: a price in gwei needs a native coin of at least 9"
                    ),
                );
                continue;
            };
            let fraction = v
                .get_ref()
                .as_str()
                .and_then(|t| t.split_once('.'))
                .map_or(0, |(_, f)| f.chars().filter(char::is_ascii_digit).count());
            if fraction > usize::from(places) {
                let _: Option<()> = self.fail(
                    v.span(),
                    &path,
                    format!(
                        "a gas price in gwei has at most {places} decimals: its smallest step is a base unit of `{native}`"
                    ),
                );
                continue;
            }
            let Some(price) = self.amount(v, &path, places) else {
                continue;
            };
            if price > MAX_GAS_PRICE {
                let _: Option<()> = self.fail(
                    v.span(),
                    &path,
                    format!(
                        "a gas price may be at most {MAX_GAS_PRICE} base units of `{native}` per gas"
                    ),
                );
                continue;
            }
            registry.chains[chain].gas_price = Some(price);
        }
    }
}
