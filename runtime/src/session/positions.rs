//! Positions: the user's collateral (deposits) and debt at a lender on a
//! chain, valued with the world's oracle as Aave V3 values them
//! (`mesh_core::health`). A loan left open as debt (`borrow … as debt`),
//! its repayment, the assumptions a bundle states about positions that
//! exist before it (`assume debt`, `assume collateral`), the health checks
//! of a borrow and a withdrawal, and `min_health` at the end.
//!
//! What counts as the position's debt: the user's debt in the world, and
//! every ordinary loan the bundle keeps open, from any lender. An ordinary
//! loan outlives the call that takes it, so the lender makes it debt and
//! lends it only against the position's collateral, as Aave V3 does with a
//! `borrow`: every loan at `-O0` (each is a transaction of its own, sent
//! from the wallet), and at `-O` a loan the optimised bundle repays in a
//! later transaction. A flash loan — borrowed and repaid inside one call —
//! is not counted and needs no collateral.

use super::{CallResult, Named, Session};
use crate::gas::Operation;
use crate::journal::LenderBalance;
use crate::registry::{ChainId, ProtocolId, ProtocolKind, TokenId};
use crate::report::{Call, HealthChange};
use mesh_core::account::LoanKind;
use mesh_core::health::{self, AccountData, Balance, BorrowRefusal, Collateral, HealthFactor, WAD};
use mesh_core::loc::Loc;
use mesh_core::revert::{reason, Revert};

/// A percentage in basis points as people read it: `80.00%`.
fn percent(bps: u128) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

impl Session {
    /// Whether a loan of `kind` counts in the debt of the user's position
    /// at its lender: every ordinary loan does, whatever the lender — it is
    /// a borrow like any other, lent against the position's collateral
    /// (Aave V3 makes it debt and checks it) — and a flash loan never does
    /// (it is borrowed and repaid inside one call, and needs none). A loan
    /// left open as debt is the position's debt itself.
    pub(super) fn counts_in_position(kind: LoanKind) -> bool {
        kind == LoanKind::Ordinary
    }

    /// The oracle's price of `token`, or a revert naming what lacks one.
    fn price_of(&self, token: TokenId, what: &str) -> CallResult<u128> {
        self.world.price(self.token_name(token)).ok_or_else(|| {
            self.revert_value(format!(
                "{what}: {} has no price in the world's oracle, so a debt in it cannot be valued",
                self.token_name(token)
            ))
        })
    }

    /// The user's position at `protocol` on `chain` as it is now, with
    /// `extra` more debt of a token (a borrow being judged).
    fn position_with(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        extra: Option<(TokenId, u128)>,
    ) -> CallResult<AccountData> {
        let registry = &self.world.registry;
        let lender = self
            .world
            .lender(self.chain_name(chain), self.protocol_name(protocol));
        let mut collateral = Vec::new();
        let mut debts = Vec::new();
        if let Some(lender) = lender {
            for (token, &amount) in &lender.deposits {
                let Some(price) = self.world.price(token) else {
                    continue;
                };
                let decimals = registry.token(token).map_or(0, |t| t.decimals);
                collateral.push(Collateral {
                    balance: Balance {
                        amount,
                        decimals,
                        price,
                    },
                    risk: lender.risk.get(token).copied(),
                });
            }
        }
        let mut owed: Vec<(TokenId, u128)> = Vec::new();
        if let Some(lender) = lender {
            for (token, &amount) in &lender.debts {
                if amount == 0 {
                    continue;
                }
                if let Some(id) = registry.token_id(token) {
                    owed.push((id, amount));
                }
            }
        }
        for ((c, p, t), o) in self.obligations.iter() {
            if *c == chain && *p == protocol && o.principal > 0 && Self::counts_in_position(o.kind)
            {
                owed.push((*t, o.principal));
            }
        }
        owed.extend(extra.filter(|(_, amount)| *amount > 0));
        for (token, amount) in owed {
            debts.push(Balance {
                amount,
                decimals: self.decimals(token),
                price: self.price_of(token, "valuing the position")?,
            });
        }
        health::account_data(&collateral, &debts).map_err(|e| {
            self.revert_value(format!(
                "the position at {} on {} cannot be valued: {e}",
                self.protocol_name(protocol),
                self.chain_name(chain)
            ))
        })
    }

    /// The user's position at `protocol` on `chain`, now.
    pub(super) fn position(&self, chain: ChainId, protocol: ProtocolId) -> CallResult<AccountData> {
        self.position_with(chain, protocol, None)
    }

