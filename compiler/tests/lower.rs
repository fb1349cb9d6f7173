//! Lowering, static gas and the interpreter, over every example at both
//! levels: the lowered IR verifies, takes the blocks the checker's time
//! model says, and costs statically exactly what the runtime meters.

mod common;

use mesh_runtime::{GasSchedule, Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::{self, Op, Program, Sender, Term};
use meshc::pipeline::{analyse, analyse_with_pairs};

fn examples() -> Vec<(String, String)> {
    let out: Vec<(String, String)> = common::example_paths()
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read_to_string(&p).unwrap_or_default())
        })
        .collect();
    assert!(out.len() >= 5, "the examples are missing");
    out
}

/// The program without its deadline, so that a run judges everything else.
fn without_deadline(mut program: Program) -> Program {
    program.constraints.items.retain(|(c, _)| {
        !matches!(
            c,
            meshc::ir::Constraint::Deadline(_) | meshc::ir::Constraint::DeadlineSeconds(_)
        )
    });
    program
}

/// Every bundle of a source, lowered at `level`, with the registry and
/// world it runs on and the checker's block count.
fn lowered(source: &str, level: OptLevel) -> Vec<(Program, World, u64)> {
    let registry = Registry::default_registry();
    // More collateral at aave: -O0 sends every loan as an ordinary borrow,
    // which the default world's positions do not all carry.
    let mut world = meshc::evm::with_collateral(World::default_world());
    // Checked at -O: at -O0 some examples miss their deadline (rule 8); they
    // still lower, and the runtime then reverts them at finish. Checked on
    // the world it runs on: its positions price the lender calls.
    let facts = meshc::interp::world_facts(&world);
    let analysis = analyse_with_pairs(source, &registry, Some(&facts), &CheckOptions::default());
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    analysis.declare_tokens(&mut world.registry);
    analysis
        .checked
        .bundles
        .iter()
        .map(|bundle| {
            let program = match analysis.lower_verified(bundle, level) {
                Ok(p) => p,
                Err(e) => panic!("{}: {e}", bundle.name),
            };
            let blocks = match level {
                OptLevel::O0 => bundle.blocks_o0,
                OptLevel::O => bundle.blocks_o,
            };
            (program, world.clone(), blocks)
        })
        .collect()
}

const LEVELS: [OptLevel; 2] = [OptLevel::O0, OptLevel::O];

