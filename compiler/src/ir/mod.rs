//! The categorical IR: a bundle as a morphism of a free symmetric monoidal
//! category whose objects are typed wires.
//!
//! A wire is a `Funds(chain, token)` holding or a `Debt(chain, protocol,
//! token)` obligation. The user's debt at a lender, which outlives the
//! bundle, is no wire: `borrow … as debt` and its repayment act on it as
//! `withdraw` and `deposit` act on the user's deposits. Generators are the actions, each a box from the wires
//! it consumes to the wires it produces. Terms compose generators in sequence
//! (`;`), side by side (`⊗`), and group them into chain transactions. The
//! representation names wires, like SSA names values: composition is defined
//! when every wire a step consumes is live at that point, which is the named
//! form of `cod f = dom g` (the untouched wires pass through as identities).
//!
//! Amounts are not wires: they are [`Value`]s, computed when the bundle runs
//! (the amount a wire carries, a constant, arithmetic). The verifier
//! ([`verify`]) checks the laws after lowering and after every pass.
//!
//! Module map: here the wires, values, generators, terms and programs;
//! [`verify`] the laws a program keeps; [`gas`] the static gas and time
//! of a program, metered as the runtime meters it; `print` the text form
//! (`--emit ir`, through `Display`).

pub mod gas;
mod print;
pub mod verify;

pub use verify::{verify, VerifyError};

use mesh_core::constraint::Comparison;
use mesh_core::registry::BridgeKind;
use std::fmt;

/// A wire: one resource flowing between boxes, numbered within its program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wire(pub u32);

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// The type of a wire: an object of the category.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WireType {
    /// Part of the bundle's holding of `token` on `chain`.
    Funds { chain: String, token: String },
    /// An open obligation to `protocol` on `chain`, in `token`: only a
    /// repay can consume it, and none may be left at the end. Its amount
    /// is the premium its loans owe: a flash loan's, none for an ordinary
    /// loan (two loans merged owe the sum, a partial repay's rest the
    /// same), which the repay that closes it pays with its principal.
    Debt {
        chain: String,
        protocol: String,
        token: String,
    },
}

impl WireType {
    pub fn funds(chain: &str, token: &str) -> WireType {
        WireType::Funds {
            chain: chain.to_string(),
            token: token.to_string(),
        }
    }

    pub fn debt(chain: &str, protocol: &str, token: &str) -> WireType {
        WireType::Debt {
            chain: chain.to_string(),
            protocol: protocol.to_string(),
            token: token.to_string(),
        }
    }

    pub fn chain(&self) -> &str {
        match self {
            WireType::Funds { chain, .. } | WireType::Debt { chain, .. } => chain,
        }
    }

    pub fn token(&self) -> &str {
        match self {
            WireType::Funds { token, .. } | WireType::Debt { token, .. } => token,
        }
    }

    pub fn is_debt(&self) -> bool {
        matches!(self, WireType::Debt { .. })
    }
}

impl fmt::Display for WireType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireType::Funds { chain, token } => write!(f, "Funds({chain}, {token})"),
            WireType::Debt {
                chain,
                protocol,
                token,
            } => write!(f, "Debt({chain}, {protocol}, {token})"),
        }
    }
}

/// Where in the source a box comes from, so that a revert names the line.
pub use mesh_core::Loc;

/// An amount in base units, computed when the bundle runs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Const(u128),
    /// The amount a wire carried when it was produced.
    AmountOf(Wire),
    Add(Box<Value>, Box<Value>),
    Sub(Box<Value>, Box<Value>),
    /// `value * numerator / denominator`, rounded down: `x * 1.5` is
    /// `x * 15 / 10`, `x / 2` is `x * 1 / 2`.
    Scale {
        value: Box<Value>,
        numerator: u128,
        denominator: u128,
    },
}

impl Value {
    /// Every wire whose amount this value reads.
    pub fn wires(&self, out: &mut Vec<Wire>) {
        match self {
            Value::Const(_) => {}
            Value::AmountOf(wire) => out.push(*wire),
            Value::Add(a, b) | Value::Sub(a, b) => {
                a.wires(out);
                b.wires(out);
            }
            Value::Scale { value, .. } => value.wires(out),
        }
    }
}

