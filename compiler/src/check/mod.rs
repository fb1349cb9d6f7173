//! The checker: names, token types, chains, capabilities, holdings,
//! obligations, time and parallel independence (every
//! rule and every choice is written down in docs/checking.md).
//!
//! [`check`] reads a parsed file against a registry and returns every
//! diagnostic of this phase together with a resolved form of each bundle
//! ([`CheckedBundle`]) that a lowering can use without resolving names again,
//! and [`Facts`] for the language server.
//!
//! Module map:
//!
//! - [`names`] interns the registry (chains, tokens, protocols, routes) and
//!   suggests names; `resolve` resolves the names a statement uses, with
//!   their diagnostics (rules 1 and 4).
//! - `symbolic` holds the symbolic amounts the holdings are made of:
//!   linear forms over unknowns known by their bounds.
//! - `amount` types and resolves amount expressions (rules 3 and 10).
//! - `bundle` walks a bundle's statements (chains, `input`, `require`,
//!   `on`, `let`); `actions` applies each action's effect, one module per
//!   kind (`lending`, `swap`, `bridge`, `wrap`).
//! - `pairs` is what the checker may know of the world's exchange pairs.
//! - `holdings` and `obligations` prove rule 5 and rule 6, `positions`
//!   what the bundle states of the user's debts and collateral; `scope` binds
//!   and looks up let-bound values; `parallel` enforces rule 9.
//! - `schedule` counts blocks; `constraints` reads the constraints block and
//!   judges the deadline (rule 8); `warnings` adds the warnings that need
//!   the whole bundle.
//! - `resolved` is the checked form of a bundle that the lowering reads;
//!   `facts` is what the language server reads; `tests` are unit tests of
//!   the whole checker.

mod actions;
mod amount;
mod bundle;
mod constraints;
pub(crate) use constraints::{deadline_missed, deadline_time_missed};
mod facts;
mod holdings;
pub mod names;
mod obligations;
mod pairs;
pub use pairs::{LenderState, Pairs};
mod parallel;
mod positions;
mod resolve;
mod resolved;
mod schedule;
mod scope;
mod symbolic;
mod warnings;

pub use facts::{AmountFact, Definition, Facts, HoldingFact, StatementFact};
pub use resolved::{
    AmountExpr, Approval, Approvals, BridgeRoute, CheckedBundle, Invariant, MinBalance,
    ResolvedAmount, ResolvedBlock, ResolvedConstraints, ResolvedStatement, RouteChoice, Step,
    StepKind, UnbackedLoan, VarId, Variable,
};

use crate::diagnostic::{self, Code, Diagnostic, Label};
use mesh_core::registry::{RegistryError, TokenDeclaration};
use mesh_core::Registry;
use mesh_grammar::{File, Item, Span};
use std::collections::HashMap;

pub use crate::level::OptLevel;

/// What the checker is asked: the level whose lowering `deadline` is
/// judged on (the time model predicts the blocks of both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckOptions {
    pub level: OptLevel,
}

/// The result of checking one file.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Errors and warnings of this phase, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The registry the file was checked against, extended by its `token`
    /// declarations.
    pub registry: Registry,
    /// The file's `token` declarations that extend it, in source order: what
    /// a run adds to its world's registry.
    pub declarations: Vec<TokenDeclaration>,
    /// One per bundle of the file, in source order, also for bundles with
    /// errors (best effort: steps with errors are left out of their tree).
    pub bundles: Vec<CheckedBundle>,
    pub facts: Facts,
    /// Which reserves the user supplies and owes at each lender of the
    /// world the file was checked against (none without one): what the
    /// lowering gives each program for the gas of its lender calls.
    pub reserves: crate::ir::LenderReserves,
}

impl Checked {
    /// Whether any diagnostic of this phase is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks a parsed file against `registry`.
pub fn check(file: &File, registry: &Registry, options: &CheckOptions) -> Checked {
    check_with_pairs(file, registry, None, options)
}

/// Checks a parsed file against `registry` and, when given, the exchange
/// pairs of the world it will run on: a swap through a pair the world does
/// not have is then an error (E0414) rather than a revert at run time.
pub fn check_with_pairs(
    file: &File,
    registry: &Registry,
    pairs: Option<&Pairs>,
    options: &CheckOptions,
) -> Checked {
    let mut diagnostics = Vec::new();
    let mut facts = Facts::default();
    let mut registry = registry.clone();
    let (declared, declarations) = declare_tokens(file, &mut registry, &mut diagnostics);

    let mut names = names::Names::new(&registry, declared);
    names.pairs = pairs;
    let mut bundles = Vec::new();
    let mut bundle_names: HashMap<&str, Span> = HashMap::new();
    for item in &file.items {
        let Item::Bundle(bundle) = item else { continue };
        if let Some(&first) = bundle_names.get(bundle.name.name.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateBundle,
                    format!("bundle `{}` is defined twice", bundle.name.name),
                    Label::new(bundle.name.span, "defined again here"),
                )
                .with_label(Label::new(first, "first defined here"))
                .with_hint("give each bundle of a file its own name"),
            );
        } else {
            bundle_names.insert(&bundle.name.name, bundle.name.span);
        }
        bundles.push(bundle::check_bundle(
            bundle,
            &names,
            options,
            &mut diagnostics,
            &mut facts,
        ));
    }
    drop(names);
    if let Some(d) = no_bundle(file) {
        diagnostics.push(d);
    }
    diagnostic::sort(&mut diagnostics);
    Checked {
        diagnostics,
        registry,
        declarations,
        bundles,
        facts,
        reserves: pairs.map(|p| p.reserves().clone()).unwrap_or_default(),
    }
}

