//! What the checker learnt about each place of the file, for hover and
//! go-to-definition in the language server.

use mesh_grammar::Span;

/// An amount expression: its token and what the checker knows of its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountFact {
    pub span: Span,
    pub token: String,
    pub decimals: u8,
    /// The exact value in base units, when known.
    pub exact: Option<u128>,
    /// The guaranteed lower bound in base units.
    pub lower_bound: u128,
}

/// A holding after a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldingFact {
    pub chain: String,
    pub token: String,
    pub decimals: u8,
    pub exact: Option<u128>,
    pub lower_bound: u128,
}

/// A statement: where it runs, in which transaction, and what it leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementFact {
    pub span: Span,
    pub chain: String,
    /// The 0-based transaction of the bundle that carries the action at the
    /// optimisation level in force (`None` for `input`, `require`, blocks).
    pub transaction: Option<usize>,
    /// The holdings the statement touches, after it.
    pub holdings: Vec<HoldingFact>,
}

/// A use of a name and the place that defines it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Definition {
    pub use_span: Span,
    pub def_span: Span,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub amounts: Vec<AmountFact>,
    pub statements: Vec<StatementFact>,
    pub definitions: Vec<Definition>,
}

impl Facts {
    /// The innermost amount fact covering `offset`.
    pub fn amount_at(&self, offset: usize) -> Option<&AmountFact> {
        self.amounts
            .iter()
            .filter(|f| f.span.contains(offset))
            .min_by_key(|f| f.span.len())
    }

    /// The innermost statement fact covering `offset`.
    pub fn statement_at(&self, offset: usize) -> Option<&StatementFact> {
        self.statements
            .iter()
            .filter(|f| f.span.contains(offset))
            .min_by_key(|f| f.span.len())
    }

    /// Where the name used at `offset` is defined.
    pub fn definition_at(&self, offset: usize) -> Option<Span> {
        self.definitions
            .iter()
            .find(|d| d.use_span.contains(offset))
            .map(|d| d.def_span)
    }
}
