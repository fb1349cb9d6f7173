//! The report for machines: one JSON object, its keys always in the same
//! order (docs/report.md lists them). Amounts are strings of plain digits
//! in token units, exact, trailing zeros trimmed (`"0.15"`); gas, blocks,
//! lines and columns are numbers.

use std::fmt::Write as _;

use mesh_core::health::{wad_text, HealthFactor};

use super::{
    Amount, BridgeMessage, Call, CallRecord, Change, Moved, Report, SpenderName, TxRecord,
    WorldWrite,
};

fn string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

fn amount(a: Amount) -> String {
    string(&a.plain())
}

/// A JSON array of `items`, each written by `write`.
fn array<T>(items: impl IntoIterator<Item = T>, write: impl Fn(T) -> String) -> String {
    let items: Vec<String> = items.into_iter().map(write).collect();
    format!("[{}]", items.join(","))
}

fn change(c: &Change) -> String {
    format!(
        "{{\"before\":{},\"after\":{}}}",
        amount(c.before),
        amount(c.after)
    )
}

fn moved(m: Moved<'_>) -> String {
    format!(
        "{{\"chain\":{},\"token\":{},\"amount\":{}}}",
        string(m.chain),
        string(m.token),
        amount(m.amount)
    )
}

/// One call: `action`, the keys of that action, `in`, `out`, `gas`,
/// `line`, `column`.
fn call(chain: &str, c: &CallRecord) -> String {
    let mut out = format!("{{\"action\":\"{}\"", c.what.action());
    match &c.what {
        Call::Input { .. } | Call::Wrap { .. } | Call::Unwrap { .. } => {}
        Call::Approve { token, spender } => {
            let spender = match spender {
                SpenderName::Protocol(p) => format!("{{\"protocol\":{}}}", string(p)),
                SpenderName::Bridge(k) => format!("{{\"bridge\":\"{}\"}}", k.as_str()),
            };
            let _ = write!(out, ",\"token\":{},\"spender\":{spender}", string(token));
        }
        Call::Borrow { protocol, .. }
        | Call::BorrowDebt { protocol, .. }
        | Call::RepayDebt { protocol, .. }
        | Call::Deposit { protocol, .. }
        | Call::Withdraw { protocol, .. } => {
            let _ = write!(out, ",\"protocol\":{}", string(protocol));
        }
        Call::Repay {
            protocol, premium, ..
        } => {
            let _ = write!(
                out,
                ",\"protocol\":{},\"premium\":{}",
                string(protocol),
                amount(*premium)
            );
        }
        Call::Swap {
            exchanges, path, ..
        } => {
            let _ = write!(
                out,
                ",\"exchanges\":{},\"path\":{}",
                array(exchanges, |x| string(x)),
                array(path, |t| string(t))
            );
        }
        Call::Bridge {
            to,
            kind,
            fee,
            delay_blocks,
            message,
            ..
        } => {
            let message = match message {
                BridgeMessage::Own => "own",
                BridgeMessage::SharedFirst => "shared_first",
                BridgeMessage::SharedFurther => "shared_further",
            };
            let _ = write!(
                out,
                ",\"to\":{},\"via\":\"{}\",\"fee\":{},\"delay_blocks\":{delay_blocks},\"message\":\"{message}\"",
                string(to),
                kind.as_str(),
                amount(*fee)
            );
        }
    }
    let (taken, given) = c.what.moved(chain);
    let _ = write!(
        out,
        ",\"in\":{},\"out\":{},\"gas\":{},\"line\":{},\"column\":{}}}",
        array(taken, moved),
        array(given, moved),
        c.gas,
        c.loc.line,
        c.loc.column
    );
    out
}

fn transaction(t: &TxRecord) -> String {
    format!(
        "{{\"chain\":{},\"sender\":\"{}\",\"block\":{},\"gas\":{},\"base_gas\":{},\"balance_gas\":{},\"calls\":{}}}",
        string(&t.chain),
        t.sender.as_str(),
        t.block,
        t.gas,
        t.base_gas(),
        t.balance_gas,
        array(&t.calls, |c| call(&t.chain, c))
    )
}

