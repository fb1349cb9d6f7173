//! Finish: the end of the bundle. No transaction, parallel group or loan
//! may be left open and every constraint must hold; then the holdings go
//! back to the wallet and the bundle commits, or everything is undone.
//! Either way, the report.

use std::collections::BTreeMap;

use super::slots::Slots;
use super::{CallResult, Session, State};
use crate::amount::display_count;
use crate::journal::LenderBalance;
use crate::maths::constant_product;
use crate::registry::{ChainId, ProtocolId, TokenId};
use crate::report::{
    Amount, BalanceChange, Call, Change, PositionChange, Report, Status, WorldWrite,
};
use mesh_core::constraint::{deadline_seconds_missed, Constraint, Constraints, Invariant};
use mesh_core::loc::Loc;
use mesh_core::revert::{reason, Revert};

impl Session {
    /// The keys of `slots` in the order of their (chain, token) names.
    pub(super) fn by_names<V>(
        &self,
        slots: &Slots<(ChainId, TokenId), V>,
    ) -> Vec<(ChainId, TokenId)> {
        let mut keys: Vec<(ChainId, TokenId)> = slots.iter().map(|(k, _)| *k).collect();
        keys.sort_by(|a, b| {
            (self.chain_name(a.0), self.token_name(a.1))
                .cmp(&(self.chain_name(b.0), self.token_name(b.1)))
        });
        keys
    }

    /// Ends the bundle: checks that no obligation is open and every
    /// constraint holds, then commits (holdings go back to the wallet) or
    /// reverts everything. Returns the report; `world()` is then the world
    /// as committed, or as it was before.
    pub fn finish(&mut self, constraints: &Constraints) -> Report {
        let running = matches!(self.state, State::Running);
        if running && self.failure.is_none() {
            if let Err(r) = self.check_end(constraints) {
                let _: CallResult<()> = self.fail_at(r.reason, r.loc);
            }
        }
        if running && self.failure.is_none() {
            if let Err(r) = self.commit_holdings() {
                let _: CallResult<()> = self.fail_at(r.reason, r.loc);
            }
        }
        if running && self.failure.is_none() {
            if let Err(r) = self.check_profit(constraints) {
                let _: CallResult<()> = self.fail_at(r.reason, r.loc);
            }
        }
        self.state = State::Finished;
        let mut revert = self.failure.clone();
        // A transaction left open by a failure still counts what it metered.
        if let Some(tx) = self.tx.take() {
            self.close(tx);
        }
        let mut result = BTreeMap::new();
        if let Some(r) = &mut revert {
            if self.journal.undo(&mut self.world).is_err() {
                r.reason.push_str(
                    "; internal error: a change could not be undone, so the world in memory is not as it was",
                );
            }
        } else {
            for (chain, token) in self.by_names(&self.holdings) {
                let amount = self.holding_of(chain, token);
                if amount == 0 {
                    continue;
                }
                result
                    .entry(self.chain_name(chain).to_string())
                    .or_insert_with(BTreeMap::new)
                    .insert(
                        self.token_name(token).to_string(),
                        self.amount(amount, token),
                    );
            }
        }
        self.holdings.clear();
        // A bundle is all or nothing: a reverted one sends no transaction
        // and changes no balance or position.
        let reverted = revert.is_some();
        let (wallet, lenders, health) = if reverted {
            self.transactions.clear();
            self.clock = 0;
            self.elapsed_ms = Some(0);
            self.closed_gas = 0;
            self.closed_charge = 0;
            (Vec::new(), Vec::new(), Vec::new())
        } else {
            (
                self.wallet_changes(),
                self.position_changes(),
                self.health_changes(),
            )
        };
        let quote = self.quote_for(constraints);
        let mut report = Report {
            bundle: self.bundle.clone(),
            status: if reverted {
                Status::Reverted
            } else {
                Status::Committed
            },
            revert,
            transactions: std::mem::take(&mut self.transactions),
            blocks: self.clock,
            time_ms: self.elapsed_ms,
            result,
            wallet,
            lenders,
            health,
            world_write: WorldWrite::InMemory,
            gas_costs: Vec::new(),
            net: None,
        };
        report.price_in(&self.world, quote.as_deref());
        report
    }

