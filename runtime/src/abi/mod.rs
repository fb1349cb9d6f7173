//! The C ABI that generated code calls: thin `extern "C"` wrappers over
//! [`Session`]. Conventions (docs/runtime.md lists every symbol):
//!
//! - every entry takes the session pointer first and returns a status:
//!   `0` ok, `1` the call failed — it changed nothing, wrote zero to its
//!   out-pointer, and the bundle will revert; the run goes on, so that the
//!   failure first in the source is the one reported —, `2` an invalid
//!   call (a null session). On `2` generated code branches to its abort
//!   path, which calls `mesh_bundle_finish`.
//! - names (chains, tokens, protocols, bridge kinds, invariants, `require`
//!   texts) are registered once with `mesh_name` and passed as indices.
//!   Each is resolved against the run's world at its first use as a chain,
//!   token or protocol, and every later call passes the session the id; a
//!   name the world does not know stays text, and using it reverts with a
//!   reason, never a crash.
//! - amounts go in as two `u64` halves `(lo, hi)` and come back through an
//!   out-pointer to a [`MeshAmount`] (null: not wanted).
//! - `loc` is the source location, `(line << 32) | column`; a revert names it.
//! - no panic crosses the boundary: each entry catches it, and a panic
//!   reverts the bundle ("internal error").
//!
//! One file per part of the interface:
//!
//! - `ffi`: amounts as two halves, statuses, out-pointers, borrowed texts;
//! - `handle`: [`MeshSession`], and running an entry with panics caught;
//! - `names`: the string table and `mesh_name`;
//! - `lifecycle`: starting, finishing, reporting, saving and freeing;
//! - `control`: transactions, parallel groups, `require`, reverts;
//! - `actions`: the actions and `mesh_holding`;
//! - `arith`: the 128-bit arithmetic entries;
//! - `constraints`: the constraint entries;
//! - `positions`: repaying debt, assumptions about positions, `min_health`;
//! - `main`: the standalone executable's `main`;
//! - here: the table of exports, expanded from the one entry-point list.

mod actions;
mod arith;
mod constraints;
mod control;
mod ffi;
mod handle;
mod lifecycle;
mod main;
mod names;
mod positions;

use std::ffi::c_char;

use crate::entry::Entry;

pub use actions::{
    mesh_approve, mesh_borrow, mesh_bridge, mesh_bridge_batch, mesh_deposit, mesh_flash_loan,
    mesh_holding, mesh_input, mesh_repay, mesh_swap, mesh_swap_path, mesh_unwrap, mesh_withdraw,
    mesh_wrap,
};
pub use arith::{
    mesh_amount_add, mesh_amount_div, mesh_amount_mul, mesh_amount_sub, mesh_flash_premium,
};
pub use constraints::{
    mesh_constraint_deadline, mesh_constraint_deadline_seconds, mesh_constraint_invariant,
    mesh_constraint_max_gas, mesh_constraint_min_balance, mesh_constraint_min_profit,
    mesh_constraint_min_security,
};
pub use control::{
    mesh_parallel_begin, mesh_parallel_end, mesh_parallel_next, mesh_require, mesh_revert,
    mesh_tx_begin, mesh_tx_end,
};
pub use ffi::MeshAmount;
pub use handle::MeshSession;
pub use lifecycle::{
    mesh_bundle_finish, mesh_bundle_free, mesh_bundle_start, mesh_bundle_start_world,
    mesh_report_print, mesh_world_save,
};
pub use main::{mesh_main, mesh_main_tokens, MeshBundleBody, MeshToken};
pub use mesh_core::entry::{
    ComparisonCode, LoanCode, SenderCode, SpenderCode, SpenderKind, MESH_INVALID, MESH_NO_TEXT,
    MESH_OK, MESH_REVERTED, MESH_UNPINNED,
};
pub use names::{mesh_name, MeshNames};
pub use positions::{
    mesh_assume_collateral, mesh_assume_debt, mesh_assume_healthy, mesh_constraint_min_health,
    mesh_repay_debt,
};

/// One exported function: its entry point, the name it is linked by, and
/// its address.
#[derive(Clone, Copy, Debug)]
pub struct Export {
    pub entry: Entry,
    pub name: &'static str,
    pub address: *const u8,
}

// SAFETY: the addresses are of functions, immutable for the program's life.
unsafe impl Sync for Export {}
// SAFETY: as above.
unsafe impl Send for Export {}

/// The Rust type of each type of the entry-point list.
macro_rules! rust_type {
    (Session) => { *mut MeshSession };
    (NewSession) => { *mut MeshSession };
    (Nothing) => { () };
    (Status) => { u32 };
    (Bytes) => { *const u8 };
    (Len) => { usize };
    (IndexOut) => { *mut u32 };
    (Flags) => { *const u32 };
    (FlagsOut) => { *mut u32 };
    (Name) => { u32 };
    (Names) => { *const u32 };
    (Sender) => { SenderCode };
    (Spender) => { SpenderCode };
    (Loan) => { LoanCode };
    (Comparison) => { ComparisonCode };
    (Flag) => { u32 };
    (Half) => { u64 };
    (Halves) => { *const u64 };
    (Locs) => { *const u64 };
    (Loc) => { u64 };
    (Count) => { u64 };
    (AmountOut) => { *mut MeshAmount };
    (Argc) => { i32 };
    (Argv) => { *const *const c_char };
    (Body) => { MeshBundleBody };
    (Tokens) => { *const MeshToken };
    (ExitCode) => { i32 };
}

/// Expands the entry-point list (`mesh_core::for_each_entry!`): a
/// compile-time check that each function has exactly its declared
/// signature, and the table of exports.
macro_rules! export_table {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $symbol:ident($($param:ident: $ty:ident),* $(,)?) -> $result:ident;
    )*) => {
        $(const _: unsafe extern "C" fn($(rust_type!($ty)),*) -> rust_type!($result) = $symbol;)*
        static EXPORTS: &[Export] = &[$(Export {
            entry: Entry::$variant,
            name: stringify!($symbol),
            address: $symbol as *const u8,
        }),*];
    };
}

mesh_core::for_each_entry!(export_table);

/// Every symbol of the ABI: the single table that the JIT registers and
/// that docs/runtime.md lists.
pub fn exports() -> &'static [Export] {
    EXPORTS
}
