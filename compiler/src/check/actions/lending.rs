//! The lender's actions: `borrow` credits the holding and opens an
//! obligation (or, `as debt`, adds to the user's debt), `repay` takes
//! principal and premium from the holding and pays the obligation back (or,
//! where the bundle holds no such loan, pays the user's debt), `deposit`
//! takes from the holding and puts collateral at the lender, `withdraw`
//! credits it. A loan that needs collateral needs some stated first
//! (`positions`).

use super::ActionOutcome;
use crate::check::amount::{Site, TokenAmount};
use crate::check::bundle::BundleChecker;
use crate::check::holdings::{Source, Spend};
use crate::check::names::{ChainId, ProtocolId};
use crate::check::resolved::{StepKind, UnbackedLoan};
use crate::check::OptLevel;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::ProtocolKind;
use mesh_grammar::{Amount, Ident, Span};

/// The actions a lender serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LenderAction {
    Borrow,
    /// `borrow … as debt`.
    BorrowDebt,
    Repay,
    Deposit,
    Withdraw,
}

impl LenderAction {
    fn keyword(self) -> &'static str {
        match self {
            LenderAction::Borrow | LenderAction::BorrowDebt => "borrow",
            LenderAction::Repay => "repay",
            LenderAction::Deposit => "deposit",
            LenderAction::Withdraw => "withdraw",
        }
    }

    /// Whether the action opens or pays back an obligation.
    fn is_loan(self) -> bool {
        match self {
            LenderAction::Borrow | LenderAction::Repay => true,
            LenderAction::BorrowDebt | LenderAction::Deposit | LenderAction::Withdraw => false,
        }
    }
}

/// A lender action whose amount and lender are resolved.
struct Resolved {
    chain: ChainId,
    lender: ProtocolId,
    amt: TokenAmount,
    /// The lender's name as the registry spells it.
    name: String,
    /// The premium a loan owes if the lowering makes it a flash loan: the
    /// lender's, at `-O` where it offers flash loans; else none.
    flash_bps: u32,
    span: Span,
}

impl BundleChecker<'_, '_> {
    /// Resolves the amount and the lender of a lender action on `chain`,
    /// then applies its effect.
    pub(super) fn lender_action(
        &mut self,
        action: LenderAction,
        amount: &Amount,
        protocol: &Ident,
        chain: Option<ChainId>,
        span: Span,
    ) -> ActionOutcome {
        let amt = self.token_amount(amount, Site::Statement(chain));
        let lender = self.resolve_protocol(protocol, ProtocolKind::Lender, action.keyword(), chain);
        let Some(chain) = chain else {
            return ActionOutcome::failed();
        };
        let (Some(amt), Some(lender)) = (amt.clone(), lender) else {
            self.holdings.poison(chain, amt.map(|a| a.token));
            if action.is_loan() {
                self.obligations.poison(chain, lender);
            }
            self.positions.poison(chain, lender);
            return ActionOutcome::failed();
        };
        if !self.token_available(amt.token, chain, amt.span) {
            self.holdings.poison(chain, Some(amt.token));
            if action.is_loan() {
                self.obligations.poison(chain, Some(lender));
            }
            self.positions.poison(chain, Some(lender));
            return ActionOutcome::failed();
        }
        let what = format!("the lender `{}`", self.names.protocol_name(lender));
        let gives = matches!(action, LenderAction::Borrow | LenderAction::Withdraw);
        if !self.only_tokens(amt.token, chain, amt.span, &what, gives) {
            self.holdings.poison(chain, Some(amt.token));
            if action.is_loan() {
                self.obligations.poison(chain, Some(lender));
            }
            return ActionOutcome::failed();
        }
        self.of_nothing(action.keyword(), &amt, chain);
        let resolved = Resolved {
            chain,
            lender,
            name: self.names.protocol_name(lender).to_string(),
            flash_bps: match self.level {
                OptLevel::O0 => 0,
                OptLevel::O => self
                    .names
                    .protocol_info(lender)
                    .filter(|p| p.flash_loans)
                    .map_or(0, |p| p.premium_bps),
            },
            amt,
            span,
        };
        self.touch_holding(chain, resolved.amt.token, span);
        self.positions.act((chain, lender));
        if action == LenderAction::BorrowDebt {
            self.touch_position(chain, lender, span);
        }
        match action {
            LenderAction::Borrow => self.borrow(resolved),
            LenderAction::BorrowDebt => self.borrow_debt(resolved),
            LenderAction::Repay => self.repay(resolved),
            LenderAction::Deposit => self.deposit(resolved),
            LenderAction::Withdraw => self.withdraw(resolved),
        }
    }

