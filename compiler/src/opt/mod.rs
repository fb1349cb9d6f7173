//! The optimiser: rewrite passes over the `-O0` lowering, each a law of the
//! category (docs/optimiser.md), each verified after it runs (in tests and
//! debug builds, and always through [`optimise_verified`]) and each
//! reporting the gas it saved, computed statically with [`crate::ir::gas`]
//! exactly as the runtime meters it.
//!
//! The pipeline, in order:
//!
//! 1. [`group`]: maximal runs of same-chain actions of one statement
//!    sequence become one executor transaction, approvals held by the
//!    executor (granted once per chain, token and spender);
//! 2. [`flash`]: a borrow repaid in the transaction that takes it becomes a
//!    flash loan where the lender offers them;
//! 3. [`fuse`]: an unbounded swap whose whole output is the next swap's
//!    input on the same exchange becomes one multi-hop call;
//! 4. [`cancel`]: a bridge there and straight back disappears;
//! 5. [`route`]: each unpinned bridge takes the route found by an exact
//!    search over the routes of the whole bundle;
//! 6. [`normal_form`]: associativity and units (nested sequences
//!    flattened, empty ones and one-branch tensors removed);
//! 7. [`interchange`]: an executor transaction independent of the steps
//!    before it joins the earlier transaction on its chain, and adjacent
//!    independent steps run side by side (a tensor);
//! 8. [`bridge_merge`]: two bridges of one token on one route in one
//!    transaction become one transfer;
//! 9. [`bridge_batch`]: bridges of different tokens on one `zk` or
//!    `threshold` route to one chain in one executor transaction share one
//!    message.
//!
//! [`optimum`] searches every grouping and route choice of a small bundle
//! for the least gas the schedule allows, to judge the pipeline against.

pub mod approvals;
pub mod bridge_batch;
pub mod bridge_merge;
pub mod cancel;
pub mod flash;
pub mod fuse;
pub mod group;
pub mod interchange;
pub mod normal_form;
pub mod optimum;
pub mod route;
mod walk;

use crate::ir::{self, gas, Program, Wire};
use mesh_core::{GasSchedule, Registry};
use std::collections::BTreeSet;
use std::fmt;

/// What the passes read besides the program.
pub struct Context<'a> {
    /// The registry the bundle was checked against (routes, lenders).
    pub registry: &'a Registry,
    pub schedule: &'a GasSchedule,
    /// The output wires of the bridges pinned with `via`: their route never
    /// changes.
    pub pinned: &'a BTreeSet<Wire>,
}

/// A pass that cannot complete: a compiler bug, reported as such.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptError {
    pub pass: &'static str,
    pub message: String,
}

impl fmt::Display for OptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pass `{}`: {}", self.pass, self.message)
    }
}

impl std::error::Error for OptError {}

/// What one pass did to the program's static cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassReport {
    pub name: &'static str,
    pub gas_before: u64,
    pub gas_after: u64,
    pub blocks_before: u64,
    pub blocks_after: u64,
}

impl PassReport {
    /// The gas the pass saved (never negative: a pass that would cost gas
    /// is a bug the tests catch through [`PassReport::gas_after`]).
    pub fn saved(&self) -> u64 {
        self.gas_before.saturating_sub(self.gas_after)
    }
}

/// The optimised program and what each pass saved.
#[derive(Clone, Debug)]
pub struct Optimised {
    pub program: Program,
    pub passes: Vec<PassReport>,
}

type PassFn = fn(&mut Program, &Context<'_>) -> Result<(), OptError>;

/// The passes in the order they run.
pub const PIPELINE: [(&str, PassFn); 9] = [
    (group::NAME, group::run),
    (flash::NAME, flash::run),
    (fuse::NAME, fuse::run),
    (cancel::NAME, cancel::run),
    (route::NAME, route::run),
    (normal_form::NAME, normal_form::run),
    (interchange::NAME, interchange::run),
    (bridge_merge::NAME, bridge_merge::run),
    (bridge_batch::NAME, bridge_batch::run),
];

/// Runs the pipeline; in debug builds the verifier runs after every pass.
pub fn optimise(program: Program, cx: &Context<'_>) -> Result<Optimised, OptError> {
    pipeline(program, cx, cfg!(debug_assertions))
}

/// Runs the pipeline and the verifier after every pass.
pub fn optimise_verified(program: Program, cx: &Context<'_>) -> Result<Optimised, OptError> {
    pipeline(program, cx, true)
}

fn pipeline(mut program: Program, cx: &Context<'_>, verify: bool) -> Result<Optimised, OptError> {
    let mut passes = Vec::with_capacity(PIPELINE.len());
    let mut before = measure(&program, cx, "input")?;
    for (name, pass) in PIPELINE {
        pass(&mut program, cx)?;
        if verify {
            ir::verify(&program).map_err(|e| OptError {
                pass: name,
                message: e.to_string(),
            })?;
        }
        let after = measure(&program, cx, name)?;
        passes.push(PassReport {
            name,
            gas_before: before.0,
            gas_after: after.0,
            blocks_before: before.1,
            blocks_after: after.1,
        });
        before = after;
    }
    Ok(Optimised { program, passes })
}

/// Static gas and blocks of a program.
fn measure(
    program: &Program,
    cx: &Context<'_>,
    pass: &'static str,
) -> Result<(u64, u64), OptError> {
    let cost = gas::cost(program, cx.registry, cx.schedule).map_err(|e| OptError {
        pass,
        message: e.to_string(),
    })?;
    Ok((cost.total(), cost.blocks))
}
