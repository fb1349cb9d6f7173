//! The report of one bundle: committed or reverted (with the reason and
//! the source line), gas per chain and per transaction, blocks, and what
//! the bundle returned to the wallet. Human text by default, JSON with a
//! stable key order for machines.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;

use crate::amount::{format_units, thousands};
use crate::gas::Sender;
use crate::registry::BridgeKind;
use crate::session::{Loc, Revert};

/// An amount with its token's decimals, so it can be written exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount {
    pub base: u128,
    pub decimals: u8,
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_units(self.base, self.decimals))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Committed,
    Reverted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Committed => "committed",
            Status::Reverted => "reverted",
        }
    }
}

/// What became of the world a bundle committed: the report of a committed
/// bundle says whether a world file holds it (a reverted one changes
/// nothing, whatever this says).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum WorldWrite {
    /// The session's world holds the changes; no file is involved (a host
    /// that keeps the world in memory).
    #[default]
    InMemory,
    /// No world file was written: a run without `--commit` (the bundle
    /// would commit), or a reverted bundle.
    NotWritten,
    /// `--commit` was asked, but the world file could not be written (the
    /// error is reported apart): nothing was committed.
    Failed,
    /// The world file at this path holds the new world, on disk.
    Written(String),
}

/// Who an approval lets spend a token: a protocol on the transaction's
/// chain, or a bridge of one kind leaving it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpenderName {
    Protocol(String),
    Bridge(BridgeKind),
}

impl fmt::Display for SpenderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpenderName::Protocol(p) => f.write_str(p),
            SpenderName::Bridge(k) => write!(f, "the {k} bridge"),
        }
    }
}

/// Which message a bridge transfer travelled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BridgeMessage {
    /// Its own message.
    Own,
    /// The first transfer of a shared message (it pays the route's call).
    SharedFirst,
    /// A further transfer of the message before it.
    SharedFurther,
}

/// What one call did. Kept as data while the bundle runs and put into
/// words only when the report is rendered, so running a bundle formats
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Input {
        token: String,
        amount: Amount,
    },
    Approve {
        token: String,
        spender: SpenderName,
    },
    Borrow {
        flash: bool,
        protocol: String,
        token: String,
        amount: Amount,
    },
    Repay {
        flash: bool,
        protocol: String,
        token: String,
        amount: Amount,
        premium: Amount,
    },
    Swap {
        /// The exchange of each hop.
        exchanges: Vec<String>,
        /// The tokens in the order the swap passes through them.
        path: Vec<String>,
        amount_in: Amount,
        amount_out: Amount,
    },
    Deposit {
        protocol: String,
        token: String,
        amount: Amount,
    },
    Withdraw {
        protocol: String,
        token: String,
        amount: Amount,
    },
    Bridge {
        token: String,
        amount: Amount,
        to: String,
        kind: BridgeKind,
        fee: Amount,
        delay_blocks: u64,
        message: BridgeMessage,
    },
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Call::Input { token, amount } => write!(f, "input {amount} {token}"),
            Call::Approve { token, spender } => write!(f, "approve {spender} to spend {token}"),
            Call::Borrow {
                flash,
                protocol,
                token,
                amount,
            } => {
                let what = if *flash { "flash loan" } else { "borrow" };
                write!(f, "{what} {amount} {token} from {protocol}")
            }
            Call::Repay {
                flash,
                protocol,
                token,
                amount,
                premium,
            } => {
                let what = if *flash { "repay flash loan" } else { "repay" };
                write!(
                    f,
                    "{what} {amount} {token} + premium {premium} {token} to {protocol}"
                )
            }
            Call::Swap {
                exchanges,
                path,
                amount_in,
                amount_out,
            } => {
                let first = path.first().map_or("", String::as_str);
                let last = path.last().map_or("", String::as_str);
                let mut on: Vec<&str> = exchanges.iter().map(String::as_str).collect();
                on.dedup();
                write!(
                    f,
                    "swap {amount_in} {first} for {amount_out} {last} on {}",
                    on.join(" and ")
                )?;
                if path.len() > 2 {
                    write!(f, " via {}", path[1..path.len() - 1].join(", "))?;
                }
                Ok(())
            }
            Call::Deposit {
                protocol,
                token,
                amount,
            } => write!(f, "deposit {amount} {token} into {protocol}"),
            Call::Withdraw {
                protocol,
                token,
                amount,
            } => write!(f, "withdraw {amount} {token} from {protocol}"),
            Call::Bridge {
                token,
                amount,
                to,
                kind,
                fee,
                delay_blocks,
                message,
            } => {
                write!(
                    f,
                    "bridge {amount} {token} to {to} via {kind} (fee {fee} {token}, {delay_blocks} blocks)"
                )?;
                match message {
                    BridgeMessage::Own => Ok(()),
                    BridgeMessage::SharedFirst => f.write_str(", shared message"),
                    BridgeMessage::SharedFurther => f.write_str(", in the same message"),
                }
            }
        }
    }
}

