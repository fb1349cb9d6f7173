//! `docs/` is the user's reference and stands alone: it never cites the
//! design notes the project started from, which are not in the repository,
//! and every relative link in it leads to a file that is. No other file of
//! the repository (code and its comments, scripts, READMEs) cites those
//! notes either.

use mesh_tests::root;
use std::path::{Path, PathBuf};

/// Stems of the files outside the repository that nothing may cite, as
/// `STEM.md`. Written without the extension so that this file, which must
/// name them, does not cite them itself.
const OUTSIDE: [&str; 4] = ["LANGUAGE", "GAS_AND_MATH", "ARCHITECTURE", "STYLE"];

/// Folders that hold what the repository does not: build output, installed
/// packages, git's own data.
const NOT_THE_REPOSITORY: [&str; 3] = ["target", "node_modules", ".git"];

/// The citation of an outside file on `line`, if any.
fn cited(line: &str) -> Option<String> {
    OUTSIDE
        .iter()
        .map(|stem| format!("{stem}.md"))
        .find(|name| line.contains(name.as_str()))
}

/// Every file under `dir` but those of [`NOT_THE_REPOSITORY`].
fn repository_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if NOT_THE_REPOSITORY.iter().any(|n| name == *n) {
            continue;
        }
        if path.is_dir() {
            repository_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

fn docs() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    markdown_files(&root().join("docs"), &mut files);
    files.sort();
    assert!(files.len() > 20, "docs/ lost its pages");
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (path, text)
        })
        .collect()
}

#[test]
fn no_page_cites_a_file_outside_the_repository() {
    for (path, text) in docs() {
        for (n, line) in text.lines().enumerate() {
            if let Some(name) = cited(line) {
                panic!(
                    "{}:{} cites {name}, which is not in the repository: write what it says, or link the docs/ page that does\n{line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}

#[test]
fn no_file_of_the_repository_cites_a_file_outside_it() {
    let mut files = Vec::new();
    repository_files(&root(), &mut files);
    files.sort();
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .filter_map(|path| {
            // Binary files (images, compiled contracts) cite nothing.
            let text = String::from_utf8(std::fs::read(&path).ok()?).ok()?;
            Some((path, text))
        })
        .collect();
    let sources = texts
        .iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
        .count();
    assert!(
        sources > 100,
        "only {sources} Rust files found under {}",
        root().display()
    );
    for (path, text) in &texts {
        for (n, line) in text.lines().enumerate() {
            if let Some(name) = cited(line) {
                panic!(
                    "{}:{} cites {name}, which is not in the repository: say what it says, or cite the docs/ page that does\n{line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
    // The check finds a citation where there is one, and only there.
    let stem = OUTSIDE[1];
    assert_eq!(
        cited(&format!("// see {stem}.md, section 3")),
        Some(format!("{stem}.md"))
    );
    assert_eq!(cited("// see docs/gas.md and docs/architecture.md"), None);
}

#[test]
fn every_relative_link_leads_to_a_file_of_the_repository() {
    for (path, text) in docs() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            let file = target.split('#').next().unwrap_or_default();
            if file.is_empty() || file.contains("://") || file.starts_with("mailto:") {
                continue;
            }
            assert!(
                dir.join(file).exists(),
                "{} links {target}, which does not exist",
                path.display()
            );
        }
    }
}
