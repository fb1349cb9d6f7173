//! What a lender call costs on the position it acts on (docs/gas.md,
//! "Positions"). Each lender row was measured on one position; Aave V3
//! values every reserve of the account on a borrow and on a withdrawal
//! while it owes something, reads its one collateral on a repay and on a
//! first supply beside it, and writes more on an account's first supply
//! or borrow of an asset. So a call costs its row, plus what its position
//! adds to or takes from the row's.
//!
//! A position here is which reserves the account supplies and owes at the
//! lender, never how much: gas stays a function of the calls and of the
//! world the bundle starts from, known before it runs. A deposit makes
//! its reserve supplied and a borrow makes its reserve owed; a repay and a
//! withdrawal leave the reserve as it was, since whether they clear it
//! depends on amounts (docs/gas.md says what that leaves out).

use super::{GasSchedule, Operation};
use std::collections::BTreeMap;

/// One reserve of a position: whether the account supplies it and owes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Reserve {
    pub supplied: bool,
    pub owed: bool,
}

impl Reserve {
    /// Of three figures, the one for what the account holds here: the
    /// reserve supplied only, owed only, or supplied and owed (none for a
    /// reserve it neither supplies nor owes).
    pub fn figure(self, supplied: u64, owed: u64, both: u64) -> u64 {
        match (self.supplied, self.owed) {
            (true, true) => both,
            (true, false) => supplied,
            (false, true) => owed,
            (false, false) => 0,
        }
    }

    /// What valuing this reserve costs a borrow or a withdrawal of another
    /// asset (Aave V3's `calculateUserAccountData` reads its price, its
    /// configuration and each balance the account holds in it).
    fn valuation(self, schedule: &GasSchedule) -> u64 {
        self.figure(
            schedule.position_supplied_reserve,
            schedule.position_owed_reserve,
            schedule
                .position_supplied_reserve
                .saturating_add(schedule.position_supplied_debt),
        )
    }
}

/// A lender call's gas on its position, and the reserves besides its own
/// that it values (a borrow's, a withdrawal's with debt), each with what
/// the account holds in it: what a later call of the same transaction
/// finds warm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnPosition<T> {
    pub gas: u64,
    pub valued: Vec<(T, Reserve)>,
}

/// The reserves one account supplies and owes at one lender, by token.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reserves<T> {
    reserves: BTreeMap<T, Reserve>,
}

