//! A user's position at a lender, valued as Aave V3 values it: the
//! collateral and the debt in the oracle's base currency, the average
//! loan-to-value and liquidation threshold, the health factor, and the
//! checks a borrow and a withdrawal must pass — with Aave's own rounding.
//!
//! Source: Aave V3, `@aave/core-v3` 1.19.3 (the version of the contracts
//! this repository deploys, docs/evm.md):
//!
//! - `GenericLogic.calculateUserAccountData` and its helpers
//!   `_getUserBalanceInBaseCurrency` and `_getUserDebtInBaseCurrency`: each
//!   balance is `amount · price / 10^decimals`, rounded down; a deposit
//!   counts as collateral only if its liquidation threshold is not zero;
//!   the averages are `Σ value · ltv / Σ value` and `Σ value · threshold /
//!   Σ value`, rounded down; the health factor is
//!   `percentMul(total collateral, average threshold)` `wadDiv` the total
//!   debt, or "no debt" (Aave's `type(uint256).max`) when there is none;
//! - `PercentageMath.percentMul` `(v · p + 5,000) / 10,000` and `percentDiv`
//!   `(v · 10,000 + p / 2) / p`, and `WadRayMath.wadDiv`
//!   `(a · 10¹⁸ + b / 2) / b`: each rounds half up;
//! - `ValidationLogic.validateBorrow`: the collateral is not zero, the
//!   average loan-to-value is not zero, the health factor before the
//!   borrow is above 1, and `percentDiv(debt + amount, average ltv)` is at
//!   most the collateral (`COLLATERAL_CANNOT_COVER_NEW_BORROW`);
//! - `ValidationLogic.validateHealthFactor`: after a withdrawal the health
//!   factor is at least 1.
//!
//! The model holds no interest, so a balance is its amount (Aave's
//! `scaledBalance · index` with an index of one). Every step is checked:
//! where Aave's `uint256` arithmetic would revert, this is an error.

use crate::maths::MathError;
use crate::u256::U256;
use std::cmp::Ordering;
use std::fmt;

/// `1.0` in Aave's 18-decimal fixed point (`WadRayMath.WAD`).
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// `100%` in basis points (`PercentageMath.PERCENTAGE_FACTOR`).
pub const PERCENTAGE_FACTOR: u128 = 10_000;
/// Decimals of an oracle price: Aave V3's base currency is USD with 8.
pub const PRICE_DECIMALS: u8 = 8;
/// The largest price a world may give a token, in whole US dollars: a
/// bound that keeps every product of the maths within 256 bits.
pub const MAX_PRICE_USD: u128 = 1_000_000_000_000_000;

/// A lender's risk parameters for one token, in basis points (Aave's
/// reserve configuration: `ltv` and `liquidationThreshold`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RiskParams {
    /// Loan-to-value: how much of the token's value a borrow may use.
    pub ltv_bps: u32,
    /// The share of its value at which a position can be liquidated.
    pub liquidation_threshold_bps: u32,
}

/// One token of a position with what valuing it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    /// In base units of the token.
    pub amount: u128,
    pub decimals: u8,
    /// The oracle's price of one whole token, in units of 10⁻⁸ USD.
    pub price: u128,
}

/// A deposit with its lender's risk parameters (`None`: the lender takes
/// the token as no collateral).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Collateral {
    pub balance: Balance,
    pub risk: Option<RiskParams>,
}

/// A health factor: a wad, or no debt at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthFactor {
    /// The position owes nothing (Aave: `type(uint256).max`).
    NoDebt,
    /// `collateral · threshold / debt`, in wads (`10¹⁸` is 1.0).
    Wad(U256),
}

impl HealthFactor {
    /// Whether the factor is at least `wad` (no debt is above every bound).
    pub fn at_least(self, wad: u128) -> bool {
        match self {
            HealthFactor::NoDebt => true,
            HealthFactor::Wad(hf) => hf >= U256::from_u128(wad),
        }
    }

    /// The factor as a wad, if there is debt and it fits in 128 bits.
    pub fn wad(self) -> Option<u128> {
        match self {
            HealthFactor::NoDebt => None,
            HealthFactor::Wad(hf) => Some(hf.to_u128().unwrap_or(u128::MAX)),
        }
    }
}

