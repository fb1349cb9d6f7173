//! Who acts: who sends a transaction, who an approval lets spend a token,
//! and how a loan is taken.

use crate::registry::BridgeKind;
use std::fmt;

/// Who sends a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sender {
    /// The user's own account: one call per transaction, router-style
    /// protocol entry points, and the called contract is warm (it is the
    /// transaction's `to`, EIP-2929).
    Wallet,
    /// The user's smart-wallet executor: any number of inner calls, each with
    /// a dispatch overhead and an account access, direct (pair-level) swaps,
    /// flash loans, approvals held for the rest of the bundle.
    Executor,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::Wallet => "wallet",
            Sender::Executor => "executor",
        }
    }
}

/// Who an approval lets spend a token. `P` names a protocol: its name in
/// the compiler's IR, an id or a name reference in the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spender<P> {
    /// A protocol on the transaction's chain (a lender, or an exchange's
    /// router or pairs).
    Protocol(P),
    /// The bridge of this kind leaving the transaction's chain.
    Bridge(BridgeKind),
}

/// `aave`, `bridge zk`.
impl<P: fmt::Display> fmt::Display for Spender<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spender::Protocol(p) => p.fmt(f),
            Spender::Bridge(kind) => write!(f, "bridge {kind}"),
        }
    }
}

/// How a loan is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoanKind {
    /// An ordinary (collateralised) borrow: may stay open across transactions.
    Ordinary,
    /// A flash loan (`flashLoanSimple`): executor only, repaid within the
    /// transaction that takes it.
    Flash,
    /// A loan left open as the user's debt at the lender (`borrow … as
    /// debt`): no obligation of the bundle, backed by the user's
    /// collateral there, and still owed when the bundle ends.
    Debt,
}
