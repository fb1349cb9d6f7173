//! The EVM lowering: a lowered bundle ([`Program`], `-O0` or `-O`) becomes
//! a transaction plan ([`Plan`]) — unsigned transactions with calldata for
//! the real contracts — and the EVM engine runs that plan on a world
//! deployed from their bytecode (docs/plan.md).
//!
//! The amounts a plan sends are the ones a simulation of the bundle on the
//! world gives: the model engine runs the program ([`interp`]) and every
//! box it makes becomes its call, with the amounts the box moved. That is
//! how any bundle builder fills its calldata; the EVM then says whether the
//! contracts do what the simulation said: a swap that yields less than the
//! plan spends next, a loan without collateral, a repayment the pool cannot
//! pull all revert there, mapped back to the bundle's line.
//!
//! `-O0` is what a user sends from a plain account: one call per
//! transaction, Uniswap V2 Router02 swaps, exact `approve`s (each used up
//! by the spend it precedes), Aave V3 `borrow`/`repay`/`supply`/`withdraw`,
//! and `MeshBridge.lock`. `-O` sends each transaction to the user's
//! `MeshExecutor`: direct pair swaps (a transfer into the first pair, then
//! one `swap` per hop, each pair sending on to the next), maximum approvals,
//! and flash loans whose callback runs the rest of the transaction.

use crate::interp::{self, evaluate, Observer, Outcome};
use crate::ir::{Node, Op, Program, Sender, Spender, Term, Value, Wire};
use crate::level::OptLevel;
use mesh_core::registry::BridgeKind;
use mesh_core::{Loc, ProtocolKind};
use mesh_evm::deploy::{Contracts, Holder, TokenContract};
use mesh_evm::plan::{Check, FlashLoan, Input, Loan, Plan, PlannedCall, PlannedTx, Step, Transfer};
use mesh_evm::revm_primitives::{Address, U256};
use mesh_evm::{calls, EvmEngine, EvmError, EvmRun, EvmWorld};
use mesh_runtime::report::{
    Amount, BalanceChange, CallRecord, Change, PositionChange, Status, TxRecord, WorldWrite,
};
use mesh_runtime::{Report, Session, World};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a bundle has no plan: what the deployed world lacks, or what the
/// EVM lowering cannot express, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanError {
    pub message: String,
    pub loc: Loc,
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc == Loc::UNKNOWN {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.loc.line, self.loc.column, self.message
            )
        }
    }
}

impl std::error::Error for PlanError {}

impl From<EvmError> for PlanError {
    fn from(e: EvmError) -> PlanError {
        PlanError {
            message: e.to_string(),
            loc: Loc::UNKNOWN,
        }
    }
}

/// Who holds the world's balances for a program: the executor when any
/// of its transactions is the executor's, else the wallet. A program that
/// mixes both cannot be planned: one account holds the balances.
pub fn holder(program: &Program) -> Result<Holder, PlanError> {
    let mut senders = BTreeSet::new();
    senders_of(&program.body, &mut senders);
    match (
        senders.contains(&Sender::Wallet),
        senders.contains(&Sender::Executor),
    ) {
        (true, true) => Err(PlanError {
            message: "the program sends transactions both from the wallet and through the executor; the EVM lowering holds the balances in one account".to_string(),
            loc: Loc::UNKNOWN,
        }),
        (_, true) => Ok(Holder::Executor),
        _ => Ok(Holder::Wallet),
    }
}

fn senders_of(term: &Term, out: &mut BTreeSet<Sender>) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(ts) | Term::Tensor(ts) => ts.iter().for_each(|t| senders_of(t, out)),
        Term::Tx { sender, body, .. } => {
            out.insert(*sender);
            body.iter().for_each(|t| senders_of(t, out));
        }
    }
}

/// A plan and the model run it came from.
pub struct Planned {
    pub plan: Plan,
    /// The model engine's report of the same run.
    pub model: Report,
    /// The model's session after the run (its world: the committed one, or
    /// the original after a revert).
    pub session: Session,
}

