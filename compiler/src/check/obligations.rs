//! Obligations (rule 6): every loan is owed to its lender on its chain, in
//! its token, until repaid. A flash loan also owes the lender's premium,
//! rounded half up once per `borrow`, paid by the repay that closes the
//! loan; an ordinary loan owes none. Whether a loan is a flash loan is the
//! lowering's: none is at `-O0`, and at `-O` one from a lender that offers
//! flash loans may be, so the closing repay's premium is an amount between
//! nothing and what the loan's flash loans would owe
//! ([`Obligations::closing_premium`]).
//!
//! A loan is open from a `borrow` until a repay leaves nothing of its
//! principal, as the lender keeps it: a borrow of nothing still opens one,
//! and a repay once it is closed has nothing to pay back (a lender reverts
//! it).

use super::amount::format_units;
use super::names::{ChainId, Names, ProtocolId, TokenId};
use super::symbolic::{SymbolicAmount, Unknowns};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::Span;
use std::collections::{HashMap, HashSet};

#[derive(Clone, Debug)]
struct Loan {
    token: TokenId,
    /// Principal still owed.
    principal: SymbolicAmount,
    /// The borrows that opened it, in order.
    borrows: Vec<Span>,
    /// `10⁴ ×` the most premium its loans owe if they are flash loans: a
    /// bound, over 10⁴, for the premium the closing repay pays (`None`
    /// when it overflowed).
    premium_bound: Option<SymbolicAmount>,
    /// Open until a repay leaves no principal.
    open: bool,
    /// The repay that closed it, once closed.
    closed_by: Option<Span>,
}

/// What the repay that closes a loan pays beyond its principal.
pub(crate) struct ClosingPremium {
    /// Nothing, or an unknown between nothing and what the loan's flash
    /// loans owe.
    pub amount: SymbolicAmount,
    /// The most it can be, when the loan's amounts are known.
    pub most: Option<u128>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Obligations {
    /// Per (chain, lender), the loans in each token, in the order opened.
    loans: HashMap<(ChainId, ProtocolId), Vec<Loan>>,
    /// Keys in the order first opened, so that reports come out in order.
    order: Vec<(ChainId, ProtocolId)>,
    poisoned: HashSet<(ChainId, Option<ProtocolId>)>,
}

/// `10⁴ ×` the most a flash loan of `amount` owes at `bps`: exactly `10⁴
/// × flash_premium(amount)` when the amount is known, else `amount · bps +
/// 5,000` (the rounding half up adds at most half a unit).
fn premium_bound(amount: &SymbolicAmount, bps: u32) -> Option<SymbolicAmount> {
    if bps == 0 {
        return Some(SymbolicAmount::zero());
    }
    match amount.exact() {
        Some(exact) => {
            let premium = mesh_core::maths::flash_premium(exact, bps).ok()?;
            SymbolicAmount::constant(premium.checked_mul(mesh_core::maths::BPS)?)
        }
        None => amount
            .scale(i128::from(bps))?
            .add(&SymbolicAmount::constant(mesh_core::maths::BPS / 2)?),
    }
}

impl Obligations {
    pub fn poison(&mut self, chain: ChainId, protocol: Option<ProtocolId>) {
        self.poisoned.insert((chain, protocol));
    }

    fn is_poisoned(&self, chain: ChainId, protocol: ProtocolId) -> bool {
        self.poisoned.contains(&(chain, None)) || self.poisoned.contains(&(chain, Some(protocol)))
    }

