//! `meshc build`: the real binary compiles and links standalone executables
//! that run anywhere, report exactly what `meshc run` reports, honour
//! `--world`, `--json` and `--commit`, and build in parallel; a missing C
//! compiler is a clear error.

use mesh_tests::{meshc, outcome, root, run};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn flagship() -> String {
    root()
        .join("examples/polygon_arbitrum_arbitrage.mesh")
        .display()
        .to_string()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.display().to_string()
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// Builds `source` into `out` with `meshc build`, asserting success.
fn build(source: &str, out: &Path, extra: &[&str]) {
    let out_text = text(out);
    let mut args = vec!["build", source, "-o", &out_text];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = outcome(&run(&args));
    assert_eq!(code, 0, "meshc build {source}: {stdout}{stderr}");
    assert!(out.is_file(), "{} was not written", out.display());
}

/// Runs a built executable from `dir` with nothing of the environment but
/// `PATH`-less basics.
fn execute(exe: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()))
}

const FAILING_REQUIRE: &str = "bundle r on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    require x >= 1_000_000 USDC\n}\n";

#[test]
fn a_built_flagship_runs_alone_and_reports_what_run_reports() {
    let work = tempdir();
    let cache = tempdir();
    let exe = work.path().join("flagship");
    let built = meshc()
        .args(["build", &flagship(), "-o", &text(&exe)])
        .env("XDG_CACHE_HOME", cache.path())
        .env_remove(mesh_build_runtime_env())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) = outcome(&built);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        std::fs::read_dir(cache.path().join("meshc"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 1,
        "the runtime library is cached in XDG_CACHE_HOME/meshc"
    );

    // Alone: an empty directory, the cache and the build directory gone.
    let alone = tempdir();
    let moved = alone.path().join("flagship");
    std::fs::copy(&exe, &moved).unwrap_or_else(|e| panic!("{e}"));
    drop(cache);
    drop(work);
    let (code, native, stderr) = outcome(&execute(&moved, alone.path(), &["--json"]));
    assert_eq!(code, 0, "{stderr}");
    let (code, jit, stderr) = outcome(&run(&["run", &flagship(), "--json"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(native, jit);
    assert!(native.contains("\"status\":\"would_commit\""), "{native}");

    // The human report too.
    let (_, native_human, _) = outcome(&execute(&moved, alone.path(), &[]));
    let (_, jit_human, _) = outcome(&run(&["run", &flagship()]));
    assert_eq!(native_human, jit_human);
    let entries: Vec<PathBuf> = std::fs::read_dir(alone.path())
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert_eq!(entries, vec![moved], "running leaves nothing behind");
}

fn mesh_build_runtime_env() -> &'static str {
    meshc::link::RUNTIME_ENV
}

#[test]
fn a_revert_names_the_line_and_commit_leaves_the_world_byte_identical() {
    let dir = tempdir();
    let source = write(dir.path(), "r.mesh", FAILING_REQUIRE);
    let exe = dir.path().join("r");
    build(&source, &exe, &["-O0"]);
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let world = write(dir.path(), "world.toml", &world_text);
    let before = std::fs::read(&world).unwrap_or_default();

    let (code, stdout, stderr) = outcome(&execute(
        &exe,
        dir.path(),
        &["--world", &world, "--commit", "--json"],
    ));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
    assert_eq!(report["status"], "reverted", "{stdout}");
    assert_eq!(report["revert"]["line"], 4, "{stdout}");
    assert_eq!(std::fs::read(&world).unwrap_or_default(), before);

    let (_, jit, _) = outcome(&run(&["run", &source, "-O0", "--world", &world, "--json"]));
    assert_eq!(stdout, jit);
    let (code, human, _) = outcome(&execute(&exe, dir.path(), &[]));
    assert_eq!(code, 1);
    assert!(human.contains("line 4"), "{human}");
}

/// A built executable reports a broken world file as `meshc world --check`
/// does: every error, each with `error:`, then their count; nothing runs.
#[test]
fn a_broken_world_is_reported_whole_by_an_executable() {
    let dir = tempdir();
    let source = write(
        dir.path(),
        "b.mesh",
        "bundle b on polygon {\n    input 1 WETH\n    deposit 1 WETH into aave\n}\n",
    );
    let exe = dir.path().join("b");
    build(&source, &exe, &[]);
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let broken = world_text
        .replacen("decimals = 6,", "decimals = 60,", 1)
        .replacen("decimals = 8,", "decimals = 80,", 1);
    let world = write(dir.path(), "bad.toml", &broken);
    let (code, _, expected) = outcome(&run(&["world", "--check", &world]));
    assert_eq!(code, 2, "{expected}");
    for extra in [&[][..], &["--commit"][..]] {
        let mut args = vec!["--world", world.as_str()];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = outcome(&execute(&exe, dir.path(), &args));
        assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
        assert_eq!(stdout, "", "{args:?}");
        assert_eq!(stderr, expected, "{args:?}");
        assert_eq!(
            stderr.lines().last(),
            Some(format!("{world}: 2 errors").as_str())
        );
    }
}

/// The failed `require` gives the value of its left side against the
/// bound, in the token's units, as `meshc run` does.
#[test]
fn a_failed_require_shows_the_value_against_the_bound() {
    let dir = tempdir();
    let source = write(dir.path(), "r.mesh", FAILING_REQUIRE);
    let exe = dir.path().join("r");
    build(&source, &exe, &[]);
    let (code, human, stderr) = outcome(&execute(&exe, dir.path(), &[]));
    assert_eq!(code, 1, "{human}{stderr}");
    assert!(
        human.starts_with(
            "bundle r: reverted at line 4, column 5: require failed: x >= 1_000_000 USDC: x is 2_441.432945 USDC, needs at least 1_000_000 USDC\n"
        ),
        "{human}"
    );
    let (_, jit, _) = outcome(&run(&["run", &source]));
    assert_eq!(human, jit);
}

/// The default world without `polygon`: no chain, route, token or
/// protocol deployment names it.
fn world_without_polygon() -> String {
    let mut world = mesh_runtime::World::default_world();
    let registry = &mut world.registry;
    registry.chains.retain(|c| c.name != "polygon");
    registry
        .routes
        .retain(|r| r.from != "polygon" && r.to != "polygon");
    for token in &mut registry.tokens {
        token.chains.retain(|c| c != "polygon");
    }
    for protocol in &mut registry.protocols {
        protocol.chains.retain(|c| c != "polygon");
    }
    world.lenders.remove("polygon");
    world.exchanges.remove("polygon");
    world.wallets.remove("polygon");
    world.to_toml_string()
}

/// An executable run against a world that lacks a chain its bundle uses
/// reverts at the first statement that needs the chain, whatever comes
/// later (here a `min_balance` on it), at every level; the reverted
/// report charges nothing and lists no balance.
#[test]
fn a_world_without_a_chain_reverts_at_the_first_statement_that_needs_it() {
    let dir = tempdir();
    let source = write(
        dir.path(),
        "b.mesh",
        "bundle b on ethereum {\n    input 1 WETH\n    let sent = bridge 1 WETH to arbitrum\n    on arbitrum {\n        bridge sent to polygon\n    }\n} constraints {\n    min_balance: 0.5 WETH on polygon\n}\n",
    );
    let world = write(dir.path(), "world.toml", &world_without_polygon());
    let (code, listed, stderr) = outcome(&run(&["world", "--check", &world]));
    assert_eq!(code, 0, "{listed}{stderr}");
    for level in ["-O0", "-O"] {
        let exe = dir.path().join(format!("b{level}"));
        build(&source, &exe, &[level]);
        let (code, human, stderr) = outcome(&execute(&exe, dir.path(), &["--world", &world]));
        assert_eq!(code, 1, "{level}: {human}{stderr}");
        assert_eq!(
            human,
            "bundle b: reverted at line 5, column 9: unknown chain `polygon`\nnothing was sent and no gas is charged: a bundle is all or nothing at every optimisation level, -O0 included, and the world is as it was\n",
            "{level}"
        );
        let (_, json, _) = outcome(&execute(&exe, dir.path(), &["--world", &world, "--json"]));
        let report: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_default();
        assert_eq!(report["revert"]["line"], 5, "{level}: {json}");
        assert_eq!(report["gas"]["total"], 0, "{level}: {json}");
        assert_eq!(
            report["transactions"],
            serde_json::json!([]),
            "{level}: {json}"
        );
        assert_eq!(report["wallet"], serde_json::json!([]), "{level}: {json}");
    }
}

#[test]
fn commit_on_a_commit_writes_the_world_that_run_writes() {
    let dir = tempdir();
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let native_world = write(dir.path(), "native.toml", &world_text);
    let jit_world = write(dir.path(), "jit.toml", &world_text);
    let exe = dir.path().join("flagship");
    build(&flagship(), &exe, &[]);
    let (code, _, stderr) = outcome(&execute(
        &exe,
        dir.path(),
        &["--world", &native_world, "--commit"],
    ));
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = outcome(&run(&[
        "run",
        &flagship(),
        "--world",
        &jit_world,
        "--commit",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let native = std::fs::read(&native_world).unwrap_or_default();
    assert_ne!(native, world_text.as_bytes());
    assert_eq!(native, std::fs::read(&jit_world).unwrap_or_default());
}

/// The user's deposit of USDC at aave on polygon, in base units.
fn aave_usdc(path: &str) -> u128 {
    let world = mesh_runtime::World::load(Path::new(path)).unwrap_or_else(|e| panic!("{e}"));
    world
        .lender("polygon", "aave")
        .and_then(|l| l.deposits.get("USDC").copied())
        .unwrap_or(0)
}

/// Built executables and `meshc run` commit through one lock: four of each
/// at once on one world file (the executables deposit 1 USDC each, the
/// `meshc` runs 2, 4, 8 and 16) all commit, and the file holds the sum.
#[test]
fn executables_and_run_share_the_lock_of_a_world_file() {
    let dir = tempdir();
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let world = write(dir.path(), "world.toml", &world_text);
    let deposit = |n: u32| {
        format!("bundle d on polygon {{\n    input {n} USDC\n    deposit {n} USDC into aave\n}}\n")
    };
    let exe = dir.path().join("d1");
    build(&write(dir.path(), "d1.mesh", &deposit(1)), &exe, &[]);
    let mut children = Vec::new();
    for i in 0..4u32 {
        let native = Command::new(&exe)
            .args(["--world", &world, "--commit", "--lock-timeout", "300"])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        children.push((1u128, native));
        let source = write(dir.path(), &format!("d{i}.mesh"), &deposit(2 << i));
        let jit = meshc()
            .args([
                "run",
                &source,
                "--world",
                &world,
                "--commit",
                "--lock-timeout",
                "300",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        children.push((2u128 << i, jit));
    }
    let mut reported = 0;
    for (amount, child) in children {
        let (code, stdout, stderr) =
            outcome(&child.wait_with_output().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.starts_with(&format!("bundle d: committed to {world}\n")),
            "{stdout}"
        );
        reported += amount;
    }
    assert_eq!(reported, 34);
    assert_eq!(aave_usdc(&world), reported * 1_000_000);
    assert!(!dir.path().join("world.toml.lock").exists());

    // A read-only world is refused before the executable runs anything.
    use std::os::unix::fs::PermissionsExt as _;
    let before = std::fs::read(&world).unwrap_or_default();
    std::fs::set_permissions(&world, std::fs::Permissions::from_mode(0o444))
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, stdout, stderr) =
        outcome(&execute(&exe, dir.path(), &["--world", &world, "--commit"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("is read-only (mode 0444)"), "{stderr}");
    assert_eq!(std::fs::read(&world).unwrap_or_default(), before);
    // What is not a world file is named for what it is, before anything runs.
    for (path, message) in [
        ("", "error: no world file: the path given is empty\n"),
        (
            "/dev/zero",
            "error: /dev/zero: is a character device; a world file is a regular file\n",
        ),
    ] {
        let (code, stdout, stderr) =
            outcome(&execute(&exe, dir.path(), &["--world", path, "--commit"]));
        assert_eq!(code, 2, "{path:?}: {stdout}{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr, message);
    }
    let (code, stdout, _) = outcome(&execute(&exe, dir.path(), &["--help"]));
    assert_eq!(code, 0);
    assert!(stdout.contains("[--lock-timeout SECONDS]"), "{stdout}");
}

#[test]
fn declared_tokens_reach_the_executable_world() {
    let dir = tempdir();
    // ZZZ is in no world: only its declaration makes it a token, so the
    // bundle reverts on the empty wallet, not on an unknown token.
    let source = write(
        dir.path(),
        "z.mesh",
        "token ZZZ decimals 6 at 0x1111111111111111111111111111111111111111\n\nbundle z on polygon {\n    input 5 ZZZ\n}\n",
    );
    let exe = dir.path().join("z");
    build(&source, &exe, &[]);
    let (code, native, _) = outcome(&execute(&exe, dir.path(), &["--json"]));
    let (jit_code, jit, _) = outcome(&run(&["run", &source, "--json"]));
    assert_eq!((code, &native), (jit_code, &jit));
    assert!(
        native.contains("the wallet holds 0 ZZZ on polygon"),
        "{native}"
    );

    let custom = root().join("examples/custom_token.mesh");
    let exe = dir.path().join("custom");
    build(&text(&custom), &exe, &[]);
    let (code, native, _) = outcome(&execute(&exe, dir.path(), &["--json"]));
    let (jit_code, jit, _) = outcome(&run(&["run", &text(&custom), "--json"]));
    assert_eq!((code, &native), (jit_code, &jit));
}

#[test]
fn parallel_builds_to_different_outputs_both_succeed() {
    let dir = tempdir();
    let outputs: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("flagship-{i}")))
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = outputs
            .iter()
            .map(|out| {
                scope.spawn(move || outcome(&run(&["build", &flagship(), "-o", &text(out)])))
            })
            .collect();
        for handle in handles {
            let (code, stdout, stderr) =
                handle.join().unwrap_or((-1, String::new(), String::new()));
            assert_eq!(code, 0, "{stdout}{stderr}");
        }
    });
    for out in &outputs {
        let (code, stdout, stderr) = outcome(&execute(out, dir.path(), &["--json"]));
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("\"would_commit\""));
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_missing_c_compiler_is_a_clear_error() {
    let dir = tempdir();
    let out = dir.path().join("never");
    for (cc, path) in [(Some("/nonexistent/cc"), None), (None, Some(""))] {
        let mut command = meshc();
        command.args(["build", &flagship(), "-o", &text(&out)]);
        match cc {
            Some(cc) => command.env("CC", cc),
            None => command.env_remove("CC"),
        };
        if let Some(path) = path {
            command.env("PATH", path);
        }
        let (code, _, stderr) = outcome(&command.output().unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(
                "meshc build needs a C compiler to link: install `cc` (gcc or clang) or set CC"
            ),
            "{stderr}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn emit_obj_writes_a_relocatable_elf_object() {
    let dir = tempdir();
    let out = dir.path().join("flagship.o");
    build(&flagship(), &out, &["--emit", "obj"]);
    let bytes = std::fs::read(&out).unwrap_or_default();
    assert_eq!(bytes.get(..4), Some(&b"\x7fELF"[..]));
    // e_type (little-endian u16 at 16): 1 is ET_REL, a relocatable object.
    assert_eq!(bytes.get(16..18), Some(&[1u8, 0][..]));
    assert!(bytes.windows(16).any(|w| w == b"mesh_main_tokens"));
}

#[test]
fn an_explicit_runtime_library_is_used_and_a_missing_one_is_an_error() {
    let dir = tempdir();
    let out = dir.path().join("flagship");
    let missing = text(&dir.path().join("missing.a"));
    let (code, _, stderr) = outcome(&run(&[
        "build",
        &flagship(),
        "-o",
        &text(&out),
        "--runtime",
        &missing,
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.a"), "{stderr}");
    let (code, _, stderr) = outcome(
        &meshc()
            .args(["build", &flagship(), "-o", &text(&out)])
            .env(mesh_build_runtime_env(), &missing)
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.a"), "{stderr}");

    // A real library through the variable: the embedded one, written out.
    let library = dir.path().join("runtime.a");
    std::fs::write(&library, meshc::link::embedded_runtime()).unwrap_or_else(|e| panic!("{e}"));
    let (code, _, stderr) = outcome(
        &meshc()
            .args(["build", &flagship(), "-o", &text(&out)])
            .env(mesh_build_runtime_env(), &library)
            .output()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, _) = outcome(&execute(&out, dir.path(), &[]));
    assert_eq!(code, 0);
}

#[test]
fn a_bundle_with_errors_is_not_built() {
    let dir = tempdir();
    let source = write(
        dir.path(),
        "bad.mesh",
        "bundle b on polygon {\n    swap 1 NOPE for USDC on uniswap_v2\n}\n",
    );
    let out = dir.path().join("b");
    let (code, _, stderr) = outcome(&run(&["build", &source, "-o", &text(&out)]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error"), "{stderr}");
    assert!(!out.exists());
}

/// A world with no `polygon`: two chains, one token, one lender.
const WORLD_WITHOUT_POLYGON: &str = r#"format = 1

[chains]
ethereum = { chain_id = 1 }
arbitrum = { chain_id = 42161 }

[tokens]
USDC = { decimals = 6, chains = ["ethereum", "arbitrum"] }

[protocols]
aave = { kind = "lender", chains = ["ethereum", "arbitrum"], premium_bps = 5, flash_loans = true }

[bridges]
routes = [
    { from = "ethereum", to = "arbitrum", kind = "htlb", delay_blocks = 5, gas = 350000, fee_bps = 5, security = 3 },
]

[lenders.ethereum.aave]
liquidity = { USDC = "1000000" }

[wallet.ethereum]
USDC = "100"
"#;

/// An executable built against the default world and run against a world
/// without a chain it uses reverts at the first statement that needs the
/// chain (the bridge there, line 4), not at a constraint naming it (the
/// `min_balance`, line 9), at both levels; `meshc run` refuses the bundle
/// before running it, at the same statement.
#[test]
fn a_chain_missing_from_the_world_reverts_at_the_first_statement_that_needs_it() {
    let dir = tempdir();
    let source = write(
        dir.path(),
        "away.mesh",
        "bundle away on ethereum {\n    input 10 USDC\n    deposit 5 USDC into aave\n    let there = bridge 5 USDC to polygon\n    on polygon {\n        deposit there into aave\n    }\n} constraints {\n    min_balance: 1 USDC on polygon\n}\n",
    );
    let world = write(dir.path(), "world.toml", WORLD_WITHOUT_POLYGON);
    let before = std::fs::read(&world).unwrap_or_default();
    for level in ["-O0", "-O"] {
        let exe = dir.path().join(format!("away{level}"));
        build(&source, &exe, &[level]);
        let (code, stdout, stderr) = outcome(&execute(
            &exe,
            dir.path(),
            &["--world", &world, "--json", "--commit"],
        ));
        assert_eq!(code, 1, "{level}: {stdout}{stderr}");
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_default();
        assert_eq!(report["status"], "reverted", "{level}: {stdout}");
        assert_eq!(
            report["revert"]["reason"], "unknown chain `polygon`",
            "{level}: {stdout}"
        );
        assert_eq!(
            (&report["revert"]["line"], &report["revert"]["column"]),
            (&serde_json::json!(4), &serde_json::json!(5)),
            "{level}: {stdout}"
        );
        let (code, human, _) = outcome(&execute(&exe, dir.path(), &["--world", &world]));
        assert_eq!(code, 1);
        assert!(
            human.starts_with("bundle away: reverted at line 4, column 5: unknown chain `polygon`"),
            "{level}: {human}"
        );
    }
    assert_eq!(std::fs::read(&world).unwrap_or_default(), before);

    let (code, _, stderr) = outcome(&run(&["run", &source, "--world", &world]));
    assert_eq!(code, 1, "{stderr}");
    let at = |place: &str| stderr.find(&format!("away.mesh:{place} ]"));
    assert!(at("4:34").is_some() && at("4:34") < at("9:28"), "{stderr}");
}

/// `meshc build` judges a file against the default registry, where PEPE is
/// unknown, so a file may declare it at any address or with any decimals;
/// the world the executable runs on may know PEPE otherwise (the default
/// world has it at its mainnet address, with 18 decimals). Then the
/// bundle's amounts and address are not that token's: it must not run, as
/// `meshc run` refuses the same file (E0205, E0203).
#[test]
fn a_declaration_the_world_contradicts_stops_the_executable_before_it_runs() {
    let dir = tempdir();
    let world_text =
        std::fs::read_to_string(root().join("runtime/src/default_world.toml")).unwrap_or_default();
    let world = write(dir.path(), "world.toml", &world_text);
    let cases = [
        (
            "address",
            "token PEPE decimals 18 at 0x0000000000000000000000000000000000000001\n",
            "token PEPE is already known at 0x6982508145454Ce325dDbE47a25d4ec3d2311933, not at 0x0000000000000000000000000000000000000001",
            "E0205",
        ),
        (
            "decimals",
            "token PEPE decimals 6\n",
            "token PEPE is already known with 18 decimals",
            "E0203",
        ),
    ];
    for (name, declaration, reason, code) in cases {
        let source = write(
            dir.path(),
            &format!("{name}.mesh"),
            &format!("{declaration}\nbundle b on ethereum {{\n    input 1 PEPE\n}}\n"),
        );
        let exe = dir.path().join(name);
        build(&source, &exe, &[]);
        for args in [
            vec![],
            vec!["--json"],
            vec!["--world", world.as_str(), "--commit"],
        ] {
            let (status, stdout, stderr) = outcome(&execute(&exe, dir.path(), &args));
            assert_eq!(status, 1, "{name} {args:?}: {stdout}{stderr}");
            assert_eq!(stdout, "", "{name} {args:?}: nothing is reported as run");
            assert!(stderr.contains(reason), "{name} {args:?}: {stderr}");
            assert!(
                stderr.contains("nothing was run"),
                "{name} {args:?}: {stderr}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(&world).unwrap_or_default(),
            world_text
        );
        let (status, _, stderr) = outcome(&run(&["run", &source, "--world", &world]));
        assert_eq!(status, 1, "{stderr}");
        assert!(stderr.contains(&format!("[{code}]")), "{stderr}");
    }
}