impl Ord for HealthFactor {
    fn cmp(&self, other: &HealthFactor) -> Ordering {
        match (self, other) {
            (HealthFactor::NoDebt, HealthFactor::NoDebt) => Ordering::Equal,
            (HealthFactor::NoDebt, HealthFactor::Wad(_)) => Ordering::Greater,
            (HealthFactor::Wad(_), HealthFactor::NoDebt) => Ordering::Less,
            (HealthFactor::Wad(a), HealthFactor::Wad(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for HealthFactor {
    fn partial_cmp(&self, other: &HealthFactor) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// As people read it: `1.6470` (four decimals, rounded down), or `no debt`.
impl fmt::Display for HealthFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HealthFactor::NoDebt => f.write_str("no debt"),
            HealthFactor::Wad(hf) => f.write_str(&wad_text(*hf, 4)),
        }
    }
}

/// A wad as a decimal with `places` decimals, rounded down: `1.6470`.
pub fn wad_text(wad: U256, places: u32) -> String {
    let unit = U256::from_u128(WAD);
    let whole = wad.checked_div(unit).unwrap_or(U256::ZERO);
    let fraction = wad
        .checked_sub(whole.checked_mul(unit).unwrap_or(U256::ZERO))
        .unwrap_or(U256::ZERO)
        .to_u128()
        .unwrap_or(0);
    let shown = fraction / 10u128.pow(18 - places.min(18));
    format!(
        "{}.{:0width$}",
        u256_text(whole),
        shown,
        width = places as usize
    )
}

/// The decimal digits of a 256-bit integer.
fn u256_text(mut v: U256) -> String {
    if let Some(small) = v.to_u128() {
        return small.to_string();
    }
    let ten = U256::from_u128(10);
    let mut digits = Vec::new();
    while !v.is_zero() {
        let q = v.checked_div(ten).unwrap_or(U256::ZERO);
        let r = v
            .checked_sub(q.checked_mul(ten).unwrap_or(U256::ZERO))
            .and_then(U256::to_u128)
            .unwrap_or(0);
        digits.push(char::from(b'0' + r as u8));
        v = q;
    }
    digits.iter().rev().collect()
}

/// What `calculateUserAccountData` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountData {
    /// The collateral's value in the base currency (units of 10⁻⁸ USD).
    pub collateral: U256,
    /// The debt's value in the base currency.
    pub debt: U256,
    /// The average loan-to-value, in basis points.
    pub ltv_bps: U256,
    /// The average liquidation threshold, in basis points.
    pub liquidation_threshold_bps: U256,
    pub health_factor: HealthFactor,
    /// Whether some collateral has a loan-to-value of zero.
    pub has_zero_ltv_collateral: bool,
}

fn overflow<T>(v: Option<T>) -> Result<T, MathError> {
    v.ok_or(MathError::Overflow)
}

/// `amount · price / 10^decimals`, rounded down: a balance in the base
/// currency (`_getUserBalanceInBaseCurrency`, `_getUserDebtInBaseCurrency`).
pub fn value_in_base(balance: Balance) -> Result<U256, MathError> {
    let product = U256::widening_mul(balance.amount, balance.price);
    let unit = overflow(10u128.checked_pow(u32::from(balance.decimals)))?;
    overflow(product.checked_div(U256::from_u128(unit)))
}

/// `PercentageMath.percentMul`: `(value · percentage + 5,000) / 10,000`.
pub fn percent_mul(value: U256, percentage: U256) -> Result<U256, MathError> {
    let product = overflow(value.checked_mul(percentage))?;
    let half = U256::from_u128(PERCENTAGE_FACTOR / 2);
    overflow(overflow(product.checked_add(half))?.checked_div(U256::from_u128(PERCENTAGE_FACTOR)))
}

/// `PercentageMath.percentDiv`: `(value · 10,000 + percentage / 2) /
/// percentage`; a percentage of zero has no answer.
pub fn percent_div(value: U256, percentage: U256) -> Result<U256, MathError> {
    if percentage.is_zero() {
        return Err(MathError::Overflow);
    }
    let scaled = overflow(value.checked_mul(U256::from_u128(PERCENTAGE_FACTOR)))?;
    let half = overflow(percentage.checked_div(U256::from_u128(2)))?;
    overflow(overflow(scaled.checked_add(half))?.checked_div(percentage))
}

/// `WadRayMath.wadDiv`: `(a · 10¹⁸ + b / 2) / b`; `b` of zero has no answer.
pub fn wad_div(a: U256, b: U256) -> Result<U256, MathError> {
    if b.is_zero() {
        return Err(MathError::Overflow);
    }
    let scaled = overflow(a.checked_mul(U256::from_u128(WAD)))?;
    let half = overflow(b.checked_div(U256::from_u128(2)))?;
    overflow(overflow(scaled.checked_add(half))?.checked_div(b))
}

/// `GenericLogic.calculateUserAccountData` over the user's deposits at
/// one lender (with the lender's risk parameters) and debts there.
pub fn account_data(
    collateral: &[Collateral],
    debts: &[Balance],
) -> Result<AccountData, MathError> {
    let mut total_collateral = U256::ZERO;
    let mut total_debt = U256::ZERO;
    let mut ltv_sum = U256::ZERO;
    let mut threshold_sum = U256::ZERO;
    let mut has_zero_ltv_collateral = false;
    for c in collateral {
        let Some(risk) = c.risk.filter(|r| r.liquidation_threshold_bps != 0) else {
            continue;
        };
        let value = value_in_base(c.balance)?;
        total_collateral = overflow(total_collateral.checked_add(value))?;
        if risk.ltv_bps != 0 {
            let weighted = overflow(value.checked_mul(U256::from_u128(u128::from(risk.ltv_bps))))?;
            ltv_sum = overflow(ltv_sum.checked_add(weighted))?;
        } else {
            has_zero_ltv_collateral = true;
        }
        let weighted = overflow(
            value.checked_mul(U256::from_u128(u128::from(risk.liquidation_threshold_bps))),
        )?;
        threshold_sum = overflow(threshold_sum.checked_add(weighted))?;
    }
    for d in debts {
        total_debt = overflow(total_debt.checked_add(value_in_base(*d)?))?;
    }
    let (ltv_bps, liquidation_threshold_bps) = if total_collateral.is_zero() {
        (U256::ZERO, U256::ZERO)
    } else {
        (
            overflow(ltv_sum.checked_div(total_collateral))?,
            overflow(threshold_sum.checked_div(total_collateral))?,
        )
    };
    let health_factor = if total_debt.is_zero() {
        HealthFactor::NoDebt
    } else {
        HealthFactor::Wad(wad_div(
            percent_mul(total_collateral, liquidation_threshold_bps)?,
            total_debt,
        )?)
    };
    Ok(AccountData {
        collateral: total_collateral,
        debt: total_debt,
        ltv_bps,
        liquidation_threshold_bps,
        health_factor,
        has_zero_ltv_collateral,
    })
}

/// Why Aave refuses a borrow (`ValidationLogic.validateBorrow`), in its order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BorrowRefusal {
    /// `COLLATERAL_BALANCE_IS_ZERO`.
    NoCollateral,
    /// `LTV_VALIDATION_FAILED`: the collateral has an average
    /// loan-to-value of zero.
    ZeroLtv,
    /// `HEALTH_FACTOR_LOWER_THAN_LIQUIDATION_THRESHOLD`: the position
    /// before the borrow is not above 1.
    Unhealthy(HealthFactor),
    /// `COLLATERAL_CANNOT_COVER_NEW_BORROW`: the collateral the debt
    /// would need, at the average loan-to-value, exceeds what there is.
    CannotCover { needed: U256, collateral: U256 },
}

/// `validateBorrow`'s account checks for a borrow worth `amount_in_base`
/// (the amount's value in the base currency, rounded down) on the position
/// `before` it.
pub fn validate_borrow(
    before: &AccountData,
    amount_in_base: U256,
) -> Result<Result<(), BorrowRefusal>, MathError> {
    if before.collateral.is_zero() {
        return Ok(Err(BorrowRefusal::NoCollateral));
    }
    if before.ltv_bps.is_zero() {
        return Ok(Err(BorrowRefusal::ZeroLtv));
    }
    if let HealthFactor::Wad(hf) = before.health_factor {
        if hf <= U256::from_u128(WAD) {
            return Ok(Err(BorrowRefusal::Unhealthy(before.health_factor)));
        }
    }
    let debt_after = overflow(before.debt.checked_add(amount_in_base))?;
    let needed = percent_div(debt_after, before.ltv_bps)?;
    if needed > before.collateral {
        return Ok(Err(BorrowRefusal::CannotCover {
            needed,
            collateral: before.collateral,
        }));
    }
    Ok(Ok(()))
}

/// A value in the base currency as people read it, exactly, as the
/// language writes numbers: `20_750 USD`, `25_000.00000125 USD`.
pub fn usd_text(value: U256) -> String {
    match value.to_u128() {
        Some(v) => format!("{} USD", crate::amount::display_units(v, PRICE_DECIMALS)),
        None => {
            let digits = u256_text(value);
            let (whole, fraction) = digits.split_at(digits.len() - usize::from(PRICE_DECIMALS));
            let fraction = fraction.trim_end_matches('0');
            let whole = crate::amount::group_digits(whole, '_');
            if fraction.is_empty() {
                format!("{whole} USD")
            } else {
                format!("{whole}.{fraction} USD")
            }
        }
    }
}

/// A factor in wads as the language writes a number: `1.5`, `1.6468…`
/// with its trailing zeros trimmed.
pub fn factor_text(wad: u128) -> String {
    crate::amount::format_units(wad, 18)
}

#[cfg(test)]
mod tests;
