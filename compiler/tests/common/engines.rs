//! The random bundles the two engines are compared on — by the agreement
//! test (`agreement.rs`) and by the benchmark of gas beyond the examples
//! (`benches/evm_gas_random.rs`) — and the short name of a call their
//! tables print.

use super::{bundle, lowered, perturbed};
use mesh_evm::deploy::Holder;
use mesh_evm::EvmEngine;
use mesh_runtime::report::Call;
use mesh_runtime::World;
use meshc::evm::with_collateral;
use meshc::ir::Program;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Random worlds, each deployed once and run from the same state for
/// every bundle on it.
pub const WORLDS: u64 = 10;

/// One random bundle on one random world, lowered at both levels.
pub struct RandomCase<'a> {
    pub seed: u64,
    pub world: &'a World,
    pub source: &'a str,
    pub o0: &'a Program,
    pub o: &'a Program,
}

/// The engines of one world: the wallet's deployment (`-O0`) and the
/// executor's (`-O`).
pub struct Engines {
    pub wallet: EvmEngine,
    pub executor: EvmEngine,
}

/// Draws well-typed bundles from a fixed seed, spread over [`WORLDS`]
/// perturbed worlds (half of them with more collateral at aave, so that
/// ordinary loans commit as well as revert), until `wanted` of them are
/// counted: `visit` gets each bundle with its world's engines and says
/// whether it counts (a bundle with no plan, for a model-only lender, does
/// not). The same bundles and worlds on every run.
pub fn for_each_random_case(
    wanted: usize,
    mut visit: impl FnMut(&RandomCase<'_>, &mut Engines) -> bool,
) {
    let per_world = wanted.div_ceil(WORLDS as usize);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]),
    );
    let strategy = bundle();
    for w in 0..WORLDS {
        let seed = 0x5eed_0000 + w;
        let world = if w % 2 == 0 {
            perturbed(seed)
        } else {
            with_collateral(perturbed(seed))
        };
        let mut engines = match (
            EvmEngine::new(&world, Holder::Wallet),
            EvmEngine::new(&world, Holder::Executor),
        ) {
            (Ok(wallet), Ok(executor)) => Engines { wallet, executor },
            (Err(e), _) | (_, Err(e)) => panic!("{e}"),
        };
        let (mut here, mut tries) = (0usize, 0usize);
        while here < per_world && tries < per_world * 20 {
            tries += 1;
            let source = match strategy.new_tree(&mut runner) {
                Ok(tree) => tree.current(),
                Err(e) => panic!("{e}"),
            };
            let Some((o0, o)) = lowered(&source) else {
                continue;
            };
            let case = RandomCase {
                seed,
                world: &world,
                source: &source,
                o0: &o0,
                o: &o,
            };
            if visit(&case, &mut engines) {
                here += 1;
            }
        }
    }
}

/// A call as a table names it: what it does and to which token.
pub fn call_label(call: &Call) -> String {
    match call {
        Call::Input { .. } => "input".into(),
        Call::Approve { token, .. } => format!("approve {token}"),
        Call::Borrow {
            flash: true, token, ..
        } => format!("flash loan {token}"),
        Call::Borrow { token, .. } => format!("borrow {token}"),
        Call::BorrowDebt { token, .. } => format!("borrow {token} as debt"),
        Call::RepayDebt { token, .. } => format!("repay {token} debt"),
        Call::Repay { flash: true, .. } => "flash repay".into(),
        Call::Repay { token, .. } => format!("repay {token}"),
        Call::Swap { path, .. } => format!("swap {}", path.join("→")),
        Call::Deposit { token, .. } => format!("deposit {token}"),
        Call::Withdraw { token, .. } => format!("withdraw {token}"),
        Call::Bridge { token, kind, .. } => format!("bridge {token} ({kind})"),
        Call::Wrap { token, .. } => format!("wrap {token}"),
        Call::Unwrap { token, .. } => format!("unwrap {token}"),
    }
}
