//! Walks over terms that several passes share.

use crate::ir::{Node, Op, Term, Wire};
use std::collections::BTreeSet;

/// Every wire whose amount some value of the term reads.
pub fn values_read(term: &Term) -> BTreeSet<Wire> {
    let mut out = Vec::new();
    for_each_node(term, &mut |node| {
        for value in node.op.values() {
            value.wires(&mut out);
        }
    });
    out.into_iter().collect()
}

/// Visits every box of the term in program order.
pub fn for_each_node<'t>(term: &'t Term, f: &mut impl FnMut(&'t Node)) {
    match term {
        Term::Gen(node) => f(node),
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                for_each_node(t, f);
            }
        }
    }
}

/// Visits every box of the term in program order, mutably.
pub fn for_each_op_mut(term: &mut Term, f: &mut impl FnMut(&mut Op)) {
    match term {
        Term::Gen(node) => f(&mut node.op),
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                for_each_op_mut(t, f);
            }
        }
    }
}

/// Replaces every use of a wire (consumed or read by a value) by another.
pub fn rename(term: &mut Term, from: Wire, to: Wire) {
    let swap = |w: &mut Wire| {
        if *w == from {
            *w = to;
        }
    };
    for_each_op_mut(term, &mut |op| {
        match op {
            Op::Repay { funds, debt, .. } => {
                swap(funds);
                swap(debt);
            }
            Op::Swap { input, .. } | Op::Bridge { input, .. } | Op::Split { input, .. } => {
                swap(input)
            }
            Op::Deposit { funds, .. } => swap(funds),
            Op::Merge { inputs, .. } => inputs.iter_mut().for_each(swap),
            Op::BridgeBatch { inputs, .. } => inputs.iter_mut().for_each(swap),
            Op::Input { .. }
            | Op::Borrow { .. }
            | Op::Withdraw { .. }
            | Op::Require { .. }
            | Op::Approve { .. } => {}
        }
        rename_values(op, from, to);
    });
}

fn rename_values(op: &mut Op, from: Wire, to: Wire) {
    use crate::ir::Value;
    fn walk(v: &mut Value, from: Wire, to: Wire) {
        match v {
            Value::Const(_) => {}
            Value::AmountOf(w) => {
                if *w == from {
                    *w = to;
                }
            }
            Value::Add(a, b) | Value::Sub(a, b) => {
                walk(a, from, to);
                walk(b, from, to);
            }
            Value::Scale { value, .. } => walk(value, from, to),
            Value::WithPremium { principal, .. } => walk(principal, from, to),
        }
    }
    match op {
        Op::Input { amount, .. }
        | Op::Borrow { amount, .. }
        | Op::Withdraw { amount, .. }
        | Op::Split { amount, .. } => walk(amount, from, to),
        Op::Repay { principal, .. } => walk(principal, from, to),
        Op::Swap { min_out, .. } => walk(min_out, from, to),
        Op::Require { left, right, .. } => {
            walk(left, from, to);
            walk(right, from, to);
        }
        Op::Deposit { .. }
        | Op::Bridge { .. }
        | Op::BridgeBatch { .. }
        | Op::Merge { .. }
        | Op::Approve { .. } => {}
    }
}