/// Runs `program` on `world` with the model engine and writes down the
/// calls it makes as a plan for the contracts deployed in `evm`. The plan
/// is made whether the model commits or not (a call that fails in the
/// model is planned with the amounts it tried, so that the EVM says what
/// the contract does with it).
pub fn plan(
    program: &Program,
    world: &World,
    evm: &EvmWorld,
    level: OptLevel,
) -> Result<Planned, PlanError> {
    let mut session = Session::new(world.clone(), &program.bundle);
    let mut builder = Builder {
        program,
        registry: &world.registry,
        evm,
        plan: Plan {
            bundle: program.bundle.clone(),
            level: match level {
                OptLevel::O0 => "O0".to_string(),
                OptLevel::O => "O".to_string(),
            },
            ..Plan::default()
        },
        open: None,
        frames: Vec::new(),
        pending: BTreeMap::new(),
        flash_debts: BTreeSet::new(),
        hops: Vec::new(),
        gas_so_far: 0,
        error: None,
    };
    interp::execute_observed(program, &mut session, &mut builder);
    if let Some(e) = builder.error {
        return Err(e);
    }
    builder.plan.blocks = session.blocks();
    let model = session.finish(&program.constraints);
    Ok(Planned {
        plan: builder.plan,
        model,
        session,
    })
}

/// The open transaction's frame: calls go into the innermost open flash
/// loan, or the transaction itself.
struct Builder<'a> {
    program: &'a Program,
    registry: &'a mesh_runtime::Registry,
    evm: &'a EvmWorld,
    plan: Plan,
    open: Option<PlannedTx>,
    /// Flash loans open in the transaction, outermost first.
    frames: Vec<FlashLoan>,
    /// Wallet approvals waiting for the spend whose amount they approve:
    /// (chain, token, spender) → the transaction that holds the approval.
    pending: BTreeMap<(String, String, Spender), usize>,
    /// Debt wires of flash loans: their repayment is the pool's pull.
    flash_debts: BTreeSet<Wire>,
    /// The reserves `(in, out)` of each hop of the swap about to run.
    hops: Vec<(u128, u128)>,
    gas_so_far: u64,
    error: Option<PlanError>,
}