    /// E0603 for a loan that needs collateral where the bundle has put or
    /// stated none at that lender (a loan of nothing needs none).
    fn needs_collateral(&mut self, r: &Resolved, as_debt: bool) {
        let key = (r.chain, r.lender);
        if self.positions.has_collateral(key)
            || self.positions.is_poisoned(r.chain, r.lender)
            || r.amt.value.exact() == Some(0)
        {
            return;
        }
        let flash_loans = self
            .names
            .protocol_info(r.lender)
            .is_some_and(|p| p.flash_loans);
        let chain = self.names.chain_name(r.chain);
        let symbol = self.names.symbol(r.amt.token);
        if !as_debt && flash_loans {
            // A flash loan needs none: whether it is one is the lowering's.
            self.positions.unbacked.push(UnbackedLoan {
                span: r.span,
                statement: self.statement,
                chain: chain.to_string(),
                lender: r.name.clone(),
                token: symbol.to_string(),
            });
            return;
        }
        let why = if as_debt {
            format!("a loan left open as debt is backed by collateral, and this bundle puts or states none at {} on {chain}", r.name)
        } else {
            format!("{} offers no flash loans, so it lends only against collateral, and this bundle puts or states none there on {chain}", r.name)
        };
        self.report(
            Diagnostic::error(
                Code::LoanWithoutCollateral,
                format!("loan of {symbol} from {} on {chain} without collateral", r.name),
                Label::new(r.span, why),
            )
            .with_hint(format!(
                "deposit collateral first (`deposit 1 WETH into {name}`), or, if the user already has some there, state it: `assume collateral 1 WETH at {name}`; the run then checks the position's health with the oracle's prices",
                name = r.name
            )),
        );
        self.positions.poison(r.chain, Some(r.lender));
    }

    fn borrow_debt(&mut self, r: Resolved) -> ActionOutcome {
        let token = r.amt.token;
        self.needs_collateral(&r, true);
        self.holdings.credit(
            r.chain,
            token,
            &r.amt.value,
            Source::Borrow,
            r.span,
            &mut self.unknowns,
        );
        self.positions.borrow(
            (r.chain, r.lender, token),
            &r.amt.value,
            r.span,
            &mut self.unknowns,
        );
        let value = Some((token, r.amt.value.clone()));
        ActionOutcome {
            kind: Some(StepKind::BorrowDebt {
                amount: self.resolved(r.amt),
                protocol: r.name,
            }),
            value,
        }
    }

    fn borrow(&mut self, r: Resolved) -> ActionOutcome {
        let token = r.amt.token;
        self.needs_collateral(&r, false);
        self.touch_obligation(r.chain, r.lender, r.span);
        self.holdings.credit(
            r.chain,
            token,
            &r.amt.value,
            Source::Borrow,
            r.span,
            &mut self.unknowns,
        );
        self.obligations.borrow(
            r.chain,
            r.lender,
            token,
            &r.amt.value,
            r.flash_bps,
            r.span,
            &mut self.unknowns,
        );
        let value = Some((token, r.amt.value.clone()));
        ActionOutcome {
            kind: Some(StepKind::Borrow {
                amount: self.resolved(r.amt),
                protocol: r.name,
            }),
            value,
        }
    }

