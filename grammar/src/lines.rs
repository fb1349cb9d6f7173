//! What a line is. The lexer, the compiler's diagnostics, the formatter and
//! the language server all count lines by this one definition, so that a
//! position means the same thing everywhere.
//!
//! A line ends at `\n`, at `\r\n` (one line end, not two) or at a `\r` that
//! no `\n` follows: files written with Unix, Windows and classic Mac line
//! endings read alike. These are also the line ends of the language server
//! protocol. Other characters that some tools break lines at (form feed,
//! U+2028) are not line ends here.

/// The UTF-8 byte-order mark. At the very start of a file it is not text:
/// the lexer skips it and the formatter keeps it.
pub const BYTE_ORDER_MARK: char = '\u{FEFF}';

/// The byte length of the line end that starts at byte `at` of `source`:
/// 2 for `\r\n`, 1 for `\n` or a lone `\r`, 0 if no line end starts there.
pub fn line_end_len(source: &[u8], at: usize) -> usize {
    match source.get(at) {
        Some(b'\n') => 1,
        Some(b'\r') if source.get(at + 1) == Some(&b'\n') => 2,
        Some(b'\r') => 1,
        _ => 0,
    }
}

/// The byte offset where every line of `source` starts: 0 first, then the
/// offset after each line end.
pub fn line_starts(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut starts = vec![0];
    let mut at = 0;
    while at < bytes.len() {
        match line_end_len(bytes, at) {
            0 => at += 1,
            len => {
                at += len;
                starts.push(at);
            }
        }
    }
    starts
}

/// How many line ends the text `source[from..to]` holds (a `\r\n` split by
/// either bound counts as the part of it that lies inside).
pub fn line_ends_in(source: &str, from: usize, to: usize) -> usize {
    let bytes = source.as_bytes();
    let to = to.min(bytes.len());
    let mut at = from.min(to);
    let mut count = 0;
    while at < to {
        match line_end_len(bytes, at) {
            0 => at += 1,
            len => {
                at += len;
                count += 1;
            }
        }
    }
    count
}

/// How far apart the marks of a [`LineTable`] are, in bytes.
const MARK: usize = 1024;

/// Where each line of a text starts, and how many characters (and UTF-16
/// units) precede a mark every kilobyte of it: a column is then counted in
/// time bounded by the distance to the nearest mark, not by the length of
/// its line, so that a long generated one-line file costs no more per
/// position than a short one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineTable {
    starts: Vec<usize>,
    /// (byte offset on a character boundary, characters before it, UTF-16
    /// units before it), sorted, starting at 0.
    marks: Vec<(usize, usize, usize)>,
}

impl LineTable {
    pub fn new(source: &str) -> LineTable {
        let mut marks = vec![(0, 0, 0)];
        let (mut chars, mut units) = (0usize, 0usize);
        let mut next = MARK;
        for (i, c) in source.char_indices() {
            if i >= next {
                marks.push((i, chars, units));
                next = i + MARK;
            }
            chars += 1;
            units += c.len_utf16();
        }
        LineTable {
            starts: line_starts(source),
            marks,
        }
    }

    /// The byte offset where each line starts: 0 first.
    pub fn starts(&self) -> &[usize] {
        &self.starts
    }

    /// The nearest mark at or before `offset`.
    fn mark(&self, offset: usize) -> (usize, usize, usize) {
        let after = self.marks.partition_point(|&(at, _, _)| at <= offset);
        after
            .checked_sub(1)
            .and_then(|i| self.marks.get(i).copied())
            .unwrap_or((0, 0, 0))
    }

    /// Characters and UTF-16 units of `source[..offset]`; `offset` lies on a
    /// character boundary.
    fn before(&self, source: &str, offset: usize) -> (usize, usize) {
        let (at, chars, units) = self.mark(offset);
        let rest = source.get(at..offset).unwrap_or("");
        (
            chars + rest.chars().count(),
            units + rest.chars().map(char::len_utf16).sum::<usize>(),
        )
    }

