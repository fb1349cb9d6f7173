//! The gas schedule's rows: each is the figure docs/gas.md cites, and
//! docs/gas.md shows each.

use mesh_runtime::GasSchedule;

fn g() -> GasSchedule {
    GasSchedule::default()
}

#[test]
fn the_standard_rows_are_the_cited_figures() {
    let rows = g().rows();
    let expected = [
        ("tx_base", 21_000),
        ("calldata_zero_byte", 4),
        ("calldata_nonzero_byte", 16),
        ("cold_account_access", 2_600),
        ("warm_account_access", 100),
        ("executor_transaction", 1_274),
        ("executor_dispatch", 1_972),
        ("flash_callback_call", 1_763),
        ("executor_call_value", 6_691),
        ("executor_call_zero_bytes", 12),
        ("executor_call_nonzero_bytes", 20),
        ("approve", 25_540),
        ("weth9_approve", 25_343),
        ("weth9_pull_saving", 5_532),
        ("weth9_transfer_saving", 304),
        ("router_swap", 82_607),
        ("router_extra_hop", 55_225),
        ("return_balance_saving", 4_800),
        ("token_transfer", 13_501),
        ("pair_swap", 37_500),
        ("pair_oracle_update", 10_416),
        ("flash_loan", 126_549),
        ("flash_loan_multi_asset", 24_914),
        ("flash_loan_extra_asset", 103_244),
        ("borrow", 191_618),
        ("repay", 138_053),
        ("deposit", 119_503),
        ("withdraw", 127_765),
        ("wrap", 6_766),
        ("unwrap", 14_128),
        ("bridge_batch_entry", 25_864),
        ("bridge_batch_message", 1_267),
        ("flash_loan_warm_pool", 16_569),
        ("approved_pull_saving", 4_809),
        ("weth9_approved_pull_saving", 2_009),
        ("position_supplied_reserve", 28_620),
        ("position_owed_reserve", 39_094),
        ("position_supplied_debt", 23_761),
        ("position_borrow_supplied_asset", 4_397),
        ("borrow_first_of_asset", 25_573),
        ("borrow_first_of_supplied_asset", 30_406),
        ("withdraw_with_debt", 63_986),
        ("withdraw_whole_with_debt", 9_543),
        ("withdraw_whole_without_debt", 4_848),
        ("deposit_first_of_position", 41_489),
        ("deposit_first_of_asset", 29_504),
        ("deposit_first_beside_collaterals", 24_778),
        ("repay_one_collateral", 4_678),
        ("lender_warm_pool", 17_021),
        ("lender_warm_reserve", 66_828),
        ("lender_valued_supplied_reserve", 9_500),
        ("lender_valued_owed_reserve", 19_991),
        ("lender_valued_supplied_owed_reserve", 30_991),
        ("lender_warm_supplied_valuation", 9_938),
        ("lender_warm_owed_valuation", 24_018),
        ("lender_warm_supplied_owed_valuation", 26_462),
        ("cold_slot_read", 2_100),
        ("warm_slot_read", 100),
        ("slot_set", 20_000),
        ("slot_reset", 2_900),
        ("slot_clear_refund", 4_800),
        ("refund_quotient", 5),
    ];
    assert_eq!(rows, expected);
    assert_eq!(g().executor_call_calldata(), 12 * 4 + 20 * 16);
}

#[test]
fn docs_gas_md_cites_every_row() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/gas.md");
    let doc = std::fs::read_to_string(path).expect("docs/gas.md exists");
    for (name, value) in g().rows() {
        assert!(
            doc.contains(&format!("`{name}`")),
            "docs/gas.md has no row `{name}`"
        );
        let shown = value.to_string();
        let with_commas = {
            let d = shown.as_bytes();
            let mut out = String::new();
            for (i, c) in d.iter().enumerate() {
                if i > 0 && (d.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(*c as char);
            }
            out
        };
        assert!(
            doc.contains(&with_commas),
            "docs/gas.md does not show {name} = {with_commas}"
        );
    }
}
