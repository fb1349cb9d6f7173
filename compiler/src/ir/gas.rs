//! Static gas and time: what a lowered program costs, computed from the IR
//! and the gas schedule exactly as the runtime meters it (docs/gas.md), so
//! that `max_gas` and `deadline` are judged on what actually runs.
//!
//! Gas depends only on the sequence of calls, never on amounts: per
//! transaction the base cost, then per call the schedule's row for the
//! operation, and for the executor the dispatch overhead, the address word
//! and a cold or warm account access (cold on first touch in the
//! transaction), plus the oracle update of a pair's first swap in it. Those
//! rules are the runtime's own `TxMeter`, fed here with the calls a program
//! names instead of the calls a run makes.

use super::{LenderReserves, Op, Program, Sender, Spender, Term, WireType};
use mesh_core::amount::display_count;
use mesh_core::gas::{
    path_returns, pays_back, LenderCall, Moves, Operation, TokenContract, TxMeter,
};
use mesh_core::registry::{pair_tokens, BridgeKind, ProtocolKind, RouteInfo};
use mesh_core::{GasSchedule, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The gas of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxGas {
    pub chain: String,
    pub sender: Sender,
    pub gas: u64,
    /// Each call: what it is and what it costs (approvals included).
    pub calls: Vec<(String, u64)>,
}

/// What a program costs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cost {
    /// Every transaction, in program order (parallel branches in order).
    pub transactions: Vec<TxGas>,
    /// Blocks along the longest path: one per transaction, plus each
    /// bridge's delay; parallel branches take the longest.
    pub blocks: u64,
    /// The time along the slowest path, in milliseconds: each transaction a
    /// block of its chain, each bridge its delay in blocks of the chain it
    /// leaves, at each chain's block time; `None` when a chain without a
    /// block time is involved.
    pub time_ms: Option<u64>,
}

/// How long a term takes: blocks, and their time in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Elapsed {
    blocks: u64,
    ms: Option<u64>,
}

impl Elapsed {
    const NONE: Elapsed = Elapsed {
        blocks: 0,
        ms: Some(0),
    };

    /// `blocks` blocks of a chain whose block time is `block_ms`.
    fn of(blocks: u64, block_ms: Option<u64>) -> Elapsed {
        Elapsed {
            blocks,
            ms: block_ms.and_then(|ms| ms.checked_mul(blocks)),
        }
    }

    fn then(self, next: Elapsed) -> Elapsed {
        Elapsed {
            blocks: self.blocks.saturating_add(next.blocks),
            ms: self.ms.and_then(|a| a.checked_add(next.ms?)),
        }
    }

    /// Side by side: the longest in blocks, the slowest in time.
    fn beside(self, other: Elapsed) -> Elapsed {
        Elapsed {
            blocks: self.blocks.max(other.blocks),
            ms: self.ms.and_then(|a| Some(a.max(other.ms?))),
        }
    }
}

impl Cost {
    /// Whether the program misses a deadline of `constraints`: more blocks
    /// than its deadline in blocks, or more time than its deadline in
    /// seconds (a time that cannot be told misses nothing here: the
    /// checker reports it, E0810).
    pub fn misses_deadline(&self, constraints: &super::Constraints) -> bool {
        let blocks = constraints
            .deadline_blocks()
            .is_some_and(|d| self.blocks > d);
        let time = constraints.deadline_seconds().is_some_and(
            |s| matches!((self.time_ms, s.checked_mul(1000)), (Some(t), Some(limit)) if t > limit),
        );
        blocks || time
    }

    pub fn total(&self) -> u64 {
        self.transactions
            .iter()
            .fold(0u64, |sum, tx| sum.saturating_add(tx.gas))
    }

    pub fn by_chain(&self) -> BTreeMap<String, u64> {
        let mut by_chain = BTreeMap::new();
        for tx in &self.transactions {
            let slot = by_chain.entry(tx.chain.clone()).or_insert(0u64);
            *slot = slot.saturating_add(tx.gas);
        }
        by_chain
    }

    /// "3 transactions (2 of them approvals): polygon 230,000 + arbitrum 45,000".
    pub fn breakdown(&self) -> String {
        let approvals = self
            .transactions
            .iter()
            .filter(|t| t.calls.iter().all(|(what, _)| what.starts_with("approve")))
            .filter(|t| !t.calls.is_empty())
            .count();
        let count = self.transactions.len();
        let mut text = format!("{count} transaction{}", if count == 1 { "" } else { "s" });
        if approvals > 0 {
            text.push_str(&format!(" ({approvals} of them approvals)"));
        }
        let chains: Vec<String> = self
            .by_chain()
            .iter()
            .map(|(chain, gas)| format!("{chain} {}", display_count(*gas)))
            .collect();
        if !chains.is_empty() {
            text.push_str(": ");
            text.push_str(&chains.join(" + "));
        }
        text
    }
}

