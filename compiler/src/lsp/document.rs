//! The open documents: their text, kept in step with the client's edits,
//! and what the front end made of that text.
//!
//! An edit only changes the text and marks the document stale; the server
//! analyses stale documents once it has applied every edit already queued
//! (and before it answers any request), so edits sent back to back cost one
//! analysis. What features read of a text — where its lines start, its
//! token map, its values — is kept with it: the line starts are found on
//! every change, the rest when a feature first asks, once per version.

use super::code_pages::CodePages;
use super::convert;
use super::lines::{LineIndex, LineStarts};
use super::tokens::TokenMap;
use super::values::Values;
use crate::check::CheckOptions;
use crate::pipeline::{analyse_with_pairs, Analysis};
use lsp_types::{TextDocumentContentChangeEvent, Uri};
use mesh_core::Registry;
use std::cell::OnceCell;
use std::collections::HashMap;

/// One open document.
pub struct Document {
    pub version: i32,
    pub text: String,
    lines: LineStarts,
    /// The front end's view of `text`; `None` while the document is stale,
    /// or if analysing it failed (an internal error, reported when it
    /// happened).
    pub analysis: Option<Analysis>,
    /// The text changed since it was last analysed.
    stale: bool,
    tokens: OnceCell<TokenMap>,
    values: OnceCell<Values>,
}

impl Document {
    fn new(version: i32, text: String) -> Document {
        Document {
            version,
            lines: LineStarts::new(&text),
            text,
            analysis: None,
            stale: true,
            tokens: OnceCell::new(),
            values: OnceCell::new(),
        }
    }

    /// The text changed: what was known of it is dropped at once, so that
    /// facts of the old text are never read against the new one.
    fn changed(&mut self) {
        self.lines = LineStarts::new(&self.text);
        self.analysis = None;
        self.stale = true;
        self.tokens = OnceCell::new();
        self.values = OnceCell::new();
    }

    pub fn index(&self) -> LineIndex<'_> {
        LineIndex::new(&self.text, &self.lines)
    }

    /// The tokens of the text, with their roles and what may follow each.
    pub fn tokens(&self) -> &TokenMap {
        self.tokens.get_or_init(|| TokenMap::new(&self.text))
    }

    /// The let-bound values of the text, once it is analysed.
    pub fn values(&self) -> Option<&Values> {
        let analysis = self.analysis.as_ref()?;
        Some(
            self.values
                .get_or_init(|| Values::new(&analysis.parsed.file, Some(&analysis.checked))),
        )
    }

    /// The diagnostics of `meshc check` for this text, as the protocol has them.
    pub fn lsp_diagnostics(&self, uri: &Uri, pages: &CodePages) -> Vec<lsp_types::Diagnostic> {
        let Some(analysis) = &self.analysis else {
            return Vec::new();
        };
        let index = self.index();
        analysis
            .diagnostics
            .iter()
            .map(|d| convert::diagnostic(uri, &index, d, pages))
            .collect()
    }
}

/// Every open document, and what they are checked against.
pub struct Documents {
    open: HashMap<Uri, Document>,
    /// The default registry, or a configured world file's; a document's own
    /// `token` declarations extend it in that document's analysis.
    pub registry: Registry,
    /// The exchange pairs of the world documents are checked against.
    pairs: crate::check::Pairs,
    options: CheckOptions,
    /// Whether the client accepts snippets in completions.
    pub snippets: bool,
    /// The pages diagnostics link their codes to.
    pub pages: CodePages,
}

impl Default for Documents {
    fn default() -> Documents {
        let judged = super::settings::Judged::defaults();
        Documents {
            open: HashMap::new(),
            registry: judged.registry,
            pairs: judged.pairs,
            options: judged.options,
            snippets: false,
            pages: CodePages::default(),
        }
    }
}

impl Documents {
    pub fn get(&self, uri: &Uri) -> Option<&Document> {
        self.open.get(uri)
    }

    /// The registry that `document` was checked against: the default one
    /// extended by the document's `token` declarations.
    pub fn registry_of<'a>(&'a self, document: &'a Document) -> &'a Registry {
        document
            .analysis
            .as_ref()
            .map_or(&self.registry, |a| &a.checked.registry)
    }

    /// Opens (or reopens) a document; it is analysed with the next refresh.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.open.insert(uri, Document::new(version, text));
    }

    /// Applies the client's edits in order; `false` if the document is not
    /// open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
    ) -> bool {
        let Some(document) = self.open.get_mut(uri) else {
            return false;
        };
        for change in changes {
            apply_change(&mut document.text, change);
        }
        document.version = version;
        document.changed();
        true
    }

    pub fn close(&mut self, uri: &Uri) {
        self.open.remove(uri);
    }

    /// Judges every document anew against what `judged` says, with the
    /// next refresh.
    pub fn rejudge(&mut self, judged: super::settings::Judged) {
        self.registry = judged.registry;
        self.pairs = judged.pairs;
        self.options = judged.options;
        for document in self.open.values_mut() {
            document.changed();
        }
    }

    /// The documents to analyse before the next answer, in a stable order.
    pub fn stale(&self) -> Vec<Uri> {
        let mut uris: Vec<Uri> = self
            .open
            .iter()
            .filter(|(_, d)| d.stale)
            .map(|(uri, _)| uri.clone())
            .collect();
        uris.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        uris
    }

    /// Analyses one document. It is no longer stale even if analysing
    /// panics (the panic is the caller's to report): it then has no
    /// analysis, and no diagnostics.
    pub fn analyse(&mut self, uri: &Uri) {
        let Some(document) = self.open.get_mut(uri) else {
            return;
        };
        document.stale = false;
        document.analysis = Some(analyse_with_pairs(
            &document.text,
            &self.registry,
            Some(&self.pairs),
            &self.options,
        ));
    }
}

