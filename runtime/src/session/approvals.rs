//! Approvals: who may spend a token of the sender's, granted by `approve`
//! and used up (wallet) or kept (executor) by each spend.

use super::tx::Account;
use super::{CallResult, Named, Session};
use crate::gas::{Operation, Sender};
use crate::registry::{BridgeKind, ChainId, ProtocolId, TokenId};
use crate::report::{Call, SpenderName};
use mesh_core::account::Spender;

/// Who an approval lets spend, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SpenderKey {
    Protocol(ProtocolId),
    Bridge(BridgeKind),
}

impl Session {
    pub(super) fn spender_key<P: Named<ProtocolId>>(
        &self,
        chain: ChainId,
        spender: Spender<P>,
    ) -> CallResult<SpenderKey> {
        match spender {
            Spender::Protocol(p) => {
                let p = self.protocol_id(p)?;
                self.check_deployed(chain, p)?;
                Ok(SpenderKey::Protocol(p))
            }
            Spender::Bridge(kind) => {
                let chain_text = self.chain_name(chain);
                if !self
                    .world
                    .registry
                    .routes
                    .iter()
                    .any(|r| r.from == chain_text && r.kind == kind)
                {
                    return Err(self.revert_value(format!("no {kind} bridge leaves {chain_text}")));
                }
                Ok(SpenderKey::Bridge(kind))
            }
        }
    }

    pub(super) fn spender_name(&self, key: SpenderKey) -> SpenderName {
        match key {
            SpenderKey::Protocol(p) => SpenderName::Protocol(self.protocol_name(p).to_string()),
            SpenderKey::Bridge(kind) => SpenderName::Bridge(kind),
        }
    }

    /// Approves `spender` to take `token` from the sender of the open
    /// transaction. A wallet approval covers the next spend of that token
    /// by that spender; an executor approval stands for the rest of the
    /// bundle (it grants the maximum allowance).
    pub fn approve(
        &mut self,
        token: impl Named<TokenId>,
        spender: Spender<&str>,
    ) -> CallResult<()> {
        self.approve_named(token, spender)
    }

    /// [`Session::approve`] with the spending protocol named as [`Named`]
    /// allows (text, or an id resolved before).
    pub fn approve_named<P: Named<ProtocolId>>(
        &mut self,
        token: impl Named<TokenId>,
        spender: Spender<P>,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, sender) = s.open_tx("an approval")?;
            let token = s.token_on(chain, token)?;
            let key = s.spender_key(chain, spender)?;
            let op = s.schedule.operation(sender, &Operation::Approve);
            let gas = s.meter_call(Account::Token(token), op)?;
            *s.approvals.entry((chain, sender, token, key), || 0) += 1;
            let spender = s.spender_name(key);
            s.record(
                Call::Approve {
                    token: s.token_name(token).to_string(),
                    spender,
                },
                gas,
            );
            Ok(())
        })
    }

    pub(super) fn use_approval(
        &mut self,
        chain: ChainId,
        sender: Sender,
        token: TokenId,
        key: SpenderKey,
    ) -> CallResult<()> {
        let entry = (chain, sender, token, key);
        let held = match (sender, self.approvals.get_mut(entry)) {
            (_, None) => false,
            (Sender::Executor, Some(_)) => true,
            (Sender::Wallet, Some(count)) => {
                *count -= 1;
                if *count == 0 {
                    self.approvals.remove(entry);
                }
                true
            }
        };
        if !held {
            return Err(self.revert_value(format!(
                "no approval: the {} has not approved {} to spend {} on {}",
                sender.as_str(),
                self.spender_name(key),
                self.token_name(token),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }
}
