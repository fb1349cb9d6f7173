//! The resolved form of a bundle: what the lowering reads. Names are resolved
//! to the registry's spellings, amounts are expressions in base units over
//! let-bound values, and every bridge carries the route each optimisation
//! level takes.

use mesh_core::BridgeKind;
pub use mesh_grammar::Position;
use mesh_grammar::{Comparison, Span};

/// A let-bound value of one bundle: an index into [`CheckedBundle::variables`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub u32);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// The token of its value; `None` when the binding had an error.
    pub token: Option<String>,
    /// The name in `let NAME = ...`.
    pub span: Span,
}

/// An amount in base units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountExpr {
    /// An exact amount: `100 WETH` is `100 * 10^18`.
    Const {
        token: String,
        base_units: u128,
    },
    /// The whole holding of the token on the statement's chain at that point.
    All {
        token: String,
    },
    /// A let-bound value.
    Var {
        var: VarId,
        token: String,
    },
    Add(Box<AmountExpr>, Box<AmountExpr>),
    /// Reverts at run time if the right side is larger.
    Sub(Box<AmountExpr>, Box<AmountExpr>),
    /// `floor(amount * numerator / denominator)`: `x * 1.5` is
    /// `x * 15 / 10`, `x / 4` is `x * 1 / 4`. The denominator is never zero.
    Scale {
        amount: Box<AmountExpr>,
        numerator: u128,
        denominator: u128,
    },
}

/// An amount with its token and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedAmount {
    pub expr: AmountExpr,
    pub token: String,
    pub span: Span,
    /// The exact value when the checker knows it.
    pub exact: Option<u128>,
}

/// A route as one optimisation level uses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteChoice {
    pub kind: BridgeKind,
    pub delay_blocks: u64,
    pub gas: u64,
    pub fee_bps: u32,
}

/// The route of a bridge at each level. A pinned bridge (`via K`) has the
/// same route at both; an unpinned one takes the most trusted route at
/// `-O0` and the cheapest in gas with no higher fee at `-O`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeRoute {
    pub pinned: bool,
    pub o0: RouteChoice,
    pub o: RouteChoice,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepKind {
    Input {
        amount: ResolvedAmount,
    },
    Require {
        left: ResolvedAmount,
        op: Comparison,
        right: ResolvedAmount,
    },
    Borrow {
        amount: ResolvedAmount,
        protocol: String,
    },
    Repay {
        amount: ResolvedAmount,
        protocol: String,
        /// Whether it leaves no principal owed, closing the loan (and
        /// paying a flash loan's premium).
        closes: bool,
    },
    /// `borrow A from P as debt`: a loan left open as the user's debt.
    BorrowDebt {
        amount: ResolvedAmount,
        protocol: String,
    },
    /// A `repay` of the user's debt (the bundle holds no loan of that token
    /// from `protocol` there): exactly the amount, no premium.
    RepayDebt {
        amount: ResolvedAmount,
        protocol: String,
    },
    /// `assume debt A at P` or `assume collateral A at P`: a check of the
    /// user's position when the statement runs.
    Assume {
        position: Position,
        amount: ResolvedAmount,
        protocol: String,
    },
    Swap {
        amount: ResolvedAmount,
        output_token: String,
        /// The slippage bound; `None` for an unbounded swap.
        min_output: Option<ResolvedAmount>,
        exchange: String,
        /// The tokens the swap passes through between its input and its
        /// output, in order (empty: one hop).
        via: Vec<String>,
    },
    Deposit {
        amount: ResolvedAmount,
        protocol: String,
    },
    Withdraw {
        amount: ResolvedAmount,
        protocol: String,
    },
    Bridge {
        amount: ResolvedAmount,
        destination: String,
        route: BridgeRoute,
    },
    /// `wrap A`: the native coin `A` into `output_token`, one for one.
    Wrap {
        amount: ResolvedAmount,
        output_token: String,
    },
    /// `unwrap A`: the wrapped native token `A` into `output_token`, the
    /// native coin, one for one.
    Unwrap {
        amount: ResolvedAmount,
        output_token: String,
    },
}

impl StepKind {
    /// Whether the step is a chain action (a transaction of its own at
    /// `-O0`); `input`, `require` and `assume` are not.
    pub fn is_action(&self) -> bool {
        !matches!(
            self,
            StepKind::Input { .. } | StepKind::Require { .. } | StepKind::Assume { .. }
        )
    }
}

/// What a wallet approval grants: on a chain, a token, to a spender (a
/// protocol, or the bridge of a kind leaving that chain).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Approval {
    pub chain: String,
    pub token: String,
    pub spender: mesh_core::Spender<String>,
}

/// The approvals a bundle run by hand (`-O0`) has granted so far. A wallet
/// approval grants the maximum allowance, so it stands for the rest of the
/// bundle: each (chain, token, spender) is approved once, before the first
/// step that needs it. Each branch of a `parallel` starts from what was
/// granted before the `parallel`, as the branches run in no set order;
/// after it, everything any branch granted stands ([`Approvals::join`]).
#[derive(Clone, Debug, Default)]
pub struct Approvals {
    granted: std::collections::BTreeSet<Approval>,
}

