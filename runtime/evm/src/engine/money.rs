//! `min_profit` on the EVM: the plan's result net of the gas the EVM
//! metered, valued as the model values it ([`mesh_runtime::report::money`]).

use std::collections::BTreeMap;

use mesh_runtime::report::money::{net_figures, NetFigures, ValueChange};

use super::EvmEngine;
use crate::error::EvmError;
use crate::plan::Plan;

impl EvmEngine {
    /// What the plan made, net of the gas the EVM metered, in `token`:
    /// the holder's balances and positions as changed, each chain's gas at
    /// the registry's gas price ([`mesh_runtime::report::money`]).
    pub(super) fn net_in(
        &mut self,
        plan: &Plan,
        gas: &[Option<u64>],
        wallet: &[(String, String, u128, u128)],
        token: &str,
    ) -> Result<Result<NetFigures, String>, EvmError> {
        let mut by_chain: BTreeMap<String, u64> = BTreeMap::new();
        for (tx, used) in plan.transactions.iter().zip(gas) {
            if let Some(used) = used {
                let sum = by_chain.entry(tx.chain.clone()).or_insert(0);
                *sum = sum.saturating_add(*used);
            }
        }
        let now = self.holder_positions()?;
        let mut changes: Vec<ValueChange<'_>> = wallet
            .iter()
            .map(|(_, t, before, after)| ValueChange {
                token: t,
                before: *before,
                after: *after,
                owed: false,
            })
            .collect();
        for (key, before) in &self.positions {
            let after = now.get(key).copied().unwrap_or((0, 0));
            changes.push(ValueChange {
                token: &key.2,
                before: before.0,
                after: after.0,
                owed: false,
            });
            changes.push(ValueChange {
                token: &key.2,
                before: before.1,
                after: after.1,
                owed: true,
            });
        }
        Ok(net_figures(&self.template, &changes, &by_chain, token))
    }
}
