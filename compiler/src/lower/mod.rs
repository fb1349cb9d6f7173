//! Lowering: a checked bundle ([`CheckedBundle`]) becomes an IR
//! [`Program`] as a user runs it by hand, the `-O0` form (docs/ir.md):
//! every action is its own wallet transaction, preceded by an approval
//! transaction when it is the first to hand a token to a protocol or
//! bridge (a wallet approval grants the maximum allowance, so each chain,
//! token and spender is approved once; the native coin never); loans are
//! ordinary borrows; an unpinned bridge takes its most trusted route. An
//! `on` block is a nested sequence, so that the optimiser sees where one
//! statement sequence ends. `-O` is this form rewritten by the optimiser;
//! the pipeline ([`crate::pipeline`]) runs one after the other.
//!
//! Holdings become wires: one live `Funds(chain, token)` wire per holding,
//! split to spend part of it, merged when funds arrive; `all T` spends the
//! whole wire; a let-bound value is the amount of the wire its action
//! produced. A step that spends from a holding with no live wire (the
//! bundle never held it, or spent all of it) spends an empty wire, an
//! `input` of nothing: the checker proved its amount zero and warned.

use crate::check::{
    AmountExpr, Approvals, CheckedBundle, ResolvedAmount, ResolvedBlock, ResolvedStatement, Step,
    StepKind,
};
use crate::diagnostic::LineIndex;
use crate::ir::{
    self, Assumption, Constraint, Constraints, Loc, Op, Program, Sender, Term, Value, Wire,
    WireType,
};
use mesh_core::{Comparison, Invariant, Registry};
use mesh_grammar::{ast, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A bundle the lowering cannot handle: the checker should have rejected
/// it, so this is a compiler bug (the pipeline reports it as such).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    pub message: String,
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LowerError {}

fn bug<T>(message: impl Into<String>) -> Result<T, LowerError> {
    Err(LowerError {
        message: message.into(),
    })
}

/// What the lowering reads besides the bundle.
pub struct Input<'a> {
    /// The source text, for locations and `require` texts.
    pub source: &'a str,
    /// The bundle's syntax tree, for where its constraints are written
    /// (`None`: constraints get no location).
    pub ast: Option<&'a ast::Bundle>,
    /// The registry the bundle was checked against.
    pub registry: &'a Registry,
    /// The lines of the source, as the parse found them: one file's
    /// bundles are lowered one by one, and counting lines again for each
    /// would make lowering them all quadratic in the file.
    pub lines: &'a mesh_grammar::lines::LineTable,
    /// Which reserves the user supplies and owes at each lender when the
    /// bundle starts ([`Program::positions`]).
    pub reserves: &'a crate::ir::LenderReserves,
}

/// The `-O0` lowering of a bundle and what the optimiser needs besides it.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub program: Program,
    /// The output wires of the bridges pinned with `via`.
    pub pinned: BTreeSet<Wire>,
}

/// The `-O0` lowering of a bundle that has no errors, unverified, with the
/// pinned bridges.
pub fn lower(bundle: &CheckedBundle, input: &Input<'_>) -> Result<Lowered, LowerError> {
    if bundle.has_errors {
        return bug(format!(
            "bundle `{}` has errors and cannot be lowered",
            bundle.name
        ));
    }
    let Some(home) = bundle.home.clone() else {
        return bug(format!("bundle `{}` has no home chain", bundle.name));
    };
    let index = LineIndex::from_table(input.source, input.lines);
    let mut lowerer = Lowerer {
        source: input.source,
        index: &index,
        wires: Vec::new(),
        holdings: BTreeMap::new(),
        debts: BTreeMap::new(),
        vars: vec![None; bundle.variables.len()],
        pinned: BTreeSet::new(),
        approvals: Approvals::default(),
    };
    let body = lowerer.block(&bundle.body)?;
    let constraints = lowerer.constraints(bundle, input.ast);
    let program = Program {
        bundle: bundle.name.clone(),
        home,
        wires: lowerer.wires,
        body: Term::Seq(body),
        constraints,
        positions: input.reserves.clone(),
    };
    Ok(Lowered {
        program,
        pinned: lowerer.pinned,
    })
}

type HoldingKey = (String, String);
type DebtKey = (String, String, String);

struct Lowerer<'a> {
    source: &'a str,
    index: &'a LineIndex<'a>,
    wires: Vec<WireType>,
    /// The live wire of each (chain, token) holding.
    holdings: BTreeMap<HoldingKey, Wire>,
    /// The live wire of each (chain, protocol, token) obligation.
    debts: BTreeMap<DebtKey, Wire>,
    /// The value of each let-bound variable, once bound.
    vars: Vec<Option<Value>>,
    /// The output wires of bridges pinned with `via`.
    pinned: BTreeSet<Wire>,
    /// The wallet's approvals granted so far.
    approvals: Approvals,
}

