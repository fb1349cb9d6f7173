//! Positions (rule 6, continued): the user's debt and collateral at a
//! lender, as far as the bundle states them. The checker reasons from what
//! a bundle says it relies on (`assume debt`, `assume collateral`), not
//! from the world's positions: the runtime checks each assumption where it
//! stands (given a world's positions, the checker also rejects an
//! assumption of more than they hold, while the bundle has not acted at
//! that lender: E0604, in `bundle`), and the checker reasons from there:
//!
//! - a repay of the user's debt (a `repay` where the bundle holds no loan
//!   of that token from that lender) pays at most what is known to be owed:
//!   the debts assumed and the loans left open as debt, less what was
//!   repaid (E0602 otherwise);
//! - a loan that needs collateral needs the bundle to have deposited or
//!   assumed some at that lender on that chain before it (E0603): a loan
//!   left open as debt, any loan from a lender that offers no flash loans,
//!   and a loan from one that does which the lowering at the level in
//!   force does not make a flash loan (every loan at `-O0`, each a
//!   transaction of its own; at `-O`, one repaid in a later transaction).
//!   The last kind is known only once the bundle is lowered: the checker
//!   lists such loans (`UnbackedLoan`) and the pipeline judges them. How
//!   much collateral is enough depends on the oracle's prices, which only
//!   the run knows: the runtime checks the position with Aave V3's
//!   formulas and reverts on the borrow's line with the figures.

use super::amount::format_units;
use super::names::{ChainId, Names, ProtocolId, TokenId};
use super::resolved::UnbackedLoan;
use super::symbolic::{SymbolicAmount, Unknowns};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::Span;
use std::collections::{HashMap, HashSet};

/// What the bundle knows the user owes one lender in one token.
#[derive(Clone, Debug)]
struct Debt {
    /// At least this much is owed.
    bound: SymbolicAmount,
    /// The statements that made it known: assumptions and loans left open.
    sources: Vec<(Span, &'static str)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Positions {
    debts: HashMap<(ChainId, ProtocolId, TokenId), Debt>,
    /// Where the bundle first deposits or assumes collateral at a lender.
    collateral: HashMap<(ChainId, ProtocolId), Span>,
    poisoned: HashSet<(ChainId, Option<ProtocolId>)>,
    /// The lenders the bundle has acted at so far: their positions may no
    /// longer be the world's.
    acted: HashSet<(ChainId, ProtocolId)>,
    /// Loans from lenders that offer flash loans, taken with no collateral
    /// put or stated before them: judged on the lowering (E0603).
    pub unbacked: Vec<UnbackedLoan>,
}

impl Positions {
    pub fn poison(&mut self, chain: ChainId, protocol: Option<ProtocolId>) {
        self.poisoned.insert((chain, protocol));
    }

    pub fn is_poisoned(&self, chain: ChainId, protocol: ProtocolId) -> bool {
        self.poisoned.contains(&(chain, None)) || self.poisoned.contains(&(chain, Some(protocol)))
    }

    /// The bundle acts at the lender (any lender action).
    pub fn act(&mut self, key: (ChainId, ProtocolId)) {
        self.acted.insert(key);
    }

    /// Whether the position at the lender is still the world's as the
    /// bundle found it: nothing of the bundle has acted there, and nothing
    /// unresolved might have.
    pub fn is_untouched(&self, chain: ChainId, protocol: ProtocolId) -> bool {
        !self.acted.contains(&(chain, protocol)) && !self.is_poisoned(chain, protocol)
    }

    /// `assume debt A at P`: from here on at least `amount` is owed (the
    /// runtime checks it where the statement stands).
    pub fn assume_debt(
        &mut self,
        key: (ChainId, ProtocolId, TokenId),
        amount: &SymbolicAmount,
        span: Span,
        unknowns: &mut Unknowns,
    ) {
        let debt = self.debts.entry(key).or_insert_with(|| Debt {
            bound: SymbolicAmount::zero(),
            sources: Vec::new(),
        });
        let already = debt
            .bound
            .sub(amount)
            .is_some_and(|rest| unknowns.guaranteed_non_negative(&rest));
        if !already {
            debt.bound = amount.clone();
        }
        debt.sources.push((span, "the debt is assumed here"));
    }

