//! The warnings that need the whole bundle: values never used (W0003) and
//! `min_balance` constraints the checker already proves (W0004). The
//! unbounded swap (W0001) and the redundant `on` (W0002) are reported where
//! the statement is checked.

use super::amount::format_units;
use super::bundle::BundleChecker;
use super::constraints::MinBalanceCheck;
use super::symbolic::SymbolicAmount;
use crate::diagnostic::{Applicability, Code, Diagnostic, Label};

impl BundleChecker<'_, '_> {
    /// W0003 for every value bound and never used; names starting with `_`
    /// are exempt.
    pub(crate) fn unused_values(&mut self) {
        let unused: Vec<Diagnostic> = self
            .scope
            .vars
            .iter()
            .filter(|v| v.uses == 0 && !v.name.starts_with('_'))
            .map(|v| {
                let warning = Diagnostic::warning(
                    Code::UnusedVariable,
                    format!("`{}` is never used", v.name),
                    Label::new(v.span, "bound here and never used"),
                )
                .with_hint(format!(
                    "drop `let {} =` to keep the action without binding its value, or name it `_{}`",
                    v.name, v.name
                ))
                ;
                // The action stays; only a name nothing reads goes.
                match v.binding {
                    Some(binding) => {
                        warning.with_fix(binding, "", Applicability::MachineApplicable)
                    }
                    None => warning,
                }
            })
            .collect();
        self.diagnostics.extend(unused);
    }

    /// W0004 for each `min_balance` whose holding is guaranteed at the end.
    pub(crate) fn provable_min_balances(&mut self, checks: &[MinBalanceCheck]) {
        for check in checks {
            if self.holdings.is_poisoned(check.chain, check.token) {
                continue;
            }
            let holding = self.holdings.amount(check.chain, check.token);
            let Some(minimum) = SymbolicAmount::constant(check.base_units) else {
                continue;
            };
            let proved = holding
                .sub(&minimum)
                .is_some_and(|rest| self.unknowns.guaranteed_non_negative(&rest));
            if !proved {
                continue;
            }
            let symbol = self.names.symbol(check.token);
            let decimals = self.names.decimals(check.token);
            let guaranteed = self.unknowns.lower_bound(&holding);
            self.diagnostics.push(
                Diagnostic::warning(
                    Code::ProvableMinBalance,
                    "this `min_balance` always holds",
                    Label::new(
                        check.span,
                        format!(
                            "the bundle is guaranteed to end with at least {} {symbol} on {}",
                            format_units(guaranteed, decimals),
                            self.names.chain_name(check.chain)
                        ),
                    ),
                )
                .with_hint(format!(
                    "the checker proves it from the amounts and slippage bounds, so it never reverts the bundle; remove it, or raise it above {} {symbol} to demand more",
                    format_units(guaranteed, decimals)
                )),
            );
        }
    }
}
