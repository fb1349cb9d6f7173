//! The sender's token balances as the EVM stores them. A token keeps each
//! account's balance in one storage slot, and what a transaction's writes
//! of a slot cost, and refund, depends on its values: whether it was zero
//! when the transaction began, whether a write empties it, whether the
//! transaction sets it back to where it began (EIP-2929, EIP-2200,
//! EIP-3529). The schedule's rows, which never depend on amounts, were
//! measured on balances that go from one non-zero value to another, each
//! read and written cold, once (docs/gas.md, "Balances at run time"); a
//! run knows the values, and [`BalanceWrites`] meters the difference.

use super::GasSchedule;
use crate::u256::U256;

/// How the schedule's row charged one write of the sender's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charged {
    /// As the balance's first write in the transaction: a cold read, then
    /// a write from one non-zero value to another.
    First,
    /// As a write of a balance an earlier write of the transaction left
    /// warm and written: a path back to its first token, a flash loan's
    /// repayment, a lender call on a reserve an earlier call of the
    /// transaction acted on (each row measured so).
    Again,
}

/// One balance's values in the transaction: when it began, and now.
#[derive(Clone, Copy, Debug)]
struct Slot {
    original: U256,
    current: U256,
}

/// The writes of the sender's balances in one transaction, keyed by token
/// (`K`), with what they cost beyond the rows' charge and what they earn
/// back in refunds.
#[derive(Clone, Debug)]
pub struct BalanceWrites<K> {
    slots: Vec<(K, Slot)>,
    /// What the writes cost beyond what the rows charged for them (below
    /// zero when they cost less), refunds apart.
    extra: i128,
    /// The refund counter of the balances' slots (EIP-3529).
    refund: i128,
}

impl<K> Default for BalanceWrites<K> {
    fn default() -> Self {
        BalanceWrites {
            slots: Vec::new(),
            extra: 0,
            refund: 0,
        }
    }
}

/// What one write costs and how it moves the refund counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WriteCost {
    gas: u64,
    refund: i128,
}

impl GasSchedule {
    /// What the row charged for one write of the sender's balance.
    pub fn charged_write(&self, charged: Charged) -> u64 {
        match charged {
            Charged::First => self.cold_slot_read.saturating_add(self.slot_reset),
            Charged::Again => self.warm_slot_read.saturating_add(self.warm_slot_read),
        }
    }

    /// A token's read of a balance and its write from `current` to `new`,
    /// the slot holding `original` when the transaction began and `warm`
    /// if the transaction read it before: the read (EIP-2929), the write
    /// (EIP-2200 with EIP-2929's costs) and what the write adds to or
    /// takes from the refund counter (EIP-3529).
    fn balance_write(&self, original: U256, current: U256, new: U256, warm: bool) -> WriteCost {
        let read = if warm {
            self.warm_slot_read
        } else {
            self.cold_slot_read
        };
        let clear = i128::from(self.slot_clear_refund);
        let mut refund = 0i128;
        let write = if new == current {
            self.warm_slot_read
        } else if current == original {
            if original.is_zero() {
                self.slot_set
            } else {
                if new.is_zero() {
                    refund += clear;
                }
                self.slot_reset
            }
        } else {
            if !original.is_zero() {
                if current.is_zero() {
                    refund -= clear;
                }
                if new.is_zero() {
                    refund += clear;
                }
            }
            if new == original {
                let restored = if original.is_zero() {
                    self.slot_set
                } else {
                    self.slot_reset
                };
                refund += i128::from(restored.saturating_sub(self.warm_slot_read));
            }
            self.warm_slot_read
        };
        WriteCost {
            gas: read.saturating_add(write),
            refund,
        }
    }
}

