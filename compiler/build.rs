//! Two things the compiler embeds:
//!
//! - the pages of `docs/codes/`, so that `meshc explain CODE` prints the same
//!   text the documentation shows;
//! - the runtime's static library, which `meshc build` links into standalone
//!   executables. Cargo does not reliably leave a workspace member's static
//!   library beside the compiler, so this script builds it itself: a nested
//!   `cargo rustc -p mesh-runtime --release` into its own target directory
//!   under OUT_DIR (a separate directory, so the outer build's lock is never
//!   waited on), then generates `runtime_lib.rs` with the bytes, their hash
//!   and the native libraries the static library needs.

use std::env;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    embed_code_pages();
    embed_runtime();
}

fn embed_code_pages() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let pages_dir = manifest.join("../docs/codes");
    println!("cargo:rerun-if-changed={}", pages_dir.display());

    let mut pages: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = fs::read_dir(&pages_dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("md") {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            println!("cargo:rerun-if-changed={}", path.display());
            let absolute = fs::canonicalize(&path).expect("page path resolves");
            pages.push((stem.to_string(), absolute));
        }
    }
    pages.sort();

    let mut out = String::new();
    out.push_str("/// Every page of docs/codes/, by file stem.\n");
    out.push_str("pub const PAGE_NAMES: &[&str] = &[");
    for (name, _) in &pages {
        write!(out, "{name:?}, ").expect("write to string");
    }
    out.push_str("];\n\n");
    out.push_str("fn explanation_page(code: &str) -> Option<&'static str> {\n    match code {\n");
    for (name, path) in &pages {
        writeln!(
            out,
            "        {name:?} => Some(include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("        _ => None,\n    }\n}\n");

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    fs::write(out_dir.join("code_pages.rs"), out).expect("write generated code table");
}

/// What the linker needs besides the static library when rustc does not say
/// (the usual list for a Rust static library on Linux with glibc).
const DEFAULT_NATIVE_LIBS: &str = "-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc";

/// Environment variables of the outer build that must not reach the nested
/// one: flags meant for the outer crates, the outer jobserver, wrappers that
/// run lints instead of the compiler, and the outer target directory.
const CLEARED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_BUILD_TARGET",
];

fn embed_runtime() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let root = manifest.join("..");
    // The runtime and every crate it is built from (the shared vocabulary
    // crate holds the gas schedule and the registry).
    for watched in [
        "runtime/src",
        "runtime/Cargo.toml",
        "runtime/core/src",
        "runtime/core/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=MESHC_RUNTIME_LIB");
    println!("cargo:rerun-if-env-changed=CC");

    // A prebuilt runtime library may be supplied (packagers, offline
    // builds that already have one); otherwise build it.
    let (library, native_libs) = match env::var_os("MESHC_RUNTIME_LIB") {
        Some(path) if !path.is_empty() => (PathBuf::from(path), DEFAULT_NATIVE_LIBS.to_string()),
        _ => build_runtime(&root, &out_dir),
    };
    // Linking one relocatable object that holds only what the ABI reaches
    // is about twice as fast as picking members out of the archive, for
    // every `meshc build`; the archive is the fallback.
    let library = prelink(&library, &out_dir).unwrap_or(library);
    let bytes = fs::read(&library).unwrap_or_else(|e| {
        panic!(
            "cannot read the runtime static library {}: {e}",
            library.display()
        )
    });
    let hash = fnv1a64(&bytes);
    let absolute = fs::canonicalize(&library).expect("the runtime library path resolves");

    let mut out = String::new();
    out.push_str("/// The runtime library, linked into every executable.\n");
    writeln!(
        out,
        "pub static RUNTIME_LIB: &[u8] = include_bytes!({:?});",
        absolute.display().to_string()
    )
    .expect("write to string");
    out.push_str("/// A hash of [`RUNTIME_LIB`], naming its cache file.\n");
    writeln!(out, "pub const RUNTIME_HASH: &str = \"{hash:016x}\";").expect("write to string");
    let extension = if library.extension().is_some_and(|e| e == "o") {
        "o"
    } else {
        "a"
    };
    out.push_str("/// What [`RUNTIME_LIB`] is: `o` one object, `a` an archive.\n");
    writeln!(out, "pub const RUNTIME_EXTENSION: &str = {extension:?};").expect("write to string");
    out.push_str("/// The native libraries the static library needs, as linker flags.\n");
    out.push_str("pub const NATIVE_LIBS: &[&str] = &[");
    for flag in native_libs.split_whitespace() {
        write!(out, "{flag:?}, ").expect("write to string");
    }
    out.push_str("];\n");
    fs::write(out_dir.join("runtime_lib.rs"), out).expect("write generated runtime table");
}

