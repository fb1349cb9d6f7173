//! The EVM engine: runs a [`Plan`] on a world deployed from the real
//! contracts' bytecode, relays its bridge transfers, judges the bundle's
//! constraints on the state the EVM left, and says what became of it.
//!
//! A bundle is all or nothing, here as in the model engine: the engine
//! sends the plan's transactions in block order, and a transaction that
//! reverts changes nothing; the failing call is taken out and the rest of
//! the transaction sent again, as the model goes on past a failing call.
//! The bundle reverts, on every chain, with the failure first in the
//! source — the one a user sending it step by step would meet first —
//! with the contract's own revert reason.
//!
//! Here the run of a plan, block by block, and the relay of its bridge
//! transfers; `judge` judges the bundle's end as the model does, `health`
//! reads positions and their health factors, and `money` judges
//! `min_profit`.

use std::collections::BTreeMap;

use mesh_core::constraint::Constraints;
use mesh_core::health::HealthFactor;
use mesh_core::revert::Revert;
use mesh_core::Loc;
use mesh_runtime::world::World;
use revm::primitives::{keccak256, Address, U256};

use crate::abi::{self, call, revert_path, Token};
use crate::chain::{Snapshot, Status, Tx, TX_GAS_CAP};
use crate::deploy::{DeployOptions, Holder};
use crate::error::EvmError;
use crate::plan::{Plan, Step};
use crate::world::EvmWorld;

mod health;
mod judge;
mod money;

/// Seconds between two blocks of every chain.
pub const BLOCK_SECONDS: u64 = 12;

/// A pair: (chain, exchange, token0, token1).
type PairKey = (String, String, String, String);

/// A position at a lender: (chain, lender, token).
type PositionKey = (String, String, String);

/// A position that changed: where, and (before, after) of its collateral
/// (the aToken balance) and of its variable debt.
pub type Position = (PositionKey, (u128, u128), (u128, u128));

/// A position's health factor before and after: (chain, lender), before,
/// after.
pub type HealthChange = ((String, String), HealthFactor, HealthFactor);

/// One figure per transaction of a plan; `None` for one left with no call.
pub type PerTransaction = Vec<Option<u64>>;

/// What a plan did on the EVM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvmRun {
    /// Gas used by each transaction of the plan (by the attempt that went
    /// through, or the last one), as the EVM metered it; `None` for one
    /// left with no call.
    pub gas: PerTransaction,
    /// What storage refunds took off each transaction's gas spent, as the
    /// EVM counted them (included in `gas`).
    pub refunds: PerTransaction,
    /// Why the bundle reverted: the failure first in the source.
    pub revert: Option<Revert>,
    /// Every failure met, in the order met.
    pub failures: Vec<Revert>,
    /// The holder's balances that changed or that an input drew from:
    /// (chain, token, before, after), in the order of names.
    pub wallet: Vec<(String, String, u128, u128)>,
    /// The holder's positions at each lender that changed: (chain, lender,
    /// token, collateral before and after, debt before and after).
    pub positions: Vec<Position>,
    /// The health factor, before and after, of each (chain, lender) whose
    /// position changed, as Aave V3 computes it; a position that owed
    /// nothing before and after is left out.
    pub health: Vec<HealthChange>,
    /// What the bundle returned to the wallet (what it holds at the end):
    /// the change of each balance plus what its inputs drew.
    pub holdings: BTreeMap<(String, String), u128>,
    /// The world as the EVM left it, for a committed bundle.
    pub world: Option<World>,
}

/// A deployed world, ready to run plans on, each from the same state.
pub struct EvmEngine {
    template: World,
    evm: EvmWorld,
    start: BTreeMap<String, Snapshot>,
    /// Each chain's (block, timestamp) at the start: the bundle's block 1.
    start_blocks: BTreeMap<String, (u64, u64)>,
    /// The holder's balances at the start, by (chain, token).
    balances: BTreeMap<(String, String), u128>,
    /// `k` of every pair at the start: (chain, exchange, token0, token1).
    products: BTreeMap<PairKey, U256>,
    /// The holder's (collateral, debt) at every reserve at the start.
    positions: BTreeMap<PositionKey, (u128, u128)>,
    /// The holder's health factor at every market at the start, by
    /// (chain, lender).
    health: BTreeMap<(String, String), HealthFactor>,
}

