//! The optimisation levels: which lowering of a bundle is meant. The
//! checker's time model predicts the blocks of both; the [`crate::pipeline`]
//! lowers, optimises and judges a bundle at the level it is asked for.

/// An optimisation level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OptLevel {
    /// Unoptimised: the bundle as a user sends it by hand, every action and
    /// every approval its own wallet transaction.
    O0,
    /// Optimised (the default): the `-O0` lowering rewritten by the
    /// optimiser's laws, same-chain runs batched through an executor.
    #[default]
    O,
}

impl OptLevel {
    /// The flag that selects the level on the command line.
    pub fn flag(self) -> &'static str {
        match self {
            OptLevel::O0 => "-O0",
            OptLevel::O => "-O",
        }
    }
}
