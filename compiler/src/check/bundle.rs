//! Checking one bundle: the walk over its statements. Each statement's chain
//! is the home chain or the nearest enclosing `on`; `input`, `require`,
//! `on` and `let` are checked here, each action by [`super::actions`]. A
//! `assume` states what the user's position at a lender holds
//! (`positions`). A step with an error is left out of the resolved tree, and what it would
//! have touched is no longer judged (so that one mistake is reported once).
//! When the walk is done, the open obligations, the warnings that need the
//! whole bundle and the time model's deadline are judged.

use super::amount::{format_units, Site, TokenAmount};
use super::constraints::ConstraintsOutcome;
use super::facts::{Facts, HoldingFact, StatementFact};
use super::holdings::{Holdings, Source};
use super::names::{ChainId, Names, ProtocolId, TokenId};
use super::obligations::Obligations;
use super::parallel::Touches;
use super::positions::Positions;
use super::resolved::{
    CheckedBundle, ResolvedBlock, ResolvedStatement, Step, StepKind, VarId, Variable,
};
use super::schedule::Schedule;
use super::scope::Scope;
use super::symbolic::Unknowns;
use super::{CheckOptions, OptLevel};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::{Action, ActionKind, Block, Ident, Stmt, StmtKind};
use std::collections::HashMap;

/// The state of checking one bundle: what its holdings and obligations are
/// proved to be at the statement being checked, its let-bound values, and
/// where its diagnostics and facts go.
pub(crate) struct BundleChecker<'a, 'r> {
    pub names: &'a Names<'r>,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    pub facts: &'a mut Facts,
    pub unknowns: Unknowns,
    pub holdings: Holdings,
    pub obligations: Obligations,
    /// The user's debts and collateral as far as the bundle states them.
    pub positions: Positions,
    pub scope: Scope,
    /// One entry per `parallel` branch being checked.
    pub touches: Vec<Touches>,
    /// Holdings the current statement touched, for its fact.
    pub step_touched: Vec<(ChainId, TokenId)>,
    /// The bundle's `min_security` and where it is written.
    pub min_security: Option<(mesh_core::BridgeKind, mesh_grammar::Span)>,
    /// The statement being checked.
    pub statement: mesh_grammar::Span,
    pub has_errors: bool,
    /// The level the bundle is lowered at: whether a loan may be a flash
    /// loan, and so owe a premium.
    pub level: OptLevel,
}

pub(crate) fn check_bundle(
    bundle: &mesh_grammar::Bundle,
    names: &Names<'_>,
    options: &CheckOptions,
    diagnostics: &mut Vec<Diagnostic>,
    facts: &mut Facts,
) -> CheckedBundle {
    let first_fact = facts.statements.len();
    let mut c = BundleChecker {
        names,
        diagnostics,
        facts,
        unknowns: Unknowns::default(),
        holdings: Holdings::default(),
        obligations: Obligations::default(),
        positions: Positions::default(),
        scope: Scope::default(),
        touches: Vec::new(),
        step_touched: Vec::new(),
        min_security: None,
        statement: bundle.span,
        has_errors: false,
        level: options.level,
    };
    let home = c.resolve_chain(&bundle.home.name, bundle.home.span);
    let ConstraintsOutcome {
        resolved: constraints,
        min_balances,
        deadline_span,
        deadline_seconds_span,
        min_security_span,
    } = c.constraints(bundle.constraints.as_ref(), home);
    c.min_security = constraints.min_security.zip(min_security_span);
    let body = c.block(&bundle.body, home);

    let open = c.obligations.finish(&mut c.unknowns, names);
    for d in open {
        c.report(d);
    }
    c.provable_min_balances(&min_balances);
    c.unused_values();

    let mut o0 = Schedule::new(OptLevel::O0, names.registry);
    let cost_o0 = o0.block(&body);
    let mut o = Schedule::new(OptLevel::O, names.registry);
    let cost_o = o.block(&body);
    let (cost, chosen) = match options.level {
        OptLevel::O0 => (&cost_o0, o0),
        OptLevel::O => (&cost_o, o),
    };
    c.judge_deadline(
        constraints.deadline,
        deadline_span,
        options.level,
        cost,
        cost_o.blocks,
    );
    c.judge_deadline_seconds(
        constraints.deadline_seconds,
        deadline_seconds_span,
        &body,
        options.level,
        cost,
    );
    let transactions: HashMap<_, _> = chosen.transactions.into_iter().collect();
    for fact in c.facts.statements.iter_mut().skip(first_fact) {
        fact.transaction = transactions.get(&fact.span).copied();
    }

    let variables = c
        .scope
        .vars
        .iter()
        .map(|v| Variable {
            name: v.name.clone(),
            token: v.token.map(|t| names.symbol(t).to_string()),
            span: v.span,
        })
        .collect();
    CheckedBundle {
        name: bundle.name.name.clone(),
        home: home.map(|h| names.chain_name(h).to_string()),
        body,
        variables,
        constraints,
        blocks_o0: cost_o0.blocks,
        blocks_o: cost_o.blocks,
        has_errors: c.has_errors,
        span: bundle.span,
        unbacked_loans: std::mem::take(&mut c.positions.unbacked),
    }
}

