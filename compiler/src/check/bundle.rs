//! Checking one bundle: the walk over its statements. Each statement's chain
//! is the home chain or the nearest enclosing `on`; each action's names and
//! capabilities are resolved here (rules 1, 3, 4, 7) and its effect is
//! applied to the holdings and obligations. A step with an error is left out
//! of the resolved tree, and what it would have touched is no longer judged
//! (so that one mistake is reported once).

use super::amount::{Amt, Place};
use super::constraints::ConstraintsOutcome;
use super::facts::{Facts, HoldingFact, StatementFact};
use super::form::{Form, Symbols};
use super::holdings::{Holdings, Source, Spend};
use super::names::{self, ChainId, Names, ProtocolId, TokenId};
use super::obligations::{premium, Obligations};
use super::parallel::Touches;
use super::resolved::{
    BridgeRoute, CheckedBundle, Node, ResolvedAmount, ResolvedBlock, RouteChoice, Step, StepKind,
    VarId, Variable,
};
use super::schedule::Schedule;
use super::scope::Scope;
use super::{CheckOptions, OptLevel};
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_core::registry::RouteInfo;
use mesh_core::{BridgeKind, ProtocolKind};
use mesh_grammar::{Action, ActionKind, Block, Ident, Stmt, StmtKind, SwapOutput};
use std::collections::HashMap;

pub(crate) struct BundleChecker<'a, 'r> {
    pub names: &'a Names<'r>,
    pub diagnostics: &'a mut Vec<Diagnostic>,
    pub facts: &'a mut Facts,
    pub symbols: Symbols,
    pub holdings: Holdings,
    pub obligations: Obligations,
    pub scope: Scope,
    /// One entry per `parallel` branch being checked.
    pub touches: Vec<Touches>,
    /// Holdings the current statement touched, for its fact.
    pub step_touched: Vec<(ChainId, TokenId)>,
    /// The bundle's `min_security` and where it is written.
    pub min_security: Option<(BridgeKind, mesh_grammar::Span)>,
    pub has_errors: bool,
}

/// What an action produced.
struct Outcome {
    kind: Option<StepKind>,
    /// The value `let` binds: token and amount.
    value: Option<(TokenId, Form)>,
}

impl Outcome {
    fn failed() -> Outcome {
        Outcome {
            kind: None,
            value: None,
        }
    }
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
        symbols: Symbols::default(),
        holdings: Holdings::default(),
        obligations: Obligations::default(),
        scope: Scope::default(),
        touches: Vec::new(),
        step_touched: Vec::new(),
        min_security: None,
        has_errors: false,
    };
    let home = c.resolve_chain(&bundle.home.name, bundle.home.span);
    let ConstraintsOutcome {
        resolved: constraints,
        min_balances,
        deadline_span,
        min_security_span,
    } = c.constraints(bundle.constraints.as_ref(), home);
    c.min_security = constraints.min_security.zip(min_security_span);
    let body = c.block(&bundle.body, home);

    let open = c.obligations.finish(&mut c.symbols, names);
    for d in open {
        c.error(d);
    }
    c.provable_min_balances(&min_balances);
    c.unused_values();

    let mut o0 = Schedule::new(OptLevel::O0);
    let cost_o0 = o0.block(&body);
    let mut o = Schedule::new(OptLevel::O);
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
    }
}

impl BundleChecker<'_, '_> {
    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        if diagnostic.is_error() {
            self.has_errors = true;
        }
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn resolve_chain(
        &mut self,
        name: &str,
        span: mesh_grammar::Span,
    ) -> Option<ChainId> {
        let chain = self.names.chain(name);
        if chain.is_none() {
            let names = self.names;
            self.error(names::unknown(
                Code::UnknownChain,
                "chain",
                name,
                span,
                names.chain_names(),
            ));
        }
        chain
    }

