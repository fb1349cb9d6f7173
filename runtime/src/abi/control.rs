//! The entries that shape a run rather than act: chain transactions,
//! parallel groups, `require`, and explicit reverts.

use super::ffi::{status, str_arg};
use super::handle::{with_session, MeshSession};
use super::names::{bind_names, MeshNames};
use super::{SenderCode, MESH_NO_TEXT, MESH_REVERTED};

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

/// `require`: reverts unless `ok` is non-zero; `text` names the condition
/// as written (a name index, or [`MESH_NO_TEXT`]).
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_require(s: *mut MeshSession, ok: u32, text: u32, loc: u64) -> u32 {
    with_session(s, loc, |ms| {
        let what = if text == MESH_NO_TEXT {
            ""
        } else {
            match ms.names.resolve(&mut ms.session, text, "require text") {
                Ok(t) => t,
                Err(st) => return st,
            }
        };
        status(ms.session.require(ok != 0, what))
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
