//! The journal: every change a session makes to the world, with what was
//! there before, so that a failure anywhere undoes all of them on every
//! chain, leaving the world exactly as it was (containers that a change
//! created are removed again).
//!
//! Entries name chains, tokens and protocols by their registry ids, so
//! recording a change copies no text; the world's own maps are keyed by
//! name, which the registry gives back for each id.

use std::collections::BTreeMap;

use crate::registry::{ChainId, ProtocolId, Registry, TokenId};
use crate::world::{Exchange, Lender, Pair, World};

#[derive(Clone, Debug)]
enum Entry {
    WalletChainCreated {
        chain: ChainId,
    },
    Wallet {
        chain: ChainId,
        token: TokenId,
        old: Option<u128>,
    },
    LendersChainCreated {
        chain: ChainId,
    },
    LenderCreated {
        chain: ChainId,
        protocol: ProtocolId,
    },
    Lender {
        chain: ChainId,
        protocol: ProtocolId,
        balance: LenderBalance,
        token: TokenId,
        old: Option<u128>,
    },
    Reserves {
        chain: ChainId,
        exchange: ProtocolId,
        pair: (TokenId, TokenId),
        old: Pair,
    },
}

/// Which balance of a lender a change touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenderBalance {
    Liquidity,
    Deposit,
    /// What the user owes the lender.
    Debt,
}

/// A change the journal could not make: an id that the world's registry
/// does not have, or reserves of a pair that does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotInWorld;

/// An undo log over a world.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    entries: Vec<Entry>,
}

fn chain_name(registry: &Registry, id: ChainId) -> Result<&str, NotInWorld> {
    registry
        .chain_at(id)
        .map(|c| c.name.as_str())
        .ok_or(NotInWorld)
}

fn token_name(registry: &Registry, id: TokenId) -> Result<&str, NotInWorld> {
    registry
        .token_at(id)
        .map(|t| t.symbol.as_str())
        .ok_or(NotInWorld)
}

fn protocol_name(registry: &Registry, id: ProtocolId) -> Result<&str, NotInWorld> {
    registry
        .protocol_at(id)
        .map(|p| p.name.as_str())
        .ok_or(NotInWorld)
}

/// The map under `key`, made (and reported by `created`) if absent; the
/// key is copied only then.
fn child<'m, V: Default>(
    map: &'m mut BTreeMap<String, V>,
    key: &str,
    created: impl FnOnce(),
) -> &'m mut V {
    if !map.contains_key(key) {
        created();
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("inserted above")
}

/// Sets `map[key]` to `value`, copying the key only for a new entry;
/// returns the value it replaces.
fn set_balance(map: &mut BTreeMap<String, u128>, key: &str, value: u128) -> Option<u128> {
    match map.get_mut(key) {
        Some(slot) => Some(std::mem::replace(slot, value)),
        None => map.insert(key.to_string(), value),
    }
}

fn restore(map: &mut BTreeMap<String, u128>, key: &str, old: Option<u128>) {
    match old {
        Some(v) => {
            set_balance(map, key, v);
        }
        None => {
            map.remove(key);
        }
    }
}

/// The pair of tokens `t0`, `t1` of `exchange` on `chain`.
fn pair_mut<'w>(
    exchanges: &'w mut BTreeMap<String, BTreeMap<String, Exchange>>,
    chain: &str,
    exchange: &str,
    t0: &str,
    t1: &str,
) -> Option<&'w mut Pair> {
    exchanges
        .get_mut(chain)?
        .get_mut(exchange)?
        .pair_mut(t0, t1)
}

impl Journal {
    pub fn new() -> Journal {
        Journal::default()
    }

    /// How many changes are recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets the wallet balance of `token` on `chain`.
    pub fn set_wallet(
        &mut self,
        world: &mut World,
        chain: ChainId,
        token: TokenId,
        value: u128,
    ) -> Result<(), NotInWorld> {
        let World {
            registry, wallets, ..
        } = world;
        let (chain_text, token_text) = (chain_name(registry, chain)?, token_name(registry, token)?);
        let entries = &mut self.entries;
        let balances = child(wallets, chain_text, || {
            entries.push(Entry::WalletChainCreated { chain });
        });
        let old = set_balance(balances, token_text, value);
        self.entries.push(Entry::Wallet { chain, token, old });
        Ok(())
    }

    /// Sets a lender's liquidity or the user's deposit of `token`.
    pub fn set_lender(
        &mut self,
        world: &mut World,
        chain: ChainId,
        protocol: ProtocolId,
        balance: LenderBalance,
        token: TokenId,
        value: u128,
    ) -> Result<(), NotInWorld> {
        let World {
            registry, lenders, ..
        } = world;
        let chain_text = chain_name(registry, chain)?;
        let protocol_text = protocol_name(registry, protocol)?;
        let token_text = token_name(registry, token)?;
        let entries = &mut self.entries;
        let by_protocol = child(lenders, chain_text, || {
            entries.push(Entry::LendersChainCreated { chain });
        });
        let lender: &mut Lender = child(by_protocol, protocol_text, || {
            entries.push(Entry::LenderCreated { chain, protocol });
        });
        let map = match balance {
            LenderBalance::Liquidity => &mut lender.liquidity,
            LenderBalance::Deposit => &mut lender.deposits,
            LenderBalance::Debt => &mut lender.debts,
        };
        let old = set_balance(map, token_text, value);
        self.entries.push(Entry::Lender {
            chain,
            protocol,
            balance,
            token,
            old,
        });
        Ok(())
    }

