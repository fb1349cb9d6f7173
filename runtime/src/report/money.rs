//! Money in a report: the gas each chain charged, priced in its native
//! coin at the registry's gas price, and the bundle's result net of gas in
//! a quote token, valued through the world's oracle ([`mesh_core::money`]).
//!
//! The result is what the bundle changed: each wallet balance and each
//! deposit at a lender, after less before, less each change of a debt.
//! Each change is valued in the quote token, a gain rounded down and a
//! loss rounded up; each chain's gas cost is valued the same way, rounded
//! up. The net is the value less the gas, so a profit is never overstated.

use std::collections::BTreeMap;

use super::{Amount, BalanceChange, PositionChange};
use crate::amount::{display_units, format_units};
use crate::world::World;
use mesh_core::money::{self, Priced, Quote, Rounding};

/// One chain's gas, priced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasCost {
    pub chain: String,
    /// The chain's native coin, what its gas is paid in.
    pub token: String,
    pub gas: u64,
    /// What a unit of gas costs, in the native coin.
    pub price: Amount,
    /// `gas · price`, in the native coin.
    pub cost: Amount,
}

impl GasCost {
    /// The gas price as people read it: in gwei (10⁻⁹ of a whole coin)
    /// when the coin has the decimals for it, else in the coin.
    pub fn price_text(&self) -> String {
        match self.price.decimals.checked_sub(9) {
            Some(places) => format!("{} gwei", display_units(self.price.base, places)),
            None => format!("{} {} per gas", self.price, self.token),
        }
    }
}

/// A signed amount of the quote token, in its base units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signed {
    pub base: i128,
    pub decimals: u8,
}

impl Signed {
    fn text(self, units: fn(u128, u8) -> String) -> String {
        let magnitude = units(self.base.unsigned_abs(), self.decimals);
        if self.base < 0 {
            format!("-{magnitude}")
        } else {
            magnitude
        }
    }

    /// As JSON writes amounts: plain digits, `-` for a loss.
    pub fn plain(self) -> String {
        self.text(format_units)
    }

    /// As people read amounts: `1_250.5`, `-0.12`.
    pub fn display(self) -> String {
        self.text(display_units)
    }
}

/// The bundle's result in the quote token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetFigures {
    /// What the bundle's changes are worth (before gas).
    pub value: Signed,
    /// What its gas cost, on every chain.
    pub gas: Amount,
    /// `value − gas`.
    pub net: Signed,
}

/// The result net of gas in a quote token, or why it cannot be told (a
/// token without a price, a chain without a gas price).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    pub quote: String,
    pub figures: Result<NetFigures, String>,
}

/// A change of what the user holds: `before` and `after`, in base units
/// of `token`. A debt counts against the user (`owed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueChange<'a> {
    pub token: &'a str,
    pub before: u128,
    pub after: u128,
    pub owed: bool,
}

/// The changes a report lists: wallet balances, then each position's
/// collateral and debt.
pub fn changes_of<'a>(
    wallet: &'a [BalanceChange],
    lenders: &'a [PositionChange],
) -> Vec<ValueChange<'a>> {
    let mut out: Vec<ValueChange<'a>> = wallet
        .iter()
        .map(|w| ValueChange {
            token: &w.token,
            before: w.balance.before.base,
            after: w.balance.after.base,
            owed: false,
        })
        .collect();
    for p in lenders {
        out.push(ValueChange {
            token: &p.token,
            before: p.collateral.before.base,
            after: p.collateral.after.base,
            owed: false,
        });
        out.push(ValueChange {
            token: &p.token,
            before: p.debt.before.base,
            after: p.debt.after.base,
            owed: true,
        });
    }
    out
}

/// The gas of each chain in `by_chain` that the registry gives a gas price
/// and a native coin, priced; the others are left out.
pub fn gas_costs(world: &World, by_chain: &BTreeMap<String, u64>) -> Vec<GasCost> {
    by_chain
        .iter()
        .filter_map(|(chain, gas)| gas_cost(world, chain, *gas).ok())
        .collect()
}

fn gas_cost(world: &World, chain: &str, gas: u64) -> Result<GasCost, String> {
    let info = world
        .registry
        .chain(chain)
        .ok_or_else(|| format!("unknown chain `{chain}`"))?;
    let price = info
        .gas_price
        .ok_or_else(|| format!("the registry gives {chain} no gas price"))?;
    let token = info
        .native
        .clone()
        .ok_or_else(|| format!("the registry names no native coin of {chain}"))?;
    let decimals = world
        .registry
        .token(&token)
        .map(|t| t.decimals)
        .ok_or_else(|| format!("unknown token `{token}`"))?;
    let cost = money::gas_cost(gas, price)
        .map_err(|_| format!("the gas cost on {chain} does not fit in 128 bits"))?;
    Ok(GasCost {
        chain: chain.to_string(),
        token,
        gas,
        price: Amount {
            base: price,
            decimals,
        },
        cost: Amount {
            base: cost,
            decimals,
        },
    })
}

/// `token` with its decimals and price, or why it has none.
fn priced(world: &World, token: &str, amount: u128) -> Result<Priced, String> {
    let decimals = world
        .registry
        .token(token)
        .map(|t| t.decimals)
        .ok_or_else(|| format!("unknown token `{token}`"))?;
    let price = world
        .price(token)
        .ok_or_else(|| format!("{token} has no price in the world's oracle"))?;
    Ok(Priced {
        amount,
        decimals,
        price,
    })
}

fn too_large() -> String {
    "the result does not fit in 128 bits".to_string()
}

/// The result of `changes` and the gas of `by_chain`, in `quote`.
pub fn net_figures(
    world: &World,
    changes: &[ValueChange<'_>],
    by_chain: &BTreeMap<String, u64>,
    quote: &str,
) -> Result<NetFigures, String> {
    let unit = priced(world, quote, 0)?;
    let q = Quote {
        decimals: unit.decimals,
        price: unit.price,
    };
    let mut value: i128 = 0;
    for c in changes {
        if c.before == c.after {
            continue;
        }
        // A gain: the holding grew, or a debt shrank.
        let gain = (c.after > c.before) != c.owed;
        let moved = c.after.abs_diff(c.before);
        let rounding = if gain { Rounding::Down } else { Rounding::Up };
        let worth = money::in_quote(priced(world, c.token, moved)?, q, rounding)
            .map_err(|_| too_large())?;
        let worth = i128::try_from(worth).map_err(|_| too_large())?;
        value = if gain {
            value.checked_add(worth)
        } else {
            value.checked_sub(worth)
        }
        .ok_or_else(too_large)?;
    }
    let mut gas: u128 = 0;
    for (chain, used) in by_chain {
        let cost = gas_cost(world, chain, *used)?;
        let native = world
            .price(&cost.token)
            .ok_or_else(|| format!("{} has no price in the world's oracle", cost.token))?;
        let worth = money::in_quote(
            Priced {
                amount: cost.cost.base,
                decimals: cost.cost.decimals,
                price: native,
            },
            q,
            Rounding::Up,
        )
        .map_err(|_| too_large())?;
        gas = gas.checked_add(worth).ok_or_else(too_large)?;
    }
    let net = value
        .checked_sub(i128::try_from(gas).map_err(|_| too_large())?)
        .ok_or_else(too_large)?;
    Ok(NetFigures {
        value: Signed {
            base: value,
            decimals: q.decimals,
        },
        gas: Amount {
            base: gas,
            decimals: q.decimals,
        },
        net: Signed {
            base: net,
            decimals: q.decimals,
        },
    })
}
