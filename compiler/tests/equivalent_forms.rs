//! Equivalent forms of one bundle cost the same at `-O`: each file of
//! `tests/equivalent/` holds a bundle as a user might write it, then the
//! same steps rewritten by hand into the form the optimiser used to need.
//! `-O` on the first form must cost no more gas than on the second.

use mesh_runtime::Registry;
use meshc::check::CheckOptions;
use meshc::pipeline::{analyse, figures::figures};

fn cases() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/equivalent");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mesh"))
                .map(|p| {
                    let name = p.display().to_string();
                    (name, std::fs::read_to_string(&p).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn the_written_form_costs_no_more_than_the_hand_rewritten_one() {
    let all = cases();
    assert_eq!(all.len(), 6, "the six pairs are missing");
    for (name, source) in all {
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
        let [written, rewritten] = analysis.checked.bundles.as_slice() else {
            panic!("{name}: two bundles expected");
        };
        let gas = |bundle| match figures(&analysis, bundle) {
            Ok(f) => (f.gas_o, f.gas_o0),
            Err(e) => panic!("{name}: {e}"),
        };
        let (written_o, written_o0) = gas(written);
        let (rewritten_o, _) = gas(rewritten);
        assert!(
            written_o <= rewritten_o,
            "{name}: -O costs {written_o} on `{}` but {rewritten_o} on `{}`",
            written.name,
            rewritten.name
        );
        assert!(written_o < written_o0, "{name}: -O saves nothing");
    }
}

/// Same-chain loan bundles — a borrow, swaps and its repayment on one
/// chain, in each form of the pairs above and as the `simple_arbitrage`
/// example writes it — cost at least 51% less gas at `-O` than at `-O0`,
/// measured from the wallet baseline with the executor's own cost metered
/// at `-O`. The figures are the schedule's, so the margin is exact: a
/// change of a row or a law that loses it fails here.
#[test]
fn same_chain_loan_bundles_save_at_least_half_their_gas() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = [
        "tests/equivalent/pair1.mesh",
        "tests/equivalent/pair2.mesh",
        "../examples/simple_arbitrage.mesh",
        "../examples/arbitrage_net_of_gas.mesh",
    ];
    let mut seen = 0;
    for file in files {
        let source = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        assert!(!analysis.has_errors(), "{file}: {:?}", analysis.diagnostics);
        for bundle in &analysis.checked.bundles {
            let f = figures(&analysis, bundle).unwrap_or_else(|e| panic!("{file}: {e}"));
            // gas_o ≤ 49% of gas_o0, in integers.
            assert!(
                f.gas_o * 100 <= f.gas_o0 * 49,
                "{file} `{}`: -O {} gas against -O0 {}: {:.1}% less, under 51%",
                bundle.name,
                f.gas_o,
                f.gas_o0,
                100.0 - 100.0 * f.gas_o as f64 / f.gas_o0 as f64
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 6, "every form of every file was judged");
}
