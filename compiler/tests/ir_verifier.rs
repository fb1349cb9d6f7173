//! The verifier rejects ill-formed IR: one hand-built program per law, each
//! a small change to a well-formed one.

use mesh_core::Comparison;
use mesh_runtime::registry::BridgeKind;
use meshc::ir::verify::Law;
use meshc::ir::{verify, Loc, Node, Op, Program, Sender, Term, Value, Wire, WireType};

const WETH: u128 = 1_000_000_000_000_000_000;

fn node(op: Op, line: u32) -> Term {
    Term::Gen(Node {
        op,
        loc: Loc { line, column: 5 },
    })
}

fn tx(chain: &str, body: Vec<Term>) -> Term {
    Term::Tx {
        chain: chain.to_string(),
        sender: Sender::Executor,
        body,
    }
}

fn borrow() -> Term {
    node(
        Op::Borrow {
            protocol: "aave".into(),
            amount: Value::Const(100 * WETH),
            flash: false,
            funds: Wire(0),
            debt: Wire(1),
        },
        2,
    )
}

fn bridge(input: u32, out: u32, line: u32) -> Term {
    node(
        Op::Bridge {
            route: BridgeKind::Threshold,
            input: Wire(input),
            out: Wire(out),
        },
        line,
    )
}

/// Borrow 100 WETH on polygon, bridge it to arbitrum and back, top it up
/// from the wallet, repay.
fn well_formed() -> Program {
    let wires = vec![
        WireType::funds("polygon", "WETH"),        // %0 borrowed
        WireType::debt("polygon", "aave", "WETH"), // %1 obligation
        WireType::funds("arbitrum", "WETH"),       // %2 arrived
        WireType::funds("polygon", "WETH"),        // %3 back home
        WireType::funds("polygon", "WETH"),        // %4 merged
        WireType::funds("polygon", "WETH"),        // %5 repayment
        WireType::funds("polygon", "WETH"),        // %6 rest
        WireType::funds("polygon", "WETH"),        // %7 input
    ];
    let body = Term::Seq(vec![
        tx("polygon", vec![borrow(), bridge(0, 2, 3)]),
        tx("arbitrum", vec![bridge(2, 3, 4)]),
        tx(
            "polygon",
            vec![
                node(
                    Op::Input {
                        chain: "polygon".into(),
                        token: "WETH".into(),
                        amount: Value::Const(WETH),
                        out: Wire(7),
                    },
                    5,
                ),
                node(
                    Op::Require {
                        chain: "polygon".into(),
                        left: Value::AmountOf(Wire(3)),
                        op: Comparison::Ge,
                        right: Value::Const(99 * WETH),
                        token: "WETH".into(),
                        text: "back >= 99 WETH".into(),
                        left_text: "back".into(),
                    },
                    6,
                ),
            ],
        ),
        node(
            Op::Merge {
                inputs: [Wire(3), Wire(7)],
                out: Wire(4),
            },
            7,
        ),
        node(
            Op::Split {
                input: Wire(4),
                amount: Value::Const(100 * WETH + WETH / 2000),
                taken: Wire(5),
                rest: Wire(6),
            },
            7,
        ),
        tx(
            "polygon",
            vec![node(
                Op::Repay {
                    protocol: "aave".into(),
                    principal: Value::Const(100 * WETH),
                    funds: Wire(5),
                    debt: Wire(1),
                    rest: None,
                },
                7,
            )],
        ),
    ]);
    Program {
        bundle: "round_trip".into(),
        home: "polygon".into(),
        wires,
        body,
        constraints: Default::default(),
        positions: Default::default(),
    }
}

fn law_of(program: &Program) -> Law {
    match verify(program) {
        Ok(()) => panic!("the verifier accepted an ill-formed program:\n{program}"),
        Err(e) => {
            assert!(!e.message.is_empty());
            e.law
        }
    }
}

/// Applies `f` to every generator, with its index in program order.
fn edit_gens(term: &mut Term, index: &mut usize, f: &mut dyn FnMut(usize, &mut Op)) {
    match term {
        Term::Gen(node) => {
            f(*index, &mut node.op);
            *index += 1;
        }
        Term::Seq(terms) | Term::Tensor(terms) | Term::Tx { body: terms, .. } => {
            for t in terms {
                edit_gens(t, index, f);
            }
        }
    }
}

