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
        // Limbs above the significant ones are zero and add nothing.
        let (m, n) = (self.limbs(), rhs.limbs());
        for i in 0..m {
            let mut carry = 0u128;
            for j in 0..n {
                let cur = wide[i + j] + u128::from(self.0[i]) * u128::from(rhs.0[j]) + carry;
                wide[i + j] = cur & u128::from(u64::MAX);
                carry = cur >> 64;
            }
            wide[i + n] += carry;
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

    /// Floor division, `None` when dividing by zero: schoolbook long
    /// division in base 2^64 (Knuth, TAOCP vol. 2, 4.3.1, algorithm D).
    pub fn checked_div(self, rhs: U256) -> Option<U256> {
        if rhs.is_zero() {
            return None;
        }
        if self < rhs {
            return Some(U256::ZERO);
        }
        let n = rhs.limbs();
        let m = self.limbs();
        if n == 1 {
            return Some(self.div_limb(rhs.0[0]));
        }
        // Normalise: shift both so the divisor's top limb has its top bit
        // set; the quotient is unchanged and each estimate is off by at
        // most two.
        let shift = rhs.0[n - 1].leading_zeros();
        let v = rhs.shl_bits(shift);
        let mut u = [0u64; 5];
        u[..4].copy_from_slice(&self.shl_bits(shift).0);
        if shift > 0 {
            u[4] = self.0[3] >> (64 - shift);
        }
        let base = 1u128 << 64;
        let mut q = [0u64; 4];
        for j in (0..=m - n).rev() {
            let top = (u128::from(u[j + n]) << 64) | u128::from(u[j + n - 1]);
            let divisor = u128::from(v.0[n - 1]);
            let mut qhat = top / divisor;
            let mut rhat = top % divisor;
            while qhat >= base
                || qhat * u128::from(v.0[n - 2]) > ((rhat << 64) | u128::from(u[j + n - 2]))
            {
                qhat -= 1;
                rhat += divisor;
                if rhat >= base {
                    break;
                }
            }
            // u[j..=j+n] -= qhat * v
            let mut borrow: i128 = 0;
            let mut carry: u128 = 0;
            for i in 0..n {
                let product = qhat * u128::from(v.0[i]) + carry;
                carry = product >> 64;
                let diff = i128::from(u[i + j]) - i128::from(product as u64) + borrow;
                u[i + j] = diff as u64;
                borrow = diff >> 64;
            }
            let diff = i128::from(u[j + n]) - carry as i128 + borrow;
            u[j + n] = diff as u64;
            if diff < 0 {
                // The estimate was one too large: add the divisor back.
                qhat -= 1;
                let mut carry = 0u128;
                for i in 0..n {
                    let sum = u128::from(u[i + j]) + u128::from(v.0[i]) + carry;
                    u[i + j] = sum as u64;
                    carry = sum >> 64;
                }
                u[j + n] = u[j + n].wrapping_add(carry as u64);
            }
            q[j] = qhat as u64;
        }
        Some(U256(q))
    }

    /// Division by one limb.
    fn div_limb(self, d: u64) -> U256 {
        let d = u128::from(d);
        let mut q = [0u64; 4];
        let mut rem = 0u128;
        for i in (0..4).rev() {
            let cur = (rem << 64) | u128::from(self.0[i]);
            q[i] = (cur / d) as u64;
            rem = cur % d;
        }
        U256(q)
    }

    /// How many limbs are significant (at least 1).
    fn limbs(self) -> usize {
        (1..=4).rev().find(|&i| self.0[i - 1] != 0).unwrap_or(1)
    }

    /// `self << shift` for `shift < 64`, dropping bits shifted out of the top.
    fn shl_bits(self, shift: u32) -> U256 {
        if shift == 0 {
            return self;
        }
        let mut out = [0u64; 4];
        for i in (0..4).rev() {
            out[i] = self.0[i] << shift;
            if i > 0 {
                out[i] |= self.0[i - 1] >> (64 - shift);
            }
        }
        U256(out)
    }

    /// Floor division one bit at a time: the reference the fast division
    /// is tested against.
    #[cfg(test)]
    fn div_bitwise(self, rhs: U256) -> Option<U256> {
        if rhs.is_zero() {
            return None;
        }
        let mut quotient = U256::ZERO;
        let mut remainder = U256::ZERO;
        for bit in (0..self.bit_length()).rev() {
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
    #[cfg(test)]
    fn bit_length(self) -> usize {
        for i in (0..4).rev() {
            if self.0[i] != 0 {
                return i * 64 + 64 - self.0[i].leading_zeros() as usize;
            }
        }
        0
    }

    #[cfg(test)]
    fn bit(self, n: usize) -> bool {
        (self.0[n / 64] >> (n % 64)) & 1 == 1
    }

    #[cfg(test)]
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

    /// Limbs at the edges (zero, one, around the top bit, all ones) in
    /// every position: the cases where a quotient digit's estimate needs
    /// its corrections, which random limbs almost never reach.
    #[test]
    fn long_division_at_the_edges() {
        let edges = [0, 1, (1 << 63) - 1, 1 << 63, u64::MAX - 1, u64::MAX];
        let limb = |k: usize, i: usize| edges[(k / edges.len().pow(i as u32)) % edges.len()];
        let combos = edges.len().pow(4);
        for a in 0..combos {
            let n = U256([limb(a, 0), limb(a, 1), limb(a, 2), limb(a, 3)]);
            for b in 1..edges.len().pow(3) {
                let d = U256([limb(b, 0), limb(b, 1), limb(b, 2), 0]);
                assert_eq!(n.checked_div(d), n.div_bitwise(d), "{n:?} / {d:?}");
            }
        }
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
        fn long_division_equals_bit_by_bit_division(
            limbs in proptest::array::uniform4(any::<u64>()),
            divisor in proptest::array::uniform4(any::<u64>()),
            keep in 1usize..=4,
            zeros in 0usize..4,
        ) {
            // Divisors of every width, and numerators with runs of zero
            // limbs, where the quotient estimate needs its corrections.
            let mut d = [0u64; 4];
            d[..keep].copy_from_slice(&divisor[..keep]);
            let mut n = limbs;
            for limb in n.iter_mut().take(zeros) {
                *limb = 0;
            }
            let (n, d) = (U256(n), U256(d));
            prop_assert_eq!(n.checked_div(d), n.div_bitwise(d));
        }

        #[test]
        fn multiplication_is_exact_or_reports_overflow(
            a in proptest::array::uniform4(any::<u64>()),
            b in proptest::array::uniform4(any::<u64>()),
            keep_a in 1usize..=4,
            keep_b in 1usize..=4,
        ) {
            let (mut x, mut y) = ([0u64; 4], [0u64; 4]);
            x[..keep_a].copy_from_slice(&a[..keep_a]);
            y[..keep_b].copy_from_slice(&b[..keep_b]);
            let (x, y) = (U256(x), U256(y));
            prop_assert_eq!(x.checked_mul(y), y.checked_mul(x));
            let max = U256([u64::MAX; 4]);
            match x.checked_mul(y) {
                Some(p) if !y.is_zero() => {
                    prop_assert_eq!(p.checked_div(y), Some(x));
                }
                Some(p) => prop_assert!(p.is_zero()),
                // Overflow: x exceeds the largest value y can multiply.
                None => prop_assert!(x > max.checked_div(y).unwrap()),
            }
        }

        #[test]
        fn division_inverts_multiplication(a in any::<u128>(), b in 1u128..) {
            let p = U256::widening_mul(a, b);
            prop_assert_eq!(p.checked_div(U256::from_u128(b)).and_then(U256::to_u128), Some(a));
            prop_assert_eq!(p.checked_sub(p), Some(U256::ZERO));
        }
    }
}
