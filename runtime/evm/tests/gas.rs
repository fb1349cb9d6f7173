//! The measured gas table of docs/evm.md, pinned: gas on the real bytecode
//! is a deterministic function of the contracts and the transactions, so
//! any change to either shows here (and the docs' table must follow; the
//! bench `cargo bench -p mesh-evm --bench gas` prints it).

use mesh_evm::measure::{derived, measure, table};
use mesh_evm::InterestRates;

#[test]
fn the_measured_gas_table() {
    let table = table().expect("every measured transaction succeeds");
    // docs/evm.md shows the same table, verbatim.
    let docs = include_str!("../../../docs/evm.md");
    assert!(
        docs.contains(&table),
        "docs/evm.md's table is stale: paste `cargo bench -p mesh-evm --bench gas`'s output"
    );
    insta::assert_snapshot!(table);
}

#[test]
fn measured_figures_keep_their_relations() {
    let rows = measure(InterestRates::Zero).expect("measures");
    let gas = |key: &str| {
        rows.iter()
            .find(|m| m.key == key)
            .map(|m| m.gas)
            .expect(key)
    };
    // Every transaction pays at least the 21,000 base.
    assert!(rows.iter().all(|m| m.gas > 21_000));
    // The pair's oracle update is what the first swap in a block adds.
    let derived = derived(&rows).expect("derived");
    let figure = |what: &str| {
        derived
            .iter()
            .find(|d| d.what.starts_with(what))
            .map(|d| d.gas)
            .expect(what)
    };
    assert_eq!(figure("pair: the first-in-block oracle update"), 10_416);
    // Each further asset of a flash loan costs about as much as a whole
    // simple one's transfers and premium accounting, far above zero.
    assert!(figure("flashLoan: the second asset") > 50_000);
    assert!(figure("flashLoan: the third asset") > 50_000);
    // First actions write storage that later ones only update.
    assert!(gas("supply_first") > gas("supply"));
    assert!(gas("borrow_first") > gas("borrow"));
    // The schedule's steady borrow is a position of one reserve supplied
    // and one owed; each further reserve Aave values on a borrow costs
    // tens of thousands more, an asset owed more than one supplied.
    assert_eq!(gas("position_borrow_1_collateral"), gas("borrow"));
    let collateral = [
        figure("position: a borrow's cost of a second reserve supplied"),
        figure("position: a borrow's cost of a third reserve supplied"),
    ];
    assert!(collateral.iter().all(|&c| c > 20_000), "{collateral:?}");
    assert!(figure("position: a borrow's cost of a second asset owed") > collateral[1]);
    for first in ["a borrow's", "a supply's"] {
        let what = format!("position: {first} cost of being the account's first of the asset");
        assert!(figure(&what) > 20_000, "{what}");
    }
    // The executor's own cost is small beside what it saves.
    assert!(figure("executor: per transaction") < 5_000);
    // Interest-bearing reserves cost at least as much as zero-rate ones.
    let published = measure(InterestRates::Published).expect("measures");
    for (z, p) in rows.iter().zip(&published) {
        assert_eq!(z.key, p.key);
        assert!(p.gas >= z.gas, "{}", z.key);
    }
}