impl Approvals {
    /// The approval `step` still needs before it runs, recorded as granted;
    /// `None` when it needs none or already has it.
    pub fn grant(&mut self, step: &Step) -> Option<Approval> {
        let approval = step.approval()?;
        self.granted.insert(approval.clone()).then_some(approval)
    }

    /// Adds what a branch granted.
    pub fn join(&mut self, branch: Approvals) {
        self.granted.extend(branch.granted);
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The chain the statement runs on.
    pub chain: String,
    pub kind: StepKind,
    /// The value it binds (`let NAME = ...`).
    pub binds: Option<VarId>,
    /// The whole statement.
    pub span: Span,
}

impl Step {
    /// The approval the step needs when the user runs it by hand: a step
    /// that hands a token to a protocol or a bridge (`repay`, of a loan or
    /// a debt, `swap`,
    /// `deposit`, `bridge`) lets it pull the token with `transferFrom`,
    /// which needs the sender's approval; the unpinned bridge's spender is
    /// the `-O0` route's. The native coin is sent with the call and has no
    /// `approve`: no step needs an approval for it; `wrap` sends the coin
    /// with the call and `unwrap` burns the caller's own WETH.
    pub fn approval(&self) -> Option<Approval> {
        let (amount, spender) = match &self.kind {
            StepKind::Repay {
                amount, protocol, ..
            }
            | StepKind::RepayDebt { amount, protocol }
            | StepKind::Deposit { amount, protocol } => {
                (amount, mesh_core::Spender::Protocol(protocol.clone()))
            }
            StepKind::Swap {
                amount, exchange, ..
            } => (amount, mesh_core::Spender::Protocol(exchange.clone())),
            StepKind::Bridge { amount, route, .. } => {
                (amount, mesh_core::Spender::Bridge(route.o0.kind))
            }
            StepKind::Input { .. }
            | StepKind::Require { .. }
            | StepKind::Borrow { .. }
            | StepKind::Withdraw { .. }
            | StepKind::Wrap { .. }
            | StepKind::Unwrap { .. }
            | StepKind::BorrowDebt { .. }
            | StepKind::Assume { .. } => return None,
        };
        if mesh_core::registry::is_native_coin(&amount.token) {
            return None;
        }
        Some(Approval {
            chain: self.chain.clone(),
            token: amount.token.clone(),
            spender,
        })
    }
}

// Steps are the common case; boxing them would cost an allocation each.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolvedStatement {
    Step(Step),
    /// `on CHAIN { ... }`
    On {
        chain: String,
        block: ResolvedBlock,
        span: Span,
    },
    /// `parallel { ... } and { ... }`
    Parallel {
        branches: Vec<ResolvedBlock>,
        span: Span,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvedBlock {
    pub statements: Vec<ResolvedStatement>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinBalance {
    pub token: String,
    pub chain: String,
    pub base_units: u128,
    pub span: Span,
}

/// `min_profit`: the bundle's gain net of gas, valued in `token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinProfit {
    pub token: String,
    pub base_units: u128,
    pub span: Span,
}

pub use mesh_core::Invariant;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvedConstraints {
    /// Blocks, end to end.
    pub deadline: Option<u64>,
    /// Seconds, end to end, each chain's blocks at its block time.
    pub deadline_seconds: Option<u64>,
    /// Total gas over all chains (judged once the lowering exists).
    pub max_gas: Option<u64>,
    /// The least trusted route kind an unpinned bridge may take at `-O`
    /// (`min_security`); without it, the `-O0` route's trust is the floor.
    pub min_security: Option<mesh_core::BridgeKind>,
    pub min_balances: Vec<MinBalance>,
    pub invariants: Vec<Invariant>,
    /// The least the bundle must gain net of gas (judged when it runs:
    /// the prices are the world's).
    pub min_profit: Option<MinProfit>,
    /// `min_health`, in wads (`10¹⁸` is 1.0).
    pub min_health: Option<u128>,
}

/// A loan from a lender that offers flash loans, taken where the bundle
/// has put or stated no collateral at that lender before it. It needs none
/// if the lowering makes it a flash loan (borrowed and repaid inside one
/// transaction), and collateral otherwise: the pipeline judges it on the
/// lowering at the level in force (E0603).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnbackedLoan {
    /// The `borrow`.
    pub span: Span,
    /// The statement it is in (where its lowered box answers).
    pub statement: Span,
    pub chain: String,
    pub lender: String,
    pub token: String,
}

/// One checked bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedBundle {
    pub name: String,
    /// The home chain; `None` if it is unknown (an error was reported).
    pub home: Option<String>,
    pub body: ResolvedBlock,
    pub variables: Vec<Variable>,
    pub constraints: ResolvedConstraints,
    /// Blocks the bundle takes lowered at `-O0` and at `-O`.
    pub blocks_o0: u64,
    pub blocks_o: u64,
    /// Whether this phase reported an error inside the bundle (then `body`
    /// leaves out the steps that had one).
    pub has_errors: bool,
    pub span: Span,
    /// Its loans that need collateral unless the lowering makes them
    /// flash loans.
    pub unbacked_loans: Vec<UnbackedLoan>,
}
