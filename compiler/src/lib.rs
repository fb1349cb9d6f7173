//! meshc: the compiler for the Mesh bundle language (docs/architecture.md).
//!
//! Module map, each stage depending only on those listed before it:
//!
//! - [`diagnostic`]: the one neutral `Diagnostic` type, its stable codes,
//!   and its two renderers (ariadne for people, JSON for tools);
//! - [`level`]: the optimisation levels;
//! - [`syntax`]: parses a source file into a spanned tree and turns syntax
//!   errors into diagnostics;
//! - [`check`]: resolves names against the registry and proves the
//!   bundle's guarantees (token types, chains, capabilities, holdings,
//!   obligations, time, parallel independence);
//! - [`ir`]: the categorical IR, its verifier, its text form and its static
//!   gas;
//! - [`lower`]: a checked bundle to the IR, as a user runs it by hand
//!   (`-O0`);
//! - [`opt`]: the optimiser's law-preserving rewrites (`-O`);
//! - [`search`]: the exact optimum of those laws, by a search that shares
//!   nothing with [`opt`] but the IR and the meter (`meshc gas` judges `-O`
//!   with it);
//! - [`pipeline`]: runs the stages above in order, and judges `deadline`
//!   and `max_gas` on the lowering; everything above it is called through it;
//! - [`interp`]: runs the IR through the runtime's Rust API (the oracle);
//! - [`evm`]: the EVM lowering (a transaction plan for the real
//!   contracts) and the EVM engine that runs it;
//! - [`codegen`] and [`link`]: Cranelift, for the JIT and for linked
//!   executables;
//! - [`format`]: `meshc fmt`; [`lsp`]: `meshc lsp`.

pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod evm;
pub mod format;
pub mod interp;
pub mod ir;
pub mod level;
pub mod link;
pub mod lower;
pub mod lsp;
pub mod opt;
pub mod pipeline;
pub mod search;
pub mod syntax;

#[cfg(test)]
mod tests {
    /// The runtime keeps its own copy of the keywords (it does not depend on
    /// the grammar crate) to refuse world names no source could write.
    #[test]
    fn the_runtime_reserves_exactly_the_grammars_keywords() {
        assert_eq!(mesh_runtime::world::RESERVED_WORDS, mesh_grammar::KEYWORDS,);
    }
}
