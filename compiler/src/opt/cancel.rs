//! Cancellation of round trips.
//!
//! A bridge there and straight back: `bridge a X→Y ; bridge (all of it)
//! Y→X` is the identity on `a`, less two fees and two delays, and costs
//! two bridge calls. Both go, and what came back is the wire that left.
//! Every holding is at least as large (no fee is paid) and nothing that
//! could revert at `-O0` is dropped (a bridge of a held amount on a known
//! route reverts only on arithmetic overflow of its fee). The amounts in
//! flight must be read by no value: a `let` of what arrived would read a
//! different amount.
//!
//! A wrap and the unwrap of all it gave (or an unwrap and the wrap of all
//! it gave): one for one both ways, so what comes back is exactly what
//! went in, and the two calls go. A wrap of held funds cannot revert (WETH9
//! takes any amount, zero too), so nothing that could revert at `-O0` is
//! dropped. What came back carries the amount that went in, so a value
//! may read it; only the wrapped amount in between must be read by none.
//!
//! A transaction left with no call is no longer sent (its bookkeeping
//! stays, outside any transaction).
//!
//! A loan repaid untouched is *not* cancelled: at `-O0` the borrow reverts
//! when the lender lacks the liquidity, and refinement requires `-O` to
//! revert then too; a cancelled loan could not.

use super::walk::{drop_idle_transactions, for_each_node, rename, values_read};
use super::{approvals, Context, OptError};
use crate::ir::{Op, Program, Term, Wire};

pub const NAME: &str = "cancellation";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let mut changed = false;
    while let Some((a, b, c)) = find(program) {
        remove_bridges(&mut program.body, b, c);
        rename(&mut program.body, c, a);
        changed = true;
    }
    while let Some((a, b, c)) = find_wrap_round_trip(program) {
        remove_producers(&mut program.body, b, c);
        rename(&mut program.body, c, a);
        changed = true;
    }
    if changed {
        approvals::place(program);
        drop_idle_transactions(&mut program.body);
    }
    Ok(())
}

/// A bridge there and back: (what left, what arrived there, what came back).
fn find(program: &Program) -> Option<(Wire, Wire, Wire)> {
    let read = values_read(&program.body);
    let mut bridges = Vec::new();
    for_each_node(&program.body, &mut |node| {
        if let Op::Bridge { input, out, .. } = &node.op {
            bridges.push((*input, *out));
        }
    });
    let chain = |w: Wire| program.wire_type(w).map(|t| t.chain().to_string());
    for &(a, b) in &bridges {
        for &(b2, c) in &bridges {
            if b2 == b
                && chain(a).is_some()
                && chain(a) == chain(c)
                && !read.contains(&b)
                && !read.contains(&c)
            {
                return Some((a, b, c));
            }
        }
    }
    None
}

/// A wrap there and straight back: (what went in, what the first gave,
/// what the second gave back).
fn find_wrap_round_trip(program: &Program) -> Option<(Wire, Wire, Wire)> {
    let read = values_read(&program.body);
    let mut wraps = Vec::new();
    let mut unwraps = Vec::new();
    for_each_node(&program.body, &mut |node| match &node.op {
        Op::Wrap { input, out } => wraps.push((*input, *out)),
        Op::Unwrap { input, out } => unwraps.push((*input, *out)),
        _ => {}
    });
    let there_and_back = |first: &[(Wire, Wire)], second: &[(Wire, Wire)]| {
        first.iter().find_map(|&(a, b)| {
            second
                .iter()
                .find(|&&(b2, _)| b2 == b && !read.contains(&b))
                .map(|&(_, c)| (a, b, c))
        })
    };
    there_and_back(&wraps, &unwraps).or_else(|| there_and_back(&unwraps, &wraps))
}

/// Removes the boxes that produce `there` and `back`.
fn remove_producers(term: &mut Term, there: Wire, back: Wire) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            terms.retain(|t| {
                !matches!(t, Term::Gen(node) if node.op.codomain().iter().any(|w| *w == there || *w == back))
            });
            for t in terms {
                remove_producers(t, there, back);
            }
        }
    }
}

fn remove_bridges(term: &mut Term, there: Wire, back: Wire) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            terms.retain(|t| {
                !matches!(t, Term::Gen(node) if matches!(
                    node.op,
                    Op::Bridge { out, .. } if out == there || out == back
                ))
            });
            for t in terms {
                remove_bridges(t, there, back);
            }
        }
    }
}
