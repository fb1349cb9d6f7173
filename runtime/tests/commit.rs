//! Committing to a world file (`LockedWorld`): the user's layout is kept,
//! the folder's other files are never touched whatever is planted in it,
//! the file's mode, owner and links are respected, and the lock serialises
//! commits, waits for a running one, and clears a stale one out loud.

use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mesh_runtime::world::{CommitError, LockedWorld};
use mesh_runtime::{Constraints, LoanKind, Sender, Session, Spender, World};

const WAIT: Duration = Duration::from_secs(5);

/// A world file in its owner's layout: comments everywhere, keys in an
/// order of their own, a pair written the other way round, amounts as
/// integers, grouped, in literal strings.
const MINE: &str = r#"# My world: two chains, kept by hand.
format = 1

[chains]
polygon = { chain_id = 137 }   # the cheap one
arbitrum = { chain_id = 42161 }

[tokens]
# Stablecoins first.
USDC = { decimals = 6 }
WETH = { decimals = 18, chains = ["polygon", "arbitrum"] }
DAI = { decimals = 18 }

[protocols]
uniswap_v2 = { kind = "exchange", chains = ["polygon"], fee_bps = 30 }
aave = { kind = "lender", premium_bps = 5, flash_loans = true }

# What I hold.
[wallet.polygon]
WETH = '0.5'      # half an ether
USDC = 1_000      # an integer amount
DAI = "7"

[exchanges.polygon.uniswap_v2]
# Written my way round.
"USDC/WETH" = ["250_000.5", "100"]   # price 2,500

[lenders.polygon.aave]
liquidity = { USDC = "1000000", WETH = "500", DAI = "10" }  # deep enough
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Deposits 50 USDC into aave and swaps 50 USDC for WETH on polygon.
fn deposit_and_swap(world: &World) -> World {
    let mut s = Session::new(world.clone(), "mine");
    s.input("polygon", "USDC", 100_000_000).unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    s.approve("USDC", Spender::Protocol("aave")).unwrap();
    s.deposit("aave", "USDC", 50_000_000).unwrap();
    s.approve("USDC", Spender::Protocol("uniswap_v2")).unwrap();
    s.swap("uniswap_v2", "USDC", 50_000_000, "WETH", 0).unwrap();
    s.end_transaction().unwrap();
    let report = s.finish(&Constraints::new());
    assert!(report.committed(), "{}", report.render_human());
    s.into_world()
}

/// Deposits 1 USDC of the wallet on polygon into aave.
fn deposit_one(world: &World) -> World {
    let mut s = Session::new(world.clone(), "one");
    s.input("polygon", "USDC", 1_000_000).unwrap();
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    s.approve("USDC", Spender::Protocol("aave")).unwrap();
    s.deposit("aave", "USDC", 1_000_000).unwrap();
    s.end_transaction().unwrap();
    assert!(s.finish(&Constraints::new()).committed());
    s.into_world()
}

/// Every name in a folder, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Commits `deposit_one` through the file at `path`.
fn commit_one(path: &Path) -> Result<(), CommitError> {
    let locked = LockedWorld::open(path, WAIT)?;
    let after = deposit_one(locked.world());
    locked.commit(&after)
}

fn root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[test]
fn a_commit_changes_only_the_values_that_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "mine.toml", MINE);
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    let mut run_on = locked.world().clone();
    // The bundle's own declaration joins the run's registry, never the file.
    run_on
        .registry
        .declare_token("ZZZ", 6, Some("0x1111111111111111111111111111111111111111"))
        .unwrap();
    let after = deposit_and_swap(&run_on);
    locked.commit(&after).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(format!("{MINE}\n--- committed ---\n\n{written}"));

    // Every comment, header and unchanged line is where it was; the
    // changed lines are exactly the changed values; one line is added.
    let before: Vec<&str> = MINE.lines().collect();
    let now: Vec<&str> = written.lines().collect();
    let changed: Vec<(&str, &str)> = before
        .iter()
        .zip(&now)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (*a, *b))
        .collect();
    assert_eq!(
        changed,
        vec![
            (
                "WETH = '0.5'      # half an ether",
                "WETH = '0.519935984892642621'      # half an ether"
            ),
            (
                "USDC = 1_000      # an integer amount",
                "USDC = 900      # an integer amount"
            ),
            (
                "\"USDC/WETH\" = [\"250_000.5\", \"100\"]   # price 2,500",
                "\"USDC/WETH\" = [\"250_050.5\", \"99.980064015107357379\"]   # price 2,500"
            ),
            (
                "liquidity = { USDC = \"1000000\", WETH = \"500\", DAI = \"10\" }  # deep enough",
                "liquidity = { USDC = \"1000050\", WETH = \"500\", DAI = \"10\" }  # deep enough"
            ),
        ]
    );
    assert_eq!(now.len(), before.len() + 1);
    assert_eq!(now.last(), Some(&"deposits = { USDC = \"50\" }"));
    assert!(!written.contains("ZZZ"), "no declaration is written");
    let reread = World::parse(&written, "mine.toml").unwrap();
    assert_eq!(
        reread.registry,
        World::parse(MINE, "mine.toml").unwrap().registry
    );
    assert_eq!(reread.wallets, after.wallets);
    assert_eq!(names(dir.path()), vec!["mine.toml"]);
}

