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

    /// Undoes every change, newest first, and empties the journal.
    pub fn undo(&mut self, world: &mut World) {
        let World {
            registry,
            lenders,
            exchanges,
            wallets,
        } = world;
        let names = |c: ChainId| chain_name(registry, c).ok();
        while let Some(entry) = self.entries.pop() {
            match entry {
                Entry::WalletChainCreated { chain } => {
                    if let Some(c) = names(chain) {
                        wallets.remove(c);
                    }
                }
                Entry::Wallet { chain, token, old } => {
                    if let (Some(c), Ok(t)) = (names(chain), token_name(registry, token)) {
                        if let Some(w) = wallets.get_mut(c) {
                            restore(w, t, old);
                        }
                    }
                }
                Entry::LendersChainCreated { chain } => {
                    if let Some(c) = names(chain) {
                        lenders.remove(c);
                    }
                }
                Entry::LenderCreated { chain, protocol } => {
                    if let (Some(c), Ok(p)) = (names(chain), protocol_name(registry, protocol)) {
                        if let Some(l) = lenders.get_mut(c) {
                            l.remove(p);
                        }
                    }
                }
                Entry::Lender {
                    chain,
                    protocol,
                    balance,
                    token,
                    old,
                } => {
                    let lender = names(chain).zip(protocol_name(registry, protocol).ok());
                    let lender = lender.and_then(|(c, p)| lenders.get_mut(c)?.get_mut(p));
                    if let (Some(l), Ok(t)) = (lender, token_name(registry, token)) {
                        let map = match balance {
                            LenderBalance::Liquidity => &mut l.liquidity,
                            LenderBalance::Deposit => &mut l.deposits,
                        };
                        restore(map, t, old);
                    }
                }
                Entry::Reserves {
                    chain,
                    exchange,
                    pair,
                    old,
                } => {
                    let texts = (
                        names(chain),
                        protocol_name(registry, exchange).ok(),
                        token_name(registry, pair.0).ok(),
                        token_name(registry, pair.1).ok(),
                    );
                    if let (Some(c), Some(x), Some(t0), Some(t1)) = texts {
                        if let Some(p) = pair_mut(exchanges, c, x, t0, t1) {
                            *p = old;
                        }
                    }
                }
            }
        }
    }

    /// Forgets every change (they are committed).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
