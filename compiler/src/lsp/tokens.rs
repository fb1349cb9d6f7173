//! Every token of a document with its grammatical role and what the grammar
//! allows right after it: what completion offers, what semantic tokens
//! colour, and which blocks fold.
//!
//! One pass over the tokens drives a small machine that follows the
//! grammar (docs/syntax.md) — items, statements, actions and their
//! separator words, amounts, constraints, nested blocks — and records, after
//! each token, two sets of words: `next`, what continues the construct the
//! token is in (after `borrow 100 WETH`, the word `from`), and `fresh`, what
//! may begin the next construct if this one can end here (after
//! `deadline: 20`, another constraint). Completion reads `next` on the same
//! line and `fresh` after a line break, so that an empty line after a
//! finished statement offers what starts a statement, never the previous
//! line's continuation.
//!
//! The machine never fails: a token it does not expect ends the construct
//! (a statement keyword starts a new statement, a brace opens or closes a
//! block), as the parser's recovery does, so a document being typed keeps
//! useful answers. The map is built from the text alone, once per version
//! of a document, when a feature first asks for it; a request then finds
//! its token by binary search.

use mesh_grammar::{Lexeme, Span, TokenKind};

mod expect;
pub use expect::Expect;

/// What a token is in the grammar, as far as an editor colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Keyword,
    /// `borrow`, `repay`, `swap`, `deposit`, `withdraw`, `bridge`, `wrap`,
    /// `unwrap`, `input`.
    Action,
    /// `deadline`, `max_gas`, `min_balance`, `min_security`, `min_profit`,
    /// `invariant`.
    ConstraintName,
    BundleName,
    /// The name a `let` binds.
    ValueDefinition,
    /// A let-bound value used in an amount.
    Value,
    Chain,
    /// A lender or an exchange.
    Protocol,
    BridgeKind,
    Invariant,
    /// The symbol a `token` declaration declares.
    TokenDefinition,
    Token,
    Number,
    Address,
    Comment,
    Operator,
    /// Braces, parentheses, `:`; and what the grammar did not expect there.
    Other,
}

/// One token, its role, and what may follow it.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub kind: TokenKind,
    pub span: Span,
    pub role: Role,
    /// What continues the construct after this token.
    pub next: Expect,
    /// What may begin the next construct, if the construct can end here.
    pub fresh: Expect,
}

/// What may be written at a cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub expect: Expect,
    /// The word being typed, from its start to the cursor (empty if none).
    pub typed: Span,
    /// `expect` begins a new construct on the line where the last one
    /// ended (`input 1 WETH |`): worth offering when asked, not on a space.
    pub same_line_fresh: bool,
}

/// A document's tokens, as the machine read them.
#[derive(Debug, Default)]
pub struct TokenMap {
    pub entries: Vec<Entry>,
    /// The `{` and `}` of every block, in the order they close.
    pub blocks: Vec<(Span, Span)>,
}

impl TokenMap {
    pub fn new(text: &str) -> TokenMap {
        let lexemes = mesh_grammar::lex(text);
        let mut machine = Machine::default();
        let mut map = TokenMap {
            entries: Vec::with_capacity(lexemes.len()),
            blocks: Vec::new(),
        };
        for Lexeme { kind, span } in lexemes {
            let (role, next, fresh) = if kind.is_comment() {
                (Role::Comment, Expect::NONE, Expect::NONE)
            } else {
                let role = machine.step(kind, span, &mut map.blocks);
                let (next, fresh) = machine.expect();
                (role, next, fresh)
            };
            map.entries.push(Entry {
                kind,
                span,
                role,
                next,
                fresh,
            });
        }
        map
    }

    /// The entry of the token that starts at or before `offset` and ends
    /// after it, or touches it from the left.
    fn last_starting_before(&self, offset: usize) -> Option<usize> {
        self.entries
            .partition_point(|e| e.span.start < offset)
            .checked_sub(1)
    }

