//! What the grammar allows after a token, as a set: kinds of words (a
//! lender, a chain, a token) and single keywords.

/// A set of what may be written: kinds of words and single keywords.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expect(u32);

impl Expect {
    pub const NONE: Expect = Expect(0);
    /// What begins a statement: `let`, the actions, `input`, `on`,
    /// `parallel`, `require`, `assume`.
    pub const STATEMENT: Expect = Expect(1);
    /// What may follow `let NAME =`: the eight actions.
    pub const ACTION: Expect = Expect(1 << 1);
    /// `bundle`, `token`.
    pub const ITEM: Expect = Expect(1 << 2);
    /// `deadline`, `max_gas`, `min_balance`, `min_security`, `min_profit`, `min_health`,
    /// `invariant`.
    pub const CONSTRAINT: Expect = Expect(1 << 3);
    pub const CONSTRAINTS: Expect = Expect(1 << 4);
    pub const FROM: Expect = Expect(1 << 5);
    pub const TO: Expect = Expect(1 << 6);
    pub const INTO: Expect = Expect(1 << 7);
    pub const FOR: Expect = Expect(1 << 8);
    pub const ON: Expect = Expect(1 << 9);
    pub const VIA: Expect = Expect(1 << 10);
    pub const AND: Expect = Expect(1 << 11);
    pub const DECIMALS: Expect = Expect(1 << 12);
    pub const AT: Expect = Expect(1 << 13);
    pub const ALL: Expect = Expect(1 << 14);
    /// A let-bound value.
    pub const VALUE: Expect = Expect(1 << 15);
    pub const TOKEN: Expect = Expect(1 << 16);
    pub const LENDER: Expect = Expect(1 << 17);
    pub const EXCHANGE: Expect = Expect(1 << 18);
    pub const CHAIN: Expect = Expect(1 << 19);
    pub const BRIDGE_KIND: Expect = Expect(1 << 20);
    pub const INVARIANT: Expect = Expect(1 << 21);
    /// `as`, after a borrow's lender.
    pub const AS: Expect = Expect(1 << 22);
    /// `debt`, after `as`.
    pub const DEBT: Expect = Expect(1 << 23);
    /// `debt` or `collateral`, after `assume`.
    pub const POSITION: Expect = Expect(1 << 24);

    pub const fn or(self, other: Expect) -> Expect {
        Expect(self.0 | other.0)
    }

    pub fn has(self, other: Expect) -> bool {
        (self.0 & other.0) == other.0 && other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}