    /// Keeps the position's health factor as it was before the bundle
    /// first changes it (for the report).
    pub(super) fn note_position(&mut self, chain: ChainId, protocol: ProtocolId) -> CallResult<()> {
        if self.health_before.get((chain, protocol)).is_some() {
            return Ok(());
        }
        let before = self.position(chain, protocol)?.health_factor;
        self.health_before.entry((chain, protocol), || before);
        Ok(())
    }

    /// The user's debt of `token` at the lender.
    pub(super) fn debt_of(&self, chain: ChainId, protocol: ProtocolId, token: TokenId) -> u128 {
        self.lender_balance(chain, protocol, LenderBalance::Debt, token)
    }

    /// Sets the user's debt of a token at the lender from `old` to `value`,
    /// journaled; the first change keeps `old` for the report.
    fn set_debt(
        &mut self,
        at: (ChainId, ProtocolId, TokenId),
        old: u128,
        value: u128,
    ) -> CallResult<()> {
        self.debts_before.entry(at, || old);
        self.set_lender_balance(at, LenderBalance::Debt, value)
    }

    /// Aave V3's `validateBorrow` for a borrow of `amount` of `token` on
    /// the position as it is, and then a health factor of at least 1 after
    /// it: a borrow never leaves a position that could be liquidated. A
    /// borrow of nothing is a no-op and is not judged.
    pub(super) fn check_borrow(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        amount: u128,
    ) -> CallResult<()> {
        if amount == 0 {
            return Ok(());
        }
        let what = format!(
            "the borrow of {} from {} on {}",
            self.fmt(amount, token),
            self.protocol_name(protocol),
            self.chain_name(chain)
        );
        let price = self.price_of(token, &what)?;
        let before = self.position(chain, protocol)?;
        let value = health::value_in_base(Balance {
            amount,
            decimals: self.decimals(token),
            price,
        })
        .map_err(|e| self.revert_value(format!("{what}: {e}")))?;
        let verdict = health::validate_borrow(&before, value)
            .map_err(|e| self.revert_value(format!("{what}: {e}")))?;
        let why = match verdict {
            Ok(()) => None,
            Err(BorrowRefusal::NoCollateral) => Some(
                "the position there has no collateral (Aave V3: COLLATERAL_BALANCE_IS_ZERO); deposit some first".to_string(),
            ),
            Err(BorrowRefusal::ZeroLtv) => Some(
                "the collateral there has a loan-to-value of 0% (Aave V3: LTV_VALIDATION_FAILED)"
                    .to_string(),
            ),
            Err(BorrowRefusal::Unhealthy(hf)) => Some(format!(
                "the position's health factor is {hf}, not above 1 (Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)"
            )),
            Err(BorrowRefusal::CannotCover { needed, collateral }) => Some(format!(
                "the debt would be {}, which needs {} of collateral at the position's loan-to-value of {}; the collateral is {} (Aave V3: COLLATERAL_CANNOT_COVER_NEW_BORROW)",
                health::usd_text(before.debt.checked_add(value).unwrap_or(before.debt)),
                health::usd_text(needed),
                percent(before.ltv_bps.to_u128().unwrap_or(0)),
                health::usd_text(collateral),
            )),
        };
        if let Some(why) = why {
            return Err(self.revert_value(format!("{what} is refused: {why}")));
        }
        let after = self.position_with(chain, protocol, Some((token, amount)))?;
        if !after.health_factor.at_least(WAD) {
            return Err(self.revert_value(format!(
                "{what} would leave a health factor of {} (collateral {} at a liquidation threshold of {}, debt {}): below 1, the position could be liquidated",
                after.health_factor,
                health::usd_text(after.collateral),
                percent(after.liquidation_threshold_bps.to_u128().unwrap_or(0)),
                health::usd_text(after.debt)
            )));
        }
        Ok(())
    }

    /// Reverts unless the position owes nothing or has a health factor of
    /// at least 1 (Aave V3's `validateHealthFactor`, which a withdrawal
    /// passes). `what` says what is judged.
    pub(super) fn check_healthy(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        what: &str,
    ) -> CallResult<()> {
        let data = self.position(chain, protocol)?;
        if data.health_factor.at_least(WAD) {
            return Ok(());
        }
        Err(self.revert_value(format!(
            "{what} leaves the position at {} on {} with a health factor of {} (collateral {} at a liquidation threshold of {}, debt {}): below 1 (Aave V3: HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD)",
            self.protocol_name(protocol),
            self.chain_name(chain),
            data.health_factor,
            health::usd_text(data.collateral),
            percent(data.liquidation_threshold_bps.to_u128().unwrap_or(0)),
            health::usd_text(data.debt)
        )))
    }

