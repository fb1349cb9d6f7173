//! The runtime's entry points: the one declaration of every `extern "C"`
//! function that generated code and standalone executables call — its name,
//! its parameters, its result and what it does.
//!
//! [`for_each_entry!`](crate::for_each_entry) hands the list to a macro of
//! the caller's. This crate expands it into [`Entry`], the table the code
//! generator reads to declare each import with its signature; the runtime
//! expands it into compile-time checks that each of its functions has
//! exactly the declared signature, and into the table of exports the JIT
//! registers. A function cannot exist on one side only, and a signature
//! cannot differ.
//!
//! Kinds that cross the boundary are typed ([`SenderCode`],
//! [`SpenderCode`], [`LoanCode`], [`ComparisonCode`]), never bare integers.

use crate::account::{LoanKind, Sender};
use crate::constraint::Comparison;

/// Every entry point, as `Variant = symbol(parameter: Type, …) -> Result;`,
/// each with the sentence that documents it (docs/runtime.md shows the same
/// table). Parameters are listed after the session for entries that take
/// one; types are the names of [`Type`].
#[macro_export]
macro_rules! for_each_entry {
    ($m:ident) => {
        $m! {
            /// starts a bundle on the embedded default world
            BundleStart = mesh_bundle_start(name: Bytes, name_len: Len) -> NewSession;
            /// starts a bundle on a world file; null (reason on stderr) if it cannot be read
            BundleStartWorld = mesh_bundle_start_world(name: Bytes, name_len: Len, path: Bytes, path_len: Len) -> NewSession;
            /// frees the session
            BundleFree = mesh_bundle_free(s: Session) -> Nothing;
            /// registers a name, writes its index (the same name gets the same index)
            Name = mesh_name(s: Session, text: Bytes, len: Len, out_index: IndexOut) -> Status;
            /// opens a transaction on `chain`; `sender` is a `SenderCode`: `0` the wallet, `1` the executor
            TxBegin = mesh_tx_begin(s: Session, chain: Name, sender: Sender, loc: Loc) -> Status;
            /// closes it (a flash loan taken in it must be repaid)
            TxEnd = mesh_tx_end(s: Session, loc: Loc) -> Status;
            /// begins a group of parallel branches
            ParallelBegin = mesh_parallel_begin(s: Session, loc: Loc) -> Status;
            /// ends a branch, begins the next
            ParallelNext = mesh_parallel_next(s: Session, loc: Loc) -> Status;
            /// ends the group: the longest branch's time
            ParallelEnd = mesh_parallel_end(s: Session, loc: Loc) -> Status;
            /// approves a spender of `token`; `spender_kind` is a `SpenderCode`: `0` `spender` names a protocol, `1` a bridge kind
            Approve = mesh_approve(s: Session, token: Name, spender_kind: Spender, spender: Name, loc: Loc) -> Status;
            /// `input` from the wallet on that chain
            Input = mesh_input(s: Session, chain: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// `borrow`; `loan` is a `LoanCode`: `0` ordinary, `1` flash, `2` left open as the user's debt (`as debt`); `out` gets the amount borrowed
            Borrow = mesh_borrow(s: Session, protocol: Name, token: Name, lo: Half, hi: Half, loan: Loan, loc: Loc, out: AmountOut) -> Status;
            /// `repay` principal, and with the repay that closes a flash loan its premium
            Repay = mesh_repay(s: Session, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// `repay` of the user's debt at a lender: exactly the amount, no premium; more than is owed reverts
            RepayDebt = mesh_repay_debt(s: Session, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// `assume debt`: reverts unless the user owes at least the amount of `token` to `protocol` on `chain`
            AssumeDebt = mesh_assume_debt(s: Session, chain: Name, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// `assume collateral`: reverts unless the user has at least the amount of `token` deposited at `protocol` on `chain`
            AssumeCollateral = mesh_assume_collateral(s: Session, chain: Name, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// reverts unless the user's position at `protocol` on `chain` owes nothing or has a health factor of at least 1, as a withdrawal requires
            AssumeHealthy = mesh_assume_healthy(s: Session, chain: Name, protocol: Name, loc: Loc) -> Status;
            /// `swap` with its slippage bound
            Swap = mesh_swap(s: Session, exchange: Name, token_in: Name, lo: Half, hi: Half, token_out: Name, min_lo: Half, min_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// a swap along `path_len` token names, hop `i` on the pair of exchange `exchanges[i]` and reported at `locs[i]` (`path_len - 1` hops); pairs of several exchanges chain only for the executor
            SwapPath = mesh_swap_path(s: Session, exchanges: Names, path: Names, locs: Locs, path_len: Len, lo: Half, hi: Half, min_lo: Half, min_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// `deposit`
            Deposit = mesh_deposit(s: Session, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// `withdraw`
            Withdraw = mesh_withdraw(s: Session, protocol: Name, token: Name, lo: Half, hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// `wrap`: `amount` of the open transaction's chain's native coin `native` into `wrapped`, the token that wraps it one for one (WETH9 `deposit`); `out` gets what was wrapped
            Wrap = mesh_wrap(s: Session, native: Name, wrapped: Name, lo: Half, hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// `unwrap`: `amount` of `wrapped` back into the chain's native coin `native`, one for one (WETH9 `withdraw`); `out` gets what was unwrapped
            Unwrap = mesh_unwrap(s: Session, wrapped: Name, native: Name, lo: Half, hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// `bridge`; `via` a bridge kind's name, or `0xFFFFFFFF` (`MESH_UNPINNED`) for the most trusted route; `out` gets what arrives
            Bridge = mesh_bridge(s: Session, token: Name, lo: Half, hi: Half, to_chain: Name, via: Name, loc: Loc, out: AmountOut) -> Status;
            /// `len` transfers in one shared message via `zk` or `threshold` (executor only; `htlb` reverts): token `tokens[i]`, amount `amounts[2i]` (low) and `amounts[2i+1]` (high), each all or nothing on its own and reported at `locs[i]`, not made at all where `skip[i]` is non-zero (what it would send is missing); `out[i]` gets what arrives of transfer `i`, and `failed[i]` 1 if it failed or was not made (then `out[i]` is zero)
            BridgeBatch = mesh_bridge_batch(s: Session, via: Name, to_chain: Name, tokens: Names, amounts: Halves, locs: Locs, skip: Flags, len: Len, loc: Loc, out: AmountOut, failed: FlagsOut) -> Status;
            /// `len` flash loans of different tokens from `protocol` in one call (Aave V3's multi-asset `flashLoan`; executor only): token `tokens[i]`, amount `amounts[2i]` (low) and `amounts[2i+1]` (high), each all or nothing on its own and reported at `locs[i]`, not taken at all where `skip[i]` is non-zero; `out[i]` gets what loan `i` lends, and `failed[i]` 1 if it failed or was not taken (then `out[i]` is zero)
            FlashLoan = mesh_flash_loan(s: Session, protocol: Name, tokens: Names, amounts: Halves, locs: Locs, skip: Flags, len: Len, loc: Loc, out: AmountOut, failed: FlagsOut) -> Status;
            /// the bundle's current holding (`all T`)
            Holding = mesh_holding(s: Session, chain: Name, token: Name, loc: Loc, out: AmountOut) -> Status;
            /// `require`: reverts unless `left comparison right`, `comparison` a `ComparisonCode` (`0` `>=`, `1` `<=`, `2` `>`, `3` `<`, `4` `==`, `5` `!=`); the reason names the condition `text` as written and the value of its left side `left_text` against the bound, in units of `token` (`text` and `left_text` may be `0xFFFFFFFF`, `MESH_NO_TEXT`)
            Require = mesh_require(s: Session, comparison: Comparison, left_lo: Half, left_hi: Half, right_lo: Half, right_hi: Half, token: Name, left_text: Name, text: Name, loc: Loc) -> Status;
            /// reverts with a reason (always returns 1)
            Revert = mesh_revert(s: Session, reason: Bytes, len: Len, loc: Loc) -> Status;
            /// checked `a + b`; overflow reverts
            AmountAdd = mesh_amount_add(s: Session, a_lo: Half, a_hi: Half, b_lo: Half, b_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// checked `a − b`; underflow reverts
            AmountSub = mesh_amount_sub(s: Session, a_lo: Half, a_hi: Half, b_lo: Half, b_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// checked `a × b`; overflow reverts
            AmountMul = mesh_amount_mul(s: Session, a_lo: Half, a_hi: Half, b_lo: Half, b_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// `a / b` rounded down; division by zero reverts
            AmountDiv = mesh_amount_div(s: Session, a_lo: Half, a_hi: Half, b_lo: Half, b_hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// the premium `protocol` charges on a flash loan of `amount`, rounded half up as Aave V3 rounds it: what the loan's obligation owes beyond its principal; overflow reverts
            FlashPremium = mesh_flash_premium(s: Session, protocol: Name, lo: Half, hi: Half, loc: Loc, out: AmountOut) -> Status;
            /// adds `deadline`, checked at finish
            ConstraintDeadline = mesh_constraint_deadline(s: Session, blocks: Count, loc: Loc) -> Status;
            /// adds `deadline` in seconds, checked at finish: each block at its chain's block time
            ConstraintDeadlineSeconds = mesh_constraint_deadline_seconds(s: Session, seconds: Count, loc: Loc) -> Status;
            /// adds `max_gas`, checked at finish
            ConstraintMaxGas = mesh_constraint_max_gas(s: Session, gas: Count, loc: Loc) -> Status;
            /// adds `min_balance`, checked at finish
            ConstraintMinBalance = mesh_constraint_min_balance(s: Session, chain: Name, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// adds an invariant (`constant_product`), checked at finish
            ConstraintInvariant = mesh_constraint_invariant(s: Session, name: Name, loc: Loc) -> Status;
            /// adds `min_security`, a bridge kind's name: every bridge made must take a route at least that kind's trust level, checked at finish
            ConstraintMinSecurity = mesh_constraint_min_security(s: Session, kind: Name, loc: Loc) -> Status;
            /// adds `min_profit`: the bundle gains at least `amount` of `token` net of its gas, every change and every chain's gas valued in `token` through the world's oracle, checked at finish
            ConstraintMinProfit = mesh_constraint_min_profit(s: Session, token: Name, lo: Half, hi: Half, loc: Loc) -> Status;
            /// adds `min_health`, a factor in wads (`10^18` is 1.0): every lender position whose collateral or debt the bundle changed ends at least that healthy, checked at finish
            ConstraintMinHealth = mesh_constraint_min_health(s: Session, lo: Half, hi: Half, loc: Loc) -> Status;
            /// ends the bundle: `0` committed, `1` reverted; idempotent
            BundleFinish = mesh_bundle_finish(s: Session, loc: Loc) -> Status;
            /// prints the report on stdout, human or JSON
            ReportPrint = mesh_report_print(s: Session, json: Flag) -> Status;
            /// writes the session's world to a file in canonical form, after finish, as `World::save_atomic` does
            WorldSave = mesh_world_save(s: Session, path: Bytes, len: Len) -> Status;
            /// the `main` of a standalone executable
            Main = mesh_main(argc: Argc, argv: Argv, name: Bytes, name_len: Len, body: Body) -> ExitCode;
            /// `mesh_main` for a file that declares tokens: `struct MeshToken { const u8 *symbol; usize symbol_len; u32 decimals; const u8 *address; usize address_len; }` (`address_len` 0 for none)
            MainTokens = mesh_main_tokens(argc: Argc, argv: Argv, name: Bytes, name_len: Len, body: Body, tokens: Tokens, count: Len) -> ExitCode;
        }
    };
}

/// The types that cross the boundary, by what they mean. Each side maps
/// them to its own: the runtime to Rust types, the code generator to
/// machine types ([`Type::class`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// `MeshSession *`, the run's session.
    Session,
    /// `MeshSession *` returned by a start; null on failure.
    NewSession,
    /// No result.
    Nothing,
    /// `u32`: `0` ok, `1` reverted, `2` an invalid call.
    Status,
    /// `const u8 *`: UTF-8 bytes.
    Bytes,
    /// `usize`: a length or a count.
    Len,
    /// `u32 *`: where a name's index is written.
    IndexOut,
    /// `const u32 *`: flags, one per item, non-zero for yes.
    Flags,
    /// `u32 *`: where flags are written, one per item.
    FlagsOut,
    /// `u32`: a name registered with `mesh_name`.
    Name,
    /// `const u32 *`: names.
    Names,
    /// `u32`: who sends a transaction ([`SenderCode`]).
    Sender,
    /// `u32`: what kind of spender an approval names ([`SpenderCode`]).
    Spender,
    /// `u32`: how a loan is taken ([`LoanCode`]).
    Loan,
    /// `u32`: how `require` compares ([`ComparisonCode`]).
    Comparison,
    /// `u32`: `0` false, anything else true.
    Flag,
    /// `u64`: half of an amount (`value = hi << 64 | lo`).
    Half,
    /// `const u64 *`: amounts as halves, low first.
    Halves,
    /// `const u64 *`: source locations.
    Locs,
    /// `u64`: a source location, `(line << 32) | column`.
    Loc,
    /// `u64`: blocks or gas.
    Count,
    /// `MeshAmount *`: where an amount is written (`{ u64 lo; u64 hi; }`).
    AmountOut,
    /// `i32`: `argc`.
    Argc,
    /// `const char **`: `argv`.
    Argv,
    /// `u32 (*)(MeshSession *)`: the generated bundle body.
    Body,
    /// `const MeshToken *`: a file's token declarations.
    Tokens,
    /// `i32`: a process exit code.
    ExitCode,
}

/// What a [`Type`] is to the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// A pointer-sized integer (pointers, and `usize`).
    Pointer,
    I32,
    I64,
    /// No value.
    Void,
}

impl Type {
    pub fn class(self) -> Class {
        match self {
            Type::Session
            | Type::NewSession
            | Type::Bytes
            | Type::Len
            | Type::IndexOut
            | Type::Flags
            | Type::FlagsOut
            | Type::Names
            | Type::Halves
            | Type::Locs
            | Type::AmountOut
            | Type::Argv
            | Type::Body
            | Type::Tokens => Class::Pointer,
            Type::Status
            | Type::Name
            | Type::Sender
            | Type::Spender
            | Type::Loan
            | Type::Comparison
            | Type::Flag
            | Type::Argc
            | Type::ExitCode => Class::I32,
            Type::Half | Type::Loc | Type::Count => Class::I64,
            Type::Nothing => Class::Void,
        }
    }

    /// The type as a C declaration writes it.
    pub fn c(self) -> &'static str {
        match self {
            Type::Session | Type::NewSession => "MeshSession *",
            Type::Nothing => "void",
            Type::Status
            | Type::Name
            | Type::Sender
            | Type::Spender
            | Type::Loan
            | Type::Comparison
            | Type::Flag => "u32",
            Type::Bytes => "const u8 *",
            Type::Len => "usize",
            Type::IndexOut | Type::FlagsOut => "u32 *",
            Type::Names | Type::Flags => "const u32 *",
            Type::Half | Type::Loc | Type::Count => "u64",
            Type::Halves | Type::Locs => "const u64 *",
            Type::AmountOut => "MeshAmount *",
            Type::Argc | Type::ExitCode => "i32",
            Type::Argv => "const char **",
            Type::Body => "u32 (*)(MeshSession *)",
            Type::Tokens => "const MeshToken *",
        }
    }
}

macro_rules! declare_entries {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $symbol:ident($($param:ident: $ty:ident),* $(,)?) -> $result:ident;
    )*) => {
        /// A runtime entry point.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Entry {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Entry {
            /// Every entry, in the order of the declaration.
            pub const ALL: &'static [Entry] = &[$(Entry::$variant),*];

            /// The exported symbol.
            pub fn symbol(self) -> &'static str {
                match self {
                    $(Entry::$variant => stringify!($symbol),)*
                }
            }

            /// The parameters, named, in order.
            pub fn params(self) -> &'static [(&'static str, Type)] {
                match self {
                    $(Entry::$variant => &[$((stringify!($param), Type::$ty)),*],)*
                }
            }

            pub fn result(self) -> Type {
                match self {
                    $(Entry::$variant => Type::$result,)*
                }
            }

            /// What the entry does, in one sentence.
            pub fn doc(self) -> &'static str {
                match self {
                    $(Entry::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }
        }
    };
}

for_each_entry!(declare_entries);

impl Entry {
    /// The entry whose symbol is `symbol`.
    pub fn by_symbol(symbol: &str) -> Option<Entry> {
        Entry::ALL.iter().copied().find(|e| e.symbol() == symbol)
    }

    /// Whether the entry takes the session first.
    pub fn takes_session(self) -> bool {
        self.params()
            .first()
            .is_some_and(|(_, t)| *t == Type::Session)
    }

    /// The C declaration: `u32 mesh_tx_end(MeshSession *s, u64 loc)`.
    pub fn c_declaration(self) -> String {
        let params: Vec<String> = self
            .params()
            .iter()
            .map(|(name, ty)| {
                let c = ty.c();
                if c.ends_with('*') {
                    format!("{c}{name}")
                } else if *ty == Type::Body {
                    format!("u32 (*{name})(MeshSession *)")
                } else {
                    format!("{c} {name}")
                }
            })
            .collect();
        let result = self.result().c();
        let gap = if result.ends_with('*') { "" } else { " " };
        format!("{result}{gap}{}({})", self.symbol(), params.join(", "))
    }
}

/// A status: the call succeeded.
pub const MESH_OK: u32 = 0;
/// A status: the bundle reverted (by this call or an earlier one).
pub const MESH_REVERTED: u32 = 1;
/// A status: the call itself is invalid (a null session or out-pointer
/// where one is needed).
pub const MESH_INVALID: u32 = 2;
/// `via` of `mesh_bridge` for an unpinned bridge: the most trusted route.
pub const MESH_UNPINNED: u32 = u32::MAX;
/// `text` of `mesh_require` when the condition has no text.
pub const MESH_NO_TEXT: u32 = u32::MAX;

macro_rules! code {
    ($(#[doc = $doc:literal])* $code:ident for $kind:ty { $($value:literal => $variant:path),* $(,)? }) => {
        $(#[doc = $doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $code(pub u32);

        impl $code {
            /// What the code means, or `None` for a code no caller may send.
            pub fn decode(self) -> Option<$kind> {
                match self.0 {
                    $($value => Some($variant),)*
                    _ => None,
                }
            }
        }

        impl From<$kind> for $code {
            fn from(kind: $kind) -> $code {
                match kind {
                    $($variant => $code($value),)*
                }
            }
        }
    };
}

code! {
    /// Who sends a transaction, as `mesh_tx_begin` takes it.
    SenderCode for Sender { 0 => Sender::Wallet, 1 => Sender::Executor }
}

/// What an approval's `spender` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SpenderKind {
    /// A protocol's name.
    Protocol,
    /// A bridge kind's name (`htlb`, `zk`, `threshold`).
    Bridge,
}

code! {
    /// What kind of spender `mesh_approve` names.
    SpenderCode for SpenderKind { 0 => SpenderKind::Protocol, 1 => SpenderKind::Bridge }
}

code! {
    /// How `mesh_borrow` takes a loan.
    LoanCode for LoanKind { 0 => LoanKind::Ordinary, 1 => LoanKind::Flash, 2 => LoanKind::Debt }
}

code! {
    /// How `mesh_require` compares its two sides.
    ComparisonCode for Comparison {
        0 => Comparison::Ge,
        1 => Comparison::Le,
        2 => Comparison::Gt,
        3 => Comparison::Lt,
        4 => Comparison::Eq,
        5 => Comparison::Ne,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_unique_and_documented() {
        let mut symbols: Vec<&str> = Entry::ALL.iter().map(|e| e.symbol()).collect();
        symbols.sort_unstable();
        symbols.dedup();
        assert_eq!(symbols.len(), Entry::ALL.len());
        for e in Entry::ALL {
            assert!(!e.doc().is_empty(), "{} has no doc", e.symbol());
            assert_eq!(Entry::by_symbol(e.symbol()), Some(*e));
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in [Sender::Wallet, Sender::Executor] {
            assert_eq!(SenderCode::from(s).decode(), Some(s));
        }
        for k in [LoanKind::Ordinary, LoanKind::Flash, LoanKind::Debt] {
            assert_eq!(LoanCode::from(k).decode(), Some(k));
        }
        for c in Comparison::ALL {
            assert_eq!(ComparisonCode::from(c).decode(), Some(c));
        }
        assert_eq!(ComparisonCode(6).decode(), None);
        assert_eq!(SenderCode(7).decode(), None);
        assert_eq!(SpenderCode(2).decode(), None);
    }

    #[test]
    fn declarations_read_as_c() {
        assert_eq!(
            Entry::TxEnd.c_declaration(),
            "u32 mesh_tx_end(MeshSession *s, u64 loc)"
        );
        assert_eq!(
            Entry::BundleStart.c_declaration(),
            "MeshSession *mesh_bundle_start(const u8 *name, usize name_len)"
        );
    }
}
