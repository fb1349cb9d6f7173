//! The IR interpreter: runs a [`Program`] through the runtime's [`Session`]
//! API, call for call as the generated code does through the C ABI. It is
//! the oracle that native code is tested against.
//!
//! Both follow one protocol (docs/codegen.md): each box sets its source
//! location before its calls; a transaction begins at its first box's
//! location and ends at its last's; a parallel group begins at its first
//! box's; values are computed with checked arithmetic and an overflow
//! fails with the same reason the runtime's arithmetic entries give.
//!
//! A failing call changes nothing and the run goes on (the session keeps
//! the failure first in the source, which the bundle reverts with): what a
//! failed call or computation would have delivered is zero, in both.

use crate::ir::{self, Op, Program, Term, Value, Wire};
use mesh_core::revert::{reason, Revert};
use mesh_runtime::session::{Requirement, SwapHop};
use mesh_runtime::{LoanKind, Report, Session, World};

/// What a compiler is told of `world` for a program that will run on it:
/// its exchange pairs and which reserves the user supplies and owes at
/// each lender (the gas of lender calls depends on them, as the session
/// meters them here); its positions are not judged (`Pairs::with_positions`).
pub fn world_facts(world: &World) -> crate::check::Pairs {
    crate::check::Pairs::new(world.pairs()).with_reserves(lender_states(world))
}

/// What `world` holds of the user at each lender of each chain.
pub fn lender_states(world: &World) -> impl Iterator<Item = crate::check::LenderState<'_>> {
    world.lenders.iter().flat_map(|(chain, lenders)| {
        lenders.iter().map(move |(lender, state)| {
            (
                chain.as_str(),
                lender.as_str(),
                &state.debts,
                &state.deposits,
            )
        })
    })
}

/// Runs `program` on `world` and finishes the bundle: the report, and the
/// session (whose world is the committed one, or the original after a revert).
pub fn run(program: &Program, world: World) -> (Report, Session) {
    run_session(program, Session::new(world, &program.bundle))
}

/// Runs the program in `session`, made by the caller (a quote token set,
/// for instance), and finishes it.
pub fn run_session(program: &Program, mut session: Session) -> (Report, Session) {
    execute(program, &mut session);
    let report = session.finish(&program.constraints);
    (report, session)
}

/// Runs the program's body on an open session, without finishing it;
/// the session keeps any failure.
pub fn execute(program: &Program, session: &mut Session) {
    execute_observed(program, session, &mut NoObserver);
}

/// How a box of the program went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its calls were made.
    Made,
    /// A call or a computation of it failed: it changed nothing.
    Failed,
    /// It was not made: a wire it reads was not delivered.
    NotMade,
}

/// What a host sees of a run, box by box, in the order the calls are made:
/// the EVM lowering builds its transactions from it. Every method is
/// called after the session has done what it says.
pub trait Observer {
    /// A transaction was opened (the session's clock is at its block).
    fn begin_transaction(&mut self, _chain: &str, _sender: ir::Sender, _session: &Session) {}
    /// The open transaction was closed.
    fn end_transaction(&mut self, _session: &Session) {}
    /// A box is about to run on the world as it is.
    fn before(&mut self, _node: &ir::Node, _session: &Session) {}
    /// A box ran; `amounts` holds what every wire produced so far carried.
    fn after(
        &mut self,
        _node: &ir::Node,
        _outcome: Outcome,
        _amounts: &[Option<u128>],
        _session: &Session,
    ) {
    }
}

struct NoObserver;

impl Observer for NoObserver {}

/// As [`execute`], telling `observer` of every transaction and box.
pub fn execute_observed(program: &Program, session: &mut Session, observer: &mut dyn Observer) {
    let mut machine = Machine {
        program,
        amounts: vec![None; program.wires.len()],
        missing: vec![false; program.wires.len()],
        failed: false,
        observer,
    };
    machine.term(&program.body, session);
}

/// A value computed from the amounts wires carried, with the checked
/// arithmetic of a run: `Err` gives the reason the run fails with.
pub fn evaluate(value: &Value, amounts: &[Option<u128>]) -> Result<u128, &'static str> {
    let read = |wire: &Wire| {
        amounts
            .get(wire.0 as usize)
            .copied()
            .flatten()
            .ok_or("the amount of a wire is read before it is produced")
    };
    match value {
        Value::Const(n) => Ok(*n),
        Value::AmountOf(wire) => read(wire),
        Value::Add(a, b) => evaluate(a, amounts)?
            .checked_add(evaluate(b, amounts)?)
            .ok_or(reason::ADD),
        Value::Sub(a, b) => evaluate(a, amounts)?
            .checked_sub(evaluate(b, amounts)?)
            .ok_or(reason::SUB),
        Value::Scale {
            value,
            numerator,
            denominator,
        } => evaluate(value, amounts)?
            .checked_mul(*numerator)
            .ok_or(reason::MUL)?
            .checked_div(*denominator)
            .ok_or(reason::DIV),
    }
}

