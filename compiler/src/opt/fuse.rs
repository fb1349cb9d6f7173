//! Swap fusion: `swap a→b ; swap b→c` in one executor transaction, where
//! the first swap's whole output is the second's input, becomes one call
//! along the path: the executor sends the input to the first pair, and each
//! pair sends its output straight to the next — pairs of one exchange or of
//! different Uniswap V2 forks alike, since every fork's pair has the same
//! `swap(amount0Out, amount1Out, to, data)`. It gives exactly what the
//! single swaps give in sequence and moves the reserves the same way, and
//! saves the transfer into the second pair (and the approval of the
//! intermediate token, when nothing else spends it). Each hop keeps the
//! location of the statement it came from, so a hop that fails is reported
//! where the unoptimised bundle would fail.
//!
//! Refinement forbids dropping a check that can make `-O0` revert, and the
//! fused call checks only the final bound. So the first swap must be
//! unbounded (its bound is zero: nothing to keep), the intermediate amount
//! must be read by no value (a `let` of it would have nothing to read), and
//! the path must use no pair twice (the runtime refuses such a path). The
//! first swap moves down to the second past anything that does not swap on
//! one of its pairs: no call then sees the reserves in another order.

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

/// The pairs a swap swaps on: `(exchange, token0, token1)`.
fn pairs<'a>(exchanges: &'a [String], path: &'a [String]) -> Vec<(&'a str, &'a str, &'a str)> {
    path.windows(2)
        .zip(exchanges)
        .map(|(hop, exchange)| {
            let (a, b) = pair_tokens(&hop[0], &hop[1]);
            (exchange.as_str(), a, b)
        })
        .collect()
}

/// The first fusable pair of swaps: their positions in the body.
fn find(body: &[Term], read: &BTreeSet<crate::ir::Wire>) -> Option<(usize, usize)> {
    for (i, first) in body.iter().enumerate() {
        let Some(Node {
            op:
                Op::Swap {
                    exchanges,
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
        let first_pairs = pairs(exchanges, path);
        for (j, later) in body.iter().enumerate().skip(i + 1) {
            let Term::Gen(node) = later else {
                break;
            };
            let Op::Swap {
                exchanges: e2,
                path: p2,
                input,
                ..
            } = &node.op
            else {
                continue;
            };
            let second_pairs = pairs(e2, p2);
            if input == out {
                let mut all = first_pairs.clone();
                all.extend(second_pairs);
                let mut seen = BTreeSet::new();
                if all.iter().all(|p| seen.insert(*p)) {
                    return Some((i, j));
                }
                break;
            }
            if second_pairs.iter().any(|p| first_pairs.contains(p)) {
                break;
            }
        }
    }
    None
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
            exchanges: e1,
            path: p1,
            locs: l1,
            input: i1,
            ..
        },
        Op::Swap {
            exchanges: e2,
            path: p2,
            locs: l2,
            input: i2,
            ..
        },
    ) = (first_op, &mut second.op)
    {
        let mut path = p1;
        path.extend(p2.iter().skip(1).cloned());
        *p2 = path;
        let mut exchanges = e1;
        exchanges.append(e2);
        *e2 = exchanges;
        let mut locs = l1;
        locs.append(l2);
        *l2 = locs;
        *i2 = i1;
    }
}
