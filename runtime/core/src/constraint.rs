//! What a bundle demands of its run, checked when it finishes: a deadline,
//! a gas limit, minimum balances and invariants.

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
