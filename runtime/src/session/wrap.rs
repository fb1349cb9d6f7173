//! The native coin: `wrap` turns the open transaction's chain's native coin
//! into the token that wraps it, one for one, and `unwrap` turns it back
//! (WETH9's `deposit` and `withdraw`); and no protocol or bridge takes the
//! native coin itself, since each takes ERC-20 tokens only.

use super::tx::Account;
use super::{CallResult, Named, Session};
use crate::gas::{Charged, Operation};
use crate::registry::{ChainId, TokenId};
use crate::report::Call;

/// Which way a wrap goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Wrap,
    Unwrap,
}

impl Session {
    /// `wrap A`: `amount` of the chain's native coin `native` into
    /// `wrapped`, the token the registry says wraps it. Returns what was
    /// wrapped (all of it: one for one).
    pub fn wrap(
        &mut self,
        native: impl Named<TokenId>,
        wrapped: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<u128> {
        self.wrap_or_unwrap(Direction::Wrap, native, wrapped, amount)
    }

    /// `unwrap A`: `amount` of `wrapped` back into the chain's native coin
    /// `native`. Returns what was unwrapped.
    pub fn unwrap(
        &mut self,
        wrapped: impl Named<TokenId>,
        native: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<u128> {
        self.wrap_or_unwrap(Direction::Unwrap, wrapped, native, amount)
    }

    fn wrap_or_unwrap(
        &mut self,
        direction: Direction,
        from: impl Named<TokenId>,
        to: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<u128> {
        let verb = match direction {
            Direction::Wrap => "wrap",
            Direction::Unwrap => "unwrap",
        };
        self.step(|s| {
            let (chain, sender) = s.open_tx(&format!("a {verb}"))?;
            let from = s.token_on(chain, from)?;
            let to = s.token_on(chain, to)?;
            let (native, wrapped) = match direction {
                Direction::Wrap => (from, to),
                Direction::Unwrap => (to, from),
            };
            s.check_wrapping(chain, native, wrapped)?;
            // WETH9 wraps and unwraps zero as it does any amount.
            s.pay(chain, from, amount, verb, Charged::First)?;
            let operation = match direction {
                Direction::Wrap => Operation::Wrap,
                Direction::Unwrap => Operation::Unwrap,
            };
            let op = s.schedule.operation(sender, &operation);
            let gas = s.meter_call(Account::Token(wrapped), op)?;
            s.receive(chain, to, amount, Charged::First)?;
            let (token, into) = (s.token_name(from).to_string(), s.token_name(to).to_string());
            let amount_moved = s.amount(amount, from);
            let call = match direction {
                Direction::Wrap => Call::Wrap {
                    token,
                    into,
                    amount: amount_moved,
                },
                Direction::Unwrap => Call::Unwrap {
                    token,
                    into,
                    amount: amount_moved,
                },
            };
            s.record(call, gas);
            Ok(amount)
        })
    }

    /// That `native` is `chain`'s native coin and `wrapped` the token that
    /// wraps it, as the world's registry says.
    fn check_wrapping(&self, chain: ChainId, native: TokenId, wrapped: TokenId) -> CallResult<()> {
        let chain_name = self.chain_name(chain);
        let info = self.world.registry.chain_at(chain);
        let registered_native = info.and_then(|c| c.native.as_deref());
        let registered_wrapped = info.and_then(|c| c.wrapped_native.as_deref());
        let (Some(n), Some(w)) = (registered_native, registered_wrapped) else {
            return Err(self.revert_value(format!(
                "the registry names no token that wraps {chain_name}'s native coin"
            )));
        };
        if n != self.token_name(native) || w != self.token_name(wrapped) {
            return Err(self.revert_value(format!(
                "on {chain_name}, {w} wraps the native coin {n}, not {} into {}",
                self.token_name(native),
                self.token_name(wrapped)
            )));
        }
        Ok(())
    }

    /// Fails unless `token` is a token rather than `chain`'s native coin:
    /// `what` (a swap, a lender's action, a bridge) takes ERC-20 tokens only.
    pub(super) fn only_token(&self, chain: ChainId, token: TokenId, what: &str) -> CallResult<()> {
        let native = self
            .world
            .registry
            .chain_at(chain)
            .and_then(|c| c.native.as_deref());
        if native != Some(self.token_name(token)) {
            return Ok(());
        }
        let chain_name = self.chain_name(chain);
        Err(self.revert_value(format!(
            "{} is {chain_name}'s native coin, and {what} takes ERC-20 tokens only: wrap it first",
            self.token_name(token)
        )))
    }
}