    fn withdraw(&mut self, r: Resolved) -> ActionOutcome {
        let token = r.amt.token;
        self.holdings.credit(
            r.chain,
            token,
            &r.amt.value,
            Source::Withdraw,
            r.span,
            &mut self.unknowns,
        );
        let value = Some((token, r.amt.value.clone()));
        ActionOutcome {
            kind: Some(StepKind::Withdraw {
                amount: self.resolved(r.amt),
                protocol: r.name,
            }),
            value,
        }
    }

    fn deposit(&mut self, r: Resolved) -> ActionOutcome {
        self.positions.collateral((r.chain, r.lender), r.span);
        let spend = Spend {
            total: &r.amt.value,
            premium: None,
            span: r.span,
        };
        if let Some(d) =
            self.holdings
                .spend(r.chain, r.amt.token, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        ActionOutcome {
            kind: Some(StepKind::Deposit {
                amount: self.resolved(r.amt),
                protocol: r.name,
            }),
            value: None,
        }
    }

    /// The principal leaves the holding, and with the repay that closes the
    /// loan the premium its flash loans owe, if any; where the bundle holds
    /// no loan of that token from the lender but knows of a debt there, the
    /// repay pays the user's debt instead.
    fn repay(&mut self, r: Resolved) -> ActionOutcome {
        let (chain, lender, token) = (r.chain, r.lender, r.amt.token);
        if !self.obligations.is_open(chain, lender, token)
            && self.positions.knows_debt((chain, lender, token))
        {
            return self.repay_debt(r);
        }
        self.touch_obligation(chain, lender, r.span);
        if let Some(d) = self.obligations.repay(
            chain,
            lender,
            token,
            &r.amt.value,
            r.span,
            &mut self.unknowns,
            self.names,
        ) {
            self.report(d);
        }
        let premium =
            self.obligations
                .closing_premium(chain, lender, token, r.span, &mut self.unknowns);
        let total = match &premium {
            Some(p) => r.amt.value.add(&p.amount),
            None => Some(r.amt.value.clone()),
        };
        let Some(total) = total else {
            self.report(
                Diagnostic::error(
                    Code::OutOfRange,
                    "the repay with its premium is out of range",
                    Label::new(r.amt.span, "too large"),
                )
                .with_hint("amounts are exact integers in base units up to 2^127 - 1"),
            );
            self.holdings.poison(chain, Some(token));
            self.obligations.poison(chain, Some(lender));
            return ActionOutcome::failed();
        };
        let closes = premium.is_some();
        let spend = Spend {
            total: &total,
            premium: premium
                .filter(|p| !p.amount.is_zero())
                .map(|p| p.most.filter(|_| r.amt.value.exact().is_some())),
            span: r.span,
        };
        if let Some(d) = self
            .holdings
            .spend(chain, token, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        ActionOutcome {
            kind: Some(StepKind::Repay {
                amount: self.resolved(r.amt),
                protocol: r.name,
                closes,
            }),
            value: None,
        }
    }
}

impl BundleChecker<'_, '_> {
    /// A repay of the user's debt: exactly the amount leaves the holding.
    fn repay_debt(&mut self, r: Resolved) -> ActionOutcome {
        let (chain, lender, token) = (r.chain, r.lender, r.amt.token);
        self.touch_position(chain, lender, r.span);
        if let Some(d) = self.positions.repay(
            (chain, lender, token),
            &r.amt.value,
            r.span,
            &mut self.unknowns,
            self.names,
        ) {
            self.report(d);
        }
        let spend = Spend {
            total: &r.amt.value,
            premium: None,
            span: r.span,
        };
        if let Some(d) = self
            .holdings
            .spend(chain, token, &spend, &mut self.unknowns, self.names)
        {
            self.report(d);
        }
        ActionOutcome {
            kind: Some(StepKind::RepayDebt {
                amount: self.resolved(r.amt),
                protocol: r.name,
            }),
            value: None,
        }
    }
}
