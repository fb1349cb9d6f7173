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

use super::bundle::BundleChecker;
use super::names::{ChainId, TokenId};
use super::resolved::StepKind;
use super::symbolic::SymbolicAmount;
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
            ActionKind::Borrow { amount, protocol } => {
                self.lender_action(LenderAction::Borrow, amount, protocol, chain, span)
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
}
