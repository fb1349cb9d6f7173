//! The atomic transaction runtime: the world a bundle runs against, exact
//! protocol maths, a journal that makes a bundle all-or-nothing, gas
//! metering, and the report.
//!
//! Rust callers (tests, the compiler's IR interpreter, the JIT host) drive
//! a [`Session`]; generated code calls the C ABI in [`abi`], a thin layer
//! over the same session.

pub mod abi;
pub mod amount;
pub mod gas;
pub mod journal;
pub mod maths;
pub mod registry;
pub mod report;
pub mod session;
pub mod u256;
pub mod world;

pub use gas::{GasSchedule, Sender};
pub use registry::{BridgeKind, ProtocolKind, Registry};
pub use report::{Report, Status};
pub use session::{Constraint, Constraints, Invariant, LoanKind, Loc, Revert, Session, Spender};
pub use world::{World, WorldError};
