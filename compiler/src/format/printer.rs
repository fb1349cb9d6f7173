//! The comment-aware printer behind the formatter.
//!
//! The layout code hands it words, each with the source span it came from,
//! and marks where logical lines and blocks begin and end. The printer owns
//! every decision about comments and blank lines: before a word it prints
//! every comment that starts earlier in the source, so a comment always lands
//! between the same two words as in the source; at the end of a line it
//! keeps the comments that shared that source line as trailing comments.

use mesh_grammar::{lines, Comment, CommentKind, Span};

const INDENT: &str = "    ";

pub(super) struct Printer<'a> {
    source: &'a str,
    /// Every comment of the file, sorted by position.
    comments: &'a [Comment],
    /// The first comment not printed yet.
    next: usize,
    out: String,
    /// Block nesting of what is being printed.
    indent: usize,
    /// Indentation of the lines a comment breaks a logical line into.
    continuation: usize,
    /// Inside a logical line (a statement, a constraint, a header).
    in_line: bool,
    /// A word of the current logical line is written: a new output line
    /// now continues it.
    line_started: bool,
    /// Nothing is written on the current output line yet.
    at_line_start: bool,
    /// Nothing printed yet in the current block or file: no blank line here.
    block_start: bool,
    /// The next thing at the start of a line gets a blank line before it,
    /// whatever the source had (between items).
    force_blank: bool,
    /// The next word follows without a space (after `(`).
    glue: bool,
    /// Where the last printed word or comment ends in the source.
    last_end: usize,
}

/// How a word joins what precedes it on its line.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Join {
    /// One space, as between most words.
    Space,
    /// Directly, as `:` after `deadline` or `)` after its amount.
    Tight,
}

impl<'a> Printer<'a> {
    pub(super) fn new(source: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        Printer {
            source,
            comments,
            next: 0,
            out: String::with_capacity(source.len() + source.len() / 8),
            indent: 0,
            continuation: 1,
            in_line: false,
            line_started: false,
            at_line_start: true,
            block_start: true,
            force_blank: false,
            glue: false,
            last_end: 0,
        }
    }

    /// The formatted text: every comment printed, one final newline.
    pub(super) fn finish(mut self) -> String {
        self.comments_before(usize::MAX);
        if !self.at_line_start {
            self.newline();
        }
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
        if self.out.trim().is_empty() {
            self.out.clear();
        }
        self.out
    }

    /// The offset of the next word after `from`, skipping whitespace and
    /// comments: where a keyword the tree keeps no span for begins.
    pub(super) fn next_word(&self, from: usize) -> usize {
        let bytes = self.source.as_bytes();
        let mut pos = from.min(bytes.len());
        loop {
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            match self
                .comments
                .binary_search_by_key(&pos, |comment| comment.span.start)
            {
                Ok(index) if self.comments[index].span.end > pos => {
                    pos = self.comments[index].span.end;
                }
                _ => return pos,
            }
        }
    }

    /// A fixed word (keyword or punctuation) that begins at the next word
    /// after `from`; returns its span.
    pub(super) fn keyword_after(&mut self, text: &str, from: usize, join: Join) -> Span {
        let start = self.next_word(from);
        let span = Span::new(start, start + text.len());
        self.word(text, span, join);
        span
    }

    /// Prints `text`, which the source has at `span`.
    pub(super) fn word(&mut self, text: &str, span: Span, join: Join) {
        self.comments_before(span.start);
        self.write_word(text, join);
        self.last_end = self.last_end.max(span.end);
    }

    /// Prints the source text of `span` as one word, with the comments
    /// inside it: for text the parser could not read.
    pub(super) fn verbatim(&mut self, span: Span) {
        let text = self.source.get(span.start..span.end).unwrap_or_default();
        self.word(text.trim(), span, Join::Space);
        while self
            .comments
            .get(self.next)
            .is_some_and(|comment| comment.span.start < span.end)
        {
            self.next += 1;
        }
    }

    /// Begins a logical line whose first word starts at `start`: the
    /// comments before it go on their own lines, and a blank line the user
    /// left before it is kept (once), unless it is first in its block.
    pub(super) fn begin_line(&mut self, start: usize) {
        self.comments_before(start);
        if self.at_line_start {
            self.blank_line_if(self.blank_before(start));
        }
        self.in_line = true;
        self.line_started = false;
        self.continuation = self.indent + 1;
    }

    /// Ends a logical line: the comments that share its last source line
    /// stay on it, after one space.
    pub(super) fn end_line(&mut self) {
        while let Some(comment) = self.comments.get(self.next) {
            let start = comment.span.start;
            // Only spaces between the line's last word and the comment.
            let between = self.source.get(self.last_end..start);
            let same_line = between.is_some_and(|gap| gap.bytes().all(|b| b == b' ' || b == b'\t'));
            if !same_line {
                break;
            }
            self.next += 1;
            if !self.at_line_start {
                self.out.push(' ');
            } else {
                self.write_indent();
            }
            self.write_comment(comment);
            self.last_end = comment.span.end;
            if comment.kind == CommentKind::Line {
                break;
            }
        }
        if !self.at_line_start {
            self.newline();
        }
        self.in_line = false;
        self.glue = false;
    }

