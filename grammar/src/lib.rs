//! The syntax of the Mesh bundle language: a logos lexer, a lalrpop parser
//! with error recovery, and a spanned syntax tree. Nothing semantic lives
//! here; names, tokens and amounts are resolved by the compiler's checker.

pub mod ast;

pub use ast::*;
