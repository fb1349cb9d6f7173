//! What one call of a transaction did ([`Call`]), kept as data while the
//! bundle runs and put into words, or into JSON, only when the report is
//! rendered — so running a bundle formats nothing.

use std::fmt;

use super::Amount;
use crate::registry::BridgeKind;
use crate::session::Loc;

/// Who an approval lets spend a token: a protocol on the transaction's
/// chain, or a bridge of one kind leaving it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpenderName {
    Protocol(String),
    Bridge(BridgeKind),
}

impl fmt::Display for SpenderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpenderName::Protocol(p) => f.write_str(p),
            SpenderName::Bridge(k) => write!(f, "the {k} bridge"),
        }
    }
}

/// Which message a bridge transfer travelled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BridgeMessage {
    /// Its own message.
    Own,
    /// The first transfer of a shared message (it pays the route's call).
    SharedFirst,
    /// A further transfer of the message before it.
    SharedFurther,
}

/// What one call did. Kept as data while the bundle runs and put into
/// words only when the report is rendered, so running a bundle formats
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Input {
        token: String,
        amount: Amount,
    },
    Approve {
        token: String,
        spender: SpenderName,
    },
    Borrow {
        flash: bool,
        protocol: String,
        token: String,
        amount: Amount,
    },
    Repay {
        flash: bool,
        protocol: String,
        token: String,
        amount: Amount,
        premium: Amount,
    },
    /// A loan left open as the user's debt at the lender (`as debt`).
    BorrowDebt {
        protocol: String,
        token: String,
        amount: Amount,
    },
    /// A repayment of the user's debt at the lender (no premium).
    RepayDebt {
        protocol: String,
        token: String,
        amount: Amount,
    },
    Swap {
        /// The exchange of each hop.
        exchanges: Vec<String>,
        /// The tokens in the order the swap passes through them.
        path: Vec<String>,
        amount_in: Amount,
        amount_out: Amount,
    },
    Deposit {
        protocol: String,
        token: String,
        amount: Amount,
    },
    Withdraw {
        protocol: String,
        token: String,
        amount: Amount,
    },
    Bridge {
        token: String,
        amount: Amount,
        to: String,
        kind: BridgeKind,
        fee: Amount,
        delay_blocks: u64,
        message: BridgeMessage,
    },
    /// The native coin `token` into `into`, the token that wraps it, one
    /// for one.
    Wrap {
        token: String,
        into: String,
        amount: Amount,
    },
    /// The wrapped native token `token` back into `into`, the native coin.
    Unwrap {
        token: String,
        into: String,
        amount: Amount,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Input { token, amount } => write!(f, "input {amount} {token}"),
            Call::Approve { token, spender } => write!(f, "approve {spender} to spend {token}"),
            Call::Borrow {
                flash,
                protocol,
                token,
                amount,
            } => {
                let what = if *flash { "flash loan" } else { "borrow" };
                write!(f, "{what} {amount} {token} from {protocol}")
            }
            Call::Repay {
                flash,
                protocol,
                token,
                amount,
                premium,
            } => {
                let what = if *flash { "repay flash loan" } else { "repay" };
                if premium.base == 0 {
                    write!(f, "{what} {amount} {token} to {protocol}")
                } else {
                    write!(
                        f,
                        "{what} {amount} {token} + premium {premium} {token} to {protocol}"
                    )
                }
            }
            Call::BorrowDebt {
                protocol,
                token,
                amount,
            } => write!(f, "borrow {amount} {token} from {protocol} as debt"),
            Call::RepayDebt {
                protocol,
                token,
                amount,
            } => write!(f, "repay {amount} {token} of debt to {protocol}"),
            Call::Swap {
                exchanges,
                path,
                amount_in,
                amount_out,
            } => {
                let first = path.first().map_or("", String::as_str);
                let last = path.last().map_or("", String::as_str);
                let mut on: Vec<&str> = exchanges.iter().map(String::as_str).collect();
                on.dedup();
                write!(
                    f,
                    "swap {amount_in} {first} for {amount_out} {last} on {}",
                    on.join(" and ")
                )?;
                if path.len() > 2 {
                    write!(f, " via {}", path[1..path.len() - 1].join(", "))?;
                }
                Ok(())
            }
            Call::Deposit {
                protocol,
                token,
                amount,
            } => write!(f, "deposit {amount} {token} into {protocol}"),
            Call::Withdraw {
                protocol,
                token,
                amount,
            } => write!(f, "withdraw {amount} {token} from {protocol}"),
            Call::Bridge {
                token,
                amount,
                to,
                kind,
                fee,
                delay_blocks,
                message,
            } => {
                write!(
                    f,
                    "bridge {amount} {token} to {to} via {kind} (fee {fee} {token}, {delay_blocks} blocks)"
                )?;
                match message {
                    BridgeMessage::Own => Ok(()),
                    BridgeMessage::SharedFirst => f.write_str(", shared message"),
                    BridgeMessage::SharedFurther => f.write_str(", in the same message"),
                }
            }
            Call::Wrap {
                token,
                into,
                amount,
            } => write!(f, "wrap {amount} {token} into {into}"),
            Call::Unwrap {
                token,
                into,
                amount,
            } => write!(f, "unwrap {amount} {token} into {into}"),
        }
    }
}