/// One call made in a transaction, with the gas it was charged (for an
/// executor's inner call: dispatch, address word, account access and the
/// operation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub what: Call,
    pub gas: u64,
    pub loc: Loc,
}

/// One chain transaction: its chain, sender, block, and gas (the base
/// cost plus its calls).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRecord {
    pub chain: String,
    pub sender: Sender,
    /// The block it took, counted from the bundle's start (1 = the first).
    pub block: u64,
    pub gas: u64,
    pub calls: Vec<CallRecord>,
}

impl TxRecord {
    pub(crate) fn from_open(
        chain: String,
        sender: Sender,
        block: u64,
        gas: u64,
        calls: Vec<CallRecord>,
    ) -> TxRecord {
        TxRecord {
            chain,
            sender,
            block,
            gas,
            calls,
        }
    }
}

/// What a bundle did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub bundle: String,
    pub status: Status,
    pub revert: Option<Revert>,
    /// Every transaction metered, in order (on a revert: up to the failure;
    /// the world is unchanged all the same).
    pub transactions: Vec<TxRecord>,
    pub blocks: u64,
    /// What the bundle returned to the wallet: chain → token → amount
    /// (non-zero holdings only; empty on a revert).
    pub result: BTreeMap<String, BTreeMap<String, Amount>>,
    /// The wallet balances the bundle touched: (chain, token, before, after).
    pub wallet: Vec<(String, String, Amount, Amount)>,
    /// Whether a world file holds a committed bundle's world (set by the
    /// host that writes it).
    pub world_write: WorldWrite,
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

impl Report {
    pub fn committed(&self) -> bool {
        self.status == Status::Committed
    }

    pub fn gas_total(&self) -> u64 {
        self.transactions.iter().map(|t| t.gas).sum()
    }

    /// Gas per chain, for every chain a transaction ran on.
    pub fn gas_by_chain(&self) -> BTreeMap<String, u64> {
        let mut by_chain = BTreeMap::new();
        for t in &self.transactions {
            *by_chain.entry(t.chain.clone()).or_insert(0) += t.gas;
        }
        by_chain
    }