/// Builds the runtime's static library with a nested cargo; returns its
/// path and the native libraries rustc says it needs.
fn build_runtime(root: &Path, out_dir: &Path) -> (PathBuf, String) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let target_dir = out_dir.join("runtime-target");
    let target = env::var("TARGET").expect("set by cargo");
    let host = env::var("HOST").expect("set by cargo");
    let jobs = env::var("NUM_JOBS").unwrap_or_else(|_| "1".to_string());

    let mut command = Command::new(&cargo);
    command
        .arg("rustc")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "mesh-runtime", "--lib", "--release", "--offline"])
        .args(["-j", &jobs])
        .arg("--target-dir")
        .arg(&target_dir);
    if root.join("Cargo.lock").exists() {
        command.arg("--locked");
    }
    if target != host {
        command.args(["--target", &target]);
    }
    command.args(["--", "--print", "native-static-libs"]);
    for name in CLEARED_ENV {
        command.env_remove(name);
    }
    command
        .env("CARGO_TARGET_DIR", &target_dir)
        // The library's debug line tables only slow every link down.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_TERM_COLOR", "never");
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cargo:?} to build the runtime library: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        panic!(
            "building the runtime static library failed ({}):\n{stderr}",
            output.status
        );
    }

    let profile_dir = if target != host {
        target_dir.join(&target).join("release")
    } else {
        target_dir.join("release")
    };
    let library = profile_dir.join("libmesh_runtime.a");
    // rustc prints the list only when it compiles the library; keep the last
    // one it printed for the builds where the library was up to date.
    let remembered = out_dir.join("native-static-libs.txt");
    let native_libs = match stderr
        .lines()
        .find_map(|l| l.split_once("native-static-libs:").map(|(_, v)| v.trim()))
    {
        Some(list) if !list.is_empty() => {
            fs::write(&remembered, list).expect("write the native library list");
            list.to_string()
        }
        _ => fs::read_to_string(&remembered)
            .map(|s| s.trim().to_string())
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| DEFAULT_NATIVE_LIBS.to_string()),
    };
    (library, native_libs)
}

/// Links the static library into one relocatable object (`cc -r`) that
/// keeps only the sections the ABI's `mesh_*` entries reach, without debug
/// information. `None` (use the archive) when cross-compiling, when the
/// archive has no symbol index, or when the C compiler is missing or fails.
fn prelink(archive: &Path, out_dir: &Path) -> Option<PathBuf> {
    if env::var("TARGET").ok()? != env::var("HOST").ok()? {
        return None;
    }
    let bytes = fs::read(archive).ok()?;
    let roots: Vec<String> = archive_symbols(&bytes)?
        .into_iter()
        .filter(|s| s.starts_with("mesh_"))
        .collect();
    if roots.is_empty() {
        return None;
    }
    let cc = env::var("CC").ok().filter(|c| !c.trim().is_empty());
    let mut words = cc.as_deref().unwrap_or("cc").split_whitespace();
    let mut command = Command::new(words.next()?);
    command.args(words);
    let object = out_dir.join("mesh_runtime.o");
    command.args(["-r", "-nostdlib", "-Wl,--gc-sections", "-Wl,--strip-debug"]);
    for root in &roots {
        command.arg(format!("-Wl,--undefined={root}"));
    }
    command.arg("-o").arg(&object).arg(archive);
    let output = command.output().ok()?;
    if !output.status.success() {
        println!(
            "cargo:warning=linking the runtime into one object failed; embedding the archive: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return None;
    }
    Some(object)
}

/// The global symbols of a System V (GNU) archive's index, the `/` member:
/// a big-endian count, that many offsets, then the NUL-terminated names.
fn archive_symbols(archive: &[u8]) -> Option<Vec<String>> {
    let rest = archive.strip_prefix(b"!<arch>\n")?;
    let header = rest.get(..60)?;
    if !header.starts_with(b"/ ") {
        return None;
    }
    let size: usize = std::str::from_utf8(header.get(48..58)?)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let index = rest.get(60..60 + size)?;
    let count = u32::from_be_bytes(index.get(..4)?.try_into().ok()?) as usize;
    let names = index.get(4 + 4 * count..)?;
    Some(
        names
            .split(|&b| b == 0)
            .filter(|n| !n.is_empty())
            .take(count)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect(),
    )
}

/// FNV-1a, 64 bits: enough to tell runtime libraries apart in the cache.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^ bytes.len() as u64
}
