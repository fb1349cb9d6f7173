//! meshc: the compiler for the Mesh bundle language.
//!
//! The pipeline (see docs/architecture.md): [`syntax`] parses a source file
//! into a spanned tree and turns syntax errors into diagnostics; [`check`]
//! resolves names and proves the bundle's guarantees (token types, chains,
//! capabilities, holdings, obligations, time, parallel independence);
//! [`diagnostic`] renders every problem for people and tools; [`driver`]
//! runs the phases over a file.

pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod driver;
pub mod format;
pub mod interp;
pub mod ir;
pub mod link;
pub mod lower;
pub mod lsp;
pub mod opt;
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
