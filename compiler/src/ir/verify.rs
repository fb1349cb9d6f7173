//! The verifier: checks that a program is a well-formed morphism.
//!
//! Laws checked, each with its own [`Law`]:
//! - every wire is produced exactly once and has a type;
//! - at every `;`, each box consumes only wires that are live at that point
//!   (domain = codomain), and each wire is consumed at most once;
//! - each box's wires have the types its generator demands;
//! - the branches of a `⊗` consume disjoint wires and never read each other's;
//! - no `Debt` wire is live at the end: every loan is repaid;
//! - every on-chain box is inside exactly one transaction, on that
//!   transaction's chain;
//! - a bridge batch sends its inputs from one chain over one `zk` or
//!   `threshold` route to one other chain, each output the token of its
//!   input, in an executor's transaction.

use super::{Node, Op, Program, Term, Value, Wire, WireType};
use std::collections::HashSet;
use std::fmt;

/// The law a program breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    /// A wire number with no type, or a wire produced twice.
    WireDefinition,
    /// A box consumes a wire that is not live at that point (`cod f ≠ dom g`).
    Composition,
    /// A wire consumed twice.
    Linearity,
    /// A box's wires do not have the types its generator demands.
    Typing,
    /// Two branches of a tensor touch the same wire.
    TensorDisjoint,
    /// A `Debt` wire is live at the end.
    DebtEscapes,
    /// An on-chain box outside a transaction, in one of another chain, or a
    /// transaction inside a transaction.
    Transaction,
    /// A value reads the amount of a wire not yet produced.
    ValueScope,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub law: Law,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IR verifier ({:?}): {}", self.law, self.message)
    }
}

impl std::error::Error for VerifyError {}

fn fail<T>(law: Law, message: String) -> Result<T, VerifyError> {
    Err(VerifyError { law, message })
}

struct Verifier<'p> {
    program: &'p Program,
    /// Wires produced anywhere so far (for the "produced once" law).
    produced: HashSet<Wire>,
}

/// What one branch of the walk can see and has done.
#[derive(Clone, Default)]
struct Context {
    /// Wires live now: produced and not yet consumed.
    live: HashSet<Wire>,
    /// Wires whose amounts may be read: every wire produced before this
    /// point on this branch's path.
    visible: HashSet<Wire>,
    /// Wires this branch consumed (for tensor disjointness).
    consumed: HashSet<Wire>,
    /// Wires this branch produced.
    made: HashSet<Wire>,
}

/// Checks every law; the first broken one is reported.
pub fn verify(program: &Program) -> Result<(), VerifyError> {
    let mut verifier = Verifier {
        program,
        produced: HashSet::new(),
    };
    let mut context = Context::default();
    verifier.term(&program.body, &mut context, None)?;
    let mut escaped: Vec<Wire> = context
        .live
        .iter()
        .copied()
        .filter(|w| program.wire_type(*w).is_some_and(WireType::is_debt))
        .collect();
    escaped.sort();
    if let Some(wire) = escaped.first() {
        let ty = program
            .wire_type(*wire)
            .map(ToString::to_string)
            .unwrap_or_default();
        return fail(
            Law::DebtEscapes,
            format!("{wire}: {ty} is still open at the end of the bundle"),
        );
    }
    Ok(())
}

