//! The report for people: the status, then what the bundle sent and what
//! it changed. Amounts and gas print as the language writes numbers
//! (`351_242`, `10_182.2089`).

use std::fmt::Write as _;

use super::{Report, WorldWrite};
use crate::amount::display_count;
use crate::session::Loc;

/// What a reverted report says besides the failure.
pub const NOTHING_SENT: &str = "nothing was sent and no gas is charged: a bundle is all or nothing at every optimisation level, -O0 included, and the world is as it was";

impl Report {
    /// The report for people.
    pub fn render_human(&self) -> String {
        self.render_human_with(true)
    }

    /// The report for people; without `per_call_gas` (an engine that meters
    /// a transaction as a whole, as the EVM does) each transaction lists its
    /// calls without a gas figure of their own.
    pub fn render_human_with(&self, per_call_gas: bool) -> String {
        let mut out = String::new();
        match &self.revert {
            None => {
                let _ = match &self.world_write {
                    WorldWrite::InMemory => writeln!(out, "bundle {}: committed", self.bundle),
                    WorldWrite::Written(path) => {
                        writeln!(out, "bundle {}: committed to {path}", self.bundle)
                    }
                    WorldWrite::NotWritten => writeln!(
                        out,
                        "bundle {}: would commit; the world was not written (no --commit)",
                        self.bundle
                    ),
                    WorldWrite::Failed => writeln!(
                        out,
                        "bundle {}: would commit, but the world file could not be written: nothing was committed",
                        self.bundle
                    ),
                };
            }
            Some(r) => {
                let _ = write!(out, "bundle {}: reverted", self.bundle);
                if r.loc != Loc::UNKNOWN {
                    let _ = write!(out, " at line {}, column {}", r.loc.line, r.loc.column);
                }
                let _ = writeln!(out, ": {}", r.reason);
                out.push_str(NOTHING_SENT);
                out.push('\n');
                return out;
            }
        }
        self.summary(&mut out);
        self.transaction_list(&mut out, per_call_gas);
        self.changes(&mut out);
        out
    }

    /// `blocks · transactions · gas (per chain)`.
    fn summary(&self, out: &mut String) {
        let by_chain: Vec<String> = self
            .gas_by_chain()
            .iter()
            .map(|(c, g)| format!("{c} {}", display_count(*g)))
            .collect();
        let _ = writeln!(
            out,
            "blocks {} · transactions {} · gas {}{}",
            display_count(self.blocks),
            display_count(self.transactions.len() as u64),
            display_count(self.gas_total()),
            if by_chain.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_chain.join(", "))
            }
        );
    }

    /// Each transaction with its chain, block, sender and gas, and each
    /// call in it with its gas.
    fn transaction_list(&self, out: &mut String, per_call_gas: bool) {
        if self.transactions.is_empty() {
            return;
        }
        out.push_str("\ntransactions\n");
        let chain_width = self
            .transactions
            .iter()
            .map(|t| t.chain.len())
            .max()
            .unwrap_or(0);
        for (i, t) in self.transactions.iter().enumerate() {
            let _ = writeln!(
                out,
                "  #{:<3} {:<chain_width$}  block {:<3} {:<8} {:>9} gas",
                i + 1,
                t.chain,
                t.block,
                t.sender.as_str(),
                display_count(t.gas),
            );
            if !per_call_gas {
                for c in &t.calls {
                    let _ = writeln!(out, "         {:>9}  {}", "", c.what);
                }
                continue;
            }
            let _ = writeln!(
                out,
                "         {:>9}  transaction base",
                display_count(t.base_gas())
            );
            for c in &t.calls {
                let _ = writeln!(out, "         {:>9}  {}", display_count(c.gas), c.what);
            }
        }
    }

    /// What the bundle returned to the wallet, and the wallet balances and
    /// lender positions it changed.
    fn changes(&self, out: &mut String) {
        out.push_str("\nresult (returned to the wallet)\n");
        if self.result.is_empty() {
            out.push_str("  nothing\n");
        }
        for (chain, tokens) in &self.result {
            for (token, amount) in tokens {
                let _ = writeln!(out, "  {chain:<10} {token:<6} {amount}");
            }
        }
        if !self.wallet.is_empty() {
            out.push_str("\nwallet (before → after)\n");
            for w in &self.wallet {
                let _ = writeln!(
                    out,
                    "  {:<10} {:<6} {} → {}",
                    w.chain, w.token, w.balance.before, w.balance.after
                );
            }
        }
        if !self.lenders.is_empty() {
            out.push_str("\nlender positions (before → after)\n");
            for p in &self.lenders {
                let mut changed = Vec::new();
                if p.collateral.before != p.collateral.after || p.debt.before == p.debt.after {
                    changed.push(format!(
                        "collateral {} → {}",
                        p.collateral.before, p.collateral.after
                    ));
                }
                if p.debt.before != p.debt.after {
                    changed.push(format!("debt {} → {}", p.debt.before, p.debt.after));
                }
                let _ = writeln!(
                    out,
                    "  {:<10} {:<10} {:<6} {}",
                    p.chain,
                    p.lender,
                    p.token,
                    changed.join(", ")
                );
            }
        }
        if !self.health.is_empty() {
            out.push_str("\nhealth factors (before → after)\n");
            for h in &self.health {
                let _ = writeln!(
                    out,
                    "  {:<10} {:<10} {} → {}",
                    h.chain, h.lender, h.before, h.after
                );
            }
        }
    }
}
