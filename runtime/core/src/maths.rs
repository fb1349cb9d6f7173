//! Exact protocol maths: Uniswap V2's constant-product formulas with a fee,
//! and the premium and fee rounding of lenders and bridges. Integers only,
//! every step checked; an impossible case is an error, never a wrap.

use std::fmt;

use crate::u256::U256;

/// Why a formula has no answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathError {
    /// `getAmountOut` of zero (Uniswap: `INSUFFICIENT_INPUT_AMOUNT`).
    InsufficientInput,
    /// `getAmountIn` of zero (Uniswap: `INSUFFICIENT_OUTPUT_AMOUNT`).
    InsufficientOutput,
    /// A reserve is zero, or the output asked for is the whole reserve or
    /// more (Uniswap: `INSUFFICIENT_LIQUIDITY`).
    InsufficientLiquidity,
    /// An intermediate value does not fit in 256 bits, or a result does not
    /// fit in 128 (Solidity's checked arithmetic reverts there too).
    Overflow,
    /// A fee of 100% or more.
    BadFee,
}

impl fmt::Display for MathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MathError::InsufficientInput => "insufficient input amount (zero)",
            MathError::InsufficientOutput => "insufficient output amount (zero)",
            MathError::InsufficientLiquidity => "insufficient liquidity in the pair",
            MathError::Overflow => crate::revert::reason::OVERFLOW,
            MathError::BadFee => "the fee is 100% or more",
        })
    }
}

/// Basis points in one: fees and premiums are over 10,000.
pub const BPS: u128 = 10_000;

/// `ceil(amount * bps / 10_000)`, exactly, or `None` if the result does not
/// fit (only possible for more than 10,000 bps, a fee above 100%).
///
/// With `amount = 10_000 q + r` the result is `q * bps + ceil(r * bps /
/// 10_000)`, which needs no intermediate larger than the result, so a fee or
/// premium never overflows where the amount itself fits.
pub fn bps_ceil(amount: u128, bps: u32) -> Option<u128> {
    let bps = u128::from(bps);
    let whole = (amount / 10_000).checked_mul(bps)?;
    // r < 10_000 and bps < 2^32: the product fits easily.
    let part = ((amount % 10_000) * bps).div_ceil(10_000);
    whole.checked_add(part)
}

fn fee_factor(fee_bps: u32) -> Result<u128, MathError> {
    BPS.checked_sub(u128::from(fee_bps))
        .filter(|&f| f > 0)
        .ok_or(MathError::BadFee)
}

/// Uniswap V2 `getAmountOut` with a fee of `fee_bps` basis points:
/// `a·(10⁴−fee)·rOut / (rIn·10⁴ + a·(10⁴−fee))`, floor. With 30 bps this is
/// the published `a·997·rOut / (rIn·1000 + a·997)` (both sides scaled by 10).
pub fn get_amount_out(
    amount_in: u128,
    reserve_in: u128,
    reserve_out: u128,
    fee_bps: u32,
) -> Result<u128, MathError> {
    if amount_in == 0 {
        return Err(MathError::InsufficientInput);
    }
    if reserve_in == 0 || reserve_out == 0 {
        return Err(MathError::InsufficientLiquidity);
    }
    let factor = fee_factor(fee_bps)?;
    let in_with_fee = U256::widening_mul(amount_in, factor);
    let numerator = in_with_fee
        .checked_mul(U256::from_u128(reserve_out))
        .ok_or(MathError::Overflow)?;
    let denominator = U256::widening_mul(reserve_in, BPS)
        .checked_add(in_with_fee)
        .ok_or(MathError::Overflow)?;
    numerator
        .checked_div(denominator)
        .and_then(U256::to_u128)
        .ok_or(MathError::Overflow)
}

/// Uniswap V2 `getAmountIn`: `rIn·o·10⁴ / ((rOut−o)·(10⁴−fee)) + 1`.
pub fn get_amount_in(
    amount_out: u128,
    reserve_in: u128,
    reserve_out: u128,
    fee_bps: u32,
) -> Result<u128, MathError> {
    if amount_out == 0 {
        return Err(MathError::InsufficientOutput);
    }
    if reserve_in == 0 || reserve_out == 0 || amount_out >= reserve_out {
        return Err(MathError::InsufficientLiquidity);
    }
    let factor = fee_factor(fee_bps)?;
    let numerator = U256::widening_mul(reserve_in, amount_out)
        .checked_mul(U256::from_u128(BPS))
        .ok_or(MathError::Overflow)?;
    let denominator = U256::widening_mul(reserve_out - amount_out, factor);
    numerator
        .checked_div(denominator)
        .and_then(|q| q.checked_add(U256::from_u128(1)))
        .and_then(U256::to_u128)
        .ok_or(MathError::Overflow)
}

/// Uniswap V2 `getAmountsOut`: `getAmountOut` hop by hop over the reserves
/// `(reserveIn, reserveOut)` of each hop. Returns every intermediate amount,
/// the input first.
pub fn get_amounts_out(
    amount_in: u128,
    hops: &[(u128, u128)],
    fee_bps: u32,
) -> Result<Vec<u128>, MathError> {
    let mut amounts = Vec::with_capacity(hops.len() + 1);
    amounts.push(amount_in);
    let mut amount = amount_in;
    for &(reserve_in, reserve_out) in hops {
        amount = get_amount_out(amount, reserve_in, reserve_out, fee_bps)?;
        amounts.push(amount);
    }
    Ok(amounts)
}

