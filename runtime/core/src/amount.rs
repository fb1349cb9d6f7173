//! Amounts: exact integers in a token's base units, written as decimal
//! strings in whole-token units (`"0.15"` WETH is `150000000000000000`).

use std::fmt;

/// Why a decimal text is not an amount of a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    /// Not digits with an optional fraction (`"1e18"`, `""`, `"1."`).
    Malformed,
    /// A leading minus sign.
    Negative,
    /// More fractional digits (`written`) than the token has decimals.
    TooManyDecimals { written: usize, decimals: u8 },
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
            AmountError::TooManyDecimals { decimals, .. } => {
                write!(f, "has more fractional digits than the token's {decimals} decimals")
            }
            AmountError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// A decimal text's digits before and after its point, `_` separators
/// removed: `"1_000.25"` is `("1000", "25")`. Separators stand only between
/// digits, one at a time, as the language's number literals allow.
pub fn split_decimal(text: &str) -> Result<(String, String), AmountError> {
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digit_groups = |s: &str| {
        !s.is_empty()
            && s.split('_')
                .all(|group| !group.is_empty() && group.bytes().all(|b| b.is_ascii_digit()))
    };
    if !digit_groups(whole) || fraction.is_some_and(|f| !digit_groups(f)) {
        return Err(AmountError::Malformed);
    }
    let digits = |s: &str| s.chars().filter(|&c| c != '_').collect::<String>();
    Ok((digits(whole), fraction.map(digits).unwrap_or_default()))
}

/// The value of a string of decimal digits, or `TooLarge` beyond `u128`.
pub fn digits_value(digits: &str) -> Result<u128, AmountError> {
    let mut value: u128 = 0;
    for c in digits.chars() {
        let digit = u128::from(c.to_digit(10).ok_or(AmountError::Malformed)?);
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or(AmountError::TooLarge)?;
    }
    Ok(value)
}

/// Parses `"2500"`, `"0.15"`, `"1_000_000"` into base units of a token with
/// `decimals` decimals.
pub fn parse_units(text: &str, decimals: u8) -> Result<u128, AmountError> {
    let (whole, fraction) = split_decimal(text)?;
    let room = usize::from(decimals);
    if fraction.len() > room {
        return Err(AmountError::TooManyDecimals {
            written: fraction.len(),
            decimals,
        });
    }
    let padding = "0".repeat(room - fraction.len());
    digits_value(&format!("{whole}{fraction}{padding}"))
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

/// Base units as every message, diagnostic and report prints an amount for
/// people: exact, without trailing zeros, as the language writes a number —
/// the whole part's digits in groups of three joined by `_` once there are
/// more than three (`99.95`, `6_003`, `190_000`, `0.0501`). So a figure can
/// be copied from a message into a bundle. JSON and world files write plain
/// digits ([`format_units`]).
pub fn display_units(value: u128, decimals: u8) -> String {
    let plain = format_units(value, decimals);
    match plain.split_once('.') {
        Some((whole, fraction)) => format!("{}.{fraction}", group(whole)),
        None => group(&plain),
    }
}

/// A count (gas, blocks, lines, characters) as messages and reports print
/// it for people, grouped as [`display_units`] groups an amount:
/// `1_610_000`, `766_000`, `21`.
pub fn display_count(n: u64) -> String {
    group(&n.to_string())
}

/// `digits` grouped as the language writes a number: by three, with `_`,
/// once there are more than three.
fn group(digits: &str) -> String {
    if digits.len() > 3 {
        group_digits(digits, '_')
    } else {
        digits.to_string()
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
            Err(AmountError::TooManyDecimals {
                written: 7,
                decimals: 6
            })
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

    #[test]
    fn literals_in_base_units() {
        assert_eq!(parse_units("100", 18), Ok(100 * 10u128.pow(18)));
        assert_eq!(parse_units("0.5", 6), Ok(500_000));
        assert_eq!(parse_units("1_000.25", 2), Ok(100_025));
        assert_eq!(parse_units("100.2", 18), Ok(100_200_000_000_000_000_000));
        assert_eq!(
            parse_units("0.1234567", 6),
            Err(AmountError::TooManyDecimals {
                written: 7,
                decimals: 6
            })
        );
        assert_eq!(
            parse_units("1.0", 0),
            Err(AmountError::TooManyDecimals {
                written: 1,
                decimals: 0
            })
        );
        assert_eq!(
            parse_units("340282366920938463463374607431768211456", 0),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_units("1_000_000_000_000_000_000_000", 30),
            Err(AmountError::TooLarge)
        );
        assert_eq!(parse_units("x", 3), Err(AmountError::Malformed));
    }

    #[test]
    fn units_print_as_written() {
        assert_eq!(display_units(99_950_000_000_000_000_000, 18), "99.95");
        assert_eq!(display_units(190_000_000_000, 6), "190_000");
        assert_eq!(display_units(5_000_000, 6), "5");
        assert_eq!(display_units(1234, 0), "1_234");
        assert_eq!(display_units(6_003_200_000, 6), "6_003.2");
        assert_eq!(display_units(10_005_000_000, 6), "10_005");
        assert_eq!(display_units(999, 0), "999");
        assert_eq!(display_units(1_000_000_000, 0), "1_000_000_000");
        assert_eq!(display_units(50_100_000_000_000_000, 18), "0.0501");
        assert_eq!(display_units(0, 18), "0");
        assert_eq!(display_count(1_610_000), "1_610_000");
        assert_eq!(display_count(21), "21");
        assert_eq!(display_count(1000), "1_000");
    }

    proptest! {
        /// What a message prints is a number the language reads back as the
        /// same amount.
        #[test]
        fn displayed_units_parse_back(v in any::<u128>(), d in 0u8..=30) {
            prop_assert_eq!(parse_units(&display_units(v, d), d), Ok(v));
        }
    }
}
