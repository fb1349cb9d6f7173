//! A deployed world: one EVM per chain, and the way back from EVM state to
//! a World-like view of it.

use std::collections::BTreeMap;

use mesh_runtime::world::{Exchange as WorldExchange, Lender, Pair, World};
use revm::primitives::{Address, U256};

use crate::abi::{self, call, Token};
use crate::chain::{Chain, Receipt, Tx};
use crate::deploy::{deploy_chain, Accounts, Contracts, DeployOptions, DeployedChain};
use crate::error::EvmError;

/// Every chain of a world, deployed; chains are separate EVM states.
#[derive(Debug)]
pub struct EvmWorld {
    pub accounts: Accounts,
    pub options: DeployOptions,
    chains: BTreeMap<String, DeployedChain>,
}

impl EvmWorld {
    /// Deploys every chain of `world` (see [`crate::deploy`]).
    pub fn deploy(world: &World, options: &DeployOptions) -> Result<EvmWorld, EvmError> {
        let accounts = Accounts::standard();
        let mut chains = BTreeMap::new();
        for chain in &world.registry.chains {
            let deployed = deploy_chain(world, &chain.name, &accounts, options)?;
            chains.insert(chain.name.clone(), deployed);
        }
        Ok(EvmWorld {
            accounts,
            options: options.clone(),
            chains,
        })
    }

    /// The chains' names, sorted.
    pub fn chain_names(&self) -> impl Iterator<Item = &str> {
        self.chains.keys().map(String::as_str)
    }

    fn deployed(&self, chain: &str) -> Result<&DeployedChain, EvmError> {
        self.chains.get(chain).ok_or_else(|| unknown_chain(chain))
    }

    fn deployed_mut(&mut self, chain: &str) -> Result<&mut DeployedChain, EvmError> {
        self.chains
            .get_mut(chain)
            .ok_or_else(|| unknown_chain(chain))
    }

    /// What is deployed on `chain`, with every address.
    pub fn contracts(&self, chain: &str) -> Result<&Contracts, EvmError> {
        Ok(&self.deployed(chain)?.contracts)
    }

    /// The EVM of `chain`, to set its block, snapshot or restore it.
    pub fn chain(&self, chain: &str) -> Result<&Chain, EvmError> {
        Ok(&self.deployed(chain)?.chain)
    }

    pub fn chain_mut(&mut self, chain: &str) -> Result<&mut Chain, EvmError> {
        Ok(&mut self.deployed_mut(chain)?.chain)
    }

    /// Executes an unsigned transaction on `chain` in its current block:
    /// gas used as the EVM meters it, success or revert with its reason,
    /// and logs.
    pub fn execute(&mut self, chain: &str, tx: &Tx) -> Result<Receipt, EvmError> {
        self.chain_mut(chain)?.execute(tx)
    }

    /// The ERC-20 or native balance of `account` in base units.
    pub fn balance(
        &mut self,
        chain: &str,
        token: &str,
        account: Address,
    ) -> Result<u128, EvmError> {
        let d = self
            .chains
            .get_mut(chain)
            .ok_or_else(|| unknown_chain(chain))?;
        let contract = *d
            .contracts
            .tokens
            .get(token)
            .ok_or_else(|| EvmError::Unknown {
                chain: chain.to_string(),
                what: format!("token {token}"),
            })?;
        let wei = match contract.address() {
            None => d.chain.balance(account),
            Some(address) => d.chain.view_word(
                address,
                call("balanceOf(address)", &[Token::Address(account)]),
                &format!("the {token} balance"),
            )?,
        };
        to_u128(chain, wei, &format!("the {token} balance"))
    }

