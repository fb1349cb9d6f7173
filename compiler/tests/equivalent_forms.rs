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