impl std::fmt::Debug for EvmEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EvmEngine").finish_non_exhaustive()
    }
}

/// A transfer locked on one chain, waiting for its release.
struct Release {
    ready: u64,
    to_chain: String,
    bridge: Address,
    from_chain_id: u64,
    lock: U256,
    token: Address,
    recipient: Address,
    amount: U256,
}

fn locked_topic() -> revm::primitives::B256 {
    keccak256(
        "Locked(uint256,uint256,address,address,address,uint256,uint256,uint256,uint256)"
            .as_bytes(),
    )
}

impl EvmEngine {
    /// Deploys `world` with its balances held by `holder` (the wallet for
    /// `-O0`, the executor for `-O`), every chain one block on.
    pub fn new(world: &World, holder: Holder) -> Result<EvmEngine, EvmError> {
        let options = DeployOptions {
            holder,
            ..DeployOptions::default()
        };
        let mut evm = EvmWorld::deploy(world, &options)?;
        let names: Vec<String> = evm.chain_names().map(str::to_string).collect();
        let mut start = BTreeMap::new();
        let mut start_blocks = BTreeMap::new();
        for chain in &names {
            let c = evm.chain_mut(chain)?;
            c.next_block(BLOCK_SECONDS)?;
            start.insert(chain.clone(), c.snapshot());
            start_blocks.insert(chain.clone(), c.block());
        }
        let mut engine = EvmEngine {
            template: world.clone(),
            evm,
            start,
            start_blocks,
            balances: BTreeMap::new(),
            products: BTreeMap::new(),
            positions: BTreeMap::new(),
            health: BTreeMap::new(),
        };
        engine.balances = engine.holder_balances()?;
        engine.products = engine.pair_products()?;
        engine.positions = engine.holder_positions()?;
        let markets: Vec<(String, String)> = engine
            .positions
            .keys()
            .map(|(chain, lender, _)| (chain.clone(), lender.clone()))
            .collect();
        for (chain, lender) in markets {
            let hf = engine.health_factor(&chain, &lender)?;
            engine.health.insert((chain, lender), hf);
        }
        Ok(engine)
    }

    /// The deployed world (addresses of everything).
    pub fn evm(&self) -> &EvmWorld {
        &self.evm
    }

    /// Back to the state right after the deployment.
    fn reset(&mut self) -> Result<(), EvmError> {
        for (chain, snapshot) in &self.start {
            self.evm.chain_mut(chain)?.restore(snapshot.clone());
        }
        Ok(())
    }

    fn holder_balances(&mut self) -> Result<BTreeMap<(String, String), u128>, EvmError> {
        let mut out = BTreeMap::new();
        let names: Vec<String> = self.evm.chain_names().map(str::to_string).collect();
        for chain in names {
            let contracts = self.evm.contracts(&chain)?.clone();
            for symbol in contracts.tokens.keys() {
                let amount = self.evm.balance(&chain, symbol, contracts.holder)?;
                out.insert((chain.clone(), symbol.clone()), amount);
            }
        }
        Ok(out)
    }

    fn holder_positions(&mut self) -> Result<BTreeMap<PositionKey, (u128, u128)>, EvmError> {
        let mut out = BTreeMap::new();
        let names: Vec<String> = self.evm.chain_names().map(str::to_string).collect();
        for chain in names {
            let contracts = self.evm.contracts(&chain)?.clone();
            for (lender, market) in &contracts.lenders {
                for (token, reserve) in &market.reserves {
                    let c = self.evm.chain_mut(&chain)?;
                    let mut read = |at: Address, what: &str| -> Result<u128, EvmError> {
                        let word = c.view_word(
                            at,
                            call("balanceOf(address)", &[Token::Address(contracts.holder)]),
                            what,
                        )?;
                        u128::try_from(word).map_err(|_| overflow(&chain))
                    };
                    let collateral = read(reserve.a_token, "a deposit")?;
                    let debt = read(reserve.variable_debt_token, "a debt")?;
                    out.insert(
                        (chain.clone(), lender.clone(), token.clone()),
                        (collateral, debt),
                    );
                }
            }
        }
        Ok(out)
    }

