//! Interchange: independent steps side by side.
//!
//! In a symmetric monoidal category `(f ⊗ id) ; (id ⊗ g) = f ⊗ g = (id ⊗
//! g) ; (f ⊗ id)` when `f` and `g` act on disjoint wires. On the optimised
//! program, a flat sequence after [`super::normal_form`], adjacent
//! independent steps (a transaction with the bookkeeping and inputs just
//! before it, or a tensor) become branches of one tensor, which takes the
//! blocks of its longest branch. Gas is the same: every transaction is
//! still sent and paid for. (Which transaction each action joins is
//! [`super::schedule`]'s work.)
//!
//! Two steps commute only when the laws allow it: they act on different
//! chains (a protocol's state lives on its chain), they touch no common
//! holding or obligation (same chain and token, or same lender), whether
//! consumed, produced or read by an amount (`all T` reads the holding, so
//! a holding it reads is touched), neither reads or consumes a wire the
//! other produces, and neither holds a `require` (a check stays where it
//! was written, between the steps it was written between).
//!
//! Refinement: the moved steps run the same calls with the same amounts on
//! state no other moved step touches, so every holding ends the same and
//! a revert of one level is a revert of the other.

use super::{Context, OptError};
use crate::ir::{Op, Program, Term, Wire, WireType};
use std::collections::BTreeSet;

pub const NAME: &str = "interchange";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let Term::Seq(items) = std::mem::replace(&mut program.body, Term::Seq(Vec::new())) else {
        return Err(OptError {
            pass: NAME,
            message: "the program is not in normal form (a sequence at the top)".to_string(),
        });
    };
    program.body = Term::Seq(side_by_side(items, program));
    Ok(())
}

/// What a step touches.
#[derive(Default)]
struct Footprint {
    chains: BTreeSet<String>,
    /// Every holding or obligation (wire type) it consumes, produces or reads.
    holdings: BTreeSet<WireType>,
    produced: BTreeSet<Wire>,
    used: BTreeSet<Wire>,
    require: bool,
}

impl Footprint {
    fn of(terms: &[Term], program: &Program) -> Footprint {
        let mut f = Footprint::default();
        for t in terms {
            f.add(t, program);
        }
        f
    }

    fn add(&mut self, term: &Term, program: &Program) {
        if let Term::Tx { chain, .. } = term {
            self.chains.insert(chain.clone());
        }
        super::walk::for_each_node(term, &mut |node| {
            let op = &node.op;
            match op {
                Op::Input { chain, .. } | Op::Require { chain, .. } | Op::Approve { chain, .. } => {
                    self.chains.insert(chain.clone());
                }
                _ => {}
            }
            self.require |= matches!(op, Op::Require { .. });
            let mut read = Vec::new();
            for value in op.values() {
                value.wires(&mut read);
            }
            let codomain = op.codomain();
            for wire in op.domain().iter().chain(&read).chain(&codomain) {
                if let Some(ty) = program.wire_type(*wire) {
                    self.holdings.insert(ty.clone());
                    if !op.is_on_chain() {
                        // Bookkeeping acts on the chain of its holding.
                        self.chains.insert(ty.chain().to_string());
                    }
                }
            }
            self.used.extend(op.domain());
            self.used.extend(read);
            self.produced.extend(codomain);
        });
    }

    /// Whether a step with this footprint, written before `later`, commutes
    /// with it.
    fn commutes_with(&self, later: &Footprint) -> bool {
        !self.require
            && !later.require
            && self.chains.is_disjoint(&later.chains)
            && self.holdings.is_disjoint(&later.holdings)
            && self.produced.is_disjoint(&later.used)
            && later.produced.is_disjoint(&self.used)
    }
}

/// Adjacent independent units side by side. A unit is a
/// transaction with the steps outside transactions just before it, or a
/// tensor; the steps outside transactions at the end stay as they are.
fn side_by_side(items: Vec<Term>, program: &Program) -> Vec<Term> {
    let mut units: Vec<Vec<Term>> = Vec::new();
    let mut pending: Vec<Term> = Vec::new();
    for item in items {
        let ends = matches!(item, Term::Tx { .. } | Term::Tensor(_));
        pending.push(item);
        if ends {
            units.push(std::mem::take(&mut pending));
        }
    }
    // Each element: the branches of a tensor being formed (one branch: no
    // tensor) and their joint footprint.
    let mut out: Vec<(Vec<Vec<Term>>, Footprint)> = Vec::new();
    for unit in units {
        let footprint = Footprint::of(&unit, program);
        match out.last_mut() {
            Some((branches, joint)) if joint.commutes_with(&footprint) => {
                joint.chains.extend(footprint.chains);
                joint.holdings.extend(footprint.holdings);
                joint.produced.extend(footprint.produced);
                joint.used.extend(footprint.used);
                branches.push(unit);
            }
            _ => out.push((vec![unit], footprint)),
        }
    }
    let mut flat = Vec::new();
    for (mut branches, _) in out {
        if branches.len() == 1 {
            flat.append(&mut branches[0]);
        } else {
            flat.push(Term::Tensor(branches.into_iter().map(Term::Seq).collect()));
        }
    }
    flat.extend(pending);
    flat
}
