//! The plan's builder: it watches the model engine run the program box
//! by box ([`Observer`]) and writes down each box as its calls.
//!
//! Here: the contract each call goes to, and each box's calls; `observe` is
//! the builder as the interpreter's observer, `wrap` writes `wrap` and
//! `unwrap`, and `positions` the steps on the user's positions.

use super::PlanError;
use crate::interp::{evaluate, Observer, Outcome};
use crate::ir::{Node, Op, Program, Sender, Spender, Value, Wire};
use mesh_core::registry::BridgeKind;
use mesh_core::{Loc, ProtocolKind};
use mesh_evm::deploy::{Contracts, TokenContract};
use mesh_evm::plan::{Check, FlashLoan, Input, Loan, Plan, PlannedCall, PlannedTx, Step, Transfer};
use mesh_evm::revm_primitives::{Address, U256};
use mesh_evm::{calls, EvmWorld};
use mesh_runtime::Session;
use std::collections::{BTreeMap, BTreeSet};

/// The open transaction's frame: calls go into the innermost open flash
/// loan, or the transaction itself.
pub(super) struct Builder<'a> {
    program: &'a Program,
    registry: &'a mesh_runtime::Registry,
    evm: &'a EvmWorld,
    pub(super) plan: Plan,
    open: Option<PlannedTx>,
    /// Flash loans open in the transaction, outermost first.
    frames: Vec<FlashLoan>,
    /// Debt wires of flash loans: their repayment is the pool's pull.
    flash_debts: BTreeSet<Wire>,
    /// The reserves `(in, out)` of each hop of the swap about to run.
    hops: Vec<(u128, u128)>,
    gas_so_far: u64,
    /// The model's reason for the failure of the box being written down,
    /// when it is the bundle's first.
    model_failure: Option<String>,
    pub(super) error: Option<PlanError>,
}

mod observe;
mod wrap;

const MAX: U256 = U256::MAX;

mod positions;

