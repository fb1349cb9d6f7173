//! Positions on the EVM: the holder's health factor at an Aave V3 market
//! as `getUserAccountData` gives it, the positions a bundle changed, and the
//! `min_health` constraint judged on them.

use std::collections::BTreeSet;

use mesh_core::health::{self, HealthFactor};
use revm::primitives::U256;

use super::{EvmEngine, HealthChange, Position};
use crate::abi::{self, call, Token};
use crate::error::EvmError;

impl EvmEngine {
    /// The (chain, lender) of every position of the holder whose
    /// collateral or debt of some token differs from the start's.
    pub(super) fn changed_positions(&mut self) -> Result<BTreeSet<(String, String)>, EvmError> {
        let now = self.holder_positions()?;
        Ok(now
            .iter()
            .filter(|(key, after)| self.positions.get(*key).copied().unwrap_or((0, 0)) != **after)
            .map(|((chain, lender, _), _)| (chain.clone(), lender.clone()))
            .collect())
    }

    /// The holder's health factor at `lender` on `chain`, as Aave V3's
    /// `getUserAccountData` gives it (`type(uint256).max`: no debt).
    pub(super) fn health_factor(
        &mut self,
        chain: &str,
        lender: &str,
    ) -> Result<HealthFactor, EvmError> {
        let contracts = self.evm.contracts(chain)?.clone();
        let Some(market) = contracts.lenders.get(lender) else {
            return Ok(HealthFactor::NoDebt);
        };
        let out = self.evm.chain_mut(chain)?.view(
            market.pool,
            call(
                "getUserAccountData(address)",
                &[Token::Address(contracts.holder)],
            ),
            &format!("the account at {lender}"),
        )?;
        let hf = abi::uint_at(&out, 5).ok_or_else(|| EvmError::Setup {
            chain: chain.to_string(),
            step: format!("reading the account at {lender}"),
            reason: "it returned fewer than six words".to_string(),
        })?;
        if hf == U256::MAX {
            return Ok(HealthFactor::NoDebt);
        }
        // A factor past 128 bits is above every bound a bundle can write.
        Ok(HealthFactor::Wad(mesh_core::u256::U256::from_u128(
            u128::try_from(hf).unwrap_or(u128::MAX),
        )))
    }

    /// `min_health: wad` on the state the plan left: the first changed
    /// position whose factor is below it, as the model words it.
    pub(super) fn below_min_health(&mut self, wad: u128) -> Result<Option<String>, EvmError> {
        for (chain, lender) in self.changed_positions()? {
            let hf = self.health_factor(&chain, &lender)?;
            if !hf.at_least(wad) {
                return Ok(Some(format!(
                    "min_health: the position at {lender} on {chain} ends with a health factor of {hf}; at least {} is required",
                    health::factor_text(wad)
                )));
            }
        }
        Ok(None)
    }

    /// The health factor before and after of each (chain, lender) among
    /// `positions` (those that changed); one that owed nothing before and
    /// after is left out.
    pub(super) fn health_changes(
        &mut self,
        positions: &[Position],
    ) -> Result<Vec<HealthChange>, EvmError> {
        let changed: BTreeSet<(String, String)> = positions
            .iter()
            .map(|((chain, lender, _), ..)| (chain.clone(), lender.clone()))
            .collect();
        let mut out = Vec::new();
        for key in changed {
            let after = self.health_factor(&key.0, &key.1)?;
            let before = self.health.get(&key).copied().unwrap_or(after);
            if before != HealthFactor::NoDebt || after != HealthFactor::NoDebt {
                out.push((key, before, after));
            }
        }
        Ok(out)
    }
}
