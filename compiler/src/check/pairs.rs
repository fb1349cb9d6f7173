//! What the checker may know of the world a bundle is checked against:
//! its exchange pairs and, when given, the user's positions. Both are the
//! world's state, not the registry's. A checker given the pairs rejects a
//! swap through a pair the world does not have (E0414), on the hop that
//! needs it; one given the positions rejects an `assume` of more debt or
//! collateral than the world holds (E0604), on the assumption — each
//! instead of a revert when the bundle runs. Which reserves the user
//! supplies and owes at each lender is kept too, whether the positions are
//! judged or not: the gas of lender calls depends on it (docs/gas.md,
//! "Positions"), and the lowering hands it to the program.

use crate::ir::LenderReserves;
use mesh_core::gas::Reserves;
use mesh_core::registry::pair_tokens;
use mesh_grammar::Position;
use std::collections::{BTreeMap, BTreeSet};

/// Every pair, by chain and exchange: `(token0, token1)` in the pair's
/// order; the user's positions, when they are to be judged; and which
/// reserves the user supplies and owes at each lender, for gas.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pairs {
    by_exchange: BTreeMap<(String, String), BTreeSet<(String, String)>>,
    positions: Option<BTreeMap<(String, String), Held>>,
    reserves: LenderReserves,
}

/// What the world holds of the user at one lender: `(chain, lender, debts,
/// deposits)`, each a map from token symbol to base units.
pub type LenderState<'a> = (
    &'a str,
    &'a str,
    &'a BTreeMap<String, u128>,
    &'a BTreeMap<String, u128>,
);

/// The user's position at one lender on one chain, per token, in base
/// units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Held {
    debts: BTreeMap<String, u128>,
    deposits: BTreeMap<String, u128>,
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
        Pairs {
            by_exchange,
            positions: None,
            reserves: LenderReserves::default(),
        }
    }

    /// These pairs, and which reserves the user supplies and owes at each
    /// lender `(chain, lender, debts, deposits)`, each a map from token
    /// symbol to base units: a token held in a non-zero amount. The gas
    /// of lender calls depends on them; they are not judged (see
    /// [`Pairs::with_positions`]).
    pub fn with_reserves<'a>(
        mut self,
        lenders: impl IntoIterator<Item = LenderState<'a>>,
    ) -> Pairs {
        for (chain, lender, debts, deposits) in lenders {
            self.reserves.insert(
                (chain.to_string(), lender.to_string()),
                Reserves::held(deposits, debts, |t| Some(t.to_string())),
            );
        }
        self
    }

    /// Which reserves the user supplies and owes at each lender `(chain,
    /// lender)` (none when the pairs were not taken from a world).
    pub fn reserves(&self) -> &LenderReserves {
        &self.reserves
    }

    /// These pairs, and the user's positions `(chain, lender, debts,
    /// deposits)`, each a map from token symbol to base units: an
    /// `assume` of more than a position holds is then an error (E0604).
    /// A lender the world lists on a chain holds nothing of a token it
    /// does not name; a lender it does not list is not judged.
    pub fn with_positions<'a>(
        mut self,
        positions: impl IntoIterator<Item = LenderState<'a>>,
    ) -> Pairs {
        let mut by_lender = BTreeMap::new();
        for (chain, lender, debts, deposits) in positions {
            by_lender.insert(
                (chain.to_string(), lender.to_string()),
                Held {
                    debts: debts.clone(),
                    deposits: deposits.clone(),
                },
            );
        }
        self.positions = Some(by_lender);
        self
    }

    /// What the user owes (`Debt`) or has deposited (`Collateral`) at
    /// `lender` on `chain` in `token`, in base units; `None` when the
    /// positions are not known.
    pub fn held(&self, chain: &str, lender: &str, token: &str, position: Position) -> Option<u128> {
        let held = self
            .positions
            .as_ref()?
            .get(&(chain.to_string(), lender.to_string()))?;
        let by_token = match position {
            Position::Debt => &held.debts,
            Position::Collateral => &held.deposits,
        };
        Some(by_token.get(token).copied().unwrap_or(0))
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

    #[test]
    fn positions_are_known_only_when_given_and_only_for_listed_lenders() {
        let pairs = Pairs::new([("optimism", "uniswap_v2", "WETH", "USDC")]);
        assert_eq!(
            pairs.held("optimism", "compound", "USDC", Position::Debt),
            None
        );
        let debts = BTreeMap::from([("USDC".to_string(), 12_000_000_000)]);
        let deposits = BTreeMap::from([("WETH".to_string(), 10)]);
        let pairs = pairs.with_positions([("optimism", "compound", &debts, &deposits)]);
        assert!(pairs.has("optimism", "uniswap_v2", "USDC", "WETH"));
        assert_eq!(
            pairs.held("optimism", "compound", "USDC", Position::Debt),
            Some(12_000_000_000)
        );
        assert_eq!(
            pairs.held("optimism", "compound", "WETH", Position::Debt),
            Some(0)
        );
        assert_eq!(
            pairs.held("optimism", "compound", "WETH", Position::Collateral),
            Some(10)
        );
        assert_eq!(
            pairs.held("optimism", "aave", "WETH", Position::Collateral),
            None
        );
        assert_eq!(pairs.held("base", "compound", "USDC", Position::Debt), None);
    }
}