    /// `borrow A from P as debt`: the user owes `amount` more.
    pub fn borrow(
        &mut self,
        key: (ChainId, ProtocolId, TokenId),
        amount: &SymbolicAmount,
        span: Span,
        unknowns: &mut Unknowns,
    ) {
        let debt = self.debts.entry(key).or_insert_with(|| Debt {
            bound: SymbolicAmount::zero(),
            sources: Vec::new(),
        });
        debt.bound = match debt.bound.add(amount) {
            Some(sum) => unknowns.bounded(sum),
            None => {
                let lower = unknowns.lower_bound(&debt.bound);
                SymbolicAmount::unknown(unknowns.fresh(lower, None))
            }
        };
        debt.sources.push((span, "borrowed as debt here"));
    }

    /// Whether the bundle knows of a debt in `token` to the lender (a
    /// `repay` there then pays it).
    pub fn knows_debt(&self, key: (ChainId, ProtocolId, TokenId)) -> bool {
        self.debts.contains_key(&key)
    }

    /// Pays `amount` of the user's debt; E0602 unless at least that much
    /// is known to be owed.
    pub fn repay(
        &mut self,
        key: (ChainId, ProtocolId, TokenId),
        amount: &SymbolicAmount,
        span: Span,
        unknowns: &mut Unknowns,
        names: &Names<'_>,
    ) -> Option<Diagnostic> {
        let (chain, protocol, token) = key;
        if self.is_poisoned(chain, protocol) {
            return None;
        }
        let debt = self.debts.get_mut(&key)?;
        let rest = debt.bound.sub(amount);
        if let Some(rest) = rest.filter(|r| unknowns.guaranteed_non_negative(r)) {
            debt.bound = unknowns.bounded(rest);
            return None;
        }
        let symbol = names.symbol(token);
        let decimals = names.decimals(token);
        let units = |f: &SymbolicAmount, unknowns: &Unknowns| match f.exact() {
            Some(v) => format!("{} {symbol}", format_units(v, decimals)),
            None => format!(
                "at least {} {symbol}",
                format_units(unknowns.lower_bound(f), decimals)
            ),
        };
        let name = names.protocol_name(protocol);
        let chain_name = names.chain_name(chain);
        let known = match debt.bound.exact() {
            Some(v) => format!("{} {symbol}", format_units(v, decimals)),
            None => format!(
                "at least {} {symbol}",
                format_units(unknowns.lower_bound(&debt.bound), decimals)
            ),
        };
        let mut d = Diagnostic::error(
            Code::RepayMoreThanOwed,
            format!("repay of more than the bundle knows is owed to {name} on {chain_name}"),
            Label::new(span, format!("this repays {}", units(amount, unknowns))),
        )
        .with_hint(format!(
            "the bundle knows of {known} owed here; repay at most that, or, if the user owes more, state it with `assume debt N {symbol} at {name}` before the repay"
        ));
        for &(source, what) in &debt.sources {
            d = d.with_label(Label::new(source, what));
        }
        // Reported: the debt is judged no further.
        self.poison(chain, Some(protocol));
        Some(d)
    }

    /// The bundle deposits or assumes collateral at the lender.
    pub fn collateral(&mut self, key: (ChainId, ProtocolId), span: Span) {
        self.collateral.entry(key).or_insert(span);
    }

    /// Whether the bundle deposited or assumed collateral at the lender
    /// before this point.
    pub fn has_collateral(&self, key: (ChainId, ProtocolId)) -> bool {
        self.collateral.contains_key(&key)
    }
}