    /// The wallet balances the bundle changed, in the order of their
    /// (chain, token) names: a balance it drew from and paid back in full
    /// is unchanged and not listed.
    pub(super) fn wallet_changes(&self) -> Vec<BalanceChange> {
        let mut changes = Vec::new();
        for (chain, token) in self.by_names(&self.wallets_before) {
            let before = self
                .wallets_before
                .get((chain, token))
                .copied()
                .unwrap_or(0);
            let after = self
                .world
                .wallet_balance(self.chain_name(chain), self.token_name(token));
            if before != after {
                changes.push(BalanceChange {
                    chain: self.chain_name(chain).to_string(),
                    token: self.token_name(token).to_string(),
                    balance: Change {
                        before: self.amount(before, token),
                        after: self.amount(after, token),
                    },
                });
            }
        }
        changes
    }

    /// The user's positions at lenders that the bundle changed, in the
    /// order of their (chain, lender, token) names. The collateral is the
    /// user's deposit; the debt, what the user owes: the world's debt, which
    /// a loan left open as debt adds to and a repay of debt takes from
    /// (every other loan is repaid before the bundle commits).
    pub(super) fn position_changes(&self) -> Vec<PositionChange> {
        let mut keys: Vec<(ChainId, ProtocolId, TokenId)> =
            self.deposits_before.iter().map(|(k, _)| *k).collect();
        for (k, _) in self.debts_before.iter() {
            if !keys.contains(k) {
                keys.push(*k);
            }
        }
        keys.sort_by(|a, b| {
            (
                self.chain_name(a.0),
                self.protocol_name(a.1),
                self.token_name(a.2),
            )
                .cmp(&(
                    self.chain_name(b.0),
                    self.protocol_name(b.1),
                    self.token_name(b.2),
                ))
        });
        let mut changes = Vec::new();
        for key in keys {
            let (chain, lender, token) = key;
            let after = self.lender_balance(chain, lender, LenderBalance::Deposit, token);
            let before = self.deposits_before.get(key).copied().unwrap_or(after);
            let owed = self.debt_of(chain, lender, token);
            let owed_before = self.debts_before.get(key).copied().unwrap_or(owed);
            if before == after && owed_before == owed {
                continue;
            }
            changes.push(PositionChange {
                chain: self.chain_name(chain).to_string(),
                lender: self.protocol_name(lender).to_string(),
                token: self.token_name(token).to_string(),
                collateral: Change {
                    before: self.amount(before, token),
                    after: self.amount(after, token),
                },
                debt: Change {
                    before: self.amount(owed_before, token),
                    after: self.amount(owed, token),
                },
            });
        }
        changes
    }

    /// Returns every holding to the wallet, keeping the changes in the
    /// journal so that `rewind` can undo a commit too. A wallet that cannot
    /// hold what comes back reverts the bundle at no line of the source:
    /// the holdings return at the end, not at a statement (and so every
    /// host reports it alike, whatever location its last call set).
    pub(super) fn commit_holdings(&mut self) -> CallResult<()> {
        for i in 0..self.holdings.items.len() {
            let ((chain, token), amount) = self.holdings.items[i];
            if amount == 0 {
                continue;
            }
            let balance = self
                .world
                .wallet_balance(self.chain_name(chain), self.token_name(token));
            let Some(new_balance) = balance.checked_add(amount) else {
                return Err(Revert {
                    reason: reason::OVERFLOW.into(),
                    loc: Loc::UNKNOWN,
                });
            };
            self.wallets_before.entry((chain, token), || balance);
            self.journal
                .set_wallet(&mut self.world, chain, token, new_balance)
                .map_err(|e| self.not_in_world(e))?;
        }
        Ok(())
    }