/// Why a program's cost cannot be computed: it names something the
/// registry does not know (the checker rejects such bundles first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostError(pub String);

impl fmt::Display for CostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CostError {}

/// A contract a program's call reaches, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Account {
    Token(String),
    Pool(String),
    Router(String),
    Pair(String, (String, String)),
    Bridge(String),
}

struct OpenTx {
    meter: TxMeter<Account, (String, (String, String))>,
    record: TxGas,
}

struct Meter<'a> {
    program: &'a Program,
    registry: &'a Registry,
    schedule: &'a GasSchedule,
    cost: Cost,
    flash: BTreeSet<super::Wire>,
    /// The user's positions as the calls so far made them.
    positions: LenderReserves,
}

/// The gas and blocks of `program` on `registry`'s routes, metered with
/// `schedule`, from the positions it starts from ([`Program::positions`]).
pub fn cost(
    program: &Program,
    registry: &Registry,
    schedule: &GasSchedule,
) -> Result<Cost, CostError> {
    cost_from(program, registry, schedule, &program.positions).map(|(cost, _)| cost)
}

/// [`cost`], from `positions` instead of the program's own; also returns
/// the positions its calls leave.
pub fn cost_from(
    program: &Program,
    registry: &Registry,
    schedule: &GasSchedule,
    positions: &LenderReserves,
) -> Result<(Cost, LenderReserves), CostError> {
    let mut meter = Meter {
        program,
        registry,
        schedule,
        cost: Cost::default(),
        flash: flash_debts(&program.body),
        positions: positions.clone(),
    };
    let elapsed = meter.term(&program.body, &mut None)?;
    meter.cost.blocks = elapsed.blocks;
    meter.cost.time_ms = elapsed.ms;
    Ok((meter.cost, meter.positions))
}

/// A wallet transaction metered with a second call, which the lowering
/// never makes.
fn second_wallet_call(_: mesh_core::gas::SecondWalletCall) -> CostError {
    CostError("a wallet transaction makes a second call (the lowering never does)".into())
}