/// Every row of the gas schedule that docs/gas.md cites as measured on this
/// deployment is exactly that measurement (zero rates), so the schedule
/// and the bytecode cannot drift apart.
#[test]
fn the_schedule_rows_are_the_measured_figures() {
    let rows = measure(InterestRates::Zero).expect("measures");
    let gas = |key: &str| {
        rows.iter()
            .find(|m| m.key == key)
            .map(|m| m.gas)
            .expect(key)
    };
    let derived = derived(&rows).expect("derived");
    let figure = |what: &str| {
        derived
            .iter()
            .find(|d| d.what.starts_with(what))
            .and_then(|d| u64::try_from(d.gas).ok())
            .expect(what)
    };
    let s = mesh_core::gas::GasSchedule::default();
    let base = s.tx_base;
    assert_eq!(s.approve, gas("approve") - base);
    assert_eq!(s.weth9_approve, gas("weth9_approve") - base);
    // WETH9's savings against MintableERC20, each the difference of one
    // ERC-20 call on the two contracts in the same state.
    let pull = figure("WETH9: what a pull under a standing max allowance");
    let transfer = figure("WETH9: what a transfer costs less");
    assert_eq!(s.weth9_pull_saving, pull);
    assert_eq!(s.weth9_transfer_saving, transfer);
    // The pull saves the same inside every contract that pulls (the router
    // 152 more: its pair reads the input's balance too), and a flash loan,
    // which pays out and pulls back, saves both.
    assert_eq!(figure("WETH9 in: the bridge's pull"), pull);
    assert_eq!(figure("WETH9 in: the pool's pull of a supply"), pull);
    assert_eq!(figure("WETH9 in: the pool's pull of a repay"), pull);
    assert_eq!(figure("WETH9 in: the router's pull"), pull + 152);
    assert_eq!(
        figure("WETH9 out and in: a flash loan's payout and pull"),
        pull + transfer
    );
    // The rows measured on WETH9 are the schedule's MintableERC20 rows less
    // its savings: the router's and the direct swap's pair send WETH out,
    // the flash loan pays it out and pulls it back, the borrow pays it
    // out, the repay pulls it.
    assert_eq!(s.router_swap, gas("router_swap_1_hop") - base + transfer);
    assert_eq!(
        s.router_extra_hop,
        figure("router: each hop after the first")
    );
    // A path back to its first token: the same through the router and
    // in the executor, beyond the token's warm access.
    for derived in [
        "router: what a path that ends in its first token costs less",
        "executor: what a direct path that ends in its first token costs less",
    ] {
        assert_eq!(
            s.return_balance_saving,
            figure(derived) - s.warm_token_saving()
        );
    }
    assert_eq!(s.token_transfer, gas("token_transfer") - base);
    assert_eq!(
        s.pair_swap,
        figure("executor: a direct swap's pair.swap") + transfer
    );
    assert_eq!(
        s.pair_oracle_update,
        figure("pair: the first-in-block oracle update")
    );
    assert_eq!(s.executor_transaction, figure("executor: per transaction"));
    assert_eq!(
        s.executor_dispatch,
        figure("executor: dispatch of one inner call")
    );
    assert_eq!(
        s.executor_dispatch + s.executor_call_calldata() + s.cold_account_access,
        figure("executor: per inner call to a cold target")
    );
    assert_eq!(
        s.flash_loan,
        figure("flashLoanSimple inside the executor") + pull + transfer
    );
    assert_eq!(
        s.flash_loan_multi_asset,
        figure("flashLoan of one asset beyond")
    );
    assert_eq!(s.borrow, gas("borrow") - base + transfer);
    assert_eq!(s.repay, gas("repay") - base + pull);
    assert_eq!(s.deposit, gas("supply") - base);
    assert_eq!(s.withdraw, gas("withdraw") - base);
    assert_eq!(
        s.bridge_batch_entry,
        figure("bridge: each transfer after the first")
    );
    assert_eq!(
        s.bridge_batch_message,
        figure("bridge: a shared message's encoding")
    );
    assert_eq!(
        s.flash_loan_warm_pool,
        figure("flashLoanSimple after another from the same pool")
    );
    // A pull right after its approval in the same transaction, beyond the
    // token's warm access.
    assert_eq!(
        s.approved_pull_saving,
        figure("an executor's pull of a MintableERC20 right after its approval")
    );
    assert_eq!(
        s.weth9_approved_pull_saving,
        figure("an executor's pull of WETH9 right after its approval")
    );
    assert_eq!(
        s.warm_token_saving(),
        s.cold_account_access - s.warm_account_access
    );
    // What a position adds to a lender call's row, step by step.
    let signed = |what: &str| {
        derived
            .iter()
            .find(|d| d.what.starts_with(what))
            .map(|d| d.gas)
            .expect(what)
    };
    let second_supplied = figure("position: a borrow's cost of a second reserve supplied");
    assert_eq!(s.position_supplied_reserve, second_supplied);
    assert_eq!(
        s.position_owed_reserve,
        figure("position: a borrow's cost of a second asset owed")
    );
    assert_eq!(
        s.position_supplied_debt,
        figure("position: a borrow's cost of a debt in a reserve the account supplies")
    );
    assert_eq!(
        i64::try_from(s.position_borrow_supplied_asset).expect("small"),
        i64::try_from(second_supplied).expect("small")
            + signed("position: a further borrow of a supplied asset")
    );
    assert_eq!(
        s.borrow_first_of_asset,
        figure("position: a borrow's cost of being the account's first of the asset")
    );
    assert_eq!(
        s.borrow_first_of_supplied_asset,
        figure("position: a borrow's cost of being the account's first of an asset it supplies")
    );
    assert_eq!(
        s.withdraw_with_debt,
        figure("position: a withdrawal's cost of a borrow open")
    );
    assert_eq!(
        s.deposit_first_of_position,
        figure("position: a supply that is the account's first of any asset")
    );
    assert_eq!(
        s.deposit_first_of_asset,
        figure("position: a supply's cost of being the account's first of the asset")
    );
    assert_eq!(
        s.deposit_first_beside_collaterals,
        figure("position: a supply's cost of being the account's first of the asset, beside two")
    );
    assert_eq!(
        s.repay_one_collateral,
        figure("position: a repay's cost of a position with one reserve supplied")
    );
    // What a lender call finds warm after another on its pool in the same
    // executor transaction, beyond the pool's warm access (and the token's,
    // when the earlier call moved it).
    let alone = |key: &str| gas(key) - gas("executor_empty");
    let warm_pool = s.cold_account_access - s.warm_account_access;
    let after_other = figure("pool: a supply after a supply of another reserve");
    assert_eq!(
        s.lender_warm_pool,
        alone("pool_supply_usdc") - after_other - warm_pool
    );
    assert_eq!(
        s.lender_warm_reserve,
        after_other
            - figure("pool: a supply after a supply of the same reserve")
            - s.warm_token_saving()
    );
    let after_pool =
        |row: &str, derived: &str| alone(row) - figure(derived) - warm_pool - s.lender_warm_pool;
    assert_eq!(
        s.lender_valued_supplied_reserve,
        after_pool(
            "pool_supply_usdc",
            "pool: a supply after a borrow that valued its reserve, supplied only"
        )
    );
    assert_eq!(
        s.lender_valued_owed_reserve,
        after_pool(
            "pool_repay_weth",
            "pool: a repay after a withdrawal that valued its reserve, owed only"
        )
    );
    assert_eq!(
        s.lender_valued_supplied_owed_reserve,
        after_pool(
            "pool_repay_dai",
            "pool: a repay after a withdrawal that valued its reserve, supplied and owed"
        )
    );
    assert_eq!(
        s.lender_warm_supplied_valuation,
        after_pool(
            "pool_borrow_weth",
            "pool: a borrow after a supply of a reserve it values, supplied only"
        )
    );
    assert_eq!(
        s.lender_warm_owed_valuation,
        after_pool(
            "pool_borrow_dai",
            "pool: a borrow after a repay of a reserve it values, owed only"
        )
    );
    assert_eq!(
        s.lender_warm_supplied_owed_valuation,
        after_pool(
            "pool_borrow_weth",
            "pool: a borrow after a supply of a reserve it values, supplied and owed"
        )
    );
    // A route's gas is its bridge's lock, measured: every route of the
    // default world, whatever its kind, is the lock of that kind's bridge.
    let world = mesh_runtime::world::World::default_world();
    for route in &world.registry.routes {
        let key = format!("bridge_lock_{}", route.kind);
        assert_eq!(route.gas, gas(&key) - base, "{key}");
    }
}
