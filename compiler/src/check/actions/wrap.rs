//! The native coin: `wrap A` turns the chain's native coin into the token
//! that wraps it, one for one, and `unwrap A` turns it back (WETH9's
//! `deposit` and `withdraw`); and no protocol or bridge takes the native
//! coin itself, since each takes ERC-20 tokens only (E0411).

use super::ActionOutcome;
use crate::check::amount::Site;
use crate::check::bundle::BundleChecker;
use crate::check::holdings::{Source, Spend};
use crate::check::names::{self, ChainId, TokenId};
use crate::check::resolved::StepKind;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::{Amount, Span};

/// Which way a wrap goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Direction {
    /// The native coin into the wrapped token.
    Wrap,
    /// The wrapped token back into the native coin.
    Unwrap,
}

impl Direction {
    fn keyword(self) -> &'static str {
        match self {
            Direction::Wrap => "wrap",
            Direction::Unwrap => "unwrap",
        }
    }
}

impl BundleChecker<'_, '_> {
    pub(super) fn wrap(
        &mut self,
        direction: Direction,
        amount: &Amount,
        chain: Option<ChainId>,
        keyword_span: Span,
        span: Span,
    ) -> ActionOutcome {
        let amt = self.token_amount(amount, Site::Statement(chain));
        let Some(chain) = chain else {
            return ActionOutcome::failed();
        };
        let Some(amt) = amt else {
            self.holdings.poison(chain, None);
            return ActionOutcome::failed();
        };
        let (Some(native), Some(wrapped)) =
            (self.names.native(chain), self.names.wrapped_native(chain))
        else {
            self.no_wrapped_native(direction, chain, keyword_span);
            self.holdings.poison(chain, Some(amt.token));
            return ActionOutcome::failed();
        };
        let (from, to) = match direction {
            Direction::Wrap => (native, wrapped),
            Direction::Unwrap => (wrapped, native),
        };
        if amt.token != from {
            let chain_name = self.names.chain_name(chain);
            let (symbol, from_symbol, to_symbol) = (
                self.names.symbol(amt.token),
                self.names.symbol(from),
                self.names.symbol(to),
            );
            let keyword = direction.keyword();
            let what = match direction {
                Direction::Wrap => format!("{chain_name}'s native coin, {from_symbol}"),
                Direction::Unwrap => {
                    format!("the token that wraps {chain_name}'s native coin, {from_symbol}")
                }
            };
            self.report(
                Diagnostic::error(
                    Code::NothingToWrap,
                    format!("cannot {keyword} {symbol} on {chain_name}"),
                    Label::new(amt.span, format!("this is {symbol}, not {from_symbol}")),
                )
                .with_hint(format!(
                    "`{keyword}` takes {what}, and gives {to_symbol} one for one"
                )),
            );
            self.holdings.poison(chain, Some(amt.token));
            self.holdings.poison(chain, Some(to));
            return ActionOutcome::failed();
        }
        let available = self.token_available(from, chain, amt.span)
            && self.token_available(to, chain, keyword_span);
        if !available {
            self.holdings.poison(chain, Some(from));
            self.holdings.poison(chain, Some(to));
            return ActionOutcome::failed();
        }
        self.of_nothing(direction.keyword(), &amt, chain);
        self.touch_holding(chain, from, span);
        self.touch_holding(chain, to, span);
        let spend = Spend {
            total: &amt.value,
            premium: None,
            span,
        };
        if let Some(d) = self
            .holdings
            .spend(chain, from, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        // One for one: what comes out is exactly what went in.
        let received = amt.value.clone();
        self.holdings
            .credit(chain, to, &received, Source::Wrap, span, &mut self.unknowns);
        let output_token = self.names.symbol(to).to_string();
        let amount = self.resolved(amt);
        let kind = match direction {
            Direction::Wrap => StepKind::Wrap {
                amount,
                output_token,
            },
            Direction::Unwrap => StepKind::Unwrap {
                amount,
                output_token,
            },
        };
        ActionOutcome {
            kind: Some(kind),
            value: Some((to, received)),
        }
    }

    /// E0412: `chain` has no wrapped native token in the registry.
    fn no_wrapped_native(&mut self, direction: Direction, chain: ChainId, at: Span) {
        let chain_name = self.names.chain_name(chain);
        let coin = match self.names.native(chain) {
            Some(native) => format!("{chain_name}'s native coin, {}", self.names.symbol(native)),
            None => format!("{chain_name}'s native coin"),
        };
        let able: Vec<&str> = self
            .names
            .registry
            .chains
            .iter()
            .filter(|c| c.native.is_some() && c.wrapped_native.is_some())
            .map(|c| c.name.as_str())
            .collect();
        let keyword = direction.keyword();
        self.report(
            Diagnostic::error(
                Code::NothingToWrap,
                format!("nothing to {keyword} on {chain_name}"),
                Label::new(at, format!("the registry names no token that wraps {coin}")),
            )
            .with_hint(format!(
                "`wrap` and `unwrap` work where the registry names a chain's wrapped native token: on {}",
                names::list(able)
            )),
        );
    }

    /// E0411 unless `token` is a token rather than `chain`'s native coin:
    /// `what` (an exchange, a lender, a bridge) takes ERC-20 tokens only.
    /// `gives` says the token would come out of it rather than go in.
    pub(crate) fn only_tokens(
        &mut self,
        token: TokenId,
        chain: ChainId,
        span: Span,
        what: &str,
        gives: bool,
    ) -> bool {
        if self.names.native(chain) != Some(token) {
            return true;
        }
        let chain_name = self.names.chain_name(chain);
        let symbol = self.names.symbol(token);
        let wrapped = self
            .names
            .wrapped_native(chain)
            .map(|w| self.names.symbol(w));
        let hint = match (wrapped, gives) {
            (Some(wrapped), false) => format!(
                "{what} takes ERC-20 tokens only; wrap the coin first: `wrap` turns {symbol} into {wrapped} one for one, as in `let w = wrap 1 {symbol}`, then use `w`"
            ),
            (Some(wrapped), true) => format!(
                "{what} gives ERC-20 tokens only; take {wrapped} instead, then `unwrap` it into {symbol}"
            ),
            (None, _) => format!(
                "{what} takes and gives ERC-20 tokens only, and the registry names no token that wraps {symbol} on {chain_name}"
            ),
        };
        let verb = if gives { "give" } else { "take" };
        self.report(
            Diagnostic::error(
                Code::NativeCoinToProtocol,
                format!("{symbol} is {chain_name}'s native coin, which {what} does not {verb}"),
                Label::new(span, format!("{symbol}, the native coin")),
            )
            .with_hint(hint),
        );
        false
    }
}
