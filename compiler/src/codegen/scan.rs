//! What the code generator reads off a program before it translates it:
//! the names it registers, and the sizes of its stack slots.

use crate::ir::{Constraint, Op, Program, Spender, Term, Wire};

/// Every name the program passes to the runtime, in first-use order.
pub(super) fn names_of(program: &Program) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut add = |n: &str| {
        if !names.iter().any(|x| x == n) {
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
                    Op::Swap { exchange, path, .. } => {
                        add(exchange);
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
                    } => {
                        for input in inputs {
                            add(token(input));
                        }
                        for out in outs {
                            add(chain(out));
                        }
                        add(route.as_str());
                    }
                    Op::Require { text, .. } => add(text),
                    Op::Approve { token, spender, .. } => {
                        add(token);
                        match spender {
                            Spender::Protocol(p) => add(p),
                            Spender::Bridge(k) => add(k.as_str()),
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

pub(super) fn max_path(term: &Term) -> usize {
    match term {
        Term::Gen(node) => match &node.op {
            Op::Swap { path, .. } => path.len(),
            Op::BridgeBatch { inputs, .. } => inputs.len(),
            _ => 0,
        },
        Term::Seq(ts) | Term::Tensor(ts) | Term::Tx { body: ts, .. } => {
            ts.iter().map(max_path).max().unwrap_or(0)
        }
    }
}

/// The most transfers a bridge batch of `term` carries.
pub(super) fn max_batch(term: &Term) -> usize {
    match term {
        Term::Gen(node) => match &node.op {
            Op::BridgeBatch { inputs, .. } => inputs.len(),
            _ => 0,
        },
        Term::Seq(ts) | Term::Tensor(ts) | Term::Tx { body: ts, .. } => {
            ts.iter().map(max_batch).max().unwrap_or(0)
        }
    }
}
