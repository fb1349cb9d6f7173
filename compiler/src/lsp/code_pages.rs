//! The documentation page of every diagnostic code, linked from each
//! diagnostic (`codeDescription`), so that an editor opens it from the code.
//!
//! The pages are the ones `meshc explain CODE` prints, built into the
//! binary. At start-up the server writes them as Markdown files into a
//! folder of the user's cache (`$XDG_CACHE_HOME/meshc/VERSION/codes`, else
//! `~/.cache/meshc/VERSION/codes`) — each file only when it is missing or
//! differs, and atomically — and links `file://` URIs to them, which every
//! editor can open with no network and no configuration. If the folder
//! cannot be written the diagnostics carry no link, and the log says why.

use crate::diagnostic::Code;
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The folder the pages go to by default, if a cache folder can be named.
pub fn default_folder() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    Some(
        cache
            .join("meshc")
            .join(env!("CARGO_PKG_VERSION"))
            .join("codes"),
    )
}

/// The link of every code whose page has been written.
#[derive(Clone, Debug, Default)]
pub struct CodePages {
    links: HashMap<Code, Uri>,
}

impl CodePages {
    /// Writes every code's page into `folder` (creating it) and links them.
    pub fn write(folder: &Path) -> Result<CodePages, String> {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
        let mut links = HashMap::new();
        for &code in Code::ALL {
            let Some(page) = code.explanation() else {
                continue;
            };
            let path = folder.join(format!("{}.md", code.as_str()));
            let current = std::fs::read_to_string(&path).ok();
            if current.as_deref() != Some(page) {
                write_atomically(&path, page)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            if let Some(uri) = file_uri(&path) {
                links.insert(code, uri);
            }
        }
        Ok(CodePages { links })
    }

    /// The page of `code`, if it was written.
    pub fn link(&self, code: Code) -> Option<&Uri> {
        self.links.get(&code)
    }
}

/// Writes `text` to a new file beside `path` and renames it over `path`,
/// so that a reader never sees half a page (two servers starting at once
/// write the same text). The temporary file is created with
/// `O_CREAT|O_EXCL` (`create_new`), which never follows a symbolic link
/// planted at its name: such a name is refused, never written through.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension(format!("md.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temporary, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// A `file://` URI of an absolute path, every byte outside the unreserved
/// set and `/` percent-encoded.
pub fn file_uri(path: &Path) -> Option<Uri> {
    let path = path.to_str()?;
    if !path.starts_with('/') {
        return None;
    }
    let mut uri = String::from("file://");
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_gets_its_page_and_a_link_to_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let folder = dir.path().join("a b").join("codes");
        let pages = CodePages::write(&folder).unwrap_or_else(|e| panic!("{e}"));
        for &code in Code::ALL {
            let link = pages.link(code).map(|u| u.as_str()).unwrap_or_default();
            assert!(link.starts_with("file:///"), "{link}");
            assert!(link.contains("/a%20b/codes/"), "{link}");
            assert!(link.ends_with(&format!("/{}.md", code.as_str())), "{link}");
            let page = std::fs::read_to_string(folder.join(format!("{code}.md")))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(Some(page.as_str()), code.explanation());
        }
        // A second server finds them written and writes nothing.
        assert!(CodePages::write(&folder).is_ok());
    }

    /// A symbolic link planted at the temporary file's name is refused,
    /// and the file it points to is left as it was.
    #[cfg(unix)]
    #[test]
    fn a_link_planted_at_the_temporary_name_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let folder = dir.path().join("codes");
        std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("{e}"));
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "untouched").unwrap_or_else(|e| panic!("{e}"));
        let page = folder.join("E0001.md");
        let planted = page.with_extension(format!("md.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap_or_else(|e| panic!("{e}"));
        let error = CodePages::write(&folder).err().unwrap_or_default();
        assert!(error.contains("E0001.md"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap_or_default(),
            "untouched"
        );
    }

    #[test]
    fn a_folder_that_cannot_be_made_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = dir.path().join("plain");
        std::fs::write(&file, "").unwrap_or_else(|e| panic!("{e}"));
        let error = CodePages::write(&file.join("codes"))
            .err()
            .unwrap_or_default();
        assert!(error.contains("plain"), "{error}");
    }
}
