//! The optimum, for small bundles: an exhaustive search over every
//! transaction grouping of the `-O0` form (every way to cut each run of
//! same-chain actions of one statement sequence into consecutive executor
//! transactions, a bridge allowed to share its transaction with what
//! follows) and, for each, the exact route search of [`super::route`], with
//! flash loans, fusion, cancellation, bridge merging and interchange applied as the
//! pipeline applies them. The least gas among the results that meet the
//! deadline is the least the schedule allows for that search space. Order
//! changes only as [`super::interchange`] makes them (an executor
//! transaction joins an earlier one on its chain); no other permutation of
//! independent actions is searched.

use super::{
    bridge_batch, bridge_merge, cancel, flash, fuse, group, interchange, normal_form, route,
    Context, OptError,
};
use crate::ir::{gas, Constraint, Program};

/// The most actions a bundle may have for the search to run (2^(n−1)
/// groupings, each with its route search).
pub const MAX_ACTIONS: usize = 8;

/// The least gas of any grouping and route choice of the `-O0` program
/// `o0`, or `None` when the bundle has more than [`MAX_ACTIONS`] actions.
pub fn optimum(o0: &Program, cx: &Context<'_>) -> Result<Option<u64>, OptError> {
    let actions = group::action_transactions(&o0.body);
    if actions > MAX_ACTIONS {
        return Ok(None);
    }
    let deadline = o0.constraints.items.iter().find_map(|(c, _)| match c {
        Constraint::Deadline(d) => Some(*d),
        _ => None,
    });
    let mut best: Option<(bool, u64)> = None;
    for mask in 0u32..(1u32 << actions) {
        let mut p = o0.clone();
        group::group_by(&mut p, &mut |i| (mask >> i) & 1 == 1, false);
        flash::run(&mut p, cx)?;
        fuse::run(&mut p, cx)?;
        cancel::run(&mut p, cx)?;
        route::run(&mut p, cx)?;
        normal_form::run(&mut p, cx)?;
        interchange::run(&mut p, cx)?;
        bridge_merge::run(&mut p, cx)?;
        bridge_batch::run(&mut p, cx)?;
        let cost = gas::cost(&p, cx.registry, cx.schedule).map_err(|e| OptError {
            pass: "optimum",
            message: e.to_string(),
        })?;
        let key = (deadline.is_some_and(|d| cost.blocks > d), cost.total());
        if best.is_none_or(|b| key < b) {
            best = Some(key);
        }
    }
    Ok(best.map(|(_, gas)| gas))
}
