//! Holdings (rule 5): what the bundle is guaranteed to hold of each token on
//! each chain, as a symbolic amount, and the overdraft check on every spend.

use super::amount::format_units;
use super::names::{ChainId, Names, TokenId};
use super::symbolic::{SymbolicAmount, Unknowns};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::Span;
use std::collections::{HashMap, HashSet};

/// What put funds into a holding or took them out, for the labels of an
/// overdraft.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Input,
    Borrow,
    Withdraw,
    Swap { bounded: bool },
    Bridge,
    Wrap,
}

#[derive(Clone, Copy, Debug)]
struct Event {
    span: Span,
    source: Option<Source>,
    exact: Option<u128>,
    lower: u128,
}

/// How many recent credits an overdraft points at.
const CREDITS_KEPT: usize = 2;

#[derive(Clone, Debug, Default)]
struct Holding {
    amount: SymbolicAmount,
    credits: Vec<Event>,
    last_spend: Option<Event>,
    /// A step with an error touched it: nothing is proved about it any more.
    poisoned: bool,
}

/// A spend: its total and, for a repay that may pay a flash loan's
/// premium, the most that premium can be when the principal is known
/// exactly (`Some(None)` otherwise).
pub(crate) struct Spend<'a> {
    pub total: &'a SymbolicAmount,
    pub premium: Option<Option<u128>>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Holdings {
    map: HashMap<(ChainId, TokenId), Holding>,
    poisoned_chains: HashSet<ChainId>,
}

impl Holdings {
    /// The current amount of a holding (zero if never touched).
    pub fn amount(&self, chain: ChainId, token: TokenId) -> SymbolicAmount {
        self.map
            .get(&(chain, token))
            .map(|h| h.amount.clone())
            .unwrap_or_default()
    }

    pub fn is_poisoned(&self, chain: ChainId, token: TokenId) -> bool {
        self.poisoned_chains.contains(&chain)
            || self.map.get(&(chain, token)).is_some_and(|h| h.poisoned)
    }

    /// Stops proving anything about one holding (`Some(token)`) or every
    /// holding of a chain (`None`), after a step there had an error.
    pub fn poison(&mut self, chain: ChainId, token: Option<TokenId>) {
        match token {
            Some(token) => self.map.entry((chain, token)).or_default().poisoned = true,
            None => {
                self.poisoned_chains.insert(chain);
            }
        }
    }

    pub fn credit(
        &mut self,
        chain: ChainId,
        token: TokenId,
        amount: &SymbolicAmount,
        source: Source,
        span: Span,
        unknowns: &mut Unknowns,
    ) {
        let holding = self.map.entry((chain, token)).or_default();
        let sum = match holding.amount.add(amount) {
            Some(sum) => sum,
            // Beyond what the checker tracks: keep a sound lower bound.
            None => {
                let lower = unknowns
                    .lower_bound(&holding.amount)
                    .max(unknowns.lower_bound(amount));
                SymbolicAmount::unknown(unknowns.fresh(lower, None))
            }
        };
        holding.amount = unknowns.bounded(sum);
        if holding.credits.len() == CREDITS_KEPT {
            holding.credits.remove(0);
        }
        holding.credits.push(Event {
            span,
            source: Some(source),
            exact: amount.exact(),
            lower: unknowns.lower_bound(amount),
        });
    }

    /// Takes `spend` from a holding. If the bundle is not guaranteed to hold
    /// that much there, returns the overdraft (E0501) and leaves the holding
    /// at zero, so that one shortfall is reported once.
    pub fn spend(
        &mut self,
        chain: ChainId,
        token: TokenId,
        spend: &Spend<'_>,
        unknowns: &mut Unknowns,
        names: &Names<'_>,
    ) -> Option<Diagnostic> {
        let chain_poisoned = self.poisoned_chains.contains(&chain);
        let holding = self.map.entry((chain, token)).or_default();
        let event = Event {
            span: spend.span,
            source: None,
            exact: spend.total.exact(),
            lower: unknowns.lower_bound(spend.total),
        };
        let rest = holding.amount.sub(spend.total);
        let guaranteed = rest
            .as_ref()
            .is_some_and(|r| unknowns.guaranteed_non_negative(r));
        let mut diagnostic = None;
        if guaranteed || holding.poisoned || chain_poisoned {
            holding.amount = match rest {
                Some(rest) => unknowns.bounded(rest),
                None => SymbolicAmount::zero(),
            };
        } else {
            diagnostic = Some(overdraft(holding, chain, token, spend, unknowns, names));
            holding.amount = SymbolicAmount::zero();
        }
        holding.last_spend = Some(event);
        diagnostic
    }

