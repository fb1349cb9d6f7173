//! `meshc world`: the default world as a file to start from, and checking
//! world files.

use mesh_tests::{outcome, run};

#[test]
fn the_printed_default_world_is_a_valid_world_file() {
    let (code, text, stderr) = outcome(&run(&["world"]));
    assert_eq!(code, 0, "{stderr}");
    for chain in ["ethereum", "polygon", "arbitrum", "optimism", "base"] {
        assert!(text.contains(chain), "the default world lacks {chain}");
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("world.toml");
    std::fs::write(&path, &text).unwrap_or_else(|e| panic!("write: {e}"));
    let (code, _, stderr) = outcome(&run(&["world", "--check", &path.display().to_string()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with("a valid world (5 chains, 8 tokens, 50 bridge routes)\n"),
        "{stderr}"
    );
}

/// One chain, one token, one route: the counts are singular.
#[test]
fn the_summary_counts_in_the_singular_and_the_plural() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("one.toml");
    let text = "[chains]\nsolo = { chain_id = 1 }\nduo = { chain_id = 2 }\n\
                [tokens]\nUSDC = { decimals = 6 }\n[protocols]\n\
                [bridges]\nroutes = [{ from = \"solo\", to = \"duo\", kind = \"zk\", delay_blocks = 1, gas = 1, fee_bps = 1, security = 2 }]\n";
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let shown = path.display().to_string();
    let (code, _, stderr) = outcome(&run(&["world", "--check", &shown]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr,
        format!("{shown}: a valid world (2 chains, 1 token, 1 bridge route)\n")
    );
}

/// `--check` reports every error of a file, each on its line, then their
/// count; and goes on to the next file.
#[test]
fn check_reports_every_error_of_every_file() {
    let (_, text, _) = outcome(&run(&["world"]));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let bad = dir.path().join("bad.toml");
    let broken = text
        .replacen("chain_id = 1,", "chain_id = 137,", 1)
        .replacen("decimals = 6,", "decimals = 60,", 1)
        .replacen("delay_blocks = 5,", "delay_blocks = 99999999,", 1)
        .replacen("format = 1\n", "format = 1\ncolour = \"blue\"\n", 1);
    assert_ne!(broken, text);
    std::fs::write(&bad, &broken).unwrap_or_else(|e| panic!("{e}"));
    let good = dir.path().join("good.toml");
    std::fs::write(&good, &text).unwrap_or_else(|e| panic!("{e}"));
    let (bad_shown, good_shown) = (bad.display().to_string(), good.display().to_string());
    let (code, _, stderr) = outcome(&run(&["world", "--check", &bad_shown, &good_shown]));
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    for (line, what) in lines.iter().zip([
        ":4:1: colour: unknown key",
        "chains.polygon.chain_id: chain id 137 is also the id of `ethereum`",
        "tokens.USDC.decimals: must be at most 30",
        "bridges.routes[0].delay_blocks: must be at most 1000000",
    ]) {
        assert!(line.starts_with(&format!("error: {bad_shown}:")), "{line}");
        assert!(line.contains(what), "{what} in {line}");
    }
    assert_eq!(lines[4], format!("{bad_shown}: 4 errors"));
    assert!(lines[5].starts_with(&format!("{good_shown}: a valid world")));
}

/// What is not a world file is refused at once, by name: a device that
/// never ends, a folder.
#[test]
fn check_refuses_what_is_not_a_world_file() {
    for (path, message) in [
        (
            "/dev/zero",
            "error: /dev/zero: is a character device; a world file is a regular file\n",
        ),
        (
            "/",
            "error: /: is a folder; a world file is a regular file\n",
        ),
    ] {
        let (code, _, stderr) = outcome(&run(&["world", "--check", path]));
        assert_eq!(code, 2, "{path}: {stderr}");
        assert_eq!(stderr, message);
    }
}

#[test]
fn a_bad_world_file_is_named_with_its_line_and_exit_2() {
    let (_, text, _) = outcome(&run(&["world"]));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let path = dir.path().join("bad.toml");
    // An unknown key at the end of an otherwise valid world.
    std::fs::write(&path, format!("{text}\nsurprise = 1\n")).unwrap_or_else(|e| panic!("{e}"));
    let shown = path.display().to_string();
    let (code, _, stderr) = outcome(&run(&["world", "--check", &shown]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&shown), "{stderr}");
    assert!(stderr.contains("surprise"), "{stderr}");
    let line = text.lines().count() + 2;
    assert!(
        stderr.contains(&format!(":{line}:")),
        "line {line} expected in: {stderr}"
    );

    let (code, _, stderr) = outcome(&run(&["world", "--check", "no/such/world.toml"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("no/such/world.toml"), "{stderr}");
}

/// Every command that takes `--world` reports a broken world file as
/// `world --check` does — each error on its line, then their count — and
/// exits 2 without running anything; not only its first error.
#[test]
fn every_command_reports_every_error_of_a_world_file() {
    let (_, text, _) = outcome(&run(&["world"]));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let world = dir.path().join("bad.toml");
    let broken = text
        .replacen("decimals = 6,", "decimals = 60,", 1)
        .replacen("delay_blocks = 5,", "delay_blocks = 99999999,", 1);
    std::fs::write(&world, broken).unwrap_or_else(|e| panic!("{e}"));
    let world = world.display().to_string();
    let source = dir.path().join("b.mesh");
    std::fs::write(
        &source,
        "bundle b on polygon {\n    input 1 WETH\n    deposit 1 WETH into aave\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let source = source.display().to_string();
    let (code, _, expected) = outcome(&run(&["world", "--check", &world]));
    assert_eq!(code, 2, "{expected}");
    assert_eq!(expected.lines().count(), 3, "{expected}");
    assert_eq!(
        expected.lines().last(),
        Some(format!("{world}: 2 errors").as_str())
    );
    for args in [
        vec!["check", "--world", &world, &source],
        vec!["gas", "--world", &world, &source],
        vec!["plan", "--world", &world, &source],
        vec!["run", "--world", &world, &source],
        vec!["run", "--engine", "evm", "--world", &world, &source],
        vec!["run", "--commit", "--world", &world, &source],
    ] {
        let (code, stdout, stderr) = outcome(&run(&args));
        assert_eq!(code, 2, "meshc {args:?}: {stdout}{stderr}");
        assert_eq!(stdout, "", "meshc {args:?}");
        assert_eq!(stderr, expected, "meshc {args:?}");
    }
}