struct Machine<'p, 'o> {
    program: &'p Program,
    /// The amount each wire carried when it was produced.
    amounts: Vec<Option<u128>>,
    /// The wires a failed box did not deliver, or made from one that was
    /// missing.
    missing: Vec<bool>,
    /// Whether a call or a computation of the box being made failed.
    failed: bool,
    observer: &'o mut dyn Observer,
}

impl Machine<'_, '_> {
    fn term(&mut self, term: &Term, s: &mut Session) {
        match term {
            Term::Gen(node) => {
                s.at(node.loc);
                self.observer.before(node, s);
                let mut inputs = node.op.domain();
                for value in node.op.values() {
                    value.wires(&mut inputs);
                }
                // A batch's transfers and a multi-asset flash loan's loans
                // are made one by one: only those whose input is missing
                // are not made (`op` sees to them).
                let made_from_missing =
                    !matches!(node.op, Op::BridgeBatch { .. } | Op::FlashLoan { .. })
                        && inputs
                            .iter()
                            .any(|w| self.missing.get(w.0 as usize).copied().unwrap_or(false));
                self.failed = false;
                if !made_from_missing {
                    self.op(&node.op, s);
                }
                if made_from_missing || self.failed {
                    for wire in node.op.codomain() {
                        self.set(wire, 0);
                        if let Some(slot) = self.missing.get_mut(wire.0 as usize) {
                            *slot = true;
                        }
                    }
                }
                let outcome = if made_from_missing {
                    Outcome::NotMade
                } else if self.failed {
                    Outcome::Failed
                } else {
                    Outcome::Made
                };
                self.observer.after(node, outcome, &self.amounts, s);
            }
            Term::Seq(terms) => terms.iter().for_each(|t| self.term(t, s)),
            Term::Tensor(branches) => {
                s.at(ir::first_loc(branches));
                let _ = s.begin_parallel();
                for (i, branch) in branches.iter().enumerate() {
                    if i > 0 {
                        s.at(branch.first_loc().unwrap_or_default());
                        let _ = s.next_branch();
                    }
                    self.term(branch, s);
                }
                s.at(ir::last_loc(branches));
                let _ = s.end_parallel();
            }
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                s.at(ir::first_loc(body));
                let _ = s.begin_transaction(chain, *sender);
                self.observer.begin_transaction(chain, *sender, s);
                for t in body {
                    self.term(t, s);
                }
                s.at(ir::last_loc(body));
                let _ = s.end_transaction();
                self.observer.end_transaction(s);
            }
        }
    }

    fn amount(&self, wire: Wire, s: &mut Session) -> u128 {
        match self.amounts.get(wire.0 as usize).copied().flatten() {
            Some(v) => v,
            None => {
                let _ = s.revert(&format!(
                    "internal error: the amount of {wire} is read before it is produced"
                ));
                0
            }
        }
    }

    /// The premium `protocol` charges on a flash loan of `amount`, the
    /// runtime's own figure.
    fn premium(&mut self, s: &Session, protocol: &str, amount: u128) -> u128 {
        self.delivered(s.flash_premium(protocol, amount))
    }

    /// What a call delivered; zero, and the box failed, when it failed.
    fn delivered(&mut self, result: Result<u128, Revert>) -> u128 {
        self.done(result).unwrap_or(0)
    }

    /// Notes whether a call failed.
    fn done<T>(&mut self, result: Result<T, Revert>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(_) => {
                self.failed = true;
                None
            }
        }
    }

    fn is_missing(&self, wire: Wire) -> bool {
        self.missing.get(wire.0 as usize).copied().unwrap_or(false)
    }

    /// The outputs of a box made part by part (a batch's transfers, a
    /// multi-asset flash loan's loans): part `made[k]` got `got[k]` (its
    /// first wire carries it; `None`: it failed); the wires of a part that
    /// failed or was not made are missing.
    fn set_parts<const N: usize>(
        &mut self,
        parts: impl Iterator<Item = [Wire; N]>,
        made: &[usize],
        got: &[Option<u128>],
    ) {
        for (i, wires) in parts.enumerate() {
            let result = made
                .iter()
                .position(|&m| m == i)
                .and_then(|k| got.get(k).copied().flatten());
            for wire in wires {
                self.set(wire, result.unwrap_or(0));
                if result.is_none() {
                    if let Some(slot) = self.missing.get_mut(wire.0 as usize) {
                        *slot = true;
                    }
                }
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

    /// A checked result: zero, and a failure of the box, when it does not
    /// fit.
    fn checked(&mut self, s: &mut Session, v: Option<u128>, reason: &str) -> u128 {
        v.unwrap_or_else(|| {
            let _ = s.revert(reason);
            self.failed = true;
            0
        })
    }

    fn value(&mut self, value: &Value, s: &mut Session) -> u128 {
        match value {
            Value::Const(n) => *n,
            Value::AmountOf(wire) => self.amount(*wire, s),
            Value::Add(a, b) => {
                let (a, b) = (self.value(a, s), self.value(b, s));
                self.checked(s, a.checked_add(b), reason::ADD)
            }
            Value::Sub(a, b) => {
                let (a, b) = (self.value(a, s), self.value(b, s));
                self.checked(s, a.checked_sub(b), reason::SUB)
            }
            Value::Scale {
                value,
                numerator,
                denominator,
            } => {
                let v = self.value(value, s);
                let product = self.checked(s, v.checked_mul(*numerator), reason::MUL);
                self.checked(s, product.checked_div(*denominator), reason::DIV)
            }
        }
    }

    fn op(&mut self, op: &Op, s: &mut Session) {
        match op {
            Op::Input {
                chain,
                token,
                amount,
                out,
            } => {
                // The wire carries what was asked: the runtime returns no
                // amount for an input, here as in native code.
                let v = self.value(amount, s);
                let done = s.input(chain, token, v);
                self.done(done);
                self.set(*out, v);
            }
            Op::Borrow {
                protocol,
                amount,
                flash,
                funds,
                debt,
            } => {
                let v = self.value(amount, s);
                let kind = if *flash {
                    LoanKind::Flash
                } else {
                    LoanKind::Ordinary
                };
                let token = self.token(*funds).to_string();
                let got = self.delivered(s.borrow(protocol, &token, v, kind));
                self.set(*funds, got);
                // The obligation carries the premium a flash loan owes.
                let premium = if *flash {
                    self.premium(s, protocol, got)
                } else {
                    0
                };
                self.set(*debt, premium);
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                debt,
                rest,
            } => {
                let v = self.value(principal, s);
                let token = self.token(*funds).to_string();
                let done = s.repay(protocol, &token, v);
                self.done(done);
                // What is still owed keeps the premium for its last repay.
                if let Some(rest) = rest {
                    let premium = self.amount(*debt, s);
                    self.set(*rest, premium);
                }
            }
            Op::Swap {
                exchanges,
                path,
                locs,
                input,
                min_out,
                out,
            } => {
                let amount = self.amount(*input, s);
                let min = self.value(min_out, s);
                let hops: Vec<SwapHop<&str, &str>> = exchanges
                    .iter()
                    .zip(path.iter().skip(1))
                    .zip(locs)
                    .map(|((exchange, token), loc)| SwapHop {
                        exchange: exchange.as_str(),
                        token_out: token.as_str(),
                        loc: *loc,
                    })
                    .collect();
                let token_in = path.first().map_or("", String::as_str);
                let got = self.delivered(s.swap_route(token_in, &hops, amount, min));
                self.set(*out, got);
            }
            Op::Wrap { input, out } | Op::Unwrap { input, out } => {
                let amount = self.amount(*input, s);
                let from = self.token(*input).to_string();
                let to = self.token(*out).to_string();
                let result = match op {
                    Op::Wrap { .. } => s.wrap(&from, &to, amount),
                    _ => s.unwrap(&from, &to, amount),
                };
                let got = self.delivered(result);
                self.set(*out, got);
            }
            Op::Deposit { protocol, funds } => {
                let amount = self.amount(*funds, s);
                let token = self.token(*funds).to_string();
                let done = s.deposit(protocol, &token, amount);
                self.done(done);
            }
            Op::Withdraw {
                protocol,
                token,
                amount,
                out,
                ..
            } => {
                let v = self.value(amount, s);
                let got = self.delivered(s.withdraw(protocol, token, v));
                self.set(*out, got);
            }
            Op::Bridge { route, input, out } => {
                let amount = self.amount(*input, s);
                let token = self.token(*input).to_string();
                let to = self.chain(*out).to_string();
                let got = self.delivered(s.bridge(&token, amount, &to, Some(*route)));
                self.set(*out, got);
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
                locs,
            } => {
                // A transfer whose input is missing is not made.
                let mut made = Vec::with_capacity(inputs.len());
                let mut transfers = Vec::with_capacity(inputs.len());
                for (i, (input, loc)) in inputs.iter().zip(locs).enumerate() {
                    if self.is_missing(*input) {
                        continue;
                    }
                    let amount = self.amount(*input, s);
                    made.push(i);
                    transfers.push((self.token(*input).to_string(), amount, *loc));
                }
                let to = outs
                    .first()
                    .map(|out| self.chain(*out).to_string())
                    .unwrap_or_default();
                let transfers: Vec<(&str, u128, ir::Loc)> = transfers
                    .iter()
                    .map(|(t, a, l)| (t.as_str(), *a, *l))
                    .collect();
                let got = if transfers.is_empty() {
                    Vec::new()
                } else {
                    s.bridge_batch(*route, &to, &transfers)
                        .unwrap_or_else(|_| vec![None; transfers.len()])
                };
                self.set_parts(outs.iter().map(|o| [*o]), &made, &got);
            }
            Op::FlashLoan {
                protocol,
                amounts,
                funds,
                debts,
                locs,
            } => {
                // A loan whose amount reads a missing wire is not taken.
                let mut made = Vec::with_capacity(amounts.len());
                let mut loans = Vec::with_capacity(amounts.len());
                for (i, ((amount, wire), loc)) in amounts.iter().zip(funds).zip(locs).enumerate() {
                    let mut read = Vec::new();
                    amount.wires(&mut read);
                    if read.iter().any(|w| self.is_missing(*w)) {
                        continue;
                    }
                    s.at(*loc);
                    let v = self.value(amount, s);
                    made.push(i);
                    loans.push((self.token(*wire).to_string(), v, *loc));
                }
                let loans: Vec<(&str, u128, ir::Loc)> =
                    loans.iter().map(|(t, a, l)| (t.as_str(), *a, *l)).collect();
                let got = if loans.is_empty() {
                    Vec::new()
                } else {
                    s.flash_loan(protocol, &loans)
                        .unwrap_or_else(|_| vec![None; loans.len()])
                };
                self.set_parts(funds.iter().zip(debts).map(|(f, d)| [*f, *d]), &made, &got);
                for debt in debts {
                    let lent = self.amount(*debt, s);
                    let premium = self.premium(s, protocol, lent);
                    self.set(*debt, premium);
                }
            }
            Op::Split {
                input,
                amount,
                taken,
                rest,
            } => {
                let whole = self.amount(*input, s);
                let part = self.value(amount, s);
                // Taking more than is held leaves nothing: the action that
                // spends `taken` then fails for lack of funds.
                self.set(*taken, part);
                self.set(*rest, whole.saturating_sub(part));
            }
            Op::Merge { inputs, out } => {
                let a = self.amount(inputs[0], s);
                let b = self.amount(inputs[1], s);
                self.set(*out, a.saturating_add(b));
            }
            Op::Require {
                left,
                op,
                right,
                token,
                text,
                left_text,
                ..
            } => {
                let left = self.value(left, s);
                let right = self.value(right, s);
                let done = s.require(Requirement {
                    left,
                    comparison: *op,
                    right,
                    token: token.as_str(),
                    text,
                    left_text,
                });
                self.done(done);
            }
            Op::Approve { token, spender, .. } => {
                let done = s.approve(token, ir::gas::runtime_spender(spender));
                self.done(done);
            }
            Op::BorrowDebt {
                protocol,
                token,
                amount,
                out,
                ..
            } => {
                let v = self.value(amount, s);
                let got = self.delivered(s.borrow(protocol, token, v, LoanKind::Debt));
                self.set(*out, got);
            }
            Op::RepayDebt { protocol, funds } => {
                let amount = self.amount(*funds, s);
                let token = self.token(*funds).to_string();
                let done = s.repay_debt(protocol, &token, amount);
                self.done(done);
            }
            Op::Assume {
                chain,
                protocol,
                assumption,
            } => {
                let done = match assumption {
                    ir::Assumption::Debt { token, amount } => {
                        let v = self.value(amount, s);
                        s.assume_debt(chain, protocol, token, v)
                    }
                    ir::Assumption::Collateral { token, amount } => {
                        let v = self.value(amount, s);
                        s.assume_collateral(chain, protocol, token, v)
                    }
                    ir::Assumption::Healthy => s.assume_healthy(chain, protocol),
                };
                self.done(done);
            }
        }
    }
}