/// A generator: one box of the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `I → Funds(c, t)`: draw `amount` from the user's wallet.
    Input {
        chain: String,
        token: String,
        amount: Value,
        out: Wire,
    },
    /// `I → Funds(c, t) ⊗ Debt(c, p, t)`. A flash loan (`flashLoanSimple`)
    /// when `flash`: the executor must close the obligation in the same
    /// transaction.
    Borrow {
        protocol: String,
        amount: Value,
        flash: bool,
        funds: Wire,
        debt: Wire,
    },
    /// `I → Funds(c, t₁) ⊗ Debt(c, p, t₁) ⊗ … ⊗ Funds(c, tₙ) ⊗ Debt(c, p, tₙ)`:
    /// flash loans of `n ≥ 2` different tokens from one lender in one call
    /// (Aave V3's multi-asset `flashLoan`), loan `i` of `amounts[i]`
    /// producing `funds[i]` and `debts[i]`, answerable at `locs[i]` (the
    /// statement it came from). Executor only; every obligation must be
    /// closed in the same transaction; all or nothing.
    FlashLoan {
        protocol: String,
        amounts: Vec<Value>,
        funds: Vec<Wire>,
        debts: Vec<Wire>,
        locs: Vec<Loc>,
    },
    /// `Funds(c, t) ⊗ Debt(c, p, t) → I` (or `→ Debt` when `rest` is some:
    /// a partial repay). `funds` carries the principal, and when the repay
    /// closes the obligation also the premium `debt` carries.
    Repay {
        protocol: String,
        principal: Value,
        funds: Wire,
        debt: Wire,
        rest: Option<Wire>,
    },
    /// `Funds(c, path[0]) → Funds(c, path[last])`, through every pair of the
    /// path, hop `i` (from `path[i]` to `path[i + 1]`) on the pair of
    /// `exchanges[i]` and answerable at `locs[i]` (the statement it came
    /// from); fails unless at least `min_out` comes out. A wallet's swap is
    /// on one exchange's router; the executor's pairs chain across
    /// exchanges.
    Swap {
        exchanges: Vec<String>,
        path: Vec<String>,
        locs: Vec<Loc>,
        input: Wire,
        min_out: Value,
        out: Wire,
    },
    /// `Funds(c, t) → I`: into the user's deposits at a lender.
    Deposit { protocol: String, funds: Wire },
    /// `I → Funds(c, t)`: out of the user's deposits at a lender.
    Withdraw {
        protocol: String,
        chain: String,
        token: String,
        amount: Value,
        out: Wire,
    },
    /// `Funds(c, t) → Funds(c', t)` over a route; the fee stays behind.
    Bridge {
        route: BridgeKind,
        input: Wire,
        out: Wire,
    },
    /// `Funds(c, t₁) ⊗ … ⊗ Funds(c, tₙ) → Funds(c', t₁) ⊗ … ⊗ Funds(c', tₙ)`:
    /// transfers of several tokens over one route carried by one message
    /// (one proof, one signature set); `outs[i]` is what arrives of
    /// `inputs[i]`, a transfer answerable at `locs[i]` (the statement it
    /// came from). Executor only, `zk` or `threshold` routes.
    BridgeBatch {
        route: BridgeKind,
        inputs: Vec<Wire>,
        outs: Vec<Wire>,
        locs: Vec<Loc>,
    },
    /// `Funds(c, n) → Funds(c, w)`: the chain's native coin `n` into the
    /// token `w` that wraps it, one for one (WETH9 `deposit`).
    Wrap { input: Wire, out: Wire },
    /// `Funds(c, w) → Funds(c, n)`: the wrapped native token back into the
    /// native coin, one for one (WETH9 `withdraw`).
    Unwrap { input: Wire, out: Wire },
    /// `Funds → Funds ⊗ Funds`: take `amount` out of a holding.
    Split {
        input: Wire,
        amount: Value,
        taken: Wire,
        rest: Wire,
    },
    /// `Funds ⊗ Funds → Funds`: two parts of one holding become one.
    Merge { inputs: [Wire; 2], out: Wire },
    /// `I → I` on one chain: an identity that aborts unless the comparison
    /// holds. Both sides are amounts of `token`; `text` is the condition as
    /// written and `left_text` its left side, which the revert reason quotes.
    Require {
        chain: String,
        left: Value,
        op: Comparison,
        right: Value,
        token: String,
        text: String,
        left_text: String,
    },
    /// `I → I`: an ERC-20 approval of `spender` for `token`, costing gas only.
    Approve {
        chain: String,
        token: String,
        spender: Spender,
    },
    /// `I → Funds(c, t)`: a loan left open as the user's debt at a lender
    /// (`borrow … as debt`). No obligation wire: the debt outlives the
    /// bundle; the lender checks the position's health.
    BorrowDebt {
        protocol: String,
        chain: String,
        token: String,
        amount: Value,
        out: Wire,
    },
    /// `Funds(c, t) → I`: pays back part of the user's debt at a lender;
    /// `funds` carries exactly the amount repaid (no premium).
    RepayDebt { protocol: String, funds: Wire },
    /// `I → I` on one chain: an identity that aborts unless the user's
    /// position at `protocol` is as `assumption` says (a check, as
    /// `require` is, costing nothing).
    Assume {
        chain: String,
        protocol: String,
        assumption: Assumption,
    },
}

