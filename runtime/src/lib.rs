//! The atomic transaction runtime: the world a bundle runs against, exact
//! protocol maths, a journal that makes a bundle all-or-nothing, gas
//! metering, and the report.
//!
//! Rust callers (tests, the compiler's IR interpreter, the JIT host) drive
//! a [`Session`]; generated code calls the C ABI in [`abi`], a thin layer
//! over the same session.

pub mod abi;
pub mod journal;
pub mod report;
pub mod session;
pub mod world;

/// The vocabulary shared with the compiler, defined in `mesh-core`.
pub use mesh_core::{account, amount, constraint, entry, gas, loc, maths, registry, revert, u256};

pub use gas::{GasSchedule, Sender};
pub use registry::{BridgeKind, ProtocolKind, Registry};
pub use report::{Report, Status};
pub use session::{Constraint, Constraints, Invariant, LoanKind, Loc, Revert, Session, Spender};
pub use world::{World, WorldError};
