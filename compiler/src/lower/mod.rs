//! Lowering: a checked bundle ([`CheckedBundle`]) becomes an IR
//! [`Program`] at one optimisation level (docs/ir.md).
//!
//! - `-O0`, as a user runs the bundle by hand: every action is its own
//!   wallet transaction, preceded by an approval transaction when it hands
//!   a token to a protocol or bridge; loans are ordinary borrows; an
//!   unpinned bridge takes its most trusted route.
//! - `-O`, the executor: a maximal run of consecutive same-chain actions of
//!   one statement sequence is one executor transaction (a bridge ends it;
//!   `on` and `parallel` start new runs), each approval granted once for the
//!   rest of the bundle, a loan closed in the transaction that takes it
//!   becomes a flash loan where the lender offers them, and an unpinned
//!   bridge takes the route the checker chose for `-O`.
//!
//! This is exactly the grouping the checker's time model assumes
//! (`check/schedule.rs`), so `deadline` is judged on what runs.
//!
//! Holdings become wires: one live `Funds(chain, token)` wire per holding,
//! split to spend part of it, merged when funds arrive; `all T` spends the
//! whole wire; a let-bound value is the amount of the wire its action
//! produced.

use crate::check::{
    AmountExpr, CheckedBundle, Node, OptLevel, ResolvedAmount, ResolvedBlock, Step, StepKind,
};
use crate::diagnostic::LineIndex;
use crate::ir::{
    self, Constraint, Constraints, Loc, Op, Program, Sender, Spender, Term, Value, Wire, WireType,
};
use mesh_grammar::{ast, Span};
use mesh_runtime::{Invariant, Registry};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A bundle the lowering cannot handle: the checker should have rejected
/// it, so this is a compiler bug, reported as such.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LowerError {
    pub message: String,
}

impl fmt::Display for LowerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal compiler error: {} (please report this bug with the bundle that caused it)",
            self.message
        )
    }
}

impl std::error::Error for LowerError {}

impl From<ir::VerifyError> for LowerError {
    fn from(e: ir::VerifyError) -> LowerError {
        LowerError {
            message: format!("the lowered IR is ill-formed: {e}"),
        }
    }
}

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
}

/// Lowers one checked bundle (which must have no errors) at `level`. In
/// debug builds the result is verified; [`lower_verified`] always does.
pub fn lower(
    bundle: &CheckedBundle,
    input: &Input<'_>,
    level: OptLevel,
) -> Result<Program, LowerError> {
    let program = lower_unverified(bundle, input, level)?;
    if cfg!(debug_assertions) {
        ir::verify(&program)?;
    }
    Ok(program)
}

/// Lowers and always runs the verifier.
pub fn lower_verified(
    bundle: &CheckedBundle,
    input: &Input<'_>,
    level: OptLevel,
) -> Result<Program, LowerError> {
    let program = lower_unverified(bundle, input, level)?;
    ir::verify(&program)?;
    Ok(program)
}

fn lower_unverified(
    bundle: &CheckedBundle,
    input: &Input<'_>,
    level: OptLevel,
) -> Result<Program, LowerError> {
    if bundle.has_errors {
        return bug(format!(
            "bundle `{}` has errors and cannot be lowered",
            bundle.name
        ));
    }
    let Some(home) = bundle.home.clone() else {
        return bug(format!("bundle `{}` has no home chain", bundle.name));
    };
    let index = LineIndex::new(input.source);
    let mut repays = BTreeMap::new();
    count_repays(&bundle.body, &mut repays);
    let mut lowerer = Lowerer {
        level,
        source: input.source,
        index: &index,
        wires: Vec::new(),
        holdings: BTreeMap::new(),
        debts: BTreeMap::new(),
        repays_left: repays,
        vars: vec![None; bundle.variables.len()],
        granted: BTreeSet::new(),
    };
    let body = lowerer.block(&bundle.body)?;
    let constraints = lowerer.constraints(bundle, input.ast);
    let mut program = Program {
        bundle: bundle.name.clone(),
        home,
        wires: lowerer.wires,
        body: Term::Seq(body),
        constraints,
    };
    if level == OptLevel::O {
        mark_flash_loans(&mut program, input.registry);
    }
    Ok(program)
}

