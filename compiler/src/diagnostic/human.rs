//! Diagnostics for people: ariadne reports with the source lines they point
//! at.
//!
//! A [`HumanRenderer`] prepares a file once — the text ariadne shows and its
//! line table — and then renders each diagnostic in time that depends on the
//! diagnostic, not on the file: a file with thousands of errors renders in
//! time linear in its size. Three choices keep it so:
//!
//! - labels more than [`SECTION_GAP`] lines apart are shown in separate
//!   sections (the primary label's section first), so that the lines between
//!   them are never walked;
//! - a label on a line longer than [`LONG_LINE`] bytes is not drawn under its
//!   line: the report lists each label with its line and column instead, so
//!   that a diagnostic never prints a whole generated one-line file;
//! - the shown text has no control or invisible character: each is replaced
//!   by a visible stand-in of one character (`␀`, `�`), so that the columns
//!   stay those of the source and nothing reaches the terminal raw. A
//!   byte-order mark at the start is left out.

use super::{Diagnostic, LineIndex, Severity};
use ariadne::{Cache, Color, Config, IndexType, Label, Report, ReportKind, Source};
use mesh_grammar::lines::BYTE_ORDER_MARK;
use mesh_grammar::Span;
use std::fmt;
use std::ops::Range;

/// Labels whose lines are more than this far apart are shown in separate
/// sections.
pub const SECTION_GAP: usize = 12;

/// A line longer than this (in bytes) is not shown under a label.
pub const LONG_LINE: usize = 1_000;

/// Renders one file's diagnostics for a terminal.
pub struct HumanRenderer<'a> {
    file: &'a str,
    source: &'a str,
    lines: LineIndex<'a>,
    shown: Shown,
    color: bool,
}

/// The text ariadne shows, and how source offsets map onto it.
struct Shown {
    source: Source<String>,
    /// For every character replaced or left out: the source offset right
    /// after it and how far later offsets move (shown minus source bytes, in
    /// total so far). Sorted by offset.
    shifts: Vec<(usize, isize)>,
}

