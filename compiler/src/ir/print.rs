//! The IR's text form (`--emit ir`): one box per line, in program order,
//! each produced wire with its type, each box with its source location.

use super::{Constraint, Node, Op, Program, Term, Value, Wire};
use std::fmt::{self, Write as _};

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Const(n) => write!(f, "{n}"),
            Value::AmountOf(wire) => write!(f, "amount({wire})"),
            Value::Add(a, b) => write!(f, "({a} + {b})"),
            Value::Sub(a, b) => write!(f, "({a} - {b})"),
            Value::Scale {
                value,
                numerator,
                denominator,
            } => write!(f, "({value} * {numerator} / {denominator})"),
        }
    }
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let _ = writeln!(out, "bundle {} on {}", self.bundle, self.home);
        self.term(&self.body, 1, &mut out);
        if !self.constraints.items.is_empty() {
            let _ = writeln!(out, "constraints");
            for (constraint, loc) in &self.constraints.items {
                let text = match constraint {
                    Constraint::Deadline(blocks) => format!("deadline {blocks} blocks"),
                    Constraint::DeadlineSeconds(seconds) => format!("deadline {seconds} seconds"),
                    Constraint::MaxGas(gas) => format!("max_gas {gas}"),
                    Constraint::MinBalance {
                        chain,
                        token,
                        amount,
                    } => format!("min_balance {amount} {token} on {chain}"),
                    Constraint::Invariant(invariant) => format!("invariant {}", invariant.as_str()),
                    Constraint::MinSecurity(kind) => format!("min_security {kind}"),
                    Constraint::MinProfit { token, amount } => {
                        format!("min_profit {amount} {token}")
                    }
                    Constraint::MinHealth(wad) => {
                        format!("min_health {}", mesh_core::health::factor_text(*wad))
                    }
                };
                let _ = writeln!(out, "    {text}    @{}", loc);
            }
        }
        f.write_str(&out)
    }
}

impl Program {
    fn typed(&self, wires: &[Wire]) -> String {
        wires
            .iter()
            .map(|w| match self.wire_type(*w) {
                Some(ty) => format!("{w}: {ty}"),
                None => format!("{w}: ?"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn term(&self, term: &Term, depth: usize, out: &mut String) {
        let indent = "    ".repeat(depth);
        match term {
            Term::Gen(node) => {
                let _ = writeln!(out, "{indent}{}", self.node(node));
            }
            Term::Seq(terms) => {
                for t in terms {
                    self.term(t, depth, out);
                }
            }
            Term::Tensor(branches) => {
                for (i, branch) in branches.iter().enumerate() {
                    let opener = if i == 0 { "tensor {" } else { "} ⊗ {" };
                    let _ = writeln!(out, "{indent}{opener}");
                    self.term(branch, depth + 1, out);
                }
                let _ = writeln!(out, "{indent}}}");
            }
            Term::Tx {
                chain,
                sender,
                body,
            } => {
                let _ = writeln!(out, "{indent}tx {chain} from {} {{", sender.as_str());
                for t in body {
                    self.term(t, depth + 1, out);
                }
                let _ = writeln!(out, "{indent}}}");
            }
        }
    }

    fn node(&self, node: &Node) -> String {
        let produced = self.typed(&node.op.codomain());
        let lhs = if produced.is_empty() {
            String::new()
        } else {
            format!("{produced} = ")
        };
        let rhs = match &node.op {
            Op::Input {
                chain,
                token,
                amount,
                ..
            } => format!("input {amount} {token} on {chain}"),
            Op::Borrow {
                protocol,
                amount,
                flash,
                ..
            } => {
                let kind = if *flash { "flash_loan" } else { "borrow" };
                format!("{kind} {amount} from {protocol}")
            }
            Op::FlashLoan {
                protocol,
                amounts,
                locs,
                ..
            } => {
                let loans: Vec<String> = amounts
                    .iter()
                    .zip(locs)
                    .map(|(amount, loc)| format!("{amount} @{loc}"))
                    .collect();
                format!("flash_loan [{}] from {protocol}", loans.join(", "))
            }
            Op::Repay {
                protocol,
                principal,
                funds,
                debt,
                ..
            } => format!("repay {principal} to {protocol} with {funds}, {debt}"),
            Op::Swap {
                exchanges,
                path,
                locs,
                input,
                min_out,
                ..
            } => swap_text(*input, exchanges, path, locs, min_out),
            Op::Deposit { protocol, funds } => format!("deposit {funds} into {protocol}"),
            Op::Withdraw {
                protocol,
                chain,
                token,
                amount,
                ..
            } => format!("withdraw {amount} {token} from {protocol} on {chain}"),
            Op::Bridge { route, input, .. } => format!("bridge {input} via {route}"),
            Op::BridgeBatch { route, inputs, .. } => {
                let inputs: Vec<String> = inputs.iter().map(ToString::to_string).collect();
                format!("bridge_batch {} via {route}", inputs.join(", "))
            }
            Op::Wrap { input, .. } => format!("wrap {input}"),
            Op::Unwrap { input, .. } => format!("unwrap {input}"),
            Op::Split { input, amount, .. } => format!("split {input} take {amount}"),
            Op::Merge { inputs, .. } => format!("merge {}, {}", inputs[0], inputs[1]),
            Op::Require {
                chain,
                left,
                op,
                right,
                ..
            } => format!("require {left} {} {right} on {chain}", op.symbol()),
            Op::Approve {
                chain,
                token,
                spender,
            } => format!("approve {token} for {spender} on {chain}"),
            Op::BorrowDebt {
                protocol,
                chain,
                token,
                amount,
                ..
            } => format!("borrow {amount} {token} from {protocol} on {chain} as debt"),
            Op::RepayDebt { protocol, funds } => format!("repay_debt {funds} to {protocol}"),
            Op::Assume {
                chain,
                protocol,
                assumption,
            } => match assumption {
                super::Assumption::Debt { token, amount } => {
                    format!("assume debt {amount} {token} at {protocol} on {chain}")
                }
                super::Assumption::Collateral { token, amount } => {
                    format!("assume collateral {amount} {token} at {protocol} on {chain}")
                }
                super::Assumption::Healthy => format!("assume healthy at {protocol} on {chain}"),
            },
        };
        format!("{lhs}{rhs}    @{}", node.loc)
    }
}

/// `swap %2 on uniswap_v2 [WETH -> USDC] min 0` for one exchange; with
/// several, each hop names its exchange and the statement it came from:
/// `swap %2 [WETH -> USDC on uniswap_v2 @5:9, -> WETH on sushiswap @6:9]`.
fn swap_text(
    input: super::Wire,
    exchanges: &[String],
    path: &[String],
    locs: &[super::Loc],
    min_out: &super::Value,
) -> String {
    let one = exchanges.windows(2).all(|w| w[0] == w[1]);
    match exchanges.first() {
        Some(exchange) if one => format!(
            "swap {input} on {exchange} [{}] min {min_out}",
            path.join(" -> ")
        ),
        _ => {
            let hops: Vec<String> = path
                .iter()
                .skip(1)
                .zip(exchanges)
                .zip(locs)
                .enumerate()
                .map(|(i, ((token, exchange), loc))| {
                    let from = if i == 0 {
                        format!("{} ", path.first().map_or("", String::as_str))
                    } else {
                        String::new()
                    };
                    format!("{from}-> {token} on {exchange} @{loc}")
                })
                .collect();
            format!("swap {input} [{}] min {min_out}", hops.join(", "))
        }
    }
}