/// W0006 for a file that holds no bundle and no item the parser could not
/// read (that one has its own error): checking it proves nothing.
fn no_bundle(file: &File) -> Option<Diagnostic> {
    let mut first_token = None;
    for item in &file.items {
        match item {
            Item::Bundle(_) | Item::Error(_) => return None,
            Item::Token(decl) => {
                first_token.get_or_insert(decl.span);
            }
        }
    }
    let label = match first_token {
        Some(span) => Label::new(span, "this file declares tokens, and nothing uses them"),
        None => Label::new(Span::new(0, 0), "nothing but whitespace and comments"),
    };
    Some(
        Diagnostic::warning(Code::NoBundle, "this file holds no bundle", label).with_hint(
            "a file is checked for its bundles: write one, as in `bundle NAME on polygon { ... }`",
        ),
    )
}

/// Applies every `token` declaration of the file (wherever it stands: a
/// declaration is file-wide) and returns where each declared symbol was
/// first declared, and the declarations that extend the registry.
fn declare_tokens(
    file: &File,
    registry: &mut Registry,
    diagnostics: &mut Vec<Diagnostic>,
) -> (HashMap<String, Span>, Vec<TokenDeclaration>) {
    let mut declared: HashMap<String, Span> = HashMap::new();
    // Where the file first gives each symbol an address.
    let mut declared_at: HashMap<String, Span> = HashMap::new();
    let mut declarations = Vec::new();
    for item in &file.items {
        let Item::Token(decl) = item else { continue };
        let symbol = &decl.symbol.name;
        let Some(decimals) = amount::whole_number(&decl.decimals, u64::from(u8::MAX), diagnostics)
        else {
            continue;
        };
        let decimals = u32::try_from(decimals).unwrap_or(u32::MAX);
        let declaration = TokenDeclaration {
            symbol: symbol.clone(),
            decimals,
            address: decl.address.as_ref().map(|a| a.text.clone()),
        };
        match registry.declare(&declaration) {
            Ok(()) => {
                declared.entry(symbol.clone()).or_insert(decl.symbol.span);
                if decl.address.is_some() {
                    declared_at
                        .entry(symbol.clone())
                        .or_insert(decl.symbol.span);
                }
                declarations.push(declaration);
            }
            Err(RegistryError::ConflictingDecimals { existing, .. }) => {
                let mut d = Diagnostic::error(
                    Code::ConflictingToken,
                    format!("token {symbol} is already known with {existing} decimals"),
                    Label::new(decl.decimals.span, format!("this says {decimals}")),
                );
                if let Some(&first) = declared.get(symbol) {
                    d = d.with_label(Label::new(first, format!("declared with {existing} here")));
                } else {
                    let default = Registry::default_registry()
                        .token(symbol)
                        .is_some_and(|t| t.decimals == existing);
                    let whose = if default {
                        "a token of the default registry"
                    } else {
                        "a token of the world the file is checked against"
                    };
                    d = d.with_hint(format!(
                        "{symbol} is {whose}, with {existing} decimals; declare it with `decimals {existing}` or choose another symbol"
                    ));
                }
                diagnostics.push(d);
            }
            Err(RegistryError::ConflictingAddress {
                existing, declared, ..
            }) => {
                let span = decl.address.as_ref().map_or(decl.span, |a| a.span);
                let mut d = Diagnostic::error(
                    Code::ConflictingAddress,
                    format!("token {symbol} is already known at {existing}"),
                    Label::new(span, format!("this says {declared}")),
                );
                if let Some(&first) = declared_at.get(symbol) {
                    d = d
                        .with_label(Label::new(first, format!("declared at {existing} here")))
                        .with_hint(format!(
                            "one token has one address: keep {existing}, or give the other token another symbol"
                        ));
                } else {
                    // The default registry's tokens have no address: the
                    // address is the world's.
                    d = d.with_hint(format!(
                        "{symbol} is a token of the world the file is checked against, at {existing}; declare it at that address, drop `at {declared}`, or give this token another symbol"
                    ));
                }
                diagnostics.push(d);
            }
            Err(RegistryError::TooManyDecimals { .. }) => diagnostics.push(
                Diagnostic::error(
                    Code::OutOfRange,
                    format!("token {symbol} declares {decimals} decimals"),
                    Label::new(decl.decimals.span, "more than 30 decimals"),
                )
                .with_hint(format!(
                    "a token may have at most {} decimals",
                    mesh_core::registry::MAX_DECIMALS
                )),
            ),
        }
    }
    (declared, declarations)
}

#[cfg(test)]
mod tests;
