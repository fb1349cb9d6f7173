//! Symbolic amounts: what the checker knows of an amount, as a linear form
//! `c + Σ aᵢ·uᵢ` in base units over unknowns — amounts not known when the
//! bundle is written, known only by their bounds (a swap's output, a
//! bridge's arrival of an amount that is not known exactly, a scaled
//! amount).
//!
//! Every unknown `u` has a guaranteed lower bound and may have an upper
//! bound `u ≤ F / d` (a bridge delivers no more than it was sent;
//! `floor(x * 1.5)` is at most `15·x / 10`). A symbolic amount is
//! guaranteed non-negative when, after replacing the unknowns with negative
//! coefficients by their upper bounds, every coefficient is non-negative and
//! the amount is non-negative at the lower bounds. All arithmetic is
//! checked; an overflow makes a guarantee fail (never hold by accident).
//!
//! The same expression over the same amounts denotes the same value: a
//! scaled amount (`x / 2`) is numbered by what it is computed from, so
//! that `x / 2` written twice is one unknown and `x - x / 2` spends exactly
//! what `x / 2` left.

use std::collections::HashMap;

/// An unknown: an amount the checker knows only by its bounds, numbered
/// within its bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Unknown(pub u32);

/// An amount in base units as `constant + Σ coefficient·unknown`, terms
/// sorted by unknown, no zero coefficients.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct SymbolicAmount {
    pub constant: i128,
    pub terms: Vec<(Unknown, i128)>,
}

/// Amounts with more terms than this are collapsed into one fresh unknown
/// with the same lower bound, so that the analysis stays linear in the size of
/// the bundle (documented in docs/checking.md).
pub(crate) const MAX_TERMS: usize = 32;

/// How many upper-bound substitutions one guarantee may use.
const MAX_SUBSTITUTIONS: usize = 16;

impl SymbolicAmount {
    pub fn zero() -> SymbolicAmount {
        SymbolicAmount::default()
    }

    /// An exact amount, or `None` beyond the range the checker tracks
    /// (2^127 − 1 base units).
    pub fn constant(value: u128) -> Option<SymbolicAmount> {
        Some(SymbolicAmount {
            constant: i128::try_from(value).ok()?,
            terms: Vec::new(),
        })
    }

    pub fn unknown(unknown: Unknown) -> SymbolicAmount {
        SymbolicAmount {
            constant: 0,
            terms: vec![(unknown, 1)],
        }
    }

    /// The exact value, when it has no unknown.
    pub fn as_constant(&self) -> Option<i128> {
        self.terms.is_empty().then_some(self.constant)
    }

    /// The exact value in base units, when known and not negative.
    pub fn exact(&self) -> Option<u128> {
        self.as_constant().and_then(|c| u128::try_from(c).ok())
    }

    pub fn is_zero(&self) -> bool {
        self.terms.is_empty() && self.constant == 0
    }

    /// `self + k·other`.
    pub fn add_scaled(&self, other: &SymbolicAmount, k: i128) -> Option<SymbolicAmount> {
        let constant = self.constant.checked_add(other.constant.checked_mul(k)?)?;
        let mut terms = Vec::with_capacity(self.terms.len() + other.terms.len());
        let (mut i, mut j) = (0, 0);
        while i < self.terms.len() || j < other.terms.len() {
            let left = self.terms.get(i);
            let right = other.terms.get(j);
            match (left, right) {
                (Some(&(s, a)), Some(&(t, b))) if s == t => {
                    let c = a.checked_add(b.checked_mul(k)?)?;
                    if c != 0 {
                        terms.push((s, c));
                    }
                    i += 1;
                    j += 1;
                }
                (Some(&(s, a)), Some(&(t, _))) if s < t => {
                    terms.push((s, a));
                    i += 1;
                }
                (Some(&(s, a)), None) => {
                    terms.push((s, a));
                    i += 1;
                }
                (_, Some(&(t, b))) => {
                    let c = b.checked_mul(k)?;
                    if c != 0 {
                        terms.push((t, c));
                    }
                    j += 1;
                }
                (None, None) => break,
            }
        }
        Some(SymbolicAmount { constant, terms })
    }

    pub fn add(&self, other: &SymbolicAmount) -> Option<SymbolicAmount> {
        self.add_scaled(other, 1)
    }

    pub fn sub(&self, other: &SymbolicAmount) -> Option<SymbolicAmount> {
        self.add_scaled(other, -1)
    }

    pub fn scale(&self, k: i128) -> Option<SymbolicAmount> {
        SymbolicAmount::zero().add_scaled(self, k)
    }

    fn without(&self, unknown: Unknown) -> SymbolicAmount {
        SymbolicAmount {
            constant: self.constant,
            terms: self
                .terms
                .iter()
                .copied()
                .filter(|&(u, _)| u != unknown)
                .collect(),
        }
    }
}

