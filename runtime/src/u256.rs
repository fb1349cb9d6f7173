//! A small unsigned 256-bit integer: just what the exact protocol maths needs
//! (Solidity computes `a * 997 * rOut` in `uint256`, which overflows `u128`
//! for 18-decimal reserves). Every operation is checked.

use std::cmp::Ordering;

/// An unsigned 256-bit integer, as four 64-bit limbs, least significant first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct U256([u64; 4]);

impl U256 {
    pub const ZERO: U256 = U256([0; 4]);

    pub fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// The value, if it fits in `u128`.
    pub fn to_u128(self) -> Option<u128> {
        if self.0[2] != 0 || self.0[3] != 0 {
            return None;
        }
        Some(u128::from(self.0[0]) | (u128::from(self.0[1]) << 64))
    }

    pub fn is_zero(self) -> bool {
        self.0 == [0; 4]
    }

    /// `a * b` for two `u128`, which always fits.
    pub fn widening_mul(a: u128, b: u128) -> U256 {
        U256::from_u128(a)
            .checked_mul(U256::from_u128(b))
            .expect("a product of two u128 fits in 256 bits")
    }

    pub fn checked_add(self, rhs: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, limb) in out.iter_mut().enumerate() {
            let sum = u128::from(self.0[i]) + u128::from(rhs.0[i]) + carry;
            *limb = sum as u64;
            carry = sum >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    pub fn checked_sub(self, rhs: U256) -> Option<U256> {
        if self < rhs {
            return None;
        }
        let mut out = [0u64; 4];
        let mut borrow = 0i128;
        for (i, limb) in out.iter_mut().enumerate() {
            let mut diff = i128::from(self.0[i]) - i128::from(rhs.0[i]) - borrow;
            borrow = 0;
            if diff < 0 {
                diff += 1i128 << 64;
                borrow = 1;
            }
            *limb = diff as u64;
        }
        Some(U256(out))
    }

    pub fn checked_mul(self, rhs: U256) -> Option<U256> {
        let mut wide = [0u128; 8];
        for i in 0..4 {
            let mut carry = 0u128;
            for j in 0..4 {
                let cur = wide[i + j] + u128::from(self.0[i]) * u128::from(rhs.0[j]) + carry;
                wide[i + j] = cur & u128::from(u64::MAX);
                carry = cur >> 64;
            }
            wide[i + 4] += carry;
        }
        if wide[4..].iter().any(|&w| w != 0) {
            return None;
        }
        Some(U256([
            wide[0] as u64,
            wide[1] as u64,
            wide[2] as u64,
            wide[3] as u64,
        ]))
    }

    /// Floor division, `None` when dividing by zero.
    pub fn checked_div(self, rhs: U256) -> Option<U256> {
        if rhs.is_zero() {
            return None;
        }
        if self < rhs {
            return Some(U256::ZERO);
        }
        let top = self.bit_length();
        // A divisor below 2^127 keeps the running remainder, and the
        // remainder shifted left once, inside a `u128`.
        if let Some(d) = rhs.to_u128().filter(|d| d.leading_zeros() >= 1) {
            let mut quotient = U256::ZERO;
            let mut remainder = 0u128;
            for bit in (0..top).rev() {
                remainder = (remainder << 1) | u128::from(self.bit(bit));
                if remainder >= d {
                    remainder -= d;
                    quotient.0[bit / 64] |= 1 << (bit % 64);
                }
            }
            return Some(quotient);
        }
        // Binary long division: one shift-and-subtract step per bit.
        let mut quotient = U256::ZERO;
        let mut remainder = U256::ZERO;
        for bit in (0..top).rev() {
            remainder = remainder.shl1();
            if self.bit(bit) {
                remainder.0[0] |= 1;
            }
            if remainder >= rhs {
                remainder = remainder.checked_sub(rhs)?;
                quotient.0[bit / 64] |= 1 << (bit % 64);
            }
        }
        Some(quotient)
    }

    /// The number of significant bits (0 for zero).
    fn bit_length(self) -> usize {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return i * 64 + 64 - self.0[i].leading_zeros() as usize;
            }
        }
        0
    }

    fn bit(self, n: usize) -> bool {
        (self.0[n / 64] >> (n % 64)) & 1 == 1
    }

    fn shl1(self) -> U256 {
        let mut out = [0u64; 4];
        let mut carry = 0;
        for (i, limb) in out.iter_mut().enumerate() {
            *limb = (self.0[i] << 1) | carry;
            carry = self.0[i] >> 63;
        }
        U256(out)
    }
}

impl Ord for U256 {
    fn cmp(&self, other: &U256) -> Ordering {
        for i in (0..4).rev() {
            match self.0[i].cmp(&other.0[i]) {
                Ordering::Equal => continue,
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for U256 {
    fn partial_cmp(&self, other: &U256) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overflow_is_detected() {
        let max = U256::widening_mul(u128::MAX, u128::MAX);
        assert!(max.checked_mul(U256::from_u128(2)).is_none());
        assert!(max.checked_add(U256::from_u128(u128::MAX)).is_some());
        assert!(U256::from_u128(1).checked_div(U256::ZERO).is_none());
        assert!(U256::from_u128(1).checked_sub(U256::from_u128(2)).is_none());
    }

    proptest! {
        #[test]
        fn agrees_with_u128(a in any::<u64>(), b in any::<u64>(), c in 1u128..) {
            let p = U256::widening_mul(u128::from(a), u128::from(b));
            prop_assert_eq!(p.to_u128(), Some(u128::from(a) * u128::from(b)));
            let q = p.checked_div(U256::from_u128(c)).and_then(U256::to_u128);
            prop_assert_eq!(q, Some(u128::from(a) * u128::from(b) / c));
        }

        #[test]
        fn quotient_and_remainder_rebuild_the_dividend(
            a in any::<u128>(), b in any::<u128>(), d in 1u128.., wide in any::<bool>()
        ) {
            // A divisor of either width: below 2^127 (the narrow path) or a
            // full 256-bit value (the general one).
            let n = U256::widening_mul(a, b);
            let d = if wide { U256::widening_mul(d, d) } else { U256::from_u128(d) };
            let q = n.checked_div(d).expect("non-zero divisor");
            let back = q.checked_mul(d).expect("q * d <= n");
            prop_assert!(back <= n);
            let r = n.checked_sub(back).expect("n >= q * d");
            prop_assert!(r < d);
        }

        #[test]
        fn division_inverts_multiplication(a in any::<u128>(), b in 1u128..) {
            let p = U256::widening_mul(a, b);
            prop_assert_eq!(p.checked_div(U256::from_u128(b)).and_then(U256::to_u128), Some(a));
            prop_assert_eq!(p.checked_sub(p), Some(U256::ZERO));
        }
    }
}
