//! Differential testing of the three ways to run a bundle: the IR
//! interpreter (the oracle), the JIT, and a standalone executable built by
//! `codegen::object` and `link`. For every example, and for a corpus of
//! generated well-typed bundles on perturbed worlds, at `-O0` and `-O`,
//! they give byte-identical JSON and human reports (and so with the result
//! valued in a quote token, net of gas), and the executable's
//! `--commit` writes the world the interpreter ends with (or leaves the file
//! untouched after a revert).

mod common;

use common::{bundle, lowered, perturbed};
use mesh_runtime::report::WorldWrite;
use mesh_runtime::{Registry, Session, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::codegen::object;
use meshc::ir::Program;
use meshc::pipeline::analyse;
use proptest::strategy::{Strategy, ValueTree};
use std::path::Path;
use std::process::Command;

/// Where and how to build an executable for [`agree`].
struct Build<'a> {
    dir: &'a Path,
    /// The executable's file name in `dir`.
    name: String,
    /// The source's token declarations, which the executable declares.
    tokens: &'a [mesh_core::registry::TokenDeclaration],
    /// The world the executable runs on without `--world`: the default
    /// world with those tokens.
    default: &'a World,
}

/// Runs `program` on `world` with the interpreter, with the JIT and, when
/// `build` is given, as an executable (run with the world written to a
/// file, `--commit --json`, then without arguments on its default world for
/// the human report). Panics, naming `what`, at the first difference.
/// Returns whether the interpreter committed.
fn agree(program: &Program, world: &World, build: Option<Build>, what: &str) -> bool {
    let (expected, expected_session) = meshc::interp::run(program, world.clone());
    let jit =
        meshc::codegen::jit::compile(program, false).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (got, got_session) = jit.run(world.clone());
    assert_eq!(got.to_json(), expected.to_json(), "JIT: {what}");
    assert_eq!(got.render_human(), expected.render_human(), "JIT: {what}");
    assert!(
        got_session.world() == expected_session.world(),
        "JIT world: {what}"
    );
    // Valued in a quote token, the result net of gas is the same too.
    let quoted = |world: &World| {
        let mut session = Session::new(world.clone(), &program.bundle);
        session
            .quote_in("USDC")
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        session
    };
    let (expected_quoted, _) = meshc::interp::run_session(program, quoted(world));
    let (got_quoted, _) = jit.run_session(quoted(world));
    assert_eq!(
        got_quoted.to_json(),
        expected_quoted.to_json(),
        "JIT, quoted: {what}"
    );
    assert_eq!(
        expected_quoted.net.is_some(),
        expected_quoted.committed(),
        "a committed report has a net result: {what}"
    );
    let Some(build) = build else {
        return expected.committed();
    };
    let bytes =
        object::compile_standalone(program, build.tokens).unwrap_or_else(|e| panic!("{what}: {e}"));
    let exe = build.dir.join(&build.name);
    meshc::link::build_executable(&bytes, &exe, None).unwrap_or_else(|e| panic!("{what}: {e}"));
    let world_file = build.dir.join(format!("{}.toml", build.name));
    let original = world.to_toml_string();
    std::fs::write(&world_file, &original).unwrap_or_else(|e| panic!("{e}"));
    let world_arg = world_file.display().to_string();
    let (code, json) = execute(&exe, &["--world", &world_arg, "--commit", "--json"]);
    // The executable's report also says whether the world file was written.
    let mut on_file = expected.clone();
    on_file.world_write = if expected.committed() {
        WorldWrite::Written(world_arg.clone())
    } else {
        WorldWrite::NotWritten
    };
    assert_eq!(json.trim_end(), on_file.to_json(), "executable: {what}");
    assert_eq!(code, if expected.committed() { 0 } else { 1 }, "{what}");
    let written = std::fs::read_to_string(&world_file).unwrap_or_default();
    if expected.committed() {
        // The state the interpreter ends with; the registry of the file
        // (a commit never writes the source's token declarations).
        let mut committed = expected_session.world().clone();
        committed.registry = world.registry.clone();
        committed.normalize();
        assert_eq!(written, committed.to_toml_string(), "{what}");
    } else {
        assert_eq!(written, original, "a revert leaves the file: {what}");
    }
    let (_, human) = execute(&exe, &[]);
    let (mut on_default, _) = meshc::interp::run(program, build.default.clone());
    on_default.world_write = WorldWrite::NotWritten;
    assert_eq!(human, on_default.render_human(), "human report: {what}");
    let (_, human) = execute(&exe, &["--quote", "USDC"]);
    let (mut on_default, _) = meshc::interp::run_session(program, quoted(build.default));
    on_default.world_write = WorldWrite::NotWritten;
    assert_eq!(
        human,
        on_default.render_human(),
        "human report, quoted: {what}"
    );
    expected.committed()
}