/// A canonical file (as `meshc world` prints it) stays canonical.
#[test]
fn a_canonical_file_stays_canonical() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", World::default_world_text());
    commit_one(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    let world = World::parse(&written, "world.toml").unwrap();
    assert_eq!(world.to_toml_string(), written);
    assert_eq!(world, deposit_one(&World::default_world()));
}

/// Symbolic links planted at every name a commit could use (the lock, and
/// the temporary names of earlier versions), a read-only file, a 0600
/// file, a symlinked world file, a hard link: no file outside the world
/// file changes, modes and owners are kept, a symlink's target is written.
#[test]
fn a_hostile_folder_changes_nothing_but_the_world_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let victim = write(d, "victim.txt", "precious\n");
    let path = write(d, "world.toml", MINE);
    let victim_bytes = || std::fs::read(&victim).unwrap();
    let pid = std::process::id();
    for n in [pid, pid + 1, pid + 2] {
        std::os::unix::fs::symlink(&victim, d.join(format!(".world.toml.tmp.{n}"))).unwrap();
    }

    // A link at the lock's name: never followed, never replaced.
    let lock = d.join("world.toml.lock");
    std::os::unix::fs::symlink(&victim, &lock).unwrap();
    let e = commit_one(&path).unwrap_err();
    assert!(
        e.to_string().ends_with("world.toml.lock: is a symbolic link, not a lock; a commit never follows or replaces it. Remove it to commit"),
        "{e}"
    );
    // A dangling one too: its target is not made.
    std::fs::remove_file(&lock).unwrap();
    std::os::unix::fs::symlink(d.join("made.txt"), &lock).unwrap();
    assert!(matches!(
        commit_one(&path),
        Err(CommitError::NotALock { .. })
    ));
    assert!(!d.join("made.txt").exists());
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    assert!(commit_one(&path)
        .unwrap_err()
        .to_string()
        .contains("is a folder, not a lock"));
    std::fs::remove_dir(&lock).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);

    // A read-only file is refused before anything runs.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let e = LockedWorld::open(&path, WAIT).err().expect("refused");
    assert!(
        e.to_string()
            .contains("world.toml: is read-only (mode 0444)"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);

    // A 0600 file stays 0600 (and its owner stays, where the committer
    // may give it: as root).
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    if root() {
        std::os::unix::fs::chown(&path, Some(4242), Some(4343)).unwrap();
    }
    commit_one(&path).unwrap();
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o600);
    if root() {
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    }
    let once = std::fs::read_to_string(&path).unwrap();
    assert_ne!(once, MINE);

    // Through a symbolic link: the target is written, the link stays a link.
    let link = d.join("link.toml");
    std::os::unix::fs::symlink("world.toml", &link).unwrap();
    std::os::unix::fs::symlink(&victim, d.join("link.toml.lock")).unwrap();
    commit_one(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("world.toml"));
    let twice = std::fs::read_to_string(&path).unwrap();
    assert_ne!(twice, once);
    assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);

    // A hard link is refused: a commit would leave the other name behind.
    let other = d.join("other-name.toml");
    std::fs::hard_link(&path, &other).unwrap();
    let e = LockedWorld::open(&path, WAIT).err().expect("refused");
    assert!(
        e.to_string().contains("world.toml: has 2 hard links"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&other).unwrap(), twice);
    std::fs::remove_file(&other).unwrap();

    assert_eq!(victim_bytes(), b"precious\n");
    for n in [pid, pid + 1, pid + 2] {
        let planted = d.join(format!(".world.toml.tmp.{n}"));
        assert_eq!(std::fs::read_link(&planted).unwrap(), victim);
    }
    assert_eq!(
        std::fs::read_link(d.join("link.toml.lock")).unwrap(),
        victim
    );
    let mut expected = vec![
        ".world.toml.tmp.".to_string() + &pid.to_string(),
        format!(".world.toml.tmp.{}", pid + 1),
        format!(".world.toml.tmp.{}", pid + 2),
        "link.toml".to_string(),
        "link.toml.lock".to_string(),
        "victim.txt".to_string(),
        "world.toml".to_string(),
    ];
    expected.sort();
    assert_eq!(names(d), expected, "nothing else made, nothing left");
}

