//! Crash safety of a commit: child processes commit bundles to one world
//! file of megabytes in a loop — each through `LockedWorld`, the one commit
//! path of `meshc run --commit` and of built executables — while this test
//! kills them (SIGKILL) at random moments, at least 200 times. After every
//! kill the file is exactly the world after some number of commits (the old
//! content or the new, never a mix), parses, never goes back, and holds
//! every comment; nothing but the file and at most a stale lock is left in
//! the folder; and the next process clears that lock and commits on.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mesh_runtime::world::{LockedWorld, Pair};
use mesh_runtime::{Constraints, Sender, Session, Spender, World};

const CHILD_ENV: &str = "MESH_CRASH_CHILD_WORLD";
/// What each committed bundle moves from the wallet into aave on polygon.
const STEP: u128 = 1_000_000; // 1 USDC
/// How many times a writer is killed.
const KILLS: usize = 200;

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

/// A world file of megabytes in its own layout: the default world with
/// sixty more tokens and a pair between every two of them on polygon's
/// uniswap_v2, below a long comment (the file's notes) — so that a commit
/// keeps a layout that is not the canonical one, and writes megabytes.
fn big_world_text() -> (World, String) {
    let mut world = World::default_world();
    let symbols: Vec<String> = (0..60).map(|i| format!("T{i:03}")).collect();
    for s in &symbols {
        world.registry.declare_token(s, 18, None).unwrap();
    }
    let pairs = &mut world
        .exchanges
        .get_mut("polygon")
        .unwrap()
        .get_mut("uniswap_v2")
        .unwrap()
        .pairs;
    for (i, a) in symbols.iter().enumerate() {
        for b in &symbols[i + 1..] {
            let pair = Pair {
                reserve0: 1_000_000_123_456_789_000_000,
                reserve1: 2_000_000_987_654_321_000_000,
            };
            pairs.insert((a.clone(), b.clone()), pair);
        }
    }
    world.normalize();
    let mut text = String::from("# A large world, kept by hand.\n");
    while text.len() < 2 << 20 {
        text.push_str("# Notes: the reserves below were copied from the pools on the day of the test, by hand.\n");
    }
    text.push_str(&world.to_toml_string());
    (world, text)
}

/// The child: open under the lock, commit, forever (until killed).
#[test]
fn crash_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let path = Path::new(&path);
    loop {
        let locked = LockedWorld::open(path, Duration::from_secs(60))
            .expect("the child always finds a valid world and takes its lock");
        let after = commit_once(locked.world().clone());
        locked.commit(&after).expect("commit");
    }
}

#[test]
fn killed_committers_leave_the_old_or_the_new_world_and_no_obstacle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.toml");
    let lock = dir.path().join("world.toml.lock");
    let (initial, text) = big_world_text();
    std::fs::write(&path, &text).unwrap();
    assert!(text.len() > 2 << 20, "megabytes: {} bytes", text.len());
    assert_eq!(World::parse(&text, "world.toml").unwrap(), initial);
    assert_eq!(after_commits(&initial, 1), commit_once(initial.clone()));

    // How long one commit takes here: kills land anywhere in two.
    let started = Instant::now();
    let locked = LockedWorld::open(&path, Duration::from_secs(5)).unwrap();
    let after = commit_once(locked.world().clone());
    locked.commit(&after).unwrap();
    let cycle = started.elapsed().max(Duration::from_millis(20));
    // And how long a child takes to start (and end, with nothing to do).
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let idle = Command::new(&exe)
        .args(["--exact", "crash_child", "--test-threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(idle.success());
    let startup = started.elapsed();
    let window = (startup + cycle * 2).as_micros() as u64;

    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut seen: HashMap<String, u128> = HashMap::new();
    let (mut last, mut locks_left, mut interrupted) = (1u128, 0, 0);
    for _ in 0..KILLS {
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
        std::thread::sleep(Duration::from_micros(seed % window));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let text = std::fs::read_to_string(&path).expect("the world file exists");
        let commits = match seen.get(&text) {
            Some(&n) => n,
            None => {
                let world =
                    World::parse(&text, "world.toml").expect("the world file always parses");
                let deposited = world.lender("polygon", "aave").unwrap().deposits["USDC"];
                let n = deposited / STEP;
                assert_eq!(
                    world,
                    after_commits(&initial, n),
                    "the file is exactly the world after {n} commits"
                );
                assert!(text.starts_with("# A large world, kept by hand.\n# Notes:"));
                assert!(
                    !seen.values().any(|&m| m == n),
                    "one text per number of commits"
                );
                seen.insert(text, n);
                n
            }
        };
        assert!(commits >= last, "the world never goes back");
        last = commits;
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        match names.as_slice() {
            [world] if world == "world.toml" => {}
            [world, left] if world == "world.toml" && left == "world.toml.lock" => {
                locks_left += 1;
                // Killed after writing some of the new world into the lock.
                let lock_text = std::fs::read(&lock).unwrap_or_default();
                if !lock_text.starts_with(b"meshc world lock: ") {
                    interrupted += 1;
                }
            }
            other => panic!("only the world file and its lock: {other:?}"),
        }
    }
    // A later commit clears a stale lock, says so, and commits.
    let had_lock = lock.exists();
    let locked =
        LockedWorld::open(&path, Duration::from_secs(5)).expect("no stale state blocks a commit");
    assert_eq!(
        locked.notices().len(),
        usize::from(had_lock),
        "{:?}",
        locked.notices()
    );
    let after = commit_once(locked.world().clone());
    locked.commit(&after).unwrap();
    assert_eq!(
        World::load(&path).unwrap(),
        after_commits(&initial, last + 1)
    );
    assert!(!lock.exists());
    eprintln!(
        "{KILLS} kills of committers on a {} KiB world (one commit: {cycle:?}, a child's start: {startup:?}): {last} commits, \
         {locks_left} locks left by a kill and cleared by the next process, \
         {interrupted} of them in the middle of writing the new world",
        text.len() / 1024
    );
    assert!(last > 1, "the children committed");
    assert!(locks_left > 0, "some kills landed while a lock was held");
}
