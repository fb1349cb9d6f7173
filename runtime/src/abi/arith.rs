//! The 128-bit arithmetic entries generated code calls for what it does
//! not inline: checked `+ - × /` and a flash loan's premium; a
//! failure reverts with the same reasons the interpreter gives.

use super::ffi::{join, status, value_out, write_out, MeshAmount};
use super::handle::{with_session, MeshSession};
use super::names::{bind_names, MeshNames};
use super::{MESH_INVALID, MESH_OK};
use crate::revert::reason;

pub(super) fn arith(
    s: *mut MeshSession,
    loc: u64,
    a: u128,
    b: u128,
    out: *mut MeshAmount,
    op: fn(u128, u128) -> Option<u128>,
    what: &str,
) -> u32 {
    if out.is_null() {
        return MESH_INVALID;
    }
    with_session(s, loc, |ms| match op(a, b) {
        Some(v) => {
            write_out(out, v);
            MESH_OK
        }
        None => {
            write_out(out, 0);
            status(ms.session.revert(what))
        }
    })
}

/// Checked `a + b`; overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_add(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_add,
        reason::ADD,
    )
}

/// Checked `a - b`; underflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_sub(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_sub,
        reason::SUB,
    )
}

/// Checked `a * b`; overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_mul(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_mul,
        reason::MUL,
    )
}

/// `a / b`, rounded down; division by zero reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_amount_div(
    s: *mut MeshSession,
    a_lo: u64,
    a_hi: u64,
    b_lo: u64,
    b_hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    arith(
        s,
        loc,
        join(a_lo, a_hi),
        join(b_lo, b_hi),
        out,
        u128::checked_div,
        reason::DIV,
    )
}

/// The premium `protocol` charges on a flash loan of `(lo, hi)`
/// (`Session::flash_premium`); overflow reverts.
///
/// # Safety
/// `s` is a live session; `out` is writable.
#[no_mangle]
pub unsafe extern "C" fn mesh_flash_premium(
    s: *mut MeshSession,
    protocol: u32,
    lo: u64,
    hi: u64,
    loc: u64,
    out: *mut MeshAmount,
) -> u32 {
    write_out(out, 0);
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; protocol = protocol(protocol, "protocol"));
        value_out(session.flash_premium(protocol, join(lo, hi)), out)
    })
}
