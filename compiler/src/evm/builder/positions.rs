//! The user's positions in the plan: a loan left open as debt is Aave
//! V3's `borrow`, a repayment of debt its `repay`, both recorded as moves
//! of the debt on purpose (an ordinary loan is repaid when the debt ends no
//! higher than that); an `assume` is no call.

use super::{Builder, PlanError};
use crate::interp::Outcome;
use mesh_core::Loc;
use mesh_evm::calls;
use mesh_evm::plan::{Check, PlannedCall};
use mesh_evm::revm_primitives::U256;

impl Builder<'_> {
    /// `borrow A from P as debt`: the pool lends to the holder, who owes it.
    pub(super) fn borrow_debt(
        &mut self,
        chain: &str,
        protocol: &str,
        token: &str,
        amount: u128,
        loc: Loc,
    ) -> Result<(), PlanError> {
        let asset = self.erc20(chain, token, loc)?;
        let pool = self.pool(chain, protocol, loc)?;
        if amount == 0 {
            // A loan of nothing is no call (Aave refuses it).
            return Ok(());
        }
        let holder = self.holder(chain, loc)?;
        self.debt_move(chain, protocol, token, amount, 0, loc)?;
        self.push(PlannedCall {
            target: pool,
            value: U256::ZERO,
            data: calls::aave_borrow(asset, amount, holder),
            what: format!("borrow {amount} base units of {token} from {protocol} as debt"),
            loc,
        });
        Ok(())
    }

    /// A repayment of `paid` of the holder's debt of `token`.
    pub(super) fn repay_debt(
        &mut self,
        chain: &str,
        protocol: &str,
        token: &str,
        paid: u128,
        loc: Loc,
    ) -> Result<(), PlanError> {
        let asset = self.erc20(chain, token, loc)?;
        let pool = self.pool(chain, protocol, loc)?;
        let holder = self.holder(chain, loc)?;
        if paid == 0 {
            return Ok(());
        }
        self.debt_move(chain, protocol, token, 0, paid, loc)?;
        self.push(PlannedCall {
            target: pool,
            value: U256::ZERO,
            data: calls::aave_repay(asset, paid, holder),
            what: format!("repay {paid} base units of {token} of the debt to {protocol}"),
            loc,
        });
        Ok(())
    }

    /// A statement about the position, sent as no call: the simulation
    /// judges it on the state it runs on, as it judges a `require`, before
    /// anything is sent.
    pub(super) fn assume(
        &mut self,
        chain: &str,
        protocol: &str,
        outcome: Outcome,
        loc: Loc,
    ) -> Result<(), PlanError> {
        self.pool(chain, protocol, loc)?;
        if outcome == Outcome::Failed {
            let reason = self.model_failure.take().unwrap_or_else(|| {
                format!("the position at {protocol} on {chain} is not as the bundle assumes")
            });
            self.plan.checks.push(Check { reason, loc });
        }
        Ok(())
    }

    /// Records a change of the user's debt the bundle makes on purpose.
    fn debt_move(
        &mut self,
        chain: &str,
        protocol: &str,
        token: &str,
        borrowed: u128,
        repaid: u128,
        loc: Loc,
    ) -> Result<(), PlanError> {
        let slot = self
            .plan
            .debt_moves
            .entry((chain.to_string(), protocol.to_string(), token.to_string()))
            .or_insert((0, 0));
        let sums = slot.0.checked_add(borrowed).zip(slot.1.checked_add(repaid));
        let Some(sums) = sums else {
            return Err(PlanError {
                message: format!(
                    "the debt of {token} the bundle moves at {protocol} on {chain} passes 2¹²⁸ base units"
                ),
                loc,
            });
        };
        *slot = sums;
        Ok(())
    }
}