    /// Whether `offset` is inside a comment (typing at the end of a line
    /// comment continues it; just after a block comment's `*/` does not).
    pub fn in_comment(&self, offset: usize) -> bool {
        self.last_starting_before(offset)
            .and_then(|i| self.entries.get(i))
            .is_some_and(|e| match e.kind {
                TokenKind::LineComment => offset <= e.span.end,
                TokenKind::BlockComment => offset < e.span.end,
                _ => false,
            })
    }

    /// What may be written at `offset` in `text`: `None` in a comment, in a
    /// number, or where a new name is written.
    pub fn cursor(&self, text: &str, offset: usize) -> Cursor {
        let nothing = Cursor {
            expect: Expect::NONE,
            typed: Span::new(offset, offset),
            same_line_fresh: false,
        };
        if self.in_comment(offset) {
            return nothing;
        }
        let mut before = self.last_starting_before(offset);
        let mut typed = Span::new(offset, offset);
        if let Some(entry) = before.and_then(|i| self.entries.get(i)) {
            if entry.span.end >= offset && is_word(entry.kind, text, entry.span) {
                if matches!(entry.kind, TokenKind::Number | TokenKind::Address)
                    || text
                        .get(entry.span.start..entry.span.end)
                        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
                {
                    return nothing;
                }
                typed = Span::new(entry.span.start, offset);
                before = before.and_then(|i| i.checked_sub(1));
            }
        }
        // Comments between the previous token and the cursor are skipped.
        let previous = before.and_then(|last| {
            self.entries[..=last]
                .iter()
                .rev()
                .find(|e| !e.kind.is_comment())
        });
        let Some(previous) = previous else {
            return Cursor {
                expect: Expect::ITEM,
                typed,
                same_line_fresh: false,
            };
        };
        let between = text.get(previous.span.end..typed.start).unwrap_or("");
        let same_line = !between.contains(['\n', '\r']);
        let (expect, fresh) = if !same_line {
            if previous.fresh.is_empty() {
                (previous.next, false)
            } else {
                (previous.fresh, true)
            }
        } else if previous.next.is_empty() {
            (previous.fresh, true)
        } else {
            (previous.next, false)
        };
        Cursor {
            expect,
            typed,
            same_line_fresh: same_line && fresh,
        }
    }
}

/// Whether a token is a word the cursor may be in the middle of typing.
fn is_word(kind: TokenKind, text: &str, span: Span) -> bool {
    match kind {
        TokenKind::Ident | TokenKind::Symbol | TokenKind::Number | TokenKind::Address => true,
        TokenKind::Error => text.get(span.start..span.end).is_some_and(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        }),
        kind => kind.is_keyword(),
    }
}

/// The statement (or side of one) an amount being read belongs to, which
/// says what follows the amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AmountOf {
    Borrow,
    Repay,
    Swap,
    Deposit,
    Withdraw,
    Bridge,
    /// `wrap` and `unwrap`: an amount, and nothing after it.
    Wrap,
    Input,
    RequireLeft,
    RequireRight,
    /// What a swap buys: an amount, or a token symbol alone.
    SwapOutput,
    MinBalance,
    /// `min_profit: AMOUNT`: an amount, and nothing after it.
    MinProfit,
    /// `assume debt AMOUNT at LENDER`.
    Assume,
}

impl AmountOf {
    fn of_action(kind: TokenKind) -> Option<AmountOf> {
        Some(match kind {
            TokenKind::Borrow => AmountOf::Borrow,
            TokenKind::Repay => AmountOf::Repay,
            TokenKind::Swap => AmountOf::Swap,
            TokenKind::Deposit => AmountOf::Deposit,
            TokenKind::Withdraw => AmountOf::Withdraw,
            TokenKind::Bridge => AmountOf::Bridge,
            TokenKind::Wrap | TokenKind::Unwrap => AmountOf::Wrap,
            _ => return None,
        })
    }

