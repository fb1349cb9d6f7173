//! A transaction plan: what a bundle sends to the chains, as unsigned
//! transactions, each call mapped back to the bundle's line.
//!
//! A plan lists, in the order they are sent, the transactions of every
//! chain. Each is from the user's wallet, to a protocol's contract (the
//! unoptimised level: one call per transaction) or to the user's
//! `MeshExecutor` (the optimised level: `run(calls)`), with its calldata,
//! value, gas limit and the block, counted from the bundle's start, from
//! which it may be sent (bridges' delays). The executor's list is a tree: a
//! flash loan's callback runs the calls below it. [`Plan::to_json`] writes
//! it in the shape docs/plan.md gives, one Flashbots-style bundle per chain
//! and block.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mesh_core::registry::BridgeKind;
use mesh_core::{Loc, Sender};
use revm::primitives::{Address, U256};

use crate::abi::hex;
use crate::calls::{self, InnerCall};

/// One call: its target, calldata and value, what it does in the bundle's
/// words, and the source location it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCall {
    pub target: Address,
    pub value: U256,
    pub data: Vec<u8>,
    /// `swap 1000 USDC for WETH on uniswap_v2 (Router02)`.
    pub what: String,
    pub loc: Loc,
}

/// A flash loan taken by the executor: the pool lends, calls the
/// executor back, which runs `body`, and pulls the repayment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashLoan {
    pub pool: Address,
    /// `flashLoanSimple` when true (one asset), else `flashLoan`.
    pub simple: bool,
    /// (asset, amount) of each loan.
    pub loans: Vec<(Address, u128)>,
    pub what: String,
    /// The borrow statement.
    pub loc: Loc,
    /// The repay statement: where a repayment the pool cannot pull fails.
    pub repay_loc: Option<Loc>,
    pub body: Vec<Step>,
}

/// One entry of a transaction's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Call(PlannedCall),
    Flash(FlashLoan),
}

impl Step {
    pub fn loc(&self) -> Loc {
        match self {
            Step::Call(c) => c.loc,
            Step::Flash(f) => f.loc,
        }
    }

    pub fn what(&self) -> &str {
        match self {
            Step::Call(c) => &c.what,
            Step::Flash(f) => &f.what,
        }
    }

    /// The executor's inner call this step is.
    pub fn inner_call(&self, executor: Address) -> InnerCall {
        match self {
            Step::Call(c) => InnerCall {
                target: c.target,
                value: c.value,
                data: c.data.clone(),
            },
            Step::Flash(f) => {
                let inner: Vec<InnerCall> = f.body.iter().map(|s| s.inner_call(executor)).collect();
                let params = calls::executor_callback_params(&inner);
                let data = match f.loans.as_slice() {
                    [(asset, amount)] if f.simple => {
                        calls::aave_flash_loan_simple(executor, *asset, *amount, params)
                    }
                    loans => calls::aave_flash_loan(executor, loans, params),
                };
                InnerCall::new(f.pool, data)
            }
        }
    }
}

/// A transfer a bridge delivers: recorded with the transaction that locks
/// it, for the relayer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub kind: BridgeKind,
    pub to_chain: String,
    pub token: String,
    pub amount: u128,
    pub loc: Loc,
}

/// One transaction of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTx {
    pub chain: String,
    pub chain_id: u64,
    pub sender: Sender,
    /// The block it takes, counted from the bundle's start (1 = the first).
    pub block: u64,
    pub from: Address,
    /// The executor for an executor transaction; else the one call's target.
    pub executor: Address,
    pub body: Vec<Step>,
    /// The gas the model engine meters for it: the schedule's charge and
    /// what its balance writes add (docs/gas.md, "Balances at run time").
    pub model_gas: u64,
    /// The gas limit: unset (0) until the plan has run on the EVM.
    pub gas_limit: u64,
    pub transfers: Vec<Transfer>,
}

impl PlannedTx {
    /// `to`, `data` and `value` as sent, or `None` for a transaction left
    /// with no call.
    pub fn encoded(&self) -> Option<(Address, Vec<u8>, U256)> {
        match self.sender {
            Sender::Wallet => match self.body.as_slice() {
                [Step::Call(c)] => Some((c.target, c.data.clone(), c.value)),
                _ => None,
            },
            Sender::Executor => {
                if self.body.is_empty() {
                    return None;
                }
                let inner: Vec<InnerCall> = self
                    .body
                    .iter()
                    .map(|s| s.inner_call(self.executor))
                    .collect();
                // The executor holds the bundle's ether as it holds its
                // tokens: a call that sends ether (a wrap) spends the
                // executor's own balance, and the wallet sends none.
                Some((self.executor, calls::executor_run(&inner), U256::ZERO))
            }
        }
    }

    /// The location of the first call.
    pub fn first_loc(&self) -> Loc {
        self.body.first().map_or(Loc::UNKNOWN, Step::loc)
    }
}

/// A failure the simulation finds off-chain, before anything is sent: a
/// `require` that does not hold, or an amount that cannot be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub reason: String,
    pub loc: Loc,
}

/// An `input`: what the bundle draws from the wallet, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub chain: String,
    pub token: String,
    pub amount: u128,
    pub loc: Loc,
}

/// A loan the bundle takes: where an unpaid one is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loan {
    pub chain: String,
    pub protocol: String,
    pub token: String,
    pub principal: u128,
    pub loc: Loc,
}

