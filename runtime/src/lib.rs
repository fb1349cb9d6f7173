//! The atomic transaction runtime: the world a bundle runs against, exact
//! protocol maths, a journal that makes a bundle all-or-nothing, gas
//! metering, and the report.
//!
//! Rust callers (tests, the compiler's IR interpreter, the JIT host) drive
//! a [`Session`]; generated code calls the C ABI in [`abi`], a thin layer
//! over the same session.
//!
//! The modules:
//!
//! - [`session`]: one run of a bundle — names, holdings, transactions and
//!   time, approvals, lending, swaps, bridges, and the finish;
//! - [`abi`]: the `extern "C"` entry points, the table of exports the JIT
//!   registers, and the standalone executable's `main`;
//! - [`journal`]: every change to the world with what was there before, so
//!   that a revert undoes all of them;
//! - [`report`]: what a run did, as text and as JSON;
//! - [`world`]: the world's state, its file format, and committing to a
//!   world file under a lock;
//! - re-exported from `mesh-core`, the vocabulary shared with the compiler:
//!   accounts, amounts, constraints, entry points, gas, a position's
//!   health, locations, protocol maths, the registry, revert reasons and
//!   256-bit integers.

pub mod abi;
pub mod journal;
pub mod report;
pub mod session;
pub mod world;

/// The vocabulary shared with the compiler, defined in `mesh-core`.
pub use mesh_core::{
    account, amount, constraint, entry, gas, health, loc, maths, registry, revert, u256,
};

pub use gas::{GasSchedule, Sender};
pub use registry::{BridgeKind, ProtocolKind, Registry};
pub use report::{Report, Status};
pub use session::{Constraint, Constraints, Invariant, LoanKind, Loc, Revert, Session, Spender};
pub use world::{World, WorldError};
