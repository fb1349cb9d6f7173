//! Where in the source a step comes from, so that a revert names the line.

use std::fmt;

/// A source location: line and column, 1-based (0 when unknown).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub line: u32,
    pub column: u32,
}

impl Loc {
    pub const UNKNOWN: Loc = Loc { line: 0, column: 0 };

    pub fn new(line: u32, column: u32) -> Loc {
        Loc { line, column }
    }

    /// `(line << 32) | column`, as the runtime's entry points take it.
    pub fn pack(self) -> u64 {
        (u64::from(self.line) << 32) | u64::from(self.column)
    }

    pub fn unpack(packed: u64) -> Loc {
        Loc {
            line: (packed >> 32) as u32,
            column: packed as u32,
        }
    }
}

/// `line:column`.
impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        for loc in [Loc::UNKNOWN, Loc::new(1, 1), Loc::new(u32::MAX, 7)] {
            assert_eq!(Loc::unpack(loc.pack()), loc);
        }
        assert_eq!(Loc::new(3, 9).to_string(), "3:9");
    }
}
