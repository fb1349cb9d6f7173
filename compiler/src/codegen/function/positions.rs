//! The steps on the user's positions: a loan left open as debt, a
//! repayment of debt, and the statements of what a position holds.

use super::Function;
use crate::ir::{self, Value, Wire};
use mesh_core::entry::{Entry, LoanCode};
use mesh_core::LoanKind;

impl Function<'_> {
    /// `borrow A from P as debt`: `mesh_borrow` with the debt's loan code.
    pub(super) fn borrow_debt(
        &mut self,
        protocol: &str,
        token: &str,
        amount: &Value,
        out: Wire,
        loc: ir::Loc,
    ) {
        let s = self.session;
        let v = self.value(amount, loc);
        let (p, t) = (self.name(protocol), self.name(token));
        let f = self.const_i32(LoanCode::from(LoanKind::Debt).0);
        let at = self.loc(loc);
        let o = self.out_ptr();
        self.call(Entry::Borrow, &[s, p, t, v.0, v.1, f, at, o]);
        let got = self.load_out();
        self.set(out, got);
    }

    /// A repayment of the user's debt: `mesh_repay_debt` of what `funds`
    /// carries, of `token`.
    pub(super) fn repay_debt(&mut self, protocol: &str, token: &str, funds: Wire, loc: ir::Loc) {
        let s = self.session;
        let v = self.get(funds);
        let (p, t, at) = (self.name(protocol), self.name(token), self.loc(loc));
        self.call(Entry::RepayDebt, &[s, p, t, v.0, v.1, at]);
    }

    /// `assume debt|collateral A at P`, or the health check a cancelled
    /// withdrawal leaves.
    pub(super) fn assume(
        &mut self,
        chain: &str,
        protocol: &str,
        assumption: &ir::Assumption,
        loc: ir::Loc,
    ) {
        let s = self.session;
        let (c, p) = (self.name(chain), self.name(protocol));
        match assumption {
            ir::Assumption::Debt { token, amount }
            | ir::Assumption::Collateral { token, amount } => {
                let v = self.value(amount, loc);
                let t = self.name(token);
                let at = self.loc(loc);
                let entry = match assumption {
                    ir::Assumption::Debt { .. } => Entry::AssumeDebt,
                    _ => Entry::AssumeCollateral,
                };
                self.call(entry, &[s, c, p, t, v.0, v.1, at]);
            }
            ir::Assumption::Healthy => {
                let at = self.loc(loc);
                self.call(Entry::AssumeHealthy, &[s, c, p, at]);
            }
        }
    }
}
