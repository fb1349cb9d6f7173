//! The constraint entries: `deadline`, `max_gas`, `min_balance` and
//! invariants, collected while the body runs and checked at finish.

use super::ffi::join;
use super::handle::{with_session, MeshSession};
use super::{MESH_OK, MESH_REVERTED};
use crate::registry::BridgeKind;
use crate::session::{Constraint, Invariant, Loc};

pub(super) fn add_constraint(
    s: *mut MeshSession,
    loc: u64,
    f: impl FnOnce(&mut MeshSession) -> Result<Constraint, u32>,
) -> u32 {
    with_session(s, loc, |ms| match f(ms) {
        Ok(c) => {
            ms.constraints.items.push((c, Loc::unpack(loc)));
            MESH_OK
        }
        Err(st) => st,
    })
}

/// Constraint `deadline: blocks`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_deadline(
    s: *mut MeshSession,
    blocks: u64,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |_| Ok(Constraint::Deadline(blocks)))
}

/// Constraint `max_gas: gas`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_max_gas(s: *mut MeshSession, gas: u64, loc: u64) -> u32 {
    add_constraint(s, loc, |_| Ok(Constraint::MaxGas(gas)))
}

/// Constraint `min_balance: amount token on chain`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_min_balance(
    s: *mut MeshSession,
    chain: u32,
    token: u32,
    lo: u64,
    hi: u64,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let chain = ms.names.resolve(&mut ms.session, chain, "chain")?;
        let token = ms.names.resolve(&mut ms.session, token, "token")?;
        if ms.session.holding(chain, token).is_err() {
            return Err(MESH_REVERTED);
        }
        Ok(Constraint::MinBalance {
            chain: chain.to_string(),
            token: token.to_string(),
            amount: join(lo, hi),
        })
    })
}

/// Constraint `min_security: kind`, checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_min_security(
    s: *mut MeshSession,
    kind: u32,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let name = ms.names.resolve(&mut ms.session, kind, "bridge kind")?;
        match BridgeKind::from_name(name) {
            Some(k) => Ok(Constraint::MinSecurity(k)),
            None => {
                let _ = ms.session.revert(&format!(
                    "unknown bridge kind `{name}`; the runtime knows `htlb`, `zk` and `threshold`"
                ));
                Err(MESH_REVERTED)
            }
        }
    })
}

/// Constraint `invariant: name` (`constant_product`), checked at finish.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_constraint_invariant(
    s: *mut MeshSession,
    name: u32,
    loc: u64,
) -> u32 {
    add_constraint(s, loc, |ms| {
        let name = ms.names.resolve(&mut ms.session, name, "invariant")?;
        match Invariant::from_name(name) {
            Some(i) => Ok(Constraint::Invariant(i)),
            None => {
                let _ = ms.session.revert(&format!(
                    "unknown invariant `{name}`; the runtime knows `constant_product`"
                ));
                Err(MESH_REVERTED)
            }
        }
    })
}