    /// E0403 unless `token` exists on `chain`.
    pub(crate) fn token_available(
        &mut self,
        token: TokenId,
        chain: ChainId,
        span: mesh_grammar::Span,
    ) -> bool {
        if self.names.token_on_chain(token, chain) {
            return true;
        }
        let symbol = self.names.symbol(token);
        let chain_name = self.names.chain_name(chain);
        let exists: Vec<&str> = self
            .names
            .token_info(token)
            .map(|t| t.chains.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut hint = format!("{symbol} exists on {}", names::list(exists));
        if symbol == "ETH"
            && self
                .names
                .token("WETH")
                .is_some_and(|w| self.names.token_on_chain(w, chain))
        {
            hint.push_str(&format!("; on {chain_name}, use WETH"));
        }
        self.error(
            Diagnostic::error(
                Code::TokenNotOnChain,
                format!("{symbol} does not exist on {chain_name}"),
                Label::new(span, format!("{symbol} on {chain_name}")),
            )
            .with_hint(hint),
        );
        false
    }

    /// Resolves a protocol that must be able to do `verb` on `chain`.
    fn resolve_protocol(
        &mut self,
        ident: &Ident,
        kind: ProtocolKind,
        verb: &str,
        chain: Option<ChainId>,
    ) -> Option<ProtocolId> {
        let names = self.names;
        let Some(protocol) = names.protocol(&ident.name) else {
            self.error(names::unknown(
                Code::UnknownProtocol,
                "protocol",
                &ident.name,
                ident.span,
                names.protocol_names(),
            ));
            return None;
        };
        let info = names.protocol_info(protocol)?;
        if info.kind != kind {
            let able: Vec<&str> = names
                .registry
                .protocols
                .iter()
                .filter(|p| p.kind == kind)
                .filter(|p| chain.is_none_or(|c| p.chains.iter().any(|n| n == names.chain_name(c))))
                .map(|p| p.name.as_str())
                .collect();
            let article = |k: ProtocolKind| match k {
                ProtocolKind::Exchange => "an exchange",
                ProtocolKind::Lender => "a lender",
            };
            self.error(
                Diagnostic::error(
                    Code::NotCapable,
                    format!(
                        "`{}` cannot {verb}: it is {}",
                        ident.name,
                        article(info.kind)
                    ),
                    Label::new(
                        ident.span,
                        format!("{}, not {}", article(info.kind), article(kind)),
                    ),
                )
                .with_hint(format!(
                    "protocols that can {verb} here: {}",
                    names::list(able)
                )),
            );
            return None;
        }
        if let Some(chain) = chain {
            if !names.protocol_on_chain(protocol, chain) {
                self.error(
                    Diagnostic::error(
                        Code::ProtocolNotOnChain,
                        format!(
                            "`{}` is not deployed on {}",
                            ident.name,
                            names.chain_name(chain)
                        ),
                        Label::new(ident.span, format!("not on {}", names.chain_name(chain))),
                    )
                    .with_hint(format!(
                        "`{}` is deployed on {}",
                        ident.name,
                        names::list(info.chains.iter().map(String::as_str))
                    )),
                );
                return None;
            }
        }
        Some(protocol)
    }

    pub(crate) fn block(&mut self, block: &Block, chain: Option<ChainId>) -> ResolvedBlock {
        let mut nodes = Vec::with_capacity(block.stmts.len());
        for stmt in &block.stmts {
            if let Some(node) = self.statement(stmt, chain) {
                nodes.push(node);
            }
        }
        ResolvedBlock { nodes }
    }

    fn statement(&mut self, stmt: &Stmt, chain: Option<ChainId>) -> Option<Node> {
        self.step_touched.clear();
        let node = match &stmt.kind {
            StmtKind::Let { name, action } => {
                self.action_statement(stmt, action, Some(name), chain)
            }
            StmtKind::Action(action) => self.action_statement(stmt, action, None, chain),
            StmtKind::Input(amount) => {
                let amt = self.token_amount(amount, Place::Body(chain));
                let kind = match (chain, amt) {
                    (Some(chain), Some(amt))
                        if self.token_available(amt.token, chain, amt.span) =>
                    {
                        self.touch_holding(chain, amt.token, stmt.span);
                        self.holdings.credit(
                            chain,
                            amt.token,
                            &amt.form,
                            Source::Input,
                            stmt.span,
                            &mut self.symbols,
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
                let l = self.token_amount(left, Place::Body(chain));
                let r = self.token_amount(right, Place::Body(chain));
                let kind = match (l, r) {
                    (Some(l), Some(r)) if l.token != r.token => {
                        let (ls, rs) = (self.names.symbol(l.token), self.names.symbol(r.token));
                        self.error(
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
                target.map(|t| Node::On {
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
                    }
                }
                None
            }
        };
        node
    }

    /// Records the statement's fact and wraps a resolved step.
    fn step(
        &mut self,
        stmt: &Stmt,
        chain: Option<ChainId>,
        kind: Option<StepKind>,
        binds: Option<VarId>,
    ) -> Option<Node> {
        let chain = chain?;
        let holdings = self
            .step_touched
            .iter()
            .map(|&(c, t)| {
                let (lower_bound, exact) = self.holdings.bounds(c, t, &self.symbols);
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
            Node::Step(Step {
                chain: chain_name,
                kind,
                binds,
                span: stmt.span,
            })
        })
    }

    pub(crate) fn resolved(&self, amt: Amt) -> ResolvedAmount {
        ResolvedAmount {
            exact: amt.form.exact(),
            expr: amt.expr,
            token: self.names.symbol(amt.token).to_string(),
            span: amt.span,
        }
    }

    fn action_statement(
        &mut self,
        stmt: &Stmt,
        action: &Action,
        binding: Option<&Ident>,
        chain: Option<ChainId>,
    ) -> Option<Node> {
        let outcome = self.action(action, chain);
        let has_value = !matches!(
            action.kind,
            ActionKind::Repay { .. } | ActionKind::Deposit { .. }
        );
        let binds = match binding {
            None => None,
            Some(name) => {
                let (token, form) = match outcome.value {
                    Some((token, form)) if has_value => (Some(token), Some(form)),
                    _ => (None, None),
                };
                // What the name holds, for the language server: its value
                // as the checker knows it at the `let`.
                if let (Some(token), Some(form)) = (token, &form) {
                    self.facts.amounts.push(crate::check::AmountFact {
                        span: name.span,
                        token: self.names.symbol(token).to_string(),
                        decimals: self.names.decimals(token),
                        exact: form.exact(),
                        lower_bound: self.symbols.lower_bound(form),
                    });
                }
                if !has_value {
                    let keyword = action.kind.keyword();
                    self.error(
                        Diagnostic::error(
                            Code::ActionWithoutValue,
                            format!("`{keyword}` has no value to bind"),
                            Label::new(action.keyword_span, format!("a {keyword} produces nothing")),
                        )
                        .with_label(Label::new(name.span, "so this name would be bound to nothing"))
                        .with_hint(format!(
                            "drop `let {} =`; only `borrow`, `withdraw`, `swap` and `bridge` produce a value",
                            name.name
                        )),
                    );
                }
                match self.scope.bind(&name.name, name.span, token, form) {
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
                        self.error(d);
                        None
                    }
                }
            }
        };
        self.step(stmt, chain, outcome.kind, binds)
    }

    fn action(&mut self, action: &Action, chain: Option<ChainId>) -> Outcome {
        let place = Place::Body(chain);
        let span = action.span;
        match &action.kind {
            ActionKind::Borrow { amount, protocol }
            | ActionKind::Repay { amount, protocol }
            | ActionKind::Deposit { amount, protocol }
            | ActionKind::Withdraw { amount, protocol } => {
                let verb = action.kind.keyword();
                let amt = self.token_amount(amount, place);
                let lender = self.resolve_protocol(protocol, ProtocolKind::Lender, verb, chain);
                let loan = matches!(
                    action.kind,
                    ActionKind::Borrow { .. } | ActionKind::Repay { .. }
                );
                let Some(chain) = chain else {
                    return Outcome::failed();
                };
                let (Some(amt), Some(lender)) = (amt.clone(), lender) else {
                    self.holdings.poison(chain, amt.map(|a| a.token));
                    if loan {
                        self.obligations.poison(chain, lender);
                    }
                    return Outcome::failed();
                };
                if !self.token_available(amt.token, chain, amt.span) {
                    self.holdings.poison(chain, Some(amt.token));
                    if loan {
                        self.obligations.poison(chain, Some(lender));
                    }
                    return Outcome::failed();
                }
                self.lender_action(&action.kind, chain, lender, amt, span)
            }
            ActionKind::Swap {
                amount,
                output,
                exchange,
            } => self.swap(amount, output, exchange, chain, span),
            ActionKind::Bridge {
                amount,
                destination,
                route,
            } => self.bridge(amount, destination, route.as_ref(), chain, span),
        }
    }

    fn lender_action(
        &mut self,
        kind: &ActionKind,
        chain: ChainId,
        lender: ProtocolId,
        amt: Amt,
        span: mesh_grammar::Span,
    ) -> Outcome {
        let token = amt.token;
        let name = self.names.protocol_name(lender).to_string();
        let premium_bps = self
            .names
            .protocol_info(lender)
            .map_or(0, |p| p.premium_bps);
        self.touch_holding(chain, token, span);
        match kind {
            ActionKind::Borrow { .. } => {
                self.touch_obligation(chain, lender, span);
                self.holdings.credit(
                    chain,
                    token,
                    &amt.form,
                    Source::Borrow,
                    span,
                    &mut self.symbols,
                );
                self.obligations
                    .borrow(chain, lender, token, &amt.form, span, &mut self.symbols);
                let value = Some((token, amt.form.clone()));
                Outcome {
                    kind: Some(StepKind::Borrow {
                        amount: self.resolved(amt),
                        protocol: name,
                        premium_bps,
                    }),
                    value,
                }
            }
            ActionKind::Withdraw { .. } => {
                self.holdings.credit(
                    chain,
                    token,
                    &amt.form,
                    Source::Withdraw,
                    span,
                    &mut self.symbols,
                );
                let value = Some((token, amt.form.clone()));
                Outcome {
                    kind: Some(StepKind::Withdraw {
                        amount: self.resolved(amt),
                        protocol: name,
                    }),
                    value,
                }
            }
            ActionKind::Deposit { .. } => {
                let spend = Spend {
                    total: &amt.form,
                    premium: None,
                    span,
                };
                if let Some(d) =
                    self.holdings
                        .spend(chain, token, &spend, &mut self.symbols, self.names)
                {
                    self.error(d);
                }
                Outcome {
                    kind: Some(StepKind::Deposit {
                        amount: self.resolved(amt),
                        protocol: name,
                    }),
                    value: None,
                }
            }
            _ => {
                // Repay: principal plus premium leave the holding.
                self.touch_obligation(chain, lender, span);
                let premium = premium(&amt.form, premium_bps, &mut self.symbols);
                let total = premium.as_ref().and_then(|p| amt.form.add(p));
                let (Some(premium), Some(total)) = (premium, total) else {
                    self.error(
                        Diagnostic::error(
                            Code::OutOfRange,
                            "the repay with its premium is out of range",
                            Label::new(amt.span, "too large"),
                        )
                        .with_hint("amounts are exact integers in base units up to 2^127 - 1"),
                    );
                    self.holdings.poison(chain, Some(token));
                    self.obligations.poison(chain, Some(lender));
                    return Outcome::failed();
                };
                if let Some(d) = self.obligations.repay(
                    chain,
                    lender,
                    token,
                    &amt.form,
                    span,
                    &mut self.symbols,
                    self.names,
                ) {
                    self.error(d);
                }
                let spend = Spend {
                    total: &total,
                    premium: Some(&premium),
                    span,
                };
                if let Some(d) =
                    self.holdings
                        .spend(chain, token, &spend, &mut self.symbols, self.names)
                {
                    self.error(d);
                }
                Outcome {
                    kind: Some(StepKind::Repay {
                        amount: self.resolved(amt),
                        protocol: name,
                        premium_bps,
                    }),
                    value: None,
                }
            }
        }
    }

    fn swap(
        &mut self,
        amount: &mesh_grammar::Amount,
        output: &SwapOutput,
        exchange: &Ident,
        chain: Option<ChainId>,
        span: mesh_grammar::Span,
    ) -> Outcome {
        let place = Place::Body(chain);
        let input = self.token_amount(amount, place);
        let (output_token, bound, output_span) = match output {
            SwapOutput::AtLeast(m) => {
                let bound = self.token_amount(m, place);
                (bound.as_ref().map(|b| b.token), bound, m.span)
            }
            SwapOutput::Token(symbol) => {
                self.diagnostics.push(
                    Diagnostic::warning(
                        Code::UnboundedSwap,
                        format!("unbounded swap into {}", symbol.name),
                        Label::new(symbol.span, "no minimum output"),
                    )
                    .with_hint(format!(
                        "without a bound the swap may return almost nothing, and the checker can guarantee none of its output; write `for M {}` to revert below M",
                        symbol.name
                    )),
                );
                (
                    self.resolve_token(&symbol.name, symbol.span),
                    None,
                    symbol.span,
                )
            }
        };
        let exchange_id = self.resolve_protocol(exchange, ProtocolKind::Exchange, "swap", chain);
        let Some(chain) = chain else {
            return Outcome::failed();
        };
        let (Some(input), Some(output_token), Some(exchange_id)) =
            (input.clone(), output_token, exchange_id)
        else {
            // Which holding the output would have gone to may be unknown.
            self.holdings.poison(chain, input.map(|i| i.token));
            match output_token {
                Some(t) => self.holdings.poison(chain, Some(t)),
                None => self.holdings.poison(chain, None),
            }
            return Outcome::failed();
        };
        if input.token == output_token {
            let symbol = self.names.symbol(output_token);
            self.error(
                Diagnostic::error(
                    Code::SwapToSameToken,
                    format!("swap of {symbol} for {symbol}"),
                    Label::new(output_span, format!("this is {symbol} too")),
                )
                .with_label(Label::new(input.span, format!("this sells {symbol}")))
                .with_hint("a swap sells one token for another; name the token to buy"),
            );
            self.holdings.poison(chain, Some(output_token));
            return Outcome::failed();
        }
        let input_ok = self.token_available(input.token, chain, input.span);
        let output_ok = self.token_available(output_token, chain, output_span);
        if !(input_ok && output_ok) {
            self.holdings.poison(chain, Some(input.token));
            self.holdings.poison(chain, Some(output_token));
            return Outcome::failed();
        }
        self.touch_holding(chain, input.token, span);
        self.touch_holding(chain, output_token, span);
        let spend = Spend {
            total: &input.form,
            premium: None,
            span,
        };
        if let Some(d) =
            self.holdings
                .spend(chain, input.token, &spend, &mut self.symbols, self.names)
        {
            self.error(d);
        }
        // What comes out is the bound plus a slack that is at least zero.
        let slack = Form::symbol(self.symbols.fresh(0, None));
        let received = match &bound {
            Some(b) => b.form.add(&slack).unwrap_or_else(|| {
                let lower = self.symbols.lower_bound(&b.form);
                Form::symbol(self.symbols.fresh(lower, None))
            }),
            None => slack,
        };
        self.holdings.credit(
            chain,
            output_token,
            &received,
            Source::Swap {
                bounded: bound.is_some(),
            },
            span,
            &mut self.symbols,
        );
        Outcome {
            kind: Some(StepKind::Swap {
                amount: self.resolved(input),
                output_token: self.names.symbol(output_token).to_string(),
                min_output: bound.map(|b| self.resolved(b)),
                exchange: self.names.protocol_name(exchange_id).to_string(),
            }),
            value: Some((output_token, received)),
        }
    }

    fn bridge(
        &mut self,
        amount: &mesh_grammar::Amount,
        destination: &Ident,
        route: Option<&Ident>,
        chain: Option<ChainId>,
        span: mesh_grammar::Span,
    ) -> Outcome {
        let amt = self.token_amount(amount, Place::Body(chain));
        let to = self.resolve_chain(&destination.name, destination.span);
        let kind = match route {
            Some(ident) => match BridgeKind::from_name(&ident.name) {
                Some(kind) => Some(Some(kind)),
                None => {
                    self.error(names::unknown(
                        Code::UnknownRoute,
                        "bridge kind",
                        &ident.name,
                        ident.span,
                        BridgeKind::ALL.iter().map(|k| k.as_str()),
                    ));
                    None
                }
            },
            None => Some(None),
        };
        let poison = |c: &mut Self, from: Option<ChainId>, token: Option<TokenId>| {
            for chain in [from, to].into_iter().flatten() {
                c.holdings.poison(chain, token);
            }
        };
        let (Some(from), Some(to), Some(kind)) = (chain, to, kind) else {
            poison(self, chain, amt.map(|a| a.token));
            return Outcome::failed();
        };
        if from == to {
            let name = self.names.chain_name(to);
            self.error(
                Diagnostic::error(
                    Code::BridgeToSameChain,
                    format!("bridge from {name} to {name}"),
                    Label::new(
                        destination.span,
                        format!("this statement already runs on {name}"),
                    ),
                )
                .with_hint("a bridge moves funds to another chain; drop it, or name another chain"),
            );
            poison(self, chain, amt.map(|a| a.token));
            return Outcome::failed();
        }
        let floor = self.min_security.map(|(k, _)| k.trust_level());
        let routes = match kind {
            Some(kind) => self.names.route(from, to, kind).map(|r| (r, r)),
            None => self.names.most_trusted_route(from, to).map(|o0| {
                // Without an admissible cheaper one, -O keeps the -O0 route.
                (o0, self.names.cheapest_route(from, to, floor).unwrap_or(o0))
            }),
        };
        let Some((o0, o)) = routes else {
            self.no_route(from, to, kind, route.map_or(destination.span, |r| r.span));
            poison(self, chain, amt.map(|a| a.token));
            return Outcome::failed();
        };
        if let Some((required, at)) = self.min_security {
            if o0.security < required.trust_level() {
                let here = route.map_or(destination.span, |r| r.span);
                self.below_min_security(o0, kind.is_some(), here, required, at);
            }
        }
        let Some(amt) = amt else {
            poison(self, chain, None);
            return Outcome::failed();
        };
        let here = self.token_available(amt.token, from, amt.span);
        let there = here && self.token_available(amt.token, to, destination.span);
        if !there {
            poison(self, chain, Some(amt.token));
            return Outcome::failed();
        }
        self.touch_holding(from, amt.token, span);
        self.touch_holding(to, amt.token, span);
        let spend = Spend {
            total: &amt.form,
            premium: None,
            span,
        };
        if let Some(d) = self
            .holdings
            .spend(from, amt.token, &spend, &mut self.symbols, self.names)
        {
            self.error(d);
        }
        let Some(arrived) = self.arrival(&amt.form, o0) else {
            self.error(
                Diagnostic::error(
                    Code::OutOfRange,
                    "the bridge fee on this amount is out of range",
                    Label::new(amt.span, "too large"),
                )
                .with_hint("amounts are exact integers in base units up to 2^127 - 1"),
            );
            self.holdings.poison(to, Some(amt.token));
            return Outcome::failed();
        };
        self.holdings.credit(
            to,
            amt.token,
            &arrived,
            Source::Bridge,
            span,
            &mut self.symbols,
        );
        let choice = |r: &RouteInfo| RouteChoice {
            kind: r.kind,
            delay_blocks: r.delay_blocks,
            gas: r.gas,
            fee_bps: r.fee_bps,
        };
        let token = amt.token;
        Outcome {
            kind: Some(StepKind::Bridge {
                amount: self.resolved(amt),
                destination: self.names.chain_name(to).to_string(),
                route: BridgeRoute {
                    pinned: kind.is_some(),
                    o0: choice(o0),
                    o: choice(o),
                },
            }),
            value: Some((token, arrived)),
        }
    }

    /// What a bridge delivers: the amount less the fee of the `-O0` route
    /// (the optimiser only picks routes with no higher fee).
    fn arrival(&mut self, amount: &Form, route: &RouteInfo) -> Option<Form> {
        if let Some(exact) = amount.exact() {
            let fee = route.fee_on(exact)?;
            return Form::constant(exact.checked_sub(fee)?);
        }
        let lower = self.symbols.lower_bound(amount);
        // a − fee(a) grows with a, so its bound is taken at a's bound.
        let lower = route
            .fee_on(lower)
            .and_then(|fee| lower.checked_sub(fee))
            .unwrap_or(0);
        Some(Form::symbol(
            self.symbols.fresh(lower, Some((amount.clone(), 1))),
        ))
    }

    /// E0703: the route a bridge takes at `-O0` (its pinned one, or the
    /// most trusted of the pair) is less secure than `min_security` allows.
    fn below_min_security(
        &mut self,
        route: &RouteInfo,
        pinned: bool,
        span: mesh_grammar::Span,
        required: BridgeKind,
        at: mesh_grammar::Span,
    ) {
        let (a, b, kind) = (&route.from, &route.to, route.kind);
        let (message, label, hint) = if pinned {
            (
                format!(
                    "the `{kind}` route from {a} to {b} is less secure than `min_security: {required}` allows"
                ),
                format!("security {}", route.security),
                format!(
                    "pin a route of security {} or more, drop `via` to let the compiler choose, or lower `min_security`",
                    required.trust_level()
                ),
            )
        } else {
            (
                format!(
                    "no route from {a} to {b} is as secure as `min_security: {required}` demands"
                ),
                format!(
                    "the most trusted route is `{kind}`, security {}",
                    route.security
                ),
                "bridge through a chain with a more secure route, or lower `min_security`"
                    .to_string(),
            )
        };
        self.error(
            Diagnostic::error(
                Code::RouteBelowMinSecurity,
                message,
                Label::new(span, label),
            )
            .with_label(Label::new(
                at,
                format!("demands security {} or more", required.trust_level()),
            ))
            .with_hint(hint),
        );
    }

    fn no_route(
        &mut self,
        from: ChainId,
        to: ChainId,
        kind: Option<BridgeKind>,
        span: mesh_grammar::Span,
    ) {
        let (a, b) = (self.names.chain_name(from), self.names.chain_name(to));
        let serving: Vec<&str> = self
            .names
            .routes(from, to)
            .map(|r| r.kind.as_str())
            .collect();
        let d = match kind {
            Some(kind) if !serving.is_empty() => Diagnostic::error(
                Code::NoRoute,
                format!("no `{kind}` route from {a} to {b}"),
                Label::new(span, format!("`{kind}` does not serve {a} to {b}")),
            )
            .with_hint(format!(
                "from {a} to {b}, the routes are {}; or drop `via` to let the compiler choose",
                names::list(serving)
            )),
            _ => Diagnostic::error(
                Code::NoRoute,
                format!("no bridge serves {a} to {b}"),
                Label::new(span, "no route"),
            )
            .with_hint("bridge through a chain that has routes to both"),
        };
        self.error(d);
    }
}