/// A `require`'s comparison as written, as the IR and the runtime take it.
fn comparison(op: ast::Comparison) -> Comparison {
    match op {
        ast::Comparison::Ge => Comparison::Ge,
        ast::Comparison::Le => Comparison::Le,
        ast::Comparison::Gt => Comparison::Gt,
        ast::Comparison::Lt => Comparison::Lt,
        ast::Comparison::Eq => Comparison::Eq,
        ast::Comparison::Ne => Comparison::Ne,
    }
}

fn gen(op: Op, loc: Loc) -> Term {
    Term::Gen(ir::Node { op, loc })
}

impl Lowerer<'_> {
    fn loc(&self, span: Span) -> Loc {
        self.index.loc(span.start)
    }

    fn wire(&mut self, ty: WireType) -> Wire {
        let wire = Wire(u32::try_from(self.wires.len()).unwrap_or(u32::MAX));
        self.wires.push(ty);
        wire
    }

    fn block(&mut self, block: &ResolvedBlock) -> Result<Vec<Term>, LowerError> {
        let mut out = Vec::new();
        for statement in &block.statements {
            match statement {
                ResolvedStatement::Step(step) if step.kind.is_action() => {
                    let loc = self.loc(step.span);
                    if let Some(approval) = self.approvals.grant(step) {
                        let op = Op::Approve {
                            chain: approval.chain,
                            token: approval.token,
                            spender: approval.spender,
                        };
                        out.push(Term::Tx {
                            chain: step.chain.clone(),
                            sender: Sender::Wallet,
                            body: vec![gen(op, loc)],
                        });
                    }
                    let body = self.step(step)?;
                    out.push(Term::Tx {
                        chain: step.chain.clone(),
                        sender: Sender::Wallet,
                        body,
                    });
                }
                // `input` and `require`: between transactions.
                ResolvedStatement::Step(step) => out.extend(self.step(step)?),
                ResolvedStatement::On { block, .. } => out.push(Term::Seq(self.block(block)?)),
                ResolvedStatement::Parallel { branches, .. } => {
                    let before = self.approvals.clone();
                    let mut after = before.clone();
                    let mut lowered = Vec::with_capacity(branches.len());
                    for branch in branches {
                        self.approvals = before.clone();
                        lowered.push(Term::Seq(self.block(branch)?));
                        after.join(std::mem::take(&mut self.approvals));
                    }
                    self.approvals = after;
                    out.push(Term::Tensor(lowered));
                }
            }
        }
        Ok(out)
    }

    /// The boxes of one statement: the split that takes what it spends,
    /// the action, and the merge of what it produces into the holding.
    fn step(&mut self, step: &Step) -> Result<Vec<Term>, LowerError> {
        let loc = self.loc(step.span);
        let chain = step.chain.clone();
        let mut out = Vec::new();
        let produced: Option<Wire> = match &step.kind {
            StepKind::Input { amount } => {
                let value = self.value(&amount.expr, &chain)?;
                let wire = self.wire(WireType::funds(&chain, &amount.token));
                out.push(gen(
                    Op::Input {
                        chain: chain.clone(),
                        token: amount.token.clone(),
                        amount: value,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(&chain, &amount.token, wire, loc, &mut out);
                None
            }
            StepKind::Require { left, op, right } => {
                let written = |start: usize, end: usize| {
                    self.source.get(start..end).unwrap_or_default().to_string()
                };
                let text = written(left.span.start, right.span.end);
                let left_text = written(left.span.start, left.span.end);
                let token = left.token.clone();
                let left = self.value(&left.expr, &chain)?;
                let right = self.value(&right.expr, &chain)?;
                out.push(gen(
                    Op::Require {
                        chain: chain.clone(),
                        left,
                        op: comparison(*op),
                        right,
                        token,
                        text,
                        left_text,
                    },
                    loc,
                ));
                None
            }
            StepKind::Borrow {
                amount, protocol, ..
            } => {
                let value = self.value(&amount.expr, &chain)?;
                let funds = self.wire(WireType::funds(&chain, &amount.token));
                let debt = self.wire(WireType::debt(&chain, protocol, &amount.token));
                out.push(gen(
                    Op::Borrow {
                        protocol: protocol.clone(),
                        amount: value,
                        flash: false,
                        funds,
                        debt,
                    },
                    loc,
                ));
                let key = (chain.clone(), protocol.clone(), amount.token.clone());
                match self.debts.remove(&key) {
                    Some(open) => {
                        let merged = self.wire(WireType::debt(&chain, protocol, &amount.token));
                        out.push(gen(
                            Op::Merge {
                                inputs: [open, debt],
                                out: merged,
                            },
                            loc,
                        ));
                        self.debts.insert(key, merged);
                    }
                    None => {
                        self.debts.insert(key, debt);
                    }
                }
                self.add_holding(&chain, &amount.token, funds, loc, &mut out);
                Some(funds)
            }
            StepKind::Repay {
                amount,
                protocol,
                closes,
            } => {
                let principal = self.value(&amount.expr, &chain)?;
                let key = (chain.clone(), protocol.clone(), amount.token.clone());
                let Some(debt) = self.debts.remove(&key) else {
                    return bug(format!(
                        "repay at {loc} of {} to {protocol} on {chain} with no open obligation",
                        amount.token
                    ));
                };
                // The repay that closes the obligation pays the premium
                // its wire carries (a flash loan's; none for an ordinary
                // loan), with the principal.
                let paid = if *closes {
                    Value::Add(Box::new(principal.clone()), Box::new(Value::AmountOf(debt)))
                } else {
                    principal.clone()
                };
                let funds = self.take(&chain, &amount.token, paid, loc, &mut out)?;
                let rest = if *closes {
                    None
                } else {
                    let rest = self.wire(WireType::debt(&chain, protocol, &amount.token));
                    self.debts.insert(key, rest);
                    Some(rest)
                };
                out.push(gen(
                    Op::Repay {
                        protocol: protocol.clone(),
                        principal,
                        funds,
                        debt,
                        rest,
                    },
                    loc,
                ));
                None
            }
            StepKind::BorrowDebt { amount, protocol } => {
                let value = self.value(&amount.expr, &chain)?;
                let wire = self.wire(WireType::funds(&chain, &amount.token));
                out.push(gen(
                    Op::BorrowDebt {
                        protocol: protocol.clone(),
                        chain: chain.clone(),
                        token: amount.token.clone(),
                        amount: value,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(&chain, &amount.token, wire, loc, &mut out);
                Some(wire)
            }
            StepKind::RepayDebt { amount, protocol } => {
                let funds = self.spend(&chain, amount, loc, &mut out)?;
                out.push(gen(
                    Op::RepayDebt {
                        protocol: protocol.clone(),
                        funds,
                    },
                    loc,
                ));
                None
            }
            StepKind::Assume {
                position,
                amount,
                protocol,
            } => {
                let value = self.value(&amount.expr, &chain)?;
                let token = amount.token.clone();
                let assumption = match position {
                    ast::Position::Debt => Assumption::Debt {
                        token,
                        amount: value,
                    },
                    ast::Position::Collateral => Assumption::Collateral {
                        token,
                        amount: value,
                    },
                };
                out.push(gen(
                    Op::Assume {
                        chain: chain.clone(),
                        protocol: protocol.clone(),
                        assumption,
                    },
                    loc,
                ));
                None
            }
            StepKind::Swap {
                amount,
                output_token,
                min_output,
                exchange,
                via,
            } => {
                let min_out = match min_output {
                    Some(min) => self.value(&min.expr, &chain)?,
                    None => Value::Const(0),
                };
                let input = self.spend(&chain, amount, loc, &mut out)?;
                let wire = self.wire(WireType::funds(&chain, output_token));
                // One hop per pair of the path, each on the exchange and
                // answerable at the statement.
                let mut path = Vec::with_capacity(via.len() + 2);
                path.push(amount.token.clone());
                path.extend(via.iter().cloned());
                path.push(output_token.clone());
                let hops = path.len() - 1;
                out.push(gen(
                    Op::Swap {
                        exchanges: vec![exchange.clone(); hops],
                        path,
                        locs: vec![loc; hops],
                        input,
                        min_out,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(&chain, output_token, wire, loc, &mut out);
                Some(wire)
            }
            StepKind::Deposit { amount, protocol } => {
                let funds = self.spend(&chain, amount, loc, &mut out)?;
                out.push(gen(
                    Op::Deposit {
                        protocol: protocol.clone(),
                        funds,
                    },
                    loc,
                ));
                None
            }
            StepKind::Withdraw { amount, protocol } => {
                let value = self.value(&amount.expr, &chain)?;
                let wire = self.wire(WireType::funds(&chain, &amount.token));
                out.push(gen(
                    Op::Withdraw {
                        protocol: protocol.clone(),
                        chain: chain.clone(),
                        token: amount.token.clone(),
                        amount: value,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(&chain, &amount.token, wire, loc, &mut out);
                Some(wire)
            }
            StepKind::Bridge {
                amount,
                destination,
                route,
            } => {
                let input = self.spend(&chain, amount, loc, &mut out)?;
                let wire = self.wire(WireType::funds(destination, &amount.token));
                if route.pinned {
                    self.pinned.insert(wire);
                }
                out.push(gen(
                    Op::Bridge {
                        route: route.o0.kind,
                        input,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(destination, &amount.token, wire, loc, &mut out);
                Some(wire)
            }
            StepKind::Wrap {
                amount,
                output_token,
            }
            | StepKind::Unwrap {
                amount,
                output_token,
            } => {
                let input = self.spend(&chain, amount, loc, &mut out)?;
                let wire = self.wire(WireType::funds(&chain, output_token));
                let op = match &step.kind {
                    StepKind::Wrap { .. } => Op::Wrap { input, out: wire },
                    _ => Op::Unwrap { input, out: wire },
                };
                out.push(gen(op, loc));
                self.add_holding(&chain, output_token, wire, loc, &mut out);
                Some(wire)
            }
        };
        if let (Some(var), Some(wire)) = (step.binds, produced) {
            match self.vars.get_mut(var.0 as usize) {
                Some(slot) => *slot = Some(Value::AmountOf(wire)),
                None => return bug(format!("variable {} out of range", var.0)),
            }
        }
        Ok(out)
    }

    /// Funds arrive in a holding: the wire becomes (part of) it.
    fn add_holding(&mut self, chain: &str, token: &str, wire: Wire, loc: Loc, out: &mut Vec<Term>) {
        let key = (chain.to_string(), token.to_string());
        match self.holdings.remove(&key) {
            Some(held) => {
                let merged = self.wire(WireType::funds(chain, token));
                out.push(gen(
                    Op::Merge {
                        inputs: [held, wire],
                        out: merged,
                    },
                    loc,
                ));
                self.holdings.insert(key, merged);
            }
            None => {
                self.holdings.insert(key, wire);
            }
        }
    }

    /// An empty wire of a holding the bundle does not hold at this point
    /// (never, or no longer): an `input` of nothing. Only a step whose
    /// amount the checker proved zero spends from such a holding (a swap of
    /// nothing is an error, any other action a warning).
    fn nothing(&mut self, chain: &str, token: &str, loc: Loc, out: &mut Vec<Term>) -> Wire {
        let wire = self.wire(WireType::funds(chain, token));
        out.push(gen(
            Op::Input {
                chain: chain.to_string(),
                token: token.to_string(),
                amount: Value::Const(0),
                out: wire,
            },
            loc,
        ));
        wire
    }

    /// Takes `amount` out of a holding: the taken part's wire.
    fn take(
        &mut self,
        chain: &str,
        token: &str,
        amount: Value,
        loc: Loc,
        out: &mut Vec<Term>,
    ) -> Result<Wire, LowerError> {
        let key = (chain.to_string(), token.to_string());
        let held = match self.holdings.remove(&key) {
            Some(held) => held,
            None => self.nothing(chain, token, loc, out),
        };
        let taken = self.wire(WireType::funds(chain, token));
        let rest = self.wire(WireType::funds(chain, token));
        out.push(gen(
            Op::Split {
                input: held,
                amount,
                taken,
                rest,
            },
            loc,
        ));
        self.holdings.insert(key, rest);
        Ok(taken)
    }

    /// The wire a step spends: the whole holding for `all T`, else a split.
    fn spend(
        &mut self,
        chain: &str,
        amount: &ResolvedAmount,
        loc: Loc,
        out: &mut Vec<Term>,
    ) -> Result<Wire, LowerError> {
        if let AmountExpr::All { token } = &amount.expr {
            let key = (chain.to_string(), token.clone());
            return Ok(match self.holdings.remove(&key) {
                Some(wire) => wire,
                None => self.nothing(chain, token, loc, out),
            });
        }
        let value = self.value(&amount.expr, chain)?;
        // Spending exactly what the holding's wire carries spends the wire.
        let key = (chain.to_string(), amount.token.clone());
        if let Some(&held) = self.holdings.get(&key) {
            if value == Value::AmountOf(held) {
                self.holdings.remove(&key);
                return Ok(held);
            }
        }
        self.take(chain, &amount.token, value, loc, out)
    }

    fn value(&self, expr: &AmountExpr, chain: &str) -> Result<Value, LowerError> {
        Ok(match expr {
            AmountExpr::Const { base_units, .. } => Value::Const(*base_units),
            AmountExpr::All { token } => {
                match self.holdings.get(&(chain.to_string(), token.clone())) {
                    Some(wire) => Value::AmountOf(*wire),
                    None => Value::Const(0),
                }
            }
            AmountExpr::Var { var, .. } => match self.vars.get(var.0 as usize) {
                Some(Some(value)) => value.clone(),
                _ => return bug(format!("variable {} is read before it is bound", var.0)),
            },
            AmountExpr::Add(a, b) => Value::Add(
                Box::new(self.value(a, chain)?),
                Box::new(self.value(b, chain)?),
            ),
            AmountExpr::Sub(a, b) => Value::Sub(
                Box::new(self.value(a, chain)?),
                Box::new(self.value(b, chain)?),
            ),
            AmountExpr::Scale {
                amount,
                numerator,
                denominator,
            } => Value::Scale {
                value: Box::new(self.value(amount, chain)?),
                numerator: *numerator,
                denominator: *denominator,
            },
        })
    }

    /// The bundle's constraints in the order they are written, each with
    /// where it is written.
    fn constraints(&self, bundle: &CheckedBundle, ast: Option<&ast::Bundle>) -> Constraints {
        let resolved = &bundle.constraints;
        let mut out = Constraints::new();
        let Some(items) = ast.and_then(|a| a.constraints.as_ref()) else {
            if let Some(d) = resolved.deadline {
                out = out.deadline(d);
            }
            if let Some(s) = resolved.deadline_seconds {
                out = out.with(Constraint::DeadlineSeconds(s), Loc::UNKNOWN);
            }
            if let Some(g) = resolved.max_gas {
                out = out.max_gas(g);
            }
            for m in &resolved.min_balances {
                out = out.with(
                    Constraint::MinBalance {
                        chain: m.chain.clone(),
                        token: m.token.clone(),
                        amount: m.base_units,
                    },
                    self.loc(m.span),
                );
            }
            for _ in &resolved.invariants {
                out = out.invariant(Invariant::ConstantProduct);
            }
            if let Some(kind) = resolved.min_security {
                out = out.with(Constraint::MinSecurity(kind), Loc::UNKNOWN);
            }
            if let Some(p) = &resolved.min_profit {
                out = out.with(
                    Constraint::MinProfit {
                        token: p.token.clone(),
                        amount: p.base_units,
                    },
                    self.loc(p.span),
                );
            }
            if let Some(wad) = resolved.min_health {
                out = out.with(Constraint::MinHealth(wad), Loc::UNKNOWN);
            }
            return out;
        };
        let mut seen_deadline = false;
        let mut seen_seconds = false;
        let mut seen_gas = false;
        for item in &items.items {
            let loc = self.loc(item.span);
            let constraint = match &item.kind {
                ast::ConstraintKind::Deadline(_) if !seen_deadline => {
                    seen_deadline = true;
                    resolved.deadline.map(Constraint::Deadline)
                }
                ast::ConstraintKind::DeadlineTime(_) if !seen_seconds => {
                    seen_seconds = true;
                    resolved.deadline_seconds.map(Constraint::DeadlineSeconds)
                }
                ast::ConstraintKind::MaxGas(_) if !seen_gas => {
                    seen_gas = true;
                    resolved.max_gas.map(Constraint::MaxGas)
                }
                ast::ConstraintKind::MinBalance { .. } => resolved
                    .min_balances
                    .iter()
                    .find(|m| m.span == item.span)
                    .map(|m| Constraint::MinBalance {
                        chain: m.chain.clone(),
                        token: m.token.clone(),
                        amount: m.base_units,
                    }),
                ast::ConstraintKind::Invariant(name) => {
                    Invariant::from_name(&name.name).map(Constraint::Invariant)
                }
                ast::ConstraintKind::MinSecurity(_) => {
                    resolved.min_security.map(Constraint::MinSecurity)
                }
                ast::ConstraintKind::MinProfit(_) => resolved
                    .min_profit
                    .as_ref()
                    .filter(|p| p.span == item.span)
                    .map(|p| Constraint::MinProfit {
                        token: p.token.clone(),
                        amount: p.base_units,
                    }),
                ast::ConstraintKind::MinHealth(_) => resolved.min_health.map(Constraint::MinHealth),
                _ => None,
            };
            if let Some(c) = constraint {
                if !out.items.iter().any(|(existing, _)| *existing == c) {
                    out = out.with(c, loc);
                }
            }
        }
        out
    }
}