/// Applies one change: a whole new text, or a replacement of a range given
/// in UTF-16 positions (positions past a line's end mean its end, past the
/// last line the end of the text; a reversed range is read as the same range
/// the right way round).
pub fn apply_change(text: &mut String, change: &TextDocumentContentChangeEvent) {
    let Some(range) = change.range else {
        text.clone_from(&change.text);
        return;
    };
    let (start, end) = {
        let lines = LineStarts::new(text);
        let index = LineIndex::new(text, &lines);
        let a = convert::offset(&index, range.start);
        let b = convert::offset(&index, range.end);
        (a.min(b), a.max(b))
    };
    text.replace_range(start..end, &change.text);
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};

    fn edit(text: &str, start: (u32, u32), end: (u32, u32), new: &str) -> String {
        let mut text = text.to_string();
        apply_change(
            &mut text,
            &TextDocumentContentChangeEvent {
                range: Some(Range::new(
                    Position::new(start.0, start.1),
                    Position::new(end.0, end.1),
                )),
                range_length: None,
                text: new.to_string(),
            },
        );
        text
    }

    #[test]
    fn a_range_edit_replaces_that_range() {
        assert_eq!(
            edit("let a\nlet b\n", (1, 4), (1, 5), "c"),
            "let a\nlet c\n"
        );
        assert_eq!(edit("ab\ncd", (0, 1), (1, 1), ""), "ad");
        assert_eq!(edit("ab", (0, 2), (0, 2), "c"), "abc");
    }

    #[test]
    fn columns_count_utf16_code_units() {
        // 'é' is one unit (two bytes), '😀' two units (four bytes).
        let text = "// é😀x\n";
        assert_eq!(edit(text, (0, 6), (0, 7), "y"), "// é😀y\n");
        assert_eq!(edit(text, (0, 3), (0, 4), ""), "// 😀x\n");
        assert_eq!(edit(text, (0, 4), (0, 6), "🙂"), "// é🙂x\n");
    }

    #[test]
    fn a_position_inside_a_surrogate_pair_never_splits_a_character() {
        let text = "😀x";
        let edited = edit(text, (0, 1), (0, 1), "a");
        assert!(edited == "a😀x" || edited == "😀ax", "{edited}");
    }

    #[test]
    fn positions_past_a_line_end_or_the_last_line_clamp() {
        assert_eq!(edit("ab\ncd\n", (0, 99), (0, 99), "!"), "ab!\ncd\n");
        assert_eq!(edit("ab\ncd", (0, 99), (1, 0), ""), "abcd");
        assert_eq!(edit("ab\ncd", (7, 0), (9, 9), "\nef"), "ab\ncd\nef");
        assert_eq!(edit("ab\r\ncd", (0, 99), (0, 99), "!"), "ab!\r\ncd");
    }

    #[test]
    fn a_reversed_range_is_the_same_range() {
        assert_eq!(edit("abcd", (0, 3), (0, 1), "X"), "aXd");
    }

    /// The protocol's own reading of a position, on UTF-16 code units: a
    /// line ends at `\n`, `\r\n` or `\r`; a column past the line's end
    /// (before its line end) is the line's end, a line past the last is the
    /// end of the text, and a column inside a surrogate pair moves past the
    /// pair.
    fn model_offset(units: &[u16], line: u32, column: u32) -> usize {
        let (newline, cr) = (u16::from(b'\n'), u16::from(b'\r'));
        // Each line as (start, end of its text).
        let mut lines = Vec::new();
        let (mut start, mut i) = (0, 0);
        while i < units.len() {
            let end = i;
            if units[i] == cr && units.get(i + 1) == Some(&newline) {
                i += 2;
            } else if units[i] == cr || units[i] == newline {
                i += 1;
            } else {
                i += 1;
                continue;
            }
            lines.push((start, end));
            start = i;
        }
        lines.push((start, units.len()));
        let Some(&(start, end)) = lines.get(line as usize) else {
            return units.len();
        };
        let mut offset = (start + column as usize).min(end);
        if units
            .get(offset)
            .is_some_and(|u| (0xDC00..=0xDFFF).contains(u))
        {
            offset += 1;
        }
        offset
    }

    proptest::proptest! {
        #[test]
        fn edits_agree_with_a_model_on_utf16_code_units(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["a", "é", "😀", "\n", "\r\n", "\r", " "]), 0..30),
            edits in proptest::collection::vec(
                (0u32..8, 0u32..12, 0u32..8, 0u32..12,
                 proptest::sample::select(vec!["", "b", "😀", "\n", "é\r\n", "\r"])), 1..8),
        ) {
            let mut text: String = pieces.concat();
            let mut units: Vec<u16> = text.encode_utf16().collect();
            for (l1, c1, l2, c2, new) in edits {
                edit_in_place(&mut text, (l1, c1), (l2, c2), new);
                let a = model_offset(&units, l1, c1);
                let b = model_offset(&units, l2, c2);
                units.splice(a.min(b)..a.max(b), new.encode_utf16());
                proptest::prop_assert_eq!(&text, &String::from_utf16_lossy(&units));
            }
        }
    }

    fn edit_in_place(text: &mut String, start: (u32, u32), end: (u32, u32), new: &str) {
        *text = edit(text, start, end, new);
    }

    #[test]
    fn a_change_without_range_replaces_the_text() {
        let mut text = "old".to_string();
        apply_change(
            &mut text,
            &TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: "new".to_string(),
            },
        );
        assert_eq!(text, "new");
    }
}