const AS_ANOTHER_USER: &str = "MESH_COMMIT_AS_ANOTHER_USER";

/// The half of the next test that runs as another user (`nobody`) when the
/// test itself runs as root: it prints what opening the world gives.
#[test]
fn open_as_another_user() {
    let Some(path) = std::env::var_os(AS_ANOTHER_USER) else {
        return;
    };
    match LockedWorld::open(Path::new(&path), WAIT) {
        Ok(_) => println!("opened"),
        Err(e) => println!("{e}"),
    }
}

/// A folder the user may not write: the lock cannot be made, so nothing
/// runs. Root may write any folder, so as root this is checked by a child
/// process running as `nobody`.
#[test]
fn a_folder_the_user_cannot_write_is_refused_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(dir.path(), open.clone()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let message = if root() {
        use std::os::unix::process::CommandExt as _;
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "open_as_another_user",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(AS_ANOTHER_USER, &path)
            .uid(65534)
            .gid(65534)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    } else {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let e = LockedWorld::open(&path, WAIT).err().map(|e| e.to_string());
        std::fs::set_permissions(dir.path(), open).unwrap();
        e.unwrap_or_default()
    };
    assert!(
        message.contains("world.toml.lock: cannot create the lock: Permission denied"),
        "{message}"
    );
    assert_eq!(names(dir.path()), vec!["world.toml"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
}

#[test]
fn a_second_committer_waits_for_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let first = LockedWorld::open(&path, WAIT).unwrap();

    // While it is held, a commit that will not wait gives up, naming the
    // lock and its owner (this process).
    let e = LockedWorld::open(&path, Duration::from_millis(200))
        .err()
        .expect("busy");
    let message = e.to_string();
    assert!(
        message.contains(&format!(
            "world.toml.lock: another commit is running: the lock is held by process {} on this host",
            std::process::id()
        )),
        "{message}"
    );
    assert!(message.contains("Try again when it ends, or wait longer (--lock-timeout SECONDS)"));

    // One that waits reads the world only once the first has committed.
    let waiting = std::thread::spawn({
        let path = path.clone();
        move || {
            let second = LockedWorld::open(&path, WAIT).unwrap();
            let after = deposit_one(second.world());
            second.commit(&after).unwrap();
        }
    });
    std::thread::sleep(Duration::from_millis(100));
    let after = deposit_one(first.world());
    first.commit(&after).unwrap();
    waiting.join().unwrap();
    let world = World::load(&path).unwrap();
    assert_eq!(
        world,
        deposit_one(&deposit_one(&World::parse(MINE, "w").unwrap()))
    );
    assert_eq!(names(dir.path()), vec!["world.toml"]);
}

/// A lock whose owner died (its flock gone) is removed, out loud; one from
/// another host is not (this host cannot see its processes); a lock file
/// just made and still empty is being taken, not stale.
#[test]
fn a_stale_lock_is_explained_and_cleared_only_when_provably_stale() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let lock = dir.path().join("world.toml.lock");

    // Left by a process of this host that is gone.
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    std::fs::write(
        &lock,
        format!("meshc world lock: process {pid} on host {}\n", host.trim()),
    )
    .unwrap();
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    let notice = locked.notices().join("\n");
    assert!(
        notice.starts_with(&format!(
            "removed the stale lock {}: process {pid} on this host took it ",
            lock.display()
        )) && notice.ends_with(
            " ago and stopped before its commit ended; the world file is as it was before that commit"
        ),
        "{notice}"
    );
    drop(locked);
    assert!(!lock.exists(), "released");

    // Taken on another host: left alone, with the way to clear it.
    std::fs::write(
        &lock,
        "meshc world lock: process 12 on host elsewhere.example\n",
    )
    .unwrap();
    let e = LockedWorld::open(&path, Duration::from_millis(100))
        .err()
        .expect("left alone");
    let message = e.to_string();
    assert!(
        message.contains("world.toml.lock: the world file is locked, by process 12 on host elsewhere.example (taken ")
            && message.contains("this host cannot see that host's processes. If no commit is running there, remove"),
        "{message}"
    );
    assert!(lock.exists());

    // Empty and new: being taken. Empty and old: its taker died.
    std::fs::write(&lock, "").unwrap();
    assert!(LockedWorld::open(&path, Duration::from_millis(100)).is_err());
    let old = std::time::SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    assert_eq!(locked.notices().len(), 1);
    assert!(
        locked.notices()[0]
            .contains("a process that left no owner record in it took it 10 min ago"),
        "{:?}",
        locked.notices()
    );
    drop(locked);
    assert_eq!(names(dir.path()), vec!["world.toml"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
}

/// Something other than a commit (an editor, a script) wrote the file
/// while the bundle ran: nothing is written over it.
#[test]
fn a_world_changed_by_another_hand_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    let after = deposit_one(locked.world());
    let edited = MINE.replace("DAI = \"7\"", "DAI = \"8\"");
    std::fs::write(&path, &edited).unwrap();
    let e = locked.commit(&after).unwrap_err();
    assert!(e.to_string().ends_with("world.toml: the world changed while the bundle ran (something other than a commit wrote it); nothing was written. Run the bundle again on the new world"), "{e}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    assert_eq!(
        names(dir.path()),
        vec!["world.toml"],
        "the lock is released"
    );
}

/// A world that is not committed leaves the file and releases the lock.
#[test]
fn dropping_a_locked_world_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    assert!(locked.lock_path().exists());
    drop(locked);
    assert_eq!(names(dir.path()), vec!["world.toml"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
    // A file that is not a valid world: nothing held afterwards either.
    let bad = write(dir.path(), "bad.toml", "format = 2\n");
    assert!(matches!(
        LockedWorld::open(&bad, WAIT),
        Err(CommitError::World(_))
    ));
    assert_eq!(names(dir.path()), vec!["bad.toml", "world.toml"]);
}

/// A hand-kept world with a position: the oracle's prices and aave's risk
/// parameters for WETH, and half an ether deposited, no debt yet.
const POSITION: &str = r#"# My position, kept by hand.
format = 1

[chains]
polygon = { chain_id = 137 }

[tokens]
USDC = { decimals = 6 }
WETH = { decimals = 18 }

[protocols]
aave = { kind = "lender", premium_bps = 5, flash_loans = true }

[oracle]
WETH = "2500"   # dollars
USDC = 1

[wallet.polygon]
USDC = 10

[lenders.polygon.aave]
liquidity = { USDC = "1000000" }
deposits = { WETH = "0.5" }   # my collateral
risk = { WETH = { ltv_bps = 8000, liquidation_threshold_bps = 8300 } }
"#;

/// Borrows `amount` USDC from aave on polygon as the user's debt (a whole
/// number of dollars), or repays that much of it when `repay`.
fn debt_step(world: &World, dollars: u128, repay: bool) -> World {
    let mut s = Session::new(world.clone(), "position");
    s.begin_transaction("polygon", Sender::Executor).unwrap();
    let amount = dollars * 1_000_000;
    if repay {
        s.input("polygon", "USDC", amount).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.repay_debt("aave", "USDC", amount).unwrap();
    } else {
        s.borrow("aave", "USDC", amount, LoanKind::Debt).unwrap();
    }
    s.end_transaction().unwrap();
    let report = s.finish(&Constraints::new());
    assert!(report.committed(), "{}", report.render_human());
    s.into_world()
}

#[test]
fn a_debt_is_written_into_the_position_and_cleared_when_repaid() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "position.toml", POSITION);

    let locked = LockedWorld::open(&path, WAIT).unwrap();
    let after = debt_step(locked.world(), 1_000, false);
    locked.commit(&after).unwrap();
    let borrowed = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!(format!("{POSITION}\n--- borrowed ---\n\n{borrowed}"));
    // Every line of the file is still there but the liquidity's and the
    // wallet's USDC (the loan is paid out to it), and the debt joins the
    // lender's table.
    let kept: Vec<&str> = POSITION
        .lines()
        .filter(|l| !l.starts_with("liquidity") && !l.starts_with("USDC = 10"))
        .collect();
    let now: Vec<&str> = borrowed.lines().collect();
    assert!(kept.iter().all(|l| now.contains(l)), "{borrowed}");
    let reread = World::parse(&borrowed, "position.toml").unwrap();
    let aave = &reread.lenders["polygon"]["aave"];
    assert_eq!(aave.debts.get("USDC"), Some(&1_000_000_000));
    assert_eq!(aave.liquidity.get("USDC"), Some(&999_000_000_000));

    // Repaying 400 of it from the wallet lowers the debt where it is
    // written.
    let locked = LockedWorld::open(&path, WAIT).unwrap();
    let after = debt_step(locked.world(), 400, true);
    locked.commit(&after).unwrap();
    let repaid = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        repaid
            .lines()
            .filter(|l| l.starts_with("debts"))
            .collect::<Vec<_>>(),
        ["debts = { USDC = \"600\" }"],
        "{repaid}"
    );
    let diff: Vec<(&str, &str)> = borrowed
        .lines()
        .zip(repaid.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(diff.len(), 3, "wallet, liquidity and debts only: {diff:?}");
}

