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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Loc, Node, Op, Sender, Value, Wire, WireType};
    use mesh_core::{GasSchedule, Registry};

    fn input(wire: u32) -> Term {
        Term::Gen(Node {
            op: Op::Input {
                chain: "polygon".into(),
                token: "USDC".into(),
                amount: Value::Const(1),
                out: Wire(wire),
            },
            loc: Loc::default(),
        })
    }

    #[test]
    fn sequences_flatten_units_vanish_and_one_branch_tensors_unwrap() {
        // ((i0 ; ()) ; (i1 ⊗ ()) ; tx{ (i2 ; (i3)) } ; ((), ⊗ ())) ; (i4 ⊗ i5)
        let nested = Term::Seq(vec![
            Term::Seq(vec![input(0), Term::Seq(Vec::new())]),
            Term::Tensor(vec![input(1), Term::Seq(Vec::new())]),
            Term::Tx {
                chain: "polygon".into(),
                sender: Sender::Executor,
                body: vec![Term::Seq(vec![input(2), Term::Seq(vec![input(3)])])],
            },
            Term::Tensor(vec![Term::Seq(Vec::new()), Term::Seq(Vec::new())]),
            Term::Tensor(vec![input(4), input(5)]),
        ]);
        let mut program = Program {
            bundle: "b".into(),
            home: "polygon".into(),
            wires: vec![WireType::funds("polygon", "USDC"); 6],
            body: nested,
            constraints: Default::default(),
            positions: Default::default(),
        };
        let registry = Registry::default_registry();
        let schedule = GasSchedule::default();
        let pinned = Default::default();
        let cx = Context {
            registry: &registry,
            schedule: &schedule,
            pinned: &pinned,
        };
        assert!(run(&mut program, &cx).is_ok());
        let expected = Term::Seq(vec![
            input(0),
            input(1),
            Term::Tx {
                chain: "polygon".into(),
                sender: Sender::Executor,
                body: vec![input(2), input(3)],
            },
            Term::Tensor(vec![Term::Seq(vec![input(4)]), Term::Seq(vec![input(5)])]),
        ]);
        assert_eq!(program.body, expected);
        // A law of the category changes nothing that runs.
        assert_eq!(crate::ir::verify(&program), Ok(()));
        let again = program.clone();
        assert!(run(&mut program, &cx).is_ok());
        assert_eq!(program, again, "normal form is idempotent");
    }
}
