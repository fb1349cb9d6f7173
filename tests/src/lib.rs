//! Shared helpers for the end-to-end tests in `tests/tests/`: where the real
//! `meshc` binary is, and how to run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The `meshc` binary under test: `$MESHC` if set, otherwise the one cargo
/// built beside this test (`cargo test --workspace` builds it first).
pub fn meshc_path() -> PathBuf {
    if let Some(path) = std::env::var_os("MESHC") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> -> target/<profile>/meshc
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let candidate = profile_dir.join(format!("meshc{}", std::env::consts::EXE_SUFFIX));
    assert!(
        candidate.exists(),
        "the meshc binary is not at {}: run `cargo build -p meshc` (or the whole \
         workspace's tests), or set MESHC",
        candidate.display()
    );
    candidate
}

/// A `meshc` command with a clean, colourless environment, run from the
/// repository root.
pub fn meshc() -> Command {
    let mut command = Command::new(meshc_path());
    command.current_dir(root()).env("NO_COLOR", "1");
    command
}

/// Runs `meshc` with `args` and returns its output.
pub fn run(args: &[&str]) -> Output {
    match meshc().args(args).output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run meshc {args:?}: {e}"),
    }
}

/// The exit code, standard output and standard error of a run, as text.
pub fn outcome(output: &Output) -> (i32, String, String) {
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every example source, sorted; the ones under `examples/rejected/` are the
/// examples the checker must reject.
pub fn examples() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let list = |dir: PathBuf| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "mesh"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    };
    (
        list(root().join("examples")),
        list(root().join("examples/rejected")),
    )
}
