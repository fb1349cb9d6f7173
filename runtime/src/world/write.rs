//! Writing a world in canonical form: every table sorted (chains, tokens,
//! protocols and wallet entries by name, routes by from, to and kind, pairs
//! by their two symbols), amounts as trimmed decimal strings, registry
//! entries and each lender's risk parameters as one-line inline tables. Write, parse, write is byte-identical.
//! (A commit keeps the user's own layout instead: `edit.rs`.)

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::file::{key_text, quote, FORMAT};
use super::World;
use crate::amount::format_units;
use crate::registry::{ProtocolKind, Registry};
use mesh_core::health::PRICE_DECIMALS;

fn string_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn amounts_inline(amounts: &BTreeMap<String, u128>, registry: &Registry) -> String {
    let parts: Vec<String> = amounts
        .iter()
        .map(|(t, v)| {
            format!(
                "{} = {}",
                key_text(t),
                quote(&format_amount(*v, t, registry))
            )
        })
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

fn format_amount(value: u128, token: &str, registry: &Registry) -> String {
    let decimals = registry.token(token).map_or(0, |t| t.decimals);
    format_units(value, decimals)
}

/// The canonical text of `world`.
pub(super) fn write(world: &World) -> String {
    let mut w = world.clone();
    w.normalize();
    let r = &w.registry;
    let mut out = String::new();
    out.push_str("# A Mesh world: the registry (chains, tokens, protocols, bridge routes) and\n");
    out.push_str("# the state (lenders, exchange pairs, the wallet). Format: docs/world.md.\n");
    let _ = writeln!(out, "format = {FORMAT}");

    out.push_str("\n[chains]\n");
    for c in &r.chains {
        let _ = writeln!(
            out,
            "{} = {{ chain_id = {} }}",
            key_text(&c.name),
            c.chain_id
        );
    }

    out.push_str("\n[tokens]\n");
    for t in &r.tokens {
        let _ = write!(
            out,
            "{} = {{ decimals = {}, chains = {}",
            key_text(&t.symbol),
            t.decimals,
            string_list(&t.chains)
        );
        if let Some(a) = &t.address {
            let _ = write!(out, ", address = {}", quote(a));
        }
        out.push_str(" }\n");
    }

    out.push_str("\n[protocols]\n");
    for p in &r.protocols {
        let _ = write!(
            out,
            "{} = {{ kind = {}, chains = {}",
            key_text(&p.name),
            quote(p.kind.as_str()),
            string_list(&p.chains)
        );
        match p.kind {
            ProtocolKind::Lender => {
                let _ = write!(
                    out,
                    ", premium_bps = {}, flash_loans = {}",
                    p.premium_bps, p.flash_loans
                );
            }
            ProtocolKind::Exchange => {
                let _ = write!(out, ", fee_bps = {}", p.fee_bps);
            }
        }
        out.push_str(" }\n");
    }

    out.push_str("\n[bridges]\nroutes = [\n");
    for route in &r.routes {
        let _ = writeln!(
            out,
            "    {{ from = {}, to = {}, kind = {}, delay_blocks = {}, gas = {}, fee_bps = {}, security = {} }},",
            quote(&route.from),
            quote(&route.to),
            quote(route.kind.as_str()),
            route.delay_blocks,
            route.gas,
            route.fee_bps,
            route.security
        );
    }
    out.push_str("]\n");

    if !w.oracle.is_empty() {
        out.push_str("\n[oracle]\n");
        for (token, price) in &w.oracle {
            let _ = writeln!(
                out,
                "{} = {}",
                key_text(token),
                quote(&format_units(*price, PRICE_DECIMALS))
            );
        }
    }

    for (chain, lenders) in &w.lenders {
        for (name, lender) in lenders {
            let _ = writeln!(out, "\n[lenders.{}.{}]", key_text(chain), key_text(name));
            if !lender.liquidity.is_empty() {
                let _ = writeln!(out, "liquidity = {}", amounts_inline(&lender.liquidity, r));
            }
            if !lender.deposits.is_empty() {
                let _ = writeln!(out, "deposits = {}", amounts_inline(&lender.deposits, r));
            }
            if !lender.debts.is_empty() {
                let _ = writeln!(out, "debts = {}", amounts_inline(&lender.debts, r));
            }
            if !lender.risk.is_empty() {
                let parts: Vec<String> = lender
                    .risk
                    .iter()
                    .map(|(t, p)| {
                        format!(
                            "{} = {{ ltv_bps = {}, liquidation_threshold_bps = {} }}",
                            key_text(t),
                            p.ltv_bps,
                            p.liquidation_threshold_bps
                        )
                    })
                    .collect();
                let _ = writeln!(out, "risk = {{ {} }}", parts.join(", "));
            }
        }
    }

    for (chain, exchanges) in &w.exchanges {
        for (name, exchange) in exchanges {
            let _ = writeln!(out, "\n[exchanges.{}.{}]", key_text(chain), key_text(name));
            for ((t0, t1), pair) in &exchange.pairs {
                let _ = writeln!(
                    out,
                    "{} = [{}, {}]",
                    quote(&format!("{t0}/{t1}")),
                    quote(&format_amount(pair.reserve0, t0, r)),
                    quote(&format_amount(pair.reserve1, t1, r))
                );
            }
        }
    }

    for (chain, balances) in &w.wallets {
        let _ = writeln!(out, "\n[wallet.{}]", key_text(chain));
        for (token, amount) in balances {
            let _ = writeln!(
                out,
                "{} = {}",
                key_text(token),
                quote(&format_amount(*amount, token, r))
            );
        }
    }
    out
}