impl Meter<'_> {
    /// The block time of `chain`, if the registry gives one.
    fn block_ms(&self, chain: &str) -> Option<u64> {
        self.registry.block_time_ms(chain)
    }

    /// Walks a term; returns how long it takes.
    fn term(&mut self, term: &Term, tx: &mut Option<OpenTx>) -> Result<Elapsed, CostError> {
        match term {
            Term::Gen(node) => self.op(&node.op, tx),
            Term::Seq(terms) => terms.iter().try_fold(Elapsed::NONE, |elapsed, t| {
                Ok(elapsed.then(self.term(t, tx)?))
            }),
            Term::Tensor(branches) => branches.iter().try_fold(Elapsed::NONE, |slowest, t| {
                Ok(slowest.beside(self.term(t, tx)?))
            }),
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                let mut open = Some(OpenTx {
                    meter: TxMeter::new(self.schedule, *sender),
                    record: TxGas {
                        chain: chain.clone(),
                        sender: *sender,
                        gas: 0,
                        calls: Vec::new(),
                    },
                });
                let mut elapsed = Elapsed::of(1, self.block_ms(chain));
                for t in body {
                    elapsed = elapsed.then(self.term(t, &mut open)?);
                }
                if let Some(mut open) = open {
                    open.record.gas = open.meter.gas();
                    self.cost.transactions.push(open.record);
                }
                Ok(elapsed)
            }
        }
    }

    fn chain_of(&self, wire: super::Wire) -> Result<&WireType, CostError> {
        self.program
            .wire_type(wire)
            .ok_or_else(|| CostError(format!("{wire} has no type")))
    }

    /// One call on `account` costing `op_gas` besides the executor's
    /// overhead, moving a token as `moves` says, metered as the runtime
    /// meters it.
    fn call(
        tx: &mut OpenTx,
        schedule: &GasSchedule,
        account: Account,
        op_gas: u64,
        moves: Moves<Account>,
    ) -> Result<u64, CostError> {
        tx.meter
            .call_moving(schedule, account, op_gas, moves)
            .map_err(second_wallet_call)
    }

    /// One call on a lender's pool: `operation` as the transaction's
    /// sender makes it, moving `tokens` (each token's name and contract):
    /// a flash loan lends them all, any other call moves the one token as
    /// `Moves::of` says, on the user's position there (`positions`), after
    /// the transaction's earlier lender calls (`TxMeter::lender_call`).
    fn pool_call(
        tx: &mut OpenTx,
        schedule: &GasSchedule,
        positions: &mut LenderReserves,
        protocol: &str,
        operation: &Operation,
        tokens: &[(Account, TokenContract)],
    ) -> Result<u64, CostError> {
        let op_gas = schedule.operation(tx.meter.sender(), operation);
        let pool = Account::Pool(protocol.to_string());
        if !matches!(operation, Operation::FlashLoan { .. }) {
            let Some((token, _)) = tokens.first() else {
                return Self::call(tx, schedule, pool, op_gas, Moves::Nothing);
            };
            let Account::Token(name) = token else {
                return Err(CostError(format!("a lender call moves {token:?}")));
            };
            let lender = (tx.record.chain.clone(), protocol.to_string());
            let on = positions.call(schedule, lender, operation, name.clone(), op_gas);
            let call = LenderCall {
                pool,
                asset: token.clone(),
                valued: on
                    .valued
                    .into_iter()
                    .map(|(token, held)| (Account::Token(token), held))
                    .collect(),
            };
            let moves = Moves::of(operation, token.clone());
            return tx
                .meter
                .lender_call(schedule, call, on.gas, moves)
                .map_err(second_wallet_call);
        }
        tx.meter
            .flash_loan_call(schedule, pool, op_gas, tokens)
            .map_err(second_wallet_call)
    }

    /// A bridge's call on `route`: its `gas` as the transaction's sender
    /// makes it, the bridge pulling `token` (its name and contract).
    fn route_call(
        tx: &mut OpenTx,
        schedule: &GasSchedule,
        bridge: Account,
        route: &RouteInfo,
        token: (Account, TokenContract),
    ) -> Result<u64, CostError> {
        let operation = Operation::Bridge {
            route,
            token: token.1,
        };
        let op_gas = schedule.operation(tx.meter.sender(), &operation);
        Self::call(tx, schedule, bridge, op_gas, Moves::of(&operation, token.0))
    }

    /// The token `wire` carries, as the account the meter names, with its
    /// contract.
    fn token_of(&self, wire: super::Wire) -> Result<(Account, TokenContract), CostError> {
        let ty = self.chain_of(wire)?;
        Ok((
            Account::Token(ty.token().to_string()),
            self.registry.token_contract(ty.chain(), ty.token()),
        ))
    }

    /// [`Self::pool_call`] on the program's positions as its calls so far
    /// made them.
    fn lender_call(
        &mut self,
        open: &mut OpenTx,
        protocol: &str,
        operation: &Operation,
        tokens: &[(Account, TokenContract)],
    ) -> Result<u64, CostError> {
        let schedule = self.schedule;
        Self::pool_call(
            open,
            schedule,
            &mut self.positions,
            protocol,
            operation,
            tokens,
        )
    }

    /// The account that spends an approval: a lender's pool, an exchange's
    /// router, a bridge.
    fn spender_account(&self, spender: &Spender) -> Account {
        match spender {
            Spender::Protocol(p)
                if self
                    .registry
                    .protocol(p)
                    .is_some_and(|info| info.kind == ProtocolKind::Lender) =>
            {
                Account::Pool(p.clone())
            }
            Spender::Protocol(p) => Account::Router(p.clone()),
            Spender::Bridge(kind) => Account::Bridge(kind.as_str().to_string()),
        }
    }

    /// The registry's `route` from `from` to `to`.
    fn route(&self, from: &str, to: &str, route: BridgeKind) -> Result<&RouteInfo, CostError> {
        self.registry
            .route(from, to, route)
            .ok_or_else(|| CostError(format!("no {route} bridge route from {from} to {to}")))
    }

    fn op(&mut self, op: &Op, tx: &mut Option<OpenTx>) -> Result<Elapsed, CostError> {
        if !op.needs_transaction() {
            return Ok(Elapsed::NONE);
        }
        let schedule = self.schedule;
        let Some(open) = tx.as_mut() else {
            return Err(CostError(format!("{} outside a transaction", op.name())));
        };
        let sender = open.meter.sender();
        let mut elapsed = Elapsed::NONE;
        let (what, gas) = match op {
            Op::Approve { token, spender, .. } => {
                let contract = self.registry.token_contract(&open.record.chain, token);
                let gas = open
                    .meter
                    .approve_call(
                        schedule,
                        Account::Token(token.clone()),
                        self.spender_account(spender),
                        contract,
                        schedule.operation(sender, &Operation::Approve { token: contract }),
                    )
                    .map_err(second_wallet_call)?;
                (format!("approve {spender} for {token}"), gas)
            }
            Op::Borrow {
                protocol,
                flash,
                funds,
                ..
            } => {
                let token = self.token_of(*funds)?;
                let contract = token.1;
                let operation = if *flash {
                    Operation::FlashLoan {
                        tokens: std::slice::from_ref(&contract),
                    }
                } else {
                    Operation::Borrow { token: contract }
                };
                let gas = self.lender_call(open, protocol, &operation, &[token])?;
                (format!("borrow from {protocol}"), gas)
            }
            Op::FlashLoan {
                protocol,
                amounts,
                funds,
                ..
            } => {
                let tokens = funds
                    .iter()
                    .map(|w| self.token_of(*w))
                    .collect::<Result<Vec<_>, _>>()?;
                let contracts: Vec<TokenContract> = tokens.iter().map(|t| t.1).collect();
                let operation = Operation::FlashLoan { tokens: &contracts };
                let gas = self.lender_call(open, protocol, &operation, &tokens)?;
                (
                    format!("flash loan of {} assets from {protocol}", amounts.len()),
                    gas,
                )
            }
            Op::Repay {
                protocol,
                debt,
                funds,
                ..
            } => {
                // The pool pulls a flash loan's repayment inside the loan.
                let token = self.token_of(*funds)?;
                if self.flash_debt(*debt) {
                    open.meter
                        .flash_loan_repaid(&Account::Pool(protocol.clone()), &token.0);
                    (format!("repay flash loan to {protocol}"), 0)
                } else {
                    let operation = Operation::Repay { token: token.1 };
                    let gas = self.lender_call(open, protocol, &operation, &[token])?;
                    (format!("repay to {protocol}"), gas)
                }
            }
            Op::Swap {
                exchanges, path, ..
            } => {
                let router = exchanges.first().cloned().unwrap_or_default();
                let contracts: Vec<TokenContract> = path
                    .iter()
                    .map(|t| self.registry.token_contract(&open.record.chain, t))
                    .collect();
                let gas = match sender {
                    Sender::Wallet => Self::call(
                        open,
                        schedule,
                        Account::Router(router),
                        schedule.operation(
                            sender,
                            &Operation::Swap {
                                path: &contracts,
                                returns: path_returns(path),
                            },
                        ),
                        Moves::Nothing,
                    )?,
                    Sender::Executor => {
                        let token_in = path.first().cloned().unwrap_or_default();
                        let input = contracts
                            .first()
                            .copied()
                            .unwrap_or(TokenContract::MintableErc20);
                        let mut gas = Self::call(
                            open,
                            schedule,
                            Account::Token(token_in),
                            schedule.transfer(input),
                            Moves::Nothing,
                        )?;
                        for (hop, ((pair, exchange), out)) in path
                            .windows(2)
                            .zip(exchanges)
                            .zip(contracts.iter().skip(1))
                            .enumerate()
                        {
                            let (token0, token1) = pair_tokens(&pair[0], &pair[1]);
                            let key = (token0.to_string(), token1.to_string());
                            let op_gas = open.meter.pair_swap(
                                schedule,
                                (exchange.clone(), key.clone()),
                                *out,
                                pays_back(path, hop),
                            );
                            gas = gas.saturating_add(Self::call(
                                open,
                                schedule,
                                Account::Pair(exchange.clone(), key),
                                op_gas,
                                Moves::Sends(Account::Token(pair[1].clone())),
                            )?);
                        }
                        gas
                    }
                };
                {
                    let mut on: Vec<&str> = exchanges.iter().map(String::as_str).collect();
                    on.dedup();
                    (format!("swap on {}", on.join(" and ")), gas)
                }
            }
            Op::Deposit { protocol, funds } => {
                let token = self.token_of(*funds)?;
                let operation = Operation::Deposit { token: token.1 };
                let gas = self.lender_call(open, protocol, &operation, &[token])?;
                (format!("deposit into {protocol}"), gas)
            }
            Op::Withdraw { protocol, out, .. } => {
                let token = self.token_of(*out)?;
                let operation = Operation::Withdraw { token: token.1 };
                let gas = self.lender_call(open, protocol, &operation, &[token])?;
                (format!("withdraw from {protocol}"), gas)
            }
            Op::BorrowDebt { protocol, out, .. } => {
                let token = self.token_of(*out)?;
                let operation = Operation::Borrow { token: token.1 };
                let gas = self.lender_call(open, protocol, &operation, &[token])?;
                (format!("borrow as debt from {protocol}"), gas)
            }
            Op::RepayDebt { protocol, funds } => {
                let token = self.token_of(*funds)?;
                let operation = Operation::Repay { token: token.1 };
                let gas = self.lender_call(open, protocol, &operation, &[token])?;
                (format!("repay debt to {protocol}"), gas)
            }
            Op::Bridge { route, input, out } => {
                let from = self.chain_of(*input)?.chain().to_string();
                let to = self.chain_of(*out)?.chain().to_string();
                let info = self.route(&from, &to, *route)?;
                let token = self.token_of(*input)?;
                elapsed = Elapsed::of(info.delay_blocks, self.registry.block_time_ms(&from));
                let bridge = Account::Bridge(route.as_str().to_string());
                let gas = Self::route_call(open, schedule, bridge, info, token)?;
                (format!("bridge to {to} via {route}"), gas)
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
                ..
            } => {
                let (Some(first_in), Some(first_out)) = (inputs.first(), outs.first()) else {
                    return Err(CostError("a bridge batch carries no transfer".into()));
                };
                let from = self.chain_of(*first_in)?.chain().to_string();
                let to = self.chain_of(*first_out)?.chain().to_string();
                let info = self.route(&from, &to, *route)?;
                // Each transfer is one call record, as the runtime meters it:
                // the first the route's call, each further one its entry.
                let bridge = Account::Bridge(route.as_str().to_string());
                for (i, input) in inputs.iter().enumerate() {
                    let (token, contract) = self.token_of(*input)?;
                    let gas = if i == 0 {
                        Self::route_call(open, schedule, bridge.clone(), info, (token, contract))?
                    } else {
                        open.meter
                            .batch_entry(schedule, token, &bridge, contract, i == 1)
                    };
                    elapsed = elapsed.then(Elapsed::of(
                        info.delay_blocks,
                        self.registry.block_time_ms(&from),
                    ));
                    open.record
                        .calls
                        .push((format!("bridge to {to} via {route}"), gas));
                }
                return Ok(elapsed);
            }
            Op::Wrap { input, out } | Op::Unwrap { input, out } => {
                let (operation, verb, wrapped) = match op {
                    Op::Wrap { .. } => (Operation::Wrap, "wrap", *out),
                    _ => (Operation::Unwrap, "unwrap", *input),
                };
                // The wrapped token's contract (WETH9) is the one called.
                let token = self.chain_of(wrapped)?.token().to_string();
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Token(token),
                    schedule.operation(sender, &operation),
                    Moves::Nothing,
                )?;
                let what = self.chain_of(*input)?.token().to_string();
                (format!("{verb} {what}"), gas)
            }
            Op::Input { .. }
            | Op::Require { .. }
            | Op::Assume { .. }
            | Op::Split { .. }
            | Op::Merge { .. } => return Ok(Elapsed::NONE),
        };
        open.record.calls.push((what, gas));
        Ok(elapsed)
    }

    /// Whether `debt` is (a rest of) a flash loan's obligation.
    fn flash_debt(&self, debt: super::Wire) -> bool {
        self.flash.contains(&debt)
    }
}

/// Every debt wire that descends from a flash loan.
pub fn flash_debts(term: &Term) -> BTreeSet<super::Wire> {
    let mut flash = BTreeSet::new();
    collect_flash(term, &mut flash);
    flash
}

fn collect_flash(term: &Term, flash: &mut BTreeSet<super::Wire>) {
    match term {
        Term::Gen(node) => match &node.op {
            Op::Borrow {
                flash: true, debt, ..
            } => {
                flash.insert(*debt);
            }
            Op::FlashLoan { debts, .. } => flash.extend(debts.iter().copied()),
            Op::Repay {
                debt,
                rest: Some(rest),
                ..
            } if flash.contains(debt) => {
                flash.insert(*rest);
            }
            Op::Merge { inputs, out } if inputs.iter().any(|w| flash.contains(w)) => {
                flash.insert(*out);
            }
            _ => {}
        },
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                collect_flash(t, flash);
            }
        }
    }
}

/// The spender an approval names, as the runtime's API takes it.
pub fn runtime_spender(spender: &Spender) -> mesh_core::Spender<&str> {
    match spender {
        Spender::Protocol(p) => mesh_core::Spender::Protocol(p),
        Spender::Bridge(kind) => mesh_core::Spender::Bridge(*kind),
    }
}
