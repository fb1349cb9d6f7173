//! The entries about the user's positions at lenders: repaying debt, the
//! assumptions a bundle states about positions that exist before it, and
//! the `min_health` constraint.

use super::constraints::add_constraint;
use super::ffi::{join, status};
use super::handle::{with_session, MeshSession};
use super::names::{bind_names, MeshNames};
use crate::session::Constraint;

/// `repay` of the user's debt: exactly `(lo, hi)`, no premium.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_repay_debt(
    s: *mut MeshSession,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        status(session.repay_debt(protocol, token, join(lo, hi)))
    })
}

/// `assume debt`: the user owes at least `(lo, hi)` of `token` to
/// `protocol` on `chain`.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_assume_debt(
    s: *mut MeshSession,
    chain: u32,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            chain = chain(chain, "chain"),
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        status(session.assume_debt(chain, protocol, token, join(lo, hi)))
    })
}

/// `assume collateral`: the user has at least `(lo, hi)` of `token`
/// deposited at `protocol` on `chain`.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_assume_collateral(
    s: *mut MeshSession,
    chain: u32,
    protocol: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            chain = chain(chain, "chain"),
            protocol = protocol(protocol, "protocol"),
            token = token(token, "token"));
        status(session.assume_collateral(chain, protocol, token, join(lo, hi)))
    })
}

/// The position at `protocol` on `chain` owes nothing or has a health
/// factor of at least 1.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_assume_healthy(
    s: *mut MeshSession,
    chain: u32,
    protocol: u32,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names;
            chain = chain(chain, "chain"),
            protocol = protocol(protocol, "protocol"));
        status(session.assume_healthy(chain, protocol))
    })
}

/// Constraint `min_health: (lo, hi)` wads, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_min_health(
    s: *mut MeshSession,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |_| Ok(Constraint::MinHealth(join(lo, hi))))
}
