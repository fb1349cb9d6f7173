//! Differential testing of the three ways to run a bundle: the IR
//! interpreter (the oracle), the JIT, and a standalone executable built by
//! `codegen::object` and `link`. For every example, and for a corpus of
//! generated well-typed bundles on perturbed worlds, at `-O0` and `-O`,
//! they give byte-identical JSON and human reports, and the executable's
//! `--commit` writes the world the interpreter ends with (or leaves the file
//! untouched after a revert).

mod common;

use common::{bundle, lowered, perturbed};
use mesh_runtime::report::WorldWrite;
use mesh_runtime::{Registry, World};
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
        let default = World::builtin();
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
        let analysis = analyse(&source, &Registry::builtin(), &CheckOptions::default());
        assert!(!analysis.has_errors(), "{name}: {:?}", analysis.diagnostics);
        let mut world = World::builtin();
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