    /// Sets the reserves of an existing pair, keyed `(token0, token1)` in
    /// the world's order (by symbol).
    pub fn set_reserves(
        &mut self,
        world: &mut World,
        chain: ChainId,
        exchange: ProtocolId,
        pair: (TokenId, TokenId),
        value: Pair,
    ) -> Result<(), NotInWorld> {
        let World {
            registry,
            exchanges,
            ..
        } = world;
        let slot = pair_mut(
            exchanges,
            chain_name(registry, chain)?,
            protocol_name(registry, exchange)?,
            token_name(registry, pair.0)?,
            token_name(registry, pair.1)?,
        )
        .ok_or(NotInWorld)?;
        let old = std::mem::replace(slot, value);
        self.entries.push(Entry::Reserves {
            chain,
            exchange,
            pair,
            old,
        });
        Ok(())
    }

    /// Undoes the changes recorded after the first `mark` ones, newest
    /// first: what a failed step did (a step's mark is the journal's
    /// length when it began).
    pub fn undo_to(&mut self, mark: usize, world: &mut World) -> Result<(), NotInWorld> {
        let mut undone_all = true;
        while self.entries.len() > mark {
            let Some(entry) = self.entries.pop() else {
                break;
            };
            if undo_one(world, entry).is_err() {
                undone_all = false;
            }
        }
        if undone_all {
            Ok(())
        } else {
            Err(NotInWorld)
        }
    }

    /// Undoes every change, newest first, and empties the journal. An
    /// entry that does not resolve in `world` (an id its registry lacks, a
    /// container that is gone) cannot be undone: the others still are, and
    /// the result says the world is not as it was. The session only
    /// undoes on the world it journaled, so this is a defect if it happens.
    pub fn undo(&mut self, world: &mut World) -> Result<(), NotInWorld> {
        self.undo_to(0, world)
    }

    /// Forgets every change (they are committed).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// Undoes one change.
fn undo_one(world: &mut World, entry: Entry) -> Result<(), NotInWorld> {
    let World {
        registry,
        lenders,
        exchanges,
        wallets,
        ..
    } = world;
    match entry {
        Entry::WalletChainCreated { chain } => {
            wallets
                .remove(chain_name(registry, chain)?)
                .ok_or(NotInWorld)?;
        }
        Entry::Wallet { chain, token, old } => {
            let balances = wallets
                .get_mut(chain_name(registry, chain)?)
                .ok_or(NotInWorld)?;
            restore(balances, token_name(registry, token)?, old);
        }
        Entry::LendersChainCreated { chain } => {
            lenders
                .remove(chain_name(registry, chain)?)
                .ok_or(NotInWorld)?;
        }
        Entry::LenderCreated { chain, protocol } => {
            lenders
                .get_mut(chain_name(registry, chain)?)
                .ok_or(NotInWorld)?
                .remove(protocol_name(registry, protocol)?)
                .ok_or(NotInWorld)?;
        }
        Entry::Lender {
            chain,
            protocol,
            balance,
            token,
            old,
        } => {
            let lender = lenders
                .get_mut(chain_name(registry, chain)?)
                .and_then(|l| l.get_mut(protocol_name(registry, protocol).ok()?))
                .ok_or(NotInWorld)?;
            let map = match balance {
                LenderBalance::Liquidity => &mut lender.liquidity,
                LenderBalance::Deposit => &mut lender.deposits,
                LenderBalance::Debt => &mut lender.debts,
            };
            restore(map, token_name(registry, token)?, old);
        }
        Entry::Reserves {
            chain,
            exchange,
            pair,
            old,
        } => {
            let slot = pair_mut(
                exchanges,
                chain_name(registry, chain)?,
                protocol_name(registry, exchange)?,
                token_name(registry, pair.0)?,
                token_name(registry, pair.1)?,
            )
            .ok_or(NotInWorld)?;
            *slot = old;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry whose ids the world no longer resolves cannot be undone:
    /// `undo` says so (and still undoes the rest) instead of skipping it.
    #[test]
    fn undo_fails_loudly_on_an_entry_it_cannot_resolve() {
        let mut world = World::default_world();
        let before = world.clone();
        let registry = world.registry.clone();
        let (Some(polygon), Some(usdc), Some(aave)) = (
            registry.chain_id("polygon"),
            registry.token_id("USDC"),
            registry.protocol_id("aave"),
        ) else {
            panic!("the default world has polygon, USDC and aave");
        };
        let mut journal = Journal::new();
        assert_eq!(journal.set_wallet(&mut world, polygon, usdc, 7), Ok(()));
        let liquidity = LenderBalance::Liquidity;
        assert_eq!(
            journal.set_lender(&mut world, polygon, aave, liquidity, usdc, 9),
            Ok(())
        );
        assert_eq!(
            journal.undo(&mut world.clone()),
            Ok(()),
            "a resolvable journal undoes"
        );

        // The same changes, undone on a world whose registry lost aave.
        let mut journal = Journal::new();
        let mut changed = before.clone();
        assert_eq!(journal.set_wallet(&mut changed, polygon, usdc, 7), Ok(()));
        assert_eq!(
            journal.set_lender(&mut changed, polygon, aave, liquidity, usdc, 9),
            Ok(())
        );
        changed.registry.protocols.clear();
        assert_eq!(journal.undo(&mut changed), Err(NotInWorld));
        assert!(journal.is_empty(), "the journal is emptied all the same");
        assert_eq!(
            changed.wallets, before.wallets,
            "the entries that resolve are still undone"
        );
    }
}