impl<K: PartialEq> BalanceWrites<K> {
    /// The balance `key` as the transaction's last write of it left it, if
    /// it wrote it.
    pub fn current(&self, key: &K) -> Option<U256> {
        self.slots
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, slot)| slot.current)
    }

    /// A write of the balance `key` from `before` to `after`, which its
    /// row `charged` for; returns the gas it adds to the call's charge
    /// (below zero when it costs less, refunds included).
    pub fn write(
        &mut self,
        schedule: &GasSchedule,
        key: K,
        before: U256,
        after: U256,
        charged: Charged,
    ) -> i128 {
        let (slot, warm) = match self.slots.iter_mut().position(|(k, _)| *k == key) {
            Some(i) => (&mut self.slots[i].1, true),
            None => {
                self.slots.push((
                    key,
                    Slot {
                        original: before,
                        current: before,
                    },
                ));
                let last = self.slots.len() - 1;
                (&mut self.slots[last].1, false)
            }
        };
        // The token reads the balance it writes: `before` is the slot's
        // value, whatever the transaction did to it.
        slot.current = before;
        let cost = schedule.balance_write(slot.original, before, after, warm);
        slot.current = after;
        let extra = i128::from(cost.gas) - i128::from(schedule.charged_write(charged));
        self.extra += extra;
        self.refund += cost.refund;
        extra - cost.refund
    }

    /// A withdrawal that leaves none of the deposit (the user's balance of
    /// the lender's deposit token): it takes the reserve out of the
    /// position's collateral, which a health check (`owes`) then no longer
    /// values, and which costs a write of the collateral flag when there
    /// is none. Returns the gas it adds to the call's charge.
    pub fn deposit_emptied(&mut self, schedule: &GasSchedule, owes: bool) -> i128 {
        let extra = if owes {
            -i128::from(schedule.withdraw_whole_with_debt)
        } else {
            i128::from(schedule.withdraw_whole_without_debt)
        };
        self.extra += extra;
        extra
    }

    /// What the transaction's writes added to the rows' charge so far,
    /// refunds taken off, before any cap (below zero: less): the sum of
    /// what [`Self::write`] and [`Self::deposit_emptied`] returned.
    pub fn added(&self) -> i128 {
        self.extra - self.refund
    }

    /// What the refunds of the transaction's balance writes take off, and
    /// what of them the cap refuses: refunds count for at most a
    /// `refund_quotient`-th of the transaction's gas before them
    /// (EIP-3529). `charged` is the transaction's gas by the rows.
    pub fn refunds(&self, schedule: &GasSchedule, charged: u64) -> Refunds {
        let earned = u64::try_from(self.refund.max(0)).unwrap_or(u64::MAX);
        let before = (i128::from(charged) + self.extra).max(0);
        let cap = before / i128::from(schedule.refund_quotient.max(1));
        let cap = u64::try_from(cap).unwrap_or(u64::MAX);
        Refunds {
            earned,
            refused: earned.saturating_sub(cap),
        }
    }
}

