//! Approvals: who may spend a token of the sender's, granted by `approve`
//! for the maximum allowance and kept for the rest of the bundle, by the
//! wallet and the executor alike; the native coin needs none.

use super::tx::Account;
use super::{CallResult, Named, Session};
use crate::gas::{Operation, Sender};
use crate::registry::{BridgeKind, ChainId, ProtocolId, ProtocolKind, TokenId};
use crate::report::{Call, SpenderName};
use mesh_core::account::Spender;

/// Who an approval lets spend, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SpenderKey {
    Protocol(ProtocolId),
    Bridge(BridgeKind),
}

impl Session {
    /// The account that spends an approval: a lender's pool, an exchange's
    /// router, a bridge.
    pub(super) fn spender_account(&self, key: SpenderKey) -> Account {
        match key {
            SpenderKey::Protocol(p) => {
                let lender = self
                    .world
                    .registry
                    .protocol_at(p)
                    .is_some_and(|info| info.kind == ProtocolKind::Lender);
                if lender {
                    Account::Pool(p)
                } else {
                    Account::Router(p)
                }
            }
            SpenderKey::Bridge(kind) => Account::Bridge(kind),
        }
    }

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
    /// transaction. An approval, the wallet's or the executor's, grants the
    /// maximum allowance: it stands for the rest of the bundle. The native
    /// coin has no `approve` (a revert): it is sent with the call and needs
    /// no approval.
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
            if mesh_core::registry::is_native_coin(s.token_name(token)) {
                return Err(s.revert_value(format!(
                    "{} is the native coin: it has no approve, and a call takes it without one",
                    s.token_name(token)
                )));
            }
            let key = s.spender_key(chain, spender)?;
            let op = s.schedule.operation(
                sender,
                &Operation::Approve {
                    token: s.token_contract(chain, token),
                },
            );
            let contract = s.token_contract(chain, token);
            let gas = s.meter_approve(token, s.spender_account(key), contract, op)?;
            *s.approvals.entry((chain, sender, token, key), || 0) = 1;
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
        let native = mesh_core::registry::is_native_coin(self.token_name(token));
        if !native && self.approvals.get((chain, sender, token, key)).is_none() {
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
