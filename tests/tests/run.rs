//! `meshc run`: the real binary checks, compiles with the JIT, runs and
//! reports; exit codes and `--commit` behave as documented: the world file
//! is locked for the whole run, written all or nothing, and "committed" is
//! said only once it is on disk.

use mesh_runtime::World;
use mesh_tests::{meshc, outcome, root, run};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

fn flagship() -> String {
    root()
        .join("examples/polygon_arbitrum_arbitrage.mesh")
        .display()
        .to_string()
}

#[test]
fn the_flagship_commits_and_its_json_report_parses() {
    let (code, stdout, stderr) = outcome(&run(&["run", &flagship(), "--json"]));
    assert_eq!(code, 0, "{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(report["status"], "would_commit", "{stdout}");
    assert_eq!(report["written"], false, "{stdout}");
    assert_eq!(report["blocks"], 13);
}

#[test]
fn emit_ir_prints_the_lowered_program() {
    let (code, stdout, _) = outcome(&run(&["run", &flagship(), "--emit", "ir", "-O"]));
    assert_eq!(code, 0);
    assert!(stdout.starts_with("bundle polygon_arbitrum_arbitrage on polygon"));
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

fn default_world_text() -> String {
    std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default()
}

/// The user's deposit of USDC at aave on polygon, in base units.
fn aave_usdc(path: &str) -> u128 {
    let world = World::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    world
        .lender("polygon", "aave")
        .and_then(|l| l.deposits.get("USDC").copied())
        .unwrap_or(0)
}

/// A bundle that deposits `n` USDC of the wallet into aave on polygon.
fn deposit_source(n: u32) -> String {
    format!("bundle d on polygon {{\n    input {n} USDC\n    deposit {n} USDC into aave\n}}\n")
}

/// Without `--commit` nothing is written, and the report says so rather
/// than "committed".
#[test]
fn a_run_without_commit_says_it_would_commit_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = write(dir.path(), "world.toml", &default_world_text());
    let source = write(dir.path(), "d.mesh", &deposit_source(5));
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &world]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("bundle d: would commit; the world was not written (no --commit)\n"),
        "{stdout}"
    );
    let (code, stdout, _) = outcome(&run(&["run", &source, "--world", &world, "--json"]));
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("{\"bundle\":\"d\",\"status\":\"would_commit\",\"written\":false,"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&world).unwrap_or_default(),
        default_world_text()
    );

    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &world, "--commit"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(&format!("bundle d: committed to {world}\n")),
        "{stdout}"
    );
    assert_eq!(aave_usdc(&world), 5_000_000);
    let (_, stdout, _) = outcome(&run(&[
        "run", &source, "--world", &world, "--commit", "--json",
    ]));
    assert!(
        stdout.starts_with("{\"bundle\":\"d\",\"status\":\"committed\",\"written\":true,"),
        "{stdout}"
    );
    assert_eq!(aave_usdc(&world), 10_000_000);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names.len(),
        2,
        "no lock or temporary file is left: {names:?}"
    );
}

/// Eight `meshc run --commit` at once on one world file, each depositing
/// its own power of two: every one commits, the file holds the sum and is,
/// byte for byte, what the eight give run one after the other, and no
/// process reports a commit the file lacks.
#[test]
fn eight_commits_at_once_all_land_in_the_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A file in its own layout (a comment on top), which commits keep.
    let text = format!("# Shared by eight committers.\n{}", default_world_text());
    let world = write(dir.path(), "world.toml", &text);
    let sources: Vec<String> = (0..8u32)
        .map(|i| write(dir.path(), &format!("d{i}.mesh"), &deposit_source(1 << i)))
        .collect();
    let commit = |source: &str, world: &str| {
        let mut command = meshc();
        command.args([
            "run",
            source,
            "--world",
            world,
            "--commit",
            "--lock-timeout",
            "300",
        ]);
        command
    };
    // The sequential result: the same eight, one after the other.
    let sequential = write(dir.path(), "sequential.toml", &text);
    for source in &sources {
        let output = commit(source, &sequential)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let (code, stdout, stderr) = outcome(&output);
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    let children: Vec<_> = sources
        .iter()
        .enumerate()
        .map(|(i, source)| {
            let child = commit(source, &world)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"));
            (1u128 << i, child)
        })
        .collect();
    let mut reported = 0u128;
    for (amount, child) in children {
        let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let (code, stdout, stderr) = outcome(&output);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.starts_with(&format!("bundle d: committed to {world}\n")),
            "{stdout}"
        );
        reported += amount;
    }
    assert_eq!(reported, 255);
    assert_eq!(
        aave_usdc(&world),
        reported * 1_000_000,
        "exactly the commits reported"
    );
    let after = std::fs::read_to_string(&world).unwrap_or_default();
    assert!(after.starts_with("# Shared by eight committers.\n"));
    assert_eq!(
        after,
        std::fs::read_to_string(&sequential).unwrap_or_default(),
        "the sequential result"
    );
    assert_ne!(after, text);
    assert!(!dir.path().join("world.toml.lock").exists());
}

