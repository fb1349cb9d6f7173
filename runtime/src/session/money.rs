//! Money at the end of a bundle: the quote token the report values the
//! result in, and `min_profit`, the result net of gas in a token, judged
//! once the holdings are back in the wallet.

use std::collections::BTreeMap;

use super::{CallResult, Session};
use crate::report::money::{changes_of, net_figures, NetFigures};
use mesh_core::constraint::{Constraint, Constraints};
use mesh_core::revert::Revert;

impl Session {
    /// Values the report's result, net of gas, in `token` (the user's
    /// `--quote`). An unknown token is refused.
    pub fn quote_in(&mut self, token: &str) -> Result<(), String> {
        if self.world.registry.token(token).is_none() {
            return Err(format!("unknown token `{token}`"));
        }
        self.quote = Some(token.to_string());
        Ok(())
    }

    /// The token the report values the result in: the user's quote, else
    /// the token of the bundle's `min_profit`.
    pub(super) fn quote_for(&self, constraints: &Constraints) -> Option<String> {
        self.quote.clone().or_else(|| {
            constraints.items.iter().find_map(|(c, _)| match c {
                Constraint::MinProfit { token, .. } => Some(token.clone()),
                _ => None,
            })
        })
    }

    /// Gas per chain of the transactions sent so far.
    fn gas_by_chain(&self) -> BTreeMap<String, u64> {
        let mut by_chain = BTreeMap::new();
        for t in &self.transactions {
            let gas = by_chain.entry(t.chain.clone()).or_insert(0u64);
            *gas = gas.saturating_add(t.gas);
        }
        by_chain
    }

    /// The result so far — the wallet and the positions as changed, less
    /// the gas of every chain — in `token`.
    fn net_in(&self, token: &str) -> Result<NetFigures, String> {
        let wallet = self.wallet_changes();
        let lenders = self.position_changes();
        net_figures(
            &self.world,
            &changes_of(&wallet, &lenders),
            &self.gas_by_chain(),
            token,
        )
    }

    /// Each `min_profit`, once the holdings are back in the wallet: the
    /// result net of gas in its token is at least its amount.
    pub(super) fn check_profit(&self, constraints: &Constraints) -> CallResult<()> {
        for (constraint, loc) in &constraints.items {
            let Constraint::MinProfit { token, amount } = constraint else {
                continue;
            };
            let fail = |reason: String| Err(Revert { reason, loc: *loc });
            let figures = match self.net_in(token) {
                Ok(f) => f,
                Err(why) => {
                    return fail(format!(
                        "min_profit: {why}, so the bundle's profit in {token} cannot be told"
                    ))
                }
            };
            let required = i128::try_from(*amount).unwrap_or(i128::MAX);
            if figures.net.base < required {
                let decimals = figures.gas.decimals;
                return fail(format!(
                    "min_profit: the bundle makes {} {token} net of gas ({} {token} in value, less {} {token} of gas); at least {} {token} is required",
                    figures.net.display(),
                    figures.value.display(),
                    figures.gas,
                    crate::report::Amount {
                        base: *amount,
                        decimals
                    }
                ));
            }
        }
        Ok(())
    }
}