impl BundleChecker<'_, '_> {
    /// Reports a diagnostic of the bundle; an error also marks the bundle
    /// as having one.
    pub(crate) fn report(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() {
            self.has_errors = true;
        }
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn block(&mut self, block: &Block, chain: Option<ChainId>) -> ResolvedBlock {
        let mut statements = Vec::with_capacity(block.stmts.len());
        for stmt in &block.stmts {
            if let Some(statement) = self.statement(stmt, chain) {
                statements.push(statement);
            }
        }
        ResolvedBlock { statements }
    }

    fn statement(&mut self, stmt: &Stmt, chain: Option<ChainId>) -> Option<ResolvedStatement> {
        self.step_touched.clear();
        self.statement = stmt.span;
        let statement = match &stmt.kind {
            StmtKind::Let { name, action } => {
                self.action_statement(stmt, action, Some(name), chain)
            }
            StmtKind::Action(action) => self.action_statement(stmt, action, None, chain),
            StmtKind::Input(amount) => {
                let amt = self.token_amount(amount, Site::Statement(chain));
                let kind = match (chain, amt) {
                    (Some(chain), Some(amt))
                        if self.token_available(amt.token, chain, amt.span) =>
                    {
                        self.touch_holding(chain, amt.token, stmt.span);
                        self.holdings.credit(
                            chain,
                            amt.token,
                            &amt.value,
                            Source::Input,
                            stmt.span,
                            &mut self.unknowns,
                        );
                        Some(StepKind::Input {
                            amount: self.resolved(amt),
                        })
                    }
                    (Some(chain), amt) => {
                        self.holdings.poison(chain, amt.map(|a| a.token));
                        None
                    }
                    (None, _) => None,
                };
                self.step(stmt, chain, kind, None)
            }
            StmtKind::Require {
                left, op, right, ..
            } => {
                let l = self.token_amount(left, Site::Statement(chain));
                let r = self.token_amount(right, Site::Statement(chain));
                let kind = match (l, r) {
                    (Some(l), Some(r)) if l.token != r.token => {
                        let (ls, rs) = (self.names.symbol(l.token), self.names.symbol(r.token));
                        self.report(
                            Diagnostic::error(
                                Code::TokenMismatch,
                                format!("cannot compare {ls} with {rs}"),
                                Label::new(r.span, format!("this is {rs}")),
                            )
                            .with_label(Label::new(l.span, format!("this is {ls}")))
                            .with_hint("compare amounts of one token"),
                        );
                        None
                    }
                    (Some(l), Some(r)) => {
                        let available = match chain {
                            Some(chain) => self.token_available(l.token, chain, l.span),
                            None => false,
                        };
                        available.then(|| StepKind::Require {
                            left: self.resolved(l),
                            op: *op,
                            right: self.resolved(r),
                        })
                    }
                    _ => None,
                };
                self.step(stmt, chain, kind, None)
            }
            StmtKind::Assume {
                position,
                amount,
                protocol,
                ..
            } => {
                let kind = self.assume(*position, amount, protocol, chain, stmt.span);
                self.step(stmt, chain, kind, None)
            }
            StmtKind::On {
                chain: ident,
                block,
            } => {
                let target = self.resolve_chain(&ident.name, ident.span);
                if let (Some(target), Some(current)) = (target, chain) {
                    if target == current {
                        self.diagnostics.push(
                            Diagnostic::warning(
                                Code::RedundantOn,
                                format!("redundant `on {}`", ident.name),
                                Label::new(
                                    ident.span,
                                    format!("the statements here already run on {}", ident.name),
                                ),
                            )
                            .with_hint("remove the `on` and keep its statements"),
                        );
                    }
                }
                let inner = self.block(block, target);
                target.map(|t| ResolvedStatement::On {
                    chain: self.names.chain_name(t).to_string(),
                    block: inner,
                    span: stmt.span,
                })
            }
            StmtKind::Parallel { branches } => Some(self.parallel(branches, chain, stmt.span)),
            StmtKind::Error => {
                // Whatever the statement was meant to do is unknown: judge no
                // holding or obligation from here on.
                self.has_errors = true;
                for chain in self.names.chain_names() {
                    if let Some(id) = self.names.chain(chain) {
                        self.holdings.poison(id, None);
                        self.obligations.poison(id, None);
                        self.positions.poison(id, None);
                    }
                }
                None
            }
        };
        statement
    }

    /// Records the statement's fact and wraps a resolved step.
    fn step(
        &mut self,
        stmt: &Stmt,
        chain: Option<ChainId>,
        kind: Option<StepKind>,
        binds: Option<VarId>,
    ) -> Option<ResolvedStatement> {
        let chain = chain?;
        let holdings = self
            .step_touched
            .iter()
            .map(|&(c, t)| {
                let (lower_bound, exact) = self.holdings.bounds(c, t, &self.unknowns);
                HoldingFact {
                    chain: self.names.chain_name(c).to_string(),
                    token: self.names.symbol(t).to_string(),
                    decimals: self.names.decimals(t),
                    exact,
                    lower_bound,
                }
            })
            .collect();
        let chain_name = self.names.chain_name(chain).to_string();
        self.facts.statements.push(StatementFact {
            span: stmt.span,
            chain: chain_name.clone(),
            transaction: None,
            holdings,
        });
        if kind.is_none() {
            self.has_errors = true;
        }
        kind.map(|kind| {
            ResolvedStatement::Step(Step {
                chain: chain_name,
                kind,
                binds,
                span: stmt.span,
            })
        })
    }

    fn action_statement(
        &mut self,
        stmt: &Stmt,
        action: &Action,
        binding: Option<&Ident>,
        chain: Option<ChainId>,
    ) -> Option<ResolvedStatement> {
        let outcome = self.action(action, chain);
        let has_value = !matches!(
            action.kind,
            ActionKind::Repay { .. } | ActionKind::Deposit { .. }
        );
        let binds = match binding {
            None => None,
            Some(name) => {
                let (token, value) = match outcome.value {
                    Some((token, value)) if has_value => (Some(token), Some(value)),
                    _ => (None, None),
                };
                // What the name holds, for the language server: its value
                // as the checker knows it at the `let`.
                if let (Some(token), Some(value)) = (token, &value) {
                    self.facts.amounts.push(crate::check::AmountFact {
                        span: name.span,
                        token: self.names.symbol(token).to_string(),
                        decimals: self.names.decimals(token),
                        exact: value.exact(),
                        lower_bound: self.unknowns.lower_bound(value),
                    });
                }
                if !has_value {
                    let keyword = action.kind.keyword();
                    self.report(
                        Diagnostic::error(
                            Code::ActionWithoutValue,
                            format!("`{keyword}` has no value to bind"),
                            Label::new(action.keyword_span, format!("a {keyword} produces nothing")),
                        )
                        .with_label(Label::new(name.span, "so this name would be bound to nothing"))
                        .with_hint(format!(
                            "drop `let {} =`; only `borrow`, `withdraw`, `swap`, `bridge`, `wrap` and `unwrap` produce a value",
                            name.name
                        )),
                    );
                }
                match self.scope.bind(&name.name, name.span, token, value) {
                    Ok(id) => {
                        if let Some(v) = self.scope.vars.get_mut(id.0 as usize) {
                            // `let NAME = ` up to the action, which W0003's
                            // fix removes.
                            v.binding =
                                Some(mesh_grammar::Span::new(stmt.span.start, action.span.start));
                        }
                        if !has_value {
                            // Reported already; not also "never used".
                            if let Some(v) = self.scope.vars.get_mut(id.0 as usize) {
                                v.uses = 1;
                            }
                        }
                        Some(id)
                    }
                    Err(d) => {
                        self.report(d);
                        None
                    }
                }
            }
        };
        self.step(stmt, chain, outcome.kind, binds)
    }
}

impl BundleChecker<'_, '_> {
    /// `assume debt A at P` or `assume collateral A at P` on `chain`.
    fn assume(
        &mut self,
        position: mesh_grammar::Position,
        amount: &mesh_grammar::Amount,
        protocol: &Ident,
        chain: Option<ChainId>,
        span: mesh_grammar::Span,
    ) -> Option<StepKind> {
        let amt = self.token_amount(amount, Site::Statement(chain));
        let lender =
            self.resolve_protocol(protocol, mesh_core::ProtocolKind::Lender, "assume", chain);
        let chain = chain?;
        let (Some(amt), Some(lender)) = (amt, lender) else {
            self.positions.poison(chain, lender);
            return None;
        };
        if !self.token_available(amt.token, chain, amt.span) {
            self.positions.poison(chain, Some(lender));
            return None;
        }
        self.touch_position(chain, lender, span);
        if self.positions.is_untouched(chain, lender) {
            if let Some(d) = self.assumed_more_than_held(position, chain, lender, &amt, span) {
                self.report(d);
            }
        }
        match position {
            mesh_grammar::Position::Debt => self.positions.assume_debt(
                (chain, lender, amt.token),
                &amt.value,
                span,
                &mut self.unknowns,
            ),
            mesh_grammar::Position::Collateral => {
                self.positions.collateral((chain, lender), span);
            }
        }
        Some(StepKind::Assume {
            position,
            protocol: self.names.protocol_name(lender).to_string(),
            amount: self.resolved(amt),
        })
    }

