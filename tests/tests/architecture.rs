//! The architecture invariants of docs/architecture.md, checked on the
//! repository itself: which crate may depend on which, which module of the
//! compiler may use which, and how long a file of the runtime may be; and
//! that the release build checks arithmetic overflow (docs/runtime.md). A
//! change that breaks one fails here, with the rule it broke.

use mesh_tests::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The project's own crates a manifest depends on (`[dependencies]` only:
/// tests and build scripts may reach further).
fn project_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", manifest.display()));
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{} is not TOML: {e}", manifest.display()));
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| {
            d.keys()
                .filter(|k| k.starts_with("mesh") || k.as_str() == "meshc")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Every member of the workspace, by package name, with its manifest.
fn members() -> BTreeMap<String, PathBuf> {
    let workspace = root().join("Cargo.toml");
    let text = std::fs::read_to_string(&workspace).expect("the workspace manifest");
    let doc: toml::Table = text.parse().expect("the workspace manifest is TOML");
    let members = doc["workspace"]["members"]
        .as_array()
        .expect("workspace.members")
        .iter()
        .filter_map(|m| m.as_str())
        .map(|m| root().join(m).join("Cargo.toml"));
    members
        .map(|manifest| {
            let text = std::fs::read_to_string(&manifest).expect("a member manifest");
            let doc: toml::Table = text.parse().expect("a member manifest is TOML");
            let name = doc["package"]["name"].as_str().expect("a name").to_string();
            (name, manifest)
        })
        .collect()
}

#[test]
fn each_crate_depends_only_on_the_crates_below_it() {
    let members = members();
    let deps: BTreeMap<&str, BTreeSet<String>> = members
        .iter()
        .map(|(name, manifest)| (name.as_str(), project_dependencies(manifest)))
        .collect();
    let of = |name: &str| deps.get(name).cloned().unwrap_or_default();
    // The vocabulary and the syntax stand alone.
    assert!(
        of("mesh-core").is_empty(),
        "mesh-core depends on {:?}",
        of("mesh-core")
    );
    assert!(
        of("mesh-grammar").is_empty(),
        "the grammar depends on {:?}",
        of("mesh-grammar")
    );
    // The runtime never knows the compiler, nor the syntax of the language.
    assert_eq!(
        of("mesh-runtime"),
        BTreeSet::from(["mesh-core".to_string()]),
        "the runtime depends only on the vocabulary"
    );
    // Nothing but the end-to-end tests builds on the compiler.
    for (name, uses) in &deps {
        if *name != "mesh-tests" && *name != "meshc" {
            assert!(!uses.contains("meshc"), "{name} depends on the compiler");
        }
    }
    // The compiler sits above the vocabulary, the syntax and the runtime.
    let compiler = of("meshc");
    for needed in ["mesh-core", "mesh-grammar", "mesh-runtime"] {
        assert!(compiler.contains(needed), "meshc should use {needed}");
    }
}

/// The compiler's top-level modules, each with the layer it sits in: a
/// module may use only modules of lower layers.
const LAYERS: &[(&str, u32)] = &[
    ("diagnostic", 0),
    ("level", 0),
    ("syntax", 1),
    ("ir", 1),
    ("check", 2),
    ("format", 2),
    ("lower", 3),
    ("opt", 3),
    // The exact optimum judges the optimiser: beside it, never using it.
    ("search", 3),
    ("pipeline", 4),
    ("interp", 4),
    ("codegen", 4),
    ("link", 4),
    ("evm", 5),
    ("lsp", 5),
];

/// Modules of the front and middle end, which never link the execution
/// engine (the runtime crate).
const NEVER_THE_RUNTIME: &[&str] = &[
    "diagnostic",
    "level",
    "syntax",
    "ir",
    "check",
    "format",
    "lower",
    "opt",
    "search",
    "pipeline",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Build output and installed packages are not the project's source.
            if !path.ends_with("target") && !path.ends_with("node_modules") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The files of one top-level module of the compiler.
fn module_files(name: &str) -> Vec<PathBuf> {
    let src = root().join("compiler/src");
    let mut files = Vec::new();
    let single = src.join(format!("{name}.rs"));
    if single.exists() {
        files.push(single);
    }
    rust_files(&src.join(name), &mut files);
    assert!(!files.is_empty(), "compiler/src has no module `{name}`");
    files
}

/// The compiler's modules that `text` uses through `crate::`.
fn uses(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    // `use crate::{a, b::c}` names several.
    for (i, _) in text.match_indices("crate::{") {
        let rest = &text[i + "crate::{".len()..];
        let group: String = rest.chars().take_while(|c| *c != '}').collect();
        for part in group.split(',') {
            let name: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn each_module_of_the_compiler_uses_only_the_layers_below_it() {
    let layer: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut broken = Vec::new();
    for (module, own) in LAYERS {
        for file in module_files(module) {
            // Code only: a comment may point the reader anywhere.
            let text: String = std::fs::read_to_string(&file)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for used in uses(&text) {
                if used == *module {
                    continue;
                }
                match layer.get(used.as_str()) {
                    Some(l) if l < own => {}
                    Some(l) => broken.push(format!(
                        "{} ({module}, layer {own}) uses {used} (layer {l})",
                        file.display()
                    )),
                    None => broken.push(format!(
                        "{} ({module}) uses `{used}`, which the layers do not list",
                        file.display()
                    )),
                }
            }
            if NEVER_THE_RUNTIME.contains(module) && text.contains("mesh_runtime") {
                broken.push(format!(
                    "{} ({module}) names the runtime crate",
                    file.display()
                ));
            }
            // The language server reads world files through its settings;
            // everything else it knows of the registry is the vocabulary.
            if *module == "lsp"
                && !file.ends_with("lsp/settings.rs")
                && text.contains("mesh_runtime")
            {
                broken.push(format!(
                    "{} (lsp) names the runtime crate; only lsp/settings.rs reads world files",
                    file.display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// docs/architecture.md's table of the compiler's layers lists exactly
/// the layers above.
#[test]
fn the_architecture_page_lists_the_layers() {
    let page = std::fs::read_to_string(root().join("docs/architecture.md")).expect("the page");
    let mut documented = BTreeMap::new();
    for row in page.lines() {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else {
            continue;
        };
        for module in cells.get(2).unwrap_or(&"").split(',') {
            documented.insert(module.trim().trim_matches('`').to_string(), layer);
        }
    }
    let layers: BTreeMap<String, u32> = LAYERS.iter().map(|(m, l)| (m.to_string(), *l)).collect();
    assert_eq!(
        documented, layers,
        "docs/architecture.md and LAYERS disagree"
    );
}

#[test]
fn every_top_level_module_of_the_compiler_has_a_layer() {
    let lib = std::fs::read_to_string(root().join("compiler/src/lib.rs")).expect("lib.rs");
    let declared: BTreeSet<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    assert_eq!(declared, listed, "lib.rs and the layers disagree");
}

/// The words a long file's first lines use to say why it is kept whole.
const KEPT_WHOLE: &str = "Kept in one file";

/// The longest a source file may be without saying why.
const LONGEST: usize = 800;

/// A Rust source file of the project — compiler, grammar, runtime crates,
/// their tests and benches, the end-to-end tests — longer than [`LONGEST`]
/// lines says, in its first lines, why it is kept in one file; every other
/// file is split along its seams.
#[test]
fn no_source_file_is_long_without_saying_why() {
    let mut files = Vec::new();
    for dir in ["compiler", "grammar", "runtime", "tests"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 100, "the project's files are found");
    let mut unexplained = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let lines = text.lines().count();
        let explained = text.lines().take(30).any(|l| l.contains(KEPT_WHOLE));
        if lines > LONGEST && !explained {
            unexplained.push(format!("{} ({lines} lines)", file.display()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "longer than {LONGEST} lines, with no line near the top saying why it is kept whole (\"{KEPT_WHOLE}: …\"):\n{}",
        unexplained.join("\n")
    );
}

/// The release build keeps `overflow-checks` on, for every package: a
/// second net under the runtime's checked arithmetic on amounts, balances
/// and time (docs/runtime.md), so that an addition the checks missed stops
/// the bundle rather than wrapping a balance.
#[test]
fn the_release_build_checks_arithmetic_overflow() {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).expect("the workspace manifest");
    let doc: toml::Table = text.parse().expect("the workspace manifest is TOML");
    let release = doc
        .get("profile")
        .and_then(|p| p.get("release"))
        .and_then(toml::Value::as_table)
        .expect("a [profile.release]");
    assert_eq!(
        release
            .get("overflow-checks")
            .and_then(toml::Value::as_bool),
        Some(true),
        "[profile.release] sets overflow-checks = true"
    );
    let overrides = release
        .get("package")
        .and_then(toml::Value::as_table)
        .into_iter()
        .flatten();
    for (package, settings) in overrides {
        assert_ne!(
            settings
                .get("overflow-checks")
                .and_then(toml::Value::as_bool),
            Some(false),
            "[profile.release.package.{package}] turns overflow-checks off"
        );
    }
}

/// The module maps: every module a file declares (`mod name;`, tests
/// aside) is named in that file's own `//!` documentation, so that a reader
/// who opens a `lib.rs`, a `mod.rs` or a module's parent file finds every
/// part of it listed with what it holds.
#[test]
fn every_module_is_named_in_its_parents_map() {
    let mut files = Vec::new();
    for dir in [
        "compiler/src",
        "grammar/src",
        "runtime/src",
        "runtime/core/src",
        "runtime/evm/src",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut unnamed = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let words: BTreeSet<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("//!"))
            .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .collect();
        for line in text.lines() {
            let line = line.trim();
            let declared = line
                .strip_prefix("pub(crate) mod ")
                .or_else(|| line.strip_prefix("pub(super) mod "))
                .or_else(|| line.strip_prefix("pub mod "))
                .or_else(|| line.strip_prefix("mod "))
                .and_then(|rest| rest.strip_suffix(';'));
            if let Some(name) = declared {
                if name != "tests" && !words.contains(name) {
                    unnamed.push(format!("{}: `mod {name};`", file.display()));
                }
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "modules missing from their parent's module map (its `//!` lines):\n{}",
        unnamed.join("\n")
    );
}