type HoldingKey = (String, String);
type DebtKey = (String, String, String);

struct Lowerer<'a> {
    level: OptLevel,
    source: &'a str,
    index: &'a LineIndex<'a>,
    wires: Vec<WireType>,
    /// The live wire of each (chain, token) holding.
    holdings: BTreeMap<HoldingKey, Wire>,
    /// The live wire of each (chain, protocol, token) obligation.
    debts: BTreeMap<DebtKey, Wire>,
    /// Repays of each obligation still to come: the last one closes it.
    repays_left: BTreeMap<DebtKey, usize>,
    /// The value of each let-bound variable, once bound.
    vars: Vec<Option<Value>>,
    /// Executor approvals already granted: (chain, token, spender).
    granted: BTreeSet<(String, String, Spender)>,
}

fn count_repays(block: &ResolvedBlock, out: &mut BTreeMap<DebtKey, usize>) {
    for node in &block.nodes {
        match node {
            Node::Step(step) => {
                if let StepKind::Repay {
                    amount, protocol, ..
                } = &step.kind
                {
                    *out.entry((step.chain.clone(), protocol.clone(), amount.token.clone()))
                        .or_insert(0) += 1;
                }
            }
            Node::On { block, .. } => count_repays(block, out),
            Node::Parallel { branches, .. } => {
                for b in branches {
                    count_repays(b, out);
                }
            }
        }
    }
}

/// A transaction being filled at `-O`.
struct Run {
    chain: String,
    body: Vec<Term>,
}

fn flush(run: &mut Option<Run>, out: &mut Vec<Term>) {
    if let Some(run) = run.take() {
        out.push(Term::Tx {
            chain: run.chain,
            sender: Sender::Executor,
            body: run.body,
        });
    }
}

fn gen(op: Op, loc: Loc) -> Term {
    Term::Gen(ir::Node { op, loc })
}