const MAX: U256 = U256::MAX;

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

    /// The transaction a wallet spend's approval is in gets the spend's
    /// amount.
    fn fill_approval(&mut self, chain: &str, token: &str, spender: Spender, amount: u128) {
        let key = (chain.to_string(), token.to_string(), spender);
        let Some(index) = self.pending.remove(&key) else {
            return;
        };
        if let Some(Step::Call(call)) = self
            .plan
            .transactions
            .get_mut(index)
            .and_then(|t| t.body.first_mut())
        {
            if let Some(target) = spender_of_approve(&call.data) {
                call.data = calls::approve(target, U256::from(amount));
            }
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
                    let reason = if text.is_empty() {
                        "require failed".to_string()
                    } else {
                        format!("require failed: {text}")
                    };
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
                let amount = match sender {
                    Sender::Wallet => U256::ZERO,
                    Sender::Executor => MAX,
                };
                self.push(PlannedCall {
                    target: token_address,
                    value: U256::ZERO,
                    data: calls::approve(target, amount),
                    what: format!("approve {spender} to spend {token}"),
                    loc,
                });
                if sender == Sender::Wallet {
                    let index = self.plan.transactions.len();
                    self.pending
                        .insert((chain.clone(), token.clone(), spender.clone()), index);
                }
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
                funds,
                debt,
                rest,
                ..
            } => {
                let chain = self.chain_of(*funds);
                let token = self.token_of(*funds);
                let paid = amount(funds);
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
                self.fill_approval(&chain, &token, Spender::Protocol(protocol.clone()), paid);
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
                        self.fill_approval(
                            &chain,
                            token_in,
                            Spender::Protocol(first.clone()),
                            amount_in,
                        );
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
                self.fill_approval(&chain, &token, Spender::Protocol(protocol.clone()), paid);
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
                self.fill_approval(&chain, &token, Spender::Bridge(*route), sent);
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

/// The spender an `approve(spender, amount)` calldata names.
fn spender_of_approve(data: &[u8]) -> Option<Address> {
    mesh_evm::abi::address_at(data.get(4..)?, 0)
}

impl Observer for Builder<'_> {
    fn begin_transaction(&mut self, chain: &str, sender: Sender, session: &Session) {
        if self.error.is_some() {
            return;
        }
        let Ok(contracts) = self.evm.contracts(chain) else {
            self.fail(
                Loc::UNKNOWN,
                format!("the deployed world has no chain {chain}"),
            );
            return;
        };
        let chain_id = self.evm.chain(chain).map_or(0, |c| c.chain_id());
        self.open = Some(PlannedTx {
            chain: chain.to_string(),
            chain_id,
            sender,
            block: session.blocks(),
            from: self.evm.accounts.wallet,
            executor: contracts.executor,
            body: Vec::new(),
            model_gas: 0,
            gas_limit: 0,
            transfers: Vec::new(),
        });
        self.frames.clear();
    }

    fn end_transaction(&mut self, session: &Session) {
        let Some(mut tx) = self.open.take() else {
            return;
        };
        while let Some(frame) = self.frames.pop() {
            match self.frames.last_mut() {
                Some(parent) => parent.body.push(Step::Flash(frame)),
                None => tx.body.push(Step::Flash(frame)),
            }
        }
        let gas = session.gas_total();
        tx.model_gas = gas.saturating_sub(self.gas_so_far);
        self.gas_so_far = gas;
        if tx.sender == Sender::Wallet && tx.body.len() > 1 {
            self.fail(
                tx.first_loc(),
                "a wallet transaction makes one call".to_string(),
            );
        }
        self.plan.transactions.push(tx);
    }

    fn before(&mut self, node: &Node, session: &Session) {
        self.hops.clear();
        if let Op::Swap {
            exchanges,
            path,
            input,
            ..
        } = &node.op
        {
            let chain = self.chain_of(*input);
            let world = session.world();
            // Each hop's reserves, those of a pair met twice as the first
            // hop leaves them.
            let mut seen: BTreeMap<(String, String, String), (u128, u128)> = BTreeMap::new();
            for (i, exchange) in exchanges.iter().enumerate() {
                let (Some(a), Some(b)) = (path.get(i), path.get(i + 1)) else {
                    break;
                };
                let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
                let key = (exchange.clone(), lo.clone(), hi.clone());
                let (r_lo, r_hi) = match seen.get(&key) {
                    Some(r) => *r,
                    None => world
                        .exchange(&chain, exchange)
                        .and_then(|e| e.pair(a, b))
                        .map_or((0, 0), |p| (p.reserve0, p.reserve1)),
                };
                let (r_in, r_out) = if a == lo { (r_lo, r_hi) } else { (r_hi, r_lo) };
                self.hops.push((r_in, r_out));
                seen.insert(key, (r_lo, r_hi));
            }
        }
    }

    fn after(
        &mut self,
        node: &Node,
        outcome: Outcome,
        amounts: &[Option<u128>],
        _session: &Session,
    ) {
        if self.error.is_some() || outcome == Outcome::NotMade {
            return;
        }
        // A computation that fails is judged before anything is sent.
        if !matches!(node.op, Op::Split { .. } | Op::Merge { .. }) {
            for v in node.op.values() {
                if let Err(reason) = evaluate(v, amounts) {
                    self.plan.checks.push(Check {
                        reason: reason.to_string(),
                        loc: node.loc,
                    });
                    return;
                }
            }
        }
        if let Op::Merge { inputs, out } = &node.op {
            if inputs.iter().any(|w| self.flash_debts.contains(w)) {
                self.flash_debts.insert(*out);
            }
        }
        if let Err(e) = self.op(node, outcome, amounts) {
            self.fail(e.loc, e.message);
        }
    }
}

/// What the EVM engine did with a bundle: the plan, the model's report,
/// the EVM's run and the report from it.
pub struct EvmOutcome {
    pub planned: Planned,
    pub run: EvmRun,
    pub report: Report,
}

/// Plans `program` on `world` and runs the plan on `engine` (a deployment
/// of the same world, its balances held as [`holder`] says).
pub fn run_on(
    engine: &mut EvmEngine,
    program: &Program,
    world: &World,
    level: OptLevel,
) -> Result<EvmOutcome, PlanError> {
    let planned = plan(program, world, engine.evm(), level)?;
    let run = engine.run(&planned.plan, &program.constraints)?;
    let report = report(&planned, &run, world);
    Ok(EvmOutcome {
        planned,
        run,
        report,
    })
}

/// Deploys `world` for `program` and runs it on the EVM.
pub fn run(program: &Program, world: &World, level: OptLevel) -> Result<EvmOutcome, PlanError> {
    let mut engine = EvmEngine::new(world, holder(program)?)?;
    run_on(&mut engine, program, world, level)
}

/// The report of an EVM run, in the model engine's shape: its
/// transactions with the gas the EVM metered for each (the calls are the
/// model's, without a gas figure of their own: the EVM meters a
/// transaction as a whole).
pub fn report(planned: &Planned, run: &EvmRun, world: &World) -> Report {
    let decimals = |token: &str| world.registry.token(token).map_or(0, |t| t.decimals);
    let amount = |token: &str, base: u128| Amount {
        base,
        decimals: decimals(token),
    };
    let mut transactions = Vec::new();
    if run.revert.is_none() {
        for (i, tx) in planned.plan.transactions.iter().enumerate() {
            let Some(gas) = run.gas.get(i).copied().flatten() else {
                continue;
            };
            let calls: Vec<CallRecord> = planned
                .model
                .transactions
                .get(i)
                .map(|t| {
                    t.calls
                        .iter()
                        .map(|c| CallRecord {
                            what: c.what.clone(),
                            gas: 0,
                            loc: c.loc,
                        })
                        .collect()
                })
                .unwrap_or_default();
            transactions.push(TxRecord {
                chain: tx.chain.clone(),
                sender: tx.sender,
                block: tx.block,
                gas,
                calls,
            });
        }
    }
    let mut result: BTreeMap<String, BTreeMap<String, Amount>> = BTreeMap::new();
    for ((chain, token), held) in &run.holdings {
        result
            .entry(chain.clone())
            .or_default()
            .insert(token.clone(), amount(token, *held));
    }
    let wallet = run
        .wallet
        .iter()
        .map(|(c, t, before, after)| BalanceChange {
            chain: c.clone(),
            token: t.clone(),
            balance: Change {
                before: amount(t, *before),
                after: amount(t, *after),
            },
        })
        .collect();
    let lenders = run
        .positions
        .iter()
        .map(
            |((chain, lender, token), collateral, debt)| PositionChange {
                chain: chain.clone(),
                lender: lender.clone(),
                token: token.clone(),
                collateral: Change {
                    before: amount(token, collateral.0),
                    after: amount(token, collateral.1),
                },
                debt: Change {
                    before: amount(token, debt.0),
                    after: amount(token, debt.1),
                },
            },
        )
        .collect();
    Report {
        bundle: planned.plan.bundle.clone(),
        status: if run.revert.is_some() {
            Status::Reverted
        } else {
            Status::Committed
        },
        revert: run.revert.clone(),
        transactions,
        blocks: if run.revert.is_some() {
            0
        } else {
            planned.plan.blocks
        },
        result,
        wallet,
        lenders,
        world_write: WorldWrite::InMemory,
    }
}

/// `world` with collateral at aave for the user on every chain: a deposit
/// of up to 5,000,000 USDC, within the pool's liquidity. The model lends
/// without collateral and Aave V3 does not; the agreement tests and the gas
/// tables run the bundles that borrow on this world (docs/plan.md).
pub fn with_collateral(mut world: World) -> World {
    for lenders in world.lenders.values_mut() {
        if let Some(aave) = lenders.get_mut("aave") {
            let liquidity = aave.liquidity.get("USDC").copied().unwrap_or(0);
            let deposit = liquidity.min(5_000_000 * 10u128.pow(6));
            if deposit > 0 {
                let held = aave.deposits.entry("USDC".to_string()).or_insert(0);
                *held = (*held).max(deposit);
            }
        }
    }
    world
}
