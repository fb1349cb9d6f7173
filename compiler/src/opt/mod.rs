//! The optimiser: the `-O0` lowering rewritten by the laws of the category
//! (docs/optimiser.md), each rewrite verified (in tests and debug builds,
//! and always through [`optimise_verified`]) and its gas saving measured
//! statically with [`crate::ir::gas`], exactly as the runtime meters it.
//!
//! No fixed order of passes decides what is found: the laws are applied
//! until none applies.
//!
//! 1. [`schedule`]: every action into as few executor transactions as its
//!    dependencies allow, whatever the statement structure (`on` blocks,
//!    `parallel` branches, lines) — data and protocol state alone order
//!    boxes;
//! 2. the local laws, each applied wherever it can be, round after round
//!    until a round changes nothing: [`flash`] (a borrow closed in its
//!    transaction becomes a flash loan), [`flash_batch`] (flash loans of
//!    different tokens from one lender become one multi-asset call, where
//!    that saves), [`fuse`] (swap chains become one
//!    multi-hop call), [`deposits`] (deposits merged, a deposit and the
//!    withdrawal of its amount cancelled), [`cancel`] (a bridge there and
//!    straight back), [`bridge_merge`] (two transfers of one token on one
//!    route become one) and [`bridge_batch`] (transfers of different tokens
//!    on one route share a message). Every one removes a call or turns an
//!    ordinary loan into a flash loan, and none adds one, so the rounds end;
//! 3. [`route`]: each unpinned bridge takes the route of an exact search
//!    over the whole bundle — never one less secure than the `-O0` route
//!    unless the bundle allows it — and the local laws run again to their
//!    fixed point on the chosen routes;
//! 4. [`schedule::reschedule`]: the laws remove boxes and the edges they
//!    carried (a round trip cancelled), so the program is scheduled again
//!    and the laws applied again, while a round saves gas (at most
//!    [`MAX_RESCHEDULES`] rounds), keeping every flash loan closed in its
//!    transaction;
//! 5. [`normal_form`] and [`interchange`]: sequences flattened, and
//!    adjacent independent steps side by side (blocks, never gas).
//!
//! The saving of each law is the sum of what its applications saved.
//!
//! Two modules serve the passes and are no law of their own:
//! [`approvals`] places the executor's approvals afresh after a pass
//! changes who spends what, and `walk` holds the walks over terms that
//! several passes share.

pub mod approvals;
pub mod bridge_batch;
pub mod bridge_merge;
pub mod cancel;
pub mod deposits;
pub mod flash;
pub mod flash_batch;
pub mod fuse;
pub mod interchange;
pub mod normal_form;
pub mod route;
pub mod schedule;
pub(crate) mod walk;

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

/// What one law saved, over all its applications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassReport {
    pub name: &'static str,
    /// Gas saved (no application may cost gas: the optimiser keeps a
    /// program only when its gas did not grow).
    pub gas_saved: u64,
    /// Blocks saved (negative when the law's saving of gas costs time, as a
    /// cheaper, slower route may, always within the deadline).
    pub blocks_saved: i64,
    /// How many times it changed the program.
    pub applications: u32,
}

impl PassReport {
    /// The gas the law saved.
    pub fn saved(&self) -> u64 {
        self.gas_saved
    }
}

/// The optimised program and what each law saved.
#[derive(Clone, Debug)]
pub struct Optimised {
    pub program: Program,
    pub passes: Vec<PassReport>,
}

