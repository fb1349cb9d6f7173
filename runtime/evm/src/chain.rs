//! One chain: its own EVM state (revm over an in-memory database), its
//! block, and the execution of unsigned transactions.

use revm::context::result::ExecutionResult;
use revm::context::{Context, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::MainnetContext;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, Log, TxKind, U256};
use revm::state::AccountInfo;
use revm::{DatabaseRef, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainnetEvm};

use crate::abi::{self, revert_reason};
use crate::error::EvmError;

/// The EVM rules every chain runs: Ethereum's Osaka fork.
pub const SPEC: SpecId = SpecId::OSAKA;

/// The most gas one transaction may use (EIP-7825, Osaka: 2^24).
pub const TX_GAS_CAP: u64 = 1 << 24;

type Db = CacheDB<EmptyDB>;
type Evm = MainnetEvm<MainnetContext<Db>>;

/// An unsigned transaction: what a plan lists and a wallet would sign.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    pub from: Address,
    /// The called account, or `None` to create a contract from `data`.
    pub to: Option<Address>,
    pub data: Vec<u8>,
    /// Wei sent with the call.
    pub value: U256,
    pub gas_limit: u64,
}

impl Tx {
    /// A call of `to` with `data`, no value, the largest gas limit.
    pub fn call(from: Address, to: Address, data: Vec<u8>) -> Tx {
        Tx {
            from,
            to: Some(to),
            data,
            value: U256::ZERO,
            gas_limit: TX_GAS_CAP,
        }
    }
}

/// How a transaction ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Success,
    /// `REVERT`: `reason` is readable (see [`abi::revert_reason`]), `data`
    /// the raw revert data.
    Revert {
        reason: String,
        data: Vec<u8>,
    },
    /// An exceptional halt (out of gas, invalid opcode, ...): all gas used.
    Halt {
        reason: String,
    },
}

/// What the EVM did with a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Gas used as the EVM meters it: intrinsic cost, execution and
    /// calldata, after refunds.
    pub gas_used: u64,
    /// What storage refunds took off the gas spent (EIP-3529: clearing or
    /// restoring a slot written in the transaction, at most a fifth of it).
    pub gas_refunded: u64,
    pub status: Status,
    pub logs: Vec<Log>,
    /// The call's return data (empty on a revert or a creation).
    pub output: Vec<u8>,
    /// The created contract's address, for a creation.
    pub created: Option<Address>,
}

impl Receipt {
    pub fn is_success(&self) -> bool {
        self.status == Status::Success
    }
}

/// A saved state of a chain, to return to (all-or-nothing bundles).
#[derive(Clone, Debug)]
pub struct Snapshot {
    db: Db,
    number: u64,
    timestamp: u64,
}

/// One chain's EVM.
pub struct Chain {
    name: String,
    chain_id: u64,
    evm: Evm,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("name", &self.name)
            .field("chain_id", &self.chain_id)
            .field("block", &self.block())
            .finish()
    }
}