    /// The guaranteed lower bound and exact value of a holding.
    pub fn bounds(
        &self,
        chain: ChainId,
        token: TokenId,
        unknowns: &Unknowns,
    ) -> (u128, Option<u128>) {
        match self.map.get(&(chain, token)) {
            Some(h) => (unknowns.lower_bound(&h.amount), h.amount.exact()),
            None => (0, Some(0)),
        }
    }
}

fn describe(exact: Option<u128>, lower: u128, decimals: u8, symbol: &str) -> String {
    match exact {
        Some(v) => format!("{} {symbol}", format_units(v, decimals)),
        None => format!("at least {} {symbol}", format_units(lower, decimals)),
    }
}

fn overdraft(
    holding: &Holding,
    chain: ChainId,
    token: TokenId,
    spend: &Spend<'_>,
    unknowns: &Unknowns,
    names: &Names<'_>,
) -> Diagnostic {
    let symbol = names.symbol(token);
    let decimals = names.decimals(token);
    let chain_name = names.chain_name(chain);
    let units = |v: u128| format!("{} {symbol}", format_units(v, decimals));
    let at_least = unknowns.lower_bound(spend.total);
    let needed = match (spend.total.exact(), spend.premium) {
        (Some(v), _) => units(v),
        (None, Some(Some(most))) => format!(
            "up to {} (at least {})",
            units(at_least.saturating_add(most)),
            units(at_least)
        ),
        (None, _) => format!(
            "an amount not known in advance (at least {})",
            units(at_least)
        ),
    };
    let takes = match spend.premium {
        Some(Some(most)) => format!(
            "this takes {} and, as a flash loan's premium, up to {}",
            units(at_least),
            units(most)
        ),
        Some(None) => format!(
            "this takes at least {} and, as a flash loan's premium, more",
            units(at_least)
        ),
        None => format!("this takes {needed}"),
    };
    let held = unknowns.lower_bound(&holding.amount);
    let mut d = Diagnostic::error(
        Code::PossibleOverdraft,
        format!("possible overdraft of {symbol} on {chain_name}"),
        Label::new(spend.span, takes),
    );
    let mut events: Vec<Event> = holding.credits.clone();
    if let Some(last) = holding.last_spend {
        events.push(last);
    }
    events.sort_by_key(|e| e.span.start);
    for event in &events {
        let what = describe(event.exact, event.lower, decimals, symbol);
        let message = match event.source {
            None => format!("this already took {what}"),
            Some(Source::Bridge) => format!("this delivers {what} here"),
            Some(Source::Swap { bounded: false }) => {
                "this unbounded swap guarantees nothing".to_string()
            }
            Some(_) => format!("this provides {what}"),
        };
        d = d.with_label(Label::new(event.span, message));
    }
    let mut hint = format!(
        "the bundle is guaranteed to hold {} on {chain_name} here, and this needs {needed}",
        units(held)
    );
    if events.is_empty() {
        hint.push_str(&format!(
            "; nothing puts {symbol} on {chain_name} before this step: add an `input`, or `bridge` it here"
        ));
    } else if holding
        .credits
        .iter()
        .any(|e| e.source == Some(Source::Swap { bounded: false }))
    {
        hint.push_str(&format!("; bound the swap, as in `for 100 {symbol}`"));
    } else if holding
        .credits
        .iter()
        .any(|e| e.source == Some(Source::Bridge))
    {
        hint.push_str(&format!(
            "; spend what arrived: bind it with `let` and spend that value, or spend `all {symbol}`"
        ));
    } else {
        hint.push_str("; spend less, or provide more before this step");
    }
    d.with_hint(hint)
}
