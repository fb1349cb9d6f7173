//! The journal: every change a session makes to the world, with what was
//! there before, so that a failure anywhere undoes all of them on every
//! chain, leaving the world exactly as it was (containers that a change
//! created are removed again).

use std::collections::BTreeMap;

use crate::world::{Lender, Pair, World};

#[derive(Clone, Debug)]
enum Entry {
    WalletChainCreated {
        chain: String,
    },
    Wallet {
        chain: String,
        token: String,
        old: Option<u128>,
    },
    LendersChainCreated {
        chain: String,
    },
    LenderCreated {
        chain: String,
        protocol: String,
    },
    Liquidity {
        chain: String,
        protocol: String,
        token: String,
        old: Option<u128>,
    },
    Deposit {
        chain: String,
        protocol: String,
        token: String,
        old: Option<u128>,
    },
    Reserves {
        chain: String,
        exchange: String,
        pair: (String, String),
        old: Pair,
    },
}

/// Which balance of a lender a change touches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LenderBalance {
    Liquidity,
    Deposit,
}

/// An undo log over a world.
#[derive(Clone, Debug, Default)]
pub struct Journal {
    entries: Vec<Entry>,
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
    pub fn set_wallet(&mut self, world: &mut World, chain: &str, token: &str, value: u128) {
        if !world.wallets.contains_key(chain) {
            self.entries.push(Entry::WalletChainCreated {
                chain: chain.to_string(),
            });
            world.wallets.insert(chain.to_string(), BTreeMap::new());
        }
        let balances = world.wallets.get_mut(chain).expect("inserted above");
        let old = set_balance(balances, token, value);
        self.entries.push(Entry::Wallet {
            chain: chain.to_string(),
            token: token.to_string(),
            old,
        });
    }

    /// Sets a lender's liquidity or the user's deposit of `token`.
    pub fn set_lender(
        &mut self,
        world: &mut World,
        chain: &str,
        protocol: &str,
        balance: LenderBalance,
        token: &str,
        value: u128,
    ) {
        if !world.lenders.contains_key(chain) {
            self.entries.push(Entry::LendersChainCreated {
                chain: chain.to_string(),
            });
            world.lenders.insert(chain.to_string(), BTreeMap::new());
        }
        let lenders = world.lenders.get_mut(chain).expect("inserted above");
        if !lenders.contains_key(protocol) {
            self.entries.push(Entry::LenderCreated {
                chain: chain.to_string(),
                protocol: protocol.to_string(),
            });
            lenders.insert(protocol.to_string(), Lender::default());
        }
        let lender = lenders.get_mut(protocol).expect("inserted above");
        let (chain, protocol, token) = (chain.to_string(), protocol.to_string(), token.to_string());
        let entry = match balance {
            LenderBalance::Liquidity => {
                let old = set_balance(&mut lender.liquidity, &token, value);
                Entry::Liquidity {
                    chain,
                    protocol,
                    token,
                    old,
                }
            }
            LenderBalance::Deposit => {
                let old = set_balance(&mut lender.deposits, &token, value);
                Entry::Deposit {
                    chain,
                    protocol,
                    token,
                    old,
                }
            }
        };
        self.entries.push(entry);
    }

    /// Sets the reserves of an existing pair.
    pub fn set_reserves(
        &mut self,
        world: &mut World,
        chain: &str,
        exchange: &str,
        pair: &(String, String),
        value: Pair,
    ) {
        let slot = world
            .exchanges
            .get_mut(chain)
            .and_then(|e| e.get_mut(exchange))
            .and_then(|e| e.pairs.get_mut(pair))
            .expect("reserves are only set on an existing pair");
        let old = std::mem::replace(slot, value);
        self.entries.push(Entry::Reserves {
            chain: chain.to_string(),
            exchange: exchange.to_string(),
            pair: pair.clone(),
            old,
        });
    }

    /// Undoes every change, newest first, and empties the journal.
    pub fn undo(&mut self, world: &mut World) {
        fn restore(map: &mut BTreeMap<String, u128>, token: String, old: Option<u128>) {
            match old {
                Some(v) => map.insert(token, v),
                None => map.remove(&token),
            };
        }
        while let Some(entry) = self.entries.pop() {
            match entry {
                Entry::WalletChainCreated { chain } => {
                    world.wallets.remove(&chain);
                }
                Entry::Wallet { chain, token, old } => {
                    if let Some(w) = world.wallets.get_mut(&chain) {
                        restore(w, token, old);
                    }
                }
                Entry::LendersChainCreated { chain } => {
                    world.lenders.remove(&chain);
                }
                Entry::LenderCreated { chain, protocol } => {
                    if let Some(l) = world.lenders.get_mut(&chain) {
                        l.remove(&protocol);
                    }
                }
                Entry::Liquidity {
                    chain,
                    protocol,
                    token,
                    old,
                } => {
                    if let Some(l) = lender_mut(world, &chain, &protocol) {
                        restore(&mut l.liquidity, token, old);
                    }
                }
                Entry::Deposit {
                    chain,
                    protocol,
                    token,
                    old,
                } => {
                    if let Some(l) = lender_mut(world, &chain, &protocol) {
                        restore(&mut l.deposits, token, old);
                    }
                }
                Entry::Reserves {
                    chain,
                    exchange,
                    pair,
                    old,
                } => {
                    if let Some(p) = world
                        .exchanges
                        .get_mut(&chain)
                        .and_then(|e| e.get_mut(&exchange))
                        .and_then(|e| e.pairs.get_mut(&pair))
                    {
                        *p = old;
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

/// Sets `map[key]` to `value`, allocating the key only for a new entry;
/// returns the value it replaces.
fn set_balance(map: &mut BTreeMap<String, u128>, key: &str, value: u128) -> Option<u128> {
    match map.get_mut(key) {
        Some(slot) => Some(std::mem::replace(slot, value)),
        None => map.insert(key.to_string(), value),
    }
}

fn lender_mut<'w>(world: &'w mut World, chain: &str, protocol: &str) -> Option<&'w mut Lender> {
    world.lenders.get_mut(chain)?.get_mut(protocol)
}