impl<T> Default for Reserves<T> {
    fn default() -> Self {
        Reserves {
            reserves: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone> Reserves<T> {
    /// A position that supplies `supplied` and owes `owed`.
    pub fn new(
        supplied: impl IntoIterator<Item = T>,
        owed: impl IntoIterator<Item = T>,
    ) -> Reserves<T> {
        let mut reserves = Reserves::default();
        for token in supplied {
            reserves.entry(token).supplied = true;
        }
        for token in owed {
            reserves.entry(token).owed = true;
        }
        reserves
    }

    /// The position of an account that holds `deposits` and owes `debts`
    /// (amounts by token symbol): a reserve for each token held in a
    /// non-zero amount, named by `name` (a token it cannot name is left
    /// out: no call can act on it).
    pub fn held(
        deposits: &BTreeMap<String, u128>,
        debts: &BTreeMap<String, u128>,
        name: impl Fn(&str) -> Option<T>,
    ) -> Reserves<T> {
        let tokens = |by_token: &BTreeMap<String, u128>| {
            by_token
                .iter()
                .filter(|(_, &amount)| amount > 0)
                .filter_map(|(token, _)| name(token))
                .collect::<Vec<_>>()
        };
        Reserves::new(tokens(deposits), tokens(debts))
    }

    fn reserve(&self, token: &T) -> Reserve {
        self.reserves.get(token).copied().unwrap_or_default()
    }

    fn entry(&mut self, token: T) -> &mut Reserve {
        self.reserves.entry(token).or_default()
    }

    /// How many reserves the account supplies.
    fn collaterals(&self) -> usize {
        self.reserves.values().filter(|r| r.supplied).count()
    }

    fn owes_anything(&self) -> bool {
        self.reserves.values().any(|r| r.owed)
    }

    /// What valuing every reserve but `token`'s costs.
    fn others(&self, schedule: &GasSchedule, token: &T) -> u64 {
        self.reserves
            .iter()
            .filter(|(t, _)| *t != token)
            .fold(0u64, |sum, (_, r)| {
                sum.saturating_add(r.valuation(schedule))
            })
    }

    /// Every reserve of the position but `token`'s, with what the account
    /// holds in it.
    fn other_reserves(&self, token: &T) -> Vec<(T, Reserve)> {
        self.reserves
            .iter()
            .filter(|(t, r)| *t != token && (r.supplied || r.owed))
            .map(|(t, r)| (t.clone(), *r))
            .collect()
    }

    /// The gas of `operation` on `token` at this position, whose row gives
    /// `row` (measured on the row's own position, docs/gas.md), and the
    /// other reserves it values; records what the call makes of the
    /// position. Calls other than a borrow, a repay, a deposit and a
    /// withdrawal cost their row.
    pub fn call(
        &mut self,
        schedule: &GasSchedule,
        operation: &Operation<'_>,
        token: T,
        row: u64,
    ) -> OnPosition<T> {
        let valued = match operation {
            Operation::Borrow { .. } => self.other_reserves(&token),
            Operation::Withdraw { .. } if self.owes_anything() => self.other_reserves(&token),
            _ => Vec::new(),
        };
        let gas = self.gas(schedule, operation, token, row);
        OnPosition { gas, valued }
    }

    /// The gas of [`Self::call`].
    fn gas(
        &mut self,
        schedule: &GasSchedule,
        operation: &Operation<'_>,
        token: T,
        row: u64,
    ) -> u64 {
        let before = self.reserve(&token);
        match operation {
            // The row's position supplies one other reserve and owes the
            // asset borrowed, a further borrow of it.
            Operation::Borrow { .. } => {
                self.entry(token.clone()).owed = true;
                let first = match (before.owed, before.supplied) {
                    (true, _) => 0,
                    (false, true) => schedule.borrow_first_of_supplied_asset,
                    (false, false) => schedule.borrow_first_of_asset,
                };
                let own = if before.supplied {
                    schedule.position_borrow_supplied_asset
                } else {
                    0
                };
                row.saturating_add(self.others(schedule, &token))
                    .saturating_add(own)
                    .saturating_add(first)
                    .saturating_sub(schedule.position_supplied_reserve)
            }
            // The row's position owes nothing; with a debt the health
            // factor is checked, which values the position (measured on
            // one of the asset withdrawn and one other reserve owed).
            Operation::Withdraw { .. } => {
                if !self.owes_anything() {
                    return row;
                }
                let own = if before.owed {
                    schedule.position_supplied_debt
                } else {
                    0
                };
                row.saturating_add(schedule.withdraw_with_debt)
                    .saturating_add(self.others(schedule, &token))
                    .saturating_add(own)
                    .saturating_sub(schedule.position_owed_reserve)
            }
            // The row's is a further supply of the asset.
            Operation::Deposit { .. } => {
                let first = match (before.supplied, self.collaterals()) {
                    (true, _) => 0,
                    (false, 0) => schedule.deposit_first_of_position,
                    (false, 1) => schedule.deposit_first_of_asset,
                    (false, _) => schedule.deposit_first_beside_collaterals,
                };
                self.entry(token).supplied = true;
                row.saturating_add(first)
            }
            // The row's position supplies one reserve, which the repay
            // reads (Aave V3's isolation mode check).
            Operation::Repay { .. } => {
                if self.collaterals() == 1 {
                    row
                } else {
                    row.saturating_sub(schedule.repay_one_collateral)
                }
            }
            _ => row,
        }
    }
}

/// The positions of one account at every lender, each named by `K` (a
/// chain and a lender), as a bundle's calls make them. Two are equal when
/// they hold the same reserves, whatever order the calls came in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Positions<K, T> {
    lenders: BTreeMap<K, Reserves<T>>,
}

impl<K, T> Default for Positions<K, T> {
    fn default() -> Self {
        Positions {
            lenders: BTreeMap::new(),
        }
    }
}

impl<K: Ord, T: Ord + Clone> Positions<K, T> {
    /// The position at `lender` is `reserves` (replacing any before).
    pub fn insert(&mut self, lender: K, reserves: Reserves<T>) {
        self.lenders.insert(lender, reserves);
    }

    /// Whether the position at `lender` owes anything (a withdrawal there
    /// checks its health factor).
    pub fn owes_anything(&self, lender: &K) -> bool {
        self.lenders
            .get(lender)
            .is_some_and(Reserves::owes_anything)
    }

    /// [`Reserves::call`] on the position at `lender` (empty if none was
    /// given).
    pub fn call(
        &mut self,
        schedule: &GasSchedule,
        lender: K,
        operation: &Operation<'_>,
        token: T,
        row: u64,
    ) -> OnPosition<T> {
        self.lenders
            .entry(lender)
            .or_default()
            .call(schedule, operation, token, row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::TokenContract;

    const ERC20: TokenContract = TokenContract::MintableErc20;

    fn borrow() -> Operation<'static> {
        Operation::Borrow { token: ERC20 }
    }

    #[test]
    fn a_borrow_on_the_rows_position_costs_its_row() {
        let s = GasSchedule::default();
        let mut p = Reserves::new(["USDC"], ["WETH"]);
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000);
        // A reserve more supplied, then an asset more owed.
        let mut p = Reserves::new(["USDC", "DAI"], ["WETH"]);
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000 + 28_620);
        let mut p = Reserves::new(["USDC"], ["WETH", "USDT"]);
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000 + 39_094);
        // A debt in a supplied reserve is valued with it.
        let mut p = Reserves::new(["USDC", "DAI"], ["WETH", "DAI"]);
        assert_eq!(
            p.call(&s, &borrow(), "WETH", 200_000).gas,
            200_000 + 28_620 + 23_761
        );
    }

