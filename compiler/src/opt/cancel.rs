//! Cancellation of a bridge there and straight back: `bridge a X→Y ;
//! bridge (all of it) Y→X` is the identity on `a`, less two fees and two
//! delays, and costs two bridge calls. Both go, and what came back is the
//! wire that left. Every holding is at least as large (no fee is paid) and
//! nothing that could revert at `-O0` is dropped (a bridge of a held amount
//! on a known route reverts only on arithmetic overflow of its fee). The
//! amounts in flight must be read by no value: a `let` of what arrived
//! would read a different amount. A transaction left with no call is no
//! longer sent (its bookkeeping stays, outside any transaction).
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
