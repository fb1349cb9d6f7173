//! Parallel independence (rule 9): the branches of a `parallel` may not
//! touch the same (chain, token) holding, the same (chain, lender)
//! obligation or the same (chain, lender) position.

use super::bundle::BundleChecker;
use super::names::{ChainId, ProtocolId, TokenId};
use super::resolved::ResolvedStatement;
use crate::diagnostic::{Code, Diagnostic, Label};
use mesh_grammar::{Block, Span};
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    Holding(ChainId, TokenId),
    Obligation(ChainId, ProtocolId),
    /// The user's collateral and debt at a lender.
    Position(ChainId, ProtocolId),
}

/// What one branch touches, each resource with the first statement that
/// touched it, in order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Touches {
    seen: HashSet<Resource>,
    order: Vec<(Resource, Span)>,
}

impl Touches {
    fn add(&mut self, resource: Resource, span: Span) {
        if self.seen.insert(resource) {
            self.order.push((resource, span));
        }
    }
}

impl BundleChecker<'_, '_> {
    pub(crate) fn touch_holding(&mut self, chain: ChainId, token: TokenId, span: Span) {
        if !self.step_touched.contains(&(chain, token)) {
            self.step_touched.push((chain, token));
        }
        if let Some(touches) = self.touches.last_mut() {
            touches.add(Resource::Holding(chain, token), span);
        }
    }

    pub(crate) fn touch_obligation(&mut self, chain: ChainId, protocol: ProtocolId, span: Span) {
        if let Some(touches) = self.touches.last_mut() {
            touches.add(Resource::Obligation(chain, protocol), span);
        }
    }

    pub(crate) fn touch_position(&mut self, chain: ChainId, protocol: ProtocolId, span: Span) {
        if let Some(touches) = self.touches.last_mut() {
            touches.add(Resource::Position(chain, protocol), span);
        }
    }

    /// Checks a `parallel` statement: each branch in turn (each sees only
    /// what was bound before the `parallel`), then their independence.
    pub(crate) fn parallel(
        &mut self,
        branches: &[Block],
        chain: Option<ChainId>,
        span: Span,
    ) -> ResolvedStatement {
        self.scope.begin_parallel();
        let mut resolved = Vec::with_capacity(branches.len());
        let mut touched = Vec::with_capacity(branches.len());
        for branch in branches {
            self.touches.push(Touches::default());
            resolved.push(self.block(branch, chain));
            touched.push(self.touches.pop().unwrap_or_default());
            self.scope.end_branch();
        }
        self.scope.end_parallel();

        let mut owner: HashMap<Resource, (usize, Span)> = HashMap::new();
        let mut reported: HashSet<(usize, usize)> = HashSet::new();
        for (i, touches) in touched.iter().enumerate() {
            for &(resource, at) in &touches.order {
                match owner.get(&resource) {
                    Some(&(j, first)) if j != i => {
                        if reported.insert((j, i)) {
                            let d = self.interference(resource, first, at);
                            self.report(d);
                        }
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(resource, (i, at));
                    }
                }
            }
        }
        // The enclosing branch, if any, touches all that its parallel does.
        if let Some(outer) = self.touches.last_mut() {
            for touches in &touched {
                for &(resource, at) in &touches.order {
                    outer.add(resource, at);
                }
            }
        }
        ResolvedStatement::Parallel {
            branches: resolved,
            span,
        }
    }

    fn interference(&self, resource: Resource, first: Span, second: Span) -> Diagnostic {
        let what = match resource {
            Resource::Holding(chain, token) => format!(
                "the {} holding on {}",
                self.names.symbol(token),
                self.names.chain_name(chain)
            ),
            Resource::Obligation(chain, protocol) => format!(
                "the obligation to {} on {}",
                self.names.protocol_name(protocol),
                self.names.chain_name(chain)
            ),
            Resource::Position(chain, protocol) => format!(
                "the position at {} on {}",
                self.names.protocol_name(protocol),
                self.names.chain_name(chain)
            ),
        };
        Diagnostic::error(
            Code::InterferingBranches,
            format!("parallel branches both touch {what}"),
            Label::new(second, format!("this touches {what}")),
        )
        .with_label(Label::new(first, "and so does this, in another branch"))
        .with_hint(match resource {
            Resource::Position(..) => "branches of a `parallel` must touch disjoint holdings, obligations and positions; run these steps one after the other instead",
            _ => "branches of a `parallel` must touch disjoint holdings and obligations; run these steps one after the other instead",
        })
    }
}