fn edited(mut f: impl FnMut(usize, &mut Op)) -> Program {
    let mut program = well_formed();
    let mut i = 0;
    edit_gens(&mut program.body, &mut i, &mut f);
    program
}

fn body_mut(program: &mut Program) -> &mut Vec<Term> {
    match &mut program.body {
        Term::Seq(terms) => terms,
        _ => unreachable!("the fixture's body is a sequence"),
    }
}

#[test]
fn the_well_formed_program_verifies_and_prints() {
    let program = well_formed();
    assert_eq!(verify(&program), Ok(()));
    insta::assert_snapshot!(program.to_string());
}

#[test]
fn composition_needs_the_domain_to_be_live() {
    // The bridge home consumes a wire that nothing has produced.
    let mut program = edited(|i, op| {
        if let (2, Op::Bridge { input, .. }) = (i, op) {
            *input = Wire(8);
        }
    });
    program.wires.push(WireType::funds("arbitrum", "WETH"));
    assert_eq!(law_of(&program), Law::Composition);
}

#[test]
fn every_wire_is_consumed_once() {
    // Deposit the borrowed funds after they were bridged away.
    let mut program = well_formed();
    body_mut(&mut program).insert(
        1,
        tx(
            "polygon",
            vec![node(
                Op::Deposit {
                    protocol: "aave".into(),
                    funds: Wire(0),
                },
                3,
            )],
        ),
    );
    assert_eq!(law_of(&program), Law::Linearity);
}

#[test]
fn every_wire_is_produced_once() {
    let program = edited(|_, op| {
        if let Op::Input { out, .. } = op {
            *out = Wire(2);
        }
    });
    // %2 is already produced by the first bridge (and has another type).
    assert!(matches!(
        law_of(&program),
        Law::WireDefinition | Law::Typing
    ));
    let mut program = well_formed();
    program.wires.truncate(7);
    assert_eq!(law_of(&program), Law::WireDefinition);
}

#[test]
fn generators_demand_their_types() {
    // Repay the WETH obligation with USDC.
    let mut program = well_formed();
    for i in [3, 4, 5, 6, 7] {
        program.wires[i] = WireType::funds("polygon", "USDC");
    }
    program.wires[2] = WireType::funds("arbitrum", "USDC");
    assert_eq!(law_of(&program), Law::Typing);
}

#[test]
fn tensor_branches_are_disjoint() {
    let mut program = well_formed();
    program.wires.push(WireType::funds("arbitrum", "WETH")); // %8
    let body = body_mut(&mut program);
    // Both branches bridge the borrowed funds.
    body[0] = Term::Seq(vec![
        tx("polygon", vec![borrow()]),
        Term::Tensor(vec![
            tx("polygon", vec![bridge(0, 2, 3)]),
            tx("polygon", vec![bridge(0, 8, 3)]),
        ]),
    ]);
    assert_eq!(law_of(&program), Law::TensorDisjoint);
}

#[test]
fn no_debt_escapes() {
    // Without the repay the obligation is live at the end.
    let mut program = well_formed();
    body_mut(&mut program).pop();
    assert_eq!(law_of(&program), Law::DebtEscapes);
}

#[test]
fn one_chain_per_transaction() {
    let mut program = well_formed();
    if let Term::Tx { chain, .. } = &mut body_mut(&mut program)[1] {
        *chain = "polygon".into();
    }
    assert_eq!(law_of(&program), Law::Transaction);
}

#[test]
fn on_chain_boxes_live_in_transactions() {
    let mut program = well_formed();
    let body = body_mut(&mut program);
    if let Some(Term::Tx { body: inner, .. }) = body.pop() {
        body.extend(inner);
    }
    assert_eq!(law_of(&program), Law::Transaction);
}

#[test]
fn transactions_do_not_nest() {
    let mut program = well_formed();
    let body = body_mut(&mut program);
    if let Some(last) = body.pop() {
        body.push(tx("polygon", vec![last]));
    }
    assert_eq!(law_of(&program), Law::Transaction);
}

#[test]
fn values_read_only_produced_wires() {
    let program = edited(|_, op| {
        if let Op::Require { left, .. } = op {
            *left = Value::AmountOf(Wire(5));
        }
    });
    assert_eq!(law_of(&program), Law::ValueScope);
}
