//! The exact optimum of hand-written bundles, for the tests that compute
//! it by hand from the gas schedule (`search.rs`, `search_routes.rs`): the
//! `-O0` lowering a search starts from, the search itself, checked, and
//! the schedule's figures an executor transaction is made of.

use mesh_runtime::gas::TokenContract;
use mesh_runtime::{BridgeKind, GasSchedule, Registry};
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::{gas, verify, Program};
use meshc::pipeline::analyse;
use meshc::search::{self, Inputs, Limits, Optimum, SearchOutcome};

/// The `-O0` lowering of the first bundle of `source` and its pinned bridges.
pub fn o0(
    source: &str,
    registry: &Registry,
) -> (Program, std::collections::BTreeSet<meshc::ir::Wire>) {
    let mut analysis = analyse(
        source,
        registry,
        &CheckOptions {
            level: OptLevel::O0,
        },
    );
    if analysis.has_errors() {
        analysis = analyse(source, registry, &CheckOptions::default());
    }
    assert!(
        !analysis.has_errors(),
        "{source}\n{:?}",
        analysis.diagnostics
    );
    let bundle = &analysis.checked.bundles[0];
    match analysis.lower_o0(bundle) {
        Ok(l) => (l.program, l.pinned),
        Err(e) => panic!("{e}"),
    }
}

pub fn search_with(
    program: &Program,
    pinned: &std::collections::BTreeSet<meshc::ir::Wire>,
    registry: &Registry,
    limits: &Limits,
) -> SearchOutcome {
    let schedule = GasSchedule::default();
    let inputs = Inputs {
        registry,
        schedule: &schedule,
        pinned,
    };
    match search::optimum(program, &inputs, limits) {
        Ok(o) => o,
        Err(e) => panic!("{e}"),
    }
}

/// The optimum of `source` on the default registry, checked: verified,
/// metered as reported, and the same without pruning.
pub fn optimum(source: &str) -> Optimum {
    let registry = Registry::default_registry();
    let (program, pinned) = o0(source, &registry);
    let outcome = search_with(&program, &pinned, &registry, &Limits::default());
    let found = match outcome.result {
        Ok(o) => o,
        Err(why) => panic!("not searched: {why}"),
    };
    verify(&found.program).unwrap_or_else(|e| panic!("{e}\n{}", found.program));
    let cost = gas::cost(&found.program, &registry, &GasSchedule::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((cost.total(), cost.blocks), (found.gas, found.blocks));
    let plain = search_with(
        &program,
        &pinned,
        &registry,
        &Limits {
            pruning: false,
            ..Limits::default()
        },
    );
    assert_eq!(plain.gas(), Some(found.gas), "pruning changed the optimum");
    assert_eq!(plain.searched.bound_violations, 0, "{:?}", plain.searched);
    found
}

/// The least gas the search finds for `source` trying every order of
/// every transaction's actions (no order reduced).
pub fn every_order_gas(source: &str) -> Option<u64> {
    let registry = Registry::default_registry();
    let (program, pinned) = o0(source, &registry);
    search_with(
        &program,
        &pinned,
        &registry,
        &Limits {
            reduce_orders: false,
            ..Limits::default()
        },
    )
    .gas()
}

/// An executor transaction's base: the transaction's intrinsic cost and
/// the executor's own.
pub fn base(s: &GasSchedule) -> u64 {
    s.tx_base + s.executor_transaction
}

/// An executor call: dispatch, address word, a cold or warm access, the
/// operation.
pub fn call(op: u64, cold: bool) -> u64 {
    let s = GasSchedule::default();
    s.executor_call_overhead() + s.account_access(cold) + op
}

/// What a pull of a `MintableERC20` saves right after its approval in the
/// same transaction: the token warm, the allowance warm and written.
pub fn approved_pull(s: &GasSchedule) -> u64 {
    s.warm_token_saving() + s.approved_pull(TokenContract::MintableErc20)
}

/// The gas and delay of the default registry's polygon → arbitrum route of `kind`.
pub fn route(kind: BridgeKind) -> (u64, u64) {
    Registry::default_registry()
        .route("polygon", "arbitrum", kind)
        .map(|r| (r.gas, r.delay_blocks))
        .unwrap_or_default()
}
