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
