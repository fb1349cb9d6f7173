//! The committed artifacts are exactly what the pinned packages and the
//! pinned solc give: `artifacts.js --check` re-extracts every package
//! artifact (with the sha256 of its source file) and recompiles the
//! project's contracts, then compares byte for byte. It needs the packages
//! that `runtime/evm/install.sh` installs; without them this test fails,
//! saying so — it never skips.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_artifacts_are_what_the_pinned_packages_and_solc_give() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        dir.join("node_modules").is_dir(),
        "runtime/evm/node_modules is missing: run `bash runtime/evm/install.sh` (tests/run.sh does)"
    );
    let output = Command::new("node")
        .arg("artifacts.js")
        .arg("--check")
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (Node.js is required): {e}"));
    assert!(
        output.status.success(),
        "artifacts.js --check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The lock pins each package at the version the docs name, with an
/// integrity hash.
#[test]
fn the_lock_pins_the_named_versions_with_integrity_hashes() {
    let lock = include_str!("../package-lock.json");
    let json: serde_json::Value = serde_json::from_str(lock).expect("package-lock.json parses");
    for (package, version) in [
        ("@uniswap/v2-core", "1.0.1"),
        ("@uniswap/v2-periphery", "1.1.0-beta.0"),
        ("@aave/core-v3", "1.19.3"),
        ("solc", "0.8.28"),
    ] {
        let entry = &json["packages"][format!("node_modules/{package}")];
        assert_eq!(entry["version"], version, "{package}");
        let integrity = entry["integrity"].as_str().unwrap_or_default();
        assert!(
            integrity.starts_with("sha512-"),
            "{package} has an integrity hash"
        );
    }
}
