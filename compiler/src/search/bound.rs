//! The lower bound that prunes the search: no completion of a partial
//! schedule costs less than what the meter's rules (docs/gas.md) charge at
//! the very least for what is left. With `R` the actions not yet scheduled
//! and `G` the grants already made:
//!
//! - each action of `R` its cheapest form, as a warm executor call: a
//!   borrow a flash loan where its lender offers them (else an ordinary
//!   borrow), a repay nothing where the loan may be a flash loan (else a
//!   repay), each hop of a swap one pair call, plus the transfer into the
//!   first pair for a swap no other can fuse into, a bridge its route's
//!   call — nothing when another bridge may carry it, the per-transfer part
//!   when it may ride in a shared message — and a deposit or a withdrawal
//!   its call, nothing when a law may remove or carry it;
//! - one oracle update per pair a swap of `R` touches;
//! - one grant (an approval as a warm call) per spender a repay, a bridge,
//!   or a deposit no withdrawal may cancel needs and `G` lacks;
//! - per chain, one transaction base per transaction its remaining calls
//!   need at least: the longest run of calls on it that must each be in a
//!   later transaction than the one before;
//! - one cold access less the warm one, per account the calls above reach
//!   and per transaction, whichever is more: every transaction starts
//!   cold, so each account is cold once in it and each transaction has one
//!   cold access at least.
//!
//! Each term charges a call that every completion makes, at most what the
//! meter charges for it, and no call twice.

use super::build::Grants;
use super::graph::{bit, members, Problem, Set};
use super::laws::{Act, Facts};
use crate::ir::{Op, Spender};
use mesh_core::registry::{pair_tokens, BridgeKind};
use mesh_core::{GasSchedule, Registry};

pub(super) struct Bound {
    /// Each action's cheapest form.
    min_cost: Vec<u64>,
    /// The actions whose transaction always makes a call.
    calls: Set,
    /// Per grant: the actions that always spend it.
    spenders: Vec<Set>,
    /// Per action and per grant: the accounts (by index) they reach for sure.
    accounts: Vec<u64>,
    grant_accounts: Vec<u64>,
    /// Per action: the pairs its swaps touch (by index).
    pairs: Vec<u64>,
    grant_cost: u64,
    oracle: u64,
    tx_base: u64,
    cold_extra: u64,
}

/// Indexes of names: at most 64 are counted (counting fewer keeps the
/// bound below the cost).
#[derive(Default)]
struct Names(Vec<String>);

impl Names {
    fn bit(&mut self, name: String) -> u64 {
        if let Some(i) = self.0.iter().position(|n| *n == name) {
            return 1 << i;
        }
        if self.0.len() >= 64 {
            return 0;
        }
        self.0.push(name);
        1 << (self.0.len() - 1)
    }
}

