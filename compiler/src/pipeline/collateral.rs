//! Rule 6's collateral judged on the lowering: a loan from a lender that
//! offers flash loans needs collateral unless the lowering at the level in
//! force makes it a flash loan (E0603).
//!
//! Whether a loan is a flash loan — borrowed and repaid inside one call —
//! is the lowering's: at `-O0` every loan is a transaction of its own,
//! sent from the wallet, and so an ordinary borrow; at `-O` the optimiser
//! makes a loan a flash loan when the bundle repays it in the transaction
//! that takes it, and a loan repaid in a later one (after a bridge, say)
//! stays an ordinary borrow. An ordinary borrow is the user's debt until
//! it is repaid, and the lender lends it only against the position's
//! collateral (Aave V3 refuses it otherwise), so the bundle must deposit
//! or state some there before the loan, as for a lender that offers no
//! flash loans. The checker lists the loans taken with none
//! (`CheckedBundle::unbacked_loans`); this judges them.

use super::{Analysis, Lowerings, OptLevel};
use crate::check::UnbackedLoan;
use crate::diagnostic::{Code, Diagnostic, Label, LineIndex};
use crate::ir::Op;
use crate::opt::walk::for_each_node;
use std::collections::BTreeSet;

/// Judges the unbacked loans of every bundle of `analysis` at `level`.
pub(super) fn judge(analysis: &mut Analysis, lowerings: &mut Lowerings, level: OptLevel) {
    let mut found = Vec::new();
    let index_of = LineIndex::from_table(&analysis.source, &analysis.parsed.lines);
    for index in 0..analysis.checked.bundles.len() {
        let bundle = &analysis.checked.bundles[index];
        if bundle.unbacked_loans.is_empty() {
            continue;
        }
        // Its only errors, if any, are the time model's E0801 (judged on
        // the lowering too): it lowers as it is.
        if super::errors_in(analysis, bundle)
            .iter()
            .any(|&code| code != Code::DeadlineMissed)
        {
            continue;
        }
        let Some(program) = lowerings.get(analysis, index, level) else {
            continue;
        };
        let mut ordinary = BTreeSet::new();
        for_each_node(&program.body, &mut |node| {
            if let Op::Borrow { flash: false, .. } = node.op {
                ordinary.insert(node.loc);
            }
        });
        let errors: Vec<Diagnostic> = bundle
            .unbacked_loans
            .iter()
            .filter(|loan| ordinary.contains(&index_of.loc(loan.statement.start)))
            .map(|loan| unbacked(loan, level))
            .collect();
        if !errors.is_empty() {
            found.push((index, errors));
        }
    }
    for (index, errors) in found {
        if let Some(bundle) = analysis.checked.bundles.get_mut(index) {
            bundle.has_errors = true;
        }
        analysis.diagnostics.extend(errors);
    }
}

/// E0603 for `loan`, which stays an ordinary borrow at `level`.
fn unbacked(loan: &UnbackedLoan, level: OptLevel) -> Diagnostic {
    let UnbackedLoan {
        span,
        chain,
        lender,
        token,
        ..
    } = loan;
    let (why, hint) = match level {
        OptLevel::O0 => (
            format!(
                "at -O0 every loan is a transaction of its own, sent from the wallet: {lender} makes it the user's debt and lends it only against collateral, and this bundle puts or states none there on {chain}"
            ),
            "at -O, a loan borrowed and repaid in one transaction is a flash loan and needs none",
        ),
        OptLevel::O => (
            format!(
                "this loan is not repaid in the transaction that takes it, so it cannot be a flash loan: {lender} makes it the user's debt and lends it only against collateral, and this bundle puts or states none there on {chain}"
            ),
            "a loan borrowed and repaid on one chain with no bridge between is a flash loan and needs none",
        ),
    };
    Diagnostic::error(
        Code::LoanWithoutCollateral,
        format!("loan of {token} from {lender} on {chain} without collateral"),
        Label::new(*span, why),
    )
    .with_hint(format!(
        "deposit collateral first (`deposit 1 WETH into {lender}`), or, if the user already has some there, state it: `assume collateral 1 WETH at {lender}`; the run then checks the position's health with the oracle's prices ({hint})"
    ))
}
