//! Embeds the pages of `docs/codes/` so that `meshc explain CODE` prints the
//! same text the documentation shows.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
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
