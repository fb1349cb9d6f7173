//! The end of a bundle on the EVM, judged as the model judges it: every
//! ordinary loan repaid, then each constraint in the order written, on the
//! state the EVM leaves.

use std::collections::BTreeMap;

use mesh_core::constraint::{Constraint, Constraints, Invariant};
use mesh_core::revert::Revert;
use mesh_core::Loc;
use revm::primitives::U256;

use super::{overflow, EvmEngine};
use crate::error::EvmError;
use crate::plan::Plan;

impl EvmEngine {
    /// The end of the bundle, as the model judges it: every ordinary loan
    /// repaid, then each constraint in the order written.
    pub(super) fn judge(
        &mut self,
        plan: &Plan,
        constraints: &Constraints,
        gas: &[Option<u64>],
        holdings: &BTreeMap<(String, String), u128>,
        wallet: &[(String, String, u128, u128)],
        debts_before: &[U256],
    ) -> Result<Option<Revert>, EvmError> {
        for (loan, before) in plan.loans.iter().zip(debts_before) {
            let after = self.debt(&loan.chain, &loan.protocol, &loan.token)?;
            // What the bundle left open as debt there, or repaid of the
            // user's debt, moves the debt on purpose.
            let key = (
                loan.chain.clone(),
                loan.protocol.clone(),
                loan.token.clone(),
            );
            let (borrowed, repaid) = plan.debt_moves.get(&key).copied().unwrap_or((0, 0));
            // A bound, not a balance: a repayment of more debt than is
            // owed reverts on the EVM before the bundle gets here.
            let allowed = before
                .checked_add(U256::from(borrowed))
                .ok_or_else(|| overflow(&loan.chain))?
                .saturating_sub(U256::from(repaid));
            if after > allowed {
                return Ok(Some(Revert {
                    reason: format!(
                        "the loan of {} base units of {} from {} on {} is not repaid (the EVM's debt is {after})",
                        loan.principal, loan.token, loan.protocol, loan.chain
                    ),
                    loc: loan.loc,
                }));
            }
        }
        for (constraint, loc) in &constraints.items {
            let fail = |reason: String| Ok(Some(Revert { reason, loc: *loc }));
            match constraint {
                Constraint::Deadline(limit) => {
                    if plan.blocks > *limit {
                        return fail(format!(
                            "deadline: the bundle takes {} blocks; the deadline is {limit}",
                            plan.blocks
                        ));
                    }
                }
                Constraint::DeadlineSeconds(limit) => {
                    let untimed = plan
                        .transactions
                        .iter()
                        .map(|t| t.chain.as_str())
                        .find(|c| self.template.registry.block_time_ms(c).is_none());
                    if let Some(reason) = mesh_core::constraint::deadline_seconds_missed(
                        plan.time_ms,
                        *limit,
                        untimed,
                    ) {
                        return fail(reason);
                    }
                }
                Constraint::MaxGas(limit) => {
                    let total = gas.iter().flatten().fold(0u64, |s, g| s.saturating_add(*g));
                    if total > *limit {
                        return fail(format!(
                            "max_gas: the bundle uses {total} gas on the EVM; the limit is {limit}"
                        ));
                    }
                }
                Constraint::MinBalance {
                    chain,
                    token,
                    amount,
                } => {
                    let held = holdings
                        .get(&(chain.clone(), token.clone()))
                        .copied()
                        .unwrap_or(0);
                    if held < *amount {
                        return fail(format!(
                            "min_balance: the bundle ends with {held} base units of {token} on {chain}; at least {amount} are required"
                        ));
                    }
                }
                Constraint::MinSecurity(required) => {
                    let floor = required.trust_level();
                    let below = plan
                        .transactions
                        .iter()
                        .flat_map(|t| t.transfers.iter().map(move |x| (t, x)))
                        .filter_map(|(t, x)| {
                            let security = self
                                .template
                                .registry
                                .route(&t.chain, &x.to_chain, x.kind)?
                                .security;
                            (security < floor).then_some((x.loc, x.kind, security))
                        })
                        .min_by_key(|(l, ..)| (*l == Loc::UNKNOWN, *l));
                    if let Some((at, kind, security)) = below {
                        return Ok(Some(Revert {
                            reason: format!(
                                "min_security: this bridge takes the {kind} route (security {security}); the bundle demands security {floor} ({required}) or more"
                            ),
                            loc: at,
                        }));
                    }
                }
                Constraint::MinProfit { token, amount } => {
                    let figures = self.net_in(plan, gas, wallet, token)?;
                    let figures = match figures {
                        Ok(f) => f,
                        Err(why) => {
                            return fail(format!(
                            "min_profit: {why}, so the bundle's profit in {token} cannot be told"
                        ))
                        }
                    };
                    if figures.net.base < i128::try_from(*amount).unwrap_or(i128::MAX) {
                        return fail(format!(
                            "min_profit: the bundle makes {} base units of {token} net of gas on the EVM; at least {amount} are required",
                            figures.net.base
                        ));
                    }
                }
                Constraint::MinHealth(wad) => {
                    if let Some(reason) = self.below_min_health(*wad)? {
                        return fail(reason);
                    }
                }
                Constraint::Invariant(Invariant::ConstantProduct) => {
                    let now = self.pair_products()?;
                    let decreased = now
                        .iter()
                        .find(|(key, k)| self.products.get(*key).is_some_and(|before| *k < before));
                    if let Some(((chain, exchange, t0, t1), _)) = decreased {
                        return fail(format!(
                            "invariant constant_product: k of the {t0}/{t1} pair of {exchange} on {chain} decreased"
                        ));
                    }
                }
            }
        }
        Ok(None)
    }
}