/// The premium a lender charges on a flash loan of `amount`: `amount ·
/// bps / 10⁴` rounded half up, as Aave V3 1.19.3's `percentMul` rounds it
/// (`(amount · bps + 5,000) / 10,000`), once per loan. An ordinary loan
/// owes none (docs/runtime.md).
///
/// With `amount = 10_000 q + r` the result is `q · bps + (r · bps + 5,000)
/// / 10,000`, exactly, with no intermediate larger than the result: only a
/// premium that does not fit overflows.
pub fn flash_premium(amount: u128, premium_bps: u32) -> Result<u128, MathError> {
    let bps = u128::from(premium_bps);
    let whole = (amount / BPS).checked_mul(bps).ok_or(MathError::Overflow)?;
    // r < 10_000 and bps < 2^32: the product fits easily.
    let part = ((amount % BPS) * bps + BPS / 2) / BPS;
    whole.checked_add(part).ok_or(MathError::Overflow)
}

/// `k = reserve0 · reserve1`, exactly.
pub fn constant_product(reserve0: u128, reserve1: u128) -> U256 {
    U256::widening_mul(reserve0, reserve1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const E18: u128 = 1_000_000_000_000_000_000;

    #[test]
    fn published_vectors() {
        assert_eq!(
            get_amount_out(2 * E18, 5 * E18, 10 * E18, 30),
            Ok(2_851_015_155_847_869_602)
        );
        assert_eq!(
            get_amount_out(E18, 10 * E18, 10 * E18, 30),
            Ok(906_610_893_880_149_131)
        );
        assert_eq!(
            get_amount_out(E18, 1000 * E18, 1000 * E18, 30),
            Ok(996_006_981_039_903_216)
        );
        assert_eq!(get_amount_out(2, 100, 100, 30), Ok(1));
        assert_eq!(get_amount_in(1, 100, 100, 30), Ok(2));
    }

    #[test]
    fn a_flash_loans_premium_is_rounded_half_up_as_aave_rounds_it() {
        let e18 = 10u128.pow(18);
        assert_eq!(flash_premium(100 * e18, 5), Ok(5 * e18 / 100));
        assert_eq!(flash_premium(0, 5), Ok(0));
        // 1,000 × 5 / 10⁴ = 0.5 rounds up; 999 × 5 / 10⁴ = 0.4995 down.
        assert_eq!(flash_premium(1_000, 5), Ok(1));
        assert_eq!(flash_premium(999, 5), Ok(0));
        assert_eq!(flash_premium(3_000, 5), Ok(2));
        // Against Aave's formula, where it cannot overflow.
        for amount in [1, 7, 9_999, 10_000, 10_001, 123_456_789, 3 * e18 + 1] {
            for bps in [0, 1, 5, 9, 30, 9_999, 10_000] {
                let aave = (amount * u128::from(bps) + 5_000) / 10_000;
                assert_eq!(flash_premium(amount, bps), Ok(aave), "{amount} at {bps}");
            }
        }
    }

    #[test]
    fn impossible_cases_are_errors() {
        assert_eq!(
            get_amount_out(0, 1, 1, 30),
            Err(MathError::InsufficientInput)
        );
        assert_eq!(
            get_amount_out(1, 0, 1, 30),
            Err(MathError::InsufficientLiquidity)
        );
        assert_eq!(
            get_amount_in(0, 1, 1, 30),
            Err(MathError::InsufficientOutput)
        );
        assert_eq!(
            get_amount_in(100, 100, 100, 30),
            Err(MathError::InsufficientLiquidity)
        );
        assert_eq!(get_amount_out(1, 1, 1, 10_000), Err(MathError::BadFee));
        assert_eq!(
            get_amount_out(u128::MAX, u128::MAX, u128::MAX, 30),
            Err(MathError::Overflow)
        );
        // No intermediate overflow: the premium on the largest amount is exact.
        assert_eq!(flash_premium(u128::MAX, 5), Ok(u128::MAX / 2_000 + 1));
    }

    #[test]
    fn fees_round_up() {
        assert_eq!(bps_ceil(10_000, 5), Some(5));
        assert_eq!(bps_ceil(1, 5), Some(1));
        assert_eq!(bps_ceil(0, 5), Some(0));
        assert_eq!(bps_ceil(19_999, 5), Some(10));
        assert_eq!(bps_ceil(20_000, 5), Some(10));
        assert_eq!(bps_ceil(20_001, 5), Some(11));
        // No intermediate overflow: the fee on the largest amount fits.
        assert_eq!(bps_ceil(u128::MAX, 5), Some(u128::MAX / 2_000 + 1));
        assert_eq!(bps_ceil(u128::MAX, 10_000), Some(u128::MAX));
        assert_eq!(bps_ceil(u128::MAX, 20_000), None);
    }

    proptest::proptest! {
        #[test]
        fn bps_ceil_is_the_exact_ceiling(amount in 0u128..(u128::MAX / 10_000), bps in 0u32..=10_000) {
            let exact = (amount * u128::from(bps)).div_ceil(10_000);
            proptest::prop_assert_eq!(bps_ceil(amount, bps), Some(exact));
        }

        #[test]
        fn bps_ceil_never_exceeds_the_amount(amount: u128, bps in 0u32..=10_000) {
            let fee = bps_ceil(amount, bps);
            proptest::prop_assert!(fee.is_some_and(|f| f <= amount));
        }
    }
}
