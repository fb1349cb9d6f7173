//! What a bundle demands of its run: a deadline, a gas limit, minimum
//! balances and invariants, checked when it finishes, and the comparison
//! of a `require`, checked where it stands.

use crate::loc::Loc;

/// An invariant a bundle can demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invariant {
    /// No pair's `k = reserve0 · reserve1` decreased: every swap leaves its
    /// pair's product of reserves no smaller.
    ConstantProduct,
}

impl Invariant {
    pub const ALL: [Invariant; 1] = [Invariant::ConstantProduct];

    /// The name a bundle writes after `invariant:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Invariant::ConstantProduct => "constant_product",
        }
    }

    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.as_str() == name)
    }
}

/// How a `require` compares its two sides.
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
    pub const ALL: [Comparison; 6] = [
        Comparison::Ge,
        Comparison::Le,
        Comparison::Gt,
        Comparison::Lt,
        Comparison::Eq,
        Comparison::Ne,
    ];

    /// The operator as a bundle writes it: `>=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Ge => ">=",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Lt => "<",
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
        }
    }

    /// Whether `left` compares to `right` so.
    pub fn holds(self, left: u128, right: u128) -> bool {
        match self {
            Comparison::Ge => left >= right,
            Comparison::Le => left <= right,
            Comparison::Gt => left > right,
            Comparison::Lt => left < right,
            Comparison::Eq => left == right,
            Comparison::Ne => left != right,
        }
    }

    /// What the left side needs to be, put into words before the right
    /// side's value: "at least" 100 USDC.
    pub fn needs(self) -> &'static str {
        match self {
            Comparison::Ge => "at least",
            Comparison::Le => "at most",
            Comparison::Gt => "more than",
            Comparison::Lt => "less than",
            Comparison::Eq => "exactly",
            Comparison::Ne => "anything but",
        }
    }
}

/// One constraint of a bundle, checked at finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Constraint {
    /// At most this many blocks, end to end.
    Deadline(u64),
    /// At most this much gas, all chains together.
    MaxGas(u64),
    /// The bundle's final holding of `token` on `chain` is at least `amount`.
    MinBalance {
        chain: String,
        token: String,
        amount: u128,
    },
    Invariant(Invariant),
    /// Every bridge takes a route at least as secure as this kind's trust
    /// level ([`crate::BridgeKind::trust_level`]).
    MinSecurity(crate::BridgeKind),
    /// Every position at a lender whose collateral or debt the bundle
    /// changed ends with a health factor of at least this many wads
    /// (`10¹⁸` is 1.0), or owes nothing.
    MinHealth(u128),
}

/// A bundle's constraints, each with the source location it came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Constraints {
    pub items: Vec<(Constraint, Loc)>,
}

impl Constraints {
    pub fn new() -> Constraints {
        Constraints::default()
    }

    pub fn with(mut self, constraint: Constraint, loc: Loc) -> Constraints {
        self.items.push((constraint, loc));
        self
    }

    pub fn deadline(self, blocks: u64) -> Constraints {
        self.with(Constraint::Deadline(blocks), Loc::UNKNOWN)
    }

    pub fn max_gas(self, gas: u64) -> Constraints {
        self.with(Constraint::MaxGas(gas), Loc::UNKNOWN)
    }

    pub fn min_balance(self, chain: &str, token: &str, amount: u128) -> Constraints {
        self.with(
            Constraint::MinBalance {
                chain: chain.to_string(),
                token: token.to_string(),
                amount,
            },
            Loc::UNKNOWN,
        )
    }

    pub fn invariant(self, invariant: Invariant) -> Constraints {
        self.with(Constraint::Invariant(invariant), Loc::UNKNOWN)
    }
}