impl Bound {
    pub fn new(
        problem: &Problem,
        facts: &Facts,
        registry: &Registry,
        schedule: &GasSchedule,
        grants: &mut Grants,
    ) -> Result<Bound, String> {
        let n = problem.len();
        let warm = schedule.warm_account_access;
        let call = |op_gas: u64| schedule.executor_call_overhead() + warm + op_gas;
        let mut accounts = Names::default();
        let mut pair_names = Names::default();
        let mut bound = Bound {
            min_cost: vec![0; n],
            calls: 0,
            spenders: Vec::new(),
            accounts: vec![0; n],
            grant_accounts: Vec::new(),
            pairs: vec![0; n],
            grant_cost: call(schedule.approve),
            oracle: schedule.pair_oracle_update,
            tx_base: schedule.tx_base,
            cold_extra: schedule
                .cold_account_access
                .saturating_sub(schedule.warm_account_access),
        };
        // (action, token, spender) of every spend that always happens.
        let mut spends: Vec<(usize, String, Spender)> = Vec::new();
        for a in 0..n {
            let chain = problem.chains[problem.action_chain[a]].clone();
            let lender = facts.lender[a].clone().unwrap_or_default();
            let pool = format!("{chain} pool {lender}");
            let flashable = facts
                .loans
                .iter()
                .any(|l| l.flashable && l.actions & bit(a) != 0);
            let mut always_calls = true;
            match (&facts.acts[a], problem.op(a)) {
                (Act::Borrow, _) => {
                    let op = if flashable {
                        schedule.flash_loan.min(schedule.borrow)
                    } else {
                        schedule.borrow
                    };
                    bound.min_cost[a] = call(op);
                    bound.accounts[a] = accounts.bit(pool);
                }
                (Act::Repay, Op::Repay { funds, .. }) => {
                    bound.min_cost[a] = if flashable { 0 } else { call(schedule.repay) };
                    bound.accounts[a] = accounts.bit(pool);
                    spends.push((
                        a,
                        problem.token(*funds).to_string(),
                        Spender::Protocol(lender.clone()),
                    ));
                }
                (
                    Act::Swap {
                        exchange,
                        path,
                        input,
                        ..
                    },
                    _,
                ) => {
                    let hops = path.len().saturating_sub(1) as u64;
                    let fused_into = (0..n).any(|p| {
                        matches!(&facts.acts[p], Act::Swap { exchange: e, out, unbounded: true, .. }
                            if e == exchange && out == input && !problem.read.contains(out))
                    });
                    bound.min_cost[a] = hops.saturating_mul(call(schedule.pair_swap));
                    for hop in path.windows(2) {
                        let (x, y) = pair_tokens(&hop[0], &hop[1]);
                        let name = format!("{chain} pair {exchange} {x} {y}");
                        bound.accounts[a] |= accounts.bit(name.clone());
                        bound.pairs[a] |= pair_names.bit(name);
                    }
                    if !fused_into {
                        bound.min_cost[a] += call(schedule.token_transfer);
                        let token = path.first().cloned().unwrap_or_default();
                        bound.accounts[a] |= accounts.bit(format!("{chain} token {token}"));
                    }
                }
                (Act::Deposit { token, amounts, .. }, _) => {
                    let cancellable = (0..n).any(|w| {
                        matches!(&facts.acts[w], Act::Withdraw { token: t, amount }
                            if t == token && amounts.contains(amount))
                            && facts.lender[w] == facts.lender[a]
                            && problem.action_chain[w] == problem.action_chain[a]
                    });
                    let mergeable = (0..n).any(|d| {
                        d != a
                            && matches!(&facts.acts[d], Act::Deposit { token: t, .. } if t == token)
                            && facts.lender[d] == facts.lender[a]
                            && problem.action_chain[d] == problem.action_chain[a]
                    });
                    if cancellable {
                        always_calls = false;
                    } else {
                        bound.accounts[a] = accounts.bit(pool);
                        spends.push((a, token.clone(), Spender::Protocol(lender.clone())));
                        if !mergeable {
                            bound.min_cost[a] = call(schedule.deposit);
                        }
                    }
                }
                (Act::Withdraw { token, amount }, _) => {
                    let cancellable = (0..n).any(|d| {
                        matches!(&facts.acts[d], Act::Deposit { token: t, amounts, .. }
                            if t == token && amounts.contains(amount))
                            && facts.lender[d] == facts.lender[a]
                            && problem.action_chain[d] == problem.action_chain[a]
                    });
                    if cancellable {
                        always_calls = false;
                    } else {
                        bound.min_cost[a] = call(schedule.withdraw);
                        bound.accounts[a] = accounts.bit(pool);
                    }
                }
                (Act::Bridge { route, token, to }, _) => {
                    let gas = registry
                        .route(&chain, to, *route)
                        .map(|r| r.gas)
                        .ok_or_else(|| format!("no {route} route from {chain} to {to}"))?;
                    let merged =
                        facts.follows[a] != 0 || facts.follows.iter().any(|f| f & bit(a) != 0);
                    let batched = *route != BridgeKind::Htlb
                        && (0..n).any(|b| {
                            matches!(&facts.acts[b], Act::Bridge { route: r, token: t, to: d }
                                if r == route && t != token && d == to)
                                && problem.action_chain[b] == problem.action_chain[a]
                        });
                    bound.min_cost[a] = if merged {
                        0
                    } else if batched {
                        call(gas).min(schedule.bridge_batch_extra() + warm)
                    } else {
                        call(gas)
                    };
                    bound.accounts[a] = accounts.bit(format!("{chain} bridge {route}"));
                    spends.push((a, token.clone(), Spender::Bridge(*route)));
                }
                _ => {}
            }
            if always_calls {
                bound.calls |= bit(a);
            }
        }
        for (a, token, spender) in spends {
            let chain = problem.chains[problem.action_chain[a]].clone();
            let g = grants.index((chain.clone(), token.clone(), spender))?;
            if bound.spenders.len() <= g {
                bound.spenders.resize(g + 1, 0);
                bound.grant_accounts.resize(g + 1, 0);
            }
            bound.spenders[g] |= bit(a);
            bound.grant_accounts[g] = accounts.bit(format!("{chain} token {token}"));
        }
        Ok(bound)
    }

    /// The least gas any completion of a schedule that has sent `done`
    /// and granted `granted` still costs.
    pub fn lower(&self, problem: &Problem, done: Set, granted: u64) -> u64 {
        let rest = problem.all() & !done;
        let mut gas = 0u64;
        let mut reached = 0u64;
        let mut pairs = 0u64;
        for a in members(rest) {
            gas = gas.saturating_add(self.min_cost[a]);
            reached |= self.accounts[a];
            pairs |= self.pairs[a];
        }
        for (g, spenders) in self.spenders.iter().enumerate() {
            if granted & (1 << g) == 0 && spenders & rest != 0 {
                gas = gas.saturating_add(self.grant_cost);
                reached |= self.grant_accounts[g];
            }
        }
        gas = gas.saturating_add(self.oracle.saturating_mul(u64::from(pairs.count_ones())));
        let txs = transactions(problem, rest & self.calls);
        gas = gas.saturating_add(self.tx_base.saturating_mul(txs));
        let cold = u64::from(reached.count_ones()).max(txs);
        gas.saturating_add(self.cold_extra.saturating_mul(cold))
    }
}

/// The transactions the calls of `rest` need at least: per chain, the
/// longest run of its calls each of which must be in a later transaction
/// than the one before.
fn transactions(problem: &Problem, rest: Set) -> u64 {
    let mut run = vec![0u64; problem.len()];
    let mut per_chain = vec![0u64; problem.chains.len()];
    for b in members(rest) {
        let chain = problem.action_chain[b];
        let before = members(problem.later[b] & rest)
            .filter(|a| problem.action_chain[*a] == chain)
            .map(|a| run[a])
            .max()
            .unwrap_or(0);
        run[b] = before + 1;
        per_chain[chain] = per_chain[chain].max(run[b]);
    }
    per_chain.iter().sum()
}
