//! Amounts: exact integers in a token's base units, written as decimal
//! strings in whole-token units (`"0.15"` WETH is `150000000000000000`).

use std::fmt;

/// Why a decimal string is not an amount of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Not digits with an optional fraction (`"1e18"`, `""`, `"1."`).
    Malformed,
    /// A leading minus sign.
    Negative,
    /// More fractional digits than the token has decimals.
    TooManyDecimals { decimals: u8 },
    /// More than `u128` base units.
    TooLarge,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Malformed => f.write_str(
                "is not an amount: write digits with an optional fraction, like \"2500\" or \"0.15\"",
            ),
            AmountError::Negative => f.write_str("is negative"),
            AmountError::TooManyDecimals { decimals } => {
                write!(f, "has more fractional digits than the token's {decimals} decimals")
            }
            AmountError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// Parses `"2500"`, `"0.15"`, `"1_000_000"` into base units of a token with
/// `decimals` decimals.
pub fn parse_units(text: &str, decimals: u8) -> Result<u128, AmountError> {
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits_ok = |s: &str| {
        !s.is_empty()
            && !s.starts_with('_')
            && !s.ends_with('_')
            && !s.contains("__")
            && s.chars().all(|c| c.is_ascii_digit() || c == '_')
    };
    if !digits_ok(whole) || fraction.is_some_and(|f| !digits_ok(f)) {
        return Err(AmountError::Malformed);
    }
    let fraction: String = fraction
        .unwrap_or("")
        .chars()
        .filter(|&c| c != '_')
        .collect();
    if fraction.len() > usize::from(decimals) {
        return Err(AmountError::TooManyDecimals { decimals });
    }
    let mut value: u128 = 0;
    let padded = fraction.clone() + &"0".repeat(usize::from(decimals) - fraction.len());
    for c in whole.chars().filter(|&c| c != '_').chain(padded.chars()) {
        let digit = u128::from(c.to_digit(10).ok_or(AmountError::Malformed)?);
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or(AmountError::TooLarge)?;
    }
    Ok(value)
}

/// Writes base units as whole-token units, exactly, without trailing zeros:
/// `format_units(150000000000000000, 18) == "0.15"`.
pub fn format_units(value: u128, decimals: u8) -> String {
    let digits = value.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = if digits.len() <= decimals {
        "0".repeat(decimals + 1 - digits.len()) + &digits
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

/// `digits` in groups of three from the right, joined by `separator`:
/// `1234567` with `,` is `1,234,567`.
pub fn group_digits(digits: &str, separator: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A count of gas (or anything) as reports print it: `1,234,567`.
pub fn thousands(n: u64) -> String {
    group_digits(&n.to_string(), ',')
}

/// `10^decimals`, the base units of one whole token.
pub fn one_token(decimals: u8) -> u128 {
    10u128.pow(u32::from(decimals))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_units("0.15", 18), Ok(150_000_000_000_000_000));
        assert_eq!(parse_units("1_000_000", 6), Ok(1_000_000_000_000));
        assert_eq!(parse_units("100.2", 18), Ok(100_200_000_000_000_000_000));
        assert_eq!(
            parse_units("0.0000001", 6),
            Err(AmountError::TooManyDecimals { decimals: 6 })
        );
        assert_eq!(parse_units("-1", 6), Err(AmountError::Negative));
        assert_eq!(parse_units("1.", 6), Err(AmountError::Malformed));
        assert_eq!(parse_units(".5", 6), Err(AmountError::Malformed));
        assert_eq!(parse_units("1e18", 6), Err(AmountError::Malformed));
        assert_eq!(parse_units("1_", 6), Err(AmountError::Malformed));
        assert_eq!(
            parse_units("400000000000000000000", 18),
            Err(AmountError::TooLarge)
        );
        assert_eq!(format_units(150_000_000_000_000_000, 18), "0.15");
        assert_eq!(format_units(0, 18), "0");
        assert_eq!(format_units(5, 6), "0.000005");
        assert_eq!(format_units(25_000_000_000, 6), "25000");
        assert_eq!(format_units(7, 0), "7");
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(v in any::<u128>(), d in 0u8..=30) {
            prop_assert_eq!(parse_units(&format_units(v, d), d), Ok(v));
        }
    }
}
