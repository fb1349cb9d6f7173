//! Bridge merging: two bridges of one token on one route, sent in one
//! transaction to the same chain, become one transfer of their sum.
//!
//! `bridge t₁ ; bridge t₂` becomes `merge t₁ t₂ ; bridge`, and the arrival
//! of the first transfer, merged into the destination's holding, is no
//! longer a separate wire: the single arrival carries both. The route's fee
//! is charged once, rounded up once (`ceil(a + b) ≤ ceil(a) + ceil(b)`), so
//! what arrives is at least what the two transfers delivered, and one route
//! call is saved. A bridge of a held amount on a known route reverts only if
//! its fee overflows, which `bps_ceil` rules out, so nothing that could
//! revert at `-O0` is lost.
//!
//! Only moves that change no value are made: no value may read the amounts
//! in flight, and the holding the first arrival joins must reach the second
//! arrival through merges alone, each holding on the way read by no value
//! (other arrivals may join it on the way: each still arrives as it did).
//! Nothing but those merges could see the first arrival before the second
//! joins it, so delivering it with the second changes no amount any step
//! sees. Nothing between the two bridges may use the first arrival or that
//! holding (a bridge touches no protocol state, so the first one commutes
//! with every other box on its way to the second).
//!
//! The line a failed run reports is kept: the merged transfer is not made
//! exactly when one of its inputs is missing, that is when a step written
//! no later than one of the two bridges failed; what it then no longer
//! delivers is the first arrival (seen by nothing before the second joins)
//! and the second (whose users are written after the second bridge). So
//! every failure the merge hides is written after one that still happens,
//! and the failure first in the source is the same.
//!
//! A transfer that carries a bridge pinned with `via` is pinned: its route
//! never changes afterwards (the bridges merge only on one route, so the
//! unpinned one was already on that route, and every route it may take is
//! its own choice).
//!
//! Shared messages — transfers of different tokens on one route carried by
//! one proof or one signature — are formed by the next pass,
//! [`super::bridge_batch`].

use super::walk::{for_each_node, rename, uses_any, values_read};
use super::{Context, OptError};
use crate::ir::{Node, Op, Program, Term, Wire};

pub const NAME: &str = "bridge-merging";

pub fn run(program: &mut Program, cx: &Context<'_>) -> Result<(), OptError> {
    // Each merge removes a bridge, so this ends.
    while let Some(found) = find(program) {
        apply(program, &found, cx)?;
    }
    Ok(())
}

/// Two bridges to merge, and how the first arrival joined its holding.
struct Found {
    /// Indices from the program's body down to the transaction's term.
    path: Vec<usize>,
    first: usize,
    second: usize,
    /// What the first bridge sent and delivered.
    sent: Wire,
    arrived: Wire,
    /// The merge `joined = merge(other, arrived)` that consumed the first
    /// arrival.
    other: Wire,
    joined: Wire,
}

fn find(program: &Program) -> Option<Found> {
    let read = values_read(&program.body);
    let mut paths = Vec::new();
    transactions(&program.body, &mut Vec::new(), &mut paths);
    for path in paths {
        let Some(body) = body_at(&program.body, &path) else {
            continue;
        };
        for (first, term) in body.iter().enumerate() {
            let Some((route, sent, arrived)) = bridge(term) else {
                continue;
            };
            let blocked = match consumer_merge(program, arrived) {
                Some((_, joined)) => vec![arrived, joined],
                None => vec![arrived],
            };
            for (second, later) in body.iter().enumerate().skip(first + 1) {
                if !matches!(later, Term::Gen(_)) || uses_any(later, &blocked) {
                    break;
                }
                let Some((route2, sent2, arrived2)) = bridge(later) else {
                    continue;
                };
                let same = route2 == route
                    && program.wire_type(sent2) == program.wire_type(sent)
                    && program.wire_type(arrived2) == program.wire_type(arrived);
                let untouched = [sent, arrived, sent2, arrived2]
                    .iter()
                    .all(|w| !read.contains(w));
                if !(same && untouched) {
                    // Another bridge: it commutes with the first.
                    continue;
                }
                if let Some((other, joined)) = consumer_merge(program, arrived) {
                    if joins(program, &read, other, joined, arrived2) {
                        return Some(Found {
                            path: path.clone(),
                            first,
                            second,
                            sent,
                            arrived,
                            other,
                            joined,
                        });
                    }
                }
                break;
            }
        }
    }
    None
}

/// `(route, input, output)` of a bridge box.
fn bridge(term: &Term) -> Option<(mesh_core::BridgeKind, Wire, Wire)> {
    match term {
        Term::Gen(Node {
            op: Op::Bridge { route, input, out },
            ..
        }) => Some((*route, *input, *out)),
        _ => None,
    }
}

