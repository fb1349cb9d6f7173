//! The body of a bundle as a list of steps, and what the code generator
//! reads off a program before it translates it: the names it registers.

use crate::ir::{self, Constraint, Op, Program, Sender, Spender, Term, Wire};
use cranelift_module::DataId;
use std::collections::BTreeMap;

/// What every part of one body shares.
pub(super) struct Shared<'p> {
    pub program: &'p Program,
    /// Each name's index in the name table.
    pub names: &'p BTreeMap<&'p str, usize>,
    /// The data object of each text.
    pub data: &'p BTreeMap<String, DataId>,
}

/// One thing the body does, in order: the program flattened.
pub(super) enum Step<'p> {
    /// Registers name number `.0`, whose text is `.1`.
    Name(usize, &'p str),
    Constraint(&'p Constraint, ir::Loc),
    ParallelBegin(ir::Loc),
    ParallelNext(ir::Loc),
    ParallelEnd(ir::Loc),
    TxBegin {
        chain: &'p str,
        sender: Sender,
        at: ir::Loc,
    },
    TxEnd(ir::Loc),
    Op(&'p ir::Node),
}

impl Step<'_> {
    /// How many token indices the step puts in the path slot.
    pub(super) fn path_len(&self) -> usize {
        match self {
            Step::Op(node) => match &node.op {
                Op::Swap { path, .. } => path.len(),
                Op::BridgeBatch { inputs, .. } => inputs.len(),
                Op::FlashLoan { amounts, .. } => amounts.len(),
                _ => 0,
            },
            _ => 0,
        }
    }

    /// How many transfers a bridge batch step carries, or loans a
    /// multi-asset flash loan takes.
    pub(super) fn batch_len(&self) -> usize {
        match self {
            Step::Op(node) => match &node.op {
                Op::BridgeBatch { inputs, .. } => inputs.len(),
                Op::FlashLoan { amounts, .. } => amounts.len(),
                _ => 0,
            },
            _ => 0,
        }
    }
}

/// Appends the steps of `term` to `out`, in the interpreter's order and
/// with its locations (a parallel group begins at its first box and ends at
/// its last, a branch begins at its first box, a transaction likewise);
/// returns the term's first and last locations. Each location is found
/// once, as the term is walked, not by searching the term again at every
/// level.
pub(super) fn flatten<'p>(
    term: &'p Term,
    out: &mut Vec<Step<'p>>,
) -> (Option<ir::Loc>, Option<ir::Loc>) {
    match term {
        Term::Gen(node) => {
            out.push(Step::Op(node));
            (Some(node.loc), Some(node.loc))
        }
        Term::Seq(terms) => {
            let (mut first, mut last) = (None, None);
            for t in terms {
                let (f, l) = flatten(t, out);
                first = first.or(f);
                last = l.or(last);
            }
            (first, last)
        }
        Term::Tensor(branches) => {
            let begin = out.len();
            out.push(Step::ParallelBegin(ir::Loc::default()));
            let (mut first, mut last) = (None, None);
            for (i, branch) in branches.iter().enumerate() {
                let next = out.len();
                if i > 0 {
                    out.push(Step::ParallelNext(ir::Loc::default()));
                }
                let (f, l) = flatten(branch, out);
                if i > 0 {
                    out[next] = Step::ParallelNext(f.unwrap_or_default());
                }
                first = first.or(f);
                last = l.or(last);
            }
            out[begin] = Step::ParallelBegin(first.unwrap_or_default());
            out.push(Step::ParallelEnd(last.unwrap_or_default()));
            (first, last)
        }
        Term::Tx {
            chain,
            sender,
            body,
        } => {
            // The begin step's place; it is written once the body's first
            // location is known.
            let begin = out.len();
            out.push(Step::TxBegin {
                chain,
                sender: *sender,
                at: ir::Loc::default(),
            });
            let (mut first, mut last) = (None, None);
            for t in body {
                let (f, l) = flatten(t, out);
                first = first.or(f);
                last = l.or(last);
            }
            out[begin] = Step::TxBegin {
                chain,
                sender: *sender,
                at: first.unwrap_or_default(),
            };
            out.push(Step::TxEnd(last.unwrap_or_default()));
            (first, last)
        }
    }
}

