//! The exchange pairs of the world a bundle is checked against. Which
//! pairs exist is the world's state, not the registry's: a checker given
//! them rejects a swap through a pair the world does not have (E0414), on
//! the hop that needs it, instead of a revert when the bundle runs.

use mesh_core::registry::pair_tokens;
use std::collections::{BTreeMap, BTreeSet};

/// Every pair, by chain and exchange: `(token0, token1)` in the pair's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    by_exchange: BTreeMap<(String, String), BTreeSet<(String, String)>>,
}

impl Pairs {
    /// The pairs `(chain, exchange, a, b)`, each in either order.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str, &'a str, &'a str)>) -> Pairs {
        let mut by_exchange: BTreeMap<(String, String), BTreeSet<(String, String)>> =
            BTreeMap::new();
        for (chain, exchange, a, b) in pairs {
            let (token0, token1) = pair_tokens(a, b);
            by_exchange
                .entry((chain.to_string(), exchange.to_string()))
                .or_default()
                .insert((token0.to_string(), token1.to_string()));
        }
        Pairs { by_exchange }
    }

    /// Whether `exchange` on `chain` has the pair of `a` and `b`.
    pub fn has(&self, chain: &str, exchange: &str, a: &str, b: &str) -> bool {
        let (token0, token1) = pair_tokens(a, b);
        self.by_exchange
            .get(&(chain.to_string(), exchange.to_string()))
            .is_some_and(|pairs| pairs.contains(&(token0.to_string(), token1.to_string())))
    }

    /// The tokens `exchange` on `chain` pairs `token` with, by symbol.
    pub fn partners<'a>(&'a self, chain: &str, exchange: &str, token: &'a str) -> Vec<&'a str> {
        let Some(pairs) = self
            .by_exchange
            .get(&(chain.to_string(), exchange.to_string()))
        else {
            return Vec::new();
        };
        pairs
            .iter()
            .filter_map(|(t0, t1)| {
                if t0 == token {
                    Some(t1.as_str())
                } else if t1 == token {
                    Some(t0.as_str())
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_found_in_either_order_on_its_exchange_only() {
        let pairs = Pairs::new([
            ("polygon", "uniswap_v2", "WETH", "USDC"),
            ("polygon", "uniswap_v2", "DAI", "USDC"),
        ]);
        assert!(pairs.has("polygon", "uniswap_v2", "USDC", "WETH"));
        assert!(pairs.has("polygon", "uniswap_v2", "WETH", "USDC"));
        assert!(!pairs.has("polygon", "sushiswap", "WETH", "USDC"));
        assert!(!pairs.has("base", "uniswap_v2", "WETH", "USDC"));
        assert!(!pairs.has("polygon", "uniswap_v2", "WETH", "DAI"));
        assert_eq!(
            pairs.partners("polygon", "uniswap_v2", "USDC"),
            ["DAI", "WETH"]
        );
    }
}