/// What an [`Op::Assume`] checks of a position at a lender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assumption {
    /// The user owes at least `amount` of `token` (`assume debt`).
    Debt { token: String, amount: Value },
    /// The user has at least `amount` of `token` deposited (`assume
    /// collateral`).
    Collateral { token: String, amount: Value },
    /// The position owes nothing or has a health factor of at least 1: the
    /// check of a withdrawal, kept where the optimiser cancelled a deposit
    /// and the withdrawal of its amount.
    Healthy,
}

/// Who an approval lets spend a token: a protocol, by name, or a bridge.
pub type Spender = mesh_core::Spender<String>;

/// A generator with its source location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub op: Op,
    pub loc: Loc,
}

/// Who sends a transaction.
pub use mesh_core::Sender;
/// The constraints a bundle is judged on when it finishes.
pub use mesh_core::{Constraint, Constraints};

/// A morphism, built from generators by composition, tensor and grouping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Gen(Node),
    /// `t₁ ; t₂ ; …`; the empty sequence is the identity.
    Seq(Vec<Term>),
    /// `t₁ ⊗ t₂ ⊗ …`: independent branches on disjoint wires.
    Tensor(Vec<Term>),
    /// One chain transaction: every box inside acts on `chain`.
    Tx {
        chain: String,
        sender: Sender,
        body: Vec<Term>,
    },
}

/// A lowered bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub bundle: String,
    pub home: String,
    /// The type of every wire, indexed by `Wire.0`.
    pub wires: Vec<WireType>,
    pub body: Term,
    /// Checked when the bundle finishes, each with its source location.
    pub constraints: Constraints,
    /// Which reserves the user supplies and owes at each lender `(chain,
    /// lender)` when the bundle starts, as the world it is compiled for
    /// holds them: the gas of lender calls depends on them (docs/gas.md,
    /// "Positions"). Empty when no world is known.
    pub positions: LenderReserves,
}

/// Which reserves the user supplies and owes, by `(chain, lender)`, by
/// token symbol.
pub type LenderReserves = mesh_core::gas::Positions<(String, String), String>;

impl Program {
    pub fn wire_type(&self, wire: Wire) -> Option<&WireType> {
        self.wires.get(wire.0 as usize)
    }
}

impl Op {
    /// The wires the box consumes (its domain) and produces (its codomain).
    pub fn domain(&self) -> Vec<Wire> {
        match self {
            Op::Input { .. }
            | Op::Borrow { .. }
            | Op::FlashLoan { .. }
            | Op::Withdraw { .. }
            | Op::BorrowDebt { .. }
            | Op::Assume { .. } => Vec::new(),
            Op::Repay { funds, debt, .. } => vec![*funds, *debt],
            Op::RepayDebt { funds, .. } => vec![*funds],
            Op::Swap { input, .. }
            | Op::Bridge { input, .. }
            | Op::Split { input, .. }
            | Op::Wrap { input, .. }
            | Op::Unwrap { input, .. } => vec![*input],
            Op::Deposit { funds, .. } => vec![*funds],
            Op::Merge { inputs, .. } => inputs.to_vec(),
            Op::BridgeBatch { inputs, .. } => inputs.clone(),
            Op::Require { .. } | Op::Approve { .. } => Vec::new(),
        }
    }

    pub fn codomain(&self) -> Vec<Wire> {
        match self {
            Op::Input { out, .. }
            | Op::Withdraw { out, .. }
            | Op::BorrowDebt { out, .. }
            | Op::Swap { out, .. }
            | Op::Bridge { out, .. }
            | Op::Wrap { out, .. }
            | Op::Unwrap { out, .. }
            | Op::Merge { out, .. } => vec![*out],
            Op::Borrow { funds, debt, .. } => vec![*funds, *debt],
            Op::FlashLoan { funds, debts, .. } => funds
                .iter()
                .zip(debts)
                .flat_map(|(f, d)| [*f, *d])
                .collect(),
            Op::BridgeBatch { outs, .. } => outs.clone(),
            Op::Repay { rest, .. } => rest.iter().copied().collect(),
            Op::Split { taken, rest, .. } => vec![*taken, *rest],
            Op::Deposit { .. }
            | Op::RepayDebt { .. }
            | Op::Require { .. }
            | Op::Approve { .. }
            | Op::Assume { .. } => Vec::new(),
        }
    }