    /// The word after the amount.
    fn separator(self) -> Option<TokenKind> {
        match self {
            AmountOf::Borrow | AmountOf::Withdraw => Some(TokenKind::From),
            AmountOf::Repay | AmountOf::Bridge => Some(TokenKind::To),
            AmountOf::Deposit => Some(TokenKind::Into),
            AmountOf::Swap => Some(TokenKind::For),
            AmountOf::SwapOutput | AmountOf::MinBalance => Some(TokenKind::On),
            AmountOf::Assume => Some(TokenKind::At),
            AmountOf::Wrap
            | AmountOf::Input
            | AmountOf::RequireLeft
            | AmountOf::RequireRight
            | AmountOf::MinProfit => None,
        }
    }

    /// What may start the amount (a number may always).
    fn amount_start(self) -> Expect {
        match self {
            AmountOf::MinBalance | AmountOf::MinProfit => Expect::NONE,
            AmountOf::SwapOutput => Expect::VALUE.or(Expect::TOKEN).or(Expect::ALL),
            _ => Expect::VALUE.or(Expect::ALL),
        }
    }
}

fn keyword_expect(kind: TokenKind) -> Expect {
    match kind {
        TokenKind::From => Expect::FROM,
        TokenKind::To => Expect::TO,
        TokenKind::Into => Expect::INTO,
        TokenKind::For => Expect::FOR,
        TokenKind::On => Expect::ON,
        TokenKind::At => Expect::AT,
        _ => Expect::NONE,
    }
}

/// Where in an amount the machine is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Amount {
    /// An operand is expected.
    Start,
    /// After a number: its token symbol.
    Number,
    /// After `all`: a token symbol.
    All,
    /// After `*` or `/`: a plain number or an operand.
    Scale,
    /// A whole operand: an operator, `)`, or the end of the amount.
    Operand,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    // ---- items
    Item,
    BundleName,
    BundleOn,
    BundleHome,
    BundleBrace,
    /// After a bundle's body: `constraints`, or the next item.
    AfterBody,
    ConstraintsBrace,
    TokenSymbol,
    TokenDecimals,
    TokenNumber,
    /// After `token S decimals N`: `at`, or the next item.
    TokenAt,
    TokenAddress,
    // ---- statements
    Statement,
    LetName,
    LetAssign,
    LetAction,
    Amount(AmountOf, Amount, u16),
    /// After an action's amount: its separator word.
    Separator(AmountOf),
    Lender,
    /// After `borrow ... from`: the lender, then `as debt` or the end.
    BorrowLender,
    /// After a borrow's lender: `as`, or the end.
    BorrowAs,
    /// After `as`: `debt`.
    AsDebt,
    /// After `assume`: `debt` or `collateral`.
    AssumePosition,
    Exchange,
    /// After `swap ... on EXCHANGE`: `via`, or the end.
    SwapVia,
    /// After `via` or a `,` of a swap's path: a token.
    ViaToken,
    /// After a token of a swap's path: `,`, or the end.
    ViaComma,
    BridgeChain,
    /// After `bridge ... to CHAIN`: `via`, or the end.
    BridgeVia,
    BridgeKind,
    /// After the left amount of `require`: the comparison.
    Comparison,
    OnChain,
    OnBrace,
    /// After `parallel` or `and`: a branch's `{`; the count of branches so far.
    ParallelBrace(u16),
    /// After a branch: `and`, or the end once there are two.
    ParallelAnd(u16),
    /// A statement that is complete (or could not be read): the next one.
    StatementEnd,
    // ---- constraints
    Constraint,
    ConstraintColon(TokenKind),
    ConstraintNumber,
    ConstraintChain,
    InvariantName,
    /// After `min_security:`: a bridge kind.
    SecurityKind,
    ConstraintEnd,
}

/// What kind of block a `{` opened, and where the machine resumes after
/// its `}`.
#[derive(Clone, Copy, Debug)]
struct Frame {
    open: Span,
    constraints: bool,
    resume: State,
}

#[derive(Debug)]
struct Machine {
    state: State,
    frames: Vec<Frame>,
}

impl Default for Machine {
    fn default() -> Machine {
        Machine {
            state: State::Item,
            frames: Vec::new(),
        }
    }
}

