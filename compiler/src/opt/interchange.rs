//! Interchange and symmetry: independent steps move next to each other.
//!
//! In a symmetric monoidal category `(f ⊗ id) ; (id ⊗ g) = f ⊗ g = (id ⊗
//! g) ; (f ⊗ id)` when `f` and `g` act on disjoint wires (interchange), and
//! `f ⊗ g = g ⊗ f` (symmetry). On the optimised program, a flat sequence
//! after [`super::normal_form`], two rewrites follow:
//!
//! 1. **Moving a transaction back**: an executor transaction moves before
//!    the steps that separate it from an earlier executor transaction on
//!    its chain, and joins it, when it commutes with each of them
//!    (`on polygon {A} on arbitrum {B} on polygon {C}` with `C` independent
//!    of `B` sends `A ; C` as one polygon transaction, then `B`).
//! 2. **Side by side**: adjacent independent steps (a transaction with the
//!    bookkeeping and inputs just before it, or a tensor) become branches of
//!    one tensor, which takes the blocks of its longest branch. Gas is the
//!    same: every transaction is still sent and paid for.
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
use crate::ir::{Op, Program, Sender, Term, Wire, WireType};
use std::collections::BTreeSet;

pub const NAME: &str = "interchange";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let Term::Seq(items) = std::mem::replace(&mut program.body, Term::Seq(Vec::new())) else {
        return Err(OptError {
            pass: NAME,
            message: "the program is not in normal form (a sequence at the top)".to_string(),
        });
    };
    let merged = merge_back(items, program);
    program.body = Term::Seq(side_by_side(merged, program));
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

fn executor_chain(term: &Term) -> Option<&str> {
    match term {
        Term::Tx {
            chain,
            sender: Sender::Executor,
            ..
        } => Some(chain),
        _ => None,
    }
}

/// Rewrite 1: each executor transaction, with the steps outside
/// transactions on its chain just before it (inputs, bookkeeping), joins
/// the nearest earlier executor transaction on its chain when it commutes
/// with everything between.
fn merge_back(items: Vec<Term>, program: &Program) -> Vec<Term> {
    let mut out: Vec<Term> = Vec::with_capacity(items.len());
    for item in items {
        let Some(chain) = executor_chain(&item).map(str::to_string) else {
            out.push(item);
            continue;
        };
        // The steps outside transactions, on this chain only, that go along.
        let mut carried = out.len();
        while carried > 0 {
            let before = &out[carried - 1];
            let on_chain = matches!(before, Term::Gen(_))
                && Footprint::of(std::slice::from_ref(before), program)
                    .chains
                    .iter()
                    .all(|c| *c == chain);
            if !on_chain {
                break;
            }
            carried -= 1;
        }
        let mut unit: Vec<Term> = out[carried..].to_vec();
        unit.push(item);
        let moved = Footprint::of(&unit, program);
        let mut target = None;
        let mut i = carried;
        while i > 0 {
            i -= 1;
            if executor_chain(&out[i]) == Some(chain.as_str()) {
                target = Some(i);
                break;
            }
            if !Footprint::of(std::slice::from_ref(&out[i]), program).commutes_with(&moved) {
                break;
            }
        }
        match target {
            Some(i) if !moved.require => {
                out.truncate(carried);
                if let Some(Term::Tx { body: open, .. }) = out.get_mut(i) {
                    for term in unit {
                        match term {
                            Term::Tx { body, .. } => open.extend(body),
                            other => open.push(other),
                        }
                    }
                }
            }
            _ => out.extend(unit.split_off(unit.len() - 1)),
        }
    }
    out
}

/// Rewrite 2: adjacent independent units side by side. A unit is a
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
