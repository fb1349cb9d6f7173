//! Money: what gas costs in a chain's native coin, and amounts of one
//! token valued in another through the world's oracle.
//!
//! The oracle prices one whole token in units of 10⁻⁸ USD
//! ([`crate::health::PRICE_DECIMALS`], Aave V3's base currency). An amount
//! of token `A` is worth `amount · price_A · 10^decimals_Q / (10^decimals_A
//! · price_Q)` base units of the quote token `Q`, computed exactly in 256
//! bits and rounded once, in the direction the caller names: what a bundle
//! gains rounds down and what it pays rounds up, so that a profit is never
//! overstated. Every step is checked; a figure that does not fit is an
//! error, never a wrapped number.

use crate::maths::MathError;
use crate::u256::U256;

/// Which way a conversion rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Toward zero: a gain.
    Down,
    /// Away from zero: a cost.
    Up,
}

/// An amount of a token with what valuing it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Priced {
    /// In base units of the token.
    pub amount: u128,
    pub decimals: u8,
    /// The oracle's price of one whole token, in units of 10⁻⁸ USD.
    pub price: u128,
}

/// The quote token: its decimals and its price.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub decimals: u8,
    /// The oracle's price of one whole token, in units of 10⁻⁸ USD.
    pub price: u128,
}

fn checked<T>(v: Option<T>) -> Result<T, MathError> {
    v.ok_or(MathError::Overflow)
}

fn unit(decimals: u8) -> Result<U256, MathError> {
    // 10^38 is the largest power of ten a u128 holds; beyond that, one
    // more factor in 256 bits.
    let d = u32::from(decimals);
    let low = checked(10u128.checked_pow(d.min(38)))?;
    let high = checked(10u128.checked_pow(d.saturating_sub(38)))?;
    checked(U256::from_u128(low).checked_mul(U256::from_u128(high)))
}

/// The gas a chain metered times its gas price: what it costs, in base
/// units of the chain's native coin.
pub fn gas_cost(gas: u64, gas_price: u128) -> Result<u128, MathError> {
    checked(u128::from(gas).checked_mul(gas_price))
}

/// `value`, an amount with its price, in base units of `quote`, rounded as
/// `rounding` says. A quote priced at zero values nothing: an error.
pub fn in_quote(value: Priced, quote: Quote, rounding: Rounding) -> Result<u128, MathError> {
    let numerator =
        checked(U256::widening_mul(value.amount, value.price).checked_mul(unit(quote.decimals)?))?;
    let denominator = checked(unit(value.decimals)?.checked_mul(U256::from_u128(quote.price)))?;
    if denominator.is_zero() {
        return Err(MathError::Overflow);
    }
    let mut out = checked(numerator.checked_div(denominator))?;
    if rounding == Rounding::Up {
        let back = checked(out.checked_mul(denominator))?;
        if back != numerator {
            out = checked(out.checked_add(U256::from_u128(1)))?;
        }
    }
    checked(out.to_u128())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: u128 = 100_000_000;

    #[test]
    fn ether_in_dollars_of_six_decimals() {
        // 1.5 ETH at 2,500 USD is 3,750 USDC.
        let eth = Priced {
            amount: 1_500_000_000_000_000_000,
            decimals: 18,
            price: 2_500 * USD,
        };
        let usdc = Quote {
            decimals: 6,
            price: USD,
        };
        assert_eq!(in_quote(eth, usdc, Rounding::Down), Ok(3_750_000_000));
        assert_eq!(in_quote(eth, usdc, Rounding::Up), Ok(3_750_000_000));
    }

    #[test]
    fn a_remainder_rounds_as_asked() {
        // 1 wei of ETH is 2.5e-15 USDC: nothing rounded down, one base unit up.
        let wei = Priced {
            amount: 1,
            decimals: 18,
            price: 2_500 * USD,
        };
        let usdc = Quote {
            decimals: 6,
            price: USD,
        };
        assert_eq!(in_quote(wei, usdc, Rounding::Down), Ok(0));
        assert_eq!(in_quote(wei, usdc, Rounding::Up), Ok(1));
        // Nothing is worth nothing, either way.
        let none = Priced { amount: 0, ..wei };
        assert_eq!(in_quote(none, usdc, Rounding::Up), Ok(0));
    }

    #[test]
    fn gas_costs_its_price_and_overflow_is_an_error() {
        // 564,516 gas at 0.01 gwei.
        assert_eq!(gas_cost(564_516, 10_000_000), Ok(5_645_160_000_000));
        assert_eq!(gas_cost(u64::MAX, u128::MAX), Err(MathError::Overflow));
        let huge = Priced {
            amount: u128::MAX,
            decimals: 0,
            price: u128::MAX,
        };
        let tiny = Quote {
            decimals: 18,
            price: 1,
        };
        assert_eq!(
            in_quote(huge, tiny, Rounding::Down),
            Err(MathError::Overflow)
        );
        let free = Quote {
            decimals: 6,
            price: 0,
        };
        assert_eq!(
            in_quote(
                Priced {
                    amount: 1,
                    decimals: 6,
                    price: USD
                },
                free,
                Rounding::Down
            ),
            Err(MathError::Overflow)
        );
    }
}
