//! Symbolic amounts: linear forms `c + Σ aᵢ·vᵢ` in base units over values
//! the checker knows only by bounds (a swap's output, a bridge's arrival of
//! an amount that is not known exactly, a scaled amount).
//!
//! Every value `v` has a guaranteed lower bound and may have an upper bound
//! `v ≤ F / d` (a bridge delivers no more than it was sent; `floor(x * 1.5)`
//! is at most `15·x / 10`). A form is guaranteed non-negative when, after
//! replacing values with negative coefficients by their upper bounds, every
//! coefficient is non-negative and the form is non-negative at the lower
//! bounds. All arithmetic is checked; an overflow makes a guarantee fail
//! (never hold by accident).

/// A symbolic value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Sym(pub u32);

/// `constant + Σ coefficient·value`, terms sorted by value, no zero
/// coefficients.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Form {
    pub constant: i128,
    pub terms: Vec<(Sym, i128)>,
}

/// Forms with more terms than this are collapsed into one fresh value with
/// the same lower bound, so that the analysis stays linear in the size of
/// the bundle (documented in docs/checking.md).
pub(crate) const MAX_TERMS: usize = 32;

/// How many upper-bound substitutions one guarantee may use.
const MAX_SUBSTITUTIONS: usize = 16;

impl Form {
    pub fn zero() -> Form {
        Form::default()
    }

    /// An exact amount, or `None` beyond the range the checker tracks
    /// (2^127 − 1 base units).
    pub fn constant(value: u128) -> Option<Form> {
        Some(Form {
            constant: i128::try_from(value).ok()?,
            terms: Vec::new(),
        })
    }

    pub fn symbol(sym: Sym) -> Form {
        Form {
            constant: 0,
            terms: vec![(sym, 1)],
        }
    }

    /// The exact value, when the form has no symbolic part.
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
    pub fn add_scaled(&self, other: &Form, k: i128) -> Option<Form> {
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
        Some(Form { constant, terms })
    }

    pub fn add(&self, other: &Form) -> Option<Form> {
        self.add_scaled(other, 1)
    }

    pub fn sub(&self, other: &Form) -> Option<Form> {
        self.add_scaled(other, -1)
    }

    pub fn scale(&self, k: i128) -> Option<Form> {
        Form::zero().add_scaled(self, k)
    }

    fn without(&self, sym: Sym) -> Form {
        Form {
            constant: self.constant,
            terms: self
                .terms
                .iter()
                .copied()
                .filter(|&(s, _)| s != sym)
                .collect(),
        }
    }
}

#[derive(Clone, Debug)]
struct SymInfo {
    lower: u128,
    /// `value ≤ form / denominator`.
    upper: Option<(Form, u128)>,
}

/// The values of one bundle and their bounds.
#[derive(Clone, Debug, Default)]
pub(crate) struct Symbols {
    infos: Vec<SymInfo>,
}

impl Symbols {
    pub fn fresh(&mut self, lower: u128, upper: Option<(Form, u128)>) -> Sym {
        let sym = Sym(u32::try_from(self.infos.len()).unwrap_or(u32::MAX));
        self.infos.push(SymInfo { lower, upper });
        sym
    }

    fn lower_of(&self, sym: Sym) -> u128 {
        self.infos.get(sym.0 as usize).map_or(0, |i| i.lower)
    }

    /// The guaranteed lower bound of a form's value. Amounts are never
    /// negative at run time (a negative one reverts), so 0 is always a bound;
    /// a form with a negative coefficient has no better one here.
    pub fn lower_bound(&self, form: &Form) -> u128 {
        if form.terms.iter().any(|&(_, a)| a < 0) {
            return 0;
        }
        match self.value_at_lower_bounds(form) {
            Some(v) => u128::try_from(v).unwrap_or(0),
            // Only a positive sum can overflow when every coefficient is
            // positive and the constant is the sole negative part.
            None => 0,
        }
    }

    fn value_at_lower_bounds(&self, form: &Form) -> Option<i128> {
        let mut value = form.constant;
        for &(sym, a) in &form.terms {
            let lower = i128::try_from(self.lower_of(sym)).unwrap_or(i128::MAX);
            value = value.checked_add(a.checked_mul(lower)?)?;
        }
        Some(value)
    }

