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

use super::{Op, Program, Sender, Spender, Term, WireType};
use mesh_core::amount::display_count;
use mesh_core::gas::{Operation, TxMeter};
use mesh_core::registry::pair_tokens;
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
}

impl Cost {
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
}

/// The gas and blocks of `program` on `registry`'s routes, metered with `schedule`.
pub fn cost(
    program: &Program,
    registry: &Registry,
    schedule: &GasSchedule,
) -> Result<Cost, CostError> {
    let mut meter = Meter {
        program,
        registry,
        schedule,
        cost: Cost::default(),
        flash: flash_debts(&program.body),
    };
    let blocks = meter.term(&program.body, &mut None)?;
    meter.cost.blocks = blocks;
    Ok(meter.cost)
}

impl Meter<'_> {
    /// Walks a term; returns the blocks it takes.
    fn term(&mut self, term: &Term, tx: &mut Option<OpenTx>) -> Result<u64, CostError> {
        match term {
            Term::Gen(node) => self.op(&node.op, tx),
            Term::Seq(terms) => terms.iter().try_fold(0u64, |blocks, t| {
                Ok(blocks.saturating_add(self.term(t, tx)?))
            }),
            Term::Tensor(branches) => branches
                .iter()
                .try_fold(0u64, |longest, t| Ok(longest.max(self.term(t, tx)?))),
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
                let mut blocks = 1u64;
                for t in body {
                    blocks = blocks.saturating_add(self.term(t, &mut open)?);
                }
                if let Some(mut open) = open {
                    open.record.gas = open.meter.gas();
                    self.cost.transactions.push(open.record);
                }
                Ok(blocks)
            }
        }
    }

    fn chain_of(&self, wire: super::Wire) -> Result<&WireType, CostError> {
        self.program
            .wire_type(wire)
            .ok_or_else(|| CostError(format!("{wire} has no type")))
    }

    /// One call on `account` costing `op_gas` besides the executor's
    /// overhead, metered as the runtime meters it.
    fn call(
        tx: &mut OpenTx,
        schedule: &GasSchedule,
        account: Account,
        op_gas: u64,
    ) -> Result<u64, CostError> {
        tx.meter.call(schedule, account, op_gas).map_err(|_| {
            CostError("a wallet transaction makes a second call (the lowering never does)".into())
        })
    }

    fn op(&mut self, op: &Op, tx: &mut Option<OpenTx>) -> Result<u64, CostError> {
        if !op.needs_transaction() {
            return Ok(0);
        }
        let schedule = self.schedule;
        let Some(open) = tx.as_mut() else {
            return Err(CostError(format!("{} outside a transaction", op.name())));
        };
        let sender = open.meter.sender();
        let mut blocks = 0;
        let (what, gas) = match op {
            Op::Approve { token, spender, .. } => {
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Token(token.clone()),
                    schedule.operation(sender, &Operation::Approve),
                )?;
                (format!("approve {spender} for {token}"), gas)
            }
            Op::Borrow {
                protocol, flash, ..
            } => {
                let operation = if *flash {
                    Operation::FlashLoan { assets: 1 }
                } else {
                    Operation::Borrow
                };
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &operation),
                )?;
                (format!("borrow from {protocol}"), gas)
            }
            Op::FlashLoan {
                protocol, amounts, ..
            } => {
                let operation = Operation::FlashLoan {
                    assets: amounts.len(),
                };
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &operation),
                )?;
                (
                    format!("flash loan of {} assets from {protocol}", amounts.len()),
                    gas,
                )
            }
            Op::Repay { protocol, debt, .. } => {
                // The pool pulls a flash loan's repayment inside the loan.
                if self.flash_debt(*debt) {
                    (format!("repay flash loan to {protocol}"), 0)
                } else {
                    let gas = Self::call(
                        open,
                        schedule,
                        Account::Pool(protocol.clone()),
                        schedule.operation(sender, &Operation::Repay),
                    )?;
                    (format!("repay to {protocol}"), gas)
                }
            }
            Op::Swap {
                exchanges, path, ..
            } => {
                let hops = path.len().saturating_sub(1);
                let router = exchanges.first().cloned().unwrap_or_default();
                let gas = match sender {
                    Sender::Wallet => Self::call(
                        open,
                        schedule,
                        Account::Router(router),
                        schedule.operation(sender, &Operation::Swap { hops }),
                    )?,
                    Sender::Executor => {
                        let token_in = path.first().cloned().unwrap_or_default();
                        let mut gas = Self::call(
                            open,
                            schedule,
                            Account::Token(token_in),
                            schedule.token_transfer,
                        )?;
                        for (pair, exchange) in path.windows(2).zip(exchanges) {
                            let (token0, token1) = pair_tokens(&pair[0], &pair[1]);
                            let key = (token0.to_string(), token1.to_string());
                            let op_gas = open
                                .meter
                                .pair_swap(schedule, (exchange.clone(), key.clone()));
                            gas = gas.saturating_add(Self::call(
                                open,
                                schedule,
                                Account::Pair(exchange.clone(), key),
                                op_gas,
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
            Op::Deposit { protocol, .. } => {
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &Operation::Deposit),
                )?;
                (format!("deposit into {protocol}"), gas)
            }
            Op::Withdraw { protocol, .. } => {
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &Operation::Withdraw),
                )?;
                (format!("withdraw from {protocol}"), gas)
            }
            Op::BorrowDebt { protocol, .. } => {
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &Operation::Borrow),
                )?;
                (format!("borrow as debt from {protocol}"), gas)
            }
            Op::RepayDebt { protocol, .. } => {
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Pool(protocol.clone()),
                    schedule.operation(sender, &Operation::Repay),
                )?;
                (format!("repay debt to {protocol}"), gas)
            }
            Op::Bridge { route, input, out } => {
                let from = self.chain_of(*input)?.chain().to_string();
                let to = self.chain_of(*out)?.chain().to_string();
                let Some(info) = self.registry.route(&from, &to, *route) else {
                    return Err(CostError(format!(
                        "no {route} bridge route from {from} to {to}"
                    )));
                };
                blocks = info.delay_blocks;
                let gas = Self::call(
                    open,
                    schedule,
                    Account::Bridge(route.as_str().to_string()),
                    schedule.operation(sender, &Operation::Bridge { route: info }),
                )?;
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
                let Some(info) = self.registry.route(&from, &to, *route) else {
                    return Err(CostError(format!(
                        "no {route} bridge route from {from} to {to}"
                    )));
                };
                // Each transfer is one call record, as the runtime meters it:
                // the first the route's call, each further one its entry.
                for (i, input) in inputs.iter().enumerate() {
                    let gas = if i == 0 {
                        Self::call(
                            open,
                            schedule,
                            Account::Bridge(route.as_str().to_string()),
                            schedule.operation(sender, &Operation::Bridge { route: info }),
                        )?
                    } else {
                        let token = self.chain_of(*input)?.token().to_string();
                        open.meter.batch_entry(schedule, Account::Token(token))
                    };
                    blocks = blocks.saturating_add(info.delay_blocks);
                    open.record
                        .calls
                        .push((format!("bridge to {to} via {route}"), gas));
                }
                return Ok(blocks);
            }
            Op::Input { .. }
            | Op::Require { .. }
            | Op::Assume { .. }
            | Op::Split { .. }
            | Op::Merge { .. } => return Ok(0),
        };
        open.record.calls.push((what, gas));
        Ok(blocks)
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
