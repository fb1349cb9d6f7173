//! The IR interpreter: runs a [`Program`] through the runtime's [`Session`]
//! API, call for call as the generated code does through the C ABI. It is
//! the oracle that native code is tested against.
//!
//! Both follow one protocol (docs/codegen.md): each box sets its source
//! location before its calls; a transaction begins at its first box's
//! location and ends at its last's; a parallel group begins at its first
//! box's; values are computed with checked arithmetic and an overflow
//! reverts with the same reason the runtime's arithmetic entries give.

use crate::ir::{self, Op, Program, Term, Value, Wire};
use mesh_core::revert::{reason, Revert};
use mesh_runtime::{maths, LoanKind, Report, Session, World};
use std::cmp::Ordering;

/// Runs `program` on `world` and finishes the bundle: the report, and the
/// session (whose world is the committed one, or the original after a revert).
pub fn run(program: &Program, world: World) -> (Report, Session) {
    let mut session = Session::new(world, &program.bundle);
    let _ = execute(program, &mut session);
    let report = session.finish(&program.constraints);
    (report, session)
}

/// Runs the program's body on an open session, without finishing it.
pub fn execute(program: &Program, session: &mut Session) -> Result<(), Revert> {
    let mut machine = Machine {
        program,
        amounts: vec![None; program.wires.len()],
    };
    machine.term(&program.body, session)
}

struct Machine<'p> {
    program: &'p Program,
    /// The amount each wire carried when it was produced.
    amounts: Vec<Option<u128>>,
}

/// Compares two amounts as `require` does.
pub fn compare(left: u128, op: mesh_grammar::ast::Comparison, right: u128) -> bool {
    use mesh_grammar::ast::Comparison;
    let ordering = left.cmp(&right);
    match op {
        Comparison::Ge => ordering != Ordering::Less,
        Comparison::Le => ordering != Ordering::Greater,
        Comparison::Gt => ordering == Ordering::Greater,
        Comparison::Lt => ordering == Ordering::Less,
        Comparison::Eq => ordering == Ordering::Equal,
        Comparison::Ne => ordering != Ordering::Equal,
    }
}