impl Chain {
    /// An empty chain at block 1, timestamp `timestamp`. Gas costs nothing
    /// (base fee and gas price are zero): gas is measured, never paid, so
    /// no account needs ether for it.
    pub fn new(name: &str, chain_id: u64, timestamp: u64) -> Chain {
        let ctx = Context::new(CacheDB::new(EmptyDB::new()), SPEC)
            .modify_cfg_chained(|cfg: &mut revm::context::CfgEnv| {
                cfg.chain_id = chain_id;
            })
            .modify_block_chained(|block: &mut revm::context::BlockEnv| {
                block.number = U256::from(1);
                block.timestamp = U256::from(timestamp);
                block.basefee = 0;
                block.gas_limit = 60_000_000;
            });
        Chain {
            name: name.to_string(),
            chain_id,
            evm: ctx.build_mainnet(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The current block: (number, timestamp).
    pub fn block(&self) -> (u64, u64) {
        let b = &self.evm.ctx.block;
        (saturating_u64(b.number), saturating_u64(b.timestamp))
    }

    /// Moves to block `number` at `timestamp` (both must not go back).
    pub fn set_block(&mut self, number: u64, timestamp: u64) -> Result<(), EvmError> {
        let (n, t) = self.block();
        if number < n || timestamp < t {
            return Err(EvmError::Invalid {
                chain: self.name.clone(),
                reason: format!(
                    "block {number} at {timestamp} is before the current block {n} at {t}"
                ),
            });
        }
        self.evm.ctx.block.number = U256::from(number);
        self.evm.ctx.block.timestamp = U256::from(timestamp);
        Ok(())
    }

    /// The next block, `seconds` later.
    pub fn next_block(&mut self, seconds: u64) -> Result<(), EvmError> {
        let (n, t) = self.block();
        let overflow = || EvmError::Invalid {
            chain: self.name.clone(),
            reason: "the block number or time overflows".to_string(),
        };
        let number = n.checked_add(1).ok_or_else(overflow)?;
        let timestamp = t.checked_add(seconds).ok_or_else(overflow)?;
        self.set_block(number, timestamp)
    }

    fn db(&self) -> &Db {
        &self.evm.ctx.journaled_state.database
    }

    fn db_mut(&mut self) -> &mut Db {
        &mut self.evm.ctx.journaled_state.database
    }

    fn account(&self, address: Address) -> AccountInfo {
        self.db()
            .basic_ref(address)
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// The account's ether balance, in wei.
    pub fn balance(&self, address: Address) -> U256 {
        self.account(address).balance
    }

    /// Sets the account's ether balance (world state, not a transaction).
    pub fn set_balance(&mut self, address: Address, wei: U256) {
        let mut info = self.account(address);
        info.balance = wei;
        self.db_mut().insert_account_info(address, info);
    }

    /// The account's nonce.
    pub fn nonce(&self, address: Address) -> u64 {
        self.account(address).nonce
    }

    /// The account's code (empty for an externally owned account).
    pub fn code(&self, address: Address) -> Vec<u8> {
        self.account(address)
            .code
            .map(|c| c.original_bytes().to_vec())
            .unwrap_or_default()
    }

    fn tx_env(&self, tx: &Tx) -> Result<TxEnv, EvmError> {
        TxEnv::builder()
            .caller(tx.from)
            .kind(match tx.to {
                Some(to) => TxKind::Call(to),
                None => TxKind::Create,
            })
            .data(Bytes::from(tx.data.clone()))
            .value(tx.value)
            .gas_limit(tx.gas_limit)
            .gas_price(0)
            .nonce(self.nonce(tx.from))
            .chain_id(Some(self.chain_id))
            .build()
            .map_err(|e| EvmError::Invalid {
                chain: self.name.clone(),
                reason: format!("{e:?}"),
            })
    }

    /// Executes `tx` in the current block and commits its effects (a
    /// reverted transaction commits only its sender's nonce, as on chain).
    pub fn execute(&mut self, tx: &Tx) -> Result<Receipt, EvmError> {
        let env = self.tx_env(tx)?;
        let result = self
            .evm
            .transact_commit(env)
            .map_err(|e| EvmError::Invalid {
                chain: self.name.clone(),
                reason: e.to_string(),
            })?;
        Ok(receipt(result))
    }

    /// Runs `tx` and discards its effects: a read (`eth_call`).
    pub fn simulate(&mut self, tx: &Tx) -> Result<Receipt, EvmError> {
        let env = self.tx_env(tx)?;
        let result = self.evm.transact(env).map_err(|e| EvmError::Invalid {
            chain: self.name.clone(),
            reason: e.to_string(),
        })?;
        Ok(receipt(result.result))
    }

    /// Reads `to` with `data` from the zero address; the return data, or
    /// an error naming `what` with the revert reason.
    pub fn view(&mut self, to: Address, data: Vec<u8>, what: &str) -> Result<Vec<u8>, EvmError> {
        let r = self.simulate(&Tx::call(Address::ZERO, to, data))?;
        match r.status {
            Status::Success => Ok(r.output),
            Status::Revert { reason, .. } | Status::Halt { reason } => Err(EvmError::Setup {
                chain: self.name.clone(),
                step: format!("reading {what}"),
                reason,
            }),
        }
    }

    /// Reads a single 32-byte word (`uint256`, `address`, `bool`).
    pub fn view_word(&mut self, to: Address, data: Vec<u8>, what: &str) -> Result<U256, EvmError> {
        let out = self.view(to, data, what)?;
        abi::uint_at(&out, 0).ok_or_else(|| EvmError::Setup {
            chain: self.name.clone(),
            step: format!("reading {what}"),
            reason: "it returned no word".to_string(),
        })
    }

    /// Executes `tx` as a step of the deployment: its failure is an error
    /// naming `step`.
    pub fn setup(&mut self, tx: &Tx, step: &str) -> Result<Receipt, EvmError> {
        let r = self.execute(tx)?;
        match &r.status {
            Status::Success => Ok(r),
            Status::Revert { reason, .. } | Status::Halt { reason } => Err(EvmError::Setup {
                chain: self.name.clone(),
                step: step.to_string(),
                reason: reason.clone(),
            }),
        }
    }

    /// Deploys `code` (creation code, constructor arguments appended) from
    /// `from`; the new contract's address.
    pub fn deploy(
        &mut self,
        from: Address,
        code: Vec<u8>,
        what: &str,
    ) -> Result<Address, EvmError> {
        let tx = Tx {
            from,
            to: None,
            data: code,
            value: U256::ZERO,
            gas_limit: TX_GAS_CAP,
        };
        let r = self.setup(&tx, &format!("deploying {what}"))?;
        r.created.ok_or_else(|| EvmError::Setup {
            chain: self.name.clone(),
            step: format!("deploying {what}"),
            reason: "no contract was created".to_string(),
        })
    }

    /// The chain's whole state, to return to with [`Chain::restore`].
    pub fn snapshot(&self) -> Snapshot {
        let (number, timestamp) = self.block();
        Snapshot {
            db: self.db().clone(),
            number,
            timestamp,
        }
    }

    /// Returns to a saved state, block included.
    pub fn restore(&mut self, snapshot: Snapshot) {
        *self.db_mut() = snapshot.db;
        self.evm.ctx.block.number = U256::from(snapshot.number);
        self.evm.ctx.block.timestamp = U256::from(snapshot.timestamp);
    }
}

fn saturating_u64(value: U256) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn receipt(result: ExecutionResult) -> Receipt {
    let gas_used = result.tx_gas_used();
    let gas_refunded = result.gas().total_gas_spent().saturating_sub(gas_used);
    match result {
        ExecutionResult::Success { logs, output, .. } => {
            let created = match &output {
                revm::context::result::Output::Create(_, address) => *address,
                revm::context::result::Output::Call(_) => None,
            };
            let output = match output {
                revm::context::result::Output::Call(bytes) => bytes.to_vec(),
                revm::context::result::Output::Create(..) => Vec::new(),
            };
            Receipt {
                gas_used,
                gas_refunded,
                status: Status::Success,
                logs,
                output,
                created,
            }
        }
        ExecutionResult::Revert { output, logs, .. } => Receipt {
            gas_used,
            gas_refunded,
            status: Status::Revert {
                reason: revert_reason(&output),
                data: output.to_vec(),
            },
            logs,
            output: Vec::new(),
            created: None,
        },
        ExecutionResult::Halt { reason, logs, .. } => Receipt {
            gas_used,
            gas_refunded,
            status: Status::Halt {
                reason: format!("{reason:?}"),
            },
            logs,
            output: Vec::new(),
            created: None,
        },
    }
}
