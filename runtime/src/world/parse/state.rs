//! The state's sections of a world file: the oracle, lenders, exchanges
//! and the wallet, checked against the registry's names (see `mod.rs`),
//! and the positions, which must be valued and healthy.

use std::collections::BTreeMap;

use super::{get, in_file_order, Index, Key, Parser, Table, Value};
use crate::registry::ProtocolKind;
use crate::world::file::join;
use crate::world::{Exchange, Lender, Pair, RiskParams, World};
use mesh_core::health::{self, Balance, Collateral, MAX_PRICE_USD, PRICE_DECIMALS};

impl Parser<'_> {
    /// `[oracle]`: `TOKEN = PRICE`, the price of one whole token in US
    /// dollars, with at most 8 decimals (Aave V3's base currency), positive.
    pub(super) fn oracle(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
        let Some(section) = get(root, "oracle") else {
            return;
        };
        let Some(table) = self.table(section, "oracle") else {
            return;
        };
        for (key, value) in in_file_order(table) {
            let symbol = key.get_ref().to_string();
            let path = join("oracle", &symbol);
            if self.quiet.contains(&symbol) {
                continue;
            }
            if !index.tokens.contains_key(&symbol) {
                let _: Option<()> =
                    self.fail(key.span(), &path, format!("unknown token `{symbol}`"));
                continue;
            }
            let fraction = value
                .get_ref()
                .as_str()
                .and_then(|t| t.split_once('.'))
                .map_or(0, |(_, f)| f.chars().filter(char::is_ascii_digit).count());
            if fraction > usize::from(PRICE_DECIMALS) {
                let _: Option<()> = self.fail(
                    value.span(),
                    &path,
                    format!("a price has at most {PRICE_DECIMALS} decimals (Aave V3's base currency, USD with 8)"),
                );
                continue;
            }
            let Some(price) = self.amount(value, &path, PRICE_DECIMALS) else {
                continue;
            };
            let most = MAX_PRICE_USD * 10u128.pow(u32::from(PRICE_DECIMALS));
            if price == 0 {
                let _: Option<()> = self.fail(value.span(), &path, "a price must be positive");
            } else if price > most {
                let _: Option<()> = self.fail(
                    value.span(),
                    &path,
                    format!("a price may be at most {MAX_PRICE_USD} US dollars"),
                );
            } else {
                world.oracle.insert(symbol, price);
            }
        }
    }

    /// `risk = { TOKEN = { ltv_bps = N, liquidation_threshold_bps = N } }`:
    /// Aave's rule, `ltv ≤ liquidation threshold ≤ 100%`.
    fn risk(
        &mut self,
        value: &Value<'_>,
        path: &str,
        chain: &str,
        index: &Index,
    ) -> BTreeMap<String, RiskParams> {
        let mut out = BTreeMap::new();
        let Some(table) = self.table(value, path) else {
            return out;
        };
        for (key, value) in in_file_order(table) {
            let path = join(path, key.get_ref());
            if self
                .token_on(key.span(), key.get_ref(), chain, &path, index)
                .is_none()
            {
                continue;
            }
            let Some(t) = self.table(value, &path) else {
                continue;
            };
            self.only_keys(t, &["ltv_bps", "liquidation_threshold_bps"], &path);
            let ltv = self
                .required(t, value.span(), "ltv_bps", &path)
                .and_then(|v| self.integer(v, &join(&path, "ltv_bps"), 10_000));
            let threshold = self
                .required(t, value.span(), "liquidation_threshold_bps", &path)
                .and_then(|v| self.integer(v, &join(&path, "liquidation_threshold_bps"), 10_000));
            let (Some(ltv), Some(threshold)) = (ltv, threshold) else {
                continue;
            };
            if ltv > threshold {
                let _: Option<()> = self.fail(
                    value.span(),
                    &path,
                    format!("the loan-to-value ({ltv} bps) may not exceed the liquidation threshold ({threshold} bps)"),
                );
                continue;
            }
            let (Ok(ltv_bps), Ok(liquidation_threshold_bps)) =
                (u32::try_from(ltv), u32::try_from(threshold))
            else {
                continue;
            };
            out.insert(
                key.get_ref().to_string(),
                RiskParams {
                    ltv_bps,
                    liquidation_threshold_bps,
                },
            );
        }
        out
    }

    /// Every debt of the file needs a price, and every position with debt
    /// must be healthy (a health factor of at least 1): the runtime
    /// models no liquidation, so a world holds no position that could be
    /// liquidated. Errors point at the lender's `debts`.
    pub(super) fn positions(&mut self, root: &Table<'_>, world: &World) {
        let registry = &world.registry;
        for (chain, lenders) in &world.lenders {
            for (name, lender) in lenders {
                if lender.debts.values().all(|&d| d == 0) {
                    continue;
                }
                let path = join(&join(&join("lenders", chain), name), "debts");
                let span = debts_span(root, chain, name);
                let decimals = |t: &str| registry.token(t).map_or(0, |t| t.decimals);
                let mut debts = Vec::new();
                let mut priced = true;
                for (token, &amount) in &lender.debts {
                    match world.price(token) {
                        Some(price) => debts.push(Balance {
                            amount,
                            decimals: decimals(token),
                            price,
                        }),
                        None => {
                            priced = false;
                            let _: Option<()> = self.fail(
                                span.clone(),
                                &join(&path, token),
                                format!(
                                    "a debt in {token} needs a price: give {token} one in [oracle]"
                                ),
                            );
                        }
                    }
                }
                if !priced {
                    continue;
                }
                let collateral: Vec<Collateral> = lender
                    .deposits
                    .iter()
                    .filter_map(|(token, &amount)| {
                        Some(Collateral {
                            balance: Balance {
                                amount,
                                decimals: decimals(token),
                                price: world.price(token)?,
                            },
                            risk: lender.risk.get(token).copied(),
                        })
                    })
                    .collect();
                match health::account_data(&collateral, &debts) {
                    Ok(data) if data.health_factor.at_least(health::WAD) => {}
                    Ok(data) => {
                        let _: Option<()> = self.fail(
                            span,
                            &path,
                            format!(
                                "the position has a health factor of {} (collateral {} at a liquidation threshold of {} bps, debt {}): below 1, it could be liquidated, which the runtime does not model",
                                data.health_factor,
                                health::usd_text(data.collateral),
                                data.liquidation_threshold_bps.to_u128().unwrap_or(0),
                                health::usd_text(data.debt)
                            ),
                        );
                    }
                    Err(e) => {
                        let _: Option<()> =
                            self.fail(span, &path, format!("the position cannot be valued: {e}"));
                    }
                }
            }
        }
    }

    /// `[lenders.CHAIN.PROTOCOL]`: `liquidity`, `deposits`, `debts` and `risk`.
    pub(super) fn lenders(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
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
                self.only_keys(t, &["liquidity", "deposits", "debts", "risk"], &path);
                let mut lender = Lender::default();
                if let Some(v) = get(t, "liquidity") {
                    let at = join(&path, "liquidity");
                    lender.liquidity = self.token_amounts(v, &at, &chain, index);
                }
                if let Some(v) = get(t, "deposits") {
                    let at = join(&path, "deposits");
                    lender.deposits = self.token_amounts(v, &at, &chain, index);
                }
                if let Some(v) = get(t, "debts") {
                    let at = join(&path, "debts");
                    lender.debts = self.token_amounts(v, &at, &chain, index);
                }
                if let Some(v) = get(t, "risk") {
                    let at = join(&path, "risk");
                    lender.risk = self.risk(v, &at, &chain, index);
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
    pub(super) fn exchanges(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
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
    pub(super) fn wallet(&mut self, root: &Table<'_>, index: &Index, world: &mut World) {
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

/// Where `lenders.CHAIN.PROTOCOL.debts` is written (the file's start if it
/// cannot be found).
fn debts_span(root: &Table<'_>, chain: &str, lender: &str) -> std::ops::Range<usize> {
    get(root, "lenders")
        .and_then(|v| v.get_ref().as_table())
        .and_then(|t| get(t, chain))
        .and_then(|v| v.get_ref().as_table())
        .and_then(|t| get(t, lender))
        .and_then(|v| v.get_ref().as_table())
        .and_then(|t| get(t, "debts"))
        .map_or(0..0, Value::span)
}