/// A file the user may not write is refused before anything runs.
#[test]
fn a_read_only_world_is_refused_before_running() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = write(dir.path(), "world.toml", &default_world_text());
    let source = write(dir.path(), "d.mesh", &deposit_source(5));
    let read_only = std::fs::Permissions::from_mode(0o444);
    std::fs::set_permissions(&world, read_only).unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &world, "--commit"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert_eq!(
        stderr,
        format!("error: {world}: is read-only (mode 0444); a commit would replace it, so nothing was run. Make it writable (chmod u+w) to commit to it\n")
    );
    assert_eq!(
        std::fs::read_to_string(&world).unwrap_or_default(),
        default_world_text()
    );
}

/// A commit waits for the one that holds the lock; past its timeout it
/// gives up, naming the lock and its owner. A stale lock is cleared, with a
/// warning that says whose it was.
#[test]
fn the_lock_is_waited_for_named_and_cleared_when_stale() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = write(dir.path(), "world.toml", &default_world_text());
    let source = write(dir.path(), "d.mesh", &deposit_source(1));
    let lock = format!("{world}.lock");
    let held = mesh_runtime::world::LockedWorld::open(Path::new(&world), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = outcome(&run(&[
        "run",
        &source,
        "--world",
        &world,
        "--commit",
        "--lock-timeout",
        "0.3",
    ]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    let me = std::process::id();
    assert!(
        stderr.starts_with(&format!(
            "error: {lock}: another commit is running: the lock is held by process {me} on this host (taken "
        )) && stderr.contains("Try again when it ends, or wait longer (--lock-timeout SECONDS)"),
        "{stderr}"
    );
    // Released while a second one waits: it commits.
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    let (code, _, stderr) = outcome(&run(&["run", &source, "--world", &world, "--commit"]));
    assert_eq!(code, 0, "{stderr}");
    release.join().unwrap_or_else(|_| panic!("the holder ends"));
    assert_eq!(aave_usdc(&world), 1_000_000);

    // Left by a process that is gone.
    let mut gone = std::process::Command::new("true")
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let pid = gone.id();
    let _ = gone.wait();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let record = format!("meshc world lock: process {pid} on host {}\n", host.trim());
    std::fs::write(&lock, record).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, stderr) = outcome(&run(&["run", &source, "--world", &world, "--commit"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "warning: removed the stale lock {lock}: process {pid} on this host took it "
        )),
        "{stderr}"
    );
    assert_eq!(aave_usdc(&world), 2_000_000);
    assert!(!Path::new(&lock).exists());
}

/// Returning a withdrawal to a wallet at the largest balance would
/// overflow it: the bundle reverts and the file is byte-identical.
#[test]
fn an_overflowing_bundle_reverts_and_leaves_the_file_byte_identical() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let largest = "340282366920938463463374607431768.211455";
    let text = default_world_text().replacen(
        "[wallet.polygon]\nDAI = \"10000\"\nUSDC = \"25000\"\n",
        &format!(
            "[wallet.polygon]\nDAI = \"10000\"\n# As much as there can be.\nUSDC = \"{largest}\"\n"
        ),
        1,
    );
    assert!(text.contains(largest));
    let world = write(dir.path(), "world.toml", &text);
    World::load(Path::new(&world)).unwrap_or_else(|e| panic!("{e}"));
    let source = write(
        dir.path(),
        "w.mesh",
        "bundle w on polygon {\n    withdraw 1 USDC from compound\n}\n",
    );
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", &world, "--commit"]));
    assert_eq!(code, 1, "{stdout}{stderr}");
    // At no line: the holdings return to the wallet at the end.
    assert!(
        stdout.starts_with("bundle w: reverted: arithmetic overflow\n"),
        "{stdout}"
    );
    assert_eq!(std::fs::read_to_string(&world).unwrap_or_default(), text);
}

