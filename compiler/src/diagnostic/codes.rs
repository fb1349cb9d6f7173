//! The stable diagnostic codes. Every code has a page in `docs/codes/`, which
//! `meshc explain CODE` prints; the build script embeds those pages, and a
//! test checks that every code has one and every page has a code.
//!
//! Ranges follow the rules of docs/checking.md: `E00xx` lexical and syntax errors, `E01xx`
//! unknown names (rule 1), `E02xx` duplicates (rule 2), `E03xx` token types
//! (rule 3), `E04xx` capabilities (rule 4), `E05xx` holdings (rule 5),
//! `E06xx` obligations (rule 6), `E07xx` bridges (rule 7), `E08xx` time and
//! gas (rule 8), `E09xx` parallel branches (rule 9), `E10xx` literals and
//! ranges (rule 10), `Wxxxx` warnings. A code is never reused for another
//! meaning.

use std::fmt;

macro_rules! codes {
    ($($variant:ident = $code:literal, $title:literal;)*) => {
        /// A stable diagnostic code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed: `E0501`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A short title, as in the heading of the code's page.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }
        }
    };
}

codes! {
    UnexpectedToken = "E0001", "unexpected token";
    UnexpectedEnd = "E0002", "unexpected end of file";
    MalformedNumber = "E0003", "malformed number";
    MalformedAddress = "E0004", "malformed address";
    MixedCaseWord = "E0005", "word that mixes upper and lower case";
    UnterminatedComment = "E0006", "unterminated block comment";
    UnexpectedCharacter = "E0007", "unexpected character";
    AmountTooLong = "E0008", "amount too long";
    UnclosedBlock = "E0009", "block not closed";
    NestedTooDeep = "E0010", "blocks nested too deep";

    UnknownChain = "E0101", "unknown chain";
    UnknownToken = "E0102", "unknown token";
    UnknownProtocol = "E0103", "unknown protocol";
    UnknownRoute = "E0104", "unknown bridge kind";
    UnknownVariable = "E0105", "unknown variable";
    UnknownInvariant = "E0106", "unknown invariant";

    DuplicateVariable = "E0201", "variable bound twice";
    DuplicateBundle = "E0202", "bundle defined twice";
    ConflictingToken = "E0203", "token declared with other decimals";
    DuplicateConstraint = "E0204", "constraint given twice";
    ConflictingAddress = "E0205", "token declared at another address";

    TokenMismatch = "E0301", "token mismatch";
    PlainNumberAsAmount = "E0302", "plain number where an amount is needed";
    AmountAsFactor = "E0303", "amount where a plain number is needed";
    SwapToSameToken = "E0304", "swap into the token it sells";
    RepayWrongToken = "E0305", "repay in another token than owed";
    ActionWithoutValue = "E0306", "action has no value";

    NotCapable = "E0401", "protocol cannot do this action";
    ProtocolNotOnChain = "E0402", "protocol not deployed on this chain";
    TokenNotOnChain = "E0403", "token does not exist on this chain";
    NativeCoinToProtocol = "E0411", "native coin where only tokens are taken";
    NothingToWrap = "E0412", "nothing to wrap or unwrap";
    PairUsedTwice = "E0413", "swap path uses a pair twice";
    NoSuchPair = "E0414", "exchange has no pair for this hop";

    PossibleOverdraft = "E0501", "possible overdraft";
    SwapOfNothing = "E0502", "swap of nothing";

    UnrepaidLoan = "E0601", "loan not repaid";
    RepayMoreThanOwed = "E0602", "repay of more than is owed";
    LoanWithoutCollateral = "E0603", "loan without collateral";
    AssumedMoreThanHeld = "E0604", "assumption of more than the world holds";

    BridgeToSameChain = "E0701", "bridge to the chain it starts on";
    NoRoute = "E0702", "no route serves this bridge";
    RouteBelowMinSecurity = "E0703", "route less secure than `min_security`";

    DeadlineMissed = "E0801", "deadline cannot be met";
    GasLimitExceeded = "E0802", "gas limit cannot be met";
    NoBlockTime = "E0810", "no block time for a deadline in seconds";

    InterferingBranches = "E0901", "interfering parallel branches";

    TooManyDecimals = "E1001", "literal with more decimals than its token";
    OutOfRange = "E1002", "value out of range";
    DivisionByZero = "E1003", "division by zero";
    WholeNumberRequired = "E1004", "whole number required";
    ConstantRequired = "E1005", "amount must be known in advance";

    UnboundedSwap = "W0001", "unbounded swap";
    RedundantOn = "W0002", "redundant `on`";
    UnusedVariable = "W0003", "variable never used";
    ProvableMinBalance = "W0004", "`min_balance` always holds";
    MovesNothing = "W0005", "action that moves nothing";
    NoBundle = "W0006", "file without a bundle";
}

impl Code {
    /// Looks a code up by its printed form, case-insensitively (`e0501`).
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// The code's page from `docs/codes/`, as `meshc explain` prints it.
    pub fn explanation(self) -> Option<&'static str> {
        explanation_page(self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// `fn explanation_page(code: &str) -> Option<&'static str>`, generated from
// the pages in docs/codes/ by build.rs.
include!(concat!(env!("OUT_DIR"), "/code_pages.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_page_and_every_page_a_code() {
        for code in Code::ALL {
            let page = code
                .explanation()
                .unwrap_or_else(|| panic!("docs/codes/{}.md is missing", code.as_str()));
            let heading = format!("# {}: ", code.as_str());
            assert!(
                page.starts_with(&heading),
                "docs/codes/{}.md must start with `{heading}`",
                code.as_str()
            );
        }
        for name in PAGE_NAMES {
            assert!(
                Code::parse(name).is_some(),
                "docs/codes/{name}.md documents no code"
            );
        }
    }

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{} used twice", code.as_str());
        }
    }
}
