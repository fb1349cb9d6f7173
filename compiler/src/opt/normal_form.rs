//! Normal form: associativity and units. Nested sequences are flattened
//! (`(f ; g) ; h = f ; (g ; h)`), empty sequences and tensors are removed
//! (the identity is the unit of `;`), and a tensor of one branch is that
//! branch. Transactions are never merged or dropped here: an empty
//! transaction still costs its base, so removing one is a gas rewrite
//! (see [`super::cancel`]), not a law of the category alone.

use super::{Context, OptError};
use crate::ir::{Program, Term};

pub const NAME: &str = "normal-form";

pub fn run(program: &mut Program, _cx: &Context<'_>) -> Result<(), OptError> {
    let body = std::mem::replace(&mut program.body, Term::Seq(Vec::new()));
    program.body = Term::Seq(flatten(body));
    Ok(())
}

/// The term as a flat list of sequence elements.
fn flatten(term: Term) -> Vec<Term> {
    match term {
        Term::Gen(_) => vec![term],
        Term::Seq(terms) => terms.into_iter().flat_map(flatten).collect(),
        Term::Tensor(branches) => {
            let mut branches: Vec<Term> = branches
                .into_iter()
                .map(|b| Term::Seq(flatten(b)))
                .filter(|b| !matches!(b, Term::Seq(t) if t.is_empty()))
                .collect();
            match branches.len() {
                0 => Vec::new(),
                1 => flatten(branches.remove(0)),
                _ => vec![Term::Tensor(branches)],
            }
        }
        Term::Tx {
            chain,
            sender,
            body,
        } => vec![Term::Tx {
            chain,
            sender,
            body: body.into_iter().flat_map(flatten).collect(),
        }],
    }
}
