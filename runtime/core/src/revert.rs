//! Why a bundle reverts: the revert itself, and the reasons that more than
//! one executor gives (the runtime, native code and the IR interpreter must
//! word them alike, byte for byte).

use crate::loc::Loc;
use std::fmt;

/// Why a bundle reverted, and the source location that caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revert {
    pub reason: String,
    pub loc: Loc,
}

impl fmt::Display for Revert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc == Loc::UNKNOWN {
            f.write_str(&self.reason)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.loc.line, self.loc.column, self.reason
            )
        }
    }
}

impl std::error::Error for Revert {}

/// The reasons of checked arithmetic.
pub mod reason {
    /// A balance, deposit, debt, fee or clock that would not fit.
    pub const OVERFLOW: &str = "arithmetic overflow";
    /// `a + b` in an amount expression.
    pub const ADD: &str = "arithmetic overflow in +";
    /// `a - b` in an amount expression.
    pub const SUB: &str = "arithmetic underflow in - (the result would be negative)";
    /// `a * b` in an amount expression.
    pub const MUL: &str = "arithmetic overflow in *";
    /// `a / b` in an amount expression.
    pub const DIV: &str = "division by zero";
}