    /// After the `{` of a block: the rest of its line, then one level deeper.
    pub(super) fn open_block(&mut self) {
        self.end_line();
        self.indent += 1;
        self.block_start = true;
    }

    /// The `}` at `close` of a block opened with [`Printer::open_block`]:
    /// the comments left inside the block go at its statements' level, then
    /// the brace on its own line. The logical line goes on after the brace
    /// (`} constraints {`, `} and {`); the caller ends it.
    pub(super) fn close_block(&mut self, close: usize) {
        self.comments_before(close);
        if !self.at_line_start {
            self.newline();
        }
        self.indent = self.indent.saturating_sub(1);
        self.block_start = false;
        self.in_line = true;
        self.line_started = false;
        self.continuation = self.indent;
        self.word("}", Span::new(close, close + 1), Join::Space);
    }

    /// Whether any comment lies inside `span`.
    pub(super) fn has_comment_in(&self, span: Span) -> bool {
        let first = self
            .comments
            .partition_point(|comment| comment.span.start < span.start);
        self.comments
            .get(first)
            .is_some_and(|comment| comment.span.start < span.end)
    }

    /// The next item of the file is separated from the previous one by one
    /// blank line, comments before it included.
    pub(super) fn separate_item(&mut self, forced: bool) {
        self.force_blank = forced;
    }

    /// Prints every comment that starts before `offset`.
    fn comments_before(&mut self, offset: usize) {
        while let Some(comment) = self.comments.get(self.next) {
            if comment.span.start >= offset {
                break;
            }
            self.next += 1;
            self.print_comment(comment);
        }
    }

    fn print_comment(&mut self, comment: &Comment) {
        let start = comment.span.start;
        if self.at_line_start {
            self.blank_line_if(self.blank_before(start));
            self.write_indent();
        } else if self.newline_before(start) {
            // A comment on its own line inside a logical line stays on its own line.
            self.newline();
            self.write_indent();
        } else if !self.glue {
            self.out.push(' ');
        }
        self.write_comment(comment);
        self.last_end = self.last_end.max(comment.span.end);
        self.block_start = false;
        self.glue = false;
        if comment.kind == CommentKind::Line || self.newline_after(comment.span.end) {
            self.newline();
        }
    }

    fn write_comment(&mut self, comment: &Comment) {
        let text = self
            .source
            .get(comment.span.start..comment.span.end)
            .unwrap_or_default();
        match comment.kind {
            // A line comment's trailing whitespace (and a `\r`) is not part of it.
            CommentKind::Line => self.out.push_str(text.trim_end()),
            CommentKind::Block => self.out.push_str(text),
        }
        self.at_line_start = false;
    }

    fn write_word(&mut self, text: &str, join: Join) {
        if self.at_line_start {
            self.blank_line_if(false);
            self.write_indent();
        } else if join == Join::Space && !self.glue {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.at_line_start = false;
        self.line_started = true;
        self.block_start = false;
        self.glue = text == "(";
    }

    fn write_indent(&mut self) {
        let level = if self.in_line && self.line_started {
            self.continuation
        } else {
            self.indent
        };
        for _ in 0..level {
            self.out.push_str(INDENT);
        }
        self.at_line_start = false;
    }

    /// At the start of a line: a blank line before what comes, if `wanted`
    /// or forced, but never first in a block.
    fn blank_line_if(&mut self, wanted: bool) {
        let forced = std::mem::take(&mut self.force_blank);
        if (wanted || forced)
            && !self.block_start
            && !self.out.is_empty()
            && !self.out.ends_with("\n\n")
        {
            self.out.push('\n');
        }
    }

    fn newline(&mut self) {
        while self.out.ends_with(' ') {
            self.out.pop();
        }
        self.out.push('\n');
        self.at_line_start = true;
    }

    /// The whitespace that ends at `offset` holds a blank line.
    fn blank_before(&self, offset: usize) -> bool {
        self.newlines_before(offset) >= 2
    }

    /// The whitespace that ends at `offset` holds a line break.
    fn newline_before(&self, offset: usize) -> bool {
        self.newlines_before(offset) >= 1
    }

    /// How many line ends (`\n`, `\r\n` or a lone `\r`) the whitespace
    /// that ends at `offset` holds.
    fn newlines_before(&self, offset: usize) -> usize {
        let bytes = self.source.as_bytes();
        let end = offset.min(bytes.len());
        let mut pos = end;
        while pos > 0 && bytes[pos - 1].is_ascii_whitespace() {
            pos -= 1;
        }
        lines::line_ends_in(self.source, pos, end)
    }

    /// The whitespace that starts at `offset` holds a line break.
    fn newline_after(&self, offset: usize) -> bool {
        self.source
            .get(offset..)
            .unwrap_or_default()
            .bytes()
            .take_while(u8::is_ascii_whitespace)
            .any(|b| b == b'\n' || b == b'\r')
    }
}
