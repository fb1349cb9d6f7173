//! How values cross the boundary: amounts as two 64-bit halves
//! ([`MeshAmount`]), statuses, out-pointers, and texts borrowed from raw
//! pointers.

use super::{MESH_OK, MESH_REVERTED};

/// An amount as generated code sees it: the low and high 64 bits.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeshAmount {
    pub lo: u64,
    pub hi: u64,
}

impl MeshAmount {
    pub fn new(value: u128) -> MeshAmount {
        MeshAmount {
            lo: value as u64,
            hi: (value >> 64) as u64,
        }
    }

    pub fn value(self) -> u128 {
        join(self.lo, self.hi)
    }
}

pub(super) fn join(lo: u64, hi: u64) -> u128 {
    (u128::from(hi) << 64) | u128::from(lo)
}

pub(super) fn status<T>(r: Result<T, crate::session::Revert>) -> u32 {
    match r {
        Ok(_) => MESH_OK,
        Err(_) => MESH_REVERTED,
    }
}

/// The status of a call that yields an amount, written to `out`: what the
/// call delivered, or nothing (zero) when it failed.
pub(super) fn value_out(r: Result<u128, crate::session::Revert>, out: *mut MeshAmount) -> u32 {
    match r {
        Ok(v) => {
            write_out(out, v);
            MESH_OK
        }
        Err(_) => {
            write_out(out, 0);
            MESH_REVERTED
        }
    }
}

pub(super) fn write_out(out: *mut MeshAmount, value: u128) {
    if !out.is_null() {
        // SAFETY: a non-null out-pointer points at a writable MeshAmount.
        unsafe { out.write(MeshAmount::new(value)) };
    }
}

/// The bytes at `ptr`, borrowed; `None` for a null pointer with a length.
///
/// # Safety
/// `ptr` points at `len` readable bytes that stay unchanged for `'a` (or
/// `len` is 0).
pub(super) unsafe fn bytes_ref<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr` for `'a`.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The UTF-8 text at `ptr`, borrowed.
///
/// # Safety
/// As [`bytes_ref`].
pub(super) unsafe fn str_ref<'a>(ptr: *const u8, len: usize) -> Option<&'a str> {
    // SAFETY: forwarded from the caller.
    std::str::from_utf8(unsafe { bytes_ref(ptr, len) }?).ok()
}

/// # Safety
/// `ptr` points at `len` readable bytes (or `len` is 0).
pub(super) unsafe fn str_arg(ptr: *const u8, len: usize) -> Option<String> {
    // SAFETY: forwarded from the caller; the text is copied at once.
    unsafe { str_ref(ptr, len) }.map(str::to_string)
}