    /// A `borrow` of `amount`; `flash_bps` is the premium it owes if it is
    /// taken as a flash loan (0 where it cannot be one).
    #[allow(clippy::too_many_arguments)]
    pub fn borrow(
        &mut self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        amount: &SymbolicAmount,
        flash_bps: u32,
        span: Span,
        unknowns: &mut Unknowns,
    ) {
        let premium = premium_bound(amount, flash_bps);
        let key = (chain, protocol);
        let loans = self.loans.entry(key).or_default();
        if loans.is_empty() {
            self.order.push(key);
        }
        match loans.iter_mut().find(|l| l.token == token) {
            Some(loan) => {
                if !loan.open {
                    // A loan repaid in full and borrowed again is a new one.
                    loan.borrows.clear();
                    loan.open = true;
                    loan.closed_by = None;
                    loan.premium_bound = Some(SymbolicAmount::zero());
                }
                loan.premium_bound = loan
                    .premium_bound
                    .as_ref()
                    .zip(premium)
                    .and_then(|(a, b)| a.add(&b));
                loan.principal = match loan.principal.add(amount) {
                    Some(f) => unknowns.bounded(f),
                    None => {
                        let lower = unknowns.lower_bound(&loan.principal);
                        SymbolicAmount::unknown(unknowns.fresh(lower, None))
                    }
                };
                loan.borrows.push(span);
            }
            None => loans.push(Loan {
                token,
                principal: amount.clone(),
                borrows: vec![span],
                premium_bound: premium,
                open: true,
                closed_by: None,
            }),
        }
    }

    /// Whether a loan of `token` from the lender is open (a `repay` then
    /// pays it back).
    pub fn is_open(&self, chain: ChainId, protocol: ProtocolId, token: TokenId) -> bool {
        self.loans
            .get(&(chain, protocol))
            .is_some_and(|loans| loans.iter().any(|l| l.token == token && l.open))
    }

    /// Pays back `amount` of principal; reports a repay in another token
    /// (E0305) or of more than is provably owed (E0602).
    #[allow(clippy::too_many_arguments)]
    pub fn repay(
        &mut self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        amount: &SymbolicAmount,
        span: Span,
        unknowns: &mut Unknowns,
        names: &Names<'_>,
    ) -> Option<Diagnostic> {
        if self.is_poisoned(chain, protocol) {
            return None;
        }
        let name = names.protocol_name(protocol);
        let chain_name = names.chain_name(chain);
        let symbol = names.symbol(token);
        // Another open loan from the same lender, in another token.
        let other = self.loans.get(&(chain, protocol)).and_then(|loans| {
            loans
                .iter()
                .find(|l| l.token != token && l.open)
                .map(|l| (l.token, l.borrows.first().copied()))
        });
        let loan = self
            .loans
            .get_mut(&(chain, protocol))
            .and_then(|l| l.iter_mut().find(|l| l.token == token));
        let closed_by = loan.as_ref().and_then(|l| l.closed_by);
        let Some(loan) = loan.filter(|l| l.open) else {
            if let Some((other_token, borrow)) = other {
                let owed = names.symbol(other_token);
                let mut d = Diagnostic::error(
                    Code::RepayWrongToken,
                    format!(
                        "repay in {symbol}, but the loan from {name} on {chain_name} is in {owed}"
                    ),
                    Label::new(span, format!("this repays {symbol}")),
                )
                .with_hint(format!("repay {owed}; swap into {owed} first if need be"));
                if let Some(borrow) = borrow {
                    d = d.with_label(Label::new(
                        borrow,
                        format!("the loan in {owed} is taken here"),
                    ));
                }
                return Some(d);
            }
            if let Some(closed_by) = closed_by {
                return Some(
                    Diagnostic::error(
                        Code::RepayMoreThanOwed,
                        format!("nothing more is owed to {name} on {chain_name}"),
                        Label::new(span, format!("this repays {symbol} after the loan is closed")),
                    )
                    .with_label(Label::new(closed_by, "this repay leaves nothing owed, and closes the loan"))
                    .with_hint("once nothing is owed the lender holds no loan to pay back, and a repay reverts; drop this one, or borrow again before it"),
                );
            }
            return Some(
                Diagnostic::error(
                    Code::RepayMoreThanOwed,
                    format!("nothing is owed to {name} on {chain_name}"),
                    Label::new(span, format!("this repays {symbol} that was never borrowed")),
                )
                .with_hint(format!(
                    "a repay pays back a `borrow ... from {name}` on the same chain, earlier in the bundle; to repay a debt the user owed before the bundle, state it first: `assume debt N {symbol} at {name}`"
                )),
            );
        };
        let rest = loan.principal.sub(amount);
        let covered = rest
            .as_ref()
            .is_some_and(|r| unknowns.guaranteed_non_negative(r));
        if covered {
            loan.principal = rest.map(|r| unknowns.bounded(r)).unwrap_or_default();
            if loan.principal.is_zero() {
                loan.open = false;
                loan.closed_by = Some(span);
            }
            return None;
        }
        let decimals = names.decimals(token);
        let units = |f: &SymbolicAmount| match f.exact() {
            Some(v) => format!("{} {symbol}", format_units(v, decimals)),
            None => format!(
                "at least {} {symbol}",
                format_units(unknowns.lower_bound(f), decimals)
            ),
        };
        let owed = if loan.principal.is_zero() {
            format!("0 {symbol}")
        } else {
            units(&loan.principal)
        };
        let mut d = Diagnostic::error(
            Code::RepayMoreThanOwed,
            format!("repay of more than is owed to {name} on {chain_name}"),
            Label::new(span, format!("this repays {}", units(amount))),
        )
        .with_hint(format!(
            "the principal owed here is {owed}; repay at most that (the premium is added by the repay itself)"
        ));
        for &borrow in &loan.borrows {
            d = d.with_label(Label::new(borrow, "the loan is taken here"));
        }
        // Reported: the loan is judged no further.
        loan.principal = SymbolicAmount::zero();
        loan.open = false;
        Some(d)
    }