/// A transaction's balance refunds: earned by its writes, and refused by
/// the cap ([`BalanceWrites::refunds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refunds {
    pub earned: u64,
    pub refused: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from_u128(v)
    }

    fn cost(original: u128, current: u128, new: u128, warm: bool) -> (u64, i128) {
        let c = GasSchedule::default().balance_write(u(original), u(current), u(new), warm);
        (c.gas, c.refund)
    }

    /// EIP-2200's cases with EIP-2929's and EIP-3529's figures, each
    /// behind a read of the slot.
    #[test]
    fn each_write_costs_what_the_eips_say() {
        // Clean, non-zero to non-zero: what every row assumed.
        assert_eq!(cost(5, 5, 7, false), (5_000, 0));
        // Clean, from zero: a new slot.
        assert_eq!(cost(0, 0, 7, false), (22_100, 0));
        // Clean, emptied: the clear refund.
        assert_eq!(cost(5, 5, 0, false), (5_000, 4_800));
        // Dirty: a warm read and a warm write.
        assert_eq!(cost(5, 7, 9, true), (200, 0));
        // Dirty, set back to a non-zero original.
        assert_eq!(cost(5, 7, 5, true), (200, 2_800));
        // Dirty, set back to a zero original.
        assert_eq!(cost(0, 7, 0, true), (200, 19_900));
        // Dirty, emptied, then filled again: the clear refund taken back.
        assert_eq!(cost(5, 7, 0, true), (200, 4_800));
        assert_eq!(cost(5, 0, 9, true), (200, -4_800));
        // Emptied, then set back: the clear taken back, the reset earned.
        assert_eq!(cost(5, 0, 5, true), (200, -4_800 + 2_800));
        // No change: a warm write.
        assert_eq!(cost(5, 5, 5, false), (2_200, 0));
    }

    #[test]
    fn the_rows_charge_a_first_write_and_a_later_one() {
        let s = GasSchedule::default();
        assert_eq!(s.charged_write(Charged::First), 5_000);
        assert_eq!(s.charged_write(Charged::Again), 200);
        // A path back to its first token is charged a later write.
        assert_eq!(
            s.charged_write(Charged::First) - s.charged_write(Charged::Again),
            s.return_balance_saving
        );
    }

    #[test]
    fn a_balance_that_ends_where_it_began_is_refunded_its_reset() {
        let s = GasSchedule::default();
        let mut w = BalanceWrites::default();
        // Received, then spent: the second write is warm and written, and
        // sets the balance back.
        assert_eq!(w.write(&s, 'a', u(10), u(15), Charged::First), 0);
        assert_eq!(
            w.write(&s, 'a', u(15), u(10), Charged::First),
            -4_800 - 2_800
        );
        assert_eq!(w.added(), -4_800 - 2_800);
        assert_eq!(
            w.refunds(&s, 100_000),
            Refunds {
                earned: 2_800,
                refused: 0
            }
        );
    }

    #[test]
    fn an_emptied_balance_is_refunded_its_clear() {
        let s = GasSchedule::default();
        let mut w = BalanceWrites::default();
        assert_eq!(w.write(&s, 'a', u(10), u(0), Charged::First), -4_800);
        // Another token's balance is its own slot.
        assert_eq!(w.write(&s, 'b', u(0), u(3), Charged::First), 17_100);
    }

    #[test]
    fn an_emptied_deposit_costs_less_while_the_account_owes() {
        let s = GasSchedule::default();
        let mut w = BalanceWrites::<char>::default();
        assert_eq!(w.deposit_emptied(&s, true), -9_543);
        assert_eq!(w.deposit_emptied(&s, false), 4_848);
        // Counted in the gas the refund cap is taken from.
        assert_eq!(w.refunds(&s, 0).refused, 0);
    }

    proptest::proptest! {
        /// EIP-2200's law, computed apart from the metering: over writes
        /// that each change the balance, every read after the first and
        /// every write after the first cost 100, and what the first write
        /// costs (2,900, or 20,000 from zero) comes back, less 100 a
        /// write, when the balance ends where it began, or 4,800 of it when
        /// it ends emptied. Each write charged as a first one, the metered
        /// gas (the rows' charge and what the writes added, refunds
        /// uncapped) is that.
        #[test]
        fn a_balances_writes_net_what_eip_2200_says(
            original in 0u128..4,
            steps in proptest::collection::vec(1u128..4, 1..7),
        ) {
            let s = GasSchedule::default();
            let mut w = BalanceWrites::default();
            let (mut current, mut metered) = (original, 0i128);
            for step in &steps {
                let next = (current + step) % 4;
                metered += w.write(&s, 'a', u(current), u(next), Charged::First)
                    + i128::from(s.charged_write(Charged::First));
                current = next;
            }
            let n = steps.len() as i128;
            let reads = 2_100 + 100 * (n - 1);
            let first = if original == 0 { 20_000 } else { 2_900 };
            let writes = if current == original {
                100 * n
            } else if current == 0 {
                first + 100 * (n - 1) - 4_800
            } else {
                first + 100 * (n - 1)
            };
            proptest::prop_assert_eq!(metered, reads + writes, "{:?} from {}", steps, original);
        }
    }

    #[test]
    fn refunds_are_capped_at_a_fifth_of_the_gas() {
        let s = GasSchedule::default();
        let mut w = BalanceWrites::default();
        w.write(&s, 'a', u(0), u(5), Charged::First);
        w.write(&s, 'a', u(5), u(0), Charged::First);
        // Charged 50,000 by the rows, 17,100 − 4,800 more by the writes.
        let r = w.refunds(&s, 50_000);
        assert_eq!(r.earned, 19_900);
        assert_eq!(r.refused, 19_900 - (50_000 + 17_100 - 4_800) / 5);
    }
}