    fn pair_products(&mut self) -> Result<BTreeMap<PairKey, U256>, EvmError> {
        let world = self.evm.read_world(&self.template)?;
        let mut out = BTreeMap::new();
        for (chain, exchanges) in &world.exchanges {
            for (name, exchange) in exchanges {
                for ((a, b), pair) in &exchange.pairs {
                    let k = U256::from(pair.reserve0) * U256::from(pair.reserve1);
                    out.insert((chain.clone(), name.clone(), a.clone(), b.clone()), k);
                }
            }
        }
        Ok(out)
    }

    /// The holder's variable debt of `token` at `protocol` on `chain`.
    fn debt(&mut self, chain: &str, protocol: &str, token: &str) -> Result<U256, EvmError> {
        let contracts = self.evm.contracts(chain)?.clone();
        let Some(reserve) = contracts
            .lenders
            .get(protocol)
            .and_then(|m| m.reserves.get(token))
        else {
            return Ok(U256::ZERO);
        };
        self.evm.chain_mut(chain)?.view_word(
            reserve.variable_debt_token,
            call("balanceOf(address)", &[Token::Address(contracts.holder)]),
            &format!("the {token} debt at {protocol}"),
        )
    }

    /// Runs `plan` from the state right after the deployment and judges
    /// `constraints` on what it leaves.
    pub fn run(&mut self, plan: &Plan, constraints: &Constraints) -> Result<EvmRun, EvmError> {
        self.reset()?;
        let debts_before = plan
            .loans
            .iter()
            .map(|l| self.debt(&l.chain, &l.protocol, &l.token))
            .collect::<Result<Vec<_>, _>>()?;
        let mut failures: Vec<Revert> = plan
            .checks
            .iter()
            .map(|c| Revert {
                reason: c.reason.clone(),
                loc: c.loc,
            })
            .collect();
        // An input draws from what the wallet holds at the start.
        let mut drawn: BTreeMap<(&str, &str), u128> = BTreeMap::new();
        for input in &plan.inputs {
            let key = (input.chain.as_str(), input.token.as_str());
            let total = drawn
                .get(&key)
                .copied()
                .unwrap_or(0)
                .checked_add(input.amount);
            let held = self
                .balances
                .get(&(input.chain.clone(), input.token.clone()))
                .copied()
                .unwrap_or(0);
            match total {
                Some(t) if t <= held => {
                    drawn.insert(key, t);
                }
                _ => failures.push(Revert {
                    reason: format!(
                        "the wallet holds {held} base units of {} on {}; input needs {} more",
                        input.token, input.chain, input.amount
                    ),
                    loc: input.loc,
                }),
            }
        }
        let (gas, refunds) = self.send_all(plan, &mut failures)?;
        let mut revert = first_in_source(&failures);
        let mut holdings = BTreeMap::new();
        let mut wallet = Vec::new();
        if revert.is_none() {
            let after = self.holder_balances()?;
            for ((chain, token), &before) in &self.balances {
                let now = after.get(&(chain.clone(), token.clone())).copied();
                let now = now.unwrap_or(0);
                let drawn = plan
                    .inputs
                    .iter()
                    .filter(|i| i.chain == *chain && i.token == *token)
                    .try_fold(0u128, |sum, i| sum.checked_add(i.amount))
                    .ok_or_else(|| overflow(chain))?;
                if now != before {
                    wallet.push((chain.clone(), token.clone(), before, now));
                }
                // held = now − before + drawn, when it is not negative.
                let held = now
                    .checked_add(drawn)
                    .ok_or_else(|| overflow(chain))?
                    .checked_sub(before);
                if let Some(held) = held.filter(|&h| h > 0) {
                    holdings.insert((chain.clone(), token.clone()), held);
                }
            }
            revert = self.judge(plan, constraints, &gas, &holdings, &wallet, &debts_before)?;
        }
        let mut positions = Vec::new();
        if revert.is_none() {
            let now = self.holder_positions()?;
            for (key, &before) in &self.positions {
                let after = now.get(key).copied().unwrap_or((0, 0));
                if after != before {
                    positions.push((key.clone(), (before.0, after.0), (before.1, after.1)));
                }
            }
        }
        let health = if revert.is_none() {
            self.health_changes(&positions)?
        } else {
            Vec::new()
        };
        let world = match revert {
            Some(_) => {
                self.reset()?;
                wallet.clear();
                holdings.clear();
                None
            }
            None => Some(self.evm.read_world(&self.template)?),
        };
        Ok(EvmRun {
            gas,
            refunds,
            revert,
            failures,
            wallet,
            positions,
            health,
            holdings,
            world,
        })
    }

