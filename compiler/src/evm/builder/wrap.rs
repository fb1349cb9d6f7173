//! `wrap` and `unwrap`: WETH9's `deposit`, sending the coin as the call's
//! value, and its `withdraw`.

use super::{Builder, PlanError};
use crate::ir::Wire;
use mesh_core::Loc;
use mesh_evm::calls;
use mesh_evm::deploy::TokenContract;
use mesh_evm::plan::PlannedCall;
use mesh_evm::revm_primitives::U256;

impl Builder<'_> {
    /// The call of a wrap (`wrapping`) or an unwrap of `moved` base units
    /// from `input` into `out`. The holder sends it, so the ether comes
    /// from its own balance and `withdraw` pays back to it (the executor
    /// takes ether in its `receive`).
    pub(super) fn wrap(
        &mut self,
        wrapping: bool,
        input: Wire,
        out: Wire,
        moved: u128,
        loc: Loc,
    ) -> Result<(), PlanError> {
        let chain = self.chain_of(input);
        let (coin, wrapped) = if wrapping {
            (self.token_of(input), self.token_of(out))
        } else {
            (self.token_of(out), self.token_of(input))
        };
        let weth = match self.contracts(&chain, loc)?.tokens.get(&wrapped) {
            Some(TokenContract::Weth(a)) => *a,
            _ => {
                return Err(PlanError {
                    message: format!(
                        "{wrapped} on {chain} is not the deployed world's WETH9, so {coin} cannot be wrapped into it"
                    ),
                    loc,
                })
            }
        };
        if moved == 0 {
            // WETH9 takes a deposit or withdrawal of nothing, but it moves
            // nothing: no call.
            return Ok(());
        }
        let (value, data, what) = if wrapping {
            (
                U256::from(moved),
                calls::weth_deposit(),
                format!("wrap {moved} base units of {coin} into {wrapped} (deposit)"),
            )
        } else {
            (
                U256::ZERO,
                calls::weth_withdraw(moved),
                format!("unwrap {moved} base units of {wrapped} into {coin} (withdraw)"),
            )
        };
        self.push(PlannedCall {
            target: weth,
            value,
            data,
            what,
            loc,
        });
        Ok(())
    }
}
