//! The EVM side of Mesh: a world deployed on the real contracts' bytecode,
//! one `revm` state per chain, on which transaction plans run and are
//! metered as the EVM meters them.
//!
//! What is deployed, from which packages and at which versions, how the
//! bytecode's integrity is checked, and the measured gas table are in
//! docs/evm.md. In short: Uniswap V2's factory and pair (`@uniswap/v2-core`
//! 1.0.1), Router02 and WETH9 (`@uniswap/v2-periphery` 1.1.0-beta.0), an
//! Aave V3 market (`@aave/core-v3` 1.19.3, its mocks for tokens and
//! prices), and the project's own `MeshExecutor` and `MeshBridge`
//! (`runtime/evm/contracts/`, compiled with solc 0.8.28). The bytecode is
//! embedded at build time ([`artifacts`]): nothing is read or downloaded
//! when a plan runs.
//!
//! # The API a transaction plan runs on
//!
//! - [`EvmWorld::deploy`] turns a [`mesh_runtime::World`] into one
//!   deployed chain per chain of its registry ([`deploy`] says what each
//!   gets). [`DeployOptions`] choose who holds the world's balances (the
//!   wallet, for plans sent by hand, or the executor, for plans sent
//!   through it) and the interest rate strategy. A world the contracts
//!   cannot hold is an [`EvmError`] naming the chain and the pair or
//!   reserve.
//! - [`EvmWorld::contracts`] gives every address on a chain: tokens,
//!   pairs, routers, the Aave pool and its reserves, the executor, the
//!   bridges, and the lenders that are model-only (no bytecode).
//! - [`EvmWorld::execute`] runs an unsigned [`Tx`] `{from, to, data,
//!   value, gas_limit}` in the chain's current block and returns a
//!   [`Receipt`]: gas used as the EVM metered it (base, calldata,
//!   execution, refunds), success or the revert with a readable reason
//!   (the executor's nested `CallFailed` becomes the path of the failing
//!   call, `call 1.0: UniswapV2: K`), and the logs. [`calls`] encodes every
//!   call a plan makes.
//! - [`Chain`] (through [`EvmWorld::chain_mut`]) moves a chain's block
//!   (`next_block`, `set_block`: a pair updates its price oracle on its
//!   first swap in a block) and takes and restores snapshots, so a bundle
//!   that reverts on one chain can be undone on every chain.
//! - [`EvmWorld::read_world`] reads the state back into a `World`: the
//!   holder's balances, every pair's reserves, each lender's liquidity
//!   and deposits — what the model engine's result is compared with.
//! - [`measure`] measures each protocol operation's gas; the gas bench
//!   prints the table.
//!
//! ```
//! use mesh_evm::calls::{self, InnerCall};
//! use mesh_evm::{DeployOptions, EvmWorld, Holder, Status, Tx};
//! use mesh_runtime::World;
//!
//! let world = World::default_world();
//! let options = DeployOptions { holder: Holder::Executor, ..DeployOptions::default() };
//! let mut evm = EvmWorld::deploy(&world, &options).expect("deploys");
//! let polygon = evm.contracts("polygon").expect("polygon").clone();
//! let usdc = polygon.tokens["USDC"].address().expect("an ERC-20");
//! let pair = polygon.exchanges["uniswap_v2"].pairs[&("USDC".into(), "WETH".into())];
//!
//! // One executor transaction: send 1,000 USDC into the pair.
//! evm.chain_mut("polygon").expect("polygon").next_block(2).expect("block");
//! let run = calls::executor_run(&[InnerCall::new(usdc, calls::transfer(pair, 1_000_000_000))]);
//! let tx = Tx::call(evm.accounts.wallet, polygon.executor, run);
//! let receipt = evm.execute("polygon", &tx).expect("the EVM runs it");
//! assert_eq!(receipt.status, Status::Success);
//! assert!(receipt.gas_used > 21_000);
//!
//! let after = evm.read_world(&world).expect("reads back");
//! assert_eq!(after.wallet_balance("polygon", "USDC"), world.wallet_balance("polygon", "USDC") - 1_000_000_000);
//! ```
//!
//! # Module map
//!
//! - [`artifacts`]: the embedded bytecode;
//! - [`abi`]: the Solidity ABI encoding and decoding the engine needs;
//! - [`calls`]: the calldata of each contract function a plan calls;
//! - [`chain`]: one chain's EVM state, its block, and the execution of a
//!   transaction;
//! - [`deploy`]: per chain, the contracts deployed, then the world's state
//!   written on them;
//! - [`world`]: a deployed world, one EVM per chain, and its state read
//!   back as a world;
//! - [`plan`]: a transaction plan, mapped back to the bundle's lines;
//! - [`engine`]: a plan run on a deployed world, all or nothing, and its
//!   constraints judged;
//! - [`measure`]: the gas of each protocol operation, measured;
//! - [`error`]: what can go wrong, naming the chain and the contract.

pub mod abi;
pub mod artifacts;
pub mod calls;
pub mod chain;
pub mod deploy;
pub mod engine;
pub mod error;
pub mod measure;
pub mod plan;
pub mod world;

pub use chain::{Chain, Receipt, Snapshot, Status, Tx};
pub use deploy::{Contracts, DeployOptions, Holder, InterestRates};
pub use engine::{EvmEngine, EvmRun};
pub use error::EvmError;
pub use plan::Plan;
/// The EVM's primitive types (addresses, 256-bit words) the plan uses.
pub use revm::primitives as revm_primitives;
pub use world::EvmWorld;