    /// Sends every transaction in block order, releasing bridge transfers
    /// as they arrive; the gas of each, and what refunds took off it.
    fn send_all(
        &mut self,
        plan: &Plan,
        failures: &mut Vec<Revert>,
    ) -> Result<(PerTransaction, PerTransaction), EvmError> {
        let mut order: Vec<usize> = (0..plan.transactions.len()).collect();
        order.sort_by_key(|&i| plan.transactions[i].block);
        let mut gas = vec![None; plan.transactions.len()];
        let mut refunds = vec![None; plan.transactions.len()];
        let mut releases: Vec<Release> = Vec::new();
        for index in order {
            let tx = &plan.transactions[index];
            self.release_until(&mut releases, tx.block)?;
            self.move_to(&tx.chain, tx.block)?;
            let mut body = tx.body.clone();
            loop {
                let mut attempt = tx.clone();
                attempt.body = body.clone();
                let Some((to, data, value)) = attempt.encoded() else {
                    break;
                };
                let limit = if tx.gas_limit == 0 {
                    TX_GAS_CAP
                } else {
                    tx.gas_limit
                };
                let sent = Tx {
                    from: tx.from,
                    to: Some(to),
                    data,
                    value,
                    gas_limit: limit,
                };
                let receipt = self.evm.execute(&tx.chain, &sent)?;
                gas[index] = Some(receipt.gas_used);
                refunds[index] = Some(receipt.gas_refunded);
                match receipt.status {
                    Status::Success => {
                        releases.extend(self.locks(&tx.chain, tx.block, &receipt.logs)?);
                        break;
                    }
                    Status::Halt { reason } => {
                        failures.push(Revert {
                            reason: format!("the EVM stopped the transaction: {reason}"),
                            loc: tx.first_loc(),
                        });
                        break;
                    }
                    Status::Revert { data, .. } => {
                        let (path, reason) = revert_path(&data);
                        let path = match tx.sender {
                            mesh_core::Sender::Wallet => vec![0],
                            mesh_core::Sender::Executor => path,
                        };
                        match take_out(&mut body, &path) {
                            Some(Failed {
                                step: Step::Flash(flash),
                                flash_itself: true,
                            }) => {
                                // The pool lends what it holds; a loan it
                                // could make failed on its repayment, which
                                // is the repay statement's failure — and,
                                // as in the model, no failure of its own
                                // when a call failed before.
                                let short = self.flash_liquidity_short(&tx.chain, &flash)?;
                                if short || failures.is_empty() {
                                    failures.push(Revert {
                                        reason: format!(
                                            "{} reverted: {}",
                                            flash.what,
                                            readable(&reason)
                                        ),
                                        loc: if short {
                                            flash.loc
                                        } else {
                                            flash.repay_loc.unwrap_or(flash.loc)
                                        },
                                    });
                                }
                            }
                            Some(Failed { step, .. }) => failures.push(Revert {
                                reason: format!("{} reverted: {}", step.what(), readable(&reason)),
                                loc: step.loc(),
                            }),
                            None => {
                                failures.push(Revert {
                                    reason: format!(
                                        "the transaction reverted: {}",
                                        readable(&reason)
                                    ),
                                    loc: tx.first_loc(),
                                });
                                break;
                            }
                        }
                    }
                }
            }
        }
        self.release_until(&mut releases, u64::MAX)?;
        Ok((gas, refunds))
    }

