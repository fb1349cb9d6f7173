//! A bundle's life through the ABI: starting a session (on the default
//! world or a world file), finishing it, printing its report, saving its
//! world, and freeing it.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use super::ffi::str_arg;
use super::handle::{with_session, MeshSession};
use super::{MESH_INVALID, MESH_OK, MESH_REVERTED};
use crate::session::Session;
use crate::world::World;

pub(super) fn start(name: String, world: World) -> *mut MeshSession {
    Box::into_raw(MeshSession::new(Session::new(world, &name)))
}

/// Starts a bundle named `name` on the embedded default world.
///
/// # Safety
/// `name_ptr` points at `name_len` bytes of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_start(
    name_ptr: *const u8,
    name_len: usize,
) -> *mut MeshSession {
    catch_unwind(|| {
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        start(name, World::default_world())
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Starts a bundle on the world file at `path` (UTF-8). Returns null, with
/// the reason on standard error, if the file cannot be read.
///
/// # Safety
/// Both pointers point at their lengths of UTF-8 bytes.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_start_world(
    name_ptr: *const u8,
    name_len: usize,
    path_ptr: *const u8,
    path_len: usize,
) -> *mut MeshSession {
    catch_unwind(|| {
        // SAFETY: forwarded from the caller.
        let name = unsafe { str_arg(name_ptr, name_len) }.unwrap_or_else(|| "bundle".to_string());
        // SAFETY: forwarded from the caller.
        let Some(path) = (unsafe { str_arg(path_ptr, path_len) }) else {
            eprintln!("error: the world path is not UTF-8");
            return std::ptr::null_mut();
        };
        match World::load_all(Path::new(&path)) {
            Ok(world) => start(name, world),
            Err(errors) => {
                for line in World::error_lines(&errors) {
                    eprintln!("{line}");
                }
                std::ptr::null_mut()
            }
        }
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Frees a session (null is ignored).
///
/// # Safety
/// `s` came from `mesh_bundle_start*` and is not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_free(s: *mut MeshSession) {
    if !s.is_null() {
        // SAFETY: the caller hands back ownership.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(unsafe { Box::from_raw(s) })));
    }
}

/// Ends the bundle: checks obligations and constraints, then commits or
/// reverts everything. Returns `0` committed, `1` reverted. Idempotent.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_bundle_finish(s: *mut MeshSession, loc: u64) -> u32 {
    with_session(s, loc, |ms| {
        if ms.finish().committed() {
            MESH_OK
        } else {
            MESH_REVERTED
        }
    })
}

/// Prints the report on standard output: human text, or JSON when `json`
/// is non-zero. Finishes the bundle first if needed.
///
/// # Safety
/// `s` is a live session.
#[no_mangle]
pub unsafe extern "C" fn mesh_report_print(s: *mut MeshSession, json: u32) -> u32 {
    with_session(s, 0, |ms| {
        let report = ms.finish();
        if json != 0 {
            println!("{}", report.to_json());
        } else {
            print!("{}", report.render_human());
        }
        MESH_OK
    })
}

/// Writes the session's world (as committed, or unchanged after a revert)
/// to the file at `path`, atomically. `0` ok, `2` on an I/O error (reported
/// on standard error) or before the bundle has finished.
///
/// # Safety
/// `s` is a live session; `ptr` points at `len` bytes of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn mesh_world_save(s: *mut MeshSession, ptr: *const u8, len: usize) -> u32 {
    with_session(s, 0, |ms| {
        if ms.report.is_none() {
            eprintln!("error: the world is saved after the bundle finishes");
            return MESH_INVALID;
        }
        // SAFETY: forwarded from the caller.
        let Some(path) = (unsafe { str_arg(ptr, len) }) else {
            eprintln!("error: the world path is not UTF-8");
            return MESH_INVALID;
        };
        match ms.session.world().save_atomic(Path::new(&path)) {
            Ok(()) => MESH_OK,
            Err(e) => {
                eprintln!("error: cannot write {path}: {e}");
                MESH_INVALID
            }
        }
    })
}
