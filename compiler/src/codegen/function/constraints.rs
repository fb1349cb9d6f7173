//! A bundle's constraints: each becomes a call of the runtime entry that
//! records it, judged when the bundle finishes.

use super::Function;
use crate::ir::{self, Constraint};
use mesh_core::entry::Entry;

impl Function<'_> {
    pub(super) fn constraint(&mut self, c: &Constraint, loc: ir::Loc) {
        let at = self.loc(loc);
        match c {
            Constraint::Deadline(blocks) => {
                let v = self.const_i64(*blocks);
                self.call(Entry::ConstraintDeadline, &[self.session, v, at]);
            }
            Constraint::DeadlineSeconds(seconds) => {
                let v = self.const_i64(*seconds);
                self.call(Entry::ConstraintDeadlineSeconds, &[self.session, v, at]);
            }
            Constraint::MaxGas(gas) => {
                let v = self.const_i64(*gas);
                self.call(Entry::ConstraintMaxGas, &[self.session, v, at]);
            }
            Constraint::MinBalance {
                chain,
                token,
                amount,
            } => {
                let (c, t) = (self.name(chain), self.name(token));
                let (lo, hi) = self.constant(*amount);
                self.call(
                    Entry::ConstraintMinBalance,
                    &[self.session, c, t, lo, hi, at],
                );
            }
            Constraint::Invariant(invariant) => {
                let n = self.name(invariant.as_str());
                self.call(Entry::ConstraintInvariant, &[self.session, n, at]);
            }
            Constraint::MinSecurity(kind) => {
                let n = self.name(kind.as_str());
                self.call(Entry::ConstraintMinSecurity, &[self.session, n, at]);
            }
            Constraint::MinProfit { token, amount } => {
                let t = self.name(token);
                let (lo, hi) = self.constant(*amount);
                self.call(Entry::ConstraintMinProfit, &[self.session, t, lo, hi, at]);
            }
            Constraint::MinHealth(wad) => {
                let (lo, hi) = self.constant(*wad);
                self.call(Entry::ConstraintMinHealth, &[self.session, lo, hi, at]);
            }
        }
    }
}