impl<'a> HumanRenderer<'a> {
    pub fn new(file: &'a str, source: &'a str, color: bool) -> HumanRenderer<'a> {
        HumanRenderer {
            file,
            source,
            lines: LineIndex::new(source),
            shown: Shown::new(source),
            color,
        }
    }

    /// One diagnostic, as the terminal shows it.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let mut labels: Vec<(&super::Label, bool)> = std::iter::once((&diagnostic.primary, true))
            .chain(diagnostic.secondary.iter().map(|l| (l, false)))
            .collect();
        labels.sort_by_key(|(label, _)| (label.span.start, label.span.end));
        let spans: Vec<(Span, usize, usize)> = labels
            .iter()
            .map(|(label, _)| {
                let span = self.clamp(label.span);
                let first = self.lines.line(span.start);
                let last = self.lines.line(span.end.saturating_sub(1).max(span.start));
                (span, first, last)
            })
            .collect();
        let too_long = spans.iter().any(|&(_, first, last)| {
            self.lines.line_len(first) > LONG_LINE || self.lines.line_len(last) > LONG_LINE
        });
        if too_long {
            return self.render_without_source(diagnostic, &labels);
        }

        // Sections: a label starts a new one when it lies far below the
        // previous one.
        let mut sections = Vec::with_capacity(labels.len());
        let mut section = 0usize;
        let mut previous_last: Option<usize> = None;
        for &(_, first, last) in &spans {
            if previous_last.is_some_and(|p| first > p + SECTION_GAP) {
                section += 1;
            }
            previous_last = Some(previous_last.map_or(last, |p| p.max(last)));
            sections.push(section);
        }
        let primary_section = labels
            .iter()
            .zip(&sections)
            .find(|((_, primary), _)| *primary)
            .map_or(0, |(_, &s)| s);

        let (kind, primary_color) = match diagnostic.severity {
            Severity::Error => (ReportKind::Error, Color::Red),
            Severity::Warning => (ReportKind::Warning, Color::Yellow),
        };
        let primary = self
            .shown
            .range(self.source, self.clamp(diagnostic.primary.span));
        let mut report = Report::build(kind, (primary_section, primary))
            .with_config(
                Config::default()
                    .with_color(self.color)
                    .with_index_type(IndexType::Byte),
            )
            .with_code(diagnostic.code.as_str())
            .with_message(&diagnostic.message);
        // ariadne opens a new section whenever a label comes before the one
        // added last or belongs to another section: labels go in in source
        // order, the primary label's section first, and each section reads
        // top to bottom; the primary label keeps its colour.
        let order = (0..labels.len())
            .filter(|&i| sections[i] == primary_section)
            .chain((0..labels.len()).filter(|&i| sections[i] != primary_section));
        for i in order {
            let (label, is_primary) = labels[i];
            let color = if is_primary {
                primary_color
            } else {
                Color::Blue
            };
            let range = self.shown.range(self.source, spans[i].0);
            report = report.with_label(
                Label::new((sections[i], range))
                    .with_message(&label.message)
                    .with_color(color),
            );
        }
        if let Some(hint) = &diagnostic.hint {
            report = report.with_help(hint);
        }
        let mut out = Vec::new();
        let cache = ShownCache {
            file: self.file,
            source: &self.shown.source,
        };
        match report.finish().write(cache, &mut out) {
            Ok(()) => String::from_utf8_lossy(&out).into_owned(),
            // Writing to a Vec cannot fail; fall back to a plain form anyway.
            Err(_) => self.render_without_source(diagnostic, &labels),
        }
    }

    /// The report without source lines: each label with its place.
    fn render_without_source(
        &self,
        diagnostic: &Diagnostic,
        labels: &[(&super::Label, bool)],
    ) -> String {
        let paint = |code: &str, text: &str| {
            if self.color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let kind = match diagnostic.severity {
            Severity::Error => paint("31", &format!("[{}] Error:", diagnostic.code)),
            Severity::Warning => paint("33", &format!("[{}] Warning:", diagnostic.code)),
        };
        let margin = |text: &str| paint("38;5;246", text);
        let at = self.lines.position(diagnostic.primary.span.start);
        let mut out = format!("{kind} {}\n", diagnostic.message);
        out.push_str(&format!(
            "   {}{}{} {}:{}:{} {}\n",
            margin("╭"),
            margin("─"),
            margin("["),
            self.file,
            at.line,
            at.column,
            margin("]")
        ));
        out.push_str(&format!("   {}\n", margin("│")));
        let long = labels
            .iter()
            .map(|(label, _)| self.lines.line(self.clamp(label.span).start))
            .find(|&line| self.lines.line_len(line) > LONG_LINE);
        if let Some(line) = long {
            out.push_str(&format!(
                "   {} line {} is not shown: it is {} bytes long\n",
                margin("│"),
                line + 1,
                mesh_core::amount::display_count(self.lines.line_len(line) as u64)
            ));
        }
        for (label, _) in labels {
            let p = self.lines.position(label.span.start);
            out.push_str(&format!(
                "   {} {}:{}: {}\n",
                margin("│"),
                p.line,
                p.column,
                label.message
            ));
        }
        if let Some(hint) = &diagnostic.hint {
            out.push_str(&format!("   {}\n", margin("│")));
            out.push_str(&format!(
                "   {} {}: {hint}\n",
                margin("│"),
                paint("38;5;115", "Help")
            ));
        }
        out.push_str(&margin("───╯"));
        out.push('\n');
        out
    }

    /// A span inside the source, on character boundaries.
    fn clamp(&self, span: Span) -> Span {
        let start = self.lines.clamp(span.start);
        let end = self.lines.clamp(span.end.max(start));
        Span::new(start, end.max(start))
    }
}

/// Renders one diagnostic for a terminal, with the source lines it points
/// at. To render several diagnostics of one file, make one
/// [`HumanRenderer`]: this prepares the file anew on every call.
pub fn render_human(file: &str, source: &str, diagnostic: &Diagnostic, color: bool) -> String {
    HumanRenderer::new(file, source, color).render(diagnostic)
}

impl Shown {
    fn new(source: &str) -> Shown {
        let mut text = String::with_capacity(source.len());
        let mut shifts = Vec::new();
        let mut delta = 0isize;
        for (at, c) in source.char_indices() {
            let shown = if at == 0 && c == BYTE_ORDER_MARK {
                None
            } else {
                match stand_in(c) {
                    Some(other) => Some(other),
                    None => {
                        text.push(c);
                        continue;
                    }
                }
            };
            let before = text.len();
            if let Some(other) = shown {
                text.push(other);
            }
            let grown = text.len() - before;
            delta += grown as isize - c.len_utf8() as isize;
            shifts.push((at + c.len_utf8(), delta));
        }
        Shown {
            source: Source::from(text),
            shifts,
        }
    }