/// Whether the holding the first arrival joined reaches the second arrival
/// through merges alone, no value reading a holding on the way: the first
/// arrival was merged with the second itself (`other` is it), or the
/// holding it joined is merged on, other arrivals joining it, until the
/// second joins. Only then does one arrival carrying both leave every
/// amount a step sees as it was: a step spending the holding between them
/// (all of it, say) would spend less once the first arrival comes with the
/// second.
fn joins(
    program: &Program,
    read: &std::collections::BTreeSet<Wire>,
    other: Wire,
    joined: Wire,
    second: Wire,
) -> bool {
    if other == second {
        return true;
    }
    let mut held = joined;
    // A holding is merged at most once, so the walk ends; the bound is
    // the number of wires.
    for _ in 0..program.wires.len() {
        if read.contains(&held) {
            return false;
        }
        match consumer_merge(program, held) {
            Some((with, _)) if with == second => return true,
            Some((_, next)) => held = next,
            None => return false,
        }
    }
    false
}

/// The only box that consumes `wire`, if it is a merge: `(other input, out)`.
fn consumer_merge(program: &Program, wire: Wire) -> Option<(Wire, Wire)> {
    let mut consumers = Vec::new();
    for_each_node(&program.body, &mut |node| {
        if node.op.domain().contains(&wire) {
            consumers.push(node.op.clone());
        }
    });
    match consumers.as_slice() {
        [Op::Merge { inputs, out }] => {
            let other = if inputs[0] == wire {
                inputs[1]
            } else {
                inputs[0]
            };
            (other != wire).then_some((other, *out))
        }
        _ => None,
    }
}

fn transactions(term: &Term, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    match term {
        Term::Gen(_) => {}
        Term::Tx { .. } => out.push(path.clone()),
        Term::Seq(terms) | Term::Tensor(terms) => {
            for (i, t) in terms.iter().enumerate() {
                path.push(i);
                transactions(t, path, out);
                path.pop();
            }
        }
    }
}

fn body_at<'t>(term: &'t Term, path: &[usize]) -> Option<&'t Vec<Term>> {
    match (term, path.split_first()) {
        (Term::Tx { body, .. }, None) => Some(body),
        (Term::Seq(terms) | Term::Tensor(terms), Some((&i, rest))) => body_at(terms.get(i)?, rest),
        _ => None,
    }
}

fn body_at_mut<'t>(term: &'t mut Term, path: &[usize]) -> Option<&'t mut Vec<Term>> {
    match (term, path.split_first()) {
        (Term::Tx { body, .. }, None) => Some(body),
        (Term::Seq(terms) | Term::Tensor(terms), Some((&i, rest))) => {
            body_at_mut(terms.get_mut(i)?, rest)
        }
        _ => None,
    }
}

fn apply(program: &mut Program, found: &Found, cx: &Context<'_>) -> Result<(), OptError> {
    let bug = |message: &str| OptError {
        pass: NAME,
        message: message.to_string(),
    };
    let ty = program
        .wire_type(found.sent)
        .cloned()
        .ok_or_else(|| bug("a bridge sends an untyped wire"))?;
    let total = Wire(u32::try_from(program.wires.len()).map_err(|_| bug("too many wires"))?);
    program.wires.push(ty);

    let body =
        body_at_mut(&mut program.body, &found.path).ok_or_else(|| bug("the transaction moved"))?;
    let Some(Term::Gen(second)) = body.get(found.second).cloned() else {
        return Err(bug("the second bridge moved"));
    };
    let Op::Bridge {
        route,
        input: sent2,
        out,
    } = second.op
    else {
        return Err(bug("the second box is not a bridge"));
    };
    // A transfer that carries a pinned bridge is pinned: the merged one
    // delivers on the pinned bridge's arrival wire (the pinned set names
    // arrivals), so that route choice never moves it.
    let keep_first = cx.pinned.contains(&found.arrived) && !cx.pinned.contains(&out);
    let arrival = if keep_first { found.arrived } else { out };
    let merged = [
        Term::Gen(Node {
            op: Op::Merge {
                inputs: [found.sent, sent2],
                out: total,
            },
            loc: second.loc,
        }),
        Term::Gen(Node {
            op: Op::Bridge {
                route,
                input: total,
                out: arrival,
            },
            loc: second.loc,
        }),
    ];
    body.splice(found.second..=found.second, merged);
    body.remove(found.first);

    // The first arrival no longer exists: the holding it was merged into
    // stands where the merge's result stood.
    remove_merge(&mut program.body, found.arrived);
    rename(&mut program.body, found.joined, found.other);
    if keep_first {
        // The merged arrival is named by the first's wire, where the
        // second's was used.
        rename(&mut program.body, out, found.arrived);
    }
    Ok(())
}

/// Removes the merge that consumes `wire`.
fn remove_merge(term: &mut Term, wire: Wire) {
    match term {
        Term::Gen(_) => {}
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            terms.retain(|t| {
                !matches!(t, Term::Gen(Node { op: Op::Merge { inputs, .. }, .. }) if inputs.contains(&wire))
            });
            for t in terms {
                remove_merge(t, wire);
            }
        }
    }
}