    /// The values the box reads.
    pub fn values(&self) -> Vec<&Value> {
        match self {
            Op::Input { amount, .. }
            | Op::Borrow { amount, .. }
            | Op::BorrowDebt { amount, .. }
            | Op::Withdraw { amount, .. }
            | Op::Split { amount, .. } => vec![amount],
            Op::Assume { assumption, .. } => match assumption {
                Assumption::Debt { amount, .. } | Assumption::Collateral { amount, .. } => {
                    vec![amount]
                }
                Assumption::Healthy => Vec::new(),
            },
            Op::Repay { principal, .. } => vec![principal],
            Op::FlashLoan { amounts, .. } => amounts.iter().collect(),
            Op::Swap { min_out, .. } => vec![min_out],
            Op::Require { left, right, .. } => vec![left, right],
            Op::Deposit { .. }
            | Op::RepayDebt { .. }
            | Op::Bridge { .. }
            | Op::BridgeBatch { .. }
            | Op::Wrap { .. }
            | Op::Unwrap { .. }
            | Op::Merge { .. }
            | Op::Approve { .. } => Vec::new(),
        }
    }

    /// Whether the box is a call on a chain (and so belongs in a
    /// transaction), rather than bookkeeping of the bundle's own holdings.
    pub fn is_on_chain(&self) -> bool {
        !matches!(self, Op::Split { .. } | Op::Merge { .. })
    }

    /// Whether the box needs an open transaction. `input` (the funds stay
    /// in the user's own account), `require` and `assume` (checks, no call)
    /// run in one when there is one, and between transactions otherwise.
    pub fn needs_transaction(&self) -> bool {
        self.is_on_chain()
            && !matches!(
                self,
                Op::Input { .. } | Op::Require { .. } | Op::Assume { .. }
            )
    }

    /// The lender whose state (its balances, the user's position there)
    /// the box reads or changes, if any.
    pub fn lender(&self) -> Option<&str> {
        match self {
            Op::Borrow { protocol, .. }
            | Op::FlashLoan { protocol, .. }
            | Op::Repay { protocol, .. }
            | Op::Deposit { protocol, .. }
            | Op::Withdraw { protocol, .. }
            | Op::BorrowDebt { protocol, .. }
            | Op::RepayDebt { protocol, .. }
            | Op::Assume { protocol, .. } => Some(protocol),
            _ => None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Borrow { .. } => "borrow",
            Op::FlashLoan { .. } => "flash loan",
            Op::Repay { .. } => "repay",
            Op::Swap { .. } => "swap",
            Op::Deposit { .. } => "deposit",
            Op::Withdraw { .. } => "withdraw",
            Op::Bridge { .. } => "bridge",
            Op::BridgeBatch { .. } => "bridge batch",
            Op::Wrap { .. } => "wrap",
            Op::Unwrap { .. } => "unwrap",
            Op::Split { .. } => "split",
            Op::Merge { .. } => "merge",
            Op::Require { .. } => "require",
            Op::Approve { .. } => "approve",
            Op::BorrowDebt { .. } => "borrow as debt",
            Op::RepayDebt { .. } => "repay debt",
            Op::Assume { .. } => "assume",
        }
    }
}

impl Term {
    /// The location of the first box inside, if any (where a transaction
    /// or a parallel group begins).
    pub fn first_loc(&self) -> Option<Loc> {
        match self {
            Term::Gen(node) => Some(node.loc),
            Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
                terms.iter().find_map(Term::first_loc)
            }
        }
    }

    /// The location of the last box inside, if any (where a transaction ends).
    pub fn last_loc(&self) -> Option<Loc> {
        match self {
            Term::Gen(node) => Some(node.loc),
            Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
                terms.iter().rev().find_map(Term::last_loc)
            }
        }
    }
}

/// The location of the first box of `terms`, or an unknown one.
pub fn first_loc(terms: &[Term]) -> Loc {
    terms.iter().find_map(Term::first_loc).unwrap_or_default()
}

/// The location of the last box of `terms`, or an unknown one.
pub fn last_loc(terms: &[Term]) -> Loc {
    terms
        .iter()
        .rev()
        .find_map(Term::last_loc)
        .unwrap_or_default()
}
