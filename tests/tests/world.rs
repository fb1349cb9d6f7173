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
    assert!(stderr.contains("a valid world"), "{stderr}");
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