    /// `borrow A from P as debt`: the user's debt at the lender grows by
    /// `amount` (no premium: it is an ordinary borrow that outlives the
    /// bundle, whose interest the model does not accrue), after Aave V3's
    /// checks of the position. Charged `borrow`. Returns `amount`.
    pub(super) fn borrow_debt(
        &mut self,
        chain: ChainId,
        sender: crate::gas::Sender,
        protocol: ProtocolId,
        token: TokenId,
        amount: u128,
    ) -> CallResult<u128> {
        let liquidity = self.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
        if liquidity < amount {
            return Err(self.revert_value(format!(
                "insufficient liquidity: {} on {} can lend {}, the borrow needs {}",
                self.protocol_name(protocol),
                self.chain_name(chain),
                self.fmt(liquidity, token),
                self.fmt(amount, token)
            )));
        }
        self.check_borrow(chain, protocol, token, amount)?;
        let debt = self.debt_of(chain, protocol, token);
        let Some(new_debt) = debt.checked_add(amount) else {
            return Err(self.revert_value(reason::OVERFLOW));
        };
        // A loan of nothing is no call: nothing is charged.
        let gas = if amount > 0 {
            self.note_position(chain, protocol)?;
            let charged = self.reserve_write(protocol, token);
            let gas = self.meter_pool_call(chain, sender, protocol, token, |token| {
                Operation::Borrow { token }
            })?;
            self.receive(chain, token, amount, charged)?;
            gas
        } else {
            0
        };
        self.set_debt((chain, protocol, token), debt, new_debt)?;
        self.set_liquidity((chain, protocol, token), liquidity - amount)?;
        self.record(
            Call::BorrowDebt {
                protocol: self.protocol_name(protocol).to_string(),
                token: self.token_name(token).to_string(),
                amount: self.amount(amount, token),
            },
            gas,
        );
        Ok(amount)
    }