#[derive(Clone, Debug)]
struct UnknownBounds {
    lower: u128,
    /// `unknown ≤ amount / denominator`.
    upper: Option<(SymbolicAmount, u128)>,
}

/// What an unknown computed from other amounts is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Derivation {
    /// `floor(amount · numerator / denominator)`.
    Scaled {
        amount: SymbolicAmount,
        numerator: u128,
        denominator: u128,
    },
}

/// The unknowns of one bundle and their bounds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Unknowns {
    bounds: Vec<UnknownBounds>,
    /// The unknown of each computed amount, by what it is computed from.
    derived: HashMap<Derivation, Unknown>,
}

impl Unknowns {
    pub fn fresh(&mut self, lower: u128, upper: Option<(SymbolicAmount, u128)>) -> Unknown {
        let unknown = Unknown(u32::try_from(self.bounds.len()).unwrap_or(u32::MAX));
        self.bounds.push(UnknownBounds { lower, upper });
        unknown
    }

    /// `floor(amount · numerator / denominator)` of an amount that is not
    /// known exactly (`denominator` is not zero): the same unknown for the
    /// same amount and factor.
    pub fn scaled(
        &mut self,
        amount: &SymbolicAmount,
        numerator: u128,
        denominator: u128,
    ) -> Unknown {
        let derivation = Derivation::Scaled {
            amount: amount.clone(),
            numerator,
            denominator,
        };
        if let Some(&unknown) = self.derived.get(&derivation) {
            return unknown;
        }
        let lower = self
            .lower_bound(amount)
            .checked_mul(numerator)
            .map_or(0, |p| p / denominator.max(1));
        let upper = i128::try_from(numerator)
            .ok()
            .and_then(|k| amount.scale(k))
            .map(|f| (f, denominator));
        let unknown = self.fresh(lower, upper);
        self.derived.insert(derivation, unknown);
        unknown
    }

    fn lower_of(&self, unknown: Unknown) -> u128 {
        self.bounds.get(unknown.0 as usize).map_or(0, |i| i.lower)
    }

    /// The guaranteed lower bound of an amount. Amounts are never
    /// negative at run time (a negative one reverts), so 0 is always a
    /// bound; an unknown with a negative coefficient is taken at its upper
    /// bound, and with no upper bound there is no better one.
    pub fn lower_bound(&self, amount: &SymbolicAmount) -> u128 {
        let Some((amount, scale)) = self.at_upper_bounds(amount) else {
            return 0;
        };
        if amount.terms.iter().any(|&(_, a)| a < 0) {
            return 0;
        }
        match self.value_at_lower_bounds(&amount) {
            Some(v) if v > 0 => u128::try_from(v / scale).unwrap_or(0),
            // Only a positive sum can overflow when every coefficient is
            // positive and the constant is the sole negative part.
            _ => 0,
        }
    }

    fn value_at_lower_bounds(&self, amount: &SymbolicAmount) -> Option<i128> {
        let mut value = amount.constant;
        for &(unknown, a) in &amount.terms {
            let lower = i128::try_from(self.lower_of(unknown)).unwrap_or(i128::MAX);
            value = value.checked_add(a.checked_mul(lower)?)?;
        }
        Some(value)
    }

    /// `amount` with each unknown of a negative coefficient replaced by its
    /// upper bound, as a form `f` and a scale `d > 0` with `f ≤ d·amount`
    /// (`None` on overflow).
    fn at_upper_bounds(&self, amount: &SymbolicAmount) -> Option<(SymbolicAmount, i128)> {
        let mut amount = amount.clone();
        let mut scale: i128 = 1;
        for _ in 0..MAX_SUBSTITUTIONS {
            let negative = amount.terms.iter().copied().find(|&(unknown, a)| {
                a < 0
                    && self
                        .bounds
                        .get(unknown.0 as usize)
                        .is_some_and(|i| i.upper.is_some())
            });
            let Some((unknown, a)) = negative else { break };
            let (upper, denominator) = self
                .bounds
                .get(unknown.0 as usize)
                .and_then(|i| i.upper.as_ref())?;
            // a < 0 and u ≤ upper / d, so d·(amount − a·u) + a·upper ≤ d·amount.
            let d = i128::try_from(*denominator).ok()?;
            amount = amount
                .without(unknown)
                .scale(d)
                .and_then(|f| f.add_scaled(upper, a))?;
            scale = scale.checked_mul(d)?;
        }
        Some((amount, scale))
    }