/// Where a construct may end and what comes after it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    Statements,
    Constraints,
}

impl Machine {
    fn context(&self) -> Context {
        match self.frames.last() {
            None => Context::Top,
            Some(frame) if frame.constraints => Context::Constraints,
            Some(_) => Context::Statements,
        }
    }

    /// What begins the next construct where the machine is.
    fn fresh_here(&self) -> Expect {
        match self.context() {
            Context::Top => Expect::ITEM,
            Context::Statements => Expect::STATEMENT,
            Context::Constraints => Expect::CONSTRAINT,
        }
    }

    /// `(next, fresh)` after the token just read.
    fn expect(&self) -> (Expect, Expect) {
        let end = self.fresh_here();
        match self.state {
            State::Item => (Expect::ITEM, Expect::ITEM),
            State::BundleName
            | State::TokenSymbol
            | State::TokenNumber
            | State::TokenAddress
            | State::LetName
            | State::LetAssign
            | State::BundleBrace
            | State::OnBrace
            | State::ConstraintsBrace
            | State::ParallelBrace(_)
            | State::ConstraintColon(_)
            | State::ConstraintNumber
            | State::Comparison => (Expect::NONE, Expect::NONE),
            State::BundleOn => (Expect::ON, Expect::NONE),
            State::BundleHome | State::OnChain | State::BridgeChain | State::ConstraintChain => {
                (Expect::CHAIN, Expect::NONE)
            }
            State::AfterBody => {
                let after = Expect::CONSTRAINTS.or(Expect::ITEM);
                (after, after)
            }
            State::TokenDecimals => (Expect::DECIMALS, Expect::NONE),
            State::TokenAt => (Expect::AT, Expect::ITEM),
            State::Statement => (Expect::STATEMENT, Expect::STATEMENT),
            State::LetAction => (Expect::ACTION, Expect::NONE),
            State::Amount(owner, amount, depth) => match amount {
                Amount::Start | Amount::Scale => (owner.amount_start(), Expect::NONE),
                Amount::Number | Amount::All => (Expect::TOKEN, Expect::NONE),
                Amount::Operand if depth > 0 => (Expect::NONE, Expect::NONE),
                Amount::Operand => {
                    let next = owner.separator().map_or(Expect::NONE, keyword_expect);
                    let can_end = matches!(
                        owner,
                        AmountOf::Wrap
                            | AmountOf::Input
                            | AmountOf::RequireRight
                            | AmountOf::MinBalance
                            | AmountOf::MinProfit
                    );
                    (next, if can_end { end } else { Expect::NONE })
                }
            },
            State::Separator(owner) => (
                owner.separator().map_or(Expect::NONE, keyword_expect),
                Expect::NONE,
            ),
            State::Lender | State::BorrowLender => (Expect::LENDER, Expect::NONE),
            State::BorrowAs => (Expect::AS, end),
            State::AsDebt => (Expect::DEBT, Expect::NONE),
            State::AssumePosition => (Expect::POSITION, Expect::NONE),
            State::Exchange => (Expect::EXCHANGE, Expect::NONE),
            State::BridgeVia | State::SwapVia => (Expect::VIA, end),
            State::ViaToken => (Expect::TOKEN, Expect::NONE),
            State::ViaComma => (Expect::NONE, end),
            State::BridgeKind => (Expect::BRIDGE_KIND, Expect::NONE),
            State::ParallelAnd(branches) => {
                (Expect::AND, if branches >= 2 { end } else { Expect::NONE })
            }
            State::StatementEnd | State::ConstraintEnd => (Expect::NONE, end),
            State::Constraint => (Expect::CONSTRAINT, Expect::CONSTRAINT),
            State::InvariantName => (Expect::INVARIANT, Expect::NONE),
            State::SecurityKind => (Expect::BRIDGE_KIND, Expect::NONE),
        }
    }

