//! Swap fusion: `swap a→b ; swap b→c` on one exchange, in one executor
//! transaction, where the first swap's whole output is the second's input,
//! becomes one multi-hop call (`swap_path`), which gives exactly what the
//! single hops give in sequence and moves the reserves the same way, and
//! saves the transfer into the second pair (and the approval of the
//! intermediate token, when nothing else spends it).
//!
//! Refinement forbids dropping a check that can make `-O0` revert, and the
//! fused call checks only the final bound. So the first swap must be
//! unbounded (its bound is zero: nothing to keep), the intermediate amount
//! must be read by no value (a `let` of it would have nothing to read), the
//! path must use no pair twice (the runtime refuses such a path), and only
//! bookkeeping (splits, merges, inputs, requires) and approvals may stand between the two
//! swaps, so that no call sees the reserves in another order.

use super::walk::values_read;
use super::{approvals, Context, OptError};
use crate::ir::{Node, Op, Program, Sender, Term, Value};
use mesh_core::registry::pair_tokens;
use std::collections::BTreeSet;

pub const NAME: &str = "swap-fusion";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let read = values_read(&program.body);
    let mut changed = false;
    fuse_term(&mut program.body, &read, &mut changed);
    if changed {
        approvals::place(program);
    }
    Ok(())
}

fn fuse_term(term: &mut Term, read: &BTreeSet<crate::ir::Wire>, changed: &mut bool) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms {
                fuse_term(t, read, changed);
            }
        }
        Term::Tx { sender, body, .. } => {
            if *sender == Sender::Executor {
                while let Some((i, j)) = find(body, read) {
                    fuse_at(body, i, j);
                    *changed = true;
                }
            }
        }
    }
}

fn swap_of(term: &Term) -> Option<&Node> {
    match term {
        Term::Gen(node) if matches!(node.op, Op::Swap { .. }) => Some(node),
        _ => None,
    }
}

fn bookkeeping(term: &Term) -> bool {
    matches!(
        term,
        Term::Gen(Node {
            op: Op::Split { .. }
                | Op::Merge { .. }
                | Op::Input { .. }
                | Op::Require { .. }
                | Op::Approve { .. },
            ..
        })
    )
}

/// The first fusable pair of swaps: their positions in the body.
fn find(body: &[Term], read: &BTreeSet<crate::ir::Wire>) -> Option<(usize, usize)> {
    for (i, first) in body.iter().enumerate() {
        let Some(Node {
            op:
                Op::Swap {
                    exchange,
                    path,
                    min_out,
                    out,
                    ..
                },
            ..
        }) = swap_of(first)
        else {
            continue;
        };
        if *min_out != Value::Const(0) || read.contains(out) {
            continue;
        }
        for (j, later) in body.iter().enumerate().skip(i + 1) {
            if let Some(Node {
                op:
                    Op::Swap {
                        exchange: e2,
                        path: p2,
                        input,
                        ..
                    },
                ..
            }) = swap_of(later)
            {
                if input == out && e2 == exchange && distinct_pairs(path, p2) {
                    return Some((i, j));
                }
                break;
            }
            if !bookkeeping(later) {
                break;
            }
        }
    }
    None
}

fn distinct_pairs(first: &[String], second: &[String]) -> bool {
    let joined: Vec<&String> = first.iter().chain(second.iter().skip(1)).collect();
    let mut seen = BTreeSet::new();
    joined
        .windows(2)
        .all(|w| w[0] != w[1] && seen.insert(pair_tokens(w[0], w[1])))
}

fn fuse_at(body: &mut Vec<Term>, i: usize, j: usize) {
    let first = body.remove(i);
    let (Term::Gen(Node { op: first_op, .. }), Some(Term::Gen(second))) =
        (first, body.get_mut(j - 1))
    else {
        return;
    };
    if let (
        Op::Swap {
            path: p1,
            input: i1,
            ..
        },
        Op::Swap {
            path: p2,
            input: i2,
            ..
        },
    ) = (first_op, &mut second.op)
    {
        let mut path = p1;
        path.extend(p2.iter().skip(1).cloned());
        *p2 = path;
        *i2 = i1;
    }
}