    /// Whether the amount is guaranteed to be at least zero.
    pub fn guaranteed_non_negative(&self, amount: &SymbolicAmount) -> bool {
        let Some((amount, _)) = self.at_upper_bounds(amount) else {
            return false;
        };
        amount.terms.iter().all(|&(_, a)| a >= 0)
            && self.value_at_lower_bounds(&amount).is_some_and(|v| v >= 0)
    }

    /// Replaces an amount that grew too long by one fresh unknown with the same
    /// lower bound.
    pub fn bounded(&mut self, amount: SymbolicAmount) -> SymbolicAmount {
        if amount.terms.len() <= MAX_TERMS {
            return amount;
        }
        let lower = self.lower_bound(&amount);
        SymbolicAmount::unknown(self.fresh(lower, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_expression_over_the_same_amount_is_one_unknown() {
        let mut unknowns = Unknowns::default();
        let x = SymbolicAmount::unknown(unknowns.fresh(100, None));
        let half = unknowns.scaled(&x, 1, 2);
        assert_eq!(unknowns.scaled(&x, 1, 2), half);
        assert_ne!(unknowns.scaled(&x, 1, 3), half);
        // x/2 then x − x/2 spend exactly x.
        let half = SymbolicAmount::unknown(half);
        let rest = x.sub(&half).and_then(|r| r.sub(&x.sub(&half)?));
        assert_eq!(rest, Some(SymbolicAmount::zero()));
        // Another amount with the same bounds is another value.
        let y = SymbolicAmount::unknown(unknowns.fresh(100, None));
        assert_ne!(
            unknowns.scaled(&y, 1, 2),
            unknowns.scaled(&x, 1, 2),
            "y is not x"
        );
    }

    fn c(v: u128) -> SymbolicAmount {
        SymbolicAmount::constant(v).unwrap_or_default()
    }

    #[test]
    fn exact_spending_of_a_symbolic_holding() {
        let mut unknowns = Unknowns::default();
        let x = SymbolicAmount::unknown(unknowns.fresh(2_000, None));
        // Holding x; spend x − 5, then 5.
        let spend = x.sub(&c(5)).unwrap_or_default();
        let left = x.sub(&spend).unwrap_or_default();
        assert!(unknowns.guaranteed_non_negative(&left));
        assert_eq!(left.as_constant(), Some(5));
        let rest = left.sub(&c(5)).unwrap_or_default();
        assert!(rest.is_zero());
        // Spending 6 from 5 is not guaranteed.
        assert!(!unknowns.guaranteed_non_negative(&left.sub(&c(6)).unwrap_or_default()));
    }

    #[test]
    fn lower_bounds_and_negative_coefficients() {
        let mut unknowns = Unknowns::default();
        let x = SymbolicAmount::unknown(unknowns.fresh(10, None));
        let y = SymbolicAmount::unknown(unknowns.fresh(3, None));
        let d = x.sub(&y).unwrap_or_default();
        assert_eq!(unknowns.lower_bound(&d), 0);
        assert!(!unknowns.guaranteed_non_negative(&d));
        assert_eq!(unknowns.lower_bound(&x.add(&y).unwrap_or_default()), 13);
    }

    #[test]
    fn upper_bounds_prove_scaled_spends() {
        let mut unknowns = Unknowns::default();
        let x = SymbolicAmount::unknown(unknowns.fresh(100, None));
        // half = floor(x / 2) ≤ x / 2
        let half = SymbolicAmount::unknown(unknowns.fresh(50, Some((x.clone(), 2))));
        assert!(unknowns.guaranteed_non_negative(&x.sub(&half).unwrap_or_default()));
        // Two halves fit, three do not (nothing says x ≥ 3·x/2).
        let two = x.sub(&half).and_then(|f| f.sub(&half)).unwrap_or_default();
        assert!(unknowns.guaranteed_non_negative(&two));
        let three = two.sub(&half).unwrap_or_default();
        assert!(!unknowns.guaranteed_non_negative(&three));
    }

    #[test]
    fn overflow_never_guarantees() {
        let unknowns = Unknowns::default();
        let big = SymbolicAmount {
            constant: i128::MAX,
            terms: Vec::new(),
        };
        assert!(big.add(&big).is_none());
        assert!(SymbolicAmount::constant(u128::MAX).is_none());
        assert!(unknowns.guaranteed_non_negative(&big));
    }

    #[test]
    fn long_forms_collapse() {
        let mut unknowns = Unknowns::default();
        let mut amount = SymbolicAmount::zero();
        for _ in 0..(MAX_TERMS + 5) {
            let s = SymbolicAmount::unknown(unknowns.fresh(1, None));
            amount = amount.add(&s).unwrap_or_default();
        }
        let collapsed = unknowns.bounded(amount);
        assert_eq!(collapsed.terms.len(), 1);
        assert_eq!(unknowns.lower_bound(&collapsed), (MAX_TERMS + 5) as u128);
    }
}
