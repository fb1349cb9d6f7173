//! Everything that can go wrong deploying a world or running a transaction,
//! each naming the chain and the contract, pair or step concerned.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EvmError {
    /// An embedded artifact is unusable (a bug of the build, never of input).
    Artifact(String),
    /// The world asks for something the deployed contracts cannot hold.
    Unrepresentable { chain: String, what: String },
    /// A deployment or setup transaction failed.
    Setup {
        chain: String,
        step: String,
        reason: String,
    },
    /// The EVM refused a transaction (not a revert: a malformed one).
    Invalid { chain: String, reason: String },
    /// A name the deployed world does not know.
    Unknown { chain: String, what: String },
}

impl fmt::Display for EvmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvmError::Artifact(message) => write!(f, "EVM artifact {message}"),
            EvmError::Unrepresentable { chain, what } => {
                write!(
                    f,
                    "chain {chain}: the EVM deployment cannot represent {what}"
                )
            }
            EvmError::Setup {
                chain,
                step,
                reason,
            } => write!(f, "chain {chain}: {step} failed: {reason}"),
            EvmError::Invalid { chain, reason } => {
                write!(
                    f,
                    "chain {chain}: the EVM refused the transaction: {reason}"
                )
            }
            EvmError::Unknown { chain, what } => {
                write!(f, "chain {chain}: the deployed world has no {what}")
            }
        }
    }
}

impl std::error::Error for EvmError {}