    #[test]
    fn a_first_borrow_and_a_borrow_of_a_supplied_asset_cost_their_steps() {
        let s = GasSchedule::default();
        let mut p = Reserves::new(["USDC"], []);
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000 + 25_573);
        // Now owed: the next borrow is a further one.
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000);
        // USDC is supplied: its first borrow, then a further one.
        assert_eq!(
            p.call(&s, &borrow(), "USDC", 200_000).gas,
            200_000 + 30_406 + 4_397 + 39_094 - 28_620
        );
        assert_eq!(
            p.call(&s, &borrow(), "USDC", 200_000).gas,
            200_000 + 4_397 + 39_094 - 28_620
        );
    }

    #[test]
    fn a_withdrawal_values_the_position_only_while_it_owes_something() {
        let s = GasSchedule::default();
        let withdraw = Operation::Withdraw { token: ERC20 };
        let mut p = Reserves::new(["USDC", "WETH"], []);
        assert_eq!(p.call(&s, &withdraw, "USDC", 100_000).gas, 100_000);
        let mut p = Reserves::new(["USDC"], ["WETH"]);
        assert_eq!(p.call(&s, &withdraw, "USDC", 100_000).gas, 100_000 + 63_986);
        let mut p = Reserves::new(["USDC", "WBTC"], ["WETH", "USDC"]);
        assert_eq!(
            p.call(&s, &withdraw, "USDC", 100_000),
            OnPosition {
                gas: 100_000 + 63_986 + 28_620 + 23_761,
                valued: vec![
                    (
                        "WBTC",
                        Reserve {
                            supplied: true,
                            owed: false
                        }
                    ),
                    (
                        "WETH",
                        Reserve {
                            supplied: false,
                            owed: true
                        }
                    ),
                ],
            }
        );
    }

    #[test]
    fn a_first_deposit_costs_by_the_reserves_supplied_and_a_repay_by_one_collateral() {
        let s = GasSchedule::default();
        let deposit = Operation::Deposit { token: ERC20 };
        let mut p: Reserves<&str> = Reserves::default();
        assert_eq!(p.call(&s, &deposit, "USDC", 100_000).gas, 100_000 + 41_489);
        assert_eq!(p.call(&s, &deposit, "USDC", 100_000).gas, 100_000);
        assert_eq!(p.call(&s, &deposit, "DAI", 100_000).gas, 100_000 + 29_504);
        assert_eq!(p.call(&s, &deposit, "WBTC", 100_000).gas, 100_000 + 24_778);
        let repay = Operation::Repay { token: ERC20 };
        assert_eq!(p.call(&s, &repay, "WETH", 100_000).gas, 100_000 - 4_678);
        let mut p = Reserves::new(["USDC"], ["WETH"]);
        assert_eq!(p.call(&s, &repay, "WETH", 100_000).gas, 100_000);
        // Neither a repay nor a withdrawal clears a reserve.
        assert_eq!(p.call(&s, &borrow(), "WETH", 200_000).gas, 200_000);
    }

    /// The search's floor (`GasSchedule::token_floor`) takes the
    /// valuation of the other reserves off a borrow's and a withdrawal's
    /// rows, and no warm valuation: it stays a floor only while what a
    /// warm valuation saves on a reserve is at most what valuing it costs,
    /// and what a valued reserve saves a later call at most what an acted
    /// one does.
    #[test]
    fn a_warm_valuation_saves_at_most_what_valuing_the_reserve_costs() {
        let s = GasSchedule::default();
        for (supplied, owed) in [(true, false), (false, true), (true, true)] {
            let held = Reserve { supplied, owed };
            assert!(s.lender_warm_valuation(held) <= held.valuation(&s));
            assert!(s.lender_valued(held) <= s.lender_warm_reserve);
        }
    }

    #[test]
    fn positions_are_kept_per_lender() {
        let s = GasSchedule::default();
        let mut positions: Positions<&str, &str> = Positions::default();
        positions.insert("aave", Reserves::new(["USDC"], ["WETH"]));
        assert_eq!(
            positions.call(&s, "aave", &borrow(), "WETH", 200_000).gas,
            200_000
        );
        // Another lender's position starts empty: no collateral to value.
        assert_eq!(
            positions
                .call(&s, "compound", &borrow(), "WETH", 200_000)
                .gas,
            200_000 + 25_573 - 28_620
        );
    }
}