impl Lowerer<'_> {
    fn loc(&self, span: Span) -> Loc {
        let p = self.index.position(span.start);
        Loc {
            line: u32::try_from(p.line).unwrap_or(u32::MAX),
            column: u32::try_from(p.column).unwrap_or(u32::MAX),
        }
    }

    fn wire(&mut self, ty: WireType) -> Wire {
        let wire = Wire(u32::try_from(self.wires.len()).unwrap_or(u32::MAX));
        self.wires.push(ty);
        wire
    }

    fn block(&mut self, block: &ResolvedBlock) -> Result<Vec<Term>, LowerError> {
        let mut out = Vec::new();
        let mut run: Option<Run> = None;
        for node in &block.nodes {
            match node {
                Node::Step(step) if step.kind.is_action() => {
                    let loc = self.loc(step.span);
                    let approval = self.approval(step);
                    match self.level {
                        OptLevel::O0 => {
                            if let Some(op) = approval {
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
                        OptLevel::O => {
                            if run.as_ref().is_none_or(|r| r.chain != step.chain) {
                                flush(&mut run, &mut out);
                                run = Some(Run {
                                    chain: step.chain.clone(),
                                    body: Vec::new(),
                                });
                            }
                            let body = self.step(step)?;
                            if let Some(r) = run.as_mut() {
                                if let Some(op) = approval {
                                    if let Op::Approve { token, spender, .. } = &op {
                                        let key =
                                            (step.chain.clone(), token.clone(), spender.clone());
                                        if self.granted.insert(key) {
                                            r.body.push(gen(op, loc));
                                        }
                                    }
                                }
                                r.body.extend(body);
                            }
                            if matches!(step.kind, StepKind::Bridge { .. }) {
                                flush(&mut run, &mut out);
                            }
                        }
                    }
                }
                // `input` and `require`: inside the open transaction, if any.
                Node::Step(step) => {
                    let body = self.step(step)?;
                    match run.as_mut() {
                        Some(r) => r.body.extend(body),
                        None => out.extend(body),
                    }
                }
                Node::On { block, .. } => {
                    flush(&mut run, &mut out);
                    out.extend(self.block(block)?);
                }
                Node::Parallel { branches, .. } => {
                    flush(&mut run, &mut out);
                    let mut lowered = Vec::with_capacity(branches.len());
                    for branch in branches {
                        lowered.push(Term::Seq(self.block(branch)?));
                    }
                    out.push(Term::Tensor(lowered));
                }
            }
        }
        flush(&mut run, &mut out);
        Ok(out)
    }

    /// The approval a step needs: the token it hands over and to whom.
    fn approval(&self, step: &Step) -> Option<Op> {
        let (token, spender) = match &step.kind {
            StepKind::Repay {
                amount, protocol, ..
            }
            | StepKind::Deposit { amount, protocol } => {
                (amount.token.clone(), Spender::Protocol(protocol.clone()))
            }
            StepKind::Swap {
                amount, exchange, ..
            } => (amount.token.clone(), Spender::Protocol(exchange.clone())),
            StepKind::Bridge { amount, route, .. } => {
                let choice = match self.level {
                    OptLevel::O0 => route.o0,
                    OptLevel::O => route.o,
                };
                (amount.token.clone(), Spender::Bridge(choice.kind))
            }
            _ => return None,
        };
        Some(Op::Approve {
            chain: step.chain.clone(),
            token,
            spender,
        })
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
                let text = self
                    .source
                    .get(left.span.start..right.span.end)
                    .unwrap_or_default()
                    .to_string();
                let left = self.value(&left.expr, &chain)?;
                let right = self.value(&right.expr, &chain)?;
                out.push(gen(
                    Op::Require {
                        chain: chain.clone(),
                        left,
                        op: *op,
                        right,
                        text,
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
                premium_bps,
            } => {
                let principal = self.value(&amount.expr, &chain)?;
                let key = (chain.clone(), protocol.clone(), amount.token.clone());
                let Some(debt) = self.debts.remove(&key) else {
                    return bug(format!(
                        "repay at {loc} of {} to {protocol} on {chain} with no open obligation",
                        amount.token
                    ));
                };
                let with_premium = Value::WithPremium {
                    principal: Box::new(principal.clone()),
                    bps: *premium_bps,
                };
                let funds = self.take(&chain, &amount.token, with_premium, loc, &mut out)?;
                let left = self.repays_left.entry(key.clone()).or_insert(1);
                *left = left.saturating_sub(1);
                let rest = if *left == 0 {
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
            StepKind::Swap {
                amount,
                output_token,
                min_output,
                exchange,
            } => {
                let min_out = match min_output {
                    Some(min) => self.value(&min.expr, &chain)?,
                    None => Value::Const(0),
                };
                let input = self.spend(&chain, amount, loc, &mut out)?;
                let wire = self.wire(WireType::funds(&chain, output_token));
                out.push(gen(
                    Op::Swap {
                        exchange: exchange.clone(),
                        path: vec![amount.token.clone(), output_token.clone()],
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
                let choice = match self.level {
                    OptLevel::O0 => route.o0,
                    OptLevel::O => route.o,
                };
                let input = self.spend(&chain, amount, loc, &mut out)?;
                let wire = self.wire(WireType::funds(destination, &amount.token));
                out.push(gen(
                    Op::Bridge {
                        route: choice.kind,
                        input,
                        out: wire,
                    },
                    loc,
                ));
                self.add_holding(destination, &amount.token, wire, loc, &mut out);
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
        let Some(held) = self.holdings.remove(&key) else {
            return bug(format!(
                "the step at {loc} spends {token} on {chain}, which the bundle never holds"
            ));
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
            return match self.holdings.remove(&key) {
                Some(wire) => Ok(wire),
                None => bug(format!(
                    "the step at {loc} spends all {token} on {chain}, which the bundle never holds"
                )),
            };
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
                    self.loc(m.span).into(),
                );
            }
            for _ in &resolved.invariants {
                out = out.invariant(Invariant::ConstantProduct);
            }
            return out;
        };
        let mut seen_deadline = false;
        let mut seen_gas = false;
        for item in &items.items {
            let loc: mesh_runtime::Loc = self.loc(item.span).into();
            let constraint = match &item.kind {
                ast::ConstraintKind::Deadline(_) if !seen_deadline => {
                    seen_deadline = true;
                    resolved.deadline.map(Constraint::Deadline)
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

/// Where a debt wire is produced and consumed: (transaction, what it
/// becomes, the other debt merged with it).
#[derive(Default)]
struct DebtFlow {
    produced_in: BTreeMap<Wire, usize>,
    consumed: BTreeMap<Wire, (usize, Option<Wire>, Option<Wire>)>,
    borrows: Vec<(usize, Wire, String)>,
}

fn collect_debts(term: &Term, tx: &mut usize, current: Option<usize>, flow: &mut DebtFlow) {
    match term {
        Term::Gen(node) => {
            let Some(t) = current else { return };
            match &node.op {
                Op::Borrow { debt, protocol, .. } => {
                    flow.produced_in.insert(*debt, t);
                    flow.borrows.push((t, *debt, protocol.clone()));
                }
                Op::Repay { debt, rest, .. } => {
                    if let Some(rest) = rest {
                        flow.produced_in.insert(*rest, t);
                    }
                    flow.consumed.insert(*debt, (t, *rest, None));
                }
                Op::Merge { inputs, out } if flow.produced_in.contains_key(&inputs[0]) => {
                    flow.produced_in.insert(*out, t);
                    flow.consumed
                        .insert(inputs[0], (t, Some(*out), Some(inputs[1])));
                    flow.consumed
                        .insert(inputs[1], (t, Some(*out), Some(inputs[0])));
                }
                _ => {}
            }
        }
        Term::Seq(terms) | Term::Tensor(terms) => {
            for t in terms {
                collect_debts(t, tx, current, flow);
            }
        }
        Term::Tx { body, .. } => {
            let index = *tx;
            *tx += 1;
            for t in body {
                collect_debts(t, tx, Some(index), flow);
            }
        }
    }
}

/// Turns each borrow whose obligation is closed within the transaction
/// that takes it (and never merged with a loan from another one) into a
/// flash loan, where the lender offers flash loans.
fn mark_flash_loans(program: &mut Program, registry: &Registry) {
    let mut flow = DebtFlow::default();
    collect_debts(&program.body, &mut 0, None, &mut flow);
    let mut flash = BTreeSet::new();
    for (tx, debt, protocol) in &flow.borrows {
        if !registry.protocol(protocol).is_some_and(|p| p.flash_loans) {
            continue;
        }
        let mut wire = *debt;
        let closed_here = loop {
            match flow.consumed.get(&wire) {
                Some((t, next, other)) if t == tx => {
                    if other.is_some_and(|o| flow.produced_in.get(&o) != Some(tx)) {
                        break false;
                    }
                    match next {
                        None => break true,
                        Some(n) => wire = *n,
                    }
                }
                _ => break false,
            }
        };
        if closed_here {
            flash.insert(*debt);
        }
    }
    set_flash(&mut program.body, &flash);
}

fn set_flash(term: &mut Term, flash: &BTreeSet<Wire>) {
    match term {
        Term::Gen(node) => {
            if let Op::Borrow { debt, flash: f, .. } = &mut node.op {
                *f = flash.contains(debt);
            }
        }
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                set_flash(t, flash);
            }
        }
    }
}

/// The syntax tree of a checked bundle, found by its span.
pub fn find_ast<'a>(file: &'a ast::File, bundle: &CheckedBundle) -> Option<&'a ast::Bundle> {
    file.items.iter().find_map(|item| match item {
        ast::Item::Bundle(b) if b.span == bundle.span || b.name.name == bundle.name => Some(b),
        _ => None,
    })
}

/// Applies the file's `token` declarations to a world's registry, so that
/// the runtime knows the tokens the checker knew (a declaration the world
/// contradicts is left out: the bundle then reverts naming the token).
pub fn declare_tokens(file: &ast::File, registry: &mut Registry) {
    for item in &file.items {
        if let ast::Item::Token(decl) = item {
            let Ok(decimals) = decl.decimals.text.replace('_', "").parse::<u32>() else {
                continue;
            };
            let address = decl.address.as_ref().map(|a| a.text.as_str());
            let _ = registry.declare_token(&decl.symbol.name, decimals, address);
        }
    }
}
