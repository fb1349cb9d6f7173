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
//! - per route from one chain to another that bridges of `R` take, one
//!   call of the route at least: the transfers a merge or a shared message
//!   carry for less still ride on one route call, so the most any one of
//!   those bridges is charged above is topped up to the route's call;
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
//!
//! Two more bounds order and cut the next transaction before it is
//! metered with its grants: the terms above for its actions alone in one
//! transaction (its grants those it surely spends), plus the bound of what
//! is left after it with every grant it may spend made; and, once an
//! outcome of its laws is metered without grants, that gas plus, per grant
//! placed in it, the grant's call less the one cold access it may spare.
//! The outcome is bounded before it is metered: its base and one cold
//! access, each step's calls as the laws leave them (a batch's route call
//! and its further entries, a fused swap's one transfer and its pair
//! calls, a merged deposit's or transfer's one call, a flash loan and no
//! repayment), warm, and one oracle update per pair.

use super::build::Grants;
use super::graph::{bit, members, Problem, Set};
use super::laws::{actions_of, Act, Facts, Item, Shape};
use crate::ir::{Op, Spender, Wire};
use mesh_core::gas::path_returns;
use mesh_core::registry::{pair_tokens, BridgeKind, TokenContract};
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
    /// Per action: every grant it may spend.
    may_spend: Vec<u64>,
    /// Per bridge: its (chain, route, destination) group; per group, the
    /// route's call.
    group: Vec<Option<usize>>,
    group_call: Vec<u64>,
    /// Per action, its call as it stands (warm): a bridge's route call, a
    /// borrow's ordinary loan, a swap's transfer and pair calls.
    as_is: Vec<u64>,
    /// The calls the laws change: a flash loan, one pair's swap, the
    /// transfer into a first pair, a shared message's further entry.
    flash_call: u64,
    /// A multi-asset flash loan's cost beyond one flash loan's call, and
    /// each further asset's.
    multi_asset: u64,
    extra_asset: u64,
    pair_call: u64,
    transfer_call: u64,
    /// What the last pair of a path back to its first token saves
    /// (`GasSchedule::return_balance_saving`).
    pays_back: u64,
    entry: u64,
    /// A shared message's own encoding, once per message of two or more.
    batch_message: u64,
    grant_cost: u64,
    /// The least a grant adds to a transaction: its call, less the cold
    /// access it may spare a later call on its token.
    grant_floor: u64,
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
        // Each row at its least over the tokens' contracts and less every
        // saving the calls before it in its transaction may give it (a
        // token warm, a pull under an approval), so that the bound stays
        // below what any token's operation costs wherever it is placed.
        let pull_floor = schedule.route_pull_floor();
        let route_gas = |gas: u64| gas.saturating_sub(pull_floor);
        // The floor takes a reserve an earlier call of the transaction
        // acted on off every lender call; a call whose reserve no other
        // action of the bundle acts on can find it at most valued.
        let lone_reserve = schedule
            .lender_warm_reserve
            .saturating_sub(schedule.lender_valued_most());
        // A swap, or a chain of fused swaps, whose path ends in the token
        // it starts with saves this on its last pair; the floor's pair
        // swap does not take it off.
        let pays_back = schedule.return_balance_saving;
        let floor = schedule.token_floor();
        let schedule = &floor;
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
            may_spend: Vec::new(),
            group: vec![None; n],
            group_call: Vec::new(),
            as_is: vec![0; n],
            flash_call: call(schedule.flash_loan),
            multi_asset: schedule.flash_loan_multi_asset,
            extra_asset: schedule.flash_loan_extra_asset,
            pair_call: call(schedule.pair_swap),
            transfer_call: call(schedule.token_transfer),
            pays_back,
            entry: schedule.bridge_batch_extra(TokenContract::Weth9, false) + warm,
            batch_message: schedule.bridge_batch_message,
            grant_cost: call(schedule.approve),
            grant_floor: call(schedule.approve).saturating_sub(
                schedule
                    .cold_account_access
                    .saturating_sub(schedule.warm_account_access),
            ),
            oracle: schedule.pair_oracle_update,
            // Every transaction of the search is the executor's.
            tx_base: schedule
                .tx_base
                .saturating_add(schedule.executor_transaction),
            cold_extra: schedule
                .cold_account_access
                .saturating_sub(schedule.warm_account_access),
        };
        // (action, token, spender) of every spend that always happens, and
        // of every spend that may.
        let mut spends: Vec<(usize, String, Spender)> = Vec::new();
        let mut may: Vec<(usize, String, Spender)> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        let acted: Vec<Option<Vec<&str>>> = (0..n).map(|a| reserves_acted(problem, a)).collect();
        for a in 0..n {
            let chain = problem.chains[problem.action_chain[a]].clone();
            let lender = facts.lender[a].clone().unwrap_or_default();
            let pool = format!("{chain} pool {lender}");
            // What this action's floor may add back: `lone_reserve` when no
            // other action on its lender and chain may act on its reserve
            // (one whose reserve is unknown may act on any).
            let alone = match &acted[a] {
                Some(own) => !(0..n).any(|b| {
                    b != a
                        && facts.lender[b].is_some()
                        && facts.lender[b] == facts.lender[a]
                        && problem.action_chain[b] == problem.action_chain[a]
                        && acted[b]
                            .as_ref()
                            .is_none_or(|theirs| theirs.iter().any(|t| own.contains(t)))
                }),
                None => false,
            };
            let back = if alone { lone_reserve } else { 0 };
            let flashable = facts
                .loans
                .iter()
                .any(|l| l.flashable && l.actions & bit(a) != 0);
            let mut always_calls = true;
            bound.as_is[a] = match (&facts.acts[a], problem.op(a)) {
                (Act::Borrow { .. }, _) => call(schedule.borrow),
                (Act::Repay, _) => call(schedule.repay),
                (Act::Swap { path, .. }, _) => call(schedule.token_transfer)
                    .saturating_add(
                        (path.len().saturating_sub(1) as u64)
                            .saturating_mul(call(schedule.pair_swap)),
                    )
                    .saturating_sub(if path_returns(path) { pays_back } else { 0 }),
                (Act::Deposit { .. }, _) => call(schedule.deposit),
                (Act::Withdraw { .. }, _) => call(schedule.withdraw),
                (Act::Bridge { route, to, .. }, _) => registry
                    .route(&chain, to, *route)
                    .map_or(0, |r| call(route_gas(r.gas))),
                (Act::Other, _) => 0,
            };
            match (&facts.acts[a], problem.op(a)) {
                (Act::Borrow { token, .. }, _) => {
                    let borrow = schedule.borrow.saturating_add(back);
                    let op = if flashable {
                        schedule.flash_loan.min(borrow)
                    } else {
                        borrow
                    };
                    bound.min_cost[a] = call(op);
                    bound.accounts[a] = accounts.bit(pool);
                    // A flash loan that may join another of its lender in
                    // one multi-asset call: at least the further asset's
                    // part, and one flash loan's call per lender (below).
                    let joinable = flashable
                        && (0..n).any(|b| {
                            matches!(&facts.acts[b], Act::Borrow { token: t, .. } if t != token)
                                && facts.lender[b] == facts.lender[a]
                                && problem.action_chain[b] == problem.action_chain[a]
                                && facts
                                    .loans
                                    .iter()
                                    .any(|l| l.flashable && l.actions & bit(b) != 0)
                        });
                    if joinable {
                        bound.min_cost[a] = bound.min_cost[a].min(schedule.flash_loan_extra_asset);
                        let name = format!("{chain} loans {lender}");
                        let g = match groups.iter().position(|n| *n == name) {
                            Some(g) => g,
                            None => {
                                groups.push(name);
                                bound
                                    .group_call
                                    .push(call(schedule.flash_loan.min(schedule.borrow)));
                                groups.len() - 1
                            }
                        };
                        bound.group[a] = Some(g);
                    }
                }
                (Act::Repay, Op::Repay { funds, .. }) => {
                    bound.min_cost[a] = if flashable {
                        0
                    } else {
                        call(schedule.repay.saturating_add(back))
                    };
                    bound.accounts[a] = accounts.bit(pool);
                    spends.push((
                        a,
                        problem.token(*funds).to_string(),
                        Spender::Protocol(lender.clone()),
                    ));
                }
                (
                    Act::Swap {
                        exchanges,
                        path,
                        input,
                        ..
                    },
                    _,
                ) => {
                    let hops = path.len().saturating_sub(1) as u64;
                    // A fusion may join swaps of any exchanges.
                    let fused_into = (0..n).any(|p| {
                        matches!(&facts.acts[p], Act::Swap { out, unbounded: true, .. }
                            if out == input && !problem.read.contains(out))
                    });
                    bound.min_cost[a] = hops.saturating_mul(call(schedule.pair_swap));
                    // Its last pair may pay back the first token of a path
                    // it ends: its own, or, fused after others, one that
                    // another swap starts.
                    let ends_a_path = path_returns(path)
                        || fused_into
                            && (0..n).any(|p| {
                                p != a
                                    && matches!(&facts.acts[p], Act::Swap { path: first, .. }
                                        if first.first() == path.last())
                            });
                    if ends_a_path {
                        bound.min_cost[a] = bound.min_cost[a].saturating_sub(pays_back);
                    }
                    for (hop, exchange) in path.windows(2).zip(exchanges) {
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
                    may.push((a, token.clone(), Spender::Protocol(lender.clone())));
                    if cancellable {
                        always_calls = false;
                    } else {
                        bound.accounts[a] = accounts.bit(pool);
                        spends.push((a, token.clone(), Spender::Protocol(lender.clone())));
                        if !mergeable {
                            bound.min_cost[a] = call(schedule.deposit.saturating_add(back));
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
                        bound.min_cost[a] = call(schedule.withdraw.saturating_add(back));
                        bound.accounts[a] = accounts.bit(pool);
                    }
                }
                (Act::Bridge { route, token, to }, _) => {
                    let gas = registry
                        .route(&chain, to, *route)
                        .map(|r| route_gas(r.gas))
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
                        call(gas)
                            .min(schedule.bridge_batch_extra(TokenContract::Weth9, false) + warm)
                    } else {
                        call(gas)
                    };
                    bound.accounts[a] = accounts.bit(format!("{chain} bridge {route}"));
                    let name = format!("{chain} {route} {to}");
                    let g = match groups.iter().position(|n| *n == name) {
                        Some(g) => g,
                        None => {
                            groups.push(name);
                            bound.group_call.push(call(gas));
                            groups.len() - 1
                        }
                    };
                    bound.group[a] = Some(g);
                    spends.push((a, token.clone(), Spender::Bridge(*route)));
                }
                _ => {}
            }
            if always_calls {
                bound.calls |= bit(a);
            }
        }
        // The native coin has no `approve`: nothing grants it.
        spends.retain(|(_, token, _)| !mesh_core::registry::is_native_coin(token));
        may.retain(|(_, token, _)| !mesh_core::registry::is_native_coin(token));
        bound.may_spend = vec![0; n];
        for (a, token, spender) in spends.iter().chain(may.iter()) {
            let chain = problem.chains[problem.action_chain[*a]].clone();
            let g = grants.index((chain, token.clone(), spender.clone()))?;
            bound.may_spend[*a] |= 1 << g;
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
        self.of(rest, granted, transactions(problem, rest & self.calls))
    }

    /// The least gas of one transaction sending exactly the actions of
    /// `set`, after the grants of `granted`.
    pub fn transaction(&self, set: Set, granted: u64) -> u64 {
        self.of(set, granted, u64::from(set & self.calls != 0))
    }

    /// Every grant the actions of `set` may spend.
    pub fn may_spend(&self, set: Set) -> u64 {
        members(set).fold(0, |m, a| m | self.may_spend[a])
    }

    /// The least a transaction's grants add to it, with the grants of
    /// `here` placed in it.
    pub fn grants_floor(&self, here: u64) -> u64 {
        self.grant_floor
            .saturating_mul(u64::from(here.count_ones()))
    }

    /// The least gas of a transaction of `shape` before its grants: its
    /// base and one cold access if it makes a call, each step's calls as
    /// the laws leave them (warm), and one oracle update per pair.
    pub fn shape_floor(&self, facts: &Facts, shape: &Shape) -> u64 {
        // A transaction whose laws left no call (only the checks kept where
        // deposits and withdrawals cancelled) is not sent.
        if shape
            .items
            .iter()
            .all(|item| matches!(item, Item::Healthy(_)))
        {
            return 0;
        }
        let flashed: Set = shape
            .flash
            .iter()
            .fold(0, |m, l| m | facts.loans[*l].actions);
        let mut gas = self.tx_base.saturating_add(self.cold_extra);
        let mut pairs = 0u64;
        let hops = |swaps: &[usize]| {
            swaps.iter().fold(0u64, |h, s| {
                h.saturating_add(match &facts.acts[*s] {
                    Act::Swap { path, .. } => path.len().saturating_sub(1) as u64,
                    _ => 0,
                })
            })
        };
        for item in &shape.items {
            pairs |= members(actions_of(item)).fold(0, |m, a| m | self.pairs[a]);
            let calls = match item {
                Item::Call(a) => match facts.acts[*a] {
                    Act::Borrow { .. } if flashed & bit(*a) != 0 => self.flash_call,
                    Act::Repay if flashed & bit(*a) != 0 => 0,
                    _ => self.as_is[*a],
                },
                Item::Swaps(v) => {
                    // The fusion's path runs from its first swap's first
                    // token to its last swap's last.
                    let path = |s: Option<&usize>| match s.map(|s| &facts.acts[*s]) {
                        Some(Act::Swap { path, .. }) => Some(path),
                        _ => None,
                    };
                    let back = match (path(v.first()), path(v.last())) {
                        (Some(p), Some(q)) => !p.is_empty() && p.first() == q.last(),
                        _ => false,
                    };
                    self.transfer_call
                        .saturating_add(self.pair_call.saturating_mul(hops(v)))
                        .saturating_sub(if back { self.pays_back } else { 0 })
                }
                Item::Deposits(v) | Item::Bridges(v) => v.first().map_or(0, |a| self.as_is[*a]),
                Item::Healthy(_) => 0,
                Item::Loans(v) => self
                    .flash_call
                    .saturating_add(self.multi_asset)
                    .saturating_add(
                        self.extra_asset
                            .saturating_mul(v.len().saturating_sub(1) as u64),
                    ),
                Item::Batch(transfers) => {
                    let route = transfers
                        .first()
                        .and_then(|t| t.first())
                        .map_or(0, |a| self.as_is[*a]);
                    let more = transfers.len().saturating_sub(1) as u64;
                    let message = if more > 0 { self.batch_message } else { 0 };
                    route
                        .saturating_add(self.entry.saturating_mul(more))
                        .saturating_add(message)
                }
            };
            gas = gas.saturating_add(calls);
        }
        gas.saturating_add(self.oracle.saturating_mul(u64::from(pairs.count_ones())))
    }

    /// The terms above for the actions of `rest` in `txs` transactions.
    fn of(&self, rest: Set, granted: u64, txs: u64) -> u64 {
        let mut gas = 0u64;
        let mut reached = 0u64;
        let mut pairs = 0u64;
        // Per group of bridges: the most any one of them is charged.
        let mut most: Vec<Option<u64>> = vec![None; self.group_call.len()];
        for a in members(rest) {
            gas = gas.saturating_add(self.min_cost[a]);
            reached |= self.accounts[a];
            pairs |= self.pairs[a];
            if let Some(g) = self.group[a] {
                most[g] = Some(most[g].unwrap_or(0).max(self.min_cost[a]));
            }
        }
        for (g, m) in most.iter().enumerate() {
            if let Some(m) = m {
                gas = gas.saturating_add(self.group_call[g].saturating_sub(*m));
            }
        }
        for (g, spenders) in self.spenders.iter().enumerate() {
            if granted & (1 << g) == 0 && spenders & rest != 0 {
                gas = gas.saturating_add(self.grant_cost);
                reached |= self.grant_accounts[g];
            }
        }
        gas = gas.saturating_add(self.oracle.saturating_mul(u64::from(pairs.count_ones())));
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

/// The reserves (tokens) a lender call of action `a` acts on: a loan's,
/// a repay's, a deposit's, a withdrawal's token; `Some` of nothing for an
/// action that calls no lender, `None` for one whose reserve the bound
/// does not tell (an assumption reads a position).
fn reserves_acted(problem: &Problem, a: usize) -> Option<Vec<&str>> {
    let token = |w: &Wire| problem.token(*w);
    match problem.op(a) {
        Op::Borrow { funds, .. }
        | Op::Repay { funds, .. }
        | Op::Deposit { funds, .. }
        | Op::RepayDebt { funds, .. } => Some(vec![token(funds)]),
        Op::Withdraw { out, .. } | Op::BorrowDebt { out, .. } => Some(vec![token(out)]),
        Op::FlashLoan { funds, .. } => Some(funds.iter().map(token).collect()),
        op if op.lender().is_some() => None,
        _ => Some(Vec::new()),
    }
}