type PassFn = fn(&mut Program, &Context<'_>) -> Result<(), OptError>;

/// The local laws, applied round after round until none changes the program.
pub const LAWS: [(&str, PassFn); 7] = [
    (flash::NAME, flash::run),
    (flash_batch::NAME, flash_batch::run),
    (fuse::NAME, fuse::run),
    (deposits::NAME, deposits::run),
    (cancel::NAME, cancel::run),
    (bridge_merge::NAME, bridge_merge::run),
    (bridge_batch::NAME, bridge_batch::run),
];

/// Every rewrite, in the order reports list them.
pub const REWRITES: [&str; 11] = [
    schedule::NAME,
    flash::NAME,
    flash_batch::NAME,
    fuse::NAME,
    deposits::NAME,
    cancel::NAME,
    bridge_merge::NAME,
    bridge_batch::NAME,
    route::NAME,
    normal_form::NAME,
    interchange::NAME,
];

/// The most times the program is scheduled again after the laws.
pub const MAX_RESCHEDULES: usize = 4;

/// Runs the optimiser; in debug builds the verifier runs after every rewrite.
pub fn optimise(program: Program, cx: &Context<'_>) -> Result<Optimised, OptError> {
    Optimiser::new(cx, cfg!(debug_assertions)).run(program)
}

/// Runs the optimiser and the verifier after every rewrite.
pub fn optimise_verified(program: Program, cx: &Context<'_>) -> Result<Optimised, OptError> {
    Optimiser::new(cx, true).run(program)
}

struct Optimiser<'c, 'a> {
    cx: &'c Context<'a>,
    verify: bool,
    reports: Vec<PassReport>,
}

impl<'c, 'a> Optimiser<'c, 'a> {
    fn new(cx: &'c Context<'a>, verify: bool) -> Self {
        let reports = REWRITES
            .iter()
            .map(|name| PassReport {
                name,
                gas_saved: 0,
                blocks_saved: 0,
                applications: 0,
            })
            .collect();
        Optimiser {
            cx,
            verify,
            reports,
        }
    }

    fn run(mut self, mut program: Program) -> Result<Optimised, OptError> {
        self.apply(&mut program, schedule::NAME, schedule::run)?;
        // Routes judged on what the laws make of them, before the laws
        // gather transfers on the `-O0` routes, and again after.
        self.apply(&mut program, route::NAME, route::run)?;
        self.fixed_point(&mut program)?;
        self.apply(&mut program, route::NAME, route::run)?;
        self.fixed_point(&mut program)?;
        // The laws remove boxes and the edges they carried: schedule again
        // and apply the laws again, while a round saves gas (and at most
        // `MAX_RESCHEDULES` times).
        for _ in 0..MAX_RESCHEDULES {
            let (before, _) = measure(&program, self.cx, schedule::NAME)?;
            if !self.apply(&mut program, schedule::NAME, schedule::reschedule)? {
                break;
            }
            self.fixed_point(&mut program)?;
            self.apply(&mut program, route::NAME, route::run)?;
            self.fixed_point(&mut program)?;
            let (after, _) = measure(&program, self.cx, schedule::NAME)?;
            if after >= before {
                break;
            }
        }
        self.apply(&mut program, normal_form::NAME, normal_form::run)?;
        self.apply(&mut program, interchange::NAME, interchange::run)?;
        Ok(Optimised {
            program,
            passes: self.reports,
        })
    }

    /// The local laws, round after round, until a round changes nothing.
    /// Each application removes a call (or turns an ordinary loan into a
    /// flash loan) and none adds one, so every round that changes the
    /// program lowers [`progress`], and the rounds end; a round that
    /// changes it without is reported as a bug rather than run forever.
    fn fixed_point(&mut self, program: &mut Program) -> Result<(), OptError> {
        loop {
            let before = progress(program);
            let mut changed = false;
            for (name, law) in LAWS {
                changed |= self.apply(program, name, law)?;
            }
            if !changed {
                return Ok(());
            }
            if progress(program) >= before {
                return Err(OptError {
                    pass: "laws",
                    message: "a round of the laws changed the program without removing a call"
                        .to_string(),
                });
            }
        }
    }

    /// Applies one rewrite; verifies it and measures what it saved. Whether
    /// it changed the program.
    fn apply(
        &mut self,
        program: &mut Program,
        name: &'static str,
        law: PassFn,
    ) -> Result<bool, OptError> {
        let before = program.clone();
        law(program, self.cx)?;
        if *program == before {
            return Ok(false);
        }
        if self.verify {
            ir::verify(program).map_err(|e| OptError {
                pass: name,
                message: e.to_string(),
            })?;
        }
        let (gas_before, blocks_before) = measure(&before, self.cx, name)?;
        let (gas_after, blocks_after) = measure(program, self.cx, name)?;
        if gas_after > gas_before {
            // A rewrite is kept only when it saves: none of the laws costs
            // gas where it applies, but the program is the judge.
            *program = before;
            return Ok(false);
        }
        if let Some(report) = self.reports.iter_mut().find(|r| r.name == name) {
            report.gas_saved += gas_before - gas_after;
            report.blocks_saved += i64::try_from(blocks_before).unwrap_or(i64::MAX)
                - i64::try_from(blocks_after).unwrap_or(i64::MAX);
            report.applications += 1;
        }
        Ok(true)
    }
}

/// The local laws applied to `program` round after round until none
/// changes it, each application kept where it does not cost gas, as the
/// optimiser applies them but without reports: what a choice made before
/// them (a route) is worth once they have run.
pub(crate) fn settle(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    loop {
        let start = progress(program);
        let mut changed = false;
        for (name, law) in LAWS {
            let before = program.clone();
            law(program, cx)?;
            if *program == before {
                continue;
            }
            if measure(program, cx, name)?.0 > measure(&before, cx, name)?.0 {
                *program = before;
                continue;
            }
            changed = true;
        }
        if !changed || progress(program) >= start {
            return Ok(());
        }
    }
}

/// What every application of a local law lowers: the calls of the program
/// (approvals aside, which follow the calls), then its ordinary loans. A
/// law removes a call (a swap fused, a deposit merged, a deposit and its
/// withdrawal or a bridge and its return cancelled, a transfer merged or
/// carried in a shared message, loans joined in one multi-asset call) or
/// turns an ordinary loan into a flash loan, and none adds a call.
fn progress(program: &Program) -> (usize, usize) {
    let (mut calls, mut ordinary) = (0, 0);
    walk::for_each_node(&program.body, &mut |node| {
        if node.op.needs_transaction() && !matches!(node.op, ir::Op::Approve { .. }) {
            calls += 1;
        }
        if matches!(node.op, ir::Op::Borrow { flash: false, .. }) {
            ordinary += 1;
        }
    });
    (calls, ordinary)
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