    /// `repay A to P` of the user's debt (where the bundle holds no loan of
    /// that token from `P`): pays exactly `amount` from the holdings, no
    /// premium; repaying more than the user owes reverts. Charged `repay`.
    pub fn repay_debt(
        &mut self,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, sender, protocol, token) = s.lender_action("a repay", protocol, token)?;
            let debt = s.debt_of(chain, protocol, token);
            if amount > debt {
                return Err(s.revert_value(format!(
                    "repays {} of debt to {} on {}, but the user owes {}",
                    s.fmt(amount, token),
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(debt, token)
                )));
            }
            let gas =
                s.pay_into_pool((chain, sender, protocol, token), amount, "repay", |token| {
                    Operation::Repay { token }
                })?;
            let liquidity = s.lender_balance(chain, protocol, LenderBalance::Liquidity, token);
            let new_liquidity = liquidity
                .checked_add(amount)
                .ok_or_else(|| s.revert_value(reason::OVERFLOW))?;
            s.set_debt((chain, protocol, token), debt, debt - amount)?;
            s.set_liquidity((chain, protocol, token), new_liquidity)?;
            s.record(
                Call::RepayDebt {
                    protocol: s.protocol_name(protocol).to_string(),
                    token: s.token_name(token).to_string(),
                    amount: s.amount(amount, token),
                },
                gas,
            );
            Ok(())
        })
    }

    /// The chain and lender an assumption is about: checked like an
    /// action's, without needing a transaction (an assumption is a check,
    /// not a call).
    fn assumed_lender(
        &self,
        chain: impl Named<ChainId>,
        protocol: impl Named<ProtocolId>,
    ) -> CallResult<(ChainId, ProtocolId)> {
        let chain = self.chain_id(chain)?;
        let protocol = self.protocol_on(chain, protocol, ProtocolKind::Lender)?;
        Ok((chain, protocol))
    }

    /// `assume debt A at P`: reverts unless the user owes at least `amount`
    /// of `token` to `protocol` on `chain` when the statement runs. Costs
    /// nothing: a check, as `require` is.
    pub fn assume_debt(
        &mut self,
        chain: impl Named<ChainId>,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, protocol) = s.assumed_lender(chain, protocol)?;
            let token = s.token_on(chain, token)?;
            let debt = s.debt_of(chain, protocol, token);
            if debt < amount {
                return Err(s.revert_value(format!(
                    "assume failed: the bundle assumes a debt of at least {} to {} on {}; the user owes {}",
                    s.fmt(amount, token),
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(debt, token)
                )));
            }
            Ok(())
        })
    }

    /// `assume collateral A at P`: reverts unless the user has at least
    /// `amount` of `token` deposited at `protocol` on `chain` when the
    /// statement runs. Costs nothing.
    pub fn assume_collateral(
        &mut self,
        chain: impl Named<ChainId>,
        protocol: impl Named<ProtocolId>,
        token: impl Named<TokenId>,
        amount: u128,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, protocol) = s.assumed_lender(chain, protocol)?;
            let token = s.token_on(chain, token)?;
            let deposit = s.lender_balance(chain, protocol, LenderBalance::Deposit, token);
            if deposit < amount {
                return Err(s.revert_value(format!(
                    "assume failed: the bundle assumes collateral of at least {} at {} on {}; the user has {} deposited",
                    s.fmt(amount, token),
                    s.protocol_name(protocol),
                    s.chain_name(chain),
                    s.fmt(deposit, token)
                )));
            }
            Ok(())
        })
    }

    /// Reverts unless the user's position at `protocol` on `chain` owes
    /// nothing or has a health factor of at least 1: the check a
    /// withdrawal makes, standing where the optimiser cancelled a deposit
    /// and the withdrawal of its amount. Costs nothing.
    pub fn assume_healthy(
        &mut self,
        chain: impl Named<ChainId>,
        protocol: impl Named<ProtocolId>,
    ) -> CallResult<()> {
        self.step(|s| {
            let (chain, protocol) = s.assumed_lender(chain, protocol)?;
            s.check_healthy(chain, protocol, "the withdrawal")
        })
    }

    /// The positions whose collateral or debt the bundle changed, in the
    /// order of their (chain, lender) names.
    fn changed_positions(&self) -> Vec<(ChainId, ProtocolId)> {
        let mut keys: Vec<(ChainId, ProtocolId)> = Vec::new();
        let deposits = self.deposits_before.iter().map(|(k, before)| {
            (
                *k,
                *before != self.lender_balance(k.0, k.1, LenderBalance::Deposit, k.2),
            )
        });
        let debts = self
            .debts_before
            .iter()
            .map(|(k, before)| (*k, *before != self.debt_of(k.0, k.1, k.2)));
        for ((chain, protocol, _), changed) in deposits.chain(debts) {
            if changed && !keys.contains(&(chain, protocol)) {
                keys.push((chain, protocol));
            }
        }
        keys.sort_by(|a, b| {
            (self.chain_name(a.0), self.protocol_name(a.1))
                .cmp(&(self.chain_name(b.0), self.protocol_name(b.1)))
        });
        keys
    }

    /// `min_health`: every changed position ends at least `wad` healthy.
    pub(super) fn check_min_health(&self, wad: u128, loc: Loc) -> CallResult<()> {
        for (chain, protocol) in self.changed_positions() {
            let hf = self
                .position(chain, protocol)
                .map_err(|r| Revert {
                    reason: r.reason,
                    loc,
                })?
                .health_factor;
            if !hf.at_least(wad) {
                return Err(Revert {
                    reason: format!(
                        "min_health: the position at {} on {} ends with a health factor of {hf}; at least {} is required",
                        self.protocol_name(protocol),
                        self.chain_name(chain),
                        health::factor_text(wad)
                    ),
                    loc,
                });
            }
        }
        Ok(())
    }

    /// The health factor of every changed position, before and after; a
    /// position that owed nothing before and owes nothing after is left out.
    pub(super) fn health_changes(&self) -> Vec<HealthChange> {
        self.changed_positions()
            .into_iter()
            .filter_map(|(chain, protocol)| {
                let after = self.position(chain, protocol).ok()?.health_factor;
                let before = self
                    .health_before
                    .get((chain, protocol))
                    .copied()
                    .unwrap_or(after);
                if before == HealthFactor::NoDebt && after == HealthFactor::NoDebt {
                    return None;
                }
                Some(HealthChange {
                    chain: self.chain_name(chain).to_string(),
                    lender: self.protocol_name(protocol).to_string(),
                    before,
                    after,
                })
            })
            .collect()
    }
}
