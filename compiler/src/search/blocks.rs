//! Time: the transactions of a schedule side by side wherever their
//! dependencies allow, in the arrangement that takes fewest blocks.
//!
//! The runtime's clock (docs/runtime.md) adds up a sequence and takes the
//! longest branch of a parallel group; a transaction takes one block and
//! each bridge it sends its route's delay. Every arrangement of a set of
//! transactions is a sequence or a parallel group at its top: a parallel
//! group's branches share no dependency, so each is a union of the
//! set's connected parts (and the best is each part its own branch); a
//! sequence's first part is closed under dependencies. [`arrange`] tries
//! both, for every subset, which is exact.

use std::collections::HashMap;

/// A set of transactions, by index in the schedule.
type Txs = u32;

/// How transactions run: one, one after another, or side by side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Arrangement {
    Tx(usize),
    Seq(Vec<Arrangement>),
    Par(Vec<Arrangement>),
}

/// The least blocks of transactions of `weights` (one block plus their
/// bridges' delays) whose dependencies are `preds` (transitively closed:
/// `preds[j]` holds every transaction `j` must follow), and the arrangement
/// that takes them.
pub(super) fn arrange(weights: &[u64], preds: &[Txs]) -> (u64, Arrangement) {
    let n = weights.len();
    if n == 0 {
        return (0, Arrangement::Seq(Vec::new()));
    }
    let mut memo = HashMap::new();
    let all = if n >= 32 { Txs::MAX } else { (1 << n) - 1 };
    let blocks = best(all, weights, preds, &mut memo);
    (blocks, build(all, preds, &memo))
}

/// The longest chain of dependent transactions: no arrangement takes fewer
/// blocks.
pub(super) fn critical_path(weights: &[u64], preds: &[Txs]) -> u64 {
    let mut finish = vec![0u64; weights.len()];
    for j in 0..weights.len() {
        let start = (0..j)
            .filter(|i| preds[j] & (1 << i) != 0)
            .map(|i| finish[i])
            .max()
            .unwrap_or(0);
        finish[j] = start.saturating_add(weights[j]);
    }
    finish.into_iter().max().unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Split {
    One(usize),
    /// Connected parts, side by side.
    Parts,
    /// This closed prefix first, then the rest.
    Then(Txs),
}

fn members(set: Txs) -> impl Iterator<Item = usize> {
    (0..32).filter(move |i| set & (1 << i) != 0)
}

/// The connected parts of `set` (two transactions are connected when one
/// must follow the other).
fn parts(set: Txs, preds: &[Txs]) -> Vec<Txs> {
    let mut left = set;
    let mut out = Vec::new();
    while left != 0 {
        let start = left.trailing_zeros() as usize;
        let mut part: Txs = 1 << start;
        loop {
            let mut grown = part;
            for j in members(set) {
                let related =
                    preds[j] & part != 0 || members(part).any(|i| preds[i] & (1 << j) != 0);
                if related {
                    grown |= 1 << j;
                }
            }
            if grown == part {
                break;
            }
            part = grown;
        }
        out.push(part);
        left &= !part;
    }
    out
}

fn best(set: Txs, weights: &[u64], preds: &[Txs], memo: &mut HashMap<Txs, (u64, Split)>) -> u64 {
    if let Some((b, _)) = memo.get(&set) {
        return *b;
    }
    let result = if set.count_ones() == 1 {
        let i = set.trailing_zeros() as usize;
        (weights[i], Split::One(i))
    } else {
        let connected = parts(set, preds);
        if connected.len() > 1 {
            let longest = connected
                .iter()
                .map(|p| best(*p, weights, preds, memo))
                .max()
                .unwrap_or(0);
            (longest, Split::Parts)
        } else {
            let mut found: Option<(u64, Split)> = None;
            // Every non-empty proper subset closed under dependencies.
            let mut sub = (set - 1) & set;
            while sub != 0 {
                let closed = members(sub).all(|j| preds[j] & set & !sub == 0);
                if closed {
                    let total = best(sub, weights, preds, memo).saturating_add(best(
                        set & !sub,
                        weights,
                        preds,
                        memo,
                    ));
                    if found.is_none_or(|(b, _)| total < b) {
                        found = Some((total, Split::Then(sub)));
                    }
                }
                sub = (sub - 1) & set;
            }
            found.unwrap_or((u64::MAX, Split::Parts))
        }
    };
    memo.insert(set, result);
    result.0
}

fn build(set: Txs, preds: &[Txs], memo: &HashMap<Txs, (u64, Split)>) -> Arrangement {
    match memo.get(&set).map(|(_, s)| *s) {
        Some(Split::One(i)) => Arrangement::Tx(i),
        Some(Split::Parts) => {
            let mut parts = parts(set, preds);
            // Branches in schedule order, for a stable program.
            parts.sort_by_key(|p| p.trailing_zeros());
            Arrangement::Par(parts.into_iter().map(|p| build(p, preds, memo)).collect())
        }
        Some(Split::Then(first)) => {
            let mut seq = Vec::new();
            for part in [first, set & !first] {
                match build(part, preds, memo) {
                    Arrangement::Seq(inner) => seq.extend(inner),
                    other => seq.push(other),
                }
            }
            Arrangement::Seq(seq)
        }
        None => Arrangement::Seq(members(set).map(Arrangement::Tx).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn independent_transactions_run_side_by_side() {
        let (blocks, arrangement) = arrange(&[1, 6, 1], &[0, 0, 0]);
        assert_eq!(blocks, 6);
        assert!(matches!(arrangement, Arrangement::Par(ref v) if v.len() == 3));
    }

    #[test]
    fn a_chain_adds_up_and_a_diamond_takes_its_longest_path() {
        assert_eq!(arrange(&[1, 1, 1], &[0, 0b1, 0b11]).0, 3);
        // 0 → {1, 2} → 3: 1 + max(6, 1) + 1.
        assert_eq!(arrange(&[1, 6, 1, 1], &[0, 0b1, 0b1, 0b111]).0, 8);
        assert_eq!(critical_path(&[1, 6, 1, 1], &[0, 0b1, 0b1, 0b111]), 8);
    }

    #[test]
    fn an_n_shape_is_not_series_parallel_and_costs_more_than_its_path() {
        // 0 → 2, 1 → 2, 1 → 3: no series-parallel form reaches the
        // critical path of 2 when the long one must wait.
        let weights = [5, 1, 1, 5];
        let preds = [0, 0, 0b11, 0b10];
        assert_eq!(critical_path(&weights, &preds), 6);
        assert_eq!(arrange(&weights, &preds).0, 7);
    }
}
