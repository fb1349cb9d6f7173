//! Transaction grouping: a maximal run of same-chain actions of one
//! statement sequence becomes one transaction of the user's executor (one
//! base cost, accounts warm after their first touch, approvals held by the
//! executor). The `-O0` approval transactions disappear; the executor's
//! grants are placed once per (chain, token, spender) by
//! [`super::approvals::place`]. A bridge ends its transaction; a nested
//! sequence (an `on` block) or a tensor (a `parallel`) starts a new run:
//! exactly the grouping the checker's time model predicts
//! (`check/schedule.rs`), so `deadline` is judged on what runs.

use super::{approvals, Context, OptError};
use crate::ir::{Node, Op, Program, Sender, Term};

pub const NAME: &str = "transaction-grouping";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    group_by(program, &mut |_| false, true);
    Ok(())
}

/// Groups with a policy: `split(i)` says whether the `i`-th action
/// transaction of the input (in program order) starts a new executor
/// transaction even when the open one is on its chain; `bridge_ends` says
/// whether a bridge closes its transaction.
pub(crate) fn group_by(
    program: &mut Program,
    split: &mut dyn FnMut(usize) -> bool,
    bridge_ends: bool,
) {
    let mut grouper = Grouper {
        split,
        bridge_ends,
        next: 0,
    };
    grouper.term(&mut program.body);
    approvals::place(program);
}

/// The number of action transactions a policy for [`group_by`] numbers.
pub(crate) fn action_transactions(term: &Term) -> usize {
    match term {
        Term::Gen(_) => 0,
        Term::Seq(terms) | Term::Tensor(terms) => terms.iter().map(action_transactions).sum(),
        Term::Tx { body, .. } => usize::from(!approvals_only(body)),
    }
}

fn approvals_only(body: &[Term]) -> bool {
    body.iter().all(|t| {
        matches!(
            t,
            Term::Gen(Node {
                op: Op::Approve { .. },
                ..
            })
        )
    })
}

fn has_bridge(body: &[Term]) -> bool {
    let mut found = false;
    for t in body {
        super::walk::for_each_node(t, &mut |n| {
            found |= matches!(n.op, Op::Bridge { .. });
        });
    }
    found
}

struct Grouper<'a> {
    split: &'a mut dyn FnMut(usize) -> bool,
    bridge_ends: bool,
    next: usize,
}

fn flush(run: &mut Option<(String, Vec<Term>)>, out: &mut Vec<Term>) {
    if let Some((chain, body)) = run.take() {
        out.push(Term::Tx {
            chain,
            sender: Sender::Executor,
            body,
        });
    }
}

impl Grouper<'_> {
    fn term(&mut self, term: &mut Term) {
        match term {
            Term::Seq(list) => self.list(list),
            Term::Tensor(branches) => {
                for b in branches {
                    self.term(b);
                }
            }
            Term::Gen(_) | Term::Tx { .. } => {
                let mut list = vec![std::mem::replace(term, Term::Seq(Vec::new()))];
                self.list(&mut list);
                *term = Term::Seq(list);
            }
        }
    }

    fn list(&mut self, list: &mut Vec<Term>) {
        let mut out = Vec::new();
        let mut run: Option<(String, Vec<Term>)> = None;
        for term in std::mem::take(list) {
            match term {
                Term::Tx { chain, body, .. } => {
                    // The executor's approvals are placed afresh.
                    if approvals_only(&body) {
                        continue;
                    }
                    let index = self.next;
                    self.next += 1;
                    let bridge = has_bridge(&body);
                    let same = run.as_ref().is_some_and(|(c, _)| *c == chain);
                    if !same || (self.split)(index) {
                        flush(&mut run, &mut out);
                        run = Some((chain, Vec::new()));
                    }
                    if let Some((_, open)) = run.as_mut() {
                        open.extend(body);
                    }
                    if bridge && self.bridge_ends {
                        flush(&mut run, &mut out);
                    }
                }
                Term::Gen(node) => {
                    let chain = match &node.op {
                        Op::Input { chain, .. } | Op::Require { chain, .. } => Some(chain.as_str()),
                        _ => None,
                    };
                    match run.as_mut() {
                        Some((c, open)) if chain.is_none_or(|ch| ch == c) => {
                            open.push(Term::Gen(node));
                        }
                        _ => {
                            flush(&mut run, &mut out);
                            out.push(Term::Gen(node));
                        }
                    }
                }
                mut nested @ (Term::Seq(_) | Term::Tensor(_)) => {
                    flush(&mut run, &mut out);
                    self.term(&mut nested);
                    out.push(nested);
                }
            }
        }
        flush(&mut run, &mut out);
        *list = out;
    }
}