    /// The premium paid by the repay at `span`, when it closed its loan:
    /// between nothing (an ordinary loan) and what the loan's flash loans
    /// owe; `None` when the repay leaves the loan open.
    pub fn closing_premium(
        &self,
        chain: ChainId,
        protocol: ProtocolId,
        token: TokenId,
        span: Span,
        unknowns: &mut Unknowns,
    ) -> Option<ClosingPremium> {
        let loan = self
            .loans
            .get(&(chain, protocol))?
            .iter()
            .find(|l| l.token == token && l.closed_by == Some(span))?;
        let most = loan
            .premium_bound
            .as_ref()
            .and_then(SymbolicAmount::exact)
            .map(|b| b / mesh_core::maths::BPS);
        let amount = match &loan.premium_bound {
            Some(bound) if bound.is_zero() => SymbolicAmount::zero(),
            bound => SymbolicAmount::unknown(
                unknowns.fresh(0, bound.clone().map(|b| (b, mesh_core::maths::BPS))),
            ),
        };
        Some(ClosingPremium { amount, most })
    }

    /// Every loan still open at the end of the bundle (E0601).
    pub fn finish(&self, unknowns: &mut Unknowns, names: &Names<'_>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for key in &self.order {
            let (chain, protocol) = *key;
            if self.is_poisoned(chain, protocol) {
                continue;
            }
            let Some(loans) = self.loans.get(key) else {
                continue;
            };
            for loan in loans.iter().filter(|l| l.open) {
                let Some((&first, rest)) = loan.borrows.split_first() else {
                    continue;
                };
                let symbol = names.symbol(loan.token);
                let decimals = names.decimals(loan.token);
                let name = names.protocol_name(protocol);
                let chain_name = names.chain_name(chain);
                let owed = match loan.principal.exact() {
                    Some(0) => format!(
                        "a borrow opens a loan even of nothing, and only a repay closes it: drop the borrow, which moves nothing, or close the loan with `repay 0 {symbol} to {name}` on {chain_name}"
                    ),
                    Some(p) => format!(
                        "{} {symbol} are still owed; repay them with `repay {} {symbol} to {name}` on {chain_name} before the bundle ends (a flash loan's premium is paid with the repay that closes it)",
                        format_units(p, decimals),
                        format_units(p, decimals),
                    ),
                    None => format!(
                        "what is repaid cannot be shown to equal what was borrowed; at least {} {symbol} may still be owed: repay exactly the borrowed amount (bind it with `let` and repay that value)",
                        format_units(unknowns.lower_bound(&loan.principal), decimals)
                    ),
                };
                let mut d = Diagnostic::error(
                    Code::UnrepaidLoan,
                    format!("loan of {symbol} from {name} on {chain_name} is not repaid"),
                    Label::new(first, "this loan is still open when the bundle ends"),
                )
                .with_hint(owed);
                for &span in rest {
                    d = d.with_label(Label::new(span, "more is borrowed here"));
                }
                out.push(d);
            }
        }
        out
    }
}
