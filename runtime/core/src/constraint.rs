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
    /// At most this many seconds, end to end: each transaction takes a
    /// block of its chain, each bridge its delay in blocks of the chain it
    /// leaves, each at that chain's block time.
    DeadlineSeconds(u64),
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
    /// The bundle gains at least `amount` base units of `token`, net of its
    /// gas: what it changed in the wallet and the positions, less the gas
    /// every chain charged, all valued in `token` ([`crate::money`]).
    MinProfit {
        token: String,
        amount: u128,
    },
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

    /// The deadline in blocks, if the bundle sets one.
    pub fn deadline_blocks(&self) -> Option<u64> {
        self.items.iter().find_map(|(c, _)| match c {
            Constraint::Deadline(blocks) => Some(*blocks),
            _ => None,
        })
    }

    /// The deadline in seconds, if the bundle sets one.
    pub fn deadline_seconds(&self) -> Option<u64> {
        self.items.iter().find_map(|(c, _)| match c {
            Constraint::DeadlineSeconds(seconds) => Some(*seconds),
            _ => None,
        })
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

/// Judges `deadline: LIMIT s` on a run that took `elapsed_ms`
/// milliseconds (`None`: a chain of the run has no block time, so its time
/// cannot be told). `untimed` names that chain, if known. Returns the
/// reason the run misses the deadline, or `None` when it meets it. The one
/// judgement of a deadline in seconds: the model's session and the EVM
/// engine both call it.
pub fn deadline_seconds_missed(
    elapsed_ms: Option<u64>,
    limit_seconds: u64,
    untimed: Option<&str>,
) -> Option<String> {
    let Some(ms) = elapsed_ms else {
        let chain = untimed.unwrap_or("a chain of the bundle");
        return Some(format!(
            "deadline: the registry gives {chain} no block time, so the bundle's time in seconds cannot be told"
        ));
    };
    // A limit past the largest time is never reached.
    let limit_ms = limit_seconds.checked_mul(1000).filter(|l| ms > *l)?;
    Some(format!(
        "deadline: the bundle takes {}; the deadline is {}",
        crate::amount::display_seconds(ms),
        crate::amount::display_seconds(limit_ms)
    ))
}

#[cfg(test)]
mod deadline_tests {
    use super::deadline_seconds_missed;

    #[test]
    fn a_deadline_in_seconds_is_met_missed_or_untold() {
        assert_eq!(deadline_seconds_missed(Some(90_000), 90, None), None);
        assert_eq!(
            deadline_seconds_missed(Some(90_250), 90, None).as_deref(),
            Some("deadline: the bundle takes 90.25s; the deadline is 90s")
        );
        assert_eq!(
            deadline_seconds_missed(None, 90, Some("base")).as_deref(),
            Some("deadline: the registry gives base no block time, so the bundle's time in seconds cannot be told")
        );
        assert_eq!(
            deadline_seconds_missed(None, 90, None).as_deref(),
            Some("deadline: the registry gives a chain of the bundle no block time, so the bundle's time in seconds cannot be told")
        );
        // A limit beyond what milliseconds in 64 bits can hold is never reached.
        assert_eq!(
            deadline_seconds_missed(Some(u64::MAX), u64::MAX, None),
            None
        );
    }
}
