//! How long `meshc build` of the flagship takes, against `cc` compiling and
//! linking a C hello-world in the same run, and where the time goes.
//!
//! `cargo bench -p meshc --bench build` runs the release `meshc` binary
//! several times (median), then times each phase in-process: check, lower,
//! code generation, writing the runtime cache file (the first build of a
//! new meshc only), and the link. It is a measurement, not a test: the
//! target (at most twice the C hello-world) is judged by reading the table.

use mesh_runtime::Registry;
use meshc::check::CheckOptions;
use meshc::codegen::object;
use meshc::pipeline::analyse;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const FLAGSHIP: &str = "examples/polygon_arbitrum_arbitrage.mesh";
const RUNS: usize = 15;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn time_command(mut command: Command) -> Duration {
    let start = Instant::now();
    let status = command.status();
    let elapsed = start.elapsed();
    match status {
        Ok(s) if s.success() => elapsed,
        other => panic!("{command:?} failed: {other:?}"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// The median time of each in-process phase of a build.
fn phases(root: &Path, work: &Path) -> Vec<(&'static str, Duration)> {
    let source = std::fs::read_to_string(root.join(FLAGSHIP)).unwrap_or_default();
    let (mut check, mut lowering, mut codegen, mut cache, mut link) =
        (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..RUNS {
        let t = Instant::now();
        let analysis = analyse(
            &source,
            &Registry::default_registry(),
            &CheckOptions::default(),
        );
        check.push(t.elapsed());
        assert!(!analysis.has_errors());
        let bundle = &analysis.checked.bundles[0];

        let t = Instant::now();
        let program = match analysis.lower(bundle, meshc::check::OptLevel::O) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        lowering.push(t.elapsed());

        let t = Instant::now();
        let tokens = analysis.checked.declarations.clone();
        let bytes = match object::compile_standalone(&program, &tokens) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let object_path = work.join(format!("flagship-{i}.o"));
        if let Err(e) = std::fs::write(&object_path, &bytes) {
            panic!("{e}");
        }
        codegen.push(t.elapsed());

        // What the first build after installing meshc pays once.
        let t = Instant::now();
        let library = work.join(format!("runtime-{i}.{}", meshc::link::cache_file_name()));
        if let Err(e) =
            meshc::link::write_atomically(&library, meshc::link::embedded_runtime(), false)
        {
            panic!("{e}");
        }
        cache.push(t.elapsed());

        let t = Instant::now();
        if let Err(e) = meshc::link::link(&object_path, &library, &work.join(format!("exe-{i}"))) {
            panic!("{e}");
        }
        link.push(t.elapsed());
        let _ = std::fs::remove_file(&library);
    }
    vec![
        ("check (parse + check)", median(check)),
        ("lower (-O)", median(lowering)),
        ("code generation + object file", median(codegen)),
        ("runtime cache write (first build only)", median(cache)),
        ("link (cc)", median(link)),
    ]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let meshc = env!("CARGO_BIN_EXE_meshc");
    let work = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let hello = work.path().join("hello.c");
    if let Err(e) = std::fs::write(
        &hello,
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    ) {
        panic!("{e}");
    }
    let (cc, cc_args) = meshc::link::c_compiler();
    let build = || {
        let mut c = Command::new(meshc);
        c.current_dir(&root)
            .args(["build", FLAGSHIP, "-o"])
            .arg(work.path().join("flagship"));
        c
    };
    let c_hello = || {
        let mut c = Command::new(&cc);
        c.args(&cc_args)
            .arg(&hello)
            .arg("-o")
            .arg(work.path().join("hello"));
        c
    };
    // Warm up: the runtime cache file, the page cache.
    time_command(build());
    time_command(c_hello());
    let (mut ours, mut theirs) = (vec![], vec![]);
    for _ in 0..RUNS {
        ours.push(time_command(build()));
        theirs.push(time_command(c_hello()));
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let size = std::fs::metadata(work.path().join("flagship"))
        .map(|m| m.len())
        .unwrap_or(0);

    println!(
        "meshc build of the flagship vs cc of a C hello-world (median of {RUNS}, release meshc)"
    );
    println!();
    println!("| command | median |");
    println!("|---|---:|");
    println!("| `meshc build {FLAGSHIP} -o flagship` | {} |", ms(ours));
    println!("| `cc hello.c -o hello` | {} |", ms(theirs));
    println!(
        "| ratio | {:.2}x (target ≤ 2x) |",
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
    println!();
    println!(
        "executable: {:.2} MB; embedded runtime: {:.2} MB",
        size as f64 / 1e6,
        meshc::link::embedded_runtime().len() as f64 / 1e6
    );
    println!();
    let phases = phases(&root, work.path());
    let in_process: Duration = phases
        .iter()
        .filter(|(name, _)| !name.contains("first build"))
        .map(|(_, d)| *d)
        .sum();
    println!("| phase (in process, median) | time | share of a warm build |");
    println!("|---|---:|---:|");
    for (name, d) in &phases {
        let share = if name.contains("first build") {
            "(not in a warm build)".to_string()
        } else {
            format!("{:.0}%", 100.0 * d.as_secs_f64() / ours.as_secs_f64())
        };
        println!("| {name} | {} | {share} |", ms(*d));
    }
    println!(
        "| process start, argument parsing, the rest | {} | {:.0}% |",
        ms(ours.saturating_sub(in_process)),
        100.0 * ours.saturating_sub(in_process).as_secs_f64() / ours.as_secs_f64()
    );
}
