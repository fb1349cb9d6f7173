//! Names: how a chain, token or protocol is given to the session (text,
//! or an id resolved before: [`Named`], [`NameRef`]), and how the session
//! resolves it, checks where it exists, and names it back in messages.

use super::swap::PairKey;
use super::{CallResult, Session};
use crate::registry::{ChainId, ProtocolId, ProtocolKind, Registry, TokenId};
use crate::report::Amount;

/// A name the session resolves against its world's registry: text, looked
/// up at each use, or an id resolved before (see [`NameRef`]).
pub trait Named<Id>: Copy {
    /// The id, or the name as an "unknown …" message shows it.
    fn resolve(self, registry: &Registry) -> Result<Id, String>;
}

macro_rules! named_by_text {
    ($id:ty, $lookup:ident) => {
        impl<T: AsRef<str> + ?Sized> Named<$id> for &T {
            fn resolve(self, registry: &Registry) -> Result<$id, String> {
                let text = self.as_ref();
                registry.$lookup(text).ok_or_else(|| text.to_string())
            }
        }
    };
}
named_by_text!(ChainId, chain_id);
named_by_text!(TokenId, token_id);
named_by_text!(ProtocolId, protocol_id);

macro_rules! named_by_id {
    ($id:ty, $at:ident) => {
        impl Named<$id> for $id {
            fn resolve(self, registry: &Registry) -> Result<$id, String> {
                match registry.$at(self) {
                    Some(_) => Ok(self),
                    None => Err(format!("#{}", self.index())),
                }
            }
        }
    };
}
named_by_id!(ChainId, chain_at);
named_by_id!(TokenId, token_at);
named_by_id!(ProtocolId, protocol_at);

/// A name that was resolved once if the world knows it, or is still its
/// text if not (so that using it reverts exactly as the text would).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameRef<'a, Id> {
    Id(Id),
    Text(&'a str),
}

impl<'a, Id> Named<Id> for NameRef<'a, Id>
where
    Id: Named<Id>,
    &'a str: Named<Id>,
{
    fn resolve(self, registry: &Registry) -> Result<Id, String> {
        match self {
            NameRef::Id(id) => id.resolve(registry),
            NameRef::Text(text) => text.resolve(registry),
        }
    }
}

impl Session {
    pub(super) fn chain_id(&self, chain: impl Named<ChainId>) -> CallResult<ChainId> {
        chain
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown chain `{name}`")))
    }

    pub(super) fn token_id(&self, token: impl Named<TokenId>) -> CallResult<TokenId> {
        token
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown token `{name}`")))
    }

    pub(super) fn protocol_id(&self, protocol: impl Named<ProtocolId>) -> CallResult<ProtocolId> {
        protocol
            .resolve(&self.world.registry)
            .map_err(|name| self.revert_value(format!("unknown protocol `{name}`")))
    }

    pub(super) fn chain_name(&self, id: ChainId) -> &str {
        self.world
            .registry
            .chain_at(id)
            .map_or("?", |c| c.name.as_str())
    }

    /// The contract `token` is on `chain` (`Registry::token_contract`),
    /// which some of its gas depends on.
    pub(super) fn token_contract(
        &self,
        chain: ChainId,
        token: TokenId,
    ) -> mesh_core::gas::TokenContract {
        self.world
            .registry
            .token_contract(self.chain_name(chain), self.token_name(token))
    }

    pub(super) fn token_name(&self, id: TokenId) -> &str {
        self.world
            .registry
            .token_at(id)
            .map_or("?", |t| t.symbol.as_str())
    }

    pub(super) fn protocol_name(&self, id: ProtocolId) -> &str {
        self.world
            .registry
            .protocol_at(id)
            .map_or("?", |p| p.name.as_str())
    }

    pub(super) fn decimals(&self, token: TokenId) -> u8 {
        self.world
            .registry
            .token_at(token)
            .map_or(0, |t| t.decimals)
    }

    pub(super) fn fmt(&self, amount: u128, token: TokenId) -> String {
        format!("{} {}", self.amount(amount, token), self.token_name(token))
    }

    /// `amount` base units of `token`, with its decimals.
    pub(super) fn amount(&self, base: u128, token: TokenId) -> Amount {
        Amount {
            base,
            decimals: self.decimals(token),
        }
    }

    /// `token`, which must exist on `chain`.
    pub(super) fn token_on(
        &self,
        chain: ChainId,
        token: impl Named<TokenId>,
    ) -> CallResult<TokenId> {
        let token = self.token_id(token)?;
        self.check_on(chain, token)?;
        Ok(token)
    }

    /// Whether `chains` (a token's or a protocol's, if it has one) lists `chain`.
    pub(super) fn lists(&self, chains: Option<&Vec<String>>, chain: ChainId) -> bool {
        let chain_text = self.chain_name(chain);
        chains.is_some_and(|cs| cs.iter().any(|c| c == chain_text))
    }

    pub(super) fn check_on(&self, chain: ChainId, token: TokenId) -> CallResult<()> {
        let chains = self.world.registry.token_at(token).map(|t| &t.chains);
        if !self.lists(chains, chain) {
            return Err(self.revert_value(format!(
                "token {} does not exist on {}",
                self.token_name(token),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }

    /// `protocol`, which must be of `kind` and deployed on `chain`.
    pub(super) fn protocol_on(
        &self,
        chain: ChainId,
        protocol: impl Named<ProtocolId>,
        kind: ProtocolKind,
    ) -> CallResult<ProtocolId> {
        let id = self.protocol_id(protocol)?;
        let Some(info) = self.world.registry.protocol_at(id) else {
            return Err(self.revert_value("internal error: a protocol id out of range"));
        };
        if info.kind != kind {
            return Err(self.revert_value(format!(
                "{} is {}, not {}",
                info.name,
                info.kind.with_article(),
                kind.with_article()
            )));
        }
        self.check_deployed(chain, id)?;
        Ok(id)
    }

    pub(super) fn check_deployed(&self, chain: ChainId, protocol: ProtocolId) -> CallResult<()> {
        let chains = self.world.registry.protocol_at(protocol).map(|p| &p.chains);
        if !self.lists(chains, chain) {
            return Err(self.revert_value(format!(
                "{} is not deployed on {}",
                self.protocol_name(protocol),
                self.chain_name(chain)
            )));
        }
        Ok(())
    }

    /// The key of the pair of `a` and `b`: `(token0, token1)` by symbol.
    pub(super) fn pair_key(&self, a: TokenId, b: TokenId) -> PairKey {
        if self.token_name(a) <= self.token_name(b) {
            (a, b)
        } else {
            (b, a)
        }
    }
}