/// What is not a world file, or is one a commit could not replace, is
/// named for what it is before a lock is made beside it: not for a lock
/// that cannot be made in a missing folder, nor for what sits at the
/// lock's name.
#[test]
fn what_a_commit_cannot_replace_is_named_before_a_lock_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let message = |path: &Path| {
        LockedWorld::open(path, WAIT)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };

    // A folder that does not exist: the world file is missing, not the lock.
    let missing = d.join("no-such-folder").join("world.toml");
    let e = message(&missing);
    assert!(
        e.starts_with(&format!(
            "{}: cannot read the world file: No such file or directory",
            missing.display()
        )),
        "{e}"
    );

    // Each with a folder at the lock's name, which would be reported first
    // if the lock were taken first.
    let fifo = d.join("fifo.toml");
    let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let read_only = write(d, "read-only.toml", MINE);
    std::fs::set_permissions(&read_only, std::fs::Permissions::from_mode(0o444)).unwrap();
    let linked = write(d, "linked.toml", MINE);
    std::fs::hard_link(&linked, d.join("linked-too.toml")).unwrap();
    for (path, what) in [
        (
            &fifo,
            "fifo.toml: is a FIFO (named pipe); a world file is a regular file",
        ),
        (&read_only, "read-only.toml: is read-only (mode 0444)"),
        (&linked, "linked.toml: has 2 hard links"),
    ] {
        let lock = d.join(format!(
            "{}.lock",
            path.file_name().unwrap().to_string_lossy()
        ));
        std::fs::create_dir(&lock).unwrap();
        let e = message(path);
        assert!(e.contains(what), "{what} in {e}");
        std::fs::remove_dir(&lock).unwrap();
    }
    // A device: as another user `/dev/zero.lock` could not be made.
    assert_eq!(
        message(Path::new("/dev/zero")),
        "/dev/zero: is a character device; a world file is a regular file"
    );
    assert_eq!(
        names(d),
        vec![
            "fifo.toml",
            "linked-too.toml",
            "linked.toml",
            "read-only.toml"
        ],
        "no lock left"
    );
}