impl Verifier<'_> {
    fn ty(&self, wire: Wire) -> Result<&WireType, VerifyError> {
        match self.program.wire_type(wire) {
            Some(ty) => Ok(ty),
            None => fail(Law::WireDefinition, format!("{wire} has no type")),
        }
    }

    fn term(
        &mut self,
        term: &Term,
        context: &mut Context,
        tx_chain: Option<&str>,
    ) -> Result<(), VerifyError> {
        match term {
            Term::Gen(node) => self.node(node, context, tx_chain),
            Term::Seq(terms) => terms
                .iter()
                .try_for_each(|t| self.term(t, context, tx_chain)),
            Term::Tensor(branches) => {
                let mut results = Vec::with_capacity(branches.len());
                for branch in branches {
                    let mut inner = Context {
                        live: context.live.clone(),
                        visible: context.visible.clone(),
                        consumed: HashSet::new(),
                        made: HashSet::new(),
                    };
                    self.term(branch, &mut inner, tx_chain)?;
                    results.push(inner);
                }
                for (i, a) in results.iter().enumerate() {
                    for b in &results[i + 1..] {
                        let mut shared: Vec<Wire> =
                            a.consumed.intersection(&b.consumed).copied().collect();
                        shared.sort();
                        if let Some(wire) = shared.first() {
                            return fail(
                                Law::TensorDisjoint,
                                format!("two branches of a tensor both consume {wire}"),
                            );
                        }
                    }
                }
                for inner in results {
                    for wire in &inner.consumed {
                        context.live.remove(wire);
                        context.consumed.insert(*wire);
                    }
                    for wire in inner.made {
                        if !inner.consumed.contains(&wire) {
                            context.live.insert(wire);
                        }
                        context.visible.insert(wire);
                        context.made.insert(wire);
                    }
                }
                Ok(())
            }
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                if *sender != super::Sender::Executor && body.iter().any(holds_batch) {
                    return fail(
                        Law::Transaction,
                        format!(
                            "a bridge batch in a {} transaction on {chain}; it needs the executor",
                            sender.as_str()
                        ),
                    );
                }
                if let Some(outer) = tx_chain {
                    return fail(
                        Law::Transaction,
                        format!("a transaction on {chain} inside a transaction on {outer}"),
                    );
                }
                body.iter()
                    .try_for_each(|t| self.term(t, context, Some(chain)))
            }
        }
    }

    fn value(&self, value: &Value, context: &Context, node: &Node) -> Result<(), VerifyError> {
        let mut wires = Vec::new();
        value.wires(&mut wires);
        for wire in wires {
            if !context.visible.contains(&wire) {
                return fail(
                    Law::ValueScope,
                    format!(
                        "{} at {} reads the amount of {wire} before it is produced",
                        node.op.name(),
                        node.loc
                    ),
                );
            }
        }
        if let Value::Scale { denominator: 0, .. } = value {
            return fail(
                Law::Typing,
                format!("{} at {} divides by zero", node.op.name(), node.loc),
            );
        }
        Ok(())
    }

    fn node(
        &mut self,
        node: &Node,
        context: &mut Context,
        tx_chain: Option<&str>,
    ) -> Result<(), VerifyError> {
        let op = &node.op;
        let at = node.loc;
        for value in op.values() {
            self.value(value, context, node)?;
        }
        let domain = op.domain();
        for (i, wire) in domain.iter().enumerate() {
            self.ty(*wire)?;
            if domain[..i].contains(wire) {
                return fail(
                    Law::Linearity,
                    format!("{} at {at} consumes {wire} twice", op.name()),
                );
            }
            if !context.live.contains(wire) {
                let (law, why) = if context.visible.contains(wire) {
                    (Law::Linearity, "which was already consumed")
                } else if self.produced.contains(wire) {
                    (
                        Law::TensorDisjoint,
                        "which another branch of a tensor produced",
                    )
                } else {
                    (Law::Composition, "which is not live here")
                };
                return fail(law, format!("{} at {at} consumes {wire}, {why}", op.name()));
            }
        }
        self.types(op, at)?;

        let chain = self.chain_of(op)?;
        match (op.is_on_chain(), tx_chain) {
            (true, None) if op.needs_transaction() => {
                return fail(
                    Law::Transaction,
                    format!(
                        "{} at {at} on {chain} is outside any transaction",
                        op.name()
                    ),
                )
            }
            (true, Some(tx)) if tx != chain => {
                return fail(
                    Law::Transaction,
                    format!(
                        "{} at {at} acts on {chain} inside a transaction on {tx}",
                        op.name()
                    ),
                )
            }
            _ => {}
        }

        for wire in &domain {
            context.live.remove(wire);
            context.consumed.insert(*wire);
        }
        for wire in op.codomain() {
            self.ty(wire)?;
            if !self.produced.insert(wire) {
                return fail(
                    Law::WireDefinition,
                    format!("{wire} is produced twice (again by {} at {at})", op.name()),
                );
            }
            context.live.insert(wire);
            context.visible.insert(wire);
            context.made.insert(wire);
        }
        Ok(())
    }

    /// The chain a box acts on.
    fn chain_of(&self, op: &Op) -> Result<String, VerifyError> {
        Ok(match op {
            Op::Input { chain, .. }
            | Op::Withdraw { chain, .. }
            | Op::BorrowDebt { chain, .. }
            | Op::Require { chain, .. }
            | Op::Assume { chain, .. }
            | Op::Approve { chain, .. } => chain.clone(),
            Op::Borrow { funds, .. } => self.ty(*funds)?.chain().to_string(),
            Op::FlashLoan { funds, .. } => match funds.first() {
                Some(first) => self.ty(*first)?.chain().to_string(),
                None => return fail(Law::Typing, "a flash loan takes no asset".into()),
            },
            Op::Repay { funds, .. } | Op::Deposit { funds, .. } | Op::RepayDebt { funds, .. } => {
                self.ty(*funds)?.chain().to_string()
            }
            Op::Swap { input, .. } | Op::Bridge { input, .. } | Op::Split { input, .. } => {
                self.ty(*input)?.chain().to_string()
            }
            Op::Merge { inputs, .. } => self.ty(inputs[0])?.chain().to_string(),
            Op::BridgeBatch { inputs, .. } => match inputs.first() {
                Some(first) => self.ty(*first)?.chain().to_string(),
                None => return fail(Law::Typing, "a bridge batch carries no transfer".into()),
            },
        })
    }

    fn types(&self, op: &Op, at: super::Loc) -> Result<(), VerifyError> {
        let name = op.name();
        let mismatch = |what: String| fail(Law::Typing, format!("{name} at {at}: {what}"));
        let funds = |wire: Wire| -> Result<(String, String), VerifyError> {
            match self.ty(wire)? {
                WireType::Funds { chain, token } => Ok((chain.clone(), token.clone())),
                other => fail(
                    Law::Typing,
                    format!("{name} at {at}: {wire} is {other}, not funds"),
                ),
            }
        };
        match op {
            Op::Input {
                chain, token, out, ..
            }
            | Op::Withdraw {
                chain, token, out, ..
            }
            | Op::BorrowDebt {
                chain, token, out, ..
            } => {
                let got = funds(*out)?;
                if (&got.0, &got.1) != (chain, token) {
                    return mismatch(format!(
                        "produces {out}: Funds({}, {}), expected Funds({chain}, {token})",
                        got.0, got.1
                    ));
                }
            }
            Op::Borrow {
                protocol,
                funds: f,
                debt,
                ..
            } => {
                let (chain, token) = funds(*f)?;
                let expected = WireType::debt(&chain, protocol, &token);
                if self.ty(*debt)? != &expected {
                    return mismatch(format!("{debt} should be {expected}"));
                }
            }
            Op::FlashLoan {
                protocol,
                amounts,
                funds: f,
                debts,
                locs,
            } => {
                let n = amounts.len();
                if n < 2 || f.len() != n || debts.len() != n || locs.len() != n {
                    return mismatch(format!(
                        "{n} amounts, {} funds, {} debts and {} locations (two or more loans, one of each per loan)",
                        f.len(),
                        debts.len(),
                        locs.len()
                    ));
                }
                let mut tokens = std::collections::BTreeSet::new();
                let mut chains = std::collections::BTreeSet::new();
                for (wire, debt) in f.iter().zip(debts) {
                    let (chain, token) = funds(*wire)?;
                    let expected = WireType::debt(&chain, protocol, &token);
                    if self.ty(*debt)? != &expected {
                        return mismatch(format!("{debt} should be {expected}"));
                    }
                    if !tokens.insert(token.clone()) {
                        return mismatch(format!("lends {token} twice"));
                    }
                    chains.insert(chain);
                }
                if chains.len() > 1 {
                    return mismatch(format!("lends on several chains: {chains:?}"));
                }
            }
            Op::Repay {
                protocol,
                funds: f,
                debt,
                rest,
                ..
            } => {
                let (chain, token) = funds(*f)?;
                let expected = WireType::debt(&chain, protocol, &token);
                if self.ty(*debt)? != &expected {
                    return mismatch(format!(
                        "pays Funds({chain}, {token}) against {debt}: {}",
                        self.ty(*debt)?
                    ));
                }
                if let Some(rest) = rest {
                    if self.ty(*rest)? != &expected {
                        return mismatch(format!(
                            "the rest of the obligation {rest} should be {expected}"
                        ));
                    }
                }
            }
            Op::Swap {
                exchanges,
                path,
                locs,
                input,
                out,
                ..
            } => {
                let (chain, from) = funds(*input)?;
                let (out_chain, to) = funds(*out)?;
                if path.len() < 2 || path.first() != Some(&from) || path.last() != Some(&to) {
                    return mismatch(format!("path {path:?} does not lead from {from} to {to}"));
                }
                let hops = path.len() - 1;
                if exchanges.len() != hops || locs.len() != hops {
                    return mismatch(format!(
                        "{hops} hops but {} exchanges and {} locations",
                        exchanges.len(),
                        locs.len()
                    ));
                }
                if path.windows(2).any(|w| w[0] == w[1]) {
                    return mismatch(format!("path {path:?} swaps a token into itself"));
                }
                if out_chain != chain {
                    return mismatch(format!("sells on {chain} but delivers on {out_chain}"));
                }
            }
            Op::Deposit { funds: f, .. } | Op::RepayDebt { funds: f, .. } => {
                funds(*f)?;
            }
            Op::Bridge { input, out, .. } => {
                let (from, token) = funds(*input)?;
                let (to, out_token) = funds(*out)?;
                if token != out_token {
                    return mismatch(format!("sends {token} but delivers {out_token}"));
                }
                if from == to {
                    return mismatch(format!("bridges {from} to itself"));
                }
            }
            Op::BridgeBatch {
                route,
                inputs,
                outs,
                locs,
            } => {
                if locs.len() != inputs.len() {
                    return mismatch(format!(
                        "{} transfers but {} locations",
                        inputs.len(),
                        locs.len()
                    ));
                }
                if inputs.len() < 2 || inputs.len() != outs.len() {
                    return mismatch(format!(
                        "{} inputs and {} outputs; a batch carries two transfers or more, one output each",
                        inputs.len(),
                        outs.len()
                    ));
                }
                if *route == mesh_core::BridgeKind::Htlb {
                    return mismatch("an htlb route cannot carry a shared message".to_string());
                }
                let (from, _) = funds(inputs[0])?;
                let (to, _) = funds(outs[0])?;
                if from == to {
                    return mismatch(format!("bridges {from} to itself"));
                }
                for (input, out) in inputs.iter().zip(outs) {
                    let (in_chain, token) = funds(*input)?;
                    let (out_chain, out_token) = funds(*out)?;
                    if in_chain != from {
                        return mismatch(format!("sends from {from} and from {in_chain}"));
                    }
                    if out_chain != to {
                        return mismatch(format!("delivers to {to} and to {out_chain}"));
                    }
                    if token != out_token {
                        return mismatch(format!("sends {token} but delivers {out_token}"));
                    }
                }
            }
            Op::Split {
                input, taken, rest, ..
            } => {
                let whole = funds(*input)?;
                if funds(*taken)? != whole || funds(*rest)? != whole {
                    return mismatch(format!("the parts of {input} must have its type"));
                }
            }
            Op::Merge { inputs, out } => {
                // Two parts of one holding, or two loans of one obligation.
                let a = self.ty(inputs[0])?;
                if self.ty(inputs[1])? != a || self.ty(*out)? != a {
                    return mismatch("merges wires of different holdings".to_string());
                }
            }
            Op::Require { .. } | Op::Approve { .. } | Op::Assume { .. } => {}
        }
        Ok(())
    }
}

/// Whether `term` holds a bridge batch.
fn holds_batch(term: &Term) -> bool {
    match term {
        Term::Gen(node) => matches!(node.op, Op::BridgeBatch { .. }),
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            terms.iter().any(holds_batch)
        }
    }
}