impl Report {
    /// The JSON object, keys in this fixed order: `bundle`, `status`,
    /// `written` (only from a host that writes world files), `revert`,
    /// `gas` {`total`, `by_chain`, `cost`}, `blocks`, `time_ms`, `net`,
    /// `transactions`, `result`, `wallet`, `lenders`, `health`.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let _ = write!(out, "{{\"bundle\":{}", string(&self.bundle));
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
                    string(&r.reason),
                    r.loc.line,
                    r.loc.column
                );
            }
        }
        let by_chain: Vec<String> = self
            .gas_by_chain()
            .iter()
            .map(|(c, g)| format!("{}:{g}", string(c)))
            .collect();
        let costs: Vec<String> = self
            .gas_costs
            .iter()
            .map(|c| {
                format!(
                    "{}:{{\"token\":{},\"gas_price\":{},\"amount\":{}}}",
                    string(&c.chain),
                    string(&c.token),
                    amount(c.price),
                    amount(c.cost)
                )
            })
            .collect();
        let _ = write!(
            out,
            ",\"gas\":{{\"total\":{},\"by_chain\":{{{}}},\"cost\":{{{}}}}}",
            self.gas_total(),
            by_chain.join(","),
            costs.join(",")
        );
        let _ = write!(out, ",\"blocks\":{}", self.blocks);
        match self.time_ms {
            Some(ms) => {
                let _ = write!(out, ",\"time_ms\":{ms}");
            }
            None => out.push_str(",\"time_ms\":null"),
        }
        match &self.net {
            None => out.push_str(",\"net\":null"),
            Some(net) => {
                let _ = match &net.figures {
                    Ok(f) => write!(
                        out,
                        ",\"net\":{{\"quote\":{},\"value\":{},\"gas\":{},\"net\":{}}}",
                        string(&net.quote),
                        string(&f.value.plain()),
                        amount(f.gas),
                        string(&f.net.plain())
                    ),
                    Err(why) => write!(
                        out,
                        ",\"net\":{{\"quote\":{},\"error\":{}}}",
                        string(&net.quote),
                        string(why)
                    ),
                };
            }
        }
        let _ = write!(
            out,
            ",\"transactions\":{}",
            array(&self.transactions, transaction)
        );
        let chains: Vec<String> = self
            .result
            .iter()
            .map(|(chain, tokens)| {
                let tokens: Vec<String> = tokens
                    .iter()
                    .map(|(t, a)| format!("{}:{}", string(t), amount(*a)))
                    .collect();
                format!("{}:{{{}}}", string(chain), tokens.join(","))
            })
            .collect();
        let _ = write!(out, ",\"result\":{{{}}}", chains.join(","));
        let _ = write!(
            out,
            ",\"wallet\":{}",
            array(&self.wallet, |w| format!(
                "{{\"chain\":{},\"token\":{},\"before\":{},\"after\":{}}}",
                string(&w.chain),
                string(&w.token),
                amount(w.balance.before),
                amount(w.balance.after)
            ))
        );
        let _ = write!(
            out,
            ",\"lenders\":{}",
            array(&self.lenders, |p| format!(
                "{{\"chain\":{},\"lender\":{},\"token\":{},\"collateral\":{},\"debt\":{}}}",
                string(&p.chain),
                string(&p.lender),
                string(&p.token),
                change(&p.collateral),
                change(&p.debt)
            ))
        );
        let _ = write!(
            out,
            ",\"health\":{}}}",
            array(&self.health, |h| format!(
                "{{\"chain\":{},\"lender\":{},\"before\":{},\"after\":{}}}",
                string(&h.chain),
                string(&h.lender),
                health(h.before),
                health(h.after)
            ))
        );
        out
    }
}

/// A health factor: the exact wad as a decimal string with its 18
/// decimals, or `null` for a position that owes nothing.
fn health(hf: HealthFactor) -> String {
    match hf {
        HealthFactor::NoDebt => "null".to_string(),
        HealthFactor::Wad(w) => string(&wad_text(w, 18)),
    }
}
