//! The full path of the key at a place in a TOML text, for the messages of
//! errors the TOML parser reports with a position only (`duplicate key`):
//! `tokens.USDC.decimals`, not `decimals`.
//!
//! A small scanner over the text before the error: table headers, keys,
//! inline tables and arrays, strings and comments — enough of TOML to know
//! where a key sits. The text it reads is what the parser accepted before
//! the error, so it need not judge whether the text is valid.

use super::file::key_text;

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn render(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&key_text(k));
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// What an open bracket or brace holds.
enum Frame {
    /// An inline table at this path.
    Table(Vec<Step>),
    /// An array at this path; the index of the element being read.
    Array(Vec<Step>, usize),
}

struct Scanner<'t> {
    text: &'t [u8],
    at: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.text[self.at..].starts_with(s.as_bytes())
    }

    /// Skips spaces and tabs, and a comment up to (not past) the line end.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'#' => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.at += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// Skips a string of any of TOML's four kinds, starting at its quote;
    /// returns its content (escapes left as written).
    fn string(&mut self) -> String {
        let quote = self.text[self.at];
        let triple = if quote == b'"' { "\"\"\"" } else { "'''" };
        let start;
        let end;
        if self.starts_with(triple) {
            self.at += 3;
            start = self.at;
            while self.at < self.text.len() && !self.starts_with(triple) {
                if quote == b'"' && self.text[self.at] == b'\\' {
                    self.at += 1;
                }
                self.at += 1;
            }
            end = self.at.min(self.text.len());
            self.at = (self.at + 3).min(self.text.len());
        } else {
            self.at += 1;
            start = self.at;
            while let Some(c) = self.peek() {
                if c == quote || c == b'\n' {
                    break;
                }
                if quote == b'"' && c == b'\\' {
                    self.at += 1;
                }
                self.at += 1;
            }
            end = self.at.min(self.text.len());
            if self.peek() == Some(quote) {
                self.at += 1;
            }
        }
        String::from_utf8_lossy(&self.text[start..end]).into_owned()
    }

    /// Reads a dotted key (`a."b c".d`); returns each part with its start.
    fn key(&mut self) -> Vec<(usize, String)> {
        let mut parts = Vec::new();
        loop {
            self.skip_blank();
            let start = self.at;
            match self.peek() {
                Some(b'"' | b'\'') => parts.push((start, self.string())),
                Some(c) if is_bare(c) => {
                    while self.peek().is_some_and(is_bare) {
                        self.at += 1;
                    }
                    let part = String::from_utf8_lossy(&self.text[start..self.at]);
                    parts.push((start, part.into_owned()));
                }
                _ => return parts,
            }
            self.skip_blank();
            if self.peek() == Some(b'.') {
                self.at += 1;
            } else {
                return parts;
            }
        }
    }

    /// Skips a scalar value (a number, date, boolean or string).
    fn scalar(&mut self) {
        match self.peek() {
            Some(b'"' | b'\'') => {
                self.string();
            }
            _ => {
                while self
                    .peek()
                    .is_some_and(|c| !matches!(c, b',' | b']' | b'}' | b'\n' | b'#'))
                {
                    self.at += 1;
                }
            }
        }
    }
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// The full path of the key (or array element) that `offset` of `text`
/// falls in or after: the last key begun at or before it. Empty when the
/// offset precedes every key.
pub(super) fn key_path_at(text: &str, offset: usize) -> String {
    let mut s = Scanner {
        text: text.as_bytes(),
        at: 0,
    };
    let mut found: Vec<Step> = Vec::new();
    let mut header: Vec<Step> = Vec::new();
    // How many times each array of tables has been opened.
    let mut table_arrays: Vec<(Vec<Step>, usize)> = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    // Whether a value is expected next (after `=`, or in an array).
    let mut want_value = false;
    // The path a value read now belongs to.
    let mut value_path: Vec<Step> = Vec::new();
    while s.at < s.text.len() && s.at <= offset {
        s.skip_blank();
        let Some(c) = s.peek() else { break };
        if s.at > offset {
            break;
        }
        let start = s.at;
        match c {
            b'\n' => {
                s.at += 1;
                if frames.is_empty() {
                    want_value = false;
                }
            }
            b'[' if frames.is_empty() && !want_value => {
                // A table header, `[a.b]`, or an array of tables, `[[a.b]]`.
                let array = s.starts_with("[[");
                s.at += if array { 2 } else { 1 };
                let parts = s.key();
                let mut path: Vec<Step> = Vec::new();
                for (part_start, part) in parts {
                    path.push(Step::Key(part));
                    if part_start <= offset {
                        found.clone_from(&path);
                    }
                }
                if array {
                    let count = match table_arrays.iter_mut().find(|(p, _)| *p == path) {
                        Some((_, n)) => {
                            *n += 1;
                            *n - 1
                        }
                        None => {
                            table_arrays.push((path.clone(), 1));
                            0
                        }
                    };
                    path.push(Step::Index(count));
                    if start <= offset {
                        found.clone_from(&path);
                    }
                }
                header = path;
                while s.peek().is_some_and(|c| c != b'\n') {
                    s.at += 1;
                }
            }
            b'[' if want_value => {
                s.at += 1;
                let path = value_path.clone();
                let mut element = path.clone();
                element.push(Step::Index(0));
                value_path = element;
                frames.push(Frame::Array(path, 0));
            }
            b'{' if want_value => {
                s.at += 1;
                frames.push(Frame::Table(value_path.clone()));
                want_value = false;
            }
            b',' => {
                s.at += 1;
                match frames.last_mut() {
                    Some(Frame::Array(path, i)) => {
                        *i += 1;
                        let mut element = path.clone();
                        element.push(Step::Index(*i));
                        value_path = element;
                        want_value = true;
                    }
                    Some(Frame::Table(_)) => want_value = false,
                    None => {}
                }
            }
            b']' | b'}' => {
                s.at += 1;
                frames.pop();
                // After a closed value: in an array, the next element
                // follows a comma; in an inline table, the next key.
                want_value = false;
                if let Some(Frame::Array(path, i)) = frames.last() {
                    let mut element = path.clone();
                    element.push(Step::Index(*i));
                    value_path = element;
                }
            }
            _ if want_value => {
                if start <= offset {
                    if let Some(Frame::Array(..)) = frames.last() {
                        found.clone_from(&value_path);
                    }
                }
                s.scalar();
                if !matches!(frames.last(), Some(Frame::Array(..))) {
                    want_value = false;
                }
            }
            b'=' => {
                s.at += 1;
                want_value = true;
            }
            _ => {
                let base = match frames.last() {
                    Some(Frame::Table(path)) => path.clone(),
                    Some(Frame::Array(path, i)) => {
                        let mut element = path.clone();
                        element.push(Step::Index(*i));
                        element
                    }
                    None => header.clone(),
                };
                let parts = s.key();
                if parts.is_empty() {
                    // Not a key: skip the character.
                    s.at += text[s.at..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                let mut path = base;
                for (part_start, part) in parts {
                    path.push(Step::Key(part));
                    if part_start <= offset {
                        found.clone_from(&path);
                    }
                }
                value_path = path;
            }
        }
    }
    render(&found)
}

#[cfg(test)]
mod tests {
    use super::key_path_at;

    fn at(text: &str, marker: &str) -> String {
        let offset = text.find(marker).expect("the marker is in the text");
        key_path_at(text, offset)
    }

    #[test]
    fn keys_in_headers_inline_tables_and_arrays() {
        let text = "format = 1\n[tokens]\nUSDC = { decimals = 6, decimals = 7 }\n\
                    [exchanges.polygon.uniswap_v2]\n\"WETH/USDC\" = [\"1\", \"2\"] # a pair\n\
                    [bridges]\nroutes = [\n  { from = \"a\", to = \"b\" },\n  { from = \"c\", gas = 5 },\n]\n\
                    [[list]]\nx = 1\n[[list]]\ny = 2\n";
        assert_eq!(at(text, "format"), "format");
        assert_eq!(at(text, "decimals = 7"), "tokens.USDC.decimals");
        assert_eq!(
            at(text, "\"2\""),
            "exchanges.polygon.uniswap_v2.\"WETH/USDC\"[1]"
        );
        assert_eq!(at(text, "gas = 5"), "bridges.routes[1].gas");
        assert_eq!(at(text, "y = 2"), "list[1].y");
        assert_eq!(key_path_at(text, 0), "format");
    }

    #[test]
    fn strings_and_comments_hide_brackets() {
        let text = "[a]\nk = \"[not a header]\" # { nor this\nl = '''\n[x]\n''' \nm = 1\n";
        assert_eq!(at(text, "m = 1"), "a.m");
        let dotted = "[wallet]\npolygon.USDC = \"1\"\npolygon.USDC = \"2\"\n";
        let second = dotted.rfind("polygon").expect("twice");
        assert_eq!(key_path_at(dotted, second), "wallet.polygon");
        let second = dotted.rfind("USDC").expect("twice");
        assert_eq!(key_path_at(dotted, second), "wallet.polygon.USDC");
    }
}
