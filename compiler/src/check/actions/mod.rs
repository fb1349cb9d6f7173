//! The effect of each action on the holdings and obligations, one module
//! per kind of action: [`lending`] (`borrow`, `repay`, `deposit`,
//! `withdraw`), [`swap`] and [`bridge`]. Each resolves the names its action
//! uses, checks its capabilities (rules 3, 4 and 7), spends and credits
//! holdings (rule 5), opens and closes obligations (rule 6), and returns
//! the resolved step with the value a `let` binds.
//!
//! An action with an error poisons what it would have touched: nothing more
//! is judged about those holdings and obligations, so that one mistake is
//! reported once.

mod bridge;
mod lending;
mod swap;

use super::amount::TokenAmount;
use super::bundle::BundleChecker;
use super::names::{ChainId, TokenId};
use super::resolved::{AmountExpr, StepKind};
use super::symbolic::SymbolicAmount;
use crate::diagnostic::{Code, Diagnostic, Label};
use lending::LenderAction;
use mesh_grammar::{Action, ActionKind};

/// What an action produced.
pub(crate) struct ActionOutcome {
    /// The resolved step; `None` when the action had an error.
    pub kind: Option<StepKind>,
    /// The value `let` binds: token and amount.
    pub value: Option<(TokenId, SymbolicAmount)>,
}

impl ActionOutcome {
    fn failed() -> ActionOutcome {
        ActionOutcome {
            kind: None,
            value: None,
        }
    }
}

impl BundleChecker<'_, '_> {
    /// Checks one action on `chain` (`None` when that chain is unknown).
    pub(crate) fn action(&mut self, action: &Action, chain: Option<ChainId>) -> ActionOutcome {
        let span = action.span;
        match &action.kind {
            ActionKind::Borrow {
                amount,
                protocol,
                as_debt,
            } => {
                let action = match as_debt {
                    Some(_) => LenderAction::BorrowDebt,
                    None => LenderAction::Borrow,
                };
                self.lender_action(action, amount, protocol, chain, span)
            }
            ActionKind::Repay { amount, protocol } => {
                self.lender_action(LenderAction::Repay, amount, protocol, chain, span)
            }
            ActionKind::Deposit { amount, protocol } => {
                self.lender_action(LenderAction::Deposit, amount, protocol, chain, span)
            }
            ActionKind::Withdraw { amount, protocol } => {
                self.lender_action(LenderAction::Withdraw, amount, protocol, chain, span)
            }
            ActionKind::Swap {
                amount,
                output,
                exchange,
            } => self.swap(amount, output, exchange, chain, span),
            ActionKind::Bridge {
                amount,
                destination,
                route,
            } => self.bridge(amount, destination, route.as_ref(), chain, span),
        }
    }

    /// Whether `amount` is provably zero; then W0005 for `keyword` (the
    /// action costs gas and moves nothing), or E0502 for a swap (an
    /// exchange gives nothing for nothing: a swap of zero reverts).
    fn of_nothing(&mut self, keyword: &str, amount: &TokenAmount, chain: ChainId) -> bool {
        if amount.value.exact() != Some(0) {
            return false;
        }
        let symbol = self.names.symbol(amount.token);
        let chain_name = self.names.chain_name(chain);
        let zero = format!("0 {symbol}");
        let (label, way_out) = match &amount.expr {
            AmountExpr::All { .. } => (
                format!("`all {symbol}` is {zero} here: the bundle holds no {symbol} on {chain_name} at this point"),
                format!(
                    "`all {symbol}` is the bundle's own holding (what `input`, a borrow, a withdraw, a swap or a bridge put on {chain_name} before this step), not the wallet's: draw {symbol} with `input N {symbol}` first, or drop the step"
                ),
            ),
            _ => (format!("this is {zero}"), "drop the step, or give it an amount".to_string()),
        };
        let diagnostic = if keyword == "swap" {
            Diagnostic::error(
                Code::SwapOfNothing,
                format!("swap of {zero}, which always reverts"),
                Label::new(amount.span, label),
            )
            .with_hint(format!(
                "an exchange gives nothing for nothing, so a swap of zero reverts the whole bundle; {way_out}"
            ))
        } else {
            Diagnostic::warning(
                Code::MovesNothing,
                format!("this {keyword} moves nothing"),
                Label::new(amount.span, label),
            )
            .with_hint(format!(
                "the {keyword} of {zero} costs gas and does nothing; {way_out}"
            ))
        };
        self.report(diagnostic);
        true
    }
}
