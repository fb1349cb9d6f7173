//! The vocabulary that the Mesh compiler and its runtime share, each idea
//! defined once: the compiler checks, lowers and prices a bundle with these
//! types and rules, and the runtime executes and meters it with the same
//! ones, so the two cannot drift apart.
//!
//! Module map:
//!
//! - [`registry`]: chains, tokens, protocols and bridge routes, and the ids
//!   a name resolves to;
//! - [`amount`]: exact amounts in base units, and their decimal text;
//! - [`u256`] and [`maths`]: exact protocol maths (Uniswap V2's formulas,
//!   premiums and fees in basis points);
//! - [`gas`]: the cited gas schedule and the metering rules of one
//!   transaction;
//! - [`health`]: a position at a lender valued as Aave V3 values it, its
//!   health factor, and the checks a borrow and a withdrawal pass;
//! - [`account`]: senders, spenders and loan kinds;
//! - [`loc`]: source locations;
//! - [`constraint`]: what a bundle demands of its run;
//! - [`revert`]: reverts and the reasons several executors share;
//! - [`entry`]: the runtime's entry points, declared once for the code
//!   generator and the runtime.
//!
//! Architecture invariant: this crate depends on nothing of the project;
//! the grammar, the compiler and the runtime may all depend on it.

pub mod account;
pub mod amount;
pub mod constraint;
pub mod entry;
pub mod gas;
pub mod health;
pub mod loc;
pub mod maths;
pub mod registry;
pub mod revert;
pub mod u256;

pub use account::{LoanKind, Sender, Spender};
pub use constraint::{Comparison, Constraint, Constraints, Invariant};
pub use gas::GasSchedule;
pub use loc::Loc;
pub use registry::{BridgeKind, ChainId, ProtocolId, ProtocolKind, Registry, TokenId};
pub use revert::Revert;