impl Machine<'_> {
    fn term(&mut self, term: &Term, s: &mut Session) -> Result<(), Revert> {
        match term {
            Term::Gen(node) => {
                s.at(node.loc);
                self.op(&node.op, s)
            }
            Term::Seq(terms) => terms.iter().try_for_each(|t| self.term(t, s)),
            Term::Tensor(branches) => {
                s.at(ir::first_loc(branches));
                s.begin_parallel()?;
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        s.at(branch.first_loc().unwrap_or_default());
                        s.next_branch()?;
                    }
                    self.term(branch, s)?;
                }
                s.at(ir::last_loc(branches));
                s.end_parallel()
            }
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                s.at(ir::first_loc(body));
                s.begin_transaction(chain, *sender)?;
                for t in body {
                    self.term(t, s)?;
                }
                s.at(ir::last_loc(body));
                s.end_transaction()
            }
        }
    }

    fn amount(&self, wire: Wire, s: &mut Session) -> Result<u128, Revert> {
        match self.amounts.get(wire.0 as usize).copied().flatten() {
            Some(v) => Ok(v),
            None => {
                s.revert(&format!(
                    "internal error: the amount of {wire} is read before it is produced"
                ))?;
                Ok(0)
            }
        }
    }

    fn set(&mut self, wire: Wire, value: u128) {
        if let Some(slot) = self.amounts.get_mut(wire.0 as usize) {
            *slot = Some(value);
        }
    }

    fn token(&self, wire: Wire) -> &str {
        self.program.wire_type(wire).map_or("", |t| t.token())
    }

    fn chain(&self, wire: Wire) -> &str {
        self.program.wire_type(wire).map_or("", |t| t.chain())
    }

    fn value(&self, value: &Value, s: &mut Session) -> Result<u128, Revert> {
        let checked = |s: &mut Session, v: Option<u128>, reason: &str| -> Result<u128, Revert> {
            match v {
                Some(v) => Ok(v),
                None => {
                    s.revert(reason)?;
                    Ok(0)
                }
            }
        };
        match value {
            Value::Const(n) => Ok(*n),
            Value::AmountOf(wire) => self.amount(*wire, s),
            Value::Add(a, b) => {
                let (a, b) = (self.value(a, s)?, self.value(b, s)?);
                checked(s, a.checked_add(b), reason::ADD)
            }
            Value::Sub(a, b) => {
                let (a, b) = (self.value(a, s)?, self.value(b, s)?);
                checked(s, a.checked_sub(b), reason::SUB)
            }
            Value::Scale {
                value,
                numerator,
                denominator,
            } => {
                let v = self.value(value, s)?;
                let product = checked(s, v.checked_mul(*numerator), reason::MUL)?;
                checked(s, product.checked_div(*denominator), reason::DIV)
            }
            // What `repay` charges: the runtime's own formula.
            Value::WithPremium { principal, bps } => {
                let p = self.value(principal, s)?;
                checked(s, maths::with_premium(p, *bps).ok(), reason::ADD)
            }
        }
    }

    fn op(&mut self, op: &Op, s: &mut Session) -> Result<(), Revert> {
        match op {
            Op::Input {
                chain,
                token,
                amount,
                out,
            } => {
                let v = self.value(amount, s)?;
                s.input(chain, token, v)?;
                self.set(*out, v);
            }
            Op::Borrow {
                protocol,
                amount,
                flash,
                funds,
                ..
            } => {
                let v = self.value(amount, s)?;
                let kind = if *flash {
                    LoanKind::Flash
                } else {
                    LoanKind::Ordinary
                };
                let token = self.token(*funds).to_string();
                let got = s.borrow(protocol, &token, v, kind)?;
                self.set(*funds, got);
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                ..
            } => {
                let v = self.value(principal, s)?;
                let token = self.token(*funds).to_string();
                s.repay(protocol, &token, v)?;
            }
            Op::Swap {
                exchange,
                path,
                input,
                min_out,
                out,
            } => {
                let amount = self.amount(*input, s)?;
                let min = self.value(min_out, s)?;
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                let got = s.swap_path(exchange, &path, amount, min)?;
                self.set(*out, got);
            }
            Op::Deposit { protocol, funds } => {
                let amount = self.amount(*funds, s)?;
                let token = self.token(*funds).to_string();
                s.deposit(protocol, &token, amount)?;
            }
            Op::Withdraw {
                protocol,
                token,
                amount,
                out,
                ..
            } => {
                let v = self.value(amount, s)?;
                let got = s.withdraw(protocol, token, v)?;
                self.set(*out, got);
            }
            Op::Bridge { route, input, out } => {
                let amount = self.amount(*input, s)?;
                let token = self.token(*input).to_string();
                let to = self.chain(*out).to_string();
                let got = s.bridge(&token, amount, &to, Some(*route))?;
                self.set(*out, got);
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
            } => {
                let mut transfers = Vec::with_capacity(inputs.len());
                for input in inputs {
                    let amount = self.amount(*input, s)?;
                    transfers.push((self.token(*input).to_string(), amount));
                }
                let to = outs
                    .first()
                    .map(|out| self.chain(*out).to_string())
                    .unwrap_or_default();
                let transfers: Vec<(&str, u128)> =
                    transfers.iter().map(|(t, a)| (t.as_str(), *a)).collect();
                let got = s.bridge_batch(*route, &to, &transfers)?;
                for (out, v) in outs.iter().zip(got) {
                    self.set(*out, v);
                }
            }
            Op::Split {
                input,
                amount,
                taken,
                rest,
            } => {
                let whole = self.amount(*input, s)?;
                let part = self.value(amount, s)?;
                // Taking more than is held leaves nothing: the action that
                // spends `taken` then reverts for lack of funds.
                self.set(*taken, part);
                self.set(*rest, whole.saturating_sub(part));
            }
            // Two loans of one obligation: the runtime keeps the sum.
            Op::Merge { out, .. } if self.program.wire_type(*out).is_some_and(|t| t.is_debt()) => {}
            Op::Merge { inputs, out } => {
                let a = self.amount(inputs[0], s)?;
                let b = self.amount(inputs[1], s)?;
                self.set(*out, a.saturating_add(b));
            }
            Op::Require {
                left,
                op,
                right,
                text,
                ..
            } => {
                let l = self.value(left, s)?;
                let r = self.value(right, s)?;
                s.require(compare(l, *op, r), text)?;
            }
            Op::Approve { token, spender, .. } => {
                s.approve(token, ir::gas::runtime_spender(spender))?;
            }
        }
        Ok(())
    }
}
