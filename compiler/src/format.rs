//! `meshc fmt`: the one canonical layout of a Mesh source file.
//!
//! The layout (docs/formatting.md): four spaces per block level, one
//! statement or constraint per line, one space between words and around
//! operators, numbers, names and addresses exactly as written, parentheses
//! kept as written. Every comment is kept where it was: between the same two
//! words, on its own line or trailing a line as in the source. Formatting is
//! idempotent, and a file that does not parse is refused rather than guessed
//! at.
//!
//! Here the layout of each item and statement; `printer` places the words
//! and owns every decision about comments and blank lines.

mod printer;

use crate::diagnostic::LineIndex;
use mesh_grammar::lines::BYTE_ORDER_MARK;
use mesh_grammar::{
    Action, ActionKind, Amount, AmountKind, Block, Bundle, Comment, Constraint, ConstraintKind,
    File, Item, Span, Stmt, StmtKind, SwapOutput, SyntaxError, TokenDecl,
};
use printer::{Join, Printer};
use std::fmt;

/// Why a source cannot be formatted: it does not parse.
#[derive(Clone, Debug)]
pub struct FormatError {
    /// Every syntax error of the file, sorted by position.
    pub errors: Vec<SyntaxError>,
    /// Where the first error is: its span, and its 1-based line and column.
    pub span: Span,
    pub line: usize,
    pub column: usize,
    /// What the first error is.
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        match self.errors.len() {
            0 | 1 => Ok(()),
            2 => f.write_str(" (and 1 more syntax error)"),
            n => write!(f, " (and {} more syntax errors)", n - 1),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats a whole source file in the canonical layout, or refuses it if
/// it has a syntax error.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let parsed = mesh_grammar::parse(source);
    let mut errors = parsed.errors;
    errors.sort_by_key(|error| (error.span.start, error.span.end));
    let first = match errors.first() {
        Some(error) => Some((error.span, error.to_string())),
        // The parser promises an error for every error node; never print a
        // half-understood file if that promise is broken.
        None => first_error_node(&parsed.file).map(|span| {
            (
                span,
                "this part of the file could not be parsed".to_string(),
            )
        }),
    };
    if let Some((span, message)) = first {
        let position = LineIndex::new(source).position(span.start);
        return Err(FormatError {
            errors,
            span,
            line: position.line,
            column: position.column,
            message,
        });
    }
    let formatted = format_tree(source, &parsed.file, &parsed.comments);
    // A byte-order mark says how the file is encoded, not how it is laid
    // out: it stays.
    Ok(match source.strip_prefix(BYTE_ORDER_MARK) {
        Some(_) => format!("{BYTE_ORDER_MARK}{formatted}"),
        None => formatted,
    })
}

/// The span of the first node the parser could not read, if any.
fn first_error_node(file: &File) -> Option<Span> {
    fn in_amount(amount: &Amount) -> Option<Span> {
        // Iterative, as in `amount` below: amounts may nest deeply.
        let mut pending = vec![amount];
        while let Some(amount) = pending.pop() {
            match &amount.kind {
                AmountKind::Error => return Some(amount.span),
                AmountKind::Binary { left, right, .. } => pending.extend([&**right, &**left]),
                AmountKind::Paren(inner) => pending.push(inner),
                AmountKind::Quantity { .. }
                | AmountKind::Scalar(_)
                | AmountKind::All { .. }
                | AmountKind::Var(_) => {}
            }
        }
        None
    }
    fn in_action(action: &Action) -> Option<Span> {
        match &action.kind {
            ActionKind::Swap {
                amount,
                output: SwapOutput::AtLeast(bound),
                ..
            } => in_amount(amount).or_else(|| in_amount(bound)),
            ActionKind::Borrow { amount, .. }
            | ActionKind::Repay { amount, .. }
            | ActionKind::Swap { amount, .. }
            | ActionKind::Deposit { amount, .. }
            | ActionKind::Withdraw { amount, .. }
            | ActionKind::Bridge { amount, .. }
            | ActionKind::Wrap { amount }
            | ActionKind::Unwrap { amount } => in_amount(amount),
        }
    }
    fn in_block(block: &Block) -> Option<Span> {
        block.stmts.iter().find_map(|stmt| match &stmt.kind {
            StmtKind::Error => Some(stmt.span),
            StmtKind::Let { action, .. } | StmtKind::Action(action) => in_action(action),
            StmtKind::Input(amount) => in_amount(amount),
            StmtKind::On { block, .. } => in_block(block),
            StmtKind::Parallel { branches } => branches.iter().find_map(in_block),
            StmtKind::Require { left, right, .. } => in_amount(left).or_else(|| in_amount(right)),
            StmtKind::Assume { amount, .. } => in_amount(amount),
        })
    }
    file.items.iter().find_map(|item| match item {
        Item::Error(span) => Some(*span),
        Item::Token(_) => None,
        Item::Bundle(bundle) => in_block(&bundle.body).or_else(|| {
            bundle.constraints.as_ref().and_then(|constraints| {
                constraints
                    .items
                    .iter()
                    .find_map(|constraint| match &constraint.kind {
                        ConstraintKind::Error => Some(constraint.span),
                        ConstraintKind::MinBalance { amount, .. }
                        | ConstraintKind::MinProfit(amount) => in_amount(amount),
                        ConstraintKind::Deadline(_)
                        | ConstraintKind::DeadlineTime(_)
                        | ConstraintKind::MaxGas(_)
                        | ConstraintKind::MinSecurity(_)
                        | ConstraintKind::MinHealth(_)
                        | ConstraintKind::Invariant(_) => None,
                    })
            })
        }),
    })
}

/// Lays out a parsed, error-free `file` whose text is `source`, with the
/// comments the parser found beside it. Error nodes, which
/// [`format_source`] never lets through, are printed as written.
fn format_tree(source: &str, file: &File, comments: &[Comment]) -> String {
    let mut comments = comments.to_vec();
    comments.sort_by_key(|comment| (comment.span.start, comment.span.end));
    let mut p = Printer::new(source, &comments);
    let mut previous: Option<&Item> = None;
    for item in &file.items {
        if let Some(previous) = previous {
            // Consecutive token declarations may stay together; everything
            // else is one blank line apart.
            let both_tokens = matches!(previous, Item::Token(_)) && matches!(item, Item::Token(_));
            p.separate_item(!both_tokens);
        }
        match item {
            Item::Token(token) => token_decl(&mut p, token),
            Item::Bundle(bundle) => bundle_item(&mut p, bundle),
            Item::Error(span) => {
                p.begin_line(span.start);
                p.verbatim(*span);
                p.end_line();
            }
        }
        previous = Some(item);
    }
    if previous.is_some() {
        p.separate_item(true);
    }
    p.finish()
}

fn token_decl(p: &mut Printer, token: &TokenDecl) {
    p.begin_line(token.span.start);
    p.word(
        "token",
        keyword_span(token.span.start, "token"),
        Join::Space,
    );
    word_of(p, &token.symbol.name, token.symbol.span);
    p.keyword_after("decimals", token.symbol.span.end, Join::Space);
    word_of(p, &token.decimals.text, token.decimals.span);
    if let Some(address) = &token.address {
        p.keyword_after("at", token.decimals.span.end, Join::Space);
        word_of(p, &address.text, address.span);
    }
    p.end_line();
}

fn bundle_item(p: &mut Printer, bundle: &Bundle) {
    p.begin_line(bundle.span.start);
    p.word(
        "bundle",
        keyword_span(bundle.span.start, "bundle"),
        Join::Space,
    );
    word_of(p, &bundle.name.name, bundle.name.span);
    p.keyword_after("on", bundle.name.span.end, Join::Space);
    word_of(p, &bundle.home.name, bundle.home.span);
    block(p, &bundle.body);
    if let Some(constraints) = &bundle.constraints {
        p.word(
            "constraints",
            keyword_span(constraints.span.start, "constraints"),
            Join::Space,
        );
        let open = p.next_word(constraints.span.start + "constraints".len());
        let close = constraints.span.end.saturating_sub(1);
        braces(p, open, close, constraints.items.is_empty(), |p| {
            for item in &constraints.items {
                constraint(p, item);
            }
        });
    }
    p.end_line();
}

/// `{ stmt* }`; leaves the logical line open after the `}`.
fn block(p: &mut Printer, block: &Block) {
    let open = block.span.start;
    let close = block.span.end.saturating_sub(1);
    braces(p, open, close, block.stmts.is_empty(), |p| {
        for item in &block.stmts {
            stmt(p, item);
        }
    });
}

/// Braces at `open` and `close` around lines printed by `body`: `{}` when
/// there is nothing between them, not even a comment.
fn braces(
    p: &mut Printer,
    open: usize,
    close: usize,
    empty: bool,
    body: impl FnOnce(&mut Printer),
) {
    p.word("{", Span::new(open, open + 1), Join::Space);
    if empty && !p.has_comment_in(Span::new(open + 1, close)) {
        p.word("}", Span::new(close, close + 1), Join::Tight);
        return;
    }
    p.open_block();
    body(p);
    p.close_block(close);
}

fn constraint(p: &mut Printer, constraint: &Constraint) {
    let start = constraint.span.start;
    p.begin_line(start);
    let name = match &constraint.kind {
        ConstraintKind::Deadline(_) | ConstraintKind::DeadlineTime(_) => "deadline",
        ConstraintKind::MaxGas(_) => "max_gas",
        ConstraintKind::MinBalance { .. } => "min_balance",
        ConstraintKind::MinSecurity(_) => "min_security",
        ConstraintKind::MinProfit(_) => "min_profit",
        ConstraintKind::MinHealth(_) => "min_health",
        ConstraintKind::Invariant(_) => "invariant",
        ConstraintKind::Error => {
            p.verbatim(constraint.span);
            p.end_line();
            return;
        }
    };
    let keyword = keyword_span(start, name);
    p.word(name, keyword, Join::Space);
    p.keyword_after(":", keyword.end, Join::Tight);
    match &constraint.kind {
        ConstraintKind::Deadline(number)
        | ConstraintKind::MaxGas(number)
        | ConstraintKind::MinHealth(number) => {
            word_of(p, &number.text, number.span);
        }
        ConstraintKind::DeadlineTime(seconds) => word_of(p, &seconds.text, seconds.span),
        ConstraintKind::MinBalance {
            amount: value,
            chain,
        } => {
            amount(p, value);
            if let Some(chain) = chain {
                p.keyword_after("on", value.span.end, Join::Space);
                word_of(p, &chain.name, chain.span);
            }
        }
        ConstraintKind::Invariant(name) | ConstraintKind::MinSecurity(name) => {
            word_of(p, &name.name, name.span)
        }
        ConstraintKind::MinProfit(value) => amount(p, value),
        ConstraintKind::Error => {}
    }
    p.end_line();
}

fn stmt(p: &mut Printer, stmt: &Stmt) {
    let start = stmt.span.start;
    p.begin_line(start);
    match &stmt.kind {
        StmtKind::Let {
            name,
            action: value,
        } => {
            p.word("let", keyword_span(start, "let"), Join::Space);
            word_of(p, &name.name, name.span);
            p.keyword_after("=", name.span.end, Join::Space);
            action(p, value);
        }
        StmtKind::Action(value) => action(p, value),
        StmtKind::Input(value) => {
            p.word("input", keyword_span(start, "input"), Join::Space);
            amount(p, value);
        }
        StmtKind::On { chain, block: body } => {
            p.word("on", keyword_span(start, "on"), Join::Space);
            word_of(p, &chain.name, chain.span);
            block(p, body);
        }
        StmtKind::Parallel { branches } => {
            p.word("parallel", keyword_span(start, "parallel"), Join::Space);
            let mut previous: Option<&Block> = None;
            for branch in branches {
                if let Some(previous) = previous {
                    p.keyword_after("and", previous.span.end, Join::Space);
                }
                block(p, branch);
                previous = Some(branch);
            }
        }
        StmtKind::Require {
            left,
            op,
            op_span,
            right,
        } => {
            p.word("require", keyword_span(start, "require"), Join::Space);
            amount(p, left);
            word_of(p, op.as_str(), *op_span);
            amount(p, right);
        }
        StmtKind::Assume {
            position,
            position_span,
            amount: value,
            protocol,
        } => {
            p.word("assume", keyword_span(start, "assume"), Join::Space);
            word_of(p, position.as_str(), *position_span);
            amount(p, value);
            p.keyword_after("at", value.span.end, Join::Space);
            word_of(p, &protocol.name, protocol.span);
        }
        StmtKind::Error => p.verbatim(stmt.span),
    }
    p.end_line();
}

fn action(p: &mut Printer, action: &Action) {
    p.word(action.kind.keyword(), action.keyword_span, Join::Space);
    match &action.kind {
        ActionKind::Borrow {
            amount: value,
            protocol,
            as_debt,
        } => {
            amount(p, value);
            p.keyword_after("from", value.span.end, Join::Space);
            word_of(p, &protocol.name, protocol.span);
            if as_debt.is_some() {
                let as_span = p.keyword_after("as", protocol.span.end, Join::Space);
                p.keyword_after("debt", as_span.end, Join::Space);
            }
        }
        ActionKind::Withdraw {
            amount: value,
            protocol,
        } => {
            amount(p, value);
            p.keyword_after("from", value.span.end, Join::Space);
            word_of(p, &protocol.name, protocol.span);
        }
        ActionKind::Repay {
            amount: value,
            protocol,
        } => {
            amount(p, value);
            p.keyword_after("to", value.span.end, Join::Space);
            word_of(p, &protocol.name, protocol.span);
        }
        ActionKind::Deposit {
            amount: value,
            protocol,
        } => {
            amount(p, value);
            p.keyword_after("into", value.span.end, Join::Space);
            word_of(p, &protocol.name, protocol.span);
        }
        ActionKind::Swap {
            amount: value,
            output,
            exchange,
            via,
        } => {
            amount(p, value);
            p.keyword_after("for", value.span.end, Join::Space);
            let output_end = match output {
                SwapOutput::AtLeast(bound) => {
                    amount(p, bound);
                    bound.span.end
                }
                SwapOutput::Token(symbol) => {
                    word_of(p, &symbol.name, symbol.span);
                    symbol.span.end
                }
            };
            p.keyword_after("on", output_end, Join::Space);
            word_of(p, &exchange.name, exchange.span);
            let mut end = exchange.span.end;
            for (i, token) in via.iter().enumerate() {
                if i == 0 {
                    p.keyword_after("via", end, Join::Space);
                } else {
                    p.keyword_after(",", end, Join::Tight);
                }
                word_of(p, &token.name, token.span);
                end = token.span.end;
            }
        }
        ActionKind::Bridge {
            amount: value,
            destination,
            route,
        } => {
            amount(p, value);
            p.keyword_after("to", value.span.end, Join::Space);
            word_of(p, &destination.name, destination.span);
            if let Some(route) = route {
                p.keyword_after("via", destination.span.end, Join::Space);
                word_of(p, &route.name, route.span);
            }
        }
        ActionKind::Wrap { amount: value } | ActionKind::Unwrap { amount: value } => {
            amount(p, value);
        }
    }
}

/// An amount, word by word. Iterative, not recursive: generated sources
/// can nest amounts (long sums, deep parentheses) deeper than the stack.
fn amount(p: &mut Printer, value: &Amount) {
    enum Task<'t> {
        Amount(&'t Amount),
        Operator(&'static str, Span),
        CloseParen(usize),
    }
    let mut tasks = vec![Task::Amount(value)];
    while let Some(task) = tasks.pop() {
        let value = match task {
            Task::Amount(value) => value,
            Task::Operator(text, span) => {
                word_of(p, text, span);
                continue;
            }
            Task::CloseParen(inner_end) => {
                p.keyword_after(")", inner_end, Join::Tight);
                continue;
            }
        };
        match &value.kind {
            AmountKind::Quantity { number, symbol } => {
                word_of(p, &number.text, number.span);
                word_of(p, &symbol.name, symbol.span);
            }
            AmountKind::Scalar(number) => word_of(p, &number.text, number.span),
            AmountKind::All { symbol } => {
                p.word("all", keyword_span(value.span.start, "all"), Join::Space);
                word_of(p, &symbol.name, symbol.span);
            }
            AmountKind::Var(name) => word_of(p, &name.name, name.span),
            AmountKind::Binary {
                op,
                op_span,
                left,
                right,
            } => {
                tasks.push(Task::Amount(right));
                tasks.push(Task::Operator(op.as_str(), *op_span));
                tasks.push(Task::Amount(left));
            }
            AmountKind::Paren(inner) => {
                p.word("(", keyword_span(value.span.start, "("), Join::Space);
                tasks.push(Task::CloseParen(inner.span.end));
                tasks.push(Task::Amount(inner));
            }
            AmountKind::Error => p.verbatim(value.span),
        }
    }
}

fn word_of(p: &mut Printer, text: &str, span: Span) {
    p.word(text, span, Join::Space);
}

fn keyword_span(start: usize, text: &str) -> Span {
    Span::new(start, start + text.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mesh_grammar::{Ident, Number, Symbol};

    fn ident(name: &str, start: usize) -> Ident {
        Ident {
            name: name.to_string(),
            span: Span::new(start, start + name.len()),
        }
    }

    /// `bundle   x on polygon{input 1 WETH STMT}`, built by hand, where STMT is
    /// text the parser could not read.
    fn tree(broken: bool) -> (String, File) {
        let source = if broken {
            "bundle   x on polygon{input 1 WETH ?!}"
        } else {
            "bundle   x on polygon{input 1 WETH}"
        };
        let quantity = Amount {
            kind: AmountKind::Quantity {
                number: Number {
                    text: "1".to_string(),
                    span: Span::new(28, 29),
                },
                symbol: Symbol {
                    name: "WETH".to_string(),
                    span: Span::new(30, 34),
                },
            },
            span: Span::new(28, 34),
        };
        let mut stmts = vec![Stmt {
            kind: StmtKind::Input(quantity),
            span: Span::new(22, 34),
        }];
        if broken {
            stmts.push(Stmt {
                kind: StmtKind::Error,
                span: Span::new(35, 37),
            });
        }
        let end = source.len();
        let bundle = Bundle {
            name: ident("x", 9),
            home: ident("polygon", 14),
            body: Block {
                stmts,
                span: Span::new(21, end),
            },
            constraints: None,
            span: Span::new(0, end),
        };
        let file = File {
            items: vec![Item::Bundle(bundle)],
            span: Span::new(0, end),
        };
        (source.to_string(), file)
    }

    #[test]
    fn lays_out_a_tree_built_by_hand() {
        let (source, file) = tree(false);
        assert_eq!(
            format_tree(&source, &file, &[]),
            "bundle x on polygon {\n    input 1 WETH\n}\n"
        );
        assert_eq!(first_error_node(&file), None);
    }

    #[test]
    fn an_error_node_is_found_and_never_formatted() {
        let (source, file) = tree(true);
        assert_eq!(first_error_node(&file), Some(Span::new(35, 37)));
        // Were it ever laid out, its text would be kept as written.
        assert!(format_tree(&source, &file, &[]).contains("    ?!\n"));
        assert!(format_source(&source).is_err());
    }
}