    /// Whether the form's value is guaranteed to be at least zero.
    pub fn guaranteed_non_negative(&self, form: &Form) -> bool {
        let mut form = form.clone();
        for _ in 0..MAX_SUBSTITUTIONS {
            let negative = form.terms.iter().copied().find(|&(sym, a)| {
                a < 0
                    && self
                        .infos
                        .get(sym.0 as usize)
                        .is_some_and(|i| i.upper.is_some())
            });
            let Some((sym, a)) = negative else { break };
            let Some((upper, denominator)) = self
                .infos
                .get(sym.0 as usize)
                .and_then(|i| i.upper.as_ref())
            else {
                break;
            };
            // a < 0 and sym ≤ upper / d, so d·(form − a·sym) + a·upper ≤ d·form.
            let Ok(d) = i128::try_from(*denominator) else {
                return false;
            };
            let next = form
                .without(sym)
                .scale(d)
                .and_then(|f| f.add_scaled(upper, a));
            match next {
                Some(next) => form = next,
                None => return false,
            }
        }
        form.terms.iter().all(|&(_, a)| a >= 0)
            && self.value_at_lower_bounds(&form).is_some_and(|v| v >= 0)
    }

    /// Replaces a form that grew too long by one fresh value with the same
    /// lower bound.
    pub fn bounded(&mut self, form: Form) -> Form {
        if form.terms.len() <= MAX_TERMS {
            return form;
        }
        let lower = self.lower_bound(&form);
        Form::symbol(self.fresh(lower, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: u128) -> Form {
        Form::constant(v).unwrap_or_default()
    }

    #[test]
    fn exact_spending_of_a_symbolic_holding() {
        let mut symbols = Symbols::default();
        let x = Form::symbol(symbols.fresh(2_000, None));
        // Holding x; spend x − 5, then 5.
        let spend = x.sub(&c(5)).unwrap_or_default();
        let left = x.sub(&spend).unwrap_or_default();
        assert!(symbols.guaranteed_non_negative(&left));
        assert_eq!(left.as_constant(), Some(5));
        let rest = left.sub(&c(5)).unwrap_or_default();
        assert!(rest.is_zero());
        // Spending 6 from 5 is not guaranteed.
        assert!(!symbols.guaranteed_non_negative(&left.sub(&c(6)).unwrap_or_default()));
    }

    #[test]
    fn lower_bounds_and_negative_coefficients() {
        let mut symbols = Symbols::default();
        let x = Form::symbol(symbols.fresh(10, None));
        let y = Form::symbol(symbols.fresh(3, None));
        let d = x.sub(&y).unwrap_or_default();
        assert_eq!(symbols.lower_bound(&d), 0);
        assert!(!symbols.guaranteed_non_negative(&d));
        assert_eq!(symbols.lower_bound(&x.add(&y).unwrap_or_default()), 13);
    }

    #[test]
    fn upper_bounds_prove_scaled_spends() {
        let mut symbols = Symbols::default();
        let xs = symbols.fresh(100, None);
        let x = Form::symbol(xs);
        // half = floor(x / 2) ≤ x / 2
        let half = Form::symbol(symbols.fresh(50, Some((x.clone(), 2))));
        assert!(symbols.guaranteed_non_negative(&x.sub(&half).unwrap_or_default()));
        // Two halves fit, three do not (nothing says x ≥ 3·x/2).
        let two = x.sub(&half).and_then(|f| f.sub(&half)).unwrap_or_default();
        assert!(symbols.guaranteed_non_negative(&two));
        let three = two.sub(&half).unwrap_or_default();
        assert!(!symbols.guaranteed_non_negative(&three));
    }

    #[test]
    fn overflow_never_guarantees() {
        let symbols = Symbols::default();
        let big = Form {
            constant: i128::MAX,
            terms: Vec::new(),
        };
        assert!(big.add(&big).is_none());
        assert!(Form::constant(u128::MAX).is_none());
        assert!(symbols.guaranteed_non_negative(&big));
    }

    #[test]
    fn long_forms_collapse() {
        let mut symbols = Symbols::default();
        let mut form = Form::zero();
        for _ in 0..(MAX_TERMS + 5) {
            let s = Form::symbol(symbols.fresh(1, None));
            form = form.add(&s).unwrap_or_default();
        }
        let collapsed = symbols.bounded(form);
        assert_eq!(collapsed.terms.len(), 1);
        assert_eq!(symbols.lower_bound(&collapsed), (MAX_TERMS + 5) as u128);
    }
}
