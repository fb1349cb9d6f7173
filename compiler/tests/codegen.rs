//! Differential testing: the JIT-compiled bundle and the IR interpreter
//! give byte-identical reports and worlds, for every example at both levels
//! and for bundles that revert in native arithmetic and `require`.

mod common;

use mesh_runtime::{Registry, World};
use meshc::check::{CheckOptions, OptLevel};
use meshc::ir::Program;
use meshc::pipeline::analyse;

fn sources() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = common::example_paths()
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap_or_default(),
            )
        })
        .collect();
    assert!(out.len() >= 5);
    out.push(("require".into(), "bundle r on polygon {\n    input 1 WETH\n    let x = swap 1 WETH for USDC on uniswap_v2\n    require x >= 1_000_000 USDC\n}\n".into()));
    out.push(("arith".into(), "bundle a on polygon {\n    input 3 WETH\n    let x = swap 1 WETH for 1 USDC on uniswap_v2\n    let y = swap 1.5 WETH for 1 USDC on sushiswap\n    require x + y / 3 * 2 - 1 USDC > x\n    require x != y\n    require x <= x + y\n    swap y - x / 2 for DAI on uniswap_v2\n}\n".into()));
    out.push(("batch".into(), BATCH.into()));
    out
}

/// Two tokens bridged via `zk` to one chain: one shared message at `-O`.
const BATCH: &str = "bundle b on polygon {\n    input 100 USDC\n    input 50 DAI\n    bridge 100 USDC to arbitrum via zk\n    bridge 50 DAI to arbitrum via zk\n}\n";

#[test]
fn a_bridge_batch_runs_alike_in_native_code_and_the_interpreter() {
    let (program, world) = programs(BATCH, OptLevel::O).remove(0);
    assert!(program.to_string().contains("bridge_batch"), "{program}");
    let (expected, _) = meshc::interp::run(&program, world.clone());
    assert!(expected.committed(), "{:?}", expected.revert);
    let compiled = meshc::codegen::jit::compile(&program, false).unwrap_or_else(|e| panic!("{e}"));
    let (got, _) = compiled.run(world);
    assert_eq!(got.to_json(), expected.to_json());
    let bytes = meshc::codegen::object::compile(&program).unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.windows(17).any(|w| w == b"mesh_bridge_batch"));
}

fn programs(source: &str, level: OptLevel) -> Vec<(Program, World)> {
    let analysis = analyse(
        source,
        &Registry::default_registry(),
        &CheckOptions::default(),
    );
    assert!(!analysis.has_errors(), "{:?}", analysis.diagnostics);
    let mut world = World::default_world();
    analysis.declare_tokens(&mut world.registry);
    analysis
        .checked
        .bundles
        .iter()
        .map(|b| {
            let p = analysis
                .lower_verified(b, level)
                .unwrap_or_else(|e| panic!("{e}"));
            (p, world.clone())
        })
        .collect()
}

#[test]
fn jit_and_interpreter_agree_byte_for_byte() {
    let mut runs = 0;
    let mut committed = 0;
    for (name, source) in sources() {
        for level in [OptLevel::O0, OptLevel::O] {
            for (program, world) in programs(&source, level) {
                let (expected, expected_session) = meshc::interp::run(&program, world.clone());
                let compiled = meshc::codegen::jit::compile(&program, false)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let (got, got_session) = compiled.run(world);
                assert_eq!(
                    got.to_json(),
                    expected.to_json(),
                    "{name} at {}",
                    level.flag()
                );
                assert_eq!(got.render_human(), expected.render_human());
                assert_eq!(
                    got_session.world().to_toml_string(),
                    expected_session.world().to_toml_string()
                );
                runs += 1;
                committed += usize::from(got.committed());
            }
        }
    }
    assert!(
        runs >= 14 && committed >= 3,
        "{runs} runs, {committed} committed"
    );
}

#[test]
fn the_clif_of_the_body_is_available() {
    let (program, _) = programs(&sources()[0].1, OptLevel::O).remove(0);
    let compiled = meshc::codegen::jit::compile(&program, true).unwrap_or_else(|e| panic!("{e}"));
    let clif = compiled.clif.clone().unwrap_or_default();
    assert!(clif.contains("call"), "{clif}");
}

#[test]
fn an_object_file_defines_main() {
    let (program, _) = programs(&sources()[0].1, OptLevel::O).remove(0);
    let bytes = meshc::codegen::object::compile(&program).unwrap_or_else(|e| panic!("{e}"));
    assert!(bytes.len() > 100);
    assert!(bytes.windows(4).any(|w| w == b"main"));
}
