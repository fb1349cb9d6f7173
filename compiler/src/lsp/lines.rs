//! Where each line of a document starts, kept with the document so that a
//! request converts positions without reading the whole text again.
//!
//! The protocol counts lines from 0 and columns in UTF-16 code units; the
//! front end counts bytes. A line ends at `\n`, `\r\n` or a lone `\r`, the
//! three line ends the protocol names and the lexer reads (docs/syntax.md),
//! so that a file saved with old Mac line ends is as many lines to the
//! server as to the editor and to `meshc check`. A position never falls
//! inside a line end.

/// The byte offset at which every line of a text starts.
#[derive(Clone, Debug, Default)]
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    pub fn new(text: &str) -> LineStarts {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        LineStarts(starts)
    }
}

/// A text and its line starts, read together.
#[derive(Clone, Copy, Debug)]
pub struct LineIndex<'a> {
    text: &'a str,
    starts: &'a [usize],
}

impl<'a> LineIndex<'a> {
    /// `starts` must be [`LineStarts::new`] of `text`.
    pub fn new(text: &'a str, starts: &'a LineStarts) -> LineIndex<'a> {
        LineIndex {
            text,
            starts: &starts.0,
        }
    }

    /// Clamps an offset into the text and back onto a character boundary.
    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while offset > 0 && !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = self.clamp(offset);
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// The 0-based line and UTF-16 column of a byte offset.
    pub fn utf16_position(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let line = self.line_of(offset);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let column: usize = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum());
        (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    /// The byte offset of a 0-based line and UTF-16 column, clamped to the
    /// line's end, before its line end (the protocol allows positions past
    /// the end of a line or of the text, and means its end). A column
    /// inside a surrogate pair moves past the pair.
    pub fn offset_of_utf16(&self, line: u32, column: u32) -> usize {
        let Some(&start) = self.starts.get(line as usize) else {
            return self.text.len();
        };
        let end = self.content_end(line as usize, start);
        let mut units = 0usize;
        for (i, ch) in self.text[start..end].char_indices() {
            if units >= column as usize {
                return start + i;
            }
            units += ch.len_utf16();
        }
        end
    }

    /// Where the text of `line` (which starts at `start`) ends: before its
    /// `\n`, `\r\n` or `\r`, or at the end of the text.
    fn content_end(&self, line: usize, start: usize) -> usize {
        let Some(&next) = self.starts.get(line + 1) else {
            return self.text.len();
        };
        let mut end = next;
        let bytes = self.text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        end
    }

    /// The byte offset where `line` starts (the end of the text past the
    /// last line).
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_through_utf16() {
        let text = "ab\n// é😀x\r\nlast";
        let starts = LineStarts::new(text);
        let index = LineIndex::new(text, &starts);
        assert_eq!(index.utf16_position(0), (0, 0));
        let x = text.find('x').unwrap_or_default();
        assert_eq!(index.utf16_position(x), (1, 6));
        assert_eq!(index.offset_of_utf16(1, 6), x);
        assert_eq!(index.offset_of_utf16(1, 99), x + 1, "before the `\\r\\n`");
        assert_eq!(index.offset_of_utf16(7, 0), text.len());
        assert_eq!(index.line_of(text.len()), 2);
        assert_eq!(index.line_start(2), text.len() - 4);
    }

    /// `\n`, `\r\n` and a lone `\r` each end one line, as the lexer reads
    /// them; a position past a line's end stops before its line end.
    #[test]
    fn every_line_end_ends_a_line() {
        let text = "a\rbc\r\nd\ne\r\r\nf\r";
        let starts = LineStarts::new(text);
        let index = LineIndex::new(text, &starts);
        assert_eq!(starts.0, vec![0, 2, 6, 8, 10, 12, 14]);
        assert_eq!(
            index.utf16_position(text.find('b').unwrap_or_default()),
            (1, 0)
        );
        assert_eq!(
            index.utf16_position(text.find('d').unwrap_or_default()),
            (2, 0)
        );
        assert_eq!(
            index.utf16_position(text.find('f').unwrap_or_default()),
            (5, 0)
        );
        assert_eq!(index.offset_of_utf16(0, 9), 1, "before the lone `\\r`");
        assert_eq!(index.offset_of_utf16(1, 9), 4, "before the `\\r\\n`");
        assert_eq!(
            index.offset_of_utf16(3, 9),
            9,
            "before the `\\r` that ends line 3"
        );
        assert_eq!(
            index.offset_of_utf16(4, 9),
            10,
            "an empty line ended by `\\r\\n`"
        );
        assert_eq!(index.offset_of_utf16(6, 0), text.len());
        assert_eq!(index.line_of(text.len()), 6);
    }
}