    /// Whether the pool holds less of some asset than `flash` borrows.
    fn flash_liquidity_short(
        &mut self,
        chain: &str,
        flash: &crate::plan::FlashLoan,
    ) -> Result<bool, EvmError> {
        let contracts = self.evm.contracts(chain)?.clone();
        for (asset, amount) in &flash.loans {
            let Some(reserve) = contracts
                .lenders
                .values()
                .filter(|m| m.pool == flash.pool)
                .flat_map(|m| m.reserves.values())
                .find(|r| r.asset == *asset)
            else {
                continue;
            };
            let held = self.evm.chain_mut(chain)?.view_word(
                *asset,
                call("balanceOf(address)", &[Token::Address(reserve.a_token)]),
                "a pool's liquidity",
            )?;
            if held < U256::from(*amount) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Moves `chain` to the bundle's block `block` (never back).
    fn move_to(&mut self, chain: &str, block: u64) -> Result<(), EvmError> {
        let Some(&(number, timestamp)) = self.start_blocks.get(chain) else {
            return Err(EvmError::Unknown {
                chain: chain.to_string(),
                what: "such chain".to_string(),
            });
        };
        let offset = block.saturating_sub(1);
        let overflow = || overflow(chain);
        let want = number.checked_add(offset).ok_or_else(overflow)?;
        let at = offset
            .checked_mul(BLOCK_SECONDS)
            .and_then(|s| timestamp.checked_add(s))
            .ok_or_else(overflow)?;
        let c = self.evm.chain_mut(chain)?;
        let (n, t) = c.block();
        c.set_block(want.max(n), at.max(t))
    }

    /// The transfers a transaction locked, from its bridges' `Locked` logs.
    fn locks(
        &mut self,
        chain: &str,
        block: u64,
        logs: &[revm::primitives::Log],
    ) -> Result<Vec<Release>, EvmError> {
        let contracts = self.evm.contracts(chain)?.clone();
        let from_chain_id = self.evm.chain(chain)?.chain_id();
        let topic = locked_topic();
        let mut out = Vec::new();
        for log in logs {
            let Some(kind) = contracts
                .bridges
                .iter()
                .find(|(_, a)| **a == log.address)
                .map(|(k, _)| *k)
            else {
                continue;
            };
            let topics = log.data.topics();
            if topics.first() != Some(&topic) || topics.len() < 3 {
                continue;
            }
            let bad = || EvmError::Setup {
                chain: chain.to_string(),
                step: "reading a bridge's Locked event".to_string(),
                reason: "it is malformed".to_string(),
            };
            let lock = U256::from_be_slice(topics[1].as_slice());
            let to_id =
                u64::try_from(U256::from_be_slice(topics[2].as_slice())).map_err(|_| bad())?;
            let data = log.data.data.as_ref();
            let token = abi::address_at(data, 0).ok_or_else(bad)?;
            let recipient = abi::address_at(data, 2).ok_or_else(bad)?;
            let arrives = abi::uint_at(data, 5).ok_or_else(bad)?;
            let symbol = contracts
                .tokens
                .iter()
                .find(|(_, t)| t.address() == Some(token))
                .map(|(s, _)| s.clone())
                .ok_or_else(bad)?;
            let to_chain = self
                .evm
                .chain_names()
                .find(|c| self.evm.chain(c).is_ok_and(|x| x.chain_id() == to_id))
                .map(str::to_string)
                .ok_or_else(bad)?;
            let dest = self.evm.contracts(&to_chain)?;
            let bridge = *dest.bridges.get(&kind).ok_or_else(|| EvmError::Unknown {
                chain: to_chain.clone(),
                what: format!("{} bridge", kind.as_str()),
            })?;
            let token = dest
                .tokens
                .get(&symbol)
                .and_then(|t| t.address())
                .ok_or_else(|| EvmError::Unknown {
                    chain: to_chain.clone(),
                    what: format!("token {symbol}"),
                })?;
            let delay = self
                .template
                .registry
                .route(chain, &to_chain, kind)
                .map_or(0, |r| r.delay_blocks);
            out.push(Release {
                ready: block.checked_add(delay).ok_or_else(|| overflow(chain))?,
                to_chain,
                bridge,
                from_chain_id,
                lock,
                token,
                recipient,
                amount: arrives,
            });
        }
        Ok(out)
    }

    /// The relayer releases every transfer ready by `block`, oldest first.
    fn release_until(&mut self, releases: &mut Vec<Release>, block: u64) -> Result<(), EvmError> {
        releases.sort_by_key(|r| r.ready);
        while releases.first().is_some_and(|r| r.ready <= block) {
            let r = releases.remove(0);
            self.move_to(&r.to_chain, r.ready)?;
            let amount = u128::try_from(r.amount).map_err(|_| overflow(&r.to_chain))?;
            let lock = u128::try_from(r.lock).map_err(|_| overflow(&r.to_chain))?;
            let data =
                crate::calls::bridge_release(r.from_chain_id, lock, r.token, r.recipient, amount);
            let relayer = self.evm.accounts.relayer;
            self.evm.chain_mut(&r.to_chain)?.setup(
                &Tx::call(relayer, r.bridge, data),
                "releasing a bridge transfer",
            )?;
        }
        Ok(())
    }
}

fn overflow(chain: &str) -> EvmError {
    EvmError::Invalid {
        chain: chain.to_string(),
        reason: "an amount or a block overflows".to_string(),
    }
}

/// The failure first in the source: one with a location before one without.
pub fn first_in_source(failures: &[Revert]) -> Option<Revert> {
    failures
        .iter()
        .min_by_key(|f| (f.loc == Loc::UNKNOWN, f.loc))
        .cloned()
}

/// The step that failed, taken out of a transaction's body.
struct Failed {
    step: Step,
    /// Whether it is a flash loan that failed in the pool itself (lending
    /// or pulling the repayment), not in a call of its callback.
    flash_itself: bool,
}

/// Takes the failing step at `path` out of `body`; `None` when the path
/// leads nowhere (the executor itself failed).
fn take_out(body: &mut Vec<Step>, path: &[usize]) -> Option<Failed> {
    let (&first, rest) = path.split_first()?;
    if first >= body.len() {
        return None;
    }
    if let (Step::Flash(flash), false) = (&mut body[first], rest.is_empty()) {
        if let Some(found) = take_out(&mut flash.body, rest) {
            return Some(found);
        }
    }
    let step = body.remove(first);
    let flash_itself = matches!(step, Step::Flash(_));
    Some(Failed { step, flash_itself })
}

/// A revert reason with Aave V3's numbered errors named.
pub fn readable(reason: &str) -> String {
    const AAVE: &[(&str, &str)] = &[
        ("26", "INVALID_AMOUNT"),
        ("27", "RESERVE_INACTIVE"),
        ("30", "BORROWING_NOT_ENABLED"),
        ("32", "NOT_ENOUGH_AVAILABLE_USER_BALANCE"),
        ("34", "COLLATERAL_BALANCE_IS_ZERO"),
        ("35", "HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD"),
        ("36", "COLLATERAL_CANNOT_COVER_NEW_BORROW"),
        ("39", "NO_DEBT_OF_SELECTED_TYPE"),
        ("43", "UNDERLYING_BALANCE_ZERO"),
        ("57", "LTV_VALIDATION_FAILED"),
        ("91", "FLASHLOAN_DISABLED"),
    ];
    match AAVE.iter().find(|(code, _)| *code == reason) {
        Some((code, name)) => format!("Aave error {code} ({name})"),
        None => reason.to_string(),
    }
}