    /// E0604 for an assumption of more than the world holds, when the
    /// checker knows the world's positions and the bundle has not acted at
    /// the lender before it (its position is then still the world's): the
    /// assumption would revert wherever the bundle runs on that world.
    fn assumed_more_than_held(
        &self,
        position: mesh_grammar::Position,
        chain: ChainId,
        lender: ProtocolId,
        amt: &TokenAmount,
        span: mesh_grammar::Span,
    ) -> Option<Diagnostic> {
        let chain_name = self.names.chain_name(chain);
        let name = self.names.protocol_name(lender);
        let symbol = self.names.symbol(amt.token);
        let held = self.names.pairs?.held(chain_name, name, symbol, position)?;
        let assumed = self.unknowns.lower_bound(&amt.value);
        if assumed <= held {
            return None;
        }
        let decimals = self.names.decimals(amt.token);
        let units = |v: u128| format!("{} {symbol}", format_units(v, decimals));
        let at_least = if amt.value.exact().is_some() {
            units(assumed)
        } else {
            format!("at least {}", units(assumed))
        };
        let (what, world_holds) = match position {
            mesh_grammar::Position::Debt => (
                format!("a debt of {at_least} to {name} on {chain_name}"),
                format!(
                    "the world's user owes {} to {name} on {chain_name}",
                    units(held)
                ),
            ),
            mesh_grammar::Position::Collateral => (
                format!("collateral of {at_least} at {name} on {chain_name}"),
                format!(
                    "the world's user has {} deposited at {name} on {chain_name}",
                    units(held)
                ),
            ),
        };
        Some(
            Diagnostic::error(
                Code::AssumedMoreThanHeld,
                format!("the bundle assumes {what}, more than the world holds"),
                Label::new(
                    span,
                    format!("this assumes {at_least}; {world_holds}"),
                ),
            )
            .with_hint(format!(
                "on this world the run would revert here: assume at most {}, what the world holds; if the bundle will run on another world, check against that one (`--world FILE`)",
                units(held)
            )),
        )
    }
}