    /// Reads one token (not a comment); returns its role.
    fn step(&mut self, kind: TokenKind, span: Span, blocks: &mut Vec<(Span, Span)>) -> Role {
        match kind {
            TokenKind::LBrace => {
                self.open(span);
                return Role::Other;
            }
            TokenKind::RBrace => {
                if let Some(frame) = self.frames.pop() {
                    blocks.push((frame.open, span));
                    self.state = frame.resume;
                }
                return Role::Other;
            }
            _ => {}
        }
        if let Some(role) = self.advance(kind) {
            return role;
        }
        // Not what the grammar allows here: the construct ends, and the
        // token may begin the next one.
        self.state = match self.context() {
            Context::Top => State::Item,
            Context::Statements => State::Statement,
            Context::Constraints => State::Constraint,
        };
        match self.advance(kind) {
            Some(role) => role,
            None => {
                self.state = match self.context() {
                    Context::Top => State::Item,
                    Context::Statements => State::StatementEnd,
                    Context::Constraints => State::ConstraintEnd,
                };
                fallback_role(kind)
            }
        }
    }

    /// A `{`: the block the state expects, or, unexpected, a block of
    /// statements (as the parser's recovery reads `bundl x on y { ... }`).
    fn open(&mut self, open: Span) {
        let (constraints, resume, inner) = match self.state {
            State::BundleBrace | State::Item => (false, State::AfterBody, State::Statement),
            State::OnBrace => (false, State::StatementEnd, State::Statement),
            State::ParallelBrace(n) => (false, State::ParallelAnd(n + 1), State::Statement),
            State::ConstraintsBrace => (true, State::Item, State::Constraint),
            _ => match self.context() {
                Context::Top => (false, State::AfterBody, State::Statement),
                Context::Statements => (false, State::StatementEnd, State::Statement),
                Context::Constraints => (true, State::ConstraintEnd, State::Constraint),
            },
        };
        self.frames.push(Frame {
            open,
            constraints,
            resume,
        });
        self.state = inner;
    }

