//! Holdings: what the bundle holds per (chain, token) while it runs, and
//! `input`, which moves funds from the user's wallet into them.

use super::{CallResult, Named, Session};
use crate::registry::{ChainId, TokenId};
use crate::report::Call;
use mesh_core::revert::{reason, Revert};

impl Session {
    /// The bundle's current holding of `token` on `chain` (what `all T` means).
    pub fn holding(
        &mut self,
        chain: impl Named<ChainId>,
        token: impl Named<TokenId>,
    ) -> CallResult<u128> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            let token = s.token_on(chain, token)?;
            Ok(s.holding_of(chain, token))
        })
    }

    pub(super) fn holding_of(&self, chain: ChainId, token: TokenId) -> u128 {
        self.holdings.get((chain, token)).copied().unwrap_or(0)
    }

    pub(super) fn add_holding(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: u128,
    ) -> CallResult<()> {
        let loc = self.loc;
        let slot = self.holdings.entry((chain, token), || 0);
        *slot = slot.checked_add(amount).ok_or_else(|| Revert {
            reason: reason::OVERFLOW.into(),
            loc,
        })?;
        Ok(())
    }

    pub(super) fn take_holding(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: u128,
        why: &str,
    ) -> CallResult<()> {
        let held = self.holding_of(chain, token);
        if held < amount {
            return Err(self.revert_value(format!(
                "insufficient holding: {why} needs {} on {}, the bundle holds {}",
                self.fmt(amount, token),
                self.chain_name(chain),
                self.fmt(held, token)
            )));
        }
        *self.holdings.entry((chain, token), || 0) = held - amount;
        Ok(())
    }

    /// `input A`: moves `amount` of `token` from the user's wallet on `chain`
    /// into the bundle's holdings. Bookkeeping only: in both executor models
    /// the funds stay in the user's own account, so it costs no gas and
    /// needs no transaction.
    pub fn input(
        &mut self,
        chain: impl Named<ChainId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let chain = s.chain_id(chain)?;
            let token = s.token_on(chain, token)?;
            let balance = s
                .world
                .wallet_balance(s.chain_name(chain), s.token_name(token));
            if balance < amount {
                return Err(s.revert_value(format!(
                    "the wallet holds {} on {}; input needs {}",
                    s.fmt(balance, token),
                    s.chain_name(chain),
                    s.fmt(amount, token)
                )));
            }
            s.wallets_before.entry((chain, token), || balance);
            s.journal
                .set_wallet(&mut s.world, chain, token, balance - amount)
                .map_err(|e| s.not_in_world(e))?;
            s.add_holding(chain, token, amount)?;
            s.record(
                Call::Input {
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                0,
            );
            Ok(())
        })
    }
}