    /// Characters and UTF-16 units of `source[from..to]`, both on character
    /// boundaries, `from <= to`.
    pub fn count(&self, source: &str, from: usize, to: usize) -> (usize, usize) {
        if to.saturating_sub(from) <= 2 * MARK {
            let text = source.get(from..to).unwrap_or("");
            return (
                text.chars().count(),
                text.chars().map(char::len_utf16).sum(),
            );
        }
        let (a, b) = (self.before(source, from), self.before(source, to));
        (b.0.saturating_sub(a.0), b.1.saturating_sub(a.1))
    }

    /// The byte offset in `source[from..to]` after `units` UTF-16 units
    /// from `from` (`to` if the text is shorter; never inside a character).
    pub fn offset_after_units(&self, source: &str, from: usize, to: usize, units: usize) -> usize {
        let (_, base) = self.before(source, from);
        let target = base.saturating_add(units);
        // The last mark inside the range whose count is not past the target.
        let first = self.marks.partition_point(|&(at, _, _)| at <= from);
        let last = self.marks.partition_point(|&(at, _, _)| at < to);
        let within = self.marks.get(first..last).unwrap_or(&[]);
        let index = within.partition_point(|&(_, _, u)| u <= target);
        let (at, mut counted) = match index.checked_sub(1).and_then(|i| within.get(i)) {
            Some(&(at, _, u)) => (at, u),
            None => (from, base),
        };
        for (i, c) in source.get(at..to).unwrap_or("").char_indices() {
            if counted >= target {
                return at + i;
            }
            counted += c.len_utf16();
        }
        to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_line_end_starts_a_line() {
        assert_eq!(line_starts(""), [0]);
        assert_eq!(line_starts("a"), [0]);
        assert_eq!(line_starts("a\nb"), [0, 2]);
        assert_eq!(line_starts("a\r\nb"), [0, 3]);
        assert_eq!(line_starts("a\rb"), [0, 2]);
        assert_eq!(line_starts("a\r\rb\n"), [0, 2, 3, 5]);
        assert_eq!(line_starts("\n\r\n\r"), [0, 1, 3, 4]);
        // A form feed is whitespace, not a line end.
        assert_eq!(line_starts("a\x0Cb"), [0]);
    }

    #[test]
    fn line_ends_are_counted_once() {
        assert_eq!(line_ends_in("a\r\nb\rc\nd", 0, 9), 3);
        assert_eq!(line_ends_in("a\r\nb", 1, 2), 1);
        assert_eq!(line_ends_in("ab", 0, 99), 0);
        assert_eq!(line_end_len(b"\r\n", 0), 2);
        assert_eq!(line_end_len(b"\r\n", 1), 1);
        assert_eq!(line_end_len(b"x", 0), 0);
    }
}

#[cfg(test)]
mod table_tests {
    use super::*;

    #[test]
    fn counts_agree_with_counting_directly() {
        let line = "ab€😀c".repeat(700);
        let source = format!("x\n{line}\r{line}\n");
        let table = LineTable::new(&source);
        assert!(table.marks.len() > 4);
        let boundaries: Vec<usize> = source
            .char_indices()
            .map(|(i, _)| i)
            .step_by(97)
            .chain([source.len()])
            .collect();
        for &from in boundaries.iter().step_by(5) {
            for &to in boundaries.iter().filter(|&&t| t >= from) {
                let text = &source[from..to];
                let expected = (
                    text.chars().count(),
                    text.chars().map(char::len_utf16).sum::<usize>(),
                );
                assert_eq!(table.count(&source, from, to), expected, "{from}..{to}");
            }
        }
    }

    #[test]
    fn offsets_after_units_agree_with_walking() {
        let line = "ab€😀c".repeat(700);
        let source = format!("x\n{line}\n");
        let table = LineTable::new(&source);
        let (from, to) = (2, source.len() - 1);
        for units in [0, 1, 2, 3, 4, 5, 6, 999, 2_500, 4_199, 4_200, 9_999] {
            let mut counted = 0;
            let mut expected = to;
            for (i, c) in source[from..to].char_indices() {
                if counted >= units {
                    expected = from + i;
                    break;
                }
                counted += c.len_utf16();
            }
            assert_eq!(
                table.offset_after_units(&source, from, to, units),
                expected,
                "{units}"
            );
        }
    }
}