/// One call made in a transaction, with the gas it was charged (for an
/// executor's inner call: dispatch, address word, account access and the
/// operation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub what: Call,
    pub gas: u64,
    pub loc: Loc,
}

/// A token amount a call moved, and the chain it is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Moved<'a> {
    pub chain: &'a str,
    pub token: &'a str,
    pub amount: Amount,
}

impl Call {
    /// Whether the call moves nothing: a lender call or a bridge transfer
    /// of zero, which is no call on a chain (Aave refuses an amount of
    /// zero, and a plan sends none) and is charged no gas.
    pub fn moves_nothing(&self) -> bool {
        match self {
            Call::Borrow { amount, .. }
            | Call::Repay { amount, .. }
            | Call::BorrowDebt { amount, .. }
            | Call::RepayDebt { amount, .. }
            | Call::Deposit { amount, .. }
            | Call::Withdraw { amount, .. }
            | Call::Bridge { amount, .. } => amount.base == 0,
            Call::Input { .. }
            | Call::Approve { .. }
            | Call::Swap { .. }
            | Call::Wrap { .. }
            | Call::Unwrap { .. } => false,
        }
    }

    /// The action's name, as the JSON report gives it.
    pub fn action(&self) -> &'static str {
        match self {
            Call::Input { .. } => "input",
            Call::Approve { .. } => "approve",
            Call::Borrow { flash: false, .. } => "borrow",
            Call::Borrow { flash: true, .. } => "flash_loan",
            Call::Repay { flash: false, .. } => "repay",
            Call::Repay { flash: true, .. } => "repay_flash_loan",
            Call::BorrowDebt { .. } => "borrow_debt",
            Call::RepayDebt { .. } => "repay_debt",
            Call::Swap { .. } => "swap",
            Call::Deposit { .. } => "deposit",
            Call::Withdraw { .. } => "withdraw",
            Call::Bridge { .. } => "bridge",
            Call::Wrap { .. } => "wrap",
            Call::Unwrap { .. } => "unwrap",
        }
    }

    /// What the call took from the bundle's holdings (`into`) and what it
    /// gave them (`out_of`), on a transaction of `chain`: a repay takes the
    /// principal and its premium, a bridge takes on `chain` and gives on
    /// its destination what is left after the fee, and `input` gives what
    /// it drew from the wallet.
    pub fn moved<'a>(&'a self, chain: &'a str) -> (Vec<Moved<'a>>, Vec<Moved<'a>>) {
        let on = |token: &'a str, amount: Amount| Moved {
            chain,
            token,
            amount,
        };
        match self {
            Call::Input { token, amount } => (vec![], vec![on(token, *amount)]),
            Call::Approve { .. } => (vec![], vec![]),
            Call::Borrow { token, amount, .. }
            | Call::BorrowDebt { token, amount, .. }
            | Call::Withdraw { token, amount, .. } => (vec![], vec![on(token, *amount)]),
            Call::RepayDebt { token, amount, .. } => (vec![on(token, *amount)], vec![]),
            Call::Repay {
                token,
                amount,
                premium,
                ..
            } => {
                // Checked when the repay was made: the holding paid the sum.
                let paid = amount
                    .base
                    .checked_add(premium.base)
                    .map_or(*amount, |base| Amount {
                        base,
                        decimals: amount.decimals,
                    });
                (vec![on(token, paid)], vec![])
            }
            Call::Swap {
                path,
                amount_in,
                amount_out,
                ..
            } => {
                let first = path.first().map_or("", String::as_str);
                let last = path.last().map_or("", String::as_str);
                (vec![on(first, *amount_in)], vec![on(last, *amount_out)])
            }
            Call::Deposit { token, amount, .. } => (vec![on(token, *amount)], vec![]),
            // One for one: what went in comes out as the other token.
            Call::Wrap {
                token,
                into,
                amount,
            }
            | Call::Unwrap {
                token,
                into,
                amount,
            } => (vec![on(token, *amount)], vec![on(into, *amount)]),
            Call::Bridge {
                token,
                amount,
                to,
                fee,
                ..
            } => {
                let arrived = Amount {
                    base: amount.base - fee.base.min(amount.base),
                    decimals: amount.decimals,
                };
                (
                    vec![on(token, *amount)],
                    vec![Moved {
                        chain: to,
                        token,
                        amount: arrived,
                    }],
                )
            }
        }
    }
}
