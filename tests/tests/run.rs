//! `meshc run`: the real binary checks, compiles with the JIT, runs and
//! reports; exit codes and `--commit` behave as documented.

use mesh_tests::{outcome, root, run};

fn flagship() -> String {
    root()
        .join("examples/polygon_arbitrum_flash_loan.mesh")
        .display()
        .to_string()
}

#[test]
fn the_flagship_commits_and_its_json_report_parses() {
    let (code, stdout, stderr) = outcome(&run(&["run", &flagship(), "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(report["status"], "committed", "{stdout}");
    assert_eq!(report["blocks"], 9);
}

#[test]
fn emit_ir_prints_the_lowered_program() {
    let (code, stdout, _) = outcome(&run(&["run", &flagship(), "--emit", "ir", "-O"]));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("bundle polygon_arbitrum_flash_loan on polygon"));
    assert!(stdout.contains("tx arbitrum from executor {"), "{stdout}");
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

const FAILING_REQUIRE: &str = "bundle r on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    require x >= 1_000_000 USDC\n}\n";

#[test]
fn a_revert_names_the_line_and_commit_leaves_the_world_byte_identical() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = write(dir.path(), "r.mesh", FAILING_REQUIRE);
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let world = write(dir.path(), "world.toml", &world_text);
    let before = std::fs::read(&world).unwrap_or_default();
    let (code, stdout, _) = outcome(&run(&[
        "run", &source, "--world", &world, "--commit", "--json",
    ]));
    assert_eq!(code, 1, "{stdout}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(report["status"], "reverted");
    assert!(stdout.contains("\"line\":4"), "{stdout}");
    assert_eq!(std::fs::read(&world).unwrap_or_default(), before);
}

#[test]
fn commit_on_a_commit_rewrites_the_world_which_still_parses() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let world = write(dir.path(), "world.toml", &world_text);
    let (code, _, stderr) = outcome(&run(&["run", &flagship(), "--world", &world, "--commit"]));
    assert_eq!(code, 0, "{stderr}");
    let after = std::fs::read_to_string(&world).unwrap_or_default();
    assert_ne!(after, world_text);
    // The new world runs the flagship again (it parses and still commits or reverts cleanly).
    let (code, _, stderr) = outcome(&run(&["run", &flagship(), "--world", &world]));
    assert!(code == 0 || code == 1, "{stderr}");
}

#[test]
fn several_bundles_need_a_choice() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let two = format!(
        "{FAILING_REQUIRE}{}",
        FAILING_REQUIRE.replace("bundle r", "bundle s")
    );
    let source = write(dir.path(), "two.mesh", &two);
    let (code, _, stderr) = outcome(&run(&["run", &source]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--bundle") && stderr.contains("r, s"),
        "{stderr}"
    );
    let (code, _, _) = outcome(&run(&["run", &source, "--bundle", "s"]));
    assert_eq!(code, 1);
}

#[test]
fn errors_in_the_source_are_diagnostics_and_nothing_runs() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = write(dir.path(), "bad.mesh", "bundle b on nowhere { }\n");
    let (code, stdout, stderr) = outcome(&run(&["run", &source]));
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("E0101"), "{stderr}");
}

#[test]
fn every_example_commits_on_the_default_world() {
    let (accepted, _) = mesh_tests::examples();
    for path in accepted {
        let file = path.display().to_string();
        let (code, stdout, stderr) =
            mesh_tests::outcome(&mesh_tests::run(&["run", "--json", &file]));
        assert_eq!(code, 0, "{file} did not commit:\n{stdout}\n{stderr}");
        let report: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{file}: the report is not JSON ({e}):\n{stdout}"));
        assert_eq!(report["status"], "committed", "{file}: {report}");
        assert!(
            report["gas"]["total"].as_u64().is_some_and(|g| g > 0),
            "{file}: {report}"
        );
    }
}