/// Every name the program passes to the runtime, in first-use order.
pub(super) fn names_of(program: &Program) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut add = |n: &str| {
        if !seen.contains(n) {
            seen.insert(n.to_string());
            names.push(n.to_string());
        }
    };
    for (c, _) in &program.constraints.items {
        match c {
            Constraint::MinBalance { chain, token, .. } => {
                add(chain);
                add(token);
            }
            Constraint::Invariant(invariant) => add(invariant.as_str()),
            Constraint::MinSecurity(kind) => add(kind.as_str()),
            _ => {}
        }
    }
    fn walk(program: &Program, t: &Term, add: &mut dyn FnMut(&str)) {
        match t {
            Term::Gen(node) => {
                let token = |w: &Wire| program.wire_type(*w).map_or("", |t| t.token());
                let chain = |w: &Wire| program.wire_type(*w).map_or("", |t| t.chain());
                match &node.op {
                    Op::Input { chain, token, .. } => {
                        add(chain);
                        add(token);
                    }
                    Op::Borrow {
                        protocol, funds, ..
                    } => {
                        add(protocol);
                        add(token(funds));
                    }
                    Op::Repay {
                        protocol, funds, ..
                    }
                    | Op::Deposit { protocol, funds } => {
                        add(protocol);
                        add(token(funds));
                    }
                    Op::Withdraw {
                        protocol, token, ..
                    } => {
                        add(protocol);
                        add(token);
                    }
                    Op::Swap {
                        exchanges, path, ..
                    } => {
                        for x in exchanges {
                            add(x);
                        }
                        for p in path {
                            add(p);
                        }
                    }
                    Op::Bridge { route, input, out } => {
                        add(token(input));
                        add(chain(out));
                        add(route.as_str());
                    }
                    Op::BridgeBatch {
                        route,
                        inputs,
                        outs,
                        ..
                    } => {
                        for input in inputs {
                            add(token(input));
                        }
                        for out in outs {
                            add(chain(out));
                        }
                        add(route.as_str());
                    }
                    Op::FlashLoan {
                        protocol, funds, ..
                    } => {
                        add(protocol);
                        for f in funds {
                            add(token(f));
                        }
                    }
                    Op::Require {
                        token,
                        text,
                        left_text,
                        ..
                    } => {
                        add(token);
                        add(text);
                        add(left_text);
                    }
                    Op::Approve { token, spender, .. } => {
                        add(token);
                        match spender {
                            Spender::Protocol(p) => add(p),
                            Spender::Bridge(k) => add(k.as_str()),
                        }
                    }
                    Op::BorrowDebt {
                        protocol, token, ..
                    } => {
                        add(protocol);
                        add(token);
                    }
                    Op::RepayDebt { protocol, funds } => {
                        add(protocol);
                        add(token(funds));
                    }
                    Op::Assume {
                        chain,
                        protocol,
                        assumption,
                    } => {
                        add(chain);
                        add(protocol);
                        match assumption {
                            crate::ir::Assumption::Debt { token, .. }
                            | crate::ir::Assumption::Collateral { token, .. } => add(token),
                            crate::ir::Assumption::Healthy => {}
                        }
                    }
                    Op::Split { .. } | Op::Merge { .. } => {}
                }
            }
            Term::Tx { chain, body, .. } => {
                add(chain);
                for t in body {
                    walk(program, t, add);
                }
            }
            Term::Seq(ts) | Term::Tensor(ts) => {
                for t in ts {
                    walk(program, t, add);
                }
            }
        }
    }
    walk(program, &program.body, &mut add);
    names
}
