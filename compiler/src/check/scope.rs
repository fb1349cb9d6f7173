//! Let-bound values: binding, visibility and use.
//!
//! A binding is visible from the statement after it to the end of the
//! bundle, inside later `on` blocks too. A binding made in a `parallel`
//! branch is hidden from the sibling branches and visible after the whole
//! `parallel` statement. A name may be bound once per bundle (E0201).

use super::names::{self, TokenId};
use super::resolved::VarId;
use super::symbolic::SymbolicAmount;
use crate::diagnostic::{Applicability, Code, Diagnostic, Label};
use mesh_grammar::Span;
use std::collections::HashMap;

#[derive(Clone, Debug)]
pub(crate) struct VarState {
    pub name: String,
    /// The name in `let NAME = ...`.
    pub span: Span,
    /// `let NAME = ` from `let` up to the action: what binds the value.
    pub binding: Option<Span>,
    /// `None` when the binding had an error: uses then say nothing more.
    pub token: Option<TokenId>,
    pub value: Option<SymbolicAmount>,
    pub uses: u32,
}

/// What a use of a value refers to.
#[derive(Clone, Debug)]
pub(crate) struct VarUse {
    pub id: VarId,
    pub def: Span,
    pub token: Option<TokenId>,
    pub value: Option<SymbolicAmount>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Scope {
    pub vars: Vec<VarState>,
    visible: HashMap<String, VarId>,
    /// Every name bound so far in the bundle, visible or not.
    bound: HashMap<String, VarId>,
    /// For each `parallel` being checked, the bindings of the branch being
    /// checked and of the branches already checked.
    branches: Vec<(Vec<VarId>, Vec<VarId>)>,
}

impl Scope {
    /// Binds a name; a second binding is E0201 and keeps the first.
    pub fn bind(
        &mut self,
        name: &str,
        span: Span,
        token: Option<TokenId>,
        value: Option<SymbolicAmount>,
    ) -> Result<VarId, Diagnostic> {
        if let Some(&first) = self.bound.get(name) {
            let first_span = self.vars.get(first.0 as usize).map_or(span, |v| v.span);
            return Err(Diagnostic::error(
                Code::DuplicateVariable,
                format!("`{name}` is bound twice in this bundle"),
                Label::new(span, "bound again here"),
            )
            .with_label(Label::new(first_span, "first bound here"))
            .with_hint("give each value of a bundle its own name"));
        }
        let id = VarId(u32::try_from(self.vars.len()).unwrap_or(u32::MAX));
        self.vars.push(VarState {
            name: name.to_string(),
            span,
            binding: None,
            token,
            value,
            uses: 0,
        });
        self.bound.insert(name.to_string(), id);
        self.visible.insert(name.to_string(), id);
        if let Some((current, _)) = self.branches.last_mut() {
            current.push(id);
        }
        Ok(id)
    }

    /// Looks up a use of a name and counts it.
    pub fn lookup(&mut self, name: &str, span: Span) -> Result<VarUse, Diagnostic> {
        if let Some(&id) = self.visible.get(name) {
            if let Some(state) = self.vars.get_mut(id.0 as usize) {
                state.uses = state.uses.saturating_add(1);
                return Ok(VarUse {
                    id,
                    def: state.span,
                    token: state.token,
                    value: state.value.clone(),
                });
            }
        }
        if let Some(&id) = self.bound.get(name) {
            let def = self.vars.get(id.0 as usize).map_or(span, |v| v.span);
            // Count it as used: the problem is where, not whether.
            if let Some(state) = self.vars.get_mut(id.0 as usize) {
                state.uses = state.uses.saturating_add(1);
            }
            return Err(Diagnostic::error(
                Code::UnknownVariable,
                format!("`{name}` is not visible here"),
                Label::new(span, "bound in another branch of the `parallel`"),
            )
            .with_label(Label::new(def, "bound here"))
            .with_hint(
                "branches of a `parallel` are independent: a value bound in one branch is visible only after the whole `parallel`",
            ));
        }
        let diagnostic = Diagnostic::error(
            Code::UnknownVariable,
            format!("unknown value `{name}`"),
            Label::new(span, "nothing of this name is bound before this point"),
        );
        let visible = self.visible.keys().map(String::as_str);
        let close = names::suggest(name, visible).map(str::to_string);
        // The value the use most likely meant is not also "never used".
        if let Some(state) = close
            .as_ref()
            .and_then(|c| self.visible.get(c))
            .and_then(|id| self.vars.get_mut(id.0 as usize))
        {
            state.uses = state.uses.saturating_add(1);
        }
        Err(match close {
            Some(close) => diagnostic
                .with_hint(format!("did you mean `{close}`?"))
                .with_fix(span, close.as_str(), Applicability::MaybeIncorrect),
            None if self.visible.is_empty() => diagnostic.with_hint(
                "no value is bound before this point; bind one with `let NAME = ...` first",
            ),
            None => {
                let mut known: Vec<&str> = self.visible.keys().map(String::as_str).collect();
                known.sort_unstable();
                known.truncate(8);
                diagnostic.with_hint(format!("the values bound here are {}", names::list(known)))
            }
        })
    }

    pub fn begin_parallel(&mut self) {
        self.branches.push((Vec::new(), Vec::new()));
    }

    /// Hides the bindings of the branch just checked from the next one.
    pub fn end_branch(&mut self) {
        if let Some((current, done)) = self.branches.last_mut() {
            for id in current.drain(..) {
                if let Some(v) = self.vars.get(id.0 as usize) {
                    self.visible.remove(&v.name);
                }
                done.push(id);
            }
        }
    }

    /// Makes every branch's bindings visible after the `parallel`.
    pub fn end_parallel(&mut self) {
        let Some((current, done)) = self.branches.pop() else {
            return;
        };
        for id in done.into_iter().chain(current) {
            if let Some(v) = self.vars.get(id.0 as usize) {
                self.visible.insert(v.name.clone(), id);
            }
            if let Some((outer, _)) = self.branches.last_mut() {
                outer.push(id);
            }
        }
    }
}