    pub(super) fn check_end(&mut self, constraints: &Constraints) -> CallResult<()> {
        if let Some(tx) = &self.tx {
            return Err(self.revert_value(format!(
                "the transaction on {} was never ended",
                self.chain_name(tx.chain)
            )));
        }
        if !self.parallel.is_empty() {
            return Err(self.revert_value("a parallel group was never ended"));
        }
        if let Some((chain, protocol, token, o)) = self.first_obligation(|_| true) {
            // Only an ordinary loan can be open here (a flash loan is
            // repaid in its transaction), and it owes no premium.
            return Err(Revert {
                reason: format!(
                    "the loan of {} from {} on {} is not repaid",
                    self.fmt(o.principal, token),
                    self.protocol_name(protocol),
                    self.chain_name(chain),
                ),
                loc: o.loc,
            });
        }
        for (constraint, loc) in &constraints.items {
            let fail = |reason: String| Err(Revert { reason, loc: *loc });
            match constraint {
                Constraint::Deadline(limit) => {
                    if self.clock > *limit {
                        return fail(format!(
                            "deadline: the bundle takes {} blocks; the deadline is {}",
                            display_count(self.clock),
                            display_count(*limit)
                        ));
                    }
                }
                Constraint::DeadlineSeconds(limit) => {
                    let untimed = self.untimed.map(|c| self.chain_name(c));
                    if let Some(reason) = deadline_seconds_missed(self.elapsed_ms, *limit, untimed)
                    {
                        return fail(reason);
                    }
                }
                Constraint::MaxGas(limit) => {
                    let total = self.gas_total();
                    if total > *limit {
                        return fail(format!(
                            "max_gas: the bundle uses {} gas; the limit is {}",
                            display_count(total),
                            display_count(*limit)
                        ));
                    }
                }
                Constraint::MinBalance {
                    chain,
                    token,
                    amount,
                } => {
                    let registry = &self.world.registry;
                    let ids = registry.chain_id(chain).zip(registry.token_id(token));
                    let held = ids.map_or(0, |(c, t)| self.holding_of(c, t));
                    let decimals = registry.token(token).map_or(0, |t| t.decimals);
                    if held < *amount {
                        let show = |base| Amount { base, decimals };
                        return fail(format!(
                            "min_balance: the bundle ends with {} {token} on {chain}; at least {} {token} is required",
                            show(held),
                            show(*amount)
                        ));
                    }
                }
                Constraint::MinSecurity(required) => {
                    let floor = required.trust_level();
                    let registry = &self.world.registry;
                    let below = self
                        .transactions
                        .iter()
                        .flat_map(|tx| tx.calls.iter().map(move |call| (tx, call)))
                        .filter_map(|(tx, call)| {
                            let Call::Bridge { to, kind, .. } = &call.what else {
                                return None;
                            };
                            let security = registry.route(&tx.chain, to, *kind)?.security;
                            (security < floor).then_some((call.loc, *kind, security))
                        })
                        .min_by_key(|(loc, ..)| (*loc == Loc::UNKNOWN, *loc));
                    if let Some((at, kind, security)) = below {
                        return Err(Revert {
                            reason: format!(
                                "min_security: this bridge takes the {kind} route (security {security}); the bundle demands security {floor} ({required}) or more"
                            ),
                            loc: at,
                        });
                    }
                }
                // Judged once the holdings are back in the wallet.
                Constraint::MinProfit { .. } => {}
                Constraint::MinHealth(wad) => self.check_min_health(*wad, *loc)?,
                Constraint::Invariant(Invariant::ConstantProduct) => {
                    let mut decreased: Vec<(&str, &str, &str, &str)> = Vec::new();
                    for ((chain, exchange, (t0, t1)), before) in self.k_before.iter() {
                        let texts = (
                            self.chain_name(*chain),
                            self.protocol_name(*exchange),
                            self.token_name(*t0),
                            self.token_name(*t1),
                        );
                        let pair = self
                            .world
                            .exchange(texts.0, texts.1)
                            .and_then(|e| e.pair(texts.2, texts.3))
                            .copied();
                        let Some(pair) = pair else { continue };
                        if constant_product(pair.reserve0, pair.reserve1) < *before {
                            decreased.push(texts);
                        }
                    }
                    // The first in the order of names, as the report shows pairs.
                    if let Some((chain, exchange, t0, t1)) = decreased.into_iter().min() {
                        return fail(format!(
                            "invariant constant_product: k of the {t0}/{t1} pair of {exchange} on {chain} decreased"
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
