//! placeholder
pub mod abi;
pub mod artifacts;
pub mod calls;
pub mod chain;
pub mod deploy;
pub mod error;
pub mod measure;
pub mod world;

pub use chain::{Chain, Receipt, Status, Tx};
pub use deploy::{DeployOptions, Holder, InterestRates};
pub use error::EvmError;
pub use world::EvmWorld;
