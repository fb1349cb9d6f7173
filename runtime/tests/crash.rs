//! Crash safety of `World::save_atomic`: a child process commits bundles in
//! a loop, writing the world back after each, while this test kills it
//! (SIGKILL) at random moments. The world file must always parse and equal
//! one of the worlds of the sequence — the old one or a new one, never a mix.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mesh_runtime::{Constraints, Sender, Session, Spender, World};

const CHILD_ENV: &str = "MESH_CRASH_CHILD_WORLD";
/// What each committed bundle moves from the wallet into aave on polygon.
const STEP: u128 = 1_000_000; // 1 USDC

/// One commit: deposit 1 USDC from the wallet into aave on polygon.
fn commit_once(world: World) -> World {
    let mut s = Session::new(world, "deposit_one");
    s.input("polygon", "USDC", STEP).unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    s.approve("USDC", Spender::Protocol("aave")).unwrap();
    s.deposit("aave", "USDC", STEP).unwrap();
    s.end_transaction().unwrap();
    assert!(s.finish(&Constraints::new()).committed());
    s.into_world()
}

/// The world after `n` commits, computed without running them.
fn after_commits(initial: &World, n: u128) -> World {
    let mut w = initial.clone();
    let wallet = w
        .wallets
        .get_mut("polygon")
        .unwrap()
        .get_mut("USDC")
        .unwrap();
    *wallet -= n * STEP;
    let lender = w
        .lenders
        .get_mut("polygon")
        .unwrap()
        .get_mut("aave")
        .unwrap();
    *lender.liquidity.get_mut("USDC").unwrap() += n * STEP;
    *lender.deposits.entry("USDC".to_string()).or_insert(0) += n * STEP;
    w
}

/// The child: load, commit, save atomically, forever (until killed).
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let path = Path::new(&path);
    loop {
        let world = World::load(path).expect("the child always finds a valid world");
        commit_once(world).save_atomic(path).expect("save");
    }
}

#[test]
fn a_killed_writer_leaves_the_old_or_the_new_world() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.toml");
    let initial = World::builtin();
    initial.save_atomic(&path).unwrap();
    assert_eq!(after_commits(&initial, 1), commit_once(initial.clone()));

    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut kills = 0;
    let mut last_commits = 0u128;
    while kills < 40 && started.elapsed() < Duration::from_secs(12) {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 120));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        kills += 1;

        let text = std::fs::read_to_string(&path).expect("the world file exists");
        let world = World::parse(&text, "world.toml").expect("the world file always parses");
        let deposited = world
            .lender("polygon", "aave")
            .unwrap()
            .deposits
            .get("USDC")
            .copied()
            .unwrap_or(0);
        let commits = deposited / STEP;
        assert!(commits >= last_commits, "the world never goes back");
        assert_eq!(
            world,
            after_commits(&initial, commits),
            "the file is exactly the world after {commits} commits"
        );
        assert_eq!(
            world.to_toml_string(),
            text,
            "and byte for byte what save_atomic writes"
        );
        last_commits = commits;
    }
    let interrupted = std::fs::read_dir(dir.path()).unwrap().count() - 1;
    eprintln!("{kills} kills, {last_commits} commits, {interrupted} writes interrupted mid-file");
    assert!(kills >= 10, "only {kills} kills");
    assert!(last_commits > 0, "the child committed at least once");
}