/// What a bundle sends: its transactions, in the order they are sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub bundle: String,
    /// `O0` or `O`.
    pub level: String,
    pub transactions: Vec<PlannedTx>,
    /// Failures found before anything is sent.
    pub checks: Vec<Check>,
    /// What the bundle draws from the wallet.
    pub inputs: Vec<Input>,
    /// Ordinary loans taken (an unpaid one reverts the bundle).
    pub loans: Vec<Loan>,
    /// What the bundle moves of the user's debt on purpose, by (chain,
    /// lender, token): (left open as debt, repaid of the debt), in base
    /// units. An ordinary loan is repaid when the debt ends no higher than
    /// it began plus the first less the second.
    pub debt_moves: BTreeMap<(String, String, String), (u128, u128)>,
    /// The blocks the bundle takes.
    pub blocks: u64,
    /// The time the bundle takes, in milliseconds, each block at its
    /// chain's block time; `None` when a chain has no block time.
    pub time_ms: Option<u64>,
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn address(a: &Address) -> String {
    format!("\"0x{}\"", hex(a.as_slice()))
}

fn quantity(v: U256) -> String {
    format!("\"0x{v:x}\"")
}

impl Plan {
    /// The plan as JSON (docs/plan.md): per chain, one bundle per block,
    /// each a list of unsigned transactions with the source map of their
    /// calls, plus the order of all transactions across chains and the
    /// transfers the bridges deliver.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\n  \"format\": 1,\n  \"bundle\": {},\n  \"level\": {},\n  \"blocks\": {},\n  \"chains\": [",
            json_string(&self.bundle),
            json_string(&self.level),
            self.blocks
        );
        let mut chains: Vec<(&str, u64)> = Vec::new();
        for t in self.transactions.iter().filter(|t| !t.body.is_empty()) {
            if !chains.iter().any(|(c, _)| *c == t.chain) {
                chains.push((&t.chain, t.chain_id));
            }
        }
        chains.sort();
        for (ci, (chain, chain_id)) in chains.iter().enumerate() {
            let _ = write!(
                out,
                "{}\n    {{\n      \"chain\": {},\n      \"chain_id\": {chain_id},\n      \"bundles\": [",
                if ci > 0 { "," } else { "" },
                json_string(chain)
            );
            let mut blocks: Vec<u64> = self
                .transactions
                .iter()
                .filter(|t| t.chain == *chain && !t.body.is_empty())
                .map(|t| t.block)
                .collect();
            blocks.sort_unstable();
            blocks.dedup();
            for (bi, block) in blocks.iter().enumerate() {
                let _ = write!(
                    out,
                    "{}\n        {{\n          \"block_offset\": {},\n          \"transactions\": [",
                    if bi > 0 { "," } else { "" },
                    block.saturating_sub(1)
                );
                let txs =
                    self.transactions.iter().enumerate().filter(|(_, t)| {
                        t.chain == *chain && t.block == *block && !t.body.is_empty()
                    });
                for (ti, (index, t)) in txs.enumerate() {
                    if ti > 0 {
                        out.push(',');
                    }
                    out.push_str(&tx_json(index, t));
                }
                out.push_str("\n          ]\n        }");
            }
            out.push_str("\n      ]\n    }");
        }
        out.push_str("\n  ],\n  \"transfers\": [");
        let mut first = true;
        for (index, t) in self.transactions.iter().enumerate() {
            for transfer in &t.transfers {
                let _ = write!(
                    out,
                    "{}\n    {{\"locked_in\": {index}, \"from\": {}, \"to\": {}, \"route\": \"{}\", \"token\": {}, \"amount\": \"{}\", \"line\": {}, \"column\": {}}}",
                    if first { "" } else { "," },
                    json_string(&t.chain),
                    json_string(&transfer.to_chain),
                    transfer.kind.as_str(),
                    json_string(&transfer.token),
                    transfer.amount,
                    transfer.loc.line,
                    transfer.loc.column
                );
                first = false;
            }
        }
        out.push_str("\n  ]\n}\n");
        out
    }
}

fn tx_json(index: usize, t: &PlannedTx) -> String {
    let mut out = String::new();
    let (to, data, value) = t
        .encoded()
        .unwrap_or((Address::ZERO, Vec::new(), U256::ZERO));
    let _ = write!(
        out,
        "\n            {{\n              \"index\": {index},\n              \"sender\": \"{}\",\n              \"from\": {},\n              \"to\": {},\n              \"value\": {},\n              \"gas_limit\": {},\n              \"data\": \"0x{}\",\n              \"calls\": [",
        t.sender.as_str(),
        address(&t.from),
        address(&to),
        quantity(value),
        t.gas_limit,
        hex(&data)
    );
    let mut calls = Vec::new();
    flatten(&t.body, &mut Vec::new(), &mut calls);
    for (i, (path, target, what, loc)) in calls.iter().enumerate() {
        let path: Vec<String> = path.iter().map(usize::to_string).collect();
        let _ = write!(
            out,
            "{}\n                {{\"path\": [{}], \"to\": {}, \"what\": {}, \"line\": {}, \"column\": {}}}",
            if i > 0 { "," } else { "" },
            path.join(", "),
            address(target),
            json_string(what),
            loc.line,
            loc.column
        );
    }
    out.push_str("\n              ]\n            }");
    out
}

/// Every call of a body with its path of indices (a flash loan's callback
/// one level down), depth first.
pub fn flatten(
    body: &[Step],
    prefix: &mut Vec<usize>,
    out: &mut Vec<(Vec<usize>, Address, String, Loc)>,
) {
    for (i, step) in body.iter().enumerate() {
        prefix.push(i);
        match step {
            Step::Call(c) => out.push((prefix.clone(), c.target, c.what.clone(), c.loc)),
            Step::Flash(f) => {
                out.push((prefix.clone(), f.pool, f.what.clone(), f.loc));
                flatten(&f.body, prefix, out);
            }
        }
        prefix.pop();
    }
}
