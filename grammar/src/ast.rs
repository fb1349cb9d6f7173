//! The abstract syntax tree of a `.mesh` file.
//!
//! Every node carries the byte span of the source text it was parsed from, so
//! that every later phase (checker, formatter, language server, lowering) can
//! point back at the user's text. The tree is purely syntactic: names are not
//! resolved and numbers are kept as written (`1_000.5`), because the number of
//! decimals a literal may have depends on its token, which is a semantic fact.
//!
//! Where the parser recovered from a syntax error it leaves an `Error` node in
//! place of what it could not read, so that a tree always exists, even mid-edit.

use std::fmt;

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span that covers both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A lower-case name: a chain, a protocol, a bridge kind, an invariant, a
/// bundle or a let-bound value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// An upper-case token symbol such as `WETH`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Symbol {
    pub name: String,
    pub span: Span,
}

/// A number literal exactly as written, underscores and fraction included
/// (`1_000_000`, `0.5`). Lexically valid: digits with single `_` separators
/// between digits and an optional `.` followed by at least one digit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Number {
    pub text: String,
    pub span: Span,
}

/// A `0x` address of exactly 40 hex digits, as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Address {
    pub text: String,
    pub span: Span,
}

/// A whole source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub items: Vec<Item>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Token(TokenDecl),
    Bundle(Bundle),
    /// Text between items that could not be parsed; the error was reported.
    Error(Span),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Token(t) => t.span,
            Item::Bundle(b) => b.span,
            Item::Error(span) => *span,
        }
    }
}

/// `token SYMBOL decimals NUMBER (at ADDRESS)?`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenDecl {
    pub symbol: Symbol,
    pub decimals: Number,
    pub address: Option<Address>,
    pub span: Span,
}

/// `bundle NAME on CHAIN { ... } (constraints { ... })?`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub name: Ident,
    pub home: Ident,
    pub body: Block,
    pub constraints: Option<Constraints>,
    pub span: Span,
}

/// `constraints { ... }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraints {
    pub items: Vec<Constraint>,
    /// The whole `constraints { ... }` text, keyword included.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constraint {
    pub kind: ConstraintKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    /// `deadline: N` — blocks, end to end.
    Deadline(Number),
    /// `max_gas: N` — total gas over all chains.
    MaxGas(Number),
    /// `min_balance: AMOUNT (on CHAIN)?` — the bundle's final holding.
    MinBalance {
        amount: Amount,
        chain: Option<Ident>,
    },
    /// `min_security: KIND` — the least trusted bridge route the bundle
    /// accepts, named by a route kind (`htlb`, `zk`, `threshold`).
    MinSecurity(Ident),
    /// `min_health: N` — every lender position the bundle changes ends
    /// with at least this health factor (`1.5`).
    MinHealth(Number),
    /// `invariant: NAME`, e.g. `constant_product`.
    Invariant(Ident),
    /// A constraint that could not be parsed; the error was reported.
    Error,
}

/// `{ stmt* }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    /// From `{` to `}` inclusive.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `let NAME = ACTION`
    Let { name: Ident, action: Action },
    /// An action whose value is not bound.
    Action(Action),
    /// `input AMOUNT` — draw funds from the wallet on the current chain.
    Input(Amount),
    /// `on CHAIN { ... }`
    On { chain: Ident, block: Block },
    /// `parallel { ... } and { ... } (and { ... })*` — at least two branches.
    Parallel { branches: Vec<Block> },
    /// `require AMOUNT CMP AMOUNT`
    Require {
        left: Amount,
        op: Comparison,
        op_span: Span,
        right: Amount,
    },
    /// `assume (debt | collateral) AMOUNT at PROTOCOL` — what the user's
    /// position at a lender holds when the statement runs, at least.
    Assume {
        position: Position,
        /// The span of `debt` or `collateral`.
        position_span: Span,
        amount: Amount,
        protocol: Ident,
    },
    /// A statement that could not be parsed; the error was reported.
    Error,
}

/// What an `assume` states about a position at a lender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// What the user owes the lender.
    Debt,
    /// What the user has deposited there.
    Collateral,
}

impl Position {
    pub fn as_str(self) -> &'static str {
        match self {
            Position::Debt => "debt",
            Position::Collateral => "collateral",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Lt => "<",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    /// The span of the action's keyword (`borrow`, `swap`, ...).
    pub keyword_span: Span,
    /// The whole action, keyword to last word.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// `borrow AMOUNT from PROTOCOL (as debt)?`
    Borrow {
        amount: Amount,
        protocol: Ident,
        /// The span of `as debt`: the loan is left open as the user's debt.
        as_debt: Option<Span>,
    },
    /// `repay AMOUNT to PROTOCOL`
    Repay { amount: Amount, protocol: Ident },
    /// `swap AMOUNT for (AMOUNT | SYMBOL) on EXCHANGE`
    Swap {
        amount: Amount,
        output: SwapOutput,
        exchange: Ident,
    },
    /// `deposit AMOUNT into PROTOCOL`
    Deposit { amount: Amount, protocol: Ident },
    /// `withdraw AMOUNT from PROTOCOL`
    Withdraw { amount: Amount, protocol: Ident },
    /// `bridge AMOUNT to CHAIN (via ROUTE)?`
    Bridge {
        amount: Amount,
        destination: Ident,
        route: Option<Ident>,
    },
}

impl ActionKind {
    /// The keyword that starts the action.
    pub fn keyword(&self) -> &'static str {
        match self {
            ActionKind::Borrow { .. } => "borrow",
            ActionKind::Repay { .. } => "repay",
            ActionKind::Swap { .. } => "swap",
            ActionKind::Deposit { .. } => "deposit",
            ActionKind::Withdraw { .. } => "withdraw",
            ActionKind::Bridge { .. } => "bridge",
        }
    }
}

/// What a swap buys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SwapOutput {
    /// `for 190_000 USDC` — at least this much must come out (slippage bound).
    AtLeast(Amount),
    /// `for USDC` — no bound (draws a warning).
    Token(Symbol),
}

/// An amount expression (`amount` in the grammar of docs/syntax.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    pub kind: AmountKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountKind {
    /// `NUMBER SYMBOL`, e.g. `100 WETH`.
    Quantity { number: Number, symbol: Symbol },
    /// A plain number: only meaningful as the right side of `*` or `/`.
    Scalar(Number),
    /// `all SYMBOL`: the whole holding of that token on the current chain.
    All { symbol: Symbol },
    /// A let-bound value.
    Var(Ident),
    /// `left OP right` for `+ - * /`.
    Binary {
        op: BinaryOp,
        op_span: Span,
        left: Box<Amount>,
        right: Box<Amount>,
    },
    /// `( amount )`
    Paren(Box<Amount>),
    /// An amount that could not be parsed; the error was reported.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

/// A comment, kept out of the tree but reported beside it so that the
/// formatter can put every comment back where it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub kind: CommentKind,
    /// The whole comment, delimiters included.
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    Line,
    Block,
}