/// Generated bundles (the optimiser's property-test corpus) on perturbed
/// worlds: interpreter and JIT agree on every one at both levels, and a
/// built executable on every fifth.
#[test]
fn generated_bundles_run_alike_three_ways() {
    let cases = common::cases_or(120) as usize;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (bundle(), proptest::prelude::any::<u64>());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut checked, mut committed, mut built) = (0, 0, 0);
    for case in 0..cases * 2 {
        if checked == cases {
            break;
        }
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (source, seed) = tree.current();
        let Some((o0, o)) = lowered(&source) else {
            continue;
        };
        let world = perturbed(seed);
        let default = World::default_world();
        for (program, level) in [(o0, "-O0"), (o, "-O")] {
            let what = format!("case {case} at {level}, world seed {seed}:\n{source}");
            let build = (checked % 5 == 0).then(|| Build {
                dir: dir.path(),
                name: format!("generated{level}"),
                tokens: &[],
                default: &default,
            });
            built += usize::from(build.is_some());
            if agree(&program, &world, build, &what) {
                committed += 1;
            }
        }
        checked += 1;
    }
    assert!(
        checked == cases && committed >= cases / 4 && committed < 2 * cases,
        "{checked} bundles checked, {committed} runs committed, {built} built"
    );
}

/// Runs a built executable with `args`: exit code and standard output.
fn execute(exe: &Path, args: &[&str]) -> (i32, String) {
    let output = Command::new(exe)
        .args(args)
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn interpreter_jit_and_executable_agree_byte_for_byte() {
    let files = common::example_paths();
    assert!(files.len() >= 5, "{files:?}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mut runs, mut committed) = (0, 0);

    for file in &files {
        let name = file.display().to_string();
        let source = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Checked at the default level; lowered at both (at -O0 a bundle
        // may then revert on its deadline, the same way in all three).
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
        let mut world = World::default_world();
        analysis.declare_tokens(&mut world.registry);
        let tokens = analysis.checked.declarations.clone();
        for level in [OptLevel::O0, OptLevel::O] {
            for bundle in &analysis.checked.bundles {
                let what = format!("{name} ({}) at {}", bundle.name, level.flag());
                let program = analysis
                    .lower_verified(bundle, level)
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let build = Build {
                    dir: dir.path(),
                    name: format!("{}{}", bundle.name, level.flag()),
                    tokens: &tokens,
                    default: &world,
                };
                if agree(&program, &world, Some(build), &what) {
                    committed += 1;
                }
                runs += 1;
            }
        }
    }
    assert!(
        runs >= 2 * files.len() && committed >= 3,
        "{runs} runs, {committed} committed"
    );
}

/// The body of a long bundle is split over many generated functions (see
/// `codegen::STEPS_PER_FUNCTION`), called as a tree: the three ways still
/// agree, on a bundle that commits and on one that reverts in its last
/// part, and so do deeply nested `parallel` groups.
#[test]
fn long_and_deep_bundles_run_alike_three_ways() {
    // Every phase walks blocks recursively: a debug build needs more than a
    // test thread's stack for the deepest nesting allowed (`meshc` runs its
    // work on a thread with a large stack too).
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(long_and_deep)
        .map(std::thread::JoinHandle::join);
    assert!(matches!(worker, Ok(Ok(()))), "{worker:?}");
}

fn long_and_deep() {
    let steps = meshc::codegen::STEPS_PER_FUNCTION * meshc::codegen::STEPS_PER_FUNCTION + 10;
    let long = |last: &str| {
        let mut source = String::from("bundle long on polygon {\n    input 1 WETH\n");
        for _ in 0..steps {
            source.push_str("    require all WETH >= 1 WETH\n");
        }
        source.push_str(&format!("    require all WETH >= {last} WETH\n"));
        source.push_str("    deposit all WETH into aave\n}\n");
        source
    };
    let depth = mesh_grammar::MAX_NESTING - 2;
    let mut deep = String::from("bundle deep on polygon {\n    input 2 WETH\n");
    deep.push_str(&"    parallel {\n".repeat(depth));
    deep.push_str("    deposit 1 WETH into aave\n");
    deep.push_str(&"    } and { }\n".repeat(depth));
    deep.push_str("}\n");

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let world = World::default_world();
    let mut outcomes = Vec::new();
    for (name, source) in [
        ("commits", long("1")),
        ("reverts", long("2")),
        ("deep", deep),
    ] {
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        assert!(
            !analysis.has_errors(),
            "{name}: {:?}",
            analysis.diagnostics.first()
        );
        let bundle = &analysis.checked.bundles[0];
        for level in [OptLevel::O0, OptLevel::O] {
            let what = format!("{name} at {}", level.flag());
            let program = analysis
                .lower(bundle, level)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            // One executable is enough to cover the object file's functions.
            let build = (name == "reverts" && level == OptLevel::O0).then(|| Build {
                dir: dir.path(),
                name: format!("{name}{}", level.flag()),
                tokens: &[],
                default: &world,
            });
            outcomes.push((what.clone(), agree(&program, &world, build, &what)));
        }
    }
    let committed: Vec<bool> = outcomes.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        committed,
        [true, true, false, false, true, true],
        "{outcomes:?}"
    );
}

/// A multi-asset flash loan runs alike three ways: when every loan is
/// taken, and when one fails (each loan is all or nothing on its own and
/// the revert names its line), at both levels.
#[test]
fn multi_asset_flash_loans_run_alike_three_ways() {
    let bundle = |usdc: &str| {
        format!(
            "bundle four on polygon {{\n    input 10 USDC\n    input 10 DAI\n    input 10 USDT\n    input 0.01 WETH\n    borrow 1 WETH from aave\n    borrow {usdc} USDC from aave\n    borrow 1_000 DAI from aave\n    borrow 1_000 USDT from aave\n    repay 1 WETH to aave\n    repay {usdc} USDC to aave\n    repay 1_000 DAI to aave\n    repay 1_000 USDT to aave\n}}\n"
        )
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let default = World::default_world();
    // A world where aave can lend 5,000 USDC on polygon.
    let mut world = World::default_world();
    let usdc = world
        .lenders
        .get_mut("polygon")
        .and_then(|l| l.get_mut("aave"))
        .and_then(|aave| aave.liquidity.get_mut("USDC"));
    if let Some(liquidity) = usdc {
        *liquidity = 5_000_000_000;
    }
    let mut outcomes = Vec::new();
    for (name, source) in [("taken", bundle("1_000")), ("refused", bundle("6_000"))] {
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
        let checked = &analysis.checked.bundles[0];
        for level in [OptLevel::O0, OptLevel::O] {
            let what = format!("{name} at {}", level.flag());
            let program = analysis
                .lower_verified(checked, level)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            if level == OptLevel::O {
                assert!(program.to_string().contains("flash_loan ["), "{program}");
            }
            let build = Build {
                dir: dir.path(),
                name: format!("{name}{}", level.flag()),
                tokens: &[],
                default: &default,
            };
            outcomes.push(agree(&program, &world, Some(build), &what));
        }
    }
    assert_eq!(outcomes, [true, true, false, false]);
}

/// A wallet at the largest balance cannot take back what a withdraw
/// returns at the end: the bundle reverts with "arithmetic overflow" at no
/// line of the source (the holdings return at the end, not at a
/// statement), alike three ways, and the executable leaves the file as it
/// was. (The JIT used to report no line and the executable the line of the
/// last call.)
#[test]
fn a_wallet_that_cannot_take_the_holdings_back_reverts_alike_three_ways() {
    let source = "bundle w on polygon {\n    withdraw 1 USDC from compound\n}\n";
    let analysis = analyse(
        source,
        &Registry::default_registry(),
        &CheckOptions::default(),
    );
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let default = World::default_world();
    let mut world = World::default_world();
    if let Some(usdc) = world
        .wallets
        .get_mut("polygon")
        .and_then(|w| w.get_mut("USDC"))
    {
        *usdc = u128::MAX;
    }
    assert_eq!(world.wallet_balance("polygon", "USDC"), u128::MAX);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let checked = &analysis.checked.bundles[0];
    for level in [OptLevel::O0, OptLevel::O] {
        let what = format!("full wallet at {}", level.flag());
        let program = analysis
            .lower_verified(checked, level)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        // One executable is enough: the object file's finish is one path.
        let build = (level == OptLevel::O0).then(|| Build {
            dir: dir.path(),
            name: format!("full{}", level.flag()),
            tokens: &[],
            default: &default,
        });
        assert!(!agree(&program, &world, build, &what), "{what}");
        let (report, session) = meshc::interp::run(&program, world.clone());
        let revert = report.revert.unwrap_or_else(|| panic!("{what}: reverts"));
        assert_eq!(revert.reason, "arithmetic overflow", "{what}");
        assert_eq!(revert.loc, mesh_core::loc::Loc::UNKNOWN, "{what}");
        assert!(session.world() == &world, "{what}: the world is as it was");
    }
}
