//! The entries that shape a run rather than act: chain transactions,
//! parallel groups, `require`, and explicit reverts.

use super::ffi::{join, status, str_arg};
use super::handle::{with_session, MeshSession};
use super::names::{bind_names, MeshNames};
use super::{ComparisonCode, SenderCode, MESH_NO_TEXT, MESH_REVERTED};
use crate::session::Requirement;

/// Opens a chain transaction sent by `sender`.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_tx_begin(
    s: *mut MeshSession,
    chain: u32,
    sender: SenderCode,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; chain = chain(chain, "chain"));
        let Some(sender) = sender.decode() else {
            return status(session.revert(&format!(
                "invalid sender {} (0 wallet, 1 executor)",
                sender.0
            )));
        };
        status(session.begin_transaction(chain, sender))
    })
}

/// Closes the open transaction.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_tx_end(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.end_transaction()))
}

/// Begins a group of parallel branches.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_begin(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.begin_parallel()))
}

/// Ends a parallel branch and begins the next.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_next(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.next_branch()))
}

/// Ends a group of parallel branches.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_parallel_end(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| status(ms.session.end_parallel()))
}

/// `require`: reverts unless `left comparison right`; `token` names the
/// token both sides are amounts of, `text` the condition as written and
/// `left_text` its left side (name indices, or [`MESH_NO_TEXT`]).
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_require(
    s: *mut MeshSession,
    comparison: ComparisonCode,
    left_lo: u64,
    left_hi: u64,
    right_lo: u64,
    right_hi: u64,
    token: u32,
    left_text: u32,
    text: u32,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        let MeshSession { session, names, .. } = ms;
        bind_names!(session, names; token = token(token, "token"));
        let mut texts = [""; 2];
        for (slot, index) in texts.iter_mut().zip([text, left_text]) {
            if index != MESH_NO_TEXT {
                match names.resolve(session, index, "require text") {
                    Ok(t) => *slot = t,
                    Err(st) => return st,
                }
            }
        }
        let Some(comparison) = comparison.decode() else {
            return status(session.revert(&format!(
                "invalid comparison {} (0 >=, 1 <=, 2 >, 3 <, 4 ==, 5 !=)",
                comparison.0
            )));
        };
        status(session.require(Requirement {
            left: join(left_lo, left_hi),
            comparison,
            right: join(right_lo, right_hi),
            token,
            text: texts[0],
            left_text: texts[1],
        }))
    })
}

/// Reverts the bundle with `reason` (UTF-8), e.g. an overflow that
/// generated code detected. Always returns `1`.
///
/// # Safety
/// `s` is a live session; `ptr` points at `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_revert(
    s: *mut MeshSession,
    ptr: *const u8,
    len: usize,
    loc: u64,
) -> u32 {
    with_session(s, loc, |ms| {
        // SAFETY: forwarded from the caller.
        let reason =
            unsafe { str_arg(ptr, len) }.unwrap_or_else(|| "revert (reason not UTF-8)".to_string());
        let _ = ms.session.revert(&reason);
        MESH_REVERTED
    })
}
