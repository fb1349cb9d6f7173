//! The resolved form of a bundle: what the lowering reads. Names are resolved
//! to the registry's spellings, amounts are expressions in base units over
//! let-bound values, and every bridge carries the route each optimisation
//! level takes.

use mesh_core::BridgeKind;
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
        premium_bps: u32,
    },
    Repay {
        amount: ResolvedAmount,
        protocol: String,
        premium_bps: u32,
    },
    Swap {
        amount: ResolvedAmount,
        output_token: String,
        /// The slippage bound; `None` for an unbounded swap.
        min_output: Option<ResolvedAmount>,
        exchange: String,
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
}

impl StepKind {
    /// Whether the step is a chain action (a transaction of its own at
    /// `-O0`); `input` and `require` are not.
    pub fn is_action(&self) -> bool {
        !matches!(self, StepKind::Input { .. } | StepKind::Require { .. })
    }

    /// Whether the step hands a token to a protocol or bridge, and so needs
    /// an approval when the user runs it by hand.
    pub fn needs_approval(&self) -> bool {
        matches!(
            self,
            StepKind::Repay { .. }
                | StepKind::Swap { .. }
                | StepKind::Deposit { .. }
                | StepKind::Bridge { .. }
        )
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

pub use mesh_core::Invariant;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvedConstraints {
    /// Blocks, end to end.
    pub deadline: Option<u64>,
    /// Total gas over all chains (judged once the lowering exists).
    pub max_gas: Option<u64>,
    /// The least trusted route kind an unpinned bridge may take at `-O`
    /// (`min_security`); without it, the `-O0` route's trust is the floor.
    pub min_security: Option<mesh_core::BridgeKind>,
    pub min_balances: Vec<MinBalance>,
    pub invariants: Vec<Invariant>,
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
}