    /// The status as the JSON report gives it: `committed`, `reverted`, or
    /// `would_commit` when the bundle commits but no world file took it.
    pub fn status_text(&self) -> &'static str {
        match (self.status, &self.world_write) {
            (Status::Committed, WorldWrite::NotWritten | WorldWrite::Failed) => "would_commit",
            (status, _) => status.as_str(),
        }
    }

    /// The JSON object, keys in this fixed order: bundle, status, written
    /// (only from a host that writes world files), revert, gas {total,
    /// by_chain}, transactions, blocks, result.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "{{\"bundle\":{}", json_string(&self.bundle));
        let _ = write!(out, ",\"status\":\"{}\"", self.status_text());
        match &self.world_write {
            WorldWrite::InMemory => {}
            WorldWrite::Written(_) => out.push_str(",\"written\":true"),
            WorldWrite::NotWritten | WorldWrite::Failed => out.push_str(",\"written\":false"),
        }
        match &self.revert {
            None => out.push_str(",\"revert\":null"),
            Some(r) => {
                let _ = write!(
                    out,
                    ",\"revert\":{{\"reason\":{},\"line\":{},\"column\":{}}}",
                    json_string(&r.reason),
                    r.loc.line,
                    r.loc.column
                );
            }
        }
        let _ = write!(
            out,
            ",\"gas\":{{\"total\":{},\"by_chain\":{{",
            self.gas_total()
        );
        let by_chain: Vec<String> = self
            .gas_by_chain()
            .iter()
            .map(|(c, g)| format!("{}:{g}", json_string(c)))
            .collect();
        out.push_str(&by_chain.join(","));
        out.push_str("}}");
        let _ = write!(out, ",\"transactions\":{}", self.transactions.len());
        let _ = write!(out, ",\"blocks\":{}", self.blocks);
        out.push_str(",\"result\":{");
        let chains: Vec<String> = self
            .result
            .iter()
            .map(|(chain, tokens)| {
                let tokens: Vec<String> = tokens
                    .iter()
                    .map(|(t, a)| format!("{}:{}", json_string(t), json_string(&a.to_string())))
                    .collect();
                format!("{}:{{{}}}", json_string(chain), tokens.join(","))
            })
            .collect();
        out.push_str(&chains.join(","));
        out.push_str("}}");
        out
    }

    /// The report for people.
    pub fn render_human(&self) -> String {
        self.render_human_with(true)
    }

    /// The report for people; without `per_call_gas` (an engine that meters
    /// a transaction as a whole, as the EVM does) each transaction lists its
    /// calls without a gas figure of their own.
    pub fn render_human_with(&self, per_call_gas: bool) -> String {
        let mut out = String::new();
        match &self.revert {
            None => {
                let _ = match &self.world_write {
                    WorldWrite::InMemory => writeln!(out, "bundle {}: committed", self.bundle),
                    WorldWrite::Written(path) => {
                        writeln!(out, "bundle {}: committed to {path}", self.bundle)
                    }
                    WorldWrite::NotWritten => writeln!(
                        out,
                        "bundle {}: would commit; the world was not written (no --commit)",
                        self.bundle
                    ),
                    WorldWrite::Failed => writeln!(
                        out,
                        "bundle {}: would commit, but the world file could not be written: nothing was committed",
                        self.bundle
                    ),
                };
            }
            Some(r) => {
                let _ = write!(out, "bundle {}: reverted", self.bundle);
                if r.loc != Loc::UNKNOWN {
                    let _ = write!(out, " at line {}, column {}", r.loc.line, r.loc.column);
                }
                let _ = writeln!(out, ": {}", r.reason);
                out.push_str(
                    "nothing was sent: a bundle is all or nothing, and the world is as it was\n",
                );
                return out;
            }
        }
        let by_chain: Vec<String> = self
            .gas_by_chain()
            .iter()
            .map(|(c, g)| format!("{c} {}", thousands(*g)))
            .collect();
        let _ = writeln!(
            out,
            "blocks {} · transactions {} · gas {}{}",
            self.blocks,
            self.transactions.len(),
            thousands(self.gas_total()),
            if by_chain.is_empty() {
                String::new()
            } else {
                format!(" ({})", by_chain.join(", "))
            }
        );
        if !self.transactions.is_empty() {
            out.push_str("\ntransactions\n");
            let chain_width = self
                .transactions
                .iter()
                .map(|t| t.chain.len())
                .max()
                .unwrap_or(0);
            for (i, t) in self.transactions.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "  #{:<3} {:<chain_width$}  block {:<3} {:<8} {:>9} gas",
                    i + 1,
                    t.chain,
                    t.block,
                    t.sender.as_str(),
                    thousands(t.gas),
                );
                if !per_call_gas {
                    for c in &t.calls {
                        let _ = writeln!(out, "         {:>9}  {}", "", c.what);
                    }
                    continue;
                }
                let calls_gas: u64 = t.calls.iter().map(|c| c.gas).sum();
                let _ = writeln!(
                    out,
                    "         {:>9}  transaction base",
                    thousands(t.gas - calls_gas)
                );
                for c in &t.calls {
                    let _ = writeln!(out, "         {:>9}  {}", thousands(c.gas), c.what);
                }
            }
        }
        if self.committed() {
            out.push_str("\nresult (returned to the wallet)\n");
            if self.result.is_empty() {
                out.push_str("  nothing\n");
            }
            for (chain, tokens) in &self.result {
                for (token, amount) in tokens {
                    let _ = writeln!(out, "  {chain:<10} {token:<6} {amount}");
                }
            }
        }
        if !self.wallet.is_empty() {
            out.push_str("\nwallet (before → after)\n");
            for (chain, token, before, after) in &self.wallet {
                let _ = writeln!(out, "  {chain:<10} {token:<6} {before} → {after}");
            }
        }
        out
    }
}