/// What is not a world file is refused, with `--commit` too, for what it
/// is: an empty path, a device (whose lock, `/dev/zero.lock`, another user
/// could not even make), a file in a folder that does not exist. Nothing
/// runs.
#[test]
fn a_commit_to_what_is_not_a_world_file_names_it_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let source = write(dir.path(), "d.mesh", &deposit_source(1));
    let missing = dir.path().join("no-such-folder/world.toml");
    let missing = missing.display().to_string();
    for (world, message) in [
        (
            "/dev/zero",
            "error: /dev/zero: is a character device; a world file is a regular file\n"
                .to_string(),
        ),
        (
            missing.as_str(),
            format!("error: {missing}: cannot read the world file: No such file or directory (os error 2)\n"),
        ),
    ] {
        let (code, stdout, stderr) =
            outcome(&run(&["run", &source, "--world", world, "--commit"]));
        assert_eq!(code, 2, "{world}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "nothing ran: {stdout}");
        assert_eq!(stderr, message);
    }
    // An empty path is not a path: the command line says so.
    let (code, stdout, stderr) = outcome(&run(&["run", &source, "--world", "", "--commit"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "nothing ran: {stdout}");
    assert!(
        stderr.starts_with("error: a value is required for '--world <W>' but none was supplied"),
        "{stderr}"
    );
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
        assert_eq!(report["status"], "would_commit", "{file}: {report}");
        assert!(
            report["gas"]["total"].as_u64().is_some_and(|g| g > 0),
            "{file}: {report}"
        );
    }
}

/// `--bundle` chooses whose warnings are shown: the chosen bundle's, not
/// the others'; an error in another bundle still stops the run, and is
/// shown.
#[test]
fn run_with_bundle_shows_only_that_bundles_warnings() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Each bundle has an unbounded swap (W0001) on its own line.
    let unbounded = |name: &str, amount: u32| {
        format!("bundle {name} on polygon {{\n    input {amount} USDC\n    swap {amount} USDC for WETH on uniswap_v2\n}}\n")
    };
    let source = write(
        dir.path(),
        "two.mesh",
        &format!("{}\n{}", unbounded("a", 10), unbounded("b", 20)),
    );
    let (code, _, stderr) = outcome(&run(&["run", &source, "--bundle", "b"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("W0001").count(), 1, "{stderr}");
    assert!(stderr.contains("swap 20 USDC for WETH"), "{stderr}");
    assert!(!stderr.contains("swap 10 USDC for WETH"), "{stderr}");

    // Without --bundle there is nothing to choose between: a file of one
    // bundle shows its warnings.
    let one = write(dir.path(), "one.mesh", &unbounded("a", 10));
    let (code, _, stderr) = outcome(&run(&["run", &one]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("W0001").count(), 1, "{stderr}");

    // An error in the other bundle is shown, and nothing runs.
    let broken = write(
        dir.path(),
        "broken.mesh",
        &format!(
            "{}\nbundle c on polygon {{\n    swap 1 NOPE for USDC on uniswap_v2\n}}\n",
            unbounded("a", 10)
        ),
    );
    let (code, stdout, stderr) = outcome(&run(&["run", &broken, "--bundle", "a"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("E0102"), "{stderr}");
    assert!(stderr.contains("W0001"), "{stderr}");
}

/// A bundle that reverts at -O0 after sending several transactions by
/// hand is judged as if sent atomically, as at -O: the report lists no
/// transaction and charges no gas, in text and in JSON, and says so.
#[test]
fn a_bundle_that_reverts_at_o0_is_charged_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Four wallet transactions at -O0 (approval, deposit, approval,
    // deposit), then a constraint that fails at the end.
    let source = write(
        dir.path(),
        "late.mesh",
        "bundle late on polygon {\n    input 100 USDC\n    deposit 60 USDC into aave\n    deposit 40 USDC into compound\n} constraints {\n    min_balance: 1 USDC on polygon\n}\n",
    );
    for level in ["-O0", "-O"] {
        let (code, stdout, stderr) = outcome(&run(&["run", &source, level, "--json"]));
        assert_eq!(code, 1, "{level}: {stdout}{stderr}");
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
        assert_eq!(report["status"], "reverted", "{level}: {stdout}");
        assert_eq!(report["revert"]["line"], 6, "{level}: {stdout}");
        assert_eq!(
            report["gas"],
            serde_json::json!({"total": 0, "by_chain": {}, "cost": {}}),
            "{level}: {stdout}"
        );
        assert_eq!(report["blocks"], 0, "{level}: {stdout}");
        assert_eq!(report["net"], serde_json::Value::Null, "{level}: {stdout}");
        for list in ["transactions", "wallet", "lenders"] {
            assert_eq!(report[list], serde_json::json!([]), "{level}: {stdout}");
        }
        let (code, text, _) = outcome(&run(&["run", &source, level]));
        assert_eq!(code, 1);
        assert_eq!(
            text,
            "bundle late: reverted at line 6, column 5: min_balance: the bundle ends with 0 USDC on polygon; at least 1 USDC is required\nnothing was sent and no gas is charged: a bundle is all or nothing at every optimisation level, -O0 included, and the world is as it was\n",
            "{level}"
        );
    }
}