impl Builder<'_> {
    fn fail(&mut self, loc: Loc, message: String) {
        if self.error.is_none() {
            self.error = Some(PlanError { message, loc });
        }
    }

    fn contracts(&self, chain: &str, loc: Loc) -> Result<&Contracts, PlanError> {
        self.evm.contracts(chain).map_err(|_| PlanError {
            message: format!("the deployed world has no chain {chain}"),
            loc,
        })
    }

    fn chain_of(&self, wire: Wire) -> String {
        self.program
            .wire_type(wire)
            .map_or_else(String::new, |t| t.chain().to_string())
    }

    fn token_of(&self, wire: Wire) -> String {
        self.program
            .wire_type(wire)
            .map_or_else(String::new, |t| t.token().to_string())
    }

    /// The ERC-20 contract of `token` on `chain`.
    fn erc20(&self, chain: &str, token: &str, loc: Loc) -> Result<Address, PlanError> {
        match self.contracts(chain, loc)?.tokens.get(token) {
            Some(TokenContract::Native) => Err(PlanError {
                message: format!("{token} is {chain}'s native coin, which the EVM lowering does not move yet: wrap it as WETH"),
                loc,
            }),
            Some(t) => t.address().ok_or_else(|| PlanError {
                message: format!("token {token} on {chain} has no contract"),
                loc,
            }),
            None => Err(PlanError {
                message: format!("the deployed world has no token {token} on {chain}"),
                loc,
            }),
        }
    }

    /// The Aave V3 pool of lender `protocol` on `chain`.
    fn pool(&self, chain: &str, protocol: &str, loc: Loc) -> Result<Address, PlanError> {
        let contracts = self.contracts(chain, loc)?;
        if contracts.model_only.iter().any(|p| p == protocol) {
            return Err(PlanError {
                message: format!("{protocol} on {chain} is model-only: no contract of it is deployed (docs/plan.md), so the bundle cannot be planned for the EVM"),
                loc,
            });
        }
        contracts
            .lenders
            .get(protocol)
            .map(|m| m.pool)
            .ok_or_else(|| PlanError {
                message: format!("the deployed world has no lender {protocol} on {chain}"),
                loc,
            })
    }

    fn router(&self, chain: &str, exchange: &str, loc: Loc) -> Result<Address, PlanError> {
        self.contracts(chain, loc)?
            .exchanges
            .get(exchange)
            .map(|e| e.router)
            .ok_or_else(|| PlanError {
                message: format!("the deployed world has no exchange {exchange} on {chain}"),
                loc,
            })
    }

    fn pair(
        &self,
        chain: &str,
        exchange: &str,
        a: &str,
        b: &str,
        loc: Loc,
    ) -> Result<Address, PlanError> {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        self.contracts(chain, loc)?
            .exchanges
            .get(exchange)
            .and_then(|e| e.pairs.get(&(lo.to_string(), hi.to_string())))
            .copied()
            .ok_or_else(|| PlanError {
                message: format!("the world has no pair {lo}/{hi} of {exchange} on {chain}"),
                loc,
            })
    }

    fn bridge(&self, chain: &str, kind: BridgeKind, loc: Loc) -> Result<Address, PlanError> {
        self.contracts(chain, loc)?
            .bridges
            .get(&kind)
            .copied()
            .ok_or_else(|| PlanError {
                message: format!(
                    "the deployed world has no {} bridge on {chain}",
                    kind.as_str()
                ),
                loc,
            })
    }

    fn spender(&self, chain: &str, spender: &Spender, loc: Loc) -> Result<Address, PlanError> {
        match spender {
            Spender::Bridge(kind) => self.bridge(chain, *kind, loc),
            Spender::Protocol(p) => {
                let kind = self.evm_registry_kind(p);
                match kind {
                    Some(ProtocolKind::Exchange) => self.router(chain, p, loc),
                    _ => self.pool(chain, p, loc),
                }
            }
        }
    }

    fn evm_registry_kind(&self, protocol: &str) -> Option<ProtocolKind> {
        self.registry.protocol(protocol).map(|p| p.kind)
    }

    fn holder(&self, chain: &str, loc: Loc) -> Result<Address, PlanError> {
        Ok(self.contracts(chain, loc)?.holder)
    }

    /// Adds a call where calls go now.
    fn push(&mut self, call: PlannedCall) {
        if let Some(frame) = self.frames.last_mut() {
            frame.body.push(Step::Call(call));
        } else if let Some(tx) = self.open.as_mut() {
            tx.body.push(Step::Call(call));
        }
    }

    fn sender(&self) -> Sender {
        self.open.as_ref().map_or(Sender::Wallet, |t| t.sender)
    }

    fn op(
        &mut self,
        node: &Node,
        outcome: Outcome,
        amounts: &[Option<u128>],
    ) -> Result<(), PlanError> {
        let loc = node.loc;
        let amount = |w: &Wire| amounts.get(w.0 as usize).copied().flatten().unwrap_or(0);
        let value = |v: &Value| evaluate(v, amounts).unwrap_or(0);
        let sender = self.sender();
        match &node.op {
            Op::Split { .. } | Op::Merge { .. } => {}
            Op::Input {
                chain,
                token,
                amount: v,
                ..
            } => {
                self.plan.inputs.push(Input {
                    chain: chain.clone(),
                    token: token.clone(),
                    amount: value(v),
                    loc,
                });
            }
            Op::Require { text, .. } => {
                if outcome == Outcome::Failed {
                    // The model's reason gives the value against the bound,
                    // as `meshc run` does: the simulation's amounts are what
                    // a `require` is judged on.
                    let reason = self.model_failure.take().unwrap_or_else(|| {
                        if text.is_empty() {
                            "require failed".to_string()
                        } else {
                            format!("require failed: {text}")
                        }
                    });
                    self.plan.checks.push(Check { reason, loc });
                }
            }
            Op::Approve {
                chain,
                token,
                spender,
            } => {
                let token_address = match self.contracts(chain, loc)?.tokens.get(token) {
                    // The native coin needs no approval.
                    Some(TokenContract::Native) => return Ok(()),
                    _ => self.erc20(chain, token, loc)?,
                };
                let target = self.spender(chain, spender, loc)?;
                // The maximum allowance, standing for the rest of the
                // bundle, from the wallet as from the executor.
                let amount = MAX;
                self.push(PlannedCall {
                    target: token_address,
                    value: U256::ZERO,
                    data: calls::approve(target, amount),
                    what: format!("approve {spender} to spend {token}"),
                    loc,
                });
            }
            Op::Borrow {
                protocol,
                amount: v,
                flash,
                funds,
                debt,
            } => {
                let chain = self.chain_of(*funds);
                let token = self.token_of(*funds);
                let asset = self.erc20(&chain, &token, loc)?;
                let pool = self.pool(&chain, protocol, loc)?;
                let amount = value(v);
                if *flash {
                    self.flash_debts.insert(*debt);
                    if amount == 0 {
                        // A loan of nothing is no call (Aave refuses it).
                        return Ok(());
                    }
                    self.frames.push(FlashLoan {
                        pool,
                        simple: true,
                        loans: vec![(asset, amount)],
                        what: format!("flash loan of {amount} base units of {token} from {protocol} (flashLoanSimple)"),
                        loc,
                        repay_loc: None,
                        body: Vec::new(),
                    });
                } else {
                    if amount == 0 {
                        return Ok(());
                    }
                    let holder = self.holder(&chain, loc)?;
                    self.plan.loans.push(Loan {
                        chain: chain.clone(),
                        protocol: protocol.clone(),
                        token: token.clone(),
                        principal: amount,
                        loc,
                    });
                    self.push(PlannedCall {
                        target: pool,
                        value: U256::ZERO,
                        data: calls::aave_borrow(asset, amount, holder),
                        what: format!("borrow {amount} base units of {token} from {protocol}"),
                        loc,
                    });
                }
            }
            Op::BorrowDebt {
                protocol,
                chain,
                token,
                amount: v,
                ..
            } => self.borrow_debt(chain, protocol, token, value(v), loc)?,
            Op::RepayDebt { protocol, funds } => {
                let (chain, token) = (self.chain_of(*funds), self.token_of(*funds));
                self.repay_debt(&chain, protocol, &token, amount(funds), loc)?;
            }
            Op::Assume {
                chain, protocol, ..
            } => self.assume(chain, protocol, outcome, loc)?,
            Op::FlashLoan {
                protocol,
                amounts: vs,
                funds,
                debts,
                ..
            } => {
                let chain = funds.first().map(|w| self.chain_of(*w)).unwrap_or_default();
                let pool = self.pool(&chain, protocol, loc)?;
                let mut loans = Vec::new();
                let mut tokens = Vec::new();
                for (v, w) in vs.iter().zip(funds) {
                    let token = self.token_of(*w);
                    let lent = value(v);
                    let asset = self.erc20(&chain, &token, loc)?;
                    if lent > 0 {
                        loans.push((asset, lent));
                        tokens.push(token);
                    }
                }
                self.flash_debts.extend(debts.iter().copied());
                if loans.is_empty() {
                    return Ok(());
                }
                self.frames.push(FlashLoan {
                    pool,
                    simple: false,
                    loans,
                    what: format!(
                        "flash loan of {} from {protocol} (flashLoan)",
                        tokens.join(", ")
                    ),
                    loc,
                    repay_loc: None,
                    body: Vec::new(),
                });
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                debt,
                rest,
            } => {
                let chain = self.chain_of(*funds);
                let token = self.token_of(*funds);
                // An ordinary loan owes no premium: the call repays the
                // principal (sending more would pay it off any debt the
                // user already owes there).
                let paid = value(principal);
                if self.flash_debts.contains(debt) {
                    // What a partial repayment leaves is still the loan's.
                    self.flash_debts.extend(rest.iter().copied());
                    // The pool pulls the repayment when the callback returns.
                    let asset = self.erc20(&chain, &token, loc)?;
                    if let Some(frame) = self
                        .frames
                        .iter_mut()
                        .rev()
                        .find(|f| f.loans.iter().any(|(a, _)| *a == asset))
                    {
                        frame.repay_loc = Some(loc);
                    }
                    return Ok(());
                }
                let asset = self.erc20(&chain, &token, loc)?;
                let pool = self.pool(&chain, protocol, loc)?;
                let holder = self.holder(&chain, loc)?;
                if paid == 0 {
                    return Ok(());
                }
                self.push(PlannedCall {
                    target: pool,
                    value: U256::ZERO,
                    data: calls::aave_repay(asset, paid, holder),
                    what: format!("repay {paid} base units of {token} to {protocol}"),
                    loc,
                });
            }
            Op::Swap {
                exchanges,
                path,
                input,
                min_out,
                ..
            } => {
                let chain = self.chain_of(*input);
                let amount_in = amount(input);
                let min = value(min_out);
                let mut addresses = Vec::with_capacity(path.len());
                for token in path {
                    addresses.push(self.erc20(&chain, token, loc)?);
                }
                let (Some(first), Some(token_in)) = (exchanges.first(), path.first()) else {
                    return Ok(());
                };
                let route_text = format!(
                    "swap {amount_in} base units of {} on {}",
                    path.join(" → "),
                    dedup(exchanges).join(" and ")
                );
                match sender {
                    Sender::Wallet => {
                        if exchanges.iter().any(|e| e != first) {
                            return Err(PlanError {
                                message: "a wallet's swap goes through one exchange's router; this one crosses exchanges".to_string(),
                                loc,
                            });
                        }
                        for (a, b) in path.iter().zip(path.iter().skip(1)) {
                            self.pair(&chain, first, a, b, loc)?;
                        }
                        let router = self.router(&chain, first, loc)?;
                        let holder = self.holder(&chain, loc)?;
                        self.push(PlannedCall {
                            target: router,
                            value: U256::ZERO,
                            data: calls::router_swap_exact_tokens_for_tokens(
                                amount_in,
                                min,
                                &addresses,
                                holder,
                                u64::MAX,
                            ),
                            what: format!("{route_text} (Router02 swapExactTokensForTokens)"),
                            loc,
                        });
                    }
                    Sender::Executor => {
                        // Each hop: its pair, exchange, and the tokens in
                        // and out (symbols and contracts).
                        let mut legs = Vec::with_capacity(exchanges.len());
                        for (i, exchange) in exchanges.iter().enumerate() {
                            let (Some(a), Some(b), Some(&from), Some(&to)) = (
                                path.get(i),
                                path.get(i + 1),
                                addresses.get(i),
                                addresses.get(i + 1),
                            ) else {
                                return Err(PlanError {
                                    message: "a swap's path does not match its exchanges"
                                        .to_string(),
                                    loc,
                                });
                            };
                            let pair = self.pair(&chain, exchange, a, b, loc)?;
                            legs.push((pair, exchange, a, b, from, to));
                        }
                        let holder = self.holder(&chain, loc)?;
                        let Some(&(first_pair, _, _, _, first_token, _)) = legs.first() else {
                            return Ok(());
                        };
                        self.push(PlannedCall {
                            target: first_token,
                            value: U256::ZERO,
                            data: calls::transfer(first_pair, amount_in),
                            what: format!("{route_text}: {amount_in} base units of {token_in} into the first pair"),
                            loc,
                        });
                        let mut amount = amount_in;
                        let hops = std::mem::take(&mut self.hops);
                        for (i, &(pair, exchange, a, b, token_in_address, token_out)) in
                            legs.iter().enumerate()
                        {
                            let fee = self.registry.protocol(exchange).map_or(30, |p| p.fee_bps);
                            let out = hops
                                .get(i)
                                .and_then(|(r_in, r_out)| {
                                    mesh_core::maths::get_amount_out(amount, *r_in, *r_out, fee)
                                        .ok()
                                })
                                .unwrap_or(0);
                            let last = i + 1 == legs.len();
                            // The last hop asks for at least the bound: a
                            // pair that cannot give it fails its K check.
                            let ask = if last { out.max(min) } else { out };
                            // The pair's token0 is the lower address.
                            let (a0, a1) = if token_out < token_in_address {
                                (ask, 0)
                            } else {
                                (0, ask)
                            };
                            let to = legs.get(i + 1).map_or(holder, |leg| leg.0);
                            self.push(PlannedCall {
                                target: pair,
                                value: U256::ZERO,
                                data: calls::pair_swap(a0, a1, to),
                                what: format!(
                                    "{route_text}: hop {} {a} → {b} on {exchange} (pair swap)",
                                    i + 1
                                ),
                                loc: node_hop_loc(&node.op, i).unwrap_or(loc),
                            });
                            amount = out;
                        }
                    }
                }
            }
            Op::Deposit { protocol, funds } => {
                let chain = self.chain_of(*funds);
                let token = self.token_of(*funds);
                let asset = self.erc20(&chain, &token, loc)?;
                let pool = self.pool(&chain, protocol, loc)?;
                let holder = self.holder(&chain, loc)?;
                let paid = amount(funds);
                if paid == 0 {
                    // A deposit of nothing moves nothing: no call (Aave
                    // refuses an amount of zero).
                    return Ok(());
                }
                self.push(PlannedCall {
                    target: pool,
                    value: U256::ZERO,
                    data: calls::aave_supply(asset, paid, holder),
                    what: format!("deposit {paid} base units of {token} into {protocol} (supply)"),
                    loc,
                });
            }
            Op::Withdraw {
                protocol,
                chain,
                token,
                amount: v,
                ..
            } => {
                let asset = self.erc20(chain, token, loc)?;
                let pool = self.pool(chain, protocol, loc)?;
                let holder = self.holder(chain, loc)?;
                let wanted = value(v);
                if wanted == 0 {
                    return Ok(());
                }
                self.push(PlannedCall {
                    target: pool,
                    value: U256::ZERO,
                    data: calls::aave_withdraw(asset, wanted, holder),
                    what: format!("withdraw {wanted} base units of {token} from {protocol}"),
                    loc,
                });
            }
            Op::Wrap { input, out } | Op::Unwrap { input, out } => {
                let wrapping = matches!(node.op, Op::Wrap { .. });
                self.wrap(wrapping, *input, *out, amount(input), loc)?;
            }
            Op::Bridge { route, input, out } => {
                let chain = self.chain_of(*input);
                let to = self.chain_of(*out);
                let token = self.token_of(*input);
                let sent = amount(input);
                let asset = self.erc20(&chain, &token, loc)?;
                self.erc20(&to, &token, loc)?;
                let bridge = self.bridge(&chain, *route, loc)?;
                let recipient = self.holder(&to, loc)?;
                let to_id = self
                    .evm
                    .chain(&to)
                    .map(|c| c.chain_id())
                    .map_err(PlanError::from)?;
                if sent == 0 {
                    return Ok(());
                }
                self.push(PlannedCall {
                    target: bridge,
                    value: U256::ZERO,
                    data: calls::bridge_lock(asset, sent, to_id, recipient),
                    what: format!(
                        "bridge {sent} base units of {token} to {to} via {} (lock)",
                        route.as_str()
                    ),
                    loc,
                });
                if let Some(tx) = self.open.as_mut() {
                    tx.transfers.push(Transfer {
                        kind: *route,
                        to_chain: to,
                        token,
                        amount: sent,
                        loc,
                    });
                }
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
                locs,
            } => {
                let Some(first) = inputs.first() else {
                    return Ok(());
                };
                let chain = self.chain_of(*first);
                let to = outs.first().map(|w| self.chain_of(*w)).unwrap_or_default();
                let bridge = self.bridge(&chain, *route, loc)?;
                let recipient = self.holder(&to, loc)?;
                let to_id = self
                    .evm
                    .chain(&to)
                    .map(|c| c.chain_id())
                    .map_err(PlanError::from)?;
                let mut transfers = Vec::new();
                let mut names = Vec::new();
                for (input, at) in inputs.iter().zip(locs) {
                    let token = self.token_of(*input);
                    let sent = amount(input);
                    if sent == 0 {
                        continue;
                    }
                    transfers.push((self.erc20(&chain, &token, *at)?, sent));
                    self.erc20(&to, &token, *at)?;
                    if let Some(tx) = self.open.as_mut() {
                        tx.transfers.push(Transfer {
                            kind: *route,
                            to_chain: to.clone(),
                            token: token.clone(),
                            amount: sent,
                            loc: *at,
                        });
                    }
                    names.push(token);
                }
                if transfers.is_empty() {
                    return Ok(());
                }
                self.push(PlannedCall {
                    target: bridge,
                    value: U256::ZERO,
                    data: calls::bridge_lock_batch(&transfers, to_id, recipient),
                    what: format!(
                        "bridge {} to {to} via {} in one message (lockBatch)",
                        names.join(", "),
                        route.as_str()
                    ),
                    loc,
                });
            }
        }
        Ok(())
    }
}

fn node_hop_loc(op: &Op, hop: usize) -> Option<Loc> {
    match op {
        Op::Swap { locs, .. } => locs.get(hop).copied(),
        _ => None,
    }
}

fn dedup(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = names.to_vec();
    out.dedup();
    out
}

impl<'a> Builder<'a> {
    /// A builder of `program`'s plan for the contracts deployed in `evm`.
    pub(super) fn new(
        program: &'a Program,
        registry: &'a mesh_runtime::Registry,
        evm: &'a EvmWorld,
        level: String,
    ) -> Builder<'a> {
        Builder {
            program,
            registry,
            evm,
            plan: Plan {
                bundle: program.bundle.clone(),
                level,
                ..Plan::default()
            },
            open: None,
            frames: Vec::new(),
            flash_debts: BTreeSet::new(),
            hops: Vec::new(),
            gas_so_far: 0,
            model_failure: None,
            error: None,
        }
    }
}