    /// Moves on by one token if the state allows it; `None` if not.
    fn advance(&mut self, kind: TokenKind) -> Option<Role> {
        use TokenKind as K;
        let (state, role) = match (self.state, kind) {
            // ---- items
            (State::Item | State::AfterBody | State::TokenAt, K::Bundle) => {
                (State::BundleName, Role::Keyword)
            }
            (State::Item | State::AfterBody | State::TokenAt, K::Token) => {
                (State::TokenSymbol, Role::Keyword)
            }
            (State::BundleName, K::Ident) => (State::BundleOn, Role::BundleName),
            (State::BundleOn, K::On) => (State::BundleHome, Role::Keyword),
            (State::BundleHome, K::Ident) => (State::BundleBrace, Role::Chain),
            (State::AfterBody, K::Constraints) => (State::ConstraintsBrace, Role::Keyword),
            (State::TokenSymbol, K::Symbol) => (State::TokenDecimals, Role::TokenDefinition),
            (State::TokenDecimals, K::Decimals) => (State::TokenNumber, Role::Keyword),
            (State::TokenNumber, K::Number) => (State::TokenAt, Role::Number),
            (State::TokenAt, K::At) => (State::TokenAddress, Role::Keyword),
            (State::TokenAddress, K::Address) => (State::Item, Role::Address),
            // ---- statements
            (State::Statement, K::Let) => (State::LetName, Role::Keyword),
            (State::LetName, K::Ident) => (State::LetAssign, Role::ValueDefinition),
            (State::LetAssign, K::Assign) => (State::LetAction, Role::Operator),
            (State::Statement | State::LetAction, action)
                if AmountOf::of_action(action).is_some() =>
            {
                let owner = AmountOf::of_action(action)?;
                (State::Amount(owner, Amount::Start, 0), Role::Action)
            }
            (State::Statement, K::Input) => (
                State::Amount(AmountOf::Input, Amount::Start, 0),
                Role::Action,
            ),
            (State::Statement, K::Require) => (
                State::Amount(AmountOf::RequireLeft, Amount::Start, 0),
                Role::Keyword,
            ),
            (State::Statement, K::Assume) => (State::AssumePosition, Role::Keyword),
            (State::AssumePosition, K::Debt | K::Collateral) => (
                State::Amount(AmountOf::Assume, Amount::Start, 0),
                Role::Keyword,
            ),
            (State::Statement, K::On) => (State::OnChain, Role::Keyword),
            (State::OnChain, K::Ident) => (State::OnBrace, Role::Chain),
            (State::Statement, K::Parallel) => (State::ParallelBrace(0), Role::Keyword),
            (State::ParallelAnd(n), K::And) => (State::ParallelBrace(n), Role::Keyword),
            (State::Amount(owner, amount, depth), kind) => {
                return self.amount(owner, amount, depth, kind);
            }
            (State::Separator(owner), kind) if owner.separator() == Some(kind) => {
                let next = match owner {
                    AmountOf::Borrow => State::BorrowLender,
                    AmountOf::Withdraw | AmountOf::Repay | AmountOf::Deposit | AmountOf::Assume => {
                        State::Lender
                    }
                    AmountOf::Swap => State::Amount(AmountOf::SwapOutput, Amount::Start, 0),
                    AmountOf::SwapOutput => State::Exchange,
                    AmountOf::Bridge => State::BridgeChain,
                    AmountOf::MinBalance => State::ConstraintChain,
                    AmountOf::Wrap
                    | AmountOf::Input
                    | AmountOf::RequireLeft
                    | AmountOf::RequireRight
                    | AmountOf::MinProfit => return None,
                };
                (next, Role::Keyword)
            }
            (State::Lender, K::Ident) => (State::StatementEnd, Role::Protocol),
            (State::Exchange, K::Ident) => (State::SwapVia, Role::Protocol),
            (State::SwapVia, K::Via) => (State::ViaToken, Role::Keyword),
            (State::ViaToken, K::Symbol) => (State::ViaComma, Role::Token),
            (State::ViaComma, K::Comma) => (State::ViaToken, Role::Other),
            (State::BorrowLender, K::Ident) => (State::BorrowAs, Role::Protocol),
            (State::BorrowAs, K::As) => (State::AsDebt, Role::Keyword),
            (State::AsDebt, K::Debt) => (State::StatementEnd, Role::Keyword),
            (State::BridgeChain, K::Ident) => (State::BridgeVia, Role::Chain),
            (State::BridgeVia, K::Via) => (State::BridgeKind, Role::Keyword),
            (State::BridgeKind, K::Ident) => (State::StatementEnd, Role::BridgeKind),
            (State::Comparison, K::Ge | K::Le | K::Gt | K::Lt | K::EqEq | K::Ne) => (
                State::Amount(AmountOf::RequireRight, Amount::Start, 0),
                Role::Operator,
            ),
            // ---- constraints
            (
                State::Constraint,
                K::Deadline
                | K::MaxGas
                | K::MinBalance
                | K::MinSecurity
                | K::MinProfit
                | K::MinHealth
                | K::Invariant,
            ) => (State::ConstraintColon(kind), Role::ConstraintName),
            (State::ConstraintColon(name), K::Colon) => {
                let next = match name {
                    K::Deadline | K::MaxGas | K::MinHealth => State::ConstraintNumber,
                    K::MinBalance => State::Amount(AmountOf::MinBalance, Amount::Start, 0),
                    K::MinProfit => State::Amount(AmountOf::MinProfit, Amount::Start, 0),
                    K::MinSecurity => State::SecurityKind,
                    _ => State::InvariantName,
                };
                (next, Role::Other)
            }
            (State::ConstraintNumber, K::Number) => (State::ConstraintEnd, Role::Number),
            // `deadline: 90s`; the checker says where seconds do not belong.
            (State::ConstraintNumber, K::Seconds) => (State::ConstraintEnd, Role::Number),
            (State::ConstraintChain, K::Ident) => (State::ConstraintEnd, Role::Chain),
            (State::InvariantName, K::Ident) => (State::ConstraintEnd, Role::Invariant),
            (State::SecurityKind, K::Ident) => (State::ConstraintEnd, Role::BridgeKind),
            _ => return None,
        };
        self.state = state;
        Some(role)
    }

