//! `docs/` is the user's reference and stands alone: it never cites the
//! design notes the project started from, which are not in the repository,
//! and every relative link in it leads to a file that is.

use mesh_tests::root;
use std::path::{Path, PathBuf};

/// Names of files outside the repository that docs must never cite.
const OUTSIDE: [&str; 4] = [
    "LANGUAGE.md",
    "GAS_AND_MATH.md",
    "ARCHITECTURE.md",
    "STYLE.md",
];

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
            for name in OUTSIDE {
                assert!(
                    !line.contains(name),
                    "{}:{} cites {name}, which is not in the repository: write what it says, or link the docs/ page that does\n{line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
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
