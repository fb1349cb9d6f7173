//! The state's sections of a world file: lenders, exchanges and the
//! wallet, checked against the registry's names (see `mod.rs`).

use std::collections::BTreeMap;

use super::{get, in_file_order, Index, Key, Parser, Table, Value};
use crate::registry::ProtocolKind;
use crate::world::file::join;
use crate::world::{Exchange, Lender, Pair, World};

impl Parser<'_> {
    /// `[lenders.CHAIN.PROTOCOL]`: `liquidity` and `deposits`.
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