/// A bundle that commits in memory, whose file cannot then be written
/// (another hand changed it): the report never says "committed", says the
/// world file could not be written, and the file keeps the other hand's
/// text. Written, it says "committed to FILE".
#[test]
fn the_report_says_committed_only_once_the_file_is_written() {
    use mesh_runtime::world::RunWorld;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "world.toml", MINE);
    let run = |world: World| {
        let mut s = Session::new(world, "one");
        s.input("polygon", "USDC", 1_000_000).unwrap();
        s.begin_transaction("polygon", Sender::Executor).unwrap();
        s.approve("USDC", Spender::Protocol("aave")).unwrap();
        s.deposit("aave", "USDC", 1_000_000).unwrap();
        s.end_transaction().unwrap();
        let report = s.finish(&Constraints::new());
        assert!(report.committed());
        (report, s.into_world())
    };

    let (target, world) = RunWorld::open(Some(&path), true, WAIT).unwrap();
    let (mut report, after) = run(world);
    let edited = MINE.replace("DAI = \"7\"", "DAI = \"8\"");
    std::fs::write(&path, &edited).unwrap();
    let e = target.finish(&mut report, &after).unwrap_err();
    assert!(matches!(e, CommitError::Changed { .. }), "{e}");
    assert!(
        report.render_human().starts_with(
            "bundle one: would commit, but the world file could not be written: nothing was committed\n"
        ),
        "{}",
        report.render_human()
    );
    assert!(
        report
            .to_json()
            .starts_with("{\"bundle\":\"one\",\"status\":\"would_commit\",\"written\":false,"),
        "{}",
        report.to_json()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    assert_eq!(names(dir.path()), vec!["world.toml"]);

    let (target, world) = RunWorld::open(Some(&path), true, WAIT).unwrap();
    let (mut report, after) = run(world);
    target.finish(&mut report, &after).unwrap();
    let shown = path.display().to_string();
    assert!(report
        .render_human()
        .starts_with(&format!("bundle one: committed to {shown}\n")));
    assert_eq!(World::load(&path).unwrap(), after);
    assert_eq!(names(dir.path()), vec!["world.toml"]);
}
