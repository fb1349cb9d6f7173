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

/// Whether a box of the term consumes one of `wires` or reads its amount.
pub fn uses_any(term: &Term, wires: &[Wire]) -> bool {
    let mut found = false;
    for_each_node(term, &mut |node| {
        let mut read = node.op.domain();
        for value in node.op.values() {
            value.wires(&mut read);
        }
        found |= read.iter().any(|w| wires.contains(w));
    });
    found
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
            Op::Swap { input, .. }
            | Op::Bridge { input, .. }
            | Op::Split { input, .. }
            | Op::Wrap { input, .. }
            | Op::Unwrap { input, .. } => swap(input),
            Op::Deposit { funds, .. } | Op::RepayDebt { funds, .. } => swap(funds),
            Op::Merge { inputs, .. } => inputs.iter_mut().for_each(swap),
            Op::BridgeBatch { inputs, .. } => inputs.iter_mut().for_each(swap),
            Op::Input { .. }
            | Op::Borrow { .. }
            | Op::FlashLoan { .. }
            | Op::Withdraw { .. }
            | Op::BorrowDebt { .. }
            | Op::Require { .. }
            | Op::Assume { .. }
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
        }
    }
    match op {
        Op::Input { amount, .. }
        | Op::Borrow { amount, .. }
        | Op::Withdraw { amount, .. }
        | Op::BorrowDebt { amount, .. }
        | Op::Split { amount, .. } => walk(amount, from, to),
        Op::Assume { assumption, .. } => match assumption {
            crate::ir::Assumption::Debt { amount, .. }
            | crate::ir::Assumption::Collateral { amount, .. } => walk(amount, from, to),
            crate::ir::Assumption::Healthy => {}
        },
        Op::Repay { principal, .. } => walk(principal, from, to),
        Op::FlashLoan { amounts, .. } => amounts.iter_mut().for_each(|a| walk(a, from, to)),
        Op::Swap { min_out, .. } => walk(min_out, from, to),
        Op::Require { left, right, .. } => {
            walk(left, from, to);
            walk(right, from, to);
        }
        Op::Deposit { .. }
        | Op::RepayDebt { .. }
        | Op::Bridge { .. }
        | Op::BridgeBatch { .. }
        | Op::Wrap { .. }
        | Op::Unwrap { .. }
        | Op::Merge { .. }
        | Op::Approve { .. } => {}
    }
}

fn calls(terms: &[Term]) -> bool {
    let mut any = false;
    for t in terms {
        for_each_node(t, &mut |n| any |= n.op.needs_transaction());
    }
    any
}

/// Unwraps every transaction that makes no call: it would cost its base
/// for nothing.
pub fn drop_idle_transactions(term: &mut Term) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms.iter_mut() {
                drop_idle_transactions(t);
                if let Term::Tx { body, .. } = t {
                    if !calls(body) {
                        *t = Term::Seq(std::mem::take(body));
                    }
                }
            }
        }
        Term::Tx { .. } => {}
    }
}