    /// The state of `template`'s world as the EVM holds it now: wallet
    /// balances (of the holder, nonzero ones), every deployed pair's
    /// reserves, and each deployed lender's liquidity (what the pool holds
    /// of each token, nonzero), the holder's deposits (its aToken
    /// balances, nonzero) and debts (its variable debt tokens, nonzero).
    /// The registry, the oracle, the lenders' risk parameters and the
    /// lenders that are model-only are copied from `template`.
    pub fn read_world(&mut self, template: &World) -> Result<World, EvmError> {
        let mut world = template.clone();
        let names: Vec<String> = self.chains.keys().cloned().collect();
        for chain in names {
            let contracts = self.deployed(&chain)?.contracts.clone();
            let holder = contracts.holder;

            let mut wallet = BTreeMap::new();
            for symbol in contracts.tokens.keys() {
                let amount = self.balance(&chain, symbol, holder)?;
                if amount > 0 {
                    wallet.insert(symbol.clone(), amount);
                }
            }
            if wallet.is_empty() {
                world.wallets.remove(&chain);
            } else {
                world.wallets.insert(chain.clone(), wallet);
            }

            let mut exchanges = BTreeMap::new();
            for (name, exchange) in &contracts.exchanges {
                let mut pairs = BTreeMap::new();
                for ((a, b), &pair) in &exchange.pairs {
                    let (ra, rb) = self.reserves(&chain, &contracts, pair, a, b)?;
                    pairs.insert(
                        (a.clone(), b.clone()),
                        Pair {
                            reserve0: ra,
                            reserve1: rb,
                        },
                    );
                }
                if !pairs.is_empty() {
                    exchanges.insert(name.clone(), WorldExchange { pairs });
                }
            }
            world.exchanges.remove(&chain);
            if !exchanges.is_empty() {
                world.exchanges.insert(chain.clone(), exchanges);
            }

            let lenders = world.lenders.entry(chain.clone()).or_default();
            for (name, market) in &contracts.lenders {
                let mut lender = Lender::default();
                for (symbol, reserve) in &market.reserves {
                    let d = self
                        .chains
                        .get_mut(&chain)
                        .ok_or_else(|| unknown_chain(&chain))?;
                    let held = d.chain.view_word(
                        reserve.asset,
                        call("balanceOf(address)", &[Token::Address(reserve.a_token)]),
                        &format!("the {symbol} liquidity of {name}"),
                    )?;
                    let deposit = d.chain.view_word(
                        reserve.a_token,
                        call("balanceOf(address)", &[Token::Address(holder)]),
                        &format!("the {symbol} deposit at {name}"),
                    )?;
                    let held = to_u128(&chain, held, &format!("the {symbol} liquidity of {name}"))?;
                    let deposit =
                        to_u128(&chain, deposit, &format!("the {symbol} deposit at {name}"))?;
                    let debt = d.chain.view_word(
                        reserve.variable_debt_token,
                        call("balanceOf(address)", &[Token::Address(holder)]),
                        &format!("the {symbol} debt at {name}"),
                    )?;
                    let debt = to_u128(&chain, debt, &format!("the {symbol} debt at {name}"))?;
                    if held > 0 {
                        lender.liquidity.insert(symbol.clone(), held);
                    }
                    if deposit > 0 {
                        lender.deposits.insert(symbol.clone(), deposit);
                    }
                    if debt > 0 {
                        lender.debts.insert(symbol.clone(), debt);
                    }
                }
                // Risk parameters are configuration, as the registry is.
                lender.risk = template
                    .lender(&chain, name)
                    .map(|l| l.risk.clone())
                    .unwrap_or_default();
                lenders.insert(name.clone(), lender);
            }
            if lenders.is_empty() {
                world.lenders.remove(&chain);
            }
        }
        Ok(world)
    }

    /// A pair's reserves in the order of the world's key `(a, b)`.
    fn reserves(
        &mut self,
        chain: &str,
        contracts: &Contracts,
        pair: Address,
        a: &str,
        b: &str,
    ) -> Result<(u128, u128), EvmError> {
        let d = self
            .chains
            .get_mut(chain)
            .ok_or_else(|| unknown_chain(chain))?;
        let what = format!("the reserves of pair {a}/{b}");
        let out = d.chain.view(pair, call("getReserves()", &[]), &what)?;
        let token0 = d.chain.view(pair, call("token0()", &[]), &what)?;
        let bad = || EvmError::Setup {
            chain: chain.to_string(),
            step: format!("reading {what}"),
            reason: "the pair returned too little".to_string(),
        };
        let r0 = to_u128(chain, abi::uint_at(&out, 0).ok_or_else(bad)?, &what)?;
        let r1 = to_u128(chain, abi::uint_at(&out, 1).ok_or_else(bad)?, &what)?;
        let token0 = abi::address_at(&token0, 0).ok_or_else(bad)?;
        let address_a = contracts.tokens.get(a).and_then(|t| t.address());
        if address_a == Some(token0) {
            Ok((r0, r1))
        } else {
            Ok((r1, r0))
        }
    }
}

fn unknown_chain(chain: &str) -> EvmError {
    EvmError::Unknown {
        chain: chain.to_string(),
        what: "such chain".to_string(),
    }
}

fn to_u128(chain: &str, value: U256, what: &str) -> Result<u128, EvmError> {
    u128::try_from(value).map_err(|_| EvmError::Unrepresentable {
        chain: chain.to_string(),
        what: format!("{what} of {value}, above u128 base units"),
    })
}