#[test]
fn lowered_blocks_equal_the_checkers_time_model() {
    for (name, source) in examples() {
        for level in LEVELS {
            for (program, world, blocks) in lowered(&source, level) {
                let cost = ir::gas::cost(&program, &world.registry, &GasSchedule::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(
                    cost.blocks,
                    blocks,
                    "{name} at {}:\n{program}",
                    level.flag()
                );
            }
        }
    }
}

#[test]
fn static_gas_equals_the_charge_blocks_and_time_when_committed() {
    let mut committed = 0;
    for (name, source) in examples() {
        for level in LEVELS {
            for (program, world, _) in lowered(&source, level) {
                let cost = ir::gas::cost(&program, &world.registry, &GasSchedule::default())
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let (report, _) = meshc::interp::run(&without_deadline(program), world);
                if !report.committed() {
                    continue;
                }
                committed += 1;
                // What the run charged by the schedule: its gas less what
                // its balance writes added by their values.
                let metered: Vec<(String, Sender, u64)> = report
                    .transactions
                    .iter()
                    .map(|t| (t.chain.clone(), t.sender, t.schedule_gas()))
                    .collect();
                let computed: Vec<(String, Sender, u64)> = cost
                    .transactions
                    .iter()
                    .map(|t| (t.chain.clone(), t.sender, t.gas))
                    .collect();
                assert_eq!(computed, metered, "{name} at {}", level.flag());
                let mut by_chain = std::collections::BTreeMap::new();
                for (chain, _, gas) in &metered {
                    *by_chain.entry(chain.clone()).or_insert(0u64) += gas;
                }
                assert_eq!(cost.total(), by_chain.values().sum::<u64>());
                assert_eq!(cost.by_chain(), by_chain);
                // The run's gas is the charge and what the writes added.
                let added: i128 = report.transactions.iter().map(|t| t.balance_gas).sum();
                assert_eq!(
                    i128::from(report.gas_total()),
                    i128::from(cost.total()) + added,
                    "{name} at {}",
                    level.flag()
                );
                assert_eq!(cost.blocks, report.blocks, "{name} at {}", level.flag());
                assert_eq!(cost.time_ms, report.time_ms, "{name} at {}", level.flag());
            }
        }
    }
    assert!(committed >= 6, "too few examples commit: {committed}");
}

#[test]
fn the_optimised_level_uses_less_gas_on_every_committed_example() {
    for (name, source) in examples() {
        let o0 = lowered(&source, OptLevel::O0);
        let o = lowered(&source, OptLevel::O);
        for ((p0, w0, _), (p1, w1, _)) in o0.into_iter().zip(o) {
            let (r0, _) = meshc::interp::run(&without_deadline(p0), w0);
            let (r1, _) = meshc::interp::run(&without_deadline(p1), w1);
            assert_eq!(r0.committed(), r1.committed(), "{name}");
            if r0.committed() {
                assert!(r1.gas_total() < r0.gas_total(), "{name}");
                assert!(r1.blocks <= r0.blocks, "{name}");
            }
        }
    }
}

fn count(term: &Term, f: &impl Fn(&Term) -> bool) -> usize {
    let inner = match term {
        Term::Gen(_) => 0,
        Term::Seq(ts) | Term::Tensor(ts) | Term::Tx { body: ts, .. } => {
            ts.iter().map(|t| count(t, f)).sum()
        }
    };
    inner + usize::from(f(term))
}

fn flagship() -> String {
    examples()
        .into_iter()
        .find(|(n, _)| n == "polygon_arbitrum_arbitrage.mesh")
        .map(|(_, s)| s)
        .unwrap_or_default()
}

#[test]
fn unoptimised_actions_are_wallet_transactions_with_their_approvals() {
    let (program, _, _) = lowered(&flagship(), OptLevel::O0).remove(0);
    let approvals = count(&program.body, &|t| {
        matches!(t, Term::Tx { sender: Sender::Wallet, body, .. }
            if body.len() == 1 && matches!(&body[0], Term::Gen(n) if matches!(n.op, Op::Approve { .. })))
    });
    let txs = count(&program.body, &|t| matches!(t, Term::Tx { .. }));
    // borrow, bridge, swap, swap, bridge, repay; all but the borrow approve.
    assert_eq!((txs, approvals), (11, 5));
}

#[test]
fn a_loan_repaid_in_its_transaction_becomes_a_flash_loan() {
    let source = examples()
        .into_iter()
        .find(|(n, _)| n == "simple_arbitrage.mesh")
        .map(|(_, s)| s)
        .unwrap_or_default();
    let flash = |level| {
        let (program, _, _) = lowered(&source, level).remove(0);
        count(
            &program.body,
            &|t| matches!(t, Term::Gen(n) if matches!(n.op, Op::Borrow { flash: true, .. })),
        )
    };
    assert_eq!(flash(OptLevel::O0), 0);
    assert_eq!(flash(OptLevel::O), 1);
    // The flagship's loan crosses a bridge: an ordinary borrow at every level.
    let (program, _, _) = lowered(&flagship(), OptLevel::O).remove(0);
    assert_eq!(
        count(
            &program.body,
            &|t| matches!(t, Term::Gen(n) if matches!(n.op, Op::Borrow { flash: true, .. }))
        ),
        0
    );
}

#[test]
fn flagship_ir_text() {
    for level in LEVELS {
        let (program, _, _) = lowered(&flagship(), level).remove(0);
        let name = match level {
            OptLevel::O0 => "flagship_ir_o0",
            OptLevel::O => "flagship_ir_o",
        };
        insta::assert_snapshot!(name, program.to_string());
    }
}

/// By hand, each (chain, token, spender) is approved once, for the maximum
/// allowance, before its first spend: the second deposit of DAI into aave
/// needs no approval of its own, and the deposit into compound does. The
/// native coin has no `approve`: its wrap gets none, and the WETH it gives
/// is approved for aave and for the bridge once each. Each `parallel` branch
/// approves what it spends itself. The program commits at `-O0`, and its
/// static gas is what the runtime meters.
#[test]
fn unoptimised_approvals_are_granted_once_and_never_for_the_native_coin() {
    let source = "\
bundle approvals on base {
    input 1 WETH
    let dai = swap 1 WETH for 2_000 DAI on uniswap_v2
    deposit dai - 100 DAI into aave
    deposit 100 DAI into aave
    let half = withdraw 1_000 DAI from aave
    deposit half into compound
    input 2 ETH
    let w = wrap 1.5 ETH
    deposit w - 0.5 WETH into aave
    bridge 0.5 WETH to arbitrum
    parallel { on optimism { input 10 USDC
        deposit 5 USDC into aave
        deposit 5 USDC into aave } }
    and { on ethereum { input 10 USDC
        deposit 10 USDC into aave } }
}
";
    let (program, world, blocks) = lowered(source, OptLevel::O0).remove(0);
    let (report, _) = meshc::interp::run(&without_deadline(program.clone()), world.clone());
    assert!(report.committed(), "{:?}", report.revert);
    let cost = ir::gas::cost(&program, &world.registry, &GasSchedule::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cost.total(), report.gas_total());
    assert_eq!(cost.blocks, blocks);
    insta::assert_snapshot!(format!("{source}\n==== -O0\n{program}"));
}

#[test]
fn a_failed_require_reverts_naming_its_line() {
    let source = "bundle r on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    require x >= 1_000_000 USDC\n}\n";
    for level in LEVELS {
        let (program, world, _) = lowered(source, level).remove(0);
        let (report, session) = meshc::interp::run(&program, world.clone());
        assert!(!report.committed());
        let revert = report.revert.clone().unwrap_or_else(|| panic!("no revert"));
        assert_eq!(revert.loc.line, 4, "{revert}");
        assert!(
            revert
                .reason
                .starts_with("require failed: x >= 1_000_000 USDC"),
            "{revert}"
        );
        assert_eq!(
            session.world(),
            &world,
            "a revert leaves the world unchanged"
        );
    }
}

#[test]
fn arithmetic_underflow_reverts_at_its_line() {
    let source = "bundle u on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    swap x - 1_000_000 USDC for WETH on sushiswap\n}\n";
    let analysis = analyse(
        source,
        &Registry::default_registry(),
        &CheckOptions::default(),
    );
    if analysis.has_errors() {
        // The checker may prove the underflow statically; nothing to run.
        return;
    }
    for level in LEVELS {
        let (program, world, _) = lowered(source, level).remove(0);
        let (report, _) = meshc::interp::run(&program, world);
        let revert = report.revert.unwrap_or_else(|| panic!("no revert"));
        assert_eq!(revert.loc.line, 4);
        assert_eq!(revert.reason, mesh_core::revert::reason::SUB);
    }
}