    /// Where a source span lies in the shown text.
    fn range(&self, source: &str, span: Span) -> Range<usize> {
        let start = self.offset(span.start.min(source.len()));
        let end = self.offset(span.end.min(source.len()));
        start..end.max(start)
    }

    fn offset(&self, offset: usize) -> usize {
        let index = self.shifts.partition_point(|&(after, _)| after <= offset);
        let delta = match index.checked_sub(1) {
            Some(i) => self.shifts[i].1,
            None => 0,
        };
        offset.saturating_add_signed(delta)
    }
}

/// The visible character shown in place of `c`, if `c` cannot be shown as
/// it is: control characters as their pictures (`␀`), other invisible
/// characters as `�`. Tabs and line ends stay (ariadne lays them out).
fn stand_in(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\u{0}'..='\u{1F}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7F}' => Some('\u{2421}'),
        '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\u{2424}'),
        c if super::is_invisible(c) => Some('\u{FFFD}'),
        _ => None,
    }
}

/// Every section of a report reads the one shown text; each is named by the
/// file.
struct ShownCache<'s> {
    file: &'s str,
    source: &'s Source<String>,
}

impl Cache<usize> for ShownCache<'_> {
    type Storage = String;

    fn fetch(&mut self, _: &usize) -> Result<&Source<String>, impl fmt::Debug> {
        Ok::<_, ()>(self.source)
    }

    fn display<'b>(&self, _: &'b usize) -> Option<impl fmt::Display + 'b> {
        Some(self.file.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Code, Label as DiagnosticLabel};

    fn error(span: Span) -> Diagnostic {
        Diagnostic::error(
            Code::UnexpectedCharacter,
            "unexpected character",
            DiagnosticLabel::new(span, "here"),
        )
    }

    #[test]
    fn control_characters_are_shown_as_pictures_in_their_columns() {
        let source = "a\u{0}b\u{1b}[31m c";
        let out = render_human("f.mesh", source, &error(Span::new(1, 2)), false);
        assert!(out.contains("a␀b␛[31m c"), "{out}");
        assert!(!out.contains('\u{0}') && !out.contains('\u{1b}'), "{out}");
        assert!(out.contains("f.mesh:1:2"), "{out}");
    }

    #[test]
    fn a_byte_order_mark_is_left_out_and_columns_count_without_it() {
        let source = "\u{FEFF}bundle b on p { ; }";
        let semicolon = source.find(';').unwrap_or(0);
        let out = render_human(
            "f.mesh",
            source,
            &error(Span::new(semicolon, semicolon + 1)),
            false,
        );
        assert!(out.contains("f.mesh:1:17"), "{out}");
        assert!(out.contains(" 1 │ bundle b on p { ; }"), "{out}");
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let source = "bundle b on p {\r    ;\r}\r";
        let out = render_human("f.mesh", source, &error(Span::new(20, 21)), false);
        assert!(out.contains("f.mesh:2:5"), "{out}");
        assert!(out.contains(" 2 │     ;"), "{out}");
    }

    #[test]
    fn far_apart_labels_are_shown_in_sections_primary_first() {
        let mut source = String::from("bundle b on p {\n");
        for _ in 0..40 {
            source.push_str("    input 1 WETH\n");
        }
        source.push_str("}\n");
        let end = source.len() - 2;
        let d = error(Span::new(end, end + 1))
            .with_label(DiagnosticLabel::new(Span::new(14, 15), "opened here"));
        let out = render_human("f.mesh", &source, &d, false);
        let primary = out.find("f.mesh:42:1").unwrap_or(usize::MAX);
        let secondary = out.find("f.mesh:1:15").unwrap_or(usize::MAX);
        assert!(primary < secondary && secondary < usize::MAX, "{out}");
        assert!(!out.contains("input"), "{out}");
    }

    #[test]
    fn a_label_on_a_very_long_line_is_listed_without_the_line() {
        let source = format!("bundle b on p {{ {} }}", "input 1 WETH ".repeat(200));
        let d = error(Span::new(16, 21)).with_hint("remove it");
        let out = render_human("f.mesh", &source, &d, false);
        assert!(out.len() < 600, "{out}");
        assert!(out.contains("[E0007] Error: unexpected character"), "{out}");
        assert!(out.contains("f.mesh:1:17"), "{out}");
        assert!(
            out.contains("line 1 is not shown: it is 2_618 bytes long"),
            "{out}"
        );
        assert!(out.contains("1:17: here"), "{out}");
        assert!(out.contains("Help: remove it"), "{out}");
    }
}