    /// One token of an amount, or the word after it.
    fn amount(
        &mut self,
        owner: AmountOf,
        amount: Amount,
        depth: u16,
        kind: TokenKind,
    ) -> Option<Role> {
        use TokenKind as K;
        let operand = |this: &mut Machine, depth, role| {
            this.state = State::Amount(owner, Amount::Operand, depth);
            Some(role)
        };
        match (amount, kind) {
            (Amount::Start | Amount::Scale, K::Number) => {
                // A plain number scales (`x * 2`); elsewhere a symbol follows.
                let next = if amount == Amount::Scale {
                    Amount::Operand
                } else {
                    Amount::Number
                };
                self.state = State::Amount(owner, next, depth);
                Some(Role::Number)
            }
            (Amount::Start | Amount::Scale, K::All) => {
                self.state = State::Amount(owner, Amount::All, depth);
                Some(Role::Keyword)
            }
            (Amount::Start | Amount::Scale, K::Ident) => operand(self, depth, Role::Value),
            (Amount::Start | Amount::Scale, K::LParen) => {
                self.state = State::Amount(owner, Amount::Start, depth.saturating_add(1));
                Some(Role::Other)
            }
            // `swap ... for USDC`: a symbol alone is what the swap buys.
            (Amount::Start, K::Symbol) if owner == AmountOf::SwapOutput && depth == 0 => {
                self.state = State::Separator(AmountOf::SwapOutput);
                Some(Role::Token)
            }
            (Amount::Number | Amount::All, K::Symbol) => operand(self, depth, Role::Token),
            (Amount::Number | Amount::Operand, K::Plus | K::Minus) => {
                self.state = State::Amount(owner, Amount::Start, depth);
                Some(Role::Operator)
            }
            (Amount::Number | Amount::Operand, K::Star | K::Slash) => {
                self.state = State::Amount(owner, Amount::Scale, depth);
                Some(Role::Operator)
            }
            (Amount::Number | Amount::Operand, K::RParen) if depth > 0 => {
                operand(self, depth - 1, Role::Other)
            }
            (Amount::Number | Amount::Operand, kind) if depth == 0 => {
                // The amount is over: the word after it.
                match owner {
                    AmountOf::RequireLeft => {
                        self.state = State::Comparison;
                    }
                    AmountOf::Wrap | AmountOf::Input | AmountOf::RequireRight => return None,
                    _ => {
                        if owner.separator() != Some(kind) {
                            return None;
                        }
                        self.state = State::Separator(owner);
                    }
                }
                self.advance(kind)
            }
            _ => None,
        }
    }
}

/// The role of a token the grammar did not expect where it is.
fn fallback_role(kind: TokenKind) -> Role {
    match kind {
        TokenKind::Number | TokenKind::Seconds => Role::Number,
        TokenKind::Address => Role::Address,
        TokenKind::Borrow
        | TokenKind::Repay
        | TokenKind::Swap
        | TokenKind::Deposit
        | TokenKind::Withdraw
        | TokenKind::Bridge
        | TokenKind::Wrap
        | TokenKind::Unwrap
        | TokenKind::Input => Role::Action,
        TokenKind::Deadline
        | TokenKind::MaxGas
        | TokenKind::MinBalance
        | TokenKind::MinSecurity
        | TokenKind::MinProfit
        | TokenKind::MinHealth
        | TokenKind::Invariant => Role::ConstraintName,
        TokenKind::Plus
        | TokenKind::Minus
        | TokenKind::Star
        | TokenKind::Slash
        | TokenKind::Assign
        | TokenKind::Ge
        | TokenKind::Le
        | TokenKind::Gt
        | TokenKind::Lt
        | TokenKind::EqEq
        | TokenKind::Ne => Role::Operator,
        kind if kind.is_keyword() => Role::Keyword,
        _ => Role::Other,
    }
}

#[cfg(test)]
mod tests;
